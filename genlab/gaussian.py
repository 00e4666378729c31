r"""Normal (Gaussian) densities.

The univariate density of Eq. (20) in Lipiński (2024),

.. math::

    \mathcal N(x \mid \mu, \sigma^2)
      = \frac{1}{\sigma\sqrt{2\pi}}
        \exp\Bigl(-\frac{(x-\mu)^2}{2\sigma^2}\Bigr),

is computed in log space. It takes the standard deviation σ explicitly, so that
a worked example can be reproduced with whatever σ its author used.

Introduced in the book's chapter "What is a generative model?"
(``book/intro/generative_models.ipynb``); the multivariate density follows in
the Gaussian chapter.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["normal_logpdf", "normal_pdf"]

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
    """Density of the univariate normal distribution N(mean, std²), Eq. (20).

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
