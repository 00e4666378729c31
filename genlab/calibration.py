r"""Is a classifier's "90 %" right 90 % of the time? Reliability curves and calibration error.

A classifier is *calibrated* when, among the predictions it makes with confidence
:math:`p`, a fraction :math:`p` is correct. A reliability curve checks this on held-out
data: split the interval :math:`[0, 1]` into ``n_bins`` equal bins, put each prediction in
the bin of its predicted probability, and compare, bin by bin, the mean predicted
probability :math:`\operatorname{conf}(b)` with the observed frequency
:math:`\operatorname{acc}(b)`. The expected calibration error (ECE) is their mean gap,
weighted by how many predictions fall in each bin,

.. math::

    \mathrm{ECE} = \sum_{b=1}^{B} \frac{n_b}{n}\,
      \bigl|\operatorname{acc}(b) - \operatorname{conf}(b)\bigr| .

For a classifier with :math:`K` classes the usual choice (the "top-label" calibration of
Guo et al. 2017) is the probability of the predicted class, the confidence, against
whether that prediction is right: :func:`top_label`.

Bins follow scikit-learn's ``sklearn.calibration.calibration_curve`` (strategy
"uniform"), against which the tests check them: bin :math:`b` holds the probabilities in
:math:`(\tfrac{b-1}{B}, \tfrac{b}{B}]`, the first bin also 0.

Introduced in the book's chapter "Naive Bayes" (``book/naive_bayes/naive_bayes.ipynb``),
where naive Bayes's over-confidence is measured.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from genlab._validation import check_array, check_count

__all__ = ["expected_calibration_error", "reliability_curve", "top_label"]

FloatArray = NDArray[np.float64]


def _check_binary(y_true: ArrayLike, y_prob: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Outcomes (0/1 or bool) and probabilities in [0, 1], of one length, as floats."""
    prob = check_array(y_prob, name="y_prob", ndim=1)
    outcome = np.asarray(y_true)
    if outcome.ndim != 1 or len(outcome) != len(prob):
        raise ValueError(
            f"y_true must be 1-D with one outcome per probability ({len(prob)}); "
            f"got shape {outcome.shape}"
        )
    if outcome.dtype != bool and not (
        np.issubdtype(outcome.dtype, np.number) and np.all((outcome == 0) | (outcome == 1))
    ):
        raise ValueError("y_true must hold binary outcomes: 0 or 1, False or True")
    if np.any(prob < 0) or np.any(prob > 1):
        raise ValueError(
            f"y_prob must be probabilities in [0, 1]; got values from {prob.min():g} "
            f"to {prob.max():g}"
        )
    return outcome.astype(np.float64), prob


def reliability_curve(
    y_true: ArrayLike, y_prob: ArrayLike, *, n_bins: int = 10
) -> tuple[FloatArray, FloatArray, NDArray[np.int64]]:
    r"""Observed frequency against mean predicted probability, in equal-width bins.

    Introduced in the chapter "Naive Bayes".

    Parameters
    ----------
    y_true : array_like of shape (n,)
        Binary outcomes (1 or True: the event happened, e.g. the prediction was right).
    y_prob : array_like of shape (n,)
        The predicted probability of each outcome, in [0, 1].
    n_bins : int, default 10
        Number of equal-width bins of [0, 1]; bin :math:`b` (from 1) holds the
        probabilities in :math:`((b-1)/B, b/B]`, the first one also 0.

    Returns
    -------
    prob_true : ndarray of shape (n_nonempty,)
        :math:`\operatorname{acc}(b)`, the fraction of outcomes 1 in each non-empty bin.
    prob_pred : ndarray of shape (n_nonempty,)
        :math:`\operatorname{conf}(b)`, the mean predicted probability in each non-empty
        bin.
    counts : ndarray of int, shape (n_nonempty,)
        :math:`n_b`, how many predictions fall in each non-empty bin.

    Raises
    ------
    ValueError
        If the outcomes are not binary, the probabilities not in [0, 1], the lengths
        differ, or ``n_bins`` is not a positive integer.
    """
    n_bins = check_count(n_bins, name="n_bins", minimum=1)
    outcome, prob = _check_binary(y_true, y_prob)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    prob_true, prob_pred, counts = [], [], []
    for b in range(n_bins):
        lower = prob >= edges[b] if b == 0 else prob > edges[b]  # the first bin holds 0
        in_bin = lower & (prob <= edges[b + 1])
        if in_bin.any():
            prob_true.append(outcome[in_bin].mean())
            prob_pred.append(prob[in_bin].mean())
            counts.append(int(in_bin.sum()))
    return np.array(prob_true), np.array(prob_pred), np.array(counts, dtype=np.int64)


def expected_calibration_error(y_true: ArrayLike, y_prob: ArrayLike, *, n_bins: int = 10) -> float:
    r"""The expected calibration error, :math:`\sum_b (n_b/n)\,|\mathrm{acc}(b)-\mathrm{conf}(b)|`.

    Introduced in the chapter "Naive Bayes".

    0 for a perfectly calibrated classifier (on the bins used); at most 1. It depends on
    the number of bins, so compare models with the same ``n_bins`` on the same data.

    Parameters
    ----------
    y_true, y_prob, n_bins
        As in :func:`reliability_curve`.

    Returns
    -------
    float
    """
    prob_true, prob_pred, counts = reliability_curve(y_true, y_prob, n_bins=n_bins)
    return float(np.sum(counts * np.abs(prob_true - prob_pred)) / np.sum(counts))


def top_label(
    y_true: ArrayLike, proba: ArrayLike, classes: ArrayLike
) -> tuple[NDArray[np.bool_], FloatArray]:
    """Whether each top-label prediction is right, and its confidence.

    Introduced in the chapter "Naive Bayes".

    Parameters
    ----------
    y_true : array_like of shape (n,)
        The true labels.
    proba : array_like of shape (n, n_classes)
        Predicted class probabilities (``predict_proba``), columns in the order of
        ``classes``; each row sums to 1.
    classes : array_like of shape (n_classes,)
        The labels of the columns (an estimator's ``classes_``).

    Returns
    -------
    correct : ndarray of bool, shape (n,)
        Whether the most probable class is the true one.
    confidence : ndarray of shape (n,)
        The probability of the most probable class, the model's confidence in its
        prediction.

    Examples
    --------
    >>> correct, confidence = top_label([0, 1], [[0.9, 0.1], [0.8, 0.2]], [0, 1])
    >>> correct.tolist(), confidence.tolist()
    ([True, False], [0.9, 0.8])
    """
    P = check_array(proba, name="proba")
    labels: NDArray[Any] = np.asarray(classes)
    truth: NDArray[Any] = np.asarray(y_true)
    if labels.ndim != 1 or len(labels) != P.shape[1]:
        raise ValueError(
            f"classes must name the {P.shape[1]} columns of proba; got shape {labels.shape}"
        )
    if truth.ndim != 1 or len(truth) != len(P):
        raise ValueError(
            f"y_true must be 1-D with one label per row of proba ({len(P)}); "
            f"got shape {truth.shape}"
        )
    if np.any(P < 0) or not np.allclose(P.sum(axis=1), 1.0, rtol=0, atol=1e-8):
        raise ValueError("proba's rows must be probability vectors (>= 0, summing to 1)")
    best = np.argmax(P, axis=1)
    return labels[best] == truth, P[np.arange(len(P)), best]
