"""Registry mapping kernel names to their NumPy, Numba and CUDA implementations."""
from __future__ import annotations

import importlib
import os
import pkgutil
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

import numpy

# numba-cuda calls numpy.row_stack, which NumPy 2.5 removed (it was an alias of vstack):
# without it every CUDA compile fails (seen with numba-cuda on NumPy 2.5.2, issue 22). The
# alias is put back before numba (and any kernel module's numba.cuda) is imported; an
# existing one is kept.
if not hasattr(numpy, "row_stack"):
    numpy.row_stack = numpy.vstack

import numba  # noqa: E402  (after the alias above)

__all__ = ["BACKENDS", "BackendUnavailableError", "register", "select", "kernel_names",
           "available_backends", "cuda_available", "njit", "pnjit", "compiled",
           "compiled_threads"]

BACKENDS = ("auto", "numpy", "numba", "cuda")


def _cache_dir() -> str:
    """Where numba keeps compiled kernels: ``$NUMBA_CACHE_DIR`` if the user set it, else
    ``$XDG_CACHE_HOME/pdeopt/numba`` (``~/.cache/pdeopt/numba``)."""
    if os.environ.get("NUMBA_CACHE_DIR"):
        return os.environ["NUMBA_CACHE_DIR"]
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return str(Path(base) / "pdeopt" / "numba")


# By default numba caches next to the source, in kernels/__pycache__: inside site-packages
# after ``pip install .``. pip does not know those files, so uninstalling leaves a bare
# site-packages/pdeopt/ that shadows a later editable install (``cannot import name
# 'BACKENDS' from 'pdeopt.kernels'``). A per-user folder keeps the install clean. numba reads
# ``numba.config.CACHE_DIR`` when a ``cache=True`` function is decorated, so this runs before
# any kernel module is imported; the environment variable keeps it when numba reloads its
# config from the environment, and passes it to child processes. A folder the user chose
# (the variable, or numba.config.CACHE_DIR set in code) is kept. If the folder cannot be
# written, numba falls back to __pycache__ by itself.
os.environ.setdefault("NUMBA_CACHE_DIR", numba.config.CACHE_DIR or _cache_dir())
if not numba.config.CACHE_DIR:
    numba.config.CACHE_DIR = os.environ["NUMBA_CACHE_DIR"]


def compiled(**options):
    """``numba.njit`` with the project's defaults (on-disk cache, no GIL) and ``options``
    (``parallel``, ``inline``, ``fastmath``)."""
    return numba.njit(cache=True, nogil=True, **options)


@contextmanager
def compiled_threads(threads):
    """A context in which the parallel kernels (``prange`` loops, the nn kernels) use ``threads``
    threads (at most numba's pool size, ``NUMBA_NUM_THREADS``); the previous count is restored.

    numba.set_num_threads also sets the OpenMP runtime's count, which PyTorch shares where
    both load one libgomp: set PyTorch's threads inside the context."""
    old = numba.get_num_threads()
    numba.set_num_threads(max(1, min(int(threads), numba.config.NUMBA_NUM_THREADS)))
    try:
        yield
    finally:
        numba.set_num_threads(old)


#: ``numba.njit`` with on-disk caching: the whole suite stays fast across runs.
njit = compiled()
#: Parallel variant, for loops over independent rows (``numba.prange``).
pnjit = compiled(parallel=True)


from pdeopt._errors import BackendUnavailableError  # noqa: E402  (one class, in the core)


@dataclass(frozen=True)
class Kernel:
    name: str
    numpy: Callable
    numba: Optional[Callable] = None
    cuda: Optional[Callable] = None


_KERNELS: dict[str, Kernel] = {}
_LOADED = False
_LOAD_LOCK = threading.Lock()


def register(name: str, *, numpy: Callable, numba: Callable | None = None,
             cuda: Callable | None = None) -> None:
    """Register the implementations of kernel ``name`` (``numpy`` is required)."""
    if name in _KERNELS:
        raise ValueError(f"kernel {name!r} is already registered")
    _KERNELS[name] = Kernel(name, numpy, numba, cuda)


def _load_all() -> None:
    # Each module of this package registers its kernels on import. The lock makes
    # threads that ask first wait until every module is imported.
    global _LOADED
    if _LOADED:
        return
    with _LOAD_LOCK:
        if _LOADED:
            return
        for mod in pkgutil.iter_modules(_package_path()):
            if not mod.name.startswith("_"):
                importlib.import_module(f"{__package__}.{mod.name}")
        _LOADED = True


def _package_path():
    return importlib.import_module(__package__).__path__


def cuda_available() -> tuple[bool, str]:
    """Whether ``numba.cuda`` can run here, and why not when it cannot."""
    try:
        from numba import cuda
    except Exception as exc:  # pragma: no cover - numba without cuda support
        return False, f"numba.cuda cannot be imported ({exc})"
    try:
        if cuda.is_available():
            return True, ""
    except Exception as exc:  # pragma: no cover
        return False, f"numba.cuda failed to initialise ({exc})"
    return False, ("no CUDA GPU or driver was found (set NUMBA_ENABLE_CUDASIM=1 to "
                   "run the CUDA kernels in numba's simulator)")


def kernel_names() -> list[str]:
    _load_all()
    return sorted(_KERNELS)


def available_backends(name: str) -> list[str]:
    """The backends kernel ``name`` has that can run on this machine."""
    k = _get(name)
    out = ["numpy"]
    if k.numba is not None:
        out.append("numba")
    if k.cuda is not None and cuda_available()[0]:
        out.append("cuda")
    return out


def _get(name: str) -> Kernel:
    _load_all()
    try:
        return _KERNELS[name]
    except KeyError:
        raise ValueError(f"unknown kernel {name!r}; known: {', '.join(sorted(_KERNELS))}") from None


def select(name: str, backend: str = "auto") -> Callable:
    """Return the implementation of kernel ``name`` for ``backend``.

    ``"auto"`` is the numba CPU version when there is one, else the NumPy twin;
    CUDA is used only when asked for.
    """
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
    k = _get(name)
    if backend == "numpy":
        return k.numpy
    if backend == "auto":
        return k.numba if k.numba is not None else k.numpy
    if backend == "numba":
        if k.numba is None:
            raise BackendUnavailableError(f"kernel {name!r} has no numba version")
        return k.numba
    if k.cuda is None:
        raise BackendUnavailableError(f"kernel {name!r} has no CUDA version")
    ok, why = cuda_available()
    if not ok:
        raise BackendUnavailableError(f"backend='cuda' was asked for kernel {name!r}, but {why}")
    return k.cuda
