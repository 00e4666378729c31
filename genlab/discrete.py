r"""Discrete image models: independent categorical pixels and mixtures of them.

An image of :math:`D` pixels whose values are levels :math:`x_j \in \{0, \dots, L-1\}`
(the 8x8 digits have :math:`L = 17`) can be modelled *exactly* as a discrete
distribution, so that :math:`\log P(x)` is the log-probability of the image itself and
not a density.

Independent categoricals
    Each pixel is its own categorical distribution,
    :math:`P(x) = \prod_j \theta_{j, x_j}`, estimated with add-:math:`\alpha` smoothing:
    :math:`\theta_{jl} = (n_{jl} + \alpha) / (n + L\alpha)`, with :math:`n_{jl}` the
    number of training images whose pixel :math:`j` has level :math:`l`. The "naive"
    baseline of the likelihood yardstick.
A mixture of independent categoricals
    :math:`P(x) = \sum_{k=1}^K \pi_k \prod_j \theta_{k, j, x_j}`, the discrete cousin of
    the Gaussian mixture, fitted by EM:

    E-step
        responsibilities :math:`r_{ik} \propto \pi_k \prod_j \theta_{k, j, x_{ij}}`,
        computed in log space with log-sum-exp (a product of 64 probabilities
        underflows quickly);
    M-step
        :math:`\pi_k = N_k / n` with :math:`N_k = \sum_i r_{ik}`, and
        :math:`\theta_{kjl} = (\sum_i r_{ik} [x_{ij} = l] + \alpha) / (N_k + L\alpha)`.

    With :math:`\alpha = 0` each round cannot decrease the log-likelihood; with
    :math:`\alpha > 0` it cannot decrease the log-likelihood plus
    :math:`\alpha \sum_{k,j,l} \log \theta_{kjl}` (the log of a Dirichlet prior, up to a
    constant): EM for the maximum a posteriori estimate.

Introduced in the chapter "One yardstick: likelihood in bits per pixel".
"""

from __future__ import annotations

import numbers
import warnings
from typing import Any, ClassVar

import numpy as np
from numpy.typing import ArrayLike, NDArray

from genlab._base import BaseEstimator, DensityMixin, FiniteInterval, Interval, Options
from genlab._validation import (
    check_count,
    check_is_fitted,
    check_levels,
    check_output_size,
    check_random_state,
)
from genlab.cluster import KMeans, _count_distinct, canonical_order, check_permutation
from genlab.mixture import ConvergenceWarning
from genlab.numerics import logsumexp

__all__ = ["CategoricalMixture", "IndependentCategorical"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]

#: A component whose total responsibility falls below this keeps its previous
#: probabilities (its weight becomes ~0) instead of dividing 0 by 0.
_EMPTY = 1e-12


# ------------------------------------------------------------------ the mathematics
def _one_hot(X: IntArray, n_levels: int) -> FloatArray:
    """Indicators [x_ij = l], shape (n, d * L), column j * L + l."""
    n, d = X.shape
    out = np.zeros((n, d * n_levels))
    out[np.arange(n)[:, None], np.arange(d) * n_levels + X] = 1.0
    return out


def _smoothed_log_probs(counts: FloatArray, totals: FloatArray, alpha: float) -> FloatArray:
    r"""log((counts + alpha) / (totals + L alpha)); counts (..., d, L), totals (...,).

    A level never seen with ``alpha = 0`` has probability 0 and log-probability -inf.
    """
    L = counts.shape[-1]
    with np.errstate(divide="ignore"):
        return np.asarray(
            np.log(counts + alpha) - np.log(totals + L * alpha)[..., None, None],
            dtype=np.float64,
        )


def _log_prob_under_components(X: IntArray, log_probs: FloatArray) -> FloatArray:
    r"""The log of prod_j theta_{k, j, x_ij} for every image i and component k, shape (n, K).

    ``log_probs`` has shape (K, d, L). Indexing (not a matrix product with one-hot
    indicators) keeps -inf entries from turning into NaN (0 * -inf).
    """
    d = X.shape[1]
    picked = log_probs[:, np.arange(d), X]  # (K, n, d): log theta_{k, j, x_ij}
    return np.asarray(picked.sum(axis=2).T, dtype=np.float64)


def _e_step(
    X: IntArray, log_weights: FloatArray, log_probs: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Per-image log-likelihood (n,) and log responsibilities (n, K)."""
    weighted = _log_prob_under_components(X, log_probs) + log_weights
    log_norm = logsumexp(weighted, axis=1)
    with np.errstate(invalid="ignore"):  # -inf - (-inf) where an image is impossible
        log_resp = weighted - log_norm[:, None]
    return log_norm, np.asarray(np.nan_to_num(log_resp, nan=-np.inf), dtype=np.float64)


def _m_step(
    onehot: FloatArray,
    resp: FloatArray,
    n_levels: int,
    alpha: float,
    previous: FloatArray | None,
) -> tuple[FloatArray, FloatArray]:
    """Weights (K,) and log-probabilities (K, d, L) from the responsibilities."""
    K = resp.shape[1]
    nk = resp.sum(axis=0)
    counts = (resp.T @ onehot).reshape(K, -1, n_levels)  # sum_i r_ik [x_ij = l]
    log_probs = _smoothed_log_probs(counts, nk, alpha)
    empty = nk < _EMPTY
    if np.any(empty):
        if previous is None:  # (only possible from a random start with alpha = 0)
            log_probs[empty] = -np.log(n_levels)
        else:
            log_probs[empty] = previous[empty]
    return nk / nk.sum(), log_probs


def _log_prior(log_probs: FloatArray, alpha: float) -> float:
    """The penalty alpha * sum log theta that MAP-EM (alpha > 0) adds to the objective."""
    return float(alpha * log_probs.sum()) if alpha > 0 else 0.0


# ------------------------------------------------------------------ the estimators
class IndependentCategorical(DensityMixin, BaseEstimator):
    r"""Independent categorical pixels: :math:`P(x) = \prod_j \theta_{j, x_j}`.

    Each pixel's level distribution is estimated with add-``alpha`` smoothing,
    :math:`\theta_{jl} = (n_{jl} + \alpha) / (n + L\alpha)`. The log-likelihood is
    exact (a log-probability of the discrete image, not a density).

    Introduced in the chapter "One yardstick: likelihood in bits per pixel".

    Parameters
    ----------
    n_levels : int, default 2
        The number of levels L: pixels take the values 0, ..., L - 1.
    alpha : float, default 1.0
        Pseudo-count added to every level of every pixel (Laplace smoothing at 1).
        With 0 (maximum likelihood) a level never seen in training has probability 0,
        and an image that has one gets log-likelihood ``-inf``.

    Attributes
    ----------
    level_count_ : ndarray of shape (n_features, n_levels)
        :math:`n_{jl}`, the number of training images with level l at pixel j.
    log_probs_ : ndarray of shape (n_features, n_levels)
        :math:`\log \theta_{jl}`.
    n_features_in_ : int
    """

    _fitted_attributes = ("log_probs_",)
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "n_levels": [Interval(numbers.Integral, 1, None)],
        "alpha": [FiniteInterval(numbers.Real, 0, None)],
    }

    def __init__(self, n_levels: int = 2, *, alpha: float = 1.0) -> None:
        self.n_levels = n_levels
        self.alpha = alpha

    def fit(self, X: ArrayLike, y: Any = None) -> IndependentCategorical:
        """Count the levels of every pixel.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            Integer levels in ``0 .. n_levels - 1``.
        y : ignored

        Returns
        -------
        self
        """
        self._validate_params()
        L = int(self.n_levels)
        X_ = check_levels(X, L)
        n, d = X_.shape
        counts = _one_hot(X_, L).sum(axis=0).reshape(d, L)
        self.level_count_ = counts
        self.log_probs_ = _smoothed_log_probs(counts[None], np.array([float(n)]), self.alpha)[0]
        self.n_features_in_ = d
        return self

    def _check_X(self, X: ArrayLike) -> IntArray:
        check_is_fitted(self, self._fitted_attributes)
        X_ = check_levels(X, int(self.n_levels))
        if X_.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {X_.shape[1]} features, but {type(self).__name__} is expecting "
                f"{self.n_features_in_} features as input"
            )
        return X_

    def score_samples(self, X: ArrayLike) -> FloatArray:
        r"""Log-probability :math:`\log P(x) = \sum_j \log \theta_{j, x_j}` of each image.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            Integer levels in ``0 .. n_levels - 1``.

        Returns
        -------
        ndarray of shape (n_samples,)
            In nats; ``-inf`` only with ``alpha=0`` and a level unseen in training.
        """
        X_ = self._check_X(X)
        return _log_prob_under_components(X_, self.log_probs_[None])[:, 0]

    def sample(
        self, n_samples: int = 1, *, random_state: int | np.random.Generator | None = None
    ) -> IntArray:
        """Draw images, every pixel independently from its categorical distribution.

        Parameters
        ----------
        n_samples : int
        random_state : int, Generator or None

        Returns
        -------
        ndarray of intp, shape (n_samples, n_features)
        """
        check_is_fitted(self, self._fitted_attributes)
        n = check_count(n_samples, name="n_samples", minimum=1)
        check_output_size((n, self.n_features_in_), name="n_samples", what="the images")
        rng = check_random_state(random_state)
        return _draw_levels(np.exp(self.log_probs_), rng.uniform(size=(n, self.n_features_in_)))


def _draw_levels(probs: FloatArray, u: FloatArray) -> IntArray:
    """Inverse-CDF draws: level l where cdf_{l-1} <= u < cdf_l; probs (..., d, L), u (n, d)."""
    cdf = np.cumsum(probs, axis=-1)
    cdf[..., -1] = 1.0  # rounding must not leave u above the last level
    return np.asarray((u[..., None] >= cdf[..., :-1]).sum(axis=-1), dtype=np.intp)


class CategoricalMixture(DensityMixin, BaseEstimator):
    r"""A mixture of independent categoricals, fitted by EM in log space.

    .. math::

        P(x) = \sum_{k=1}^K \pi_k \prod_{j=1}^D \theta_{k, j, x_j}

    See the module docstring for the E- and M-steps. After fitting, the components are
    put in a canonical order: by decreasing weight, ties (to 6 decimals) broken by the
    components' mean images, compared pixel by pixel (:func:`genlab.cluster.canonical_order`),
    so that the same optimum gives the same labels on every machine. With
    ``n_components=1`` the model is :class:`IndependentCategorical`.

    Introduced in the chapter "One yardstick: likelihood in bits per pixel".

    Parameters
    ----------
    n_components : int, default 1
        K, at most the number of training images.
    n_levels : int, default 2
        The number of levels L: pixels take the values 0, ..., L - 1.
    alpha : float, default 1.0
        Pseudo-count of every level of every pixel in every component's M-step
        (0: maximum likelihood).
    max_iter : int, default 100
    tol : float, default 1e-6
        Stop when the objective (mean log-likelihood per image, plus
        ``alpha * sum(log_probs_) / n_samples``) changes by less than ``tol``.
    init_params : {"kmeans", "random"}, default "kmeans"
        Initial responsibilities: one-hot k-means labels of the levels (needs at least
        ``n_components`` distinct images), or random (each row from a flat Dirichlet).
    random_state : int, Generator or None

    Attributes
    ----------
    weights_ : ndarray of shape (n_components,)
        :math:`\pi_k`.
    log_probs_ : ndarray of shape (n_components, n_features, n_levels)
        :math:`\log \theta_{kjl}`.
    converged_ : bool
    n_iter_ : int
    log_likelihood_history_ : ndarray of shape (n_iter_,)
        Mean log-likelihood per training image at each iteration's E-step (of the
        parameters the iteration started from).
    objective_history_ : ndarray of shape (n_iter_,)
        The same plus ``alpha * sum(log theta) / n_samples``: what EM increases.
    lower_bound_ : float
        The last entry of ``log_likelihood_history_``.
    n_features_in_ : int
    """

    _fitted_attributes = ("weights_", "log_probs_")
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "n_components": [Interval(numbers.Integral, 1, None)],
        "n_levels": [Interval(numbers.Integral, 1, None)],
        "alpha": [FiniteInterval(numbers.Real, 0, None)],
        "max_iter": [Interval(numbers.Integral, 1, None)],
        "tol": [FiniteInterval(numbers.Real, 0, None)],
        "init_params": [Options({"kmeans", "random"})],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        n_components: int = 1,
        *,
        n_levels: int = 2,
        alpha: float = 1.0,
        max_iter: int = 100,
        tol: float = 1e-6,
        init_params: str = "kmeans",
        random_state: int | np.random.Generator | None = None,
    ) -> None:
        self.n_components = n_components
        self.n_levels = n_levels
        self.alpha = alpha
        self.max_iter = max_iter
        self.tol = tol
        self.init_params = init_params
        self.random_state = random_state

    def _initial_resp(self, X: IntArray, rng: np.random.Generator) -> FloatArray:
        n, K = len(X), int(self.n_components)
        if self.init_params == "random":
            return np.asarray(rng.dirichlet(np.ones(K), size=n), dtype=np.float64)
        Xf = X.astype(np.float64)
        if _count_distinct(Xf, up_to=K) < K:
            raise ValueError(
                f"X has fewer than n_components={K} distinct images; use fewer components "
                "(or init_params='random')"
            )
        labels = KMeans(K, n_init=1, random_state=rng).fit(Xf).labels_
        resp = np.zeros((n, K))
        resp[np.arange(n), labels] = 1.0
        return resp

    def fit(self, X: ArrayLike, y: Any = None) -> CategoricalMixture:
        """Estimate the weights and the per-component probabilities by EM.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            Integer levels in ``0 .. n_levels - 1``; at least ``n_components`` images.
        y : ignored

        Returns
        -------
        self
        """
        self._validate_params()
        L, K, alpha = int(self.n_levels), int(self.n_components), float(self.alpha)
        X_ = check_levels(X, L)
        n = len(X_)
        if K > n:
            raise ValueError(
                f"n_components={K} is larger than the number of samples ({n}): "
                "each component needs at least one image"
            )
        rng = check_random_state(self.random_state)
        onehot = _one_hot(X_, L)
        weights, log_probs = _m_step(onehot, self._initial_resp(X_, rng), L, alpha, None)
        history: list[float] = []
        objectives: list[float] = []
        converged, previous = False, -np.inf
        for _ in range(int(self.max_iter)):
            with np.errstate(divide="ignore"):
                log_weights = np.log(weights)
            log_lik, log_resp = _e_step(X_, log_weights, log_probs)
            mean_ll = float(np.mean(log_lik))
            objective = mean_ll + _log_prior(log_probs, alpha) / n
            history.append(mean_ll)
            objectives.append(objective)
            if abs(objective - previous) < self.tol:
                converged = True
                break
            previous = objective
            weights, log_probs = _m_step(onehot, np.exp(log_resp), L, alpha, log_probs)
        # (the parameters kept are those the last E-step evaluated)
        self.weights_, self.log_probs_ = weights, log_probs
        self.n_features_in_ = X_.shape[1]
        self.converged_, self.n_iter_ = converged, len(history)
        self.log_likelihood_history_ = np.array(history)
        self.objective_history_ = np.array(objectives)
        self.lower_bound_ = history[-1]
        self.reorder(self._canonical_order())
        if not converged:
            warnings.warn(
                f"EM did not converge within max_iter={self.max_iter} iterations "
                f"(tol={self.tol}); the parameters are those of the last iteration",
                ConvergenceWarning,
                stacklevel=2,
            )
        return self

    def _canonical_order(self) -> IntArray:
        levels = np.arange(int(self.n_levels))
        mean_images = np.exp(self.log_probs_) @ levels  # E[x_j] under each component
        keys = np.column_stack([-self.weights_, mean_images])
        return canonical_order(keys)

    def reorder(self, order: ArrayLike) -> CategoricalMixture:
        """Put the fitted components in a new order: component ``order[k]`` becomes ``k``.

        Introduced in the chapter "One yardstick: likelihood in bits per pixel".

        Parameters
        ----------
        order : array_like of int, shape (n_components,)

        Returns
        -------
        self
        """
        check_is_fitted(self, self._fitted_attributes)
        perm = check_permutation(order, len(self.weights_))
        self.weights_ = self.weights_[perm]
        self.log_probs_ = self.log_probs_[perm]
        return self

    def _check_X(self, X: ArrayLike) -> IntArray:
        check_is_fitted(self, self._fitted_attributes)
        X_ = check_levels(X, int(self.n_levels))
        if X_.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {X_.shape[1]} features, but {type(self).__name__} is expecting "
                f"{self.n_features_in_} features as input"
            )
        return X_

    def _log_weights(self) -> FloatArray:
        with np.errstate(divide="ignore"):
            return np.asarray(np.log(self.weights_), dtype=np.float64)

    def score_samples(self, X: ArrayLike) -> FloatArray:
        r"""Log-probability :math:`\log P(x)` of each image (exact, log-sum-exp).

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            Integer levels in ``0 .. n_levels - 1``.

        Returns
        -------
        ndarray of shape (n_samples,)
            In nats.
        """
        return _e_step(self._check_X(X), self._log_weights(), self.log_probs_)[0]

    def predict_proba(self, X: ArrayLike) -> FloatArray:
        r"""Responsibilities :math:`P(k \mid x)` of each component for each image.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_components)
            Rows sum to 1 (all zeros for an image of probability 0).
        """
        return np.exp(_e_step(self._check_X(X), self._log_weights(), self.log_probs_)[1])

    def predict(self, X: ArrayLike) -> IntArray:
        """The most probable component of each image.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of intp, shape (n_samples,)
        """
        X_ = self._check_X(X)
        weighted = _log_prob_under_components(X_, self.log_probs_) + self._log_weights()
        return np.asarray(np.argmax(weighted, axis=1), dtype=np.intp)

    def sample(
        self, n_samples: int = 1, *, random_state: int | np.random.Generator | None = None
    ) -> tuple[IntArray, IntArray]:
        """Draw images: a component from the weights, then every pixel from it.

        Parameters
        ----------
        n_samples : int
        random_state : int, Generator or None
            Defaults to the estimator's ``random_state``.

        Returns
        -------
        X : ndarray of intp, shape (n_samples, n_features)
        y : ndarray of intp, shape (n_samples,)
            The component of each image.
        """
        check_is_fitted(self, self._fitted_attributes)
        n = check_count(n_samples, name="n_samples", minimum=1)
        check_output_size((n, self.n_features_in_), name="n_samples", what="the images")
        rng = check_random_state(self.random_state if random_state is None else random_state)
        labels = rng.choice(len(self.weights_), size=n, p=self.weights_)
        u = rng.uniform(size=(n, self.n_features_in_))
        images = _draw_levels(np.exp(self.log_probs_)[labels], u)
        return images, np.asarray(labels, dtype=np.intp)
