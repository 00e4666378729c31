r"""Hidden Markov models: forward-backward, Viterbi and Baum-Welch, in log space.

An HMM with :math:`K` hidden states has three parts (Rabiner, 1989):

* the initial distribution :math:`\pi_i = p(z_1 = i)`;
* the transition matrix :math:`A_{ij} = p(z_{t+1} = j \mid z_t = i)`;
* the emission model :math:`b_j(o) = p(o_t = o \mid z_t = j)`, a table of symbol
  probabilities (categorical) or a Gaussian density.

The probability of an observation sequence sums over every state path
:math:`P(O \mid \lambda) = \sum_Q P(O \mid Q, \lambda) P(Q \mid \lambda)`; the forward
algorithm computes it in :math:`O(TK^2)` instead of :math:`O(K^T)` through

.. math::

    \alpha_1(j) = \pi_j b_j(o_1), \qquad
    \alpha_{t}(j) = b_j(o_t) \sum_i \alpha_{t-1}(i) A_{ij}, \qquad
    P(O \mid \lambda) = \sum_j \alpha_T(j).

The functions :func:`forward`, :func:`backward`, :func:`viterbi` and
:func:`posteriors` are the readable reference: one sequence, log space, one line per
equation (``_forward``, ``_backward``, ``_viterbi``, ``_posteriors``), behind a check of
their arguments (shapes, NaN, log-probabilities that are not the logarithms of
probability distributions: probabilities passed by mistake). The estimators validate
their own input once and run the same recursions compiled by numba (``_kernels``, written
to mirror the reference line for line and tested against it), unchecked, because a
Python loop over 50,000 time steps is slow. Names follow hmmlearn: ``startprob_``,
``transmat_``, ``emissionprob_``, ``means_``, ``covars_``, ``fit(X, lengths)``,
``score``, ``decode``, ``predict``, ``predict_proba``, ``sample``.

Differences from hmmlearn: ``decode(..., algorithm="map")`` returns the log-likelihood
:math:`\log P(O \mid \lambda)` (hmmlearn returns a sum of per-step maximum posteriors);
a state that receives no posterior mass in Baum-Welch keeps its previous transition row
and emission parameters (hmmlearn zeroes them); ``converged_`` is False when ``n_iter``
was reached; ``history_[i]`` is the log-likelihood of the parameters *before* the i-th
M-step; a sequence of probability zero raises a ValueError instead of producing NaN;
fitting again starts from the same values as the previous fit, not from its results
(a refit equals a fresh fit, as in scikit-learn; see "Fitting again" in
:class:`CategoricalHMM`).

Introduced in the book's chapter "Hidden Markov models" (``book/hmm/hmm.ipynb``).
"""

from __future__ import annotations

import numbers
from abc import ABC, abstractmethod
from collections.abc import Iterator
from typing import Any, ClassVar, NoReturn

import numpy as np
from numpy.typing import ArrayLike, NDArray

from genlab import _hmm_kernels as _kernels
from genlab._base import BaseEstimator, FiniteInterval, Interval, Letters, Options
from genlab._validation import (
    InvalidInputError,
    check_array,
    check_is_fitted,
    check_output_size,
    check_probability_vector,
    check_random_state,
    check_stochastic_matrix,
    check_variances_representable,
)
from genlab.cluster import KMeans
from genlab.gaussian import (
    MultivariateNormal,
    _logpdf_from_squared,
    log_det_factor,
    precision_cholesky,
)
from genlab.numerics import log_normalize, logsumexp

__all__ = [
    "CategoricalHMM",
    "GaussianHMM",
    "backward",
    "estimate_by_counting",
    "forward",
    "posteriors",
    "viterbi",
]

FloatArray = NDArray[np.float64]

#: Tolerance of the public functions' checks on log-probabilities: an entry may exceed 0,
#: and a distribution's log-sum-exp may differ from 0, by this much (rounding). The
#: estimators accept probabilities whose sums are within 1e-8 of 1: the same tolerance.
_LOG_TOL = 1e-8


def _log(p: ArrayLike) -> FloatArray:
    """Natural log with log(0) = -inf and no warning: forbidden transitions are legal."""
    with np.errstate(divide="ignore"):
        return np.log(np.asarray(p, dtype=np.float64))


# ------------------------------------------- checks of the public functions' arguments
def _check_log_array(a: ArrayLike, name: str, shape: str, ndim: int) -> FloatArray:
    """A real float64 array of ``ndim`` dimensions without NaN or +inf (-inf is allowed)."""
    raw = np.asarray(a)
    if raw.dtype.kind == "c":
        raise ValueError(f"{name} has complex entries; it must hold real log-values")
    try:
        arr = np.asarray(raw, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(f"{name} must be a numeric array: {exc}") from None
    if arr.ndim != ndim:
        raise ValueError(f"{name} must have shape {shape}; got shape {arr.shape}")
    n_nan = int(np.isnan(arr).sum())
    if n_nan:
        raise ValueError(f"{name} contains NaN ({n_nan} entries); log-values must be numbers")
    n_inf = int((arr == np.inf).sum())
    if n_inf:
        raise ValueError(
            f"{name} contains +inf ({n_inf} entries); log-values must be finite or -inf "
            "(-inf is probability 0)"
        )
    return arr


def _check_log_distributions(arr: FloatArray, name: str) -> None:
    """Each row (or the vector) must be the log of a probability distribution.

    Entries may be -inf (probability 0: a forbidden start or transition), must be <= 0,
    and ``logsumexp`` of each row must be 0: the probabilities sum to 1.
    """
    if arr.size and arr.max() > _LOG_TOL:
        raise ValueError(
            f"{name} must hold log-probabilities, which are <= 0; its largest entry is "
            f"{arr.max():.6g}. Did you pass probabilities? Pass their logarithms (np.log)"
        )
    totals = np.atleast_1d(logsumexp(arr, axis=-1))
    bad = np.flatnonzero(~(np.abs(totals) <= _LOG_TOL))
    if bad.size == 0:
        return
    sums = np.exp(totals[bad])
    if arr.ndim == 1:
        raise ValueError(
            f"{name} must be the logarithm of a probability vector: its probabilities "
            f"exp({name}) sum to {sums[0]:.10g}, not 1 (logsumexp({name}) = {totals[0]:.6g})"
        )
    raise ValueError(
        f"every row of {name} must be the logarithm of a probability vector, whose "
        f"probabilities sum to 1; the probabilities of row(s) {bad[:5].tolist()} sum to "
        f"{[float(f'{s:.10g}') for s in sums[:5]]}"
    )


def _check_log_startprob(log_startprob: ArrayLike) -> FloatArray:
    log_pi = _check_log_array(log_startprob, "log_startprob", "(n_states,)", 1)
    if log_pi.size == 0:
        raise ValueError("log_startprob is empty; an HMM needs at least one state")
    _check_log_distributions(log_pi, "log_startprob")
    return log_pi


def _check_transitions_and_emissions(
    log_transmat: ArrayLike, log_emission: ArrayLike, n_states: int | None = None
) -> tuple[FloatArray, FloatArray]:
    """Validate log_transmat (K, K) and log_emission (T, K), K from log_startprob if given."""
    log_A = _check_log_array(log_transmat, "log_transmat", "(n_states, n_states)", 2)
    if log_A.size == 0:
        raise ValueError("log_transmat is empty; an HMM needs at least one state")
    K = log_A.shape[0] if n_states is None else n_states
    if log_A.shape != (K, K):
        against = "" if n_states is None else f" for the {K} states of log_startprob"
        raise ValueError(
            f"log_transmat must be a square matrix of shape ({K}, {K}){against}; "
            f"got shape {log_A.shape}"
        )
    log_b = _check_log_array(log_emission, "log_emission", "(n_steps, n_states)", 2)
    if log_b.shape[1] != K:
        raise ValueError(
            f"log_emission must have shape (n_steps, {K}), one column per state; got shape "
            f"{log_b.shape}"
        )
    if log_b.shape[0] == 0:
        raise ValueError(
            f"log_emission has 0 time steps (shape {log_b.shape}); a sequence needs at least one"
        )
    _check_log_distributions(log_A, "log_transmat")
    return log_A, log_b


def _raise_impossible(what: str) -> NoReturn:
    raise ValueError(
        f"the sequence has probability zero under the model (it needs a forbidden start or "
        f"transition or an impossible emission); its {what} undefined"
    )


def _reachable(log_pi: FloatArray, log_A: FloatArray, log_b: FloatArray) -> bool:
    """Whether some state path has non-zero probability (entries other than -inf)."""
    allowed = np.isfinite(log_A).astype(np.float64)
    emits = np.isfinite(log_b)
    reach = np.isfinite(log_pi) & emits[0]
    for t in range(1, len(log_b)):
        reach = ((reach.astype(np.float64) @ allowed) > 0) & emits[t]
    return bool(reach.any())


_TOO_EXTREME = (
    "is beyond float64's range (below about -1.8e308, or above 1.8e308): the log "
    "emissions are too extreme (e.g. -1e308 at several steps) for it to be represented; "
    "rescale them or split the sequence"
)


def _check_representable(
    value: float, log_pi: FloatArray | None, log_A: FloatArray, log_b: FloatArray, what: str
) -> None:
    """Refuse a log-probability that overflowed (from finite terms) rather than being -inf.

    ``-inf`` is the right answer for a sequence of probability zero (a forbidden start
    or transition, an impossible emission); it also appears when finite log emissions
    such as -1e308 add up beyond float64's range, which is no probability zero.
    """
    if np.isnan(value) or value == np.inf:
        raise ValueError(f"the {what} {_TOO_EXTREME}")
    if value == -np.inf:
        start = np.zeros(log_A.shape[0]) if log_pi is None else log_pi
        if _reachable(start, log_A, log_b):
            raise ValueError(f"the {what} {_TOO_EXTREME}")


# ------------------------------------------------------ the readable reference
def forward(
    log_startprob: ArrayLike, log_transmat: ArrayLike, log_emission: ArrayLike
) -> tuple[FloatArray, float]:
    r"""The forward algorithm in log space, for one sequence.

    Introduced in the chapter "Hidden Markov models".

    Parameters
    ----------
    log_startprob : array_like of shape (n_states,)
        :math:`\log \pi`: log-probabilities (``-inf`` for a state that cannot start)
        whose probabilities sum to 1.
    log_transmat : array_like of shape (n_states, n_states)
        :math:`\log A`; row ``i`` holds the log-probabilities of the transitions out of
        state ``i`` (``-inf``: forbidden); each row's probabilities sum to 1.
    log_emission : array_like of shape (n_steps, n_states)
        :math:`\log b_j(o_t)`, the log-likelihood of each observation under each state
        (``-inf``: impossible). Log-densities of continuous observations may be positive.
        ``n_steps >= 1``.

    Returns
    -------
    log_alpha : ndarray of shape (n_steps, n_states)
        :math:`\log \alpha_t(j) = \log p(o_1, \dots, o_t, z_t = j)`.
    log_likelihood : float
        :math:`\log P(O \mid \lambda)`; ``-inf`` for a sequence of probability zero.

    Raises
    ------
    ValueError
        For inconsistent shapes, zero time steps, NaN or ``+inf``, and start or
        transition log-probabilities that are positive or whose probabilities do not sum
        to 1 (within 1e-8): probabilities passed instead of their logarithms; and for a
        log-likelihood beyond float64's range (finite but extreme log emissions, such as
        -1e308 at several steps), which is not ``-inf``: that means probability zero.
        Extreme entries that other paths dominate (``-1e308`` mixed with 0) are fine.
    """
    log_pi = _check_log_startprob(log_startprob)
    log_A, log_b = _check_transitions_and_emissions(log_transmat, log_emission, len(log_pi))
    log_alpha, log_likelihood = _forward(log_pi, log_A, log_b)
    _check_representable(log_likelihood, log_pi, log_A, log_b, "log-likelihood")
    return log_alpha, log_likelihood


def _forward(
    log_startprob: FloatArray, log_transmat: FloatArray, log_emission: FloatArray
) -> tuple[FloatArray, float]:
    """:func:`forward` without the checks of its arguments."""
    log_pi, log_A, log_b = (
        np.asarray(a, dtype=np.float64) for a in (log_startprob, log_transmat, log_emission)
    )
    T, K = log_b.shape
    log_alpha = np.empty((T, K))
    # (A sum of extreme finite terms, -1e308 + -1e308, may overflow to -inf: harmless
    # where another term dominates; the public functions check the result.)
    with np.errstate(over="ignore", invalid="ignore"):
        log_alpha[0] = log_pi + log_b[0]  # alpha_1(j) = pi_j b_j(o_1)
        for t in range(1, T):
            if np.any(log_alpha[t - 1] == np.inf):  # (positive log emissions, 1e308 + 1e308)
                raise ValueError(f"the log-likelihood {_TOO_EXTREME}")
            # alpha_t(j) = b_j(o_t) * sum_i alpha_{t-1}(i) A_ij
            log_alpha[t] = logsumexp(log_alpha[t - 1][:, None] + log_A, axis=0) + log_b[t]
    if np.any(np.isnan(log_alpha)) or np.any(log_alpha == np.inf):
        raise ValueError(f"the log-likelihood {_TOO_EXTREME}")
    return log_alpha, float(logsumexp(log_alpha[-1]))


def backward(log_transmat: ArrayLike, log_emission: ArrayLike) -> FloatArray:
    r"""The backward algorithm in log space, for one sequence.

    Introduced in the chapter "Hidden Markov models".

    Parameters
    ----------
    log_transmat : array_like of shape (n_states, n_states)
        :math:`\log A`, as in :func:`forward`.
    log_emission : array_like of shape (n_steps, n_states)
        :math:`\log b_j(o_t)`, as in :func:`forward`; ``n_steps >= 1``.

    Returns
    -------
    log_beta : ndarray of shape (n_steps, n_states)
        :math:`\log \beta_t(i) = \log p(o_{t+1}, \dots, o_T \mid z_t = i)`;
        :math:`\beta_T = 1`.

    Raises
    ------
    ValueError
        As :func:`forward`.
    """
    log_A, log_b = _check_transitions_and_emissions(log_transmat, log_emission)
    log_beta = _backward(log_A, log_b)
    for t in np.flatnonzero(np.any(np.isneginf(log_beta), axis=1)):
        for i in np.flatnonzero(np.isneginf(log_beta[t])):
            start = np.full(log_A.shape[0], -np.inf)
            start[i] = 0.0
            _check_representable(-np.inf, start, log_A, log_b[t:], "backward variable")
    return log_beta


def _backward(log_transmat: FloatArray, log_emission: FloatArray) -> FloatArray:
    """:func:`backward` without the checks of its arguments."""
    log_A, log_b = (np.asarray(a, dtype=np.float64) for a in (log_transmat, log_emission))
    T, K = log_b.shape
    log_beta = np.empty((T, K))
    log_beta[-1] = 0.0  # beta_T(i) = 1
    with np.errstate(over="ignore", invalid="ignore"):  # as in _forward
        for t in range(T - 2, -1, -1):
            ahead = log_b[t + 1] + log_beta[t + 1]
            if np.any(ahead == np.inf):  # as in _forward
                raise ValueError(f"the backward variable {_TOO_EXTREME}")
            # beta_t(i) = sum_j A_ij b_j(o_{t+1}) beta_{t+1}(j)
            log_beta[t] = logsumexp(log_A + ahead[None, :], axis=1)
    if np.any(np.isnan(log_beta)) or np.any(log_beta == np.inf):
        raise ValueError(f"the backward variable {_TOO_EXTREME}")
    return log_beta


def posteriors(
    log_alpha: ArrayLike, log_beta: ArrayLike, log_transmat: ArrayLike, log_emission: ArrayLike
) -> tuple[FloatArray, FloatArray]:
    r"""State posteriors :math:`\gamma` and summed transition posteriors :math:`\xi`.

    Introduced in the chapter "Hidden Markov models".

    Parameters
    ----------
    log_alpha, log_beta : array_like of shape (n_steps, n_states)
        From :func:`forward` and :func:`backward`, for the same sequence and parameters.
    log_transmat : array_like of shape (n_states, n_states)
        :math:`\log A`, as in :func:`forward`.
    log_emission : array_like of shape (n_steps, n_states)
        :math:`\log b_j(o_t)`, as in :func:`forward`.

    Returns
    -------
    gamma : ndarray of shape (n_steps, n_states)
        :math:`\gamma_t(i) = p(z_t = i \mid O)`; every row sums to 1.
    xi_sum : ndarray of shape (n_states, n_states)
        :math:`\sum_{t=1}^{T-1} \xi_t(i, j)` with
        :math:`\xi_t(i, j) = p(z_t = i, z_{t+1} = j \mid O)
        \propto \alpha_t(i) A_{ij} b_j(o_{t+1}) \beta_{t+1}(j)`.

    Raises
    ------
    ValueError
        As :func:`forward`; for a sequence of probability zero; and for arguments that do
        not belong together: :math:`\beta_T \ne 1`, :math:`\sum_i \alpha_t(i)\beta_t(i)`
        not the same :math:`P(O)` at every step, or :math:`\xi` whose sums over
        :math:`j` and :math:`i` are not :math:`\gamma_t(i)` and :math:`\gamma_{t+1}(j)`
        (a ``log_transmat`` or ``log_emission`` other than the one ``log_alpha`` and
        ``log_beta`` were computed with), each within a relative 1e-8.
    """
    log_A, log_b = _check_transitions_and_emissions(log_transmat, log_emission)
    shape = "(n_steps, n_states)"
    la = _check_log_array(log_alpha, "log_alpha", shape, 2)
    lb = _check_log_array(log_beta, "log_beta", shape, 2)
    for name, arr in (("log_alpha", la), ("log_beta", lb)):
        if arr.shape != log_b.shape:
            raise ValueError(
                f"{name} must have the shape of log_emission, {log_b.shape}; got {arr.shape}"
            )
    if np.max(np.abs(lb[-1])) > _LOG_TOL:
        raise ValueError(
            "the last row of log_beta must be 0 (beta_T = 1); pass the output of backward, "
            "which is in log space"
        )
    log_likelihood = float(logsumexp(la[-1]))
    if log_likelihood == -np.inf:
        _raise_impossible("posteriors are")
    tol = _LOG_TOL * max(1.0, abs(log_likelihood))
    with np.errstate(over="ignore"):  # as in _forward
        per_step = logsumexp(la + lb, axis=1)  # log sum_i alpha_t(i) beta_t(i) = log P(O)
    t_bad = np.flatnonzero(~(np.abs(per_step - log_likelihood) <= tol))
    if t_bad.size:
        t = int(t_bad[0])
        raise ValueError(
            f"log_alpha and log_beta do not belong together: logsumexp(log_alpha[t] + "
            f"log_beta[t]) must be log P(O) = {log_likelihood:.10g} at every step t; at t = "
            f"{t} it is {per_step[t]:.10g}. Pass forward's and backward's outputs for the "
            "same sequence and parameters"
        )
    gamma, xi_sum = _posteriors(la, lb, log_A, log_b)
    T = len(la)
    if T > 1:
        # sum_j xi_t(i, j) = gamma_t(i) and sum_i xi_t(i, j) = gamma_{t+1}(j)
        atol = tol * (T - 1)
        rows_ok = np.allclose(xi_sum.sum(axis=1), gamma[:-1].sum(axis=0), rtol=0, atol=atol)
        cols_ok = np.allclose(xi_sum.sum(axis=0), gamma[1:].sum(axis=0), rtol=0, atol=atol)
        if not (rows_ok and cols_ok):
            raise ValueError(
                "log_transmat and log_emission do not belong to log_alpha and log_beta: the "
                "transition posteriors xi_t(i, j) do not add up to the state posteriors "
                "gamma_t(i). Pass the parameters that forward and backward were given"
            )
    return gamma, xi_sum


def _posteriors(
    log_alpha: FloatArray, log_beta: FloatArray, log_transmat: FloatArray, log_emission: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """:func:`posteriors` without the checks of its arguments."""
    la, lb, log_A, log_b = (
        np.asarray(a, dtype=np.float64) for a in (log_alpha, log_beta, log_transmat, log_emission)
    )
    log_likelihood = logsumexp(la[-1])
    with np.errstate(over="ignore", invalid="ignore"):  # as in _forward
        gamma = np.exp(log_normalize(la + lb, axis=1)[0])
        log_xi = la[:-1, :, None] + log_A[None] + (log_b[1:] + lb[1:])[:, None, :] - log_likelihood
    return gamma, np.exp(log_xi).sum(axis=0) if len(la) > 1 else np.zeros_like(log_A)


def viterbi(
    log_startprob: ArrayLike, log_transmat: ArrayLike, log_emission: ArrayLike
) -> tuple[float, NDArray[np.intp]]:
    r"""The most probable state path (Viterbi, 1967), in log space, for one sequence.

    :math:`\delta_t(j) = \max_i [\delta_{t-1}(i) + \log A_{ij}] + \log b_j(o_t)`, with
    back-pointers to recover the path.

    Introduced in the chapter "Hidden Markov models".

    Parameters
    ----------
    log_startprob : array_like of shape (n_states,)
        :math:`\log \pi`, as in :func:`forward`.
    log_transmat : array_like of shape (n_states, n_states)
        :math:`\log A`, as in :func:`forward`.
    log_emission : array_like of shape (n_steps, n_states)
        :math:`\log b_j(o_t)`, as in :func:`forward`; ``n_steps >= 1``.

    Returns
    -------
    log_prob : float
        :math:`\log \max_Q P(O, Q \mid \lambda)`.
    path : ndarray of shape (n_steps,)

    Raises
    ------
    ValueError
        As :func:`forward`, and for a sequence of probability zero (every path has
        probability zero: there is no most probable one).
    """
    log_pi = _check_log_startprob(log_startprob)
    log_A, log_b = _check_transitions_and_emissions(log_transmat, log_emission, len(log_pi))
    log_prob, path = _viterbi(log_pi, log_A, log_b)
    _check_representable(log_prob, log_pi, log_A, log_b, "most probable path's log-probability")
    if log_prob == -np.inf:
        _raise_impossible("most probable path is")
    return log_prob, path


def _viterbi(
    log_startprob: FloatArray, log_transmat: FloatArray, log_emission: FloatArray
) -> tuple[float, NDArray[np.intp]]:
    """:func:`viterbi` without the checks of its arguments."""
    log_pi, log_A, log_b = (
        np.asarray(a, dtype=np.float64) for a in (log_startprob, log_transmat, log_emission)
    )
    T, K = log_b.shape
    back = np.empty((T, K), dtype=np.intp)
    with np.errstate(over="ignore", invalid="ignore"):  # as in _forward
        delta = log_pi + log_b[0]
        for t in range(1, T):
            scores = delta[:, None] + log_A  # scores[i, j]: come from i, go to j
            back[t] = np.argmax(scores, axis=0)
            delta = scores[back[t], np.arange(K)] + log_b[t]
    path = np.empty(T, dtype=np.intp)
    path[-1] = int(np.argmax(delta))
    for t in range(T - 1, 0, -1):
        path[t - 1] = back[t, path[t]]
    return float(delta[path[-1]]), path


# ------------------------------------------------------------------ estimators
def _split(X: FloatArray, lengths: ArrayLike | None) -> Iterator[FloatArray]:
    for start, end in _bounds(lengths, len(X)):
        yield X[start:end]


def _bounds(lengths: ArrayLike | None, n_samples: int) -> list[tuple[int, int]]:
    """(start, end) of each sequence in the concatenated samples."""
    if lengths is None:
        return [(0, n_samples)]
    ends = np.cumsum(lengths)
    return [(int(a), int(b)) for a, b in zip(ends - np.asarray(lengths), ends, strict=True)]


def _check_lengths(lengths: ArrayLike | None, n_samples: int) -> NDArray[np.intp] | None:
    """Lengths of the sequences concatenated in X: positive integers summing to n_samples."""
    if lengths is None:
        return None
    if hasattr(lengths, "toarray"):
        raise ValueError("lengths is a sparse matrix; pass a list or a 1-D array of integers")
    arr = np.asarray(lengths)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(
            "lengths must be a non-empty 1-D array of integers, one length per sequence; "
            f"got shape {arr.shape}"
        )
    # Whole numbers stored as floats (e.g. [100.0, 200.0]) are accepted, as symbols are.
    whole = arr.dtype.kind in "iu" or (
        arr.dtype.kind == "f" and bool(np.all(np.isfinite(arr) & (arr == np.round(arr))))
    )
    if not whole:
        raise ValueError(
            f"lengths must be a 1-D array of integers, one length per sequence; got dtype "
            f"{arr.dtype} and values {arr[:5].tolist()}{' ...' if arr.size > 5 else ''}"
        )
    if np.any(arr < 1):
        i = int(np.flatnonzero(arr < 1)[0])
        raise ValueError(
            f"every sequence must be non-empty; lengths has {arr.min():g} (lengths[{i}] = "
            f"{arr[i]:g}): each length must be >= 1"
        )
    total = int(arr.sum())
    if total != n_samples:
        raise ValueError(f"lengths sum to {total}, but X has {n_samples} samples")
    return arr.astype(np.intp)


def _check_possible(
    log_likelihood: float, log_pi: FloatArray, log_A: FloatArray, log_b: FloatArray
) -> None:
    _check_representable(log_likelihood, log_pi, log_A, log_b, "log-likelihood")
    if log_likelihood == -np.inf:
        raise ValueError(
            "a sequence has probability zero under the model (it needs a forbidden "
            "transition or an impossible emission); its posteriors and paths are undefined"
        )


class _BaseHMM(BaseEstimator, ABC):
    """Shared by both HMMs: initial and transition probabilities, EM, inference, state.

    A subclass defines the emission model through nine abstract hooks, each documented
    below with what this class guarantees when it calls them: ``_check_X`` and
    ``_check_emission`` (validation), ``_initialize_emission``, ``_log_emission`` (the
    log-densities that the recursions use), ``_init_emission_stats``,
    ``_accumulate_emission_stats`` and ``_m_step_emission`` (Baum-Welch's M-step),
    ``_n_emission_parameters`` (for BIC and AIC) and ``_sample_emissions``. It also
    declares ``_parameter_letters`` (hmmlearn's letters of ``params`` and ``init_params``
    and the attributes they name) and ``_fitted_attributes`` (all of them).
    """

    #: Letter of ``params`` / ``init_params`` -> the attribute it names.
    _parameter_letters: ClassVar[dict[str, str]] = {"s": "startprob_", "t": "transmat_"}
    startprob_: FloatArray
    transmat_: FloatArray
    n_components: int
    n_iter: int
    tol: float
    params: str
    init_params: str
    algorithm: str
    random_state: int | np.random.Generator | None

    _base_constraints: ClassVar[dict[str, list[Any]]] = {
        "n_components": [Interval(numbers.Integral, 1, None)],
        "n_iter": [Interval(numbers.Integral, 1, None)],
        "tol": [FiniteInterval(numbers.Real, 0, None)],
        "algorithm": [Options({"viterbi", "map"})],
        "random_state": ["random_state"],
    }

    # ---------------------------------------------------------- validation
    def _check_structure(self) -> None:
        K = int(self.n_components)
        self.startprob_ = check_probability_vector(self.startprob_, name="startprob_")
        self.transmat_ = check_stochastic_matrix(self.transmat_, name="transmat_")
        if self.startprob_.shape != (K,) or self.transmat_.shape != (K, K):
            raise ValueError(
                f"startprob_ must have shape ({K},) and transmat_ ({K}, {K}); got "
                f"{self.startprob_.shape} and {self.transmat_.shape}"
            )
        self._check_emission()

    @abstractmethod
    def _check_emission(self) -> None:
        """Validate the emission parameters, convert them, and rebuild what depends on them.

        Replaces each emission attribute by its validated float64 array (assigning the
        same object back when it is one already, so that a refit can tell that it was
        not changed) and recomputes whatever :meth:`_log_emission` derives from the
        parameters (a Cholesky factor, say).

        The base class calls it, after validating ``startprob_`` and ``transmat_``,
        before every inference (``score``, ``predict``, ``sample``, ...), after the
        initialisation in ``fit``, and at the start of every E-step, i.e. after every
        M-step: no other method needs to check the parameters again.

        Raises
        ------
        ValueError
            For shapes that disagree with ``n_components`` (or with the alphabet, the
            number of features), NaN or infinity, or values outside the parameter's
            domain; the message names the attribute.
        """

    @abstractmethod
    def _check_X(self, X: ArrayLike, fitting: bool = False) -> FloatArray:
        """Validate observations: shape, finiteness and the emission's domain.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            The observations as the user passed them (several sequences concatenated).
        fitting : bool
            True when called by ``fit``: before the parameters are initialised, so the
            emission attributes may be absent, or about to be replaced (those whose
            letters are in ``init_params``); only the others may be relied on. False at
            inference, where :meth:`_check_emission` has just validated every parameter.

        Returns
        -------
        ndarray of float64, shape (n_samples, n_features)
            C-contiguous, at least one sample, finite, every row in the emission's
            domain. The base class checks ``lengths`` against its number of rows and
            passes it, unchanged, to every other hook.

        Raises
        ------
        ValueError
            Naming the problem (and, for one bad entry, where it is).
        """

    @abstractmethod
    def _initialize_emission(self, X: FloatArray, rng: np.random.Generator) -> None:
        """Set the initial emission parameters at the start of ``fit``.

        Must set each emission attribute whose letter is in ``init_params``, and each
        that does not exist; must leave the others as they are (the user's starting
        values). The base class has already set ``startprob_`` and ``transmat_``, and
        calls :meth:`_check_emission` right after.

        Parameters
        ----------
        X : ndarray of float64, shape (n_samples, n_features)
            All training sequences concatenated, as returned by
            ``_check_X(X, fitting=True)``.
        rng : numpy.random.Generator
            From ``random_state``; the only source of randomness allowed, so that a fit
            with an integer ``random_state`` is reproducible.
        """

    @abstractmethod
    def _log_emission(self, X: FloatArray) -> FloatArray:
        r"""The emission log-likelihoods :math:`\log b_j(x_t)` that the recursions use.

        Parameters
        ----------
        X : ndarray of float64, shape (n_samples, n_features)
            Validated by :meth:`_check_X`: one sequence, or several concatenated (rows
            are independent given the state: row ``t`` of the result must depend on
            row ``t`` of ``X`` only).

        Returns
        -------
        ndarray of float64, shape (n_samples, n_components)
            C-contiguous (the compiled kernels need it); entry ``(t, j)`` is
            :math:`\log b_j(x_t)`, a log-probability or a log-density (possibly
            positive); ``-inf`` where state ``j`` cannot emit ``x_t``; never NaN or
            ``+inf``.

        Notes
        -----
        The base class calls :meth:`_check_emission` after every change of the
        parameters and before calling this.
        """

    # --------------------------------------------------------------- infer
    def _sequences(
        self, X: ArrayLike, lengths: ArrayLike | None
    ) -> tuple[FloatArray, NDArray[np.intp] | None]:
        check_is_fitted(self, self._fitted_attributes)
        self._check_structure()
        X_ = self._check_X(X)
        return X_, _check_lengths(lengths, len(X_))

    def _score(self, X: FloatArray, lengths: NDArray[np.intp] | None) -> float:
        log_pi, log_A = _log(self.startprob_), _log(self.transmat_)
        total = 0.0
        for seq in _split(X, lengths):
            log_b = self._log_emission(seq)
            ll = float(_kernels.forward(log_pi, log_A, log_b)[1])
            _check_representable(ll, log_pi, log_A, log_b, "log-likelihood")
            total += ll
        return total

    def score(self, X: ArrayLike, lengths: ArrayLike | None = None) -> float:
        r"""Total log-likelihood :math:`\sum \log P(O \mid \lambda)` of the sequences.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            The concatenated sequences.
        lengths : array_like of int, optional
            Lengths of the sequences in ``X`` (each >= 1, summing to ``n_samples``);
            one sequence if omitted.

        Returns
        -------
        float
            ``-inf`` if a sequence has probability zero under the model.
        """
        return self._score(*self._sequences(X, lengths))

    def predict_proba(self, X: ArrayLike, lengths: ArrayLike | None = None) -> FloatArray:
        r"""Posterior state probabilities :math:`\gamma_t(i) = p(z_t = i \mid O)`.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
        lengths : array_like of int, optional

        Returns
        -------
        ndarray of shape (n_samples, n_components)

        Raises
        ------
        ValueError
            If a sequence has probability zero under the model.
        """
        return self.score_samples(X, lengths)[1]

    def score_samples(
        self, X: ArrayLike, lengths: ArrayLike | None = None
    ) -> tuple[float, FloatArray]:
        """Total log-likelihood and state posteriors (as hmmlearn's ``score_samples``).

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
        lengths : array_like of int, optional

        Returns
        -------
        log_likelihood : float
        posteriors : ndarray of shape (n_samples, n_components)

        Raises
        ------
        ValueError
            If a sequence has probability zero under the model.
        """
        X_, lens = self._sequences(X, lengths)
        log_pi, log_A = _log(self.startprob_), _log(self.transmat_)
        log_b_all = self._log_emission(X_)  # every sequence at once
        total, gamma = 0.0, np.empty_like(log_b_all)
        for start, end in _bounds(lens, len(X_)):
            log_b = log_b_all[start:end]
            log_alpha, ll = _kernels.forward(log_pi, log_A, log_b)
            _check_possible(ll, log_pi, log_A, log_b)
            log_beta = _kernels.backward(log_A, log_b)
            gamma[start:end] = _kernels.state_posteriors(log_alpha, log_beta)
            total += ll
        return total, gamma

    def decode(
        self, X: ArrayLike, lengths: ArrayLike | None = None, algorithm: str | None = None
    ) -> tuple[float, NDArray[np.intp]]:
        r"""Most likely hidden states.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
        lengths : array_like of int, optional
        algorithm : {"viterbi", "map"}, optional
            "viterbi": the single most probable path; "map": the most probable state at
            each step separately (posterior decoding). Defaults to ``self.algorithm``.

        Returns
        -------
        log_prob : float
            For "viterbi", :math:`\log P(O, Q^* \mid \lambda)` of the best path; for
            "map", the log-likelihood :math:`\log P(O \mid \lambda)`.
        states : ndarray of shape (n_samples,)

        Raises
        ------
        ValueError
            If a sequence has probability zero under the model.
        """
        algorithm = self.algorithm if algorithm is None else algorithm
        if algorithm not in ("viterbi", "map"):
            raise ValueError(f"algorithm must be 'viterbi' or 'map'; got {algorithm!r}")
        if algorithm == "map":
            log_likelihood, gamma = self.score_samples(X, lengths)
            return log_likelihood, np.asarray(np.argmax(gamma, axis=1))
        X_, lens = self._sequences(X, lengths)
        log_pi, log_A = _log(self.startprob_), _log(self.transmat_)
        total, paths = 0.0, []
        for seq in _split(X_, lens):
            log_b = self._log_emission(seq)
            log_prob, path = _kernels.viterbi(log_pi, log_A, log_b)
            _check_possible(log_prob, log_pi, log_A, log_b)
            total += log_prob
            paths.append(path)
        return total, np.concatenate(paths)

    def predict(self, X: ArrayLike, lengths: ArrayLike | None = None) -> NDArray[np.intp]:
        """The decoded state sequence (``decode(X, lengths)[1]``).

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
        lengths : array_like of int, optional

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        return self.decode(X, lengths)[1]

    # ----------------------------------------------------------------- fit
    def fit(self, X: ArrayLike, lengths: ArrayLike | None = None) -> Any:
        """Estimate the parameters with Baum-Welch (EM).

        Each iteration runs forward-backward on every sequence (E-step), then re-estimates
        the parameters named in ``params`` (M-step). Iteration stops after ``n_iter``
        rounds or when the total log-likelihood improves by less than ``tol``.
        ``history_`` records the log-likelihood of each E-step.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
        lengths : array_like of int, optional
            Lengths of the sequences in ``X`` (each >= 1, summing to ``n_samples``);
            one sequence if omitted.

        Returns
        -------
        self

        Raises
        ------
        ValueError
            For bad hyper-parameters, observations, lengths or starting parameters, and
            for a sequence of probability zero under the starting parameters. A fit that
            raises leaves the model as it was before.

        Notes
        -----
        **Where the fit starts.** The parameters whose letters are in ``init_params``
        are initialised from the data; the others start from the values assigned to
        the attributes before ``fit`` (or are initialised too if they were never set).

        **Fitting again** equals fitting a fresh model: the fit starts from the same
        place as the previous one did (the values you had assigned, or a new
        initialisation from the data), not from the previous fit's results, and
        ``history_``, ``n_iter_`` and every other fitted attribute are recomputed. A
        parameter that you assign (or modify in place) after a fit is the new starting
        value. To continue from the fitted values instead (a warm start), assign them
        back: ``model.transmat_ = model.transmat_.copy()``, and so on.
        """
        self._validate_params()
        saved = dict(self.__dict__)
        try:
            self._fit(X, lengths)
        except BaseException:
            self.__dict__.clear()  # a failed fit leaves the model as it was
            self.__dict__.update(saved)
            raise
        return self

    def _fit(self, X: ArrayLike, lengths: ArrayLike | None) -> None:
        self._restore_starting_values()
        X_ = self._check_X(X, fitting=True)
        lens = _check_lengths(lengths, len(X_))
        rng = check_random_state(self.random_state)
        given = [
            name
            for letter, name in self._parameter_letters.items()
            if letter not in self.init_params and hasattr(self, name)
        ]
        self._initialize(X_, rng)
        self._check_structure()
        starts = {name: np.array(getattr(self, name), copy=True) for name in given}
        self.history_: list[float] = []
        self.converged_ = False
        for _ in range(int(self.n_iter)):
            stats, log_likelihood = self._e_step(X_, lens)
            self._m_step(stats)
            self.history_.append(log_likelihood)
            if len(self.history_) > 1 and self.history_[-1] - self.history_[-2] < self.tol:
                self.converged_ = True
                break
        self._check_structure()  # the last M-step's parameters (a collapsed variance, say)
        self.n_iter_ = len(self.history_)
        self.n_features_in_ = X_.shape[1]
        self._fit_record = {
            name: (starts.get(name), getattr(self, name), np.array(getattr(self, name)))
            for name in self._parameter_letters.values()
        }

    def _restore_starting_values(self) -> None:
        """Undo the previous fit's results, so that a refit equals a fresh fit.

        ``_fit_record`` holds, for every parameter, the value the last fit started from
        (None if it initialised the parameter from the data), the array it left in the
        attribute and a copy of that array. A parameter that still holds that array,
        unchanged, goes back to its starting value (or is removed, to be initialised
        again); one that was assigned or modified since keeps its new value.
        """
        record = self.__dict__.pop("_fit_record", None)
        if record is None:
            return
        for name, (start, left, left_copy) in record.items():
            current = getattr(self, name, None)
            if current is not left or not np.array_equal(current, left_copy):
                continue  # set by the user since: the new starting value
            if start is None:
                delattr(self, name)
            else:
                setattr(self, name, start.copy())

    def _initialize(self, X: FloatArray, rng: np.random.Generator) -> None:
        K = int(self.n_components)
        if "s" in self.init_params or not hasattr(self, "startprob_"):
            self.startprob_ = np.full(K, 1.0 / K)
        if "t" in self.init_params or not hasattr(self, "transmat_"):
            self.transmat_ = np.full((K, K), 1.0 / K)
        self._initialize_emission(X, rng)

    def _e_step(
        self, X: FloatArray, lengths: NDArray[np.intp] | None
    ) -> tuple[dict[str, Any], float]:
        K = int(self.n_components)
        self._check_emission()  # validates, and rebuilds what depends on the parameters
        log_pi, log_A = _log(self.startprob_), _log(self.transmat_)
        stats: dict[str, Any] = {"start": np.zeros(K), "trans": np.zeros((K, K))}
        self._init_emission_stats(stats)
        # The emission log-densities of every sequence at once, then the compiled
        # recursions sequence by sequence, then the emission statistics at once.
        log_b_all = self._log_emission(X)
        total, gamma = 0.0, np.empty_like(log_b_all)
        for start, end in _bounds(lengths, len(X)):
            log_b = log_b_all[start:end]
            log_alpha, ll = _kernels.forward(log_pi, log_A, log_b)
            _check_possible(ll, log_pi, log_A, log_b)
            log_beta = _kernels.backward(log_A, log_b)
            gamma[start:end] = _kernels.state_posteriors(log_alpha, log_beta)
            stats["start"] += gamma[start]
            stats["trans"] += _kernels.xi_sum(log_alpha, log_beta, log_A, log_b, ll)
            total += ll
        self._accumulate_emission_stats(stats, X, gamma)
        return stats, total

    def _m_step(self, stats: dict[str, Any]) -> None:
        if "s" in self.params:
            self.startprob_ = stats["start"] / stats["start"].sum()
        if "t" in self.params:
            rows = stats["trans"].sum(axis=1, keepdims=True)
            # a state never left keeps its transition row
            self.transmat_ = np.where(
                rows > 0, stats["trans"] / np.where(rows > 0, rows, 1), self.transmat_
            )
        self._m_step_emission(stats)

    @abstractmethod
    def _init_emission_stats(self, stats: dict[str, Any]) -> None:
        """Add zeroed emission statistics to ``stats``, the E-step's accumulator.

        Parameters
        ----------
        stats : dict of str to ndarray
            Holds ``"start"`` (shape (n_components,)) and ``"trans"`` (shape
            (n_components, n_components)), both zero; the hook adds its own keys,
            modifying the dict in place. The base class calls it at the start of every
            E-step, after :meth:`_check_emission`.
        """

    @abstractmethod
    def _accumulate_emission_stats(
        self, stats: dict[str, Any], X: FloatArray, gamma: FloatArray
    ) -> None:
        r"""Add the sufficient statistics of observations weighted by their posteriors.

        Parameters
        ----------
        stats : dict of str to ndarray
            The accumulator started by :meth:`_init_emission_stats`; updated in place.
        X : ndarray of float64, shape (n_samples, n_features)
            Every training sequence concatenated, from :meth:`_check_X`.
        gamma : ndarray of float64, shape (n_samples, n_components)
            State posteriors :math:`\gamma_t(i) = p(z_t = i \mid O)` of each row of
            ``X`` under the current parameters; every row sums to 1.

        Notes
        -----
        The base class calls it once per E-step, with all sequences at once.
        """

    @abstractmethod
    def _m_step_emission(self, stats: dict[str, Any]) -> None:
        """Re-estimate the emission parameters named in ``params`` from ``stats``.

        Parameters
        ----------
        stats : dict of str to ndarray
            The E-step's accumulated statistics (:meth:`_accumulate_emission_stats`).

        Notes
        -----
        Parameters whose letters are not in ``params`` must stay as they are, and a
        state with no posterior mass should keep its parameters. Assign new arrays
        rather than modifying the attributes in place. The base class has already
        updated ``startprob_`` and ``transmat_``; :meth:`_check_emission` validates the
        result at the next E-step or at the end of ``fit``.
        """

    # ------------------------------------------------------ model selection
    def _n_parameters(self) -> int:
        """Free parameters: K - 1 start, K(K - 1) transition, plus the emission's."""
        K = int(self.n_components)
        return (K - 1) + K * (K - 1) + self._n_emission_parameters()

    @abstractmethod
    def _n_emission_parameters(self) -> int:
        """Number of free emission parameters, for :meth:`bic` and :meth:`aic`.

        Returns
        -------
        int
            Free parameters only (a probability vector of length M has M - 1). The
            base class calls it after :meth:`_check_emission`.
        """

    def bic(self, X: ArrayLike, lengths: ArrayLike | None = None) -> float:
        r"""Bayesian information criterion :math:`-2 \log L + p \log n` (lower is better).

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
        lengths : array_like of int, optional

        Returns
        -------
        float
        """
        X_, lens = self._sequences(X, lengths)
        return float(-2 * self._score(X_, lens) + self._n_parameters() * np.log(len(X_)))

    def aic(self, X: ArrayLike, lengths: ArrayLike | None = None) -> float:
        r"""Akaike information criterion :math:`-2 \log L + 2p` (lower is better).

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
        lengths : array_like of int, optional

        Returns
        -------
        float
        """
        return float(-2 * self.score(X, lengths) + 2 * self._n_parameters())

    # -------------------------------------------------------------- sample
    def sample(
        self, n_samples: int = 1, *, random_state: int | np.random.Generator | None = None
    ) -> tuple[FloatArray, NDArray[np.intp]]:
        """Generate one sequence: a state path from the Markov chain, then observations.

        Parameters
        ----------
        n_samples : int
            Length of the sequence, >= 1. A sequence that would need more than
            ``genlab._validation.MAX_OUTPUT_BYTES`` (4 GiB) is refused before any is drawn.
        random_state : int, Generator or None
            Defaults to the estimator's ``random_state``.

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
        states : ndarray of shape (n_samples,)
        """
        check_is_fitted(self, self._fitted_attributes)
        self._check_structure()
        if (
            not isinstance(n_samples, numbers.Integral)
            or isinstance(n_samples, (bool, np.bool_))
            or int(n_samples) < 1
        ):
            raise ValueError(f"n_samples must be an integer >= 1; got {n_samples!r}")
        n_columns = int(np.shape(self.means_)[-1]) if hasattr(self, "means_") else 1
        check_output_size(
            (int(n_samples), n_columns + 1), name="n_samples", what="the sequence and its states"
        )
        rng = check_random_state(self.random_state if random_state is None else random_state)
        K = int(self.n_components)
        states = np.empty(int(n_samples), dtype=np.intp)
        states[0] = rng.choice(K, p=self.startprob_)
        for t in range(1, int(n_samples)):
            states[t] = rng.choice(K, p=self.transmat_[states[t - 1]])
        return self._sample_emissions(states, rng), states

    @abstractmethod
    def _sample_emissions(self, states: NDArray[np.intp], rng: np.random.Generator) -> FloatArray:
        """Draw one observation from each given state's emission distribution.

        Parameters
        ----------
        states : ndarray of intp, shape (n_samples,)
            Hidden states, each in ``0 .. n_components - 1``.
        rng : numpy.random.Generator
            The only source of randomness allowed (reproducible samples).

        Returns
        -------
        ndarray of float64, shape (n_samples, n_features)
            Row ``t`` drawn from state ``states[t]``'s emission distribution,
            independently of the other rows; in the domain that :meth:`_check_X`
            accepts.

        Notes
        -----
        The base class calls it after :meth:`_check_emission`.
        """


#: The largest alphabet that CategoricalHMM infers from the data (``max(X) + 1``); a
#: larger one must be asked for with ``n_features``: most likely the symbols are labels
#: that need relabelling as 0..M-1, and the table would have n_components x M entries.
_MAX_INFERRED_SYMBOLS = 2**20


class CategoricalHMM(_BaseHMM):
    r"""HMM whose observations are symbols :math:`0, \dots, M-1`.

    Introduced in the chapter "Hidden Markov models".

    Parameters
    ----------
    n_components : int
        Number of hidden states :math:`K`.
    n_features : int, optional
        Alphabet size :math:`M`; by default ``max(X) + 1`` at each fit that initialises
        the emission probabilities (at most 2**20), else the width of ``emissionprob_``.
    n_iter : int, default 10
        Maximum number of Baum-Welch iterations.
    tol : float, default 1e-2
        Stop when the total log-likelihood improves by less than this.
    params, init_params : str, default "ste"
        Which parameters Baum-Welch updates / initialises: "s" start probabilities,
        "t" transitions, "e" emission probabilities (hmmlearn's letters; each at most
        once, a repeated or unknown letter is refused). Parameters not
        in ``init_params`` start from the values assigned to the attributes before
        ``fit`` (and are initialised if they were never set).
    algorithm : {"viterbi", "map"}, default "viterbi"
        Decoder used by :meth:`predict`.
    random_state : int, Generator or None

    Attributes
    ----------
    startprob_ : ndarray of shape (n_components,)
    transmat_ : ndarray of shape (n_components, n_components)
    emissionprob_ : ndarray of shape (n_components, n_features)
    history_ : list of float
        Total log-likelihood at each Baum-Welch E-step.
    converged_ : bool
    n_iter_ : int
    n_features_in_ : int
        Always 1: one symbol per row.

    Notes
    -----
    Fitting again equals fitting a fresh model: it starts from the values assigned
    before the first fit (or from a new initialisation), not from the previous fit's
    results; assign a parameter to start from it instead (see :meth:`fit`).
    """

    _parameter_letters: ClassVar[dict[str, str]] = {
        **_BaseHMM._parameter_letters,
        "e": "emissionprob_",
    }
    _fitted_attributes = ("startprob_", "transmat_", "emissionprob_")
    emissionprob_: FloatArray
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        **_BaseHMM._base_constraints,
        "n_features": [Interval(numbers.Integral, 1, None), None],
        "params": [Letters("ste")],
        "init_params": [Letters("ste")],
    }

    def __init__(
        self,
        n_components: int = 1,
        *,
        n_features: int | None = None,
        n_iter: int = 10,
        tol: float = 1e-2,
        params: str = "ste",
        init_params: str = "ste",
        algorithm: str = "viterbi",
        random_state: int | np.random.Generator | None = None,
    ) -> None:
        self.n_components = n_components
        self.n_features = n_features
        self.n_iter = n_iter
        self.tol = tol
        self.params = params
        self.init_params = init_params
        self.algorithm = algorithm
        self.random_state = random_state

    def _check_X(self, X: ArrayLike, fitting: bool = False) -> FloatArray:
        arr = X if hasattr(X, "toarray") else np.asarray(X)  # sparse: refused by check_array
        if getattr(arr, "ndim", 2) == 1:
            arr = np.asarray(arr)[:, None]
        X_ = check_array(arr, name="X")
        if X_.shape[1] != 1:
            raise ValueError(
                f"X must hold one symbol per row, shape (n_samples, 1); got {X_.shape}"
            )
        bad = (X_[:, 0] != np.round(X_[:, 0])) | (X_[:, 0] < 0)
        if np.any(bad):
            i = int(np.flatnonzero(bad)[0])
            raise ValueError(
                f"X must hold non-negative integer symbols 0, 1, ..., M - 1; X[{i}, 0] is "
                f"{float(X_[i, 0])!r}"
            )
        top = int(X_.max())
        # The alphabet: n_features if given; at a fit that initialises the emissions, the
        # symbols seen (so that a refit equals a fresh fit); otherwise the fitted one.
        if self.n_features is not None:
            M = int(self.n_features)
        elif fitting and ("e" in self.init_params or not hasattr(self, "emissionprob_")):
            if top >= _MAX_INFERRED_SYMBOLS:
                raise ValueError(
                    f"X's largest symbol is {top}: the alphabet 0..{top} inferred from it "
                    f"would need {self.n_components} x {top + 1} emission probabilities "
                    f"(at most {_MAX_INFERRED_SYMBOLS} symbols are inferred). Relabel the "
                    "symbols as 0..M-1 (np.unique(X, return_inverse=True)), or pass "
                    "n_features to ask for the large alphabet"
                )
            M = top + 1
        elif fitting:  # the given emission probabilities, not validated yet
            M = check_stochastic_matrix(self.emissionprob_, name="emissionprob_").shape[1]
        else:
            M = self.emissionprob_.shape[1]
        if top >= M:
            source = "n_features" if self.n_features is not None else "emissionprob_'s columns"
            raise ValueError(f"X has symbol {top}, outside the alphabet 0..{M - 1} (of {source})")
        self._n_symbols = int(M)
        return X_

    def _check_emission(self) -> None:
        self.emissionprob_ = check_stochastic_matrix(self.emissionprob_, name="emissionprob_")
        K, M = self.emissionprob_.shape
        if K != int(self.n_components):
            raise ValueError(
                f"emissionprob_ must have {self.n_components} rows, one per state; got {K}"
            )
        if self.n_features is not None and M != int(self.n_features):
            raise ValueError(
                f"emissionprob_ must have n_features = {self.n_features} columns, one per "
                f"symbol; got {M}"
            )

    def _initialize_emission(self, X: FloatArray, rng: np.random.Generator) -> None:
        if "e" in self.init_params or not hasattr(self, "emissionprob_"):
            raw = rng.random((int(self.n_components), self._n_symbols))
            self.emissionprob_ = raw / raw.sum(axis=1, keepdims=True)

    def _log_emission(self, X: FloatArray) -> FloatArray:
        # rows: time steps, columns: states (contiguous, for the compiled kernels)
        return np.ascontiguousarray(_log(self.emissionprob_).T[X[:, 0].astype(np.intp)])

    def _n_emission_parameters(self) -> int:
        K, M = self.emissionprob_.shape
        return int(K * (M - 1))

    def _init_emission_stats(self, stats: dict[str, Any]) -> None:
        stats["obs"] = np.zeros_like(self.emissionprob_)

    def _accumulate_emission_stats(
        self, stats: dict[str, Any], X: FloatArray, gamma: FloatArray
    ) -> None:
        symbols = X[:, 0].astype(np.intp)
        M = stats["obs"].shape[1]
        for i in range(gamma.shape[1]):  # sum_t gamma_t(i) [o_t = m], for every m at once
            stats["obs"][i] += np.bincount(symbols, weights=gamma[:, i], minlength=M)

    def _m_step_emission(self, stats: dict[str, Any]) -> None:
        if "e" in self.params:
            rows = stats["obs"].sum(axis=1, keepdims=True)
            self.emissionprob_ = np.where(
                rows > 0, stats["obs"] / np.where(rows > 0, rows, 1), self.emissionprob_
            )

    def _sample_emissions(self, states: NDArray[np.intp], rng: np.random.Generator) -> FloatArray:
        cumulative = np.cumsum(self.emissionprob_, axis=1)
        u = rng.random(len(states))
        symbols = np.array(
            [
                np.searchsorted(cumulative[s], v, side="right")
                for s, v in zip(states, u, strict=True)
            ]
        )
        clipped = np.minimum(symbols, self.emissionprob_.shape[1] - 1)
        return np.asarray(clipped[:, None], dtype=np.float64)


#: GaussianHMM refuses observations larger in absolute value: their squares, summed over
#: the samples or divided by small variances, would overflow float64 (about 1.8e308).
_MAX_ABS_X = 1e100


class GaussianHMM(_BaseHMM):
    r"""HMM with a Gaussian emission density per state (diagonal or full covariance).

    Introduced in the chapter "Hidden Markov models".

    Observations must satisfy :math:`|x| \le 10^{100}` (larger squares overflow), and
    ``fit`` refuses features that vary by less than about 1e-154 (their variances
    underflow float64); rescale such data. A log-likelihood beyond float64's range
    (below about -1.8e308, from observations extremely far from every state) is refused
    with a ValueError rather than returned as ``-inf``, which means probability zero.

    Parameters
    ----------
    n_components : int
    covariance_type : {"diag", "full"}, default "diag"
    min_covar : float, default 1e-3
        Added to the data covariance when the covariances are initialised (as hmmlearn);
        it keeps the initial variance of a constant feature positive (with
        ``min_covar=0`` a constant feature is refused).
    covars_prior : float, default 1e-2
        Added to the numerator of every covariance update, as hmmlearn's default prior
        does (for "full", to every entry, also as hmmlearn). It keeps variances positive
        when a state sits on repeated values or a constant feature; 0 gives the plain
        maximum-likelihood update, and a ValueError if a variance collapses to 0.
    n_iter, tol, algorithm, random_state
        As in :class:`CategoricalHMM`.
    params, init_params : str, default "stmc"
        "s", "t", "m" (means), "c" (covariances); each at most once.

    Attributes
    ----------
    startprob_, transmat_, history_, converged_, n_iter_
        As in :class:`CategoricalHMM`.
    means_ : ndarray of shape (n_components, n_features)
    covars_ : ndarray
        (n_components, n_features) for "diag", (n_components, n_features, n_features)
        for "full". (hmmlearn's ``covars_`` property always returns full matrices; its
        internal ``_covars_`` has these shapes.)
    n_features_in_ : int

    Notes
    -----
    Observations must be finite and at most 1e100 in absolute value (rescale larger
    ones). Initialising the means by k-means needs at least ``n_components`` samples,
    the covariances at least 2. Fitting again equals fitting a fresh model (see
    :meth:`fit`).
    """

    _parameter_letters: ClassVar[dict[str, str]] = {
        **_BaseHMM._parameter_letters,
        "m": "means_",
        "c": "covars_",
    }
    _fitted_attributes = ("startprob_", "transmat_", "means_", "covars_")
    means_: FloatArray
    covars_: FloatArray
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        **_BaseHMM._base_constraints,
        "covariance_type": [Options({"diag", "full"})],
        "min_covar": [FiniteInterval(numbers.Real, 0, None)],
        "covars_prior": [FiniteInterval(numbers.Real, 0, None)],
        "params": [Letters("stmc")],
        "init_params": [Letters("stmc")],
    }

    def __init__(
        self,
        n_components: int = 1,
        *,
        covariance_type: str = "diag",
        min_covar: float = 1e-3,
        covars_prior: float = 1e-2,
        n_iter: int = 10,
        tol: float = 1e-2,
        params: str = "stmc",
        init_params: str = "stmc",
        algorithm: str = "viterbi",
        random_state: int | np.random.Generator | None = None,
    ) -> None:
        self.n_components = n_components
        self.covariance_type = covariance_type
        self.min_covar = min_covar
        self.covars_prior = covars_prior
        self.n_iter = n_iter
        self.tol = tol
        self.params = params
        self.init_params = init_params
        self.algorithm = algorithm
        self.random_state = random_state

    def _check_X(self, X: ArrayLike, fitting: bool = False) -> FloatArray:
        X_ = check_array(X, name="X")
        largest = float(np.max(np.abs(X_)))
        if largest > _MAX_ABS_X:
            raise ValueError(
                f"X has values up to {largest:.3g} in absolute value; GaussianHMM needs "
                f"|x| <= {_MAX_ABS_X:g}, because the squares of larger values overflow "
                "float64 in the variances and densities: rescale X"
            )
        if fitting:
            check_variances_representable(X_ - X_.mean(axis=0))
        uses_means = not fitting or "m" not in self.init_params  # the given means, if any
        means_shape = np.shape(self.means_) if uses_means and hasattr(self, "means_") else ()
        if len(means_shape) == 2 and X_.shape[1] != means_shape[1]:
            raise ValueError(
                f"X has {X_.shape[1]} features, but GaussianHMM is expecting "
                f"{means_shape[1]} features as input"
            )
        return X_

    def _check_covariance_values(self, covars: FloatArray) -> None:
        """Every variance positive and every full matrix positive definite."""
        variances = covars if self.covariance_type == "diag" else np.diagonal(covars, 0, 1, 2)
        if np.any(variances <= 0):
            k, j = (int(i[0]) for i in np.nonzero(variances <= 0))
            raise ValueError(
                f"covars_ must be positive variances; state {k} has variance "
                f"{variances[k, j]:g} for feature {j}. (In fit, a state's variance "
                "collapses on a constant feature or repeated values: keep covars_prior > 0, "
                "and min_covar > 0 for the initialisation)"
            )
        if self.covariance_type == "full":
            for k, c in enumerate(covars):
                if np.linalg.eigvalsh(c).min() <= 0:
                    raise ValueError(
                        f"covars_[{k}] must be a symmetric positive-definite matrix; it is "
                        "singular or indefinite (in fit: keep covars_prior > 0)"
                    )

    def _check_emission(self) -> None:
        if self.covariance_type not in ("diag", "full"):
            raise ValueError(
                f"covariance_type must be 'diag' or 'full'; got {self.covariance_type!r}"
            )
        K = int(self.n_components)
        self.means_ = check_array(self.means_, name="means_")
        d = self.means_.shape[1]
        expected = (K, d) if self.covariance_type == "diag" else (K, d, d)
        covars = np.asarray(self.covars_, dtype=np.float64)
        if self.means_.shape[0] != K or covars.shape != expected:
            raise ValueError(
                f"means_ must have shape ({K}, d) and covars_ {expected}; got "
                f"{self.means_.shape} and {covars.shape}"
            )
        if not np.all(np.isfinite(covars)):
            raise ValueError("covars_ contains NaN or infinity")
        self._check_covariance_values(covars)
        self.covars_ = covars
        if self.covariance_type == "full":
            self._components = [
                MultivariateNormal.from_parameters(m, c)
                for m, c in zip(self.means_, covars, strict=True)
            ]
        else:  # the precision factor of a diagonal covariance: the vector 1 / sqrt(var)
            self._precisions_cholesky = np.array([precision_cholesky(var) for var in covars])
            self._log_det_precisions = np.array(
                [log_det_factor(P, d) for P in self._precisions_cholesky]
            )

    def _initialize_emission(self, X: FloatArray, rng: np.random.Generator) -> None:
        K, d = int(self.n_components), X.shape[1]
        self._center = X.mean(axis=0)
        if "m" in self.init_params or not hasattr(self, "means_"):
            if len(X) < K:
                raise ValueError(
                    f"GaussianHMM needs at least n_components = {K} samples to initialise "
                    f"its means by k-means; got {len(X)}. Use fewer states, or set means_ "
                    "and leave 'm' out of init_params"
                )
            self.means_ = KMeans(K, random_state=rng).fit(X).cluster_centers_
        if "c" in self.init_params or not hasattr(self, "covars_"):
            if len(X) < 2:
                raise ValueError(
                    f"GaussianHMM needs at least 2 samples to initialise its covariances; "
                    f"got {len(X)} sample"
                )
            constant = np.flatnonzero(np.ptp(X, axis=0) == 0)
            if constant.size and self.min_covar == 0:
                raise ValueError(
                    f"feature(s) {constant.tolist()} of X are constant: their initial "
                    "variance would be 0 with min_covar = 0; set min_covar > 0 (the default "
                    "is 1e-3) or drop those features"
                )
            cov = np.atleast_2d(np.cov(X.T)) + self.min_covar * np.eye(d)
            self.covars_ = (
                np.tile(np.diag(cov), (K, 1))
                if self.covariance_type == "diag"
                else np.tile(cov, (K, 1, 1))
            )

    def _log_emission(self, X: FloatArray) -> FloatArray:
        if self.covariance_type == "full":
            return np.column_stack([c._logpdf_rows(X) for c in self._components])
        # log N(x | mu_k, diag(var_k)) for every row and state at once (the score and the
        # decoder call this once per sequence): the deviations from every state's mean,
        # whitened by its precision factor, shape (n, K, d); cf. genlab.gaussian.whiten
        with np.errstate(over="ignore", invalid="ignore"):  # an overflow is reported below
            z = (X[:, None, :] - self.means_) * self._precisions_cholesky
            squared = np.einsum("tkj,tkj->tk", z, z)
        return _logpdf_from_squared(squared, X.shape[1], self._log_det_precisions, X=X)

    def _n_emission_parameters(self) -> int:
        K, d = self.means_.shape
        n_cov = K * d if self.covariance_type == "diag" else K * d * (d + 1) // 2
        return int(K * d + n_cov)

    def _init_emission_stats(self, stats: dict[str, Any]) -> None:
        K, d = self.means_.shape
        stats["post"] = np.zeros(K)
        stats["obs"] = np.zeros((K, d))
        stats["obs_sq"] = (
            np.zeros((K, d)) if self.covariance_type == "diag" else np.zeros((K, d, d))
        )

    def _accumulate_emission_stats(
        self, stats: dict[str, Any], X: FloatArray, gamma: FloatArray
    ) -> None:
        # Statistics of data centred at a fixed point (the mean of the first batch the
        # model saw): the variance update subtracts squares, which loses precision for
        # data far from zero. Means are shifted back in the M-step.
        Xc = X - self._center
        stats["post"] += gamma.sum(axis=0)
        stats["obs"] += gamma.T @ Xc
        if self.covariance_type == "diag":
            stats["obs_sq"] += gamma.T @ (Xc * Xc)
        else:
            stats["obs_sq"] += np.einsum("tk,ti,tj->kij", gamma, Xc, Xc)

    def _m_step_emission(self, stats: dict[str, Any]) -> None:
        post = stats["post"]
        alive = post > 1e-10  # a state with no posterior mass keeps its parameters
        if "m" in self.params:
            means = stats["obs"] / np.where(alive, post, 1.0)[:, None] + self._center
            self.means_ = np.where(alive[:, None], means, self.means_)
        if "c" in self.params:
            mu = self.means_ - self._center  # in the centred coordinates of the stats
            denom = np.maximum(post, 1e-5)
            prior = float(self.covars_prior)
            if self.covariance_type == "diag":
                # sum_t gamma (x - mu)^2 = sum gamma x^2 - 2 mu sum gamma x + mu^2 sum gamma
                num = stats["obs_sq"] - 2 * mu * stats["obs"] + mu**2 * post[:, None]
                covars = (prior + num) / denom[:, None]
                self.covars_ = np.where(alive[:, None], covars, self.covars_)
            else:
                outer = np.einsum("ki,kj->kij", stats["obs"], mu)
                num = (
                    stats["obs_sq"]
                    - outer
                    - outer.transpose(0, 2, 1)
                    + np.einsum("ki,kj->kij", mu, mu) * post[:, None, None]
                )
                covars = (prior + num) / denom[:, None, None]
                self.covars_ = np.where(alive[:, None, None], covars, self.covars_)

    def _sample_emissions(self, states: NDArray[np.intp], rng: np.random.Generator) -> FloatArray:
        d = self.means_.shape[1]
        eps = rng.standard_normal((len(states), d))
        if self.covariance_type == "diag":
            return self.means_[states] + eps * np.sqrt(self.covars_[states])
        L = np.array([c.cholesky_ for c in self._components])  # set by _check_emission
        return np.asarray(self.means_[states] + np.einsum("tij,tj->ti", L[states], eps))


# ------------------------------------------------- supervised HMM: counting
def _check_symbols(a: ArrayLike, name: str, what: str) -> NDArray[np.intp]:
    """Non-negative integer labels, one per time step: shape (n_samples,) or (n_samples, 1)."""
    arr = np.asarray(a)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise ValueError(
            f"{name} must hold one {what} per time step, shape (n_samples,) or (n_samples, 1); "
            f"got shape {arr.shape}"
        )
    if arr.size == 0:
        raise ValueError(f"{name} is empty; it needs at least one time step")
    if arr.dtype.kind not in "iuf" or arr.dtype.kind == "b":
        raise ValueError(f"{name} must hold integer {what}s 0, 1, 2, ...; got dtype {arr.dtype}")
    values = arr.astype(np.float64)
    bad = ~np.isfinite(values) | (values != np.round(values)) | (values < 0) | (values >= 2**62)
    if np.any(bad):
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"{name} must hold non-negative integer {what}s 0, 1, 2, ...; {name}[{i}] is "
            f"{arr[i].item()!r}"
        )
    return values.astype(np.intp)


def _check_size(value: int | None, name: str, needed: int, what: str) -> int:
    if value is None:
        return needed
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be an integer >= 1 or None; got {value!r}")
    if int(value) < needed:
        raise ValueError(
            f"{name} = {value} is too small: the data hold {what} {needed - 1}, so {name} "
            f"must be at least {needed}"
        )
    return int(value)


#: The most states estimate_by_counting infers from the labels (its transition table has
#: K x K entries); more must be asked for with n_components.
_MAX_COUNTED_STATES = 10_000


def _normalize_counts(counts: FloatArray) -> FloatArray:
    """Each row divided by its sum; a row of zeros (never observed) becomes uniform."""
    totals = counts.sum(axis=-1, keepdims=True)
    uniform = np.full_like(counts, 1.0 / counts.shape[-1])
    return np.where(totals > 0, counts / np.where(totals > 0, totals, 1.0), uniform)


def estimate_by_counting(
    X: ArrayLike,
    states: ArrayLike,
    lengths: ArrayLike | None = None,
    *,
    n_components: int | None = None,
    n_features: int | None = None,
    alpha: float = 1.0,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    r"""Estimate a categorical HMM from sequences whose hidden states are known.

    Supervised learning of an HMM: when the training sequences come with their states
    (the tags of a tagged corpus), no EM is needed. The maximum-likelihood estimates are
    relative frequencies, here with ``alpha`` added to every count (add-alpha, or
    Lidstone, smoothing; ``alpha = 1`` is Laplace's):

    .. math::

        \pi_k = \frac{c(z_1 = k) + \alpha}{n + K\alpha}, \qquad
        A_{kl} = \frac{c(k \to l) + \alpha}{\sum_{l'} c(k \to l') + K\alpha}, \qquad
        b_k(m) = \frac{c(k, m) + \alpha}{c(k) + M\alpha},

    where :math:`n` is the number of sequences, :math:`c(z_1 = k)` the number that start
    in state :math:`k`, :math:`c(k \to l)` the number of steps from :math:`k` to
    :math:`l` inside a sequence, and :math:`c(k, m)` the number of times state :math:`k`
    emits symbol :math:`m` (:math:`c(k) = \sum_m c(k, m)`). It is the Baum-Welch M-step
    with one-hot posteriors :math:`\gamma_t(k) = [z_t = k]`. The results are the
    ``startprob_``, ``transmat_`` and ``emissionprob_`` of a :class:`CategoricalHMM`
    (assign them and decode with ``init_params=""``).

    Introduced in the chapter "Hidden Markov models".

    Parameters
    ----------
    X : array_like of int, shape (n_samples,) or (n_samples, 1)
        The observed symbols :math:`0, \dots, M-1` of every sequence, concatenated (as
        :meth:`CategoricalHMM.fit` takes them).
    states : array_like of int, shape (n_samples,)
        The hidden state :math:`0, \dots, K-1` at each step, aligned with ``X``.
    lengths : array_like of int, optional
        Lengths of the sequences (each >= 1, summing to ``n_samples``); one sequence if
        omitted. No transition is counted across the end of a sequence.
    n_components : int, optional
        Number of states :math:`K`; by default ``max(states) + 1``.
    n_features : int, optional
        Alphabet size :math:`M`; by default ``max(X) + 1``. Give it when some symbols
        (an "unknown word" symbol, say) occur only outside the training data, so that
        they receive the smoothed probability :math:`\alpha / (c(k) + M\alpha)`.
    alpha : float, default 1.0
        Pseudo-count added to every count, >= 0. With ``alpha = 0`` the estimates are the
        maximum-likelihood ones; a row with no counts at all (a state that is never
        seen, or never left, such as the tag of the full stop that ends every sentence)
        does not affect the likelihood, and is returned uniform.

    Returns
    -------
    startprob : ndarray of shape (n_components,)
    transmat : ndarray of shape (n_components, n_components)
    emissionprob : ndarray of shape (n_components, n_features)
        Every row sums to 1.

    Raises
    ------
    ValueError
        If ``X`` or ``states`` are not non-negative integers, their lengths differ,
        ``lengths`` does not fit, ``n_components`` or ``n_features`` is smaller than the
        data need, or ``alpha`` is negative, infinite or not a number.

    See Also
    --------
    CategoricalHMM.fit : the unsupervised estimate (Baum-Welch), when the states are
        hidden.
    """
    if isinstance(alpha, (bool, np.bool_)) or not isinstance(alpha, numbers.Real):
        raise ValueError(f"alpha must be a finite number >= 0; got {alpha!r}")
    if not (np.isfinite(float(alpha)) and float(alpha) >= 0):
        raise ValueError(f"alpha must be a finite number >= 0; got {alpha!r}")
    symbols = _check_symbols(X, "X", "symbol")
    z = _check_symbols(states, "states", "state")
    if len(z) != len(symbols):
        raise ValueError(
            f"states must have one entry per time step of X: X has {len(symbols)} steps, "
            f"states has {len(z)}"
        )
    lens = _check_lengths(lengths, len(symbols))
    for arr, size, name, cap in (
        (z, n_components, "states", _MAX_COUNTED_STATES),
        (symbols, n_features, "X", _MAX_INFERRED_SYMBOLS),
    ):
        if size is None and int(arr.max()) >= cap:
            raise ValueError(
                f"{name}'s largest label is {int(arr.max())}: a table over 0..{int(arr.max())} "
                f"would be huge (at most {cap} labels are inferred). Relabel as 0, 1, ... "
                "(np.unique(..., return_inverse=True))"
            )
    K = _check_size(n_components, "n_components", int(z.max()) + 1, "state")
    M = _check_size(n_features, "n_features", int(symbols.max()) + 1, "symbol")
    start_counts = np.zeros(K)
    trans_counts = np.zeros((K, K))
    for begin, end in _bounds(lens, len(z)):
        start_counts[z[begin]] += 1
        np.add.at(trans_counts, (z[begin : end - 1], z[begin + 1 : end]), 1)
    emission_counts = np.zeros((K, M))
    np.add.at(emission_counts, (z, symbols), 1)
    a = float(alpha)
    return (
        _normalize_counts(start_counts + a),
        _normalize_counts(trans_counts + a),
        _normalize_counts(emission_counts + a),
    )
