"""Finite-difference solution of the viscous HJ equation u_t + ½|∇u|² = (ε/2)Δu."""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from .._checks import check_choice, check_nonnegative, check_positive
from ..kernels import BACKENDS
from ._grid import as_grid_function, check_cfl
from ._stepping import march, max_slopes, stencil

__all__ = ["solve_viscous_hj"]

METHODS = ("explicit", "crank-nicolson")


def solve_viscous_hj(f, x, t, viscosity=1.0, *, method="explicit", dt=None, cfl=0.5,
                     backend="auto"):
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
    backend : {"auto", "numpy", "numba", "cuda"}
        Kernel backend of the explicit steps.

    Returns
    -------
    u : ndarray
        u(·, t) on the grid, shape ``f.shape``.

    Raises
    ------
    ValueError
        t < 0, ε ≤ 0, cfl outside (0, 1], an unstable ``dt``, a bad grid, NaN/inf in f.

    References
    ----------
    Osher 2018 (Deep Relaxation: local entropy as a viscous HJ equation, Cole–Hopf);
    Chaudhari, Oberman, Osher, Soatto, Carlier, Res. Math. Sci. 2018.
    """
    f, axes, spacings = as_grid_function(f, x)
    t = check_nonnegative(t, "t")
    eps = check_positive(viscosity, "viscosity")
    check_choice(method, "method", METHODS)
    check_choice(backend, "backend", BACKENDS)
    cfl = check_cfl(cfl)
    dim = len(axes)
    slopes = max_slopes(f, spacings)
    if method == "explicit":
        kernel = stencil("viscous_step", dim, backend)
        diffusion = 1.0 / sum(eps / h**2 for h in spacings)
        advection = eps / sum(p**2 for p in slopes) if any(slopes) else np.inf
        dt_stable = cfl * min(diffusion, advection)
        u, _ = march(f, t, dt_stable, lambda u, k, out: kernel(u, *spacings, k, eps, out=out),
                     dt=dt, what="explicit viscous HJ step")
        return u
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

    u, _ = march(f, t, dt_stable, strang, dt=dt, what="Crank–Nicolson viscous HJ step")
    return u


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
