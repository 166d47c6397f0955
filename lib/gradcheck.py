"""Finite-difference gradient checks: the independent witness for every ``*_grad`` in ``lib``.

Conventions of this module:

* Derivatives are estimated with **centred** differences,

      df/dx_i ~ (f(x + h e_i) - f(x - h e_i)) / (2h),

  whose truncation error is O(h^2) (a one-sided difference is only O(h)). With ``h = 1e-6`` in
  float64 the truncation error is about ``1e-12 * |f'''|`` and the rounding error about
  ``1e-16 * |f| / h = 1e-10 * |f|``: expect about 10 correct significant digits, not 16.
* All estimates are computed on a **float64 copy** of ``x``: the caller's array is never
  mutated, and a float32 ``x`` is checked in float64 (a float32 difference quotient with
  ``h = 1e-6`` would be noise).
* The estimate needs one pair of evaluations of ``f`` per entry of ``x``, so these functions loop
  over the entries in Python. That loop is the method, not an oversight; it is why gradient
  checks are run on small inputs only.
* ``relative_error`` is the largest *elementwise* relative difference (see its docstring), and
  ``check_grad`` accepts an entry when ``|a - n| <= rtol * (|a| + |n|) + atol``, so that entries
  whose true value is 0 (where the finite difference returns rounding noise) do not fail.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Mapping

import numpy as np

from lib._checks import as_float_array, check_nonnegative, check_positive

__all__ = [
    "GradCheckResult",
    "numerical_grad",
    "numerical_jacobian",
    "relative_error",
    "check_grad",
    "check_network_grads",
]

#: Absolute slack of ``check_grad``: finite-difference rounding noise for a loss of order 1 with
#: ``eps = 1e-6`` is about 1e-10, so an entry whose true derivative is 0 comes out as ~1e-10.
DEFAULT_ATOL = 1e-8


@dataclass(frozen=True, eq=False)
class GradCheckResult:
    """The outcome of one gradient check.

    ``analytic`` is the gradient under test, ``numeric`` the centred finite-difference estimate
    (both float64, shape of the checked input), ``max_relative_error`` is
    ``relative_error(analytic, numeric)`` and ``ok`` says whether every entry passed.
    """

    analytic: np.ndarray
    numeric: np.ndarray
    max_relative_error: float
    ok: bool

    def __bool__(self) -> bool:
        return self.ok


def _as_float64_copy(x, name: str = "x") -> np.ndarray:
    return np.array(as_float_array(x, name), dtype=np.float64, copy=True)


def _scalar(value, what: str) -> float:
    arr = np.asarray(value)
    if arr.size != 1:
        raise ValueError(
            f"f must return a scalar for {what}; it returned shape {arr.shape}. "
            f"Use numerical_jacobian for a vector-valued function."
        )
    return float(arr.reshape(()))


def _central_differences(f: Callable, x: np.ndarray, eps: float, evaluate: Callable) -> list:
    """``evaluate(f(x + eps e_i)) - evaluate(f(x - eps e_i))`` for each flat index ``i``.

    ``x`` is a float64 work array owned by the caller of this helper; each entry is perturbed in
    place and restored before moving on, and ``f`` gets a fresh copy each time (so it may keep or
    modify its argument). One Python iteration per entry is unavoidable: each entry needs its own
    pair of function evaluations.
    """
    differences = []
    for i in range(x.size):
        original = x.flat[i]
        x.flat[i] = original + eps
        f_plus = evaluate(f(x.copy()))
        x.flat[i] = original - eps
        f_minus = evaluate(f(x.copy()))
        x.flat[i] = original
        differences.append(f_plus - f_minus)
    return differences


def numerical_grad(f: Callable[[np.ndarray], float], x, eps: float = 1e-6) -> np.ndarray:
    """Centred finite-difference gradient of a scalar function ``f`` at ``x``.

        g_i = (f(x + eps e_i) - f(x - eps e_i)) / (2 eps)

    Shapes: ``x`` of any shape (a scalar too); the result has the shape of ``x``, dtype float64.
    ``f`` receives a float64 array of that shape (a new one at every call) and must return a
    scalar (a 0-d or size-1 array is accepted). The evaluation points are a float64 copy of
    ``x``: ``x`` itself is not mutated. Raises ``ValueError`` if ``eps <= 0`` or ``f`` does not return a scalar.
    """
    check_positive(eps, "eps")
    point = _as_float64_copy(x)
    diffs = _central_differences(f, point, eps, lambda v: _scalar(v, "numerical_grad"))
    return np.asarray(diffs, dtype=np.float64).reshape(point.shape) / (2 * eps)


def numerical_jacobian(f: Callable[[np.ndarray], np.ndarray], x, eps: float = 1e-6) -> np.ndarray:
    """Centred finite-difference Jacobian of an array-valued ``f`` at ``x``.

        J[o, i] = (f(x + eps e_i)[o] - f(x - eps e_i)[o]) / (2 eps)

    Shapes: the result has shape ``f(x).shape + x.shape`` (the layout of
    ``torch.autograd.functional.jacobian``), dtype float64. ``x`` is not mutated (the evaluation
    points are a float64 copy). A scalar ``f`` gives ``x.shape``, i.e. the gradient.
    """
    check_positive(eps, "eps")
    point = _as_float64_copy(x)
    out_shape = np.shape(f(point.copy()))

    def flat_output(value) -> np.ndarray:
        value = np.asarray(value, dtype=np.float64)
        if value.shape != out_shape:
            raise ValueError(
                f"f must return arrays of one shape; got {value.shape} after {out_shape}"
            )
        return value.ravel()

    columns = _central_differences(f, point, eps, flat_output)
    jac = np.stack(columns, axis=-1) if columns else np.empty((int(np.prod(out_shape)), 0))
    return jac.reshape(out_shape + point.shape) / (2 * eps)


def relative_error(a, b, tiny: float = 1e-12) -> float:
    """Largest elementwise relative difference between ``a`` and ``b``.

        relative_error(a, b) = max_i |a_i - b_i| / max(|a_i| + |b_i|, tiny)

    Symmetric in ``a`` and ``b``, between 0 (equal) and 1 (e.g. opposite signs, or one of them 0
    and the other not); ``tiny`` keeps 0/0 at 0 where both entries are 0. ``a`` and ``b`` must
    broadcast; an empty pair gives 0.0. Note: an entry whose true value is 0 but is estimated as
    rounding noise (~1e-10) has relative error ~1: read this number together with the absolute
    difference, as ``check_grad`` does.
    """
    check_positive(tiny, "tiny")
    a = np.asarray(as_float_array(a, "a"), dtype=np.float64)
    b = np.asarray(as_float_array(b, "b"), dtype=np.float64)
    try:
        a, b = np.broadcast_arrays(a, b)
    except ValueError:
        raise ValueError(f"a and b must have broadcastable shapes; got {a.shape} and {b.shape}") from None
    if a.size == 0:
        return 0.0
    ratio = np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), tiny)
    return float(ratio.max())


def _compare(analytic, numeric: np.ndarray, rtol: float, atol: float) -> GradCheckResult:
    analytic = np.asarray(as_float_array(analytic, "analytic gradient"), dtype=np.float64)
    if analytic.shape != numeric.shape:
        raise ValueError(
            f"the analytic gradient must have the shape of x, {numeric.shape}; got {analytic.shape}"
        )
    gap = np.abs(analytic - numeric)
    ok = bool(np.all(gap <= rtol * (np.abs(analytic) + np.abs(numeric)) + atol))
    return GradCheckResult(analytic, numeric, relative_error(analytic, numeric), ok)


def check_grad(
    f: Callable[[np.ndarray], np.ndarray],
    grad_f: Callable[[np.ndarray], np.ndarray],
    x,
    eps: float = 1e-6,
    rtol: float = 1e-6,
    atol: float = DEFAULT_ATOL,
) -> GradCheckResult:
    """Compare ``grad_f(x)`` with the centred finite-difference gradient of ``f`` at ``x``.

    * ``f`` scalar-valued (a reduced loss): the reference is ``numerical_grad(f, x)``.
    * ``f`` array-valued (an activation, a loss with ``reduction="none"``): the reference is the
      gradient of ``sum(f(x))``, which for an elementwise function is its elementwise derivative
      ``f'(x)``, the convention of the ``<name>_grad`` functions of ``lib``. For a function that
      mixes entries (softmax) compare Jacobians with ``numerical_jacobian`` instead.

    ``ok`` is True when every entry satisfies ``|a - n| <= rtol * (|a| + |n|) + atol``; the
    ``atol`` term absorbs the ~1e-10 rounding noise of the estimate where the true derivative
    is 0. To check a function of several arguments, close over the others:
    ``check_grad(lambda z: bce_with_logits(z, y), lambda z: bce_with_logits_grad(z, y), z)``.
    Shapes: ``grad_f(x)`` must have the shape of ``x``.
    """
    check_positive(eps, "eps")
    check_nonnegative(rtol, "rtol")
    check_nonnegative(atol, "atol")
    x = _as_float64_copy(x)
    numeric = numerical_grad(lambda v: np.sum(f(v)), x, eps)
    return _compare(grad_f(x.copy()), numeric, rtol, atol)


def check_network_grads(
    net, X, Y, eps: float = 1e-6, rtol: float = 1e-6, atol: float = DEFAULT_ATOL
) -> dict[str, GradCheckResult]:
    """Check ``net.backward`` against finite differences of ``net.loss(X, Y)``, per parameter.

    ``net`` is a ``lib.network.TwoLayerNet`` (or anything with ``params`` (name -> live array),
    ``forward(X)``, ``backward(Y)`` -> name -> gradient, and ``loss(X, Y)``). Each parameter
    entry is perturbed in place by +-eps, the loss recomputed, and the entry restored: the
    network is unchanged afterwards (up to the float rounding of a float32 network, which
    should be checked in float64 anyway); its cache is that of ``net.forward(X)``. Returns ``{name: GradCheckResult}`` in the order of
    ``net.params``; the acceptance rule is that of ``check_grad``.
    """
    check_positive(eps, "eps")
    check_nonnegative(rtol, "rtol")
    check_nonnegative(atol, "atol")
    net.forward(X)
    analytic: Mapping[str, np.ndarray] = net.backward(Y)
    results = {}
    for name, param in net.params.items():
        results[name] = _compare(analytic[name], _numerical_param_grad(net, param, X, Y, eps), rtol, atol)
    return results


def _numerical_param_grad(net, param: np.ndarray, X, Y, eps: float) -> np.ndarray:
    saved = param.copy()

    def loss_at(value: np.ndarray) -> float:
        param[...] = value
        return net.loss(X, Y)

    try:
        return numerical_grad(loss_at, saved, eps)
    finally:
        param[...] = saved
