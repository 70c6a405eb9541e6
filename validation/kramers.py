"""Metastability: the mean time to cross a double well's barrier follows Kramers' formula.

For dx = −f′(x) dt + √(2/β) dW on f(x) = Δ(x² − 1)², paths start in the left
minimum x₁ = −1 and stop on reaching the right one, x₂ = +1. Three numbers per β:

* Monte Carlo: the mean of many Euler–Maruyama first-passage times (numba kernel,
  all paths in parallel), with its standard error (SE);
* exact: the 1-D mean first-passage time by quadrature,
  T = β∫ e^{βf(y)} ∫_{−∞}^{y} e^{−βf(z)} dz dy;
* Kramers: 2π/√(f″(x₁)|f″(x₃)|) · e^{βΔ}, the large-β asymptote.

Checks: the simulated mean agrees with the exact one within 4 SE (Euler–Maruyama at
this Δt has a bias below that: the step resolves the curvature, f″Δt ≤ 0.02); and
Kramers/exact → 1: the Eyring–Kramers correction is O(1/(βΔ)), so |1 − ratio|
decreases monotonically in β (from βΔ = 2 on: below
that the asymptotics do not apply yet) and βΔ·|1 − ratio| levels off (its last two values
agree within 10 %).
"""
import numpy as np

from pdeopt.sde import double_well, exit_times, kramers_time, mean_exit_time

from ._harness import validation


@validation("kramers",
            source="Oberman 2017, Metastability: Kramers' formula",
            description="Euler–Maruyama mean exit times from a double well match the exact "
                        "quadrature; Kramers' formula / exact → 1 as β grows (log-scale figure).")
def kramers(ctx):
    import matplotlib.pyplot as plt

    barrier = 1.0
    potential = double_well(barrier)
    dt = 0.0025 / barrier  # f''(±1) Δt = 8Δ·Δt = 0.02
    betas_mc = np.array(ctx.pick(quick=[1.0, 2.0, 3.0, 4.0],
                                 default=[1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
                                 full=[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]))
    n_paths = ctx.pick(quick=800, default=1200, full=10000)
    betas = np.geomspace(0.5, 40.0, 40)

    exact = np.array([mean_exit_time(potential, -1.0, 1.0, b) for b in betas])
    kr = kramers_time(potential, -1.0, 0.0, betas)
    ratio = kr / exact

    mc_mean, mc_se = [], []
    for b in betas_mc:
        ref = mean_exit_time(potential, -1.0, 1.0, b)
        res = exit_times(potential, -1.0, 1.0, beta=b, dt=dt, n_paths=n_paths,
                         max_time=60 * ref, rng=ctx.rng)
        t = res.x
        ctx.check(f"censored paths at beta={b:g}", res.info["censored"], 0, comparison="abs")
        mean, se = np.nanmean(t), np.nanstd(t, ddof=1) / np.sqrt(np.sum(np.isfinite(t)))
        mc_mean.append(mean)
        mc_se.append(se)
        ctx.check(f"|MC - exact| / SE at beta*barrier={b * barrier:g}", abs(mean - ref) / se,
                  0.0, tol=4.0, comparison="le", note=f"MC {mean:.4g}, exact {ref:.4g}")
        ctx.progress(f"beta={b:g}: {n_paths} paths, mean exit time {mean:.4g}")
    mc_mean, mc_se = np.array(mc_mean), np.array(mc_se)

    gap = np.abs(1.0 - ratio)
    asymptotic = betas * barrier >= 2.0
    ctx.check("|1 - Kramers/exact| decreases monotonically for beta*barrier >= 2",
              bool(np.all(np.diff(gap[asymptotic]) < 0)), True, comparison="true",
              claim="oberman2017/kramers")
    scaled = betas * barrier * gap
    ctx.check("beta*barrier*|1 - ratio|: last two values agree (O(1/beta) correction)",
              abs(scaled[-1] - scaled[-2]) / scaled[-1], 0.0, tol=0.1, comparison="le",
              claim="oberman2017/kramers")
    ctx.check(f"Kramers/exact at beta*barrier={betas[-1]:g}", ratio[-1], 1.0,
              tol=2.0 * scaled[-1] / (betas[-1] * barrier), comparison="abs",
              note="tolerance 2x the O(1/beta) correction")

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.2))
    ax1.semilogy(betas, exact, "k-", label="exact (quadrature)")
    ax1.semilogy(betas, kr, "C1--", label="Kramers' formula")
    ax1.errorbar(betas_mc, mc_mean, yerr=4 * mc_se, fmt="o", color="C0", capsize=3,
                 label=f"Euler–Maruyama, {n_paths} paths (± 4 SE)")
    ax1.set(title=f"mean exit time from a double well, barrier Δ = {barrier:g}",
            xlabel="β", ylabel="E[τ]")
    ax1.legend(fontsize=8)
    ax2.semilogx(betas, ratio, "C1-", label="Kramers / exact")
    kr_mc = kramers_time(potential, -1.0, 0.0, betas_mc)
    ax2.errorbar(betas_mc, kr_mc / mc_mean, yerr=4 * kr_mc * mc_se / mc_mean ** 2, fmt="o",
                 color="C0", capsize=3, label="Kramers / Monte Carlo")
    ax2.axhline(1.0, color="k", lw=0.8)
    ax2.set(title="the ratio tends to 1 as β grows", xlabel="β", ylabel="ratio")
    ax2.legend(fontsize=8)
    ctx.save_figure(fig)
