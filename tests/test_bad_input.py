"""Bad input across genlab's small helpers: each refused with a message that names it."""

from __future__ import annotations

import numpy as np
import pytest

from genlab._validation import check_count, check_positive, check_squared_distances_finite
from genlab.cluster import KMeans, kmeans_plusplus
from genlab.gaussian import GaussianClassifier, MultivariateNormal
from genlab.mixture import GaussianMixture
from genlab.text import BagOfWords


@pytest.mark.parametrize("texts", ["free money now", b"free money"])
def test_a_bare_string_is_not_a_list_of_documents(texts):
    # (iterating over it would make one document per letter)
    with pytest.raises(ValueError, match="a single string.*wrap it in a list"):
        BagOfWords().fit(texts)
    fitted = BagOfWords().fit(["free money", "money now"])
    with pytest.raises(ValueError, match="a single string"):
        fitted.transform(texts)


def test_documents_must_be_strings_and_min_count_a_count():
    with pytest.raises(ValueError, match="texts must be a list of strings"):
        BagOfWords().fit(42)
    with pytest.raises(ValueError, match="text must be a str; got int"):
        BagOfWords().fit(["fine", 3])
    for bad in (0, -1, 1.5, "2", True):
        with pytest.raises(ValueError, match="min_count must be an integer >= 1"):
            BagOfWords(min_count=bad).fit(["a b"])
    # a generator of texts is a list of documents too
    bag = BagOfWords().fit(t for t in ["a b", "b c"])
    assert bag.vocabulary_ == ["a", "b", "c"]


@pytest.mark.parametrize("bad", [1.0, 2.5, "3", None, True, np.bool_(True), -1])
def test_check_count(bad):
    with pytest.raises(ValueError, match="n must be an integer >= 0"):
        check_count(bad, name="n")


def test_check_count_accepts_numpy_integers():
    assert check_count(np.int64(3), name="n", minimum=3) == 3


@pytest.mark.parametrize("bad", ["abc", None, [1.0], True, float("nan"), -1.0, float("inf")])
def test_check_positive_names_the_value(bad):
    with pytest.raises(ValueError, match="tol must be"):
        check_positive(bad, name="tol")


HUGE = np.array([[1e200, 1.0], [2e200, 3.0], [3e200, 1.0], [1.0, 1.0]])


@pytest.mark.parametrize(
    "fit",
    [
        lambda X: KMeans(2, random_state=0).fit(X),
        lambda X: kmeans_plusplus(X, 2, random_state=0),
        lambda X: GaussianMixture(2, random_state=0).fit(X),
        lambda X: MultivariateNormal().fit(X),
        lambda X: GaussianClassifier(reg_covar=1e-3).fit(np.vstack([X, X]), [0] * 4 + [1] * 4),
    ],
    ids=["KMeans", "kmeans_plusplus", "GaussianMixture", "MultivariateNormal", "QDA"],
)
def test_values_whose_squares_overflow_are_refused_by_name(fit):
    # (they used to end in "Probabilities contain NaN" from deep inside NumPy)
    with pytest.raises(ValueError, match="so large .* overflow; rescale the features"):
        fit(HUGE)
    fit(HUGE / np.array([1e199, 1.0]))  # the same data, rescaled, are fine


def test_the_overflow_check_lets_large_but_safe_values_through():
    X = np.array([[1e150, 0.0], [-1e150, 1.0]])  # squares about 4e300: finite
    check_squared_distances_finite(X)
    with pytest.raises(ValueError, match="overflow"):
        check_squared_distances_finite(np.array([[1e155, 0.0], [-1e155, 1.0]]))


def test_a_mixture_needs_two_points():
    with pytest.raises(ValueError, match="X has 1 sample.*minimum of 2"):
        GaussianMixture(1).fit([[1.0, 2.0]])


@pytest.mark.parametrize("bad", [0, -2, 2.5, "3", True, None])
@pytest.mark.parametrize(
    "model",
    [
        lambda: GaussianMixture(2, random_state=0).fit(np.arange(20.0).reshape(10, 2)),
        lambda: MultivariateNormal().fit(np.arange(20.0).reshape(10, 2) ** 1.5),
    ],
    ids=["GaussianMixture", "MultivariateNormal"],
)
def test_sample_sizes_are_counts(model, bad):
    with pytest.raises(ValueError, match="n_samples must be an integer >= 1"):
        model().sample(bad)


def test_a_refit_of_a_mixture_equals_a_fresh_fit():
    rng = np.random.default_rng(1)
    X1, X2 = rng.normal(size=(60, 2)), rng.normal(3.0, 1.0, size=(40, 2))
    model = GaussianMixture(2, keep_history=True, random_state=0).fit(X1)
    model.set_params(keep_history=False).fit(X2)
    fresh = GaussianMixture(2, random_state=0).fit(X2)
    assert not hasattr(model, "history_")  # no stale history from the first fit
    for name in ("weights_", "means_", "covariances_", "n_iter_", "converged_"):
        np.testing.assert_array_equal(getattr(model, name), getattr(fresh, name), err_msg=name)
    model.set_params(keep_history=True).fit(X1)
    again = GaussianMixture(2, keep_history=True, random_state=0).fit(X1)
    assert len(model.history_) == len(again.history_)


# ---------------------------------------------------------------- issue 16, numerics part
import itertools  # noqa: E402

from scipy import stats  # noqa: E402
from scipy.special import log_softmax  # noqa: E402
from scipy.special import logsumexp as scipy_logsumexp  # noqa: E402

from genlab import gaussian, hmm, numerics  # noqa: E402
from genlab._validation import check_bool, check_variances_representable  # noqa: E402
from genlab.cluster import canonical_order, check_permutation  # noqa: E402
from genlab.gaussian import LinearDiscriminant  # noqa: E402
from genlab.hmm import CategoricalHMM, GaussianHMM  # noqa: E402
from genlab.mixture import GaussianMixtureClassifier  # noqa: E402
from genlab.naive_bayes import GaussianNB  # noqa: E402

RNG = np.random.default_rng(0)
X2 = np.vstack([RNG.normal(size=(20, 2)), RNG.normal(3.0, 1.0, size=(20, 2))])
Y2 = np.repeat([0, 1], 20)
OVERFLOW = "overflow float64"

CLASSIFIERS = {
    "GaussianNB": GaussianNB,
    "GaussianClassifier": GaussianClassifier,
    "LinearDiscriminant": LinearDiscriminant,
    "GaussianMixtureClassifier": lambda: GaussianMixtureClassifier(n_components=1, random_state=0),
}
DENSITIES = {
    "MultivariateNormal": MultivariateNormal,
    **{
        f"GaussianMixture-{c}": (lambda c=c: GaussianMixture(2, covariance_type=c, random_state=0))
        for c in ("full", "tied", "diag", "spherical")
    },
    "KMeans": lambda: KMeans(2, random_state=0),
    "GaussianHMM-diag": lambda: GaussianHMM(2, n_iter=3, random_state=0),
    "GaussianHMM-full": lambda: GaussianHMM(2, covariance_type="full", n_iter=3, random_state=0),
}


@pytest.mark.parametrize("method", ["predict", "predict_proba", "predict_log_proba"])
@pytest.mark.parametrize("make", CLASSIFIERS.values(), ids=CLASSIFIERS.keys())
def test_classifiers_refuse_prediction_data_whose_distances_overflow(make, method):
    # (fitted on data of order 1; 1e200 used to give -inf densities and class 0)
    model = make().fit(X2, Y2)
    with pytest.raises(ValueError, match=OVERFLOW):
        getattr(model, method)(np.full((3, 2), 1e200))
    getattr(model, method)(X2 * 1e3)  # far, but representable: fine


def _methods(make):
    names = ("score_samples", "score", "predict", "predict_proba")
    return [m for m in names if hasattr(make(), m)]


@pytest.mark.parametrize(
    ("make", "method"),
    [(make, m) for make in DENSITIES.values() for m in _methods(make)],
    ids=[f"{name}.{m}" for name, make in DENSITIES.items() for m in _methods(make)],
)
def test_densities_and_clusterers_refuse_prediction_data_whose_distances_overflow(make, method):
    model = make().fit(X2)
    huge = np.full((3, 2), 1e200)
    if isinstance(model, GaussianHMM):  # (|x| <= 1e100 is checked first)
        huge = np.full((3, 2), 1e99)
        model.covars_ = model.covars_ * 1e-110
    with pytest.raises(ValueError, match=OVERFLOW):
        getattr(model, method)(huge)


def test_multivariate_normal_methods_refuse_overflow_and_complex():
    model = MultivariateNormal().fit(X2)
    for method in ("logpdf", "pdf", "mahalanobis", "score_samples", "score"):
        with pytest.raises(ValueError, match=OVERFLOW):
            getattr(model, method)([[1e200, 0.0]])
        for bad in (np.array([[1 + 1j, 0.0]]), np.array([1 + 0j, 0.0])):
            with pytest.raises(ValueError, match="Complex data not supported"):
                getattr(model, method)(bad)
    # a single point far away but representable: scipy agrees
    x = np.array([1e100, -3e99])
    expected = stats.multivariate_normal(model.mean_, model.covariance_).logpdf(x)
    assert model.logpdf(x) == pytest.approx(expected, rel=1e-12)


def test_kmeans_on_tiny_data_equals_kmeans_on_the_data_scaled_up():
    # Squares of 1e-200 underflow to 0: every distance looked like 0 and k-means++ said
    # "fewer than n_clusters distinct points". Scikit-learn on the data scaled up is the
    # oracle: the same labels, the centres scaled down.
    from sklearn.cluster import KMeans as SkKMeans

    start = X2[[0, 25]]
    sk = SkKMeans(2, init=start, n_init=1, tol=0.0, algorithm="lloyd").fit(X2)
    for scale in (1e-200, 2.0**-1000, 1e-300):
        km = KMeans(2, init=start * scale).fit(X2 * scale)
        np.testing.assert_array_equal(km.labels_, sk.labels_)
        np.testing.assert_allclose(km.cluster_centers_, sk.cluster_centers_ * scale, rtol=1e-10)
        np.testing.assert_array_equal(km.predict(X2 * scale), sk.predict(X2))
        assert km.inertia_ == pytest.approx(sk.inertia_ * scale**2, rel=1e-9, abs=1e-320)
        fitted = KMeans(2, random_state=0).fit(X2 * scale)  # k-means++ works too
        assert len(np.unique(fitted.labels_)) == 2


def test_kmeans_plusplus_on_tiny_data_picks_as_on_the_data():
    # a power-of-two scaling is exact: the same D^2 probabilities, the same picks
    _, reference = kmeans_plusplus(X2, 3, random_state=0)
    _, tiny = kmeans_plusplus(X2 * 2.0**-700, 3, random_state=0)
    np.testing.assert_array_equal(tiny, reference)


GAUSSIAN_FITS = {
    "MultivariateNormal": lambda X: MultivariateNormal().fit(X),
    "MultivariateNormal-ridge": lambda X: MultivariateNormal(reg_covar=1e-3).fit(X),
    "GaussianClassifier": lambda X: GaussianClassifier().fit(X, Y2),
    "LinearDiscriminant": lambda X: LinearDiscriminant().fit(X, Y2),
    "GaussianMixture": lambda X: GaussianMixture(2, random_state=0).fit(X),
    "GaussianMixtureClassifier": lambda X: GaussianMixtureClassifier(1).fit(X, Y2),
    "GaussianHMM": lambda X: GaussianHMM(2, n_iter=2, random_state=0).fit(X),
}


@pytest.mark.parametrize("fit", GAUSSIAN_FITS.values(), ids=GAUSSIAN_FITS.keys())
def test_gaussian_fits_refuse_data_whose_variances_underflow_with_the_reason(fit):
    # (they used to say "singular covariance", or fit a ridge alone and predict class 0)
    with pytest.raises(ValueError, match="so little that its variance underflows float64"):
        fit(X2 * 1e-200)
    fit(X2 * 1e-140)  # variances of about 1e-280 are normal numbers: fine


def test_tiny_but_representable_data_give_scipys_density():
    X = X2 * 1e-140
    model = MultivariateNormal().fit(X)
    expected = stats.multivariate_normal(X.mean(axis=0), np.cov(X.T, ddof=0)).logpdf(X[:5])
    np.testing.assert_allclose(model.logpdf(X[:5]), expected, rtol=1e-10)


def test_check_variances_representable():
    check_variances_representable(np.zeros((3, 2)))  # constant features: another check's job
    check_variances_representable(np.array([[1e-150], [-1e-150]]))
    with pytest.raises(ValueError, match="feature 1 of Z varies"):
        check_variances_representable(np.array([[0.0, 1e-170], [0.0, -1e-170]]), name="Z")


def test_the_overflow_check_on_computed_distances():
    X = np.array([[1e200, 0.0]])
    check_squared_distances_finite(X, squared=np.array([1.0, 1e300]))
    for squared in (np.array([np.inf]), np.array([np.nan, 1.0])):
        with pytest.raises(ValueError, match=r"X's values \(up to 1e\+200"):
            check_squared_distances_finite(X, squared=squared)


# ------------------------------------------------------------------- gaussian helpers
P2 = gaussian.precision_cholesky(np.array([[2.0, 0.3], [0.3, 1.0]]))
COMPLEX_CALLS = {
    "normal_logpdf x": lambda: gaussian.normal_logpdf(1j, 0.0, 1.0),
    "normal_logpdf mean": lambda: gaussian.normal_logpdf(0.0, 1 + 0j, 1.0),
    "normal_logpdf std": lambda: gaussian.normal_logpdf(0.0, 0.0, np.array([1 + 0j])),
    "normal_pdf": lambda: gaussian.normal_pdf(np.array([1j]), 0.0, 1.0),
    "cholesky_factor": lambda: gaussian.cholesky_factor(np.eye(2) + 0j),
    "triangular_inverse": lambda: gaussian.triangular_inverse(np.eye(2) * (1 + 1j)),
    "precision_cholesky full": lambda: gaussian.precision_cholesky(np.eye(2) + 0j),
    "precision_cholesky diag": lambda: gaussian.precision_cholesky(np.array([1 + 0j])),
    "whiten X": lambda: gaussian.whiten(np.array([[1j, 0]]), [0, 0], P2),
    "whiten mean": lambda: gaussian.whiten([[1.0, 0]], np.array([1j, 0]), P2),
    "whiten P": lambda: gaussian.whiten([[1.0, 0]], [0, 0], P2 + 0j),
    "mvn_logpdf X": lambda: gaussian.multivariate_normal_logpdf(np.array([[1j, 0]]), [0, 0], P2),
    "log_det_factor": lambda: gaussian.log_det_factor(P2 + 0j, 2),
    "lfm distance": lambda: gaussian.logpdf_from_mahalanobis(np.array([1j]), 2, 0.0),
    "lfm log_det": lambda: gaussian.logpdf_from_mahalanobis([1.0], 2, 1j),
    "from_parameters": lambda: MultivariateNormal.from_parameters([0, 0], np.eye(2) + 0j),
    "logsumexp": lambda: numerics.logsumexp(np.array([1j])),
    "log_normalize": lambda: numerics.log_normalize(np.array([1j, 0])),
    "stable_order": lambda: numerics.stable_order(np.array([1j, 0])),
    "first_best": lambda: numerics.first_best(np.array([1j, 0])),
    "canonical_order": lambda: canonical_order(np.array([[1j, 0]])),
    "hmm.forward": lambda: hmm.forward(
        np.log([0.5, 0.5]) + 0j, np.log(np.eye(2) * 0.5 + 0.25), np.zeros((2, 2))
    ),
}


@pytest.mark.parametrize("call", COMPLEX_CALLS.values(), ids=COMPLEX_CALLS.keys())
def test_complex_input_is_refused_not_truncated(call):
    with pytest.raises(ValueError, match="[Cc]omplex"):
        call()


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: gaussian.normal_logpdf(1.0, 0.0, 0.0), "std must be > 0"),
        (lambda: gaussian.normal_logpdf([1.0, np.nan], 0.0, 1.0), "x contains NaN"),
        (lambda: gaussian.normal_logpdf("a", 0.0, 1.0), "x must be a numeric array"),
        (lambda: gaussian.normal_logpdf(np.zeros(3), np.zeros(2), 1.0), "must broadcast"),
        (lambda: gaussian.normal_logpdf(1e200, 0.0, 1e-200), "overflows float64"),
        (lambda: gaussian.normal_pdf(0.0, 0.0, 1e-320), "exceeds float64's range"),
        (lambda: gaussian.cholesky_factor(np.ones((2, 3))), "square matrix"),
        (lambda: gaussian.cholesky_factor(np.eye(2), max_condition="a"), "max_condition must"),
        (lambda: gaussian.cholesky_factor(np.eye(2), max_condition=0.5), "max_condition must"),
        (lambda: gaussian.triangular_inverse(np.ones((2, 2, 2))), "square matrix"),
        (lambda: gaussian.whiten([1.0, 0.0], [0, 0], P2), "X must be 2-D"),
        (lambda: gaussian.whiten([[1.0, 0.0]], [0, 0], P2, check_finite="no"), "check_finite"),
        (lambda: gaussian.whiten([[1e200, 0.0]], [0, 0], P2 * 1e200), OVERFLOW),
        (lambda: gaussian.multivariate_normal_logpdf([[1e200, 0.0]], [0, 0], P2), OVERFLOW),
        (lambda: gaussian.log_det_factor(np.ones(3), 2), r"shape \(2, 2\), \(2,\) or \(\)"),
        (lambda: gaussian.log_det_factor(2.0, "2"), "n_features must be an integer"),
        (lambda: gaussian.log_det_factor(2.0, -1), "n_features must be an integer >= 0"),
        (lambda: gaussian.log_det_factor([np.inf, 1.0], 2), "positive and finite"),
        (lambda: gaussian.logpdf_from_mahalanobis([np.nan], 2, 0.0), "NaN or infinity"),
        (lambda: gaussian.logpdf_from_mahalanobis([np.inf], 2, 0.0), "NaN or infinity"),
        (lambda: gaussian.logpdf_from_mahalanobis([-1.0], 2, 0.0), ">= 0"),
        (lambda: gaussian.logpdf_from_mahalanobis([1.0], 2.5, 0.0), "n_features"),
        (lambda: gaussian.logpdf_from_mahalanobis([1.0], 2, np.nan), "log_det_precision"),
        (lambda: gaussian.logpdf_from_mahalanobis([1.0, 2], 2, [0.0] * 3), "broadcast"),
    ],
)
def test_gaussian_helpers_name_the_problem(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_normal_logpdf_legal_edge_cases_against_scipy():
    x, mean, std = np.arange(3.0)[:, None], np.array([0.0, 1.0]), np.array([1.0, 2.0])
    np.testing.assert_allclose(
        gaussian.normal_logpdf(x, mean, std), stats.norm.logpdf(x, mean, std), rtol=1e-13
    )
    scalar = gaussian.normal_logpdf(0.5, 0.0, 2.0)
    assert np.ndim(scalar) == 0 and scalar == pytest.approx(stats.norm.logpdf(0.5, 0, 2), 1e-14)
    assert gaussian.normal_logpdf(np.zeros(0), 0.0, 1.0).shape == (0,)
    assert gaussian.normal_pdf(np.zeros((0, 2)), 0.0, 1.0).shape == (0, 2)
    tiny = gaussian.normal_logpdf(3e-200, 1e-200, 1e-200)  # tiny std: z = 2
    assert tiny == pytest.approx(stats.norm.logpdf(3e-200, 1e-200, 1e-200), rel=1e-13)


def test_gaussian_helpers_accept_zero_features_and_agree_with_scipy():
    for f in (gaussian.cholesky_factor, gaussian.triangular_inverse, gaussian.precision_cholesky):
        assert f(np.zeros((0, 0))).shape == (0, 0)
    assert gaussian.precision_cholesky(np.zeros(0)).shape == (0,)
    assert gaussian.whiten(np.zeros((0, 2)), [0, 0], P2).shape == (0, 2)
    assert gaussian.logpdf_from_mahalanobis(np.zeros(0), 2, 0.0).shape == (0,)
    cov = np.array([[2.0, 0.3], [0.3, 1.0]])
    assert gaussian.log_det_factor(P2, 2) == pytest.approx(-0.5 * np.linalg.slogdet(cov)[1], 1e-14)
    x = np.array([[0.3, -1.0], [1e100, 2.0]])
    z = gaussian.whiten(x, [0.1, 0.2], P2)
    got = gaussian.logpdf_from_mahalanobis(
        np.sum(z * z, axis=1), 2, gaussian.log_det_factor(P2, 2)
    )
    np.testing.assert_allclose(
        got, stats.multivariate_normal([0.1, 0.2], cov).logpdf(x), rtol=1e-12
    )


# -------------------------------------------------------------------------- numerics
@pytest.mark.parametrize("axis", [5, -3, 1.5, "0", True, np.float64(1.0)])
@pytest.mark.parametrize("f", [numerics.logsumexp, numerics.log_normalize])
def test_bad_axis_is_named(f, axis):
    with pytest.raises(ValueError, match="axis"):
        f(np.zeros((2, 2)), axis=axis)


@pytest.mark.parametrize(
    "call",
    [
        lambda v: numerics.logsumexp([1.0], keepdims=v),
        lambda v: numerics.stable_order([1.0, 2.0], descending=v),
        lambda v: numerics.first_best([1.0], lowest=v),
        lambda v: gaussian.whiten([[1.0, 0.0]], [0, 0], P2, check_finite=v),
        lambda v: gaussian.multivariate_normal_logpdf([[1.0, 0.0]], [0, 0], P2, check_finite=v),
        lambda v: check_bool(v, name="flag"),
        lambda v: KMeans(2).get_params(deep=v),
    ],
)
@pytest.mark.parametrize("value", ["no", "False", 0, 1, None, 1.0])
def test_flags_must_be_bools(call, value):
    with pytest.raises(ValueError, match="must be True or False"):
        call(value)
    call(np.bool_(True))


@pytest.mark.parametrize("decimals", [-1, 1.5, True, "3", None])
@pytest.mark.parametrize(
    "call",
    [
        lambda d: numerics.stable_order([1.0, 2.0], decimals=d),
        lambda d: canonical_order([[1.0, 2.0]], decimals=d),
    ],
    ids=["stable_order", "canonical_order"],
)
def test_decimals_is_a_count(call, decimals):
    with pytest.raises(ValueError, match="decimals must be an integer >= 0"):
        call(decimals)


@pytest.mark.parametrize("tol", ["a", np.nan, -1.0, 1j, None, True])
def test_first_best_tolerances_are_numbers(tol):
    for name in ("rtol", "atol"):
        with pytest.raises(ValueError, match=f"{name} must be"):
            numerics.first_best([1.0, 2.0], **{name: tol})


def test_logsumexp_of_empty_and_minus_infinity_agrees_with_scipy():
    for a, axis in [
        (np.zeros(0), None),
        (np.zeros((0, 3)), 0),
        (np.zeros((0, 3)), 1),
        (np.full((2, 3), -np.inf), 1),
        (np.array([[-np.inf, -np.inf], [0.0, 1.0]]), 1),
        (np.array([-1e308, 0.0, -1e308]), None),
        (np.float64(2.5), None),
        (np.float64(2.5), 0),
    ]:
        expected = scipy_logsumexp(a, axis=axis)
        got = numerics.logsumexp(a, axis=axis)
        assert got.shape == np.shape(expected)
        np.testing.assert_array_equal(got, expected)
        kept = numerics.logsumexp(a, axis=axis, keepdims=True)
        np.testing.assert_array_equal(kept, scipy_logsumexp(a, axis=axis, keepdims=True))


def test_log_normalize_edge_cases():
    # near -1e308 the log evidence absorbs log(sum): normalising after the shift is exact
    w = np.array([[-1e308, -1e308, -np.inf], [-1e308, 0.0, -3.0]])
    log_probs, log_norm = numerics.log_normalize(w, axis=1)
    np.testing.assert_allclose(log_probs, log_softmax(w, axis=1), rtol=1e-14)
    np.testing.assert_allclose(np.exp(log_probs).sum(axis=1), 1.0, rtol=1e-14)
    np.testing.assert_allclose(log_norm, scipy_logsumexp(w, axis=1), rtol=1e-14)
    empty, norm = numerics.log_normalize(np.zeros((0, 3)))  # no slices at all
    assert empty.shape == (0, 3) and norm.shape == (0,)
    with pytest.raises(ValueError, match="no entries along axis 1"):
        numerics.log_normalize(np.zeros((2, 0)))
    with pytest.raises(ValueError, match="at least one dimension"):
        numerics.log_normalize(1.0)


@pytest.mark.filterwarnings("error")
def test_ordering_helpers_with_many_decimals_or_huge_values():
    # np.round(x, decimals) multiplies by 10**decimals: it used to overflow to inf or NaN
    # and give an arbitrary order
    values = [2.0, 1.0, 3.0, 1e300, -1e300, 1e299, 5e-324]
    expected = sorted(range(len(values)), key=lambda i: values[i])
    for decimals in (0, 9, 20, 400, 10**6):
        np.testing.assert_array_equal(numerics.stable_order(values, decimals=decimals), expected)
        np.testing.assert_array_equal(
            canonical_order(np.array(values)[:, None], decimals=decimals), expected
        )


def test_ordering_helpers_on_empty_input():
    assert numerics.stable_order([]).shape == (0,)
    assert canonical_order(np.zeros((0, 2))).shape == (0,)
    assert check_permutation([], 0).shape == (0,)
    for n in ("3", 2.0, True, -1):
        with pytest.raises(ValueError, match="n must be an integer"):
            check_permutation([0, 1], n)


# ---------------------------------------------------------------- HMM recursions
LOG_PI, LOG_A = np.log([0.6, 0.4]), np.log([[0.9, 0.1], [0.2, 0.8]])


def _brute_force(log_b):
    """log P(O) and the state posteriors, by enumerating every path (scipy's logsumexp)."""
    T, K = log_b.shape
    paths = list(itertools.product(range(K), repeat=T))
    with np.errstate(over="ignore"):
        scores = np.array(
            [
                LOG_PI[p[0]]
                + sum(LOG_A[p[t - 1], p[t]] for t in range(1, T))
                + sum(log_b[t, p[t]] for t in range(T))
                for p in paths
            ]
        )
    ll = scipy_logsumexp(scores)
    gamma = np.zeros((T, K))
    for p, s in zip(paths, scores, strict=True):
        for t in range(T):
            gamma[t, p[t]] += np.exp(s - ll)
    return ll, gamma, paths[int(np.argmax(scores))], float(np.max(scores))


@pytest.mark.filterwarnings("error")  # (no overflow warnings either)
def test_recursions_with_extreme_but_finite_log_emissions_match_brute_force():
    log_b = np.array([[-1e308, 0.0], [0.0, -1e308], [0.0, -1.0], [-1e308, -2.0]])
    ll, gamma, path, best = _brute_force(log_b)
    log_alpha, got_ll = hmm.forward(LOG_PI, LOG_A, log_b)
    log_beta = hmm.backward(LOG_A, log_b)
    assert got_ll == pytest.approx(ll, rel=1e-12)
    got_gamma, _ = hmm.posteriors(log_alpha, log_beta, LOG_A, log_b)
    np.testing.assert_allclose(got_gamma, gamma, atol=1e-12)
    log_prob, got_path = hmm.viterbi(LOG_PI, LOG_A, log_b)
    assert log_prob == pytest.approx(best, rel=1e-12)
    np.testing.assert_array_equal(got_path, path)


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize(
    "call",
    [
        lambda b: hmm.forward(LOG_PI, LOG_A, b),
        lambda b: hmm.backward(LOG_A, b),
        lambda b: hmm.viterbi(LOG_PI, LOG_A, b),
    ],
    ids=["forward", "backward", "viterbi"],
)
@pytest.mark.parametrize("value", [-1e308, 1e308])
def test_recursions_whose_result_leaves_float64_say_so(call, value):
    # three steps of -1e308: log P(O) is about -3e308, which float64 cannot hold; it is
    # not -inf (probability zero), so a clear error rather than -inf (and +inf, NaN)
    with pytest.raises(ValueError, match="beyond float64's range"):
        call(np.full((3, 2), value))


def test_a_genuinely_impossible_sequence_is_still_minus_infinity():
    log_b = np.array([[0.0, -np.inf], [-np.inf, 0.0]])
    log_A = np.array([[0.0, -np.inf], [-np.inf, 0.0]])  # the identity: no switching
    assert hmm.forward(LOG_PI, log_A, log_b)[1] == -np.inf


def test_gaussian_hmm_says_when_its_log_likelihood_leaves_float64():
    model = GaussianHMM(2, init_params="", params="")
    model.startprob_, model.transmat_ = np.exp(LOG_PI), np.exp(LOG_A)
    model.means_, model.covars_ = np.zeros((2, 1)), np.full((2, 1), 1e-107)
    X = np.full((40, 1), 1e100)  # about -5e306 per step: -2e308 in all
    for method in ("score", "predict", "predict_proba", "score_samples", "decode"):
        with pytest.raises(ValueError, match="beyond float64's range"):
            getattr(model, method)(X)
    assert model.score(X[:10]) == pytest.approx(-5e307, rel=1e-6)  # representable


def test_categorical_hmm_zero_probability_is_still_reported_as_such():
    model = CategoricalHMM(2, init_params="", params="")
    model.startprob_ = np.array([1.0, 0.0])
    model.transmat_ = np.eye(2)
    model.emissionprob_ = np.array([[1.0, 0.0], [0.0, 1.0]])
    assert model.score([[1]]) == -np.inf
    with pytest.raises(ValueError, match="probability zero"):
        model.predict([[1]])


# ---------------------------------------------------------------- k-means seeding
@pytest.mark.parametrize("k", [0, -1, 2.5, "2", True, None, np.float64(2.0)])
def test_kmeans_plusplus_n_clusters_is_a_count(k):
    with pytest.raises(ValueError, match="n_clusters must be an integer >= 1"):
        kmeans_plusplus(X2, k, random_state=0)


def test_kmeans_plusplus_n_clusters_at_most_the_distinct_points():
    with pytest.raises(ValueError, match="n_clusters must be between 1 and n_samples=40"):
        kmeans_plusplus(X2, 41, random_state=0)
    with pytest.raises(ValueError, match="fewer than n_clusters=2 distinct points"):
        kmeans_plusplus(np.ones((5, 2)), 2, random_state=0)
    assert kmeans_plusplus(X2, np.int64(40), random_state=0)[0].shape == (40, 2)


@pytest.mark.parametrize("seed", [-1, "a", 1.5, True, [1, 2]])
@pytest.mark.parametrize(
    "call",
    [
        lambda s: kmeans_plusplus(X2, 2, random_state=s),
        lambda s: KMeans(2, random_state=s).fit(X2),
        lambda s: GaussianMixture(2, random_state=s).fit(X2),
        lambda s: GaussianHMM(2, random_state=s).fit(X2),
        lambda s: MultivariateNormal().fit(X2).sample(3, random_state=s),
        lambda s: GaussianClassifier().fit(X2, Y2).sample(3, random_state=s),
        lambda s: GaussianMixture(2, random_state=0).fit(X2).sample(3, random_state=s),
    ],
    ids=[
        "kmeans_plusplus",
        "KMeans",
        "GaussianMixture",
        "GaussianHMM",
        "MVN.sample",
        "GaussianClassifier.sample",
        "GaussianMixture.sample",
    ],
)
def test_bad_random_states_get_genlabs_message(call, seed):
    with pytest.raises(ValueError, match="random_state must be None, a non-negative integer"):
        call(seed)
