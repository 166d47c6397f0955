"""Learning-rate schedules: pure functions of the epoch (for plots) and objects that set
``optimizer.lr``, like ``torch.optim.lr_scheduler``.

The conventions are stated once, in ``lib.optim``.
"""
from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from lib._checks import as_nonnegative, as_real, check_integer, check_positive
from lib.optim.optimizers import Optimizer

__all__ = [
    "step_lr", "exponential_lr", "cosine_annealing_lr", "cosine_warm_restarts_lr",
    "LRScheduler", "StepLR", "ExponentialLR", "CosineAnnealingLR", "CosineAnnealingWarmRestarts"
]


# --------------------------------------------------------------------------------------------
# learning-rate schedules: pure functions of the epoch
# --------------------------------------------------------------------------------------------
def _epochs(epoch) -> np.ndarray:
    e = np.asarray(epoch)
    if e.dtype == bool or not (np.issubdtype(e.dtype, np.integer) or np.issubdtype(e.dtype, np.floating)):
        raise TypeError(f"epoch must be a number or an array of numbers, got dtype {e.dtype}")
    e = e.astype(np.float64)
    if not np.all(np.isfinite(e) & (e >= 0)):
        raise ValueError(f"epoch must be finite and >= 0, got {epoch!r}")
    return e


def _out(lr: np.ndarray):
    return float(lr) if lr.ndim == 0 else lr


def step_lr(epoch, lr0: float, step_size: int, gamma: float = 0.1):
    """Step decay, ``torch.optim.lr_scheduler.StepLR``: ``lr_t = lr0 * gamma ** floor(t / step_size)``.

    ``epoch`` ``t >= 0``: a number (returns a float) or an array (returns an array, for plots).
    ``step_size`` is a positive int, ``gamma > 0``.
    """
    e = _epochs(epoch)
    lr0 = as_nonnegative(lr0, "lr0")
    step_size = check_integer(step_size, "step_size", minimum=1)
    gamma = as_real(gamma, "gamma")
    check_positive(gamma, "gamma")
    return _out(lr0 * gamma ** np.floor_divide(e, step_size))


def exponential_lr(epoch, lr0: float, gamma: float):
    """Exponential decay, ``torch.optim.lr_scheduler.ExponentialLR``: ``lr_t = lr0 * gamma ** t``.

    ``epoch`` ``t >= 0``: a number (returns a float) or an array. ``gamma > 0``.
    """
    e = _epochs(epoch)
    lr0 = as_nonnegative(lr0, "lr0")
    gamma = as_real(gamma, "gamma")
    check_positive(gamma, "gamma")
    return _out(lr0 * gamma**e)


def _cosine(t_cur, T_i, lr0: float, eta_min: float) -> np.ndarray:
    """``eta_min + (lr0 - eta_min) * (1 + cos(pi * t_cur / T_i)) / 2``, torch's arithmetic order."""
    return eta_min + (lr0 - eta_min) * (1 + np.cos(np.pi * t_cur / T_i)) / 2


def cosine_annealing_lr(epoch, lr0: float, T_max: int, eta_min: float = 0.0):
    """Cosine annealing, ``torch.optim.lr_scheduler.CosineAnnealingLR``.

    ``lr_t = eta_min + (lr0 - eta_min) * (1 + cos(pi * t / T_max)) / 2``: from ``lr0`` at
    ``t = 0`` down to ``eta_min`` at ``t = T_max``. Past ``T_max`` the cosine goes on (back up
    to ``lr0`` at ``2 T_max``), which is what torch's scheduler does too; no restarts.
    torch updates it recursively from the current rate; this closed form is its exact value.
    ``epoch`` ``t >= 0``: a number (returns a float) or an array. ``T_max`` a positive int.
    """
    e = _epochs(epoch)
    lr0 = as_nonnegative(lr0, "lr0")
    T_max = check_integer(T_max, "T_max", minimum=1)
    eta_min = as_nonnegative(eta_min, "eta_min")
    return _out(_cosine(e, T_max, lr0, eta_min))


def cosine_warm_restarts_lr(epoch, lr0: float, T_0: int, T_mult: int = 1, eta_min: float = 0.0):
    """SGDR cosine annealing with warm restarts, ``torch.optim.lr_scheduler.CosineAnnealingWarmRestarts``.

    Cycle ``i = 0, 1, ...`` lasts ``T_i = T_0 * T_mult**i`` epochs and starts at epoch
    ``S_i = T_0 * (T_mult**i - 1) / (T_mult - 1)`` (``S_i = i * T_0`` when ``T_mult = 1``). For
    ``S_i <= t < S_{i+1}``, with ``T_cur = t - S_i``::

        lr_t = eta_min + (lr0 - eta_min) * (1 + cos(pi * T_cur / T_i)) / 2

    so the rate jumps back to ``lr0`` at each restart. ``epoch`` ``t >= 0`` may be fractional
    (per-batch plots) and a number (returns a float) or an array. ``T_0`` a positive int,
    ``T_mult`` an int >= 1. The cycle index is found exactly (a float logarithm corrected by
    integer comparisons), so restarts fall on the right epoch.
    """
    e = _epochs(epoch)
    lr0 = as_nonnegative(lr0, "lr0")
    T_0 = check_integer(T_0, "T_0", minimum=1)
    T_mult = check_integer(T_mult, "T_mult", minimum=1)
    eta_min = as_nonnegative(eta_min, "eta_min")
    if T_mult == 1:
        t_cur, T_i = np.mod(e, T_0), T_0
    else:
        def start(i):  # first epoch of cycle i
            return T_0 * (float(T_mult) ** i - 1) / (T_mult - 1)

        i = np.floor(np.log1p(e / T_0 * (T_mult - 1)) / math.log(T_mult))
        i -= start(i) > e
        i += start(i + 1) <= e
        t_cur, T_i = e - start(i), T_0 * float(T_mult) ** i
    return _out(_cosine(t_cur, T_i, lr0, eta_min))


# --------------------------------------------------------------------------------------------
# learning-rate schedules: objects that set optimizer.lr, like torch.optim.lr_scheduler
# --------------------------------------------------------------------------------------------
class LRScheduler:
    """Base class: sets ``optimizer.lr`` to ``lr_at(epoch)`` at construction (epoch 0) and at each ``step()``.

    As in torch: the initial learning rate (``base_lr``) is the optimizer's ``lr`` when the
    scheduler is made; call ``scheduler.step()`` once per epoch *after* the epoch's optimizer
    steps; ``get_last_lr()`` returns ``[lr]`` (a one-element list: torch has one entry per
    parameter group, here there is one group); ``last_epoch`` counts the ``step()`` calls.
    Subclasses give it one of the pure functions of this module (``schedule``) and its options.
    """

    def __init__(self, optimizer: Optimizer, schedule: Callable | None = None, **options) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(
                f"optimizer must be a lib.optim.Optimizer, got {type(optimizer).__name__}"
            )
        self.optimizer = optimizer
        self.base_lr = optimizer.lr
        self.schedule, self.options = schedule, options
        for name, value in options.items():  # scheduler.gamma, scheduler.T_max, ... as torch
            setattr(self, name, value)
        self.last_epoch = 0
        self._apply()

    def lr_at(self, epoch):
        """The learning rate of ``epoch`` (a number or an array of them): ``schedule(epoch,
        base_lr, **options)``, one of the pure functions of this module."""
        if self.schedule is None:
            raise NotImplementedError("give LRScheduler a schedule, or override lr_at")
        return self.schedule(epoch, self.base_lr, **self.options)

    def step(self) -> None:
        """Advance one epoch and set ``optimizer.lr`` to that epoch's learning rate."""
        self.last_epoch += 1
        self._apply()

    def get_last_lr(self) -> list[float]:
        """``[lr]``, the learning rate set by the last ``step()`` (or the constructor)."""
        return [self._last_lr]

    def _apply(self) -> None:
        self._last_lr = self.lr_at(self.last_epoch)
        self.optimizer.lr = self._last_lr

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_lr={self.base_lr!r}, last_epoch={self.last_epoch})"


class StepLR(LRScheduler):
    """``lr = base_lr * gamma ** (epoch // step_size)``, as ``torch.optim.lr_scheduler.StepLR`` (see :func:`step_lr`)."""

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1) -> None:
        super().__init__(optimizer, step_lr, step_size=step_size, gamma=gamma)


class ExponentialLR(LRScheduler):
    """``lr = base_lr * gamma ** epoch``, as ``torch.optim.lr_scheduler.ExponentialLR`` (see :func:`exponential_lr`)."""

    def __init__(self, optimizer: Optimizer, gamma: float) -> None:
        super().__init__(optimizer, exponential_lr, gamma=gamma)


class CosineAnnealingLR(LRScheduler):
    """``lr = eta_min + (base_lr - eta_min) (1 + cos(pi epoch / T_max)) / 2``, as ``torch.optim.lr_scheduler.CosineAnnealingLR``.

    See :func:`cosine_annealing_lr`; torch's recursive update gives the same numbers.
    """

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0) -> None:
        super().__init__(optimizer, cosine_annealing_lr, T_max=T_max, eta_min=eta_min)


class CosineAnnealingWarmRestarts(LRScheduler):
    """Cosine annealing restarted every ``T_i = T_0 * T_mult**i`` epochs, as ``torch.optim.lr_scheduler.CosineAnnealingWarmRestarts``.

    See :func:`cosine_warm_restarts_lr` for the formula.
    """

    def __init__(self, optimizer: Optimizer, T_0: int, T_mult: int = 1, eta_min: float = 0.0) -> None:
        super().__init__(optimizer, cosine_warm_restarts_lr, T_0=T_0, T_mult=T_mult, eta_min=eta_min)
