"""Bad input across genlab's small helpers: each refused with a message that names it."""

from __future__ import annotations

import numpy as np
import pytest

from genlab._validation import check_count, check_positive
from genlab.text import BagOfWords


@pytest.mark.parametrize("texts", ["free money now", b"free money"])
def test_a_bare_string_is_not_a_list_of_documents(texts):
    # (iterating over it would make one document per letter)
    with pytest.raises(ValueError, match="a single string.*wrap it in a list"):
        BagOfWords().fit(texts)
    fitted = BagOfWords().fit(["free money", "money now"])
    with pytest.raises(ValueError, match="a single string"):
        fitted.transform(texts)


def test_documents_must_be_strings_and_min_count_a_count():
    with pytest.raises(ValueError, match="texts must be a list of strings"):
        BagOfWords().fit(42)
    with pytest.raises(ValueError, match="text must be a str; got int"):
        BagOfWords().fit(["fine", 3])
    for bad in (0, -1, 1.5, "2", True):
        with pytest.raises(ValueError, match="min_count must be an integer >= 1"):
            BagOfWords(min_count=bad).fit(["a b"])
    # a generator of texts is a list of documents too
    bag = BagOfWords().fit(t for t in ["a b", "b c"])
    assert bag.vocabulary_ == ["a", "b", "c"]


@pytest.mark.parametrize("bad", [1.0, 2.5, "3", None, True, np.bool_(True), -1])
def test_check_count(bad):
    with pytest.raises(ValueError, match="n must be an integer >= 0"):
        check_count(bad, name="n")


def test_check_count_accepts_numpy_integers():
    assert check_count(np.int64(3), name="n", minimum=3) == 3


@pytest.mark.parametrize("bad", ["abc", None, [1.0], True, float("nan"), -1.0, float("inf")])
def test_check_positive_names_the_value(bad):
    with pytest.raises(ValueError, match="tol must be"):
        check_positive(bad, name="tol")
