"""The interface that lib's networks share: ``parameters``, ``fit``, ``predict``, ``predict_proba``.

``lib.network.TwoLayerNet`` and ``lib.mlp.MLP`` both derive from ``Model``, so a page or an
exercise that trains one can train the other with the same calls:

* ``parameters()``: the arrays, by reference, for an optimizer of ``lib.optim``;
* ``fit(X, Y, optimizer, epochs, batch_size=None, rng=None, callback=None)``: one step per
  mini-batch (or one full-batch step) per epoch, the loss on the whole of ``(X, Y)`` after each
  epoch, ``callback(epoch, loss, net)`` stopping the run when it returns True;
* ``predict_proba(X)``: the output probabilities, shape ``(N, n_out)`` (a sigmoid output);
* ``predict(X, threshold=0.5)``: the classes, 1 where the probability is ``>= threshold``
  (int64, shape ``(N, n_out)``); for an output that is not a probability (``"linear"``, a
  regression), the output values themselves.

A subclass says how to compute its outputs (``_outputs``), the gradients of one mini-batch
(``_batch_gradients``), its loss (``_fit_loss``) and how it checks its data (``_fit_data``);
``fit`` is the one training loop.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from lib._checks import as_generator, as_real, check_integer

#: the output activation whose values are probabilities
PROBABILITY_OUTPUT = "sigmoid"


class Model:
    """Base of lib's networks: the shared training loop and predictions (see the module docstring)."""

    output: str

    # what a network provides -----------------------------------------------------------------
    def parameters(self) -> list[np.ndarray]:
        raise NotImplementedError

    def _outputs(self, X) -> np.ndarray:
        raise NotImplementedError

    def _fit_data(self, X, Y, **options: Any) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError

    def _batch_gradients(self, X, Y, rng: np.random.Generator, **options: Any) -> list[np.ndarray]:
        raise NotImplementedError

    def _fit_loss(self, X, Y, **options: Any) -> float:
        raise NotImplementedError

    # what every network gets -----------------------------------------------------------------
    def predict_proba(self, X) -> np.ndarray:
        """The output probabilities ``y_hat``, shape ``(N, n_out)``; needs a sigmoid output."""
        if self.output != PROBABILITY_OUTPUT:
            raise ValueError(
                f"predict_proba needs output='{PROBABILITY_OUTPUT}' (a probability per output); this "
                f"network's output is {self.output!r}: use predict for its values"
            )
        return self._outputs(X)

    def predict(self, X, threshold: float = 0.5) -> np.ndarray:
        """Classes ``1 if y_hat >= threshold else 0`` (int64, shape ``(N, n_out)``) for a sigmoid
        output (for ``threshold = 0.5`` this is ``z >= 0``); the output values otherwise."""
        if self.output != PROBABILITY_OUTPUT:
            return self._outputs(X)
        threshold = as_real(threshold, "threshold")
        return (self.predict_proba(X) >= threshold).astype(np.int64)

    def _check_optimizer(self, optimizer) -> None:
        held, params = getattr(optimizer, "params", None), self.parameters()
        if held is None or len(held) != len(params) or any(p is not q for p, q in zip(held, params)):
            raise ValueError(
                "optimizer must be built on this network's parameters, in order: "
                "e.g. lib.optim.Adam(net.parameters(), lr=0.01)"
            )

    def fit(
        self,
        X,
        Y,
        optimizer,
        epochs: int,
        batch_size: int | None = None,
        rng: np.random.Generator | int | None = None,
        callback: Callable[[int, float, "Model"], bool | None] | None = None,
        **options: Any,
    ) -> list[float]:
        """Train with a ``lib.optim`` optimizer built on ``self.parameters()``; returns the loss on
        the whole of ``(X, Y)`` after each epoch.

        Each epoch takes one full-batch step (``batch_size=None``) or one step per mini-batch of
        ``lib.optim.minibatches(X, Y, batch_size, shuffle=True, rng=rng)`` (``rng``: a
        ``np.random.Generator``, an int seed or ``None``; a seed makes the run reproducible). After
        each epoch ``callback(epoch, loss, net)`` is called if given; if it returns True, training
        stops. ``options`` are the network's own (``MLP``: ``loss``, ``dropout``).
        Raises ``ValueError`` if the optimizer does not hold this network's parameters.
        """
        from lib.optim import minibatches  # lib.optim is not needed to build or run a network

        epochs = check_integer(epochs, "epochs", minimum=1)
        if batch_size is not None:
            batch_size = check_integer(batch_size, "batch_size", minimum=1)
        self._check_optimizer(optimizer)
        X, Y = self._fit_data(X, Y, **options)
        rng = as_generator(rng)
        history: list[float] = []
        for epoch in range(epochs):
            batches = [(X, Y)] if batch_size is None else minibatches(X, Y, batch_size, rng=rng)
            for Xb, Yb in batches:
                optimizer.step(self._batch_gradients(Xb, Yb, rng, **options))
            history.append(self._fit_loss(X, Y, **options))
            if callback is not None and callback(epoch, history[-1], self):
                break
        return history
