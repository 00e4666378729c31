"""genlab.hmm's contracts: the public recursions refuse bad arguments; the emission hooks,
checked through a stub HMM against numbers computed by hand and by enumerating every
state path; a refit equals a fresh fit; degenerate data and bad hyper-parameters raise
clear errors."""

import copy
import inspect
import itertools
import math
import re
from typing import Any, ClassVar

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from genlab._validation import NotFittedError
from genlab.hmm import (
    CategoricalHMM,
    GaussianHMM,
    _backward,
    _BaseHMM,
    _forward,
    _log,
    _posteriors,
    _viterbi,
    backward,
    forward,
    posteriors,
    viterbi,
)


def valid_arguments(seed=0, K=3, T=6):
    rng = np.random.default_rng(seed)
    log_pi = _log(rng.dirichlet(np.ones(K)))
    A = rng.dirichlet(np.ones(K), size=K)
    A[0, -1] = 0.0  # a forbidden transition (-inf) is legal
    log_A = _log(A / A.sum(axis=1, keepdims=True))
    log_b = rng.normal(size=(T, K))  # log-densities: positive values are legal
    log_b[2, 1] = -np.inf  # an impossible emission is legal
    return log_pi, log_A, log_b


# ------------------------------------------------ the public functions' arguments
def test_public_functions_equal_the_unchecked_reference_bit_for_bit():
    log_pi, log_A, log_b = valid_arguments()
    la, ll = forward(log_pi, log_A, log_b)
    la_ref, ll_ref = _forward(log_pi, log_A, log_b)
    assert_array_equal(la, la_ref)
    assert ll == ll_ref
    lb = backward(log_A, log_b)
    assert_array_equal(lb, _backward(log_A, log_b))
    for ours, ref in zip(
        posteriors(la, lb, log_A, log_b), _posteriors(la, lb, log_A, log_b), strict=True
    ):
        assert_array_equal(ours, ref)
    lp, path = viterbi(log_pi, log_A, log_b)
    lp_ref, path_ref = _viterbi(log_pi, log_A, log_b)
    assert lp == lp_ref
    assert_array_equal(path, path_ref)
    # lists are accepted too
    assert forward(log_pi.tolist(), log_A.tolist(), log_b.tolist())[1] == ll


def test_rounding_within_the_tolerance_is_accepted():
    log_pi, log_A, log_b = valid_arguments()
    log_pi = log_pi + 1e-10  # probabilities summing to 1 + 1e-10: rounding
    log_A = log_A - 1e-10
    assert np.isfinite(forward(log_pi, log_A, log_b)[1])
    assert np.isfinite(viterbi(log_pi, log_A, log_b)[0])
    one_state = forward([1e-10], [[0.0]], [[-1.0], [-2.0]])[1]  # log 1 + rounding
    assert one_state == pytest.approx(1e-10 - 3.0, abs=1e-15)


LOG_PI, LOG_A, LOG_B = valid_arguments()
PI_PROBS, A_PROBS = np.exp(LOG_PI), np.exp(LOG_A)
BAD_SEQUENCE_ARGUMENTS = [
    # (log_startprob, log_transmat, log_emission, message)
    (PI_PROBS, LOG_A, LOG_B, r"log_startprob must hold log-probabilities.*np\.log"),
    (LOG_PI, A_PROBS, LOG_B, r"log_transmat must hold log-probabilities.*np\.log"),
    (LOG_PI + np.log(0.5), LOG_A, LOG_B, r"probabilities exp\(log_startprob\) sum to 0\.5,"),
    (np.full(3, -np.inf), LOG_A, LOG_B, r"exp\(log_startprob\) sum to 0,"),
    (LOG_PI + 1e-6, LOG_A, LOG_B, r"exp\(log_startprob\) sum to 1\.000001"),
    (LOG_PI, LOG_A + np.log(0.9), LOG_B, r"row\(s\) \[0, 1, 2\] sum to \[0\.9, 0\.9, 0\.9\]"),
    (LOG_PI, np.r_[LOG_A[:2], [[-np.inf] * 3]], LOG_B, r"row\(s\) \[2\] sum to \[0\.0\]"),
    (np.r_[np.nan, LOG_PI[1:]], LOG_A, LOG_B, r"log_startprob contains NaN \(1 entries\)"),
    (LOG_PI, np.where(np.eye(3) > 0, np.nan, LOG_A), LOG_B, "log_transmat contains NaN"),
    (LOG_PI, LOG_A, np.full_like(LOG_B, np.nan), r"log_emission contains NaN \(18 entries\)"),
    (LOG_PI, LOG_A, np.r_[LOG_B[:1] + np.inf, LOG_B[1:]], r"log_emission contains \+inf"),
    (np.r_[np.inf, LOG_PI[1:]], LOG_A, LOG_B, r"log_startprob contains \+inf"),
    (LOG_PI[None], LOG_A, LOG_B, r"log_startprob must have shape \(n_states,\); got shape \(1,"),
    ([], LOG_A, LOG_B, "log_startprob is empty"),
    (LOG_PI, np.zeros((0, 0)), LOG_B, "log_transmat is empty"),
    (
        LOG_PI,
        LOG_A[:, :2],
        LOG_B,
        r"log_transmat must be a square matrix of shape \(3, 3\) for the 3 states",
    ),
    (_log([0.5, 0.5]), LOG_A, LOG_B, r"\(2, 2\) for the 2 states of log_startprob; got shape"),
    (LOG_PI, LOG_A[0], LOG_B, r"log_transmat must have shape \(n_states, n_states\)"),
    (LOG_PI, LOG_A, LOG_B[:, :2], r"log_emission must have shape \(n_steps, 3\), one column"),
    (
        LOG_PI,
        LOG_A,
        LOG_B[0],
        r"log_emission must have shape \(n_steps, n_states\); got shape \(3,",
    ),
    (LOG_PI, LOG_A, LOG_B[:0], r"log_emission has 0 time steps \(shape \(0, 3\)\)"),
    (LOG_PI + 0j, LOG_A, LOG_B, "log_startprob has complex entries"),
    (LOG_PI, LOG_A, [["a"] * 3], "log_emission must be a numeric array"),
]


@pytest.mark.parametrize(("log_pi", "log_A", "log_b", "message"), BAD_SEQUENCE_ARGUMENTS)
def test_forward_and_viterbi_refuse_bad_arguments(log_pi, log_A, log_b, message):
    for function in (forward, viterbi):
        with pytest.raises(ValueError, match=message):
            function(log_pi, log_A, log_b)


@pytest.mark.parametrize(
    ("log_pi", "log_A", "log_b", "message"),
    [case for case in BAD_SEQUENCE_ARGUMENTS if "startprob" not in case[3]],
)
def test_backward_refuses_bad_arguments(log_pi, log_A, log_b, message):
    message = message.replace(" for the 3 states", "")  # backward has no log_startprob
    with pytest.raises(ValueError, match=message):
        backward(log_A, log_b)


def zero_probability_sequence():
    # state 0 only emits symbol 0 and never leaves; the sequence 0, 1 is impossible
    log_pi, log_A = _log([1.0, 0.0]), _log(np.eye(2))
    log_b = _log(np.array([[1.0, 0.0], [0.0, 1.0]]))[:, [0, 1]].T
    return log_pi, log_A, log_b


def test_a_sequence_of_probability_zero():
    log_pi, log_A, log_b = zero_probability_sequence()
    la, ll = forward(log_pi, log_A, log_b)
    assert ll == -np.inf  # log P(O) = log 0 is the right answer
    lb = backward(log_A, log_b)
    with pytest.raises(ValueError, match="probability zero.*most probable path is undefined"):
        viterbi(log_pi, log_A, log_b)
    with pytest.raises(ValueError, match="probability zero.*posteriors are undefined"):
        posteriors(la, lb, log_A, log_b)


def test_posteriors_refuse_arguments_that_do_not_belong_together():
    log_pi, log_A, log_b = valid_arguments(seed=1)
    la, _ = forward(log_pi, log_A, log_b)
    lb = backward(log_A, log_b)
    other_pi, other_A, other_b = valid_arguments(seed=2)
    cases = [
        ((np.exp(la), lb, log_A, log_b), "log_alpha and log_beta do not belong together"),
        ((la, np.exp(lb), log_A, log_b), r"last row of log_beta must be 0 \(beta_T = 1\)"),
        ((forward(other_pi, log_A, other_b)[0], lb, log_A, log_b), "do not belong together"),
        ((la, lb, other_A, log_b), "log_transmat and log_emission do not belong to log_alpha"),
        ((la, lb, log_A, other_b), "log_transmat and log_emission do not belong to log_alpha"),
        ((la[:-1], lb, log_A, log_b), r"log_alpha must have the shape of log_emission, \(6, 3\)"),
        ((la, lb[:, :2], log_A, log_b), "log_beta must have the shape of log_emission"),
        ((np.where(la > -1, np.nan, la), lb, log_A, log_b), "log_alpha contains NaN"),
        ((la, lb, np.exp(log_A), log_b), "log_transmat must hold log-probabilities"),
        ((la, lb, log_A, log_b[:, :2]), r"log_emission must have shape \(n_steps, 3\)"),
    ]
    for arguments, message in cases:
        with pytest.raises(ValueError, match=message):
            posteriors(*arguments)
    # one step: no transitions, gamma from alpha and beta alone
    gamma, xi = posteriors(la[:1], np.zeros((1, 3)), log_A, log_b[:1])
    assert_allclose(gamma[0], np.exp(la[0] - np.logaddexp.reduce(la[0])), rtol=1e-15)
    assert_array_equal(xi, np.zeros((3, 3)))


# ----------------------------------------- the emission hooks, through a stub HMM
class StubHMM(_BaseHMM):
    """hmmlearn's StubHMM (tests/test_base.py): a fixed, hand-written emission table.

    ``X[t, 0]`` is a row index into ``frameprob`` (row t: the probabilities b_j(o_t) of
    the t-th observation under each state j). The emission M-step keeps the E-step's
    posteriors for the test to read.
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        **_BaseHMM._base_constraints,
        "params": ["string"],
        "init_params": ["string"],
    }
    _fitted_attributes = ("startprob_", "transmat_")

    def __init__(
        self,
        n_components=2,
        *,
        n_iter=1,
        tol=0.0,
        params="st",
        init_params="",
        algorithm="viterbi",
        random_state=None,
    ):
        self.n_components = n_components
        self.n_iter = n_iter
        self.tol = tol
        self.params = params
        self.init_params = init_params
        self.algorithm = algorithm
        self.random_state = random_state

    def _check_X(self, X, fitting=False):
        return np.asarray(X, dtype=np.float64).reshape(len(X), 1)

    def _check_emission(self):
        pass

    def _initialize_emission(self, X, rng):
        pass

    def _log_emission(self, X):
        return np.ascontiguousarray(np.log(self.frameprob)[X[:, 0].astype(np.intp)])

    def _init_emission_stats(self, stats):
        stats["gamma"] = None

    def _accumulate_emission_stats(self, stats, X, gamma):
        stats["gamma"] = gamma.copy()

    def _m_step_emission(self, stats):
        self.e_step_gamma = stats["gamma"]

    def _n_emission_parameters(self):
        return 0

    def _sample_emissions(self, states, rng):
        return np.zeros((len(states), 1))


# Two states, three observations: pi, A, and b_j(o_t) (row t, column j).
PI = [0.6, 0.4]
A = [[0.7, 0.3], [0.4, 0.6]]
B = [[0.5, 0.1], [0.4, 0.3], [0.1, 0.6]]

# The forward variables, written out: alpha_{t+1}(j) = [sum_i alpha_t(i) A_ij] b_j(o_{t+1}).
a1 = [0.6 * 0.5, 0.4 * 0.1]
a2 = [(a1[0] * 0.7 + a1[1] * 0.4) * 0.4, (a1[0] * 0.3 + a1[1] * 0.6) * 0.3]
a3 = [(a2[0] * 0.7 + a2[1] * 0.4) * 0.1, (a2[0] * 0.3 + a2[1] * 0.6) * 0.6]
P = a3[0] + a3[1]
# The backward variables: beta_t(i) = sum_j A_ij b_j(o_{t+1}) beta_{t+1}(j).
b3 = [1.0, 1.0]
b2 = [0.7 * 0.1 * b3[0] + 0.3 * 0.6 * b3[1], 0.4 * 0.1 * b3[0] + 0.6 * 0.6 * b3[1]]
b1 = [0.7 * 0.4 * b2[0] + 0.3 * 0.3 * b2[1], 0.4 * 0.4 * b2[0] + 0.6 * 0.3 * b2[1]]
# State posteriors gamma_t(i) = alpha_t(i) beta_t(i) / P.
GAMMA = [
    [a1[0] * b1[0] / P, a1[1] * b1[1] / P],
    [a2[0] * b2[0] / P, a2[1] * b2[1] / P],
    [a3[0] * b3[0] / P, a3[1] * b3[1] / P],
]
# Transition posteriors xi_t(i, j) = alpha_t(i) A_ij b_j(o_{t+1}) beta_{t+1}(j) / P.
XI1 = [
    [a1[0] * 0.7 * 0.4 * b2[0] / P, a1[0] * 0.3 * 0.3 * b2[1] / P],
    [a1[1] * 0.4 * 0.4 * b2[0] / P, a1[1] * 0.6 * 0.3 * b2[1] / P],
]
XI2 = [
    [a2[0] * 0.7 * 0.1 * b3[0] / P, a2[0] * 0.3 * 0.6 * b3[1] / P],
    [a2[1] * 0.4 * 0.1 * b3[0] / P, a2[1] * 0.6 * 0.6 * b3[1] / P],
]
XI_SUM = [[XI1[i][j] + XI2[i][j] for j in range(2)] for i in range(2)]
# Viterbi: delta_1 = (0.30, 0.04); delta_2 = (max(0.21, 0.016) 0.4, max(0.09, 0.024) 0.3)
# = (0.084, 0.027), both from state 0; delta_3 = (max(0.0588, 0.0108) 0.1,
# max(0.0252, 0.0162) 0.6) = (0.00588, 0.01512), both from state 0. Best path: 0, 0, 1.
BEST_PATH = [0, 0, 1]
BEST = 0.6 * 0.5 * 0.7 * 0.4 * 0.3 * 0.6
# One Baum-Welch step: pi' = gamma_1, A'_ij = sum_t xi_t(i, j) / sum_{t<T} gamma_t(i).
NEW_PI = GAMMA[0]
NEW_A = [[XI_SUM[i][j] / (GAMMA[0][i] + GAMMA[1][i]) for j in range(2)] for i in range(2)]


def test_the_hand_computation_itself():
    # the products and sums above, against the decimals worked out on paper
    assert a1 == pytest.approx([0.30, 0.04], abs=1e-16)
    assert a2 == pytest.approx([0.0904, 0.0342], abs=1e-16)
    assert a3 == pytest.approx([0.007696, 0.028584], abs=1e-16)
    assert P == pytest.approx(0.03628, abs=1e-16)
    assert b2 == pytest.approx([0.25, 0.40], abs=1e-16)
    assert b1 == pytest.approx([0.106, 0.112], abs=1e-16)
    assert a1[0] * b1[0] + a1[1] * b1[1] == pytest.approx(P, abs=1e-16)  # P at t = 1 too
    assert BEST == pytest.approx(0.01512, abs=1e-16)
    assert np.sum(XI1) == pytest.approx(1.0, abs=1e-15)
    assert np.sum(NEW_A, axis=1) == pytest.approx([1.0, 1.0], abs=1e-15)


def brute_force():
    """Every one of the K^T = 8 state paths: P(O), gamma, xi summed over t, best path."""
    weights = {}
    for q in itertools.product(range(2), repeat=3):
        w = PI[q[0]] * B[0][q[0]]
        for t in range(1, 3):
            w *= A[q[t - 1]][q[t]] * B[t][q[t]]
        weights[q] = w
    total = sum(weights.values())
    gamma = np.zeros((3, 2))
    xi = np.zeros((2, 2))
    for q, w in weights.items():
        for t in range(3):
            gamma[t, q[t]] += w / total
        for t in range(2):
            xi[q[t], q[t + 1]] += w / total
    best = max(weights, key=weights.__getitem__)
    return total, gamma, xi, list(best), weights[best]


def test_brute_force_agrees_with_the_hand_computation():
    total, gamma, xi, best, best_weight = brute_force()
    assert total == pytest.approx(P, rel=1e-15)
    assert_allclose(gamma, GAMMA, rtol=1e-14)
    assert_allclose(xi, XI_SUM, rtol=1e-14)
    assert best == BEST_PATH
    assert best_weight == pytest.approx(BEST, rel=1e-15)


def test_public_functions_against_the_hand_computation():
    log_pi, log_A, log_b = np.log(PI), np.log(A), np.log(B)
    log_alpha, ll = forward(log_pi, log_A, log_b)
    assert_allclose(np.exp(log_alpha), [a1, a2, a3], rtol=1e-14)
    assert ll == pytest.approx(math.log(P), rel=1e-14)
    log_beta = backward(log_A, log_b)
    assert_allclose(np.exp(log_beta), [b1, b2, b3], rtol=1e-14)
    gamma, xi_sum = posteriors(log_alpha, log_beta, log_A, log_b)
    assert_allclose(gamma, GAMMA, rtol=1e-14)
    assert_allclose(xi_sum, XI_SUM, rtol=1e-14)
    log_prob, path = viterbi(log_pi, log_A, log_b)
    assert_array_equal(path, BEST_PATH)
    assert log_prob == pytest.approx(math.log(BEST), rel=1e-14)


def stub():
    model = StubHMM(2)
    model.startprob_, model.transmat_, model.frameprob = np.array(PI), np.array(A), np.array(B)
    return model


X_STUB = np.array([[0], [1], [2]])


def test_stub_hmm_inference_against_the_hand_computation():
    model = stub()
    assert model.score(X_STUB) == pytest.approx(math.log(P), rel=1e-14)
    ll, gamma = model.score_samples(X_STUB)
    assert ll == pytest.approx(math.log(P), rel=1e-14)
    assert_allclose(gamma, GAMMA, rtol=1e-13)
    assert_allclose(model.predict_proba(X_STUB), GAMMA, rtol=1e-13)
    log_prob, path = model.decode(X_STUB)
    assert_array_equal(path, BEST_PATH)
    assert log_prob == pytest.approx(math.log(BEST), rel=1e-14)
    log_prob_map, path_map = model.decode(X_STUB, algorithm="map")
    assert_array_equal(path_map, np.argmax(GAMMA, axis=1))
    assert log_prob_map == pytest.approx(math.log(P), rel=1e-14)
    # two sequences: o_1 alone, then o_2, o_3 starting afresh from pi
    p1 = 0.6 * 0.5 + 0.4 * 0.1
    s1 = [0.6 * 0.4, 0.4 * 0.3]
    p2 = (s1[0] * 0.7 + s1[1] * 0.4) * 0.1 + (s1[0] * 0.3 + s1[1] * 0.6) * 0.6
    assert p2 == pytest.approx(0.108, abs=1e-16)
    assert model.score(X_STUB, [1, 2]) == pytest.approx(math.log(p1 * p2), rel=1e-14)


def test_stub_hmm_one_baum_welch_step_against_the_hand_computation():
    model = stub().fit(X_STUB)
    assert_allclose(model.e_step_gamma, GAMMA, rtol=1e-13)
    assert_allclose(model.startprob_, NEW_PI, rtol=1e-13)
    assert_allclose(model.transmat_, NEW_A, rtol=1e-13)
    assert model.history_ == [pytest.approx(math.log(P), rel=1e-14)]
    assert model.n_iter_ == 1 and not model.converged_
    _, _, xi, _, _ = brute_force()
    assert_allclose(model.transmat_, xi / xi.sum(axis=1, keepdims=True), rtol=1e-13)
    # params="t": the start probabilities stay
    model = StubHMM(2, params="t")
    model.startprob_, model.transmat_, model.frameprob = np.array(PI), np.array(A), np.array(B)
    model.fit(X_STUB)
    assert_array_equal(model.startprob_, PI)
    assert_allclose(model.transmat_, NEW_A, rtol=1e-13)


HOOKS = {
    "_check_X",
    "_check_emission",
    "_initialize_emission",
    "_log_emission",
    "_init_emission_stats",
    "_accumulate_emission_stats",
    "_m_step_emission",
    "_n_emission_parameters",
    "_sample_emissions",
}


def test_the_nine_emission_hooks_are_abstract_and_documented():
    assert set(_BaseHMM.__abstractmethods__) == HOOKS
    assert inspect.isabstract(_BaseHMM)
    assert not inspect.isabstract(CategoricalHMM) and not inspect.isabstract(GaussianHMM)
    for name in HOOKS:
        doc = inspect.getdoc(getattr(_BaseHMM, name))
        assert doc and len(doc.splitlines()) > 3, name
        takes_arguments = len(inspect.signature(getattr(_BaseHMM, name)).parameters) > 1
        assert ("Parameters\n----------" in doc) == takes_arguments, name
    with pytest.raises(TypeError, match="abstract"):
        _BaseHMM()

    # a subclass that leaves out one hook cannot be instantiated
    others = {name: getattr(StubHMM, name) for name in HOOKS - {"_log_emission"}}
    incomplete = type("Incomplete", (_BaseHMM,), {"__init__": StubHMM.__init__, **others})
    with pytest.raises(TypeError, match="_log_emission"):
        incomplete()


# ------------------------------------------------------ state: a refit is a fresh fit
def assert_same_state(a, b, where="model"):
    """Every attribute equal, recursively (arrays exactly, with their dtypes)."""
    if isinstance(a, np.ndarray):
        assert isinstance(b, np.ndarray) and a.dtype == b.dtype, where
        assert_array_equal(a, b, err_msg=where)
    elif isinstance(a, dict):
        assert isinstance(b, dict) and a.keys() == b.keys(), where
        for key in a:
            assert_same_state(a[key], b[key], f"{where}[{key!r}]")
    elif isinstance(a, (list, tuple)):
        assert type(a) is type(b) and len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_same_state(x, y, f"{where}[{i}]")
    elif hasattr(a, "__dict__") and not isinstance(a, type):
        assert type(a) is type(b), where
        assert_same_state(vars(a), vars(b), f"{where}.")
    else:
        assert type(a) is type(b) and a == b, f"{where}: {a!r} != {b!r}"


def categorical_given(model):
    model.startprob_ = np.array([0.7, 0.3])
    model.transmat_ = np.array([[0.9, 0.1], [0.2, 0.8]])
    model.emissionprob_ = np.array([[0.4, 0.3, 0.2, 0.1, 0.0], [0.1, 0.1, 0.1, 0.2, 0.5]])
    return model


def gaussian_given(model):
    model.startprob_ = np.array([0.7, 0.3])
    model.transmat_ = np.array([[0.9, 0.1], [0.2, 0.8]])
    model.means_ = np.array([[0.0, 1.0], [3.0, -1.0]])
    model.covars_ = (
        np.array([[1.0, 2.0], [0.5, 1.0]])
        if model.covariance_type == "diag"
        else np.array([[[1.0, 0.3], [0.3, 2.0]], [[0.5, -0.1], [-0.1, 1.0]]])
    )
    return model


def refit_data(kind):
    rng = np.random.default_rng(11)
    if kind == "categorical":
        # data 1 has the symbols 0..4 (and lengths), data 2 only 0..2: a smaller alphabet
        return (rng.integers(0, 5, size=(120, 1)), [50, 70]), (rng.integers(0, 3, (80, 1)), None)
    X1 = np.r_[rng.normal(size=(60, 2)), rng.normal(3.0, 1.0, size=(60, 2))]
    X2 = np.r_[rng.normal(-1.0, 2.0, size=(50, 2)), rng.normal(5.0, 0.5, size=(30, 2))]
    return (X1, [60, 60]), (X2, None)


REFIT_CASES = [
    ("categorical", "ste", None),
    ("categorical", "", categorical_given),
    ("categorical", "e", categorical_given),
    ("diag", "stmc", None),
    ("full", "stmc", None),
    ("diag", "", gaussian_given),
    ("full", "", gaussian_given),
    ("diag", "c", gaussian_given),
]


def make_model(kind, init_params, given, **kwargs):
    if kind == "categorical":
        model = CategoricalHMM(2, init_params=init_params, n_iter=5, tol=0.0, random_state=0)
    else:
        model = GaussianHMM(
            2,
            covariance_type=kind,
            init_params=init_params,
            n_iter=5,
            tol=0.0,
            random_state=0,
        )
    model.set_params(**kwargs)
    return given(model) if given else model


@pytest.mark.parametrize(("kind", "init_params", "given"), REFIT_CASES)
def test_a_refit_equals_a_fresh_fit(kind, init_params, given):
    (X1, lengths1), (X2, lengths2) = refit_data(kind)
    fresh = make_model(kind, init_params, given).fit(X2, lengths2)
    model = make_model(kind, init_params, given).fit(X1, lengths1)
    # inference in between must not matter either
    model.score(X1, lengths1), model.predict(X1), model.sample(5), model.bic(X1)
    assert model.fit(X2, lengths2) is model
    assert_same_state(vars(model), vars(fresh))
    assert model.n_iter_ == 5 and len(model.history_) == 5 and model.converged_ is False
    if kind == "categorical" and init_params == "ste":
        assert model.emissionprob_.shape == (2, 3)  # data 2's alphabet, not data 1's
    # and a third fit, on data 1, equals a fresh fit on data 1
    assert_same_state(
        vars(model.fit(X1, lengths1)), vars(make_model(kind, init_params, given).fit(X1, lengths1))
    )


@pytest.mark.parametrize("kind", ["categorical", "diag"])
def test_values_assigned_after_a_fit_are_the_next_starting_point(kind):
    (X1, lengths1), (X2, _) = refit_data(kind)
    given = categorical_given if kind == "categorical" else gaussian_given
    new_transmat = np.array([[0.5, 0.5], [0.6, 0.4]])
    for how in ("assigned", "in place"):
        model = make_model(kind, "", given).fit(X1, lengths1)
        if how == "assigned":
            model.transmat_ = new_transmat.copy()
        else:
            model.transmat_[:] = new_transmat
        model.fit(X2)
        fresh = make_model(kind, "", given)
        fresh.transmat_ = new_transmat.copy()
        assert_same_state(vars(model), vars(fresh.fit(X2)), how)


@pytest.mark.parametrize("kind", ["categorical", "full"])
def test_a_warm_start_by_assigning_the_fitted_values(kind):
    (X1, lengths1), _ = refit_data(kind)
    given = categorical_given if kind == "categorical" else gaussian_given
    model = make_model(kind, "", given, n_iter=3).fit(X1, lengths1)
    for name in model._fitted_attributes:
        setattr(model, name, getattr(model, name).copy())
    model.fit(X1, lengths1)
    six = make_model(kind, "", given, n_iter=6).fit(X1, lengths1)
    for name in model._fitted_attributes:
        assert_array_equal(getattr(model, name), getattr(six, name), err_msg=name)
    assert model.history_ == six.history_[3:]


def test_changing_init_params_after_a_fit_then_refitting_equals_a_fresh_fit():
    (X1, lengths1), (X2, _) = refit_data("diag")
    model = make_model("diag", "stmc", None).fit(X1, lengths1)
    model.set_params(init_params="")  # nothing given: the parameters are initialised
    assert_same_state(vars(model.fit(X2)), vars(make_model("diag", "", None).fit(X2)))


@pytest.mark.parametrize("kind", ["categorical", "diag"])
def test_a_failed_fit_leaves_the_model_as_it_was(kind):
    (X1, lengths1), _ = refit_data(kind)
    model = make_model(kind, "ste" if kind == "categorical" else "stmc", None)
    with pytest.raises(ValueError):
        model.fit(X1, [1, 2])
    assert not hasattr(model, "startprob_")
    with pytest.raises(NotFittedError):
        model.score(X1)
    model.fit(X1, lengths1)
    before = copy.deepcopy(model)
    bad = [[0], [9.5]] if kind == "categorical" else [[0.0, np.inf]]
    with pytest.raises(ValueError):
        model.fit(bad)
    assert_same_state(vars(model), vars(before))
    assert_same_state(vars(model.fit(X1, lengths1)), vars(before.fit(X1, lengths1)))


# ------------------------------------------------------------------ degenerate data
def test_one_sample():
    # CategoricalHMM: no transitions to learn; both states end up emitting the one symbol
    model = CategoricalHMM(2, random_state=0).fit([[2]])
    assert_array_equal(model.emissionprob_, [[0.0, 0.0, 1.0], [0.0, 0.0, 1.0]])
    assert_array_equal(model.transmat_, np.full((2, 2), 0.5))  # kept: never left
    assert model.score([[2]]) == pytest.approx(0.0, abs=1e-15)  # P(O) = 1
    # GaussianHMM: the covariances cannot be estimated from one sample...
    with pytest.raises(ValueError, match="at least 2 samples to initialise its covariances"):
        GaussianHMM(1).fit([[1.0, 2.0]])
    with pytest.raises(ValueError, match="at least n_components = 2 samples .* k-means; got 1"):
        GaussianHMM(2).fit([[1.0, 2.0]])
    # ...but can be given: the mean is the sample, the variance the prior alone
    model = GaussianHMM(1, init_params="stm", covars_prior=0.25)
    model.covars_ = np.array([[1.0, 1.0]])
    model.fit([[1.0, 2.0]])
    assert_array_equal(model.means_, [[1.0, 2.0]])
    assert_array_equal(model.covars_, [[0.25, 0.25]])


def test_one_state_is_a_model_of_independent_draws():
    X = np.array([[0], [2], [2], [1], [2], [0]])
    model = CategoricalHMM(1, n_iter=3, random_state=0).fit(X)
    assert_allclose(model.emissionprob_, [[2 / 6, 1 / 6, 3 / 6]], rtol=1e-14)
    assert_array_equal(model.startprob_, [1.0]) and assert_array_equal(model.transmat_, [[1.0]])
    assert model.score(X) == pytest.approx(
        2 * math.log(2 / 6) + math.log(1 / 6) + 3 * math.log(3 / 6), rel=1e-14
    )
    rng = np.random.default_rng(0)
    Y = rng.normal(2.0, 3.0, size=(200, 2))
    g = GaussianHMM(1, n_iter=2, random_state=0).fit(Y)
    assert_allclose(g.means_[0], Y.mean(axis=0), rtol=1e-12)
    # the covariance update: (prior + sum_t (x_t - mean)^2) / n
    assert_allclose(g.covars_[0], (1e-2 + 200 * Y.var(axis=0)) / 200, rtol=1e-12)


@pytest.mark.parametrize(
    ("lengths", "message"),
    [
        ([50, 49], "lengths sum to 99, but X has 100 samples"),
        ([50, 51], "lengths sum to 101, but X has 100 samples"),
        ([100, 0], r"every sequence must be non-empty.*lengths\[1\] = 0"),
        ([101, -1], r"every sequence must be non-empty.*lengths\[1\] = -1"),
        ([], r"non-empty 1-D array of integers.*got shape \(0,\)"),
        ([[50, 50]], r"got shape \(1, 2\)"),
        (100, r"got shape \(\)"),
        ([50.5, 49.5], r"integers, one length per sequence; got dtype float64 and values \[50.5"),
        ([np.nan, 100], "got dtype float64"),
        ([True, True], "got dtype bool"),
        (["50", "50"], "got dtype <U2"),
        ([50 + 0j, 50], "got dtype complex128"),
    ],
)
def test_bad_lengths(lengths, message):
    X = np.zeros((100, 1))
    model = categorical_given(CategoricalHMM(2, init_params=""))
    for call in (model.fit, model.score, model.predict):
        with pytest.raises(ValueError, match=message):
            call(X, lengths)


def test_whole_lengths_stored_as_floats_are_accepted():
    X = np.random.default_rng(0).integers(0, 5, size=(100, 1))
    model = categorical_given(CategoricalHMM(2, init_params=""))
    assert model.score(X, np.array([40.0, 60.0])) == model.score(X, [40, 60])


@pytest.mark.parametrize(
    ("model", "X", "message"),
    [
        (
            dict(n_features=5),
            [[0], [5]],
            r"symbol 5, outside the alphabet 0\.\.4 \(of n_features\)",
        ),
        (dict(init_params=""), [[0], [5]], r"0\.\.4 \(of emissionprob_'s columns\)"),
        ({}, [[0], [2.5]], r"non-negative integer symbols .*X\[1, 0\] is 2\.5"),
        ({}, [[-1], [2]], r"non-negative integer symbols .*X\[0, 0\] is -1\.0"),
        ({}, [[0j], [1]], "Complex data not supported"),
        ({}, [["a"], ["b"]], "X must be a numeric array"),
        ({}, [[0], [np.inf]], "X contains NaN or infinity"),
        ({}, [[0], [2**20]], r"largest symbol is 1048576.*Relabel the symbols as 0\.\.M-1"),
        ({}, np.zeros((3, 2)), "one symbol per row"),
        ({}, np.zeros((0, 1)), "X has 0 sample"),
    ],
)
def test_bad_symbols_are_refused_at_fit(model, X, message):
    hmm = CategoricalHMM(2, **model)
    if model.get("init_params") == "":
        categorical_given(hmm)
    with pytest.raises(ValueError, match=message):
        hmm.fit(X)


def test_emission_table_and_alphabet_must_agree():
    model = categorical_given(CategoricalHMM(2, n_features=6, init_params=""))
    with pytest.raises(ValueError, match="emissionprob_ must have n_features = 6 columns"):
        model.score([[5]])
    model.set_params(n_features=None, n_components=3)
    with pytest.raises(ValueError, match=r"startprob_ must have shape \(3,\)"):
        model.score([[1]])
    model = categorical_given(CategoricalHMM(2, init_params=""))
    del model.emissionprob_
    with pytest.raises(NotFittedError, match=r"missing \['emissionprob_'\]"):
        model.score([[1]])


def test_sample_refuses_a_bad_length():
    model = categorical_given(CategoricalHMM(2, init_params=""))
    for n in (0, -3, 2.5, "3", True, None):
        with pytest.raises(ValueError, match="n_samples must be an integer >= 1"):
            model.sample(n)
    assert model.sample(np.int64(3))[0].shape == (3, 1)


def constant_feature_data():
    rng = np.random.default_rng(5)
    return np.c_[rng.normal(size=80), np.ones(80)]  # the second feature is constant


@pytest.mark.parametrize("covariance_type", ["diag", "full"])
def test_a_constant_feature(covariance_type):
    X = constant_feature_data()
    # min_covar is the initial variance of a constant feature (exactly: its variance is 0)
    start = GaussianHMM(2, covariance_type=covariance_type, params="", n_iter=1, random_state=0)
    variances = start.fit(X).covars_
    if covariance_type == "full":
        variances = np.diagonal(variances, 0, 1, 2)
    assert_array_equal(variances[:, 1], [1e-3, 1e-3])
    # the covariance prior keeps it positive during Baum-Welch
    model = GaussianHMM(2, covariance_type=covariance_type, n_iter=20, random_state=0).fit(X)
    assert np.isfinite(model.score(X))
    # without min_covar, or without the prior, a clear error
    with pytest.raises(ValueError, match=r"feature\(s\) \[1\] of X are constant.*min_covar > 0"):
        GaussianHMM(2, covariance_type=covariance_type, min_covar=0.0).fit(X)
    with pytest.raises(ValueError, match="variance 0 for feature 1.*keep covars_prior > 0"):
        GaussianHMM(
            2, covariance_type=covariance_type, covars_prior=0.0, n_iter=5, random_state=0
        ).fit(X)


def test_bad_covariances_are_named():
    model = gaussian_given(GaussianHMM(2, covariance_type="full", init_params=""))
    model.covars_ = np.array([[[1.0, 2.0], [2.0, 1.0]], [[1.0, 0.0], [0.0, 1.0]]])
    with pytest.raises(ValueError, match=r"covars_\[0\] must be a symmetric positive-definite"):
        model.score(np.zeros((3, 2)))
    model.covars_ = np.full((2, 2, 2), np.nan)
    with pytest.raises(ValueError, match="covars_ contains NaN or infinity"):
        model.score(np.zeros((3, 2)))
    model = gaussian_given(GaussianHMM(2, init_params=""))
    model.covars_ = np.array([[1.0, 2.0], [0.5, -1.0]])
    with pytest.raises(ValueError, match="state 1 has variance -1 for feature 1"):
        model.score(np.zeros((3, 2)))


def test_values_whose_squares_overflow_are_refused():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 1))
    big = GaussianHMM(2, random_state=0).fit(X * 1e99)  # squares of 1e99 are fine
    assert np.isfinite(big.score(X * 1e99)) and np.all(np.isfinite(big.covars_))
    for scale in (1e101, 1e200):
        with pytest.raises(
            ValueError, match=r"values up to .* GaussianHMM needs \|x\| <= 1e\+100"
        ):
            GaussianHMM(2).fit(X * scale)
        with pytest.raises(ValueError, match="rescale X"):
            big.score(X * scale)


def test_complex_and_nonnumeric_gaussian_observations():
    with pytest.raises(ValueError, match="Complex data not supported"):
        GaussianHMM(2).fit(np.ones((5, 1)) * 1j)
    with pytest.raises(ValueError, match="numeric array"):
        GaussianHMM(2).fit([["a"], ["b"]])
    with pytest.raises(ValueError, match=r"Reshape your data"):
        GaussianHMM(2).fit(np.ones(5))


def test_given_means_must_match_the_features_at_fit():
    model = gaussian_given(GaussianHMM(2, init_params=""))
    with pytest.raises(ValueError, match="X has 3 features, but GaussianHMM is expecting 2"):
        model.fit(np.zeros((10, 3)))


# ---------------------------------------------------------------- hyper-parameters
COMMON_BAD = [
    ("n_components", [0, -1, 1.5, "2", None, True]),
    ("n_iter", [0, -5, 2.5, None]),
    ("tol", [-1.0, np.nan, "0.1", None]),
    ("algorithm", ["beam", None, 1]),
    ("random_state", [-1, 1.5, "seed"]),
]
BAD_HYPER_PARAMETERS = (
    [("categorical", name, v) for name, values in COMMON_BAD for v in values]
    + [("gaussian", name, v) for name, values in COMMON_BAD for v in values]
    + [("categorical", "n_features", v) for v in (0, -3, 2.5, "5", True)]
    + [("categorical", "params", v) for v in ("stx", "stmc", 1, None)]
    + [("categorical", "init_params", v) for v in ("m", "s t", ["s"])]
    + [("gaussian", "params", v) for v in ("ste", "x", None)]
    + [("gaussian", "init_params", v) for v in ("stmce", 0)]
    + [("gaussian", "covariance_type", v) for v in ("spherical", "tied", None)]
    + [("gaussian", "min_covar", v) for v in (-1e-3, np.inf, np.nan, "1e-3", None)]
    + [("gaussian", "covars_prior", v) for v in (-1.0, np.inf, np.nan, None)]
)


@pytest.mark.parametrize(("kind", "name", "value"), BAD_HYPER_PARAMETERS)
def test_bad_hyper_parameters_are_refused_by_name(kind, name, value):
    model = CategoricalHMM(2) if kind == "categorical" else GaussianHMM(2)
    X = np.random.default_rng(0).integers(0, 3, size=(20, 1))
    model.set_params(**{name: value})
    expected = f"{type(model).__name__}: {name} must be "
    with pytest.raises(
        ValueError, match=re.escape(expected) + f".*; got {re.escape(repr(value))}"
    ):
        model.fit(X)


def test_the_letters_may_come_in_any_order_but_not_repeat():
    X = np.random.default_rng(0).integers(0, 3, size=(20, 1))
    CategoricalHMM(2, params="ets", init_params="tse", random_state=0).fit(X)
    GaussianHMM(2, params="cm", init_params="cmts", random_state=0).fit(X.astype(float))
    message = "a string of distinct letters among 's', 't', 'm', 'c' (in any order)"
    with pytest.raises(ValueError, match=re.escape(message)):
        GaussianHMM(2, params="e").fit(X)
    # (hmmlearn tolerates a repeated letter; genlab refuses it as a likely typing slip)
    with pytest.raises(ValueError, match="init_params must be a string of distinct letters"):
        CategoricalHMM(2, init_params="ttse").fit(X)
