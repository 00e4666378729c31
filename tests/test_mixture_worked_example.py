"""The mixture example of Lipiński (2024), §3.1 (Eqs. 30-35, Table 6).

The paper does not publish its 40 points, so its iterates cannot be recomputed; what can be
checked is its internal consistency and its procedure, reproduced on 40 points drawn from
its final model (Eq. 35).
"""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from genlab.datasets import LIPINSKI_EQ35, lipinski_mixture_example
from genlab.gaussian import MultivariateNormal
from genlab.mixture import GaussianMixture

# Table 6, last iteration (4), as printed.
TABLE6_ITER4 = {
    "means": np.array([[2.67, 2.07], [5.53, 7.18]]),
    "covariances": np.array([[[0.19, 0.01], [0.01, 0.28]], [[0.08, 0.07], [0.07, 0.32]]]),
}


def test_table6_and_eq35_disagree():
    # Erratum: the final iteration of Table 6 and the final model of Eq. 35 should hold the
    # same parameters; they differ in every mean and covariance ...
    assert not np.allclose(TABLE6_ITER4["means"], LIPINSKI_EQ35["means"], atol=0.05)
    assert np.all(
        np.abs(TABLE6_ITER4["covariances"] - LIPINSKI_EQ35["covariances"]).max(axis=(1, 2)) >= 0.04
    )
    # ... and the second component's correlation has the opposite sign (+0.07 vs -0.06).
    assert TABLE6_ITER4["covariances"][1, 0, 1] > 0 > LIPINSKI_EQ35["covariances"][1, 0, 1]
    for cov in np.vstack([TABLE6_ITER4["covariances"], LIPINSKI_EQ35["covariances"]]):
        assert np.all(np.linalg.eigvalsh(cov) > 0)  # both are valid covariance matrices


def test_table6_is_self_consistent_and_eq35_is_not():
    # The overall mean of the 40 points does not depend on the split. Table 6's 20/20
    # iterations give (4.10, 4.625); its iterations 1 and 2 imply the same group sizes from
    # both coordinates (15/25 and 19/21) ...
    overall = TABLE6_ITER4["means"].mean(axis=0)
    assert_allclose(overall, [4.10, 4.625])
    for mu1, mu2, n1 in (([3.72, 3.82], [4.33, 5.11], 15), ([2.98, 2.44], [5.12, 6.60], 19)):
        implied = (40 * overall - 40 * np.array(mu2)) / (np.array(mu1) - np.array(mu2))
        assert_allclose(implied, n1, atol=0.1)
    # ... while Eq. 35 (20/20, phi = 0.5) implies another overall mean: not the same data.
    assert_allclose(LIPINSKI_EQ35["means"].mean(axis=0), [4.135, 4.43])
    assert not np.allclose(LIPINSKI_EQ35["means"].mean(axis=0), overall, atol=0.03)
    # Erratum: iterations 3 and 4 have the same means and the same split (20/20), so hard
    # EM must give the same covariances, but Sigma_1's diagonal changes.
    third, fourth = TABLE6[2], TABLE6[3]
    assert third[0] == fourth[0] and third[2] == fourth[2] and third[4] == fourth[4] == 20
    assert_allclose(np.diag(third[1]), [0.20, 0.27])
    assert_allclose(np.diag(fourth[1]), [0.19, 0.28])
    assert not np.allclose(np.diag(third[1]), np.diag(fourth[1]))


def test_eq31_needs_nonnegative_weights():
    # Weights (1.5, -0.5) satisfy Eq. 31 (they sum to 1) but give a negative "density".
    comps = [
        MultivariateNormal.from_parameters(m, c)
        for m, c in zip(LIPINSKI_EQ35["means"], LIPINSKI_EQ35["covariances"], strict=True)
    ]
    x = LIPINSKI_EQ35["means"][1]
    assert 1.5 * comps[0].pdf(x) - 0.5 * comps[1].pdf(x) < 0


def test_eq34_weights_are_group_shares():
    # phi_1 = phi_2 = 20/40 = 0.5, as printed before Eq. 35
    assert_allclose(LIPINSKI_EQ35["weights"], [20 / 40, 20 / 40])


def test_mixture_density_integrates_to_the_sum_of_the_weights():
    # Eqs. 30-31: with weights summing to 1 the mixture is a density.
    gx, gy = np.meshgrid(np.linspace(-2, 10, 601), np.linspace(-4, 12, 801))
    grid = np.column_stack([gx.ravel(), gy.ravel()])
    cell = (12 / 600) * (16 / 800)
    comps = [
        MultivariateNormal.from_parameters(m, c)
        for m, c in zip(LIPINSKI_EQ35["means"], LIPINSKI_EQ35["covariances"], strict=True)
    ]
    for weights in ([0.5, 0.5], [0.7, 0.7]):
        total = sum(w * c.pdf(grid) for w, c in zip(weights, comps, strict=True)).sum() * cell
        assert total == pytest.approx(sum(weights), abs=1e-6)


def test_the_papers_procedure_recovers_the_two_groups():
    # Hard EM, equal weights held fixed during the loop, random initial assignment (seed 7),
    # stopping when no point changes group; then phi from the group sizes (Eq. 34).
    X, component = lipinski_mixture_example()
    start = np.random.default_rng(7).integers(0, 2, size=len(X))
    fits = [MultivariateNormal().fit(X[start == k]) for k in (0, 1)]
    gm = GaussianMixture(
        2,
        em="hard",
        params="mc",
        weights_init=[0.5, 0.5],
        means_init=[f.mean_ for f in fits],
        precisions_init=[np.linalg.inv(f.covariance_) for f in fits],
        tol=0.0,
        max_iter=50,
        keep_history=True,
    ).fit(X)
    assert gm.converged_ and gm.n_iter_ == 4
    labels = gm.predict(X)
    assert_array_equal(labels, component)
    assert_allclose(np.bincount(labels) / len(X), [0.5, 0.5])
    # the final parameters are the per-group ML estimates
    for k in (0, 1):
        group = MultivariateNormal().fit(X[component == k])
        assert_allclose(gm.means_[k], group.mean_, rtol=1e-12)
        assert_allclose(gm.covariances_[k], group.covariance_ + 1e-6 * np.eye(2), rtol=1e-9)


# Table 6 in full: (mu_1, Sigma_1, mu_2, Sigma_2, n_1) per iteration; n_1 from the
# overall-mean check above (20 for iterations 3 and 4).
TABLE6 = [
    ([3.72, 3.82], [[2.17, 3.58], [3.58, 6.84]], [4.33, 5.11], [[2.04, 3.47], [3.47, 6.23]], 15),
    ([2.98, 2.44], [[1.03, 1.23], [1.23, 2.03]], [5.12, 6.60], [[1.04, 1.70], [1.70, 3.01]], 19),
    ([2.67, 2.07], [[0.20, 0.01], [0.01, 0.27]], [5.53, 7.18], [[0.08, 0.07], [0.07, 0.32]], 20),
    ([2.67, 2.07], [[0.19, 0.01], [0.01, 0.28]], [5.53, 7.18], [[0.08, 0.07], [0.07, 0.32]], 20),
]


def total_covariance(mu1, sigma1, mu2, sigma2, n1, n=40):
    """Covariance of all n points (divisor n) from the two groups' ML estimates."""
    mu1, mu2 = np.asarray(mu1), np.asarray(mu2)
    m = (n1 * mu1 + (n - n1) * mu2) / n
    return sum(
        w * (np.asarray(s) + np.outer(mu - m, mu - m))
        for w, mu, s in ((n1 / n, mu1, sigma1), ((n - n1) / n, mu2, sigma2))
    )


def test_the_total_covariance_confirms_table6_and_rejects_eq35():
    # Like the overall mean, the covariance of all 40 points does not depend on how they
    # are split into groups (if each group's covariance divides by its size, Eq. 23).
    # Every iteration of Table 6 gives the same matrix to rounding; Eq. 35 gives another.
    totals = np.array([total_covariance(*row) for row in TABLE6])
    assert_allclose(totals, totals.mean(axis=0)[None].repeat(4, axis=0), atol=0.03)
    assert_allclose(totals[3], [[2.180, 3.694], [3.694, 6.828]], atol=1e-3)
    eq35 = total_covariance(
        LIPINSKI_EQ35["means"][0],
        LIPINSKI_EQ35["covariances"][0],
        LIPINSKI_EQ35["means"][1],
        LIPINSKI_EQ35["covariances"][1],
        20,
    )
    assert_allclose(eq35, [[1.902, 3.279], [3.279, 6.427]], atol=1e-3)
    assert np.abs(eq35 - totals.mean(axis=0)).max() > 0.25
