"""Linearized Bregman recovers sparse signals exactly up to the ℓ1 phase transition.

Osher (2018), BinaryRelax remark: BinaryRelax resembles the linearized Bregman
iteration v ← v − Aᵀ(Au − b), u = δ·shrink(v, μ) for basis pursuit
min ‖u‖₁ s.t. Au = b (Yin, Osher, Goldfarb, Darbon 2008).

Set up: m = n/2 Gaussian measurements (entries N(0, 1/m)) of s-sparse signals with
N(0, 1) nonzeros, s/m from 0.05 to 0.7. Each signal is recovered twice: by
(accelerated, restarted) linearized Bregman and by basis pursuit as a linear
program (``scipy.optimize.linprog``, HiGHS). A signal counts as recovered when
‖u − u₀‖/‖u₀‖ ≤ 1e-4.

Expected: both methods solve the same problem, so they agree wherever both
converge; the recovery rate drops from 1 to 0 around the Donoho–Tanner weak
threshold ρ(δ) for δ = m/n = 1/2, which equals the AMP state-evolution curve
(Donoho, Maleki, Montanari 2009)

    ρ(δ) = max_z [1 − (2/δ)((1+z²)Φ(−z) − zφ(z))] / [1 + z² − 2((1+z²)Φ(−z) − zφ(z))]

(ρ(½) = 0.3857). At finite n the transition has width of order n^{-1/2}, the
tolerance used for its location.
"""
import warnings

import numpy as np

from . import _style
from ._harness import validation

RECOVERED = 1e-4


def donoho_tanner_rho(delta):
    """The ℓ1 weak phase-transition curve ρ(δ) = s/m (state-evolution formula)."""
    from scipy.stats import norm
    z = np.linspace(1e-4, 8.0, 200_001)
    g = (1 + z ** 2) * norm.cdf(-z) - z * norm.pdf(z)
    return float(np.max((1 - (2 / delta) * g) / (1 + z ** 2 - 2 * g)))


def crossing(x, rate, level=0.5):
    """First x where the (decreasing) rate curve falls below ``level``, linearly interpolated."""
    for i in range(1, len(x)):
        if rate[i] < level <= rate[i - 1]:
            return x[i - 1] + (rate[i - 1] - level) / (rate[i - 1] - rate[i]) * (x[i] - x[i - 1])
    return np.nan


@validation("linearized-bregman",
            source="Osher 2018, BinaryRelax remark (linearized Bregman for basis pursuit); "
                   "Donoho–Tanner phase transition",
            description="linearized Bregman recovers s-sparse signals exactly below the ℓ1 phase "
                        "transition and agrees with an LP basis-pursuit solver.")
def linearized_bregman_validation(ctx):
    import matplotlib.pyplot as plt

    from pdeopt import ConvergenceWarning
    from pdeopt.prox import basis_pursuit_lp, linearized_bregman

    def lp_solution(A, b):
        res = basis_pursuit_lp(A, b)
        if not res.success:  # b = A u0 is feasible: a failure here is the solver's
            raise RuntimeError(f"basis_pursuit_lp failed on a feasible system: {res.message}")
        return res.x

    n = ctx.pick(quick=100, default=200, full=400)
    m = n // 2
    trials = ctx.pick(quick=6, default=16, full=50)
    n_iter = ctx.pick(quick=3000, default=5000, full=20000)
    ratios = np.round(np.arange(0.05, 0.701, ctx.pick(quick=0.1, default=0.05, full=0.025)), 4)
    rho_dt = donoho_tanner_rho(m / n)

    rate_lb, rate_lp, agree_err, lb_only, lp_only, curves = [], [], [], 0, 0, {}
    missed_inside = 0  # LP recoveries LB misses where LP recovers every signal
    for ratio in ratios:
        s = max(1, int(round(ratio * m)))
        A = ctx.rng.normal(size=(m, n)) / np.sqrt(m)
        U0 = np.zeros((n, trials))
        for t in range(trials):
            U0[ctx.rng.choice(n, s, replace=False), t] = ctx.rng.normal(size=s)
        B = A @ U0
        with warnings.catch_warnings():
            # near the transition LB is expected to miss tol: the checks below count it
            warnings.simplefilter("ignore", ConvergenceWarning)
            res = linearized_bregman(A, B, mu=100.0, accelerated=True, max_iter=n_iter,
                                     tol=1e-10)
        U_lp = np.stack([lp_solution(A, B[:, t]) for t in range(trials)], axis=1)
        norm0 = np.linalg.norm(U0, axis=0)
        ok_lb = np.linalg.norm(res.x - U0, axis=0) / norm0 <= RECOVERED
        ok_lp = np.linalg.norm(U_lp - U0, axis=0) / norm0 <= RECOVERED
        both = ok_lb & ok_lp
        if np.any(both):
            agree_err.append(np.max(np.linalg.norm(res.x - U_lp, axis=0)[both] / norm0[both]))
        lb_only += int(np.sum(ok_lb & ~ok_lp))
        lp_only += int(np.sum(ok_lp & ~ok_lb))
        if ok_lp.all():
            missed_inside += int(np.sum(~ok_lb))
        rate_lb.append(ok_lb.mean())
        rate_lp.append(ok_lp.mean())
        curves[ratio] = res.history["residual"]
        ctx.progress(f"s/m = {ratio:.3f}: LB {ok_lb.mean():.2f}, LP {ok_lp.mean():.2f} "
                     f"({res.info['iterations']} LB iterations)")
    rate_lb, rate_lp = np.array(rate_lb), np.array(rate_lp)

    # Checks: exact recovery well below the transition, failure well above it.
    ctx.check("LB recovery rate, s/m <= 0.2", rate_lb[ratios <= 0.2].min(), 1.0, comparison="ge",
              claim="osher2018/linearized-bregman")
    ctx.check("LB recovery rate, s/m >= 0.6", rate_lb[ratios >= 0.6].max(), 0.0, tol=0.05,
              comparison="le", claim="osher2018/linearized-bregman")
    # The transition sits at the Donoho–Tanner curve, to the finite-n width n^{-1/2}.
    x_lp, x_lb = crossing(ratios, rate_lp), crossing(ratios, rate_lb)
    ctx.check("LP 50% transition s/m vs Donoho-Tanner rho(1/2)", x_lp, rho_dt, tol=n ** -0.5)
    # LB solves the same problem: its transition is LP's, to one grid step (it may stop
    # unconverged near the transition, where convergence is slowest).
    ctx.check("LB 50% transition s/m vs LP's", x_lb, x_lp, tol=float(ratios[1] - ratios[0]),
              claim="osher2018/linearized-bregman")
    ctx.check("max |u_LB - u_LP|/|u0| where both recover", max(agree_err), 0.0, tol=1e-6,
              claim="osher2018/linearized-bregman")
    ctx.check("signals LB recovers but LP does not", lb_only, 0, comparison="le",
              claim="osher2018/linearized-bregman")
    # LB converges slowly only near the transition: away from it (where LP recovers every
    # signal) it must match LP exactly within n_iter iterations.
    total_lp = int(round(np.sum(rate_lp) * trials))
    ctx.check("LP recoveries LB misses where LP recovers all", missed_inside, 0,
              comparison="le", note=f"overall {lp_only} of {total_lp} LP recoveries unconverged "
                                    f"after {n_iter} LB iterations, all near the transition",
              claim="osher2018/linearized-bregman")
    ctx.table("| s/m | LB recovery | LP recovery |\n| --- | --- | --- |\n" + "\n".join(
        f"| {r:.3f} | {a:.2f} | {b:.2f} |" for r, a, b in zip(ratios, rate_lb, rate_lp))
        + f"\n\nDonoho–Tanner ρ(1/2) = {rho_dt:.4f}; 50% crossing: LP {x_lp:.3f}, LB {x_lb:.3f}.")

    # Draw: the phase transition and LB's convergence at a few sparsities.
    with _style.context():
        fig, (ax, ax2) = plt.subplots(1, 2, figsize=(13, 4.9))
        ax.plot(ratios, rate_lp, ms=6, **_style.method("basis pursuit",
                                                       label="{} (linear program, HiGHS)"))
        ax.plot(ratios, rate_lb, ls="--", mfc="white",
                **_style.method("linearized bregman", label="{} (accelerated, restarted)"))
        ax.axvline(rho_dt, color=_style.THEORY, lw=1.2, ls=":",
                   label=f"theory: Donoho–Tanner ρ(½) = {rho_dt:.3f}")
        ax.set(xlabel="sparsity s/m (dimensionless)",
               ylabel=f"signals recovered (‖u − u₀‖/‖u₀‖ ≤ {RECOVERED:g})",
               title=f"exact recovery, n = {n}, m = {m}, {trials} signals per point")
        _style.percent_axis(ax, scale=1.0, decimals=0)
        ax.legend(loc="upper right")
        shown = ratios[::max(1, len(ratios) // 4)]
        for ratio, c in zip(shown, _style.sequence(len(shown))):
            ax2.semilogy(curves[ratio], lw=1, color=c,
                         label=f"s/m = {ratio:.2f}" + (" (above ρ)" if ratio > rho_dt else ""))
        ax2.set(xlabel="iteration",
                ylabel="worst relative residual ‖Au − b‖/‖b‖ (dimensionless)",
                title="linearized Bregman's residual: fast far below ρ, slowest near it")
        ax2.legend(loc="upper right")
        _style.claim(fig, "Linearized Bregman recovers the sparse signals basis pursuit "
                          "recovers, up to the Donoho–Tanner ℓ1 phase transition")
        ctx.save_figure(fig)
