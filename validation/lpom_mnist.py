"""LPOM vs SGD vs ADMM on the MLPs of the seed's Table 2; saturating activations.

Lin (2019), Table 2 (from Li, Fang & Lin, AAAI 2019) trains MLPs with hidden
layers 300, 300-100, 500-150, 500-200-100 and 400-200-100-50 on MNIST by LPOM and
reports 97.7, 96.9, 97.1, 96.2, 96.1 % test accuracy, against 89.8, 87.5, 86.5,
85.3, 77.0 % for the convex relaxation of Askari et al. (2018); Figure 1 shows
LPOM's accuracy per epoch close to SGD's. Here the same nets are trained by LPOM
(block coordinate descent, no backpropagation), SGD with momentum (``pdeopt.nn``)
and ADMM (Taylor et al. 2016) on scikit-learn's 8×8 digits by default (MNIST in
``--full``), for the same number of epochs (ADMM: full-batch iterations).

Checks of the method on one fixed batch (monotone objective in the serial order,
measured contraction factor against its bound, the seed's optimality condition), then
checks of the comparison (digits, 450 test images: one accuracy's binomial standard error is about
√(0.04·0.96/450) ≈ 0.9 points, so differences below ~3 points are not resolved):
LPOM on the one-hidden-layer net is within 3 points of SGD (Figure 1's claim);
LPOM's mean accuracy over the five nets is at least ADMM's (the seed's claim that
LPOM beats the ADMM and relaxation baselines); LPOM trains sigmoid and tanh nets
(saturating: it uses φ only, never φ′) to within 5 points of its ReLU accuracy, and
on the sigmoid net it is ahead of SGD (whose gradient shrinks by φ′ ≤ ¼ per layer)
after the same number of epochs.
In ``--full`` mode (5 epochs; 2 epochs gave 96.3 % in our run) LPOM's MNIST accuracy on
the 300 net is checked against the seed's
97.7 % within 1.5 points (our epochs and μ schedule are not the paper's).
"""
import numpy as np

from pdeopt.data import load_digits
from pdeopt.lifted import admm_train, init_weights, lpom_solve, lpom_train, mlp_error
from pdeopt.lifted.mlp import blas_threads_limit

from ._harness import validation

WIDTHS = ((300,), (300, 100), (500, 150), (500, 200, 100), (400, 200, 100, 50))
SEED_LPOM = (97.7, 96.9, 97.1, 96.2, 96.1)
SEED_ASKARI = (89.8, 87.5, 86.5, 85.3, 77.0)


def _sgd(data, hidden, epochs, seed, activation="relu"):
    from pdeopt.nn import SGD, mlp, train
    model = mlp(list(hidden), activation=activation, input_shape=data.x_train.shape[1:],
                rng=seed)
    with blas_threads_limit(1):     # small products: one BLAS thread, as LPOM and ADMM use
        res = train(model, SGD(0.05, momentum=0.9), data, epochs=epochs, batch_size=50,
                    rng=seed)
    return 1 - np.asarray(res.history["val_error"])


@validation("lpom-mnist",
            source="Lin 2019, Table 2 and Figure 1 (Li, Fang, Lin, AAAI 2019)",
            description="LPOM vs SGD vs ADMM test accuracy on the MLPs of Table 2 (digits; "
                        "MNIST in --full), and LPOM on saturating sigmoid/tanh nets.")
def lpom_mnist(ctx):
    import matplotlib.pyplot as plt
    data = ctx.mnist() if ctx.full else load_digits()
    widths = ctx.pick(quick=WIDTHS[:1], default=WIDTHS)
    epochs = ctx.pick(quick=3, default=8, full=5)   # MNIST: minutes per LPOM epoch
    seed = ctx.seed
    kw = dict(x_val=data.x_test, y_val=data.y_test, rng=seed, record_objective=False)

    # the block coordinate descent itself, on one fixed batch of 150 digits (a 3-layer net):
    # with μ_3/μ_2 and μ_4/μ_3 small enough that every fixed-point map contracts (its
    # Lipschitz bound < 1) each block is minimised and F falls monotonically (to rounding,
    # 1e-9 relative); the measured factor cannot exceed the bound (it equals it,
    # β/μ_n, on the output's active part: 1e-9 for rounding); after 600 APG steps per
    # weight block the seed's W-optimality residual (relative) is below 1e-4.
    digits = load_digits()
    bcd = lpom_solve(digits.x_train[:150], digits.y_train[:150],
                     init_weights([64, 24, 16, 10], rng=seed), mu=[1e6, 1e3, 2.0], max_iter=8,
                     w_iters=600)
    h = bcd.history
    ctx.check("serial BCD: max relative increase of F per sweep",
              np.max(np.diff(h["objective"]) / np.abs(h["objective"][:-1])), 0.0, tol=1e-9,
              comparison="le", claim="lin2019/bcd-descent")
    ctx.check("fixed-point contraction: measured max / Lipschitz bound",
              np.nanmax(h["contraction"][1:] / h["contraction_bound"][1:]), 1.0, tol=1e-9,
              comparison="le",
              note=f"measured {np.nanmax(h['contraction']):.3f}, bound "
                   f"{h['contraction_bound'].max():.3f}", claim="lin2019/fixed-point")
    ctx.check("optimality (φ(W^iX^i) − X^{i+1})(X^i)ᵀ at the end (relative)",
              h["optimality"][-1], 0.0, tol=1e-4, claim="lin2019/optimality")

    acc = {"LPOM": [], "SGD": [], "ADMM": []}
    curves = {}
    for hidden in widths:
        ctx.progress(f"hidden {'-'.join(map(str, hidden))}")
        lp = lpom_train(data.x_train, data.y_train, list(hidden), epochs=epochs, **kw)
        curves[hidden] = (1 - lp.history["val_error"], _sgd(data, hidden, epochs, seed))
        ad = admm_train(data.x_train, data.y_train, list(hidden), max_iter=2 * epochs,
                        rng=seed)
        acc["LPOM"].append(curves[hidden][0][-1])
        acc["SGD"].append(curves[hidden][1][-1])
        acc["ADMM"].append(1 - mlp_error(ad.x, data.x_test, data.y_test, linear_output=True))

    dataset = "MNIST" if ctx.full else "digits"
    rows = [f"| hidden layers | LPOM ({dataset}) | SGD ({dataset}) | ADMM ({dataset}) | "
            "LPOM (seed, MNIST) | Askari et al. (seed, MNIST) |",
            "| --- | --- | --- | --- | --- | --- |"]
    for i, hidden in enumerate(widths):
        rows.append(f"| {'-'.join(map(str, hidden))} | {100 * acc['LPOM'][i]:.1f}% | "
                    f"{100 * acc['SGD'][i]:.1f}% | {100 * acc['ADMM'][i]:.1f}% | "
                    f"{SEED_LPOM[i]}% | {SEED_ASKARI[i]}% |")
    ctx.table("\n".join(rows))

    ctx.check("LPOM vs SGD accuracy, 300 net (points)", 100 * acc["LPOM"][0],
              100 * acc["SGD"][0], tol=3.0, comparison="ge", claim="lin2019/fig1-mnist")
    ctx.check("mean accuracy over nets: LPOM >= ADMM (points)", 100 * np.mean(acc["LPOM"]),
              100 * np.mean(acc["ADMM"]), comparison="ge", claim="lin2019/table3-svhn")
    if ctx.full:
        ctx.check("LPOM MNIST accuracy, 300 net vs seed (points)", 100 * acc["LPOM"][0],
                  SEED_LPOM[0], tol=1.5, claim="lin2019/table2-300")

    # saturating activations: LPOM uses φ only; SGD multiplies by φ′ ≤ 1/4 per sigmoid layer
    sat_hidden = (300, 100)
    sat = {}
    for act in ("sigmoid", "tanh"):
        ctx.progress(f"saturating {act}")
        lp = lpom_train(data.x_train, data.y_train, list(sat_hidden), activation=act,
                        epochs=epochs, **kw)
        sat[act] = (1 - lp.history["val_error"],
                    _sgd(data, sat_hidden, epochs, seed, activation=act))
        relu_acc = acc["LPOM"][1] if len(widths) > 1 else acc["LPOM"][0]
        ctx.check(f"LPOM {act} 300-100 accuracy vs LPOM relu (points)", 100 * sat[act][0][-1],
                  100 * relu_acc, tol=5.0, comparison="ge",
                  note=f"SGD {act}: {100 * sat[act][1][-1]:.1f}%",
                  claim="lin2019/saturating-activations")
    ctx.check("sigmoid 300-100: LPOM >= SGD after equal epochs (points)",
              100 * sat["sigmoid"][0][-1], 100 * sat["sigmoid"][1][-1], comparison="ge",
              claim="lin2019/saturating-activations")

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
    ep = np.arange(1, epochs + 1)
    for i, hidden in enumerate(widths):
        c = f"C{i}"
        ax1.plot(ep, 100 * curves[hidden][0], "-o", ms=3, color=c,
                 label=f"LPOM {'-'.join(map(str, hidden))}")
        ax1.plot(ep, 100 * curves[hidden][1], "--", color=c, lw=1)
    ax1.set(title=f"test accuracy per epoch on {dataset} (solid LPOM, dashed SGD)",
            xlabel="epoch", ylabel="accuracy (%)")
    ax1.legend(fontsize=7)
    for i, act in enumerate(sat):
        ax2.plot(ep, 100 * sat[act][0], "-o", ms=3, color=f"C{i}", label=f"LPOM {act}")
        ax2.plot(ep, 100 * sat[act][1], "--", color=f"C{i}", label=f"SGD {act}")
    ax2.set(title="saturating activations, 300-100 net", xlabel="epoch", ylabel="accuracy (%)")
    ax2.legend(fontsize=7)
    ctx.save_figure(fig)
