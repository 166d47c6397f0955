"""Losses of generative models: GANs, Wasserstein critics, VAEs, diffusion (page *Generative
losses*).

The conventions every loss follows are stated once, in ``lib.losses``.
"""
from __future__ import annotations

import numpy as np

from lib._checks import as_real, broadcast_shapes, check_ndim, check_nonnegative
from lib._checks import check_probabilities, check_same_shape, reduce
from lib.losses._common import ArrayLike, _arrays, _broadcast_pair, _check_class_axis, _clip_prob
from lib.losses.classification import _distribution_pair, bce

__all__ = [
    "gan_discriminator", "gan_generator", "wasserstein_critic", "wasserstein_generator",
    "wasserstein_1d", "gradient_penalty", "vae_kl", "vae_loss", "diffusion_loss"
]


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

    No ``_grad``: evaluated only (see *Gradients* in ``lib.losses``).
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

    No ``_grad``: evaluated only (see *Gradients* in ``lib.losses``).
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

    No ``_grad``: evaluated only (see *Gradients* in ``lib.losses``).
    """
    c_real, c_fake = _arrays(c_real=c_real, c_fake=c_fake)
    if reduction == "none":
        broadcast_shapes(c_real=c_real, c_fake=c_fake)
    return reduce(c_fake, reduction) - reduce(c_real, reduction)


def wasserstein_generator(c_fake: ArrayLike, reduction: str = "mean") -> np.ndarray:
    """WGAN generator loss: -mean C(G(z)) (``"none"``: -C(G(z)) per sample).

    No ``_grad``: evaluated only (see *Gradients* in ``lib.losses``).
    """
    (c_fake,) = _arrays(c_fake=c_fake)
    return reduce(-c_fake, reduction)


def wasserstein_1d(p: ArrayLike, q: ArrayLike, support: ArrayLike, reduction: str = "mean") -> np.ndarray:
    """Wasserstein-1 (earth mover's) distance between distributions on the same 1-D points:

        W1(p, q) = sum_i |F_p(x_i) - F_q(x_i)| (x_{i+1} - x_i),   F = cumulative sum of p or q

    the least total "mass times distance" needed to move the pile of probability p onto q.
    ``support`` holds the points x_1 < x_2 < ... < x_C (shape (C,), finite, strictly increasing);
    ``p`` and ``q`` the probabilities at these points, same shape (..., C), entries in [0, 1],
    each distribution summing to 1. ``"none"`` is one distance per pair, ``"mean"`` averages.

    No ``_grad``: evaluated only (see *Gradients* in ``lib.losses``).
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

    No ``_grad``: evaluated only (see *Gradients* in ``lib.losses``).
    """
    (g,) = _arrays(critic_grads=critic_grads)
    if g.ndim < 1 or g.shape[0] < 1:
        raise ValueError(f"critic_grads must have shape (N, ...) with N >= 1; got {g.shape}")
    lam = as_real(lam, "lam")
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

    No ``_grad``: evaluated only (see *Gradients* in ``lib.losses``).
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

    No ``_grad``: evaluated only (see *Gradients* in ``lib.losses``).
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
    beta = as_real(beta, "beta")
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

    No ``_grad`` of its own: it is ``mse(eps_pred, eps)``, whose gradient is ``mse_grad``.
    """
    eps_pred, eps = _broadcast_pair(eps_pred=eps_pred, eps=eps)
    return reduce((eps_pred - eps) ** 2, reduction)
