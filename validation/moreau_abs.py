"""The Moreau envelope of |x| is the Huber function, and its minimiser is soft-thresholding.

Hopf–Lax: u(x, t) = min_y f(y) + |x − y|²/(2t) solves u_t + ½|u_x|² = 0 with
u(·, 0) = f (Osher 2018, Deep Relaxation). For f = |·| the minimum is known in
closed form (``shared/notes/formulas.md``):

    u(x, t) = |x| − t/2 if |x| ≥ t, x²/(2t) otherwise      (Huber)
    argmin  = sign(x)·max(|x| − t, 0)                      (soft-thresholding)

Here the minimum is taken by brute force over a fine grid of y, so the only error
is the grid's: the minimiser is found to within half a cell (h/2) and, the
objective being a parabola of curvature 1/t near it, the minimum value to within
(h/2)²/(2t) = h²/(8t).
"""
import numpy as np

from ._harness import validation


def huber(x, t):
    return np.where(np.abs(x) >= t, np.abs(x) - t / 2, x ** 2 / (2 * t))


def soft_threshold(x, t):
    return np.sign(x) * np.maximum(np.abs(x) - t, 0.0)


@validation("moreau-abs",
            source="Osher 2018, Deep Relaxation: Hopf–Lax formula and Moreau envelope",
            description="brute-force Moreau envelope of |x| equals the Huber function; "
                        "its argmin equals soft-thresholding, for several t.")
def moreau_abs(ctx):
    import matplotlib.pyplot as plt

    # Set up: candidate minimisers y on a fine grid (0 lies on it), evaluation points x.
    n_y = ctx.pick(quick=4001, default=16001)
    y = np.linspace(-5.0, 5.0, n_y)
    h = y[1] - y[0]
    x = np.sort(ctx.rng.uniform(-3.0, 3.0, size=ctx.pick(quick=300, default=1000)))
    times = (0.25, 0.5, 1.0, 2.0)

    fig, (ax_env, ax_arg) = plt.subplots(1, 2, figsize=(10, 4))
    for t in times:
        # Compute: min over the grid of |y| + |x − y|²/(2t), and where it is attained.
        objective = np.abs(y)[None, :] + (x[:, None] - y[None, :]) ** 2 / (2 * t)
        j = np.argmin(objective, axis=1)
        envelope = objective[np.arange(x.size), j]
        minimiser = y[j]

        # Check against the closed forms, to the grid's error.
        ctx.check(f"max|envelope - huber|, t={t}", np.max(np.abs(envelope - huber(x, t))), 0.0,
                  tol=h ** 2 / (8 * t) + 1e-12)
        ctx.check(f"max|argmin - soft_threshold|, t={t}",
                  np.max(np.abs(minimiser - soft_threshold(x, t))), 0.0, tol=h / 2 + 1e-12)

        # Draw what was checked: the brute-force values as points over the closed forms.
        line, = ax_env.plot(x, huber(x, t), lw=1.5, label=f"Huber, t={t}")
        ax_env.plot(x[::25], envelope[::25], "o", ms=3, color=line.get_color())
        ax_arg.plot(x, soft_threshold(x, t), lw=1.5, color=line.get_color(),
                    label=f"soft threshold, t={t}")
        ax_arg.plot(x[::25], minimiser[::25], "o", ms=3, color=line.get_color())
    ax_env.plot(x, np.abs(x), "k--", lw=1, label="f(x) = |x|")
    ax_env.set(title="Moreau envelope of |x|: brute force (dots) vs Huber", xlabel="x",
               ylabel="u(x, t)")
    ax_arg.set(title="minimiser: brute force (dots) vs soft-thresholding", xlabel="x",
               ylabel="prox_{t|.|}(x)")
    ax_env.legend(fontsize=8)
    ax_arg.legend(fontsize=8)
    ctx.save_figure(fig)
