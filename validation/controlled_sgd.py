"""Controlled SGD: the forward–backward equations and the expected-improvement theorem.

In 1-D, with f a tilted double well, terminal loss V = f, β = 2 (unit noise) and
an initial density ρ₀ in the shallow well, ``pdeopt.sde.controlled_sgd`` solves
the HJB equation backward (Cole–Hopf, upwind generator, implicit Euler) and the
Fokker–Planck equations of SGD and of controlled SGD forward; the figure is the
seed's: initial density, final density of SGD, final density of controlled SGD.

Theorem 7 of the seed: E V(x_csgd(T)) ≤ E V(x_sgd(T)) − ½E∫|α|², with equality
E V(x_csgd(T)) + ½E∫|α|² = ∫u(·, 0)ρ₀ (dynamic programming). Checked

* by PDE: the improvement E V(sgd) − E V(csgd) − ½E∫|α|² is ≥ 0, and the
  dynamic-programming identity holds up to the discretization error, which
  shrinks at first order (its residual at least nearly halves when the grid and
  time step halve);
* by Monte Carlo: Euler–Maruyama paths of SGD and controlled SGD (same noise)
  give E V(sgd), E V(csgd), ½E∫|α|² and the improvement, which agree with the PDE
  within 4 standard errors plus the PDE's discretization error (estimated as the
  change between the two resolutions; Euler–Maruyama's O(Δt) error is of the same
  order at the same Δt); and the Monte Carlo improvement is positive beyond 4 SE.
"""
import numpy as np

from pdeopt.sde import controlled_sgd, controlled_sgd_paths

from . import _style
from ._harness import validation
from ._sde_common import f, grad_f


@validation("controlled-sgd",
            source="Oberman 2017, forward–backward equations, Figure 1 and Theorem 7",
            description="controlled SGD by HJB/Fokker–Planck and by Monte Carlo: expected "
                        "improvement over SGD by at least ½E∫|α|², PDE and paths agreeing.")
def controlled_sgd_validation(ctx):
    import matplotlib.pyplot as plt

    horizon = 2.0
    n_grid, n_steps = ctx.pick(quick=(301, 200), default=(601, 400))
    n_paths = ctx.pick(quick=5000, default=20000)

    def solve(n, m):
        x = np.linspace(-3.0, 3.0, n)
        rho0 = np.exp(-(x - 1.0) ** 2 / (2 * 0.3 ** 2))
        return controlled_sgd(grad_f, f, x, rho0, t=horizon, n_steps=m, beta=2.0)

    run = solve(n_grid, n_steps)
    fine, coarse = run.info, solve((n_grid + 1) // 2, n_steps // 2).info  # E V, costs, value

    def residual(s):
        return abs(s["expected_V_csgd"] + s["control_cost"] - s["value"])

    ctx.check("PDE: E V(sgd) - E V(csgd) - ½E∫α² >= 0", fine["improvement"], 0.0,
              comparison="ge",
              note=f"E V(sgd)={fine['expected_V_sgd']:.4g}, "
                   f"E V(csgd)={fine['expected_V_csgd']:.4g}, "
                   f"½E∫α²={fine['control_cost']:.4g}", claim="oberman2017/theorem7")
    ctx.check("PDE: DP identity residual |E V(csgd)+½E∫α² - ∫u0 ρ0|", residual(fine),
              0.0, tol=0.6 * residual(coarse), comparison="le",
              note=f"coarse grid: {residual(coarse):.3g} (first order: halves)",
              claim="oberman2017/theorem7")

    mc = controlled_sgd_paths(run, f, n_paths=n_paths, rng=ctx.rng)
    pde = {"V_sgd": (fine["expected_V_sgd"], coarse["expected_V_sgd"]),
           "V_csgd": (fine["expected_V_csgd"], coarse["expected_V_csgd"]),
           "control_cost": (fine["control_cost"], coarse["control_cost"]),
           "improvement": (fine["improvement"], coarse["improvement"])}
    for key, (value, value_coarse) in pde.items():
        mean, se = mc.info[key]
        ctx.check(f"Monte Carlo vs PDE: {key}", mean, value,
                  tol=4 * se + abs(value - value_coarse), comparison="abs",
                  note=f"SE {se:.2g}, discretization {abs(value - value_coarse):.2g}",
                  claim="oberman2017/fig1-forward-backward")
    mean, se = mc.info["improvement"]
    ctx.check("Monte Carlo: improvement - 4 SE > 0", mean - 4 * se, 0.0, comparison="ge")

    with _style.context():
        from matplotlib.patches import Patch

        fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(14, 5.2))
        c_sgd, c_csgd = _style.color("sgd"), _style.color("controlled sgd")
        x = fine["grid"]
        ax1.fill_between(x, run.history["rho_sgd"][0], color="0.5", alpha=0.15, lw=0,
                         label="initial density ρ₀")
        ax1.plot(x, run.history["rho_sgd"][-1], color=c_sgd, lw=1.8,
                 label=f"SGD, Fokker–Planck at T = {horizon:g}")
        ax1.plot(x, run.history["rho_csgd"][-1], color=c_csgd, lw=1.8,
                 label=f"controlled SGD, Fokker–Planck at T = {horizon:g}")
        bins = np.linspace(-3, 3, 61)
        ax1.hist(mc.info["x_sgd"], bins=bins, density=True, histtype="step", color=c_sgd,
                 ls=":", lw=1.3, label=f"SGD, histogram of {n_paths:,} paths")
        ax1.hist(mc.x, bins=bins, density=True, histtype="step", color=c_csgd, ls=":",
                 lw=1.3, label=f"controlled SGD, histogram of {n_paths:,} paths")
        ax1b = ax1.twinx()
        ax1b.plot(x, f(x), color="0.45", lw=1, ls="--")
        ax1b.set_ylabel("loss f(x) = V(x) (dimensionless)", color="0.35")
        ax1b.set_ylim(-0.5, 4)
        ax1b.grid(False)
        ax1.plot([], [], color="0.45", lw=1, ls="--", label="loss f = V (right axis)")
        ax1.set(title=f"densities: HJB/Fokker–Planck (lines) vs paths (steps), β = 2",
                xlabel="x (dimensionless)", ylabel="density ρ(x, t) (dimensionless)")
        ax1.legend(fontsize=7.5, loc="upper left")
        labels = ["E V(sgd)\nSGD", "E V(csgd)\ncontrolled", "½E∫|α|²\ncontrol cost",
                  "E V(csgd) + ½E∫|α|²\ncontrolled total"]
        colors = [c_sgd, c_csgd, c_csgd, c_csgd]
        pde_vals = [fine["expected_V_sgd"], fine["expected_V_csgd"], fine["control_cost"],
                    fine["expected_V_csgd"] + fine["control_cost"]]
        mc_vals = [mc.info["V_sgd"][0], mc.info["V_csgd"][0], mc.info["control_cost"][0],
                   mc.info["V_csgd"][0] + mc.info["control_cost"][0]]
        mc_se = [mc.info["V_sgd"][1], mc.info["V_csgd"][1], mc.info["control_cost"][1], 0.0]
        pos = np.arange(4)
        ax2.bar(pos - 0.2, pde_vals, 0.4, color=colors, edgecolor=colors)
        ax2.bar(pos + 0.2, mc_vals, 0.4, color="white", edgecolor=colors, hatch="///", lw=1.2,
                yerr=4 * np.array(mc_se), capsize=3, error_kw={"lw": 1, "ecolor": "0.2"})
        ax2.axhline(fine["value"], color=_style.EXACT, ls="--", lw=1)
        ax2.set_xticks(pos, labels, fontsize=8.5)
        ax2.grid(axis="x", visible=False)
        handles = [Patch(facecolor="0.5", edgecolor="0.5", label="PDE (HJB/Fokker–Planck)"),
                   Patch(facecolor="white", edgecolor="0.3", hatch="///",
                         label=f"Monte Carlo, {n_paths:,} paths (± 4 SE)"),
                   Patch(color=c_sgd, label="SGD"), Patch(color=c_csgd, label="controlled SGD"),
                   ax2.lines[-1]]
        handles[-1].set_label("∫u(·, 0)ρ₀: the optimal cost (value)")
        ax2.legend(handles=handles, fontsize=7.5, loc="upper right")
        ax2.set(ylabel="expected cost (dimensionless)", ylim=(0, 1.3 * max(pde_vals)),
                title="E V(csgd) + ½E∫|α|² = optimal cost ≤ E V(sgd)")
        _style.claim(fig, "Controlled SGD improves on SGD by at least its control cost "
                          "½E∫|α|² (Theorem 7); the PDEs and the Monte Carlo paths agree")
        ctx.save_figure(fig)
