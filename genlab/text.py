"""Turning short texts into the count vectors that naive Bayes models.

Introduced in the book's chapter "Naive Bayes" (``book/naive_bayes/naive_bayes.ipynb``).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence, Set

import numpy as np
from numpy.typing import NDArray

from genlab._validation import _not_fitted_error, check_count, check_output_size

__all__ = ["BagOfWords", "tokenize"]

_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


def tokenize(text: str) -> list[str]:
    """Split a message into lower-case word tokens.

    A token is a run of letters and digits, optionally with an apostrophe suffix
    ("don't", "i'm"); punctuation is dropped. Numbers are kept: in spam, a short-code
    phone number is among the most telling tokens.

    Introduced in the chapter "Naive Bayes".

    Parameters
    ----------
    text : str
        The message.

    Returns
    -------
    list of str
        The tokens, in order.

    Examples
    --------
    >>> tokenize("WINNER!! Call 80082 now, don't wait")
    ['winner', 'call', '80082', 'now', "don't", 'wait']
    """
    if not isinstance(text, str):
        raise ValueError(f"text must be a str; got {type(text).__name__}")
    return _TOKEN.findall(text.lower())


def _check_texts(texts: Iterable[str]) -> list[str]:
    """A list of texts, each a str.

    Refused, by name: a bare string or bytes (it would be read as one text per letter), a
    dict (its keys would be the texts) or a set (no order, so the rows would come out in
    an arbitrary order), anything that is not iterable, and items that are not strings
    (bytes must be decoded first). An empty list is returned as it is: the caller
    decides.
    """
    if isinstance(texts, (str, bytes, bytearray)):
        raise ValueError(
            "texts must be a list of strings, one per document; got a single string "
            f"({texts[:30]!r}...): wrap it in a list, [text]"
            + ("" if isinstance(texts, str) else " (and decode bytes first)")
        )
    if isinstance(texts, (Mapping, Set)):
        raise ValueError(
            f"texts must be a list of strings, one per document; got a {type(texts).__name__}, "
            "whose order is not the documents' (pass list(...) of the texts)"
        )
    try:
        out = list(texts)
    except TypeError:
        raise ValueError(
            f"texts must be a list of strings, one per document; got {type(texts).__name__}"
        ) from None
    for i, text in enumerate(out):
        if not isinstance(text, str):
            hint = " (decode bytes first: text.decode('utf-8'))" if isinstance(text, bytes) else ""
            raise ValueError(
                f"texts must be a list of strings: texts[{i}]: text must be a str; got "
                f"{type(text).__name__} ({text!r:.40}){hint}"
            )
    return out


class BagOfWords:
    """Count how often each vocabulary word occurs in each text.

    Introduced in the chapter "Naive Bayes".

    Parameters
    ----------
    min_count : int, default 1
        Keep only words that occur at least this often in the training texts.

    Attributes
    ----------
    vocabulary_ : list of str
        The kept words, sorted; column ``j`` of :meth:`transform` counts word ``j``.
    index_ : dict of str to int
        The column of each word.
    """

    def __init__(self, *, min_count: int = 1) -> None:
        self.min_count = min_count

    def fit(self, texts: Iterable[str]) -> BagOfWords:
        """Learn the vocabulary from training texts.

        Parameters
        ----------
        texts : iterable of str
            At least one text; a list, tuple, array or generator (not a bare string, a
            dict or a set).

        Returns
        -------
        self

        Raises
        ------
        ValueError
            If ``texts`` is not a list of strings, is empty, or leaves the vocabulary
            empty (no text has a word, or no word occurs ``min_count`` times).
        """
        check_count(self.min_count, name="min_count", minimum=1)
        docs = _check_texts(texts)
        if not docs:
            raise ValueError("texts is empty: fit needs at least one text to learn a vocabulary")
        counts = Counter(word for text in docs for word in tokenize(text))
        vocabulary = sorted(w for w, c in counts.items() if c >= self.min_count)
        if not counts:
            raise ValueError(
                f"none of the {len(docs)} text(s) contains a word (only spaces, punctuation or "
                "nothing): the vocabulary is empty"
            )
        if not vocabulary:
            raise ValueError(
                f"no word occurs min_count={self.min_count} times (the most frequent occurs "
                f"{max(counts.values())} times), so the vocabulary is empty; lower min_count"
            )
        self.vocabulary_ = vocabulary
        self.index_ = {w: j for j, w in enumerate(self.vocabulary_)}
        return self

    def transform(self, texts: Sequence[str]) -> NDArray[np.float64]:
        """Count the vocabulary words in each text; unknown words are ignored.

        Parameters
        ----------
        texts : sequence of str, length n_texts
            An empty list gives an array of 0 rows; a text without vocabulary words, a
            row of zeros.

        Returns
        -------
        ndarray of shape (n_texts, n_words)
            ``X[i, j]`` is how often word ``j`` occurs in text ``i``.

        Raises
        ------
        ValueError
            If ``texts`` is not a list of strings, or the array would exceed
            ``genlab._validation.MAX_OUTPUT_BYTES`` (transform in batches).
        """
        if not hasattr(self, "index_"):
            raise _not_fitted_error()("this BagOfWords is not fitted yet; call fit first")
        texts = _check_texts(texts)
        check_output_size(
            (len(texts), len(self.vocabulary_)), name="texts", what="the count matrix"
        )
        X = np.zeros((len(texts), len(self.vocabulary_)))
        for i, text in enumerate(texts):
            for word in tokenize(text):
                j = self.index_.get(word)
                if j is not None:
                    X[i, j] += 1
        return X

    def fit_transform(self, texts: Sequence[str]) -> NDArray[np.float64]:
        """Learn the vocabulary and count it in the same texts.

        Parameters
        ----------
        texts : iterable of str, length n_texts
            Read once, so a generator works too.

        Returns
        -------
        ndarray of shape (n_texts, n_words)
        """
        docs = _check_texts(texts)
        return self.fit(docs).transform(docs)
