"""Gaussian mixtures: EM iterations, genlab vs scikit-learn, from identical starts.

Full size (issue target): 50k x 16, K = 8, "full" and "diag" covariances. Both libraries
get the same initial weights, means and precisions and run the same fixed number of
iterations (tol=0); the results are checked equal before timing. The time per iteration
is the time for 20 iterations divided by 20, set-up (validation, the first E-step) included
on both sides. (An earlier version subtracted the time of a 1-iteration fit to remove the
set-up; under load that difference of two noisy medians could even come out negative.)

End-to-end short fits: construction and ``fit`` with every starting value given
(weights_init, means_init, precisions_init), for 1, 10 and 100 EM iterations (1 and 10 at
the reduced size, which the book's performance page runs live). With all of them given,
the fit needs no initialisation beyond checking them (no k-means, no responsibilities); a
short fit shows whatever set-up either side still does.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from sklearn.exceptions import ConvergenceWarning as SklearnConvergenceWarning
from sklearn.mixture import GaussianMixture as SklearnGMM

from genlab.benchmarks.harness import Comparison, compare
from genlab.mixture import ConvergenceWarning, GaussianMixture

N_ITER = 20
SHORT_FITS = (1, 10, 100)


def data(n: int, d: int, k: int, seed: int = 0) -> Any:
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, k, size=n)
    centers = rng.normal(scale=4.0, size=(k, d))
    return centers[labels] + rng.normal(size=(n, d)) * rng.uniform(0.5, 1.5, size=(k, d))[labels]


def starting_point(X: np.ndarray, k: int, covariance_type: str) -> Any:
    d = X.shape[1]
    means = X[np.random.default_rng(1).choice(len(X), k, replace=False)]
    precisions = np.array([np.eye(d)] * k) if covariance_type == "full" else np.ones((k, d))
    return {
        "weights_init": np.full(k, 1 / k),
        "means_init": means,
        "precisions_init": precisions,
        "init_params": "random",
        "random_state": 0,
    }


def fitter(cls: Any, X: Any, k: int, covariance_type: str, n_iter: int) -> Any:
    kw = {
        "n_components": k,
        "covariance_type": covariance_type,
        "max_iter": n_iter,
        "tol": 0.0,
        **starting_point(X, k, covariance_type),
    }

    def fit() -> Any:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            warnings.simplefilter("ignore", SklearnConvergenceWarning)
            model = cls(**kw).fit(X)
        return np.concatenate([model.weights_, model.means_.ravel(), np.ravel(model.covariances_)])

    return fit


def run(full: bool = True) -> list[Comparison]:
    n, d, k = (50_000, 16, 8) if full else (10_000, 16, 8)
    X = data(n, d, k)
    results = []
    for covariance_type in ("full", "diag"):
        fits = compare(
            f"GaussianMixture {covariance_type}, {N_ITER} EM iterations",
            fitter(GaussianMixture, X, k, covariance_type, N_ITER),
            fitter(SklearnGMM, X, k, covariance_type, N_ITER),
            peer_name="scikit-learn",
            discrepancy=lambda a, b: float(np.max(np.abs(a - b))),
            tolerance=1e-6,
            repeats=5 if full else 3,
            sizes={"n_samples": n, "n_features": d, "n_components": k},
        )
        results.append(
            Comparison(
                name=f"GaussianMixture {covariance_type}: time per EM iteration",
                peer="scikit-learn",
                genlab_s=fits.genlab_s / N_ITER,
                peer_s=fits.peer_s / N_ITER,
                discrepancy=fits.discrepancy,
                tolerance=fits.tolerance,
                repeats=fits.repeats,
                sizes=fits.sizes | {"em_iterations": N_ITER},
            )
        )
    for covariance_type in ("full", "diag"):
        for n_iter in SHORT_FITS if full else SHORT_FITS[:2]:
            iterations = f"{n_iter} EM iteration" + ("s" if n_iter > 1 else "")
            results.append(
                compare(
                    f"GaussianMixture {covariance_type}: fit, {iterations}",
                    fitter(GaussianMixture, X, k, covariance_type, n_iter),
                    fitter(SklearnGMM, X, k, covariance_type, n_iter),
                    peer_name="scikit-learn",
                    discrepancy=lambda a, b: float(np.max(np.abs(a - b))),
                    tolerance=1e-6,
                    repeats=(3 if n_iter == 100 else 5) if full else 3,
                    sizes={
                        "n_samples": n,
                        "n_features": d,
                        "n_components": k,
                        "em_iterations": n_iter,
                    },
                )
            )
    return results
