"""A multilayer perceptron of any depth, with its forward and backward pass, in numpy.

Conventions of this module:

* **Layout.** Samples are rows. A network with layer sizes ``(n_0, n_1, ..., n_L)`` has ``L``
  layers; layer ``l`` (1-based in the formulas, ``l - 1`` in the Python lists) holds a weight
  matrix ``W_l`` of shape ``(n_{l-1}, n_l)`` and a bias ``b_l`` of shape ``(n_l,)``, and maps

      z_l = a_{l-1} @ W_l + b_l,        a_l = f_l(z_l),        a_0 = X  (shape (N, n_0)),

  so ``W_l[i, j]`` is the weight from unit ``i`` of layer ``l - 1`` to unit ``j`` of layer ``l``
  (the layout of ``lib.network.TwoLayerNet``; torch's ``nn.Linear`` stores the transpose).
  ``f_l`` is the ``hidden`` activation for ``l < L`` and the ``output`` activation for ``l = L``;
  both are looked up by name in ``lib.activations`` (``get(name)``), with their default
  parameters (Leaky ReLU slope 0.01, ELU alpha 1, Swish beta 1).
* **Losses** come from ``lib.losses`` with ``reduction="mean"`` (the mean over every entry of the
  ``(N, n_L)`` output, as torch's default):

  - ``"mse"``: ``L = mse(a_L, Y)``; the output error is ``delta_L = mse_grad(a_L, Y) * f_L'(z_L)``.
  - ``"bce"``: needs ``output="sigmoid"``; ``L = bce_with_logits(z_L, Y)`` on the logits, and
    ``delta_L = bce_with_logits_grad(z_L, Y) = (sigma(z_L) - Y) / (N n_L)``: the sigmoid's
    derivative cancels, which is both exact and numerically stable.

* **Backward pass** (the chain rule, layer by layer, ``delta_l = dL/dz_l`` of shape ``(N, n_l)``)::

      dW_l = a_{l-1}^T @ delta_l              (n_{l-1}, n_l)
      db_l = sum over rows of delta_l         (n_l,)
      delta_{l-1} = (delta_l @ W_l^T) * f'(z_{l-1})

* **Dropout** (optional, ``dropout=p`` in ``forward``, ``gradients`` and ``fit``; default 0, no
  dropout) zeroes each hidden activation with probability ``p`` during training and scales the
  kept ones by ``1 / (1 - p)`` ("inverted" dropout, as ``torch.nn.Dropout``): the mask ``m_l`` of
  hidden layer ``l`` multiplies ``a_l``, and the backward pass multiplies ``delta_l`` by the same
  mask, ``delta_{l-1} = (delta_l @ W_l^T) * f'(z_{l-1}) * m_{l-1}``. The input and output layers
  are never dropped, and ``loss``/``predict`` never drop (evaluation). See ``dropout``.
* **Normalisation layers** are stand-alone functions, not part of ``MLP``: ``batch_norm`` (statistics
  of each feature over the batch, running averages for evaluation, as ``torch.nn.BatchNorm1d``)
  and ``layer_norm`` (statistics of each sample over its features, ``torch.nn.LayerNorm``), each
  returning ``(out, cache)`` for its ``*_backward``. See the book's page on vanishing gradients.
* **dtype.** Parameters, inputs and every result are float64 (the network is a teaching and
  experiment tool; float64 makes the comparisons with torch and finite differences tight).
  The network owns copies of the arrays it is given; ``parameters()`` returns them by reference,
  so an optimizer from ``lib.optim`` built on them updates the network in place.
"""
from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from lib import activations as _act
from lib import losses as _losses
from lib._checks import (
    as_float_array,
    as_generator,
    check_finite,
    check_ndim,
    check_positive,
    check_probabilities,
)
from lib.optim import minibatches

__all__ = [
    "MLP", "LOSSES", "INITS", "dropout", "dropout_backward",
    "NormCache", "batch_norm", "batch_norm_backward", "layer_norm", "layer_norm_backward",
]

#: the losses ``backward`` and ``loss`` accept
LOSSES = ("mse", "bce")
#: the named initialisations of ``MLP.random`` (a positive number is accepted too)
INITS = ("xavier", "he")


def _check_name(name) -> str:
    """An activation name known to ``lib.activations.get`` (its error lists the known names)."""
    _act.get(name)
    return name


def _check_loss(loss) -> str:
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {LOSSES}, got {loss!r}")
    return loss


def _as_matrix(x, name: str) -> np.ndarray:
    arr = as_float_array(x, name).astype(np.float64)
    check_finite(arr, name)
    return arr


def _check_rate(p) -> float:
    """A dropout rate: a real number in [0, 1)."""
    if isinstance(p, (bool, str, bytes)) or not isinstance(p, numbers.Real):
        raise TypeError(f"the dropout rate p must be a real number in [0, 1), got {p!r}")
    if not 0 <= p < 1:
        raise ValueError(
            f"the dropout rate p must be in [0, 1) (the probability of zeroing a unit; "
            f"p = 1 would drop everything), got {p!r}"
        )
    return float(p)


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
    p = _check_rate(p)
    x = as_float_array(x, "x")
    if not training or p == 0:
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


def _check_eps(eps) -> float:
    if isinstance(eps, (bool, str, bytes)) or not isinstance(eps, numbers.Real):
        raise TypeError(f"eps must be a positive real number, got {eps!r}")
    if not (np.isfinite(eps) and eps > 0):
        raise ValueError(f"eps must be a positive finite number (it keeps 1/sqrt(var + eps) finite), got {eps!r}")
    return float(eps)


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
    eps = _check_eps(eps)
    x = _as_matrix(x, "x")
    check_ndim(x, "x", 2, "shape (N, C): one sample per row, one feature per column")
    n, c = x.shape
    gamma, beta = _check_affine(gamma, beta, c, "feature (column of x)")
    if (running_mean is None) != (running_var is None):
        raise ValueError("give both running_mean and running_var, or neither")
    if running_mean is not None:
        running_mean = _check_running(running_mean, "running_mean", c)
        running_var = _check_running(running_var, "running_var", c)
    if isinstance(momentum, (bool, str, bytes)) or not isinstance(momentum, numbers.Real):
        raise TypeError(f"momentum must be a real number in [0, 1], got {momentum!r}")
    if not 0 <= momentum <= 1:
        raise ValueError(f"momentum must be in [0, 1], got {momentum!r}")
    if training:
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
    eps = _check_eps(eps)
    x = _as_matrix(x, "x")
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
    g = _as_matrix(grad_out, "grad_out")
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
    m = g.shape[axis]
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


_dropout = dropout  # MLP's methods take a ``dropout`` rate argument, which shadows the function


class MLP:
    """A fully connected feed-forward network ``n_0 -> n_1 -> ... -> n_L``.

    Args:
        weights: ``L >= 1`` matrices, ``weights[l]`` of shape ``(n_l, n_{l+1})`` (0-based lists),
            consecutive shapes chained (the columns of one are the rows of the next).
        biases: ``L`` vectors, ``biases[l]`` of shape ``(n_{l+1},)``.
        hidden: name of the activation of every hidden layer (``lib.activations.ACTIVATIONS``).
        output: name of the activation of the last layer (``"linear"`` for regression,
            ``"sigmoid"`` with ``loss="bce"`` for binary or multi-label classification).

    After ``forward(X)`` the cache holds ``zs`` (the ``L`` pre-activations ``z_1..z_L``) and
    ``activations`` (``a_0 = X, a_1, ..., a_L``); after ``backward`` also ``deltas``
    (``dL/dz_1..dL/dz_L``). ``masks`` holds the dropout masks of the hidden layers of the last
    ``forward`` (``None`` without dropout).

    Raises ``ValueError`` for empty, unchained or non-finite parameters or an unknown activation,
    ``TypeError`` for non-numeric ones.
    """

    def __init__(
        self,
        weights: Sequence,
        biases: Sequence,
        hidden: str = "sigmoid",
        output: str = "linear",
    ) -> None:
        if isinstance(weights, np.ndarray) or not isinstance(weights, Sequence):
            raise TypeError("weights must be a list of 2-D arrays, one per layer")
        if isinstance(biases, np.ndarray) or not isinstance(biases, Sequence):
            raise TypeError("biases must be a list of 1-D arrays, one per layer")
        if len(weights) == 0:
            raise ValueError("an MLP needs at least one layer; weights is empty")
        if len(weights) != len(biases):
            raise ValueError(
                f"weights and biases must have one entry per layer; got {len(weights)} weight "
                f"matrices and {len(biases)} bias vectors"
            )
        self.weights: list[np.ndarray] = []
        self.biases: list[np.ndarray] = []
        for l, (W, b) in enumerate(zip(weights, biases)):
            W = _as_matrix(W, f"weights[{l}]").copy()
            b = _as_matrix(b, f"biases[{l}]").copy()
            check_ndim(W, f"weights[{l}]", 2, "shape (inputs, outputs) of the layer")
            check_ndim(b, f"biases[{l}]", 1, "one bias per output unit of the layer")
            if b.shape[0] != W.shape[1]:
                raise ValueError(
                    f"biases[{l}] has shape {b.shape} but weights[{l}] has shape {W.shape}; "
                    f"the layer has {W.shape[1]} units, so its bias needs shape ({W.shape[1]},)"
                )
            if l > 0 and W.shape[0] != self.weights[-1].shape[1]:
                raise ValueError(
                    f"weights[{l}] has shape {W.shape} but weights[{l - 1}] has shape "
                    f"{self.weights[-1].shape}; layer {l} receives "
                    f"{self.weights[-1].shape[1]} inputs, so weights[{l}] needs "
                    f"{self.weights[-1].shape[1]} rows"
                )
            if min(W.shape) == 0:
                raise ValueError(f"weights[{l}] has shape {W.shape}; every layer needs >= 1 unit")
            self.weights.append(W)
            self.biases.append(b)
        self.hidden = _check_name(hidden)
        self.output = _check_name(output)
        self.zs: list[np.ndarray] | None = None
        self.activations: list[np.ndarray] | None = None
        self.deltas: list[np.ndarray] | None = None
        self.masks: list[np.ndarray] | None = None

    # ----------------------------------------------------------------------------------------
    # construction
    # ----------------------------------------------------------------------------------------
    @classmethod
    def random(
        cls,
        sizes: Sequence[int],
        rng: np.random.Generator | int | None = None,
        init: str | float = "xavier",
        hidden: str = "sigmoid",
        output: str = "linear",
    ) -> "MLP":
        """A network with layer sizes ``(n_0, ..., n_L)``, normal random weights and zero biases.

        ``init`` sets the standard deviation of ``W_l`` (``fan_in = n_{l-1}``,
        ``fan_out = n_l``):

        - ``"xavier"`` (Glorot): ``sqrt(2 / (fan_in + fan_out))``, keeps the variance of the
          signal roughly constant for sigmoid/tanh-like units (``torch.nn.init.xavier_normal_``);
        - ``"he"`` (Kaiming): ``sqrt(2 / fan_in)``, the same for ReLU units, which zero half of
          their inputs (``torch.nn.init.kaiming_normal_`` with ``nonlinearity="relu"``);
        - a positive number ``s``: standard deviation ``s`` for every layer.

        ``rng`` is a ``np.random.Generator`` (used and advanced), an int seed or ``None``.
        """
        if isinstance(sizes, (str, bytes)) or not isinstance(sizes, Sequence):
            raise TypeError(f"sizes must be a list of layer sizes, got {type(sizes).__name__}")
        if len(sizes) < 2:
            raise ValueError(
                f"sizes must list at least an input and an output size, got {list(sizes)!r}"
            )
        for i, n in enumerate(sizes):
            if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1:
                raise ValueError(f"sizes[{i}] must be a positive integer, got {n!r}")
        rng = as_generator(rng)
        if isinstance(init, str):
            if init not in INITS:
                raise ValueError(f"init must be one of {INITS} or a positive number, got {init!r}")
        elif isinstance(init, bool) or not isinstance(init, numbers.Real):
            raise TypeError(f"init must be one of {INITS} or a positive number, got {init!r}")
        else:
            check_positive(init, "init")
            if not np.isfinite(init):
                raise ValueError(f"init must be finite, got {init!r}")
        weights, biases = [], []
        for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
            if init == "xavier":
                std = np.sqrt(2.0 / (fan_in + fan_out))
            elif init == "he":
                std = np.sqrt(2.0 / fan_in)
            else:
                std = float(init)
            weights.append(std * rng.standard_normal((fan_in, fan_out)))
            biases.append(np.zeros(fan_out))
        return cls(weights, biases, hidden=hidden, output=output)

    # ----------------------------------------------------------------------------------------
    # properties
    # ----------------------------------------------------------------------------------------
    @property
    def sizes(self) -> tuple[int, ...]:
        """``(n_0, n_1, ..., n_L)``: inputs, then the units of each layer."""
        return (self.weights[0].shape[0],) + tuple(W.shape[1] for W in self.weights)

    @property
    def n_layers(self) -> int:
        """``L``, the number of weight layers (hidden layers + the output layer)."""
        return len(self.weights)

    def parameters(self) -> list[np.ndarray]:
        """``[W_1, b_1, W_2, b_2, ..., W_L, b_L]``, by reference (for ``lib.optim``)."""
        return [p for pair in zip(self.weights, self.biases) for p in pair]

    @staticmethod
    def flatten(grads: Sequence[tuple[np.ndarray, np.ndarray]]) -> list[np.ndarray]:
        """``[(dW_1, db_1), ...]`` as ``[dW_1, db_1, ...]``, in the order of ``parameters()``."""
        return [g for pair in grads for g in pair]

    def _activation(self, l: int):
        """(f, f') of layer ``l`` (0-based)."""
        return _act.get(self.output if l == self.n_layers - 1 else self.hidden)

    # ----------------------------------------------------------------------------------------
    # forward and backward
    # ----------------------------------------------------------------------------------------
    def _check_X(self, X) -> np.ndarray:
        X = _as_matrix(X, "X")
        check_ndim(X, "X", 2, "one sample per row")
        if X.shape[1] != self.sizes[0]:
            raise ValueError(
                f"X has {X.shape[1]} columns (features) but the network has {self.sizes[0]} "
                f"inputs; X must have shape (N, {self.sizes[0]})"
            )
        return X

    def forward(self, X, *, dropout: float = 0.0, rng: np.random.Generator | int | None = None) -> np.ndarray:
        """The output ``a_L`` of shape ``(N, n_L)`` for inputs ``X`` of shape ``(N, n_0)``.

        ``z_l = a_{l-1} @ W_l + b_l``, ``a_l = f_l(z_l)``. Keeps ``zs`` and ``activations`` for
        ``backward``. With ``dropout=p > 0`` (training) every hidden ``a_l`` is replaced by
        ``a_l * m_l``, ``m_l`` an inverted-dropout mask drawn from ``rng`` (see ``dropout``);
        ``activations`` then holds the dropped values and ``masks`` the masks.
        """
        p = _check_rate(dropout)
        gen = as_generator(rng) if p > 0 else None
        a = self._check_X(X)
        zs, acts, masks = [], [a], []
        for l, (W, b) in enumerate(zip(self.weights, self.biases)):
            f, _ = self._activation(l)
            z = a @ W + b
            a = f(z)
            if p > 0 and l < self.n_layers - 1:
                a, mask = _dropout(a, p, gen)
                masks.append(mask)
            zs.append(z)
            acts.append(a)
        self.zs, self.activations, self.deltas = zs, acts, None
        self.masks = masks if p > 0 else None
        return a

    def predict(self, X) -> np.ndarray:
        """Same as ``forward`` (the output activation applied)."""
        return self.forward(X)

    def _check_Y(self, Y, n_samples: int, loss: str) -> np.ndarray:
        Y = _as_matrix(Y, "Y")
        n_out = self.sizes[-1]
        if Y.ndim == 1 and n_out == 1:
            Y = Y[:, None]
        if Y.shape != (n_samples, n_out):
            raise ValueError(
                f"Y has shape {Y.shape} but the network's output has shape ({n_samples}, {n_out}) "
                f"for the last X given to forward; give one target row per sample"
            )
        if loss == "bce":
            if self.output != "sigmoid":
                raise ValueError(
                    f"loss='bce' needs output='sigmoid' (a probability per output), but this "
                    f"network's output activation is {self.output!r}"
                )
            check_probabilities(Y, "Y")
        return Y

    def _loss_and_delta(self, Y: np.ndarray, loss: str, want_delta: bool):
        z_L, a_L = self.zs[-1], self.activations[-1]
        if loss == "bce":
            value = _losses.bce_with_logits(z_L, Y)
            delta = _losses.bce_with_logits_grad(z_L, Y) if want_delta else None
        else:
            value = _losses.mse(a_L, Y)
            if want_delta:
                _, f_grad = self._activation(self.n_layers - 1)
                delta = _losses.mse_grad(a_L, Y) * f_grad(z_L)
            else:
                delta = None
        return float(value), delta

    def loss(self, X, Y, loss: str = "mse") -> float:
        """The mean loss of the network on ``(X, Y)`` (runs ``forward``)."""
        loss = _check_loss(loss)
        self.forward(X)
        Y = self._check_Y(Y, self.zs[-1].shape[0], loss)
        return self._loss_and_delta(Y, loss, want_delta=False)[0]

    def backward(self, Y, loss: str = "mse") -> tuple[list[tuple[np.ndarray, np.ndarray]], np.ndarray]:
        """Gradients of the mean loss for the last ``forward``, and their norms per layer.

        Returns ``(grads, norms)``: ``grads[l] = (dW, db)`` with the shapes of
        ``(weights[l], biases[l])``, and ``norms[l] = ||dW_l||_F`` (Frobenius norm, shape
        ``(L,)``), the quantity plotted to see gradients vanish or explode with depth.
        ``Y`` has shape ``(N, n_L)`` (or ``(N,)`` when ``n_L = 1``). Also stores ``deltas``.
        Raises ``RuntimeError`` if ``forward`` has not been called.
        """
        loss = _check_loss(loss)
        if self.zs is None:
            raise RuntimeError("call forward(X) before backward(Y): backward uses its cache")
        Y = self._check_Y(Y, self.zs[-1].shape[0], loss)
        _, delta = self._loss_and_delta(Y, loss, want_delta=True)
        grads: list[tuple[np.ndarray, np.ndarray]] = [None] * self.n_layers  # type: ignore[list-item]
        deltas: list[np.ndarray] = [None] * self.n_layers  # type: ignore[list-item]
        for l in range(self.n_layers - 1, -1, -1):
            deltas[l] = delta
            grads[l] = (self.activations[l].T @ delta, delta.sum(axis=0))
            if l > 0:
                _, f_grad = self._activation(l - 1)
                delta = (delta @ self.weights[l].T) * f_grad(self.zs[l - 1])
                if self.masks is not None:
                    delta = delta * self.masks[l - 1]
        self.deltas = deltas
        norms = np.array([np.linalg.norm(dW) for dW, _ in grads])
        return grads, norms

    def gradients(
        self,
        X,
        Y,
        loss: str = "mse",
        *,
        dropout: float = 0.0,
        rng: np.random.Generator | int | None = None,
    ) -> tuple[list[tuple[np.ndarray, np.ndarray]], np.ndarray]:
        """``forward(X, dropout=dropout, rng=rng)`` then ``backward(Y, loss)``."""
        self.forward(X, dropout=dropout, rng=rng)
        return self.backward(Y, loss)

    # ----------------------------------------------------------------------------------------
    # training and diagnostics
    # ----------------------------------------------------------------------------------------
    def fit(
        self,
        X,
        Y,
        optimizer,
        epochs: int,
        loss: str = "mse",
        batch_size: int | None = None,
        rng: np.random.Generator | int | None = None,
        *,
        dropout: float = 0.0,
    ) -> np.ndarray:
        """Train with a ``lib.optim`` optimizer built on ``self.parameters()``.

        Each epoch runs over ``X, Y`` in mini-batches of ``batch_size`` (shuffled with ``rng``,
        via ``lib.optim.minibatches``) or, for ``batch_size=None``, takes one full-batch step.
        With ``dropout=p > 0`` each step drops hidden units (masks drawn from ``rng``).
        Returns the loss on the whole of ``(X, Y)`` after each epoch, without dropout, shape
        ``(epochs,)``.
        Raises ``ValueError`` if the optimizer does not hold this network's parameters.
        """
        loss = _check_loss(loss)
        if isinstance(epochs, bool) or not isinstance(epochs, numbers.Integral) or epochs < 1:
            raise ValueError(f"epochs must be a positive integer, got {epochs!r}")
        params = self.parameters()
        held = getattr(optimizer, "params", None)
        if held is None or len(held) != len(params) or any(p is not q for p, q in zip(held, params)):
            raise ValueError(
                "the optimizer must be built on this network's parameters, in order: "
                "e.g. lib.optim.Adam(net.parameters(), lr=...)"
            )
        _check_rate(dropout)
        X = self._check_X(X)
        Y = self._check_Y(Y, X.shape[0], loss)
        rng = as_generator(rng)
        history = np.empty(int(epochs))
        for epoch in range(int(epochs)):
            batches = [(X, Y)] if batch_size is None else minibatches(X, Y, batch_size, rng=rng)
            for Xb, Yb in batches:
                grads, _ = self.gradients(Xb, Yb, loss, dropout=dropout, rng=rng)
                optimizer.step(self.flatten(grads))
            history[epoch] = self.loss(X, Y, loss)
        return history

    def dead_units(self, X) -> np.ndarray:
        """Fraction of the units of each hidden layer that pass no gradient for any row of ``X``.

        A unit is dead on ``X`` when the derivative of its activation, ``f'(z)``, is 0 for every
        sample: for ReLU, when its pre-activation is ``<= 0`` on the whole data set, so no
        gradient ever reaches its incoming weights. Shape ``(L - 1,)`` (runs ``forward``).
        """
        self.forward(X)
        _, f_grad = _act.get(self.hidden)
        return np.array([np.mean(np.all(f_grad(z) == 0, axis=0)) for z in self.zs[:-1]])

    def __repr__(self) -> str:
        return f"MLP(sizes={self.sizes}, hidden={self.hidden!r}, output={self.output!r})"
