"""The univariate normal density against scipy.stats.norm and hand computation."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.stats import norm

from genlab.gaussian import normal_logpdf, normal_pdf


@given(
    x=st.floats(-1e3, 1e3),
    mu=st.floats(-1e3, 1e3),
    sd=st.floats(1e-3, 1e3),
)
def test_logpdf_matches_scipy(x, mu, sd):
    assert normal_logpdf(x, mu, sd) == pytest.approx(norm.logpdf(x, mu, sd), rel=1e-12, abs=1e-12)


def test_broadcasting_matches_scipy():
    x = np.linspace(-3, 3, 7)[:, None]
    mu = np.array([0.0, 1.0, -2.0])
    sd = np.array([1.0, 0.5, 2.0])
    np.testing.assert_allclose(normal_pdf(x, mu, sd), norm.pdf(x, mu, sd), rtol=1e-13)
    assert normal_logpdf(x, mu, sd).shape == (7, 3)


def test_by_hand():
    # at the mean the density is 1 / (sigma sqrt(2 pi))
    assert normal_pdf(2.0, 2.0, 0.5) == pytest.approx(1 / (0.5 * np.sqrt(2 * np.pi)), rel=1e-15)
    # one standard deviation away it falls by e^{-1/2}
    assert normal_pdf(2.5, 2.0, 0.5) / normal_pdf(2.0, 2.0, 0.5) == pytest.approx(
        np.exp(-0.5), rel=1e-14
    )


def test_logpdf_stays_finite_far_in_the_tail():
    # the density underflows to 0 but its logarithm is finite and exact
    assert normal_pdf(100.0, 0.0, 1.0) == 0.0
    assert normal_logpdf(100.0, 0.0, 1.0) == pytest.approx(-5000 - 0.5 * np.log(2 * np.pi))


@pytest.mark.parametrize("sd", [0.0, -1.0])
def test_rejects_non_positive_std(sd):
    with pytest.raises(ValueError, match="std must be > 0"):
        normal_logpdf(0.0, 0.0, sd)


@pytest.mark.parametrize("arg", ["x", "mean", "std"])
@pytest.mark.parametrize("value", [np.nan, np.inf])
def test_rejects_nonfinite_input(arg, value):
    kwargs = {"x": 0.0, "mean": 0.0, "std": 1.0, arg: value}
    with pytest.raises(ValueError, match=f"{arg} contains NaN or infinity"):
        normal_logpdf(**kwargs)
