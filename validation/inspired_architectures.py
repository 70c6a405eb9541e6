"""Optimization algorithms as architectures: plain (GD), ResNet-like (heavy ball),
DenseNet-like (Nesterov) and DMRNet-like (ADMM) nets of equal depth on digits.

Lin (2019; Li, Lin et al., ACML 2018): a layer Φ(Wx) is a gradient step (Lemma 4),
so a faster method unrolled is a network with skip connections — heavy ball gives
x_{k+1} = T(x_k) + β₁x_k + β₂x_{k−1} (ResNet for β₁ = 1, β₂ = 0), Nesterov a dense
aggregation of all earlier states, ADMM two coupled streams; the seed's tables show
HB-Net/AGD-Net matching or beating ResNet/DenseNet on CIFAR and ImageNet.

Here (``pdeopt.nn.inspired``): stem Dense(64→32)+ReLU, then ``steps`` iterations of
each method with learnable T_k = ReLU(W_k·+b_k) and coefficients, then Dense(32→10);
equal parameter counts up to ≤ steps² coefficients. The paper's baselines are the same
blocks with their coefficients frozen: ResNet = the HB block with β fixed at (1 on x_k,
0 on x_{k−1}), x_{k+1} = T(x_k) + x_k; DenseNet-like = the AGD block with its mixing and
skips fixed at uniform averages of all earlier states (a weight-shared stand-in for
DenseNet's concatenation). SGD with momentum, 10 epochs, 8 seeds (the same for every net).

Checks: (1) weight-tied blocks (W_k = U², algorithm coefficients) compute exactly
U⁻¹ times the iterates of GD, heavy ball and Nesterov on f of Lemma 4 (rounding,
1e-10); (2) at depth 4 every architecture trains (mean error < 10 %); (3) at each depth,
HB-Net vs ResNet and AGD-Net vs DenseNet-like, and at depth 10 HB/AGD/ADMM vs the plain
GD-Net: the final validation-error gain paired over the seeds, not worse (mean + 2 SE ≥ 0,
headline) and better, resolved (mean − 2 SE ≥ 0; else partial, with the SE).
"""
import numpy as np

from pdeopt.data import load_digits
from pdeopt.lifted import layer_objective
from pdeopt.lifted.accelerated import gradient_descent, heavy_ball, nesterov
from pdeopt.lifted.mlp import blas_threads_limit
from pdeopt.nn import SGD, build_layer, train
from pdeopt.nn.inspired import OptimizationBlock, algorithm_coefficients, inspired_net

from . import _style
from ._harness import validation
from ._paired import check_paired_gain


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


class FrozenCoefficients:
    """SGD that leaves the blocks' coefficients α, β at their initial values.

    Freezing HB's β at (1 on x_k, 0 on x_{k−1}) gives ResNet's x_{k+1} = T(x_k) + x_k; freezing
    AGD's mixing and skips at uniform averages gives a DenseNet-like aggregation of every
    earlier state with fixed weights: the baselines HB-Net and AGD-Net learn beyond.
    """

    def __init__(self, model, inner):
        self.inner = inner
        self.frozen = [s for n, s in model.param_slices() if n.endswith((".alpha", ".beta"))]

    def on_epoch(self, epoch):
        self.inner.on_epoch(epoch)

    def step(self, params, grad, oracle=None):
        grad = grad.copy()
        for s in self.frozen:
            grad[s] = 0.0
        self.inner.step(params, grad, oracle)


# the nets compared: (label, block kind, coefficients learnt?)
NETS = {"gd": ("GD-Net (plain)", "gd", True),
        "resnet": ("ResNet (HB, β frozen at 1, 0)", "hb", False),
        "hb": ("HB-Net (β learnt)", "hb", True),
        "densenet": ("DenseNet-like (AGD, uniform weights frozen)", "agd", False),
        "agd": ("AGD-Net (α, β learnt)", "agd", True),
        "admm": ("ADMM-Net (DMRNet-like)", "admm", True)}
# the paper's CIFAR-10 errors (%), the baselines' vs the nets', same depth
PAPER = {("resnet", "hb"): "n = 9: 10.05 vs 10.17; n = 18: 9.17 vs 8.66",
         ("densenet", "agd"): "L = 40: 7.00 vs 6.44; L = 52: 6.05 vs 5.75"}


@validation("inspired-architectures",
            source="Lin 2019, optimization-inspired DNNs (Li, Lin et al. ACML 2018), tables",
            description="GD/HB/AGD/ADMM-inspired nets of equal depth and parameter count on "
                        "digits: test error mean ± std over seeds; tied blocks = the algorithms.")
def inspired_architectures(ctx):
    import matplotlib.pyplot as plt
    _algorithm_check(ctx)
    data = load_digits()
    depths = ctx.pick(quick=(4, 10), default=(4, 10))
    seeds = ctx.pick(quick=2, default=8)
    epochs = 10   # the check below asks for trained nets: the same epochs in every mode
    errors, n_params = {}, {}
    for steps in depths:
        for name, (_, kind, learnt) in NETS.items():
            ctx.progress(f"{name}, {steps} steps")
            errs = []
            for s in range(seeds):   # the same seeds for every net: paired comparisons
                model = inspired_net(kind, width=32, steps=steps, rng=ctx.seed * 100 + s)
                opt = SGD(0.02, momentum=0.9)
                if not learnt:
                    opt = FrozenCoefficients(model, opt)
                with blas_threads_limit(1):   # 32-wide layers: threads only add waiting
                    res = train(model, opt, data, epochs=epochs, batch_size=50,
                                rng=ctx.seed * 100 + s)
                errs.append(100 * res.history["val_error"][-1])
            errors[name, steps] = np.array(errs)
            n_params[name, steps] = model.n_params

    header = "| Model | " + " | ".join(f"{s} steps: error % (params)" for s in depths) + " |"
    rows = [header, "|---" * (len(depths) + 1) + "|"]
    for name, (label, _, _) in NETS.items():
        rows.append(f"| {label} | " + " | ".join(
            f"{errors[name, s].mean():.2f} ± {errors[name, s].std(ddof=1):.2f} "
            f"({n_params[name, s]})" for s in depths) + " |")
    ctx.table("\n".join(rows))

    ctx.check(f"worst mean test error at {depths[0]} steps (%)",
              max(errors[k, depths[0]].mean() for k in NETS), 10.0, comparison="le")
    # The paper's comparisons, final validation error paired over the same seeds at each
    # depth: HB-Net vs ResNet, AGD-Net vs DenseNet (matches or beats: see check_paired_gain)
    for steps in depths:
        for (base, ours), paper in PAPER.items():
            check_paired_gain(ctx, f"{steps} steps: {base} minus {ours} error",
                              errors[base, steps] - errors[ours, steps],
                              claim=f"lin2019/{ours}net-vs-{base}", paper=paper)
    deep = depths[-1]
    for kind in ("hb", "agd", "admm"):   # faster algorithm vs plain GD-Net, deepest nets
        check_paired_gain(ctx, f"{deep} steps: gd minus {kind} error",
                          errors["gd", deep] - errors[kind, deep],
                          claim="lin2019/faster-algorithms-better-nets",
                          paper="HB-Net 8.66 vs ResNet 9.17 % (n = 18)")

    # Draw: one panel per depth, one bar per net (mean ± std, each seed a dot); a colour per
    # algorithm, its frozen-coefficient baseline (ResNet, DenseNet-like) hatched and paler.
    look = {"gd": (_style.OLIVE, False), "resnet": (_style.BLUE, True), "hb": (_style.BLUE, False),
            "densenet": (_style.ORANGE, True), "agd": (_style.ORANGE, False),
            "admm": (_style.GREEN, False)}
    order = list(NETS)[::-1]   # top to bottom as in the table
    from matplotlib.patches import Patch
    from matplotlib.ticker import MaxNLocator

    with _style.context():
        fig, axes = plt.subplots(1, len(depths), figsize=(6.2 * len(depths), 4.6), sharey=True,
                                 squeeze=False)
        for ax, steps in zip(axes[0], depths):
            for y, k in enumerate(order):
                col, frozen = look[k]
                e = errors[k, steps]
                ax.barh(y, e.mean(), 0.7, xerr=e.std(ddof=1), capsize=3, color=col,
                        alpha=0.45 if frozen else 0.85, hatch="//" if frozen else None,
                        edgecolor=col, error_kw=dict(lw=1.2, ecolor="0.2"))
                ax.plot(e, np.full(e.size, y), ls="none", marker="o", ms=3.5, color="0.15")
            ax.set(title=f"{steps} steps (layers), {seeds} seeds, {epochs} epochs",
                   xlabel="final validation error on digits (%)", xlim=(0, None))
            ax.xaxis.set_major_locator(MaxNLocator(nbins=6, steps=[1, 2, 5, 10], integer=True))
            _style.percent_axis(ax, "x", decimals=0)
            ax.grid(axis="y", visible=False)
        axes[0, 0].set_yticks(range(len(order)), [NETS[k][0] for k in order])
        handles = [Patch(color="0.5", alpha=0.85, label="coefficients learnt"),
                   Patch(facecolor="0.5", alpha=0.45, hatch="//", edgecolor="0.5",
                         label="coefficients frozen (the paper's baselines)"),
                   plt.Line2D([], [], color="0.2", lw=1.2, label="mean ± std over seeds"),
                   plt.Line2D([], [], ls="none", marker="o", ms=3.5, color="0.15",
                              label="one seed")]
        axes[0, -1].legend(handles=handles, loc="lower right", fontsize=8)
        _style.claim(fig, "Nets unrolled from faster algorithms (heavy ball, Nesterov, ADMM) "
                          "beat the plain GD-Net;\nlearnt coefficients vs frozen ones "
                          "(HB-Net vs ResNet, AGD-Net vs DenseNet-like) compared in pairs")
        ctx.save_figure(fig)
