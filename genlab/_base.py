"""The estimator protocol every genlab model follows, and its parameter constraints.

genlab's models are scikit-learn estimators without importing scikit-learn: the
protocol is small, and a notebook that never touches scikit-learn should not pay for
loading it.

* **Parameters** are the keyword arguments of ``__init__``, stored unchanged as attributes
  of the same name. ``get_params`` and ``set_params`` read and write them, so that
  ``sklearn.base.clone``, ``Pipeline`` and ``GridSearchCV`` work; the ``repr`` shows those
  that differ from their defaults, as scikit-learn's does.
* **Validation** happens in ``fit``, not in ``__init__`` (``set_params`` may change a
  parameter later): each class declares ``_parameter_constraints``, one entry per
  parameter listing what it may be (an :class:`Interval`, one of some :class:`Options`, a
  type name such as ``"array-like"``, or ``None``), and ``_validate_params`` raises a
  ``ValueError`` that names the parameter, its value and what is allowed.
* **Tags** (``__sklearn_tags__``) tell scikit-learn's tools what kind of estimator this
  is; scikit-learn is imported only when a tool asks.

Introduced in the book's chapter "Naive Bayes" (``book/naive_bayes/naive_bayes.ipynb``),
whose grid search over ``var_smoothing`` runs through scikit-learn's tools.
"""

from __future__ import annotations

import inspect
import math
import numbers
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from genlab._validation import check_bool, is_random_state

__all__ = ["BaseEstimator", "FiniteInterval", "Interval", "Letters", "Options", "validate_params"]


@dataclass(frozen=True)
class Interval:
    """A range of numbers of one kind: ``Interval(numbers.Integral, 1, None)`` is n >= 1.

    Introduced in the chapter "Naive Bayes".

    Parameters
    ----------
    kind : numbers.Integral or numbers.Real
        Integers only, or any real number (integers included). Booleans and NaN never
        qualify.
    left, right : float or None
        Bounds; None for no bound.
    closed : {"both", "left", "right", "neither"}
        Which bounds belong to the interval.
    """

    kind: type
    left: float | None
    right: float | None
    closed: str = "both"

    def __contains__(self, value: object) -> bool:
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, self.kind):
            return False
        x = float(value)  # type: ignore[arg-type]
        if math.isnan(x):
            return False
        if self.left is not None:
            if x < self.left or (x == self.left and self.closed in ("right", "neither")):
                return False
        if self.right is not None:
            if x > self.right or (x == self.right and self.closed in ("left", "neither")):
                return False
        return True

    def __str__(self) -> str:
        what = "an integer" if self.kind is numbers.Integral else "a number"
        lo = "" if self.left is None else ("> " if self.closed in ("right", "neither") else ">= ")
        hi = "" if self.right is None else ("< " if self.closed in ("left", "neither") else "<= ")
        bounds = [f"{lo}{_number(self.left)}" if self.left is not None else ""]
        bounds.append(f"{hi}{_number(self.right)}" if self.right is not None else "")
        text = " and ".join(b for b in bounds if b)
        return f"{what} {text}".strip() if text else what


def _number(bound: float) -> str:
    """A bound as written: integers in full (2**64 - 1, not 1.84467e+19)."""
    if isinstance(bound, numbers.Integral) or (math.isfinite(bound) and bound == int(bound)):
        return str(int(bound))
    return f"{bound:g}"


@dataclass(frozen=True)
class Options:
    """One of a fixed set of values: ``Options({"full", "diag"})``.

    Introduced in the chapter "Naive Bayes".
    """

    values: frozenset[Any]

    def __init__(self, values: Iterable[Any]) -> None:
        object.__setattr__(self, "values", frozenset(values))

    def __contains__(self, value: object) -> bool:
        try:
            return value in self.values
        except TypeError:  # an unhashable value is none of the options
            return False

    def __str__(self) -> str:
        return "one of " + ", ".join(repr(v) for v in sorted(self.values, key=str))


class FiniteInterval(Interval):
    """An :class:`Interval` without infinity: ``FiniteInterval(numbers.Real, 0, None)`` for a tol.

    Introduced in the chapter "Naive Bayes".
    """

    def __contains__(self, value: object) -> bool:
        return super().__contains__(value) and math.isfinite(float(value))  # type: ignore[arg-type]

    def __str__(self) -> str:
        return "a finite " + super().__str__().removeprefix("a ")


class Letters(Options):
    """A string of distinct letters from a given set, in any order (``params="stmc"``).

    Introduced in the chapter "Hidden Markov models".

    A repeated letter (``"ss"``) is refused: it says nothing more than one, and is
    usually a typing slip for another letter. The empty string (nothing) is allowed.
    """

    letters: str

    def __init__(self, letters: str) -> None:
        super().__init__(letters)
        object.__setattr__(self, "letters", letters)

    def __contains__(self, value: object) -> bool:
        return (
            isinstance(value, str) and set(value) <= self.values and len(set(value)) == len(value)
        )

    def __str__(self) -> str:
        names = ", ".join(repr(c) for c in self.letters)
        return f"a string of distinct letters among {names} (in any order)"


def _satisfies(value: object, constraint: object) -> bool:
    if constraint is None:
        return value is None
    if isinstance(constraint, (Interval, Options)):
        return value in constraint
    if constraint == "boolean":
        return isinstance(value, (bool, np.bool_))
    if constraint == "random_state":
        return is_random_state(value)
    if constraint == "array-like":
        return isinstance(value, (list, tuple, np.ndarray)) or hasattr(value, "__array__")
    if constraint == "string":
        return isinstance(value, str)
    if isinstance(constraint, type):
        return isinstance(value, constraint)
    raise TypeError(f"unknown parameter constraint {constraint!r}")


def _describe(constraint: object) -> str:
    if constraint is None:
        return "None"
    if isinstance(constraint, type):
        name = constraint.__name__
        return f"{'an' if name[0].lower() in 'aeiou' else 'a'} {name}"
    names = {
        "boolean": "True or False",
        "random_state": "None, a non-negative integer or a numpy Generator",
        "array-like": "an array",
        "string": "a string",
    }
    return names.get(str(constraint), str(constraint))


def validate_params(
    constraints: dict[str, list[Any]], params: dict[str, Any], caller: str
) -> None:
    """Check every parameter against its constraints; raise a ValueError naming the first bad one.

    Introduced in the chapter "Naive Bayes".

    Parameters
    ----------
    constraints : dict of str to list
        For each parameter, the things it may be (any one suffices).
    params : dict of str to object
        The parameters' values.
    caller : str
        The estimator's name, for the message.

    Raises
    ------
    ValueError
        For example ``GaussianMixture: n_components must be an integer >= 1; got 2.5``.
    """
    for name, allowed in constraints.items():
        value = params[name]
        if not any(_satisfies(value, c) for c in allowed):
            what = " or ".join(_describe(c) for c in allowed)
            raise ValueError(f"{caller}: {name} must be {what}; got {value!r}")


class BaseEstimator:
    """Parameters, validation, ``repr`` and tags of a genlab estimator (see the module docstring).

    Introduced in the chapter "Naive Bayes".

    Subclasses declare ``_parameter_constraints`` (every ``__init__`` parameter), call
    :meth:`_validate_params` at the start of ``fit``, and may extend
    :meth:`__sklearn_tags__`. ``__init__`` only stores its arguments.
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {}
    #: Attributes that ``fit`` sets; their presence means "fitted".
    _fitted_attributes: tuple[str, ...] = ()

    @classmethod
    def _get_param_names(cls) -> list[str]:
        signature = inspect.signature(cls.__init__)
        names = []
        for p in signature.parameters.values():
            if p.name == "self":
                continue
            if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
                raise TypeError(f"{cls.__name__}.__init__ must list its parameters explicitly")
            names.append(p.name)
        return sorted(names)

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The estimator's parameters, by name.

        Parameters
        ----------
        deep : bool
            Also list the parameters of parameters that are estimators, as
            ``name__parameter``.

        Returns
        -------
        dict of str to object
        """
        deep = check_bool(deep, name="deep")
        params = {}
        for name in self._get_param_names():
            value = getattr(self, name)
            if deep and hasattr(value, "get_params") and not isinstance(value, type):
                params.update({f"{name}__{k}": v for k, v in value.get_params().items()})
            params[name] = value
        return params

    def set_params(self, **params: Any) -> Any:
        """Set parameters by name (validated at the next ``fit``).

        Parameters
        ----------
        **params
            New values; ``name__parameter`` reaches a parameter of a nested estimator.

        Returns
        -------
        self
        """
        valid = self._get_param_names()
        for key, value in params.items():
            name, _, nested = key.partition("__")
            if name not in valid:
                raise ValueError(
                    f"invalid parameter {name!r} for {type(self).__name__}; "
                    f"valid parameters are {valid}"
                )
            if nested:
                getattr(self, name).set_params(**{nested: value})
            else:
                setattr(self, name, value)
        return self

    def _validate_params(self) -> None:
        validate_params(
            self._parameter_constraints, self.get_params(deep=False), type(self).__name__
        )

    def __repr__(self) -> str:
        defaults = {
            p.name: p.default
            for p in inspect.signature(type(self).__init__).parameters.values()
            if p.name != "self"
        }
        changed = []
        for name in self._get_param_names():
            value = getattr(self, name, None)
            default = defaults.get(name, inspect.Parameter.empty)
            if _same(value, default):
                continue
            changed.append(f"{name}={_short_repr(value)}")
        return f"{type(self).__name__}({', '.join(changed)})"

    def __sklearn_is_fitted__(self) -> bool:
        return all(hasattr(self, a) for a in self._fitted_attributes)

    def __sklearn_tags__(self) -> Any:
        """scikit-learn's description of this estimator (imports scikit-learn)."""
        from sklearn.utils import Tags, TargetTags

        return Tags(estimator_type=None, target_tags=TargetTags(required=False))


def _same(value: object, default: object) -> bool:
    if value is default:
        return True
    if isinstance(value, np.ndarray) or isinstance(default, np.ndarray):
        return False
    try:
        return bool(value == default) and type(value) is type(default)
    except (TypeError, ValueError):
        return False


def _short_repr(value: object) -> str:
    if isinstance(value, np.ndarray):
        return np.array2string(value, threshold=6, separator=", ").replace("\n", "")
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


class ClassifierMixin:
    """Tags of a classifier (``score`` comes from :class:`GenerativeClassifier`)."""

    def __sklearn_tags__(self) -> Any:
        from sklearn.utils import ClassifierTags

        tags = super().__sklearn_tags__()  # type: ignore[misc]
        tags.estimator_type = "classifier"
        tags.classifier_tags = ClassifierTags()
        tags.target_tags.required = True
        return tags


class ClusterMixin:
    """Tags of a clusterer."""

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()  # type: ignore[misc]
        tags.estimator_type = "clusterer"
        return tags


class DensityMixin:
    """Tags of a density estimator, and its ``score``: the mean of ``score_samples``."""

    def score(self, X: Any, y: Any = None) -> float:
        """Mean log-likelihood (log-density) of the rows of ``X``.

        Introduced in the chapter "Gaussian mixtures and the EM algorithm".

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
        y : ignored

        Returns
        -------
        float
        """
        return float(np.mean(self.score_samples(X)))  # type: ignore[attr-defined]

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()  # type: ignore[misc]
        tags.estimator_type = "density_estimator"
        return tags
