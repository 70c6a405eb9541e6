"""What every phase retrieval algorithm shares: input checks, random starts, the monitor."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._checks import as_rng, check_integer, check_nonnegative
from ..kernels import select
from .forward import check_magnitudes, check_support
from .fourier import default_workers, fft2, ifft2

_KERNELS = ("magnitude_prox", "pdhg_fourier", "pdhg_dual", "object_step", "replace_outside",
            "multiply", "r_factor")


@dataclass
class Problem:
    """Validated data of one reconstruction, with its kernels and FFT settings."""

    magnitudes: np.ndarray      # M, float64, FFT layout
    known: np.ndarray           # measured pixels (bool)
    support: np.ndarray         # D (bool)
    nonnegative: bool           # X = {real, ≥ 0 in D, 0 off D} (else {0 off D})
    workers: int
    kernels: dict
    norm: float                 # Σ_known M, the R-factor's denominator

    @property
    def shape(self):
        return self.magnitudes.shape

    def fft(self, a):
        return fft2(a, self.workers)

    def ifft(self, a, overwrite=False):
        return ifft2(a, self.workers, overwrite)

    def r_factor(self, x):
        """R-factor of a real-space estimate x (one FFT and one kernel sweep)."""
        return self.kernels["r_factor"](self.fft(x), self.magnitudes, self.known) / self.norm


def prepare(magnitudes, support, n_iter, *, missing=None, nonnegative=True, backend="auto",
            workers=None) -> Problem:
    m = check_magnitudes(magnitudes)
    s = check_support(support, m.shape)
    check_integer(n_iter, "n_iter", minimum=1)
    if missing is None:
        known = np.ones(m.shape, bool)
    else:
        miss = np.asarray(missing)
        if miss.shape != m.shape:
            raise ValueError(f"missing must have the shape of magnitudes {m.shape}, "
                             f"got {miss.shape}")
        known = ~miss.astype(bool)
        if not known.any():
            raise ValueError("missing covers every pixel: no magnitude is measured")
    if not np.any(m[known] > 0):
        raise ValueError("magnitudes are zero at every measured pixel")
    kernels = {k: select(f"phase.{k}", backend) for k in _KERNELS}
    workers = default_workers(m.shape) if workers is None else int(workers)
    return Problem(m, np.ascontiguousarray(known), s, bool(nonnegative), workers, kernels,
                   float(m[known].sum()))


def initial_fourier(problem: Problem, x0, rng) -> np.ndarray:
    """z⁰ = F x⁰, or the measured magnitudes with uniformly random phases: M·e^{iφ}."""
    if x0 is not None:
        x0 = np.asarray(x0)
        if x0.shape != problem.shape:
            raise ValueError(f"x0 must have the shape of magnitudes {problem.shape}, "
                             f"got {x0.shape}")
        if not np.all(np.isfinite(x0)):
            raise ValueError("x0 contains NaN or inf")
        return problem.fft(x0.astype(np.complex128))
    rng = as_rng(rng)
    phases = rng.uniform(0.0, 2.0 * np.pi, problem.shape)
    return problem.magnitudes * np.exp(1j * phases)


def initial_object(problem: Problem, x0, rng) -> np.ndarray:
    """u⁰ = x⁰, or F⁻¹(M·e^{iφ}); real (float64, the real part) for a real object.

    A real object (``nonnegative``, the default) keeps a real iterate: ER, HIO and
    OSS then take real-input forward FFTs. Otherwise complex128.
    """
    u = problem.ifft(initial_fourier(problem, x0, rng))
    return np.ascontiguousarray(u.real if problem.nonnegative else u)


def check_common(monitor_every, tol):
    check_integer(monitor_every, "monitor_every", minimum=1)
    return check_nonnegative(tol, "tol")


class Monitor:
    """Records the R-factor of the projected estimate and keeps the best state seen."""

    def __init__(self, problem: Problem, recorder, every: int, tol: float, method: str):
        self.problem, self.rec, self.every, self.tol, self.method = (
            problem, recorder, every, tol, method)
        self.best_r = np.inf
        self.best_state = None
        self.best_x = None
        self.best_iteration = -1

    def due(self, k):
        return k % self.every == 0

    def update(self, k, x, state):
        """Log R(x) at iteration k; keep copies of x and ``state`` if R improved.

        ``state`` is a tuple of arrays (copied) or a callable returning the copies.

        Returns True when R ≤ tol (converged).
        """
        r = self.problem.r_factor(x)
        if not np.isfinite(r):
            raise FloatingPointError(f"{self.method}: the R-factor became {r} at iteration {k} "
                                     f"(magnitude/object step); the history so far is kept in "
                                     f"the recorder")
        self.rec.log(r_factor=r, iteration=k)
        if r < self.best_r:
            self.best_r, self.best_iteration = r, k
            self.best_x = x.copy()
            self.best_state = state() if callable(state) else tuple(a.copy() for a in state)
        return r <= self.tol


def finish(problem: Problem, rec, monitor: Monitor, x, *, use_best, converged, **info):
    """The Result: the final (or best) projected estimate, real when ``nonnegative``."""
    if use_best and monitor.best_x is not None:
        x = monitor.best_x
    x = x.real.copy() if problem.nonnegative else x.copy()
    return rec.result(x, converged=bool(converged), best_r_factor=float(monitor.best_r),
                      best_iteration=int(monitor.best_iteration), returned="best" if use_best
                      else "final", **info)
