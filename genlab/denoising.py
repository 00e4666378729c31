r"""The denoising autoencoder: learning to undo corruption (Vincent et al., 2008).

An autoencoder trained to copy its input can learn little more than the identity. A
*denoising* autoencoder is given a corrupted image :math:`\tilde x \sim C(\tilde x \mid x)`
and trained to reconstruct the *clean* one, here with the Bernoulli negative
log-likelihood of ``genlab.vae``:

.. math::

    \mathcal L = \mathbb E_{x}\, \mathbb E_{\tilde x \sim C(\cdot \mid x)}
      \Bigl[-\sum_i x_i \log r_i(\tilde x) + (1 - x_i) \log(1 - r_i(\tilde x))\Bigr],
    \qquad r(\tilde x) = \operatorname{sigmoid}(\text{decoder}(\text{encoder}(\tilde x))).

To undo the corruption the network must know where clean images lie: it learns to map
points off the data's manifold back onto it, which a plain autoencoder is never asked to
do. Two corruptions are provided by :func:`corrupt`: additive Gaussian noise (clipped to
the pixel range), :math:`\tilde x = \operatorname{clip}(x + \sigma \varepsilon, 0, 1)`,
and masking noise, which sets each pixel to 0 independently with probability :math:`p`
(Vincent et al.'s "destruction" of a fraction of the input).

**The score connection.** For small Gaussian noise (and a squared-error loss) the optimal
denoiser is the posterior mean :math:`\mathbb E[x \mid \tilde x]`, and by Tweedie's formula
:math:`\mathbb E[x \mid \tilde x] - \tilde x = \sigma^2 \nabla_{\tilde x} \log
p_\sigma(\tilde x)`: the denoiser's residual is :math:`\sigma^2` times the score of the
noise-smoothed data density (Vincent, 2011, "A connection between score matching and
denoising autoencoders"). Denoising at many noise levels is how the diffusion models of
the book's diffusion chapter learn their scores.

**What the book measures.** :func:`denoising_error`, the mean squared error per pixel
between the model's reconstruction of a corrupted image and the clean image, against the
corruption level; for a denoising autoencoder, for a plain autoencoder of the same shape
trained with the same loop (``kind=None``), and for the trivial denoiser that returns its
noisy input unchanged (:func:`noisy_input_error`), which any useful denoiser must beat.

The model is ``genlab.vae.Autoencoder``, unchanged: its ``forward`` returns the decoder's
logits.

Import it explicitly (``from genlab import denoising``): it loads PyTorch.

Introduced in the chapter "Two levels of latents, and denoising, on MNIST".
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
from numpy.typing import ArrayLike
from torch import Tensor
from tqdm.auto import tqdm

from genlab._training import check_rate, check_size
from genlab._validation import check_array
from genlab.vae import Autoencoder, _as_training_data

__all__ = [
    "corrupt",
    "denoising_error",
    "noisy_input_error",
    "train_denoising_autoencoder",
]

_KINDS = ("gaussian", "mask")


# ------------------------------------------------------------------ checks
def _check_kind(kind: object, *, allow_none: bool) -> str | None:
    if kind is None and allow_none:
        return None
    if not isinstance(kind, str) or kind not in _KINDS:
        allowed = "'gaussian', 'mask'" + (" or None" if allow_none else "")
        raise ValueError(f"kind must be one of {allowed}; got {kind!r}")
    return kind


def _check_level(level: object, kind: str | None) -> float:
    """A finite level >= 0 (at most 1 for a mask; exactly 0 without corruption)."""
    ok = isinstance(level, numbers.Real) and not isinstance(level, (bool, np.bool_))
    if not ok or not math.isfinite(float(level)):  # type: ignore[arg-type]
        raise ValueError(f"level must be a finite number >= 0; got {level!r}")
    value = float(level)  # type: ignore[arg-type]
    if value < 0:
        raise ValueError(f"level must be a finite number >= 0; got {level!r}")
    if kind == "mask" and value > 1:
        raise ValueError(
            f"level must lie in [0, 1] for kind='mask' (a probability of masking); got {level!r}"
        )
    if kind is None and value != 0:
        raise ValueError(
            f"level must be 0 when kind is None (no corruption); got {level!r}: give a kind"
        )
    return value


def _check_generator(generator: object) -> torch.Generator | None:
    if generator is not None and not isinstance(generator, torch.Generator):
        raise ValueError(
            f"generator must be a torch.Generator or None; got {type(generator).__name__}"
        )
    return generator


def _check_images(x: object, name: str = "x") -> Tensor:
    """A non-empty floating-point tensor of any shape, finite, with values in [0, 1]."""
    if not isinstance(x, Tensor):
        raise ValueError(f"{name} must be a torch.Tensor; got {type(x).__name__}")
    if not x.is_floating_point():
        raise ValueError(
            f"{name} must hold floating-point numbers; got dtype {x.dtype} (convert it with "
            f"{name}.float())"
        )
    if x.numel() == 0:
        raise ValueError(f"{name} is empty (shape {tuple(x.shape)})")
    if not bool(torch.isfinite(x).all()):
        raise ValueError(f"{name} contains NaN or infinity")
    lo, hi = torch.aminmax(x)
    if lo < 0 or hi > 1:
        raise ValueError(
            f"{name} must lie in [0, 1] (pixel intensities); its values range from "
            f"{float(lo):g} to {float(hi):g}"
        )
    return x


def _check_model(model: object) -> Autoencoder:
    if not isinstance(model, Autoencoder):
        raise ValueError(f"model must be a genlab.vae.Autoencoder; got {type(model).__name__}")
    return model


def _check_seed(seed: object) -> int:
    value = check_size(seed, "seed", 0)
    if value >= 2**64:
        raise ValueError(f"seed must be below 2**64; got {value}")
    return value


def _model_data(model: Autoencoder, X: object) -> Tensor:
    """``X`` checked and converted to the model's dtype and device."""
    weight = next(model.parameters())
    return _as_training_data(X, model.config.input_dim, weight.device, weight.dtype)


# ------------------------------------------------------------------ corruption
def corrupt(
    x: Tensor, kind: str, level: float, generator: torch.Generator | None = None
) -> Tensor:
    r"""A corrupted copy of images: Gaussian noise or masking noise.

    * ``"gaussian"``: :math:`\operatorname{clip}(x + \text{level}\cdot\varepsilon, 0, 1)`,
      :math:`\varepsilon` the generator's ``torch.randn(x.shape, dtype=x.dtype)``;
    * ``"mask"``: each pixel set to 0 independently with probability ``level``, the pixels
      where the generator's ``torch.rand(x.shape, dtype=x.dtype)`` is below ``level``;
      the others are left exactly as they were.

    With ``level == 0`` the result is an unchanged copy and nothing is drawn. The noise is
    drawn on the generator's device (the CPU without one) and moved to ``x``'s.

    Introduced in the chapter "Two levels of latents, and denoising, on MNIST".

    Parameters
    ----------
    x : Tensor of any shape, e.g. (n_images, n_pixels)
        Floating-point pixel intensities in [0, 1], finite, not empty.
    kind : {"gaussian", "mask"}
    level : float
        The noise's standard deviation (``"gaussian"``, finite and >= 0) or the
        probability of masking a pixel (``"mask"``, in [0, 1]).
    generator : torch.Generator, optional
        The source of the noise, for reproducible corruption.

    Returns
    -------
    Tensor of the shape, dtype and device of ``x``
        Values in [0, 1].
    """
    x = _check_images(x)
    kind_ = _check_kind(kind, allow_none=False)
    assert kind_ is not None
    value = _check_level(level, kind_)
    return _corrupt(x, kind_, value, _check_generator(generator))


def _corrupt(
    x: Tensor, kind: str | None, level: float, generator: torch.Generator | None
) -> Tensor:
    """:func:`corrupt` without the checks (the training loop's); ``kind=None``: a copy."""
    if kind is None or level == 0:
        return x.clone()
    where = generator.device if generator is not None else torch.device("cpu")
    if kind == "gaussian":
        eps = torch.randn(x.shape, generator=generator, dtype=x.dtype, device=where)
        return torch.clamp(x + level * eps.to(x.device), 0.0, 1.0)
    u = torch.rand(x.shape, generator=generator, dtype=x.dtype, device=where)
    dropped = u.to(x.device) < level  # each pixel with probability `level`
    return torch.where(dropped, torch.zeros_like(x), x)


# ------------------------------------------------------------------ training
def _denoising_loss(model: Autoencoder, clean: Tensor, noisy: Tensor) -> Tensor:
    r"""Mean over images of :math:`-\log p(\text{clean} \mid \text{model}(\text{noisy}))`."""
    logits = model.decoder(model.encoder(noisy))
    return F.binary_cross_entropy_with_logits(logits, clean, reduction="none").sum(-1).mean()


def train_denoising_autoencoder(
    model: Autoencoder,
    X: Tensor | ArrayLike,
    *,
    kind: str | None,
    level: float = 0.0,
    epochs: int,
    batch_size: int = 128,
    lr: float = 1e-3,
    seed: int = 0,
    progress: bool = True,
) -> dict[str, list[float]]:
    r"""Train an Autoencoder to reconstruct clean images from corrupted ones, with Adam.

    Each epoch shuffles the images with a CPU generator seeded by ``seed``; every batch
    is corrupted afresh by :func:`corrupt` with the same generator (its draws follow the
    shuffle's), and the loss is the Bernoulli negative log-likelihood of the *clean*
    batch given the model's logits for the corrupted one, summed over pixels and averaged
    over images. ``kind=None`` trains a plain autoencoder with the same loop (no
    corruption, nothing drawn beyond the shuffle): it then takes the same steps as
    ``genlab.vae.train`` on the same model and seed. A NaN or infinite loss or weight
    after an epoch stops training with a ValueError naming the epoch (lower ``lr``).

    Introduced in the chapter "Two levels of latents, and denoising, on MNIST".

    Parameters
    ----------
    model : genlab.vae.Autoencoder
        With finite weights; trained in place, on its own device and dtype.
    X : Tensor or array_like of shape (n_images, input_dim)
        Clean images in [0, 1], at least one.
    kind : {"gaussian", "mask"} or None
        The corruption; None for a plain autoencoder.
    level : float, default 0.0
        The corruption's level (see :func:`corrupt`); 0 with ``kind=None``.
    epochs : int
        At least 1.
    batch_size : int, default 128
        At least 1 (the last batch of an epoch may be smaller).
    lr : float, default 1e-3
        Adam's learning rate, finite and > 0.
    seed : int, default 0
        Seeds the shuffling and the corruption, 0 to 2**64 - 1.
    progress : bool, default True
        A tqdm bar of the epochs (``TQDM_DISABLE=1`` turns it off).

    Returns
    -------
    dict
        ``"loss"``: per epoch, the mean over its batches (weighted by batch size) of the
        loss, in nats per image, each with the weights before the batch's update.
    """
    _check_model(model)
    kind_ = _check_kind(kind, allow_none=True)
    value = _check_level(level, kind_)
    n_epochs = check_size(epochs, "epochs", 1)
    size = check_size(batch_size, "batch_size", 1)
    rate = check_rate(lr, "lr", positive=True)
    seed_ = _check_seed(seed)
    if not isinstance(progress, (bool, np.bool_)):
        raise ValueError(f"progress must be True or False; got {progress!r}")
    if any(not bool(torch.isfinite(p).all()) for p in model.parameters()):
        raise ValueError(
            "the model's weights hold NaN or infinity before training (a diverged earlier "
            "run?); build the model again"
        )
    data = _model_data(model, X)
    generator = torch.Generator().manual_seed(seed_)
    optimiser = torch.optim.Adam(model.parameters(), lr=rate, fused=True)
    history: list[float] = []
    model.train()
    # Without an explicit ``disable``, tqdm reads TQDM_DISABLE from the environment.
    bar_options: dict[str, Any] = {} if progress else {"disable": True}
    desc = "autoencoder" if kind_ is None else f"denoising ({kind_}, {value:g})"
    for epoch in tqdm(range(n_epochs), desc=desc, unit="epoch", **bar_options):
        order = torch.randperm(data.shape[0], generator=generator).to(data.device)
        total = torch.zeros((), dtype=torch.float64)
        for start in range(0, data.shape[0], size):
            clean = data[order[start : start + size]]
            noisy = _corrupt(clean, kind_, value, generator)  # a fresh corruption
            loss = _denoising_loss(model, clean, noisy)
            optimiser.zero_grad()
            loss.backward()  # type: ignore[no-untyped-call]
            optimiser.step()
            total += clean.shape[0] * loss.detach().to("cpu", torch.float64)
        history.append(float(total) / data.shape[0])
        bad = not math.isfinite(history[-1]) or any(
            not bool(torch.isfinite(p).all()) for p in model.parameters()
        )
        if bad:
            raise ValueError(
                f"training diverged at epoch {epoch + 1}: the loss or the weights are NaN or "
                f"infinite; lower lr (now {lr})"
            )
    model.eval()
    return {"loss": history}


# ------------------------------------------------------------------ evaluation
@torch.no_grad()
def denoising_error(
    model: Autoencoder,
    X: Tensor | ArrayLike,
    kind: str,
    level: float,
    generator: torch.Generator | None = None,
) -> float:
    r"""Mean squared error per pixel of the model's reconstruction of corrupted images.

    :math:`\frac{1}{nD} \sum_{i,d} (\operatorname{sigmoid}(\text{model}(\tilde x_i))_d
    - x_{id})^2`, where :math:`\tilde x` is ``corrupt(X, kind, level, generator)`` (see
    :func:`corrupt`) and ``model`` returns logits; computed without gradients, in the
    model's dtype.

    Introduced in the chapter "Two levels of latents, and denoising, on MNIST".

    Parameters
    ----------
    model : genlab.vae.Autoencoder
    X : Tensor or array_like of shape (n_images, input_dim)
        Clean images in [0, 1], at least one.
    kind : {"gaussian", "mask"}
    level : float
        As in :func:`corrupt`; 0 measures the plain reconstruction error.
    generator : torch.Generator, optional
        The source of the corruption (PyTorch's global one without it).

    Returns
    -------
    float
    """
    _check_model(model)
    kind_ = _check_kind(kind, allow_none=False)
    value = _check_level(level, kind_)
    generator = _check_generator(generator)
    clean = _model_data(model, X)
    noisy = _corrupt(clean, kind_, value, generator)
    reconstruction = torch.sigmoid(model(noisy))  # the model returns logits
    return float(torch.mean((reconstruction - clean) ** 2))


@torch.no_grad()
def noisy_input_error(
    X: Tensor | ArrayLike,
    kind: str,
    level: float,
    generator: torch.Generator | None = None,
) -> float:
    r"""The trivial baseline: the mean squared error per pixel of the corrupted images.

    :math:`\frac{1}{nD} \sum_{i,d} (\tilde x_{id} - x_{id})^2`, the error of a "denoiser"
    that returns its input; a denoiser is only useful below it. A floating-point tensor
    keeps its dtype (pass the model's, e.g. float32, to draw the same noise as
    :func:`denoising_error` with an equally seeded generator); anything else is converted
    to float32.

    Introduced in the chapter "Two levels of latents, and denoising, on MNIST".

    Parameters
    ----------
    X : Tensor or array_like of shape (n_images, n_pixels)
        Clean images in [0, 1], at least one.
    kind : {"gaussian", "mask"}
    level : float
        As in :func:`corrupt`.
    generator : torch.Generator, optional

    Returns
    -------
    float
    """
    kind_ = _check_kind(kind, allow_none=False)
    assert kind_ is not None
    value = _check_level(level, kind_)
    generator = _check_generator(generator)
    if isinstance(X, Tensor) and X.is_floating_point():
        device, dtype = X.device, X.dtype
    else:
        device, dtype = torch.device("cpu"), torch.float32
    values = check_array(X.detach().cpu() if isinstance(X, Tensor) else X, name="X")
    clean = _as_training_data(values, values.shape[1], device, dtype)
    noisy = _corrupt(clean, kind_, value, generator)
    return float(torch.mean((noisy - clean) ** 2))
