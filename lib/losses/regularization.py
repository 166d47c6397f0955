"""Regularization terms added to a loss: L1, L2, elastic net, orthogonality, spectral norm (page
*Regularization terms*).

The conventions every loss follows are stated once, in ``lib.losses``.
"""
from __future__ import annotations

import numpy as np

from lib._checks import as_float_array, as_generator, as_real, check_integer, check_ndim
from lib._checks import check_nonnegative, result_dtype
from lib.losses._common import ArrayLike, Weights

__all__ = [
    "l1_penalty", "l1_penalty_grad", "l2_penalty", "l2_penalty_grad", "elastic_net",
    "elastic_net_grad", "orthogonality_penalty", "orthogonality_penalty_grad", "spectral_norm"
]


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
    lam = as_real(lam, name)
    check_nonnegative(lam, name)
    dtype = result_dtype(*arrays)
    return np.asarray(lam * sum(float(term(a).sum()) for a in arrays), dtype=dtype)[()]


def _penalty_grad(w, lam: float, name: str, term_grad) -> Weights:
    arrays, is_list = _weight_list(w)
    lam = as_real(lam, name)
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
    lam = as_real(lam, "lam")
    check_nonnegative(lam, "lam")
    G = W.T @ W - np.eye(W.shape[1], dtype=W.dtype)
    return np.asarray(lam * np.sum(G * G), dtype=W.dtype)[()]


def orthogonality_penalty_grad(W: ArrayLike, lam: float) -> np.ndarray:
    """4 lam W (W^T W - I), shape of ``W``."""
    W = _weight_matrix(W)
    lam = as_real(lam, "lam")
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
    n_iter = check_integer(n_iter, "n_iter", minimum=1)
    v = as_generator(rng).standard_normal(W.shape[1])
    v /= np.linalg.norm(v)
    for _ in range(n_iter):
        u = W @ v
        if not np.any(u):
            return 0.0
        u /= np.linalg.norm(u)
        v = W.T @ u
        v /= np.linalg.norm(v)
    return float(np.linalg.norm(W @ v))
