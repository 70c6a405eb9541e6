"""Proximal point = backward Euler on gradient flow: energy inequality and |∇f| = O(t^{−1/2}).

x_{k+1} = argmin_y f(y) + |y − x_k|²/(2Δt_k) (Osher 2018, Deep Relaxation, "Proximal
method") satisfies, for any f,

    f(x_{k+1}) + |x_{k+1} − x_k|²/(2Δt_k) = u(x_k, Δt_k) ≤ f(x_k),        (energy)

because y = x_k is a candidate. Writing g_k = |x_k − x_{k−1}|/Δt_k (= |∇f(x_k)| by
the optimality condition x_k = x_{k−1} − Δt_k∇f(x_k)) and summing,
Σ_{j≤n} (Δt_j/2) g_j² ≤ f(x_0) − f(x_n) ≤ f(x_0) − min f, hence

    min_{j≤n} g_j ≤ C·t(n)^{−1/2},   C = √(2(f(x_0) − min f)),  t(n) = Σ_{j≤n} Δt_j,

the seed's |∇f(x_n)| = O(t(n)^{−1/2}). Both are checked on a nonconvex 1-D grid
function (exact proximal steps by ``hopf_lax``: the inequalities hold to rounding,
tolerance 1e-12) from several starts, and on a nonconvex 2-D function with the
inner L-BFGS solver, where the gradient is the true ∇f: the inner solve stops
at a projected gradient of 1e-5 (SciPy's default), so the optimality identity
and the bound hold to ~1e-5; the tolerance is 1e-4. The step schedule grows
geometrically ("small Δt_k early, large later").
"""
import numpy as np

from pdeopt.hj import proximal_point, proximal_step_sizes

from ._harness import validation
from ._hj_common import multiwell


def coupled(z):
    return float(np.sum(multiwell(z)) + 0.3 * z[0] * z[1])


def coupled_grad(z):
    g = 0.5 * z - 3.0 * np.sin(2 * z)
    return g + 0.3 * z[::-1]


@validation("prox-point",
            source="Osher 2018, Deep Relaxation: proximal method = backward Euler, "
                   "energy inequality, |∇f(x_n)| = O(t(n)^(-1/2))",
            description="proximal point on nonconvex 1-D (exact grid prox) and 2-D (inner "
                        "solver) functions: energy inequality at every step and the "
                        "C·t(n)^(-1/2) gradient bound.")
def prox_point(ctx):
    import matplotlib.pyplot as plt

    # 1-D grid function, exact prox steps.
    x = np.linspace(-6, 6, ctx.pick(quick=2001, default=8001))
    f = multiwell(x)
    steps = proximal_step_sizes(ctx.pick(quick=20, default=30), 0.02, 1.3)
    starts = ctx.rng.uniform(-5.5, 5.5, size=ctx.pick(quick=4, default=10))
    worst_energy, worst_ratio, runs = -np.inf, 0.0, []
    for x0 in starts:
        res = proximal_point(f, x0, steps, grid=x, keep_path=True)
        fk, env = res.history["f"], res.history["envelope"]
        worst_energy = max(worst_energy, np.max(env[1:] - fk[:-1]))
        g, t = res.history["grad_norm"][1:], res.history["time"][1:]
        bound = np.sqrt(2 * (fk[0] - f.min()) / t)
        worst_ratio = max(worst_ratio, np.max(np.minimum.accumulate(g) / bound))
        runs.append(res)
    ctx.check("1-D: max_k f(x_{k+1}) + |Δx|²/(2Δt) − f(x_k)", worst_energy, 0.0,
              comparison="le", tol=1e-12, note=f"{len(starts)} starts")
    ctx.check("1-D: max_n min_{j≤n} g_j / (C t(n)^(-1/2))", worst_ratio, 1.0,
              comparison="le", tol=1e-12)

    # 2-D callable, inner L-BFGS solver; the gradient is the true ∇f.
    grid = np.linspace(-6, 6, 1201)
    zz = np.stack(np.meshgrid(grid, grid, indexing="ij"))
    f_min = float(np.min(multiwell(zz[0]) + multiwell(zz[1]) + 0.3 * zz[0] * zz[1]))
    steps2 = proximal_step_sizes(ctx.pick(quick=15, default=25), 0.02, 1.3)
    worst2, ratio2, runs2 = -np.inf, 0.0, []
    for x0 in ctx.rng.uniform(-5, 5, size=(ctx.pick(quick=3, default=8), 2)):
        res = proximal_point(coupled, x0, steps2, grad=coupled_grad, keep_path=True)
        fk, env = res.history["f"], res.history["envelope"]
        worst2 = max(worst2, np.max(env[1:] - fk[:-1]))
        t = res.history["time"][1:]
        grads = np.array([np.linalg.norm(coupled_grad(p)) for p in res.info["path"][1:]])
        bound = np.sqrt(2 * (fk[0] - f_min) / t)
        ratio2 = max(ratio2, np.max(np.minimum.accumulate(grads) / bound))
        runs2.append((res, grads, bound))
    ctx.check("2-D: max_k energy-inequality excess", worst2, 0.0, comparison="le", tol=1e-12)
    ctx.check("2-D: max_n min_{j≤n} |∇f(x_j)| / (C t(n)^(-1/2))", ratio2, 1.0, comparison="le",
              tol=1e-4)

    fig, (ax_f, ax_e, ax_g) = plt.subplots(1, 3, figsize=(15, 4))
    ax_f.plot(x, f, "k", lw=1)
    for res in runs[:4]:
        xs = res.info["path"][:, 0]
        ax_f.plot(xs, multiwell(xs), "o-", ms=3, lw=0.8)
    ax_f.set(xlabel="x", title="1-D proximal point paths (exact grid prox)")
    for res in runs:
        fk, env = res.history["f"], res.history["envelope"]
        margin = fk[:-1] - env[1:]
        k = np.nonzero(margin > 0)[0]
        ax_e.semilogy(k + 1, margin[k], ".-", lw=0.7)
    ax_e.set(xlabel="step k", ylabel="f(x_k) − f(x_{k+1}) − |Δx|²/(2Δt_k)",
             title="energy inequality margin (≥ 0 at every step)")
    for res, grads, bound in runs2:
        t = res.history["time"][1:]
        ax_g.loglog(t, np.maximum(grads, 1e-16), ".-", lw=0.7)
    res, grads, bound = runs2[0]
    t = res.history["time"][1:]
    ax_g.loglog(t, bound, "k--", label="C·t(n)^(-1/2) of the first run")
    ax_g.set(xlabel="t(n) = Σ Δt_j", ylabel="|∇f(x_n)|", title="2-D: gradient vs the bound",
             ylim=(1e-8, None))
    ax_g.legend(fontsize=8)
    ctx.save_figure(fig)
