"""lib.optim.minibatches: every sample once per epoch, reproducible shuffles, bad arguments.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lib import optim


# mini-batches
# --------------------------------------------------------------------------------------------
def collect(n, batch_size, **kwargs):
    X = np.arange(2 * n, dtype=float).reshape(n, 2)
    Y = np.arange(n)
    batches = list(optim.minibatches(X, Y, batch_size, **kwargs))
    return X, Y, batches


@given(st.integers(1, 50), st.integers(1, 60), st.booleans())
def test_every_sample_once_per_epoch_with_its_label(n, batch_size, shuffle):
    X, Y, batches = collect(n, batch_size, shuffle=shuffle, rng=0)
    xs = np.concatenate([xb for xb, _ in batches])
    ys = np.concatenate([yb for _, yb in batches])
    assert sorted(ys) == list(range(n))
    assert np.array_equal(xs, X[ys])  # rows stay paired with their labels
    assert ys.dtype == Y.dtype
    sizes = [len(yb) for _, yb in batches]
    assert sizes == [batch_size] * (n // batch_size) + ([n % batch_size] if n % batch_size else [])
    if not shuffle:
        assert np.array_equal(ys, Y)


@given(st.integers(1, 50), st.integers(1, 60))
def test_drop_last_keeps_only_full_batches(n, batch_size):
    _, _, batches = collect(n, batch_size, rng=1, drop_last=True)
    assert [len(yb) for _, yb in batches] == [batch_size] * (n // batch_size)
    ys = np.concatenate([yb for _, yb in batches]) if batches else np.array([], dtype=int)
    assert len(set(ys.tolist())) == len(ys)


def test_shuffle_is_reproducible_with_a_seed_and_new_each_epoch_with_a_generator():
    order = lambda **kw: np.concatenate([yb for _, yb in collect(50, 8, **kw)[2]])  # noqa: E731
    assert np.array_equal(order(rng=7), order(rng=7))
    assert not np.array_equal(order(rng=7), np.arange(50))
    gen_a, gen_b = np.random.default_rng(3), np.random.default_rng(3)
    first, second = order(rng=gen_a), order(rng=gen_a)
    assert not np.array_equal(first, second)
    assert np.array_equal(first, order(rng=gen_b))
    assert sorted(order(rng=None)) == list(range(50))


@pytest.mark.parametrize(
    "args, kwargs, error, match",
    [
        ((np.zeros((4, 2)), np.zeros(5), 2), {}, ValueError, "same number of samples"),
        ((np.zeros((0, 2)), np.zeros(0), 2), {}, ValueError, "no samples"),
        ((np.float64(1.0), np.zeros(1), 1), {}, ValueError, "X must have a first axis"),
        ((np.zeros((4, 2)), np.zeros(4), 0), {}, ValueError, "batch_size"),
        ((np.zeros((4, 2)), np.zeros(4), 2.0), {}, TypeError, "batch_size"),
        ((np.zeros((4, 2)), np.zeros(4), 2), dict(rng="seed"), TypeError, "rng"),
        ((np.zeros((4, 2)), np.zeros(4), 2), dict(rng=np.random.RandomState(0)), TypeError, "rng"),
    ],
)
def test_bad_minibatch_arguments_raise_at_the_call(args, kwargs, error, match):
    with pytest.raises(error, match=match):
        optim.minibatches(*args, **kwargs)  # no iteration needed: checked eagerly


# --------------------------------------------------------------------------------------------
