r"""Naive Bayes classifiers: Gaussian, multinomial and Bernoulli.

All three models share one assumption: given the class :math:`c`, the features are
independent, so the class-conditional likelihood is a product of one-dimensional factors,

.. math::

    p(c \mid x) \;\propto\; p(c) \prod_{j=1}^{d} p(x_j \mid c),
    \qquad
    \log p(c \mid x) = \log p(c) + \sum_{j=1}^{d} \log p(x_j \mid c) - \log p(x).

They differ only in the factor :math:`p(x_j \mid c)`:

``GaussianNB``
    a normal density :math:`\mathcal N(x_j \mid \mu_{cj}, \sigma^2_{cj})` for real-valued features;
``MultinomialNB``
    word counts: :math:`p(x \mid c) \propto \prod_j \theta_{cj}^{x_j}` with smoothed word
    frequencies :math:`\theta_{cj}`;
``BernoulliNB``
    word presence: :math:`\theta_{cj}^{x_j} (1 - \theta_{cj})^{1 - x_j}` for binary features.

Everything is computed in log space. The API follows scikit-learn's ``sklearn.naive_bayes``
(the same parameter and attribute names), so each model can be checked against it, and adds
what a generative model offers: ``sample`` draws new feature vectors from the fitted
class-conditional distributions.

Introduced in the book's chapter "Naive Bayes" (``book/naive_bayes/naive_bayes.ipynb``).
"""

from __future__ import annotations

import numbers
from typing import Any, ClassVar

import numpy as np
from numpy.typing import ArrayLike, NDArray

from genlab._base import FiniteInterval, Interval
from genlab._classifier import GenerativeClassifier
from genlab._validation import (
    check_classes,
    check_count,
    check_labels,
    check_nonnegative_counts,
    check_sample_weight,
)
from genlab.gaussian import multivariate_normal_logpdf, precision_cholesky
from genlab.numerics import log_normalize

__all__ = ["BernoulliNB", "GaussianNB", "MultinomialNB"]

FloatArray = NDArray[np.float64]

#: Smallest smoothing used by the discrete models, so that no probability is exactly 0.
_ALPHA_MIN = 1e-10


class _BaseNB(GenerativeClassifier):
    """What every naive Bayes model shares: fitting from sufficient statistics, online.

    Prediction, scoring and sampling come from :class:`GenerativeClassifier`. A subclass
    implements the hooks ``_reset`` (empty sufficient statistics), ``_update`` (adding a
    batch of labelled data to them) and ``_finalize`` (turning them into parameters and
    priors, through the shared ``_fit_priors``), besides ``_joint_log_likelihood``,
    ``_sample_features`` and, if its features are special, ``_check_X``.
    """

    _fitted_attributes: tuple[str, ...] = ("classes_", "class_count_", "priors_")

    # ----------------------------------------------------------------- fitting
    def fit(self, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None) -> Any:
        """Fit the model to labelled data.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            Training feature vectors.
        y : array_like of shape (n_samples,)
            Class labels (any sortable type: integers, strings, ...). At least two
            classes are required.
        sample_weight : array_like of shape (n_samples,), optional
            Non-negative weights, read as frequencies (a weight of 2 counts a sample twice).
            Every class in ``y`` needs a positive total weight (a class whose samples all
            weigh 0 is refused: leave its samples out instead).

        Returns
        -------
        self
        """
        self._validate_params()
        X_ = self._check_X(X, reset=True)
        labels = check_labels(y, len(X_), estimator=type(self).__name__)
        classes = np.unique(labels)

        def step() -> None:
            self._start(classes, X_)
            self._partial(X_, labels, sample_weight, every_class=True)

        self._atomically(step)
        return self

    def partial_fit(
        self,
        X: ArrayLike,
        y: ArrayLike,
        classes: ArrayLike | None = None,
        sample_weight: ArrayLike | None = None,
    ) -> Any:
        """Update the model with one more batch of labelled data (online learning).

        Fitting batch after batch gives the same parameters as one call of :meth:`fit`
        on all the data.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            A batch of feature vectors.
        y : array_like of shape (n_samples,)
            Their labels.
        classes : array_like of shape (n_classes,), optional
            Every class that will ever be seen, each listed once. Required on the first
            call; on a later call it may be passed again, but must be the same classes
            (in any order). A batch need not hold every class: a class not seen yet has
            a learned prior of 0 (and, until it is seen, the parameters of an empty
            class: for ``GaussianNB`` mean 0 and variance ``epsilon_``), as in
            scikit-learn.
        sample_weight : array_like of shape (n_samples,), optional
            Non-negative weights, read as frequencies.

        Returns
        -------
        self

        Raises
        ------
        ValueError
            If ``classes`` is missing on the first call, lists a label twice, or differs
            from the first call's; or if ``y`` has a label not in ``classes``. The model
            is left as it was.
        """
        first = not hasattr(self, "classes_")
        if first:
            self._validate_params()
        X_ = self._check_X(X, reset=first)
        labels = check_labels(y, len(X_), estimator=type(self).__name__)
        if first:
            if classes is None:
                raise ValueError("classes must be passed on the first call to partial_fit")
            declared = check_classes(classes)
        elif classes is not None:
            declared = check_classes(classes)
            if len(declared) != len(self.classes_) or not np.all(declared == self.classes_):
                raise ValueError(
                    f"classes={declared.tolist()} is not the same as on the first call to "
                    f"partial_fit ({self.classes_.tolist()}); pass the same classes (or "
                    "none) on later calls, or call fit to start again"
                )

        def step() -> None:
            if first:
                self._start(declared, X_)
            self._partial(X_, labels, sample_weight)

        self._atomically(step)
        return self

    def _start(self, classes: NDArray[Any], X: FloatArray) -> None:
        self.classes_ = self._check_classes(classes)
        self.n_features_in_ = X.shape[1]
        self.class_count_ = np.zeros(len(classes))
        self._reset(X)

    def _partial(
        self,
        X: FloatArray,
        labels: NDArray[Any],
        sample_weight: ArrayLike | None,
        *,
        every_class: bool = False,
    ) -> None:
        try:
            unknown = np.setdiff1d(np.unique(labels), self.classes_)
        except TypeError:  # labels that do not compare with the classes (str vs int)
            unknown = np.unique(labels)
        if unknown.size:
            raise ValueError(
                f"y has labels {unknown.tolist()} not among the classes {self.classes_.tolist()}"
            )
        w = check_sample_weight(sample_weight, len(X))
        onehot = np.zeros((len(X), len(self.classes_)))
        onehot[np.arange(len(X)), np.searchsorted(self.classes_, labels)] = w
        if every_class:
            empty = onehot.sum(axis=0) <= 0
            if np.any(empty):
                raise ValueError(
                    f"class(es) {self.classes_[empty].tolist()} have total sample_weight 0: "
                    "every class in y needs a positive weight (leave out the samples of a "
                    "class you do not want to learn)"
                )
        self._update(X, onehot)
        self.class_count_ += onehot.sum(axis=0)
        self._finalize()

    def _atomically(self, step: Any) -> None:
        """Run ``step()``; if it fails, put every attribute back as it was (all or nothing).

        So that a batch that fails part-way (in ``_finalize``, say) leaves neither a
        half-updated model nor, on a first call, a model that looks started.
        """
        saved = {k: v.copy() if isinstance(v, np.ndarray) else v for k, v in vars(self).items()}
        try:
            step()
        except BaseException:
            vars(self).clear()
            vars(self).update(saved)
            raise

    def _reset(self, X: FloatArray) -> None:
        """Start empty sufficient statistics for ``classes_`` and X's features."""
        raise NotImplementedError

    def _update(self, X: FloatArray, onehot: FloatArray) -> None:
        """Add a batch: ``onehot[i, c]`` is sample i's weight if its class is c, else 0."""
        raise NotImplementedError

    def _finalize(self) -> None:
        """Turn the statistics (and ``class_count_``) into parameters and ``priors_``."""
        raise NotImplementedError


class GaussianNB(_BaseNB):
    r"""Gaussian naive Bayes: one normal density per class and feature.

    .. math::

        \log p(x, c) = \log p(c)
          - \sum_j \Bigl[\tfrac12 \log(2\pi\sigma^2_{cj})
                         + \frac{(x_j - \mu_{cj})^2}{2\sigma^2_{cj}}\Bigr]

    Introduced in the chapter "Naive Bayes".

    Parameters
    ----------
    priors : array_like of shape (n_classes,), optional
        Fixed class priors (non-negative, summing to 1). By default the priors are the
        class frequencies of the training data.
    var_smoothing : float, default 1e-9
        ``epsilon_ = var_smoothing * (largest feature variance)`` is added to every
        variance, so that a feature that is constant within a class still has a proper,
        finite density. The largest variance is that of the first batch passed to
        :meth:`fit` or :meth:`partial_fit`; if every feature of that batch is constant,
        ``epsilon_ = var_smoothing``. (scikit-learn recomputes ``epsilon_`` from every
        batch of ``partial_fit``, so after batches of different spreads the variances of
        the two differ by about ``var_smoothing`` times the difference of the spreads.)
    ddof : {0, 1}, default 0
        Variance estimator: divide the sum of squared deviations by ``n_c - ddof``. 0 is
        the maximum-likelihood estimate (scikit-learn's choice); 1 is the unbiased sample
        variance. With sample weights, ``n_c`` is the class's total weight.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels, sorted.
    class_count_ : ndarray of shape (n_classes,)
        Number (total weight) of training samples per class.
    priors_ : ndarray of shape (n_classes,)
        The priors :math:`p(c)` used for prediction.
    class_prior_ : ndarray of shape (n_classes,)
        scikit-learn's name for ``priors_``.
    theta_ : ndarray of shape (n_classes, n_features)
        Per-class feature means :math:`\mu_{cj}`.
    var_ : ndarray of shape (n_classes, n_features)
        Per-class feature variances :math:`\sigma^2_{cj}` (including ``epsilon_``).
    epsilon_ : float
        The absolute amount added to every variance.
    n_features_in_ : int
        Number of features seen in :meth:`fit`.
    """

    _fitted_attributes = ("classes_", "theta_", "var_", "priors_")
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "priors": ["array-like", None],
        "var_smoothing": [FiniteInterval(numbers.Real, 0, None)],
        "ddof": [Interval(numbers.Integral, 0, 1)],
    }

    def __init__(
        self, *, priors: ArrayLike | None = None, var_smoothing: float = 1e-9, ddof: int = 0
    ) -> None:
        self.priors = priors
        self.var_smoothing = var_smoothing
        self.ddof = ddof

    @property
    def class_prior_(self) -> FloatArray:
        """scikit-learn's name for ``priors_``."""
        return self.priors_

    def _reset(self, X: FloatArray) -> None:
        with np.errstate(over="ignore"):
            largest = float(np.var(X, axis=0).max())
        if not np.isfinite(largest):
            raise ValueError(
                "X's values are so large that their variance overflows; rescale the features"
            )
        self.epsilon_ = self.var_smoothing * (largest if largest > 0 else 1.0)
        k, d = len(self.classes_), X.shape[1]
        self.theta_ = np.zeros((k, d))
        self._ssd = np.zeros((k, d))  # sum of squared deviations from the class mean

    def _update(self, X: FloatArray, onehot: FloatArray) -> None:
        # Statistics of the new batch, per class: total weight, mean, squared deviations.
        n_new = onehot.sum(axis=0)
        has_new = n_new > 0
        mean_new = np.zeros_like(self.theta_)
        mean_new[has_new] = (onehot.T @ X)[has_new] / n_new[has_new, None]
        deviation = X - onehot.astype(bool).astype(float) @ mean_new
        ssd_new = onehot.T @ (deviation * deviation)
        # Merge with the old statistics (Chan, Golub & LeVeque's pairwise update).
        n_old = self.class_count_
        n_total = n_old + n_new
        safe_total = np.where(n_total > 0, n_total, 1.0)
        delta = mean_new - self.theta_
        self.theta_ = self.theta_ + delta * (n_new / safe_total)[:, None]
        self._ssd = self._ssd + ssd_new + delta**2 * (n_old * n_new / safe_total)[:, None]

    def _finalize(self) -> None:
        n = self.class_count_
        few = self.classes_[(n > 0) & (n - self.ddof <= 0)].tolist()  # n = 0: not seen yet
        if few:
            raise ValueError(
                f"class(es) {few} have too few samples for a variance with ddof={self.ddof} "
                "(a class needs more than ddof samples)"
            )
        with np.errstate(invalid="ignore", divide="ignore"):  # 0 / 0 for an unseen class,
            self.var_ = self._ssd / (n - self.ddof)[:, None] + self.epsilon_
        self.var_[n == 0] = self.epsilon_  # whose variance is epsilon alone
        if np.any(self.var_ <= 0):
            c, j = np.argwhere(self.var_ <= 0)[0]
            raise ValueError(
                f"feature {j} has zero variance in class {self.classes_[c].item()!r} and "
                "var_smoothing=0: its density is undefined; set var_smoothing > 0"
            )
        self._fit_priors(n, fixed=self.priors, name="priors")

    def _joint_log_likelihood(self, X: FloatArray) -> FloatArray:
        log_prior = self._log_prior()  # a prior of 0 gives log p(c) = -inf, by design
        # The features' densities multiply: a Gaussian with the diagonal covariance
        # diag(var_c), whose precision factor is the vector 1 / sqrt(var_c).
        log_density = np.column_stack(
            [
                multivariate_normal_logpdf(X, mean, precision_cholesky(var), check_finite=False)
                for mean, var in zip(self.theta_, self.var_, strict=True)
            ]
        )
        return np.asarray(log_density + log_prior, dtype=np.float64)

    def _sample_features(self, idx: NDArray[np.intp], rng: np.random.Generator) -> FloatArray:
        return rng.normal(self.theta_[idx], np.sqrt(self.var_[idx]))


class _DiscreteNB(_BaseNB):
    """Shared by the multinomial and Bernoulli models: counts, smoothing, class priors."""

    _fitted_attributes = ("classes_", "feature_log_prob_", "priors_")
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "alpha": [FiniteInterval(numbers.Real, 0, None), "array-like"],
        "fit_prior": ["boolean"],
        "class_prior": ["array-like", None],
    }

    def __init__(
        self,
        *,
        alpha: float | ArrayLike = 1.0,
        fit_prior: bool = True,
        class_prior: ArrayLike | None = None,
    ) -> None:
        self.alpha = alpha
        self.fit_prior = fit_prior
        self.class_prior = class_prior

    def _check_alpha(self) -> FloatArray:
        alpha = np.asarray(self.alpha, dtype=np.float64)
        if alpha.ndim > 1 or (alpha.ndim == 1 and alpha.shape[0] != self.n_features_in_):
            raise ValueError(
                f"alpha must be a scalar or have one entry per feature ({self.n_features_in_}); "
                f"got shape {alpha.shape}"
            )
        if not np.all(np.isfinite(alpha)) or np.any(alpha < 0):
            raise ValueError(f"alpha must be finite and >= 0; got {self.alpha!r}")
        # alpha = 0 would give probability 0 to unseen words, and 0 * log 0 = NaN scores.
        return np.maximum(alpha, _ALPHA_MIN)

    def __sklearn_tags__(self) -> Any:
        """scikit-learn's tags: like scikit-learn's, these models may score poorly.

        (scikit-learn's common checks train them on continuous features.)
        """
        tags = super().__sklearn_tags__()
        tags.classifier_tags.poor_score = True
        return tags

    def _reset(self, X: FloatArray) -> None:
        self.feature_count_ = np.zeros((len(self.classes_), X.shape[1]))

    def _update(self, X: FloatArray, onehot: FloatArray) -> None:
        self.feature_count_ += onehot.T @ X

    def _finalize(self) -> None:
        self._fit_priors(
            self.class_count_, fixed=self.class_prior, name="class_prior", fit=self.fit_prior
        )
        self.feature_log_prob_ = self._feature_log_prob(self._check_alpha())

    @property
    def class_log_prior_(self) -> FloatArray:
        r"""scikit-learn's name for :math:`\log p(c)`, ``log(priors_)``."""
        return self._log_prior()

    def _feature_log_prob(self, alpha: FloatArray) -> FloatArray:
        raise NotImplementedError


class MultinomialNB(_DiscreteNB):
    r"""Multinomial naive Bayes for counts (e.g. how often each word occurs in a message).

    .. math::

        \theta_{cj} = \frac{N_{cj} + \alpha_j}{\sum_{j'} (N_{cj'} + \alpha_{j'})},
        \qquad
        \log p(x, c) = \log p(c) + \sum_j x_j \log \theta_{cj} + \text{const}(x),

    where :math:`N_{cj}` is the total count of feature :math:`j` in class :math:`c`. The
    multinomial coefficient, the same for every class, is left out of
    ``predict_joint_log_proba`` (as in scikit-learn): it cancels in the posterior.

    The features need not be whole numbers: any finite, non-negative values are accepted
    (term frequencies, tf-idf weights, ...), as in scikit-learn, and enter the same
    formulas (a "count" of 0.5 adds half a word). For real-valued features the model is no
    longer a multinomial distribution, but the classifier is the same; :meth:`sample`
    always draws whole counts. Negative values, NaN and infinity are refused.

    Introduced in the chapter "Naive Bayes".

    Parameters
    ----------
    alpha : float or array_like of shape (n_features,), default 1.0
        Additive (Laplace/Lidstone) smoothing, per feature if an array. Must be >= 0;
        values below 1e-10 are raised to 1e-10 so that no word has probability 0.
    fit_prior : bool, default True
        Learn the class priors from the class frequencies; if False, use uniform priors.
    class_prior : array_like of shape (n_classes,), optional
        Fixed class priors (non-negative, summing to 1); overrides ``fit_prior``.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    class_count_ : ndarray of shape (n_classes,)
        Number (total weight) of training samples per class.
    class_log_prior_ : ndarray of shape (n_classes,)
        :math:`\log p(c)`.
    feature_count_ : ndarray of shape (n_classes, n_features)
        :math:`N_{cj}`, the (weighted) total count of each feature per class.
    feature_log_prob_ : ndarray of shape (n_classes, n_features)
        :math:`\log \theta_{cj}`; each row's exponentials sum to 1.
    n_features_in_ : int
    """

    def __sklearn_tags__(self) -> Any:
        """scikit-learn's tags: the features are non-negative counts."""
        tags = super().__sklearn_tags__()
        tags.input_tags.positive_only = True
        return tags

    def _check_X(self, X: ArrayLike, *, reset: bool) -> FloatArray:
        try:
            X_ = check_nonnegative_counts(X, name="X")
        except ValueError as exc:  # the same error (a TypeError too, for text), named
            raise type(exc)(f"MultinomialNB: {exc}") from None
        return self._check_n_features(X_, reset=reset)

    def _feature_log_prob(self, alpha: FloatArray) -> FloatArray:
        smoothed = self.feature_count_ + alpha
        log_theta = np.log(smoothed) - np.log(smoothed.sum(axis=1, keepdims=True))
        return np.asarray(log_theta, dtype=np.float64)

    def _joint_log_likelihood(self, X: FloatArray) -> FloatArray:
        return X @ self.feature_log_prob_.T + self._log_prior()

    def sample(
        self,
        n_samples: int = 1,
        *,
        y: Any = None,
        n_trials: int | None = None,
        random_state: int | np.random.Generator | None = None,
    ) -> tuple[FloatArray, NDArray[Any]]:
        """Draw new count vectors (bags of words) from the fitted model.

        A class from the prior (or ``y``), then ``n_trials`` words drawn independently
        from that class's word distribution ``exp(feature_log_prob_[c])``.

        Parameters
        ----------
        n_samples : int
            How many count vectors to draw.
        y : label, optional
            Draw every sample from this class.
        n_trials : int, optional
            Number of words per sample, from 0 to 2**53 (so that the counts are exact in
            float64). By default, the class's average training count total (its average
            message length), rounded.
        random_state : int, Generator or None
            Seed for reproducible samples.

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
            Counts.
        y : ndarray of shape (n_samples,)
        """
        if n_trials is not None:
            n_trials = check_count(n_trials, name="n_trials", minimum=0)
            if n_trials > 2**53:
                raise ValueError(
                    f"n_trials must be at most 2**53 = {2**53} (counts above it are not "
                    f"exact in float64); got {n_trials}"
                )
        idx, rng = self._draw_classes(n_samples, y, random_state)
        if n_trials is None:
            return self._sample_features(idx, rng), self.classes_[idx]
        lengths = np.full(len(self.classes_), int(n_trials))
        return self._draw_counts(idx, rng, lengths), self.classes_[idx]

    def _sample_features(self, idx: NDArray[np.intp], rng: np.random.Generator) -> FloatArray:
        # Each class's average message length (total count per sample), rounded.
        lengths = np.rint(self.feature_count_.sum(axis=1) / self.class_count_).astype(int)
        return self._draw_counts(idx, rng, lengths)

    def _draw_counts(
        self, idx: NDArray[np.intp], rng: np.random.Generator, lengths: NDArray[np.int_]
    ) -> FloatArray:
        probs = np.exp(log_normalize(self.feature_log_prob_, axis=1)[0])
        return np.array([rng.multinomial(lengths[c], probs[c]) for c in idx], dtype=np.float64)


class BernoulliNB(_DiscreteNB):
    r"""Bernoulli naive Bayes for binary features (e.g. whether a word occurs at all).

    .. math::

        \theta_{cj} = \frac{N_{cj} + \alpha_j}{N_c + 2\alpha_j},
        \qquad
        \log p(x, c) = \log p(c)
          + \sum_j \bigl[x_j \log \theta_{cj} + (1 - x_j) \log(1 - \theta_{cj})\bigr].

    Unlike the multinomial model, an *absent* feature is evidence too: the factor
    :math:`1 - \theta_{cj}` penalises a class in which the feature is usually present.

    Introduced in the chapter "Naive Bayes".

    Parameters
    ----------
    alpha : float or array_like of shape (n_features,), default 1.0
        Additive smoothing (>= 0; values below 1e-10 are raised to 1e-10).
    binarize : float or None, default 0.0
        Threshold: features ``> binarize`` become 1, the others 0. With None the input
        must already be binary (0 or 1), and anything else is an error.
    fit_prior : bool, default True
        Learn the class priors from the class frequencies; if False, use uniform priors.
    class_prior : array_like of shape (n_classes,), optional
        Fixed class priors (non-negative, summing to 1).

    Attributes
    ----------
    classes_, class_count_, class_log_prior_, n_features_in_
        As in :class:`MultinomialNB`.
    feature_count_ : ndarray of shape (n_classes, n_features)
        :math:`N_{cj}`, the (weighted) number of class-:math:`c` samples with feature
        :math:`j` present.
    feature_log_prob_ : ndarray of shape (n_classes, n_features)
        :math:`\log \theta_{cj}`, the log probability that feature :math:`j` is present.
    """

    def __init__(
        self,
        *,
        alpha: float | ArrayLike = 1.0,
        binarize: float | None = 0.0,
        fit_prior: bool = True,
        class_prior: ArrayLike | None = None,
    ) -> None:
        super().__init__(alpha=alpha, fit_prior=fit_prior, class_prior=class_prior)
        self.binarize = binarize

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        **_DiscreteNB._parameter_constraints,
        "binarize": [Interval(numbers.Real, None, None), None],
    }

    def _check_X(self, X: ArrayLike, *, reset: bool) -> FloatArray:
        X_ = super()._check_X(X, reset=reset)
        if self.binarize is not None:
            return (X_ > self.binarize).astype(np.float64)
        if not np.all((X_ == 0) | (X_ == 1)):
            raise ValueError(
                "BernoulliNB with binarize=None needs binary features (0 or 1); "
                "set binarize to a threshold instead"
            )
        return X_

    def _feature_log_prob(self, alpha: FloatArray) -> FloatArray:
        present = self.feature_count_ + alpha
        total = self.class_count_[:, None] + 2.0 * alpha
        return np.log(present) - np.log(total)

    def _joint_log_likelihood(self, X: FloatArray) -> FloatArray:
        log_p = self.feature_log_prob_  # log theta: feature present
        log_q = np.log1p(-np.exp(log_p))  # log(1 - theta): feature absent
        # sum_j [x_j log p + (1 - x_j) log q] = x @ (log p - log q) + sum_j log q
        jll = X @ (log_p - log_q).T + (self._log_prior() + log_q.sum(axis=1))
        return np.asarray(jll, dtype=np.float64)

    def _sample_features(self, idx: NDArray[np.intp], rng: np.random.Generator) -> FloatArray:
        theta = np.exp(self.feature_log_prob_[idx])
        return (rng.random(theta.shape) < theta).astype(np.float64)
