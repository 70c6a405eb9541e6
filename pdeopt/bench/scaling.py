"""``pdeopt bench --scaling``: how the cost of each main kernel and solver grows with its size.

Each series times one kernel or solver over a sweep of sizes (at least 5, spanning at
least 30×), in interleaved rounds (as :func:`~pdeopt.bench._harness.time_calls`) where a
call is cheap, and fits the exponent b of t = c·Nᵇ by least squares in log–log, with its
standard error, on the minimum over the rounds (the exponent of the medians is printed
beside it). Beside it, the theory's exponent over the same sizes:

============================  =====================================  ==========
series                        what is timed                          theory
============================  =====================================  ==========
HJ Godunov step, 2-D          ``hj.solve_hj``, fixed steps per size  O(N)
Hopf–Lax envelope, 1-D        ``hj.hopf_lax`` (lower envelope)       O(N)
HIO iteration                 one iteration (two FFTs, two sweeps)   O(N log N)
SpMM, 10 columns              kernel ``graph.spmm`` (RCM order)      O(nnz)
kNN build                     ``graph.knn_graph`` (NN-descent)       O(n log n)
WNLL solve                    ``graph.harmonic_extension``           O(n)·iters
============================  =====================================  ==========

For O(N log N) the theory's exponent is the least-squares slope of log(N log N) over the
sizes swept (a little above 1), and the exponent of t/(N log N) is printed too. The WNLL
solve is timed against n at a fixed number of labels per class; its CG iteration count
per size is printed, and the exponent of the time per iteration (theory 1: one SpMM
per iteration). A measured exponent above the theory's by more than
:data:`TOLERANCE` is flagged ("above theory by X: explain"), with what the sweep shows
about it (the working set crossing a cache level, the iteration count growing).
``--quick`` sweeps small sizes with the exact kNN search (theory O(n²·d)).

Speed is never asserted in a test: a test checks the exponent fit on synthetic timings and
that the quick path runs on tiny sizes.
"""
from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .._io import Heartbeat, atomic_write, fit

__all__ = ["fit_exponent", "theory_exponent", "Series", "run_scaling", "sweep_plan",
           "TOLERANCE"]

#: A measured exponent above the theory's by more than this is a finding to explain.
TOLERANCE = 0.15

#: The theories, as functions of the size: their exponents are fitted over the same sizes.
THEORIES = {
    "N": lambda n: n,
    "N log N": lambda n: n * np.log(n),
    "n log n": lambda n: n * np.log(n),
    "nnz": lambda n: n,
    "n": lambda n: n,
    "n^2": lambda n: n ** 2,
}


def fit_exponent(sizes, seconds):
    """The exponent b of t = c·Nᵇ by least squares in log–log, and its standard error.

    Parameters
    ----------
    sizes, seconds : array_like
        At least three positive sizes (not all equal) and their times.

    Returns
    -------
    exponent : float
        The slope of log t against log N.
    stderr : float
        Its standard error, √(Σr²/(m − 2) / Σ(log N − mean)²) with r the residuals of
        the m points (0 for an exact power law).

    Examples
    --------
    >>> n = np.array([1e3, 4e3, 1.6e4, 6.4e4, 2.56e5])
    >>> b, se = fit_exponent(n, 2e-9 * n ** 1.5)
    >>> round(b, 12), se < 1e-12
    (1.5, True)
    """
    n = np.asarray(sizes, dtype=float).ravel()
    t = np.asarray(seconds, dtype=float).ravel()
    if n.size != t.size or n.size < 3:
        raise ValueError(f"sizes and seconds must be 3 or more pairs, got {n.size} "
                         f"and {t.size}")
    if not (np.all(np.isfinite(n)) and np.all(np.isfinite(t)) and n.min() > 0
            and t.min() > 0):
        raise ValueError("sizes and seconds must be positive and finite")
    x, y = np.log(n), np.log(t)
    xc = x - x.mean()
    sxx = float(xc @ xc)
    if sxx == 0.0:
        raise ValueError("sizes must not all be equal")
    b = float(xc @ (y - y.mean())) / sxx
    resid = y - y.mean() - b * xc
    se = math.sqrt(max(float(resid @ resid), 0.0) / (x.size - 2) / sxx)
    return b, se


def theory_exponent(theory, sizes):
    """The least-squares log–log slope of the theory's cost over ``sizes``.

    1 for O(N), 2 for O(n²); for O(N log N) a little above 1 (1 + 1/ln N in the middle of
    the sweep), so that a measured exponent is compared with the theory over the same sizes.

    Examples
    --------
    >>> theory_exponent("N", [10, 100, 1000])
    1.0
    >>> round(theory_exponent("N log N", [1e3, 1e4, 1e5, 1e6]), 2)
    1.1
    """
    if theory not in THEORIES:
        raise ValueError(f"theory must be one of {tuple(THEORIES)}, got {theory!r}")
    n = np.asarray(sizes, dtype=float)
    return fit_exponent(n, THEORIES[theory](n))[0]


@dataclass
class Series:
    """One kernel's sweep: sizes, seconds per call (minimum over rounds), and what explains
    its cost."""

    name: str
    what: str                     # what is timed (the call)
    size_name: str                # "N (grid points)", "nnz", ...
    theory: str                   # a key of THEORIES
    sizes: list
    seconds: list
    working_set: list = field(default_factory=list)   # bytes touched per call, per size
    extra: dict = field(default_factory=dict)         # per-size columns (CG iterations)
    notes: list = field(default_factory=list)
    median: list = field(default_factory=list)        # median seconds (``seconds``: minima)

    def result(self) -> dict:
        b, se = fit_exponent(self.sizes, self.seconds)
        bt = theory_exponent(self.theory, self.sizes)
        row = {"series": self.name, "what": self.what, "size_name": self.size_name,
               "theory": f"O({self.theory})", "sizes": list(map(float, self.sizes)),
               "seconds": list(map(float, self.seconds)),
               "median_seconds": list(map(float, self.median)), "exponent": b, "stderr": se,
               "theory_exponent": bt, "excess": b - bt, "flagged": b - bt > TOLERANCE,
               "working_set_bytes": list(map(float, self.working_set)),
               "extra": {k: list(map(float, v)) for k, v in self.extra.items()},
               "notes": list(self.notes)}
        if self.median:
            row["exponent_of_medians"] = fit_exponent(self.sizes, self.median)[0]
        if self.theory.endswith("log N") or self.theory.endswith("log n"):
            n = np.asarray(self.sizes, float)
            row["exponent_over_theory"] = fit_exponent(
                n, np.asarray(self.seconds) / THEORIES[self.theory](n))
        return row


def _caches() -> dict:
    """{"L2": bytes, "L3": bytes, ...}: the data caches from level 2 up (Linux sysfs; empty
    where it cannot be read)."""
    found = {}
    for p in Path("/sys/devices/system/cpu/cpu0/cache").glob("index*"):
        try:
            level = int((p / "level").read_text())
            kind = (p / "type").read_text().strip()
            text = (p / "size").read_text().strip()
            size = int(text.rstrip("KMG")) * {"K": 1 << 10, "M": 1 << 20,
                                               "G": 1 << 30}.get(text[-1:], 1)
        except (OSError, ValueError):
            continue
        if level >= 2 and kind in ("Data", "Unified"):
            found[f"L{level}"] = size
    return dict(sorted(found.items()))


def _hints(row, caches):
    """What the sweep shows about an exponent above the theory's."""
    hints = []
    if row["excess"] < 2 * row["stderr"]:
        hints.append(f"within two standard errors (± {row['stderr']:.2f}) of the theory: "
                     "the sweep's timing noise cannot tell them apart")
    ws = row["working_set_bytes"]
    crossed = [f"{name} ({_mib(size)})" for name, size in caches.items()
               if ws and min(ws) < size < max(ws)]
    if crossed:
        hints.append(f"the working set grows from {_mib(min(ws))} to {_mib(max(ws))}, across "
                     f"the {' and '.join(crossed)} cache: the cost per element rises as the "
                     "data moves out to the next level (the theory counts operations, not "
                     "where their operands come from)")
    its = row["extra"].get("CG iterations")
    if its and min(its) > 0:
        b_it, _ = fit_exponent(row["sizes"], its)
        if b_it > 0.05:
            hints.append(f"CG iterations grow as n^{b_it:.2f} ({int(its[0])} to "
                         f"{int(its[-1])}): the graph Laplacian's condition number grows "
                         "with n")
    return hints + row["notes"]


def _mib(b):
    return f"{b / 2**20:.3g} MiB"


# --------------------------------------------------------------------------- the sweeps


def _timed_rounds(fns, plan):
    """Minimum and median seconds per call of each ``fn`` over interleaved rounds.

    The rounds rotate as :func:`~pdeopt.bench._harness.time_calls`'s do, so a slow spell
    of the shared machine hits every size alike. The exponent is fitted on the minima: load
    from other processes only ever adds time, and a size that met a burst in most rounds
    would otherwise bend the fit; the medians are kept beside them.
    """
    from ._harness import _per_call
    for fn in fns.values():
        fn()  # warm-up: JIT compilation, caches, first-touch allocation
    labels = list(fns)
    rounds = {label: [] for label in labels}
    for r in range(plan["repeat"]):
        for label in labels[r % len(labels):] + labels[:r % len(labels)]:
            rounds[label].append(_per_call(fns[label], plan["min_time"]))
    return ({k: float(np.min(v)) for k, v in rounds.items()},
            {k: float(np.median(v)) for k, v in rounds.items()})



def sweep_plan(quick: bool) -> dict:
    """The sizes of every series (``quick``: small ones, the whole sweep in seconds)."""
    if quick:
        return {"hj": [64, 90, 128, 181, 256, 362], "hopf_lax": [4000, 8000, 16000, 32000,
                                                                   64000, 128000],
                "hio": [32, 48, 64, 96, 128, 192, 256], "graph": [200, 400, 800, 1600, 3200,
                                                                6400],
                "graph_dim": 16, "steps": 2, "repeat": 3, "min_time": 0.01, "slow_repeat": 3,
                "search": "exact"}
    return {"hj": [256, 362, 512, 724, 1024, 1448, 2048],
            "hopf_lax": [10_000, 25_000, 63_000, 160_000, 400_000, 1_000_000],
            "hio": [64, 128, 256, 512, 1024],
            "graph": [2000, 4000, 8000, 16000, 32000, 64000],
            "graph_dim": 64, "steps": 4, "repeat": 5, "min_time": 0.05, "slow_repeat": 2,
            "search": "nndescent"}


def _hj_series(plan, rng):
    """Time per step of ``solve_hj``, with steps ∝ 1/N per size (``plan["steps"]`` at the
    largest): the call's fixed cost (checks, the Result) is then the same share of every
    size's time, and does not bend the exponent."""
    from pdeopt.hj import solve_hj
    calls, ws, sizes, steps = {}, [], [], {}
    top = max(plan["hj"]) ** 2
    for n in plan["hj"]:
        g = np.linspace(-2.0, 2.0, n)
        # smooth data (noise of 0.01 diverged here, 362², 240 steps, until 2-D Godunov held
        # its inflow boundaries: kernels/hj_stencils.py; kept smooth for comparable series)
        f = np.sin(2 * g[:, None]) * np.cos(g[None, :]) + 0.1 * g[:, None] ** 2
        probe = solve_hj(f, (g, g), 1e-12)              # its CFL number gives the stable step
        dt = 0.5 * 1e-12 / probe.history["cfl"][0]      # at cfl = 0.5, the solver's default
        k = max(2, round(plan["steps"] * top / (n * n)))
        t = k * dt * (1 - 1e-9)                          # k steps, not one more
        calls[n * n] = (lambda f=f, g=g, t=t: solve_hj(f, (g, g), t))
        steps[n * n] = calls[n * n]().nit
        sizes.append(n * n)
        ws.append(3 * f.nbytes)                          # u, the next u, f
    best, med = _timed_rounds(calls, plan)
    return Series("HJ Godunov step, 2-D", f"hj.solve_hj, {steps[sizes[-1]]} to "
                  f"{steps[sizes[0]]} steps (∝ 1/N), time per step", "N (grid points)", "N",
                  sizes, [best[n] / steps[n] for n in sizes], ws,
                  median=[med[n] / steps[n] for n in sizes])


def _hopf_lax_series(plan, rng):
    from pdeopt.hj import hopf_lax
    calls, ws = {}, []
    for n in plan["hopf_lax"]:
        x = np.linspace(-3.0, 3.0, n)
        f = np.cos(5 * x) + 0.3 * x ** 2 + 0.05 * rng.standard_normal(n)
        calls[n] = (lambda f=f, x=x: hopf_lax(f, x, 0.1))
        ws.append(5 * f.nbytes)                          # f, x, u, the argmin, the envelope
    best, med = _timed_rounds(calls, plan)
    return Series("Hopf-Lax envelope, 1-D", "hj.hopf_lax (lower envelope of parabolas)",
                  "N (grid points)", "N", list(calls), [best[n] for n in calls], ws,
                  median=[med[n] for n in calls])


def _hio_series(plan, rng):
    from pdeopt.phase import simulate, vesicle
    from pdeopt.phase._common import initial_object, prepare
    from pdeopt.phase.projections import projection_step
    try:
        from pdeopt.phase.fft_backends import check_fft
        fft = check_fft("auto")
    except ImportError:  # pragma: no cover - before the FFT backends
        fft = "scipy"
    calls, ws, workers = {}, [], set()
    for n in plan["hio"]:
        obj = vesicle(n, oversampling=2.0)
        m = simulate(obj.object)
        p = prepare(m, obj.support, 1, fft=fft, workers=plan.get("threads", 1))
        u = initial_object(p, None, np.random.default_rng(0))
        x = p.empty(complex=False)
        calls[n * n] = (lambda p=p, u=u, x=x: projection_step(p, u, x, 0.9, False))
        ws.append(m.size * (3 * 8 + 1 + 16))           # u, x, magnitudes, support, spectrum
        workers.add(p.workers)
    best, med = _timed_rounds(calls, plan)
    s = Series("HIO iteration", f"phase HIO, one iteration (fft={fft})", "N (pixels)",
               "N log N", list(calls), [best[n] for n in calls], ws,
               median=[med[n] for n in calls])
    if max(workers) > 1:
        s.notes.append(f"the FFTs use {sorted(workers)} threads by size: a threaded FFT's "
                       "efficiency changes with N")
    return s


def _solver_order(A):
    """A in the WNLL solver's reverse Cuthill-McKee numbering (its CG's products run there)."""
    try:
        from pdeopt.graph.harmonic import _locality_order
    except ImportError:  # pragma: no cover - a solver without the renumbering
        return A
    return _locality_order(A)[1]


def _graph_series(plan, rng, echo):
    """kNN build, SpMM and WNLL solve over the same point sets."""
    from pdeopt.bench.graph import synthetic_points
    from pdeopt.graph import harmonic_extension, knn_graph, weight_matrix
    from pdeopt.kernels import select

    k, per_class, search = 15, plan.get("labels_per_class", 10), plan["search"]
    d = plan["graph_dim"]
    if search == "nndescent":  # pynndescent compiles its search on first use: not timed
        t0 = time.perf_counter()
        knn_graph(rng.standard_normal((300, 8)).astype(np.float32), 5, search=search, rng=0)
        echo(fit(f"  (pynndescent JIT warm-up, not timed: {time.perf_counter() - t0:.1f} s)"))
    spmm = select("graph.spmm", "auto")
    sizes = list(plan["graph"])
    knn_calls, spmm_calls, wnll_calls, iters, nnz, ws_knn, ws_spmm, ws_wnll = (
        {}, {}, {}, [], [], [], [], [])
    for n in sizes:
        X, y = synthetic_points(n, d, rng)
        knn_calls[n] = (lambda X=X: knn_graph(X, k, search=search, rng=0))
        nb, dist = knn_calls[n]()
        ws_knn.append(X.nbytes + nb.size * 16)
        W = weight_matrix(nb, dist, k_sigma=8)
        Ws = (W + W.T).tocsr()
        Ws.sort_indices()
        Ws = _solver_order(Ws)
        block = rng.standard_normal((n, 10))
        out = np.empty_like(block)
        indptr, indices = Ws.indptr, Ws.indices       # as the solver passes them
        spmm_calls[n] = (lambda a=(indptr, indices, Ws.data, block), o=out: spmm(*a, out=o))
        nnz.append(Ws.nnz)
        csr = Ws.data.nbytes + indices.nbytes + indptr.nbytes
        ws_spmm.append(csr + 2 * block.nbytes)
        labeled = np.concatenate([rng.choice(np.flatnonzero(y == c), per_class, replace=False)
                                  for c in range(10)])
        wnll_calls[n] = (lambda W=W, i=labeled, g=y[labeled]:
                         harmonic_extension(W, i, g, method="wnll"))
        iters.append(wnll_calls[n]().nit)
        ws_wnll.append(csr + 6 * n * 10 * 8)            # W, and the CG's n x 10 vectors
    slow = dict(plan, repeat=plan["slow_repeat"], min_time=0.0)   # one call per round
    knn_s, knn_m = _timed_rounds(knn_calls, slow)
    spmm_s, spmm_m = _timed_rounds(spmm_calls, plan)
    wnll_s, wnll_m = _timed_rounds(wnll_calls, slow)
    theory = "n log n" if search == "nndescent" else "n^2"
    knn = Series("kNN build", f"graph.knn_graph, k={k}, d={d}, search={search!r}",
                 "n (points)", theory, sizes, [knn_s[n] for n in sizes], ws_knn,
                 median=[knn_m[n] for n in sizes])
    if search == "nndescent":
        knn.notes.append("NN-descent's cost has no proof: Dong, Charikar & Li (2011) measured "
                         "about n^1.14 on their data sets; its random-access neighbour "
                         "updates miss cache more often as n grows")
    spmm_row = Series("SpMM, 10 columns", "kernel graph.spmm (CSR x n-by-10 block, out=), in "
                      "the solver's reverse Cuthill-McKee order",
                      "nnz", "nnz", nnz, [spmm_s[n] for n in sizes], ws_spmm,
                      median=[spmm_m[n] for n in sizes])
    wnll = Series("WNLL solve", f"graph.harmonic_extension(method='wnll'), {per_class} "
                  "labels per class, PCG tol 1e-6", "n (points)", "n", sizes,
                  [wnll_s[n] for n in sizes], ws_wnll, extra={"CG iterations": iters},
                  median=[wnll_m[n] for n in sizes])
    per_it = Series("WNLL solve per CG iteration", "the WNLL solve's time / its CG iterations",
                    "n (points)", "n", sizes, [wnll_s[n] / max(i, 1) for n, i in
                                               zip(sizes, iters)], ws_wnll,
                    median=[wnll_m[n] / max(i, 1) for n, i in zip(sizes, iters)])
    return [knn, spmm_row, wnll, per_it]


# --------------------------------------------------------------------------- report


def _print_series(row, echo, caches):
    echo(fit(f"  {row['series']}: {row['what']}"))
    extra = row["extra"]
    head = f"    {row['size_name']:>18s} {'time':>12s} {'working set':>14s}"
    head += "".join(f" {k:>15s}" for k in extra)
    echo(head)
    for i, (n, t) in enumerate(zip(row["sizes"], row["seconds"])):
        ws = row["working_set_bytes"]
        line = f"    {n:18.4g} {_seconds(t):>12s} {_mib(ws[i]) if ws else '':>14s}"
        line += "".join(f" {v[i]:15.4g}" for v in extra.values())
        echo(line)
    b, se, bt = row["exponent"], row["stderr"], row["theory_exponent"]
    medians = (f" (medians: {row['exponent_of_medians']:.2f})"
               if "exponent_of_medians" in row else "")
    echo(fit(f"    exponent {b:.2f} ± {se:.2f}{medians}   theory {row['theory']}: {bt:.2f}"
             + (f"   time/({row['theory'][2:-1]}): exponent "
                f"{row['exponent_over_theory'][0]:+.2f} ± {row['exponent_over_theory'][1]:.2f}"
                if "exponent_over_theory" in row else "")))
    if row["flagged"]:
        echo(fit(f"    above theory by {row['excess']:.2f}: explain"))
        for h in _hints(row, caches):
            echo(fit(f"      - {h}", indent=8))


def _seconds(t):
    if t >= 1:
        return f"{t:.3g} s"
    if t >= 1e-3:
        return f"{t * 1e3:.3g} ms"
    return f"{t * 1e6:.3g} µs"


def _figure(rows, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker
    panels = [("grid, image and sparse kernels",
               "size: N grid points / pixels, or nnz for the SpMM"),
              ("graph pipeline", "n (points)")]
    in_graph = {"kNN build", "WNLL solve", "WNLL solve per CG iteration"}
    fig, axes = plt.subplots(1, 2, figsize=(13, 5.4))
    for ax, (title, xlabel) in zip(axes, panels):
        ax.set_title(title, fontsize=10)
        ax.set_xlabel(xlabel)
        ax.set_ylabel("time per call (s)")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.grid(True, which="both", alpha=0.25)
        ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    for i, row in enumerate(rows):
        ax = axes[1] if row["series"] in in_graph else axes[0]
        color = f"C{i}"
        n, t = np.asarray(row["sizes"]), np.asarray(row["seconds"])
        flag = "  ABOVE THEORY" if row["flagged"] else ""
        ax.plot(n, t, "o-", color=color, label=f"{row['series']}: b = {row['exponent']:.2f} "
                f"± {row['stderr']:.2f} (theory {row['theory']}, {row['theory_exponent']:.2f})"
                f"{flag}")
        th = THEORIES[row["theory"][2:-1]](n.astype(float))
        anchor = np.exp(np.mean(np.log(t)) - np.mean(np.log(th)))  # through the data's centre
        ax.plot(n, anchor * th, "--", color=color, alpha=0.7)
    for ax in axes:
        ax.legend(fontsize=7.5, loc="upper left")
    n_ok = sum(not r["flagged"] for r in rows)
    claim = ("every kernel's time grows as its theory's (dashed)" if n_ok == len(rows) else
             f"{n_ok} of {len(rows)} series grow as their theory's (dashed) within "
             f"{TOLERANCE} in the exponent")
    fig.suptitle(f"How cost grows with the work: {claim}\n(least-squares log-log exponents "
                 "± standard error; one machine, minima of interleaved rounds)", fontsize=11)
    fig.tight_layout()
    from io import BytesIO
    buf = BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    plt.close(fig)
    atomic_write(path, buf.getvalue())


def run_scaling(*, quick=False, out_dir="figures", seed=0, echo=print, plan=None,
                figure=True, threads=1) -> list[dict]:
    """Run every series, print exponents beside the theory, write the figure and JSON.

    Parameters
    ----------
    quick : bool
        Small sizes (:func:`sweep_plan`), under a minute.
    out_dir : str or Path
        Folder of ``scaling.png`` and ``scaling.json``.
    seed : int
        Seed of the data.
    echo : callable
        Receives each printed line.
    plan : dict, optional
        Sizes per series, as :func:`sweep_plan` returns (tests pass tiny ones).
    figure : bool
        Write ``scaling.png``.
    threads : int
        Threads of the numba kernels, the FFTs and BLAS during the sweep (default 1). The
        exponent is the algorithm's: a threaded kernel runs serially below a size
        threshold, and on a shared machine a parallel region waits for a busy core, so
        with threads the sweep would bend where the thread count changes, not the cost.

    Returns
    -------
    list of dict
        One row per series: sizes, seconds, exponent, stderr, theory_exponent, flagged.
    """
    from threadpoolctl import threadpool_limits

    from pdeopt.kernels import compiled_threads
    plan = dict(sweep_plan(quick) if plan is None else plan, threads=threads)
    rng = np.random.default_rng([seed, 20])
    caches = _caches()
    cache_text = ", ".join(f"{k} {_mib(v)}" for k, v in caches.items()) or "unknown"
    echo(fit(f"[scaling] time against size, exponents by least squares in log-log "
             f"({'quick' if quick else 'full'} sweep; {threads} thread(s) for numba, the FFTs "
             f"and BLAS; caches {cache_text})"))
    rows = []
    t_start = time.perf_counter()
    with Heartbeat(echo) as beat, threadpool_limits(threads), compiled_threads(threads):
        steps = [("hj", lambda: [_hj_series(plan, rng)]),
                 ("hopf_lax", lambda: [_hopf_lax_series(plan, rng)]),
                 ("hio", lambda: [_hio_series(plan, rng)]),
                 ("graph", lambda: _graph_series(plan, rng, beat.echo))]
        for name, step in steps:
            beat.watch(f"scaling {name}")
            for series in step():
                row = series.result()
                rows.append(row)
                _print_series(row, beat.echo, caches)
    flagged = [r for r in rows if r["flagged"]]
    echo(fit(f"[scaling] done in {time.perf_counter() - t_start:.1f} s: {len(rows) - len(flagged)}"
             f" of {len(rows)} series within {TOLERANCE} of their theory's exponent"
             + (f"; above it: {', '.join(r['series'] for r in flagged)}" if flagged else "")))
    out = Path(out_dir)
    payload = {"quick": quick, "tolerance": TOLERANCE, "rows": rows}
    atomic_write(out / "scaling.json", json.dumps(payload, indent=1, default=float))
    if figure:
        _figure(rows, out / "scaling.png")
    return rows
