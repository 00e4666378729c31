r"""A VAE of discrete images: a categorical decoder, its ELBO and the importance-weighted bound.

A variational autoencoder (Kingma & Welling, 2014) is a latent-variable model
:math:`p(x, z) = p(z)\, p(x \mid z)` with the prior :math:`p(z) = \mathcal N(0, I)`. Here
the decoder gives every pixel :math:`d` of an image of :math:`D` pixels a categorical
distribution over the :math:`L` grey levels, from logits :math:`\ell_d(z)` computed by a
network:

.. math::

    \log p(x \mid z) = \sum_{d=1}^{D} \log \operatorname{softmax}\bigl(\ell_d(z)\bigr)[x_d],

a true log-probability of the discrete image, so that :math:`P(x) = \int p(x \mid z)\,
p(z)\, dz` sums to 1 over the :math:`L^D` images and sits on the likelihood yardstick
with the exact models. (The Bernoulli decoder of ``genlab.vae`` scores grey levels with a
cross-entropy that is not the probability of anything.)

The integral has no closed form. The encoder's
:math:`q(z \mid x) = \mathcal N(\mu(x), \operatorname{diag} \sigma^2(x))` gives two lower
bounds on :math:`\log P(x)`, in nats. The evidence lower bound, the training objective,

.. math::

    \mathrm{ELBO}(x) = \mathbb E_{q(z \mid x)}[\log p(x \mid z)]
      - \mathrm{KL}\bigl(q(z \mid x) \,\|\, \mathcal N(0, I)\bigr) \;\le\; \log P(x),

estimated with one reparameterised draw :math:`z = \mu + \sigma \odot \varepsilon` and the
KL in closed form, :math:`\tfrac12 \sum_j (\mu_j^2 + \sigma_j^2 - 1 - \log \sigma_j^2)`;
and the importance-weighted bound of Burda, Grosse & Salakhutdinov (2016), with
:math:`k` draws :math:`z_1, \dots, z_k \sim q(z \mid x)` independently,

.. math::

    \mathrm{IWAE}_k(x) = \mathbb E\Bigl[\log \frac1k \sum_{s=1}^{k}
      \frac{p(x \mid z_s)\, p(z_s)}{q(z_s \mid x)}\Bigr] \;\le\; \log P(x).

:math:`\mathrm{IWAE}_1` is the ELBO; the bound rises with :math:`k` and tends to
:math:`\log P(x)` as :math:`k \to \infty`, so a large :math:`k` turns a trained VAE into a
likelihood estimate for the yardstick (slightly low, by Jensen's inequality).

Import it explicitly (``from genlab import discrete_vae``): it loads PyTorch.

Introduced in the chapter "The VAE's likelihood and the scoreboard".
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

try:
    import torch
except ModuleNotFoundError as exc:  # torch is genlab's "deep" extra
    from genlab._optional import torch_missing

    raise torch_missing(__name__) from exc
from numpy.typing import ArrayLike, NDArray
from torch import Tensor, nn

from genlab._training import check_level_images, check_size, fit_by_likelihood
from genlab._validation import check_output_size

__all__ = ["CategoricalVAE", "train_categorical_vae"]

_LOG_2PI = math.log(2 * math.pi)
#: :meth:`CategoricalVAE.iwae` decodes its draws in chunks whose decoder outputs take at
#: most about this many bytes (unless ``batch`` says how many draws a chunk holds).
_CHUNK_BYTES = 2**26


class CategoricalVAE(nn.Module):
    r"""A VAE whose decoder gives each pixel a categorical distribution over its levels.

    Encoder: the levels scaled to :math:`[0, 1]` (:math:`x / (L - 1)`) pass through
    ``Linear(D, hidden)`` and a ReLU to two linear heads, :math:`\mu` and
    :math:`\log \sigma^2` (``latent_dim`` each). Decoder: ``Linear(latent_dim, hidden)``, a
    ReLU and ``Linear(hidden, D * L)``, read as :math:`L` logits per pixel. Every method
    takes images as integer levels; all log-probabilities are in nats. The model computes
    in float32, or in float64 after ``.double()``.

    Introduced in the chapter "The VAE's likelihood and the scoreboard".

    Parameters
    ----------
    n_pixels : int
        :math:`D`, at least 1.
    n_levels : int
        :math:`L`, at least 2 (17 for the 8x8 digits).
    latent_dim : int, default 2
        The dimension of :math:`z`, at least 1.
    hidden : int, default 256
        The width of the encoder's and the decoder's hidden layer, at least 1.

    Examples
    --------
    >>> torch.manual_seed(0)  # doctest: +ELLIPSIS
    <torch._C.Generator object at ...>
    >>> model = CategoricalVAE(4, 3, latent_dim=1, hidden=8).double()
    >>> x = torch.tensor([[0, 1, 2, 0]])
    >>> model.elbo(x).shape, model.iwae(x, 10).shape
    (torch.Size([1]), torch.Size([1]))
    """

    def __init__(self, n_pixels: int, n_levels: int, latent_dim: int = 2, hidden: int = 256):
        super().__init__()
        D = check_size(n_pixels, "n_pixels", 1)
        L = check_size(n_levels, "n_levels", 2)
        K = check_size(latent_dim, "latent_dim", 1)
        H = check_size(hidden, "hidden", 1)
        n_weights = (D + 1) * H + 2 * (H + 1) * K + (K + 1) * H + (H + 1) * D * L
        check_output_size(
            (n_weights,), name="CategoricalVAE's sizes", itemsize=4, what="the weights"
        )
        self.n_pixels, self.n_levels, self.latent_dim, self.hidden = D, L, K, H
        self.encoder = nn.Sequential(nn.Linear(D, H), nn.ReLU())
        self.fc_mu = nn.Linear(H, K)
        self.fc_logvar = nn.Linear(H, K)
        self.decoder = nn.Sequential(nn.Linear(K, H), nn.ReLU(), nn.Linear(H, D * L))

    # ----------------------------------------------------------------- checks
    @property
    def _weight(self) -> Tensor:
        """A weight of the model: its dtype and device are the model's."""
        return self.fc_mu.weight

    def _check_images(self, x: Any, name: str = "x") -> Tensor:
        return check_level_images(x, self.n_pixels, self.n_levels, self._weight.device, name)

    def _check_latent(self, t: object, name: str, n: int, *, batched: bool) -> Tensor:
        """A finite tensor of the model's dtype and device, of shape (..., n, latent_dim)."""
        w = self._weight
        if not isinstance(t, Tensor):
            raise ValueError(f"{name} must be a torch.Tensor; got {type(t).__name__}")
        if t.dtype != w.dtype or t.device != w.device:
            raise ValueError(
                f"{name} must have the model's dtype {w.dtype} on {w.device}; got {t.dtype} "
                f"on {t.device} (convert it with {name}.to(...))"
            )
        wanted = f"({'..., ' if batched else ''}{n}, {self.latent_dim})"
        ok = t.dim() >= 2 if batched else t.dim() == 2
        if not ok or tuple(t.shape[-2:]) != (n, self.latent_dim):
            raise ValueError(f"{name} must have shape {wanted}; got {tuple(t.shape)}")
        if not bool(torch.isfinite(t).all()):
            raise ValueError(f"{name} contains NaN or infinity")
        return t

    @staticmethod
    def _check_generator(generator: object) -> torch.Generator | None:
        if generator is not None and not isinstance(generator, torch.Generator):
            raise ValueError(
                f"generator must be a torch.Generator or None; got {type(generator).__name__}"
            )
        return generator

    def _noise(self, shape: tuple[int, ...], generator: torch.Generator | None) -> Tensor:
        """Standard normal draws, made on the generator's device (the CPU without one)."""
        where = generator.device if generator is not None else torch.device("cpu")
        eps = torch.randn(shape, generator=generator, dtype=self._weight.dtype, device=where)
        return eps.to(self._weight.device)

    def _draws(self, count: int, shape: torch.Size, generator: torch.Generator | None) -> Tensor:
        """``count`` draws of :meth:`_noise` of ``shape``, stacked: one call per draw.

        Drawing each separately fixes the stream's order (draw ``s`` is the ``s``-th call),
        so :meth:`iwae` does not depend on how many draws it decodes at once.
        """
        return torch.stack([self._noise(shape, generator) for _ in range(count)])

    # ----------------------------------------------------------------- model
    def encode(self, x: Any) -> tuple[Tensor, Tensor]:
        r"""The parameters of :math:`q(z \mid x) = \mathcal N(\mu, \operatorname{diag} \sigma^2)`.

        Introduced in the chapter "The VAE's likelihood and the scoreboard".

        Parameters
        ----------
        x : LongTensor or array_like of shape (n_images, n_pixels)
            Levels ``0 .. n_levels - 1``.

        Returns
        -------
        mu, logvar : Tensor of shape (n_images, latent_dim)
            :math:`\mu` and :math:`\log \sigma^2`.
        """
        x = self._check_images(x)
        h = self.encoder(x.to(self._weight.dtype) / (self.n_levels - 1))
        return self.fc_mu(h), self.fc_logvar(h)

    def decoder_log_prob(self, x: Any, z: Tensor) -> Tensor:
        r""":math:`\log p(x \mid z) = \sum_d \log \operatorname{softmax}(\ell_d(z))[x_d]`.

        Introduced in the chapter "The VAE's likelihood and the scoreboard".

        Parameters
        ----------
        x : LongTensor or array_like of shape (n_images, n_pixels)
            Levels ``0 .. n_levels - 1``.
        z : Tensor of shape (..., n_images, latent_dim)
            Codes, finite, of the model's dtype and device; ``z[..., i, :]`` is scored
            against image ``i`` (leading dimensions: several codes per image).

        Returns
        -------
        Tensor of shape (..., n_images)
            In nats.
        """
        x = self._check_images(x)
        z = self._check_latent(z, "z", x.shape[0], batched=True)
        return self._decoder_log_prob(x, z)

    def _decoder_log_prob(self, x: Tensor, z: Tensor) -> Tensor:
        """:meth:`decoder_log_prob` without the checks."""
        logits = self.decoder(z).unflatten(-1, (self.n_pixels, self.n_levels))  # (..., n, D, L)
        levels = x.expand(*z.shape[:-1], self.n_pixels).unsqueeze(-1)  # (..., n, D, 1)
        return torch.log_softmax(logits, dim=-1).gather(-1, levels).squeeze(-1).sum(dim=-1)

    def log_joint_over_q(self, x: Any, z: Tensor, mu: Tensor, logvar: Tensor) -> Tensor:
        r"""The log importance weight :math:`\log p(x \mid z) + \log p(z) - \log q(z \mid x)`.

        :math:`p(z) = \mathcal N(z; 0, I)` and
        :math:`q(z \mid x) = \mathcal N(z; \mu, \operatorname{diag} e^{\text{logvar}})`.

        Introduced in the chapter "The VAE's likelihood and the scoreboard".

        Parameters
        ----------
        x : LongTensor or array_like of shape (n_images, n_pixels)
            Levels ``0 .. n_levels - 1``.
        z : Tensor of shape (..., n_images, latent_dim)
            Codes (as in :meth:`decoder_log_prob`).
        mu, logvar : Tensor of shape (n_images, latent_dim)
            The parameters of :math:`q(z \mid x)` (as from :meth:`encode`); finite, of the
            model's dtype and device.

        Returns
        -------
        Tensor of shape (..., n_images)
            In nats.
        """
        x = self._check_images(x)
        n = x.shape[0]
        z = self._check_latent(z, "z", n, batched=True)
        mu = self._check_latent(mu, "mu", n, batched=False)
        logvar = self._check_latent(logvar, "logvar", n, batched=False)
        return self._log_joint_over_q(x, z, mu, logvar)

    def _log_joint_over_q(self, x: Tensor, z: Tensor, mu: Tensor, logvar: Tensor) -> Tensor:
        """:meth:`log_joint_over_q` without the checks."""
        # log p(x | z): the decoder's categorical pixels
        log_p_x_given_z = self._decoder_log_prob(x, z)
        # log p(z) = log N(z; 0, I)
        log_p_z = -0.5 * torch.sum(z**2 + _LOG_2PI, dim=-1)
        # log q(z | x) = log N(z; mu, diag sigma^2), sigma^2 = exp(logvar)
        log_q_z = -0.5 * torch.sum((z - mu) ** 2 / logvar.exp() + logvar + _LOG_2PI, dim=-1)
        return log_p_x_given_z + log_p_z - log_q_z

    def elbo(self, x: Any, *, generator: torch.Generator | None = None) -> Tensor:
        r"""The evidence lower bound, estimated with one reparameterised draw: the training loss.

        :math:`\log p(x \mid z) - \mathrm{KL}(q(z \mid x) \,\|\, \mathcal N(0, I))` with
        :math:`z = \mu + \sigma \odot \varepsilon`, :math:`\varepsilon \sim \mathcal N(0, I)`
        drawn as ``torch.randn((n_images, latent_dim))`` (the first draw of :meth:`iwae`
        with the same generator), and the KL in closed form. An unbiased estimate of the
        ELBO, differentiable in the weights.

        Introduced in the chapter "The VAE's likelihood and the scoreboard".

        Parameters
        ----------
        x : LongTensor or array_like of shape (n_images, n_pixels)
            Levels ``0 .. n_levels - 1``.
        generator : torch.Generator, optional
            The source of :math:`\varepsilon`, for reproducible estimates; the noise is drawn
            on its device (the CPU without one).

        Returns
        -------
        Tensor of shape (n_images,)
            In nats.
        """
        x = self._check_images(x)
        generator = self._check_generator(generator)
        mu, logvar = self.encode(x)  # q(z | x) = N(mu, diag sigma^2)
        z = mu + torch.exp(0.5 * logvar) * self._noise(mu.shape, generator)  # z ~ q(z | x)
        reconstruction = self._decoder_log_prob(x, z)  # log p(x | z): E_q[log p(x | z)], 1 draw
        kl = 0.5 * torch.sum(mu**2 + logvar.exp() - 1 - logvar, dim=-1)  # KL(q || N(0, I))
        return reconstruction - kl

    def iwae(
        self,
        x: Any,
        k: int,
        *,
        generator: torch.Generator | None = None,
        batch: int | None = None,
    ) -> Tensor:
        r"""The importance-weighted bound: :math:`\log \frac1k \sum_s p(x, z_s) / q(z_s \mid x)`.

        One estimate of :math:`\mathrm{IWAE}_k(x)` per image, with :math:`k` draws
        :math:`z_s \sim q(z \mid x)`; the weights are combined by log-sum-exp. Draw
        :math:`s` (from 1 to :math:`k`) is :math:`z_s = \mu + \sigma \odot \varepsilon_s`,
        with :math:`\varepsilon_s` the :math:`s`-th call ``torch.randn((n_images,
        latent_dim))`` on the generator, so the draws do not depend on ``batch`` (the
        estimate only by rounding: the sums are taken in another order), and with
        :math:`k = 1` it is the log weight of :meth:`elbo`'s draw.

        Introduced in the chapter "The VAE's likelihood and the scoreboard".

        Parameters
        ----------
        x : LongTensor or array_like of shape (n_images, n_pixels)
            Levels ``0 .. n_levels - 1``.
        k : int
            The number of draws per image, at least 1.
        generator : torch.Generator, optional
            The source of the draws; the noise is drawn on its device (the CPU without one).
        batch : int, optional
            How many draws to decode at once (at least 1); by default as many as fit in
            about 64 MiB of decoder outputs. Memory stays bounded whatever ``k``; a
            ``batch`` whose decoder outputs would exceed
            ``genlab._validation.MAX_OUTPUT_BYTES`` is refused.

        Returns
        -------
        Tensor of shape (n_images,)
            In nats.
        """
        x = self._check_images(x)
        k = check_size(k, "k", 1)
        generator = self._check_generator(generator)
        chunk = self._chunk_size(x.shape[0], k, batch)
        mu, logvar = self.encode(x)  # q(z | x) = N(mu, diag sigma^2)
        log_sum = torch.full_like(mu[:, 0], -math.inf)  # log sum_s p(x, z_s) / q(z_s | x)
        for start in range(0, k, chunk):
            eps = self._draws(min(chunk, k - start), mu.shape, generator)  # (draws, n, K)
            z = mu + torch.exp(0.5 * logvar) * eps  # z_s ~ q(z | x)
            log_w = self._log_joint_over_q(x, z, mu, logvar)  # log p(x, z_s) / q(z_s | x)
            log_sum = torch.logaddexp(log_sum, torch.logsumexp(log_w, dim=0))
        return log_sum - math.log(k)  # log (1/k) sum_s p(x, z_s) / q(z_s | x)

    def _chunk_size(self, n: int, k: int, batch: object) -> int:
        """The number of draws :meth:`iwae` decodes at once."""
        width = self.n_pixels * self.n_levels + self.hidden  # decoder outputs per code
        itemsize = self._weight.element_size()
        if batch is None:
            chunk = min(k, max(1, _CHUNK_BYTES // (3 * max(n, 1) * width * itemsize)))
            name = "x"
        else:
            chunk = min(k, check_size(batch, "batch", 1))
            name = "batch"
        check_output_size(
            (chunk, n, width),
            name=name,
            itemsize=itemsize,
            what=f"the decoder's outputs for {chunk} draw(s) of each of {n} image(s)",
        )
        return chunk

    def score_samples(
        self, X: ArrayLike, *, k: int = 1000, random_state: int = 0
    ) -> NDArray[np.float64]:
        r"""An estimate of :math:`\log P(x)` per image: :meth:`iwae` with ``k`` draws, in nats.

        Without gradients, as a float64 NumPy array (the yardstick's interface: it makes
        ``genlab.likelihood.discrete_bits_per_pixel`` work, giving an estimate that is an
        upper bound on the bits per pixel in expectation).

        Introduced in the chapter "The VAE's likelihood and the scoreboard".

        Parameters
        ----------
        X : array_like of shape (n_images, n_pixels)
            Levels ``0 .. n_levels - 1``.
        k : int, default 1000
            Importance samples per image, at least 1.
        random_state : int, default 0
            Seeds the draws (a fresh CPU generator), 0 to 2**63 - 1.

        Returns
        -------
        ndarray of float64, shape (n_images,)
        """
        seed = check_size(random_state, "random_state", 0)
        if seed >= 2**63:
            raise ValueError(f"random_state must be below 2**63; got {seed}")
        x = self._check_images(X, "X")
        generator = torch.Generator().manual_seed(seed)
        with torch.no_grad():
            log_p = self.iwae(x, k, generator=generator)
        return np.asarray(log_p.double().cpu().numpy(), dtype=np.float64)

    @torch.no_grad()
    def sample(self, n: int, *, generator: torch.Generator | None = None) -> Tensor:
        r"""Draw ``n`` images: :math:`z \sim \mathcal N(0, I)`, then every pixel from its softmax.

        The codes and the levels are drawn on the generator's device (the CPU without one).

        Introduced in the chapter "The VAE's likelihood and the scoreboard".

        Parameters
        ----------
        n : int
            At least 1; refused if the pixels' probabilities would need more than
            ``genlab._validation.MAX_OUTPUT_BYTES``.
        generator : torch.Generator, optional
            The source of randomness, for reproducible samples.

        Returns
        -------
        LongTensor of shape (n, n_pixels)
        """
        n = check_size(n, "n", 1)
        check_output_size((n, self.n_pixels * self.n_levels), name="n", what="the samples")
        generator = self._check_generator(generator)
        z = self._noise((n, self.latent_dim), generator)  # z ~ N(0, I)
        logits = self.decoder(z).view(n * self.n_pixels, self.n_levels)
        where = generator.device if generator is not None else torch.device("cpu")
        probs = torch.softmax(logits, dim=-1).to(where)
        x = torch.multinomial(probs, 1, generator=generator)  # x_d ~ Categorical(softmax)
        return x.view(n, self.n_pixels).to(self._weight.device)


def train_categorical_vae(
    model: CategoricalVAE,
    X: ArrayLike,
    *,
    X_val: ArrayLike | None = None,
    epochs: int = 50,
    batch_size: int = 64,
    lr: float = 1e-3,
    weight_decay: float = 0.0,
    seed: int = 0,
    progress: bool = True,
    patience: int | None = None,
) -> dict[str, Any]:
    """Fit a CategoricalVAE with Adam by maximising the ELBO: mean negative ELBO per image.

    The contract of ``genlab.autoregressive.train_made`` (the same loop): each epoch
    shuffles the images with a generator seeded by ``seed``, which also draws each batch's
    noise (:meth:`CategoricalVAE.elbo`, one draw per image), so two runs with the same
    seed and initial weights give the same weights. A NaN or infinite loss or weight stops
    training with a ValueError (lower ``lr``). With ``X_val``, the validation loss after
    every epoch is the mean negative ELBO of the validation images with noise from a
    generator seeded by ``seed`` afresh each time (the same draws every epoch, so epochs
    are compared on the same noise), and the weights of the best epoch are restored.

    Introduced in the chapter "The VAE's likelihood and the scoreboard".

    Parameters
    ----------
    model : CategoricalVAE
    X : array_like of shape (n_images, n_pixels)
        Integer levels.
    X_val : array_like of shape (n_val, n_pixels), optional
        Validation images; at least one.
    epochs, batch_size : int
        At least 1.
    lr : float
        Finite and > 0.
    weight_decay : float
        Adam's L2 penalty, finite and >= 0.
    seed : int
        Seeds the shuffling and the noise, 0 to 2**63 - 1.
    progress : bool
        A tqdm bar of the epochs (``TQDM_DISABLE=1`` turns it off).
    patience : int, optional
        With ``X_val``: stop once the validation loss has not improved for ``patience``
        epochs in a row (at least 1); the weights kept are still those of the best epoch.
        ``None`` (default) runs all ``epochs``.

    Returns
    -------
    dict
        ``"loss"``: the training loss (mean negative ELBO in nats per image during the
        epoch) of each epoch; with ``X_val`` also ``"val_loss"`` (the validation negative
        ELBO after each epoch) and ``"best_epoch"`` (1-based, the epoch whose weights the
        model holds). The lists are shorter than ``epochs`` when ``patience`` stopped the
        training.
    """
    if not isinstance(model, CategoricalVAE):
        raise ValueError(
            f"model must be a genlab.discrete_vae.CategoricalVAE; got {type(model).__name__}"
        )
    x = model._check_images(X, "X")
    x_val = None if X_val is None else model._check_images(X_val, "X_val")

    def val_nll(images: Tensor) -> Tensor:
        fixed = torch.Generator().manual_seed(int(seed))  # the same noise every epoch
        return -model.elbo(images, generator=fixed).mean()

    return fit_by_likelihood(
        model,
        x,
        x_val,
        lambda batch, g: -model.elbo(batch, generator=g).mean(),
        val_nll,
        epochs=epochs,
        batch_size=batch_size,
        lr=lr,
        weight_decay=weight_decay,
        seed=seed,
        progress=progress,
        patience=patience,
        desc="CategoricalVAE",
    )
