"""RVSCGD sparsifies a LeNet with binarized ReLU (Dinh & Xin 2020, Table 1, at digits scale).

LeNet with every ReLU replaced by the binarized ReLU σ(z) = 1{z > 0}, trained with
the coarse gradient (ReLU-derivative surrogate), SGD with momentum 0.9 and weight
decay 5e-4, learning rate dropped ×0.1 at 60% of the epochs — the paper's recipe
(its lr 1e-3 for 100 MNIST epochs is replaced by 1e-2 for the short runs here).
Deviation: batch normalization after each convolution/dense layer; without it the
ReLU-derivative surrogate leaves this small net at chance level (measured: 85–90%
error after 8 epochs at lr 1e-3 and 1e-2), because most pre-activations are
negative and pass no coarse gradient.

RVSCGD (ℓ0) on the same recipe: u = hard-threshold of the weight tensors at
√(2λ/β), w ← w − γ(g + β(w − u)); the sparse net is u (biases and BN parameters
from w, BN running statistics re-estimated for u by three train-mode passes). Reported: test accuracy of the base net and of the sparse net u, and the
sparsity (share of zero weights), beside the paper's MNIST numbers (base 89.13%,
RVSCGD 84.74% at 83.76% sparsity, i.e. 4.39 points lost). On digits the checks are
that all three nets classify (accuracy ≥ 0.5, chance 0.1) and that u is mostly
zeros; the paper's accuracy loss is checked on MNIST (``--full``): at digits scale
and 12 epochs the measured loss is larger (about 11 points at 72% sparsity).
"""
import numpy as np

from ._harness import validation

PAPER = {"base": 89.13, "sparsity": 83.76, "loss": 4.39}


def _recalibrate_batch_norm(model, x, rng, passes=3, batch=128):
    """Re-estimate BN running statistics for the thresholded weights u (train-mode passes).

    Thresholding changes every pre-activation's distribution, so the running
    means/variances learnt with w would mis-normalise u's activations.
    """
    for _ in range(passes):
        order = rng.permutation(len(x))
        for start in range(0, len(x), batch):
            model.forward(x[order[start:start + batch]], train=True)


@validation("rvscgd-lenet",
            source="Dinh & Xin 2020, Table 1 (binarized-ReLU LeNet, SGD vs RVSCGD)",
            description="RVSCGD trains a binarized-activation LeNet whose thresholded weights "
                        "are mostly zero, at a small accuracy cost relative to SGD.")
def rvscgd_lenet(ctx):
    import math

    import matplotlib.pyplot as plt

    from pdeopt.data import load_digits
    from pdeopt.nn import SGD, lenet, step_schedule, train
    from pdeopt.optim import RVSCGD

    mnist = ctx.full  # --full runs on MNIST (skips when the files are absent)
    data = ctx.mnist() if mnist else load_digits()
    shape = data.x_train.shape[1:]
    epochs = ctx.pick(quick=12, default=12, full=15)  # full: ~2 h on 2 cores
    seeds = list(range(ctx.pick(quick=1, default=2, full=1)))
    channels, hidden = ctx.pick(quick=((12, 24), 64), default=((20, 50), 128),
                                full=((20, 50), 500))
    lam, beta, lr = 1e-2, 5.0, 1e-2  # threshold √(2λ/β) = 0.063
    schedule = step_schedule({max(1, int(0.6 * epochs)): 0.1})

    def net(seed):
        return lenet(channels=channels, hidden=hidden, batch_norm=True, activation="binary_relu",
                     input_shape=shape, rng=seed)

    acc = {"SGD": [], "RVSCGD w": [], "RVSCGD u": []}
    sparsity, curves = [], {"SGD": [], "RVSCGD": []}
    for seed in seeds:
        model = net(seed)
        res = train(model, SGD(lr, momentum=0.9, weight_decay=5e-4, schedule=schedule), data,
                    epochs=epochs, batch_size=64, rng=seed)
        acc["SGD"].append(1 - model.error(data.x_test, data.y_test))
        curves["SGD"].append(1 - res.history["val_error"])

        model = net(seed)
        layers = [(n, s) for n, s in model.param_slices() if n.endswith(".W")]
        opt = RVSCGD(lr, lam=lam, beta=beta, penalty_kind="l0", layers=layers, momentum=0.9,
                     weight_decay=5e-4, schedule=schedule)
        res = train(model, opt, data, epochs=epochs, batch_size=64, rng=seed)
        acc["RVSCGD w"].append(1 - model.error(data.x_test, data.y_test))
        curves["RVSCGD"].append(1 - res.history["val_error"])
        u = opt.sparse(model.params)
        weights = np.concatenate([u[s] for _, s in layers])
        sparsity.append(float(np.mean(weights == 0)))
        model.params[...] = u
        _recalibrate_batch_norm(model, data.x_train, ctx.rng)
        acc["RVSCGD u"].append(1 - model.error(data.x_test, data.y_test))
        ctx.progress(f"seed {seed}: SGD {acc['SGD'][-1]:.4f}, RVSCGD u {acc['RVSCGD u'][-1]:.4f} "
                     f"at sparsity {sparsity[-1]:.3f}")

    base, sparse = np.mean(acc["SGD"]), np.mean(acc["RVSCGD u"])
    n_test = len(data.y_test)
    se = math.sqrt(2 * base * (1 - base) / n_test)  # binomial SE of an accuracy difference
    ctx.check("SGD base accuracy, binarized LeNet", base, 0.5, comparison="ge",
              note="chance is 0.1; the paper's MNIST base is 0.8913")
    ctx.check("RVSCGD sparsity of the weights (share of zeros)", np.mean(sparsity), 0.5,
              comparison="ge", note=f"paper 0.8376 at its λ")
    ctx.check("accuracy of the sparse net u", sparse, 0.5, comparison="ge",
              note="chance is 0.1")
    if mnist:  # the paper's claim is about MNIST after long training: checked in --full only
        ctx.check("accuracy lost by the sparse net u (points)", 100 * (base - sparse),
                  PAPER["loss"], comparison="le",
                  tol=100 * max(se, np.std(acc["SGD"]), np.std(acc["RVSCGD u"])),
                  note="paper loses 4.39 points")
    ctx.table(f"{'MNIST' if mnist else 'digits'} test accuracy (%), {len(seeds)} seed(s), "
              f"{epochs} epochs, λ = {lam}, β = {beta}\n\n"
              "| | base (SGD) | RVSCGD (w) | RVSCGD sparse (u) | sparsity (%) |\n"
              "| --- | --- | --- | --- | --- |\n"
              f"| ours | {100 * base:.2f} ± {100 * np.std(acc['SGD']):.2f} | "
              f"{100 * np.mean(acc['RVSCGD w']):.2f} | {100 * sparse:.2f} ± "
              f"{100 * np.std(acc['RVSCGD u']):.2f} | {100 * np.mean(sparsity):.2f} |\n"
              f"| paper (MNIST) | {PAPER['base']} | — | {PAPER['base'] - PAPER['loss']:.2f} | "
              f"{PAPER['sparsity']} |")

    fig, ax = plt.subplots(figsize=(6, 4))
    for name, c in curves.items():
        ax.plot(np.arange(1, epochs + 1), 100 * np.mean(c, axis=0), label=name)
    ax.axhline(100 * sparse, color="C1", ls=":", label="RVSCGD sparse net u (final)")
    ax.set(xlabel="epoch", ylabel="validation accuracy (%)",
           title=f"binarized-ReLU LeNet; u has {100 * np.mean(sparsity):.0f}% zero weights")
    ax.legend(fontsize=8)
    ctx.save_figure(fig)
