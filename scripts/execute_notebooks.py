"""Re-execute the book's notebooks in place, so that their stored outputs are current.

Usage (from the repository root, inside the project's virtual environment)::

    python scripts/execute_notebooks.py            # every notebook under book/
    python scripts/execute_notebooks.py book/intro # only those under a folder
    python scripts/execute_notebooks.py some.ipynb # one notebook

Each notebook runs top to bottom in a fresh kernel whose working directory is the
notebook's folder, with the pinned arithmetic of ``genlab.reproducibility`` and without
progress bars (``TQDM_DISABLE=1``), exactly as the test suite's nbval runs it. Widget
state is never stored (the rendered book must not load widget scripts from a CDN), timing
metadata is dropped (it would change on every run), and a notebook that takes longer than
the course's 60-second budget fails the run.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from genlab.reproducibility import pinned_environment

# Every kernel started below inherits these (see conftest.py, which sets the same).
os.environ.update(pinned_environment())
os.environ["TQDM_DISABLE"] = "1"

BUDGET_S = 60.0
ROOT = Path(__file__).resolve().parents[1]


def notebooks(args: list[str]) -> list[Path]:
    targets = [Path(a) for a in args] or [ROOT / "book"]
    found: list[Path] = []
    for t in targets:
        if t.suffix == ".ipynb":
            found.append(t.resolve())
        else:
            found.extend(
                p.resolve()
                for p in sorted(t.rglob("*.ipynb"))
                if ".ipynb_checkpoints" not in p.parts
            )
    return found


WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def clean(nb: nbformat.NotebookNode) -> None:
    """Drop what would change on every run or make the book fetch widget scripts."""
    nb.metadata.pop("widgets", None)
    nb.metadata["language_info"] = {"name": "python"}
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        for output in cell.get("outputs", []):
            # A widget view refers by a random id to state that is not stored; keep only
            # its plain-text description.
            output.get("data", {}).pop(WIDGET_VIEW, None)
        if "outputs" in cell:
            cell.outputs = coalesce_streams(cell.outputs)


def coalesce_streams(outputs: list[nbformat.NotebookNode]) -> list[nbformat.NotebookNode]:
    """Merge consecutive stdout (or stderr) chunks: how the kernel splits a stream into
    messages depends on timing, so the stored notebook keeps one output per stream run."""
    merged: list[nbformat.NotebookNode] = []
    for output in outputs:
        previous = merged[-1] if merged else None
        if (
            previous is not None
            and output.get("output_type") == "stream"
            and previous.get("output_type") == "stream"
            and previous.get("name") == output.get("name")
        ):
            previous["text"] = previous["text"] + output["text"]
        else:
            merged.append(output)
    return merged


def execute(path: Path) -> float:
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
        # nbclient 0.10-0.11 fails on Output widgets when store_widget_state=False, so the
        # state is recorded during execution and removed by clean() before writing.
        store_widget_state=True,
        record_timing=False,
    )
    start = time.perf_counter()
    client.execute()
    elapsed = time.perf_counter() - start
    clean(nb)
    nbformat.write(nb, path)
    return elapsed


def main(argv: list[str]) -> int:
    slow = []
    for path in notebooks(argv):
        elapsed = execute(path)
        flag = "" if elapsed <= BUDGET_S else f"  over the {BUDGET_S:.0f} s budget"
        print(f"{elapsed:6.1f} s  {path.relative_to(ROOT)}{flag}", flush=True)
        if flag:
            slow.append(path)
    return 1 if slow else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
