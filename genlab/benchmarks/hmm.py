"""Hidden Markov models: score, decode and 20 Baum-Welch iterations, genlab vs hmmlearn.

Full sizes (issue targets): a Gaussian HMM (diag) on 100 sequences x 500 steps, K = 5,
d = 3, and a categorical HMM on one sequence of 50,000 steps, K = 4, M = 8. Both
libraries get identical parameters and settings (hmmlearn with implementation="log"; no
covariance prior on either side; init_params=""); the results (after Baum-Welch: every
fitted parameter; for Viterbi: the log-probability and the path, or, where the two paths
differ, proof that they are exactly tied) are checked equal before timing.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hmmlearn import hmm as hmmlearn

from genlab.benchmarks.harness import Comparison, compare
from genlab.hmm import CategoricalHMM, GaussianHMM


def gaussian_models(K: int, d: int, n_iter: int, seed: int = 0) -> Any:
    rng = np.random.default_rng(seed)
    params = {
        "startprob_": rng.dirichlet(np.ones(K)),
        "transmat_": rng.dirichlet(np.ones(K) * 3, size=K),
        "means_": rng.normal(scale=3.0, size=(K, d)),
        "covars_": rng.uniform(0.5, 2.0, size=(K, d)),
    }

    def make(cls: Any, **kw: Any) -> Any:
        model = cls(K, covariance_type="diag", init_params="", n_iter=n_iter, tol=0.0, **kw)
        for name, value in params.items():
            setattr(model, name, value.copy())
        return model

    return (
        lambda: make(GaussianHMM, covars_prior=0.0),
        lambda: make(hmmlearn.GaussianHMM, covars_prior=0.0, implementation="log"),
    )


def categorical_models(K: int, M: int, n_iter: int, seed: int = 0) -> Any:
    rng = np.random.default_rng(seed)
    params = {
        "startprob_": rng.dirichlet(np.ones(K)),
        "transmat_": rng.dirichlet(np.ones(K) * 3, size=K),
        "emissionprob_": rng.dirichlet(np.ones(M), size=K),
    }

    def make(cls: Any, **kw: Any) -> Any:
        model = cls(K, init_params="", n_iter=n_iter, tol=0.0, **kw)
        for name, value in params.items():
            setattr(model, name, value.copy())
        return model

    return (
        lambda: make(CategoricalHMM, n_features=M),
        lambda: make(hmmlearn.CategoricalHMM, n_features=M, implementation="log"),
    )


def path_log_probability(model: Any, X: Any, lengths: Any, path: Any) -> float:
    """log p(path, X) under an hmmlearn model: start, transitions and emissions."""
    X, path = np.asarray(X), np.asarray(path)
    if hasattr(model, "emissionprob_"):
        log_emission = np.log(model.emissionprob_[path, X[:, 0].astype(int)])
    else:
        covars = np.asarray(model.covars_)
        variances = np.diagonal(covars, axis1=1, axis2=2)[path]  # diagonal covariances
        z2 = (X - model.means_[path]) ** 2 / variances
        log_emission = -0.5 * np.sum(z2 + np.log(2 * np.pi * variances), axis=1)
    total = float(log_emission.sum())
    start = 0
    for n in lengths if lengths is not None else [len(X)]:
        states = path[start : start + n]
        total += np.log(model.startprob_[states[0]])
        total += np.log(model.transmat_[states[:-1], states[1:]]).sum()
        start += n
    return total


def gap(a: Any, b: Any) -> float:
    return float(np.max(np.abs(np.asarray(a, dtype=float) - np.asarray(b, dtype=float))))


def suite(
    label: str,
    ours: Any,
    theirs: Any,
    X: Any,
    lengths: Any,
    sizes: dict[str, Any],
    full: bool,
) -> list[Comparison]:
    """score, decode and 20 Baum-Welch iterations for one pair of model factories."""
    repeats = 5 if full else 3
    our_model, their_model = ours(), theirs()

    def relative(a: Any, b: Any) -> float:
        return float(abs(a - b) / abs(b))

    def same_or_tied_paths(a: Any, b: Any) -> float:
        """The relative difference of the best paths' log-probabilities; where the two
        state paths differ, also of the two paths' own log-probabilities (recomputed
        here), so that only an exact tie (equally probable paths, broken differently)
        passes."""
        (logprob_a, path_a), (logprob_b, path_b) = a, b
        gap = relative(logprob_a, logprob_b)
        if not np.array_equal(path_a, path_b):
            tie = relative(
                path_log_probability(their_model, X, lengths, path_a),
                path_log_probability(their_model, X, lengths, path_b),
            )
            gap = max(gap, tie)
        return gap

    def fitted(make: Any) -> Any:
        model = make().fit(X, lengths)
        if hasattr(model, "means_"):
            covars = np.asarray(model.covars_)
            if covars.ndim == 3:  # hmmlearn reports diagonal covariances as full matrices
                covars = np.diagonal(covars, axis1=1, axis2=2)
            emissions = [model.means_.ravel(), covars.ravel()]
        else:
            emissions = [model.emissionprob_.ravel()]
        return np.concatenate([model.transmat_.ravel(), model.startprob_, *emissions])

    return [
        compare(
            f"{label} score",
            lambda: our_model.score(X, lengths),
            lambda: their_model.score(X, lengths),
            peer_name="hmmlearn",
            discrepancy=relative,
            tolerance=1e-9,
            repeats=repeats,
            sizes=sizes,
        ),
        compare(
            f"{label} decode (Viterbi)",
            lambda: our_model.decode(X, lengths),
            lambda: their_model.decode(X, lengths),
            peer_name="hmmlearn",
            discrepancy=same_or_tied_paths,
            tolerance=1e-9,
            repeats=repeats,
            sizes=sizes,
        ),
        compare(
            f"{label} 20 Baum-Welch iterations",
            lambda: fitted(ours),
            lambda: fitted(theirs),
            peer_name="hmmlearn",
            discrepancy=gap,
            tolerance=1e-9,
            repeats=3 if full else 2,
            sizes=sizes,
        ),
    ]


def run(full: bool = True) -> list[Comparison]:
    n_seq, T = (100, 500) if full else (20, 500)
    T_cat = 50_000 if full else 10_000
    ours, theirs = gaussian_models(5, 3, 20)
    X, _ = theirs().sample(n_seq * T, random_state=1)
    results = suite(
        "GaussianHMM",
        ours,
        theirs,
        X,
        [T] * n_seq,
        {"n_sequences": n_seq, "n_steps": T, "n_states": 5, "n_features": 3},
        full,
    )
    ours, theirs = categorical_models(4, 8, 20)
    X, _ = theirs().sample(T_cat, random_state=1)
    results += suite(
        "CategoricalHMM",
        ours,
        theirs,
        X,
        None,
        {"n_sequences": 1, "n_steps": T_cat, "n_states": 4, "n_symbols": 8},
        full,
    )
    return results
