"""Reliability curves and the expected calibration error against scikit-learn's
calibration_curve and a hand computation; top-label confidence; bad input."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.calibration import calibration_curve

from genlab.calibration import expected_calibration_error, reliability_curve, top_label


@pytest.mark.parametrize("n_bins", [1, 5, 10, 15])
@pytest.mark.parametrize("seed", [0, 1])
def test_bins_match_sklearn_calibration_curve(n_bins, seed):
    rng = np.random.default_rng(seed)
    prob = rng.beta(0.7, 0.5, size=500)
    # probabilities on the bin edges, and 0 and 1 themselves, go where scikit-learn puts them
    prob[:40] = rng.choice(np.linspace(0, 1, n_bins + 1), size=40)
    outcome = rng.random(500) < prob**1.5
    prob_true, prob_pred, counts = reliability_curve(outcome, prob, n_bins=n_bins)
    theirs_true, theirs_pred = calibration_curve(outcome, prob, n_bins=n_bins)
    assert_allclose(prob_true, theirs_true, rtol=1e-12)
    assert_allclose(prob_pred, theirs_pred, rtol=1e-12)
    assert counts.sum() == 500 and np.all(counts > 0)
    # the counts are scikit-learn's bins too
    binids = np.searchsorted(np.linspace(0, 1, n_bins + 1)[1:-1], prob)
    assert_array_equal(counts, np.bincount(binids, minlength=n_bins)[np.unique(binids)])


def test_ece_by_hand():
    # bin (0.0, 0.5]: p = 0.2, 0.4 -> conf 0.3, one of two right -> acc 0.5, gap 0.2
    # bin (0.5, 1.0]: p = 0.9, 0.9, 1.0 -> conf 0.9333, all right -> gap 0.0667
    prob = [0.2, 0.4, 0.9, 0.9, 1.0]
    outcome = [1, 0, 1, 1, 1]
    expected = (2 * 0.2 + 3 * (1 - 2.8 / 3)) / 5
    assert expected_calibration_error(outcome, prob, n_bins=2) == pytest.approx(expected, 1e-12)
    # calibrated by construction: each bin's frequency equals its (single) probability
    assert expected_calibration_error([1, 1, 0, 0], [0.5, 0.5, 0.5, 0.5]) == 0.0
    # the worst case: certain and always wrong
    assert expected_calibration_error([0, 0], [1.0, 1.0]) == 1.0


def test_over_confidence_shows_as_a_large_ece():
    rng = np.random.default_rng(3)
    p_true = rng.uniform(0.5, 1.0, size=20_000)
    outcome = rng.random(20_000) < p_true
    calibrated = expected_calibration_error(outcome, p_true)
    sharpened = expected_calibration_error(outcome, np.sqrt(p_true) ** 0.1)  # pushed to 1
    assert calibrated < 0.01 < 0.1 < sharpened


def test_top_label():
    proba = np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6], [0.5, 0.4, 0.1]])
    correct, confidence = top_label(["b", "c", "b"], proba, np.array(["a", "b", "c"]))
    assert correct.tolist() == [False, True, False]
    assert_allclose(confidence, [0.7, 0.6, 0.5])


def test_bad_input_is_refused_by_name():
    with pytest.raises(ValueError, match="binary outcomes"):
        reliability_curve([0, 2], [0.1, 0.2])
    with pytest.raises(ValueError, match=r"probabilities in \[0, 1\]"):
        reliability_curve([0, 1], [0.1, 1.2])
    with pytest.raises(ValueError, match="NaN"):
        reliability_curve([0, 1], [0.1, np.nan])
    with pytest.raises(ValueError, match="one outcome per probability"):
        reliability_curve([0, 1, 1], [0.1, 0.2])
    with pytest.raises(ValueError, match="n_bins"):
        reliability_curve([0, 1], [0.1, 0.2], n_bins=0)
    with pytest.raises(ValueError, match="probability vectors"):
        top_label([0, 1], [[0.5, 0.6], [0.5, 0.5]], [0, 1])
    with pytest.raises(ValueError, match="classes must name"):
        top_label([0, 1], [[0.5, 0.5], [0.5, 0.5]], [0, 1, 2])
    with pytest.raises(ValueError, match="one label per row"):
        top_label([0], [[0.5, 0.5], [0.5, 0.5]], [0, 1])
