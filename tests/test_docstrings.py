"""genlab's documentation contract: every public object names a real chapter of the book.

The d2l convention: every reusable helper lives in the package, and its docstring points to
the chapter that introduces it. The chapter titles are read from the notebooks themselves
(their first level-one heading), so renaming a chapter without its pointers fails here.
"""

from __future__ import annotations

import importlib
import inspect
import json
import re
from pathlib import Path

import pytest

import genlab
from genlab._base import BaseEstimator

ROOT = Path(__file__).resolve().parents[1]
POINTER = re.compile(r'[Ii]ntroduced in the (?:book\'s )?chapter "([^"]+)"')


def chapter_titles() -> set[str]:
    titles = set()
    for path in sorted((ROOT / "book").glob("*/*.ipynb")):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        lines = (
            line
            for cell in cells
            if cell["cell_type"] == "markdown"
            for line in "".join(cell["source"]).splitlines()
        )
        titles.add(next(line[2:].strip() for line in lines if line.startswith("# ")))
    return titles


TITLES = chapter_titles()
# (plus the PyTorch modules, which genlab does not import lazily: they are imported explicitly)
MODULES = sorted(
    genlab._SUBMODULES
    | {"vae", "vae_classifier", "autoregressive", "flow", "diffusion", "discrete_vae", "quality"}
    | {"gan", "vqvae", "hierarchical_vae", "denoising"}
)
PACKAGE_DIR = Path(genlab.__file__).parent


def test_every_public_module_file_is_checked():
    files = {p.stem for p in PACKAGE_DIR.glob("*.py") if not p.stem.startswith("_")}
    assert files == set(MODULES)


def public_objects(module_name: str):
    """Functions and classes defined in a public module and not private."""
    module = importlib.import_module(f"genlab.{module_name}")
    names = getattr(module, "__all__", None) or [n for n in vars(module) if not n.startswith("_")]
    for name in names:
        obj = getattr(module, name)
        if (inspect.isfunction(obj) or inspect.isclass(obj)) and obj.__module__.startswith(
            "genlab"
        ):
            yield f"genlab.{module_name}.{name}", obj


OBJECTS = [item for m in MODULES for item in public_objects(m)]


def test_the_book_has_the_expected_chapters():
    assert "Naive Bayes" in TITLES and "Hidden Markov models" in TITLES
    assert len(TITLES) == len(list((ROOT / "book").glob("*/*.ipynb")))


@pytest.mark.parametrize("module_name", MODULES)
def test_every_module_names_its_chapter(module_name):
    module = importlib.import_module(f"genlab.{module_name}")
    pointers = POINTER.findall(" ".join((module.__doc__ or "").split()))
    assert pointers, f"genlab.{module_name} names no chapter"
    assert set(pointers) <= TITLES, set(pointers) - TITLES


@pytest.mark.parametrize(("name", "obj"), OBJECTS, ids=[name for name, _ in OBJECTS])
def test_every_public_object_names_a_real_chapter(name, obj):
    doc = " ".join((inspect.getdoc(obj) or "").split())
    pointers = POINTER.findall(doc)
    assert pointers, f'{name}: no "Introduced in the chapter ..." line'
    assert set(pointers) <= TITLES, f"{name} names {set(pointers) - TITLES}, not a chapter"


def test_the_pointer_test_can_fail():
    assert not set(POINTER.findall('Introduced in the chapter "Naive Bayesian"')) <= TITLES


def test_the_package_docstring_lists_every_estimator():
    estimators = sorted(
        {
            f"{name.split('.')[1]}.{obj.__name__}"
            for name, obj in OBJECTS
            if inspect.isclass(obj)
            and issubclass(obj, BaseEstimator)
            and not inspect.isabstract(obj)
        }
    )
    assert len(estimators) >= 11
    missing = [e for e in estimators if f"``{e}``" not in genlab.__doc__]
    assert not missing, f"genlab's docstring does not list {missing}"
