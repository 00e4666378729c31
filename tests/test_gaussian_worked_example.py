"""The multivariate Gaussian worked example of Lipiński (2024), §2.2 (Tables 4-5,
Eqs. 22-29): every printed figure, and each erratum with the printed and correct value.

Oracles: NumPy sums and outer products, scipy.stats.multivariate_normal.
"""

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy.stats import multivariate_normal

from genlab.datasets import lipinski_gaussian_example
from genlab.gaussian import GaussianClassifier, MultivariateNormal

X, y, X_NEW = lipinski_gaussian_example()
X0, X1 = X[y == 0], X[y == 1]


def test_eq24_and_eq26_means():
    assert_allclose(X0.sum(axis=0), [13.8, 14.6], rtol=1e-14)
    assert_allclose(X1.sum(axis=0), [33.5, 41.6], rtol=1e-14)
    assert_allclose(MultivariateNormal().fit(X0).mean_, [2.76, 2.92], rtol=1e-14)
    assert_allclose(MultivariateNormal().fit(X1).mean_, [6.7, 8.32], rtol=1e-14)


def test_eq25_deviation_vectors_and_covariance_of_class_0():
    printed_dev = np.array(
        [[0.06, -0.32], [1.24, 0.18], [-1.56, -0.02], [-2.06, 0.38], [2.34, -0.22]]
    )
    dev = X0 - X0.mean(axis=0)
    # Erratum: the first deviation is 2.8 - 2.76 = 0.04, printed 0.06.
    assert dev[0, 0] == pytest.approx(0.04, abs=1e-12)
    assert_allclose(dev[1:], printed_dev[1:], atol=1e-12)
    scatter = dev.T @ dev
    # Printed scatter [[13.6936, -1.0612], [-1.0612, 0.328]]. Correct: 13.692 and -1.056.
    # The printed entries follow neither from the true deviations nor from the printed
    # ones (which give 13.694 and -1.0624).
    assert_allclose(scatter, [[13.692, -1.056], [-1.056, 0.328]], atol=1e-12)
    with_typo = printed_dev.T @ printed_dev
    assert_allclose(with_typo[0], [13.694, -1.0624], atol=1e-12)
    # Printed Sigma_0 in Eq. 25: [[2.7387, -0.2122], [-0.2122, 0.0656]] (its scatter / 5);
    # correct, and as Eq. 28 itself uses: [[2.7384, -0.2112], [-0.2112, 0.0656]].
    sigma0 = MultivariateNormal().fit(X0).covariance_
    assert_allclose(sigma0, [[2.7384, -0.2112], [-0.2112, 0.0656]], atol=1e-12)
    assert round(13.6936 / 5, 4) == 2.7387 and round(-1.0612 / 5, 4) == -0.2122


def test_eq27_deviation_vectors_and_covariance_of_class_1():
    dev = X1 - X1.mean(axis=0)
    # Errata: the first deviation is 7.8 - 6.7 = 1.1 (printed 1.2) and the last is
    # 6.1 - 6.7 = -0.6 (printed 0.6). The printed Sigma_1 uses the correct ones.
    assert_allclose(dev[[0, 4], 0], [1.1, -0.6], atol=1e-12)
    sigma1 = MultivariateNormal().fit(X1).covariance_
    assert_allclose(sigma1, [[0.476, -0.002], [-0.002, 1.5696]], atol=1e-12)
    # Printed 1.569: 1.5696 truncated (1.570 rounded).
    assert round(sigma1[1, 1], 3) == 1.570 != 1.569


def test_eq28_eq29_densities():
    d0 = MultivariateNormal().fit(X0).pdf(X_NEW)
    d1 = MultivariateNormal().fit(X1).pdf(X_NEW)
    oracle0 = multivariate_normal(X0.mean(0), np.cov(X0.T, ddof=0)).pdf(X_NEW)
    oracle1 = multivariate_normal(X1.mean(0), np.cov(X1.T, ddof=0)).pdf(X_NEW)
    assert d0 == pytest.approx(oracle0, rel=1e-12)
    assert d1 == pytest.approx(oracle1, rel=1e-12)
    assert round(d0, 3) == 0.294  # Eq. 28 as printed
    assert float(f"{d1:.3e}") == 1.924e-11  # Eq. 29 as printed (with the unrounded 1.5696)
    # Eq. 28 used the correct Sigma_0: with Eq. 25's printed matrix the density would be
    # 0.2946, which rounds to 0.295, not the printed 0.294.
    eq25_sigma0 = [[2.7387, -0.2122], [-0.2122, 0.0656]]
    assert multivariate_normal([2.76, 2.92], eq25_sigma0).pdf(X_NEW) == pytest.approx(
        0.29460, abs=5e-5
    )
    # With the printed, truncated 1.569 the density would be 1.917e-11.
    printed_sigma1 = [[0.476, -0.002], [-0.002, 1.569]]
    assert multivariate_normal([6.7, 8.32], printed_sigma1).pdf(X_NEW) == pytest.approx(
        1.9173e-11, rel=1e-4
    )


def test_the_densities_are_not_probabilities_of_belonging():
    # The paper reads 0.294 and 1.924e-11 as "the probabilities that the test object
    # belongs to" each class. They are densities p(x | C); the posterior needs the priors
    # (here 5/10 each) and the normalisation by p(x).
    clf = GaussianClassifier().fit(X, y)
    posterior = clf.predict_proba([X_NEW])[0]
    assert posterior[1] == pytest.approx(1.924383e-11 / (0.294302 + 1.924383e-11), rel=1e-5)
    assert posterior[0] == pytest.approx(1 - 6.5388e-11, abs=1e-14)
    # Erratum: the paper concludes "class -1"; the object belongs to class 0.
    assert clf.predict([X_NEW])[0] == 0


def test_unbiased_covariance_changes_the_numbers():
    # With divisor n - 1 (np.cov's default) instead of the paper's 1/n (its 1/k, Eq. 23):
    d0 = MultivariateNormal(ddof=1).fit(X0).pdf(X_NEW)
    d1 = MultivariateNormal(ddof=1).fit(X1).pdf(X_NEW)
    assert d0 == pytest.approx(0.254358, rel=1e-5)
    assert d1 == pytest.approx(1.525977e-9, rel=1e-5)
