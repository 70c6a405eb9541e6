"""Table 1 of the seed: validation error (%) @ effective epochs of ESGD, HEAT, H-ESGD, HJ and SGD.

Every method trains the same net from the same initializations (8 seeds) under
the same budget of gradient evaluations, counted in *effective epochs*
(evaluations / minibatches per epoch, so an inner loop of L steps costs L). Per
method the table gives the lowest seed-mean validation error within the budget,
± its standard deviation over seeds, @ the effective epoch where it was reached.

Default mode: sklearn's 8×8 digits with an mnistfc-shaped MLP (two hidden layers,
dropout) and a LeNet-shaped conv net, both scaled down for CPU runs. ``--full``:
MNIST with mnistfc (784-1024-1024-10) and LeNet, beside the seed's numbers.

Checks (like with like): each method's *final* validation error at the common budget
against SGD's final error, paired over the same seeds (8 by default): the relative
difference (e_m − e_SGD)/e_SGD must equal the paper's (e.g. ESGD −1.8 %, HJ +6.4 % on
mnistfc; HEAT +18 % on LeNet) within 2 standard errors of the paired mean. A method
clearly worse than SGD where the paper has it level (or better) fails: the ordering is
then not reproduced. SGD's rows: LeNet's final error below mnistfc's (paper 0.5 vs 1.10 %),
paired by seed, 95 % upper bound below 0. At digits scale the errors themselves (3–6 %)
cannot be compared with MNIST's (0.5–1.2 %): the verdicts are partial at best.

Hyper-parameters (ours, not tuned per method beyond a stable learning rate):
batch 64 (128 on MNIST), Nesterov momentum 0.9 for every outer step; ESGD/HJ/
H-ESGD: γ₀ = 0.03, γ₁ = 1e-3, L = 5, η′ = SGD's lr (no inner momentum),
outer lr = 1/γ₀ (the outer step moves x to the average μ, as in the Entropy-SGD
code); SGD lr 0.1 (mnistfc) or 0.05 (LeNet); HEAT: lr 0.05, L = 2, τ₀ = 1e-3;
H-ESGD: τ₀ = 1e-4. Quick mode runs mnistfc only.

On a GPU: ``PDEOPT_DEVICE=cuda pdeopt validate deep-relaxation-table --full`` trains every
unit there (``train(..., backend="cuda")``; needs CuPy). Its units are saved apart from the
CPU's (their parameters name the device: the GPU's dropout masks, minibatch orders and noise
come from CuPy's generator), and several such processes share the units as on the CPU.
"""
import os

import numpy as np

from pdeopt.nn import SGD, lenet, mnistfc, train
from pdeopt.optim import HJ, EntropySGD, Heat, HeatEntropySGD

from . import _style
from ._harness import validation

METHODS = ("ESGD", "HEAT", "H-ESGD", "HJ", "SGD")
SEED_TABLE = {  # Oberman 2017, Table 1: error % @ effective epochs
    "mnistfc": {"ESGD": "1.08 ± 0.02 @ 120", "HEAT": "1.13 ± 0.02 @ 200",
                "H-ESGD": "1.15 ± 0.03 @ 160", "HJ": "1.17 ± 0.04 @ 200",
                "SGD": "1.10 ± 0.01 @ 194"},
    "LeNet": {"ESGD": "0.5 ± 0.01 @ 80", "HEAT": "0.59 ± 0.02 @ 75", "H-ESGD": "0.51 ± 0.02 @ 60",
              "HJ": "0.5 ± 0.01 @ 70", "SGD": "0.5 ± 0.02 @ 67"},
}


def paper_value(net, method):
    """The paper's validation error (%) of ``method`` on ``net`` (Table 1)."""
    return float(SEED_TABLE[net][method].split()[0])


def make_optimizer(method, sgd_lr, seed):
    gamma = 0.03
    relaxed = dict(coupling=gamma, scoping=1e-3, L=5, inner_lr=sgd_lr, inner_momentum=0.0,
                   momentum=0.9, rng=seed)
    if method == "SGD":
        return SGD(sgd_lr, momentum=0.9, nesterov=True)
    if method == "HEAT":
        return Heat(0.05, heat=1e-3, L=2, momentum=0.9, rng=seed)
    if method == "ESGD":
        return EntropySGD(1.0 / gamma, **relaxed)
    if method == "HJ":
        return HJ(1.0 / gamma, **relaxed)
    return HeatEntropySGD(1.0 / gamma, heat=1e-4, **relaxed)


def device():
    """Where the units train: ``$PDEOPT_DEVICE``, ``"cpu"`` (the default) or ``"cuda"``."""
    name = os.environ.get("PDEOPT_DEVICE", "cpu").strip().lower() or "cpu"
    if name not in ("cpu", "cuda"):
        raise ValueError(f"PDEOPT_DEVICE must be 'cpu' or 'cuda', got {name!r}")
    return name


def train_unit(data, build, method, sgd_lr, budget, seed, batch_size, on="cpu"):
    """One training run (on device ``on``): its validation-error curve on the
    effective-epoch axis."""
    per_epoch = int(np.ceil(data[0].shape[0] / batch_size))
    res = train(build(seed), make_optimizer(method, sgd_lr, seed), data, epochs=10 ** 6,
                batch_size=batch_size, rng=seed, max_evals=budget * per_epoch,
                backend="cuda" if on == "cuda" else "auto")
    return {"val_error": res.history["val_error"],
            "effective_epochs": res.history["effective_epochs"]}


def run_all(ctx, data, nets, seeds, batch_size):
    """Every (net, method, seed) run, as units of the run (``--full``: saved, resumable)."""
    specs, keys = [], []
    on = device()
    where = {} if on == "cpu" else {"device": on}   # the CPU's saved units keep their keys
    for net, (build, sgd_lr, budget) in nets.items():
        for method in METHODS:
            for seed in seeds:
                keys.append((net, method, seed))
                specs.append((
                    f"{net}-{method}-seed{seed}" + ("" if on == "cpu" else f"-{on}"),
                    lambda b=build, m=method, lr=sgd_lr, n=budget, s=seed:
                        train_unit(data, b, m, lr, n, s, batch_size, on),
                    dict(net=net, optimizer=repr(make_optimizer(method, sgd_lr, seed)),
                         budget=budget, seed=seed, batch_size=batch_size,
                         n_train=int(data[0].shape[0]), **where)))
    return dict(zip(keys, ctx.units(specs)))


def curves_of(runs, net, method, seeds):
    """The seeds' validation-error curves (cut to the shortest) and their axis."""
    rows = [runs[(net, method, seed)] for seed in seeds]
    n = min(r["val_error"].size for r in rows)
    return np.array([r["val_error"][:n] for r in rows]), rows[0]["effective_epochs"][:n]


@validation("deep-relaxation-table",
            source="Oberman 2017, Table 1 (Chaudhari, Oberman, Osher, Soatto, Carlier 2018)",
            description="ESGD, HEAT, H-ESGD, HJ and SGD train mnistfc- and LeNet-shaped nets; "
                        "final validation errors vs SGD's, paired over seeds, as in Table 1.")
def deep_relaxation_table(ctx):
    import matplotlib.pyplot as plt

    seeds = range(ctx.pick(quick=2, default=8, full=3))
    if ctx.full:
        ds = ctx.mnist()
        shape, batch = (28, 28), 128
        nets = {"mnistfc": (lambda s: mnistfc(input_shape=shape, rng=s), 0.1, 100),
                "LeNet": (lambda s: lenet(input_shape=shape, dropout=0.5, rng=s), 0.05, 60)}
    else:
        from pdeopt.data import load_digits
        ds = load_digits()
        shape, batch = (8, 8), 64
        nets = {"mnistfc": (lambda s: mnistfc(hidden=128, input_shape=shape, rng=s), 0.1,
                            ctx.pick(quick=4, default=30)),
                "LeNet": (lambda s: lenet(channels=(8, 16), hidden=64, kernel_size=3,
                                          input_shape=shape, rng=s), 0.05,
                          ctx.pick(quick=None, default=16))}
        nets = {k: v for k, v in nets.items() if v[2] is not None}  # quick: mnistfc only
    data = (ds.x_train, ds.y_train, ds.x_test, ds.y_test)

    runs = run_all(ctx, data, nets, seeds, batch)
    if ctx.full:
        ctx.progress(ctx.units_note())
    rows, fig_curves, final = [], {}, {}
    for net in nets:
        cells = {}
        for method in METHODS:
            curves, eff = curves_of(runs, net, method, seeds)
            final[net, method] = curves[:, -1]   # each seed's error at the common budget
            mean, std = curves.mean(axis=0), curves.std(axis=0, ddof=1)
            best = int(np.argmin(mean))
            fig_curves[(net, method)] = (eff, mean)
            cells[method] = (f"{100 * mean[best]:.2f} ± {100 * std[best]:.2f} @ "
                             f"{eff[best]:.0f}; final {100 * mean[-1]:.2f} ± "
                             f"{100 * std[-1]:.2f} @ {eff[-1]:.0f}")
        # Like with like: each method's FINAL validation error against SGD's FINAL error,
        # same seeds (same initializations and minibatch orders), same budget of effective
        # epochs. The paper's claim is each method's error relative to SGD's,
        # (e_m - e_SGD)/e_SGD, e.g. ESGD -1.8 % on mnistfc, HEAT +18 % on LeNet; ours is
        # the mean paired difference over the seeds over SGD's mean, and the tolerance is
        # 2 standard errors of that paired mean (the paper's own spread, 0.01-0.04 points
        # on 1 %, is far below ours and is not added).
        e_sgd = final[net, "SGD"]
        for method in METHODS[:-1]:
            diff = final[net, method] - e_sgd
            ours = diff.mean() / e_sgd.mean()
            se = diff.std(ddof=1) / np.sqrt(len(seeds)) / e_sgd.mean()
            paper = paper_value(net, method) / paper_value(net, "SGD") - 1
            ctx.check(f"{net}: {method} vs SGD, final error, relative", ours, paper,
                      tol=2 * se, note=f"{100 * final[net, method].mean():.2f} vs "
                      f"{100 * e_sgd.mean():.2f} %; SE {se:.3f}",
                      claim=f"oberman2017/table1-{net.lower()}-{method.lower()}",
                      headline=True, paper=True)
        rows.append((net, cells))
    if len(nets) == 2:
        # SGD's column: LeNet's final error below mnistfc's (0.5 vs 1.10 % in the paper),
        # paired by seed, its 95 % upper bound (mean + 2 SE) below 0
        gap = final["LeNet", "SGD"] - final["mnistfc", "SGD"]
        ctx.check("SGD: LeNet minus mnistfc final error, upper 95% bound",
                  gap.mean() + 2 * gap.std(ddof=1) / np.sqrt(len(seeds)), 0.0,
                  comparison="le", note=f"mean {100 * gap.mean():.2f} points; paper -0.60",
                  claim=["oberman2017/table1-mnistfc-sgd", "oberman2017/table1-lenet-sgd"],
                  headline=True, paper=True)

    lines = ["| net | " + " | ".join(METHODS) + " |", "|---" * (len(METHODS) + 1) + "|"]
    for net, cells in rows:
        lines.append(f"| {net} ({'MNIST' if ctx.full else 'digits'}, ours) | "
                     + " | ".join(cells[m] for m in METHODS) + " |")
        lines.append(f"| {net} (seed, MNIST) | " + " | ".join(SEED_TABLE[net][m] for m in METHODS)
                     + " |")
    ctx.table("Validation error (%) mean ± std over seeds: best @ its effective epoch; final "
              "@ the budget (the seed's: best @ effective epochs)\n\n"
              + "\n".join(lines))

    # Draw: each method's seed-mean curve, one point per training epoch (an ESGD, HJ or
    # H-ESGD epoch costs L = 5 effective epochs, HEAT's 2, SGD's 1: hence sparser points).
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    where = "MNIST" if ctx.full else "digits"
    with _style.context():
        fig, axes = plt.subplots(1, len(nets), figsize=(6.2 * len(nets), 4.8), squeeze=False)
        for ax, net in zip(axes[0], nets):
            for method in METHODS:
                eff, mean = fig_curves[(net, method)]
                kw = _style.method(method)
                cost = {"SGD": 1, "HEAT": 2}.get(method, 5)
                ax.plot(eff, 100 * mean, ms=5, lw=1.4,
                        **{**kw, "label": f"{kw['label']} ({cost} eff. epoch"
                                          f"{'s' if cost > 1 else ''} per epoch)"})
            budget = max(fig_curves[(net, m)][0][-1] for m in METHODS)
            ax.axvline(budget, color=_style.THEORY, ls=":", lw=1,
                       label="budget: final errors compared with SGD's (checked)")
            ax.set(title=f"{net}-shaped net on {where} (mean of {len(seeds)} seeds)",
                   xlabel="effective epochs (gradient evaluations / minibatches per epoch)",
                   ylabel="validation error (%)", yscale="log")
            lo, hi = ax.get_ylim()   # short ranges: more plain ticks than 1-2-5
            subs = (1, 2, 3, 4, 5, 6, 8) if hi / lo < 20 else (1, 2, 5)
            ax.yaxis.set_major_locator(LogLocator(base=10, subs=subs, numticks=30))
            ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g} %"))
            ax.yaxis.set_minor_formatter(NullFormatter())
            ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.15), ncol=2, fontsize=8)
        sep = " " if len(nets) > 1 else "\n"
        _style.claim(fig, "Table 1: on an equal budget of gradient evaluations, ESGD, HEAT,"
                          f"{sep}H-ESGD and HJ end near SGD's validation error")
        ctx.save_figure(fig)
