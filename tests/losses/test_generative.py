"""lib.losses.generative against torch (float64), torch autograd and finite differences."""
from __future__ import annotations

from functools import partial

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from conftest import assert_close, t
from lib import losses as L
from losses_harness import N, REDUCTIONS, bits, Case, case_tests, treduce, unit_probs


def _torch_w1_by_sorting(p_counts: np.ndarray, q_counts: np.ndarray, x: np.ndarray) -> float:
    """W1 of two empirical distributions with equal sample counts: match sorted samples."""
    xs = torch.sort(t(np.repeat(x, p_counts))).values
    ys = torch.sort(t(np.repeat(x, q_counts))).values
    return float((xs - ys).abs().mean())

def _torch_critic_grads(rng, n=6, shape=(3,)):
    """Gradients of a small tanh critic at random interpolates, and torch's penalty per sample."""
    torch.manual_seed(0)
    critic = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(int(np.prod(shape)), 5),
                                 torch.nn.Tanh(), torch.nn.Linear(5, 1)).double()
    real, fake = t(rng.normal(size=(n, *shape))), t(rng.normal(size=(n, *shape)))
    eps = t(rng.uniform(size=(n,) + (1,) * len(shape)))
    x_hat = (eps * real + (1 - eps) * fake).requires_grad_(True)
    (grads,) = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)
    per_sample = (grads.flatten(1).norm(2, dim=1) - 1) ** 2
    return grads, per_sample


def torch_vae_kl(mu, log_var):
    q = torch.distributions.Normal(mu, torch.exp(0.5 * log_var))
    prior = torch.distributions.Normal(torch.zeros_like(mu), torch.ones_like(mu))
    return torch.distributions.kl_divergence(q, prior).sum(-1)


CASES: dict[str, Case] = {
    "gan_discriminator": Case(
        lambda r: (unit_probs(r, N), unit_probs(r, N)), L.gan_discriminator,
        lambda dr, df, red: F.binary_cross_entropy(dr, torch.ones_like(dr), reduction=red)
        + F.binary_cross_entropy(df, torch.zeros_like(df), reduction=red)),
    "gan_generator": Case(lambda r: (unit_probs(r, N),), L.gan_generator,
                          lambda df, red: F.binary_cross_entropy(df, torch.ones_like(df), reduction=red)),
    "wasserstein_critic": Case(lambda r: (r.normal(size=N), r.normal(size=N)), L.wasserstein_critic,
                               lambda cr, cf, red: treduce(cf, red) - treduce(cr, red)),
    "wasserstein_generator": Case(lambda r: (r.normal(size=N),), L.wasserstein_generator,
                                  lambda cf, red: treduce(-cf, red)),
    "vae_kl": Case(lambda r: (r.normal(size=(N, 3)), r.normal(size=(N, 3))), L.vae_kl,
                   lambda mu, lv, red: treduce(torch_vae_kl(mu, lv), red)),
    "vae_loss_mse": Case(
        lambda r: (r.normal(size=(N, 2, 3)), r.normal(size=(N, 2, 3)), r.normal(size=(N, 3)),
                   r.normal(size=(N, 3))),
        partial(L.vae_loss, beta=2.0),
        lambda xr, x, mu, lv, red: treduce(
            F.mse_loss(xr, x, reduction="none").sum((1, 2)) + 2.0 * torch_vae_kl(mu, lv), red)),
    "vae_loss_bce": Case(
        lambda r: (unit_probs(r, (N, 6)), bits(r, (N, 6)), r.normal(size=(N, 3)), r.normal(size=(N, 3))),
        partial(L.vae_loss, recon="bce"),
        lambda xr, x, mu, lv, red: treduce(
            F.binary_cross_entropy(xr, x, reduction="none").sum(1) + torch_vae_kl(mu, lv), red)),
    "diffusion_loss": Case(lambda r: (r.normal(size=(N, 3)), r.normal(size=(N, 3))), L.diffusion_loss,
                           lambda a, b, red: F.mse_loss(a, b, reduction=red)),
}
globals().update(case_tests(CASES))  # values, dtypes and gradients vs torch: losses_harness


def test_vae_loss_sum_is_the_notes_code(rng):
    """The notes' vae_loss (BCE with reduction='sum' + summed KL) is our reduction='sum'."""
    xr, x = unit_probs(rng, (3, 5)), bits(rng, (3, 5))
    mu, log_var = t(rng.normal(size=(3, 2))), t(rng.normal(size=(3, 2)))
    recon_loss = F.binary_cross_entropy(t(xr), t(x), reduction="sum")
    kl_loss = -0.5 * torch.sum(1 + log_var - mu.pow(2) - log_var.exp())
    actual = L.vae_loss(xr, x, mu.numpy(), log_var.numpy(), recon="bce", reduction="sum")
    assert_close(actual, recon_loss + kl_loss)
    assert_close(L.vae_kl(mu.numpy(), log_var.numpy(), "sum"), kl_loss)


def test_notes_generator_example_is_not_the_minimax_form():
    """The notes label -log D(G(z)) "minimax"; the minimax generator minimises log(1 - D(G(z)))."""
    minimax = torch.log(1 - t(0.2))
    assert abs(float(L.gan_generator(0.2)) - float(minimax)) > 1
    assert_close(L.gan_generator(0.2), -torch.log(t(0.2)))


@pytest.mark.parametrize("seed", range(5))
def test_wasserstein_1d_matches_matching_sorted_samples(seed):
    rng = np.random.default_rng(seed)
    x = np.sort(rng.choice(np.linspace(-3, 3, 61), size=7, replace=False))
    n = 40
    p_counts, q_counts = rng.multinomial(n, np.ones(7) / 7), rng.multinomial(n, np.ones(7) / 7)
    assert_close(L.wasserstein_1d(p_counts / n, q_counts / n, x), _torch_w1_by_sorting(p_counts, q_counts, x))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_wasserstein_1d_of_a_shift_is_the_shift(reduction):
    x = np.arange(10.0)
    p = np.array([[0.2, 0.5, 0.3] + [0.0] * 7, [0.0, 0.5, 0.5] + [0.0] * 7])
    q = np.stack([np.roll(p[0], 4), np.roll(p[1], 6)])
    expected = {"none": [4.0, 6.0], "mean": 5.0, "sum": 10.0}[reduction]
    assert_close(L.wasserstein_1d(p, q, x, reduction), expected)
    assert_close(L.wasserstein_1d(q, p, x, reduction), expected)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(3,), (2, 3)])
def test_gradient_penalty_matches_torch_autograd_penalty(reduction, shape, rng):
    grads, per_sample = _torch_critic_grads(rng, shape=shape)
    assert_close(L.gradient_penalty(grads.detach().numpy(), lam=10.0, reduction=reduction),
                 treduce(10.0 * per_sample, reduction))


def test_gradient_penalty_is_zero_for_unit_norm_gradients_and_scales_with_lam(rng):
    g = rng.normal(size=(4, 3))
    unit = g / np.linalg.norm(g, axis=1, keepdims=True)
    assert_close(L.gradient_penalty(unit, lam=10.0, reduction="none"), np.zeros(4))
    assert_close(L.gradient_penalty(g, lam=2.5), 0.25 * L.gradient_penalty(g, lam=10.0))
    assert_close(L.gradient_penalty(np.zeros((2, 3)), lam=1.0), 1.0)


@pytest.mark.parametrize("support", [[0.0, np.nan], [0.0, np.inf], [-np.inf, 0.0], [np.nan, np.nan]])
def test_wasserstein_1d_rejects_a_support_with_nan_or_infinity(support):
    # NaN slipped through the "increasing" check (NaN <= 0 is False) and gave a NaN distance
    with pytest.raises(ValueError, match="support must be finite"):
        L.wasserstein_1d([0.5, 0.5], [0.5, 0.5], support)
