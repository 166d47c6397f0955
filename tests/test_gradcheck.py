"""lib.gradcheck: finite differences against torch autograd, and the checks built on them."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

from conftest import assert_close, t
from lib.gradcheck import (
    GradCheckResult,
    check_grad,
    check_network_grads,
    numerical_grad,
    numerical_jacobian,
    relative_error,
)

# Finite differences with eps = 1e-6 carry ~1e-10 of rounding noise for a function of order 1:
# compare with this slack.
FD_TOL = dict(rtol=1e-6, atol=1e-8)


def fd_tol(np_f, x) -> dict:
    """Slack for a finite difference of ``np_f`` at ``x``: rounding errors of size
    u |f| ~ 1e-16 |f| are divided by 2 eps = 2e-6, and ``|np_f(|x|)|`` bounds the size of the
    terms that ``np_f`` adds up (sums of cubes of 27 entries reach 729)."""
    return dict(rtol=1e-6, atol=1e-9 * (1 + np.max(np.abs(np_f(np.abs(x))))))

small_arrays = arrays(
    np.float64,
    array_shapes(min_dims=0, max_dims=3, max_side=3),
    elements=st.floats(-3, 3, allow_nan=False, allow_infinity=False),
)

# Scalar test functions, each written once for numpy and once for torch (the oracle).
SCALAR_FUNCTIONS = {
    "sum_of_cubes": (lambda x: np.sum(x**3), lambda x: torch.sum(x**3)),
    "x_sin_x": (lambda x: np.sum(x * np.sin(x)), lambda x: torch.sum(x * torch.sin(x))),
    "logsumexp": (
        lambda x: np.log(np.sum(np.exp(x))),
        lambda x: torch.logsumexp(x.reshape(-1), dim=0),
    ),
    "norm_squared_times_mean": (
        lambda x: np.sum(x**2) * np.mean(np.tanh(x)),
        lambda x: torch.sum(x**2) * torch.mean(torch.tanh(x)),
    ),
}


def autograd_grad(torch_f, x: np.ndarray) -> np.ndarray:
    xt = t(x, requires_grad=True)
    out = torch_f(xt)
    (grad,) = torch.autograd.grad(out, xt, allow_unused=True)
    return np.zeros_like(x) if grad is None else grad.numpy()


@pytest.mark.parametrize("name", SCALAR_FUNCTIONS)
@given(x=small_arrays)
def test_numerical_grad_matches_autograd(name, x):
    np_f, torch_f = SCALAR_FUNCTIONS[name]
    assert_close(numerical_grad(np_f, x), autograd_grad(torch_f, x), **fd_tol(np_f, x))


def test_numerical_grad_does_not_mutate_x_and_returns_float64_of_x_shape():
    x = np.array([[0.5, -1.0, 2.0]], dtype=np.float32)
    before = x.copy()
    grad = numerical_grad(lambda v: np.sum(v**2), x)
    np.testing.assert_array_equal(x, before)
    assert grad.dtype == np.float64 and grad.shape == x.shape
    assert_close(grad, 2 * before.astype(np.float64), **FD_TOL)


def test_numerical_grad_is_not_fooled_by_an_f_that_modifies_its_argument():
    def clobbering_f(v):
        value = np.sum(v**2)
        v[...] = 99.0
        return value

    x = np.array([1.0, -2.0])
    assert_close(numerical_grad(clobbering_f, x), 2 * x, **FD_TOL)
    assert_close(numerical_jacobian(lambda v: clobbering_f(v) * np.ones(2), x), np.stack([2 * x] * 2), **FD_TOL)


def test_numerical_grad_accepts_python_scalars_and_lists():
    assert numerical_grad(lambda v: v**2, 3.0).shape == ()
    assert_close(numerical_grad(lambda v: v**2, 3.0), 6.0, **FD_TOL)
    assert_close(numerical_grad(lambda v: v[0] * v[1], [2, 5]), [5.0, 2.0], **FD_TOL)


def test_numerical_grad_error_shrinks_like_eps_squared():
    """Centred differences: the truncation error of exp' at 1 falls 100x when eps falls 10x."""
    errors = [abs(numerical_grad(lambda v: np.exp(v).sum(), 1.0, eps) - np.e) for eps in (1e-2, 1e-3)]
    assert 50 < errors[0] / errors[1] < 200


def test_numerical_grad_rejects_vector_valued_f():
    with pytest.raises(ValueError, match="scalar.*numerical_jacobian"):
        numerical_grad(np.sin, np.ones(3))


@pytest.mark.parametrize("function", [numerical_grad, numerical_jacobian])
@pytest.mark.parametrize("eps", [0.0, -1e-6])
def test_nonpositive_eps_is_rejected(function, eps):
    with pytest.raises(ValueError, match="eps"):
        function(np.sum, np.ones(2), eps=eps)


def test_non_numeric_x_is_rejected():
    with pytest.raises(TypeError, match="x"):
        numerical_grad(np.sum, np.array(["a", "b"]))


A = np.random.default_rng(1).normal(size=(3, 4))
VECTOR_FUNCTIONS = {
    "elementwise": (lambda x: np.tanh(x) * x, lambda x: torch.tanh(x) * x),
    "matmul": (lambda x: x @ A[: x.shape[-1]], lambda x: x @ t(A[: x.shape[-1]])),
    "softmax": (
        lambda x: np.exp(x - x.max(-1, keepdims=True)) / np.exp(x - x.max(-1, keepdims=True)).sum(-1, keepdims=True),
        lambda x: torch.softmax(x, dim=-1),
    ),
    "scalar": (lambda x: np.sum(x**2), lambda x: torch.sum(x**2)),
}


@pytest.mark.parametrize("name", VECTOR_FUNCTIONS)
@given(
    x=arrays(
        np.float64,
        array_shapes(min_dims=1, max_dims=2, max_side=3),
        elements=st.floats(-3, 3, allow_nan=False, allow_infinity=False),
    )
)
def test_numerical_jacobian_matches_autograd_with_its_layout(name, x):
    np_f, torch_f = VECTOR_FUNCTIONS[name]
    expected = torch.autograd.functional.jacobian(torch_f, t(x))
    numeric = numerical_jacobian(np_f, x)
    assert numeric.shape == tuple(expected.shape) == np.shape(np_f(x)) + x.shape
    assert_close(numeric, expected, **fd_tol(np_f, x))


def test_numerical_jacobian_does_not_mutate_x():
    x = np.array([0.1, 0.2, 0.3])
    before = x.copy()
    numerical_jacobian(np.cumsum, x)
    np.testing.assert_array_equal(x, before)


def test_numerical_jacobian_of_empty_input_is_empty():
    assert numerical_jacobian(lambda v: np.ones(2) * v.sum(), np.empty((0,))).shape == (2, 0)


def test_numerical_jacobian_rejects_output_that_changes_shape():
    calls = iter(range(100))
    with pytest.raises(ValueError, match="one shape"):
        numerical_jacobian(lambda v: np.zeros(next(calls) % 2 + 1), np.ones(2))


finite = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)
pairs = st.integers(1, 6).flatmap(
    lambda n: st.tuples(arrays(np.float64, n, elements=finite), arrays(np.float64, n, elements=finite))
)


@given(pair=pairs)
def test_relative_error_is_symmetric_and_between_0_and_1(pair):
    a, b = pair
    err = relative_error(a, b)
    assert err == relative_error(b, a)
    assert 0.0 <= err <= 1.0


@given(a=arrays(np.float64, st.integers(1, 6), elements=finite))
def test_relative_error_of_equal_arrays_is_0(a):
    assert relative_error(a, a.copy()) == 0.0


@given(pair=pairs, scale=st.floats(1e-3, 1e3))
def test_relative_error_is_scale_invariant(pair, scale):
    a, b = pair
    # Away from the tiny floor, scaling both arrays leaves every ratio unchanged.
    a, b = a + np.sign(a) * 1.0 + (a == 0), b + np.sign(b) * 1.0 + (b == 0)
    assert relative_error(scale * a, scale * b) == pytest.approx(relative_error(a, b), rel=1e-9, abs=1e-15)


def test_relative_error_is_the_largest_elementwise_ratio():
    a = np.array([1.0, 100.0, 0.0])
    b = np.array([1.1, 101.0, 0.0])
    assert relative_error(a, b) == pytest.approx(0.1 / 2.1)  # not 1.0/201 (the norm-wise ratio)


@pytest.mark.parametrize("a, b, expected", [(1.0, -1.0, 1.0), (0.0, 1e-20, 1e-20 / 1e-12), (0.0, 3.0, 1.0)])
def test_relative_error_limits(a, b, expected):
    assert relative_error(a, b) == pytest.approx(expected)


def test_relative_error_broadcasts_and_handles_empty():
    assert relative_error(np.ones((2, 3)), 1.0) == 0.0
    assert relative_error(np.empty(0), np.empty(0)) == 0.0


def test_relative_error_rejects_bad_input():
    with pytest.raises(ValueError, match="a and b"):
        relative_error(np.ones(2), np.ones(3))
    with pytest.raises(ValueError, match="tiny"):
        relative_error(1.0, 1.0, tiny=0.0)


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


@pytest.mark.parametrize(
    "f, grad_f",
    [
        (sigmoid, lambda z: sigmoid(z) * (1 - sigmoid(z))),  # elementwise f: derivative per entry
        (lambda z: np.mean(z**2), lambda z: 2 * z / z.size),  # scalar f: its gradient
    ],
)
def test_check_grad_accepts_a_correct_gradient(f, grad_f, rng):
    result = check_grad(f, grad_f, rng.normal(size=(3, 4)))
    assert isinstance(result, GradCheckResult)
    assert result.ok and bool(result)
    assert result.max_relative_error < 1e-6
    assert_close(result.analytic, result.numeric, **FD_TOL)


@pytest.mark.parametrize(
    "wrong_grad",
    [
        lambda z: sigmoid(z),  # forgot the chain rule
        lambda z: sigmoid(z) * (1 - sigmoid(z)) * (1 + 1e-4),  # off by a tiny factor
        lambda z: -sigmoid(z) * (1 - sigmoid(z)),  # sign slip
        lambda z: np.where(z > 0.5, 0.0, sigmoid(z) * (1 - sigmoid(z))),  # wrong on some entries
    ],
)
def test_check_grad_detects_a_wrong_gradient(wrong_grad, rng):
    result = check_grad(sigmoid, wrong_grad, rng.normal(size=(3, 4)))
    assert not result.ok and not bool(result)


def test_check_grad_tolerates_noise_where_the_true_gradient_is_zero():
    x = np.array([0.0, 1.0, 2.0])
    result = check_grad(lambda v: np.sum(v**2) * 1e3 + 1.0, lambda v: 2e3 * v, x)
    assert result.ok


def test_check_grad_rejects_bad_input():
    with pytest.raises(ValueError, match="shape of x"):
        check_grad(np.sin, lambda v: np.cos(v)[:1], np.ones(3))
    with pytest.raises(ValueError, match="rtol"):
        check_grad(np.sin, np.cos, np.ones(3), rtol=-1.0)
    with pytest.raises(ValueError, match="atol"):
        check_grad(np.sin, np.cos, np.ones(3), atol=-1.0)
    with pytest.raises(ValueError, match="eps"):
        check_grad(np.sin, np.cos, np.ones(3), eps=0.0)


class LinearRegression:
    """A duck-typed network: y = X w + c, loss = mean squared error; ``wrong`` breaks dL/dc."""

    def __init__(self, w, c, wrong: bool = False):
        self.params = {"w": np.array(w, dtype=float), "c": np.array(c, dtype=float)}
        self.wrong = wrong

    def forward(self, X):
        self.X = np.asarray(X)
        self.out = self.X @ self.params["w"] + self.params["c"]
        return self.out

    def backward(self, Y):
        err = 2 * (self.out - Y) / Y.size
        return {"w": self.X.T @ err, "c": err.sum() * (3.0 if self.wrong else 1.0)}

    def loss(self, X, Y):
        return np.mean((np.asarray(X) @ self.params["w"] + self.params["c"] - Y) ** 2)


def test_check_network_grads_checks_every_parameter_and_restores_them(rng):
    X, Y = rng.normal(size=(5, 3)), rng.normal(size=5)
    net = LinearRegression(rng.normal(size=3), 0.5)
    before = {k: v.copy() for k, v in net.params.items()}
    results = check_network_grads(net, X, Y)
    assert list(results) == ["w", "c"] and all(r.ok for r in results.values())
    for name, value in before.items():
        np.testing.assert_array_equal(net.params[name], value)


def test_check_network_grads_reports_the_broken_parameter(rng):
    X, Y = rng.normal(size=(5, 3)), rng.normal(size=5)
    results = check_network_grads(LinearRegression(rng.normal(size=3), 0.5, wrong=True), X, Y)
    assert results["w"].ok and not results["c"].ok


def test_check_network_grads_restores_parameters_when_the_loss_fails(rng):
    net = LinearRegression(np.ones(3), 0.0)
    net.loss = lambda X, Y: 1 / 0
    with pytest.raises(ZeroDivisionError):
        check_network_grads(net, np.ones((2, 3)), np.ones(2))
    np.testing.assert_array_equal(net.params["w"], np.ones(3))


@pytest.mark.parametrize("kwargs, name", [({"eps": 0.0}, "eps"), ({"rtol": -1.0}, "rtol"), ({"atol": -1.0}, "atol")])
def test_check_network_grads_rejects_bad_tolerances(kwargs, name):
    with pytest.raises(ValueError, match=name):
        check_network_grads(LinearRegression(np.ones(3), 0.0), np.ones((2, 3)), np.ones(2), **kwargs)
