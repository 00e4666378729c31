"""Rules every stored notebook follows (fast, static checks; nbval does the re-execution).

* executed top to bottom: every code cell has an execution count, 1, 2, 3, ... in order;
* no error outputs and no widget state in the metadata (the book would fetch widget
  scripts from a CDN);
* exactly the cells that display a live widget carry ``nbval-ignore-output`` (with a
  comment saying why) and ``remove-output`` (the book shows a static figure instead);
* every notebook is seeded and every figure cell ends with ``plt.show()``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(
    p for p in (ROOT / "book").rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts
)
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"


def code_cells(path: Path) -> list[dict]:
    nb = json.loads(path.read_text())
    return [c for c in nb["cells"] if c["cell_type"] == "code" and "".join(c["source"]).strip()]


def ids(paths: list[Path]) -> list[str]:
    return [str(p.relative_to(ROOT)) for p in paths]


def test_there_are_notebooks():
    assert NOTEBOOKS, "no notebooks under book/"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids(NOTEBOOKS))
def test_executed_in_order_without_errors(path: Path) -> None:
    counts = [c["execution_count"] for c in code_cells(path)]
    assert counts == list(range(1, len(counts) + 1)), f"execution counts {counts}"
    for i, cell in enumerate(code_cells(path)):
        kinds = [o["output_type"] for o in cell["outputs"]]
        assert "error" not in kinds, f"code cell {i} stores an error"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids(NOTEBOOKS))
def test_no_widget_state_and_widget_cells_tagged(path: Path) -> None:
    nb = json.loads(path.read_text())
    assert "widgets" not in nb["metadata"], "notebook stores widget state"
    for i, cell in enumerate(code_cells(path)):
        tags = set(cell.get("metadata", {}).get("tags", []))
        source = "".join(cell["source"])
        shows_widget = "widgets.interact" in source or any(
            WIDGET_MIME in o.get("data", {}) for o in cell["outputs"]
        )
        if shows_widget:
            assert {"nbval-ignore-output", "remove-output"} <= tags, f"widget cell {i} untagged"
            assert "nbval-ignore-output" in source, (
                f"widget cell {i}: add a comment saying why nbval ignores its output"
            )
        else:
            assert "nbval-ignore-output" not in tags, (
                f"cell {i} ignores output but shows no widget"
            )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids(NOTEBOOKS))
def test_seeded_and_plots_end_with_show(path: Path) -> None:
    sources = ["".join(c["source"]) for c in code_cells(path)]
    everything = "\n".join(sources)
    if "rng" in everything or "random" in everything or ".sample(" in everything:
        seeds = ("default_rng(", "manual_seed(", "random_state=")
        assert any(s in everything for s in seeds), "no seed set"
    # an unseeded global generator is never used
    assert "np.random.seed(" not in everything and "np.random.rand" not in everything
    for i, src in enumerate(sources):
        if "plt.subplots(" in src or "plt.figure(" in src:
            last = src.rstrip().splitlines()[-1].strip()
            inside_widget_callback = "widgets.interact" in src
            animation_frames = "plt.close(" in src  # drawn into an HTML animation instead
            assert last == "plt.show()" or inside_widget_callback or animation_frames, (
                f"figure cell {i} ends {last!r}"
            )
