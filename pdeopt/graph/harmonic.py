"""Harmonic extension of labels on a weighted graph: graph Laplacian (GL) and WNLL."""
from __future__ import annotations

import sys
import time
import warnings

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components, reverse_cuthill_mckee

from .._checks import (as_float_array, check_budget, check_indices, check_integer,
                       check_option)
from .._checks import check_labels as _class_labels
from .._errors import BackendUnavailableError
from .._result import Recorder
from .._xp import is_device_array, like, to_namespace

__all__ = ["harmonic_extension", "check_labeled_set"]


def _device_sparse(a) -> bool:
    """Whether ``a`` is a ``cupyx.scipy.sparse`` matrix (imported, if one exists)."""
    module = sys.modules.get("cupyx.scipy.sparse")
    return module is not None and bool(module.issparse(a))


def _on_device(a) -> bool:
    """Whether ``a`` lives on a GPU: a device array or a ``cupyx.scipy.sparse`` matrix."""
    return is_device_array(a) or _device_sparse(a)


def _to_host(a):
    """``a`` on the host (one copy back from the device, if it is there)."""
    if _device_sparse(a):
        return a.get()  # cupyx.scipy.sparse → scipy.sparse
    return to_namespace(a, np) if is_device_array(a) else a


def _cupy():
    """The ``cupy`` module, or :class:`BackendUnavailableError` saying what to install."""
    try:
        import cupy
    except ImportError as exc:
        raise BackendUnavailableError(
            f"backend='cuda' solves on the GPU with CuPy, which cannot be imported ({exc}): "
            f"pip install pdeopt[gpu] on a machine with an NVIDIA GPU") from None
    try:
        if cupy.cuda.runtime.getDeviceCount() > 0:
            return cupy
    except Exception as exc:  # CuPy installed, but no driver or GPU
        raise BackendUnavailableError(f"backend='cuda': CuPy finds no GPU ({exc})") from None
    raise BackendUnavailableError("backend='cuda': CuPy finds no GPU")


def _as_weights(W) -> sp.csr_matrix:
    if sp.issparse(W):
        if not (np.issubdtype(W.dtype, np.number) or W.dtype == bool) or \
                np.iscomplexobj(W.data):
            raise TypeError(f"W must hold real weights, got dtype {W.dtype}")
        if W.shape[0] == 0:
            raise ValueError("W must not be empty")
    else:
        W = as_float_array(W, "W", ndim=2, dtype=np.float64, finite=False)
    W = sp.csr_matrix(W, dtype=np.float64)
    if W.shape[0] != W.shape[1]:
        raise ValueError(f"W must be square, got shape {W.shape}")
    if W.nnz and not np.all(np.isfinite(W.data)):
        raise ValueError("W contains NaN or inf weights")
    if W.nnz and W.data.min() < 0:
        raise ValueError(f"W must have nonnegative weights, got {W.data.min():.3g}")
    return W


def check_labeled_set(labeled_idx, labels, n_points, n_classes=None):
    """Validate the labeled set; return ``(labeled_idx, labels, n_classes)`` as int64 arrays.

    Raises ``TypeError`` for non-integer indices or labels and ``ValueError`` for no
    labeled point, indices out of range or repeated, labels that are negative or ≥
    ``n_classes``, or a class in ``range(n_classes)`` without any labeled point.
    """
    if np.size(labeled_idx) == 0:
        raise ValueError("labeled_idx is empty: at least one labeled point per class is needed")
    idx = check_indices(labeled_idx, "labeled_idx", n_points, unique=True)
    lab = _class_labels(labels, "labels")
    if idx.shape != lab.shape:
        raise ValueError(f"labels must have one entry per labeled index ({idx.size}), "
                         f"got {lab.size}")
    if n_classes is None:
        n_classes = int(lab.max()) + 1
    n_classes = check_integer(n_classes, "n_classes", minimum=1)
    if lab.max() >= n_classes:
        raise ValueError(f"labels must be < n_classes = {n_classes}, got {lab.max()}")
    present = np.unique(lab)
    if present.size < n_classes:  # name at most 10 of the missing (n_classes may be huge)
        missing = np.setdiff1d(np.arange(min(n_classes, present.size + 10)), present)
        more = ", ..." if n_classes - present.size > missing.size else ""
        raise ValueError(f"class(es) {missing.tolist()}{more} have no labeled point: label at "
                         f"least one point of each class, or relabel the classes as 0..C-1")
    return idx.astype(np.int64), lab.astype(np.int64), n_classes


def harmonic_extension(W, labeled_idx, labels, *, method="wnll", n_classes=None, solver="cg",
                       tol=1e-6, max_iter=2000, backend="auto"):
    r"""Extend labels from a labeled subset S to all points P of a weighted graph.

    For every class c at once (one-hot boundary data g = e_c on S) it solves

    GL (graph Laplacian, the Euler–Lagrange equation of the Dirichlet energy)

    .. math::  \sum_{y\in P} (w(x,y) + w(y,x))\,(u(x) - u(y)) = 0,
               \quad x \in P\setminus S, \qquad u = g \text{ on } S,

    WNLL (weighted nonlocal Laplacian), the same plus the labeled points' term
    scaled by |P|/|S|, which keeps u from degenerating to a constant with
    spikes when very few points are labeled:

    .. math::  \sum_{y\in P} (w(x,y) + w(y,x))(u(x) - u(y))
               + \Big(\frac{|P|}{|S|} - 1\Big) \sum_{y\in S} w(y,x)(u(x) - u(y)) = 0.

    With U = P∖S this is the SPD system (diag(d) − W_s[U,U]) u_U = B, with
    W_s = W + Wᵀ, d(x) = Σ_y W_s(x,y) + μ Σ_{y∈S} w(y,x), μ = |P|/|S| − 1 (0 for
    GL) and B = (W_s[U,S] + μ Wᵀ[U,S]) g, solved by Jacobi-preconditioned
    conjugate gradients (kernel ``graph.pcg``, one CG per class) or by a sparse
    LU factorisation (``solver="direct"``, for small graphs).

    Parameters
    ----------
    W : sparse or dense matrix, shape (n, n)
        Nonnegative weights w(x, y) (row x), e.g. from :func:`weight_matrix`;
        need not be symmetric; the diagonal is ignored. Float32 weights (from
        float32 distances) are taken to float64: the system and its conjugate
        gradients are solved in float64 (a float32 CG stalls near its 6e-8 unit
        roundoff times the Laplacian's condition number, above the default tol), and
        the scores are float64.
    labeled_idx : array_like of int, shape (m,)
        Indices of the labeled points S (distinct).
    labels : array_like of int, shape (m,)
        Their classes, in ``range(n_classes)``; every class needs a labeled point.
    method : {"wnll", "gl"}
    n_classes : int, optional
        Number of classes C (default ``max(labels) + 1``).
    solver : {"cg", "direct"}
    tol : float
        Stopping test: the relative residual |B − A u|/|B| of every class is ≤ tol
        (CG stops each class there; the direct solve is checked against it).
        ``tol=0`` runs the whole budget. A tolerance missed within ``max_iter``
        gives a :class:`pdeopt.ConvergenceWarning`, ``success=False``, ``status=2``.
    max_iter : int
        CG iteration budget (≥ 1).
    backend : {"auto", "numpy", "numba", "cuda"}
        Where the solve runs. ``"numba"`` (``"auto"`` for host input): the compiled
        CPU kernel; ``"numpy"``: the PCG loop the GPU runs, on NumPy; ``"cuda"``: the
        graph's analysis and that loop on the GPU (CuPy). W's CSR, the labeled indices
        and labels move there once per call; W + Wᵀ is both triples sorted by row, the
        points reached from a label are found by breadth-first products (the host uses
        connected components), the CG runs on all rows with those outside U masked,
        its product a numba.cuda sweep (a warp per row) or cuSPARSE
        (``pdeopt.kernels.graph.DEVICE_PRODUCT``). Only W's checks run on the host
        (device input is read back once for them). It needs CuPy (``pip install
        pdeopt[gpu]``; :class:`pdeopt.BackendUnavailableError` without it). ``"auto"``
        with device input (CuPy arrays, a ``cupyx.scipy.sparse`` matrix) is ``"cuda"``;
        the LU solve (``solver="direct"``) runs on the CPU. ``info["backend"]`` is
        ``"cuda"`` whenever the device path was taken.

    Returns
    -------
    pdeopt.Result
        ``x``: scores u, shape (n, C) (rows sum to 1 up to the solver's
        tolerance: the constant is harmonic), on the device when W, labeled_idx or
        labels was given there (then ``info["labels"]`` too), else a NumPy array;
        ``info["labels"]``: argmax of the scores (the predicted class of every
        point, the given one on S); ``info["unreached"]``: how many points lie in
        components without a labeled point; ``info["solve_time"]``: seconds of the
        solve proper (CG or LU; the rest of ``info["time"]`` is the checks and the
        graph's analysis); ``history["residual"]``: the largest relative residual
        over the classes, at the start and after each CG iteration (``nit`` + 1
        entries; one entry for the direct solve, ``nit = 0``).

    Notes
    -----
    A connected component of the graph (of W + Wᵀ) that holds no labeled point
    makes the system singular. Its points get the class frequencies of the
    labeled set as scores (so the most frequent labeled class as label) and a
    ``RuntimeWarning`` says how many points that was: never NaN.

    References
    ----------
    Z. Shi, S. Osher, W. Zhu, "Weighted nonlocal Laplacian on interpolation from
    sparse data", J. Sci. Comput. 73 (2017). X. Zhu, Z. Ghahramani, J. Lafferty,
    "Semi-supervised learning using Gaussian fields and harmonic functions",
    ICML 2003 (GL). S. Osher, "New techniques in optimization and their
    applications to deep learning and related inverse problems" (2018), slides
    "Manifold interpolation – implicit activation".

    Examples
    --------
    >>> W = np.array([[0, 1, 0], [1, 0, 1], [0, 1, 0.0]])
    >>> res = harmonic_extension(W, [0, 2], [0, 1], method="gl", solver="direct")
    >>> res.x[1].tolist(), res.info["labels"].tolist()
    ([0.5, 0.5], [0, 0, 1])
    """
    from pdeopt.kernels import BACKENDS, select

    check_option(backend, "backend", BACKENDS)
    template = next((a for a in (W, labeled_idx, labels) if _on_device(a)), None)
    if template is not None and backend in ("numpy", "numba"):
        raise TypeError(f"W, labeled_idx or labels is on the device ({type(template).__name__})"
                        f": pass backend='cuda' (or 'auto') to solve there, or move them to "
                        f"the host for backend={backend!r}")
    on_gpu = backend == "cuda" or template is not None
    if _device_sparse(template):
        template = template.data  # results of its kind: CuPy arrays
    W, labeled_idx, labels = _to_host(W), _to_host(labeled_idx), _to_host(labels)
    W = _as_weights(W)
    n = W.shape[0]
    idx, lab, n_classes = check_labeled_set(labeled_idx, labels, n, n_classes)
    check_option(method, "method", ("wnll", "gl"))
    check_option(solver, "solver", ("cg", "direct"))
    max_iter, tol = check_budget(max_iter, tol)
    # CuPy is looked for before the graph is analysed: a missing one fails at once
    cupy = _cupy() if on_gpu and solver == "cg" else None
    pcg = None if cupy is not None else select("graph.pcg", backend if not on_gpu else "auto")

    rec = Recorder("harmonic_extension", max_iter=max_iter, tol=tol, solver=solver,
                   n_classes=n_classes)
    rec.info["parameters"]["method"] = method
    if cupy is None:
        scores, predicted, n_unreached, converged, solve_time = _extend_on_host(
            W, idx, lab, n_classes, method, solver, tol, max_iter, pcg, rec)
    else:
        scores, predicted, n_unreached, converged, solve_time = _extend_on_device(
            cupy, W, idx, lab, n_classes, method, tol, max_iter, rec)
        if template is None:  # host in, host out
            scores, predicted = to_namespace(scores, np), to_namespace(predicted, np)
    message = None
    if not converged and tol > 0 and not rec.interrupted:
        ended = ("the direct solve ended" if solver == "direct"
                 else f"CG stopped at max_iter={max_iter}")
        message = (f"harmonic_extension: {ended} with relative residual "
                   f"{rec.last('residual'):.2e} > tol={tol:.1e}")
    if template is not None:  # device in, device out
        scores, predicted = like(scores, template), like(predicted, template)
    return rec.result(scores, converged=converged and tol > 0, message=message,
                      labels=predicted, unreached=n_unreached,
                      backend="cuda" if on_gpu else backend,
                      solve_time=solve_time)


def _extend_on_host(W, idx, lab, n_classes, method, solver, tol, max_iter, pcg, rec):
    """The extension with SciPy/numba on the CPU: the reduced system on U (the reached
    unlabeled points) in reverse Cuthill–McKee order, solved by ``pcg`` or LU. Returns
    ``scores, predicted, n_unreached, converged, solve_time``."""
    n = W.shape[0]
    W = W.copy()
    W.setdiag(0.0)
    W.eliminate_zeros()
    WT = W.T.tocsr()  # one transposition, for W + Wᵀ and the labeled columns of Wᵀ
    Ws = (W + WT).tocsr()
    G = np.zeros((idx.size, n_classes))
    G[np.arange(idx.size), lab] = 1.0
    scores = np.zeros((n, n_classes))
    scores[idx] = G

    # Components without a label: the documented fallback (class frequencies).
    _, comp = connected_components(Ws, directed=False)
    reached = np.isin(comp, np.unique(comp[idx]))
    unreached = np.flatnonzero(~reached)
    if unreached.size:
        scores[unreached] = np.bincount(lab, minlength=n_classes) / lab.size
        _warn_unreached(unreached.size)
    is_labeled = np.zeros(n, bool)
    is_labeled[idx] = True
    U = np.flatnonzero(reached & ~is_labeled)
    converged = True  # nothing to solve when every reached point is labeled
    solve_time = 0.0
    if U.size:
        mu = n / idx.size - 1.0 if method == "wnll" else 0.0
        Ws_U = Ws[U]
        WT_US = WT[U][:, idx]
        A_off = Ws_U[:, U].tocsr()
        A_off.sort_indices()
        with np.errstate(over="ignore", invalid="ignore"):
            diag = (np.asarray(Ws_U.sum(axis=1)).ravel()
                    + mu * np.asarray(WT_US.sum(axis=1)).ravel())
            B = np.asarray((Ws_U[:, idx] + mu * WT_US) @ G)
        if not (np.all(np.isfinite(diag)) and np.all(np.isfinite(B))):
            raise ValueError(_OVERFLOW)
        # an interrupted solve leaves these points with the fallback scores
        scores[U] = np.bincount(lab, minlength=n_classes) / lab.size
        started = time.perf_counter()
        with rec.running():
            if solver == "direct":
                from scipy.sparse.linalg import splu
                A = (sp.diags(diag) - A_off).tocsc()
                u = splu(A).solve(B)
                residual = float(_relative_residual(A, u, B))
                rec.log(residual=residual)
                converged = residual <= tol
            else:
                order, A_ord = _locality_order(A_off)
                u_ord, iterations, history = pcg(
                    A_ord.indptr, A_ord.indices, np.ascontiguousarray(A_ord.data, np.float64),
                    diag[order], np.ascontiguousarray(B[order]), np.zeros_like(B), tol,
                    max_iter)
                u = np.empty_like(u_ord)
                u[order] = u_ord
                converged = _log_history(rec, history, tol)
            rec.require_finite(u, rec.nit, "the scores")
            scores[U] = u
        solve_time = time.perf_counter() - started
    predicted = np.argmax(scores, axis=1)
    predicted[idx] = lab
    return scores, predicted, int(unreached.size), converged, solve_time


_OVERFLOW = ("W: the weights' row sums overflow float64; rescale W (the solution does not "
             "depend on the scale of W)")


def _warn_unreached(count):
    warnings.warn(f"{count} point(s) lie in graph components without a labeled point: they "
                  "get the labeled class frequencies as scores", RuntimeWarning, stacklevel=4)


def _log_history(rec, history, tol):
    """Record the CG's residual history (host array) as iterations; whether it converged."""
    rec.log(residual=float(history[0]))
    for r in history[1:]:  # the kernel ran the iterations: count them
        rec.log(residual=float(r))
        rec.end_iteration()
    return bool(history[-1] <= tol)


def _extend_on_device(cupy, W, idx, lab, n_classes, method, tol, max_iter, rec):
    """The extension with the graph's analysis and the CG on the GPU (CuPy arrays ``xp``).

    W's CSR, the labeled indices and their labels move to the device once; the scores and
    labels are returned there (and the residual history read back once). W + Wᵀ is the
    CSR of both triples sorted by row, an entry per direction (products add w(x,y) and
    w(y,x) separately; no transposition). The points reached from a labeled one are found
    by breadth-first products (reached: a labeled point, or one with a reached neighbour of
    positive weight), which is what the host's connected components decide. The block
    PCG (``pcg_block``) runs on all n rows with those outside U masked: its iterates are
    the reduced system's, zero outside U, up to rounding. Returns what
    :func:`_extend_on_host` does.
    """
    from pdeopt.kernels.graph import laplacian_operator, pcg_block
    xp = cupy
    n = W.shape[0]
    indptr, indices, data = (xp.asarray(a) for a in (W.indptr, W.indices, W.data))
    idx_d, lab_d = xp.asarray(idx), xp.asarray(lab)
    nnz = data.size
    rows = xp.searchsorted(indptr, xp.arange(nnz), side="right") - 1
    data = xp.where(indices == rows, 0.0, data)  # the diagonal is ignored
    both = xp.concatenate([rows, indices])
    order = xp.argsort(both)
    rows_s = both[order]
    index = np.int32 if 2 * nnz < 2 ** 31 else np.int64
    cols = xp.concatenate([indices, rows])[order].astype(index)
    weights = xp.concatenate([data, data])[order]
    transposed = (xp.arange(2 * nnz) >= nnz)[order]  # the entry (x, y) carries w(y, x)
    indptr_s = xp.zeros(n + 1, dtype=index)
    indptr_s[1:] = xp.cumsum(xp.bincount(rows_s, minlength=n))
    zero = xp.zeros(n)

    # breadth-first: a point is reached when a neighbour of positive weight is
    neighbours = laplacian_operator(indptr_s, cols, weights, zero)  # p ↦ −(W + Wᵀ) p
    is_labeled = xp.zeros((n, 1))
    is_labeled[idx_d] = 1.0
    reached, step = is_labeled.copy(), xp.empty((n, 1))
    found = idx.size
    while True:
        neighbours(reached, step)
        reached[...] = xp.where((step < 0) | (reached > 0), 1.0, 0.0)
        count = int(reached.sum())  # one sync per step (the distance to the labels)
        if count == found:
            break
        found = count
    if found < n:
        _warn_unreached(n - found)
    unknown = (reached - is_labeled)  # 1 on U, the reached unlabeled points
    freq = xp.bincount(lab_d, minlength=n_classes) / lab.size
    G = xp.zeros((n, n_classes))
    G[idx_d, lab_d] = 1.0
    fallback = G + (1.0 - reached) * freq
    scores, converged, solve_time = fallback + unknown * freq, True, 0.0
    if found > idx.size:  # U is not empty
        mu = n / idx.size - 1.0 if method == "wnll" else 0.0
        to_labeled = transposed & (is_labeled[cols, 0] > 0)  # w(y, x) with y labeled
        B = xp.empty((n, n_classes))
        with np.errstate(over="ignore", invalid="ignore"):  # (NumPy; CuPy does not warn)
            diag = xp.bincount(rows_s, weights=weights + mu * weights * to_labeled,
                               minlength=n)
            laplacian_operator(indptr_s, cols, weights * (1.0 + mu * transposed), zero)(G, B)
            B *= -unknown  # (W_s[U, S] + μ Wᵀ[U, S]) g on U, 0 elsewhere
        diag = xp.where(unknown[:, 0] > 0, diag, 1.0)
        if not bool(xp.isfinite(diag).all() & xp.isfinite(B).all()):
            raise ValueError(_OVERFLOW)
        system = laplacian_operator(indptr_s, cols, weights, diag)

        def apply(p, out):
            system(p, out)
            out *= unknown  # the rows of U only
            return out

        started = time.perf_counter()
        with rec.running():
            u, iterations, history = pcg_block(apply, diag, B, xp.zeros_like(B), tol,
                                               max_iter)
            converged = _log_history(rec, to_namespace(history, np), tol)
            rec.require_finite(u, rec.nit, "the scores")
            scores = fallback + u  # u is 0 outside U
        solve_time = time.perf_counter() - started
    predicted = xp.argmax(scores, axis=1)
    predicted[idx_d] = lab_d
    return scores, predicted, n - found, converged, solve_time


def _locality_order(A):
    """A numbering that keeps neighbours close, and P A Pᵀ in it (CSR, sorted, int32 if it fits).

    Each CG product gathers the rows of the search directions that a row's
    neighbours point to; in reverse Cuthill–McKee order most of them are near the
    row itself and come from cache. The CG's iterates are those of the original
    system, permuted (up to rounding).
    """
    order = reverse_cuthill_mckee(A, symmetric_mode=True)
    inverse = np.empty_like(order)
    inverse[order] = np.arange(order.size, dtype=order.dtype)
    rows = A[order]
    index = np.int32 if max(rows.nnz, A.shape[0]) < 2 ** 31 else np.int64
    P = sp.csr_matrix((rows.data, inverse[rows.indices].astype(index),
                       rows.indptr.astype(index)), shape=A.shape)
    P.sort_indices()
    return order, P


def _relative_residual(A, u, B):
    bn = np.linalg.norm(B, axis=0)
    bn[bn == 0] = 1.0
    return np.max(np.linalg.norm(B - A @ u, axis=0) / bn)
