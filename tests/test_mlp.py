"""lib.mlp.MLP and dropout against torch autograd (float64) and finite differences; input checks; training."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

import lib.optim
from lib.gradcheck import check_grad, numerical_grad
from lib.mlp import (
    MLP,
    NormCache,
    batch_norm,
    batch_norm_backward,
    dropout,
    dropout_backward,
    layer_norm,
    layer_norm_backward,
)

from conftest import assert_close, t

# torch's version of every activation in lib.activations.ACTIVATIONS (default parameters)
TORCH_ACT = {
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "relu": F.relu,
    "leaky_relu": lambda z: F.leaky_relu(z, negative_slope=0.01),
    "elu": lambda z: F.elu(z, alpha=1.0),
    "gelu": F.gelu,
    "swish": F.silu,
    # exact softplus (F.softplus switches to z above threshold=20)
    "softplus": lambda z: torch.clamp(z, min=0) + torch.log1p(torch.exp(-torch.abs(z))),
    "linear": lambda z: z,
}
HIDDEN = sorted(TORCH_ACT)


def torch_reference(net: MLP, X, Y, loss: str):
    """Output, loss and parameter gradients of the same network computed by torch autograd."""
    Ws = [t(W, requires_grad=True) for W in net.weights]
    bs = [t(b, requires_grad=True) for b in net.biases]
    a = t(X)
    for l, (W, b) in enumerate(zip(Ws, bs)):
        z = a @ W + b
        last = l == len(Ws) - 1
        a = TORCH_ACT[net.output if last else net.hidden](z)
    Yt = t(Y).reshape(a.shape)
    if loss == "mse":
        value = F.mse_loss(a, Yt)
    else:
        value = F.binary_cross_entropy_with_logits(z, Yt)
    value.backward()
    return a, value, [(W.grad, b.grad) for W, b in zip(Ws, bs)]


def random_problem(sizes, rng, n=5, loss="mse"):
    X = rng.normal(size=(n, sizes[0]))
    if loss == "bce":
        Y = rng.uniform(size=(n, sizes[-1]))
    else:
        Y = rng.normal(size=(n, sizes[-1]))
    return X, Y


def random_net(sizes, rng, hidden, output):
    # non-zero biases, so that every term of the backward pass is exercised
    net = MLP.random(sizes, rng, init=0.8, hidden=hidden, output=output)
    for b in net.biases:
        b[...] = 0.3 * rng.normal(size=b.shape)
    return net


@settings(max_examples=12)
@given(
    sizes=st.lists(st.integers(1, 5), min_size=2, max_size=6),
    hidden=st.sampled_from(HIDDEN),
    output=st.sampled_from(["linear", "sigmoid", "tanh"]),
    seed=st.integers(0, 2**32 - 1),
)
def test_forward_and_mse_gradients_match_torch(sizes, hidden, output, seed):
    rng = np.random.default_rng(seed)
    net = random_net(sizes, rng, hidden, output)
    X, Y = random_problem(sizes, rng)
    out = net.forward(X)
    grads, norms = net.backward(Y, loss="mse")
    a, value, torch_grads = torch_reference(net, X, Y, "mse")
    assert_close(out, a)
    assert net.loss(X, Y, "mse") == pytest.approx(value.item(), rel=1e-12, abs=1e-14)
    assert len(grads) == net.n_layers and norms.shape == (net.n_layers,)
    for (dW, db), (tW, tb) in zip(grads, torch_grads):
        assert_close(dW, tW, rtol=1e-9, atol=1e-12)
        assert_close(db, tb, rtol=1e-9, atol=1e-12)
    assert_close(norms, [np.linalg.norm(tW.numpy()) for tW, _ in torch_grads], rtol=1e-9, atol=1e-12)


@settings(max_examples=8)
@given(
    sizes=st.lists(st.integers(1, 4), min_size=2, max_size=5),
    hidden=st.sampled_from(HIDDEN),
    seed=st.integers(0, 2**32 - 1),
)
def test_bce_gradients_match_torch(sizes, hidden, seed):
    rng = np.random.default_rng(seed)
    net = random_net(sizes, rng, hidden, "sigmoid")
    X, Y = random_problem(sizes, rng, loss="bce")
    grads, _ = net.gradients(X, Y, loss="bce")
    a, value, torch_grads = torch_reference(net, X, Y, "bce")
    assert_close(net.activations[-1], a)
    assert net.loss(X, Y, "bce") == pytest.approx(value.item(), rel=1e-12)
    for (dW, db), (tW, tb) in zip(grads, torch_grads):
        assert_close(dW, tW, rtol=1e-9, atol=1e-12)
        assert_close(db, tb, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("loss,output", [("mse", "tanh"), ("bce", "sigmoid")])
def test_gradients_match_finite_differences(loss, output, rng):
    sizes = (3, 4, 3, 2)
    net = random_net(sizes, rng, "tanh", output)
    X, Y = random_problem(sizes, rng, n=6, loss=loss)
    grads, _ = net.gradients(X, Y, loss)
    for param, analytic in zip(net.parameters(), MLP.flatten(grads)):
        saved = param.copy()

        def loss_at(value, param=param):
            param[...] = value
            return net.loss(X, Y, loss)

        numeric = numerical_grad(loss_at, saved)
        param[...] = saved
        np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-9)


def test_deltas_and_cache(rng):
    net = random_net((2, 3, 1), rng, "relu", "linear")
    X, Y = random_problem((2, 3, 1), rng, n=4)
    net.forward(X)
    assert [z.shape for z in net.zs] == [(4, 3), (4, 1)]
    assert [a.shape for a in net.activations] == [(4, 2), (4, 3), (4, 1)]
    net.backward(Y[:, 0])  # a 1-D target is accepted for a single output
    assert [d.shape for d in net.deltas] == [(4, 3), (4, 1)]
    np.testing.assert_allclose(net.deltas[-1], 2 * (net.activations[-1] - Y) / 4)


def test_single_layer_is_linear_regression_gradient(rng):
    X, Y = rng.normal(size=(7, 3)), rng.normal(size=(7, 2))
    net = MLP([rng.normal(size=(3, 2))], [np.zeros(2)], output="linear")
    (dW, db), = net.gradients(X, Y)[0]
    residual = X @ net.weights[0] - Y
    np.testing.assert_allclose(dW, 2 * X.T @ residual / Y.size)
    np.testing.assert_allclose(db, 2 * residual.sum(axis=0) / Y.size)


def test_random_initialisations():
    net = MLP.random([400, 300, 200], rng=0, init="xavier")
    assert net.sizes == (400, 300, 200) and net.n_layers == 2
    assert np.std(net.weights[0]) == pytest.approx(np.sqrt(2 / 700), rel=0.02)
    assert all(np.all(b == 0) for b in net.biases)
    he = MLP.random([400, 300], rng=np.random.default_rng(1), init="he", hidden="relu")
    assert np.std(he.weights[0]) == pytest.approx(np.sqrt(2 / 400), rel=0.02)
    fixed = MLP.random([400, 300], rng=2, init=0.5)
    assert np.std(fixed.weights[0]) == pytest.approx(0.5, rel=0.02)
    again = MLP.random([400, 300], rng=2, init=0.5)
    np.testing.assert_array_equal(fixed.weights[0], again.weights[0])
    assert repr(net) == "MLP(sizes=(400, 300, 200), hidden='sigmoid', output='linear')"
    assert MLP.random([2, 2]).sizes == (2, 2)  # rng=None: fresh entropy


def test_network_owns_copies_and_parameters_are_live(rng):
    W, b = rng.normal(size=(2, 1)), np.zeros(1)
    net = MLP([W], [b])
    net.weights[0][0, 0] += 1.0
    assert W[0, 0] != net.weights[0][0, 0]
    params = net.parameters()
    assert params[0] is net.weights[0] and params[1] is net.biases[0]
    # integer input is accepted and becomes float64
    assert MLP([[[1], [2]]], [[0]]).weights[0].dtype == np.float64


def test_training_reduces_loss_full_batch_and_minibatch():
    rng = np.random.default_rng(0)
    X = np.linspace(-np.pi, np.pi, 64)[:, None]
    Y = np.sin(X)
    net = MLP.random([1, 16, 1], rng, init="xavier", hidden="tanh")
    start = net.loss(X, Y)
    history = net.fit(X, Y, lib.optim.Adam(net.parameters(), lr=0.02), epochs=300)
    assert history.shape == (300,)
    assert history[-1] < 0.05 * start
    # mini-batches, and BCE on a separable problem
    Xc = rng.normal(size=(80, 2))
    Yc = (Xc[:, 0] + Xc[:, 1] > 0).astype(float)
    clf = MLP.random([2, 8, 1], rng, hidden="relu", output="sigmoid", init="he")
    before = clf.loss(Xc, Yc, "bce")
    hist = clf.fit(Xc, Yc, lib.optim.SGD(clf.parameters(), lr=0.5), epochs=30,
                   loss="bce", batch_size=16, rng=1)
    assert hist[-1] < 0.5 * before
    assert np.mean((clf.predict(Xc)[:, 0] > 0.5) == Yc) > 0.9


def test_dead_units():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(50, 4))
    net = MLP.random([4, 10, 10, 1], rng, init="he", hidden="relu")
    assert np.all(net.dead_units(X) < 0.5)
    net.biases[0][:] = -100.0  # every first-layer unit is off for every input
    dead = net.dead_units(X)
    assert dead.shape == (2,) and dead[0] == 1.0
    grads, _ = net.gradients(X, rng.normal(size=(50, 1)))
    assert np.all(grads[0][0] == 0)  # no gradient reaches the dead layer's weights
    leaky = MLP(net.weights, net.biases, hidden="leaky_relu")
    assert leaky.dead_units(X)[0] == 0.0
    assert np.any(leaky.gradients(X, np.ones((50, 1)))[0][0][0] != 0)


def test_bad_construction():
    W, b = np.ones((2, 3)), np.zeros(3)
    with pytest.raises(TypeError, match="weights must be a list"):
        MLP(W, [b])
    with pytest.raises(TypeError, match="biases must be a list"):
        MLP([W], b)
    with pytest.raises(ValueError, match="at least one layer"):
        MLP([], [])
    with pytest.raises(ValueError, match="one entry per layer"):
        MLP([W], [b, b])
    with pytest.raises(ValueError, match="2-D"):
        MLP([np.ones(3)], [b])
    with pytest.raises(ValueError, match="1-D"):
        MLP([W], [np.zeros((1, 3))])
    with pytest.raises(ValueError, match=r"needs shape \(3,\)"):
        MLP([W], [np.zeros(2)])
    with pytest.raises(ValueError, match="needs 3 rows"):
        MLP([W, np.ones((2, 1))], [b, np.zeros(1)])
    with pytest.raises(ValueError, match=">= 1 unit"):
        MLP([np.ones((2, 0))], [np.zeros(0)])
    with pytest.raises(ValueError, match="finite"):
        MLP([np.full((2, 3), np.nan)], [b])
    with pytest.raises(TypeError, match="real numbers"):
        MLP([np.array([["a"]])], [np.zeros(1)])
    with pytest.raises(ValueError, match="unknown activation"):
        MLP([W], [b], hidden="sigmoidd")
    with pytest.raises(ValueError, match="unknown activation"):
        MLP([W], [b], output="softmax")
    with pytest.raises(TypeError, match="string"):
        MLP([W], [b], output=None)


def test_bad_random_arguments():
    with pytest.raises(TypeError, match="sizes must be a list"):
        MLP.random("23", 0)
    with pytest.raises(ValueError, match="at least an input and an output"):
        MLP.random([3], 0)
    with pytest.raises(ValueError, match=r"sizes\[1\]"):
        MLP.random([3, 0], 0)
    with pytest.raises(ValueError, match=r"sizes\[0\]"):
        MLP.random([2.5, 1], 0)
    with pytest.raises(TypeError, match="rng"):
        MLP.random([2, 1], rng="seed")
    with pytest.raises(ValueError, match="init must be one of"):
        MLP.random([2, 1], 0, init="glorot")
    with pytest.raises(TypeError, match="init must be one of"):
        MLP.random([2, 1], 0, init=None)
    with pytest.raises(ValueError, match="> 0"):
        MLP.random([2, 1], 0, init=-1.0)
    with pytest.raises(ValueError, match="finite"):
        MLP.random([2, 1], 0, init=float("inf"))


def test_bad_forward_backward_and_fit_arguments(rng):
    net = MLP.random([3, 4, 2], rng)
    X, Y = rng.normal(size=(5, 3)), rng.normal(size=(5, 2))
    with pytest.raises(RuntimeError, match="call forward"):
        net.backward(Y)
    with pytest.raises(ValueError, match="one sample per row"):
        net.forward(np.ones(3))
    with pytest.raises(ValueError, match=r"shape \(N, 3\)"):
        net.forward(np.ones((5, 2)))
    with pytest.raises(ValueError, match="finite"):
        net.forward(np.full((5, 3), np.inf))
    net.forward(X)
    with pytest.raises(ValueError, match=r"output has shape \(5, 2\)"):
        net.backward(Y[:4])
    with pytest.raises(ValueError, match=r"output has shape \(5, 2\)"):
        net.backward(Y[:, 0])  # 1-D only for a single output
    with pytest.raises(ValueError, match="loss must be one of"):
        net.backward(Y, loss="cross_entropy")
    with pytest.raises(ValueError, match="needs output='sigmoid'"):
        net.backward(Y, loss="bce")
    clf = MLP.random([3, 1], rng, output="sigmoid")
    clf.forward(X)
    with pytest.raises(ValueError, match="probabilities"):
        clf.backward(np.full(5, 2.0), loss="bce")
    with pytest.raises(ValueError, match="built on this network"):
        net.fit(X, Y, lib.optim.SGD([np.zeros(2)], lr=0.1), epochs=1)
    with pytest.raises(ValueError, match="built on this network"):
        net.fit(X, Y, object(), epochs=1)
    with pytest.raises(ValueError, match="epochs"):
        net.fit(X, Y, lib.optim.SGD(net.parameters(), lr=0.1), epochs=0)


# --------------------------------------------------------------------------------------------
# Dropout: lib.mlp.dropout / dropout_backward, and MLP(..., dropout=p)
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
    net = MLP.random([2, 3, 1], 0)
    with pytest.raises(error, match="dropout rate p"):
        net.forward(np.ones((2, 2)), dropout=p, rng=0)
    with pytest.raises(error, match="dropout rate p"):
        net.fit(np.ones((2, 2)), np.ones(2), lib.optim.SGD(net.parameters(), lr=0.1), 1, dropout=p)


def test_dropout_bad_arguments():
    with pytest.raises(ValueError, match="grad_out has shape"):
        dropout_backward(np.ones(3), np.ones(4))
    with pytest.raises(TypeError, match="rng"):
        dropout(np.ones(3), 0.5, "seed")
    with pytest.raises(TypeError, match="x"):
        dropout(["a"], 0.5, 0)


def test_mlp_with_dropout_zero_is_unchanged(rng):
    net = random_net((3, 5, 4, 2), rng, "tanh", "linear")
    X, Y = random_problem((3, 5, 4, 2), rng)
    ref_out = net.forward(X)
    ref_grads, _ = net.backward(Y)
    out = net.forward(X, dropout=0.0, rng="never used")
    grads, _ = net.backward(Y)
    assert net.masks is None
    np.testing.assert_array_equal(out, ref_out)
    for (dW, db), (rW, rb) in zip(grads, ref_grads):
        np.testing.assert_array_equal(dW, rW)
        np.testing.assert_array_equal(db, rb)


@pytest.mark.parametrize("loss,output", [("mse", "linear"), ("bce", "sigmoid")])
def test_mlp_dropout_gradients_match_torch_with_the_same_masks(loss, output, rng):
    sizes = (3, 6, 5, 2)
    net = random_net(sizes, rng, "relu", output)
    X, Y = random_problem(sizes, rng, n=7, loss=loss)
    grads, _ = net.gradients(X, Y, loss, dropout=0.4, rng=np.random.default_rng(5))
    assert len(net.masks) == net.n_layers - 1
    assert [m.shape for m in net.masks] == [(7, 6), (7, 5)]
    # torch autograd of the same network, the hidden activations multiplied by lib's masks
    Ws = [t(W, requires_grad=True) for W in net.weights]
    bs = [t(b, requires_grad=True) for b in net.biases]
    a = t(X)
    for l, (W, b) in enumerate(zip(Ws, bs)):
        z = a @ W + b
        if l < len(Ws) - 1:
            a = F.relu(z) * t(net.masks[l])
    Yt = t(Y).reshape(z.shape)
    if loss == "mse":
        value = F.mse_loss(z if output == "linear" else torch.sigmoid(z), Yt)
    else:
        value = F.binary_cross_entropy_with_logits(z, Yt)
    value.backward()
    for (dW, db), W, b in zip(grads, Ws, bs):
        assert_close(dW, W.grad, rtol=1e-9, atol=1e-12)
        assert_close(db, b.grad, rtol=1e-9, atol=1e-12)
    # evaluation (loss, predict) never drops
    assert net.loss(X, Y, loss) == pytest.approx(MLP(net.weights, net.biases, "relu", output).loss(X, Y, loss))
    assert net.masks is None


def test_fit_with_dropout_trains_and_is_reproducible():
    X = np.linspace(-np.pi, np.pi, 64)[:, None]
    Y = np.sin(X)
    histories = []
    for _ in range(2):
        net = MLP.random([1, 32, 1], 0, init="xavier", hidden="tanh")
        start = net.loss(X, Y)
        histories.append(net.fit(X, Y, lib.optim.Adam(net.parameters(), lr=0.02), epochs=200,
                                 rng=3, dropout=0.2))
    np.testing.assert_array_equal(histories[0], histories[1])
    assert histories[0][-1] < 0.2 * start


# --------------------------------------------------------------------------------------------
# Normalisation layers: lib.mlp.batch_norm / layer_norm and their backward passes
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
    with pytest.raises(ValueError, match="eps must be a positive"):
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
