r"""k-means clustering with k-means++ seeding (Lloyd's algorithm).

k-means partitions the data into :math:`K` clusters by alternating two steps until the
assignments stop changing:

1. **assign** every point to its nearest centre,
   :math:`\ell_i = \arg\min_k \lVert x_i - \mu_k \rVert^2`;
2. **update** every centre to the mean of its points.

Each step lowers the *inertia* :math:`\sum_i \lVert x_i - \mu_{\ell_i} \rVert^2`, so the algorithm
stops, but only at a local minimum that depends on the starting centres. k-means++
(Arthur & Vassilvitskii, 2007) picks spread-out starting centres: the first uniformly at
random, each next one with probability proportional to its squared distance to the nearest
centre chosen so far.

The book uses k-means to initialise Gaussian mixtures, and shows that "hard" EM with equal,
fixed spherical covariances *is* k-means.

Introduced in the book's chapter "Gaussian mixtures and the EM algorithm"
(``book/mixture/mixture.ipynb``).
"""

from __future__ import annotations

import numbers
from typing import Any, ClassVar

import numpy as np
from numpy.typing import ArrayLike, NDArray

from genlab._base import BaseEstimator, ClusterMixin, FiniteInterval, Interval, Options
from genlab._validation import (
    check_array,
    check_count,
    check_is_fitted,
    check_random_state,
    check_squared_distances_finite,
)
from genlab.numerics import _round, first_best

__all__ = ["RESTART_RTOL", "KMeans", "canonical_order", "check_permutation", "kmeans_plusplus"]

#: Restarts whose objectives agree to this relative tolerance count as equally good; the
#: first of them is kept (see :func:`genlab.numerics.first_best`).
RESTART_RTOL = 1e-9

FloatArray = NDArray[np.float64]


def _squared_distances(X: FloatArray, centers: FloatArray) -> FloatArray:
    """Squared Euclidean distances, shape (n_samples, n_centers), clipped at 0."""
    d2 = (
        np.einsum("ij,ij->i", X, X)[:, None]
        - 2.0 * X @ centers.T
        + np.einsum("ij,ij->i", centers, centers)[None, :]
    )
    return np.asarray(np.maximum(d2, 0.0), dtype=np.float64)


#: Data whose largest absolute value (after centring) is below this are scaled up by a
#: power of two before distances are computed: their squares would underflow (below
#: about 1e-154, to subnormal numbers or 0) and every distance would look like 0.
_TINY = 2.0**-200


def _tiny_exponent(X: FloatArray) -> int:
    """The power of two that brings tiny data to order 1 (0 for other data).

    Multiplying by a power of two (``np.ldexp``) is exact, and so is every sum and
    product computed from the scaled values, apart from rounding that would scale the
    same way: k-means on the scaled data gives the same labels, and the centres and
    inertia scaled back, as exact arithmetic on the original data would.
    """
    largest = float(np.max(np.abs(X))) if X.size else 0.0
    if largest == 0.0 or largest >= _TINY:
        return 0
    return -int(np.frexp(largest)[1])


def _count_distinct(X: FloatArray, *, up_to: int) -> int:
    """The number of distinct rows of ``X``, or ``up_to`` if there are at least that many.

    Counting all distinct rows sorts the whole data set (``np.unique(X, axis=0)``); the
    first few rows usually hold enough distinct ones, so the count looks at the first
    ``4 * up_to`` rows, then at twice as many, and so on.
    """
    m = 4 * up_to
    while True:
        n_distinct = len(np.unique(X[:m], axis=0))
        if n_distinct >= up_to or m >= len(X):
            return min(n_distinct, up_to)
        m *= 2


def canonical_order(centres: ArrayLike, *, decimals: int = 6) -> NDArray[np.intp]:
    """The order that sorts clusters (or components) by their centres, lexicographically.

    A clustering's labels are arbitrary: the same clusters can come out of a fit in any
    order, depending on the start and, between machines, on the last bits of the
    arithmetic. Sorting them by their centres (first coordinate, ties by the second, and
    so on, each rounded to ``decimals`` places) gives every fit of the same clusters the
    same labels. Pass the result to :meth:`KMeans.reorder` or
    :meth:`genlab.mixture.GaussianMixture.reorder`.

    Introduced in the chapter "Gaussian mixtures and the EM algorithm".

    Parameters
    ----------
    centres : array_like of shape (n_clusters, n_features)
    decimals : int, default 6

    Returns
    -------
    ndarray of intp, shape (n_clusters,)
        ``order[k]`` is the current label of the cluster that becomes cluster ``k``.

    Raises
    ------
    ValueError
        If ``centres`` is not a finite real 2-D array, or ``decimals`` is not an
        integer >= 0. (No centres at all, shape (0, n_features), give an empty order.)

    Examples
    --------
    >>> canonical_order([[2.0, 0.0], [-1.0, 5.0], [2.0, -1.0]])
    array([1, 2, 0])
    """
    c = check_array(centres, name="centres", min_samples=0)
    keys = _round(c, check_count(decimals, name="decimals")) + 0.0  # + 0.0 turns -0.0 into 0.0
    return np.asarray(np.lexsort(keys.T[::-1]), dtype=np.intp)


def check_permutation(order: ArrayLike, n: int) -> NDArray[np.intp]:
    """Check that ``order`` is a permutation of ``range(n)`` and return it as integers.

    Introduced in the chapter "Gaussian mixtures and the EM algorithm".

    Parameters
    ----------
    order : array_like of int, shape (n,)
    n : int

    Returns
    -------
    ndarray of intp, shape (n,)

    Raises
    ------
    ValueError
        If ``order`` is not a permutation of ``0, ..., n - 1``.
    """
    n = check_count(n, name="n")
    arr = np.asarray(order)
    if n == 0 and arr.shape == (0,):  # (np.asarray([]) is a float array)
        return np.zeros(0, dtype=np.intp)
    if (
        arr.shape != (n,)
        or not np.issubdtype(arr.dtype, np.integer)
        or not np.array_equal(np.sort(arr), np.arange(n))
    ):
        raise ValueError(f"order must be a permutation of 0..{n - 1}; got {order!r}")
    return arr.astype(np.intp)


def kmeans_plusplus(
    X: ArrayLike, n_clusters: int, *, random_state: int | np.random.Generator | None = None
) -> tuple[FloatArray, NDArray[np.intp]]:
    """Choose initial centres by k-means++ seeding (D² sampling).

    Introduced in the chapter "Gaussian mixtures and the EM algorithm".

    Parameters
    ----------
    X : array_like of shape (n_samples, n_features)
    n_clusters : int
        Number of centres, at least 1 and at most the number of distinct points.
    random_state : int, Generator or None
        None, a non-negative integer seed or a Generator.

    Returns
    -------
    centers : ndarray of shape (n_clusters, n_features)
        The chosen data points.
    indices : ndarray of shape (n_clusters,)
        Their row indices in ``X``.

    Raises
    ------
    ValueError
        If ``X`` is not a finite real 2-D array, its squared distances overflow, or
        ``n_clusters`` is not an integer (a bool is not) between 1 and the number of
        distinct rows; or ``random_state`` is not valid.

    Notes
    -----
    Tiny data (values below about 6e-61, whose squares would lose precision) are scaled by
    a power of two, exactly, before the distances are computed.
    """
    X_ = check_array(X, name="X")
    check_squared_distances_finite(X_)
    n = len(X_)
    k = check_count(n_clusters, name="n_clusters", minimum=1)
    if k > n:
        raise ValueError(f"n_clusters must be between 1 and n_samples={n}; got {n_clusters}")
    rng = check_random_state(random_state)
    Xs = np.ldexp(X_, _tiny_exponent(X_))  # X_ itself unless tiny (exactly: see there)
    indices = [int(rng.integers(n))]
    closest = _squared_distances(Xs, Xs[indices])[:, 0]
    for _ in range(1, k):
        total = closest.sum()
        if total <= 0:
            raise ValueError(
                f"X has fewer than n_clusters={n_clusters} distinct points; "
                "k-means++ cannot choose distinct centres"
            )
        nxt = int(rng.choice(n, p=closest / total))  # probability proportional to D(x)^2
        indices.append(nxt)
        closest = np.minimum(closest, _squared_distances(Xs, Xs[[nxt]])[:, 0])
    idx = np.array(indices, dtype=np.intp)
    return X_[idx].copy(), idx


class KMeans(ClusterMixin, BaseEstimator):
    """k-means clustering by Lloyd's algorithm.

    Introduced in the chapter "Gaussian mixtures and the EM algorithm".

    Parameters
    ----------
    n_clusters : int, default 8
    init : {"k-means++", "random"} or array_like of shape (n_clusters, n_features)
        Starting centres: k-means++ seeding, ``n_clusters`` data points (distinct rows
        of ``X``) chosen uniformly, or the given centres.
    n_init : int, default 1
        Number of runs from different starts; the first run whose inertia is within a
        relative ``RESTART_RTOL`` (1e-9) of the lowest is kept, so that runs that reach
        the same clusters, up to the last bits, are chosen the same way on every
        machine. Must be 1 when ``init`` is an array.
    max_iter : int, default 300
    tol : float, default 0.0
        Stop when no centre moves by more than ``tol`` (Euclidean distance; unlike
        scikit-learn's, not relative to the data's variance); with 0, stop when the
        assignments no longer change. An empty cluster keeps its centre.
    random_state : int, Generator or None

    Notes
    -----
    ``_lloyd`` is Lloyd's algorithm as the chapter writes it, in NumPy. ``fit`` runs
    the same rounds compiled by numba (``genlab._cluster_kernels``: one pass over the
    data per round, in a fixed order of operations, so the same on every machine); the
    tests check that both give the same labels, centres and iteration counts.

    Attributes
    ----------
    cluster_centers_ : ndarray of shape (n_clusters, n_features)
    labels_ : ndarray of shape (n_samples,)
    inertia_ : float
        Sum of squared distances of the points to their centres.
    n_iter_ : int
        Assign/update rounds of the kept run.
    n_features_in_ : int
    """

    _fitted_attributes = ("cluster_centers_", "labels_")
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "n_clusters": [Interval(numbers.Integral, 1, None)],
        "init": [Options({"k-means++", "random"}), "array-like"],
        "n_init": [Interval(numbers.Integral, 1, None)],
        "max_iter": [Interval(numbers.Integral, 1, None)],
        "tol": [FiniteInterval(numbers.Real, 0, None)],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        n_clusters: int = 8,
        *,
        init: str | ArrayLike = "k-means++",
        n_init: int = 1,
        max_iter: int = 300,
        tol: float = 0.0,
        random_state: int | np.random.Generator | None = None,
    ) -> None:
        self.n_clusters = n_clusters
        self.init = init
        self.n_init = n_init
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state

    def _initial_centers(self, X: FloatArray, rng: np.random.Generator) -> FloatArray:
        k = int(self.n_clusters)
        if isinstance(self.init, str):
            if self.init == "k-means++":
                return kmeans_plusplus(X, k, random_state=rng)[0]
            if self.init == "random":
                return X[rng.choice(len(X), size=k, replace=False)].copy()
            raise ValueError(f"init must be 'k-means++', 'random' or an array; got {self.init!r}")
        centers = check_array(self.init, name="init")
        if centers.shape != (k, X.shape[1]):
            raise ValueError(f"init must have shape ({k}, {X.shape[1]}); got {centers.shape}")
        return centers.copy()

    def _lloyd(
        self, X: FloatArray, centers: FloatArray
    ) -> tuple[FloatArray, NDArray[np.intp], int]:
        labels = np.full(len(X), -1, dtype=np.intp)
        n_iter = 0
        while n_iter < int(self.max_iter):
            n_iter += 1
            new_labels = np.argmin(_squared_distances(X, centers), axis=1)  # assign
            new_centers = centers.copy()
            for k in range(len(centers)):  # update; an empty cluster keeps its centre
                members = X[new_labels == k]
                if len(members):
                    new_centers[k] = members.mean(axis=0)
            shift = float(np.max(np.linalg.norm(new_centers - centers, axis=1)))
            unchanged = np.array_equal(new_labels, labels)
            labels, centers = new_labels, new_centers
            if unchanged or (self.tol > 0 and shift <= self.tol):
                break
        labels = np.argmin(_squared_distances(X, centers), axis=1)
        return centers, labels, n_iter

    def _lloyd_fast(
        self, X: FloatArray, centers: FloatArray, *, tol: float | None = None
    ) -> tuple[FloatArray, NDArray[np.intp], int]:
        """The rounds of :meth:`_lloyd`, each compiled into one pass over the data.

        ``genlab._cluster_kernels.lloyd_step`` assigns every point and adds it to its
        cluster's sum in the same pass; the squared norms of the points are computed once.
        The final assignment is skipped when the last round changed no label (the centres,
        means of the same members, are then those the labels were computed from).
        """
        from genlab import _cluster_kernels as kernels  # numba loads on first use

        tol = float(self.tol) if tol is None else tol
        x_squared = np.einsum("ij,ij->i", X, X)
        labels = np.full(len(X), -1, dtype=np.intp)
        n_iter, changed = 0, len(X)
        while n_iter < int(self.max_iter):
            n_iter += 1
            c_squared = np.einsum("ij,ij->i", centers, centers)
            new_centers, changed = kernels.lloyd_step(X, x_squared, centers, c_squared, labels)
            shift = np.max(np.linalg.norm(new_centers - centers, axis=1))
            settled = tol > 0 and bool(shift <= tol)
            centers = new_centers
            if changed == 0 or settled:
                break
        if changed:
            labels = kernels.assign(X, x_squared, centers, np.einsum("ij,ij->i", centers, centers))
        return centers, labels, n_iter

    def fit(self, X: ArrayLike, y: object = None) -> KMeans:
        """Cluster the data.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            At least ``n_clusters`` samples.
        y : ignored

        Returns
        -------
        self
        """
        self._validate_params()
        X_ = check_array(X, name="X")
        check_squared_distances_finite(X_)
        if not 1 <= int(self.n_clusters) <= len(X_):
            raise ValueError(
                f"n_clusters must be between 1 and n_samples={len(X_)}; got {self.n_clusters}"
            )
        # Centres drawn from the data need n_clusters distinct points; given ones do not.
        if isinstance(self.init, str):
            n_distinct = _count_distinct(X_, up_to=int(self.n_clusters))
            if n_distinct < int(self.n_clusters):
                raise ValueError(
                    f"X has only {n_distinct} distinct points, fewer than "
                    f"n_clusters={self.n_clusters}: some clusters would be empty"
                )
        if not isinstance(self.init, str) and int(self.n_init) != 1:
            raise ValueError("n_init must be 1 when init is an array of centres")
        from genlab import _cluster_kernels as kernels  # numba loads on first use

        rng = check_random_state(self.random_state)
        # Distances are computed on centred data: the expanded squared distance
        # |x|^2 - 2 x.c + |c|^2 loses precision far from the origin.
        self._center = X_.mean(axis=0)
        # Tiny data are scaled up by a power of two (exactly; see _tiny_exponent).
        self._exponent = e = _tiny_exponent(X_ - self._center)
        Xc = np.ldexp(X_ - self._center, e)
        runs = []
        for _ in range(int(self.n_init)):
            start = np.ldexp(self._initial_centers(X_, rng) - self._center, e)
            tol = float(np.ldexp(self.tol, e))
            centers, labels, n_iter = self._lloyd_fast(Xc, start, tol=tol)
            inertia = float(np.ldexp(kernels.inertia(Xc, centers, labels), -2 * e))
            runs.append((inertia, centers, labels, n_iter))
        best = first_best([run[0] for run in runs], rtol=RESTART_RTOL, lowest=True)
        self.inertia_, centers, self.labels_, self.n_iter_ = runs[best]
        self.cluster_centers_ = np.ldexp(centers, -e) + self._center
        self.n_features_in_ = X_.shape[1]
        return self

    def reorder(self, order: ArrayLike) -> KMeans:
        """Relabel the fitted clusters: cluster ``order[k]`` becomes cluster ``k``.

        ``km.reorder(canonical_order(km.cluster_centers_))`` gives the same labels on
        every machine (see :func:`canonical_order`).

        Introduced in the chapter "Gaussian mixtures and the EM algorithm".

        Parameters
        ----------
        order : array_like of int, shape (n_clusters,)
            A permutation of the current labels.

        Returns
        -------
        self
        """
        check_is_fitted(self, ["cluster_centers_"])
        perm = check_permutation(order, len(self.cluster_centers_))
        new_label = np.empty_like(perm)
        new_label[perm] = np.arange(len(perm))
        self.cluster_centers_ = self.cluster_centers_[perm]
        self.labels_ = new_label[self.labels_]
        return self

    def predict(self, X: ArrayLike) -> NDArray[np.intp]:
        """Index of the nearest centre for each sample.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        check_is_fitted(self, ["cluster_centers_"])
        X_ = check_array(X, name="X")
        if X_.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {X_.shape[1]} features, but KMeans is expecting {self.n_features_in_} "
                "features as input"
            )
        e = getattr(self, "_exponent", 0)
        with np.errstate(over="ignore", invalid="ignore"):  # an overflow is reported below
            distances = _squared_distances(
                np.ldexp(X_ - self._center, e), np.ldexp(self.cluster_centers_ - self._center, e)
            )
        check_squared_distances_finite(X_, squared=distances)
        return np.asarray(np.argmin(distances, axis=1))

    def fit_predict(self, X: ArrayLike, y: object = None) -> NDArray[np.intp]:
        """Fit and return the cluster labels of the training data.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
        y : ignored

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        return self.fit(X).labels_
