"""lib.losses against torch (float64), torch autograd and finite differences.

Layout:
* ``CASES``: one entry per loss, each with an input generator, the lib call and an independent
  torch oracle (``torch.nn.functional`` where torch has the loss, torch ops otherwise). Values
  are checked for all three reductions, dtypes for float32.
* ``GRAD_CASES``: every ``*_grad`` against torch autograd of its oracle and against centred
  finite differences of the lib loss (``lib.gradcheck.check_grad``).
* Relations the docstrings claim (torch's kl_div, multi_margin_loss, triplet_margin_loss,
  torchvision's focal loss, SimCLR's NT-Xent, weight decay), hypothesis properties with extreme
  inputs, the worked examples of the notes, and every bad input.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import partial
from typing import Callable

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

REDUCTIONS = ["mean", "sum", "none"]
N, C = 5, 4


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------

def tt(x, requires_grad: bool = False) -> torch.Tensor:
    """numpy -> torch: integer arrays (labels) as int64, everything else as float64."""
    x = np.asarray(x)
    if x.dtype.kind in "iu":
        return torch.as_tensor(x, dtype=torch.int64)
    return t(x, requires_grad=requires_grad)


def treduce(x: torch.Tensor, reduction: str) -> torch.Tensor:
    return {"mean": x.mean, "sum": x.sum, "none": lambda: x}[reduction]()


def unit_probs(rng, shape) -> np.ndarray:
    """Probabilities well inside (0, 1): away from the clip, room for finite differences."""
    return rng.uniform(0.05, 0.95, shape)


def simplex(rng, n=N, c=C) -> np.ndarray:
    return rng.dirichlet(3 * np.ones(c), n)


def bits(rng, shape) -> np.ndarray:
    return rng.integers(0, 2, shape).astype(np.float64)


def signs(rng, shape) -> np.ndarray:
    return rng.choice([-1.0, 1.0], shape)


def labels(rng, n=N, c=C) -> np.ndarray:
    return rng.integers(0, c, n)


@dataclass
class Case:
    """A loss: ``make(rng)`` -> positional numpy inputs; ``lib(*args, reduction=)``;
    ``oracle(*tensors, reduction)``; optional ``grad`` w.r.t. argument ``wrt``."""

    make: Callable
    lib: Callable
    oracle: Callable
    grad: Callable | None = None
    wrt: int = 0
    labels_at: tuple = field(default=())  # argument positions holding integer labels


def torch_focal(p, y, reduction, gamma=2.0, alpha=None):
    """torchvision.ops.sigmoid_focal_loss, with BCE on probabilities instead of logits."""
    ce = F.binary_cross_entropy(p, y, reduction="none")
    p_t = p * y + (1 - p) * (1 - y)
    loss = ce * (1 - p_t) ** gamma
    if alpha is not None:
        loss = (alpha * y + (1 - alpha) * (1 - y)) * loss
    return treduce(loss, reduction)


def torch_kl(p, q, reduction):
    """D_KL(p || q) via F.kl_div(log q, p): batchmean is our mean, per-element sums are ours."""
    if reduction == "mean":
        return F.kl_div(torch.log(q), p, reduction="batchmean")
    if reduction == "sum":
        return F.kl_div(torch.log(q), p, reduction="sum")
    return F.kl_div(torch.log(q), p, reduction="none").sum(-1)


def torch_vae_kl(mu, log_var):
    q = torch.distributions.Normal(mu, torch.exp(0.5 * log_var))
    prior = torch.distributions.Normal(torch.zeros_like(mu), torch.ones_like(mu))
    return torch.distributions.kl_divergence(q, prior).sum(-1)


def torch_overlap(p, y, reduction, smooth, kind):
    inter, total = (p * y).sum((1, 2)), p.sum((1, 2)) + y.sum((1, 2))
    if kind == "dice":
        coeff = (2 * inter + smooth) / (total + smooth)
    else:
        coeff = (inter + smooth) / (total - inter + smooth)
    return treduce(1 - coeff, reduction)


def hinge_inputs(rng):
    y = signs(rng, (N, 3))
    s = rng.normal(size=(N, 3)) * 2
    s = np.where(np.abs(1 - y * s) < 1e-3, s + 0.1, s)  # keep off the kink
    return s, y


CASES: dict[str, Case] = {
    # regression
    "mse": Case(lambda r: (r.normal(size=(N, 3)), r.normal(size=(N, 3))), L.mse,
                lambda a, b, red: F.mse_loss(a, b, reduction=red), L.mse_grad),
    "mae": Case(lambda r: (r.normal(size=(N, 3)), r.normal(size=(N, 3))), L.mae,
                lambda a, b, red: F.l1_loss(a, b, reduction=red), L.mae_grad),
    "huber": Case(lambda r: (2 * r.normal(size=(N, 3)), r.normal(size=(N, 3))), partial(L.huber, delta=0.7),
                  lambda a, b, red: F.huber_loss(a, b, reduction=red, delta=0.7),
                  partial(L.huber_grad, delta=0.7)),
    "log_cosh": Case(lambda r: (3 * r.normal(size=(N, 3)), r.normal(size=(N, 3))), L.log_cosh,
                     lambda a, b, red: treduce(torch.log(torch.cosh(a - b)), red), L.log_cosh_grad),
    # classification
    "bce": Case(lambda r: (unit_probs(r, (N, 3)), bits(r, (N, 3))), L.bce,
                lambda p, y, red: F.binary_cross_entropy(p, y, reduction=red), L.bce_grad),
    "bce_soft_targets": Case(lambda r: (unit_probs(r, (N, 3)), r.uniform(size=(N, 3))), L.bce,
                             lambda p, y, red: F.binary_cross_entropy(p, y, reduction=red), L.bce_grad),
    "bce_with_logits": Case(lambda r: (3 * r.normal(size=(N, C)), bits(r, (N, C))), L.bce_with_logits,
                            lambda z, y, red: F.binary_cross_entropy_with_logits(z, y, reduction=red),
                            L.bce_with_logits_grad),
    "bce_with_logits_pos_weight": Case(
        lambda r: (3 * r.normal(size=(N, C)), bits(r, (N, C)), r.uniform(0.5, 3, C)),
        L.bce_with_logits,
        lambda z, y, w, red: F.binary_cross_entropy_with_logits(z, y, pos_weight=w, reduction=red),
        L.bce_with_logits_grad),
    "weighted_bce": Case(
        lambda r: (unit_probs(r, (N, 3)), bits(r, (N, 3))), partial(L.weighted_bce, w_pos=3.0, w_neg=0.5),
        lambda p, y, red: F.binary_cross_entropy(p, y, weight=3.0 * y + 0.5 * (1 - y), reduction=red),
        partial(L.weighted_bce_grad, w_pos=3.0, w_neg=0.5)),
    # F.cross_entropy(log p, y) has the same value (test below) but, through its log_softmax,
    # not the gradient with respect to p: the oracle is written with torch ops.
    "categorical_cross_entropy": Case(
        lambda r: (simplex(r), np.eye(C)[labels(r)]), L.categorical_cross_entropy,
        lambda p, y, red: treduce(-(y * torch.log(p)).sum(-1), red), L.categorical_cross_entropy_grad),
    "categorical_cross_entropy_soft": Case(
        lambda r: (simplex(r), simplex(r)), L.categorical_cross_entropy,
        lambda p, y, red: treduce(-(y * torch.log(p)).sum(-1), red), L.categorical_cross_entropy_grad),
    "sparse_categorical_cross_entropy": Case(
        lambda r: (simplex(r), labels(r)), L.sparse_categorical_cross_entropy,
        lambda p, k, red: F.nll_loss(torch.log(p), k, reduction=red), L.sparse_categorical_cross_entropy_grad),
    "cross_entropy": Case(
        lambda r: (3 * r.normal(size=(N, C)), labels(r)), L.cross_entropy,
        lambda z, k, red: F.cross_entropy(z, k, reduction=red), L.cross_entropy_grad),
    "cross_entropy_smoothed": Case(
        lambda r: (3 * r.normal(size=(N, C)), labels(r)), partial(L.cross_entropy, label_smoothing=0.2),
        lambda z, k, red: F.cross_entropy(z, k, reduction=red, label_smoothing=0.2),
        partial(L.cross_entropy_grad, label_smoothing=0.2)),
    "nll": Case(lambda r: (np.log(simplex(r)), labels(r)), L.nll,
                lambda lp, k, red: F.nll_loss(lp, k, reduction=red), L.nll_grad),
    "multilabel_bce": Case(lambda r: (unit_probs(r, (N, C)), bits(r, (N, C))), L.multilabel_bce,
                           lambda p, y, red: F.binary_cross_entropy(p, y, reduction=red), L.multilabel_bce_grad),
    "multilabel_bce_with_logits": Case(
        lambda r: (3 * r.normal(size=(N, C)), bits(r, (N, C)), r.uniform(0.5, 3, C)),
        L.multilabel_bce_with_logits,
        lambda z, y, w, red: F.binary_cross_entropy_with_logits(z, y, pos_weight=w, reduction=red)),
    "kl_divergence": Case(lambda r: (simplex(r), simplex(r)), L.kl_divergence, torch_kl,
                          L.kl_divergence_grad, wrt=1),
    "focal": Case(lambda r: (unit_probs(r, (N, 3)), bits(r, (N, 3))), L.focal, torch_focal, L.focal_grad),
    "focal_alpha_gamma_half": Case(
        lambda r: (unit_probs(r, (N, 3)), bits(r, (N, 3))), partial(L.focal, gamma=0.5, alpha=0.25),
        partial(torch_focal, gamma=0.5, alpha=0.25), partial(L.focal_grad, gamma=0.5, alpha=0.25)),
    "focal_soft_targets": Case(
        lambda r: (unit_probs(r, (N, 3)), r.uniform(size=(N, 3))), partial(L.focal, gamma=1.5, alpha=0.7),
        partial(torch_focal, gamma=1.5, alpha=0.7), partial(L.focal_grad, gamma=1.5, alpha=0.7)),
    # margin and metric learning
    "hinge": Case(hinge_inputs, L.hinge, lambda s, y, red: treduce(torch.clamp(1 - y * s, min=0), red),
                  L.hinge_grad),
    "multiclass_hinge": Case(
        lambda r: (r.normal(size=(N, C)), labels(r)), partial(L.multiclass_hinge, margin=0.8),
        lambda s, k, red: C * F.multi_margin_loss(s, k, margin=0.8, reduction=red),
        partial(L.multiclass_hinge_grad, margin=0.8)),
    "contrastive": Case(
        lambda r: (r.uniform(0, 2, (N, 3)), bits(r, (N, 3))), partial(L.contrastive, margin=1.2),
        lambda d, y, red: treduce(0.5 * (y * d**2 + (1 - y) * torch.clamp(1.2 - d, min=0) ** 2), red)),
    "triplet": Case(
        lambda r: (r.uniform(0, 2, (N,)), r.uniform(0, 2, (N,))), partial(L.triplet, margin=0.3),
        lambda dp, dn, red: treduce(torch.clamp(dp - dn + 0.3, min=0), red)),
    "cosine_embedding": Case(
        lambda r: (r.normal(size=(N, 3)), r.normal(size=(N, 3)), signs(r, N)),
        partial(L.cosine_embedding, margin=0.1),
        lambda a, b, y, red: F.cosine_embedding_loss(a, b, y, margin=0.1, reduction=red)),
    "dice": Case(lambda r: (unit_probs(r, (N, 3, 2)), bits(r, (N, 3, 2))), partial(L.dice, smooth=0.5),
                 partial(torch_overlap, smooth=0.5, kind="dice")),
    "jaccard": Case(lambda r: (unit_probs(r, (N, 3, 2)), bits(r, (N, 3, 2))), L.jaccard,
                    partial(torch_overlap, smooth=1.0, kind="jaccard")),
    # generative
    "gan_discriminator": Case(
        lambda r: (unit_probs(r, N), unit_probs(r, N)), L.gan_discriminator,
        lambda dr, df, red: F.binary_cross_entropy(dr, torch.ones_like(dr), reduction=red)
        + F.binary_cross_entropy(df, torch.zeros_like(df), reduction=red)),
    "gan_generator": Case(lambda r: (unit_probs(r, N),), L.gan_generator,
                          lambda df, red: F.binary_cross_entropy(df, torch.ones_like(df), reduction=red)),
    "wasserstein_critic": Case(lambda r: (r.normal(size=N), r.normal(size=N)), L.wasserstein_critic,
                               lambda cr, cf, red: treduce(cf, red) - treduce(cr, red)),
    "wasserstein_generator": Case(lambda r: (r.normal(size=N),), L.wasserstein_generator,
                                  lambda cf, red: treduce(-cf, red)),
    "vae_kl": Case(lambda r: (r.normal(size=(N, 3)), r.normal(size=(N, 3))), L.vae_kl,
                   lambda mu, lv, red: treduce(torch_vae_kl(mu, lv), red)),
    "vae_loss_mse": Case(
        lambda r: (r.normal(size=(N, 2, 3)), r.normal(size=(N, 2, 3)), r.normal(size=(N, 3)),
                   r.normal(size=(N, 3))),
        partial(L.vae_loss, beta=2.0),
        lambda xr, x, mu, lv, red: treduce(
            F.mse_loss(xr, x, reduction="none").sum((1, 2)) + 2.0 * torch_vae_kl(mu, lv), red)),
    "vae_loss_bce": Case(
        lambda r: (unit_probs(r, (N, 6)), bits(r, (N, 6)), r.normal(size=(N, 3)), r.normal(size=(N, 3))),
        partial(L.vae_loss, recon="bce"),
        lambda xr, x, mu, lv, red: treduce(
            F.binary_cross_entropy(xr, x, reduction="none").sum(1) + torch_vae_kl(mu, lv), red)),
    "diffusion_loss": Case(lambda r: (r.normal(size=(N, 3)), r.normal(size=(N, 3))), L.diffusion_loss,
                           lambda a, b, red: F.mse_loss(a, b, reduction=red)),
    # reinforcement learning
    "td_loss": Case(
        lambda r: (r.normal(size=N), r.normal(size=N), r.normal(size=N), 0.9, bits(r, N)), L.td_loss,
        lambda q, rew, qn, g, done, red: F.mse_loss(q, (rew + g * (1 - done) * qn).detach(), reduction=red)),
    "policy_gradient": Case(lambda r: (unit_probs(r, N), r.normal(size=N)), L.policy_gradient,
                            lambda pi, adv, red: treduce(-torch.log(pi) * adv, red)),
    "actor_critic": Case(
        lambda r: (unit_probs(r, N), r.normal(size=N), r.normal(size=N), r.normal(size=N), r.uniform(0, 1, N)),
        partial(L.actor_critic, c=0.7, beta=0.05),
        lambda pi, adv, v, ret, h, red: treduce(-torch.log(pi) * adv + 0.7 * (ret - v) ** 2 - 0.05 * h, red)),
    "ppo_clip": Case(
        lambda r: (r.uniform(0.5, 1.5, N), r.normal(size=N)), partial(L.ppo_clip, eps=0.15),
        lambda ratio, adv, red: treduce(
            -torch.minimum(ratio * adv, torch.clamp(ratio, 0.85, 1.15) * adv), red)),
}

# td_loss's gamma is a hyper-parameter, not an array: keep it a Python float for both sides.
_SCALAR_ARGS = {("td_loss", 3)}


def case_args(name: str, rng) -> tuple:
    return CASES[name].make(rng)


def torch_args(name: str, args, requires_grad_at: int | None = None) -> list:
    out = []
    for i, a in enumerate(args):
        if (name, i) in _SCALAR_ARGS:
            out.append(a)
        else:
            out.append(tt(a, requires_grad=(i == requires_grad_at)))
    return out


# --------------------------------------------------------------------------------------------
# Values vs torch, all reductions; dtypes
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", CASES)
def test_loss_matches_torch(name, reduction, rng):
    case, args = CASES[name], case_args(name, rng)
    expected = case.oracle(*torch_args(name, args), reduction)
    actual = case.lib(*args, reduction=reduction)
    assert np.shape(actual) == tuple(expected.shape)
    assert_close(actual, expected)


@pytest.mark.parametrize("name", CASES)
def test_float32_in_float32_out(name, rng):
    args = case_args(name, rng)
    as32 = [a.astype(np.float32) if isinstance(a, np.ndarray) and a.dtype == np.float64 else a for a in args]
    out32 = CASES[name].lib(*as32, reduction="none")
    assert out32.dtype == np.float32
    assert_close(out32, CASES[name].lib(*args, reduction="none"), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("soft", [False, True])
def test_categorical_cross_entropy_matches_f_cross_entropy_on_log_probs(soft, reduction, rng):
    probs = simplex(rng)
    target = simplex(rng) if soft else np.eye(C)[labels(rng)]
    expected = F.cross_entropy(torch.log(t(probs)), t(target), reduction=reduction)
    assert_close(L.categorical_cross_entropy(probs, target, reduction), expected)


@pytest.mark.parametrize("name", [n for n, c in CASES.items() if c.grad is not None])
def test_float32_grad_is_float32(name, rng):
    args = case_args(name, rng)
    as32 = [a.astype(np.float32) if isinstance(a, np.ndarray) and a.dtype == np.float64 else a for a in args]
    grad32 = CASES[name].grad(*as32)
    assert grad32.dtype == np.float32
    assert_close(grad32, CASES[name].grad(*args), rtol=1e-4, atol=1e-5)


def test_integers_and_python_numbers_do_not_promote_float32():
    p = np.array([0.2, 0.9], dtype=np.float32)
    assert L.bce(p, np.array([0, 1])).dtype == np.float32
    assert L.mse(p, 0.0).dtype == np.float32
    assert L.cross_entropy(np.zeros((2, 3), np.float32), [0, 2]).dtype == np.float32
    assert L.info_nce(np.ones((2, 3), np.float32), np.eye(2, 3, dtype=np.float32)).dtype == np.float32
    assert L.smooth_labels(np.eye(3, dtype=np.float32), 0.1).dtype == np.float32
    assert L.mse(np.array([1, 2]), np.array([0, 0])).dtype == np.float64
    assert L.mse(p, np.array([0.0, 0.0])).dtype == np.float64  # a float64 array does promote


# --------------------------------------------------------------------------------------------
# Gradients vs torch autograd and finite differences
# --------------------------------------------------------------------------------------------

GRAD_CASES = [name for name, case in CASES.items() if case.grad is not None]


def torch_grad(name: str, args, reduction: str) -> np.ndarray:
    case = CASES[name]
    targs = torch_args(name, args, requires_grad_at=case.wrt)
    value = case.oracle(*targs, "sum" if reduction == "none" else reduction)
    value.backward()
    return targs[case.wrt].grad.numpy()


def with_arg(args, i, value) -> tuple:
    return tuple(value if j == i else a for j, a in enumerate(args))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", GRAD_CASES)
def test_grad_matches_torch_autograd(name, reduction, rng):
    case, args = CASES[name], case_args(name, rng)
    actual = case.grad(*args, reduction=reduction)
    assert actual.shape == np.shape(args[case.wrt])
    assert_close(actual, torch_grad(name, args, reduction), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", GRAD_CASES)
def test_grad_matches_finite_differences(name, reduction, rng):
    case, args = CASES[name], case_args(name, rng)
    i = case.wrt
    result = check_grad(
        lambda x: case.lib(*with_arg(args, i, x), reduction=reduction),
        lambda x: case.grad(*with_arg(args, i, x), reduction=reduction),
        args[i],
    )
    assert result.ok, f"max relative error {result.max_relative_error:.2e}"


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


# --------------------------------------------------------------------------------------------
# Relations claimed in the docstrings
# --------------------------------------------------------------------------------------------

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


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_focal_with_gamma_zero_and_no_alpha_is_bce(reduction, rng):
    p, y = rng.uniform(size=(4, 3)), bits(rng, (4, 3))
    p[0, :2] = [0.0, 1.0]  # the clip too
    assert_close(L.focal(p, y, gamma=0.0, reduction=reduction), L.bce(p, y, reduction=reduction))
    assert_close(L.focal_grad(p, y, gamma=0.0, reduction=reduction), L.bce_grad(p, y, reduction=reduction))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_focal_matches_torchvision_sigmoid_focal_loss_on_logits(reduction, rng):
    z, y = 3 * rng.normal(size=(6, 3)), bits(rng, (6, 3))
    tz, ty = t(z), t(y)
    # torchvision.ops.sigmoid_focal_loss, verbatim
    p = torch.sigmoid(tz)
    ce_loss = F.binary_cross_entropy_with_logits(tz, ty, reduction="none")
    p_t = p * ty + (1 - p) * (1 - ty)
    loss = ce_loss * ((1 - p_t) ** 2.0)
    loss = (0.25 * ty + (1 - 0.25) * (1 - ty)) * loss
    assert_close(L.focal(p.numpy(), y, gamma=2.0, alpha=0.25, reduction=reduction), treduce(loss, reduction))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none", "batchmean"])
def test_kl_divergence_against_torch_kl_div(reduction, rng):
    p, q = simplex(rng), simplex(rng)
    if reduction == "mean":  # torch warns that its "mean" is not the KL of the math
        with pytest.warns(UserWarning, match="batchmean"):
            torch_value = F.kl_div(torch.log(t(q)), t(p), reduction=reduction)
    else:
        torch_value = F.kl_div(torch.log(t(q)), t(p), reduction=reduction)
    if reduction == "none":
        assert_close(L.kl_divergence(p, q, "none"), torch_value.sum(-1))
    elif reduction == "mean":  # torch divides by N * C, we by N
        assert_close(L.kl_divergence(p, q, "mean"), C * torch_value)
    else:
        assert_close(L.kl_divergence(p, q, "sum" if reduction == "sum" else "mean"), torch_value)


def test_kl_divergence_zero_log_zero_and_identity(rng):
    p = np.array([[0.0, 0.3, 0.7], [0.5, 0.5, 0.0]])
    assert_close(L.kl_divergence(p, p, "none"), [0.0, 0.0])
    q = simplex(rng, 2, 3)
    assert_close(L.kl_divergence(p, q, "none"), F.kl_div(torch.log(t(q)), t(p), reduction="none").sum(-1))
    # KL = cross-entropy - entropy
    entropy = -np.sum(np.where(p > 0, p * np.log(np.where(p > 0, p, 1)), 0), -1)
    assert_close(L.kl_divergence(p, q, "none"), L.categorical_cross_entropy(q, p, "none") - entropy)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_multiclass_hinge_is_c_times_multi_margin_loss(reduction, rng):
    scores, k = rng.normal(size=(7, 5)), labels(rng, 7, 5)
    torch_value = F.multi_margin_loss(t(scores), tt(k), margin=1.0, reduction=reduction)
    assert_close(L.multiclass_hinge(scores, k, reduction=reduction) / 5, torch_value)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_triplet_on_embedding_distances_matches_triplet_margin_loss(reduction, rng):
    a, pos, neg = (rng.normal(size=(6, 4)) for _ in range(3))
    ta, tp, tn = t(a, True), t(pos), t(neg)
    d_ap, d_an = F.pairwise_distance(ta, tp), F.pairwise_distance(ta, tn)
    expected = F.triplet_margin_loss(ta, tp, tn, margin=0.5, reduction=reduction)
    actual = L.triplet(d_ap.detach().numpy(), d_an.detach().numpy(), margin=0.5, reduction=reduction)
    assert_close(actual, expected)


def torch_nt_xent(z_i, z_j, temperature, reduction):
    """SimCLR's NT-Xent written independently: mask the diagonal with -inf, cross-entropy."""
    z = F.normalize(torch.cat([z_i, z_j]), dim=1)
    n = z_i.shape[0]
    sim = z @ z.T / temperature
    sim = sim.masked_fill(torch.eye(2 * n, dtype=torch.bool), float("-inf"))
    targets = torch.cat([torch.arange(n) + n, torch.arange(n)])
    return F.cross_entropy(sim, targets, reduction=reduction)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("n", [1, 2, 5])
def test_info_nce_matches_torch_nt_xent(n, reduction, rng):
    z_i, z_j = rng.normal(size=(n, 3)), rng.normal(size=(n, 3))
    expected = torch_nt_xent(t(z_i), t(z_j), 0.3, reduction)
    assert_close(L.info_nce(z_i, z_j, temperature=0.3, reduction=reduction), expected)


def test_info_nce_depends_on_directions_only(rng):
    z_i, z_j = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    scale = rng.uniform(0.1, 10, (4, 1))
    assert_close(L.info_nce(z_i * scale, z_j), L.info_nce(z_i, z_j))
    assert_close(L.info_nce(z_i, z_i), L.info_nce(2 * z_i, z_i))  # one pair only: loss 0
    assert_close(L.info_nce(z_i[:1], z_j[:1]), 0.0)


def notes_info_nce(z_i, z_j, temperature=0.5, fixed=False):
    """The notes' SimCLR code (drop the diagonal, then shift the labels), verbatim but for ``fixed``."""
    batch_size = z_i.shape[0]
    z_i = F.normalize(z_i, dim=1)
    z_j = F.normalize(z_j, dim=1)
    z = torch.cat([z_i, z_j], dim=0)
    sim = torch.mm(z, z.t()) / temperature
    labels = torch.cat([torch.arange(batch_size) + batch_size, torch.arange(batch_size)])
    mask = ~torch.eye(2 * batch_size, dtype=bool)
    sim = sim.masked_select(mask).view(2 * batch_size, -1)
    rows = torch.arange(2 * batch_size)
    # The notes shift a label when row > label; the diagonal entry (column = row) is removed
    # *before* the positive only when label > row, so that is when the column moves left.
    labels = labels - ((labels > rows) if fixed else (rows > labels)).long()
    return F.cross_entropy(sim, labels)


def test_info_nce_notes_implementation_has_the_label_shift_backwards(rng):
    z_i, z_j = t(rng.normal(size=(4, 3))), t(rng.normal(size=(4, 3)))
    with pytest.raises(IndexError, match="out of bounds"):
        notes_info_nce(z_i, z_j)  # the last anchor of the first view points past the last column
    assert_close(L.info_nce(z_i.numpy(), z_j.numpy()), notes_info_nce(z_i, z_j, fixed=True))


def test_cosine_embedding_single_pair_and_zero_vector():
    x1, x2 = np.array([0.0, 0.0, 0.0]), np.array([1.0, 2.0, 3.0])
    for y in (1.0, -1.0):
        expected = F.cosine_embedding_loss(t(x1)[None], t(x2)[None], t([y]), margin=-0.5)
        assert_close(L.cosine_embedding(x1, x2, np.array(y), margin=-0.5), expected)


def test_dice_and_jaccard_on_hard_masks():
    p = np.array([[1.0, 1.0, 0.0, 0.0]])
    y = np.array([[1.0, 0.0, 1.0, 0.0]])
    dice_coeff = 1 - L.dice(p, y, smooth=1e-9)
    iou = 1 - L.jaccard(p, y, smooth=1e-9)
    assert_close(dice_coeff, 0.5, rtol=1e-7)
    assert_close(iou, dice_coeff / (2 - dice_coeff), rtol=1e-7)
    assert_close(L.dice(np.zeros(4), np.zeros(4)), 0.0)  # empty masks: perfect, not 0/0
    assert L.dice(p[0], y[0], reduction="none").shape == ()


def test_vae_loss_sum_is_the_notes_code(rng):
    """The notes' vae_loss (BCE with reduction='sum' + summed KL) is our reduction='sum'."""
    xr, x = unit_probs(rng, (3, 5)), bits(rng, (3, 5))
    mu, log_var = t(rng.normal(size=(3, 2))), t(rng.normal(size=(3, 2)))
    recon_loss = F.binary_cross_entropy(t(xr), t(x), reduction="sum")
    kl_loss = -0.5 * torch.sum(1 + log_var - mu.pow(2) - log_var.exp())
    actual = L.vae_loss(xr, x, mu.numpy(), log_var.numpy(), recon="bce", reduction="sum")
    assert_close(actual, recon_loss + kl_loss)
    assert_close(L.vae_kl(mu.numpy(), log_var.numpy(), "sum"), kl_loss)


def test_td_target_and_terminal_transitions():
    reward, q_next = np.array([1.0, 1.0]), np.array([2.0, 2.0])
    assert_close(L.td_target(reward, q_next, 0.9, done=np.array([False, True])), [2.8, 1.0])
    assert_close(L.td_target(reward, q_next, 0.9), [2.8, 2.8])


def test_td_loss_gradient_ignores_the_target():
    """torch's DQN loss with a detached target: only Q(s, a) receives a gradient."""
    q, q_next = t([1.5, 0.3], True), t([2.0, -1.0], True)
    loss = F.mse_loss(q, (t([1.0, 0.0]) + 0.9 * q_next).detach())
    loss.backward()
    assert q_next.grad is None
    assert_close(L.td_loss(q.detach().numpy(), [1.0, 0.0], [2.0, -1.0], gamma=0.9), loss)
    assert_close(L.mse_grad(q.detach().numpy(), L.td_target([1.0, 0.0], [2.0, -1.0], 0.9)), q.grad)


def test_actor_critic_with_a_categorical_policy(rng):
    probs, actions = simplex(rng, 6, 3), labels(rng, 6, 3)
    value, returns = rng.normal(size=6), rng.normal(size=6)
    policy = torch.distributions.Categorical(probs=t(probs))
    log_prob, entropy = policy.log_prob(tt(actions)), policy.entropy()
    advantage = t(returns) - t(value)
    expected = (-log_prob * advantage + 0.5 * advantage**2 - 0.01 * entropy).mean()
    pi_a = probs[np.arange(6), actions]
    actual = L.actor_critic(pi_a, advantage.numpy(), value, returns, entropy.numpy())
    assert_close(actual, expected)


@pytest.mark.parametrize("as_list", [False, True])
def test_regularization_penalties_and_grads_match_torch(as_list, rng):
    shapes = [(3, 2), (4,), ()]
    ws = [rng.normal(size=s) for s in shapes]
    w = ws if as_list else ws[0]
    tws = [t(a, True) for a in (ws if as_list else [ws[0]])]
    lam1, lam2 = 0.3, 0.7
    for lib_pen, lib_grad, torch_pen, lams in [
        (L.l1_penalty, L.l1_penalty_grad, lambda a: lam1 * a.abs().sum(), (lam1,)),
        (L.l2_penalty, L.l2_penalty_grad, lambda a: lam2 * (a**2).sum(), (lam2,)),
        (L.elastic_net, L.elastic_net_grad, lambda a: lam1 * a.abs().sum() + lam2 * (a**2).sum(), (lam1, lam2)),
    ]:
        for a in tws:
            a.grad = None
        total = sum(torch_pen(a) for a in tws)
        total.backward()
        assert_close(lib_pen(w, *lams), total)
        grads = lib_grad(w, *lams)
        if as_list:
            assert isinstance(grads, list) and len(grads) == len(ws)
            for g, a in zip(grads, tws):
                assert_close(g, a.grad)
        else:
            assert_close(grads, tws[0].grad)


def test_l2_penalty_and_torch_weight_decay(rng):
    """SGD with weight_decay = 2 lam takes the step of l2_penalty(w, lam) (no 1/2)."""
    w, lam, lr = rng.normal(size=5), 0.05, 0.1
    param = torch.nn.Parameter(t(w))
    optimizer = torch.optim.SGD([param], lr=lr, weight_decay=2 * lam)
    param.grad = torch.zeros_like(param)
    optimizer.step()
    assert_close(param.detach(), w - lr * L.l2_penalty_grad(w, lam))


def test_regularization_keeps_float32():
    w = [np.ones(3, np.float32), np.ones(2, np.float32)]
    assert L.l2_penalty(w, 0.1).dtype == np.float32
    assert L.l1_penalty_grad(w, 0.1)[0].dtype == np.float32


# --------------------------------------------------------------------------------------------
# Numerical robustness (hypothesis; warnings are errors)
# --------------------------------------------------------------------------------------------

extreme = st.floats(-1e4, 1e4, allow_nan=False, allow_infinity=False)
small_shapes = st.tuples(st.integers(1, 4), st.integers(1, 4))


@given(z=arrays(np.float64, small_shapes, elements=extreme), data=st.data())
def test_bce_with_logits_is_exact_for_extreme_logits(z, data):
    y = data.draw(arrays(np.float64, z.shape, elements=st.sampled_from([0.0, 1.0])))
    w = data.draw(st.floats(0.1, 10))
    for pos_weight in (None, w):
        tw = None if pos_weight is None else t(pos_weight)
        expected = F.binary_cross_entropy_with_logits(t(z), t(y), pos_weight=tw, reduction="none")
        actual = L.bce_with_logits(z, y, pos_weight, reduction="none")
        assert np.all(np.isfinite(actual)) and np.all(actual >= 0)
        assert_close(actual, expected, rtol=1e-12, atol=1e-12)
        tz = t(z, True)
        F.binary_cross_entropy_with_logits(tz, t(y), pos_weight=tw).backward()
        assert_close(L.bce_with_logits_grad(z, y, pos_weight), tz.grad)
    assert np.all(np.isfinite(L.bce_with_logits(z.astype(np.float32), y, reduction="none")))


@given(z=arrays(np.float64, small_shapes, elements=extreme), data=st.data(),
       smoothing=st.floats(0, 0.99))
def test_cross_entropy_is_exact_for_extreme_logits(z, data, smoothing):
    k = data.draw(arrays(np.int64, z.shape[:1], elements=st.integers(0, z.shape[1] - 1)))
    tz = t(z, True)
    expected = F.cross_entropy(tz, tt(k), label_smoothing=smoothing, reduction="none")
    actual = L.cross_entropy(z, k, label_smoothing=smoothing, reduction="none")
    assert np.all(np.isfinite(actual))
    assert_close(actual, expected, rtol=1e-12, atol=1e-9)
    expected.mean().backward()
    assert_close(L.cross_entropy_grad(z, k, smoothing), tz.grad)
    assert np.all(np.isfinite(L.cross_entropy(z.astype(np.float32), k, smoothing, "none")))


@given(r=arrays(np.float64, small_shapes, elements=extreme))
def test_log_cosh_is_exact_for_extreme_residuals(r):
    tr = t(r)
    expected = torch.logaddexp(tr, -tr) - math.log(2.0)  # log((e^r + e^-r) / 2), overflow-free
    assert_close(L.log_cosh(r, 0.0, "none"), expected, rtol=1e-12, atol=1e-15)
    assert_close(L.log_cosh_grad(r, 0.0, "none"), torch.tanh(tr))
    assert np.all(np.isfinite(L.log_cosh(r.astype(np.float32), np.float32(0), "none")))


probabilities_with_ends = st.one_of(st.sampled_from([0.0, 1.0, 1e-300, 1 - 1e-16]), st.floats(0, 1))


@given(p=arrays(np.float64, small_shapes, elements=probabilities_with_ends), data=st.data())
def test_bce_at_probabilities_zero_and_one_is_finite_and_torch_on_the_clip(p, data):
    y = data.draw(arrays(np.float64, p.shape, elements=st.sampled_from([0.0, 1.0])))
    actual = L.bce(p, y, reduction="none")
    assert np.all(np.isfinite(actual)) and np.all(actual <= -math.log(L.PROB_EPS) + 1e-9)
    assert np.all(np.isfinite(L.bce_grad(p, y, reduction="none")))
    assert np.all(np.isfinite(L.focal_grad(p, y, gamma=0.5, reduction="none")))
    clipped = t(p).clamp(L.PROB_EPS, 1 - L.PROB_EPS)
    assert_close(actual, F.binary_cross_entropy(clipped, t(y), reduction="none"))
    assert np.all(np.isfinite(L.bce(p.astype(np.float32), y, reduction="none")))


@given(data=st.data(), n=st.integers(1, 4), c=st.integers(1, 5))
def test_categorical_cross_entropy_with_zero_probabilities_is_finite(data, n, c):
    k = data.draw(arrays(np.int64, (n,), elements=st.integers(0, c - 1)))
    probs = np.eye(c)[data.draw(arrays(np.int64, (n,), elements=st.integers(0, c - 1)))]  # 0s and 1s
    onehot = np.eye(c)[k]
    actual = L.categorical_cross_entropy(probs, onehot, "none")
    assert np.all(np.isfinite(actual)) and np.all(np.isfinite(L.categorical_cross_entropy_grad(probs, onehot)))
    expected = F.nll_loss(torch.log(t(probs).clamp_min(L.PROB_EPS)), tt(k), reduction="none")
    assert_close(actual, expected)
    assert_close(L.sparse_categorical_cross_entropy(probs, k, "none"), expected)
    assert np.all(np.isfinite(L.kl_divergence(onehot, probs, "none")))


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


@given(
    batch=st.lists(st.integers(1, 3), min_size=0, max_size=2).map(tuple),
    c=st.integers(1, 4),
    data=st.data(),
)
def test_per_sample_losses_accept_any_batch_shape(batch, c, data):
    """Class axis last, any leading batch shape: same as torch on the flattened (N, C) batch."""
    positive = st.floats(1e-3, 1.0)
    p = data.draw(arrays(np.float64, batch + (c,), elements=positive))
    q = data.draw(arrays(np.float64, batch + (c,), elements=positive))
    p, q = p / p.sum(-1, keepdims=True), q / q.sum(-1, keepdims=True)
    z = data.draw(arrays(np.float64, batch + (c,), elements=extreme))
    k = data.draw(arrays(np.int64, batch, elements=st.integers(0, c - 1)))
    flat = lambda x: t(x.reshape(-1, c))  # noqa: E731
    tk = tt(k.reshape(-1))
    checks = [
        (L.kl_divergence(p, q, "none"), F.kl_div(torch.log(flat(q)), flat(p), reduction="none").sum(-1)),
        (L.categorical_cross_entropy(q, p, "none"), -(flat(p) * torch.log(flat(q))).sum(-1)),
        (L.sparse_categorical_cross_entropy(q, k, "none"), F.nll_loss(torch.log(flat(q)), tk, reduction="none")),
        (L.cross_entropy(z, k, 0.1, "none"), F.cross_entropy(flat(z), tk, label_smoothing=0.1, reduction="none")),
        (L.nll(np.log(q), k, "none"), F.nll_loss(torch.log(flat(q)), tk, reduction="none")),
        (L.vae_kl(z / 1e4, q, "none"), torch_vae_kl(flat(z / 1e4), flat(q))),
    ]
    for actual, expected in checks:
        assert actual.shape == batch
        assert_close(actual.reshape(-1), expected, rtol=1e-10, atol=1e-9)
    tz = flat(z).requires_grad_()
    F.cross_entropy(tz, tk, reduction="sum").backward()
    assert_close(L.cross_entropy_grad(z, k, reduction="sum").reshape(-1, c), tz.grad)


@given(
    s=arrays(np.float64, small_shapes, elements=st.floats(-1e3, 1e3)),
    data=st.data(),
    margin=st.floats(0, 5),
)
def test_multiclass_hinge_over_shapes(s, data, margin):
    k = data.draw(arrays(np.int64, s.shape[:1], elements=st.integers(0, s.shape[1] - 1)))
    expected = s.shape[1] * F.multi_margin_loss(t(s), tt(k), margin=margin, reduction="none")
    assert_close(L.multiclass_hinge(s, k, margin, "none"), expected, rtol=1e-10, atol=1e-9)


# --------------------------------------------------------------------------------------------
# The notes' worked examples, recomputed with torch
# --------------------------------------------------------------------------------------------

REG_Y, REG_PRED = [3.0, -0.5, 2.0, 7.0], [2.5, 0.0, 2.0, 8.0]


def _p(x):
    return t(x)


WORKED_EXAMPLES = {
    # name: (lib value, torch value)
    "regression_mse": (lambda: L.mse(REG_PRED, REG_Y), lambda: F.mse_loss(_p(REG_PRED), _p(REG_Y))),
    "regression_mae": (lambda: L.mae(REG_PRED, REG_Y), lambda: F.l1_loss(_p(REG_PRED), _p(REG_Y))),
    "regression_huber": (lambda: L.huber(REG_PRED, REG_Y, 1.0), lambda: F.huber_loss(_p(REG_PRED), _p(REG_Y))),
    "regression_log_cosh": (lambda: L.log_cosh(REG_PRED, REG_Y),
                            lambda: torch.log(torch.cosh(_p(REG_PRED) - _p(REG_Y))).mean()),
    "guide_mse": (lambda: L.mse([2.0, 5.0], [3.0, 4.0]), lambda: F.mse_loss(_p([2.0, 5.0]), _p([3.0, 4.0]))),
    "guide_bce": (lambda: L.bce([0.9, 0.1], [1.0, 0.0]),
                  lambda: F.binary_cross_entropy(_p([0.9, 0.1]), _p([1.0, 0.0]))),
    "guide_cross_entropy": (lambda: L.cross_entropy([[2.0, 1.0, 0.1]], [0]),
                            lambda: F.cross_entropy(_p([[2.0, 1.0, 0.1]]), torch.tensor([0]))),
    "bce_A_y1_p0.9": (lambda: L.bce(0.9, 1.0), lambda: F.binary_cross_entropy(_p(0.9), _p(1.0))),
    "bce_B_y0_p0.2": (lambda: L.bce(0.2, 0.0), lambda: F.binary_cross_entropy(_p(0.2), _p(0.0))),
    "bce_C_y0_p0.9": (lambda: L.bce(0.9, 0.0), lambda: F.binary_cross_entropy(_p(0.9), _p(0.0))),
    "backprop_bce_y1_p0.748": (lambda: L.bce(0.748, 1.0), lambda: F.binary_cross_entropy(_p(0.748), _p(1.0))),
    "cce_class2": (lambda: L.categorical_cross_entropy([[0.2, 0.7, 0.1]], [[0, 1, 0]]),
                   lambda: F.nll_loss(torch.log(_p([[0.2, 0.7, 0.1]])), torch.tensor([1]))),
    "cce_confident_wrong": (lambda: L.categorical_cross_entropy([[0.9, 0.05, 0.05]], [[0, 0, 1]]),
                            lambda: F.nll_loss(torch.log(_p([[0.9, 0.05, 0.05]])), torch.tensor([2]))),
    "scce_label1": (lambda: L.sparse_categorical_cross_entropy([[0.2, 0.7, 0.1]], [1]),
                    lambda: F.nll_loss(torch.log(_p([[0.2, 0.7, 0.1]])), torch.tensor([1]))),
    "kl_p_half_half_q_0.9_0.1": (lambda: L.kl_divergence([0.5, 0.5], [0.9, 0.1]),
                                 lambda: F.kl_div(torch.log(_p([0.9, 0.1])), _p([0.5, 0.5]), reduction="sum")),
    "focal_A_easy": (lambda: L.focal(0.9, 1.0, gamma=2.0), lambda: torch_focal(_p(0.9), _p(1.0), "mean")),
    "focal_B_hard": (lambda: L.focal(0.2, 1.0, gamma=2.0), lambda: torch_focal(_p(0.2), _p(1.0), "mean")),
    "label_smoothing_targets": (lambda: L.smooth_labels([0.0, 1.0, 0.0], 0.1),
                                lambda: 0.9 * _p([0.0, 1.0, 0.0]) + 0.1 / 3),
    "label_smoothing_loss": (
        lambda: L.categorical_cross_entropy([0.2, 0.7, 0.1], L.smooth_labels([0.0, 1.0, 0.0], 0.1)),
        lambda: F.cross_entropy(torch.log(_p([[0.2, 0.7, 0.1]])), torch.tensor([1]), label_smoothing=0.1)),
    "hinge_A": (lambda: L.hinge(0.6, 1.0), lambda: torch.clamp(1 - _p(1.0) * _p(0.6), min=0)),
    "hinge_B": (lambda: L.hinge(2.0, 1.0), lambda: torch.clamp(1 - _p(1.0) * _p(2.0), min=0)),
    "hinge_C": (lambda: L.hinge(1.5, -1.0), lambda: torch.clamp(1 - _p(-1.0) * _p(1.5), min=0)),
    "contrastive_A_similar": (lambda: L.contrastive(0.5, 1.0), lambda: 0.5 * _p(0.5) ** 2),
    "contrastive_B_far": (lambda: L.contrastive(2.0, 0.0), lambda: 0.5 * torch.clamp(1 - _p(2.0), min=0) ** 2),
    "contrastive_C_close": (lambda: L.contrastive(0.6, 0.0), lambda: 0.5 * torch.clamp(1 - _p(0.6), min=0) ** 2),
    "triplet_A": (lambda: L.triplet(0.8, 1.4, 0.2), lambda: torch.relu(_p(0.8) - _p(1.4) + 0.2)),
    "triplet_B": (lambda: L.triplet(1.2, 1.3, 0.2), lambda: torch.relu(_p(1.2) - _p(1.3) + 0.2)),
    "triplet_C": (lambda: L.triplet(1.5, 1.0, 0.2), lambda: torch.relu(_p(1.5) - _p(1.0) + 0.2)),
    "gan_discriminator": (lambda: L.gan_discriminator(0.9, 0.2),
                          lambda: F.binary_cross_entropy(_p(0.9), _p(1.0))
                          + F.binary_cross_entropy(_p(0.2), _p(0.0))),
    "gan_generator_non_saturating": (lambda: L.gan_generator(0.2), lambda: -torch.log(_p(0.2))),
    "vae_kl": (lambda: L.vae_kl([0.5], [math.log(0.8)]),
               lambda: torch_vae_kl(_p([0.5]), torch.log(_p([0.8])))),
    "vae_total_recon_0.20": (lambda: 0.20 + L.vae_kl([0.5], [math.log(0.8)]),
                             lambda: 0.20 + torch_vae_kl(_p([0.5]), torch.log(_p([0.8])))),
    "diffusion_sum_of_squares": (lambda: L.diffusion_loss([0.2, -0.4], [0.3, -0.7], "sum"),
                                 lambda: F.mse_loss(_p([0.2, -0.4]), _p([0.3, -0.7]), reduction="sum")),
    "diffusion_mse": (lambda: L.diffusion_loss([0.2, -0.4], [0.3, -0.7]),
                      lambda: F.mse_loss(_p([0.2, -0.4]), _p([0.3, -0.7]))),
    "td_loss": (lambda: L.td_loss(1.5, 1.0, 2.0, gamma=0.9), lambda: (1 + 0.9 * _p(2.0) - 1.5) ** 2),
    "policy_gradient_return": (lambda: L.policy_gradient(0.2, 2.0), lambda: -torch.log(_p(0.2)) * 2),
    "policy_gradient_advantage": (lambda: L.policy_gradient(0.2, 0.5), lambda: -torch.log(_p(0.2)) * 0.5),
    "critic_loss": (lambda: L.actor_critic(0.2, 0.5, 1.5, 2.0, 0.0, c=1.0, beta=0.0)
                    - L.policy_gradient(0.2, 0.5),
                    lambda: F.mse_loss(_p(1.5), _p(2.0))),
    "ppo_clip": (lambda: L.ppo_clip(0.25 / 0.2, 1.0, 0.2),
                 lambda: -torch.min(_p(1.25), torch.clamp(_p(1.25), 0.8, 1.2))),
    "l2_penalty": (lambda: L.l2_penalty([0.5, -0.2, 0.1], 0.1), lambda: 0.1 * (_p([0.5, -0.2, 0.1]) ** 2).sum()),
    "l2_total": (lambda: 0.35 + L.l2_penalty([0.5, -0.2, 0.1], 0.1),
                 lambda: 0.35 + 0.1 * (_p([0.5, -0.2, 0.1]) ** 2).sum()),
    "l1_penalty": (lambda: L.l1_penalty([0.5, -0.2, 0.1], 0.1), lambda: 0.1 * _p([0.5, -0.2, 0.1]).abs().sum()),
    "l1_total": (lambda: 0.35 + L.l1_penalty([0.5, -0.2, 0.1], 0.1),
                 lambda: 0.35 + 0.1 * _p([0.5, -0.2, 0.1]).abs().sum()),
}


@pytest.mark.parametrize("name", WORKED_EXAMPLES)
def test_worked_example_matches_torch(name):
    lib_value, torch_value = WORKED_EXAMPLES[name]
    assert_close(lib_value(), torch_value())


# What the notes print, to the precision they print it. Correct claims must agree with lib to
# half a unit in their last digit; the slips below must not (the comment gives the true value).
NOTES_CLAIMS = {
    "regression_mse": "0.375", "regression_mae": "0.5", "regression_huber": "0.1875",
    "guide_mse": "1.0", "guide_cross_entropy": "0.417",
    "bce_A_y1_p0.9": "0.10536", "bce_B_y0_p0.2": "0.22314", "bce_C_y0_p0.9": "2.30259",
    "cce_class2": "0.35667", "cce_confident_wrong": "2.9957", "scce_label1": "0.35667",
    "kl_p_half_half_q_0.9_0.1": "0.5108", "focal_A_easy": "0.00105", "label_smoothing_loss": "0.4633",
    "hinge_A": "0.4", "hinge_B": "0.0", "hinge_C": "2.5",
    "contrastive_A_similar": "0.125", "contrastive_B_far": "0.0", "contrastive_C_close": "0.08",
    "triplet_A": "0.0", "triplet_B": "0.1", "triplet_C": "0.7",
    "gan_discriminator": "0.3285", "gan_generator_non_saturating": "1.609",
    "vae_kl": "0.1366", "vae_total_recon_0.20": "0.3366", "diffusion_sum_of_squares": "0.10",
    "td_loss": "1.69", "critic_loss": "0.25", "ppo_clip": "-1.2",
    "l2_penalty": "0.03", "l2_total": "0.38", "l1_penalty": "0.08", "l1_total": "0.43",
}
NOTES_SLIPS = {
    "regression_log_cosh": "0.1683",        # true 0.16850 (mean of 0.1201, 0.1201, 0, 0.4338 = 0.1685)
    "guide_bce": "0.1053",                  # true 0.10536 -> 0.1054 (truncated, not rounded)
    "backprop_bce_y1_p0.748": "0.289",      # true -log 0.748 = 0.2904
    "focal_B_hard": "1.029",                # true 0.64 * 1.6094 = 1.0300
    "policy_gradient_return": "3.218",      # true 2 * 1.60944 = 3.2189 (rounding carried)
    "policy_gradient_advantage": "0.8045",  # true 0.80472
    "diffusion_mse": "0.10",                # the notes call 0.10 the MSE; the mean is 0.05 (0.10 is the sum)
}
LABEL_SMOOTHING_FIRST_VERSION = "0.4625"  # first copy of the example: 0.9333 log 0.7 = -0.3329, not -0.3321


def _disagreement(name: str, claim: str) -> float:
    """|lib - claim| in units of half the claim's last printed digit (<= 1: the claim is right)."""
    decimals = len(claim.split(".")[1]) if "." in claim else 0
    return abs(float(WORKED_EXAMPLES[name][0]()) - float(claim)) / (0.5 * 10.0**-decimals)


@pytest.mark.parametrize("name", NOTES_CLAIMS)
def test_notes_claim_agrees_with_lib(name):
    assert _disagreement(name, NOTES_CLAIMS[name]) <= 1 + 1e-9


@pytest.mark.parametrize("name", NOTES_SLIPS)
def test_notes_slip_is_a_slip(name):
    assert _disagreement(name, NOTES_SLIPS[name]) > 1 + 1e-9


def test_notes_first_label_smoothing_example_is_a_slip():
    assert _disagreement("label_smoothing_loss", LABEL_SMOOTHING_FIRST_VERSION) > 1 + 1e-9


def test_notes_generator_example_is_not_the_minimax_form():
    """The notes label -log D(G(z)) "minimax"; the minimax generator minimises log(1 - D(G(z)))."""
    minimax = torch.log(1 - _p(0.2))
    assert abs(float(L.gan_generator(0.2)) - float(minimax)) > 1
    assert_close(L.gan_generator(0.2), -torch.log(_p(0.2)))


# --------------------------------------------------------------------------------------------
# Bad input
# --------------------------------------------------------------------------------------------

P2, Y2 = np.array([0.3, 0.6]), np.array([0.0, 1.0])
Z23 = np.zeros((2, 3))
ROWS = np.array([[0.2, 0.8], [0.5, 0.5]])
EMB = np.ones((2, 3))

BAD_INPUTS = [
    (lambda: L.mse(P2, Y2, reduction="avg"), ValueError, "reduction"),
    (lambda: L.bce_grad(P2, Y2, reduction="total"), ValueError, "reduction"),
    (lambda: L.cross_entropy_grad(Z23, [0, 1], reduction=None), ValueError, "reduction"),
    (lambda: L.mse(np.ones(3), np.ones(4)), ValueError, "pred"),
    (lambda: L.mae(np.ones((2, 3)), np.ones(2)), ValueError, "target"),
    (lambda: L.mse(["a", "b"], Y2), TypeError, "pred"),
    (lambda: L.bce(P2, np.ones(3)), ValueError, "y"),
    (lambda: L.bce([1.2, 0.5], Y2), ValueError, "p"),
    (lambda: L.bce([np.nan, 0.5], Y2), ValueError, "p"),
    (lambda: L.bce(P2, [2.0, 0.0]), ValueError, "y"),
    (lambda: L.weighted_bce(P2, [-1.0, 0.0]), ValueError, "y"),
    (lambda: L.weighted_bce(P2, Y2, w_pos=-1.0), ValueError, "w_pos"),
    (lambda: L.weighted_bce_grad(P2, Y2, w_neg=-1.0), ValueError, "w_neg"),
    (lambda: L.bce_with_logits(P2, [0.0, 3.0]), ValueError, "y"),
    (lambda: L.bce_with_logits(P2, Y2, pos_weight=[-1.0, 1.0]), ValueError, "pos_weight"),
    (lambda: L.bce_with_logits(P2, Y2, pos_weight=np.ones(3)), ValueError, "pos_weight"),
    (lambda: L.categorical_cross_entropy([[1.2, -0.2]], [[1.0, 0.0]]), ValueError, "probs"),
    (lambda: L.categorical_cross_entropy(ROWS, [[2.0, 0.0], [1.0, 0.0]]), ValueError, "onehot"),
    (lambda: L.categorical_cross_entropy(ROWS, [[1.0, 0.0]]), ValueError, "onehot"),
    (lambda: L.categorical_cross_entropy(np.float64(0.5), np.float64(1.0)), ValueError, "probs"),
    (lambda: L.sparse_categorical_cross_entropy(ROWS, [0, 2]), ValueError, "labels"),
    (lambda: L.sparse_categorical_cross_entropy(ROWS, [0, 0.5]), TypeError, "labels"),
    (lambda: L.sparse_categorical_cross_entropy([[0.5, 1.5]], [0]), ValueError, "probs"),
    (lambda: L.cross_entropy(Z23, [0, 3]), ValueError, "labels"),
    (lambda: L.cross_entropy(Z23, [0, -1]), ValueError, "labels"),
    (lambda: L.cross_entropy(Z23, [0.0, 1.5]), TypeError, "labels"),
    (lambda: L.cross_entropy(Z23, [True, False]), TypeError, "labels"),
    (lambda: L.cross_entropy(Z23, ["a", "b"]), TypeError, "labels"),
    (lambda: L.cross_entropy(Z23, [0, 1, 2]), ValueError, "labels"),
    (lambda: L.cross_entropy(np.float64(1.0), 0), ValueError, "logits"),
    (lambda: L.cross_entropy(np.zeros((2, 0)), [0, 0]), ValueError, "logits"),
    (lambda: L.cross_entropy(Z23, [0, 1], label_smoothing=1.0), ValueError, "label_smoothing"),
    (lambda: L.cross_entropy(Z23, [0, 1], label_smoothing=-0.1), ValueError, "label_smoothing"),
    (lambda: L.cross_entropy(Z23, [0, 1], label_smoothing="0.1"), TypeError, "label_smoothing"),
    (lambda: L.cross_entropy(Z23, [0, 1], label_smoothing=[0.1]), TypeError, "label_smoothing"),
    (lambda: L.cross_entropy(Z23, [0, 1], label_smoothing=float("nan")), ValueError, "label_smoothing"),
    (lambda: L.cross_entropy(Z23, [0, 1], label_smoothing=None), TypeError, "label_smoothing"),
    (lambda: L.smooth_labels([0.0, 1.0], 1.0), ValueError, "eps"),
    (lambda: L.smooth_labels([0.0, 1.0], -0.5), ValueError, "eps"),
    (lambda: L.smooth_labels([0.0, 2.0], 0.1), ValueError, "onehot"),
    (lambda: L.nll(Z23, [0, 5]), ValueError, "labels"),
    (lambda: L.nll_grad(Z23, [[0, 1]]), ValueError, "labels"),
    (lambda: L.multilabel_bce(np.full((2, 3), 0.5), np.ones((2, 1))), ValueError, "y"),
    (lambda: L.multilabel_bce_with_logits(Z23, np.ones((3, 2))), ValueError, "y"),
    (lambda: L.kl_divergence([0.5, 1.5], [0.5, 0.5]), ValueError, "p"),
    (lambda: L.kl_divergence([0.5, 0.5], [0.5, -0.5]), ValueError, "q"),
    (lambda: L.kl_divergence_grad([0.5, 0.5], [0.5, 0.3, 0.2]), ValueError, "q"),
    (lambda: L.focal(P2, Y2, gamma=-1.0), ValueError, "gamma"),
    (lambda: L.focal(P2, Y2, alpha=1.5), ValueError, "alpha"),
    (lambda: L.focal_grad([1.5, 0.2], Y2), ValueError, "p"),
    (lambda: L.hinge(P2, [0.0, 1.0]), ValueError, "y"),
    (lambda: L.hinge_grad(P2, [2.0, 1.0]), ValueError, "y"),
    (lambda: L.multiclass_hinge(Z23, [0, 1], margin=-1.0), ValueError, "margin"),
    (lambda: L.multiclass_hinge(Z23, [0, 3]), ValueError, "labels"),
    (lambda: L.multiclass_hinge_grad(Z23, [0.5, 1]), TypeError, "labels"),
    (lambda: L.contrastive(P2, Y2, margin=-0.1), ValueError, "margin"),
    (lambda: L.contrastive(P2, [0.5, 1.0]), ValueError, "y"),
    (lambda: L.contrastive([-0.1, 1.0], Y2), ValueError, "d"),
    (lambda: L.triplet(P2, P2, margin=-1.0), ValueError, "margin"),
    (lambda: L.triplet(P2, [-1.0, 0.0]), ValueError, "d_an"),
    (lambda: L.triplet(np.ones(3), P2), ValueError, "d_ap"),
    (lambda: L.info_nce(EMB, EMB, temperature=0.0), ValueError, "temperature"),
    (lambda: L.info_nce(EMB, EMB, temperature=-1.0), ValueError, "temperature"),
    (lambda: L.info_nce(EMB, np.ones((3, 3))), ValueError, "z_j"),
    (lambda: L.info_nce(np.ones(3), np.ones(3)), ValueError, "z_i"),
    (lambda: L.info_nce(np.ones((0, 3)), np.ones((0, 3))), ValueError, "z_i"),
    (lambda: L.cosine_embedding(EMB, EMB, [1.0, 0.0]), ValueError, "y"),
    (lambda: L.cosine_embedding(EMB, EMB, [1.0, 1.0, 1.0]), ValueError, "y"),
    (lambda: L.cosine_embedding(EMB, np.ones((2, 2)), [1.0, 1.0]), ValueError, "x2"),
    (lambda: L.cosine_embedding(EMB, EMB, [1.0, -1.0], margin=1.5), ValueError, "margin"),
    (lambda: L.cosine_embedding(np.ones((1, 2, 3)), np.ones((1, 2, 3)), np.ones((1, 2))), ValueError, "x1"),
    (lambda: L.dice(P2, Y2, smooth=0.0), ValueError, "smooth"),
    (lambda: L.dice([1.5, 0.0], Y2), ValueError, "p"),
    (lambda: L.jaccard(P2, [0.0, 2.0]), ValueError, "y"),
    (lambda: L.jaccard(P2, np.ones(3)), ValueError, "y"),
    (lambda: L.dice(np.float64(0.5), np.float64(1.0)), ValueError, "p"),
    (lambda: L.gan_discriminator([1.1], [0.5]), ValueError, "d_real"),
    (lambda: L.gan_discriminator([0.9], [-0.5]), ValueError, "d_fake"),
    (lambda: L.gan_discriminator(np.full(3, 0.5), np.full(2, 0.5), reduction="none"), ValueError, "d_fake"),
    (lambda: L.gan_generator([2.0]), ValueError, "d_fake"),
    (lambda: L.wasserstein_critic(np.ones(3), np.ones(2), reduction="none"), ValueError, "c_fake"),
    (lambda: L.wasserstein_generator(["x"]), TypeError, "c_fake"),
    (lambda: L.vae_kl(np.zeros((2, 3)), np.zeros((2, 2))), ValueError, "log_var"),
    (lambda: L.vae_loss(Z23, Z23, np.zeros((3, 2)), np.zeros((3, 2))), ValueError, "x"),
    (lambda: L.vae_loss(Z23, Z23, np.zeros((2, 2)), np.zeros((2, 2)), recon="l1"), ValueError, "recon"),
    (lambda: L.vae_loss(Z23, Z23, np.zeros((2, 2)), np.zeros((2, 2)), beta=-1.0), ValueError, "beta"),
    (lambda: L.vae_loss(Z23, np.zeros((2, 2)), np.zeros((2, 2)), np.zeros((2, 2))), ValueError, "x_recon"),
    (lambda: L.vae_loss(np.zeros(2), np.zeros(2), np.zeros((2, 2)), np.zeros((2, 2))), ValueError, "x"),
    (lambda: L.vae_loss(Z23 + 2, Z23, np.zeros((2, 2)), np.zeros((2, 2)), recon="bce"), ValueError, "p"),
    (lambda: L.diffusion_loss(np.ones(2), np.ones(3)), ValueError, "eps_pred"),
    (lambda: L.td_target(P2, P2, gamma=1.5), ValueError, "gamma"),
    (lambda: L.td_loss(P2, P2, P2, done=[0.5, 1.0]), ValueError, "done"),
    (lambda: L.td_loss(P2, P2, np.ones(3)), ValueError, "q_next_max"),
    (lambda: L.td_loss(np.ones(3), P2, P2), ValueError, "q_sa"),
    (lambda: L.policy_gradient([1.5, 0.5], Y2), ValueError, "pi_a"),
    (lambda: L.actor_critic(P2, Y2, Y2, Y2, Y2, c=-1.0), ValueError, "c"),
    (lambda: L.actor_critic(P2, Y2, Y2, Y2, Y2, beta=-1.0), ValueError, "beta"),
    (lambda: L.actor_critic([2.0, 0.5], Y2, Y2, Y2, Y2), ValueError, "pi_a"),
    (lambda: L.actor_critic(P2, Y2, Y2, Y2, np.ones(3)), ValueError, "entropy"),
    (lambda: L.ppo_clip([-1.0, 1.0], Y2), ValueError, "ratio"),
    (lambda: L.ppo_clip(P2, Y2, eps=1.0), ValueError, "eps"),
    (lambda: L.huber(P2, Y2, delta=0.0), ValueError, "delta"),
    (lambda: L.huber_grad(P2, Y2, delta=-1.0), ValueError, "delta"),
    (lambda: L.huber(P2, Y2, delta="1"), TypeError, "delta"),
    (lambda: L.l1_penalty(P2, -0.1), ValueError, "lam"),
    (lambda: L.l2_penalty_grad(P2, -0.1), ValueError, "lam"),
    (lambda: L.elastic_net(P2, 0.1, -0.1), ValueError, "lam2"),
    (lambda: L.elastic_net_grad(P2, -0.1, 0.1), ValueError, "lam1"),
    (lambda: L.l2_penalty([np.ones(2), np.array(["a"])], 0.1), TypeError, r"w\[1\]"),
    (lambda: L.l1_penalty([[1.0, 2.0], [3.0]], 0.1), TypeError, "w"),
]


@pytest.mark.parametrize("call, error, match", BAD_INPUTS, ids=[f"bad{i}" for i in range(len(BAD_INPUTS))])
def test_bad_input_raises_naming_the_argument(call, error, match):
    with pytest.raises(error, match=match):
        call()


# --------------------------------------------------------------------------------------------
# Jensen-Shannon, Wasserstein-1 and the WGAN-GP gradient penalty (losses_07)
# --------------------------------------------------------------------------------------------

def _torch_js(p: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
    """JS through torch's kl_div (target first as the math has it), one value per row."""
    m = (p + q) / 2
    return 0.5 * F.kl_div(torch.log(m), p, reduction="none").sum(-1) + 0.5 * F.kl_div(
        torch.log(m), q, reduction="none").sum(-1)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_js_divergence_matches_torch_kl_div_to_the_mixture(reduction, rng):
    p, q = simplex(rng), simplex(rng)
    assert_close(L.js_divergence(p, q, reduction), treduce(_torch_js(t(p), t(q)), reduction))


def test_js_divergence_is_symmetric_zero_on_equal_and_log2_on_disjoint_supports(rng):
    p, q = simplex(rng), simplex(rng)
    assert_close(L.js_divergence(p, q, "none"), L.js_divergence(q, p, "none"))
    assert_close(L.js_divergence(p, p, "none"), np.zeros(N))
    a = np.array([[0.3, 0.7, 0.0, 0.0], [0.0, 0.0, 0.6, 0.4]])
    b = np.array([[0.0, 0.0, 0.5, 0.5], [1.0, 0.0, 0.0, 0.0]])
    assert_close(L.js_divergence(a, b, "none"), [math.log(2), math.log(2)])
    # half the mass shared: m = (1/4, 1/2, 1/4, 0), each KL to m is (1/2) log 2
    c = np.array([[0.5, 0.5, 0.0, 0.0]])
    d = np.array([[0.0, 0.5, 0.5, 0.0]])
    assert_close(L.js_divergence(c, d, "none"), [0.5 * math.log(2)])


def test_js_divergence_is_the_value_of_the_gan_game_at_the_best_discriminator(rng):
    p, q = simplex(rng, 1, 6)[0], simplex(rng, 1, 6)[0]
    d_star = p / (p + q)
    value = float(torch.sum(t(p) * torch.log(t(d_star)) + t(q) * torch.log(1 - t(d_star))))
    assert_close(2 * L.js_divergence(p, q) - math.log(4), value)


def _torch_w1_by_sorting(p_counts: np.ndarray, q_counts: np.ndarray, x: np.ndarray) -> float:
    """W1 of two empirical distributions with equal sample counts: match sorted samples."""
    xs = torch.sort(t(np.repeat(x, p_counts))).values
    ys = torch.sort(t(np.repeat(x, q_counts))).values
    return float((xs - ys).abs().mean())


@pytest.mark.parametrize("seed", range(5))
def test_wasserstein_1d_matches_matching_sorted_samples(seed):
    rng = np.random.default_rng(seed)
    x = np.sort(rng.choice(np.linspace(-3, 3, 61), size=7, replace=False))
    n = 40
    p_counts, q_counts = rng.multinomial(n, np.ones(7) / 7), rng.multinomial(n, np.ones(7) / 7)
    assert_close(L.wasserstein_1d(p_counts / n, q_counts / n, x), _torch_w1_by_sorting(p_counts, q_counts, x))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_wasserstein_1d_of_a_shift_is_the_shift(reduction):
    x = np.arange(10.0)
    p = np.array([[0.2, 0.5, 0.3] + [0.0] * 7, [0.0, 0.5, 0.5] + [0.0] * 7])
    q = np.stack([np.roll(p[0], 4), np.roll(p[1], 6)])
    expected = {"none": [4.0, 6.0], "mean": 5.0, "sum": 10.0}[reduction]
    assert_close(L.wasserstein_1d(p, q, x, reduction), expected)
    assert_close(L.wasserstein_1d(q, p, x, reduction), expected)


def _torch_critic_grads(rng, n=6, shape=(3,)):
    """Gradients of a small tanh critic at random interpolates, and torch's penalty per sample."""
    torch.manual_seed(0)
    critic = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(int(np.prod(shape)), 5),
                                 torch.nn.Tanh(), torch.nn.Linear(5, 1)).double()
    real, fake = t(rng.normal(size=(n, *shape))), t(rng.normal(size=(n, *shape)))
    eps = t(rng.uniform(size=(n,) + (1,) * len(shape)))
    x_hat = (eps * real + (1 - eps) * fake).requires_grad_(True)
    (grads,) = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)
    per_sample = (grads.flatten(1).norm(2, dim=1) - 1) ** 2
    return grads, per_sample


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(3,), (2, 3)])
def test_gradient_penalty_matches_torch_autograd_penalty(reduction, shape, rng):
    grads, per_sample = _torch_critic_grads(rng, shape=shape)
    assert_close(L.gradient_penalty(grads.detach().numpy(), lam=10.0, reduction=reduction),
                 treduce(10.0 * per_sample, reduction))


def test_gradient_penalty_is_zero_for_unit_norm_gradients_and_scales_with_lam(rng):
    g = rng.normal(size=(4, 3))
    unit = g / np.linalg.norm(g, axis=1, keepdims=True)
    assert_close(L.gradient_penalty(unit, lam=10.0, reduction="none"), np.zeros(4))
    assert_close(L.gradient_penalty(g, lam=2.5), 0.25 * L.gradient_penalty(g, lam=10.0))
    assert_close(L.gradient_penalty(np.zeros((2, 3)), lam=1.0), 1.0)


@pytest.mark.parametrize("call, error, match", [
    (lambda: L.js_divergence([[0.5, 0.5]], [[0.5, 0.5, 0.0]]), ValueError, "q"),
    (lambda: L.js_divergence([[1.5, -0.5]], [[0.5, 0.5]]), ValueError, "p"),
    (lambda: L.wasserstein_1d([0.5, 0.5], [0.5, 0.5], [[0.0, 1.0]]), ValueError, "support"),
    (lambda: L.wasserstein_1d([0.5, 0.5], [0.5, 0.5], [0.0, 1.0, 2.0]), ValueError, "support"),
    (lambda: L.wasserstein_1d([0.5, 0.5], [0.5, 0.5], [1.0, 0.0]), ValueError, "increasing"),
    (lambda: L.wasserstein_1d([0.5, 0.4], [0.5, 0.5], [0.0, 1.0]), ValueError, "p must sum"),
    (lambda: L.wasserstein_1d([0.5, 0.5], [0.9, 0.5], [0.0, 1.0]), ValueError, "q must sum"),
    (lambda: L.gradient_penalty(np.ones((2, 3)), lam=-1.0), ValueError, "lam"),
    (lambda: L.gradient_penalty(np.ones((2, 3)), lam="10"), TypeError, "lam"),
    (lambda: L.gradient_penalty(np.float64(1.0)), ValueError, "critic_grads"),
    (lambda: L.gradient_penalty(np.ones((0, 3))), ValueError, "critic_grads"),
    (lambda: L.gradient_penalty([["a"]]), TypeError, "critic_grads"),
], ids=[f"gen_bad{i}" for i in range(12)])
def test_js_w1_and_gradient_penalty_reject_bad_input_naming_it(call, error, match):
    with pytest.raises(error, match=match):
        call()


# --------------------------------------------------------------------------------------------
# Generalized cross-entropy and softmax focal loss (losses_03: label noise, focal for C classes)
# --------------------------------------------------------------------------------------------

def torch_gce(z, k, reduction, q=0.7):
    """(1 - p_y^q) / q from torch's softmax (torch has no GCE)."""
    p_y = torch.softmax(z, -1).gather(-1, k[..., None])[..., 0]
    return treduce((1 - p_y**q) / q, reduction)


def torch_softmax_focal(z, k, reduction, gamma=2.0, alpha=None):
    """The notes' FocalLoss.forward, with a per-class alpha as an option (torch has no focal)."""
    ce_loss = F.cross_entropy(z, k, reduction="none")
    pt = torch.exp(-ce_loss)  # p_t
    loss = (1 - pt) ** gamma * ce_loss
    if alpha is not None:
        loss = torch.as_tensor(alpha, dtype=z.dtype)[k] * loss if np.ndim(alpha) else alpha * loss
    return treduce(loss, reduction)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("q", [0.05, 0.7, 1.0])
def test_generalized_cross_entropy_matches_torch(q, reduction, rng):
    z, k = 3 * rng.normal(size=(N, C)), labels(rng)
    assert_close(L.generalized_cross_entropy(z, k, q=q, reduction=reduction), torch_gce(t(z), tt(k), reduction, q))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("q", [0.05, 0.7, 1.0])
def test_generalized_cross_entropy_grad_matches_autograd_and_finite_differences(q, reduction, rng):
    z, k = 3 * rng.normal(size=(N, C)), labels(rng)
    tz = t(z, requires_grad=True)
    torch_gce(tz, tt(k), "sum" if reduction == "none" else reduction, q).backward()
    grad = L.generalized_cross_entropy_grad(z, k, q=q, reduction=reduction)
    assert grad.shape == z.shape
    assert_close(grad, tz.grad, rtol=1e-9, atol=1e-12)
    result = check_grad(lambda x: L.generalized_cross_entropy(x, k, q=q, reduction=reduction),
                        lambda x: L.generalized_cross_entropy_grad(x, k, q=q, reduction=reduction), z)
    assert result.ok, f"max relative error {result.max_relative_error:.2e}"


def test_generalized_cross_entropy_tends_to_cross_entropy_as_q_goes_to_zero(rng):
    z, k = 3 * rng.normal(size=(N, C)), labels(rng)
    ce = L.cross_entropy(z, k, reduction="none")
    gaps = [np.abs(L.generalized_cross_entropy(z, k, q=q, reduction="none") - ce).max() for q in (1e-2, 1e-4, 1e-6)]
    assert gaps[0] > gaps[1] > gaps[2] and gaps[2] < 1e-4  # the gap is O(q)
    assert_close(L.generalized_cross_entropy_grad(z, k, q=1e-12), L.cross_entropy_grad(z, k), rtol=1e-9, atol=1e-12)


def test_generalized_cross_entropy_at_q_one_is_half_the_l1_distance_to_the_one_hot(rng):
    z, k = 3 * rng.normal(size=(N, C)), labels(rng)
    l1 = F.l1_loss(torch.softmax(t(z), -1), F.one_hot(tt(k), C).double(), reduction="none").sum(-1)
    assert_close(L.generalized_cross_entropy(z, k, q=1.0, reduction="none"), 0.5 * l1)


def test_generalized_cross_entropy_is_bounded_by_one_over_q_and_exact_for_extreme_logits():
    z = np.array([[1e4, -1e4, 0.0], [0.0, 0.0, 0.0], [-1e4, 1e4, 0.0]])
    k = np.array([1, 0, 1])
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        loss = L.generalized_cross_entropy(z, k, q=0.5, reduction="none")
        grad = L.generalized_cross_entropy_grad(z, k, q=0.5, reduction="none")
    assert_close(loss, [2.0, (1 - (1 / 3) ** 0.5) / 0.5, 0.0])  # 1/q for a certain mistake
    assert np.all(np.isfinite(grad)) and np.abs(grad[0]).max() == 0.0  # no pull from p_y = 0


def test_generalized_cross_entropy_keeps_float32(rng):
    z = (3 * rng.normal(size=(N, C))).astype(np.float32)
    assert L.generalized_cross_entropy(z, labels(rng), reduction="none").dtype == np.float32
    assert L.generalized_cross_entropy_grad(z, labels(rng)).dtype == np.float32
    assert L.softmax_focal(z, labels(rng), alpha=np.ones(C), reduction="none").dtype == np.float32


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("gamma, alpha", [(2.0, None), (0.5, 0.25), (1.5, [0.1, 0.2, 0.3, 0.4]), (0.0, 3.0)])
def test_softmax_focal_matches_the_notes_torch_focal_loss(gamma, alpha, reduction, rng):
    z, k = 3 * rng.normal(size=(N, C)), labels(rng)
    expected = torch_softmax_focal(t(z), tt(k), reduction, gamma, alpha)
    assert_close(L.softmax_focal(z, k, gamma=gamma, alpha=alpha, reduction=reduction), expected)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_softmax_focal_with_gamma_zero_is_cross_entropy(reduction, rng):
    z, k = 3 * rng.normal(size=(N, C)), labels(rng)
    assert_close(L.softmax_focal(z, k, gamma=0.0, reduction=reduction), L.cross_entropy(z, k, reduction=reduction))
    assert_close(L.softmax_focal(z, k, gamma=0.0, reduction=reduction), F.cross_entropy(t(z), tt(k), reduction=reduction))


@pytest.mark.parametrize("alpha", [None, 0.25])
def test_softmax_focal_on_two_classes_is_the_binary_focal_loss(alpha, rng):
    z, y = 3 * rng.normal(size=8), rng.integers(0, 2, 8)
    two = np.stack([np.zeros_like(z), z], axis=1)  # softmax([0, z])[1] = sigmoid(z)
    per_class = None if alpha is None else [1 - alpha, alpha]
    expected = L.focal(torch.sigmoid(t(z)).numpy(), y, gamma=2.0, alpha=alpha, reduction="none")
    assert_close(L.softmax_focal(two, y, gamma=2.0, alpha=per_class, reduction="none"), expected)


def test_softmax_focal_is_exact_for_extreme_logits():
    z = np.array([[1e4, -1e4, 0.0], [1e4, -1e4, 0.0]])
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        loss = L.softmax_focal(z, [0, 1], gamma=2.0, reduction="none")
    assert_close(loss, [0.0, 2e4])  # (1 - p_t)^2 = 1 for a certain mistake: -log p_t = 2e4


GCE_FOCAL_BAD_INPUTS = [
    (lambda: L.generalized_cross_entropy(Z23, [0, 1], q=0.0), ValueError, "q"),
    (lambda: L.generalized_cross_entropy(Z23, [0, 1], q=1.5), ValueError, "q"),
    (lambda: L.generalized_cross_entropy(Z23, [0, 1], q="0.7"), TypeError, "q"),
    (lambda: L.generalized_cross_entropy_grad(Z23, [0, 3]), ValueError, "labels"),
    (lambda: L.generalized_cross_entropy(np.float64(1.0), 0), ValueError, "logits"),
    (lambda: L.generalized_cross_entropy(Z23, [0, 1], reduction="avg"), ValueError, "reduction"),
    (lambda: L.softmax_focal(Z23, [0, 1], gamma=-1.0), ValueError, "gamma"),
    (lambda: L.softmax_focal(Z23, [0, 1], alpha=-0.5), ValueError, "alpha"),
    (lambda: L.softmax_focal(Z23, [0, 1], alpha=[1.0, 1.0]), ValueError, "alpha"),
    (lambda: L.softmax_focal(Z23, [0, 1], alpha=["a", "b", "c"]), TypeError, "alpha"),
    (lambda: L.softmax_focal(Z23, [0.5, 1]), TypeError, "labels"),
    (lambda: L.softmax_focal(Z23, [0, 1, 2]), ValueError, "labels"),
]


@pytest.mark.parametrize("call, error, match", GCE_FOCAL_BAD_INPUTS,
                         ids=[f"gce_focal_bad{i}" for i in range(len(GCE_FOCAL_BAD_INPUTS))])
def test_gce_and_softmax_focal_reject_bad_input_naming_it(call, error, match):
    with pytest.raises(error, match=match):
        call()


# --------------------------------------------------------------------------------------------
# Ranking losses (margin ranking, BPR, ListNet) and CTC
# --------------------------------------------------------------------------------------------

def ranking_inputs(rng, margin):
    x1, x2, y = rng.normal(size=(N, 3)), rng.normal(size=(N, 3)), signs(rng, (N, 3))
    x1 = np.where(np.abs(-y * (x1 - x2) + margin) < 1e-3, x1 + 0.1, x1)  # keep off the kink
    return x1, x2, y


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


RANKING_GRADS = {
    "margin_ranking": (partial(L.margin_ranking, margin=0.3), partial(L.margin_ranking_grad, margin=0.3)),
    "bpr": (L.bpr, L.bpr_grad),
    "listnet": (L.listnet, L.listnet_grad),
}


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


def test_ctc_collapse_merges_repeats_then_drops_blanks():
    assert L.ctc_collapse([1, 1, 0, 1, 2, 2, 0]) == [1, 1, 2]
    assert L.ctc_collapse([1, 1, 1, 2]) == [1, 2]
    assert L.ctc_collapse([0, 0, 0]) == []
    assert L.ctc_collapse([], blank=0) == []
    assert L.ctc_collapse([3, 3, 1, 3], blank=3) == [1]


def random_log_probs(rng, shape) -> np.ndarray:
    return torch.log_softmax(t(2 * rng.normal(size=shape)), dim=-1).numpy()


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("blank", [0, 3])
def test_ctc_matches_torch_ctc_loss_padded_and_concatenated(blank, reduction, rng):
    T, n, c, s = 12, 5, 5, 4
    log_probs = random_log_probs(rng, (T, n, c))
    labels_ = [k for k in range(c) if k != blank]
    targets = rng.choice(labels_, size=(n, s))
    targets[1, 1] = targets[1, 0]  # a repeated label needs a blank in between
    input_lengths = np.array([12, 10, 7, 12, 3])
    target_lengths = np.array([4, 2, 3, 0, 4])  # the last cannot fit: 4 labels in 3 frames
    expected = F.ctc_loss(t(log_probs), torch.as_tensor(targets), torch.as_tensor(input_lengths),
                          torch.as_tensor(target_lengths), blank=blank, reduction=reduction)
    padded = L.ctc(log_probs, targets, input_lengths, target_lengths, blank, reduction)
    concatenated = np.concatenate([row[:k] for row, k in zip(targets, target_lengths)])
    flat = L.ctc(log_probs, concatenated, input_lengths, target_lengths, blank, reduction)
    assert_close(padded, expected)
    assert_close(flat, expected)
    if reduction == "none":
        assert np.isinf(padded[-1]) and np.isfinite(padded[:-1]).all()


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_ctc_of_one_unbatched_sequence_matches_torch(reduction, rng):
    log_probs = random_log_probs(rng, (7, 4))
    target = np.array([2, 2, 1])
    expected = F.ctc_loss(t(log_probs), torch.as_tensor(target), torch.tensor(7), torch.tensor(3),
                          reduction=reduction)
    assert_close(L.ctc(log_probs, target, 7, 3, reduction=reduction), expected)
    assert_close(L.ctc(log_probs, target, reduction=reduction), expected)  # default lengths


@pytest.mark.parametrize("target", [[1, 2], [1, 1], [2], []])
def test_ctc_is_minus_log_of_the_sum_over_all_alignments(target, rng):
    import itertools

    T, c = 5, 3
    log_probs = random_log_probs(rng, (T, c))
    total = sum(
        math.exp(sum(log_probs[step, k] for step, k in enumerate(path)))
        for path in itertools.product(range(c), repeat=T)
        if L.ctc_collapse(path) == target
    )
    assert_close(L.ctc(log_probs, np.array(target, dtype=np.int64), reduction="sum"), -math.log(total))


def test_ctc_float32_stays_float32(rng):
    log_probs = random_log_probs(rng, (6, 2, 4))
    out = L.ctc(log_probs.astype(np.float32), np.array([[1, 2], [3, 3]]), reduction="none")
    assert out.dtype == np.float32
    assert_close(out, L.ctc(log_probs, np.array([[1, 2], [3, 3]]), reduction="none"), rtol=1e-5)
    assert L.ctc(log_probs.astype(np.float32), np.array([[1, 2], [3, 3]])).dtype == np.float32


LP = np.log(np.full((4, 2, 3), 1 / 3))
RANKING_CTC_BAD_INPUTS = [
    (lambda: L.margin_ranking(P2, P2, [1.0, 0.0]), ValueError, "y"),
    (lambda: L.margin_ranking(P2, P2, [1.0, 1.0], margin=-0.5), ValueError, "margin"),
    (lambda: L.margin_ranking_grad(P2, np.ones(3), 1.0), ValueError, "x2"),
    (lambda: L.bpr(P2, np.ones(3)), ValueError, "neg_scores"),
    (lambda: L.bpr_grad(["a"], P2), TypeError, "pos_scores"),
    (lambda: L.listnet(np.ones((2, 3)), np.ones((2, 2))), ValueError, "relevance"),
    (lambda: L.listnet_grad(np.float64(1.0), np.float64(1.0)), ValueError, "scores"),
    (lambda: L.ctc_collapse([1.5, 0.0]), TypeError, "path"),
    (lambda: L.ctc_collapse([[1, 0]]), ValueError, "path"),
    (lambda: L.ctc_collapse([1, -1]), ValueError, "path"),
    (lambda: L.ctc_collapse([1, 0], blank=0.0), TypeError, "blank"),
    (lambda: L.ctc(np.ones((4, 2, 3)), [[1], [2]]), ValueError, "log_probs"),
    (lambda: L.ctc(np.ones(3), [1]), ValueError, "log_probs"),
    (lambda: L.ctc(LP, [[1], [3]]), ValueError, "targets"),
    (lambda: L.ctc(LP, [[1], [0]]), ValueError, "targets"),
    (lambda: L.ctc(LP, [[1], [2], [1]]), ValueError, "targets"),
    (lambda: L.ctc(LP, [[1.0], [2.0]]), TypeError, "targets"),
    (lambda: L.ctc(LP, [1, 2]), ValueError, "target_lengths"),
    (lambda: L.ctc(LP, [1, 2], target_lengths=[1, 2]), ValueError, "target_lengths"),
    (lambda: L.ctc(LP, [[1], [2]], target_lengths=[1, 2]), ValueError, "target_lengths"),
    (lambda: L.ctc(LP, [[1], [2]], input_lengths=[0, 4]), ValueError, "input_lengths"),
    (lambda: L.ctc(LP, [[1], [2]], input_lengths=[5, 4]), ValueError, "input_lengths"),
    (lambda: L.ctc(LP, [[1], [2]], blank=3), ValueError, "blank"),
    (lambda: L.ctc(LP, [[1], [2]], reduction="avg"), ValueError, "reduction"),
    (lambda: L.ctc(np.zeros((0, 2, 3)), [[1], [2]]), ValueError, "log_probs"),
]


@pytest.mark.parametrize("call, error, match", RANKING_CTC_BAD_INPUTS,
                         ids=[f"ranking_ctc_bad{i}" for i in range(len(RANKING_CTC_BAD_INPUTS))])
def test_ranking_and_ctc_reject_bad_input_naming_it(call, error, match):
    with pytest.raises(error, match=match):
        call()


# --------------------------------------------------------------------------------------------
# Orthogonality penalty, spectral norm, pinball loss
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(5, 3), (4, 4), (2, 3)])
def test_orthogonality_penalty_and_grad_match_torch_autograd(shape):
    rng = np.random.default_rng(7)
    W = rng.normal(size=shape)
    lam = 0.3
    Wt = t(W, requires_grad=True)
    ref = lam * torch.linalg.matrix_norm(Wt.T @ Wt - torch.eye(shape[1]), ord="fro") ** 2
    ref.backward()
    assert float(L.orthogonality_penalty(W, lam)) == pytest.approx(ref.item(), rel=1e-12)
    assert_close(L.orthogonality_penalty_grad(W, lam), Wt.grad)
    result = check_grad(lambda v: L.orthogonality_penalty(v, lam),
                        lambda v: L.orthogonality_penalty_grad(v, lam), W)
    assert result.ok, result.max_relative_error


def test_orthogonality_penalty_is_zero_for_orthonormal_columns():
    Q, _ = np.linalg.qr(np.random.default_rng(0).normal(size=(6, 3)))
    assert float(L.orthogonality_penalty(Q, 1.0)) < 1e-28
    np.testing.assert_allclose(L.orthogonality_penalty_grad(Q, 1.0), 0.0, atol=1e-14)
    assert L.orthogonality_penalty(Q.astype(np.float32), 1.0).dtype == np.float32


@pytest.mark.parametrize("shape", [(6, 4), (3, 8), (1, 1), (10, 10)])
def test_spectral_norm_by_power_iteration_matches_svd_and_torch(shape):
    W = np.random.default_rng(3).normal(size=shape)
    sigma = L.spectral_norm(W, n_iter=500)
    assert sigma == pytest.approx(np.linalg.norm(W, 2), rel=1e-9)
    assert sigma == pytest.approx(torch.linalg.matrix_norm(t(W), ord=2).item(), rel=1e-9)
    assert np.linalg.norm(W / sigma, 2) == pytest.approx(1.0, rel=1e-9)
    assert L.spectral_norm(np.zeros((3, 2))) == 0.0
    assert L.spectral_norm(W, rng=np.random.default_rng(1), n_iter=500) == pytest.approx(sigma, rel=1e-9)


def torch_pinball(pred, target, tau):
    r = target - pred
    return torch.maximum(tau * r, (tau - 1) * r)


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


@pytest.mark.parametrize("call, error, match", [
    (lambda: L.orthogonality_penalty(np.ones(3), 0.1), ValueError, "W"),
    (lambda: L.orthogonality_penalty(np.ones((2, 2)), -0.1), ValueError, "lam"),
    (lambda: L.orthogonality_penalty_grad(np.full((2, 2), np.nan), 0.1), ValueError, "W"),
    (lambda: L.orthogonality_penalty_grad(np.ones((2, 2)), "a"), TypeError, "lam"),
    (lambda: L.spectral_norm(np.ones((2, 2, 2))), ValueError, "W"),
    (lambda: L.spectral_norm(np.ones((2, 2)), n_iter=0), ValueError, "n_iter"),
    (lambda: L.spectral_norm(np.ones((2, 2)), rng="seed"), TypeError, "rng"),
    (lambda: L.pinball([1.0], [2.0], tau=0.0), ValueError, "tau"),
    (lambda: L.pinball_grad([1.0], [2.0], tau=1.0), ValueError, "tau"),
    (lambda: L.pinball(np.ones(2), np.ones(3)), ValueError, "pred"),
])
def test_orthogonality_spectral_pinball_bad_input_raises(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_spectral_norm_error_shrinks_like_the_fourth_power_of_the_singular_value_ratio():
    # the documented rate: each power iteration multiplies the relative error of sigma by
    # (sigma_2 / sigma_1)^4 (the vector's angle by the square of the ratio)
    W = np.random.default_rng(3).normal(size=(6, 4))
    s = np.linalg.svd(W, compute_uv=False)
    err = [(s[0] - L.spectral_norm(W, n_iter=k)) / s[0] for k in (4, 8)]
    assert err[0] > 0 and err[1] > 0  # the power-iteration estimate approaches sigma_max from below
    assert (err[1] / err[0]) ** (1 / 4) == pytest.approx((s[1] / s[0]) ** 4, rel=0.02)


@pytest.mark.parametrize("support", [[0.0, np.nan], [0.0, np.inf], [-np.inf, 0.0], [np.nan, np.nan]])
def test_wasserstein_1d_rejects_a_support_with_nan_or_infinity(support):
    # NaN slipped through the "increasing" check (NaN <= 0 is False) and gave a NaN distance
    with pytest.raises(ValueError, match="support must be finite"):
        L.wasserstein_1d([0.5, 0.5], [0.5, 0.5], support)


# --------------------------------------------------------------------------------------------
# box_iou_loss (axis-aligned boxes as (x1, y1, x2, y2))
# --------------------------------------------------------------------------------------------

def _torch_box_iou_loss(pred, target):
    """1 - IoU written with torch ops (the oracle; torchvision is not a dependency)."""
    w = (torch.minimum(pred[..., 2], target[..., 2]) - torch.maximum(pred[..., 0], target[..., 0])).clamp(min=0)
    h = (torch.minimum(pred[..., 3], target[..., 3]) - torch.maximum(pred[..., 1], target[..., 1])).clamp(min=0)
    inter = w * h
    area_p = (pred[..., 2] - pred[..., 0]) * (pred[..., 3] - pred[..., 1])
    area_t = (target[..., 2] - target[..., 0]) * (target[..., 3] - target[..., 1])
    return 1 - inter / (area_p + area_t - inter)


def _random_boxes(rng, shape):
    xy = rng.uniform(0, 4, size=shape + (2,))
    wh = rng.uniform(0.2, 3, size=shape + (2,))
    return np.concatenate([xy, xy + wh], -1)


def test_box_iou_loss_hand_computed_cases():
    assert L.box_iou_loss([0, 0, 2, 2], [0, 0, 2, 2]) == 0.0                # identical
    assert L.box_iou_loss([0, 0, 1, 1], [5, 5, 6, 7]) == 1.0                # disjoint
    assert L.box_iou_loss([0, 0, 1, 1], [1, 0, 2, 1]) == 1.0                # touching edges
    assert L.box_iou_loss([0, 0, 2, 2], [1, 1, 3, 3]) == pytest.approx(1 - 1 / 7)  # I=1, U=4+4-1
    assert L.box_iou_loss([0, 0, 4, 4], [1, 1, 3, 3]) == pytest.approx(1 - 4 / 16)  # nested
    assert L.box_iou_loss([1, 0, 1, 2], [0, 0, 2, 2]) == 1.0                # degenerate pred: IoU 0


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_box_iou_loss_and_grad_match_torch_autograd(reduction):
    rng = np.random.default_rng(0)
    pred, target = _random_boxes(rng, (5, 3)), _random_boxes(rng, (5, 3))
    pred[0, 0], pred[0, 1] = target[0, 0], target[0, 1] + [0, 0, 0.5, 0.3]  # identical; x1, y1 tied
    pred[1, 0] = target[1, 0] + 10                                               # disjoint
    pt = t(pred, requires_grad=True)
    per_box = _torch_box_iou_loss(pt, t(target))
    expected = {"mean": per_box.mean(), "sum": per_box.sum(), "none": per_box}[reduction]
    assert_close(L.box_iou_loss(pred, target, reduction=reduction), expected)
    expected.sum().backward()
    assert_close(L.box_iou_loss_grad(pred, target, reduction=reduction), pt.grad)
    assert np.all(L.box_iou_loss_grad(pred, target, reduction="none")[:2, 0] == 0)  # optimum, disjoint


def test_box_iou_loss_grad_matches_finite_differences_and_broadcasts():
    rng = np.random.default_rng(1)
    pred, target = _random_boxes(rng, (4,)), _random_boxes(rng, (3, 1))
    pred[:2] = [[0.0, 0.0, 2.0, 2.0], [0.5, 0.5, 3.0, 2.5]]
    target[:, 0] = [1.0, 1.0, 3.0, 3.0]
    result = check_grad(lambda p: L.box_iou_loss(p, target, reduction="sum"),
                        lambda p: L.box_iou_loss_grad(p, target, reduction="sum"), pred)
    assert result.ok, result
    pt = t(pred, requires_grad=True)
    _torch_box_iou_loss(pt, t(target)).mean().backward()
    assert L.box_iou_loss_grad(pred, target).shape == pred.shape
    assert_close(L.box_iou_loss_grad(pred, target), pt.grad)


def test_box_iou_loss_keeps_float32():
    b = np.array([[0, 0, 2, 2]], np.float32)
    assert L.box_iou_loss(b, b + 1).dtype == np.float32
    assert L.box_iou_loss_grad(b, b + 1).dtype == np.float32


def test_box_iou_loss_is_scale_invariant_unlike_a_coordinate_loss():
    small, big = np.array([0.0, 0, 1, 1]), np.array([0.0, 0, 10, 10])
    assert L.box_iou_loss(small + [0.5, 0, 0.5, 0], small) == pytest.approx(
        L.box_iou_loss(big + [5, 0, 5, 0], big))


@pytest.mark.parametrize("pred, target, error, match", [
    ([0, 0, 1], [0, 0, 1, 1], ValueError, r"pred_boxes must have shape \(\.\.\., 4\)"),
    ([0, 0, 1, 1], 1.0, ValueError, r"target_boxes must have shape"),
    ([2, 0, 1, 1], [0, 0, 1, 1], ValueError, "pred_boxes must have x2 >= x1"),
    ([0, 0, 1, 1], [0, 1, 1, 0], ValueError, "target_boxes must have x2 >= x1 and y2 >= y1"),
    ([0, 0, 1, np.nan], [0, 0, 1, 1], ValueError, "pred_boxes must be finite"),
    ([0, 0, 0, 1], [1, 1, 2, 1], ValueError, "union .* zero area"),
    (np.zeros((2, 4)), np.zeros((3, 4)), ValueError, "broadcast"),
    ([0, 0, "a", 1], [0, 0, 1, 1], TypeError, "pred_boxes"),
])
def test_box_iou_loss_bad_input_raises(pred, target, error, match):
    for fn in (L.box_iou_loss, L.box_iou_loss_grad):
        with pytest.raises(error, match=match):
            fn(pred, target)
    with pytest.raises(ValueError, match="reduction"):
        L.box_iou_loss([0, 0, 1, 1], [0, 0, 1, 1], reduction="avg")
