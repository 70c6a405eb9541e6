"""numba.cuda views of device arrays, for the kernels and :mod:`pdeopt._xp`.

A CUDA kernel takes numba device arrays. A CuPy array (or any object with
``__cuda_array_interface__``) is viewed as one without a copy; a host array is copied in.
Importing this module needs no GPU.
"""
from __future__ import annotations

import numpy as np
from numba import cuda

from pdeopt._xp import is_cupy_array, is_device_array, namespace

__all__ = ["as_numba", "copy_to_host", "to_numba_device", "empty_like_device"]


def as_numba(a):
    """A numba device array for device array ``a``: ``a`` itself, or a view (no copy)."""
    if hasattr(a, "copy_to_host"):  # numba's own (and the simulator's)
        return a
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
