"""Sequence losses: connectionist temporal classification, CTC (page *Margin and metric learning*,
sequence section).

The conventions every loss follows are stated once, in ``lib.losses``.
"""
from __future__ import annotations

import numpy as np

from lib._checks import check_in_range, check_integer, check_ndim, check_nonnegative, check_reduction, reduce
from lib.losses._common import ArrayLike, _arrays

__all__ = ["ctc_collapse", "ctc"]


def _index_array(x, name: str) -> np.ndarray:
    """Non-negative integers (labels, lengths) as an int64 array."""
    arr = np.asarray(x)
    if arr.size == 0 and arr.dtype.kind == "f":  # np.asarray([]) is float64
        arr = arr.astype(np.int64)
    if arr.dtype == bool or not np.issubdtype(arr.dtype, np.integer):
        raise TypeError(f"{name} must hold integers, got dtype {arr.dtype}")
    arr = arr.astype(np.int64)
    check_nonnegative(arr, name)
    return arr


def ctc_collapse(path: ArrayLike, blank: int = 0) -> list[int]:
    """The CTC collapsing map B: merge runs of repeated labels, then remove the blanks.

    With '-' the blank, B(a a - a b b -) = a a b: the blank between the two a's keeps them apart.
    ``path`` a 1-D sequence of class indices, one per time step; returns the labels as a list.
    """
    path = _index_array(path, "path")
    check_ndim(path, "path", 1, "one class index per time step")
    blank = check_integer(blank, "blank")
    out, previous = [], None
    for label in path.tolist():
        if label != previous and label != blank:
            out.append(label)
        previous = label
    return out


def _ctc_nll(log_probs: np.ndarray, target: np.ndarray, blank: int) -> np.ndarray:
    """-log p(target | log_probs) for one sequence: log_probs (T, C), target (S,)."""
    extended = np.full(2 * target.size + 1, blank)  # blank, y_1, blank, y_2, ..., y_S, blank
    extended[1::2] = target
    # a path may jump from s-2 to s over a blank unless that would merge two equal labels
    skip = np.zeros(extended.size, dtype=bool)
    skip[2:] = (extended[2:] != blank) & (extended[2:] != extended[:-2])
    minus_inf = np.full(2, -np.inf, dtype=log_probs.dtype)
    alpha = np.full(extended.size, -np.inf, dtype=log_probs.dtype)
    alpha[:2] = log_probs[0, extended[:2]]  # start on the first blank or the first label
    for t in range(1, log_probs.shape[0]):
        from_prev = np.concatenate([minus_inf[:1], alpha])[:-1]   # alpha[s - 1]
        from_skip = np.where(skip, np.concatenate([minus_inf, alpha])[:-2], -np.inf)  # alpha[s - 2]
        alpha = np.logaddexp(np.logaddexp(alpha, from_prev), from_skip) + log_probs[t, extended]
    return -np.logaddexp(alpha[-1], alpha[-2] if extended.size > 1 else -np.inf)


def _ctc_targets(targets, target_lengths, n: int) -> list[np.ndarray]:
    """One 1-D label array per sequence, from padded (N, S) or concatenated 1-D targets."""
    targets = _index_array(targets, "targets")
    check_ndim(targets, "targets", (1, 2), "(N, S) padded, or 1-D concatenated")
    if targets.ndim == 2:
        if targets.shape[0] != n:
            raise ValueError(f"targets must have {n} rows (one per sequence); got shape {targets.shape}")
        lengths = np.full(n, targets.shape[1]) if target_lengths is None else _index_array(
            target_lengths, "target_lengths")
        if lengths.shape != (n,) or np.any(lengths > targets.shape[1]):
            raise ValueError(
                f"target_lengths must be {n} lengths <= {targets.shape[1]}; got {lengths.tolist()}")
        return [row[:k] for row, k in zip(targets, lengths)]
    if target_lengths is None:
        if n != 1:
            raise ValueError("target_lengths is required with 1-D (concatenated) targets")
        return [targets]
    lengths = _index_array(target_lengths, "target_lengths")
    if lengths.shape != (n,) or lengths.sum() != targets.size:
        raise ValueError(
            f"target_lengths must be {n} lengths summing to len(targets) = {targets.size}; "
            f"got {lengths.tolist()}")
    return np.split(targets, np.cumsum(lengths)[:-1])


def ctc(
    log_probs: ArrayLike,
    targets: ArrayLike,
    input_lengths: ArrayLike | None = None,
    target_lengths: ArrayLike | None = None,
    blank: int = 0,
    reduction: str = "mean",
) -> np.ndarray:
    """Connectionist temporal classification loss (Graves et al. 2006), as ``F.ctc_loss``.

    With B the collapsing map of ``ctc_collapse`` (merge repeats, drop blanks),

        l_n = -log sum_{paths pi of length T_n with B(pi) = y_n} prod_t p_t(pi_t | x_n),

    computed by the forward (alpha) recursion in log space over the extended target
    (blank, y_1, blank, y_2, ..., y_S, blank), in O(T S) steps instead of a sum over C^T paths.

    ``log_probs`` (T, N, C): log-probabilities (a log_softmax over the C classes, so every entry
    <= 0) for T time steps of N sequences, or (T, C) for one sequence. ``targets`` (N, S)
    padded label sequences, or 1-D: all targets concatenated (or one sequence's labels); labels
    in [0, C) and not ``blank``. ``input_lengths`` (N,) frames T_n in [1, T] of each sequence
    (default all T); ``target_lengths`` (N,) labels S_n of each target (default S; required for
    concatenated targets). A target the T_n frames cannot produce (it needs S_n frames plus one
    blank between each pair of equal neighbours) gives +inf, as torch with zero_infinity=False.
    ``"none"`` gives the N losses; ``"sum"`` adds them; ``"mean"``, as torch, divides each loss
    by its target length (at least 1) and then averages over the batch.

    No ``_grad``: it needs the backward (beta) recursion, which the course leaves to
    ``F.ctc_loss``; only the value is computed here (by the forward algorithm) and tested against
    torch.
    """
    (log_probs,) = _arrays(log_probs=log_probs)
    check_ndim(log_probs, "log_probs", (2, 3), "(T, N, C), or (T, C) for one sequence")
    if np.any(np.isnan(log_probs)) or np.any(log_probs > 0):
        raise ValueError("log_probs must hold log-probabilities (<= 0): pass log_softmax of the logits")
    unbatched = log_probs.ndim == 2
    if unbatched:
        log_probs = log_probs[:, None, :]
        input_lengths = None if input_lengths is None else np.reshape(input_lengths, (1,))
        target_lengths = None if target_lengths is None else np.reshape(target_lengths, (1,))
    n_steps, n, n_classes = log_probs.shape
    if n_steps < 1 or n_classes < 1:
        raise ValueError(f"log_probs needs at least one time step and one class; got {log_probs.shape}")
    blank = check_integer(blank, "blank")
    check_in_range(blank, "blank", 0, n_classes, high_open=True)
    check_reduction(reduction)
    seqs = _ctc_targets(targets, target_lengths, n)
    lengths = np.full(n, n_steps) if input_lengths is None else _index_array(input_lengths, "input_lengths")
    if lengths.shape != (n,) or np.any(lengths < 1) or np.any(lengths > n_steps):
        raise ValueError(f"input_lengths must be {n} lengths in [1, {n_steps}]; got {lengths.tolist()}")
    for i, seq in enumerate(seqs):
        if np.any(seq >= n_classes) or np.any(seq == blank):
            raise ValueError(
                f"targets must hold labels in [0, {n_classes}) other than the blank {blank}; "
                f"sequence {i} is {seq.tolist()}")
    losses = np.array([_ctc_nll(log_probs[:k, i], seq, blank)
                       for i, (k, seq) in enumerate(zip(lengths, seqs))], dtype=log_probs.dtype)
    if reduction == "mean":
        return (losses / np.maximum([s.size for s in seqs], 1)).mean().astype(log_probs.dtype)
    return losses[0] if unbatched and reduction == "none" else reduce(losses, reduction)
