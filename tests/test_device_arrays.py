"""backend="cuda" on device arrays: in and out on the device, equal to the NumPy twins.

Run on a GPU, or on the CPU under NUMBA_ENABLE_CUDASIM=1 (numba's simulator, whose device
arrays are the real thing's stand-in). The CuPy versions are marked ``gpu``.
"""
import numpy as np
import pytest

from pdeopt import _xp
from pdeopt.prox import threshold
from pdeopt.quant import project_binary, project_ternary

KINDS = ("l1", "l0", "tl1")


def _x(shape=(6, 7), dtype=np.float64, seed=0):
    return np.random.default_rng(seed).normal(scale=3, size=shape).astype(dtype)


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
        soft_threshold(clean, 1.0)
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
        project_ternary(cuda.to_device(_x()))


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
