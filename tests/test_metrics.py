"""lib.metrics: hand-checkable cases, torch (float64) where it has an equivalent, synthetic data
with a known answer, and every bad input.

Fixtures: ``rng`` (``np.random.default_rng(0)``) from ``conftest.py``; the module-level helpers
below make the data. Sections: calibration (reliability bins, ECE, temperature scaling).
"""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from conftest import assert_close, t
from lib import metrics as M
from lib.activations import softmax


def calibrated_sample(rng, n: int = 20_000, c: int = 5, scale: float = 2.0):
    """Logits z and labels drawn from softmax(z): softmax(z) is calibrated by construction."""
    z = scale * rng.normal(size=(n, c))
    p = softmax(z, axis=-1)
    labels = (rng.uniform(size=(n, 1)) > np.cumsum(p, axis=1)).sum(axis=1)  # inverse-CDF draw
    return z, np.minimum(labels, c - 1)


# --------------------------------------------------------------------------------------------
# Calibration
# --------------------------------------------------------------------------------------------

PROBS4 = np.array([[0.2, 0.8], [0.6, 0.4], [1.0, 0.0], [0.5, 0.5]])
LABELS4 = np.array([1, 1, 0, 0])


def test_reliability_bins_by_hand():
    bins = M.reliability_bins(PROBS4, LABELS4, n_bins=5)
    # confidences 0.8, 0.6, 1.0, 0.5 fall in (0.6, 0.8], (0.4, 0.6], (0.8, 1], (0.4, 0.6];
    # predictions 1, 0, 0, 0 (the first class on the 0.5/0.5 tie): right, wrong, right, right
    assert_close(bins.edges, [0, 0.2, 0.4, 0.6, 0.8, 1.0])
    assert bins.count.tolist() == [0, 0, 2, 1, 1]
    assert_close(bins.confidence[2:], [0.55, 0.8, 1.0])
    assert_close(bins.accuracy[2:], [0.5, 1.0, 1.0])
    assert np.isnan(bins.confidence[:2]).all() and np.isnan(bins.accuracy[:2]).all()


def test_expected_calibration_error_by_hand():
    # (2 |0.5 - 0.55| + 1 |1 - 0.8| + 1 |1 - 1|) / 4
    assert_close(M.expected_calibration_error(PROBS4, LABELS4, n_bins=5), (2 * 0.05 + 0.2) / 4)
    # one bin: |accuracy - mean confidence| over everything
    assert_close(M.expected_calibration_error(PROBS4, LABELS4, n_bins=1), abs(3 / 4 - 2.9 / 4))


def test_expected_calibration_error_matches_a_torch_loop_over_bins(rng):
    z, labels = calibrated_sample(rng, n=500, c=4)
    probs = softmax(1.7 * z, axis=-1)
    conf, pred = torch.max(t(probs), dim=1)
    correct = (pred == torch.as_tensor(labels)).double()
    edges = torch.linspace(0, 1, 11)
    ece = torch.zeros(())
    for lo, hi in zip(edges[:-1], edges[1:]):  # the usual reference implementation, (lo, hi]
        inside = (conf > lo) & (conf <= hi)
        if inside.any():
            ece += inside.double().mean() * (correct[inside].mean() - conf[inside].mean()).abs()
    assert_close(M.expected_calibration_error(probs, labels, n_bins=10), ece)


def test_calibrated_probabilities_have_small_ece_and_overconfident_ones_do_not(rng):
    z, labels = calibrated_sample(rng)
    calibrated = M.expected_calibration_error(softmax(z, axis=-1), labels)
    overconfident = M.expected_calibration_error(softmax(3 * z, axis=-1), labels)
    assert calibrated < 0.02  # sampling noise only
    assert overconfident > 0.1


def test_ece_is_zero_when_every_confident_prediction_is_right():
    probs = np.eye(3)[[0, 2, 1, 1]]
    assert M.expected_calibration_error(probs, [0, 2, 1, 1]) == 0.0
    assert M.expected_calibration_error(probs, [1, 2, 1, 1]) == 0.25  # one confident mistake


@pytest.mark.parametrize("scale", [0.5, 3.0])
def test_fit_temperature_recovers_a_known_scale(scale, rng):
    z, labels = calibrated_sample(rng)
    T = M.fit_temperature(scale * z, labels)
    assert abs(T / scale - 1) < 0.05  # the sample's own best T is close to, not exactly, scale


def test_fitted_temperature_zeroes_the_torch_autograd_derivative_of_the_nll(rng):
    z, labels = calibrated_sample(rng, n=2000)
    logits = 2.5 * z
    T = M.fit_temperature(logits, labels)
    log_t = torch.tensor(np.log(T), requires_grad=True)
    F.cross_entropy(t(logits) / torch.exp(log_t), torch.as_tensor(labels)).backward()
    assert abs(log_t.grad.item()) < 1e-6
    nll = lambda s: F.cross_entropy(t(logits) / s, torch.as_tensor(labels)).item()  # noqa: E731
    assert nll(T) < min(nll(T * 1.01), nll(T / 1.01))


def test_fit_temperature_returns_the_bound_when_the_minimum_is_outside():
    # separable: every label has the largest logit, so the NLL keeps falling as T -> 0
    logits, labels = np.array([[2.0, 0.0], [0.0, 3.0]]), [0, 1]
    assert abs(M.fit_temperature(logits, labels, bounds=(0.1, 10.0)) - 0.1) < 1e-6


def test_temperature_does_not_change_the_predictions(rng):
    z, labels = calibrated_sample(rng, n=300)
    T = M.fit_temperature(3 * z, labels)
    assert (np.argmax(3 * z / T, axis=1) == np.argmax(3 * z, axis=1)).all()


CALIBRATION_BAD_INPUTS = [
    (lambda: M.reliability_bins(PROBS4, LABELS4, n_bins=0), ValueError, "n_bins"),
    (lambda: M.reliability_bins(PROBS4, LABELS4, n_bins=2.5), TypeError, "n_bins"),
    (lambda: M.reliability_bins(PROBS4, LABELS4, n_bins=True), TypeError, "n_bins"),
    (lambda: M.reliability_bins(PROBS4[0], LABELS4[:1]), ValueError, "probs"),
    (lambda: M.reliability_bins(np.zeros((0, 2)), []), ValueError, "probs"),
    (lambda: M.reliability_bins(PROBS4 + 0.5, LABELS4), ValueError, "probs"),
    (lambda: M.reliability_bins([["a", "b"]], [0]), TypeError, "probs"),
    (lambda: M.expected_calibration_error(PROBS4, [0, 1, 2, 0]), ValueError, "labels"),
    (lambda: M.expected_calibration_error(PROBS4, [0, 1]), ValueError, "labels"),
    (lambda: M.expected_calibration_error(PROBS4, [0.5, 1, 0, 0]), TypeError, "labels"),
    (lambda: M.fit_temperature(PROBS4, LABELS4, bounds=(0.0, 10.0)), ValueError, "bounds"),
    (lambda: M.fit_temperature(PROBS4, LABELS4, bounds=(5.0, 1.0)), ValueError, "bounds"),
    (lambda: M.fit_temperature(PROBS4, LABELS4, tol=0.0), ValueError, "tol"),
    (lambda: M.fit_temperature(PROBS4[0], LABELS4[:1]), ValueError, "logits"),
    (lambda: M.fit_temperature([[np.nan, 0.0]], [0]), ValueError, "logits"),
    (lambda: M.fit_temperature(PROBS4, [0, 1, 2, 0]), ValueError, "labels"),
]


@pytest.mark.parametrize("call, error, match", CALIBRATION_BAD_INPUTS,
                         ids=[f"calib_bad{i}" for i in range(len(CALIBRATION_BAD_INPUTS))])
def test_calibration_rejects_bad_input_naming_it(call, error, match):
    with pytest.raises(error, match=match):
        call()


# --------------------------------------------------------------------------------------------
# Ranking metrics: DCG@k, NDCG@k, precision@k (hand cases and properties; no sklearn here)
# --------------------------------------------------------------------------------------------

import math  # noqa: E402  (this section's own imports, kept with it)

from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

IN_ORDER = -np.arange(6.0)  # scores that keep the list's order: relevances given in ranked order


def test_dcg_by_hand():
    rel = np.array([3.0, 2.0, 3.0, 0.0, 1.0, 2.0])
    expected = 3 + 2 / math.log2(3) + 3 / 2 + 0 + 1 / math.log2(6) + 2 / math.log2(7)
    assert math.isclose(M.dcg_at_k(IN_ORDER, rel, 6), expected, rel_tol=1e-14)
    assert math.isclose(M.dcg_at_k(IN_ORDER, rel, 2), 3 + 2 / math.log2(3), rel_tol=1e-14)
    exp_gain = 7 + 3 / math.log2(3) + 7 / 2
    assert math.isclose(M.dcg_at_k(IN_ORDER, rel, 3, gain="exponential"), exp_gain, rel_tol=1e-14)


def test_ndcg_and_precision_by_hand():
    scores = np.array([0.9, 0.1, 0.5, 0.7])  # ranking: items 0, 3, 2, 1
    rel = np.array([1.0, 1.0, 0.0, 1.0])     # ranked relevances 1, 1, 0, 1
    ideal = 1 + 1 / math.log2(3) + 1 / 2
    assert math.isclose(M.ndcg_at_k(scores, rel, 4), (1 + 1 / math.log2(3) + 1 / math.log2(5)) / ideal,
                         rel_tol=1e-14)
    assert M.ndcg_at_k(scores, rel, 2) == 1.0
    assert M.precision_at_k(scores, rel, 3) == pytest.approx(2 / 3)
    assert M.precision_at_k(scores, rel, 2) == 1.0


def test_ranking_metrics_per_list_and_ties_keep_list_order():
    rel = np.array([[0.0, 1.0], [1.0, 0.0]])
    ties = np.zeros((2, 2))  # a constant scorer keeps the given order
    assert np.array_equal(M.precision_at_k(ties, rel, 1), [0.0, 1.0])
    assert M.ndcg_at_k(ties, rel, 2).shape == (2,)
    assert M.ndcg_at_k(np.ones(3), np.zeros(3), 2) == 0.0  # no relevant item: 0, as sklearn


lists = st.integers(1, 8).flatmap(lambda n: st.tuples(
    st.lists(st.floats(-10, 10), min_size=n, max_size=n),
    st.lists(st.integers(0, 4), min_size=n, max_size=n),
    st.integers(1, n)))


@given(lists)
def test_ndcg_is_one_for_the_ideal_order_and_in_unit_interval(case):
    scores, rel, k = (np.array(case[0]), np.array(case[1], dtype=float), case[2])
    for gain in ("linear", "exponential"):
        value = M.ndcg_at_k(scores, rel, k, gain=gain)
        assert 0.0 <= value <= 1.0 + 1e-12
        if rel.any():
            assert M.ndcg_at_k(rel, rel, k, gain=gain) == pytest.approx(1.0, rel=1e-12)
    assert M.dcg_at_k(scores, rel, k) <= M.dcg_at_k(rel, rel, k) + 1e-12
    assert 0.0 <= M.precision_at_k(scores, rel, k) <= 1.0


@given(lists)
def test_ranking_metrics_depend_on_the_order_of_scores_only(case):
    scores, rel, k = (np.array(case[0]), np.array(case[1], dtype=float), case[2])
    moved = 4.0 * scores  # strictly increasing and exact in floating point: same ranking, same ties
    assert M.ndcg_at_k(moved, rel, k) == M.ndcg_at_k(scores, rel, k)
    assert M.precision_at_k(moved, rel, k) == M.precision_at_k(scores, rel, k)


RANKING_METRIC_BAD_INPUTS = [
    (lambda: M.ndcg_at_k([1.0, 2.0], [1.0, 0.0, 1.0], 1), ValueError, "relevance"),
    (lambda: M.ndcg_at_k([1.0, 2.0], [1.0, -1.0], 1), ValueError, "relevance"),
    (lambda: M.dcg_at_k([1.0, np.nan], [1.0, 0.0], 1), ValueError, "scores"),
    (lambda: M.dcg_at_k(np.ones((1, 2, 2)), np.ones((1, 2, 2)), 1), ValueError, "scores"),
    (lambda: M.precision_at_k([1.0, 2.0], [1.0, 0.0], 3), ValueError, "k"),
    (lambda: M.precision_at_k([1.0, 2.0], [1.0, 0.0], 0), ValueError, "k"),
    (lambda: M.precision_at_k([1.0, 2.0], [1.0, 0.0], 1.0), TypeError, "k"),
    (lambda: M.precision_at_k([1.0, 2.0], [1.0, 0.0], True), TypeError, "k"),
    (lambda: M.dcg_at_k([1.0, 2.0], [1.0, 0.0], 1, gain="log"), ValueError, "gain"),
    (lambda: M.ndcg_at_k(["a"], [1.0], 1), TypeError, "scores"),
]


@pytest.mark.parametrize("call, error, match", RANKING_METRIC_BAD_INPUTS,
                          ids=[f"ranking_metric_bad{i}" for i in range(len(RANKING_METRIC_BAD_INPUTS))])
def test_ranking_metrics_reject_bad_input_naming_it(call, error, match):
    with pytest.raises(error, match=match):
        call()
