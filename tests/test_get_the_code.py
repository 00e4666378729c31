"""A learner outside the repository: the book's "Get the code" page, end to end.

In headless Chromium (the browser fixtures of ``tests/conftest.py``), the test opens the served
page "Get the code", downloads genlab's wheel and ``constraints.txt`` with its links and the
Naive Bayes notebook with its chapter's download button, and checks that the notebook archive
holds the same notebook. In a fresh virtual environment in a temporary folder it then runs the
page's own install commands, as printed on the page (all but the final ``jupyter lab``, which
would start a server), and executes the notebook there with nbclient: no error, genlab imported
from the wheel, and PyTorch not installed (the classical chapters do not need it).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from urllib.parse import urlparse

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
CHAPTER = "book/naive_bayes/naive_bayes"
WHEEL = "genlab-0.1.0-py3-none-any.whl"

RUNNER = """\
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

path = Path(sys.argv[1])
nb = nbformat.read(path, as_version=4)
# a last cell reports which Python and which genlab the kernel ran
report = "import sys, genlab; print(sys.prefix, genlab.__file__)"
nb.cells.append(nbformat.v4.new_code_cell(report))
NotebookClient(
    nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
).execute()
errors = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
print(f"{sum(c.cell_type == 'code' for c in nb.cells) - 1} code cells, {len(errors)} errors")
print(nb.cells[-1].outputs[0]["text"].strip())
sys.exit(1 if errors else 0)
"""


def is_local(url: str) -> bool:
    parsed = urlparse(url)
    return parsed.scheme in ("data", "blob", "about") or parsed.hostname == "127.0.0.1"


def learner_environment(tmp: Path) -> dict[str, str]:
    """This process's environment without what points into the repository or its venv."""
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV"}}
    env["PATH"] = os.pathsep.join(
        p for p in env["PATH"].split(os.pathsep) if not p.startswith(sys.prefix)
    )
    # no kernel specification of this machine's Jupyter may replace the venv's own
    env["JUPYTER_DATA_DIR"] = str(tmp / "jupyter-data")
    env["JUPYTER_PATH"] = ""
    env["HOME"] = str(tmp / "home")
    # pip's byte-compiling of every installed module is a large part of the install time on
    # a busy machine; the modules are compiled on first import instead, with the same result
    env["PIP_NO_COMPILE"] = "1"
    (tmp / "home").mkdir()
    return env


def test_a_learner_installs_the_wheel_and_runs_a_downloaded_notebook(site, tmp_path):
    from playwright.sync_api import sync_playwright

    learner = tmp_path / "learner"
    learner.mkdir()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            context = browser.new_context(accept_downloads=True)
            page = context.new_page()
            page.route(
                "**/*",
                lambda route: route.continue_() if is_local(route.request.url) else route.abort(),
            )
            page.goto(f"{site}/book/get_the_code.html", wait_until="load")
            for name in (WHEEL, "constraints.txt", "genlab-notebooks.zip"):
                link = page.locator(f"a.download[href$='/{name}']")
                assert link.count() == 1, f"no download link for {name}"
                with page.expect_download() as info:
                    link.click()
                download = info.value
                assert download.suggested_filename == name
                download.save_as(learner / name)
            commands = page.locator("div.highlight-bash pre").first.inner_text()
            # the chapter's own download button (the theme's "download source" item)
            page.goto(f"{site}/{CHAPTER}.html", wait_until="load")
            href = page.locator("a.btn-download-source-button").first.get_attribute("href")
            assert href and href.endswith(".ipynb")
            response = page.request.get(f"{site}/{CHAPTER}.html".rsplit("/", 1)[0] + "/" + href)
            assert response.ok
            notebook = learner / "downloads" / "naive_bayes.ipynb"
            notebook.parent.mkdir()
            notebook.write_bytes(response.body())
        finally:
            browser.close()

    # the archive holds the same notebook as the chapter's button
    with zipfile.ZipFile(learner / "genlab-notebooks.zip") as zf:
        assert zf.read("genlab-notebooks/naive_bayes/naive_bayes.ipynb") == notebook.read_bytes()
        assert len([n for n in zf.namelist() if n.endswith(".ipynb")]) >= 8

    lines = [line for line in commands.splitlines() if line.strip()]
    assert len(lines) == 3 and lines[2].endswith("&& jupyter lab genlab-notebooks"), commands
    script = "set -euo pipefail\n" + "\n".join([*lines[:2], lines[2].split(" && jupyter")[0]])
    env = learner_environment(tmp_path)
    start = time.perf_counter()
    install = subprocess.run(
        ["bash", "-c", script], cwd=learner, env=env, capture_output=True, text=True, timeout=900
    )
    install_s = time.perf_counter() - start
    print(f"\ninstall took {install_s:.0f} s")
    assert install.returncode == 0, install.stdout[-4000:] + install.stderr[-4000:]
    python = learner / "genlab-env" / "bin" / "python"

    probe = subprocess.run(
        [
            str(python),
            "-c",
            "import importlib.util, sys, genlab, genlab.datasets as d\n"
            "from jupyter_client.kernelspec import KernelSpecManager\n"
            "print(genlab.__file__)\n"
            "print(importlib.util.find_spec('torch') is None)\n"
            "print(d.load_mnist()[0].shape, len(d.load_record('latest')['results']))\n"
            "print(KernelSpecManager().get_kernel_spec('python3').argv[0])\n"
            "import jupyterlab_myst; print(jupyterlab_myst.__file__)",
        ],
        cwd=learner,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert probe.returncode == 0, probe.stderr
    where, no_torch, data, own_kernel, myst = probe.stdout.splitlines()
    # JupyterLab renders the chapters' MyST (exercises, dropdowns, terms) for this learner too
    assert Path(myst).is_relative_to(learner / "genlab-env"), myst
    assert Path(where).is_relative_to(learner / "genlab-env"), where
    assert no_torch == "True"
    assert data.startswith("(10000, 28, 28) ")
    # jupyter_client starts a kernel whose command is "python" with its own interpreter
    assert own_kernel in {"python", "python3", str(python)}, own_kernel
    assert (learner / "genlab-notebooks" / "vae" / "vae.ipynb").is_file()

    runner = tmp_path / "run_notebook.py"
    runner.write_text(RUNNER)
    start = time.perf_counter()
    run = subprocess.run(
        [str(python), str(runner), str(notebook)],
        cwd=learner,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    run_s = time.perf_counter() - start
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
    prefix, genlab_file = run.stdout.splitlines()[-1].split()
    assert Path(prefix) == learner / "genlab-env"
    assert Path(genlab_file).is_relative_to(learner / "genlab-env")
    env_dir = learner / "genlab-env"
    size = sum(f.stat().st_size for f in env_dir.rglob("*") if f.is_file() and not f.is_symlink())
    print(
        f"install took {install_s:.0f} s ({size / 2**20:.0f} MiB), the notebook {run_s:.0f} s: "
        f"{run.stdout.strip()}"
    )
