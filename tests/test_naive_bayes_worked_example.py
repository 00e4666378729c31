"""The naive Bayes worked example of Lipiński (2024), §2.1 (Tables 1-3, Eqs. 7-19).

Every figure the paper prints is checked, in one of two ways:

* figures the paper gets right are recomputed and must agree to the printed digits;
* figures the paper gets wrong (its errata) are asserted twice: the printed value is
  *not* what the computation gives, and the correct value is what genlab computes.

The oracles are scipy.stats.norm and scikit-learn's GaussianNB, never genlab itself.
"""

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy.stats import norm
from sklearn.naive_bayes import GaussianNB as SklearnGaussianNB

from genlab.datasets import lipinski_naive_bayes_example
from genlab.gaussian import normal_pdf
from genlab.naive_bayes import GaussianNB

X, y, X_NEW = lipinski_naive_bayes_example()

# Table 2 as printed: per-class means and the columns labelled sigma.
TABLE2_MU = np.array([[2.8, 1.5, 4.15, 0.565], [1.7, 2.4, 2.96, 0.153]])
TABLE2_SIGMA = np.array([[0.5, 0.18, 0.245, 0.120], [0.21, 0.13, 0.103, 0.0214]])
# Eqs. 10-13 (class 0) and 15-18 (class 1) as printed.
PRINTED_LIKELIHOODS = np.array(
    [[0.665, 0.188, 8.85e-4, 1.84e-3], [1.34e-3, 1.88e-3, 0.302, 0.884]]
)


def sig(value, digits):
    """Round to significant digits, as the paper prints."""
    return float(f"{value:.{digits - 1}e}")


def test_means_match_table2_except_one_rounding():
    means = np.array([X[y == c].mean(axis=0) for c in (0, 1)])
    # Erratum: mu_x3 of class 1 is (3.1 + 2.6 + 3.2) / 3 = 2.9667, printed 2.96
    # (truncated; to the printed two decimals it is 2.97).
    assert means[1, 2] == pytest.approx(2.966667, abs=1e-6)
    assert round(means[1, 2], 2) == 2.97 != TABLE2_MU[1, 2]
    # Every other mean agrees with Table 2 to the printed digits.
    others = np.ones_like(TABLE2_MU, dtype=bool)
    others[1, 2] = False
    assert_allclose(means[others], TABLE2_MU[others], atol=5e-4)


def test_priors_eqs_8_9():
    nb = GaussianNB().fit(X, y)
    assert_allclose(nb.class_prior_, [2 / 5, 3 / 5], rtol=1e-15)


def test_table2_sigma_columns_are_sample_variances_not_standard_deviations():
    var_unbiased = np.array([X[y == c].var(axis=0, ddof=1) for c in (0, 1)])
    std_ml = np.array([X[y == c].std(axis=0, ddof=0) for c in (0, 1)])
    std_unbiased = np.sqrt(var_unbiased)
    # Printed "sigma" = sample variance (divisor n - 1), to the printed digits ...
    assert_allclose(TABLE2_SIGMA, np.vectorize(sig)(var_unbiased, 3), rtol=1e-12)
    # ... and not a standard deviation of either kind (x1 of class 0 matches by accident:
    # its ML standard deviation and its sample variance are both exactly 0.5).
    mismatch = ~np.isclose(TABLE2_SIGMA, np.vectorize(sig)(std_ml, 3))
    assert mismatch.sum() == 7 and not mismatch[0, 0]
    assert np.all(~np.isclose(TABLE2_SIGMA, np.vectorize(sig)(std_unbiased, 3)))
    # The correct standard deviations (ML, divisor n), as genlab's GaussianNB fits them:
    nb = GaussianNB(var_smoothing=0.0).fit(X, y)
    assert_allclose(np.sqrt(nb.var_), std_ml, rtol=1e-12)
    assert_allclose(
        np.sqrt(nb.var_),
        [[0.5, 0.3, 0.35, 0.245], [0.374166, 0.294392, 0.262467, 0.119536]],
        atol=1e-6,
    )


def test_likelihoods_with_the_source_parameters():
    # Eqs. 10-18 evaluate N(x | mu, sigma^2) with Table 2's numbers taken as sigma.
    ours = normal_pdf(X_NEW, TABLE2_MU, TABLE2_SIGMA)
    assert_allclose(ours, norm.pdf(X_NEW, TABLE2_MU, TABLE2_SIGMA), rtol=1e-12)
    recomputed_3sig = np.vectorize(sig)(ours, 3)
    assert_allclose(
        recomputed_3sig, [[0.666, 0.188, 8.85e-4, 1.82e-3], [1.34e-3, 1.88e-3, 0.257, 0.868]]
    )
    agree = np.isclose(recomputed_3sig, PRINTED_LIKELIHOODS, rtol=1e-9)
    # Five of the eight printed likelihoods are right to the printed digits ...
    assert agree.tolist() == [[False, True, True, False], [True, True, False, False]]
    # ... Eq. 10 prints 0.665 for 0.66645 (truncated, not rounded);
    assert ours[0, 0] == pytest.approx(0.66645, abs=1e-5)
    # Eq. 13 prints 1.84e-3 for 1.824e-3;
    assert ours[0, 3] == pytest.approx(1.8244e-3, rel=1e-4)
    # Eq. 17 prints 0.302: with the printed mean 2.96 it is 0.2565, with the exact
    # mean 2.9667 it is 0.2976; neither rounds to 0.302;
    assert ours[1, 2] == pytest.approx(0.25651, rel=1e-4)
    assert normal_pdf(3.2, (3.1 + 2.6 + 3.2) / 3, 0.103) == pytest.approx(0.29764, rel=1e-4)
    # Eq. 18 prints 0.884 for 0.8681 (0.8352 with the exact mean 0.15333).
    assert ours[1, 3] == pytest.approx(0.86811, rel=1e-4)
    assert normal_pdf(0.1, 0.46 / 3, 0.0214) == pytest.approx(0.83516, rel=1e-4)


def test_eq13_typo_in_the_mean():
    # Eq. 13 writes (x - 5.65); the mean of x4 in class 0 is 0.565. With 5.65 the
    # density is 0 to double precision.
    assert normal_pdf(0.1, 5.65, 0.12) == 0.0
    assert normal_pdf(0.1, 0.565, 0.12) == pytest.approx(1.824e-3, rel=1e-3)


def test_eq14_product_for_class_0():
    printed = 8.12e-8
    product_of_printed_factors = 0.4 * 0.665 * 0.188 * 8.85e-4 * 1.84e-3
    recomputed = 0.4 * np.prod(normal_pdf(X_NEW, TABLE2_MU[0], TABLE2_SIGMA[0]))
    assert product_of_printed_factors == pytest.approx(8.143e-8, rel=1e-3)
    assert recomputed == pytest.approx(8.0744e-8, rel=1e-4)
    assert sig(recomputed, 3) != printed and sig(product_of_printed_factors, 3) != printed


def test_eq19_product_for_class_1():
    printed_first, printed_second = 8.12e-8, 3.845742252e-7  # Eq. 19 prints both
    product_of_printed_factors = 0.6 * 1.34e-3 * 1.88e-3 * 0.302 * 0.884
    recomputed = 0.6 * np.prod(normal_pdf(X_NEW, TABLE2_MU[1], TABLE2_SIGMA[1]))
    # The first value is Eq. 14's result copied; the second matches neither the product
    # of the printed factors nor the recomputed product.
    assert printed_first == 8.12e-8
    assert product_of_printed_factors == pytest.approx(4.0353e-7, rel=1e-4)
    assert recomputed == pytest.approx(3.3722e-7, rel=1e-4)
    assert abs(printed_second - recomputed) / recomputed > 0.1
    assert abs(printed_second - product_of_printed_factors) / product_of_printed_factors > 0.04


def test_the_products_are_joint_probabilities_not_posteriors():
    # Eqs. 7, 14 and 19 call p(C)p(x1|C)...p(x4|C) "p(C|X)". It is the joint density
    # p(C, X); the posterior divides by p(X), the sum over both classes.
    prior = np.array([0.4, 0.6])
    joint = prior * np.prod(normal_pdf(X_NEW, TABLE2_MU, TABLE2_SIGMA), axis=1)
    assert joint.sum() == pytest.approx(4.1796e-7, rel=1e-4)  # far from summing to 1
    posterior = joint / joint.sum()
    assert_allclose(posterior, [0.193185, 0.806815], atol=1e-6)


def test_correct_gaussian_nb_agrees_with_sklearn_and_keeps_the_decision():
    ours = GaussianNB(var_smoothing=0.0).fit(X, y)
    oracle = SklearnGaussianNB(var_smoothing=0.0).fit(X, y)
    assert_allclose(ours.predict_proba([X_NEW]), oracle.predict_proba([X_NEW]), rtol=1e-12)
    assert ours.predict_proba([X_NEW])[0, 1] == pytest.approx(0.982887, abs=1e-6)
    assert ours.predict([X_NEW])[0] == 1  # the paper's decision (class 1) stands
    # With the unbiased variance (ddof=1) the posterior is 0.9403.
    unbiased = GaussianNB(var_smoothing=0.0, ddof=1).fit(X, y)
    assert unbiased.predict_proba([X_NEW])[0, 1] == pytest.approx(0.940294, abs=1e-6)
