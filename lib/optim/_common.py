"""Checks shared by the optimizers, the clipping and the schedules.

The conventions are stated once, in ``lib.optim``.
"""
from __future__ import annotations

import math
import numbers

import numpy as np

from lib._checks import check_integer, check_nonnegative


# --------------------------------------------------------------------------------------------
# small private checks
# --------------------------------------------------------------------------------------------
def _real(value, name: str) -> float:
    """``value`` as a Python float; ``TypeError`` unless it is a real number, ``ValueError`` if NaN/inf."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r} of type {type(value).__name__}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return value


def _nonnegative(value, name: str) -> float:
    value = _real(value, name)
    check_nonnegative(value, name)
    return value


def _positive_int(value, name: str, minimum: int = 1) -> int:
    value = check_integer(value, name)
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _check_param(p, name: str) -> np.ndarray:
    if not isinstance(p, np.ndarray):
        raise TypeError(
            f"{name} must be a numpy array (the optimizer updates it in place), "
            f"got {type(p).__name__}"
        )
    if p.dtype not in (np.float32, np.float64):
        raise TypeError(
            f"{name} must be a float32 or float64 array (the optimizer updates it in place), "
            f"got dtype {p.dtype}; convert it first, e.g. w = w.astype(np.float64)"
        )
    if not p.flags.writeable:
        raise TypeError(f"{name} must be a writable array (the optimizer updates it in place)")
    return p


def _check_params(params) -> list[np.ndarray]:
    if isinstance(params, np.ndarray):
        raise TypeError(
            "params must be a list of arrays, got a single array; write [w] instead of w"
        )
    try:
        params = list(params)
    except TypeError:
        raise TypeError(
            f"params must be a list of numpy arrays, got {type(params).__name__}"
        ) from None
    if not params:
        raise ValueError("params is empty: the optimizer got no arrays to update")
    params = [_check_param(p, f"params[{i}]") for i, p in enumerate(params)]
    for i, p in enumerate(params):
        for j in range(i):
            if np.shares_memory(p, params[j]):
                raise ValueError(
                    f"params[{j}] and params[{i}] share memory: each array may be given once "
                    f"(it would be updated twice per step)"
                )
    return params
