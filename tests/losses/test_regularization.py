"""lib.losses.regularization against torch (float64), torch autograd and finite differences."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from conftest import assert_close, t
from lib import losses as L
from lib.gradcheck import check_grad


@pytest.mark.parametrize("as_list", [False, True])
def test_regularization_penalties_and_grads_match_torch(as_list, rng):
    shapes = [(3, 2), (4,), ()]
    ws = [rng.normal(size=s) for s in shapes]
    w = ws if as_list else ws[0]
    tws = [t(a, True) for a in (ws if as_list else [ws[0]])]
    lam1, lam2 = 0.3, 0.7
    for lib_pen, lib_grad, torch_pen, lams in [
        (L.l1_penalty, L.l1_penalty_grad, lambda a: lam1 * a.abs().sum(), (lam1,)),
        (L.l2_penalty, L.l2_penalty_grad, lambda a: lam2 * (a**2).sum(), (lam2,)),
        (L.elastic_net, L.elastic_net_grad, lambda a: lam1 * a.abs().sum() + lam2 * (a**2).sum(), (lam1, lam2)),
    ]:
        for a in tws:
            a.grad = None
        total = sum(torch_pen(a) for a in tws)
        total.backward()
        assert_close(lib_pen(w, *lams), total)
        grads = lib_grad(w, *lams)
        if as_list:
            assert isinstance(grads, list) and len(grads) == len(ws)
            for g, a in zip(grads, tws):
                assert_close(g, a.grad)
        else:
            assert_close(grads, tws[0].grad)


def test_l2_penalty_and_torch_weight_decay(rng):
    """SGD with weight_decay = 2 lam takes the step of l2_penalty(w, lam) (no 1/2)."""
    w, lam, lr = rng.normal(size=5), 0.05, 0.1
    param = torch.nn.Parameter(t(w))
    optimizer = torch.optim.SGD([param], lr=lr, weight_decay=2 * lam)
    param.grad = torch.zeros_like(param)
    optimizer.step()
    assert_close(param.detach(), w - lr * L.l2_penalty_grad(w, lam))


def test_regularization_keeps_float32():
    w = [np.ones(3, np.float32), np.ones(2, np.float32)]
    assert L.l2_penalty(w, 0.1).dtype == np.float32
    assert L.l1_penalty_grad(w, 0.1)[0].dtype == np.float32


@pytest.mark.parametrize("shape", [(5, 3), (4, 4), (2, 3)])
def test_orthogonality_penalty_and_grad_match_torch_autograd(shape):
    rng = np.random.default_rng(7)
    W = rng.normal(size=shape)
    lam = 0.3
    Wt = t(W, requires_grad=True)
    ref = lam * torch.linalg.matrix_norm(Wt.T @ Wt - torch.eye(shape[1]), ord="fro") ** 2
    ref.backward()
    assert float(L.orthogonality_penalty(W, lam)) == pytest.approx(ref.item(), rel=1e-12)
    assert_close(L.orthogonality_penalty_grad(W, lam), Wt.grad)
    result = check_grad(lambda v: L.orthogonality_penalty(v, lam),
                        lambda v: L.orthogonality_penalty_grad(v, lam), W)
    assert result.ok, result.max_relative_error


def test_orthogonality_penalty_is_zero_for_orthonormal_columns():
    Q, _ = np.linalg.qr(np.random.default_rng(0).normal(size=(6, 3)))
    assert float(L.orthogonality_penalty(Q, 1.0)) < 1e-28
    np.testing.assert_allclose(L.orthogonality_penalty_grad(Q, 1.0), 0.0, atol=1e-14)
    assert L.orthogonality_penalty(Q.astype(np.float32), 1.0).dtype == np.float32


@pytest.mark.parametrize("shape", [(6, 4), (3, 8), (1, 1), (10, 10)])
def test_spectral_norm_by_power_iteration_matches_svd_and_torch(shape):
    W = np.random.default_rng(3).normal(size=shape)
    sigma = L.spectral_norm(W, n_iter=500)
    assert sigma == pytest.approx(np.linalg.norm(W, 2), rel=1e-9)
    assert sigma == pytest.approx(torch.linalg.matrix_norm(t(W), ord=2).item(), rel=1e-9)
    assert np.linalg.norm(W / sigma, 2) == pytest.approx(1.0, rel=1e-9)
    assert L.spectral_norm(np.zeros((3, 2))) == 0.0
    assert L.spectral_norm(W, rng=np.random.default_rng(1), n_iter=500) == pytest.approx(sigma, rel=1e-9)


def test_spectral_norm_error_shrinks_like_the_fourth_power_of_the_singular_value_ratio():
    # the documented rate: each power iteration multiplies the relative error of sigma by
    # (sigma_2 / sigma_1)^4 (the vector's angle by the square of the ratio)
    W = np.random.default_rng(3).normal(size=(6, 4))
    s = np.linalg.svd(W, compute_uv=False)
    err = [(s[0] - L.spectral_norm(W, n_iter=k)) / s[0] for k in (4, 8)]
    assert err[0] > 0 and err[1] > 0  # the power-iteration estimate approaches sigma_max from below
    assert (err[1] / err[0]) ** (1 / 4) == pytest.approx((s[1] / s[0]) ** 4, rel=0.02)
