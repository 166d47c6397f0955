"""lib.layers: dropout and normalisation layers against torch (float64) and finite differences."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from lib.gradcheck import check_grad
from lib.layers import (
    NormCache,
    batch_norm,
    batch_norm_backward,
    dropout,
    dropout_backward,
    layer_norm,
    layer_norm_backward,
)

from conftest import assert_close, t


# --------------------------------------------------------------------------------------------
# Dropout: lib.layers.dropout / dropout_backward
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_inverted_dropout_keeps_the_expectation(p):
    x = np.array([1.5, -2.0, 0.3, 4.0])
    draws = np.broadcast_to(x, (200_000, 4))
    out, mask = dropout(draws, p, np.random.default_rng(0))
    # each entry of out is x/(1-p) with probability 1-p, else 0: mean x, sd |x| sqrt(p/(1-p))
    se = np.abs(x) * np.sqrt(p / (1 - p)) / np.sqrt(draws.shape[0])
    assert np.all(np.abs(out.mean(axis=0) - x) < 5 * se)
    assert abs(np.mean(mask > 0) - (1 - p)) < 0.01


def test_dropout_at_evaluation_and_with_p_zero_is_the_identity(rng):
    x = rng.normal(size=(3, 4))
    for out, mask in (dropout(x, 0.5, rng, training=False), dropout(x, 0.0, rng)):
        np.testing.assert_array_equal(out, x)
        np.testing.assert_array_equal(mask, np.ones_like(x))
        assert out is not x
    # float32 stays float32
    out32, mask32 = dropout(x.astype(np.float32), 0.5, rng)
    assert out32.dtype == np.float32 and mask32.dtype == np.float32


@pytest.mark.parametrize("p", [0.2, 0.5, 0.9])
def test_dropout_values_and_gradient_follow_torch_semantics(p):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(50, 40))
    out, mask = dropout(x, p, rng)
    kept = mask != 0
    # every entry is 0 or x / (1 - p), as F.dropout's output
    np.testing.assert_array_equal(out[~kept], 0.0)
    assert_close(out[kept], x[kept] / (1 - p))
    torch.manual_seed(0)
    xt = t(x, requires_grad=True)
    yt = F.dropout(xt, p=p, training=True)
    t_kept = (yt != 0).numpy()
    assert_close(yt.detach().numpy()[t_kept], x[t_kept] / (1 - p))
    assert set(np.unique(mask)) == set(np.unique(F.dropout(torch.ones(50, 40), p=p).numpy()))
    # torch's gradient is upstream * its mask; lib's backward with that mask gives the same
    g = rng.normal(size=x.shape)
    yt.backward(t(g))
    assert_close(dropout_backward(g, t_kept / (1 - p)), xt.grad)
    # F.dropout in eval mode is the identity, as lib's
    assert_close(dropout(x, p, rng, training=False)[0], F.dropout(t(x), p=p, training=False))


def test_dropout_backward_matches_finite_differences_with_a_fixed_mask(rng):
    x = rng.normal(size=(4, 5))
    _, mask = dropout(x, 0.4, rng)
    g = rng.normal(size=x.shape)  # upstream gradient: the loss is sum(g * dropout(x))
    result = check_grad(lambda v: np.sum(g * v * mask), lambda v: dropout_backward(g, mask), x)
    assert result.ok, result.max_relative_error


@pytest.mark.parametrize("p, error", [(1.0, ValueError), (-0.1, ValueError), (1.5, ValueError),
                                      (True, TypeError), ("0.5", TypeError), (None, TypeError)])
def test_dropout_rate_outside_0_1_raises(p, error):
    with pytest.raises(error, match="dropout rate p"):
        dropout(np.ones(3), p, 0)


def test_dropout_bad_arguments():
    with pytest.raises(ValueError, match="grad_out has shape"):
        dropout_backward(np.ones(3), np.ones(4))
    with pytest.raises(TypeError, match="rng"):
        dropout(np.ones(3), 0.5, "seed")
    with pytest.raises(TypeError, match="x"):
        dropout(["a"], 0.5, 0)



# --------------------------------------------------------------------------------------------
# Normalisation layers: lib.layers.batch_norm / layer_norm and their backward passes
# --------------------------------------------------------------------------------------------


def _affine(rng, n):
    return 1 + 0.5 * rng.normal(size=n), rng.normal(size=n)


@pytest.mark.parametrize("shape", [(2, 1), (7, 4), (32, 5)])
def test_batch_norm_training_values_and_gradients_match_torch(shape):
    rng = np.random.default_rng(11)
    x = 3 * rng.normal(size=shape) + 2
    gamma, beta = _affine(rng, shape[1])
    g = rng.normal(size=shape)
    out, cache = batch_norm(x, gamma, beta, eps=1e-5)
    dx, dgamma, dbeta = batch_norm_backward(g, cache)
    xt, gt, bt = (t(v, requires_grad=True) for v in (x, gamma, beta))
    yt = F.batch_norm(xt, None, None, gt, bt, training=True, eps=1e-5)
    yt.backward(t(g))
    assert_close(out, yt)
    assert_close(dx, xt.grad, rtol=1e-9, atol=1e-11)
    assert_close(dgamma, gt.grad)
    assert_close(dbeta, bt.grad)
    # every column of x_hat has mean 0 and (biased) variance var / (var + eps)
    assert_close(cache.x_hat.mean(axis=0), np.zeros(shape[1]), atol=1e-12)
    assert_close(cache.x_hat.var(axis=0), x.var(axis=0) / (x.var(axis=0) + 1e-5))


def test_batch_norm_running_statistics_follow_torch_with_the_unbiased_variance():
    rng = np.random.default_rng(12)
    gamma, beta = _affine(rng, 3)
    rm, rv = np.zeros(3), np.ones(3)
    trm, trv = torch.zeros(3), torch.ones(3)
    for step in range(5):
        x = rng.normal(loc=step, scale=2.0, size=(6, 3))
        out, _ = batch_norm(x, gamma, beta, running_mean=rm, running_var=rv, momentum=0.1)
        tout = F.batch_norm(t(x), trm, trv, t(gamma), t(beta), training=True, momentum=0.1)
        assert_close(out, tout)
        assert_close(rm, trm)
        assert_close(rv, trv)
    # the last update, by hand: the variance stored is the unbiased one (divides by N - 1)
    before = rv.copy()
    x = rng.normal(size=(4, 3))
    batch_norm(x, gamma, beta, running_mean=rm, running_var=rv, momentum=0.25)
    assert_close(rv, 0.75 * before + 0.25 * x.var(axis=0, ddof=1))
    # float32 running buffers are updated in place and stay float32
    rm32, rv32 = np.zeros(3, np.float32), np.ones(3, np.float32)
    batch_norm(x, gamma, beta, running_mean=rm32, running_var=rv32)
    assert rm32.dtype == np.float32 and rv32.dtype == np.float32
    assert_close(rv32, 0.9 + 0.1 * x.var(axis=0, ddof=1), rtol=1e-6)


def test_batch_norm_evaluation_uses_running_statistics_like_torch():
    rng = np.random.default_rng(13)
    x = rng.normal(size=(5, 4))
    gamma, beta = _affine(rng, 4)
    rm, rv = rng.normal(size=4), rng.uniform(0.5, 2, size=4)
    rm0, rv0 = rm.copy(), rv.copy()
    g = rng.normal(size=x.shape)
    out, cache = batch_norm(x, gamma, beta, training=False, running_mean=rm, running_var=rv)
    dx, dgamma, dbeta = batch_norm_backward(g, cache)
    xt, gt, bt = (t(v, requires_grad=True) for v in (x, gamma, beta))
    yt = F.batch_norm(xt, t(rm), t(rv), gt, bt, training=False)
    yt.backward(t(g))
    assert_close(out, yt)
    for mine, theirs in ((dx, xt.grad), (dgamma, gt.grad), (dbeta, bt.grad)):
        assert_close(mine, theirs)
    # evaluation changes nothing, and a sample's output does not depend on the rest of the batch
    np.testing.assert_array_equal(rm, rm0)
    np.testing.assert_array_equal(rv, rv0)
    single, _ = batch_norm(x[:1], gamma, beta, training=False, running_mean=rm, running_var=rv)
    assert_close(single, out[:1])


@pytest.mark.parametrize("shape", [(5, 1), (6, 8), (2, 3, 4)])
def test_layer_norm_values_and_gradients_match_torch(shape):
    rng = np.random.default_rng(14)
    x = 2 * rng.normal(size=shape) - 1
    gamma, beta = _affine(rng, shape[-1])
    g = rng.normal(size=shape)
    out, cache = layer_norm(x, gamma, beta, eps=1e-5)
    dx, dgamma, dbeta = layer_norm_backward(g, cache)
    xt, gt, bt = (t(v, requires_grad=True) for v in (x, gamma, beta))
    yt = F.layer_norm(xt, (shape[-1],), gt, bt, eps=1e-5)
    yt.backward(t(g))
    assert_close(out, yt)
    assert_close(dx, xt.grad, rtol=1e-9, atol=1e-11)
    assert_close(dgamma, gt.grad)
    assert_close(dbeta, bt.grad)


def test_layer_norm_of_a_row_does_not_depend_on_the_other_rows(rng):
    x = rng.normal(size=(6, 5))
    gamma, beta = _affine(rng, 5)
    out, _ = layer_norm(x, gamma, beta)
    assert_close(layer_norm(x[2:3], gamma, beta)[0], out[2:3])
    # and it is batch norm applied to the transpose (statistics over the other axis)
    bn, _ = batch_norm(x.T, np.ones(6), np.zeros(6))
    assert_close(layer_norm(x, np.ones(5), np.zeros(5))[0], bn.T)


@pytest.mark.parametrize("which", ["batch", "layer"])
def test_normalisation_gradients_match_finite_differences(which, rng):
    x = rng.normal(size=(5, 3))
    gamma, beta = _affine(rng, 3)
    g = rng.normal(size=x.shape)  # the loss is sum(g * out)
    forward, backward = (batch_norm, batch_norm_backward) if which == "batch" else (layer_norm, layer_norm_backward)
    result = check_grad(lambda v: np.sum(g * forward(v, gamma, beta)[0]),
                        lambda v: backward(g, forward(v, gamma, beta)[1])[0], x)
    assert result.ok, result.max_relative_error
    result = check_grad(lambda v: np.sum(g * forward(x, v, beta)[0]),
                        lambda v: backward(g, forward(x, v, beta)[1])[1], gamma)
    assert result.ok, result.max_relative_error


def test_batch_norm_output_is_invariant_to_the_scale_and_shift_of_its_input(rng):
    x = rng.normal(size=(10, 4))
    gamma, beta = _affine(rng, 4)
    out, _ = batch_norm(x, gamma, beta, eps=1e-12)
    assert_close(batch_norm(7.5 * x - 3.0, gamma, beta, eps=1e-12)[0], out, rtol=1e-9, atol=1e-10)


def test_batch_norm_bad_arguments():
    x = np.ones((4, 3))
    one, zero = np.ones(3), np.zeros(3)
    with pytest.raises(ValueError, match="x must be 2-D"):
        batch_norm(np.ones(3), one, zero)
    with pytest.raises(ValueError, match="more than 1 sample"):
        batch_norm(np.ones((1, 3)), one, zero)
    with pytest.raises(ValueError, match=r"gamma must have shape \(3,\)"):
        batch_norm(x, np.ones(4), zero)
    with pytest.raises(ValueError, match="beta must be finite"):
        batch_norm(x, one, np.array([0.0, np.nan, 0.0]))
    with pytest.raises(ValueError, match="x must be finite"):
        batch_norm(np.full((4, 3), np.inf), one, zero)
    with pytest.raises(ValueError, match="eps must be > 0"):
        batch_norm(x, one, zero, eps=0.0)
    with pytest.raises(TypeError, match="eps"):
        batch_norm(x, one, zero, eps="1e-5")
    with pytest.raises(ValueError, match="both running_mean and running_var"):
        batch_norm(x, one, zero, running_mean=np.zeros(3))
    with pytest.raises(ValueError, match="training=False"):
        batch_norm(x, one, zero, training=False)
    with pytest.raises(TypeError, match="running_mean must be a float32/float64 numpy array"):
        batch_norm(x, one, zero, running_mean=[0.0, 0.0, 0.0], running_var=np.ones(3))
    with pytest.raises(ValueError, match=r"running_var must have shape \(3,\)"):
        batch_norm(x, one, zero, running_mean=np.zeros(3), running_var=np.ones(2))
    frozen = np.ones(3)
    frozen.flags.writeable = False
    with pytest.raises(TypeError, match="running_var must be writable"):
        batch_norm(x, one, zero, running_mean=np.zeros(3), running_var=frozen)
    with pytest.raises(ValueError, match="running_var must be >= 0"):
        batch_norm(x, one, zero, training=False, running_mean=np.zeros(3), running_var=-one)
    with pytest.raises(ValueError, match="momentum must be in"):
        batch_norm(x, one, zero, momentum=1.5)
    with pytest.raises(TypeError, match="momentum"):
        batch_norm(x, one, zero, momentum=None)


def test_layer_norm_and_backward_bad_arguments():
    one, zero = np.ones(3), np.zeros(3)
    with pytest.raises(ValueError, match="at least one feature"):
        layer_norm(np.float64(2.0), one, zero)
    with pytest.raises(ValueError, match=r"gamma must have shape \(3,\)"):
        layer_norm(np.ones((2, 3)), np.ones((1, 3)), zero)
    with pytest.raises(TypeError, match="gamma"):
        layer_norm(np.ones((2, 3)), ["a", "b", "c"], zero)
    _, cache = layer_norm(np.arange(6.0).reshape(2, 3), one, zero)
    assert isinstance(cache, NormCache)
    with pytest.raises(ValueError, match="grad_out has shape"):
        layer_norm_backward(np.ones((3, 2)), cache)
    with pytest.raises(TypeError, match="cache must be the NormCache"):
        batch_norm_backward(np.ones((2, 3)), (cache.x_hat, cache.inv_std))
