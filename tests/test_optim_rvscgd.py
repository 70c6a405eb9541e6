"""RVSCGD: closed-form population loss and expected coarse gradient vs Monte Carlo; the method."""
import numpy as np
import pytest

from pdeopt.optim import (RVSCGD, admm_sparse, angle, expected_coarse_gradient,
                          population_loss, rvscgd, sample_inputs, sample_loss_and_coarse_gradient)
from pdeopt import ConvergenceWarning
from pdeopt.prox import hard_threshold

K, D = 5, 8


def _teacher(d=D, nnz=None, seed=0):
    rng = np.random.default_rng(seed)
    w = rng.normal(size=d)
    if nnz is not None:
        w[rng.choice(d, d - nnz, replace=False)] = 0.0
        w[w != 0] = np.sign(w[w != 0]) * rng.uniform(0.8, 1.2, nnz)
    return w / np.linalg.norm(w)


def test_closed_forms_match_monte_carlo():
    rng = np.random.default_rng(1)
    w_star = _teacher()
    w = rng.normal(size=D) * 3.0  # not unit norm: E g depends on w/‖w‖ only
    n, chunks = 50_000, 4
    losses, grads = [], []
    for _ in range(chunks):
        Z = sample_inputs(n, K, D, rng=rng)
        # per-sample values, for the Monte Carlo standard errors
        act = Z @ w > 0
        diff = act.mean(1) - (Z @ w_star > 0).mean(1)
        losses.append(0.5 * diff ** 2)
        grads.append(np.einsum("m,mk,mkd->md", diff, act.astype(float), Z) / K)
        # the library's mean over the chunk is the mean of the per-sample values
        lo, g = sample_loss_and_coarse_gradient(w, Z, w_star)
        np.testing.assert_allclose(lo, losses[-1].mean(), rtol=1e-12)
        np.testing.assert_allclose(g, grads[-1].mean(0), rtol=1e-10, atol=1e-15)
    losses, grads = np.concatenate(losses), np.concatenate(grads)
    se_loss = losses.std() / np.sqrt(losses.size)
    se_grad = grads.std(0) / np.sqrt(losses.size)
    assert abs(losses.mean() - population_loss(w, w_star, K)) <= 4 * se_loss
    assert np.all(np.abs(grads.mean(0) - expected_coarse_gradient(w, w_star, K)) <= 4 * se_grad)


def test_population_loss_is_angle_over_2_pi_k():
    w_star = _teacher()
    assert population_loss(w_star * 5, w_star, K) == pytest.approx(0.0, abs=1e-15)
    assert population_loss(-w_star, w_star, K) == pytest.approx(1 / (2 * K))
    assert np.allclose(expected_coarse_gradient(w_star, w_star, K), 0)


def test_rvscgd_l0_recovers_sparse_teacher_with_monotone_lagrangian_and_angle():
    w_star = _teacher(d=50, nnz=8, seed=2)
    w0 = np.random.default_rng(0).normal(size=50)
    res = rvscgd(w0, w_star, 20, lam=1e-4, beta=4e-3, lr=5.0, max_iter=3000, tol=1e-13)
    h = res.history
    assert res.converged
    assert np.all(np.diff(h["lagrangian"]) <= 1e-15)
    assert np.all(np.diff(h["angle"]) <= 1e-12)
    u = res.info["u"]
    assert np.array_equal(u != 0, w_star != 0)  # the support of the teacher
    assert angle(u, w_star) < 1e-9              # and ū ∝ w*
    np.testing.assert_array_equal(u, hard_threshold(res.x, 1e-4 / 4e-3))


@pytest.mark.parametrize("kind", ["l0", "l1", "tl1"])
def test_every_penalty_gives_a_sparse_limit_parallel_to_a_thresholded_teacher(kind):
    w_star = _teacher(d=30, seed=3)  # dense teacher: ū keeps its largest entries
    w0 = np.random.default_rng(1).normal(size=30)
    res = rvscgd(w0, w_star, 10, lam=2e-4, beta=4e-3, lr=5.0, max_iter=4000, penalty_kind=kind,
                 a=1.0, tol=1e-13)
    u = res.info["u"]
    S = u != 0
    assert 0 < S.sum() < 30
    # Theorem 1 / Corollary 1.1: at the limit c·w* = α·w̄ − β·ū, i.e. w* lies in span(w̄, ū)
    basis = np.stack([res.x, u], axis=1)
    coef, *_ = np.linalg.lstsq(basis, w_star, rcond=None)
    assert np.linalg.norm(basis @ coef - w_star) < 1e-8
    if kind == "l0":  # hard thresholding keeps entries: ū ∝ w* restricted to S exactly
        assert angle(u, np.where(S, w_star, 0)) < 1e-8


def test_sample_version_and_admm_run():
    w_star = _teacher(d=20, nnz=4, seed=4)
    Z = sample_inputs(400, 6, 20, rng=5)
    w0 = np.random.default_rng(2).normal(size=20)
    res = rvscgd(w0, w_star, 6, lam=1e-4, beta=4e-3, lr=5.0, max_iter=300, Z=Z)
    assert res.history["angle"][-1] < 0.5 * res.history["angle"][0]
    adm = admm_sparse(w0, w_star, 6, lam=1e-4, beta=4e-3, lr=5.0, max_iter=300)
    assert adm.history["angle"][-1] < 0.5 * adm.history["angle"][0]
    assert "z" in adm.info


def test_rvscgd_optimizer_on_flat_vector():
    opt = RVSCGD(0.1, lam=0.02, beta=1.0, penalty_kind="l1", layers=[slice(0, 3)])
    p = np.array([1.0, 0.01, -0.5, 0.3])
    g = np.array([0.1, 0.0, 0.0, 1.0])
    u = opt.sparse(p)
    np.testing.assert_allclose(u, [0.98, 0.0, -0.48, 0.3])
    expected = p - 0.1 * (g + 1.0 * (p - u))
    opt.step(p, g)
    np.testing.assert_allclose(p, expected)


def test_bad_input():
    w_star = _teacher()
    with pytest.raises(ValueError, match="unit norm"):
        population_loss(np.ones(D), 2 * w_star, K)
    with pytest.raises(ValueError, match="beta must be > 0"):
        rvscgd(np.ones(D), w_star, K, lam=1e-4, beta=0.0, lr=1.0, max_iter=3)
    with pytest.raises(ValueError, match="lam must be >= 0"):
        rvscgd(np.ones(D), w_star, K, lam=-1.0, beta=1.0, lr=1.0, max_iter=3)
    with pytest.raises(ValueError, match="Z must have shape"):
        rvscgd(np.ones(D), w_star, K, lam=1e-4, beta=1.0, lr=1.0, max_iter=3,
               Z=np.ones((3, K, D + 1)))
    with pytest.raises(ValueError, match="penalty_kind must be one of"):
        rvscgd(np.ones(D), w_star, K, lam=1e-4, beta=1.0, lr=1.0, max_iter=3, penalty_kind="l2")


# --- honest Result, budget keyword, bad input (issue #18) ---------------------------------

def _population_run(**kw):
    w_star = _teacher(d=10, nnz=3, seed=6)
    w0 = np.random.default_rng(7).normal(size=10)
    return rvscgd(w0, w_star, 4, lam=1e-4, beta=4e-3, lr=5.0, **kw)


@pytest.mark.parametrize("fn", [rvscgd, admm_sparse])
def test_status_follows_the_stopping_test(fn):
    w_star = _teacher(d=10, nnz=3, seed=6)
    w0 = np.random.default_rng(7).normal(size=10)
    kw = dict(lam=1e-4, beta=4e-3, lr=5.0)
    full = fn(w0, w_star, 4, max_iter=30, **kw)
    assert (full.status, full.converged, full.success, full.nit) == (1, False, True, 30)
    assert full.history["angle"].size == 30
    done = fn(w0, w_star, 4, max_iter=5000, tol=1e-6, **kw)
    assert (done.status, done.success) == (0, True) and done.nit < 5000
    assert done.history["angle"].size == done.nit
    with pytest.warns(ConvergenceWarning, match="did not meet tol"):
        short = fn(w0, w_star, 4, max_iter=3, tol=1e-12, **kw)
    assert (short.status, short.success, short.converged, short.nit) == (2, False, False, 3)


def test_an_interrupted_rvscgd_counts_finished_iterations():
    def stop(it):
        if it.nit == 6:
            raise KeyboardInterrupt
    with pytest.warns(RuntimeWarning, match="interrupted after 6"):
        res = _population_run(max_iter=100, callback=stop)
    assert (res.status, res.nit) == (3, 6)


def test_the_module_is_not_shadowed_by_the_function():
    import importlib
    module = importlib.import_module("pdeopt.optim.coarse_gradient")
    assert module.rvscgd is rvscgd and callable(rvscgd)


@pytest.mark.parametrize("call, error, match", [
    (lambda: RVSCGD(0.1, lam=0.1, beta=1.0, momentum=1.0), ValueError, "momentum"),
    (lambda: RVSCGD(0.1, lam=0.1, beta=1.0, momentum=-0.5), ValueError, "momentum"),
    (lambda: RVSCGD(0.1, lam=0.1, beta=1.0, layers="conv1"), TypeError, "layers"),
    (lambda: RVSCGD(0.1, lam=0.1, beta=1.0, schedule=3), TypeError, "schedule"),
    (lambda: angle([0.0, 0.0], [1.0, 0.0]), ValueError, "w must be nonzero"),
    (lambda: angle([1.0, 0.0], [1.0, 0.0, 0.0]), ValueError, "same length"),
    (lambda: sample_inputs(3, 2, 2, seed=0), TypeError, "seed"),
    (lambda: sample_loss_and_coarse_gradient([1.0, 0.0], None, [1.0, 0.0]), TypeError, "Z"),
    (lambda: _population_run(max_iter=0), ValueError, "max_iter"),
    (lambda: _population_run(max_iter=2.5), TypeError, "max_iter"),
    (lambda: _population_run(max_iter=3, tol=np.nan), ValueError, "tol"),
    (lambda: _population_run(n_iter=3), TypeError, "n_iter"),
])
def test_more_bad_input_names_the_argument(call, error, match):
    with pytest.raises(error, match=match):
        call()
