"""The FFTs of the phase iterations behind one interface: ``scipy.fft``, ``numpy.fft``, FFTW,
and cuFFT through ``cupy.fft`` on the GPU.

An iteration calls ``forward(a, out)`` and ``inverse(z, overwrite)`` (complex spectra), or
``rforward(u, out)`` and ``rinverse(z, overwrite)`` (a real array and the half of its
spectrum with k₁ ≤ N₁/2, the other half being its conjugate mirror) of a backend made by
:func:`fft_backend`, and never asks which one it has. Every backend computes, for a 2-D
array a of N pixels,

    forward(a) = F a / c,    inverse(z) = F⁻¹ z / c,
    rforward(u) = (F u / c)[:, :N₁//2 + 1],    rinverse(z) = F⁻¹ z / c  (z extended by
    Hermitian symmetry: Re F⁻¹ of the full array, for the columns k₁ = 0, N₁/2 too),

F the unitary DFT (NumPy's layout, zero frequency at index (0, 0)) and ``c = backend.scale``:
c = 1 for ``scipy.fft`` and ``numpy.fft`` (``norm="ortho"``, scaled inside the library) and
c = 1/√N for FFTW, whose transforms are unnormalized: scaling there would cost one more
pass over the array, so the iterations fold c into the sweeps they run anyway (magnitudes
stored as M/c, real-space results multiplied by c²).

``"pyfftw"`` plans each transform once per process with ``FFTW_MEASURE``, per (shape,
dtype, threads, direction, real/complex input, calling thread), on SIMD-aligned buffers
(``pyfftw.empty_aligned``); complex transforms run in place, the real ones (r2c, c2r)
between the backend's aligned buffers, and ``forward`` of a real array is an r2c into the
left half of the spectrum, the other half filled by Hermitian symmetry (kernel
``phase.hermitian_fill``). FFTW's wisdom (what the planner
measured) lives in the process; :func:`save_fft_wisdom` / :func:`load_fft_wisdom` keep it
in a file, and the environment variable ``PDEOPT_FFTW_WISDOM`` names a file loaded before
the first plan and written at exit.

``"cupy"`` runs cuFFT through CuPy (``cupyx.scipy.fft``, else ``cupy.fft``) on device arrays
(the device path of the phase methods: CuPy magnitudes or ``backend="cuda"``), with CuPy's
plan cache (a plan per shape, made on first use). Like FFTW it is unnormalized, c = 1/√N (the
forward transform with ``norm="backward"``, the inverse with ``norm="forward"``: neither
scales, where ``"ortho"`` costs CuPy one more pass); the transforms allowed to overwrite
their input do (in-place C2C, a C2R without a copy), and the real ones are ``rfft2`` /
``irfft2``. A stack of arrays (leading axes) is transformed in one batched plan over the
last two axes.

Precision follows the arrays: float32 / complex64 in, complex64 out (all backends).
"""
from __future__ import annotations

import atexit
import os
import pickle
import threading

import inspect

import numpy as np
import scipy.fft as sfft

from .._checks import check_choice

__all__ = ["FFT_BACKENDS", "fft_backend", "check_fft", "pyfftw_available",
           "save_fft_wisdom", "load_fft_wisdom"]

#: The values of the ``fft`` option of the phase methods.
FFT_BACKENDS = ("auto", "scipy", "pyfftw", "numpy", "cupy")

#: The environment variable naming FFTW's wisdom file (loaded before the first plan,
#: written at exit).
WISDOM_ENV = "PDEOPT_FFTW_WISDOM"


def pyfftw_available() -> bool:
    """Whether pyFFTW can be imported (``pip install pyfftw``, or the ``fast`` extra)."""
    try:
        import pyfftw  # noqa: F401
    except ImportError:
        return False
    return True


def check_fft(fft, device=False) -> str:
    """The FFT backend asked for, resolved: ``"auto"`` → ``"cupy"`` on the ``device`` path,
    else ``"pyfftw"`` when installed, else ``"scipy"``. A name other than those of
    ``FFT_BACKENDS`` is a ``ValueError`` (a non-string a ``TypeError``), ``"pyfftw"`` without
    pyFFTW an ``ImportError``, a host FFT on the device path or ``"cupy"`` off it a
    ``ValueError``, all naming ``fft``."""
    if not isinstance(fft, str):
        raise TypeError(f"fft must be one of {FFT_BACKENDS}, got {type(fft).__name__}")
    check_choice(fft, "fft", FFT_BACKENDS)
    if fft == "auto":
        return "cupy" if device else "pyfftw" if pyfftw_available() else "scipy"
    if device and fft != "cupy":
        raise ValueError(f"fft={fft!r} transforms host arrays, but this run is on the device "
                         f"(CuPy input or backend='cuda'): pass fft='cupy' or 'auto'")
    if fft == "cupy" and not device:
        raise ValueError("fft='cupy' transforms device arrays: pass CuPy magnitudes or "
                         "backend='cuda' (on a GPU machine with CuPy), or another fft")
    if fft == "pyfftw" and not pyfftw_available():
        raise ImportError("fft='pyfftw' needs pyFFTW, which is not installed: "
                          "pip install pyfftw (or pdeopt[fast]), or pass fft='scipy'")
    return fft


def _threads(workers) -> int:
    if workers == -1:
        try:
            return len(os.sched_getaffinity(0))
        except AttributeError:          # not on Linux
            return os.cpu_count() or 1
    return int(workers)


class _Backend:
    """The interface: ``scale``, ``empty``, ``forward``, ``inverse`` (see the module)."""

    name = ""
    scale = 1.0
    writes_out = False      # whether forward() writes into the ``out`` it is given

    def __init__(self, shape, dtype, workers):
        self.shape = tuple(shape)
        self.complex_dtype = np.dtype(dtype)           # complex64 or complex128
        self.real_dtype = np.empty(0, self.complex_dtype).real.dtype
        self.workers = workers

    @property
    def half_shape(self):
        """The shape of a real array's half spectrum: (N₀, N₁//2 + 1)."""
        return (self.shape[0], self.shape[1] // 2 + 1)

    def empty(self, complex=True, half=False):
        """An uninitialized work array of the grid (complex or real; the half spectrum's
        shape with ``half``), fit for the FFTs."""
        return np.empty(self.half_shape if half else self.shape,
                        self.complex_dtype if complex else self.real_dtype)

    def rforward(self, u, out=None):
        """The half spectrum (F u / c)[:, :N₁//2 + 1] of a real u (a new array, or ``out``,
        a work array of ``empty(half=True)``, where the backend writes into it)."""
        raise NotImplementedError

    def rinverse(self, z, overwrite=False):
        """The real F⁻¹ z / c of a half spectrum z; ``overwrite=True`` lets the backend
        destroy z. The result may be a buffer of the backend, valid until its next call."""
        raise NotImplementedError

    def forward(self, a, out=None):
        """F a / c: a new array, or ``out`` (a work array of :meth:`empty`) where the
        backend can write into it; use the returned array."""
        raise NotImplementedError

    def inverse(self, z, overwrite=False):
        """F⁻¹ z / c; ``overwrite=True`` lets the backend use ``z``'s memory (in place)."""
        raise NotImplementedError


class _Scipy(_Backend):
    name = "scipy"

    def forward(self, a, out=None):
        return sfft.fft2(a, norm="ortho", workers=self.workers)

    def inverse(self, z, overwrite=False):
        return sfft.ifft2(z, norm="ortho", workers=self.workers, overwrite_x=overwrite)

    def rforward(self, u, out=None):
        return sfft.rfft2(u, norm="ortho", workers=self.workers)

    def rinverse(self, z, overwrite=False):
        return sfft.irfft2(z, s=self.shape, norm="ortho", workers=self.workers,
                           overwrite_x=overwrite)


class _Numpy(_Backend):
    name = "numpy"

    def forward(self, a, out=None):
        return np.fft.fft2(a, norm="ortho")

    def inverse(self, z, overwrite=False):
        return np.fft.ifft2(z, norm="ortho")

    def rforward(self, u, out=None):
        return np.fft.rfft2(u, norm="ortho")

    def rinverse(self, z, overwrite=False):
        return np.fft.irfft2(z, s=self.shape, norm="ortho")


# --- FFTW through pyFFTW ---------------------------------------------------------------------

_PLANS: dict = {}
_PLAN_LOCK = threading.Lock()
_WISDOM_LOADED = []


def _wisdom_from_env():
    if _WISDOM_LOADED:
        return
    _WISDOM_LOADED.append(True)
    path = os.environ.get(WISDOM_ENV)
    if path:
        if os.path.exists(path):
            load_fft_wisdom(path)
        atexit.register(save_fft_wisdom, path)


def _wisdom_path(path):
    # a path, not a file descriptor: open(1, "wb") would write the wisdom to stdout
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or os.PathLike file name, got {type(path).__name__}")
    return os.fspath(path)


def _need_pyfftw():
    try:
        import pyfftw
    except ImportError as err:
        raise ImportError("FFTW wisdom needs pyFFTW: pip install pyfftw (or the fast extra, "
                          "pip install \"pdeopt[fast]\")") from err
    return pyfftw


def save_fft_wisdom(path) -> None:
    """Write FFTW's wisdom (the plans measured in this process) to the file ``path``.

    A later process that loads it (:func:`load_fft_wisdom`, or the environment variable
    ``PDEOPT_FFTW_WISDOM``) plans the same transforms without measuring them again.

    Parameters
    ----------
    path : str or os.PathLike
        The file to write (a pickle of ``pyfftw.export_wisdom()``, a few kB).

    Examples
    --------
    >>> import os, tempfile
    >>> from pdeopt import phase
    >>> path = os.path.join(tempfile.mkdtemp(), "fftw-wisdom.pkl")
    >>> if pyfftw_available():
    ...     phase.save_fft_wisdom(path)
    ...     assert phase.load_fft_wisdom(path)
    """
    path = _wisdom_path(path)
    pyfftw = _need_pyfftw()
    with open(path, "wb") as f:
        pickle.dump(pyfftw.export_wisdom(), f)


def load_fft_wisdom(path) -> bool:
    """Load FFTW wisdom written by :func:`save_fft_wisdom`; returns whether FFTW took it.

    Parameters
    ----------
    path : str or os.PathLike
        The file; one that cannot be read as wisdom is a ``ValueError`` naming it.

    Examples
    --------
    See :func:`save_fft_wisdom`.
    """
    path = _wisdom_path(path)
    pyfftw = _need_pyfftw()
    with open(path, "rb") as f:
        try:
            wisdom = pickle.load(f)
        except Exception as err:
            raise ValueError(f"path {os.fspath(path)!r} holds no FFTW wisdom") from err
    if not (isinstance(wisdom, tuple) and all(isinstance(w, bytes) for w in wisdom)):
        raise ValueError(f"path {os.fspath(path)!r} holds no FFTW wisdom")
    return all(pyfftw.import_wisdom(wisdom))


def _plan(kind, shape, cdtype, threads):
    """The FFTW plan ``kind`` of this thread, made once with FFTW_MEASURE: "forward",
    "inverse" (complex, in place), "r2c" (real input into the left columns of a full
    spectrum), "rfft" (real → half spectrum), "irfft" (half spectrum → real)."""
    key = (kind, shape, cdtype.str, threads, threading.get_ident())
    plan = _PLANS.get(key)
    if plan is None:
        import pyfftw
        with _PLAN_LOCK:
            _wisdom_from_env()
            rdtype = np.empty(0, cdtype).real.dtype
            # MEASURE overwrites its arrays while it plans: plan on scratch ones
            full = pyfftw.empty_aligned(shape, cdtype)
            half = (shape[0], shape[1] // 2 + 1)
            if kind == "r2c":
                src = pyfftw.empty_aligned(shape, rdtype)
                dst = full[:, :half[1]]
                direction = "FFTW_FORWARD"
            elif kind == "rfft":
                src = pyfftw.empty_aligned(shape, rdtype)
                dst = pyfftw.empty_aligned(half, cdtype)
                direction = "FFTW_FORWARD"
            elif kind == "irfft":
                src = pyfftw.empty_aligned(half, cdtype)
                dst = pyfftw.empty_aligned(shape, rdtype)
                direction = "FFTW_BACKWARD"
            else:
                src = dst = full
                direction = "FFTW_FORWARD" if kind == "forward" else "FFTW_BACKWARD"
            plan = pyfftw.FFTW(src, dst, axes=(0, 1), direction=direction,
                               flags=("FFTW_MEASURE",), threads=threads)
            _PLANS[key] = plan
    return plan


class _PyFFTW(_Backend):
    name = "pyfftw"
    writes_out = True

    def __init__(self, shape, dtype, workers):
        super().__init__(shape, dtype, workers)
        import pyfftw
        self._pyfftw = pyfftw
        self.scale = 1.0 / np.sqrt(float(np.prod(self.shape)))
        self.threads = _threads(workers)
        self._real_scratch = self._half_scratch = self._real_out = None
        from ..kernels import select
        self._fill = select("phase.hermitian_fill", "auto")

    def empty(self, complex=True, half=False):
        return self._pyfftw.empty_aligned(self.half_shape if half else self.shape,
                                          self.complex_dtype if complex else self.real_dtype)

    def _fits(self, a, dtype, half=False):
        return (a.dtype == dtype and a.shape == (self.half_shape if half else self.shape)
                and a.flags.c_contiguous and a.flags.writeable
                and self._pyfftw.is_byte_aligned(a))

    def _real_input(self, u):
        """u, or a copy in the aligned real scratch array when u does not fit the plans."""
        if self._fits(u, self.real_dtype):
            return u
        if self._real_scratch is None:
            self._real_scratch = self.empty(complex=False)
        np.copyto(self._real_scratch, u, casting="same_kind")
        return self._real_scratch

    def rforward(self, u, out=None):
        if out is None or not self._fits(out, self.complex_dtype, half=True):
            out = self.empty(half=True)
        self._run("rfft", self._real_input(u), out)
        return out

    def rinverse(self, z, overwrite=False):
        # FFTW's c2r destroys its input: a copy unless z may be overwritten
        if not (overwrite and self._fits(z, self.complex_dtype, half=True)):
            if self._half_scratch is None:
                self._half_scratch = self.empty(half=True)
            np.copyto(self._half_scratch, z, casting="same_kind")
            z = self._half_scratch
        if self._real_out is None:
            self._real_out = self.empty(complex=False)
        self._run("irfft", z, self._real_out)
        return self._real_out

    def _run(self, kind, src, dst):
        plan = _plan(kind, self.shape, self.complex_dtype, self.threads)
        # an iteration passes the same arrays each time: their checks once (~0.5 µs)
        if plan.input_array is not src or plan.output_array is not dst:
            plan.update_arrays(src, dst)
        plan.execute()

    def forward(self, a, out=None):
        if out is None or not self._fits(out, self.complex_dtype):
            out = self.empty()
        if np.iscomplexobj(a):
            if a is not out:
                np.copyto(out, a, casting="same_kind")
            self._run("forward", out, out)
            return out
        self._run("r2c", self._real_input(a), out[:, :self.shape[1] // 2 + 1])
        self._fill(out)
        return out

    def inverse(self, z, overwrite=False):
        if not (overwrite and self._fits(z, self.complex_dtype)):
            out = self.empty()
            np.copyto(out, z, casting="same_kind")
            z = out
        self._run("inverse", z, z)
        return z


class _Cupy(_Backend):
    """cuFFT through CuPy, unnormalized (c = 1/√N); ``batch`` leading runs."""

    name = "cupy"

    def __init__(self, shape, dtype, workers, batch=None):
        super().__init__(shape, dtype, workers)
        import cupy
        self.xp = cupy
        try:        # SciPy's interface: the same cuFFT plans, and it may overwrite its input
            import cupyx.scipy.fft as fft
        except ImportError:
            fft = cupy.fft
        self._fft = fft
        self.batch = () if batch is None else (int(batch),)
        self.scale = 1.0 / np.sqrt(float(np.prod(self.shape)))
        # C2C in place and C2R without a copy of its input: one pass less each
        self._overwrite = "overwrite_x" in inspect.signature(fft.irfft2).parameters

    def _options(self, overwrite):
        return {"overwrite_x": True} if overwrite and self._overwrite else {}

    def empty(self, complex=True, half=False):
        return self.xp.empty(self.batch + (self.half_shape if half else self.shape),
                             self.complex_dtype if complex else self.real_dtype)

    def forward(self, a, out=None):
        complex_a = a.astype(self.complex_dtype, copy=False)
        return self._fft.fft2(complex_a, norm="backward", **self._options(out is a))

    def inverse(self, z, overwrite=False):
        return self._fft.ifft2(z, norm="forward", **self._options(overwrite))

    def rforward(self, u, out=None):
        return self._fft.rfft2(u, norm="backward")

    def rinverse(self, z, overwrite=False):
        return self._fft.irfft2(z, s=self.shape, norm="forward", **self._options(overwrite))


_CLASSES = {"scipy": _Scipy, "numpy": _Numpy, "pyfftw": _PyFFTW, "cupy": _Cupy}


def fft_backend(fft, shape, dtype=np.complex128, workers=1, *, batch=None):
    """The FFT backend ``fft`` (see :data:`FFT_BACKENDS`) for one grid and precision.

    Parameters
    ----------
    fft : {"auto", "scipy", "pyfftw", "numpy", "cupy"}
        ``"scipy"``: ``scipy.fft`` (threads: ``workers``); ``"numpy"``: ``numpy.fft``
        (one thread); ``"pyfftw"``: FFTW plans measured once per process (``workers``
        threads); ``"cupy"``: cuFFT on device arrays (needs CuPy); ``"auto"``: pyFFTW when
        it is installed, else SciPy.
    shape : pair of int
        The grid.
    dtype : numpy dtype
        complex128 or complex64, the precision of the spectra (a real dtype gives its
        complex one).
    workers : int
        Threads per FFT (≥ 1, or −1 for all cores; not used by ``"cupy"``).
    batch : int, optional
        ``"cupy"`` only: the work arrays hold a stack of this many grids, transformed
        together (one batched plan).

    Returns
    -------
    backend
        With ``name``, ``scale`` (c), ``empty(complex=True, half=False)``,
        ``forward(a, out=None)``, ``inverse(z, overwrite=False)``, ``rforward(u, out=None)``
        and ``rinverse(z, overwrite=False)``.

    Examples
    --------
    >>> import numpy as np
    >>> b = fft_backend("scipy", (4, 6))
    >>> a = np.arange(24.0).reshape(4, 6)
    >>> bool(np.allclose(b.inverse(b.forward(a)) * b.scale ** 2, a))
    True
    >>> half = b.rforward(a)
    >>> half.shape, bool(np.allclose(b.rinverse(half) * b.scale ** 2, a))
    ((4, 4), True)
    """
    name = check_fft(fft, device=fft == "cupy")
    cdtype = np.result_type(np.dtype(dtype), np.complex64)
    if cdtype not in (np.complex64, np.complex128):
        raise ValueError(f"dtype must be float32/64 or complex64/128, got {np.dtype(dtype)}")
    if name == "cupy":
        return _Cupy(shape, cdtype, workers, batch)
    return _CLASSES[name](shape, cdtype, workers)
