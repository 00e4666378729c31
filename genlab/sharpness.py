r"""How sharp images are: the variance of the Laplacian and the mean gradient magnitude.

The notes claim that a VAE's samples are blurry and a GAN's are sharp. Two classical
measures of sharpness (from the focus measures of microscopy and photography) turn the
claim into numbers, one per image :math:`x` of :math:`H \times W` pixels:

* :func:`laplacian_variance`: the variance, over the interior pixels, of the discrete
  Laplacian

  .. math::

      (\Delta x)_{ij} = x_{i-1,j} + x_{i+1,j} + x_{i,j-1} + x_{i,j+1} - 4 x_{ij};

* :func:`gradient_magnitude`: the mean, over the interior pixels, of
  :math:`\sqrt{g_x^2 + g_y^2}` with the central differences
  :math:`g_x = (x_{i,j+1} - x_{i,j-1}) / 2` and :math:`g_y = (x_{i+1,j} - x_{i-1,j}) / 2`.

The interior, rows and columns :math:`1 .. H-2` and :math:`1 .. W-2`, is where every
neighbour exists, so no rule for the border is needed (images need at least 3 x 3 pixels).

**Why blur lowers both.** A blur is a low-pass filter: convolving with a kernel of
non-negative weights summing to 1 (a Gaussian, say) multiplies the amplitude of each
spatial frequency :math:`\omega` by a factor :math:`|B(\omega)| \le 1` that falls with the
frequency. The Laplacian is a high-pass filter: its frequency response,
:math:`-4 \sin^2(\omega_x / 2) - 4 \sin^2(\omega_y / 2)`, is 0 for a constant image and
largest at the finest checkerboard. On a periodic image the Laplacian has mean 0, so its
variance is its mean square, by Parseval's theorem a sum over frequencies of
:math:`|\text{response}|^2 |\hat x(\omega)|^2`, each term of which a blur can only shrink.
The mean gradient magnitude is the image's total variation per pixel, and
:math:`\lVert \nabla (k * x) \rVert = \lVert k * \nabla x \rVert \le k * \lVert \nabla x
\rVert` pointwise (the triangle inequality), so a blur does not increase it either. On the
interior of a finite image both hold up to border effects, which is what the tests check
on random images.

**They measure sharpness, not correctness.** Noise is all high frequencies: an image of
random pixels scores higher than any digit, and a model that added speckle to its samples
would look "sharper". Both also scale with the contrast (``c * x`` multiplies the
Laplacian's variance by :math:`c^2` and the gradient by :math:`|c|`). So compare models
with real images of the same kind as the reference (real MNIST digits set the value a
good model should match, neither lower, blurry, nor higher, noisy), and alongside a
measure of what the samples depict (``genlab.quality``'s digit FID and class coverage).
For the notes' claim, "VAE blurry, GAN sharp": the mean of a VAE's decoder averages the
images its posterior cannot tell apart, so it should score below real digits on both
measures; a GAN's generator, punished by a discriminator that spots blur, should score
close to them. The chapter measures both against real MNIST.

NumPy only: it does not load PyTorch.

Introduced in the chapter "VAE against GAN on real MNIST".
"""

from __future__ import annotations

import numbers

import numpy as np
from numpy.typing import ArrayLike, NDArray

from genlab._validation import as_real_array

__all__ = ["gradient_magnitude", "laplacian_variance"]


def _check_shape(shape: object) -> tuple[int, int]:
    message = f"shape must be a pair of integers (height, width), each >= 3; got {shape!r}"
    if not isinstance(shape, (tuple, list)) or len(shape) != 2:
        raise ValueError(message)
    for side in shape:
        if isinstance(side, (bool, np.bool_)) or not isinstance(side, numbers.Integral):
            raise ValueError(message)
        if int(side) < 3:
            raise ValueError(message)
    return int(shape[0]), int(shape[1])


def _check_images(
    images: ArrayLike, shape: object
) -> tuple[NDArray[np.float64], NDArray[np.intc]]:
    """The images as an (n, H, W) array scaled by a power of 2 per image, and its exponents.

    Image ``k`` is divided by ``2**e[k]``, with ``e[k]`` the exponent of its largest
    absolute value, so that its largest entry lies in [0.5, 1): an exact rescaling (in
    binary floating point) that keeps the differences below from overflowing whatever
    the size of the values.
    """
    H, W = _check_shape(shape)
    x = as_real_array(images, name="images")
    if x.ndim != 2 or x.shape[1] != H * W:
        hint = " (one image? use images.reshape(1, -1))" if x.ndim == 1 else ""
        raise ValueError(
            f"images must have shape (n_images, {H * W}) for images of shape {(H, W)}; got "
            f"{x.shape}{hint}"
        )
    if x.shape[0] == 0:
        raise ValueError("images is empty; it needs at least one image")
    if not np.all(np.isfinite(x)):
        raise ValueError("images contains NaN or infinity")
    _, exponents = np.frexp(np.max(np.abs(x), axis=1))
    scaled = np.ldexp(x, -exponents[:, None])
    return scaled.reshape(-1, H, W), exponents


def _rescale(values: NDArray[np.float64], exponents: NDArray[np.intc]) -> NDArray[np.float64]:
    """``values * 2**exponents``, refusing a result too large for float64."""
    with np.errstate(over="ignore"):
        out = np.ldexp(values, exponents)
    if not np.all(np.isfinite(out)):
        k = int(np.flatnonzero(~np.isfinite(out))[0])
        raise ValueError(f"images[{k}] has values so large that its sharpness overflows float64")
    return np.asarray(out, dtype=np.float64)


def laplacian_variance(images: ArrayLike, shape: tuple[int, int]) -> NDArray[np.float64]:
    r"""The variance of the discrete Laplacian over each image's interior pixels.

    :math:`(\Delta x)_{ij} = x_{i-1,j} + x_{i+1,j} + x_{i,j-1} + x_{i,j+1} - 4 x_{ij}`
    for :math:`1 \le i \le H - 2`, :math:`1 \le j \le W - 2`, and its population variance
    (``ddof=0``) over those :math:`(H - 2)(W - 2)` pixels. 0 for a constant (or linear)
    image; blur lowers it, noise raises it, and ``c * x`` multiplies it by :math:`c^2`.

    Introduced in the chapter "VAE against GAN on real MNIST".

    Parameters
    ----------
    images : array_like of shape (n_images, height * width)
        Images flattened row by row (C order), any finite real values, at least one image.
    shape : tuple of two ints
        ``(height, width)``, each at least 3.

    Returns
    -------
    ndarray of float64, shape (n_images,)
        In squared units of the pixel values.
    """
    x, exponents = _check_images(images, shape)
    centre = x[:, 1:-1, 1:-1]
    laplacian = x[:, :-2, 1:-1] + x[:, 2:, 1:-1] + x[:, 1:-1, :-2] + x[:, 1:-1, 2:] - 4 * centre
    variance = laplacian.var(axis=(1, 2))  # ddof=0
    return _rescale(variance, 2 * exponents)


def gradient_magnitude(images: ArrayLike, shape: tuple[int, int]) -> NDArray[np.float64]:
    r"""The mean length of the central-difference gradient over each image's interior pixels.

    :math:`\sqrt{g_x^2 + g_y^2}` with :math:`g_x = (x_{i,j+1} - x_{i,j-1}) / 2` and
    :math:`g_y = (x_{i+1,j} - x_{i-1,j}) / 2`, averaged over :math:`1 \le i \le H - 2`,
    :math:`1 \le j \le W - 2` (the interior values of ``np.gradient``). 0 for a constant
    image; blur lowers it, noise raises it, and ``c * x`` multiplies it by :math:`|c|`.

    Introduced in the chapter "VAE against GAN on real MNIST".

    Parameters
    ----------
    images : array_like of shape (n_images, height * width)
        Images flattened row by row (C order), any finite real values, at least one image.
    shape : tuple of two ints
        ``(height, width)``, each at least 3.

    Returns
    -------
    ndarray of float64, shape (n_images,)
        In units of the pixel values per pixel.
    """
    x, exponents = _check_images(images, shape)
    gx = (x[:, 1:-1, 2:] - x[:, 1:-1, :-2]) / 2
    gy = (x[:, 2:, 1:-1] - x[:, :-2, 1:-1]) / 2
    mean_length = np.hypot(gx, gy).mean(axis=(1, 2))
    return _rescale(mean_length, exponents)
