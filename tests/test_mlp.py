"""lib.mlp.MLP and dropout against torch autograd (float64) and finite differences; input checks; training."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

import lib.optim
from lib.gradcheck import numerical_grad
from lib.mlp import MLP

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
    assert np.mean(clf.predict(Xc)[:, 0] == Yc) > 0.9  # classes, at predict_proba >= 0.5


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
    with pytest.raises(TypeError, match=r"sizes\[0\] must be an integer"):
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
# MLP(..., dropout=p): the masks of lib.layers.dropout in the forward and backward pass
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("p, error", [(1.0, ValueError), (-0.1, ValueError), (1.5, ValueError),
                                      (True, TypeError), ("0.5", TypeError), (None, TypeError)])
def test_mlp_dropout_rate_outside_0_1_raises(p, error):
    net = MLP.random([2, 3, 1], 0)
    with pytest.raises(error, match="dropout rate p"):
        net.forward(np.ones((2, 2)), dropout=p, rng=0)
    with pytest.raises(error, match="dropout rate p"):
        net.fit(np.ones((2, 2)), np.ones(2), lib.optim.SGD(net.parameters(), lr=0.1), 1, dropout=p)


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
