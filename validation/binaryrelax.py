"""BinaryRelax vs BinaryConnect baselines (BWN, TWN) on small nets (Osher 2018, BinaryRelax tables).

Each weight tensor (``.W``) of the net is quantized with its own scale (layer-wise,
as in the seed's experiments); biases stay float. Methods, all SGD with momentum
0.9 on the float weights y and the same learning-rate drop:

- Float: plain SGD.
- BWN: BinaryConnect (x = proj_Q(y) at every step) with the exact binary projection.
- TWN: BinaryConnect with TWN's ternary heuristic (threshold 0.7·mean|y|).
- BinaryRelax ("ours"), binary / exact ternary / 4-bit: Phase I for the first 60%
  of the epochs, x = (λ·proj_Q(y) + y)/(λ + 1) with λ growing geometrically from 1
  to 10³ (λ ← ρλ each step), then Phase II = BinaryConnect.

Checks: every quantized model ends exactly in Q; the float nets train; BinaryRelax
is not worse than its BinaryConnect baseline beyond the spread, where the spread is
the larger of the seeds' sample standard deviations (ddof = 1) and the binomial standard error of a
test error on this test set (√(p(1−p)/n)·√2 for a difference). The difference is
reported either way. Digits (8×8) by default, MNIST with ``--full``.
"""
import numpy as np

from ._harness import validation

METHODS = ("float", "bwn", "br-binary", "twn", "br-ternary", "br-4bit")
LABELS = {"float": "Float", "bwn": "BWN", "br-binary": "BinaryRelax", "twn": "TWN",
          "br-ternary": "BinaryRelax", "br-4bit": "BinaryRelax"}


def _model(arch, input_shape, seed, mnist):
    from pdeopt.nn import lenet, mlp
    if arch == "MLP":
        return mlp([256] if mnist else [64], input_shape=input_shape, rng=seed)
    # on MNIST a smaller LeNet than Caffe's (20, 50, 500): ~1 min per epoch on 2 cores
    return lenet(channels=(10, 20) if mnist else (6, 16), hidden=200 if mnist else 64,
                 input_shape=input_shape, rng=seed)


def _optimizer(method, model, *, lr, epochs, steps_per_epoch):
    from pdeopt.nn import SGD, step_schedule
    from pdeopt.quant import BinaryConnect, BinaryRelax, QuantizedSet
    schedule = step_schedule({int(0.7 * epochs): 0.1})
    if method == "float":
        return SGD(lr, momentum=0.9, schedule=schedule)
    kind = {"bwn": "binary", "twn": "twn", "br-binary": "binary", "br-ternary": "ternary",
            "br-4bit": "bits"}[method]
    Q = QuantizedSet.for_model(model, kind, bits=4 if kind == "bits" else None)
    if method in ("bwn", "twn"):
        return BinaryConnect(lr, Q, momentum=0.9, schedule=schedule)
    phase2 = max(1, int(0.6 * epochs))
    rho = 1e3 ** (1.0 / (phase2 * steps_per_epoch))  # λ: 1 → 10³ over Phase I
    return BinaryRelax(lr, Q, lam=1.0, rho=rho, phase2_epoch=phase2, momentum=0.9,
                       schedule=schedule)


@validation("binaryrelax",
            source="Osher 2018, BinaryRelax: Tables 1–2 (CIFAR) and Figure 1, at digits scale",
            description="BinaryRelax trains nets with exactly binary/ternary/4-bit layer-wise "
                        "weights, not worse than BinaryConnect (BWN, TWN) beyond the seed spread.")
def binaryrelax_validation(ctx):
    import math

    import matplotlib.pyplot as plt

    from pdeopt.data import load_digits
    from pdeopt.nn import train

    mnist = ctx.full  # --full runs on MNIST (skips when the files are absent)
    data = ctx.mnist() if mnist else load_digits()
    input_shape = data.x_train.shape[1:]
    seeds = list(range(ctx.pick(quick=1, default=3, full=2)))
    epochs = ctx.pick(quick=12, default=12, full=10)
    archs = ctx.pick(quick=("MLP",), default=("MLP", "LeNet"))
    batch = 64 if not mnist else 128
    steps = math.ceil(len(data.x_train) / batch)
    n_test = len(data.y_test)

    err = {(a, m): [] for a in archs for m in METHODS}
    curves = {(a, m): [] for a in archs for m in METHODS}
    in_Q = True
    for arch in archs:
        for method in METHODS:
            for seed in seeds:
                model = _model(arch, input_shape, seed, mnist)
                opt = _optimizer(method, model, lr=0.05, epochs=epochs, steps_per_epoch=steps)
                res = train(model, opt, data, epochs=epochs, batch_size=batch, rng=seed)
                if method != "float":
                    opt.finalize(model.params)  # already proj_Q(y) after Phase II
                    in_Q &= opt.Q.contains(model.params)
                err[arch, method].append(model.error(data.x_test, data.y_test))
                curves[arch, method].append(1 - res.history["val_error"])
            ctx.progress(f"{arch} {method}: test error {np.mean(err[arch, method]):.4f}")

    ctx.check("every quantized net ends exactly in Q (all runs)", in_Q, True, comparison="true",
              claim="osher2018/binaryrelax-in-q")
    for arch in archs:
        ctx.check(f"{arch} float test error", np.mean(err[arch, "float"]), 0.0,
                  tol=0.1, comparison="le", note="chance is 0.9")
        for ours, base in (("br-binary", "bwn"), ("br-ternary", "twn")):
            e_o, e_b = np.array(err[arch, ours]), np.array(err[arch, base])
            p = (e_o.mean() + e_b.mean()) / 2
            ddof = 1 if len(seeds) > 1 else 0  # sample std: 3 seeds, ddof=0 would understate it
            spread = max(e_o.std(ddof=ddof), e_b.std(ddof=ddof),
                         math.sqrt(2 * p * (1 - p) / n_test))
            ctx.check(f"{arch}: error {LABELS[ours]}-{ours.split('-')[1]} minus {base.upper()}",
                      e_o.mean() - e_b.mean(), 0.0, tol=spread, comparison="le",
                      note=f"spread {spread:.4f}")

    # The seed's table layout: accuracy (%) mean ± std over seeds.
    def cell(a, m):
        acc = 100 * (1 - np.array(err[a, m]))
        return f"{acc.mean():.2f} ± {acc.std(ddof=1 if acc.size > 1 else 0):.2f}"
    rows = "\n".join(f"| {a} | " + " | ".join(cell(a, m) for m in METHODS) + " |" for a in archs)
    ctx.table(f"{'MNIST' if mnist else 'digits'} test accuracy (%), {len(seeds)} seed(s), "
              f"{epochs} epochs\n\n"
              "| net | Float | Binary: BWN | Binary: BinaryRelax | Ternary: TWN | "
              "Ternary: BinaryRelax | 4-bit: BinaryRelax |\n"
              "| --- | --- | --- | --- | --- | --- | --- |\n"
              + rows + "\n\nSeed (CIFAR-10, VGG-16): 93.59 | 91.60 | 91.98 | 92.75 | 93.20 | —")

    # Validation-accuracy curves as in the seed's Figure 1.
    fig, axes = plt.subplots(len(archs), 2, figsize=(11, 4 * len(archs)), squeeze=False)
    for i, arch in enumerate(archs):
        for j, (title, methods) in enumerate((("binary", ("float", "bwn", "br-binary")),
                                              ("ternary / 4-bit",
                                               ("float", "twn", "br-ternary", "br-4bit")))):
            ax = axes[i, j]
            for m in methods:
                ax.plot(np.arange(1, epochs + 1), 100 * np.mean(curves[arch, m], axis=0),
                        label=f"{LABELS[m]} ({m})")
            ax.axvline(max(1, int(0.6 * epochs)) + 0.5, color="k", ls=":", lw=1)
            ax.set(title=f"{arch}, {title} (dotted: Phase I → II)", xlabel="epoch",
                   ylabel="validation accuracy (%)", ylim=(50, 100))
            ax.legend(fontsize=8)
    fig.tight_layout()
    ctx.save_figure(fig)
