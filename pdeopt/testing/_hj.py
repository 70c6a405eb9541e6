"""Identities of Hamilton–Jacobi relaxation: Hopf–Lax semigroup, Cole–Hopf, local entropy."""
from __future__ import annotations

import numpy as np
from scipy.special import logsumexp

from .._checks import (as_float_array, check_integer, check_positive, check_range,
                       check_uniform_grid)
from ._calculus import assert_order
from ._report import checked, as_values, fail_if

__all__ = ["assert_hopf_lax_semigroup", "assert_cole_hopf", "assert_local_entropy_limits",
           "cole_hopf"]


def _axes(x):
    axes = tuple(x) if isinstance(x, tuple) else (x,)
    axes = tuple(as_float_array(a, "x", ndim=1) for a in axes)
    return axes, [check_uniform_grid(a, "x") for a in axes]


@checked("hopf_lax", positive=("t", "s"))
def assert_hopf_lax_semigroup(hopf_lax, f, x, t, s, *, rtol=1e-12, atol=1e-12):
    r"""Assert the Hopf–Lax semigroup and envelope properties of ``hopf_lax`` on a grid.

    .. math::

        u(x, t) = \min_y f(y) + \frac{|x - y|^2}{2t}:\qquad
        u(\cdot, t + s) = \mathrm{HL}_s\big(u(\cdot, t)\big), \qquad u \le f, \qquad
        \min u = \min f \text{ at the minimisers of } f

    (Evans, *PDE*, §3.3; Osher 2018, Deep Relaxation). On a grid the minimum over y is
    taken over the nodes, and the composition minimises the intermediate point z over the
    nodes too; z's optimum lies within h/2 of a node per axis, so the composition exceeds
    :math:`\mathrm{HL}_{t+s}` by at most :math:`(1/t + 1/s)\sum_d h_d^2/8` and never
    undershoots it: that is the tolerance of the semigroup check.

    Parameters
    ----------
    hopf_lax : callable
        ``hopf_lax(f_values, x, t)`` returning u on the grid (or a tuple whose first
        item is u, as :func:`pdeopt.hj.hopf_lax`).
    f : array_like
        Samples of f on the grid.
    x : array_like or tuple of array_like
        Uniform grid axis (1-D) or axes (2-D, ``indexing="ij"``).
    t, s : float
        Times > 0.

    Examples
    --------
    >>> import numpy as np
    >>> from pdeopt.hj import hopf_lax
    >>> from pdeopt.testing import assert_hopf_lax_semigroup
    >>> x = np.linspace(-2, 2, 81)
    >>> assert_hopf_lax_semigroup(hopf_lax, (x ** 2 - 1) ** 2, x, 0.2, 0.3)
    """
    t = check_positive(t, "t")
    s = check_positive(s, "s")
    axes, hs = _axes(x)
    f = as_float_array(f, "f")
    if f.shape != tuple(a.size for a in axes):
        raise ValueError(f"f must have the grid's shape {tuple(a.size for a in axes)}, "
                         f"got {f.shape}")
    u_t = as_values(hopf_lax(f.copy(), x, t)).astype(float)
    scale = float(np.max(np.abs(f)))
    slack = atol + rtol * scale
    fail_if("Hopf–Lax envelope u(·, t) ≤ f", u_t - f, slack)
    fail_if("Hopf–Lax keeps the minimum value min u = min f", np.abs(u_t.min() - f.min()),
            slack)
    k = np.unravel_index(np.argmin(f), f.shape)
    fail_if("Hopf–Lax keeps the minimisers of f", np.array(u_t[k] - u_t.min()), slack,
            where=f"argmin f at index {tuple(int(i) for i in k)}")
    direct = as_values(hopf_lax(f.copy(), x, t + s)).astype(float)
    composed = as_values(hopf_lax(u_t.copy(), x, s)).astype(float)
    bound = (1 / t + 1 / s) * sum(h * h for h in hs) / 8
    identity = f"Hopf–Lax semigroup HL_{{t+s}} f = HL_s(HL_t f) (t = {t:g}, s = {s:g})"
    fail_if(identity + ", composition above the direct envelope", composed - direct,
            bound + slack, detail=f"the tolerance is the grid allowance (1/t + 1/s)Σh²/8 = "
                                  f"{bound:.3g} plus rounding")
    fail_if(identity + ", composition below the direct envelope (impossible on any grid)",
            direct - composed, slack)


@checked("f", tolerances=())
def cole_hopf(f, x, t, viscosity=1.0, *, pad=10.0, points_per_sigma=40):
    r"""The Cole–Hopf solution of
    :math:`u_t + \tfrac12|\nabla u|^2 = \tfrac{\varepsilon}{2}\Delta u`
    at the points x (1-D), by a log-sum-exp quadrature of f on a fine extended grid:

    .. math::

        u(x, t) = -\varepsilon \log \int G_{\varepsilon t}(x - y)\, e^{-f(y)/\varepsilon}\,dy .

    ``f`` is a vectorised callable; the quadrature grid extends ``pad`` standard
    deviations √(εt) beyond x with ``points_per_sigma`` nodes per deviation, which makes
    the rectangle rule spectrally accurate for smooth f.
    """
    x = as_float_array(x, "x", ndim=1)
    t = check_positive(t, "t")
    eps = check_positive(viscosity, "viscosity")
    pad = check_range(pad, "pad", 1.0, 100.0)
    points_per_sigma = check_range(points_per_sigma, "points_per_sigma", 2.0, 1000.0)
    sigma = np.sqrt(eps * t)
    n = int(np.ceil((x.max() - x.min()) / sigma * points_per_sigma + 2 * pad * points_per_sigma))
    y = np.linspace(x.min() - pad * sigma, x.max() + pad * sigma, max(n, 101))
    h = y[1] - y[0]
    fy = np.asarray(f(y), dtype=float)
    if fy.shape != y.shape or not np.all(np.isfinite(fy)):
        raise ValueError("f must return finite values of its input's shape")
    out = np.empty_like(x)
    for i0 in range(0, x.size, 256):
        xi = x[i0:i0 + 256, None]
        expo = -fy[None, :] / eps - (xi - y[None, :]) ** 2 / (2 * eps * t)
        out[i0:i0 + 256] = -eps * (logsumexp(expo, axis=1) + np.log(h)
                                   - 0.5 * np.log(2 * np.pi * eps * t))
    return out


@checked("solve", "f", positive=("t", "viscosity", "order"), fractions=("interior",),
         positive_lists=("sizes",))
def assert_cole_hopf(solve, f, domain, t, *, viscosity=1.0, sizes=(65, 129, 257), order=2,
                     interior=0.5, rtol=0.05, atol=0.1):
    r"""Assert that a viscous HJ solver converges to the Cole–Hopf formula at its order.

    .. math::

        u_t + \tfrac12 |u_x|^2 = \tfrac{\varepsilon}{2} u_{xx},\quad u(\cdot, 0) = f
        \quad\Longrightarrow\quad
        u(x, t) = -\varepsilon \log\big(G_{\varepsilon t} * e^{-f/\varepsilon}\big)(x)

    (Cole 1951, Hopf 1950; for ε = 1 the local entropy f_t of Osher 2018, Deep
    Relaxation). The solver runs on uniform grids of ``sizes`` points over ``domain``;
    its error against :func:`cole_hopf` on the middle ``interior`` fraction (away from
    the boundary treatment) must decay at least like h^``order``
    (:func:`assert_order` with ``at_least=True`` and its tolerance).

    Parameters
    ----------
    solve : callable
        ``solve(f_values, x, t, viscosity)`` returning u at time t on the grid x.
    f : callable
        Vectorised initial condition f(x).
    domain : (float, float)
        The interval.

    Examples
    --------
    >>> import numpy as np
    >>> from pdeopt.hj import solve_viscous_hj
    >>> from pdeopt.testing import assert_cole_hopf
    >>> solve = lambda fx, x, t, eps: solve_viscous_hj(fx, x, t, eps).x
    >>> assert_cole_hopf(solve, lambda x: 0.5 * x ** 2 + np.cos(2 * x), (-4, 4), 0.2,
    ...                  sizes=(81, 161, 321))
    """
    t = check_positive(t, "t")
    bounds = as_float_array(domain, "domain", ndim=1)
    if bounds.size != 2 or not bounds[1] > bounds[0]:
        raise ValueError(f"domain must be (low, high) with low < high, got {domain}")
    lo, hi = bounds
    sizes = [check_integer(n, "sizes", minimum=5) for n in sizes]
    if len(sizes) < 2:
        raise ValueError(f"sizes must hold at least two grid sizes, got {sizes}")
    errors, hs = [], []
    for n in sizes:
        x = np.linspace(lo, hi, int(n))
        u = as_values(solve(np.asarray(f(x), float), x, t, viscosity)).astype(float)
        if u.shape != x.shape or not np.all(np.isfinite(u)):
            raise AssertionError(f"Cole–Hopf: solve returned {u.shape} values with NaN/inf or "
                                 f"the wrong shape on a grid of {n} points")
        mid = np.abs(x - (lo + hi) / 2) <= interior * (hi - lo) / 2
        errors.append(float(np.max(np.abs(u[mid] - cole_hopf(f, x[mid], t, viscosity)))))
        hs.append(x[1] - x[0])
    assert_order(errors, hs, order, rtol=rtol, atol=atol, at_least=True)


def _gibbs_mean(f_values, y, x, gamma):
    expo = -f_values[None, :] - (x[:, None] - y[None, :]) ** 2 / (2 * gamma)
    w = np.exp(expo - expo.max(axis=1, keepdims=True))
    return (w @ y) / w.sum(axis=1)


@checked("local_entropy", fractions=("interior",), positive_lists=("gammas",))
def assert_local_entropy_limits(local_entropy, f, x, *, gammas=(0.04, 0.02, 0.01, 0.005),
                                interior=0.5, rtol=1e-6, atol=1e-8):
    r"""Assert the gradient formula of the local entropy and its limit f_γ → f as γ → 0.

    .. math::

        f_\gamma(x) = -\log\big(G_\gamma * e^{-f}\big)(x), \qquad
        \nabla f_\gamma(x) = \frac{x - \langle y \rangle}{\gamma}, \qquad
        f_\gamma = f - \tfrac{\gamma}{2}\big(|\nabla f|^2 - \Delta f\big) + O(\gamma^2)

    with ⟨y⟩ the mean of :math:`\rho(y) \propto e^{-f(y) - |x-y|^2/(2\gamma)}`
    (Osher 2018, Deep Relaxation; Chaudhari et al. 2018). The gradient is compared with
    (x − ⟨y⟩)/γ, ⟨y⟩ by the rectangle rule on the same grid nodes, which is spectrally
    accurate once √γ spans a few nodes, so ``rtol=1e-6`` of the gradient's scale; the
    limit is asserted as order 1 in γ of max|f_γ − f| on the middle ``interior``
    fraction of the grid (:func:`assert_order`).

    Parameters
    ----------
    local_entropy : callable
        ``local_entropy(f_values, x, gamma, grad=True)`` returning ``(f_gamma, grad)``.
    f : array_like, shape (N,)
        Samples of a smooth f on the uniform grid x.
    x : array_like, shape (N,)

    Examples
    --------
    >>> import numpy as np
    >>> from pdeopt.hj import local_entropy
    >>> from pdeopt.testing import assert_local_entropy_limits
    >>> x = np.linspace(-5, 5, 1001)
    >>> assert_local_entropy_limits(local_entropy, 0.5 * x ** 2 + np.sin(2 * x), x)
    """
    x = as_float_array(x, "x", ndim=1)
    h = check_uniform_grid(x, "x")
    f = as_float_array(f, "f", ndim=1)
    if f.shape != x.shape:
        raise ValueError(f"f must have the grid's shape {x.shape}, got {f.shape}")
    mid = np.abs(x - x.mean()) <= interior * (x[-1] - x[0]) / 2
    if np.count_nonzero(mid) < 3 or len(gammas) < 2:
        raise ValueError("interior must keep at least 3 grid points and gammas at least two "
                         "scopes")
    gaps = []
    for gamma in gammas:
        gamma = check_positive(gamma, "gammas")
        if np.sqrt(gamma) < 3 * h:
            raise ValueError(f"gammas must keep sqrt(gamma) >= 3 grid spacings ({3 * h:.3g})"
                             f" so that the quadrature resolves the Gibbs density, got {gamma}")
        f_gamma, grad = local_entropy(f.copy(), x, gamma, grad=True)
        f_gamma, grad = np.asarray(f_gamma, float), np.asarray(grad, float)
        expected = (x[mid] - _gibbs_mean(f, x, x[mid], gamma)) / gamma
        scale = float(np.max(np.abs(expected)))
        fail_if(f"local-entropy gradient ∇f_γ = (x − ⟨y⟩)/γ (γ = {gamma:g})",
                np.abs(grad[mid] - expected), atol + rtol * scale, where=x[mid])
        gaps.append(float(np.max(np.abs(f_gamma[mid] - f[mid]))))
    assert_order(gaps, gammas, 1)
