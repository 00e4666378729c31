"""Small data sets that ship with genlab, so that no notebook needs the network.

* the worked examples of Lipiński (2024), "Generative methods in classification tasks",
  TASK Quarterly 28(4), doi:10.34808/tq2024/28.4/a: Tables 1 and 3 (naive Bayes) and
  Tables 4 and 5 (multivariate Gaussian);
* a spam/ham corpus of 400 short messages written for this course (CC0).

Introduced in the book's chapter "Naive Bayes" (``book/naive_bayes/naive_bayes.ipynb``).
"""

from __future__ import annotations

from importlib import resources

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "LIPINSKI_EQ35",
    "lipinski_gaussian_example",
    "lipinski_mixture_example",
    "lipinski_naive_bayes_example",
    "load_spam_ham",
]

#: The final two-component model of Lipiński (2024), Eq. 35: weights, means, covariances.
LIPINSKI_EQ35: dict[str, NDArray[np.float64]] = {
    "weights": np.array([0.5, 0.5]),
    "means": np.array([[2.80, 1.97], [5.47, 6.89]]),
    "covariances": np.array([[[0.17, 0.05], [0.05, 0.37]], [[0.07, -0.06], [-0.06, 0.38]]]),
}


def lipinski_naive_bayes_example() -> tuple[
    NDArray[np.float64], NDArray[np.int64], NDArray[np.float64]
]:
    """The naive Bayes worked example of Lipiński (2024), Tables 1 and 3.

    Introduced in the chapter "Naive Bayes".

    Returns
    -------
    X : ndarray of shape (5, 4)
        Training objects (Table 1): four real-valued features each.
    y : ndarray of shape (5,)
        Their classes: two objects of class 0, three of class 1.
    x_new : ndarray of shape (4,)
        The object to classify (Table 3).
    """
    X = np.array(
        [
            [2.3, 1.2, 4.5, 0.81],
            [3.3, 1.8, 3.8, 0.32],
            [1.2, 2.3, 3.1, 0.31],
            [1.8, 2.1, 2.6, 0.13],
            [2.1, 2.8, 3.2, 0.02],
        ]
    )
    y = np.array([0, 0, 1, 1, 1])
    x_new = np.array([2.5, 1.9, 3.2, 0.1])
    return X, y, x_new


def lipinski_gaussian_example() -> tuple[
    NDArray[np.float64], NDArray[np.int64], NDArray[np.float64]
]:
    """The multivariate Gaussian worked example of Lipiński (2024), Tables 4 and 5.

    Introduced in the chapter "Naive Bayes" (data only); used in the Gaussian chapter.

    Returns
    -------
    X : ndarray of shape (10, 2)
        Training objects (Table 4): five of class 0, five of class 1.
    y : ndarray of shape (10,)
        Their classes.
    x_new : ndarray of shape (2,)
        The object to classify (Table 5).
    """
    X = np.array(
        [
            [2.8, 2.6],
            [4.0, 3.1],
            [1.2, 2.9],
            [0.7, 3.3],
            [5.1, 2.7],
            [7.8, 9.6],
            [5.9, 8.1],
            [6.6, 7.9],
            [7.1, 6.3],
            [6.1, 9.7],
        ]
    )
    y = np.array([0, 0, 0, 0, 0, 1, 1, 1, 1, 1])
    x_new = np.array([3.2, 2.7])
    return X, y, x_new


def lipinski_mixture_example(
    random_state: int | np.random.Generator | None = 2026,
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """40 points shaped like the mixture example of Lipiński (2024), §3.1.2.

    The paper does not publish its 40 points (20 per group), only the fitted model of its
    Eq. 35. These points are drawn from that model, 20 from each component, with a fixed
    seed, so that the book's EM example has data of the same shape.

    Introduced in the chapter "Gaussian mixtures and the EM algorithm".

    Parameters
    ----------
    random_state : int, Generator or None, default 2026

    Returns
    -------
    X : ndarray of shape (40, 2)
    component : ndarray of shape (40,)
        The component each point was drawn from (0 for the first 20, 1 for the rest);
        unknown to the clustering, used only to check it.
    """
    from genlab._validation import check_random_state

    rng = check_random_state(random_state)
    parts = [
        rng.multivariate_normal(LIPINSKI_EQ35["means"][k], LIPINSKI_EQ35["covariances"][k], 20)
        for k in (0, 1)
    ]
    return np.vstack(parts), np.repeat([0, 1], 20)


def load_spam_ham() -> tuple[list[str], NDArray[np.str_]]:
    """The course's spam/ham corpus: 400 short messages, 250 ham and 150 spam.

    The messages were written for this project from hand-written templates (see
    ``scripts/make_spam_ham_corpus.py``); none is a real person's message. Licence: CC0.

    Introduced in the chapter "Naive Bayes".

    Returns
    -------
    texts : list of str, length 400
        The messages.
    labels : ndarray of str, shape (400,)
        ``"ham"`` or ``"spam"``.
    """
    source = resources.files("genlab").joinpath("data", "spam_ham.tsv")
    texts: list[str] = []
    labels: list[str] = []
    for line in source.read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        label, text = line.split("\t", 1)
        labels.append(label)
        texts.append(text)
    return texts, np.array(labels)
