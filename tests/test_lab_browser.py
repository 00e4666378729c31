"""The notebooks in JupyterLab, checked in a real headless browser (Debian's Chromium).

A learner opens a chapter's notebook in JupyterLab (``make lab``), untrusted, as a notebook
downloaded or cloned is. With jupyterlab-myst (the ``[lab]`` extra) its MyST must render, not
show as raw text. The test starts ``jupyter lab`` headless on a free port with a token, in a
temporary folder with its own Jupyter configuration (so nothing of the user's applies and
the notebook is untrusted), opens the mixture chapter and checks in the DOM that

* an exercise renders as an exercise box, with no ``:label:`` or directive text shown;
* its solution is a dropdown, collapsed;
* a ``{term}`` renders as a link with the term's text;
* a ``{cite}`` renders as a citation element, not as raw text. jupyterlab-myst 2.x reads no
  BibTeX file (its citation data is always empty), so it shows the key marked "Citation Not
  Found"; the rendered book resolves it (sphinxcontrib-bibtex);
* the soft-EM animation, untrusted (JupyterLab strips its script), shows its first frame and
  the note that says how to get its buttons, and no broken image;
* the explorer cell shows its one readable line (``genlab.plotting.explore``);
* no request leaves 127.0.0.1;

and that a learner's first cell (the chapter's imports) runs in that JupyterLab; the time from
starting ``jupyter lab`` to its output is printed.

Without Chromium the test is skipped, except under CI (``CI=true``), where it fails;
``playwright install`` is never used.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "book" / "mixture" / "mixture.ipynb"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# A loaded machine is slow, not wrong: generous limits, no wall-clock assertion.
TIMEOUT_MS = 180_000


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def first_cell_notebook(path: Path) -> None:
    """A notebook with the mixture chapter's first code cell (its imports), then a print."""
    nb = json.loads(NOTEBOOK.read_text())
    first = next(c for c in nb["cells"] if c["cell_type"] == "code")
    source = "".join(first["source"]) + '\nprint("first cell ran")\n'
    cell = {"cell_type": "code", "execution_count": None, "id": "first", "metadata": {}}
    nb["cells"] = [cell | {"outputs": [], "source": source}]
    path.write_text(json.dumps(nb))


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, float]]:
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing: apt-get install -y chromium"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    work = tmp_path_factory.mktemp("lab")
    shutil.copy(NOTEBOOK, work / NOTEBOOK.name)
    first_cell_notebook(work / "first.ipynb")
    settings = work / "settings" / "@jupyterlab"
    # Every cell in the DOM (no windowing), no news or update checks (requests outside).
    (settings / "notebook-extension").mkdir(parents=True)
    (settings / "notebook-extension" / "tracker.jupyterlab-settings").write_text(
        json.dumps({"windowingMode": "none"})
    )
    (settings / "apputils-extension").mkdir(parents=True)
    (settings / "apputils-extension" / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False})
    )
    env = os.environ | {
        "JUPYTER_CONFIG_DIR": str(work / "config"),
        "JUPYTER_DATA_DIR": str(work / "data"),  # a new signing key: the notebook is untrusted
        "JUPYTER_RUNTIME_DIR": str(work / "runtime"),
        "JUPYTERLAB_SETTINGS_DIR": str(work / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(work / "workspaces"),
        "PYTHONPATH": str(ROOT),  # the kernel imports this checkout's genlab
    }
    port, token = free_port(), secrets.token_hex(16)
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        "--ip=127.0.0.1",
        f"--port={port}",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={work}",
    ]
    if os.getuid() == 0:  # as make lab does
        command.append("--allow-root")
    log = (work / "lab.log").open("w")
    started = time.perf_counter()
    server = subprocess.Popen(command, cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + TIMEOUT_MS / 1000
        while True:
            assert server.poll() is None, f"jupyter lab exited:\n{(work / 'lab.log').read_text()}"
            try:
                with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=5):
                    break
            except OSError:
                assert time.monotonic() < deadline, "jupyter lab did not answer"
                time.sleep(0.5)
        yield f"{base}/lab/tree/{{}}?reset&token={token}", started
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


@pytest.fixture(scope="module")
def browser(lab: tuple[str, float]) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


def open_notebook(browser, url: str, name: str):  # type: ignore[no-untyped-def]
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(TIMEOUT_MS)
    outside: list[str] = []

    def route(r) -> None:  # type: ignore[no-untyped-def]
        parsed = urlparse(r.request.url)
        if parsed.scheme in ("data", "blob") or parsed.hostname == "127.0.0.1":
            r.continue_()
        else:
            outside.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.goto(url.format(name))
    page.wait_for_selector(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell")
    # JupyterLab re-renders the notebook while it connects the kernel: wait until it is idle,
    # so that the cells found next stay attached (on a loaded machine they did not).
    page.locator("#jp-main-statusbar", has_text="Idle").wait_for()
    return page, outside


def visit(page, cell) -> None:  # type: ignore[no-untyped-def]
    """Scroll a cell into view; if JupyterLab replaced its element meanwhile, find it again."""
    from playwright.sync_api import Error as PlaywrightError

    for attempt in range(5):
        try:
            cell.scroll_into_view_if_needed(timeout=20_000)
            return
        except PlaywrightError:  # "Element is not attached to the DOM": the locator re-finds it
            if attempt == 4:
                raise
            page.wait_for_timeout(500)


def test_a_learner_runs_the_first_cell(lab, browser) -> None:
    url, started = lab
    page, outside = open_notebook(browser, url, "first.ipynb")
    panel = ".jp-NotebookPanel:not(.lm-mod-hidden)"
    # The kernel is ready when the status bar says so ("Python 3 (ipykernel) | Idle").
    page.locator("#jp-main-statusbar", has_text="Idle").wait_for()
    page.locator(f"{panel} .jp-CodeCell .jp-InputArea-editor").first.click()
    page.keyboard.press("Shift+Enter")
    output = page.locator(f"{panel} .jp-OutputArea-output", has_text="first cell ran")
    output.wait_for()
    errors = page.locator(f"{panel} .jp-OutputArea-output[data-mime-type*='error']").count()
    assert errors == 0, "the first cell raised"
    print(
        f"time from starting jupyter lab to the first cell's output: "
        f"{time.perf_counter() - started:.1f} s"
    )
    assert outside == [], f"requests left 127.0.0.1: {outside[:5]}"
    page.close()


def test_myst_renders_and_stored_outputs_work_untrusted(lab, browser) -> None:
    url, _ = lab
    page, outside = open_notebook(browser, url, NOTEBOOK.name)
    panel = ".jp-NotebookPanel:not(.lm-mod-hidden)"
    # jupyterlab-myst renders a cell when it first comes into view: visit every cell.
    cells = page.locator(f"{panel} .jp-Cell")
    for i in range(cells.count()):
        visit(page, cells.nth(i))
    page.wait_for_selector(f"{panel} aside.myst-exercise", state="attached")
    md = page.locator(f"{panel} .jp-MarkdownCell .myst")
    rendered = "\n".join(md.all_inner_texts())
    for raw in (
        "```{exercise}",
        "```{solution}",
        ":label:",
        ":class: dropdown",
        "{term}",
        "{cite}",
    ):
        assert raw not in rendered, f"MyST shown raw in JupyterLab: {raw!r}"

    exercise = page.locator(f"{panel} aside.myst-exercise").first
    assert "Exercise 1 (★ by hand: the M-step for a mean)" in " ".join(
        exercise.inner_text().split()
    )
    solution = page.locator(f"{panel} details.myst-exercise").first
    assert "Solution to Exercise 1" in " ".join(solution.locator("summary").inner_text().split())
    assert solution.evaluate("d => d.open") is False, "the solution is not collapsed"
    assert not solution.locator(".details-body").is_visible(), "the solution body is visible"

    term = md.locator("a", has_text="latent variable").first
    assert term.is_visible(), "{term}`latent variable` did not render as a link"
    cite = md.locator("cite, span[title='Citation Not Found']", has_text="dempster1977maximum")
    assert cite.count() >= 1, "{cite}`dempster1977maximum` did not render as a citation"

    # The animation, untrusted: the first frame and the note, no broken image.
    player = page.locator(f"{panel} .jp-OutputArea-output", has=page.locator(".animation"))
    visit(page, player)
    assert "need JavaScript" in player.inner_text() and "Trust Notebook" in player.inner_text()
    image = player.locator(".animation img")
    image.wait_for()
    page.wait_for_function("img => img.complete", arg=image.element_handle())
    src, natural = image.evaluate("img => [img.currentSrc, img.naturalWidth]")
    assert src.startswith("data:image/png;base64,") and natural > 0, "broken animation image"

    hint = page.locator(f"{panel} .jp-OutputArea-output", has_text="Interactive explorer (")
    assert "run this cell in JupyterLab to get the sliders" in hint.first.inner_text()
    assert outside == [], f"requests left 127.0.0.1: {outside[:5]}"
    page.close()
