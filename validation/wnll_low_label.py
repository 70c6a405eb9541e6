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

The figure also shows WNLL's accuracy with N·H_N uniformly random labels (some
draws then miss a class, which is never predicted).
"""
import numpy as np
from scipy.integrate import quad

from pdeopt.graph import harmonic_extension, knn_graph, weight_matrix

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
              claim="osher2018/wnll-vs-gl")

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

    # Shown, not checked: WNLL with about N H_N uniformly random labels.
    m = int(round(harmonic))
    random_acc = np.array([accuracy_on_unlabeled(W, y, ctx.rng.choice(y.size, m, replace=False),
                                                 "wnll") for _ in range(draws)])
    ctx.progress(f"WNLL with {m} uniformly random labels: {100 * random_acc.mean():.1f} ± "
                 f"{100 * random_acc.std():.1f} %")

    # Draw what was checked: both curves, the N H_N mark and the random-label point.
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    for m_name, style in (("gl", "s--"), ("wnll", "o-")):
        ax.errorbar(rates, 100 * acc[m_name].mean(1), yerr=100 * acc[m_name].std(1), fmt=style,
                    capsize=3, label=m_name.upper())
    ax.axvline(harmonic / N, color="gray", ls=":", label=f"N H_N / N = {harmonic / N:.2f}")
    ax.errorbar([m / N], [100 * random_acc.mean()], yerr=[100 * random_acc.std()], fmt="*",
                ms=11, color="C3", label=f"WNLL, {m} uniformly random labels")
    ax.set(xscale="log", xlabel="labels per class", ylabel="accuracy on unlabeled points (%)",
           title=f"GL vs WNLL harmonic extension ({'MNIST' if ctx.full else 'digits'}, "
                 f"n = {y.size})")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    ctx.save_figure(fig)
