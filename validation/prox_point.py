"""Proximal point = backward Euler on gradient flow: energy inequality, |∇f| = O(t^{−1/2}).

x_{k+1} = argmin_y f(y) + |y − x_k|²/(2Δt_k) (Osher 2018, Deep Relaxation, "Proximal
method"). Here every step is a continuous proximal step (no grid that contains
y = x_k): ``exact_prox`` finds every stationary point of the proximal objective
(the roots of y + Δt f′(y) = x_k, bracketed on a fine sweep and polished by
Brent's method to 1e-14) and keeps the one of least objective: the global minimiser,
to solver precision. Three claims, each against its statement:

* energy inequality f(x_{k+1}) + |x_{k+1} − x_k|²/(2Δt_k) ≤ f(x_k), on the nonconvex
  f = x²/4 + 1.5 cos 2x from several starts, steps growing geometrically ("small Δt_k
  early, large later"); tolerance: rounding (1e-12 · max|f|);
* the gradient bound min_{j≤n} |∇f(x_j)| ≤ C·t(n)^{−1/2} with the theorem's constant
  C = √(2(f(x_0) − min f)) (from Σ Δt_j|∇f(x_j)|²/2 ≤ f(x_0) − min f), measured
  with the true ∇f (not the step's |Δx|/Δt); in 2-D with the inner L-BFGS solver,
  whose stopping test (projected gradient ≤ 1e-5) bounds how far the true gradient
  can exceed the bound: tolerance 1e-4 on the ratio;
* backward Euler: the library's inner-solver step (L-BFGS on the proximal objective,
  not on the Euler equation) satisfies x_{k+1} = x_k − Δt∇f(x_{k+1}) to its stopping
  tests, |x_{k+1} − x_k + Δt∇f(x_{k+1})| = Δt·|∇φ(x_{k+1})| ≲ Δt·1e-4 (L-BFGS-B stops
  on a projected gradient ≤ 1e-5 or on a relative decrease ≤ 2.2e-9, which leaves
  |∇φ| of the order 1e-5: tolerance 1e-4, as for the 2-D gradient bound); and proximal
  steps of size h = T/n converge to the exact gradient flow of f = log cosh x,
  x(t) = asinh(sinh(x₀)e^{−t}), at first order with the leading error constant
  E(T) of backward Euler: e(h) = h·E(T)(1 + O(h)), where E′ = −f″(x(t))E + ½x″(t),
  E(0) = 0 (solved independently by ``solve_ivp``); tolerance 5 % at h = T/320, and
  the relative remainder must shrink when h halves (factor ≤ 0.6: O(h) plus O(h²)).
"""
import numpy as np
import scipy.integrate
import scipy.optimize

from pdeopt.hj import proximal_point, proximal_step_sizes

from . import _style
from ._harness import validation
from ._hj_common import multiwell


def multiwell_grad(x):
    return 0.5 * x - 3.0 * np.sin(2 * x)


def exact_prox(f, grad, x, dt, *, reach=12.0, n_sweep=4001):
    """Global minimiser of f(y) + (y − x)²/(2dt) in 1-D (all stationary points compared)."""
    y = np.linspace(x - reach, x + reach, n_sweep)
    g = y - x + dt * grad(y)                     # the optimality condition, dt·φ′(y)
    roots = [scipy.optimize.brentq(lambda z: z - x + dt * grad(z), y[i], y[i + 1],
                                   xtol=1e-14, rtol=1e-15)
             for i in np.nonzero(np.sign(g[:-1]) != np.sign(g[1:]))[0]]
    roots = np.array(roots)
    return float(roots[np.argmin(f(roots) + (roots - x) ** 2 / (2 * dt))])


def coupled(z):
    return float(np.sum(multiwell(z)) + 0.3 * z[0] * z[1])


def coupled_grad(z):
    return multiwell_grad(z) + 0.3 * z[::-1]


def flow_logcosh(x0, t):
    """Exact gradient flow x′ = −tanh x: sinh x(t) = sinh(x₀) e^{−t}."""
    return np.arcsinh(np.sinh(x0) * np.exp(-t))


def euler_error_constant(x0, t_end):
    """E(T) of backward Euler on x′ = −tanh x: E′ = −sech²(x)E + ½x″, E(0) = 0."""
    def rhs(t, e):
        x = flow_logcosh(x0, t)
        xpp = np.tanh(x) / np.cosh(x) ** 2      # x″ = −sech²(x)·x′ = sech²x·tanh x
        return -e / np.cosh(x) ** 2 + 0.5 * xpp
    sol = scipy.integrate.solve_ivp(rhs, (0.0, t_end), [0.0], rtol=1e-12, atol=1e-14)
    return float(sol.y[0, -1])


@validation("prox-point",
            source="Osher 2018, Deep Relaxation: proximal method = backward Euler, "
                   "energy inequality, |∇f(x_n)| = O(t(n)^(-1/2))",
            description="continuous proximal steps on a nonconvex f: energy inequality, "
                        "the C·t(n)^(-1/2) gradient bound with the theorem's C, the backward "
                        "Euler identity and first-order convergence to the gradient flow.")
def prox_point(ctx):
    import matplotlib.pyplot as plt

    # 1. Energy inequality and gradient bound, 1-D, exact continuous prox.
    f_min = float(np.min(multiwell(np.linspace(-6, 6, 200001))))
    steps = proximal_step_sizes(ctx.pick(quick=25, default=30), 0.02, 1.3)
    starts = ctx.rng.uniform(-5.5, 5.5, size=ctx.pick(quick=3, default=8))
    worst_energy, worst_ratio, runs = -np.inf, 0.0, []
    for x0 in starts:
        res = proximal_point(multiwell, float(x0), steps, keep_path=True,
                             prox=lambda z, dt: exact_prox(multiwell, multiwell_grad, z, dt))
        fk, env = res.history["f"], res.history["envelope"]
        worst_energy = max(worst_energy, np.max(env[1:] - fk[:-1]))
        grads = np.abs(multiwell_grad(res.info["path"][1:, 0]))
        bound = np.sqrt(2 * (fk[0] - f_min) / res.history["time"][1:])
        worst_ratio = max(worst_ratio, np.max(np.minimum.accumulate(grads) / bound))
        runs.append((res, grads, bound))
    ctx.check("1-D: max_k f(x_{k+1}) + |Δx|²/(2Δt) − f(x_k)", worst_energy, 0.0,
              comparison="le", tol=1e-12 * 2.0, claim="osher2018/prox-energy-inequality",
              headline=True, note=f"{len(starts)} starts; tolerance: rounding")
    ctx.check("1-D: max_n min_{j≤n} |f'(x_j)| / (C t(n)^(-1/2))", worst_ratio, 1.0,
              comparison="le", tol=1e-12, claim="osher2018/prox-gradient-rate",
              headline=True, note="C = sqrt(2(f(x_0) - min f)), the theorem's constant")

    # 2. The gradient bound in 2-D with the inner L-BFGS solver (true gradient).
    grid = np.linspace(-6, 6, 1201)
    zz = np.stack(np.meshgrid(grid, grid, indexing="ij"))
    f_min2 = float(np.min(multiwell(zz[0]) + multiwell(zz[1]) + 0.3 * zz[0] * zz[1]))
    steps2 = proximal_step_sizes(ctx.pick(quick=15, default=25), 0.02, 1.3)
    ratio2, resid = 0.0, 0.0
    for x0 in ctx.rng.uniform(-5, 5, size=(ctx.pick(quick=3, default=8), 2)):
        res = proximal_point(coupled, x0, steps2, grad=coupled_grad, keep_path=True)
        path, dts = res.info["path"], res.history["step"][1:]
        grads = np.linalg.norm([coupled_grad(p) for p in path[1:]], axis=1)
        bound = np.sqrt(2 * (res.history["f"][0] - f_min2) / res.history["time"][1:])
        ratio2 = max(ratio2, np.max(np.minimum.accumulate(grads) / bound))
        euler = path[1:] - path[:-1] + dts[:, None] * np.array([coupled_grad(p)
                                                               for p in path[1:]])
        resid = max(resid, np.max(np.linalg.norm(euler, axis=1) / dts))
    ctx.check("2-D: max_n min_{j≤n} |∇f(x_j)| / (C t(n)^(-1/2))", ratio2, 1.0, comparison="le",
              tol=1e-4, claim="osher2018/prox-gradient-rate",
              note="inner L-BFGS stops at projected gradient 1e-5")
    ctx.check("2-D: max_k |x_{k+1} − x_k + Δt ∇f(x_{k+1})| / Δt (L-BFGS on the prox objective)",
              resid, 0.0, comparison="le", tol=1e-4, claim="osher2018/prox-backward-euler",
              note="tolerance: the inner solver's stopping tests (|∇φ| ~ 1e-5)")

    # 3. Backward Euler convergence to the exact gradient flow of log cosh.
    x0, t_end = 2.0, 2.0
    exact_end = flow_logcosh(x0, t_end)
    e_const = euler_error_constant(x0, t_end)
    ns = np.array(ctx.pick(quick=[20, 40, 80, 160, 320], default=[20, 40, 80, 160, 320, 640]))
    errors = []
    for n in ns:
        h = t_end / n
        res = proximal_point(lambda z: np.log(np.cosh(z)), x0, np.full(n, h),
                             prox=lambda z, dt: scipy.optimize.brentq(
                                 lambda y: y - z + dt * np.tanh(y), z - dt, z, xtol=1e-15,
                                 rtol=1e-15))
        errors.append(res.x - exact_end)
    errors = np.array(errors)
    hs = t_end / ns
    rel = errors / (hs * e_const) - 1.0
    i320 = int(np.nonzero(ns == 320)[0][0])
    ctx.check("backward Euler error / (h E(T)) at h = T/320", errors[i320] / (hs[i320] * e_const),
              1.0, tol=0.05, comparison="abs", claim="osher2018/prox-backward-euler",
              headline=True, note=f"E(T) = {e_const:.5g} from the variational equation")
    ctx.check("relative remainder shrinks like h (last halving)", abs(rel[-1]) / abs(rel[-2]),
              0.6, comparison="le", claim="osher2018/prox-backward-euler",
              note=f"remainders {rel[-2]:.3g} -> {rel[-1]:.3g}")

    # Three starts keep the panels readable: the leftmost, a middle and the rightmost one.
    order = np.argsort(starts)
    shown = [runs[i] for i in dict.fromkeys([order[0], order[len(order) // 2], order[-1]])]
    colors = _style.sequence(len(shown))
    with _style.context():
        fig, (ax_f, ax_g, ax_c) = plt.subplots(1, 3, figsize=(17, 5))
        x = np.linspace(-6, 6, 1001)
        ax_f.plot(x, multiwell(x), color=_style.EXACT, lw=1, label="f(x) = x²/4 + 1.5 cos 2x")
        for col, (res, _, _) in zip(colors, shown):
            xs = res.info["path"][:, 0]
            ax_f.plot(xs, multiwell(xs), "o-", ms=3.5, lw=0.8, color=col,
                      label=f"proximal iterates from x₀ = {xs[0]:.2f}")
            ax_f.plot(xs[:1], multiwell(xs[:1]), "s", ms=8, mfc="none", mew=1.5, color=col)
        ax_f.plot([], [], "s", ms=8, mfc="none", mew=1.5, color="0.3", label="start x₀")
        ax_f.set(xlabel="x (dimensionless)", ylabel="f(x) (dimensionless)",
                 title="energy inequality: f(x_k) decreases at every step")
        ax_f.legend(loc="upper center", fontsize=8)

        # Dividing by each run's C puts every run under the same bound t^(-1/2).
        t_all = np.concatenate([res.history["time"][1:] for res, _, _ in shown])
        for mark, col, (res, grads, bound) in zip("os^", colors, shown):
            t = res.history["time"][1:]
            c_run = bound[0] * np.sqrt(t[0])
            ax_g.loglog(t, np.maximum(np.minimum.accumulate(grads), 1e-16) / c_run, "-",
                        marker=mark, mfc="none", ms=5, lw=0.8, color=col,
                        label=f"min_(j≤n) |f′(x_j)| / C, x₀ = {res.info['path'][0, 0]:.2f}")
        tb = np.geomspace(t_all.min(), t_all.max(), 50)
        ax_g.loglog(tb, tb ** -0.5, color=_style.THEORY, ls="--", lw=1.5,
                    label="theorem: t(n)^(−1/2),  C = √(2(f(x₀) − min f))")
        _style.slope_label(ax_g, tb, tb ** -0.5, "slope −1/2", where=0.7, side="above")
        ax_g.set(xlabel="time t(n) = Σ_(j≤n) Δt_j (dimensionless)",
                 ylabel="smallest gradient so far / C (dimensionless)", ylim=(1e-12, 10),
                 title="|∇f| stays below the bound C·t(n)^(−1/2)")
        ax_g.legend(loc="lower left", fontsize=8)

        ax_c.semilogx(hs, np.abs(errors) / hs, "o-", color=_style.BLUE, zorder=3,
                      label="proximal point (backward Euler): |x_n − x(T)| / h")
        ax_c.axhline(abs(e_const), color=_style.THEORY, ls="--", lw=1.5,
                     label=f"limit |E(T)| = {abs(e_const):.4f} (variational equation;\n"
                           "checked within 5 % at h = T/320)")
        ax_c.set(xlabel="step h = T/n (dimensionless time)",
                 ylabel="error at T = 2 divided by h (dimensionless)",
                 title="f = log cosh x: error / h → |E(T)| as h → 0 (first order)")
        _style.plain_log_ticks(ax_c, "x")
        lo, hi = np.min(np.abs(errors) / hs), abs(e_const)
        ax_c.set_ylim(lo - 0.6 * (hi - lo), hi + 0.15 * (hi - lo))
        ax_c.legend(loc="lower left", fontsize=8)
        _style.claim(fig, "Proximal point = backward Euler on the gradient flow: f decreases, "
                          "|∇f| ≤ C·t^(−1/2), and the error is first order in h")
        ctx.save_figure(fig)
