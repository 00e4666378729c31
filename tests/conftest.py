"""Fixtures shared by the browser tests: the rendered book, built once and served locally.

``site`` builds the book (``scripts/build_book.py``: warnings are errors; the build also makes
the downloads of the page "Get the code") and serves ``_build/html`` on 127.0.0.1. Under
``pytest -n 2 --dist loadfile`` two workers may each need it: a file lock makes the second one
wait for the first one's build and serve the same files, instead of building into the same
folder at the same time. Without Debian's Chromium the browser tests are skipped, except
under CI (``CI=true``), where a missing browser is a failure.
"""

from __future__ import annotations

import fcntl
import functools
import http.server
import os
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"
CHROMIUM = Path("/usr/bin/chromium")
# One id per test run, the same in every xdist worker of that run.
RUN_ID = os.environ.get("PYTEST_XDIST_TESTRUNUID") or uuid.uuid4().hex


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def build_once_per_run() -> None:
    """Build the book unless another worker of this test run already has."""
    lock_path = ROOT / "_build" / ".site.lock"
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with lock_path.open("a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            lock.seek(0)
            if lock.read().strip() == RUN_ID and (HTML / "index.html").is_file():
                return
            build = subprocess.run(
                [sys.executable, str(ROOT / "scripts" / "build_book.py")],
                cwd=ROOT,
                capture_output=True,
                text=True,
            )
            assert build.returncode == 0, f"book build failed:\n{build.stdout}\n{build.stderr}"
            lock.seek(0)
            lock.truncate()
            lock.write(RUN_ID)
            lock.flush()
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


@pytest.fixture(scope="session")
def site() -> Iterator[str]:
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing: apt-get install -y chromium"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    build_once_per_run()
    handler = functools.partial(QuietHandler, directory=str(HTML))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
