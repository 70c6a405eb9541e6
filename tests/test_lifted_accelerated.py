"""GD, heavy ball, Nesterov vs Theorems 1–3 and the exact quadratic iteration; Lemma 4; ADMM.

The expected values here never come from the code under test: the bounds are the
formulas of Lin 2019, Theorems 1–3 (also Bubeck 2015, Theorems 3.3 and 3.19; Ghadimi
et al. 2015), written out below, and on a quadratic the iterates are compared with the
closed form of the linear iteration in the eigenbasis of the Hessian.
"""
import warnings

import numpy as np
import pytest

from pdeopt import ConvergenceWarning, DivergenceError
from pdeopt.data import load_digits
from pdeopt.lifted import get_lifted_activation, mlp_error
from pdeopt.lifted.accelerated import (gradient_descent, heavy_ball, layer_objective, nesterov,
                                       polyak_parameters)
from pdeopt.lifted.admm import admm_train


def _problem(seed, eigenvalues):
    """f(x) = ½(x − x*)ᵀA(x − x*), A = Q diag(λ) Qᵀ; f* = 0."""
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.normal(size=(eigenvalues.size, eigenvalues.size)))
    a = (q * eigenvalues) @ q.T
    xs = rng.normal(size=eigenvalues.size)
    return (lambda x: 0.5 * (x - xs) @ a @ (x - xs)), (lambda x: a @ (x - xs)), xs, q


# ---- the bounds of Theorems 1–3, from the paper (Lin 2019) ---------------------------------
def theorem1_gd(t, beta, d2):
    """f(x_t) − f* ≤ 2β‖x_1 − x*‖²/(t − 1), t ≥ 2, x_1 the starting point."""
    return 2 * beta * d2 / (t - 1)


def theorem2_heavy_ball(t, alpha0, d2):
    """f(x_t) − f* ≤ ‖x_0 − x*‖²/(2α_0(t + 1)), x_0 the starting point."""
    return d2 / (2 * alpha0 * (t + 1))


def theorem3_nesterov(t, beta, d2):
    """f(y_t) − f* ≤ 2β‖x_1 − x*‖²/t², y_1 = x_1 the starting point."""
    return 2 * beta * d2 / t ** 2


@pytest.mark.parametrize("seed", range(3))
def test_theorems_1_to_3_bounds_hold(seed):
    beta = 1.0                                        # the largest eigenvalue: β-smooth
    f, grad, xs, _ = _problem(seed, np.linspace(0, beta, 40) ** 2)
    x0, d2, it = np.zeros_like(xs), float(xs @ xs), 200
    gd = gradient_descent(grad, x0, step=1 / beta, max_iter=it, f=f).history["f"]
    hb = heavy_ball(grad, x0, step=lambda k: (1 / beta) / (k + 2),
                    momentum=lambda k: k / (k + 2), max_iter=it, f=f).history["f"]
    ag = nesterov(grad, x0, lipschitz=beta, max_iter=it, f=f).history["f"]
    assert gd.size == hb.size == ag.size == it + 1     # the start, then one per iteration
    k = np.arange(it + 1)
    # GD and Nesterov number their iterates from 1 (history index j is x_{j+1}, y_{j+1})
    assert np.all(gd[1:] <= theorem1_gd(k[1:] + 1, beta, d2))
    assert np.all(hb <= theorem2_heavy_ball(k, 1 / beta, d2))
    assert np.all(ag <= theorem3_nesterov(k + 1, beta, d2))
    assert ag[-1] < gd[-1] / 10                        # acceleration is visible


def test_nesterov_bound_is_tight_enough_to_catch_a_wrong_step():
    # the check above can fail: with the step 1/β replaced by 2.2/β (lipschitz=β/2.2)
    # Nesterov's iterates leave the Theorem 3 bound
    beta = 1.0
    f, grad, xs, _ = _problem(0, np.linspace(0, beta, 40) ** 2)
    d2, it = float(xs @ xs), 60
    with np.errstate(over="ignore", invalid="ignore"):
        ag = nesterov(grad, np.zeros_like(xs), lipschitz=beta / 2.2, max_iter=it,
                      f=f).history["f"]
    assert np.any(ag > theorem3_nesterov(np.arange(it + 1) + 1, beta, d2))


def test_gd_and_heavy_ball_are_the_exact_linear_iterations():
    # in the eigenbasis of A, e_k = x_k − x* evolves per eigenvalue λ as
    # GD: e_{k+1} = (1 − ηλ)e_k;  HB: e_{k+1} = (1 + β − αλ)e_k − βe_{k−1}, e_{−1} = e_0
    lam = np.linspace(0.01, 1.0, 30)
    _, grad, xs, q = _problem(5, lam)
    x0, k = np.zeros(30), 25
    e0 = q.T @ (x0 - xs)
    eta = 2 / (1.0 + 0.01)
    exact_gd = xs + q @ ((1 - eta * lam) ** k * e0)
    np.testing.assert_allclose(gradient_descent(grad, x0, step=eta, max_iter=k).x, exact_gd,
                               rtol=0, atol=1e-12)
    alpha, mom = 0.7, 0.3
    exact_hb = np.empty(30)
    for i, li in enumerate(lam):
        m = np.array([[1 + mom - alpha * li, -mom], [1.0, 0.0]])
        exact_hb[i] = (np.linalg.matrix_power(m, k) @ np.array([e0[i], e0[i]]))[0]
    np.testing.assert_allclose(heavy_ball(grad, x0, step=alpha, momentum=mom, max_iter=k).x,
                               xs + q @ exact_hb, rtol=0, atol=1e-12)


def test_one_step_of_size_one_over_beta_solves_an_isotropic_quadratic():
    # A = βI: x − ∇f(x)/β = x* exactly, for GD, heavy ball (x_{−1} = x_0) and Nesterov (y_2)
    xs = np.array([1.0, -2.0, 3.0])
    grad = lambda x: 4.0 * (x - xs)  # noqa: E731
    for res in (gradient_descent(grad, np.zeros(3), step=0.25, max_iter=1),
                heavy_ball(grad, np.zeros(3), step=0.25, momentum=0.9, max_iter=1),
                nesterov(grad, np.zeros(3), lipschitz=4.0, max_iter=1)):
        np.testing.assert_allclose(res.x, xs, rtol=0, atol=1e-15)


def test_linear_rates_on_a_strongly_convex_quadratic():
    mu, big_l = 0.01, 1.0
    _, grad, xs, _ = _problem(0, np.linspace(mu, big_l, 30))
    e0 = float(np.linalg.norm(xs))
    q_gd = (big_l - mu) / (big_l + mu)                                  # Lin 2019, (1)
    q_hb = (np.sqrt(big_l) - np.sqrt(mu)) / (np.sqrt(big_l) + np.sqrt(mu))
    # Polyak's parameters, from the formula: α = 4/(√L + √μ)², β = q_HB²
    alpha, beta, q = polyak_parameters(mu, big_l)
    assert np.isclose(alpha, 4 / (np.sqrt(big_l) + np.sqrt(mu)) ** 2)
    assert np.isclose(beta, q_hb ** 2) and np.isclose(q, q_hb)
    for k in (10, 50, 150):
        gd = gradient_descent(grad, np.zeros(30), step=2 / (big_l + mu), max_iter=k).x
        assert np.linalg.norm(gd - xs) <= q_gd ** k * e0 * (1 + 1e-9)
    hb = heavy_ball(grad, np.zeros(30), step=alpha, momentum=beta, max_iter=150).x
    # a double eigenvalue q_HB at the spectrum's ends: ‖e_k‖ ≤ (1 + k)·q_HB^k‖e_0‖ ·const
    assert np.linalg.norm(hb - xs) < 150 * q_hb ** 150 * e0
    assert np.linalg.norm(hb - xs) < 1e-3 * np.linalg.norm(gd - xs)
    with pytest.raises(ValueError, match="mu must be <="):
        polyak_parameters(2.0, 1.0)


# ---- honest results ---------------------------------------------------------------------
def _half(x):
    return 0.5 * x            # the gradient of ¼‖x‖²: GD with step 1 halves x


def test_budget_stopped_run_counts_its_iterations_and_claims_nothing():
    res = gradient_descent(_half, np.ones(2), step=1.0, max_iter=3, f=lambda x: x @ x / 4)
    assert res.nit == 3 and res.info["iterations"] == 3
    assert res.status == 1 and res.success and not res.converged
    assert res.history["f"].size == 4 and res.history["change"].size == 3
    np.testing.assert_allclose(res.x, [0.125, 0.125])


@pytest.mark.parametrize("method", ["gd", "hb", "nesterov"])
def test_tolerance_met_or_missed(method):
    run = {"gd": lambda **kw: gradient_descent(_half, np.ones(2), step=1.0, **kw),
           "hb": lambda **kw: heavy_ball(_half, np.ones(2), step=1.0, momentum=0.1, **kw),
           "nesterov": lambda **kw: nesterov(_half, np.ones(2), lipschitz=1.0, **kw)}[method]
    res = run(max_iter=200, tol=1e-8)
    assert res.converged and res.status == 0 and res.nit < 200
    assert res.history["change"][-1] <= 1e-8 < res.history["change"][-2]
    with pytest.warns(ConvergenceWarning):
        res = run(max_iter=3, tol=1e-8)
    assert res.status == 2 and not res.success and not res.converged and res.nit == 3


def test_callback_stops_and_interrupt_keeps_finished_iterations():
    seen = []
    res = gradient_descent(_half, np.ones(1), step=1.0, max_iter=10,
                           callback=lambda it: seen.append(it.nit) or it.nit == 2)
    assert seen == [1, 2] and res.status == 4 and res.nit == 2
    np.testing.assert_allclose(res.x, [0.25])

    def interrupt(it):
        if it.nit == 3:
            raise KeyboardInterrupt
    with pytest.warns(RuntimeWarning, match="interrupted"):
        res = heavy_ball(_half, np.ones(1), step=1.0, momentum=0.0, max_iter=10,
                         callback=interrupt)
    assert res.status == 3 and not res.success and res.nit == 3
    assert res.history["change"].size == 3

    calls = []

    def grad(x):                                    # interrupted inside the 3rd iteration
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return 0.5 * x
    with pytest.warns(RuntimeWarning, match="interrupted"):
        res = gradient_descent(grad, np.ones(1), step=1.0, max_iter=10)
    assert res.status == 3 and res.nit == 2
    np.testing.assert_allclose(res.x, [0.25])


@pytest.mark.filterwarnings("ignore:overflow encountered")
def test_divergence_names_the_step_and_keeps_the_history():
    # on f = ½x², GD with step 3 multiplies x by −2: inf after ~1024 iterations
    with pytest.raises(DivergenceError, match=r"gradient_descent diverged at iteration "
                                              r"\d+.*step=3\.0") as err:
        gradient_descent(lambda x: x, np.ones(1), step=3.0, max_iter=5000)
    res = err.value.result
    assert res.status == 5 and not res.success
    assert res.nit == res.info["diverged_at"] - 1 == res.history["change"].size > 1000
    with pytest.raises(DivergenceError, match=r"heavy_ball.*step_size=4\.0.*momentum=0\.5"):
        heavy_ball(lambda x: x, np.ones(1), step=lambda k: 4.0, momentum=lambda k: 0.5,
                   max_iter=5000)


def test_bad_input_is_refused():
    x0 = np.ones(3)
    for bad in (1.0, -0.1, 1.5, np.nan):
        with pytest.raises(ValueError, match="momentum"):
            heavy_ball(_half, x0, step=0.1, momentum=bad)
    with pytest.raises(ValueError, match=r"momentum\(0\)"):
        heavy_ball(_half, x0, step=0.1, momentum=lambda k: 1.0)
    with pytest.raises(ValueError, match=r"step\(0\)"):
        heavy_ball(_half, x0, step=lambda k: -1.0, momentum=0.5)
    with pytest.raises(TypeError, match="grad"):
        gradient_descent(None, x0, step=0.1)
    with pytest.raises(ValueError, match="grad must return"):
        gradient_descent(lambda x: np.ones(2), x0, step=0.1)
    with pytest.raises(ValueError, match="x0"):
        gradient_descent(_half, 1.0, step=0.1)
    with pytest.raises(ValueError, match="x0"):
        nesterov(_half, [1.0, np.nan], lipschitz=1.0)
    with pytest.raises(TypeError, match="grad must return a real array"):
        gradient_descent(lambda x: "g", x0, step=0.1)
    with pytest.raises(TypeError, match="f must return a real number"):
        gradient_descent(_half, x0, step=0.1, f=lambda x: x)
    with pytest.raises(TypeError, match="f must be callable"):
        gradient_descent(_half, x0, step=0.1, f="f")
    with pytest.raises(ValueError, match="step must be > 0"):
        gradient_descent(_half, x0, step=0.0)
    with pytest.raises(ValueError, match="lipschitz"):
        nesterov(_half, x0, lipschitz=np.inf)
    for bad, exc in ((2.5, TypeError), (0, ValueError), (True, TypeError), (np.inf, TypeError)):
        with pytest.raises(exc, match="max_iter"):
            gradient_descent(_half, x0, step=0.1, max_iter=bad)
    with pytest.raises(ValueError, match="tol"):
        nesterov(_half, x0, lipschitz=1.0, tol=-1.0)


# ---- Lemma 4 ----------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["sigmoid", "tanh", "relu", "elu", "softplus"])
def test_lemma4_layer_is_a_gradient_step(name):
    rng = np.random.default_rng(1)
    b = rng.normal(size=(6, 6))
    lam, vec = np.linalg.eigh(b @ b.T / 6 + 0.1 * np.eye(6))
    u = (vec * np.sqrt(lam)) @ vec.T
    f, step = layer_objective(u, name)
    z, h = rng.normal(size=6), 1e-5
    grad = np.array([(f(z + h * e) - f(z - h * e)) / (2 * h) for e in np.eye(6)])
    np.testing.assert_allclose(z - grad, step(z), atol=1e-7)
    x = np.linalg.solve(u, z)
    np.testing.assert_allclose(np.linalg.solve(u, step(z)),
                               get_lifted_activation(name).phi(u @ u @ x), atol=1e-12)
    with pytest.raises(ValueError, match="symmetric"):
        layer_objective(b, name)


# ---- ADMM training ----------------------------------------------------------------------
@pytest.fixture(scope="module")
def digits():
    return load_digits()


def test_admm_training_learns_digits(digits):
    d = digits
    res = admm_train(d.x_train, d.y_train, [64], max_iter=8, rng=0)
    err = mlp_error(res.x, d.x_test, d.y_test, linear_output=True)
    assert err < 0.35 and res.history["train_error"][-1] < res.history["train_error"][0]
    assert res.nit == 8 and res.status == 1 and not res.converged


def test_admm_status_and_callback(digits):
    x, y = digits.x_train[:200], digits.y_train[:200]
    res = admm_train(x, y, [16], max_iter=20, tol=1.0, rng=0)   # the constraint is < 1
    assert res.converged and res.nit == 1
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        with pytest.raises(ConvergenceWarning):
            admm_train(x, y, [16], max_iter=2, tol=1e-300, rng=0)
    res = admm_train(x, y, [16], max_iter=20, rng=0, callback=lambda it: it.nit == 3)
    assert res.status == 4 and res.nit == 3 and len(res.x) == 2


def test_admm_bad_input(digits):
    x, y = digits.x_train[:50], digits.y_train[:50]
    with pytest.raises(ValueError, match="relu and leaky_relu only"):
        admm_train(x, y, [8], activation="sigmoid")
    with pytest.raises(ValueError, match="beta must be > 0"):
        admm_train(x, y, [8], beta=0.0)
    with pytest.raises(TypeError, match="n_classes"):
        admm_train(x, y, [8], n_classes=np.inf)
    with pytest.raises(ValueError, match="y must hold labels < n_classes"):
        admm_train(x, y, [8], n_classes=3)
    with pytest.raises(ValueError, match="y must hold labels >= 0"):
        admm_train(x, np.where(y == 0, -1, y), [8])
    with pytest.raises(ValueError, match="x_val and y_val"):
        admm_train(x, y, [8], x_val=x)
    with pytest.raises(ValueError, match="x_val must have 64 features"):
        admm_train(x, y, [8], x_val=x.reshape(50, -1)[:, :10], y_val=y)
    with pytest.raises(ValueError, match="x_val and y_val must have the same number of samples"):
        admm_train(x, y, [8], x_val=x, y_val=y[:10])
    with pytest.raises(TypeError, match="max_iter"):
        admm_train(x, y, [8], max_iter=2.5)
