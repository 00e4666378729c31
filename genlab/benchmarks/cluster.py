"""k-means: 10 and 100 Lloyd iterations, genlab vs scikit-learn, from the same centres.

Full size (issue target): 50k x 16, K = 8; reduced (``--quick``): 5k x 16. The data are
eight heavily overlapping Gaussian blobs, on which Lloyd's algorithm keeps moving for a
long time (about 500 iterations at the full size; 57 at the reduced size, whose
100-iteration row therefore runs 57). Both libraries start from the same centres
(k-means++ points of the data, given as an array; n_init=1) and run Lloyd's algorithm
(scikit-learn's ``algorithm="lloyd"``) with tol=0, so that each runs ``max_iter``
iterations unless the assignments stop changing; the iterations run are recorded with
the result. No cluster empties (scikit-learn would move an empty cluster's centre,
genlab keeps it). Before timing, the two runs must give the same labels and the same
number of iterations, and centres and inertia equal to 1e-10. Each timing covers
construction and ``fit``, validation included, on both sides.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.cluster import KMeans as SklearnKMeans

from genlab.benchmarks.harness import Comparison, compare
from genlab.cluster import KMeans, kmeans_plusplus


def data(n: int, d: int, k: int, seed: int = 0) -> np.ndarray:
    """Eight blobs whose centres lie well within one standard deviation of each other."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, k, size=n)
    centers = rng.normal(scale=0.2, size=(k, d))
    return np.asarray(centers[labels] + rng.normal(size=(n, d)))


def discrepancy(ours: tuple[Any, ...], theirs: tuple[Any, ...]) -> float:
    """Largest difference of centres and relative inertia; infinite if labels differ."""
    (labels, centers, inertia, n_iter), (labels_, centers_, inertia_, n_iter_) = ours, theirs
    if n_iter != n_iter_ or not np.array_equal(labels, labels_):
        return float("inf")
    return max(
        float(np.max(np.abs(centers - centers_))), float(abs(inertia - inertia_) / inertia_)
    )


def run(full: bool = True) -> list[Comparison]:
    n, d, k = (50_000, 16, 8) if full else (5_000, 16, 8)
    X = data(n, d, k)
    start = kmeans_plusplus(X, k, random_state=0)[0]
    results = []
    for max_iter in (10, 100):

        def ours(max_iter: int = max_iter) -> tuple[Any, ...]:
            km = KMeans(k, init=start, max_iter=max_iter, tol=0.0).fit(X)
            return km.labels_, km.cluster_centers_, km.inertia_, km.n_iter_

        def theirs(max_iter: int = max_iter) -> tuple[Any, ...]:
            km = SklearnKMeans(
                k, init=start, n_init=1, max_iter=max_iter, tol=0.0, algorithm="lloyd"
            ).fit(X)
            return km.labels_, km.cluster_centers_, km.inertia_, km.n_iter_

        n_iter = ours()[3]
        results.append(
            compare(
                f"KMeans, {max_iter} Lloyd iterations",
                ours,
                theirs,
                peer_name="scikit-learn",
                discrepancy=discrepancy,
                tolerance=1e-10,
                repeats=7 if full else 3,
                sizes={"n_samples": n, "n_features": d, "n_clusters": k, "n_iter": n_iter},
            )
        )
    return results
