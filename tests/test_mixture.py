"""genlab.mixture.GaussianMixture against scikit-learn's GaussianMixture (identical initial
parameters, a fixed number of EM iterations), plus EM's monotonicity, hard EM = k-means,
degenerate and bad input."""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy.stats import multivariate_normal
from sklearn.cluster import KMeans as SklearnKMeans
from sklearn.datasets import load_iris, make_blobs
from sklearn.exceptions import ConvergenceWarning as SklearnConvergenceWarning
from sklearn.mixture import GaussianMixture as SklearnGMM

from genlab.cluster import canonical_order
from genlab.mixture import (
    COVARIANCE_TYPES,
    ConvergenceWarning,
    GaussianMixture,
    _log_gaussian_prob,
    _log_gaussian_prob_fast,
)

K = 3


def data(seed=0):
    X, _ = make_blobs(
        n_samples=400, centers=K, n_features=4, cluster_std=[1.0, 2.0, 0.6], random_state=seed
    )
    return X


def initial_parameters(X, covariance_type, seed=0):
    """Deliberately rough starting parameters, in the shape each type needs."""
    rng = np.random.default_rng(seed)
    d = X.shape[1]
    means = X[rng.choice(len(X), K, replace=False)]
    weights = np.array([0.5, 0.3, 0.2])
    precisions = {
        # correlated precisions, so that a lower/upper-triangular mix-up would show
        "full": np.array(
            [np.eye(d) * (k + 1) * 0.5 + 0.1 * (k + 1) * (1 - np.eye(d)) for k in range(K)]
        ),
        "tied": np.eye(d) * 0.7 + 0.15 * (1 - np.eye(d)),
        "diag": np.full((K, d), 0.4) + np.arange(K)[:, None] * 0.1,
        "spherical": np.array([0.3, 0.5, 0.8]),
    }[covariance_type]
    return {"weights_init": weights, "means_init": means, "precisions_init": precisions}


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
@pytest.mark.parametrize("n_iter", [1, 5, 25])
def test_em_iterates_match_sklearn(covariance_type, n_iter):
    X = data()
    init = initial_parameters(X, covariance_type)
    kw = {
        "n_components": K,
        "covariance_type": covariance_type,
        "max_iter": n_iter,
        "tol": 0.0,
        "reg_covar": 1e-6,
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", SklearnConvergenceWarning)
        ours = GaussianMixture(**kw, **init).fit(X)
        theirs = SklearnGMM(**kw, **init).fit(X)
    assert ours.n_iter_ == theirs.n_iter_ == n_iter
    assert_allclose(ours.weights_, theirs.weights_, rtol=1e-7, atol=1e-10)
    assert_allclose(ours.means_, theirs.means_, rtol=1e-7, atol=1e-7)
    assert_allclose(ours.covariances_, theirs.covariances_, rtol=1e-7, atol=1e-9)
    assert_allclose(ours.precisions_cholesky_, theirs.precisions_cholesky_, rtol=1e-7, atol=1e-7)
    assert_allclose(ours.precisions_, theirs.precisions_, rtol=1e-7, atol=1e-7)
    assert_allclose(ours.score_samples(X), theirs.score_samples(X), rtol=1e-7, atol=1e-7)
    assert ours.lower_bound_ == pytest.approx(theirs.lower_bound_, rel=1e-9)
    assert ours.bic(X) == pytest.approx(theirs.bic(X), rel=1e-9)
    assert ours.aic(X) == pytest.approx(theirs.aic(X), rel=1e-9)
    assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), atol=1e-7)
    assert_array_equal(ours.predict(X), theirs.predict(X))


def test_score_samples_is_the_mixture_density():
    X = data()
    gm = GaussianMixture(K, random_state=0).fit(X)
    density = sum(
        w * multivariate_normal(m, c).pdf(X)
        for w, m, c in zip(gm.weights_, gm.means_, gm.covariances_, strict=True)
    )
    assert_allclose(gm.score_samples(X), np.log(density), rtol=1e-10)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_soft_em_log_likelihood_never_decreases(covariance_type):
    X = data(seed=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        gm = GaussianMixture(
            K,
            covariance_type=covariance_type,
            init_params="random",
            max_iter=60,
            tol=0.0,
            keep_history=True,
            random_state=1,
        ).fit(X)
    ll = np.array([h["log_likelihood"] for h in gm.history_[1:]])
    assert len(ll) == 60
    assert np.all(np.diff(ll) >= -1e-10), np.diff(ll).min()


def test_history_records_every_iteration():
    X = data()
    gm = GaussianMixture(K, keep_history=True, random_state=0).fit(X)
    assert [h["iteration"] for h in gm.history_] == list(range(gm.n_iter_ + 1))
    assert gm.history_[0]["labels"] is None
    assert gm.history_[-1]["labels"].shape == (len(X),)
    assert_allclose(gm.history_[-1]["means"], gm.means_)


def test_hard_em_with_fixed_equal_spherical_covariances_is_kmeans():
    X, _ = make_blobs(n_samples=500, centers=4, cluster_std=1.5, random_state=7)
    start = X[np.random.default_rng(7).choice(len(X), 4, replace=False)]
    hard = GaussianMixture(
        4,
        covariance_type="spherical",
        em="hard",
        params="m",
        max_iter=300,
        tol=0.0,
        weights_init=np.full(4, 0.25),
        means_init=start,
        precisions_init=np.full(4, 1.0),
    ).fit(X)
    lloyd = SklearnKMeans(4, init=start, n_init=1, algorithm="lloyd", tol=0).fit(X)
    assert hard.converged_
    assert_array_equal(hard.predict(X), lloyd.labels_)
    assert_allclose(hard.means_, lloyd.cluster_centers_, rtol=1e-10, atol=1e-10)
    assert_allclose(hard.weights_, 0.25)  # not updated
    assert_allclose(hard.covariances_, 1.0)


def test_hard_em_stops_when_assignments_stop_changing():
    X = data()
    gm = GaussianMixture(K, em="hard", keep_history=True, random_state=0, tol=0.0).fit(X)
    assert gm.converged_
    assert_array_equal(gm.history_[-1]["labels"], gm.history_[-2]["labels"])


@pytest.mark.parametrize("init_params", ["kmeans", "k-means++", "random"])
def test_initialisations_fit_well_separated_blobs(init_params):
    X, y = make_blobs(n_samples=300, centers=[[0, 0], [10, 0], [0, 10]], random_state=0)
    # tol is small because random responsibilities make the components start almost
    # identical: the log-likelihood then barely moves for a few iterations, and with
    # scikit-learn's default tol=1e-3 both libraries stop too early.
    gm = GaussianMixture(
        3, init_params=init_params, n_init=3, random_state=0, tol=1e-8, max_iter=1000
    ).fit(X)
    assert gm.converged_
    pred = gm.predict(X)
    # each true blob maps to one component
    assert all(len(set(pred[y == c])) == 1 for c in range(3))


def test_sample_follows_the_model():
    X = load_iris().data
    gm = GaussianMixture(2, random_state=0).fit(X)
    n = 40_000
    S, labels = gm.sample(n, random_state=1)
    freq = np.bincount(labels, minlength=2) / n
    assert np.all(np.abs(freq - gm.weights_) < 4 * np.sqrt(gm.weights_ / n))
    for k in range(2):
        Sk = S[labels == k]
        se = np.sqrt(np.diag(gm.covariances_[k]) / len(Sk))
        assert np.all(np.abs(Sk.mean(0) - gm.means_[k]) < 4 * se)


def test_duplicate_points_and_collapsing_components_never_give_nan():
    X = np.vstack([np.zeros((30, 2)), np.ones((30, 2)) * 5.0])  # two stacks of duplicates
    with pytest.raises(ValueError, match="only 2 distinct points, fewer than n_components=3"):
        GaussianMixture(3).fit(X)
    for covariance_type in COVARIANCE_TYPES:
        gm = GaussianMixture(2, covariance_type=covariance_type, random_state=0, max_iter=200)
        gm.fit(X)
        for attr in ("weights_", "means_", "covariances_", "precisions_cholesky_"):
            assert np.all(np.isfinite(getattr(gm, attr))), (covariance_type, attr)
        assert np.all(np.isfinite(gm.score_samples(X)))
    # A component initialised far from every point loses all responsibility: its weight
    # goes to ~0, its mean and covariance stay finite (kept from the previous iteration).
    gm = GaussianMixture(
        2,
        covariance_type="full",
        max_iter=5,
        tol=0.0,
        means_init=[[2.5, 2.5], [1e3, 1e3]],
        weights_init=[0.5, 0.5],
        precisions_init=np.array([np.eye(2), np.eye(2)]),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        gm.fit(X)
    assert gm.weights_[1] < 1e-12
    assert np.all(np.isfinite(gm.means_)) and np.all(np.isfinite(gm.covariances_))


def test_convergence_warning_when_max_iter_is_hit():
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        GaussianMixture(K, max_iter=1, tol=0.0, random_state=0).fit(data())


def test_bad_input():
    X = data()
    with pytest.raises(ValueError, match="n_components=5 is larger than the number of samples"):
        GaussianMixture(5).fit(X[:4])
    with pytest.raises(ValueError, match="2-dimensional"):
        GaussianMixture(2).fit(X[:, 0])
    with pytest.raises(ValueError, match="NaN or infinity"):
        GaussianMixture(2).fit(np.vstack([X, [np.nan] * 4]))
    with pytest.raises(ValueError, match="covariance_type must be one of"):
        GaussianMixture(2, covariance_type="banded").fit(X)
    with pytest.raises(ValueError, match="init_params must be"):
        GaussianMixture(2, init_params="best").fit(X)
    with pytest.raises(ValueError, match="em must be one of 'hard', 'soft'"):
        GaussianMixture(2, em="medium").fit(X)
    with pytest.raises(ValueError, match="params must be a string of distinct letters"):
        GaussianMixture(2, params="wx").fit(X)
    with pytest.raises(ValueError, match="weights_init must sum to 1"):
        GaussianMixture(2, weights_init=[0.5, 0.6]).fit(X)
    with pytest.raises(ValueError, match=r"means_init must have shape \(2, 4\)"):
        GaussianMixture(2, means_init=np.zeros((3, 4))).fit(X)
    with pytest.raises(ValueError, match=r"precisions_init must have shape \(2, 4, 4\)"):
        GaussianMixture(2, precisions_init=np.ones((2, 4))).fit(X)
    with pytest.raises(ValueError, match="precisions_init must be positive definite"):
        GaussianMixture(2, precisions_init=-np.array([np.eye(4)] * 2)).fit(X)
    gm = GaussianMixture(2, random_state=0).fit(X)
    with pytest.raises(ValueError, match="X has 3 features, but GaussianMixture"):
        gm.predict(np.zeros((1, 3)))
    with pytest.raises(ValueError, match="not fitted yet"):
        GaussianMixture(2).predict(X)
    with pytest.raises(ValueError, match="reg_covar must be a finite number >= 0"):
        GaussianMixture(2, reg_covar=-1.0).fit(X)


@pytest.mark.parametrize("covariance_type", ["diag", "spherical"])
def test_fast_log_density_equals_the_readable_reference(covariance_type):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(500, 6)) * 3.0
    means = rng.normal(size=(4, 6))
    P = rng.uniform(0.3, 2.0, size=(4, 6) if covariance_type == "diag" else 4)
    assert_allclose(
        _log_gaussian_prob_fast(X, means, P, covariance_type),
        _log_gaussian_prob(X, means, P, covariance_type),
        rtol=1e-11,
        atol=1e-11,
    )


def test_far_from_the_origin_the_centred_fast_path_stays_accurate():
    # Data around 1e6 with unit spread: the uncentred expansion would lose ~12 digits.
    X = data() + 1e6
    gm = GaussianMixture(K, covariance_type="diag", random_state=0).fit(X)
    reference = _log_gaussian_prob(X, gm.means_, gm.precisions_cholesky_, "diag")
    expected = np.logaddexp.reduce(reference + np.log(gm.weights_), axis=1)
    assert_allclose(gm.score_samples(X), expected, rtol=1e-12)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_precisions_init_gives_the_inverse_covariances(covariance_type):
    X = data()
    init = initial_parameters(X, covariance_type)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        gm = GaussianMixture(
            K, covariance_type=covariance_type, params="wm", max_iter=2, tol=0.0, **init
        ).fit(X)
    precisions = init["precisions_init"]
    if covariance_type == "full":
        expected = np.linalg.inv(precisions)
    elif covariance_type == "tied":
        expected = np.linalg.inv(precisions)
    else:
        expected = 1.0 / precisions
    assert_allclose(gm.covariances_, expected, rtol=1e-12)
    assert_allclose(gm.precisions_, precisions, rtol=1e-12)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_fits_far_from_the_origin_equal_the_fits_near_it(covariance_type):
    # EM is translation-equivariant; computed on centred data it stays accurate even
    # 1e7 away from the origin (the uncentred E[x^2] - mu^2 would lose ~14 digits).
    X = data()
    init = initial_parameters(X, covariance_type)
    kw = {"covariance_type": covariance_type, "max_iter": 30, "tol": 0.0, **init}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        near = GaussianMixture(K, **kw).fit(X)
        far = GaussianMixture(K, **(kw | {"means_init": init["means_init"] + 1e7})).fit(X + 1e7)
    assert_allclose(far.means_ - 1e7, near.means_, atol=1e-6)
    assert_allclose(far.covariances_, near.covariances_, rtol=1e-6)
    assert_allclose(far.weights_, near.weights_, rtol=1e-8)


def test_bic_counts_only_estimated_parameters():
    X = data()
    full = GaussianMixture(K, random_state=0).fit(X)
    fixed_w = GaussianMixture(K, params="mc", random_state=0).fit(X)
    d = X.shape[1]
    assert full._n_parameters() == K * d * (d + 1) // 2 + K * d + K - 1
    assert fixed_w._n_parameters() == full._n_parameters() - (K - 1)


# ---------------------------------------------- restarts and canonical component order
def elongated_blobs():
    # The chapter's elongated clusters, on which three restarts of EM reach the same optimum
    # with lower bounds that differ in the last bits (-2.2333058425002017 and
    # -2.2333058425002013 on an AMD EPYC): the strict maximum would pick the second run.
    blobs, _ = make_blobs(n_samples=450, centers=[[0, 0], [5, 2], [2, 6]], random_state=2026)
    return blobs @ np.array([[0.6, -0.9], [-0.4, 0.9]])


def test_restarts_that_tie_keep_the_first_run():
    X = elongated_blobs()
    single = GaussianMixture(3, n_init=1, random_state=2026).fit(X)
    several = GaussianMixture(3, n_init=3, random_state=2026).fit(X)
    # Every run reaches the same optimum, so the first one is kept, labels included.
    assert several.lower_bound_ == single.lower_bound_
    assert_array_equal(several.means_, single.means_)


@pytest.mark.parametrize("covariance_type", ["full", "tied", "diag", "spherical"])
def test_reorder_permutes_every_fitted_parameter(covariance_type):
    X = elongated_blobs()
    gmm = GaussianMixture(3, covariance_type=covariance_type, random_state=0).fit(X)
    before = {
        "proba": gmm.predict_proba(X),
        "score": gmm.score_samples(X),
        "weights": gmm.weights_.copy(),
        "means": gmm.means_.copy(),
        "covariances": gmm.covariances_.copy(),
    }
    order = np.array([2, 0, 1])
    assert gmm.reorder(order) is gmm
    # (the log-sum-exp adds the components in another order: equal up to rounding)
    assert_allclose(gmm.predict_proba(X), before["proba"][:, order], rtol=1e-12, atol=1e-15)
    assert_allclose(gmm.score_samples(X), before["score"], rtol=1e-13)  # the same density
    assert_array_equal(gmm.weights_, before["weights"][order])
    assert_array_equal(gmm.means_, before["means"][order])
    expected = before["covariances"] if covariance_type == "tied" else before["covariances"][order]
    assert_array_equal(gmm.covariances_, expected)


def test_canonical_order_makes_any_labelling_the_same():
    X = elongated_blobs()
    start = GaussianMixture(3, random_state=0).fit(X)
    fits = []
    for order in ([0, 1, 2], [2, 1, 0], [1, 2, 0]):
        gmm = GaussianMixture(
            3,
            weights_init=start.weights_[order],
            means_init=start.means_[order],
            precisions_init=start.precisions_[order],
        ).fit(X)
        fits.append(gmm.reorder(canonical_order(gmm.means_)))
    for gmm in fits[1:]:
        assert_allclose(gmm.means_, fits[0].means_, rtol=1e-12)
        assert_array_equal(gmm.predict(X), fits[0].predict(X))
    # sorted by the first coordinate of the means
    assert np.all(np.diff(fits[0].means_[:, 0]) > 0)


def test_reorder_relabels_the_history():
    X = elongated_blobs()
    gmm = GaussianMixture(3, random_state=0, keep_history=True).fit(X)
    labels = [h["labels"] for h in gmm.history_]
    means = [h["means"].copy() for h in gmm.history_]
    order = np.array([1, 2, 0])
    gmm.reorder(order)
    new_of_old = np.argsort(order)  # old label k is new label new_of_old[k]
    for h, old_labels, old_means in zip(gmm.history_, labels, means, strict=True):
        assert_array_equal(h["means"], old_means[order])
        if old_labels is not None:
            assert_array_equal(h["labels"], new_of_old[old_labels])


def test_a_refit_without_history_drops_the_old_one():
    X = elongated_blobs()
    gmm = GaussianMixture(2, random_state=0, keep_history=True).fit(X)
    gmm.keep_history = False
    gmm.fit(X)
    assert not hasattr(gmm, "history_")


@pytest.mark.parametrize("order", [[0, 1], [0, 0, 1], [0, 1, 3], [0.0, 1.0, 2.0], "abc"])
def test_reorder_rejects_what_is_not_a_permutation(order):
    gmm = GaussianMixture(3, random_state=0).fit(elongated_blobs())
    with pytest.raises(ValueError, match="permutation of 0..2"):
        gmm.reorder(order)
