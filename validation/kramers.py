"""Metastability: mean exit times from a double well, Kramers' formula and e^{βΔ} growth.

For dx = −f′(x) dt + √(2/β) dW on f(x) = Δ(x² − 1)², paths start in the left
minimum x₁ = −1 and stop on reaching the right one, x₂ = +1 (Oberman 2017,
Metastability). Three numbers per β:

* Monte Carlo: the mean of many Euler–Maruyama first-passage times (numba kernel,
  all paths in parallel), with its standard error (SE), at two steps Δt and 2Δt;
* exact: the 1-D mean first-passage time by quadrature,
  T = β∫ e^{βf(y)} ∫_{−∞}^{y} e^{−βf(z)} dz dy;
* Kramers: T_K = 2π/√(f″(x₁)|f″(x₃)|) · e^{βΔ}, the large-β asymptote.

Checks, each against an independent reference:

1. Monte Carlo vs exact, |MC − exact| ≤ 3·SE + b_mon + |D|: b_mon is the bias of
   monitoring the crossing only at the steps (Broadie–Glasserman–Kou: the level is
   effectively shifted by 0.5826·σ√Δt, σ = √(2/β), so b_mon = T(x₁ → x₂ + shift) −
   T(x₁ → x₂) by quadrature) and D = MC(2Δt) − MC(Δt), measured, estimates the
   first-order (weak order 1) bias of the drift discretization.
2. Kramers' formula: Laplace's method on both integrals of T (computed with sympy
   for this quartic, see ``LAPLACE``) gives T/T_K = 1 + (3/8)/(βΔ) + (57/128)/(βΔ)² + …;
   the quadrature's T/T_K must match the two-term series within the last kept term
   (an asymptotic series' truncation error is below its last kept term once the terms
   decrease), at βΔ = 10, 20, 40; and |1 − T_K/T| decreases with β.
3. Metastability: log MC(β) grows linearly in β with slope Δ (the barrier): the
   weighted least-squares slope over βΔ ≥ 2 equals Δ within 3 SE of the fit plus the
   prefactor's drift (the slope of log(T/e^{βΔ}) of the exact T over the same β).
"""
import numpy as np

from pdeopt.sde import double_well, exit_times, kramers_time, mean_exit_time

from . import _style
from ._harness import validation

# T/T_K = 1 + c1/(βΔ) + c2/(βΔ)² + O((βΔ)^-3) for f = Δ(x² − 1)²: the product of the
# Laplace corrections of ∫e^{−βf} at x₁ = −1 and ∫e^{βf} at x₃ = 0, each
# 1 + (3/16)/(βΔ) + (105/512)/(βΔ)²  (sympy: Gaussian moments of exp(−β·(cubic+quartic))).
LAPLACE = (3 / 8, 57 / 128)


def weighted_slope(x, y, sigma):
    """Weighted least-squares slope of y against x and its standard error."""
    w = 1.0 / sigma ** 2
    xm = np.sum(w * x) / np.sum(w)
    sxx = np.sum(w * (x - xm) ** 2)
    slope = np.sum(w * (x - xm) * y) / sxx
    return slope, 1.0 / np.sqrt(sxx)


@validation("kramers",
            source="Oberman 2017, Metastability: Kramers' formula",
            description="Euler–Maruyama mean exit times from a double well match the exact "
                        "quadrature within 3 SE + the step bias; Kramers' formula matches "
                        "its Laplace correction; log T grows with slope = barrier.")
def kramers(ctx):
    import matplotlib.pyplot as plt

    barrier = 1.0
    potential = double_well(barrier)
    dt = 0.0025 / barrier  # f''(±1) Δt = 8Δ·Δt = 0.02: the step resolves the curvature
    betas_mc = np.array(ctx.pick(quick=[1.0, 2.0, 3.0, 4.0],
                                 default=[1.0, 2.0, 3.0, 4.0, 5.0],
                                 full=[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]))
    n_paths = ctx.pick(quick=800, default=1500, full=10000)
    betas = np.geomspace(0.5, 40.0, 40)

    # Exact (quadrature) and Kramers.
    exact = np.array([mean_exit_time(potential, -1.0, 1.0, b) for b in betas])
    kr = kramers_time(potential, -1.0, 0.0, betas)
    ratio = kr / exact

    # Monte Carlo at Δt and 2Δt.
    def simulate(b, step, ref):
        res = exit_times(potential, -1.0, 1.0, beta=b, dt=step, n_paths=n_paths,
                         max_time=60 * ref, rng=ctx.rng)
        t = res.x[np.isfinite(res.x)]
        return res.info["censored"], t.mean(), t.std(ddof=1) / np.sqrt(t.size)

    mc_mean, mc_se, refs = [], [], []
    for b in betas_mc:
        ref = mean_exit_time(potential, -1.0, 1.0, b)
        cens1, m1, s1 = simulate(b, dt, ref)
        cens2, m2, s2 = simulate(b, 2 * dt, ref)
        ctx.check(f"censored paths at beta={b:g}", cens1 + cens2, 0, comparison="abs")
        shift = 0.5826 * np.sqrt(2 * dt / b)    # Broadie–Glasserman–Kou level shift
        monitor = mean_exit_time(potential, -1.0, 1.0 + shift, b) - ref
        tol = 3 * s1 + monitor + abs(m2 - m1)
        ctx.check(f"|MC - exact| at beta*barrier={b * barrier:g}", abs(m1 - ref), 0.0,
                  tol=tol, comparison="le", claim="oberman2017/kramers",
                  note=f"MC {m1:.4g} ± {s1:.2g} (2Δt: {m2:.4g} ± {s2:.2g}), exact {ref:.4g}; "
                       f"tol = 3 SE + monitoring bias {monitor:.2g} + |D|")
        mc_mean.append(m1)
        mc_se.append(s1)
        refs.append(ref)
        ctx.progress(f"beta={b:g}: {n_paths} paths x 2 steps, mean exit time {m1:.4g}")
    mc_mean, mc_se, refs = np.array(mc_mean), np.array(mc_se), np.array(refs)

    # Kramers' formula against its Laplace expansion.
    c1, c2 = LAPLACE
    for bd in (10.0, 20.0, 40.0):
        t_exact = mean_exit_time(potential, -1.0, 1.0, bd / barrier)
        t_k = kramers_time(potential, -1.0, 0.0, bd / barrier)
        ctx.check(f"T/T_K at beta*barrier={bd:g} vs 1 + c1/(bD) + c2/(bD)^2", t_exact / t_k,
                  1 + c1 / bd + c2 / bd ** 2, tol=c2 / bd ** 2, comparison="abs",
                  claim="oberman2017/kramers", headline=bd == 40.0,
                  note="Laplace's method (sympy); tol = the last kept term")
    gap = np.abs(1.0 - ratio)
    asymptotic = betas * barrier >= 2.0
    ctx.check("|1 - Kramers/exact| decreases monotonically for beta*barrier >= 2",
              bool(np.all(np.diff(gap[asymptotic]) < 0)), True, comparison="true",
              claim="oberman2017/kramers")

    # Metastability: slope of log T against β.
    fit = betas_mc * barrier >= 2.0
    slope, se_slope = weighted_slope(betas_mc[fit], np.log(mc_mean[fit]),
                                     mc_se[fit] / mc_mean[fit])
    drift = abs(np.polyfit(betas_mc[fit], np.log(refs[fit]) - barrier * betas_mc[fit], 1)[0])
    ctx.check("slope of log E[tau] vs beta (Monte Carlo) = barrier", slope, barrier,
              tol=3 * se_slope + drift, comparison="abs", claim="oberman2017/metastability",
              headline=True, note=f"SE {se_slope:.3g}; prefactor drift {drift:.3g}")

    mc, theory, exact_c = _style.MONTE_CARLO, _style.THEORY, _style.EXACT
    bd_mc, bd = betas_mc * barrier, betas * barrier          # β·Δ, dimensionless
    kr_mc = kramers_time(potential, -1.0, 0.0, betas_mc)
    with _style.context():
        fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.8))
        # Left: only the β range of the Monte Carlo runs (the exact T reaches e^40 at β = 40).
        near = betas <= 1.3 * betas_mc.max()
        ax1.semilogy(bd[near], exact[near], color=exact_c, lw=1.5,
                     label="exact T (quadrature)")
        ax1.semilogy(bd[near], kr[near], color=theory, ls="--", lw=1.5,
                     label="Kramers' formula T_K ∝ e^(βΔ)")
        ax1.errorbar(bd_mc, mc_mean, yerr=3 * mc_se, fmt="o", color=mc, capsize=3, zorder=3,
                     label=f"Monte Carlo (Euler–Maruyama, {n_paths} paths, ± 3 SE)")
        bb = betas_mc[fit]
        ax1.semilogy(bb * barrier, np.exp(np.log(mc_mean[fit]).mean() + slope * (bb - bb.mean())),
                     color=mc, ls=":", lw=1.2,
                     label=f"fit of log E[τ] for βΔ ≥ 2: slope {slope:.3f} (Δ = {barrier:g})")
        ax1.set(xlabel="β·Δ (dimensionless)", ylabel="mean exit time E[τ] (model time units)",
                title=f"log E[τ] grows with slope Δ in β (barrier Δ = {barrier:g})")
        _style.plain_log_ticks(ax1, "y")
        ax1.legend(loc="upper left")

        # Right: every time divided by Kramers' T_K; the exact ratio tends to 1.
        ax2.axhline(1.0, color=theory, lw=1, label="T / T_K = 1 (Kramers' limit)")
        ax2.semilogx(bd, 1 + c1 / bd + c2 / bd ** 2, color=theory, ls=":", lw=1.5,
                     label="Laplace: 1 + (3/8)/(βΔ) + (57/128)/(βΔ)²")
        ax2.semilogx(bd, 1 / ratio, color=exact_c, lw=1.5, label="exact T / T_K (quadrature)")
        ax2.errorbar(bd_mc, mc_mean / kr_mc, yerr=3 * mc_se / kr_mc, fmt="o", color=mc,
                     capsize=3, zorder=3, label="Monte Carlo E[τ] / T_K (± 3 SE)")
        ax2.set(xlabel="β·Δ (dimensionless)", ylim=(0.9, 2.5),
                ylabel="ratio to Kramers' time, T / T_K (dimensionless)",
                title="Kramers' formula becomes exact as βΔ grows")
        _style.plain_log_ticks(ax2, "x")
        ax2.legend(loc="upper right")
        _style.claim(fig, "Metastability: the mean exit time from a double well grows like "
                          "e^(βΔ), and Kramers' formula is its large-βΔ limit")
        ctx.save_figure(fig)
