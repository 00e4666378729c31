"""genlab.naive_bayes against scikit-learn's naive_bayes (the oracle), plus generation,
online learning, degenerate and bad input."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn import naive_bayes as skl
from sklearn.datasets import load_digits, load_iris, load_wine, make_classification

from genlab._validation import NotFittedError
from genlab.naive_bayes import BernoulliNB, GaussianNB, MultinomialNB

PARAM = {"rtol": 1e-10, "atol": 1e-10}  # parameters
LOGP = {"rtol": 1e-10, "atol": 1e-8}  # log-probabilities


def gaussian_datasets():
    iris, wine, digits = load_iris(), load_wine(), load_digits()
    X, y = make_classification(
        n_samples=600, n_features=12, n_informative=6, n_classes=4, random_state=0
    )
    return {
        "iris": (iris.data, iris.target),
        "wine": (wine.data, wine.target),
        "digits": (digits.data, digits.target),  # has pixels that are constant (zero variance)
        "random": (X * 100.0 + 5.0, y),
    }


GAUSSIAN = gaussian_datasets()


def count_datasets():
    rng = np.random.default_rng(1)
    digits = load_digits()
    y = rng.integers(0, 3, size=400)
    rates = rng.gamma(1.0, 1.0, size=(3, 50))
    counts = rng.poisson(rates[y])
    return {"digits": (digits.data, digits.target), "poisson": (counts.astype(float), y)}


COUNTS = count_datasets()


def assert_same_predictions(ours, theirs, X):
    assert_allclose(ours.predict_joint_log_proba(X), theirs.predict_joint_log_proba(X), **LOGP)
    assert_allclose(ours.predict_log_proba(X), theirs.predict_log_proba(X), **LOGP)
    assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), rtol=1e-9, atol=1e-12)
    assert_array_equal(ours.predict(X), theirs.predict(X))


# ----------------------------------------------------------------- GaussianNB
@pytest.mark.parametrize("name", list(GAUSSIAN))
def test_gaussian_matches_sklearn(name):
    X, y = GAUSSIAN[name]
    ours, theirs = GaussianNB().fit(X, y), skl.GaussianNB().fit(X, y)
    for attr in ("theta_", "var_", "class_prior_", "class_count_", "epsilon_"):
        assert_allclose(getattr(ours, attr), getattr(theirs, attr), **PARAM, err_msg=attr)
    assert_array_equal(ours.classes_, theirs.classes_)
    assert_same_predictions(ours, theirs, X)
    assert ours.score(X, y) == pytest.approx(theirs.score(X, y), abs=1e-15)


def test_gaussian_with_weights_priors_and_smoothing_matches_sklearn():
    X, y = GAUSSIAN["wine"]
    w = np.random.default_rng(0).uniform(0.1, 3.0, size=len(y))
    kw = {"priors": [0.2, 0.5, 0.3], "var_smoothing": 1e-3}
    ours = GaussianNB(**kw).fit(X, y, sample_weight=w)
    theirs = skl.GaussianNB(**kw).fit(X, y, sample_weight=w)
    for attr in ("theta_", "var_", "class_prior_", "class_count_"):
        assert_allclose(getattr(ours, attr), getattr(theirs, attr), **PARAM, err_msg=attr)
    assert_same_predictions(ours, theirs, X)


def test_gaussian_ddof1_is_the_sample_variance():
    X, y = GAUSSIAN["iris"]
    nb = GaussianNB(ddof=1, var_smoothing=0.0).fit(X, y)
    for k, c in enumerate(nb.classes_):
        assert_allclose(nb.var_[k], np.var(X[y == c], axis=0, ddof=1), **PARAM)


def test_gaussian_partial_fit_in_chunks_equals_fit_and_sklearn():
    X, y = GAUSSIAN["random"]
    full = GaussianNB().fit(X, y)
    ours, theirs = GaussianNB(), skl.GaussianNB()
    for chunk in np.array_split(np.arange(len(y)), 7):
        ours.partial_fit(X[chunk], y[chunk], classes=np.unique(y))
        theirs.partial_fit(X[chunk], y[chunk], classes=np.unique(y))
    for attr in ("theta_", "var_", "class_count_"):
        assert_allclose(getattr(ours, attr), getattr(theirs, attr), rtol=1e-9, err_msg=attr)
    # epsilon_ is set by the first batch (as in scikit-learn), so compare the
    # variances without it.
    assert_allclose(ours.theta_, full.theta_, rtol=1e-12, atol=1e-9)
    assert_allclose(ours.var_ - ours.epsilon_, full.var_ - full.epsilon_, rtol=1e-10)


def test_gaussian_sample_has_the_fitted_moments():
    X, y = GAUSSIAN["iris"]
    nb = GaussianNB().fit(X, y)
    n = 40_000
    Xs, ys = nb.sample(n, y=1, random_state=0)
    assert np.all(ys == 1) and Xs.shape == (n, 4)
    mean, var = nb.theta_[1], nb.var_[1]
    assert np.all(np.abs(Xs.mean(0) - mean) < 4 * np.sqrt(var / n))
    assert np.all(np.abs(Xs.var(0, ddof=1) - var) < 4 * var * np.sqrt(2 / (n - 1)))
    # without y, classes follow the prior
    _, ys = nb.sample(n, random_state=1)
    freq = np.bincount(ys, minlength=3) / n
    assert np.all(np.abs(freq - nb.class_prior_) < 4 * np.sqrt(nb.class_prior_ / n))


def test_gaussian_zero_variance_features_give_finite_scores():
    X, y = GAUSSIAN["digits"]
    assert np.any(X.var(axis=0) == 0)
    nb = GaussianNB().fit(X, y)
    probe = X.copy()
    probe[:, X.var(axis=0) == 0] = 16.0  # far from the constant training value
    assert np.all(np.isfinite(nb.predict_log_proba(probe)))
    # every feature constant: epsilon_ falls back to var_smoothing itself
    Xc = np.ones((6, 3))
    nb = GaussianNB().fit(Xc, [0, 0, 0, 1, 1, 1])
    assert nb.epsilon_ == 1e-9
    assert np.all(np.isfinite(nb.predict_log_proba(np.zeros((2, 3)))))


def test_duplicate_points_are_fine():
    X = np.array([[1.0, 2.0]] * 4 + [[3.0, 1.0], [3.5, 1.5]])
    nb = GaussianNB().fit(X, [0, 0, 0, 0, 1, 1])
    assert np.all(np.isfinite(nb.predict_log_proba(X)))


def test_high_dimensional_inputs_give_finite_log_probabilities():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 2000))
    y = rng.integers(0, 3, size=300)
    X[y == 1] += 0.1
    assert np.all(np.isfinite(GaussianNB().fit(X, y).predict_log_proba(X)))
    counts = rng.poisson(0.5, size=(300, 2000)).astype(float)
    for model in (MultinomialNB(), BernoulliNB()):
        log_p = model.fit(counts, y).predict_log_proba(counts)
        assert np.all(np.isfinite(log_p))
    # a product of 2000 densities underflows in plain arithmetic; the log stays finite
    jll = GaussianNB().fit(X, y).predict_joint_log_proba(X)
    assert np.all(np.exp(jll) == 0.0) and np.all(np.isfinite(jll))


def test_string_labels():
    X, y = GAUSSIAN["iris"]
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    nb = GaussianNB().fit(X, names)
    assert_array_equal(nb.classes_, ["setosa", "versicolor", "virginica"])
    assert nb.score(X, names) == pytest.approx(GaussianNB().fit(X, y).score(X, y))
    _, ys = nb.sample(5, y="virginica", random_state=0)
    assert set(ys) == {"virginica"}


# ------------------------------------------------------- MultinomialNB, BernoulliNB
@pytest.mark.parametrize("name", list(COUNTS))
@pytest.mark.parametrize(
    "kw",
    [{}, {"alpha": 0.1}, {"fit_prior": False}, {"alpha": 2.5}],
    ids=["default", "alpha0.1", "uniform-prior", "alpha2.5"],
)
def test_multinomial_matches_sklearn(name, kw):
    X, y = COUNTS[name]
    ours, theirs = MultinomialNB(**kw).fit(X, y), skl.MultinomialNB(**kw).fit(X, y)
    for attr in ("feature_count_", "class_count_", "feature_log_prob_", "class_log_prior_"):
        assert_allclose(getattr(ours, attr), getattr(theirs, attr), **PARAM, err_msg=attr)
    assert_same_predictions(ours, theirs, X)


def test_multinomial_per_feature_alpha_and_class_prior_match_sklearn():
    X, y = COUNTS["poisson"]
    alpha = np.linspace(0.05, 3.0, X.shape[1])
    w = np.random.default_rng(2).uniform(0.5, 2.0, size=len(y))
    kw = {"alpha": alpha, "class_prior": [0.5, 0.25, 0.25]}
    ours = MultinomialNB(**kw).fit(X, y, sample_weight=w)
    theirs = skl.MultinomialNB(**kw).fit(X, y, sample_weight=w)
    for attr in ("feature_count_", "class_count_", "feature_log_prob_", "class_log_prior_"):
        assert_allclose(getattr(ours, attr), getattr(theirs, attr), **PARAM, err_msg=attr)
    assert_same_predictions(ours, theirs, X)


@pytest.mark.parametrize("binarize", [0.0, 7.5])
@pytest.mark.parametrize("kw", [{}, {"alpha": 0.3, "fit_prior": False}])
def test_bernoulli_matches_sklearn(binarize, kw):
    X, y = COUNTS["digits"]
    ours = BernoulliNB(binarize=binarize, **kw).fit(X, y)
    theirs = skl.BernoulliNB(binarize=binarize, **kw).fit(X, y)
    for attr in ("feature_count_", "class_count_", "feature_log_prob_", "class_log_prior_"):
        assert_allclose(getattr(ours, attr), getattr(theirs, attr), **PARAM, err_msg=attr)
    assert_same_predictions(ours, theirs, X)


def test_bernoulli_binary_input_without_threshold_matches_sklearn():
    X, y = COUNTS["poisson"]
    B = (X > 0).astype(float)
    w = np.random.default_rng(3).uniform(0.5, 2.0, size=len(y))
    ours = BernoulliNB(binarize=None).fit(B, y, sample_weight=w)
    theirs = skl.BernoulliNB(binarize=None).fit(B, y, sample_weight=w)
    assert_allclose(ours.feature_log_prob_, theirs.feature_log_prob_, **PARAM)
    assert_same_predictions(ours, theirs, B)


@pytest.mark.parametrize("model", [MultinomialNB, BernoulliNB])
def test_discrete_partial_fit_in_chunks_equals_fit(model):
    X, y = COUNTS["poisson"]
    full = model().fit(X, y)
    online = model()
    for chunk in np.array_split(np.arange(len(y)), 5):
        online.partial_fit(X[chunk], y[chunk], classes=[0, 1, 2])
    for attr in ("feature_count_", "class_count_", "feature_log_prob_", "class_log_prior_"):
        assert_allclose(getattr(online, attr), getattr(full, attr), rtol=1e-12, err_msg=attr)


def test_multinomial_sample_has_the_fitted_word_frequencies():
    X, y = COUNTS["poisson"]
    nb = MultinomialNB().fit(X, y)
    n, trials = 4000, 30
    Xs, ys = nb.sample(n, y=2, n_trials=trials, random_state=0)
    assert np.all(Xs.sum(axis=1) == trials) and np.all(ys == 2)
    theta = np.exp(nb.feature_log_prob_[2])
    se = np.sqrt(trials * theta * (1 - theta) / n)
    assert np.all(np.abs(Xs.mean(0) - trials * theta) < 4 * se)
    # by default a sample is as long as the class's average training row
    Xd, _ = nb.sample(3, y=0, random_state=0)
    expected = round(X[y == 0].sum() / np.sum(y == 0))
    assert np.all(Xd.sum(axis=1) == expected)


def test_bernoulli_sample_has_the_fitted_frequencies():
    X, y = COUNTS["digits"]
    nb = BernoulliNB(binarize=7.5).fit(X, y)
    n = 20_000
    Xs, _ = nb.sample(n, y=3, random_state=0)
    theta = np.exp(nb.feature_log_prob_[3])
    assert set(np.unique(Xs)) <= {0.0, 1.0}
    assert np.all(np.abs(Xs.mean(0) - theta) < 4 * np.sqrt(theta * (1 - theta) / n) + 1e-12)


def test_alpha_zero_is_clipped_so_no_score_is_nan():
    X = np.array([[2.0, 0.0], [3.0, 0.0], [0.0, 1.0], [0.0, 4.0]])
    y = [0, 0, 1, 1]
    for model in (MultinomialNB(alpha=0.0), BernoulliNB(alpha=0.0)):
        log_p = model.fit(X, y).predict_log_proba([[1.0, 1.0]])
        assert np.all(np.isfinite(log_p))


# ------------------------------------------------------------------ bad input
ALL = [GaussianNB, MultinomialNB, BernoulliNB]
X_OK = np.array([[1.0, 2.0], [2.0, 1.0], [3.0, 0.0], [0.0, 3.0]])
Y_OK = np.array([0, 0, 1, 1])


@pytest.mark.parametrize("model", ALL)
@pytest.mark.parametrize(
    ("X", "y", "message"),
    [
        ([[1.0, np.nan], [2.0, 1.0]], [0, 1], "NaN or infinity"),
        ([[1.0, np.inf], [2.0, 1.0]], [0, 1], "NaN or infinity"),
        ([1.0, 2.0, 3.0], [0, 1, 1], "2-dimensional"),
        (np.empty((0, 2)), [], "0 sample"),
        (X_OK, [0, 0, 0, 0], "at least two classes"),
        (X_OK, [0, 1, 1], "inconsistent numbers of samples"),
        (X_OK, [[0, 1, 1, 0]], "y must be 1-dimensional"),
    ],
)
def test_bad_training_input(model, X, y, message):
    with pytest.raises(ValueError, match=message):
        model().fit(X, y)


@pytest.mark.parametrize("model", ALL)
def test_bad_prediction_input(model):
    nb = model().fit(X_OK, Y_OK)
    with pytest.raises(ValueError, match="X has 3 features, but .* is expecting 2 features"):
        nb.predict(np.ones((2, 3)))
    with pytest.raises(ValueError, match="NaN or infinity"):
        nb.predict_proba([[np.nan, 1.0]])
    with pytest.raises(NotFittedError, match="not fitted yet"):
        model().predict(X_OK)
    with pytest.raises(ValueError, match="y=7 is not one of the classes"):
        nb.sample(2, y=7)
    for bad in (0, -1, 2.5, "3", True, None):
        with pytest.raises(ValueError, match="n_samples must be an integer >= 1"):
            nb.sample(bad)


@pytest.mark.parametrize("model", ALL)
def test_partial_fit_errors(model):
    with pytest.raises(ValueError, match="classes must be passed"):
        model().partial_fit(X_OK, Y_OK)
    nb = model().partial_fit(X_OK, Y_OK, classes=[0, 1])
    with pytest.raises(ValueError, match=r"labels \[5\] not among the classes"):
        nb.partial_fit(X_OK[:1], [5])


@pytest.mark.parametrize(
    ("model", "kw"),
    [(GaussianNB, "priors"), (MultinomialNB, "class_prior"), (BernoulliNB, "class_prior")],
)
@pytest.mark.parametrize(
    ("prior", "message"),
    [
        ([0.7, 0.7], "must sum to 1"),
        ([1.5, -0.5], "negative entries"),
        ([0.2, 0.3, 0.5], "3 entries for 2 classes"),
    ],
)
def test_bad_priors(model, kw, prior, message):
    with pytest.raises(ValueError, match=message):
        model(**{kw: prior}).fit(X_OK, Y_OK)


def test_model_specific_bad_input():
    with pytest.raises(
        ValueError,
        match="MultinomialNB: Negative values in data: X must hold non-negative counts"
        ".*smallest -1.0",
    ):
        MultinomialNB().fit([[1.0, -1.0], [0.0, 2.0]], [0, 1])
    with pytest.raises(ValueError, match="binary features"):
        BernoulliNB(binarize=None).fit(X_OK, Y_OK)
    with pytest.raises(ValueError, match="alpha must be a finite number >= 0 or an array"):
        MultinomialNB(alpha=-1.0).fit(X_OK, Y_OK)
    with pytest.raises(ValueError, match="one entry per feature"):
        MultinomialNB(alpha=[1.0, 1.0, 1.0]).fit(X_OK, Y_OK)
    with pytest.raises(ValueError, match="ddof must be an integer >= 0 and <= 1"):
        GaussianNB(ddof=2).fit(X_OK, Y_OK)
    with pytest.raises(ValueError, match="var_smoothing must be a finite number >= 0"):
        GaussianNB(var_smoothing=-1.0).fit(X_OK, Y_OK)
    with pytest.raises(ValueError, match=r"class\(es\) \[1\] have too few samples.*ddof=1"):
        GaussianNB(ddof=1).fit([[0.0], [1.0], [2.0]], [0, 0, 1])
    with pytest.raises(ValueError, match="zero variance in class 0 and var_smoothing=0"):
        GaussianNB(var_smoothing=0.0).fit([[1.0], [1.0], [2.0], [3.0]], [0, 0, 1, 1])
    with pytest.raises(ValueError, match="sample_weight has negative entries"):
        GaussianNB().fit(X_OK, Y_OK, sample_weight=[1, 1, -1, 1])
    with pytest.raises(ValueError, match="sample_weight has 3 entries for 4 samples"):
        GaussianNB().fit(X_OK, Y_OK, sample_weight=[1, 1, 1])
    with pytest.raises(ValueError, match="n_trials must be an integer >= 0"):
        MultinomialNB().fit(X_OK, Y_OK).sample(2, n_trials=-1)
