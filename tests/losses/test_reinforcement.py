"""lib.losses.reinforcement against torch (float64), torch autograd and finite differences."""
from __future__ import annotations

from functools import partial

import numpy as np
import torch
import torch.nn.functional as F

from conftest import assert_close, t
from lib import losses as L
from losses_harness import N, bits, Case, case_tests, labels, simplex, treduce, tt, unit_probs


CASES: dict[str, Case] = {
    "td_loss": Case(
        lambda r: (r.normal(size=N), r.normal(size=N), r.normal(size=N), 0.9, bits(r, N)), L.td_loss,
        lambda q, rew, qn, g, done, red: F.mse_loss(q, (rew + g * (1 - done) * qn).detach(), reduction=red), scalar_at=(3,)),
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
globals().update(case_tests(CASES))  # values, dtypes and gradients vs torch: losses_harness


def test_td_target_and_terminal_transitions():
    reward, q_next = np.array([1.0, 1.0]), np.array([2.0, 2.0])
    assert_close(L.td_target(reward, q_next, 0.9, done=np.array([False, True])), [2.8, 1.0])
    assert_close(L.td_target(reward, q_next, 0.9), [2.8, 2.8])


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
