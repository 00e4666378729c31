"""genlab.cluster.KMeans against scikit-learn's Lloyd k-means; k-means++ properties."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.cluster import KMeans as SklearnKMeans
from sklearn.datasets import load_iris, make_blobs

from genlab.cluster import KMeans, canonical_order, kmeans_plusplus


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
    with pytest.raises(ValueError, match="X has 2 features, but KMeans was fitted with 4"):
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
