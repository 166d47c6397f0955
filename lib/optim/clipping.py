"""Gradient clipping by the global norm, as ``torch.nn.utils.clip_grad_norm_``.

The conventions are stated once, in ``lib.optim``.
"""
from __future__ import annotations

import math

import numpy as np

from lib._checks import as_float_array, as_real, check_positive

__all__ = ["clip_grad_norm"]


# --------------------------------------------------------------------------------------------
# gradient clipping
# --------------------------------------------------------------------------------------------
def clip_grad_norm(grads, max_norm: float) -> tuple[list[np.ndarray], float]:
    """Rescale a list of gradients so that their total 2-norm is at most ``max_norm``.

    Returns ``(clipped, total_norm)``: **new arrays** (``grads`` is left unchanged, as every
    gradient in this module) and the total norm *before* clipping, a Python float::

        total = sqrt(sum over every array g of sum(g ** 2))       (one norm over all the arrays)
        clipped = [g * min(1, max_norm / (total + 1e-6)) for g in grads]

    These are the numbers of ``torch.nn.utils.clip_grad_norm_(params, max_norm)`` (2-norm), which
    scales ``p.grad`` in place and returns the same total. The factor keeps the direction of the
    whole gradient and only shortens it; the ``1e-6`` (torch's) guards against dividing by 0, and
    because of it a total within 1e-6 below ``max_norm`` is also scaled, very slightly, as in torch.
    Use it between the backward pass and the step::

        clipped, total = clip_grad_norm(net.flatten(grads), max_norm=1.0)
        optimizer.step(clipped)

    ``grads`` is a list of float arrays (float32 stays float32); ``max_norm`` > 0. Unlike torch's
    default, non-finite gradients raise a ``ValueError`` (torch's ``error_if_nonfinite=True``):
    rescaling cannot repair an ``inf`` or ``nan``.
    """
    if isinstance(grads, np.ndarray):
        raise TypeError("grads must be a list of arrays, got a single array; write [g] instead of g")
    try:
        grads = list(grads)
    except TypeError:
        raise TypeError(f"grads must be a list of numpy arrays, got {type(grads).__name__}") from None
    if not grads:
        raise ValueError("grads is empty: there is no gradient to clip")
    max_norm = as_real(max_norm, "max_norm")
    check_positive(max_norm, "max_norm")
    arrays = [as_float_array(g, f"grads[{i}]") for i, g in enumerate(grads)]
    total = math.sqrt(sum(float(np.sum(np.square(g, dtype=np.float64))) for g in arrays))
    if not math.isfinite(total):
        raise ValueError(
            f"the total gradient norm is {total}: the gradients hold NaN or infinity, which "
            f"clipping cannot repair (lower the learning rate, or clip earlier)"
        )
    coef = min(1.0, max_norm / (total + 1e-6))
    return [(g * coef).astype(g.dtype, copy=False) for g in arrays], total
