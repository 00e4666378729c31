"""``make lab``: the command it runs as root and as an ordinary user, and its install stamp.

Dry runs (``make -n``, ``make -q``) with the virtual environment pointed at a temporary
folder, where nothing is installed and nothing is started; and one real ``make lab``, which
must serve JupyterLab.
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


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
def test_make_lab_really_starts_jupyterlab(tmp_path: Path) -> None:
    """``make lab`` itself (not a dry run) serves JupyterLab and the book's notebooks.

    As the user who runs the tests: root in the course's CI, which is the case that failed
    ("Running as root is not recommended"). An ordinary user's command line is checked by
    the dry run above; running it here would need that user's own checkout and environment
    (this one's Python lives in root's home). The install steps count as done (``-o``: this
    checkout's environment has the [lab] extra, as ``make lab`` would have installed it);
    the server's address and token come from a Jupyter configuration folder, so ``make lab``'s
    own command line is what runs.
    """
    import json
    import secrets
    import signal
    import time
    import urllib.request

    venv = ROOT / ".venv"
    if not (venv / "bin" / "jupyter-lab").exists():
        pytest.skip("JupyterLab is not installed in .venv (make lab installs it)")
    port, token = _free_port(), secrets.token_hex(16)
    config = tmp_path / "config"
    config.mkdir()
    (config / "jupyter_server_config.json").write_text(
        json.dumps(
            {
                "ServerApp": {"ip": "127.0.0.1", "port": port, "open_browser": False},
                "IdentityProvider": {"token": token},
            }
        )
    )
    for name in ("data", "runtime", "home", "settings", "workspaces"):
        (tmp_path / name).mkdir()
    env = os.environ | {
        "JUPYTER_CONFIG_DIR": str(config),
        "JUPYTER_DATA_DIR": str(tmp_path / "data"),
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
        "JUPYTERLAB_SETTINGS_DIR": str(tmp_path / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "workspaces"),
        "HOME": str(tmp_path / "home"),
    }
    done = ["-o", f"{venv}/.installed", "-o", f"{venv}/.lab-installed", "-o", MNIST]
    command = [str(MAKE), "--no-print-directory", f"VENV={venv}", *done, "lab"]
    log = (tmp_path / "lab.log").open("w")
    server = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            assert server.poll() is None, (tmp_path / "lab.log").read_text()[-3000:]
            try:
                url = f"http://127.0.0.1:{port}/api/contents/naive_bayes?token={token}"
                with urllib.request.urlopen(url, timeout=5) as response:
                    listing = json.load(response)
                break
            except OSError:
                assert time.monotonic() < deadline, (tmp_path / "lab.log").read_text()[-3000:]
                time.sleep(0.5)
        # it serves the book's notebooks (--notebook-dir=book), and the lab page itself
        assert "naive_bayes.ipynb" in {item["name"] for item in listing["content"]}
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/lab?token={token}") as page:
            assert page.status == 200
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
        log.close()
    # the recipe that ran is the one the dry run checks (with --allow-root exactly as root)
    started = (tmp_path / "lab.log").read_text().splitlines()[0]
    assert started.endswith("--notebook-dir=book" + (" --allow-root" * (os.getuid() == 0)))
