"""Gaussian Bayes classifier: fit + predict_proba, genlab vs scikit-learn's QDA.

Full size (issue target): 50k x 20 with 5 classes. scikit-learn >= 1.9 estimates QDA's
class covariances with divisor n, which is genlab's default (ddof=0); the results are
checked equal before timing.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.discriminant_analysis import QuadraticDiscriminantAnalysis

from genlab.benchmarks.harness import Comparison, compare
from genlab.gaussian import GaussianClassifier


def data(n: int, d: int, k: int, seed: int = 0) -> tuple[Any, Any]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, size=n)
    centers = rng.normal(scale=2.0, size=(k, d))
    mixing = 0.4 * rng.normal(size=(k, d, d)) / np.sqrt(d) + np.eye(d)
    X = centers[y] + np.einsum("nij,nj->ni", mixing[y], rng.normal(size=(n, d)))
    return X, y


def run(full: bool = True) -> list[Comparison]:
    n, d, k = (50_000, 20, 5) if full else (10_000, 20, 5)
    X, y = data(n, d, k)
    return [
        compare(
            "GaussianClassifier fit + predict_proba",
            lambda: GaussianClassifier().fit(X, y).predict_proba(X),
            lambda: QuadraticDiscriminantAnalysis().fit(X, y).predict_proba(X),
            peer_name="scikit-learn QDA",
            discrepancy=lambda a, b: float(np.max(np.abs(a - b))),
            tolerance=1e-8,
            repeats=7 if full else 3,
            sizes={"n_samples": n, "n_features": d, "n_classes": k},
        )
    ]
