"""The Moreau envelope of |x| is the Huber function, and its minimiser is soft-thresholding.

Hopf–Lax: u(x, t) = min_y f(y) + |x − y|²/(2t) solves u_t + ½|u_x|² = 0 with
u(·, 0) = f, and its argmin is prox_{tf}(x) (Osher 2018, Deep Relaxation). For
f = |·| both are known in closed form (``shared/notes/formulas.md``), written out
here as the independent reference:

    u(x, t) = |x| − t/2 if |x| ≥ t, x²/(2t) otherwise      (Huber)
    argmin  = sign(x)·max(|x| − t, 0)                      (soft-thresholding)

Checked against them, for several t:

* ``pdeopt.hj.hopf_lax`` and ``pdeopt.hj.moreau_envelope`` on the grid function
  |x| (the minimum over the grid nodes, evaluated at the nodes): the minimiser is
  found to within half a cell (h/2) and, the objective being a parabola of
  curvature 1/t near it, the minimum value to within (h/2)²/(2t) = h²/(8t);
* ``pdeopt.prox.penalty_envelope(x, t, "l1")``, the closed form of
  min_u t|u| + ½(u − x)² = t·u(x, t), and ``pdeopt.prox.soft_threshold``: to
  rounding (64 ulp of the largest value).
"""
import numpy as np

from pdeopt.hj import hopf_lax, moreau_envelope
from pdeopt.prox import penalty_envelope, soft_threshold

from . import _style
from ._harness import validation

ROUNDING = 64 * np.finfo(float).eps


def huber(x, t):
    return np.where(np.abs(x) >= t, np.abs(x) - t / 2, x ** 2 / (2 * t))


def shrink(x, t):
    return np.sign(x) * np.maximum(np.abs(x) - t, 0.0)


@validation("moreau-abs",
            source="Osher 2018, Deep Relaxation: Hopf–Lax formula and Moreau envelope",
            description="pdeopt's hopf_lax, moreau_envelope, penalty_envelope and "
                        "soft_threshold on |x| equal the Huber function and "
                        "soft-thresholding, for several t.")
def moreau_abs(ctx):
    import matplotlib.pyplot as plt

    # Set up: a uniform grid through 0 (the kink), and f = |x| on it.
    x = np.linspace(-5.0, 5.0, ctx.pick(quick=4001, default=16001))
    h = x[1] - x[0]
    times = (0.25, 0.5, 1.0, 2.0)
    inner = np.abs(x) <= 3.0      # the minimisers of these x stay inside the grid

    drawn = []                    # (t, closed forms, pdeopt's grid values) for the figure
    for t in times:
        # Compute with pdeopt.
        u, y = hopf_lax(np.abs(x), x, t)
        env, prox = moreau_envelope(np.abs(x), x, t, return_prox=True)
        closed_env = penalty_envelope(x, t, "l1") / t
        closed_prox = soft_threshold(x, t)

        # Check against the closed forms.
        ref_u, ref_y = huber(x[inner], t), shrink(x[inner], t)
        ctx.check(f"hopf_lax: max|u - huber|, t={t}", np.max(np.abs(u[inner] - ref_u)), 0.0,
                  tol=h ** 2 / (8 * t) + ROUNDING, claim="osher2018/moreau-prox",
                  note="tolerance: grid minimum, h²/(8t)")
        ctx.check(f"hopf_lax: max|argmin - soft threshold|, t={t}",
                  np.max(np.abs(y[inner] - ref_y)), 0.0, tol=h / 2 + ROUNDING,
                  claim="osher2018/moreau-prox", headline=t == 1.0,
                  note="tolerance: half a grid cell")
        ctx.check(f"moreau_envelope = hopf_lax (value and prox), t={t}",
                  max(np.max(np.abs(env - u)), np.max(np.abs(prox - y))), 0.0, tol=ROUNDING,
                  claim="osher2018/moreau-prox")
        ctx.check(f"penalty_envelope(x, t, 'l1')/t vs huber, t={t}",
                  np.max(np.abs(closed_env - huber(x, t))), 0.0, tol=ROUNDING * 5.0,
                  claim="osher2018/moreau-prox", note="closed form: rounding")
        ctx.check(f"soft_threshold vs sign(x)max(|x| - t, 0), t={t}",
                  np.max(np.abs(closed_prox - shrink(x, t))), 0.0, tol=ROUNDING * 5.0,
                  claim="osher2018/moreau-prox", note="closed form: rounding")

        drawn.append((t, ref_u, u[inner], ref_y, y[inner]))

    # Draw what was checked: pdeopt's grid values as points over the closed forms.
    xs = x[inner]
    every = max(1, xs.size // 24)                 # about 25 markers per curve
    grid_mark = dict(ls="none", marker="o", ms=4.5, mfc="none", mew=1.1)
    with _style.context():
        fig, (ax_env, ax_arg) = plt.subplots(1, 2, figsize=(12, 4.8))
        ax_env.plot(xs, np.abs(xs), color=_style.EXACT, ls="--", lw=1,
                    label="f(x) = |x|  (t = 0)")
        for col, (t, ref_u, u_in, ref_y, y_in) in zip(_style.sequence(len(drawn)), drawn):
            ax_env.plot(xs, ref_u, lw=1.5, color=col, label=f"Huber (closed form), t = {t:g}")
            ax_env.plot(xs[::every], u_in[::every], color=col, **grid_mark)
            ax_arg.plot(xs, ref_y, lw=1.5, color=col,
                        label=f"soft threshold sign(x)·max(|x| − t, 0), t = {t:g}")
            ax_arg.plot(xs[::every], y_in[::every], color=col, **grid_mark)
        ax_env.plot([], [], color="0.3", **grid_mark,
                    label="pdeopt.hj.hopf_lax on the grid (same colour per t)")
        ax_arg.plot([], [], color="0.3", **grid_mark,
                    label="argmin y of hopf_lax on the grid (same colour per t)")
        ax_env.set(xlabel="x (dimensionless)", ylabel="u(x, t) (dimensionless)",
                   title="u(x, t) = min_y |y| + |x − y|²/(2t) is the Huber function")
        ax_arg.set(xlabel="x (dimensionless)",
                   ylabel="minimiser y = prox of t|·| at x (dimensionless)",
                   title="its minimiser y is soft-thresholding: zero on |x| ≤ t")
        ax_env.legend(loc="upper center", fontsize=8)
        ax_arg.legend(loc="upper left", fontsize=8)
        _style.claim(fig, "The Moreau envelope of |x| is the Huber function and its minimiser "
                          "is soft-thresholding: pdeopt's grid Hopf–Lax matches both")
        ctx.save_figure(fig)
