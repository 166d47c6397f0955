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
  are never dropped, and ``loss``/``predict`` never drop (evaluation). See
  ``lib.layers.dropout``.
* **dtype.** Parameters, inputs and every result are float64 (the network is a teaching and
  experiment tool; float64 makes the comparisons with torch and finite differences tight).
  The network owns copies of the arrays it is given; ``parameters()`` returns them by reference,
  so an optimizer from ``lib.optim`` built on them updates the network in place.
* **Interface**, shared with ``lib.network.TwoLayerNet`` (``lib._model.Model``): ``parameters``,
  ``fit``, ``predict``, ``predict_proba``.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from lib import activations as _act
from lib import layers as _layers
from lib import losses as _losses
from lib._model import Model
from lib._checks import as_finite_float64, as_generator, as_positive, check_dropout_rate
from lib._checks import check_integer, check_ndim, check_probabilities

__all__ = ["MLP", "LOSSES", "INITS"]

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




class MLP(Model):
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
            W = as_finite_float64(W, f"weights[{l}]").copy()
            b = as_finite_float64(b, f"biases[{l}]").copy()
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
        sizes = [check_integer(n, f"sizes[{i}]", minimum=1) for i, n in enumerate(sizes)]
        rng = as_generator(rng)
        if isinstance(init, str):
            if init not in INITS:
                raise ValueError(f"init must be one of {INITS} or a positive number, got {init!r}")
        else:
            try:
                init = as_positive(init, "init")
            except TypeError:
                raise TypeError(f"init must be one of {INITS} or a positive number, got {init!r}") from None
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
        X = as_finite_float64(X, "X")
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
        p = check_dropout_rate(dropout)
        gen = as_generator(rng) if p > 0 else None
        a = self._check_X(X)
        zs, acts, masks = [], [a], []
        for l, (W, b) in enumerate(zip(self.weights, self.biases)):
            f, _ = self._activation(l)
            z = a @ W + b
            a = f(z)
            if p > 0 and l < self.n_layers - 1:
                a, mask = _layers.dropout(a, p, gen)
                masks.append(mask)
            zs.append(z)
            acts.append(a)
        self.zs, self.activations, self.deltas = zs, acts, None
        self.masks = masks if p > 0 else None
        return a

    def _outputs(self, X) -> np.ndarray:
        return self.forward(X)

    def _check_Y(self, Y, n_samples: int, loss: str) -> np.ndarray:
        Y = as_finite_float64(Y, "Y")
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
        callback: Callable[[int, float, "MLP"], bool | None] | None = None,
    ) -> np.ndarray:
        """``Model.fit`` with this network's options, the losses as an array of shape ``(epochs,)``
        (fewer if ``callback`` stopped the run).

        ``loss``: one of ``LOSSES``. With ``dropout=p > 0`` each step drops hidden units (masks
        drawn from ``rng``); the loss after each epoch is computed without dropout.
        """
        history = super().fit(X, Y, optimizer, epochs, batch_size, rng, callback, loss=loss, dropout=dropout)
        return np.asarray(history)

    def _fit_data(self, X, Y, loss: str, dropout: float) -> tuple[np.ndarray, np.ndarray]:
        loss = _check_loss(loss)
        check_dropout_rate(dropout)
        X = self._check_X(X)
        return X, self._check_Y(Y, X.shape[0], loss)

    def _batch_gradients(self, X, Y, rng, loss: str, dropout: float) -> list[np.ndarray]:
        grads, _ = self.gradients(X, Y, loss, dropout=dropout, rng=rng)
        return self.flatten(grads)

    def _fit_loss(self, X, Y, loss: str, dropout: float) -> float:
        return self.loss(X, Y, loss)

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
