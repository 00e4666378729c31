r"""Compiled (numba) Lloyd rounds for :class:`genlab.cluster.KMeans`.

:func:`lloyd_step` computes one round of the readable reference
``genlab.cluster.KMeans._lloyd``: assign every point to its nearest centre, then move every
centre to the mean of its points (an empty cluster keeps its centre). The reference builds
the full matrix of squared distances and copies each cluster's members out of the data; the
kernel takes the points in blocks of :data:`_BLOCK`, finds each point's nearest centre,
keeping only that, and adds the point to its cluster's running sum: one pass over the data
per round. The test suite checks that both give the same labels, centres and iteration
counts.

The arithmetic follows the reference step by step, in a fixed order, without ``fastmath``
(so nothing is reassociated or fused into multiply-adds; vector widths do not matter),
so the results are the same on every machine:

* the squared distance is the reference's expanded form
  :math:`(\lVert x \rVert^2 - 2\, x \cdot c) + \lVert c \rVert^2`, clipped at 0, with the
  squared norms computed by the caller exactly as the reference computes them, and the dot
  product summed over the features in order (the reference's matrix product leaves the
  order to BLAS, so the two can differ in the last bit: only a point that lies, to the last
  bit, equally far from two centres can then get another label);
* the nearest centre is the first of equally near ones, as ``np.argmin`` chooses;
* a centre is the sum of its points divided by their number, summed as ``ndarray.mean``
  sums the members (NumPy adds the rows one after the other; a single column, which is a
  contiguous vector, it sums pairwise), so the centres of equal clusters are bit-identical
  to the reference's.

Introduced with the chapter "Gaussian mixtures and the EM algorithm"
(``book/mixture/mixture.ipynb``).
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["assign", "inertia", "lloyd_step"]

#: NumPy's pairwise summation sums blocks of at most this many numbers with eight
#: interleaved partial sums (``PW_BLOCKSIZE`` in NumPy's loops_utils.h).
_PAIRWISE_BLOCK = 128

#: Points assigned together: a block of 128 points with 16 features, copied
#: feature-major, fills 16 KiB, well inside a core's L1 cache.
_BLOCK = 128


@njit(cache=True)
def _block_sum(a: np.ndarray, start: int, n: int) -> float:  # pragma: no cover - compiled
    """Sum of ``a[start:start + n]``, n <= 128, as NumPy sums one block."""
    if n < 8:
        total = 0.0
        for i in range(start, start + n):
            total += a[i]
        return float(total)
    r = np.empty(8)  # eight interleaved partial sums
    for j in range(8):
        r[j] = a[start + j]
    i = 8
    while i < n - n % 8:
        for j in range(8):
            r[j] += a[start + i + j]
        i += 8
    total = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
    while i < n:
        total += a[start + i]
        i += 1
    return float(total)


@njit(cache=True)
def _pairwise_sum(a: np.ndarray, start: int, n: int) -> float:  # pragma: no cover - compiled
    """Sum of ``a[start:start + n]`` in the order of NumPy's pairwise summation.

    NumPy splits a longer vector into halves (the first a multiple of 8 long), sums each
    the same way and adds the two sums; blocks of at most 128 numbers it sums with
    :func:`_block_sum`. The halving is done here with an explicit stack (numba cannot
    cache recursive functions reliably).
    """
    # Pending ranges: (start, length, halves done); finished sums wait on `sums`.
    starts = np.empty(64, dtype=np.intp)
    lengths = np.empty(64, dtype=np.intp)
    stage = np.empty(64, dtype=np.intp)
    sums = np.empty(64)
    top, n_sums = 0, 0
    starts[0], lengths[0], stage[0] = start, n, 0
    while top >= 0:
        s, m = starts[top], lengths[top]
        if m <= _PAIRWISE_BLOCK:
            sums[n_sums] = _block_sum(a, s, m)
            n_sums += 1
            top -= 1
            continue
        half = m // 2
        half -= half % 8
        if stage[top] == 0:  # first half
            stage[top] = 1
            top += 1
            starts[top], lengths[top], stage[top] = s, half, 0
        elif stage[top] == 1:  # second half
            stage[top] = 2
            top += 1
            starts[top], lengths[top], stage[top] = s + half, m - half, 0
        else:  # both halves summed
            sums[n_sums - 2] += sums[n_sums - 1]
            n_sums -= 1
            top -= 1
    return float(sums[0])


@njit(cache=True)
def _dots(
    xt: np.ndarray, m: int, centers: np.ndarray, k: int, out: np.ndarray
) -> None:  # pragma: no cover - compiled
    """``out[b] = sum_j xt[j, b] * centers[k, j]`` for the first ``m`` points of a block.

    Each sum runs over the features in order, starting from 0; four features are added
    per pass over the block (the same order: ((s + x0 c0) + x1 c1) + ...), and the loop
    over the block's points, whose sums are independent, is what the compiler vectorises.
    """
    d = xt.shape[0]
    out[:m] = 0.0
    d4 = d - d % 4
    for j in range(0, d4, 4):
        r0, r1, r2, r3 = xt[j, :m], xt[j + 1, :m], xt[j + 2, :m], xt[j + 3, :m]
        c0, c1, c2, c3 = centers[k, j], centers[k, j + 1], centers[k, j + 2], centers[k, j + 3]
        for b in range(m):
            out[b] = (((out[b] + r0[b] * c0) + r1[b] * c1) + r2[b] * c2) + r3[b] * c3
    for j in range(d4, d):
        r, c = xt[j, :m], centers[k, j]
        for b in range(m):
            out[b] += r[b] * c


@njit(cache=True)
def _dots_two(
    xt: np.ndarray, m: int, centers: np.ndarray, k: int, out: np.ndarray, out2: np.ndarray
) -> None:  # pragma: no cover - compiled
    """:func:`_dots` for centres ``k`` and ``k + 1`` in one pass over the block."""
    d = xt.shape[0]
    out[:m] = 0.0
    out2[:m] = 0.0
    d4 = d - d % 4
    for j in range(0, d4, 4):
        r0, r1, r2, r3 = xt[j, :m], xt[j + 1, :m], xt[j + 2, :m], xt[j + 3, :m]
        c0, c1, c2, c3 = centers[k, j], centers[k, j + 1], centers[k, j + 2], centers[k, j + 3]
        e0, e1 = centers[k + 1, j], centers[k + 1, j + 1]
        e2, e3 = centers[k + 1, j + 2], centers[k + 1, j + 3]
        for b in range(m):
            out[b] = (((out[b] + r0[b] * c0) + r1[b] * c1) + r2[b] * c2) + r3[b] * c3
            out2[b] = (((out2[b] + r0[b] * e0) + r1[b] * e1) + r2[b] * e2) + r3[b] * e3
    for j in range(d4, d):
        r, c, e = xt[j, :m], centers[k, j], centers[k + 1, j]
        for b in range(m):
            out[b] += r[b] * c
            out2[b] += r[b] * e


@njit(cache=True)
def _keep_nearer(
    x_squared: np.ndarray,
    dot: np.ndarray,
    c_squared_k: float,
    k: int,
    m: int,
    best: np.ndarray,
    arg: np.ndarray,
) -> None:  # pragma: no cover - compiled
    """Make centre ``k`` the nearest of the points it is strictly nearer to.

    The squared distance is the reference's (|x|^2 - 2 x.c) + |c|^2, clipped at 0; centre
    0 is nearest to start with, and a later centre wins only if strictly nearer, so the
    first of equally near centres is kept, as ``np.argmin`` keeps it.
    """
    for b in range(m):
        v = (x_squared[b] - 2.0 * dot[b]) + c_squared_k
        v = v if v > 0.0 else 0.0
        nearer = k == 0 or v < best[b]
        best[b] = v if nearer else best[b]
        arg[b] = k if nearer else arg[b]


@njit(cache=True)
def _assign_block(
    X: np.ndarray,
    x_squared: np.ndarray,
    centers: np.ndarray,
    c_squared: np.ndarray,
    i0: int,
    m: int,
    work: np.ndarray,
    xt: np.ndarray,
    best: np.ndarray,
    arg: np.ndarray,
) -> None:  # pragma: no cover - compiled
    """Nearest centres of the points ``i0 .. i0 + m - 1``, written into ``arg[:m]``.

    The block is copied feature-major into ``xt`` (so that the loops over its points run
    over contiguous memory); ``work`` holds two rows of dot products.
    """
    K, d = centers.shape
    for b in range(m):
        for j in range(d):
            xt[j, b] = X[i0 + b, j]
    xsq = x_squared[i0 : i0 + m]
    for k in range(0, K - 1, 2):  # two centres per pass over the block
        _dots_two(xt, m, centers, k, work[0], work[1])
        _keep_nearer(xsq, work[0], c_squared[k], k, m, best, arg)
        _keep_nearer(xsq, work[1], c_squared[k + 1], k + 1, m, best, arg)
    if K % 2:
        _dots(xt, m, centers, K - 1, work[0])
        _keep_nearer(xsq, work[0], c_squared[K - 1], K - 1, m, best, arg)


@njit(cache=True)
def assign(
    X: np.ndarray, x_squared: np.ndarray, centers: np.ndarray, c_squared: np.ndarray
) -> np.ndarray:  # pragma: no cover - compiled
    """Nearest centre of every point, shape (n_samples,).

    ``x_squared`` and ``c_squared`` are the squared norms of the rows of ``X`` and
    ``centers``.
    """
    n, d = X.shape
    work, xt = np.empty((2, _BLOCK)), np.empty((d, _BLOCK))
    best, arg = np.empty(_BLOCK), np.empty(_BLOCK, dtype=np.intp)
    labels = np.empty(n, dtype=np.intp)
    for i0 in range(0, n, _BLOCK):
        m = min(_BLOCK, n - i0)
        _assign_block(X, x_squared, centers, c_squared, i0, m, work, xt, best, arg)
        labels[i0 : i0 + m] = arg[:m]
    return labels


@njit(cache=True)
def lloyd_step(
    X: np.ndarray,
    x_squared: np.ndarray,
    centers: np.ndarray,
    c_squared: np.ndarray,
    labels: np.ndarray,
) -> tuple[np.ndarray, int]:  # pragma: no cover - compiled
    """One Lloyd round: assign, then update; returns the new centres and the changes.

    ``labels`` holds the previous assignment (-1 before the first round) and is
    overwritten with the new one; the second result is the number of points whose label
    changed. ``x_squared`` and ``c_squared`` are the squared norms of the rows of ``X``
    and ``centers``.
    """
    n, d = X.shape
    K = centers.shape[0]
    work, xt = np.empty((2, _BLOCK)), np.empty((d, _BLOCK))
    best, arg = np.empty(_BLOCK), np.empty(_BLOCK, dtype=np.intp)
    sums = np.zeros((K, d))
    counts = np.zeros(K, dtype=np.intp)
    changed = 0
    for i0 in range(0, n, _BLOCK):
        m = min(_BLOCK, n - i0)
        _assign_block(X, x_squared, centers, c_squared, i0, m, work, xt, best, arg)
        for b in range(m):  # relabel, and add each point to its cluster's sum, row by row
            k = arg[b]
            if labels[i0 + b] != k:
                changed += 1
                labels[i0 + b] = k
            counts[k] += 1
            if d > 1:
                for j in range(d):
                    sums[k, j] += X[i0 + b, j]
    if d == 1:  # one column: each cluster's values in row order, summed pairwise
        start = np.zeros(K + 1, dtype=np.intp)
        for k in range(K):
            start[k + 1] = start[k] + counts[k]
        filled = start[:K].copy()
        values = np.empty(n)
        for i in range(n):
            values[filled[labels[i]]] = X[i, 0]
            filled[labels[i]] += 1
        for k in range(K):
            sums[k, 0] = _pairwise_sum(values, start[k], counts[k])
    new_centers = np.empty((K, d))
    for k in range(K):
        for j in range(d):  # an empty cluster keeps its centre
            new_centers[k, j] = sums[k, j] / counts[k] if counts[k] > 0 else centers[k, j]
    return new_centers, changed


@njit(cache=True)
def inertia(
    X: np.ndarray, centers: np.ndarray, labels: np.ndarray
) -> float:  # pragma: no cover - compiled
    """Sum of squared distances of the points to their centres.

    Each point's squared distance is summed over the features in order; the points' are
    summed pairwise (as ``np.sum`` sums a vector).
    """
    n, d = X.shape
    squared = np.empty(n)
    for i in range(n):
        s = 0.0
        for j in range(d):
            diff = X[i, j] - centers[labels[i], j]
            s += diff * diff
        squared[i] = s
    return _pairwise_sum(squared, 0, n)
