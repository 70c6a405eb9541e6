"""The array namespace of an input: NumPy on the host, CuPy on the GPU.

A method written once against ``xp = namespace(x)`` runs on NumPy arrays (the CPU, and every
test without a GPU) and on CuPy arrays (the GPU). Arrays on the device are recognised
without importing CuPy or numba: a CuPy array by the module of its type, any device array
by ``__cuda_array_interface__`` (CuPy, numba, PyTorch) or by being a numba device array
(numba's CUDA simulator, ``NUMBA_ENABLE_CUDASIM=1``, has no interface attribute).

:func:`like` moves a result once to the kind of array a method was given, so that a method
returns what it received: host in, host out; device in, device out.
"""
from __future__ import annotations

import numpy as np

__all__ = ["namespace", "is_cupy_array", "is_device_array", "is_numba_device_array",
           "to_namespace", "like", "check_device_array", "check_device_out"]


def _type_module(a) -> str:
    return type(a).__module__ or ""


def is_cupy_array(a) -> bool:
    """Whether ``a`` is a CuPy array (by its type's module: CuPy is not imported).

    Examples
    --------
    >>> is_cupy_array(np.zeros(2))
    False
    """
    return _type_module(a).partition(".")[0] == "cupy"


def is_numba_device_array(a) -> bool:
    """Whether ``a`` is a numba device array (real, or the simulator's fake one).

    Examples
    --------
    >>> is_numba_device_array(np.zeros(2))
    False
    """
    return (_type_module(a).startswith(("numba.cuda.", "numba_cuda."))
            and hasattr(a, "copy_to_host"))


def is_device_array(a) -> bool:
    """Whether ``a`` lives on a GPU: it has ``__cuda_array_interface__`` (CuPy, numba,
    PyTorch) or is a numba device array (which the CUDA simulator's arrays are).

    Examples
    --------
    >>> is_device_array(np.zeros(2)), is_device_array([1.0])
    (False, False)
    """
    return hasattr(a, "__cuda_array_interface__") or is_numba_device_array(a)


def namespace(*arrays):
    """The array module for ``arrays``: ``cupy`` when any of them is a CuPy array, else ``numpy``.

    Only the arrays' types are inspected; CuPy is imported only when one of them is a CuPy
    array. A numba device array has no array namespace of its own (it supports no array
    arithmetic): it maps to ``numpy``, and the numba.cuda kernels take it directly.

    Parameters
    ----------
    *arrays : array_like

    Returns
    -------
    module
        ``numpy`` or ``cupy``.

    Examples
    --------
    >>> namespace(np.zeros(3), [1.0]) is np
    True
    """
    for a in arrays:
        if is_cupy_array(a):
            import cupy
            return cupy
    return np


def to_namespace(a, xp):
    """``a`` as an array of namespace ``xp``, moved between host and device at most once.

    Host → device with ``cupy.asarray``; device → host with CuPy's ``.get()``, numba's
    ``copy_to_host()``, or (any other ``__cuda_array_interface__`` object) a numba view's
    ``copy_to_host()``. A device array given for CuPy is viewed, not copied.

    Parameters
    ----------
    a : array_like or device array
    xp : module
        ``numpy``, ``cupy`` (or another namespace with ``asarray``).

    Returns
    -------
    array of ``xp``

    Examples
    --------
    >>> to_namespace([1.0, 2.0], np)
    array([1., 2.])
    """
    if xp is np:
        if is_cupy_array(a):
            return a.get()
        if hasattr(a, "copy_to_host"):
            return a.copy_to_host()
        if hasattr(a, "__cuda_array_interface__"):
            from pdeopt.kernels._device import copy_to_host
            return copy_to_host(a)
        return np.asarray(a)
    return xp.asarray(a)  # CuPy: host arrays are copied in, device arrays viewed


def like(a, template):
    """``a`` moved (once, if at all) to the kind of array ``template`` is.

    A CuPy ``template`` gives a CuPy array, a numba device array gives a numba device array,
    anything else gives a NumPy array. So a method returns the kind of array it was given:
    ``return like(result, x)``.

    Parameters
    ----------
    a : array_like or device array
    template : array_like or device array

    Returns
    -------
    NumPy array, CuPy array or numba device array

    Examples
    --------
    >>> like([1.0, 2.0], np.zeros(2))
    array([1., 2.])
    """
    if is_cupy_array(template):
        return to_namespace(a, namespace(template))
    if is_numba_device_array(template):
        if is_numba_device_array(a):
            return a
        from pdeopt.kernels._device import to_numba_device
        return to_numba_device(a)
    return to_namespace(a, np)


def _c_contiguous(a) -> bool:
    flags = getattr(a, "flags", None)
    if flags is not None and hasattr(flags, "c_contiguous"):
        return bool(flags.c_contiguous)
    if hasattr(a, "is_c_contiguous"):
        return bool(a.is_c_contiguous())
    cai = a.__cuda_array_interface__
    if cai.get("strides") is None:
        return True
    expected, step = [], np.dtype(cai["typestr"]).itemsize
    for n in reversed(cai["shape"]):
        expected.append(step)
        step *= n
    return tuple(cai["strides"]) == tuple(reversed(expected))


def _describe(a) -> str:
    return f"{type(a).__module__}.{type(a).__name__}"


def check_device_array(x, name: str, backend: str):
    """``x``, once it is a device array a numba.cuda kernel can map: float32 or float64,
    non-empty, C-contiguous, and ``backend="cuda"`` asked for.

    Raises ``TypeError`` for a host array (when only ``out`` is on the device), another
    backend than ``"cuda"`` or another dtype; ``ValueError`` for an empty or strided array.
    """
    if backend not in ("auto", "numpy", "numba", "cuda"):
        raise ValueError(f"backend must be one of ('auto', 'numpy', 'numba', 'cuda'), "
                         f"got {backend!r}")
    if not is_device_array(x):
        raise TypeError(f"out is a device array but {name} is not: give both on the device "
                        f"or both on the host")
    if backend != "cuda":
        raise TypeError(f"{name} is a device array ({_describe(x)}): pass backend='cuda' to "
                        f"map it on the device, or move it to the host first")
    dtype = np.dtype(x.dtype)
    if dtype not in (np.float32, np.float64):
        raise TypeError(f"{name} on the device must be float32 or float64 (convert it there), "
                        f"got {dtype}")
    if x.size == 0:
        raise ValueError(f"{name} must not be empty")
    if not _c_contiguous(x):
        raise ValueError(f"{name} on the device must be C-contiguous")
    return x


def check_device_out(out, x):
    """``out``, once the result for device array ``x`` can be written into it: a device
    array of x's shape and dtype, C-contiguous; x itself (in place) or a separate array."""
    if not is_device_array(out):
        raise TypeError(f"out must be a device array like x, got {type(out).__name__}")
    if np.dtype(out.dtype) != np.dtype(x.dtype):
        raise TypeError(f"out must have the result's dtype {np.dtype(x.dtype)}, "
                        f"got {np.dtype(out.dtype)}")
    if tuple(out.shape) != tuple(x.shape):
        raise ValueError(f"out must have the result's shape {tuple(x.shape)} (x's), "
                         f"got {tuple(out.shape)}")
    if not _c_contiguous(out):
        raise ValueError("out must be C-contiguous")
    if out is not x and _pointer(out) is not None and _pointer(out) == _pointer(x):
        raise ValueError("out is a view of x's memory without being x: pass x itself "
                         "(in place) or a separate array")
    return out


def _pointer(a):
    cai = getattr(a, "__cuda_array_interface__", None)
    return None if cai is None else cai["data"][0]
