r"""Gaussian mixture models fitted by the EM algorithm.

A Gaussian mixture (Eqs. 32-33 of Lipiński 2024) is the density

.. math::

    p(x) = \sum_{k=1}^{K} \pi_k\, \mathcal N(x \mid \mu_k, \Sigma_k),
    \qquad \pi_k \ge 0,\ \sum_k \pi_k = 1 .

Nobody tells us which component produced which point, so the parameters are found by
**expectation-maximisation** (EM; Dempster, Laird & Rubin, 1977), alternating

E-step
    the *responsibilities* :math:`r_{ik} = p(k \mid x_i) = \pi_k \mathcal N(x_i \mid \mu_k,
    \Sigma_k) / \sum_j \pi_j \mathcal N(x_i \mid \mu_j, \Sigma_j)`, computed in log space;
M-step
    weighted maximum-likelihood estimates: with :math:`N_k = \sum_i r_{ik}`,
    :math:`\pi_k = N_k / n`, :math:`\mu_k = \sum_i r_{ik} x_i / N_k` and
    :math:`\Sigma_k = \sum_i r_{ik} (x_i - \mu_k)(x_i - \mu_k)^\top / N_k` (plus ``reg_covar``).

Without ``reg_covar``, no round can decrease the log-likelihood. ``em="hard"`` replaces the
responsibilities by a 0/1 assignment to the most probable component ("classification EM",
the procedure described in the paper); with equal, fixed spherical covariances and equal
weights that is exactly k-means.

The step order, the parameters and the attribute names follow scikit-learn's
``sklearn.mixture.GaussianMixture``, so that from identical initial parameters the two
produce the same iterates.

Introduced in the book's chapter "Gaussian mixtures and the EM algorithm"
(``book/mixture/mixture.ipynb``).
"""

from __future__ import annotations

import numbers
import warnings
from typing import Any, ClassVar

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.linalg import LinAlgError, cholesky

from genlab._base import BaseEstimator, DensityMixin, FiniteInterval, Interval, Letters, Options
from genlab._classifier import GenerativeClassifier
from genlab._validation import (
    check_array,
    check_count,
    check_is_fitted,
    check_labels,
    check_output_size,
    check_probability_vector,
    check_random_state,
    check_squared_distances_finite,
    check_variances_representable,
)
from genlab.cluster import (
    RESTART_RTOL,
    KMeans,
    _count_distinct,
    check_permutation,
    kmeans_plusplus,
)
from genlab.gaussian import (
    _logpdf_from_squared,
    log_det_factor,
    multivariate_normal_logpdf,
    precision_cholesky,
    triangular_inverse,
)
from genlab.numerics import first_best, logsumexp

__all__ = [
    "COVARIANCE_TYPES",
    "ConvergenceWarning",
    "GaussianMixture",
    "GaussianMixtureClassifier",
]

FloatArray = NDArray[np.float64]

#: The covariance structures, as in scikit-learn. One full matrix per component, one full
#: matrix shared by all ("tied"), one diagonal per component, one variance per component.
COVARIANCE_TYPES = ("full", "tied", "diag", "spherical")

_EPS = 10 * np.finfo(np.float64).eps


class ConvergenceWarning(UserWarning):
    """EM stopped at ``max_iter`` before the change in log-likelihood fell below ``tol``.

    Introduced in the chapter "Gaussian mixtures and the EM algorithm".
    """


# ------------------------------------------------------------------ the mathematics
# The Gaussian densities and factors are genlab.gaussian's; here they are applied to
# every component, in the shapes of scikit-learn's attributes.
_SINGULAR_REMEDY = (
    "a component that collapsed onto too few points, or onto duplicate points, needs a "
    "larger reg_covar"
)


def _precision_cholesky(covariances: FloatArray, covariance_type: str) -> FloatArray:
    """Factors P with P P^T = Sigma^{-1} (upper-triangular P = L^{-T} for full matrices)."""
    if covariance_type == "tied":
        return precision_cholesky(
            covariances, name="the tied covariance", remedy=_SINGULAR_REMEDY, max_condition=None
        )
    return np.array(
        [
            precision_cholesky(
                covariance,
                name=f"the covariance of component {k}",
                remedy=_SINGULAR_REMEDY,
                max_condition=None,  # as scikit-learn: whatever can be factorised
            )
            for k, covariance in enumerate(covariances)
        ]
    )


def _component_factors(P: FloatArray, covariance_type: str, n_components: int) -> FloatArray:
    """The precision factor of each component (the tied one repeated)."""
    return np.broadcast_to(P, (n_components, *P.shape)) if covariance_type == "tied" else P


def _log_gaussian_prob(
    X: FloatArray, means: FloatArray, P: FloatArray, covariance_type: str
) -> FloatArray:
    r"""Log-density log N(x_i | mu_k, Sigma_k) of every sample under every component, (n, K).

    Column k is :func:`genlab.gaussian.multivariate_normal_logpdf` with the component's
    precision factor :math:`P_k` (:math:`P_k P_k^\top = \Sigma_k^{-1}`):
    :math:`\log \mathcal N = -\tfrac12 (d \log 2\pi + \lVert (x - \mu_k)^\top P_k \rVert^2)
    + \log |P_k|`.
    """
    factors = _component_factors(P, covariance_type, len(means))
    return np.column_stack(
        [
            multivariate_normal_logpdf(X, mean, factor, check_finite=False)
            for mean, factor in zip(means, factors, strict=True)
        ]
    )


def _log_gaussian_prob_fast(
    X: FloatArray, means: FloatArray, P: FloatArray, covariance_type: str
) -> FloatArray:
    r"""The same as :func:`_log_gaussian_prob`, faster for "diag" and "spherical".

    The squared distance is expanded into three matrix products,
    :math:`\sum_j p_{kj}(x_j - \mu_{kj})^2 = \sum_j p_{kj} x_j^2 - 2 \sum_j p_{kj}\mu_{kj} x_j
    + \sum_j p_{kj}\mu_{kj}^2` with :math:`p = P^2`, all components at once. The expansion
    subtracts nearly equal numbers when points lie far from the origin relative to a
    component's width, so callers pass data centred at the training mean (the distances
    do not change). Full and tied covariances use the reference computation.
    """
    if covariance_type not in ("diag", "spherical"):
        return _log_gaussian_prob(X, means, P, covariance_type)
    d = X.shape[1]
    prec = P**2 if covariance_type == "diag" else np.repeat((P**2)[:, None], d, axis=1)
    with np.errstate(over="ignore", invalid="ignore"):  # an overflow is reported below
        squared = (X * X) @ prec.T - 2.0 * X @ (means * prec).T + np.sum(means**2 * prec, axis=1)
        squared = np.maximum(squared, 0.0)
    log_det = np.array([log_det_factor(factor, d) for factor in P])
    return _logpdf_from_squared(squared, d, log_det, X=X)


def _gaussian_parameters(
    X: FloatArray, resp: FloatArray, reg_covar: float, covariance_type: str
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """The M-step's weighted estimates: N_k, means and covariances (with the ridge)."""
    nk = resp.sum(axis=0) + _EPS  # never exactly 0
    resp_X = resp.T @ X  # sum_i r_ik x_i
    means = resp_X / nk[:, None]
    d = X.shape[1]
    if covariance_type == "full":
        covariances = np.empty((len(nk), d, d))
        for k in range(len(nk)):
            diff = X - means[k]
            covariances[k] = (resp[:, k] * diff.T) @ diff / nk[k]
            covariances[k].flat[:: d + 1] += reg_covar
    elif covariance_type == "tied":
        scatter = X.T @ X - (nk * means.T) @ means
        covariances = scatter / nk.sum()
        covariances.flat[:: d + 1] += reg_covar
    else:
        mean_sq = resp.T @ (X * X) / nk[:, None]  # E[x^2] per component
        diag = mean_sq - 2.0 * means * resp_X / nk[:, None] + means**2 + reg_covar
        covariances = diag if covariance_type == "diag" else diag.mean(axis=1)
    return nk, means, covariances


def _n_parameters(n_components: int, n_features: int, covariance_type: str) -> int:
    d = n_features
    per_cov = {
        "full": n_components * d * (d + 1) // 2,
        "tied": d * (d + 1) // 2,
        "diag": n_components * d,
        "spherical": n_components,
    }[covariance_type]
    return per_cov + n_components * d + n_components - 1


# ------------------------------------------------------------------ the estimator
class GaussianMixture(DensityMixin, BaseEstimator):
    r"""Gaussian mixture model fitted by (soft or hard) EM.

    Introduced in the chapter "Gaussian mixtures and the EM algorithm".

    Parameters
    ----------
    n_components : int, default 1
    covariance_type : {"full", "tied", "diag", "spherical"}, default "full"
    tol : float, default 1e-3
        Stop when the mean log-likelihood per point changes (in absolute value) by less
        than ``tol`` between iterations; for hard EM, the mean classification
        log-likelihood, and hard EM also stops when no assignment changes.
    reg_covar : float, default 1e-6
        Added to the diagonal of every covariance, so that a component sitting on a few
        points, or on duplicates, keeps a positive-definite covariance.
    max_iter : int, default 100
    n_init : int, default 1
        Independent starts; the first run whose ``lower_bound_`` (the mean
        log-likelihood at its last E-step; for hard EM the classification
        log-likelihood) is within a relative ``RESTART_RTOL`` (1e-9) of the highest is
        kept, so that runs that reach the same optimum, up to the last bits, are chosen
        the same way on every machine.
    init_params : {"kmeans", "k-means++", "random"}, default "kmeans"
        How the initial responsibilities are chosen: one-hot k-means labels, one-hot on
        the k-means++ seed points (as scikit-learn does), or random.
    weights_init, means_init, precisions_init : array_like, optional
        Initial parameters, overriding those derived from ``init_params``.
        ``precisions_init`` holds inverse covariances, in the shape of
        ``covariances_``.
    random_state : int, Generator or None
    em : {"soft", "hard"}, default "soft"
        "soft": standard EM with responsibilities. "hard": classification EM, which
        assigns each point wholly to its most probable component before the M-step.
    params : str, default "wmc"
        Which parameters the M-step updates: distinct letters among "w" (weights), "m"
        (means) and "c" (covariances), as in hmmlearn (a repeated letter is refused).
        The others keep their initial values, and :meth:`bic` and :meth:`aic` do not
        count them as free parameters.
    keep_history : bool, default False
        Record the parameters, the log-likelihood and the assignments of every
        iteration in ``history_`` (for teaching; it stores the labels of every sample).

    Notes
    -----
    Differences from scikit-learn: a component whose responsibilities all vanish keeps
    its previous mean and covariance (its weight becomes ~0) instead of 0/0; the
    estimates are computed on data centred at the training mean, which keeps them
    accurate far from the origin; ``sample`` returns the points in random component
    order rather than grouped by component.

    Attributes
    ----------
    weights_ : ndarray of shape (n_components,)
    means_ : ndarray of shape (n_components, n_features)
    covariances_ : ndarray
        (K, d, d) for "full", (d, d) for "tied", (K, d) for "diag", (K,) for "spherical".
    precisions_cholesky_ : ndarray
        Factors :math:`P` with :math:`P P^\top = \Sigma^{-1}`, in the same shapes.
    precisions_ : ndarray
        The inverse covariances.
    converged_ : bool
    n_iter_ : int
        EM iterations of the kept run.
    lower_bound_ : float
        Mean log-likelihood of the training data at the kept run's last E-step (for soft
        EM a lower bound on, and at convergence equal to, the final log-likelihood; for
        hard EM the mean classification log-likelihood).
    history_ : list of dict
        With ``keep_history``: one entry per iteration of the kept run, holding
        ``iteration``, ``log_likelihood`` (of the parameters the iteration started from),
        ``labels`` (the E-step's assignments) and the ``weights``, ``means`` and
        ``covariances`` after its M-step. Entry 0 holds the initial parameters.
    n_features_in_ : int
    """

    _fitted_attributes = ("weights_", "means_", "covariances_", "precisions_cholesky_")
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "n_components": [Interval(numbers.Integral, 1, None)],
        "covariance_type": [Options(COVARIANCE_TYPES)],
        "tol": [FiniteInterval(numbers.Real, 0, None)],
        "reg_covar": [FiniteInterval(numbers.Real, 0, None)],
        "max_iter": [Interval(numbers.Integral, 1, None)],
        "n_init": [Interval(numbers.Integral, 1, None)],
        "init_params": [Options({"kmeans", "k-means++", "random"})],
        "weights_init": ["array-like", None],
        "means_init": ["array-like", None],
        "precisions_init": ["array-like", None],
        "random_state": ["random_state"],
        "em": [Options({"soft", "hard"})],
        "params": [Letters("wmc")],
        "keep_history": ["boolean"],
    }

    def __init__(
        self,
        n_components: int = 1,
        *,
        covariance_type: str = "full",
        tol: float = 1e-3,
        reg_covar: float = 1e-6,
        max_iter: int = 100,
        n_init: int = 1,
        init_params: str = "kmeans",
        weights_init: ArrayLike | None = None,
        means_init: ArrayLike | None = None,
        precisions_init: ArrayLike | None = None,
        random_state: int | np.random.Generator | None = None,
        em: str = "soft",
        params: str = "wmc",
        keep_history: bool = False,
    ) -> None:
        self.n_components = n_components
        self.covariance_type = covariance_type
        self.tol = tol
        self.reg_covar = reg_covar
        self.max_iter = max_iter
        self.n_init = n_init
        self.init_params = init_params
        self.weights_init = weights_init
        self.means_init = means_init
        self.precisions_init = precisions_init
        self.random_state = random_state
        self.em = em
        self.params = params
        self.keep_history = keep_history

    # ---------------------------------------------------------------- checks
    def _check_parameters(self, X: FloatArray) -> None:
        self._validate_params()
        n, d = X.shape
        K = int(self.n_components)
        if K > n:
            raise ValueError(
                f"n_components={K} is larger than the number of samples ({n}): "
                "each component needs at least one point"
            )
        if self.weights_init is not None:
            w = check_probability_vector(self.weights_init, name="weights_init")
            if len(w) != K:
                raise ValueError(f"weights_init has {len(w)} entries for {K} components")
        if self.means_init is not None:
            m = check_array(self.means_init, name="means_init")
            if m.shape != (K, d):
                raise ValueError(f"means_init must have shape ({K}, {d}); got {m.shape}")
        if self.precisions_init is not None:
            shape = {"full": (K, d, d), "tied": (d, d), "diag": (K, d), "spherical": (K,)}
            p = np.asarray(self.precisions_init, dtype=np.float64)
            expected = shape[self.covariance_type]
            if p.shape != expected:
                raise ValueError(f"precisions_init must have shape {expected}; got {p.shape}")
            if not np.all(np.isfinite(p)):
                raise ValueError("precisions_init contains NaN or infinity")

    def _check_X(self, X: ArrayLike) -> FloatArray:
        check_is_fitted(self, ["means_"])
        X_ = check_array(X, name="X")
        if X_.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {X_.shape[1]} features, but GaussianMixture is expecting "
                f"{self.n_features_in_} features as input"
            )
        return X_

    # -------------------------------------------------------- initialisation
    def _initial_resp(self, X: FloatArray, rng: np.random.Generator) -> FloatArray:
        n, K = len(X), int(self.n_components)
        if self.init_params != "random":  # K starting points drawn from the data
            n_distinct = _count_distinct(X, up_to=K)
            if n_distinct < K:
                raise ValueError(
                    f"X has only {n_distinct} distinct points, fewer than "
                    f"n_components={K}; use fewer components (or init_params='random')"
                )
        resp = np.zeros((n, K))
        if self.init_params == "kmeans":
            labels = KMeans(K, n_init=1, random_state=rng).fit(X).labels_
            resp[np.arange(n), labels] = 1.0
        elif self.init_params == "k-means++":
            _, indices = kmeans_plusplus(X, K, random_state=rng)
            resp[indices, np.arange(K)] = 1.0
        else:
            resp = rng.uniform(size=(n, K))
            resp /= resp.sum(axis=1, keepdims=True)
        return resp

    def _initialize(self, X: FloatArray, rng: np.random.Generator) -> None:
        given = (self.weights_init, self.means_init, self.precisions_init)
        if any(p is None for p in given):
            # Initial responsibilities (k-means by default) for what was not given.
            nk, means, covariances = _gaussian_parameters(
                X - self._center,
                self._initial_resp(X, rng),
                self.reg_covar,
                self.covariance_type,
            )
            means = means + self._center
        # Every parameter given: no k-means, no work that the given values make unnecessary.
        self.weights_ = (
            nk / len(X)
            if self.weights_init is None
            else check_probability_vector(self.weights_init, name="weights_init")
        )
        self.means_ = means if self.means_init is None else check_array(self.means_init)
        if self.precisions_init is None:
            self.covariances_ = covariances
            self.precisions_cholesky_ = _precision_cholesky(covariances, self.covariance_type)
        else:
            precisions = np.asarray(self.precisions_init, dtype=np.float64)
            self.covariances_ = self._covariances_from_precisions(precisions)
            self.precisions_cholesky_ = _precision_cholesky(
                self.covariances_, self.covariance_type
            )

    def _covariances_from_precisions(self, precisions: FloatArray) -> FloatArray:
        """Sigma = Lambda^{-1} through the Cholesky factor of the precision Lambda."""
        if self.covariance_type in ("diag", "spherical"):
            if np.any(precisions <= 0):
                raise ValueError("precisions_init must be positive")
            return np.asarray(1.0 / precisions, dtype=np.float64)
        stack = precisions if self.covariance_type == "full" else precisions[None]
        out = np.empty_like(stack)
        for k, prec in enumerate(stack):
            if not np.allclose(prec, prec.T, rtol=1e-10, atol=1e-12):
                raise ValueError("precisions_init must be symmetric")
            try:
                L = cholesky(prec, lower=True)  # Lambda = L L^T
            except LinAlgError:
                raise ValueError("precisions_init must be positive definite") from None
            M = triangular_inverse(L)  # Sigma = L^{-T} L^{-1} = M^T M
            out[k] = M.T @ M
        return out if self.covariance_type == "full" else out[0]

    # ------------------------------------------------------------- E and M
    def _weighted_log_prob(self, X: FloatArray, *, centred: bool = False) -> FloatArray:
        """Weighted log-densities log pi_k + log N(x_i | mu_k, Sigma_k), shape (n, K)."""
        with np.errstate(divide="ignore"):  # a weight of exactly 0 gives -inf, by design
            log_weights = np.log(self.weights_)
        # Distances are computed relative to the training mean (they do not depend on
        # the origin), which keeps the fast expanded form accurate.
        log_prob = _log_gaussian_prob_fast(
            X if centred else X - self._center,
            self.means_ - self._center,
            self.precisions_cholesky_,
            self.covariance_type,
        )
        return np.asarray(log_prob + log_weights, dtype=np.float64)

    def _e_step(self, X: FloatArray, *, centred: bool = False) -> tuple[float, FloatArray]:
        """Mean log-likelihood and log responsibilities (log-sum-exp normalised)."""
        weighted = self._weighted_log_prob(X, centred=centred)
        log_norm = logsumexp(weighted, axis=1)
        return float(np.mean(log_norm)), weighted - log_norm[:, None]

    def _m_step(self, X_centred: FloatArray, resp: FloatArray) -> None:
        # The estimates are computed on data centred at the training mean: the covariance
        # formulas subtract squares (E[x^2] - mu^2), which would lose precision for data
        # far from the origin. Means are shifted back.
        nk, means, covariances = _gaussian_parameters(
            X_centred, resp, self.reg_covar, self.covariance_type
        )
        means = means + self._center
        # A component that has lost all its points keeps its mean and covariance (its
        # weight becomes ~0), instead of producing 0/0.
        empty = nk < 1e3 * _EPS
        if np.any(empty):
            means[empty] = self.means_[empty]
            if self.covariance_type != "tied":
                covariances[empty] = self.covariances_[empty]
        if "w" in self.params:
            self.weights_ = nk / nk.sum()
        if "m" in self.params:
            self.means_ = means
        if "c" in self.params:
            self.covariances_ = covariances
            self.precisions_cholesky_ = _precision_cholesky(covariances, self.covariance_type)

    def _snapshot(self, iteration: int, log_likelihood: float, labels: Any) -> dict[str, Any]:
        return {
            "iteration": iteration,
            "log_likelihood": log_likelihood,
            "labels": labels,
            "weights": self.weights_.copy(),
            "means": self.means_.copy(),
            "covariances": self.covariances_.copy(),
        }

    # -------------------------------------------------------------- fitting
    def fit(self, X: ArrayLike, y: Any = None) -> GaussianMixture:
        """Estimate the parameters with EM.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            At least ``n_components`` samples. Values so large that their squared
            distances overflow (about 1e154), or varying so little that their variances
            underflow (below about 1e-154), are refused: rescale them.
        y : ignored

        Returns
        -------
        self
        """
        self._fit(X)
        return self

    def fit_predict(self, X: ArrayLike, y: Any = None) -> NDArray[np.intp]:
        """Estimate the parameters with EM and return the component of each sample.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
        y : ignored

        Returns
        -------
        ndarray of shape (n_samples,)
            The most probable component of each training sample after fitting.
        """
        X_ = self._fit(X)
        # A last E-step, so that the returned labels match the final parameters.
        _, log_resp = self._e_step(X_)
        return np.asarray(np.argmax(log_resp, axis=1))

    def _fit(self, X: ArrayLike) -> FloatArray:
        """EM from ``n_init`` starts; keeps the best run and returns the checked data."""
        # One point gives no covariance: a mixture needs at least two.
        X_ = check_array(X, name="X", min_samples=2)
        check_squared_distances_finite(X_)
        check_variances_representable(X_ - X_.mean(axis=0))
        self._check_parameters(X_)
        self._center = X_.mean(axis=0)
        rng = check_random_state(self.random_state)
        runs = [self._run_em(X_, rng) for _ in range(int(self.n_init))]
        best = runs[first_best([run["lower_bound"] for run in runs], rtol=RESTART_RTOL)]
        for key in ("weights_", "means_", "covariances_", "precisions_cholesky_"):
            setattr(self, key, best[key])
        self.converged_, self.n_iter_ = best["converged"], best["n_iter"]
        self.lower_bound_ = best["lower_bound"]
        if self.keep_history:
            self.history_ = best["history"]
        elif hasattr(self, "history_"):  # a refit must equal a fresh fit
            del self.history_
        self.n_features_in_ = X_.shape[1]
        if not self.converged_:
            warnings.warn(
                f"EM did not converge within max_iter={self.max_iter} iterations "
                f"(tol={self.tol}); the parameters are those of the last iteration",
                ConvergenceWarning,
                stacklevel=3,
            )
        return X_

    def _run_em(self, X: FloatArray, rng: np.random.Generator) -> dict[str, Any]:
        self._initialize(X, rng)
        history = [self._snapshot(0, float("nan"), None)] if self.keep_history else []
        lower_bound = -np.inf
        labels: NDArray[np.intp] | None = None
        converged, n_iter = False, 0
        X_centred = X - self._center  # computed once; the E-step works on it
        for n_iter in range(1, int(self.max_iter) + 1):
            previous, previous_labels = lower_bound, labels
            log_likelihood, log_resp = self._e_step(X_centred, centred=True)
            if self.em == "hard" or self.keep_history:  # soft EM needs no labels
                labels = np.argmax(log_resp, axis=1)
            if self.em == "hard":
                resp = np.zeros_like(log_resp)
                resp[np.arange(len(X)), labels] = 1.0
                # classification log-likelihood: each point under its own component
                weighted = self._weighted_log_prob(X_centred, centred=True)
                lower_bound = float(np.mean(weighted[np.arange(len(X)), labels]))
            else:
                resp = np.exp(log_resp)
                lower_bound = log_likelihood
            self._m_step(X_centred, resp)
            if self.keep_history:
                history.append(self._snapshot(n_iter, log_likelihood, labels))
            same_labels = (
                self.em == "hard"
                and labels is not None
                and previous_labels is not None
                and np.array_equal(labels, previous_labels)
            )
            if abs(lower_bound - previous) < self.tol or same_labels:
                converged = True
                break
        return {
            "weights_": self.weights_,
            "means_": self.means_,
            "covariances_": self.covariances_,
            "precisions_cholesky_": self.precisions_cholesky_,
            "converged": converged,
            "n_iter": n_iter,
            "lower_bound": lower_bound,
            "history": history,
        }

    def reorder(self, order: ArrayLike) -> GaussianMixture:
        """Put the fitted components in a new order: component ``order[k]`` becomes ``k``.

        A mixture's component labels are arbitrary. ``gmm.reorder(canonical_order(
        gmm.means_))`` (:func:`genlab.cluster.canonical_order`) gives the same labels on
        every machine. The recorded ``history_``, if any, is relabelled too.

        Introduced in the chapter "Gaussian mixtures and the EM algorithm".

        Parameters
        ----------
        order : array_like of int, shape (n_components,)
            A permutation of the current component indices.

        Returns
        -------
        self
        """
        check_is_fitted(self, ["means_"])
        perm = check_permutation(order, len(self.means_))
        new_label = np.empty_like(perm)
        new_label[perm] = np.arange(len(perm))
        self.weights_ = self.weights_[perm]
        self.means_ = self.means_[perm]
        if self.covariance_type != "tied":  # a tied covariance belongs to every component
            self.covariances_ = self.covariances_[perm]
            self.precisions_cholesky_ = self.precisions_cholesky_[perm]
        for entry in getattr(self, "history_", []):
            entry["weights"], entry["means"] = entry["weights"][perm], entry["means"][perm]
            if self.covariance_type != "tied":
                entry["covariances"] = entry["covariances"][perm]
            if entry["labels"] is not None:
                entry["labels"] = new_label[entry["labels"]]
        return self

    # ----------------------------------------------------------- prediction
    @property
    def precisions_(self) -> FloatArray:
        r"""Inverse covariances, :math:`P P^\top`, in the shape of ``covariances_``."""
        check_is_fitted(self, ["precisions_cholesky_"])
        P = self.precisions_cholesky_
        if self.covariance_type == "full":
            return np.asarray(np.einsum("kij,klj->kil", P, P), dtype=np.float64)
        if self.covariance_type == "tied":
            return np.asarray(P @ P.T, dtype=np.float64)
        return np.asarray(P**2, dtype=np.float64)

    def score_samples(self, X: ArrayLike) -> FloatArray:
        r"""Log-density :math:`\log p(x)` of each sample under the mixture.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        return logsumexp(self._weighted_log_prob(self._check_X(X)), axis=1)

    def predict_proba(self, X: ArrayLike) -> FloatArray:
        r"""Responsibilities :math:`p(k \mid x)` of each component for each sample.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_components)
        """
        return np.exp(self._e_step(self._check_X(X))[1])

    def predict(self, X: ArrayLike) -> NDArray[np.intp]:
        """The most probable component of each sample.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        return np.asarray(np.argmax(self._weighted_log_prob(self._check_X(X)), axis=1))

    def bic(self, X: ArrayLike) -> float:
        r"""Bayesian information criterion, :math:`-2 \log L + p \log n` (lower is better).

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)

        Returns
        -------
        float
        """
        X_ = self._check_X(X)
        return float(-2 * self.score(X_) * len(X_) + self._n_parameters() * np.log(len(X_)))

    def aic(self, X: ArrayLike) -> float:
        r"""Akaike information criterion, :math:`-2 \log L + 2p` (lower is better).

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)

        Returns
        -------
        float
        """
        X_ = self._check_X(X)
        return float(-2 * self.score(X_) * len(X_) + 2 * self._n_parameters())

    def _n_parameters(self) -> int:
        """Free parameters: only those that ``params`` lets the M-step estimate."""
        K, d = int(self.n_components), self.n_features_in_
        total = _n_parameters(K, d, self.covariance_type)
        n_cov = total - K * d - (K - 1)
        fixed = {"w": K - 1, "m": K * d, "c": n_cov}
        return int(total - sum(n for letter, n in fixed.items() if letter not in self.params))

    def sample(
        self, n_samples: int = 1, *, random_state: int | np.random.Generator | None = None
    ) -> tuple[FloatArray, NDArray[np.intp]]:
        """Draw samples: a component from the weights, then a point from its Gaussian.

        Parameters
        ----------
        n_samples : int
            At least 1. A request whose samples would need more than
            ``genlab._validation.MAX_OUTPUT_BYTES`` (4 GiB) is refused before any is drawn.
        random_state : int, Generator or None
            Defaults to the estimator's ``random_state``.

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
        y : ndarray of shape (n_samples,)
            The component of each sample.
        """
        check_is_fitted(self, ["means_"])
        n_samples = check_count(n_samples, name="n_samples", minimum=1)
        check_output_size(
            (n_samples, self.means_.shape[1] + 1), name="n_samples", what="the samples and labels"
        )
        rng = check_random_state(self.random_state if random_state is None else random_state)
        labels = rng.choice(int(self.n_components), size=int(n_samples), p=self.weights_)
        d = self.n_features_in_
        X = np.empty((int(n_samples), d))
        for k in range(int(self.n_components)):
            rows = np.flatnonzero(labels == k)
            if rows.size == 0:
                continue
            eps = rng.standard_normal((rows.size, d))
            if self.covariance_type in ("full", "tied"):
                cov = self.covariances_[k] if self.covariance_type == "full" else self.covariances_
                X[rows] = self.means_[k] + eps @ cholesky(cov, lower=True).T
            else:
                X[rows] = self.means_[k] + eps * np.sqrt(self.covariances_[k])
        return X, np.asarray(labels)


class GaussianMixtureClassifier(GenerativeClassifier):
    r"""A generative classifier with one Gaussian mixture per class.

    .. math::

        \log p(x, c) = \log p(c) + \log \sum_{k=1}^{K} \pi_{ck}\,
        \mathcal N(x \mid \mu_{ck}, \Sigma_{ck})

    Each class-conditional density is a :class:`GaussianMixture` fitted by EM on that
    class's samples alone; classification is Bayes' theorem, as for every generative
    classifier. With ``n_components=1``, full covariances and the same ``reg_covar`` it
    is the Gaussian Bayes classifier (QDA, :class:`genlab.gaussian.GaussianClassifier`);
    more components let one class occupy several regions (a digit written in two
    styles, say). Also known as mixture discriminant analysis.

    Introduced in the chapter "Choosing a generative model".

    Parameters
    ----------
    n_components : int, default 2
        Components per class. Every class needs at least this many samples.
    covariance_type : {"full", "tied", "diag", "spherical"}, default "full"
    reg_covar : float, default 1e-6
        Added to the diagonal of every covariance.
    priors : array_like of shape (n_classes,), optional
        Fixed class priors; by default the class frequencies.
    tol, max_iter, n_init, init_params
        Passed to each class's :class:`GaussianMixture`.
    random_state : int, Generator or None
        One generator is created from it and used by the classes' mixtures in turn (in
        the order of ``classes_``), so a fit is reproducible as a whole.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    class_count_ : ndarray of shape (n_classes,)
    priors_ : ndarray of shape (n_classes,)
    mixtures_ : list of GaussianMixture
        The fitted class-conditional mixtures, in the order of ``classes_``.
    n_iter_ : ndarray of shape (n_classes,)
        EM iterations of each class's mixture.
    n_features_in_ : int
    """

    _fitted_attributes = ("classes_", "mixtures_", "priors_")
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "n_components": [Interval(numbers.Integral, 1, None)],
        "covariance_type": [Options(COVARIANCE_TYPES)],
        "reg_covar": [FiniteInterval(numbers.Real, 0, None)],
        "priors": ["array-like", None],
        "tol": [FiniteInterval(numbers.Real, 0, None)],
        "max_iter": [Interval(numbers.Integral, 1, None)],
        "n_init": [Interval(numbers.Integral, 1, None)],
        "init_params": [Options({"kmeans", "k-means++", "random"})],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        n_components: int = 2,
        *,
        covariance_type: str = "full",
        reg_covar: float = 1e-6,
        priors: ArrayLike | None = None,
        tol: float = 1e-3,
        max_iter: int = 100,
        n_init: int = 1,
        init_params: str = "kmeans",
        random_state: int | np.random.Generator | None = None,
    ) -> None:
        self.n_components = n_components
        self.covariance_type = covariance_type
        self.reg_covar = reg_covar
        self.priors = priors
        self.tol = tol
        self.max_iter = max_iter
        self.n_init = n_init
        self.init_params = init_params
        self.random_state = random_state

    def fit(self, X: ArrayLike, y: ArrayLike) -> GaussianMixtureClassifier:
        """Fit one mixture per class, by EM on that class's samples, and the priors.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
        y : array_like of shape (n_samples,)
            At least two classes, each with at least ``n_components`` samples.

        Returns
        -------
        self
        """
        self._validate_params()
        X_ = self._check_X(X, reset=True)
        labels = check_labels(y, len(X_), estimator=type(self).__name__)
        classes = self._check_classes(labels)
        rng = check_random_state(self.random_state)
        mixtures = []
        for c in classes:
            mixture = GaussianMixture(
                self.n_components,
                covariance_type=self.covariance_type,
                reg_covar=self.reg_covar,
                tol=self.tol,
                max_iter=self.max_iter,
                n_init=self.n_init,
                init_params=self.init_params,
                random_state=rng,
            )
            try:
                mixtures.append(mixture.fit(X_[labels == c]))
            except ValueError as exc:
                raise ValueError(f"class {c.item()!r}: {exc}") from None
        self.classes_ = classes
        self.n_features_in_ = X_.shape[1]
        self.mixtures_ = mixtures
        self.n_iter_ = np.array([m.n_iter_ for m in mixtures])
        self._fit_priors(np.array([np.sum(labels == c) for c in classes]), fixed=self.priors)
        return self

    def _joint_log_likelihood(self, X: FloatArray) -> FloatArray:
        log_density = np.column_stack([m.score_samples(X) for m in self.mixtures_])
        return np.asarray(log_density + self._log_prior(), dtype=np.float64)

    def _sample_features(self, idx: NDArray[np.intp], rng: np.random.Generator) -> FloatArray:
        out = np.empty((len(idx), self.n_features_in_))
        for c, mixture in enumerate(self.mixtures_):
            rows = np.flatnonzero(idx == c)
            if rows.size:
                out[rows] = mixture.sample(rows.size, random_state=rng)[0]
        return out
