"""genlab.hmm against brute-force enumeration of all state paths and against hmmlearn
(identical parameters, log implementation, no priors); reference vs compiled kernels;
sampling, monotone Baum-Welch, forbidden transitions and bad input."""

import itertools

import numpy as np
import pytest
from hmmlearn import hmm as hmmlearn
from numpy.testing import assert_allclose, assert_array_equal

from genlab import _hmm_kernels as kernels
from genlab.hmm import CategoricalHMM, GaussianHMM, _log, backward, forward, posteriors, viterbi


def random_categorical(K=3, M=4, seed=0):
    rng = np.random.default_rng(seed)
    return (
        rng.dirichlet(np.ones(K)),
        rng.dirichlet(np.ones(K), size=K),
        rng.dirichlet(np.ones(M), size=K),
    )


def path_log_prob(log_pi, log_A, log_b, path):
    return (
        log_pi[path[0]]
        + log_b[0, path[0]]
        + sum(log_A[path[t - 1], path[t]] + log_b[t, path[t]] for t in range(1, len(path)))
    )


# ------------------------------------------------- the reference, by brute force
@pytest.mark.parametrize("forbidden", [False, True])
def test_forward_equals_the_sum_over_all_state_paths(forbidden):
    pi, A, B = random_categorical(K=3, M=4, seed=1)
    if forbidden:  # a left-to-right model: no going back
        A = np.triu(A)
        A /= A.sum(axis=1, keepdims=True)
    obs = np.array([0, 3, 1, 1, 2, 0])
    log_b = _log(B)[:, obs].T
    # P(O) = sum over all K^T paths Q of P(O | Q) P(Q)
    brute = sum(
        np.exp(path_log_prob(_log(pi), _log(A), log_b, q))
        for q in itertools.product(range(3), repeat=len(obs))
    )
    log_alpha, ll = forward(_log(pi), _log(A), log_b)
    assert ll == pytest.approx(np.log(brute), rel=1e-12)
    # alpha_t(j) = P(o_1..o_t, z_t = j): check t = 3 by enumeration too
    t = 3
    for j in range(3):
        partial = sum(
            np.exp(path_log_prob(_log(pi), _log(A), log_b[: t + 1], (*q, j)))
            for q in itertools.product(range(3), repeat=t)
        )
        assert np.exp(log_alpha[t, j]) == pytest.approx(partial, rel=1e-12, abs=1e-300)
    # Viterbi = the best of all paths
    best = max(
        itertools.product(range(3), repeat=len(obs)),
        key=lambda q: path_log_prob(_log(pi), _log(A), log_b, q),
    )
    log_prob, path = viterbi(_log(pi), _log(A), log_b)
    assert_array_equal(path, best)
    assert log_prob == pytest.approx(path_log_prob(_log(pi), _log(A), log_b, best), rel=1e-12)
    # posteriors: gamma_t(i) = sum of P(Q, O) over paths with z_t = i, over P(O)
    log_beta = backward(_log(A), log_b)
    gamma, xi_sum = posteriors(log_alpha, log_beta, _log(A), log_b)
    paths = list(itertools.product(range(3), repeat=len(obs)))
    weights = np.array([np.exp(path_log_prob(_log(pi), _log(A), log_b, q)) for q in paths])
    for i in range(3):
        assert gamma[2, i] == pytest.approx(
            weights[[q[2] == i for q in paths]].sum() / brute, abs=1e-12
        )
    expected_xi = np.zeros((3, 3))
    for q, w in zip(paths, weights, strict=True):
        for s in range(len(obs) - 1):
            expected_xi[q[s], q[s + 1]] += w / brute
    assert_allclose(xi_sum, expected_xi, atol=1e-12)


def test_compiled_kernels_equal_the_reference():
    pi, A, B = random_categorical(K=4, M=6, seed=2)
    A[0, 1] = 0.0  # a forbidden transition
    A /= A.sum(axis=1, keepdims=True)
    obs = np.random.default_rng(3).integers(0, 6, size=400)
    log_pi, log_A, log_b = _log(pi), _log(A), _log(B)[:, obs].T
    la, ll = forward(log_pi, log_A, log_b)
    la_k, ll_k = kernels.forward(log_pi, log_A, log_b)
    assert_allclose(la_k, la, rtol=1e-12)
    assert ll_k == pytest.approx(ll, rel=1e-13)
    lb = backward(log_A, log_b)
    assert_allclose(kernels.backward(log_A, log_b), lb, rtol=1e-12)
    assert_allclose(
        kernels.xi_sum(la, lb, log_A, log_b, ll),
        posteriors(la, lb, log_A, log_b)[1],
        rtol=1e-10,
        atol=1e-12,
    )
    assert_allclose(
        kernels.state_posteriors(la, lb), posteriors(la, lb, log_A, log_b)[0], rtol=1e-12
    )
    lp, path = viterbi(log_pi, log_A, log_b)
    lp_k, path_k = kernels.viterbi(log_pi, log_A, log_b)
    assert lp_k == pytest.approx(lp, rel=1e-13)
    assert_array_equal(path_k, path)


# ------------------------------------------------------------- against hmmlearn
def assert_same_viterbi(ours, theirs, X, lengths):
    """Identical paths, or (only where two paths tie exactly) equal path probabilities."""
    lp, path = ours.decode(X, lengths)
    lp_ref, path_ref = theirs.decode(X, lengths)
    assert lp == pytest.approx(lp_ref, rel=1e-9)
    if not np.array_equal(path, path_ref):
        # the same total log probability was asserted above: a tie between paths
        assert np.mean(path != path_ref) < 0.05


def categorical_pair(seed=0, n_iter=1, params="ste"):
    pi, A, B = random_categorical(K=3, M=5, seed=seed)
    ours = CategoricalHMM(3, init_params="", params=params, n_iter=n_iter, tol=0.0)
    theirs = hmmlearn.CategoricalHMM(
        3,
        n_features=5,
        init_params="",
        params=params,
        n_iter=n_iter,
        tol=0.0,
        implementation="log",
    )
    for model in (ours, theirs):
        model.startprob_, model.transmat_, model.emissionprob_ = pi, A, B
    return ours, theirs


def categorical_data(seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 5, size=(600, 1)), [150, 250, 200]


def test_categorical_inference_matches_hmmlearn():
    ours, theirs = categorical_pair()
    X, lengths = categorical_data()
    assert ours.score(X, lengths) == pytest.approx(theirs.score(X, lengths), rel=1e-9)
    assert_allclose(
        ours.predict_proba(X, lengths), theirs.predict_proba(X, lengths), rtol=1e-9, atol=1e-12
    )
    ll, post = ours.score_samples(X, lengths)
    ll_ref, post_ref = theirs.score_samples(X, lengths)
    assert ll == pytest.approx(ll_ref, rel=1e-9)
    assert_allclose(post, post_ref, rtol=1e-9, atol=1e-12)
    assert_same_viterbi(ours, theirs, X, lengths)


@pytest.mark.parametrize("n_iter", [1, 5, 20])
def test_categorical_baum_welch_matches_hmmlearn(n_iter):
    ours, theirs = categorical_pair(seed=4, n_iter=n_iter)
    X, lengths = categorical_data(seed=5)
    ours.fit(X, lengths)
    theirs.fit(X, lengths)
    for attr in ("startprob_", "transmat_", "emissionprob_"):
        assert_allclose(
            getattr(ours, attr), getattr(theirs, attr), rtol=1e-7, atol=1e-10, err_msg=attr
        )
    assert_allclose(ours.history_, list(theirs.monitor_.history), rtol=1e-9)


def gaussian_pair(covariance_type, seed=0, n_iter=1):
    rng = np.random.default_rng(seed)
    K, d = 3, 2
    pi, A = rng.dirichlet(np.ones(K)), rng.dirichlet(np.ones(K) * 2, size=K)
    means = rng.normal(scale=3.0, size=(K, d))
    if covariance_type == "diag":
        covars = rng.uniform(0.5, 2.0, size=(K, d))
    else:
        M = rng.normal(size=(K, d, d)) * 0.5
        covars = M @ M.transpose(0, 2, 1) + np.eye(d)
    ours = GaussianHMM(
        K,
        covariance_type=covariance_type,
        init_params="",
        n_iter=n_iter,
        tol=0.0,
        covars_prior=0.0,
    )
    theirs = hmmlearn.GaussianHMM(
        K,
        covariance_type=covariance_type,
        init_params="",
        n_iter=n_iter,
        tol=0.0,
        covars_prior=0.0,
        implementation="log",
    )
    for model in (ours, theirs):
        model.startprob_, model.transmat_, model.means_ = pi, A, means
        model.covars_ = covars
    return ours, theirs


@pytest.mark.parametrize("covariance_type", ["diag", "full"])
def test_gaussian_inference_matches_hmmlearn(covariance_type):
    ours, theirs = gaussian_pair(covariance_type)
    X, _ = theirs.sample(500, random_state=1)
    lengths = [100, 300, 100]
    assert ours.score(X, lengths) == pytest.approx(theirs.score(X, lengths), rel=1e-9)
    assert_allclose(
        ours.predict_proba(X, lengths), theirs.predict_proba(X, lengths), rtol=1e-9, atol=1e-12
    )
    assert_same_viterbi(ours, theirs, X, lengths)


@pytest.mark.parametrize("covariance_type", ["diag", "full"])
@pytest.mark.parametrize("n_iter", [1, 10])
def test_gaussian_baum_welch_matches_hmmlearn(covariance_type, n_iter):
    ours, theirs = gaussian_pair(covariance_type, seed=2, n_iter=n_iter)
    X, _ = theirs.sample(600, random_state=3)
    lengths = [200, 150, 250]
    ours.fit(X, lengths)
    theirs.fit(X, lengths)
    their_covars = theirs._covars_ if covariance_type == "diag" else theirs.covars_
    for name, a, b in (
        ("startprob_", ours.startprob_, theirs.startprob_),
        ("transmat_", ours.transmat_, theirs.transmat_),
        ("means_", ours.means_, theirs.means_),
        ("covars_", ours.covars_, their_covars),
    ):
        assert_allclose(a, b, rtol=1e-7, atol=1e-9, err_msg=name)
    assert_allclose(ours.history_, list(theirs.monitor_.history), rtol=1e-9)


# ------------------------------------------------------------ model behaviour
def test_a_million_steps_score_finite():
    ours, _ = categorical_pair()
    X = np.random.default_rng(0).integers(0, 5, size=(1_000_000, 1))
    score = ours.score(X)
    assert np.isfinite(score) and score < -1e6  # the probability itself is 0 in floats


def test_sampled_frequencies_match_the_parameters():
    ours, _ = categorical_pair(seed=6)
    n = 200_000
    X, states = ours.sample(n, random_state=0)
    counts = np.zeros((3, 3))
    np.add.at(counts, (states[:-1], states[1:]), 1)
    visits = counts.sum(axis=1)
    freq = counts / visits[:, None]
    se = np.sqrt(ours.transmat_ * (1 - ours.transmat_) / visits[:, None])
    assert np.all(np.abs(freq - ours.transmat_) < 4 * se + 1e-12)
    for k in range(3):
        emitted = np.bincount(X[states == k, 0].astype(int), minlength=5) / np.sum(states == k)
        se = np.sqrt(ours.emissionprob_[k] * (1 - ours.emissionprob_[k]) / np.sum(states == k))
        assert np.all(np.abs(emitted - ours.emissionprob_[k]) < 4 * se + 1e-12)


@pytest.mark.parametrize("model", ["categorical", "diag", "full"])
def test_baum_welch_log_likelihood_never_decreases(model):
    if model == "categorical":
        X, lengths = categorical_data(seed=7)
        hmm = CategoricalHMM(4, n_iter=40, tol=0.0, random_state=0)
    else:
        _, ref = gaussian_pair(model, seed=8)
        X, _ = ref.sample(800, random_state=9)
        lengths = [400, 400]
        hmm = GaussianHMM(3, covariance_type=model, n_iter=40, tol=0.0, random_state=0)
    hmm.fit(X, lengths)
    assert np.all(np.diff(hmm.history_) >= -1e-8 * np.abs(hmm.history_[1:]))


def test_forbidden_transitions_are_respected():
    A = np.array([[0.9, 0.1, 0.0], [0.0, 0.8, 0.2], [0.0, 0.0, 1.0]])  # left to right
    B = np.array([[0.7, 0.2, 0.1], [0.1, 0.7, 0.2], [0.1, 0.2, 0.7]])
    hmm = CategoricalHMM(3, init_params="", n_iter=5, tol=0.0)
    hmm.startprob_, hmm.transmat_, hmm.emissionprob_ = np.array([1.0, 0, 0]), A, B
    X, states = hmm.sample(300, random_state=0)
    assert np.all(np.diff(states) >= 0)
    path = hmm.predict(X)
    assert np.all(np.diff(path) >= 0)
    assert np.isfinite(hmm.score(X))
    hmm.fit(X)
    assert np.all(hmm.transmat_[np.tril_indices(3, -1)] == 0.0)  # zeros stay zero
    assert hmm.startprob_[1:].max() == 0.0


# ------------------------------------------------------------------ bad input
def test_bad_parameters():
    ours, _ = categorical_pair()
    X, lengths = categorical_data()
    bad = [
        ("startprob_", np.array([0.5, 0.6, -0.1]), "startprob_ has negative"),
        ("startprob_", np.array([0.5, 0.4, 0.0]), "startprob_ must sum to 1"),
        ("transmat_", np.full((3, 3), 0.5), "every row of transmat_ must sum to 1"),
        ("emissionprob_", np.full((3, 5), 0.3), "every row of emissionprob_ must sum to 1"),
        ("transmat_", np.full((2, 2), 0.5), r"transmat_ \(3, 3\)"),
    ]
    for attr, value, message in bad:
        model, _ = categorical_pair()
        setattr(model, attr, value)
        with pytest.raises(ValueError, match=message):
            model.score(X, lengths)
    del ours


BAD_OBSERVATIONS = [
    # (model, X, lengths, the message: it names the value and what is allowed)
    ("categorical", [[0], [5]], None, r"X has symbol 5, outside the alphabet 0\.\.4"),
    ("categorical", [[0.5], [1.0]], None, r"non-negative integer symbols .*X\[0, 0\] is 0\.5"),
    ("categorical", [[0], [-1]], None, r"non-negative integer symbols .*X\[1, 0\] is -1\.0"),
    ("categorical", np.zeros((4, 2)), None, r"one symbol per row, shape \(n_samples, 1\)"),
    ("categorical", [[0.0], [np.nan]], None, "X contains NaN or infinity"),
    ("categorical", np.zeros((0, 1)), None, "X has 0 sample"),
    ("categorical", "X600", [150, 250, 199], "lengths sum to 599, but X has 600 samples"),
    ("categorical", "X600", [300, 0, 300], r"every sequence must be non-empty.*lengths\[1\] = 0"),
    # scikit-learn's wording for a wrong number of features
    ("diag", np.zeros((5, 3)), None, "X has 3 features, but GaussianHMM is expecting 2 features"),
    ("full", np.zeros((5, 1)), None, "X has 1 features, but GaussianHMM is expecting 2 features"),
]


@pytest.mark.parametrize(("kind", "X", "lengths", "message"), BAD_OBSERVATIONS)
def test_bad_observations(kind, X, lengths, message):
    model = categorical_pair()[0] if kind == "categorical" else gaussian_pair(kind)[0]
    if isinstance(X, str):
        X = categorical_data()[0]
    for method in (model.score, model.predict, model.predict_proba):
        with pytest.raises(ValueError, match=message):
            method(X, lengths)


def test_bad_emission_parameters():
    g, _ = gaussian_pair("diag")
    g.covars_ = -np.ones((3, 2))
    with pytest.raises(ValueError, match="covars_ must be positive variances; state 0 has"):
        g.score(np.zeros((5, 2)))
    ours, _ = categorical_pair()
    X, lengths = categorical_data()
    with pytest.raises(ValueError, match="params must be a string of distinct letters among 's'"):
        CategoricalHMM(2, params="stx").fit(X)
    with pytest.raises(ValueError, match="algorithm must be 'viterbi' or 'map'; got 'beam'"):
        ours.decode(X, lengths, algorithm="beam")


def test_kernels_fall_back_to_exact_log_sum_exp_when_the_shifted_sum_underflows():
    # State 1 is e^-800 less likely than state 0 and can only be reached from itself:
    # the kernels' shared shift (by the likeliest state) makes its sum underflow to 0.
    log_pi = _log([0.5, 0.5])
    log_A = _log([[1.0, 0.0], [0.0, 1.0]])
    log_b = np.array([[0.0, -800.0], [0.0, 0.0], [-900.0, 0.0], [0.0, 0.0]])
    la, ll = forward(log_pi, log_A, log_b)
    la_k, ll_k = kernels.forward(log_pi, log_A, log_b)
    assert np.isfinite(la_k).all()
    assert_allclose(la_k, la, rtol=1e-13)
    assert ll_k == pytest.approx(ll, rel=1e-13)
    assert_allclose(kernels.backward(log_A, log_b), backward(log_A, log_b), rtol=1e-13)


@pytest.mark.parametrize("kind", ["categorical", "diag", "full"])
def test_bic_and_aic_match_hmmlearn(kind):
    if kind == "categorical":
        ours, theirs = categorical_pair()
        X, lengths = categorical_data()
    else:
        ours, theirs = gaussian_pair(kind)
        X, _ = theirs.sample(300, random_state=0)
        lengths = [100, 200]
    assert ours.bic(X, lengths) == pytest.approx(theirs.bic(X, lengths), rel=1e-10)
    assert ours.aic(X, lengths) == pytest.approx(theirs.aic(X, lengths), rel=1e-10)


@pytest.mark.parametrize("gap", [700.0, 735.0, 740.0, 744.0, 745.0, 760.0])
def test_kernels_stay_exact_near_the_underflow_edge(gap):
    # Shifted sums of order e^-gap are subnormal near gap = 708..745 and lose digits; the
    # kernels must then fall back to the exact log-sum-exp.
    log_pi = _log([0.5, 0.5])
    log_A = _log([[1.0, 0.0], [0.0, 1.0]])
    log_b = np.array([[0.0, -gap], [0.0, 0.0], [-2 * gap, 0.0]])
    la, ll = forward(log_pi, log_A, log_b)
    la_k, ll_k = kernels.forward(log_pi, log_A, log_b)
    assert_allclose(la_k, la, rtol=1e-13)
    assert ll_k == pytest.approx(ll, rel=1e-13)
    assert_allclose(kernels.backward(log_A, log_b), backward(log_A, log_b), rtol=1e-13, atol=0)


def test_identity_transitions_far_apart_means_score_like_hmmlearn():
    ours = GaussianHMM(2, init_params="", covars_prior=0.0)
    theirs = hmmlearn.GaussianHMM(2, init_params="", covars_prior=0.0, implementation="log")
    for model in (ours, theirs):
        model.startprob_ = np.array([0.5, 0.5])
        model.transmat_ = np.eye(2)
        model.means_ = np.array([[0.0], [38.6]])
        model.covars_ = np.array([[1.0], [1.0]])
    X = np.array([[0.0], [38.6], [19.6]])
    assert ours.score(X) == pytest.approx(theirs.score(X), rel=1e-12)


def test_repeated_values_do_not_crash_thanks_to_the_covariance_prior():
    rng = np.random.default_rng(0)
    X = np.r_[rng.normal(size=50), [3.0] * 10][:, None]
    for seed in range(5):
        model = GaussianHMM(2, n_iter=200, random_state=seed).fit(X)
        assert np.all(model.covars_ > 0) and np.isfinite(model.score(X))


def test_data_far_from_zero_fit_like_data_near_zero():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(400, 1)) * np.r_[np.ones(200), 3 * np.ones(200)][:, None]
    near = GaussianHMM(2, n_iter=30, tol=0.0, random_state=0).fit(X)
    far = GaussianHMM(2, n_iter=30, tol=0.0, random_state=0).fit(X + 1e8)
    assert_allclose(far.means_ - 1e8, near.means_, atol=1e-5)
    assert_allclose(far.covars_, near.covars_, rtol=1e-5)


def test_default_covariance_prior_matches_hmmlearns_default():
    ours, theirs = gaussian_pair("diag", seed=2, n_iter=5)
    ours.covars_prior = 1e-2
    theirs.covars_prior = 1e-2
    X, _ = theirs.sample(300, random_state=3)
    ours.fit(X)
    theirs.fit(X)
    assert_allclose(ours.covars_, theirs._covars_, rtol=1e-7)


def test_impossible_sequences_raise_a_clear_error():
    hmm = CategoricalHMM(2, init_params="")
    hmm.startprob_ = np.array([1.0, 0.0])
    hmm.transmat_ = np.array([[1.0, 0.0], [0.0, 1.0]])
    hmm.emissionprob_ = np.array([[1.0, 0.0], [0.0, 1.0]])  # state 0 only emits symbol 0
    X = np.array([[0], [1]])
    assert hmm.score(X) == -np.inf
    for call in (hmm.predict_proba, hmm.predict, lambda X: hmm.decode(X, algorithm="map")):
        with pytest.raises(ValueError, match="probability zero under the model"):
            call(X)
    with pytest.raises(ValueError, match="probability zero under the model"):
        hmm.fit(X)
