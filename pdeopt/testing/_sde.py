"""Identities of stochastic relaxation: Fokker–Planck densities, Euler–Maruyama's weak
order, and the Langevin (Entropy-SGD) estimate of the local-entropy gradient."""
from __future__ import annotations

import numpy as np

from .._checks import as_float_array, as_rng, check_integer, check_positive, check_range
from ._calculus import assert_order
from ._report import checked, fail_if

__all__ = ["assert_density_evolution", "assert_weak_order", "assert_local_entropy_gradient"]


@checked()
def assert_density_evolution(densities, x, *, rtol=1e-10, atol=1e-12):
    r"""Assert that a Fokker–Planck solution keeps its mass and stays a density.

    .. math::

        \partial_t \rho = \nabla\cdot(\rho \nabla V) + \beta^{-1}\Delta\rho
        \ \Longrightarrow\ \int \rho(x, t)\,dx = \int \rho_0\,dx, \qquad \rho \ge 0

    (Oberman 2017; Risken, *The Fokker–Planck Equation*). Mass is the rectangle sum
    Σρ·h, which a conservative (finite-volume) scheme with no-flux boundaries keeps to
    rounding, hence ``rtol=1e-10``.

    Parameters
    ----------
    densities : array_like, shape (n_times, N)
        The density at successive times (the first row is ρ₀).
    x : array_like, shape (N,)
        The uniform grid.

    Examples
    --------
    >>> import numpy as np
    >>> from pdeopt.testing import assert_density_evolution
    >>> x = np.linspace(-1, 1, 5)
    >>> assert_density_evolution([[0, 1, 2, 1, 0], [0.5, 1, 1, 1, 0.5]], x)
    """
    rho = as_float_array(densities, "densities", ndim=2)
    x = as_float_array(x, "x", ndim=1)
    if rho.shape[1] != x.size:
        raise ValueError(f"densities must have {x.size} columns (one per grid point), "
                         f"got shape {rho.shape}")
    h = (x[-1] - x[0]) / (x.size - 1)
    mass = rho.sum(axis=1) * h
    fail_if("mass conservation ∫ρ(t) = ∫ρ₀", np.abs(mass - mass[0]),
            atol + rtol * abs(mass[0]), where=lambda k: f"time index {k}")
    fail_if("density stays nonnegative ρ ≥ 0", -rho, atol + rtol * float(np.max(rho)),
            where=lambda k: f"time index {k // x.size}, x = {x[k % x.size]:.6g}")


@checked("step", tolerances=("rtol", "atol"), positive=("order", "a", "sigma", "t"),
         counts=("n_paths",), positive_lists=("dts",))
def assert_weak_order(step, *, a=1.0, sigma=0.5, x0=1.0, t=1.0, dts=(0.2, 0.1, 0.05),
                      order=1.0, n_paths=1_000_000, rng=0, rtol=0.05, atol=0.15):
    r"""Assert the weak order of a one-step SDE scheme on the Ornstein–Uhlenbeck process.

    .. math::

        dX = -aX\,dt + \sigma\,dW,\quad X_0 = x_0:\qquad
        \mathbb E X_t^2 = x_0^2 e^{-2at} + \frac{\sigma^2}{2a}\big(1 - e^{-2at}\big),

    and a scheme of weak order p has :math:`|\mathbb E \hat X_t^2 - \mathbb E X_t^2| = O(dt^p)`
    (Kloeden & Platen, §14; Euler–Maruyama has p = 1). The same Brownian paths serve
    every dt (coarse increments are sums of fine ones), so the Monte Carlo error, about
    2·10⁻⁴ at the default 10⁶ paths against a bias of 3·10⁻³ at the smallest default dt,
    moves the fitted order by less than the tolerance of :func:`assert_order` (0.2).

    Parameters
    ----------
    step : callable
        ``step(x, dt, dW)`` advancing an array of states by one step of the scheme for
        dX = −aX dt + σ dW (``dW`` the Brownian increments, variance dt).

    Examples
    --------
    >>> from pdeopt.testing import assert_weak_order
    >>> euler = lambda x, dt, dw: x - 1.0 * x * dt + 0.5 * dw
    >>> assert_weak_order(euler, n_paths=200_000)
    """
    a, sigma, t = (check_positive(v, n) for v, n in ((a, "a"), (sigma, "sigma"), (t, "t")))
    x0 = check_range(x0, "x0")
    n_paths = check_integer(n_paths, "n_paths", minimum=1000)
    dts = np.sort(as_float_array(dts, "dts", ndim=1))[::-1]
    if dts.size < 2:
        raise ValueError(f"dts must hold at least two step sizes, got {dts}")
    steps = np.rint(t / dts).astype(int)
    if np.any(np.abs(steps * dts - t) > 1e-9 * t) or np.any(steps[:-1] <= 0):
        raise ValueError(f"dts must divide t = {t:g} into whole steps, got {dts}")
    fine = steps[-1]
    if np.any(fine % steps):
        raise ValueError("each dt must be a multiple of the smallest one (shared paths)")
    gen = as_rng(rng)
    exact = x0 ** 2 * np.exp(-2 * a * t) + sigma ** 2 / (2 * a) * (1 - np.exp(-2 * a * t))
    states = [np.full(n_paths, float(x0)) for _ in dts]
    acc = [np.zeros(n_paths) for _ in dts]
    dt_fine = t / fine
    for k in range(fine):
        dw = gen.normal(scale=np.sqrt(dt_fine), size=n_paths)
        for j, n in enumerate(steps):
            acc[j] += dw
            if (k + 1) % (fine // n) == 0:
                states[j] = np.asarray(step(states[j], dts[j], acc[j]), dtype=float)
                acc[j] = np.zeros(n_paths)
    errors = np.array([abs(np.mean(s ** 2) - exact) for s in states])
    if not np.all(np.isfinite(errors)) or np.any(errors == 0):
        raise AssertionError(f"weak order: the scheme's second moments are not usable "
                             f"(errors {errors})")
    assert_order(errors, dts, order, rtol=rtol, atol=atol)


def _gibbs_gradient(f, x, gamma, n_nodes):
    """(x − ⟨y⟩)/γ by a tensor rectangle rule over ±10√γ (d ≤ 2)."""
    d = x.size
    half = 10 * np.sqrt(gamma)
    axes = [np.linspace(xi - half, xi + half, n_nodes) for xi in x]
    grid = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, d)
    expo = -np.asarray(f(grid), float).reshape(-1) - np.sum((grid - x) ** 2, axis=1) / (2 * gamma)
    w = np.exp(expo - expo.max())
    mean = (w @ grid) / w.sum()
    return (x - mean) / gamma


@checked("estimate", "f", tolerances=("z", "bias"), positive=("gamma",), counts=("n_nodes",))
def assert_local_entropy_gradient(estimate, f, x, gamma, *, z=4.0, bias=0.0, n_nodes=None):
    r"""Assert that a stochastic estimate of ∇f_γ agrees with the exact gradient within its
    Monte Carlo error.

    .. math::

        \nabla f_\gamma(x) = \frac{x - \langle y \rangle}{\gamma},\qquad
        \rho(y) \propto e^{-f(y) - |x - y|^2/(2\gamma)},\qquad
        |\hat g_i - \nabla_i f_\gamma(x)| \le z\,\mathrm{SE}_i + \text{bias}

    (Entropy-SGD's inner Langevin loop estimates ⟨y⟩; Chaudhari et al. 2017, Oberman
    2017). The exact side is a rectangle rule over ±10√γ (1-D or 2-D). ``z = 4`` makes a
    false alarm a 6·10⁻⁵ event per component for a Gaussian error; ``bias`` is the
    estimator's known discretisation bias (e.g. O(η′) for Langevin with step η′).

    Parameters
    ----------
    estimate : callable
        ``estimate(x)`` returning ``(gradient, standard_error)`` arrays of x's shape.
    f : callable
        ``f(points)`` for points of shape (m, d), returning m values.
    x : array_like, shape (d,), d ≤ 2
    gamma : float

    Examples
    --------
    >>> import numpy as np
    >>> from pdeopt.testing import assert_local_entropy_gradient
    >>> f = lambda p: 0.5 * np.sum(p ** 2, axis=1)          # exact: x / (1 + γ)
    >>> rng = np.random.default_rng(0)
    >>> def estimate(x, gamma=0.5, n=20000):                 # exact Gibbs samples
    ...     y = x / (1 + gamma) + rng.normal(size=(n, x.size)) * np.sqrt(gamma / (1 + gamma))
    ...     g = (x - y) / gamma
    ...     return g.mean(0), g.std(0) / np.sqrt(n)
    >>> assert_local_entropy_gradient(estimate, f, np.array([1.0, -2.0]), 0.5)
    """
    x = as_float_array(x, "x", ndim=1)
    if x.size > 2:
        raise ValueError(f"x must have 1 or 2 components (exact side by quadrature), got "
                         f"{x.size}")
    gamma = check_positive(gamma, "gamma")
    exact = _gibbs_gradient(f, x, gamma, n_nodes or (4001 if x.size == 1 else 401))
    g, se = estimate(x.copy())
    g = np.asarray(g, dtype=float).reshape(x.shape)
    se = np.asarray(se, dtype=float).reshape(x.shape)
    fail_if("Langevin estimate of ∇f_γ = (x − ⟨y⟩)/γ within z·SE", np.abs(g - exact),
            z * se + bias, where=lambda i: f"component {i} (exact {exact[i]:.6g}, estimate "
                                           f"{g[i]:.6g} ± {se[i]:.2g})")
