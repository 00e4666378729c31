"""genlab.editing against hand computation, loops and scikit-learn.

* slant: hand-drawn sheared strokes whose slant is known exactly; a mirror flips its sign;
  moving the ink does not change it; a weighted-least-squares oracle (numpy.polyfit);
* ink: the mean by hand;
* attribute_direction: against scikit-learn's LinearRegression; an attribute that is an
  exact linear function of the code is recovered exactly (R^2 = 1);
* edit_codes: by hand;
* bad input refused by name.
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LinearRegression

from genlab.editing import attribute_direction, edit_codes, ink, slant


def stroke(shear: int, H: int = 9, W: int = 21, width: int = 1) -> np.ndarray:
    """A straight stroke, one pixel per row, moving ``shear`` columns right per row up."""
    img = np.zeros((H, W))
    for r in range(H):
        c = W // 2 + shear * (H - 1 - r) - shear * (H - 1) // 2
        img[r, c : c + width] = 1.0
    return img.ravel()


@pytest.mark.parametrize("shear", [-2, -1, 0, 1, 2])
@pytest.mark.parametrize("width", [1, 3])
def test_slant_of_a_sheared_stroke_is_its_shear(shear, width):
    assert slant(stroke(shear, width=width)[None], (9, 21))[0] == pytest.approx(shear, abs=1e-12)


def test_slant_flips_sign_in_a_mirror_and_ignores_position_and_scale():
    rng = np.random.default_rng(0)
    X = rng.random((5, 12 * 10)) ** 3
    s = slant(X, (12, 10))
    mirrored = X.reshape(5, 12, 10)[:, :, ::-1].reshape(5, -1)
    np.testing.assert_allclose(slant(mirrored, (12, 10)), -s, atol=1e-12)
    padded = np.pad(X.reshape(5, 12, 10), ((0, 0), (3, 1), (2, 5))).reshape(5, -1)
    np.testing.assert_allclose(slant(padded, (16, 17)), s, atol=1e-12)
    np.testing.assert_allclose(slant(7.5 * X, (12, 10)), s, atol=1e-12)


def test_slant_against_weighted_least_squares():
    rng = np.random.default_rng(1)
    X = rng.random((4, 8 * 6))
    rows, cols = np.mgrid[0:8, 0:6]
    for img, got in zip(X, slant(X, (8, 6)), strict=True):
        # column against height (-row), weights = ink: np.polyfit weights the residuals by w
        slope = np.polyfit(-rows.ravel(), cols.ravel(), 1, w=np.sqrt(img))[0]
        assert got == pytest.approx(slope, abs=1e-12)


def test_ink_is_the_mean_intensity():
    X = np.array([[0.0, 1.0, 0.5, 0.5], [1.0, 1.0, 1.0, 1.0]])
    np.testing.assert_array_equal(ink(X, (2, 2)), [0.5, 1.0])


def test_attribute_direction_against_scikit_learn():
    rng = np.random.default_rng(2)
    Z = rng.normal(size=(200, 5))
    a = Z @ np.array([0.5, -2.0, 0.0, 1.0, 0.3]) + 0.7 + rng.normal(scale=0.5, size=200)
    got = attribute_direction(Z, a)
    ref = LinearRegression().fit(Z, a)
    np.testing.assert_allclose(got["weights"], ref.coef_, atol=1e-12)
    assert got["intercept"] == pytest.approx(ref.intercept_, abs=1e-12)
    assert got["r2"] == pytest.approx(ref.score(Z, a), abs=1e-12)
    assert got["rate"] == pytest.approx(np.linalg.norm(ref.coef_), abs=1e-12)
    np.testing.assert_allclose(got["direction"], ref.coef_ / np.linalg.norm(ref.coef_))


def test_an_exact_linear_attribute_is_recovered_exactly():
    rng = np.random.default_rng(3)
    Z = rng.normal(size=(30, 3))
    w = np.array([3.0, 0.0, -4.0])
    got = attribute_direction(Z, Z @ w - 1.0)
    np.testing.assert_allclose(got["direction"], [0.6, 0.0, -0.8], atol=1e-12)
    assert got["rate"] == pytest.approx(5.0, abs=1e-12)
    assert got["r2"] == pytest.approx(1.0, abs=1e-12)
    # moving a code by t along the direction changes the attribute by rate * t
    moved = edit_codes(Z[0], got["direction"], [-1.0, 0.0, 2.0])
    np.testing.assert_allclose(moved @ w - 1.0 - (Z[0] @ w - 1.0), [-5.0, 0.0, 10.0])


def test_edit_codes_by_hand():
    out = edit_codes([1.0, 2.0], [0.0, 1.0], [-1.0, 0.0, 0.5])
    np.testing.assert_array_equal(out, [[1.0, 1.0], [1.0, 2.0], [1.0, 2.5]])


GOOD = np.random.default_rng(4).random((3, 16))


@pytest.mark.parametrize("fn", [ink, slant])
@pytest.mark.parametrize(
    ("images", "shape", "match"),
    [
        (GOOD, (4, 5), "shape"),
        (GOOD, (16,), "shape"),
        (GOOD, (4.0, 4), "shape"),
        (GOOD, (True, 16), "shape"),
        (GOOD, (1, 16), "shape"),
        (GOOD[0], (4, 4), "images"),
        (np.where(GOOD > 0.5, np.nan, GOOD), (4, 4), "images"),
        (np.where(GOOD > 0.5, np.inf, GOOD), (4, 4), "images"),
        (GOOD - 0.5, (4, 4), "images"),
        (np.zeros((0, 16)), (4, 4), "images"),
        ([["a"] * 16], (4, 4), "images"),
    ],
)
def test_bad_images_are_refused_by_name(fn, images, shape, match):
    with pytest.raises(ValueError, match=match):
        fn(images, shape)


def test_slant_needs_ink_on_two_rows():
    images = np.zeros((2, 16))
    images[0, [0, 5]] = 1.0  # ink on two rows: fine
    images[1, :4] = 1.0  # ink on one row
    with pytest.raises(ValueError, match=r"images\[1\] has ink on one row only"):
        slant(images, (4, 4))
    with pytest.raises(ValueError, match=r"images\[0\] has no ink"):
        slant(np.zeros((1, 16)), (4, 4))
    assert slant(images[:1], (4, 4))[0] == pytest.approx(-1.0)  # (0,0) above (1,1)


@pytest.mark.parametrize(
    ("codes", "attribute", "match"),
    [
        (np.ones((5, 2)), np.arange(5.0), "hyperplane"),
        (np.random.default_rng(0).normal(size=(3, 2)), np.arange(3.0), "more than"),
        (np.random.default_rng(0).normal(size=(6, 2)), np.ones(6), "constant"),
        (np.random.default_rng(0).normal(size=(6, 2)), np.arange(5.0), "one value per code"),
        (np.full((6, 2), np.nan), np.arange(6.0), "codes"),
        (np.random.default_rng(0).normal(size=(6, 2)), [0, 1, 2, 3, 4, np.inf], "attribute"),
        (np.arange(6.0), np.arange(6.0), "codes"),
    ],
)
def test_attribute_direction_refuses_bad_input_by_name(codes, attribute, match):
    with pytest.raises(ValueError, match=match):
        attribute_direction(codes, attribute)


@pytest.mark.parametrize(
    ("code", "direction", "amounts", "match"),
    [
        ([0.0, 0.0], [0.0, 0.0], [1.0], "direction is zero"),
        ([0.0, 0.0], [1.0, 0.0, 0.0], [1.0], "direction must have shape"),
        ([0.0, np.nan], [1.0, 0.0], [1.0], "code"),
        ([0.0, 0.0], [1.0, 0.0], [[1.0]], "amounts"),
        ([0.0, 0.0], [1.0, 0.0], [np.inf], "amounts"),
    ],
)
def test_edit_codes_refuses_bad_input_by_name(code, direction, amounts, match):
    with pytest.raises(ValueError, match=match):
        edit_codes(code, direction, amounts)
