"""Input checks shared by every module of ``lib``.

Each check raises a ``TypeError`` or ``ValueError`` whose message names the argument, says what
was expected and what came instead, so that a student or a reader knows what to fix. They are
kept here, in one place, so that every public function speaks the same way.

One rule for each kind of value:

* **a wrong kind** of value is a ``TypeError``, **a value out of range** a ``ValueError``;
* **real numbers** (``as_real``): Python and numpy real scalars and 0-d real arrays; a boolean, a
  string or a complex number is refused, and so are NaN and infinity;
* **integers** (``check_integer``): Python and numpy integers; a boolean or a float (even 2.0) is
  refused;
* **booleans** (``as_flag``): ``True``/``False`` and numpy booleans only (not 0/1, not strings);
* **probabilities** (``check_probabilities``): every entry in [0, 1], NaN refused;
* **random generators** (``as_generator``): a ``np.random.Generator`` (used and advanced), an int
  seed, or ``None`` (fresh entropy).
"""
from __future__ import annotations

import functools
import math
import numbers
from typing import Callable, Iterable

import numpy as np

REDUCTIONS = ("mean", "sum", "none")


def as_float_array(x, name: str) -> np.ndarray:
    """``x`` as a floating numpy array: float32 and float64 are kept, anything else becomes float64.

    Raises ``TypeError`` for input that is not numeric (strings, objects, complex numbers).
    """
    try:
        arr = np.asarray(x)
    except Exception as exc:  # ragged nested lists and the like
        raise TypeError(f"{name} must be an array of real numbers; could not convert it: {exc}") from exc
    if arr.dtype == bool or np.issubdtype(arr.dtype, np.integer):
        return arr.astype(np.float64)
    if arr.dtype in (np.float32, np.float64):
        return arr
    if np.issubdtype(arr.dtype, np.floating):  # float16, longdouble
        return arr.astype(np.float64)
    raise TypeError(
        f"{name} must be an array of real numbers (float32 or float64), got dtype {arr.dtype}"
    )


def result_dtype(*arrays: np.ndarray) -> np.dtype:
    """float32 when every float input is float32, float64 otherwise."""
    return np.result_type(*arrays, np.float32)


def check_finite(x: np.ndarray, name: str) -> None:
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{name} must be finite; it holds NaN or infinity")


def check_probabilities(p: np.ndarray, name: str) -> None:
    """Every entry in [0, 1] (NaN rejected too)."""
    bad = ~((p >= 0) & (p <= 1))
    if np.any(bad):
        first = p[bad].flat[0]
        raise ValueError(
            f"{name} must hold probabilities in [0, 1]; found {first!r}. "
            f"Pass probabilities (e.g. the output of a sigmoid or softmax), or use the "
            f"'*_with_logits' / logits form of this loss for raw scores."
        )


def check_binary(y: np.ndarray, name: str, values: tuple = (0.0, 1.0)) -> None:
    """Every entry is one of ``values``."""
    bad = ~np.isin(y, values)
    if np.any(bad):
        raise ValueError(f"{name} must hold only the values {values}; found {y[bad].flat[0]!r}")


def broadcast_shapes(**arrays: np.ndarray) -> tuple:
    """The broadcast shape of the named arrays, or a ``ValueError`` naming them and their shapes."""
    try:
        return np.broadcast_shapes(*(a.shape for a in arrays.values()))
    except ValueError:
        shapes = ", ".join(f"{k} of shape {v.shape}" for k, v in arrays.items())
        raise ValueError(
            f"shapes do not broadcast: {shapes}. Give arrays of the same shape "
            f"(or shapes numpy can broadcast together)."
        ) from None


def check_same_shape(**arrays: np.ndarray) -> None:
    shapes = {k: v.shape for k, v in arrays.items()}
    if len(set(shapes.values())) > 1:
        desc = ", ".join(f"{k} of shape {s}" for k, s in shapes.items())
        raise ValueError(f"shapes must be equal: {desc}")


def check_ndim(x: np.ndarray, name: str, ndim: int | Iterable[int], meaning: str = "") -> None:
    allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
    if x.ndim not in allowed:
        want = " or ".join(f"{d}-D" for d in allowed)
        extra = f" ({meaning})" if meaning else ""
        raise ValueError(f"{name} must be {want}{extra}; got shape {x.shape}")


def check_positive(value, name: str) -> None:
    if not np.all(np.asarray(value) > 0):
        raise ValueError(f"{name} must be > 0, got {value!r}")


def check_nonnegative(value, name: str) -> None:
    if not np.all(np.asarray(value) >= 0):
        raise ValueError(f"{name} must be >= 0, got {value!r}")


def check_in_range(value, name: str, low: float, high: float, *, high_open: bool = False) -> None:
    v = np.asarray(value)
    ok = (v >= low) & ((v < high) if high_open else (v <= high))
    if not np.all(ok):
        bracket = ")" if high_open else "]"
        raise ValueError(f"{name} must be in [{low}, {high}{bracket}, got {value!r}")


def check_labels(labels, n_classes: int, name: str = "labels") -> np.ndarray:
    """Integer class indices in ``[0, n_classes)``; returns them as an int64 array."""
    arr = np.asarray(labels)
    if arr.dtype == bool or not (
        np.issubdtype(arr.dtype, np.integer)
        or (np.issubdtype(arr.dtype, np.floating) and np.all(arr == np.round(arr)))
    ):
        raise TypeError(f"{name} must be integer class indices, got dtype {arr.dtype}")
    arr = arr.astype(np.int64)
    bad = (arr < 0) | (arr >= n_classes)
    if np.any(bad):
        raise ValueError(
            f"{name} must be class indices in [0, {n_classes}) for {n_classes} classes; "
            f"found {arr[bad].flat[0]}"
        )
    return arr


def check_reduction(reduction: str) -> None:
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be one of {REDUCTIONS}, got {reduction!r}")


def reduce(loss: np.ndarray, reduction: str) -> np.ndarray:
    """Apply a torch-style reduction to per-element losses: ``"mean"``, ``"sum"`` or ``"none"``."""
    check_reduction(reduction)
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def reduce_grad(grad: np.ndarray, reduction: str, n_terms: int | None = None) -> np.ndarray:
    """The gradient of a reduced loss from the gradient ``grad`` of its unreduced terms.

    ``"mean"`` divides by the number of terms averaged: every element by default, or
    ``n_terms`` (e.g. the number of samples, for a loss summed over the class axis first).
    """
    check_reduction(reduction)
    if reduction == "mean":
        return grad / max(grad.size if n_terms is None else n_terms, 1)
    return grad


def as_generator(rng) -> np.random.Generator:
    """A numpy Generator from a Generator, an int seed or None (fresh entropy)."""
    if rng is None or (isinstance(rng, numbers.Integral) and not isinstance(rng, bool)):
        return np.random.default_rng(rng)
    if isinstance(rng, np.random.Generator):
        return rng
    raise TypeError(f"rng must be a np.random.Generator, an int seed or None, got {type(rng).__name__}")


def check_dropout_rate(p) -> float:
    """A dropout rate: a real number in [0, 1)."""
    if isinstance(p, (bool, str, bytes)) or not isinstance(p, numbers.Real):
        raise TypeError(f"the dropout rate p must be a real number in [0, 1), got {p!r}")
    if not 0 <= p < 1:
        raise ValueError(
            f"the dropout rate p must be in [0, 1) (the probability of zeroing a unit; "
            f"p = 1 would drop everything), got {p!r}"
        )
    return float(p)


def as_finite_float64(x, name: str) -> np.ndarray:
    """``x`` as a float64 array with finite entries (networks compute in float64)."""
    arr = as_float_array(x, name).astype(np.float64)
    check_finite(arr, name)
    return arr


def check_integer(value, name: str, minimum: int | None = None) -> int:
    """``value`` as an int, at least ``minimum`` if given.

    ``TypeError`` for a bool, a float or anything else that is not an integer; ``ValueError``
    below the minimum.
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r} of type {type(value).__name__}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def as_real(value, name: str) -> float:
    """``value`` as a finite Python float (which, unlike a numpy float64, promotes no float32 array).

    ``TypeError`` unless it is a real scalar (Python or numpy, or a 0-d real array; a boolean is
    refused); ``ValueError`` for NaN or infinity.
    """
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r} of type {type(value).__name__}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return value


def as_nonnegative(value, name: str) -> float:
    """``as_real``, and >= 0."""
    value = as_real(value, name)
    check_nonnegative(value, name)
    return value


def as_positive(value, name: str) -> float:
    """``as_real``, and > 0."""
    value = as_real(value, name)
    check_positive(value, name)
    return value


def as_flag(value, name: str) -> bool:
    """``value`` as a bool: ``True``/``False`` or a numpy boolean, nothing else (not 0/1, not a string)."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r} of type {type(value).__name__}")
    return bool(value)


def old_argument_names(**old_to_new: str) -> Callable[[Callable], Callable]:
    """Decorator: the function also accepts the old keyword spelling of renamed arguments.

    ``@old_argument_names(p="probs", y="target")`` lets ``bce(p=..., y=...)`` still call
    ``bce(probs=..., target=...)``; giving both spellings of one argument is a ``TypeError``.
    """
    def decorate(fn: Callable) -> Callable:
        @functools.wraps(fn)
        def call(*args, **kwargs):
            for old, new in old_to_new.items():
                if old in kwargs:
                    if new in kwargs:
                        raise TypeError(
                            f"{fn.__name__}() got {new!r} and its old name {old!r}: give {new!r} only")
                    kwargs[new] = kwargs.pop(old)
            return fn(*args, **kwargs)
        call.old_argument_names = dict(old_to_new)  # type: ignore[attr-defined]
        return call
    return decorate
