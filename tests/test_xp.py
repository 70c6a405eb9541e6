"""pdeopt._xp: the array namespace, device-array detection and moving once between them."""
import sys
import types

import numpy as np
import pytest

from pdeopt import _xp


class FakeDevice:
    """A stand-in for a GPU array: only ``__cuda_array_interface__`` (over host memory)."""

    def __init__(self, a):
        self.a = np.ascontiguousarray(a)
        self.shape, self.dtype, self.size = self.a.shape, self.a.dtype, self.a.size

    @property
    def __cuda_array_interface__(self):
        return {"shape": self.a.shape, "typestr": self.a.dtype.str, "strides": None,
                "data": (self.a.ctypes.data, False), "version": 3}


def _fake_cupy(monkeypatch):
    """A module named ``cupy`` whose arrays have a type from ``cupy._core.core``."""
    mod = types.ModuleType("cupy")

    class ndarray(FakeDevice):
        def get(self):
            return self.a.copy()

    ndarray.__module__ = "cupy._core.core"
    mod.ndarray = ndarray
    mod.asarray = lambda a: a if isinstance(a, ndarray) else ndarray(np.asarray(a))
    monkeypatch.setitem(sys.modules, "cupy", mod)
    return mod


def test_numpy_inputs_use_numpy():
    x = np.arange(3.0)
    assert _xp.namespace(x, [1.0], 2.0) is np and _xp.namespace() is np
    assert not _xp.is_device_array(x) and not _xp.is_cupy_array(x)
    assert _xp.to_namespace(x, np) is x
    assert _xp.like([1.0, 2.0], x).__class__ is np.ndarray


def test_namespace_does_not_import_cupy(monkeypatch):
    monkeypatch.setitem(sys.modules, "cupy", None)  # any import of cupy would fail
    assert _xp.namespace(np.zeros(2), FakeDevice(np.zeros(2))) is np


def test_cuda_array_interface_is_a_device_array(monkeypatch):
    d = FakeDevice(np.arange(4.0))
    assert _xp.is_device_array(d) and not _xp.is_cupy_array(d)
    assert not _xp.is_numba_device_array(d)
    # no .get() nor copy_to_host(): the host copy goes through a numba view
    from pdeopt.kernels import _device
    view = types.SimpleNamespace(copy_to_host=lambda: d.a.copy())
    monkeypatch.setattr(_device, "as_numba", lambda a: view)
    np.testing.assert_array_equal(_xp.to_namespace(d, np), d.a)
    np.testing.assert_array_equal(_xp.like(d, np.zeros(1)), d.a)


def test_cupy_arrays_use_cupy_and_move_once(monkeypatch):
    cp = _fake_cupy(monkeypatch)
    d = cp.asarray([1.0, -2.0])
    assert _xp.is_cupy_array(d) and _xp.is_device_array(d)
    assert _xp.namespace(np.zeros(1), d) is cp
    host = _xp.to_namespace(d, np)
    assert isinstance(host, np.ndarray) and host.tolist() == [1.0, -2.0]
    back = _xp.like(host, d)                         # host → device, as the template is
    assert isinstance(back, cp.ndarray) and _xp.like(back, d) is back
    assert isinstance(_xp.like(d, np.zeros(1)), np.ndarray)


def test_device_checks_name_the_problem():
    d = FakeDevice(np.zeros((2, 3)))
    assert _xp.check_device_array(d, "x", "cuda") is d
    with pytest.raises(TypeError, match="backend='cuda'"):
        _xp.check_device_array(d, "x", "auto")
    with pytest.raises(TypeError, match="float32 or float64"):
        _xp.check_device_array(FakeDevice(np.zeros(2, np.int64)), "x", "cuda")
    with pytest.raises(ValueError, match="empty"):
        _xp.check_device_array(FakeDevice(np.zeros(0)), "x", "cuda")
    with pytest.raises(TypeError, match="both on the device"):
        _xp.check_device_array(np.zeros(2), "x", "cuda")
    with pytest.raises(ValueError, match="shape"):
        _xp.check_device_out(FakeDevice(np.zeros(6)), d)
    with pytest.raises(TypeError, match="device array"):
        _xp.check_device_out(np.zeros((2, 3)), d)
    twin = FakeDevice(d.a)                            # x's memory, another object
    with pytest.raises(ValueError, match="view of x"):
        _xp.check_device_out(twin, d)


def test_kernels_alias_row_stack_for_numba_cuda():
    import pdeopt.kernels  # noqa: F401  (the registry puts the alias back on NumPy >= 2.5)
    assert hasattr(np, "row_stack")


@pytest.mark.cuda
def test_numba_device_arrays_move_once():
    from numba import cuda
    x = np.arange(6.0).reshape(2, 3)
    d = cuda.to_device(x)
    assert _xp.is_device_array(d) and _xp.is_numba_device_array(d)
    assert _xp.namespace(d) is np
    host = _xp.to_namespace(d, np)
    assert isinstance(host, np.ndarray)
    np.testing.assert_array_equal(host, x)
    back = _xp.like(host, d)
    assert _xp.is_numba_device_array(back) and _xp.like(back, d) is back
    np.testing.assert_array_equal(back.copy_to_host(), x)
