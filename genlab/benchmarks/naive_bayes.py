"""Naive Bayes: fit + predict_log_proba, genlab vs scikit-learn, on equal inputs.

Full sizes (issue targets): GaussianNB on 200k x 50 with 10 classes; MultinomialNB and
BernoulliNB on 50k x 2k counts. ``full=False`` runs reduced sizes for the book.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn import naive_bayes as skl

from genlab import naive_bayes as gl
from genlab.benchmarks.harness import Comparison, compare


def max_abs(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(a - b)))


def gaussian_data(n: int, d: int, k: int, seed: int = 0) -> tuple[Any, Any]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, size=n)
    centers = rng.normal(scale=2.0, size=(k, d))
    X = centers[y] + rng.normal(size=(n, d)) * rng.uniform(0.5, 2.0, size=(k, d))[y]
    return X, y


def count_data(n: int, d: int, k: int, seed: int = 0) -> tuple[Any, Any]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, size=n)
    rates = rng.gamma(0.3, 1.0, size=(k, d))
    return rng.poisson(rates[y]).astype(np.float64), y


def fit_predict(model_cls: Any, X: Any, y: Any, **kw: Any) -> Any:
    return lambda: model_cls(**kw).fit(X, y).predict_log_proba(X)


def run(full: bool = True) -> list[Comparison]:
    n_g, d_g = (200_000, 50) if full else (20_000, 50)
    n_c, d_c = (50_000, 2_000) if full else (5_000, 500)
    X, y = gaussian_data(n_g, d_g, 10)
    C, yc = count_data(n_c, d_c, 10)
    repeats = 7 if full else 3
    cases = [("GaussianNB", X, y), ("MultinomialNB", C, yc), ("BernoulliNB", C, yc)]
    return [
        compare(
            f"{model} fit + predict_log_proba",
            fit_predict(getattr(gl, model), data, labels),
            fit_predict(getattr(skl, model), data, labels),
            peer_name="scikit-learn",
            discrepancy=max_abs,
            tolerance=1e-6,
            repeats=repeats,
            sizes={"n_samples": data.shape[0], "n_features": data.shape[1], "n_classes": 10},
        )
        for model, data, labels in cases
    ]
