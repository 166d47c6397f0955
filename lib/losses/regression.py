"""Regression losses: a real-valued prediction against a real-valued target (page *Regression
losses*).

The conventions every loss follows are stated once, in ``lib.losses``.
"""
from __future__ import annotations

import math

import numpy as np

from lib._checks import as_real, check_positive, reduce
from lib.losses._common import ArrayLike, _broadcast_pair, _elementwise_grad

__all__ = [
    "mse", "mse_grad", "mae", "mae_grad", "huber", "huber_grad", "log_cosh", "log_cosh_grad",
    "pinball", "pinball_grad"
]


def mse(pred: ArrayLike, target: ArrayLike, reduction: str = "mean") -> np.ndarray:
    """Mean squared error, as ``F.mse_loss``.

        l_i = (pred_i - target_i)^2

    Shapes: ``pred`` and ``target`` broadcast; ``"none"`` gives the broadcast shape. ``"mean"``
    averages over all elements (1/n sum_i l_i, the notes' MSE).
    """
    pred, target = _broadcast_pair(pred=pred, target=target)
    return reduce((pred - target) ** 2, reduction)


def mse_grad(pred: ArrayLike, target: ArrayLike, reduction: str = "mean") -> np.ndarray:
    """d mse / d pred = 2 (pred - target), divided by the number of elements for ``"mean"``."""
    pred, target = _broadcast_pair(pred=pred, target=target)
    return _elementwise_grad(2 * (pred - target), reduction, pred.shape)


def mae(pred: ArrayLike, target: ArrayLike, reduction: str = "mean") -> np.ndarray:
    """Mean absolute error, as ``F.l1_loss``.

        l_i = |pred_i - target_i|

    ``"mean"`` averages over all elements.
    """
    pred, target = _broadcast_pair(pred=pred, target=target)
    return reduce(np.abs(pred - target), reduction)


def mae_grad(pred: ArrayLike, target: ArrayLike, reduction: str = "mean") -> np.ndarray:
    """d mae / d pred = sign(pred - target) (the subgradient 0 at pred = target, as torch).

    Divided by the number of elements for ``"mean"``; the notes sometimes omit that 1/n.
    """
    pred, target = _broadcast_pair(pred=pred, target=target)
    return _elementwise_grad(np.sign(pred - target), reduction, pred.shape)


def huber(pred: ArrayLike, target: ArrayLike, delta: float = 1.0, reduction: str = "mean") -> np.ndarray:
    """Huber loss, as ``F.huber_loss``. With the residual r = pred - target:

        l(r) = 0.5 r^2                  if |r| <= delta
               delta (|r| - delta / 2)  if |r| >  delta

    Which side takes the boundary does not matter: at |r| = delta both branches give
    0.5 delta^2 (and both slopes are delta sign r), so the loss is continuous with a continuous
    derivative. We write <= as two of the notes do; torch's documentation (and two other notes)
    writes <. ``delta (|r| - delta/2)`` and ``delta |r| - delta^2/2`` are the same expression.
    ``F.smooth_l1_loss(beta=b)`` is ``huber(delta=b) / b``: the two agree only for delta = 1.

    ``delta > 0``; ``"mean"`` averages over all elements.
    """
    pred, target = _broadcast_pair(pred=pred, target=target)
    delta = as_real(delta, "delta")
    check_positive(delta, "delta")
    r = np.abs(pred - target)
    return reduce(np.where(r <= delta, 0.5 * r**2, delta * (r - 0.5 * delta)), reduction)


def huber_grad(pred: ArrayLike, target: ArrayLike, delta: float = 1.0, reduction: str = "mean") -> np.ndarray:
    """d huber / d pred = clip(r, -delta, delta): r in the quadratic zone, delta sign(r) outside."""
    pred, target = _broadcast_pair(pred=pred, target=target)
    delta = as_real(delta, "delta")
    check_positive(delta, "delta")
    return _elementwise_grad(np.clip(pred - target, -delta, delta), reduction, pred.shape)


def log_cosh(pred: ArrayLike, target: ArrayLike, reduction: str = "mean") -> np.ndarray:
    """Log-cosh loss: l_i = log cosh(pred_i - target_i).

    cosh overflows for |r| > 710, and log(cosh r) loses the digits of r^2/2 next to 1 for small r,
    so the loss is computed, accurate to a few units in the last place for every finite r, as

        log cosh r = log1p(2 sinh(r/2)^2)            for |r| <= 1 (~ r^2/2 - r^4/12 near 0),
        log cosh r = |r| + log1p(exp(-2|r|)) - log 2  for |r| > 1 (~ |r| - log 2 far out).

    ``"mean"`` averages over all elements (torch has no log-cosh loss).
    """
    pred, target = _broadcast_pair(pred=pred, target=target)
    r = np.abs(pred - target)
    near = np.log1p(2 * np.sinh(np.minimum(r, 1) / 2) ** 2)
    far = r + np.log1p(np.exp(-np.minimum(r, 1e3)) ** 2) - math.log(2.0)  # exp(-2r) without overflow of 2r
    return reduce(np.where(r <= 1, near, far), reduction)


def log_cosh_grad(pred: ArrayLike, target: ArrayLike, reduction: str = "mean") -> np.ndarray:
    """d log_cosh / d pred = tanh(pred - target)."""
    pred, target = _broadcast_pair(pred=pred, target=target)
    return _elementwise_grad(np.tanh(pred - target), reduction, pred.shape)


def pinball(pred: ArrayLike, target: ArrayLike, tau: float = 0.5, reduction: str = "mean") -> np.ndarray:
    """Pinball (quantile) loss at level tau in (0, 1). With the residual r = target - pred:

        l_i = tau * r_i        if r_i >= 0  (under-prediction costs tau per unit)
              (tau - 1) * r_i  if r_i < 0   (over-prediction costs 1 - tau per unit)

    Its minimiser over a constant prediction is the tau-quantile of the targets (tau = 0.5: the
    median, and the loss is half the MAE). ``"mean"`` averages over all elements (torch has no
    pinball loss).
    """
    pred, target = _broadcast_pair(pred=pred, target=target)
    tau = as_real(tau, "tau")
    if not 0 < tau < 1:
        raise ValueError(f"tau must be in (0, 1), got {tau!r}")
    r = target - pred
    return reduce(np.maximum(tau * r, (tau - 1) * r), reduction)


def pinball_grad(pred: ArrayLike, target: ArrayLike, tau: float = 0.5, reduction: str = "mean") -> np.ndarray:
    """d pinball / d pred = -tau where target > pred, 1 - tau where target < pred, 0 where equal."""
    pred, target = _broadcast_pair(pred=pred, target=target)
    tau = as_real(tau, "tau")
    if not 0 < tau < 1:
        raise ValueError(f"tau must be in (0, 1), got {tau!r}")
    r = target - pred
    grad = np.where(r > 0, -tau, np.where(r < 0, 1 - tau, 0.0)).astype(r.dtype)
    return _elementwise_grad(grad, reduction, pred.shape)
