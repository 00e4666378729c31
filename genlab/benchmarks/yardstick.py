"""The scoreboard of the likelihood yardstick: every model's bits per pixel, sample quality,
size and cost, recorded for the chapter "The VAE's likelihood and the scoreboard".

This is not a peer comparison. It fits every model of the chapters "One yardstick:
likelihood in bits per pixel", "Diffusion models: learning to remove noise" and "The VAE's
likelihood and the scoreboard" once, with the settings those chapters choose on their
validation images (repeated here), on the same split of the 8x8 digits, and records for
each model:

* its test bits per pixel, and whether that number is exact, a bound or an estimate; the
  test suite (``tests/test_yardstick_record.py``) checks that these equal the numbers the
  chapters print, so that the scoreboard shows what the executed chapters computed;
* its number of parameters;
* the quality of :data:`N_SAMPLES` samples: the digit FID against the test digits and the
  class coverage, both under one classifier trained on the fit digits
  (:mod:`genlab.quality`);
* the time to train it and to draw the samples, on the machine named in the record;
* eight of its samples, for the chapter's grid.

The chapters train the three large networks (MADE, RealNVP, the DDPM) within their time
budgets; doing it again in one notebook would not fit, so the scoreboard reads this record.
Written to ``genlab/data/records/yardstick.json`` by ``python -m genlab.benchmarks.yardstick``
(about two minutes on two cores; run it under the pinned arithmetic,
``python -m genlab.reproducibility python -m genlab.benchmarks.yardstick``, as ``make bench``
does), and by a full ``make bench``.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from genlab.autoregressive import MADE, train_made
from genlab.benchmarks.harness import machine
from genlab.diffusion import DDPM, nll_bound_terms, train_ddpm
from genlab.discrete import CategoricalMixture, IndependentCategorical
from genlab.discrete_vae import CategoricalVAE, train_categorical_vae
from genlab.flow import RealNVP, train_flow
from genlab.gaussian import MultivariateNormal
from genlab.likelihood import (
    DIGITS_LEVELS,
    bits_per_pixel,
    dequantize,
    dequantized_bits_per_pixel,
    digits_split,
    discrete_bits_per_pixel,
)
from genlab.mixture import GaussianMixture
from genlab.naive_bayes import GaussianNB
from genlab.numerics import logsumexp
from genlab.quality import class_coverage, digit_fid, train_feature_classifier

SEED = 2026
#: Samples drawn from every model for its sample quality (as many as there are test digits).
N_SAMPLES = 360
#: Samples stored in the record for the chapter's grid.
N_SHOWN = 8
#: The VAE of the chapter "The VAE's likelihood and the scoreboard".
VAE_SETTINGS: dict[str, Any] = {"latent_dim": 8, "hidden": 256}
VAE_TRAINING: dict[str, Any] = {
    "epochs": 60,
    "batch_size": 64,
    "lr": 1e-3,
    "seed": 0,
    "patience": 8,
}
#: Importance samples per image of the VAE's estimate of log P(x).
VAE_K = 1000

L = DIGITS_LEVELS


@dataclass
class Data:
    """The yardstick's split, and the dequantized fit images of the continuous models."""

    X_fit: np.ndarray
    X_val: np.ndarray
    X_test: np.ndarray
    y_fit: np.ndarray
    Y_fit: np.ndarray


@dataclass
class Entry:
    """One model of the scoreboard: how to fit it, score it, sample it and count it."""

    name: str
    chapter: str
    likelihood: str  # "exact", "bound" or "estimate"
    setting: str
    fit: Callable[[Data], Any]
    score: Callable[[Any, Data], float]  # test bits per pixel
    sample: Callable[[Any, int], np.ndarray]  # n images as levels, (n, 64) integers
    parameters: Callable[[Any], int]


def to_levels(Y: np.ndarray) -> np.ndarray:
    """Map points of the unit cube back to levels, floor(L y) clipped to 0..L-1."""
    levels: np.ndarray = np.clip(np.floor(np.asarray(Y) * L), 0, L - 1).astype(np.intp)
    return levels


def dequantized_bound(model: Any, data: Data) -> float:
    """The chapters' bound: 10 draws of dequantization noise per test image, seed 0."""
    return float(dequantized_bits_per_pixel(model, data.X_test, L, n_draws=10, random_state=0))


def exact(model: Any, data: Data) -> float:
    """A discrete model's exact test bits per pixel."""
    return float(discrete_bits_per_pixel(model, data.X_test))


def free_parameters(module: nn.Module) -> int:
    """Trainable numbers of a network; for masked layers, only the connections that exist."""
    total = 0
    for name, p in module.named_parameters():
        owner = module.get_submodule(name.rsplit(".", 1)[0]) if "." in name else module
        mask = getattr(owner, "mask", None)
        if mask is not None and name.endswith("weight"):
            total += int(mask.sum())
        else:
            total += p.numel()
    return total


class NaiveBayesDensity:
    """Gaussian naive Bayes as a density of x: log p(x) = log sum_c p(c) p(x | c)."""

    def __init__(self, model: GaussianNB):
        self.model = model

    def score_samples(self, Y: np.ndarray) -> np.ndarray:
        """log p(y) of each row."""
        return np.asarray(logsumexp(self.model.predict_joint_log_proba(Y), axis=1))


def fit_made(data: Data) -> MADE:
    """Chapter "One yardstick": one hidden layer of 512, early stopping with patience 4."""
    torch.manual_seed(SEED)  # as the chapters do, before building a network
    made = MADE(64, L, hidden_sizes=(512,))
    train_made(
        made,
        data.X_fit,
        X_val=data.X_val,
        epochs=20,
        batch_size=32,
        lr=1e-3,
        seed=0,
        patience=4,
        progress=False,
    )
    return made


def fit_realnvp(data: Data) -> RealNVP:
    """Chapter "One yardstick": six couplings of width 256, 24 epochs, best on validation."""
    torch.manual_seed(SEED)
    flow = RealNVP(64, n_layers=6, hidden=256)
    train_flow(
        flow,
        data.X_fit,
        L,
        X_val=data.X_val,
        epochs=24,
        batch_size=64,
        lr=1e-3,
        seed=0,
        progress=False,
    )
    return flow


def fit_ddpm(data: Data) -> DDPM:
    """Chapter "Diffusion models": T = 200, beta from 0.016 to 0.1, 2,000 steps of Adam."""
    torch.manual_seed(SEED)
    ddpm = DDPM(64, L, n_steps=200, hidden=256, beta_start=0.016, beta_end=0.1)
    train_ddpm(ddpm, data.X_fit, steps=2000, batch_size=128, lr=2e-3, seed=0, progress=False)
    return ddpm


def ddpm_bound(ddpm: DDPM, data: Data) -> float:
    """The DDPM's variational bound on the test images, one draw per image and term."""
    terms = nll_bound_terms(ddpm, data.X_test, generator=torch.Generator().manual_seed(0))
    return float(bits_per_pixel(float(terms.sum(dim=1).mean()), 64))


def fit_vae(data: Data) -> CategoricalVAE:
    """Chapter "The VAE's likelihood and the scoreboard": see VAE_SETTINGS, VAE_TRAINING."""
    torch.manual_seed(SEED)
    vae = CategoricalVAE(64, L, **VAE_SETTINGS)
    train_categorical_vae(vae, data.X_fit, X_val=data.X_val, progress=False, **VAE_TRAINING)
    return vae


def vae_estimate(vae: CategoricalVAE, data: Data) -> float:
    """The importance-weighted estimate of log P(x) with VAE_K draws per test image."""
    return float(discrete_bits_per_pixel(_IWAE(vae), data.X_test))


class _IWAE:
    def __init__(self, vae: CategoricalVAE):
        self.vae = vae

    def score_samples(self, X: np.ndarray) -> np.ndarray:
        return self.vae.score_samples(X, k=VAE_K, random_state=0)


def torch_sampler(model: Any) -> Callable[[int], np.ndarray]:
    """A torch model's ``sample`` with the book's seed, as levels."""

    def draw(n: int) -> np.ndarray:
        out = model.sample(n, generator=torch.Generator().manual_seed(SEED))
        return np.asarray(out.numpy())

    return draw


def full_covariance(d: int) -> int:
    """Free numbers of one Gaussian in d dimensions: a mean and a symmetric covariance."""
    return d + d * (d + 1) // 2


ENTRIES: list[Entry] = [
    Entry(
        "uniform coding",
        "chap-yardstick",
        "exact",
        "-",
        lambda data: None,
        lambda model, data: math.log2(L),
        lambda model, n: np.random.default_rng(SEED).integers(0, L, size=(n, 64)),
        lambda model: 0,
    ),
    Entry(
        "independent pixels (categorical)",
        "chap-yardstick",
        "exact",
        "alpha = 0.3",
        lambda data: IndependentCategorical(L, alpha=0.3).fit(data.X_fit),
        exact,
        lambda model, n: model.sample(n, random_state=SEED),
        lambda model: 64 * (L - 1),
    ),
    Entry(
        "mixture of categoricals",
        "chap-yardstick",
        "exact",
        "K = 20",
        lambda data: CategoricalMixture(
            n_components=20, n_levels=L, alpha=0.3, max_iter=500, tol=1e-6, random_state=0
        ).fit(data.X_fit),
        exact,
        lambda model, n: model.sample(n, random_state=SEED)[0],
        lambda model: 20 * 64 * (L - 1) + 19,
    ),
    Entry(
        "Gaussian naive Bayes (10 classes)",
        "chap-yardstick",
        "bound",
        "var_smoothing = 0.0001",
        lambda data: NaiveBayesDensity(GaussianNB(var_smoothing=1e-4).fit(data.Y_fit, data.y_fit)),
        dequantized_bound,
        lambda model, n: to_levels(model.model.sample(n, random_state=SEED)[0]),
        lambda model: 10 * 2 * 64 + 9,
    ),
    Entry(
        "one full Gaussian",
        "chap-yardstick",
        "bound",
        "reg_covar = 0.0001",
        lambda data: MultivariateNormal(reg_covar=1e-4).fit(data.Y_fit),
        dequantized_bound,
        lambda model, n: to_levels(model.sample(n, random_state=SEED)),
        lambda model: full_covariance(64),
    ),
    Entry(
        "Gaussian mixture (full)",
        "chap-yardstick",
        "bound",
        "K = 5",
        lambda data: GaussianMixture(5, reg_covar=1e-4, max_iter=200, random_state=0).fit(
            data.Y_fit
        ),
        dequantized_bound,
        lambda model, n: to_levels(model.sample(n, random_state=SEED)[0]),
        lambda model: 5 * full_covariance(64) + 4,
    ),
    Entry(
        "RealNVP (flow)",
        "chap-yardstick",
        "bound",
        "6 couplings, best epoch",
        fit_realnvp,
        dequantized_bound,
        lambda model, n: to_levels(torch_sampler(model)(n)),
        free_parameters,
    ),
    Entry(
        "MADE (autoregressive)",
        "chap-yardstick",
        "exact",
        "512 hidden, best epoch",
        fit_made,
        exact,
        lambda model, n: torch_sampler(model)(n),
        free_parameters,
    ),
    Entry(
        "DDPM, T = 200",
        "chap-diffusion",
        "bound",
        "T = 200",
        fit_ddpm,
        ddpm_bound,
        lambda model, n: torch_sampler(model)(n),
        free_parameters,
    ),
    Entry(
        "VAE, categorical decoder",
        "chap-scoreboard",
        "estimate",
        f"latent {VAE_SETTINGS['latent_dim']}, IWAE S = {VAE_K}",
        fit_vae,
        vae_estimate,
        lambda model, n: torch_sampler(model)(n),
        free_parameters,
    ),
]


def load_data() -> Data:
    """The yardstick's split with the book's seed, and the dequantized fit images."""
    X_fit, X_val, X_test, y_fit, _, _ = digits_split(SEED)
    return Data(X_fit, X_val, X_test, y_fit, dequantize(X_fit, L, random_state=1))


def run(report: Callable[[str], object] = print) -> dict[str, Any]:
    """Fit, score and sample every model once; return the record (without the machine)."""
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    data = load_data()
    classifier = train_feature_classifier(data.X_fit, data.y_fit, n_levels=L, progress=False)
    accuracy = float(np.mean(classifier.predict(data.X_test) == digits_split(SEED)[5]))
    real = {
        "fid": digit_fid(classifier, data.X_test, data.X_val),
        "total_variation": class_coverage(classifier, data.X_val)["total_variation"],
    }
    rows = []
    for entry in ENTRIES:
        start = time.perf_counter()
        model = entry.fit(data)
        fit_s = time.perf_counter() - start
        bpp = entry.score(model, data)
        start = time.perf_counter()
        samples = np.asarray(entry.sample(model, N_SAMPLES), dtype=np.intp)
        sample_s = time.perf_counter() - start
        coverage = class_coverage(classifier, samples)
        row = {
            "name": entry.name,
            "chapter": entry.chapter,
            "likelihood": entry.likelihood,
            "setting": entry.setting,
            "bits_per_pixel": bpp,
            "parameters": int(entry.parameters(model)),
            "fid": digit_fid(classifier, data.X_test, samples),
            "total_variation": float(coverage["total_variation"]),
            "missed": [int(c) for c in coverage["missed"]],
            "fit_s": fit_s,
            "sample_s": sample_s,
            "samples": samples[:N_SHOWN].tolist(),
        }
        if isinstance(model, CategoricalVAE):
            with torch.no_grad():
                elbo = model.elbo(
                    torch.as_tensor(data.X_test), generator=torch.Generator().manual_seed(0)
                )
            row["elbo_bits_per_pixel"] = float(bits_per_pixel(-float(elbo.mean()), 64))
        rows.append(row)
        report(
            f"{entry.name:<28} {bpp:.4f} bpp  FID {row['fid']:8.3f}  "
            f"fit {fit_s:7.2f} s  sample {sample_s:6.3f} s"
        )
    return {
        "n_test": len(data.X_test),
        "n_samples": N_SAMPLES,
        "classifier": {"hidden": 64, "seed": 0, "test_accuracy": accuracy},
        "real": real,
        "results": rows,
    }


def record(path: Path) -> None:
    """Run and write the record, with the machine it ran on."""
    payload = {"machine": machine(), **run()}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=1) + "\n")


if __name__ == "__main__":
    from genlab.benchmarks import RECORDS

    record(RECORDS / "yardstick.json")
