"""Bad input across genlab's small helpers: each refused with a message that names it."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from numpy.testing import assert_array_equal
from sklearn import naive_bayes as skl

from genlab import _validation
from genlab._validation import check_count, check_positive, check_squared_distances_finite
from genlab.cluster import KMeans, kmeans_plusplus
from genlab.gaussian import GaussianClassifier, MultivariateNormal
from genlab.mixture import GaussianMixture
from genlab.naive_bayes import BernoulliNB, GaussianNB, MultinomialNB
from genlab.text import BagOfWords
from genlab.vae import VAE, Autoencoder, ConditionalVAE, parameter_count
from genlab.vae_classifier import ConditionalVAEClassifier, log_likelihood


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


# ------------------------------------------------- naive Bayes: partial_fit's classes
NB_FAMILY = {"GaussianNB": GaussianNB, "MultinomialNB": MultinomialNB, "BernoulliNB": BernoulliNB}
NB_PRIOR = {"GaussianNB": "priors", "MultinomialNB": "class_prior", "BernoulliNB": "class_prior"}


def nb_data(name, n=30, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3)) if name == "GaussianNB" else rng.poisson(2.0, (n, 3)) * 1.0
    return X, np.arange(n) % 3


def fitted_state(model):
    return {k: np.copy(v) if isinstance(v, np.ndarray) else v for k, v in vars(model).items()}


def assert_same_state(a, b):
    assert a.keys() == b.keys()
    for k in a:
        if isinstance(a[k], np.ndarray):
            assert_array_equal(a[k], b[k], err_msg=k)
        else:
            assert a[k] == b[k], k


BAD_CLASSES = {
    "repeated": ([0, 0, 1, 2], r"classes lists the label\(s\) \[0\] more than once"),
    "2-D": ([[0, 1, 2]], r"classes must be a 1-D array of class labels.*shape \(1, 3\)"),
    "a scalar": (3, r"classes must be a 1-D array.*shape \(\)"),
    "empty": ([], "classes is empty"),
    "NaN": ([0, 1, 2, np.nan], "classes contains NaN or infinity"),
    "continuous": ([0, 1, 2, 2.5], "classes holds non-integer floats"),
    "a string": ("012", "classes must be an array of class labels.*single string"),
    "missing": (None, "classes must be passed on the first call to partial_fit"),
}


@pytest.mark.parametrize("case", BAD_CLASSES, ids=list(BAD_CLASSES))
@pytest.mark.parametrize("name", NB_FAMILY)
def test_partial_fit_refuses_bad_classes_on_the_first_call(name, case):
    X, y = nb_data(name)
    classes, message = BAD_CLASSES[case]
    model = NB_FAMILY[name]()
    with pytest.raises(ValueError, match=message):
        model.partial_fit(X, y, classes=classes)
    assert not hasattr(model, "classes_")  # not half-started: the next call is a first call
    model.partial_fit(X, y, classes=[2, 0, 1])  # the same model, with good classes, works
    assert_array_equal(model.classes_, [0, 1, 2])


@pytest.mark.parametrize("name", NB_FAMILY)
def test_partial_fit_refuses_changed_classes_and_unknown_labels(name):
    X, y = nb_data(name)
    model = NB_FAMILY[name]().partial_fit(X[:15], y[:15], classes=[0, 1, 2])
    before = fitted_state(model)
    with pytest.raises(ValueError, match=r"classes=\[0, 1, 2, 3\] is not the same as on"):
        model.partial_fit(X[15:], y[15:], classes=[0, 1, 2, 3])
    with pytest.raises(ValueError, match=r"classes=\[0, 1\] is not the same"):
        model.partial_fit(X[15:], y[15:], classes=[0, 1])
    with pytest.raises(ValueError, match=r"more than once"):
        model.partial_fit(X[15:], y[15:], classes=[0, 1, 2, 2])
    with pytest.raises(ValueError, match=r"y has labels \[7\] not among the classes \[0, 1, 2\]"):
        model.partial_fit(X[15:], np.where(y[15:] == 2, 7, y[15:]))
    with pytest.raises(ValueError, match=r"y has labels \['a'\] not among the classes"):
        model.partial_fit(X[15:16], ["a"])
    assert_same_state(fitted_state(model), before)  # every refused batch left it unchanged
    # legal: the same classes again, in another order, or none
    model.partial_fit(X[15:20], y[15:20], classes=np.array([2, 1, 0]))
    model.partial_fit(X[20:], y[20:])
    assert_array_equal(model.class_count_, [10, 10, 10])
    # and sklearn agrees that the changed classes were an error
    sk = getattr(skl, name)().partial_fit(X[:15], y[:15], classes=[0, 1, 2])
    with pytest.raises(ValueError):
        sk.partial_fit(X[15:], y[15:], classes=[0, 1, 2, 3])


def batches_with_equal_spread(name, seed):
    """Three batches; for GaussianNB each has the same largest feature variance (100).

    scikit-learn recomputes GaussianNB's epsilon_ from every batch, genlab keeps the first
    batch's: with equal spreads the two are the same number, so the comparison is exact.
    """
    rng = np.random.default_rng(seed)
    sizes, Xs, ys = (12, 10, 14), [], []
    for k, n in enumerate(sizes):
        y = rng.integers(0, 2, n) if k == 0 else rng.integers(0, 3, n)  # batch 0: no class 2
        if name == "GaussianNB":
            X = np.column_stack([rng.normal(size=(n, 2)), np.tile([10.0, -10.0], n // 2)])
        else:
            X = rng.poisson(2.0, (n, 3)) + rng.random((n, 3)) * (name == "MultinomialNB")
        Xs.append(X)
        ys.append(y)
    return Xs, ys, [rng.random(len(y)) + 0.1 for y in ys]


NB_ATTRIBUTES = {
    "GaussianNB": ["theta_", "var_", "epsilon_", "class_count_", "class_prior_"],
    "MultinomialNB": ["feature_count_", "class_count_", "feature_log_prob_", "class_log_prior_"],
    "BernoulliNB": ["feature_count_", "class_count_", "feature_log_prob_", "class_log_prior_"],
}


@pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning")  # sklearn's log(0) prior
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("name", NB_FAMILY)
def test_a_first_batch_without_some_classes_matches_sklearn(name, weighted):
    # Legal: the first batch lacks class 2; it has prior 0 until it is seen.
    Xs, ys, ws = batches_with_equal_spread(name, seed=5)
    ours, theirs = NB_FAMILY[name](), getattr(skl, name)()
    X_all = np.vstack(Xs)
    for k, (X, y, w) in enumerate(zip(Xs, ys, ws, strict=True)):
        weight = w if weighted else None
        ours.partial_fit(X, y, classes=[0, 1, 2], sample_weight=weight)
        theirs.partial_fit(X, y, classes=[0, 1, 2], sample_weight=weight)
        for attr in NB_ATTRIBUTES[name]:
            a, b = np.asarray(getattr(ours, attr)), np.asarray(getattr(theirs, attr))
            np.testing.assert_array_equal(np.isneginf(a), np.isneginf(b), err_msg=attr)
            finite = np.isfinite(b)
            np.testing.assert_allclose(a[finite], b[finite], rtol=0, atol=1e-10, err_msg=attr)
        if k == 0:
            assert ours.priors_[2] == 0.0
        np.testing.assert_allclose(
            ours.predict_proba(X_all), theirs.predict_proba(X_all), rtol=0, atol=1e-10
        )
        assert_array_equal(ours.predict(X_all), theirs.predict(X_all))
    assert ours.priors_[2] > 0


@pytest.mark.parametrize("name", NB_FAMILY)
def test_fit_refuses_a_class_whose_weights_are_all_zero(name):
    X, y = nb_data(name)
    w = np.where(y == 2, 0.0, 1.0)
    model = NB_FAMILY[name]()
    with pytest.raises(ValueError, match=r"class\(es\) \[2\] have total sample_weight 0"):
        model.fit(X, y, sample_weight=w)
    assert not hasattr(model, "classes_")
    # leaving those samples out is the legal way, and equals sklearn
    keep = y != 2
    ours = NB_FAMILY[name]().fit(X[keep], y[keep], sample_weight=w[keep] * 0.5)
    theirs = getattr(skl, name)().fit(X[keep], y[keep], sample_weight=w[keep] * 0.5)
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), atol=1e-12)


BAD_PRIORS = {
    "2-D": ([[0.2, 0.3, 0.5]], "must be 1-dimensional"),
    "wrong length": ([0.5, 0.5], "has 2 entries for 3 classes"),
    "not summing to 1": ([0.2, 0.2, 0.2], "must sum to 1; it sums to 0.6"),
    "negative": ([-0.2, 0.6, 0.6], "has negative entries"),
    "NaN": ([np.nan, 0.5, 0.5], "contains NaN"),
    "a scalar": (np.float64(1.0), "must be 1-dimensional"),
}


@pytest.mark.parametrize("case", BAD_PRIORS, ids=list(BAD_PRIORS))
@pytest.mark.parametrize("name", NB_FAMILY)
def test_bad_priors_are_refused_by_name(name, case):
    X, y = nb_data(name)
    value, message = BAD_PRIORS[case]
    param = NB_PRIOR[name]
    with pytest.raises(ValueError, match=f"{param}.*{message}|{message}.*{param}"):
        NB_FAMILY[name](**{param: value}).fit(X, y)


@pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning")  # sklearn's log(0) prior
@pytest.mark.parametrize("name", NB_FAMILY)
def test_legal_fixed_priors_match_sklearn(name):
    X, y = nb_data(name)
    param = NB_PRIOR[name]
    for prior in ([0.2, 0.3, 0.5], [0.0, 0.5, 0.5]):  # a prior of 0 is legal
        ours = NB_FAMILY[name](**{param: prior}).fit(X, y)
        theirs = getattr(skl, name)(**{param: prior}).fit(X, y)
        np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), atol=1e-12)


def test_multinomial_nb_takes_non_negative_reals_as_sklearn_does():
    # tf-idf-like weights: accepted (documented) and equal to scikit-learn's model
    rng = np.random.default_rng(2)
    X = rng.poisson(1.5, (40, 5)) * rng.random((40, 5))  # 0.5-style fractional counts
    X[0, 0] = 0.5
    y = np.arange(40) % 2
    ours, theirs = MultinomialNB(alpha=0.3).fit(X, y), skl.MultinomialNB(alpha=0.3).fit(X, y)
    np.testing.assert_allclose(ours.feature_log_prob_, theirs.feature_log_prob_, atol=1e-12)
    np.testing.assert_allclose(ours.predict_log_proba(X), theirs.predict_log_proba(X), atol=1e-10)
    counts, _ = ours.sample(5, random_state=0)
    assert_array_equal(counts, np.round(counts))  # the samples are whole counts
    with pytest.raises(ValueError, match="Negative values in data"):
        MultinomialNB().fit(-X, y)


# ------------------------------------------------- sample(n, y=...) on every classifier
def classifier_family():
    rng = np.random.default_rng(0)
    X = rng.random((30, 3))
    y = np.arange(30) % 3
    return {
        "GaussianNB": lambda: GaussianNB().fit(X, y),
        "MultinomialNB": lambda: MultinomialNB().fit(X, y),
        "BernoulliNB": lambda: BernoulliNB(binarize=0.5).fit(X, y),
        "GaussianClassifier": lambda: GaussianClassifier().fit(X, y),
        "ConditionalVAEClassifier": lambda: ConditionalVAEClassifier(epochs=1, hidden_dim=4).fit(
            X, y
        ),
    }


SAMPLING_CLASSIFIERS = classifier_family()
BAD_SAMPLE_LABELS = {
    "a list": ([0, 1], "y must be one class label.*got list"),
    "an array": (np.array([0]), "y must be one class label.*got ndarray"),
    "unknown": (7, r"y=7 is not one of the classes \[0, 1, 2\]"),
    "a float": (1.0, "got the float 1.0"),
    "a non-integer float": (1.5, "got the float 1.5"),
    "a bool": (True, "got the boolean True"),
    "a string": ("1", r"y='1' is not one of the classes"),
}


@pytest.mark.parametrize("case", BAD_SAMPLE_LABELS, ids=list(BAD_SAMPLE_LABELS))
@pytest.mark.parametrize("name", SAMPLING_CLASSIFIERS)
def test_sample_refuses_bad_class_labels(name, case):
    value, message = BAD_SAMPLE_LABELS[case]
    with pytest.raises(ValueError, match=message):
        SAMPLING_CLASSIFIERS[name]().sample(3, y=value)


@pytest.mark.parametrize("bad", [-1, 0, True, 2.0, "3", None, 10**12, 10**30])
@pytest.mark.parametrize("name", SAMPLING_CLASSIFIERS)
def test_sample_sizes_of_classifiers_are_bounded_counts(name, bad):
    message = "n_samples is too large" if isinstance(bad, int) and bad > 1 else "n_samples must be"
    with pytest.raises(ValueError, match=message):
        SAMPLING_CLASSIFIERS[name]().sample(bad)


@pytest.mark.parametrize("name", SAMPLING_CLASSIFIERS)
def test_sample_accepts_labels_of_the_classes_kind(name):
    model = SAMPLING_CLASSIFIERS[name]()
    for label in (1, np.int64(1), np.array(1)):
        X, y = model.sample(4, y=label, random_state=0)
        assert X.shape == (4, 3)
        assert_array_equal(y, [1, 1, 1, 1])


def test_sample_with_string_and_float_classes():
    X = np.random.default_rng(0).random((20, 2))
    model = GaussianNB().fit(X, np.array(["ham", "spam"] * 10))
    assert model.sample(2, y="spam")[1].tolist() == ["spam", "spam"]
    with pytest.raises(ValueError, match="y must be one class label"):
        model.sample(2, y=["spam"])
    floats = GaussianNB().fit(X, np.array([0.0, 1.0] * 10))  # float classes: a float label
    assert floats.sample(2, y=1.0)[1].tolist() == [1.0, 1.0]


def test_multinomial_n_trials_is_a_bounded_count():
    X, y = nb_data("MultinomialNB")
    model = MultinomialNB().fit(X, y)
    for bad in (-1, 2.0, True, "3"):
        with pytest.raises(ValueError, match="n_trials must be an integer >= 0"):
            model.sample(2, n_trials=bad)
    with pytest.raises(ValueError, match=r"n_trials must be at most 2\*\*53"):
        model.sample(2, n_trials=10**30)
    counts, _ = model.sample(2, n_trials=0, random_state=0)  # degenerate but legal
    assert_array_equal(counts, 0)
    assert model.sample(2, n_trials=2**53, random_state=0)[0].sum(axis=1).tolist() == [2**53] * 2


# ------------------------------------------------- BagOfWords: what is not a list of texts
BAD_TEXTS = {
    "a dict": ({"free money": 1, "hi": 2}, "got a dict, whose order is not the documents'"),
    "a set": ({"free money", "hi"}, "got a set"),
    "bytes items": ([b"free money"], r"texts\[0\]: text must be a str; got bytes.*decode"),
    "None items": (["hi", None], r"texts\[1\]: text must be a str; got NoneType"),
    "nested lists": ([["free", "money"]], r"texts\[0\]: text must be a str; got list"),
    "numbers": (np.array([1.0, 2.0]), r"texts\[0\]: text must be a str; got float"),
    "None": (None, "texts must be a list of strings.*got NoneType"),
}


@pytest.mark.parametrize("case", BAD_TEXTS, ids=list(BAD_TEXTS))
def test_bag_of_words_refuses_what_is_not_a_list_of_texts(case):
    texts, message = BAD_TEXTS[case]
    with pytest.raises(ValueError, match=message):
        BagOfWords().fit(texts)
    fitted = BagOfWords().fit(["free money", "hi there"])
    with pytest.raises(ValueError, match=message):
        fitted.transform(texts)
    with pytest.raises(ValueError, match=message):
        BagOfWords().fit_transform(texts)


def test_bag_of_words_empty_inputs():
    with pytest.raises(ValueError, match="texts is empty: fit needs at least one text"):
        BagOfWords().fit([])
    with pytest.raises(ValueError, match="none of the 3 text.*a word.*vocabulary is empty"):
        BagOfWords().fit(["", "  ", "?!"])
    with pytest.raises(ValueError, match="no word occurs min_count=3 times.*occurs 2 times"):
        BagOfWords(min_count=3).fit(["a a", "b"])
    # legal: transforming no texts, or texts without a vocabulary word
    bag = BagOfWords().fit(["free money", "hi"])
    assert bag.transform([]).shape == (0, 3)
    assert_array_equal(bag.transform(["", "unknown words only"]), np.zeros((2, 3)))
    # a generator is read once by fit_transform (it used to give 0 rows)
    assert_array_equal(BagOfWords().fit_transform(t for t in ["a b", "b"]), [[1, 1], [0, 1]])


def test_bag_of_words_refuses_a_count_matrix_too_large(monkeypatch):
    bag = BagOfWords().fit(["free money now"])
    monkeypatch.setattr(_validation, "MAX_OUTPUT_BYTES", 8 * 3 * 10)
    assert bag.transform(["hi"] * 10).shape == (10, 3)  # exactly at the limit
    with pytest.raises(ValueError, match=r"texts is too large: the count matrix would have shape"):
        bag.transform(["hi"] * 11)


# ------------------------------------------------- VAE: sizes, non-finite codes
@pytest.mark.parametrize(
    "build",
    [
        lambda **k: VAE(**k),
        lambda **k: Autoencoder(**k),
        lambda **k: ConditionalVAE(3, **k),
    ],
    ids=["VAE", "Autoencoder", "ConditionalVAE"],
)
def test_models_too_large_for_memory_are_refused_before_allocating(build, monkeypatch):
    for huge in ({"input_dim": 10**9}, {"hidden_dim": 10**12}, {"latent_dim": 10**12}):
        with pytest.raises(ValueError, match=r"dim=10+.*\) is too large: its \d+ weights"):
            build(**huge)
    # The refusal counts exactly the weights torch allocates (float32: 4 bytes each).
    n = parameter_count(build(input_dim=8, hidden_dim=4, latent_dim=2))["total"]
    monkeypatch.setattr(_validation, "MAX_OUTPUT_BYTES", 4 * n)
    build(input_dim=8, hidden_dim=4, latent_dim=2)
    monkeypatch.setattr(_validation, "MAX_OUTPUT_BYTES", 4 * n - 1)
    with pytest.raises(ValueError, match=f"its {n} weights"):
        build(input_dim=8, hidden_dim=4, latent_dim=2)


def test_a_conditional_vae_with_too_many_classes_is_refused():
    with pytest.raises(ValueError, match=r"ConditionalVAE\(n_classes=1000000000, .*too large"):
        ConditionalVAE(10**9, input_dim=8, hidden_dim=4)


def test_vae_sizes_of_outputs_are_bounded():
    torch.manual_seed(0)
    model, x = VAE(8, 4, 2), torch.rand(3, 8)
    with pytest.raises(ValueError, match=r"n is too large: the decoded images would have shape"):
        model.sample(10**12)
    with pytest.raises(ValueError, match=r"steps is too large: the decoded path"):
        model.interpolate(torch.zeros(2), torch.ones(2), steps=10**12)
    with pytest.raises(ValueError, match=r"n_samples is too large: the decoder's outputs"):
        log_likelihood(model, x, n_samples=10**9)
    cvae = ConditionalVAE(3, 8, 4, 2)
    with pytest.raises(ValueError, match=r"n_samples is too large"):
        log_likelihood(cvae, x, torch.tensor([0, 1, 2]), n_samples=10**9)
    # legal sizes still work
    assert model.sample(5).shape == (5, 8)
    assert log_likelihood(model, x, n_samples=3).shape == (3,)
    assert cvae.sample(3, [0, 1, 2]).shape == (3, 8)  # labels as a list: legal


def test_vae_classifier_refuses_sizes_that_do_not_fit_in_memory():
    rng = np.random.default_rng(0)
    X, y = rng.random((20, 4)), np.arange(20) % 2
    with pytest.raises(ValueError, match=r"hidden_dim=1000000000000, latent_dim=2\) is too large"):
        ConditionalVAEClassifier(epochs=1, hidden_dim=10**12).fit(X, y)
    model = ConditionalVAEClassifier(epochs=1, hidden_dim=4).fit(X, y)
    model.set_params(n_samples=10**9)
    with pytest.raises(ValueError, match="n_samples is too large"):
        model.predict(X[:2])
    model.set_params(n_samples=2)
    assert model.predict(X[:2]).shape == (2,)


def test_vae_classifier_scores_a_large_x_in_blocks_of_rows(monkeypatch):
    # A large X is scored block by block (bounded memory), each row as it would be alone.
    import genlab.vae_classifier as vc

    rng = np.random.default_rng(1)
    X, y = rng.random((30, 4)), np.arange(30) % 3
    model = ConditionalVAEClassifier(epochs=2, hidden_dim=8, n_samples=5).fit(X, y)
    whole = model.predict_joint_log_proba(X)
    monkeypatch.setattr(vc, "_SCORING_BLOCK_BYTES", 7 * 5 * 8 * 8)  # blocks of 7 rows
    blocks = model.predict_joint_log_proba(X)
    np.testing.assert_allclose(blocks, whole, rtol=1e-13, atol=0)
    alone = np.vstack([model.predict_joint_log_proba(X[i : i + 1]) for i in range(30)])
    np.testing.assert_allclose(alone, whole, rtol=1e-13, atol=0)


@pytest.mark.parametrize(
    "bad",
    ["nan mu", "inf logvar", "a list", "int", "dtypes differ", "empty"],
)
def test_reparameterize_checks_its_input(bad):
    mu, logvar = torch.zeros(3, 2), torch.zeros(3, 2)
    args, message = {
        "nan mu": ((mu + float("nan"), logvar), r"mu contains NaN or infinity \(6 NaN"),
        "inf logvar": ((mu, logvar + float("inf")), r"logvar contains NaN or infinity"),
        "a list": (([0.0], logvar), r"mu must be a torch.Tensor; got list"),
        "int": ((mu.long(), logvar), "mu must hold floating-point numbers"),
        "dtypes differ": ((mu, logvar.double()), "mu and logvar must have one dtype"),
        "empty": ((mu[:0], logvar[:0]), "mu is empty"),
    }[bad]
    with pytest.raises(ValueError, match=message):
        VAE.reparameterize(*args)
    z = VAE.reparameterize(mu, logvar, torch.Generator().manual_seed(0))  # legal
    assert torch.equal(z, torch.randn(3, 2, generator=torch.Generator().manual_seed(0)))


@pytest.mark.parametrize(
    ("priors", "message"),
    [
        ([0.5, 0.6], "priors must sum to 1"),
        ([1.0], "priors has 1 entries for 2 classes"),
        ([[0.5, 0.5]], "priors must be 1-dim"),
    ],
)
def test_vae_classifier_checks_its_priors_before_training(priors, message, monkeypatch):
    import genlab.vae_classifier as vc

    def no_training(*args, **kwargs):
        raise AssertionError("trained before checking the priors")

    monkeypatch.setattr(vc, "train", no_training)
    X, y = np.random.default_rng(0).random((10, 3)), np.arange(10) % 2
    with pytest.raises(ValueError, match=message):
        ConditionalVAEClassifier(epochs=1, priors=priors).fit(X, y)


# ---------------------------------------------------------------- issue 16, numerics part
import itertools  # noqa: E402

from scipy import stats  # noqa: E402
from scipy.special import log_softmax  # noqa: E402
from scipy.special import logsumexp as scipy_logsumexp  # noqa: E402

from genlab import gaussian, hmm, numerics  # noqa: E402
from genlab._validation import check_bool, check_variances_representable  # noqa: E402
from genlab.cluster import canonical_order, check_permutation  # noqa: E402
from genlab.gaussian import LinearDiscriminant  # noqa: E402
from genlab.hmm import CategoricalHMM, GaussianHMM  # noqa: E402
from genlab.mixture import GaussianMixtureClassifier  # noqa: E402
from genlab.naive_bayes import GaussianNB  # noqa: E402

RNG = np.random.default_rng(0)
X2 = np.vstack([RNG.normal(size=(20, 2)), RNG.normal(3.0, 1.0, size=(20, 2))])
Y2 = np.repeat([0, 1], 20)
OVERFLOW = "overflow float64"

CLASSIFIERS = {
    "GaussianNB": GaussianNB,
    "GaussianClassifier": GaussianClassifier,
    "LinearDiscriminant": LinearDiscriminant,
    "GaussianMixtureClassifier": lambda: GaussianMixtureClassifier(n_components=1, random_state=0),
}
DENSITIES = {
    "MultivariateNormal": MultivariateNormal,
    **{
        f"GaussianMixture-{c}": (lambda c=c: GaussianMixture(2, covariance_type=c, random_state=0))
        for c in ("full", "tied", "diag", "spherical")
    },
    "KMeans": lambda: KMeans(2, random_state=0),
    "GaussianHMM-diag": lambda: GaussianHMM(2, n_iter=3, random_state=0),
    "GaussianHMM-full": lambda: GaussianHMM(2, covariance_type="full", n_iter=3, random_state=0),
}


@pytest.mark.parametrize("method", ["predict", "predict_proba", "predict_log_proba"])
@pytest.mark.parametrize("make", CLASSIFIERS.values(), ids=CLASSIFIERS.keys())
def test_classifiers_refuse_prediction_data_whose_distances_overflow(make, method):
    # (fitted on data of order 1; 1e200 used to give -inf densities and class 0)
    model = make().fit(X2, Y2)
    with pytest.raises(ValueError, match=OVERFLOW):
        getattr(model, method)(np.full((3, 2), 1e200))
    getattr(model, method)(X2 * 1e3)  # far, but representable: fine


def _methods(make):
    names = ("score_samples", "score", "predict", "predict_proba")
    return [m for m in names if hasattr(make(), m)]


@pytest.mark.parametrize(
    ("make", "method"),
    [(make, m) for make in DENSITIES.values() for m in _methods(make)],
    ids=[f"{name}.{m}" for name, make in DENSITIES.items() for m in _methods(make)],
)
def test_densities_and_clusterers_refuse_prediction_data_whose_distances_overflow(make, method):
    model = make().fit(X2)
    huge = np.full((3, 2), 1e200)
    if isinstance(model, GaussianHMM):  # (|x| <= 1e100 is checked first)
        huge = np.full((3, 2), 1e99)
        model.covars_ = model.covars_ * 1e-110
    with pytest.raises(ValueError, match=OVERFLOW):
        getattr(model, method)(huge)


def test_multivariate_normal_methods_refuse_overflow_and_complex():
    model = MultivariateNormal().fit(X2)
    for method in ("logpdf", "pdf", "mahalanobis", "score_samples", "score"):
        with pytest.raises(ValueError, match=OVERFLOW):
            getattr(model, method)([[1e200, 0.0]])
        for bad in (np.array([[1 + 1j, 0.0]]), np.array([1 + 0j, 0.0])):
            with pytest.raises(ValueError, match="Complex data not supported"):
                getattr(model, method)(bad)
    # a single point far away but representable: scipy agrees
    x = np.array([1e100, -3e99])
    expected = stats.multivariate_normal(model.mean_, model.covariance_).logpdf(x)
    assert model.logpdf(x) == pytest.approx(expected, rel=1e-12)


def test_kmeans_on_tiny_data_equals_kmeans_on_the_data_scaled_up():
    # Squares of 1e-200 underflow to 0: every distance looked like 0 and k-means++ said
    # "fewer than n_clusters distinct points". Scikit-learn on the data scaled up is the
    # oracle: the same labels, the centres scaled down.
    from sklearn.cluster import KMeans as SkKMeans

    start = X2[[0, 25]]
    sk = SkKMeans(2, init=start, n_init=1, tol=0.0, algorithm="lloyd").fit(X2)
    for scale in (1e-200, 2.0**-1000, 1e-300):
        km = KMeans(2, init=start * scale).fit(X2 * scale)
        np.testing.assert_array_equal(km.labels_, sk.labels_)
        np.testing.assert_allclose(km.cluster_centers_, sk.cluster_centers_ * scale, rtol=1e-10)
        np.testing.assert_array_equal(km.predict(X2 * scale), sk.predict(X2))
        assert km.inertia_ == pytest.approx(sk.inertia_ * scale**2, rel=1e-9, abs=1e-320)
        fitted = KMeans(2, random_state=0).fit(X2 * scale)  # k-means++ works too
        assert len(np.unique(fitted.labels_)) == 2


def test_kmeans_plusplus_on_tiny_data_picks_as_on_the_data():
    # a power-of-two scaling is exact: the same D^2 probabilities, the same picks
    _, reference = kmeans_plusplus(X2, 3, random_state=0)
    _, tiny = kmeans_plusplus(X2 * 2.0**-700, 3, random_state=0)
    np.testing.assert_array_equal(tiny, reference)


GAUSSIAN_FITS = {
    "MultivariateNormal": lambda X: MultivariateNormal().fit(X),
    "MultivariateNormal-ridge": lambda X: MultivariateNormal(reg_covar=1e-3).fit(X),
    "GaussianClassifier": lambda X: GaussianClassifier().fit(X, Y2),
    "LinearDiscriminant": lambda X: LinearDiscriminant().fit(X, Y2),
    "GaussianMixture": lambda X: GaussianMixture(2, random_state=0).fit(X),
    "GaussianMixtureClassifier": lambda X: GaussianMixtureClassifier(1).fit(X, Y2),
    "GaussianHMM": lambda X: GaussianHMM(2, n_iter=2, random_state=0).fit(X),
}


@pytest.mark.parametrize("fit", GAUSSIAN_FITS.values(), ids=GAUSSIAN_FITS.keys())
def test_gaussian_fits_refuse_data_whose_variances_underflow_with_the_reason(fit):
    # (they used to say "singular covariance", or fit a ridge alone and predict class 0)
    with pytest.raises(ValueError, match="so little that its variance underflows float64"):
        fit(X2 * 1e-200)
    fit(X2 * 1e-140)  # variances of about 1e-280 are normal numbers: fine


def test_tiny_but_representable_data_give_scipys_density():
    X = X2 * 1e-140
    model = MultivariateNormal().fit(X)
    expected = stats.multivariate_normal(X.mean(axis=0), np.cov(X.T, ddof=0)).logpdf(X[:5])
    np.testing.assert_allclose(model.logpdf(X[:5]), expected, rtol=1e-10)


def test_check_variances_representable():
    check_variances_representable(np.zeros((3, 2)))  # constant features: another check's job
    check_variances_representable(np.array([[1e-150], [-1e-150]]))
    with pytest.raises(ValueError, match="feature 1 of Z varies"):
        check_variances_representable(np.array([[0.0, 1e-170], [0.0, -1e-170]]), name="Z")


def test_the_overflow_check_on_computed_distances():
    X = np.array([[1e200, 0.0]])
    check_squared_distances_finite(X, squared=np.array([1.0, 1e300]))
    for squared in (np.array([np.inf]), np.array([np.nan, 1.0])):
        with pytest.raises(ValueError, match=r"X's values \(up to 1e\+200"):
            check_squared_distances_finite(X, squared=squared)


# ------------------------------------------------------------------- gaussian helpers
P2 = gaussian.precision_cholesky(np.array([[2.0, 0.3], [0.3, 1.0]]))
COMPLEX_CALLS = {
    "normal_logpdf x": lambda: gaussian.normal_logpdf(1j, 0.0, 1.0),
    "normal_logpdf mean": lambda: gaussian.normal_logpdf(0.0, 1 + 0j, 1.0),
    "normal_logpdf std": lambda: gaussian.normal_logpdf(0.0, 0.0, np.array([1 + 0j])),
    "normal_pdf": lambda: gaussian.normal_pdf(np.array([1j]), 0.0, 1.0),
    "cholesky_factor": lambda: gaussian.cholesky_factor(np.eye(2) + 0j),
    "triangular_inverse": lambda: gaussian.triangular_inverse(np.eye(2) * (1 + 1j)),
    "precision_cholesky full": lambda: gaussian.precision_cholesky(np.eye(2) + 0j),
    "precision_cholesky diag": lambda: gaussian.precision_cholesky(np.array([1 + 0j])),
    "whiten X": lambda: gaussian.whiten(np.array([[1j, 0]]), [0, 0], P2),
    "whiten mean": lambda: gaussian.whiten([[1.0, 0]], np.array([1j, 0]), P2),
    "whiten P": lambda: gaussian.whiten([[1.0, 0]], [0, 0], P2 + 0j),
    "mvn_logpdf X": lambda: gaussian.multivariate_normal_logpdf(np.array([[1j, 0]]), [0, 0], P2),
    "log_det_factor": lambda: gaussian.log_det_factor(P2 + 0j, 2),
    "lfm distance": lambda: gaussian.logpdf_from_mahalanobis(np.array([1j]), 2, 0.0),
    "lfm log_det": lambda: gaussian.logpdf_from_mahalanobis([1.0], 2, 1j),
    "from_parameters": lambda: MultivariateNormal.from_parameters([0, 0], np.eye(2) + 0j),
    "logsumexp": lambda: numerics.logsumexp(np.array([1j])),
    "log_normalize": lambda: numerics.log_normalize(np.array([1j, 0])),
    "stable_order": lambda: numerics.stable_order(np.array([1j, 0])),
    "first_best": lambda: numerics.first_best(np.array([1j, 0])),
    "canonical_order": lambda: canonical_order(np.array([[1j, 0]])),
    "hmm.forward": lambda: hmm.forward(
        np.log([0.5, 0.5]) + 0j, np.log(np.eye(2) * 0.5 + 0.25), np.zeros((2, 2))
    ),
}


@pytest.mark.parametrize("call", COMPLEX_CALLS.values(), ids=COMPLEX_CALLS.keys())
def test_complex_input_is_refused_not_truncated(call):
    with pytest.raises(ValueError, match="[Cc]omplex"):
        call()


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: gaussian.normal_logpdf(1.0, 0.0, 0.0), "std must be > 0"),
        (lambda: gaussian.normal_logpdf([1.0, np.nan], 0.0, 1.0), "x contains NaN"),
        (lambda: gaussian.normal_logpdf("a", 0.0, 1.0), "x must be a numeric array"),
        (lambda: gaussian.normal_logpdf(np.zeros(3), np.zeros(2), 1.0), "must broadcast"),
        (lambda: gaussian.normal_logpdf(1e200, 0.0, 1e-200), "overflows float64"),
        (lambda: gaussian.normal_pdf(0.0, 0.0, 1e-320), "exceeds float64's range"),
        (lambda: gaussian.cholesky_factor(np.ones((2, 3))), "square matrix"),
        (lambda: gaussian.cholesky_factor(np.eye(2), max_condition="a"), "max_condition must"),
        (lambda: gaussian.cholesky_factor(np.eye(2), max_condition=0.5), "max_condition must"),
        (lambda: gaussian.triangular_inverse(np.ones((2, 2, 2))), "square matrix"),
        (lambda: gaussian.whiten([1.0, 0.0], [0, 0], P2), "X must be 2-D"),
        (lambda: gaussian.whiten([[1.0, 0.0]], [0, 0], P2, check_finite="no"), "check_finite"),
        (lambda: gaussian.whiten([[1e200, 0.0]], [0, 0], P2 * 1e200), OVERFLOW),
        (lambda: gaussian.multivariate_normal_logpdf([[1e200, 0.0]], [0, 0], P2), OVERFLOW),
        (lambda: gaussian.log_det_factor(np.ones(3), 2), r"shape \(2, 2\), \(2,\) or \(\)"),
        (lambda: gaussian.log_det_factor(2.0, "2"), "n_features must be an integer"),
        (lambda: gaussian.log_det_factor(2.0, -1), "n_features must be an integer >= 0"),
        (lambda: gaussian.log_det_factor([np.inf, 1.0], 2), "positive and finite"),
        (lambda: gaussian.logpdf_from_mahalanobis([np.nan], 2, 0.0), "NaN or infinity"),
        (lambda: gaussian.logpdf_from_mahalanobis([np.inf], 2, 0.0), "NaN or infinity"),
        (lambda: gaussian.logpdf_from_mahalanobis([-1.0], 2, 0.0), ">= 0"),
        (lambda: gaussian.logpdf_from_mahalanobis([1.0], 2.5, 0.0), "n_features"),
        (lambda: gaussian.logpdf_from_mahalanobis([1.0], 2, np.nan), "log_det_precision"),
        (lambda: gaussian.logpdf_from_mahalanobis([1.0, 2], 2, [0.0] * 3), "broadcast"),
    ],
)
def test_gaussian_helpers_name_the_problem(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_normal_logpdf_legal_edge_cases_against_scipy():
    x, mean, std = np.arange(3.0)[:, None], np.array([0.0, 1.0]), np.array([1.0, 2.0])
    np.testing.assert_allclose(
        gaussian.normal_logpdf(x, mean, std), stats.norm.logpdf(x, mean, std), rtol=1e-13
    )
    scalar = gaussian.normal_logpdf(0.5, 0.0, 2.0)
    assert np.ndim(scalar) == 0 and scalar == pytest.approx(stats.norm.logpdf(0.5, 0, 2), 1e-14)
    assert gaussian.normal_logpdf(np.zeros(0), 0.0, 1.0).shape == (0,)
    assert gaussian.normal_pdf(np.zeros((0, 2)), 0.0, 1.0).shape == (0, 2)
    tiny = gaussian.normal_logpdf(3e-200, 1e-200, 1e-200)  # tiny std: z = 2
    assert tiny == pytest.approx(stats.norm.logpdf(3e-200, 1e-200, 1e-200), rel=1e-13)


def test_gaussian_helpers_accept_zero_features_and_agree_with_scipy():
    for f in (gaussian.cholesky_factor, gaussian.triangular_inverse, gaussian.precision_cholesky):
        assert f(np.zeros((0, 0))).shape == (0, 0)
    assert gaussian.precision_cholesky(np.zeros(0)).shape == (0,)
    assert gaussian.whiten(np.zeros((0, 2)), [0, 0], P2).shape == (0, 2)
    assert gaussian.logpdf_from_mahalanobis(np.zeros(0), 2, 0.0).shape == (0,)
    cov = np.array([[2.0, 0.3], [0.3, 1.0]])
    assert gaussian.log_det_factor(P2, 2) == pytest.approx(-0.5 * np.linalg.slogdet(cov)[1], 1e-14)
    x = np.array([[0.3, -1.0], [1e100, 2.0]])
    z = gaussian.whiten(x, [0.1, 0.2], P2)
    got = gaussian.logpdf_from_mahalanobis(
        np.sum(z * z, axis=1), 2, gaussian.log_det_factor(P2, 2)
    )
    np.testing.assert_allclose(
        got, stats.multivariate_normal([0.1, 0.2], cov).logpdf(x), rtol=1e-12
    )


# -------------------------------------------------------------------------- numerics
@pytest.mark.parametrize("axis", [5, -3, 1.5, "0", True, np.float64(1.0)])
@pytest.mark.parametrize("f", [numerics.logsumexp, numerics.log_normalize])
def test_bad_axis_is_named(f, axis):
    with pytest.raises(ValueError, match="axis"):
        f(np.zeros((2, 2)), axis=axis)


@pytest.mark.parametrize(
    "call",
    [
        lambda v: numerics.logsumexp([1.0], keepdims=v),
        lambda v: numerics.stable_order([1.0, 2.0], descending=v),
        lambda v: numerics.first_best([1.0], lowest=v),
        lambda v: gaussian.whiten([[1.0, 0.0]], [0, 0], P2, check_finite=v),
        lambda v: gaussian.multivariate_normal_logpdf([[1.0, 0.0]], [0, 0], P2, check_finite=v),
        lambda v: check_bool(v, name="flag"),
        lambda v: KMeans(2).get_params(deep=v),
    ],
)
@pytest.mark.parametrize("value", ["no", "False", 0, 1, None, 1.0])
def test_flags_must_be_bools(call, value):
    with pytest.raises(ValueError, match="must be True or False"):
        call(value)
    call(np.bool_(True))


@pytest.mark.parametrize("decimals", [-1, 1.5, True, "3", None])
@pytest.mark.parametrize(
    "call",
    [
        lambda d: numerics.stable_order([1.0, 2.0], decimals=d),
        lambda d: canonical_order([[1.0, 2.0]], decimals=d),
    ],
    ids=["stable_order", "canonical_order"],
)
def test_decimals_is_a_count(call, decimals):
    with pytest.raises(ValueError, match="decimals must be an integer >= 0"):
        call(decimals)


@pytest.mark.parametrize("tol", ["a", np.nan, -1.0, 1j, None, True])
def test_first_best_tolerances_are_numbers(tol):
    for name in ("rtol", "atol"):
        with pytest.raises(ValueError, match=f"{name} must be"):
            numerics.first_best([1.0, 2.0], **{name: tol})


def test_logsumexp_of_empty_and_minus_infinity_agrees_with_scipy():
    for a, axis in [
        (np.zeros(0), None),
        (np.zeros((0, 3)), 0),
        (np.zeros((0, 3)), 1),
        (np.full((2, 3), -np.inf), 1),
        (np.array([[-np.inf, -np.inf], [0.0, 1.0]]), 1),
        (np.array([-1e308, 0.0, -1e308]), None),
        (np.float64(2.5), None),
        (np.float64(2.5), 0),
    ]:
        expected = scipy_logsumexp(a, axis=axis)
        got = numerics.logsumexp(a, axis=axis)
        assert got.shape == np.shape(expected)
        np.testing.assert_array_equal(got, expected)
        kept = numerics.logsumexp(a, axis=axis, keepdims=True)
        np.testing.assert_array_equal(kept, scipy_logsumexp(a, axis=axis, keepdims=True))


def test_log_normalize_edge_cases():
    # near -1e308 the log evidence absorbs log(sum): normalising after the shift is exact
    w = np.array([[-1e308, -1e308, -np.inf], [-1e308, 0.0, -3.0]])
    log_probs, log_norm = numerics.log_normalize(w, axis=1)
    np.testing.assert_allclose(log_probs, log_softmax(w, axis=1), rtol=1e-14)
    np.testing.assert_allclose(np.exp(log_probs).sum(axis=1), 1.0, rtol=1e-14)
    np.testing.assert_allclose(log_norm, scipy_logsumexp(w, axis=1), rtol=1e-14)
    empty, norm = numerics.log_normalize(np.zeros((0, 3)))  # no slices at all
    assert empty.shape == (0, 3) and norm.shape == (0,)
    with pytest.raises(ValueError, match="no entries along axis 1"):
        numerics.log_normalize(np.zeros((2, 0)))
    with pytest.raises(ValueError, match="at least one dimension"):
        numerics.log_normalize(1.0)


@pytest.mark.filterwarnings("error")
def test_ordering_helpers_with_many_decimals_or_huge_values():
    # np.round(x, decimals) multiplies by 10**decimals: it used to overflow to inf or NaN
    # and give an arbitrary order
    values = [2.0, 1.0, 3.0, 1e300, -1e300, 1e299, 5e-324]
    expected = sorted(range(len(values)), key=lambda i: values[i])
    for decimals in (0, 9, 20, 400, 10**6):
        np.testing.assert_array_equal(numerics.stable_order(values, decimals=decimals), expected)
        np.testing.assert_array_equal(
            canonical_order(np.array(values)[:, None], decimals=decimals), expected
        )


def test_ordering_helpers_on_empty_input():
    assert numerics.stable_order([]).shape == (0,)
    assert canonical_order(np.zeros((0, 2))).shape == (0,)
    assert check_permutation([], 0).shape == (0,)
    for n in ("3", 2.0, True, -1):
        with pytest.raises(ValueError, match="n must be an integer"):
            check_permutation([0, 1], n)


# ---------------------------------------------------------------- HMM recursions
LOG_PI, LOG_A = np.log([0.6, 0.4]), np.log([[0.9, 0.1], [0.2, 0.8]])


def _brute_force(log_b):
    """log P(O) and the state posteriors, by enumerating every path (scipy's logsumexp)."""
    T, K = log_b.shape
    paths = list(itertools.product(range(K), repeat=T))
    with np.errstate(over="ignore"):
        scores = np.array(
            [
                LOG_PI[p[0]]
                + sum(LOG_A[p[t - 1], p[t]] for t in range(1, T))
                + sum(log_b[t, p[t]] for t in range(T))
                for p in paths
            ]
        )
    ll = scipy_logsumexp(scores)
    gamma = np.zeros((T, K))
    for p, s in zip(paths, scores, strict=True):
        for t in range(T):
            gamma[t, p[t]] += np.exp(s - ll)
    return ll, gamma, paths[int(np.argmax(scores))], float(np.max(scores))


@pytest.mark.filterwarnings("error")  # (no overflow warnings either)
def test_recursions_with_extreme_but_finite_log_emissions_match_brute_force():
    log_b = np.array([[-1e308, 0.0], [0.0, -1e308], [0.0, -1.0], [-1e308, -2.0]])
    ll, gamma, path, best = _brute_force(log_b)
    log_alpha, got_ll = hmm.forward(LOG_PI, LOG_A, log_b)
    log_beta = hmm.backward(LOG_A, log_b)
    assert got_ll == pytest.approx(ll, rel=1e-12)
    got_gamma, _ = hmm.posteriors(log_alpha, log_beta, LOG_A, log_b)
    np.testing.assert_allclose(got_gamma, gamma, atol=1e-12)
    log_prob, got_path = hmm.viterbi(LOG_PI, LOG_A, log_b)
    assert log_prob == pytest.approx(best, rel=1e-12)
    np.testing.assert_array_equal(got_path, path)


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize(
    "call",
    [
        lambda b: hmm.forward(LOG_PI, LOG_A, b),
        lambda b: hmm.backward(LOG_A, b),
        lambda b: hmm.viterbi(LOG_PI, LOG_A, b),
    ],
    ids=["forward", "backward", "viterbi"],
)
@pytest.mark.parametrize("value", [-1e308, 1e308])
def test_recursions_whose_result_leaves_float64_say_so(call, value):
    # three steps of -1e308: log P(O) is about -3e308, which float64 cannot hold; it is
    # not -inf (probability zero), so a clear error rather than -inf (and +inf, NaN)
    with pytest.raises(ValueError, match="beyond float64's range"):
        call(np.full((3, 2), value))


def test_a_genuinely_impossible_sequence_is_still_minus_infinity():
    log_b = np.array([[0.0, -np.inf], [-np.inf, 0.0]])
    log_A = np.array([[0.0, -np.inf], [-np.inf, 0.0]])  # the identity: no switching
    assert hmm.forward(LOG_PI, log_A, log_b)[1] == -np.inf


def test_gaussian_hmm_says_when_its_log_likelihood_leaves_float64():
    model = GaussianHMM(2, init_params="", params="")
    model.startprob_, model.transmat_ = np.exp(LOG_PI), np.exp(LOG_A)
    model.means_, model.covars_ = np.zeros((2, 1)), np.full((2, 1), 1e-107)
    X = np.full((40, 1), 1e100)  # about -5e306 per step: -2e308 in all
    for method in ("score", "predict", "predict_proba", "score_samples", "decode"):
        with pytest.raises(ValueError, match="beyond float64's range"):
            getattr(model, method)(X)
    assert model.score(X[:10]) == pytest.approx(-5e307, rel=1e-6)  # representable


def test_categorical_hmm_zero_probability_is_still_reported_as_such():
    model = CategoricalHMM(2, init_params="", params="")
    model.startprob_ = np.array([1.0, 0.0])
    model.transmat_ = np.eye(2)
    model.emissionprob_ = np.array([[1.0, 0.0], [0.0, 1.0]])
    assert model.score([[1]]) == -np.inf
    with pytest.raises(ValueError, match="probability zero"):
        model.predict([[1]])


# ---------------------------------------------------------------- k-means seeding
@pytest.mark.parametrize("k", [0, -1, 2.5, "2", True, None, np.float64(2.0)])
def test_kmeans_plusplus_n_clusters_is_a_count(k):
    with pytest.raises(ValueError, match="n_clusters must be an integer >= 1"):
        kmeans_plusplus(X2, k, random_state=0)


def test_kmeans_plusplus_n_clusters_at_most_the_distinct_points():
    with pytest.raises(ValueError, match="n_clusters must be between 1 and n_samples=40"):
        kmeans_plusplus(X2, 41, random_state=0)
    with pytest.raises(ValueError, match="fewer than n_clusters=2 distinct points"):
        kmeans_plusplus(np.ones((5, 2)), 2, random_state=0)
    assert kmeans_plusplus(X2, np.int64(40), random_state=0)[0].shape == (40, 2)


@pytest.mark.parametrize("seed", [-1, "a", 1.5, True, [1, 2]])
@pytest.mark.parametrize(
    "call",
    [
        lambda s: kmeans_plusplus(X2, 2, random_state=s),
        lambda s: KMeans(2, random_state=s).fit(X2),
        lambda s: GaussianMixture(2, random_state=s).fit(X2),
        lambda s: GaussianHMM(2, random_state=s).fit(X2),
        lambda s: MultivariateNormal().fit(X2).sample(3, random_state=s),
        lambda s: GaussianClassifier().fit(X2, Y2).sample(3, random_state=s),
        lambda s: GaussianMixture(2, random_state=0).fit(X2).sample(3, random_state=s),
    ],
    ids=[
        "kmeans_plusplus",
        "KMeans",
        "GaussianMixture",
        "GaussianHMM",
        "MVN.sample",
        "GaussianClassifier.sample",
        "GaussianMixture.sample",
    ],
)
def test_bad_random_states_get_genlabs_message(call, seed):
    with pytest.raises(ValueError, match="random_state must be None, a non-negative integer"):
        call(seed)


# ------------------------------------------------- density samplers: bounded sizes
def _fitted_density_samplers():
    """Each density model's sampler, fitted on 2-D data, with the columns its output holds."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 2))
    symbols = (X[:, :1] > 0).astype(int)
    return {
        # (model, columns per sample: the features, plus a label/state column if returned)
        "MultivariateNormal": (MultivariateNormal().fit(X), 2),
        "GaussianMixture": (GaussianMixture(2, random_state=0).fit(X), 3),
        "GaussianHMM": (GaussianHMM(2, n_iter=3, random_state=0).fit(X), 3),
        "CategoricalHMM": (CategoricalHMM(2, n_iter=3, random_state=0).fit(symbols), 2),
    }


@pytest.mark.parametrize(
    "name", ["MultivariateNormal", "GaussianMixture", "GaussianHMM", "CategoricalHMM"]
)
def test_density_samplers_refuse_outputs_beyond_the_limit_by_name(name, monkeypatch):
    model, columns = _fitted_density_samplers()[name]
    # 10**12 samples: refused at once with the memory named, not a MemoryError
    with pytest.raises(ValueError, match=r"n_samples is too large: .* need [0-9.]+ TiB"):
        model.sample(10**12)
    # the bound is exact: 10 samples fit a limit of 10 rows, 11 do not
    monkeypatch.setattr(_validation, "MAX_OUTPUT_BYTES", 8 * columns * 10)
    drawn = model.sample(10, random_state=1)
    X = drawn[0] if isinstance(drawn, tuple) else drawn
    assert len(X) == 10
    with pytest.raises(ValueError, match=r"n_samples is too large: .* shape \(11, "):
        model.sample(11, random_state=1)
