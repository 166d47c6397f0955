"""Loss functions and their gradients with respect to the prediction (numpy reference).

Conventions of this module
--------------------------
* **Argument order.** Prediction first, target second, as in ``torch.nn.functional``:
  ``mse(pred, target)``, ``bce(p, y)``, ``cross_entropy(logits, labels)``. The one exception is
  ``kl_divergence(p, q)``, which follows the mathematical notation D_KL(p || q): the target
  distribution ``p`` first, the prediction ``q`` second.
* **Reduction.** Every loss takes ``reduction="mean" | "sum" | "none"``. ``"none"`` returns the
  unreduced losses: one per element for elementwise losses (MSE, BCE, hinge, ...), one per sample
  for losses that sum over a class, feature or latent axis (cross-entropy, KL, VAE, ...). ``"sum"``
  adds them up and ``"mean"`` averages them; each docstring says what is averaged.
* **Class axis last.** Class probabilities, logits and one-hot targets have shape ``(..., C)``
  (usually ``(N, C)``); integer labels have the leading shape ``(...)``. torch puts the class axis
  at position 1 for inputs of more than two dimensions; for ``(N, C)`` inputs the two agree.
* **Gradients.** ``<name>_grad`` takes the arguments of ``<name>`` and returns the derivative with
  respect to the prediction (the first argument; the second for ``kl_divergence``). For
  ``"sum"`` and ``"mean"`` it is the gradient of the scalar loss, shape of the prediction. For
  ``"none"`` it is the derivative of each unreduced loss with respect to its own prediction
  entries, i.e. the gradient of the ``"sum"`` loss (the same array whenever the prediction is not
  broadcast against the target).
* **Shapes** of prediction and target must broadcast (numpy rules) unless a docstring says
  otherwise. **dtypes**: float32 in gives float32 out, float64 gives float64; integer and boolean
  inputs (0/1 targets, labels) become float64 but do not promote a float32 prediction.
* **Probabilities.** Losses that take probabilities take the log of ``p`` clipped to
  ``[PROB_EPS, 1 - PROB_EPS]`` with ``PROB_EPS = 1e-7`` (representable next to 1 in float32), so a
  probability of exactly 0 or 1 gives a large but finite loss (-log 1e-7 = 16.12). torch instead
  clamps each log at -100; the two agree for probabilities in ``[1e-7, 1 - 1e-7]``. The
  gradients are evaluated at the clipped probability: finite, and pointing toward the target.
* **Logits.** The logit forms (``bce_with_logits``, ``cross_entropy``) never exponentiate a large
  positive number: they use ``softplus`` and ``log_softmax`` from ``lib.activations`` and are
  exact, without overflow or warnings, for logits up to 1e4 in magnitude.
* **Bad input** raises ``ValueError`` or ``TypeError`` naming the argument (see ``lib._checks``).
"""
from __future__ import annotations

import math
from typing import Sequence, Union

import numpy as np

from lib._checks import (
    as_float_array,
    broadcast_shapes,
    check_binary,
    check_finite,
    check_in_range,
    check_labels,
    check_ndim,
    check_nonnegative,
    check_positive,
    check_probabilities,
    check_reduction,
    check_same_shape,
    reduce,
    reduce_grad,
    result_dtype,
)
from lib.activations import log_softmax, sigmoid, softmax, softplus

ArrayLike = Union[np.ndarray, float, Sequence]
Weights = Union[np.ndarray, Sequence[np.ndarray]]

#: Probabilities are clipped to [PROB_EPS, 1 - PROB_EPS] before a log is taken.
PROB_EPS = 1e-7

__all__ = [
    "PROB_EPS",
    # regression
    "mse", "mse_grad", "mae", "mae_grad", "huber", "huber_grad", "log_cosh", "log_cosh_grad",
    "pinball", "pinball_grad",
    # classification
    "bce", "bce_grad", "bce_with_logits", "bce_with_logits_grad", "weighted_bce",
    "weighted_bce_grad", "categorical_cross_entropy", "categorical_cross_entropy_grad",
    "sparse_categorical_cross_entropy", "sparse_categorical_cross_entropy_grad",
    "cross_entropy", "cross_entropy_grad", "smooth_labels", "nll", "nll_grad",
    "multilabel_bce", "multilabel_bce_grad", "multilabel_bce_with_logits",
    "kl_divergence", "kl_divergence_grad", "js_divergence", "focal", "focal_grad",
    "generalized_cross_entropy", "generalized_cross_entropy_grad", "softmax_focal",
    # margin and metric learning
    "hinge", "hinge_grad", "multiclass_hinge", "multiclass_hinge_grad", "contrastive",
    "triplet", "info_nce", "cosine_embedding", "dice", "jaccard", "box_iou_loss", "box_iou_loss_grad",
    # ranking and sequences
    "margin_ranking", "margin_ranking_grad", "bpr", "bpr_grad", "listnet", "listnet_grad",
    "ctc", "ctc_collapse",
    # generative
    "gan_discriminator", "gan_generator", "wasserstein_critic", "wasserstein_generator",
    "wasserstein_1d", "gradient_penalty", "vae_kl", "vae_loss", "diffusion_loss",
    # reinforcement learning
    "td_target", "td_loss", "policy_gradient", "actor_critic", "ppo_clip",
    # regularization
    "l1_penalty", "l1_penalty_grad", "l2_penalty", "l2_penalty_grad",
    "elastic_net", "elastic_net_grad", "orthogonality_penalty", "orthogonality_penalty_grad",
    "spectral_norm",
]


# --------------------------------------------------------------------------------------------
# Private helpers
# --------------------------------------------------------------------------------------------

def _arrays(**named) -> list[np.ndarray]:
    """The named inputs as float arrays of one dtype.

    float32 only when every floating input is float32. Integer and boolean inputs (labels, 0/1
    targets) and bare Python numbers (``mse(x, 0.0)``) take part in the computation but do not
    decide the dtype, as Python scalars do in numpy's own promotion rules.
    """
    arrays = [as_float_array(value, name) for name, value in named.items()]
    floating = [
        a for a, v in zip(arrays, named.values())
        if np.asarray(v).dtype.kind == "f" and type(v) is not float
    ]
    dtype = result_dtype(*floating) if floating else np.dtype(np.float64)
    return [a.astype(dtype, copy=False) for a in arrays]


def _broadcast_pair(**named) -> list[np.ndarray]:
    """``_arrays`` plus a check that the arrays broadcast together."""
    arrays = _arrays(**named)
    broadcast_shapes(**dict(zip(named, arrays)))
    return arrays


def _real(value, name: str) -> float:
    """A finite real scalar hyper-parameter as a Python float (which does not promote float32)."""
    if isinstance(value, (str, bytes)) or np.ndim(value) != 0:
        raise TypeError(f"{name} must be a real number, got {value!r}")
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a real number, got {value!r}") from None
    if not math.isfinite(out):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return out


def _check_class_axis(x: np.ndarray, name: str) -> int:
    """``x`` has a non-empty class axis last; returns the number of classes."""
    if x.ndim < 1 or x.shape[-1] < 1:
        raise ValueError(f"{name} must have a class axis last, shape (..., C) with C >= 1; got {x.shape}")
    return x.shape[-1]


def _labels_for(labels, scores: np.ndarray, name: str = "labels") -> np.ndarray:
    """Integer labels in [0, C) whose shape is ``scores.shape[:-1]``."""
    out = check_labels(labels, scores.shape[-1], name)
    if out.shape != scores.shape[:-1]:
        raise ValueError(
            f"{name} must have shape {scores.shape[:-1]} (the shape of the scores without the "
            f"class axis); got {out.shape}"
        )
    return out


def _one_hot(labels: np.ndarray, n_classes: int, dtype) -> np.ndarray:
    return (labels[..., None] == np.arange(n_classes)).astype(dtype)


def _check_targets01(y: np.ndarray, name: str) -> None:
    """Targets of a binary loss: every entry in [0, 1] (0/1 labels or soft labels, as torch)."""
    bad = ~((y >= 0) & (y <= 1))
    if np.any(bad):
        raise ValueError(
            f"{name} must hold binary targets in [0, 1] (0/1 labels or soft labels); "
            f"found {y[bad].flat[0]!r}"
        )


def _clip_prob(p: np.ndarray) -> np.ndarray:
    return np.clip(p, PROB_EPS, 1 - PROB_EPS)


def _sum_to_shape(grad: np.ndarray, shape: tuple) -> np.ndarray:
    """Sum ``grad`` over the axes along which an array of ``shape`` was broadcast."""
    if grad.shape == shape:
        return grad
    grad = grad.sum(axis=tuple(range(grad.ndim - len(shape))))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    return grad.sum(axis=axes, keepdims=True) if axes else grad


def _elementwise_grad(grad: np.ndarray, reduction: str, pred_shape: tuple) -> np.ndarray:
    """Gradient of an elementwise loss from its per-element derivative ``grad``."""
    grad = reduce_grad(grad, reduction)
    return grad if reduction == "none" else _sum_to_shape(grad, pred_shape)


# --------------------------------------------------------------------------------------------
# Regression
# --------------------------------------------------------------------------------------------

def mse(pred: ArrayLike, target: ArrayLike, reduction: str = "mean") -> np.ndarray:
    """Mean squared error, as ``F.mse_loss``.

        l_i = (pred_i - target_i)^2

    Shapes: ``pred`` and ``target`` broadcast; ``"none"`` gives the broadcast shape. ``"mean"``
    averages over all elements (1/n sum_i l_i, the notes' MSE).
    """
    pred, target = _broadcast_pair(pred=pred, target=target)
    return reduce((pred - target) ** 2, reduction)


def mse_grad(pred: ArrayLike, target: ArrayLike, reduction: str = "mean") -> np.ndarray:
    """d mse / d pred = 2 (pred - target), divided by the number of elements for ``"mean"``."""
    pred, target = _broadcast_pair(pred=pred, target=target)
    return _elementwise_grad(2 * (pred - target), reduction, pred.shape)


def mae(pred: ArrayLike, target: ArrayLike, reduction: str = "mean") -> np.ndarray:
    """Mean absolute error, as ``F.l1_loss``.

        l_i = |pred_i - target_i|

    ``"mean"`` averages over all elements.
    """
    pred, target = _broadcast_pair(pred=pred, target=target)
    return reduce(np.abs(pred - target), reduction)


def mae_grad(pred: ArrayLike, target: ArrayLike, reduction: str = "mean") -> np.ndarray:
    """d mae / d pred = sign(pred - target) (the subgradient 0 at pred = target, as torch).

    Divided by the number of elements for ``"mean"``; the notes sometimes omit that 1/n.
    """
    pred, target = _broadcast_pair(pred=pred, target=target)
    return _elementwise_grad(np.sign(pred - target), reduction, pred.shape)


def huber(pred: ArrayLike, target: ArrayLike, delta: float = 1.0, reduction: str = "mean") -> np.ndarray:
    """Huber loss, as ``F.huber_loss``. With the residual r = pred - target:

        l(r) = 0.5 r^2                  if |r| <= delta
               delta (|r| - delta / 2)  if |r| >  delta

    Which side takes the boundary does not matter: at |r| = delta both branches give
    0.5 delta^2 (and both slopes are delta sign r), so the loss is continuous with a continuous
    derivative. We write <= as two of the notes do; torch's documentation (and two other notes)
    writes <. ``delta (|r| - delta/2)`` and ``delta |r| - delta^2/2`` are the same expression.
    ``F.smooth_l1_loss(beta=b)`` is ``huber(delta=b) / b``: the two agree only for delta = 1.

    ``delta > 0``; ``"mean"`` averages over all elements.
    """
    pred, target = _broadcast_pair(pred=pred, target=target)
    delta = _real(delta, "delta")
    check_positive(delta, "delta")
    r = np.abs(pred - target)
    return reduce(np.where(r <= delta, 0.5 * r**2, delta * (r - 0.5 * delta)), reduction)


def huber_grad(pred: ArrayLike, target: ArrayLike, delta: float = 1.0, reduction: str = "mean") -> np.ndarray:
    """d huber / d pred = clip(r, -delta, delta): r in the quadratic zone, delta sign(r) outside."""
    pred, target = _broadcast_pair(pred=pred, target=target)
    delta = _real(delta, "delta")
    check_positive(delta, "delta")
    return _elementwise_grad(np.clip(pred - target, -delta, delta), reduction, pred.shape)


def log_cosh(pred: ArrayLike, target: ArrayLike, reduction: str = "mean") -> np.ndarray:
    """Log-cosh loss: l_i = log cosh(pred_i - target_i).

    cosh overflows for |r| > 710, so the loss is computed as

        log cosh r = |r| + log1p(exp(-2|r|)) - log 2,

    exact and warning-free for any finite r (it is ~ r^2/2 near 0 and ~ |r| - log 2 far out).
    ``"mean"`` averages over all elements (torch has no log-cosh loss).
    """
    pred, target = _broadcast_pair(pred=pred, target=target)
    r = np.abs(pred - target)
    return reduce(r + np.log1p(np.exp(-2 * r)) - math.log(2.0), reduction)


def log_cosh_grad(pred: ArrayLike, target: ArrayLike, reduction: str = "mean") -> np.ndarray:
    """d log_cosh / d pred = tanh(pred - target)."""
    pred, target = _broadcast_pair(pred=pred, target=target)
    return _elementwise_grad(np.tanh(pred - target), reduction, pred.shape)


def pinball(pred: ArrayLike, target: ArrayLike, tau: float = 0.5, reduction: str = "mean") -> np.ndarray:
    """Pinball (quantile) loss at level tau in (0, 1). With the residual r = target - pred:

        l_i = tau * r_i        if r_i >= 0  (under-prediction costs tau per unit)
              (tau - 1) * r_i  if r_i < 0   (over-prediction costs 1 - tau per unit)

    Its minimiser over a constant prediction is the tau-quantile of the targets (tau = 0.5: the
    median, and the loss is half the MAE). ``"mean"`` averages over all elements (torch has no
    pinball loss).
    """
    pred, target = _broadcast_pair(pred=pred, target=target)
    tau = _real(tau, "tau")
    if not 0 < tau < 1:
        raise ValueError(f"tau must be in (0, 1), got {tau!r}")
    r = target - pred
    return reduce(np.maximum(tau * r, (tau - 1) * r), reduction)


def pinball_grad(pred: ArrayLike, target: ArrayLike, tau: float = 0.5, reduction: str = "mean") -> np.ndarray:
    """d pinball / d pred = -tau where target > pred, 1 - tau where target < pred, 0 where equal."""
    pred, target = _broadcast_pair(pred=pred, target=target)
    tau = _real(tau, "tau")
    if not 0 < tau < 1:
        raise ValueError(f"tau must be in (0, 1), got {tau!r}")
    r = target - pred
    grad = np.where(r > 0, -tau, np.where(r < 0, 1 - tau, 0.0)).astype(r.dtype)
    return _elementwise_grad(grad, reduction, pred.shape)


# --------------------------------------------------------------------------------------------
# Classification
# --------------------------------------------------------------------------------------------

def _prob_pair(p, y, p_name: str = "p", y_name: str = "y") -> list[np.ndarray]:
    p, y = _broadcast_pair(**{p_name: p, y_name: y})
    check_probabilities(p, p_name)
    _check_targets01(y, y_name)
    return [p, y]


def bce(p: ArrayLike, y: ArrayLike, reduction: str = "mean") -> np.ndarray:
    """Binary cross-entropy on probabilities, as ``F.binary_cross_entropy``.

        l_i = -[y_i log p_i + (1 - y_i) log(1 - p_i)]

    ``p`` in [0, 1] (e.g. a sigmoid output), ``y`` in [0, 1] (0/1 labels, or soft labels);
    shapes broadcast. ``p`` is clipped to [PROB_EPS, 1 - PROB_EPS] = [1e-7, 1 - 1e-7] inside the
    logs, so p = 0 or 1 gives at most -log(1e-7) = 16.12 per element instead of infinity; torch
    clamps each log at -100 instead, and the two agree for p in [1e-7, 1 - 1e-7]. For raw scores
    use ``bce_with_logits``, which needs no clipping. ``"mean"`` averages over all elements.
    """
    p, y = _prob_pair(p, y)
    pc = _clip_prob(p)
    return reduce(-(y * np.log(pc) + (1 - y) * np.log1p(-pc)), reduction)


def bce_grad(p: ArrayLike, y: ArrayLike, reduction: str = "mean") -> np.ndarray:
    """d bce / d p = (p - y) / (p (1 - p)), evaluated at the clipped p (so finite at p = 0, 1).

    Through a sigmoid, p = sigma(z), this becomes the familiar d/dz = p - y
    (see ``bce_with_logits_grad``).
    """
    p, y = _prob_pair(p, y)
    pc = _clip_prob(p)
    return _elementwise_grad((pc - y) / (pc * (1 - pc)), reduction, p.shape)


def _logit_pair(z, y, pos_weight):
    z, y = _broadcast_pair(z=z, y=y)
    _check_targets01(y, "y")
    if pos_weight is None:
        return z, y, None
    (w,) = _arrays(pos_weight=pos_weight)
    broadcast_shapes(z=z, y=y, pos_weight=w)
    check_nonnegative(w, "pos_weight")
    return z, y, w.astype(z.dtype, copy=False)


def bce_with_logits(
    z: ArrayLike, y: ArrayLike, pos_weight: ArrayLike | None = None, reduction: str = "mean"
) -> np.ndarray:
    """Binary cross-entropy on logits, as ``F.binary_cross_entropy_with_logits``.

    With p = sigmoid(z) and -log sigmoid(z) = softplus(-z), -log(1 - sigmoid(z)) = softplus(z):

        l_i = -[w y log p + (1 - y) log(1 - p)] = (1 - y) z + (1 + (w - 1) y) softplus(-z)

    (torch's formula), where ``w = pos_weight`` (default 1) multiplies the positive term; it
    broadcasts against ``z`` (a per-class weight of shape (C,) for (N, C) logits, as torch).
    ``softplus(-z) = max(-z, 0) + log1p(exp(-|z|))`` never overflows: exact for |z| up to 1e4
    and beyond. ``y`` in [0, 1]; ``pos_weight >= 0``. ``"mean"`` averages over all elements.
    """
    z, y, w = _logit_pair(z, y, pos_weight)
    log_weight = 1 if w is None else 1 + (w - 1) * y
    return reduce((1 - y) * z + log_weight * softplus(-z), reduction)


def bce_with_logits_grad(
    z: ArrayLike, y: ArrayLike, pos_weight: ArrayLike | None = None, reduction: str = "mean"
) -> np.ndarray:
    """d bce_with_logits / d z = (1 - y) - (1 + (w - 1) y) sigmoid(-z), i.e. sigmoid(z) - y for w = 1."""
    z, y, w = _logit_pair(z, y, pos_weight)
    log_weight = 1 if w is None else 1 + (w - 1) * y
    return _elementwise_grad((1 - y) - log_weight * sigmoid(-z), reduction, z.shape)


def _class_weights(w_pos, w_neg) -> tuple[float, float]:
    w_pos, w_neg = _real(w_pos, "w_pos"), _real(w_neg, "w_neg")
    check_nonnegative(w_pos, "w_pos")
    check_nonnegative(w_neg, "w_neg")
    return w_pos, w_neg


def weighted_bce(
    p: ArrayLike, y: ArrayLike, w_pos: float = 1.0, w_neg: float = 1.0, reduction: str = "mean"
) -> np.ndarray:
    """Class-weighted binary cross-entropy (the notes' w1 / w0 form).

        l_i = -[w_pos y_i log p_i + w_neg (1 - y_i) log(1 - p_i)]

    ``w_pos`` (the notes' w1) weighs the positive class, ``w_neg`` (w0) the negative one, both
    >= 0; w_pos = w_neg = 1 is ``bce``. Same clipping as ``bce``. ``"mean"`` averages over all
    elements (a plain 1/n, not a weighted mean). For 0/1 labels this is
    ``F.binary_cross_entropy(p, y, weight=w_pos*y + w_neg*(1-y))``; ``pos_weight`` of
    ``bce_with_logits`` is the case w_neg = 1.
    """
    p, y = _prob_pair(p, y)
    w_pos, w_neg = _class_weights(w_pos, w_neg)
    pc = _clip_prob(p)
    return reduce(-(w_pos * y * np.log(pc) + w_neg * (1 - y) * np.log1p(-pc)), reduction)


def weighted_bce_grad(
    p: ArrayLike, y: ArrayLike, w_pos: float = 1.0, w_neg: float = 1.0, reduction: str = "mean"
) -> np.ndarray:
    """d weighted_bce / d p = -w_pos y / p + w_neg (1 - y) / (1 - p), at the clipped p."""
    p, y = _prob_pair(p, y)
    w_pos, w_neg = _class_weights(w_pos, w_neg)
    pc = _clip_prob(p)
    return _elementwise_grad(-w_pos * y / pc + w_neg * (1 - y) / (1 - pc), reduction, p.shape)


def _distribution_pair(probs, target, probs_name: str, target_name: str) -> list[np.ndarray]:
    probs, target = _arrays(**{probs_name: probs, target_name: target})
    _check_class_axis(probs, probs_name)
    check_same_shape(**{probs_name: probs, target_name: target})
    check_probabilities(probs, probs_name)
    check_probabilities(target, target_name)
    return [probs, target]


def categorical_cross_entropy(probs: ArrayLike, onehot: ArrayLike, reduction: str = "mean") -> np.ndarray:
    """Categorical cross-entropy on probabilities with one-hot (or soft) targets.

        l_n = -sum_c y_nc log p_nc

    ``probs`` and ``onehot`` of the same shape (..., C), class axis last, entries in [0, 1]
    (rows of ``probs`` are a softmax output; rows of ``onehot`` one-hot or smoothed labels; the
    row sums are not checked). ``p`` is clipped below at PROB_EPS = 1e-7 inside the log, so a
    probability of exactly 0 gives a finite loss (and 0 log 0 = 0 where the target is 0).
    ``"none"`` gives one loss per sample, shape (...); ``"mean"`` averages over samples (the sum
    over classes stays a sum), as ``F.cross_entropy(torch.log(probs), onehot)``. For logits use
    ``cross_entropy``.
    """
    probs, onehot = _distribution_pair(probs, onehot, "probs", "onehot")
    return reduce(-(onehot * np.log(np.maximum(probs, PROB_EPS))).sum(axis=-1), reduction)


def categorical_cross_entropy_grad(
    probs: ArrayLike, onehot: ArrayLike, reduction: str = "mean"
) -> np.ndarray:
    """d cce / d probs = -y / p (p clipped below at PROB_EPS), divided by N for ``"mean"``.

    Composed with a softmax, p = softmax(z), this becomes d/dz = p - y (``cross_entropy_grad``).
    """
    probs, onehot = _distribution_pair(probs, onehot, "probs", "onehot")
    grad = -onehot / np.maximum(probs, PROB_EPS)
    return reduce_grad(grad, reduction, grad[..., 0].size)


def _probs_labels(probs, labels) -> tuple[np.ndarray, np.ndarray]:
    (probs,) = _arrays(probs=probs)
    _check_class_axis(probs, "probs")
    check_probabilities(probs, "probs")
    return probs, _labels_for(labels, probs)


def sparse_categorical_cross_entropy(
    probs: ArrayLike, labels: ArrayLike, reduction: str = "mean"
) -> np.ndarray:
    """Categorical cross-entropy with integer labels: l_n = -log p_{n, labels_n}.

    ``probs`` (..., C) probabilities, ``labels`` (...) integers in [0, C). Equals
    ``categorical_cross_entropy(probs, one_hot(labels))`` and ``F.nll_loss(torch.log(probs),
    labels)``; same clipping (PROB_EPS). ``"none"`` is per sample; ``"mean"`` averages over samples.
    """
    probs, labels = _probs_labels(probs, labels)
    picked = np.take_along_axis(probs, labels[..., None], axis=-1)[..., 0]
    return reduce(-np.log(np.maximum(picked, PROB_EPS)), reduction)


def sparse_categorical_cross_entropy_grad(
    probs: ArrayLike, labels: ArrayLike, reduction: str = "mean"
) -> np.ndarray:
    """d/d probs = -1/p at the label's entry, 0 elsewhere; divided by N for ``"mean"``."""
    probs, labels = _probs_labels(probs, labels)
    grad = -_one_hot(labels, probs.shape[-1], probs.dtype) / np.maximum(probs, PROB_EPS)
    return reduce_grad(grad, reduction, labels.size)


def smooth_labels(onehot: ArrayLike, eps: float) -> np.ndarray:
    """Label smoothing: y_smooth = (1 - eps) y + eps / C over the last (class) axis.

    Each row keeps its sum (1 for a one-hot row); the true class gets 1 - eps + eps/C and every
    other class eps/C. With C = 3 and eps = 0.1: [0.0333, 0.9333, 0.0333]. ``eps`` in [0, 1).
    This is the target that ``F.cross_entropy(..., label_smoothing=eps)`` uses.
    """
    (onehot,) = _arrays(onehot=onehot)
    n_classes = _check_class_axis(onehot, "onehot")
    check_probabilities(onehot, "onehot")
    eps = _real(eps, "eps")
    check_in_range(eps, "eps", 0.0, 1.0, high_open=True)
    return (1 - eps) * onehot + eps / n_classes


def _logits_labels(logits, labels, label_smoothing):
    (logits,) = _arrays(logits=logits)
    _check_class_axis(logits, "logits")
    labels = _labels_for(labels, logits)
    eps = _real(label_smoothing, "label_smoothing")
    check_in_range(eps, "label_smoothing", 0.0, 1.0, high_open=True)
    n_classes = logits.shape[-1]
    target = (1 - eps) * _one_hot(labels, n_classes, logits.dtype) + eps / n_classes
    return logits, labels, target


def cross_entropy(
    logits: ArrayLike, labels: ArrayLike, label_smoothing: float = 0.0, reduction: str = "mean"
) -> np.ndarray:
    """Softmax cross-entropy on logits with integer labels, as ``F.cross_entropy``.

        l_n = -sum_c t_nc log softmax(z_n)_c,   t_n = smooth_labels(one_hot(labels_n), eps)

    which is -log softmax(z_n)_{labels_n} for ``label_smoothing = 0``. ``logits`` (N, C) (any
    (..., C), class axis last), ``labels`` (N,) integers in [0, C), ``label_smoothing`` = eps in
    [0, 1). ``log_softmax`` subtracts the row maximum (log-sum-exp trick), so logits up to 1e4
    in magnitude give exact, finite losses. ``"none"`` is per sample; ``"mean"`` averages over
    samples, as torch (without class weights).
    """
    logits, _, target = _logits_labels(logits, labels, label_smoothing)
    return reduce(-(target * log_softmax(logits, axis=-1)).sum(axis=-1), reduction)


def cross_entropy_grad(
    logits: ArrayLike, labels: ArrayLike, label_smoothing: float = 0.0, reduction: str = "mean"
) -> np.ndarray:
    """d cross_entropy / d logits = softmax(z) - smoothed one-hot target, divided by N for "mean"."""
    logits, labels, target = _logits_labels(logits, labels, label_smoothing)
    return reduce_grad(softmax(logits, axis=-1) - target, reduction, labels.size)


def _log_probs_labels(log_probs, labels):
    (log_probs,) = _arrays(log_probs=log_probs)
    _check_class_axis(log_probs, "log_probs")
    return log_probs, _labels_for(labels, log_probs)


def nll(log_probs: ArrayLike, labels: ArrayLike, reduction: str = "mean") -> np.ndarray:
    """Negative log-likelihood, as ``F.nll_loss``: l_n = -log_probs[n, labels_n].

    ``log_probs`` (..., C) (e.g. a log_softmax output; not checked to be <= 0, as torch),
    ``labels`` (...) integers in [0, C). ``nll(log_softmax(z), labels) == cross_entropy(z,
    labels)``. ``"none"`` is per sample; ``"mean"`` averages over samples.
    """
    log_probs, labels = _log_probs_labels(log_probs, labels)
    return reduce(-np.take_along_axis(log_probs, labels[..., None], axis=-1)[..., 0], reduction)


def nll_grad(log_probs: ArrayLike, labels: ArrayLike, reduction: str = "mean") -> np.ndarray:
    """d nll / d log_probs = -one_hot(labels), divided by N for ``"mean"``."""
    log_probs, labels = _log_probs_labels(log_probs, labels)
    return reduce_grad(-_one_hot(labels, log_probs.shape[-1], log_probs.dtype), reduction, labels.size)


def _multilabel_pair(p, y, p_name: str):
    p, y = _arrays(**{p_name: p, "y": y})
    check_same_shape(**{p_name: p, "y": y})
    return p, y


def multilabel_bce(p: ArrayLike, y: ArrayLike, reduction: str = "mean") -> np.ndarray:
    """Multi-label classification loss: an independent ``bce`` for each (sample, label) entry.

        l_nj = -[y_nj log p_nj + (1 - y_nj) log(1 - p_nj)]

    ``p`` and ``y`` of the same shape (N, L): one sigmoid probability and one 0/1 target per
    label. ``"none"`` gives the (N, L) entries and ``"mean"`` averages over all N*L of them, as
    ``F.binary_cross_entropy`` (the notes' 1/n sum_i sum_j is ``reduction="sum"`` divided by N).
    Same clipping as ``bce``.
    """
    p, y = _multilabel_pair(p, y, "p")
    return bce(p, y, reduction)


def multilabel_bce_grad(p: ArrayLike, y: ArrayLike, reduction: str = "mean") -> np.ndarray:
    """d multilabel_bce / d p = (p - y) / (p (1 - p)), divided by N*L for ``"mean"``."""
    p, y = _multilabel_pair(p, y, "p")
    return bce_grad(p, y, reduction)


def multilabel_bce_with_logits(
    z: ArrayLike, y: ArrayLike, pos_weight: ArrayLike | None = None, reduction: str = "mean"
) -> np.ndarray:
    """``multilabel_bce`` on logits z (N, L): ``bce_with_logits`` entry by entry, mean over N*L.

    ``pos_weight`` of shape (L,) weighs the positives of each label, as in torch.
    """
    z, y = _multilabel_pair(z, y, "z")
    return bce_with_logits(z, y, pos_weight, reduction)


def kl_divergence(p: ArrayLike, q: ArrayLike, reduction: str = "mean") -> np.ndarray:
    """Kullback-Leibler divergence D_KL(p || q) = sum_c p_c log(p_c / q_c) over the last axis.

    Argument order follows the math, not torch: ``p`` is the target distribution, ``q`` the
    prediction. ``p`` and ``q`` of the same shape (..., C), entries in [0, 1]. Terms with
    p_c = 0 are 0 (0 log 0 = 0); ``q`` is clipped below at PROB_EPS inside the log, so q_c = 0
    where p_c > 0 gives a large finite value instead of infinity.

    Relation to torch: ``F.kl_div(input, target)`` takes the *log* of the prediction first and
    the target second, elementwise: ``kl_divergence(p, q, "none") ==
    F.kl_div(torch.log(q), p, reduction="none").sum(-1)``; our ``"sum"`` is torch's ``"sum"``
    and our ``"mean"`` (over distributions) is torch's ``"batchmean"`` for (N, C) inputs, while
    torch's ``"mean"`` divides by N*C. Note also KL(p || q) = CE(p, q) - H(p).
    """
    p, q = _distribution_pair(p, q, "p", "q")
    p_log_p = np.where(p > 0, p * np.log(np.where(p > 0, p, 1)), 0)
    return reduce((p_log_p - p * np.log(np.maximum(q, PROB_EPS))).sum(axis=-1), reduction)


def kl_divergence_grad(p: ArrayLike, q: ArrayLike, reduction: str = "mean") -> np.ndarray:
    """d D_KL(p || q) / d q = -p / q (the gradient with respect to the prediction q).

    q is clipped below at PROB_EPS; divided by the number of distributions for ``"mean"``.
    """
    p, q = _distribution_pair(p, q, "p", "q")
    grad = -p / np.maximum(q, PROB_EPS)
    return reduce_grad(grad, reduction, grad[..., 0].size)


def js_divergence(p: ArrayLike, q: ArrayLike, reduction: str = "mean") -> np.ndarray:
    """Jensen-Shannon divergence over the last axis, in nats:

        JS(p || q) = 1/2 D_KL(p || m) + 1/2 D_KL(q || m),   m = (p + q) / 2

    Symmetric, 0 for p = q and at most log 2 (reached when p and q have disjoint supports). It
    is what the original GAN's minimax game measures: with the best discriminator
    D*(x) = p(x) / (p(x) + q(x)), the game's value E_p log D* + E_q log(1 - D*) equals
    2 JS(p || q) - log 4. ``p`` and ``q`` of the same shape (..., C), entries in [0, 1];
    terms with p_c = 0 (or q_c = 0) are 0, and m_c >= p_c / 2 > 0 wherever p_c > 0, so no
    clipping is needed. ``"none"`` is one value per distribution, ``"mean"`` averages them.
    """
    p, q = _distribution_pair(p, q, "p", "q")
    m = (p + q) / 2

    def kl_to_m(a: np.ndarray) -> np.ndarray:
        safe = np.where(a > 0, a, 1)
        return np.where(a > 0, a * np.log(safe / np.where(a > 0, m, 1)), 0).sum(axis=-1)

    return reduce(0.5 * kl_to_m(p) + 0.5 * kl_to_m(q), reduction)


def _focal_parts(p, y, gamma, alpha):
    p, y = _prob_pair(p, y)
    gamma = _real(gamma, "gamma")
    check_nonnegative(gamma, "gamma")
    if alpha is None:
        alpha_t = 1
    else:
        alpha = _real(alpha, "alpha")
        check_in_range(alpha, "alpha", 0.0, 1.0)
        alpha_t = alpha * y + (1 - alpha) * (1 - y)
    pc = _clip_prob(p)
    p_t = pc * y + (1 - pc) * (1 - y)
    ce = -(y * np.log(pc) + (1 - y) * np.log1p(-pc))
    return p, y, pc, gamma, alpha_t, p_t, ce


def focal(
    p: ArrayLike, y: ArrayLike, gamma: float = 2.0, alpha: float | None = None, reduction: str = "mean"
) -> np.ndarray:
    """Binary focal loss (Lin et al. 2017) on probabilities, in the p_t form.

        p_t = p if y = 1 else 1 - p            (p y + (1 - p)(1 - y) for soft y)
        alpha_t = alpha if y = 1 else 1 - alpha  (1 when alpha is None)
        l_i = -alpha_t (1 - p_t)^gamma log p_t  = alpha_t (1 - p_t)^gamma bce(p, y)

    as ``torchvision.ops.sigmoid_focal_loss`` (which takes logits; ours takes p = sigmoid(z)).
    gamma = 0 and alpha = None give ``bce`` exactly; gamma > 0 shrinks the loss of easy
    examples (p_t near 1). ``gamma >= 0``; ``alpha`` in [0, 1] or None. Some of the notes
    multiply by one constant alpha for both classes (and their code applies it to the softmax
    cross-entropy of a multi-class problem): that is a global scale of the loss, not the
    class-balancing alpha_t used here. Same clipping as ``bce``. ``"mean"`` averages over all
    elements.
    """
    _, _, _, gamma, alpha_t, p_t, ce = _focal_parts(p, y, gamma, alpha)
    return reduce(alpha_t * (1 - p_t) ** gamma * ce, reduction)


def focal_grad(
    p: ArrayLike, y: ArrayLike, gamma: float = 2.0, alpha: float | None = None, reduction: str = "mean"
) -> np.ndarray:
    """d focal / d p, with dp_t/dp = 2y - 1 and d bce/dp = (p - y) / (p (1 - p)):

        alpha_t [(1 - p_t)^gamma (p - y) / (p (1 - p)) - gamma (2y - 1) (1 - p_t)^(gamma - 1) bce]

    evaluated at the clipped p (where 1 - p_t > 0, so the power is finite for gamma < 1 too).
    """
    p, y, pc, gamma, alpha_t, p_t, ce = _focal_parts(p, y, gamma, alpha)
    one_minus = 1 - p_t
    grad = alpha_t * (
        one_minus**gamma * (pc - y) / (pc * (1 - pc)) - gamma * (2 * y - 1) * one_minus ** (gamma - 1) * ce
    )
    return _elementwise_grad(grad, reduction, p.shape)


def _gce_parts(logits, labels, q):
    (logits,) = _arrays(logits=logits)
    _check_class_axis(logits, "logits")
    labels = _labels_for(labels, logits)
    q = _real(q, "q")
    check_in_range(q, "q", 0.0, 1.0)
    if q == 0:
        raise ValueError("q must be in (0, 1], got 0.0; q -> 0 is cross_entropy: call that instead")
    log_p = log_softmax(logits, axis=-1)
    log_p_y = np.take_along_axis(log_p, labels[..., None], axis=-1)[..., 0]
    return logits, labels, q, log_p, log_p_y


def generalized_cross_entropy(
    logits: ArrayLike, labels: ArrayLike, q: float = 0.7, reduction: str = "mean"
) -> np.ndarray:
    """Generalized cross-entropy (Zhang & Sabuncu 2018), a loss robust to noisy labels.

        l_n = (1 - p_y^q) / q,    p_y = softmax(z_n)_{labels_n}

    ``q`` in (0, 1]. As q -> 0 it tends to the cross-entropy -log p_y; q = 1 gives 1 - p_y,
    which is half the L1 distance between softmax(z) and the one-hot target (the "MAE" loss of
    the paper). The loss is bounded by 1/q, so one example the model believes to be mislabelled
    (p_y near 0) cannot dominate the mean. Computed as ``-expm1(q log p_y) / q`` with
    ``log_softmax``: accurate for small q and for extreme logits. ``logits`` (N, C) (any
    (..., C), class axis last), ``labels`` (N,) integers in [0, C). ``"none"`` is per sample;
    ``"mean"`` averages over samples. torch has no GCE (the tests write it from torch ops).
    """
    _, _, q, _, log_p_y = _gce_parts(logits, labels, q)
    return reduce(-np.expm1(q * log_p_y) / q, reduction)


def generalized_cross_entropy_grad(
    logits: ArrayLike, labels: ArrayLike, q: float = 0.7, reduction: str = "mean"
) -> np.ndarray:
    """d gce / d logits = p_y^q (softmax(z) - one_hot(labels)), divided by N for ``"mean"``.

    The cross-entropy gradient ``softmax(z) - one_hot``, weighted by p_y^q: examples whose
    label the model finds unlikely (p_y near 0) get a small weight, where cross-entropy gives
    them the largest gradient.
    """
    logits, labels, q, log_p, log_p_y = _gce_parts(logits, labels, q)
    one_hot = _one_hot(labels, logits.shape[-1], logits.dtype)
    grad = np.exp(q * log_p_y)[..., None] * (np.exp(log_p) - one_hot)
    return reduce_grad(grad, reduction, labels.size)


def softmax_focal(
    logits: ArrayLike,
    labels: ArrayLike,
    gamma: float = 2.0,
    alpha: ArrayLike | None = None,
    reduction: str = "mean",
) -> np.ndarray:
    """Multi-class focal loss on logits: ``focal`` with p_t the softmax probability of the label.

        p_t = softmax(z_n)_{labels_n},   l_n = -alpha_t (1 - p_t)^gamma log p_t

    ``alpha`` is None (alpha_t = 1), one number (a global scale, as in the notes' ``FocalLoss``
    code), or one weight per class, shape (C,), with alpha_t = alpha[labels_n]; all >= 0.
    gamma = 0 and alpha = None give ``cross_entropy``. For two classes with logits [0, z] and
    alpha = [1 - a, a], it is ``focal(sigmoid(z), y, gamma, alpha=a)``. log p_t comes from
    ``log_softmax`` and 1 - p_t from ``-expm1(log p_t)``: accurate for extreme logits.
    ``logits`` (N, C) (any (..., C)), ``labels`` (N,) in [0, C), ``gamma >= 0``. ``"none"`` is
    per sample; ``"mean"`` averages over samples.
    """
    (logits,) = _arrays(logits=logits)
    n_classes = _check_class_axis(logits, "logits")
    labels = _labels_for(labels, logits)
    gamma = _real(gamma, "gamma")
    check_nonnegative(gamma, "gamma")
    alpha_t = 1
    if alpha is not None:
        (alpha,) = _arrays(alpha=alpha)
        check_nonnegative(alpha, "alpha")
        if alpha.ndim == 0:
            alpha_t = alpha.astype(logits.dtype)
        elif alpha.shape == (n_classes,):
            alpha_t = alpha.astype(logits.dtype)[labels]
        else:
            raise ValueError(
                f"alpha must be one number or one weight per class, shape ({n_classes},); got {alpha.shape}"
            )
    log_p_t = np.take_along_axis(log_softmax(logits, axis=-1), labels[..., None], axis=-1)[..., 0]
    return reduce(-alpha_t * (-np.expm1(log_p_t)) ** gamma * log_p_t, reduction)


# --------------------------------------------------------------------------------------------
# Margin and metric learning
# --------------------------------------------------------------------------------------------

def _margin(margin, name: str = "margin") -> float:
    margin = _real(margin, name)
    check_nonnegative(margin, name)
    return margin


def _scores_signs(scores, y):
    scores, y = _broadcast_pair(scores=scores, y=y)
    check_binary(y, "y", (-1.0, 1.0))
    return scores, y


def hinge(scores: ArrayLike, y: ArrayLike, reduction: str = "mean") -> np.ndarray:
    """Binary hinge loss (SVM): l_i = max(0, 1 - y_i s_i), with y in {-1, +1} and raw scores s.

    Zero once the score is on the right side with margin >= 1. ``"mean"`` averages over all
    elements. (Not ``F.hinge_embedding_loss``, which is a different loss on distances.)
    """
    scores, y = _scores_signs(scores, y)
    return reduce(np.maximum(0, 1 - y * scores), reduction)


def hinge_grad(scores: ArrayLike, y: ArrayLike, reduction: str = "mean") -> np.ndarray:
    """d hinge / d s = -y where 1 - y s > 0, else 0 (the subgradient 0 at the kink)."""
    scores, y = _scores_signs(scores, y)
    return _elementwise_grad(np.where(1 - y * scores > 0, -y, 0.0), reduction, scores.shape)


def _hinge_margins(scores, labels, margin):
    (scores,) = _arrays(scores=scores)
    _check_class_axis(scores, "scores")
    labels = _labels_for(labels, scores)
    margin = _margin(margin)
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


def contrastive(d: ArrayLike, y: ArrayLike, margin: float = 1.0, reduction: str = "mean") -> np.ndarray:
    """Contrastive loss for pairs (Hadsell, Chopra & LeCun 2006), the notes' 1/2 version:

        l_i = y_i * 1/2 d_i^2 + (1 - y_i) * 1/2 max(0, margin - d_i)^2

    ``d`` >= 0 the distance between the two embeddings, ``y`` = 1 for a similar pair and 0 for a
    dissimilar one, ``margin >= 0``. Similar pairs are pulled together; dissimilar pairs are
    pushed apart until they are ``margin`` away. Conventions differ: some notes drop the 1/2
    (twice this loss), and one writes (1 - y) on the d^2 term, i.e. y = 0 for similar pairs;
    here y = 1 means similar. ``"mean"`` averages over pairs.
    """
    d, y = _broadcast_pair(d=d, y=y)
    check_nonnegative(d, "d")
    check_binary(y, "y")
    margin = _margin(margin)
    return reduce(0.5 * (y * d**2 + (1 - y) * np.maximum(0, margin - d) ** 2), reduction)


def triplet(d_ap: ArrayLike, d_an: ArrayLike, margin: float = 1.0, reduction: str = "mean") -> np.ndarray:
    """Triplet loss (FaceNet): l_i = max(0, d(a, p)_i - d(a, n)_i + margin).

    ``d_ap`` anchor-positive and ``d_an`` anchor-negative distances (>= 0), ``margin >= 0``
    (the notes' alpha). ``F.triplet_margin_loss(a, p, n, margin)`` is this loss with
    ``d_ap = F.pairwise_distance(a, p)`` (Euclidean, with torch's eps = 1e-6 added to the
    difference). ``"mean"`` averages over triplets.
    """
    d_ap, d_an = _broadcast_pair(d_ap=d_ap, d_an=d_an)
    check_nonnegative(d_ap, "d_ap")
    check_nonnegative(d_an, "d_an")
    margin = _margin(margin)
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
    """
    z_i, z_j = _arrays(z_i=z_i, z_j=z_j)
    check_ndim(z_i, "z_i", 2, "(N, D) embeddings")
    check_same_shape(z_i=z_i, z_j=z_j)
    if z_i.shape[0] < 1:
        raise ValueError(f"z_i must hold at least one embedding; got shape {z_i.shape}")
    tau = _real(temperature, "temperature")
    check_positive(tau, "temperature")
    z = _unit_rows(np.concatenate([z_i, z_j]))
    n_pairs, n_views = z_i.shape[0], 2 * z_i.shape[0]
    sim = z @ z.T / tau
    others = sim[~np.eye(n_views, dtype=bool)].reshape(n_views, n_views - 1)
    anchor = np.arange(n_views)
    positive = (anchor + n_pairs) % n_views
    column = positive - (positive > anchor)  # the column of the positive once the diagonal is gone
    return cross_entropy(others, column, reduction=reduction)


def cosine_embedding(
    x1: ArrayLike, x2: ArrayLike, y: ArrayLike, margin: float = 0.0, reduction: str = "mean"
) -> np.ndarray:
    """Cosine embedding loss, as ``F.cosine_embedding_loss``. With cos = cos(x1_n, x2_n):

        l_n = 1 - cos                 if y_n = +1  (pull together)
              max(0, cos - margin)    if y_n = -1  (push apart)

    ``x1``, ``x2`` of the same shape (N, D) or (D,); ``y`` (N,) (or scalar) in {-1, +1};
    ``margin`` in [-1, 1] (a cosine; 0 to 0.5 is typical). As torch, the cosine is
    x1.x2 / sqrt((|x1|^2 + 1e-12)(|x2|^2 + 1e-12)), so zero vectors give cos = 0.
    ``"none"`` is per pair; ``"mean"`` averages over pairs.
    """
    x1, x2, y = _arrays(x1=x1, x2=x2, y=y)
    check_same_shape(x1=x1, x2=x2)
    check_ndim(x1, "x1", (1, 2), "(N, D) or (D,)")
    if y.shape != x1.shape[:-1]:
        raise ValueError(f"y must have shape {x1.shape[:-1]} (one label per pair); got {y.shape}")
    check_binary(y, "y", (-1.0, 1.0))
    margin = _real(margin, "margin")
    check_in_range(margin, "margin", -1.0, 1.0)
    denom = np.sqrt(((x1 * x1).sum(-1) + 1e-12) * ((x2 * x2).sum(-1) + 1e-12))
    cos = (x1 * x2).sum(-1) / denom
    return reduce(np.where(y == 1, 1 - cos, np.maximum(0, cos - margin)), reduction)


def _overlap_parts(p, y, smooth):
    p, y = _arrays(p=p, y=y)
    check_same_shape(p=p, y=y)
    if p.ndim == 0:
        raise ValueError("p must be an array of shape (N, ...) or one sample (D,); got a scalar")
    check_probabilities(p, "p")
    _check_targets01(y, "y")
    smooth = _real(smooth, "smooth")
    check_positive(smooth, "smooth")
    axes = tuple(range(1, p.ndim)) if p.ndim > 1 else (0,)
    return (p * y).sum(axes), p.sum(axes), y.sum(axes), smooth


def dice(p: ArrayLike, y: ArrayLike, smooth: float = 1.0, reduction: str = "mean") -> np.ndarray:
    """Soft Dice loss: 1 - (2 sum p y + smooth) / (sum p + sum y + smooth).

    ``p`` predicted probabilities and ``y`` targets in [0, 1], same shape (N, ...): the sums run
    over every axis but the first, one coefficient per sample (a 1-D input is one sample).
    ``smooth > 0`` is added to numerator and denominator: it keeps the ratio defined for empty
    masks (p = y = 0 gives a loss of 0, a perfect match) and softens the gradient on tiny
    masks; pass a small value (e.g. 1e-6) for nearly the unsmoothed coefficient. ``"none"`` is
    per sample; ``"mean"`` averages over samples.
    """
    inter, p_sum, y_sum, smooth = _overlap_parts(p, y, smooth)
    return reduce(1 - (2 * inter + smooth) / (p_sum + y_sum + smooth), reduction)


def jaccard(p: ArrayLike, y: ArrayLike, smooth: float = 1.0, reduction: str = "mean") -> np.ndarray:
    """Soft Jaccard (IoU) loss: 1 - (sum p y + smooth) / (sum p + sum y - sum p y + smooth).

    Shapes, smoothing and reductions as ``dice``. For hard masks IoU = Dice / (2 - Dice).
    """
    inter, p_sum, y_sum, smooth = _overlap_parts(p, y, smooth)
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


# --------------------------------------------------------------------------------------------
# Ranking (pairs and lists of scores)
# --------------------------------------------------------------------------------------------

def _ranking_pair(x1, x2, y):
    x1, x2, y = _broadcast_pair(x1=x1, x2=x2, y=y)
    check_binary(y, "y", (-1.0, 1.0))
    return x1, x2, y


def margin_ranking(
    x1: ArrayLike, x2: ArrayLike, y: ArrayLike, margin: float = 0.0, reduction: str = "mean"
) -> np.ndarray:
    """Pairwise margin ranking loss, as ``F.margin_ranking_loss``:

        l_i = max(0, -y_i (x1_i - x2_i) + margin)

    ``x1``, ``x2`` raw scores of two items; ``y_i = +1`` says x1_i should be ranked above x2_i,
    ``y_i = -1`` the reverse; ``margin >= 0`` (torch's default 0). The loss is zero once the
    right score leads by at least ``margin``. With x1 the score of a preferred item, x2 that of
    a less preferred one and y = 1, it is a hinge on the score difference:
    max(0, margin - (x1 - x2)). Shapes broadcast; ``"mean"`` averages over pairs.
    """
    x1, x2, y = _ranking_pair(x1, x2, y)
    margin = _margin(margin)
    return reduce(np.maximum(0, -y * (x1 - x2) + margin), reduction)


def margin_ranking_grad(
    x1: ArrayLike, x2: ArrayLike, y: ArrayLike, margin: float = 0.0, reduction: str = "mean"
) -> np.ndarray:
    """d margin_ranking / d x1 = -y where -y (x1 - x2) + margin > 0, else 0 (0 at the kink).

    The derivative with respect to x2 is the negative of this (when x1 and x2 have one shape).
    """
    x1, x2, y = _ranking_pair(x1, x2, y)
    margin = _margin(margin)
    active = -y * (x1 - x2) + margin > 0
    return _elementwise_grad(np.where(active, -y, 0.0), reduction, x1.shape)


def bpr(pos_scores: ArrayLike, neg_scores: ArrayLike, reduction: str = "mean") -> np.ndarray:
    """Bayesian Personalised Ranking loss (Rendle et al. 2009):

        l_i = -log sigma(pos_i - neg_i) = softplus(neg_i - pos_i)

    ``pos_scores`` the scores of items a user preferred (e.g. interacted with), ``neg_scores``
    those of items the user did not; shapes broadcast. The logistic loss of the score
    difference: minus the log-likelihood that the preferred item is ranked above the other,
    with sigma(pos - neg) read as that probability. Computed with
    ``softplus`` (no overflow). ``"mean"`` averages over pairs.
    """
    pos_scores, neg_scores = _broadcast_pair(pos_scores=pos_scores, neg_scores=neg_scores)
    return reduce(softplus(neg_scores - pos_scores), reduction)


def bpr_grad(pos_scores: ArrayLike, neg_scores: ArrayLike, reduction: str = "mean") -> np.ndarray:
    """d bpr / d pos = -sigma(neg - pos) (and d bpr / d neg is its negative)."""
    pos_scores, neg_scores = _broadcast_pair(pos_scores=pos_scores, neg_scores=neg_scores)
    return _elementwise_grad(-sigmoid(neg_scores - pos_scores), reduction, pos_scores.shape)


def _score_lists(scores, relevance):
    scores, relevance = _arrays(scores=scores, relevance=relevance)
    check_same_shape(scores=scores, relevance=relevance)
    _check_class_axis(scores, "scores")
    return scores, relevance


def listnet(scores: ArrayLike, relevance: ArrayLike, reduction: str = "mean") -> np.ndarray:
    """ListNet loss (top-one form, Cao et al. 2007): a cross-entropy between two softmaxes.

        l_n = -sum_j softmax(relevance_n)_j log softmax(scores_n)_j

    ``scores`` and ``relevance`` of the same shape (..., L): one list of L items per row (the
    item axis last). The true relevances become a target distribution over the items, the
    scores a predicted one. Equal to ``F.cross_entropy(scores, softmax(relevance))`` (soft
    targets). ``"none"`` is per list; ``"mean"`` averages over lists.
    """
    scores, relevance = _score_lists(scores, relevance)
    return reduce(-(softmax(relevance) * log_softmax(scores)).sum(axis=-1), reduction)


def listnet_grad(scores: ArrayLike, relevance: ArrayLike, reduction: str = "mean") -> np.ndarray:
    """d listnet / d scores = softmax(scores) - softmax(relevance) (divided by the number of
    lists for ``"mean"``)."""
    scores, relevance = _score_lists(scores, relevance)
    grad = softmax(scores) - softmax(relevance)
    return reduce_grad(grad, reduction, grad[..., 0].size)


# --------------------------------------------------------------------------------------------
# Sequences: CTC
# --------------------------------------------------------------------------------------------

def _index_array(x, name: str) -> np.ndarray:
    """Non-negative integers (labels, lengths) as an int64 array."""
    arr = np.asarray(x)
    if arr.size == 0 and arr.dtype.kind == "f":  # np.asarray([]) is float64
        arr = arr.astype(np.int64)
    if arr.dtype == bool or not np.issubdtype(arr.dtype, np.integer):
        raise TypeError(f"{name} must hold integers, got dtype {arr.dtype}")
    arr = arr.astype(np.int64)
    check_nonnegative(arr, name)
    return arr


def _int_scalar(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    return int(value)


def ctc_collapse(path: ArrayLike, blank: int = 0) -> list[int]:
    """The CTC collapsing map B: merge runs of repeated labels, then remove the blanks.

    With '-' the blank, B(a a - a b b -) = a a b: the blank between the two a's keeps them apart.
    ``path`` a 1-D sequence of class indices, one per time step; returns the labels as a list.
    """
    path = _index_array(path, "path")
    check_ndim(path, "path", 1, "one class index per time step")
    blank = _int_scalar(blank, "blank")
    out, previous = [], None
    for label in path.tolist():
        if label != previous and label != blank:
            out.append(label)
        previous = label
    return out


def _ctc_nll(log_probs: np.ndarray, target: np.ndarray, blank: int) -> np.ndarray:
    """-log p(target | log_probs) for one sequence: log_probs (T, C), target (S,)."""
    extended = np.full(2 * target.size + 1, blank)  # blank, y_1, blank, y_2, ..., y_S, blank
    extended[1::2] = target
    # a path may jump from s-2 to s over a blank unless that would merge two equal labels
    skip = np.zeros(extended.size, dtype=bool)
    skip[2:] = (extended[2:] != blank) & (extended[2:] != extended[:-2])
    minus_inf = np.full(2, -np.inf, dtype=log_probs.dtype)
    alpha = np.full(extended.size, -np.inf, dtype=log_probs.dtype)
    alpha[:2] = log_probs[0, extended[:2]]  # start on the first blank or the first label
    for t in range(1, log_probs.shape[0]):
        from_prev = np.concatenate([minus_inf[:1], alpha])[:-1]   # alpha[s - 1]
        from_skip = np.where(skip, np.concatenate([minus_inf, alpha])[:-2], -np.inf)  # alpha[s - 2]
        alpha = np.logaddexp(np.logaddexp(alpha, from_prev), from_skip) + log_probs[t, extended]
    return -np.logaddexp(alpha[-1], alpha[-2] if extended.size > 1 else -np.inf)


def _ctc_targets(targets, target_lengths, n: int) -> list[np.ndarray]:
    """One 1-D label array per sequence, from padded (N, S) or concatenated 1-D targets."""
    targets = _index_array(targets, "targets")
    check_ndim(targets, "targets", (1, 2), "(N, S) padded, or 1-D concatenated")
    if targets.ndim == 2:
        if targets.shape[0] != n:
            raise ValueError(f"targets must have {n} rows (one per sequence); got shape {targets.shape}")
        lengths = np.full(n, targets.shape[1]) if target_lengths is None else _index_array(
            target_lengths, "target_lengths")
        if lengths.shape != (n,) or np.any(lengths > targets.shape[1]):
            raise ValueError(
                f"target_lengths must be {n} lengths <= {targets.shape[1]}; got {lengths.tolist()}")
        return [row[:k] for row, k in zip(targets, lengths)]
    if target_lengths is None:
        if n != 1:
            raise ValueError("target_lengths is required with 1-D (concatenated) targets")
        return [targets]
    lengths = _index_array(target_lengths, "target_lengths")
    if lengths.shape != (n,) or lengths.sum() != targets.size:
        raise ValueError(
            f"target_lengths must be {n} lengths summing to len(targets) = {targets.size}; "
            f"got {lengths.tolist()}")
    return np.split(targets, np.cumsum(lengths)[:-1])


def ctc(
    log_probs: ArrayLike,
    targets: ArrayLike,
    input_lengths: ArrayLike | None = None,
    target_lengths: ArrayLike | None = None,
    blank: int = 0,
    reduction: str = "mean",
) -> np.ndarray:
    """Connectionist temporal classification loss (Graves et al. 2006), as ``F.ctc_loss``.

    With B the collapsing map of ``ctc_collapse`` (merge repeats, drop blanks),

        l_n = -log sum_{paths pi of length T_n with B(pi) = y_n} prod_t p_t(pi_t | x_n),

    computed by the forward (alpha) recursion in log space over the extended target
    (blank, y_1, blank, y_2, ..., y_S, blank), in O(T S) steps instead of a sum over C^T paths.

    ``log_probs`` (T, N, C): log-probabilities (a log_softmax over the C classes, so every entry
    <= 0) for T time steps of N sequences, or (T, C) for one sequence. ``targets`` (N, S)
    padded label sequences, or 1-D: all targets concatenated (or one sequence's labels); labels
    in [0, C) and not ``blank``. ``input_lengths`` (N,) frames T_n in [1, T] of each sequence
    (default all T); ``target_lengths`` (N,) labels S_n of each target (default S; required for
    concatenated targets). A target the T_n frames cannot produce (it needs S_n frames plus one
    blank between each pair of equal neighbours) gives +inf, as torch with zero_infinity=False.
    ``"none"`` gives the N losses; ``"sum"`` adds them; ``"mean"``, as torch, divides each loss
    by its target length (at least 1) and then averages over the batch.
    """
    (log_probs,) = _arrays(log_probs=log_probs)
    check_ndim(log_probs, "log_probs", (2, 3), "(T, N, C), or (T, C) for one sequence")
    if np.any(np.isnan(log_probs)) or np.any(log_probs > 0):
        raise ValueError("log_probs must hold log-probabilities (<= 0): pass log_softmax of the logits")
    unbatched = log_probs.ndim == 2
    if unbatched:
        log_probs = log_probs[:, None, :]
        input_lengths = None if input_lengths is None else np.reshape(input_lengths, (1,))
        target_lengths = None if target_lengths is None else np.reshape(target_lengths, (1,))
    n_steps, n, n_classes = log_probs.shape
    if n_steps < 1 or n_classes < 1:
        raise ValueError(f"log_probs needs at least one time step and one class; got {log_probs.shape}")
    blank = _int_scalar(blank, "blank")
    check_in_range(blank, "blank", 0, n_classes, high_open=True)
    check_reduction(reduction)
    seqs = _ctc_targets(targets, target_lengths, n)
    lengths = np.full(n, n_steps) if input_lengths is None else _index_array(input_lengths, "input_lengths")
    if lengths.shape != (n,) or np.any(lengths < 1) or np.any(lengths > n_steps):
        raise ValueError(f"input_lengths must be {n} lengths in [1, {n_steps}]; got {lengths.tolist()}")
    for i, seq in enumerate(seqs):
        if np.any(seq >= n_classes) or np.any(seq == blank):
            raise ValueError(
                f"targets must hold labels in [0, {n_classes}) other than the blank {blank}; "
                f"sequence {i} is {seq.tolist()}")
    losses = np.array([_ctc_nll(log_probs[:k, i], seq, blank)
                       for i, (k, seq) in enumerate(zip(lengths, seqs))], dtype=log_probs.dtype)
    if reduction == "mean":
        return (losses / np.maximum([s.size for s in seqs], 1)).mean().astype(log_probs.dtype)
    return losses[0] if unbatched and reduction == "none" else reduce(losses, reduction)


# --------------------------------------------------------------------------------------------
# Generative models
# --------------------------------------------------------------------------------------------

def _neg_log(p: np.ndarray) -> np.ndarray:
    return -np.log(_clip_prob(p))


def gan_discriminator(d_real: ArrayLike, d_fake: ArrayLike, reduction: str = "mean") -> np.ndarray:
    """Discriminator loss of the original GAN: -[log D(x) + log(1 - D(G(z)))].

    ``d_real`` = D(x) and ``d_fake`` = D(G(z)) are the discriminator's probabilities (in [0, 1])
    that its input is real. ``"mean"`` gives E[-log D(x)] + E[-log(1 - D(G(z)))], each mean
    over its own batch (they may differ in size); it equals
    ``F.binary_cross_entropy(d_real, 1) + F.binary_cross_entropy(d_fake, 0)``. ``"sum"`` adds
    the two sums; ``"none"`` gives the elementwise sum of the two terms (shapes must
    broadcast). Same clipping as ``bce``.
    """
    (d_real, d_fake) = _arrays(d_real=d_real, d_fake=d_fake)
    check_probabilities(d_real, "d_real")
    check_probabilities(d_fake, "d_fake")
    real_term, fake_term = _neg_log(d_real), _neg_log(1 - d_fake)
    if reduction == "none":
        broadcast_shapes(d_real=d_real, d_fake=d_fake)
    return reduce(real_term, reduction) + reduce(fake_term, reduction)


def gan_generator(d_fake: ArrayLike, reduction: str = "mean") -> np.ndarray:
    """Generator loss, non-saturating form: -log D(G(z)).

    The minimax game has the generator *minimise* log(1 - D(G(z))) (the "minimax" or
    saturating form); when D confidently rejects fakes (D(G(z)) near 0) that loss is flat and
    gives the generator almost no gradient. Goodfellow et al. therefore train G to minimise
    -log D(G(z)) instead, which is this function (the notes call it the minimax version; it is
    not). For D(G(z)) = 0.2: -log 0.2 = 1.609 here, log(0.8) = -0.223 for the minimax form.
    ``"mean"`` averages over the fakes; same clipping as ``bce``.
    """
    (d_fake,) = _arrays(d_fake=d_fake)
    check_probabilities(d_fake, "d_fake")
    return reduce(_neg_log(d_fake), reduction)


def wasserstein_critic(c_real: ArrayLike, c_fake: ArrayLike, reduction: str = "mean") -> np.ndarray:
    """WGAN critic loss: mean C(G(z)) - mean C(x).

    The critic maximises E[C(x)] - E[C(G(z))] (the notes' L, which is the objective, not the
    loss); minimising this function does that. ``c_real``, ``c_fake`` raw critic scores (any
    real); the Lipschitz constraint (clipping, gradient penalty) is not part of this loss.
    ``"mean"``: each mean over its own batch; ``"sum"``: sum c_fake - sum c_real; ``"none"``:
    c_fake - c_real elementwise (shapes must broadcast).
    """
    c_real, c_fake = _arrays(c_real=c_real, c_fake=c_fake)
    if reduction == "none":
        broadcast_shapes(c_real=c_real, c_fake=c_fake)
    return reduce(c_fake, reduction) - reduce(c_real, reduction)


def wasserstein_generator(c_fake: ArrayLike, reduction: str = "mean") -> np.ndarray:
    """WGAN generator loss: -mean C(G(z)) (``"none"``: -C(G(z)) per sample)."""
    (c_fake,) = _arrays(c_fake=c_fake)
    return reduce(-c_fake, reduction)


def wasserstein_1d(p: ArrayLike, q: ArrayLike, support: ArrayLike, reduction: str = "mean") -> np.ndarray:
    """Wasserstein-1 (earth mover's) distance between distributions on the same 1-D points:

        W1(p, q) = sum_i |F_p(x_i) - F_q(x_i)| (x_{i+1} - x_i),   F = cumulative sum of p or q

    the least total "mass times distance" needed to move the pile of probability p onto q.
    ``support`` holds the points x_1 < x_2 < ... < x_C (shape (C,), finite, strictly increasing);
    ``p`` and ``q`` the probabilities at these points, same shape (..., C), entries in [0, 1],
    each distribution summing to 1. ``"none"`` is one distance per pair, ``"mean"`` averages.
    """
    p, q = _distribution_pair(p, q, "p", "q")
    (x,) = _arrays(support=support)
    check_ndim(x, "support", 1, "the C points, in increasing order")
    if x.shape[0] != p.shape[-1]:
        raise ValueError(
            f"support has {x.shape[0]} points but p and q have {p.shape[-1]} entries on the last axis"
        )
    if not (np.all(np.isfinite(x)) and np.all(np.diff(x) > 0)):
        raise ValueError("support must be finite and strictly increasing")
    for a, name in ((p, "p"), (q, "q")):
        if not np.allclose(a.sum(axis=-1), 1.0, rtol=0, atol=1e-6):
            raise ValueError(f"{name} must sum to 1 over its last axis")
    cdf_gap = np.abs(np.cumsum(p - q, axis=-1))[..., :-1]
    return reduce((cdf_gap * np.diff(x)).sum(axis=-1), reduction)


def gradient_penalty(critic_grads: ArrayLike, lam: float = 10.0, reduction: str = "mean") -> np.ndarray:
    """WGAN-GP gradient penalty: lam * (||grad_x C(x_hat)||_2 - 1)^2 per sample.

    ``critic_grads`` holds the gradients of the critic's score with respect to its input, one per
    sample, at the random interpolates x_hat = eps x + (1 - eps) x_fake (eps ~ U(0, 1) per
    sample): shape (N, ...), the norm is taken over all axes but the first. ``lib`` has no
    automatic differentiation, so the caller computes these gradients (analytically, or with
    ``torch.autograd.grad(..., create_graph=True)`` so that the penalty can itself be
    differentiated with respect to the critic's weights). ``lam >= 0`` (10 in the WGAN-GP
    paper). ``"mean"`` is lam * E[(||g|| - 1)^2], the term added to the critic loss.
    """
    (g,) = _arrays(critic_grads=critic_grads)
    if g.ndim < 1 or g.shape[0] < 1:
        raise ValueError(f"critic_grads must have shape (N, ...) with N >= 1; got {g.shape}")
    lam = _real(lam, "lam")
    check_nonnegative(lam, "lam")
    norms = np.sqrt((g.reshape(g.shape[0], -1) ** 2).sum(axis=1))
    return reduce(lam * (norms - 1) ** 2, reduction)


def _latent(mu, log_var) -> tuple[np.ndarray, np.ndarray]:
    mu, log_var = _arrays(mu=mu, log_var=log_var)
    check_same_shape(mu=mu, log_var=log_var)
    _check_class_axis(mu, "mu")
    return mu, log_var


def _kl_to_standard_normal(mu: np.ndarray, log_var: np.ndarray) -> np.ndarray:
    return -0.5 * (1 + log_var - mu**2 - np.exp(log_var)).sum(axis=-1)


def vae_kl(mu: ArrayLike, log_var: ArrayLike, reduction: str = "mean") -> np.ndarray:
    """KL divergence of the encoder's Gaussian from the standard normal prior:

        D_KL(N(mu, diag sigma^2) || N(0, I)) = -1/2 sum_j (1 + log sigma_j^2 - mu_j^2 - sigma_j^2)
                                             =  1/2 sum_j (mu_j^2 + sigma_j^2 - 1 - log sigma_j^2)

    summed over the last (latent) axis. ``mu`` and ``log_var`` = log sigma^2 of the same shape
    (..., latent). ``"none"`` is per sample; ``"mean"`` averages over samples.
    """
    mu, log_var = _latent(mu, log_var)
    return reduce(_kl_to_standard_normal(mu, log_var), reduction)


def vae_loss(
    x_recon: ArrayLike,
    x: ArrayLike,
    mu: ArrayLike,
    log_var: ArrayLike,
    beta: float = 1.0,
    recon: str = "mse",
    reduction: str = "mean",
) -> np.ndarray:
    """VAE loss (negative ELBO, beta-VAE weighting): reconstruction + beta * vae_kl, per sample.

    Reconstruction is summed over the features of each sample:

    * ``recon="mse"``: sum (x_recon - x)^2. A unit-variance Gaussian decoder gives
      1/2 of this (plus a constant); the factor 2 is the same as doubling beta.
    * ``recon="bce"``: sum -[x log x_recon + (1 - x) log(1 - x_recon)], for data in [0, 1] and a
      sigmoid decoder (same clipping as ``bce``).

    Shapes: ``mu``, ``log_var`` (N, latent); ``x``, ``x_recon`` (N, ...) with the same leading
    sample shape (more generally the batch shape of ``mu``). ``beta >= 0``. ``"none"`` is per
    sample; ``"mean"`` averages over samples; ``"sum"`` is the notes' code (BCE with
    reduction="sum" plus the summed KL).
    """
    mu, log_var = _latent(mu, log_var)
    x_recon, x = _arrays(x_recon=x_recon, x=x)
    check_same_shape(x_recon=x_recon, x=x)
    batch = mu.shape[:-1]
    if x.shape[: len(batch)] != batch or x.ndim == len(batch):
        raise ValueError(
            f"x must have shape {batch} + feature shape (its samples matching mu of shape "
            f"{mu.shape}); got {x.shape}"
        )
    beta = _real(beta, "beta")
    check_nonnegative(beta, "beta")
    if recon == "mse":
        per_entry = (x_recon - x) ** 2
    elif recon == "bce":
        per_entry = bce(x_recon, x, reduction="none")
    else:
        raise ValueError(f"recon must be 'mse' or 'bce', got {recon!r}")
    features = tuple(range(len(batch), x.ndim))
    return reduce(per_entry.sum(axis=features) + beta * _kl_to_standard_normal(mu, log_var), reduction)


def diffusion_loss(eps_pred: ArrayLike, eps: ArrayLike, reduction: str = "mean") -> np.ndarray:
    """Denoising (DDPM, noise-prediction) loss: the MSE between predicted and true noise.

        l_i = (eps_pred_i - eps_i)^2,  "mean" over all elements (as F.mse_loss in DDPM code)

    The notes' ||eps - eps_hat||^2 is the ``"sum"`` over a sample's entries; for their example
    (eps = [0.3, -0.7], eps_hat = [0.2, -0.4]) that is 0.10 while the mean ("MSE") is 0.05.
    """
    eps_pred, eps = _broadcast_pair(eps_pred=eps_pred, eps=eps)
    return reduce((eps_pred - eps) ** 2, reduction)


# --------------------------------------------------------------------------------------------
# Reinforcement learning
# --------------------------------------------------------------------------------------------

def td_target(
    reward: ArrayLike, q_next_max: ArrayLike, gamma: float = 0.99, done: ArrayLike | None = None
) -> np.ndarray:
    """Q-learning target: r + gamma (1 - done) max_a' Q(s', a').

    ``done`` (0/1 or bool, default all 0) cuts the bootstrap at terminal transitions;
    ``gamma`` in [0, 1]. Shapes broadcast. In a training loop the target is a constant: no
    gradient flows through it (``.detach()`` in torch).
    """
    named = {"reward": reward, "q_next_max": q_next_max}
    if done is not None:
        named["done"] = done
    arrays = _broadcast_pair(**named)
    gamma = _real(gamma, "gamma")
    check_in_range(gamma, "gamma", 0.0, 1.0)
    reward, q_next_max = arrays[:2]
    not_done = 1
    if done is not None:
        check_binary(arrays[2], "done")
        not_done = 1 - arrays[2]
    return reward + gamma * not_done * q_next_max


def td_loss(
    q_sa: ArrayLike,
    reward: ArrayLike,
    q_next_max: ArrayLike,
    gamma: float = 0.99,
    done: ArrayLike | None = None,
    reduction: str = "mean",
) -> np.ndarray:
    """Squared TD error of Q-learning / DQN: (r + gamma (1 - done) max Q(s', .) - Q(s, a))^2.

    No factor 1/2 (the notes' form; with 1/2 the gradient is the bare TD error). The target
    (``td_target``) is treated as a constant: the loss is a function of ``q_sa`` only.
    ``"mean"`` averages over transitions (``F.mse_loss(q_sa, target.detach())``).
    """
    (q_sa,) = _arrays(q_sa=q_sa)
    target = td_target(reward, q_next_max, gamma, done)
    q_sa, target = _broadcast_pair(q_sa=q_sa, target=target)
    return reduce((target - q_sa) ** 2, reduction)


def _policy_inputs(pi_a, advantage):
    pi_a, advantage = _broadcast_pair(pi_a=pi_a, advantage=advantage)
    check_probabilities(pi_a, "pi_a")
    return pi_a, advantage


def policy_gradient(pi_a: ArrayLike, advantage: ArrayLike, reduction: str = "mean") -> np.ndarray:
    """REINFORCE / policy-gradient loss: -log pi(a|s) * A.

    ``pi_a`` the probability (in [0, 1], clipped below at PROB_EPS inside the log) the policy
    gave to the action taken; ``advantage`` A = R - V(s), or the return R itself, treated as a
    constant. Its gradient is -A grad log pi, the policy-gradient estimator. ``"mean"``
    averages over the sampled (s, a) pairs.
    """
    pi_a, advantage = _policy_inputs(pi_a, advantage)
    return reduce(-np.log(np.maximum(pi_a, PROB_EPS)) * advantage, reduction)


def actor_critic(
    pi_a: ArrayLike,
    advantage: ArrayLike,
    value: ArrayLike,
    returns: ArrayLike,
    entropy: ArrayLike,
    c: float = 0.5,
    beta: float = 0.01,
    reduction: str = "mean",
) -> np.ndarray:
    """Actor-critic (A2C) loss: L = L_actor + c * L_critic - beta * H, per sample, where

    * L_actor = -log pi(a|s) * A  (``policy_gradient``; A = R - V(s) treated as a constant),
    * L_critic = (R - V(s))^2     (squared error of the value estimate ``value`` against the
      return ``returns``),
    * H = the entropy of the policy at s, -sum_a pi(a|s) log pi(a|s) (given as ``entropy``);
      subtracting it rewards exploration.

    ``c >= 0`` and ``beta >= 0``; all arrays broadcast. ``"mean"`` averages over samples.
    """
    pi_a, advantage, value, returns, entropy = _broadcast_pair(
        pi_a=pi_a, advantage=advantage, value=value, returns=returns, entropy=entropy
    )
    check_probabilities(pi_a, "pi_a")
    c, beta = _real(c, "c"), _real(beta, "beta")
    check_nonnegative(c, "c")
    check_nonnegative(beta, "beta")
    actor = -np.log(np.maximum(pi_a, PROB_EPS)) * advantage
    critic = (returns - value) ** 2
    return reduce(actor + c * critic - beta * entropy, reduction)


def ppo_clip(ratio: ArrayLike, advantage: ArrayLike, eps: float = 0.2, reduction: str = "mean") -> np.ndarray:
    """PPO clipped surrogate loss: -min(r A, clip(r, 1 - eps, 1 + eps) A).

    ``ratio`` r = pi(a|s) / pi_old(a|s) (>= 0), ``advantage`` A, ``eps`` in [0, 1). The min
    makes the objective pessimistic: the gain from moving r outside [1 - eps, 1 + eps] is cut
    off. This is a loss (minimise it), the negative of PPO's objective. ``"mean"`` averages
    over samples.
    """
    ratio, advantage = _broadcast_pair(ratio=ratio, advantage=advantage)
    check_nonnegative(ratio, "ratio")
    eps = _real(eps, "eps")
    check_in_range(eps, "eps", 0.0, 1.0, high_open=True)
    clipped = np.clip(ratio, 1 - eps, 1 + eps)
    return reduce(-np.minimum(ratio * advantage, clipped * advantage), reduction)


# --------------------------------------------------------------------------------------------
# Regularization
# --------------------------------------------------------------------------------------------

def _weight_list(w, name: str = "w") -> tuple[list[np.ndarray], bool]:
    """``w`` as a list of float arrays, and whether it was given as a list of arrays.

    A list or tuple whose items are numpy arrays is a collection of parameter arrays; anything
    else (an array, a nested list of numbers) is one array.
    """
    if isinstance(w, (list, tuple)) and w and all(isinstance(a, np.ndarray) for a in w):
        return [as_float_array(a, f"{name}[{i}]") for i, a in enumerate(w)], True
    return [as_float_array(w, name)], False


def _penalty(w, lam: float, name: str, term) -> np.ndarray:
    arrays, _ = _weight_list(w)
    lam = _real(lam, name)
    check_nonnegative(lam, name)
    dtype = result_dtype(*arrays)
    return np.asarray(lam * sum(float(term(a).sum()) for a in arrays), dtype=dtype)[()]


def _penalty_grad(w, lam: float, name: str, term_grad) -> Weights:
    arrays, is_list = _weight_list(w)
    lam = _real(lam, name)
    check_nonnegative(lam, name)
    grads = [lam * term_grad(a) for a in arrays]
    return grads if is_list else grads[0]


def l1_penalty(w: Weights, lam: float) -> np.ndarray:
    """L1 (lasso) penalty lam * sum |w|, over every entry of ``w`` (an array or a list of arrays).

    Added to the task loss; it drives small weights to exactly 0 (sparsity). ``lam >= 0``.
    """
    return _penalty(w, lam, "lam", np.abs)


def l1_penalty_grad(w: Weights, lam: float) -> Weights:
    """lam * sign(w) (0 at w = 0), with the structure of ``w`` (array, or list of arrays)."""
    return _penalty_grad(w, lam, "lam", np.sign)


def l2_penalty(w: Weights, lam: float) -> np.ndarray:
    """L2 (ridge) penalty lam * sum w^2, as the notes write it (no 1/2).

    Many texts use 1/2 lam sum w^2, whose gradient is lam w: that is what torch's optimizers
    add with ``weight_decay=lam``. With this module's convention the gradient is 2 lam w, so
    ``weight_decay = 2 lam`` matches ``l2_penalty(w, lam)``. ``lam >= 0``.
    """
    return _penalty(w, lam, "lam", np.square)


def l2_penalty_grad(w: Weights, lam: float) -> Weights:
    """2 lam w, with the structure of ``w``."""
    return _penalty_grad(w, lam, "lam", lambda a: 2 * a)


def elastic_net(w: Weights, lam1: float, lam2: float) -> np.ndarray:
    """Elastic net: lam1 * sum |w| + lam2 * sum w^2 (``l1_penalty`` + ``l2_penalty``); lam1, lam2 >= 0."""
    return _penalty(w, lam1, "lam1", np.abs) + _penalty(w, lam2, "lam2", np.square)


def elastic_net_grad(w: Weights, lam1: float, lam2: float) -> Weights:
    """lam1 * sign(w) + 2 lam2 w, with the structure of ``w``."""
    g1 = _penalty_grad(w, lam1, "lam1", np.sign)
    g2 = _penalty_grad(w, lam2, "lam2", lambda a: 2 * a)
    return [a + b for a, b in zip(g1, g2)] if isinstance(g1, list) else g1 + g2


def _weight_matrix(W, name: str = "W") -> np.ndarray:
    W = as_float_array(W, name)
    check_ndim(W, name, 2, "a weight matrix, shape (n_in, n_out)")
    if not np.all(np.isfinite(W)):
        raise ValueError(f"{name} must be finite; it holds NaN or infinity")
    return W


def orthogonality_penalty(W: ArrayLike, lam: float) -> np.ndarray:
    """Orthogonality penalty lam * ||W^T W - I||_F^2 for a weight matrix ``W`` of shape (n_in, n_out).

    Zero exactly when the columns of ``W`` are orthonormal (possible only for n_in >= n_out):
    every singular value is then 1, so ``x @ W`` never lengthens an input and the backward pass
    ``g @ W.T`` preserves the length of every gradient ``g``; ``x @ W`` preserves the length of every
    input only when W is square (for n_in > n_out it drops the part of x outside W's column space).
    ``lam >= 0``.
    """
    W = _weight_matrix(W)
    lam = _real(lam, "lam")
    check_nonnegative(lam, "lam")
    G = W.T @ W - np.eye(W.shape[1], dtype=W.dtype)
    return np.asarray(lam * np.sum(G * G), dtype=W.dtype)[()]


def orthogonality_penalty_grad(W: ArrayLike, lam: float) -> np.ndarray:
    """4 lam W (W^T W - I), shape of ``W``."""
    W = _weight_matrix(W)
    lam = _real(lam, "lam")
    check_nonnegative(lam, "lam")
    G = W.T @ W - np.eye(W.shape[1], dtype=W.dtype)
    return 4 * lam * (W @ G)


def spectral_norm(W: ArrayLike, n_iter: int = 50, rng: np.random.Generator | int = 0) -> float:
    """The spectral norm sigma_max(W), the largest singular value, by power iteration.

    From a random unit vector v (drawn from ``rng``, a Generator or an int seed), repeat
    ``n_iter`` times: u = W v / ||W v||, v = W^T u / ||W^T u||; return sigma = ||W v||. The angle
    between v and the top right singular vector shrinks like (sigma_2 / sigma_1)^(2 n_iter), and the
    relative error of sigma, quadratic in that angle, like (sigma_2 / sigma_1)^(4 n_iter); up to
    rounding the estimate is never above sigma_max. ``np.linalg.norm(W, 2)`` gives the exact value
    (from an SVD). Spectral normalisation uses W / sigma_max(W), whose spectral norm is 1. ``W`` is
    2-D; a zero matrix has norm 0.
    """
    W = _weight_matrix(W).astype(np.float64)
    if isinstance(n_iter, bool) or not isinstance(n_iter, (int, np.integer)) or n_iter < 1:
        raise ValueError(f"n_iter must be a positive integer, got {n_iter!r}")
    if not isinstance(rng, np.random.Generator):
        if isinstance(rng, bool) or not isinstance(rng, (int, np.integer)):
            raise TypeError(f"rng must be a np.random.Generator or an int seed, got {rng!r}")
        rng = np.random.default_rng(rng)
    v = rng.standard_normal(W.shape[1])
    v /= np.linalg.norm(v)
    for _ in range(int(n_iter)):
        u = W @ v
        if not np.any(u):
            return 0.0
        u /= np.linalg.norm(u)
        v = W.T @ u
        v /= np.linalg.norm(v)
    return float(np.linalg.norm(W @ v))
