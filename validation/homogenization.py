"""Homogenization: the two-scale Entropy-SGD system tracks the gradient flow of f_γ.

The slow variable of the two-scale system (``pdeopt.sde.two_scale_esgd``)

    dx = −(x − y)/γ ds,   dy = −ε⁻¹[∇f(y) + (y − x)/γ] ds + √(2/ε) dW

converges as ε → 0 to the homogenized dynamics dx̄ = −∇f_γ(x̄) ds (Theorem 15 of
the seed), the gradient flow of the local entropy. The reference flow is RK4 on
the exact ∇f_γ (``pdeopt.hj.local_entropy``, tabulated on a fine grid). The gap is the largest
over time of the root-mean-square distance between the paths' x and x̄. Its
leading part is the fluctuation of x, which averages the fast noise over O(γ)
time: variance O(ε), so gap ∝ ε^{1/2}. Checks: the gap decreases at every
smaller ε, and its log–log slope is at least 0.3 (theory 0.5).
"""
import numpy as np

from pdeopt.sde import two_scale_esgd

from . import _style
from ._harness import validation
from ._sde_common import GAMMA, grad_f, local_entropy_flow

@validation("homogenization",
            source="Oberman 2017, Homogenization of SDEs, Theorem 15",
            description="the two-scale ESGD system's slow variable tracks the gradient flow of "
                        "the local entropy f_γ; the gap shrinks as ε → 0.")
def homogenization(ctx):
    import matplotlib.pyplot as plt

    epsilons = np.array(ctx.pick(quick=[0.1, 0.03, 0.01], default=[0.1, 0.03, 0.01, 0.003]))
    n_paths = ctx.pick(quick=60, default=100)
    horizon, x0 = 3.0, 2.0

    # Reference: ∇f_γ from pdeopt.hj.local_entropy tabulated on a fine grid, then RK4.
    t_ref, x_ref = local_entropy_flow(x0, horizon)

    gaps, runs = [], []
    for eps in epsilons:
        dt = eps / 100.0  # the fast chain's own step dt/ε = 0.01: its O(dt/ε) bias is small
        every = max(1, int(round(0.01 / dt)))
        res = two_scale_esgd(lambda y: grad_f(y), [x0], gamma=GAMMA, epsilon=eps, t=horizon,
                             dt=dt, n_paths=n_paths, record_every=every, rng=ctx.rng)
        times, xs = res.history["time"], res.history["x"][:, :, 0]
        xbar = np.interp(times, t_ref, x_ref[:, 0])
        gap = np.max(np.sqrt(np.mean((xs - xbar[:, None]) ** 2, axis=1)))
        gaps.append(gap)
        runs.append((times, xs))
        ctx.progress(f"epsilon={eps:g}: gap {gap:.3g}")
    gaps = np.array(gaps)
    ctx.check("gap decreases at every smaller epsilon", bool(np.all(np.diff(gaps) < 0)), True,
              comparison="true", note=", ".join(f"{g:.3g}" for g in gaps),
              claim="oberman2017/theorem15")
    slope = np.polyfit(np.log(epsilons), np.log(gaps), 1)[0]
    ctx.check("log-log slope of gap vs epsilon", slope, 0.3, comparison="ge",
              note="theory 0.5 (fluctuations of variance O(epsilon))",
              claim="oberman2017/theorem15")

    with _style.context():
        fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12.5, 4.9))
        ax1.plot(t_ref, x_ref[:, 0], color=_style.EXACT, lw=2.2,
                 label=r"gradient flow of $f_\gamma$ (homogenized limit)")
        colors = _style.sequence(len(epsilons), cmap="plasma", stop=0.8)
        for (times, xs), eps, c in zip(runs, epsilons, colors):
            ax1.plot(times, xs[:, 0], color=c, lw=0.8, label=f"ε = {eps:g}")
            ax1.plot(times, xs.mean(axis=1), color=c, lw=1.3, ls="--")
        ax1.plot([], [], color="0.4", lw=0.8, label="solid: one ESGD path")
        ax1.plot([], [], color="0.4", lw=1.3, ls="--", label=f"dashed: mean of {n_paths} paths")
        ax1.set(title="two-scale ESGD paths vs the homogenized flow",
                xlabel="time s (dimensionless)", ylabel="slow variable x(s) (dimensionless)")
        ax1.legend(ncol=2, loc="upper right", fontsize=8)
        ax2.loglog(epsilons, gaps, **_style.method("esgd", label="max over s of RMS |x − x̄|"))
        _style.slope_triangle(ax2, epsilons, gaps, 0.5, text="slope ½ (theory)")
        _style.plain_log_ticks(ax2)
        ax2.set(title="the gap shrinks like ε^½", xlabel="time-scale ratio ε (dimensionless)",
                ylabel="gap (dimensionless)")
        ax2.legend(loc="upper left")
        _style.claim(fig, "As ε → 0 the slow variable of two-scale ESGD follows the gradient "
                          "flow of the local entropy f_γ (Theorem 15)")
        ctx.save_figure(fig)
