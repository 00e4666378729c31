"""genlab.sharpness against oracles that do not use its code.

* the Laplacian's variance against ``scipy.ndimage.laplace`` and the gradient magnitude
  against ``np.gradient``, both restricted to the interior, on square and non-square
  images (a swapped height and width would be caught);
* hand-computed 3x3 and 4x4 images; constant and linear images;
* the properties the chapter relies on: a Gaussian blur lowers both, noise raises them,
  ``c * x`` scales them by c^2 and |c| (exactly for powers of two), even for values near
  the limits of float64;
* plausible bugs (ddof=1, a forgotten 1/2, the border included, height and width
  swapped) are caught by the oracle comparison;
* bad input refused by name by both functions; degenerate but legal input accepted;
* the module does not load PyTorch.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy import ndimage

from genlab.sharpness import gradient_magnitude, laplacian_variance

FUNCTIONS = [laplacian_variance, gradient_magnitude]
TIGHT = {"rtol": 1e-12, "atol": 1e-14}


# ------------------------------------------------------------------ oracles
def oracle_laplacian_variance(images, shape):
    """scipy's 4-neighbour Laplacian (any border mode), kept on the interior only."""
    out = []
    for image in np.asarray(images, dtype=float):
        laplacian = ndimage.laplace(image.reshape(shape), mode="nearest")
        out.append(np.var(laplacian[1:-1, 1:-1]))
    return np.array(out)


def oracle_gradient_magnitude(images, shape):
    """np.gradient's central differences (its interior values), their lengths' mean."""
    out = []
    for image in np.asarray(images, dtype=float):
        gy, gx = np.gradient(image.reshape(shape))
        out.append(np.mean(np.sqrt(gx**2 + gy**2)[1:-1, 1:-1]))
    return np.array(out)


def agrees_with_the_oracles(lap_var, grad_mag):
    """Whether the two functions match scipy/NumPy on random square and non-square images."""
    rng = np.random.default_rng(0)
    for shape in [(5, 5), (6, 9), (9, 4), (3, 3)]:
        images = rng.normal(size=(7, shape[0] * shape[1])) * 3
        pairs = [
            (lap_var(images, shape), oracle_laplacian_variance(images, shape)),
            (grad_mag(images, shape), oracle_gradient_magnitude(images, shape)),
        ]
        for got, want in pairs:
            if got.shape != want.shape or not np.allclose(got, want, **TIGHT):
                return False
    return True


def test_both_agree_with_scipy_and_numpy():
    assert agrees_with_the_oracles(laplacian_variance, gradient_magnitude)


def test_on_mnist_sized_images_in_the_unit_interval():
    rng = np.random.default_rng(1)
    images = rng.random((20, 784))
    got = laplacian_variance(images, (28, 28))
    assert got.dtype == np.float64 and got.shape == (20,)
    assert_allclose(got, oracle_laplacian_variance(images, (28, 28)), **TIGHT)
    assert_allclose(
        gradient_magnitude(images, (28, 28)), oracle_gradient_magnitude(images, (28, 28)), **TIGHT
    )


# ------------------------------------------------------------------ by hand
def test_a_three_by_three_image_by_hand():
    image = np.array([[0, 1, 0], [2, 5, 3], [0, 4, 0]], dtype=float)
    # one interior pixel: the variance of one value is 0
    assert laplacian_variance(image.reshape(1, -1), (3, 3))[0] == 0.0
    # gx = (3 - 2) / 2 = 0.5, gy = (4 - 1) / 2 = 1.5, |g| = sqrt(0.25 + 2.25)
    assert gradient_magnitude(image.reshape(1, -1), (3, 3))[0] == pytest.approx(
        np.sqrt(2.5), rel=1e-15
    )


def test_a_four_by_four_image_by_hand():
    image = np.zeros((4, 4))
    image[1, 1] = 1.0
    # interior Laplacians: (1,1) -4, (1,2) 1, (2,1) 1, (2,2) 0; mean -1/2,
    # variance ((-3.5)^2 + 1.5^2 + 1.5^2 + 0.5^2) / 4 = 17 / 4
    assert laplacian_variance(image.reshape(1, -1), (4, 4))[0] == pytest.approx(4.25, rel=1e-15)
    # gradient lengths: (1,1) 0, (1,2) |(-1/2, 0)|, (2,1) |(0, -1/2)|, (2,2) 0; mean 1/4
    assert gradient_magnitude(image.reshape(1, -1), (4, 4))[0] == pytest.approx(0.25, rel=1e-15)


def test_a_three_by_four_image_by_hand():
    # rows of 3, 4 columns: the interior is row 1, columns 1 and 2
    image = np.array([[0, 0, 8, 0], [0, 2, 0, 0], [0, 0, 0, 0]], dtype=float)
    # Laplacians: (1,1) 0 + 0 + 0 + 0 - 8 = -8; (1,2) 8 + 0 + 2 + 0 - 0 = 10; variance 81
    assert laplacian_variance(image.reshape(1, -1), (3, 4))[0] == pytest.approx(81.0, rel=1e-15)
    # (1,1): gx = (0 - 0) / 2, gy = (0 - 0) / 2 -> 0; (1,2): gx = (0 - 2) / 2 = -1,
    # gy = (0 - 8) / 2 = -4 -> sqrt(17); mean sqrt(17) / 2
    assert gradient_magnitude(image.reshape(1, -1), (3, 4))[0] == pytest.approx(
        np.sqrt(17) / 2, rel=1e-15
    )
    # read as 4 rows of 3 columns, the same numbers are another image
    assert laplacian_variance(image.reshape(1, -1), (4, 3))[0] != pytest.approx(81.0)


def test_constant_and_linear_images():
    constant = np.full((3, 30), 0.7)
    assert_array_equal(laplacian_variance(constant, (5, 6)), 0.0)
    assert_array_equal(gradient_magnitude(constant, (5, 6)), 0.0)
    i, j = np.mgrid[0:5, 0:6]
    ramp = (3.0 * i - 4.0 * j).reshape(1, -1)  # gradient (gx, gy) = (-4, 3), length 5
    assert laplacian_variance(ramp, (5, 6))[0] == 0.0
    assert gradient_magnitude(ramp, (5, 6))[0] == pytest.approx(5.0, rel=1e-15)


# ------------------------------------------------------------------ properties
def test_a_gaussian_blur_lowers_both_and_noise_raises_both():
    rng = np.random.default_rng(2)
    shape = (28, 28)
    images = rng.random((10, 784))
    blurred = np.array([ndimage.gaussian_filter(x.reshape(shape), 1.0).ravel() for x in images])
    assert np.all(laplacian_variance(blurred, shape) < laplacian_variance(images, shape))
    assert np.all(gradient_magnitude(blurred, shape) < gradient_magnitude(images, shape))
    # the same images with noise added score higher: sharpness is not correctness
    noisy = blurred + 0.1 * rng.normal(size=blurred.shape)
    assert np.all(laplacian_variance(noisy, shape) > laplacian_variance(blurred, shape))
    assert np.all(gradient_magnitude(noisy, shape) > gradient_magnitude(blurred, shape))


@pytest.mark.parametrize("c", [3.0, -0.5, 1e-3, -7e4, 1e-150, 1e150])
def test_scaling_the_contrast(c):
    rng = np.random.default_rng(3)
    images = rng.random((5, 42))
    assert_allclose(
        laplacian_variance(c * images, (6, 7)),
        c**2 * laplacian_variance(images, (6, 7)),
        rtol=1e-13,
    )
    assert_allclose(
        gradient_magnitude(c * images, (6, 7)),
        abs(c) * gradient_magnitude(images, (6, 7)),
        rtol=1e-13,
    )


def test_powers_of_two_scale_exactly_even_near_the_limits_of_float64():
    rng = np.random.default_rng(4)
    images = rng.random((4, 25)) - 0.5
    lap, grad = laplacian_variance(images, (5, 5)), gradient_magnitude(images, (5, 5))
    for e in (-500, -20, 3, 500):
        scaled = np.ldexp(images, e)
        assert_array_equal(laplacian_variance(scaled, (5, 5)), np.ldexp(lap, 2 * e))
        assert_array_equal(gradient_magnitude(scaled, (5, 5)), np.ldexp(grad, e))
    # near the largest float64 the differences overflow unless the images are rescaled
    huge = images / np.abs(images).max() * 1.7e308
    assert np.all(np.isfinite(gradient_magnitude(huge, (5, 5))))
    with pytest.raises(ValueError, match=r"images\[0\] has values so large .* overflows"):
        laplacian_variance(huge, (5, 5))


def test_each_image_is_scored_on_its_own():
    rng = np.random.default_rng(5)
    images = rng.random((6, 36)) * np.array([1e-8, 1.0, 255.0, 1e5, 0.0, 3.0])[:, None]
    for f in FUNCTIONS:
        together = f(images, (6, 6))
        alone = np.array([f(x[None], (6, 6))[0] for x in images])
        assert_array_equal(together, alone)


# ------------------------------------------------------------------ bugs are caught
def test_plausible_bugs_would_be_caught():
    def ddof_one(images, shape):
        m = (shape[0] - 2) * (shape[1] - 2)
        return laplacian_variance(images, shape) * m / (m - 1)

    def without_the_half(images, shape):
        return 2 * gradient_magnitude(images, shape)

    def swapped(f):
        return lambda images, shape: f(images, shape[::-1])

    def with_the_border(images, shape):
        x = np.asarray(images, dtype=float).reshape(-1, *shape)
        return np.array([ndimage.laplace(im, mode="constant").var() for im in x])

    assert agrees_with_the_oracles(laplacian_variance, gradient_magnitude)
    for lap_var, grad_mag in [
        (ddof_one, gradient_magnitude),
        (laplacian_variance, without_the_half),
        (swapped(laplacian_variance), gradient_magnitude),
        (laplacian_variance, swapped(gradient_magnitude)),
        (with_the_border, gradient_magnitude),
    ]:
        assert not agrees_with_the_oracles(lap_var, grad_mag)


# ------------------------------------------------------------------ bad input
BAD_IMAGES = {
    "NaN": ([[0.0] * 8 + [np.nan]], "images contains NaN or infinity"),
    "infinity": ([[0.0] * 8 + [-np.inf]], "images contains NaN or infinity"),
    "the wrong width": (np.zeros((2, 10)), r"images must have shape \(n_images, 9\).*\(2, 10\)"),
    "one image as a vector": (np.zeros(9), r"images must have shape .*got \(9,\).*reshape"),
    "three dimensions": (np.zeros((2, 3, 3)), r"images must have shape .*got \(2, 3, 3\)"),
    "no image": (np.zeros((0, 9)), "images is empty"),
    "strings": ([["a"] * 9], "images must be a numeric array"),
    "complex numbers": (np.zeros((1, 9), dtype=complex), "images has complex entries"),
}


@pytest.mark.parametrize("f", FUNCTIONS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("case", BAD_IMAGES, ids=list(BAD_IMAGES))
def test_bad_images_are_refused_by_name(f, case):
    images, message = BAD_IMAGES[case]
    with pytest.raises(ValueError, match=message):
        f(images, (3, 3))


@pytest.mark.parametrize("f", FUNCTIONS, ids=lambda f: f.__name__)
@pytest.mark.parametrize(
    "shape", [(2, 3), (3, 2), (3,), (3, 3, 1), (3.0, 3), (True, 3), "33", None, 9, (-3, -3)]
)
def test_bad_shapes_are_refused_by_name(f, shape):
    with pytest.raises(ValueError, match="shape must be a pair of integers .* each >= 3"):
        f(np.zeros((1, 9)), shape)


@pytest.mark.parametrize("f", FUNCTIONS, ids=lambda f: f.__name__)
def test_degenerate_but_legal_input(f):
    # one image, the smallest size, integers, lists, NumPy integers in the shape, negatives
    for images, shape in [
        (np.zeros((1, 9)), (3, 3)),
        ([[1, 2, 3, 4, 5, 6, 7, 8, 9]], [3, 3]),
        (np.arange(-12, 12).reshape(1, -1), (np.int64(4), np.int32(6))),
        (np.ones((1, 9), dtype=bool), (3, 3)),
    ]:
        got = f(images, shape)
        assert got.dtype == np.float64 and got.shape == (1,) and np.all(np.isfinite(got))


def test_the_module_does_not_load_pytorch():
    code = "import sys, genlab.sharpness; assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)
