"""What every phase retrieval algorithm shares: input checks, random starts, the monitor."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._checks import (as_rng, check_bool, check_callable, check_choice, check_integer,
                       check_nonnegative)
from ..kernels import BACKENDS, select
from .fft_backends import check_fft, fft_backend
from .forward import as_image, check_magnitudes, check_mask, check_support
from .fourier import default_workers

_KERNELS = ("magnitude_prox", "magnitude_prox_real", "pdhg_fourier", "pdhg_dual",
            "object_step", "replace_outside", "multiply", "r_factor", "r_factor_real")


def half_spectrum(a) -> tuple:
    """A grid array on the half spectrum of a real iterate (k₁ ≤ N₁/2), and at the mirror
    pixels −k of those, as contiguous arrays: ``(a[k], a[−k])``."""
    n0, n1 = a.shape
    h = n1 // 2 + 1
    rows = (-np.arange(n0)) % n0
    cols = (-np.arange(h)) % n1
    return np.ascontiguousarray(a[:, :h]), np.ascontiguousarray(a[rows][:, cols])


@dataclass
class HalfSpectrum:
    """What the iterations of a real object need on the half spectrum (k₁ ≤ N₁/2).

    ``mirror``/``known_mirror`` are M and the measured mask at −k, except in the columns
    that are their own mirror (k₁ = 0, N₁/2), where they repeat M and known (the inverse
    real FFT takes the Hermitian part there); ``counted_mirror`` marks the mirror pixels
    that are not in the half (the R-factor counts them once more).
    """

    magnitudes: np.ndarray
    mirror: np.ndarray
    known: np.ndarray
    known_mirror: np.ndarray
    counted_mirror: np.ndarray

    @classmethod
    def of(cls, magnitudes, known):
        m, m_mirror = half_spectrum(magnitudes)
        k, k_mirror = half_spectrum(known)
        n1 = magnitudes.shape[1]
        own = np.zeros(m.shape[1], bool)
        own[0] = True
        if n1 % 2 == 0:
            own[n1 // 2] = True
        m_mirror[:, own] = m[:, own]
        counted = k_mirror & ~own
        k_mirror[:, own] = k[:, own]
        return cls(m, m_mirror, k, k_mirror, np.ascontiguousarray(counted))


@dataclass
class Problem:
    """Validated data of one reconstruction, with its kernels and FFT backend.

    The Fourier-space arrays are in the FFT backend's units: ``fft`` gives F a / c
    (c = ``ffts.scale``, 1 for a unitary backend), so the stored magnitudes are M / c and
    a real-space array out of ``ifft`` must be multiplied by ``space_scale`` = c² (the
    kernels take it as ``scale``, the filters carry it).
    """

    magnitudes: np.ndarray      # M / c, float64 or float32 (the input's), FFT layout
    known: np.ndarray           # measured pixels (bool)
    support: np.ndarray         # D (bool)
    nonnegative: bool           # X = {real, ≥ 0 in D, 0 off D} (else {0 off D})
    workers: int
    kernels: dict
    norm: float                 # Σ_known M / c, the R-factor's denominator
    ffts: object                # the FFT backend (pdeopt.phase.fft_backends)
    half: HalfSpectrum          # M and the measured mask on a real iterate's half spectrum
    work: object = None         # a Fourier work array the backend writes into, or None
    half_work: object = None    # the same on the half spectrum

    @property
    def shape(self):
        return self.magnitudes.shape

    @property
    def dtype(self):
        """The real precision of the run (float64, or float32 for float32 magnitudes)."""
        return self.magnitudes.dtype

    @property
    def complex_dtype(self):
        return self.ffts.complex_dtype

    @property
    def space_scale(self) -> float:
        """c²: the factor that brings an inverse FFT's output to real-space units."""
        return self.ffts.scale ** 2

    def fft(self, a, out=None):
        """F a / c (into ``out`` where the backend can; use the returned array)."""
        return self.ffts.forward(a, out)

    def rfft(self, u):
        """The half spectrum of a real u, F u / c for k₁ ≤ N₁/2 (in ``half_work`` where
        the backend writes into it)."""
        return self.ffts.rforward(u, self.half_work)

    def irfft(self, z, overwrite=False):
        """The real F⁻¹ z / c of a half spectrum (a backend buffer, valid until its next
        call, or a new array)."""
        return self.ffts.rinverse(z, overwrite)

    def ifft(self, a, overwrite=False):
        """F⁻¹ a / c; ``overwrite`` lets the backend work in a's memory."""
        return self.ffts.inverse(a, overwrite)

    def empty(self, complex=True):
        """A work array of the grid in the run's precision, fit for the FFT backend."""
        return self.ffts.empty(complex)

    def zeros(self, complex=True):
        a = self.empty(complex)
        a[...] = 0
        return a

    def r_factor(self, x):
        """R-factor of a real-space estimate x (one FFT and one kernel sweep; for a real x
        a real-input FFT and the sum over the half spectrum and the mirror pixels)."""
        if np.iscomplexobj(x):
            xhat = self.fft(x, out=self.work)
            return self.kernels["r_factor"](xhat, self.magnitudes, self.known) / self.norm
        h = self.half
        return self.kernels["r_factor_real"](self.rfft(x), h.magnitudes, h.mirror, h.known,
                                             h.counted_mirror) / self.norm


def check_workers(workers, shape, fft="scipy") -> int:
    """Threads per FFT: ≥ 1, −1 for all cores, or None: 1 for FFTW, else
    :func:`default_workers`.

    FFTW's threads wait badly on shared cores: measured on 2 cores under a load of 7,
    a 512² complex FFT took 1.9 ms on one thread and 24.5 ms on two (scipy.fft: 3.1 and
    13 ms), and FFTW's single thread is already faster than scipy.fft's two.
    """
    if workers is None:
        return 1 if fft == "pyfftw" else default_workers(shape)
    workers = check_integer(workers, "workers", minimum=-1)
    if workers == 0:
        raise ValueError("workers must be >= 1 or -1 (all cores), got 0")
    return workers


def prepare(magnitudes, support, max_iter, *, missing=None, nonnegative=True, backend="auto",
            workers=None, fft="scipy") -> Problem:
    m = check_magnitudes(magnitudes, keep_single=True)
    s = check_support(support, m.shape)
    check_integer(max_iter, "max_iter", minimum=1)
    if missing is None:
        known = np.ones(m.shape, bool)
    else:
        known = ~check_mask(missing, "missing", m.shape)
        if not known.any():
            raise ValueError("missing covers every pixel: no magnitude is measured")
    if not np.any(m[known] > 0):
        raise ValueError("magnitudes are zero at every measured pixel")
    nonnegative = check_bool(nonnegative, "nonnegative")
    if not isinstance(backend, str):
        raise TypeError(f"backend must be one of {BACKENDS}, got {type(backend).__name__}")
    check_choice(backend, "backend", BACKENDS)
    fft = check_fft(fft)
    workers = check_workers(workers, m.shape, fft)
    ffts = fft_backend(fft, m.shape, m.dtype, workers)
    kernels = {k: select(f"phase.{k}", backend) for k in _KERNELS}
    if ffts.scale != 1.0:
        m = np.ascontiguousarray(m / m.dtype.type(ffts.scale))
    known = np.ascontiguousarray(known)
    work, half_work = (ffts.empty(), ffts.empty(half=True)) if ffts.writes_out else (None, None)
    return Problem(m, known, s, nonnegative, workers, kernels,
                   float(m[known].sum(dtype=np.float64)), ffts, HalfSpectrum.of(m, known),
                   work, half_work)


def check_common(*, monitor_every, tol, rng, callback, x0):
    """Check the options every algorithm shares; returns ``(tol, rng)``, rng a Generator."""
    check_integer(monitor_every, "monitor_every", minimum=1)
    if callback is not None:
        check_callable(callback, "callback")
    if x0 is not None:
        as_image(x0, "x0")
    return check_nonnegative(tol, "tol"), as_rng(rng)


def initial_fourier(problem: Problem, x0, rng) -> np.ndarray:
    """z⁰ = F x⁰, or the measured magnitudes with uniformly random phases: M·e^{iφ}.

    In the backend's units (F/c, M/c) and the run's precision; a new array.
    """
    if x0 is not None:
        x0 = as_image(x0, "x0", shape=problem.shape)
        return problem.fft(x0.astype(problem.complex_dtype))
    rng = as_rng(rng)
    phases = rng.uniform(0.0, 2.0 * np.pi, problem.shape)   # float64 draws in any precision
    z = problem.empty()
    z[...] = problem.magnitudes * np.exp(1j * phases)
    return z


def initial_object(problem: Problem, x0, rng) -> np.ndarray:
    """u⁰ = x⁰, or F⁻¹(M·e^{iφ}); real (the real part) for a real object.

    A real object (``nonnegative``, the default) keeps a real iterate: ER, HIO and
    OSS then take real-input forward FFTs. Otherwise complex. In the run's precision,
    in a work array of the FFT backend.
    """
    u = problem.ifft(initial_fourier(problem, x0, rng), overwrite=True)
    out = problem.empty(complex=not problem.nonnegative)
    scale = problem.space_scale
    out[...] = (u.real if problem.nonnegative else u) * scale if scale != 1.0 else \
        (u.real if problem.nonnegative else u)
    return out


class Monitor:
    """Records the R-factor of the projected estimate, keeps the best state, ends iterations.

    The stopping test is the R-factor's: a run converges when R(x) ≤ tol at a recorded
    iteration (every ``every``-th, starting with the first).
    """

    def __init__(self, problem: Problem, recorder, every: int):
        self.problem, self.rec, self.every = problem, recorder, every
        self.best_r = np.inf
        self.best_state = None
        self.best_x = None
        self.best_iteration = -1

    def end(self, k, x, state) -> bool:
        """End iteration k: log R(x) when due, keep copies of x and ``state`` if R improved.

        ``state`` is a tuple of arrays (copied) or a callable returning the copies.
        Returns True when the run stops (R ≤ tol, or the callback asked for it).
        """
        r = None
        if k % self.every == 0:
            r = self.problem.r_factor(x)
            if not np.isfinite(r):
                raise self.rec.diverged(k, "the R-factor of the estimate")
            self.rec.log(r_factor=r, iteration=k)
            if r < self.best_r:
                self.best_r, self.best_iteration = r, k
                self.best_x = x.copy()
                self.best_state = state() if callable(state) else tuple(a.copy() for a in state)
        # the callback gets a copy: x is overwritten in place by the next iteration
        shown = x.copy() if self.rec.callback is not None else None
        return self.rec.end_iteration(shown, residual=r)


def finish(problem: Problem, rec, monitor: Monitor, x, *, use_best, **info):
    """The Result: the final (or best) projected estimate, real when ``nonnegative``."""
    if use_best and monitor.best_x is not None:
        x = monitor.best_x
    elif rec.nit:
        # iterations after the last recorded one were not checked
        rec.require_finite(x, rec.nit - 1)
    x = x.real.copy() if problem.nonnegative else x.copy()
    return rec.result(x, best_r_factor=float(monitor.best_r),
                      best_iteration=int(monitor.best_iteration),
                      returned="best" if use_best else "final", **info)
