"""genlab.cluster.KMeans against scikit-learn's Lloyd k-means; k-means++ properties; the
compiled Lloyd rounds against the readable reference; no k-means (nor a sort of the data)
where the given starting values make it unnecessary."""

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.cluster import KMeans as SklearnKMeans
from sklearn.datasets import load_iris, make_blobs

from genlab import _cluster_kernels
from genlab.cluster import KMeans, _count_distinct, canonical_order, kmeans_plusplus
from genlab.mixture import GaussianMixture


@pytest.mark.parametrize(
    ("n", "d", "k", "max_iter"),
    [
        (129, 1, 3, 300),  # one feature (the kernel's pairwise column sums), one block + 1
        (1000, 2, 5, 300),
        (5000, 16, 8, 10),  # stopped by max_iter: the final assignment
        (5000, 16, 8, 300),
        (3001, 7, 13, 300),  # odd K and a feature count that is no multiple of 4
    ],
)
def test_lloyd_matches_sklearn_at_several_sizes(n, d, k, max_iter):
    # Overlapping blobs, started from k-means++ points: many rounds, no empty cluster
    # (scikit-learn would move an empty cluster's centre, genlab keeps it).
    X, _ = make_blobs(n_samples=n, centers=k, n_features=d, cluster_std=3.0, random_state=n)
    start = kmeans_plusplus(X, k, random_state=0)[0]
    ours = KMeans(k, init=start, max_iter=max_iter).fit(X)
    theirs = SklearnKMeans(
        k, init=start, n_init=1, max_iter=max_iter, algorithm="lloyd", tol=0
    ).fit(X)
    assert ours.n_iter_ == theirs.n_iter_
    assert_array_equal(ours.labels_, theirs.labels_)
    assert_allclose(ours.cluster_centers_, theirs.cluster_centers_, rtol=1e-10, atol=1e-10)
    assert ours.inertia_ == pytest.approx(theirs.inertia_, rel=1e-10)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_lloyd_matches_sklearn_from_the_same_start(seed):
    X, _ = make_blobs(n_samples=600, centers=5, cluster_std=2.0, random_state=seed)
    start = X[np.random.default_rng(seed).choice(len(X), 5, replace=False)]
    ours = KMeans(5, init=start).fit(X)
    theirs = SklearnKMeans(5, init=start, n_init=1, algorithm="lloyd", tol=0).fit(X)
    assert_array_equal(ours.labels_, theirs.labels_)
    assert_allclose(ours.cluster_centers_, theirs.cluster_centers_, rtol=1e-10, atol=1e-10)
    assert ours.inertia_ == pytest.approx(theirs.inertia_, rel=1e-10)
    assert_array_equal(ours.predict(X), theirs.predict(X))


def test_kmeans_plusplus_picks_distinct_data_points_reproducibly():
    X = load_iris().data
    centers, idx = kmeans_plusplus(X, 6, random_state=0)
    assert len(set(idx.tolist())) == 6
    assert_array_equal(centers, X[idx])
    _, idx2 = kmeans_plusplus(X, 6, random_state=0)
    assert_array_equal(idx, idx2)


def test_kmeans_plusplus_spreads_the_centres():
    # Three tight, far-apart blobs: D^2 sampling almost surely picks one point per blob.
    X, y = make_blobs(
        n_samples=300, centers=[[0, 0], [100, 0], [0, 100]], cluster_std=0.1, random_state=0
    )
    hits = [len(set(y[kmeans_plusplus(X, 3, random_state=s)[1]])) for s in range(20)]
    assert min(hits) == 3


def test_more_inits_never_increase_inertia():
    X, _ = make_blobs(n_samples=400, centers=8, random_state=3)
    one = KMeans(8, n_init=1, random_state=0).fit(X).inertia_
    ten = KMeans(8, n_init=10, random_state=0).fit(X).inertia_
    assert ten <= one


def test_bad_input():
    X = load_iris().data
    with pytest.raises(ValueError, match="n_clusters must be between 1 and n_samples=150"):
        KMeans(151).fit(X)
    with pytest.raises(ValueError, match=r"init must have shape \(3, 4\)"):
        KMeans(3, init=np.zeros((2, 4))).fit(X)
    with pytest.raises(ValueError, match="n_init must be 1 when init is an array"):
        KMeans(3, init=X[:3], n_init=2).fit(X)
    with pytest.raises(ValueError, match="init must be"):
        KMeans(3, init="best").fit(X)
    with pytest.raises(ValueError, match="fewer than n_clusters=3 distinct points"):
        kmeans_plusplus(np.ones((10, 2)), 3, random_state=0)
    with pytest.raises(ValueError, match="NaN or infinity"):
        KMeans(2).fit([[0.0, np.nan], [1.0, 1.0]])
    with pytest.raises(ValueError, match="2-dimensional"):
        KMeans(2).fit([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="X has only 2 distinct points, fewer than n_clusters=3"):
        KMeans(3, random_state=0).fit(np.repeat([[0.0, 1.0], [2.0, 3.0]], 10, axis=0))
    # scikit-learn's wording, which its estimator checks look for
    with pytest.raises(
        ValueError, match="X has 2 features, but KMeans is expecting 4 features as input"
    ):
        KMeans(3, random_state=0).fit(X).predict(np.zeros((1, 2)))


def test_duplicate_points_and_empty_clusters_are_handled():
    X = np.array([[0.0, 0.0]] * 5 + [[5.0, 5.0]] * 5)
    start = np.array([[0.0, 0.0], [5.0, 5.0], [100.0, 100.0]])  # third centre gets no points
    km = KMeans(3, init=start).fit(X)
    assert np.all(np.isfinite(km.cluster_centers_))
    assert_allclose(km.cluster_centers_[2], [100.0, 100.0])
    assert km.inertia_ == 0.0


def test_far_from_the_origin_kmeans_matches_the_centred_problem():
    X, _ = make_blobs(n_samples=300, centers=4, random_state=5)
    start = X[:4]
    near = KMeans(4, init=start).fit(X)
    far = KMeans(4, init=start + 1e8).fit(X + 1e8)
    assert_array_equal(far.labels_, near.labels_)
    assert far.inertia_ == pytest.approx(near.inertia_, rel=1e-6)


def test_restarts_that_reach_the_same_clusters_keep_the_first_labelling():
    # Well-separated blobs: every restart finds them, numbered differently.
    X, _ = make_blobs(n_samples=300, centers=[[0, 0], [8, 0], [0, 8]], random_state=0)
    single = KMeans(3, n_init=1, random_state=5).fit(X)
    several = KMeans(3, n_init=6, random_state=5).fit(X)
    assert_array_equal(several.labels_, single.labels_)
    assert several.inertia_ == single.inertia_


def test_canonical_order_by_hand():
    centres = [[2.0, 0.0], [-1.0, 5.0], [2.0, -1.0], [-1.0, -5.0]]
    assert canonical_order(centres).tolist() == [3, 1, 2, 0]
    # differences beyond the kept decimals count as ties, broken by the next coordinate
    assert canonical_order([[1.0 + 1e-12, 0.0], [1.0, -1.0]]).tolist() == [1, 0]


def test_reorder_relabels_consistently_with_predict():
    X, _ = make_blobs(n_samples=300, centers=4, random_state=1)
    km = KMeans(4, random_state=0).fit(X)
    centres, labels = km.cluster_centers_.copy(), km.labels_.copy()
    order = canonical_order(centres)
    assert km.reorder(order) is km
    assert_array_equal(km.cluster_centers_, centres[order])
    assert_array_equal(km.cluster_centers_[km.labels_], centres[labels])  # same partition
    assert_array_equal(km.predict(X), km.labels_)
    assert np.all(np.diff(km.cluster_centers_[:, 0]) >= 0)
    with pytest.raises(ValueError, match="permutation of 0..3"):
        km.reorder([0, 1, 2, 2])


# ------------------------------------------------- the compiled rounds vs the reference
def _tie_data():
    # Points symmetric about 0 (so centring leaves them exact) at small dyadic positions, so
    # every distance is exact: 0 lies exactly halfway between the first two centres, 5.5
    # exactly halfway between the last two, and the first of the two must win, as
    # np.argmin chooses.
    x = np.array([-5.5, -3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0, 5.5] * 3)
    X = np.column_stack([x, np.zeros_like(x)])
    return X, np.array([[-2.0, 0.0], [2.0, 0.0], [9.0, 0.0]])


def _datasets():
    rng = np.random.default_rng(0)
    blobs, _ = make_blobs(n_samples=2000, centers=6, n_features=5, random_state=1)
    wide, _ = make_blobs(n_samples=1000, centers=8, n_features=16, cluster_std=4.0, random_state=2)
    line = rng.normal(size=(777, 1)) * [[3.0]]
    duplicated = np.repeat(rng.normal(size=(40, 3)), 25, axis=0)
    empty = np.vstack([rng.normal(size=(300, 2)), rng.normal(size=(300, 2)) + 6])
    tie_X, tie_start = _tie_data()
    far = blobs[:, :2] + 1e6
    return [
        ("blobs", blobs, blobs[rng.choice(len(blobs), 6, replace=False)], 0.0),
        ("16 features", wide, wide[:8], 0.0),
        ("one feature", line, line[:4], 0.0),
        ("one cluster", blobs, blobs[:1], 0.0),
        ("duplicated points", duplicated, duplicated[[0, 25, 50, 75, 100]], 0.0),
        ("an empty cluster", empty, np.array([[0.0, 0.0], [6.0, 6.0], [50.0, 50.0]]), 0.0),
        ("ties", tie_X, tie_start, 0.0),
        ("tol > 0", wide, wide[:8], 0.5),
        ("far from the origin", far, far[:5], 0.0),
    ]


@pytest.mark.parametrize("max_iter", [1, 3, 300])
@pytest.mark.parametrize(
    ("name", "X", "start", "tol"), _datasets(), ids=[row[0] for row in _datasets()]
)
def test_compiled_lloyd_equals_the_readable_reference(name, X, start, tol, max_iter):
    km = KMeans(len(start), init=start, tol=tol, max_iter=max_iter)
    centre = X.mean(axis=0)
    reference = km._lloyd(X - centre, start - centre)
    fast = km._lloyd_fast(X - centre, start - centre)
    assert fast[2] == reference[2]  # n_iter
    assert_array_equal(fast[1], reference[1])  # labels
    assert_allclose(fast[0], reference[0], rtol=1e-12, atol=1e-12 * np.abs(X).max())


def test_ties_go_to_the_first_nearest_centre_and_empty_clusters_keep_theirs():
    X, start = _tie_data()
    km = KMeans(3, init=start, max_iter=1).fit(X)
    # by hand: -5.5 .. 0 (halfway) -> centre 0; 1 .. 5.5 (halfway to 9) -> centre 1
    assert_array_equal(km.labels_, [0, 0, 0, 0, 0, 1, 1, 1, 1] * 3)
    assert_array_equal(km.cluster_centers_, [[-11.5 / 5, 0.0], [11.5 / 4, 0.0], [9.0, 0.0]])
    assert km.n_iter_ == 1


def test_the_inertia_kernel_is_the_sum_of_squared_distances():
    X, _ = make_blobs(n_samples=3000, centers=4, n_features=6, random_state=4)
    km = KMeans(4, random_state=0).fit(X)
    by_hand = math.fsum(((X - km.cluster_centers_[km.labels_]) ** 2).ravel())
    assert km.inertia_ == pytest.approx(by_hand, rel=1e-12)


@pytest.mark.parametrize("n", [0, 1, 7, 8, 9, 127, 128, 129, 1000, 8193, 100_003])
def test_pairwise_sum_adds_in_numpys_order(n):
    # magnitudes from 1e-3 to 1e3, so that another order of the additions would show
    rng = np.random.default_rng(n)
    a = rng.normal(size=n + 5) * 10.0 ** rng.integers(-3, 4, size=n + 5)
    assert _cluster_kernels._pairwise_sum(a, 3, n) == np.sum(a[3 : 3 + n])


def test_count_distinct_agrees_with_a_full_count():
    rng = np.random.default_rng(0)
    for X in (
        rng.normal(size=(500, 3)),
        np.repeat(rng.normal(size=(3, 2)), 50, axis=0),  # the first rows are all equal
        np.vstack([np.zeros((400, 2)), rng.normal(size=(5, 2))]),  # distinct ones at the end
        np.ones((7, 1)),
    ):
        for k in (1, 2, 4, 6, 10):
            assert _count_distinct(X, up_to=k) == min(len(np.unique(X, axis=0)), k)


class _UniqueSpy:
    """Records the number of rows of every array np.unique is called on."""

    def __init__(self, monkeypatch):
        self.rows = []
        original = np.unique

        def spy(ar, *args, **kwargs):
            self.rows.append(len(ar))
            return original(ar, *args, **kwargs)

        monkeypatch.setattr(np, "unique", spy)


def test_kmeans_sorts_no_more_rows_than_needed(monkeypatch):
    X, _ = make_blobs(n_samples=5000, centers=4, random_state=0)
    spy = _UniqueSpy(monkeypatch)
    KMeans(4, init=X[:4]).fit(X)
    assert spy.rows == []  # given centres need no distinct points
    KMeans(4, random_state=0).fit(X)
    assert spy.rows == [16]  # the first 4 k rows hold 4 distinct points


def test_a_mixture_with_every_starting_value_given_runs_no_initialisation(monkeypatch):
    X, _ = make_blobs(n_samples=2000, centers=3, n_features=4, random_state=0)
    spy = _UniqueSpy(monkeypatch)

    def forbidden(*args, **kwargs):
        raise AssertionError("initialisation work that the given parameters make unnecessary")

    monkeypatch.setattr(KMeans, "fit", forbidden)
    monkeypatch.setattr(GaussianMixture, "_initial_resp", forbidden)
    for covariance_type, precisions in (
        ("full", np.array([np.eye(4)] * 3)),
        ("diag", np.ones((3, 4))),
    ):
        gm = GaussianMixture(
            3,
            covariance_type=covariance_type,
            weights_init=[0.2, 0.3, 0.5],
            means_init=X[:3],
            precisions_init=precisions,
            max_iter=2,
            tol=0.0,
        )
        with pytest.warns(UserWarning, match="did not converge"):
            gm.fit(X)
    assert spy.rows == []
    # without the means, k-means (here forbidden) chooses the starting point
    with pytest.raises(AssertionError, match="unnecessary"):
        GaussianMixture(3, weights_init=[0.2, 0.3, 0.5]).fit(X)
