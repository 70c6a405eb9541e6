"""pdeopt.sde: Kramers, the Langevin estimator, homogenization, controlled SGD, bad input."""
import numpy as np
import pytest

from pdeopt.sde import (PolynomialPotential, controlled_sgd, controlled_sgd_paths, double_well,
                        exit_times, gradient_flow, kramers_time, local_entropy_gradient,
                        mean_exit_time, two_scale_esgd)


def test_mean_exit_time_solves_the_backward_equation_for_a_quadratic():
    # f = x²/2, β = 2: T(x0 → b) = β∫ e^{βf(y)} ∫_{-∞}^y e^{-βf} — check against scipy quad
    from scipy import integrate, special
    pot = PolynomialPotential([0.0, 0.0, 0.5])
    beta = 2.0
    inner = lambda y: np.sqrt(2 * np.pi / beta) * 0.5 * (1 + special.erf(np.sqrt(beta / 2) * y))  # noqa
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
    kw = dict(beta=2.0, dt=0.0025, n_paths=600, max_time=500.0, seed=4)
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
    res = local_entropy_gradient(lambda y: a * y, x, gamma, steps=1500, step_size=0.004,
                                 n_chains=300, seed=1)
    se = res.info["standard_error"]
    exact = a * x / (1 + a * gamma)
    assert np.all(np.abs(res.x - exact) < 4 * se + 0.01)
    assert res.history["spread"].shape == (1500,)
    exp_avg = local_entropy_gradient(lambda y: a * y, x, gamma, steps=400, step_size=0.01,
                                     n_chains=400, alpha=0.05, seed=1)
    assert np.all(np.abs(exp_avg.x - exact) < 0.1)


def test_two_scale_system_follows_the_homogenized_flow_for_a_quadratic():
    a, gamma = 1.0, 0.5
    res = two_scale_esgd(lambda y: a * y, [1.5], gamma=gamma, epsilon=0.01, time=1.0,
                         n_paths=50, record_every=10, seed=0)
    t, ref = gradient_flow(lambda x: a * x / (1 + a * gamma), [1.5], time=1.0, dt=0.01)
    assert res.history["x"].shape[1:] == (50, 1)
    assert abs(res.x.mean() - ref[-1, 0]) < 0.05
    # RK4 is exact enough for the linear flow
    assert ref[-1, 0] == pytest.approx(1.5 * np.exp(-a / (1 + a * gamma)), rel=1e-8)


def test_controlled_sgd_improvement_theorem_and_paths():
    f = lambda x: 0.5 * (x ** 2 - 1) ** 2 + 0.3 * x  # noqa: E731
    g = lambda x: 2 * x * (x ** 2 - 1) + 0.3  # noqa: E731
    x = np.linspace(-3, 3, 201)
    sol = controlled_sgd(g, f, x, np.exp(-(x - 1) ** 2 / 0.18), T=1.0, n_steps=100)
    assert np.allclose(np.sum(sol.rho_csgd, axis=1) * (x[1] - x[0]), 1.0)
    assert np.all(sol.rho_sgd >= 0)
    assert sol.improvement > 0
    assert sol.value <= sol.expected_V_sgd
    assert abs(sol.expected_V_csgd + sol.control_cost - sol.value) < 0.02
    np.testing.assert_allclose(sol.u[-1], f(x))
    mc = controlled_sgd_paths(sol, f, n_paths=4000, seed=0, backend="numpy")
    assert abs(mc["V_sgd"][0] - sol.expected_V_sgd) < 4 * mc["V_sgd"][1] + 0.02
    assert mc["improvement"][0] > 0
    mc2 = controlled_sgd_paths(sol, f, n_paths=50, seed=0, backend="numba")
    mc1 = controlled_sgd_paths(sol, f, n_paths=50, seed=0, backend="numpy")
    np.testing.assert_allclose(mc2["x_csgd"], mc1["x_csgd"])


@pytest.mark.parametrize("call, match", [
    (lambda: local_entropy_gradient(lambda y: y, [0.0], 0.0, steps=5, step_size=0.1), "gamma"),
    (lambda: local_entropy_gradient(lambda y: y, [0.0], -1, steps=5, step_size=0.1), "gamma"),
    (lambda: local_entropy_gradient(lambda y: y, [0.0], 1.0, steps=0, step_size=0.1), "steps"),
    (lambda: local_entropy_gradient(lambda y: y, [0.0], 1.0, steps=5, step_size=-0.1),
     "step_size"),
    (lambda: local_entropy_gradient(lambda y: y, [0.0], 1.0, steps=5, step_size=0.1,
                                    alpha=2.0), "alpha"),
    (lambda: local_entropy_gradient(lambda y: y[:, :1], [0.0, 1.0], 1.0, steps=5,
                                    step_size=0.1), "grad_f must return"),
    (lambda: exit_times(double_well(), -1, 1, beta=0.0, dt=0.01, n_paths=2, max_time=1),
     "beta"),
    (lambda: exit_times(double_well(), -1, 1, beta=1.0, dt=-0.01, n_paths=2, max_time=1), "dt"),
    (lambda: kramers_time(double_well(), -1, 0, -2.0), "beta"),
    (lambda: kramers_time(double_well(), 0, -1, 2.0), "minimum"),
    (lambda: mean_exit_time(PolynomialPotential([0, 0, 0, 1.0]), -1, 1, 1.0),
     "not normalizable"),
    (lambda: mean_exit_time(PolynomialPotential([0, 0, -1.0]), -1, 1, 1.0), "not normalizable"),
    (lambda: controlled_sgd(np.sin, np.cos, np.linspace(-1, 1, 11), np.zeros(11), T=1,
                            n_steps=3), "not normalizable"),
    (lambda: controlled_sgd(np.sin, np.cos, np.linspace(-1, 1, 11), -np.ones(11), T=1,
                            n_steps=3), "negative"),
    (lambda: controlled_sgd(np.sin, np.cos, np.linspace(-1, 1, 11), np.ones(11), T=1,
                            n_steps=3, beta=0), "beta"),
    (lambda: two_scale_esgd(lambda y: y, [0.0], gamma=0, epsilon=0.1, time=1), "gamma"),
    (lambda: two_scale_esgd(lambda y: y, [0.0], gamma=1, epsilon=-0.1, time=1), "epsilon"),
])
def test_bad_input_is_refused_with_the_argument_named(call, match):
    with pytest.raises(ValueError, match=match):
        call()


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_a_diverging_chain_names_the_step_and_keeps_its_history():
    with pytest.raises(FloatingPointError, match="diverged at step") as info:
        local_entropy_gradient(lambda y: y ** 3, [3.0], 1.0, steps=200, step_size=0.5, seed=0)
    assert "step_size=0.5" in str(info.value)
    assert info.value.result.history["spread"].size >= 1
    with pytest.raises(FloatingPointError, match="two_scale_esgd diverged"):
        two_scale_esgd(lambda y: y ** 3, [3.0], gamma=1.0, epsilon=0.1, time=10, dt=0.1)


def test_results_are_reproducible_from_the_seed():
    kw = dict(steps=50, step_size=0.05, n_chains=8, seed=3)
    a = local_entropy_gradient(lambda y: y, [0.3], 1.0, **kw)
    b = local_entropy_gradient(lambda y: y, [0.3], 1.0, **kw)
    np.testing.assert_array_equal(a.x, b.x)


@pytest.mark.parametrize("dim", [1, 2])
def test_langevin_estimate_matches_hj_local_entropy(dim):
    from pdeopt.hj import local_entropy
    axis = np.linspace(-6, 6, 601 if dim == 1 else 241)
    gamma = 0.5
    if dim == 1:
        f_grid, grid, x = 0.5 * (axis ** 2 - 1) ** 2, axis, np.array([1.2])
        grad = lambda y: 2 * y * (y ** 2 - 1)  # noqa: E731
        exact = local_entropy(f_grid, grid, gamma, grad=True, points=x)[1]
    else:
        g0, g1 = np.meshgrid(axis, axis, indexing="ij")
        f_grid, grid, x = 0.5 * (g0 ** 2 - 1) ** 2 + g1 ** 2 / 2, (axis, axis), np.array([1.2, 0.5])
        grad = lambda y: np.stack([2 * y[:, 0] * (y[:, 0] ** 2 - 1), y[:, 1]], axis=1)  # noqa
        exact = local_entropy(f_grid, grid, gamma, grad=True, points=x[None])[1][0]
    res = local_entropy_gradient(grad, x, gamma, steps=2500, step_size=0.004, n_chains=300,
                                 seed=2)
    # 4 standard errors; the O(step) bias of the unadjusted chain is ≈ 0.01 here
    assert np.all(np.abs(res.x - exact) < 4 * res.info["standard_error"] + 0.01)
