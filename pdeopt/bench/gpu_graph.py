"""``pdeopt bench gpu-graph``: the CSR × block product and the WNLL solve on one GPU (issue 22).

A synthetic k-regular-ish graph of 70 000 points (20 000 with ``--quick``): 15 random
neighbours per point, W + Wᵀ, about 2.1 M nonzeros (the size of MNIST's 15-NN graph; a
kNN search in 784-D would take longer than the group may), and a block of 10 columns.
Timed with CUDA events around loops of calls:

``device copy of the CSR``    a device-to-device copy of the CSR's bytes (data, indices,
                              indptr): the yardstick of the product, which reads them once
``device copy of CSR + X + Y``  the same for all the bytes a product must move once
``kernel (warp per row)``     ``kernels.graph.csr_rows_cuda``, the numba.cuda sweep
``cuSPARSE``                  CuPy's ``cupyx.scipy.sparse.csr_matrix @ X``
``numba CPU, all cores``      kernel ``graph.spmm`` on the host (wall time)

Goal: the product ≥ 0.5 of the copy (``copy time / product time``). Then the WNLL solve
with 10 labels per class: ``harmonic_extension(backend="cuda")`` with each device product
(its PCG alone, ``info["solve_time"]``, and end to end: W's checks on the host, the moves
and the graph's analysis on the GPU included; goal ≤ 50 ms) against ``backend="numba"`` on
all CPU cores; and the same on a 3-D lattice graph of as many points and nonzeros, whose CG
takes several times as many iterations (as a kNN graph of images does; a random graph is
an expander). Without a GPU and CuPy (or under numba's simulator, whose timings mean
nothing) the group records a note and skips.
"""
from __future__ import annotations

import time

import numpy as np
import scipy.sparse as sp

from pdeopt.bench._harness import benchmark
from pdeopt.bench.gpu import _wall_time, _why_not, cupy_or_skip

#: Neighbours drawn per point; W + Wᵀ then has about twice as many nonzeros per row.
NEIGHBORS = 15
COLUMNS = 10
LABELS_PER_CLASS = 10


def random_graph(n, rng, k=NEIGHBORS):
    """W + Wᵀ for W with ``k`` random neighbours per row, weights in [0.1, 1.1), zero
    diagonal (CSR, sorted, int32 indices)."""
    rows = np.repeat(np.arange(n), k)
    W = sp.csr_matrix((rng.random(n * k) + 0.1, (rows, rng.integers(0, n, n * k))),
                      shape=(n, n))
    return _symmetric_csr(W)


def lattice_graph(side):
    """The 3-D lattice of side³ points, each joined to the 32 within distance 2 with
    Gaussian weights exp(−|o|²/2), and its points' classes: ten slabs along the first axis."""
    grid = np.stack(np.meshgrid(*[np.arange(side)] * 3, indexing="ij"), -1).reshape(-1, 3)
    number = np.arange(grid.shape[0]).reshape(side, side, side)
    offsets = [o for o in np.ndindex(5, 5, 5) if 0 < sum((c - 2) ** 2 for c in o) <= 4]
    rows, cols, data = [], [], []
    for o in offsets:
        o = np.array(o) - 2
        target = grid + o
        inside = np.all((target >= 0) & (target < side), axis=1)
        rows.append(number[tuple(grid[inside].T)])
        cols.append(number[tuple(target[inside].T)])
        data.append(np.full(inside.sum(), np.exp(-(o @ o) / 2.0)))
    W = sp.csr_matrix((np.concatenate(data), (np.concatenate(rows), np.concatenate(cols))),
                      shape=(grid.shape[0],) * 2)
    return _symmetric_csr(W), grid[:, 0] * 10 // side


def _symmetric_csr(W):
    W = (W + W.T).tocsr()
    W.setdiag(0.0)
    W.eliminate_zeros()
    W.sort_indices()
    return sp.csr_matrix((W.data, W.indices.astype(np.int32), W.indptr.astype(np.int32)),
                         shape=W.shape)


def _labeled(classes, rng):
    return np.concatenate([rng.choice(np.flatnonzero(classes == c), LABELS_PER_CLASS,
                                      replace=False) for c in np.unique(classes)])


@benchmark("gpu-graph", description="CSR x 10-column block on the GPU (numba.cuda warp per row, "
                                    "cuSPARSE) vs a device copy and numba on the CPU; the WNLL "
                                    "PCG solve on the GPU vs the CPU (skips without a GPU)")
def bench(ctx):
    cupy = cupy_or_skip(ctx, _why_not)
    if cupy is None:
        return
    from pdeopt.kernels import _device as dev
    from pdeopt.kernels import select
    from pdeopt.kernels.graph import csr_rows_cuda

    n = ctx.pick(20_000, 70_000)
    A = random_graph(n, ctx.rng)
    X = ctx.rng.standard_normal((n, COLUMNS))
    size = f"{n} rows, nnz {A.nnz}, {COLUMNS} columns"
    ctx.note(f"graph: {NEIGHBORS} random neighbours per point, W + W^T: {size}")
    d_A = [cupy.asarray(a) for a in (A.indptr, A.indices, A.data)]
    d_X, d_Y = cupy.asarray(X), cupy.empty((n, COLUMNS))
    views = [dev.as_numba(a) for a in (*d_A, d_X, d_Y)]  # viewed once, as the CG does
    csr_bytes = sum(a.nbytes for a in (A.indptr, A.indices, A.data))
    # the yardsticks: device copies of the CSR's bytes, and of all a product must move
    # once (the CSR, X read, Y written; X's rows gathered again come from cache)
    copies = {}
    for label, nbytes in (("device copy of the CSR", csr_bytes),
                          ("device copy of CSR + X + Y", csr_bytes + 2 * X.nbytes)):
        source = cupy.ones(nbytes // 8)
        copies[label] = (lambda s=source, t=cupy.empty_like(source): cupy.copyto(t, s))
    from cupyx.scipy.sparse import csr_matrix
    d_W = csr_matrix(tuple(reversed(d_A)), shape=A.shape)
    reps = ctx.pick(20, 100)
    want = A @ X
    kernel = lambda: csr_rows_cuda(*views[:3], None, *views[3:])  # noqa: E731
    cusparse = lambda: d_W @ d_X  # noqa: E731
    for label, fn in (("kernel", kernel), ("cuSPARSE", cusparse)):
        got = fn()
        got = cupy.asnumpy(d_Y if label == "kernel" else got)
        assert np.allclose(got, want, rtol=1e-12, atol=1e-12), f"{label} product differs"
    times = {label: dev.event_time(copy, reps) for label, copy in copies.items()}
    times.update({"kernel (warp per row)": dev.event_time(kernel, reps),
                  "cuSPARSE": dev.event_time(cusparse, reps)})
    spmm = select("graph.spmm", "numba")
    host_out = np.empty_like(want)
    times["numba CPU, all cores"] = _wall_time(
        lambda: spmm(A.indptr, A.indices, A.data, X, out=host_out), ctx.pick(5, 20))
    copy = times["device copy of the CSR"]
    ctx.rows.append({"group": ctx.name, "kernel": "CSR x block", "size": size,
                     "baseline": "device copy of the CSR", "seconds": times,
                     "fraction_of_copy": {k: copy / t for k, t in times.items()}})
    for label, t in times.items():
        ctx.metric(f"SpMM {label}, ms per product", t * 1e3, unit="ms")
    for label in ("kernel (warp per row)", "cuSPARSE"):
        ctx.metric(f"SpMM {label}: fraction of a device copy of the CSR", copy / times[label],
                   goal="≥ 0.5")
        ctx.metric(f"SpMM {label}: fraction of a device copy of CSR + X + Y",
                   times["device copy of CSR + X + Y"] / times[label])
        ctx.metric(f"SpMM numba CPU / {label}", times["numba CPU, all cores"] / times[label],
                   unit="×", goal="> 1")
    _solves(ctx, "random graph", A, np.arange(n) % 10)  # any classes: the graph is random
    lattice, slabs = lattice_graph(ctx.pick(12, 41))
    _solves(ctx, "3-D lattice", lattice, slabs)


def _solves(ctx, what, W, classes):
    """The WNLL solve with each device product and on the CPU: PCG alone and end to end."""
    import pdeopt.kernels.graph as kg
    from pdeopt.graph import harmonic_extension
    labeled = _labeled(classes, ctx.rng)
    solve, ends = {}, {}

    def run(backend):
        t0 = time.perf_counter()
        res = harmonic_extension(W, labeled, classes[labeled], method="wnll", backend=backend)
        return res, time.perf_counter() - t0

    ref, _ = run("numba")  # warm-up (compilation)
    for product in ("kernel", "cusparse"):
        kg.DEVICE_PRODUCT = product
        try:
            run("cuda")  # warm-up: compilation, CuPy's kernels, the memory pool
            res, total = min((run("cuda") for _ in range(ctx.pick(2, 3))),
                             key=lambda r: r[1])
        finally:
            kg.DEVICE_PRODUCT = "auto"
        assert abs(res.nit - ref.nit) <= 1 and np.max(np.abs(res.x - ref.x)) < 1e-3, \
            f"the {product} solve differs from the CPU's"
        solve[product], ends[product] = res.info["solve_time"], total
        ctx.metric(f"WNLL {what}, GPU ({product}): PCG, {res.nit} iterations",
                   solve[product] * 1e3, unit="ms", goal="≤ 50")
        ctx.metric(f"WNLL {what}, GPU ({product}): end to end", total * 1e3, unit="ms",
                   goal="≤ 50")
        ctx.metric(f"WNLL {what}, GPU ({product}): of which checks, moves and analysis",
                   (total - solve[product]) * 1e3, unit="ms")
    res, total = min((run("numba") for _ in range(ctx.pick(2, 3))), key=lambda r: r[1])
    ctx.metric(f"WNLL {what}, numba CPU: PCG, {res.nit} iterations (and its RCM numbering)",
               res.info["solve_time"] * 1e3, unit="ms")
    ctx.metric(f"WNLL {what}, numba CPU: end to end", total * 1e3, unit="ms")
    best = min(solve, key=solve.get)
    ctx.metric(f"WNLL {what}: CPU PCG / GPU PCG ({best})", res.info["solve_time"] / solve[best],
               unit="×", goal="> 1")
    ctx.metric(f"WNLL {what}: CPU / GPU end to end ({best})", total / ends[best], unit="×",
               goal="> 1")
