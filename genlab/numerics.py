r"""Log-space arithmetic.

Probabilistic models multiply many small numbers. In floating point the product
of a few hundred densities underflows to 0, so genlab works with logarithms
throughout and adds probabilities with the *log-sum-exp* trick:

.. math::

    \log \sum_i e^{a_i} = m + \log \sum_i e^{a_i - m}, \qquad m = \max_i a_i,

in which every exponent is at most 0, so nothing overflows, and the largest
term is exactly 1, so the sum cannot underflow to 0.

Introduced in the book's chapter "What is a generative model?"
(``book/intro/generative_models.ipynb``).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["log_normalize", "logsumexp"]


def logsumexp(
    a: ArrayLike, axis: int | None = None, *, keepdims: bool = False
) -> NDArray[np.float64]:
    """Compute ``log(sum(exp(a)))`` without overflow or underflow.

    Introduced in the chapter "What is a generative model?".

    Parameters
    ----------
    a : array_like of float
        Log-values; ``-inf`` stands for probability 0 and is allowed.
    axis : int or None
        The axis to sum over; None sums over every entry.
    keepdims : bool
        Keep the reduced axis with length 1 (handy for broadcasting back).

    Returns
    -------
    ndarray of float64
        ``a``'s shape without ``axis`` (or with it of length 1 if
        ``keepdims``). A slice whose entries are all ``-inf`` gives ``-inf``.

    Raises
    ------
    ValueError
        If ``a`` contains NaN or ``+inf`` (not the logarithm of a probability
        or a density).

    Examples
    --------
    >>> float(logsumexp([1000.0, 1000.0]))  # log(2 e^1000), where exp overflows
    1000.6931471805599
    """
    arr = np.asarray(a, dtype=np.float64)
    if np.any(np.isnan(arr)) or np.any(arr == np.inf):
        raise ValueError("logsumexp: input contains NaN or +inf")
    m = np.max(arr, axis=axis, keepdims=True)
    # Where a whole slice is -inf, shift by 0 instead of -inf to avoid inf - inf = NaN.
    m = np.where(np.isneginf(m), 0.0, m)
    with np.errstate(divide="ignore"):  # log(0) = -inf is the right answer there
        out = np.log(np.sum(np.exp(arr - m), axis=axis, keepdims=True)) + m
    if not keepdims:
        out = np.squeeze(out, axis=axis) if axis is not None else out.reshape(())
    return np.asarray(out, dtype=np.float64)


def log_normalize(
    log_weights: ArrayLike, axis: int = -1
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Normalise log-weights so that their exponentials sum to 1 along ``axis``.

    This is Bayes' theorem in log space: given the log joint
    ``log p(x, y) = log p(x | y) + log p(y)`` for every class ``y``, it returns
    the log posterior ``log p(y | x)`` and the log evidence ``log p(x)``.

    Introduced in the chapter "What is a generative model?".

    Parameters
    ----------
    log_weights : array_like of float, shape (..., n_classes, ...)
        Unnormalised log-weights.
    axis : int
        The axis along which the normalised weights sum to 1.

    Returns
    -------
    log_probs : ndarray of float64, same shape as ``log_weights``
        ``log_weights - log_norm``; ``exp(log_probs)`` sums to 1 along ``axis``.
    log_norm : ndarray of float64, shape without ``axis``
        ``logsumexp(log_weights, axis)``.

    Raises
    ------
    ValueError
        If a slice along ``axis`` is entirely ``-inf`` (all weights zero:
        there is nothing to normalise), or the input has NaN or ``+inf``.
    """
    arr = np.asarray(log_weights, dtype=np.float64)
    log_norm = logsumexp(arr, axis=axis, keepdims=True)
    if np.any(np.isneginf(log_norm)):
        raise ValueError(
            "log_normalize: a slice has every weight equal to zero (log-weight -inf); "
            "its normalised weights are undefined"
        )
    return arr - log_norm, np.squeeze(log_norm, axis=axis)
