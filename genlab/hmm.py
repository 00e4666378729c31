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
equation. The estimators run the same recursions compiled by numba (``_kernels``,
written to mirror the reference line for line and tested against it), because a Python
loop over 50,000 time steps is slow. Names follow hmmlearn: ``startprob_``,
``transmat_``, ``emissionprob_``, ``means_``, ``covars_``, ``fit(X, lengths)``,
``score``, ``decode``, ``predict``, ``predict_proba``, ``sample``.

Differences from hmmlearn: ``decode(..., algorithm="map")`` returns the log-likelihood
:math:`\log P(O \mid \lambda)` (hmmlearn returns a sum of per-step maximum posteriors);
a state that receives no posterior mass in Baum-Welch keeps its previous transition row
and emission parameters (hmmlearn zeroes them); ``converged_`` is False when ``n_iter``
was reached; ``history_[i]`` is the log-likelihood of the parameters *before* the i-th
M-step; a sequence of probability zero raises a ValueError instead of producing NaN.

Introduced in the book's chapter "Hidden Markov models" (``book/hmm/hmm.ipynb``).
"""

from __future__ import annotations

import numbers
from collections.abc import Iterator
from typing import Any, ClassVar

import numpy as np
from numpy.typing import ArrayLike, NDArray

from genlab import _hmm_kernels as _kernels
from genlab._base import BaseEstimator, Interval, Options
from genlab._validation import (
    check_array,
    check_is_fitted,
    check_probability_vector,
    check_random_state,
    check_stochastic_matrix,
)
from genlab.cluster import KMeans
from genlab.gaussian import (
    MultivariateNormal,
    log_det_factor,
    logpdf_from_mahalanobis,
    precision_cholesky,
)
from genlab.numerics import log_normalize, logsumexp

__all__ = [
    "CategoricalHMM",
    "GaussianHMM",
    "backward",
    "forward",
    "posteriors",
    "viterbi",
]

FloatArray = NDArray[np.float64]


def _log(p: ArrayLike) -> FloatArray:
    """Natural log with log(0) = -inf and no warning: forbidden transitions are legal."""
    with np.errstate(divide="ignore"):
        return np.log(np.asarray(p, dtype=np.float64))


# ------------------------------------------------------ the readable reference
def forward(
    log_startprob: ArrayLike, log_transmat: ArrayLike, log_emission: ArrayLike
) -> tuple[FloatArray, float]:
    r"""The forward algorithm in log space, for one sequence.

    Introduced in the chapter "Hidden Markov models".

    Parameters
    ----------
    log_startprob : array_like of shape (n_states,)
        :math:`\log \pi`.
    log_transmat : array_like of shape (n_states, n_states)
        :math:`\log A`; row ``i`` holds the transitions out of state ``i``.
    log_emission : array_like of shape (n_steps, n_states)
        :math:`\log b_j(o_t)`, the log-likelihood of each observation under each state.

    Returns
    -------
    log_alpha : ndarray of shape (n_steps, n_states)
        :math:`\log \alpha_t(j) = \log p(o_1, \dots, o_t, z_t = j)`.
    log_likelihood : float
        :math:`\log P(O \mid \lambda)`.
    """
    log_pi, log_A, log_b = (
        np.asarray(a, dtype=np.float64) for a in (log_startprob, log_transmat, log_emission)
    )
    T, K = log_b.shape
    log_alpha = np.empty((T, K))
    log_alpha[0] = log_pi + log_b[0]  # alpha_1(j) = pi_j b_j(o_1)
    for t in range(1, T):
        # alpha_t(j) = b_j(o_t) * sum_i alpha_{t-1}(i) A_ij
        log_alpha[t] = logsumexp(log_alpha[t - 1][:, None] + log_A, axis=0) + log_b[t]
    return log_alpha, float(logsumexp(log_alpha[-1]))


def backward(log_transmat: ArrayLike, log_emission: ArrayLike) -> FloatArray:
    r"""The backward algorithm in log space, for one sequence.

    Introduced in the chapter "Hidden Markov models".

    Parameters
    ----------
    log_transmat : array_like of shape (n_states, n_states)
    log_emission : array_like of shape (n_steps, n_states)

    Returns
    -------
    log_beta : ndarray of shape (n_steps, n_states)
        :math:`\log \beta_t(i) = \log p(o_{t+1}, \dots, o_T \mid z_t = i)`;
        :math:`\beta_T = 1`.
    """
    log_A, log_b = (np.asarray(a, dtype=np.float64) for a in (log_transmat, log_emission))
    T, K = log_b.shape
    log_beta = np.empty((T, K))
    log_beta[-1] = 0.0  # beta_T(i) = 1
    for t in range(T - 2, -1, -1):
        # beta_t(i) = sum_j A_ij b_j(o_{t+1}) beta_{t+1}(j)
        log_beta[t] = logsumexp(log_A + (log_b[t + 1] + log_beta[t + 1])[None, :], axis=1)
    return log_beta


def posteriors(
    log_alpha: ArrayLike, log_beta: ArrayLike, log_transmat: ArrayLike, log_emission: ArrayLike
) -> tuple[FloatArray, FloatArray]:
    r"""State posteriors :math:`\gamma` and summed transition posteriors :math:`\xi`.

    Introduced in the chapter "Hidden Markov models".

    Parameters
    ----------
    log_alpha, log_beta : array_like of shape (n_steps, n_states)
        From :func:`forward` and :func:`backward`.
    log_transmat : array_like of shape (n_states, n_states)
    log_emission : array_like of shape (n_steps, n_states)

    Returns
    -------
    gamma : ndarray of shape (n_steps, n_states)
        :math:`\gamma_t(i) = p(z_t = i \mid O)`; every row sums to 1.
    xi_sum : ndarray of shape (n_states, n_states)
        :math:`\sum_{t=1}^{T-1} \xi_t(i, j)` with
        :math:`\xi_t(i, j) = p(z_t = i, z_{t+1} = j \mid O)
        \propto \alpha_t(i) A_{ij} b_j(o_{t+1}) \beta_{t+1}(j)`.
    """
    la, lb, log_A, log_b = (
        np.asarray(a, dtype=np.float64) for a in (log_alpha, log_beta, log_transmat, log_emission)
    )
    log_likelihood = logsumexp(la[-1])
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
    log_transmat : array_like of shape (n_states, n_states)
    log_emission : array_like of shape (n_steps, n_states)

    Returns
    -------
    log_prob : float
        :math:`\log \max_Q P(O, Q \mid \lambda)`.
    path : ndarray of shape (n_steps,)
    """
    log_pi, log_A, log_b = (
        np.asarray(a, dtype=np.float64) for a in (log_startprob, log_transmat, log_emission)
    )
    T, K = log_b.shape
    delta = log_pi + log_b[0]
    back = np.empty((T, K), dtype=np.intp)
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
    if lengths is None:
        return None
    arr = np.asarray(lengths)
    if arr.ndim != 1 or arr.size == 0 or not np.issubdtype(arr.dtype, np.integer):
        raise ValueError("lengths must be a non-empty 1-D array of integers")
    if np.any(arr < 1):
        raise ValueError(f"every sequence must be non-empty; lengths has {arr.min()}")
    if int(arr.sum()) != n_samples:
        raise ValueError(f"lengths sum to {int(arr.sum())}, but X has {n_samples} samples")
    return arr.astype(np.intp)


def _check_possible(log_likelihood: float) -> None:
    if log_likelihood == -np.inf:
        raise ValueError(
            "a sequence has probability zero under the model (it needs a forbidden "
            "transition or an impossible emission); its posteriors and paths are undefined"
        )


class _BaseHMM(BaseEstimator):
    """Shared by both HMMs: initial and transition probabilities, EM, inference.

    A subclass defines the emission model through nine hooks, each documented below:
    ``_check_X`` and ``_check_emission`` (validation), ``_initialize_emission``,
    ``_log_emission`` (the log-densities that the recursions use), ``_init_emission_stats``,
    ``_accumulate_emission_stats`` and ``_m_step_emission`` (Baum-Welch's M-step),
    ``_n_emission_parameters`` (for BIC and AIC) and ``_sample_emissions``.
    """

    _emission_letter = "e"
    _fitted_attributes = ("startprob_", "transmat_")
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
        "tol": [Interval(numbers.Real, 0, None)],
        "params": ["string"],
        "init_params": ["string"],
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

    def _check_emission(self) -> None:
        """Check the emission parameters (and rebuild what depends on them)."""
        raise NotImplementedError

    def _check_X(self, X: ArrayLike, fitting: bool = False) -> FloatArray:
        """Check observations: shape (n_samples, n_features) and the emission's domain."""
        raise NotImplementedError

    def _log_emission(self, X: FloatArray) -> FloatArray:
        """Log b_j(o_t) for every observation (rows) and state (columns), C-contiguous."""
        raise NotImplementedError

    # --------------------------------------------------------------- infer
    def _sequences(
        self, X: ArrayLike, lengths: ArrayLike | None
    ) -> tuple[FloatArray, NDArray[np.intp] | None]:
        check_is_fitted(self, ["startprob_", "transmat_"])
        self._check_structure()
        X_ = self._check_X(X)
        return X_, _check_lengths(lengths, len(X_))

    def score(self, X: ArrayLike, lengths: ArrayLike | None = None) -> float:
        r"""Total log-likelihood :math:`\sum \log P(O \mid \lambda)` of the sequences.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            The concatenated sequences.
        lengths : array_like of int, optional
            Lengths of the sequences in ``X``; one sequence if omitted.

        Returns
        -------
        float
        """
        X_, lens = self._sequences(X, lengths)
        log_pi, log_A = _log(self.startprob_), _log(self.transmat_)
        return float(
            sum(
                _kernels.forward(log_pi, log_A, self._log_emission(seq))[1]
                for seq in _split(X_, lens)
            )
        )

    def predict_proba(self, X: ArrayLike, lengths: ArrayLike | None = None) -> FloatArray:
        r"""Posterior state probabilities :math:`\gamma_t(i) = p(z_t = i \mid O)`.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
        lengths : array_like of int, optional

        Returns
        -------
        ndarray of shape (n_samples, n_components)
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
        """
        X_, lens = self._sequences(X, lengths)
        log_pi, log_A = _log(self.startprob_), _log(self.transmat_)
        log_b_all = self._log_emission(X_)  # every sequence at once
        total, gamma = 0.0, np.empty_like(log_b_all)
        for start, end in _bounds(lens, len(X_)):
            log_b = log_b_all[start:end]
            log_alpha, ll = _kernels.forward(log_pi, log_A, log_b)
            _check_possible(ll)
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
            log_prob, path = _kernels.viterbi(log_pi, log_A, self._log_emission(seq))
            _check_possible(log_prob)
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

        Returns
        -------
        self
        """
        self._validate_params()
        for name, value in (("params", self.params), ("init_params", self.init_params)):
            if set(value) - set("st" + self._emission_letter):
                raise ValueError(f"{name} has unknown letters: {value!r}")
        X_ = self._check_X(X, fitting=True)
        lens = _check_lengths(lengths, len(X_))
        rng = check_random_state(self.random_state)
        self._initialize(X_, rng)
        self._check_structure()
        self.history_: list[float] = []
        self.converged_ = False
        for _ in range(int(self.n_iter)):
            stats, log_likelihood = self._e_step(X_, lens)
            self._m_step(stats)
            self.history_.append(log_likelihood)
            if len(self.history_) > 1 and self.history_[-1] - self.history_[-2] < self.tol:
                self.converged_ = True
                break
        self.n_iter_ = len(self.history_)
        self.n_features_in_ = X_.shape[1]
        return self

    def _initialize(self, X: FloatArray, rng: np.random.Generator) -> None:
        K = int(self.n_components)
        if "s" in self.init_params or not hasattr(self, "startprob_"):
            self.startprob_ = np.full(K, 1.0 / K)
        if "t" in self.init_params or not hasattr(self, "transmat_"):
            self.transmat_ = np.full((K, K), 1.0 / K)
        self._initialize_emission(X, rng)

    def _initialize_emission(self, X: FloatArray, rng: np.random.Generator) -> None:
        """Set initial emission parameters (those named in ``init_params``, or missing)."""
        raise NotImplementedError

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
            _check_possible(ll)
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

    def _init_emission_stats(self, stats: dict[str, Any]) -> None:
        """Add zeroed emission statistics to ``stats`` (the E-step's accumulator)."""
        raise NotImplementedError

    def _accumulate_emission_stats(
        self, stats: dict[str, Any], X: FloatArray, gamma: FloatArray
    ) -> None:
        """Add the statistics of observations ``X`` with state posteriors ``gamma``."""
        raise NotImplementedError

    def _m_step_emission(self, stats: dict[str, Any]) -> None:
        """Re-estimate the emission parameters named in ``params`` from ``stats``."""
        raise NotImplementedError

    # ------------------------------------------------------ model selection
    def _n_parameters(self) -> int:
        """Free parameters: K - 1 start, K(K - 1) transition, plus the emission's."""
        K = int(self.n_components)
        return (K - 1) + K * (K - 1) + self._n_emission_parameters()

    def _n_emission_parameters(self) -> int:
        """Number of free emission parameters (for BIC and AIC)."""
        raise NotImplementedError

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
        n = len(np.asarray(X))
        return float(-2 * self.score(X, lengths) + self._n_parameters() * np.log(n))

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
            Length of the sequence.
        random_state : int, Generator or None
            Defaults to the estimator's ``random_state``.

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
        states : ndarray of shape (n_samples,)
        """
        check_is_fitted(self, ["startprob_", "transmat_"])
        self._check_structure()
        if int(n_samples) < 1:
            raise ValueError(f"n_samples must be >= 1; got {n_samples}")
        rng = check_random_state(self.random_state if random_state is None else random_state)
        K = int(self.n_components)
        states = np.empty(int(n_samples), dtype=np.intp)
        states[0] = rng.choice(K, p=self.startprob_)
        for t in range(1, int(n_samples)):
            states[t] = rng.choice(K, p=self.transmat_[states[t - 1]])
        return self._sample_emissions(states, rng), states

    def _sample_emissions(self, states: NDArray[np.intp], rng: np.random.Generator) -> FloatArray:
        """Draw one observation from each given state's emission distribution."""
        raise NotImplementedError


class CategoricalHMM(_BaseHMM):
    r"""HMM whose observations are symbols :math:`0, \dots, M-1`.

    Introduced in the chapter "Hidden Markov models".

    Parameters
    ----------
    n_components : int
        Number of hidden states :math:`K`.
    n_features : int, optional
        Alphabet size :math:`M`; by default ``max(X) + 1`` at the first fit.
    n_iter : int, default 10
        Maximum number of Baum-Welch iterations.
    tol : float, default 1e-2
        Stop when the total log-likelihood improves by less than this.
    params, init_params : str, default "ste"
        Which parameters Baum-Welch updates / initialises: "s" start probabilities,
        "t" transitions, "e" emission probabilities (hmmlearn's letters). Parameters not
        in ``init_params`` must be set before ``fit``.
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
    """

    emissionprob_: FloatArray
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        **_BaseHMM._base_constraints,
        "n_features": [Interval(numbers.Integral, 1, None), None],
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
        if np.any(X_ != np.round(X_)) or np.any(X_ < 0):
            raise ValueError("X must hold non-negative integer symbols")
        # The alphabet: n_features if given; at a fit that initialises the emissions, the
        # symbols seen (so that a refit equals a fresh fit); otherwise the fitted one.
        if self.n_features is not None:
            M = int(self.n_features)
        elif fitting and ("e" in self.init_params or not hasattr(self, "emissionprob_")):
            M = int(X_.max()) + 1
        else:
            M = self.emissionprob_.shape[1]
        if X_.max() >= M:
            raise ValueError(f"X has symbol {int(X_.max())}, outside the alphabet 0..{M - 1}")
        self._n_symbols = int(M)
        return X_

    def _check_emission(self) -> None:
        self.emissionprob_ = check_stochastic_matrix(self.emissionprob_, name="emissionprob_")
        if self.emissionprob_.shape[0] != int(self.n_components):
            raise ValueError(
                f"emissionprob_ must have {self.n_components} rows; got "
                f"{self.emissionprob_.shape[0]}"
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


class GaussianHMM(_BaseHMM):
    r"""HMM with a Gaussian emission density per state (diagonal or full covariance).

    Introduced in the chapter "Hidden Markov models".

    Parameters
    ----------
    n_components : int
    covariance_type : {"diag", "full"}, default "diag"
    min_covar : float, default 1e-3
        Added to the data covariance when the covariances are initialised (as hmmlearn).
    covars_prior : float, default 1e-2
        Added to the numerator of every covariance update, as hmmlearn's default prior
        does (for "full", to every entry, also as hmmlearn). It keeps variances positive
        when a state sits on repeated values; 0 gives the plain maximum-likelihood update.
    n_iter, tol, algorithm, random_state
        As in :class:`CategoricalHMM`.
    params, init_params : str, default "stmc"
        "s", "t", "m" (means), "c" (covariances).

    Attributes
    ----------
    startprob_, transmat_, history_, converged_, n_iter_
        As in :class:`CategoricalHMM`.
    means_ : ndarray of shape (n_components, n_features)
    covars_ : ndarray
        (n_components, n_features) for "diag", (n_components, n_features, n_features)
        for "full". (hmmlearn's ``covars_`` property always returns full matrices; its
        internal ``_covars_`` has these shapes.)
    """

    _emission_letter = "mc"
    means_: FloatArray
    covars_: FloatArray
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        **_BaseHMM._base_constraints,
        "covariance_type": [Options({"diag", "full"})],
        "min_covar": [Interval(numbers.Real, 0, None)],
        "covars_prior": [Interval(numbers.Real, 0, None)],
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
        if not fitting and hasattr(self, "means_") and X_.shape[1] != self.means_.shape[1]:
            raise ValueError(
                f"X has {X_.shape[1]} features, but GaussianHMM is expecting "
                f"{self.means_.shape[1]} features as input"
            )
        return X_

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
        if self.covariance_type == "diag" and np.any(covars <= 0):
            raise ValueError("covars_ must be positive")
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
            self.means_ = KMeans(K, random_state=rng).fit(X).cluster_centers_
        if "c" in self.init_params or not hasattr(self, "covars_"):
            if len(X) < 2:
                raise ValueError(
                    f"GaussianHMM needs at least 2 samples to initialise its covariances; "
                    f"got {len(X)} sample"
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
        z = (X[:, None, :] - self.means_) * self._precisions_cholesky
        squared = np.einsum("tkj,tkj->tk", z, z)
        return logpdf_from_mahalanobis(squared, X.shape[1], self._log_det_precisions)

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
