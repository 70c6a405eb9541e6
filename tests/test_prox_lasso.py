"""prox: honest Result of ISTA / FISTA / ADMM / linearized Bregman, divergence, bad input."""
import importlib
import warnings

import numpy as np
import pytest

import pdeopt.prox as prox
from pdeopt import ConvergenceWarning, DivergenceError
from pdeopt.prox import (admm_lasso, basis_pursuit_lp, fista, ista, lasso_bounds,
                         lasso_objective, linearized_bregman, tl1_penalty, tl1_threshold)

SOLVERS = [ista, fista, admm_lasso]


@pytest.fixture(scope="module")
def problem():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(20, 40)) / np.sqrt(20)
    x = np.zeros(40)
    x[[2, 11, 30]] = [1.0, -2.0, 0.5]
    return a, a @ x, 0.05


@pytest.mark.parametrize("solver", SOLVERS)
def test_budget_stopped_run_never_claims_convergence(problem, solver):
    a, y, lam = problem
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # tol=0 runs the budget: no warning
        res = solver(a, y, lam, max_iter=3, backend="numpy")
    assert (res.status, res.success, res.converged, res.nit) == (1, True, False, 3)
    assert res.info["iterations"] == 3 and res.history["objective"].shape == (4,)


@pytest.mark.parametrize("solver", SOLVERS)
def test_missed_tolerance_warns_and_is_no_success(problem, solver):
    a, y, lam = problem
    with pytest.warns(ConvergenceWarning, match="tol=1e-12 within max_iter=5"):
        res = solver(a, y, lam, max_iter=5, tol=1e-12, backend="numpy")
    assert (res.status, res.success, res.converged, res.nit) == (2, False, False, 5)


@pytest.mark.parametrize("solver", SOLVERS)
def test_met_tolerance_is_the_stated_test(problem, solver):
    a, y, lam = problem
    res = solver(a, y, lam, max_iter=20000, tol=1e-9, record=False, backend="numpy")
    assert res.converged and res.status == 0 and 1 < res.nit < 20000
    # independent of the solver's own test: x satisfies the lasso's optimality condition
    # |Aᵀ(Ax − y)|_i ≤ λ, with equality (and the opposite sign) where x_i ≠ 0, closely
    g = a.T @ (a @ res.x - y)
    assert np.all(np.abs(g) <= lam * (1 + 1e-5))
    on = res.x != 0
    np.testing.assert_allclose(g[on], -lam * np.sign(res.x[on]), atol=1e-5 * lam)


def test_ista_on_the_identity_stops_after_two_steps():
    # A = I, η = 1: x₁ = S_λ(y) is the minimiser; x₂ = x₁, so the change is 0 at step 2
    res = ista(np.eye(3), [3.0, 0.5, -2.0], 1.0, max_iter=100, tol=1e-12)
    assert res.nit == 2 and res.converged
    np.testing.assert_array_equal(res.x, [2.0, 0.0, -1.0])


@pytest.mark.parametrize("solver", SOLVERS)
def test_interrupted_run_counts_only_finished_iterations(problem, solver):
    a, y, lam = problem

    def interrupt_at_3(it):
        if it.nit == 2:
            raise KeyboardInterrupt

    with pytest.warns(RuntimeWarning, match="interrupted after 2"):
        res = solver(a, y, lam, max_iter=100, callback=interrupt_at_3, backend="numpy")
    assert (res.status, res.success, res.converged, res.nit) == (3, False, False, 2)
    assert res.info["interrupted"] and res.info["iterations"] == 2
    assert res.history["objective"].shape == (3,)  # F(x_0), F(x_1), F(x_2)


def test_callback_sees_iterates_and_can_stop(problem):
    a, y, lam = problem
    seen = []
    res = fista(a, y, lam, max_iter=100, backend="numpy",
                callback=lambda it: seen.append((it.nit, it.values["objective"])) or it.nit == 4)
    assert (res.status, res.success, res.nit) == (4, True, 4)
    assert [n for n, _ in seen] == [1, 2, 3, 4]
    assert seen[-1][1] == pytest.approx(lasso_objective(a, y, lam, res.x), rel=1e-14)


@pytest.mark.parametrize("solver", [ista, fista])
def test_divergence_names_method_step_and_keeps_history(problem, solver):
    a, y, lam = problem
    big_l = np.linalg.norm(a, 2) ** 2
    with pytest.raises(DivergenceError) as err:  # η = 3/L > 2/L: the iteration blows up
        solver(a, y, lam, step=3.0 / big_l, max_iter=5000, backend="numpy")
    msg = str(err.value)
    assert msg.startswith(f"{solver.__name__} diverged at iteration ")
    assert "lam=0.05" in msg and f"step={float(3.0 / big_l)!r}" in msg
    result = err.value.result
    assert result.status == 5 and not result.success
    k = int(msg.split("iteration ")[1].split(":")[0])
    assert result.nit == k - 1 and result.history["objective"].shape == (k,)
    assert np.all(np.isfinite(result.history["objective"]))


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("kwargs, error, match", [
    (dict(max_iter=2.5), TypeError, "max_iter must be an integer"),
    (dict(max_iter=0), ValueError, "max_iter must be >= 1"),
    (dict(max_iter=True), TypeError, "max_iter must be an integer"),
    (dict(tol=-1.0), ValueError, "tol must be >= 0"),
    (dict(tol=np.nan), ValueError, "tol must be finite"),
    (dict(record="yes"), TypeError, "record must be True or False"),
    (dict(callback="print"), TypeError, "callback must be callable"),
    (dict(x0=np.zeros(3)), ValueError, r"x0 must have shape \(40,\)"),
    (dict(backend="gpu"), ValueError, "backend must be one of"),
    (dict(iterations=3), TypeError, "iterations"),
])
def test_bad_options_are_refused(problem, solver, kwargs, error, match):
    a, y, lam = problem
    with pytest.raises(error, match=match):
        solver(a, y, lam, **kwargs)


@pytest.mark.parametrize("args, error, match", [
    ((None, np.ones(3), 0.1), TypeError, "a must be a numeric array"),
    ((np.eye(3), "y", 0.1), TypeError, "y must be a numeric array"),
    ((np.eye(3), np.ones(3), -0.1), ValueError, "lam must be >= 0"),
    ((np.eye(3), np.ones(3), None), TypeError, "lam must be a real number"),
    ((np.ones(3), np.ones(3), 0.1), ValueError, "a must have 2 dimension"),
    ((np.eye(3), np.ones(4), 0.1), ValueError, "y must have a.shape.0. = 3 rows"),
    ((np.eye(3), [1.0, np.inf, 0.0], 0.1), ValueError, "y contains 1 NaN or inf"),
    ((np.zeros((3, 3)), np.ones(3), 0.1), ValueError, "a is zero"),
])
def test_bad_data_is_refused(args, error, match):
    for solver in (ista, fista):
        with pytest.raises(error, match=match):
            solver(*args)


def test_lasso_objective_and_bounds_check_their_input():
    assert lasso_objective(np.eye(2), [1.0, 0.0], 0.5, [1.0, 0.0]) == 0.5  # ½·0 + 0.5·1
    with pytest.raises(ValueError, match=r"x must have shape \(2,\)"):
        lasso_objective(np.eye(2), [1.0, 0.0], 0.5, [1.0])
    b = lasso_bounds(np.array([1, 3]), lipschitz=4.0, dist2=2.0)
    np.testing.assert_allclose(b["ista"], [4.0, 4.0 / 3])   # L d²/(2k)
    np.testing.assert_allclose(b["fista"], [4.0, 1.0])      # 2 L d²/(k+1)²
    for k in (0, [1, 0], 1.5, [[1]]):
        with pytest.raises(ValueError, match="k must be"):
            lasso_bounds(k, lipschitz=1.0, dist2=1.0)
    with pytest.raises(ValueError, match="lipschitz must be > 0"):
        lasso_bounds(1, lipschitz=0.0, dist2=1.0)
    with pytest.raises(ValueError, match="dist2 must be >= 0"):
        lasso_bounds(1, lipschitz=1.0, dist2=-1.0)


# -- linearized Bregman and the LP -------------------------------------------------------------

@pytest.fixture(scope="module")
def sparse_system():
    rng = np.random.default_rng(0)
    A = rng.normal(size=(40, 100))
    u0 = np.zeros(100)
    u0[[3, 50, 90]] = [1.0, -2.0, 1.5]
    return A, u0


def test_linearized_bregman_status_and_nit(sparse_system):
    A, u0 = sparse_system
    res = linearized_bregman(A, A @ u0, mu=1000.0, accelerated=True, tol=1e-10)
    assert res.converged and res.history["residual"].shape == (res.nit,)
    assert res.history["residual"][-1] <= 1e-10 < res.history["residual"][-2]
    # basis pursuit recovers u0 here (3 spikes, 40 measurements), and so does LB
    np.testing.assert_allclose(res.x, u0, atol=1e-7)
    with pytest.warns(ConvergenceWarning):
        short = linearized_bregman(A, A @ u0, mu=1000.0, max_iter=5)
    assert (short.status, short.success, short.nit) == (2, False, 5)
    full = linearized_bregman(A, A @ u0, mu=1000.0, max_iter=5, tol=0.0)
    assert (full.status, full.success, full.converged, full.nit) == (1, True, False, 5)


def test_linearized_bregman_refuses_bad_input(sparse_system):
    A, u0 = sparse_system
    b = A @ u0
    with pytest.raises(TypeError, match="n_iter"):
        linearized_bregman(A, b, mu=1.0, n_iter=10)
    with pytest.raises(TypeError, match="max_iter must be an integer"):
        linearized_bregman(A, b, mu=1.0, max_iter=10.0)
    with pytest.raises(ValueError, match="mu must be > 0"):
        linearized_bregman(A, b, mu=0.0)
    with pytest.raises(ValueError, match="delta must be <"):
        linearized_bregman(A, b, mu=1.0, delta=1.0)
    with pytest.raises(TypeError, match="accelerated must be True or False"):
        linearized_bregman(A, b, mu=1.0, accelerated="yes")
    with pytest.raises(ValueError, match="b must have A.shape"):
        linearized_bregman(A, b[:5], mu=1.0)


def test_basis_pursuit_lp_reports_instead_of_raising():
    # min ‖u‖₁ s.t. u₁ + u₂ = 1, u₂ + u₃ = 1: u = e₂ (‖u‖₁ = 1; any other solution has
    # u₁ = u₃ = 1 − u₂ and ‖u‖₁ = 2|1 − u₂| + |u₂| ≥ 1, equality only at u₂ = 1)
    A = np.array([[1.0, 1.0, 0.0], [0.0, 1.0, 1.0]])
    res = basis_pursuit_lp(A, [1.0, 1.0])
    assert (res.success, res.status, res.converged) == (True, 0, True)
    np.testing.assert_allclose(res.x, [0.0, 1.0, 0.0], atol=1e-9)
    bad = basis_pursuit_lp(np.array([[1.0], [1.0]]), [1.0, 2.0])  # u = 1 and u = 2
    assert (bad.success, bad.status, bad.x) == (False, 2, None)
    assert "infeasible" in bad.message.lower() and bad.info["linprog_status"] == 2
    with pytest.raises(ValueError, match="b must have A.shape"):
        basis_pursuit_lp(A, [1.0])


# -- names, and the transformed-l1 map where its closed form overflowed -----------------------

def test_modules_are_not_shadowed_and_names_have_one_meaning():
    for name in ("lasso", "thresholding", "bregman"):
        assert importlib.import_module(f"pdeopt.prox.{name}").__name__ == f"pdeopt.prox.{name}"
    assert not hasattr(prox, "moreau_envelope") and hasattr(prox, "penalty_envelope")


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_tl1_stays_exact_for_huge_inputs(backend):
    # |x| ≫ a, λ: the prox moves x by λρ_a'(x) = λa(a+1)/(a+|x|)² ≈ 1e300·1e8/1e400 ≈ 0
    x = np.array([1e200, -1e250])
    np.testing.assert_allclose(tl1_threshold(x, 1e300, 1e4, backend=backend), x, rtol=1e-14)
    with pytest.raises(ValueError, match=r"a must be in \(0, 1e\+08\]"):
        tl1_threshold(x, 1.0, 1e9, backend=backend)


def test_tl1_penalty_does_not_overflow():
    # ρ_a(u) = |u|(a+1)/(a+|u|) → |u| as a → ∞ (and ≤ a+1 always)
    np.testing.assert_allclose(tl1_penalty([1e5, -3.0], 1e308), [1e5, 3.0], rtol=1e-14)
    np.testing.assert_allclose(tl1_penalty([1e308], 1.0), [2.0], rtol=1e-14)


def test_data_whose_objective_overflows_is_refused():
    # F(0) = ½‖y‖² overflows for entries ~1e200: refused up front, not a silent inf
    with pytest.raises(ValueError, match="objective at x0 overflows"):
        ista(np.eye(2), [1e200, 1.0], 0.1)
    with pytest.raises(ValueError, match="a is too large"):
        fista(np.full((2, 2), 1e200), [1.0, 1.0], 0.1)
