"""LinearDiscriminant (one shared covariance) against scikit-learn's LinearDiscriminantAnalysis,
the pooled covariance by hand, and its linear form; sampling and bad input."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import load_iris, load_wine, make_classification
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis

from genlab.gaussian import GaussianClassifier, LinearDiscriminant


def datasets():
    X_iris, y_iris = load_iris(return_X_y=True)
    X_wine, y_wine = load_wine(return_X_y=True)
    X_syn, y_syn = make_classification(
        n_samples=300, n_features=6, n_informative=4, n_redundant=0, n_classes=3, random_state=0
    )
    two = y_iris < 2
    return {
        "iris": (X_iris, y_iris),
        "wine": (X_wine, y_wine),
        "synthetic": (X_syn, y_syn),
        "two classes": (X_iris[two], y_iris[two]),
    }


@pytest.mark.parametrize("name", list(datasets()))
@pytest.mark.parametrize("solver", ["lsqr", "svd"])
def test_matches_sklearn_lda(name, solver):
    X, y = datasets()[name]
    ours = LinearDiscriminant().fit(X, y)
    theirs = LinearDiscriminantAnalysis(solver=solver, store_covariance=True).fit(X, y)
    assert_allclose(ours.priors_, theirs.priors_, rtol=1e-12)
    assert_allclose(ours.means_, theirs.means_, rtol=1e-12, atol=1e-12)
    assert_allclose(ours.covariance_, theirs.covariance_, rtol=1e-10, atol=1e-12)
    assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), rtol=1e-8, atol=1e-10)
    assert_array_equal(ours.predict(X), theirs.predict(X))
    if solver == "lsqr" and len(ours.classes_) > 2:  # (binary: scikit-learn keeps w1 - w0)
        assert_allclose(ours.coef_, theirs.coef_, rtol=1e-8, atol=1e-10)
        assert_allclose(ours.intercept_, theirs.intercept_, rtol=1e-8, atol=1e-10)


def test_pooled_covariance_by_hand_and_ddof():
    X, y = datasets()["wine"]
    scatter = sum(
        (X[y == c] - X[y == c].mean(0)).T @ (X[y == c] - X[y == c].mean(0)) for c in range(3)
    )
    assert_allclose(LinearDiscriminant().fit(X, y).covariance_, scatter / len(X), rtol=1e-12)
    unbiased = LinearDiscriminant(ddof=1).fit(X, y).covariance_
    assert_allclose(unbiased, scatter / (len(X) - 3), rtol=1e-12)
    ridge = LinearDiscriminant(reg_covar=0.5).fit(X, y).covariance_
    assert_allclose(ridge, scatter / len(X) + 0.5 * np.eye(X.shape[1]), rtol=1e-12)


def test_joint_log_likelihood_is_linear_plus_a_shared_term():
    X, y = datasets()["synthetic"]
    lda = LinearDiscriminant().fit(X, y)
    jll = lda.predict_joint_log_proba(X)
    linear = X @ lda.coef_.T + lda.intercept_
    # the difference is -1/2 x' Sigma^-1 x - d/2 log 2 pi - 1/2 log|Sigma|, the same per class
    shared = jll - linear
    assert_allclose(shared, shared[:, :1].repeat(3, axis=1), rtol=0, atol=1e-9)
    inv = np.linalg.inv(lda.covariance_)
    _, logdet = np.linalg.slogdet(lda.covariance_)
    expected = -0.5 * np.einsum("ij,jk,ik->i", X, inv, X) - 0.5 * (6 * np.log(2 * np.pi) + logdet)
    assert_allclose(shared[:, 0], expected, rtol=1e-9)


def test_equal_covariances_make_qda_and_lda_agree():
    # Classes that are translates of one set of points have equal covariances.
    rng = np.random.default_rng(0)
    base = rng.normal(size=(40, 3)) @ np.array([[1.0, 0.3, 0], [0, 1.0, 0.5], [0, 0, 0.7]])
    X = np.vstack([base, base + np.array([3.0, 0.0, 1.0])])
    y = np.repeat([0, 1], 40)
    lda, qda = LinearDiscriminant().fit(X, y), GaussianClassifier().fit(X, y)
    assert_allclose(lda.predict_proba(X), qda.predict_proba(X), rtol=1e-9, atol=1e-12)


def test_fixed_priors_keep_the_pooled_covariance():
    X, y = datasets()["iris"]
    free = LinearDiscriminant().fit(X, y)
    fixed = LinearDiscriminant(priors=[0.2, 0.3, 0.5]).fit(X, y)
    assert_allclose(fixed.covariance_, free.covariance_, rtol=1e-14)
    assert_allclose(fixed.priors_, [0.2, 0.3, 0.5])
    shift = fixed.predict_joint_log_proba(X) - free.predict_joint_log_proba(X)
    assert_allclose(shift, np.tile(np.log([0.2, 0.3, 0.5]) - np.log(free.priors_), (150, 1)))


def test_sampling_recovers_means_and_shared_covariance():
    X, y = datasets()["iris"]
    lda = LinearDiscriminant().fit(X, y)
    Xs, ys = lda.sample(60_000, random_state=1)
    assert_allclose(np.bincount(ys) / len(ys), lda.priors_, atol=0.01)
    for c in range(3):
        assert_allclose(Xs[ys == c].mean(0), lda.means_[c], atol=0.03)
        assert_allclose(np.cov(Xs[ys == c].T), lda.covariance_, atol=0.02)


def test_bad_and_degenerate_input():
    X, y = datasets()["iris"]
    constant = X.copy()
    constant[:, 0] = 1.0  # constant in every class: the pooled covariance is singular
    with pytest.raises(ValueError, match="pooled covariance is singular.*reg_covar"):
        LinearDiscriminant().fit(constant, y)
    assert LinearDiscriminant(reg_covar=1e-3).fit(constant, y).score(constant, y) > 0.9
    with pytest.raises(ValueError, match="degrees of freedom"):
        LinearDiscriminant(ddof=1).fit([[0.0], [1.0]], [0, 1])
    with pytest.raises(ValueError, match="reg_covar"):
        LinearDiscriminant(reg_covar=-1.0).fit(X, y)
    with pytest.raises(ValueError, match="NaN"):
        LinearDiscriminant().fit(np.where(X > 7, np.nan, X), y)
    with pytest.raises(ValueError, match="two classes"):
        LinearDiscriminant().fit(X, np.zeros(len(X)))
    with pytest.raises(ValueError, match="features"):
        LinearDiscriminant().fit(X, y).predict(X[:, :2])
    # one sample in a class is legal: it contributes no scatter, only its mean
    X1 = np.vstack([X[:50], X[50:51]])
    y1 = np.r_[np.zeros(50), 1]
    lda = LinearDiscriminant().fit(X1, y1)
    assert_allclose(lda.means_[1], X[50]) and lda.predict(X[50:51])[0] == 1
