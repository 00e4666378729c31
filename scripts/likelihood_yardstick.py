"""The likelihood yardstick on the 8x8 digits: test bits per pixel of the classical models.

Run from the repository root: ``python scripts/likelihood_yardstick.py``. Every
setting is chosen on the validation images of ``genlab.likelihood.digits_split``; the
test images are scored once. Discrete models give exact bits per pixel; continuous
densities are fitted to dequantized images and give an upper bound (the dequantization
bound, ``genlab.likelihood.dequantized_bits_per_pixel``, 10 draws per image, seed 0).
"""

from __future__ import annotations

import time
import warnings

import numpy as np

from genlab.discrete import CategoricalMixture, IndependentCategorical
from genlab.gaussian import MultivariateNormal
from genlab.likelihood import (
    DIGITS_LEVELS,
    dequantize,
    dequantized_bits_per_pixel,
    digits_split,
    discrete_bits_per_pixel,
)
from genlab.mixture import ConvergenceWarning, GaussianMixture
from genlab.naive_bayes import GaussianNB
from genlab.numerics import logsumexp

L = DIGITS_LEVELS
X_fit, X_val, X_test, y_fit, y_val, y_test = digits_split()
Y_fit = dequantize(X_fit, L, random_state=1)  # the continuous models' training data


def nb_density(model: GaussianNB):
    """log p(x) = log sum_c p(c) p(x | c): Gaussian naive Bayes as a density of x."""
    return lambda Y: logsumexp(model.predict_joint_log_proba(Y), axis=1)


def select(name, candidates, fit, score):
    """Fit every candidate setting, keep the best on validation, score it on test."""
    rows = []
    for setting in candidates:
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model = fit(setting)
        seconds = time.perf_counter() - t0
        rows.append((score(model, X_val), setting, model, seconds))
        print(f"  {name} {setting}: validation {rows[-1][0]:.4f} bpp, fit {seconds:.2f} s")
    best = min(rows, key=lambda r: r[0])
    test = score(best[2], X_test)
    extra = f", {best[2].n_iter_} EM iterations" if hasattr(best[2], "n_iter_") else ""
    print(f"{name}: chosen {best[1]}, test {test:.4f} bpp (fit {best[3]:.2f} s{extra})")
    return name, best[1], best[0], test, best[3], best[2]


def exact(model, X):
    return discrete_bits_per_pixel(model, X)


def bound(model, X):
    return dequantized_bits_per_pixel(model, X, L, n_draws=10, random_state=0)


def main() -> None:
    print(f"uniform coding: {np.log2(L):.4f} bpp")
    results = [
        select(
            "IndependentCategorical (exact)",
            [{"alpha": a} for a in (0.01, 0.1, 0.3, 1.0)],
            lambda s: IndependentCategorical(L, **s).fit(X_fit),
            exact,
        ),
        select(
            "CategoricalMixture (exact)",
            [
                {"n_components": k, "alpha": a}
                for k in (1, 2, 5, 10, 20, 40)
                for a in (0.01, 0.03, 0.1, 0.3)
            ],
            lambda s: CategoricalMixture(
                n_levels=L, max_iter=500, tol=1e-6, random_state=0, **s
            ).fit(X_fit),
            exact,
        ),
        select(
            "GaussianNB, class mixture (bound)",
            [{"var_smoothing": v} for v in (1e-9, 1e-4, 1e-3, 1e-2, 1e-1)],
            lambda s: nb_density(GaussianNB(**s).fit(Y_fit, y_fit)),
            bound,
        ),
        select(
            "diagonal Gaussian (bound)",
            [{"reg_covar": r} for r in (1e-6,)],
            lambda s: GaussianMixture(1, covariance_type="diag", random_state=0, **s).fit(Y_fit),
            bound,
        ),
        select(
            "full Gaussian (bound)",
            [{"reg_covar": r} for r in (1e-5, 1e-4, 1e-3, 1e-2)],
            lambda s: MultivariateNormal(**s).fit(Y_fit),
            bound,
        ),
        select(
            "GaussianMixture full (bound)",
            [{"n_components": k, "reg_covar": r} for k in (1, 2, 5, 10, 20) for r in (1e-4, 1e-3)],
            lambda s: GaussianMixture(random_state=0, max_iter=200, **s).fit(Y_fit),
            bound,
        ),
    ]
    print("\n| model | chosen | validation bpp | test bpp | fit time |")
    print("|---|---|---|---|---|")
    for name, setting, val, test, seconds, _ in results:
        print(f"| {name} | {setting} | {val:.4f} | {test:.4f} | {seconds:.2f} s |")
    print("\nContinuous models, test bpp: Jensen bound (10 draws) and the importance")
    print("estimate log mean p (average='probability') with K draws")
    for name, _, _, test, _, model in results:
        if "bound" not in name:
            continue
        iw = [
            dequantized_bits_per_pixel(
                model, X_test, L, n_draws=k, random_state=0, average="probability"
            )
            for k in (1, 10, 100)
        ]
        print(f"| {name} | {test:.4f} | " + " | ".join(f"{v:.4f}" for v in iw) + " |")


if __name__ == "__main__":
    main()
