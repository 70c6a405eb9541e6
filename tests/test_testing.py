"""pdeopt.testing: every checker passes on pdeopt's operators and fails on a planted bug.

A checker that cannot fail is a defect, so each identity has a buggy operator beside the
right one; the bugs are the kind a researcher makes (a wrong threshold, a flux with a
sign error, one asymmetric weight, an R-factor that depends on the phase).
"""
import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings, strategies as st

from pdeopt import hj, phase, prox, quant
from pdeopt.testing import (assert_cole_hopf, assert_density_evolution, assert_gradient,
                            assert_graph_laplacian, assert_hopf_lax_semigroup,
                            assert_local_entropy_gradient, assert_local_entropy_limits,
                            assert_maximum_principle, assert_moreau_decomposition,
                            assert_order, assert_phase_invariances, assert_projection,
                            assert_prox_optimal, assert_weak_order, observed_order)
from pdeopt.testing import strategies as pst

FAST = settings(max_examples=25, deadline=None, derandomize=True)


def soft(v, g):
    return prox.soft_threshold(v, g)


def soft_wrong_lambda(v, g):                 # planted: threshold 1.1·γ
    return prox.soft_threshold(v, 1.1 * g)


def clip_unit(v, g):                         # prox of the indicator of [-1, 1]: projection
    return np.clip(v, -1.0, 1.0)


# --- Moreau decomposition -------------------------------------------------------------

@FAST
@given(x=pst.sparse_vectors(), gamma=st.floats(0.05, 5.0))
def test_moreau_decomposition_of_soft_threshold(x, gamma):
    assert_moreau_decomposition(soft, clip_unit, x, gamma=gamma)


def test_moreau_decomposition_catches_a_wrong_threshold():
    with pytest.raises(AssertionError, match="Moreau decomposition"):
        assert_moreau_decomposition(soft_wrong_lambda, clip_unit, np.linspace(-3, 3, 13))


# --- prox optimality --------------------------------------------------------------------

@FAST
@given(x=pst.sparse_vectors(max_size=8), gamma=st.floats(0.1, 3.0))
def test_thresholds_are_proxes_of_their_penalties(x, gamma):
    assert_prox_optimal(soft, lambda y: np.abs(y).sum(), x, gamma=gamma)
    # hard thresholding is the prox of the ℓ0 count: a global minimiser, not firmly
    # nonexpansive
    assert_prox_optimal(prox.hard_threshold, lambda y: np.count_nonzero(y), x, gamma=gamma,
                        convex=False)


def test_prox_optimality_catches_a_wrong_threshold():
    x = np.array([2.0, -0.3, 0.7, 1.05])
    with pytest.raises(AssertionError, match="prox optimality"):
        assert_prox_optimal(soft_wrong_lambda, lambda y: np.abs(y).sum(), x)
    # planted: ℓ0 prox thresholded at γ instead of √(2γ)
    wrong_hard = lambda v, g: np.where(np.abs(v) > g, v, 0.0)     # noqa: E731
    with pytest.raises(AssertionError, match="prox optimality"):
        assert_prox_optimal(wrong_hard, lambda y: np.count_nonzero(y), x, gamma=1.0,
                            convex=False)


def test_firm_nonexpansiveness_catches_an_expansive_operator():
    # planted: right near x, 1.5·soft beyond |v| > 2; the minimiser test at x cannot see it
    def expansive(v, g):
        out = prox.soft_threshold(v, g)
        return np.where(np.abs(v) > 2, 1.5 * out, out)
    x = np.array([0.5, 1.5])
    assert_prox_optimal(expansive, lambda y: np.abs(y).sum(), x, convex=False)
    with pytest.raises(AssertionError, match="firm nonexpansiveness"):
        assert_prox_optimal(expansive, lambda y: np.abs(y).sum(), x)


# --- projections ------------------------------------------------------------------------

def _binary_member(v):
    a = np.abs(v)
    return bool(np.allclose(a, a.max()))


def _ternary_member(v):
    a = np.abs(v[v != 0])
    return bool(a.size == 0 or np.allclose(a, a.max()))


@FAST
@given(x=pst.quantization_inputs())
def test_quantization_projections_are_nearest_points(x):
    assert_projection(quant.project_binary, x, _binary_member, cone=True)
    assert_projection(quant.project_ternary, x, _ternary_member, cone=True)


def test_projection_catches_a_wrong_scale():
    x = np.array([3.0, -0.5, 0.2, -1.0])
    wrong = lambda v: np.max(np.abs(v)) * np.sign(v)                # noqa: E731
    with pytest.raises(AssertionError, match="nearest point"):
        assert_projection(wrong, x, _binary_member, cone=True)


def test_projection_catches_a_point_outside_the_set():
    with pytest.raises(AssertionError, match="outside the set"):
        assert_projection(lambda v: v, np.array([3.0, -0.5]), _binary_member)


def test_projection_catches_a_non_idempotent_map():
    shrink = lambda v: 0.5 * np.clip(v, -1, 1)                      # noqa: E731
    inside = lambda v: bool(np.all(np.abs(v) <= 1))                 # noqa: E731
    with pytest.raises(AssertionError, match="idempotence"):
        assert_projection(shrink, np.array([2.0, 0.5]), inside)


# --- orders and gradients ---------------------------------------------------------------

def test_observed_order_of_exact_power_laws():
    hs = np.array([0.1, 0.05, 0.025])
    assert observed_order(2.0 * hs ** 3, hs) == pytest.approx(3.0)


def test_order_catches_a_first_order_error_sold_as_second():
    hs = [0.1, 0.05, 0.025, 0.0125]
    assert_order([h for h in hs], hs, 1)
    with pytest.raises(AssertionError, match="order of convergence"):
        assert_order([h for h in hs], hs, 2)


@FAST
@given(x=st.lists(st.floats(-2, 2), min_size=1, max_size=6).map(np.array))
def test_gradient_of_a_smooth_function(x):
    assert_gradient(lambda v: np.sum(np.exp(-v ** 2) * v), lambda v: (1 - 2 * v ** 2)
                    * np.exp(-v ** 2), x)


def test_gradient_catches_a_missing_factor():
    with pytest.raises(AssertionError, match="central differences"):
        assert_gradient(lambda v: np.sum(v ** 2), lambda v: v, np.array([0.5, -1.0]))


def test_gradient_check_is_the_one_nn_uses():
    from pdeopt.nn import gradcheck
    from pdeopt.testing import _calculus
    import inspect
    assert "central_difference" in inspect.getsource(_calculus.assert_gradient)
    assert callable(gradcheck.central_difference)


# --- Hopf–Lax ---------------------------------------------------------------------------

@FAST
@given(xf=pst.grid_functions("semiconvex"), t=st.floats(0.05, 1.0), s=st.floats(0.05, 1.0))
def test_hopf_lax_is_a_semigroup(xf, t, s):
    x, f = xf
    assert_hopf_lax_semigroup(hj.hopf_lax, f, x, t, s)


def _windowed_hopf_lax(f, x, t, width=2):
    # planted: the minimum over y is taken only within `width` nodes of x
    n = f.size
    u = np.empty(n)
    for i in range(n):
        j = np.arange(max(0, i - width), min(n, i + width + 1))
        u[i] = np.min(f[j] + (x[i] - x[j]) ** 2 / (2 * t))
    return u


def test_hopf_lax_semigroup_catches_a_local_search():
    x = np.linspace(-3, 3, 61)
    with pytest.raises(AssertionError, match="semigroup"):
        assert_hopf_lax_semigroup(_windowed_hopf_lax, np.abs(x) * 2, x, 0.5, 0.5)


def test_hopf_lax_envelope_catches_an_offset():
    x = np.linspace(-2, 2, 41)
    shifted = lambda f, x, t: hj.hopf_lax(f, x, t)[0] + 0.01       # noqa: E731
    with pytest.raises(AssertionError, match="envelope"):
        assert_hopf_lax_semigroup(shifted, x ** 2, x, 0.3, 0.3)


# --- Cole–Hopf --------------------------------------------------------------------------

def _f_smooth(x):
    return 0.5 * x ** 2 + np.cos(2 * x)


def test_viscous_solver_converges_to_cole_hopf():
    solve = lambda fx, x, t, eps: hj.solve_viscous_hj(fx, x, t, eps).x      # noqa: E731
    assert_cole_hopf(solve, _f_smooth, (-4, 4), 0.2, sizes=(81, 161, 321))


def _explicit_with_flux_sign_error(fx, x, t, eps):
    # planted: u_t − ½u_x² = (ε/2)u_xx (the Hamiltonian's sign flipped)
    h = x[1] - x[0]
    n = int(np.ceil(t / (0.2 * h * h / eps)))
    dt, u = t / n, fx.copy()
    for _ in range(n):
        ux = np.gradient(u, h)
        uxx = np.zeros_like(u)
        uxx[1:-1] = (u[2:] - 2 * u[1:-1] + u[:-2]) / h ** 2
        u = u + dt * (0.5 * ux ** 2 + 0.5 * eps * uxx)
    return u


def test_cole_hopf_catches_a_flux_sign_error():
    with pytest.raises(AssertionError, match="order of convergence"):
        assert_cole_hopf(_explicit_with_flux_sign_error, _f_smooth, (-4, 4), 0.2,
                         sizes=(41, 81, 161))


# --- local entropy ----------------------------------------------------------------------

def test_local_entropy_gradient_formula_and_limit():
    x = np.linspace(-5, 5, 1001)
    assert_local_entropy_limits(hj.local_entropy, _f_smooth(x), x)


def test_local_entropy_checker_catches_a_halved_gradient():
    x = np.linspace(-5, 5, 1001)

    def halved(f, x, gamma, grad=True):
        fg, g = hj.local_entropy(f, x, gamma, grad=True)
        return fg, g / 2                          # planted: (x − ⟨y⟩)/(2γ)
    with pytest.raises(AssertionError, match="local-entropy gradient"):
        assert_local_entropy_limits(halved, _f_smooth(x), x)


def test_local_entropy_checker_catches_a_limit_that_is_not_f():
    x = np.linspace(-5, 5, 1001)

    def offset(f, x, gamma, grad=True):
        fg, g = hj.local_entropy(f, x, gamma, grad=True)
        return fg + 0.1, g                        # planted: f_γ → f + 0.1
    with pytest.raises(AssertionError, match="order of convergence"):
        assert_local_entropy_limits(offset, _f_smooth(x), x)


# --- graphs -----------------------------------------------------------------------------

def _laplacian(W):
    W = sp.csr_matrix(W)
    return sp.diags(np.asarray(W.sum(axis=1)).ravel()) - W


@FAST
@given(g=pst.knn_graphs())
def test_knn_graph_laplacians(g):
    assert_graph_laplacian(_laplacian(g.weights))


def test_laplacian_checker_catches_one_asymmetric_weight():
    rng = np.random.default_rng(0)
    A = rng.uniform(size=(8, 8))
    W = np.triu(A, 1) + np.triu(A, 1).T
    W[2, 5] += 0.3                                # planted: w_25 ≠ w_52
    with pytest.raises(AssertionError, match="symmetry"):
        assert_graph_laplacian(_laplacian(W))


def test_laplacian_checker_catches_a_negative_weight():
    W = np.array([[0, 1, -2.0], [1, 0, 0.5], [-2.0, 0.5, 0]])   # planted: w_13 < 0
    with pytest.raises(AssertionError, match="semidefinite"):
        assert_graph_laplacian(_laplacian(W))


def _extension(method):
    from pdeopt.graph import harmonic_extension

    def extend(W, idx, values):
        return harmonic_extension(W, idx, values, method=method, n_classes=2,
                                  solver="direct").x
    return extend


@FAST
@given(g=pst.knn_graphs())
def test_harmonic_extensions_obey_the_maximum_principle(g):
    onehot = np.eye(2)[g.labels[g.labeled_idx]]
    for method in ("gl", "wnll"):
        extend = _extension(method)
        assert_maximum_principle(lambda W, idx, v: extend(W, idx, g.labels[idx]), g.weights,
                                 g.labeled_idx, onehot)


def test_maximum_principle_catches_an_overshoot():
    W = np.exp(-np.subtract.outer(np.arange(6.0), np.arange(6.0)) ** 2)

    def overshoot(W, idx, g):                     # planted: extrapolates past the labels
        u = np.linspace(0, 1, len(W))
        u[idx] = g
        u[1], u[-2] = -0.1, 1.1
        return u
    with pytest.raises(AssertionError, match="maximum principle"):
        assert_maximum_principle(overshoot, W, [0, 5], np.array([0.0, 1.0]))


# --- phase retrieval --------------------------------------------------------------------

@FAST
@given(obj=pst.phase_objects(complex_valued=True))
def test_r_factor_ignores_the_trivial_ambiguities(obj):
    noisy = obj.magnitudes * 1.05 + 0.01
    assert_phase_invariances(phase.r_factor, obj.object, noisy, align=phase.align)


def test_phase_checker_catches_an_r_factor_that_sees_the_phase():
    x = np.zeros((16, 16), complex)
    x[3:8, 4:9] = np.exp(1j * np.arange(25.0).reshape(5, 5))

    def real_part_r(y, m):                        # planted: |Re F y| instead of |F y|
        return float(np.sum(np.abs(np.abs(np.fft.fft2(y, norm="ortho").real) - m)) / m.sum())
    with pytest.raises(AssertionError, match="R-factor invariance"):
        assert_phase_invariances(real_part_r, x)


# --- Fokker–Planck and SDEs -------------------------------------------------------------

def _fokker_planck(rho0, x, v_prime, beta, t, *, dt=None, leak=False):
    """Conservative upwind finite volumes for ρ_t = (ρV')' + ρ''/β, no-flux boundaries."""
    h = x[1] - x[0]
    dt = dt or 0.2 * h * h * beta
    rho, out = rho0.copy(), [rho0.copy()]
    xf = 0.5 * (x[1:] + x[:-1])
    a = -v_prime(xf)                              # drift at the faces
    for _ in range(int(round(t / dt))):
        flux = np.where(a > 0, a * rho[:-1], a * rho[1:]) - (rho[1:] - rho[:-1]) / (beta * h)
        full = np.concatenate([[0.0], flux, [0.0 if not leak else -flux[-1]]])
        rho = rho - dt / h * (full[1:] - full[:-1])
        out.append(rho.copy())
    return np.array(out)


def test_fokker_planck_keeps_mass_and_sign():
    x = np.linspace(-2, 2, 81)
    rho0 = np.exp(-(x - 0.5) ** 2 / 0.1)
    rho0 /= rho0.sum() * (x[1] - x[0])
    assert_density_evolution(_fokker_planck(rho0, x, lambda y: 4 * y ** 3 - 4 * y, 4.0, 0.2),
                             x)


def test_density_checker_catches_a_leak_and_a_sign_change():
    x = np.linspace(-2, 2, 81)
    rho0 = np.exp(-(x - 1.5) ** 2 / 0.1)
    with pytest.raises(AssertionError, match="mass conservation"):
        assert_density_evolution(_fokker_planck(rho0, x, lambda y: -np.ones_like(y), 4.0,
                                                0.5, leak=True), x)
    with pytest.raises(AssertionError, match="nonnegative"):      # planted: dt beyond CFL
        assert_density_evolution(_fokker_planck(rho0, x, lambda y: 4 * y ** 3, 4.0, 0.05,
                                                dt=0.05), x)


def test_euler_maruyama_has_weak_order_one():
    assert_weak_order(lambda x, dt, dw: x - x * dt + 0.5 * dw, n_paths=400_000)


def test_weak_order_catches_wrong_noise_scaling():
    # planted: σ√2 dW, so E X² converges to the wrong limit: order ~0
    with pytest.raises(AssertionError, match="order of convergence"):
        assert_weak_order(lambda x, dt, dw: x - x * dt + 0.5 * np.sqrt(2) * dw,
                          n_paths=200_000)


def _langevin_estimate(f_grad, gamma):
    from pdeopt.sde import local_entropy_gradient

    def estimate(x):
        res = local_entropy_gradient(f_grad, x, gamma, max_iter=400, step_size=0.01,
                                     n_chains=1024, rng=1)
        return res.x, res.info["standard_error"]
    return estimate


def test_entropy_sgd_estimator_matches_the_exact_gradient():
    f = lambda p: np.sum(p ** 4 / 4 - p ** 2 / 2, axis=1)          # noqa: E731
    grad = lambda y: y ** 3 - y                                     # noqa: E731
    # bias: Langevin with step η′ = 0.01 is O(η′) off the Gibbs mean: ≤ 0.05 here
    assert_local_entropy_gradient(_langevin_estimate(grad, 0.3), f, np.array([1.5]), 0.3,
                                  bias=0.05)


def test_estimator_checker_catches_a_wrong_scope():
    f = lambda p: np.sum(p ** 4 / 4 - p ** 2 / 2, axis=1)          # noqa: E731
    grad = lambda y: y ** 3 - y                                     # noqa: E731
    with pytest.raises(AssertionError, match="Langevin estimate"):
        # planted: the chains sample with γ = 0.15 while f_γ is claimed at γ = 0.3
        assert_local_entropy_gradient(_langevin_estimate(grad, 0.15), f, np.array([1.5]),
                                      0.3, bias=0.05)


def test_strategies_say_what_to_install_without_hypothesis():
    import subprocess
    import sys
    code = ("import sys; sys.modules['hypothesis'] = None\n"
            "import pdeopt.testing as t; t.assert_order([0.1, 0.05], [0.1, 0.05], 1)\n"
            "try:\n    import pdeopt.testing.strategies\nexcept ImportError as e:\n"
            "    print('IMPORT-ERROR', e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert "IMPORT-ERROR" in out and "pip install hypothesis" in out
