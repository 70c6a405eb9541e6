"""Explicit time marching shared by the HJ and Burgers solvers (sub-stepping or refusal)."""
from __future__ import annotations

import math

import numpy as np

from .._checks import check_positive
from ..kernels import select


def stencil(name, dim, backend):
    """The registered kernel ``hj.<name>_<dim>d`` for ``backend``."""
    return select(f"hj.{name}_{dim}d", backend)


def max_slopes(u, spacings):
    """max |one-sided difference| of ``u`` along each axis."""
    return [float(np.max(np.abs(np.diff(u, axis=a)))) / h if u.shape[a] > 1 else 0.0
            for a, h in enumerate(spacings)]


def march(u, t, dt_stable, step, *, dt=None, what="solver"):
    """Advance ``u`` to time ``t`` by ``u ← step(u, dt, out)``.

    ``step`` may write the new values into ``out`` (a spare buffer of u's shape
    that never aliases u) and return it, or return a new array; ``u`` itself is
    never modified.

    With ``dt=None`` the interval is divided into the fewest equal steps no longer
    than ``dt_stable`` (automatic sub-stepping). A given ``dt`` larger than
    ``dt_stable`` is refused with a ``ValueError`` that states the stable step;
    otherwise ``t`` is divided into ``ceil(t/dt)`` equal steps (≤ ``dt``).
    Returns ``(u, n_steps)``. A non-finite value stops the run with an error
    naming the step.
    """
    if t == 0:
        return u.copy(), 0
    if dt is not None:
        dt = check_positive(dt, "dt")
        if dt > dt_stable * (1 + 1e-12):
            raise ValueError(f"dt={dt:.6g} violates the stability (CFL) condition of the {what}; "
                             f"the stable step is {dt_stable:.6g} (or pass dt=None to sub-step "
                             f"automatically)")
        limit = dt
    else:
        limit = dt_stable
    n = max(1, math.ceil(t / limit * (1 - 1e-12))) if np.isfinite(limit) else 1
    h = t / n
    u, spare = u.copy(), np.empty_like(u)
    for k in range(n):
        new = step(u, h, spare)
        if new is spare:
            spare = u
        u = new
        if (k % 64 == 63 or k == n - 1) and not np.all(np.isfinite(u)):
            raise FloatingPointError(f"{what} produced NaN/inf at step {k + 1} of {n} "
                                     f"(dt={h:.3g}); the step is unstable for these data")
    return u, n
