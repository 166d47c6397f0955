"""Classification losses: probabilities or logits against labels or distributions (pages
*Classification losses*, *Numerical stability*).

The conventions every loss follows are stated once, in ``lib.losses``.
"""
from __future__ import annotations

import numpy as np

from lib._checks import as_real, broadcast_shapes, check_in_range, check_nonnegative
from lib._checks import check_probabilities, check_same_shape, old_argument_names, reduce
from lib._checks import reduce_grad
from lib.activations import log_softmax, sigmoid, softmax, softplus
from lib.losses._common import ArrayLike, PROB_EPS, _arrays, _broadcast_pair, _check_class_axis
from lib.losses._common import _check_targets01, _clip_prob, _elementwise_grad, _labels_for
from lib.losses._common import _one_hot

__all__ = [
    "bce", "bce_grad", "bce_with_logits", "bce_with_logits_grad", "weighted_bce",
    "weighted_bce_grad", "categorical_cross_entropy", "categorical_cross_entropy_grad",
    "sparse_categorical_cross_entropy", "sparse_categorical_cross_entropy_grad",
    "smooth_labels", "cross_entropy", "cross_entropy_grad", "nll", "nll_grad", "multilabel_bce",
    "multilabel_bce_grad", "multilabel_bce_with_logits", "kl_divergence", "kl_divergence_grad",
    "js_divergence", "focal", "focal_grad", "generalized_cross_entropy",
    "generalized_cross_entropy_grad", "softmax_focal"
]


def _prob_pair(probs, target, p_name: str = "probs", y_name: str = "target") -> list[np.ndarray]:
    probs, target = _broadcast_pair(**{p_name: probs, y_name: target})
    check_probabilities(probs, p_name)
    _check_targets01(target, y_name)
    return [probs, target]


@old_argument_names(p="probs", y="target")
def bce(probs: ArrayLike, target: ArrayLike, reduction: str = "mean") -> np.ndarray:
    """Binary cross-entropy on probabilities, as ``F.binary_cross_entropy``.

        l_i = -[y_i log p_i + (1 - y_i) log(1 - p_i)]

    ``probs`` in [0, 1] (e.g. a sigmoid output), ``target`` in [0, 1] (0/1 labels, or soft labels);
    shapes broadcast. ``probs`` is clipped to [PROB_EPS, 1 - PROB_EPS] = [1e-7, 1 - 1e-7] inside the
    logs, so p = 0 or 1 gives at most -log(1e-7) = 16.12 per element instead of infinity; torch
    clamps each log at -100 instead, and the two agree for p in [1e-7, 1 - 1e-7]. For raw scores
    use ``bce_with_logits``, which needs no clipping. ``"mean"`` averages over all elements.
    """
    probs, target = _prob_pair(probs, target)
    pc = _clip_prob(probs)
    return reduce(-(target * np.log(pc) + (1 - target) * np.log1p(-pc)), reduction)


@old_argument_names(p="probs", y="target")
def bce_grad(probs: ArrayLike, target: ArrayLike, reduction: str = "mean") -> np.ndarray:
    """d bce / d p = (p - y) / (p (1 - p)), evaluated at the clipped p (so finite at p = 0, 1).

    Through a sigmoid, p = sigma(z), this becomes the familiar d/dz = p - y
    (see ``bce_with_logits_grad``).
    """
    probs, target = _prob_pair(probs, target)
    pc = _clip_prob(probs)
    return _elementwise_grad((pc - target) / (pc * (1 - pc)), reduction, probs.shape)


def _logit_pair(logits, target, pos_weight):
    logits, target = _broadcast_pair(logits=logits, target=target)
    _check_targets01(target, "target")
    if pos_weight is None:
        return logits, target, None
    (w,) = _arrays(pos_weight=pos_weight)
    broadcast_shapes(logits=logits, target=target, pos_weight=w)
    check_nonnegative(w, "pos_weight")
    return logits, target, w.astype(logits.dtype, copy=False)


@old_argument_names(z="logits", y="target")
def bce_with_logits(
    logits: ArrayLike, target: ArrayLike, pos_weight: ArrayLike | None = None, reduction: str = "mean"
) -> np.ndarray:
    """Binary cross-entropy on logits, as ``F.binary_cross_entropy_with_logits``.

    With p = sigmoid(z) and -log sigmoid(z) = softplus(-z), -log(1 - sigmoid(z)) = softplus(z):

        l_i = -[w y log p + (1 - y) log(1 - p)] = (1 - y) z + (1 + (w - 1) y) softplus(-z)

    (torch's formula), where ``w = pos_weight`` (default 1) multiplies the positive term; it
    broadcasts against ``logits`` (a per-class weight of shape (C,) for (N, C) logits, as torch).
    ``softplus(-z) = max(-z, 0) + log1p(exp(-|z|))`` never overflows: exact for |z| up to 1e4
    and beyond. ``target`` in [0, 1]; ``pos_weight >= 0``. ``"mean"`` averages over all elements.
    """
    logits, target, w = _logit_pair(logits, target, pos_weight)
    log_weight = 1 if w is None else 1 + (w - 1) * target
    return reduce((1 - target) * logits + log_weight * softplus(-logits), reduction)


@old_argument_names(z="logits", y="target")
def bce_with_logits_grad(
    logits: ArrayLike, target: ArrayLike, pos_weight: ArrayLike | None = None, reduction: str = "mean"
) -> np.ndarray:
    """d bce_with_logits / d z = (1 - y) - (1 + (w - 1) y) sigmoid(-z), i.e. sigmoid(z) - y for w = 1."""
    logits, target, w = _logit_pair(logits, target, pos_weight)
    log_weight = 1 if w is None else 1 + (w - 1) * target
    return _elementwise_grad((1 - target) - log_weight * sigmoid(-logits), reduction, logits.shape)


def _class_weights(w_pos, w_neg) -> tuple[float, float]:
    w_pos, w_neg = as_real(w_pos, "w_pos"), as_real(w_neg, "w_neg")
    check_nonnegative(w_pos, "w_pos")
    check_nonnegative(w_neg, "w_neg")
    return w_pos, w_neg


@old_argument_names(p="probs", y="target")
def weighted_bce(
    probs: ArrayLike, target: ArrayLike, w_pos: float = 1.0, w_neg: float = 1.0, reduction: str = "mean"
) -> np.ndarray:
    """Class-weighted binary cross-entropy (the notes' w1 / w0 form).

        l_i = -[w_pos y_i log p_i + w_neg (1 - y_i) log(1 - p_i)]

    ``w_pos`` (the notes' w1) weighs the positive class, ``w_neg`` (w0) the negative one, both
    >= 0; w_pos = w_neg = 1 is ``bce``. Same clipping as ``bce``. ``"mean"`` averages over all
    elements (a plain 1/n, not a weighted mean). For 0/1 labels this is
    ``F.binary_cross_entropy(p, y, weight=w_pos*y + w_neg*(1-y))``; ``pos_weight`` of
    ``bce_with_logits`` is the case w_neg = 1.
    """
    probs, target = _prob_pair(probs, target)
    w_pos, w_neg = _class_weights(w_pos, w_neg)
    pc = _clip_prob(probs)
    return reduce(-(w_pos * target * np.log(pc) + w_neg * (1 - target) * np.log1p(-pc)), reduction)


@old_argument_names(p="probs", y="target")
def weighted_bce_grad(
    probs: ArrayLike, target: ArrayLike, w_pos: float = 1.0, w_neg: float = 1.0, reduction: str = "mean"
) -> np.ndarray:
    """d weighted_bce / d p = -w_pos y / p + w_neg (1 - y) / (1 - p), at the clipped p."""
    probs, target = _prob_pair(probs, target)
    w_pos, w_neg = _class_weights(w_pos, w_neg)
    pc = _clip_prob(probs)
    return _elementwise_grad(-w_pos * target / pc + w_neg * (1 - target) / (1 - pc), reduction, probs.shape)


def _distribution_pair(probs, target, probs_name: str, target_name: str) -> list[np.ndarray]:
    probs, target = _arrays(**{probs_name: probs, target_name: target})
    _check_class_axis(probs, probs_name)
    check_same_shape(**{probs_name: probs, target_name: target})
    check_probabilities(probs, probs_name)
    check_probabilities(target, target_name)
    return [probs, target]


@old_argument_names(onehot="target")
def categorical_cross_entropy(probs: ArrayLike, target: ArrayLike, reduction: str = "mean") -> np.ndarray:
    """Categorical cross-entropy on probabilities with one-hot (or soft) targets.

        l_n = -sum_c y_nc log p_nc

    ``probs`` and ``target`` of the same shape (..., C), class axis last, entries in [0, 1]
    (rows of ``probs`` are a softmax output; rows of ``target`` one-hot or smoothed labels; the
    row sums are not checked). ``p`` is clipped below at PROB_EPS = 1e-7 inside the log, so a
    probability of exactly 0 gives a finite loss (and 0 log 0 = 0 where the target is 0).
    ``"none"`` gives one loss per sample, shape (...); ``"mean"`` averages over samples (the sum
    over classes stays a sum), as ``F.cross_entropy(torch.log(probs), onehot)``. For logits use
    ``cross_entropy``.
    """
    probs, target = _distribution_pair(probs, target, "probs", "target")
    return reduce(-(target * np.log(np.maximum(probs, PROB_EPS))).sum(axis=-1), reduction)


@old_argument_names(onehot="target")
def categorical_cross_entropy_grad(
    probs: ArrayLike, target: ArrayLike, reduction: str = "mean"
) -> np.ndarray:
    """d cce / d probs = -y / p (p clipped below at PROB_EPS), divided by N for ``"mean"``.

    Composed with a softmax, p = softmax(z), this becomes d/dz = p - y (``cross_entropy_grad``).
    """
    probs, target = _distribution_pair(probs, target, "probs", "target")
    grad = -target / np.maximum(probs, PROB_EPS)
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
    eps = as_real(eps, "eps")
    check_in_range(eps, "eps", 0.0, 1.0, high_open=True)
    return (1 - eps) * onehot + eps / n_classes


def _logits_labels(logits, labels, label_smoothing):
    (logits,) = _arrays(logits=logits)
    _check_class_axis(logits, "logits")
    labels = _labels_for(labels, logits)
    eps = as_real(label_smoothing, "label_smoothing")
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


def _multilabel_pair(probs, target, p_name: str):
    probs, target = _arrays(**{p_name: probs, "target": target})
    check_same_shape(**{p_name: probs, "target": target})
    return probs, target


@old_argument_names(p="probs", y="target")
def multilabel_bce(probs: ArrayLike, target: ArrayLike, reduction: str = "mean") -> np.ndarray:
    """Multi-label classification loss: an independent ``bce`` for each (sample, label) entry.

        l_nj = -[y_nj log p_nj + (1 - y_nj) log(1 - p_nj)]

    ``probs`` and ``target`` of the same shape (N, L): one sigmoid probability and one 0/1 target per
    label. ``"none"`` gives the (N, L) entries and ``"mean"`` averages over all N*L of them, as
    ``F.binary_cross_entropy`` (the notes' 1/n sum_i sum_j is ``reduction="sum"`` divided by N).
    Same clipping as ``bce``.
    """
    probs, target = _multilabel_pair(probs, target, "probs")
    return bce(probs, target, reduction)


@old_argument_names(p="probs", y="target")
def multilabel_bce_grad(probs: ArrayLike, target: ArrayLike, reduction: str = "mean") -> np.ndarray:
    """d multilabel_bce / d p = (p - y) / (p (1 - p)), divided by N*L for ``"mean"``."""
    probs, target = _multilabel_pair(probs, target, "probs")
    return bce_grad(probs, target, reduction)


@old_argument_names(z="logits", y="target")
def multilabel_bce_with_logits(
    logits: ArrayLike, target: ArrayLike, pos_weight: ArrayLike | None = None, reduction: str = "mean"
) -> np.ndarray:
    """``multilabel_bce`` on logits z (N, L): ``bce_with_logits`` entry by entry, mean over N*L.

    ``pos_weight`` of shape (L,) weighs the positives of each label, as in torch.

    No ``_grad`` of its own: ``bce_with_logits_grad`` is its gradient, entry by entry.
    """
    logits, target = _multilabel_pair(logits, target, "logits")
    return bce_with_logits(logits, target, pos_weight, reduction)


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

    No ``_grad``: evaluated only (see *Gradients* in ``lib.losses``).
    """
    p, q = _distribution_pair(p, q, "p", "q")
    m = (p + q) / 2

    def kl_to_m(a: np.ndarray) -> np.ndarray:
        safe = np.where(a > 0, a, 1)
        return np.where(a > 0, a * np.log(safe / np.where(a > 0, m, 1)), 0).sum(axis=-1)

    return reduce(0.5 * kl_to_m(p) + 0.5 * kl_to_m(q), reduction)


def _focal_parts(probs, target, gamma, alpha):
    probs, target = _prob_pair(probs, target)
    gamma = as_real(gamma, "gamma")
    check_nonnegative(gamma, "gamma")
    if alpha is None:
        alpha_t = 1
    else:
        alpha = as_real(alpha, "alpha")
        check_in_range(alpha, "alpha", 0.0, 1.0)
        alpha_t = alpha * target + (1 - alpha) * (1 - target)
    pc = _clip_prob(probs)
    p_t = pc * target + (1 - pc) * (1 - target)
    ce = -(target * np.log(pc) + (1 - target) * np.log1p(-pc))
    return probs, target, pc, gamma, alpha_t, p_t, ce


@old_argument_names(p="probs", y="target")
def focal(
    probs: ArrayLike, target: ArrayLike, gamma: float = 2.0, alpha: float | None = None, reduction: str = "mean"
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
    _, _, _, gamma, alpha_t, p_t, ce = _focal_parts(probs, target, gamma, alpha)
    return reduce(alpha_t * (1 - p_t) ** gamma * ce, reduction)


@old_argument_names(p="probs", y="target")
def focal_grad(
    probs: ArrayLike, target: ArrayLike, gamma: float = 2.0, alpha: float | None = None, reduction: str = "mean"
) -> np.ndarray:
    """d focal / d p, with dp_t/dp = 2y - 1 and d bce/dp = (p - y) / (p (1 - p)):

        alpha_t [(1 - p_t)^gamma (p - y) / (p (1 - p)) - gamma (2y - 1) (1 - p_t)^(gamma - 1) bce]

    evaluated at the clipped p (where 1 - p_t > 0, so the power is finite for gamma < 1 too).
    """
    probs, target, pc, gamma, alpha_t, p_t, ce = _focal_parts(probs, target, gamma, alpha)
    one_minus = 1 - p_t
    grad = alpha_t * (
        one_minus**gamma * (pc - target) / (pc * (1 - pc)) - gamma * (2 * target - 1) * one_minus ** (gamma - 1) * ce
    )
    return _elementwise_grad(grad, reduction, probs.shape)


def _gce_parts(logits, labels, q):
    (logits,) = _arrays(logits=logits)
    _check_class_axis(logits, "logits")
    labels = _labels_for(labels, logits)
    q = as_real(q, "q")
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

    No ``_grad``: evaluated only (see *Gradients* in ``lib.losses``).
    """
    (logits,) = _arrays(logits=logits)
    n_classes = _check_class_axis(logits, "logits")
    labels = _labels_for(labels, logits)
    gamma = as_real(gamma, "gamma")
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
