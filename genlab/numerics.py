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

import numbers

import numpy as np
from numpy.typing import ArrayLike, NDArray

from genlab._validation import as_real_array, check_bool, check_count, check_positive

__all__ = ["first_best", "log_normalize", "logsumexp", "stable_order"]


def _check_axis(axis: object, ndim: int, *, allow_none: bool) -> int | None:
    """``axis`` as a non-negative int for an array of ``ndim`` dimensions, or None."""
    if axis is None and allow_none:
        return None
    allowed = "None or an integer" if allow_none else "an integer"
    if isinstance(axis, (bool, np.bool_)) or not isinstance(axis, numbers.Integral):
        raise ValueError(f"axis must be {allowed}; got {axis!r}")
    if not -max(ndim, 1) <= int(axis) < max(ndim, 1):
        raise ValueError(
            f"axis {int(axis)} is out of bounds for an array of {ndim} dimension(s); allowed: "
            f"{-max(ndim, 1)} to {max(ndim, 1) - 1}"
        )
    return int(axis) % max(ndim, 1)


def _round(values: NDArray[np.float64], decimals: int) -> NDArray[np.float64]:
    """``np.round(values, decimals)``, and ``values`` where that overflows.

    NumPy rounds by scaling by ``10**decimals``: for large values or many decimals the
    product overflows and the result is ``inf`` or NaN, whose order is meaningless; such
    values have no digits at that many decimal places to round away anyway.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        rounded = np.round(values, decimals)
    return np.where(np.isfinite(rounded), rounded, values)


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

        An empty sum is 0, so an empty ``a`` (or slice) gives ``-inf``, as
        ``scipy.special.logsumexp`` does.

    Raises
    ------
    ValueError
        If ``a`` contains NaN or ``+inf`` (not the logarithm of a probability
        or a density), is complex or not numeric; if ``axis`` is not None or an
        integer within ``a``'s dimensions, or ``keepdims`` not a bool.

    Examples
    --------
    >>> float(logsumexp([1000.0, 1000.0]))  # log(2 e^1000), where exp overflows
    1000.6931471805599
    """
    arr = as_real_array(a, name="logsumexp: a")
    axis = _check_axis(axis, arr.ndim, allow_none=True)
    keepdims = check_bool(keepdims, name="keepdims")
    if arr.ndim == 0 and axis is not None:
        arr = arr.reshape(1)  # (NumPy reduces a scalar along axis 0 or -1)
    if np.any(np.isnan(arr)) or np.any(arr == np.inf):
        raise ValueError("logsumexp: input contains NaN or +inf")
    if arr.size == 0:  # an empty sum is 0, and log 0 = -inf
        return np.asarray(
            np.full_like(np.sum(arr, axis=axis, keepdims=keepdims), -np.inf), dtype=np.float64
        )
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
        there is nothing to normalise) or empty, the input has NaN or ``+inf``, is
        complex or not numeric, or ``axis`` is not an integer within its dimensions.
        (An input with no slices at all, such as shape (0, 3) along ``axis=-1``, is
        legal: the outputs are empty.)
    """
    arr = as_real_array(log_weights, name="log_normalize: log_weights")
    if arr.ndim == 0:
        raise ValueError("log_normalize: log_weights must have at least one dimension")
    axis = int(_check_axis(axis, arr.ndim, allow_none=False) or 0)
    if arr.shape[axis] == 0 and np.prod(np.delete(arr.shape, axis)) > 0:
        raise ValueError(
            f"log_normalize: log_weights has no entries along axis {axis} (shape "
            f"{arr.shape}); there is nothing to normalise"
        )
    if np.any(np.isnan(arr)) or np.any(arr == np.inf):
        raise ValueError("log_normalize: input contains NaN or +inf")
    if arr.size == 0:
        return arr.copy(), np.zeros(tuple(np.delete(arr.shape, axis)))
    m = np.max(arr, axis=axis, keepdims=True)
    if np.any(np.isneginf(m)):
        raise ValueError(
            "log_normalize: a slice has every weight equal to zero (log-weight -inf); "
            "its normalised weights are undefined"
        )
    shifted = arr - m
    log_sum = np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))
    log_norm = log_sum + m  # logsumexp(arr), as logsumexp computes it
    # Where |m| is large (1e10 and more, up to -1e308) it absorbs log_sum's digits, so
    # shift first and then normalise; elsewhere arr - log_norm, the textbook form (which
    # genlab's results have always used, to the last bit).
    log_probs = np.where(np.abs(m) > 1e10, shifted - log_sum, arr - log_norm)
    return log_probs, np.squeeze(log_norm, axis=axis)


def stable_order(
    values: ArrayLike,
    *,
    tiebreak: ArrayLike | None = None,
    decimals: int = 9,
    descending: bool = False,
) -> NDArray[np.intp]:
    """Indices that sort ``values``, with ties broken explicitly and reproducibly.

    ``np.argsort`` leaves the order of equal values to its algorithm, which differs
    between processors (NumPy sorts with AVX-512 or AVX2 code where it can). And two
    values that are equal in exact arithmetic, such as ``log 4 - log 2`` and
    ``log 2``, can differ in the last bit, in a direction that depends on the
    processor's ``log``. This function compares the values rounded to ``decimals``
    decimal places, so that such near-ties become ties, and orders ties by
    ``tiebreak`` (by default the index): the same order on every machine.

    Introduced in the chapter "Naive Bayes" (ranking the most telling words).

    Parameters
    ----------
    values : array_like of float, shape (n,)
        Finite values to sort.
    tiebreak : array_like, shape (n,), optional
        Secondary key, in ascending order whatever ``descending`` says (for example
        the words whose scores are sorted). Default: the index.
    decimals : int, default 9
        Values that agree to this many decimal places are ties.
    descending : bool, default False
        Largest value first.

    Returns
    -------
    ndarray of intp, shape (n,)
        A permutation of ``range(n)``.

    Raises
    ------
    ValueError
        If ``values`` is not 1-D, not finite, complex or not numeric, ``tiebreak`` has
        another length, ``decimals`` is not an integer >= 0 (a bool is not), or
        ``descending`` is not a bool.

    Examples
    --------
    >>> stable_order([np.log(4) - np.log(2), np.log(2), 0.5], tiebreak=["b", "a", "c"])
    array([2, 1, 0])
    """
    arr = as_real_array(values, name="values")
    decimals = check_count(decimals, name="decimals")
    descending = check_bool(descending, name="descending")
    if arr.ndim != 1:
        raise ValueError(f"values must be 1-D; got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError("values contain NaN or infinity")
    secondary = np.arange(len(arr)) if tiebreak is None else np.asarray(tiebreak)
    if secondary.shape != arr.shape:
        raise ValueError(f"tiebreak has shape {secondary.shape}; values have {arr.shape}")
    primary = _round(arr, decimals) + 0.0  # + 0.0 turns -0.0 into 0.0
    if descending:
        primary = -primary
    return np.asarray(np.lexsort((secondary, primary)), dtype=np.intp)


def first_best(
    scores: ArrayLike, *, rtol: float = 1e-9, atol: float = 0.0, lowest: bool = False
) -> int:
    """Index of the first score that is as good as the best one, up to a tolerance.

    Restarts of a local optimiser (k-means, EM) often reach the same optimum, with
    objectives that differ only in the last bits, and those bits differ between
    processors. Picking the strict maximum would then pick a different run, and so a
    different labelling of the same clusters, on another machine. Picking the first run
    within ``atol + rtol * |best|`` of the best one gives the same choice everywhere.

    Introduced in the chapter "Gaussian mixtures and the EM algorithm".

    Parameters
    ----------
    scores : array_like of float, shape (n,)
        One finite score per run, n >= 1.
    rtol, atol : float
        Relative and absolute tolerance, both >= 0.
    lowest : bool, default False
        Lower is better (an inertia, a BIC) instead of higher (a log-likelihood).

    Returns
    -------
    int

    Raises
    ------
    ValueError
        If ``scores`` is empty, not 1-D, not finite, complex or not numeric, a
        tolerance is not a finite number >= 0, or ``lowest`` is not a bool.

    Examples
    --------
    >>> first_best([-2.2333058425002017, -2.2333058425002013, -3.0])
    0
    >>> first_best([5.0, 4.0, 4.0 - 1e-15], lowest=True)
    1
    """
    arr = as_real_array(scores, name="scores")
    rtol = check_positive(rtol, name="rtol", strict=False)
    atol = check_positive(atol, name="atol", strict=False)
    lowest = check_bool(lowest, name="lowest")
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"scores must be a non-empty 1-D array; got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError("scores contain NaN or infinity")
    if lowest:
        arr = -arr
    best = arr.max()
    return int(np.flatnonzero(arr >= best - (atol + rtol * abs(best)))[0])
