"""The harness every family's tests share: input makers, the ``Case`` table, and the tests run on it.

A family's test module lists its losses in ``CASES`` (one ``Case`` per loss: an input generator,
the lib call and an independent torch oracle, ``torch.nn.functional`` where torch has the loss,
torch ops otherwise) and takes its table tests from ``case_tests(CASES)``: values for all three
reductions, float32 in gives float32 out, and every ``*_grad`` against torch autograd of its
oracle and against centred finite differences of the lib loss (``lib.gradcheck.check_grad``).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import strategies as st

from conftest import assert_close, t
from lib.gradcheck import check_grad

REDUCTIONS = ["mean", "sum", "none"]
N, C = 5, 4

# hypothesis strategies and inputs that tests of several families use
extreme = st.floats(-1e4, 1e4, allow_nan=False, allow_infinity=False)
small_shapes = st.tuples(st.integers(1, 4), st.integers(1, 4))
Z23 = np.zeros((2, 3))



def tt(x, requires_grad: bool = False) -> torch.Tensor:
    """numpy -> torch: integer arrays (labels) as int64, everything else as float64."""
    x = np.asarray(x)
    if x.dtype.kind in "iu":
        return torch.as_tensor(x, dtype=torch.int64)
    return t(x, requires_grad=requires_grad)


def treduce(x: torch.Tensor, reduction: str) -> torch.Tensor:
    return {"mean": x.mean, "sum": x.sum, "none": lambda: x}[reduction]()


def unit_probs(rng, shape) -> np.ndarray:
    """Probabilities well inside (0, 1): away from the clip, room for finite differences."""
    return rng.uniform(0.05, 0.95, shape)


def simplex(rng, n=N, c=C) -> np.ndarray:
    return rng.dirichlet(3 * np.ones(c), n)


def bits(rng, shape) -> np.ndarray:
    return rng.integers(0, 2, shape).astype(np.float64)


def signs(rng, shape) -> np.ndarray:
    return rng.choice([-1.0, 1.0], shape)


def labels(rng, n=N, c=C) -> np.ndarray:
    return rng.integers(0, c, n)


@dataclass
class Case:
    """A loss: ``make(rng)`` -> positional numpy inputs; ``lib(*args, reduction=)``;
    ``oracle(*tensors, reduction)``; optional ``grad`` w.r.t. argument ``wrt``.
    ``scalar_at``: argument positions that are hyper-parameters (Python floats on both sides)."""

    make: Callable
    lib: Callable
    oracle: Callable
    grad: Callable | None = None
    wrt: int = 0
    labels_at: tuple = field(default=())  # argument positions holding integer labels
    scalar_at: tuple = field(default=())


def torch_args(case: Case, args, requires_grad_at: int | None = None) -> list:
    return [a if i in case.scalar_at else tt(a, requires_grad=(i == requires_grad_at))
            for i, a in enumerate(args)]


def with_arg(args, i, value) -> tuple:
    return tuple(value if j == i else a for j, a in enumerate(args))


def as_float32(args) -> list:
    return [a.astype(np.float32) if isinstance(a, np.ndarray) and a.dtype == np.float64 else a for a in args]


def torch_grad(case: Case, args, reduction: str) -> np.ndarray:
    targs = torch_args(case, args, requires_grad_at=case.wrt)
    value = case.oracle(*targs, "sum" if reduction == "none" else reduction)
    value.backward()
    return targs[case.wrt].grad.numpy()


def torch_focal(p, y, reduction, gamma=2.0, alpha=None):
    """torchvision.ops.sigmoid_focal_loss, with BCE on probabilities instead of logits."""
    ce = F.binary_cross_entropy(p, y, reduction="none")
    p_t = p * y + (1 - p) * (1 - y)
    loss = ce * (1 - p_t) ** gamma
    if alpha is not None:
        loss = (alpha * y + (1 - alpha) * (1 - y)) * loss
    return treduce(loss, reduction)


def case_tests(cases: dict[str, Case]) -> dict[str, Callable]:
    """The table tests of one family, to be bound to names ``test_*`` in its module."""

    @pytest.mark.parametrize("reduction", REDUCTIONS)
    @pytest.mark.parametrize("name", cases)
    def test_loss_matches_torch(name, reduction, rng):
        case = cases[name]
        args = case.make(rng)
        expected = case.oracle(*torch_args(case, args), reduction)
        actual = case.lib(*args, reduction=reduction)
        assert np.shape(actual) == tuple(expected.shape)
        assert_close(actual, expected)

    @pytest.mark.parametrize("name", cases)
    def test_float32_in_float32_out(name, rng):
        args = cases[name].make(rng)
        out32 = cases[name].lib(*as_float32(args), reduction="none")
        assert out32.dtype == np.float32
        assert_close(out32, cases[name].lib(*args, reduction="none"), rtol=1e-4, atol=1e-5)

    tests = {"test_loss_matches_torch": test_loss_matches_torch,
             "test_float32_in_float32_out": test_float32_in_float32_out}
    with_grads = [name for name, case in cases.items() if case.grad is not None]
    if not with_grads:  # a family whose losses have no *_grad: their docstrings say why
        return tests

    @pytest.mark.parametrize("name", with_grads)
    def test_float32_grad_is_float32(name, rng):
        args = cases[name].make(rng)
        grad32 = cases[name].grad(*as_float32(args))
        assert grad32.dtype == np.float32
        assert_close(grad32, cases[name].grad(*args), rtol=1e-4, atol=1e-5)

    @pytest.mark.parametrize("reduction", REDUCTIONS)
    @pytest.mark.parametrize("name", with_grads)
    def test_grad_matches_torch_autograd(name, reduction, rng):
        case = cases[name]
        args = case.make(rng)
        actual = case.grad(*args, reduction=reduction)
        assert actual.shape == np.shape(args[case.wrt])
        assert_close(actual, torch_grad(case, args, reduction), rtol=1e-9, atol=1e-12)

    @pytest.mark.parametrize("reduction", REDUCTIONS)
    @pytest.mark.parametrize("name", with_grads)
    def test_grad_matches_finite_differences(name, reduction, rng):
        case = cases[name]
        args, i = case.make(rng), case.wrt
        result = check_grad(
            lambda x: case.lib(*with_arg(args, i, x), reduction=reduction),
            lambda x: case.grad(*with_arg(args, i, x), reduction=reduction),
            args[i],
        )
        assert result.ok, f"max relative error {result.max_relative_error:.2e}"

    return tests | {f.__name__: f for f in (test_float32_grad_is_float32, test_grad_matches_torch_autograd,
                                             test_grad_matches_finite_differences)}
