"""Hypothesis strategies for the inputs of pdeopt's identities.

Each strategy is built from a few small integers and floats, so that hypothesis shrinks a
failure to a small, readable counterexample (a grid of 9 points, a graph of 6 nodes, a
vector with one nonzero). Needs ``hypothesis`` (``pip install "pdeopt[test]"``).
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

try:
    from hypothesis import assume, strategies as st
except ImportError as exc:  # pragma: no cover - exercised only without hypothesis
    raise ImportError("pdeopt.testing.strategies needs hypothesis: pip install hypothesis "
                      "(or the test extra, pip install \"pdeopt[test]\"); the assert_* "
                      "checkers of pdeopt.testing need only NumPy") from exc

__all__ = ["grids_1d", "grids_2d", "grid_functions", "sparse_vectors", "knn_graphs",
           "phase_objects", "quantization_inputs", "sde_potentials", "Graph", "PhaseObject",
           "Potential"]

_floats = dict(allow_nan=False, allow_infinity=False)


@st.composite
def grids_1d(draw, *, min_size=9, max_size=129, half_width=(1.0, 6.0)):
    """A uniform, increasing grid ``linspace(-L, L, n)`` (odd n, so 0 is a node)."""
    n = 2 * draw(st.integers(min_size // 2, max_size // 2)) + 1
    width = draw(st.floats(*half_width, **_floats))
    return np.linspace(-width, width, n)


@st.composite
def grids_2d(draw, *, min_size=9, max_size=41, half_width=(1.0, 4.0)):
    """A tuple of two uniform axes (for ``indexing="ij"`` grids)."""
    return (draw(grids_1d(min_size=min_size, max_size=max_size, half_width=half_width)),
            draw(grids_1d(min_size=min_size, max_size=max_size, half_width=half_width)))


@st.composite
def grid_functions(draw, kind="convex", *, grid=None, semiconvexity=1.0, lipschitz=2.0):
    """``(x, f)``: a grid and samples of a function of the named kind on it.

    ``"convex"``: a|x − c|² + b|x − d| (a, b ≥ 0); ``"semiconvex"``: f + (λ/2)|x|² is
    convex, with λ = ``semiconvexity`` (a convex function minus (λ/2)x² plus a cosine of
    curvature ≤ λ/2); ``"lipschitz"``: Σ aᵢ|x − cᵢ| with Σ|aᵢ| ≤ ``lipschitz``;
    ``"double_well"``: h(x² − 1)² + s·x, two minima near ±1 for a small tilt s.
    """
    x = draw(grid if grid is not None else grids_1d())
    c = draw(st.floats(-0.5, 0.5, **_floats))
    if kind == "convex":
        a, b = draw(st.floats(0.0, 2.0, **_floats)), draw(st.floats(0.0, 2.0, **_floats))
        assume(a + b > 0.05)
        f = a * (x - c) ** 2 + b * np.abs(x - draw(st.floats(-0.5, 0.5, **_floats)))
    elif kind == "semiconvex":
        lam = float(semiconvexity)
        a = draw(st.floats(0.0, 1.0, **_floats))
        w = draw(st.floats(0.5, 2.0, **_floats))
        f = a * (x - c) ** 2 - 0.5 * lam * x ** 2 + (lam / (2 * w * w)) * np.cos(w * x)
    elif kind == "lipschitz":
        m = draw(st.integers(1, 3))
        weights = np.array(draw(st.lists(st.floats(-1.0, 1.0, **_floats), min_size=m,
                                         max_size=m)))
        total = np.sum(np.abs(weights))
        assume(total > 1e-3)
        weights *= lipschitz / total
        centres = np.array(draw(st.lists(st.floats(-1.0, 1.0, **_floats), min_size=m,
                                         max_size=m)))
        f = np.sum(weights[:, None] * np.abs(x[None, :] - centres[:, None]), axis=0)
    elif kind == "double_well":
        h = draw(st.floats(0.25, 2.0, **_floats))
        s = draw(st.floats(-0.3, 0.3, **_floats))
        f = h * (x ** 2 - 1) ** 2 + s * x
    else:
        raise ValueError(f"kind must be 'convex', 'semiconvex', 'lipschitz' or "
                         f"'double_well', got {kind!r}")
    return x, f


@st.composite
def sparse_vectors(draw, *, min_size=1, max_size=32, max_nonzeros=None, scale=10.0):
    """A float vector with a few nonzeros (at least one), the rest exactly zero."""
    n = draw(st.integers(min_size, max_size))
    k = draw(st.integers(1, max(1, min(n, max_nonzeros or n))))
    support = draw(st.lists(st.integers(0, n - 1), min_size=k, max_size=k, unique=True))
    values = draw(st.lists(st.floats(-scale, scale, **_floats).filter(lambda v: abs(v) > 1e-3),
                           min_size=k, max_size=k))
    x = np.zeros(n)
    x[support] = values
    return x


class Graph(NamedTuple):
    """A connected symmetric kNN-like graph with labels."""
    points: np.ndarray        # (n, 2)
    weights: object           # scipy.sparse.csr_matrix, symmetric, nonnegative
    labels: np.ndarray        # (n,) class of every node
    labeled_idx: np.ndarray   # nodes whose label is known (every class at least once)


@st.composite
def knn_graphs(draw, *, min_nodes=6, max_nodes=40, k=4, n_classes=2):
    """A connected kNN graph of points in two clusters per class, with Gaussian weights.

    Symmetrised (w_ij = max of the two directions), made connected by a chain through the
    points in x order, labelled by cluster, with at least one labeled node per class.
    """
    import scipy.sparse as sp

    n = draw(st.integers(max(min_nodes, n_classes + 1), max_nodes))
    seed = draw(st.integers(0, 2 ** 16))
    gen = np.random.default_rng(seed)
    labels = np.arange(n) % n_classes
    centres = np.stack([3.0 * np.arange(n_classes), np.zeros(n_classes)], axis=1)
    points = centres[labels] + gen.normal(size=(n, 2))
    d2 = np.sum((points[:, None] - points[None]) ** 2, axis=-1)
    kk = min(k, n - 1)
    nbrs = np.argsort(d2, axis=1)[:, 1:kk + 1]
    sigma2 = np.maximum(np.sort(d2, axis=1)[:, kk], 1e-12)
    rows = np.repeat(np.arange(n), kk)
    w = np.exp(-d2[rows, nbrs.ravel()] / sigma2[rows])
    order = np.argsort(points[:, 0])
    rows = np.concatenate([rows, order[:-1]])
    cols = np.concatenate([nbrs.ravel(), order[1:]])
    w = np.concatenate([w, np.full(n - 1, 0.05)])
    W = sp.csr_matrix((w, (rows, cols)), shape=(n, n))
    W = W.maximum(W.T).tocsr()
    W.setdiag(0)
    W.eliminate_zeros()
    extra = draw(st.lists(st.integers(0, n - 1), max_size=3, unique=True))
    labeled = np.unique(np.concatenate([[np.flatnonzero(labels == c)[0]
                                         for c in range(n_classes)], extra])).astype(np.int64)
    return Graph(points, W, labels, labeled)


class PhaseObject(NamedTuple):
    """An object with its support and Fourier magnitudes (orthonormal FFT)."""
    object: np.ndarray
    support: np.ndarray
    magnitudes: np.ndarray


@st.composite
def phase_objects(draw, *, min_size=8, max_size=32, complex_valued=False):
    """A nonnegative (or complex) object inside a box support of at most half the array
    per axis (oversampling ≥ 4 in 2-D), with its Fourier magnitudes."""
    n = 2 * draw(st.integers(min_size // 2, max_size // 2))
    h = draw(st.integers(2, n // 2))
    w = draw(st.integers(2, n // 2))
    top, left = draw(st.integers(0, n - h)), draw(st.integers(0, n - w))
    gen = np.random.default_rng(draw(st.integers(0, 2 ** 16)))
    support = np.zeros((n, n), bool)
    support[top:top + h, left:left + w] = True
    obj = np.zeros((n, n), complex if complex_valued else float)
    values = gen.uniform(0.1, 1.0, size=(h, w))
    if complex_valued:
        values = values * np.exp(1j * gen.uniform(0, 2 * np.pi, size=(h, w)))
    obj[support] = values.ravel()
    return PhaseObject(obj, support, np.abs(np.fft.fft2(obj, norm="ortho")))


@st.composite
def quantization_inputs(draw, *, min_size=2, max_size=64, scale=5.0):
    """A float vector with distinct absolute values (no ties in a sort-based projection)
    and at least one entry away from zero."""
    n = draw(st.integers(min_size, max_size))
    seed = draw(st.integers(0, 2 ** 16))
    gen = np.random.default_rng(seed)
    x = gen.normal(scale=draw(st.floats(0.1, scale, **_floats)), size=n)
    assume(np.unique(np.abs(x)).size == n and np.max(np.abs(x)) > 1e-3)
    return x


class Potential(NamedTuple):
    """A tilted double well V(x) = h(x² − 1)² + s·x with its critical points."""
    coeffs: tuple             # polynomial coefficients, lowest degree first
    x_min: float              # the well the particle starts in (left)
    x_saddle: float           # the barrier top it must cross
    x_other: float            # the other well (target)
    beta: float               # inverse temperature

    def __call__(self, x):
        return np.polynomial.polynomial.polyval(x, self.coeffs)

    def derivative(self, x):
        return np.polynomial.polynomial.polyval(x, np.polynomial.polynomial.polyder(
            self.coeffs))


@st.composite
def sde_potentials(draw, *, beta=(2.0, 8.0)):
    """A tilted double well with its left minimum, saddle and right minimum, and β.

    The mean exit time from the left well has the closed form of a double integral
    (Gardiner, *Stochastic Methods*, §5.2.7) and, for large β·barrier, Kramers' rate
    formula; :func:`pdeopt.sde.mean_exit_time` and :func:`pdeopt.sde.kramers_time`
    compute both.
    """
    h = draw(st.floats(0.5, 2.0, **_floats))
    s = draw(st.floats(-0.2, 0.2, **_floats))
    coeffs = (h, s, -2 * h, 0.0, h)          # h(x⁴ − 2x² + 1) + s·x
    roots = np.roots([4 * h, 0.0, -4 * h, s])    # V'(x) = 4h x³ − 4h x + s
    roots = np.sort(roots.real[np.abs(roots.imag) < 1e-9])
    assume(roots.size == 3)
    b = draw(st.floats(*beta, **_floats))
    return Potential(coeffs, float(roots[0]), float(roots[1]), float(roots[2]), b)
