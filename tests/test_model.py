"""lib._model: TwoLayerNet and MLP share one interface (parameters, fit, predict, predict_proba)."""
from __future__ import annotations

import numpy as np
import pytest

from lib._model import Model
from lib.mlp import MLP
from lib.network import TwoLayerNet, xor_data
from lib.optim import SGD


def twins(rng_seed: int = 0) -> tuple[TwoLayerNet, MLP]:
    """A 2-2-1 sigmoid network as a TwoLayerNet and as an MLP, with the same parameters."""
    net = TwoLayerNet.random(2, 2, 1, rng=rng_seed, scale=1.0)
    W1, b1, W2, b2 = net.parameters()
    return net, MLP([W1, W2], [b1, b2], hidden="sigmoid", output="sigmoid")


@pytest.mark.parametrize("batch_size", [None, 2])
def test_both_networks_train_alike_through_the_shared_loop(batch_size):
    """Same parameters, same data, same optimizer, same seed: the same losses, epoch by epoch."""
    X, Y = xor_data()
    net, mlp = twins()
    a = net.fit(X, Y, SGD(net.parameters(), lr=0.5, momentum=0.9), 30, batch_size=batch_size, rng=3)
    b = mlp.fit(X, Y, SGD(mlp.parameters(), lr=0.5, momentum=0.9), 30, loss="bce", batch_size=batch_size, rng=3)
    np.testing.assert_allclose(a, b, rtol=1e-12)
    for p, q in zip(net.parameters(), mlp.parameters()):
        np.testing.assert_allclose(p, q, rtol=1e-12)
    np.testing.assert_allclose(net.predict_proba(X), mlp.predict_proba(X), rtol=1e-12)
    np.testing.assert_array_equal(net.predict(X), mlp.predict(X))


def test_train_is_the_old_name_of_fit():
    X, Y = xor_data()
    runs = []
    for method in ("train", "fit"):
        net = TwoLayerNet.random(2, 2, 1, rng=0, scale=1.0)
        runs.append(getattr(net, method)(X, Y, SGD(net.parameters(), lr=0.5), 5))
    assert TwoLayerNet.train is TwoLayerNet.fit and runs[0] == runs[1]


@pytest.mark.parametrize("which", [0, 1], ids=["TwoLayerNet", "MLP"])
def test_predict_gives_classes_at_the_threshold_and_predict_proba_the_probabilities(which):
    X, _ = xor_data()
    net = twins()[which]
    proba = net.predict_proba(X)
    assert proba.shape == (4, 1) and np.all((proba > 0) & (proba < 1))
    assert net.predict(X).dtype == np.int64
    for threshold in (0.2, 0.5, 0.8):
        np.testing.assert_array_equal(net.predict(X, threshold), (proba >= threshold).astype(np.int64))
    with pytest.raises(TypeError, match="threshold must be a real number"):
        net.predict(X, "0.5")


def test_a_regression_network_predicts_values_and_has_no_probabilities():
    X = np.linspace(-1, 1, 6)[:, None]
    for net in (TwoLayerNet.random(1, 3, 1, rng=0, output="linear"),
                MLP.random([1, 3, 1], 0, output="linear")):
        np.testing.assert_array_equal(net.predict(X), net.forward(X))
        with pytest.raises(ValueError, match="predict_proba needs output='sigmoid'"):
            net.predict_proba(X)


def test_predict_is_the_shared_one():
    """Neither network overrides ``predict``: both give classes (``MLP.predict`` once returned the
    output activations, before the shared interface)."""
    assert TwoLayerNet.predict is Model.predict and MLP.predict is Model.predict


@pytest.mark.parametrize("net", [TwoLayerNet.random(2, 2, 1, rng=0), MLP.random([2, 2, 1], 0, output="sigmoid")],
                         ids=["TwoLayerNet", "MLP"])
def test_a_callback_stops_either_network(net):
    X, Y = xor_data()
    seen = []
    history = net.fit(X, Y, SGD(net.parameters(), lr=0.1), 50, callback=lambda e, loss, n: seen.append(e) or e == 2,
                      **({"loss": "bce"} if isinstance(net, MLP) else {}))
    assert seen == [0, 1, 2] and len(history) == 3


def test_the_base_class_needs_a_network():
    model = Model()
    for call in (model.parameters, lambda: model._outputs(None), lambda: model._fit_data(None, None),
                 lambda: model._batch_gradients(None, None, None), lambda: model._fit_loss(None, None)):
        with pytest.raises(NotImplementedError):
            call()
