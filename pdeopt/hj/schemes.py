"""Monotone and ENO schemes for the inviscid HJ equation u_t + ½|∇u|² = 0."""
from __future__ import annotations

from .._checks import check_nonnegative, check_option
from .._xp import like
from ..kernels import BACKENDS
from ._grid import callback_like, check_cfl, device_backend, grid_function
from ._stepping import HOST, MAX_STEPS, march, max_slopes, stencil

__all__ = ["solve_hj", "SCHEMES"]

SCHEMES = ("lax-friedrichs", "godunov", "eno2")


def solve_hj(f, x, t, *, scheme="godunov", dt=None, cfl=0.5, max_iter=MAX_STEPS,
             callback=None, backend="auto"):
    r"""Solve u_t + ½|∇u|² = 0, u(·, 0) = f, on a 1-D or 2-D grid by an explicit scheme.

    The viscosity solution is the Hopf–Lax formula (:func:`hopf_lax`); these
    schemes converge to it (Crandall–Lions for the monotone ones).

    ``"lax-friedrichs"``
        u ← u − dt[½((p⁻ + p⁺)/2)² − (α/2)(p⁺ − p⁻)] per axis, α = max|p| of the
        initial data; monotone, first order.
    ``"godunov"``
        u ← u − dt·½ max(max(p⁻, 0)², min(p⁺, 0)²) per axis: the exact Riemann
        solver of the convex H; monotone, first order.
    ``"eno2"``
        Godunov's Hamiltonian on second-order ENO one-sided derivatives
        (Osher–Shu), with Heun's (TVD Runge–Kutta 2) time stepping; second order
        where u is smooth.

    p^± are the one-sided differences. The stable step is
    dt = cfl / Σ_d (P_d/h_d) with P_d = max|∂_d f| (the Lipschitz constant of the
    viscosity solution does not grow in time). With ``dt=None`` the interval is
    **sub-stepped automatically**; a ``dt`` beyond the stable step is **refused**
    with a ``ValueError`` stating the stable step. Boundary: linear extrapolation
    (outflow); in 2-D, Godunov and ENO2 extrapolate only across outflow boundaries and hold
    inflow ones at their boundary value (nothing enters from outside), which keeps the
    step monotone: plain extrapolation let the slopes at inflow edges grow without bound.

    Parameters
    ----------
    f : array_like, shape (N,) or (N0, N1)
        Initial data; finite.
    x : array_like, shape (N,), or tuple (x0, x1)
        Uniform increasing grid axes (at least 3 nodes each).
    t : float
        Final time, t ≥ 0.
    scheme : {"lax-friedrichs", "godunov", "eno2"}
    dt : float, optional
        Time step > 0 (refused if unstable); default: the stable step.
    cfl : float
        CFL number in (0, 1].
    max_iter : int
        The most time steps allowed; a run that needs more is refused before it starts.
    callback : callable, optional
        ``callback(it)`` after each step with a :class:`pdeopt.Iterate` (``it.x`` is
        the solution buffer at time ``it.values["time"]``, reused by the next step:
        copy it to keep it; with ``backend="cuda"`` on the device: a CuPy array for a CuPy
        ``f``, else a numba device array); returning True stops the run (``status=4``).
    backend : {"auto", "numpy", "numba", "cuda"}
        ``"cuda"`` (``"auto"`` for a device ``f``): the whole time loop on the GPU. ``f``
        may then be a device array (CuPy, a numba device array, any
        ``__cuda_array_interface__`` object; it is solved in float64, float32 converted
        by CuPy) and ``x`` is of its kind; a host ``f`` is moved to the device once and
        u(·, t) back once. The stencils are numba.cuda kernels on numba views of the
        buffers; the max-slope reductions that fix the step run once on the device
        before the loop, and inside it only the NaN/inf check every 64 steps reads a
        value back (a sync). Needs numba.cuda on a GPU (CuPy, ``pip install
        pdeopt[gpu]``, for CuPy arrays and float32 input); where numba.cuda cannot run,
        CuPy runs the loop with the NumPy twins.

    Returns
    -------
    pdeopt.Result
        ``x`` is u(·, t), shape ``f.shape``, an array of f's kind; ``nit`` the number of
        time steps;
        ``history`` holds per step ``time``, ``dt`` and ``cfl`` (the CFL number
        dt·Σ_d P_d/h_d); ``info`` the scheme, ``t``, ``dt``, ``cfl`` and ``backend``.

    Raises
    ------
    ValueError
        t < 0, cfl outside (0, 1], an unstable ``dt``, more than ``max_iter``
        steps, a bad grid, NaN/inf in f, an unknown scheme.

    References
    ----------
    Osher & Sethian, J. Comput. Phys. 79 (1988); Osher & Shu, SIAM J. Numer. Anal.
    28 (1991); Crandall & Lions, Math. Comp. 43 (1984); Osher 2018 (Deep Relaxation).

    Examples
    --------
    >>> import numpy as np
    >>> x = np.linspace(-2, 2, 201)
    >>> res = solve_hj(0.5 * x**2, x, 1.0)        # exact: u = x²/(2(1 + t))
    >>> bool(np.max(np.abs(res.x - x**2 / 4)[50:151]) < 0.01), res.nit, res.success
    (True, 199, True)
    """
    backend = device_backend(check_option(backend, "backend", BACKENDS), f)
    given = f
    f, axes, spacings, ops = grid_function(f, x, backend)
    t = check_nonnegative(t, "t")
    res = hj_march(f, axes, spacings, t, scheme=scheme, dt=dt, cfl=cfl, max_iter=max_iter,
                   callback=callback_like(callback, given), backend=backend,
                   method="solve_hj", ops=ops)
    res.x = like(res.x, given)
    return res


def hj_march(f, axes, spacings, t, *, scheme, dt, cfl, max_iter, callback, backend, method,
             f_name="f", ops=HOST):
    """:func:`solve_hj` on a checked grid function (shared with :func:`solve_burgers`);
    ``ops`` are the array operations of f's kind (on the device for ``backend="cuda"``)."""
    check_option(scheme, "scheme", SCHEMES)
    check_option(backend, "backend", BACKENDS)
    cfl = check_cfl(cfl)
    dim = len(axes)
    slopes = max_slopes(f, spacings, f_name)
    rate = sum(p / h for p, h in zip(slopes, spacings))
    dt_stable = cfl / rate if rate > 0 else float("inf")
    kernels = kernel_backend(backend, ops)
    if scheme == "lax-friedrichs":
        kernel = stencil("lax_friedrichs_step", dim, kernels)
        # α ≥ max|H'(p)| = max|p|, at least a little above 0 to keep the scheme monotone
        alphas = [max(p, 1e-12) for p in slopes]

        def step(u, k, out):
            return kernel(u, *spacings, k, *alphas, out=out)
    else:
        kernel = stencil("godunov_step", dim, kernels)
        if scheme == "godunov":
            def step(u, k, out):
                return kernel(u, *spacings, k, 1, out=out)
        else:
            stage = ops.empty_like(f)

            def step(u, k, out):
                # Heun / TVD-RK2: u_new = ½(u + E(E(u))); numba.cuda averages in E's pass
                kernel(u, *spacings, k, 2, out=stage)
                if ops.average is None:
                    return kernel(stage, *spacings, k, 2, out=out, average_with=u)
                kernel(stage, *spacings, k, 2, out=out)
                return ops.average(out, u)
    return march(f, t, dt_stable, step, dt=dt, max_iter=max_iter, callback=callback,
                 method=method, what=f"{scheme} scheme", rate=rate, scheme=scheme, cfl=cfl,
                 backend=backend, ops=ops, **device_info(ops, kernels))


def kernel_backend(backend, ops):
    """The stencils' backend: the one asked for on the host; on the device numba.cuda's
    kernels, or where numba.cuda cannot run (the loop in CuPy) the NumPy twins in CuPy."""
    if ops.where == "host":
        return backend
    return "cuda" if ops.where == "numba" else "numpy"


def device_info(ops, kernels):
    """What a device run reports in ``info``: where the arrays live, what ran the stencils."""
    if ops.where == "host":
        return {}
    return {"device": ops.where,
            "stencils": "numba.cuda" if kernels == "cuda" else "NumPy twins on CuPy"}
