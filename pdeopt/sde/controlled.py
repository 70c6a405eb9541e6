"""Controlled SGD in 1-D: the forward–backward HJB / Fokker–Planck system and its paths."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.linalg import solve_banded

from .._checks import (as_float_array, as_rng, check_integer, check_positive,
                       check_uniform_grid)
from ..kernels import select

__all__ = ["ControlledSGD", "controlled_sgd", "controlled_sgd_paths", "check_density"]


def check_density(rho, x, name="rho0"):
    """Return ``rho`` normalized to unit mass on the grid ``x``; ``ValueError`` if it cannot be."""
    rho = as_float_array(rho, name, ndim=1)
    if rho.shape != x.shape:
        raise ValueError(f"{name} must have the grid's shape {x.shape}, got {rho.shape}")
    if np.any(rho < 0):
        raise ValueError(f"{name} is not a density: it has negative values (min {rho.min():.3g})")
    mass = float(np.sum(rho) * (x[1] - x[0]))
    if not (mass > 0 and np.isfinite(mass)):
        raise ValueError(f"{name} is not normalizable: its mass on the grid is {mass}")
    return rho / mass


@dataclass
class ControlledSGD:
    """The solved forward–backward system on a grid (arrays are indexed ``[time, x]``).

    Attributes
    ----------
    x, t : ndarray
        Grid and time levels (``t[-1] = T``).
    u, alpha : ndarray
        The value function u(x, t) and the optimal control α = ∂ₓu.
    rho_sgd, rho_csgd : ndarray
        Densities of SGD and of controlled SGD.
    drift : ndarray
        −f′ on the grid.
    expected_V_sgd, expected_V_csgd, control_cost, value : float
        E[V(x_sgd(T))], E[V(x_csgd(T))], ½E∫|α|² dt and ∫u(·, 0)ρ₀ (the optimal cost).
    beta : float
    """

    x: np.ndarray
    t: np.ndarray
    u: np.ndarray
    alpha: np.ndarray
    rho_sgd: np.ndarray
    rho_csgd: np.ndarray
    V: np.ndarray
    drift: np.ndarray
    expected_V_sgd: float
    expected_V_csgd: float
    control_cost: float
    value: float
    beta: float

    @property
    def improvement(self) -> float:
        """E V(sgd) − E V(csgd) − ½E∫|α|², ≥ 0 by the expected-improvement theorem."""
        return self.expected_V_sgd - self.expected_V_csgd - self.control_cost


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


def controlled_sgd(grad_f, V, x, rho0, *, T, n_steps, beta=2.0):
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
    −w_t = −f′w_x + β⁻¹w_xx, w(T) = e^{−βV/2}. Space: the upwind Markov-chain
    generator Q on the grid (reflecting ends), so the discrete forward equation
    (p_t = Qᵀp) conserves mass and positivity; time: implicit Euler.

    The expected-improvement theorem (Theorem 7 of the seed, β = 2) reads
    E V(x_csgd(T)) + ½E∫|α|² = ∫u(·, 0)ρ₀ ≤ E V(x_sgd(T)).

    Parameters
    ----------
    grad_f, V : callable
        f′ and the terminal loss V, evaluated on the grid.
    x : array_like
        Uniform grid, wide enough that the densities vanish at its ends.
    rho0 : array_like
        Initial density on the grid (normalized here; ``ValueError`` if it is not
        normalizable).
    T : float
        Horizon > 0.
    n_steps : int
        Time steps ≥ 1.
    beta : float
        Inverse temperature > 0 (the theorem's β = 2: unit noise).

    Returns
    -------
    ControlledSGD

    References
    ----------
    Oberman, "Deep relaxation: PDEs for optimizing deep neural networks", slides,
    2017 (Forward–backward equations, Theorem 7). Chaudhari, Oberman, Osher,
    Soatto, Carlier, Res. Math. Sci. 2018. Kushner & Dupuis, Numerical Methods for
    Stochastic Control Problems in Continuous Time (upwind Markov chains).
    """
    h = check_uniform_grid(x, "x")
    x = as_float_array(x, "x", ndim=1)
    T = check_positive(T, "T")
    n_steps = check_integer(n_steps, "n_steps", minimum=1)
    beta = check_positive(beta, "beta")
    rho0 = check_density(rho0, x)
    diffusion = 1.0 / beta
    dt = T / n_steps
    drift = -np.asarray(grad_f(x), dtype=float)
    v_T = np.asarray(V(x), dtype=float)
    if drift.shape != x.shape or v_T.shape != x.shape:
        raise ValueError("grad_f(x) and V(x) must return arrays of the grid's shape")

    # Backward: w = E[e^{−V/(2D)}], shifted by min V so nothing underflows.
    up, down = _generator_bands(drift, diffusion, h)
    w = np.empty((n_steps + 1, x.size))
    w[-1] = np.exp(-(v_T - v_T.min()) / (2 * diffusion))
    for n in range(n_steps - 1, -1, -1):
        w[n] = _implicit_step(up, down, dt, w[n + 1], transpose=False)
    u = v_T.min() - 2 * diffusion * np.log(w)
    alpha = np.gradient(u, h, axis=1)

    # Forward: masses p = ρh, for SGD (α = 0) and controlled SGD (drift −f′ − α(t_n)).
    p_sgd = np.empty_like(w)
    p_csgd = np.empty_like(w)
    p_sgd[0] = p_csgd[0] = rho0 * h
    cost = 0.0
    for n in range(n_steps):
        p_sgd[n + 1] = _implicit_step(up, down, dt, p_sgd[n], transpose=True)
        cu, cd = _generator_bands(drift - alpha[n], diffusion, h)
        cost += 0.5 * dt * float(np.sum(alpha[n] ** 2 * p_csgd[n]))
        p_csgd[n + 1] = _implicit_step(cu, cd, dt, p_csgd[n], transpose=True)
    return ControlledSGD(
        x=x, t=np.linspace(0.0, T, n_steps + 1), u=u, alpha=alpha, rho_sgd=p_sgd / h,
        rho_csgd=p_csgd / h, V=v_T, drift=drift,
        expected_V_sgd=float(p_sgd[-1] @ v_T), expected_V_csgd=float(p_csgd[-1] @ v_T),
        control_cost=cost, value=float(u[0] @ (rho0 * h)), beta=beta)


def controlled_sgd_paths(solution, V, *, n_paths, seed=None, rng=None, backend="auto"):
    r"""Monte Carlo check of a :func:`controlled_sgd` solution by Euler–Maruyama paths.

    Starts ``n_paths`` points drawn from ρ₀ and integrates SGD and controlled SGD
    (control α(x, t_k) interpolated from the solution's grid) with the *same*
    noise (kernel ``sde.em_tabulated``), so that differences have small variance.

    Returns
    -------
    dict
        ``V_sgd``, ``V_csgd``, ``control_cost``, ``improvement`` (E V(sgd) −
        E V(csgd) − ½E∫|α|²): each a pair (mean, standard error); and the final
        positions ``x_sgd``, ``x_csgd``.
    """
    n_paths = check_integer(n_paths, "n_paths", minimum=2)
    gen = as_rng(rng, seed)
    x, t = solution.x, solution.t
    h, dt = x[1] - x[0], t[1] - t[0]
    cdf = np.cumsum(solution.rho_csgd[0])
    cdf /= cdf[-1]
    x0 = np.interp(gen.uniform(size=n_paths), cdf, x)
    key = int(gen.integers(0, 2 ** 63))
    paths = np.arange(n_paths, dtype=np.int64)
    kernel = select("sde.em_tabulated", backend)
    sigma = math.sqrt(2.0 / solution.beta)
    n = t.size - 1
    zeros = np.zeros((n, x.size))
    x_sgd, _ = kernel(x0, paths, np.broadcast_to(solution.drift, (n, x.size)), zeros,
                      x[0], h, dt, sigma, 0, key)
    x_csgd, integral = kernel(x0, paths, solution.drift - solution.alpha[:-1],
                              solution.alpha[:-1] ** 2, x[0], h, dt, sigma, 0, key)
    v_sgd, v_csgd, half = V(x_sgd), V(x_csgd), 0.5 * integral

    def mean_se(a):
        return float(np.mean(a)), float(np.std(a, ddof=1) / math.sqrt(a.size))

    return {"V_sgd": mean_se(v_sgd), "V_csgd": mean_se(v_csgd), "control_cost": mean_se(half),
            "improvement": mean_se(v_sgd - v_csgd - half), "x_sgd": x_sgd, "x_csgd": x_csgd}
