"""lib._checks: one rule for each kind of value, and the public functions that follow it."""
from __future__ import annotations

import math

import numpy as np
import pytest

from lib import _checks, layers, losses, optim


@pytest.mark.parametrize("value", [0.5, 2, np.float32(0.25), np.int64(3), np.array(1.5)])
def test_as_real_takes_real_scalars_and_0d_arrays_as_python_floats(value):
    out = _checks.as_real(value, "x")
    assert type(out) is float and out == float(np.asarray(value))


@pytest.mark.parametrize("value", [True, np.bool_(False), "1.0", 1 + 2j, None, np.ones(2)])
def test_as_real_refuses_booleans_strings_and_arrays(value):
    with pytest.raises(TypeError, match="x must be a real number"):
        _checks.as_real(value, "x")


@pytest.mark.parametrize("value", [math.nan, math.inf, np.float64(-np.inf)])
def test_as_real_refuses_nan_and_infinity(value):
    with pytest.raises(ValueError, match="x must be finite"):
        _checks.as_real(value, "x")


def test_as_nonnegative_and_as_positive_check_the_sign():
    assert _checks.as_nonnegative(0, "x") == 0.0 and _checks.as_positive(1e-9, "x") == 1e-9
    with pytest.raises(ValueError, match="x must be >= 0"):
        _checks.as_nonnegative(-1e-9, "x")
    with pytest.raises(ValueError, match="x must be > 0"):
        _checks.as_positive(0.0, "x")


@pytest.mark.parametrize("value", [True, 2.0, "3", None])
def test_check_integer_refuses_booleans_floats_and_strings(value):
    with pytest.raises(TypeError, match="n must be an integer"):
        _checks.check_integer(value, "n")


def test_check_integer_takes_numpy_integers_and_checks_the_minimum():
    assert _checks.check_integer(np.int32(4), "n", minimum=1) == 4
    with pytest.raises(ValueError, match="n must be an integer >= 1, got 0"):
        _checks.check_integer(0, "n", minimum=1)


@pytest.mark.parametrize("value", [True, False, np.bool_(True)])
def test_as_flag_takes_booleans(value):
    assert _checks.as_flag(value, "flag") is bool(value)


@pytest.mark.parametrize("value", [0, 1, "False", None, np.array([True])])
def test_as_flag_refuses_numbers_and_strings(value):
    with pytest.raises(TypeError, match="flag must be True or False"):
        _checks.as_flag(value, "flag")


def test_as_generator_takes_a_generator_a_seed_or_none():
    rng = np.random.default_rng(0)
    assert _checks.as_generator(rng) is rng
    assert _checks.as_generator(7).random() == np.random.default_rng(7).random()
    assert isinstance(_checks.as_generator(None), np.random.Generator)
    for bad in (True, 1.5, np.random.RandomState(0)):
        with pytest.raises(TypeError, match="rng must be"):
            _checks.as_generator(bad)


@pytest.mark.parametrize("call, error, match", [
    (lambda: losses.huber([1.0], [0.0], delta=True), TypeError, "delta must be a real number"),
    (lambda: losses.margin_ranking([1.0], [0.0], [1.0], margin=np.bool_(True)), TypeError, "margin must be a real"),
    (lambda: optim.SGD([np.zeros(2)], lr=0.1, momentum=0.9, nesterov="yes"), TypeError, "nesterov must be True or False"),
    (lambda: optim.Adam([np.zeros(2)], lr=True), TypeError, "lr must be a real number"),
    (lambda: list(optim.minibatches(np.zeros((4, 1)), np.zeros(4), 2, shuffle=1)), TypeError, "shuffle must be True or False"),
    (lambda: optim.step_lr(3, 0.1, step_size=2.0), TypeError, "step_size must be an integer"),
    (lambda: losses.spectral_norm(np.eye(2), n_iter=True), TypeError, "n_iter must be an integer"),
    (lambda: layers.dropout(np.ones(3), 0.5, rng=0, training="no"), TypeError, "training must be True or False"),
    (lambda: layers.batch_norm(np.ones((4, 2)), np.ones(2), np.zeros(2), momentum=True), TypeError, "momentum must be a real"),
], ids=["loss", "margin", "optimizer-flag", "optimizer-lr", "minibatches", "schedule", "spectral-norm", "dropout", "batch-norm"])
def test_every_module_speaks_the_same_rules(call, error, match):
    with pytest.raises(error, match=match):
        call()
