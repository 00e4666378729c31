"""The shared input checks: every bad input gets a ValueError that names it."""

import numpy as np
import pytest

from genlab._validation import (
    NotFittedError,
    check_array,
    check_consistent_length,
    check_is_fitted,
    check_positive,
    check_probability_vector,
    check_random_state,
    check_stochastic_matrix,
)


def test_check_array_converts_to_float64_contiguous():
    X = check_array([[1, 2], [3, 4]])
    assert X.dtype == np.float64 and X.flags.c_contiguous
    np.testing.assert_array_equal(X, [[1.0, 2.0], [3.0, 4.0]])


@pytest.mark.parametrize(
    ("X", "kwargs", "message"),
    [
        ([1.0, 2.0], {}, "must be 2-dimensional.*reshape"),
        ([[1.0], [2.0]], {"ndim": 1}, "must be 1-dimensional"),
        (np.zeros((0, 3)), {}, "0 sample"),
        (np.zeros((3, 1)), {"min_samples": 4}, "a minimum of 4 is required"),
        (np.zeros((3, 0)), {}, "0 feature"),
        ([[np.nan, 1.0]], {}, "1 NaN, 0 infinite"),
        ([[np.inf, -np.inf]], {}, "0 NaN, 2 infinite"),
        ([["a", "b"]], {}, "numeric array"),
    ],
)
def test_check_array_errors_name_the_problem(X, kwargs, message):
    with pytest.raises(ValueError, match=message):
        check_array(X, name="X_train", **kwargs)
    with pytest.raises(ValueError, match="X_train"):
        check_array(X, name="X_train", **kwargs)


def test_check_consistent_length():
    assert check_consistent_length(X=np.zeros((3, 2)), y=np.zeros(3)) == 3
    with pytest.raises(ValueError, match="X: 3, y: 2"):
        check_consistent_length(X=np.zeros((3, 2)), y=np.zeros(2))


def test_check_positive():
    assert check_positive(2, name="alpha") == 2.0
    assert check_positive(0.0, name="alpha", strict=False) == 0.0
    for bad in (0.0, -1.0, np.nan, np.inf):
        with pytest.raises(ValueError, match="alpha must be finite and > 0"):
            check_positive(bad, name="alpha")


def test_probability_vector():
    np.testing.assert_array_equal(check_probability_vector([0.25, 0.75]), [0.25, 0.75])
    with pytest.raises(ValueError, match=r"priors must sum to 1; it sums to 0\.8"):
        check_probability_vector([0.3, 0.5], name="priors")
    with pytest.raises(ValueError, match="priors has negative entries"):
        check_probability_vector([1.5, -0.5], name="priors")


def test_stochastic_matrix():
    check_stochastic_matrix([[0.9, 0.1], [0.0, 1.0]])
    with pytest.raises(ValueError, match=r"row\(s\) \[1\] sum to \[0.5\]"):
        check_stochastic_matrix([[0.9, 0.1], [0.25, 0.25]], name="transmat")
    with pytest.raises(ValueError, match=r"negative entries in row\(s\) \[0\]"):
        check_stochastic_matrix([[1.1, -0.1], [0.5, 0.5]])


def test_random_state():
    a = check_random_state(0).normal(size=3)
    b = check_random_state(0).normal(size=3)
    np.testing.assert_array_equal(a, b)
    g = np.random.default_rng(1)
    assert check_random_state(g) is g
    assert isinstance(check_random_state(None), np.random.Generator)
    with pytest.raises(ValueError, match="random_state must be"):
        check_random_state("seed")  # type: ignore[arg-type]


def test_check_is_fitted():
    class Model:
        pass

    m = Model()
    with pytest.raises(NotFittedError, match="Model is not fitted yet"):
        check_is_fitted(m, ["means_"])
    # scikit-learn's convention: the error is both a ValueError and an AttributeError
    assert issubclass(NotFittedError, ValueError) and issubclass(NotFittedError, AttributeError)
    m.means_ = 0
    check_is_fitted(m, ["means_"])
