"""Mini-batches: a data set cut into shuffled batches, one epoch at a time.

The conventions are stated once, in ``lib.optim``.
"""
from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from lib._checks import as_flag, as_generator, check_integer


__all__ = ["minibatches"]


# --------------------------------------------------------------------------------------------
# mini-batches
# --------------------------------------------------------------------------------------------
def minibatches(
    X,
    Y,
    batch_size: int,
    shuffle: bool = True,
    rng: np.random.Generator | int | None = None,
    drop_last: bool = False,
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """One epoch of mini-batches ``(X_batch, Y_batch)``, like iterating a torch ``DataLoader``.

    Samples are the rows (first axis) of ``X`` (shape ``(N, ...)``) and ``Y`` (shape ``(N, ...)``,
    e.g. targets or integer labels; dtypes are kept). With ``shuffle=True`` the order is a random
    permutation drawn from ``rng`` (a ``np.random.Generator``, used and advanced, so successive
    epochs get new orders; an int seed, reproducible; ``None``, fresh entropy). Batches hold
    ``batch_size`` samples, the last one ``N mod batch_size`` unless ``drop_last=True`` drops it;
    every sample appears at most once (exactly once without ``drop_last``). Batches are copies.

    The arguments are checked when ``minibatches`` is called, not at the first ``next()``.
    """
    X, Y = np.asarray(X), np.asarray(Y)
    for name, a in (("X", X), ("Y", Y)):
        if a.ndim == 0:
            raise ValueError(f"{name} must have a first axis of samples, got a scalar")
    if len(X) != len(Y):
        raise ValueError(
            f"X and Y must hold the same number of samples (first axis): got X of shape "
            f"{X.shape} and Y of shape {Y.shape}"
        )
    if len(X) == 0:
        raise ValueError("X and Y hold no samples")
    batch_size = check_integer(batch_size, "batch_size", minimum=1)
    rng = as_generator(rng)
    order = rng.permutation(len(X)) if as_flag(shuffle, "shuffle") else np.arange(len(X))
    stop = len(X) - len(X) % batch_size if as_flag(drop_last, "drop_last") else len(X)
    return _batches(X, Y, order, batch_size, stop)


def _batches(X, Y, order, batch_size, stop):
    for start in range(0, stop, batch_size):
        idx = order[start:start + batch_size]
        yield X[idx], Y[idx]
