"""Fit and prediction times of the four digit classifiers of the chapter "Choosing a
generative model", recorded for its figure.

This is not a peer comparison: it times genlab's four generative classifiers on the
chapter's data, with the settings the chapter chooses on its validation split (they are
repeated here and the chapter checks that its accuracies equal the recorded ones). The
chapter's table shows times measured live; its figure uses this record, so that a stored
figure does not change with the load of the machine that re-executes the notebook.

Written to ``results/choosing.json`` by ``python -m benchmarks`` (full mode only).
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from genlab.benchmarks.harness import machine
from genlab.gaussian import GaussianClassifier
from genlab.mixture import GaussianMixtureClassifier
from genlab.naive_bayes import GaussianNB
from genlab.vae_classifier import ConditionalVAEClassifier

SEED = 2026

#: The chapter's models with the settings it selects on its validation split.
MODELS: dict[str, Callable[[], Any]] = {
    "Gaussian naive Bayes": lambda: GaussianNB(var_smoothing=0.03),
    "Gaussian classifier (QDA)": lambda: GaussianClassifier(reg_covar=0.01),
    "Gaussian mixture per class": lambda: GaussianMixtureClassifier(
        1, reg_covar=0.01, random_state=SEED
    ),
    "Conditional VAE": lambda: ConditionalVAEClassifier(random_state=SEED),
}


def digits() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The chapter's split: pixels scaled to [0, 1], 80 % training, stratified."""
    data = load_digits()
    X_train, X_test, y_train, y_test = train_test_split(
        data.data / 16.0, data.target, test_size=0.2, random_state=SEED, stratify=data.target
    )
    return X_train, X_test, y_train, y_test


def run(repeats: int = 3) -> list[dict[str, Any]]:
    """Median fit and prediction times (and the accuracy) of each model."""
    # As in the chapter, whose VAE results must be reproducible; `make bench` also runs
    # under the pinned arithmetic of genlab.reproducibility, as the notebooks do.
    torch.set_num_threads(1)
    X_train, X_test, y_train, y_test = digits()
    rows = []
    for name, make in MODELS.items():
        fit_times, predict_times, accuracy = [], [], float("nan")
        for _ in range(repeats):
            model = make()
            start = time.perf_counter()
            model.fit(X_train, y_train)
            fit_times.append(time.perf_counter() - start)
            start = time.perf_counter()
            predictions = model.predict(X_test)
            predict_times.append(time.perf_counter() - start)
            accuracy = float(np.mean(predictions == y_test))
        rows.append(
            {
                "name": name,
                "accuracy": accuracy,
                "fit_s": statistics.median(fit_times),
                "predict_s": statistics.median(predict_times),
                "repeats": repeats,
            }
        )
        print(f"{name:<28} accuracy {accuracy:.4f}   fit {rows[-1]['fit_s']:.4f} s", flush=True)
    return rows


def record(path: Path) -> None:
    """Run and write the record, with the machine it ran on."""
    payload = {"machine": machine(), "n_test": len(digits()[1]), "results": run()}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2) + "\n")
