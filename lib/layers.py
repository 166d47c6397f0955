"""Layers that sit between a network's linear maps: dropout and normalisation, in numpy.

Each is a pair of functions, a forward pass and its backward pass, with the conventions of
``torch.nn.functional``:

* ``dropout`` / ``dropout_backward``: inverted dropout (``torch.nn.functional.dropout``); the
  forward pass returns the mask, which the backward pass needs. ``lib.mlp.MLP`` uses it for its
  ``dropout`` rate.
* ``batch_norm`` / ``batch_norm_backward``: statistics of each feature over the batch, running
  averages for evaluation (``torch.nn.BatchNorm1d``); ``layer_norm`` / ``layer_norm_backward``:
  statistics of each sample over its features (``torch.nn.LayerNorm``). Each forward pass returns
  ``(out, cache)`` for its backward pass. See the book's page on vanishing gradients.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from lib._checks import as_finite_float64, as_flag, as_float_array, as_generator, as_positive
from lib._checks import as_real, check_dropout_rate, check_finite, check_in_range, check_ndim

__all__ = [
    "dropout", "dropout_backward",
    "NormCache", "batch_norm", "batch_norm_backward", "layer_norm", "layer_norm_backward",
]


def dropout(
    x, p: float, rng: np.random.Generator | int | None = None, training: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Inverted dropout: ``(x * mask, mask)``, with ``mask`` of the shape of ``x``.

    In training each entry is kept with probability ``1 - p`` and scaled up::

        mask_i = B_i / (1 - p),   B_i ~ Bernoulli(1 - p) independently,   out = x * mask,

    so every output entry is either 0 or ``x_i / (1 - p)`` (``torch.nn.functional.dropout``) and
    ``E[out] = x``: nothing needs rescaling at evaluation. With ``training=False`` (or ``p = 0``)
    the mask is all ones and ``out`` equals ``x``. The backward pass is ``dropout_backward``.
    ``p`` must be in [0, 1); ``rng`` is a ``np.random.Generator`` (used and advanced), an int seed
    or ``None`` (unused at evaluation). float32 in gives float32 out.
    """
    p = check_dropout_rate(p)
    x = as_float_array(x, "x")
    if not as_flag(training, "training") or p == 0:
        return x.copy(), np.ones_like(x)
    keep = as_generator(rng).random(x.shape) < 1.0 - p
    mask = (keep / (1.0 - p)).astype(x.dtype)
    return x * mask, mask


def dropout_backward(grad_out, mask) -> np.ndarray:
    """The gradient through dropout: ``dL/dx = dL/d(out) * mask`` (the mask of the forward pass).

    ``out = x * mask`` is linear in ``x`` with the mask held fixed, so the dropped entries pass no
    gradient and the kept ones pass it scaled by ``1 / (1 - p)``. Shapes must be equal.
    """
    g = as_float_array(grad_out, "grad_out")
    m = as_float_array(mask, "mask")
    if g.shape != m.shape:
        raise ValueError(f"grad_out has shape {g.shape} but mask has shape {m.shape}; they must be equal")
    return g * m


class NormCache(NamedTuple):
    """What ``batch_norm`` and ``layer_norm`` keep for their backward pass.

    ``x_hat`` is the standardised input, ``inv_std = 1 / sqrt(var + eps)`` (broadcastable to
    ``x_hat``), ``gamma`` the scale used, ``axis`` the axis the statistics were taken over, and
    ``fixed_stats`` is True when the mean and variance were constants (batch norm at evaluation,
    with the running statistics), so that no gradient flows through them.
    """

    x_hat: np.ndarray
    inv_std: np.ndarray
    gamma: np.ndarray
    axis: int
    fixed_stats: bool


def _check_affine(gamma, beta, n: int, what: str) -> tuple[np.ndarray, np.ndarray]:
    """``gamma`` and ``beta``: finite 1-D arrays of length ``n`` (one per normalised feature)."""
    out = []
    for name, v in (("gamma", gamma), ("beta", beta)):
        arr = as_float_array(v, name)
        check_finite(arr, name)
        if arr.shape != (n,):
            raise ValueError(f"{name} must have shape ({n},), one value per {what}; got shape {arr.shape}")
        out.append(arr)
    return out[0], out[1]


def _check_running(arr, name: str, n: int) -> np.ndarray:
    if not isinstance(arr, np.ndarray) or arr.dtype not in (np.float32, np.float64):
        raise TypeError(
            f"{name} must be a float32/float64 numpy array of shape ({n},) (it is updated in "
            f"place), got {type(arr).__name__}"
        )
    if arr.shape != (n,):
        raise ValueError(f"{name} must have shape ({n},), one value per feature; got shape {arr.shape}")
    if not arr.flags.writeable:
        raise TypeError(f"{name} must be writable (batch_norm updates it in place in training)")
    check_finite(arr, name)
    return arr


def batch_norm(
    x,
    gamma,
    beta,
    eps: float = 1e-5,
    *,
    training: bool = True,
    running_mean: np.ndarray | None = None,
    running_var: np.ndarray | None = None,
    momentum: float = 0.1,
) -> tuple[np.ndarray, NormCache]:
    """Batch normalisation of ``x`` (shape ``(N, C)``): ``(out, cache)``, ``out`` of shape ``(N, C)``.

    Each feature (column) ``j`` is standardised with statistics taken **over the batch** (axis 0),
    then scaled and shifted by the learned ``gamma``, ``beta`` (shape ``(C,)``)::

        mu_j = mean_i x_ij,   var_j = mean_i (x_ij - mu_j)^2          (biased variance)
        x_hat_ij = (x_ij - mu_j) / sqrt(var_j + eps),   out_ij = gamma_j x_hat_ij + beta_j

    This is ``torch.nn.functional.batch_norm(x, running_mean, running_var, gamma, beta,
    training, momentum, eps)``:

    * ``training=True`` uses the batch statistics (needs ``N >= 2``). If ``running_mean`` and
      ``running_var`` are given (both or neither), they are **updated in place**, as torch does::

          running_mean <- (1 - momentum) running_mean + momentum mu
          running_var  <- (1 - momentum) running_var  + momentum var * N / (N - 1)

      Note the ``N / (N - 1)``: torch normalises with the biased variance but stores the
      *unbiased* one in ``running_var``.
    * ``training=False`` (evaluation) uses ``running_mean`` and ``running_var`` (required) in place
      of ``mu`` and ``var`` and changes nothing, so each sample's output no longer depends on the
      rest of the batch.

    The backward pass is ``batch_norm_backward(grad_out, cache)``.
    """
    eps = as_positive(eps, "eps")
    x = as_finite_float64(x, "x")
    check_ndim(x, "x", 2, "shape (N, C): one sample per row, one feature per column")
    n, c = x.shape
    gamma, beta = _check_affine(gamma, beta, c, "feature (column of x)")
    if (running_mean is None) != (running_var is None):
        raise ValueError("give both running_mean and running_var, or neither")
    if running_mean is not None:
        running_mean = _check_running(running_mean, "running_mean", c)
        running_var = _check_running(running_var, "running_var", c)
    momentum = as_real(momentum, "momentum")
    check_in_range(momentum, "momentum", 0, 1)
    if as_flag(training, "training"):
        if n < 2:
            raise ValueError(
                f"batch norm in training needs more than 1 sample per feature to estimate a "
                f"variance; x has shape {x.shape}"
            )
        mu = x.mean(axis=0)
        var = x.var(axis=0)  # biased: divides by N
        if running_mean is not None:
            running_mean *= 1 - momentum
            running_mean += momentum * mu
            running_var *= 1 - momentum
            running_var += momentum * var * n / (n - 1)
    else:
        if running_mean is None:
            raise ValueError(
                "batch norm in evaluation (training=False) normalises with running_mean and "
                "running_var; pass them"
            )
        if np.any(running_var < 0):
            raise ValueError("running_var must be >= 0 (it is a variance)")
        mu, var = running_mean.astype(np.float64), running_var.astype(np.float64)
    inv_std = 1.0 / np.sqrt(var + eps)
    x_hat = (x - mu) * inv_std
    return gamma * x_hat + beta, NormCache(x_hat, inv_std, gamma, 0, not training)


def layer_norm(x, gamma, beta, eps: float = 1e-5) -> tuple[np.ndarray, NormCache]:
    """Layer normalisation of ``x`` (shape ``(..., D)``): ``(out, cache)``, ``out`` of the shape of ``x``.

    Each sample (each row) is standardised with statistics taken **over its own D features**
    (the last axis), then scaled and shifted by ``gamma``, ``beta`` (shape ``(D,)``)::

        mu_i = mean_j x_ij,   var_i = mean_j (x_ij - mu_i)^2           (biased variance)
        out_ij = gamma_j (x_ij - mu_i) / sqrt(var_i + eps) + beta_j

    ``torch.nn.functional.layer_norm(x, (D,), gamma, beta, eps)``. Unlike ``batch_norm`` it
    uses no batch statistics, so it behaves the same in training and evaluation and keeps no
    running averages. The backward pass is ``layer_norm_backward(grad_out, cache)``.
    """
    eps = as_positive(eps, "eps")
    x = as_finite_float64(x, "x")
    if x.ndim < 1 or x.shape[-1] < 1:
        raise ValueError(f"x must have at least one feature on its last axis; got shape {x.shape}")
    gamma, beta = _check_affine(gamma, beta, x.shape[-1], "feature (entry of the last axis of x)")
    mu = x.mean(axis=-1, keepdims=True)
    var = x.var(axis=-1, keepdims=True)  # biased: divides by D
    inv_std = 1.0 / np.sqrt(var + eps)
    x_hat = (x - mu) * inv_std
    return gamma * x_hat + beta, NormCache(x_hat, inv_std, gamma, -1, False)


def _norm_backward(grad_out, cache: NormCache) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if not isinstance(cache, NormCache):
        raise TypeError(
            f"cache must be the NormCache returned by the forward pass, got {type(cache).__name__}"
        )
    g = as_finite_float64(grad_out, "grad_out")
    if g.shape != cache.x_hat.shape:
        raise ValueError(
            f"grad_out has shape {g.shape} but the forward output had shape {cache.x_hat.shape}; "
            f"they must be equal"
        )
    x_hat, inv_std, axis = cache.x_hat, cache.inv_std, cache.axis
    param_axes = tuple(range(g.ndim - 1))  # gamma and beta are shared by every row
    dgamma = (g * x_hat).sum(axis=param_axes)
    dbeta = g.sum(axis=param_axes)
    d_xhat = g * cache.gamma
    if cache.fixed_stats:
        return d_xhat * inv_std, dgamma, dbeta
    mean_d = d_xhat.mean(axis=axis, keepdims=True)
    mean_dx = (d_xhat * x_hat).mean(axis=axis, keepdims=True)
    return inv_std * (d_xhat - mean_d - x_hat * mean_dx), dgamma, dbeta


def batch_norm_backward(grad_out, cache: NormCache) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The gradients ``(dL/dx, dL/dgamma, dL/dbeta)`` of batch norm, from ``dL/d(out)`` (shape ``(N, C)``).

    With ``d = grad_out * gamma`` (the gradient with respect to ``x_hat``), in training, where
    ``mu`` and ``var`` depend on every sample of the batch (means over axis 0)::

        dL/dx = (d - mean_i d - x_hat * mean_i(d * x_hat)) / sqrt(var + eps)
        dL/dgamma = sum_i grad_out * x_hat,      dL/dbeta = sum_i grad_out

    The two subtracted means are the paths through ``mu`` and ``var``. In evaluation the
    statistics are constants and ``dL/dx = d / sqrt(running_var + eps)``.
    ``cache`` is the second result of ``batch_norm``; shapes are those of ``x``, ``(C,)``, ``(C,)``.
    """
    return _norm_backward(grad_out, cache)


def layer_norm_backward(grad_out, cache: NormCache) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The gradients ``(dL/dx, dL/dgamma, dL/dbeta)`` of layer norm, from ``dL/d(out)`` (shape ``(..., D)``).

    The formula of ``batch_norm_backward`` with the means taken over each sample's features (the
    last axis) instead of over the batch; ``dL/dgamma`` and ``dL/dbeta`` (shape ``(D,)``) sum over
    all the other axes. ``cache`` is the second result of ``layer_norm``.
    """
    return _norm_backward(grad_out, cache)
