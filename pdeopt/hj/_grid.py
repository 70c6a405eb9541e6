"""Validation of grid functions shared by the public functions of :mod:`pdeopt.hj`.

A grid function is ``f`` sampled on a uniform 1-D grid ``x`` (``f.shape == x.shape``)
or on a 2-D tensor grid given as a tuple of two axes ``(x0, x1)`` with
``f.shape == (len(x0), len(x1))`` (``indexing="ij"``).
"""
from __future__ import annotations

import numpy as np

from .._checks import as_float_array, check_positive, check_uniform_grid


def as_grid_function(f, x, *, f_name="f", x_name="x"):
    """Return ``(f, axes, spacings)`` as float64 arrays, raising ``ValueError`` on bad input.

    ``axes`` is a tuple of 1-D arrays (one per dimension), ``spacings`` the tuple of
    their uniform spacings.
    """
    axes, spacings = grid_axes(x, x_name)
    f = as_float_array(f, f_name, ndim=len(axes), dtype=np.float64)
    check_grid_shape(f, axes, f_name, x_name)
    return f, axes, spacings


def grid_axes(x, x_name="x"):
    """``(axes, spacings)`` of grid ``x``: one uniform axis, or a tuple of two (host arrays)."""
    if isinstance(x, (tuple, list)) and len(x) > 0 and np.ndim(x[0]) == 1:
        if len(x) != 2:
            raise ValueError(f"{x_name} must be one axis (1-D) or a tuple of two axes (2-D), "
                             f"got {len(x)} axes")
        axes = tuple(as_float_array(a, f"{x_name}[{i}]", ndim=1, dtype=np.float64)
                     for i, a in enumerate(x))
        spacings = tuple(check_uniform_grid(a, f"{x_name}[{i}]") for i, a in enumerate(axes))
    else:
        axes = (as_float_array(x, x_name, ndim=1, dtype=np.float64),)
        spacings = (check_uniform_grid(axes[0], x_name),)
    return axes, spacings


def check_grid_shape(f, axes, f_name, x_name):
    shape = tuple(a.size for a in axes)
    if tuple(f.shape) != shape:
        raise ValueError(f"{f_name} must have shape {shape} to match the grid {x_name}, "
                         f"got {tuple(f.shape)}")


def device_backend(backend, f):
    """``backend``, with ``"auto"`` meaning ``"cuda"`` for a device array ``f`` (the CPU's
    choice stays for host arrays)."""
    from .._xp import is_device_array
    return "cuda" if backend == "auto" and is_device_array(f) else backend


def callback_like(callback, given):
    """``callback`` seeing ``it.x`` as a CuPy array when the grid function ``given`` is one
    (the device loop's buffers are numba arrays: CuPy views them, no copy)."""
    from .._checks import check_callable
    from .._result import Iterate
    from .._xp import is_cupy_array, like
    if callback is None or not is_cupy_array(given):
        return callback
    check_callable(callback, "callback")

    def seen(it):
        return callback(Iterate(it.nit, like(it.x, given), it.values))
    return seen


def grid_function(f, x, backend, *, f_name="f", x_name="x"):
    """``(f, axes, spacings, ops)``: :func:`as_grid_function`, on the device for
    ``backend="cuda"``.

    A host ``f`` with another backend stays on the host (``ops`` is
    :data:`pdeopt.hj._stepping.HOST`). With ``backend="cuda"`` the time loop runs on the
    device over numba device arrays (the numba.cuda stencils then launch without building a
    view of a CuPy array per step, which also synchronises): a host ``f`` is checked on the
    host and moved once; a device ``f`` (CuPy, numba, ``__cuda_array_interface__``) is
    viewed, float32 converted to float64 by CuPy, and checked on the device (shape, dtype,
    NaN/inf: one value read back). Where numba.cuda cannot run, the loop runs in CuPy
    (the stencils' NumPy twins). The axes are host arrays: only their spacings are used.
    """
    from .._xp import check_device_array, is_device_array
    if not is_device_array(f):
        f, axes, spacings = as_grid_function(f, x, f_name=f_name, x_name=x_name)
        if backend != "cuda":
            from ._stepping import HOST
            return f, axes, spacings, HOST
        f, ops = _moved(f)
        return f, axes, spacings, ops
    f = check_device_array(f, f_name, backend)  # TypeError unless backend="cuda"
    axes, spacings = grid_axes(x, x_name)
    check_grid_shape(f, axes, f_name, x_name)
    f, ops = _adopted(f, f_name)
    if not ops.all_finite(f):
        raise ValueError(f"{f_name} contains NaN or inf values")
    return f, axes, spacings, ops


def cupy_module():
    """CuPy, or None where it is not installed."""
    try:
        import cupy
    except ImportError:
        return None
    return cupy


def _numba_ops():
    """:class:`ArrayOps` of the device loop over numba device arrays (numba.cuda sweeps)."""
    from ..kernels._device import device_array_like
    from ..kernels.hj_stencils import device_all_finite, device_copy
    from ._stepping import ArrayOps
    # no average: the numba.cuda Godunov kernel fuses Heun's last stage (average_with=)
    return ArrayOps("numba", device_copy, device_array_like, device_all_finite, None)


def _no_device(why):
    from ..kernels import BackendUnavailableError
    return BackendUnavailableError(f"backend='cuda' needs a GPU with numba.cuda (and CuPy: pip "
                                   f"install pdeopt[gpu] on a GPU machine): {why}")


def _moved(f):
    """A checked host ``f`` moved once to the device, with its :class:`ArrayOps`."""
    from ..kernels import cuda_available
    ok, why = cuda_available()
    if ok:
        from ..kernels._device import to_device
        return to_device(f), _numba_ops()
    cupy = cupy_module()
    if cupy is None:
        raise _no_device(why)
    from ._stepping import xp_ops
    return cupy.asarray(f), xp_ops(cupy, "cupy")


def _adopted(f, f_name):
    """A device ``f`` as the loop's float64 device array (a view where it can be), with
    its :class:`ArrayOps`."""
    from .._xp import is_cupy_array, namespace
    from ..kernels import cuda_available
    cupy = namespace(f) if is_cupy_array(f) else cupy_module()
    ok, why = cuda_available()
    if np.dtype(f.dtype) != np.float64:
        if cupy is None:
            raise TypeError(f"{f_name} on the device must be float64 without CuPy (install "
                            f"pdeopt[gpu] to convert it there), got {np.dtype(f.dtype)}")
        f = cupy.asarray(f).astype(cupy.float64)
    if ok:
        from ..kernels._device import as_numba
        return as_numba(f), _numba_ops()  # a view: no copy
    if cupy is None:
        raise _no_device(why)
    from ._stepping import xp_ops
    return cupy.asarray(f), xp_ops(cupy, "cupy")


def check_cfl(cfl) -> float:
    """The CFL number of an explicit scheme: a float in (0, 1]."""
    cfl = check_positive(cfl, "cfl")
    if cfl > 1:
        raise ValueError(f"cfl must be in (0, 1], got {cfl}")
    return cfl
