"""the conventions every family of lib.losses follows (dtypes, broadcasting, reductions, the notes' numbers), checked against torch."""
from __future__ import annotations

import ast
import inspect
import math
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from conftest import assert_close, t
from lib import losses as L
from losses_harness import Z23, extreme, torch_focal, tt


def torch_vae_kl(mu, log_var):
    q = torch.distributions.Normal(mu, torch.exp(0.5 * log_var))
    prior = torch.distributions.Normal(torch.zeros_like(mu), torch.ones_like(mu))
    return torch.distributions.kl_divergence(q, prior).sum(-1)

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

P2, Y2 = np.array([0.3, 0.6]), np.array([0.0, 1.0])

ROWS = np.array([[0.2, 0.8], [0.5, 0.5]])

EMB = np.ones((2, 3))

BAD_INPUTS = [
    (lambda: L.mse(P2, Y2, reduction="avg"), ValueError, "reduction"),
    (lambda: L.bce_grad(P2, Y2, reduction="total"), ValueError, "reduction"),
    (lambda: L.cross_entropy_grad(Z23, [0, 1], reduction=None), ValueError, "reduction"),
    (lambda: L.mse(np.ones(3), np.ones(4)), ValueError, "pred"),
    (lambda: L.mae(np.ones((2, 3)), np.ones(2)), ValueError, "target"),
    (lambda: L.mse(["a", "b"], Y2), TypeError, "pred"),
    (lambda: L.bce(P2, np.ones(3)), ValueError, "target"),
    (lambda: L.bce([1.2, 0.5], Y2), ValueError, "probs"),
    (lambda: L.bce([np.nan, 0.5], Y2), ValueError, "probs"),
    (lambda: L.bce(P2, [2.0, 0.0]), ValueError, "target"),
    (lambda: L.weighted_bce(P2, [-1.0, 0.0]), ValueError, "target"),
    (lambda: L.weighted_bce(P2, Y2, w_pos=-1.0), ValueError, "w_pos"),
    (lambda: L.weighted_bce_grad(P2, Y2, w_neg=-1.0), ValueError, "w_neg"),
    (lambda: L.bce_with_logits(P2, [0.0, 3.0]), ValueError, "target"),
    (lambda: L.bce_with_logits(P2, Y2, pos_weight=[-1.0, 1.0]), ValueError, "pos_weight"),
    (lambda: L.bce_with_logits(P2, Y2, pos_weight=np.ones(3)), ValueError, "pos_weight"),
    (lambda: L.categorical_cross_entropy([[1.2, -0.2]], [[1.0, 0.0]]), ValueError, "probs"),
    (lambda: L.categorical_cross_entropy(ROWS, [[2.0, 0.0], [1.0, 0.0]]), ValueError, "target"),
    (lambda: L.categorical_cross_entropy(ROWS, [[1.0, 0.0]]), ValueError, "target"),
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
    (lambda: L.multilabel_bce(np.full((2, 3), 0.5), np.ones((2, 1))), ValueError, "target"),
    (lambda: L.multilabel_bce_with_logits(Z23, np.ones((3, 2))), ValueError, "target"),
    (lambda: L.kl_divergence([0.5, 1.5], [0.5, 0.5]), ValueError, "p"),
    (lambda: L.kl_divergence([0.5, 0.5], [0.5, -0.5]), ValueError, "q"),
    (lambda: L.kl_divergence_grad([0.5, 0.5], [0.5, 0.3, 0.2]), ValueError, "q"),
    (lambda: L.focal(P2, Y2, gamma=-1.0), ValueError, "gamma"),
    (lambda: L.focal(P2, Y2, alpha=1.5), ValueError, "alpha"),
    (lambda: L.focal_grad([1.5, 0.2], Y2), ValueError, "probs"),
    (lambda: L.hinge(P2, [0.0, 1.0]), ValueError, "target"),
    (lambda: L.hinge_grad(P2, [2.0, 1.0]), ValueError, "target"),
    (lambda: L.multiclass_hinge(Z23, [0, 1], margin=-1.0), ValueError, "margin"),
    (lambda: L.multiclass_hinge(Z23, [0, 3]), ValueError, "labels"),
    (lambda: L.multiclass_hinge_grad(Z23, [0.5, 1]), TypeError, "labels"),
    (lambda: L.contrastive(P2, Y2, margin=-0.1), ValueError, "margin"),
    (lambda: L.contrastive(P2, [0.5, 1.0]), ValueError, "target"),
    (lambda: L.contrastive([-0.1, 1.0], Y2), ValueError, "d"),
    (lambda: L.triplet(P2, P2, margin=-1.0), ValueError, "margin"),
    (lambda: L.triplet(P2, [-1.0, 0.0]), ValueError, "d_an"),
    (lambda: L.triplet(np.ones(3), P2), ValueError, "d_ap"),
    (lambda: L.info_nce(EMB, EMB, temperature=0.0), ValueError, "temperature"),
    (lambda: L.info_nce(EMB, EMB, temperature=-1.0), ValueError, "temperature"),
    (lambda: L.info_nce(EMB, np.ones((3, 3))), ValueError, "z_j"),
    (lambda: L.info_nce(np.ones(3), np.ones(3)), ValueError, "z_i"),
    (lambda: L.info_nce(np.ones((0, 3)), np.ones((0, 3))), ValueError, "z_i"),
    (lambda: L.cosine_embedding(EMB, EMB, [1.0, 0.0]), ValueError, "target"),
    (lambda: L.cosine_embedding(EMB, EMB, [1.0, 1.0, 1.0]), ValueError, "target"),
    (lambda: L.cosine_embedding(EMB, np.ones((2, 2)), [1.0, 1.0]), ValueError, "x2"),
    (lambda: L.cosine_embedding(EMB, EMB, [1.0, -1.0], margin=1.5), ValueError, "margin"),
    (lambda: L.cosine_embedding(np.ones((1, 2, 3)), np.ones((1, 2, 3)), np.ones((1, 2))), ValueError, "x1"),
    (lambda: L.dice(P2, Y2, smooth=0.0), ValueError, "smooth"),
    (lambda: L.dice([1.5, 0.0], Y2), ValueError, "probs"),
    (lambda: L.jaccard(P2, [0.0, 2.0]), ValueError, "target"),
    (lambda: L.jaccard(P2, np.ones(3)), ValueError, "target"),
    (lambda: L.dice(np.float64(0.5), np.float64(1.0)), ValueError, "probs"),
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

LP = np.log(np.full((4, 2, 3), 1 / 3))

RANKING_CTC_BAD_INPUTS = [
    (lambda: L.margin_ranking(P2, P2, [1.0, 0.0]), ValueError, "target"),
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

def test_integers_and_python_numbers_do_not_promote_float32():
    p = np.array([0.2, 0.9], dtype=np.float32)
    assert L.bce(p, np.array([0, 1])).dtype == np.float32
    assert L.mse(p, 0.0).dtype == np.float32
    assert L.cross_entropy(np.zeros((2, 3), np.float32), [0, 2]).dtype == np.float32
    assert L.info_nce(np.ones((2, 3), np.float32), np.eye(2, 3, dtype=np.float32)).dtype == np.float32
    assert L.smooth_labels(np.eye(3, dtype=np.float32), 0.1).dtype == np.float32
    assert L.mse(np.array([1, 2]), np.array([0, 0])).dtype == np.float64
    assert L.mse(p, np.array([0.0, 0.0])).dtype == np.float64  # a float64 array does promote


def test_td_loss_gradient_ignores_the_target():
    """torch's DQN loss with a detached target: only Q(s, a) receives a gradient."""
    q, q_next = t([1.5, 0.3], True), t([2.0, -1.0], True)
    loss = F.mse_loss(q, (t([1.0, 0.0]) + 0.9 * q_next).detach())
    loss.backward()
    assert q_next.grad is None
    assert_close(L.td_loss(q.detach().numpy(), [1.0, 0.0], [2.0, -1.0], gamma=0.9), loss)
    assert_close(L.mse_grad(q.detach().numpy(), L.td_target([1.0, 0.0], [2.0, -1.0], 0.9)), q.grad)


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


@pytest.mark.parametrize("name", WORKED_EXAMPLES)
def test_worked_example_matches_torch(name):
    lib_value, torch_value = WORKED_EXAMPLES[name]
    assert_close(lib_value(), torch_value())


@pytest.mark.parametrize("name", NOTES_CLAIMS)
def test_notes_claim_agrees_with_lib(name):
    assert _disagreement(name, NOTES_CLAIMS[name]) <= 1 + 1e-9


@pytest.mark.parametrize("name", NOTES_SLIPS)
def test_notes_slip_is_a_slip(name):
    assert _disagreement(name, NOTES_SLIPS[name]) > 1 + 1e-9


def test_notes_first_label_smoothing_example_is_a_slip():
    assert _disagreement("label_smoothing_loss", LABEL_SMOOTHING_FIRST_VERSION) > 1 + 1e-9


@pytest.mark.parametrize("call, error, match", BAD_INPUTS, ids=[f"bad{i}" for i in range(len(BAD_INPUTS))])
def test_bad_input_raises_naming_the_argument(call, error, match):
    with pytest.raises(error, match=match):
        call()


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


@pytest.mark.parametrize("call, error, match", RANKING_CTC_BAD_INPUTS,
                         ids=[f"ranking_ctc_bad{i}" for i in range(len(RANKING_CTC_BAD_INPUTS))])
def test_ranking_and_ctc_reject_bad_input_naming_it(call, error, match):
    with pytest.raises(error, match=match):
        call()


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


# --------------------------------------------------------------------------------------------
# One vocabulary for argument names (lib's docstring): the old one-letter names are gone, and
# still accepted as keywords by the functions that had them
# --------------------------------------------------------------------------------------------
OLD_NAMES = {"p": "probs", "y": "target", "z": "logits", "onehot": "target"}
# named as the notes write them: distributions p and q (D(p || q), W1(p, q)), and a one-hot input
OWN_NAMES = {"kl_divergence", "kl_divergence_grad", "js_divergence", "wasserstein_1d", "smooth_labels"}


def public_losses():
    return [name for name in L.__all__ if callable(getattr(L, name))]


@pytest.mark.parametrize("name", sorted(set(public_losses()) - OWN_NAMES))
def test_arguments_are_named_in_the_vocabulary(name):
    params = list(inspect.signature(getattr(L, name)).parameters)
    assert not set(params) & set(OLD_NAMES), f"{name}{tuple(params)}: name the arguments as lib's docstring says"


RENAMED = [name for name in public_losses() if hasattr(getattr(L, name), "old_argument_names")]


def test_every_renamed_loss_has_inputs_to_try_its_old_names():
    assert sorted(RENAMED) == sorted(CALL_ARGS)


@pytest.mark.parametrize("name", RENAMED)
def test_old_keyword_names_still_work(name):
    fn = getattr(L, name)
    new_kwargs = dict(zip(inspect.signature(fn).parameters, CALL_ARGS[name]))
    old_of = {new: old for old, new in fn.old_argument_names.items()}
    old_kwargs = {old_of.get(key, key): value for key, value in new_kwargs.items()}
    assert old_kwargs.keys() != new_kwargs.keys()
    np.testing.assert_array_equal(fn(**old_kwargs), fn(**new_kwargs))
    old, new = next(iter(fn.old_argument_names.items()))
    with pytest.raises(TypeError, match=f"got '{new}' and its old name '{old}'"):
        fn(**old_kwargs, **{new: new_kwargs[new]})


P3, Y3 = np.array([0.2, 0.7, 0.9]), np.array([0.0, 1.0, 1.0])
S3 = np.array([1.0, -1.0, 1.0])
CALL_ARGS = {
    **{n: (P3, Y3) for n in ("bce", "bce_grad", "weighted_bce", "weighted_bce_grad", "focal", "focal_grad")},
    **{n: (P3 - 0.5, Y3) for n in ("bce_with_logits", "bce_with_logits_grad")},
    **{n: (np.array([[0.2, 0.8]]), np.array([[0.0, 1.0]])) for n in ("categorical_cross_entropy", "categorical_cross_entropy_grad")},
    **{n: (P3[None], Y3[None]) for n in ("multilabel_bce", "multilabel_bce_grad", "dice", "jaccard")},
    "multilabel_bce_with_logits": (P3[None] - 0.5, Y3[None]),
    **{n: (P3, S3) for n in ("hinge", "hinge_grad")},
    "contrastive": (P3, Y3),
    "cosine_embedding": (np.ones((3, 2)), np.eye(3, 2), S3),
    **{n: (P3, Y3, S3) for n in ("margin_ranking", "margin_ranking_grad")},
}


# --------------------------------------------------------------------------------------------
# Every loss has its gradient tested against torch autograd, or its docstring says why it has none
# --------------------------------------------------------------------------------------------
HERE = Path(__file__).parent


def autograd_tested() -> set[str]:
    """The lib.losses functions that a test of this folder checks against torch autograd: the
    ``grad`` of a ``CASES`` entry (``case_tests`` runs autograd on it), or a function a test
    names (itself, in its decorators, or through a table it uses) when that test calls
    ``.backward()``."""
    found = set()
    for path in sorted(HERE.glob("test_*.py")):
        tree = ast.parse(path.read_text())
        uses_case_tests = "case_tests(CASES)" in path.read_text()

        def lib_names(node) -> set[str]:
            return {n.attr for n in ast.walk(node) if isinstance(n, ast.Attribute)
                    and isinstance(n.value, ast.Name) and n.value.id == "L"}

        tables = {}
        for node in tree.body:
            if isinstance(node, (ast.Assign, ast.AnnAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    if isinstance(target, ast.Name):
                        tables[target.id] = lib_names(node)
                        if target.id == "CASES" and uses_case_tests:
                            found |= {name for name in tables["CASES"] if name.endswith("_grad")}
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
                calls_backward = any(isinstance(n, ast.Attribute) and n.attr == "backward" for n in ast.walk(node))
                if calls_backward:
                    used = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
                    found |= lib_names(node) | set().union(*(tables[u] for u in used if u in tables))
    return found


def test_every_grad_is_tested_against_torch_autograd():
    grads = {name for name in public_losses() if name.endswith("_grad")}
    assert grads - autograd_tested() == set()


@pytest.mark.parametrize("name", [n for n in public_losses() if "reduction" in inspect.signature(getattr(L, n)).parameters
                                  and not n.endswith("_grad")])
def test_every_loss_has_a_grad_or_says_why_not(name):
    if f"{name}_grad" not in L.__all__:
        assert "No ``_grad``" in getattr(L, name).__doc__, f"{name}: give it a _grad or say in its docstring why not"
