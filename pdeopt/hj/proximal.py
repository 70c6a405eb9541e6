"""Proximal point method (backward Euler for gradient flow) and the HJ-prox Monte Carlo estimate."""
from __future__ import annotations

import numpy as np
import scipy.optimize

from .._checks import (as_float_array, as_rng, check_bool, check_callable, check_integer,
                       check_nonnegative, check_option, check_positive)
from .._result import Recorder
from ..kernels import BACKENDS
from ._grid import as_grid_function
from .envelope import hopf_lax

__all__ = ["proximal_point", "hj_prox", "proximal_step_sizes"]


def proximal_step_sizes(n_steps, step_size=1.0, growth=1.0):
    """Step sizes Δt_k = step_size · growth^k, k = 0..n_steps−1, for :func:`proximal_point`.

    "Small Δt_k early, large later" (Osher 2018) with ``growth > 1``.

    Parameters
    ----------
    n_steps : int
        Number of steps, ≥ 1.
    step_size : float
        Δt_0 > 0.
    growth : float
        Ratio Δt_{k+1}/Δt_k > 0.

    Returns
    -------
    ndarray, shape (n_steps,)
        The step sizes, all finite and > 0 (a schedule that overflows or underflows
        float64 is refused).

    Examples
    --------
    >>> proximal_step_sizes(4, 0.5, 2.0)
    array([0.5, 1. , 2. , 4. ])
    """
    n_steps = check_integer(n_steps, "n_steps", minimum=1)
    step_size = check_positive(step_size, "step_size")
    growth = check_positive(growth, "growth")
    with np.errstate(over="ignore", under="ignore"):
        sizes = step_size * growth ** np.arange(n_steps, dtype=np.float64)
    if not np.all(np.isfinite(sizes) & (sizes > 0)):
        raise ValueError(f"step_size·growth^k leaves float64 for k < n_steps={n_steps} "
                         f"(step_size={step_size:g}, growth={growth:g})")
    return sizes


def proximal_point(f, x0, step_sizes, *, grid=None, grad=None, prox=None, max_iter=None,
                   tol=0.0, callback=None, keep_path=False, backend="auto"):
    r"""Proximal point iteration x_{k+1} = prox_{Δt_k f}(x_k) (backward Euler on x' = −∇f).

    .. math::

        x_{k+1} = \operatorname{argmin}_y \; f(y) + \frac{|y - x_k|^2}{2\Delta t_k},
        \qquad f(x_{k+1}) + \frac{|x_{k+1} - x_k|^2}{2\Delta t_k} = u(x_k, \Delta t_k)
        \le f(x_k),

    with u the Hopf–Lax solution, so f(x_k) decreases and
    |∇f(x_n)| = O(t(n)^{−1/2}), t(n) = Σ_{j≤n} Δt_j (Osher 2018). The history
    records ``f`` (f(x_k), k = 0..nit: its first row is the start, whose per-step
    entries are NaN), and per step ``step`` (Δt_k), ``envelope`` (the left side
    above), ``moved`` (|x_{k+1} − x_k|), ``grad_norm`` (|x_k − x_{k+1}|/Δt_k =
    |∇f(x_{k+1})| by the optimality condition) and ``time`` (t(k)).

    Three ways to take the proximal step:

    * ``grid=`` (a 1-D axis or a tuple of two): f is the array of grid samples,
      x_k are grid nodes (x0, inside the grid, is snapped to the nearest node) and
      the step is the exact grid minimum from :func:`hopf_lax`.
    * ``prox=``: a callable ``prox(x, dt)`` (e.g. a closure over :func:`hj_prox`).
    * otherwise f is a callable on R^d and the step is an inner L-BFGS solve
      started at x_k (``grad``, if given, is ∇f), which keeps the energy inequality.

    Parameters
    ----------
    f : callable or array_like
        Objective f(x) → float, or grid samples with ``grid=``.
    x0 : array_like
        Starting point (a scalar in 1-D); finite.
    step_sizes : array_like, shape (n,)
        The schedule Δt_k > 0, one per step (see :func:`proximal_step_sizes`); a
        scalar is refused (it is not a schedule).
    grid : array_like or tuple, optional
        Uniform grid axes of the samples ``f``.
    grad : callable, optional
        ∇f, for the inner solver (not with ``grid`` or ``prox``).
    prox : callable, optional
        ``prox(x, dt)`` returning the proximal point (not with ``grid``).
    max_iter : int, optional
        At most this many steps (default, or when larger: ``len(step_sizes)``).
    tol : float
        Stopping test: the run stops, converged, after the first step with
        |x_{k+1} − x_k| ≤ tol. ``tol=0`` runs every step (no convergence claimed);
        a tolerance missed within the budget warns ``ConvergenceWarning``.
    callback : callable, optional
        ``callback(it)`` after each step with a :class:`pdeopt.Iterate`; returning
        True stops the run.
    keep_path : bool
        Also return every iterate in ``info["path"]``, shape (nit + 1, d).
    backend : {"auto", "numpy", "numba"}
        For the grid mode's :func:`hopf_lax`.

    Returns
    -------
    pdeopt.Result
        ``x`` the last iterate (shaped like ``x0``), ``nit`` the steps taken,
        ``history`` as above (and ``info["path"]`` with ``keep_path=True``).

    Raises
    ------
    ValueError
        A step size ≤ 0 or a scalar schedule, x0 outside the grid, f not finite at x0.
    TypeError
        f, grad, prox or callback not callable where a callable is needed.
    pdeopt.DivergenceError
        A step returned NaN/inf (the history so far is attached).

    References
    ----------
    Rockafellar, SIAM J. Control Optim. 14 (1976); Osher 2018 (Deep Relaxation:
    proximal method, backward Euler).

    Examples
    --------
    >>> import numpy as np
    >>> res = proximal_point(lambda z: 0.5 * z**2, 3.0, [0.5, 0.5],
    ...                      prox=lambda z, dt: z / (1 + dt))    # x_k = 3 / 1.5^k
    >>> float(res.x), res.nit
    (1.3333333333333333, 2)
    >>> x = np.linspace(-3, 3, 601)
    >>> res = proximal_point(np.abs(x), 2.0, proximal_step_sizes(5), grid=x, tol=1e-12)
    >>> float(res.x), res.nit, res.converged               # soft-thresholding steps
    (0.0, 3, True)
    """
    if np.ndim(step_sizes) != 1:    # a scalar is a step size, not a schedule
        raise ValueError(f"step_sizes must have 1 dimension (one Δt_k per step), got shape "
                         f"{np.shape(step_sizes)}")
    step_sizes = as_float_array(step_sizes, "step_sizes", ndim=1, dtype=np.float64)
    if np.any(step_sizes <= 0):
        raise ValueError("step_sizes must all be > 0")
    n = step_sizes.size
    # the budget is the schedule, cut short by max_iter
    max_iter = n if max_iter is None else min(n, check_integer(max_iter, "max_iter", minimum=1))
    tol = check_nonnegative(tol, "tol")
    keep_path = check_bool(keep_path, "keep_path")
    for name, fn in (("grad", grad), ("prox", prox)):
        if fn is not None:
            check_callable(fn, name)
    if grid is not None and (grad is not None or prox is not None):
        raise ValueError("grid= takes the exact grid prox: give neither grad nor prox with it")
    if prox is not None and grad is not None:
        raise ValueError("grad is for the inner solver: give prox or grad, not both")
    mode = "grid" if grid is not None else "prox" if prox is not None else "inner"
    if grid is not None:
        check_option(backend, "backend", BACKENDS)
        x, value, step = _grid_mode(f, x0, grid, backend)
    else:
        check_callable(f, "f")
        x = as_float_array(x0, "x0", dtype=np.float64).reshape(-1).copy()
        value, step = _callable_mode(f, grad, prox)
    f0 = value(x)
    if not np.isfinite(f0):
        raise ValueError(f"f must be finite at x0, got {f0}")
    rec = Recorder("proximal_point", max_iter=max_iter, tol=tol, callback=callback, mode=mode)
    shape = np.shape(x0)

    def shaped(z):
        return z.reshape(shape) if shape else float(z[0])

    path = [x.copy()]
    with rec.running():
        rec.log(f=f0, step=np.nan, envelope=np.nan, moved=np.nan, grad_norm=np.nan, time=0.0)
        total = 0.0
        for k, dt in enumerate(step_sizes[:max_iter]):
            dt = float(dt)
            y, env = step(x, dt)
            rec.require_finite(y, k + 1, "the iterate", step_size=dt)
            fy = value(y)
            moved = float(np.linalg.norm(y - x))
            if env is None:
                env = fy + float(np.sum((y - x) ** 2)) / (2 * dt)
            rec.require_finite([fy, env], k + 1, "f at the iterate", step_size=dt)
            total += dt
            rec.log(f=fy, step=dt, envelope=env, moved=moved, grad_norm=moved / dt, time=total)
            x = y
            if keep_path:
                path.append(x.copy())
            if rec.end_iteration(shaped(x), residual=moved):
                break
    if keep_path:
        rec.info["path"] = np.array(path)
    return rec.result(shaped(x), backend=backend if grid is not None else "python")


def _nearest(axes, point):
    """Index of the grid node nearest to ``point`` (one coordinate per axis)."""
    return tuple(int(np.argmin(np.abs(a - c))) for a, c in zip(axes, point))


def _grid_mode(f, x0, grid, backend):
    """Start, value and step of the grid mode (exact prox by :func:`hopf_lax`)."""
    fvals, axes, _ = as_grid_function(f, grid, f_name="f", x_name="grid")
    x = as_float_array(x0, "x0", dtype=np.float64).reshape(-1)
    if x.size != len(axes):
        raise ValueError(f"x0 must have {len(axes)} coordinate(s), got {x.size}")
    if any(not a[0] <= c <= a[-1] for a, c in zip(axes, x)):
        raise ValueError(f"x0 must lie inside the grid, got {x}")
    index = _nearest(axes, x)
    nodes = axes if len(axes) > 1 else axes[0]

    def node(idx):
        return np.array([a[i] for a, i in zip(axes, idx)])

    def value(z):
        return float(fvals[_nearest(axes, z)])

    def step(xk, dt):
        nonlocal index
        u, y = hopf_lax(fvals, nodes, dt, backend=backend)
        env = float(u[index])
        index = _nearest(axes, (y[index],) if len(axes) == 1 else y[(slice(None),) + index])
        return node(index), env

    return node(index), value, step


def _callable_mode(f, grad, prox):
    """Value and step of the callable modes (a given prox, or an inner L-BFGS solve)."""
    def arg(z):
        return z if z.size > 1 else z[0]

    def value(z):
        v = np.asarray(f(arg(z)))
        if v.size != 1 or not np.issubdtype(v.dtype, np.number):
            raise ValueError(f"f must return one number, got shape {v.shape}, dtype {v.dtype}")
        return float(v.reshape(()))

    def step(xk, dt):
        if prox is not None:
            y = as_float_array(prox(arg(xk), dt), "prox(x, dt)", dtype=np.float64,
                               finite=False).reshape(-1)     # NaN: a divergence, not bad input
            if y.size != xk.size:
                raise ValueError(f"prox(x, dt) must return {xk.size} coordinate(s), got "
                                 f"{y.size}")
        else:
            def objective(y):
                return value(y) + np.sum((y - xk) ** 2) / (2 * dt)
            jac = None if grad is None else (
                lambda y: as_float_array(grad(arg(y)), "grad(x)", dtype=np.float64,
                                         finite=False).reshape(-1) + (y - xk) / dt)
            y = scipy.optimize.minimize(objective, xk, jac=jac, method="L-BFGS-B").x
        return y, None      # the envelope f(y) + |y − x|²/(2dt) is formed by the caller

    return value, step


def hj_prox(f, x, t, *, delta=0.1, n_samples=1000, rng=None):
    r"""Monte Carlo (Laplace) estimate of prox_{tf}(x) by the HJ-prox formula.

    .. math::

        \operatorname{prox}_{tf}(x) \approx
        \frac{\sum_i y_i\, e^{-f(y_i)/\delta}}{\sum_i e^{-f(y_i)/\delta}},
        \qquad y_i \sim N(x, \delta t I),

    the mean of ρ(y) ∝ exp(−(f(y) + |x − y|²/(2t))/δ), which concentrates on the
    proximal point as δ → 0 (Laplace's method; it is the gradient of the viscous
    HJ solution with viscosity δ: x − t∇u^δ(x, t)). Weights are computed with a
    log-sum-exp shift, so f may be large.

    Parameters
    ----------
    f : callable
        Vectorised: ``f(Y)`` with Y of shape (n_samples, d) returns shape
        (n_samples,); +inf is allowed (zero weight), NaN is not.
    x : array_like, shape (d,) or scalar
    t : float
        Proximal parameter t > 0.
    delta : float
        Smoothing δ > 0 (the error is O(δ) plus the Monte Carlo error).
    n_samples : int
        Number of samples, ≥ 1.
    rng : None, int or numpy.random.Generator
        Source of the samples (a seed makes the estimate reproducible).

    Returns
    -------
    y : ndarray or float
        The estimate, shaped like ``x``.

    Raises
    ------
    ValueError
        t ≤ 0, δ ≤ 0, n_samples < 1, NaN/inf in x, f returning NaN, −inf, the wrong
        shape, or +inf at every sample.
    TypeError
        f not callable, n_samples not an integer, a bad rng.

    References
    ----------
    Osher, Heaton, Wu Fung, "A Hamilton–Jacobi-based proximal operator", PNAS 120 (2023).

    Examples
    --------
    >>> import numpy as np
    >>> y = hj_prox(lambda Y: 0.5 * np.sum(Y**2, axis=1), 1.0, 0.2, delta=0.05,
    ...             n_samples=10000, rng=0)           # prox of y²/2: x/(1 + t) = 0.833
    >>> round(y, 2)
    0.83
    """
    check_callable(f, "f")
    shape = np.shape(x)
    x_arr = as_float_array(x, "x", dtype=np.float64)
    t = check_positive(t, "t")
    delta = check_positive(delta, "delta")
    n_samples = check_integer(n_samples, "n_samples", minimum=1)
    rng = as_rng(rng)
    scale = np.sqrt(delta * t)
    if not np.isfinite(scale):
        # (with a finite scale ≤ 1.4e154 the samples x + scale·z stay finite)
        raise ValueError(f"delta·t overflows float64 (delta={delta:g}, t={t:g})")
    center = x_arr.reshape(-1)
    y = center + scale * rng.standard_normal((n_samples, center.size))
    raw = np.asarray(f(y))
    if not (np.issubdtype(raw.dtype, np.number) or raw.dtype == bool) or np.iscomplexobj(raw):
        raise ValueError(f"f must return real numbers, got dtype {raw.dtype}")
    values = raw.astype(np.float64).reshape(-1)
    if values.shape != (n_samples,):
        raise ValueError(f"f must return one value per sample, shape ({n_samples},), "
                         f"got {np.shape(values)}")
    if np.any(np.isnan(values)) or np.any(values == -np.inf):
        raise ValueError("f returned NaN or -inf")
    low = np.min(values)
    if not np.isfinite(low):
        raise ValueError("f is +inf at every sample: no weight to average")
    # weights e^{−(f − min f)/δ} in (0, 1]: the shift keeps them from overflowing, and a
    # quotient that overflows (huge f or tiny δ) is a zero weight, as it should be
    with np.errstate(over="ignore", invalid="ignore"):
        weights = np.exp(-((values - low) / delta))
    estimate = weights @ y / weights.sum()
    return estimate.reshape(shape) if shape else float(estimate[0])
