"""Input validation shared by every genlab model.

Validation happens once, at the public boundary (``fit``, ``predict``, a public
function); private helpers that do the mathematics trust their inputs. Every
error is a :class:`ValueError` (or its subclass :class:`NotFittedError`) whose
message names the argument and the problem, so that a learner who passes the
wrong thing is told what to change.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "MAX_OUTPUT_BYTES",
    "InvalidInputError",
    "MissingFileError",
    "NotFittedError",
    "as_real_array",
    "check_array",
    "check_bool",
    "check_classes",
    "check_consistent_length",
    "check_count",
    "check_is_fitted",
    "check_labels",
    "check_levels",
    "check_nonnegative_counts",
    "check_output_size",
    "check_positive",
    "check_probability_vector",
    "check_random_state",
    "check_sample_label",
    "check_sample_weight",
    "check_squared_distances_finite",
    "check_stochastic_matrix",
    "check_variances_representable",
    "is_random_state",
    "missing_file",
]


_NOT_FITTED: list[type[Exception]] = []

if TYPE_CHECKING:

    class NotFittedError(ValueError, AttributeError):
        """Raised when a model is used before ``fit`` (as in scikit-learn)."""

else:

    def __getattr__(name: str) -> Any:
        if name == "NotFittedError":
            return _not_fitted_error()
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _not_fitted_error() -> type[Exception]:
    """Genlab's NotFittedError, created on first use.

    It subclasses scikit-learn's ``NotFittedError`` where scikit-learn is installed, so
    that ``except sklearn.exceptions.NotFittedError`` catches genlab's too, without
    importing scikit-learn (a second's work) before an estimator is misused. Without
    scikit-learn it subclasses ``ValueError`` and ``AttributeError``, as scikit-learn's
    does.
    """
    if not _NOT_FITTED:
        try:
            from sklearn.exceptions import NotFittedError as sklearn_error

            bases: tuple[type, ...] = (sklearn_error,)
        except ImportError:  # pragma: no cover - scikit-learn is a test dependency
            bases = (ValueError, AttributeError)
        doc = "Raised when a model is used before ``fit`` (as in scikit-learn)."
        _NOT_FITTED.append(
            type("NotFittedError", bases, {"__doc__": doc, "__module__": "genlab._validation"})
        )
    return _NOT_FITTED[0]


def check_array(
    X: ArrayLike,
    *,
    name: str = "X",
    ndim: int = 2,
    min_samples: int = 1,
    min_features: int = 1,
    allow_nonfinite: bool = False,
) -> NDArray[np.float64]:
    """Convert ``X`` to a float64 array and check its shape and values.

    Parameters
    ----------
    X : array_like
        The input. With ``ndim=2`` it must have shape (n_samples, n_features);
        with ``ndim=1``, shape (n_samples,).
    name : str
        The argument's name, used in error messages.
    ndim : {1, 2}
        The required number of dimensions.
    min_samples, min_features : int
        The smallest acceptable number of rows (and, for 2-D input, columns).
    allow_nonfinite : bool
        Accept NaN and infinite entries (never used by the models).

    Returns
    -------
    ndarray of float64
        A C-contiguous copy or view of the input.

    Raises
    ------
    ValueError
        If the input is not numeric, has the wrong number of dimensions, too
        few samples or features, or contains NaN or infinity.
    """
    if hasattr(X, "toarray") or type(X).__module__.startswith("scipy.sparse"):
        raise ValueError(
            f"{name} is a sparse matrix; genlab's models need a dense array: use X.toarray()"
        )
    arr = as_real_array(X, name=name)
    if arr.ndim != ndim:
        shape = "(n_samples, n_features)" if ndim == 2 else "(n_samples,)"
        hint = (
            " Reshape your data: X.reshape(-1, 1) for a single feature, X.reshape(1, -1) "
            "for a single sample."
            if arr.ndim == 1
            else ""
        )
        raise ValueError(
            f"{name} must be {ndim}-dimensional with shape {shape}; "
            f"got {arr.ndim} dimension(s), shape {arr.shape}.{hint}"
        )
    if arr.shape[0] < min_samples:
        raise ValueError(
            f"{name} has {arr.shape[0]} sample(s) (shape={arr.shape}) while a minimum of "
            f"{min_samples} is required."
        )
    if ndim == 2 and arr.shape[1] < min_features:
        raise ValueError(
            f"{name} has {arr.shape[1]} feature(s) (shape={arr.shape}) while a minimum of "
            f"{min_features} is required."
        )
    # Fast path: the sum of finite numbers is finite unless it overflows, and then the
    # element-wise check in _raise_if_nonfinite decides.
    if not allow_nonfinite:
        with np.errstate(over="ignore", invalid="ignore"):  # inf - inf = NaN is expected
            total = arr.sum()
        if not np.isfinite(total):
            _raise_if_nonfinite(arr, name)
    return np.ascontiguousarray(arr)


#: The largest output, in bytes, that a genlab sampler (or other function asked for a
#: number of rows) will allocate: 4 GiB. A larger request is refused with a message
#: saying how much memory it would need, before anything is allocated; draw in batches
#: instead. (Raise it, at your own risk, by assigning to
#: ``genlab._validation.MAX_OUTPUT_BYTES``.)
MAX_OUTPUT_BYTES = 4 * 2**30


def _bytes(n: float) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if n < 1024 or unit == "PiB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.3g} {unit}"
        n /= 1024
    raise AssertionError  # pragma: no cover


def check_output_size(
    shape: Iterable[int], *, name: str, itemsize: int = 8, what: str = "the output"
) -> None:
    """Refuse a request whose output would need more than :data:`MAX_OUTPUT_BYTES`.

    Every sampler calls this with the shape of what it is about to allocate, so that
    ``sample(10**12)`` is refused by name, with the memory it would need, instead of
    ending in NumPy's or PyTorch's ``MemoryError`` (or an hour of swapping).

    Parameters
    ----------
    shape : iterable of int
        The shape of the array about to be allocated.
    name : str
        The argument that asked for it (``n_samples``, ``n``, ...), for the message.
    itemsize : int, default 8
        Bytes per element (8 for float64, 4 for float32).
    what : str
        What the array is, for the message.

    Raises
    ------
    ValueError
        If ``prod(shape) * itemsize > MAX_OUTPUT_BYTES``.
    """
    dims = tuple(int(s) for s in shape)
    needed = math.prod(dims) * int(itemsize)
    if needed > MAX_OUTPUT_BYTES:
        raise ValueError(
            f"{name} is too large: {what} would have shape {dims} and need {_bytes(needed)}, "
            f"more than genlab's limit of {_bytes(MAX_OUTPUT_BYTES)} "
            "(genlab._validation.MAX_OUTPUT_BYTES); ask for less, in batches"
        )


def as_real_array(x: ArrayLike, *, name: str) -> NDArray[np.float64]:
    """``np.asarray(x, dtype=float64)``, refusing complex and non-numeric input by name.

    The one conversion of genlab's public functions: a complex array would otherwise be
    truncated to its real part (with only a ``ComplexWarning``) or fail inside NumPy
    with a ``TypeError`` that does not name the argument.

    Parameters
    ----------
    x : array_like
    name : str
        The argument's name, for the message.

    Returns
    -------
    ndarray of float64, of any shape

    Raises
    ------
    ValueError
        If ``x`` has complex entries.
    InvalidInputError
        (a ``ValueError`` and a ``TypeError``) if ``x`` is not numeric.
    """
    try:
        raw = np.asarray(x)
    except (TypeError, ValueError) as exc:  # ragged nested lists
        raise InvalidInputError(f"{name} must be a numeric array: {exc}") from None
    if raw.dtype.kind == "c":
        raise ValueError(
            f"Complex data not supported: {name} has complex entries; genlab needs real numbers"
        )
    if raw.dtype.kind == "O" and any(isinstance(v, complex) for v in raw.flat):
        raise ValueError(
            f"Complex data not supported: {name} has complex entries; genlab needs real numbers"
        )
    try:
        return np.asarray(raw, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(f"{name} must be a numeric array: {exc}") from None


def _raise_if_nonfinite(arr: NDArray[np.float64], name: str) -> None:
    if np.all(np.isfinite(arr)):
        return
    n_nan = int(np.isnan(arr).sum())
    n_inf = int(np.isinf(arr).sum())
    raise ValueError(
        f"{name} contains NaN or infinity ({n_nan} NaN, {n_inf} infinite value(s)); "
        "remove or impute them first"
    )


def check_nonnegative_counts(X: ArrayLike, *, name: str = "X") -> NDArray[np.float64]:
    """Check that ``X`` is a finite, non-negative 2-D array of counts.

    One pass for the minimum and one for the maximum decide everything: NaN propagates
    into both, a negative or ``-inf`` entry shows in the minimum, ``+inf`` in the maximum.

    Parameters
    ----------
    X : array_like of shape (n_samples, n_features)
        Counts (or other non-negative values such as frequencies).
    name : str
        The argument's name, for error messages.

    Returns
    -------
    ndarray of float64, shape (n_samples, n_features)
    """
    arr = check_array(X, name=name, allow_nonfinite=True)
    lo, hi = arr.min(), arr.max()
    if not (np.isfinite(lo) and np.isfinite(hi)):
        _raise_if_nonfinite(arr, name)
    if lo < 0:
        raise ValueError(
            f"Negative values in data: {name} must hold non-negative counts; it has negative "
            f"entries (smallest {float(lo)})"
        )
    return arr


class InvalidInputError(ValueError, TypeError):
    """Input of the wrong kind (text where numbers are needed, ...).

    A ``ValueError``, like every genlab input error, and also a ``TypeError``, which is
    what scikit-learn's tools expect for input of the wrong type.
    """


def check_labels(
    y: ArrayLike, n_samples: int, *, estimator: str = "this estimator"
) -> NDArray[Any]:
    """Check class labels: one per sample, 1-D, and labels rather than measurements.

    Labels may be integers, strings or any other sortable values. A float array whose
    values are not all integers is a continuous target (a regression problem), and is
    refused rather than turned into one class per distinct value.

    Parameters
    ----------
    y : array_like of shape (n_samples,)
    n_samples : int
        The number of samples in ``X``.
    estimator : str
        The estimator's name, for error messages.

    Returns
    -------
    ndarray of shape (n_samples,)
    """
    if y is None:
        raise ValueError(f"{estimator} requires y to be passed, but the target y is None")
    labels = np.asarray(y)
    if labels.ndim != 1:
        raise ValueError(
            f"y must be 1-dimensional, shape (n_samples,); got shape {labels.shape}"
            + (
                " (use y.ravel() for a column)"
                if labels.ndim == 2 and labels.shape[1] == 1
                else ""
            )
        )
    check_consistent_length(X=np.empty(n_samples), y=labels)
    if labels.dtype.kind == "c":
        raise ValueError("Complex data not supported: y has complex labels")
    if labels.dtype.kind == "f":
        if not np.all(np.isfinite(labels)):
            kind = "NaN" if np.any(np.isnan(labels)) else "infinity"
            # (scikit-learn's wording, which its tools look for)
            raise ValueError(
                f"Input y contains {kind}: class labels must be finite"
                if kind == "NaN"
                else "Input y contains infinity or a value too large for dtype('float64'): "
                "class labels must be finite"
            )
        if np.any(labels != np.round(labels)):
            raise ValueError(
                "Unknown label type: y is continuous (its values are not all integers); a "
                "classifier needs class labels (integers or strings), not measurements"
            )
    if labels.dtype.kind == "O":
        try:
            np.unique(labels)
        except TypeError as exc:
            raise ValueError(f"y's labels cannot be sorted (mixed types?): {exc}") from None
    return labels


def check_sample_weight(sample_weight: ArrayLike | None, n_samples: int) -> NDArray[np.float64]:
    """Check sample weights: one finite, non-negative weight per sample, not all zero.

    Parameters
    ----------
    sample_weight : array_like of shape (n_samples,) or None
        None means a weight of 1 for every sample.
    n_samples : int

    Returns
    -------
    ndarray of float64, shape (n_samples,)
    """
    if sample_weight is None:
        return np.ones(n_samples)
    w = check_array(sample_weight, name="sample_weight", ndim=1, min_samples=0)
    if len(w) != n_samples:
        raise ValueError(f"sample_weight has {len(w)} entries for {n_samples} samples")
    if np.any(w < 0):
        raise ValueError("sample_weight has negative entries")
    if n_samples and not w.sum() > 0:
        raise ValueError("sample_weight sums to zero: at least one sample needs a weight")
    return w


def check_consistent_length(**arrays: NDArray[Any]) -> int:
    """Check that every array has the same first dimension and return it.

    Parameters
    ----------
    **arrays : ndarray
        The arrays, passed by name so that the error message can name them.

    Returns
    -------
    int
        The common length.
    """
    lengths = {name: len(a) for name, a in arrays.items()}
    if len(set(lengths.values())) > 1:
        listing = ", ".join(f"{n}: {k}" for n, k in lengths.items())
        raise ValueError(f"inconsistent numbers of samples ({listing})")
    return next(iter(lengths.values()), 0)


def check_positive(value: float, *, name: str, strict: bool = True) -> float:
    """Check that a scalar is finite and positive (or non-negative).

    Parameters
    ----------
    value : float
        The scalar to check.
    name : str
        Its name, for the error message.
    strict : bool
        Require ``value > 0`` (True) or ``value >= 0`` (False).

    Returns
    -------
    float
        ``value`` as a Python float.
    """
    if isinstance(value, (bool, np.bool_, str, bytes)):
        raise ValueError(f"{name} must be a number; got {value!r}")
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number; got {value!r}") from None
    if not np.isfinite(v) or (v <= 0 if strict else v < 0):
        bound = "> 0" if strict else ">= 0"
        raise ValueError(f"{name} must be finite and {bound}; got {v}")
    return v


def check_squared_distances_finite(
    X: NDArray[np.float64], *, name: str = "X", squared: NDArray[np.float64] | None = None
) -> None:
    """Refuse data whose squared (Mahalanobis) distances overflow float64.

    The one overflow check of the models that square differences of rows (k-means, the
    mixtures, the Gaussian models, the Gaussian HMM), in two forms:

    * before a fit (``squared`` None): values of about 1e154 or more make the squared
      differences of ``X``'s rows, and so the variances, infinite and every later
      number NaN; ``X``'s range decides;
    * after a fit, pass the squared distances that were computed from ``X`` (finite, as
      validated) to the fitted centres: an infinite or NaN one means that ``X``'s values
      are too large, relative to the fitted model's spread, for float64; a density
      computed from it would be a silent ``-inf``, a prediction an arbitrary class.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Finite values (already checked by :func:`check_array`).
    name : str
        Its name, for the error message.
    squared : ndarray, optional
        Squared distances computed from ``X``, any shape.

    Raises
    ------
    ValueError
        Naming ``X``, its range, and the remedy (rescale the features).
    """
    if squared is not None:
        with np.errstate(over="ignore", invalid="ignore"):
            total = squared.sum()
        if np.isfinite(total) or np.all(np.isfinite(squared)):
            return
        largest = float(np.max(np.abs(X))) if X.size else 0.0
        raise ValueError(
            f"{name}'s values (up to {largest:g} in absolute value) are so large, relative "
            "to the fitted model's spread, that their squared distances to it overflow "
            "float64 (densities would be -inf and predictions arbitrary); rescale the "
            "features as the training data were"
        )
    if X.size == 0:
        return
    spread = float(np.max(X) - np.min(X))  # inf when the difference itself overflows
    if not np.isfinite(spread * spread * X.shape[1]):
        raise ValueError(
            f"{name}'s values are so large (from {float(np.min(X)):g} to {float(np.max(X)):g}) "
            "that squared distances and variances overflow; rescale the features (e.g. "
            "divide by their standard deviation)"
        )


def check_bool(value: object, *, name: str) -> bool:
    """Check that a flag is a bool (Python's or NumPy's), not a string, number or None.

    ``bool("no")`` is True: a flag that accepted any object would silently turn
    ``descending="no"`` into ``descending=True``.

    Parameters
    ----------
    value : object
    name : str
        The flag's name, for the message.

    Returns
    -------
    bool
    """
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be True or False; got {value!r}")
    return bool(value)


def check_variances_representable(deviations: NDArray[np.float64], *, name: str = "X") -> None:
    """Refuse data that vary so little that their variances underflow float64.

    Deviations from the mean below about 1e-154 have squares below float64's smallest
    normal number (2.2e-308): a variance computed from them is 0, or a subnormal number
    with few significant bits, and the covariance looks singular although it is not. The
    Gaussian models call this before they fit; k-means, which needs no variances, scales
    such data instead.

    Parameters
    ----------
    deviations : ndarray of shape (n_samples, n_features)
        The data minus their mean (or each sample minus its class's mean).
    name : str
        The data's name, for the message.

    Raises
    ------
    ValueError
        If some feature has a non-zero deviation but a variance below 2.2e-308.
    """
    if deviations.size == 0:
        return
    spread = np.max(np.abs(deviations), axis=0)
    if float(np.min(spread[spread > 0], initial=np.inf)) >= 1e-150:  # the common case
        return
    variances = np.mean(deviations * deviations, axis=0)
    bad = np.flatnonzero((variances < np.finfo(np.float64).tiny) & (spread > 0))
    if bad.size:
        j = int(bad[0])
        raise ValueError(
            f"feature {j} of {name} varies (by up to {float(spread[j]):g} from its mean), "
            "but so little that its variance underflows float64 (squares below 2.2e-308 "
            "are not represented accurately): rescale the features (e.g. multiply by 1e150)"
        )


def check_count(value: object, *, name: str, minimum: int = 0) -> int:
    """Check that a scalar is an integer (not a bool, not a float) of at least ``minimum``.

    Parameters
    ----------
    value : object
        The scalar to check: a Python or NumPy integer.
    name : str
        Its name, for the error message.
    minimum : int
        The smallest value allowed.

    Returns
    -------
    int
        ``value`` as a Python int.
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} must be an integer >= {minimum}; got {value!r}")
    if int(value) < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}; got {value!r}")
    return int(value)


def check_probability_vector(
    p: ArrayLike, *, name: str = "p", atol: float = 1e-8
) -> NDArray[np.float64]:
    """Check that ``p`` is a probability vector: non-negative, summing to 1.

    Parameters
    ----------
    p : array_like of shape (n,)
        The candidate probabilities.
    name : str
        Its name, for error messages.
    atol : float
        Tolerance on ``|sum(p) - 1|``.

    Returns
    -------
    ndarray of float64, shape (n,)
    """
    arr = check_array(p, name=name, ndim=1)
    if np.any(arr < 0):
        raise ValueError(f"{name} has negative entries: {arr[arr < 0][:5]}")
    total = float(arr.sum())
    if abs(total - 1.0) > atol:
        raise ValueError(f"{name} must sum to 1; it sums to {total}")
    return arr


def check_stochastic_matrix(
    A: ArrayLike, *, name: str = "A", atol: float = 1e-8
) -> NDArray[np.float64]:
    """Check that every row of ``A`` is a probability vector.

    Parameters
    ----------
    A : array_like of shape (n_rows, n_columns)
        The candidate row-stochastic matrix.
    name : str
        Its name, for error messages.
    atol : float
        Tolerance on each row's ``|sum - 1|``.

    Returns
    -------
    ndarray of float64, shape (n_rows, n_columns)
    """
    arr = check_array(A, name=name, ndim=2)
    if np.any(arr < 0):
        rows = np.unique(np.nonzero(arr < 0)[0])
        raise ValueError(f"{name} has negative entries in row(s) {rows.tolist()}")
    sums = arr.sum(axis=1)
    bad = np.nonzero(np.abs(sums - 1.0) > atol)[0]
    if bad.size:
        raise ValueError(
            f"every row of {name} must sum to 1; row(s) {bad.tolist()} sum to {sums[bad].tolist()}"
        )
    return arr


def check_random_state(
    seed: int | np.random.Generator | None, *, name: str = "random_state"
) -> np.random.Generator:
    """Turn ``seed`` into a :class:`numpy.random.Generator`.

    The same rule as the ``"random_state"`` entry of ``_parameter_constraints``
    (:mod:`genlab._base`): None, a non-negative integer (not a bool) or a Generator.

    Parameters
    ----------
    seed : int, Generator or None
        A non-negative integer seed gives a reproducible generator; a Generator is
        returned as it is; None gives fresh, unpredictable entropy.
    name : str, default "random_state"
        The argument's name, for the message.

    Returns
    -------
    numpy.random.Generator
    """
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None or is_random_state(seed):
        return np.random.default_rng(seed)
    raise ValueError(
        f"{name} must be None, a non-negative integer or a numpy Generator; got {seed!r}"
    )


def is_random_state(value: object) -> bool:
    """Whether ``value`` is a valid seed: None, a non-negative integer (no bool), a Generator."""
    return (
        value is None
        or isinstance(value, np.random.Generator)
        or (
            isinstance(value, numbers.Integral)
            and not isinstance(value, (bool, np.bool_))
            and int(value) >= 0
        )
    )


def check_is_fitted(estimator: object, attributes: Iterable[str]) -> None:
    """Raise :class:`NotFittedError` unless ``estimator`` has every attribute.

    Parameters
    ----------
    estimator : object
        The model.
    attributes : iterable of str
        Fitted attributes (with trailing underscores) that ``fit`` sets.
    """
    missing = [a for a in attributes if not hasattr(estimator, a)]
    if missing:
        raise _not_fitted_error()(
            f"this {type(estimator).__name__} is not fitted yet (missing {missing}); "
            "call fit first"
        )


def check_levels(X: ArrayLike, n_levels: int, *, name: str = "X") -> NDArray[np.intp]:
    """Check that ``X`` holds discrete levels: integers in ``0 .. n_levels - 1``.

    Introduced in the chapter "Choosing a generative model" (the likelihood yardstick of
    the 8x8 digits, whose pixels take the 17 levels 0..16).

    Parameters
    ----------
    X : array_like of shape (n_samples, n_features)
        Integer-valued entries (of any numeric dtype: ``3.0`` is level 3).
    n_levels : int
        The number of levels L; the allowed values are 0, 1, ..., L - 1.
    name : str
        The argument's name, for the message.

    Returns
    -------
    ndarray of intp, shape (n_samples, n_features)

    Raises
    ------
    ValueError
        If ``X`` is not a finite 2-D numeric array, or has an entry that is not an
        integer, is negative, or is ``n_levels`` or more.
    """
    L = check_count(n_levels, name="n_levels", minimum=1)
    arr = check_array(X, name=name)
    fractional = arr != np.round(arr)
    if np.any(fractional):
        first = float(arr[fractional][0])
        raise ValueError(
            f"{name} must hold integer levels 0..{L - 1}; it has {int(fractional.sum())} "
            f"non-integer entr{'y' if fractional.sum() == 1 else 'ies'} (first: {first:g})"
        )
    lo, hi = float(arr.min()), float(arr.max())
    if lo < 0:
        raise ValueError(
            f"{name} has negative levels (smallest {lo:g}); levels must be integers in "
            f"0..{L - 1} (n_levels={L})"
        )
    if hi >= L:
        raise ValueError(
            f"{name} has levels up to {hi:g}, but n_levels={L} allows only 0..{L - 1}; "
            "pass a larger n_levels or rescale the data"
        )
    return np.ascontiguousarray(arr.astype(np.intp))


def check_classes(classes: ArrayLike, *, name: str = "classes") -> NDArray[Any]:
    """Check a declared list of class labels: 1-D, labels, each listed once.

    The ``classes`` of ``partial_fit``: every class that will ever be seen. Like
    :func:`check_labels` for ``y`` (integers, strings or other sortable values; a float
    that is not an integer, NaN or infinity is refused), and each label may appear only
    once (a repeat is almost always a mistake, such as passing ``y`` instead of
    ``np.unique(y)``).

    Parameters
    ----------
    classes : array_like of shape (n_classes,)
    name : str
        The argument's name, for the message.

    Returns
    -------
    ndarray of shape (n_classes,)
        The labels, sorted.

    Raises
    ------
    ValueError
        If ``classes`` is None, not 1-D, empty, not labels, or lists a label twice.
    """
    if classes is None:
        raise ValueError(f"{name} must be passed: the list of every class label")
    if isinstance(classes, (str, bytes)):
        raise ValueError(
            f"{name} must be an array of class labels, one per class; got the single string "
            f"{classes!r}: wrap it in a list"
        )
    labels = np.asarray(classes)
    if labels.ndim != 1:
        raise ValueError(
            f"{name} must be a 1-D array of class labels, shape (n_classes,); got shape "
            f"{labels.shape}"
        )
    if labels.size == 0:
        raise ValueError(f"{name} is empty; it must list every class label")
    if labels.dtype.kind == "c" or (
        labels.dtype.kind == "O" and any(isinstance(v, complex) for v in labels)
    ):
        raise ValueError(f"{name} has complex entries; class labels are integers or strings")
    if labels.dtype.kind == "f":
        if not np.all(np.isfinite(labels)):
            raise ValueError(f"{name} contains NaN or infinity; class labels must be finite")
        if np.any(labels != np.round(labels)):
            raise ValueError(
                f"{name} holds non-integer floats ({labels[labels != np.round(labels)][:3]}"
                "); class labels are integers or strings, not measurements"
            )
    if labels.dtype.kind == "O":
        try:
            np.unique(labels)
        except TypeError as exc:
            raise ValueError(f"{name}'s labels cannot be sorted (mixed types?): {exc}") from None
    unique, counts = np.unique(labels, return_counts=True)
    if np.any(counts > 1):
        raise ValueError(
            f"{name} lists the label(s) {unique[counts > 1].tolist()} more than once; list "
            "each class once (e.g. np.unique(y))"
        )
    return unique


def check_sample_label(y: object, classes: NDArray[Any], *, name: str = "y") -> int:
    """The index in ``classes`` of one requested class label (for ``sample(n, y=...)``).

    Parameters
    ----------
    y : scalar
        One class label, of the classes' kind: a float (or a bool) is not accepted for
        integer or string classes, even where it compares equal (``1.0 == 1``).
    classes : ndarray of shape (n_classes,)
        The fitted classes.
    name : str
        The argument's name, for the message.

    Returns
    -------
    int
        The position of ``y`` in ``classes``.

    Raises
    ------
    ValueError
        If ``y`` is not a single label, is of another kind than the classes, or is not
        one of them.
    """
    known = classes.tolist()
    if isinstance(y, np.ndarray) and y.ndim == 0:
        y = y.item()
    kind = classes.dtype.kind
    if (
        np.ndim(y) != 0  # type: ignore[arg-type]
        or isinstance(y, (dict, set))
        or (isinstance(y, bytes) and kind != "S")
    ):
        raise ValueError(
            f"{name} must be one class label (one of {known}); got {type(y).__name__} "
            f"{y!r}: to draw samples of several classes, call sample once per class"
        )
    if isinstance(y, (bool, np.bool_)) and kind != "b":
        raise ValueError(f"{name} must be one of the classes {known}; got the boolean {y!r}")
    if isinstance(y, (float, np.floating)) and kind not in "fc":
        raise ValueError(
            f"{name} must be one of the classes {known}; got the float {y!r} (the classes "
            f"are {'integers' if kind in 'iu' else 'not floats'}: pass a label of their kind)"
        )
    where = np.nonzero(classes == y)[0]
    if where.size == 0:
        raise ValueError(f"{name}={y!r} is not one of the classes {known}")
    return int(where[0])


class MissingFileError(FileNotFoundError, ValueError):
    """A file (or the folder for one) that does not exist.

    A :class:`FileNotFoundError`, what Python's own file functions raise, and a
    ``ValueError``, like every genlab input error; ``filename`` is the missing path and the
    message says what was expected there.
    """


def missing_file(path: object, problem: str) -> MissingFileError:
    """A :class:`MissingFileError` (errno ENOENT) for ``path``, saying ``problem``."""
    import errno

    return MissingFileError(errno.ENOENT, problem, str(path))
