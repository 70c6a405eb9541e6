"""Single precision follows the input: float32 in, float32 out, in the thresholding kernels,
the quantized projections, the graph weights and the CSR × block product (every backend that
runs on the CPU), and the float32 results follow the float64 ones within a rounding bound.

The bounds are stated per map, in units of float32's unit roundoff U = 2⁻²⁴ ≈ 6e-8: each
float32 operation (and each input rounded to float32) adds at most a relative U, so a map
of c operations is within about c·U of float64, scaled by the size of the terms summed.
"""
import numpy as np
import pytest
import scipy.sparse as sp

from pdeopt.graph import weight_matrix
from pdeopt.kernels import select
from pdeopt.prox import hard_threshold, soft_threshold, tl1_threshold
from pdeopt.quant.project import (apply_code, binary_code, bits_code, project_binary,
                                  project_bits, project_ternary, ternary_code, twn_code)

U = 2.0 ** -24  # float32 unit roundoff
BACKENDS = ("numpy", "numba")


def _x(n=70_000, seed=0):
    """float32 data (above the kernels' parallel threshold of 65536 elements) and the same
    values in float64: the two runs see identical inputs, only the arithmetic differs."""
    x32 = (2.0 * np.random.default_rng(seed).standard_normal(n)).astype(np.float32)
    return x32, x32.astype(np.float64)


# -- thresholding -------------------------------------------------------------------------------

@pytest.mark.parametrize("backend", BACKENDS)
def test_soft_threshold_float32(backend):
    x32, x64 = _x()
    lam = 0.3
    y32, y64 = soft_threshold(x32, lam, backend=backend), soft_threshold(x64, lam, backend=backend)
    assert y32.dtype == np.float32 and y64.dtype == np.float64
    # |x| − λ and a sign: 2 operations and λ rounded to float32, each within U·(|x| + λ)
    assert np.all(np.abs(y32 - y64) <= 4 * U * (np.abs(x64) + lam))
    out = np.empty_like(x32)
    assert soft_threshold(x32, lam, out=out, backend=backend) is out
    np.testing.assert_array_equal(out, y32)


@pytest.mark.parametrize("backend", BACKENDS)
def test_hard_threshold_float32(backend):
    x32, x64 = _x(seed=1)
    lam = 0.5
    y32, y64 = hard_threshold(x32, lam, backend=backend), hard_threshold(x64, lam, backend=backend)
    assert y32.dtype == np.float32 and y64.dtype == np.float64
    # no arithmetic on x: equal, except where the threshold √(2λ), rounded to float32 in
    # a float32 comparison, falls between |x| and the exact threshold (|x| within 2U·t)
    t = np.sqrt(2 * lam)
    clear = np.abs(np.abs(x64) - t) > 2 * U * t
    np.testing.assert_array_equal(y32[clear], y64[clear])


@pytest.mark.parametrize("backend", BACKENDS)
def test_tl1_threshold_float32(backend):
    x32, x64 = _x(seed=2)
    lam, a = 0.4, 2.0
    y32, y64 = tl1_threshold(x32, lam, a, backend=backend), tl1_threshold(x64, lam, a,
                                                                          backend=backend)
    assert y32.dtype == np.float32 and y64.dtype == np.float64
    # ~20 operations (the cube, the arccos/cos or its polynomial, ⅔(a + |x|)cos − ⅔a + ⅓|x|),
    # whose terms are of size a + |x| (the subtraction of ⅔a cancels): 32·U·(a + |x|)
    assert np.all(np.abs(y32 - y64) <= 32 * U * (a + np.abs(x64)))


# -- quantized projections ----------------------------------------------------------------------

@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("project", [
    project_binary, project_ternary, lambda y, backend: project_ternary(y, "twn",
                                                                         backend=backend),
    lambda y, backend: project_bits(y, 3, backend=backend),
    lambda y, backend: project_bits(y, 4, method="lloyd", backend=backend)],
    ids=["binary", "ternary", "twn", "bits3-exact", "bits4-lloyd"])
def test_projections_float32(project, backend):
    y32, y64 = _x(seed=3)
    p32, p64 = project(y32, backend=backend), project(y64, backend=backend)
    assert p32.dtype == np.float32 and p64.dtype == np.float64
    # the scale is a float64 reduction over the same values in both (so the same codes);
    # s·q rounded to float32 is 1 operation, plus the reduction's own n·2⁻⁵³ ≪ U: 2U·|s·q|
    assert np.all(np.abs(p32 - p64) <= 2 * U * np.abs(p64) + 1e-30)


@pytest.mark.parametrize("code", [binary_code, ternary_code, twn_code,
                                  lambda y: bits_code(y, 3)],
                         ids=["binary", "ternary", "twn", "bits3"])
def test_scales_float32_are_float64_reductions(code):
    y32, y64 = _x(seed=4)
    c32, c64 = code(y32), code(y64)
    assert c32.levels == c64.levels
    # the same n values summed in float64 (perhaps in another order): n·2⁻⁵³ relative
    assert c32.scale == pytest.approx(c64.scale, rel=y32.size * 2.0 ** -53)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("levels_code", [binary_code, ternary_code, lambda y: bits_code(y, 4)],
                         ids=["binary", "ternary", "bits4"])
def test_relaxed_combine_float32(levels_code, backend):
    y32, y64 = _x(seed=5)
    code = levels_code(y64)
    w = 1e3 / (1e3 + 1)  # BinaryRelax's relaxed step w = λ/(λ + 1)
    x32 = apply_code(y32, code, weight=w, backend=backend)
    x64 = apply_code(y64, code, weight=w, backend=backend)
    assert x32.dtype == np.float32 and x64.dtype == np.float64
    # w·s·q + (1 − w)·y: 3 operations and the rounded w, s: 6U·(|s·q| + |y|)
    sq = np.abs(x64 - (1 - w) * y64) / w  # |s·q|, the code's value
    bound = 6 * U * (sq + np.abs(y64))
    assert np.all(np.abs(x32 - x64) <= bound + 1e-30)


# -- graph weights and the CSR × block product -------------------------------------------------

def _knn(n=400, k=10, seed=0):
    from pdeopt.graph import knn_graph
    X = np.random.default_rng(seed).standard_normal((n, 4))
    return knn_graph(X, k, search="exact")


@pytest.mark.parametrize("backend", BACKENDS)
def test_weight_matrix_float32(backend):
    nb, d64 = _knn()
    d32 = d64.astype(np.float32)
    d64 = d32.astype(np.float64)  # the same distances in both runs
    W32 = weight_matrix(nb, d32, backend=backend)
    W64 = weight_matrix(nb, d64, backend=backend)
    assert W32.dtype == np.float32 and W64.dtype == np.float64
    np.testing.assert_array_equal(W32.indices, W64.indices)
    # w = exp(−e), e = (d/σ)²: the division, square and exp each within U (exp: 2U), so e
    # within 4U·e and w within w·4U·e + 2U·w ≤ (4/ℯ + 2)·U < 4U (max of e·exp(−e) is 1/ℯ)
    assert np.max(np.abs(W32.data - W64.data)) <= 4 * U
    assert weight_matrix(nb, d32, symmetric=True, backend=backend).dtype == np.float32


def _csr(n_rows, n_cols, density, seed):
    A = sp.random(n_rows, n_cols, density=density, format="csr", random_state=seed)
    return A.indptr, A.indices, A.data


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("n_rows, m", [(300, 3), (300, 10), (300, 20), (30_000, 10),
                                       (12_000, 40)])
def test_spmm_float32(backend, n_rows, m):
    # (30000, 10) and (12000, 40) pass the parallel threshold of 10⁶ multiply-adds
    indptr, indices, data = _csr(n_rows, 2000, 0.004, seed=m)
    rng = np.random.default_rng(m)
    x32 = rng.standard_normal((2000, m)).astype(np.float32)
    a32 = data.astype(np.float32)
    x64, a64 = x32.astype(np.float64), a32.astype(np.float64)
    spmm = select("graph.spmm", backend)
    y32, y64 = spmm(indptr, indices, a32, x32), spmm(indptr, indices, a64, x64)
    assert y32.dtype == np.float32 and y64.dtype == np.float64
    # a sum of r products per entry (r nonzeros in the row): within (r + 1)·U·Σ|a||x|
    r = np.diff(indptr)[:, None]
    absum = sp.csr_matrix((np.abs(a64), indices, indptr), shape=(n_rows, 2000)) @ np.abs(x64)
    assert np.all(np.abs(y32 - y64) <= (r + 1) * U * absum)
    out = np.empty((n_rows, m), np.float32)
    assert spmm(indptr, indices, a32, x32, out=out) is out
    np.testing.assert_array_equal(out, y32)
    # mixed precision is float64 (NumPy's promotion), equal to the float64 product's
    mixed = spmm(indptr, indices, a32, x64)
    assert mixed.dtype == np.float64
    np.testing.assert_allclose(mixed, y64, rtol=1e-12, atol=1e-12)
    with pytest.raises(ValueError, match="out must be"):
        spmm(indptr, indices, a32, x32, out=np.empty((n_rows, m)))
