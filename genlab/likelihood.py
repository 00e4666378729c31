r"""One yardstick for generative models of images: likelihood in bits per pixel.

Units
    A model of discrete images (levels :math:`0, \dots, L-1` in each of :math:`D`
    pixels) that assigns test image :math:`x` the probability :math:`P(x)` is scored by
    its negative log-likelihood per pixel, in bits:
    :math:`-\log_2 P(x) / D = -\ln P(x) / (D \ln 2)`. Uniform coding of every pixel
    costs :math:`\log_2 L` bits (4.09 for the 17 levels of the 8x8 digits).
Uniform dequantization
    A continuous density :math:`p` cannot be compared with a probability directly.
    Map each image to the unit cube, :math:`y = (x + u) / L` with
    :math:`u \sim \mathcal U[0, 1)^D`, and let :math:`P(x) = \int_{\text{cell}(x)} p(y)\,dy`
    be the probability that :math:`p` gives the cell :math:`[x/L, (x+1)/L)` of volume
    :math:`L^{-D}`. By Jensen's inequality,

    .. math::

        \log P(x) = \log \mathbb E_u\!\left[p\!\left(\tfrac{x+u}{L}\right)\right] - D\log L
        \;\ge\; \mathbb E_u\!\left[\log p\!\left(\tfrac{x+u}{L}\right)\right] - D\log L ,

    with equality when :math:`p` is constant on every cell. The term :math:`-D\log L`
    is the log-Jacobian of the map :math:`x + u \mapsto (x+u)/L`. So the dequantized
    log-density is a **lower bound** on the discrete log-likelihood, and the bits per
    pixel computed from it an **upper bound** on the model's true bits per pixel
    (Theis, van den Oord & Bethge, 2016). It is estimated with a fixed number of draws
    of :math:`u` from a fixed seed: an unbiased estimate of the bound, not itself a
    guaranteed bound.

Introduced in the chapter "One yardstick: likelihood in bits per pixel".
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from genlab._validation import (
    check_array,
    check_count,
    check_levels,
    check_output_size,
    check_random_state,
)
from genlab.numerics import logsumexp

__all__ = [
    "DIGITS_LEVELS",
    "bits_per_pixel",
    "dequantize",
    "dequantized_bits_per_pixel",
    "dequantized_log_likelihood",
    "digits_split",
    "discrete_bits_per_pixel",
]

FloatArray = NDArray[np.float64]

#: The 8x8 digits of scikit-learn have 17 grey levels, 0..16.
DIGITS_LEVELS = 17

LogDensity = Callable[[FloatArray], ArrayLike]


def bits_per_pixel(nll_nats: ArrayLike, n_pixels: int) -> Any:
    r"""Convert a negative log-likelihood in nats into bits per pixel.

    :math:`\text{bpp} = \text{NLL} / (D \ln 2)`. Pass the mean NLL per image with the
    pixels per image, or the total NLL of a data set with its total number of pixels:
    the result is the same.

    Introduced in the chapter "One yardstick: likelihood in bits per pixel".

    Parameters
    ----------
    nll_nats : float or array_like
        Negative log-likelihood(s) in nats (natural logarithm), finite.
    n_pixels : int
        The number of pixels the NLL is over, >= 1.

    Returns
    -------
    float or ndarray of float64
        A float for scalar input, else an array of ``nll_nats``'s shape.

    Raises
    ------
    ValueError
        If ``nll_nats`` is not finite (an image of probability 0 has infinite NLL) or
        ``n_pixels`` is not a positive integer.

    Examples
    --------
    >>> round(bits_per_pixel(64 * np.log(17), 64), 6)  # uniform coding: log2(17)
    4.087463
    """
    D = check_count(n_pixels, name="n_pixels", minimum=1)
    scalar = np.ndim(nll_nats) == 0
    arr = check_array(np.reshape(nll_nats, -1), name="nll_nats", ndim=1, min_samples=0)
    out = np.reshape(arr, np.shape(nll_nats)) / (D * math.log(2.0))
    return float(out) if scalar else np.asarray(out, dtype=np.float64)


def dequantize(
    X: ArrayLike, n_levels: int, *, random_state: int | np.random.Generator | None = None
) -> FloatArray:
    r"""Uniformly dequantize discrete levels onto the unit cube: :math:`(x + u) / L`.

    Introduced in the chapter "One yardstick: likelihood in bits per pixel".

    Parameters
    ----------
    X : array_like of shape (n_samples, n_features)
        Integer levels in ``0 .. n_levels - 1``.
    n_levels : int
        L.
    random_state : int, Generator or None
        Source of :math:`u \sim \mathcal U[0, 1)`, one per entry.

    Returns
    -------
    ndarray of float64, shape (n_samples, n_features)
        Entry :math:`(x + u)/L` lies in the cell :math:`[x/L, (x+1)/L)` of :math:`[0, 1)`.
    """
    X_ = check_levels(X, n_levels)
    rng = check_random_state(random_state)
    return np.asarray((X_ + rng.uniform(size=X_.shape)) / int(n_levels), dtype=np.float64)


def _log_density(model: Any) -> LogDensity:
    if hasattr(model, "score_samples"):
        return model.score_samples  # type: ignore[no-any-return]
    if callable(model):
        return model  # type: ignore[no-any-return]
    raise ValueError(
        "model must have a score_samples method (a fitted density such as "
        f"MultivariateNormal or GaussianMixture) or be a callable log-density; got {model!r}"
    )


def dequantized_log_likelihood(
    model: Any,
    X: ArrayLike,
    n_levels: int,
    *,
    n_draws: int = 10,
    random_state: int | np.random.Generator | None = 0,
    average: str = "log",
) -> FloatArray:
    r"""The dequantization lower bound on :math:`\log P(x)` of each image, in nats.

    :math:`\frac1K \sum_{k=1}^K \log p\bigl((x + u_k)/L\bigr) - D \log L`, with
    :math:`K` = ``n_draws`` draws :math:`u_k \sim \mathcal U[0,1)^D`: a Monte Carlo
    estimate of :math:`\mathbb E_u[\log p((x+u)/L)] - D\log L \le \log P(x)`, where
    :math:`P(x)` is the probability the density gives the image's cell (see the module
    docstring). The model must be a density on the unit cube, fitted to data made by
    :func:`dequantize`.

    Introduced in the chapter "One yardstick: likelihood in bits per pixel".

    Parameters
    ----------
    model : object with ``score_samples``, or callable
        A fitted continuous density; ``model.score_samples(Y)`` (or ``model(Y)``) returns
        :math:`\log p(y)` for the rows of ``Y``, shape (n_samples,).
    X : array_like of shape (n_samples, n_features)
        Integer levels in ``0 .. n_levels - 1``.
    n_levels : int
        L.
    n_draws : int, default 10
        K, the number of dequantization draws per image.
    random_state : int, Generator or None, default 0
        Seed of the draws; draw k of every image comes from
        ``rng.uniform(size=(n_draws, n_samples, n_features))[k]``.
    average : {"log", "probability"}, default "log"
        "log": the mean of the K log-densities, the Jensen bound above. "probability":
        the log of the mean of the K densities,
        :math:`\log \frac1K \sum_k p((x + u_k)/L) - D \log L`, an importance-sampling
        estimate of :math:`\log P(x)` (the uniform noise is the proposal). From the
        same draws it is never below the "log" value; its expectation is still at most
        :math:`\log P(x)` (Jensen again) and rises to it as K grows, as the IWAE bound
        does for a VAE.

    Returns
    -------
    ndarray of float64, shape (n_samples,)

    Raises
    ------
    ValueError
        For bad levels or parameters, or a model whose log-density is NaN, ``+inf`` or
        of the wrong shape.
    """
    X_ = check_levels(X, n_levels)
    K = check_count(n_draws, name="n_draws", minimum=1)
    log_p = _log_density(model)
    n, D = X_.shape
    check_output_size((K, n, D), name="n_draws", what="the dequantization noise")
    rng = check_random_state(random_state, name="random_state")
    u = rng.uniform(size=(K, n, D))
    L = int(n_levels)
    if average not in ("log", "probability"):
        raise ValueError(f"average must be 'log' or 'probability'; got {average!r}")
    values_k = np.empty((K, n))
    for k in range(K):
        values = np.asarray(log_p((X_ + u[k]) / L), dtype=np.float64)
        if values.shape != (n,):
            raise ValueError(
                f"the model's log-density returned shape {values.shape}; expected ({n},)"
            )
        if np.any(np.isnan(values)) or np.any(values == np.inf):
            raise ValueError("the model's log-density is NaN or +inf on dequantized data")
        values_k[k] = values
    if average == "log":
        mean_log = values_k.mean(axis=0)
    else:
        mean_log = logsumexp(values_k, axis=0) - math.log(K)
    return np.asarray(mean_log - D * math.log(L), dtype=np.float64)


def dequantized_bits_per_pixel(
    model: Any,
    X: ArrayLike,
    n_levels: int,
    *,
    n_draws: int = 10,
    random_state: int | np.random.Generator | None = 0,
    average: str = "log",
) -> float:
    r"""A continuous density's bits per pixel on discrete images: an upper bound.

    The mean over images of :func:`dequantized_log_likelihood`, negated and converted
    by :func:`bits_per_pixel`. Since the log-likelihood is a lower bound, this is an
    upper bound on the bits per pixel of the discrete model the density induces
    (estimated with ``n_draws`` draws per image from a fixed seed).

    Introduced in the chapter "One yardstick: likelihood in bits per pixel".

    Parameters
    ----------
    model : object with ``score_samples``, or callable
        See :func:`dequantized_log_likelihood`.
    X : array_like of shape (n_samples, n_features)
        Integer levels in ``0 .. n_levels - 1``.
    n_levels : int
    n_draws : int, default 10
    random_state : int, Generator or None, default 0
    average : {"log", "probability"}, default "log"
        The Jensen bound, or the tighter importance-sampling estimate (see
        :func:`dequantized_log_likelihood`).

    Returns
    -------
    float
        Bits per pixel (``+inf`` if the density vanishes on some image's draws).
    """
    X_ = check_levels(X, n_levels)
    bound = dequantized_log_likelihood(
        model, X_, n_levels, n_draws=n_draws, random_state=random_state, average=average
    )
    if np.any(np.isneginf(bound)):
        return math.inf
    return float(bits_per_pixel(-float(np.mean(bound)), X_.shape[1]))


def discrete_bits_per_pixel(model: Any, X: ArrayLike) -> float:
    r"""A discrete model's exact bits per pixel: :math:`-\overline{\log P(x)} / (D \ln 2)`.

    Introduced in the chapter "One yardstick: likelihood in bits per pixel".

    Parameters
    ----------
    model : object with ``score_samples``
        A fitted discrete model whose ``score_samples`` is :math:`\log P(x)` in nats
        (such as :class:`genlab.discrete.IndependentCategorical`).
    X : array_like of shape (n_samples, n_features)
        The images, as the model takes them.

    Returns
    -------
    float
        ``+inf`` if some image has probability 0.
    """
    X_ = check_array(X, name="X")
    log_p = np.asarray(_log_density(model)(X_), dtype=np.float64)
    if np.any(np.isnan(log_p)) or np.any(log_p == np.inf):
        raise ValueError("the model's log-likelihood is NaN or +inf")
    if np.any(np.isneginf(log_p)):
        return math.inf
    return float(bits_per_pixel(-float(np.mean(log_p)), X_.shape[1]))


def digits_split(
    random_state: int = 2026,
) -> tuple[
    NDArray[np.intp],
    NDArray[np.intp],
    NDArray[np.intp],
    NDArray[np.intp],
    NDArray[np.intp],
    NDArray[np.intp],
]:
    """The 8x8 digits as levels 0..16, split 60/20/20 into fit, validation and test.

    The yardstick's split: 20% of the 1,797 images held out for testing, then 25% of the
    rest for validation, both stratified by digit with scikit-learn's
    ``train_test_split`` and the seed 2026; so every model on the yardstick is scored on
    the images that the classifiers of the chapter "Choosing a generative model" were
    tested on.

    Introduced in the chapter "One yardstick: likelihood in bits per pixel".

    Parameters
    ----------
    random_state : int, default 2026
        The seed of both splits (2026 is the book's).

    Returns
    -------
    X_fit, X_val, X_test : ndarray of intp, shapes (1077, 64), (360, 64), (360, 64)
        Pixel levels 0..16 (the data of ``load_digits``, as integers).
    y_fit, y_val, y_test : ndarray of intp
        The digits.
    """
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    seed = check_count(random_state, name="random_state", minimum=0)
    digits = load_digits()
    X = digits.data.astype(np.intp)
    y = digits.target.astype(np.intp)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.2, random_state=seed, stratify=y
    )
    X_fit, X_val, y_fit, y_val = train_test_split(
        X_train, y_train, test_size=0.25, random_state=seed, stratify=y_train
    )
    return X_fit, X_val, X_test, y_fit, y_val, y_test
