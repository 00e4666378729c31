"""Tokenising, counting and the shipped data sets."""

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.feature_extraction.text import CountVectorizer

from genlab._validation import NotFittedError
from genlab.datasets import (
    LIPINSKI_EQ35,
    lipinski_gaussian_example,
    lipinski_mixture_example,
    lipinski_naive_bayes_example,
    load_spam_ham,
)
from genlab.text import BagOfWords, tokenize


def test_tokenize():
    assert tokenize("WINNER!! Call 80082 now, don't wait") == [
        "winner",
        "call",
        "80082",
        "now",
        "don't",
        "wait",
    ]
    assert tokenize("") == []
    with pytest.raises(ValueError, match="text must be a str"):
        tokenize(3)  # type: ignore[arg-type]


def test_bag_of_words_matches_sklearn_count_vectorizer():
    texts, _ = load_spam_ham()
    ours = BagOfWords().fit(texts)
    theirs = CountVectorizer(tokenizer=tokenize, lowercase=False, token_pattern=None)
    expected = theirs.fit_transform(texts).toarray()
    assert ours.vocabulary_ == list(theirs.get_feature_names_out())
    assert_array_equal(ours.transform(texts), expected)


def test_bag_of_words_min_count_and_unknown_words():
    bow = BagOfWords(min_count=2).fit(["a b b", "b c a", "d"])
    assert bow.vocabulary_ == ["a", "b"]
    assert_array_equal(bow.transform(["b b z", "q"]), [[0, 2], [0, 0]])
    with pytest.raises(ValueError, match="vocabulary is empty"):
        BagOfWords(min_count=5).fit(["a"])
    with pytest.raises(ValueError, match="min_count must be an integer >= 1"):
        BagOfWords(min_count=0).fit(["a"])
    with pytest.raises(NotFittedError):
        BagOfWords().transform(["a"])


def test_spam_ham_corpus():
    texts, labels = load_spam_ham()
    assert len(texts) == len(labels) == 400
    assert set(labels) == {"ham", "spam"}
    assert np.sum(labels == "spam") == 150
    assert len(set(texts)) == 400  # no duplicate messages
    assert all(t.strip() == t and t for t in texts)


def test_lipinski_examples():
    X, y, x_new = lipinski_naive_bayes_example()
    assert X.shape == (5, 4) and y.tolist() == [0, 0, 1, 1, 1] and x_new.shape == (4,)
    X, y, x_new = lipinski_gaussian_example()
    assert X.shape == (10, 2) and np.bincount(y).tolist() == [5, 5]
    assert x_new.tolist() == [3.2, 2.7]


def test_lipinski_mixture_example_is_drawn_from_eq35():
    X, comp = lipinski_mixture_example()
    assert X.shape == (40, 2) and np.bincount(comp).tolist() == [20, 20]
    again, _ = lipinski_mixture_example()
    np.testing.assert_array_equal(X, again)
    for k in (0, 1):
        cov = LIPINSKI_EQ35["covariances"][k]
        se = np.sqrt(np.diag(cov) / 20)
        assert np.all(np.abs(X[comp == k].mean(0) - LIPINSKI_EQ35["means"][k]) < 4 * se)
        assert np.all(np.linalg.eigvalsh(cov) > 0)  # Eq. 35's matrices are valid covariances
