"""BinaryRelax's closed forms: the projection onto quantized sets and the relaxed prox.

Osher (2018, BinaryRelax; Yin et al. 2018): for Q = {s·q : s > 0, q ∈ Cⁿ} with codes
C = {±1} (binary) or {0, ±1} (ternary), proj_Q(y) has an analytic solution — binary:
q = sign(y), s = mean|y|; ternary: keep the j* largest |y_i|, j* = argmax_j c_j²/j with
c_j the sum of the j largest. The Moreau envelope of the indicator χ_Q is
min_x χ_Q(x) + ‖x − y‖²/(2t) = dist(y, Q)²/(2t), and the relaxed step
argmin_x ½‖x − y‖² + (λ/2)·dist(x, Q)² = (λ·proj_Q(y) + y)/(λ + 1).

Checks against brute force, independent of the closed forms: every code q ∈ Cⁿ
(n = 8: 256 binary, 6561 ternary codes) with its best scale ⟨q, y⟩/‖q‖² gives the
exact projection; ``pdeopt.quant.QuantizedSet.project``/``dist`` must match it to
rounding. The relaxed prox ``QuantizedSet.relax`` must attain the least value of
½‖x − y‖² + (λ/2)·dist(x, Q)² (dist by brute force) found by L-BFGS from 20 starts
(tolerance 1e-9 of the objective: L-BFGS's stopping accuracy), and L-BFGS started at y
must land on it (to 1e-5).
"""
import itertools

import numpy as np
import scipy.optimize

from ._harness import validation

N = 8


def brute_projection(y, codes):
    """proj_Q(y) by enumerating the codes q, each with its best scale ⟨q, y⟩/‖q‖² (≥ 0)."""
    qq = np.einsum("ij,ij->i", codes, codes)
    scale = np.maximum(codes @ y, 0.0) / np.where(qq > 0, qq, 1.0)
    dist2 = np.sum((scale[:, None] * codes - y) ** 2, axis=1)
    dist2[qq == 0] = np.inf                      # the zero code has no scale
    i = int(np.argmin(dist2))
    return scale[i] * codes[i], float(np.sqrt(dist2[i]))


@validation("quantized-prox",
            source="Osher 2018, BinaryRelax: proj_Q closed forms, Moreau envelope of the "
                   "indicator of Q, relaxed prox (λ proj_Q(y) + y)/(λ + 1)",
            description="pdeopt.quant.QuantizedSet's binary/ternary projection, distance and "
                        "relaxed prox equal brute force over every code (n = 8).")
def quantized_prox(ctx):
    import matplotlib.pyplot as plt

    from pdeopt.quant import QuantizedSet

    codes = {"binary": np.array(list(itertools.product((-1.0, 1.0), repeat=N))),
             "ternary": np.array(list(itertools.product((-1.0, 0.0, 1.0), repeat=N)))}
    n_vec = ctx.pick(quick=10, default=40)
    ys = ctx.rng.normal(size=(n_vec, N)) * ctx.rng.uniform(0.2, 3.0, size=(n_vec, 1))
    rounding = 1e-12
    for kind, cs in codes.items():
        Q = QuantizedSet(kind)
        proj_err, env_err = 0.0, 0.0
        for y in ys:
            p_brute, d_brute = brute_projection(y, cs)
            proj_err = max(proj_err, np.max(np.abs(Q.project(y) - p_brute)))
            t = 0.7
            env_err = max(env_err, abs(Q.dist(y) ** 2 / (2 * t) - d_brute ** 2 / (2 * t)))
        ctx.check(f"{kind}: max |proj_Q(y) - brute force| over {n_vec} y", proj_err, 0.0,
                  tol=rounding * 10, claim="osher2018/quantized-projection", headline=True,
                  note=f"{len(cs)} codes enumerated")
        ctx.check(f"{kind}: Moreau envelope of chi_Q: |dist(y,Q)²/(2t) - min_Q |x-y|²/(2t)|",
                  env_err, 0.0, tol=rounding * 10, claim="osher2018/moreau-of-indicator")

        # Relaxed prox against a numerical minimisation of its objective.
        lam = 1.5
        gap, land = -np.inf, 0.0
        for y in ys[: ctx.pick(quick=3, default=8)]:
            def objective(x):
                return 0.5 * np.sum((x - y) ** 2) + 0.5 * lam * brute_projection(x, cs)[1] ** 2
            closed = Q.relax(y, lam)
            starts = [y] + list(y + ctx.rng.normal(size=(19, N)))
            found = [scipy.optimize.minimize(objective, s, method="L-BFGS-B",
                                             options={"ftol": 1e-15, "gtol": 1e-10}).x
                     for s in starts]
            gap = max(gap, objective(closed) - min(objective(x) for x in found))
            land = max(land, np.max(np.abs(found[0] - closed)))
        ctx.check(f"{kind}: relaxed prox objective - best of 20 L-BFGS minima (lam={lam})",
                  gap, 0.0, tol=1e-9, comparison="le", claim="osher2018/moreau-of-indicator",
                  headline=kind == "ternary", note="(lam proj_Q(y) + y)/(lam + 1) is the minimum")
        ctx.check(f"{kind}: |L-BFGS from y - (lam proj_Q(y) + y)/(lam + 1)|", land, 0.0,
                  tol=1e-5, comparison="le", claim="osher2018/moreau-of-indicator")

    # Figure: in 1-D slices, the relaxed prox moves y part of the way to proj_Q(y).
    fig, (ax_p, ax_r) = plt.subplots(1, 2, figsize=(11, 4.2))
    y = ys[0]
    for kind, color in (("binary", "C0"), ("ternary", "C1")):
        Q = QuantizedSet(kind)
        order = np.argsort(y)
        ax_p.plot(y[order], Q.project(y)[order], "o-", color=color, label=f"proj_Q(y), {kind}")
        p_brute, _ = brute_projection(y, codes[kind])
        ax_p.plot(y[order], p_brute[order], "x", color="k", ms=8,
                  label="brute force over all codes" if kind == "binary" else None)
        lams = np.geomspace(0.01, 100, 40)
        ax_r.semilogx(lams, [np.linalg.norm(Q.relax(y, lm) - y) / Q.dist(y) for lm in lams],
                      color=color, label=f"‖relax(y, λ) − y‖ / dist(y, Q), {kind}")
    ax_r.semilogx(lams, lams / (lams + 1), "k:", label="λ/(λ + 1)")
    ax_p.set(xlabel="y_i", ylabel="(proj_Q y)_i", title="projection onto Q = s·Cⁿ (n = 8)")
    ax_p.legend(fontsize=8)
    ax_r.set(xlabel="λ", ylabel="fraction of the way to Q",
             title="relaxed prox (λ proj_Q(y) + y)/(λ + 1)")
    ax_r.legend(fontsize=8)
    ctx.save_figure(fig)
