"""Ranking losses: pairs and lists of scores (page *Margin and metric learning*, ranking section).

The conventions every loss follows are stated once, in ``lib.losses``.
"""
from __future__ import annotations

import numpy as np

from lib._checks import as_nonnegative, check_binary, check_same_shape, old_argument_names, reduce
from lib._checks import reduce_grad
from lib.activations import log_softmax, sigmoid, softmax, softplus
from lib.losses._common import ArrayLike, _arrays, _broadcast_pair, _check_class_axis
from lib.losses._common import _elementwise_grad

__all__ = ["margin_ranking", "margin_ranking_grad", "bpr", "bpr_grad", "listnet", "listnet_grad"]


def _ranking_pair(x1, x2, target):
    x1, x2, target = _broadcast_pair(x1=x1, x2=x2, target=target)
    check_binary(target, "target", (-1.0, 1.0))
    return x1, x2, target


@old_argument_names(y="target")
def margin_ranking(
    x1: ArrayLike, x2: ArrayLike, target: ArrayLike, margin: float = 0.0, reduction: str = "mean"
) -> np.ndarray:
    """Pairwise margin ranking loss, as ``F.margin_ranking_loss``:

        l_i = max(0, -y_i (x1_i - x2_i) + margin)

    ``x1``, ``x2`` raw scores of two items; ``y_i = +1`` says x1_i should be ranked above x2_i,
    ``y_i = -1`` the reverse; ``margin >= 0`` (torch's default 0). The loss is zero once the
    right score leads by at least ``margin``. With x1 the score of a preferred item, x2 that of
    a less preferred one and y = 1, it is a hinge on the score difference:
    max(0, margin - (x1 - x2)). Shapes broadcast; ``"mean"`` averages over pairs.
    """
    x1, x2, target = _ranking_pair(x1, x2, target)
    margin = as_nonnegative(margin, "margin")
    return reduce(np.maximum(0, -target * (x1 - x2) + margin), reduction)


@old_argument_names(y="target")
def margin_ranking_grad(
    x1: ArrayLike, x2: ArrayLike, target: ArrayLike, margin: float = 0.0, reduction: str = "mean"
) -> np.ndarray:
    """d margin_ranking / d x1 = -y where -y (x1 - x2) + margin > 0, else 0 (0 at the kink).

    The derivative with respect to x2 is the negative of this (when x1 and x2 have one shape).
    """
    x1, x2, target = _ranking_pair(x1, x2, target)
    margin = as_nonnegative(margin, "margin")
    active = -target * (x1 - x2) + margin > 0
    return _elementwise_grad(np.where(active, -target, 0.0), reduction, x1.shape)


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
