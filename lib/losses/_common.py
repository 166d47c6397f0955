"""Helpers shared by the loss families: dtype rules, broadcasting, clipping, reductions of
gradients.

The conventions every loss follows are stated once, in ``lib.losses``.
"""
from __future__ import annotations

from typing import Sequence, Union

import numpy as np

from lib._checks import as_float_array, broadcast_shapes, check_labels, reduce_grad, result_dtype

ArrayLike = Union[np.ndarray, float, Sequence]
Weights = Union[np.ndarray, Sequence[np.ndarray]]

#: Probabilities are clipped to [PROB_EPS, 1 - PROB_EPS] before a log is taken.
PROB_EPS = 1e-7


def _arrays(**named) -> list[np.ndarray]:
    """The named inputs as float arrays of one dtype.

    float32 only when every floating input is float32. Integer and boolean inputs (labels, 0/1
    targets) and bare Python numbers (``mse(x, 0.0)``) take part in the computation but do not
    decide the dtype, as Python scalars do in numpy's own promotion rules.
    """
    arrays = [as_float_array(value, name) for name, value in named.items()]
    floating = [
        a for a, v in zip(arrays, named.values())
        if np.asarray(v).dtype.kind == "f" and type(v) is not float
    ]
    dtype = result_dtype(*floating) if floating else np.dtype(np.float64)
    return [a.astype(dtype, copy=False) for a in arrays]


def _broadcast_pair(**named) -> list[np.ndarray]:
    """``_arrays`` plus a check that the arrays broadcast together."""
    arrays = _arrays(**named)
    broadcast_shapes(**dict(zip(named, arrays)))
    return arrays


def _check_class_axis(x: np.ndarray, name: str) -> int:
    """``x`` has a non-empty class axis last; returns the number of classes."""
    if x.ndim < 1 or x.shape[-1] < 1:
        raise ValueError(f"{name} must have a class axis last, shape (..., C) with C >= 1; got {x.shape}")
    return x.shape[-1]


def _labels_for(labels, scores: np.ndarray, name: str = "labels") -> np.ndarray:
    """Integer labels in [0, C) whose shape is ``scores.shape[:-1]``."""
    out = check_labels(labels, scores.shape[-1], name)
    if out.shape != scores.shape[:-1]:
        raise ValueError(
            f"{name} must have shape {scores.shape[:-1]} (the shape of the scores without the "
            f"class axis); got {out.shape}"
        )
    return out


def _one_hot(labels: np.ndarray, n_classes: int, dtype) -> np.ndarray:
    return (labels[..., None] == np.arange(n_classes)).astype(dtype)


def _check_targets01(y: np.ndarray, name: str) -> None:
    """Targets of a binary loss: every entry in [0, 1] (0/1 labels or soft labels, as torch)."""
    bad = ~((y >= 0) & (y <= 1))
    if np.any(bad):
        raise ValueError(
            f"{name} must hold binary targets in [0, 1] (0/1 labels or soft labels); "
            f"found {y[bad].flat[0]!r}"
        )


def _clip_prob(p: np.ndarray) -> np.ndarray:
    return np.clip(p, PROB_EPS, 1 - PROB_EPS)


def _sum_to_shape(grad: np.ndarray, shape: tuple) -> np.ndarray:
    """Sum ``grad`` over the axes along which an array of ``shape`` was broadcast."""
    if grad.shape == shape:
        return grad
    grad = grad.sum(axis=tuple(range(grad.ndim - len(shape))))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    return grad.sum(axis=axes, keepdims=True) if axes else grad


def _elementwise_grad(grad: np.ndarray, reduction: str, pred_shape: tuple) -> np.ndarray:
    """Gradient of an elementwise loss from its per-element derivative ``grad``."""
    grad = reduce_grad(grad, reduction)
    return grad if reduction == "none" else _sum_to_shape(grad, pred_shape)
