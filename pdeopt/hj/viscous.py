"""Finite-difference solution of the viscous HJ equation u_t + ½|∇u|² = (ε/2)Δu."""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from .._checks import check_nonnegative, check_option, check_positive
from .._xp import is_device_array, like
from ..kernels import BACKENDS
from ._grid import callback_like, check_cfl, device_backend, grid_function
from ._stepping import MAX_STEPS, march, max_slopes, stencil
from .schemes import device_info, kernel_backend

__all__ = ["solve_viscous_hj"]

METHODS = ("explicit", "crank-nicolson")


def solve_viscous_hj(f, x, t, viscosity=1.0, *, method="explicit", dt=None, cfl=0.5,
                     max_iter=MAX_STEPS, callback=None, backend="auto"):
    r"""Solve u_t + ½|∇u|² = (ε/2)Δu, u(·, 0) = f, by finite differences on a 1-D or 2-D grid.

    Its exact solution is the Cole–Hopf formula u = −ε log(G_{εt} * e^{−f/ε});
    for ε = 1 it is the local entropy f_t (:func:`local_entropy`).

    ``method="explicit"``
        Forward Euler with central differences (the ``hj.viscous_step`` kernel):
        u ← u − dt[½((u_{i+1} − u_{i−1})/(2h))² − (ε/2)(u_{i+1} − 2u_i + u_{i−1})/h²],
        summed over the axes; second order in space, first in time.
        Stable for dt ≤ min(1/Σ_d(ε/h_d²), ε/Σ_d P_d²) with P_d = max|∂_d f|
        (diffusion limit and the central-advection limit of forward Euler); the
        step used is ``cfl`` times that bound.
    ``method="crank-nicolson"``
        Strang splitting: a half step of diffusion by Crank–Nicolson (sparse LU,
        factorised once), a full step of u_t + ½|∇u|² = 0 by the second-order
        ENO–Godunov scheme with Heun's method, another half step of diffusion.
        Second order; the step is limited only by the hyperbolic CFL condition
        dt·Σ_d P_d/h_d ≤ ``cfl``, not by h²/ε.

    Time stepping: with ``dt=None`` the interval [0, t] is **sub-stepped
    automatically** into equal steps no larger than the stable step; an explicit
    ``dt`` above the stable step is **refused** (``ValueError`` giving the stable
    step). Boundary: linear extrapolation (zero second derivative at the edges),
    appropriate where characteristics leave the domain (f growing outwards).

    Parameters
    ----------
    f : array_like, shape (N,) or (N0, N1)
        Initial data on the grid; finite.
    x : array_like, shape (N,), or tuple (x0, x1)
        Uniform increasing grid axes.
    t : float
        Final time, t ≥ 0.
    viscosity : float
        ε > 0.
    method : {"explicit", "crank-nicolson"}
    dt : float, optional
        Time step (refused if unstable); default: the stable step.
    cfl : float
        Fraction of the stability bound used, in (0, 1].
    max_iter : int
        The most time steps allowed; a run that needs more is refused before it starts.
    callback : callable, optional
        As in :func:`solve_hj`.
    backend : {"auto", "numpy", "numba", "cuda"}
        Kernel backend of the explicit steps. ``"cuda"`` (``method="explicit"`` only: the
        Crank–Nicolson LU runs on the host) solves on the GPU, with ``f`` a host or
        device array and ``x`` of f's kind, as in :func:`solve_hj`.

    Returns
    -------
    pdeopt.Result
        ``x`` is u(·, t) on the grid, shape ``f.shape``; ``nit`` the number of time
        steps; ``history`` holds per step ``time``, ``dt`` and ``cfl`` (dt over the
        stability bound of the method: at most ``cfl``).

    Raises
    ------
    ValueError
        t < 0, ε ≤ 0, cfl outside (0, 1], an unstable ``dt``, more than ``max_iter``
        steps, a bad grid, NaN/inf in f, ``method="crank-nicolson"`` with
        ``backend="cuda"``.

    References
    ----------
    Osher 2018 (Deep Relaxation: local entropy as a viscous HJ equation, Cole–Hopf);
    Chaudhari, Oberman, Osher, Soatto, Carlier, Res. Math. Sci. 2018.

    Examples
    --------
    >>> import numpy as np
    >>> from pdeopt.hj import local_entropy
    >>> x = np.linspace(-4, 4, 81)
    >>> f = 0.25 * x**2 + np.cos(2 * x)
    >>> res = solve_viscous_hj(f, x, 0.5)          # Cole–Hopf: the local entropy f_t
    >>> bool(np.max(np.abs(res.x - local_entropy(f, x, 0.5))[20:61]) < 0.02), res.nit
    (True, 100)
    """
    check_option(method, "method", METHODS)
    backend = device_backend(check_option(backend, "backend", BACKENDS), f)
    if method == "crank-nicolson" and (backend == "cuda" or is_device_array(f)):
        raise ValueError("method='crank-nicolson' runs on the host (SciPy's sparse LU): "
                         "use method='explicit' with backend='cuda' or a device array f")
    given = f
    f, axes, spacings, ops = grid_function(f, x, backend)
    t = check_nonnegative(t, "t")
    eps = check_positive(viscosity, "viscosity")
    cfl = check_cfl(cfl)
    dim = len(axes)
    slopes = max_slopes(f, spacings)
    common = dict(dt=dt, max_iter=max_iter, callback=callback_like(callback, given),
                  method="solve_viscous_hj", viscosity=eps, scheme=method, cfl=cfl,
                  backend=backend)
    if method == "explicit":
        kernels = kernel_backend(backend, ops)
        kernel = stencil("viscous_step", dim, kernels)
        # in float64 with overflow to inf (then a zero stable step, refused by march)
        with np.errstate(over="ignore", divide="ignore"):
            diffusion = 1.0 / np.sum(eps / np.square(spacings))
            square = np.sum(np.square(slopes))
            advection = eps / square if square > 0 else np.inf
            bound = float(min(diffusion, advection))
        rate = 1 / bound if bound > 0 else np.inf
        res = march(f, t, cfl * bound, lambda u, k, out: kernel(u, *spacings, k, eps, out=out),
                    what="explicit viscous HJ step", rate=rate, ops=ops,
                    **device_info(ops, kernels), **common)
        res.x = like(res.x, given)
        return res
    godunov = stencil("godunov_step", dim, backend)
    rate = sum(p / h for p, h in zip(slopes, spacings))
    dt_stable = cfl / rate if rate > 0 else t if t > 0 else np.inf
    lap = _laplacian(f.shape, spacings)
    solvers = {}

    def diffuse(u, k):
        # Crank–Nicolson for u_t = (ε/2)Δu over time k
        if k not in solvers:
            eye = sp.identity(u.size, format="csc")
            solvers[k] = (spla.splu((eye - 0.25 * k * eps * lap).tocsc()),
                          (eye + 0.25 * k * eps * lap).tocsr())
        lu, rhs = solvers[k]
        return lu.solve(rhs @ u.ravel()).reshape(u.shape)

    def strang(u, k, out):
        u = diffuse(u, 0.5 * k)
        u1 = godunov(u, *spacings, k, 2)
        u = 0.5 * (u + godunov(u1, *spacings, k, 2))
        return diffuse(u, 0.5 * k)

    return march(f, t, dt_stable, strang, what="Crank–Nicolson viscous HJ step", rate=rate,
                 **common)


def _laplacian(shape, spacings):
    """Sparse 5-point Laplacian with zero rows at the edges (linear-extrapolation ghosts)."""
    ops = []
    for n, h in zip(shape, spacings):
        main = np.full(n, -2.0)
        off = np.ones(n - 1)
        d2 = sp.diags([off, main, off], [-1, 0, 1], format="lil")
        d2[0, :] = 0
        d2[n - 1, :] = 0
        ops.append(d2.tocsr() / h**2)
    if len(ops) == 1:
        return ops[0]
    i0, i1 = (sp.identity(n, format="csr") for n in shape)
    return sp.kron(ops[0], i1) + sp.kron(i0, ops[1])
