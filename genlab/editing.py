r"""Latent-space editing: measure an attribute on images, find its direction in a code.

A generative model with a continuous code can *edit* an image: encode it, move its code
along a direction, and decode. The taxonomy notes list image editing among the VAE's
applications. The recipe here needs no labels, only an attribute that can be measured on
the images themselves:

1. Measure the attribute :math:`a_i` of images whose codes :math:`z_i` are known (for a
   VAE, the posterior means of real images; for a GAN, which has no encoder, its own
   samples and the noise that drew them).
2. Fit :math:`a \approx b + w^\top z` by least squares. The unit vector
   :math:`u = w / \lVert w \rVert` is the direction in which the attribute grows fastest
   (to first order), and :math:`\lVert w \rVert` is how fast: the change of :math:`a` per
   unit of distance along :math:`u`. The :math:`R^2` of the fit says how much of the
   attribute the code explains linearly.
3. Edit: :math:`z' = z + t\,u` for a few amounts :math:`t`, and decode.

Two attributes of handwritten digits are measured on the pixels:

* **slant**, from the image's second moments. With the ink :math:`x_{rc}` as weights,
  row :math:`r` counted downwards and column :math:`c` to the right, and :math:`\bar r,
  \bar c` the centre of the ink,

  .. math::

      \text{slant} = \frac{\sum_{rc} x_{rc}\,(c - \bar c)(\bar r - r)}
                          {\sum_{rc} x_{rc}\,(r - \bar r)^2},

  the horizontal shift of the ink per row upwards: 0 for an upright stroke, positive for a
  stroke leaning to the right (the least-squares slope of column on height). Deslanting
  by this shear is the classic normalisation of handwritten digits.
* **ink**, the mean intensity: bolder strokes carry more ink.

NumPy only.

Introduced in the chapter "VAE against GAN on real MNIST".
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from genlab._validation import check_array

__all__ = ["attribute_direction", "edit_codes", "ink", "slant"]


def _check_images(images: ArrayLike, shape: object) -> NDArray[np.float64]:
    """Images of shape (n, H * W) as (n, H, W) float64, or a ValueError naming the problem."""
    if not (
        isinstance(shape, tuple)
        and len(shape) == 2
        and all(isinstance(s, (int, np.integer)) and not isinstance(s, bool) for s in shape)
        and min(shape) >= 2
    ):
        raise ValueError(f"shape must be a tuple of two integers >= 2 (H, W); got {shape!r}")
    H, W = int(shape[0]), int(shape[1])
    X = check_array(images, name="images", ndim=2)
    if X.shape[0] == 0:
        raise ValueError("images holds no images; pass at least one")
    if X.shape[1] != H * W:
        raise ValueError(
            f"images must have shape (n_images, {H * W}) for shape {(H, W)}; got {X.shape}"
        )
    if np.any(X < 0):
        i, j = np.argwhere(X < 0)[0]
        raise ValueError(f"images must hold intensities >= 0; images[{i}, {j}] is {X[i, j]}")
    return X.reshape(-1, H, W)


def ink(images: ArrayLike, shape: tuple[int, int]) -> NDArray[np.float64]:
    """The mean intensity of each image: bolder strokes carry more ink.

    Introduced in the chapter "VAE against GAN on real MNIST".

    Parameters
    ----------
    images : array_like of shape (n_images, H * W)
        Finite intensities >= 0 (for example in [0, 1]), row by row.
    shape : tuple of int
        ``(H, W)``, both at least 2.

    Returns
    -------
    ndarray of float64, shape (n_images,)
    """
    X = _check_images(images, shape)
    out: NDArray[np.float64] = X.mean(axis=(1, 2))
    return out


def slant(images: ArrayLike, shape: tuple[int, int]) -> NDArray[np.float64]:
    r"""The slant of each image: the horizontal shift of its ink per row upwards.

    The least-squares slope of column on height, weighted by the ink (see the module's
    docstring): 0 for an upright stroke, :math:`s` for a stroke sheared by :math:`s`
    columns per row to the right as it rises, negative for one leaning left.

    Introduced in the chapter "VAE against GAN on real MNIST".

    Parameters
    ----------
    images : array_like of shape (n_images, H * W)
        Finite intensities >= 0, row by row (row 0 at the top). Every image needs ink on
        at least two rows, or its slant is undefined (a ValueError names it).
    shape : tuple of int
        ``(H, W)``, both at least 2.

    Returns
    -------
    ndarray of float64, shape (n_images,)
    """
    X = _check_images(images, shape)
    _, H, W = X.shape
    rows = np.arange(H, dtype=np.float64)[None, :, None]
    cols = np.arange(W, dtype=np.float64)[None, None, :]
    mass = X.sum(axis=(1, 2))
    if np.any(mass == 0):
        raise ValueError(f"images[{int(np.argmax(mass == 0))}] has no ink; its slant is undefined")
    r_bar = (X * rows).sum(axis=(1, 2)) / mass
    c_bar = (X * cols).sum(axis=(1, 2)) / mass
    dr = rows - r_bar[:, None, None]
    dc = cols - c_bar[:, None, None]
    spread = (X * dr**2).sum(axis=(1, 2))
    if np.any(spread <= 1e-12 * mass):
        i = int(np.argmax(spread <= 1e-12 * mass))
        raise ValueError(f"images[{i}] has ink on one row only; its slant is undefined")
    out: NDArray[np.float64] = (X * dc * -dr).sum(axis=(1, 2)) / spread
    return out


def attribute_direction(codes: ArrayLike, attribute: ArrayLike) -> dict[str, Any]:
    r"""The direction in a code along which an attribute grows fastest, by least squares.

    Fits :math:`a_i \approx b + w^\top z_i` (ordinary least squares with an intercept).

    Introduced in the chapter "VAE against GAN on real MNIST".

    Parameters
    ----------
    codes : array_like of shape (n, d)
        Finite codes :math:`z_i`; more rows than columns, and not all on one hyperplane.
    attribute : array_like of shape (n,)
        The finite attribute :math:`a_i` of the same images, not constant.

    Returns
    -------
    dict
        ``"direction"`` (ndarray of shape (d,), the unit vector :math:`u = w / \lVert w
        \rVert`), ``"rate"`` (:math:`\lVert w \rVert`, the change of the attribute per unit
        of distance along :math:`u`), ``"weights"`` (:math:`w`), ``"intercept"``
        (:math:`b`) and ``"r2"`` (the fraction of the attribute's variance explained).
    """
    Z = check_array(codes, name="codes", ndim=2)
    a = check_array(attribute, name="attribute", ndim=1)
    n, d = Z.shape
    if a.shape[0] != n:
        raise ValueError(f"attribute must have one value per code ({n}); got {a.shape[0]}")
    if n <= d + 1:
        raise ValueError(f"codes needs more than d + 1 = {d + 1} rows for the fit; got {n}")
    if np.ptp(a) == 0:
        raise ValueError("attribute is constant; it has no direction")
    design = np.column_stack([np.ones(n), Z])
    coef, _, rank, _ = np.linalg.lstsq(design, a, rcond=None)
    if rank < d + 1:
        raise ValueError("codes lie on a hyperplane (the fit is not unique); pass varied codes")
    w = coef[1:]
    rate = float(np.linalg.norm(w))
    residual = a - design @ coef
    r2 = 1.0 - float(residual @ residual) / float(((a - a.mean()) ** 2).sum())
    return {
        "direction": w / rate,
        "rate": rate,
        "weights": w,
        "intercept": float(coef[0]),
        "r2": r2,
    }


def edit_codes(code: ArrayLike, direction: ArrayLike, amounts: ArrayLike) -> NDArray[np.float64]:
    r"""Codes moved along a direction: :math:`z + t\,u` for each amount :math:`t`.

    Introduced in the chapter "VAE against GAN on real MNIST".

    Parameters
    ----------
    code : array_like of shape (d,)
        The code :math:`z` of the image to edit.
    direction : array_like of shape (d,)
        The direction :math:`u` (for example ``attribute_direction(...)["direction"]``);
        not zero.
    amounts : array_like of shape (k,)
        The distances :math:`t` to move; 0 gives the code back.

    Returns
    -------
    ndarray of float64, shape (k, d)
    """
    z = check_array(code, name="code", ndim=1)
    u = check_array(direction, name="direction", ndim=1)
    t = check_array(amounts, name="amounts", ndim=1)
    if u.shape != z.shape:
        raise ValueError(f"direction must have shape {z.shape} like code; got {u.shape}")
    if not np.any(u):
        raise ValueError("direction is zero; it points nowhere")
    out: NDArray[np.float64] = z[None, :] + t[:, None] * u[None, :]
    return out
