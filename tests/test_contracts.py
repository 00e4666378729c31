"""One contract for the family of generative classifiers, checked on every member.

``genlab._classifier.GenerativeClassifier`` promises the same behaviour from every model
that models p(c) and p(x | c): Bayes' theorem in log space, the one prior attribute
``priors_``, refits that equal fresh fits, ancestral sampling. The first test pins the
base class itself to numbers computed by hand, through a stub subclass whose class
densities are a fixed table (hmmlearn's ``StubHMM`` pattern); the others run the same
contract over every classifier in genlab, with independent oracles (counts, brute-force
normalisation, scikit-learn's accuracy).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError as SklearnNotFittedError
from sklearn.metrics import accuracy_score

from genlab._classifier import GenerativeClassifier
from genlab.gaussian import GaussianClassifier, LinearDiscriminant
from genlab.mixture import GaussianMixtureClassifier
from genlab.naive_bayes import BernoulliNB, GaussianNB, MultinomialNB
from genlab.vae_classifier import ConditionalVAEClassifier


# ------------------------------------------------------------ the base class, by hand
class StubClassifier(GenerativeClassifier):
    """Two classes whose densities p(x | c) are a fixed table over three points."""

    # p(x | c) for x = 0, 1, 2 (rows: classes "a", "b")
    TABLE = np.array([[0.5, 0.3, 0.2], [0.1, 0.1, 0.8]])

    def __init__(self, *, priors=None):
        self.priors = priors

    def fit(self, X, y):
        X_ = self._check_X(X, reset=True)
        labels = np.asarray(y)
        self.classes_ = self._check_classes(labels)
        self._fit_priors([np.sum(labels == c) for c in self.classes_], fixed=self.priors)
        del X_
        return self

    def _joint_log_likelihood(self, X):
        x = X[:, 0].astype(int)
        return np.log(self.TABLE[:, x].T) + np.log(self.priors_)

    def _sample_features(self, idx, rng):
        return np.array([[rng.choice(3, p=self.TABLE[c])] for c in idx], dtype=float)


def test_the_base_class_applies_bayes_theorem_as_computed_by_hand():
    # three samples of class "a", one of "b": priors 3/4 and 1/4
    stub = StubClassifier().fit([[0], [1], [2], [2]], ["a", "a", "a", "b"])
    np.testing.assert_array_equal(stub.classes_, ["a", "b"])
    np.testing.assert_array_equal(stub.priors_, [0.75, 0.25])
    np.testing.assert_array_equal(stub.class_count_, [3, 1])
    # x = 2: p(x, a) = 0.75 * 0.2 = 0.15, p(x, b) = 0.25 * 0.8 = 0.2, p(x) = 0.35
    # x = 0: p(x, a) = 0.375, p(x, b) = 0.025, p(x) = 0.4
    proba = stub.predict_proba([[2], [0]])
    np.testing.assert_allclose(proba, [[0.15 / 0.35, 0.2 / 0.35], [0.375 / 0.4, 0.025 / 0.4]])
    np.testing.assert_allclose(
        stub.predict_joint_log_proba([[2]]), [[math.log(0.15), math.log(0.2)]], rtol=1e-15
    )
    np.testing.assert_array_equal(stub.predict([[2], [0], [1]]), ["b", "a", "a"])
    # accuracy on the training set: x=2 of class "a" is misclassified, 3 of 4 right
    assert stub.score([[0], [1], [2], [2]], ["a", "a", "a", "b"]) == 0.75
    # fixed priors replace the frequencies: with 0.1 / 0.9, x = 0 gives 0.05 vs 0.09
    fixed = StubClassifier(priors=[0.1, 0.9]).fit([[0], [1]], ["a", "b"])
    np.testing.assert_allclose(fixed.predict_proba([[0]]), [[0.05 / 0.14, 0.09 / 0.14]])


def test_a_subclass_must_implement_the_hooks():
    class Incomplete(GenerativeClassifier):
        def fit(self, X, y):
            return self

    with pytest.raises(TypeError, match="abstract"):
        Incomplete()


def test_the_base_class_refuses_what_no_model_could_fit():
    with pytest.raises(ValueError, match="at least two classes"):
        StubClassifier().fit([[0], [1]], ["a", "a"])
    with pytest.raises(ValueError, match=r"priors has 3 entries for 2 classes"):
        StubClassifier(priors=[0.2, 0.3, 0.5]).fit([[0], [1]], ["a", "b"])
    with pytest.raises(ValueError, match="sum to 1"):
        StubClassifier(priors=[0.2, 0.3]).fit([[0], [1]], ["a", "b"])
    fitted = StubClassifier().fit([[0], [1]], ["a", "b"])
    with pytest.raises(ValueError, match="y='c' is not one of the classes"):
        fitted.sample(2, y="c")


# ----------------------------------------------------------- every classifier in genlab
RNG = np.random.default_rng(0)
# Three classes in [0, 1]^4 (the range the Bernoulli decoder needs), with string labels
# in an order that differs from the sorted one, and unequal class sizes.
SIZES = {"owl": 30, "cat": 50, "ant": 40}
# (different patterns, not only different levels: the multinomial model sees proportions)
CENTRES = {
    "owl": np.array([0.2, 0.8, 0.7, 0.3]),
    "cat": np.array([0.8, 0.2, 0.7, 0.2]),
    "ant": np.array([0.3, 0.3, 0.9, 0.8]),
}
X_FAMILY = np.clip(
    np.vstack([CENTRES[c] + 0.08 * RNG.standard_normal((n, 4)) for c, n in SIZES.items()]),
    0.0,
    1.0,
)
Y_FAMILY = np.repeat(list(SIZES), list(SIZES.values()))
X_COUNTS = np.round(10 * X_FAMILY)  # for the count models


def family():
    """(estimator, its training X, the name of its fixed-priors parameter)."""
    return [
        (GaussianNB(), X_FAMILY, "priors"),
        (MultinomialNB(), X_COUNTS, "class_prior"),
        (BernoulliNB(binarize=0.5), X_FAMILY, "class_prior"),
        (GaussianClassifier(reg_covar=1e-3), X_FAMILY, "priors"),
        (LinearDiscriminant(reg_covar=1e-3), X_FAMILY, "priors"),
        (GaussianMixtureClassifier(2, reg_covar=1e-3, random_state=0), X_FAMILY, "priors"),
        (
            ConditionalVAEClassifier(
                epochs=10, batch_size=16, hidden_dim=16, n_samples=8, lr=1e-2, random_state=0
            ),
            X_FAMILY,
            "priors",
        ),
    ]


FAMILY = family()
IDS = [type(model).__name__ for model, _, _ in FAMILY]


@pytest.fixture(params=range(len(FAMILY)), ids=IDS)
def member(request):
    model, X, priors_name = family()[request.param]  # fresh, unfitted instances
    return model, X, priors_name


def fitted_state(model):
    """Every fitted attribute (a trailing underscore), arrays as arrays."""
    out = {}
    for name, value in vars(model).items():
        if name.endswith("_") and not name.startswith("_"):
            if name in ("model_", "mixtures_", "history_"):
                continue  # compared through their predictions below
            out[name] = value
    return out


def test_fit_sets_the_classes_and_the_one_prior_attribute(member):
    model, X, _ = member
    assert model.fit(X, Y_FAMILY) is model
    np.testing.assert_array_equal(model.classes_, ["ant", "cat", "owl"])
    # the oracle: class frequencies counted directly
    counts = np.array([SIZES[c] for c in model.classes_], dtype=float)
    np.testing.assert_allclose(model.priors_, counts / counts.sum(), rtol=1e-15)
    assert model.n_features_in_ == 4
    # scikit-learn's names, where genlab keeps them, are the same numbers
    if hasattr(type(model), "class_prior_"):
        np.testing.assert_array_equal(model.class_prior_, model.priors_)
    if hasattr(type(model), "class_log_prior_"):
        np.testing.assert_allclose(np.exp(model.class_log_prior_), model.priors_, rtol=1e-15)


def test_posteriors_are_bayes_theorem_on_the_joint(member):
    model, X, _ = member
    model.fit(X, Y_FAMILY)
    jll = model.predict_joint_log_proba(X[::7])
    assert jll.shape == (len(X[::7]), 3) and np.all(np.isfinite(jll))
    # brute-force normalisation in extended precision as the oracle
    joint = np.exp(np.longdouble(jll) - np.longdouble(jll.max(axis=1, keepdims=True)))
    expected = np.asarray(joint / joint.sum(axis=1, keepdims=True), dtype=np.float64)
    np.testing.assert_allclose(model.predict_proba(X[::7]), expected, rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(np.exp(model.predict_log_proba(X[::7])).sum(axis=1), 1.0)
    np.testing.assert_array_equal(
        model.predict(X[::7]), model.classes_[np.argmax(expected, axis=1)]
    )
    assert model.score(X, Y_FAMILY) == accuracy_score(Y_FAMILY, model.predict(X))
    assert model.score(X, Y_FAMILY) > 0.9  # the classes are well separated


def test_fixed_priors_shift_the_joint_by_their_logarithm(member):
    model, X, priors_name = member
    priors = np.array([0.5, 0.3, 0.2])
    free = clone(model).fit(X, Y_FAMILY)
    fixed = clone(model).set_params(**{priors_name: priors}).fit(X, Y_FAMILY)
    np.testing.assert_array_equal(fixed.priors_, priors)
    difference = fixed.predict_joint_log_proba(X[:5]) - free.predict_joint_log_proba(X[:5])
    np.testing.assert_allclose(
        difference, np.broadcast_to(np.log(priors) - np.log(free.priors_), (5, 3)), atol=1e-12
    )


def test_a_refit_equals_a_fresh_fit(member):
    model, X, _ = member
    other_X = X[::-1][:60]
    other_y = np.where(Y_FAMILY[::-1][:60] == "owl", "cat", Y_FAMILY[::-1][:60])
    model.fit(X, Y_FAMILY).fit(other_X, other_y)
    fresh = clone(model).fit(other_X, other_y)
    refit, new = fitted_state(model), fitted_state(fresh)
    assert refit.keys() == new.keys()
    for name in refit:
        np.testing.assert_array_equal(refit[name], new[name], err_msg=name)
    np.testing.assert_array_equal(model.classes_, ["ant", "cat"])
    np.testing.assert_array_equal(model.predict_proba(X[:9]), fresh.predict_proba(X[:9]))


def test_sampling_draws_classes_and_features(member):
    model, X, _ = member
    model.fit(X, Y_FAMILY)
    Xs, ys = model.sample(40, random_state=3)
    assert Xs.shape == (40, 4) and ys.shape == (40,)
    assert set(ys) <= set(model.classes_)
    again, _ = model.sample(40, random_state=3)
    np.testing.assert_array_equal(Xs, again)  # seeded: reproducible
    Xc, yc = model.sample(5, y="cat", random_state=3)
    assert Xc.shape == (5, 4) and np.all(yc == "cat")


def test_using_an_unfitted_model_is_scikit_learns_not_fitted_error(member):
    model, X, _ = member
    for method in (model.predict, model.predict_proba, model.predict_joint_log_proba):
        with pytest.raises(SklearnNotFittedError, match="not fitted"):
            method(X[:2])
    with pytest.raises(SklearnNotFittedError):
        model.sample(2)


@pytest.mark.parametrize(
    ("y", "message"),
    [
        (np.linspace(0.0, 1.0, 120), "continuous"),
        (np.full(120, "a"), "at least two classes"),
        (np.zeros((120, 2)), "1-dimensional"),
        (np.zeros(119), "inconsistent|119"),
        (None, "requires y"),
    ],
)
def test_every_classifier_refuses_labels_that_are_not_labels(member, y, message):
    model, X, _ = member
    with pytest.raises(ValueError, match=message):
        model.fit(X, y)


def test_every_classifier_refuses_bad_data(member):
    model, X, _ = member
    for bad, message in (
        (X.astype(complex), "Complex data"),
        (np.where(np.arange(X.size).reshape(X.shape) == 5, np.nan, X), "NaN"),
        (X[:, 0], "2-dimensional"),
        ([["a"] * 4] * 120, "numeric"),
    ):
        with pytest.raises(ValueError, match=message):
            clone(model).fit(bad, Y_FAMILY)
    model.fit(X, Y_FAMILY)
    with pytest.raises(ValueError, match="X has 3 features, but .* is expecting 4"):
        model.predict(X[:, :3])
