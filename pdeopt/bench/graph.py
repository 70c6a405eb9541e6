"""``pdeopt bench graph``: kNN graph + WNLL/GL label extension at MNIST size.

Data: 70 000 × 784 synthetic points by default (10 classes: translated copies of
one 10-dimensional Gaussian cloud plus isotropic noise, so that a graph method
is needed and GL degenerates at low label rates), or MNIST's 70 000 images when
``$PDEOPT_DATA`` points at the IDX files. ``--quick``: 2 000 × 64 with the exact kNN search (pynndescent's JIT
compilation alone takes longer than a smoke test may).

Measured: the kNN build (pynndescent, JIT warm-up excluded and reported), the
weight assembly (NumPy vs numba), the CSR × block product (as a fraction of a
NumPy copy's memory throughput), the WNLL solve, and the total, against
graphlearning's Laplace learning and WNLL (its own annoy kNN graph and CG) and
scikit-learn's ``LabelSpreading`` on the same points and labels; the accuracy
of each on the unlabeled points side by side.
"""
from __future__ import annotations

import time

import numpy as np
import scipy.sparse as sp

from ._harness import benchmark

LABELS_PER_CLASS = 10


def synthetic_points(n, d, rng, *, n_classes=10, dim=10, separation=1.5, noise=0.5):
    """Translated copies of one ``dim``-dimensional Gaussian cloud in R^d, with labels."""
    y = rng.integers(0, n_classes, n)
    centres = rng.standard_normal((n_classes, d)) * separation / np.sqrt(d)
    basis = rng.standard_normal((dim, d)) / np.sqrt(d)
    X = (centres[y] + rng.standard_normal((n, dim)) @ basis
         + rng.standard_normal((n, d)) * noise / np.sqrt(d))
    return X.astype(np.float32), y


def _data(ctx):
    import os
    if not ctx.quick and os.environ.get("PDEOPT_DATA"):
        try:
            from pdeopt.data import load_mnist
            m = load_mnist()
            X = np.concatenate([m.x_train, m.x_test]).reshape(70000, -1)
            return X.astype(np.float32), np.concatenate([m.y_train, m.y_test]), "MNIST"
        except FileNotFoundError as exc:
            ctx.note(f"MNIST not loaded ({str(exc).splitlines()[0]}); using synthetic data")
    n, d = ctx.pick((2000, 64), (70000, 784))
    X, y = synthetic_points(n, d, ctx.rng)
    return X, y, f"synthetic {n} x {d}"


def _timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def _accuracy(pred, y, unlabeled):
    return float(np.mean(np.asarray(pred)[unlabeled] == y[unlabeled]))


@benchmark("graph", description="kNN graph (pynndescent) + WNLL solve at MNIST size vs "
                                "graphlearning and scikit-learn LabelSpreading; CSR SpMM vs copy")
def bench(ctx):
    from pdeopt.graph import harmonic_extension, knn_graph, weight_matrix
    from pdeopt.graph.harmonic import _locality_order
    from pdeopt.graph.knn import self_tuning_sigma
    from pdeopt.kernels import available_backends, select

    X, y, what = _data(ctx)
    n = X.shape[0]
    k = 15
    labeled = np.concatenate([ctx.rng.choice(np.flatnonzero(y == c), LABELS_PER_CLASS,
                                             replace=False) for c in np.unique(y)])
    unlabeled = np.ones(n, bool)
    unlabeled[labeled] = False
    ctx.note(f"data: {what}; k = {k}; {labeled.size} labels ({LABELS_PER_CLASS} per class)")

    # kNN build: pynndescent compiles its search on first use (not cached, ~20-60 s), so
    # it is warmed up first; --quick uses the exact search instead to stay in seconds.
    method = "exact" if ctx.quick else "nndescent"
    if method == "nndescent":
        _, t_jit = _timed(lambda: knn_graph(ctx.rng.standard_normal((300, 8)), 5,
                                            search="nndescent", rng=0))
        ctx.metric("pynndescent JIT warm-up (excluded below)", t_jit, unit="s")
    (neighbors, distances), t_knn = _timed(lambda: knn_graph(X, k, search=method, rng=0))
    ctx.metric(f"ours: kNN build ({method})", t_knn, unit="s")

    # Weight assembly kernel, NumPy vs numba.
    sigma, _ = self_tuning_sigma(distances, 8)
    nb64 = np.ascontiguousarray(neighbors, np.int64)
    ctx.compare("graph.weights", {b: (lambda b=b: select("graph.weights", b)(nb64, distances,
                                                                             sigma))
                                  for b in available_backends("graph.weights")},
                size=f"{n} x {k}", check=lambda o: float(np.max(np.abs(o["numba"][2]
                                                                      - o["numpy"][2]))))
    (W,), t_w = _timed(lambda: (weight_matrix(neighbors, distances, k_sigma=8),))

    # CSR × block (the CG's product), as a fraction of a NumPy copy of the bytes it must
    # move: the CSR triple (int32 indices, as the solver passes them below 2³¹ nonzeros),
    # X read once and Y written once. X's rows are gathered nnz times, but repeats hit
    # cache, so counting them would inflate the figure. The solver numbers the unknowns
    # in reverse Cuthill–McKee order (graph.harmonic._locality_order), so the goal is
    # measured in that order; the kNN search's order is shown beside it.
    Ws = (W + W.T).tocsr()
    Ws.sort_indices()
    (_, W_rcm), t_order = _timed(lambda: _locality_order(Ws))
    ctx.metric("reverse Cuthill-McKee numbering and permutation (in the WNLL solve)", t_order,
               unit="s")
    block = ctx.rng.standard_normal((n, 10))
    bytes_moved = Ws.data.nbytes + Ws.indices.nbytes + Ws.indptr.nbytes + 2 * block.nbytes
    fraction = {}
    backends = available_backends("graph.spmm")
    for order, A in (("reverse Cuthill-McKee order", W_rcm), ("kNN order", Ws)):
        args = (A.indptr, A.indices, A.data, block)
        outs = {b: np.empty((n, block.shape[1])) for b in backends}
        # into a kept array, as the CG's products are (a fresh result adds its page faults)
        calls = {b: (lambda b=b, args=args: select("graph.spmm", b)(*args, out=outs[b]))
                 for b in backends}
        size = f"{n} rows, nnz {A.nnz}, 10 columns"
        ctx.compare(f"graph.spmm, {order}", calls, size=size,
                    check=lambda o: float(max(np.max(np.abs(v - o["numpy"]))
                                              for v in o.values())))
        # the copy comparison in rounds of its own: SciPy's product, timed in the same
        # rounds, evicts the block from cache before the next call (as the NumPy
        # transcriptions do in bench phase)
        row = ctx.compare(f"graph.spmm numba against a copy, {order}",
                          {"numba": calls["numba"]}, baseline="numba", bytes_moved=bytes_moved,
                          size=size, repeat=ctx.pick(2, 21))
        fraction[order] = row["fraction_of_copy"]["numba"]
    ctx.metric("graph.spmm numba: fraction of copy (the solver's order)",
               fraction["reverse Cuthill-McKee order"], goal=">= 0.5")
    ctx.metric("graph.spmm numba: fraction of copy (kNN order)", fraction["kNN order"])
    # what bounds it: counting every gathered row of X (served from cache, not memory)
    touched = bytes_moved + Ws.nnz * block.shape[1] * block.itemsize
    ctx.metric("graph.spmm numba, the solver's order: bytes touched (gathers included) "
               "per second / copy's", fraction["reverse Cuthill-McKee order"] * touched
               / bytes_moved)

    # Solve: WNLL and GL by PCG (numba), all classes at once.
    wnll, t_solve = _timed(lambda: harmonic_extension(W, labeled, y[labeled], method="wnll"))
    gl, t_gl = _timed(lambda: harmonic_extension(W, labeled, y[labeled], method="gl"))
    ours_total = t_knn + t_w + t_solve
    ctx.metric("ours: WNLL solve", t_solve, unit="s")
    ctx.metric("ours: total (kNN + weights + WNLL solve)", ours_total, unit="s")
    acc = {"ours WNLL": _accuracy(wnll.info["labels"], y, unlabeled),
           "ours GL": _accuracy(gl.info["labels"], y, unlabeled)}
    times = {"ours WNLL": ours_total, "ours GL": t_knn + t_w + t_gl}

    _peers(ctx, X, y, labeled, unlabeled, neighbors, distances, acc, times, wnll)

    for name in acc:
        ctx.metric(f"accuracy {name}", 100 * acc[name], unit="%")
    for name, t in times.items():
        ctx.metric(f"total time {name}", t, unit="s")


def _knn_recall(X, found, sample, k):
    """Mean fraction of the exact k nearest neighbours (self excluded) in ``found``'s rows."""
    X = X.astype(np.float64)
    sq = np.einsum("ij,ij->i", X, X)
    d2 = sq[sample, None] - 2 * X[sample] @ X.T + sq[None, :]
    d2[np.arange(sample.size), sample] = np.inf
    exact = np.argpartition(d2, k, axis=1)[:, :k]
    rows = [found[i][found[i] != i][:k] for i in sample]
    hits = [np.intersect1d(row, exact[r]).size for r, row in enumerate(rows)]
    return float(np.mean(hits)) / k


def _peers(ctx, X, y, labeled, unlabeled, neighbors, distances, acc, times, wnll):
    from pdeopt.graph import harmonic_extension
    from pdeopt.kernels import select
    try:
        import graphlearning as gl
    except ImportError:
        ctx.note("graphlearning: not installed (pip install graphlearning annoy)")
    else:
        k = neighbors.shape[1]
        try:  # what gl.weightmatrix.knn(X, k) does, in two timed steps (self counted)
            knn_data, t_search = _timed(lambda: gl.weightmatrix.knnsearch(X, k + 1))
        except ImportError as exc:  # its kNN search needs annoy for d > 5
            ctx.note(f"graphlearning's kNN search unavailable ({exc}); using our neighbours")
            knn_data = (np.hstack([np.arange(len(X))[:, None], neighbors]),
                        np.hstack([np.zeros((len(X), 1)), distances]))
            t_search = 0.0
        W_gl, t_weights = _timed(lambda: gl.weightmatrix.knn(None, k, knn_data=knn_data))
        t_gl_w = t_search + t_weights
        ctx.metric("graphlearning: kNN + weights", t_gl_w, unit="s")
        # how many of the true k nearest neighbours each search finds (sampled points)
        sample = ctx.rng.choice(len(X), min(500, len(X)), replace=False)
        for name, found in (("ours (pynndescent)", neighbors),
                            ("graphlearning (annoy)", knn_data[0])):
            ctx.metric(f"kNN recall@{k} against exact search, {name}",
                       _knn_recall(X, found, sample, k))
        for name, model in (("graphlearning WNLL", gl.ssl.laplace(W_gl, reweighting="wnll")),
                            ("graphlearning Laplace", gl.ssl.laplace(W_gl))):
            pred, t = _timed(lambda: model.fit_predict(labeled, y[labeled]))
            ctx.metric(f"{name}: solve", t, unit="s")
            acc[name], times[name] = _accuracy(pred, y, unlabeled), t_gl_w + t
        # The WNLL solvers compared: (a) on graphlearning's own graph; (b) end to end with
        # its weight formula, w = exp(−4|x−y|²/d_k(x)²) symmetrised as (W + Wᵀ)/2, on our
        # kNN search (pynndescent against annoy). Our default graph (the seed's
        # self-tuning weights, σ(x) at the 8th neighbour, W + Wᵀ) is a different graph:
        # its gap is reported, without a goal.
        same = harmonic_extension(W_gl, labeled, y[labeled], method="wnll")
        acc["ours WNLL on graphlearning's graph"] = _accuracy(same.info["labels"], y, unlabeled)
        # exp(−4|x−y|²/d_k²) is our Gaussian with σ(x) = d_k(x)/2 (kernel graph.weights)
        indptr, indices, data = select("graph.weights", "auto")(
            np.ascontiguousarray(neighbors, np.int64), distances,
            np.asarray(distances[:, -1], np.float64) / 2)
        W_formula = sp.csr_matrix((data, indices, indptr), shape=(len(X), len(X)))
        formula = harmonic_extension((W_formula + W_formula.T) / 2, labeled, y[labeled],
                                     method="wnll")
        acc["ours WNLL, graphlearning's weight formula"] = _accuracy(formula.info["labels"], y,
                                                                     unlabeled)
        for label, ours in (("the same graph", "ours WNLL on graphlearning's graph"),
                            ("its weight formula, each side's kNN search",
                             "ours WNLL, graphlearning's weight formula")):
            ctx.metric(f"accuracy gap ours - graphlearning WNLL, {label}",
                       100 * (acc[ours] - acc["graphlearning WNLL"]), unit="points",
                       goal="within 0.5")
        ctx.metric("accuracy gap ours - graphlearning WNLL, each side's default graph (ours: "
                   "the seed's self-tuning weights)",
                   100 * (acc["ours WNLL"] - acc["graphlearning WNLL"]), unit="points")
        ctx.metric("total time ours / graphlearning WNLL",
                   times["ours WNLL"] / times["graphlearning WNLL"], goal="<= 1")
    from sklearn.semi_supervised import LabelSpreading
    n_ls = min(len(X), ctx.pick(2000, 20000))
    ctx.note(f"LabelSpreading(kernel='knn', n_neighbors=15) on the first {n_ls} points "
             "(its dense-iteration cost grows fast; more takes minutes on 2 cores)")
    y_ls = np.full(n_ls, -1)
    keep = labeled[labeled < n_ls]
    y_ls[keep] = y[keep]
    model = LabelSpreading(kernel="knn", n_neighbors=15, max_iter=100)
    _, t = _timed(lambda: model.fit(X[:n_ls], y_ls))
    acc["sklearn LabelSpreading (subset)"] = _accuracy(model.transduction_, y[:n_ls],
                                                       unlabeled[:n_ls])
    times["sklearn LabelSpreading (subset)"] = t
