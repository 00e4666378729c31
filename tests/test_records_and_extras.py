"""Records ship as package data; the classical modules install and import without PyTorch."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import genlab.benchmarks
import genlab.benchmarks.__main__ as bench_main
from genlab.datasets import RECORD_NAMES, load_record

ROOT = Path(__file__).resolve().parents[1]
RECORD_DIR = ROOT / "genlab" / "data" / "records"


@pytest.mark.parametrize("name", ["latest", "choosing", "yardstick", "vae_gan"])
def test_load_record_returns_the_json_file_in_the_source_tree(name):
    # the oracle reads the file by its path in this checkout, not through importlib.resources
    expected = json.loads((RECORD_DIR / f"{name}.json").read_text(encoding="utf-8"))
    record = load_record(name)
    assert record == expected
    rows = "runs" if name == "vae_gan" else "results"  # the seeds record holds runs
    assert {"machine", rows} <= set(record)
    assert len(record[rows]) >= 4


def test_the_shipped_records_are_exactly_the_known_names():
    assert sorted(p.stem for p in RECORD_DIR.glob("*.json")) == sorted(RECORD_NAMES)


@pytest.mark.parametrize("bad", ["latest-quick", "", "../latest", "LATEST", None, 3])
def test_load_record_refuses_other_names(bad):
    expected = "name must be one of 'choosing', 'latest', 'vae_gan', 'yardstick'; got"
    with pytest.raises(ValueError, match=expected):
        load_record(bad)


def test_a_full_benchmark_run_writes_genlabs_records(monkeypatch, tmp_path):
    """make bench writes into genlab/data/records/ (where load_record reads), not elsewhere."""
    assert genlab.benchmarks.RECORDS == RECORD_DIR
    written = {}
    monkeypatch.setattr(bench_main, "RECORDS", tmp_path)
    monkeypatch.setattr(
        bench_main, "run_suites", lambda full, report: written.setdefault("full", full) and []
    )
    monkeypatch.setattr(
        bench_main, "write_results", lambda results, path: written.setdefault("results", path)
    )
    import genlab.benchmarks.choosing as choosing
    import genlab.benchmarks.vae_gan as vae_gan
    import genlab.benchmarks.yardstick as yardstick

    monkeypatch.setattr(choosing, "record", lambda path: written.setdefault("choosing", path))
    monkeypatch.setattr(yardstick, "record", lambda path: written.setdefault("yardstick", path))
    monkeypatch.setattr(vae_gan, "record", lambda path: written.setdefault("vae_gan", path))
    bench_main.main([])
    assert written == {
        "full": True,
        "results": tmp_path / "latest.json",
        "choosing": tmp_path / "choosing.json",
        "yardstick": tmp_path / "yardstick.json",
        "vae_gan": tmp_path / "vae_gan.json",
    }


def test_a_quick_run_writes_only_to_the_output_folder(monkeypatch, tmp_path):
    written = {}
    monkeypatch.setattr(
        bench_main, "run_suites", lambda full, report: written.setdefault("full", full) or []
    )
    monkeypatch.setattr(
        bench_main, "write_results", lambda results, path: written.setdefault("path", path)
    )
    bench_main.main(["--quick", "--output", str(tmp_path)])
    assert written == {"full": False, "path": tmp_path / "latest-quick.json"}
    with pytest.raises(SystemExit):
        bench_main.main(["--output", str(tmp_path)])  # a full run writes the records only


CLASSICAL = [
    "calibration",
    "cluster",
    "datasets",
    "gaussian",
    "hmm",
    "mixture",
    "naive_bayes",
    "numerics",
    "plotting",
    "reproducibility",
    "source",
    "text",
]


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=300
    )


def test_genlab_and_the_classical_modules_do_not_import_torch():
    modules = ", ".join(CLASSICAL)
    proc = run_python(
        f"import sys, genlab\nfrom genlab import {modules}\n"
        "print(sorted(m for m in sys.modules if m == 'torch' or m.startswith('torch.')))"
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"
    # the check can fail: importing a PyTorch module does load torch
    proc = run_python("import sys, genlab.vae; print('torch' in sys.modules)")
    assert proc.stdout.strip() == "True", proc.stderr


@pytest.mark.parametrize("module", ["genlab.vae", "genlab.vae_classifier"])
def test_without_torch_the_deep_modules_say_how_to_install_it(module):
    # sys.modules["torch"] = None makes `import torch` fail as if it were not installed
    proc = run_python(
        f"import sys; sys.modules['torch'] = None\ntry:\n    import {module}\n"
        "except ModuleNotFoundError as e:\n    print(e.name, '|', e)\n"
    )
    assert proc.returncode == 0, proc.stderr
    name, message = proc.stdout.split(" | ", 1)
    assert name == "torch"
    assert f"{module} needs PyTorch" in message
    assert "'genlab[deep]'" in message
    assert "--index-url https://download.pytorch.org/whl/cpu" in message
