"""WNLL activation against depth and over training: the degradation and evolution figures.

Osher 2018 (implicit activation; Wang et al., arXiv 1802.00168), two CIFAR-10 figures:

* "Degradation of DNN when lack of training data": with 1000 / 10000 training images the
  vanilla PreActResNet18/34/50 do not lower their test error as they get deeper; the
  WNLL-activated ones do ("WNLL activation resolves this degeneracy").
* "Accuracy evolution": over the epochs of training, the WNLL-activated ResNet50 /
  PreActResNet50 reach higher test accuracy than the vanilla ones.

Here, a small-scale analogue: ReLU MLPs (width 32) with 1, 3 and 6 hidden layers on
300 training images of scikit-learn's digits (its 447 held-out images are the
validation set). The vanilla net is trained with softmax by SGD for as many epochs as
the WNLL-activated net's three-step alternation (:func:`pdeopt.nn.wnll_layer.train_wnll`:
step 1, then rounds of step 2 (buffer fine-tuning) and step 3 (retraining)) uses in all;
the WNLL head labels the validation points from a template of the 300 training points.
Both nets start from the same weights (seed) and are paired by seed.

Checks (paper=True, tolerance 2 standard errors of the mean over seeds of the paired,
per-seed difference):

* degradation (``osher2018/wnll-degradation``, headline): the vanilla net's error
  increase from the shallowest to the deepest net exceeds the WNLL net's by more than
  2 SE (``--quick``: is not below it by more than 2 SE);
* the deepest WNLL net has lower error than the deepest vanilla net (same tolerance);
* evolution (``osher2018/wnll-accuracy-evolution``, headline): at every phase end of
  the alternation, the WNLL net's validation accuracy minus the vanilla net's at the
  same epoch, averaged over the phase ends and depths, exceeds 2 SE (``--quick``: is not
  below −2 SE).

Sanity (ordinary checks): every net trains, its final validation error is below half
chance (45 %, chance being 90 % error).
"""
import numpy as np

from . import _style
from ._harness import validation

CHANCE = 0.9  # error of a random guess among 10 balanced classes


@validation("wnll-depth",
            source="Osher 2018, implicit activation: figures 'Degradation of DNN' and "
                   "'Accuracy evolution' (Wang et al. arXiv 1802.00168)",
            description="vanilla vs WNLL-activated MLPs on 300 digits: validation error "
                        "against depth, and accuracy over the training epochs.")
def wnll_depth(ctx):
    import matplotlib.pyplot as plt

    from pdeopt.data import load_digits
    from pdeopt.nn import SGD, mlp, train
    from pdeopt.nn.wnll_layer import train_wnll

    # Set up: 300 training images, depths, seeds, and the alternation's epochs.
    data = load_digits()
    n_train, width, lr = 300, 32, 0.05
    depths = ctx.pick(quick=[1, 4], default=[1, 3, 6])
    seeds = ctx.pick(quick=[0, 1], default=list(range(20)))
    linear, rounds, buffer, retrain = ctx.pick(quick=(6, 2, 1, 3), default=(8, 3, 1, 3))
    epochs = linear + rounds * (buffer + retrain)  # the vanilla net's budget
    # the epoch at which each phase of the alternation ends: 1, then (2, 3) per round
    phase_epochs = [linear] + [linear + k * (buffer + retrain) + e
                               for k in range(rounds) for e in (buffer, buffer + retrain)]

    def one_run(depth, seed):
        """Validation errors per epoch (vanilla) and per phase end (WNLL) of one pair."""
        sub = np.random.default_rng([ctx.seed, seed]).permutation(len(data.y_train))[:n_train]
        pair = (data.x_train[sub], data.y_train[sub], data.x_test, data.y_test)
        vanilla = mlp([width] * depth, input_shape=(8, 8), rng=seed)
        hist = train(vanilla, SGD(lr, momentum=0.9), pair, epochs=epochs, batch_size=64,
                     rng=seed).history
        wnll = mlp([width] * depth, input_shape=(8, 8), rng=seed)
        res = train_wnll(wnll, pair, lr=lr, epochs_linear=linear, epochs_buffer=buffer,
                         epochs_retrain=retrain, rounds=rounds, rng=seed)
        return np.asarray(hist["val_error"]), np.asarray(res.history["val_error_wnll"])

    van, wn = {}, {}  # (depth, seed) -> errors per epoch / per phase end
    for depth in depths:
        for seed in seeds:
            van[depth, seed], wn[depth, seed] = one_run(depth, seed)
        ctx.progress(f"{depth} hidden layers: vanilla final "
                     f"{np.mean([van[depth, s][-1] for s in seeds]):.3f}, WNLL final "
                     f"{np.mean([wn[depth, s][-1] for s in seeds]):.3f} (mean over seeds)")

    def mean_se(per_seed):
        """Mean and standard error of the mean over seeds."""
        per_seed = np.asarray(per_seed, dtype=float)
        return per_seed.mean(), per_seed.std(ddof=1) / np.sqrt(len(per_seed))

    # Sanity: every net learned (final validation error well below chance).
    worst = max(max(van[k][-1], wn[k][-1]) for k in van)
    ctx.check("worst final validation error (all nets) < chance / 2", worst, CHANCE / 2,
              comparison="le", note="chance = 90 % error")

    # (a) degradation: the error increase from the shallowest to the deepest net.
    lo, hi = depths[0], depths[-1]
    rise_van = [van[hi, s][-1] - van[lo, s][-1] for s in seeds]
    rise_wn = [wn[hi, s][-1] - wn[lo, s][-1] for s in seeds]
    less, se = mean_se(np.subtract(rise_van, rise_wn))
    # one quick pair can only show WNLL does not degrade more; default must show it less
    bound = -2 * se if ctx.quick else 2 * se
    ctx.check(f"error rise {lo}->{hi} layers: vanilla - WNLL", less, bound, comparison="ge",
              note=f"vanilla {np.mean(rise_van):+.3f}, WNLL {np.mean(rise_wn):+.3f}; 2 SE",
              claim="osher2018/wnll-degradation", headline=True, paper=True)
    gap_deep, se_deep = mean_se([van[hi, s][-1] - wn[hi, s][-1] for s in seeds])
    ctx.check(f"{hi} layers: vanilla - WNLL final error", gap_deep,
              -2 * se_deep if ctx.quick else 2 * se_deep, comparison="ge",
              note="paired over seeds; 2 SE", claim="osher2018/wnll-degradation", paper=True)

    # (b) evolution: accuracy gap at each phase end, vanilla read at the same epoch.
    at = np.array(phase_epochs) - 1  # history row of that epoch
    gain = [np.mean([np.mean(van[d, s][at] - wn[d, s]) for d in depths]) for s in seeds]
    g, se_g = mean_se(gain)
    ctx.check("accuracy WNLL - vanilla, mean over phase ends and depths", g,
              -2 * se_g if ctx.quick else 2 * se_g, comparison="ge",
              note="paired over seeds; 2 SE", claim="osher2018/wnll-accuracy-evolution",
              headline=True, paper=True)

    # Draw: (a) final error against depth, (b) accuracy over epochs at the deepest net.
    looks = {"vanilla": dict(color=_style.GREEN, marker="s", ls="--"),
             "wnll": dict(color=_style.color("wnll"), marker="o", ls="-")}
    names = {"vanilla": "vanilla net (softmax output)", "wnll": "WNLL-activated net"}
    with _style.context():
        fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.4))
        for key, runs in (("vanilla", van), ("wnll", wn)):
            err = [100 * np.mean([runs[d, s][-1] for s in seeds]) for d in depths]
            sem = [100 * mean_se([runs[d, s][-1] for s in seeds])[1] for d in depths]
            ax1.errorbar(depths, err, yerr=[2 * e for e in sem], capsize=3,
                         label=f"{names[key]} (mean ± 2 SE, {len(seeds)} seeds)",
                         **looks[key])
        ax1.set(xlabel="hidden layers (width 32)", ylabel="final validation error (%)",
                xticks=depths, title=f"(a) error against depth, {n_train} training images")
        ax1.legend(fontsize=8)
        curve_v = 100 * (1 - np.mean([van[hi, s] for s in seeds], axis=0))
        curve_w = 100 * (1 - np.mean([wn[hi, s] for s in seeds], axis=0))
        ax2.plot(np.arange(1, epochs + 1), curve_v, label=f"{names['vanilla']}, per epoch",
                 **looks["vanilla"])
        ax2.plot(phase_epochs, curve_w, label=f"{names['wnll']}, at each phase end",
                 **looks["wnll"])
        ax2.set(xlabel="training epoch", ylabel="validation accuracy (%)",
                title=f"(b) accuracy over training, {hi} hidden layers (mean over seeds)")
        ax2.legend(fontsize=8)
        _style.claim(fig, "Paper (CIFAR-10): WNLL stops deeper nets from degrading and "
                          "reaches higher accuracy over training\n"
                          f"here, digits: error rise vanilla − WNLL {100 * less:+.1f} points "
                          f"(2 SE {200 * se:.1f}); accuracy gain {100 * g:+.1f} points "
                          f"(2 SE {200 * se_g:.1f})")
        ctx.save_figure(fig)
