"""The Gaussian mathematics of genlab.gaussian (Cholesky factors, triangular inverse,
whitening, log-determinants, log-densities) against scipy.stats, NumPy's linear algebra and
50-digit arithmetic (mpmath); the estimators that use it (GaussianNB, GaussianMixture,
GaussianHMM) against scipy.stats; and a check that the formula lives in one place."""

import re
from pathlib import Path

import mpmath
import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy.linalg import solve_triangular
from scipy.spatial.distance import mahalanobis as scipy_mahalanobis
from scipy.stats import multivariate_normal, norm

from genlab.gaussian import (
    cholesky_factor,
    log_det_factor,
    logpdf_from_mahalanobis,
    multivariate_normal_logpdf,
    precision_cholesky,
    triangular_inverse,
    whiten,
)
from genlab.hmm import GaussianHMM
from genlab.mixture import (
    COVARIANCE_TYPES,
    _log_gaussian_prob,
    _log_gaussian_prob_fast,
    _precision_cholesky,
)
from genlab.naive_bayes import GaussianNB

TIGHT = {"rtol": 1e-12, "atol": 1e-12}


def random_spd(d, rng, ridge=0.1):
    A = rng.normal(size=(d, d))
    return A @ A.T + ridge * d * np.eye(d)


def correlation_with_condition(d, condition, rng):
    """A correlation matrix (unit diagonal) whose condition number is about ``condition``."""
    Q, _ = np.linalg.qr(rng.normal(size=(d, d)))
    S = Q @ np.diag(np.geomspace(1.0, 1.0 / condition, d)) @ Q.T
    scale = np.sqrt(np.diag(S))
    C = S / np.outer(scale, scale)
    return (C + C.T) / 2


def scipy_logpdfs(X, means, covariances):
    """The oracle's log-density of every row under every Gaussian, shape (n, K)."""
    pairs = zip(means, covariances, strict=True)
    return np.column_stack([multivariate_normal(m, c).logpdf(X) for m, c in pairs])


def mp_logpdf(X, mean, cov, digits=50):
    """The log-density in 50-digit arithmetic: an oracle that rounding cannot reach."""
    with mpmath.workdps(digits):
        S = mpmath.matrix(cov.tolist())
        log_det = mpmath.log(mpmath.det(S))
        d = len(mean)
        out = []
        for x in X:
            dev = mpmath.matrix(
                [mpmath.mpf(float(a)) - mpmath.mpf(float(m)) for a, m in zip(x, mean, strict=True)]
            )
            squared = (dev.T * mpmath.lu_solve(S, dev))[0]
            out.append(float(-(d * mpmath.log(2 * mpmath.pi) + log_det + squared) / 2))
    return np.array(out)


# ------------------------------------------------------------ the log-density
@pytest.mark.parametrize("d", [1, 2, 5, 20])
def test_full_covariance_logpdf_matches_scipy(d):
    rng = np.random.default_rng(d)
    mean, cov = rng.normal(size=d), random_spd(d, rng)
    X = rng.multivariate_normal(mean, cov, size=100) + rng.normal(size=(100, d))
    P = precision_cholesky(cov)
    assert_allclose(
        multivariate_normal_logpdf(X, mean, P), multivariate_normal(mean, cov).logpdf(X), **TIGHT
    )


def test_one_dimension_matches_scipy_norm_in_every_form():
    x = np.array([[-3.0], [0.1], [2.5], [40.0]])
    expected = norm.logpdf(x[:, 0], 0.7, 1.3)
    for P in (
        precision_cholesky([[1.3**2]]),
        precision_cholesky([1.3**2]),
        precision_cholesky(1.3**2),
    ):
        assert_allclose(multivariate_normal_logpdf(x, [0.7], P), expected, **TIGHT)


def test_a_single_row_gives_one_value():
    rng = np.random.default_rng(0)
    mean, cov = rng.normal(size=3), random_spd(3, rng)
    x = rng.normal(size=(1, 3))
    out = multivariate_normal_logpdf(x, mean, precision_cholesky(cov))
    assert out.shape == (1,)
    assert out[0] == pytest.approx(multivariate_normal(mean, cov).logpdf(x[0]), rel=1e-13)


def test_diagonal_and_spherical_factors_match_products_of_scipy_norms():
    rng = np.random.default_rng(1)
    mean, var = rng.normal(size=4), rng.uniform(0.1, 5.0, size=4)
    X = rng.normal(size=(50, 4)) * 3
    expected = norm.logpdf(X, mean, np.sqrt(var)).sum(axis=1)
    assert_allclose(
        multivariate_normal_logpdf(X, mean, precision_cholesky(var)), expected, **TIGHT
    )
    assert_allclose(
        multivariate_normal_logpdf(X, mean, precision_cholesky(np.diag(var))), expected, **TIGHT
    )
    spherical = norm.logpdf(X, mean, np.sqrt(2.5)).sum(axis=1)
    assert_allclose(
        multivariate_normal_logpdf(X, mean, precision_cholesky(2.5)), spherical, **TIGHT
    )


def test_far_from_the_origin_the_density_keeps_its_precision():
    # Points 1e8 away from the origin with a unit-scale covariance: x - mu is exact there
    # (Sterbenz), so the oracle is scipy at the origin. An expanded x^T P - mu^T P would
    # lose about 8 digits.
    rng = np.random.default_rng(2)
    cov = random_spd(3, rng)
    mean = np.array([1e8, -3e8, 2e8])
    X = mean + rng.normal(size=(200, 3))
    expected = multivariate_normal(np.zeros(3), cov).logpdf(X - mean)
    P = precision_cholesky(cov)
    assert_allclose(multivariate_normal_logpdf(X, mean, P), expected, **TIGHT)
    assert_allclose(multivariate_normal(mean, cov).logpdf(X), expected, rtol=1e-10)
    var = np.diag(cov)
    assert_allclose(
        multivariate_normal_logpdf(X, mean, precision_cholesky(var)),
        norm.logpdf(X - mean, 0.0, np.sqrt(var)).sum(axis=1),
        **TIGHT,
    )


def test_badly_scaled_covariance_is_exact():
    # Units from 2^-20 to 2^20: the covariance's condition number is ~1e24, but its
    # correlation matrix is well conditioned. Scaling by powers of two is exact, so the
    # oracle is scipy on the standardised data, with the Jacobian of the scaling.
    rng = np.random.default_rng(3)
    C = correlation_with_condition(4, 10.0, rng)
    D = 2.0 ** np.array([-20, -7, 5, 20])
    cov = C * np.outer(D, D)
    mean = rng.normal(size=4) * D
    X = mean + rng.multivariate_normal(np.zeros(4), C, size=100) * D
    expected = multivariate_normal(mean / D, C).logpdf(X / D) - np.log(D).sum()
    assert_allclose(
        multivariate_normal_logpdf(X, mean, precision_cholesky(cov)), expected, **TIGHT
    )


@pytest.mark.parametrize("condition", [1e4, 1e6, 1e8, 1e11])
def test_ill_conditioned_covariance_matches_50_digit_arithmetic(condition):
    # A perturbation of Sigma's entries by one rounding moves the density by up to about
    # condition * eps (relative), whatever the algorithm: up to a condition number of
    # 1e6 the result agrees with the exact one (and with scipy) to 1e-10; beyond, it
    # stays within the error that the problem itself implies.
    rng = np.random.default_rng(4)
    cov = correlation_with_condition(5, condition, rng) * 3.0
    mean = rng.normal(size=5)
    X = mean + rng.multivariate_normal(np.zeros(5), cov, size=20)
    ours = multivariate_normal_logpdf(X, mean, precision_cholesky(cov))
    exact = mp_logpdf(X, mean, cov)
    assert_allclose(ours, exact, rtol=max(1e-10, condition * np.finfo(float).eps))
    if condition <= 1e6:
        assert_allclose(ours, exact, rtol=1e-10)
        assert_allclose(ours, multivariate_normal(mean, cov).logpdf(X), rtol=1e-10)


def test_logpdf_from_mahalanobis_is_the_normal_log_density():
    # one Gaussian by hand: d = 2, squared distance 3, |Sigma| = 4, so log|P| = -log 2
    value = logpdf_from_mahalanobis(3.0, 2, -np.log(2.0))
    assert value == pytest.approx(-np.log(2 * np.pi) - 1.5 - np.log(2.0), rel=1e-15)
    # several Gaussians at once: (n, K) distances with (K,) log-determinants
    rng = np.random.default_rng(5)
    covs = [random_spd(3, rng) for _ in range(2)]
    means = rng.normal(size=(2, 3))
    X = rng.normal(size=(10, 3))
    squared = np.column_stack(
        [
            [scipy_mahalanobis(x, m, np.linalg.inv(c)) ** 2 for x in X]
            for m, c in zip(means, covs, strict=True)
        ]
    )
    log_dets = np.array([-0.5 * np.linalg.slogdet(c)[1] for c in covs])
    expected = scipy_logpdfs(X, means, covs)
    assert_allclose(logpdf_from_mahalanobis(squared, 3, log_dets), expected, rtol=1e-10)


def test_logpdf_stays_finite_where_the_density_underflows():
    P = precision_cholesky(np.eye(50))
    far = np.full((1, 50), 40.0)
    out = multivariate_normal_logpdf(far, np.zeros(50), P)
    assert out[0] == pytest.approx(-25 * np.log(2 * np.pi) - 0.5 * 50 * 1600, rel=1e-15)
    assert np.exp(out[0]) == 0.0


# ------------------------------------------------------------ the pieces
def test_whiten_gives_the_triangular_solve_and_the_mahalanobis_distance():
    rng = np.random.default_rng(6)
    mean, cov = rng.normal(size=4), random_spd(4, rng)
    X = rng.normal(size=(30, 4))
    L = np.linalg.cholesky(cov)
    z = whiten(X, mean, precision_cholesky(cov))
    assert_allclose(z, solve_triangular(L, (X - mean).T, lower=True).T, **TIGHT)
    inv = np.linalg.inv(cov)
    expected = [scipy_mahalanobis(x, mean, inv) for x in X]
    assert_allclose(np.linalg.norm(z, axis=1), expected, rtol=1e-12)
    X_before = X.copy()
    whiten(X, mean, precision_cholesky(np.diag(cov)))  # the diagonal case scales in place ...
    assert_array_equal(X, X_before)  # ... its own copy, never the caller's data


def test_cholesky_factor_reproduces_the_covariance():
    rng = np.random.default_rng(7)
    cov = random_spd(6, rng)
    L = cholesky_factor(cov)
    assert_array_equal(L, np.tril(L))
    assert np.all(np.diag(L) > 0)
    assert_allclose(L, np.linalg.cholesky(cov), **TIGHT)
    assert_allclose(L @ L.T, cov, **TIGHT)


def test_triangular_inverse_inverts_and_ignores_the_upper_triangle():
    rng = np.random.default_rng(8)
    L = np.linalg.cholesky(random_spd(5, rng))
    inverse = triangular_inverse(L)
    assert_allclose(inverse, solve_triangular(L, np.eye(5), lower=True), **TIGHT)
    assert_allclose(L @ inverse, np.eye(5), atol=1e-13)
    garbage = L + np.triu(rng.normal(size=(5, 5)), k=1)  # only the lower triangle counts
    assert_array_equal(triangular_inverse(garbage), inverse)
    assert_array_equal(inverse, np.tril(inverse))


def test_precision_cholesky_factors_the_inverse_covariance():
    rng = np.random.default_rng(9)
    cov = random_spd(5, rng)
    P = precision_cholesky(cov)
    assert_array_equal(P, np.triu(P))  # upper triangular, P = L^{-T}
    assert_allclose(P @ P.T, np.linalg.inv(cov), rtol=1e-10, atol=1e-12)
    assert_allclose(precision_cholesky([4.0, 0.25]), [0.5, 2.0], rtol=1e-15)
    assert float(precision_cholesky(16.0)) == 0.25


def test_log_det_factor_is_half_the_log_determinant():
    rng = np.random.default_rng(10)
    cov = random_spd(8, rng)
    log_det = np.linalg.slogdet(cov)[1]
    assert log_det_factor(np.linalg.cholesky(cov), 8) == pytest.approx(0.5 * log_det, rel=1e-13)
    assert log_det_factor(precision_cholesky(cov), 8) == pytest.approx(-0.5 * log_det, rel=1e-13)
    assert log_det_factor(np.array([2.0, 3.0]), 2) == pytest.approx(np.log(6.0), rel=1e-15)
    assert log_det_factor(np.float64(2.0), 5) == pytest.approx(5 * np.log(2.0), rel=1e-15)
    # in high dimension the determinant itself overflows; its logarithm does not
    big = np.full(400, 10.0)
    with np.errstate(over="ignore"):
        assert np.isinf(np.prod(big**2))
    assert log_det_factor(big, 400) == pytest.approx(400 * np.log(10.0), rel=1e-14)


# ------------------------------------------------------------ bad input
@pytest.mark.parametrize(
    ("covariance", "message"),
    [
        (np.ones(3), r"square matrix; got shape \(3,\)"),
        (np.ones((2, 3)), r"square matrix; got shape \(2, 3\)"),
        ([[1.0, np.nan], [np.nan, 1.0]], "NaN or infinity"),
        ([[1.0, 0.0], [0.0, 0.0]], "singular .a feature has zero variance"),
        ([[1.0, 2.0], [2.0, 1.0]], "not positive definite"),
        ([[1.0, 1 - 1e-14], [1 - 1e-14, 1.0]], "singular"),
        # condition number (1 + r) / (1 - r) = 2e9, bounded below by 1 / (1 - r^2) = 5e8
        ([[1.0, 1 - 1e-9], [1 - 1e-9, 1.0]], r"nearly singular .* at least 5\.0e\+08"),
    ],
)
def test_cholesky_factor_says_what_is_wrong(covariance, message):
    with pytest.raises(ValueError, match=message):
        cholesky_factor(covariance, max_condition=1e8)


def test_messages_name_the_matrix_and_the_remedy():
    with pytest.raises(ValueError, match=r"^covars_\[2\] is singular .*; increase min_covar$"):
        cholesky_factor(np.zeros((2, 2)), name="covars_[2]", remedy="increase min_covar")
    with pytest.raises(ValueError, match="reg_covar > 0"):
        precision_cholesky([[1.0, 2.0], [2.0, 1.0]])


def test_max_condition_none_accepts_what_can_be_factorised():
    cov = np.array([[1.0, 1 - 1e-13], [1 - 1e-13, 1.0]])  # condition ~2e13
    with pytest.raises(ValueError, match="nearly singular"):
        cholesky_factor(cov)
    L = cholesky_factor(cov, max_condition=None)
    assert_allclose(L @ L.T, cov, rtol=1e-15, atol=1e-15)


@pytest.mark.parametrize(
    ("covariance", "message"),
    [
        ([1.0, 0.0], r"must be positive .*got 0\.0"),
        (-1.0, r"must be positive .*got -1\.0"),
        ([1.0, np.inf], "NaN or infinity"),
        (np.ones((2, 2, 2)), r"a matrix, a vector of variances or one variance; got shape"),
    ],
)
def test_precision_cholesky_says_what_is_wrong(covariance, message):
    with pytest.raises(ValueError, match=message):
        precision_cholesky(covariance)


def test_log_det_factor_refuses_a_diagonal_that_is_not_positive():
    for factor in ([[1.0, 0.0], [0.3, -2.0]], [1.0, 0.0], -1.0, [1.0, np.nan]):
        with pytest.raises(ValueError, match="diagonal must be positive and finite; got"):
            log_det_factor(factor, 2)


def test_triangular_inverse_says_what_is_wrong():
    with pytest.raises(ValueError, match="diagonal entry 1 is zero"):
        triangular_inverse([[1.0, 0.0], [1.0, 0.0]])
    with pytest.raises(ValueError, match="square matrix"):
        triangular_inverse(np.ones((2, 3)))
    with pytest.raises(ValueError, match="NaN or infinity"):
        triangular_inverse([[np.nan]])


@pytest.mark.parametrize(
    ("X", "mean", "P", "message"),
    [
        (np.zeros(3), np.zeros(3), np.ones(3), r"X must be 2-D"),
        (np.zeros((2, 3)), np.zeros(2), np.ones(3), r"mean must have shape \(3,\)"),
        (np.zeros((2, 3)), np.zeros(3), np.ones(2), r"precision_cholesky must have shape"),
        (np.zeros((2, 3)), np.zeros(3), np.eye(2), r"precision_cholesky must have shape"),
        ([[0.0, np.nan]], np.zeros(2), np.ones(2), "X contains NaN or infinity"),
        (np.zeros((1, 2)), [np.inf, 0.0], np.ones(2), "mean contains NaN or infinity"),
        (np.zeros((1, 2)), np.zeros(2), [np.nan, 1.0], "precision_cholesky contains NaN"),
    ],
)
def test_log_density_checks_its_input(X, mean, P, message):
    with pytest.raises(ValueError, match=message):
        multivariate_normal_logpdf(X, mean, P)
    with pytest.raises(ValueError, match=message):
        whiten(X, mean, P)


# ------------------------------------------------------------ the estimators use it
def mixture_parameters(covariance_type, rng, K=3, d=4):
    means = rng.normal(size=(K, d)) * 3
    full = np.array([random_spd(d, rng) for _ in range(K)])
    covariances = {
        "full": full,
        "tied": full[0],
        "diag": np.array([np.diag(c) for c in full]),
        "spherical": np.array([np.mean(np.diag(c)) for c in full]),
    }[covariance_type]
    as_matrices = {
        "full": full,
        "tied": np.array([full[0]] * K),
        "diag": np.array([np.diag(np.diag(c)) for c in full]),
        "spherical": np.array([np.eye(d) * np.mean(np.diag(c)) for c in full]),
    }[covariance_type]
    return means, covariances, as_matrices


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_mixture_log_densities_match_scipy(covariance_type):
    rng = np.random.default_rng(11)
    means, covariances, matrices = mixture_parameters(covariance_type, rng)
    X = rng.normal(size=(200, 4)) * 4
    P = _precision_cholesky(covariances, covariance_type)
    expected = scipy_logpdfs(X, means, matrices)
    assert_allclose(_log_gaussian_prob(X, means, P, covariance_type), expected, **TIGHT)
    # the fast version (expanded distances, for data centred near the origin) agrees
    assert_allclose(_log_gaussian_prob_fast(X, means, P, covariance_type), expected, rtol=1e-11)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_fast_mixture_density_equals_the_readable_one_on_centred_data(covariance_type):
    # far from the origin, as the mixture calls it: on data centred at their mean
    rng = np.random.default_rng(12)
    means, covariances, _ = mixture_parameters(covariance_type, rng)
    offset = np.array([1e7, -2e7, 5e6, 3e7])
    X = offset + rng.normal(size=(300, 4)) * 4
    P = _precision_cholesky(covariances, covariance_type)
    reference = _log_gaussian_prob(X, means + offset, P, covariance_type)
    center = X.mean(axis=0)
    fast = _log_gaussian_prob_fast(X - center, means + offset - center, P, covariance_type)
    assert_allclose(fast, reference, rtol=1e-11, atol=1e-11)


def test_mixture_precision_factors_name_the_component_and_the_remedy():
    covariances = np.array([np.eye(2), [[1.0, 1.0], [1.0, 1.0]]])
    with pytest.raises(ValueError, match="covariance of component 1 is singular.*reg_covar"):
        _precision_cholesky(covariances, "full")
    with pytest.raises(ValueError, match="covariance of component 0 must be positive.*reg_covar"):
        _precision_cholesky(np.array([[0.0, 1.0], [1.0, 1.0]]), "diag")


def test_gaussian_naive_bayes_is_a_sum_of_scipy_norms():
    rng = np.random.default_rng(13)
    X = rng.normal(size=(300, 5)) * [1.0, 10.0, 0.1, 3.0, 1.0] + 1e6
    y = rng.integers(0, 3, size=300)
    nb = GaussianNB().fit(X, y)
    expected = np.column_stack(
        [
            norm.logpdf(X, nb.theta_[c], np.sqrt(nb.var_[c])).sum(axis=1) + np.log(nb.priors_[c])
            for c in range(3)
        ]
    )
    assert_allclose(nb.predict_joint_log_proba(X), expected, rtol=1e-12)


@pytest.mark.parametrize("covariance_type", ["diag", "full"])
def test_gaussian_hmm_emissions_match_scipy(covariance_type):
    rng = np.random.default_rng(14)
    means, _, matrices = mixture_parameters("full", rng)
    model = GaussianHMM(3, covariance_type=covariance_type, init_params="")
    model.startprob_, model.transmat_ = np.full(3, 1 / 3), np.full((3, 3), 1 / 3)
    model.means_ = means + 1e6
    model.covars_ = (
        matrices if covariance_type == "full" else np.diagonal(matrices, axis1=1, axis2=2)
    )
    covs = model.covars_ if covariance_type == "full" else [np.diag(v) for v in model.covars_]
    X = 1e6 + rng.normal(size=(100, 4)) * 3
    model._check_emission()
    expected = scipy_logpdfs(X, model.means_, covs)
    log_b = model._log_emission(X)
    assert log_b.flags.c_contiguous
    assert_allclose(log_b, expected, rtol=1e-10)


# ------------------------------------------------------------ one home
GENLAB = Path(__file__).resolve().parents[1] / "genlab"
HOME = GENLAB / "gaussian.py"
#: The Gaussian log-density's normalising constant and the triangular inverse, however
#: spelled: log(2 pi) (or its numerical value), log sqrt(2 pi), LAPACK's trtri; and a
#: density borrowed from scipy.stats instead.
FORMULA = re.compile(
    r"log\(\s*2(\.0)?\s*\*\s*(np|math|numpy|torch)\.pi"
    r"|log\(\s*(np|math|numpy|torch)\.pi\s*\*\s*2"
    r"|sqrt\(\s*2(\.0)?\s*\*\s*(np|math|numpy|torch)\.pi"
    r"|LOG_2PI|LOG_SQRT_2PI|1\.837877|0\.918938"
    r"|trtri"
    r"|scipy\.stats|(?<![.\w])multivariate_normal\(|norm\.(log)?pdf"  # not rng's sampler
)
#: PyTorch modules compute their densities on tensors, for autograd, and cannot call
#: NumPy functions; they are allowed their own copy.
TORCH_MODULES = {
    "vae.py",
    "vae_classifier.py",
    "flow.py",
    "discrete_vae.py",
    "diffusion.py",
    "hierarchical_vae.py",
}
#: The benchmark harness checks genlab's results against the peer libraries' before it
#: times them; its checks must not call the genlab code they check.
BENCHMARKS = GENLAB / "benchmarks"


def code_lines(path):
    """The module's lines, without comments (docstrings may show the equation)."""
    return [line.split("#")[0] for line in path.read_text().splitlines()]


def test_the_gaussian_formula_and_the_triangular_inverse_live_in_genlab_gaussian():
    # The search finds what it looks for: the home has both.
    home = "\n".join(code_lines(HOME))
    assert FORMULA.search(home) and "dtrtri" in home
    offenders = []
    for path in sorted(GENLAB.rglob("*.py")):
        if path == HOME or BENCHMARKS in path.parents:
            continue
        text = path.read_text()
        if path.name in TORCH_MODULES:
            assert "import torch" in text, f"{path.name} is exempt as a PyTorch module"
            continue
        offenders += [
            f"{path.name}:{i}: {line.strip()}"
            for i, line in enumerate(code_lines(path), start=1)
            if FORMULA.search(line)
        ]
    assert not offenders, (
        "a Gaussian density or triangular inverse outside genlab/gaussian.py; use "
        "genlab.gaussian's functions instead:\n" + "\n".join(offenders)
    )


def test_the_search_would_find_the_formulas_that_were_removed():
    removed = [
        "log_norm = -0.5 * np.sum(np.log(2.0 * np.pi * self.var_), axis=1)",  # GaussianNB
        "return np.asarray(-0.5 * (d * np.log(2 * np.pi) + np.log(v).sum(axis=1) + z2))",  # HMM
        "return -0.5 * (d * np.log(2.0 * np.pi) + squared) + log_det",  # mixture
        "inverse, info = dtrtri(L, lower=1)",  # mixture's triangular inverse
        "_LOG_2PI = math.log(2 * math.pi)",
        "from scipy.stats import multivariate_normal",
    ]
    assert all(FORMULA.search(line) for line in removed)
