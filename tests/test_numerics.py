"""genlab.numerics against scipy.special.logsumexp and hand computation."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.special import logsumexp as scipy_logsumexp

from genlab.numerics import first_best, log_normalize, logsumexp, stable_order

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


# ------------------------------------------------------------------ stable_order
def test_stable_order_breaks_ties_by_the_secondary_key():
    values = [0.5, 2.0, 0.5, 2.0, 1.0]
    words = ["pear", "fig", "apple", "date", "kiwi"]
    # ascending: 0.5 (apple, pear), 1.0 (kiwi), 2.0 (date, fig)
    assert stable_order(values, tiebreak=words).tolist() == [2, 0, 4, 3, 1]
    # descending values, ties still alphabetical
    assert stable_order(values, tiebreak=words, descending=True).tolist() == [3, 1, 4, 2, 0]
    # default tie-break: the index
    assert stable_order(values).tolist() == [0, 2, 4, 1, 3]


def test_stable_order_treats_last_bit_differences_as_ties():
    # Equal in exact arithmetic, computed two ways: the last bits may differ.
    a, b = np.log(4.0) - np.log(2.0), np.log(2.0)
    values = [a, b, np.nextafter(b, 1.0), np.nextafter(b, 0.0)]
    assert stable_order(values, tiebreak=["d", "c", "b", "a"]).tolist() == [3, 2, 1, 0]
    # but values that differ in the kept decimals are ordered by value
    assert stable_order([1e-8, 0.0], decimals=9).tolist() == [1, 0]
    assert stable_order([1e-8, 0.0], decimals=6).tolist() == [0, 1]


@given(st.lists(st.integers(-5, 5), min_size=1, max_size=30))
def test_stable_order_equals_a_brute_force_sort(ints):
    values = np.array(ints) / 4.0  # exact binary fractions: ties are exact
    keys = [f"w{i:02d}" for i in range(len(ints))][::-1]  # reversed names
    expected = sorted(range(len(ints)), key=lambda i: (-values[i], keys[i]))
    assert stable_order(values, tiebreak=keys, descending=True).tolist() == expected


@pytest.mark.parametrize(
    ("values", "kwargs", "message"),
    [
        ([[1.0, 2.0]], {}, "must be 1-D"),
        ([1.0, np.nan], {}, "NaN or infinity"),
        ([1.0, 2.0], {"tiebreak": ["a"]}, "tiebreak has shape"),
    ],
)
def test_stable_order_bad_input(values, kwargs, message):
    with pytest.raises(ValueError, match=message):
        stable_order(values, **kwargs)


# -------------------------------------------------------------------- first_best
def test_first_best_by_hand():
    # Two restarts at the same optimum, apart in the last bits: the first wins.
    assert first_best([-2.2333058425002017, -2.2333058425002013, -3.0]) == 0
    assert first_best([-3.0, -2.2333058425002017, -2.2333058425002013]) == 1
    # a real improvement wins
    assert first_best([-2.5, -2.4]) == 1
    assert first_best([-2.5, -2.4], rtol=0.1) == 0  # within 10 %: the first
    assert first_best([-2.5, -2.4], atol=0.2) == 0
    # lower is better
    assert first_best([5.0, 4.0, 4.0 - 1e-15], lowest=True) == 1
    assert first_best([5.0, 4.0, 3.0], lowest=True) == 2
    assert first_best([7.0]) == 0


@pytest.mark.parametrize(
    ("scores", "kwargs", "message"),
    [
        ([], {}, "non-empty 1-D"),
        ([[1.0]], {}, "non-empty 1-D"),
        ([1.0, np.nan], {}, "NaN or infinity"),
        ([1.0], {"rtol": -1.0}, "rtol must be finite and >= 0"),
    ],
)
def test_first_best_bad_input(scores, kwargs, message):
    with pytest.raises(ValueError, match=message):
        first_best(scores, **kwargs)
