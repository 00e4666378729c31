"""genlab's estimators against scikit-learn's own estimator checks, and its tools.

``parametrize_with_checks`` runs scikit-learn's common checks (about 40 per estimator: the
parameter protocol, cloning, pickling, input validation and its messages, fitted state,
invariances). Every check that does not apply is listed below as an expected failure
with its reason; all the others must pass.
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.exceptions import NotFittedError as SklearnNotFittedError
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import MinMaxScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from genlab.cluster import KMeans
from genlab.gaussian import GaussianClassifier, LinearDiscriminant, MultivariateNormal
from genlab.hmm import CategoricalHMM, GaussianHMM
from genlab.mixture import GaussianMixture, GaussianMixtureClassifier
from genlab.naive_bayes import BernoulliNB, GaussianNB, MultinomialNB
from genlab.vae_classifier import ConditionalVAEClassifier

# genlab's estimators follow scikit-learn's protocol without inheriting from its
# BaseEstimator (genlab does not import scikit-learn; see genlab/_base.py), about which
# parametrize_with_checks warns once per estimator. Every check below runs all the same.
pytestmark = pytest.mark.filterwarnings(
    "ignore:Estimator .* does not inherit from `sklearn.base.BaseEstimator`:UserWarning"
)


def small_cvae():
    return ConditionalVAEClassifier(epochs=2, hidden_dim=8, n_samples=4)


ESTIMATORS = [
    GaussianNB(),
    MultinomialNB(),
    BernoulliNB(),
    GaussianClassifier(),
    LinearDiscriminant(),
    GaussianMixtureClassifier(1),
    small_cvae(),
    # The same classifier behind the scaling its Bernoulli decoder needs, trained long
    # enough to fit scikit-learn's training-set check: every check.
    make_pipeline(
        MinMaxScaler(clip=True),
        ConditionalVAEClassifier(epochs=5, hidden_dim=16, n_samples=8, lr=1e-2),
    ),
    GaussianMixture(2),
    KMeans(3),
    MultivariateNormal(),
    CategoricalHMM(2),
    GaussianHMM(2),
]

Y_COLUMN = (
    "a column vector y is refused with a ValueError (every genlab input error is one), "
    "where scikit-learn warns and ravels it"
)
UNIT_INTERVAL = (
    "the Bernoulli decoder needs features in [0, 1] and refuses others; this check fits "
    "unbounded data (the MinMaxScaler pipeline passes it)"
)
PIPELINE_IN_PLACE = (
    "scikit-learn's Pipeline fits its steps in place, so its 'steps' parameter changes "
    "during fit whatever the steps are (test_pipeline_itself_fails_the_in_place_checks)"
)
HMM_LENGTHS = (
    "fit(X, lengths) takes the sequences' lengths as its second argument (hmmlearn's API); "
    "this check passes class labels there"
)
SYMBOLS = (
    "observations are integer symbols, one per row, shape (n_samples, 1); this check fits "
    "continuous multi-feature data"
)
NEEDS_Y_CHECKS = [
    "check_fit_score_takes_y",
    "check_estimators_overwrite_params",
    "check_dont_overwrite_parameters",
    "check_estimators_fit_returns_self",
    "check_readonly_memmap_input",
    "check_n_features_in_after_fitting",
    "check_positive_only_tag_during_fit",
    "check_estimators_dtypes",
    "check_dtype_object",
    "check_pipeline_consistency",
    "check_estimators_nan_inf",
    "check_estimators_pickle",
    "check_f_contiguous_array_estimator",
    "check_methods_sample_order_invariance",
    "check_methods_subset_invariance",
    "check_fit2d_1feature",
    "check_dict_unchanged",
    "check_fit_idempotent",
    "check_fit_check_is_fitted",
    "check_n_features_in",
    "check_fit2d_predict1d",
]
UNBOUNDED_DATA_CHECKS = [
    name
    for name in NEEDS_Y_CHECKS
    # (these fit unbounded data too, but only to see it refused, as it is)
    if name not in ("check_fit_score_takes_y", "check_dtype_object", "check_estimators_nan_inf")
] + [
    "check_classifier_data_not_an_array",
    "check_classifiers_classes",
    "check_classifiers_train",
    "check_fit2d_1sample",
]


def expected_failures(estimator):
    name = type(estimator).__name__
    if name == "Pipeline":
        return {"check_supervised_y_2d": Y_COLUMN} | dict.fromkeys(
            ["check_estimators_overwrite_params", "check_dont_overwrite_parameters"],
            PIPELINE_IN_PLACE,
        )
    if name in (
        "GaussianNB",
        "MultinomialNB",
        "BernoulliNB",
        "GaussianClassifier",
        "LinearDiscriminant",
    ):
        return {"check_supervised_y_2d": Y_COLUMN}
    if name == "GaussianMixtureClassifier":
        return {"check_supervised_y_2d": Y_COLUMN}
    if name == "ConditionalVAEClassifier":
        return {"check_supervised_y_2d": Y_COLUMN} | dict.fromkeys(
            UNBOUNDED_DATA_CHECKS, UNIT_INTERVAL
        )
    if name == "GaussianHMM":
        return dict.fromkeys(NEEDS_Y_CHECKS, HMM_LENGTHS)
    if name == "CategoricalHMM":
        return dict.fromkeys([*NEEDS_Y_CHECKS, "check_fit2d_1sample"], SYMBOLS)
    return {}


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failures)
def test_scikit_learn_checks(estimator, check):
    check(estimator)


# ------------------------------------------------------------- scikit-learn's tools
DIGITS = load_digits()
X_DIGITS, Y_DIGITS = DIGITS.data[:600], DIGITS.target[:600]


def test_cross_val_score_and_a_pipeline_work():
    scores = cross_val_score(GaussianNB(var_smoothing=0.05), X_DIGITS, Y_DIGITS, cv=3)
    assert scores.shape == (3,) and np.all(scores > 0.75)
    pipeline = make_pipeline(MinMaxScaler(), GaussianClassifier(reg_covar=0.05))
    assert pipeline.fit(X_DIGITS, Y_DIGITS).score(X_DIGITS, Y_DIGITS) > 0.95


def test_grid_search_tunes_a_genlab_model():
    grid = {"var_smoothing": [1e-9, 1e-3, 3e-2, 1e-1]}
    search = GridSearchCV(GaussianNB(), grid, cv=3).fit(X_DIGITS, Y_DIGITS)
    # Independent check: the same grid, scored by hand on the same folds.
    from sklearn.model_selection import StratifiedKFold

    folds = list(StratifiedKFold(3).split(X_DIGITS, Y_DIGITS))
    by_hand = [
        np.mean(
            [
                GaussianNB(var_smoothing=v)
                .fit(X_DIGITS[train], Y_DIGITS[train])
                .score(X_DIGITS[test], Y_DIGITS[test])
                for train, test in folds
            ]
        )
        for v in grid["var_smoothing"]
    ]
    np.testing.assert_allclose(search.cv_results_["mean_test_score"], by_hand, rtol=1e-15)
    assert search.best_params_ == {"var_smoothing": grid["var_smoothing"][int(np.argmax(by_hand))]}
    assert isinstance(search.best_estimator_, GaussianNB)


@pytest.mark.parametrize(
    "estimator",
    # (the conditional VAE's clone is checked by scikit-learn's own checks above)
    [e for e in ESTIMATORS if not isinstance(e, (ConditionalVAEClassifier, Pipeline))],
    ids=lambda e: type(e).__name__,
)
def test_clone_get_params_set_params_and_repr(estimator):
    params = estimator.get_params()
    copy = clone(estimator)
    assert copy is not estimator and copy.get_params() == params
    name = next(iter(params))
    assert estimator.set_params(**{name: params[name]}) is estimator
    with pytest.raises(ValueError, match="invalid parameter 'no_such_parameter'"):
        estimator.set_params(no_such_parameter=1)
    assert repr(estimator).startswith(type(estimator).__name__ + "(")


def test_repr_shows_only_what_differs_from_the_defaults():
    assert repr(GaussianNB()) == "GaussianNB()"
    assert repr(GaussianNB(var_smoothing=0.1)) == "GaussianNB(var_smoothing=0.1)"
    assert repr(GaussianMixture(3, covariance_type="diag")) == (
        "GaussianMixture(covariance_type='diag', n_components=3)"
    )


def test_genlab_not_fitted_error_is_scikit_learns():
    with pytest.raises(SklearnNotFittedError):
        GaussianNB().predict(X_DIGITS[:2])
    with pytest.raises(ValueError):  # and still a ValueError, as every genlab input error
        KMeans(2).predict(X_DIGITS[:2])


def test_pipeline_itself_fails_the_in_place_checks():
    """The reason given for the Pipeline's two expected failures, checked with
    scikit-learn's own estimators only."""
    from sklearn.naive_bayes import GaussianNB as SklearnGaussianNB
    from sklearn.utils.estimator_checks import (
        check_dont_overwrite_parameters,
        check_estimators_overwrite_params,
    )

    for check in (check_estimators_overwrite_params, check_dont_overwrite_parameters):
        with pytest.raises(AssertionError):
            check("Pipeline", make_pipeline(MinMaxScaler(), SklearnGaussianNB()))
