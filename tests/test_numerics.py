"""genlab.numerics against scipy.special.logsumexp and hand computation."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.special import logsumexp as scipy_logsumexp

from genlab.numerics import log_normalize, logsumexp

finite = st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False)


@given(arrays(np.float64, st.tuples(st.integers(1, 6), st.integers(1, 6)), elements=finite))
def test_logsumexp_matches_scipy_on_every_axis(a):
    for axis in (None, 0, 1, -1):
        np.testing.assert_allclose(
            logsumexp(a, axis=axis), scipy_logsumexp(a, axis=axis), rtol=1e-12, atol=1e-12
        )
        np.testing.assert_allclose(
            logsumexp(a, axis=axis, keepdims=True),
            scipy_logsumexp(a, axis=axis, keepdims=True),
            rtol=1e-12,
            atol=1e-12,
        )


def test_logsumexp_by_hand():
    # log(e^0 + e^0 + e^0) = log 3, exactly representable comparison
    assert logsumexp([0.0, 0.0, 0.0]) == pytest.approx(np.log(3.0), abs=1e-15)
    # far beyond exp's range: log(e^1000 + e^1000) = 1000 + log 2
    assert logsumexp([1000.0, 1000.0]) == pytest.approx(1000.0 + np.log(2.0), abs=1e-12)
    assert logsumexp([-1000.0, -1000.0]) == pytest.approx(-1000.0 + np.log(2.0), abs=1e-12)
    # the naive formula fails on both
    with np.errstate(over="ignore", divide="ignore"):
        assert np.isinf(np.log(np.sum(np.exp([1000.0, 1000.0]))))
        assert np.isneginf(np.log(np.sum(np.exp([-1000.0, -1000.0]))))


def test_logsumexp_handles_minus_infinity_without_nan():
    assert logsumexp([-np.inf, 0.0]) == 0.0
    assert np.isneginf(logsumexp([-np.inf, -np.inf]))
    out = logsumexp(np.array([[-np.inf, -np.inf], [0.0, 0.0]]), axis=1)
    assert np.isneginf(out[0]) and out[1] == pytest.approx(np.log(2.0))


@pytest.mark.parametrize("bad", [[np.nan, 0.0], [np.inf, 0.0]])
def test_logsumexp_rejects_nan_and_plus_inf(bad):
    with pytest.raises(ValueError, match="NaN or \\+inf"):
        logsumexp(bad)


@given(arrays(np.float64, st.tuples(st.integers(1, 5), st.integers(1, 5)), elements=finite))
def test_log_normalize_gives_probabilities_and_the_evidence(a):
    log_p, log_norm = log_normalize(a, axis=1)
    np.testing.assert_allclose(np.exp(log_p).sum(axis=1), 1.0, rtol=1e-12)
    np.testing.assert_allclose(log_norm, scipy_logsumexp(a, axis=1), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(
        log_p, a - scipy_logsumexp(a, axis=1, keepdims=True), rtol=1e-12, atol=1e-12
    )


def test_log_normalize_bayes_by_hand():
    # prior (0.4, 0.6), likelihoods (0.5, 0.25): joint (0.2, 0.15), evidence 0.35
    log_post, log_ev = log_normalize(np.log([0.4 * 0.5, 0.6 * 0.25]))
    np.testing.assert_allclose(np.exp(log_post), [0.2 / 0.35, 0.15 / 0.35], rtol=1e-14)
    assert np.exp(log_ev) == pytest.approx(0.35, rel=1e-14)


def test_log_normalize_keeps_zero_probabilities():
    log_p, _ = log_normalize([-np.inf, 0.0, 0.0])
    np.testing.assert_array_equal(np.exp(log_p), [0.0, 0.5, 0.5])


def test_log_normalize_rejects_all_zero_weights():
    with pytest.raises(ValueError, match="every weight equal to zero"):
        log_normalize(np.array([[0.0, 1.0], [-np.inf, -np.inf]]), axis=1)
