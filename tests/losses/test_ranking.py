"""lib.losses.ranking against torch (float64), torch autograd and finite differences."""
from __future__ import annotations

from functools import partial

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st

from conftest import assert_close, t
from lib import losses as L
from lib.gradcheck import check_grad
from losses_harness import N, REDUCTIONS, signs, treduce


def ranking_inputs(rng, margin):
    x1, x2, y = rng.normal(size=(N, 3)), rng.normal(size=(N, 3)), signs(rng, (N, 3))
    x1 = np.where(np.abs(-y * (x1 - x2) + margin) < 1e-3, x1 + 0.1, x1)  # keep off the kink
    return x1, x2, y

RANKING_GRADS = {
    "margin_ranking": (partial(L.margin_ranking, margin=0.3), partial(L.margin_ranking_grad, margin=0.3)),
    "bpr": (L.bpr, L.bpr_grad),
    "listnet": (L.listnet, L.listnet_grad),
}

@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("margin", [0.0, 0.5])
def test_margin_ranking_matches_torch_and_its_grad_autograd(margin, reduction, rng):
    x1, x2, y = ranking_inputs(rng, margin)
    t1, t2 = t(x1, requires_grad=True), t(x2, requires_grad=True)
    expected = F.margin_ranking_loss(t1, t2, t(y), margin=margin, reduction=reduction)
    assert_close(L.margin_ranking(x1, x2, y, margin, reduction), expected)
    (expected.sum()).backward()
    grad = L.margin_ranking_grad(x1, x2, y, margin, reduction)
    assert_close(grad, t1.grad, rtol=1e-9, atol=1e-12)
    assert_close(-grad, t2.grad, rtol=1e-9, atol=1e-12)  # d/dx2 = -d/dx1


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bpr_is_minus_logsigmoid_of_the_difference_and_its_grad_autograd(reduction, rng):
    pos, neg = 3 * rng.normal(size=(N, 3)), 3 * rng.normal(size=(N, 3))
    tp, tn = t(pos, requires_grad=True), t(neg, requires_grad=True)
    expected = treduce(-F.logsigmoid(tp - tn), reduction)
    assert_close(L.bpr(pos, neg, reduction), expected)
    expected.sum().backward()
    grad = L.bpr_grad(pos, neg, reduction)
    assert_close(grad, tp.grad, rtol=1e-9, atol=1e-12)
    assert_close(-grad, tn.grad, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_listnet_is_cross_entropy_against_softmax_of_relevance_and_its_grad_autograd(reduction, rng):
    scores, rel = 2 * rng.normal(size=(N, 6)), rng.integers(0, 4, (N, 6)).astype(float)
    ts = t(scores, requires_grad=True)
    expected = F.cross_entropy(ts, F.softmax(t(rel), dim=-1), reduction=reduction)
    assert_close(L.listnet(scores, rel, reduction), expected)
    expected.sum().backward()
    assert_close(L.listnet_grad(scores, rel, reduction), ts.grad, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", RANKING_GRADS)
def test_ranking_grads_match_finite_differences(name, reduction, rng):
    loss, grad = RANKING_GRADS[name]
    if name == "margin_ranking":
        x1, x2, y = ranking_inputs(rng, 0.3)
        others = (x2, y)
    else:
        x1, others = rng.normal(size=(N, 4)), (rng.normal(size=(N, 4)),)
    result = check_grad(lambda x: loss(x, *others, reduction=reduction),
                        lambda x: grad(x, *others, reduction=reduction), x1)
    assert result.ok, result.max_relative_error


def test_ranking_losses_keep_float32_and_zero_once_ordered():
    a, b = np.array([2.0, 0.5], np.float32), np.array([0.0, 1.0], np.float32)
    for out in (L.margin_ranking(a, b, [1, -1], reduction="none"), L.bpr(a, b, reduction="none"),
                L.bpr_grad(a, b), L.listnet(a, b, reduction="none"), L.listnet_grad(a, b)):
        assert out.dtype == np.float32
    assert L.margin_ranking([2.0, 0.5], [0.0, 1.0], [1, -1], margin=0.5) == 0.0


@given(st.floats(-1e4, 1e4))
def test_bpr_is_exact_for_extreme_differences(d):
    expected = -F.logsigmoid(torch.tensor(d, dtype=torch.float64))
    assert_close(L.bpr(d, 0.0), expected, rtol=1e-12, atol=1e-300)
