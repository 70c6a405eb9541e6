"""Compiled kernels of pdeopt: the only code that imports numba.

The convention
--------------
A *kernel* is one numerical step (a stencil update, a thresholding pass, a
sparse product) with up to three implementations, registered under one name:

``numpy``
    The plain NumPy twin. It reads like the math and is the reference every
    other backend is tested against (tests compare them on random inputs).
``numba``
    A ``numba.njit(cache=True)`` CPU version (``parallel=True`` where rows are
    independent). The compiled code is cached per user, in ``$NUMBA_CACHE_DIR``
    if set, else ``$XDG_CACHE_HOME/pdeopt/numba`` (``~/.cache/pdeopt/numba``),
    never inside the installed package (see ``_registry``).
``cuda``
    Optionally, a ``numba.cuda`` version. It takes and returns NumPy arrays
    (the transfers happen inside), so all backends share one signature. The
    ``prox`` kernels also take device arrays (numba, CuPy; see ``_device``) and
    return them on the device, so a loop moves nothing between host and GPU.

Register with :func:`register`; the math-level API asks for one with
``select(name, backend)`` where ``backend`` is ``"auto"`` (numba on the CPU),
``"numpy"``, ``"numba"`` or ``"cuda"``. Asking for ``"cuda"`` where no GPU (and
no simulator, ``NUMBA_ENABLE_CUDASIM=1``) is present raises
:class:`BackendUnavailableError` with the reason. Kernels assume clean input:
the public functions validate arguments first.

Two numba traps: do not wrap one Python function with both ``njit`` and ``pnjit``
(with ``cache=True`` both compilations share one cache entry, and the serial one
may load the parallel machine code): write a serial and a parallel function, or
a renamed copy. And let NumPy allocate large outputs (pass ``out``): allocating
inside a kernel is several times slower for arrays of 10⁷ elements.

Example
-------
In ``kernels/my_area.py``::

    import numpy as np
    from ._registry import register, njit

    def _axpy_numpy(a, x, y):
        return a * x + y

    @njit
    def _axpy_numba(a, x, y):
        out = np.empty_like(x)
        for i in range(x.size):
            out[i] = a * x[i] + y[i]
        return out

    register("axpy", numpy=_axpy_numpy, numba=_axpy_numba)

and in ``pdeopt``: ``select("axpy", backend)(2.0, x, y)``.
"""
from ._registry import (BACKENDS, BackendUnavailableError, available_backends,
                        compiled_threads, cuda_available, kernel_names, register, select)

__all__ = ["BACKENDS", "BackendUnavailableError", "available_backends", "compiled_threads",
           "cuda_available", "kernel_names", "register", "select"]
