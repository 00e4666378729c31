r"""A normalizing flow: RealNVP's affine coupling layers, with an exact density.

A flow maps data :math:`y` through an invertible function :math:`x = f(y)` to a variable
with a simple density, here the standard normal :math:`\mathcal N(0, I)`. By the change of
variables formula the data's density is exact:

.. math::

    \log p(y) = \log \mathcal N\bigl(f(y) \mid 0, I\bigr)
    + \log \left| \det \frac{\partial f(y)}{\partial y} \right| .

RealNVP (Dinh, Sohl-Dickstein & Bengio, 2017) builds :math:`f` from **affine coupling
layers**. Each keeps the coordinates selected by a binary mask :math:`b` and rescales and
shifts the others by amounts computed from the kept ones:

.. math::

    x' = b \odot x + (1 - b) \odot \bigl(x \odot e^{s(b \odot x)} + t(b \odot x)\bigr).

Its Jacobian is triangular (after reordering), so its log-determinant is just
:math:`\sum_j (1 - b_j)\, s_j(b \odot x)`, and its inverse is as cheap as the layer itself;
:math:`s` and :math:`t` may be any networks. Successive layers alternate their masks so that
every coordinate is transformed.

For data in the unit cube (dequantized images), the first step maps :math:`[0, 1]` to the
real line with a logit, :math:`v = \alpha + (1 - 2\alpha) y`, :math:`u = \log v - \log(1 - v)`,
whose log-determinant is :math:`\sum_j [\log(1 - 2\alpha) - \log v_j - \log(1 - v_j)]`.

Import it explicitly (``from genlab import flow``): it loads PyTorch.

Introduced in the chapter "One yardstick: likelihood in bits per pixel".
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
from numpy.typing import ArrayLike
from torch import Tensor, nn

from genlab._training import check_rate, check_size, fit_by_likelihood
from genlab._validation import check_output_size

__all__ = ["AffineCoupling", "RealNVP", "coupling_masks", "train_flow"]

_LOG_2PI = math.log(2 * math.pi)


def coupling_masks(n_features: int, n_layers: int) -> list[Tensor]:
    """The binary masks of successive coupling layers: even/odd indices, then halves, cycled.

    Each layer keeps the coordinates where its mask is 1 and transforms the others; a mask
    and its complement follow each other, so every coordinate is transformed. For raster
    images of even width, even/odd indices are alternate columns.

    Introduced in the chapter "One yardstick: likelihood in bits per pixel".

    Parameters
    ----------
    n_features : int
        At least 2.
    n_layers : int
        At least 1.

    Returns
    -------
    list of n_layers float tensors of shape (n_features,)
    """
    D = check_size(n_features, "n_features", 2)
    n = check_size(n_layers, "n_layers", 1)
    j = torch.arange(D)
    even = (j % 2 == 0).float()
    first = (j < D // 2).float()
    cycle = [even, 1 - even, first, 1 - first]
    return [cycle[i % 4] for i in range(n)]


class AffineCoupling(nn.Module):
    r"""One affine coupling layer: :math:`x' = b \odot x + (1-b) \odot (x e^{s} + t)`.

    :math:`s` and :math:`t` come from one MLP of the kept coordinates :math:`b \odot x`;
    :math:`s = \text{scale} \cdot \tanh(\cdot)` keeps each step's rescaling bounded. The last
    layer starts at zero, so a new coupling is the identity.

    Introduced in the chapter "One yardstick: likelihood in bits per pixel".

    Parameters
    ----------
    mask : Tensor of shape (n_features,)
        1 for the coordinates kept, 0 for those transformed; a buffer.
    hidden : int
        Width of the two hidden layers of the MLP.
    """

    mask: Tensor

    def __init__(self, mask: Tensor, hidden: int) -> None:
        super().__init__()
        D = int(mask.numel())
        H = check_size(hidden, "hidden", 1)
        self.register_buffer("mask", mask.float().clone())
        last = nn.Linear(H, 2 * D)
        nn.init.zeros_(last.weight)
        nn.init.zeros_(last.bias)
        self.net = nn.Sequential(nn.Linear(D, H), nn.ReLU(), nn.Linear(H, H), nn.ReLU(), last)
        self.scale = nn.Parameter(torch.ones(D))

    def _shift_and_log_scale(self, kept: Tensor) -> tuple[Tensor, Tensor]:
        raw_s, t = self.net(kept).chunk(2, dim=-1)
        free = 1 - self.mask
        return t * free, self.scale * torch.tanh(raw_s) * free

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        r"""Return :math:`x'` and :math:`\log|\det \partial x' / \partial x|` per row.

        Parameters
        ----------
        x : Tensor of shape (n, n_features)

        Returns
        -------
        x_new : Tensor of shape (n, n_features)
        log_det : Tensor of shape (n,)
        """
        t, s = self._shift_and_log_scale(x * self.mask)
        return x * torch.exp(s) + t, s.sum(dim=-1)

    def inverse(self, x_new: Tensor) -> Tensor:
        """Undo :meth:`forward`: the kept coordinates are unchanged, so s and t are recomputed.

        Parameters
        ----------
        x_new : Tensor of shape (n, n_features)

        Returns
        -------
        Tensor of shape (n, n_features)
        """
        t, s = self._shift_and_log_scale(x_new * self.mask)
        return (x_new - t) * torch.exp(-s)


class RealNVP(nn.Module):
    r"""A RealNVP flow for data in the unit cube: logit, coupling layers, standard normal.

    Introduced in the chapter "One yardstick: likelihood in bits per pixel".

    Parameters
    ----------
    n_features : int
        :math:`D`, at least 2.
    n_layers : int, default 6
        Coupling layers, at least 1 (masks from :func:`coupling_masks`).
    hidden : int, default 256
        Width of each coupling's MLP.
    alpha : float, default 0.05
        The logit's margin, in (0, 0.5): :math:`y \in [0, 1]` maps into
        :math:`[\alpha, 1 - \alpha]` before the logit, so that the ends of the cube stay
        finite. The density lives on
        :math:`(-\alpha / (1 - 2\alpha),\, (1 - \alpha) / (1 - 2\alpha))^D`, a little wider
        than the cube.
    """

    def __init__(
        self, n_features: int, n_layers: int = 6, hidden: int = 256, alpha: float = 0.05
    ) -> None:
        super().__init__()
        D = check_size(n_features, "n_features", 2)
        a = check_rate(alpha, "alpha", positive=True)
        if not a < 0.5:
            raise ValueError(f"alpha must be in (0, 0.5); got {alpha!r}")
        H = check_size(hidden, "hidden", 1)
        masks = coupling_masks(D, n_layers)
        n_weights = len(masks) * (D * H + H * H + H * 2 * D)
        check_output_size((n_weights,), name="RealNVP's sizes", itemsize=4, what="the weights")
        self.n_features, self.alpha = D, a
        self.layers = nn.ModuleList(AffineCoupling(m, H) for m in masks)

    @property
    def dtype(self) -> torch.dtype:
        """The floating-point type of the weights (float32 unless converted)."""
        return next(self.parameters()).dtype

    def support(self) -> tuple[float, float]:
        """The interval, per coordinate, on which the density is positive."""
        a = self.alpha
        return -a / (1 - 2 * a), (1 - a) / (1 - 2 * a)

    def _check_points(self, y: Any, name: str = "y") -> Tensor:
        dtype = self.dtype
        t = torch.as_tensor(np.asarray(y) if not isinstance(y, Tensor) else y)
        if t.dtype.is_complex or t.dtype == torch.bool:
            raise ValueError(f"{name} must hold real numbers; got dtype {t.dtype}")
        t = t.to(dtype)
        if t.dim() != 2 or t.shape[1] != self.n_features:
            raise ValueError(
                f"{name} must have shape (n, {self.n_features}); got {tuple(t.shape)}"
            )
        if not bool(torch.isfinite(t).all()):
            raise ValueError(f"{name} holds NaN or infinity")
        lo, hi = self.support()
        if t.numel() and (float(t.min()) <= lo or float(t.max()) >= hi):
            raise ValueError(
                f"{name} has values outside the flow's support ({lo:.4f}, {hi:.4f}); "
                "dequantized images lie in [0, 1)"
            )
        return t

    def to_normal(self, y: Tensor) -> tuple[Tensor, Tensor]:
        r""":math:`f(y)` and :math:`\log|\det \partial f / \partial y|`, per row.

        Parameters
        ----------
        y : Tensor of shape (n, n_features)
            Inside :meth:`support`.

        Returns
        -------
        x : Tensor of shape (n, n_features)
        log_det : Tensor of shape (n,)
        """
        a = self.alpha
        v = a + (1 - 2 * a) * y
        x = torch.log(v) - torch.log1p(-v)
        log_det = (math.log(1 - 2 * a) - torch.log(v) - torch.log1p(-v)).sum(dim=-1)
        for layer in self.layers:
            x, ld = layer(x)
            log_det = log_det + ld
        return x, log_det

    def from_normal(self, x: Tensor) -> Tensor:
        """The inverse of :meth:`to_normal`: coupling inverses in reverse, then a sigmoid.

        Parameters
        ----------
        x : Tensor of shape (n, n_features)

        Returns
        -------
        Tensor of shape (n, n_features)
        """
        couplings: list[AffineCoupling] = list(self.layers)  # type: ignore[arg-type]
        for layer in reversed(couplings):
            x = layer.inverse(x)
        return (torch.sigmoid(x) - self.alpha) / (1 - 2 * self.alpha)

    def log_prob(self, y: Any) -> Tensor:
        r"""The exact log-density: :math:`\log \mathcal N(f(y) \mid 0, I) + \log|\det J_f(y)|`.

        Parameters
        ----------
        y : Tensor or array_like of shape (n, n_features)
            Points inside :meth:`support` (dequantized images lie in [0, 1)).

        Returns
        -------
        Tensor of shape (n,)
        """
        x, log_det = self.to_normal(self._check_points(y))
        base = -0.5 * (x**2).sum(dim=-1) - 0.5 * self.n_features * _LOG_2PI
        return base + log_det

    def score_samples(self, Y: ArrayLike) -> np.ndarray:
        """:meth:`log_prob` as a float64 NumPy array, without gradients (for the yardstick).

        Parameters
        ----------
        Y : array_like of shape (n, n_features)

        Returns
        -------
        ndarray of shape (n,)
        """
        with torch.no_grad():
            return self.log_prob(Y).double().cpu().numpy()

    @torch.no_grad()
    def sample(self, n: int, *, generator: torch.Generator | None = None) -> Tensor:
        """Draw ``n`` points: standard normal draws through :meth:`from_normal`.

        Parameters
        ----------
        n : int
            At least 1; refused if the output would exceed
            ``genlab._validation.MAX_OUTPUT_BYTES``.
        generator : torch.Generator, optional

        Returns
        -------
        Tensor of shape (n, n_features)
        """
        n = check_size(n, "n", 1)
        check_output_size((n, self.n_features), name="n", what="the samples")
        dtype = self.dtype
        x = torch.randn(n, self.n_features, generator=generator, dtype=dtype)
        return self.from_normal(x)


def train_flow(
    model: RealNVP,
    X: ArrayLike,
    n_levels: int,
    *,
    X_val: ArrayLike | None = None,
    epochs: int = 20,
    batch_size: int = 64,
    lr: float = 1e-3,
    weight_decay: float = 0.0,
    seed: int = 0,
    progress: bool = True,
    patience: int | None = None,
) -> dict[str, Any]:
    r"""Fit a RealNVP to discrete images by maximum likelihood on dequantized batches.

    Every batch is dequantized afresh, :math:`y = (x + u)/L` with new uniform noise from
    the seeded generator, so the flow cannot learn one particular draw of the noise. With
    ``X_val``, the validation loss after each epoch is the dequantization bound with one
    fixed draw of noise (the same every epoch), and the best epoch's weights are restored;
    otherwise as :func:`genlab.autoregressive.train_made`.

    Introduced in the chapter "One yardstick: likelihood in bits per pixel".

    Parameters
    ----------
    model : RealNVP
    X : array_like of shape (n_images, n_features)
        Integer levels ``0 .. n_levels - 1``.
    n_levels : int
        :math:`L`, at least 2.
    X_val : array_like of shape (n_val, n_features), optional
    epochs, batch_size, lr, weight_decay, seed, progress, patience
        As for :func:`genlab.autoregressive.train_made`.

    Returns
    -------
    dict
        ``"loss"`` and, with ``X_val``, ``"val_loss"`` and ``"best_epoch"``: mean negative
        log-likelihoods in nats per image of the *discrete* images (the dequantized
        log-density minus :math:`D \log L`), so they compare with a discrete model's.
    """
    if not isinstance(model, RealNVP):
        raise ValueError(f"model must be a genlab.flow.RealNVP; got {type(model).__name__}")
    L = check_size(n_levels, "n_levels", 2)
    dtype = model.dtype

    def levels(data: ArrayLike, name: str) -> Tensor:
        arr = np.asarray(data)
        if arr.ndim != 2 or arr.shape[1] != model.n_features:
            raise ValueError(f"{name} must have shape (n, {model.n_features}); got {arr.shape}")
        if arr.dtype.kind not in "iu" and not (
            arr.dtype.kind == "f" and np.all(np.isfinite(arr)) and np.all(arr == np.round(arr))
        ):
            raise ValueError(f"{name} must hold integer levels 0..{L - 1}")
        if arr.size and (arr.min() < 0 or arr.max() >= L):
            raise ValueError(f"{name} must hold integer levels 0..{L - 1}; found {arr.max()}")
        return torch.as_tensor(arr.astype(np.float64)).to(dtype)

    x = levels(X, "X")
    x_val = None if X_val is None else levels(X_val, "X_val")
    offset = model.n_features * math.log(L)  # log-density of y to log-probability of x
    fixed_noise = None
    if x_val is not None:
        g_val = torch.Generator().manual_seed(check_size(seed, "seed", 0) % 2**63)
        fixed_noise = torch.rand(x_val.shape, generator=g_val, dtype=dtype)

    def batch_nll(batch: Tensor, g: torch.Generator) -> Tensor:
        u = torch.rand(batch.shape, generator=g, dtype=dtype)
        return -(model.log_prob((batch + u) / L) - offset).mean()

    def val_nll(images: Tensor) -> Tensor:
        assert fixed_noise is not None
        return -(model.log_prob((images + fixed_noise) / L) - offset).mean()

    return fit_by_likelihood(
        model,
        x,
        x_val,
        batch_nll,
        val_nll,
        epochs=epochs,
        batch_size=batch_size,
        lr=lr,
        weight_decay=weight_decay,
        seed=seed,
        progress=progress,
        patience=patience,
        desc="RealNVP",
    )
