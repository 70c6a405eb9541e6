"""The Langevin inner loop of Entropy-SGD estimates the gradient of the local entropy.

Lemma 4 of the seed: ∇f_γ(x) = (x − ⟨y⟩)/γ with ⟨y⟩ the mean of
ρ(y; x) ∝ exp(−f(y) − |x − y|²/(2γ)). The exact value comes from the local entropy
f_γ = −log(G_γ * e^{−f}) computed on a grid (the reference
``pdeopt.hj.local_entropy``, a log-sum-exp Gaussian convolution on a fine grid);
the estimate is the time average of an
unadjusted Langevin chain (``pdeopt.sde.local_entropy_gradient``), many
independent chains at once, whose spread gives the Monte Carlo standard error
(SE).

The estimator has two errors: the Monte Carlo error (SE, estimated) and the
discretization bias of the unadjusted chain, O(η′). The right panel shows the
error against η′ at one point: at η′ = 0.02 the bias dominates (several SE), at
the η′ used it is at the level of the Monte Carlo noise. The check is therefore
|estimate − exact| ≤ 4·SE coordinate by coordinate, a 4-sigma test, and a check
that the bias is seen to grow at the larger step (the test can tell).
"""
import numpy as np

from pdeopt.hj import local_entropy
from pdeopt.sde import local_entropy_gradient

from . import _style
from ._harness import validation

GAMMA = 0.5


def f1(y):
    return 0.5 * (y ** 2 - 1.0) ** 2


def grad1(y):
    return 2.0 * y * (y ** 2 - 1.0)


def f2(y0, y1):
    return 0.5 * (y0 ** 2 - 1.0) ** 2 + 0.5 * y1 ** 2 + 0.5 * np.sin(2.0 * y0) * y1


def grad2(y):
    y0, y1 = y[:, 0], y[:, 1]
    return np.stack([2.0 * y0 * (y0 ** 2 - 1.0) + np.cos(2.0 * y0) * y1,
                     y1 + 0.5 * np.sin(2.0 * y0)], axis=1)


def exact_local_entropy_gradient(f_values, axes, gamma, points):
    """∇f_γ at ``points`` (shape (m, d)) by ``pdeopt.hj.local_entropy`` on the grid ``axes``."""
    points = np.atleast_2d(points)
    grid = axes[0] if len(axes) == 1 else tuple(axes)
    at = points[:, 0] if len(axes) == 1 else points
    _, grad = local_entropy(f_values, grid, gamma, grad=True, points=at)
    return np.asarray(grad).reshape(points.shape)


@validation("langevin-local-entropy",
            source="Oberman 2017, Lemma 4 and Algorithm 1 (Entropy-SGD inner loop)",
            description="the Langevin estimate (x − ⟨y⟩)/γ of ∇f_γ equals the exact local-entropy "
                        "gradient within 4 Monte Carlo standard errors, in 1-D and 2-D.")
def langevin_local_entropy(ctx):
    import matplotlib.pyplot as plt

    n_chains = ctx.pick(quick=300, default=1000)
    step_size = ctx.pick(quick=0.004, default=0.002)
    horizon = 12.0  # Langevin time; the chain's correlation time is ~ 1/curvature ≲ 0.5
    steps = int(horizon / step_size)

    def estimate(grad, x, eta, n=n_chains):
        res = local_entropy_gradient(grad, x, GAMMA, max_iter=int(horizon / eta), step_size=eta,
                                     n_chains=n, rng=ctx.rng)
        return res.x, res.info["standard_error"]

    # 1-D: exact gradient from a fine grid, estimates at a few points.
    axis = np.linspace(-7.0, 7.0, 4001)
    claims = ["oberman2017/lemma4", "oberman2017/theorem15-average", "oberman2017/algorithm1",
              "osher2018/local-entropy-gradient"]   # the ledger rows these checks test
    xs1 = np.array([-1.5, -0.6, 0.0, 0.4, 1.2])
    exact1 = exact_local_entropy_gradient(f1(axis), [axis], GAMMA, xs1[:, None])[:, 0]
    est1, se1 = np.zeros_like(xs1), np.zeros_like(xs1)
    for i, x in enumerate(xs1):
        e, s = estimate(grad1, [x], step_size)
        est1[i], se1[i] = e[0], s[0]
        ctx.check(f"1-D |estimate - exact| / SE at x={x}", abs(e[0] - exact1[i]) / s[0], 0.0,
                  tol=4.0, comparison="le", note=f"SE={s[0]:.2g}", claim=claims)
    ctx.progress(f"1-D done ({steps} Langevin steps x {n_chains} chains per point)")

    # 2-D: a coupled, non-convex f.
    a0 = np.linspace(-6.0, 6.0, 301)
    a1 = np.linspace(-6.0, 6.0, 301)
    g0, g1 = np.meshgrid(a0, a1, indexing="ij")
    xs2 = np.array([[-1.2, 0.5], [0.0, 0.0], [0.7, -0.8], [1.5, 1.0]])
    exact2 = exact_local_entropy_gradient(f2(g0, g1), [a0, a1], GAMMA, xs2)
    est2 = np.zeros_like(xs2)
    for i, x in enumerate(xs2):
        e, s = estimate(grad2, x, step_size)
        est2[i] = e
        worst = np.max(np.abs(e - exact2[i]) / s)
        ctx.check(f"2-D max_j |estimate - exact|_j / SE_j at x=({x[0]:g}, {x[1]:g})", worst, 0.0, tol=4.0,
                  comparison="le", claim=claims)
    ctx.progress("2-D done")

    # The O(η′) bias: the error at x = -1.5 for larger steps (more chains to see it).
    etas = np.array([0.02, 0.01, step_size]) if not ctx.quick else np.array([0.02, step_size])
    errs, ses = [], []
    for eta in etas:
        e, s = estimate(grad1, [xs1[0]], eta, n=2 * n_chains)
        errs.append(abs(e[0] - exact1[0]))
        ses.append(s[0])
    ctx.check("bias at the largest step exceeds the one used (O(step) bias is seen)",
              errs[0] > errs[-1], True, comparison="true")

    with _style.context():
        fig, (ax1, ax2, ax3) = plt.subplots(1, 3, figsize=(16, 5))
        mc = _style.MONTE_CARLO
        xx = np.linspace(-2.2, 2.2, 400)
        ax1.plot(xx, exact_local_entropy_gradient(f1(axis), [axis], GAMMA, xx[:, None])[:, 0],
                 color=_style.EXACT, label=r"exact $\nabla f_\gamma$ (local entropy on a grid)")
        ax1.plot(xx, grad1(xx), color="0.5", ls="--", lw=1, label=r"$\nabla f$ (for comparison)")
        ax1.errorbar(xs1, est1, yerr=4 * se1, fmt="o", color=mc, capsize=3,
                     label="Langevin estimate ± 4 standard errors")
        ax1.set(title=f"1-D: f(y) = (y²−1)²/2, γ = {GAMMA}", xlabel="x (dimensionless)",
                ylabel="gradient (dimensionless)", ylim=(-4, 4))
        ax1.legend(loc="upper left")
        q = np.linspace(-2, 2, 200)
        q0, q1 = np.meshgrid(q, q, indexing="ij")
        ax2.contour(q0, q1, f2(q0, q1), 20, cmap="Greys", linewidths=0.7)
        ax2.plot([], [], color="0.6", lw=0.7, label="level sets of f")
        # arrows at a common scale: the longest exact one is 0.8 long
        scale = np.max(np.linalg.norm(exact2, axis=1)) / 0.8
        arrows = dict(angles="xy", scale_units="xy", scale=scale, width=0.006)
        ax2.quiver(xs2[:, 0], xs2[:, 1], -exact2[:, 0], -exact2[:, 1], color=_style.EXACT,
                   alpha=0.3, label=r"$-\nabla f_\gamma$, exact", **{**arrows, "width": 0.014})
        ax2.quiver(xs2[:, 0], xs2[:, 1], -est2[:, 0], -est2[:, 1], color=mc,
                   label=r"$-\nabla f_\gamma$, Langevin estimate", **{**arrows, "width": 0.004})
        ax2.plot(xs2[:, 0], xs2[:, 1], "o", color="0.2", ms=3, label="points x")
        ax2.set(title="2-D: coupled non-convex f (arrows: descent direction)",
                xlabel="x₀ (dimensionless)", ylabel="x₁ (dimensionless)", aspect="equal")
        ax2.legend(loc="lower left", fontsize=7.5)
        ax3.loglog(etas, errs, "o-", color=mc, label="|estimate − exact| at x = −1.5")
        ax3.loglog(etas, ses, "s:", color="0.4", mfc="white", label="Monte Carlo standard error")
        _style.slope_triangle(ax3, etas, errs, 1, side="above", gap=0.6,
                              text="slope 1 (O(η′) bias)")
        ax3.axvline(step_size, color="0.6", lw=0.8, ls="--", label="η′ used in the 1-D/2-D panels")
        ax3.set(title="the unadjusted chain's bias grows with the step η′",
                xlabel="Langevin step η′ (dimensionless)",
                ylabel="gradient error (dimensionless)")
        _style.plain_log_ticks(ax3)
        ax3.legend(loc="lower right", fontsize=7.5)
        _style.claim(fig, "The Langevin estimate (x − ⟨y⟩)/γ matches the exact local-entropy "
                          "gradient ∇f_γ within 4 Monte Carlo standard errors")
        ctx.save_figure(fig)
