"""numba.cuda views of device arrays, for the kernels and :mod:`pdeopt._xp`.

A CUDA kernel takes numba device arrays. A CuPy array (or any object with
``__cuda_array_interface__``) is viewed as one without a copy; a host array is copied in.
Importing this module needs no GPU.
"""
from __future__ import annotations

import types

import numpy as np
from numba import cuda

from pdeopt._xp import is_cupy_array, is_device_array, namespace

__all__ = ["as_numba", "copy_to_host", "to_numba_device", "empty_like_device"]


def as_numba(a):
    """A numba device array for device array ``a``: ``a`` itself, or a view (no copy)."""
    if hasattr(a, "copy_to_host"):  # numba's own (and the simulator's)
        return a
    if simulated():
        # the simulator has no as_cuda_array; its "device" memory is host memory, so an
        # array interface (pdeopt.testing.fake_cupy's arrays) is viewed as a NumPy array
        from numba.cuda.simulator.cudadrv.devicearray import FakeCUDAArray
        view = types.SimpleNamespace(__array_interface__=dict(a.__cuda_array_interface__))
        return FakeCUDAArray(np.asarray(view))
    return cuda.as_cuda_array(a)


def to_numba_device(a):
    """``a`` as a numba device array: viewed when it is on the device, else copied in."""
    if is_device_array(a):
        return as_numba(a)
    return cuda.to_device(np.ascontiguousarray(a))


def copy_to_host(a):
    """A NumPy copy of device array ``a`` (any ``__cuda_array_interface__`` object)."""
    return as_numba(a).copy_to_host()


def empty_like_device(a):
    """A new device array of ``a``'s kind (CuPy for CuPy, else numba), shape and dtype."""
    if is_cupy_array(a):
        return namespace(a).empty_like(a)
    return cuda.device_array(a.shape, dtype=a.dtype)


def event_time(fn, reps):
    """Mean seconds per call of ``fn`` over ``reps`` calls, between two CUDA events."""
    import time
    fn()  # warm-up: compilation, first touch
    cuda.synchronize()
    start, end = cuda.event(), cuda.event()
    t0 = time.perf_counter()
    start.record()
    for _ in range(reps):
        fn()
    end.record()
    end.synchronize()
    seconds = start.elapsed_time(end) / 1e3
    # the simulator's events report 0: the wall time then (only in the tests)
    return (seconds if seconds > 0 else time.perf_counter() - t0) / reps


def device_name() -> str:
    """The current CUDA device's name (``"numba CUDA simulator"`` in the simulator)."""
    try:
        name = cuda.get_current_device().name
    except AttributeError:  # numba's simulator (only in the tests)
        return "numba CUDA simulator"
    return name.decode() if isinstance(name, bytes) else str(name)


def simulated() -> bool:
    """Whether numba's CUDA simulator is on (``NUMBA_ENABLE_CUDASIM=1``)."""
    import numba
    return bool(numba.config.ENABLE_CUDASIM)


def to_device(a):
    """A numba device copy of the host array ``a``."""
    return cuda.to_device(a)


def device_array_like(a):
    """An uninitialised numba device array of ``a``'s shape and dtype."""
    return cuda.device_array_like(a)
