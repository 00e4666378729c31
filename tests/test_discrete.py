"""genlab.discrete against hand counts, brute-force enumeration and scikit-learn.

scikit-learn has no mixture of categoricals (nothing to compare a fit with); its
``CategoricalNB`` estimates the same smoothed per-class level probabilities, so it is
the oracle for ``IndependentCategorical`` and for the M-step of ``CategoricalMixture``
given hard responsibilities.
"""

from __future__ import annotations

import itertools
import math
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.naive_bayes import CategoricalNB

from genlab.discrete import CategoricalMixture, IndependentCategorical, _e_step, _m_step, _one_hot
from genlab.mixture import ConvergenceWarning

L, D = 3, 4
IMAGES = np.array(list(itertools.product(range(L), repeat=D)))  # every 2x2 image, 81


def toy_data(n=60, seed=0):
    """Two styles of 2x2 image with 3 levels: bright left column or bright right column."""
    rng = np.random.default_rng(seed)
    style = rng.integers(2, size=n)
    base = np.where(style[:, None] == 0, [2, 0, 2, 0], [0, 2, 0, 2])
    noise = rng.integers(-1, 2, size=(n, D))
    return np.clip(base + noise, 0, L - 1)


# ------------------------------------------------------------ IndependentCategorical
def test_independent_categorical_by_hand():
    X = [[0, 2], [0, 1], [1, 1]]
    model = IndependentCategorical(3, alpha=1.0).fit(X)
    # pixel 0: counts (2, 1, 0) -> (3, 2, 1) / 6; pixel 1: counts (0, 2, 1) -> (1, 3, 2) / 6
    assert_array_equal(model.level_count_, [[2, 1, 0], [0, 2, 1]])
    assert_allclose(np.exp(model.log_probs_), [[3 / 6, 2 / 6, 1 / 6], [1 / 6, 3 / 6, 2 / 6]])
    assert_allclose(
        model.score_samples([[0, 2], [2, 0]]),
        [math.log(3 / 6) + math.log(2 / 6), math.log(1 / 6) + math.log(1 / 6)],
        rtol=1e-15,
    )
    assert model.score([[0, 2], [2, 0]]) == pytest.approx(
        (math.log(3 / 6 * 2 / 6) + math.log(1 / 6 * 1 / 6)) / 2, rel=1e-15
    )


@pytest.mark.parametrize("alpha", [1.0, 0.3, 1e-3])
def test_independent_categorical_equals_sklearn_categorical_nb_per_class(alpha):
    X = toy_data(80, seed=1)
    y = np.random.default_rng(2).integers(2, size=len(X))
    nb = CategoricalNB(alpha=alpha, min_categories=L, force_alpha=True).fit(X, y)
    for c in (0, 1):
        model = IndependentCategorical(L, alpha=alpha).fit(X[y == c])
        sk = np.array([nb.feature_log_prob_[j][c] for j in range(D)])
        assert_allclose(model.log_probs_, sk, rtol=1e-13)


def test_independent_categorical_sums_to_one_over_all_81_images():
    model = IndependentCategorical(L, alpha=0.5).fit(toy_data())
    assert math.fsum(np.exp(model.score_samples(IMAGES))) == pytest.approx(1.0, abs=1e-13)


def test_independent_categorical_degenerate_input():
    # alpha = 0 is maximum likelihood: an unseen level has probability 0
    model = IndependentCategorical(3, alpha=0.0).fit([[0, 1], [0, 1]])
    assert_array_equal(model.score_samples([[0, 1]]), [0.0])
    assert model.score_samples([[2, 1]])[0] == -np.inf
    # one level (every pixel 0): every image has probability 1
    single = IndependentCategorical(1).fit(np.zeros((3, 5)))
    assert_array_equal(single.score_samples(np.zeros((2, 5))), [0.0, 0.0])
    # one image
    one = IndependentCategorical(2, alpha=1.0).fit([[1, 0, 1]])
    assert_allclose(one.score_samples([[1, 0, 1]]), [3 * math.log(2 / 3)], rtol=1e-15)


def test_independent_categorical_samples_follow_the_probabilities():
    model = IndependentCategorical(L, alpha=1.0).fit(toy_data())
    draws = model.sample(20000, random_state=0)
    assert draws.shape == (20000, D) and draws.min() >= 0 and draws.max() <= L - 1
    assert_array_equal(draws, model.sample(20000, random_state=0))
    freq = np.stack([np.bincount(draws[:, j], minlength=L) for j in range(D)]) / len(draws)
    p = np.exp(model.log_probs_)
    assert np.all(np.abs(freq - p) < 5 * np.sqrt(p * (1 - p) / len(draws)))


# ------------------------------------------------------------ CategoricalMixture
def brute_force_mixture(model, X):
    """P(x) = sum_k pi_k prod_j theta_kjx_j, in probability space, with Python loops."""
    theta = np.exp(model.log_probs_)
    out = []
    for x in X:
        total = 0.0
        for k, pi in enumerate(model.weights_):
            p = pi
            for j, level in enumerate(x):
                p *= theta[k, j, level]
            total += p
        out.append(total)
    return np.array(out)


def test_mixture_sums_to_one_over_all_81_images_and_matches_brute_force():
    model = CategoricalMixture(3, n_levels=L, alpha=0.5, max_iter=2000, random_state=0)
    model.fit(toy_data())
    log_P = model.score_samples(IMAGES)
    assert math.fsum(np.exp(log_P)) == pytest.approx(1.0, abs=1e-13)
    assert_allclose(np.exp(log_P), brute_force_mixture(model, IMAGES), rtol=1e-12)


@pytest.mark.parametrize("alpha", [1.0, 0.1])
def test_one_component_is_the_independent_model(alpha):
    X = toy_data(50, seed=3)
    mixture = CategoricalMixture(1, n_levels=L, alpha=alpha, random_state=0).fit(X)
    independent = IndependentCategorical(L, alpha=alpha).fit(X)
    assert_allclose(mixture.log_probs_[0], independent.log_probs_, rtol=1e-13)
    assert_allclose(mixture.score_samples(IMAGES), independent.score_samples(IMAGES), rtol=1e-13)
    assert_array_equal(mixture.weights_, [1.0])


def test_bernoulli_case_against_the_direct_formula():
    rng = np.random.default_rng(4)
    X = (rng.uniform(size=(120, 6)) < np.where(rng.integers(2, size=(120, 1)), 0.8, 0.2)).astype(
        int
    )
    model = CategoricalMixture(2, n_levels=2, alpha=0.5, random_state=0).fit(X)
    mu = np.exp(model.log_probs_[:, :, 1])  # P(pixel = 1 | k)
    direct = sum(
        w * np.prod(mu[k] ** X * (1 - mu[k]) ** (1 - X), axis=1)
        for k, w in enumerate(model.weights_)
    )
    assert_allclose(model.score_samples(X), np.log(direct), rtol=1e-12)
    assert_allclose(np.exp(model.log_probs_).sum(axis=2), 1.0, rtol=1e-14)


def test_one_em_step_against_a_direct_computation():
    X = np.array([[0, 2], [1, 1], [2, 2]])
    weights = np.array([0.3, 0.7])
    theta = np.array(
        [[[0.5, 0.3, 0.2], [0.1, 0.2, 0.7]], [[0.2, 0.2, 0.6], [0.3, 0.4, 0.3]]]
    )  # (K, d, L)
    alpha = 0.5
    # E-step, in probability space
    joint = np.array(
        [[weights[k] * theta[k, 0, x0] * theta[k, 1, x1] for k in range(2)] for x0, x1 in X]
    )
    resp = joint / joint.sum(axis=1, keepdims=True)
    log_lik, log_resp = _e_step(X, np.log(weights), np.log(theta))
    assert_allclose(log_lik, np.log(joint.sum(axis=1)), rtol=1e-14)
    assert_allclose(np.exp(log_resp), resp, rtol=1e-13)
    # M-step, with loops
    new_w, new_log_theta = _m_step(_one_hot(X, 3), resp, 3, alpha, None)
    expected = np.zeros_like(theta)
    for k in range(2):
        nk = resp[:, k].sum()
        for j in range(2):
            for level in range(3):
                count = sum(resp[i, k] for i in range(3) if X[i, j] == level)
                expected[k, j, level] = (count + alpha) / (nk + 3 * alpha)
    assert_allclose(new_w, resp.sum(axis=0) / 3, rtol=1e-14)
    assert_allclose(np.exp(new_log_theta), expected, rtol=1e-13)


@pytest.mark.parametrize("alpha", [1.0, 0.01])
def test_m_step_with_hard_assignments_is_sklearn_categorical_nb(alpha):
    X = toy_data(70, seed=5)
    y = np.random.default_rng(6).integers(3, size=len(X))
    resp = np.eye(3)[y]
    weights, log_theta = _m_step(_one_hot(X, L), resp, L, alpha, None)
    nb = CategoricalNB(alpha=alpha, min_categories=L, force_alpha=True).fit(X, y)
    assert_allclose(np.log(weights), nb.class_log_prior_, rtol=1e-13)
    for j in range(D):
        assert_allclose(log_theta[:, j, :], nb.feature_log_prob_[j], rtol=1e-13)


@pytest.mark.parametrize("init_params", ["kmeans", "random"])
def test_em_is_monotone(init_params):
    from sklearn.datasets import load_digits

    X = load_digits().data[:300].astype(int)
    ml = CategoricalMixture(
        5, n_levels=17, alpha=0.0, init_params=init_params, tol=1e-10, random_state=0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ml.fit(X)
    assert np.all(np.diff(ml.log_likelihood_history_) >= -1e-12 * np.abs(ml.lower_bound_))
    assert ml.lower_bound_ == pytest.approx(ml.score(X), rel=1e-13)
    mapped = CategoricalMixture(5, n_levels=17, alpha=1.0, init_params=init_params, tol=1e-8)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        mapped.set_params(random_state=0).fit(X)
    objective = mapped.objective_history_
    assert np.all(np.diff(objective) >= -1e-12 * np.abs(objective[-1]))
    # the objective is the log-likelihood plus alpha * sum log theta / n, recomputed
    penalty = 1.0 * mapped.log_probs_.sum() / len(X)
    assert objective[-1] == pytest.approx(mapped.score(X) + penalty, rel=1e-13)


def test_no_underflow_in_many_dimensions():
    # 600 pixels of 17 levels: a product of probabilities near 17**-600 = 1e-738 is 0.0
    rng = np.random.default_rng(7)
    X = rng.integers(17, size=(40, 600))
    model = CategoricalMixture(2, n_levels=17, random_state=0).fit(X)
    log_P = model.score_samples(X)
    assert np.all(np.isfinite(log_P)) and np.all(log_P < -1000)
    # identical components: log P is the independent log-likelihood, summed in logs
    model.log_probs_ = np.stack([model.log_probs_[0]] * 2)
    per_pixel = model.log_probs_[0][np.arange(600), X].sum(axis=1)
    assert_allclose(model.score_samples(X), per_pixel, rtol=1e-13)
    proba = model.predict_proba(X)  # (log-sums near -1700 carry ~1e-13 of rounding)
    assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)


def test_predict_proba_is_bayes_theorem():
    X = toy_data()
    model = CategoricalMixture(2, n_levels=L, random_state=0).fit(X)
    theta = np.exp(model.log_probs_)
    joint = np.array(
        [[w * np.prod(theta[k, np.arange(D), x]) for k, w in enumerate(model.weights_)] for x in X]
    )
    assert_allclose(model.predict_proba(X), joint / joint.sum(axis=1, keepdims=True), rtol=1e-12)
    assert_array_equal(model.predict(X), np.argmax(joint, axis=1))


def test_components_come_in_a_canonical_order_whatever_the_start():
    # two styles, equally often: equal weights, so the tie is broken by the mean images
    X = np.repeat([[2, 0, 2, 0], [0, 2, 0, 2]], 10, axis=0)
    fits = [CategoricalMixture(2, n_levels=L, random_state=s).fit(X) for s in range(6)]
    for model in fits:
        assert_allclose(model.weights_, [0.5, 0.5], rtol=1e-12)
        mean_images = np.exp(model.log_probs_) @ np.arange(L)
        assert mean_images[0, 0] < mean_images[1, 0]  # the dark-left style first
        assert_allclose(model.log_probs_, fits[0].log_probs_, rtol=1e-12)
    # unequal weights: the heavier component first
    # (alpha = 0: the components are the two styles exactly, weights 15/20 and 5/20)
    X3 = np.repeat([[2, 0, 2, 0], [0, 2, 0, 2]], [5, 15], axis=0)
    model = CategoricalMixture(2, n_levels=L, alpha=0.0, random_state=1).fit(X3)
    assert_allclose(model.weights_, [0.75, 0.25], rtol=1e-12)
    # reorder permutes every fitted array
    before = model.log_probs_.copy()
    model.reorder([1, 0])
    assert_array_equal(model.log_probs_, before[::-1])
    assert_allclose(model.weights_, [0.25, 0.75], rtol=1e-12)


def test_refit_equals_fresh_fit_and_clone():
    X = toy_data()
    model = CategoricalMixture(3, n_levels=L, random_state=0)
    first = model.fit(X).log_probs_.copy()
    model.fit(toy_data(seed=9)).fit(X)
    assert_array_equal(model.log_probs_, first)
    assert_array_equal(clone(model).fit(X).log_probs_, first)
    assert repr(model) == "CategoricalMixture(n_components=3, n_levels=3, random_state=0)"


def test_mixture_samples():
    model = CategoricalMixture(2, n_levels=L, random_state=0).fit(toy_data())
    images, labels = model.sample(20000, random_state=3)
    assert images.shape == (20000, D) and images.min() >= 0 and images.max() <= L - 1
    w = model.weights_
    freq = np.bincount(labels, minlength=2) / len(labels)
    assert np.all(np.abs(freq - w) < 5 * np.sqrt(w * (1 - w) / len(labels)))
    p = np.exp(model.log_probs_[0])
    got = np.stack([np.bincount(images[labels == 0, j], minlength=L) for j in range(D)])
    n0 = (labels == 0).sum()
    assert np.all(np.abs(got / n0 - p) < 5 * np.sqrt(p * (1 - p) / n0) + 1e-12)
    again, _ = model.sample(20000, random_state=3)
    assert_array_equal(images, again)


def test_degenerate_but_legal_mixtures():
    same = np.tile([[1, 0, 2, 1]], (6, 1))
    # identical images, random start: every component is the same, the fit is exact
    model = CategoricalMixture(2, n_levels=L, alpha=0.0, init_params="random", random_state=0)
    model.fit(same)
    assert_allclose(model.score_samples(same), 0.0, atol=1e-12)
    # as many components as images
    X = toy_data(5)
    CategoricalMixture(5, n_levels=L, init_params="random", random_state=0).fit(X)
    with pytest.warns(ConvergenceWarning, match="max_iter=1"):
        CategoricalMixture(2, n_levels=L, max_iter=1, random_state=0).fit(toy_data())


# ------------------------------------------------------------------ bad input
ESTIMATORS = [IndependentCategorical(L), CategoricalMixture(2, n_levels=L, random_state=0)]


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=lambda e: type(e).__name__)
@pytest.mark.parametrize(
    ("X", "match"),
    [
        ([[0, 1.5], [1, 2]], r"X must hold integer levels 0..2; it has 1 non-integer entry"),
        ([[0, 3], [1, 2]], r"levels up to 3, but n_levels=3 allows only 0..2"),
        ([[0, -1], [1, 2]], r"negative levels \(smallest -1\)"),
        ([[0, np.nan], [1, 2]], "X contains NaN or infinity"),
        ([0, 1, 2], "X must be 2-dimensional"),
        (np.zeros((2, 2, 2)), "X must be 2-dimensional"),
        ([["a", "b"]], "X must be a numeric array"),
        (np.zeros((0, 3)), "minimum of 1 is required"),
    ],
)
def test_bad_data_is_refused_by_name(estimator, X, match):
    with pytest.raises(ValueError, match=match):
        clone(estimator).fit(X)


@pytest.mark.parametrize(
    ("estimator", "match"),
    [
        (IndependentCategorical(0), "n_levels must be an integer >= 1; got 0"),
        (IndependentCategorical(2.0), "n_levels must be an integer >= 1; got 2.0"),
        (IndependentCategorical(2, alpha=-1), "alpha must be a finite number >= 0"),
        (IndependentCategorical(2, alpha=np.inf), "alpha must be a finite number >= 0"),
        (CategoricalMixture(0), "n_components must be an integer >= 1"),
        (CategoricalMixture(1, tol=np.nan), "tol must be a finite number >= 0"),
        (CategoricalMixture(1, max_iter=0), "max_iter must be an integer >= 1"),
        (CategoricalMixture(1, init_params="kmeans++"), "init_params must be one of"),
        (CategoricalMixture(1, random_state=-2), "random_state must be None"),
    ],
)
def test_bad_parameters_are_refused_by_name(estimator, match):
    with pytest.raises(ValueError, match=match):
        estimator.fit([[0, 1], [1, 0]])


def test_mixture_specific_refusals():
    with pytest.raises(ValueError, match="n_components=3 is larger than the number of samples"):
        CategoricalMixture(3, n_levels=2).fit([[0, 1], [1, 0]])
    with pytest.raises(ValueError, match="fewer than n_components=2 distinct images"):
        CategoricalMixture(2, n_levels=2).fit([[0, 1], [0, 1], [0, 1]])


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=lambda e: type(e).__name__)
def test_prediction_time_checks(estimator):
    model = clone(estimator)
    with pytest.raises(NotFittedError, match="not fitted yet"):
        model.score_samples([[0, 1]])
    with pytest.raises(NotFittedError):
        model.sample(2)
    model.fit(toy_data())
    with pytest.raises(ValueError, match="X has 3 features, but .* is expecting 4"):
        model.score_samples([[0, 1, 2]])
    with pytest.raises(ValueError, match="n_levels=3 allows only 0..2"):
        model.score_samples([[0, 1, 2, 5]])
    with pytest.raises(ValueError, match="n_samples must be an integer >= 1"):
        model.sample(0)
    with pytest.raises(ValueError, match="n_samples is too large"):
        model.sample(10**12)


def test_grid_search_scores_are_the_held_out_log_likelihoods():
    from sklearn.model_selection import GridSearchCV, KFold

    X = toy_data(90, seed=11)
    folds = KFold(3, shuffle=True, random_state=0)
    search = GridSearchCV(
        CategoricalMixture(n_levels=L, random_state=0), {"n_components": [1, 2, 3]}, cv=folds
    ).fit(X)
    for i, k in enumerate([1, 2, 3]):
        by_hand = [
            CategoricalMixture(k, n_levels=L, random_state=0)
            .fit(X[train])
            .score_samples(X[test])
            .mean()
            for train, test in folds.split(X)
        ]
        assert search.cv_results_["mean_test_score"][i] == pytest.approx(
            np.mean(by_hand), rel=1e-13
        )
