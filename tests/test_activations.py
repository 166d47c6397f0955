"""Tests of ``lib.activations``.

Oracles: torch in float64 for every value and every derivative (``torch.nn.functional`` and
autograd), centred finite differences (``lib.gradcheck``) as a second witness for derivatives,
and Python's ``math.erfc`` / ``math.exp`` where torch itself loses accuracy (the GELU's left
tail, the far tails of sigmoid and tanh derivatives). Values are drawn by hypothesis over shapes
(empty and 0-d included) and over [-1e4, 1e4]; warnings are errors (see ``pyproject.toml``).
"""
from __future__ import annotations

import math
from functools import partial

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from conftest import assert_close, t
from lib import activations as A
from lib.gradcheck import check_grad, numerical_grad, numerical_jacobian

#: Tolerances against torch in float64. The absolute part matters only in the far tails, where
#: torch's own formulas cancel (e.g. torch's gelu(-10) is -0.0, the true value -7.6e-23).
RTOL, ATOL = 1e-12, 1e-12

BIG = 1e4  # the largest |z| the module promises to handle without overflow or warning


def _torch_softplus(x: torch.Tensor) -> torch.Tensor:
    """Exact softplus log(1 + e^x); F.softplus returns x itself above its threshold 20."""
    return torch.logaddexp(x, torch.zeros_like(x))


# name -> (activation, derivative, torch reference). Parameters are fixed here; drawn ones are
# tested in ``test_parameterised_activations_match_torch_for_drawn_parameters``.
CASES = {
    "sigmoid": (A.sigmoid, A.sigmoid_grad, torch.sigmoid),
    "tanh": (A.tanh, A.tanh_grad, torch.tanh),
    "relu": (A.relu, A.relu_grad, F.relu),
    "leaky_relu": (A.leaky_relu, A.leaky_relu_grad, F.leaky_relu),  # both default to 0.01
    "leaky_relu(alpha=0.3)": (
        partial(A.leaky_relu, alpha=0.3),
        partial(A.leaky_relu_grad, alpha=0.3),
        partial(F.leaky_relu, negative_slope=0.3),
    ),
    "leaky_relu(alpha=0)": (
        partial(A.leaky_relu, alpha=0),
        partial(A.leaky_relu_grad, alpha=0),
        F.relu,
    ),
    "elu": (A.elu, A.elu_grad, F.elu),
    "elu(alpha=0.5)": (
        partial(A.elu, alpha=0.5),
        partial(A.elu_grad, alpha=0.5),
        partial(F.elu, alpha=0.5),
    ),
    "gelu": (A.gelu, A.gelu_grad, F.gelu),  # torch's default approximate='none'
    "swish": (A.swish, A.swish_grad, F.silu),
    "swish(beta=2.5)": (
        partial(A.swish, beta=2.5),
        partial(A.swish_grad, beta=2.5),
        lambda x: x * torch.sigmoid(2.5 * x),
    ),
    "softplus": (A.softplus, A.softplus_grad, _torch_softplus),
    "linear": (A.linear, A.linear_grad, lambda x: x.clone()),
}

ELEMENTWISE_FUNCTIONS = [fn for pair in A.ACTIVATIONS.values() for fn in pair]
SOFTMAX_FAMILY = [A.softmax, A.log_softmax, A.softmax_jacobian]
VJP_FAMILY = [A.softmax_grad, A.log_softmax_grad]


def shapes(min_dims: int = 0, max_dims: int = 3, min_side: int = 0, max_side: int = 4):
    return hnp.array_shapes(
        min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side
    )


def values(low: float = -BIG, high: float = BIG):
    """Floats in [low, high], with extra weight on the region where the tails start."""
    return st.one_of(
        st.floats(low, high),
        st.floats(max(low, -40.0), min(high, 40.0)),
        st.sampled_from([v for v in (0.0, -0.0, low, high) if low <= v <= high]),
    )


def arrays(shape=None, low: float = -BIG, high: float = BIG, dtype=np.float64):
    return hnp.arrays(dtype, shape if shape is not None else shapes(), elements=values(low, high))


def away_from_kinks(low: float = -20.0, high: float = 20.0):
    """Small arrays for finite differences: moderate values, none within 1e-3 of the kink at 0."""
    elements = st.floats(low, high).filter(lambda v: abs(v) > 1e-3)
    return hnp.arrays(np.float64, shapes(max_dims=2, max_side=3), elements=elements)


def torch_derivative(torch_fn, z: np.ndarray) -> torch.Tensor:
    """Elementwise derivative by autograd: the gradient of sum(f(x))."""
    x = t(z, requires_grad=True)
    y = torch_fn(x)
    (grad,) = torch.autograd.grad(y, x, torch.ones_like(y))
    return grad


def torch_vjp(torch_fn, z: np.ndarray, upstream: np.ndarray) -> torch.Tensor:
    x = t(z, requires_grad=True)
    (grad,) = torch.autograd.grad(torch_fn(x), x, t(upstream))
    return grad


@st.composite
def logits_and_axis(draw, min_side: int = 0):
    z = draw(arrays(shapes(min_dims=1, min_side=min_side)))
    axis = draw(st.integers(-z.ndim, z.ndim - 1))
    return z, axis


# --------------------------------------------------------------------------------------------
# Elementwise activations and derivatives against torch and finite differences.
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("case", CASES)
@given(z=arrays())
def test_activation_matches_torch(case, z):
    f, _, torch_f = CASES[case]
    out = f(z)
    assert out.shape == z.shape and out.dtype == np.float64
    assert_close(out, torch_f(t(z)), rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("case", CASES)
@given(z=arrays())
def test_derivative_matches_torch_autograd(case, z):
    _, grad, torch_f = CASES[case]
    out = grad(z)
    assert out.shape == z.shape and out.dtype == np.float64
    assert_close(out, torch_derivative(torch_f, z), rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("case", CASES)
@given(z=away_from_kinks())
def test_derivative_matches_finite_differences(case, z):
    f, grad, _ = CASES[case]
    result = check_grad(f, grad, z)
    assert result.ok, f"max relative error {result.max_relative_error}"


@pytest.mark.parametrize(
    "f, grad, torch_f, parameter",
    [
        (A.leaky_relu, A.leaky_relu_grad, lambda x, a: F.leaky_relu(x, negative_slope=a),
         st.floats(0.0, 5.0)),
        (A.elu, A.elu_grad, lambda x, a: F.elu(x, alpha=a), st.floats(1e-3, 5.0)),
        (A.swish, A.swish_grad, lambda x, b: x * torch.sigmoid(b * x), st.floats(1e-3, 10.0)),
    ],
    ids=["leaky_relu", "elu", "swish"],
)
@given(z=arrays(), data=st.data())
def test_parameterised_activations_match_torch_for_drawn_parameters(
    f, grad, torch_f, parameter, z, data
):
    p = data.draw(parameter, label="parameter")
    assert_close(f(z, p), torch_f(t(z), p), rtol=RTOL, atol=ATOL)
    assert_close(grad(z, p), torch_derivative(lambda x: torch_f(x, p), z), rtol=RTOL, atol=ATOL)


@given(z=arrays(low=-BIG, high=20.0))
def test_softplus_equals_torch_softplus_below_its_threshold(z):
    assert_close(A.softplus(z), F.softplus(t(z)), rtol=RTOL, atol=ATOL)


def test_softplus_does_not_truncate_above_torch_threshold():
    # F.softplus returns z itself for z > 20; the exact value exceeds z by log1p(e^-z), 1.25e-9
    # at 20.5, which the difference below resolves to ~ulp(20.5) / 1.25e-9 = 3e-6.
    z = 20.5
    assert F.softplus(t(z)).item() == z
    assert A.softplus(z) - z == pytest.approx(math.log1p(math.exp(-z)), rel=1e-5)


@given(z=arrays(low=-60.0, high=60.0))
def test_gelu_and_its_derivative_match_math_erfc_to_a_few_ulps(z):
    # An independent high-accuracy oracle where torch's 1 + erf(.) cancels (z << 0).
    def cdf(v):
        return 0.5 * math.erfc(-v / math.sqrt(2.0))

    def pdf(v):
        return math.exp(-0.5 * v * v) / math.sqrt(2.0 * math.pi)

    flat = z.ravel()
    expected = np.array([v * cdf(v) for v in flat]).reshape(z.shape)
    expected_grad = np.array([cdf(v) + v * pdf(v) for v in flat]).reshape(z.shape)
    assert_close(A.gelu(z), expected, rtol=1e-14, atol=1e-300)
    assert_close(A.gelu_grad(z), expected_grad, rtol=1e-13, atol=1e-300)


def test_gelu_erfc_is_accurate_on_a_dense_grid():
    # Covers all three intervals of Cody's approximation and their boundaries 0.46875 and 4.
    z = np.concatenate([np.linspace(-40, 12, 20001), np.array([0.46875, 4.0]) * -math.sqrt(2.0)])
    expected = np.array([v * 0.5 * math.erfc(-v / math.sqrt(2.0)) for v in z])
    assert_close(A.gelu(z), expected, rtol=3e-15, atol=1e-300)  # subnormals aside


@pytest.mark.parametrize(
    "f, z, expected",
    [
        (A.sigmoid, -700.0, 1.0 / (1.0 + math.exp(700.0))),
        (A.sigmoid_grad, 40.0, math.exp(-40.0) / (1.0 + math.exp(-40.0)) ** 2),
        (A.tanh_grad, 20.0, 1.0 / math.cosh(20.0) ** 2),
        (A.tanh_grad, -300.0, 1.0 / math.cosh(300.0) ** 2),
        (A.softplus, -700.0, math.log1p(math.exp(-700.0))),
        (A.swish_grad, -30.0, (1 - 29.0 * math.exp(30.0)) / (1 + math.exp(30.0)) ** 2),
        (A.elu, -1e-12, math.expm1(-1e-12)),
    ],
    ids=["sigmoid", "sigmoid_grad", "tanh_grad", "tanh_grad_far", "softplus", "swish_grad", "elu"],
)
def test_tails_keep_relative_accuracy(f, z, expected):
    # torch loses these to cancellation (e.g. 1 - tanh^2 = 0 for z > 19); relative error here.
    assert f(z) == pytest.approx(expected, rel=1e-13, abs=0)


# --------------------------------------------------------------------------------------------
# The softmax family.
# --------------------------------------------------------------------------------------------

@given(za=logits_and_axis())
def test_softmax_and_log_softmax_match_torch(za):
    z, axis = za
    assert_close(A.softmax(z, axis=axis), F.softmax(t(z), dim=axis), rtol=RTOL, atol=ATOL)
    assert_close(A.log_softmax(z, axis=axis), F.log_softmax(t(z), dim=axis), rtol=RTOL, atol=ATOL)


@given(za=logits_and_axis(min_side=1))
def test_softmax_slices_are_probability_vectors(za):
    z, axis = za
    s = A.softmax(z, axis=axis)
    assert np.all((s >= 0) & (s <= 1))
    assert_close(s.sum(axis=axis), np.ones(np.delete(z.shape, axis)), rtol=1e-14, atol=0)


@pytest.mark.parametrize(
    "lib_vjp, torch_f", [(A.softmax_grad, F.softmax), (A.log_softmax_grad, F.log_softmax)],
    ids=["softmax", "log_softmax"],
)
@given(za=logits_and_axis(), data=st.data())
def test_softmax_vjps_match_torch_autograd(lib_vjp, torch_f, za, data):
    z, axis = za
    upstream = data.draw(arrays(z.shape, low=-10.0, high=10.0), label="upstream")
    expected = torch_vjp(lambda x: torch_f(x, dim=axis), z, upstream)
    assert_close(lib_vjp(z, upstream, axis=axis), expected, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize(
    "lib_vjp, lib_f", [(A.softmax_grad, A.softmax), (A.log_softmax_grad, A.log_softmax)],
    ids=["softmax", "log_softmax"],
)
@given(data=st.data())
def test_softmax_vjps_match_finite_differences(lib_vjp, lib_f, data):
    z = data.draw(arrays(shapes(min_dims=1, max_dims=2, min_side=1, max_side=3), -10.0, 10.0))
    upstream = data.draw(arrays(z.shape, low=-3.0, high=3.0))
    axis = data.draw(st.integers(-z.ndim, z.ndim - 1))
    numeric = numerical_grad(lambda v: np.sum(upstream * lib_f(v, axis=axis)), z)
    # The finite difference of a sum of up to 6 terms of size ~30 carries ~1e-8 rounding noise.
    assert_close(lib_vjp(z, upstream, axis=axis), numeric, rtol=1e-6, atol=1e-6)


@given(z=arrays(shapes(min_dims=1, max_dims=3, min_side=1, max_side=4)))
def test_softmax_jacobian_matches_torch_jacobian(z):
    rows = z.reshape(-1, z.shape[-1])
    expected = np.stack([
        torch.autograd.functional.jacobian(lambda x: F.softmax(x, dim=-1), t(row)).numpy()
        for row in rows
    ]).reshape(z.shape + z.shape[-1:])
    assert_close(A.softmax_jacobian(z), expected, rtol=RTOL, atol=ATOL)


@given(z=arrays(hnp.array_shapes(min_dims=1, max_dims=1, min_side=1, max_side=5), -20.0, 20.0))
def test_softmax_jacobian_matches_finite_differences(z):
    assert_close(A.softmax_jacobian(z), numerical_jacobian(A.softmax, z), rtol=1e-6, atol=1e-8)


@given(z=arrays(shapes(min_dims=1, min_side=1)), data=st.data())
def test_softmax_grad_is_upstream_times_jacobian(z, data):
    upstream = data.draw(arrays(z.shape, low=-10.0, high=10.0))
    via_jacobian = np.einsum("...i,...ij->...j", upstream, A.softmax_jacobian(z))
    assert_close(A.softmax_grad(z, upstream), via_jacobian, rtol=1e-10, atol=1e-12)


@given(z=arrays())
def test_two_logit_softmax_is_the_sigmoid(z):
    # softmax([z, 0])_0 = e^z / (e^z + 1) = sigma(z): a sigmoid is a two-class softmax with the
    # second logit pinned at 0 (and log_softmax([z, 0])_0 = -softplus(-z)).
    pair = np.stack([z, np.zeros_like(z)], axis=-1)
    assert_close(A.softmax(pair)[..., 0], A.sigmoid(z), rtol=1e-13, atol=0)
    assert_close(A.softmax(pair)[..., 1], A.sigmoid(-z), rtol=1e-13, atol=0)
    # log_softmax takes log(1 + e^-|z|) where softplus takes log1p(e^-|z|): equal up to the
    # rounding of 1 + e^-|z|, an absolute 1.1e-16.
    assert_close(A.log_softmax(pair)[..., 0], -A.softplus(-z), rtol=1e-13, atol=2e-16)


@given(z1=values(), z2=values())
def test_two_logit_softmax_is_the_sigmoid_of_the_difference(z1, z2):
    # Exactly, not approximately: softmax([z1, z2])_0 = sigma(z1 - z2).
    assert_close(A.softmax([z1, z2])[0], A.sigmoid(z1 - z2), rtol=1e-10, atol=0)


def test_softmax_accepts_masked_logits_and_empty_slices():
    z = np.array([[-np.inf, 0.0, 1.0], [2.0, -np.inf, -np.inf]])
    assert_close(A.softmax(z), F.softmax(t(z), dim=-1))
    assert_close(A.log_softmax(z), F.log_softmax(t(z), dim=-1))
    upstream = np.ones_like(z)
    expected = torch_vjp(lambda x: F.softmax(x, dim=-1), z, upstream)
    assert_close(A.softmax_grad(z, upstream), expected)
    for shape in [(0,), (3, 0), (0, 3)]:
        for f in SOFTMAX_FAMILY:
            extra = (shape[-1],) if f is A.softmax_jacobian else ()
            assert f(np.zeros(shape)).shape == shape + extra


# --------------------------------------------------------------------------------------------
# dtypes, robustness, copies.
# --------------------------------------------------------------------------------------------

ALL_FUNCTIONS = ELEMENTWISE_FUNCTIONS + SOFTMAX_FAMILY


def _call(f, z, upstream=None):
    return f(z, np.ones_like(z) if upstream is None else upstream) if f in VJP_FAMILY else f(z)


@pytest.mark.parametrize("f", ALL_FUNCTIONS + VJP_FAMILY, ids=lambda f: f.__name__)
@given(z=arrays(shapes(min_dims=1), dtype=np.float32, low=-BIG, high=BIG))
def test_float32_in_gives_float32_out_rounded_from_float64(f, z):
    out = _call(f, z)
    assert out.dtype == np.float32
    # The arithmetic is float64 rounded once: the same as the float64 result cast to float32.
    np.testing.assert_array_equal(out, _call(f, z.astype(np.float64)).astype(np.float32))


@pytest.mark.parametrize("f", ALL_FUNCTIONS + VJP_FAMILY, ids=lambda f: f.__name__)
def test_integer_input_gives_float64(f):
    assert _call(f, np.array([[-2, 0, 3]])).dtype == np.float64


@pytest.mark.parametrize("f", VJP_FAMILY, ids=lambda f: f.__name__)
def test_vjp_dtype_is_float32_only_when_both_inputs_are(f):
    z32 = np.array([1.0, 2.0], dtype=np.float32)
    assert f(z32, z32).dtype == np.float32
    assert f(z32, z32.astype(np.float64)).dtype == np.float64
    assert f(z32.astype(np.float64), z32).dtype == np.float64


EXTREMES = np.array([-BIG, -1e3, -710.0, -100.0, -40.0, -1.0, -1e-300, 0.0,
                     1e-300, 1.0, 40.0, 100.0, 710.0, 1e3, BIG])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("f", ALL_FUNCTIONS + VJP_FAMILY, ids=lambda f: f.__name__)
def test_extremes_give_finite_results_without_warnings(f, dtype):
    # Warnings are errors (pyproject.toml); errstate turns numpy's silent overflow, invalid and
    # divide-by-zero into errors too (underflow to 0 is the correct result in the tails).
    z = np.stack([EXTREMES, -EXTREMES]).astype(dtype)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        out = _call(f, z)
    assert np.all(np.isfinite(out))


@pytest.mark.parametrize("case", CASES)
def test_extremes_match_torch(case):
    f, grad, torch_f = CASES[case]
    assert_close(f(EXTREMES), torch_f(t(EXTREMES)), rtol=RTOL, atol=ATOL)
    assert_close(grad(EXTREMES), torch_derivative(torch_f, EXTREMES), rtol=RTOL, atol=ATOL)


def test_log_softmax_stays_finite_where_log_of_softmax_would_not():
    z = np.array([0.0, -BIG])
    np.testing.assert_array_equal(A.log_softmax(z), z)


@pytest.mark.parametrize("f", ALL_FUNCTIONS + VJP_FAMILY, ids=lambda f: f.__name__)
def test_result_is_a_new_array_and_input_is_unchanged(f):
    z = np.array([[-1.5, 0.0, 2.0]])
    before = z.copy()
    out = _call(f, z)
    assert not np.shares_memory(out, z)
    np.testing.assert_array_equal(z, before)


# --------------------------------------------------------------------------------------------
# Registry.
# --------------------------------------------------------------------------------------------

NAMES = ["sigmoid", "tanh", "relu", "leaky_relu", "elu", "gelu", "swish", "softplus", "linear"]


def test_registry_holds_each_activation_with_its_derivative():
    assert sorted(A.ACTIVATIONS) == sorted(NAMES)
    for name in NAMES:
        f, grad = A.get(name)
        assert (f, grad) == A.ACTIVATIONS[name]
        assert f.__name__ == name and grad.__name__ == f"{name}_grad"


def test_get_unknown_name_lists_the_known_ones():
    with pytest.raises(ValueError, match="unknown activation name 'rellu'.*leaky_relu.*softplus"):
        A.get("rellu")


# --------------------------------------------------------------------------------------------
# Bad input.
# --------------------------------------------------------------------------------------------

BAD_CALLS = [
    (partial(A.leaky_relu, 1.0, alpha=-0.1), ValueError, "alpha must be >= 0"),
    (partial(A.leaky_relu_grad, 1.0, alpha=-0.1), ValueError, "alpha must be >= 0"),
    (partial(A.elu, 1.0, alpha=0.0), ValueError, "alpha must be > 0"),
    (partial(A.elu_grad, 1.0, alpha=-1.0), ValueError, "alpha must be > 0"),
    (partial(A.swish, 1.0, beta=0.0), ValueError, "beta must be > 0"),
    (partial(A.swish_grad, 1.0, beta=-2.0), ValueError, "beta must be > 0"),
    (partial(A.elu, 1.0, alpha=math.nan), ValueError, "alpha must be finite"),
    (partial(A.swish, 1.0, beta=math.inf), ValueError, "beta must be finite"),
    (partial(A.leaky_relu, 1.0, alpha="0.1"), TypeError, "alpha must be a real number"),
    (partial(A.elu, 1.0, alpha=True), TypeError, "alpha must be a real number"),
    (partial(A.swish, 1.0, beta=[1.0]), TypeError, "beta must be a real number"),
    (partial(A.softmax, np.zeros((2, 3)), axis=2), ValueError, r"axis 2 is out of range.*\[-2, 2"),
    (partial(A.log_softmax, np.zeros((2, 3)), axis=-3), ValueError, "axis -3 is out of range"),
    (partial(A.softmax, 1.0), ValueError, "axis -1 is out of range.*at least a 1-D"),
    (partial(A.softmax_jacobian, 1.0), ValueError, "at least a 1-D"),
    (partial(A.softmax, np.zeros(3), axis=0.0), TypeError, "axis must be an integer"),
    (partial(A.softmax_grad, np.zeros(3), np.zeros(3), axis=1), ValueError, "axis 1 is out of"),
    (partial(A.log_softmax_grad, np.zeros((2, 3)), np.zeros(3)), ValueError, "upstream of shape"),
    (partial(A.softmax_grad, np.zeros(3), ["a", "b", "c"]), TypeError, "upstream must be an array"),
    (partial(A.get, 3), TypeError, "name must be a string"),
]


def _bad_call_id(value):
    """Name the case by the function it calls; pytest names the error and the message."""
    return value.func.__name__ if isinstance(value, partial) else None


@pytest.mark.parametrize("call, error, match", BAD_CALLS, ids=_bad_call_id)
def test_bad_arguments_raise(call, error, match):
    with pytest.raises(error, match=match):
        call()


@pytest.mark.parametrize("f", ALL_FUNCTIONS + VJP_FAMILY, ids=lambda f: f.__name__)
@pytest.mark.parametrize("z", [["a", "b"], np.array([1 + 2j]), [[1.0, 2.0], [3.0]]],
                         ids=["strings", "complex", "ragged"])
def test_non_numeric_z_raises_type_error(f, z):
    with pytest.raises(TypeError, match="z must be an array of real numbers"):
        f(z, [0.0, 0.0]) if f in VJP_FAMILY else f(z)
