"""GaussianMixtureClassifier: one Gaussian mixture per class, checked against scipy.stats
(the joint log-likelihood from the fitted parameters, component by component), the
maximum-likelihood Gaussian for one component, a case QDA cannot solve, and bad input."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import logsumexp
from scipy.stats import multivariate_normal

from genlab.gaussian import GaussianClassifier
from genlab.mixture import GaussianMixtureClassifier


def two_diagonals(n=200, seed=0):
    """Class 0 on one diagonal (two blobs), class 1 on the other: an XOR layout."""
    rng = np.random.default_rng(seed)
    centres = {0: [(-3, -3), (3, 3)], 1: [(-3, 3), (3, -3)]}
    X, y = [], []
    for label, blobs in centres.items():
        for centre in blobs:
            X.append(rng.normal(centre, 0.7, size=(n // 4, 2)))
            y += [label] * (n // 4)
    return np.vstack(X), np.array(y)


def corners_and_edges(n=400, seed=0):
    """Class 0: four blobs at the corners (+-3, +-3); class 1: four blobs on the axes at
    radius sqrt(18). Both classes have mean 0 and covariance 9.25 I, so a single Gaussian
    per class (QDA) cannot tell them apart."""
    rng = np.random.default_rng(seed)
    r = np.sqrt(18)
    centres = {
        0: [(-3, -3), (-3, 3), (3, -3), (3, 3)],
        1: [(-r, 0), (r, 0), (0, -r), (0, r)],
    }
    X, y = [], []
    for label, blobs in centres.items():
        for centre in blobs:
            X.append(rng.normal(centre, 0.5, size=(n // 8, 2)))
            y += [label] * (n // 8)
    return np.vstack(X), np.array(y)


def scipy_joint_log_likelihood(model, X):
    columns = []
    for prior, mixture in zip(model.priors_, model.mixtures_, strict=True):
        parts = [
            np.log(w) + multivariate_normal(m, c).logpdf(X)
            for w, m, c in zip(mixture.weights_, mixture.means_, mixture.covariances_, strict=True)
        ]
        columns.append(np.log(prior) + logsumexp(parts, axis=0))
    return np.column_stack(columns)


@pytest.mark.parametrize("n_components", [1, 2, 3])
def test_joint_log_likelihood_matches_scipy(n_components):
    X, y = two_diagonals()
    model = GaussianMixtureClassifier(n_components, random_state=0).fit(X, y)
    expected = scipy_joint_log_likelihood(model, X)
    assert_allclose(model.predict_joint_log_proba(X), expected, rtol=1e-10)
    posterior = np.exp(expected - logsumexp(expected, axis=1, keepdims=True))
    assert_allclose(model.predict_proba(X), posterior, rtol=1e-9, atol=1e-14)
    assert_array_equal(model.predict(X), model.classes_[expected.argmax(axis=1)])


def test_one_component_is_the_maximum_likelihood_gaussian_per_class():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(300, 3)) @ rng.normal(size=(3, 3))
    y = rng.integers(0, 3, size=300)
    model = GaussianMixtureClassifier(1, reg_covar=1e-9, random_state=0).fit(X, y)
    for c, mixture in zip(model.classes_, model.mixtures_, strict=True):
        rows = X[y == c]
        assert_allclose(mixture.means_[0], rows.mean(axis=0), rtol=1e-10)
        covariance = np.cov(rows, rowvar=False, bias=True) + 1e-9 * np.eye(3)
        assert_allclose(mixture.covariances_[0], covariance, rtol=1e-9)
    assert_allclose(model.priors_, np.bincount(y) / len(y), rtol=1e-15)


def test_four_components_per_class_solve_what_qda_cannot():
    X, y = corners_and_edges(seed=2)
    X_test, y_test = corners_and_edges(seed=3)
    qda = GaussianClassifier().fit(X, y).score(X_test, y_test)
    mixture = GaussianMixtureClassifier(4, n_init=3, random_state=0).fit(X, y)
    assert qda < 0.7  # equal means and covariances: one Gaussian per class is near chance
    assert mixture.score(X_test, y_test) > 0.99


def test_sampling_is_reproducible_and_labelled():
    X, y = two_diagonals()
    model = GaussianMixtureClassifier(2, random_state=0).fit(X, y)
    a, labels = model.sample(50, random_state=5)
    b, _ = model.sample(50, random_state=5)
    assert a.shape == (50, 2) and set(labels) <= {0, 1}
    assert_array_equal(a, b)
    only_ones, labels = model.sample(20, y=1, random_state=0)
    assert np.all(labels == 1)
    assert np.all(np.abs(np.abs(only_ones) - 3) < 4)  # near the class-1 blobs


def test_bad_input():
    X, y = two_diagonals()
    with pytest.raises(ValueError, match="at least two classes"):
        GaussianMixtureClassifier(2).fit(X, np.zeros(len(X)))
    few = np.r_[y[:-3], [2, 2, 2]]  # class 2 has 3 samples
    with pytest.raises(ValueError, match="class 2: "):
        GaussianMixtureClassifier(5).fit(X, few)
    with pytest.raises(ValueError, match="priors has 3 entries for 2 classes"):
        GaussianMixtureClassifier(2, priors=[0.2, 0.3, 0.5]).fit(X, y)
    with pytest.raises(ValueError, match="NaN"):
        GaussianMixtureClassifier(2).fit(np.where(X > 4, np.nan, X), y)
    model = GaussianMixtureClassifier(2, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="X has 3 features"):
        model.predict(np.zeros((2, 3)))
