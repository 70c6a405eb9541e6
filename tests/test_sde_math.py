"""pdeopt.sde: Kramers, the Langevin estimator, homogenization, controlled SGD, bad input."""
import numpy as np
import pytest

from pdeopt.testing import assert_density_evolution, assert_local_entropy_gradient
from pdeopt.sde import (PolynomialPotential, controlled_sgd, controlled_sgd_paths, double_well,
                        exit_times, gradient_flow, kramers_time, local_entropy_gradient,
                        mean_exit_time, two_scale_esgd)


def test_mean_exit_time_solves_the_backward_equation_for_a_quadratic():
    # f = x²/2, β = 2: T(x0 → b) = β∫ e^{βf(y)} ∫_{-∞}^y e^{-βf} — check against scipy quad
    from scipy import integrate, special
    pot = PolynomialPotential([0.0, 0.0, 0.5])
    beta = 2.0
    def inner(y):  # ∫_{-∞}^y e^{-βz²/2} dz
        return np.sqrt(2 * np.pi / beta) * 0.5 * (1 + special.erf(np.sqrt(beta / 2) * y))
    expected = integrate.quad(lambda y: beta * np.exp(beta * y ** 2 / 2) * inner(y), -0.5, 1.0)[0]
    assert mean_exit_time(pot, -0.5, 1.0, beta) == pytest.approx(expected, rel=1e-6)


def test_kramers_time_formula_and_its_ratio_to_the_exact_time():
    pot = double_well(1.0)
    assert kramers_time(pot, -1.0, 0.0, 2.0) == pytest.approx(
        2 * np.pi / np.sqrt(8 * 4) * np.exp(2.0))
    ratios = [kramers_time(pot, -1, 0, b) / mean_exit_time(pot, -1, 1, b) for b in (5, 10, 20)]
    assert np.all(np.diff(np.abs(1 - np.array(ratios))) < 0)


def test_exit_times_match_the_exact_mean_and_backends_agree():
    pot = double_well(1.0)
    kw = dict(beta=2.0, dt=0.0025, n_paths=600, max_time=500.0, rng=4)
    res = exit_times(pot, -1.0, 1.0, **kw)
    se = np.std(res.x) / np.sqrt(res.x.size)
    assert res.converged and res.info["censored"] == 0
    assert abs(res.x.mean() - mean_exit_time(pot, -1.0, 1.0, 2.0)) < 4 * se
    small = dict(kw, n_paths=20, max_time=5.0)
    a = exit_times(pot, -1.0, 1.0, backend="numpy", **small).x
    b = exit_times(pot, -1.0, 1.0, backend="numba", chunk_steps=333, **small).x
    np.testing.assert_array_equal(np.isnan(a), np.isnan(b))
    np.testing.assert_allclose(a[~np.isnan(a)], b[~np.isnan(b)])


def test_langevin_estimate_of_a_quadratic_local_entropy():
    # f = a y²/2: f_γ = a x²/(2(1 + aγ)) + const, so ∇f_γ(x) = a x/(1 + aγ)
    a, gamma, x = 2.0, 0.5, np.array([1.0, -0.5])
    res = local_entropy_gradient(lambda y: a * y, x, gamma, max_iter=1500, step_size=0.004,
                                 n_chains=300, rng=1)
    se = res.info["standard_error"]
    exact = a * x / (1 + a * gamma)
    assert np.all(np.abs(res.x - exact) < 4 * se + 0.01)
    assert res.history["spread"].shape == (1500,)
    exp_avg = local_entropy_gradient(lambda y: a * y, x, gamma, max_iter=400, step_size=0.01,
                                     n_chains=400, alpha=0.05, rng=1)
    assert np.all(np.abs(exp_avg.x - exact) < 0.1)


def test_two_scale_system_follows_the_homogenized_flow_for_a_quadratic():
    a, gamma = 1.0, 0.5
    res = two_scale_esgd(lambda y: a * y, [1.5], gamma=gamma, epsilon=0.01, t=1.0,
                         n_paths=50, record_every=10, rng=0)
    flow = gradient_flow(lambda x: a * x / (1 + a * gamma), [1.5], t=1.0, dt=0.01)
    ref = flow.history["x"]
    assert res.history["x"].shape[1:] == (50, 1)
    assert abs(res.x.mean() - ref[-1, 0]) < 0.05
    # RK4 is exact enough for the linear flow
    assert ref[-1, 0] == pytest.approx(1.5 * np.exp(-a / (1 + a * gamma)), rel=1e-8)


def test_controlled_sgd_improvement_theorem_and_paths():
    f = lambda x: 0.5 * (x ** 2 - 1) ** 2 + 0.3 * x  # noqa: E731
    g = lambda x: 2 * x * (x ** 2 - 1) + 0.3  # noqa: E731
    x = np.linspace(-3, 3, 201)
    sol = controlled_sgd(g, f, x, np.exp(-(x - 1) ** 2 / 0.18), t=1.0, n_steps=100)
    hist, info = sol.history, sol.info
    assert np.allclose(np.sum(hist["rho_csgd"], axis=1) * (x[1] - x[0]), 1.0)
    for rho in (hist["rho_sgd"], hist["rho_csgd"]):   # Fokker–Planck: mass kept, ρ ≥ 0
        assert_density_evolution(rho, x, rtol=1e-9)
    np.testing.assert_array_equal(sol.x, hist["rho_csgd"][-1])
    assert sol.nit == 100 and sol.status == 1
    assert info["improvement"] > 0
    assert info["value"] <= info["expected_V_sgd"]
    assert abs(info["expected_V_csgd"] + info["control_cost"] - info["value"]) < 0.02
    np.testing.assert_allclose(hist["u"][-1], f(x))
    mc = controlled_sgd_paths(sol, f, n_paths=4000, rng=0, backend="numpy")
    assert abs(mc.info["V_sgd"][0] - info["expected_V_sgd"]) < 4 * mc.info["V_sgd"][1] + 0.02
    assert mc.info["improvement"][0] > 0
    mc2 = controlled_sgd_paths(sol, f, n_paths=50, rng=0, backend="numba")
    mc1 = controlled_sgd_paths(sol, f, n_paths=50, rng=0, backend="numpy")
    np.testing.assert_allclose(mc2.x, mc1.x)


@pytest.mark.parametrize("call, match", [
    (lambda: local_entropy_gradient(lambda y: y, [0.0], 0.0, max_iter=5, step_size=0.1), "gamma"),
    (lambda: local_entropy_gradient(lambda y: y, [0.0], -1, max_iter=5, step_size=0.1), "gamma"),
    (lambda: local_entropy_gradient(lambda y: y, [0.0], 1.0, max_iter=0, step_size=0.1),
     "max_iter"),
    (lambda: local_entropy_gradient(lambda y: y, [0.0], 1.0, max_iter=5, step_size=-0.1),
     "step_size"),
    (lambda: local_entropy_gradient(lambda y: y, [0.0], 1.0, max_iter=5, step_size=0.1,
                                    alpha=2.0), "alpha"),
    (lambda: local_entropy_gradient(lambda y: y[:, :1], [0.0, 1.0], 1.0, max_iter=5,
                                    step_size=0.1), "grad_f must return"),
    (lambda: exit_times(double_well(), -1, 1, beta=0.0, dt=0.01, n_paths=2, max_time=1),
     "beta"),
    (lambda: exit_times(double_well(), -1, 1, beta=1.0, dt=-0.01, n_paths=2, max_time=1), "dt"),
    (lambda: kramers_time(double_well(), -1, 0, -2.0), "beta"),
    (lambda: kramers_time(double_well(), 0, -1, 2.0), "minimum"),
    (lambda: mean_exit_time(PolynomialPotential([0, 0, 0, 1.0]), -1, 1, 1.0),
     "not normalizable"),
    (lambda: mean_exit_time(PolynomialPotential([0, 0, -1.0]), -1, 1, 1.0), "not normalizable"),
    (lambda: controlled_sgd(np.sin, np.cos, np.linspace(-1, 1, 11), np.zeros(11), t=1,
                            n_steps=3), "not normalizable"),
    (lambda: controlled_sgd(np.sin, np.cos, np.linspace(-1, 1, 11), -np.ones(11), t=1,
                            n_steps=3), "negative"),
    (lambda: controlled_sgd(np.sin, np.cos, np.linspace(-1, 1, 11), np.ones(11), t=1,
                            n_steps=3, beta=0), "beta"),
    (lambda: two_scale_esgd(lambda y: y, [0.0], gamma=0, epsilon=0.1, t=1), "gamma"),
    (lambda: two_scale_esgd(lambda y: y, [0.0], gamma=1, epsilon=-0.1, t=1), "epsilon"),
])
def test_bad_input_is_refused_with_the_argument_named(call, match):
    with pytest.raises(ValueError, match=match):
        call()


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_a_diverging_chain_names_the_step_and_keeps_its_history():
    with pytest.raises(FloatingPointError, match="diverged at iteration") as info:
        local_entropy_gradient(lambda y: y ** 3, [3.0], 1.0, max_iter=200, step_size=0.5, rng=0)
    assert "step_size=0.5" in str(info.value)
    assert info.value.result.history["spread"].size >= 1
    with pytest.raises(FloatingPointError, match="two_scale_esgd diverged"):
        two_scale_esgd(lambda y: y ** 3, [3.0], gamma=1.0, epsilon=0.1, t=10, dt=0.1)


def test_results_are_reproducible_from_the_seed():
    kw = dict(max_iter=50, step_size=0.05, n_chains=8, rng=3)
    a = local_entropy_gradient(lambda y: y, [0.3], 1.0, **kw)
    b = local_entropy_gradient(lambda y: y, [0.3], 1.0, **kw)
    np.testing.assert_array_equal(a.x, b.x)


@pytest.mark.parametrize("dim", [1, 2])
def test_langevin_estimate_matches_hj_local_entropy(dim):
    # pdeopt.testing's checker: the Langevin estimate agrees with (x − ⟨y⟩)/γ by quadrature
    # within 4 standard errors plus the O(step) bias of the unadjusted chain (≈ 0.01 here)
    gamma = 0.5
    if dim == 1:
        x = np.array([1.2])
        f = lambda p: 0.5 * (p[:, 0] ** 2 - 1) ** 2  # noqa: E731
        grad = lambda y: 2 * y * (y ** 2 - 1)  # noqa: E731
    else:
        x = np.array([1.2, 0.5])
        f = lambda p: 0.5 * (p[:, 0] ** 2 - 1) ** 2 + p[:, 1] ** 2 / 2  # noqa: E731
        grad = lambda y: np.stack([2 * y[:, 0] * (y[:, 0] ** 2 - 1), y[:, 1]], axis=1)  # noqa

    def estimate(point):
        res = local_entropy_gradient(grad, point, gamma, max_iter=2500, step_size=0.004,
                                     n_chains=300, rng=2)
        return res.x, res.info["standard_error"]
    assert_local_entropy_gradient(estimate, f, x, gamma, z=4.0, bias=0.01)


# --- honest Result, divergence, bad input (issue #18) -------------------------------------

def test_gradient_flow_returns_an_honest_result_on_the_exact_linear_flow():
    res = gradient_flow(lambda x: 2.0 * x, [1.0, -3.0], t=1.0, dt=0.05)
    assert (res.status, res.success, res.converged, res.nit) == (1, True, False, 20)
    assert res.history["x"].shape == (21, 2) and res.history["time"][-1] == 1.0
    # RK4 on x' = −2x, z = −2dt = −0.1: each step misses e^z by about |z|⁵/120, so the
    # 20 steps miss the exact e^{−2t} by about 20·|z|⁵/120 (relative); twice that bound
    np.testing.assert_allclose(res.x, np.array([1.0, -3.0]) * np.exp(-2.0),
                               rtol=2 * 20 * 0.1 ** 5 / 120)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_gradient_flow_divergence_names_the_step_and_keeps_the_path():
    from pdeopt import DivergenceError
    with pytest.raises(DivergenceError, match=r"gradient_flow diverged at iteration 0.*grad") as e:
        gradient_flow(lambda x: x * np.nan, [1.0], t=1.0, dt=0.1)
    assert e.value.result.nit == 0 and e.value.result.status == 5
    # dt beyond RK4's stability limit (|1 + z + z²/2 + z³/6 + z⁴/24| > 1 at z = −100)
    with pytest.raises(DivergenceError, match=r"dt=1\.0") as e:
        gradient_flow(lambda x: 100.0 * x, [1.0], t=100.0, dt=1.0)
    res = e.value.result
    assert res.nit > 5 and res.history["x"].shape == (res.nit + 1, 1)


def test_an_interrupted_gradient_flow_keeps_its_finished_steps():
    def stop(it):
        if it.nit == 3:
            raise KeyboardInterrupt
    with pytest.warns(RuntimeWarning, match="interrupted after 3"):
        res = gradient_flow(lambda x: x, [1.0], t=1.0, dt=0.1, callback=stop)
    assert (res.status, res.success, res.nit) == (3, False, 3)
    assert res.history["x"].shape == (4, 1)


def test_sampler_and_integrator_claim_no_convergence():
    res = local_entropy_gradient(lambda y: y, [0.5], 1.0, max_iter=40, step_size=0.05,
                                 n_chains=4, rng=0)
    assert (res.status, res.converged, res.nit) == (1, False, 40)
    two = two_scale_esgd(lambda y: y, [0.5], gamma=1.0, epsilon=0.1, t=0.1, dt=0.01, rng=0)
    assert (two.status, two.converged, two.nit) == (1, False, 10)


def test_an_interrupted_langevin_estimate_averages_the_steps_it_finished():
    def stop(it):
        if it.nit == 20:
            raise KeyboardInterrupt
    with pytest.warns(RuntimeWarning, match="interrupted"):
        res = local_entropy_gradient(lambda y: y, [0.5], 1.0, max_iter=40, burn_in=10,
                                     step_size=0.05, n_chains=4, rng=0, callback=stop)
    assert (res.status, res.nit, res.history["spread"].size) == (3, 20, 20)
    assert np.all(np.isfinite(res.x))


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_diverging_exit_times_name_the_chunk_and_keep_the_history():
    from pdeopt import DivergenceError
    with pytest.raises(DivergenceError, match=r"exit_times diverged at iteration \d+.*dt=0\.3") \
            as e:  # f″(−1)·dt = 2.4 > 2: Euler–Maruyama blows up in the well
        exit_times(double_well(), -1.0, 1e300, beta=2.0, dt=0.3, n_paths=10, max_time=100,
                   rng=0, chunk_steps=1, backend="numpy")
    res = e.value.result
    assert res.nit >= 1 and res.history["exited"].size == res.nit


def test_exit_times_result_is_honest():
    res = exit_times(double_well(), -1.0, 1.0, beta=2.0, dt=0.01, n_paths=20, max_time=0.05,
                     rng=0, backend="numpy")
    # 5 steps cannot cross the barrier (a move of ~6 noise SDs): all censored, not converged
    assert (res.status, res.converged, res.info["censored"]) == (1, False, 20)
    assert np.all(np.isnan(res.x))


def test_mean_exit_time_at_large_beta_is_finite_and_follows_laplace():
    pot = double_well(1.0)
    # from the right slope: log T / β → f(0.5) − f(−1) = 0.5625 (Laplace), no overflow
    beta = 1000.0
    t = mean_exit_time(pot, 0.5, 1.0, beta)
    assert np.isfinite(t) and abs(np.log(t) / beta - 0.5625) < 0.01
    # over the barrier: the Eyring–Kramers ratio tends to 1 with an O(1/β) correction
    ratio = mean_exit_time(pot, -1.0, 1.0, 400.0) / kramers_time(pot, -1.0, 0.0, 400.0)
    assert abs(ratio - 1.0) < 0.01


def test_controlled_sgd_at_large_beta_stays_finite_and_bounded():
    f = lambda x: 0.5 * (x ** 2 - 1) ** 2 + 0.3 * x  # noqa: E731
    g = lambda x: 2 * x * (x ** 2 - 1) + 0.3  # noqa: E731
    x = np.linspace(-3, 3, 201)
    for beta in (100.0, 200.0):
        res = controlled_sgd(g, f, x, np.exp(-(x - 1) ** 2 / 0.18), t=1.0, n_steps=50,
                             beta=beta)
        u, alpha = res.history["u"], res.history["alpha"]
        assert np.all(np.isfinite(u)) and np.all(np.isfinite(alpha))
        # u(·, t) = min over controls of E[V + ½∫α²] lies in [min V, max V]
        assert u.min() >= f(x).min() - 1e-9 and u.max() <= f(x).max() + 1e-9
        np.testing.assert_allclose(u[-1], f(x))
        assert np.allclose(np.sum(res.history["rho_csgd"], axis=1) * (x[1] - x[0]), 1.0)


def test_log_domain_implicit_solve_equals_a_dense_solve():
    from pdeopt.sde.controlled import _generator_bands, _log_implicit_solver
    rng = np.random.default_rng(0)
    n, h, dt = 40, 0.1, 0.3
    up, down = _generator_bands(rng.normal(size=n) * 3, 0.2, h)
    q = np.diag(-(up + down)) + np.diag(up[:-1], 1) + np.diag(down[1:], -1)
    rhs = rng.uniform(0.1, 2.0, n)
    expected = np.linalg.solve(np.eye(n) - dt * q, rhs)
    got = np.exp(_log_implicit_solver(up, down, dt)(np.log(rhs)))
    np.testing.assert_allclose(got, expected, rtol=1e-12)


@pytest.mark.parametrize("call, error, match", [
    (lambda: exit_times(double_well(), -1, np.nan, beta=1.0, dt=0.01, n_paths=2, max_time=1),
     ValueError, "target"),
    (lambda: exit_times(double_well(), np.inf, 1, beta=1.0, dt=0.01, n_paths=2, max_time=1),
     ValueError, "x0"),
    (lambda: exit_times(None, -1, 1, beta=1.0, dt=0.01, n_paths=2, max_time=1),
     TypeError, "potential"),
    (lambda: exit_times("double well", -1, 1, beta=1.0, dt=0.01, n_paths=2, max_time=1),
     TypeError, "potential"),
    (lambda: kramers_time(double_well(), np.nan, 0, 2.0), ValueError, "x_min"),
    (lambda: kramers_time(double_well(), -1, np.inf, 2.0), ValueError, "x_saddle"),
    (lambda: kramers_time(double_well(), -1, 0, np.nan), ValueError, "beta"),
    (lambda: kramers_time(double_well(), -1, 0, 1000.0), ValueError, "float range"),
    (lambda: kramers_time(None, -1, 0, 2.0), TypeError, "potential"),
    (lambda: mean_exit_time(double_well(), -1, 1, 2.0, n=1), ValueError, "n must be >= 3"),
    (lambda: mean_exit_time(double_well(), -1, 1, 2.0, n=2.5), TypeError, "n must be"),
    (lambda: mean_exit_time(double_well(), np.nan, 1, 2.0), ValueError, "x0"),
    (lambda: mean_exit_time(double_well(), -1, np.inf, 2.0), ValueError, "target"),
    (lambda: mean_exit_time(double_well(), -1, 1, np.inf), ValueError, "beta"),
    (lambda: mean_exit_time(double_well(), -1, 1, 2.0, lower=0.0), ValueError, "lower"),
    (lambda: mean_exit_time(double_well(), -1, 1, 1000.0), ValueError, "float range"),
    (lambda: mean_exit_time("f", -1, 1, 2.0), TypeError, "potential"),
    (lambda: gradient_flow(None, [1.0], t=1, dt=0.1), TypeError, "grad"),
    (lambda: gradient_flow(lambda x: x, [np.nan], t=1, dt=0.1), ValueError, "x0"),
    (lambda: gradient_flow(lambda x: x, [1.0], t=-1, dt=0.1), ValueError, "t must"),
    (lambda: gradient_flow(lambda x: x[:0], [1.0], t=1, dt=0.1), ValueError, "grad must"),
    (lambda: controlled_sgd(None, np.cos, np.linspace(-1, 1, 11), np.ones(11), t=1,
                            n_steps=3), TypeError, "grad_f"),
    (lambda: controlled_sgd(np.sin, lambda x: x / 0, np.linspace(-1, 1, 11), np.ones(11), t=1,
                            n_steps=3), ValueError, "V"),
    (lambda: controlled_sgd_paths({"x": 1}, np.cos, n_paths=10), TypeError, "solution"),
    (lambda: local_entropy_gradient(None, [0.0], 1.0, max_iter=5, step_size=0.1), TypeError,
     "grad_f"),
    (lambda: local_entropy_gradient(lambda y: y, [0.0], 1.0, max_iter=2.5, step_size=0.1),
     TypeError, "max_iter"),
    (lambda: local_entropy_gradient(lambda y: y, [0.0], 1.0, max_iter=5, step_size=0.1,
                                    n_chains=1), ValueError, "n_chains"),  # no standard error
    (lambda: two_scale_esgd(lambda y: y, [0.0], gamma=1, epsilon=0.1, t=1, rng=-1),
     ValueError, "rng"),
])
@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_bad_input_names_the_argument(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_the_seed_keyword_is_gone():
    with pytest.raises(TypeError):
        local_entropy_gradient(lambda y: y, [0.0], 1.0, max_iter=5, step_size=0.1, seed=0)
    with pytest.raises(TypeError):
        exit_times(double_well(), -1, 1, beta=1.0, dt=0.01, n_paths=2, max_time=1, seed=0)
