r"""An autoregressive model of discrete images: MADE with categorical pixels.

The chain rule writes any distribution over :math:`D` pixels as a product of
conditionals, one per pixel, each given the pixels before it:

.. math::

    \log P(x) = \sum_{d=1}^{D} \log P(x_d \mid x_1, \dots, x_{d-1}).

MADE (Germain, Gregor, Murray & Larochelle, 2015) computes all :math:`D` conditionals in
one pass of an ordinary multilayer perceptron whose weight matrices are multiplied by
binary masks. Every unit gets a *degree*: input pixel :math:`d` has degree :math:`d`,
each hidden unit a degree :math:`m \in \{1, \dots, D-1\}`, and the outputs of pixel
:math:`d` degree :math:`d`. A hidden unit of degree :math:`m` may see the units below it
of degree :math:`\le m`; an output of degree :math:`d` may see the units below it of
degree :math:`< d` (strictly). So the logits of pixel :math:`d` depend on
:math:`x_1, \dots, x_{d-1}` only, each conditional is a softmax over the :math:`L`
levels, and the product is a normalised distribution: the log-likelihood is **exact**.

Sampling needs :math:`D` passes, one per pixel, in order.

Import it explicitly (``from genlab import autoregressive``): it loads PyTorch.

Introduced in the chapter "One yardstick: likelihood in bits per pixel".
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import torch
from numpy.typing import ArrayLike
from torch import Tensor, nn

from genlab._training import check_level_images, fit_by_likelihood
from genlab._training import check_size as _check_size
from genlab._validation import check_output_size

__all__ = ["MADE", "MaskedLinear", "log_prob_chain_rule", "made_degrees", "train_made"]


def made_degrees(n_pixels: int, hidden_sizes: tuple[int, ...]) -> list[Tensor]:
    r"""The degrees of MADE's units: inputs, each hidden layer, outputs (per pixel).

    Input pixel :math:`d` and the outputs of pixel :math:`d` have degree :math:`d`
    (1-based). Hidden units cycle through :math:`1, \dots, D - 1` (deterministically,
    so every degree is used when a layer has at least :math:`D - 1` units); with one
    pixel, hidden units have degree 1 and reach no output.

    Introduced in the chapter "One yardstick: likelihood in bits per pixel".

    Parameters
    ----------
    n_pixels : int
        :math:`D`, at least 1.
    hidden_sizes : tuple of int
        The width of each hidden layer, each at least 1.

    Returns
    -------
    list of LongTensor
        ``[input (D,), hidden_1 (H_1,), ..., output (D,)]``.
    """
    D = _check_size(n_pixels, "n_pixels", 1)
    top = max(D - 1, 1)
    degrees = [torch.arange(1, D + 1)]
    for H in hidden_sizes:
        degrees.append(torch.arange(_check_size(H, "each hidden size", 1)) % top + 1)
    degrees.append(torch.arange(1, D + 1))
    return degrees


class MaskedLinear(nn.Linear):
    r"""A linear layer with a fixed binary mask on its weight: :math:`y = (M \odot W) x + b`.

    Introduced in the chapter "One yardstick: likelihood in bits per pixel".

    Parameters
    ----------
    in_features, out_features : int
    mask : Tensor of shape (out_features, in_features)
        1 where a connection is allowed, 0 where it is cut. Stored as a buffer, so that
        it moves with the model (``.to``, ``.double()``) and is saved with its weights.
    """

    mask: Tensor

    def __init__(self, in_features: int, out_features: int, mask: Tensor) -> None:
        super().__init__(in_features, out_features)
        if tuple(mask.shape) != (out_features, in_features):
            raise ValueError(
                f"mask must have shape ({out_features}, {in_features}); got {tuple(mask.shape)}"
            )
        self.register_buffer("mask", mask.to(self.weight.dtype))

    def forward(self, x: Tensor) -> Tensor:
        r""":math:`(M \odot W) x + b` for inputs of shape (..., in_features)."""
        return nn.functional.linear(x, self.mask * self.weight, self.bias)


class MADE(nn.Module):
    r"""MADE: a masked autoencoder for distribution estimation, with categorical pixels.

    Each pixel takes one of ``n_levels`` levels. The input is one-hot coded
    (:math:`D \cdot L` units, those of pixel :math:`d` with degree :math:`d`); the output
    holds :math:`L` logits per pixel. A masked direct connection from the inputs to the
    outputs (degree strictly less) sits beside the hidden layers, as in the paper.

    Introduced in the chapter "One yardstick: likelihood in bits per pixel".

    Parameters
    ----------
    n_pixels : int
        :math:`D`, at least 1.
    n_levels : int
        :math:`L`, at least 2 (17 for the 8x8 digits).
    hidden_sizes : tuple of int, default (256,)
        Widths of the hidden layers (ReLU), each at least 1; at least one layer.

    Examples
    --------
    >>> torch.manual_seed(0)  # doctest: +ELLIPSIS
    <torch._C.Generator object at ...>
    >>> model = MADE(4, 3, hidden_sizes=(8,)).double()
    >>> x = torch.tensor([[0, 1, 2, 0]])
    >>> model.log_prob(x).shape
    torch.Size([1])
    """

    def __init__(self, n_pixels: int, n_levels: int, hidden_sizes: tuple[int, ...] = (256,)):
        super().__init__()
        D = _check_size(n_pixels, "n_pixels", 1)
        L = _check_size(n_levels, "n_levels", 2)
        sizes = tuple(hidden_sizes)
        if not sizes:
            raise ValueError("hidden_sizes must hold at least one layer width")
        sizes = tuple(_check_size(h, "each hidden size", 1) for h in sizes)
        n_weights = (D * L) * sizes[0] + sum(a * b for a, b in itertools.pairwise(sizes))
        n_weights += sizes[-1] * D * L + (D * L) ** 2
        check_output_size((n_weights,), name="MADE's sizes", itemsize=4, what="the weights")
        self.n_pixels, self.n_levels, self.hidden_sizes = D, L, sizes
        degrees = made_degrees(D, sizes)
        # one-hot inputs: each pixel's L units share its degree (and so do its L outputs)
        d_in = degrees[0].repeat_interleave(L)
        d_out = degrees[-1].repeat_interleave(L)
        layers: list[nn.Module] = []
        below, width = d_in, D * L
        for d_hidden in degrees[1:-1]:
            mask = (d_hidden[:, None] >= below[None, :]).float()  # hidden: degree <= m
            layers += [MaskedLinear(width, len(d_hidden), mask), nn.ReLU()]
            below, width = d_hidden, len(d_hidden)
        out_mask = (d_out[:, None] > below[None, :]).float()  # outputs: degree < d
        layers.append(MaskedLinear(width, D * L, out_mask))
        self.net = nn.Sequential(*layers)
        self.direct = MaskedLinear(D * L, D * L, (d_out[:, None] > d_in[None, :]).float())

    def _check_images(self, x: Any, name: str = "x") -> Tensor:
        return check_level_images(x, self.n_pixels, self.n_levels, self.direct.weight.device, name)

    def forward(self, x: Tensor) -> Tensor:
        r"""The logits of every pixel's conditional, in one pass.

        Parameters
        ----------
        x : LongTensor of shape (n_images, n_pixels)
            Levels ``0 .. n_levels - 1``.

        Returns
        -------
        Tensor of shape (n_images, n_pixels, n_levels)
            ``out[:, d]`` are the logits of :math:`P(x_d \mid x_{<d})`; they depend on
            ``x[:, :d]`` only.
        """
        x = self._check_images(x)
        h = nn.functional.one_hot(x, self.n_levels).flatten(1).to(self.direct.weight.dtype)
        return self.logits_from_one_hot(h)

    def logits_from_one_hot(self, h: Tensor) -> Tensor:
        """:meth:`forward` on one-hot (or relaxed) inputs of shape (n_images, D * L).

        Used by the tests to differentiate the logits with respect to the inputs.
        """
        out: Tensor = self.net(h) + self.direct(h)
        return out.view(-1, self.n_pixels, self.n_levels)

    def log_prob(self, x: Any) -> Tensor:
        r"""Exact :math:`\log P(x) = \sum_d \log \operatorname{softmax}(\ell_d)[x_d]`, in nats.

        :math:`\ell_d` are the logits of pixel :math:`d` (:meth:`forward`).

        Parameters
        ----------
        x : LongTensor or array_like of shape (n_images, n_pixels)
            Levels ``0 .. n_levels - 1``.

        Returns
        -------
        Tensor of shape (n_images,)
        """
        x = self._check_images(x)
        log_p = torch.log_softmax(self(x), dim=-1)  # (n, D, L)
        return log_p.gather(-1, x.unsqueeze(-1)).squeeze(-1).sum(dim=1)

    def score_samples(self, X: ArrayLike) -> np.ndarray:
        """:meth:`log_prob` as a float64 NumPy array, without gradients (for the yardstick).

        Parameters
        ----------
        X : array_like of shape (n_images, n_pixels)

        Returns
        -------
        ndarray of shape (n_images,)
        """
        with torch.no_grad():
            return self.log_prob(X).double().cpu().numpy()

    @torch.no_grad()
    def sample(self, n: int, *, generator: torch.Generator | None = None) -> Tensor:
        """Draw ``n`` images, one pixel at a time (``n_pixels`` passes).

        Parameters
        ----------
        n : int
            At least 1; refused if the images would need more than
            ``genlab._validation.MAX_OUTPUT_BYTES``.
        generator : torch.Generator, optional
            The source of randomness, for reproducible samples.

        Returns
        -------
        LongTensor of shape (n, n_pixels)
        """
        n = _check_size(n, "n", 1)
        check_output_size((n, self.n_pixels * self.n_levels), name="n", what="the samples")
        x = torch.zeros(n, self.n_pixels, dtype=torch.long, device=self.direct.weight.device)
        for d in range(self.n_pixels):
            probs = torch.softmax(self(x)[:, d], dim=-1)
            x[:, d] = torch.multinomial(probs, 1, generator=generator).squeeze(1)
        return x


def log_prob_chain_rule(model: MADE, x: Any) -> Tensor:
    r"""The chain rule term by term: :math:`\sum_d \log P(x_d \mid x_{<d})`, one pass per pixel.

    The reference version of :meth:`MADE.log_prob`: conditional :math:`d` is computed from
    an input in which every pixel from :math:`d` on is replaced by level 0, so it cannot
    see them, whatever the masks do. It agrees with the one-pass version exactly when
    the masks are right. :math:`D` times slower.

    Introduced in the chapter "One yardstick: likelihood in bits per pixel".

    Parameters
    ----------
    model : MADE
    x : LongTensor or array_like of shape (n_images, n_pixels)

    Returns
    -------
    Tensor of shape (n_images,)
    """
    x = model._check_images(x)
    total = torch.zeros(x.shape[0], dtype=model.direct.weight.dtype, device=x.device)
    for d in range(model.n_pixels):
        prefix = x.clone()
        prefix[:, d:] = 0  # hide x_d, x_{d+1}, ...
        log_p_d = torch.log_softmax(model(prefix)[:, d], dim=-1)
        total = total + log_p_d.gather(-1, x[:, d : d + 1]).squeeze(-1)
    return total


def train_made(
    model: MADE,
    X: ArrayLike,
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
    """Fit a MADE by maximum likelihood with Adam: mean negative log-likelihood per image.

    Each epoch shuffles the images with a seeded generator. After every epoch the loss and
    the weights are checked: a NaN or infinity stops training with a ValueError (lower
    ``lr``). With ``X_val``, the validation NLL is computed after every epoch and the
    weights of the best epoch are restored at the end (early stopping chosen on
    validation: a MADE overfits a small training set within a few epochs).

    Introduced in the chapter "One yardstick: likelihood in bits per pixel".

    Parameters
    ----------
    model : MADE
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
        Seeds the shuffling, 0 to 2**63 - 1.
    progress : bool
        A tqdm bar of the epochs (``TQDM_DISABLE=1`` turns it off).
    patience : int, optional
        With ``X_val``: stop once the validation NLL has not improved for ``patience``
        epochs in a row (at least 1). The weights kept are those of the best epoch either
        way, so stopping early saves time without changing the result whenever no later
        epoch would have beaten it. ``None`` (default) runs all ``epochs``.

    Returns
    -------
    dict
        ``"loss"``: the training loss (mean NLL in nats per image during the epoch) of each
        epoch; with ``X_val`` also ``"val_loss"`` (the validation NLL after each epoch) and
        ``"best_epoch"`` (1-based, the epoch whose weights the model holds). The lists
        are shorter than ``epochs`` when ``patience`` stopped the training.
    """
    if not isinstance(model, MADE):
        raise ValueError(f"model must be a genlab.autoregressive.MADE; got {type(model).__name__}")
    x = model._check_images(X, "X")
    x_val = None if X_val is None else model._check_images(X_val, "X_val")
    return fit_by_likelihood(
        model,
        x,
        x_val,
        lambda batch, _: -model.log_prob(batch).mean(),
        lambda images: -model.log_prob(images).mean(),
        epochs=epochs,
        batch_size=batch_size,
        lr=lr,
        weight_decay=weight_decay,
        seed=seed,
        progress=progress,
        patience=patience,
        desc="MADE",
    )
