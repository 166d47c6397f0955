"""lib.optim.optimizers against torch.optim: 50-step trajectories, state, dtypes, bad input.

The oracle is torch 2.13 in float64. Each optimizer runs 50 steps on the same problem (an
ill-conditioned quadratic plus a log-cosh term, over two arrays of different shapes) in lib and
in torch; lib's gradient comes from the analytic formula below, torch's from autograd at torch's
own parameters, so the two trajectories are independent and must agree to 1e-10 at every step.
"""
from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from conftest import assert_close, t
from lib import optim


# --------------------------------------------------------------------------------------------
# the test problem: f(W, b) = 1/2 x^T A x + c^T x + sum(log cosh x),  x = concat(W.ravel(), b)
# --------------------------------------------------------------------------------------------
SHAPES = [(3, 2), (4,)]
_rng = np.random.default_rng(1234)
_Q, _ = np.linalg.qr(_rng.normal(size=(10, 10)))
A = _Q @ np.diag(np.logspace(-2, 1, 10)) @ _Q.T  # condition number 1000
C = _rng.normal(size=10)
INITIAL = [_rng.normal(size=s) for s in SHAPES]


def split(x: np.ndarray) -> list[np.ndarray]:
    return [x[:6].reshape(SHAPES[0]), x[6:]]


def numpy_grads(params: list[np.ndarray]) -> list[np.ndarray]:
    x = np.concatenate([p.ravel() for p in params])
    return split(A @ x + C + np.tanh(x))


def torch_loss(params: list[torch.Tensor]) -> torch.Tensor:
    x = torch.cat([p.reshape(-1) for p in params])
    log_cosh = x.abs() + torch.log1p(torch.exp(-2 * x.abs())) - np.log(2)  # no overflow
    return 0.5 * x @ t(A) @ x + t(C) @ x + log_cosh.sum()


def test_problem_gradient_matches_autograd():
    tp = [t(p, requires_grad=True) for p in INITIAL]
    torch_loss(tp).backward()
    for g, p in zip(numpy_grads(INITIAL), tp):
        assert_close(g, p.grad)


def run_both(lib_cls, torch_cls, kwargs, *, steps=50, schedule=None):
    """Run lib and torch side by side, comparing the parameters after every step.

    ``schedule`` is ``(lib_scheduler_cls, torch_scheduler_cls, scheduler_kwargs)``, stepped after
    every optimizer step. Returns both optimizers and both parameter lists.
    """
    params = [p.copy() for p in INITIAL]
    tparams = [t(p, requires_grad=True) for p in INITIAL]
    opt, topt = lib_cls(params, **kwargs), torch_cls(tparams, **kwargs)
    if schedule is not None:
        lib_sched_cls, torch_sched_cls, sched_kwargs = schedule
        sched = lib_sched_cls(opt, **sched_kwargs)
        tsched = torch_sched_cls(topt, **sched_kwargs)
    for step in range(steps):
        topt.zero_grad()
        torch_loss(tparams).backward()
        topt.step()
        opt.step(numpy_grads(params))
        for p, tp in zip(params, tparams):
            assert_close(p, tp)
        if schedule is not None:
            sched.step()
            tsched.step()
            assert opt.lr == pytest.approx(topt.param_groups[0]["lr"], rel=1e-12, abs=0)
    assert opt.step_count == steps
    return opt, topt, params, tparams


def assert_state_matches(opt, topt, tparams):
    """Every buffer in lib's state equals torch's buffer of the same name."""
    for state, tp in zip(opt.state, tparams):
        for name, buf in state.items():
            if buf is not None:
                assert_close(buf, topt.state[tp][name])


def grid(**options):
    """All combinations of the options, as pytest params with readable ids."""
    names = list(options)
    for values in itertools.product(*options.values()):
        kwargs = dict(zip(names, values))
        yield pytest.param(kwargs, id="-".join(f"{k}={v}" for k, v in kwargs.items()))


SGD_CONFIGS = [
    p for p in grid(momentum=[0, 0.9], dampening=[0, 0.5], nesterov=[False, True],
                    weight_decay=[0, 0.1], maximize=[False, True])
    if not (p.values[0]["nesterov"] and (p.values[0]["momentum"] == 0 or p.values[0]["dampening"]))
]
ADAGRAD_CONFIGS = list(grid(lr_decay=[0, 0.05], initial_accumulator_value=[0, 0.5],
                            weight_decay=[0, 0.1], maximize=[False, True]))
RMSPROP_CONFIGS = list(grid(alpha=[0.99, 0.8], momentum=[0, 0.5], centered=[False, True],
                            weight_decay=[0, 0.1], maximize=[False, True]))
ADAM_CONFIGS = list(grid(betas=[(0.9, 0.999), (0.5, 0.9)], amsgrad=[False, True],
                         weight_decay=[0, 0.1], maximize=[False, True]))
ADAM_DECOUPLED_CONFIGS = list(grid(amsgrad=[False, True], weight_decay=[0.1],
                                   decoupled_weight_decay=[True]))


# (lib optimizer, torch optimizer, learning rate, configurations): one row per optimizer.
TRAJECTORY_CASES = [
    pytest.param(lib_cls, torch_cls, lr, config.values[0], id=f"{lib_cls.__name__}-{config.id}")
    for lib_cls, torch_cls, lr, configs in [
        (optim.SGD, torch.optim.SGD, 0.05, SGD_CONFIGS),
        (optim.Adagrad, torch.optim.Adagrad, 0.2, ADAGRAD_CONFIGS),
        (optim.RMSprop, torch.optim.RMSprop, 0.01, RMSPROP_CONFIGS),
        (optim.Adam, torch.optim.Adam, 0.05, ADAM_CONFIGS + ADAM_DECOUPLED_CONFIGS),
        (optim.AdamW, torch.optim.AdamW, 0.05, ADAM_CONFIGS),
    ]
    for config in configs
]


@pytest.mark.parametrize("lib_cls, torch_cls, lr, config", TRAJECTORY_CASES)
def test_trajectory_matches_torch(lib_cls, torch_cls, lr, config):
    opt, topt, _, tparams = run_both(lib_cls, torch_cls, dict(lr=lr, **config))
    assert_state_matches(opt, topt, tparams)


def test_adamw_default_weight_decay_matches_torch():
    opt, _, _, _ = run_both(optim.AdamW, torch.optim.AdamW, {}, steps=10)
    assert opt.weight_decay == torch.optim.AdamW([torch.zeros(1)]).defaults["weight_decay"]


@pytest.mark.parametrize(
    "lib_cls, torch_cls",
    [(optim.SGD, torch.optim.SGD), (optim.Adagrad, torch.optim.Adagrad),
     (optim.RMSprop, torch.optim.RMSprop), (optim.Adam, torch.optim.Adam),
     (optim.AdamW, torch.optim.AdamW)],
)
def test_defaults_match_torch(lib_cls, torch_cls):
    opt, topt = lib_cls([np.zeros(2)]), torch_cls([torch.zeros(2)])
    for name, value in topt.defaults.items():
        if hasattr(opt, name):
            assert getattr(opt, name) == value, name
    run_both(lib_cls, torch_cls, {}, steps=5)


SCHEDULE_CASES = [
    pytest.param((optim.StepLR, torch.optim.lr_scheduler.StepLR,
                  dict(step_size=10, gamma=0.5)), id="StepLR"),
    pytest.param((optim.CosineAnnealingWarmRestarts,
                  torch.optim.lr_scheduler.CosineAnnealingWarmRestarts,
                  dict(T_0=5, T_mult=2, eta_min=1e-3)), id="WarmRestarts"),
]
OPTIMIZER_CASES = [
    pytest.param(optim.SGD, torch.optim.SGD, dict(lr=0.05, momentum=0.9), id="SGD"),
    pytest.param(optim.Adagrad, torch.optim.Adagrad, dict(lr=0.2, lr_decay=0.01), id="Adagrad"),
    pytest.param(optim.RMSprop, torch.optim.RMSprop, dict(lr=0.01, momentum=0.5), id="RMSprop"),
    pytest.param(optim.Adam, torch.optim.Adam, dict(lr=0.05), id="Adam"),
    pytest.param(optim.AdamW, torch.optim.AdamW, dict(lr=0.05, weight_decay=0.1), id="AdamW"),
]


@pytest.mark.parametrize("schedule", SCHEDULE_CASES)
@pytest.mark.parametrize("lib_cls, torch_cls, kwargs", OPTIMIZER_CASES)
def test_trajectory_with_changing_lr_matches_torch(lib_cls, torch_cls, kwargs, schedule):
    # the lr enters each update where torch puts it (e.g. outside SGD's momentum buffer)
    run_both(lib_cls, torch_cls, kwargs, schedule=schedule)


# --------------------------------------------------------------------------------------------
# conventions spelled out
# --------------------------------------------------------------------------------------------
def test_sgd_first_momentum_buffer_is_the_gradient_not_dampened():
    w = np.zeros(3)
    g = np.array([1.0, -2.0, 3.0])
    opt = optim.SGD([w], lr=0.1, momentum=0.9, dampening=0.5)
    opt.step([g])
    assert_close(opt.state[0]["momentum_buffer"], g)
    assert_close(w, -0.1 * g)
    opt.step([g])
    assert_close(opt.state[0]["momentum_buffer"], 0.9 * g + 0.5 * g)


def test_adam_state_shows_bias_correction():
    w = np.zeros(2)
    g = np.array([0.5, -4.0])
    opt = optim.Adam([w], lr=0.1, betas=(0.9, 0.99))
    opt.step([g])
    assert opt.step_count == 1
    assert_close(opt.state[0]["exp_avg"] / (1 - 0.9), g)
    assert_close(opt.state[0]["exp_avg_sq"] / (1 - 0.99), g**2)


def test_parameters_are_updated_in_place_and_gradients_left_alone():
    W, b = np.ones((2, 3)), np.zeros(4)
    model = {"W": W, "b": b}
    view = W[0]
    grads = [np.full((2, 3), 0.5), np.arange(4.0)]
    saved = [g.copy() for g in grads]
    for cls, kwargs in [(optim.SGD, dict(momentum=0.9, weight_decay=0.1, maximize=True)),
                        (optim.Adagrad, dict(weight_decay=0.1)),
                        (optim.RMSprop, dict(momentum=0.5, centered=True)),
                        (optim.Adam, dict(amsgrad=True, weight_decay=0.1)), (optim.AdamW, {})]:
        before = W.copy()
        opt = cls([W, b], lr=0.1, **kwargs)
        for _ in range(3):
            opt.step(grads)
        assert opt.params[0] is model["W"] and opt.params[1] is model["b"]
        assert not np.array_equal(W, before)
        assert np.array_equal(view, W[0])
        for g, s in zip(grads, saved):
            assert np.array_equal(g, s)


def test_lr_is_settable_and_used_by_the_next_step():
    w = np.ones(3)
    opt = optim.SGD([w], lr=0.5)
    opt.lr = 0.0
    opt.step([np.ones(3)])
    assert_close(w, np.ones(3))
    opt.lr = 0.25
    opt.step([np.ones(3)])
    assert_close(w, np.full(3, 0.75))


OPTIMIZER_CLASSES = [optim.SGD, optim.Adagrad, optim.RMSprop, optim.Adam, optim.AdamW]
FULL_OPTIONS = {
    optim.SGD: dict(momentum=0.9, nesterov=True, weight_decay=0.1),
    optim.Adagrad: dict(lr_decay=0.1, weight_decay=0.1, initial_accumulator_value=0.1),
    optim.RMSprop: dict(momentum=0.5, centered=True, weight_decay=0.1),
    optim.Adam: dict(amsgrad=True, weight_decay=0.1),
    optim.AdamW: dict(amsgrad=True),
}


@pytest.mark.parametrize("cls", OPTIMIZER_CLASSES)
def test_float32_params_stay_float32_and_track_torch(cls):
    kwargs = dict(lr=0.01, **FULL_OPTIONS[cls])
    params = [p.astype(np.float32) for p in INITIAL]
    tparams = [torch.tensor(p, requires_grad=True) for p in params]
    opt, topt = cls(params, **kwargs), getattr(torch.optim, cls.__name__)(tparams, **kwargs)
    for _ in range(10):
        grads = numpy_grads(params)  # float64 gradients: cast to the parameter's dtype
        for tp, g in zip(tparams, grads):
            tp.grad = torch.tensor(g.astype(np.float32))
        topt.step()
        opt.step(grads)
    for p, tp in zip(params, tparams):
        assert p.dtype == np.float32
        np.testing.assert_allclose(p, tp.detach().numpy(), rtol=1e-5, atol=1e-6)
    for state in opt.state:
        for buf in state.values():
            assert buf.dtype == np.float32


def test_repr_lists_the_options():
    text = repr(optim.Adam([np.zeros(1)], lr=0.1, amsgrad=True))
    assert text.startswith("Adam(lr=0.1,") and "amsgrad=True" in text


# --------------------------------------------------------------------------------------------
# properties over shapes and values (gradients up to 1e4)
# --------------------------------------------------------------------------------------------
finite_arrays = hnp.arrays(
    np.float64,
    hnp.array_shapes(min_dims=0, max_dims=3, max_side=4),
    elements=st.floats(-1e4, 1e4, allow_nan=False),
)


@given(finite_arrays, st.sampled_from(OPTIMIZER_CLASSES))
def test_first_step_is_finite_and_bounded_for_large_gradients(g, cls):
    w = np.zeros_like(g)
    opt = cls([w], lr=0.01, **FULL_OPTIONS[cls])
    for _ in range(3):
        opt.step([g])
    assert np.all(np.isfinite(w))
    assert w.shape == g.shape


@given(finite_arrays)
def test_adam_first_step_is_lr_times_sign(g):
    # m_hat = g and v_hat = g^2 after one step, so the step is lr * g / (|g| + eps)
    w = np.zeros_like(g)
    optim.Adam([w], lr=0.1).step([g])
    assert_close(w, -0.1 * g / (np.abs(g) + 1e-8), rtol=1e-12)


@given(finite_arrays, st.floats(0, 1))
def test_plain_sgd_step_is_minus_lr_times_gradient(g, lr):
    w = np.ones_like(g)
    optim.SGD([w], lr=lr).step([g])
    assert_close(w, 1 - lr * g, rtol=1e-15)


# --------------------------------------------------------------------------------------------
# bad inputs
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "params, error, match",
    [
        (np.zeros(3), TypeError, r"\[w\]"),
        ([np.zeros(3, dtype=int)], TypeError, r"params\[0\].*float32 or float64"),
        ([np.zeros(2), [1.0, 2.0]], TypeError, r"params\[1\].*numpy array"),
        (42, TypeError, "params must be a list"),
        ([], ValueError, "params is empty"),
    ],
)
def test_bad_params_raise(params, error, match):
    with pytest.raises(error, match=match):
        optim.SGD(params)


def test_read_only_and_shared_params_raise():
    w = np.zeros(3)
    w.flags.writeable = False
    with pytest.raises(TypeError, match=r"params\[0\].*writable"):
        optim.Adam([w])
    v = np.zeros(4)
    with pytest.raises(ValueError, match=r"params\[0\] and params\[2\] share memory"):
        optim.Adam([v, np.zeros(1), v[1:]])


@pytest.mark.parametrize(
    "cls, kwargs, error, match",
    [
        (optim.SGD, dict(lr=-1.0), ValueError, "lr"),
        (optim.SGD, dict(lr=float("nan")), ValueError, "lr must be finite"),
        (optim.SGD, dict(lr="0.1"), TypeError, "lr must be a real number"),
        (optim.SGD, dict(lr=True), TypeError, "lr must be a real number"),
        (optim.SGD, dict(momentum=-0.1), ValueError, "momentum"),
        (optim.SGD, dict(dampening=1.5), ValueError, "dampening"),
        (optim.SGD, dict(weight_decay=-1e-3), ValueError, "weight_decay"),
        (optim.Adagrad, dict(lr_decay=-1.0), ValueError, "lr_decay"),
        (optim.Adagrad, dict(initial_accumulator_value=-1.0), ValueError,
         "initial_accumulator_value"),
        (optim.Adagrad, dict(eps=-1e-10), ValueError, "eps"),
        (optim.RMSprop, dict(alpha=1.5), ValueError, "alpha"),
        (optim.RMSprop, dict(momentum=-1.0), ValueError, "momentum"),
        (optim.Adam, dict(betas=(1.0, 0.999)), ValueError, r"betas\[0\]"),
        (optim.Adam, dict(betas=(0.9, -0.1)), ValueError, r"betas\[1\]"),
        (optim.Adam, dict(betas=0.9), TypeError, "betas must be a pair"),
        (optim.Adam, dict(betas=(0.9, 0.99, 0.999)), TypeError, "betas must be a pair"),
        (optim.Adam, dict(eps=-1.0), ValueError, "eps"),
        (optim.AdamW, dict(weight_decay=-0.01), ValueError, "weight_decay"),
    ],
)
def test_bad_options_raise(cls, kwargs, error, match):
    with pytest.raises(error, match=match):
        cls([np.zeros(2)], **kwargs)


@pytest.mark.parametrize("kwargs", [dict(nesterov=True), dict(nesterov=True, momentum=0.9,
                                                              dampening=0.1)])
def test_nesterov_without_momentum_or_with_dampening_raises_like_torch(kwargs):
    message = "Nesterov momentum requires a momentum and zero dampening"
    with pytest.raises(ValueError, match=message):
        torch.optim.SGD([torch.zeros(1)], **kwargs)
    with pytest.raises(ValueError, match=message):
        optim.SGD([np.zeros(1)], **kwargs)


def test_setting_a_bad_lr_raises():
    opt = optim.SGD([np.zeros(1)])
    with pytest.raises(ValueError, match="lr"):
        opt.lr = -0.1


@pytest.mark.parametrize(
    "grads, error, match",
    [
        ([np.zeros((3, 2))], ValueError, "expected 2 gradients.*got 1"),
        ([np.zeros((3, 2)), np.zeros(4), np.zeros(1)], ValueError, "expected 2 gradients.*got 3"),
        ([np.zeros((3, 2)), np.zeros(5)], ValueError, r"grads\[1\] has shape \(5,\)"),
        ([np.zeros((2, 3)), np.zeros(4)], ValueError, r"grads\[0\] has shape \(2, 3\)"),
        ([np.zeros((3, 2)), np.array(["a"] * 4)], TypeError, r"grads\[1\]"),
        (np.zeros((2, 4)), TypeError, "grads must be a list"),
        ((g for g in [np.zeros((3, 2)), np.zeros(4)]), TypeError, "grads must be a list"),
    ],
)
def test_bad_gradients_raise(grads, error, match):
    opt = optim.Adam([np.zeros((3, 2)), np.zeros(4)])
    with pytest.raises(error, match=match):
        opt.step(grads)
    assert opt.step_count == 0


def test_base_classes_need_an_update_rule():
    with pytest.raises(NotImplementedError):
        optim.Optimizer([np.zeros(1)], lr=0.1).step([np.zeros(1)])
    with pytest.raises(NotImplementedError):
        optim.LRScheduler(optim.SGD([np.zeros(1)]))


def test_step_applies_the_public_update_rule_to_each_parameter_in_order():
    """``update(param, grad, state)`` is each optimizer's rule (the book shows it): ``step`` counts
    the step, then calls it once per parameter with that parameter's gradient and state."""
    calls = []

    class Halve(optim.Optimizer):
        def update(self, param, grad, state):
            calls.append((param, grad, state, self.step_count))
            param -= 0.5 * grad

    params = [np.ones((2, 2)), np.ones(3)]
    opt = Halve(params, lr=0.1)
    opt.step([np.full((2, 2), 2.0), np.zeros(3)])
    assert all(c[0] is p and c[2] is s for c, p, s in zip(calls, params, opt.state)) and len(calls) == 2
    assert [c[3] for c in calls] == [1, 1]
    assert_close(params[0], np.zeros((2, 2)))
    assert_close(params[1], np.ones(3))
    # each built-in optimizer's step is its update, applied parameter by parameter
    for make in (lambda p: optim.SGD(p, lr=0.1, momentum=0.9), lambda p: optim.Adam(p, lr=0.1)):
        a, b = [np.arange(4.0)], [np.arange(4.0)]
        by_step, by_update = make(a), make(b)
        for g in (np.ones(4), np.array([1.0, -2.0, 0.5, 3.0])):
            by_step.step([g])
            by_update.step_count += 1
            by_update.update(b[0], g, by_update.state[0])
        assert_close(a[0], b[0], rtol=0)
