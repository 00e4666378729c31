"""The digit FID and mode coverage (genlab.quality) against independent oracles.

* the Fréchet distance in closed form: one dimension, (s1 - s2)**2; diagonal covariances,
  a sum of those;
* general covariances against the classic implementation, ``scipy.linalg.sqrtm(S1 @ S2)``
  (a Schur method on a non-symmetric product, not eigendecompositions);
* a second route to the 2-Wasserstein distance: the optimal transport map
  T = S1^-1/2 (S1^1/2 S2 S1^1/2)^1/2 S1^-1/2 and E||x - T(x)||^2 in closed form;
* properties: zero on equal Gaussians (singular ones too), symmetry, invariance under a
  common translation and a common rotation, reduction to a subspace that holds both
  covariances (a dead feature adds nothing);
* the statistics against ``numpy.mean`` and ``numpy.cov``;
* the classifier: accuracy on the digits' test images, bit-identical retraining, its
  features recomputed by hand from its weights, the caller's random state untouched;
* digit_fid and class_coverage on stubs whose features and predictions are known;
* every bad input refused by name.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg
import torch
from numpy.testing import assert_allclose

from genlab.discrete import IndependentCategorical
from genlab.likelihood import digits_split
from genlab.quality import (
    FeatureClassifier,
    class_coverage,
    digit_fid,
    frechet_distance,
    gaussian_statistics,
    train_feature_classifier,
)


def random_spd(d, rng, *, rank=None):
    B = rng.standard_normal((d, d if rank is None else rank))
    return B @ B.T / d + (0.1 * np.eye(d) if rank is None else 0.0)


def random_rotation(d, rng):
    Q, R = np.linalg.qr(rng.standard_normal((d, d)))
    return Q * np.sign(np.diag(R))


def classic_fd(m1, S1, m2, S2):
    """The usual implementation (pytorch-fid's): the trace of scipy's sqrtm(S1 S2)."""
    root = scipy.linalg.sqrtm(S1 @ S2)
    return float(np.sum((m1 - m2) ** 2) + np.trace(S1) + np.trace(S2) - 2 * np.trace(root).real)


# ------------------------------------------------------------------ closed forms
@pytest.mark.parametrize("seed", range(5))
def test_one_dimension_is_the_difference_of_means_and_of_standard_deviations(seed):
    rng = np.random.default_rng(seed)
    m1, m2 = rng.normal(size=2) * 3
    s1, s2 = rng.uniform(0.1, 3, size=2)
    expected = (m1 - m2) ** 2 + (s1 - s2) ** 2
    assert_allclose(frechet_distance([m1], [[s1**2]], [m2], [[s2**2]]), expected, rtol=1e-13)


def test_the_docstring_example():
    assert frechet_distance([0.0], [[1.0]], [3.0], [[4.0]]) == 10.0


@pytest.mark.parametrize("d", [2, 5, 17])
def test_diagonal_covariances_add_up_dimension_by_dimension(d):
    rng = np.random.default_rng(d)
    m1, m2 = rng.normal(size=(2, d))
    v1, v2 = rng.uniform(0.01, 4, size=(2, d))
    v1[0] = 0.0  # a feature that never varies
    expected = np.sum((m1 - m2) ** 2 + (np.sqrt(v1) - np.sqrt(v2)) ** 2)
    actual = frechet_distance(m1, np.diag(v1), m2, np.diag(v2))
    assert_allclose(actual, expected, rtol=1e-12)


# ------------------------------------------------------------------ general covariances
@pytest.mark.parametrize("d", range(2, 21))
def test_general_covariances_agree_with_scipys_sqrtm_of_the_product(d):
    rng = np.random.default_rng(100 + d)
    for _ in range(3):
        m1, m2 = rng.normal(size=(2, d))
        S1, S2 = random_spd(d, rng), random_spd(d, rng)
        assert_allclose(frechet_distance(m1, S1, m2, S2), classic_fd(m1, S1, m2, S2), rtol=1e-8)


def transport_cost(m1, S1, m2, S2):
    """E||x - T(x)||^2 for x ~ N(m1, S1) and the optimal map T(x) = m2 + A (x - m1)."""
    root = scipy.linalg.sqrtm(S1).real
    inverse_root = np.linalg.inv(root)
    A = inverse_root @ scipy.linalg.sqrtm(root @ S2 @ root).real @ inverse_root
    assert_allclose(A @ S1 @ A.T, S2, rtol=1e-8, atol=1e-10)  # T carries N(m1, S1) to N(m2, S2)
    identity = np.eye(len(m1))
    # x - T(x) = (m1 - m2) + (I - A)(x - m1): mean m1 - m2, covariance (I - A) S1 (I - A)^T
    return float(np.sum((m1 - m2) ** 2) + np.trace((identity - A) @ S1 @ (identity - A).T))


@pytest.mark.parametrize("d", [2, 3, 8, 20])
def test_the_distance_is_the_cost_of_the_optimal_transport_map(d):
    rng = np.random.default_rng(200 + d)
    m1, m2 = rng.normal(size=(2, d))
    S1, S2 = random_spd(d, rng), random_spd(d, rng)
    assert_allclose(frechet_distance(m1, S1, m2, S2), transport_cost(m1, S1, m2, S2), rtol=1e-9)


# ------------------------------------------------------------------ properties
@pytest.mark.parametrize(("d", "rank"), [(1, None), (5, None), (64, None), (5, 2), (64, 10)])
def test_equal_gaussians_are_at_distance_zero(d, rank):
    rng = np.random.default_rng(d)
    m, S = rng.normal(size=d), random_spd(d, rng, rank=rank)
    assert abs(frechet_distance(m, S, m, S)) <= 1e-10


@pytest.mark.parametrize("d", [2, 7, 30])
def test_symmetry_translation_and_rotation(d):
    rng = np.random.default_rng(300 + d)
    m1, m2, shift = rng.normal(size=(3, d))
    S1, S2 = random_spd(d, rng), random_spd(d, rng)
    Q = random_rotation(d, rng)
    fd = frechet_distance(m1, S1, m2, S2)
    assert_allclose(frechet_distance(m2, S2, m1, S1), fd, rtol=1e-10)
    assert_allclose(frechet_distance(m1 + shift, S1, m2 + shift, S2), fd, rtol=1e-10)
    assert_allclose(frechet_distance(Q @ m1, Q @ S1 @ Q.T, Q @ m2, Q @ S2 @ Q.T), fd, rtol=1e-10)


def test_a_dead_feature_adds_nothing():
    # a dead ReLU unit: a zero row and column in both covariances, the same mean (0)
    rng = np.random.default_rng(4)
    m1, m2 = rng.normal(size=(2, 6))
    S1, S2 = random_spd(6, rng), random_spd(6, rng)
    pad = lambda m: np.concatenate([m, [0.0]])  # noqa: E731
    grow = lambda S: np.pad(S, ((0, 1), (0, 1)))  # noqa: E731
    fd = frechet_distance(m1, S1, m2, S2)
    assert_allclose(frechet_distance(pad(m1), grow(S1), pad(m2), grow(S2)), fd, rtol=1e-12)


@pytest.mark.parametrize(("d", "r"), [(3, 1), (10, 4), (64, 20)])
def test_covariances_on_a_common_subspace_reduce_to_it(d, r):
    # S = U A U^T with orthonormal U (d, r): the distance is the r-dimensional one
    rng = np.random.default_rng(d + r)
    U = random_rotation(d, rng)[:, :r]
    a1, a2 = rng.normal(size=(2, r))
    A1, A2 = random_spd(r, rng), random_spd(r, rng)
    expected = frechet_distance(a1, A1, a2, A2)
    actual = frechet_distance(U @ a1, U @ A1 @ U.T, U @ a2, U @ A2 @ U.T)
    assert_allclose(actual, expected, rtol=1e-9)


@pytest.mark.parametrize("seed", range(4))
def test_singular_covariances_give_finite_non_negative_distances(seed):
    rng = np.random.default_rng(seed)
    d = 12
    S1, S2 = random_spd(d, rng, rank=3), random_spd(d, rng, rank=7)
    S2[0, :] = S2[:, 0] = 0.0
    m = rng.normal(size=d)
    for fd in (frechet_distance(m, S1, m, S2), frechet_distance(m, S1, m, np.zeros((d, d)))):
        assert np.isfinite(fd) and fd >= 0
    assert_allclose(frechet_distance(m, S1, m, np.zeros((d, d))), np.trace(S1), rtol=1e-12)


def test_gaussian_statistics_are_numpys_mean_and_unbiased_covariance():
    features = np.random.default_rng(0).normal(size=(50, 7)) * [1, 2, 3, 4, 5, 6, 7]
    mean, cov = gaussian_statistics(features)
    assert mean.dtype == cov.dtype == np.float64
    assert_allclose(mean, np.mean(features, axis=0), rtol=1e-13)
    assert_allclose(cov, np.cov(features, rowvar=False, ddof=1), rtol=1e-12)
    mean, cov = gaussian_statistics([[1], [3]])  # n = 2: variance ((1 - 2)**2 + (3 - 2)**2) / 1
    assert mean.tolist() == [2.0] and cov.tolist() == [[2.0]]


# ------------------------------------------------------------------ the classifier
@pytest.fixture(scope="module")
def digits():
    return digits_split()


@pytest.fixture(scope="module")
def classifier(digits):
    X_fit, _, _, y_fit, _, _ = digits
    return train_feature_classifier(X_fit, y_fit, n_levels=17, seed=0, progress=False)


def test_the_classifier_recognises_the_test_digits(classifier, digits):
    _, _, X_test, _, _, y_test = digits
    predicted = classifier.predict(X_test)
    accuracy = float(np.mean(predicted == y_test))
    print(f"accuracy on the 360 test digits: {accuracy:.4f}")
    assert predicted.shape == (360,) and predicted.dtype == np.intp
    assert accuracy >= 0.9


def test_features_are_the_last_hidden_layer_computed_by_hand(classifier, digits):
    X = digits[2][:20]
    features = classifier.features(X)
    assert features.shape == (20, 64) and features.dtype == np.float64
    W1, b1, W2, b2 = (p.detach().double().numpy() for p in classifier.body.parameters())
    hidden = np.maximum(X / 16 @ W1.T + b1, 0)
    assert_allclose(features, np.maximum(hidden @ W2.T + b2, 0), rtol=1e-5, atol=1e-5)


def test_training_is_reproducible_and_leaves_the_global_random_state_alone(digits):
    X_fit, _, _, y_fit, _, _ = digits
    torch.manual_seed(123)
    before = torch.get_rng_state()

    def train(seed):
        return train_feature_classifier(
            X_fit[:300], y_fit[:300], n_levels=17, epochs=2, seed=seed, progress=False
        )

    first, second, other = train(7), train(7), train(8)
    assert torch.equal(torch.get_rng_state(), before)
    pairs = zip(first.state_dict().values(), second.state_dict().values(), strict=True)
    assert all(torch.equal(a, b) for a, b in pairs)
    assert not torch.equal(first.head.weight, other.head.weight)


# ------------------------------------------------------------------ the measures
def test_real_digits_are_much_closer_to_real_digits_than_to_noise(classifier, digits):
    X_fit, X_val, X_test, *_ = digits
    noise = np.random.default_rng(0).integers(0, 17, size=(360, 64))
    independent = IndependentCategorical(17, alpha=0.3).fit(X_fit).sample(360, random_state=0)
    real = digit_fid(classifier, X_test, X_val)
    print(
        f"digit FID: real {real:.3f}, independent pixels "
        f"{digit_fid(classifier, X_test, independent):.3f}, noise "
        f"{digit_fid(classifier, X_test, noise):.3f}"
    )
    assert (
        0
        < real
        < digit_fid(classifier, X_test, independent)
        < digit_fid(classifier, X_test, noise)
    )
    assert 20 * real < digit_fid(classifier, X_test, noise)


class Stub:
    """A classifier whose features and predictions are known: functions of the images."""

    def features(self, X):
        X = np.asarray(X, dtype=float)
        return np.column_stack([X.sum(axis=1), X[:, 0] ** 2, X[:, 1] - X[:, 0]])

    def predict(self, X):
        return np.asarray(X)[:, 0]


def test_digit_fid_is_the_distance_between_the_feature_statistics():
    rng = np.random.default_rng(5)
    A, B = rng.integers(0, 5, size=(40, 4)), rng.integers(0, 7, size=(30, 4))
    fa, fb = Stub().features(A), Stub().features(B)
    ma, Sa = fa.mean(axis=0), np.cov(fa, rowvar=False)
    mb, Sb = fb.mean(axis=0), np.cov(fb, rowvar=False)
    assert_allclose(digit_fid(Stub(), A, B), classic_fd(ma, Sa, mb, Sb), rtol=1e-9)
    statistics = (*gaussian_statistics(fa), *gaussian_statistics(fb))
    assert digit_fid(Stub(), A, B) == frechet_distance(*statistics)


def test_class_coverage_counts_the_predicted_classes():
    X = np.array([[c, 0] for c in [0, 0, 0, 2, 2, 4, 1, 0]])  # the stub predicts column 0
    coverage = class_coverage(Stub(), X, n_classes=5)
    assert coverage["counts"].tolist() == [4, 1, 2, 0, 1]
    assert_allclose(coverage["fractions"], [4 / 8, 1 / 8, 2 / 8, 0, 1 / 8], rtol=1e-15)
    # 0.5 * (|0.5 - 0.2| + |0.125 - 0.2| + |0.25 - 0.2| + |0 - 0.2| + |0.125 - 0.2|)
    assert_allclose(coverage["total_variation"], 0.5 * (0.3 + 0.075 + 0.05 + 0.2 + 0.075))
    assert coverage["missed"] == [3]


def test_class_coverage_of_real_digits_misses_nothing(classifier, digits):
    coverage = class_coverage(classifier, digits[2])
    assert coverage["missed"] == [] and coverage["counts"].sum() == 360
    assert coverage["total_variation"] < 0.05


# ------------------------------------------------------------------ bad input
I2 = np.eye(2)


@pytest.mark.parametrize(
    ("args", "name"),
    [
        (([0, 0], np.ones((2, 3)), [0, 0], I2), "cov1"),  # not square
        (([0, 0], I2, [0, 0], np.eye(3)), "cov2"),  # not (d, d)
        (([0, 0], I2, [0, 0, 0], np.eye(3)), "mean2"),  # other dimension
        (([[0, 0]], I2, [0, 0], I2), "mean1"),  # not 1-D
        (([0, np.nan], I2, [0, 0], I2), "mean1"),
        (([0, 0], I2, [0, 0], [[1, np.inf], [np.inf, 1]]), "cov2"),
        (([0, 0], [[1, 0.5], [0, 1]], [0, 0], I2), "cov1"),  # not symmetric
        (([0, 0], I2, [0, 0], [[1, 2], [2, 1]]), "cov2"),  # an eigenvalue of -1
    ],
)
def test_frechet_distance_refuses_bad_gaussians_by_name(args, name):
    with pytest.raises(ValueError, match=name):
        frechet_distance(*args)


def test_gaussian_statistics_needs_two_rows():
    with pytest.raises(ValueError, match="features"):
        gaussian_statistics([[1.0, 2.0]])
    with pytest.raises(ValueError, match="features"):
        gaussian_statistics([[1.0, np.nan], [1.0, 2.0]])


def test_the_classifier_refuses_bad_images_by_name(classifier, digits):
    X = digits[2][:5]
    bad = {
        "non-integer": X + 0.5,
        "out of range": X + 1,
        "negative": X - 1,
        "wrong number of pixels": X[:, :63],
    }
    for problem, images in bad.items():
        with pytest.raises(ValueError, match="X_generated"):
            digit_fid(classifier, X, images)
        with pytest.raises(ValueError, match="X_real"):
            digit_fid(classifier, images, X)
        with pytest.raises(ValueError, match="X_generated"):
            class_coverage(classifier, images)
        with pytest.raises(ValueError, match="X"):
            classifier.features(images)
        assert problem
    with pytest.raises(ValueError, match="X_generated"):
        digit_fid(classifier, X, X[:1])  # one image: no covariance
    with pytest.raises(ValueError, match="predicted"):
        class_coverage(Stub(), np.array([[5, 0]]), n_classes=5)  # a class beyond n_classes


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"y": np.arange(10)}, "y"),  # one class per image
        ({"y": np.full(20, 10)}, "y"),  # class 10 with n_classes=10
        ({"y": np.full(20, 1.5)}, "y"),
        ({"n_levels": 1}, "n_levels"),
        ({"X": np.full((20, 4), 17)}, "X"),
        ({"epochs": 0}, "epochs"),
        ({"lr": -1.0}, "lr"),
        ({"seed": -1}, "seed"),
        ({"hidden": 0}, "hidden"),
    ],
)
def test_training_refuses_bad_arguments_by_name(kwargs, name):
    arguments = {"X": np.zeros((20, 4), dtype=int), "y": np.arange(20) % 10, "n_levels": 17}
    with pytest.raises(ValueError, match=name):
        train_feature_classifier(**{**arguments, **kwargs}, progress=False)


def test_sizes_are_refused_before_anything_is_allocated():
    with pytest.raises(ValueError, match="hidden is too large"):
        FeatureClassifier(64, 17, hidden=10**6)
    with pytest.raises(ValueError, match="n_classes is too large"):
        class_coverage(Stub(), np.zeros((1, 2)), n_classes=10**12)
