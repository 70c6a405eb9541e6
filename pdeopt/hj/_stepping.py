"""Explicit time marching shared by the HJ and Burgers solvers (sub-stepping or refusal).

The loop is written once over a few array operations (:class:`ArrayOps`): NumPy's on the
host; on the device numba.cuda sweeps over numba device arrays (a CuPy grid function is
viewed as one), or CuPy's where numba.cuda cannot run. On the device no value comes back
inside the loop but the NaN/inf check every 64 steps (one integer or boolean: a sync); the
time step is fixed before the loop from the initial data, whose Lipschitz constant bounds
the solution's at every time (the max-slope reductions run once, on the device for a
device grid function).
"""
from __future__ import annotations

import math
from typing import Callable, NamedTuple

import numpy as np

from .._checks import check_integer, check_positive
from .._result import Recorder
from .._xp import is_cupy_array, is_device_array, namespace
from ..kernels import select

#: Default most time steps a solver may take (``max_iter``): about a minute of a large grid.
MAX_STEPS = 1_000_000


def stencil(name, dim, backend):
    """The registered kernel ``hj.<name>_<dim>d`` for ``backend``."""
    return select(f"hj.{name}_{dim}d", backend)


class ArrayOps(NamedTuple):
    """What the time loop does to whole arrays besides the stencil, for one kind of array."""

    where: str                             # "host", "cupy" or "numba"
    copy: Callable                         # a new array holding a's values
    empty_like: Callable
    all_finite: Callable                   # -> bool (on the device: one value read back)
    average: Callable | None               # out ← ½(out + u), returns out (None: fused)


def _average_xp(out, u):
    out += u
    out *= 0.5
    return out


def xp_ops(xp, where="host", average=_average_xp):
    """:class:`ArrayOps` of array namespace ``xp`` (NumPy, or CuPy on the device)."""
    return ArrayOps(where, lambda a: a.copy(), xp.empty_like,
                    lambda a: bool(xp.all(xp.isfinite(a))), average)


HOST = xp_ops(np)


def max_slopes(u, spacings, name="f"):
    """max |one-sided difference| / h of ``u`` along each axis, refused when it overflows.

    On a device ``u`` the reductions run on the device (one value read back per axis): in
    CuPy, or by a numba.cuda reduction for a numba device array.
    """
    if is_device_array(u) and not is_cupy_array(u):
        from ..kernels.hj_stencils import device_max_abs_diff

        def largest(a):
            return device_max_abs_diff(u, a)
    else:
        xp = namespace(u)

        def largest(a):
            return float(xp.max(xp.abs(xp.diff(u, axis=a))))
    with np.errstate(over="ignore", invalid="ignore"):
        slopes = [largest(a) / h if u.shape[a] > 1 else 0.0 for a, h in enumerate(spacings)]
    if not all(np.isfinite(slopes)):
        raise ValueError(f"{name} varies too fast for an explicit scheme: its slope "
                         "overflows float64")
    return slopes


def march(u, t, dt_stable, step, *, dt=None, max_iter=MAX_STEPS, callback=None,
          method="solver", what="solver", rate=None, ops=HOST, **parameters):
    """Advance ``u`` to time ``t`` by ``u ← step(u, dt, out)``; return a :class:`Result`.

    ``step`` may write the new values into ``out`` (a spare buffer of u's shape
    that never aliases u) and return it, or return a new array; ``u`` itself is
    never modified.

    With ``dt=None`` the interval is divided into the fewest equal steps no longer
    than ``dt_stable`` (automatic sub-stepping). A given ``dt`` larger than
    ``dt_stable`` is refused with a ``ValueError`` that states the stable step;
    otherwise ``t`` is divided into ``ceil(t/dt)`` equal steps (≤ ``dt``). More
    than ``max_iter`` steps are refused before the first one. ``rate`` turns a step
    into its CFL number (``cfl = dt·rate``); the history holds ``time``, ``dt`` and
    ``cfl`` per step. A non-finite value (looked for every 64 steps and after the
    last) raises :class:`pdeopt.DivergenceError` naming the step. ``ops`` are the array
    operations of u's kind (:data:`HOST` for NumPy).
    """
    max_iter = check_integer(max_iter, "max_iter", minimum=1)
    if dt is not None:
        dt = check_positive(dt, "dt")
        if dt > dt_stable * (1 + 1e-12):
            raise ValueError(f"dt={dt:.6g} violates the stability (CFL) condition of the {what}; "
                             f"the stable step is {dt_stable:.6g} (or pass dt=None to sub-step "
                             f"automatically)")
        limit = dt
    else:
        limit = dt_stable
    if t == 0:
        n = 0
    elif not np.isfinite(limit):
        n = 1
    else:
        needed = t / limit * (1 - 1e-12) if limit > 0 else math.inf
        if needed > max_iter:
            raise ValueError(f"reaching t={t:.6g} with stable steps of at most {limit:.3g} takes "
                             f"{needed:.3g} steps, more than max_iter={max_iter}; pass a larger "
                             "max_iter or a shorter t")
        n = max(1, math.ceil(needed))
    h = t / n if n else 0.0
    cfl_step = h * rate if rate is not None else math.nan
    rec = Recorder(method, max_iter=max_iter, callback=callback, t=t, dt=h, n_steps=n,
                   **parameters)
    u, spare = ops.copy(u), ops.empty_like(u)
    with rec.running():
        for k in range(n):
            new = step(u, h, spare)
            if (k % 64 == 63 or k == n - 1) and not ops.all_finite(new):
                raise rec.diverged(k + 1, f"the solution (after step {k + 1} of {n}; checked "
                                   "every 64 steps)", dt=h)
            if new is spare:
                spare = u
            u = new
            rec.log(time=(k + 1) * h, dt=h, cfl=cfl_step)
            if rec.end_iteration(u):
                break
    done = f"reached t={t:.6g} in {n} step(s) of dt={h:.3g}"
    return rec.result(u, message=None if rec.interrupted or rec.stopped else done)
