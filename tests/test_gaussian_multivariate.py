"""MultivariateNormal against scipy.stats and NumPy; GaussianClassifier against
scikit-learn's QuadraticDiscriminantAnalysis; sampling, degenerate and bad input."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy.spatial.distance import mahalanobis as scipy_mahalanobis
from scipy.stats import multivariate_normal, norm
from sklearn.datasets import load_digits, load_iris, load_wine, make_classification
from sklearn.discriminant_analysis import QuadraticDiscriminantAnalysis

from genlab.gaussian import GaussianClassifier, MultivariateNormal


def random_spd(d, rng):
    A = rng.normal(size=(d, d))
    return A @ A.T + d * 0.1 * np.eye(d)


@pytest.mark.parametrize("d", [1, 2, 5, 20, 50])
def test_logpdf_matches_scipy_on_random_spd_matrices(d):
    rng = np.random.default_rng(d)
    mean, cov = rng.normal(size=d), random_spd(d, rng)
    X = rng.multivariate_normal(mean, cov, size=200) + rng.normal(size=(200, d))
    dist = MultivariateNormal.from_parameters(mean, cov)
    oracle = multivariate_normal(mean, cov)
    assert_allclose(dist.logpdf(X), oracle.logpdf(X), rtol=1e-10, atol=1e-10)
    assert_allclose(dist.pdf(X[:5]), oracle.pdf(X[:5]), rtol=1e-10, atol=1e-300)
    assert dist.entropy() == pytest.approx(oracle.entropy(), rel=1e-10)
    inv = np.linalg.inv(cov)
    expected = [scipy_mahalanobis(x, mean, inv) for x in X[:10]]
    assert_allclose(dist.mahalanobis(X[:10]), expected, rtol=1e-9)


def test_single_point_gives_a_float():
    dist = MultivariateNormal.from_parameters([0.0, 0.0], np.eye(2))
    value = dist.logpdf([0.0, 0.0])
    assert isinstance(value, float) and value == pytest.approx(-np.log(2 * np.pi))
    assert isinstance(dist.mahalanobis([3.0, 4.0]), float)
    assert dist.mahalanobis([3.0, 4.0]) == pytest.approx(5.0)


@pytest.mark.parametrize("ddof", [0, 1])
def test_fit_is_the_ml_or_unbiased_estimate(ddof):
    X = load_iris().data
    dist = MultivariateNormal(ddof=ddof).fit(X)
    assert_allclose(dist.mean_, X.mean(axis=0), rtol=1e-14)
    assert_allclose(dist.covariance_, np.cov(X.T, ddof=ddof), rtol=1e-12)
    assert_allclose(dist.cholesky_ @ dist.cholesky_.T, dist.covariance_, rtol=1e-12)


def test_logpdf_stays_finite_where_the_density_underflows():
    rng = np.random.default_rng(0)
    dist = MultivariateNormal.from_parameters(np.zeros(50), random_spd(50, rng))
    far = np.full((1, 50), 40.0)
    assert dist.pdf(far)[0] == 0.0
    assert np.isfinite(dist.logpdf(far)[0])


def test_sample_has_the_right_moments():
    rng = np.random.default_rng(3)
    mean, cov = rng.normal(size=3), random_spd(3, rng)
    n = 50_000
    S = MultivariateNormal.from_parameters(mean, cov).sample(n, random_state=0)
    se_mean = np.sqrt(np.diag(cov) / n)
    assert np.all(np.abs(S.mean(axis=0) - mean) < 4 * se_mean)
    se_cov = np.sqrt((np.outer(np.diag(cov), np.diag(cov)) + cov**2) / n)
    assert np.all(np.abs(np.cov(S.T) - cov) < 4 * se_cov)


# ------------------------------------------------------------ GaussianClassifier
def datasets():
    X, y = make_classification(
        n_samples=900,
        n_features=20,
        n_informative=10,
        n_redundant=0,
        n_classes=5,
        random_state=0,
    )
    return {
        "iris": (load_iris().data, load_iris().target),
        "wine": (load_wine().data, load_wine().target),
        "random20": (X, y),
    }


DATA = datasets()


def qda_ddof(qda, X, y):
    """The covariance divisor of the installed QDA: n - 1 before scikit-learn 1.9, n since."""
    X0 = X[y == qda.classes_[0]]
    for ddof in (0, 1):
        if np.allclose(qda.covariance_[0], np.cov(X0.T, ddof=ddof), rtol=1e-10):
            return ddof
    raise AssertionError("QDA's covariance is neither the ML nor the unbiased estimate")


@pytest.mark.parametrize("name", list(DATA))
def test_classifier_matches_sklearn_qda(name):
    X, y = DATA[name]
    qda = QuadraticDiscriminantAnalysis(store_covariance=True).fit(X, y)
    ours = GaussianClassifier(ddof=qda_ddof(qda, X, y)).fit(X, y)
    assert_allclose(ours.means_, qda.means_, rtol=1e-12, atol=1e-12)
    assert_allclose(ours.priors_, qda.priors_, rtol=1e-14)
    assert_allclose(ours.covariances_, np.array(qda.covariance_), rtol=1e-10, atol=1e-12)
    assert_allclose(ours.predict_log_proba(X), qda.predict_log_proba(X), rtol=1e-8, atol=1e-8)
    assert_allclose(ours.predict_proba(X), qda.predict_proba(X), rtol=1e-8, atol=1e-12)
    assert_array_equal(ours.predict(X), qda.predict(X))
    assert ours.score(X, y) == pytest.approx(qda.score(X, y))


def test_classifier_with_priors_matches_qda():
    X, y = DATA["iris"]
    priors = [0.5, 0.3, 0.2]
    qda = QuadraticDiscriminantAnalysis(priors=priors, store_covariance=True).fit(X, y)
    ours = GaussianClassifier(ddof=qda_ddof(qda, X, y), priors=priors).fit(X, y)
    assert_allclose(ours.predict_log_proba(X), qda.predict_log_proba(X), rtol=1e-8, atol=1e-8)


def test_classifier_log_joint_is_prior_plus_class_density():
    X, y = DATA["wine"]
    clf = GaussianClassifier().fit(X, y)
    for k, c in enumerate(clf.classes_):
        Xc = X[y == c]
        oracle = multivariate_normal(Xc.mean(0), np.cov(Xc.T, ddof=0))
        assert_allclose(
            clf.predict_joint_log_proba(X)[:, k],
            oracle.logpdf(X) + np.log(np.mean(y == c)),
            rtol=1e-10,
        )


def test_classifier_samples_follow_the_fitted_classes():
    X, y = DATA["iris"]
    clf = GaussianClassifier().fit(X, y)
    n = 30_000
    Xs, ys = clf.sample(n, random_state=0)
    freq = np.bincount(ys, minlength=3) / n
    assert np.all(np.abs(freq - clf.priors_) < 4 * np.sqrt(clf.priors_ / n))
    for k in range(3):
        Xk = Xs[ys == k]
        se = np.sqrt(np.diag(clf.covariances_[k]) / len(Xk))
        assert np.all(np.abs(Xk.mean(0) - clf.means_[k]) < 4 * se)


def test_singular_class_covariance_errors_clearly_or_is_regularised():
    X, y = load_digits(return_X_y=True)  # pixels that are constant within a class
    with pytest.raises(ValueError, match="class 0: .*singular.*reg_covar"):
        GaussianClassifier().fit(X, y)
    clf = GaussianClassifier(reg_covar=0.1).fit(X, y)
    assert np.all(np.isfinite(clf.predict_log_proba(X)))
    assert clf.score(X, y) > 0.9


def test_fewer_samples_than_dimensions():
    X = np.random.default_rng(0).normal(size=(5, 8))
    with pytest.raises(ValueError, match="5 samples in 8 dimensions.*singular"):
        MultivariateNormal().fit(X)
    dist = MultivariateNormal(reg_covar=1e-3).fit(X)
    assert np.isfinite(dist.logpdf(X)).all()
    y = np.array([0, 0, 0, 1, 1])
    with pytest.raises(ValueError, match="class 0: X has 3 samples in 8 dimensions"):
        GaussianClassifier().fit(X, y)


def test_nearly_singular_covariance_errors():
    cov = np.array([[1.0, 1.0 - 1e-14], [1.0 - 1e-14, 1.0]])
    with pytest.raises(ValueError, match="singular"):
        MultivariateNormal.from_parameters([0.0, 0.0], cov)
    X = np.random.default_rng(0).normal(size=(50, 1))
    X2 = np.hstack([X, X + 1e-9])  # two features that are almost the same
    with pytest.raises(ValueError, match="singular"):
        MultivariateNormal().fit(X2)
    assert np.isfinite(MultivariateNormal(reg_covar=1e-6).fit(X2).logpdf(X2)).all()


@pytest.mark.parametrize(
    ("mean", "cov", "message"),
    [
        ([0.0, 0.0], [[1.0, 0.5], [0.2, 1.0]], "not symmetric"),
        ([0.0, 0.0], [[1.0, 2.0], [2.0, 1.0]], "not positive definite"),
        ([0.0, 0.0], [[1.0, 1.0], [1.0, 1.0]], "singular"),
        ([0.0, 0.0, 0.0], np.eye(2), r"shape \(3, 3\)"),
        ([0.0, np.nan], np.eye(2), "NaN or infinity"),
        ([0.0, 0.0], [[1.0, np.inf], [np.inf, 1.0]], "NaN or infinity"),
    ],
)
def test_bad_parameters(mean, cov, message):
    with pytest.raises(ValueError, match=message):
        MultivariateNormal.from_parameters(mean, cov)


def test_bad_data():
    dist = MultivariateNormal().fit(load_iris().data)
    # scikit-learn's wording, which its common checks look for
    expected = "X has 3 features, but MultivariateNormal is expecting 4 features as input"
    for method in (dist.logpdf, dist.score_samples, dist.mahalanobis):
        with pytest.raises(ValueError, match=expected):
            method(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=expected):
        dist.logpdf(np.zeros(3))  # a single point of the wrong length
    with pytest.raises(ValueError, match="NaN or infinity"):
        dist.logpdf([[np.nan, 0, 0, 0]])
    with pytest.raises(ValueError, match="NaN or infinity"):
        MultivariateNormal().fit([[1.0, np.nan], [2.0, 1.0], [0.0, 0.0]])
    with pytest.raises(ValueError, match="no parameters yet"):
        MultivariateNormal().logpdf([[0.0]])
    with pytest.raises(ValueError, match="ddof must be an integer >= 0 and <= 1"):
        MultivariateNormal(ddof=3).fit(load_iris().data)
    clf = GaussianClassifier().fit(*DATA["iris"])
    with pytest.raises(ValueError, match="X has 2 features, but GaussianClassifier"):
        clf.predict(np.zeros((1, 2)))
    with pytest.raises(ValueError, match="at least two classes"):
        GaussianClassifier().fit(load_iris().data, np.zeros(150))
    with pytest.raises(ValueError, match="priors must sum to 1"):
        GaussianClassifier(priors=[0.5, 0.5, 0.5]).fit(*DATA["iris"])


def test_conditioning_check_is_independent_of_units():
    # Very different scales, perfectly well conditioned: accepted and exact (oracle: the
    # product of two univariate normals).
    cov = np.diag([1e-8, 1e6])
    dist = MultivariateNormal.from_parameters([0.0, 0.0], cov)
    X = np.array([[1e-4, 1e3], [0.0, 0.0], [-2e-4, 5e2]])
    expected = norm.logpdf(X[:, 0], 0, 1e-4) + norm.logpdf(X[:, 1], 0, 1e3)
    assert_allclose(dist.logpdf(X), expected, rtol=1e-12)
    # Moderate scale but correlation 1 - 5e-15: rejected.
    bad = np.array([[1.0, 1e7], [1e7, 1e14 + 1.0]])
    with pytest.raises(ValueError, match="singular"):
        MultivariateNormal.from_parameters([0.0, 0.0], bad)
    # Data in wildly different units: oracle = scipy on the standardised data, with the
    # Jacobian of the scaling.
    rng = np.random.default_rng(0)
    scales = np.array([1e-4, 1e3])
    Xs = rng.normal(size=(200, 2)) @ [[1.0, 0.3], [0.0, 1.0]] * scales
    fitted = MultivariateNormal().fit(Xs)
    Z = Xs / scales
    oracle = multivariate_normal(Z.mean(0), np.cov(Z.T, ddof=0)).logpdf(Z)
    assert_allclose(fitted.logpdf(Xs), oracle - np.log(scales).sum(), rtol=1e-10)


def test_nonfinite_covariances_are_rejected():
    with pytest.raises(ValueError, match="NaN or infinity"):
        MultivariateNormal.from_parameters([0.0, 0.0], np.diag([np.inf, 1.0]))
    big = np.full((3, 2), 1e200) * [[1, -1], [-1, 1], [1, 1]]
    with pytest.raises(ValueError, match="so large .* overflow"):
        MultivariateNormal().fit(big)  # the covariance would overflow: said before fitting


def test_classifier_validates_ddof_and_reg_covar():
    X, y = DATA["iris"]
    for ddof in (-1, 3, 5):
        with pytest.raises(ValueError, match="ddof must be an integer >= 0 and <= 1"):
            GaussianClassifier(ddof=ddof).fit(X, y)
    with pytest.raises(ValueError, match="reg_covar must be a finite number >= 0"):
        GaussianClassifier(reg_covar=-1.0).fit(X, y)
