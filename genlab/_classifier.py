r"""The shared machinery of genlab's generative classifiers: one contract for the family.

A generative classifier models :math:`p(c)` and :math:`p(x \mid c)` for every class and
classifies with Bayes' theorem. Everything after fitting is the same for every such model:
the log joint, the posterior by log-sum-exp, the most probable class, accuracy, and
ancestral sampling. A subclass (see "Adding a model" in the README)

* declares ``_parameter_constraints`` for its ``__init__`` parameters and validates them
  with ``self._validate_params()`` at the start of ``fit``;
* in ``fit``, checks its input with ``_check_X(X, reset=True)`` and ``check_labels``, finds
  the classes with ``_check_classes``, and sets the priors with ``_fit_priors`` (the one
  prior attribute, ``priors_``);
* implements the two abstract hooks, :meth:`GenerativeClassifier._joint_log_likelihood`
  and :meth:`GenerativeClassifier._sample_features`, and may override ``_check_X`` (for
  example to require counts).

Introduced in the book's chapter "Naive Bayes" (``book/naive_bayes/naive_bayes.ipynb``).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from genlab._base import BaseEstimator, ClassifierMixin
from genlab._validation import (
    check_array,
    check_count,
    check_is_fitted,
    check_labels,
    check_output_size,
    check_probability_vector,
    check_random_state,
    check_sample_label,
    check_sample_weight,
)
from genlab.numerics import log_normalize

__all__ = ["GenerativeClassifier", "check_labels", "check_sample_weight"]

FloatArray = NDArray[np.float64]


class GenerativeClassifier(ClassifierMixin, BaseEstimator, ABC):
    """Prediction, scoring and sampling for a classifier that models p(c) and p(x | c).

    Introduced in the chapter "Naive Bayes".

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels, sorted.
    class_count_ : ndarray of shape (n_classes,)
        Number (total weight) of training samples per class.
    priors_ : ndarray of shape (n_classes,)
        The class priors :math:`p(c)` used for prediction (scikit-learn's estimators call
        them ``class_prior_`` or ``priors_``; genlab's naive Bayes models keep
        scikit-learn's names as aliases).
    n_features_in_ : int
    """

    _fitted_attributes: tuple[str, ...] = ("classes_", "priors_")
    classes_: NDArray[Any]
    class_count_: FloatArray
    priors_: FloatArray
    n_features_in_: int

    # -------------------------------------------------------------- prediction
    def predict_joint_log_proba(self, X: ArrayLike) -> FloatArray:
        r"""Log joint probability :math:`\log p(x, c) = \log p(c) + \log p(x \mid c)`.

        For the multinomial model, up to a term that is the same for every class (the
        multinomial coefficient), which leaves the posterior unchanged.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            Columns in the order of ``classes_``.
        """
        check_is_fitted(self, self._fitted_attributes)
        return self._joint_log_likelihood(self._check_X(X, reset=False))

    def predict_log_proba(self, X: ArrayLike) -> FloatArray:
        r"""Log posterior :math:`\log p(c \mid x)`, normalised with log-sum-exp.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
        """
        return log_normalize(self.predict_joint_log_proba(X), axis=1)[0]

    def predict_proba(self, X: ArrayLike) -> FloatArray:
        r"""Posterior probabilities :math:`p(c \mid x)`; each row sums to 1.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
        """
        return np.exp(self.predict_log_proba(X))

    def predict(self, X: ArrayLike) -> NDArray[Any]:
        """Predict the most probable class of each sample.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,)
            Labels from ``classes_``.
        """
        jll = self.predict_joint_log_proba(X)
        return np.asarray(self.classes_[np.argmax(jll, axis=1)])

    def score(self, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None) -> float:
        """Mean accuracy of :meth:`predict` on ``(X, y)``.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
        y : array_like of shape (n_samples,)
        sample_weight : array_like of shape (n_samples,), optional

        Returns
        -------
        float
        """
        pred = self.predict(X)
        labels = check_labels(y, len(pred))
        w = check_sample_weight(sample_weight, len(pred))
        return float(np.average(pred == labels, weights=w))

    # -------------------------------------------------------------- generation
    def sample(
        self,
        n_samples: int = 1,
        *,
        y: Any = None,
        random_state: int | np.random.Generator | None = None,
    ) -> tuple[FloatArray, NDArray[Any]]:
        """Draw new labelled samples from the fitted model (ancestral sampling).

        First a class from the prior ``p(c)`` (or the class ``y`` for every sample),
        then the features from that class's distribution ``p(x | c)``: independently per
        feature for naive Bayes, jointly for the Gaussian and mixture models (see each
        estimator for what it returns).

        Parameters
        ----------
        n_samples : int
            How many samples to draw, >= 1 (not a bool or a float); a request whose
            output would exceed ``genlab._validation.MAX_OUTPUT_BYTES`` (4 GiB) is
            refused before anything is drawn.
        y : label, optional
            Draw every sample from this class instead of from the prior: one label of
            ``classes_`` (a scalar, of the classes' kind: not a list, and not a float for
            integer classes).
        random_state : int, Generator or None
            Seed for reproducible samples.

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
        y : ndarray of shape (n_samples,)
        """
        idx, rng = self._draw_classes(n_samples, y, random_state)
        return self._sample_features(idx, rng), self.classes_[idx]

    def _draw_classes(
        self, n_samples: int, y: Any, random_state: int | np.random.Generator | None
    ) -> tuple[NDArray[np.intp], np.random.Generator]:
        check_is_fitted(self, self._fitted_attributes)
        n_samples = check_count(n_samples, name="n_samples", minimum=1)
        check_output_size((n_samples, self.n_features_in_), name="n_samples", what="the samples")
        index = None if y is None else check_sample_label(y, self.classes_)
        rng = check_random_state(random_state)
        if index is None:
            return rng.choice(len(self.classes_), size=n_samples, p=self._prior()), rng
        return np.full(n_samples, index), rng

    # ------------------------------------------------- shared fitting helpers
    @staticmethod
    def _check_classes(labels: NDArray[Any]) -> NDArray[Any]:
        """The sorted distinct labels; a classifier needs at least two."""
        classes = np.unique(labels)
        if len(classes) < 2:
            raise ValueError(
                f"at least two classes are needed to fit a classifier; got {len(classes)} class"
                + (f" ({classes[0]!r})" if len(classes) else "")
            )
        return classes

    def _fit_priors(
        self,
        class_count: ArrayLike,
        *,
        fixed: ArrayLike | None = None,
        name: str = "priors",
        fit: bool = True,
    ) -> None:
        """Set ``class_count_`` and ``priors_`` (the one prior attribute).

        Parameters
        ----------
        class_count : array_like of shape (n_classes,)
            Number (total weight) of training samples per class.
        fixed : array_like of shape (n_classes,), optional
            Fixed priors (validated: non-negative, summing to 1, one per class).
        name : str
            The parameter that holds ``fixed``, for error messages.
        fit : bool
            Without fixed priors: the class frequencies (True) or uniform priors.
        """
        self.class_count_ = np.asarray(class_count, dtype=np.float64)
        k = len(self.class_count_)
        if fixed is not None:
            priors = check_probability_vector(fixed, name=name)
            if len(priors) != k:
                raise ValueError(f"{name} has {len(priors)} entries for {k} classes")
            self.priors_ = priors
        elif fit:
            total = self.class_count_.sum()
            if not total > 0:
                raise ValueError("the samples' weights sum to zero: no class has any weight")
            self.priors_ = self.class_count_ / total
        else:
            self.priors_ = np.full(k, 1.0 / k)

    def _log_prior(self) -> FloatArray:
        r""":math:`\log p(c)`; a prior of 0 gives ``-inf``, by design."""
        with np.errstate(divide="ignore"):
            return np.asarray(np.log(self.priors_), dtype=np.float64)

    def _prior(self) -> FloatArray:
        return np.asarray(self.priors_, dtype=np.float64)

    # ------------------------------------------------------------------ hooks
    def _check_X(self, X: ArrayLike, *, reset: bool) -> FloatArray:
        return self._check_n_features(check_array(X, name="X"), reset=reset)

    def _check_n_features(self, X: FloatArray, *, reset: bool) -> FloatArray:
        """At fit (``reset``), record ``n_features_in_``; afterwards, insist on it."""
        if reset:
            self.n_features_in_ = X.shape[1]
        else:
            check_is_fitted(self, self._fitted_attributes)
            if X.shape[1] != self.n_features_in_:
                raise ValueError(
                    f"X has {X.shape[1]} features, but {type(self).__name__} is expecting "
                    f"{self.n_features_in_} features as input"
                )
        return X

    @abstractmethod
    def fit(self, X: ArrayLike, y: ArrayLike) -> Any:
        """Fit the priors and the class-conditional densities to labelled data."""

    @abstractmethod
    def _joint_log_likelihood(self, X: FloatArray) -> FloatArray:
        r"""The log joint :math:`\log p(c) + \log p(x \mid c)` of validated samples.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            Already checked by ``_check_X``.

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            Columns in the order of ``classes_``; ``-inf`` where a class is impossible.
        """

    @abstractmethod
    def _sample_features(self, idx: NDArray[np.intp], rng: np.random.Generator) -> FloatArray:
        r"""Draw one feature vector from :math:`p(x \mid c)` for each class index.

        Parameters
        ----------
        idx : ndarray of int, shape (n_samples,)
            Indices into ``classes_``.
        rng : numpy Generator

        Returns
        -------
        ndarray of shape (n_samples, n_features)
        """
