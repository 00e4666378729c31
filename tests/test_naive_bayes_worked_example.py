"""The naive Bayes worked example of Lipiński (2024), §2.1 (Tables 1-3, Eqs. 7-19).

Every figure the paper prints is checked, in one of two ways:

* figures the paper gets right are recomputed and must agree to the printed digits;
* figures the paper gets wrong (its errata) are asserted twice: the printed value is *not*
  what the computation gives, and the correct value is.

The key to reproducing the paper: it evaluated its densities with the *unrounded* class
means and, as "sigma", the *unrounded* sample variances (divisor n - 1). Table 2 prints
those numbers rounded, so the table alone cannot reproduce Eqs. 10-19.

Oracles: scipy.stats.norm, scikit-learn's GaussianNB and hand computation, never genlab.
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
PRIOR = np.array([2 / 5, 3 / 5])
MEANS = np.array([X[y == c].mean(axis=0) for c in (0, 1)])
SAMPLE_VAR = np.array([X[y == c].var(axis=0, ddof=1) for c in (0, 1)])

# Table 2 as printed: per-class means and the columns labelled sigma.
TABLE2_MU = np.array([[2.8, 1.5, 4.15, 0.565], [1.7, 2.4, 2.96, 0.153]])
TABLE2_SIGMA = np.array([[0.5, 0.18, 0.245, 0.120], [0.21, 0.13, 0.103, 0.0214]])
# Eqs. 10-13 (class 0) and 15-18 (class 1) as printed.
PRINTED_LIKELIHOODS = np.array(
    [[0.665, 0.188, 8.85e-4, 1.84e-3], [1.34e-3, 1.88e-3, 0.302, 0.884]]
)


def sig(value, digits=3):
    """Round to significant digits, as the paper prints."""
    return float(f"{value:.{digits - 1}e}")


def paper_likelihoods():
    """What the paper computed: unrounded means, unrounded sample variances used as sigma."""
    return normal_pdf(X_NEW, MEANS, SAMPLE_VAR)


def test_means_match_table2_except_one_rounding():
    # Erratum: mu_x3 of class 1 is (3.1 + 2.6 + 3.2) / 3 = 2.9667, printed 2.96
    # (correctly rounded to two decimals it is 2.97).
    assert MEANS[1, 2] == pytest.approx(2.966667, abs=1e-6)
    assert round(MEANS[1, 2], 2) == 2.97 != TABLE2_MU[1, 2]
    others = np.ones_like(TABLE2_MU, dtype=bool)
    others[1, 2] = False
    assert_allclose(MEANS[others], TABLE2_MU[others], atol=5e-4)


def test_priors_eqs_8_9():
    assert_allclose(GaussianNB().fit(X, y).class_prior_, [0.4, 0.6], rtol=1e-15)


def test_table2_sigma_columns_are_sample_variances_not_standard_deviations():
    std_ml = np.array([X[y == c].std(axis=0, ddof=0) for c in (0, 1)])
    std_unbiased = np.sqrt(SAMPLE_VAR)
    # Printed "sigma" = sample variance (divisor n - 1), to the printed digits ...
    assert_allclose(TABLE2_SIGMA, np.vectorize(sig)(SAMPLE_VAR), rtol=1e-12)
    # ... and not a standard deviation of either kind (x1 of class 0 matches by accident:
    # its ML standard deviation and its sample variance are both exactly 0.5).
    mismatch = ~np.isclose(TABLE2_SIGMA, np.vectorize(sig)(std_ml))
    assert mismatch.sum() == 7 and not mismatch[0, 0]
    assert np.all(~np.isclose(TABLE2_SIGMA, np.vectorize(sig)(std_unbiased)))
    # The correct standard deviations (ML, divisor n), as genlab's GaussianNB fits them:
    nb = GaussianNB(var_smoothing=0.0).fit(X, y)
    assert_allclose(np.sqrt(nb.var_), std_ml, rtol=1e-12)
    assert_allclose(
        np.sqrt(nb.var_),
        [[0.5, 0.3, 0.35, 0.245], [0.374166, 0.294392, 0.262467, 0.119536]],
        atol=1e-6,
    )


def test_the_paper_used_unrounded_parameters_for_eqs_10_to_18():
    ours = paper_likelihoods()
    assert_allclose(ours, norm.pdf(X_NEW, MEANS, SAMPLE_VAR), rtol=1e-12)
    recomputed = np.vectorize(sig)(ours)
    assert_allclose(
        recomputed, [[0.666, 0.188, 8.85e-4, 1.84e-3], [1.34e-3, 1.88e-3, 0.302, 0.842]]
    )
    agree = np.isclose(recomputed, PRINTED_LIKELIHOODS, rtol=1e-9)
    # Six of the eight printed likelihoods are right to the printed digits.
    assert agree.tolist() == [[False, True, True, True], [True, True, True, False]]
    # Erratum Eq. 10: printed 0.665; the value is 0.66645 (0.666 to three digits).
    assert ours[0, 0] == pytest.approx(0.666449, abs=1e-6)
    # Erratum Eq. 18: printed 0.884; the value is 0.8419. The paper's own Eq. 19 result
    # (below) is consistent with 0.8419, so 0.884 is a misprint.
    assert ours[1, 3] == pytest.approx(0.841947, abs=1e-6)


def test_table2_as_printed_does_not_reproduce_the_paper():
    # Feeding Table 2's rounded numbers back into the density moves Eq. 17 from 0.302 to
    # 0.257 (the truncated mean 2.96 and the rounded 0.103 both matter).
    from_table = normal_pdf(X_NEW, TABLE2_MU, TABLE2_SIGMA)
    assert from_table[1, 2] == pytest.approx(0.256510, abs=1e-6)
    assert sig(from_table[1, 2]) != PRINTED_LIKELIHOODS[1, 2]


def test_eq13_typo_in_the_mean():
    # Eq. 13 writes (x - 5.65); the mean of x4 in class 0 is 0.565. With 5.65 the
    # density is 0 in double precision; with 0.565 it is the printed 1.84e-3.
    assert normal_pdf(0.1, 5.65, SAMPLE_VAR[0, 3]) == 0.0
    assert sig(normal_pdf(0.1, 0.565, SAMPLE_VAR[0, 3])) == 1.84e-3


def test_eq14_product_for_class_0_is_right():
    recomputed = PRIOR[0] * np.prod(paper_likelihoods()[0])
    assert recomputed == pytest.approx(8.1216136e-8, rel=1e-7)
    assert sig(recomputed) == 8.12e-8  # as printed
    # The printed, rounded factors multiply to 8.14e-8: the paper multiplied unrounded ones.
    assert sig(0.4 * 0.665 * 0.188 * 8.85e-4 * 1.84e-3) == 8.14e-8


def test_eq19_product_for_class_1():
    printed_first, printed_second = 8.12e-8, 3.845742252e-7  # Eq. 19 prints both
    recomputed = PRIOR[1] * np.prod(paper_likelihoods()[1])
    # The second value is right to all ten digits ...
    assert recomputed == pytest.approx(printed_second, rel=1e-9)
    # ... the first is Eq. 14's result, copied by mistake (erratum).
    assert abs(printed_first - recomputed) / recomputed > 0.7
    # With the misprinted 0.884 the printed factors give 4.04e-7; with 0.842, 3.84e-7.
    assert sig(0.6 * 1.34e-3 * 1.88e-3 * 0.302 * 0.884) == 4.04e-7
    assert sig(0.6 * 1.34e-3 * 1.88e-3 * 0.302 * 0.842) == 3.84e-7


def test_the_products_are_joint_probabilities_not_posteriors():
    # Eqs. 7, 14 and 19 call p(C)p(x1|C)...p(x4|C) "p(C|X)". It is the joint density
    # p(C, X); the posterior divides by p(X), the sum over both classes.
    joint = PRIOR * np.prod(paper_likelihoods(), axis=1)
    assert joint.sum() == pytest.approx(4.6579e-7, rel=1e-4)  # far from summing to 1
    assert_allclose(joint / joint.sum(), [0.174362, 0.825638], atol=1e-6)


def test_correct_gaussian_nb_agrees_with_sklearn_and_keeps_the_decision():
    ours = GaussianNB(var_smoothing=0.0).fit(X, y)
    oracle = SklearnGaussianNB(var_smoothing=0.0).fit(X, y)
    assert_allclose(ours.predict_proba([X_NEW]), oracle.predict_proba([X_NEW]), rtol=1e-12)
    assert ours.predict_proba([X_NEW])[0, 1] == pytest.approx(0.982887, abs=1e-6)
    assert ours.predict([X_NEW])[0] == 1  # the paper's decision (class 1) stands
    # With the unbiased variance (ddof=1) the posterior is 0.9403.
    unbiased = GaussianNB(var_smoothing=0.0, ddof=1).fit(X, y)
    assert unbiased.predict_proba([X_NEW])[0, 1] == pytest.approx(0.940294, abs=1e-6)
