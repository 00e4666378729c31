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

is evaluated through the Cholesky factorisation :math:`\Sigma = L L^\top`
(:func:`cholesky_factor`) and the factor of the precision, :math:`P = L^{-\top}` with
:math:`P P^\top = \Sigma^{-1}` (:func:`precision_cholesky`, through the inverse of the
triangular factor :math:`L`, which is cheap and stable; :math:`\Sigma` itself is never
inverted): with :math:`z = P^\top (x - \mu)` (:func:`whiten`),
:math:`(x-\mu)^\top \Sigma^{-1} (x-\mu) = \lVert z \rVert^2` and
:math:`\log|P| = \sum_i \log P_{ii} = -\tfrac12 \log|\Sigma|` (:func:`log_det_factor`;
never a determinant, which under- or overflows in high dimension), so that

.. math::

    \log \mathcal N(x \mid \mu, \Sigma)
      = -\tfrac12 \bigl(d \log 2\pi + \lVert z \rVert^2\bigr) + \log|P|

(:func:`logpdf_from_mahalanobis`, :func:`multivariate_normal_logpdf`). A diagonal
covariance has the diagonal factor :math:`P = \operatorname{diag}(1/\sigma_j)`, kept as a
vector, and a spherical one :math:`P = I/\sigma`, kept as a scalar.

These functions are the one place where genlab computes a Gaussian density on arrays:
:class:`MultivariateNormal`, :class:`GaussianClassifier`, :class:`LinearDiscriminant`,
:class:`genlab.naive_bayes.GaussianNB`, :class:`genlab.mixture.GaussianMixture` and
:class:`genlab.hmm.GaussianHMM` all call them. (The PyTorch models compute theirs on
tensors, for automatic differentiation.)

The univariate functions are introduced in the book's chapter "What is a generative
model?" (``book/intro/generative_models.ipynb``); the multivariate ones,
:class:`MultivariateNormal`, :class:`GaussianClassifier` and :class:`LinearDiscriminant`
in the chapter "The multivariate Gaussian and the Gaussian Bayes classifier"
(``book/gaussian/gaussian.ipynb``).
"""

from __future__ import annotations

import numbers
from typing import Any, ClassVar

import numpy as np
from numpy.typing import ArrayLike, NDArray

from genlab._base import BaseEstimator, DensityMixin, FiniteInterval, Interval
from genlab._classifier import GenerativeClassifier
from genlab._validation import (
    as_real_array,
    check_array,
    check_bool,
    check_count,
    check_is_fitted,
    check_labels,
    check_output_size,
    check_random_state,
    check_squared_distances_finite,
    check_variances_representable,
)

__all__ = [
    "GaussianClassifier",
    "LinearDiscriminant",
    "MultivariateNormal",
    "cholesky_factor",
    "log_det_factor",
    "logpdf_from_mahalanobis",
    "multivariate_normal_logpdf",
    "normal_logpdf",
    "normal_pdf",
    "precision_cholesky",
    "triangular_inverse",
    "whiten",
]

FloatArray = NDArray[np.float64]

#: A covariance whose *correlation* matrix has a condition number above this (as bounded
#: below by its Cholesky diagonal) is treated as numerically singular: some combination
#: of features is then (almost) exactly determined by the others. The correlation
#: matrix is used so that the check does not depend on the features' units.
_MAX_CONDITION = 1e12

_LOG_2PI = np.log(2.0 * np.pi)
_MAX_LOG_FLOAT = float(np.log(np.finfo(np.float64).max))
_LOG_SQRT_2PI = 0.5 * _LOG_2PI


def normal_logpdf(x: ArrayLike, mean: ArrayLike, std: ArrayLike) -> NDArray[np.float64]:
    r"""Log-density of the univariate normal distribution N(mean, std²).

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
        If any input is complex, not numeric, NaN or infinite, if any ``std`` is not
        positive, if the shapes do not broadcast together, or if some ``x`` is so many
        standard deviations from ``mean`` that :math:`(x-\mu)^2/\sigma^2` overflows
        float64 (its log-density is then below about ``-1e308``).

    Examples
    --------
    >>> round(float(normal_logpdf(0.0, 0.0, 1.0)), 6)  # -log sqrt(2 pi)
    -0.918939
    """
    x_, mu, sd = (
        as_real_array(v, name=f"normal_logpdf: {name}")
        for v, name in ((x, "x"), (mean, "mean"), (std, "std"))
    )
    for name, v in (("x", x_), ("mean", mu), ("std", sd)):
        if not np.all(np.isfinite(v)):
            raise ValueError(f"normal_logpdf: {name} contains NaN or infinity")
    if np.any(sd <= 0):
        raise ValueError(
            "normal_logpdf: std must be > 0 (a zero standard deviation has no density); "
            f"got {float(np.min(sd))!r}"
        )
    try:
        np.broadcast_shapes(x_.shape, mu.shape, sd.shape)
    except ValueError:
        raise ValueError(
            f"normal_logpdf: x, mean and std must broadcast together; got shapes {x_.shape}, "
            f"{mu.shape} and {sd.shape}"
        ) from None
    with np.errstate(over="ignore", invalid="ignore"):
        z = (x_ - mu) / sd
        out = -np.log(sd) - _LOG_SQRT_2PI - 0.5 * z * z
    if not np.all(np.isfinite(out)):
        raise ValueError(
            "normal_logpdf: x is so many standard deviations from mean that (x - mean)^2 / "
            "std^2 overflows float64 (the log-density is below about -1e308); rescale x, "
            "mean and std"
        )
    return np.asarray(out, dtype=np.float64)


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

    Raises
    ------
    ValueError
        As :func:`normal_logpdf`, and if a density exceeds float64's range (a ``std``
        below about 1e-308); use :func:`normal_logpdf` then.
    """
    log_density = normal_logpdf(x, mean, std)
    if log_density.size and np.max(log_density) > _MAX_LOG_FLOAT:
        raise ValueError(
            "normal_pdf: a density exceeds float64's range (std is below about 1e-308); "
            "use normal_logpdf"
        )
    return np.asarray(np.exp(log_density), dtype=np.float64)


# ------------------------------------------------------------------ the multivariate mathematics
# Every Gaussian density in genlab is computed here. A Gaussian is described by its mean
# and the Cholesky factor P of its *precision*, P P^T = Sigma^{-1}: an upper-triangular
# matrix (full covariance), a vector (diagonal covariance, P = diag(1 / sigma_j)) or a
# scalar (spherical covariance, P = I / sigma).

_RIDGE = "add a small ridge with reg_covar > 0"


def cholesky_factor(
    covariance: ArrayLike,
    *,
    name: str = "covariance",
    remedy: str = _RIDGE,
    max_condition: float | None = _MAX_CONDITION,
) -> FloatArray:
    r"""Lower-triangular Cholesky factor :math:`L` of a covariance, :math:`\Sigma = L L^\top`.

    Introduced in the chapter "The multivariate Gaussian and the Gaussian Bayes classifier".

    The factorisation is done on the correlation matrix
    :math:`C = D^{-1/2} \Sigma D^{-1/2}` (:math:`D` the diagonal of :math:`\Sigma`) and
    rescaled, :math:`L = D^{1/2} L_C`, so that near-singularity is judged independently
    of the features' units.

    Parameters
    ----------
    covariance : array_like of shape (n_features, n_features)
        Symmetric and positive definite. Only its lower triangle is read; symmetry is not
        checked here.
    name : str, default "covariance"
        How error messages name the matrix.
    remedy : str, default "add a small ridge with reg_covar > 0"
        What error messages advise.
    max_condition : float or None, default 1e12
        Reject a covariance whose correlation matrix has a condition number above this
        (as bounded below by the squared ratio of the largest to the smallest diagonal
        entry of :math:`L_C`): some combination of features is then almost exactly
        determined by the others. None accepts every matrix that can be factorised.

    Returns
    -------
    ndarray of shape (n_features, n_features)
        :math:`L`, lower triangular with a positive diagonal.

    Raises
    ------
    ValueError
        If the matrix is complex, not square, contains NaN or infinity, has a
        non-positive diagonal entry, is not positive definite or (``max_condition``)
        nearly singular; or if ``max_condition`` is not None or a number >= 1.

    Notes
    -----
    A 0 x 0 matrix (no features) is legal: its factor is the 0 x 0 matrix.
    """
    if max_condition is not None:
        if isinstance(max_condition, (bool, np.bool_)) or not isinstance(
            max_condition, numbers.Real
        ):
            raise ValueError(f"max_condition must be None or a number >= 1; got {max_condition!r}")
        if not max_condition >= 1:  # (a condition number is at least 1; NaN fails too)
            raise ValueError(f"max_condition must be None or a number >= 1; got {max_condition!r}")
    cov = as_real_array(covariance, name=name)
    if cov.ndim != 2 or cov.shape[0] != cov.shape[1]:
        raise ValueError(f"{name} must be a square matrix; got shape {cov.shape}")
    if not np.all(np.isfinite(cov)):
        raise ValueError(f"{name} contains NaN or infinity (an overflow?)")
    if cov.size == 0:
        return np.zeros((0, 0))
    scale = np.sqrt(np.diag(cov))
    if not np.all(scale > 0):
        raise ValueError(f"{name} is singular (a feature has zero variance); {remedy}")
    from scipy.linalg import LinAlgError, cholesky  # imported on first use: SciPy is slow

    try:
        L_corr = cholesky(cov / np.outer(scale, scale), lower=True, check_finite=False)
    except LinAlgError:
        raise ValueError(
            f"{name} is singular or not positive definite (Cholesky factorisation failed); "
            f"{remedy}"
        ) from None
    diag = np.diag(L_corr)
    if np.min(diag) <= 0:
        raise ValueError(f"{name} is singular (its Cholesky factor has a zero pivot); {remedy}")
    condition = (np.max(diag) / np.min(diag)) ** 2
    if max_condition is not None and condition > max_condition:
        raise ValueError(
            f"{name} is nearly singular (its correlation matrix has condition number at "
            f"least {condition:.1e}); {remedy}"
        )
    return np.asarray(scale[:, None] * L_corr, dtype=np.float64)


def triangular_inverse(factor: ArrayLike) -> FloatArray:
    r"""Inverse :math:`L^{-1}` of a lower-triangular matrix, by LAPACK's ``dtrtri``.

    Introduced in the chapter "The multivariate Gaussian and the Gaussian Bayes classifier".

    With :math:`L` the Cholesky factor of a covariance, :math:`P = L^{-\top}` is the
    Cholesky factor of the precision, :math:`P P^\top = \Sigma^{-1}`
    (:func:`precision_cholesky`); :math:`\Sigma` itself is never inverted. (A triangular
    solve against the identity gives the same matrix, but SciPy's multithreaded
    ``dtrsm`` competes with NumPy's BLAS threads and is slow here.)

    Parameters
    ----------
    factor : array_like of shape (n_features, n_features)
        Lower triangular (the strict upper triangle is ignored), with a non-zero diagonal.

    Returns
    -------
    ndarray of shape (n_features, n_features)
        :math:`L^{-1}`, lower triangular.

    Raises
    ------
    ValueError
        If the matrix is complex, not square, not finite, or has a zero on its diagonal.
        (A 0 x 0 matrix is its own inverse.)
    """
    L = as_real_array(factor, name="factor")
    if L.ndim != 2 or L.shape[0] != L.shape[1]:
        raise ValueError(f"factor must be a square matrix; got shape {L.shape}")
    if not np.all(np.isfinite(L)):
        raise ValueError("factor contains NaN or infinity")
    if L.size == 0:
        return np.zeros((0, 0))
    from scipy.linalg.lapack import dtrtri  # imported on first use: SciPy is slow

    # dtrtri copies the strict upper triangle from its input: zeros, whatever was there
    inverse, info = dtrtri(np.tril(L), lower=1)
    if info != 0:
        raise ValueError(
            f"factor is singular (diagonal entry {info - 1} is zero); it has no inverse"
        )
    return np.asarray(inverse, dtype=np.float64)


def precision_cholesky(
    covariance: ArrayLike,
    *,
    name: str = "covariance",
    remedy: str = _RIDGE,
    max_condition: float | None = _MAX_CONDITION,
) -> FloatArray:
    r"""Cholesky factor :math:`P` of the precision, :math:`P P^\top = \Sigma^{-1}`.

    Introduced in the chapter "The multivariate Gaussian and the Gaussian Bayes classifier".

    For a full covariance :math:`P = L^{-\top}`, upper triangular, with :math:`L` from
    :func:`cholesky_factor` (scikit-learn's ``precisions_cholesky_`` convention); for a
    diagonal covariance :math:`P = \operatorname{diag}(1/\sigma_j)`, kept as the vector of
    :math:`1/\sigma_j`; for a spherical one :math:`P = I/\sigma`, kept as the scalar.

    Parameters
    ----------
    covariance : array_like of shape (n_features, n_features), (n_features,) or ()
        A full covariance matrix, the variances of a diagonal one, or the one variance
        of a spherical one.
    name, remedy, max_condition
        As in :func:`cholesky_factor` (``max_condition`` concerns full matrices only).

    Returns
    -------
    ndarray of the shape of ``covariance``
        :math:`P`, in the form :func:`multivariate_normal_logpdf` takes.

    Raises
    ------
    ValueError
        If ``covariance`` is complex, a full matrix cannot be factorised (see
        :func:`cholesky_factor`), or a variance is not finite and positive.
    """
    cov = as_real_array(covariance, name=name)
    if cov.ndim == 2:
        L = cholesky_factor(cov, name=name, remedy=remedy, max_condition=max_condition)
        return np.asarray(triangular_inverse(L).T, dtype=np.float64)
    if cov.ndim > 2:
        raise ValueError(
            f"{name} must be a matrix, a vector of variances or one variance; got shape "
            f"{cov.shape}"
        )
    if not np.all(np.isfinite(cov)):
        raise ValueError(f"{name} contains NaN or infinity (an overflow?)")
    if np.any(cov <= 0):
        raise ValueError(
            f"{name} must be positive (a zero variance has no density; got "
            f"{float(np.min(cov))!r}); {remedy}"
        )
    return np.asarray(1.0 / np.sqrt(cov), dtype=np.float64)


def _check_gaussian(
    X: ArrayLike, mean: ArrayLike, precision_cholesky: ArrayLike, check_finite: bool
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """X, mean and P as float arrays of consistent shapes, or a ValueError saying why not."""
    check_bool(check_finite, name="check_finite")
    X_, mu, P = (
        as_real_array(v, name=name)
        for v, name in ((X, "X"), (mean, "mean"), (precision_cholesky, "precision_cholesky"))
    )
    if X_.ndim != 2:
        raise ValueError(f"X must be 2-D, of shape (n_samples, n_features); got {X_.shape}")
    d = X_.shape[1]
    if mu.shape != (d,):
        raise ValueError(f"mean must have shape ({d},) for X with {d} features; got {mu.shape}")
    if P.shape not in ((d, d), (d,), ()):
        raise ValueError(
            f"precision_cholesky must have shape ({d}, {d}), ({d},) or () for X with {d} "
            f"features; got {P.shape}"
        )
    if check_finite:
        for what, v in (("X", X_), ("mean", mu), ("precision_cholesky", P)):
            if not np.all(np.isfinite(v)):
                raise ValueError(f"{what} contains NaN or infinity")
    return X_, mu, P


def whiten(
    X: ArrayLike, mean: ArrayLike, precision_cholesky: ArrayLike, *, check_finite: bool = True
) -> FloatArray:
    r"""Whitened deviations :math:`z_i = P^\top (x_i - \mu)` of the rows of ``X``.

    Introduced in the chapter "The multivariate Gaussian and the Gaussian Bayes classifier".

    With :math:`P P^\top = \Sigma^{-1}`, :math:`\lVert z_i \rVert^2 = (x_i - \mu)^\top
    \Sigma^{-1} (x_i - \mu)` is the squared Mahalanobis distance, and the :math:`z_i`
    follow :math:`\mathcal N(0, I)` when the :math:`x_i` follow
    :math:`\mathcal N(\mu, \Sigma)`. The deviations are formed before the product, so
    that points far from the origin keep their precision.

    Parameters
    ----------
    X : array_like of shape (n_samples, n_features)
    mean : array_like of shape (n_features,)
    precision_cholesky : array_like of shape (n_features, n_features), (n_features,) or ()
        :math:`P`, as returned by :func:`precision_cholesky`: upper triangular, the
        diagonal of a diagonal factor, or the scalar of a spherical one.
    check_finite : bool, default True
        Check that the inputs contain no NaN or infinity (callers that have validated
        them pass False).

    Returns
    -------
    ndarray of shape (n_samples, n_features)
        The rows :math:`(x_i - \mu)^\top P`.

    Raises
    ------
    ValueError
        For complex or non-numeric input, shapes that do not fit together, NaN or
        infinity (with ``check_finite``), and values of ``X`` so large, relative to the
        spread that ``precision_cholesky`` describes, that the deviations overflow.
    """
    X_, mu, P = _check_gaussian(X, mean, precision_cholesky, check_finite)
    with np.errstate(over="ignore", invalid="ignore"):  # an overflow is reported below
        deviations = X_ - mu
        if P.ndim == 2:
            deviations = deviations @ P
        else:
            deviations *= P  # a diagonal factor scales each coordinate
    check_squared_distances_finite(X_, squared=deviations)
    return np.asarray(deviations, dtype=np.float64)


def log_det_factor(factor: ArrayLike, n_features: int) -> float:
    r"""Log-determinant :math:`\log |A| = \sum_j \log A_{jj}` of a triangular factor.

    Introduced in the chapter "The multivariate Gaussian and the Gaussian Bayes classifier".

    For a Cholesky factor, :math:`\log|\Sigma| = 2 \log|L|`; for a precision factor,
    :math:`\log|P| = -\tfrac12 \log|\Sigma|`. Computed from the diagonal, never as a
    determinant, which under- or overflows in high dimension.

    Parameters
    ----------
    factor : array_like of shape (n_features, n_features), (n_features,) or ()
        A triangular matrix with a positive diagonal, the diagonal of a diagonal one, or
        the scalar :math:`a` of :math:`a I`.
    n_features : int
        The dimension :math:`d` (used for a scalar: :math:`\log|aI| = d \log a`).

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If the diagonal has an entry that is not positive (a Cholesky factor's never has)
        or not finite, if ``factor`` is complex or its shape does not fit ``n_features``,
        or if ``n_features`` is not an integer >= 0.
    """
    d = check_count(n_features, name="n_features")
    A = as_real_array(factor, name="factor")
    if A.shape not in ((d, d), (d,), ()):
        raise ValueError(
            f"factor must have shape ({d}, {d}), ({d},) or () for n_features={d}; got "
            f"shape {A.shape}"
        )
    diagonal = np.atleast_1d(np.diag(A) if A.ndim == 2 else A)
    bad = diagonal[~((diagonal > 0) & np.isfinite(diagonal))]
    if bad.size:
        raise ValueError(
            f"the factor's diagonal must be positive and finite; got {float(bad[0])!r} (not a "
            "Cholesky factor?)"
        )
    if A.ndim == 0:
        return float(d * np.log(A))
    return float(np.sum(np.log(diagonal)))


def logpdf_from_mahalanobis(
    squared_distance: ArrayLike, n_features: int, log_det_precision_cholesky: ArrayLike
) -> FloatArray:
    r"""Gaussian log-density from the squared Mahalanobis distance and :math:`\log|P|`.

    Introduced in the chapter "The multivariate Gaussian and the Gaussian Bayes classifier".

    .. math::

        \log \mathcal N(x \mid \mu, \Sigma)
          = -\tfrac12 \bigl(d \log 2\pi + (x-\mu)^\top \Sigma^{-1} (x-\mu)\bigr) + \log|P|,
        \qquad \log|P| = -\tfrac12 \log|\Sigma| .

    Parameters
    ----------
    squared_distance : array_like of float
        :math:`(x-\mu)^\top \Sigma^{-1} (x-\mu)`, e.g. of shape (n_samples,), or
        (n_samples, n_components) for several Gaussians at once.
    n_features : int
        The dimension :math:`d`.
    log_det_precision_cholesky : array_like of float
        :math:`\log|P|` (:func:`log_det_factor`), broadcast against ``squared_distance``:
        a scalar, or shape (n_components,) for several Gaussians.

    Returns
    -------
    ndarray of float64
        The log-densities, with the broadcast shape of the inputs.

    Raises
    ------
    ValueError
        If ``squared_distance`` is complex, not finite or negative,
        ``log_det_precision_cholesky`` complex or not finite, the shapes do not
        broadcast, or ``n_features`` is not an integer >= 0.
    """
    d = check_count(n_features, name="n_features")
    squared = as_real_array(squared_distance, name="squared_distance")
    log_det = as_real_array(log_det_precision_cholesky, name="log_det_precision_cholesky")
    if not np.all(np.isfinite(squared)):
        raise ValueError(
            "squared_distance contains NaN or infinity (an overflow? rescale the data)"
        )
    if np.any(squared < 0):
        raise ValueError(
            f"squared_distance must be >= 0 (a squared distance); got {float(np.min(squared))!r}"
        )
    if not np.all(np.isfinite(log_det)):
        raise ValueError("log_det_precision_cholesky contains NaN or infinity")
    try:
        np.broadcast_shapes(squared.shape, log_det.shape)
    except ValueError:
        raise ValueError(
            f"squared_distance (shape {squared.shape}) and log_det_precision_cholesky (shape "
            f"{log_det.shape}) must broadcast together"
        ) from None
    return _logpdf_from_squared(squared, d, log_det)


def _logpdf_from_squared(
    squared: FloatArray, n_features: int, log_det: ArrayLike, X: FloatArray | None = None
) -> FloatArray:
    """:func:`logpdf_from_mahalanobis` without its checks.

    With ``X``, the distances' source, refuse distances that overflowed (see
    :func:`genlab._validation.check_squared_distances_finite`).
    """
    if X is not None:
        check_squared_distances_finite(X, squared=squared)
    return np.asarray(-0.5 * (n_features * _LOG_2PI + squared) + log_det, dtype=np.float64)


def multivariate_normal_logpdf(
    X: ArrayLike, mean: ArrayLike, precision_cholesky: ArrayLike, *, check_finite: bool = True
) -> FloatArray:
    r"""Log-density :math:`\log \mathcal N(x_i \mid \mu, \Sigma)` of every row of ``X``.

    Introduced in the chapter "The multivariate Gaussian and the Gaussian Bayes classifier".

    Eq. (21) of Lipiński (2024) in log space, through the precision's Cholesky factor
    :math:`P` (:math:`P P^\top = \Sigma^{-1}`): with the whitened deviations
    :math:`z_i = P^\top (x_i - \mu)` (:func:`whiten`),

    .. math::

        \log \mathcal N(x_i \mid \mu, \Sigma)
          = -\tfrac12 \bigl(d \log 2\pi + \lVert z_i \rVert^2\bigr) + \log|P| .

    A full, diagonal or spherical covariance is given by the shape of :math:`P`.

    Parameters
    ----------
    X : array_like of shape (n_samples, n_features)
    mean : array_like of shape (n_features,)
    precision_cholesky : array_like of shape (n_features, n_features), (n_features,) or ()
        :math:`P`, as returned by :func:`precision_cholesky`.
    check_finite : bool, default True
        As in :func:`whiten`.

    Returns
    -------
    ndarray of shape (n_samples,)

    Raises
    ------
    ValueError
        As :func:`whiten`, and if a squared distance overflows float64 (values of ``X``
        far too large for the Gaussian's spread): the density would be a silent 0.

    Examples
    --------
    >>> P = precision_cholesky(np.diag([4.0, 1.0]))  # sigma = (2, 1)
    >>> round(float(multivariate_normal_logpdf([[0.0, 0.0]], [0.0, 0.0], P)[0]), 6)
    -2.531024
    """
    z = whiten(X, mean, precision_cholesky, check_finite=check_finite)
    d = z.shape[1]
    with np.errstate(over="ignore"):  # an overflow is reported by _logpdf_from_squared
        squared_distance = np.einsum("ij,ij->i", z, z)
    log_det = log_det_factor(precision_cholesky, d)
    return _logpdf_from_squared(squared_distance, d, log_det, X=np.asarray(X, dtype=np.float64))


class MultivariateNormal(DensityMixin, BaseEstimator):
    r"""The multivariate normal distribution :math:`\mathcal N(\mu, \Sigma)`.

    Fit it to data by maximum likelihood (Eqs. 22-23 of Lipiński 2024),

    .. math::

        \mu = \frac1n \sum_{i=1}^n x_i, \qquad
        \Sigma = \frac{1}{n - \text{ddof}} \sum_{i=1}^n (x_i - \mu)(x_i - \mu)^\top,

    or build it from known parameters with :meth:`from_parameters`.

    Introduced in the chapter "The multivariate Gaussian and the Gaussian Bayes classifier".

    Parameters
    ----------
    ddof : {0, 1}, default 0
        Divide the scatter matrix by ``n - ddof`` (``n`` samples): 0 is maximum likelihood
        (the paper's ``1/k``, its k being our n), 1 the unbiased sample covariance
        (``np.cov``'s default).
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
        "reg_covar": [FiniteInterval(numbers.Real, 0, None)],
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
            Values that vary by less than about 1e-154 are refused (their variances
            underflow float64, below 2.2e-308); rescale them, e.g. by 1e150.
        y : ignored

        Returns
        -------
        self
        """
        self._validate_params()
        return self._fit_rows(check_array(X, name="X", min_samples=2))

    def _fit_rows(self, X_: FloatArray) -> MultivariateNormal:
        """Fit to rows that are already validated (finite, 2-D)."""
        check_squared_distances_finite(X_)
        reg = float(self.reg_covar)
        n, d = X_.shape
        if n <= d and reg == 0:
            raise ValueError(
                f"X has {n} samples in {d} dimensions: a covariance estimated from at most "
                "as many samples as dimensions is singular; use more samples or reg_covar > 0"
            )
        self.mean_ = X_.mean(axis=0)
        deviations = X_ - self.mean_
        with np.errstate(over="ignore", invalid="ignore"):  # an overflow is reported below
            self.covariance_ = deviations.T @ deviations / (n - self.ddof) + reg * np.eye(d)
        check_variances_representable(deviations)
        self._set_factors(cholesky_factor(self.covariance_, name="the fitted covariance"))
        return self

    def _set_factors(self, L: FloatArray) -> None:
        self.cholesky_ = L
        self.precision_cholesky_ = np.asarray(triangular_inverse(L).T, dtype=np.float64)
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
        dist._set_factors(cholesky_factor(cov))
        return dist

    def _check_rows(self, X: ArrayLike) -> tuple[FloatArray, bool]:
        """Validate X (many rows, or one point) and say whether it was a single point."""
        if not hasattr(self, "cholesky_"):
            raise ValueError("this MultivariateNormal has no parameters yet; call fit first")
        arr = as_real_array(X, name="X")
        single = arr.ndim == 1
        X_ = check_array(arr[None, :] if single else arr, name="X")
        if X_.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {X_.shape[1]} features, but MultivariateNormal is expecting "
                f"{self.n_features_in_} features as input"
            )
        return X_, single

    def _logpdf_rows(self, X_: FloatArray) -> FloatArray:
        """Log-density of rows that are already validated (finite, n_features columns)."""
        return multivariate_normal_logpdf(
            X_, self.mean_, self.precision_cholesky_, check_finite=False
        )

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
        z = whiten(X_, self.mean_, self.precision_cholesky_, check_finite=False)
        with np.errstate(over="ignore"):  # an overflow is reported below
            squared = np.einsum("ij,ij->i", z, z)
        check_squared_distances_finite(X_, squared=squared)
        out = np.sqrt(squared)
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
        half_log_det = log_det_factor(self.cholesky_, d)  # 1/2 log|Sigma| = log|L|
        return float(0.5 * d * (1.0 + _LOG_2PI) + half_log_det)

    def sample(
        self, n_samples: int = 1, *, random_state: int | np.random.Generator | None = None
    ) -> FloatArray:
        r"""Draw samples :math:`x = \mu + L \varepsilon`, :math:`\varepsilon \sim N(0, I)`.

        Parameters
        ----------
        n_samples : int
            At least 1. A request whose samples would need more than
            ``genlab._validation.MAX_OUTPUT_BYTES`` (4 GiB) is refused before any is drawn.
        random_state : int, Generator or None

        Returns
        -------
        ndarray of shape (n_samples, n_features)
        """
        if not hasattr(self, "cholesky_"):
            raise ValueError("this MultivariateNormal has no parameters yet; call fit first")
        n_samples = check_count(n_samples, name="n_samples", minimum=1)
        check_output_size((n_samples, self.n_features_in_), name="n_samples", what="the samples")
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
        "reg_covar": [FiniteInterval(numbers.Real, 0, None)],
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


class LinearDiscriminant(GenerativeClassifier):
    r"""Linear discriminant analysis: one normal per class, all sharing one covariance.

    .. math::

        \log p(x, c) = \log p(c) + \log \mathcal N(x \mid \mu_c, \Sigma),
        \qquad
        \Sigma = \frac{1}{n - \text{ddof}\cdot K}
          \sum_{c=1}^{K} \sum_{i:\, y_i = c} (x_i - \mu_c)(x_i - \mu_c)^\top

    (the pooled within-class covariance). Because :math:`\Sigma` is the same for every
    class, the quadratic term :math:`x^\top \Sigma^{-1} x` cancels between classes and the
    log posterior odds are linear in :math:`x`: :math:`\log p(x, c) = w_c^\top x + b_c +
    \text{const}(x)` with :math:`w_c = \Sigma^{-1}\mu_c` (``coef_``) and
    :math:`b_c = -\tfrac12 \mu_c^\top \Sigma^{-1} \mu_c + \log p(c)` (``intercept_``).
    It sits between Gaussian naive Bayes (a diagonal covariance per class) and
    :class:`GaussianClassifier` (a full covariance per class): :math:`d(d+1)/2`
    covariance parameters in all, not per class.

    With the default priors and ``ddof=0`` it equals scikit-learn's
    ``LinearDiscriminantAnalysis`` (``solver="lsqr"`` or ``"svd"``), whose covariance is
    the prior-weighted average of the classes' maximum-likelihood covariances; with
    fixed priors scikit-learn weights the class covariances by those priors, while this
    class keeps the pooled covariance, which does not depend on the priors.

    Introduced in the chapter "The multivariate Gaussian and the Gaussian Bayes classifier".

    Parameters
    ----------
    priors : array_like of shape (n_classes,), optional
        Fixed class priors (non-negative, summing to 1); by default the class frequencies.
    reg_covar : float, default 0.0
        Added to the diagonal of the shared covariance (a ridge). Needed when a feature
        is constant in every class, or there are no more samples than dimensions.
    ddof : {0, 1}, default 0
        Covariance divisor ``n - ddof * n_classes``: 0 is maximum likelihood, 1 the
        unbiased pooled covariance.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    class_count_ : ndarray of shape (n_classes,)
    priors_ : ndarray of shape (n_classes,)
    means_ : ndarray of shape (n_classes, n_features)
    covariance_ : ndarray of shape (n_features, n_features)
        The shared covariance :math:`\Sigma` (including ``reg_covar``).
    cholesky_ : ndarray of shape (n_features, n_features)
        Lower-triangular :math:`L`, :math:`L L^\top = \Sigma`.
    precision_cholesky_ : ndarray of shape (n_features, n_features)
        Upper-triangular :math:`P = L^{-\top}`, :math:`P P^\top = \Sigma^{-1}`.
    n_features_in_ : int
    """

    _fitted_attributes = ("classes_", "means_", "covariance_", "priors_")
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

    def fit(self, X: ArrayLike, y: ArrayLike) -> LinearDiscriminant:
        """Fit the class means, the shared covariance and the class priors.

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
        check_squared_distances_finite(X_)
        n, d = X_.shape
        divisor = n - self.ddof * len(classes)
        if divisor <= 0:
            raise ValueError(
                f"{n} samples in {len(classes)} classes leave no degrees of freedom for a "
                f"covariance with ddof={self.ddof}"
            )
        index = np.searchsorted(classes, labels)
        self.means_ = np.array([X_[index == c].mean(axis=0) for c in range(len(classes))])
        deviations = X_ - self.means_[index]  # each sample minus its own class's mean
        with np.errstate(over="ignore", invalid="ignore"):  # an overflow is reported below
            covariance = deviations.T @ deviations / divisor + self.reg_covar * np.eye(d)
        check_variances_representable(deviations)
        L = cholesky_factor(covariance, name="the pooled covariance")
        self.classes_ = classes
        self.covariance_ = covariance
        self.cholesky_ = L
        self.precision_cholesky_ = np.asarray(triangular_inverse(L).T, dtype=np.float64)
        self._fit_priors(np.bincount(index, minlength=len(classes)), fixed=self.priors)
        return self

    @property
    def coef_(self) -> FloatArray:
        r""":math:`w_c = \Sigma^{-1} \mu_c`, one row per class: shape (n_classes, n_features)."""
        check_is_fitted(self, self._fitted_attributes)
        P = self.precision_cholesky_
        return np.asarray((self.means_ @ P) @ P.T, dtype=np.float64)

    @property
    def intercept_(self) -> FloatArray:
        r""":math:`b_c = -\tfrac12 \mu_c^\top \Sigma^{-1} \mu_c + \log p(c)`, one per class."""
        check_is_fitted(self, self._fitted_attributes)
        z = self.means_ @ self.precision_cholesky_  # whitened means
        return np.asarray(-0.5 * np.einsum("ij,ij->i", z, z) + self._log_prior(), np.float64)

    def _joint_log_likelihood(self, X: FloatArray) -> FloatArray:
        log_density = np.column_stack(
            [
                multivariate_normal_logpdf(X, mean, self.precision_cholesky_, check_finite=False)
                for mean in self.means_
            ]
        )
        return np.asarray(log_density + self._log_prior(), dtype=np.float64)

    def _sample_features(self, idx: NDArray[np.intp], rng: np.random.Generator) -> FloatArray:
        eps = rng.standard_normal((len(idx), self.n_features_in_))
        return np.asarray(self.means_[idx] + eps @ self.cholesky_.T, dtype=np.float64)
