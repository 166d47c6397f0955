"""lib.losses.sequence (CTC) against torch (float64), torch autograd and finite differences."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from conftest import assert_close, t
from lib import losses as L
from losses_harness import REDUCTIONS


def random_log_probs(rng, shape) -> np.ndarray:
    return torch.log_softmax(t(2 * rng.normal(size=shape)), dim=-1).numpy()

def test_ctc_collapse_merges_repeats_then_drops_blanks():
    assert L.ctc_collapse([1, 1, 0, 1, 2, 2, 0]) == [1, 1, 2]
    assert L.ctc_collapse([1, 1, 1, 2]) == [1, 2]
    assert L.ctc_collapse([0, 0, 0]) == []
    assert L.ctc_collapse([], blank=0) == []
    assert L.ctc_collapse([3, 3, 1, 3], blank=3) == [1]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("blank", [0, 3])
def test_ctc_matches_torch_ctc_loss_padded_and_concatenated(blank, reduction, rng):
    T, n, c, s = 12, 5, 5, 4
    log_probs = random_log_probs(rng, (T, n, c))
    labels_ = [k for k in range(c) if k != blank]
    targets = rng.choice(labels_, size=(n, s))
    targets[1, 1] = targets[1, 0]  # a repeated label needs a blank in between
    input_lengths = np.array([12, 10, 7, 12, 3])
    target_lengths = np.array([4, 2, 3, 0, 4])  # the last cannot fit: 4 labels in 3 frames
    expected = F.ctc_loss(t(log_probs), torch.as_tensor(targets), torch.as_tensor(input_lengths),
                          torch.as_tensor(target_lengths), blank=blank, reduction=reduction)
    padded = L.ctc(log_probs, targets, input_lengths, target_lengths, blank, reduction)
    concatenated = np.concatenate([row[:k] for row, k in zip(targets, target_lengths)])
    flat = L.ctc(log_probs, concatenated, input_lengths, target_lengths, blank, reduction)
    assert_close(padded, expected)
    assert_close(flat, expected)
    if reduction == "none":
        assert np.isinf(padded[-1]) and np.isfinite(padded[:-1]).all()


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_ctc_of_one_unbatched_sequence_matches_torch(reduction, rng):
    log_probs = random_log_probs(rng, (7, 4))
    target = np.array([2, 2, 1])
    expected = F.ctc_loss(t(log_probs), torch.as_tensor(target), torch.tensor(7), torch.tensor(3),
                          reduction=reduction)
    assert_close(L.ctc(log_probs, target, 7, 3, reduction=reduction), expected)
    assert_close(L.ctc(log_probs, target, reduction=reduction), expected)  # default lengths


@pytest.mark.parametrize("target", [[1, 2], [1, 1], [2], []])
def test_ctc_is_minus_log_of_the_sum_over_all_alignments(target, rng):
    import itertools

    T, c = 5, 3
    log_probs = random_log_probs(rng, (T, c))
    total = sum(
        math.exp(sum(log_probs[step, k] for step, k in enumerate(path)))
        for path in itertools.product(range(c), repeat=T)
        if L.ctc_collapse(path) == target
    )
    assert_close(L.ctc(log_probs, np.array(target, dtype=np.int64), reduction="sum"), -math.log(total))


def test_ctc_float32_stays_float32(rng):
    log_probs = random_log_probs(rng, (6, 2, 4))
    out = L.ctc(log_probs.astype(np.float32), np.array([[1, 2], [3, 3]]), reduction="none")
    assert out.dtype == np.float32
    assert_close(out, L.ctc(log_probs, np.array([[1, 2], [3, 3]]), reduction="none"), rtol=1e-5)
    assert L.ctc(log_probs.astype(np.float32), np.array([[1, 2], [3, 3]])).dtype == np.float32
