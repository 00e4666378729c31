r"""A generative adversarial network (GAN): two small MLPs, their losses and the training game.

Goodfellow and colleagues (Goodfellow, Pouget-Abadie, Mirza, Xu, Warde-Farley, Ozair,
Courville and Bengio, 2014) proposed to train a generator without ever writing down its
density. A **generator** :math:`G` maps noise :math:`z \sim p(z) = \mathcal N(0, I)` to an
image :math:`G(z)`; the images it makes follow some distribution :math:`p_g`. A
**discriminator** :math:`D` maps an image to :math:`D(x) \in (0, 1)`, its probability that
``x`` is real. The two play a minimax game with the value

.. math::

    V(D, G) = \mathbb E_{x \sim p_\text{data}}[\log D(x)]
      + \mathbb E_{z \sim p(z)}[\log(1 - D(G(z)))],
    \qquad \min_G \max_D V(D, G).

:math:`-V` is the cross-entropy of a classifier of real (label 1) against generated
(label 0) images, which :func:`discriminator_loss` computes from the discriminator's
logit :math:`\ell` (:math:`D = \operatorname{sigmoid}(\ell)`) with
:math:`-\log \operatorname{sigmoid}(\ell) = \operatorname{softplus}(-\ell)` and
:math:`-\log(1 - \operatorname{sigmoid}(\ell)) = \operatorname{softplus}(\ell)`: finite
and exact for any logit, where the naive :math:`\log \operatorname{sigmoid}` gives
:math:`\log 0 = -\infty` once :math:`|\ell|` passes about 17 (float32) or 37 (float64).

**The optimal discriminator.** For a fixed generator, :math:`V` is, point by point,
:math:`p_\text{data}(x) \log D(x) + p_g(x) \log(1 - D(x))`, which is largest at

.. math::

    D^*(x) = \frac{p_\text{data}(x)}{p_\text{data}(x) + p_g(x)},
    \qquad \text{a logit of } \log p_\text{data}(x) - \log p_g(x).

Substituting it, with :math:`m = (p_\text{data} + p_g) / 2`,

.. math::

    V(D^*, G) = \mathrm{KL}(p_\text{data} \,\|\, m) + \mathrm{KL}(p_g \,\|\, m) - \log 4
      = 2\, \mathrm{JS}(p_\text{data}, p_g) - \log 4,

so against a perfect discriminator the generator minimises the Jensen-Shannon divergence,
whose minimum, :math:`-\log 4` (a discriminator loss of :math:`\log 4 \approx 1.386`), is
reached when :math:`p_g = p_\text{data}` and :math:`D^* = 1/2` everywhere.

**Saturating and non-saturating generator losses.** The minimax generator minimises
:math:`\mathbb E_z[\log(1 - D(G(z)))]` (``saturating=True`` in :func:`generator_loss`).
Early in training its images are poor, the discriminator rejects them confidently
(:math:`\ell = \ell(G(z)) \ll 0`) and the gradient vanishes:

.. math::

    \frac{d}{d\ell} \log\bigl(1 - \operatorname{sigmoid}(\ell)\bigr)
      = -\operatorname{sigmoid}(\ell) \to 0 .

The original paper therefore trains :math:`G` to maximise :math:`\log D(G(z))` instead,
minimising :math:`-\mathbb E_z[\log D(G(z))]` (the default, "non-saturating" loss): the
same fixed point, but

.. math::

    \frac{d}{d\ell} \bigl(-\log \operatorname{sigmoid}(\ell)\bigr)
      = -\bigl(1 - \operatorname{sigmoid}(\ell)\bigr) \to -1,

the strongest gradient exactly when the generator is worst.

**A GAN has no likelihood.** :math:`p_g` is the distribution of :math:`G(z)` for a
low-dimensional :math:`z`: it is implicit (it can be sampled but not evaluated) and, with
fewer latent dimensions than pixels, it lives on a thin set of images, with density zero
almost everywhere else. A GAN has no bits per pixel for the likelihood yardstick; its
samples are judged by their quality (``genlab.quality``, ``genlab.sharpness``) instead.

:func:`train_gan` alternates one discriminator step and one generator step per batch,
with Adam (learning rate 2e-4, :math:`\beta_1 = 0.5`, as Radford, Metz and Chintala, 2016,
recommend for GANs). The generator outputs logits; its images are their sigmoids,
pixel intensities in :math:`[0, 1]` like MNIST's scaled grey levels.

Import it explicitly (``from genlab import gan``): it loads PyTorch.

Introduced in the chapter "VAE against GAN on real MNIST".
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

try:
    import torch
except ModuleNotFoundError as exc:  # torch is genlab's "deep" extra
    from genlab._optional import torch_missing

    raise torch_missing(__name__) from exc
import torch.nn.functional as F
from torch import Tensor, nn
from tqdm.auto import tqdm

from genlab._training import check_rate, check_size
from genlab._validation import as_real_array, check_bool, check_output_size

__all__ = [
    "Discriminator",
    "Generator",
    "discriminator_loss",
    "generator_loss",
    "train_gan",
]

#: The per-epoch entries of :func:`train_gan`'s history, in the order :func:`_step` returns them.
_EPOCH_KEYS = ("discriminator_loss", "generator_loss", "real_score", "fake_score")


# ------------------------------------------------------------------ checks
def _check_weights(n_weights: int, name: str) -> None:
    """Refuse layer sizes whose weights would exceed ``MAX_OUTPUT_BYTES``, before building."""
    itemsize = torch.empty(()).element_size()  # PyTorch's default dtype
    check_output_size((n_weights,), name=name, itemsize=itemsize, what="the weights")


def _check_model_input(t: object, name: str, width: int, like: Tensor) -> Tensor:
    """A finite tensor of shape (n, width) with the dtype and device of the weight ``like``."""
    if not isinstance(t, Tensor):
        raise ValueError(f"{name} must be a torch.Tensor; got {type(t).__name__}")
    if t.dim() != 2 or t.shape[1] != width:
        raise ValueError(f"{name} must have shape (n, {width}); got {tuple(t.shape)}")
    if t.dtype != like.dtype or t.device != like.device:
        raise ValueError(
            f"{name} must have the model's dtype {like.dtype} on {like.device}; got {t.dtype} "
            f"on {t.device} (convert it with {name}.to(...))"
        )
    if not bool(torch.isfinite(t).all()):
        raise ValueError(f"{name} contains NaN or infinity")
    return t


def _check_logits(t: object, name: str) -> Tensor:
    """A non-empty 1-D floating-point tensor without NaN (infinite logits are allowed)."""
    if not isinstance(t, Tensor):
        raise ValueError(f"{name} must be a torch.Tensor; got {type(t).__name__}")
    if not t.is_floating_point():
        raise ValueError(f"{name} must hold floating-point logits; got dtype {t.dtype}")
    if t.dim() != 1 or t.shape[0] == 0:
        raise ValueError(f"{name} must have shape (n,) with n >= 1; got {tuple(t.shape)}")
    if bool(torch.isnan(t).any()):
        raise ValueError(f"{name} contains NaN")
    return t


def _check_generator(generator: object) -> torch.Generator | None:
    if generator is not None and not isinstance(generator, torch.Generator):
        raise ValueError(
            f"generator must be a torch.Generator or None; got {type(generator).__name__}"
        )
    return generator


def _check_images(X: Any, width: int, like: Tensor, name: str = "X") -> Tensor:
    """Images of intensities in [0, 1], shape (n_images, width), as the weights' dtype."""
    if isinstance(X, Tensor):  # to NumPy (bfloat16 and float16 by way of float64)
        X = X.detach().cpu()
        X = (X.double() if X.is_floating_point() else X).numpy()
    arr = as_real_array(X, name=name)
    if arr.ndim != 2 or arr.shape[1] != width:
        raise ValueError(f"{name} must have shape (n_images, {width}); got {arr.shape}")
    if arr.shape[0] == 0:
        raise ValueError(f"{name} is empty; it needs at least one image")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinity")
    lo, hi = float(arr.min()), float(arr.max())
    if lo < 0 or hi > 1:
        raise ValueError(
            f"{name} must lie in [0, 1] (pixel intensities); its values range from {lo:g} to "
            f"{hi:g}: rescale the images first (e.g. divide by 255)"
        )
    return torch.as_tensor(arr, dtype=like.dtype, device=like.device)


def _check_betas(betas: object) -> tuple[float, float]:
    """Two finite numbers in [0, 1), Adam's decay rates."""
    message = f"betas must be a pair of numbers in [0, 1); got {betas!r}"
    if not isinstance(betas, (tuple, list)) or len(betas) != 2:
        raise ValueError(message)
    for b in betas:
        if isinstance(b, (bool, np.bool_)) or not isinstance(b, numbers.Real):
            raise ValueError(message)
        if not (math.isfinite(float(b)) and 0 <= float(b) < 1):
            raise ValueError(message)
    return float(betas[0]), float(betas[1])


# ------------------------------------------------------------------ models
class Generator(nn.Module):
    r"""The generator :math:`G`: noise :math:`z` to the logits of an image's intensities.

    ``Linear(latent_dim, hidden_dim)``, a ReLU and ``Linear(hidden_dim, output_dim)``. The
    image is the sigmoid of the logits, intensities in :math:`[0, 1]`. It computes in
    float32, or in float64 after ``.double()``. The weights are initialised from PyTorch's
    global random generator: seed it (``torch.manual_seed``) before building the model.

    Introduced in the chapter "VAE against GAN on real MNIST".

    Parameters
    ----------
    latent_dim : int, default 16
        The dimension of :math:`z`, at least 1.
    hidden_dim : int, default 256
        The width of the hidden layer, at least 1.
    output_dim : int, default 784
        The number of pixels, at least 1 (784 for 28x28 MNIST).

    Examples
    --------
    >>> torch.manual_seed(0)  # doctest: +ELLIPSIS
    <torch._C.Generator object at ...>
    >>> G = Generator(latent_dim=2, hidden_dim=8, output_dim=4)
    >>> G.sample(3, torch.Generator().manual_seed(0)).shape
    torch.Size([3, 4])
    """

    def __init__(self, latent_dim: int = 16, hidden_dim: int = 256, output_dim: int = 784) -> None:
        super().__init__()
        K = check_size(latent_dim, "latent_dim", 1)
        H = check_size(hidden_dim, "hidden_dim", 1)
        D = check_size(output_dim, "output_dim", 1)
        _check_weights((K + 1) * H + (H + 1) * D, "Generator's sizes")
        self.latent_dim, self.hidden_dim, self.output_dim = K, H, D
        self.net = nn.Sequential(nn.Linear(K, H), nn.ReLU(), nn.Linear(H, D))

    @property
    def _weight(self) -> Tensor:
        """A weight of the model: its dtype and device are the model's."""
        first = self.net[0]
        assert isinstance(first, nn.Linear)
        return first.weight

    def forward(self, z: Tensor) -> Tensor:
        """The logits of the images of the codes ``z``.

        Introduced in the chapter "VAE against GAN on real MNIST".

        Parameters
        ----------
        z : Tensor of shape (n, latent_dim)
            Finite, of the model's dtype and device.

        Returns
        -------
        Tensor of shape (n, output_dim)
            Logits: the images are their sigmoids.
        """
        z = _check_model_input(z, "z", self.latent_dim, self._weight)
        return self.net(z)  # type: ignore[no-any-return]

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        r"""Draw ``n`` images: :math:`z \sim \mathcal N(0, I)`, then the sigmoid of :math:`G(z)`.

        ``z`` is drawn as ``torch.randn((n, latent_dim), generator=generator)`` in the
        dtype of the weights, on the generator's device (the CPU without one), and decoded
        on the model's device, in eval mode (the model's mode is restored afterwards).

        Introduced in the chapter "VAE against GAN on real MNIST".

        Parameters
        ----------
        n : int
            The number of images, at least 1; refused if they would need more than
            ``genlab._validation.MAX_OUTPUT_BYTES``.
        generator : torch.Generator, optional
            The source of :math:`z`, for reproducible samples.

        Returns
        -------
        Tensor of shape (n, output_dim)
            Intensities in :math:`[0, 1]`.
        """
        n = check_size(n, "n", 1)
        generator = _check_generator(generator)
        w = self._weight
        width = max(self.hidden_dim, self.output_dim)
        check_output_size((n, width), name="n", itemsize=w.element_size(), what="the images")
        where = generator.device if generator is not None else torch.device("cpu")
        z = torch.randn((n, self.latent_dim), generator=generator, dtype=w.dtype, device=where)
        was_training = self.training
        self.eval()
        try:
            return torch.sigmoid(self.net(z.to(w.device)))
        finally:
            self.train(was_training)


class Discriminator(nn.Module):
    r"""The discriminator :math:`D`: an image to the logit of its probability of being real.

    ``Linear(input_dim, hidden_dim)``, a LeakyReLU of slope ``negative_slope`` and
    ``Linear(hidden_dim, 1)``; :math:`D(x) = \operatorname{sigmoid}(\text{logit})`. It
    computes in float32, or in float64 after ``.double()``. The weights are initialised
    from PyTorch's global random generator.

    Introduced in the chapter "VAE against GAN on real MNIST".

    Parameters
    ----------
    input_dim : int, default 784
        The number of pixels, at least 1.
    hidden_dim : int, default 256
        The width of the hidden layer, at least 1.
    negative_slope : float, default 0.2
        The LeakyReLU's slope for negative inputs, finite and >= 0.

    Examples
    --------
    >>> torch.manual_seed(0)  # doctest: +ELLIPSIS
    <torch._C.Generator object at ...>
    >>> D = Discriminator(input_dim=4, hidden_dim=8)
    >>> D(torch.full((3, 4), 0.5)).shape
    torch.Size([3])
    """

    def __init__(
        self, input_dim: int = 784, hidden_dim: int = 256, negative_slope: float = 0.2
    ) -> None:
        super().__init__()
        D = check_size(input_dim, "input_dim", 1)
        H = check_size(hidden_dim, "hidden_dim", 1)
        slope = check_rate(negative_slope, "negative_slope", positive=False)
        _check_weights((D + 1) * H + (H + 1), "Discriminator's sizes")
        self.input_dim, self.hidden_dim, self.negative_slope = D, H, slope
        self.net = nn.Sequential(nn.Linear(D, H), nn.LeakyReLU(slope), nn.Linear(H, 1))

    @property
    def _weight(self) -> Tensor:
        """A weight of the model: its dtype and device are the model's."""
        first = self.net[0]
        assert isinstance(first, nn.Linear)
        return first.weight

    def forward(self, x: Tensor) -> Tensor:
        r"""The logit of :math:`D(x)`, the probability that each image is real.

        Introduced in the chapter "VAE against GAN on real MNIST".

        Parameters
        ----------
        x : Tensor of shape (n, input_dim)
            Images, intensities in :math:`[0, 1]`, of the model's dtype and device.

        Returns
        -------
        Tensor of shape (n,)
            Logits: :math:`D(x)` is their sigmoid.
        """
        x = _check_model_input(x, "x", self.input_dim, self._weight)
        lo, hi = torch.aminmax(x) if x.numel() else (x.new_zeros(()), x.new_zeros(()))
        if lo < 0 or hi > 1:
            raise ValueError(
                f"x must lie in [0, 1] (pixel intensities); its values range from "
                f"{float(lo):g} to {float(hi):g}"
            )
        return self._logits(x)

    def _logits(self, x: Tensor) -> Tensor:
        """:meth:`forward` without the checks (the training loop's)."""
        return self.net(x).squeeze(-1)  # type: ignore[no-any-return]


# ------------------------------------------------------------------ losses
def _softplus(t: Tensor) -> Tensor:
    r""":math:`\log(1 + e^t)` to the precision of ``t``'s dtype, for every ``t`` (even infinite).

    PyTorch's softplus returns ``t`` itself above a threshold (20 by default), dropping
    :math:`\log(1 + e^{-t}) < 2.1 \cdot 10^{-9}`: below float32's resolution of numbers above
    20 (so float32 keeps PyTorch's default, bit for bit), not below float64's. From 40 on,
    :math:`e^{-t} < 4.3 \cdot 10^{-18}` is below float64's resolution too.
    """
    return F.softplus(t, threshold=40.0 if t.dtype == torch.float64 else 20.0)


def discriminator_loss(real_logits: Tensor, fake_logits: Tensor) -> Tensor:
    r"""The discriminator's loss, :math:`-\frac1n \sum \log D(x) - \frac1m \sum \log(1 - D(G(z)))`.

    The binary cross-entropy of real images (label 1) and generated ones (label 0), i.e.
    :math:`-V(D, G)` estimated on a batch, computed stably from the logits as
    ``softplus(-real_logits).mean() + softplus(fake_logits).mean()``: finite for any
    logit (infinite logits give 0 or infinity, as the exact loss does). At the optimal
    discriminator its expectation is :math:`\log 4 - 2\,\mathrm{JS}(p_\text{data}, p_g)`.

    Introduced in the chapter "VAE against GAN on real MNIST".

    Parameters
    ----------
    real_logits : Tensor of shape (n,)
        The discriminator's logits of real images, without NaN.
    fake_logits : Tensor of shape (m,)
        Its logits of generated images, without NaN.

    Returns
    -------
    Tensor (scalar)
        In nats.
    """
    real_logits = _check_logits(real_logits, "real_logits")
    fake_logits = _check_logits(fake_logits, "fake_logits")
    return _discriminator_loss(real_logits, fake_logits)


def _discriminator_loss(real_logits: Tensor, fake_logits: Tensor) -> Tensor:
    """:func:`discriminator_loss` without the checks (the training loop's)."""
    minus_log_d_real = _softplus(-real_logits)  # -log sigmoid(l) = softplus(-l)
    minus_log_one_minus_d_fake = _softplus(fake_logits)  # -log(1 - sigmoid(l)) = softplus(l)
    return minus_log_d_real.mean() + minus_log_one_minus_d_fake.mean()


def generator_loss(fake_logits: Tensor, *, saturating: bool = False) -> Tensor:
    r"""The generator's loss on a batch of its images, from the discriminator's logits.

    Non-saturating (the default): :math:`-\frac1m \sum \log D(G(z))`
    (``softplus(-fake_logits).mean()``), whose gradient in a logit :math:`\ell` is
    :math:`-(1 - \operatorname{sigmoid}(\ell))/m`, largest when the discriminator rejects
    the image. Saturating (the minimax game's own): :math:`\frac1m \sum \log(1 - D(G(z)))`
    (``-softplus(fake_logits).mean()``), whose gradient :math:`-\operatorname{sigmoid}(\ell)/m`
    vanishes then.

    Introduced in the chapter "VAE against GAN on real MNIST".

    Parameters
    ----------
    fake_logits : Tensor of shape (m,)
        The discriminator's logits of generated images, without NaN.
    saturating : bool, default False
        Use the minimax loss instead of the non-saturating one.

    Returns
    -------
    Tensor (scalar)
        In nats.
    """
    fake_logits = _check_logits(fake_logits, "fake_logits")
    return _generator_loss(fake_logits, check_bool(saturating, name="saturating"))


def _generator_loss(fake_logits: Tensor, saturating: bool) -> Tensor:
    """:func:`generator_loss` without the checks (the training loop's)."""
    if saturating:
        return -_softplus(fake_logits).mean()  # mean log(1 - sigmoid(l))
    return _softplus(-fake_logits).mean()  # -mean log sigmoid(l)


# ------------------------------------------------------------------ training
def train_gan(
    generator: Generator,
    discriminator: Discriminator,
    X: Any,
    *,
    epochs: int,
    batch_size: int = 64,
    lr: float = 2e-4,
    betas: tuple[float, float] = (0.5, 0.999),
    seed: int = 0,
    saturating: bool = False,
    progress: bool = True,
) -> dict[str, list[float]]:
    r"""Train a GAN: per batch, one Adam step of the discriminator, then one of the generator.

    Each epoch shuffles the images (``torch.randperm``) and walks through them in batches
    of ``batch_size`` (the last one may be smaller). For each batch :math:`x`:

    1. draw :math:`z \sim \mathcal N(0, I)`, one code per image of the batch, and make
       the images ``fake = sigmoid(generator(z))``;
    2. discriminator step on ``discriminator_loss(D(x), D(fake))``, the fakes detached
       (the generator is held fixed);
    3. generator step on ``generator_loss(D(fake))``, with the updated discriminator
       (held fixed: only the generator's optimiser steps).

    One generator seeded by ``seed`` draws both the shuffles and the codes, in that order
    (each epoch's permutation, then each batch's codes), so two runs with the same seed
    and initial weights give the same weights. Two Adam optimisers, one per network. A
    NaN or infinite loss, or a NaN or infinite weight at the end of an epoch, stops the
    training with a ValueError naming the epoch (lower ``lr``). Both models are left in
    eval mode.

    Introduced in the chapter "VAE against GAN on real MNIST".

    Parameters
    ----------
    generator : Generator
    discriminator : Discriminator
        With ``input_dim`` equal to the generator's ``output_dim``, and the same dtype
        and device.
    X : array_like or Tensor of shape (n_images, output_dim)
        Real images, intensities in :math:`[0, 1]` (MNIST's levels divided by 255);
        converted to the weights' dtype and device.
    epochs, batch_size : int
        At least 1.
    lr : float, default 2e-4
        Both optimisers' learning rate, finite and > 0.
    betas : tuple of two floats, default (0.5, 0.999)
        Adam's decay rates, in :math:`[0, 1)`.
    seed : int, default 0
        Seeds the shuffles and the codes, 0 to 2**63 - 1.
    saturating : bool, default False
        Train the generator on the saturating (minimax) loss instead of the non-saturating
        one (see :func:`generator_loss`).
    progress : bool, default True
        A tqdm bar of the epochs (``TQDM_DISABLE=1`` turns it off).

    Returns
    -------
    dict of str to list of float
        Per epoch (``epochs`` entries), means over the epoch's images (batches weighted by
        their size): ``"discriminator_loss"``, ``"generator_loss"``, ``"real_score"`` (the
        mean :math:`D(x)` of the real images) and ``"fake_score"`` (the mean
        :math:`D(G(z))`), both scores taken before the batch's discriminator step. Per step
        (``ceil(n_images / batch_size) * epochs`` entries): ``"step_discriminator_loss"``
        and ``"step_generator_loss"``.
    """
    if not isinstance(generator, Generator):
        raise ValueError(
            f"generator must be a genlab.gan.Generator; got {type(generator).__name__}"
        )
    if not isinstance(discriminator, Discriminator):
        raise ValueError(
            f"discriminator must be a genlab.gan.Discriminator; got {type(discriminator).__name__}"
        )
    if generator.output_dim != discriminator.input_dim:
        raise ValueError(
            f"the generator and the discriminator do not fit together: the generator's "
            f"output_dim is {generator.output_dim}, the discriminator's input_dim is "
            f"{discriminator.input_dim}"
        )
    w, v = generator._weight, discriminator._weight
    if w.dtype != v.dtype or w.device != v.device:
        raise ValueError(
            f"the generator ({w.dtype} on {w.device}) and the discriminator ({v.dtype} on "
            f"{v.device}) must have the same dtype and device"
        )
    x_all = _check_images(X, generator.output_dim, w)
    n_epochs = check_size(epochs, "epochs", 1)
    size = check_size(batch_size, "batch_size", 1)
    rate = check_rate(lr, "lr", positive=True)
    beta1, beta2 = _check_betas(betas)
    seed_ = check_size(seed, "seed", 0)
    if seed_ >= 2**63:
        raise ValueError(f"seed must be below 2**63; got {seed_}")
    saturating = check_bool(saturating, name="saturating")
    progress = check_bool(progress, name="progress")

    G, D = generator, discriminator
    n = x_all.shape[0]
    opt_g = torch.optim.Adam(G.parameters(), lr=rate, betas=(beta1, beta2))
    opt_d = torch.optim.Adam(D.parameters(), lr=rate, betas=(beta1, beta2))
    g = torch.Generator().manual_seed(seed_)  # the shuffles and the codes
    history: dict[str, list[float]] = {
        key: [] for key in (*_EPOCH_KEYS, "step_discriminator_loss", "step_generator_loss")
    }

    def diverged(epoch: int, what: str) -> ValueError:
        return ValueError(
            f"training diverged at epoch {epoch}: {what} NaN or infinite; lower lr (now {lr})"
        )

    G.train()
    D.train()
    try:
        # Without an explicit ``disable``, tqdm reads TQDM_DISABLE from the environment.
        bar_options: dict[str, Any] = {} if progress else {"disable": True}
        for epoch in tqdm(range(1, n_epochs + 1), desc="GAN", unit="epoch", **bar_options):
            order = torch.randperm(n, generator=g).to(x_all.device)
            sums = np.zeros(4)  # the epoch's sums over its images of the four per-epoch means
            for start in range(0, n, size):
                x = x_all[order[start : start + size]]
                loss_d, loss_g, real_score, fake_score = _step(
                    G, D, opt_g, opt_d, x, g, saturating
                )
                if not (math.isfinite(loss_d) and math.isfinite(loss_g)):
                    raise diverged(epoch, "the losses are")
                history["step_discriminator_loss"].append(loss_d)
                history["step_generator_loss"].append(loss_g)
                sums += np.array([loss_d, loss_g, real_score, fake_score]) * x.shape[0]
            for key, total in zip(_EPOCH_KEYS, sums, strict=True):
                history[key].append(float(total) / n)
            if any(not bool(torch.isfinite(p).all()) for p in (*G.parameters(), *D.parameters())):
                raise diverged(epoch, "the weights are")
    finally:
        G.eval()
        D.eval()
    return history


def _step(
    G: Generator,
    D: Discriminator,
    opt_g: torch.optim.Optimizer,
    opt_d: torch.optim.Optimizer,
    x: Tensor,
    g: torch.Generator,
    saturating: bool,
) -> tuple[float, float, float, float]:
    """One step of each network on the batch ``x``: both losses and both mean scores.

    The scores (mean sigmoids of the real and generated images' logits) are those the
    discriminator's loss was computed from, before its step.
    """
    # 1. the generator's images, one code per real image
    w = G._weight
    z = torch.randn((x.shape[0], G.latent_dim), generator=g, dtype=w.dtype).to(w.device)
    fake = torch.sigmoid(G.net(z))
    # 2. the discriminator's step: real images labelled 1, generated ones 0 (G held fixed)
    real_logits = D._logits(x)
    fake_logits = D._logits(fake.detach())
    loss_d = _discriminator_loss(real_logits, fake_logits)
    opt_d.zero_grad()
    loss_d.backward()  # type: ignore[no-untyped-call]
    opt_d.step()
    # 3. the generator's step, against the updated discriminator (only G's optimiser steps)
    loss_g = _generator_loss(D._logits(fake), saturating)
    opt_g.zero_grad()
    loss_g.backward()  # type: ignore[no-untyped-call]
    opt_g.step()
    with torch.no_grad():
        real_score = float(torch.sigmoid(real_logits).mean())
        fake_score = float(torch.sigmoid(fake_logits).mean())
    return float(loss_d.detach()), float(loss_g.detach()), real_score, fake_score
