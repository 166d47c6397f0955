"""lib.losses.regression against torch (float64), torch autograd and finite differences."""
from __future__ import annotations

import math
from decimal import Decimal, localcontext
from functools import partial

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays, mutually_broadcastable_shapes

from conftest import assert_close, t
from lib import losses as L
from lib.gradcheck import check_grad
from losses_harness import N, REDUCTIONS, Case, case_tests, extreme, small_shapes, treduce


def torch_pinball(pred, target, tau):
    r = target - pred
    return torch.maximum(tau * r, (tau - 1) * r)


CASES: dict[str, Case] = {
    "mse": Case(lambda r: (r.normal(size=(N, 3)), r.normal(size=(N, 3))), L.mse,
                lambda a, b, red: F.mse_loss(a, b, reduction=red), L.mse_grad),
    "mae": Case(lambda r: (r.normal(size=(N, 3)), r.normal(size=(N, 3))), L.mae,
                lambda a, b, red: F.l1_loss(a, b, reduction=red), L.mae_grad),
    "huber": Case(lambda r: (2 * r.normal(size=(N, 3)), r.normal(size=(N, 3))), partial(L.huber, delta=0.7),
                  lambda a, b, red: F.huber_loss(a, b, reduction=red, delta=0.7),
                  partial(L.huber_grad, delta=0.7)),
    "log_cosh": Case(lambda r: (3 * r.normal(size=(N, 3)), r.normal(size=(N, 3))), L.log_cosh,
                     lambda a, b, red: treduce(torch.log(torch.cosh(a - b)), red), L.log_cosh_grad),
}
globals().update(case_tests(CASES))  # values, dtypes and gradients vs torch: losses_harness


def test_grad_sums_over_broadcast_axes():
    pred, target = np.linspace(-1, 1, 3).reshape(3, 1), np.linspace(0, 2, 12).reshape(3, 4)
    tp = t(pred, requires_grad=True)
    ((tp - t(target)) ** 2).mean().backward()
    grad = L.mse_grad(pred, target)
    assert grad.shape == (3, 1)
    assert_close(grad, tp.grad)
    assert L.mse_grad(pred, target, reduction="none").shape == (3, 4)


@given(shapes=mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3), data=st.data())
def test_elementwise_grads_with_broadcasting_match_torch(shapes, data):
    pred_shape, target_shape = shapes.input_shapes
    values = st.floats(-5, 5, allow_nan=False)
    pred = data.draw(arrays(np.float64, pred_shape, elements=values))
    target = data.draw(arrays(np.float64, target_shape, elements=values))
    assume(np.all(np.abs(np.subtract(pred, target)) > 1e-6))  # off the kinks of mae / huber
    for lib_grad, formula in [
        (L.mse_grad, lambda r: r**2),
        (L.mae_grad, torch.abs),
        (L.huber_grad, lambda r: torch.where(r.abs() <= 1, 0.5 * r**2, r.abs() - 0.5)),
        (L.log_cosh_grad, lambda r: torch.log(torch.cosh(r))),
    ]:
        tp = t(pred, requires_grad=True)
        formula(tp - t(target)).mean().backward()
        assert_close(lib_grad(pred, target), tp.grad)


def test_huber_branches_meet_at_delta():
    delta = 1.5
    at_edge = np.array([delta, -delta])
    assert_close(L.huber(at_edge, 0.0, delta, "none"), 0.5 * delta**2 * np.ones(2))
    assert_close(L.huber(at_edge, 0.0, delta, "none"), delta * (np.abs(at_edge) - delta / 2))
    assert_close(L.huber_grad(at_edge, 0.0, delta, "none"), [delta, -delta])
    assert_close(L.huber(at_edge, 0.0, delta, "none"), F.huber_loss(t(at_edge), t([0.0, 0.0]), "none", delta))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_smooth_l1_is_huber_divided_by_beta(reduction, rng):
    pred, target = 3 * rng.normal(size=8), rng.normal(size=8)
    expected = F.smooth_l1_loss(t(pred), t(target), reduction=reduction, beta=2.0)
    assert_close(L.huber(pred, target, delta=2.0, reduction=reduction) / 2.0, expected)


@given(r=arrays(np.float64, small_shapes, elements=extreme))
def test_log_cosh_is_exact_for_extreme_residuals(r):
    tr = t(r)
    expected = torch.logaddexp(tr, -tr) - math.log(2.0)  # log((e^r + e^-r) / 2), overflow-free
    assert_close(L.log_cosh(r, 0.0, "none"), expected, rtol=1e-12, atol=1e-15)
    assert_close(L.log_cosh_grad(r, 0.0, "none"), torch.tanh(tr))
    assert np.all(np.isfinite(L.log_cosh(r.astype(np.float32), np.float32(0), "none")))


@given(shapes=mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=4), data=st.data())
def test_regression_losses_broadcast_like_torch(shapes, data):
    values = st.floats(-1e3, 1e3, allow_nan=False)
    pred = data.draw(arrays(np.float64, shapes.input_shapes[0], elements=values))
    target = data.draw(arrays(np.float64, shapes.input_shapes[1], elements=values))
    r = t(pred) - t(target)
    for reduction in REDUCTIONS:
        assert_close(L.mse(pred, target, reduction), treduce(r**2, reduction))
        assert_close(L.mae(pred, target, reduction), treduce(r.abs(), reduction))
        expected = F.huber_loss(r, torch.zeros_like(r), reduction=reduction, delta=2.0)
        assert_close(L.huber(pred, target, 2.0, reduction), expected)


@pytest.mark.parametrize("tau", [0.1, 0.5, 0.9])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_pinball_and_grad_match_torch(tau, reduction):
    rng = np.random.default_rng(11)
    pred, target = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    pt = t(pred, requires_grad=True)
    ref = treduce(torch_pinball(pt, t(target), tau), reduction)
    assert_close(L.pinball(pred, target, tau, reduction), ref)
    ref.sum().backward()
    assert_close(L.pinball_grad(pred, target, tau, reduction), pt.grad)
    result = check_grad(lambda v: L.pinball(v, target, tau, reduction),
                        lambda v: L.pinball_grad(v, target, tau, reduction), pred)
    assert result.ok, result.max_relative_error


def test_pinball_minimiser_is_the_quantile_and_half_mae_at_the_median():
    y = np.random.default_rng(2).exponential(size=401)
    grid = np.linspace(0, 5, 5001)
    for tau in (0.1, 0.5, 0.9):
        best = grid[np.argmin([float(L.pinball(c, y, tau)) for c in grid])]
        assert abs(best - np.quantile(y, tau)) < 2e-3
    pred = np.zeros_like(y)
    assert float(L.pinball(pred, y, 0.5)) == pytest.approx(0.5 * float(L.mae(pred, y)))
    assert float(L.pinball_grad(1.0, 1.0, 0.3, reduction="sum")) == 0.0
    assert L.pinball(np.float32([1.0]), np.float32([2.0]), 0.5).dtype == np.float32


# log cosh r is computed accurately for every finite r: checked against references that are
# themselves accurate where they are used (no log(cosh(r)), which loses r^2/2 next to 1).
TINY = np.concatenate([-np.logspace(-300, -4, 60), np.logspace(-300, -4, 60)])
LARGE = np.concatenate([-np.logspace(np.log10(40), 308, 60), np.logspace(np.log10(40), 308, 60)])


def test_log_cosh_is_its_taylor_series_for_tiny_residuals():
    """r^2/2 - r^4/12: the next term, r^6/45, is below 1e-17 of the sum for |r| <= 1e-4."""
    expected = TINY**2 / 2 - TINY**4 / 12
    np.testing.assert_allclose(L.log_cosh(TINY, 0.0, "none"), expected, rtol=4e-16, atol=0)


def test_log_cosh_is_abs_minus_log2_for_large_residuals():
    """|r| - log 2: the rest, log1p(exp(-2|r|)), is below 1e-34 for |r| >= 40."""
    expected = np.abs(LARGE) - np.log(2)
    np.testing.assert_allclose(L.log_cosh(LARGE, 0.0, "none"), expected, rtol=4e-16, atol=0)


def test_log_cosh_matches_torch_between_tiny_and_large_residuals():
    """Where torch's log(cosh(r)) is itself accurate (|r| from 0.5, where log cosh r > 0.12, to 300)
    the two agree to 1e-14."""
    r = np.geomspace(0.5, 300, 80)
    r = np.concatenate([-r, r, [1.0, -1.0]])
    expected = torch.log(torch.cosh(t(r)))
    assert_close(L.log_cosh(r, 0.0, "none"), expected, rtol=1e-14, atol=0)


def test_log_cosh_is_continuous_where_its_two_formulas_meet():
    at_one = np.array([np.nextafter(1.0, 0.0), 1.0, np.nextafter(1.0, 2.0)])
    values = L.log_cosh(at_one, 0.0, "none")
    assert np.all(np.diff(values) >= 0) and np.ptp(values) < 1e-15


def test_log_cosh_of_tiny_float32_residuals_keeps_its_digits():
    r = np.float32([1e-3, -1e-5, 3e-7])
    out = L.log_cosh(r, np.float32(0), "none")
    assert out.dtype == np.float32
    r64 = r.astype(np.float64)
    np.testing.assert_allclose(out, r64**2 / 2 - r64**4 / 12, rtol=3e-7)  # a few float32 ulps


def test_log_cosh_matches_50_digit_decimal_arithmetic_from_tiny_to_moderate_residuals():
    """Between the Taylor and the torch ranges: log((e^r + e^-r) / 2) in 50-digit decimals."""
    r = np.geomspace(1e-5, 2.0, 60)
    with localcontext() as ctx:
        ctx.prec = 50
        expected = [float(((Decimal(x).exp() + (-Decimal(x)).exp()) / 2).ln()) for x in r]
    np.testing.assert_allclose(L.log_cosh(r, 0.0, "none"), expected, rtol=4e-16, atol=0)
