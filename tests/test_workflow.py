"""The instructors' GitHub workflow (.github/workflows/book.yml), which cannot run here.

actionlint (also run by ``make lint``) checks it, and must reject a broken copy; the
workflow runs the README's two commands on the course CI's Python and publishes the site
the way Jupyter Book's guide does.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW = ROOT / ".github" / "workflows" / "book.yml"


def actionlint() -> str:
    found = shutil.which("actionlint", path=str(Path(sys.executable).parent)) or shutil.which(
        "actionlint"
    )
    if found is None:
        pytest.fail("actionlint is missing: it is part of the [test] extra")
    return found


def test_actionlint_accepts_the_workflow_and_rejects_a_broken_one(tmp_path: Path) -> None:
    ok = subprocess.run([actionlint(), str(WORKFLOW)], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    broken = tmp_path / "book.yml"
    broken.write_text(WORKFLOW.read_text().replace("needs: build", "needs: biuld"))
    bad = subprocess.run([actionlint(), str(broken)], capture_output=True, text=True)
    assert bad.returncode == 1 and 'needs job "biuld"' in bad.stdout


def test_workflow_runs_the_readme_commands_and_publishes_pages() -> None:
    flow = yaml.safe_load(WORKFLOW.read_text())
    build, deploy = flow["jobs"]["build"], flow["jobs"]["deploy"]
    # .ci/run's Python (3.11.7 on the course machines), to the patch release, on Debian
    assert build["container"] == "python:3.11.7-bookworm"
    assert build["env"]["CI"] == "true"
    # PyTorch's CPU build, the one constraints.txt's torch pin was recorded with
    assert build["env"]["PIP_EXTRA_INDEX_URL"] == "https://download.pytorch.org/whl/cpu"
    assert "torch==2.13.0\n" in (ROOT / "constraints.txt").read_text()
    runs = [s.get("run") for s in build["steps"]]
    assert "make book" in runs and "make test" in runs
    readme = (ROOT / "README.md").read_text()
    assert "make book" in readme and "make test" in readme
    uses = [s.get("uses", "") for s in build["steps"]]
    (upload,) = [s for s in build["steps"] if "upload-pages-artifact" in s.get("uses", "")]
    assert upload["with"]["path"] == "_build/html" and uses.index(upload["uses"]) == len(uses) - 1
    assert deploy["needs"] == "build"
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert deploy["environment"]["name"] == "github-pages"
    assert any("actions/deploy-pages" in s.get("uses", "") for s in deploy["steps"])


def test_every_pin_installs_on_the_oldest_supported_python() -> None:
    """A learner on Debian 12 runs the README's commands with its python3, 3.11.2.

    The oracle is each installed distribution's own Requires-Python metadata (offline):
    every exact pin of constraints.txt that this environment holds must admit Python 3.11.0,
    or ``make lab`` / ``make test`` fail to resolve there (soupsieve 4.x needs 3.11.5).
    """
    from importlib import metadata

    from packaging.specifiers import SpecifierSet

    oldest = "3.11.0"
    pins = [
        line.strip().split("==")
        for line in (ROOT / "constraints.txt").read_text().splitlines()
        if "==" in line and not line.startswith("#")
    ]
    checked, refused = 0, []
    for name, version in pins:
        try:
            meta = metadata.metadata(name)
        except metadata.PackageNotFoundError:
            continue  # an extra this environment does not hold
        if meta["Version"].split("+")[0] != version.split("+")[0]:
            continue
        checked += 1
        spec = meta.get("Requires-Python")
        if spec and oldest not in SpecifierSet(spec):
            refused.append(f"{name}=={version} (Requires-Python {spec})")
    assert checked > 100, checked
    assert not refused, refused
    readme = (ROOT / "README.md").read_text()
    assert "Python 3.11 or newer" in readme
