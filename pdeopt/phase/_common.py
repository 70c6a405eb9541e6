"""What every phase retrieval algorithm shares: input checks, random starts, the monitor.

The device path (issue 22): with CuPy magnitudes (``backend="auto"``) or ``backend="cuda"``
the same loops run on CuPy arrays. The data are moved to the device once per call
(:func:`prepare`), the FFTs are cuFFT's (``fft="cupy"``), the per-pixel steps the numba.cuda
kernels of :mod:`pdeopt.kernels.phase` on the device arrays (their NumPy twins, dispatched to
CuPy, where numba.cuda cannot run), and the R-factor is summed on the device and read back
only at the recorded iterations. ``x`` is returned as the kind of array the magnitudes were.
A :class:`RunBatch` of generators as ``rng`` (:func:`pdeopt.phase.reconstruct_many`) runs
that many reconstructions in lockstep on one stack of shape (n, N₀, N₁).
"""
from __future__ import annotations

import warnings
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from .._checks import (as_rng, check_bool, check_callable, check_choice, check_integer,
                       check_nonnegative)
from .._errors import BackendUnavailableError
from .._result import Recorder
from .._xp import is_cupy_array, is_device_array, like, namespace, to_namespace
from ..kernels import BACKENDS, cuda_available, select
from .fft_backends import check_fft, fft_backend
from .forward import as_image, check_magnitudes, check_mask, check_support
from .fourier import default_workers

_KERNELS = ("magnitude_prox", "magnitude_prox_real", "pdhg_fourier", "pdhg_dual",
            "object_step", "replace_outside", "multiply", "r_factor", "r_factor_real")


def half_spectrum(a) -> tuple:
    """A grid array on the half spectrum of a real iterate (k₁ ≤ N₁/2), and at the mirror
    pixels −k of those, as contiguous arrays: ``(a[k], a[−k])``."""
    xp = namespace(a)
    n0, n1 = a.shape
    h = n1 // 2 + 1
    rows = (-xp.arange(n0)) % n0
    cols = (-xp.arange(h)) % n1
    return xp.ascontiguousarray(a[:, :h]), xp.ascontiguousarray(a[rows][:, cols])


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
        xp = namespace(magnitudes)
        m, m_mirror = half_spectrum(magnitudes)
        k, k_mirror = half_spectrum(known)
        n1 = magnitudes.shape[1]
        own_columns = [0, n1 // 2] if n1 % 2 == 0 else [0]
        own = xp.zeros(m.shape[1], bool)
        own[own_columns] = True
        m_mirror[:, own_columns] = m[:, own_columns]
        counted = k_mirror & ~own
        k_mirror[:, own_columns] = k[:, own_columns]
        return cls(m, m_mirror, k, k_mirror, xp.ascontiguousarray(counted))


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
    xp: object = np             # the array namespace: numpy, or cupy on the device path
    batch: int | None = None    # runs iterated together (a stack of grids), or None
    template: object = None     # the magnitudes as given: the kind of array x is returned as

    @property
    def shape(self):
        return self.magnitudes.shape

    @property
    def on_device(self) -> bool:
        return self.xp is not np

    def estimate_into(self, x, estimate):
        """Where an iteration writes its estimate x = P_X(·): ``x``, or None (not written)
        for an iteration that records nothing (``estimate`` false) on the CPU, whose sweep
        then moves one array less; the device always writes it."""
        return x if estimate or self.on_device else None

    def asarray(self, a):
        """The host array ``a`` on the run's side (moved to the device once, if there)."""
        return to_namespace(a, self.xp)

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
        a real-input FFT and the sum over the half spectrum and the mirror pixels). On the
        device a device array (one value per run of a batch), not synchronized."""
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


def run_namespace(magnitudes, backend):
    """The array namespace of a run: ``cupy`` for ``backend="cuda"`` or device magnitudes
    (with ``"auto"``), else ``numpy``.

    Raises ``BackendUnavailableError`` for ``"cuda"`` without CuPy, ``TypeError`` for device
    magnitudes with a host backend (``"numpy"``, ``"numba"``).
    """
    if not isinstance(backend, str):
        raise TypeError(f"backend must be one of {BACKENDS}, got {type(backend).__name__}")
    check_choice(backend, "backend", BACKENDS)
    device = is_device_array(magnitudes)
    if device and backend in ("numpy", "numba"):
        raise TypeError(f"magnitudes is a device array, but backend={backend!r} runs on the "
                        f"host: pass backend='cuda' or 'auto', or move it to the host first")
    if is_cupy_array(magnitudes):
        return namespace(magnitudes)
    if backend != "cuda" and not device:
        return np
    try:
        import cupy
    except ImportError as err:
        raise BackendUnavailableError(
            "backend='cuda' runs the phase methods on CuPy arrays, and CuPy is not installed "
            "(pip install pdeopt[gpu] on a GPU machine)") from err
    try:
        found = cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:                       # no driver: CuPy raises
        found = False
    if not found:
        raise BackendUnavailableError("backend='cuda' was asked for, but CuPy finds no GPU")
    return cupy


def device_kernels(xp) -> dict:
    """The per-pixel steps on arrays of ``xp``: the numba.cuda kernels where numba.cuda runs,
    else the NumPy twins (their NumPy calls dispatch to CuPy: more passes, same values).

    The test suite's CuPy stand-in keeps its arrays in host memory: the kernels run on
    them only in numba's simulator.
    """
    fused = cuda_available()[0]
    if fused and getattr(xp, "__fake__", False):
        from ..kernels._device import simulated
        fused = simulated()
    return {k: select(f"phase.{k}", "cuda" if fused else "numpy") for k in _KERNELS}


def prepare(magnitudes, support, max_iter, *, missing=None, nonnegative=True, backend="auto",
            workers=None, fft="scipy", batch=None) -> Problem:
    xp = run_namespace(magnitudes, backend)
    device = xp is not np
    if device:
        from ._device import check_device_magnitudes, check_device_mask
        m = check_device_magnitudes(magnitudes, xp)
        s = check_device_mask(support, "support", m.shape, xp, support=True)
    else:
        for name, a in (("support", support), ("missing", missing)):
            if is_device_array(a):
                raise TypeError(f"{name} is a device array, but magnitudes is on the host: "
                                f"pass backend='cuda' (or device magnitudes) to run on the GPU")
        m = check_magnitudes(magnitudes, keep_single=True)
        s = check_support(support, m.shape)
    check_integer(max_iter, "max_iter", minimum=1)
    if missing is None:
        known = xp.ones(m.shape, bool)
    else:
        known = ~(check_device_mask(missing, "missing", m.shape, xp) if device
                  else check_mask(missing, "missing", m.shape))
        if not known.any():
            raise ValueError("missing covers every pixel: no magnitude is measured")
    if not xp.any(m[known] > 0):
        raise ValueError("magnitudes are zero at every measured pixel")
    nonnegative = check_bool(nonnegative, "nonnegative")
    fft = check_fft(fft, device=device)
    workers = check_workers(workers, m.shape, fft)
    ffts = fft_backend(fft, m.shape, m.dtype, workers, batch=batch)
    kernels = device_kernels(xp) if device else {k: select(f"phase.{k}", backend)
                                               for k in _KERNELS + ("polar",)}
    if ffts.scale != 1.0:
        m = xp.ascontiguousarray(m / m.dtype.type(ffts.scale))
    known = xp.ascontiguousarray(known)
    work, half_work = (ffts.empty(), ffts.empty(half=True)) if ffts.writes_out else (None, None)
    return Problem(m, known, s, nonnegative, workers, kernels,
                   float(m[known].sum(dtype=np.float64)), ffts, HalfSpectrum.of(m, known),
                   work, half_work, xp, batch, magnitudes)


class RunBatch(tuple):
    """The generators of runs iterated together on one stack (given as ``rng`` by
    :func:`pdeopt.phase.reconstruct_many` on the device; not a user's value)."""


def check_common(*, monitor_every, tol, rng, callback, x0):
    """Check the options every algorithm shares; returns ``(tol, rng)``, rng a Generator."""
    check_integer(monitor_every, "monitor_every", minimum=1)
    if callback is not None:
        check_callable(callback, "callback")
    if x0 is not None and not is_device_array(x0):   # a device x0: checked there
        as_image(x0, "x0")
    tol = check_nonnegative(tol, "tol")
    return tol, rng if isinstance(rng, RunBatch) else as_rng(rng)


def batch_size(rng):
    """The number of runs iterated together (a :class:`RunBatch`), or None."""
    return len(rng) if isinstance(rng, RunBatch) else None


def initial_fourier(problem: Problem, x0, rng) -> np.ndarray:
    """z⁰ = F x⁰, or the measured magnitudes with uniformly random phases: M·e^{iφ}.

    In the backend's units (F/c, M/c) and the run's precision; a new array. A batch draws
    each run's phases from its own generator, as that run alone would (so a run of the batch
    starts where the same run on the CPU does); on the device the phases are moved there once.
    """
    xp = problem.xp
    z = problem.empty()
    if x0 is not None:
        if is_device_array(x0):
            from ._device import check_device_image
            x0 = check_device_image(x0, "x0", problem.shape, xp)
        else:
            x0 = problem.asarray(as_image(x0, "x0", shape=problem.shape))
        z[...] = problem.fft(x0.astype(problem.complex_dtype))  # the same start for each run
        return z
    if problem.batch is None:
        phases = as_rng(rng).uniform(0.0, 2.0 * np.pi, problem.shape)   # float64 draws in
    else:                                                                # any precision
        phases = np.stack([g.uniform(0.0, 2.0 * np.pi, problem.shape) for g in rng])
    if "polar" in problem.kernels:          # the CPU's kernel; on the device the twin's
        problem.kernels["polar"](z, problem.magnitudes, phases)              # expression
    else:
        z[...] = problem.magnitudes * xp.exp(1j * problem.asarray(phases))
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


def monitor(problem: Problem, every: int, method: str, *, callback, keep_best=True,
            **recorder_args):
    """The :class:`Monitor` of a run, or the :class:`BatchMonitor` of a batch, with its
    :class:`pdeopt.Recorder` (one per run) made from ``method`` and ``recorder_args``.
    ``keep_best=False``: the best R-factor and its iteration only, no copies of the best
    estimate and state (for methods that return the final one and never restart)."""
    if problem.batch is None:
        return Monitor(problem, Recorder(method, callback=callback, **recorder_args), every,
                       keep_best)
    return BatchMonitor(problem, [Recorder(method, callback=callback, **recorder_args)
                                  for _ in range(problem.batch)], every, keep_best)


def _copy_into(kept, a):
    """``a`` copied into ``kept`` (an array of its shape and dtype), or a new copy."""
    if kept is None:
        return a.copy()
    namespace(a).copyto(kept, a)
    return kept


class Monitor:
    """Records the R-factor of the projected estimate, keeps the best state, ends iterations.

    The stopping test is the R-factor's: a run converges when R(x) ≤ tol at a recorded
    iteration (every ``every``-th, starting with the first). On the device R is read back
    (a synchronization) only at those iterations.
    """

    def __init__(self, problem: Problem, recorder, every: int, keep_best=True):
        self.problem, self.rec, self.every = problem, recorder, every
        self.keep_best = keep_best
        self.best_r = np.inf
        self.best_state = None
        self.best_x = None
        self.best_iteration = -1
        self.estimate_iteration = None   # the iteration whose estimate x holds, where known

    def due(self, k, max_iter) -> bool:
        """Whether x is read after iteration k: a recorded one, a callback's, the last."""
        return k % self.every == 0 or self.rec.callback is not None or k == max_iter - 1

    def running(self):
        """The context of the loop: Ctrl-C ends it with what was finished."""
        return self.rec.running()

    def end(self, k, x, state) -> bool:
        """End iteration k: log R(x) when due, keep copies of x and ``state`` if R improved.

        ``state`` is a tuple of arrays (copied) or a callable ``state(kept)`` that writes
        the state into the arrays of ``kept`` (the previous copies, or None: new arrays) and
        returns them. The copies go into the same arrays each time (R improves at most
        iterations: fresh arrays cost their first touch each time).
        Returns True when the run stops (R ≤ tol, or the callback asked for it).
        """
        r = None
        if k % self.every == 0:
            r = float(self.problem.r_factor(x))
            if not np.isfinite(r):
                raise self.rec.diverged(k, "the R-factor of the estimate")
            self.rec.log(r_factor=r, iteration=k)
            if r < self.best_r:
                self.best_r, self.best_iteration = r, k
                if self.keep_best:   # copies of the grids, each time R improves
                    self.best_x = _copy_into(self.best_x, x)
                    kept = self.best_state
                    self.best_state = (state(kept) if callable(state) else
                                       tuple(_copy_into(None if kept is None else kept[i], a)
                                             for i, a in enumerate(state)))
        # the callback gets a copy: x is overwritten in place by the next iteration
        shown = x.copy() if self.rec.callback is not None else None
        return self.rec.end_iteration(shown, residual=r)

    def finish(self, x, *, use_best, **info):
        """The Result: the final (or best) projected estimate, real when ``nonnegative``,
        as the kind of array the magnitudes were."""
        rec = self.rec
        if (self.estimate_iteration is not None and rec.nit
                and self.estimate_iteration < rec.nit - 1):
            # interrupted between recorded iterations: x is the last one estimated
            info["estimate_iteration"] = int(self.estimate_iteration)
        if use_best and self.best_x is not None:
            x = self.best_x
        elif rec.nit:
            # iterations after the last recorded one were not checked
            rec.require_finite(x, rec.nit - 1)
        x = x.real.copy() if self.problem.nonnegative else x.copy()
        return rec.result(like(x, self.problem.template), best_r_factor=float(self.best_r),
                          best_iteration=int(self.best_iteration),
                          returned="best" if use_best else "final", **info)


class BatchMonitor:
    """:class:`Monitor` of runs iterated in lockstep on a stack (axis 0: the run).

    Each run has its own :class:`pdeopt.Recorder`, R-factor, best state and stopping test;
    the R-factors of all runs are summed on the device and read back at once (n floats) at
    the recorded iterations, and each run's best state is updated there on the device. A run
    that stops (converged, or stopped by the callback) keeps what it had then; the stack
    iterates until every run has stopped or the budget is spent.
    """

    def __init__(self, problem: Problem, recorders, every: int, keep_best=True):
        self.problem, self.recs, self.every = problem, recorders, every
        self.keep_best = keep_best
        n = len(recorders)
        self.best_r = np.full(n, np.inf)
        self.best_r_device = problem.xp.full(n, np.inf)
        self.best_iteration = np.full(n, -1)
        self.best_x = self.best_state = None
        self.stopped = {}       # run → (x, best x, best R, best iteration) when it stopped
        self.estimate_iteration = None  # (set by the loops; the device writes x each time)

    def due(self, k, max_iter) -> bool:
        """Whether x is read after iteration k (see :meth:`Monitor.due`)."""
        return (k % self.every == 0 or k == max_iter - 1
                or any(rec.callback is not None for rec in self.recs))

    @contextmanager
    def running(self):
        """The context of the loop: Ctrl-C ends the runs still going with what they
        finished (``status=3``); those that had stopped keep their own status."""
        try:
            yield self
        except KeyboardInterrupt:
            going = [rec for i, rec in enumerate(self.recs) if i not in self.stopped]
            for rec in going:
                rec.interrupted = True
                rec.info["interrupted"] = True
            warnings.warn(f"{self.recs[0].method} interrupted: {len(going)} of "
                          f"{len(self.recs)} runs cut short, the results hold the iterations "
                          f"they finished", RuntimeWarning, stacklevel=3)

    def _keep_best(self, k, x, state, r, r_device):
        xp = self.problem.xp
        better = r < self.best_r
        if not better.any():
            return
        if self.keep_best and self.best_x is None:
            self.best_x = x.copy()
            self.best_state = state(None) if callable(state) else tuple(a.copy() for a in state)
        elif self.keep_best:
            # the same comparison on the device (the same values): no mask to move there
            where = (r_device < self.best_r_device).reshape((-1,) + (1,) * (x.ndim - 1))
            xp.copyto(self.best_x, x, where=where)
            new = state(None) if callable(state) else state
            for kept, a in zip(self.best_state, new):
                xp.copyto(kept, a, where=where)
        self.best_r_device = xp.minimum(self.best_r_device, r_device)
        self.best_r = np.where(better, r, self.best_r)
        self.best_iteration[better] = k

    def end(self, k, x, state) -> bool:
        """End iteration k of every run still going; True when every run has stopped."""
        r = None
        if k % self.every == 0:
            r_device = self.problem.r_factor(x)
            r = to_namespace(r_device, np)
            for i, rec in enumerate(self.recs):
                if i not in self.stopped and not np.isfinite(r[i]):
                    raise rec.diverged(k, f"the R-factor of run {i}'s estimate")
            self._keep_best(k, x, state, r, r_device)
        for i, rec in enumerate(self.recs):
            if i in self.stopped:
                continue
            residual = None if r is None else float(r[i])
            if residual is not None:
                rec.log(r_factor=residual, iteration=k)
            shown = x[i].copy() if rec.callback is not None else None
            if rec.end_iteration(shown, residual=residual):
                best = None if self.best_x is None else self.best_x[i].copy()
                self.stopped[i] = (x[i].copy(), best, self.best_r[i], self.best_iteration[i])
        return len(self.stopped) == len(self.recs)

    def finish(self, x, *, use_best, **info):
        """The Results, one per run (see :meth:`Monitor.finish`); the estimates are moved
        to the kind of array of the magnitudes in one piece."""
        chosen, best = [], []
        for i, rec in enumerate(self.recs):
            xi, best_x, best_r, best_it = self.stopped.get(i, (
                x[i], None if self.best_x is None else self.best_x[i], self.best_r[i],
                self.best_iteration[i]))
            if use_best and best_x is not None:
                xi = best_x
            elif rec.nit:
                rec.require_finite(xi, rec.nit - 1)
            chosen.append(xi)
            best.append((best_r, best_it))
        out = self.problem.xp.stack(chosen)
        out = like(out.real.copy() if self.problem.nonnegative else out, self.problem.template)
        return [rec.result(out[i], best_r_factor=float(br), best_iteration=int(bi),
                           returned="best" if use_best else "final", batched=len(self.recs),
                           **info)
                for i, (rec, (br, bi)) in enumerate(zip(self.recs, best))]

