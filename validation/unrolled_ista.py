"""Unrolled ISTA with learned weights beats ISTA and FISTA at equal depth; their rates.

Lin (2019) cites ISTA-Net/ADMM-Net: iterations of a sparse-reconstruction solver,
unrolled into layers whose matrices and thresholds are learned. Here a K-layer
LISTA-CP network (x_{k+1} = S_{θ_k}(x_k + W_kᵀ(y − Ax_k)), started at ISTA's
W_k = A/L, θ_k = λ/L) is trained on synthetic sparse codes (x with 10 % N(0,1)
nonzeros, y = Ax, A Gaussian 50×100) and compared on 1000 fresh test pairs with
K iterations of ISTA and FISTA for the same λ, by NMSE = ‖x̂ − x‖²/‖x‖² (dB).

Checks:
* the learned network's NMSE at K layers is below FISTA's and ISTA's at K iterations
  (the claim), and below its own starting point (K ISTA steps) by ≥ 3 dB;
* on one lasso instance ISTA and FISTA obey F(x_k) − F* ≤ L‖x_0 − x*‖²/(2k) and
  ≤ 2L‖x_0 − x*‖²/(k+1)² (Beck & Teboulle 2009): largest ratio gap/bound ≤ 1, with F*
  and x* from 20 000 FISTA iterations (the gap at that point is ≤ 2L‖x*‖²/20001²,
  ~1e-8 of the initial gap — below the tolerances); ADMM reaches the same minimiser
  (‖z − x*‖/‖x*‖ ≤ 1e-6).
"""
import numpy as np

from pdeopt.lifted.unrolled import lista_forward, lista_init, lista_train, sparse_coding_data
from pdeopt.prox.lasso import admm_lasso, fista, ista, lasso_bounds

from . import _style
from ._harness import validation


# vectors of 100 entries: the NumPy soft-threshold beats a threaded kernel's start-up cost
NP = "numpy"


def _nmse_db(x_hat, x):
    return 10 * np.log10(np.sum((x_hat - x) ** 2) / np.sum(x ** 2))


@validation("unrolled-ista",
            source="Lin 2019 (ISTA-Net, ADMM-Net); Gregor & LeCun 2010; Beck & Teboulle 2009",
            description="a learned unrolled ISTA (LISTA) reaches lower error than ISTA and FISTA "
                        "at equal iteration count; ISTA O(1/k) and FISTA O(1/k^2) bounds hold.")
def unrolled_ista(ctx):
    import matplotlib.pyplot as plt
    rng = ctx.rng
    m, n, lam = 50, 100, 0.05
    a = rng.normal(size=(m, n)) / np.sqrt(m)
    layers = ctx.pick(quick=8, default=16)
    steps = ctx.pick(quick=300, default=1500)

    # ---- the learned network vs ISTA and FISTA at equal depth ------------------------------
    res = lista_train(a, lam, layers=layers, max_iter=steps, rng=rng, progress=ctx.progress)
    y, x = sparse_coding_data(a, 1000, rng=rng)
    per_layer = {
        "LISTA (learned)": [_nmse_db(v, x) for v in lista_forward(res.x, a, y, all_layers=True)[1:]],
        "ISTA": [_nmse_db(ista(a, y, lam, max_iter=k, record=False, backend=NP).x, x)
                 for k in range(1, layers + 1)],
        "FISTA": [_nmse_db(fista(a, y, lam, max_iter=k, record=False, backend=NP).x, x)
                  for k in range(1, layers + 1)],
    }
    start = _nmse_db(lista_forward(lista_init(a, lam, layers), a, y), x)
    ctx.check(f"NMSE at K={layers}: LISTA <= FISTA (dB)", per_layer["LISTA (learned)"][-1],
              per_layer["FISTA"][-1], comparison="le", claim="lin2019/unrolled-ista")
    ctx.check(f"NMSE at K={layers}: LISTA <= ISTA (dB)", per_layer["LISTA (learned)"][-1],
              per_layer["ISTA"][-1], comparison="le", claim="lin2019/unrolled-ista")
    ctx.check("LISTA gain over its ISTA initialisation (dB)",
              start - per_layer["LISTA (learned)"][-1], 3.0, comparison="ge",
              claim="lin2019/unrolled-ista")
    ctx.table("| K | " + " | ".join(per_layer) + " |\n|---|---|---|---|\n" + "\n".join(
        f"| {k + 1} | " + " | ".join(f"{per_layer[name][k]:.1f} dB" for name in per_layer) + " |"
        for k in range(0, layers, max(layers // 4, 1))))

    # ---- the rates of ISTA and FISTA on one lasso instance ---------------------------------
    y1, _ = sparse_coding_data(a, 1, rng=rng)
    y1 = y1[:, 0]
    ref = fista(a, y1, lam, max_iter=20000, record=False, backend=NP)
    x_star = ref.x
    f_star = 0.5 * np.sum((a @ x_star - y1) ** 2) + lam * np.sum(np.abs(x_star))
    iters = ctx.pick(quick=300, default=2000)
    gaps = {"ista": ista(a, y1, lam, max_iter=iters, backend=NP).history["objective"] - f_star,
            "fista": fista(a, y1, lam, max_iter=iters, backend=NP).history["objective"] - f_star}
    k = np.arange(1, iters + 1)  # the bounds hold from k = 1 (history row k is F(x_k))
    bounds = lasso_bounds(k, lipschitz=ref.info["lipschitz"], dist2=float(x_star @ x_star))
    for name in gaps:
        ctx.check(f"{name.upper()}: max gap/bound", np.max(gaps[name][1:] / bounds[name]),
                  1.0, comparison="le")
    z = admm_lasso(a, y1, lam, rho=1.0, max_iter=ctx.pick(quick=2000, default=5000),
                   record=False, backend=NP).x
    ctx.check("ADMM minimiser vs FISTA's (relative)", np.linalg.norm(z - x_star) /
              np.linalg.norm(x_star), 0.0, tol=1e-6)

    with _style.context():
        from matplotlib.ticker import MaxNLocator

        fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(13, 4.9))
        for name, vals in per_layer.items():
            key = name.split()[0]
            ax1.plot(np.arange(1, layers + 1), vals, ms=4,
                     **_style.method(key, label="{}: learned weights, one per layer"
                                     if key == "LISTA" else "{}: k iterations"))
        ax1.set(title=f"sparse coding (A: {m}×{n}, λ = {lam:g}), 1000 test signals",
                xlabel="layers / iterations k", ylabel="test NMSE ‖x̂ − x‖²/‖x‖² (dB)")
        ax1.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax1.legend(loc="lower left")
        formula = {"ista": "L‖x₀ − x*‖²/(2k)", "fista": "2L‖x₀ − x*‖²/(k+1)²"}
        for name in ("ista", "fista"):
            kw = _style.method(name, marker=False)
            ax2.loglog(k, np.maximum(gaps[name][1:], 1e-16), lw=1.5, **kw)
            ax2.loglog(k, bounds[name], ls="--", lw=1.2, color=kw["color"],
                       label=f"{kw['label']} bound {formula[name]}")
        ax2.set(title="one lasso instance: the gap stays below the Beck–Teboulle bounds",
                xlabel="iteration k", ylabel="objective gap F(x_k) − F* (dimensionless)",
                ylim=(1e-14, None))
        ax2.legend(loc="lower left")
        _style.claim(fig, "Learned unrolled ISTA (LISTA) beats ISTA and FISTA at equal depth; "
                          "ISTA and FISTA obey their O(1/k) and O(1/k²) bounds")
        ctx.save_figure(fig)
