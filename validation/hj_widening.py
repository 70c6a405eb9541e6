"""The seed's "true solution in one dimension": HJ relaxation widens minima and removes maxima.

f has a narrow deep minimum (x_n = −2) and a wide shallow one (x_w = 2) on a
gentle confinement. We evolve it by the inviscid equation u_t + ½u_x² = 0
(exact Hopf–Lax on the grid) and by the viscous one u_t + ½u_x² = ½u_xx (exact
Cole–Hopf = local entropy), at increasing t, and check what Osher (2018, Deep
Relaxation, "Widening minima, removing maxima") derives:

* inviscid: on the convex interval [x_0, x_1] of a well (f'' > 0 inside, f'(x_0)
  < 0 < f'(x_1)), u_xx > 0 on x_0 + t f'(x_0) ≤ x ≤ x_1 + t f'(x_1): the convex
  region around each minimum grows with t and contains f's (until the kink
  between the two basins reaches it: here after t = 2, so t ≤ 2 is used);
  u_t = −½u_x² ≤ 0, so maxima shrink (the barrier max of u between the wells is
  non-increasing); and the global minimum value and minimiser never change
  (u ≤ f, u(x*) = f(x*) for the global minimiser x*);
* viscous: at a local minimum u_t = ½u_xx > 0 and at a local maximum u_t < 0:
  minimum values rise (u(x*, t) ≥ f(x*), increasing in t) and the local maximum
  between the wells falls while it exists; local entropy favours mass over
  depth, so for large t the wide well becomes the global minimiser and the
  narrow one does not (the crossover time t_c is found by root finding).

Convexity is measured with second differences on a grid of spacing h = 0.005;
a node counts as convex when u_xx > 0. All checks are exact inequalities of
the continuous problem; the grid functions satisfy them exactly (no tolerance)
except the containment, which is checked node by node.
"""
import numpy as np
import scipy.optimize

from pdeopt.hj import hopf_lax, local_entropy

from . import _style
from ._harness import validation

NARROW, WIDE = -2.0, 2.0


def two_wells(x):
    return (0.02 * x**2 - 2.0 * np.exp(-(x - NARROW) ** 2 / (2 * 0.2**2))
            - 1.0 * np.exp(-(x - WIDE) ** 2 / (2 * 1.0**2)))


def second_difference(u, h):
    out = np.full(u.shape, np.nan)
    out[1:-1] = (u[2:] - 2 * u[1:-1] + u[:-2]) / h**2
    return out


def component(mask, i):
    """Index range [lo, hi] of the run of True in ``mask`` containing ``i`` (empty if not)."""
    if not mask[i]:
        return i, i - 1
    lo, hi = i, i
    while lo > 0 and mask[lo - 1]:
        lo -= 1
    while hi < mask.size - 1 and mask[hi + 1]:
        hi += 1
    return lo, hi


def _intervals(x, comps):
    return " ∪ ".join(f"[{x[lo]:.2f}, {x[hi]:.2f}]" for lo, hi in comps)


@validation("hj-widening",
            source="Osher 2018, Deep Relaxation: 'True solution in one dimension'; "
                   "'Widening minima, removing maxima'",
            description="inviscid and viscous HJ relaxation of a narrow-deep / wide-shallow f: "
                        "convex wells grow, maxima fall, minima rise (viscous), and the wide "
                        "minimum becomes the global one under local entropy.")
def hj_widening(ctx):
    import matplotlib.pyplot as plt

    n = ctx.pick(quick=1601, default=3201)
    x = np.linspace(-8, 8, n)
    h = x[1] - x[0]
    f = two_wells(x)
    i_n, i_w = np.argmin(np.abs(x - NARROW)), np.argmin(np.abs(x - WIDE))
    between = (x > NARROW) & (x < WIDE)
    times = [0.05, 0.1, 0.2, 0.3, 0.5, 1.0, 2.0]

    # f's convex wells: the runs of f'' > 0 around the two minimisers.
    convex_f = second_difference(f, h) > 0
    wells = [component(convex_f, i) for i in (i_n, i_w)]
    in_wells = np.zeros(n, bool)
    for lo, hi in wells:
        in_wells[lo:hi + 1] = True

    inviscid, viscous = {0.0: f}, {0.0: f}
    for t in times:
        inviscid[t] = hopf_lax(f, x, t)[0]
        viscous[t] = local_entropy(f, x, t)
    ctx.progress("solutions computed")

    rows = ["| t | inviscid convex wells | viscous convex wells | inviscid barrier max | "
            "viscous local max | viscous u(x_n) | viscous u(x_w) |",
            "|---|---|---|---|---|---|---|"]
    widths, misses, barrier, vmax, u_n, u_w, vmiss = [], [], [], [], [], [], []
    for t in [0.0] + times:
        ui, uv = inviscid[t], viscous[t]
        ci, cv = second_difference(ui, h) > 0, second_difference(uv, h) > 0
        comps = [component(ci, i) for i in (i_n, i_w)]
        widths.append(sum((hi - lo + 1) * h for lo, hi in comps))
        misses.append(int(np.sum(in_wells & ~ci)))
        vmiss.append(int(np.sum(in_wells & ~cv)))
        barrier.append(ui[between].max())
        inner = uv[1:-1]
        is_max = (inner > uv[:-2]) & (inner > uv[2:]) & between[1:-1]
        vmax.append(inner[is_max].max() if is_max.any() else np.nan)
        u_n.append(uv[i_n])
        u_w.append(uv[i_w])
        rows.append(f"| {t:g} | {_intervals(x, comps)} | "
                    f"{_intervals(x, [component(cv, i) for i in (i_n, i_w)])} | "
                    f"{barrier[-1]:.4f} | "
                    f"{vmax[-1]:.4f} | {u_n[-1]:.4f} | {u_w[-1]:.4f} |")
    ctx.table("\n".join(rows))

    # Inviscid checks.
    ctx.check("inviscid: convex wells' total width non-decreasing in t",
              bool(np.all(np.diff(widths) >= 0)), True, comparison="true",
              note=f"{widths[0]:.2f} → {widths[-1]:.2f}", claim="osher2018/widening-minima")
    ctx.check("inviscid: nodes of f's convex wells where u_xx ≤ 0 (all t ≤ 2)",
              max(misses), 0, tol=0, claim="osher2018/widening-minima")
    ctx.check("inviscid: barrier max between wells non-increasing",
              float(np.max(np.diff(barrier))), 0.0, comparison="le", tol=0,
              claim="osher2018/removing-maxima")
    ctx.check("inviscid: min u − min f at t = 2 (global minimum preserved)",
              abs(inviscid[2.0].min() - f.min()), 0.0, tol=1e-12)
    ctx.check("inviscid: global minimiser still the narrow well at t = 2",
              abs(x[np.argmin(inviscid[2.0])] - NARROW) < 0.05, True, comparison="true")

    # Viscous checks.
    ctx.check("viscous: u(x_n, t) non-decreasing and ≥ f(x_n)",
              float(np.min(np.diff(u_n))), 0.0, comparison="ge", tol=0,
              claim="osher2018/entropy-raises-minima")
    ctx.check("viscous: u(x_w, t) non-decreasing and ≥ f(x_w)",
              float(np.min(np.diff(u_w))), 0.0, comparison="ge", tol=0,
              claim="osher2018/entropy-raises-minima")
    finite = np.asarray(vmax)[np.isfinite(vmax)]
    ctx.check("viscous: local max between wells non-increasing while it exists",
              float(np.max(np.diff(finite))), 0.0, comparison="le", tol=0,
              note=f"exists for {finite.size} of {len(vmax)} times",
              claim="osher2018/removing-maxima")
    ctx.check("viscous: nodes of f's convex wells where u_xx ≤ 0 (all t ≤ 2)",
              max(vmiss), 0, tol=0, claim="osher2018/widening-minima")
    narrow_basin, wide_basin = x < 0, x >= 0

    def advantage(t):
        u = local_entropy(f, x, t)
        return u[narrow_basin].min() - u[wide_basin].min()

    ctx.check("viscous, small t = 0.05: global minimiser in the narrow well",
              advantage(0.05) < 0, True, comparison="true", claim="oberman2017/fig2-wide-valleys")
    ctx.check("viscous, large t = 2: global minimiser in the wide well",
              advantage(2.0) > 0, True, comparison="true", claim="oberman2017/fig2-wide-valleys")
    t_c = scipy.optimize.brentq(advantage, 0.05, 2.0, xtol=1e-3)
    ctx.table(f"Local entropy switches its global minimiser from the narrow to the wide well "
              f"at t_c = {t_c:.3f}.")

    with _style.context():
        fig, axes = plt.subplots(1, 3, figsize=(16, 4.9))
        colors = _style.sequence(len(times) + 1, stop=0.9)
        panels = ((axes[0], inviscid, "inviscid (Hopf–Lax): wells widen, the barrier falls"),
                  (axes[1], viscous, "viscous (local entropy): minima rise, maxima fall"))
        for ax, sols, title in panels:
            for c, t in zip(colors, [0.0] + times):
                ax.plot(x, sols[t], color=c, lw=2.2 if t == 0 else 1,
                        label="t = 0 (f)" if t == 0 else f"t = {t:g}")
            for k, (lo, hi) in enumerate(wells):
                ax.axvspan(x[lo], x[hi], color=_style.ORANGE, alpha=0.15,
                           label="f'' > 0 (f's convex wells)" if k == 0 else None)
            ax.set(xlim=(-5, 5), ylim=(-2.1, 0.6), xlabel="x (dimensionless)",
                   ylabel="u(x, t) (dimensionless)", title=title)
            ax.legend(fontsize=7.5, ncol=2, loc="lower right")
        ts = [0.0] + times
        c_n, c_w, c_max = _style.BLUE, _style.GREEN, _style.PURPLE
        axes[2].plot(ts, u_n, "o-", color=c_n, label="viscous: u at the narrow minimiser x_n")
        axes[2].plot(ts, u_w, "s-", color=c_w, label="viscous: u at the wide minimiser x_w")
        axes[2].plot(ts, vmax, "v-", color=c_max,
                     label="viscous: local max between the wells (while it exists)")
        axes[2].plot(ts, barrier, "^--", color=c_max, mfc="white",
                     label="inviscid: max of u between the wells")
        axes[2].axvline(t_c, color="0.3", ls=":",
                        label=f"t_c = {t_c:.2f}: the wide well becomes the viscous global min")
        axes[2].set(xlabel="time t (dimensionless)", ylabel="value of u (dimensionless)",
                    xlim=(0, 2.05), title="minima rise, maxima fall; the wide well wins")
        axes[2].legend(fontsize=7.5, loc="lower right")
        _style.claim(fig, "HJ relaxation widens minima and removes maxima; under local entropy "
                          "the wide, shallow well becomes the global minimum")
        ctx.save_figure(fig)
