"""lib.losses.classification against torch (float64), torch autograd and finite differences."""
from __future__ import annotations

import math
from functools import partial

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from conftest import assert_close, t
from lib import losses as L
from lib.gradcheck import check_grad
from losses_harness import (
    C,
    N,
    REDUCTIONS,
    Z23,
    bits,
    Case,
    case_tests,
    extreme,
    labels,
    simplex,
    small_shapes,
    torch_focal,
    treduce,
    tt,
    unit_probs,
)


probabilities_with_ends = st.one_of(st.sampled_from([0.0, 1.0, 1e-300, 1 - 1e-16]), st.floats(0, 1))

def _torch_js(p: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
    """JS through torch's kl_div (target first as the math has it), one value per row."""
    m = (p + q) / 2
    return 0.5 * F.kl_div(torch.log(m), p, reduction="none").sum(-1) + 0.5 * F.kl_div(
        torch.log(m), q, reduction="none").sum(-1)

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


def torch_kl(p, q, reduction):
    """D_KL(p || q) via F.kl_div(log q, p): batchmean is our mean, per-element sums are ours."""
    if reduction == "mean":
        return F.kl_div(torch.log(q), p, reduction="batchmean")
    if reduction == "sum":
        return F.kl_div(torch.log(q), p, reduction="sum")
    return F.kl_div(torch.log(q), p, reduction="none").sum(-1)


CASES: dict[str, Case] = {
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
}
globals().update(case_tests(CASES))  # values, dtypes and gradients vs torch: losses_harness


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("soft", [False, True])
def test_categorical_cross_entropy_matches_f_cross_entropy_on_log_probs(soft, reduction, rng):
    probs = simplex(rng)
    target = simplex(rng) if soft else np.eye(C)[labels(rng)]
    expected = F.cross_entropy(torch.log(t(probs)), t(target), reduction=reduction)
    assert_close(L.categorical_cross_entropy(probs, target, reduction), expected)


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


@pytest.mark.parametrize("call, error, match", GCE_FOCAL_BAD_INPUTS,
                         ids=[f"gce_focal_bad{i}" for i in range(len(GCE_FOCAL_BAD_INPUTS))])
def test_gce_and_softmax_focal_reject_bad_input_naming_it(call, error, match):
    with pytest.raises(error, match=match):
        call()
