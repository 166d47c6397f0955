"""Margin and metric-learning losses: scores with a margin, distances, embeddings, overlaps (page
*Margin and metric learning*).

The conventions every loss follows are stated once, in ``lib.losses``.
"""
from __future__ import annotations

import numpy as np

from lib._checks import as_nonnegative, as_real, broadcast_shapes, check_binary, check_finite
from lib._checks import check_in_range, check_ndim, check_nonnegative, check_positive
from lib._checks import check_probabilities, check_same_shape, old_argument_names, reduce
from lib._checks import reduce_grad
from lib.losses._common import ArrayLike, _arrays, _broadcast_pair, _check_class_axis
from lib.losses._common import _check_targets01, _elementwise_grad, _labels_for, _sum_to_shape
from lib.losses.classification import cross_entropy

__all__ = [
    "hinge", "hinge_grad", "multiclass_hinge", "multiclass_hinge_grad", "contrastive",
    "triplet", "info_nce", "cosine_embedding", "dice", "jaccard", "box_iou_loss",
    "box_iou_loss_grad"
]


def _scores_signs(scores, target):
    scores, target = _broadcast_pair(scores=scores, target=target)
    check_binary(target, "target", (-1.0, 1.0))
    return scores, target


@old_argument_names(y="target")
def hinge(scores: ArrayLike, target: ArrayLike, reduction: str = "mean") -> np.ndarray:
    """Binary hinge loss (SVM): l_i = max(0, 1 - y_i s_i), with y in {-1, +1} and raw scores s.

    Zero once the score is on the right side with margin >= 1. ``"mean"`` averages over all
    elements. (Not ``F.hinge_embedding_loss``, which is a different loss on distances.)
    """
    scores, target = _scores_signs(scores, target)
    return reduce(np.maximum(0, 1 - target * scores), reduction)


@old_argument_names(y="target")
def hinge_grad(scores: ArrayLike, target: ArrayLike, reduction: str = "mean") -> np.ndarray:
    """d hinge / d s = -y where 1 - y s > 0, else 0 (the subgradient 0 at the kink)."""
    scores, target = _scores_signs(scores, target)
    return _elementwise_grad(np.where(1 - target * scores > 0, -target, 0.0), reduction, scores.shape)


def _hinge_margins(scores, labels, margin):
    (scores,) = _arrays(scores=scores)
    _check_class_axis(scores, "scores")
    labels = _labels_for(labels, scores)
    margin = as_nonnegative(margin, "margin")
    is_true = labels[..., None] == np.arange(scores.shape[-1])
    true_score = np.take_along_axis(scores, labels[..., None], axis=-1)
    active = (scores - true_score + margin > 0) & ~is_true
    return scores, labels, margin, is_true, true_score, active


def multiclass_hinge(
    scores: ArrayLike, labels: ArrayLike, margin: float = 1.0, reduction: str = "mean"
) -> np.ndarray:
    """Multi-class hinge loss, Weston-Watkins form:

        l_n = sum_{j != y_n} max(0, s_nj - s_{n y_n} + margin)

    ``scores`` (N, C) raw scores (class axis last), ``labels`` (N,) in [0, C), ``margin >= 0``
    (the notes' Delta). ``F.multi_margin_loss(scores, labels, margin=m)`` divides the same sum
    by C: ``multiclass_hinge = C * F.multi_margin_loss``. ``"none"`` is per sample; ``"mean"``
    averages over samples.
    """
    scores, _, margin, _, true_score, active = _hinge_margins(scores, labels, margin)
    return reduce(np.where(active, scores - true_score + margin, 0).sum(axis=-1), reduction)


def multiclass_hinge_grad(
    scores: ArrayLike, labels: ArrayLike, margin: float = 1.0, reduction: str = "mean"
) -> np.ndarray:
    """d/d s_nj = 1 for each violating j != y_n; d/d s_{n y_n} = -(number of violators)."""
    scores, labels, _, is_true, _, active = _hinge_margins(scores, labels, margin)
    active = active.astype(scores.dtype)
    grad = active - is_true * active.sum(axis=-1, keepdims=True)
    return reduce_grad(grad, reduction, labels.size)


@old_argument_names(y="target")
def contrastive(d: ArrayLike, target: ArrayLike, margin: float = 1.0, reduction: str = "mean") -> np.ndarray:
    """Contrastive loss for pairs (Hadsell, Chopra & LeCun 2006), the notes' 1/2 version:

        l_i = y_i * 1/2 d_i^2 + (1 - y_i) * 1/2 max(0, margin - d_i)^2

    ``d`` >= 0 the distance between the two embeddings, ``target`` = 1 for a similar pair and 0 for a
    dissimilar one, ``margin >= 0``. Similar pairs are pulled together; dissimilar pairs are
    pushed apart until they are ``margin`` away. Conventions differ: some notes drop the 1/2
    (twice this loss), and one writes (1 - y) on the d^2 term, i.e. y = 0 for similar pairs;
    here y = 1 means similar. ``"mean"`` averages over pairs.

    No ``_grad``: evaluated only (see *Gradients* in ``lib.losses``).
    """
    d, target = _broadcast_pair(d=d, target=target)
    check_nonnegative(d, "d")
    check_binary(target, "target")
    margin = as_nonnegative(margin, "margin")
    return reduce(0.5 * (target * d**2 + (1 - target) * np.maximum(0, margin - d) ** 2), reduction)


def triplet(d_ap: ArrayLike, d_an: ArrayLike, margin: float = 1.0, reduction: str = "mean") -> np.ndarray:
    """Triplet loss (FaceNet): l_i = max(0, d(a, p)_i - d(a, n)_i + margin).

    ``d_ap`` anchor-positive and ``d_an`` anchor-negative distances (>= 0), ``margin >= 0``
    (the notes' alpha). ``F.triplet_margin_loss(a, p, n, margin)`` is this loss with
    ``d_ap = F.pairwise_distance(a, p)`` (Euclidean, with torch's eps = 1e-6 added to the
    difference). ``"mean"`` averages over triplets.

    No ``_grad``: evaluated only (see *Gradients* in ``lib.losses``).
    """
    d_ap, d_an = _broadcast_pair(d_ap=d_ap, d_an=d_an)
    check_nonnegative(d_ap, "d_ap")
    check_nonnegative(d_an, "d_an")
    margin = as_nonnegative(margin, "margin")
    return reduce(np.maximum(0, d_ap - d_an + margin), reduction)


def _unit_rows(z: np.ndarray) -> np.ndarray:
    """Rows scaled to unit Euclidean norm (norm floored at 1e-12, as ``F.normalize``)."""
    return z / np.maximum(np.linalg.norm(z, axis=-1, keepdims=True), 1e-12)


def info_nce(z_i: ArrayLike, z_j: ArrayLike, temperature: float = 0.5, reduction: str = "mean") -> np.ndarray:
    """InfoNCE / NT-Xent loss of SimCLR over a batch of N positive pairs.

    Stack the 2N embeddings z = [z_i; z_j], take the cosine similarities
    sim(a, b) = a.b / (|a| |b|), and for each of the 2N anchors k with positive k+N (mod 2N):

        l_k = -log( exp(sim(z_k, z_pos)/tau) / sum_{m != k} exp(sim(z_k, z_m)/tau) )

    i.e. a (2N-1)-way softmax cross-entropy whose correct class is the positive and whose other
    classes are the 2N-2 other embeddings (the anchor itself is left out). ``z_i``, ``z_j`` of
    the same shape (N, D), N >= 1; ``temperature`` = tau > 0. Computed with ``cross_entropy``
    (stable). ``"none"`` gives the 2N per-anchor losses; ``"mean"`` averages over them.

    No ``_grad``: evaluated only (see *Gradients* in ``lib.losses``).
    """
    z_i, z_j = _arrays(z_i=z_i, z_j=z_j)
    check_ndim(z_i, "z_i", 2, "(N, D) embeddings")
    check_same_shape(z_i=z_i, z_j=z_j)
    if z_i.shape[0] < 1:
        raise ValueError(f"z_i must hold at least one embedding; got shape {z_i.shape}")
    tau = as_real(temperature, "temperature")
    check_positive(tau, "temperature")
    z = _unit_rows(np.concatenate([z_i, z_j]))
    n_pairs, n_views = z_i.shape[0], 2 * z_i.shape[0]
    sim = z @ z.T / tau
    others = sim[~np.eye(n_views, dtype=bool)].reshape(n_views, n_views - 1)
    anchor = np.arange(n_views)
    positive = (anchor + n_pairs) % n_views
    column = positive - (positive > anchor)  # the column of the positive once the diagonal is gone
    return cross_entropy(others, column, reduction=reduction)


@old_argument_names(y="target")
def cosine_embedding(
    x1: ArrayLike, x2: ArrayLike, target: ArrayLike, margin: float = 0.0, reduction: str = "mean"
) -> np.ndarray:
    """Cosine embedding loss, as ``F.cosine_embedding_loss``. With cos = cos(x1_n, x2_n):

        l_n = 1 - cos                 if y_n = +1  (pull together)
              max(0, cos - margin)    if y_n = -1  (push apart)

    ``x1``, ``x2`` of the same shape (N, D) or (D,); ``target`` (N,) (or scalar) in {-1, +1};
    ``margin`` in [-1, 1] (a cosine; 0 to 0.5 is typical). As torch, the cosine is
    x1.x2 / sqrt((|x1|^2 + 1e-12)(|x2|^2 + 1e-12)), so zero vectors give cos = 0.
    ``"none"`` is per pair; ``"mean"`` averages over pairs.

    No ``_grad``: evaluated only (see *Gradients* in ``lib.losses``).
    """
    x1, x2, target = _arrays(x1=x1, x2=x2, target=target)
    check_same_shape(x1=x1, x2=x2)
    check_ndim(x1, "x1", (1, 2), "(N, D) or (D,)")
    if target.shape != x1.shape[:-1]:
        raise ValueError(f"target must have shape {x1.shape[:-1]} (one label per pair); got {target.shape}")
    check_binary(target, "target", (-1.0, 1.0))
    margin = as_real(margin, "margin")
    check_in_range(margin, "margin", -1.0, 1.0)
    denom = np.sqrt(((x1 * x1).sum(-1) + 1e-12) * ((x2 * x2).sum(-1) + 1e-12))
    cos = (x1 * x2).sum(-1) / denom
    return reduce(np.where(target == 1, 1 - cos, np.maximum(0, cos - margin)), reduction)


def _overlap_parts(probs, target, smooth):
    probs, target = _arrays(probs=probs, target=target)
    check_same_shape(probs=probs, target=target)
    if probs.ndim == 0:
        raise ValueError("probs must be an array of shape (N, ...) or one sample (D,); got a scalar")
    check_probabilities(probs, "probs")
    _check_targets01(target, "target")
    smooth = as_real(smooth, "smooth")
    check_positive(smooth, "smooth")
    axes = tuple(range(1, probs.ndim)) if probs.ndim > 1 else (0,)
    return (probs * target).sum(axes), probs.sum(axes), target.sum(axes), smooth


@old_argument_names(p="probs", y="target")
def dice(probs: ArrayLike, target: ArrayLike, smooth: float = 1.0, reduction: str = "mean") -> np.ndarray:
    """Soft Dice loss: 1 - (2 sum p y + smooth) / (sum p + sum y + smooth).

    ``probs`` predicted probabilities and ``target`` targets in [0, 1], same shape (N, ...): the sums run
    over every axis but the first, one coefficient per sample (a 1-D input is one sample).
    ``smooth > 0`` is added to numerator and denominator: it keeps the ratio defined for empty
    masks (p = y = 0 gives a loss of 0, a perfect match) and softens the gradient on tiny
    masks; pass a small value (e.g. 1e-6) for nearly the unsmoothed coefficient. ``"none"`` is
    per sample; ``"mean"`` averages over samples.

    No ``_grad``: evaluated only (see *Gradients* in ``lib.losses``).
    """
    inter, p_sum, y_sum, smooth = _overlap_parts(probs, target, smooth)
    return reduce(1 - (2 * inter + smooth) / (p_sum + y_sum + smooth), reduction)


@old_argument_names(p="probs", y="target")
def jaccard(probs: ArrayLike, target: ArrayLike, smooth: float = 1.0, reduction: str = "mean") -> np.ndarray:
    """Soft Jaccard (IoU) loss: 1 - (sum p y + smooth) / (sum p + sum y - sum p y + smooth).

    Shapes, smoothing and reductions as ``dice``. For hard masks IoU = Dice / (2 - Dice).

    No ``_grad``: evaluated only (see *Gradients* in ``lib.losses``).
    """
    inter, p_sum, y_sum, smooth = _overlap_parts(probs, target, smooth)
    return reduce(1 - (inter + smooth) / (p_sum + y_sum - inter + smooth), reduction)


def _box_iou_parts(pred_boxes, target_boxes):
    """Validated boxes and the pieces of their IoU: widths/heights, overlap sides, areas."""
    p, t = _arrays(pred_boxes=pred_boxes, target_boxes=target_boxes)
    for box, name in ((p, "pred_boxes"), (t, "target_boxes")):
        if box.ndim < 1 or box.shape[-1] != 4:
            raise ValueError(f"{name} must have shape (..., 4), boxes as (x1, y1, x2, y2); got {box.shape}")
        check_finite(box, name)
        if np.any(box[..., 2] < box[..., 0]) or np.any(box[..., 3] < box[..., 1]):
            raise ValueError(f"{name} must have x2 >= x1 and y2 >= y1 (corners as (x1, y1, x2, y2))")
    broadcast_shapes(pred_boxes=p, target_boxes=t)
    p, t = np.broadcast_arrays(p, t)
    w = np.minimum(p[..., 2], t[..., 2]) - np.maximum(p[..., 0], t[..., 0])  # overlap width
    h = np.minimum(p[..., 3], t[..., 3]) - np.maximum(p[..., 1], t[..., 1])  # (negative: none)
    area_p = (p[..., 2] - p[..., 0]) * (p[..., 3] - p[..., 1])
    area_t = (t[..., 2] - t[..., 0]) * (t[..., 3] - t[..., 1])
    inter = np.maximum(w, 0) * np.maximum(h, 0)
    union = area_p + area_t - inter
    if np.any(union <= 0):
        raise ValueError(
            "the union of a predicted and a target box has zero area (both boxes degenerate): "
            "IoU is undefined; give at least one box of each pair a positive width and height"
        )
    return p, t, w, h, inter, union


def box_iou_loss(pred_boxes: ArrayLike, target_boxes: ArrayLike, reduction: str = "mean") -> np.ndarray:
    """IoU loss of axis-aligned boxes: 1 - IoU, IoU = area(pred & target) / area(pred | target).

    Boxes have shape (..., 4) as corners (x1, y1, x2, y2) with x2 >= x1 and y2 >= y1; the two
    shapes broadcast. With overlap sides w = min(x2, x2') - max(x1, x1') and h likewise:

        I = max(w, 0) max(h, 0),   U = area(pred) + area(target) - I,   loss = 1 - I / U

    in [0, 1]: 0 for identical boxes, 1 for boxes that do not overlap (however far apart). A
    degenerate box (zero width or height) has zero area, so its IoU with a proper box is 0; two
    degenerate boxes give U = 0 and a ValueError. ``"none"`` is per box; ``"mean"`` averages
    over boxes.
    """
    _, _, _, _, inter, union = _box_iou_parts(pred_boxes, target_boxes)
    return reduce(1 - inter / union, reduction)


def box_iou_loss_grad(pred_boxes: ArrayLike, target_boxes: ArrayLike, reduction: str = "mean") -> np.ndarray:
    """d box_iou_loss / d pred_boxes, shape of ``pred_boxes``.

    With IoU = I / U and U = A_pred + A_target - I: dIoU = dI (U + I) / U^2 - dA_pred I / U^2,
    where dI follows the overlap sides w, h (zero where a side is negative: disjoint boxes get
    no gradient at all) and dA_pred the predicted box's sides. At kinks it uses torch's
    conventions: a tie in min/max splits the derivative in half (so identical boxes, the
    optimum, have gradient 0) and a side w = 0 (touching boxes) passes its derivative.
    """
    p, t, w, h, inter, union = _box_iou_parts(pred_boxes, target_boxes)
    zero = np.zeros_like(w)

    def d_min(a, b):  # d min(a, b) / d a: 1 if a < b, 0 if a > b, 1/2 at a tie
        return np.where(a < b, 1.0, np.where(a == b, 0.5, 0.0)).astype(p.dtype)

    # d w / d pred and d h / d pred (x1, y1, x2, y2 last), zeroed where the side is negative
    dw = np.stack([-d_min(t[..., 0], p[..., 0]), zero, d_min(p[..., 2], t[..., 2]), zero], -1)
    dh = np.stack([zero, -d_min(t[..., 1], p[..., 1]), zero, d_min(p[..., 3], t[..., 3])], -1)
    dw, dh = dw * (w >= 0)[..., None], dh * (h >= 0)[..., None]
    d_inter = dw * np.maximum(h, 0)[..., None] + dh * np.maximum(w, 0)[..., None]
    bw, bh = p[..., 2] - p[..., 0], p[..., 3] - p[..., 1]
    d_area = np.stack([-bh, -bw, bh, bw], -1)
    d_iou = d_inter * ((union + inter) / union**2)[..., None] - d_area * (inter / union**2)[..., None]
    return _sum_to_shape(reduce_grad(-d_iou, reduction, n_terms=union.size), np.shape(pred_boxes))
