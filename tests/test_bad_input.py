"""Bad input across genlab's small helpers: each refused with a message that names it."""

from __future__ import annotations

import numpy as np
import pytest

from genlab._validation import check_count, check_positive, check_squared_distances_finite
from genlab.cluster import KMeans, kmeans_plusplus
from genlab.gaussian import GaussianClassifier, MultivariateNormal
from genlab.mixture import GaussianMixture
from genlab.text import BagOfWords


@pytest.mark.parametrize("texts", ["free money now", b"free money"])
def test_a_bare_string_is_not_a_list_of_documents(texts):
    # (iterating over it would make one document per letter)
    with pytest.raises(ValueError, match="a single string.*wrap it in a list"):
        BagOfWords().fit(texts)
    fitted = BagOfWords().fit(["free money", "money now"])
    with pytest.raises(ValueError, match="a single string"):
        fitted.transform(texts)


def test_documents_must_be_strings_and_min_count_a_count():
    with pytest.raises(ValueError, match="texts must be a list of strings"):
        BagOfWords().fit(42)
    with pytest.raises(ValueError, match="text must be a str; got int"):
        BagOfWords().fit(["fine", 3])
    for bad in (0, -1, 1.5, "2", True):
        with pytest.raises(ValueError, match="min_count must be an integer >= 1"):
            BagOfWords(min_count=bad).fit(["a b"])
    # a generator of texts is a list of documents too
    bag = BagOfWords().fit(t for t in ["a b", "b c"])
    assert bag.vocabulary_ == ["a", "b", "c"]


@pytest.mark.parametrize("bad", [1.0, 2.5, "3", None, True, np.bool_(True), -1])
def test_check_count(bad):
    with pytest.raises(ValueError, match="n must be an integer >= 0"):
        check_count(bad, name="n")


def test_check_count_accepts_numpy_integers():
    assert check_count(np.int64(3), name="n", minimum=3) == 3


@pytest.mark.parametrize("bad", ["abc", None, [1.0], True, float("nan"), -1.0, float("inf")])
def test_check_positive_names_the_value(bad):
    with pytest.raises(ValueError, match="tol must be"):
        check_positive(bad, name="tol")


HUGE = np.array([[1e200, 1.0], [2e200, 3.0], [3e200, 1.0], [1.0, 1.0]])


@pytest.mark.parametrize(
    "fit",
    [
        lambda X: KMeans(2, random_state=0).fit(X),
        lambda X: kmeans_plusplus(X, 2, random_state=0),
        lambda X: GaussianMixture(2, random_state=0).fit(X),
        lambda X: MultivariateNormal().fit(X),
        lambda X: GaussianClassifier(reg_covar=1e-3).fit(np.vstack([X, X]), [0] * 4 + [1] * 4),
    ],
    ids=["KMeans", "kmeans_plusplus", "GaussianMixture", "MultivariateNormal", "QDA"],
)
def test_values_whose_squares_overflow_are_refused_by_name(fit):
    # (they used to end in "Probabilities contain NaN" from deep inside NumPy)
    with pytest.raises(ValueError, match="so large .* overflow; rescale the features"):
        fit(HUGE)
    fit(HUGE / np.array([1e199, 1.0]))  # the same data, rescaled, are fine


def test_the_overflow_check_lets_large_but_safe_values_through():
    X = np.array([[1e150, 0.0], [-1e150, 1.0]])  # squares about 4e300: finite
    check_squared_distances_finite(X)
    with pytest.raises(ValueError, match="overflow"):
        check_squared_distances_finite(np.array([[1e155, 0.0], [-1e155, 1.0]]))


def test_a_mixture_needs_two_points():
    with pytest.raises(ValueError, match="X has 1 sample.*minimum of 2"):
        GaussianMixture(1).fit([[1.0, 2.0]])


@pytest.mark.parametrize("bad", [0, -2, 2.5, "3", True, None])
@pytest.mark.parametrize(
    "model",
    [
        lambda: GaussianMixture(2, random_state=0).fit(np.arange(20.0).reshape(10, 2)),
        lambda: MultivariateNormal().fit(np.arange(20.0).reshape(10, 2) ** 1.5),
    ],
    ids=["GaussianMixture", "MultivariateNormal"],
)
def test_sample_sizes_are_counts(model, bad):
    with pytest.raises(ValueError, match="n_samples must be an integer >= 1"):
        model().sample(bad)


def test_a_refit_of_a_mixture_equals_a_fresh_fit():
    rng = np.random.default_rng(1)
    X1, X2 = rng.normal(size=(60, 2)), rng.normal(3.0, 1.0, size=(40, 2))
    model = GaussianMixture(2, keep_history=True, random_state=0).fit(X1)
    model.set_params(keep_history=False).fit(X2)
    fresh = GaussianMixture(2, random_state=0).fit(X2)
    assert not hasattr(model, "history_")  # no stale history from the first fit
    for name in ("weights_", "means_", "covariances_", "n_iter_", "converged_"):
        np.testing.assert_array_equal(getattr(model, name), getattr(fresh, name), err_msg=name)
    model.set_params(keep_history=True).fit(X1)
    again = GaussianMixture(2, keep_history=True, random_state=0).fit(X1)
    assert len(model.history_) == len(again.history_)
