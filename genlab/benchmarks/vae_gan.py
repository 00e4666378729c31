"""VAE against GAN over several seeds: the record of the chapter "VAE against GAN on real MNIST".

This is not a peer comparison. The chapter trains one VAE and one GAN on 8,000 real MNIST
digits, with the seed :data:`SEEDS` [0], and measures the notes' claims about them. One run
per model cannot say whether *training* is stable, and five runs of each would not fit in a
notebook's minute, so this module repeats the chapter's recipe for every seed in
:data:`SEEDS` and records, for each run:

* the per-epoch training curves (the VAE's loss; the GAN's two losses and the
  discriminator's mean scores of real and generated digits);
* the digit FID of :data:`N_SAMPLES` samples against the 2,000 test digits, their class
  histogram under the chapter's judge (its total variation from uniform and the classes
  missed), and their sharpness (Laplacian variance, gradient magnitude);
* the fit time, and eight samples as grey levels.

The runs are the VAE, the GAN with the non-saturating generator loss (the chapter's), and the
GAN with the original saturating loss. The first seed's VAE and non-saturating GAN are the
chapter's own models, so ``tests/test_vae_gan_record.py`` checks the record's numbers for
that seed against the ones the executed chapter prints.

Written to ``genlab/data/records/vae_gan.json`` by ``python -m genlab.benchmarks.vae_gan``
(about four minutes on one core) under the pinned arithmetic
(``python -m genlab.reproducibility python -m genlab.benchmarks.vae_gan``, as ``make bench``
does).
"""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray

from genlab.benchmarks.harness import machine
from genlab.datasets import load_mnist
from genlab.gan import Discriminator, Generator, train_gan
from genlab.quality import FeatureClassifier, class_coverage, digit_fid, train_feature_classifier
from genlab.sharpness import gradient_magnitude, laplacian_variance
from genlab.vae import VAE, bernoulli_nll, kl_divergence, train

#: The chapter's seed first, then four more.
SEEDS = (2026, 1, 2, 3, 4)
#: Samples drawn from every run for its sample quality.
N_SAMPLES = 10_000
#: Samples stored in the record for a grid.
N_SHOWN = 8
#: The chapter's settings: one code size, one width, for both models.
LATENT, HIDDEN = 16, 256
VAE_TRAINING: dict[str, Any] = {"epochs": 7, "batch_size": 128, "lr": 1e-3}
GAN_TRAINING: dict[str, Any] = {"epochs": 7, "batch_size": 64, "lr": 6e-4, "betas": (0.5, 0.999)}
#: The chapter's budget, then twice as many epochs (without the saturating GAN).
BUDGETS: dict[str, int] = {"chapter": 1, "double": 2}
#: The judge: the chapter's classifier of real digits.
JUDGE: dict[str, Any] = {"hidden": 64, "epochs": 10, "seed": 2026}


def split() -> tuple[NDArray[Any], NDArray[Any], NDArray[Any], NDArray[Any]]:
    """The chapters' split of the 10,000 digits: grey levels of 8,000 and 2,000, and labels."""
    images, labels = load_mnist()
    levels = images.reshape(len(images), -1).astype(np.int64)
    order = np.random.default_rng(SEEDS[0]).permutation(len(levels))
    train_idx, test_idx = order[:8000], order[8000:]
    return levels[train_idx], levels[test_idx], labels[train_idx], labels[test_idx]


def to_levels(images: NDArray[np.float64]) -> NDArray[np.int64]:
    """Intensities in [0, 1] as the nearest of the 256 grey levels."""
    return np.round(images * 255).astype(np.int64)


def quality(judge: FeatureClassifier, real: NDArray[Any], samples: NDArray[Any]) -> dict[str, Any]:
    """Digit FID, class histogram and sharpness of samples (intensities in [0, 1])."""
    levels = to_levels(samples)
    coverage = class_coverage(judge, levels)
    return {
        "fid": digit_fid(judge, real, levels),
        "counts": [int(c) for c in coverage["counts"]],
        "total_variation": float(coverage["total_variation"]),
        "missed": [int(c) for c in coverage["missed"]],
        "laplacian_variance": float(laplacian_variance(samples, (28, 28)).mean()),
        "gradient_magnitude": float(gradient_magnitude(samples, (28, 28)).mean()),
        "samples": levels[:N_SHOWN].tolist(),
    }


def vae_samples(vae: VAE, n: int, seed: int) -> NDArray[np.float64]:
    """The decoder's means at n codes from the prior, evaluated in float64."""
    model = copy.deepcopy(vae).double().eval()
    draws = torch.Generator().manual_seed(seed)
    out: NDArray[np.float64] = model.sample(n, generator=draws).numpy()
    return out


def gan_samples(generator: Generator, n: int, seed: int) -> NDArray[np.float64]:
    """The generator's images at n noise draws, evaluated in float64."""
    model = copy.deepcopy(generator).double()
    draws = torch.Generator().manual_seed(seed)
    out: NDArray[np.float64] = model.sample(n, generator=draws).numpy()
    return out


def vae_test_loss(vae: VAE, X_test: NDArray[np.float64], seed: int) -> dict[str, float]:
    """The negative ELBO in nats per test image, averaged over 10 draws of the code
    (float64), with its two terms; as the chapter computes it."""
    model = copy.deepcopy(vae).double().eval()
    x = torch.as_tensor(X_test)
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        mu, logvar = model.encode(x)
        draws = [model.reparameterize(mu, logvar, g) for _ in range(10)]
        rec = torch.stack([bernoulli_nll(model.decode(z), x) for z in draws]).mean(0)
        kl = kl_divergence(mu, logvar)
    return {
        "negative_elbo": float((rec + kl).mean()),
        "reconstruction": float(rec.mean()),
        "kl": float(kl.mean()),
    }


def run(report: Callable[[str], object] = print) -> dict[str, Any]:
    """Train and measure every run; return the record (without the machine)."""
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    train_levels, test_levels, y_train, y_test = split()
    X_train, X_test = train_levels / 255.0, test_levels / 255.0
    judge = train_feature_classifier(train_levels, y_train, n_levels=256, progress=False, **JUDGE)
    judge = copy.deepcopy(judge).double()
    accuracy = float(np.mean(judge.predict(test_levels) == y_test))
    runs = []
    plan = [
        (budget, seed, name)
        for budget in BUDGETS
        for seed in SEEDS
        for name in ("vae", "gan", "gan_saturating")
        if budget == "chapter" or name != "gan_saturating"
    ]
    for budget, seed, name in plan:
        factor = BUDGETS[budget]
        torch.manual_seed(seed)
        start = time.perf_counter()
        if name == "vae":
            vae = VAE(784, HIDDEN, LATENT)
            vae_settings = {**VAE_TRAINING, "epochs": factor * VAE_TRAINING["epochs"]}
            history = train(vae, X_train, seed=seed, progress=False, **vae_settings)
            fit_s = time.perf_counter() - start
            samples = vae_samples(vae, N_SAMPLES, seed)
            extra: dict[str, Any] = {"test": vae_test_loss(vae, X_test, seed)}
        else:
            G, D = Generator(LATENT, HIDDEN, 784), Discriminator(784, HIDDEN)
            history = train_gan(
                G,
                D,
                X_train,
                seed=seed,
                saturating=name == "gan_saturating",
                progress=False,
                **{**GAN_TRAINING, "epochs": factor * GAN_TRAINING["epochs"]},
            )
            fit_s = time.perf_counter() - start
            samples = gan_samples(G, N_SAMPLES, seed)
            history = {k: v for k, v in history.items() if not k.startswith("step_")}
            extra = {}
        row = {
            "model": name,
            "budget": budget,
            "seed": seed,
            "history": {k: [float(v) for v in vs] for k, vs in history.items()},
            "fit_s": fit_s,
            **quality(judge, test_levels, samples),
            **extra,
        }
        runs.append(row)
        report(
            f"{budget:<7} {name:<15} seed {seed:>4}  FID {row['fid']:7.2f}  TV "
            f"{row['total_variation']:.3f}  missed {row['missed']}  fit {fit_s:5.1f} s"
        )
    real = quality(judge, test_levels, X_train[: len(X_test)])
    return {
        "seeds": list(SEEDS),
        "n_samples": N_SAMPLES,
        "settings": {
            "latent": LATENT,
            "hidden": HIDDEN,
            "vae": VAE_TRAINING,
            "gan": {**GAN_TRAINING, "betas": list(GAN_TRAINING["betas"])},
            "judge": JUDGE,
            "budgets": BUDGETS,
        },
        "judge_test_accuracy": accuracy,
        "real": real,
        "runs": runs,
    }


def record(path: Path) -> None:
    """Run and write the record, with the machine it ran on."""
    payload = {"machine": machine(), **run()}
    path.parent.mkdir(parents=True, exist_ok=True)
    # One run per line: the samples' grey levels would take a line each with an indent.
    runs = ",\n".join(json.dumps(r, separators=(",", ":")) for r in payload.pop("runs"))
    head = json.dumps(payload, indent=1)[:-2]
    path.write_text(f'{head},\n "runs": [\n{runs}\n ]\n}}\n')


if __name__ == "__main__":
    from genlab.benchmarks import RECORDS

    record(RECORDS / "vae_gan.json")
