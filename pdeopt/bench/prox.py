"""``pdeopt bench prox``: thresholding and the BinaryRelax combine step on 10⁷ float64.

Every kernel reads n doubles and writes n, so its effective throughput is compared
with a NumPy copy of the same bytes in the same run (``np.copyto`` into a preallocated
buffer). The thresholds are timed through the public functions (``pdeopt.prox``), which
check their input: ``numba`` returns a new array (its pages are faulted in on every
call), ``numba out=`` writes into a buffer reused from call to call, as a loop would
(goal ≥ 0.8 of a copy). Peers: ``pyproximal``'s ``L1`` and ``L0`` proximal operators
when it is installed (extra ``bench``). The goal for all three thresholds is ≥ 5×
pyproximal's ``L1.prox`` (NumPy's sign(x)·max(|x| − λ, 0), the cheapest thresholding it
offers; it has no transformed-ℓ1 operator).

The thresholds are timed with numba on 1 and on 2 threads (``compiled_threads``); the copy,
the NumPy twin and pyproximal run on one thread whatever the setting (NumPy's elementwise
operations are single-threaded). The transformed-ℓ1 map is compute-bound (a division, a
square root and a 12-term polynomial per entry at these λ, a: about 1.2 ns per entry on one
core of the 2-core EPYC of the issue), the others are memory-bound.
"""
from __future__ import annotations

import numpy as np

from pdeopt.bench._harness import benchmark


def _pyproximal():
    try:
        import pyproximal
    except ImportError:
        return None
    return pyproximal


def _max_diff(outputs):
    ref = outputs["numpy"]
    worst = max(float(np.max(np.abs(o - ref))) for o in outputs.values())
    return f"max |out - numpy| = {worst:.2e}"


def _thresholds(ctx, x, lam, a, pp, threads):
    """soft/hard/Tℓ1: NumPy twin, numba with and without ``out=`` on ``threads`` threads,
    pyproximal."""
    from pdeopt.prox import hard_threshold, soft_threshold, tl1_threshold

    size = f"n={x.size:.0e}, numba on {threads} thread(s)"
    on = f"{threads} thread(s)"
    nbytes = 2 * x.nbytes
    l1 = None if pp is None else pp.L1(sigma=lam)
    peers = {"soft": {}, "hard": {}, "Tl1": {}}
    if pp is not None:
        l0 = pp.L0(sigma=float(np.sqrt(2 * lam)))  # its threshold is sigma·tau
        peers["hard"] = {"pyproximal L0": lambda: l0.prox(x, 1.0)}
    ops = {"soft": lambda **kw: soft_threshold(x, lam, **kw),
           "hard": lambda **kw: hard_threshold(x, lam, **kw),
           "Tl1": lambda **kw: tl1_threshold(x, lam, a, **kw)}
    label = {"soft": "soft", "hard": "hard", "Tl1": "transformed-l1"}
    buf = np.empty_like(x)
    for name, op in ops.items():
        cands = {"numpy": lambda op=op: op(backend="numpy"),
                 "numba": lambda op=op: op(backend="numba"),
                 "numba out=": lambda op=op: op(out=buf, backend="numba")}
        cands.update(peers[name])
        if pp is not None:
            cands["pyproximal L1"] = lambda: l1.prox(x, 1.0)  # the common yardstick
        # "numba out=" returns buf: every call writes the same values there
        row = ctx.compare(f"{label[name]} threshold", cands, bytes_moved=nbytes, size=size,
                          check=lambda out: _max_diff({k: v for k, v in out.items()
                                                       if "pyprox" not in k}),
                          repeat=9)
        frac = row["fraction_of_copy"]
        ctx.metric(f"{name} numba ({on}), fraction of a copy", frac["numba"], goal="≥ 0.6")
        ctx.metric(f"{name} numba out= ({on}), fraction of a copy", frac["numba out="],
                   goal="≥ 0.8")
        if pp is not None:
            t = row["seconds"]
            for k in ("numba", "numba out="):
                ctx.metric(f"{name} {k} ({on}), speed-up over pyproximal's L1 prox",
                           t["pyproximal L1"] / t[k], unit="×", goal="≥ 5×")


@benchmark("prox", description="soft/hard/Tℓ1 thresholding (with and without out=) and the "
                               "BinaryRelax combine step: numba vs NumPy twin vs pyproximal, "
                               "as a fraction of a copy")
def bench(ctx):
    from pdeopt.kernels import available_backends, compiled_threads, select

    n = ctx.pick(50_000, 10_000_000)
    x = ctx.rng.normal(scale=2.0, size=n)
    nbytes = 2 * x.nbytes
    lam, a = 0.8, 0.5
    pp = _pyproximal()
    if pp is None:
        ctx.note("pyproximal not installed: peer timings skipped (pip install pyproximal)")
    size = f"n={n:.0e}"
    ctx.note("numba's thresholds on 1, then 2 threads; the copy, NumPy and pyproximal on one")
    for threads in (1, 2):
        with compiled_threads(threads):
            _thresholds(ctx, x, lam, a, pp, threads)

    def backends(name, *args):
        cands = {}
        for b in available_backends(name):
            f = select(name, b)
            cands[b] = (lambda f=f: f(x, *args))
        return cands

    # BinaryRelax Phase I on one layer: x = w·s·round(y/s) + (1 − w)·y, 4-bit codes.
    comb = backends("prox.quant_combine", 0.3, 0.0, 7, 1e3 / (1e3 + 1))
    row = ctx.compare("BinaryRelax combine (4-bit)", comb, bytes_moved=nbytes, size=size,
                      check=_max_diff)
    ctx.metric("combine numba, fraction of a copy", row["fraction_of_copy"]["numba"],
               goal="≥ 0.6")
