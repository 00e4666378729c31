"""A notebook reads nothing through its own location: it runs wherever a learner puts it.

A learner downloads one ``.ipynb`` from the rendered book (or unpacks the archive of the
"Get the code" page) into any folder. So no code cell may reach a file through the
notebook's folder or the working directory: no ``Path.cwd()``, ``os.getcwd()``,
``os.chdir``, ``__file__``, no string literal with ``../`` or ``./``, and no file opened or
loaded from a literal path. Data and records come from the installed ``genlab``
(``importlib.resources``: :func:`genlab.datasets.load_record`, ``load_mnist``, ...).

The static scan is backed by a run: the performance page, which used to locate the
repository from its own folder, is copied to a temporary folder and executed there.
"""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(
    p for p in (ROOT / "book").rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts
)

#: Calls that read or write a file, by the name they are called with.
FILE_CALLS = {
    "open",
    "Path",
    "PurePath",
    "read_idx",
    "write_idx",
    "load",
    "loadtxt",
    "genfromtxt",
    "fromfile",
    "read_csv",
    "imread",
    "savefig",
    "load_checkpoint",
    "save_checkpoint",
    "load_mnist",
}
LOCATION = re.compile(r"(?:^|[\s\"'=(])\.\.?/")


def location_uses(source: str) -> list[str]:
    """What in one code cell's source depends on where the notebook sits."""
    lines = [line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))]
    tree = ast.parse("\n".join(lines))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id == "__file__":
            found.append("__file__")
        elif isinstance(node, ast.Attribute) and node.attr in {"cwd", "getcwd", "chdir"}:
            found.append(f".{node.attr}")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if LOCATION.search(node.value):
                found.append(f"the relative path {node.value!r}")
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            literal = [
                a.value
                for a in [*node.args, *(k.value for k in node.keywords)]
                if isinstance(a, ast.Constant) and isinstance(a.value, str)
            ]
            if name in FILE_CALLS and literal:
                found.append(f"{name}({literal[0]!r})")
    return found


def uses_in(path: Path) -> list[str]:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return [
        f"cell {i}: {use}"
        for i, cell in enumerate(cells)
        if cell["cell_type"] == "code"
        for use in location_uses("".join(cell["source"]))
    ]


def params():
    for p in NOTEBOOKS:
        yield pytest.param(p, id=str(p.relative_to(ROOT)))


def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 8


@pytest.mark.parametrize("path", list(params()))
def test_no_notebook_reads_through_its_own_location(path):
    assert uses_in(path) == []


@pytest.mark.parametrize(
    "source",
    [
        "from pathlib import Path\nROOT = Path.cwd().parents[1]",
        "import os\nos.chdir('/tmp')",
        "here = os.getcwd()",
        "x = __file__",
        'record = json.loads(Path("../../benchmarks/results/choosing.json").read_text())',
        "data = np.load('digits.npz')",
        "with open('notes.txt') as f:\n    pass",
        "images = read_idx('./train-images-idx3-ubyte.gz')",
        "fig.savefig('figure.png')",
        "subprocess.run(['ls', '../data'])",
    ],
)
def test_the_scan_finds_what_depends_on_the_location(source):
    assert location_uses(source)


@pytest.mark.parametrize(
    "source",
    [
        'record = load_record("latest")',
        "images, labels = load_mnist()",
        "%matplotlib inline\nx = 1 / 2",
        "print(f'{a}/{b}')",
        "with tempfile.TemporaryDirectory() as out:\n    p = Path(out) / 'a.json'",
        'ax.set(xlabel="time ratio genlab / peer")',
        'ax.plot(x, ".", ms=4)',
        'ax.barh(0, 1, hatch=["", "//", "..", "xx"][k])',
    ],
)
def test_the_scan_allows_what_does_not(source):
    assert location_uses(source) == []


@pytest.mark.slow
@pytest.mark.parametrize("chapter", ["performance", "choosing"])
def test_the_notebooks_that_broke_run_from_another_folder(tmp_path, chapter):
    """Executed in a folder outside the repository, as after 'download .ipynb'.

    These two failed there before (``ROOT = Path.cwd().parents[1]`` and
    ``../../benchmarks/results/choosing.json``); the others are scanned above.
    """
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    src = ROOT / "book" / chapter / f"{chapter}.ipynb"
    notebook = tmp_path / "downloads" / src.name
    notebook.parent.mkdir()
    shutil.copy(src, notebook)
    nb = nbformat.read(notebook, as_version=4)
    # the kernel finds genlab as an installed package would be found, not through the
    # repository being the working directory
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    client = nbclient.NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": notebook.parent}}
    )
    old = dict(os.environ)
    os.environ.update(env)
    try:
        client.execute()
    finally:
        os.environ.clear()
        os.environ.update(old)
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert errors == []
    assert not (notebook.parent / "latest-quick.json").exists()  # nothing written beside it
