"""``pdeopt bench prox``: thresholding and the BinaryRelax combine step on 10⁷ float64.

Every kernel reads n doubles and writes n, so its effective throughput is compared
with a NumPy copy of the same bytes in the same run (goal ≥ 0.6 of a copy). Peers:
``pyproximal``'s ``L1`` and ``L0`` proximal operators when it is installed (extra
``bench``); pyproximal has no transformed-ℓ1 operator, so Tℓ1 is timed against its
ℓ1 operator (the cheapest thresholding it offers) for the "≥ 2× pyproximal" goal.
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


@benchmark("prox", description="soft/hard/Tℓ1 thresholding and the BinaryRelax combine step: "
                               "numba vs NumPy twin vs pyproximal, as a fraction of a copy")
def bench(ctx):
    from pdeopt.kernels import available_backends, select
    from pdeopt.prox import tl1_threshold_value

    n = ctx.pick(50_000, 10_000_000)
    x = ctx.rng.normal(scale=2.0, size=n)
    nbytes = 2 * x.nbytes
    lam, a = 0.8, 0.5
    pp = _pyproximal()
    if pp is None:
        ctx.note("pyproximal not installed: peer timings skipped (pip install pyproximal)")
    size = f"n={n:.0e}"

    def backends(name, *args):
        cands = {}
        for b in available_backends(name):
            f = select(name, b)
            cands[b] = (lambda f=f: f(x, *args))
        return cands

    soft = backends("prox.soft", lam)
    if pp is not None:
        l1 = pp.L1(sigma=lam)
        soft["pyproximal"] = lambda: l1.prox(x, 1.0)
    row = ctx.compare("soft threshold", soft, bytes_moved=nbytes, size=size, check=_max_diff)
    ctx.metric("soft numba, fraction of a copy", row["fraction_of_copy"]["numba"], goal="≥ 0.6")

    hard = backends("prox.hard", float(np.sqrt(2 * lam)))
    if pp is not None:
        l0 = pp.L0(sigma=float(np.sqrt(2 * lam)))  # its threshold is sigma·tau
        hard["pyproximal"] = lambda: l0.prox(x, 1.0)
    row = ctx.compare("hard threshold", hard, bytes_moved=nbytes, size=size, check=_max_diff)
    ctx.metric("hard numba, fraction of a copy", row["fraction_of_copy"]["numba"], goal="≥ 0.6")

    tl1 = backends("prox.tl1", lam, a, tl1_threshold_value(lam, a))
    if pp is not None:
        tl1["pyproximal L1 (no Tl1)"] = soft["pyproximal"]
    row = ctx.compare("transformed-l1 threshold", tl1, bytes_moved=nbytes, size=size,
                      check=lambda out: _max_diff({k: v for k, v in out.items()
                                                   if "pyprox" not in k}))
    ctx.metric("Tl1 numba, fraction of a copy", row["fraction_of_copy"]["numba"], goal="≥ 0.6")
    if pp is not None:
        ctx.metric("Tl1 numba speed-up over pyproximal's L1 prox",
                   row["seconds"]["pyproximal L1 (no Tl1)"] / row["seconds"]["numba"],
                   goal="≥ 2×")

    # BinaryRelax Phase I on one layer: x = w·s·round(y/s) + (1 − w)·y, 4-bit codes.
    comb = backends("prox.quant_combine", 0.3, 0.0, 7, 1e3 / (1e3 + 1))
    row = ctx.compare("BinaryRelax combine (4-bit)", comb, bytes_moved=nbytes, size=size,
                      check=_max_diff)
    ctx.metric("combine numba, fraction of a copy", row["fraction_of_copy"]["numba"],
               goal="≥ 0.6")
