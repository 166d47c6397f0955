"""lib.losses.margin (margin and metric learning) against torch (float64), torch autograd and finite differences."""
from __future__ import annotations

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
    bits,
    Case,
    case_tests,
    labels,
    signs,
    small_shapes,
    treduce,
    tt,
    unit_probs,
)


def torch_nt_xent(z_i, z_j, temperature, reduction):
    """SimCLR's NT-Xent written independently: mask the diagonal with -inf, cross-entropy."""
    z = F.normalize(torch.cat([z_i, z_j]), dim=1)
    n = z_i.shape[0]
    sim = z @ z.T / temperature
    sim = sim.masked_fill(torch.eye(2 * n, dtype=torch.bool), float("-inf"))
    targets = torch.cat([torch.arange(n) + n, torch.arange(n)])
    return F.cross_entropy(sim, targets, reduction=reduction)

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
}
globals().update(case_tests(CASES))  # values, dtypes and gradients vs torch: losses_harness


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


@given(
    s=arrays(np.float64, small_shapes, elements=st.floats(-1e3, 1e3)),
    data=st.data(),
    margin=st.floats(0, 5),
)
def test_multiclass_hinge_over_shapes(s, data, margin):
    k = data.draw(arrays(np.int64, s.shape[:1], elements=st.integers(0, s.shape[1] - 1)))
    expected = s.shape[1] * F.multi_margin_loss(t(s), tt(k), margin=margin, reduction="none")
    assert_close(L.multiclass_hinge(s, k, margin, "none"), expected, rtol=1e-10, atol=1e-9)


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
