"""RVSCGD learns a sparse teacher through binarized activations (Dinh & Xin 2020, Figure 4).

Model: h(Z, w) = (1/k)Σ_i σ(Z_iᵀw), σ = 1{· > 0}, Z ∈ R^{k×d} Gaussian, teacher w*
with ‖w*‖ = 1. Closed forms (``shared/notes/formulas.md``): population loss
f(w) = θ/(2πk) and expected coarse gradient E g = (w/‖w‖ − w*)/(2k√(2π)); both
are checked against Monte Carlo means with 4-standard-error tolerances.

RVSCGD: u ← prox_{(λ/β)P}(w), w ← normalize(w − η(g(w) + β(w − u))), with the
paper's k = 20, d = 50, β = 4e-3, λ = 1e-4 and the ℓ0 penalty (hard threshold at
√(2λ/β) = 0.224). The paper's η = 1e-5 moves w by ~1e-7 per step (‖E g‖ ≲ 0.02),
needing ~10⁷ steps; η = 5 is used here (η(c + β) ≈ 0.07 per step, c = 1/(2k√(2π))),
which only rescales time. Checks (Theorem 1): the Lagrangian
L_β(u, w) = f(w) + λ‖u‖₀ + (β/2)‖w − u‖² decreases monotonically, θ(w_t, w*)
decreases, and the limit satisfies c·w* = α·w̄ − β·ū, so for ℓ0 ū is exactly
parallel to w* restricted to ū's support — a thresholded w*.

Found on the way: E g is the spherical gradient of (1 − cos θ)/(2k√(2π)), not of
f = θ/(2πk). With that potential in place of f the Lagrangian decreases for any
teacher; with f itself it can rise slightly when a teacher entry is trapped below
the threshold (measured: +3.7e-8 in one step, 3e-5 relative, for teachers with
entries in (τ, τ/f₂)). The teacher here has none, as in the paper's experiment.

ADMM (the same steps plus the multiplier z, Section 3.3) is run at the same λ on
a compressible teacher; the paper says its u is less sparse.
"""
import numpy as np

from ._harness import validation


def _teacher(rng, d, nnz, spread):
    w = np.zeros(d)
    idx = rng.choice(d, nnz, replace=False)
    w[idx] = rng.choice([-1.0, 1.0], nnz) * spread
    return w / np.linalg.norm(w)


@validation("rvscgd",
            source="Dinh & Xin 2020, Theorem 1 and Figure 4; Yin et al. 2019 (coarse gradient)",
            description="closed-form population loss and expected coarse gradient match Monte "
                        "Carlo; RVSCGD (l0) decreases its Lagrangian and angle monotonically and "
                        "converges to a thresholded teacher; ADMM is less sparse.")
def rvscgd_validation(ctx):
    import matplotlib.pyplot as plt

    from pdeopt.optim import (admm_sparse, angle, expected_coarse_gradient, population_loss,
                              rvscgd, sample_inputs, sample_loss_and_coarse_gradient)

    k, d, beta, lam, lr = 20, 50, 4e-3, 1e-4, 5.0
    rng = ctx.rng

    # 1. Closed forms vs Monte Carlo, at random w of random norm. The standard errors
    #    come from batch means: the spread of n_batch independent chunk averages.
    n_mc, n_batch = ctx.pick(quick=20_000, default=60_000, full=400_000), 20
    # 6 nonzeros of magnitude ≥ 0.9/(√6·1.1) = 0.334: above τ/f₂ ≈ 0.32, the largest
    # teacher entry a start can trap below the threshold τ (off ū's support the
    # limit is w̄_i = f₂w*_i with f₂ = c/(c + β − C) ≈ 0.7)
    w_star = _teacher(rng, d, 6, rng.uniform(0.9, 1.1, 6))
    worst_loss_z, worst_grad_z = 0.0, 0.0
    for _ in range(3):
        w = rng.normal(size=d) * rng.uniform(0.5, 3)
        means = [sample_loss_and_coarse_gradient(w, sample_inputs(n_mc // n_batch, k, d, rng=rng),
                                                 w_star) for _ in range(n_batch)]
        loss_b = np.array([m[0] for m in means])
        grad_b = np.array([m[1] for m in means])
        se_loss = loss_b.std(ddof=1) / np.sqrt(n_batch)
        se_grad = grad_b.std(axis=0, ddof=1) / np.sqrt(n_batch)
        worst_loss_z = max(worst_loss_z, abs(loss_b.mean() - population_loss(w, w_star, k))
                           / se_loss)
        worst_grad_z = max(worst_grad_z, np.max(np.abs(grad_b.mean(0) - expected_coarse_gradient(
            w, w_star, k)) / se_grad))
    # batch-means z-scores follow Student's t with 19 degrees of freedom: P(|t| > 4) ≈ 8e-4
    ctx.check("population loss vs Monte Carlo (standard errors)", worst_loss_z, 0.0, tol=4.0,
              comparison="le", note=f"{n_mc} samples, 3 points", claim="dinhxin2020/lemma2")
    ctx.check("expected coarse gradient vs MC (max |t| of 150)", worst_grad_z, 0.0, tol=5.5,
              comparison="le", note="P(max |t₁₉| > 5.5 of 150) ≈ 4e-3", claim="dinhxin2020/lemma2")

    # 2. Population RVSCGD from several random starts.
    n_starts = ctx.pick(quick=2, default=5, full=20)
    n_iter = ctx.pick(quick=800, default=3000, full=10000)
    runs = [rvscgd(rng.normal(size=d), w_star, k, lam=lam, beta=beta, lr=lr, max_iter=n_iter,
                   penalty_kind="l0", tol=1e-13) for _ in range(n_starts)]
    L0 = max(r.history["lagrangian"][0] for r in runs)
    ctx.check("max one-step increase of the Lagrangian", max(
        np.max(np.diff(r.history["lagrangian"])) for r in runs), 0.0, tol=1e-14 * L0,
        comparison="le", note="rounding of L",
        claim=["dinhxin2020/lemma6-lagrangian", "dinhxin2020/fig4"])
    ctx.check("max one-step increase of theta(w_t, w*)", max(
        np.max(np.diff(r.history["angle"])) for r in runs), 0.0, tol=1e-12, comparison="le",
        claim=["dinhxin2020/lemma5-angle", "dinhxin2020/fig4"])
    # the limit: ū ∝ w* on ū's support S, and S within the teacher's support
    par = max(angle(r.info["u"], np.where(r.info["u"] != 0, w_star, 0)) for r in runs)
    ctx.check("angle(u_bar, w* restricted to supp u_bar), worst start", par, 0.0, tol=1e-8,
              claim="dinhxin2020/corollary-l0")
    ctx.check("supp u_bar inside supp w*, all starts", all(
        np.all(w_star[r.info["u"] != 0] != 0) for r in runs), True, comparison="true",
              claim="dinhxin2020/corollary-l0")
    exact = sum(np.array_equal(r.info["u"] != 0, w_star != 0) for r in runs)
    ctx.check("starts whose u_bar has the full support of w*", exact, n_starts, comparison="ge",
              claim="dinhxin2020/corollary-l0")

    # 3. Sample version: m training inputs, the empirical coarse gradient.
    m = ctx.pick(quick=500, default=2000, full=10000)
    Z = sample_inputs(m, k, d, rng=rng)
    samp = rvscgd(rng.normal(size=d), w_star, k, lam=lam, beta=beta, lr=lr, Z=Z,
                  max_iter=ctx.pick(quick=300, default=1000, full=3000))
    ctx.check(f"sample version (m={m}): final theta(w, w*)", samp.history["angle"][-1], 0.0,
              tol=np.sqrt(d / m), comparison="le", note="statistical error ~ sqrt(d/m)")

    # 4. RVSCGD vs ADMM at equal λ on a compressible teacher (entries spread over [0.1, 1]).
    w_c = _teacher(rng, d, 12, np.linspace(0.1, 1.0, 12))
    lams = np.array([3e-5, 6e-5, 1e-4, 1.5e-4, 2e-4, 3e-4])
    w0 = rng.normal(size=d)
    rows, pareto = [], {"RVSCGD": [], "ADMM": []}
    for lm in lams:
        for name, fn in (("RVSCGD", rvscgd), ("ADMM", admm_sparse)):
            r = fn(w0, w_c, k, lam=lm, beta=beta, lr=lr, max_iter=n_iter, penalty_kind="l0")
            u = r.info["u"]
            pareto[name].append((np.count_nonzero(u), population_loss(u, w_c, k)))
        rows.append(f"| {lm:.1e} | {pareto['RVSCGD'][-1][0]} | {pareto['ADMM'][-1][0]} | "
                    f"{pareto['RVSCGD'][-1][1]:.2e} | {pareto['ADMM'][-1][1]:.2e} |")
    nnz_r = np.array([p[0] for p in pareto["RVSCGD"]])
    nnz_a = np.array([p[0] for p in pareto["ADMM"]])
    ctx.check("nnz(u) RVSCGD - ADMM at the paper's lambda=1e-4", nnz_r[2] - nnz_a[2], 0,
              comparison="le", tol=-1, note="strictly sparser",
              claim="dinhxin2020/sparser-than-admm")
    ctx.check("lambdas where RVSCGD is at least as sparse as ADMM", np.sum(nnz_r <= nnz_a),
              len(lams), comparison="ge", claim="dinhxin2020/sparser-than-admm")
    # At equal loss: where the sparsity ranges overlap, RVSCGD's loss-vs-nnz curve lies
    # on or below ADMM's, i.e. the same loss needs no more nonzeros.
    order = np.argsort(nnz_r)
    f_r = np.array([p[1] for p in pareto["RVSCGD"]])[order]
    overlap = [(n_a, f_a) for n_a, f_a in pareto["ADMM"] if nnz_r.min() <= n_a <= nnz_r.max()]
    gap = max(np.interp(n_a, nnz_r[order], f_r) - f_a for n_a, f_a in overlap)
    ctx.check("max over ADMM points: f_RVSCGD(nnz) - f_ADMM at equal nnz", gap, 0.0,
              comparison="le", note=f"{len(overlap)} ADMM points in RVSCGD's nnz range",
              claim="dinhxin2020/same-loss-as-admm")
    ctx.table("| λ | nnz(ū) RVSCGD | nnz(u) ADMM | f(ū) RVSCGD | f(u) ADMM |\n"
              "| --- | --- | --- | --- | --- |\n" + "\n".join(rows) +
              "\n\nAt equal λ RVSCGD's limit is sparser; at equal nnz its loss f(u) is no "
              "higher (figure, bottom right).")

    # Figure 4 of the paper: Lagrangian and angle vs iteration; the limit vs the teacher.
    fig, axes = plt.subplots(2, 2, figsize=(11, 8))
    for r in runs:
        axes[0, 0].semilogy(r.history["lagrangian"] - r.history["lagrangian"][-1] + 1e-16, lw=1)
        axes[0, 1].semilogy(r.history["angle"] + 1e-16, lw=1)
    axes[0, 1].semilogy(samp.history["angle"], "k--", lw=1, label=f"sample, m = {m}")
    axes[0, 0].set(title="L_β(u_t, w_t) − L_β(ū, w̄) (population)", xlabel="iteration t")
    axes[0, 1].set(title="θ(w_t, w*)", xlabel="iteration t")
    axes[0, 1].legend(fontsize=8)
    u = runs[0].info["u"]
    axes[1, 0].stem(np.arange(d), w_star, linefmt="C0-", markerfmt="C0o", basefmt="k-",
                    label="w*")
    axes[1, 0].plot(np.arange(d), u / np.linalg.norm(u), "C3x", label="ū/‖ū‖ (RVSCGD, ℓ0)")
    axes[1, 0].set(title="limit vs teacher", xlabel="component")
    axes[1, 0].legend(fontsize=8)
    for name, mk in (("RVSCGD", "o-"), ("ADMM", "s--")):
        nz, fl = zip(*pareto[name])
        axes[1, 1].plot(nz, fl, mk, label=name)
    axes[1, 1].set(title="compressible w*: f(u) vs nnz(u) over λ", xlabel="nnz(u)",
                   ylabel="population loss f(u)")
    axes[1, 1].legend(fontsize=8)
    fig.tight_layout()
    ctx.save_figure(fig)
