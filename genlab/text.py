"""Turning short texts into the count vectors that naive Bayes models.

Introduced in the book's chapter "Naive Bayes" (``book/naive_bayes/naive_bayes.ipynb``).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np
from numpy.typing import NDArray

from genlab._validation import _not_fitted_error, check_count

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
    """A list of texts; a bare string is refused (it would be read as one text per letter)."""
    if isinstance(texts, (str, bytes)):
        raise ValueError(
            "texts must be a list of strings, one per document; got a single string "
            f"({texts[:30]!r}...): wrap it in a list, [text]"
        )
    try:
        out = list(texts)
    except TypeError:
        raise ValueError(
            f"texts must be a list of strings, one per document; got {type(texts).__name__}"
        ) from None
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

        Returns
        -------
        self
        """
        check_count(self.min_count, name="min_count", minimum=1)
        counts = Counter(word for text in _check_texts(texts) for word in tokenize(text))
        self.vocabulary_ = sorted(w for w, c in counts.items() if c >= self.min_count)
        if not self.vocabulary_:
            raise ValueError("no word occurs min_count times; the vocabulary is empty")
        self.index_ = {w: j for j, w in enumerate(self.vocabulary_)}
        return self

    def transform(self, texts: Sequence[str]) -> NDArray[np.float64]:
        """Count the vocabulary words in each text; unknown words are ignored.

        Parameters
        ----------
        texts : sequence of str, length n_texts

        Returns
        -------
        ndarray of shape (n_texts, n_words)
            ``X[i, j]`` is how often word ``j`` occurs in text ``i``.
        """
        if not hasattr(self, "index_"):
            raise _not_fitted_error()("this BagOfWords is not fitted yet; call fit first")
        texts = _check_texts(texts)
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
        texts : sequence of str, length n_texts

        Returns
        -------
        ndarray of shape (n_texts, n_words)
        """
        return self.fit(texts).transform(texts)
