"""Gradient descent, heavy ball and Nesterov against the rates of Theorems 1–3; Lemma 4.

Lin (2019) motivates optimization-inspired architectures by two facts checked here.

1. Lemma 4: for W = U² symmetric positive definite, the layer x ↦ Φ(Wx) is one
   unit-step gradient step on f(z) = ½‖z‖² − Σ_i g̃(U_iᵀz) in z = Ux, i.e.
   z − ∇f(z) = UΦ(Uz). ∇f is taken by central differences (error O(h²) ≈ 1e-9 at
   h = 1e-5 on these O(1) functions), so the identity must hold to ~1e-7; and ten
   layers of the weight-tied network equal ten GD steps mapped back by U⁻¹ to rounding.
   Table 1 (the objectives of sigmoid, tanh, softplus, softsign, ReLU, leaky ReLU, ELU,
   swish), transcribed as printed, is checked the same way: z − ∇f(z) = UΦ(Uz). Two
   rows fail as printed: softsign's −log(s − 1) for s ≤ 0 is undefined (the integral of
   φ is |s| − log(1 + |s|)), and leaky ReLU's α²s²/2 has derivative α²s instead of αs;
   with those corrected both pass (1e-10), so the check itself is sound.
2. The rates: on convex quadratics f = ½(x − x*)ᵀA(x − x*) with spectrum in [0, L],
   GD (η = 1/L) obeys 2L‖x_1 − x*‖²/(t − 1) (Theorem 1), heavy ball with
   α_k = α_0/(k + 2), β_k = k/(k + 2) obeys ‖x_0 − x*‖²/(2α_0(t + 1)) (Theorem 2),
   Nesterov obeys 2L‖x_1 − x*‖²/t² (Theorem 3): the largest ratio of the measured
   gap to the bound must be ≤ 1 (no tolerance: these are theorems). On strongly
   convex quadratics (spectrum in [μ, L]) GD with η = 2/(L + μ) contracts by exactly
   q_GD = (L − μ)/(L + μ) per step in the worst eigen-direction, and heavy ball with
   Polyak's parameters converges linearly at q_HB = (√L − √μ)/(√L + √μ). The rate is
   fitted over the second half of the run; at the spectrum's ends the heavy-ball
   iteration matrix has a double eigenvalue q_HB, so ‖e_k‖ ~ k·q_HB^k and the fitted
   rate may exceed q_HB by the factor 2^{2/K} (K iterations) — the tolerance.
"""
import numpy as np

from pdeopt.lifted import get_lifted_activation
from pdeopt.lifted.accelerated import (gradient_descent, heavy_ball, layer_objective, nesterov,
                                       polyak_parameters, rate_bounds)

from . import _style
from ._harness import validation


def _quadratic(rng, eigenvalues):
    n = eigenvalues.size
    q, _ = np.linalg.qr(rng.normal(size=(n, n)))
    a = (q * eigenvalues) @ q.T
    x_star = rng.normal(size=n)
    return a, x_star, (lambda x: 0.5 * (x - x_star) @ a @ (x - x_star)), (lambda x: a @ (x - x_star))


def _li2(z):
    """Dilogarithm polylog(2, z) for real z ≤ 1 (scipy's spence(1 − z))."""
    from scipy.special import spence
    return spence(1.0 - z)


_A = 0.1      # leaky ReLU's α; ELU's a = 1
# Lin 2019, Table 1: activation φ and the per-unit term of f(x) = ‖x‖²/2 − Σ_i term(U_iᵀx),
# transcribed as printed.
TABLE1 = {
    "sigmoid": (lambda s: 1 / (1 + np.exp(-s)), lambda s: s + np.log(np.exp(-s) + 1)),
    "tanh": (np.tanh, lambda s: s + np.log(np.exp(-2 * s) + 1)),
    "softplus": (lambda s: np.log(np.exp(s) + 1), lambda s: -_li2(-np.exp(s))),
    "softsign": (lambda s: s / (1 + np.abs(s)),
                 lambda s: np.where(s > 0, s - np.log(np.abs(s) + 1), -s - np.log(s - 1))),
    "relu": (lambda s: np.maximum(s, 0), lambda s: np.where(s > 0, s ** 2 / 2, 0.0)),
    "leaky relu": (lambda s: np.where(s > 0, s, _A * s),
                   lambda s: np.where(s > 0, s ** 2 / 2, _A ** 2 * s ** 2 / 2)),
    "elu": (lambda s: np.where(s > 0, s, np.exp(np.minimum(s, 0)) - 1),
            lambda s: np.where(s > 0, s ** 2 / 2, np.exp(np.minimum(s, 0)) - s)),
    "swish": (lambda s: s / (1 + np.exp(-s)),
              lambda s: s ** 2 / 2 + s * np.log(np.exp(-s) + 1) - _li2(-np.exp(-s))),
}


def _table_objective(u, term):
    """f(z) = ‖z‖²/2 − Σ_i term(U_iᵀz)."""
    return lambda z: 0.5 * z @ z - float(np.sum(term(u @ z)))


def _fitted_rate(err):
    k = np.arange(err.size)
    half = err.size // 2
    slope = np.polyfit(k[half:], np.log(err[half:]), 1)[0]
    return float(np.exp(slope))


@validation("accelerated-rates",
            source="Lin 2019, Theorems 1–3 and Lemma 4 (optimization algorithms as architectures)",
            description="GD, heavy ball and Nesterov on convex and strongly convex quadratics "
                        "obey the rates of Theorems 1–3; a layer Φ(Wx) is a GD step (Lemma 4).")
def accelerated_rates(ctx):
    import matplotlib.pyplot as plt
    rng = ctx.rng

    # ---- Lemma 4 ---------------------------------------------------------------------------
    d = 12
    b = rng.normal(size=(d, d)) / np.sqrt(d)
    w = b @ b.T + 0.2 * np.eye(d)                      # symmetric positive definite
    lam, vec = np.linalg.eigh(w)
    u = (vec * np.sqrt(lam)) @ vec.T                   # U = W^{1/2}
    h = 1e-5
    worst = 0.0
    for name in ("sigmoid", "tanh", "relu", "leaky_relu", "elu", "softplus"):
        f, step = layer_objective(u, name)
        z = rng.normal(size=d)
        grad = np.array([(f(z + h * e) - f(z - h * e)) / (2 * h) for e in np.eye(d)])
        worst = max(worst, float(np.max(np.abs((z - grad) - step(z)))))
    ctx.check("Lemma 4: max |z - grad f(z) - U phi(Uz)|", worst, 0.0, tol=1e-7,
              claim="lin2019/lemma4")
    act = get_lifted_activation("tanh")
    x = rng.normal(size=d)
    z = u @ x
    _, step = layer_objective(u, act)
    for _ in range(10):
        x, z = act.phi(w @ x), step(z)
    ctx.check("10 layers phi(Wx) = U^-1 (10 GD steps on z)",
              np.max(np.abs(x - np.linalg.solve(u, z))), 0.0, tol=1e-10, claim="lin2019/lemma4")

    # ---- Table 1: the objectives as printed ------------------------------------------------
    # z − ∇f(z) = UΦ(Uz) for the paper's f, by central differences (tolerance 1e-7, as
    # above). Two rows as printed cannot hold: softsign's −log(s − 1) is undefined for
    # s ≤ 0 (∫ is |s| − log(1 + |s|)), leaky ReLU's α²s²/2 has derivative α²s, not αs.
    table_rows = []
    for name, (phi, f_table) in TABLE1.items():
        f = _table_objective(u, f_table)
        z = rng.normal(size=d) * 1.5
        with np.errstate(invalid="ignore"):
            grad = np.array([(f(z + h * e) - f(z - h * e)) / (2 * h) for e in np.eye(d)])
        gap = float(np.max(np.abs((z - grad) - u @ phi(u @ z))))
        table_rows.append(f"| {name} | {gap:.2e} |")
        ctx.check(f"Table 1, {name}: max |z - grad f_table(z) - U phi(Uz)|", gap, 0.0,
                  tol=1e-7, claim="lin2019/objectives-table", paper=True,
                  note="f as printed in the paper's Table 1")
    ctx.table("Lin 2019, Table 1 as printed: max |z − ∇f(z) − UΦ(Uz)| (nan: f undefined)\n\n"
              "| activation | gap |\n|---|---|\n" + "\n".join(table_rows))

    # ---- convex: Theorems 1-3 --------------------------------------------------------------
    n = ctx.pick(quick=100, default=300)
    iters = ctx.pick(quick=300, default=2000)
    big_l = 1.0
    # eigenvalues crowd near 0 (the hard case for first-order methods)
    a, x_star, f, grad = _quadratic(rng, big_l * np.linspace(0.0, 1.0, n) ** 3)
    x0 = np.zeros(n)
    dist2 = float(x_star @ x_star)
    gap = {"GD": gradient_descent(grad, x0, step=1 / big_l, max_iter=iters, f=f).history["f"],
           "heavy ball": heavy_ball(grad, x0, step=lambda k: (1 / big_l) / (k + 2),
                                    momentum=lambda k: k / (k + 2), max_iter=iters,
                                    f=f).history["f"],
           "Nesterov": nesterov(grad, x0, lipschitz=big_l, max_iter=iters, f=f).history["f"]}
    k = np.arange(iters + 1)
    # GD and Nesterov count from x_1 = x0 (history index 0); heavy ball from x_0
    bounds = {"GD": rate_bounds(k + 1, lipschitz=big_l, dist2=dist2)["gd"],
              "heavy ball": rate_bounds(k, lipschitz=big_l, dist2=dist2)["heavy_ball"],
              "Nesterov": rate_bounds(k + 1, lipschitz=big_l, dist2=dist2)["nesterov"]}
    theorem = {"GD": "Theorem 1", "heavy ball": "Theorem 2", "Nesterov": "Theorem 3"}
    claims = {"GD": "lin2019/theorem1-gd", "heavy ball": "lin2019/theorem2-heavy-ball",
              "Nesterov": "lin2019/theorem3-nesterov"}
    for name in gap:
        ok = np.isfinite(bounds[name])
        ctx.check(f"{theorem[name]}: max gap/bound, {name}",
                  np.max(gap[name][ok] / bounds[name][ok]), 1.0, comparison="le",
                  claim=claims[name])
    ctx.check("Nesterov gap < GD gap / 10 at the last iterate", gap["Nesterov"][-1],
              gap["GD"][-1] / 10, comparison="le")

    # ---- strongly convex: linear rates -----------------------------------------------------
    mu, big_l2 = 0.01, 1.0
    a2, x2_star, f2, grad2 = _quadratic(rng, np.linspace(mu, big_l2, n))
    iters2 = ctx.pick(quick=300, default=1000)

    def errors(res_fn):
        xs = []
        res_fn(lambda x: (xs.append(x.copy()), grad2(x))[1])
        return np.linalg.norm(np.array(xs) - x2_star, axis=1)
    q_gd = (big_l2 - mu) / (big_l2 + mu)
    alpha, beta, q_hb = polyak_parameters(mu, big_l2)
    e_gd = errors(lambda g: gradient_descent(g, x0, step=2 / (big_l2 + mu), max_iter=iters2))
    e_hb = errors(lambda g: heavy_ball(g, x0, step=alpha, momentum=beta, max_iter=iters2))
    kk = np.arange(e_gd.size)
    ctx.check("GD: max ||e_k|| / (q_GD^k ||e_0||)", np.max(e_gd / (q_gd ** kk * e_gd[0])), 1.0,
              comparison="le", tol=1e-9, claim="lin2019/linear-rates")
    ctx.check("GD fitted linear rate vs q_GD", _fitted_rate(e_gd), q_gd, comparison="le",
              tol=1e-9, claim="lin2019/linear-rates")
    # fit before the rounding floor: up to where the error has fallen by 1e10
    k_fit = int(np.argmax(e_hb / e_hb[0] < 1e-10)) or e_hb.size - 1
    hb_rate = _fitted_rate(e_hb[:k_fit + 1])
    ctx.check("heavy ball fitted linear rate vs q_HB", hb_rate, q_hb, comparison="le",
              tol=q_hb * (2 ** (2 / k_fit) - 1), claim="lin2019/linear-rates")
    ctx.check("heavy ball rate < GD rate", hb_rate, _fitted_rate(e_gd), comparison="le",
              claim="lin2019/linear-rates")

    # ---- figure ----------------------------------------------------------------------------
    colors = {"GD": _style.color("gd"), "heavy ball": _style.BLUE, "Nesterov": _style.ORANGE}
    with _style.context():
        fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.8))
        for name in gap:
            t = k + (0 if name == "heavy ball" else 1)
            ax1.loglog(t, gap[name], color=colors[name], lw=1.5, label=f"{name}: measured")
            ax1.loglog(t, bounds[name], "--", color=colors[name], lw=1,
                       label=f"{name}: {theorem[name]} bound")
        ax1.set(title=f"convex quadratic, $n = {n}$, eigenvalues $L\\,(j/n)^3$",
                xlabel="iteration $t$", ylabel="gap $f(x_t) - f^*$ (dimensionless)",
                ylim=(1e-12, None))
        ax1.legend(fontsize=8, ncol=1, loc="lower left")
        ax2.semilogy(kk, e_gd / e_gd[0], color=colors["GD"], lw=1.5,
                     label=r"GD, step $2/(L+\mu)$: measured")
        ax2.semilogy(kk, q_gd ** kk, "--", color=colors["GD"], lw=1,
                     label=rf"GD rate $q_{{GD}}^k$, $q_{{GD}} = {q_gd:.3f}$")
        ax2.semilogy(np.arange(e_hb.size), e_hb / e_hb[0], color=colors["heavy ball"], lw=1.5,
                     label="heavy ball (Polyak): measured")
        ax2.semilogy(kk, q_hb ** kk, "--", color=colors["heavy ball"], lw=1,
                     label=rf"heavy-ball rate $q_{{HB}}^k$, $q_{{HB}} = {q_hb:.3f}$")
        ax2.set(title=rf"strongly convex quadratic, $L/\mu = {big_l2 / mu:.0f}$",
                xlabel="iteration $k$",
                ylabel=r"$\|x_k - x^*\| \,/\, \|x_0 - x^*\|$ (dimensionless)",
                ylim=(1e-16, 2))
        ax2.legend(fontsize=8, loc="lower left")
        _style.claim(fig, "Gradient descent, heavy ball and Nesterov stay below the bounds "
                          "of Theorems 1–3 and converge at the predicted linear rates")
        ctx.save_figure(fig)
