"""genlab.likelihood: bits per pixel and the dequantization bound, against exact answers.

The exact discrete log-likelihood log P(x) of a continuous density is the log of its
integral over the image's cell, computed independently (scipy.stats CDFs, checked
against scipy.integrate); the bound's expectation over the dequantization noise is
computed by quadrature (scipy.integrate.quad in 1-D, a Gauss-Legendre product rule on
the 2x2 image). The bound must never exceed the exact value, and must equal it for a
density that is constant on every cell.
"""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy import integrate, stats

from genlab.likelihood import (
    DIGITS_LEVELS,
    bits_per_pixel,
    dequantize,
    dequantized_bits_per_pixel,
    dequantized_log_likelihood,
    digits_split,
    discrete_bits_per_pixel,
)

ROOT = Path(__file__).resolve().parents[1]


# ------------------------------------------------------------------ units
def test_bits_per_pixel_by_hand():
    assert bits_per_pixel(8 * math.log(2), 8) == pytest.approx(1.0, rel=1e-15)
    # uniform coding of 17 levels costs log2(17) bits per pixel
    assert bits_per_pixel(64 * math.log(17), 64) == pytest.approx(math.log2(17), rel=1e-14)
    out = bits_per_pixel([math.log(2), 3 * math.log(2)], 1)
    assert isinstance(out, np.ndarray)
    assert_allclose(out, [1.0, 3.0], rtol=1e-15)
    # total over a data set with its total pixel count = mean per image with D
    assert bits_per_pixel(1000.0, 10 * 64) == pytest.approx(bits_per_pixel(100.0, 64))
    assert bits_per_pixel(0.0, 3) == 0.0  # a certain image costs nothing


@pytest.mark.parametrize(
    ("nll", "n_pixels", "match"),
    [
        (float("nan"), 4, "nll_nats contains NaN"),
        (float("inf"), 4, "nll_nats contains NaN or infinity"),
        (1.0, 0, "n_pixels must be an integer >= 1"),
        (1.0, 2.5, "n_pixels must be an integer >= 1"),
        (1.0, True, "n_pixels must be an integer >= 1"),
        ("abc", 4, "nll_nats must be a numeric array"),
    ],
)
def test_bits_per_pixel_refuses_bad_input(nll, n_pixels, match):
    with pytest.raises(ValueError, match=match):
        bits_per_pixel(nll, n_pixels)


def test_dequantize_puts_every_value_in_its_cell():
    X = np.array([[0, 1, 2], [2, 2, 0]])
    Y = dequantize(X, 3, random_state=5)
    u = np.random.default_rng(5).uniform(size=X.shape)  # the documented draws
    assert_allclose(Y, (X + u) / 3, rtol=0, atol=0)
    assert_array_equal(np.floor(Y * 3).astype(int), X)
    assert np.all((Y >= 0) & (Y < 1))


# ------------------------------------------------------------ models for the oracles
class ProductDensity:
    """A density on [0, 1]^D: mixture of products of truncated normals (correlated)."""

    def __init__(self, weights, locs, scales):
        self.weights = np.asarray(weights, dtype=float)
        self.dists = [
            [
                stats.truncnorm((0 - m) / s, (1 - m) / s, loc=m, scale=s)
                for m, s in zip(mk, sk, strict=True)
            ]
            for mk, sk in zip(locs, scales, strict=True)
        ]

    def score_samples(self, Y):
        Y = np.asarray(Y, dtype=float)
        per = np.array(
            [
                sum(d.logpdf(Y[:, j]) for j, d in enumerate(comp)) + math.log(w)
                for w, comp in zip(self.weights, self.dists, strict=True)
            ]
        )
        m = per.max(axis=0)
        return m + np.log(np.exp(per - m).sum(axis=0))

    def cell_probability(self, x, L):
        """P(x): the density's integral over the cell [x/L, (x+1)/L), from the CDFs."""
        return float(
            sum(
                w
                * math.prod(
                    d.cdf((xj + 1) / L) - d.cdf(xj / L) for d, xj in zip(comp, x, strict=True)
                )
                for w, comp in zip(self.weights, self.dists, strict=True)
            )
        )


class CellConstant:
    """A density constant on every cell: p(y) = L^D P(x(y)) for a probability table P."""

    def __init__(self, table, L):
        self.table, self.L = np.asarray(table), L

    def score_samples(self, Y):
        cells = np.floor(np.asarray(Y) * self.L).astype(int)
        D = cells.shape[1]
        return np.log(self.table[tuple(cells.T)]) + D * math.log(self.L)


# ------------------------------------------------------------------ 1-D, exactly
L1 = 4
BETA = stats.beta(2.0, 3.0)


class Beta1D:
    def score_samples(self, Y):
        return BETA.logpdf(np.asarray(Y)[:, 0])


def exact_1d():
    """log P(x) and E_u[log p((x+u)/L)] - log L for x = 0..L-1, by quadrature."""
    log_P, bound = [], []
    for x in range(L1):
        P_cdf = BETA.cdf((x + 1) / L1) - BETA.cdf(x / L1)
        P_quad = integrate.quad(BETA.pdf, x / L1, (x + 1) / L1, epsabs=1e-14)[0]
        assert P_cdf == pytest.approx(P_quad, rel=1e-10)  # two independent routes agree
        log_P.append(math.log(P_cdf))
        mean_log = integrate.quad(lambda u, x=x: BETA.logpdf((x + u) / L1), 0, 1, limit=200)[0]
        bound.append(mean_log - math.log(L1))
    return np.array(log_P), np.array(bound)


def test_1d_the_bound_lies_below_the_exact_discrete_log_likelihood():
    log_P, bound = exact_1d()
    assert math.fsum(np.exp(log_P)) == pytest.approx(1.0, abs=1e-12)
    assert np.all(bound < log_P)  # Jensen, strictly: the density is not flat on a cell
    assert np.all(log_P - bound > 1e-4)


def test_1d_the_estimate_uses_the_documented_draws_and_converges_to_the_bound():
    X = np.arange(L1)[:, None]
    K = 7
    got = dequantized_log_likelihood(Beta1D(), X, L1, n_draws=K, random_state=3)
    u = np.random.default_rng(3).uniform(size=(K, L1, 1))
    by_hand = np.mean([BETA.logpdf((X[:, 0] + u[k, :, 0]) / L1) for k in range(K)], axis=0)
    assert_allclose(got, by_hand - math.log(L1), rtol=1e-13)
    # many draws: the Monte Carlo estimate approaches the quadrature value
    _, bound = exact_1d()
    # (20,000 draws per level: 2,000 copies of each image, 10 draws each)
    many = dequantized_log_likelihood(
        Beta1D(), np.tile(X, (2000, 1)), L1, n_draws=10, random_state=0
    )
    assert_allclose(many.reshape(2000, L1).mean(axis=0), bound, atol=0.02)


def test_1d_bits_per_pixel_of_the_bound():
    X = np.array([[0], [1], [1], [3]])
    bound = dequantized_log_likelihood(Beta1D(), X, L1, n_draws=5, random_state=1)
    bpp = dequantized_bits_per_pixel(Beta1D(), X, L1, n_draws=5, random_state=1)
    assert bpp == pytest.approx(-np.mean(bound) / math.log(2), rel=1e-14)


# ------------------------------------------------------------ a 2x2 "image", exactly
L2, D2 = 3, 4
IMAGES = np.array(list(itertools.product(range(L2), repeat=D2)))  # all 81 images
DENSITY = ProductDensity(
    weights=[0.6, 0.4],
    locs=[[0.2, 0.3, 0.7, 0.5], [0.8, 0.6, 0.2, 0.4]],
    scales=[[0.3, 0.5, 0.25, 0.4], [0.2, 0.35, 0.6, 0.3]],
)


def gauss_legendre_bound(model, x, L, n_nodes=8):
    """E_u[log p((x + u)/L)] - D log L on one cell, by a tensor Gauss-Legendre rule."""
    nodes, weights = np.polynomial.legendre.leggauss(n_nodes)
    u, w = (nodes + 1) / 2, weights / 2  # on [0, 1]
    D = len(x)
    grid = np.array(list(itertools.product(u, repeat=D)))
    w_grid = np.prod(np.array(list(itertools.product(w, repeat=D))), axis=1)
    values = model.score_samples((np.asarray(x) + grid) / L)
    return float(w_grid @ values) - D * math.log(L)


def test_2x2_exact_probabilities_sum_to_one():
    P = np.array([DENSITY.cell_probability(x, L2) for x in IMAGES])
    assert math.fsum(P) == pytest.approx(1.0, abs=1e-12)
    assert np.all(P > 0)


def test_2x2_the_bound_lies_below_the_exact_value_for_all_81_images():
    log_P = np.log([DENSITY.cell_probability(x, L2) for x in IMAGES])
    bound = np.array([gauss_legendre_bound(DENSITY, x, L2) for x in IMAGES])
    # the rule is converged: more nodes change the bound by far less than the gaps
    finer = np.array([gauss_legendre_bound(DENSITY, x, L2, 10) for x in IMAGES[::10]])
    assert_allclose(finer, bound[::10], atol=1e-6)
    gap = log_P - bound
    assert np.all(gap > 1e-4), gap.min()
    # and the Monte Carlo estimate of genlab agrees with the quadrature
    # (3,000 draws per image: 100 copies of each, 30 draws each)
    estimate = dequantized_log_likelihood(
        DENSITY, np.tile(IMAGES, (100, 1)), L2, n_draws=30, random_state=0
    )
    estimate = estimate.reshape(100, len(IMAGES)).mean(axis=0)
    assert_allclose(estimate, bound, atol=0.03)
    assert np.mean(estimate) < np.mean(log_P)


@pytest.mark.parametrize("n_draws", [1, 4])
def test_2x2_equality_for_a_density_constant_on_cells(n_draws):
    rng = np.random.default_rng(0)
    table = rng.dirichlet(np.ones(L2**D2)).reshape((L2,) * D2)
    model = CellConstant(table, L2)
    got = dequantized_log_likelihood(model, IMAGES, L2, n_draws=n_draws, random_state=7)
    exact = np.log(table[tuple(IMAGES.T)])
    assert_allclose(got, exact, rtol=1e-12, atol=1e-13)
    bpp = dequantized_bits_per_pixel(model, IMAGES, L2, n_draws=n_draws, random_state=7)
    assert bpp == pytest.approx(-np.mean(exact) / (D2 * math.log(2)), rel=1e-12)


def test_discrete_bits_per_pixel_of_a_table():
    table = np.random.default_rng(1).dirichlet(np.ones(L2**D2)).reshape((L2,) * D2)

    class Table:
        def score_samples(self, X):
            return np.log(table[tuple(np.asarray(X, dtype=int).T)])

    X = IMAGES[[0, 5, 5, 80]]
    expected = -np.mean(np.log2(table[tuple(X.T)])) / D2
    assert discrete_bits_per_pixel(Table(), X) == pytest.approx(expected, rel=1e-14)

    class Impossible:
        def score_samples(self, X):
            return np.full(len(X), -np.inf)

    assert discrete_bits_per_pixel(Impossible(), X) == math.inf


# --------------------------------------------------------------------- bad input
def test_the_helpers_refuse_bad_input_by_name():
    X = np.array([[0, 1], [2, 0]])
    model = CellConstant(np.full((3, 3), 1 / 9), 3)
    with pytest.raises(ValueError, match="non-integer"):
        dequantize([[0.5, 1.0]], 3)
    with pytest.raises(ValueError, match="n_levels=3 allows only 0..2"):
        dequantized_log_likelihood(model, [[0, 3]], 3)
    with pytest.raises(ValueError, match="negative levels"):
        dequantized_log_likelihood(model, [[0, -1]], 3)
    with pytest.raises(ValueError, match="NaN"):
        dequantized_log_likelihood(model, [[0, np.nan]], 3)
    with pytest.raises(ValueError, match="2-dimensional"):
        dequantized_log_likelihood(model, [0, 1], 3)
    with pytest.raises(ValueError, match="n_draws must be an integer >= 1"):
        dequantized_log_likelihood(model, X, 3, n_draws=0)
    with pytest.raises(ValueError, match="n_levels must be an integer >= 1"):
        dequantized_log_likelihood(model, X, 0)
    with pytest.raises(ValueError, match="random_state must be None"):
        dequantized_log_likelihood(model, X, 3, random_state=-1)
    with pytest.raises(ValueError, match="score_samples method"):
        dequantized_log_likelihood(42, X, 3)
    with pytest.raises(ValueError, match=r"returned shape \(2, 1\)"):
        dequantized_log_likelihood(lambda Y: np.zeros((len(Y), 1)), X, 3)
    with pytest.raises(ValueError, match="NaN or \\+inf"):
        dequantized_log_likelihood(lambda Y: np.full(len(Y), np.nan), X, 3)
    with pytest.raises(ValueError, match="NaN or \\+inf"):
        discrete_bits_per_pixel(lambda Y: np.full(len(Y), np.inf), X)


def test_a_callable_log_density_is_accepted_and_zero_density_gives_infinite_bits():
    X = np.array([[0, 1], [2, 0]])
    flat = dequantized_log_likelihood(lambda Y: np.zeros(len(Y)), X, 3)
    assert_allclose(flat, -2 * math.log(3), rtol=1e-15)  # the uniform density on [0,1]^2
    assert dequantized_bits_per_pixel(lambda Y: np.full(len(Y), -np.inf), X, 3) == math.inf


# ----------------------------------------------------------------- the digits
def test_digits_split_is_the_choosing_chapters_split():
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    X_fit, X_val, X_test, y_fit, y_val, y_test = digits_split()
    assert (X_fit.shape, X_val.shape, X_test.shape) == ((1077, 64), (360, 64), (360, 64))
    for X in (X_fit, X_val, X_test):
        assert X.dtype == np.intp and X.min() == 0 and X.max() == DIGITS_LEVELS - 1
    # together they are the whole data set (as multisets of (image, label) rows)
    digits = load_digits()
    rows = np.column_stack([np.vstack([X_fit, X_val, X_test]), np.r_[y_fit, y_val, y_test]])
    everything = np.column_stack([digits.data, digits.target]).astype(np.intp)
    assert_array_equal(np.unique(rows, axis=0), np.unique(everything, axis=0))
    assert len(rows) == len(everything)
    # the chapter's code, as it stands in the notebook, gives the same test images
    source = "".join(
        "".join(c["source"])
        for c in json.loads((ROOT / "book/choosing/choosing.ipynb").read_text())["cells"]
    )
    assert "SEED = 2026" in source and "test_size=0.2," in source
    assert "test_size=0.25, random_state=SEED, stratify=y_train" in source
    _, X_test_chapter, _, y_test_chapter = train_test_split(
        digits.data / 16.0, digits.target, test_size=0.2, random_state=2026, stratify=digits.target
    )
    assert_array_equal(X_test, X_test_chapter * 16)
    assert_array_equal(y_test, y_test_chapter)


# ------------------------------------------- the importance-sampling estimate
def test_1d_importance_estimate_tightens_towards_the_exact_value():
    log_P, bound = exact_1d()
    X = np.arange(L1)[:, None]
    K = 7
    iw = dequantized_log_likelihood(
        Beta1D(), X, L1, n_draws=K, random_state=3, average="probability"
    )
    u = np.random.default_rng(3).uniform(size=(K, L1, 1))
    densities = np.array([BETA.pdf((X[:, 0] + u[k, :, 0]) / L1) for k in range(K)])
    assert_allclose(iw, np.log(densities.mean(axis=0) / L1), rtol=1e-13)
    jensen = dequantized_log_likelihood(Beta1D(), X, L1, n_draws=K, random_state=3)
    assert np.all(iw >= jensen)  # log-mean-exp >= mean-log, draw by draw
    # with many draws the estimate reaches log P(x), beyond the Jensen bound
    many = dequantized_log_likelihood(
        Beta1D(), X, L1, n_draws=20000, random_state=0, average="probability"
    )  # (one call per draw: 4 rows each, a few seconds)
    assert_allclose(many, log_P, atol=5e-3)
    assert np.all(many > bound + 1e-3)
    # one draw: both are the same number
    one = [
        dequantized_log_likelihood(Beta1D(), X, L1, n_draws=1, average=a)
        for a in ("log", "probability")
    ]
    assert_allclose(one[0], one[1], rtol=1e-14)


def test_importance_estimate_is_exact_for_a_cell_constant_density():
    table = np.random.default_rng(2).dirichlet(np.ones(L2**D2)).reshape((L2,) * D2)
    got = dequantized_log_likelihood(
        CellConstant(table, L2), IMAGES, L2, n_draws=3, average="probability"
    )
    assert_allclose(got, np.log(table[tuple(IMAGES.T)]), rtol=1e-12, atol=1e-13)
    with pytest.raises(ValueError, match="average must be 'log' or 'probability'; got 'mean'"):
        dequantized_log_likelihood(CellConstant(table, L2), IMAGES, L2, average="mean")
