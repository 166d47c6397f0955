"""lib.optim.clip_grad_norm against torch.nn.utils.clip_grad_norm_.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch

from conftest import assert_close, t
from lib import optim


# gradient clipping: optim.clip_grad_norm against torch.nn.utils.clip_grad_norm_
# --------------------------------------------------------------------------------------------
def torch_clip(grads: list[np.ndarray], max_norm: float) -> tuple[list[np.ndarray], float]:
    params = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads]
    for p, g in zip(params, grads):
        p.grad = t(g)
    total = torch.nn.utils.clip_grad_norm_(params, max_norm)
    return [p.grad.numpy() for p in params], float(total)


@pytest.mark.parametrize("scale", [1e-3, 0.5, 1.0, 3.0, 1e4])
@pytest.mark.parametrize("max_norm", [0.1, 1.0, 5.0])
def test_clip_grad_norm_matches_torch(scale, max_norm):
    rng = np.random.default_rng(21)
    grads = [scale * rng.normal(size=s) for s in [(3, 4), (4,), (2, 2, 2)]]
    originals = [g.copy() for g in grads]
    clipped, total = optim.clip_grad_norm(grads, max_norm)
    t_clipped, t_total = torch_clip(grads, max_norm)
    assert isinstance(total, float)
    assert total == pytest.approx(t_total, rel=1e-12)
    for mine, theirs in zip(clipped, t_clipped):
        assert_close(mine, theirs)
    # grads are left alone; the result is new arrays of the same shapes
    for g, g0, c in zip(grads, originals, clipped):
        np.testing.assert_array_equal(g, g0)
        assert c.shape == g.shape and not np.shares_memory(c, g)
    # the clipped total is at most max_norm, and the direction is kept
    new_total = np.sqrt(sum(np.sum(c**2) for c in clipped))
    assert new_total <= max_norm + 1e-12 or total <= max_norm
    assert_close(np.concatenate([c.ravel() for c in clipped]) * total,
                 np.concatenate([g.ravel() for g in grads]) * new_total)


def test_clip_grad_norm_is_the_identity_below_the_threshold_and_keeps_float32():
    grads = [np.array([3.0, 4.0])]  # total norm 5
    clipped, total = optim.clip_grad_norm(grads, 10.0)
    assert total == 5.0
    np.testing.assert_array_equal(clipped[0], grads[0])
    clipped, _ = optim.clip_grad_norm(grads, 1.0)
    assert_close(clipped[0], np.array([0.6, 0.8]) * 5 / (5 + 1e-6))
    g32 = [np.ones((2, 2), np.float32)]
    clipped32, total32 = optim.clip_grad_norm(g32, 1.0)
    assert clipped32[0].dtype == np.float32 and total32 == pytest.approx(2.0)
    # the returned list feeds an optimizer step directly
    w = np.zeros(2)
    optim.SGD([w], lr=1.0).step(optim.clip_grad_norm([np.array([30.0, 40.0])], 1.0)[0])
    assert_close(w, -np.array([0.6, 0.8]), rtol=1e-6)


@pytest.mark.parametrize(
    "grads, max_norm, error, match",
    [
        (np.ones(3), 1.0, TypeError, "single array"),
        (5, 1.0, TypeError, "list of numpy arrays"),
        ([], 1.0, ValueError, "grads is empty"),
        ([np.ones(2)], 0.0, ValueError, "max_norm must be > 0"),
        ([np.ones(2)], -1.0, ValueError, "max_norm must be > 0"),
        ([np.ones(2)], "1", TypeError, "max_norm must be a real number"),
        ([np.ones(2)], float("inf"), ValueError, "max_norm must be finite"),
        ([np.array([1.0, np.nan])], 1.0, ValueError, "NaN or infinity"),
        ([np.array([np.inf])], 1.0, ValueError, "NaN or infinity"),
        ([np.array(["a"])], 1.0, TypeError, r"grads\[0\]"),
    ],
)
def test_clip_grad_norm_bad_arguments_raise(grads, max_norm, error, match):
    with pytest.raises(error, match=match):
        optim.clip_grad_norm(grads, max_norm)
