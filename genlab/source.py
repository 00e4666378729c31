"""Show the package's own code in a chapter, so that the book cannot drift from genlab.

A chapter that explains an algorithm displays the reference implementation next to its
equations with :func:`show_source`. The code shown is read from the installed package when
the cell runs, so the rendered book, a learner's JupyterLab and strict nbval all see the
code that actually runs; changing the function without re-executing the chapter fails the
notebook tests.

Introduced in the book's chapter "Naive Bayes".
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from typing import Any

__all__ = ["show_source", "source_of"]


def source_of(obj: Any, *, docstring: bool = False) -> str:
    """The source code of a genlab function, method or class, dedented.

    Introduced in the chapter "Naive Bayes".

    Parameters
    ----------
    obj : function, method or class
        An object defined in genlab (the chapters show the package's code, nothing else).
    docstring : bool, default False
        Keep the docstring. By default it is dropped: the chapter's prose explains the code,
        and the docstring is in the API reference.

    Returns
    -------
    str
        The code, without a trailing newline.

    Raises
    ------
    ValueError
        If ``obj`` is not defined in genlab or has no Python source.
    """
    if not isinstance(docstring, bool):
        raise ValueError(f"docstring must be True or False, got {docstring!r}")
    module = getattr(inspect.unwrap(obj), "__module__", None) or ""
    if module != "genlab" and not module.startswith("genlab."):
        raise ValueError(f"show only genlab's own code; {obj!r} comes from {module or '?'!r}")
    try:
        code = textwrap.dedent(inspect.getsource(obj))
    except (OSError, TypeError) as error:
        raise ValueError(f"no Python source for {obj!r}: {error}") from None
    doc = inspect.getdoc(obj)
    if not docstring and doc:
        code = _drop_docstring(code)
    return code.rstrip("\n")


def _drop_docstring(code: str) -> str:
    """Remove the docstring of the function or class that ``code`` defines."""
    node = ast.parse(code).body[0]
    first = node.body[0] if isinstance(node, _DEFINITIONS) else None
    if not (isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)):
        return code
    lines = code.splitlines()
    assert first.end_lineno is not None
    return "\n".join(lines[: first.lineno - 1] + lines[first.end_lineno :])


_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def show_source(obj: Any, *, docstring: bool = False) -> Any:
    """Display a genlab object's source as a highlighted Python block (book and JupyterLab).

    Introduced in the chapter "Naive Bayes".

    Parameters
    ----------
    obj : function, method or class
        An object defined in genlab.
    docstring : bool, default False
        Keep the docstring (see :func:`source_of`).

    Returns
    -------
    IPython.display.Markdown
        A fenced ``python`` block, headed by the object's qualified name; the book renders it
        with Sphinx's highlighting, JupyterLab with its own.
    """
    from IPython.display import Markdown

    code = source_of(obj, docstring=docstring)
    name = f"{inspect.unwrap(obj).__module__}.{getattr(obj, '__qualname__', obj)}"
    return Markdown(f"`{name}`\n\n```python\n{code}\n```")  # type: ignore[no-untyped-call]
