"""The course's 2-layer network (one hidden layer), with its forward and backward pass, in numpy.

Conventions of this module:

* **Layout.** Samples are rows: ``X`` has shape ``(N, n_in)``. ``W1`` has shape
  ``(n_in, n_hidden)`` and ``W1[i, j]`` is the weight from input ``i`` to hidden unit ``j``;
  ``W2`` has shape ``(n_hidden, n_out)``; biases are vectors ``b1 (n_hidden,)``, ``b2 (n_out,)``.
  The notes' 2-2-1 example writes ``z_1 = w11 x1 + w21 x2 + b1``, ``z_2 = w12 x1 + w22 x2 + b2``
  and ``z_3 = w13 a1 + w23 a2 + b3``, so in this layout

      W1 = [[w11, w12],      b1 = [b1, b2],      W2 = [[w13],      b2 = [b3]
            [w21, w22]]                                [w23]]

  (the notes number the *units* 1, 2, 3; here ``z1``, ``z2`` are the *layers'* pre-activation
  arrays: the notes' ``z_1, z_2`` are the columns of ``z1``, their ``z_3`` is ``z2``).
  torch's ``nn.Linear`` stores the transpose of ``W1`` and ``W2``.
* **Forward pass**::

      z1 = X @ W1 + b1     (N, n_hidden)        a1 = f(z1)     f = the ``hidden`` activation
      z2 = a1 @ W2 + b2    (N, n_out)           y_hat = g(z2)  g = the ``output`` activation

  ``f`` is any elementwise activation of ``lib.activations`` (``get(name)``, default
  parameters). ``g`` is ``"sigmoid"`` (the course's setting) or ``"linear"``.
* **Loss** (the mean over all ``M = N * n_out`` entries, torch's default; ``M = N`` for one
  output):

  - ``output="sigmoid"``: binary cross-entropy, computed from the logits,
    ``L = bce_with_logits(z2, Y)`` (stable for any ``z2``; ``Y`` in [0, 1]);
  - ``output="linear"``: mean squared error ``L = mse(z2, Y)`` (no 1/2 factor, as torch).

* **Backward pass** (``delta = dL/dz``, the derivative of the *mean* loss)::

      delta2 = (y_hat - Y) / M          sigmoid + BCE: the sigmoid's derivative cancels
             = 2 (y_hat - Y) / M        linear + MSE
      dW2 = a1^T @ delta2               db2 = sum of the rows of delta2
      delta1 = (delta2 @ W2^T) * f'(z1)
      dW1 = X^T @ delta1                db1 = sum of the rows of delta1

  The notes' per-sample error ``delta_3 = y_hat - y`` is ``M * delta2``; for their single
  sample the two are equal. ``delta2`` is computed as ``sigmoid(z2) - Y`` from the logits, never
  through ``1 / (y_hat (1 - y_hat))``, so it is exact and finite even when the sigmoid saturates.
* **dtype.** The network keeps its parameters in float32 when all four are float32, float64
  otherwise; results follow numpy's promotion with ``X``. The network owns *copies* of the
  arrays it is given; ``params`` and ``parameters()`` return them by reference, so an optimizer
  of ``lib.optim`` built on ``net.parameters()`` updates the network in place.

``lib.mlp.MLP`` generalises this class to any depth with the same layout and conventions; both
share the interface of ``lib._model.Model``: ``parameters``, ``fit`` (``train`` is its old name),
``predict`` and ``predict_proba``.
"""
from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Callable, Mapping

import numpy as np

from lib import activations as _act
from lib import losses as _losses
from lib._model import Model
from lib._checks import as_float_array, as_generator, check_binary, check_finite, check_integer
from lib._checks import check_ndim, check_positive, check_probabilities, result_dtype

__all__ = ["TwoLayerNet", "ForwardCache", "OUTPUTS", "PARAM_NAMES", "worked_example_data", "xor_data"]

#: The output activations and the loss each one is trained with.
OUTPUTS = {"sigmoid": "binary cross-entropy on the logits", "linear": "mean squared error"}
#: The order of ``parameters()`` and ``gradients_list``.
PARAM_NAMES = ("W1", "b1", "W2", "b2")


@dataclass(frozen=True, eq=False)
class ForwardCache:
    """What the forward pass computed, kept for ``backward`` and for display.

    ``X (N, n_in)``, ``z1`` and ``a1 = f(z1)`` ``(N, n_hidden)``, ``z2`` and
    ``y_hat = g(z2)`` ``(N, n_out)``.
    """

    X: np.ndarray
    z1: np.ndarray
    a1: np.ndarray
    z2: np.ndarray
    y_hat: np.ndarray


def _param(value, name: str) -> np.ndarray:
    arr = as_float_array(value, name)
    check_finite(arr, name)
    return arr


class TwoLayerNet(Model):
    """A network ``n_in -> n_hidden -> n_out`` (see the module docstring for every formula).

    Args:
        W1: ``(n_in, n_hidden)``, ``W1[i, j]`` from input ``i`` to hidden unit ``j``.
        b1: ``(n_hidden,)``.
        W2: ``(n_hidden, n_out)``.
        b2: ``(n_out,)``.
        hidden: name of the hidden activation, any key of ``lib.activations.ACTIVATIONS``.
        output: ``"sigmoid"`` (trained with binary cross-entropy) or ``"linear"`` (with MSE).

    Attributes: ``cache`` (a ``ForwardCache`` of the last ``forward``, else ``None``) and
    ``deltas`` (``{"delta2": dL/dz2, "delta1": dL/dz1}`` of the last ``backward``, else ``None``).
    Raises ``ValueError`` naming the argument and the expected shape for inconsistent shapes,
    non-finite values or unknown activation names; ``TypeError`` for non-numeric arrays.
    """

    def __init__(self, W1, b1, W2, b2, hidden: str = "sigmoid", output: str = "sigmoid") -> None:
        W1, b1, W2, b2 = (_param(v, n) for v, n in zip((W1, b1, W2, b2), PARAM_NAMES))
        check_ndim(W1, "W1", 2, "shape (n_in, n_hidden)")
        n_in, n_hidden = W1.shape
        if min(W1.shape) == 0:
            raise ValueError(f"W1 must have at least one input and one hidden unit; got shape {W1.shape}")
        if b1.shape != (n_hidden,):
            raise ValueError(
                f"b1 must have shape ({n_hidden},), one bias per hidden unit (W1 has shape "
                f"{W1.shape}); got {b1.shape}"
            )
        check_ndim(W2, "W2", 2, "shape (n_hidden, n_out)")
        if W2.shape[0] != n_hidden or W2.shape[1] == 0:
            raise ValueError(
                f"W2 must have shape ({n_hidden}, n_out) with n_out >= 1: one row per hidden unit "
                f"(W1 has shape {W1.shape}); got {W2.shape}"
            )
        if b2.shape != (W2.shape[1],):
            raise ValueError(
                f"b2 must have shape ({W2.shape[1]},), one bias per output unit (W2 has shape "
                f"{W2.shape}); got {b2.shape}"
            )
        try:
            self.f, self.f_grad = _act.get(hidden)
        except (TypeError, ValueError) as exc:
            raise type(exc)(f"hidden: {exc}") from None
        if output not in OUTPUTS:
            raise ValueError(f"output must be one of {tuple(OUTPUTS)}, got {output!r}")
        self.hidden, self.output = hidden, output
        dtype = result_dtype(W1, b1, W2, b2)
        self._params = {
            name: np.array(value, dtype=dtype, copy=True)
            for name, value in zip(PARAM_NAMES, (W1, b1, W2, b2))
        }
        self.cache: ForwardCache | None = None
        self.deltas: dict[str, np.ndarray] | None = None

    # ------------------------------------------------------------------------------------------
    # construction
    # ------------------------------------------------------------------------------------------
    @classmethod
    def worked_example(cls) -> "TwoLayerNet":
        """The notes' 2-2-1 sigmoid network (use with ``worked_example_data()``).

        ``w11 = 0.2, w21 = 0.4, b1 = 0.1; w12 = 0.3, w22 = 0.1, b2 = 0.2;
        w13 = 0.7, w23 = 0.5, b3 = 0.3``, in the layout of the module docstring.
        """
        return cls(
            W1=[[0.2, 0.3], [0.4, 0.1]],
            b1=[0.1, 0.2],
            W2=[[0.7], [0.5]],
            b2=[0.3],
            hidden="sigmoid",
            output="sigmoid",
        )

    @classmethod
    def random(
        cls,
        n_in: int,
        n_hidden: int,
        n_out: int = 1,
        rng: np.random.Generator | int | None = None,
        scale: float | None = None,
        hidden: str = "sigmoid",
        output: str = "sigmoid",
    ) -> "TwoLayerNet":
        """Normal random weights, zero biases.

        The weights of a layer with ``fan_in`` inputs are drawn from ``N(0, s^2)`` with
        ``s = scale``, or ``s = 1 / sqrt(fan_in)`` (LeCun) when ``scale`` is ``None``, which keeps
        the pre-activations of order 1. ``rng``: a ``np.random.Generator`` (used and advanced),
        an int seed, or ``None`` (fresh entropy). W1 is drawn before W2.
        """
        n_in, n_hidden, n_out = (
            check_integer(v, n, minimum=1) for v, n in ((n_in, "n_in"), (n_hidden, "n_hidden"), (n_out, "n_out"))
        )
        if scale is not None:
            check_positive(scale, "scale")
        rng = as_generator(rng)
        s1 = 1 / np.sqrt(n_in) if scale is None else scale
        s2 = 1 / np.sqrt(n_hidden) if scale is None else scale
        W1 = s1 * rng.standard_normal((n_in, n_hidden))
        W2 = s2 * rng.standard_normal((n_hidden, n_out))
        return cls(W1, np.zeros(n_hidden), W2, np.zeros(n_out), hidden=hidden, output=output)

    # ------------------------------------------------------------------------------------------
    # parameters
    # ------------------------------------------------------------------------------------------
    @property
    def params(self) -> Mapping[str, np.ndarray]:
        """``{"W1", "b1", "W2", "b2"}`` -> the live arrays (read-only mapping; change the arrays
        in place, e.g. ``net.params["W1"][0, 1] = 0.5``)."""
        return MappingProxyType(self._params)

    def parameters(self) -> list[np.ndarray]:
        """``[W1, b1, W2, b2]``, by reference: ``lib.optim.SGD(net.parameters(), lr=0.1)``."""
        return [self._params[name] for name in PARAM_NAMES]

    @staticmethod
    def gradients_list(grads: Mapping[str, np.ndarray]) -> list[np.ndarray]:
        """The dict returned by ``backward`` as a list in the order of ``parameters()``,
        for ``optimizer.step(net.gradients_list(grads))``."""
        missing = [name for name in PARAM_NAMES if name not in grads]
        if missing:
            raise ValueError(f"grads must hold the keys {PARAM_NAMES}; missing {missing}")
        return [grads[name] for name in PARAM_NAMES]

    @property
    def n_in(self) -> int:
        return self._params["W1"].shape[0]

    @property
    def n_hidden(self) -> int:
        return self._params["W1"].shape[1]

    @property
    def n_out(self) -> int:
        return self._params["W2"].shape[1]

    # ------------------------------------------------------------------------------------------
    # forward, loss, backward
    # ------------------------------------------------------------------------------------------
    def _check_X(self, X) -> np.ndarray:
        X = as_float_array(X, "X")
        check_ndim(X, "X", 2, f"shape (N, {self.n_in}), one sample per row; write [x] for one sample")
        if X.shape[1] != self.n_in:
            raise ValueError(
                f"X must have {self.n_in} columns, one per input of the network; got shape {X.shape}"
            )
        check_finite(X, "X")
        return X

    def _check_Y(self, Y, n_samples: int) -> np.ndarray:
        Y = as_float_array(Y, "Y")
        if Y.ndim == 1 and self.n_out == 1:
            Y = Y[:, None]
        if Y.shape != (n_samples, self.n_out):
            raise ValueError(
                f"Y must have shape ({n_samples}, {self.n_out}), one row of targets per sample of X "
                f"(or ({n_samples},) for one output); got {Y.shape}"
            )
        check_finite(Y, "Y")
        if self.output == "sigmoid":
            check_probabilities(Y, "Y")
        return Y

    def _forward(self, X: np.ndarray) -> ForwardCache:
        W1, b1, W2, b2 = self.parameters()
        z1 = X @ W1 + b1
        a1 = self.f(z1)
        z2 = a1 @ W2 + b2
        y_hat = _act.sigmoid(z2) if self.output == "sigmoid" else z2
        return ForwardCache(X=X, z1=z1, a1=a1, z2=z2, y_hat=y_hat)

    def forward(self, X) -> np.ndarray:
        """``y_hat = g(f(X @ W1 + b1) @ W2 + b2)``, shape ``(N, n_out)``, for ``X (N, n_in)``.

        Keeps ``self.cache`` (a ``ForwardCache``: ``X, z1, a1, z2, y_hat``) for ``backward``.
        A single sample must be passed as a row, ``[x]``: a 1-D ``X`` is rejected.
        """
        self.cache = self._forward(self._check_X(X))
        self.deltas = None
        return self.cache.y_hat

    def _loss_value(self, z2: np.ndarray, Y: np.ndarray) -> float:
        if self.output == "sigmoid":
            return float(_losses.bce_with_logits(z2, Y))
        return float(_losses.mse(z2, Y))

    def loss(self, X, Y) -> float:
        """The mean loss on ``(X, Y)``: ``bce_with_logits(z2, Y)`` for a sigmoid output,
        ``mse(z2, Y)`` for a linear one (mean over all ``N * n_out`` entries).

        Does not touch ``cache``. ``Y``: ``(N, n_out)``, or ``(N,)`` for one output; in [0, 1]
        for a sigmoid output.
        """
        X = self._check_X(X)
        Y = self._check_Y(Y, X.shape[0])
        return self._loss_value(self._forward(X).z2, Y)

    def backward(self, Y) -> dict[str, np.ndarray]:
        """Gradients of the mean loss at the last ``forward``: ``{"W1", "b1", "W2", "b2"}``.

        With ``M = N * n_out`` and ``delta = dL/dz``::

            delta2 = (sigmoid(z2) - Y) / M     [sigmoid + BCE]    or  2 (z2 - Y) / M  [linear + MSE]
            dW2 = a1^T delta2,   db2 = sum_n delta2[n]
            delta1 = (delta2 W2^T) * f'(z1)
            dW1 = X^T delta1,    db1 = sum_n delta1[n]

        Each gradient has its parameter's shape. Also sets ``self.deltas = {"delta2", "delta1"}``.
        Raises ``RuntimeError`` if ``forward`` was not called, ``ValueError`` if ``Y`` does not
        match its batch.
        """
        if self.cache is None:
            raise RuntimeError("call forward(X) before backward(Y): backward uses its cache")
        c = self.cache
        Y = self._check_Y(Y, c.X.shape[0])
        M = Y.size
        delta2 = (c.y_hat - Y) / M if self.output == "sigmoid" else 2 * (c.y_hat - Y) / M
        delta1 = (delta2 @ self._params["W2"].T) * self.f_grad(c.z1)
        self.deltas = {"delta2": delta2, "delta1": delta1}
        return {
            "W1": c.X.T @ delta1,
            "b1": delta1.sum(axis=0),
            "W2": c.a1.T @ delta2,
            "b2": delta2.sum(axis=0),
        }

    def input_grad(self, Y) -> np.ndarray:
        """Gradient of the mean loss at the last ``forward`` with respect to its input ``X``.

        ``dL/dX = delta1 @ W1^T``, shape ``(N, n_in)`` like ``X``: entry ``[n, i]`` is
        ``sum_j delta1[n, j] W1[i, j]``, the error of every hidden unit that input ``i`` of sample
        ``n`` feeds, weighted by the connecting weight. This is what a module *before* the network
        would receive as its output error (training does not need it: ``X`` is data). It runs
        ``backward(Y)`` (so it also sets ``self.deltas``; the parameters are not touched).
        Raises ``RuntimeError`` if ``forward`` was not called, ``ValueError`` if ``Y`` does not
        match its batch.
        """
        self.backward(Y)
        return self.deltas["delta1"] @ self._params["W1"].T

    # ------------------------------------------------------------------------------------------
    # training and evaluation
    # ------------------------------------------------------------------------------------------
    # the interface of lib._model.Model: fit (the shared loop), predict, predict_proba
    train = Model.fit  # the name of the first pages and of the backprop exercise; fit is the interface's

    def _outputs(self, X) -> np.ndarray:
        """``y_hat`` for ``X``; does not touch ``cache``."""
        return self._forward(self._check_X(X)).y_hat

    def _fit_data(self, X, Y) -> tuple[np.ndarray, np.ndarray]:
        X = self._check_X(X)
        return X, self._check_Y(Y, X.shape[0])

    def _batch_gradients(self, X, Y, rng) -> list[np.ndarray]:
        self.forward(X)
        return self.gradients_list(self.backward(Y))

    def _fit_loss(self, X, Y) -> float:
        return self.loss(X, Y)

    def accuracy(self, X, Y, threshold: float = 0.5) -> float:
        """The fraction of entries of ``predict(X, threshold)`` equal to the 0/1 targets ``Y``."""
        X = self._check_X(X)
        Y = self._check_Y(Y, X.shape[0])
        check_binary(Y, "Y")
        return float(np.mean(self.predict(X, threshold) == Y))

    def __repr__(self) -> str:
        return (
            f"TwoLayerNet(n_in={self.n_in}, n_hidden={self.n_hidden}, n_out={self.n_out}, "
            f"hidden={self.hidden!r}, output={self.output!r}, dtype={self._params['W1'].dtype})"
        )


def worked_example_data() -> tuple[np.ndarray, np.ndarray]:
    """The notes' single sample: ``X = [[1, 0]]`` (1, 2) and label ``Y = [[1]]`` (1, 1)."""
    return np.array([[1.0, 0.0]]), np.array([[1.0]])


def xor_data() -> tuple[np.ndarray, np.ndarray]:
    """The XOR truth table: ``X`` (4, 2) = the four binary inputs, ``Y`` (4, 1) = ``x1 XOR x2``."""
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    Y = np.array([[0.0], [1.0], [1.0], [0.0]])
    return X, Y
