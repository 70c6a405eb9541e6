"""The graph kernels: every backend equals the NumPy twin (and the twin equals SciPy)."""
import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, strategies as st
from scipy.sparse.linalg import spsolve

from pdeopt.kernels import select


def random_csr(rng, n_rows, n_cols, density):
    A = sp.random(n_rows, n_cols, density=density, random_state=np.random.RandomState(
        int(rng.integers(2 ** 31))), format="csr")
    return A.indptr.astype(np.int64), A.indices.astype(np.int64), A.data.astype(np.float64), A


def laplacian_system(rng, n, m):
    """An SPD system (diag(d) − W) with W symmetric, zero diagonal and d > row sums."""
    W = sp.random(n, n, density=min(1.0, 6 / n), random_state=np.random.RandomState(
        int(rng.integers(2 ** 31))))
    W = (W + W.T).tocsr()
    W.setdiag(0)
    W.eliminate_zeros()
    W.sort_indices()
    diag = np.asarray(W.sum(axis=1)).ravel() + rng.uniform(0.01, 1.0, n)
    B = rng.standard_normal((n, m))
    return W, diag, B


@given(n=st.integers(1, 40), k=st.integers(1, 6), seed=st.integers(0, 2 ** 16))
def test_weights_backends_agree(n, k, seed):
    rng = np.random.default_rng(seed)
    neighbors = rng.integers(0, n, (n, k))
    distances = np.sort(rng.uniform(0, 3, (n, k)), axis=1)
    sigma = rng.uniform(0.1, 2, n)
    ref = select("graph.weights", "numpy")(neighbors, distances, sigma)
    got = select("graph.weights", "numba")(neighbors, distances, sigma)
    for a, b in zip(ref, got):
        np.testing.assert_allclose(b, a, rtol=1e-14)
    # the math: row i, entry j is exp(−d_ij²/σ_i²)
    np.testing.assert_allclose(ref[2].reshape(n, k), np.exp(-distances ** 2 / sigma[:, None] ** 2))


# m up to 20: blocks of at most SIMD_MAX_COLUMNS = 16 columns take the vector row sum
@given(n_rows=st.integers(1, 50), n_cols=st.integers(1, 50), m=st.integers(1, 20),
       density=st.floats(0.0, 1.0), seed=st.integers(0, 2 ** 16))
def test_spmm_backends_agree_with_scipy(n_rows, n_cols, m, density, seed):
    rng = np.random.default_rng(seed)
    indptr, indices, data, A = random_csr(rng, n_rows, n_cols, density)
    X = rng.standard_normal((n_cols, m))
    expected = A @ X
    for backend in ("numpy", "numba"):
        np.testing.assert_allclose(select("graph.spmm", backend)(indptr, indices, data, X),
                                   expected, rtol=1e-12, atol=1e-12)
        out = np.full((n_rows, m), np.nan)
        assert select("graph.spmm", backend)(indptr, indices, data, X, out=out) is out
        np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)


def test_spmm_out_of_the_wrong_shape_or_dtype_is_a_value_error():
    indptr, indices, data, _ = random_csr(np.random.default_rng(0), 4, 3, 0.5)
    X = np.ones((3, 2))
    for backend in ("numpy", "numba"):
        for out in (np.empty((4, 3)), np.empty((4, 2), np.float32), np.empty((2, 4)).T):
            with pytest.raises(ValueError, match="out must be"):
                select("graph.spmm", backend)(indptr, indices, data, X, out=out)


@given(n=st.integers(2, 60), m=st.integers(1, 4), seed=st.integers(0, 2 ** 16))
def test_pcg_backends_agree_and_solve(n, m, seed):
    rng = np.random.default_rng(seed)
    W, diag, B = laplacian_system(rng, n, m)
    args = (W.indptr.astype(np.int64), W.indices.astype(np.int64), W.data, diag, B,
            np.zeros_like(B), 1e-12, 10 * n)
    x_np, it_np, h_np = select("graph.pcg", "numpy")(*args)
    x_nb, it_nb, h_nb = select("graph.pcg", "numba")(*args)
    exact = spsolve((sp.diags(diag) - W).tocsc(), B).reshape(n, m)
    np.testing.assert_allclose(x_np, exact, rtol=1e-8, atol=1e-9 * np.abs(exact).max())
    np.testing.assert_allclose(x_nb, x_np, rtol=1e-9, atol=1e-10 * np.abs(exact).max())
    assert it_np == it_nb and h_np.shape == (it_np + 1,)
    assert h_np[-1] <= 1e-12


def test_pcg_zero_right_hand_side_is_solved_at_once():
    W, diag, B = laplacian_system(np.random.default_rng(1), 20, 2)
    B[:, 1] = 0.0
    for backend in ("numpy", "numba"):
        pcg = select("graph.pcg", backend)
        args = (W.indptr.astype(np.int64), W.indices.astype(np.int64), W.data, diag)
        # all zero: x0 = 0 is the solution, residual 0 at the start, so no iteration runs
        x, it, hist = pcg(*args, np.zeros_like(B), np.zeros_like(B), 1e-10, 200)
        assert it == 0 and hist.tolist() == [0.0] and np.all(x == 0)
        # a zero column beside a nonzero one costs no iteration of its own: the count is
        # that of the nonzero column solved alone (its peer), and the zero column stays 0
        x, it, hist = pcg(*args, B, np.zeros_like(B), 1e-10, 200)
        x0, it0, _ = pcg(*args, B[:, :1].copy(), np.zeros((20, 1)), 1e-10, 200)
        assert 0 < it == it0 < 200 and hist.shape == (it + 1,)
        assert np.all(x[:, 1] == 0)
        np.testing.assert_allclose(x[:, :1], x0, rtol=1e-12)  # (block width changes rounding)


@pytest.mark.cuda
def test_spmm_cuda_equals_numpy():
    rng = np.random.default_rng(3)
    indptr, indices, data, A = random_csr(rng, 24, 16, 0.3)
    X = rng.standard_normal((16, 3))
    expected = select("graph.spmm", "numpy")(indptr, indices, data, X)
    np.testing.assert_allclose(select("graph.spmm", "cuda")(indptr, indices, data, X),
                               expected, rtol=1e-12, atol=1e-12)
    out = np.full((24, 3), np.nan)
    assert select("graph.spmm", "cuda")(indptr, indices, data, X, out=out) is out
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)


@given(n_rows=st.integers(1, 30), m=st.integers(1, 12), seed=st.integers(0, 2 ** 16))
def test_spmm_numba_takes_scipy_int32_indices(n_rows, m, seed):
    # SciPy's own int32 CSR indices (what the benchmark passes) give the int64 result
    rng = np.random.default_rng(seed)
    A = sp.random(n_rows, n_rows, density=0.4, format="csr",
                  random_state=np.random.RandomState(seed))
    X = rng.standard_normal((n_rows, m))
    assert A.indices.dtype == np.int32
    got = select("graph.spmm", "numba")(A.indptr, A.indices, A.data, X)
    np.testing.assert_allclose(got, select("graph.spmm", "numba")(
        A.indptr.astype(np.int64), A.indices.astype(np.int64), A.data, X), rtol=0, atol=0)
    np.testing.assert_allclose(got, A @ X, rtol=1e-12, atol=1e-12)


@given(n=st.integers(1, 60), m=st.integers(1, 20), seed=st.integers(0, 2 ** 16))
def test_parallel_prefetching_paths_equal_serial_bitwise(n, m, seed):
    # the parallel kernels (taken above PARALLEL_MIN_WORK, with prefetching) on small inputs
    from pdeopt.kernels import graph as kg
    rng = np.random.default_rng(seed)
    W, diag, P = laplacian_system(rng, n, m)
    for indptr, indices in ((W.indptr, W.indices),
                            (W.indptr.astype(np.int64), W.indices.astype(np.int64))):
        y_par, y_ser = np.empty((n, m)), np.empty((n, m))
        kg._spmm_rows(indptr, indices, W.data, P, y_par)
        kg._spmm_rows_serial(indptr, indices, W.data, P, y_ser)
        assert np.array_equal(y_par, y_ser)
        np.testing.assert_allclose(y_par, W @ P, rtol=1e-12, atol=1e-12)
        kg._laplacian_apply(indptr, indices, W.data, diag, P, y_par)
        kg._laplacian_apply_serial(indptr, indices, W.data, diag, P, y_ser)
        assert np.array_equal(y_par, y_ser)
        np.testing.assert_allclose(y_par, diag[:, None] * P - W @ P, rtol=1e-12, atol=1e-12)
    k = int(rng.integers(1, 6))
    neighbors, distances = rng.integers(0, n, (n, k)), rng.uniform(0, 3, (n, k))
    sigma = rng.uniform(0.1, 2, n)
    par = [np.empty(n * k, np.int64), np.empty(n * k)]
    ser = [np.empty(n * k, np.int64), np.empty(n * k)]
    kg._weights_exponents(neighbors, distances, sigma, *par)
    kg._weights_exponents_serial(neighbors, distances, sigma, *ser)
    assert all(np.array_equal(a, b) for a, b in zip(par, ser))
