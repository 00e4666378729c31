"""``make lab``: the command it runs as root and as an ordinary user, and its install stamp.

Dry runs (``make -n``, ``make -q``) with the virtual environment pointed at a temporary
folder: nothing is installed and nothing is started.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MAKE = shutil.which("make")
MNIST = "genlab/data/mnist/mnist-labels-idx1-ubyte.gz"
pytestmark = pytest.mark.skipif(MAKE is None, reason="make is not installed")


def make(venv: Path, *args: str, user: int | None = None) -> subprocess.CompletedProcess[str]:
    command = [str(MAKE), "--no-print-directory", f"VENV={venv}", *args]
    if user is not None:  # run as another user (needs root and setpriv)
        command = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups", *command]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)


def lab_command(venv: Path, user: int | None = None) -> str:
    # The prerequisites count as up to date (-o): only lab's own recipe is printed.
    done = ["-o", f"{venv}/.installed", "-o", f"{venv}/.lab-installed", "-o", MNIST]
    result = make(venv, "-n", *done, "lab", user=user)
    assert result.returncode == 0, result.stderr
    (line,) = [x for x in result.stdout.splitlines() if "jupyter lab" in x]
    return line.rstrip()


def test_lab_allows_root_only_as_root(tmp_path: Path) -> None:
    line = lab_command(tmp_path)
    assert line.endswith(
        "jupyter lab --notebook-dir=book" + (" --allow-root" * (os.getuid() == 0))
    )
    assert "genlab.reproducibility" in line  # the pinned arithmetic, as the tests run it
    if os.getuid() == 0 and shutil.which("setpriv"):
        tmp_path.chmod(0o755)
        as_nobody = lab_command(tmp_path, user=65534)
        assert "--allow-root" not in as_nobody and as_nobody.endswith("--notebook-dir=book")


def test_lab_installs_once_with_the_constraints(tmp_path: Path) -> None:
    (tmp_path / ".installed").touch()
    stamp = tmp_path / ".lab-installed"
    # no stamp: the install runs, with the exact versions of constraints.txt
    result = make(tmp_path, "-n", "-o", f"{tmp_path}/.installed", str(stamp))
    (install,) = [x for x in result.stdout.splitlines() if "pip install" in x]
    assert '-c constraints.txt -e ".[lab]"' in install and "--quiet" in install
    stamp.touch()
    assert make(tmp_path, "-q", str(stamp)).returncode == 0  # up to date: nothing runs
    # older than pyproject.toml or constraints.txt: installs again
    os.utime(stamp, (0, 0))
    os.utime(tmp_path / ".installed", (0, 0))
    assert make(tmp_path, "-q", "-o", f"{tmp_path}/.installed", str(stamp)).returncode == 1
