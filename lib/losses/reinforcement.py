"""Reinforcement-learning losses: TD targets, policy gradients, actor-critic, PPO (page
*Reinforcement-learning losses*).

The conventions every loss follows are stated once, in ``lib.losses``.
"""
from __future__ import annotations

import numpy as np

from lib._checks import as_real, check_binary, check_in_range, check_nonnegative, check_probabilities, reduce
from lib.losses._common import ArrayLike, PROB_EPS, _arrays, _broadcast_pair

__all__ = ["td_target", "td_loss", "policy_gradient", "actor_critic", "ppo_clip"]


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
    gamma = as_real(gamma, "gamma")
    check_in_range(gamma, "gamma", 0.0, 1.0)
    reward, q_next_max = arrays[:2]
    not_done = 1
    if done is not None:
        check_binary(arrays[2], "done")
        not_done = 1 - arrays[2]
    return reward + gamma * not_done * q_next_max


def td_loss(q_sa: ArrayLike, reward: ArrayLike, q_next_max: ArrayLike, gamma: float = 0.99,
            done: ArrayLike | None = None, reduction: str = "mean") -> np.ndarray:
    """Squared TD error of Q-learning / DQN: (r + gamma (1 - done) max Q(s', .) - Q(s, a))^2.

    No factor 1/2 (the notes' form; with 1/2 the gradient is the bare TD error). The target
    (``td_target``) is treated as a constant: the loss is a function of ``q_sa`` only.
    ``"mean"`` averages over transitions (``F.mse_loss(q_sa, target.detach())``).

    No ``_grad`` of its own: with the target held fixed (as DQN) its gradient with respect to ``q``
    is ``mse_grad(q, td_target(...))``.
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

    No ``_grad``: evaluated only (see *Gradients* in ``lib.losses``).
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

    No ``_grad``: evaluated only (see *Gradients* in ``lib.losses``).
    """
    pi_a, advantage, value, returns, entropy = _broadcast_pair(
        pi_a=pi_a, advantage=advantage, value=value, returns=returns, entropy=entropy
    )
    check_probabilities(pi_a, "pi_a")
    c, beta = as_real(c, "c"), as_real(beta, "beta")
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

    No ``_grad``: evaluated only (see *Gradients* in ``lib.losses``).
    """
    ratio, advantage = _broadcast_pair(ratio=ratio, advantage=advantage)
    check_nonnegative(ratio, "ratio")
    eps = as_real(eps, "eps")
    check_in_range(eps, "eps", 0.0, 1.0, high_open=True)
    clipped = np.clip(ratio, 1 - eps, 1 + eps)
    return reduce(-np.minimum(ratio * advantage, clipped * advantage), reduction)
