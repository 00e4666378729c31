"""Compiled (numba) versions of the HMM recursions in :mod:`genlab.hmm`.

Each kernel computes the same recursion as the readable reference function of the same
name in ``genlab.hmm``, with the NumPy vector operations written as explicit loops so that
numba can compile them; the test suite checks that both give the same numbers. Forward and
backward add one shortcut, described in their docstrings. A Python loop
over 50,000 time steps costs about a second, the compiled loop a few milliseconds.

Log-sum-exp over a few states is written out: subtract the largest term, sum the
exponentials, add the largest term back (``-inf`` entries, i.e. probability 0, are skipped).

Introduced with the chapter "Hidden Markov models" (``book/hmm/hmm.ipynb``).
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["backward", "forward", "state_posteriors", "viterbi", "xi_sum"]

#: Below this, a shifted sum of products may contain subnormal terms that have lost
#: digits (the smallest normal double is 2.2e-308); the kernels then recompute exactly.
_SAFE = 1e-250


@njit(cache=True)
def _logsumexp(a: np.ndarray) -> float:  # pragma: no cover - compiled
    m = -np.inf
    for v in a:
        if v > m:
            m = v
    if m == -np.inf:
        return -np.inf
    s = 0.0
    for v in a:
        s += np.exp(v - m)
    return m + np.log(s)


@njit(cache=True)
def forward(
    log_startprob: np.ndarray, log_transmat: np.ndarray, log_emission: np.ndarray
) -> tuple[np.ndarray, float]:  # pragma: no cover - compiled
    """Log alpha and the log-likelihood (see :func:`genlab.hmm.forward`).

    log alpha_t(j) = log b_j(o_t) + log sum_i exp(log alpha_{t-1}(i)) A_ij. The sum is
    shifted by m = max_i log alpha_{t-1}(i), once per step: K exponentials instead of
    K^2. When the shifted sum is tiny (below _SAFE: the likeliest states reach j only
    through tiny or zero transitions), its terms may have lost precision, and the exact
    log-sum-exp over log alpha_{t-1}(i) + log A_ij is used instead.
    """
    T, K = log_emission.shape
    log_alpha = np.empty((T, K))
    transmat = np.exp(log_transmat)
    scaled = np.empty(K)
    work = np.empty(K)
    for j in range(K):
        log_alpha[0, j] = log_startprob[j] + log_emission[0, j]
    for t in range(1, T):
        m = -np.inf
        for i in range(K):
            if log_alpha[t - 1, i] > m:
                m = log_alpha[t - 1, i]
        for i in range(K):
            scaled[i] = np.exp(log_alpha[t - 1, i] - m) if m > -np.inf else 0.0
        for j in range(K):
            total = 0.0
            for i in range(K):
                total += scaled[i] * transmat[i, j]
            if total > _SAFE:
                log_alpha[t, j] = m + np.log(total) + log_emission[t, j]
            else:
                for i in range(K):
                    work[i] = log_alpha[t - 1, i] + log_transmat[i, j]
                log_alpha[t, j] = _logsumexp(work) + log_emission[t, j]
    return log_alpha, _logsumexp(log_alpha[T - 1])


@njit(cache=True)
def backward(
    log_transmat: np.ndarray, log_emission: np.ndarray
) -> np.ndarray:  # pragma: no cover - compiled
    """Log beta (see :func:`genlab.hmm.backward`), with the same shared shift as forward."""
    T, K = log_emission.shape
    log_beta = np.empty((T, K))
    transmat = np.exp(log_transmat)
    scaled = np.empty(K)
    work = np.empty(K)
    for i in range(K):
        log_beta[T - 1, i] = 0.0
    for t in range(T - 2, -1, -1):
        m = -np.inf
        for j in range(K):
            v = log_emission[t + 1, j] + log_beta[t + 1, j]
            if v > m:
                m = v
        for j in range(K):
            v = log_emission[t + 1, j] + log_beta[t + 1, j]
            scaled[j] = np.exp(v - m) if m > -np.inf else 0.0
        for i in range(K):
            total = 0.0
            for j in range(K):
                total += transmat[i, j] * scaled[j]
            if total > _SAFE:
                log_beta[t, i] = m + np.log(total)
            else:
                for j in range(K):
                    work[j] = log_transmat[i, j] + log_emission[t + 1, j] + log_beta[t + 1, j]
                log_beta[t, i] = _logsumexp(work)
    return log_beta


@njit(cache=True)
def state_posteriors(
    log_alpha: np.ndarray, log_beta: np.ndarray
) -> np.ndarray:  # pragma: no cover - compiled
    """State posteriors (see :func:`genlab.hmm.posteriors`), by log-sum-exp per step.

    gamma_t(i) = alpha_t(i) beta_t(i) / sum_j alpha_t(j) beta_t(j).
    """
    T, K = log_alpha.shape
    gamma = np.empty((T, K))
    row = np.empty(K)
    for t in range(T):
        for i in range(K):
            row[i] = log_alpha[t, i] + log_beta[t, i]
        log_norm = _logsumexp(row)
        for i in range(K):
            gamma[t, i] = np.exp(row[i] - log_norm)
    return gamma


@njit(cache=True)
def xi_sum(
    log_alpha: np.ndarray,
    log_beta: np.ndarray,
    log_transmat: np.ndarray,
    log_emission: np.ndarray,
    log_likelihood: float,
) -> np.ndarray:  # pragma: no cover - compiled
    """Sum over t of the transition posteriors xi_t(i, j) (see :func:`genlab.hmm.posteriors`)."""
    T, K = log_emission.shape
    out = np.zeros((K, K))
    for t in range(T - 1):
        for i in range(K):
            for j in range(K):
                v = (
                    log_alpha[t, i]
                    + log_transmat[i, j]
                    + log_emission[t + 1, j]
                    + log_beta[t + 1, j]
                    - log_likelihood
                )
                if v > -np.inf:
                    out[i, j] += np.exp(v)
    return out


@njit(cache=True)
def viterbi(
    log_startprob: np.ndarray, log_transmat: np.ndarray, log_emission: np.ndarray
) -> tuple[float, np.ndarray]:  # pragma: no cover - compiled
    """Best path and its log probability (see :func:`genlab.hmm.viterbi`)."""
    T, K = log_emission.shape
    delta = np.empty(K)
    new = np.empty(K)
    back = np.empty((T, K), dtype=np.intp)
    for j in range(K):
        delta[j] = log_startprob[j] + log_emission[0, j]
    for t in range(1, T):
        for j in range(K):
            best, arg = -np.inf, 0
            for i in range(K):
                v = delta[i] + log_transmat[i, j]
                if v > best:
                    best, arg = v, i
            back[t, j] = arg
            new[j] = best + log_emission[t, j]
        delta[:] = new
    path = np.empty(T, dtype=np.intp)
    best, arg = -np.inf, 0
    for j in range(K):
        if delta[j] > best:
            best, arg = delta[j], j
    path[T - 1] = arg
    for t in range(T - 1, 0, -1):
        path[t - 1] = back[t, path[t]]
    return best, path
