"""Evaluation metrics: what a trained model is judged by, as opposed to the loss it is trained on.

A metric need not be differentiable (accuracy, a rank-based score); a loss must be. The book's
pages on calibration and ranking compute these next to the losses that stand in for them.
"""
from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from lib import losses as _losses
from lib._checks import as_float_array, check_finite, check_integer, check_labels, check_ndim
from lib._checks import check_positive, check_probabilities

__all__: list[str] = [
    "ReliabilityBins", "reliability_bins", "expected_calibration_error", "fit_temperature",
    "dcg_at_k", "ndcg_at_k", "precision_at_k",
]


# --------------------------------------------------------------------------------------------
# Calibration
# --------------------------------------------------------------------------------------------

class ReliabilityBins(NamedTuple):
    """The data of a reliability diagram: ``n_bins`` equal-width confidence bins on [0, 1]."""

    edges: np.ndarray  #: (n_bins + 1,) bin edges; bin b holds edges[b] < confidence <= edges[b+1]
    confidence: np.ndarray  #: (n_bins,) mean confidence of the samples in each bin (NaN if empty)
    accuracy: np.ndarray  #: (n_bins,) fraction of them predicted correctly (NaN if empty)
    count: np.ndarray  #: (n_bins,) number of samples in each bin


def _calibration_inputs(probs, labels, n_bins) -> tuple[np.ndarray, np.ndarray, int]:
    probs = as_float_array(probs, "probs")
    check_ndim(probs, "probs", 2, "one row of class probabilities per sample, (N, C)")
    if probs.shape[0] < 1 or probs.shape[1] < 1:
        raise ValueError(f"probs must hold at least one sample and one class; got shape {probs.shape}")
    check_probabilities(probs, "probs")
    labels = check_labels(labels, probs.shape[1], "labels")
    if labels.shape != probs.shape[:1]:
        raise ValueError(f"labels must have shape {probs.shape[:1]} (one per row of probs); got {labels.shape}")
    n_bins = check_integer(n_bins, "n_bins")
    check_positive(n_bins, "n_bins")
    return probs, labels, n_bins


def reliability_bins(probs, labels, n_bins: int = 15) -> ReliabilityBins:
    """Confidence against accuracy, bin by bin: the data of a reliability diagram.

    The confidence of a sample is its largest probability, max_c p_nc, and its prediction the
    argmax (the first class on ties). Samples are put into ``n_bins`` equal-width bins of
    confidence, (0, 1/B], (1/B, 2/B], ...; a bin's accuracy is the fraction of its samples
    whose prediction equals the label. A calibrated model has accuracy = confidence in every
    bin. ``probs`` (N, C) rows of probabilities (a softmax output; row sums are not checked),
    ``labels`` (N,) integers in [0, C), ``n_bins >= 1``. Empty bins give NaN.
    """
    probs, labels, n_bins = _calibration_inputs(probs, labels, n_bins)
    confidence = probs.max(axis=1)
    correct = (probs.argmax(axis=1) == labels).astype(np.float64)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    which = np.digitize(confidence, edges[1:-1], right=True)
    count = np.bincount(which, minlength=n_bins)
    sums = [np.bincount(which, weights=w, minlength=n_bins) for w in (confidence, correct)]
    mean_conf, accuracy = (
        np.divide(s, count, out=np.full(n_bins, np.nan), where=count > 0) for s in sums
    )
    return ReliabilityBins(edges, mean_conf, accuracy, count)


def expected_calibration_error(probs, labels, n_bins: int = 15) -> float:
    """Expected calibration error (Guo et al. 2017), with ``reliability_bins``' bins:

        ECE = sum_b (n_b / N) |accuracy_b - confidence_b|

    the gap between accuracy and confidence, averaged over the bins weighted by their number of
    samples. 0 for a calibrated model (up to sampling noise), at most 1. It depends on
    ``n_bins`` (15 is the common choice). Arguments as ``reliability_bins``.
    """
    bins = reliability_bins(probs, labels, n_bins)
    full = bins.count > 0
    gaps = np.abs(bins.accuracy[full] - bins.confidence[full])
    return float((bins.count[full] * gaps).sum() / bins.count.sum())


def fit_temperature(
    logits, labels, bounds: tuple[float, float] = (0.05, 20.0), tol: float = 1e-9
) -> float:
    """Temperature scaling (Guo et al. 2017): the T > 0 that minimises the validation NLL

        NLL(T) = mean_n cross_entropy(z_n / T, labels_n).

    Dividing every logit by one T leaves the argmax, so accuracy, unchanged and only makes the
    probabilities softer (T > 1) or sharper (T < 1). The NLL is convex in 1/T (a log-sum-exp
    of a linear function of 1/T, minus a linear one), hence has a single minimum along log T,
    which a golden-section search over log T in ``bounds`` finds to within ``tol``. If the minimum lies
    outside ``bounds``, the nearer end is returned (e.g. perfectly separated data, where the NLL
    keeps falling as T -> 0). The search is written here, in numpy, because ``lib`` depends on
    numpy only (no scipy.optimize). ``logits`` (N, C), ``labels`` (N,) integers in [0, C).
    Fit T on held-out data, not on the training set.
    """
    logits = as_float_array(logits, "logits").astype(np.float64)
    check_ndim(logits, "logits", 2, "one row of logits per sample, (N, C)")
    check_finite(logits, "logits")
    low, high = (float(b) for b in bounds)
    if not 0 < low < high < np.inf:
        raise ValueError(f"bounds must be (low, high) with 0 < low < high, got {bounds!r}")
    check_positive(tol, "tol")
    _losses.cross_entropy(logits, labels)  # validates labels before the search

    def nll(log_t: float) -> float:
        return float(_losses.cross_entropy(logits / math.exp(log_t), labels))

    inv_phi = (math.sqrt(5) - 1) / 2
    a, b = math.log(low), math.log(high)
    c, d = b - inv_phi * (b - a), a + inv_phi * (b - a)
    fc, fd = nll(c), nll(d)
    while b - a > tol:
        if fc <= fd:  # the minimum is in [a, d]
            b, d, fd = d, c, fc
            c = b - inv_phi * (b - a)
            fc = nll(c)
        else:  # the minimum is in [c, b]
            a, c, fc = c, d, fd
            d = a + inv_phi * (b - a)
            fd = nll(d)
    return math.exp((a + b) / 2)


# --------------------------------------------------------------------------------------------
# Ranking
# --------------------------------------------------------------------------------------------

def _top_k_relevance(scores, relevance, k) -> tuple[np.ndarray, np.ndarray, int]:
    """The relevances of the k highest-scored items of each list, in ranked order."""
    scores = as_float_array(scores, "scores")
    relevance = as_float_array(relevance, "relevance")
    check_ndim(scores, "scores", (1, 2), "one list (L,) or N lists (N, L)")
    if relevance.shape != scores.shape:
        raise ValueError(f"relevance must have the shape of scores {scores.shape}; got {relevance.shape}")
    check_finite(scores, "scores")
    check_finite(relevance, "relevance")
    if np.any(relevance < 0):
        raise ValueError(f"relevance must be >= 0; found {relevance[relevance < 0].flat[0]!r}")
    k = check_integer(k, "k")
    n_items = scores.shape[-1]
    if not 1 <= k <= n_items:
        raise ValueError(f"k must be in [1, {n_items}] (the number of items per list), got {k}")
    order = np.argsort(-scores, axis=-1, kind="stable")  # highest first; ties keep list order
    return np.take_along_axis(relevance, order, axis=-1)[..., :k], relevance, int(k)


def _dcg_sorted(ranked: np.ndarray, gain: str) -> np.ndarray:
    if gain not in ("linear", "exponential"):
        raise ValueError(f"gain must be 'linear' or 'exponential', got {gain!r}")
    g = ranked if gain == "linear" else np.expm1(ranked * np.log(2.0))  # 2^rel - 1
    discount = np.log2(np.arange(2, ranked.shape[-1] + 2))
    return (g / discount).sum(axis=-1)


def dcg_at_k(scores, relevance, k: int, gain: str = "linear") -> np.ndarray:
    """Discounted cumulative gain of the top k: rank by ``scores``, then

        DCG@k = sum_{i=1}^{k} g(rel_(i)) / log2(i + 1)

    where rel_(i) is the true relevance of the item ranked i-th (highest score first; ties keep
    the order of the list). ``gain="linear"``: g(r) = r (as sklearn's ``dcg_score``);
    ``"exponential"``: g(r) = 2^r - 1 (stresses highly relevant items; same for 0/1 relevance).
    ``scores``, ``relevance`` (>= 0) of shape (L,) for one list or (N, L) for N lists (one per
    user or query); ``k`` in [1, L]. Returns one value per list (0-d for one list): average
    with ``.mean()``. For relevances already in ranked order, pass scores = -arange(L).
    """
    ranked, _, _ = _top_k_relevance(scores, relevance, k)
    return _dcg_sorted(ranked, gain)


def ndcg_at_k(scores, relevance, k: int, gain: str = "linear") -> np.ndarray:
    """Normalised DCG: NDCG@k = DCG@k / IDCG@k, in [0, 1].

    IDCG@k is the DCG@k of the ideal ranking (relevance sorted from high to low), so NDCG = 1
    when the scores put the items in the order of their relevance. A list with no relevant
    item (IDCG = 0) gets 0, as sklearn's ``ndcg_score``. Arguments and shapes as ``dcg_at_k``.
    """
    ranked, relevance, k = _top_k_relevance(scores, relevance, k)
    dcg = _dcg_sorted(ranked, gain)
    ideal = _dcg_sorted(-np.sort(-relevance, axis=-1)[..., :k], gain)
    ndcg = np.divide(dcg, ideal, out=np.zeros_like(dcg), where=ideal > 0)
    return ndcg[()]  # a numpy scalar for one list, as dcg_at_k


def precision_at_k(scores, relevance, k: int) -> np.ndarray:
    """Precision@k: the fraction of the k highest-scored items that are relevant (relevance > 0).

    Ignores the order within the top k and the grade of relevance. Arguments and shapes as
    ``dcg_at_k``; one value per list, in [0, 1].
    """
    ranked, _, k = _top_k_relevance(scores, relevance, k)
    return (ranked > 0).sum(axis=-1) / k
