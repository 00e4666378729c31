"""The seeds record of chapter 12 holds what the chapter's own code computes.

``genlab/data/records/vae_gan.json`` (written by ``genlab.benchmarks.vae_gan``) repeats the
chapter "VAE against GAN on real MNIST" with five seeds and two budgets. Its first seed at
the chapter's budget *is* the chapter's run, so the oracle is the chapter's stored outputs,
which strict nbval proves are what its code produces: every digit FID, class histogram,
sharpness and bound the chapter prints must be the record's number for that run (to the
digits printed). The judge and the real digits' row are recomputed from scratch, and the
record's summary statistics are recomputed from its own stored samples where they can be.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from genlab.benchmarks import vae_gan
from genlab.datasets import load_record

ROOT = Path(__file__).resolve().parents[1]
RECORD = load_record("vae_gan")
RUNS = RECORD["runs"]


def stored_text() -> str:
    """Every stored stream output of the chapter, in order, as one string."""
    cells = json.loads((ROOT / "book" / "gan" / "gan.ipynb").read_text(encoding="utf-8"))
    return "".join(
        "".join(out["text"])
        for cell in cells["cells"]
        for out in cell.get("outputs", [])
        if out.get("output_type") == "stream"
    )


TEXT = stored_text()


def run(model: str, budget: str = "chapter", seed: int = vae_gan.SEEDS[0]) -> dict:
    (row,) = [r for r in RUNS if (r["model"], r["budget"], r["seed"]) == (model, budget, seed)]
    return row


def printed(pattern: str) -> list[str]:
    found = re.search(pattern, TEXT)
    assert found, f"the chapter's outputs do not match {pattern!r}"
    return list(found.groups())


def test_the_record_holds_every_planned_run_once():
    assert RECORD["seeds"] == list(vae_gan.SEEDS)
    keys = [(r["budget"], r["seed"], r["model"]) for r in RUNS]
    assert len(keys) == len(set(keys)) == 5 * 3 + 5 * 2
    assert {r["budget"] for r in RUNS} == set(vae_gan.BUDGETS)
    assert not [r for r in RUNS if r["budget"] == "double" and r["model"] == "gan_saturating"]
    for r in RUNS:
        epochs = {"vae": vae_gan.VAE_TRAINING, "gan": vae_gan.GAN_TRAINING}[r["model"][:3]]
        expected = epochs["epochs"] * vae_gan.BUDGETS[r["budget"]]
        assert all(len(v) == expected for v in r["history"].values())
        assert sum(r["counts"]) == RECORD["n_samples"] == 10_000
        assert np.array(r["samples"]).shape == (vae_gan.N_SHOWN, 784)


def test_the_chapter_says_its_runs_are_the_records_first():
    assert printed(r"this chapter's runs are the record's first: (\w+)") == ["True"]


@pytest.mark.parametrize(("label", "model"), [("VAE", "vae"), ("GAN", "gan")])
def test_the_printed_fid_histogram_and_sharpness_are_the_records(label, model):
    row = run(model)
    assert printed(rf"digit FID, {label}: ([0-9.]+)") == [f"{row['fid']:.2f}"]
    counts, tv, missed = printed(rf"\n{label} +((?:\d+ +){{10}}) *TV ([0-9.]+) +missed (\[.*\])")
    assert [int(c) for c in counts.split()] == row["counts"]
    assert tv == f"{row['total_variation']:.3f}"
    assert missed == str(row["missed"])
    name = {"vae": "VAE samples", "gan": "GAN samples"}[model]
    lap, grad = printed(rf"{name} +([0-9.]+) +([0-9.]+)")
    assert lap == f"{row['laplacian_variance']:.4f}"
    assert grad == f"{row['gradient_magnitude']:.4f}"


def test_the_printed_bound_is_the_records():
    assert printed(r"VAE: -ELBO ([0-9.]+) nats per test digit") == [
        f"{run('vae')['test']['negative_elbo']:.1f}"
    ]


def test_the_stored_samples_are_grey_levels_and_the_counts_match_the_fractions():
    for r in RUNS:
        samples = np.array(r["samples"])
        assert samples.min() >= 0 and samples.max() <= 255
        fractions = np.array(r["counts"]) / sum(r["counts"])
        tv = 0.5 * np.abs(fractions - 0.1).sum()
        assert r["total_variation"] == pytest.approx(tv, abs=1e-12)
        assert r["missed"] == [c for c in range(10) if r["counts"][c] == 0]


def test_the_real_digits_row_and_the_judge_recomputed_from_scratch():
    """The judge is retrained here; its accuracy and the real digits' FID must match."""
    import copy

    import torch

    from genlab.quality import digit_fid, train_feature_classifier

    torch.set_num_threads(1)
    train_levels, test_levels, y_train, y_test = vae_gan.split()
    judge = train_feature_classifier(
        train_levels, y_train, n_levels=256, progress=False, **vae_gan.JUDGE
    )
    judge = copy.deepcopy(judge).double()
    assert np.mean(judge.predict(test_levels) == y_test) == RECORD["judge_test_accuracy"]
    fid = digit_fid(judge, test_levels, train_levels[: len(test_levels)])
    assert fid == pytest.approx(RECORD["real"]["fid"], rel=1e-9)
    assert printed(r"digit FID, real \(2,000 training digits\): ([0-9.]+)") == [f"{fid:.2f}"]
