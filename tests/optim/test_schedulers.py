"""lib.optim.schedulers against torch.optim.lr_scheduler, epoch by epoch; bad arguments.
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from lib import optim


# --------------------------------------------------------------------------------------------
# learning-rate schedules
# --------------------------------------------------------------------------------------------
EPOCHS = 60
SCHEDULES = [
    ("StepLR", optim.step_lr, dict(step_size=7, gamma=0.1)),
    ("StepLR", optim.step_lr, dict(step_size=1, gamma=0.9)),
    ("StepLR", optim.step_lr, dict(step_size=30)),
    ("ExponentialLR", optim.exponential_lr, dict(gamma=0.9)),
    ("ExponentialLR", optim.exponential_lr, dict(gamma=1.05)),
    ("CosineAnnealingLR", optim.cosine_annealing_lr, dict(T_max=10)),
    ("CosineAnnealingLR", optim.cosine_annealing_lr, dict(T_max=7, eta_min=1e-3)),
    ("CosineAnnealingLR", optim.cosine_annealing_lr, dict(T_max=3, eta_min=0.05)),
    ("CosineAnnealingLR", optim.cosine_annealing_lr, dict(T_max=60, eta_min=0.01)),
    ("CosineAnnealingWarmRestarts", optim.cosine_warm_restarts_lr, dict(T_0=10)),
    ("CosineAnnealingWarmRestarts", optim.cosine_warm_restarts_lr, dict(T_0=5, T_mult=2)),
    ("CosineAnnealingWarmRestarts", optim.cosine_warm_restarts_lr,
     dict(T_0=1, T_mult=2, eta_min=1e-3)),
    ("CosineAnnealingWarmRestarts", optim.cosine_warm_restarts_lr,
     dict(T_0=3, T_mult=3, eta_min=0.01)),
]


def torch_lrs(name: str, lr0: float, kwargs: dict) -> np.ndarray:
    """torch's learning rate for epochs 0 .. EPOCHS-1 (optimizer step before scheduler step)."""
    topt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=lr0)
    sched = getattr(torch.optim.lr_scheduler, name)(topt, **kwargs)
    lrs = []
    for _ in range(EPOCHS):
        lrs.append(sched.get_last_lr()[0])
        topt.step()
        sched.step()
    return np.array(lrs)


@pytest.mark.parametrize("lr0", [0.1, 1.0])
@pytest.mark.parametrize("name, function, kwargs", SCHEDULES,
                         ids=[f"{n}-{k}" for n, _, k in SCHEDULES])
def test_schedule_matches_torch_every_epoch(name, function, kwargs, lr0):
    expected = torch_lrs(name, lr0, kwargs)
    opt = optim.SGD([np.zeros(1)], lr=lr0)
    sched = getattr(optim, name)(opt, **kwargs)
    lrs = []
    for _ in range(EPOCHS):
        lrs.append(sched.get_last_lr()[0])
        assert opt.lr == lrs[-1]
        opt.step([np.zeros(1)])
        sched.step()
    assert sched.last_epoch == EPOCHS
    np.testing.assert_allclose(lrs, expected, rtol=1e-12, atol=0)
    # the pure function, vectorised and scalar, is the same implementation
    np.testing.assert_allclose(function(np.arange(EPOCHS), lr0, **kwargs), expected,
                               rtol=1e-12, atol=0)
    assert isinstance(function(3, lr0, **kwargs), float)
    assert function(3, lr0, **kwargs) == pytest.approx(expected[3], rel=1e-12)


@pytest.mark.parametrize("T_0, T_mult", [(5, 1), (3, 2), (2, 3)])
def test_warm_restarts_at_fractional_epochs_match_torch(T_0, T_mult):
    epochs = [0.5, 2.25, 4.999, 7.3, 13.7, 20.0, 21.5, 38.9]
    topt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    sched = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(topt, T_0, T_mult, eta_min=0.01)
    expected = []
    with warnings.catch_warnings():  # step(epoch) is deprecated in torch, still its reference
        warnings.simplefilter("ignore")
        for e in epochs:
            topt.step()
            sched.step(e)
            expected.append(sched.get_last_lr()[0])
    got = optim.cosine_warm_restarts_lr(np.array(epochs), 0.1, T_0, T_mult, eta_min=0.01)
    np.testing.assert_allclose(got, expected, rtol=1e-12)


@given(st.integers(1, 10), st.integers(2, 10), st.integers(0, 12))
def test_warm_restarts_restart_exactly_at_cycle_starts(T_0, T_mult, cycle):
    start = T_0 * (T_mult**cycle - 1) // (T_mult - 1)  # integer arithmetic, no logarithm
    assert optim.cosine_warm_restarts_lr(start, 0.5, T_0, T_mult, 0.1) == pytest.approx(0.5)
    if cycle > 0:  # the epoch before is the last of the previous cycle, near eta_min
        T_prev = T_0 * T_mult ** (cycle - 1)
        expected = 0.1 + 0.4 * (1 + np.cos(np.pi * (T_prev - 1) / T_prev)) / 2
        got = optim.cosine_warm_restarts_lr(start - 1, 0.5, T_0, T_mult, 0.1)
        assert got == pytest.approx(expected, rel=1e-12)


def test_scheduler_overwrites_a_hand_set_lr_at_the_next_step():
    opt = optim.SGD([np.zeros(1)], lr=1.0)
    sched = optim.ExponentialLR(opt, gamma=0.5)
    opt.lr = 123.0
    sched.step()
    assert opt.lr == 0.5 and sched.get_last_lr() == [0.5]
    assert "base_lr=1.0" in repr(sched)


@pytest.mark.parametrize(
    "make, error, match",
    [
        (lambda o: optim.StepLR(torch.optim.SGD([torch.zeros(1)]), 3), TypeError, "optimizer"),
        (lambda o: optim.StepLR(o, 0), ValueError, "step_size"),
        (lambda o: optim.StepLR(o, 2.0), TypeError, "step_size"),
        (lambda o: optim.StepLR(o, 2, gamma=0), ValueError, "gamma"),
        (lambda o: optim.ExponentialLR(o, gamma=-0.5), ValueError, "gamma"),
        (lambda o: optim.CosineAnnealingLR(o, T_max=0), ValueError, "T_max"),
        (lambda o: optim.CosineAnnealingLR(o, 10, eta_min=-1e-3), ValueError, "eta_min"),
        (lambda o: optim.CosineAnnealingWarmRestarts(o, T_0=0), ValueError, "T_0"),
        (lambda o: optim.CosineAnnealingWarmRestarts(o, 5, T_mult=0), ValueError, "T_mult"),
        (lambda o: optim.CosineAnnealingWarmRestarts(o, 5, T_mult=1.5), TypeError, "T_mult"),
        (lambda o: optim.cosine_annealing_lr(-1, 0.1, 10), ValueError, "epoch"),
        (lambda o: optim.step_lr([0, np.inf], 0.1, 10), ValueError, "epoch"),
        (lambda o: optim.exponential_lr("3", 0.1, 0.9), TypeError, "epoch"),
        (lambda o: optim.exponential_lr(3, -0.1, 0.9), ValueError, "lr0"),
    ],
)
def test_bad_schedule_arguments_raise(make, error, match):
    with pytest.raises(error, match=match):
        make(optim.SGD([np.zeros(1)], lr=0.1))


# --------------------------------------------------------------------------------------------


def test_a_scheduler_is_its_pure_function_with_its_options():
    opt = optim.SGD([np.zeros(1)], lr=0.3)
    sched = optim.CosineAnnealingWarmRestarts(opt, T_0=4, T_mult=2, eta_min=0.01)
    assert (sched.T_0, sched.T_mult, sched.eta_min) == (4, 2, 0.01)  # torch's attribute names
    lrs = []
    for _ in range(12):
        sched.step()
        lrs.append(opt.lr)
    np.testing.assert_array_equal(lrs, optim.cosine_warm_restarts_lr(np.arange(1, 13), 0.3, 4, 2, 0.01))


def test_a_scheduler_can_be_given_any_schedule_function():
    opt = optim.SGD([np.zeros(1)], lr=1.0)
    sched = optim.LRScheduler(opt, lambda epoch, lr0, k: lr0 / (1 + k * epoch), k=0.5)
    sched.step()
    sched.step()
    assert opt.lr == 0.5 and sched.k == 0.5
