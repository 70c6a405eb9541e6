"""pdeopt.hj's public API: honest Results, the renamed names, and bad input refused."""
import importlib
import types
import warnings

import numpy as np
import pytest

import pdeopt
from pdeopt import ConvergenceWarning, DivergenceError
from pdeopt.hj import (burgers_characteristics, hj_prox, hopf_lax, local_entropy,
                       moreau_envelope, proximal_point, proximal_step_sizes, solve_burgers,
                       solve_hj, solve_viscous_hj)

X = np.linspace(-3.0, 3.0, 61)
F = 0.25 * X**2 + np.cos(2 * X)
SOLVERS = [("solve_hj", lambda **kw: solve_hj(F, X, 0.5, **kw)),
           ("solve_viscous_hj", lambda **kw: solve_viscous_hj(F, X, 0.05, **kw)),
           ("solve_burgers", lambda **kw: solve_burgers(np.sin(X), X, 0.5, **kw))]


def soft_threshold(x, t):
    return np.sign(x) * max(abs(x) - t, 0.0)


# ------------------------------------------------------------------ names


def test_renamed_modules_are_modules_and_old_names_are_gone():
    for name in ("envelope", "entropy"):
        assert isinstance(importlib.import_module(f"pdeopt.hj.{name}"), types.ModuleType)
    # the functions keep their names; no module of the same name shadows them
    assert callable(pdeopt.hj.hopf_lax) and callable(pdeopt.hj.local_entropy)
    for gone in ("pdeopt.hj.hopf_lax", "pdeopt.hj.local_entropy"):
        with pytest.raises(ModuleNotFoundError):
            importlib.import_module(gone)
    assert not hasattr(pdeopt.hj, "step_schedule")   # nn.step_schedule is another thing
    with pytest.raises(TypeError):
        proximal_point(F, 0.0, [1.0], grid=X, steps=[1.0])
    with pytest.raises(TypeError):
        hj_prox(lambda y: y[:, 0] ** 2, 0.0, 1.0, seed=0)
    with pytest.raises(TypeError):
        burgers_characteristics(np.sin, np.cos, X, 0.1, n_newton=3)


# ------------------------------------------------------------------ extreme valid input


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_hopf_lax_for_huge_t_is_the_minimum_of_f(backend):
    # |x − y|²/(2t) ≤ 36/2e308 vanishes beside f: u = min f everywhere (t·Δf/Δx overflows
    # inside the lower-envelope transform, which must not lose the lowest parabola)
    u, y = hopf_lax(F, X, 1e308, backend=backend)
    np.testing.assert_array_equal(u, F.min())
    np.testing.assert_array_equal(F[np.searchsorted(X, y)], F.min())


def test_local_entropy_for_extreme_gamma_stays_finite():
    # γ → 0 on the nodes: f_γ(x_i) = f_i + ½log(2πγ) − log h (the node's own term);
    # γ huge: 2πγ overflows but its logarithm does not
    h = X[1] - X[0]
    np.testing.assert_allclose(local_entropy(F, X, 1e-300),
                               F + 0.5 * np.log(2 * np.pi * 1e-300) - np.log(h), rtol=1e-14)
    assert np.all(np.isfinite(local_entropy(F, X, 1e308)))


# ------------------------------------------------------------------ PDE solvers


@pytest.mark.parametrize("name,run", SOLVERS)
def test_solvers_return_a_result_with_one_row_per_step(name, run):
    res = run()
    assert isinstance(res, pdeopt.Result) and res.info["method"] == name
    assert res.status == 1 and res.success and not res.converged and res.nit > 1
    for key in ("time", "dt", "cfl"):
        assert res.history[key].shape == (res.nit,)
    t = res.history["time"][-1]
    np.testing.assert_allclose(res.history["time"], t / res.nit * np.arange(1, res.nit + 1))
    assert np.all(res.history["cfl"] <= 0.5 * (1 + 1e-12))     # the default cfl
    assert res.x.shape == X.shape


@pytest.mark.parametrize("name,run", SOLVERS)
def test_solvers_stop_on_callback_and_keep_interrupted_steps(name, run):
    seen = []
    stopped = run(callback=lambda it: seen.append(it.nit) or it.nit == 3)
    assert stopped.status == 4 and stopped.nit == 3 and seen == [1, 2, 3]
    assert stopped.history["time"].shape == (3,)

    def interrupt(it):
        if it.nit == 3:
            raise KeyboardInterrupt

    with pytest.warns(RuntimeWarning, match="interrupted after 3"):
        cut = run(callback=interrupt)
    assert cut.status == 3 and not cut.success and cut.nit == 3
    np.testing.assert_array_equal(cut.x, stopped.x)      # the state after the third step


def test_interrupt_inside_a_step_keeps_the_finished_steps(monkeypatch):
    from pdeopt.hj import schemes

    reference = solve_hj(F, X, 0.5, callback=lambda it: it.nit == 2)
    real, calls = schemes.stencil, []

    def stencil(*args):
        kernel = real(*args)

        def step(*a, **kw):
            calls.append(1)
            if len(calls) == 3:             # Ctrl-C during the third step
                raise KeyboardInterrupt
            return kernel(*a, **kw)
        return step

    monkeypatch.setattr(schemes, "stencil", stencil)
    with pytest.warns(RuntimeWarning, match="after 2 finished"):
        cut = solve_hj(F, X, 0.5)
    assert cut.status == 3 and cut.nit == 2 and cut.history["dt"].shape == (2,)
    np.testing.assert_array_equal(cut.x, reference.x)


def test_solver_time_zero_and_step_budget():
    res = solve_hj(F, X, 0.0)
    assert res.nit == 0 and res.status == 1
    np.testing.assert_array_equal(res.x, F)
    with pytest.raises(ValueError, match="max_iter=5"):
        solve_hj(F, X, 1.0, max_iter=5)
    with pytest.raises(ValueError, match="max_iter"):
        solve_viscous_hj(F, X, 1e6)
    with pytest.raises(TypeError, match="max_iter"):
        solve_hj(F, X, 1.0, max_iter=2.5)


def test_divergence_names_the_solver_and_keeps_the_history(monkeypatch):
    from pdeopt.hj import schemes

    monkeypatch.setattr(schemes, "stencil",
                        lambda *a: lambda u, *args, out=None: np.full_like(u, np.nan))
    with pytest.raises(DivergenceError, match=r"solve_hj diverged at iteration 64") as err:
        solve_hj(F, X, 1.0)
    assert err.value.result.status == 5 and err.value.result.nit == 63
    assert err.value.result.history["dt"].shape == (63,)


# ------------------------------------------------------------------ proximal point


def test_proximal_point_runs_its_budget_without_claiming_convergence():
    # prox of t|·| is soft-thresholding: from 2 with unit steps, 1, 0, 0, ...
    x = np.linspace(-3, 3, 601)
    res = proximal_point(np.abs(x), 2.0, proximal_step_sizes(5), grid=x)
    assert res.nit == 5 and res.status == 1 and not res.converged and res.success
    np.testing.assert_allclose(res.history["moved"][1:], [1, 1, 0, 0, 0], atol=1e-12)
    done = proximal_point(np.abs(x), 2.0, proximal_step_sizes(5), grid=x, tol=1e-12)
    assert done.converged and done.nit == 3 and done.x == 0.0     # |x₃ − x₂| = 0 ≤ tol
    with pytest.warns(ConvergenceWarning):
        missed = proximal_point(np.abs(x), 2.0, proximal_step_sizes(2), grid=x, tol=1e-12)
    assert missed.status == 2 and not missed.success and missed.nit == 2
    short = proximal_point(np.abs(x), 2.0, proximal_step_sizes(5), grid=x, max_iter=1)
    assert short.nit == 1 and short.x == pytest.approx(soft_threshold(2.0, 1.0))
    long = proximal_point(np.abs(x), 2.0, proximal_step_sizes(2), grid=x, max_iter=9)
    assert long.nit == 2                       # the schedule ends the run first


def test_proximal_point_callback_interrupt_and_divergence():
    def prox(z, dt):
        return z / (1 + dt)                        # prox of z²/2

    res = proximal_point(lambda z: 0.5 * z**2, 3.0, np.ones(10), prox=prox,
                         callback=lambda it: it.nit == 4)
    assert res.status == 4 and res.nit == 4 and res.x == pytest.approx(3.0 / 2**4)

    def interrupt(it):
        if it.nit == 2:
            raise KeyboardInterrupt

    with pytest.warns(RuntimeWarning):
        cut = proximal_point(lambda z: 0.5 * z**2, 3.0, np.ones(10), prox=prox,
                             callback=interrupt)
    assert cut.status == 3 and cut.nit == 2 and cut.history["f"].shape == (3,)

    def bad_prox(z, dt):
        return np.nan if abs(z) < 1 else z / (1 + dt)

    with pytest.raises(DivergenceError, match=r"proximal_point diverged at iteration 3") as err:
        proximal_point(lambda z: 0.5 * z**2, 3.0, np.ones(10), prox=bad_prox)
    assert err.value.result.nit == 2 and err.value.result.status == 5


def test_proximal_step_sizes():
    np.testing.assert_array_equal(proximal_step_sizes(3, 2.0, 0.5), [2.0, 1.0, 0.5])
    with pytest.raises(ValueError, match="growth"):
        proximal_step_sizes(400, 1.0, 1e3)           # 1e3^399 overflows
    with pytest.raises(ValueError, match="growth"):
        proximal_step_sizes(400, 1.0, 1e-3)          # underflows to 0


# ------------------------------------------------------------------ HJ-prox and characteristics


def test_hj_prox_is_stable_for_extreme_weights():
    # δ = 1e-300: (f − min f)/δ overflows for every sample but the best, whose weight is 1;
    # the estimate is that sample (computed here from the same draws).
    n, t, delta = 50, 1.0, 1e-300
    y = hj_prox(lambda s: 1e300 * s[:, 0] ** 2, 0.0, t, delta=delta, n_samples=n, rng=3)
    z = np.sqrt(delta * t) * np.random.default_rng(3).standard_normal((n, 1))
    assert y == z[np.argmin(np.abs(z[:, 0])), 0]
    rng = np.random.default_rng(0)
    assert np.isfinite(hj_prox(lambda s: s[:, 0] ** 2, 1.0, 1.0, rng=rng))


def test_burgers_characteristics_newton_budget():
    x = np.linspace(-2, 2, 9)
    with pytest.warns(ConvergenceWarning, match="max_iter=1"):
        burgers_characteristics(lambda z: -np.sin(z), lambda z: -np.cos(z), x, 0.9,
                                max_iter=1, n_seed=2)     # a poor start, one Newton step
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        w = burgers_characteristics(lambda z: -np.sin(z), lambda z: -np.cos(z), x, 0.5)
    # w = f'(x − t w) is the fixed point the method solves for
    np.testing.assert_allclose(w, -np.sin(x - 0.5 * w), atol=1e-12)


# ------------------------------------------------------------------ bad input

def _quad(y):
    return np.sum(y**2, axis=1)


BAD = [
    (solve_hj, (F, X, -1.0), {}, ValueError, "t must be >= 0"),
    (solve_hj, (F, X, np.nan), {}, ValueError, "t must be finite"),
    (solve_hj, (F, X, "1"), {}, TypeError, "t must be"),
    (solve_hj, (F, X, 1.0), {"dt": -1e-3}, ValueError, "dt must be > 0"),
    (solve_hj, (F, X, 1.0), {"dt": 1.0}, ValueError, "stable step"),
    (solve_hj, (F, X, 1.0), {"cfl": 1.5}, ValueError, "cfl"),
    (solve_hj, (F, X, 1.0), {"scheme": None}, TypeError, "scheme"),
    (solve_hj, (F, X, 1.0), {"scheme": "upwind"}, ValueError, "scheme"),
    (solve_hj, (F, X, 1.0), {"backend": ["numpy"]}, TypeError, "backend"),
    (solve_hj, (F, X, 1.0), {"callback": "print"}, TypeError, "callback"),
    (solve_hj, (np.where(X > 0, np.nan, F), X, 1.0), {}, ValueError, "f contains"),
    (solve_hj, (F[:-1], X, 1.0), {}, ValueError, "f must have shape"),
    (solve_hj, (F, X**3, 1.0), {}, ValueError, "x must be uniformly"),
    (solve_hj, (F, None, 1.0), {}, TypeError, "x must be"),
    (solve_hj, (1.0, 1.0, 1.0), {}, ValueError, "x must have"),
    (solve_hj, (1e300 * X, X, 1.0), {}, ValueError, "max_iter"),
    (solve_hj, (np.array([-1e308, 1e308, 1e308]), np.arange(3.0), 1.0), {}, ValueError,
     "f varies too fast"),
    (solve_viscous_hj, (F, X, 1.0, 0.0), {}, ValueError, "viscosity"),
    (solve_viscous_hj, (F, X, 1.0, -1.0), {}, ValueError, "viscosity"),
    (solve_viscous_hj, (F, X, 1.0), {"method": "implicit"}, ValueError, "method"),
    (solve_viscous_hj, (F, X, 1.0), {"dt": 0.5}, ValueError, "stable step"),
    (solve_viscous_hj, (1e200 * X, X, 1.0), {}, ValueError, "max_iter"),
    (solve_burgers, (F[:-1], X, 1.0), {}, ValueError, "w0 must have shape"),
    (solve_burgers, (np.full(X.size, 1e308), X, 1.0), {}, ValueError, "w0"),
    (solve_burgers, (F, X, 1.0), {"callback": 3}, TypeError, "callback"),
    (burgers_characteristics, (None, np.cos, X, 0.1), {}, TypeError, "fprime"),
    (burgers_characteristics, (np.sin, "cos", X, 0.1), {}, TypeError, "fsecond"),
    (burgers_characteristics, (lambda z: z[:1], np.cos, X, 0.1), {}, ValueError, "fprime"),
    (burgers_characteristics, (lambda z: z * np.nan, np.cos, X, 0.1), {}, ValueError,
     "fprime"),
    (burgers_characteristics, (np.sin, np.cos, X, -0.1), {}, ValueError, "t must be >= 0"),
    (burgers_characteristics, (np.sin, np.cos, [], 0.1), {}, ValueError, "x must not be"),
    (burgers_characteristics, (np.sin, np.cos, X, 0.1), {"max_iter": 0}, ValueError,
     "max_iter"),
    (burgers_characteristics, (np.sin, np.cos, X, 0.1), {"n_seed": 1.5}, TypeError, "n_seed"),
    (hopf_lax, (F, X, -1.0), {}, ValueError, "t must be >= 0"),
    (hopf_lax, (F, X, 1.0), {"backend": "fortran"}, ValueError, "backend"),
    (moreau_envelope, (F, X, 0.0), {}, ValueError, "lam"),
    (moreau_envelope, (F, X, 1.0), {"return_prox": "yes"}, TypeError, "return_prox"),
    (local_entropy, (F, X, 0.0), {}, ValueError, "gamma"),
    (local_entropy, (F, X, 1.0), {"grad": None}, TypeError, "grad"),
    (local_entropy, (F, X, 1.0), {"points": [[np.nan]]}, ValueError, "points"),
    (local_entropy, (F, X, 1e-3), {"points": [1e300]}, ValueError, "overflows"),
    (solve_burgers, (np.outer(F, F), (X, X), 1.0), {}, ValueError, "x must be one axis"),
    (proximal_point, (np.abs, 0.0, [1.0]), {"prox": lambda z, dt: "a"}, TypeError,
     r"prox\(x, dt\)"),
    (proximal_point, (F, 0.0, 2.5), {"grid": X}, ValueError, "step_sizes must have 1"),
    (proximal_point, (F, 0.0, []), {"grid": X}, ValueError, "step_sizes must not be"),
    (proximal_point, (F, 0.0, [1.0, 0.0]), {"grid": X}, ValueError, "step_sizes"),
    (proximal_point, (F, 0.0, [1.0, np.inf]), {"grid": X}, ValueError, "step_sizes"),
    (proximal_point, (F, 9.0, [1.0]), {"grid": X}, ValueError, "x0 must lie inside"),
    (proximal_point, (F, [0.0, 0.0], [1.0]), {"grid": X}, ValueError, "x0 must have 1"),
    (proximal_point, (F, 0.0, [1.0]), {"grid": X, "prox": np.abs}, ValueError, "grid"),
    (proximal_point, (F, 0.0, [1.0]), {"grid": X, "max_iter": 0}, ValueError, "max_iter"),
    (proximal_point, (F, 0.0, [1.0]), {"grid": X, "tol": -1.0}, ValueError, "tol"),
    (proximal_point, (F, 0.0, [1.0]), {"grid": X, "keep_path": 1}, TypeError, "keep_path"),
    (proximal_point, (F, 0.0, [1.0]), {}, TypeError, "f must be callable"),
    (proximal_point, (np.abs, np.nan, [1.0]), {}, ValueError, "x0"),
    (proximal_point, (np.abs, 0.0, [1.0]), {"prox": "soft"}, TypeError, "prox"),
    (proximal_point, (np.abs, 0.0, [1.0]), {"grad": 1.0}, TypeError, "grad"),
    (proximal_point, (lambda z: np.nan, 0.0, [1.0]), {}, ValueError, "f must be finite"),
    (proximal_point, (np.abs, 0.0, [1.0]), {"callback": 1}, TypeError, "callback"),
    (proximal_step_sizes, (0,), {}, ValueError, "n_steps"),
    (proximal_step_sizes, (2.5,), {}, TypeError, "n_steps"),
    (proximal_step_sizes, (True,), {}, TypeError, "n_steps"),
    (proximal_step_sizes, (3, -1.0), {}, ValueError, "step_size"),
    (proximal_step_sizes, (3, 1.0, 0.0), {}, ValueError, "growth"),
    (hj_prox, ("f", 0.0, 1.0), {}, TypeError, "f must be callable"),
    (hj_prox, (_quad, np.nan, 1.0), {}, ValueError, "x contains"),
    (hj_prox, (_quad, 0.0, 0.0), {}, ValueError, "t must be > 0"),
    (hj_prox, (_quad, 0.0, 1.0), {"delta": -1.0}, ValueError, "delta"),
    (hj_prox, (_quad, 0.0, 1.0), {"n_samples": 0}, ValueError, "n_samples"),
    (hj_prox, (_quad, 0.0, 1.0), {"n_samples": 10.0}, TypeError, "n_samples"),
    (hj_prox, (_quad, 0.0, 1.0), {"rng": "seed"}, TypeError, "rng"),
    (hj_prox, (_quad, 0.0, 1e300), {"delta": 1e300}, ValueError, "delta"),
    (hj_prox, (lambda y: np.full(len(y), np.inf), 0.0, 1.0), {}, ValueError, r"\+inf"),
    (hj_prox, (lambda y: y.astype(str)[:, 0], 0.0, 1.0), {}, ValueError, "real numbers"),
]


@pytest.mark.parametrize("fn,args,kwargs,error,match", BAD,
                         ids=[f"{b[0].__name__}-{i}" for i, b in enumerate(BAD)])
def test_bad_input_is_refused_naming_the_argument(fn, args, kwargs, error, match):
    with pytest.raises(error, match=match):
        fn(*args, **kwargs)
