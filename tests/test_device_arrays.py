"""backend="cuda" on device arrays: in and out on the device, equal to the NumPy twins.

Run on a GPU, or on the CPU under NUMBA_ENABLE_CUDASIM=1 (numba's simulator, whose device
arrays are the real thing's stand-in). The CuPy versions are marked ``gpu``.
"""
import os

import numpy as np
import pytest

from pdeopt import _xp
from pdeopt.prox import threshold
from pdeopt.quant import QuantizedSet, project_binary, project_bits, project_ternary

KINDS = ("l1", "l0", "tl1")


def _x(shape=(6, 7), dtype=np.float64, seed=0):
    return np.random.default_rng(seed).normal(scale=3, size=shape).astype(dtype)


#: fake CuPy's arrays live in host memory: numba.cuda maps them only in its simulator (on a GPU
#: the gpu-marked CuPy tests cover the same paths)
SIMULATOR_ONLY = pytest.mark.skipif(os.environ.get("NUMBA_ENABLE_CUDASIM") != "1",
                                    reason="fake CuPy arrays need numba's simulator")

@pytest.mark.cuda
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("kind", KINDS)
def test_threshold_device_in_device_out(kind, dtype):
    from numba import cuda
    x = _x(dtype=dtype)
    d = cuda.to_device(x)
    got = threshold(d, 1.1, kind, a=0.7, backend="cuda")
    assert _xp.is_numba_device_array(got) and got.shape == x.shape
    want = threshold(x, 1.1, kind, a=0.7, backend="numpy")
    host = got.copy_to_host()
    assert host.dtype == dtype
    np.testing.assert_allclose(host, want, rtol=1e-6 if dtype == np.float32 else 1e-12,
                               atol=1e-6 if dtype == np.float32 else 1e-12)
    np.testing.assert_array_equal(d.copy_to_host(), x)            # x untouched
    same = threshold(x, 1.1, kind, a=0.7, backend="cuda")         # host in, host out
    assert isinstance(same, np.ndarray)
    np.testing.assert_array_equal(same, host)


@pytest.mark.cuda
@pytest.mark.parametrize("kind", KINDS)
def test_threshold_device_out_and_in_place(kind):
    from numba import cuda
    x = _x()
    want = threshold(x, 0.9, kind, a=2.0, backend="numpy")
    d = cuda.to_device(x)
    buf = cuda.device_array_like(d)
    assert threshold(d, 0.9, kind, a=2.0, out=buf, backend="cuda") is buf
    np.testing.assert_allclose(buf.copy_to_host(), want, rtol=1e-12, atol=1e-12)
    assert threshold(d, 0.9, kind, a=2.0, out=d, backend="cuda") is d
    np.testing.assert_allclose(d.copy_to_host(), want, rtol=1e-12, atol=1e-12)


@pytest.mark.cuda
def test_device_input_is_checked_on_the_device():
    from numba import cuda
    from pdeopt.prox import soft_threshold
    x = _x()
    x[2, 3], x[0, 0] = np.nan, np.inf
    d = cuda.to_device(x)
    with pytest.raises(ValueError, match="2 NaN or inf"):
        soft_threshold(d, 1.0, backend="cuda")
    with pytest.raises(ValueError, match="2 NaN or inf"):
        soft_threshold(d, 1.0, out=d, backend="cuda")
    np.testing.assert_array_equal(d.copy_to_host(), x)            # in place: left as it was
    clean = cuda.to_device(_x())
    with pytest.raises(TypeError, match="backend='cuda'"):
        soft_threshold(clean, 1.0, backend="numba")
    auto = soft_threshold(clean, 1.0)                  # "auto" maps device arrays there
    assert _xp.is_numba_device_array(auto)
    np.testing.assert_allclose(auto.copy_to_host(), soft_threshold(_x(), 1.0), atol=1e-12)
    with pytest.raises(TypeError, match="both on the device"):
        soft_threshold(_x(), 1.0, out=clean, backend="cuda")
    with pytest.raises(TypeError, match="device array like x"):
        soft_threshold(clean, 1.0, out=np.empty((6, 7)), backend="cuda")
    with pytest.raises(TypeError, match="float32 or float64"):
        soft_threshold(cuda.to_device(np.arange(4)), 1.0, backend="cuda")


@pytest.mark.cuda
@pytest.mark.parametrize("project", [project_binary, project_ternary,
                                     lambda y, **kw: project_ternary(y, "twn", **kw)])
def test_projections_device_in_device_out(project):
    from numba import cuda
    y = _x(shape=(5, 9), seed=3)
    got = project(cuda.to_device(y), backend="cuda")
    assert _xp.is_numba_device_array(got) and got.shape == y.shape
    np.testing.assert_allclose(got.copy_to_host(), project(y, backend="numpy"), rtol=1e-12)
    assert isinstance(project(y, backend="cuda"), np.ndarray)


@pytest.mark.cuda
def test_projection_refuses_nonfinite_device_input():
    from numba import cuda
    y = _x()
    y[1, 1] = np.nan
    with pytest.raises(ValueError, match="1 NaN or inf"):
        project_binary(cuda.to_device(y), backend="cuda")
    with pytest.raises(TypeError, match="backend='cuda'"):
        project_ternary(cuda.to_device(_x()), backend="numpy")
    assert _xp.is_numba_device_array(project_ternary(cuda.to_device(_x())))   # "auto"


@pytest.mark.gpu
@pytest.mark.parametrize("kind", KINDS)
def test_threshold_cupy_in_cupy_out(kind):
    import cupy
    x = _x(shape=(1000, 3))
    d = cupy.asarray(x)
    got = threshold(d, 1.1, kind, a=0.7, backend="cuda")
    assert isinstance(got, cupy.ndarray) and got.shape == x.shape
    np.testing.assert_allclose(got.get(), threshold(x, 1.1, kind, a=0.7, backend="numpy"),
                               rtol=1e-12, atol=1e-12)
    assert threshold(d, 1.1, kind, a=0.7, out=d, backend="cuda") is d


@pytest.mark.gpu
@pytest.mark.parametrize("project", [project_binary, project_ternary])
def test_projections_cupy_in_cupy_out(project):
    import cupy
    y = _x(shape=(300, 7), seed=5)
    got = project(cupy.asarray(y), backend="cuda")
    assert isinstance(got, cupy.ndarray)
    np.testing.assert_allclose(got.get(), project(y, backend="numpy"), rtol=1e-12)
    np.testing.assert_allclose(_xp.like(got, y), project(y, backend="numpy"), rtol=1e-12)


# ------------------------------------------------ out= and the b-bit / layer-wise projections

PROJECTIONS = {
    "binary": project_binary,
    "ternary": project_ternary,
    "twn": lambda y, **kw: project_ternary(y, "twn", **kw),
    "bits3": lambda y, **kw: project_bits(y, 3, **kw),
    "bits4-lloyd": lambda y, **kw: project_bits(y, 4, method="lloyd", **kw),
}


@pytest.mark.parametrize("name", PROJECTIONS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_projection_host_out_and_in_place(name, dtype):
    project = PROJECTIONS[name]
    y = _x(shape=(4, 9), dtype=dtype, seed=7)
    for backend in ("numpy", "numba"):
        want = project(y, backend=backend)
        buf = np.empty_like(y)
        assert project(y, out=buf, backend=backend) is buf
        np.testing.assert_array_equal(buf, want)
        z = y.copy()
        assert project(z, out=z, backend=backend) is z
        np.testing.assert_array_equal(z, want)
    with pytest.raises(TypeError, match="out"):
        project(y, out=np.empty((4, 9), np.int64))
    with pytest.raises(ValueError, match="out"):
        project(y, out=np.empty((9, 4), dtype))


@pytest.mark.cuda
@pytest.mark.parametrize("name", PROJECTIONS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_projection_device_out_and_in_place(name, dtype):
    from numba import cuda
    project = PROJECTIONS[name]
    y = _x(shape=(3, 11), dtype=dtype, seed=8)
    want = project(y, backend="numpy")
    tol = dict(rtol=1e-6, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-12)
    d = cuda.to_device(y)
    got = project(d, backend="cuda")
    assert _xp.is_numba_device_array(got) and got.copy_to_host().dtype == dtype
    np.testing.assert_allclose(got.copy_to_host(), want, **tol)
    buf = cuda.device_array_like(d)
    assert project(d, out=buf, backend="cuda") is buf
    np.testing.assert_allclose(buf.copy_to_host(), want, **tol)
    assert project(d, out=d, backend="cuda") is d
    np.testing.assert_allclose(d.copy_to_host(), want, **tol)
    with pytest.raises(TypeError, match="out must be a device array"):
        project(cuda.to_device(y), out=np.empty_like(y), backend="cuda")
    with pytest.raises(TypeError, match="both on the device"):
        project(y, out=cuda.device_array_like(d), backend="cuda")


def _qsets():
    layers = [slice(0, 20), slice(25, 60), slice(60, 61)]      # 20..25 and 61.. left free
    return [QuantizedSet("binary", layers=layers, backend="cuda"),
            QuantizedSet("ternary", layers=layers, backend="cuda"),
            QuantizedSet("twn", backend="cuda"),
            QuantizedSet("bits", bits=3, layers=layers, backend="cuda")]


@pytest.mark.cuda
@pytest.mark.parametrize("Q", _qsets(), ids=repr)
def test_quantized_set_on_numba_device_vectors(Q):
    from numba import cuda
    y = _x(shape=(70,), seed=11)
    host = QuantizedSet(Q.kind, bits=Q.bits, layers=Q.layers, backend="numpy")
    d = cuda.to_device(y)
    for got, want in ((Q.project(d), host.project(y)), (Q.relax(d, 0.7), host.relax(y, 0.7))):
        assert _xp.is_numba_device_array(got)
        np.testing.assert_allclose(got.copy_to_host(), want, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(d.copy_to_host(), y)             # y untouched
    bad = y.copy()
    bad[3] = np.inf
    with pytest.raises(ValueError, match="1 NaN or inf"):
        Q.project(cuda.to_device(bad))
    with pytest.raises(TypeError, match="backend='cuda'"):
        QuantizedSet(Q.kind, bits=Q.bits, layers=Q.layers, backend="numba").project(d)
    auto = QuantizedSet(Q.kind, bits=Q.bits, layers=Q.layers).project(d)
    np.testing.assert_allclose(auto.copy_to_host(), host.project(y), rtol=1e-12, atol=1e-12)


@SIMULATOR_ONLY
@pytest.mark.cuda
@pytest.mark.parametrize("Q", _qsets(), ids=repr)
def test_quantized_set_on_cupy_vectors_moves_nothing(fake_cupy, Q):
    from pdeopt.testing.fake_cupy import transfers
    y = _x(shape=(70,), seed=12)
    want = QuantizedSet(Q.kind, bits=Q.bits, layers=Q.layers, backend="numpy").relax(y, 2.0)
    d = fake_cupy.asarray(y)
    before = transfers()
    got = Q.relax(d, 2.0)
    assert isinstance(got, fake_cupy.ndarray)
    moved = {k: transfers()[k] - before[k] for k in before}
    # scales are CuPy reductions; only the b-bit sweep reads its layer back (one per layer)
    assert moved == {"to_device": 0, "to_host": 3 if Q.kind == "bits" else 0}
    np.testing.assert_allclose(got.get(), want, rtol=1e-12, atol=1e-12)


@SIMULATOR_ONLY
@pytest.mark.cuda
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_threshold_on_cupy_arrays_moves_nothing(fake_cupy, kind, dtype):
    from pdeopt.testing.fake_cupy import transfers
    x = _x(dtype=dtype, seed=13)
    want = threshold(x, 0.8, kind, a=1.5, backend="numpy")
    d = fake_cupy.asarray(x)
    buf = fake_cupy.empty_like(d)
    before = transfers()
    got = threshold(d, 0.8, kind, a=1.5, backend="cuda")
    assert threshold(d, 0.8, kind, a=1.5, out=buf, backend="cuda") is buf
    assert transfers() == before
    assert isinstance(got, fake_cupy.ndarray) and got.dtype == dtype
    tol = 1e-6 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(got.get(), want, rtol=tol, atol=tol)
    np.testing.assert_allclose(buf.get(), want, rtol=tol, atol=tol)


@SIMULATOR_ONLY
@pytest.mark.cuda
@pytest.mark.parametrize("name", ["binary", "ternary", "twn"])
def test_projections_on_cupy_arrays_move_nothing(fake_cupy, name):
    from pdeopt.testing.fake_cupy import transfers
    y = _x(shape=(5, 8), seed=14)
    d = fake_cupy.asarray(y)
    before = transfers()
    got = PROJECTIONS[name](d, out=d, backend="cuda")
    assert got is d and transfers() == before
    np.testing.assert_allclose(d.get(), PROJECTIONS[name](y, backend="numpy"), rtol=1e-12)


@pytest.mark.gpu
@pytest.mark.parametrize("name", PROJECTIONS)
def test_projections_cupy_out(name):
    import cupy
    y = _x(shape=(400, 9), seed=15)
    d = cupy.asarray(y)
    buf = cupy.empty_like(d)
    assert PROJECTIONS[name](d, out=buf, backend="cuda") is buf
    np.testing.assert_allclose(buf.get(), PROJECTIONS[name](y, backend="numpy"), rtol=1e-12)


@pytest.mark.gpu
@pytest.mark.parametrize("Q", _qsets(), ids=repr)
def test_quantized_set_cupy(Q):
    import cupy
    y = _x(shape=(70,), seed=16)
    want = QuantizedSet(Q.kind, bits=Q.bits, layers=Q.layers, backend="numpy").relax(y, 0.4)
    got = Q.relax(cupy.asarray(y), 0.4)
    assert isinstance(got, cupy.ndarray)
    np.testing.assert_allclose(got.get(), want, rtol=1e-12, atol=1e-12)


# ------------------------------------ CuPy where numba.cuda cannot run: the NumPy twins in CuPy


@pytest.fixture
def no_numba_cuda(monkeypatch):
    import pdeopt.kernels as kernels
    import pdeopt.kernels._registry as registry
    for module in (kernels, registry):
        monkeypatch.setattr(module, "cuda_available", lambda: (False, "no GPU (test)"))


@pytest.mark.parametrize("kind", KINDS)
def test_thresholds_in_cupy_without_numba_cuda(fake_cupy, no_numba_cuda, kind):
    from pdeopt.testing.fake_cupy import transfers
    x = _x(seed=21)
    want = threshold(x, 0.8, kind, a=1.5, backend="numpy")
    d = fake_cupy.asarray(x)
    before = transfers()
    got = threshold(d, 0.8, kind, a=1.5)
    assert threshold(d, 0.8, kind, a=1.5, out=d) is d
    assert transfers() == before and isinstance(got, fake_cupy.ndarray)
    np.testing.assert_array_equal(got.get(), want)
    np.testing.assert_array_equal(d.get(), want)
    bad = x.copy()
    bad[1, 2] = np.nan
    with pytest.raises(ValueError, match="1 NaN or inf"):
        threshold(fake_cupy.asarray(bad), 0.8, kind, a=1.5)


@pytest.mark.parametrize("Q", _qsets(), ids=repr)
def test_quantized_set_and_projections_in_cupy_without_numba_cuda(fake_cupy, no_numba_cuda, Q):
    from pdeopt.testing.fake_cupy import transfers
    y = _x(shape=(70,), seed=22)
    host = QuantizedSet(Q.kind, bits=Q.bits, layers=Q.layers, backend="numpy")
    d = fake_cupy.asarray(y)
    before = transfers()
    got = Q.relax(d, 0.3)
    moved = {k: transfers()[k] - before[k] for k in before}
    assert moved == {"to_device": 0, "to_host": 3 if Q.kind == "bits" else 0}
    np.testing.assert_allclose(got.get(), host.relax(y, 0.3), rtol=1e-12, atol=1e-12)
    for name in ("binary", "ternary", "twn"):
        np.testing.assert_allclose(PROJECTIONS[name](d).get(),
                                   PROJECTIONS[name](y, backend="numpy"), rtol=1e-12)


@pytest.mark.parametrize("method", ["binaryrelax", "binaryconnect"])
def test_binaryrelax_steps_on_cupy_params(fake_cupy, no_numba_cuda, method):
    from pdeopt.quant import BinaryConnect, BinaryRelax
    from pdeopt.testing.fake_cupy import transfers
    rng = np.random.default_rng(23)
    w0, grads = rng.normal(size=30), rng.normal(size=(4, 30))

    def make():
        Q = QuantizedSet("ternary", layers=[slice(0, 12), slice(12, 30)])
        if method == "binaryconnect":
            return BinaryConnect(0.1, Q, momentum=0.9)
        return BinaryRelax(0.1, Q, lam=0.5, rho=1.5, phase2_epoch=1, momentum=0.9)
    host_opt, dev_opt = make(), make()
    w, d = w0.copy(), fake_cupy.asarray(w0)
    before = transfers()
    for epoch, g in enumerate(grads):
        host_opt.on_epoch(epoch // 2)
        dev_opt.on_epoch(epoch // 2)
        host_opt.step(w, g)
        dev_opt.step(d, fake_cupy.asarray(g))
    assert transfers()["to_host"] == before["to_host"]      # the weights never came back
    np.testing.assert_allclose(d.get(), w, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_prox_cuda_kernels_compile_for_the_gpu(monkeypatch, dtype):
    from test_hj_gpu import builtin_max_compiles, ptx_compiler
    compile_ptx = ptx_compiler(monkeypatch)
    if compile_ptx is None:
        pytest.skip("no PTX compiler here (no libnvvm, the simulator is on, or a GPU is)")
    from pdeopt.kernels import prox as k
    kernels = k._cuda_kernels()
    x, f, bad = f"{dtype}[::1]", "float64", "int64[::1]"
    compile_ptx(kernels["soft"], x, f, x, bad)
    compile_ptx(kernels["hard"], x, f, x, bad)
    compile_ptx(kernels["count"], x, bad)
    if not builtin_max_compiles():
        pytest.skip("numba's built-in CUDA target here cannot compile the builtin max/min "
                    "(its overload takes *args; numba-cuda, as on a GPU machine, can): "
                    "Tl1 and the combine step are left to the GPU run")
    compile_ptx(kernels["tl1"], x, f, f, f, x, bad)
    compile_ptx(kernels["combine"], x, f, f, "int64", f, x)


def test_quantized_set_checks_read_a_device_vector_back(fake_cupy, no_numba_cuda):
    y = _x(shape=(40,), seed=24)
    Q = QuantizedSet("ternary", layers=[slice(0, 25), slice(25, 40)])
    d = fake_cupy.asarray(y)
    assert Q.dist(d) == Q.dist(y) > 0
    assert Q.contains(Q.project(d)) and not Q.contains(d)
