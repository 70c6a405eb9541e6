"""Vanilla vs WNLL-activated network, in the layout of the seed's CIFAR10 table.

Osher 2018 (implicit activation; Wang et al., arXiv 1802.00168) replaces the
softmax output by WNLL interpolation over a template of labeled features and
trains by the three-step alternation (:func:`pdeopt.nn.wnll_layer.train_wnll`).
On CIFAR10 the WNLL-activated ResNets have 20–30 % lower test error than the
vanilla ones at every training-set size (e.g. ResNet20: 9.06 → 7.09 % on all
data, 34.90 → 29.91 % on 1000 images; median of 5 trials).

Here: a small conv net (conv 8@3×3, max-pool, buffer Dense(32)+ReLU, Dense(10))
on scikit-learn's digits with 300 and all 1350 training images (MNIST with
1000 / 5000 / all in ``--full``); vanilla = the same net trained with softmax
for as many epochs as the three steps together; test error of each, median over
seeds; the WNLL head labels test points from a template of all training points.

Checks, both on the test points pooled over all sizes and seeds (paired: the two heads
are scored on the same test points), with the standard error of the paired difference of
error counts, √(discordant pairs) (the McNemar statistic):

* sign (``osher2018/wnll-cifar10-whole``): the WNLL-activated net makes fewer test errors
  than the vanilla one by more than 2 SE (``--quick``, one run: not worse by more than 2 SE);
* size (``osher2018/wnll-relative-improvement``, headline): the relative error reduction
  (vanilla − WNLL)/vanilla is at least the paper's lower end, 20 %, within 2 SE of the
  ratio (SE of the difference divided by the vanilla error count). On digits and MNIST the
  small net's reduction has measured 5–9 %, so this check can fail: the paper's size is
  then not reproduced at this scale.
"""
import numpy as np

from . import _style
from ._harness import validation

PAPER_RELATIVE = (0.20, 0.30)  # the summary's 20-30 % relative error reduction (CIFAR)


def small_convnet(seed, input_shape, n_classes=10, width=8, buffer=32):
    from pdeopt.nn import Conv2D, Dense, Flatten, MaxPool2D, ReLU, Sequential
    return Sequential([Conv2D(width, 3, padding=1), ReLU(), MaxPool2D(2), Flatten(),
                       Dense(buffer), ReLU(), Dense(n_classes, init="glorot")],
                      input_shape=input_shape, rng=seed)


@validation("wnll-activation",
            source="Osher 2018, implicit activation: CIFAR10 table (vanilla vs WNLL DNN, "
                   "Wang et al. arXiv 1802.00168)",
            description="a small conv net with the WNLL output layer (three-step training) has "
                        "lower test error than the vanilla softmax net, digits / MNIST.")
def wnll_activation(ctx):
    import matplotlib.pyplot as plt

    from pdeopt.nn import SGD, train
    from pdeopt.nn.wnll_layer import train_wnll, wnll_predict

    # Set up: data, training-set sizes, seeds, and the epochs of the three steps.
    if ctx.full:
        data = ctx.mnist()
        sizes = [1000, 5000, data.x_train.shape[0]]
        x_tr, x_te = data.x_train[:, None], data.x_test[:, None]
    else:
        from pdeopt.data import load_digits
        data = load_digits()
        sizes = ctx.pick(quick=[300], default=[300, data.x_train.shape[0]])
        x_tr, x_te = data.x_train[:, None], data.x_test[:, None]
    y_tr, y_te = data.y_train, data.y_test
    seeds = ctx.pick(quick=[0], default=[0, 1, 2], full=[0, 1, 2])
    steps = ctx.pick(quick=(10, 1, 3), default=(16, 2, 6), full=(10, 1, 4))
    epochs_vanilla = sum(steps)

    def one_run(n, seed):
        """Vanilla and WNLL-activated nets on n training images: their test mistakes."""
        sub = np.random.default_rng([ctx.seed, seed, n]).permutation(len(y_tr))[:n]
        train_data = (x_tr[sub], y_tr[sub], x_te, y_te)
        vanilla = small_convnet(seed, x_tr.shape[1:])
        train(vanilla, SGD(0.05, momentum=0.9), train_data, epochs=epochs_vanilla,
              batch_size=64, rng=seed)
        wnll = small_convnet(seed, x_tr.shape[1:])
        train_wnll(wnll, train_data, lr=0.05, epochs_linear=steps[0],
                   epochs_buffer=steps[1], epochs_retrain=steps[2], rng=seed)
        return {"vanilla_wrong": vanilla.predict(x_te) != y_te,
                "wnll_wrong": wnll_predict(wnll, x_tr[sub], y_tr[sub], x_te) != y_te}

    # (size, seed) runs, largest first (two processes running --full share them evenly)
    keys = [(n, seed) for n in sorted(sizes, reverse=True) for seed in seeds]
    runs = ctx.units((f"n{n}-seed{seed}", (lambda n=n, seed=seed: one_run(n, seed)),
                      dict(n=n, seed=seed, run_seed=ctx.seed, steps=list(steps),
                           epochs_vanilla=epochs_vanilla, lr=0.05, batch_size=64))
                     for n, seed in keys)
    errors = {}  # (size, seed) -> (vanilla wrong, WNLL wrong) boolean arrays on the test set
    for (n, seed), run in zip(keys, runs):
        errors[n, seed] = (run["vanilla_wrong"], run["wnll_wrong"])
        ctx.progress(f"{n} training images, seed {seed}: vanilla "
                     f"{100 * errors[n, seed][0].mean():.2f} %, WNLL "
                     f"{100 * errors[n, seed][1].mean():.2f} %")
    if ctx.full:
        ctx.progress(ctx.units_note())

    # Table in the seed's layout (median over seeds), beside its ResNet20 row.
    med = {n: [np.median([errors[n, s][i].mean() for s in seeds]) for i in (0, 1)] for n in sizes}
    head = " | ".join(f"{n} vanilla | {n} WNLL" for n in sizes)
    rows = [f"| network | {head} | relative reduction |",
            "| --- | " + " | ".join("---" for _ in range(2 * len(sizes) + 1)) + " |",
            "| ResNet20, CIFAR10 (seed; 1000, whole) | 34.90 % | 29.91 % | 9.06 % | 7.09 % "
            "| 14 %, 22 % |" if len(sizes) == 2 else "",
            "| small conv net, " + ("MNIST" if ctx.full else "digits") + " (median) | "
            + " | ".join(f"{100 * med[n][0]:.2f} % | {100 * med[n][1]:.2f} %" for n in sizes)
            + " | " + ", ".join(f"{100 * (1 - med[n][1] / med[n][0]):.0f} %"
                                if med[n][0] > 0 else "—" for n in sizes) + " |"]
    ctx.table("\n".join(r for r in rows if r))

    # Check: pooled paired comparison of the two heads on the same test points.
    vanilla_wrong = np.concatenate([e[0] for e in errors.values()])
    wnll_wrong = np.concatenate([e[1] for e in errors.values()])
    fewer = int(vanilla_wrong.sum()) - int(wnll_wrong.sum())
    se = np.sqrt(max(int(np.sum(vanilla_wrong != wnll_wrong)), 1))
    # one run (--quick) can only show WNLL is not worse; several runs must show it is better
    bound = -2 * se if ctx.quick else 2 * se
    ctx.check("test errors vanilla - WNLL (pooled)", fewer, bound, comparison="ge",
              note=f"{int(vanilla_wrong.sum())} vs {int(wnll_wrong.sum())} errors",
              claim="osher2018/wnll-cifar10-whole", headline=True, paper=True)
    # the size: relative reduction vs the paper's lower end, 2 SE of the paired difference
    n_vanilla = max(int(vanilla_wrong.sum()), 1)
    ctx.check("relative error reduction by WNLL (pooled)", fewer / n_vanilla,
              PAPER_RELATIVE[0], tol=2 * se / n_vanilla, comparison="ge",
              note=f"paper {PAPER_RELATIVE[0]:.0%}-{PAPER_RELATIVE[1]:.0%}",
              claim="osher2018/wnll-relative-improvement", headline=True, paper=True)

    # Draw: error vs training-set size, each seed a dot, medians joined.
    from matplotlib.ticker import NullFormatter

    where = "MNIST" if ctx.full else "digits"
    heads = (("vanilla net (softmax output)", dict(color=_style.GREEN, marker="s", ls="--")),
             ("WNLL-activated net", dict(color=_style.color("wnll"), marker="o", ls="-")))
    with _style.context():
        fig, ax = plt.subplots(figsize=(6.8, 4.6))
        for i, (label, look) in enumerate(heads):
            ax.plot(sizes, [100 * med[n][i] for n in sizes], ms=7, lw=1.6,
                    label=f"{label}: median over {len(seeds)} seed(s)", **look)
            for n in sizes:
                ax.plot([n] * len(seeds), [100 * errors[n, s][i].mean() for s in seeds],
                        ls="none", marker=".", ms=7, color=look["color"], alpha=0.5)
            ax.plot([], [], ls="none", marker=".", ms=7, color=look["color"], alpha=0.5,
                    label=f"{label}: one seed")
        ax.set(xscale="log", xlabel="training images (labeled)", ylabel="test error (%)",
               xlim=(min(sizes) / 1.5, max(sizes) * 1.5),
               title=f"small conv net on {where}: vanilla vs WNLL output layer")
        ax.set_ylim(0, 1.15 * ax.get_ylim()[1])
        ax.set_xticks(sizes, [f"{n:d}" for n in sizes])
        ax.xaxis.set_minor_formatter(NullFormatter())
        _style.percent_axis(ax, decimals=0)
        ax.legend(loc="lower left", fontsize=8)
        _style.claim(fig, f"The WNLL output layer makes {100 * fewer / n_vanilla:.0f} % fewer "
                          f"test errors than softmax\n(pooled over sizes and seeds; paper, "
                          f"CIFAR-10: {100 * PAPER_RELATIVE[0]:.0f}–"
                          f"{100 * PAPER_RELATIVE[1]:.0f} %)")
        ctx.save_figure(fig)
