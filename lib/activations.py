"""Activation functions and their derivatives.

Conventions of this module:

* **Input.** Every function takes the pre-activation ``z`` (the "logit" or "net input") as an
  array of any shape; a Python number or a nested list is accepted too. The elementwise
  functions apply to every entry; the softmax family works along ``axis`` (default ``-1``, the
  last axis, like ``dim=-1`` in torch).
* **dtype.** float32 in gives float32 out, float64 gives float64, and integers or booleans give
  float64. The arithmetic itself is done in float64 and rounded once to the output dtype, so a
  float32 input never overflows in an intermediate step and its result is as accurate as
  float32 allows. The result is always a new ``np.ndarray`` with the shape of ``z`` (0-d for a
  scalar input), never a view of ``z``.
* **Derivatives.** ``<name>_grad(z)`` is the derivative with respect to ``z``. For an
  elementwise activation ``a = f(z)`` the Jacobian is diagonal and ``<name>_grad`` returns its
  diagonal ``f'(z)``, of the shape of ``z``; backpropagation multiplies it by the upstream
  gradient: ``dL/dz = dL/da * f'(z)``. Softmax mixes the entries of a slice, so its Jacobian is
  not diagonal: ``softmax_grad(z, upstream)`` and ``log_softmax_grad(z, upstream)`` return the
  vector-Jacobian product ``dL/dz`` directly, and ``softmax_jacobian(z)`` the full matrix.
* **Kinks** follow torch's autograd: ``relu'(0) = 0``, ``leaky_relu'(0) = alpha``,
  ``elu'(0) = alpha`` (the left-hand derivative, on the ``z <= 0`` branch). The notes use the
  same rule ("1 if z > 0 else 0").
* **Numerical stability.** No function takes ``exp`` of a positive number: sigmoid, softplus,
  swish and their derivatives are written in terms of ``exp(-|z|)``, ELU uses ``expm1(min(z, 0))``
  and the softmax family subtracts the maximum of each slice first (the log-sum-exp trick).
  For any finite ``z`` (|z| up to 1e4 is tested, in float32 and float64) there is no overflow,
  NaN or warning, and small results keep their relative accuracy (e.g. ``sigmoid(-700)`` is
  ``1e-304``, not 0). Non-finite input is not rejected but is not supported either, except
  ``-inf`` entries in the softmax family (masked logits), as long as each slice holds a
  finite entry.

``ACTIVATIONS`` maps the name of each elementwise activation to the pair ``(f, f_grad)``, and
``get(name)`` looks a pair up with a helpful error; the network module and the book use names.
"""
from __future__ import annotations

import math
from typing import Callable

import numpy as np

from lib._checks import as_float_array, as_nonnegative, as_positive, check_integer, check_same_shape

__all__ = [
    "sigmoid", "sigmoid_grad",
    "tanh", "tanh_grad",
    "relu", "relu_grad",
    "leaky_relu", "leaky_relu_grad",
    "elu", "elu_grad",
    "gelu", "gelu_grad",
    "swish", "swish_grad",
    "softplus", "softplus_grad",
    "linear", "linear_grad",
    "softmax", "softmax_grad", "softmax_jacobian",
    "log_softmax", "log_softmax_grad",
    "ACTIVATIONS", "get",
]

Activation = Callable[..., np.ndarray]


# --------------------------------------------------------------------------------------------
# Private helpers: input preparation, parameter checks, and the special functions.
# --------------------------------------------------------------------------------------------

def _prepare(z, name: str = "z") -> tuple[np.ndarray, np.dtype]:
    """``z`` as a float64 array, and the dtype the result must have."""
    z = as_float_array(z, name)
    return z.astype(np.float64), z.dtype


def _finish(values, dtype: np.dtype) -> np.ndarray:
    return np.asarray(values, dtype=dtype)


def _check_axis(axis, z: np.ndarray) -> int:
    axis = check_integer(axis, "axis")
    if not -z.ndim <= axis < z.ndim:
        raise ValueError(
            f"axis {axis} is out of range for z of shape {z.shape} ({z.ndim}-D); "
            f"expected an integer in [{-z.ndim}, {z.ndim})"
            + (" (a softmax needs at least a 1-D array)" if z.ndim == 0 else "")
        )
    return int(axis)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    """sigma(x) in float64 via e = exp(-|x|): 1/(1+e) for x >= 0, e/(1+e) for x < 0."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0, e) / (1.0 + e)


# The error function. numpy has none and lib may not use scipy. ``np.frompyfunc(math.erfc)``
# or ``np.vectorize`` would be exact but are Python loops in disguise (one interpreter call per
# entry, object arrays). Instead we evaluate W. J. Cody's rational Chebyshev approximations
# ("Rational Chebyshev approximations for the error function", Math. Comp. 23, 1969), in the
# form of his SPECFUN routine CALERF (1990): three intervals of |x|, each a ratio of
# polynomials, designed for a relative error below 1e-18, so the float64 result is within a few
# ulps of the true value. Vectorising is a matter of masks: each interval is evaluated only on
# its own entries (so no branch ever sees a value it would overflow on).
#
# We need erfc rather than erf: the GELU uses Phi(z) = erfc(-z / sqrt 2) / 2, and for z < 0 the
# textbook form (1 + erf(z / sqrt 2)) / 2 loses all relative accuracy to cancellation
# (Phi(-10) = 7.6e-24 would come out as 0), while erfc keeps it.

_ERF_A = (3.16112374387056560e00, 1.13864154151050156e02, 3.77485237685302021e02,
          3.20937758913846947e03, 1.85777706184603153e-1)
_ERF_B = (2.36012909523441209e01, 2.44024637934444173e02, 1.28261652607737228e03,
          2.84423683343917062e03)
_ERFC_C = (5.64188496988670089e-1, 8.88314979438837594e00, 6.61191906371416295e01,
           2.98635138197400131e02, 8.81952221241769090e02, 1.71204761263407058e03,
           2.05107837782607147e03, 1.23033935479799725e03, 2.15311535474403846e-8)
_ERFC_D = (1.57449261107098347e01, 1.17693950891312499e02, 5.37181101862009858e02,
           1.62138957456669019e03, 3.29079923573345963e03, 4.36261909014324716e03,
           3.43936767414372164e03, 1.23033935480374942e03)
_ERFC_P = (3.05326634961232344e-1, 3.60344899949804439e-1, 1.25781726111229246e-1,
           1.60837851487422766e-2, 6.58749161529837803e-4, 1.63153871373020978e-2)
_ERFC_Q = (2.56852019228982242e00, 1.87295284992346047e00, 5.27905102951428412e-1,
           6.05183413124413191e-2, 2.33520497626869185e-3)
_ONE_OVER_SQRT_PI = 5.6418958354775628695e-1


def _ratio(x: np.ndarray, num: tuple, den: tuple) -> np.ndarray:
    """Cody's nested evaluation of P(x)/Q(x): the last coefficient of ``num`` multiplies the
    highest power, ``den`` is monic, and the final terms are ``num[-2]`` and ``den[-1]``."""
    xnum, xden = num[-1] * x, x
    for a, b in zip(num[:-2], den[:-1]):
        xnum, xden = (xnum + a) * x, (xden + b) * x
    return (xnum + num[-2]) / (xden + den[-1])


def _exp_minus_square(y: np.ndarray) -> np.ndarray:
    """exp(-y^2) without the rounding error of y^2 being amplified by the exponential.

    y = r + d with r = trunc(16 y)/16, so r^2 is exact and exp(-y^2) = exp(-r^2) exp(-(y-r)(y+r)).
    """
    r = np.trunc(16.0 * y) / 16.0
    return np.exp(-r * r) * np.exp(-(y - r) * (y + r))


def _erfc(x: np.ndarray) -> np.ndarray:
    """Complementary error function erfc(x) = 1 - erf(x), float64, elementwise (Cody)."""
    y = np.minimum(np.abs(x), 40.0)  # erfc(y) underflows to 0 for y > 27.3; 40 keeps y^2 small
    out = np.empty_like(y)
    small, middle = y <= 0.46875, (y > 0.46875) & (y <= 4.0)
    large = y > 4.0
    ys = y[small]
    out[small] = 1.0 - ys * _ratio(ys * ys, _ERF_A, _ERF_B)  # 1 - erf(|x|) with erf = x R(x^2)
    ym = y[middle]
    out[middle] = _exp_minus_square(ym) * _ratio(ym, _ERFC_C, _ERFC_D)
    yl = y[large]
    inv_sq = 1.0 / (yl * yl)
    tail = (_ONE_OVER_SQRT_PI - inv_sq * _ratio(inv_sq, _ERFC_P, _ERFC_Q)) / yl
    out[large] = _exp_minus_square(yl) * tail
    return np.where(x < 0, 2.0 - out, out)  # erfc(-y) = 2 - erfc(y)


def _normal_cdf(z: np.ndarray) -> np.ndarray:
    """Phi(z) = P(N(0,1) <= z) = erfc(-z / sqrt 2) / 2 (float64), with full relative accuracy
    in the left tail, where Phi(z) is tiny."""
    return 0.5 * _erfc(-z / math.sqrt(2.0))


def _normal_pdf(z: np.ndarray) -> np.ndarray:
    """phi(z) = exp(-z^2/2) / sqrt(2 pi); |z| is capped at 40 (phi(40) is already 0 in float64)
    so that z^2 cannot overflow."""
    zc = np.minimum(np.abs(z), 40.0)
    return np.exp(-0.5 * zc * zc) / math.sqrt(2.0 * math.pi)


# --------------------------------------------------------------------------------------------
# Elementwise activations.
# --------------------------------------------------------------------------------------------

def sigmoid(z) -> np.ndarray:
    """Logistic sigmoid, sigma(z) = 1 / (1 + e^{-z}).

    Range (0, 1) (in floating point it reaches 0 and 1 in the far tails); sigma(0) = 1/2 and
    sigma(-z) = 1 - sigma(z). Derivative: ``sigmoid_grad``. Shapes: elementwise, any shape.
    Stability: computed as 1/(1+e) for z >= 0 and e/(1+e) for z < 0 with e = exp(-|z|) <= 1,
    so nothing overflows and the left tail keeps its relative accuracy. As ``torch.sigmoid``.
    """
    z, dtype = _prepare(z)
    return _finish(_sigmoid(z), dtype)


def sigmoid_grad(z) -> np.ndarray:
    """Derivative of the sigmoid, sigma'(z) = sigma(z) (1 - sigma(z)) = sigma(z) sigma(-z).

    Range (0, 1/4], maximal at z = 0, vanishing in both tails. Shapes: elementwise. Stability:
    evaluated as e / (1 + e)^2 with e = exp(-|z|) (even in z), which keeps relative accuracy
    where 1 - sigma(z) would cancel to 0 (z > 37).
    """
    z, dtype = _prepare(z)
    e = np.exp(-np.abs(z))
    return _finish(e / (1.0 + e) ** 2, dtype)


def tanh(z) -> np.ndarray:
    """Hyperbolic tangent, tanh(z) = (e^z - e^{-z}) / (e^z + e^{-z}) = 2 sigma(2z) - 1.

    Range (-1, 1), odd, zero-centred. Derivative: ``tanh_grad``. Shapes: elementwise.
    Stability: ``np.tanh`` (no overflow). As ``torch.tanh``.
    """
    z, dtype = _prepare(z)
    return _finish(np.tanh(z), dtype)


def tanh_grad(z) -> np.ndarray:
    """Derivative of tanh, tanh'(z) = 1 - tanh(z)^2 = sech(z)^2.

    Range (0, 1], maximal at z = 0. Shapes: elementwise. Stability: evaluated as
    4 e / (1 + e)^2 with e = exp(-2|z|), equal to sech^2 but free of the cancellation in
    1 - tanh^2 (which is 0 for |z| > 19) and of the overflow of cosh (|z| > 710).
    """
    z, dtype = _prepare(z)
    e = np.exp(-2.0 * np.abs(z))
    return _finish(4.0 * e / (1.0 + e) ** 2, dtype)


def relu(z) -> np.ndarray:
    """Rectified linear unit, relu(z) = max(0, z).

    Range [0, inf). Derivative: ``relu_grad``. Shapes: elementwise. As ``F.relu``.
    """
    z, dtype = _prepare(z)
    return _finish(np.maximum(z, 0.0), dtype)


def relu_grad(z) -> np.ndarray:
    """Derivative of ReLU: 1 where z > 0, else 0.

    Convention at the kink: relu'(0) = 0, as torch's autograd gives (and the notes' "0 for
    z <= 0"). Shapes: elementwise.
    """
    z, dtype = _prepare(z)
    return _finish(z > 0, dtype)


def leaky_relu(z, alpha: float = 0.01) -> np.ndarray:
    """Leaky ReLU: z for z > 0, alpha z for z <= 0.

    ``alpha >= 0`` is the slope of the negative side (torch calls it ``negative_slope``, default
    0.01 as here); alpha = 0 gives ReLU. Range (-inf, inf) for alpha > 0. Derivative:
    ``leaky_relu_grad``. Shapes: elementwise. As ``F.leaky_relu(z, negative_slope=alpha)``.
    Raises ``ValueError`` for alpha < 0 or non-finite, ``TypeError`` for a non-number.
    """
    alpha = as_nonnegative(alpha, "alpha")
    z, dtype = _prepare(z)
    return _finish(np.where(z > 0, z, alpha * z), dtype)


def leaky_relu_grad(z, alpha: float = 0.01) -> np.ndarray:
    """Derivative of leaky ReLU: 1 where z > 0, else alpha.

    Convention at the kink: the derivative at 0 is alpha, as torch's autograd gives.
    Shapes: elementwise. Same checks on ``alpha`` as ``leaky_relu``.
    """
    alpha = as_nonnegative(alpha, "alpha")
    z, dtype = _prepare(z)
    return _finish(np.where(z > 0, 1.0, alpha), dtype)


def elu(z, alpha: float = 1.0) -> np.ndarray:
    """Exponential linear unit: z for z > 0, alpha (e^z - 1) for z <= 0.

    ``alpha > 0`` is the value the negative side saturates to: range (-alpha, inf).
    Continuous at 0; differentiable there only for alpha = 1. Derivative: ``elu_grad``.
    Shapes: elementwise. Stability: alpha * expm1(min(z, 0)), accurate for small |z| and
    never exponentiating a positive number. As ``F.elu(z, alpha=alpha)``.
    Raises ``ValueError`` for alpha <= 0 or non-finite, ``TypeError`` for a non-number.
    """
    alpha = as_positive(alpha, "alpha")
    z, dtype = _prepare(z)
    return _finish(np.where(z > 0, z, alpha * np.expm1(np.minimum(z, 0.0))), dtype)


def elu_grad(z, alpha: float = 1.0) -> np.ndarray:
    """Derivative of ELU: 1 for z > 0, alpha e^z (= elu(z) + alpha) for z <= 0.

    Convention at the kink: alpha (the left-hand derivative), as torch's autograd gives.
    Shapes: elementwise. Same checks on ``alpha`` as ``elu``.
    """
    alpha = as_positive(alpha, "alpha")
    z, dtype = _prepare(z)
    return _finish(np.where(z > 0, 1.0, alpha * np.exp(np.minimum(z, 0.0))), dtype)


def gelu(z) -> np.ndarray:
    """Gaussian error linear unit, exact form: gelu(z) = z Phi(z) = z/2 (1 + erf(z / sqrt 2)).

    Phi is the standard normal CDF. Range about [-0.17, inf) (minimum -0.170 near z = -0.75);
    smooth, not monotonic. This is torch's default ``F.gelu(z, approximate='none')``, not the
    tanh approximation. Derivative: ``gelu_grad``. Shapes: elementwise.
    Stability: Phi(z) is computed as erfc(-z / sqrt 2) / 2 with a vectorised rational
    approximation of erfc (Cody), accurate to a few ulps, including the left tail where
    1 + erf(.) would cancel.
    """
    z, dtype = _prepare(z)
    return _finish(z * _normal_cdf(z), dtype)


def gelu_grad(z) -> np.ndarray:
    """Derivative of the exact GELU: gelu'(z) = Phi(z) + z phi(z).

    phi(z) = exp(-z^2/2) / sqrt(2 pi) is the standard normal density. Range about
    [-0.13, 1.13]. Shapes: elementwise. Stability: as ``gelu``; phi's argument is capped
    where phi underflows to 0 anyway, so z^2 cannot overflow.
    """
    z, dtype = _prepare(z)
    return _finish(_normal_cdf(z) + z * _normal_pdf(z), dtype)


def swish(z, beta: float = 1.0) -> np.ndarray:
    """Swish: swish(z) = z sigma(beta z).

    ``beta > 0``; beta = 1 is the SiLU (``F.silu``), beta -> inf tends to ReLU. Range about
    [-0.278 / beta, inf); smooth, not monotonic. Derivative: ``swish_grad``. Shapes:
    elementwise. Stability: the stable sigmoid (no overflow for any finite beta z).
    Raises ``ValueError`` for beta <= 0 or non-finite, ``TypeError`` for a non-number.
    """
    beta = as_positive(beta, "beta")
    z, dtype = _prepare(z)
    return _finish(z * _sigmoid(beta * z), dtype)


def swish_grad(z, beta: float = 1.0) -> np.ndarray:
    """Derivative of swish: sigma(beta z) + beta z sigma(beta z) sigma(-beta z).

    (Using sigma' = sigma (1 - sigma) and 1 - sigma(x) = sigma(-x).) Shapes: elementwise.
    Stability: both sigmoids are the stable form, so 1 - sigma never cancels.
    Same checks on ``beta`` as ``swish``.
    """
    beta = as_positive(beta, "beta")
    z, dtype = _prepare(z)
    s = _sigmoid(beta * z)
    return _finish(s + beta * z * s * _sigmoid(-beta * z), dtype)


def softplus(z) -> np.ndarray:
    """Softplus, softplus(z) = log(1 + e^z), a smooth ReLU.

    Range (0, inf); softplus(z) - softplus(-z) = z. Derivative: ``softplus_grad`` (the
    sigmoid). Shapes: elementwise. Stability: max(z, 0) + log1p(exp(-|z|)), exact to rounding
    for every z. Note: ``F.softplus`` (beta=1, threshold=20) returns z itself for z > 20, which
    differs from the exact value by log1p(e^{-z}) < 2.1e-9; this function does not truncate.
    """
    z, dtype = _prepare(z)
    return _finish(np.maximum(z, 0.0) + np.log1p(np.exp(-np.abs(z))), dtype)


def softplus_grad(z) -> np.ndarray:
    """Derivative of softplus: softplus'(z) = e^z / (1 + e^z) = sigma(z).

    Range (0, 1). Shapes: elementwise. Stability: the stable sigmoid.
    """
    z, dtype = _prepare(z)
    return _finish(_sigmoid(z), dtype)


def linear(z) -> np.ndarray:
    """Identity ("linear" or no activation), linear(z) = z; used for regression outputs.

    Range (-inf, inf). Returns a new array (a copy, in the output dtype). Shapes: any.
    """
    z, dtype = _prepare(z)
    return _finish(z, dtype)


def linear_grad(z) -> np.ndarray:
    """Derivative of the identity: 1 everywhere, with the shape of ``z``."""
    z, dtype = _prepare(z)
    return np.ones(z.shape, dtype=dtype)


# --------------------------------------------------------------------------------------------
# The softmax family: each slice along ``axis`` is one vector of K logits.
# --------------------------------------------------------------------------------------------

def _shifted(z: np.ndarray, axis: int) -> np.ndarray:
    """z minus its maximum along ``axis``: every entry <= 0, so exp never overflows.

    Subtracting a constant per slice leaves softmax unchanged. (``initial`` makes a slice of
    length 0 legal: numpy's max has no identity otherwise.)
    """
    return z - np.max(z, axis=axis, keepdims=True, initial=-np.inf)


def _softmax(z: np.ndarray, axis: int) -> np.ndarray:
    e = np.exp(_shifted(z, axis))
    return e / np.sum(e, axis=axis, keepdims=True)


def softmax(z, axis: int = -1) -> np.ndarray:
    """Softmax along ``axis``: softmax(z)_i = e^{z_i} / sum_j e^{z_j}.

    Each slice becomes a probability vector: entries in (0, 1) (0 or 1 only by rounding in
    the tails), summing to 1. Invariant to adding a constant to a slice. With two logits
    [z, 0], softmax(...)_0 = sigma(z): the sigmoid is a two-class softmax with one logit fixed
    at 0. Shapes: z with at least one dimension; the result has the shape of z. Default axis
    -1 (torch's ``F.softmax(z, dim=-1)``). Stability: the maximum of each slice is subtracted
    first. Entries -inf (masked) get probability 0. Derivative: ``softmax_grad`` (VJP),
    ``softmax_jacobian`` (full matrix). Raises ``ValueError`` for an axis out of range.
    """
    z, dtype = _prepare(z)
    axis = _check_axis(axis, z)
    return _finish(_softmax(z, axis), dtype)


def log_softmax(z, axis: int = -1) -> np.ndarray:
    """Log of the softmax along ``axis``: log_softmax(z)_i = z_i - log sum_j e^{z_j}.

    Range (-inf, 0]; exp of a slice sums to 1. Shapes and axis as ``softmax`` (torch's
    ``F.log_softmax(z, dim=-1)``). Stability: the log-sum-exp trick, z_i - m - log sum_j
    e^{z_j - m} with m the slice maximum; unlike log(softmax(z)) this stays finite and accurate
    for very negative entries (log_softmax([0, -1e4]) = [0, -1e4], not [0, -inf]).
    Derivative: ``log_softmax_grad``.
    """
    z, dtype = _prepare(z)
    axis = _check_axis(axis, z)
    if z.shape[axis] == 0:  # nothing to normalise (and the log of the empty sum 0 would warn)
        return _finish(z, dtype)
    shifted = _shifted(z, axis)
    return _finish(shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True)), dtype)


def _prepare_vjp(z, upstream, axis) -> tuple[np.ndarray, np.ndarray, int, np.dtype]:
    z_arr, upstream_arr = as_float_array(z, "z"), as_float_array(upstream, "upstream")
    check_same_shape(z=z_arr, upstream=upstream_arr)
    axis = _check_axis(axis, z_arr)
    dtype = np.result_type(z_arr, upstream_arr)
    return z_arr.astype(np.float64), upstream_arr.astype(np.float64), axis, dtype


def softmax_grad(z, upstream, axis: int = -1) -> np.ndarray:
    """Backpropagate ``upstream`` = dL/ds through s = softmax(z, axis): the vector-Jacobian product.

    dL/dz_j = sum_i upstream_i ds_i/dz_j = s_j (upstream_j - sum_i upstream_i s_i),
    using ds_i/dz_j = s_i (delta_ij - s_j) (see ``softmax_jacobian``), without forming the
    K x K matrix. Shapes: ``z`` and ``upstream`` of the same shape; the result has that shape.
    dtype float32 only when both are float32. With cross-entropy upstream, the result
    simplifies to s - y (the notes' "y_hat - y"), which the loss module uses directly.
    """
    z, upstream, axis, dtype = _prepare_vjp(z, upstream, axis)
    s = _softmax(z, axis)
    return _finish(s * (upstream - np.sum(upstream * s, axis=axis, keepdims=True)), dtype)


def log_softmax_grad(z, upstream, axis: int = -1) -> np.ndarray:
    """Backpropagate ``upstream`` = dL/d(log_softmax(z)) through log_softmax: the VJP.

    d log s_i / dz_j = delta_ij - s_j, hence dL/dz_j = upstream_j - s_j sum_i upstream_i.
    Shapes and dtype as ``softmax_grad``. With the negative log-likelihood (upstream = -y for a
    one-hot or probability target y) this is s - y again.
    """
    z, upstream, axis, dtype = _prepare_vjp(z, upstream, axis)
    s = _softmax(z, axis)
    return _finish(upstream - s * np.sum(upstream, axis=axis, keepdims=True), dtype)


def softmax_jacobian(z) -> np.ndarray:
    """Jacobian of the softmax over the last axis: J[..., i, j] = ds_i/dz_j = s_i (delta_ij - s_j).

    In matrix form J = diag(s) - s s^T: symmetric, each row and column sums to 0 (the
    probabilities always sum to 1), singular (J 1 = 0). Shapes: z of shape (..., K), K >= 0,
    gives (..., K, K), one matrix per slice. For backpropagation prefer ``softmax_grad``
    (upstream @ J without building J, O(K) instead of O(K^2)).
    """
    z, dtype = _prepare(z)
    _check_axis(-1, z)
    s = _softmax(z, -1)
    eye = np.eye(z.shape[-1])
    return _finish(s[..., :, None] * (eye - s[..., None, :]), dtype)


# --------------------------------------------------------------------------------------------
# Registry: look activations up by name.
# --------------------------------------------------------------------------------------------

#: name -> (activation, derivative) for the elementwise activations, each with its default
#: parameters (``functools.partial`` them for others). The softmax family is not here: its
#: derivative needs the upstream gradient (``softmax_grad(z, upstream)``).
ACTIVATIONS: dict[str, tuple[Activation, Activation]] = {
    "sigmoid": (sigmoid, sigmoid_grad),
    "tanh": (tanh, tanh_grad),
    "relu": (relu, relu_grad),
    "leaky_relu": (leaky_relu, leaky_relu_grad),
    "elu": (elu, elu_grad),
    "gelu": (gelu, gelu_grad),
    "swish": (swish, swish_grad),
    "softplus": (softplus, softplus_grad),
    "linear": (linear, linear_grad),
}


def get(name: str) -> tuple[Activation, Activation]:
    """The pair ``(activation, derivative)`` registered under ``name`` in ``ACTIVATIONS``.

    Example: ``f, f_grad = get("relu")``. Raises ``ValueError`` listing the known names for an
    unknown name, ``TypeError`` if ``name`` is not a string.
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be a string, got {type(name).__name__} {name!r}")
    try:
        return ACTIVATIONS[name]
    except KeyError:
        known = ", ".join(sorted(ACTIVATIONS))
        raise ValueError(f"unknown activation name {name!r}; known names: {known}") from None
