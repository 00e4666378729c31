"""Build the rendered book: MathJax from the npm registry, then Jupyter Book with -W -n.

Usage (from the repository root, inside the project's virtual environment)::

    python scripts/build_book.py           # build, then say which file to open
    python scripts/build_book.py --serve   # build, then serve it on http://127.0.0.1:8000

Steps:

1. ``npm ci`` installs MathJax 3 (pinned in package.json / package-lock.json) into
   node_modules/ unless it is already there. Nothing is vendored into git.
2. MathJax's ``es5`` folder is copied to ``_build/_assets/_static/mathjax``; Sphinx copies
   ``_build/_assets`` into the site through ``html_extra_path`` (see _config.yml).
3. ``jupyter-book build`` runs with warnings as errors (``-W``), nitpicky references
   (``-n``) and ``--keep-going`` (report every warning, not just the first). The notebooks
   are not executed: the book shows their stored outputs, which nbval checks.

The build fails (exit status 1) on any warning.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MATHJAX_SRC = ROOT / "node_modules" / "mathjax" / "es5"
ASSETS = ROOT / "_build" / "_assets"
HTML = ROOT / "_build" / "html"


def install_mathjax() -> None:
    if (MATHJAX_SRC / "tex-chtml.js").is_file():
        return
    npm = shutil.which("npm")
    if npm is None:
        sys.exit("npm is needed to install MathJax (apt-get install -y nodejs npm)")
    subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=ROOT, check=True)


def stage_assets() -> None:
    target = ASSETS / "_static" / "mathjax"
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(MATHJAX_SRC, target)


def build() -> None:
    jb = Path(sys.executable).with_name("jupyter-book")
    cmd = [str(jb), "build", str(ROOT), "--all", "--warningiserror", "--nitpick", "--keep-going"]
    # The API reference documents this checkout's genlab, not whichever one is installed.
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    env = {**os.environ, "PYTHONPATH": path}
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env=env)
    log = proc.stdout + proc.stderr
    warnings = [line for line in log.splitlines() if "WARNING" in line or "ERROR" in line]
    if proc.returncode != 0 or warnings:
        sys.stderr.write(log)
        sys.exit(f"book build failed: exit status {proc.returncode}, {len(warnings)} warning(s)")
    print(f"book built with no warnings: open {HTML / 'index.html'}")


def serve(port: int) -> None:
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(HTML))
    with http.server.ThreadingHTTPServer(("127.0.0.1", port), handler) as httpd:
        print(f"serving the book on http://127.0.0.1:{port}/ (Ctrl-C to stop)")
        httpd.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--serve", action="store_true", help="serve the built book")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    install_mathjax()
    stage_assets()
    build()
    if args.serve:
        serve(args.port)


if __name__ == "__main__":
    main()
