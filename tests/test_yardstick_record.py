"""The scoreboard's record shows what the executed chapters computed.

``genlab/data/records/yardstick.json`` (written by ``genlab.benchmarks.yardstick``) feeds
the scoreboard of the chapter "The VAE's likelihood and the scoreboard", which cannot
retrain MADE, RealNVP and the DDPM within its time budget. The oracle here is the chapters'
own stored outputs, which strict nbval proves are what their code produces: every bits per
pixel, likelihood kind and parameter count in the record must be the number the chapter
printed (to the digits it printed). The cheap parts of the sample-quality columns are
recomputed here from scratch.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from genlab.datasets import load_record

ROOT = Path(__file__).resolve().parents[1]
RECORD = load_record("yardstick")
BY_NAME = {row["name"]: row for row in RECORD["results"]}


def stored_outputs(chapter: str) -> list[str]:
    """Every stored text and markdown output of a chapter's notebook, cell by cell."""
    path = next((ROOT / "book" / chapter).glob("*.ipynb"))
    texts = []
    for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if "text/markdown" in data:
                texts.append("".join(data["text/markdown"]))
            elif "text" in out:
                texts.append("".join(out["text"]))
    return texts


def markdown_table(chapter: str, header: str) -> list[list[str]]:
    """The rows of the stored markdown table whose header row starts with ``header``."""
    for text in stored_outputs(chapter):
        lines = text.strip().splitlines()
        if lines and lines[0].startswith(header):
            return [[c.strip() for c in line.strip("|").split("|")] for line in lines[2:]]
    raise AssertionError(f"no stored table starting {header!r} in {chapter}")


def test_the_record_has_every_model_of_the_three_chapters_once():
    names = [row["name"] for row in RECORD["results"]]
    assert len(names) == len(set(names)) == 10
    assert {row["chapter"] for row in RECORD["results"]} == {
        "chap-yardstick",
        "chap-diffusion",
        "chap-scoreboard",
    }
    assert {row["likelihood"] for row in RECORD["results"]} == {"exact", "bound", "estimate"}
    assert RECORD["n_samples"] == RECORD["n_test"] == 360


def test_chapter_8s_table_is_the_record():
    rows = markdown_table("yardstick", "| model | likelihood | chosen on validation |")
    assert len(rows) == 8
    for name, kind, _setting, parameters, bpp in rows:
        entry = BY_NAME[name]
        assert entry["likelihood"] == kind, name
        assert entry["parameters"] == int(parameters.replace(",", "")), name
        assert f"{entry['bits_per_pixel']:.3f}" == bpp, name


def test_chapter_9s_ddpm_is_the_record():
    rows = markdown_table("diffusion", "| model | likelihood | test bits per pixel |")
    (ddpm,) = [r for r in rows if r[0].startswith("DDPM") and r[1] == "bound"]
    entry = BY_NAME[ddpm[0]]
    assert entry["likelihood"] == ddpm[1] == "bound"
    assert f"{entry['bits_per_pixel']:.3f}" == ddpm[2]
    weights = re.search(r"([\d,]+) weights", "\n".join(stored_outputs("diffusion")))
    assert weights is not None
    assert entry["parameters"] == int(weights.group(1).replace(",", ""))


def test_the_vae_of_the_scoreboard_chapter_is_the_record():
    text = "\n".join(stored_outputs("scoreboard"))
    (entry,) = [r for r in RECORD["results"] if r["chapter"] == "chap-scoreboard"]
    draws = re.search(r"IWAE S = (\d+)", entry["setting"])
    assert draws is not None
    estimate = re.search(rf"IWAE, S = {draws.group(1)}: (\d\.\d{{3}}) bits per pixel", text)
    elbo = re.search(r"ELBO: (\d\.\d{3}) bits per pixel", text)
    fid = re.search(r"VAE samples: digit FID (\d+\.\d)", text)
    parameters = re.search(r"CategoricalVAE with ([\d,]+) parameters", text)
    assert estimate and elbo and fid and parameters, "the chapter prints these numbers"
    assert f"{entry['bits_per_pixel']:.3f}" == estimate.group(1)
    assert f"{entry['elbo_bits_per_pixel']:.3f}" == elbo.group(1)
    assert f"{entry['fid']:.1f}" == fid.group(1)
    assert entry["parameters"] == int(parameters.group(1).replace(",", ""))


def test_every_entry_is_complete_and_finite():
    for row in RECORD["results"]:
        for key in ("bits_per_pixel", "fid", "total_variation", "fit_s", "sample_s"):
            assert np.isfinite(row[key]) and row[key] >= 0, (row["name"], key)
        samples = np.asarray(row["samples"])
        assert samples.shape == (8, 64), row["name"]
        assert samples.min() >= 0 and samples.max() <= 16, row["name"]
        assert 0 <= row["total_variation"] <= 0.9, row["name"]
    (vae,) = [r for r in RECORD["results"] if r["likelihood"] == "estimate"]
    # the importance-weighted estimate is tighter than the ELBO it starts from
    assert vae["bits_per_pixel"] < vae["elbo_bits_per_pixel"]


@pytest.fixture(scope="module")
def classifier_and_data():
    from genlab.benchmarks import yardstick

    data = yardstick.load_data()
    classifier = yardstick.train_feature_classifier(
        data.X_fit, data.y_fit, n_levels=yardstick.L, progress=False
    )
    return yardstick, classifier, data


@pytest.mark.parametrize("name", ["uniform coding", "independent pixels (categorical)"])
def test_recorded_sample_quality_of_the_cheap_models_is_recomputed(name, classifier_and_data):
    yardstick, classifier, data = classifier_and_data
    (entry,) = [e for e in yardstick.ENTRIES if e.name == name]
    samples = np.asarray(entry.sample(entry.fit(data), yardstick.N_SAMPLES))
    recorded = BY_NAME[name]
    fid = yardstick.digit_fid(classifier, data.X_test, samples)
    # the classifier trains in float32, whose last bits may differ between processors
    assert fid == pytest.approx(recorded["fid"], rel=1e-3)
    assert samples[: len(recorded["samples"])].tolist() == recorded["samples"]
    real = yardstick.digit_fid(classifier, data.X_test, data.X_val)
    assert real == pytest.approx(RECORD["real"]["fid"], rel=1e-3)
