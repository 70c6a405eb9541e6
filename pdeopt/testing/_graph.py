"""Identities of graph Laplacians and harmonic extension."""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .._checks import as_float_array
from ._report import checked, as_values, fail_if

__all__ = ["assert_graph_laplacian", "assert_maximum_principle"]


@checked()
def assert_graph_laplacian(laplacian, *, rtol=1e-10, atol=1e-12):
    r"""Assert that a matrix is a graph Laplacian: symmetric, positive semidefinite, with
    the constants in its kernel.

    .. math::

        L = D - W,\quad L = L^\top,\quad L\mathbf 1 = 0,\quad
        v^\top L v = \tfrac12 \sum_{ij} w_{ij}(v_i - v_j)^2 \ge 0

    (Chung, *Spectral Graph Theory*, §1; the GL and WNLL interpolation of Shi, Osher &
    Zhu 2017 solve with it). Tolerances are relative to the largest |L_ij| (rounding of
    the row sums); positive semidefiniteness asks the smallest eigenvalue to be
    ≥ −(atol + rtol·‖L‖), computed densely up to 2000 nodes and by Lanczos beyond.

    Examples
    --------
    >>> import numpy as np
    >>> from pdeopt.testing import assert_graph_laplacian
    >>> W = np.array([[0, 1, 2], [1, 0, 0.5], [2, 0.5, 0]])
    >>> assert_graph_laplacian(np.diag(W.sum(1)) - W)
    """
    if not sp.issparse(laplacian):
        laplacian = as_float_array(laplacian, "laplacian", ndim=2)
    L = sp.csr_matrix(laplacian, dtype=float)
    if L.shape[0] != L.shape[1]:
        raise ValueError(f"laplacian must be square, got shape {L.shape}")
    n = L.shape[0]
    scale = float(abs(L).max()) if L.nnz else 0.0
    tol = atol + rtol * scale
    asym = abs(L - L.T).tocoo()
    k = int(np.argmax(asym.data)) if asym.nnz else None
    fail_if("Laplacian symmetry L = Lᵀ", np.array(asym.data.max() if asym.nnz else 0.0), tol,
            where=f"entry ({asym.row[k]}, {asym.col[k]})" if k is not None else None)
    fail_if("constants in the kernel L·1 = 0", np.abs(L @ np.ones(n)), tol * max(1, n),
            where=lambda i: f"row {i}")
    if n <= 2000:
        low = float(np.linalg.eigvalsh(((L + L.T) / 2).toarray())[0])
    else:
        from scipy.sparse.linalg import eigsh
        low = float(eigsh((L + L.T) / 2, k=1, which="SA", return_eigenvectors=False)[0])
    fail_if("positive semidefinite: smallest eigenvalue ≥ 0", np.array(-low), tol * max(1, n),
            where=f"eigenvalue {low:.6g}")


@checked("extend")
def assert_maximum_principle(extend, weights, labeled_idx, values, *, atol=1e-8):
    r"""Assert that a harmonic extension interpolates its labels and obeys the maximum
    principle.

    .. math::

        u_i = g_i \ (i \text{ labeled}), \qquad
        \min_j g_j \le u_i \le \max_j g_j \ (\text{every } i)

    Both the graph-Laplacian (GL) and the weighted nonlocal Laplacian (WNLL) extensions
    are convex averages of their neighbours at unlabeled nodes, hence the principle
    (Shi, Osher & Zhu 2017). ``atol`` covers the stopping tolerance of an iterative
    solver (1e-6 relative residual gives about 1e-8 here on small graphs).

    Parameters
    ----------
    extend : callable
        ``extend(weights, labeled_idx, values)`` returning u, shape (n,) or (n, c) (or a
        :class:`pdeopt.Result` whose ``x`` is u).
    weights : array_like or sparse, shape (n, n)
    labeled_idx : array_like of int
    values : array_like, shape (m,) or (m, c)
        The labels' values (one column per class for one-hot scores).

    Examples
    --------
    >>> import numpy as np
    >>> from pdeopt.testing import assert_maximum_principle
    >>> def gl(W, idx, g):            # graph-Laplacian extension on a dense graph
    ...     L = np.diag(W.sum(1)) - W
    ...     free = np.setdiff1d(np.arange(len(W)), idx)
    ...     u = np.zeros(len(W)); u[idx] = g
    ...     u[free] = np.linalg.solve(L[np.ix_(free, free)], -L[np.ix_(free, idx)] @ g)
    ...     return u
    >>> W = np.exp(-np.subtract.outer(np.arange(6.0), np.arange(6.0)) ** 2)
    >>> assert_maximum_principle(gl, W, [0, 5], np.array([0.0, 1.0]))
    """
    if not sp.issparse(weights):
        weights = as_float_array(weights, "weights", ndim=2)
    n = weights.shape[0]
    if weights.shape != (n, n):
        raise ValueError(f"weights must be a square matrix, got shape {weights.shape}")
    idx = np.asarray(labeled_idx)
    if idx.ndim != 1 or idx.size == 0 or not np.issubdtype(idx.dtype, np.integer):
        raise ValueError("labeled_idx must be a non-empty 1-D array of integers")
    if idx.min() < 0 or idx.max() >= n:
        raise ValueError(f"labeled_idx must index the {n} nodes, got {idx.min()}..{idx.max()}")
    g = as_float_array(values, "values", ndim=(1, 2))
    if g.shape[0] != idx.size:
        raise ValueError(f"values must have one row per labeled node ({idx.size}), got shape "
                         f"{g.shape}")
    u = as_values(extend(weights, idx.copy(), g.copy())).astype(float)
    if u.ndim == 1 and g.ndim == 2 and g.shape[1] == 1:
        g = g[:, 0]
    g2 = g.reshape(g.shape[0], -1)
    u2 = u.reshape(u.shape[0], -1)
    fail_if("harmonic extension interpolates the labels u[labeled] = g",
            np.abs(u2[idx] - g2), atol, where=lambda k: f"labeled node {idx[k // g2.shape[1]]}")
    over = np.maximum(u2 - g2.max(axis=0), g2.min(axis=0) - u2)
    fail_if("maximum principle min g ≤ u ≤ max g", over, atol,
            where=lambda k: f"node {k // u2.shape[1]}, column {k % u2.shape[1]}")
