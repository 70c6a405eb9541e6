"""k-nearest-neighbour graphs and their self-tuning Gaussian weights."""
from __future__ import annotations

import warnings

import numpy as np
import scipy.sparse as sp

from .._checks import as_float_array, as_rng, check_bool, check_integer, check_option

__all__ = ["knn_graph", "weight_matrix", "as_points", "self_tuning_sigma"]

#: Below this many points ``search="auto"`` uses the exact brute-force search.
EXACT_MAX_POINTS = 4000

#: Largest squared norm of a point: |x|² + |y|² − 2x·y then stays finite.
MAX_SQUARED_NORM = 1e300


def as_points(X, name: str = "X") -> np.ndarray:
    """``X`` as a C-contiguous float64 array of shape ``(n, d)`` (images are flattened).

    Refuses entries so large that squared distances would overflow float64.
    """
    X = as_float_array(X, name, dtype=np.float64)
    if X.ndim < 2:
        raise ValueError(f"{name} must have shape (n_points, n_features) or (n_points, ...), "
                         f"got shape {X.shape}")
    X = np.ascontiguousarray(X.reshape(X.shape[0], -1))
    with np.errstate(over="ignore"):
        if not np.max(np.einsum("ij,ij->i", X, X)) <= MAX_SQUARED_NORM:
            raise ValueError(f"{name} is too large: squared distances would overflow float64 "
                             "(rescale it; the graph's weights do not depend on the scale)")
    return X


def knn_graph(X, k, *, search="auto", rng=None):
    """The ``k`` nearest neighbours of every point, itself excluded.

    Parameters
    ----------
    X : array_like, shape (n, d) or (n, ...)
        Points (images are flattened); Euclidean distance.
    k : int
        Neighbours per point, 1 ≤ k < n.
    search : {"auto", "exact", "nndescent"}
        ``"exact"``: brute force in blocks of rows (O(n² d), fine to a few
        thousand points and the reference in tests). ``"nndescent"``:
        approximate search with pynndescent (Dong, Charikar & Li 2011), for
        large n. ``"auto"``: exact below 4000 points, else nndescent.
    rng : None, int or numpy.random.Generator, optional
        Randomness of the approximate search (a seed makes it reproducible on the
        same number of numba threads: pynndescent's parallel descent depends on it;
        20 000 points, 1 against 2 threads: 82 % of the rows differ).

    Returns
    -------
    neighbors : ndarray of int64, shape (n, k)
        Indices of the neighbours of each point, nearest first.
    distances : ndarray of float64, shape (n, k)
        |x_i − x_neighbors[i, j]|, computed exactly from ``X`` (also for
        nndescent), non-decreasing along each row.

    Notes
    -----
    A point is never its own neighbour, even among exact duplicates (which
    then appear at distance 0).

    Examples
    --------
    >>> X = np.array([[0.0], [1.0], [3.0], [7.0]])
    >>> nb, d = knn_graph(X, 1, search="exact")
    >>> nb.ravel().tolist(), d.ravel().tolist()
    ([1, 0, 1, 2], [1.0, 1.0, 2.0, 4.0])
    """
    X = as_points(X)
    n = X.shape[0]
    k = check_integer(k, "k", minimum=1)
    if k >= n:
        raise ValueError(f"k must be < the number of points in X, {n} (a point is not its own "
                         f"neighbour), got {k}")
    check_option(search, "search", ("auto", "exact", "nndescent"))
    rng = as_rng(rng)
    if search == "auto":
        search = "exact" if n <= EXACT_MAX_POINTS else "nndescent"
    if search == "exact":
        neighbors = brute_force_neighbors(X, X, k, self_rows=np.arange(n))
    else:
        neighbors = _nndescent_neighbors(X, k, rng)
    distances = pair_distances(X, X, neighbors)
    order = np.argsort(distances, axis=1, kind="stable")
    return (np.take_along_axis(neighbors, order, 1),
            np.take_along_axis(distances, order, 1))


def pair_distances(Q, X, neighbors):
    """Exact |Q_i − X_neighbors[i, j]|, in blocks of rows (keeps the temporary small)."""
    out = np.empty(neighbors.shape)
    step = max(1, int(2e7 // (neighbors.shape[1] * X.shape[1])))
    for start in range(0, Q.shape[0], step):
        rows = slice(start, start + step)
        diff = Q[rows, None, :] - X[neighbors[rows]]
        out[rows] = np.sqrt(np.einsum("ijk,ijk->ij", diff, diff))
    return out


def brute_force_neighbors(Q, X, k, *, self_rows=None):
    """Indices of the k nearest points of ``X`` to each row of ``Q`` (unsorted).

    With ``self_rows``, ``Q[i]`` is ``X[self_rows[i]]`` and that point is excluded.
    """
    sq = np.einsum("ij,ij->i", X, X)
    out = np.empty((Q.shape[0], k), np.int64)
    step = max(1, int(4e7 // (8 * X.shape[0])))  # ~40 MB of distances at a time
    for start in range(0, Q.shape[0], step):
        q = Q[start:start + step]
        d2 = sq[None, :] - 2.0 * (q @ X.T)  # |q|² is the same along a row: left out
        if self_rows is not None:
            d2[np.arange(q.shape[0]), self_rows[start:start + step]] = np.inf
        out[start:start + q.shape[0]] = np.argpartition(d2, k - 1, axis=1)[:, :k]
    return out


def _nndescent_neighbors(X, k, rng):
    from pynndescent import NNDescent

    n = X.shape[0]
    index = NNDescent(X.astype(np.float32), n_neighbors=k + 1, metric="euclidean",
                      random_state=int(rng.integers(2 ** 31 - 1)), n_jobs=-1,
                      compressed=True, verbose=False)
    idx, _ = index.neighbor_graph
    idx = np.asarray(idx, np.int64)
    # drop the point itself; where it is missing (duplicates), drop the farthest instead
    self_mask = idx == np.arange(n)[:, None]
    no_self = ~self_mask.any(axis=1)
    self_mask[no_self, -1] = True
    first = np.argmax(self_mask, axis=1)
    keep = np.ones_like(self_mask)
    keep[np.arange(n), first] = False
    neighbors = idx[keep].reshape(n, k)
    # rows where the search returned too few neighbours (-1 entries) are redone exactly
    bad = np.flatnonzero((neighbors < 0).any(axis=1))
    if bad.size:
        neighbors[bad] = brute_force_neighbors(X[bad], X, k, self_rows=bad)
    return neighbors


def weight_matrix(neighbors, distances, *, k_sigma=None, symmetric=False, backend="auto"):
    r"""Self-tuning Gaussian weights of a kNN graph as a sparse CSR matrix.

    .. math::  w(x, y) = \exp\!\left(-\frac{|x - y|^2}{\sigma(x)^2}\right)
               \quad\text{for } y \text{ among the } k \text{ neighbours of } x,

    with σ(x) the distance from x to its ``k_sigma``-th nearest neighbour
    (Zelnik-Manor & Perona's self-tuning scale, as in Shi, Osher & Zhu 2017).
    The matrix is directed: row x holds w(x, ·). The GL and WNLL equations use
    w(x, y) + w(y, x) and w(y, x) separately, so :func:`harmonic_extension`
    takes this matrix as is; ``symmetric=True`` returns W + Wᵀ instead.

    Parameters
    ----------
    neighbors : array_like of int, shape (n, k)
        Indices in [0, n) of each point's neighbours, from :func:`knn_graph`.
    distances : array_like, shape (n, k)
        The distances to them, ≥ 0, finite and non-decreasing along each row
        (rows that are not sorted are refused: σ is read off the sorted row).
        float32 distances give float32 weights (computed in float32); any other
        dtype is taken as float64.
    k_sigma : int, optional
        Which neighbour sets the scale, 1 ≤ k_sigma ≤ k. Default ``(k + 1) // 2``
        (8 for the 15-neighbour graphs of Wang et al. 2018).
    symmetric : bool
        Return W + Wᵀ.
    backend : {"auto", "numpy", "numba"}
        Backend of the assembly kernel ``graph.weights``.

    Returns
    -------
    scipy.sparse.csr_matrix, shape (n, n)
        float32 for float32 distances, else float64.

    Notes
    -----
    Duplicate points give σ(x) = 0. Then σ(x) is replaced by the distance to
    the farthest of the k neighbours, and when that is 0 too (x has k exact
    copies) by 1, so that duplicates get weight exp(0) = 1 and the weights
    stay finite; a ``RuntimeWarning`` says how many points were affected.

    References
    ----------
    Z. Shi, S. Osher, W. Zhu, "Weighted nonlocal Laplacian on interpolation
    from sparse data", J. Sci. Comput. 73 (2017).

    Examples
    --------
    >>> nb, d = knn_graph(np.array([[0.0], [1.0], [3.0]]), 1, search="exact")
    >>> weight_matrix(nb, d).toarray().round(4)  # σ = d: each row's weight is exp(−1)
    array([[0.    , 0.3679, 0.    ],
           [0.3679, 0.    , 0.    ],
           [0.    , 0.3679, 0.    ]])
    """
    from pdeopt.kernels import select

    neighbors = np.asarray(neighbors)
    if neighbors.ndim != 2:
        raise ValueError(f"neighbors must be a 2-D array of indices, got shape "
                         f"{neighbors.shape}")
    if neighbors.size == 0:
        raise ValueError("neighbors must not be empty")
    if not np.issubdtype(neighbors.dtype, np.integer):
        raise TypeError(f"neighbors must hold integer indices, got dtype {neighbors.dtype}")
    single = getattr(distances, "dtype", None) == np.float32  # precision follows the input
    distances = as_float_array(distances, "distances", ndim=2,
                               dtype=np.float32 if single else np.float64)
    if distances.shape != neighbors.shape:
        raise ValueError(f"distances must have the shape of neighbors {neighbors.shape}, "
                         f"got {distances.shape}")
    n, k = neighbors.shape
    if neighbors.min() < 0 or neighbors.max() >= n:
        raise ValueError(f"neighbors must be indices in [0, {n}), got values in "
                         f"[{neighbors.min()}, {neighbors.max()}]")
    if distances.min() < 0:
        raise ValueError("distances must be >= 0")
    unsorted = np.flatnonzero(np.any(np.diff(distances, axis=1) < 0, axis=1))
    if unsorted.size:
        raise ValueError(f"distances must be non-decreasing along each row (nearest first, "
                         f"as knn_graph returns them); {unsorted.size} row(s) are not, e.g. "
                         f"row {unsorted[0]}")
    symmetric = check_bool(symmetric, "symmetric")
    k_sigma = (k + 1) // 2 if k_sigma is None else check_integer(k_sigma, "k_sigma", minimum=1)
    if k_sigma > k:
        raise ValueError(f"k_sigma must be <= the number of neighbours {k}, got {k_sigma}")
    sigma, n_zero = self_tuning_sigma(distances, k_sigma)
    if n_zero:
        warnings.warn(f"{n_zero} point(s) have sigma = 0 (duplicate points): their "
                      "scale is the distance to the farthest neighbour (or 1 if that is 0 "
                      "too), so duplicates get weight 1", RuntimeWarning, stacklevel=2)
    with np.errstate(over="ignore"):  # (d/σ)² = inf is weight exp(−inf) = 0, as it should be
        indptr, indices, data = select("graph.weights", backend)(
            np.ascontiguousarray(neighbors, np.int64), distances, sigma)
    W = sp.csr_matrix((data, indices, indptr), shape=(n, n))
    return (W + W.T).tocsr() if symmetric else W


def self_tuning_sigma(distances, k_sigma):
    """σ(x) = distance to the ``k_sigma``-th neighbour, with the duplicate-point fallback.

    Returns ``(sigma, n_zero)``: where that distance is 0, σ is the distance to
    the farthest neighbour, or 1 when all are 0; ``n_zero`` counts those points.
    """
    sigma = distances[:, k_sigma - 1].copy()
    zero = sigma == 0
    if zero.any():
        sigma[zero] = distances[zero].max(axis=1)
        sigma[sigma == 0] = 1.0
    return sigma, int(zero.sum())
