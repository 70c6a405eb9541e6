"""Burgers' equation w_t + (w²/2)_x = 0 for the slope w = u_x of the inviscid HJ solution."""
from __future__ import annotations

import warnings

import numpy as np

from .._checks import (as_float_array, check_callable, check_finite, check_integer,
                       check_nonnegative)
from .._errors import ConvergenceWarning, DivergenceError
from .._result import Iterate
from .._xp import check_device_array, is_cupy_array, is_device_array, like, namespace, \
    to_namespace
from ._grid import (as_grid_function, check_grid_shape, cupy_module, device_backend,
                    grid_axes, grid_function)
from ._stepping import MAX_STEPS
from .schemes import hj_march

__all__ = ["solve_burgers", "burgers_characteristics"]


def solve_burgers(w0, x, t, *, scheme="godunov", dt=None, cfl=0.5, max_iter=MAX_STEPS,
                  callback=None, backend="auto"):
    r"""Entropy solution of w_t + (w²/2)_x = 0 by a conservative finite-volume scheme.

    ``w0`` holds cell averages on cells centred at the uniform nodes ``x``. The
    scheme is the finite-volume form of the HJ scheme applied to the primitive
    u (u_x = w) at the cell edges: with u_k = h Σ_{j<k} w_j,

    .. math::

        w_i^{n+1} = w_i^n - \frac{\Delta t}{h}\,(F_{i+1/2} - F_{i-1/2}),

    where for ``"godunov"`` F_{i+1/2} = ½ max(max(w_i, 0)², min(w_{i+1}, 0)²) is
    Godunov's flux for the convex flux w²/2 (exact Riemann solver: conservative,
    monotone, entropy-satisfying, shocks at the Rankine–Hugoniot speed);
    ``"lax-friedrichs"`` is the corresponding monotone Lax–Friedrichs-type flux
    and ``"eno2"`` its second-order ENO/Heun version (see :func:`solve_hj`). So
    u = h·cumsum(w) solves u_t + ½u_x² = 0 by the same scheme: Burgers is the
    seed's equation for w = u_x. Boundary: zero-gradient (outflow) ghost cells.
    Time steps: sub-stepped automatically under dt·max|w|/h ≤ ``cfl``; an
    unstable ``dt`` is refused with the stable step in the message.

    Parameters
    ----------
    w0 : array_like, shape (N,)
        Initial cell averages, e.g. f'(x); finite.
    x : array_like, shape (N,)
        Uniform increasing cell centres (at least 3).
    t : float
        Final time, t ≥ 0.
    scheme : {"godunov", "lax-friedrichs", "eno2"}
    dt, cfl, max_iter, backend
        As in :func:`solve_hj`: with ``backend="cuda"`` ``w0`` may be a device array, the
        primitive's running sum and the final differences are taken on the device (CuPy;
        without CuPy a numba ``w0`` is summed on one host copy) and ``x`` is of w0's kind.
    callback : callable, optional
        As in :func:`solve_hj`, with ``it.x`` the cell averages w after the step.

    Returns
    -------
    pdeopt.Result
        ``x`` the cell averages w(·, t), shape (N,); ``nit`` the number of time
        steps; ``history`` per step ``time``, ``dt`` and ``cfl`` (dt·max|w0|/h).

    Raises
    ------
    ValueError
        As :func:`solve_hj` does, naming ``w0``.

    References
    ----------
    Osher 2018 (Deep Relaxation: "Conservation law: Burgers' equation");
    Godunov, Mat. Sb. 47 (1959); LeVeque, Finite Volume Methods (2002), ch. 11–12.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.linspace(-2, 2, 401)
    >>> res = solve_burgers(np.where(x < 0, 1.0, 0.0), x, 1.0)   # shock at speed 1/2
    >>> float(x[np.argmin(np.abs(res.x - 0.5))]), res.nit
    (0.5, 200)
    """
    backend = device_backend(backend, w0)
    given = w0
    if is_device_array(w0):
        w0 = check_device_array(w0, "w0", backend)
        if not is_cupy_array(w0):
            # a numba device array: viewed by CuPy, or without CuPy its running sum below is
            # taken on one host copy (the time loop still runs on the device)
            cupy = cupy_module()
            w0 = cupy.asarray(w0) if cupy is not None else to_namespace(w0, np)
    if is_cupy_array(w0):
        axes, (h, *_) = grid_axes(x)
        check_grid_shape(w0, axes, "w0", "x")
        w0 = w0.astype(namespace(w0).float64, copy=False)
    else:
        w0, axes, (h, *_) = as_grid_function(w0, x, f_name="w0")
    if len(axes) != 1:
        raise ValueError("x must be one axis: Burgers' equation is solved in 1-D")
    xc = axes[0]
    t = check_nonnegative(t, "t")
    edges = xc[0] - 0.5 * h + h * np.arange(xc.size + 1)
    xp = namespace(w0)
    with np.errstate(over="ignore", invalid="ignore"):
        u0 = xp.concatenate([xp.zeros(1), h * xp.cumsum(w0)])
    if xp is np or not bool(xp.all(xp.isfinite(u0))):  # a device u0: one value read back
        check_finite(to_namespace(u0, np), "the primitive h·cumsum(w0)")
    u0, _, _, ops = grid_function(u0, edges, backend, f_name="w0")  # moved once for "cuda"

    def averages(u):
        # w = u_x by cell, where u is: a numba array (the device loop's) is viewed by CuPy,
        # or without CuPy copied to the host (it has no array operations)
        if is_device_array(u) and not is_cupy_array(u):
            cupy = cupy_module()
            u = cupy.asarray(u) if cupy is not None else to_namespace(u, np)
        return namespace(u).diff(u) / h
    if callback is not None:
        check_callable(callback, "callback")
        user = callback

        def callback(it):
            return user(Iterate(it.nit, averages(it.x), it.values))
    res = hj_march(u0, (edges,), (h,), t, scheme=scheme, dt=dt, cfl=cfl, max_iter=max_iter,
                   callback=callback, backend=backend, method="solve_burgers", f_name="w0",
                   ops=ops)
    res.x = like(averages(res.x), given)
    return res


def burgers_characteristics(fprime, fsecond, x, t, *, max_iter=30, n_seed=20001):
    r"""Classical solution w = f'(x − t w) of Burgers' equation before the shock time.

    Solves x = ξ + t f'(ξ) for the foot ξ of the characteristic through x
    (``max_iter`` Newton steps ξ ← ξ − (ξ + t f'(ξ) − x)/(1 + t f''(ξ)) from a start
    interpolated on ``n_seed`` sample feet) and returns w = f'(ξ). Valid for
    t < t* = −1/min f'' (the map ξ ↦ ξ + t f'(ξ) is then increasing). Newton runs
    its whole budget (it converges quadratically from the interpolated start); a
    residual max|ξ + t f'(ξ) − x| above 1e-8·(1 + max|x|) at the end warns
    :class:`pdeopt.ConvergenceWarning`.

    Parameters
    ----------
    fprime, fsecond : callable
        f' and f'', vectorised (an array in, an array of its shape out).
    x : array_like
        Points where w is wanted; finite, not empty.
    t : float
        Time, 0 ≤ t < t*.
    max_iter : int
        Newton steps, ≥ 1.
    n_seed : int
        Sample feet of the interpolated start, ≥ 2.

    Returns
    -------
    w : ndarray
        f'(ξ(x)), shape of ``x``.

    Raises
    ------
    ValueError
        If the characteristics have crossed on the sampled range (t ≥ t*), or f'
        or f'' return NaN/inf or the wrong shape.

    References
    ----------
    Osher 2018 (Deep Relaxation: Burgers' equation); LeVeque, Finite Volume Methods
    (2002), ch. 11.

    Examples
    --------
    >>> import numpy as np
    >>> w = burgers_characteristics(np.sin, np.cos, np.array([0.0, np.pi]), 0.5)
    >>> np.round(w, 12) + 0.0                 # f'(ξ) at the fixed points ξ = 0, π
    array([0., 0.])
    """
    check_callable(fprime, "fprime")
    check_callable(fsecond, "fsecond")
    x = as_float_array(x, "x", dtype=np.float64)
    t = check_nonnegative(t, "t")
    max_iter = check_integer(max_iter, "max_iter", minimum=1)
    n_seed = check_integer(n_seed, "n_seed", minimum=2)
    span = float(np.ptp(x)) + 1.0
    xi = np.linspace(x.min() - span, x.max() + span, n_seed)
    mapped = xi + t * _call(fprime, "fprime", xi)
    if np.any(np.diff(mapped) <= 0):
        raise ValueError(f"t={t} is past the shock time: characteristics cross")
    foot = np.interp(x, mapped, xi)
    for k in range(max_iter):
        with np.errstate(all="ignore"):
            foot = foot - (foot + t * _call(fprime, "fprime", foot) - x) / (
                1 + t * _call(fsecond, "fsecond", foot))
        if not np.all(np.isfinite(foot)):
            raise DivergenceError(f"burgers_characteristics diverged at Newton step {k + 1}: "
                                  f"the foot became NaN or inf (t={t})")
    residual = float(np.max(np.abs(foot + t * _call(fprime, "fprime", foot) - x)))
    if not residual <= 1e-8 * (1 + float(np.max(np.abs(x)))):
        warnings.warn(f"burgers_characteristics: Newton's residual {residual:.3g} after "
                      f"max_iter={max_iter} steps", ConvergenceWarning, stacklevel=2)
    return _call(fprime, "fprime", foot)


def _call(fn, name, z):
    """``fn(z)`` as a finite float array of z's shape, or a ``ValueError`` naming ``fn``."""
    value = np.asarray(fn(z))
    if value.shape != np.shape(z) or not np.issubdtype(value.dtype, np.number):
        raise ValueError(f"{name} must return a number per point (shape {np.shape(z)}), "
                         f"got shape {value.shape} and dtype {value.dtype}")
    check_finite(value, f"{name}(x)")
    return value.astype(np.float64, copy=False)
