"""Fokker–Planck for a λ-convex potential contracts the Wasserstein-2 distance like e^{−λt}.

Oberman (2017, background on the JKO scheme): for dx = −f′(x) dt + √(2/β) dW with
f″ ≥ λ > 0, any two solutions ρ₁, ρ₂ of the Fokker–Planck equation
ρ_t = (f′ρ)_x + β⁻¹ρ_xx satisfy d_W2(ρ₁(t), ρ₂(t)) ≤ e^{−λt} d_W2(ρ₁(0), ρ₂(0)); with
ρ₂ = ρ^∞ ∝ e^{−βf} this is the convergence to the Gibbs measure at rate λ.

The densities come from ``pdeopt.sde.controlled_sgd`` with V = 0 (its SGD density:
upwind Markov-chain generator, implicit Euler), on a fine grid; in 1-D,
d_W2² = ∫₀¹ |F₁⁻¹(q) − F₂⁻¹(q)|² dq with the quantile functions F⁻¹ (inverted CDFs).

Checks:

1. Sharpness on f = λx²/2 (Ornstein–Uhlenbeck): two Gaussians of equal variance and
   different means stay equal-variance Gaussians, d_W2(t) = e^{−λt}|m₁ − m₂| exactly.
   The discrete generator moves the mean exactly (m′ = −λm) and implicit Euler
   contracts it by (1 + λΔt)⁻¹ per step, so the reference is (1 + λΔt)^{−n}·d_W2(0);
   tolerance: 2h (each quantile function is resolved to a grid cell h).
2. The inequality on the non-quadratic f = λx²/2 + x⁴/4 (f″ = λ + 3x² ≥ λ), for two
   non-Gaussian starts and for (ρ(0), ρ^∞): max over t > 0 of d_W2(t) /
   ((1 + λΔt)^{−n} d_W2(0)) ≤ 1 + 2h/d_W2(T).
"""
import numpy as np

from ._harness import validation


def w2_distance(x, rho1, rho2, n_q=4000):
    """1-D Wasserstein-2 distance of two grid densities, by their quantile functions."""
    q = (np.arange(n_q) + 0.5) / n_q

    def quantile(rho):
        cdf = np.concatenate([[0.0], np.cumsum(rho)])
        cdf /= cdf[-1]
        edges = np.concatenate([x - 0.5 * (x[1] - x[0]), [x[-1] + 0.5 * (x[1] - x[0])]])
        return np.interp(q, cdf, edges)
    return float(np.sqrt(np.mean((quantile(rho1) - quantile(rho2)) ** 2)))


def fokker_planck(grad_f, x, rho0, t, n_steps, beta):
    """ρ(t_k) on the grid, k = 0..n_steps: pdeopt.sde.controlled_sgd's SGD density, V = 0."""
    from pdeopt.sde import controlled_sgd
    res = controlled_sgd(grad_f, lambda z: np.zeros_like(z), x, rho0, t=t, n_steps=n_steps,
                         beta=beta)
    return res.history["time"], res.history["rho_sgd"]


@validation("w2-contraction",
            source="Oberman 2017, background (JKO): W2 contraction of Fokker–Planck at rate λ",
            description="Fokker–Planck densities (pdeopt.sde.controlled_sgd, V = 0) of a "
                        "λ-convex potential: W2 between two solutions (quantile functions) "
                        "decays like e^(−λt), exactly for a quadratic.")
def w2_contraction(ctx):
    import matplotlib.pyplot as plt

    lam, beta, t_end = 1.0, 4.0, 2.0
    x = np.linspace(-5.0, 5.0, ctx.pick(quick=2001, default=4001))
    h = x[1] - x[0]
    n_steps = ctx.pick(quick=200, default=400)
    dt = t_end / n_steps

    def gauss(m, s):
        return np.exp(-(x - m) ** 2 / (2 * s ** 2))

    curves = {}
    # 1. Ornstein–Uhlenbeck: equality.
    times, ou1 = fokker_planck(lambda z: lam * z, x, gauss(-1.5, 0.4), t_end, n_steps, beta)
    _, ou2 = fokker_planck(lambda z: lam * z, x, gauss(1.0, 0.4), t_end, n_steps, beta)
    w_ou = np.array([w2_distance(x, a, b) for a, b in zip(ou1, ou2)])
    ref_ou = (1 + lam * dt) ** -np.arange(n_steps + 1) * w_ou[0]
    ctx.check("OU: max_t |W2(t) - (1 + lam dt)^(-n) W2(0)|", np.max(np.abs(w_ou - ref_ou)), 0.0,
              tol=2 * h, claim="oberman2017/w2-contraction", headline=True,
              note="the rate e^{-lam t} is attained; tolerance 2h (quantile resolution)")
    rate = -np.polyfit(times[1:], np.log(w_ou[1:]), 1)[0]
    ctx.check("OU: fitted decay rate of W2 vs log(1 + lam dt)/dt", rate,
              np.log(1 + lam * dt) / dt, tol=2 * h / (w_ou[-1] * t_end),
              claim="oberman2017/w2-contraction",
              note=f"lam = {lam}; tolerance 2h/(W2(T)·T)")
    curves["OU, two Gaussians"] = (w_ou, "C0")

    # 2. λ-convex quartic: the inequality, two solutions and the Gibbs measure.
    def grad_quartic(z):
        return lam * z + z ** 3

    _, q1 = fokker_planck(grad_quartic, x, gauss(-2.0, 0.3) + 0.5 * gauss(0.5, 0.2), t_end,
                          n_steps, beta)
    _, q2 = fokker_planck(grad_quartic, x, gauss(1.5, 0.5), t_end, n_steps, beta)
    gibbs = np.exp(-beta * (lam * x ** 2 / 2 + x ** 4 / 4))
    bound = (1 + lam * dt) ** -np.arange(n_steps + 1)
    w_q = np.array([w2_distance(x, a, b) for a, b in zip(q1, q2)])
    w_g = np.array([w2_distance(x, a, gibbs) for a in q1])
    for name, w, color in (("quartic, two solutions", w_q, "C1"),
                           ("quartic, rho(t) vs Gibbs", w_g, "C2")):
        ctx.check(f"{name}: max_(t>0) W2(t) / ((1 + lam dt)^(-n) W2(0))",
                  np.max(w[1:] / (bound[1:] * w[0])), 1.0, tol=2 * h / w[-1],
                  comparison="le", claim="oberman2017/w2-contraction",
                  note="tolerance 2h/W2(T)")
        curves[name] = (w, color)

    fig, (ax_w, ax_r) = plt.subplots(1, 2, figsize=(11, 4.4))
    for name, (w, color) in curves.items():
        ax_w.semilogy(times, w, color=color, lw=1.5, label=f"$W_2$, {name}")
        ax_w.semilogy(times, w[0] * np.exp(-lam * times), ":", color=color, lw=1)
    # one legend entry explains every dotted line: each curve's own bound
    ax_w.plot([], [], ":", color="grey", label=r"dotted: the bound $W_2(0)\,e^{-\lambda t}$ "
                                                "of the curve of its colour")
    ax_w.set(xlabel="time t (dimensionless)", ylabel="$W_2$ distance (units of x)",
             title=f"$W_2$ contracts at least at rate λ = {lam:g}")
    ax_w.legend(fontsize=7)
    for rho, color, lab in ((q1, "C1", r"$\rho_1$"), (q2, "C3", r"$\rho_2$")):
        for k, ls in ((0, "-"), (n_steps // 4, "--"), (n_steps, ":")):
            ax_r.plot(x, rho[k] / (rho[k].sum() * h), ls, color=color, lw=1,
                      label=f"{lab}, t = {times[k]:.2f}")
    ax_r.plot(x, gibbs / (gibbs.sum() * h), "k", lw=1.5,
              label=r"Gibbs $\rho^\infty \propto e^{-\beta f}$")
    ax_r.set(xlim=(-3, 3), xlabel="x (dimensionless)", ylabel="density (1/units of x)",
             title="quartic f = λx²/2 + x⁴/4: two Fokker–Planck solutions meet")
    ax_r.legend(fontsize=7)
    fig.suptitle("Oberman 2017: for a λ-convex potential the Fokker–Planck flow is a "
                 "W2 contraction, rate e^(−λt)", fontsize=11)
    fig.tight_layout()
    ctx.save_figure(fig)
