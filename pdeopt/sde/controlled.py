"""Controlled SGD in 1-D: the forward–backward HJB / Fokker–Planck system and its paths."""
from __future__ import annotations

import math

import numpy as np
from scipy.linalg import solve_banded

from .._checks import (as_float_array, as_rng, check_callable, check_finite, check_integer,
                       check_object, check_positive, check_uniform_grid)
from .._result import Recorder
from ..kernels import select

__all__ = ["controlled_sgd", "controlled_sgd_paths", "check_density"]


def check_density(rho, x, name="rho"):
    """Return ``rho`` normalized to unit mass on the grid ``x``; ``ValueError`` if it cannot be.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.linspace(0.0, 1.0, 5)  # a uniform, increasing grid
    >>> check_density(np.ones(5), x).tolist()  # mass Σρ·h = 5 · 0.25
    [0.8, 0.8, 0.8, 0.8, 0.8]
    """
    check_uniform_grid(x, "x")
    x = as_float_array(x, "x", ndim=1)
    rho = as_float_array(rho, name, ndim=1)
    if rho.shape != x.shape:
        raise ValueError(f"{name} must have the shape of the grid x, {x.shape}, got "
                         f"{rho.shape}")
    if np.any(rho < 0):
        raise ValueError(f"{name} is not a density: it has negative values (min {rho.min():.3g})")
    mass = float(np.sum(rho) * (x[1] - x[0]))
    if not (mass > 0 and np.isfinite(mass)):
        raise ValueError(f"{name} is not normalizable: its mass on the grid is {mass}")
    return rho / mass


def _generator_bands(drift, diffusion, h):
    """Bands of Q, the upwind Markov-chain generator of dx = b dt + √(2D) dW (reflecting)."""
    up = diffusion / h ** 2 + np.maximum(drift, 0.0) / h
    down = diffusion / h ** 2 + np.maximum(-drift, 0.0) / h
    up[-1] = 0.0
    down[0] = 0.0
    return up, down


def _implicit_step(up, down, dt, rhs, transpose):
    """Solve (I − dt·Q) v = rhs, or (I − dt·Qᵀ) v = rhs, for the tridiagonal Q."""
    n = rhs.size
    ab = np.zeros((3, n))
    ab[1] = 1.0 + dt * (up + down)
    if transpose:  # Qᵀ[j, j−1] = up[j−1], Qᵀ[j, j+1] = down[j+1]
        ab[0, 1:] = -dt * down[1:]
        ab[2, :-1] = -dt * up[:-1]
    else:          # Q[j, j+1] = up[j], Q[j, j−1] = down[j]
        ab[0, 1:] = -dt * up[:-1]
        ab[2, :-1] = -dt * down[1:]
    return solve_banded((1, 1), ab, rhs)


def _log_implicit_solver(up, down, dt):
    """``log v ↦ log (I − dt·Q)⁻¹v`` for positive v: the Thomas algorithm on logarithms.

    Row j of I − dt·Q reads (1 + a_j + c_j)v_j − a_j v_{j−1} − c_j v_{j+1} with
    a = dt·down ≥ 0, c = dt·up ≥ 0 (an M-matrix). Elimination without pivoting keeps
    every pivot ≥ 1 + c_j and only ever adds positive terms, so it runs on logarithms
    without cancellation: the two sweeps are linear recurrences with positive
    coefficients, summed by ``logaddexp.accumulate``. This is what lets e^{−βV/2},
    which spans far more than the float range at large β, stay exact.
    """
    a, c = dt * down, dt * up
    den = np.empty_like(a)
    cp = np.empty_like(a)
    den[0], cp[0] = 1.0 + a[0] + c[0], c[0] / (1.0 + a[0] + c[0])
    for j in range(1, a.size):  # the pivots: the same for every right-hand side
        den[j] = 1.0 + c[j] + a[j] * (1.0 - cp[j - 1])
        cp[j] = c[j] / den[j]
    log_den = np.log(den)
    # forward d'_j = (r_j + a_j d'_{j−1})/den_j = Σ_{i≤j} r_i/den_i · e^{G_j − G_i}
    g = np.concatenate([[0.0], np.cumsum(np.log(a[1:]) - log_den[1:])])
    # back w_j = d'_j + cp_j w_{j+1} = Σ_{i≥j} d'_i · e^{P_i − P_j}
    p = np.concatenate([[0.0], np.cumsum(np.log(cp[:-1]))])

    def solve(log_rhs):
        log_d = g + np.logaddexp.accumulate(log_rhs - log_den - g)
        return np.logaddexp.accumulate((log_d + p)[::-1])[::-1] - p
    return solve


def controlled_sgd(grad_f, V, x, rho0, *, t, n_steps, beta=2.0):
    r"""Solve the forward–backward system of controlled SGD in one dimension.

    SGD, dx = −f′(x) dt + √(2/β) dW, and the optimally controlled SGD
    dx = −f′ dt − α dt + √(2/β) dW minimizing E[V(x(T)) + ½∫|α|² dt], whose value
    function solves the HJB equation backward from u(x, T) = V(x),

    .. math::

        -u_t = -f' u_x - \tfrac12 |u_x|^2 + \beta^{-1} u_{xx}, \qquad \alpha = u_x,

    while the densities solve the Fokker–Planck equations forward from ρ₀,

    .. math::

        \rho_t = \big((f' + \alpha)\rho\big)_x + \beta^{-1}\rho_{xx}
        \quad (\alpha = 0 \text{ for SGD}).

    The HJB is linearized by Cole–Hopf, u = −(2/β) log w with
    −w_t = −f′w_x + β⁻¹w_xx, w(T) = e^{−βV/2}, and w is computed in the log domain
    (log w only, never w: at large β, e^{−βV/2} spans more than the float range).
    Space: the upwind Markov-chain generator Q on the grid (reflecting ends), so the
    discrete forward equation (p_t = Qᵀp) conserves mass and positivity; time:
    implicit Euler. Upwinding adds a numerical diffusion of about |f′|h/2, which must
    stay small against 1/β for the discrete solution to show the theorem's
    improvement: at large β refine the grid (u stays finite either way).

    The expected-improvement theorem (Theorem 7 of the seed, β = 2) reads
    E V(x_csgd(T)) + ½E∫|α|² = ∫u(·, 0)ρ₀ ≤ E V(x_sgd(T)).

    Parameters
    ----------
    grad_f, V : callable
        f′ and the terminal loss V, evaluated on the grid (finite arrays of its shape).
    x : array_like
        Uniform grid, wide enough that the densities vanish at its ends.
    rho0 : array_like
        Initial density on the grid (normalized here; ``ValueError`` if it is not
        normalizable).
    t : float
        Horizon T > 0.
    n_steps : int
        Time steps ≥ 1 of the discretization (dt = t / n_steps); not an iteration
        budget: the solve always runs all of them.
    beta : float
        Inverse temperature > 0 (the theorem's β = 2: unit noise).

    Returns
    -------
    Result
        ``x``: the final density of controlled SGD, ρ_csgd(·, T), on the grid.
        ``history`` (one row per time level t_0 = 0 … t_n = T, arrays indexed
        ``[time, x]``): ``time``, ``u`` (value function), ``alpha`` (control ∂ₓu),
        ``rho_sgd`` and ``rho_csgd`` (densities). ``info``: ``grid``, ``V``, ``drift``
        (−f′), ``beta``, ``expected_V_sgd`` = E V(x_sgd(T)), ``expected_V_csgd``,
        ``control_cost`` = ½E∫|α|² dt, ``value`` = ∫u(·, 0)ρ₀ (the optimal cost) and
        ``improvement`` = E V(sgd) − E V(csgd) − ½E∫|α|² (≥ 0 by the theorem).
        ``nit``: the time steps (status 1: a solver has no stopping test).

    References
    ----------
    Oberman, "Deep relaxation: PDEs for optimizing deep neural networks", slides,
    2017 (Forward–backward equations, Theorem 7). Chaudhari, Oberman, Osher,
    Soatto, Carlier, Res. Math. Sci. 2018. Kushner & Dupuis, Numerical Methods for
    Stochastic Control Problems in Continuous Time (upwind Markov chains).

    Examples
    --------
    >>> import numpy as np
    >>> x = np.linspace(-3.0, 3.0, 121)
    >>> f = lambda y: 0.5 * (y ** 2 - 1) ** 2 + 0.3 * y
    >>> df = lambda y: 2 * y * (y ** 2 - 1) + 0.3
    >>> res = controlled_sgd(df, f, x, np.exp(-(x - 1) ** 2 / 0.18), t=1.0, n_steps=50)
    >>> bool(res.info["improvement"] > 0), res.history["u"].shape
    (True, (51, 121))
    """
    check_callable(grad_f, "grad_f")
    check_callable(V, "V")
    h = check_uniform_grid(x, "x")
    x = as_float_array(x, "x", ndim=1)
    t = check_positive(t, "t")
    n_steps = check_integer(n_steps, "n_steps", minimum=1)
    beta = check_positive(beta, "beta")
    rho0 = check_density(rho0, x, "rho0")
    diffusion = 1.0 / beta
    dt = t / n_steps
    drift = -np.asarray(grad_f(x), dtype=float)
    v_T = np.asarray(V(x), dtype=float)
    if drift.shape != x.shape or v_T.shape != x.shape:
        raise ValueError("grad_f(x) and V(x) must return arrays of the grid's shape")
    check_finite(drift, "grad_f(x)")
    check_finite(v_T, "V(x)")
    rec = Recorder("controlled_sgd", max_iter=n_steps, t=t, dt=dt, beta=beta, n_grid=x.size)

    # Backward, in the log domain: log w(T) = −(V − min V)/(2D), then implicit steps.
    up, down = _generator_bands(drift, diffusion, h)
    solve = _log_implicit_solver(up, down, dt)
    log_w = np.empty((n_steps + 1, x.size))
    log_w[-1] = -(v_T - v_T.min()) / (2 * diffusion)
    for n in range(n_steps - 1, -1, -1):
        log_w[n] = solve(log_w[n + 1])
    u = v_T.min() - 2 * diffusion * log_w
    alpha = np.gradient(u, h, axis=1)
    rec.require_finite(alpha, 0, "the control alpha = u_x", beta=beta)

    # Forward: masses p = ρh, for SGD (α = 0) and controlled SGD (drift −f′ − α(t_n)).
    p_sgd = np.empty_like(u)
    p_csgd = np.empty_like(u)
    p_sgd[0] = p_csgd[0] = rho0 * h
    cost = 0.0
    times = np.linspace(0.0, t, n_steps + 1)
    for n in range(n_steps):  # no partial result: an interrupt propagates
        p_sgd[n + 1] = _implicit_step(up, down, dt, p_sgd[n], transpose=True)
        cu, cd = _generator_bands(drift - alpha[n], diffusion, h)
        cost += 0.5 * dt * float(np.sum(alpha[n] ** 2 * p_csgd[n]))
        p_csgd[n + 1] = _implicit_step(cu, cd, dt, p_csgd[n], transpose=True)
        rec.require_finite(p_csgd[n + 1], n, "the controlled density", beta=beta)
        rec.end_iteration()
    for n in range(n_steps + 1):
        rec.log(time=times[n], u=u[n], alpha=alpha[n], rho_sgd=p_sgd[n] / h,
                rho_csgd=p_csgd[n] / h)
    e_sgd, e_csgd = float(p_sgd[-1] @ v_T), float(p_csgd[-1] @ v_T)
    return rec.result(p_csgd[-1] / h, grid=x, V=v_T, drift=drift, beta=beta,
                      expected_V_sgd=e_sgd, expected_V_csgd=e_csgd, control_cost=cost,
                      value=float(u[0] @ (rho0 * h)), improvement=e_sgd - e_csgd - cost)


def controlled_sgd_paths(solution, V, *, n_paths, rng=None, backend="auto"):
    r"""Monte Carlo check of a :func:`controlled_sgd` solution by Euler–Maruyama paths.

    Starts ``n_paths`` points drawn from ρ₀ and integrates SGD and controlled SGD
    (control α(x, t_k) interpolated from the solution's grid) with the *same*
    noise (kernel ``sde.em_tabulated``), so that differences have small variance:

    .. math::

        x_{k+1} = x_k + \big(-f'(x_k) - \alpha(x_k, t_k)\big)\Delta t
                  + \sqrt{2\Delta t/\beta}\; z_k

    (α = 0 for SGD), and ½∫|α|² dt by the left-point rule along each path.

    Parameters
    ----------
    solution : Result
        What :func:`controlled_sgd` returned.
    V : callable
        The terminal loss, evaluated at the final positions.
    n_paths : int
        Paths ≥ 2 (for a standard error).
    rng : None, int or numpy.random.Generator
        The starting points and the noise key.
    backend : {"auto", "numpy", "numba"}

    Returns
    -------
    Result
        ``x``: the final positions of controlled SGD; ``info``: ``V_sgd``, ``V_csgd``,
        ``control_cost``, ``improvement`` (E V(sgd) − E V(csgd) − ½E∫|α|²), each a pair
        (mean, standard error), and ``x_sgd``, the final positions of SGD. ``nit``: the
        time steps.

    Examples
    --------
    SGD in the quadratic well f = V = y²/2 started from ρ₀ = N(1, 0.1):

    >>> import numpy as np
    >>> x = np.linspace(-4.0, 4.0, 161)
    >>> sol = controlled_sgd(lambda y: y, lambda y: 0.5 * y ** 2, x,
    ...                      np.exp(-(x - 1) ** 2 / 0.2), t=0.5, n_steps=25)
    >>> mc = controlled_sgd_paths(sol, lambda y: 0.5 * y ** 2, n_paths=500, rng=0)
    >>> mean, se = mc.info["V_sgd"]
    >>> bool(abs(mean - sol.info["expected_V_sgd"]) < 4 * se + 0.05)
    True
    """
    check_object(solution, "solution", "history", "info",
                 kind="the Result of controlled_sgd")
    if solution.info.get("method") != "controlled_sgd" or "rho_csgd" not in solution.history:
        raise TypeError("solution must be the Result of controlled_sgd, got one of "
                        f"{solution.info.get('method')!r}")
    check_callable(V, "V")
    n_paths = check_integer(n_paths, "n_paths", minimum=2)
    gen = as_rng(rng)
    kernel = select("sde.em_tabulated", backend)
    x, t = solution.info["grid"], solution.history["time"]
    alpha, drift = solution.history["alpha"], solution.info["drift"]
    h, dt = x[1] - x[0], t[1] - t[0]
    cdf = np.cumsum(solution.history["rho_csgd"][0])
    cdf /= cdf[-1]
    x0 = np.interp(gen.uniform(size=n_paths), cdf, x)
    key = int(gen.integers(0, 2 ** 63))
    paths = np.arange(n_paths, dtype=np.int64)
    sigma = math.sqrt(2.0 / solution.info["beta"])
    n = t.size - 1
    zeros = np.zeros((n, x.size))
    rec = Recorder("controlled_sgd_paths", n_paths=n_paths, backend=backend)
    x_sgd, _ = kernel(x0, paths, np.broadcast_to(drift, (n, x.size)), zeros,
                      x[0], h, dt, sigma, 0, key)
    x_csgd, integral = kernel(x0, paths, drift - alpha[:-1], alpha[:-1] ** 2, x[0], h, dt,
                              sigma, 0, key)
    rec.require_finite(np.concatenate([x_sgd, x_csgd]), n, "a path")
    rec.nit = n
    v_sgd = np.asarray(V(x_sgd), dtype=float)
    v_csgd = np.asarray(V(x_csgd), dtype=float)
    half = 0.5 * integral
    if v_sgd.shape != x_sgd.shape or v_csgd.shape != x_csgd.shape:
        raise ValueError(f"V must return one value per path, shape {x_sgd.shape}")
    check_finite(v_sgd, "V(x_sgd)")
    check_finite(v_csgd, "V(x_csgd)")

    def mean_se(a):
        return float(np.mean(a)), float(np.std(a, ddof=1) / math.sqrt(a.size))

    return rec.result(x_csgd, V_sgd=mean_se(v_sgd), V_csgd=mean_se(v_csgd),
                      control_cost=mean_se(half), improvement=mean_se(v_sgd - v_csgd - half),
                      x_sgd=x_sgd)
