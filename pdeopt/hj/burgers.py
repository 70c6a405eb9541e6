"""Burgers' equation w_t + (w²/2)_x = 0 for the slope w = u_x of the inviscid HJ solution."""
from __future__ import annotations

import numpy as np

from .._checks import as_float_array, check_nonnegative, check_integer
from ._grid import as_grid_function
from .schemes import solve_hj

__all__ = ["solve_burgers", "burgers_characteristics"]


def solve_burgers(w0, x, t, *, scheme="godunov", dt=None, cfl=0.5, backend="auto"):
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
        Initial cell averages, e.g. f'(x).
    x : array_like, shape (N,)
        Uniform increasing cell centres.
    t : float
        Final time, t ≥ 0.
    scheme : {"godunov", "lax-friedrichs", "eno2"}
    dt, cfl, backend
        As in :func:`solve_hj`.

    Returns
    -------
    w : ndarray, shape (N,)
        Cell averages at time t.

    References
    ----------
    Osher 2018 (Deep Relaxation: "Conservation law: Burgers' equation");
    Godunov, Mat. Sb. 47 (1959); LeVeque, Finite Volume Methods (2002), ch. 11–12.
    """
    w0, (xc,), (h,) = as_grid_function(w0, x, f_name="w0")
    t = check_nonnegative(t, "t")
    edges = xc[0] - 0.5 * h + h * np.arange(xc.size + 1)
    u0 = np.concatenate([[0.0], h * np.cumsum(w0)])
    u = solve_hj(u0, edges, t, scheme=scheme, dt=dt, cfl=cfl, backend=backend)
    return np.diff(u) / h


def burgers_characteristics(fprime, fsecond, x, t, *, n_newton=30, n_seed=20001):
    r"""Classical solution w = f'(x − t w) of Burgers' equation before the shock time.

    Solves x = ξ + t f'(ξ) for the foot ξ of the characteristic through x
    (Newton's method from an interpolated start) and returns w = f'(ξ). Valid for
    t < t* = −1/min f'' (the map ξ ↦ ξ + t f'(ξ) is then increasing).

    Parameters
    ----------
    fprime, fsecond : callable
        f' and f'', vectorised.
    x : array_like
        Points where w is wanted.
    t : float
        Time, 0 ≤ t < t*.

    Returns
    -------
    w : ndarray
        f'(ξ(x)), shape of ``x``.

    Raises
    ------
    ValueError
        If the characteristics have crossed on the sampled range (t ≥ t*).
    """
    x = as_float_array(x, "x")
    t = check_nonnegative(t, "t")
    n_newton = check_integer(n_newton, "n_newton", minimum=1)
    span = float(np.ptp(x)) + 1.0
    xi = np.linspace(x.min() - span, x.max() + span, n_seed)
    mapped = xi + t * fprime(xi)
    if np.any(np.diff(mapped) <= 0):
        raise ValueError(f"t={t} is past the shock time: characteristics cross")
    foot = np.interp(x, mapped, xi)
    for _ in range(n_newton):
        foot = foot - (foot + t * fprime(foot) - x) / (1 + t * fsecond(foot))
    return fprime(foot)
