"""Benchmarks of the hj kernels: explicit stencil steps, the lower-envelope transform, Burgers."""
from __future__ import annotations

import time

import numpy as np

from ..hj import solve_burgers
from ..kernels import available_backends, select
from ._harness import benchmark


def _max_diff(outputs):
    ref = outputs["numpy"]
    return max(float(np.max(np.abs(np.asarray(v) - ref))) for v in outputs.values())


def _stencil(ctx, name, u, spacing, args):
    dim = u.ndim
    kernel = f"hj.{name}_{dim}d"
    fns = {b: select(kernel, b) for b in available_backends(kernel)}
    # every backend writes into a preallocated buffer, as the solvers' time stepping does
    out = {b: np.empty_like(u) for b in fns}
    candidates = {b: (lambda fn=fn, o=out[b]: fn(u, *spacing, 1e-4, *args, out=o))
                  for b, fn in fns.items()}
    size = "x".join(str(s) for s in u.shape)
    # one step reads u once and writes the result once
    row = ctx.compare(kernel, candidates, bytes_moved=2 * u.nbytes, size=size, check=_max_diff)
    return row


@benchmark("hj", description="HJ explicit stencil steps (1-D 1e6, 2-D 2048²) vs NumPy and a "
                              "NumPy copy; lower-envelope Hopf–Lax vs brute force; Burgers vs "
                              "PyClaw")
def bench(ctx):
    n1 = ctx.pick(100_000, 1_000_000)
    n2 = ctx.pick(256, 2048)
    x = np.linspace(-5, 5, n1)
    u1 = np.sin(3 * x) + 0.1 * x**2 + 0.01 * ctx.rng.normal(size=n1)
    g = np.linspace(-5, 5, n2)
    u2 = np.sin(2 * g[:, None]) * np.cos(g[None, :]) + 0.1 * g[:, None] ** 2
    h1, h2 = x[1] - x[0], g[1] - g[0]
    rows = []
    for name, args in (("viscous_step", (1.0,)), ("lax_friedrichs_step", (3.0,)),
                       ("godunov_step", (2,))):
        rows.append(_stencil(ctx, name, u1, (h1,), args))
        args2 = args * 2 if name == "lax_friedrichs_step" else args
        rows.append(_stencil(ctx, name, u2, (h2, h2), args2))
    for row in rows:
        ctx.metric(f"{row['kernel']} numba speed-up vs numpy", row["speedup"]["numba"], goal="≥ 5×")
        ctx.metric(f"{row['kernel']} numba fraction of copy throughput",
                   row["fraction_of_copy"]["numba"], goal="≥ 0.5")

    # Lower envelope (O(N)) vs brute force (O(N²)), identical results.
    n = ctx.pick(2_000, 20_000)
    y = np.linspace(-3, 3, n)
    f = (np.cos(5 * y) + 0.3 * y**2 + 0.05 * ctx.rng.normal(size=n))[None, :]
    envelope = {b: select("hj.lower_envelope", b) for b in ("numpy", "numba")}

    def identical(outputs):
        (u0, j0), (u1_, j1) = outputs["numpy"], outputs["numba"]
        return {"max |du|": float(np.max(np.abs(u0 - u1_))),
                "argmin mismatches": int(np.sum(j0 != j1))}

    row = ctx.compare("hj.lower_envelope", {b: (lambda fn=fn: fn(f, y, 0.1))
                                            for b, fn in envelope.items()},
                      size=f"N={n}", check=identical)
    ctx.metric("lower envelope speed-up vs brute force", row["speedup"]["numba"], goal="≥ 100×")

    _pyclaw_comparison(ctx)


def _pyclaw_comparison(ctx):
    """The Burgers problem of the burgers-shock validation, ours vs PyClaw's, when installed."""
    try:
        from clawpack import pyclaw, riemann
    except ImportError:
        ctx.note("clawpack not installed (extra 'bench'): PyClaw Burgers comparison skipped")
        return
    n, t_final = ctx.pick(1000, 4000), 2 * np.exp(1.5) / 2
    edges = np.linspace(-10, 10, n + 1)
    xc = 0.5 * (edges[1:] + edges[:-1])
    w0 = xc * np.exp(-xc**2 / 2)
    try:
        solver = pyclaw.ClawSolver1D(riemann.burgers_1D)
        solver.limiters = pyclaw.limiters.tvd.vanleer
        solver.bc_lower[0] = pyclaw.BC.extrap
        solver.bc_upper[0] = pyclaw.BC.extrap
        domain = pyclaw.Domain(pyclaw.Dimension(-10.0, 10.0, n, name="x"))
        state = pyclaw.State(domain, 1)
        state.q[0, :] = w0
        state.problem_data["efix"] = True
        claw = pyclaw.Controller()
        claw.tfinal, claw.solver = t_final, solver
        claw.solution = pyclaw.Solution(state, domain)
        claw.output_format, claw.keep_copy, claw.verbosity = None, True, 0
        t0 = time.perf_counter()
        claw.run()
        t_pyclaw = time.perf_counter() - t0
        w_pyclaw = np.asarray(claw.frames[-1].q[0])
    except Exception as exc:  # a peer's API change must not break the benchmark
        ctx.note(f"PyClaw run failed: {type(exc).__name__}: {exc}")
        return
    t0 = time.perf_counter()
    w_ours = solve_burgers(w0, xc, t_final, scheme="eno2").x
    t_ours = time.perf_counter() - t0
    ctx.metric("Burgers (ENO2) time / PyClaw (vanleer) time", t_ours / t_pyclaw)
    ctx.metric("Burgers L1 difference to PyClaw", float(np.sum(np.abs(w_ours - w_pyclaw)) *
                                                        (xc[1] - xc[0])))
