r"""Normal (Gaussian) densities.

The univariate density of Eq. (20) in Lipiński (2024),

.. math::

    \mathcal N(x \mid \mu, \sigma^2)
      = \frac{1}{\sigma\sqrt{2\pi}}
        \exp\Bigl(-\frac{(x-\mu)^2}{2\sigma^2}\Bigr),

is computed in log space. It takes the standard deviation σ explicitly, so that
a worked example can be reproduced with whatever σ its author used.

The multivariate density of Eq. (21),

.. math::

    \mathcal N(x \mid \mu, \Sigma) = (2\pi)^{-d/2} |\Sigma|^{-1/2}
      \exp\bigl(-\tfrac12 (x-\mu)^\top \Sigma^{-1} (x-\mu)\bigr),

is evaluated through the Cholesky factorisation :math:`\Sigma = L L^\top`: with
:math:`z = L^{-1}(x - \mu)` (through the inverse of the triangular factor :math:`L`, which is
cheap and stable; :math:`\Sigma` itself is never inverted),
:math:`(x-\mu)^\top \Sigma^{-1} (x-\mu) = \lVert z \rVert^2` and
:math:`\log|\Sigma| = 2 \sum_i \log L_{ii}` (never a determinant, which under- or
overflows in high dimension).

The univariate functions are introduced in the book's chapter "What is a generative
model?" (``book/intro/generative_models.ipynb``); :class:`MultivariateNormal` and
:class:`GaussianClassifier` in the chapter "The multivariate Gaussian and the Gaussian
Bayes classifier" (``book/gaussian/gaussian.ipynb``).
"""

from __future__ import annotations

import numbers
from typing import Any, ClassVar

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.linalg import LinAlgError, cholesky
from scipy.linalg.lapack import dtrtri

from genlab._base import BaseEstimator, DensityMixin, Interval
from genlab._classifier import GenerativeClassifier
from genlab._validation import (
    check_array,
    check_labels,
    check_random_state,
)

__all__ = ["GaussianClassifier", "MultivariateNormal", "normal_logpdf", "normal_pdf"]

FloatArray = NDArray[np.float64]

#: A covariance whose *correlation* matrix has a condition number above this (as bounded
#: below by its Cholesky diagonal) is treated as numerically singular: some combination
#: of features is then (almost) exactly determined by the others. The correlation
#: matrix is used so that the check does not depend on the features' units.
_MAX_CONDITION = 1e12

_LOG_SQRT_2PI = 0.5 * np.log(2.0 * np.pi)


def normal_logpdf(x: ArrayLike, mean: ArrayLike, std: ArrayLike) -> NDArray[np.float64]:
    """Log-density of the univariate normal distribution N(mean, std²).

    Introduced in the chapter "What is a generative model?".

    Parameters
    ----------
    x : array_like of float
        Points at which to evaluate the density.
    mean : array_like of float
        The mean μ; broadcast against ``x``.
    std : array_like of float
        The standard deviation σ (not the variance); every entry must be > 0.
        Broadcast against ``x``.

    Returns
    -------
    ndarray of float64
        ``log N(x | mean, std²)`` with the broadcast shape of the inputs:
        ``-log σ - log √(2π) - (x - μ)² / (2σ²)``.

    Raises
    ------
    ValueError
        If any input is NaN or infinite, or any ``std`` is not positive.

    Examples
    --------
    >>> round(float(normal_logpdf(0.0, 0.0, 1.0)), 6)  # -log sqrt(2 pi)
    -0.918939
    """
    x_, mu, sd = (np.asarray(v, dtype=np.float64) for v in (x, mean, std))
    for name, v in (("x", x_), ("mean", mu), ("std", sd)):
        if not np.all(np.isfinite(v)):
            raise ValueError(f"normal_logpdf: {name} contains NaN or infinity")
    if np.any(sd <= 0):
        raise ValueError(
            "normal_logpdf: std must be > 0 (a zero standard deviation has no density)"
        )
    z = (x_ - mu) / sd
    return np.asarray(-np.log(sd) - _LOG_SQRT_2PI - 0.5 * z * z, dtype=np.float64)


def normal_pdf(x: ArrayLike, mean: ArrayLike, std: ArrayLike) -> NDArray[np.float64]:
    """Density of the univariate normal distribution N(mean, std²), Eq. (20) of Lipiński (2024).

    Introduced in the chapter "What is a generative model?". Computed as
    ``exp(normal_logpdf(x, mean, std))``; prefer :func:`normal_logpdf` when the
    densities will be multiplied together.

    Parameters
    ----------
    x, mean, std : array_like of float
        As in :func:`normal_logpdf`.

    Returns
    -------
    ndarray of float64
        The density values, with the broadcast shape of the inputs.
    """
    return np.exp(normal_logpdf(x, mean, std))


def _cholesky(covariance: FloatArray, what: str) -> FloatArray:
    """Lower Cholesky factor of a covariance matrix, or a ValueError saying why not.

    The factorisation is done on the correlation matrix C = D^{-1/2} Sigma D^{-1/2}
    (D the diagonal of Sigma) and rescaled, L = D^{1/2} L_C, so that near-singularity is
    judged independently of the features' scales.
    """
    if not np.all(np.isfinite(covariance)):
        raise ValueError(f"{what} contains NaN or infinity (an overflow?)")
    scale = np.sqrt(np.diag(covariance))
    if np.any(scale <= 0):
        raise ValueError(
            f"{what} is singular (a feature has zero variance); "
            "add a small ridge with reg_covar > 0"
        )
    correlation = covariance / np.outer(scale, scale)
    try:
        L_corr = cholesky(correlation, lower=True, check_finite=False)
    except LinAlgError:
        raise ValueError(
            f"{what} is singular or not positive definite (Cholesky factorisation failed); "
            "add a small ridge with reg_covar > 0"
        ) from None
    diag = np.diag(L_corr)
    if np.min(diag) <= 0 or (np.max(diag) / np.min(diag)) ** 2 > _MAX_CONDITION:
        raise ValueError(
            f"{what} is nearly singular (its correlation matrix has condition number at "
            f"least {(np.max(diag) / np.min(diag)) ** 2:.1e}); add a small ridge with "
            "reg_covar > 0"
        )
    return np.asarray(scale[:, None] * L_corr, dtype=np.float64)


class MultivariateNormal(DensityMixin, BaseEstimator):
    r"""The multivariate normal distribution :math:`\mathcal N(\mu, \Sigma)`.

    Fit it to data by maximum likelihood (Eqs. 22-23 of Lipiński 2024),

    .. math::

        \mu = \frac1k \sum_{i=1}^k x_i, \qquad
        \Sigma = \frac{1}{k - \text{ddof}} \sum_{i=1}^k (x_i - \mu)(x_i - \mu)^\top,

    or build it from known parameters with :meth:`from_parameters`.

    Introduced in the chapter "The multivariate Gaussian and the Gaussian Bayes classifier".

    Parameters
    ----------
    ddof : {0, 1}, default 0
        Divide the scatter matrix by ``k - ddof``: 0 is maximum likelihood (the paper's
        ``1/k``), 1 the unbiased sample covariance (``np.cov``'s default).
    reg_covar : float, default 0.0
        Added to the diagonal of the fitted covariance. A positive value makes a
        singular covariance (fewer samples than dimensions, a constant feature) usable.

    Attributes
    ----------
    mean_ : ndarray of shape (n_features,)
    covariance_ : ndarray of shape (n_features, n_features)
    cholesky_ : ndarray of shape (n_features, n_features)
        Lower-triangular :math:`L` with :math:`L L^\top` = ``covariance_``.
    precision_cholesky_ : ndarray of shape (n_features, n_features)
        Upper-triangular :math:`P = L^{-\top}`, so that :math:`P P^\top = \Sigma^{-1}`
        (scikit-learn's ``precisions_cholesky_`` convention). Obtained by inverting the
        triangular factor :math:`L`, never by inverting :math:`\Sigma`.
    n_features_in_ : int
    """

    _fitted_attributes = ("mean_", "covariance_", "cholesky_")
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "ddof": [Interval(numbers.Integral, 0, 1)],
        "reg_covar": [Interval(numbers.Real, 0, None)],
    }

    def __init__(self, *, ddof: int = 0, reg_covar: float = 0.0) -> None:
        self.ddof = ddof
        self.reg_covar = reg_covar

    def fit(self, X: ArrayLike, y: Any = None) -> MultivariateNormal:
        """Estimate the mean and covariance from samples.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            At least two samples; without ``reg_covar``, more samples than features.
        y : ignored

        Returns
        -------
        self
        """
        self._validate_params()
        return self._fit_rows(check_array(X, name="X", min_samples=2))

    def _fit_rows(self, X_: FloatArray) -> MultivariateNormal:
        """Fit to rows that are already validated (finite, 2-D)."""
        reg = float(self.reg_covar)
        k, d = X_.shape
        if k <= d and reg == 0:
            raise ValueError(
                f"X has {k} samples in {d} dimensions: a covariance estimated from at most "
                "as many samples as dimensions is singular; use more samples or reg_covar > 0"
            )
        self.mean_ = X_.mean(axis=0)
        deviations = X_ - self.mean_
        with np.errstate(over="ignore", invalid="ignore"):  # an overflow is reported below
            self.covariance_ = deviations.T @ deviations / (k - self.ddof) + reg * np.eye(d)
        self._set_factors(_cholesky(self.covariance_, "the fitted covariance"))
        return self

    def _set_factors(self, L: FloatArray) -> None:
        # P = L^{-T}: LAPACK's triangular inverse of the Cholesky factor (dtrtri). (A
        # triangular solve against the identity gives the same matrix, but scipy's
        # multithreaded dtrsm competes with NumPy's BLAS threads and is slow here.)
        L_inv, info = dtrtri(L, lower=1)
        if info != 0:
            raise ValueError("the covariance's Cholesky factor is singular")
        self.cholesky_ = L
        self.precision_cholesky_ = np.asarray(L_inv.T, dtype=np.float64)
        self.n_features_in_ = L.shape[0]

    @classmethod
    def from_parameters(cls, mean: ArrayLike, covariance: ArrayLike) -> MultivariateNormal:
        """Build the distribution from a mean vector and a covariance matrix.

        Parameters
        ----------
        mean : array_like of shape (n_features,)
        covariance : array_like of shape (n_features, n_features)
            Symmetric and positive definite.

        Returns
        -------
        MultivariateNormal
        """
        # Copies: the distribution must not change when the caller's arrays do.
        mu = check_array(mean, name="mean", ndim=1).copy()
        cov = check_array(covariance, name="covariance", min_samples=1).copy()
        d = len(mu)
        if cov.shape != (d, d):
            raise ValueError(
                f"covariance must have shape ({d}, {d}) for a mean of length {d}; got {cov.shape}"
            )
        scale = float(np.max(np.abs(cov))) or 1.0
        if not np.allclose(cov, cov.T, rtol=1e-10, atol=1e-12 * scale):
            raise ValueError("covariance is not symmetric")
        dist = cls()
        dist.mean_, dist.covariance_ = mu, cov
        dist._set_factors(_cholesky(cov, "covariance"))
        return dist

    def _check_rows(self, X: ArrayLike) -> tuple[FloatArray, bool]:
        """Validate X (many rows, or one point) and say whether it was a single point."""
        if not hasattr(self, "cholesky_"):
            raise ValueError("this MultivariateNormal has no parameters yet; call fit first")
        arr = np.asarray(X, dtype=np.float64)
        single = arr.ndim == 1
        X_ = check_array(arr[None, :] if single else arr, name="X")
        if X_.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {X_.shape[1]} features, but MultivariateNormal is expecting "
                f"{self.n_features_in_} features as input"
            )
        return X_, single

    def _whiten(self, X_: FloatArray) -> FloatArray:
        """Whiten every row, z = L^{-1}(x - mu), computed as (x - mu)^T P with P = L^{-T}."""
        return np.asarray((X_ - self.mean_) @ self.precision_cholesky_, dtype=np.float64)

    def _log_det(self) -> float:
        return float(2.0 * np.sum(np.log(np.diag(self.cholesky_))))

    def _logpdf_rows(self, X_: FloatArray) -> FloatArray:
        z = self._whiten(X_)
        d = self.n_features_in_
        squared_distance = np.einsum("ij,ij->i", z, z)  # (x-mu)^T Sigma^{-1} (x-mu)
        log_density = -0.5 * (d * np.log(2.0 * np.pi) + self._log_det() + squared_distance)
        return np.asarray(log_density, dtype=np.float64)

    def logpdf(self, X: ArrayLike) -> Any:
        r"""Log-density :math:`\log \mathcal N(x \mid \mu, \Sigma)` (Eq. 21, in log space).

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features) or (n_features,)

        Returns
        -------
        ndarray of shape (n_samples,), or a float for a single point
        """
        X_, single = self._check_rows(X)
        out = self._logpdf_rows(X_)
        return float(out[0]) if single else out

    def score_samples(self, X: ArrayLike) -> FloatArray:
        """Log-density of each row of ``X`` (scikit-learn's name for :meth:`logpdf` on rows).

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        return self._logpdf_rows(self._check_rows(check_array(X, name="X"))[0])

    def score(self, X: ArrayLike, y: Any = None) -> float:
        """Mean log-density of the rows of ``X``.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
        y : ignored

        Returns
        -------
        float
        """
        return float(np.mean(self.score_samples(X)))

    def pdf(self, X: ArrayLike) -> Any:
        """Density, ``exp(logpdf(X))``; prefer :meth:`logpdf` in high dimension.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features) or (n_features,)

        Returns
        -------
        ndarray of shape (n_samples,), or a float for a single point
        """
        return np.exp(self.logpdf(X))

    def mahalanobis(self, X: ArrayLike) -> Any:
        r"""Mahalanobis distance :math:`\sqrt{(x-\mu)^\top \Sigma^{-1} (x-\mu)}`.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features) or (n_features,)

        Returns
        -------
        ndarray of shape (n_samples,), or a float for a single point
        """
        X_, single = self._check_rows(X)
        z = self._whiten(X_)
        out = np.sqrt(np.einsum("ij,ij->i", z, z))
        return float(out[0]) if single else out

    def entropy(self) -> float:
        r"""Differential entropy :math:`\tfrac d2 (1 + \log 2\pi) + \tfrac12 \log|\Sigma|` (nats).

        Returns
        -------
        float
        """
        if not hasattr(self, "cholesky_"):
            raise ValueError("this MultivariateNormal has no parameters yet; call fit first")
        d = self.n_features_in_
        return float(0.5 * d * (1.0 + np.log(2.0 * np.pi)) + 0.5 * self._log_det())

    def sample(
        self, n_samples: int = 1, *, random_state: int | np.random.Generator | None = None
    ) -> FloatArray:
        r"""Draw samples :math:`x = \mu + L \varepsilon`, :math:`\varepsilon \sim N(0, I)`.

        Parameters
        ----------
        n_samples : int
        random_state : int, Generator or None

        Returns
        -------
        ndarray of shape (n_samples, n_features)
        """
        if not hasattr(self, "cholesky_"):
            raise ValueError("this MultivariateNormal has no parameters yet; call fit first")
        if int(n_samples) < 1:
            raise ValueError(f"n_samples must be >= 1; got {n_samples}")
        rng = check_random_state(random_state)
        eps = rng.standard_normal((int(n_samples), self.n_features_in_))
        return np.asarray(self.mean_ + eps @ self.cholesky_.T, dtype=np.float64)


class GaussianClassifier(GenerativeClassifier):
    r"""The Gaussian Bayes classifier: one full-covariance normal per class, plus priors.

    .. math::

        \log p(x, c) = \log p(c) + \log \mathcal N(x \mid \mu_c, \Sigma_c)

    Its decision boundaries are quadratic; it is also known as quadratic discriminant
    analysis (QDA). Without regularisation it equals scikit-learn's
    ``QuadraticDiscriminantAnalysis``: with ``ddof=0`` for scikit-learn 1.9 and later,
    whose QDA divides by :math:`n_c`, and with ``ddof=1`` for earlier versions, which
    divide by :math:`n_c - 1`.

    Introduced in the chapter "The multivariate Gaussian and the Gaussian Bayes classifier".

    Parameters
    ----------
    priors : array_like of shape (n_classes,), optional
        Fixed class priors (non-negative, summing to 1); by default the class frequencies.
    reg_covar : float, default 0.0
        Added to the diagonal of every class covariance (a ridge). Needed when a class has
        no more samples than dimensions or a feature is constant within a class.
    ddof : {0, 1}, default 0
        Covariance divisor ``n_c - ddof`` (0: maximum likelihood; 1: unbiased).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    class_count_ : ndarray of shape (n_classes,)
    priors_ : ndarray of shape (n_classes,)
    means_ : ndarray of shape (n_classes, n_features)
    covariances_ : ndarray of shape (n_classes, n_features, n_features)
    n_features_in_ : int
    """

    _fitted_attributes = ("classes_", "means_", "covariances_", "priors_")
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "priors": ["array-like", None],
        "reg_covar": [Interval(numbers.Real, 0, None)],
        "ddof": [Interval(numbers.Integral, 0, 1)],
    }

    def __init__(
        self, *, priors: ArrayLike | None = None, reg_covar: float = 0.0, ddof: int = 0
    ) -> None:
        self.priors = priors
        self.reg_covar = reg_covar
        self.ddof = ddof

    def fit(self, X: ArrayLike, y: ArrayLike) -> GaussianClassifier:
        """Fit one multivariate normal per class and the class priors.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
        y : array_like of shape (n_samples,)
            At least two classes.

        Returns
        -------
        self
        """
        self._validate_params()
        X_ = self._check_X(X, reset=True)
        labels = check_labels(y, len(X_), estimator=type(self).__name__)
        classes = self._check_classes(labels)
        components = []
        for c in classes:
            try:
                rows = X_[labels == c]
                if len(rows) < 2:
                    raise ValueError(f"{len(rows)} sample: a covariance needs at least 2")
                components.append(
                    MultivariateNormal(ddof=self.ddof, reg_covar=self.reg_covar)._fit_rows(rows)
                )
            except ValueError as exc:
                raise ValueError(f"class {c.item()!r}: {exc}") from None
        self.classes_ = classes
        self.n_features_in_ = X_.shape[1]
        self.means_ = np.array([m.mean_ for m in components])
        self.covariances_ = np.array([m.covariance_ for m in components])
        self._components = components
        self._fit_priors(np.array([np.sum(labels == c) for c in classes]), fixed=self.priors)
        return self

    def _joint_log_likelihood(self, X: FloatArray) -> FloatArray:
        log_density = np.column_stack([m._logpdf_rows(X) for m in self._components])
        return np.asarray(log_density + self._log_prior(), dtype=np.float64)

    def _sample_features(self, idx: NDArray[np.intp], rng: np.random.Generator) -> FloatArray:
        out = np.empty((len(idx), self.n_features_in_))
        for c, component in enumerate(self._components):
            rows = np.flatnonzero(idx == c)
            if rows.size:
                out[rows] = component.sample(rows.size, random_state=rng)
        return out
