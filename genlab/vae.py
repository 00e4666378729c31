r"""Autoencoders and variational autoencoders (VAE, beta-VAE, conditional VAE) in PyTorch.

A VAE (Kingma & Welling, 2014) is a latent-variable model :math:`p_\theta(x, z) =
p(z)\, p_\theta(x \mid z)` with a standard normal prior :math:`p(z) = \mathcal N(0, I)` and a
neural decoder. An encoder network approximates the posterior with
:math:`q_\phi(z \mid x) = \mathcal N(\mu_\phi(x), \operatorname{diag}\sigma^2_\phi(x))`, and
both are trained by maximising the evidence lower bound

.. math::

    \mathrm{ELBO}(x) = \mathbb E_{q_\phi(z \mid x)}[\log p_\theta(x \mid z)]
      - \mathrm{KL}\bigl(q_\phi(z \mid x) \,\|\, p(z)\bigr) \;\le\; \log p_\theta(x).

Sampling :math:`z = \mu + \sigma \odot \varepsilon` with :math:`\varepsilon \sim \mathcal N(0, I)`
(the reparameterisation trick) makes the expectation differentiable. The KL term to the
standard normal has the closed form
:math:`\tfrac12 \sum_j (\mu_j^2 + \sigma_j^2 - 1 - \log \sigma_j^2)`.

**Normalisation used throughout:** every loss is a sum over the dimensions of one example
(pixels for the reconstruction, latent dimensions for the KL) and a mean over the examples of
a batch. Mixing a per-pixel *mean* reconstruction error with a per-example *sum* KL, as some
texts do, weighs the KL hundreds of times too strongly.

The default architecture, ``VAE(input_dim=784, hidden_dim=400, latent_dim=2)``, has exactly
the layer shapes of the taxonomy document's MNIST example (784 -> 400 -> (mu, log sigma^2) of
dimension 2 -> 400 -> 784).

Introduced in the book's chapter "Autoencoders and variational autoencoders"
(``book/vae/vae.ipynb``).
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import numbers
import os
import pickle
import zipfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

try:
    import torch
except ModuleNotFoundError as exc:  # torch is genlab's "deep" extra
    from genlab._optional import torch_missing

    raise torch_missing(__name__) from exc
import torch.nn.functional as F
from numpy.typing import ArrayLike
from torch import Tensor, nn

from genlab._base import Interval, Options, validate_params
from genlab._validation import (
    InvalidInputError,
    check_array,
    check_output_size,
    missing_file,
)
from genlab.datasets import read_idx  # re-exported: it lived here before genlab.datasets

__all__ = [
    "VAE",
    "Autoencoder",
    "ConditionalVAE",
    "bernoulli_nll",
    "gaussian_nll",
    "kl_divergence",
    "load_checkpoint",
    "negative_elbo",
    "parameter_count",
    "read_idx",
    "save_checkpoint",
    "train",
]

_POSITIVE_INT = Interval(numbers.Integral, 1, None)
_FINITE_POSITIVE = Interval(numbers.Real, 0, math.inf, closed="neither")
_FINITE_NONNEGATIVE = Interval(numbers.Real, 0, math.inf, closed="left")
_LIKELIHOODS = Options({"bernoulli", "gaussian"})


# --------------------------------------------------------------------- checks
def _check_finite(t: Tensor, name: str) -> None:
    if not torch.isfinite(t).all():
        n_nan = int(torch.isnan(t).sum())
        n_inf = int(torch.isinf(t).sum())
        raise ValueError(
            f"{name} contains NaN or infinity ({n_nan} NaN, {n_inf} infinite value(s)); "
            "remove or impute them first"
        )


def _check_tensor(
    t: object,
    name: str,
    *,
    columns: int | None = None,
    like: Tensor | None = None,
    finite: bool = True,
) -> Tensor:
    """Check that ``t`` is a non-empty 2-D floating-point tensor, finite by default.

    ``columns``: the required number of columns; ``like``: a weight of the model, whose
    dtype and device ``t`` must have.
    """
    if not isinstance(t, Tensor):
        raise InvalidInputError(
            f"{name} must be a torch.Tensor; got {type(t).__name__} (convert it with "
            "torch.as_tensor(..., dtype=torch.float32))"
        )
    if not t.is_floating_point():
        raise InvalidInputError(
            f"{name} must hold floating-point numbers; got dtype {t.dtype} (convert it with "
            f"{name}.float())"
        )
    shape = f"(batch, {columns})" if columns is not None else "(batch, n)"
    if t.ndim != 2 or (columns is not None and t.shape[1] != columns):
        raise ValueError(f"{name} must have shape {shape}; got {tuple(t.shape)}")
    if t.numel() == 0:
        raise ValueError(f"{name} is empty (shape {tuple(t.shape)}); it needs at least one row")
    if like is not None:
        if t.dtype != like.dtype:
            raise InvalidInputError(
                f"{name} has dtype {t.dtype} but the model's weights are {like.dtype}; convert "
                f"it with {name}.to({like.dtype}) (or the model with model.to(...))"
            )
        if t.device != like.device:
            raise ValueError(
                f"{name} is on the device {t.device} but the model is on {like.device}; move "
                f"it with {name}.to({str(like.device)!r})"
            )
    if finite:
        _check_finite(t, name)
    return t


def _check_unit_interval(t: Tensor, name: str) -> None:
    """Values in [0, 1]: the Bernoulli decoder's targets (pixel intensities)."""
    lo, hi = torch.aminmax(t)
    if lo < 0 or hi > 1:
        raise ValueError(
            f"{name} must lie in [0, 1] (Bernoulli decoder); its values range from "
            f"{float(lo):g} to {float(hi):g}: rescale the data first (e.g. divide by the "
            "largest possible pixel value)"
        )


def _check_model_size(
    kind: str, input_dim: int, hidden_dim: int, latent_dim: int, n_classes: int
) -> None:
    """Refuse layer sizes whose weights would exceed ``MAX_OUTPUT_BYTES``, before building.

    The weights of both the VAE's layers (``fc1``, ``fc_mu``, ``fc_logvar``, ``fc3``,
    ``fc4``, the label's one-hot code entering ``fc1`` and ``fc3``) and the Autoencoder's
    (four layers), in PyTorch's default dtype: otherwise ``VAE(input_dim=10**9)`` ends in
    an allocator error (or in swapping) instead of a message.
    """
    c = n_classes
    latent_layers = (2 if kind != "Autoencoder" else 1) * (hidden_dim + 1) * latent_dim
    n_weights = (
        (input_dim + c + 1) * hidden_dim  # first encoder layer
        + latent_layers  # mu and logvar (one code layer for an Autoencoder)
        + (latent_dim + c + 1) * hidden_dim  # first decoder layer
        + (hidden_dim + 1) * input_dim  # output layer
    )
    sizes = f"input_dim={input_dim}, hidden_dim={hidden_dim}, latent_dim={latent_dim}"
    check_output_size(
        (n_weights,),
        name=f"{kind}({f'n_classes={c}, ' if c else ''}{sizes})",
        itemsize=torch.empty((), dtype=torch.get_default_dtype()).element_size(),
        what=f"its {n_weights} weights",
    )


def _weight(layers: nn.Sequential) -> Tensor:
    """The weight of the first layer (its dtype and device are the model's)."""
    first = layers[0]
    assert isinstance(first, nn.Linear)
    return first.weight


def _first_nonfinite_parameter(model: nn.Module) -> str | None:
    """The name of the first parameter holding NaN or infinity, or None."""
    for name, p in model.named_parameters():
        if not torch.isfinite(p).all():
            return name
    return None


# --------------------------------------------------------------------- losses
def kl_divergence(mu: Tensor, logvar: Tensor) -> Tensor:
    r"""KL divergence of a diagonal Gaussian from the standard normal, per example.

    The divergence of :math:`\mathcal N(\mu, \operatorname{diag} e^{\text{logvar}})` from
    :math:`\mathcal N(0, I)`:

    .. math::

        \mathrm{KL} = -\tfrac12 \sum_j \bigl(1 + \log\sigma_j^2 - \mu_j^2 - \sigma_j^2\bigr)

    Introduced in the chapter "Autoencoders and variational autoencoders".

    Parameters
    ----------
    mu, logvar : Tensor of shape (batch, latent_dim)
        Finite, floating point.

    Returns
    -------
    Tensor of shape (batch,)
        Summed over the latent dimensions (nats).
    """
    _check_tensor(mu, "mu")
    _check_tensor(logvar, "logvar")
    if mu.shape != logvar.shape:
        raise ValueError(
            f"mu and logvar shapes differ: {tuple(mu.shape)} vs {tuple(logvar.shape)}"
        )
    return _kl_divergence(mu, logvar)


def _kl_divergence(mu: Tensor, logvar: Tensor) -> Tensor:
    """:func:`kl_divergence` without the input checks (the training loop's)."""
    return -0.5 * torch.sum(1.0 + logvar - mu.pow(2) - logvar.exp(), dim=-1)


def _bernoulli_nll(logits: Tensor, x: Tensor) -> Tensor:
    return F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(dim=-1)


def _check_pair(output: Tensor, x: Tensor, output_name: str, *, bernoulli: bool) -> None:
    """Decoder outputs and targets: finite tensors of one shape (targets in [0, 1])."""
    _check_tensor(x, "x")
    _check_tensor(output, output_name)
    if output.shape != x.shape:
        raise ValueError(
            f"{output_name} and x shapes differ: {tuple(output.shape)} vs {tuple(x.shape)}"
        )
    if output.dtype != x.dtype:
        raise InvalidInputError(f"{output_name} and x dtypes differ: {output.dtype} vs {x.dtype}")
    if bernoulli:
        _check_unit_interval(x, "x (the Bernoulli targets)")


def bernoulli_nll(logits: Tensor, x: Tensor) -> Tensor:
    r"""Bernoulli negative log-likelihood (binary cross-entropy) from logits, per example.

    :math:`-\sum_i [x_i \log \hat x_i + (1 - x_i) \log(1 - \hat x_i)]` with
    :math:`\hat x = \operatorname{sigmoid}(\text{logits})`, computed from the logits so that
    it never takes the log of 0. Targets may be grey levels in [0, 1].

    Introduced in the chapter "Autoencoders and variational autoencoders".

    Parameters
    ----------
    logits : Tensor of shape (batch, input_dim)
        Finite.
    x : Tensor of shape (batch, input_dim)
        Targets in [0, 1].

    Returns
    -------
    Tensor of shape (batch,)
        Summed over pixels (nats).
    """
    _check_pair(logits, x, "logits", bernoulli=True)
    return _bernoulli_nll(logits, x)


def gaussian_nll(reconstruction: Tensor, x: Tensor) -> Tensor:
    r"""Sum of squared errors per example, :math:`\sum_i (x_i - \hat x_i)^2`.

    This is :math:`-2\log p(x \mid z)` of a unit-variance Gaussian decoder up to a constant;
    it is the "MSE" reconstruction loss *summed* over pixels (not averaged).

    Introduced in the chapter "Autoencoders and variational autoencoders".

    Parameters
    ----------
    reconstruction, x : Tensor of shape (batch, input_dim)
        Finite.

    Returns
    -------
    Tensor of shape (batch,)
    """
    _check_pair(reconstruction, x, "reconstruction", bernoulli=False)
    return (x - reconstruction).pow(2).sum(dim=-1)


_NEGATIVE_ELBO_CONSTRAINTS: dict[str, list[Any]] = {
    "beta": [_FINITE_NONNEGATIVE],
    "likelihood": [_LIKELIHOODS],
}


def negative_elbo(
    output: Tensor,
    x: Tensor,
    mu: Tensor,
    logvar: Tensor,
    *,
    beta: float = 1.0,
    likelihood: str = "bernoulli",
) -> tuple[Tensor, Tensor, Tensor]:
    r"""The loss of a (beta-)VAE: reconstruction + beta * KL, averaged over the batch.

    :func:`train` minimises exactly this function (its unchecked core, with the inputs
    validated once before training).

    Introduced in the chapter "Autoencoders and variational autoencoders".

    Parameters
    ----------
    output : Tensor of shape (batch, input_dim)
        Decoder logits ("bernoulli") or reconstructions ("gaussian").
    x : Tensor of shape (batch, input_dim)
        Targets; in [0, 1] for "bernoulli".
    mu, logvar : Tensor of shape (batch, latent_dim)
    beta : float, default 1.0
        Weight of the KL term, finite and >= 0; larger values give a beta-VAE. With the
        Bernoulli likelihood, 1 gives the negative ELBO. With "gaussian" the reconstruction
        term is the sum of squared errors, which is :math:`-\log p(x \mid z)` (up to a
        constant) of a Gaussian decoder with variance 1/2; for a unit-variance decoder
        halve it, or equivalently use ``beta=2``.
    likelihood : {"bernoulli", "gaussian"}

    Returns
    -------
    loss, reconstruction, kl : Tensor (scalars)
        Means over the batch of the per-example sums.
    """
    validate_params(
        _NEGATIVE_ELBO_CONSTRAINTS, {"beta": beta, "likelihood": likelihood}, "negative_elbo"
    )
    _check_pair(output, x, "output", bernoulli=likelihood == "bernoulli")
    _check_tensor(mu, "mu")
    _check_tensor(logvar, "logvar")
    if mu.shape != logvar.shape or mu.shape[0] != x.shape[0]:
        raise ValueError(
            f"mu and logvar must have shape (batch, latent_dim) with the batch of x "
            f"({x.shape[0]}); got {tuple(mu.shape)} and {tuple(logvar.shape)}"
        )
    return _negative_elbo(output, x, mu, logvar, beta=float(beta), likelihood=likelihood)


def _negative_elbo(
    output: Tensor,
    x: Tensor,
    mu: Tensor,
    logvar: Tensor,
    *,
    beta: float,
    likelihood: str = "bernoulli",
) -> tuple[Tensor, Tensor, Tensor]:
    """:func:`negative_elbo` without the input checks: the training loop's loss."""
    if likelihood == "bernoulli":
        recon = _bernoulli_nll(output, x)
    else:
        recon = (x - output).pow(2).sum(dim=-1)
    kl = _kl_divergence(mu, logvar)
    return (recon + beta * kl).mean(), recon.mean(), kl.mean()


# --------------------------------------------------------------------- models
@dataclass(frozen=True)
class _Config:
    kind: str
    input_dim: int
    hidden_dim: int
    latent_dim: int
    n_classes: int


#: The layer widths of every model: positive integers (booleans excluded).
_DIM_CONSTRAINTS: dict[str, list[Any]] = {
    "input_dim": [_POSITIVE_INT],
    "hidden_dim": [_POSITIVE_INT],
    "latent_dim": [_POSITIVE_INT],
}
_SAMPLE_CONSTRAINTS: dict[str, list[Any]] = {
    "n": [_POSITIVE_INT],
    "generator": [torch.Generator, None],
}
_INTERPOLATE_CONSTRAINTS: dict[str, list[Any]] = {
    "steps": [Interval(numbers.Integral, 2, None)],
}


def _check_labels(y: object, n: int, n_classes: int) -> Tensor:
    """One integer label in 0..n_classes-1 per example, as an int64 tensor of shape (n,)."""
    allowed = f"integer labels 0..{n_classes - 1}"
    try:
        labels = y if isinstance(y, Tensor) else torch.as_tensor(np.asarray(y))
    except (TypeError, ValueError, RuntimeError) as exc:
        raise InvalidInputError(f"y must hold {allowed}; {exc}") from None
    if labels.dtype == torch.bool or labels.is_floating_point() or labels.is_complex():
        raise InvalidInputError(f"y must hold {allowed}; got dtype {labels.dtype}")
    if labels.ndim != 1 or labels.shape[0] != n:
        raise ValueError(
            f"y must have shape ({n},), one label per example; got shape {tuple(labels.shape)}"
        )
    labels = labels.detach().to(torch.int64)
    if n:
        lo, hi = int(labels.min()), int(labels.max())
        if lo < 0 or hi >= n_classes:
            raise ValueError(
                f"labels must lie in 0..{n_classes - 1} (n_classes={n_classes}); got values "
                f"from {lo} to {hi}"
            )
    return labels


class Autoencoder(nn.Module):
    """A plain (deterministic) autoencoder: input -> hidden -> code -> hidden -> output.

    Introduced in the chapter "Autoencoders and variational autoencoders".

    Parameters
    ----------
    input_dim, hidden_dim, latent_dim : int
        Layer widths, positive integers (defaults 784, 400, 2: the source's MNIST shapes).
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = dict(_DIM_CONSTRAINTS)

    def __init__(self, input_dim: int = 784, hidden_dim: int = 400, latent_dim: int = 2) -> None:
        validate_params(
            Autoencoder._parameter_constraints,
            {"input_dim": input_dim, "hidden_dim": hidden_dim, "latent_dim": latent_dim},
            type(self).__name__,
        )
        input_dim, hidden_dim, latent_dim = int(input_dim), int(hidden_dim), int(latent_dim)
        _check_model_size("Autoencoder", input_dim, hidden_dim, latent_dim, 0)
        super().__init__()
        self.config = _Config("Autoencoder", input_dim, hidden_dim, latent_dim, 0)
        self.encoder = nn.Sequential(
            nn.Linear(input_dim, hidden_dim), nn.ReLU(), nn.Linear(hidden_dim, latent_dim)
        )
        self.decoder = nn.Sequential(
            nn.Linear(latent_dim, hidden_dim), nn.ReLU(), nn.Linear(hidden_dim, input_dim)
        )

    def _check_input(self, x: Tensor) -> None:
        _check_tensor(x, "x", columns=self.config.input_dim, like=_weight(self.encoder))
        _check_unit_interval(x, "x")

    def encode(self, x: Tensor) -> Tensor:
        """The code of each input.

        Introduced in the chapter "Autoencoders and variational autoencoders".

        Parameters
        ----------
        x : Tensor of shape (batch, input_dim)
            Values in [0, 1], the dtype and device of the model's weights.

        Returns
        -------
        Tensor of shape (batch, latent_dim)
        """
        self._check_input(x)
        return self.encoder(x)  # type: ignore[no-any-return]

    def decode(self, z: Tensor) -> Tensor:
        """Decoder logits of codes ``z``; ``sigmoid`` of them is the reconstruction.

        Introduced in the chapter "Autoencoders and variational autoencoders".

        Parameters
        ----------
        z : Tensor of shape (batch, latent_dim)
            Finite codes.

        Returns
        -------
        Tensor of shape (batch, input_dim)
        """
        _check_tensor(z, "z", columns=self.config.latent_dim, like=_weight(self.decoder))
        return self.decoder(z)  # type: ignore[no-any-return]

    def forward(self, x: Tensor) -> Tensor:
        """Reconstruction logits of each input.

        Introduced in the chapter "Autoencoders and variational autoencoders".

        Parameters
        ----------
        x : Tensor of shape (batch, input_dim)
            Values in [0, 1].

        Returns
        -------
        Tensor of shape (batch, input_dim)
        """
        return self.decoder(self.encode(x))  # type: ignore[no-any-return]


class VAE(nn.Module):
    r"""Variational autoencoder with a Gaussian encoder and a Bernoulli decoder.

    Encoder: ``fc1`` (input -> hidden, ReLU), then ``fc_mu`` and ``fc_logvar`` (hidden ->
    latent). Decoder: ``fc3`` (latent -> hidden, ReLU), ``fc4`` (hidden -> input), whose
    outputs are logits; ``sigmoid(logits)`` is the reconstruction.

    Every public method checks its input: tensors of the model's dtype and device, of the
    documented shapes, finite, non-empty, data in [0, 1] (the Bernoulli decoder's), and for
    a :class:`ConditionalVAE` integer labels in range.

    Introduced in the chapter "Autoencoders and variational autoencoders".

    Parameters
    ----------
    input_dim, hidden_dim, latent_dim : int
        Positive integers; defaults 784, 400, 2: the taxonomy document's architecture.
    """

    n_classes = 0
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = dict(_DIM_CONSTRAINTS)

    def __init__(self, input_dim: int = 784, hidden_dim: int = 400, latent_dim: int = 2) -> None:
        validate_params(
            VAE._parameter_constraints,
            {"input_dim": input_dim, "hidden_dim": hidden_dim, "latent_dim": latent_dim},
            type(self).__name__,
        )
        input_dim, hidden_dim, latent_dim = int(input_dim), int(hidden_dim), int(latent_dim)
        _check_model_size(type(self).__name__, input_dim, hidden_dim, latent_dim, self.n_classes)
        super().__init__()
        self.config = _Config(
            type(self).__name__, input_dim, hidden_dim, latent_dim, self.n_classes
        )
        c = self.n_classes
        self.fc1 = nn.Linear(input_dim + c, hidden_dim)
        self.fc_mu = nn.Linear(hidden_dim, latent_dim)
        self.fc_logvar = nn.Linear(hidden_dim, latent_dim)
        self.fc3 = nn.Linear(latent_dim + c, hidden_dim)
        self.fc4 = nn.Linear(hidden_dim, input_dim)

    # --- pieces
    def _check_input(self, x: Tensor) -> None:
        _check_tensor(x, "x", columns=self.config.input_dim, like=self.fc1.weight)
        _check_unit_interval(x, "x")

    def _one_hot(self, y: object, n: int) -> Tensor | None:
        """The labels' one-hot codes, checked (a ConditionalVAE); None for a plain VAE."""
        if y is not None:
            raise ValueError(
                f"a {type(self).__name__} takes no labels y (a ConditionalVAE does); got "
                f"y of type {type(y).__name__}"
            )
        return None

    def _condition(self, t: Tensor, onehot: Tensor | None) -> Tensor:
        """Append the one-hot label code to the layer input (a ConditionalVAE)."""
        return t

    def encode(self, x: Tensor, y: Tensor | None = None) -> tuple[Tensor, Tensor]:
        r"""Parameters of :math:`q(z \mid x)`: its mean and log-variance.

        Introduced in the chapter "Autoencoders and variational autoencoders".

        Parameters
        ----------
        x : Tensor of shape (batch, input_dim)
            Values in [0, 1], the dtype and device of the model's weights.
        y : Tensor of shape (batch,), optional
            Integer labels, required by (and only by) a ConditionalVAE.

        Returns
        -------
        mu, logvar : Tensor of shape (batch, latent_dim)
        """
        self._check_input(x)
        return self._encode(x, self._one_hot(y, len(x)))

    def _encode(self, x: Tensor, onehot: Tensor | None) -> tuple[Tensor, Tensor]:
        h = F.relu(self.fc1(self._condition(x, onehot)))
        return self.fc_mu(h), self.fc_logvar(h)

    @staticmethod
    def reparameterize(
        mu: Tensor, logvar: Tensor, generator: torch.Generator | None = None
    ) -> Tensor:
        r""":math:`z = \mu + \sigma \odot \varepsilon`, :math:`\sigma = e^{\text{logvar}/2}`.

        The noise :math:`\varepsilon \sim \mathcal N(0, I)` is drawn on the generator's device
        (the CPU without one) and moved to ``mu``'s, so a seeded CPU generator gives the same
        noise whether the model runs on a CPU or a GPU.

        Introduced in the chapter "Autoencoders and variational autoencoders".

        Parameters
        ----------
        mu, logvar : Tensor of shape (batch, latent_dim)
            Finite, floating point, non-empty, of one shape, dtype and device (any shape
            works: the formula is element-wise).
        generator : torch.Generator, optional

        Returns
        -------
        Tensor of shape (batch, latent_dim)
        """
        for name, t in (("mu", mu), ("logvar", logvar)):
            if not isinstance(t, Tensor):
                raise InvalidInputError(f"{name} must be a torch.Tensor; got {type(t).__name__}")
            if not t.is_floating_point():
                raise InvalidInputError(
                    f"{name} must hold floating-point numbers; got dtype {t.dtype}"
                )
            if t.numel() == 0:
                raise ValueError(f"{name} is empty (shape {tuple(t.shape)})")
            _check_finite(t, name)
        if logvar.dtype != mu.dtype or logvar.device != mu.device:
            raise InvalidInputError(
                f"mu and logvar must have one dtype and device; got {mu.dtype} on {mu.device} "
                f"and {logvar.dtype} on {logvar.device}"
            )
        if mu.shape != logvar.shape:
            raise ValueError(
                f"mu and logvar shapes differ: {tuple(mu.shape)} vs {tuple(logvar.shape)}"
            )
        if generator is not None and not isinstance(generator, torch.Generator):
            raise InvalidInputError(
                f"generator must be a torch.Generator or None; got {type(generator).__name__}"
            )
        return VAE._reparameterize(mu, logvar, generator)

    @staticmethod
    def _reparameterize(mu: Tensor, logvar: Tensor, generator: torch.Generator | None) -> Tensor:
        """:meth:`reparameterize` without the input checks (the training loop's)."""
        where = generator.device if generator is not None else torch.device("cpu")
        eps = torch.randn(mu.shape, generator=generator, dtype=mu.dtype, device=where)
        return mu + torch.exp(0.5 * logvar) * eps.to(mu.device)

    def decode(self, z: Tensor, y: Tensor | None = None) -> Tensor:
        """Decoder logits for latent codes ``z``; ``sigmoid`` of them is the image.

        Introduced in the chapter "Autoencoders and variational autoencoders".

        Parameters
        ----------
        z : Tensor of shape (batch, latent_dim)
            Finite codes, the dtype and device of the model's weights.
        y : Tensor of shape (batch,), optional
            Integer labels, required by (and only by) a ConditionalVAE.

        Returns
        -------
        Tensor of shape (batch, input_dim)
        """
        _check_tensor(z, "z", columns=self.config.latent_dim, like=self.fc3.weight)
        return self._decode(z, self._one_hot(y, len(z)))

    def _decode(self, z: Tensor, onehot: Tensor | None) -> Tensor:
        h = F.relu(self.fc3(self._condition(z, onehot)))
        return self.fc4(h)  # type: ignore[no-any-return]

    def forward(
        self, x: Tensor, y: Tensor | None = None, generator: torch.Generator | None = None
    ) -> tuple[Tensor, Tensor, Tensor]:
        """Encode, sample z, decode.

        Introduced in the chapter "Autoencoders and variational autoencoders".

        Parameters
        ----------
        x : Tensor of shape (batch, input_dim)
            Values in [0, 1].
        y : Tensor of shape (batch,), optional
            Integer labels (a ConditionalVAE).
        generator : torch.Generator, optional
            For the reparameterisation noise.

        Returns
        -------
        logits : Tensor of shape (batch, input_dim)
        mu, logvar : Tensor of shape (batch, latent_dim)
        """
        mu, logvar = self.encode(x, y)
        z = self.reparameterize(mu, logvar, generator)
        return self.decode(z, y), mu, logvar

    # --- generation
    @torch.no_grad()
    def sample(
        self, n: int, y: Tensor | None = None, generator: torch.Generator | None = None
    ) -> Tensor:
        """Draw ``z ~ N(0, I)`` and decode: images (pixel probabilities).

        ``z`` is drawn on the generator's device (the CPU without one), in the dtype of the
        model's weights, and decoded on the model's device.

        Introduced in the chapter "Autoencoders and variational autoencoders".

        Parameters
        ----------
        n : int
            Number of images, >= 1; a request whose images would exceed
            ``genlab._validation.MAX_OUTPUT_BYTES`` (4 GiB) is refused.
        y : Tensor of shape (n,), optional
            Integer labels, required by (and only by) a ConditionalVAE.
        generator : torch.Generator, optional

        Returns
        -------
        Tensor of shape (n, input_dim)
        """
        validate_params(
            _SAMPLE_CONSTRAINTS,
            {"n": n, "generator": generator},
            f"{type(self).__name__}.sample",
        )
        weight = self.fc4.weight
        check_output_size(
            (int(n), max(self.config.input_dim, self.config.hidden_dim)),
            name="n",
            itemsize=weight.element_size(),
            what="the decoded images",
        )
        where = generator.device if generator is not None else torch.device("cpu")
        z = torch.randn(
            (int(n), self.config.latent_dim), generator=generator, dtype=weight.dtype, device=where
        )
        return torch.sigmoid(self.decode(z.to(weight.device), y))

    @torch.no_grad()
    def reconstruct(self, x: Tensor, y: Tensor | None = None) -> Tensor:
        """Decode the posterior mean of each input: ``sigmoid(decode(mu(x)))``.

        Introduced in the chapter "Autoencoders and variational autoencoders".

        Parameters
        ----------
        x : Tensor of shape (batch, input_dim)
            Values in [0, 1].
        y : Tensor of shape (batch,), optional
            Integer labels (a ConditionalVAE).

        Returns
        -------
        Tensor of shape (batch, input_dim)
        """
        mu, _ = self.encode(x, y)
        return torch.sigmoid(self.decode(mu, y))

    @torch.no_grad()
    def interpolate(
        self, z1: Tensor, z2: Tensor, steps: int = 8, y: Tensor | int | None = None
    ) -> Tensor:
        r"""Decode ``steps`` points on the line from ``z1`` to ``z2``.

        The points are :math:`(1 - \alpha) z_1 + \alpha z_2` for ``steps`` values of
        :math:`\alpha` evenly spaced from 0 to 1.

        Introduced in the chapter "Autoencoders and variational autoencoders".

        Parameters
        ----------
        z1, z2 : Tensor of shape (latent_dim,) or (1, latent_dim)
            The two ends, finite, the dtype and device of the model's weights.
        steps : int, default 8
            Number of points, >= 2 (the two ends included), bounded like ``sample``'s ``n``.
        y : int or Tensor with one element, optional
            One label for the whole path, required by (and only by) a ConditionalVAE.

        Returns
        -------
        Tensor of shape (steps, input_dim)
            Decoded images (pixel probabilities).
        """
        validate_params(
            _INTERPOLATE_CONSTRAINTS, {"steps": steps}, f"{type(self).__name__}.interpolate"
        )
        check_output_size(
            (int(steps), max(self.config.input_dim, self.config.hidden_dim)),
            name="steps",
            itemsize=self.fc4.weight.element_size(),
            what="the decoded path",
        )
        ends = []
        for name, end in (("z1", z1), ("z2", z2)):
            if not isinstance(end, Tensor):
                raise InvalidInputError(f"{name} must be a torch.Tensor; got {type(end).__name__}")
            ends.append(
                _check_tensor(
                    end.reshape(1, -1), name, columns=self.config.latent_dim, like=self.fc3.weight
                )
            )
        alpha = torch.linspace(0.0, 1.0, int(steps), dtype=z1.dtype, device=z1.device)[:, None]
        z = (1 - alpha) * ends[0] + alpha * ends[1]
        labels = None
        if y is not None:  # one label for the whole path (conditional VAE)
            try:
                label = torch.as_tensor(y)
            except (TypeError, ValueError, RuntimeError) as exc:
                raise InvalidInputError(f"y must be one integer label; {exc}") from None
            if label.numel() != 1:
                raise ValueError(
                    f"interpolate takes one label y for the whole path; got shape "
                    f"{tuple(label.shape)}"
                )
            labels = label.reshape(1).expand(int(steps))
        return torch.sigmoid(self.decode(z, labels))


class ConditionalVAE(VAE):
    """Conditional VAE: the one-hot label is concatenated to the encoder's input and to z.

    Introduced in the chapter "Autoencoders and variational autoencoders".

    Parameters
    ----------
    n_classes : int
        Number of labels, >= 2; the labels are the integers 0..n_classes-1.
    input_dim, hidden_dim, latent_dim : int
        Positive integers.
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "n_classes": [Interval(numbers.Integral, 2, None)],
        **_DIM_CONSTRAINTS,
    }

    def __init__(
        self, n_classes: int, input_dim: int = 784, hidden_dim: int = 400, latent_dim: int = 2
    ) -> None:
        validate_params(
            ConditionalVAE._parameter_constraints,
            {
                "n_classes": n_classes,
                "input_dim": input_dim,
                "hidden_dim": hidden_dim,
                "latent_dim": latent_dim,
            },
            type(self).__name__,
        )
        self.n_classes = int(n_classes)
        super().__init__(input_dim, hidden_dim, latent_dim)

    def _one_hot(self, y: object, n: int) -> Tensor:
        if y is None:
            raise ValueError(
                f"a ConditionalVAE needs the labels y (integers 0..{self.n_classes - 1}, one "
                "per example)"
            )
        labels = _check_labels(y, n, self.n_classes).to(self.fc1.weight.device)
        return F.one_hot(labels, self.n_classes)

    def _condition(self, t: Tensor, onehot: Tensor | None) -> Tensor:
        assert onehot is not None
        return torch.cat([t, onehot.to(t.dtype)], dim=1)


def parameter_count(model: nn.Module) -> dict[str, int]:
    """Number of trainable parameters of the encoder, the decoder and in total.

    Introduced in the chapter "Autoencoders and variational autoencoders".

    Parameters
    ----------
    model : VAE or Autoencoder

    Returns
    -------
    dict with keys "encoder", "decoder", "total"
    """

    def count(modules: list[nn.Module]) -> int:
        return sum(p.numel() for m in modules for p in m.parameters())

    if isinstance(model, VAE):
        encoder = count([model.fc1, model.fc_mu, model.fc_logvar])
        decoder = count([model.fc3, model.fc4])
    elif isinstance(model, Autoencoder):
        encoder, decoder = count([model.encoder]), count([model.decoder])
    else:
        raise ValueError(f"expected a VAE or an Autoencoder; got {type(model).__name__}")
    return {"encoder": encoder, "decoder": decoder, "total": encoder + decoder}


# ------------------------------------------------------------------- training
#: train()'s hyper-parameters and what each may be (checked before anything else).
_TRAIN_CONSTRAINTS: dict[str, list[Any]] = {
    "model": [VAE, Autoencoder],
    "epochs": [_POSITIVE_INT],
    "batch_size": [_POSITIVE_INT],
    "lr": [_FINITE_POSITIVE],
    "beta": [_FINITE_NONNEGATIVE],
    "warmup_epochs": [Interval(numbers.Integral, 0, None)],
    "seed": [Interval(numbers.Integral, 0, 2**64 - 1)],  # torch's seeds are 64-bit
    "device": [str, torch.device],
    "progress": ["boolean"],
}


def _check_device(device: str | torch.device) -> torch.device:
    """A device this machine has (``torch.device`` parses it; a tensor proves it exists)."""
    try:
        where = torch.device(device)
    except (RuntimeError, ValueError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ValueError(
            f"train: device must name a torch device such as 'cpu' or 'cuda'; got "
            f"{device!r} ({first})"
        ) from None
    if where.type == "meta":
        raise ValueError("train: device 'meta' holds no data; use 'cpu' or 'cuda'")
    try:
        torch.empty(0, device=where)
    except Exception as exc:  # torch raises AssertionError, RuntimeError, ... here
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ValueError(
            f"train: device {str(where)!r} is not available on this machine ({first}); "
            "use device='cpu'"
        ) from None
    return where


def _as_training_data(X: Any, n_features: int, where: torch.device, dtype: torch.dtype) -> Tensor:
    """The training data, checked: a finite, non-empty 2-D array in [0, 1], in ``dtype``."""
    if isinstance(X, Tensor):
        X = X.detach().cpu()
    X_ = check_array(X, name="X")  # float64: numeric, 2-D, non-empty, finite
    if X_.shape[1] != n_features:
        raise ValueError(
            f"X must have {n_features} columns (the model's input_dim); got {X_.shape[1]}"
        )
    lo, hi = X_.min(), X_.max()
    if lo < 0 or hi > 1:
        raise ValueError(
            f"X must lie in [0, 1] (Bernoulli decoder); its values range from {lo:g} to "
            f"{hi:g}: rescale the data first (e.g. divide by the largest pixel value)"
        )
    if dtype == torch.float32:  # the same numbers as np.asarray(X, dtype=np.float32)
        return torch.as_tensor(X_.astype(np.float32), device=where)
    return torch.as_tensor(X_, device=where).to(dtype)  # a float64 (or half) model


def _diverged(epoch: int, lr: float, what: str) -> ValueError:
    return ValueError(
        f"training diverged in epoch {epoch + 1}: {what} (lr={lr}). Lower the learning rate "
        f"lr (try lr={lr / 10:g}) or check the data; the model's weights are now unusable, "
        "so build (or load) the model again before retraining"
    )


def _train_epoch(
    model: VAE | Autoencoder,
    data: Tensor,
    onehot: Tensor | None,
    optimiser: torch.optim.Optimizer,
    generator: torch.Generator,
    weight: float,
    batch_size: int,
) -> Tensor:
    """One epoch of :func:`train`: returns the batch-size-weighted sums of loss, recon, KL."""
    order = torch.randperm(len(data), generator=generator).to(data.device)
    totals = torch.zeros(3, dtype=torch.float64)
    for start in range(0, len(data), batch_size):
        idx = order[start : start + batch_size]
        xb = data[idx]
        if isinstance(model, VAE):
            cb = None if onehot is None else onehot[idx]
            mu, logvar = model._encode(xb, cb)  # q(z | x) = N(mu, diag exp(logvar))
            z = model._reparameterize(mu, logvar, generator)  # z = mu + sigma * eps
            # the (beta-weighted) negative ELBO: negative_elbo, checked once in train
            loss, recon, kl = _negative_elbo(model._decode(z, cb), xb, mu, logvar, beta=weight)
        else:
            recon = _bernoulli_nll(model.decoder(model.encoder(xb)), xb).mean()
            loss, kl = recon, torch.zeros((), device=recon.device)
        optimiser.zero_grad()
        loss.backward()  # type: ignore[no-untyped-call]
        optimiser.step()
        batch = torch.stack([loss.detach(), recon.detach(), kl.detach()])
        totals += len(idx) * batch.to(totals.device, totals.dtype)
    return totals


def train(
    model: nn.Module,
    X: ArrayLike,
    y: ArrayLike | None = None,
    *,
    epochs: int = 50,
    batch_size: int = 128,
    lr: float = 1e-3,
    beta: float = 1.0,
    warmup_epochs: int = 0,
    seed: int = 0,
    device: str | torch.device = "cpu",
    progress: bool = True,
) -> dict[str, list[float]]:
    r"""Train a VAE (or an Autoencoder) with Adam, reproducibly.

    Each epoch shuffles the data with a seeded generator and takes mini-batch steps on
    reconstruction + weight * KL, where the weight is ``beta`` (1: the negative ELBO) or,
    during a warm-up, a fraction of it (for an Autoencoder: the Bernoulli reconstruction
    loss alone). The loss is :func:`negative_elbo`'s (its core, the inputs being checked
    once before the first epoch). With ``warmup_epochs`` the KL weight rises linearly from
    ``beta / warmup_epochs`` to ``beta`` (KL annealing).

    Every argument is checked before training starts, and a ValueError names the first
    bad one, its value and what is allowed. After every epoch the loss and the weights
    are checked: if either is NaN or infinite, training stops with a ValueError that says
    so (lower ``lr``).

    Introduced in the chapter "Autoencoders and variational autoencoders".

    Parameters
    ----------
    model : VAE, ConditionalVAE or Autoencoder
        With finite weights, float32 (the default) or another floating-point dtype.
    X : array_like of shape (n_samples, input_dim)
        Training data in [0, 1] (NumPy array, nested lists or a tensor), at least one row;
        converted to the dtype of the model's weights.
    y : array_like of shape (n_samples,), optional
        Integer labels 0..n_classes-1, required by (and only by) a ConditionalVAE.
    epochs : int, default 50
        Passes over the data, >= 1.
    batch_size : int, default 128
        Examples per Adam step, >= 1 (the last batch of an epoch may be smaller).
    lr : float, default 1e-3
        Adam's learning rate, finite and > 0.
    beta : float, default 1.0
        KL weight (beta-VAE), finite and >= 0. Ignored by an Autoencoder.
    warmup_epochs : int, default 0
        Epochs of linear KL warm-up, >= 0 (0: none). A warm-up longer than ``epochs``
        ends before reaching ``beta``.
    seed : int, default 0
        Seeds the shuffling and the reparameterisation noise (one CPU generator); an
        integer from 0 to 2**64 - 1. The initial weights are set when the model is built:
        call ``torch.manual_seed`` before constructing it for a fully reproducible run.
    device : str or torch.device, default "cpu"
        "cuda" for a GPU; it must exist on this machine. The model is moved there.
    progress : bool, default True
        Show a tqdm progress bar of the epochs. The bar obeys tqdm's environment
        variables: ``TQDM_DISABLE=1``, which the test suite and ``make execute`` set, turns
        it off, so that the book's stored outputs hold no timings.

    Returns
    -------
    dict of lists
        Per epoch, the means over its mini-batches (weighted by batch size) of "loss" (the
        weighted objective above), "reconstruction" and "kl", each evaluated with that
        batch's sampled z and the weights before its update: a running average, not a
        re-evaluation at the end of the epoch.

    Raises
    ------
    ValueError
        For a bad argument (see above), or if training diverges.
    """
    from tqdm.auto import tqdm

    validate_params(
        _TRAIN_CONSTRAINTS,
        {
            "model": model,
            "epochs": epochs,
            "batch_size": batch_size,
            "lr": lr,
            "beta": beta,
            "warmup_epochs": warmup_epochs,
            "seed": seed,
            "device": device,
            "progress": progress,
        },
        "train",
    )
    assert isinstance(model, (VAE, Autoencoder))
    where = _check_device(device)
    bad = _first_nonfinite_parameter(model)
    if bad is not None:
        raise ValueError(
            f"train: the model's weights {bad} hold NaN or infinity before training (a "
            "diverged earlier run?); build the model again, or load a good checkpoint"
        )
    # Validated once here, so that the loop below can skip the per-batch checks.
    dtype = next(model.parameters()).dtype
    data = _as_training_data(X, model.config.input_dim, where, dtype)
    model.to(where)
    if isinstance(model, VAE):
        # A ConditionalVAE's labels are checked and one-hot coded once, not per batch.
        onehot = model._one_hot(y, len(data))
    elif y is not None:
        raise ValueError("train: an Autoencoder takes no labels y (a ConditionalVAE does)")
    else:
        onehot = None
    # fused=True: one kernel updates every parameter (same Adam, ~20% faster epochs on CPU).
    optimiser = torch.optim.Adam(model.parameters(), lr=lr, fused=True)
    generator = torch.Generator(device="cpu").manual_seed(int(seed))
    history: dict[str, list[float]] = {"loss": [], "reconstruction": [], "kl": []}
    # Without an explicit ``disable``, tqdm reads TQDM_DISABLE from the environment.
    bar_options: dict[str, Any] = {} if progress else {"disable": True}
    beta = float(beta)
    for epoch in tqdm(range(int(epochs)), desc="training", unit="epoch", **bar_options):
        weight = beta * min(1.0, (epoch + 1) / warmup_epochs) if warmup_epochs else beta
        totals = _train_epoch(model, data, onehot, optimiser, generator, weight, int(batch_size))
        if not torch.isfinite(totals).all():
            raise _diverged(epoch, lr, "the loss is NaN or infinite")
        bad = _first_nonfinite_parameter(model)
        if bad is not None:  # the last step can break the weights with a finite loss
            raise _diverged(epoch, lr, f"the weights {bad} became NaN or infinite")
        for key, value in zip(history, (totals / len(data)).tolist(), strict=True):
            history[key].append(float(value))
    return history


# ---------------------------------------------------------------- checkpoints
_CHECKPOINT_FORMAT = "genlab checkpoint"
_CHECKPOINT_VERSION = 1
_ZIP_MAGIC = b"PK\x03\x04"
_ZIP_END = b"PK\x05\x06"  # the end-of-central-directory record, 22 bytes + its comment
_SEAL = b"genlab-sha256:"  # the archive's comment: this + the SHA-256 of all bytes before it
_SEAL_LENGTH = len(_SEAL) + 64


def _seal(archive: bytes) -> bytes:
    """``archive`` (a zip file without a comment) with a comment holding its SHA-256.

    The checksum covers every byte of the file before the comment (zip headers, every
    record, the end record with the comment's length), so that no byte of a checkpoint
    can change unnoticed, not only those of the weights.
    """
    if archive[-22:-18] != _ZIP_END or archive[-2:] != b"\0\0":  # pragma: no cover
        raise RuntimeError("torch.save wrote an archive genlab cannot seal")
    body = archive[:-2] + _SEAL_LENGTH.to_bytes(2, "little")
    return body + _SEAL + hashlib.sha256(body).hexdigest().encode()


def _check_archive(p: Path, data: bytes) -> None:
    """The file's structure: its zip archive ends where the file does; its seal matches.

    A file of an earlier genlab (no seal) has every record's CRC-32 checked instead.
    """
    end = data.rfind(_ZIP_END)
    if end < 0 or end + 22 > len(data):
        raise ValueError(
            f"{p} is truncated or damaged: its zip archive has no end record (was the save "
            "or the copy interrupted?)"
        )
    comment = int.from_bytes(data[end + 20 : end + 22], "little")
    extra = len(data) - (end + 22 + comment)
    if extra < 0:
        raise ValueError(
            f"{p} is truncated or damaged: its zip archive's end record is cut short (was the "
            "save or the copy interrupted?)"
        )
    if extra > 0:
        raise ValueError(
            f"{p} has {extra} byte(s) after the end of its zip archive (data appended to the "
            "checkpoint, or two files joined); not loaded"
        )
    seal = data[end + 22 :]
    if comment == _SEAL_LENGTH and seal.startswith(_SEAL):
        if hashlib.sha256(data[: end + 22]).hexdigest().encode() != seal[len(_SEAL) :]:
            raise ValueError(
                f"{p} is corrupted: the SHA-256 checksum of the file does not match the one "
                "sealed in it (the file changed after it was written)"
            )
        return
    if comment:
        raise ValueError(
            f"{p} is not a genlab checkpoint, or is damaged: its zip archive has a comment "
            "that is not genlab's checksum"
        )
    try:  # an unsealed file (an earlier genlab): at least every record's CRC-32
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            bad = archive.testzip()
    except Exception as exc:  # zipfile raises BadZipFile, zlib.error, EOFError, ...
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ValueError(f"{p} is corrupted and cannot be read ({first})") from None
    if bad is not None:
        raise ValueError(f"{p} is corrupted: the CRC-32 of its record {bad} does not match")


def _weights_digest(config: dict[str, Any], state: dict[str, Tensor]) -> str:
    """SHA-256 of the architecture and of every tensor's name, dtype, shape and bytes."""
    digest = hashlib.sha256(json.dumps(config, sort_keys=True).encode())
    for name in sorted(state):
        t = state[name].detach().cpu().contiguous()
        digest.update(f"\0{name}\0{t.dtype}\0{tuple(t.shape)}\0".encode())
        digest.update(t.reshape(-1).view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()


def _model_config(model: nn.Module, caller: str) -> dict[str, Any]:
    config = getattr(model, "config", None)
    if not isinstance(model, (VAE, Autoencoder)) or not isinstance(config, _Config):
        raise ValueError(
            f"{caller} needs a genlab VAE, ConditionalVAE or Autoencoder; got "
            f"{type(model).__name__}"
        )
    return asdict(config)


def _check_path(path: object, caller: str) -> Path:
    if not isinstance(path, (str, os.PathLike)):
        raise InvalidInputError(
            f"{caller}: path must be a str or a path-like object; got {type(path).__name__}"
        )
    return Path(path)


def save_checkpoint(model: nn.Module, path: str | os.PathLike[str]) -> None:
    """Save the architecture and the weights (tensors only, loadable with weights_only).

    Beside the weights the file holds their SHA-256 checksum, and the zip archive's
    comment the SHA-256 of every other byte of the file; :func:`load_checkpoint` verifies
    both. The file is written under a temporary name and then renamed, so that an
    interrupted save never leaves a truncated checkpoint behind.

    Introduced in the chapter "Autoencoders and variational autoencoders".

    Parameters
    ----------
    model : VAE, ConditionalVAE or Autoencoder
        With finite weights (a diverged model is refused).
    path : str or path-like
        A file in an existing directory; an existing file is replaced.

    Raises
    ------
    ValueError
        If the model is not a genlab model or its weights hold NaN or infinity, or
        ``path`` is a directory.
    FileNotFoundError
        If ``path``'s folder does not exist (the error is also a ``ValueError``).
    """
    config = _model_config(model, "save_checkpoint")
    p = _check_path(path, "save_checkpoint")
    if p.is_dir():
        raise ValueError(
            f"save_checkpoint: {p} is a directory; give the checkpoint a file name, such as "
            f"{p / 'model.pt'}"
        )
    if not p.parent.is_dir():
        raise missing_file(
            p, f"save_checkpoint: no such directory for the checkpoint ({p.parent} does not exist)"
        )
    bad = _first_nonfinite_parameter(model)
    if bad is not None:
        raise ValueError(
            f"save_checkpoint: the model's weights {bad} hold NaN or infinity; not saved to {p}"
        )
    state = model.state_dict()
    payload = {
        "format": _CHECKPOINT_FORMAT,
        "version": _CHECKPOINT_VERSION,
        "config": config,
        "state_dict": state,
        "sha256": _weights_digest(config, state),
    }
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    partial = p.with_name(p.name + ".partial")
    try:
        partial.write_bytes(_seal(buffer.getvalue()))
        os.replace(partial, p)
    finally:
        partial.unlink(missing_ok=True)


def _read_checkpoint(p: Path) -> dict[str, Any]:
    """The payload of a checkpoint file, or a ValueError naming the file and the problem."""
    if not p.exists():
        raise missing_file(p, "no such checkpoint file")
    if not p.is_file():
        raise ValueError(f"{p} is not a file")
    data = p.read_bytes()
    head = data[:4]
    if not head:
        raise ValueError(f"{p} is empty: it is not a checkpoint (was the save interrupted?)")
    if len(head) < 4 and _ZIP_MAGIC.startswith(head):
        raise ValueError(f"{p} is truncated: it holds only {len(head)} byte(s)")
    if head != _ZIP_MAGIC:
        raise ValueError(
            f"{p} is not a genlab checkpoint: it does not start like the PyTorch zip archive "
            f"that save_checkpoint writes (first bytes {head.hex(' ')}, expected 50 4b 03 04)"
        )
    _check_archive(p, data)
    try:
        payload = torch.load(io.BytesIO(data), weights_only=True, map_location="cpu")
    except pickle.UnpicklingError as exc:
        # torch's weights-only unpickler refuses both other objects and garbage opcodes.
        text = str(exc)
        detail = text.partition("WeightsUnpickler error:")[2].strip() or text
        if "Unsupported global" in detail:
            raise ValueError(
                f"{p} is not a genlab checkpoint: it holds Python objects other than tensors, "
                "numbers and strings, which load_checkpoint never unpickles"
            ) from None
        raise ValueError(
            f"{p} is corrupted and cannot be read ({detail.splitlines()[0]})"
        ) from None
    except Exception as exc:  # torch.load raises RuntimeError, KeyError, EOFError, ...
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ValueError(f"{p} is corrupted and cannot be read ({first})") from None
    if not (
        isinstance(payload, dict)
        and isinstance(payload.get("config"), dict)
        and isinstance(payload.get("state_dict"), dict)
    ):
        raise ValueError(
            f"{p} is not a genlab checkpoint: a PyTorch file without the architecture and "
            "weights that save_checkpoint writes"
        )
    if payload.get("format") != _CHECKPOINT_FORMAT or not isinstance(payload.get("sha256"), str):
        raise ValueError(
            f"{p} has no checksum of its weights (written by an older genlab, or not by "
            "save_checkpoint); load it with torch.load(..., weights_only=True) if you trust "
            "it, and save it again with save_checkpoint"
        )
    if payload.get("version") != _CHECKPOINT_VERSION:
        raise ValueError(
            f"{p}: checkpoint format version {payload.get('version')!r} is not supported "
            f"(this genlab reads version {_CHECKPOINT_VERSION})"
        )
    return payload


def load_checkpoint(model: nn.Module, path: str | os.PathLike[str]) -> nn.Module:
    """Load weights saved by :func:`save_checkpoint` into ``model``.

    The file is read with ``torch.load(..., weights_only=True)``, which never unpickles
    arbitrary objects; the SHA-256 checksum saved beside the weights is verified, so that
    a corrupted file is refused rather than loaded, as is one in which any other byte
    changed (the file's own SHA-256, in its zip comment), one with bytes after its
    archive, one with NaN or infinite weights, or one of another architecture.

    Introduced in the chapter "Autoencoders and variational autoencoders".

    Parameters
    ----------
    model : VAE, ConditionalVAE or Autoencoder
        A model of the saved architecture.
    path : str or path-like

    Returns
    -------
    the model, with the loaded weights

    Raises
    ------
    FileNotFoundError
        If there is no file at ``path`` (the error is also a ``ValueError``).
    ValueError
        Naming the file and the problem: empty, truncated, bytes after the archive,
        corrupted (unreadable, or a checksum does not match), not a checkpoint, no
        checksum, non-finite weights, or another architecture.
    """
    current = _model_config(model, "load_checkpoint")
    p = _check_path(path, "load_checkpoint")
    payload = _read_checkpoint(p)
    saved, state = payload["config"], payload["state_dict"]
    if not (
        all(isinstance(k, str) and isinstance(v, (str, int)) for k, v in saved.items())
        and all(isinstance(k, str) and isinstance(v, Tensor) for k, v in state.items())
    ):
        raise ValueError(
            f"{p} is not a genlab checkpoint: its architecture is not a table of names and "
            "sizes, or its weights are not all tensors"
        )
    if _weights_digest(saved, state) != payload["sha256"]:
        raise ValueError(
            f"{p} is corrupted: the SHA-256 checksum of its weights does not match the one "
            "saved with them (the file changed after it was written)"
        )
    if saved != current:
        raise ValueError(
            f"{p}: checkpoint architecture {saved} does not match the model {current}"
        )
    for name, t in state.items():
        if t.is_floating_point() and not torch.isfinite(t).all():
            raise ValueError(
                f"{p}: the weights {name} hold NaN or infinity (saved from a diverged model?); "
                "not loaded"
            )
    try:
        model.load_state_dict(state)
    except RuntimeError as exc:  # a checksummed file of this architecture always fits
        raise ValueError(f"{p}: the weights do not fit the model ({exc})") from None
    return model
