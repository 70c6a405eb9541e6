"""Optimization algorithms as architectures: plain (GD), ResNet-like (heavy ball),
DenseNet-like (Nesterov) and DMRNet-like (ADMM) nets of equal depth on digits.

Lin (2019; Li, Lin et al., ACML 2018): a layer Φ(Wx) is a gradient step (Lemma 4),
so a faster method unrolled is a network with skip connections — heavy ball gives
x_{k+1} = T(x_k) + β₁x_k + β₂x_{k−1} (ResNet for β₁ = 1, β₂ = 0), Nesterov a dense
aggregation of all earlier states, ADMM two coupled streams; the seed's tables show
HB-Net/AGD-Net matching or beating ResNet/DenseNet on CIFAR and ImageNet.

Here (``pdeopt.nn.inspired``): stem Dense(64→32)+ReLU, then ``steps`` iterations of
each method with learnable T_k = ReLU(W_k·+b_k) and coefficients, then Dense(32→10);
equal parameter counts up to ≤ steps² coefficients. SGD with momentum, 10 epochs,
three seeds; test error mean ± std in the layout of the seed's table.

Checks: (1) weight-tied blocks (W_k = U², algorithm coefficients) compute exactly
U⁻¹ times the iterates of GD, heavy ball and Nesterov on f of Lemma 4 (rounding,
1e-10); (2) at depth 4 every architecture trains (mean test error < 10 %); (3) at
depth 10 each skip architecture (HB, AGD, ADMM) has a lower mean error than the
plain GD net — the plain net of that depth is the one that is hard to train.
"""
import numpy as np

from pdeopt.data import load_digits
from pdeopt.lifted import layer_objective
from pdeopt.lifted.accelerated import gradient_descent, heavy_ball, nesterov
from pdeopt.lifted.mlp import blas_threads_limit
from pdeopt.nn import SGD, build_layer, train
from pdeopt.nn.inspired import (INSPIRED_KINDS, OptimizationBlock, algorithm_coefficients,
                                inspired_net)

from ._harness import validation

NAMES = {"gd": "GD-Net (plain)", "hb": "HB-Net (ResNet-like)", "agd": "AGD-Net (DenseNet-like)",
         "admm": "ADMM-Net (DMRNet-like)"}


def _algorithm_check(ctx):
    rng = ctx.rng
    d, steps = 8, 6
    b = rng.normal(size=(d, d))
    lam, vec = np.linalg.eigh(b @ b.T / d + 0.1 * np.eye(d))
    u = (vec * np.sqrt(lam)) @ vec.T
    _, step = layer_objective(u, "tanh")
    grad = lambda z: z - step(z)  # noqa: E731   (Lemma 4: ∇f(z) = z − UΦ(Uz))
    x0 = rng.normal(size=d)
    runs = {"gd": lambda: gradient_descent(grad, u @ x0, step=1.0, max_iter=steps).x,
            "hb": lambda: heavy_ball(grad, u @ x0, step=1.0, momentum=0.5, max_iter=steps).x,
            "agd": lambda: nesterov(grad, u @ x0, lipschitz=1.0, max_iter=steps).x}
    worst = 0.0
    for kind, run in runs.items():
        block = build_layer(OptimizationBlock(kind, steps, activation="tanh"), (d,), rng=0)
        block.params["W"][...] = u @ u
        block.params["b"][...] = 0.0
        block.set_coefficients(*algorithm_coefficients(block, momentum=0.5))
        worst = max(worst, float(np.max(np.abs(block.forward(x0[None])[0]
                                               - np.linalg.solve(u, run())))))
    ctx.check("weight-tied GD/HB/AGD blocks = U^-1 (algorithm iterates)", worst, 0.0, tol=1e-10,
              claim="lin2019/algorithms-as-architectures")


@validation("inspired-architectures",
            source="Lin 2019, optimization-inspired DNNs (Li, Lin et al. ACML 2018), tables",
            description="GD/HB/AGD/ADMM-inspired nets of equal depth and parameter count on "
                        "digits: test error mean ± std over seeds; tied blocks = the algorithms.")
def inspired_architectures(ctx):
    import matplotlib.pyplot as plt
    _algorithm_check(ctx)
    data = load_digits()
    depths = ctx.pick(quick=(4, 10), default=(4, 10))
    seeds = ctx.pick(quick=2, default=3)
    epochs = 10
    errors, n_params = {}, {}
    for steps in depths:
        for kind in INSPIRED_KINDS:
            ctx.progress(f"{kind}, {steps} steps")
            errs = []
            for s in range(seeds):
                model = inspired_net(kind, width=32, steps=steps, rng=ctx.seed * 100 + s)
                with blas_threads_limit(1):   # 32-wide layers: threads only add waiting
                    res = train(model, SGD(0.02, momentum=0.9), data, epochs=epochs,
                                batch_size=50, rng=ctx.seed * 100 + s)
                errs.append(100 * res.history["val_error"][-1])
            errors[kind, steps] = np.array(errs)
            n_params[kind, steps] = model.n_params

    header = "| Model | " + " | ".join(f"{s} steps: error % (params)" for s in depths) + " |"
    rows = [header, "|---" * (len(depths) + 1) + "|"]
    for kind in INSPIRED_KINDS:
        rows.append(f"| {NAMES[kind]} | " + " | ".join(
            f"{errors[kind, s].mean():.2f} ± {errors[kind, s].std():.2f} ({n_params[kind, s]})"
            for s in depths) + " |")
    ctx.table("\n".join(rows))

    ctx.check(f"worst mean test error at {depths[0]} steps (%)",
              max(errors[k, depths[0]].mean() for k in INSPIRED_KINDS), 10.0, comparison="le")
    deep = depths[-1]
    for kind in ("hb", "agd", "admm"):
        ctx.check(f"{deep} steps: {kind} mean error <= plain GD-Net's (%)",
                  errors[kind, deep].mean(), errors["gd", deep].mean(), comparison="le",
                  claim="lin2019/faster-algorithms-better-nets")

    fig, ax = plt.subplots(figsize=(6.5, 4))
    width = 0.8 / len(depths)
    for i, steps in enumerate(depths):
        pos = np.arange(len(INSPIRED_KINDS)) + (i - (len(depths) - 1) / 2) * width
        means = [errors[k, steps].mean() for k in INSPIRED_KINDS]
        stds = [errors[k, steps].std() for k in INSPIRED_KINDS]
        ax.bar(pos, means, width, yerr=stds, capsize=3, label=f"{steps} steps")
    ax.set_xticks(np.arange(len(INSPIRED_KINDS)),
                  [NAMES[k].replace(" (", "\n(") for k in INSPIRED_KINDS], fontsize=8)
    ax.set(ylabel="test error (%)", title=f"digits, mean ± std over {seeds} seeds")
    ax.legend()
    ctx.save_figure(fig)
