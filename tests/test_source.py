"""genlab.source shows the package's code: checked against the file itself, by hand."""

from __future__ import annotations

import inspect
from pathlib import Path

import numpy as np
import pytest

import genlab
from genlab.source import show_source, source_of


def test_source_is_the_functions_own_lines_without_the_docstring():
    from genlab import hmm

    code = source_of(hmm.forward)
    lines, start = inspect.getsourcelines(hmm.forward)
    file_lines = Path(hmm.__file__).read_text(encoding="utf-8").splitlines()
    # every line shown is a line of the file, in order, from the def onwards
    shown = code.splitlines()
    assert shown[0] == file_lines[start - 1].strip() == "def forward("
    body = [line for line in file_lines[start - 1 : start - 1 + len(lines)]]
    assert all(line in body for line in shown)
    assert '"""' not in code and "Parameters" not in code
    # ... to the function's own last line, and nothing after it
    assert shown[-1] == lines[-1].rstrip("\n") and shown[-1].startswith("    return ")


def test_docstring_is_kept_on_request():
    code = source_of(genlab.numerics.logsumexp, docstring=True)
    assert code.count('"""') == 2 and code.startswith("def logsumexp(")


def test_methods_are_dedented():
    code = source_of(genlab.cluster.KMeans.fit)
    assert code.startswith("def fit(self")


def test_show_source_is_a_fenced_python_block_named_by_its_qualified_name():
    shown = show_source(genlab.cluster.KMeans.fit)
    assert shown.data.startswith("`genlab.cluster.KMeans.fit`\n\n```python\ndef fit(self")
    assert shown.data.endswith("\n```")


@pytest.mark.parametrize("obj", [np.mean, len, 3, "genlab.hmm.forward"])
def test_only_genlabs_own_code_is_shown(obj):
    with pytest.raises(ValueError, match="genlab's own code"):
        source_of(obj)


def test_docstring_flag_must_be_a_bool():
    with pytest.raises(ValueError, match="docstring must be True or False"):
        source_of(genlab.numerics.logsumexp, docstring="no")
