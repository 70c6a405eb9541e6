"""WNLL vs graph-Laplacian label extension at low label rates.

Osher 2018 ("Manifold interpolation – implicit activation"): when only a tiny
part S of the points P is labeled, the graph Laplacian's harmonic extension
degenerates (u is nearly constant with spikes at the labels); the weighted
nonlocal Laplacian (WNLL, Shi, Osher & Zhu 2017) adds the labeled points' term
with weight |P|/|S| − 1 and does not. The seed also asks how many labels are
needed at least, and answers N(1 + 1/2 + … + 1/N) ≈ N ln N for N classes: the
coupon collector's expected number of random labels until every class has one.

Here: one 15-neighbour self-tuning graph over all points (digits: 1797 points;
``--full``: MNIST's 70 000), labels drawn per class (1, 2, 3, 5, 10, 20, 50 …),
accuracy on the unlabeled points, mean ± std over independent label draws.

Checks
------
* At 1 label per class WNLL beats GL: the paired difference over the same
  label draws has a 95 % lower bound (mean − 2 SE) above 0. (On the 1797
  digits the margin is a few points; GL's degeneracy grows with |P|/|S|, so it
  is much larger on MNIST, ``--full``.)
* The coupon collector: the Monte Carlo number of uniformly random labels until
  every class is seen equals N·H_N within 3 standard errors plus the exact
  bias from the unequal class frequencies (computed by quadrature).
* N ln N labels suffice (``osher2018/n-ln-n-labels``, headline): WNLL with m = N·H_N
  uniformly random labels is as accurate as with m labels spread over every class, less
  the expected share of points in the classes the draw missed, Σ p_c(1 − p_c)^m (exact),
  within 2 standard errors of the difference over the draws; and m random labels beat N
  random labels (which miss ≈ 1/e of the classes) with a 95 % lower bound above 0.
"""
import numpy as np
from scipy.integrate import quad

from pdeopt.graph import harmonic_extension, knn_graph, weight_matrix

from . import _style
from ._harness import validation


def _points(ctx):
    if ctx.full:
        data = ctx.mnist()
    else:
        from pdeopt.data import load_digits
        data = load_digits()
    X = np.concatenate([data.x_train, data.x_test]).reshape(
        data.x_train.shape[0] + data.x_test.shape[0], -1).astype(np.float64)
    y = np.concatenate([data.y_train, data.y_test])
    return X, y


def accuracy_on_unlabeled(W, y, idx, method):
    """Accuracy on P∖S; classes absent from S are relabeled away (never predicted)."""
    present, codes = np.unique(y[idx], return_inverse=True)
    res = harmonic_extension(W, idx, codes, method=method, n_classes=present.size)
    mask = np.ones(y.size, bool)
    mask[idx] = False
    return float(np.mean(present[res.info["labels"][mask]] == y[mask]))


def expected_collector_time(p):
    """E[draws until every class is seen], class probabilities p (with replacement)."""
    return quad(lambda t: 1.0 - np.prod(-np.expm1(-p * t)), 0, np.inf, limit=200)[0]


@validation("wnll-low-label",
            source="Osher 2018, implicit activation: GL vs WNLL harmonic extension "
                   "(Shi, Osher, Zhu 2017); N ln N labels",
            description="WNLL beats GL at 1 label per class; ~N ln N random labels suffice "
                        "(coupon collector); accuracy vs labels per class, digits / MNIST.")
def wnll_low_label(ctx):
    import matplotlib.pyplot as plt

    # Set up: one graph over all points (the points are fixed, only the labels vary).
    X, y = _points(ctx)
    classes = np.unique(y)
    N = classes.size
    ctx.progress(f"{X.shape[0]} points, {X.shape[1]} features: building the 15-NN graph")
    W = weight_matrix(*knn_graph(X, 15, rng=ctx.seed), k_sigma=8)
    rates = ctx.pick(quick=[1, 3, 10], default=[1, 2, 3, 5, 10, 50],
                     full=[1, 2, 3, 5, 10, 50, 100])
    draws = ctx.pick(quick=6, default=16, full=5)
    by_class = [np.flatnonzero(y == c) for c in classes]

    # Compute: accuracy on the unlabeled points for every rate, draw and method.
    acc = {m: np.zeros((len(rates), draws)) for m in ("gl", "wnll")}
    for i, r in enumerate(rates):
        for j in range(draws):
            idx = np.concatenate([ctx.rng.choice(c, r, replace=False) for c in by_class])
            for m in acc:
                acc[m][i, j] = accuracy_on_unlabeled(W, y, idx, m)
        ctx.progress(f"{r} label(s)/class: GL {acc['gl'][i].mean():.3f}, "
                     f"WNLL {acc['wnll'][i].mean():.3f}")

    rows = ["| labels/class | GL accuracy | WNLL accuracy |", "| --- | --- | --- |"]
    rows += [f"| {r} | {100 * acc['gl'][i].mean():.2f} ± {100 * acc['gl'][i].std():.2f} % | "
             f"{100 * acc['wnll'][i].mean():.2f} ± {100 * acc['wnll'][i].std():.2f} % |"
             for i, r in enumerate(rates)]
    ctx.table("\n".join(rows))

    # Check 1: WNLL beats GL at the lowest rate (paired over the same label draws).
    diff = acc["wnll"][0] - acc["gl"][0]
    se = diff.std(ddof=1) / np.sqrt(draws)
    ctx.check("WNLL - GL at 1 label/class, lower 95% bound", diff.mean() - 2 * se, 0.0,
              comparison="ge", note=f"mean {100 * diff.mean():.1f} pts over {draws} draws",
              claim="osher2018/wnll-vs-gl", paper=True)

    # Check 2: the coupon collector gives N H_N random labels to see every class.
    harmonic = N * np.sum(1.0 / np.arange(1, N + 1))
    trials = ctx.pick(quick=1000, default=4000)
    draws_of_labels = np.searchsorted(classes, y)[ctx.rng.permuted(
        np.tile(np.arange(y.size), (trials, 1)), axis=1)[:, :20 * N]]
    seen = np.stack([np.argmax(draws_of_labels == c, axis=1) for c in range(N)], axis=1)
    complete = np.all(np.any(draws_of_labels[:, :, None] == np.arange(N), axis=1), axis=1)
    first_complete = np.where(complete, seen.max(axis=1) + 1, np.nan)
    p = np.bincount(np.searchsorted(classes, y)) / y.size
    bias = abs(expected_collector_time(p) - harmonic)
    mc_se = np.nanstd(first_complete) / np.sqrt(trials)
    ctx.check("random labels until every class is seen", np.nanmean(first_complete), harmonic,
              tol=3 * mc_se + bias, note=f"N H_N, N = {N}; class-imbalance bias {bias:.2f}")

    # Check 3: WNLL with N H_N uniformly random labels (the paper's "at least" count) works
    # as well as the same count spread over every class, short of the points of the classes
    # the draw missed: their expected share is Σ_c p_c (1 − p_c)^m, exact for m draws with
    # replacement (without replacement it is slightly smaller, so the check is conservative).
    # With only N random labels that share is (1 − 1/N)^N ≈ 1/e: far fewer labels fail.
    m = int(round(harmonic))
    per_class = m // N + (np.arange(N) < m % N)

    def label_accuracy(kind):
        if kind == "spread":   # m labels covering every class (class order shuffled)
            counts = ctx.rng.permutation(per_class)
            idx = np.concatenate([ctx.rng.choice(c, k, replace=False)
                                  for c, k in zip(by_class, counts)])
        else:                  # m (or N) uniformly random labels
            idx = ctx.rng.choice(y.size, m if kind == "random" else N, replace=False)
        return accuracy_on_unlabeled(W, y, idx, "wnll")

    lab = {k: np.array([label_accuracy(k) for _ in range(draws)])
           for k in ("random", "spread", "N random")}
    missed = float(np.sum(p * (1 - p) ** m))
    predicted = lab["spread"].mean() * (1 - missed)
    se3 = np.hypot(lab["random"].std(ddof=1), lab["spread"].std(ddof=1)) / np.sqrt(draws)
    ctx.progress(f"WNLL with {m} labels: random {100 * lab['random'].mean():.1f} %, spread over "
                 f"the classes {100 * lab['spread'].mean():.1f} %; {N} random labels "
                 f"{100 * lab['N random'].mean():.1f} %")
    ctx.check(f"WNLL accuracy, N H_N = {m} random labels", lab["random"].mean(), predicted,
              tol=2 * se3, comparison="ge",
              note=f"= spread {lab['spread'].mean():.3f} x (1 - missed {missed:.3f}), 2 SE",
              claim="osher2018/n-ln-n-labels", headline=True, paper=True)
    gain = lab["random"] - lab["N random"]   # independent draws: SE from both spreads
    se4 = np.hypot(lab["random"].std(ddof=1), lab["N random"].std(ddof=1)) / np.sqrt(draws)
    ctx.check(f"WNLL: {m} minus {N} random labels, lower 95% bound", gain.mean() - 2 * se4, 0.0,
              comparison="ge", note=f"mean {100 * gain.mean():.1f} pts",
              claim="osher2018/n-ln-n-labels", paper=True)
    random_acc = lab["random"]

    # Draw what was checked: both curves, the N H_N mark and the random-label points.
    from matplotlib.ticker import NullFormatter

    where = "MNIST" if ctx.full else "digits"
    with _style.context():
        fig, ax = plt.subplots(figsize=(7.4, 6.2))
        for k, (m_name, ls) in enumerate((("gl", "--"), ("wnll", "-"))):
            shift = 1.03 ** (2 * k - 1)   # side by side, so the error bars do not overlap
            ax.errorbar(np.asarray(rates) * shift, 100 * acc[m_name].mean(1),
                        yerr=100 * acc[m_name].std(1), ls=ls, capsize=3, ms=6,
                        **_style.method(m_name, label="{}: labels spread evenly over the "
                                                      "classes (mean ± std over draws)"))
        ax.axvline(harmonic / N, color=_style.THEORY, ls=":",
                   label=f"N H_N / N = {harmonic / N:.2f} (coupon collector: random labels "
                         "to see every class)")
        wnll = _style.color("wnll")
        ax.errorbar([m / N], [100 * random_acc.mean()], yerr=[100 * random_acc.std()],
                    fmt="*", ms=12, capsize=3, color=wnll,
                    label=f"WNLL: N H_N = {m} uniformly random labels (checked)")
        ax.errorbar([1.0], [100 * lab["N random"].mean()], yerr=[100 * lab["N random"].std()],
                    fmt="*", ms=12, capsize=3, mfc="white", color=wnll,
                    label=f"WNLL: only N = {N} uniformly random labels")
        ax.plot([m / N], [100 * predicted], ls="none", marker="_", ms=22, mew=2,
                color=_style.THEORY, label="expected: evenly spread × (1 − share of classes "
                                           "missed)")
        ax.set(xscale="log", xlabel="labels per class (labeled points / N classes)",
               ylabel="accuracy on unlabeled points (%)",
               title=f"graph Laplacian (GL) vs WNLL interpolation, {where} (n = {y.size})")
        ticks = sorted(set(rates) | {1})
        ax.set_xticks(ticks, [f"{t:g}" for t in ticks])
        ax.xaxis.set_minor_formatter(NullFormatter())
        _style.percent_axis(ax, decimals=0)
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=1, fontsize=8)
        _style.claim(fig, "WNLL beats GL at 1 label per class, and N H_N ≈ N ln N random "
                          "labels\nare enough: they see every class (coupon collector)")
        ctx.save_figure(fig)
