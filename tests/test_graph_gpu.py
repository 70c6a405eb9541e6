"""graph.harmonic_extension and WNLLClassifier with backend="cuda" (issue 22, part 2).

Without a GPU: the device code path runs on pdeopt's strict CuPy stand-in (``fake_cupy``),
where a hidden host round trip fails and every host↔device move is counted; the numba.cuda
row kernel runs in numba's simulator (tests marked ``cuda``, tiny sizes); the CuPy-only
test is marked ``gpu``. Expected values come from the CPU solvers (NumPy, numba, SciPy).
"""
import sys

import numpy as np
import pytest
import scipy.sparse as sp

import pdeopt.kernels.graph as kg
from pdeopt import BackendUnavailableError
from pdeopt.graph import WNLLClassifier, harmonic_extension
from pdeopt.kernels import select
from pdeopt.testing.fake_cupy import transfers


def _graph(n=240, density=0.03, seed=0):
    """A random weighted graph with a labeled set holding every class of three."""
    rng = np.random.default_rng(seed)
    W = sp.random(n, n, density=density, random_state=rng, format="csr")
    labeled = rng.choice(n, 12, replace=False)
    return W, labeled, np.arange(12) % 3


def _moved(before):
    after = transfers()
    return {k: after[k] - before[k] for k in after}


@pytest.mark.parametrize("method", ["wnll", "gl"])
def test_cuda_agrees_with_numpy_and_numba(fake_cupy, method):
    W, labeled, labels = _graph()
    numpy_ = harmonic_extension(W, labeled, labels, method=method, backend="numpy")
    numba_ = harmonic_extension(W, labeled, labels, method=method, backend="numba")
    cuda = harmonic_extension(W, labeled, labels, method=method, backend="cuda")
    assert type(cuda.x) is np.ndarray and type(cuda.info["labels"]) is np.ndarray
    assert cuda.converged and cuda.x.shape == (240, 3)
    for ref in (numpy_, numba_):
        assert abs(cuda.nit - ref.nit) <= 1
        np.testing.assert_allclose(cuda.x, ref.x, rtol=0, atol=1e-7)
        np.testing.assert_array_equal(cuda.info["labels"], ref.info["labels"])
    assert cuda.history["residual"].shape == (cuda.nit + 1,)
    assert cuda.history["residual"][-1] <= 1e-6 < cuda.history["residual"][0]


@pytest.mark.parametrize("method", ["wnll", "gl"])
def test_device_analysis_matches_the_host_one_on_awkward_graphs(fake_cupy, method):
    # components without a label, an isolated point, diagonal entries, explicit zeros,
    # an asymmetric W: the device finds the reached points by products, the host by
    # connected components; the scores, labels and warnings must agree
    rng = np.random.default_rng(7)
    W = sp.random(60, 60, density=0.08, random_state=rng, format="lil")
    W[40:, :40] = 0.0
    W[:40, 40:] = 0.0              # points 40..59: a part of their own, no label there
    W[50, :] = 0.0
    W[:, 50] = 0.0                 # point 50: isolated
    W.setdiag(2.0)                 # ignored
    W = W.tocsr()
    W.data[::7] = 0.0              # explicit zeros: no edge
    labeled, labels = np.array([0, 5, 9, 13]), np.array([0, 1, 2, 1])
    with pytest.warns(RuntimeWarning, match="components without a labeled point") as host_w:
        host = harmonic_extension(W, labeled, labels, method=method, backend="numba")
    with pytest.warns(RuntimeWarning, match="components without a labeled point") as dev_w:
        dev = harmonic_extension(W, labeled, labels, method=method, backend="cuda")
    assert str(host_w[0].message) == str(dev_w[0].message)
    assert host_w[0].filename == dev_w[0].filename == __file__  # the caller's line
    assert dev.info["unreached"] == host.info["unreached"] >= 20
    assert abs(dev.nit - host.nit) <= 1
    np.testing.assert_allclose(dev.x, host.x, rtol=0, atol=1e-7)
    np.testing.assert_array_equal(dev.info["labels"], host.info["labels"])


def test_device_overflow_is_refused_as_on_the_host(fake_cupy):
    W = np.array([[0, 1e308, 0], [1e308, 0, 1e308], [0, 1e308, 0.0]])
    for backend in ("numba", "cuda"):
        with pytest.raises(ValueError, match="row sums overflow"):
            harmonic_extension(W, [0, 2], [0, 1], backend=backend)


def test_the_xp_loop_on_numpy_agrees_with_the_numba_pcg():
    # backend="numpy" runs the loop the GPU runs (kernels.graph.pcg_block), on NumPy
    W, labeled, labels = _graph(n=400, density=0.02, seed=3)
    for method in ("wnll", "gl"):
        loop = harmonic_extension(W, labeled, labels, method=method, backend="numpy", tol=1e-9)
        ref = harmonic_extension(W, labeled, labels, method=method, backend="numba", tol=1e-9)
        assert abs(loop.nit - ref.nit) <= 1
        np.testing.assert_allclose(loop.x, ref.x, rtol=0, atol=1e-9)


def test_host_input_moves_once_whatever_the_iteration_count(fake_cupy):
    W, labeled, labels = _graph()
    counts = []
    for max_iter in (2, 25):
        before = transfers()
        res = harmonic_extension(W, labeled, labels, tol=0, max_iter=max_iter, backend="cuda")
        assert res.nit == max_iter
        counts.append(_moved(before))
    # in: W's CSR (indptr, indices, data), the labeled indices and their labels; out: the
    # residual history, the scores and the labels
    assert counts[0] == counts[1] == {"to_device": 5, "to_host": 3}


def test_device_input_gives_device_output(fake_cupy):
    W, labeled, labels = _graph()
    ref = harmonic_extension(W, labeled, labels, backend="numpy")
    import cupyx.scipy.sparse as csp
    for d_W in (fake_cupy.asarray(W.toarray()), csp.csr_matrix(W)):
        res = harmonic_extension(d_W, fake_cupy.asarray(labeled), labels)  # auto → device
        assert res.info["backend"] == "cuda"
        assert isinstance(res.x, fake_cupy.ndarray)
        assert isinstance(res.info["labels"], fake_cupy.ndarray)
        np.testing.assert_allclose(res.x.get(), ref.x, rtol=0, atol=1e-7)
        np.testing.assert_array_equal(res.info["labels"].get(), ref.info["labels"])


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_device_input_with_a_host_backend_is_a_type_error(fake_cupy, backend):
    W, labeled, labels = _graph(n=30, density=0.2)
    with pytest.raises(TypeError, match="backend='cuda'"):
        harmonic_extension(fake_cupy.asarray(W.toarray()), labeled, labels, backend=backend)


def test_classifier_on_the_device_predicts_the_same_labels(fake_cupy):
    from sklearn.datasets import make_moons
    X, y = make_moons(160, noise=0.06, random_state=1)
    y_partial = np.full_like(y, -1)
    for c in (0, 1):
        y_partial[np.flatnonzero(y == c)[:3]] = c
    cpu = WNLLClassifier(n_neighbors=8, backend="numba").fit(X, y_partial)
    before = transfers()
    gpu = WNLLClassifier(n_neighbors=8, backend="cuda").fit(X, y_partial)
    assert _moved(before) == {"to_device": 5, "to_host": 3}  # one solve's moves
    assert type(gpu.transduction_) is np.ndarray
    np.testing.assert_array_equal(gpu.transduction_, cpu.transduction_)
    np.testing.assert_allclose(gpu.label_distributions_, cpu.label_distributions_, atol=1e-7)
    X_new = X[:20] + 0.01
    assert type(gpu.predict(X_new)) is np.ndarray
    np.testing.assert_array_equal(gpu.predict(X_new), cpu.predict(X_new))


def test_missing_cupy_is_a_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "cupy", None)  # `import cupy` now fails
    W, labeled, labels = _graph(n=30, density=0.2)
    with pytest.raises(BackendUnavailableError, match=r"pip install pdeopt\[gpu\]"):
        harmonic_extension(W, labeled, labels, backend="cuda")
    X = np.random.default_rng(0).standard_normal((30, 2))
    y = np.full(30, -1)
    y[:2] = [0, 1]
    with pytest.raises(BackendUnavailableError, match=r"pip install pdeopt\[gpu\]"):
        WNLLClassifier(n_neighbors=5, backend="cuda").fit(X, y)
    # the CPU backends do not need it
    assert harmonic_extension(W, labeled, labels, backend="auto").x.shape == (30, 3)


def test_the_cusparse_product_is_the_laplacian(fake_cupy):
    rng = np.random.default_rng(5)
    A = sp.random(20, 20, density=0.2, random_state=rng, format="csr")
    diag = rng.random(20) + 1.0
    P = rng.standard_normal((20, 3))
    d = [fake_cupy.asarray(a) for a in (A.indptr, A.indices, A.data, diag, P)]
    out = fake_cupy.empty((20, 3))
    kg.laplacian_operator(*d[:4], product="cusparse")(d[4], out)
    np.testing.assert_allclose(out.get(), diag[:, None] * P - A @ P, rtol=1e-13, atol=1e-13)
    with pytest.raises(ValueError, match="product"):
        kg.laplacian_operator(*d[:4], product="cublas")


# -- numba.cuda, in the simulator (NUMBA_ENABLE_CUDASIM=1) or on a GPU: tiny sizes ----------

def _csr_with_empty_rows(rng, n_rows, n_cols):
    A = sp.random(n_rows, n_cols, density=0.3, random_state=rng, format="lil")
    A[[1, n_rows // 2, n_rows - 1], :] = 0.0  # empty rows, the last one included
    A = A.tocsr()
    A.eliminate_zeros()
    assert np.sum(np.diff(A.indptr) == 0) >= 3 and A.nnz > 0
    return A


@pytest.mark.cuda
@pytest.mark.parametrize("n_rows, n_cols, m", [(20, 20, 3), (9, 6, 35), (6, 200, 1),
                                                (6, 40, 16)])
def test_row_kernel_equals_the_numpy_twin(n_rows, n_cols, m):
    # m = 35: a chunk of 32 columns and one of 3 (1 and 10 nonzeros at a time); m = 1 and
    # 16 with rows of ~60 and ~12 nonzeros: 32 and 2 at a time, several passes per row
    from numba import cuda
    rng = np.random.default_rng(n_rows)
    A = _csr_with_empty_rows(rng, n_rows, n_cols)
    X = rng.standard_normal((n_cols, m))
    want = select("graph.spmm", "numpy")(A.indptr, A.indices, A.data, X)
    d = [cuda.to_device(a) for a in (A.indptr, A.indices, A.data, X)]
    y = cuda.device_array((n_rows, m))
    kg.csr_rows_cuda(*d[:3], None, d[3], y)
    np.testing.assert_allclose(y.copy_to_host(), want, rtol=1e-13, atol=1e-13)
    if n_rows == n_cols:  # the CG's product: diag ∘ x − A x in the same sweep
        diag = rng.random(n_rows) + 1.0
        kg.csr_rows_cuda(*d[:3], cuda.to_device(diag), d[3], y)
        np.testing.assert_allclose(y.copy_to_host(), diag[:, None] * X - want, rtol=1e-13,
                                   atol=1e-13)
    # the registered host-in, host-out kernel uses the same sweep
    np.testing.assert_allclose(select("graph.spmm", "cuda")(A.indptr, A.indices, A.data, X),
                               want, rtol=1e-13, atol=1e-13)


@pytest.mark.cuda
def test_device_pcg_with_the_row_kernel_agrees_with_numpy(fake_cupy):
    # the kernel views the fake CuPy arrays in the simulator (host memory on both sides);
    # on a GPU the real-CuPy test below runs it
    from pdeopt.kernels._device import simulated
    if not simulated():
        pytest.skip("the fake CuPy's arrays are host memory: the row kernel maps them only "
                    "in numba's simulator")
    W, labeled, labels = _graph(n=16, density=0.3, seed=2)
    ref = harmonic_extension(W, labeled[:3], labels[:3], backend="numpy")
    before = transfers()
    res = harmonic_extension(W, labeled[:3], labels[:3], backend="cuda")
    assert kg._kernel_can_map(fake_cupy)  # so "auto" took the row kernel
    assert _moved(before) == {"to_device": 5, "to_host": 3}
    assert abs(res.nit - ref.nit) <= 1
    np.testing.assert_allclose(res.x, ref.x, rtol=0, atol=1e-9)


@pytest.mark.cuda
def test_device_analysis_with_the_row_kernel_on_an_unlabeled_component(fake_cupy):
    from pdeopt.kernels._device import simulated
    if not simulated():
        pytest.skip("the fake CuPy's arrays are host memory: the row kernel maps them only "
                    "in numba's simulator")
    W = np.zeros((10, 10))
    for a, b, w in ((0, 1, 1.0), (1, 2, 0.5), (2, 3, 2.0), (3, 4, 1.0), (6, 7, 1.0),
                    (7, 8, 3.0)):
        W[a, b] = w                # a path 0-4 and a component 6-8 without a label; 5, 9
    with pytest.warns(RuntimeWarning, match="5 point"):
        host = harmonic_extension(W, [0, 4], [0, 1], backend="numpy")
    with pytest.warns(RuntimeWarning, match="5 point"):
        dev = harmonic_extension(W, [0, 4], [0, 1], backend="cuda")
    assert dev.info["unreached"] == host.info["unreached"] == 5
    np.testing.assert_allclose(dev.x, host.x, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(dev.info["labels"], host.info["labels"])


@pytest.mark.gpu
@pytest.mark.parametrize("product", ["kernel", "cusparse"])
def test_real_cupy_solve_agrees_with_the_cpu(product, monkeypatch):
    import cupy
    monkeypatch.setattr(kg, "DEVICE_PRODUCT", product)
    W, labeled, labels = _graph(n=2000, density=0.004, seed=4)
    ref = harmonic_extension(W, labeled, labels, backend="numba")
    res = harmonic_extension(W, labeled, labels, backend="cuda")
    assert type(res.x) is np.ndarray and abs(res.nit - ref.nit) <= 1
    np.testing.assert_allclose(res.x, ref.x, rtol=0, atol=1e-7)
    d_res = harmonic_extension(cupy.asarray(W.toarray()), labeled, labels)
    assert isinstance(d_res.x, cupy.ndarray)
    np.testing.assert_allclose(cupy.asnumpy(d_res.x), ref.x, rtol=0, atol=1e-7)


# -- the bench group -------------------------------------------------------------------------

def test_bench_skips_with_the_reason_without_a_gpu(monkeypatch):
    from pdeopt.bench import BenchContext, gpu_graph
    monkeypatch.setattr(gpu_graph, "_why_not", lambda: "no CUDA GPU or driver was found")
    ctx = BenchContext("gpu-graph", quick=True, echo=lambda line: None)
    gpu_graph.bench(ctx)
    assert ctx.rows == [{"group": "gpu-graph",
                         "note": "skipped: no CUDA GPU or driver was found"}]
    monkeypatch.setattr(gpu_graph, "_why_not", lambda: "")
    monkeypatch.setitem(sys.modules, "cupy", None)
    ctx = BenchContext("gpu-graph", quick=True, echo=lambda line: None)
    gpu_graph.bench(ctx)
    assert ctx.rows[0]["note"].startswith("skipped: CuPy is not installed")


def test_bench_code_path_on_the_fake_cupy(fake_cupy, monkeypatch):
    # the group's logic at normal speed: the numba.cuda parts replaced by host stand-ins
    # (the real ones are the simulator tests above), CUDA events by the wall clock
    from pdeopt.bench import BenchContext, gpu_graph
    from pdeopt.kernels import _device

    def rows_on_host(indptr, indices, data, diag, x, y):
        host = [a.get() for a in (indptr, indices, data, x)]
        product = kg._spmm_numpy(*host)
        if diag is not None:
            product = diag.get()[:, None] * host[3] - product
        y[...] = fake_cupy.asarray(product)
        return y

    monkeypatch.setattr(gpu_graph, "_why_not", lambda: "")
    monkeypatch.setattr(kg, "csr_rows_cuda", rows_on_host)
    monkeypatch.setattr(_device, "as_numba", lambda a: a)
    monkeypatch.setattr(_device, "event_time", gpu_graph._wall_time)
    monkeypatch.setattr(_device, "device_name", lambda: "fake")

    class Tiny(BenchContext):
        def pick(self, quick, default):
            return min(quick, 300)

    ctx = Tiny("gpu-graph", quick=True, echo=lambda line: None)
    gpu_graph.bench(ctx)
    (row,) = [r for r in ctx.rows if r.get("kernel") == "CSR x block"]
    assert set(row["seconds"]) == {"device copy of the CSR", "device copy of CSR + X + Y",
                                   "kernel (warp per row)", "cuSPARSE", "numba CPU, all cores"}
    metrics = [r["metric"] for r in ctx.rows if "metric" in r]
    for what in ("random graph", "3-D lattice"):
        for product in ("kernel", "cusparse"):
            assert any(m.startswith(f"WNLL {what}, GPU ({product}): PCG") for m in metrics)
        for ratio in ("CPU PCG / GPU PCG", "CPU / GPU end to end"):
            assert any(m.startswith(f"WNLL {what}: {ratio}") for m in metrics)
    assert kg.DEVICE_PRODUCT == "auto"


def test_bench_graphs_have_the_stated_size():
    from pdeopt.bench.gpu_graph import lattice_graph, random_graph
    A = random_graph(70_000, np.random.default_rng(0))
    assert A.shape == (70_000, 70_000) and 2.0e6 < A.nnz < 2.2e6
    assert (A != A.T).nnz == 0 and A.diagonal().max() == 0
    L, slabs = lattice_graph(10)
    assert L.shape == (1000, 1000) and (L != L.T).nnz == 0
    assert np.bincount(slabs).tolist() == [100] * 10
    assert L.indptr[1] == 10  # a corner's neighbours within 2: 3 + 3 + 1 + 3
