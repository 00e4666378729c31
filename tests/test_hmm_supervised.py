"""The supervised HMM: estimation by counting, and its tagged corpus.

Oracles: counts made by hand on a tiny corpus (exact fractions); scikit-learn's
MultinomialNB, whose smoothed feature probabilities are the same add-alpha formula counted
independently; hmmlearn's Baum-Welch M-step, which with one-hot posteriors is the
maximum-likelihood estimate; and brute-force enumeration of every tag path for Viterbi.
"""

from __future__ import annotations

import importlib.util
import itertools
from collections import Counter
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from genlab.datasets import UNIVERSAL_TAGS, load_tagged_sentences, resources
from genlab.hmm import CategoricalHMM, estimate_by_counting, viterbi

# Two sentences over the symbols 0..2 with states 0..1: "0 1 2" / "2 2".
X_TINY = np.array([0, 1, 2, 2, 2])
Z_TINY = np.array([0, 1, 1, 1, 0])
LEN_TINY = [3, 2]


def as_fractions(rows):
    return [[Fraction(x).limit_denominator(1000) for x in np.atleast_1d(r)] for r in rows]


def test_counts_by_hand_alpha_one():
    start, trans, emit = estimate_by_counting(X_TINY, Z_TINY, LEN_TINY, alpha=1.0)
    # starts: state 0 once, state 1 once -> (1+1)/(2+2) each
    np.testing.assert_allclose(start, [1 / 2, 1 / 2], rtol=0, atol=1e-15)
    # transitions inside sentences: 0->1, 1->1 (sentence 1); 1->0 (sentence 2)
    # row 0: counts (0, 1) + 1 -> (1, 2)/3; row 1: counts (1, 1) + 1 -> (2, 2)/4
    np.testing.assert_allclose(trans, [[1 / 3, 2 / 3], [1 / 2, 1 / 2]], rtol=0, atol=1e-15)
    # emissions: state 0 emits 0 and 2; state 1 emits 1, 2, 2
    # row 0: (1, 0, 1) + 1 -> (2, 1, 2)/5; row 1: (0, 1, 2) + 1 -> (1, 2, 3)/6
    np.testing.assert_allclose(
        emit, [[2 / 5, 1 / 5, 2 / 5], [1 / 6, 2 / 6, 3 / 6]], rtol=0, atol=1e-15
    )
    assert as_fractions(emit) == [
        [Fraction(2, 5), Fraction(1, 5), Fraction(2, 5)],
        [Fraction(1, 6), Fraction(1, 3), Fraction(1, 2)],
    ]


def test_counts_by_hand_alpha_zero_and_an_unknown_symbol():
    start, trans, emit = estimate_by_counting(X_TINY, Z_TINY, LEN_TINY, n_features=4, alpha=0)
    np.testing.assert_array_equal(start, [0.5, 0.5])
    np.testing.assert_array_equal(trans, [[0, 1], [0.5, 0.5]])
    np.testing.assert_allclose(emit, [[0.5, 0, 0.5, 0], [0, 1 / 3, 2 / 3, 0]], atol=1e-15)
    # with smoothing the unseen symbol 3 gets alpha / (c(k) + M alpha)
    _, _, emit = estimate_by_counting(X_TINY, Z_TINY, LEN_TINY, n_features=4, alpha=0.5)
    np.testing.assert_allclose(emit[:, 3], [0.5 / (2 + 2), 0.5 / (3 + 2)], rtol=1e-15)


def test_no_transition_is_counted_across_sequences():
    _, joined, _ = estimate_by_counting(X_TINY, Z_TINY, alpha=0)  # one sequence
    _, apart, _ = estimate_by_counting(X_TINY, Z_TINY, LEN_TINY, alpha=0)
    # joined adds the step 1 -> 1 between the sentences: row 1 counts (1, 2)
    np.testing.assert_allclose(joined[1], [1 / 3, 2 / 3], rtol=1e-15)
    np.testing.assert_allclose(apart[1], [1 / 2, 1 / 2], rtol=1e-15)


def random_tagged(seed, n_seq=30, K=4, M=7):
    rng = np.random.default_rng(seed)
    lengths = rng.integers(1, 12, size=n_seq)
    z = rng.integers(0, K, size=lengths.sum())
    x = rng.integers(0, M, size=lengths.sum())
    return x, z, lengths, K, M


@pytest.mark.parametrize("alpha", [0.0, 0.1, 1.0, 3.5])
def test_against_multinomial_naive_bayes(alpha):
    # MultinomialNB's feature_log_prob_ is (N_kj + alpha) / (N_k + n_features alpha): the
    # emission rows (class = state, feature = one-hot symbol) and the transition rows
    # (class = previous state, feature = one-hot next state), counted by scikit-learn.
    from sklearn.naive_bayes import MultinomialNB

    x, z, lengths, K, M = random_tagged(1)
    start, trans, emit = estimate_by_counting(x, z, lengths, alpha=alpha)
    a = max(alpha, 1e-300)  # scikit-learn needs alpha > 0 with force_alpha
    nb = MultinomialNB(alpha=a, force_alpha=True).fit(np.eye(M)[x], z)
    np.testing.assert_allclose(np.exp(nb.feature_log_prob_), emit, rtol=1e-13, atol=0)
    ends = np.cumsum(lengths)
    prev = np.concatenate([np.arange(e - n, e - 1) for e, n in zip(ends, lengths, strict=True)])
    nb = MultinomialNB(alpha=a, force_alpha=True).fit(np.eye(K)[z[prev + 1]], z[prev])
    np.testing.assert_allclose(np.exp(nb.feature_log_prob_), trans, rtol=1e-13, atol=0)
    starts = z[ends - lengths]
    expected = (np.bincount(starts, minlength=K) + alpha) / (len(lengths) + K * alpha)
    np.testing.assert_allclose(start, expected, rtol=1e-15)


def test_alpha_zero_is_hmmlearns_m_step_with_known_states():
    # hmmlearn's Baum-Welch M-step maximises the expected complete-data likelihood. Make
    # the states observable: symbol (state, word) is emitted only by its state, so the
    # posteriors are one-hot and one M-step from any such start is the maximum-likelihood
    # estimate from the true states.
    from hmmlearn.hmm import CategoricalHMM as Reference

    x, z, lengths, K, M = random_tagged(2)
    start, trans, emit = estimate_by_counting(x, z, lengths, n_components=K, alpha=0)
    pair = z * M + x  # the symbol (state, word)
    ref = Reference(K, n_iter=1, init_params="", params="ste", implementation="log")
    ref.n_features = K * M
    rng = np.random.default_rng(0)
    ref.startprob_ = np.full(K, 1 / K)
    ref.transmat_ = rng.dirichlet(np.ones(K), size=K)
    table = np.zeros((K, K * M))
    for k in range(K):
        table[k, k * M : (k + 1) * M] = rng.dirichlet(np.ones(M))
    ref.emissionprob_ = table
    ref.fit(pair[:, None], lengths)
    np.testing.assert_allclose(ref.startprob_, start, rtol=0, atol=1e-12)
    np.testing.assert_allclose(ref.transmat_, trans, rtol=0, atol=1e-12)
    folded = ref.emissionprob_.reshape(K, K, M)[np.arange(K), np.arange(K)]
    np.testing.assert_allclose(folded, emit, rtol=0, atol=1e-12)


def test_alpha_zero_maximises_the_complete_likelihood():
    # A perturbation along any direction that keeps the rows stochastic lowers it.
    x, z, lengths, K, M = random_tagged(3)
    start, trans, emit = estimate_by_counting(x, z, lengths, alpha=0)
    ends = np.cumsum(lengths)
    inner = np.concatenate([np.arange(e - n, e - 1) for e, n in zip(ends, lengths, strict=True)])

    def loglik(pi, A, B):
        return (
            np.log(pi[z[ends - lengths]]).sum()
            + np.log(A[z[inner], z[inner + 1]]).sum()
            + np.log(B[z, x]).sum()
        )

    best = loglik(start, trans, emit)
    rng = np.random.default_rng(4)
    for _ in range(50):
        eps = 1e-3
        pi = start + eps * (rng.dirichlet(np.ones(K)) - start)
        A = trans + eps * (rng.dirichlet(np.ones(K), size=K) - trans)
        B = emit + eps * (rng.dirichlet(np.ones(M), size=K) - emit)
        assert loglik(pi, A, B) < best


def test_viterbi_on_a_counted_model_is_the_brute_force_best_path():
    sentences, tags = load_tagged_sentences("train")
    words = sorted({w for s in sentences for w in s})
    tagset = sorted({t for s in tags for t in s})
    w_id, t_id = {w: i for i, w in enumerate(words)}, {t: i for i, t in enumerate(tagset)}
    X = np.array([w_id[w] for s in sentences for w in s])
    Z = np.array([t_id[t] for s in tags for t in s])
    start, trans, emit = estimate_by_counting(X, Z, [len(s) for s in sentences], alpha=0.1)
    K = len(tagset)
    for sentence in (["she", "books", "a", "watch", "."], ["they", "fish", "."]):
        obs = np.array([w_id.get(w, 0) for w in sentence])
        log_b = np.log(emit[:, obs]).T
        log_p, path = viterbi(np.log(start), np.log(trans), log_b)
        paths = np.array(list(itertools.product(range(K), repeat=len(obs))))
        scores = np.log(start)[paths[:, 0]] + log_b[0, paths[:, 0]]
        for t in range(1, len(obs)):
            scores += np.log(trans)[paths[:, t - 1], paths[:, t]] + log_b[t, paths[:, t]]
        best = int(np.argmax(scores))
        assert np.sort(scores)[-1] - np.sort(scores)[-2] > 1e-6  # a unique best path
        np.testing.assert_array_equal(path, paths[best])
        assert log_p == pytest.approx(scores[best], rel=1e-12)
    # the counted model works in the estimator, with init_params=""
    model = CategoricalHMM(K, n_features=len(words), init_params="")
    model.startprob_, model.transmat_, model.emissionprob_ = start, trans, emit
    obs = np.array([w_id[w] for w in ["she", "books", "a", "watch", "."]])
    decoded = [tagset[k] for k in model.predict(obs[:, None])]
    assert decoded == ["PRON", "VERB", "DET", "NOUN", "."]


def test_degenerate_but_legal_input():
    # one step, one state: every table is [[1]]; a state never seen is uniform at alpha=0
    start, trans, emit = estimate_by_counting([0], [0], alpha=0)
    assert start.tolist() == [1.0] and trans.tolist() == [[1.0]] and emit.tolist() == [[1.0]]
    start, trans, emit = estimate_by_counting([[1], [0]], [0, 0], n_components=3, alpha=0)
    np.testing.assert_array_equal(start, [1, 0, 0])
    np.testing.assert_array_equal(trans[1:], np.full((2, 3), 1 / 3))
    np.testing.assert_array_equal(emit[2], [0.5, 0.5])
    # floats holding whole numbers are accepted
    same = estimate_by_counting(X_TINY.astype(float), Z_TINY.astype(float), LEN_TINY)
    for a, b in zip(same, estimate_by_counting(X_TINY, Z_TINY, LEN_TINY), strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"X": [0, 1, -1], "states": [0, 0, 0]}, r"X must hold non-negative integer"),
        ({"X": [0, 1.5], "states": [0, 0]}, r"X\[1\] is 1.5"),
        ({"X": ["a", "b"], "states": [0, 0]}, r"X must hold integer symbols"),
        ({"X": [0, 1], "states": [0, np.nan]}, r"states must hold non-negative"),
        ({"X": [0, 1], "states": [0, 1, 1]}, r"X has 2 steps, states has 3"),
        ({"X": [], "states": []}, r"X is empty"),
        ({"X": [[0, 1]], "states": [0]}, r"shape \(n_samples,\) or \(n_samples, 1\)"),
        ({"X": [0, 1], "states": [0, 1], "lengths": [1, 2]}, r"lengths sum to 3"),
        ({"X": [0, 1], "states": [0, 1], "alpha": -1}, r"alpha must be a finite number >= 0"),
        ({"X": [0, 1], "states": [0, 1], "alpha": np.inf}, r"alpha must be a finite"),
        ({"X": [0, 1], "states": [0, 1], "alpha": "1"}, r"alpha must be a finite"),
        ({"X": [0, 1], "states": [0, 2], "n_components": 2}, r"n_components = 2 is too small"),
        ({"X": [0, 5], "states": [0, 1], "n_features": 3}, r"n_features = 3 is too small"),
        ({"X": [0, 1], "states": [0, 1], "n_features": 2.0}, r"n_features must be an integer"),
        ({"X": [0, 2**40], "states": [0, 1]}, r"X's largest label is"),
        ({"X": [0, 1], "states": [0, 10**6]}, r"states's largest label is"),
    ],
)
def test_bad_input_names_the_problem(kwargs, message):
    with pytest.raises(ValueError, match=message):
        estimate_by_counting(**kwargs)


# ------------------------------------------------------------------- the corpus
def test_tagged_corpus_sizes_and_tags():
    sentences, tags = load_tagged_sentences()
    train, train_tags = load_tagged_sentences("train")
    test, _ = load_tagged_sentences("test")
    assert (len(sentences), len(train), len(test)) == (500, 350, 150)
    assert sum(map(len, train)) == 3184 and sum(map(len, test)) == 1469
    assert all(len(s) == len(t) for s, t in zip(sentences, tags, strict=True))
    assert {t for ts in tags for t in ts} == set(UNIVERSAL_TAGS)  # all twelve are used
    texts = [" ".join(s) for s in sentences]
    assert len(set(texts)) == 500  # distinct: no test sentence is a training sentence
    assert sorted(texts) == sorted(" ".join(s) for s in train + test)
    # words with two tags, and test words never seen in training
    seen = {}
    for s, ts in zip(train, train_tags, strict=True):
        for w, t in zip(s, ts, strict=True):
            seen.setdefault(w, Counter())[t] += 1
    assert {"book", "to", "her", "that", "fish"} <= {w for w, c in seen.items() if len(c) > 1}
    assert sum(w not in seen for s in test for w in s) == 28
    with pytest.raises(ValueError, match="split must be"):
        load_tagged_sentences("dev")


def test_tagged_corpus_is_what_its_script_writes(tmp_path, monkeypatch):
    script = Path(__file__).resolve().parents[1] / "scripts" / "make_tagged_corpus.py"
    spec = importlib.util.spec_from_file_location("make_tagged_corpus", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "OUT", tmp_path / "tagged.tsv")
    module.main()
    shipped = resources.files("genlab").joinpath("data", "tagged_sentences.tsv")
    assert (tmp_path / "tagged.tsv").read_text("utf-8") == shipped.read_text("utf-8")
    assert "Licence: MIT" in shipped.read_text("utf-8")
