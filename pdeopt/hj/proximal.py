"""Proximal point method (backward Euler for gradient flow) and the HJ-prox Monte Carlo estimate."""
from __future__ import annotations

import numpy as np
import scipy.optimize

from .._checks import (as_float_array, as_rng, check_integer, check_nonnegative,
                       check_positive)
from .._result import Recorder
from ._grid import as_grid_function
from .hopf_lax import hopf_lax

__all__ = ["proximal_point", "hj_prox", "step_schedule"]


def step_schedule(n_steps, step_size=1.0, growth=1.0):
    """Steps Δt_k = step_size · growth^k, k = 0..n_steps−1 ("small Δt_k early, large later")."""
    n_steps = check_integer(n_steps, "n_steps", minimum=1)
    step_size = check_positive(step_size, "step_size")
    growth = check_positive(growth, "growth")
    return step_size * growth ** np.arange(n_steps)


def proximal_point(f, x0, steps, *, grid=None, grad=None, prox=None, tol=0.0, keep_path=False,
                   backend="auto"):
    r"""Proximal point iteration x_{k+1} = prox_{Δt_k f}(x_k) (backward Euler on x' = −∇f).

    .. math::

        x_{k+1} = \operatorname{argmin}_y \; f(y) + \frac{|y - x_k|^2}{2\Delta t_k},
        \qquad f(x_{k+1}) + \frac{|x_{k+1} - x_k|^2}{2\Delta t_k} = u(x_k, \Delta t_k) \le f(x_k),

    with u the Hopf–Lax solution, so f(x_k) decreases and
    |∇f(x_n)| = O(t(n)^{−1/2}), t(n) = Σ_{j≤n} Δt_j (Osher 2018). The history
    records ``f`` (f(x_k), k = 0..n), and per step ``step`` (Δt_k), ``envelope``
    (the left side above), ``moved`` (|x_{k+1} − x_k|), ``grad_norm``
    (|x_k − x_{k+1}|/Δt_k = |∇f(x_{k+1})| by the optimality condition) and
    ``time`` (t(k)).

    Three ways to take the proximal step:

    * ``grid=`` (a 1-D axis or a tuple of two): f is the array of grid samples,
      x_k are grid nodes (x0 is snapped to the nearest node) and the step is the
      exact grid minimum from :func:`hopf_lax`.
    * ``prox=``: a callable ``prox(x, dt)`` (e.g. a closure over :func:`hj_prox`).
    * otherwise f is a callable on R^d and the step is an inner L-BFGS solve
      started at x_k (``grad``, if given, is ∇f), which keeps the energy inequality.

    Parameters
    ----------
    f : callable or array_like
        Objective f(x) → float, or grid samples with ``grid=``.
    x0 : array_like
        Starting point (scalar in 1-D).
    steps : int or array_like
        The schedule Δt_k > 0 (see :func:`step_schedule`), or a number of unit steps.
    grid : array_like or tuple, optional
    grad : callable, optional
    prox : callable, optional
    tol : float
        Stop (converged) once |x_{k+1} − x_k| ≤ tol.
    keep_path : bool
        Also return every iterate in ``info["path"]``, shape (iterations + 1, d).
    backend : {"auto", "numpy", "numba"}
        For the grid mode's :func:`hopf_lax`.

    Returns
    -------
    pdeopt.Result
        ``x`` the last iterate, ``history`` as above, ``info["iterations"]`` (and
        ``info["path"]`` with ``keep_path=True``).

    References
    ----------
    Rockafellar, SIAM J. Control Optim. 14 (1976); Osher 2018 (Deep Relaxation:
    proximal method, backward Euler).
    """
    if isinstance(steps, (int, np.integer)) and not isinstance(steps, bool):
        steps = np.ones(check_integer(steps, "steps", minimum=1))
    steps = as_float_array(steps, "steps", ndim=1)
    if np.any(steps <= 0):
        raise ValueError("steps must all be > 0")
    tol = check_nonnegative(tol, "tol")
    rec = Recorder(method="proximal_point", n_steps=steps.size, tol=tol,
                   mode="grid" if grid is not None else "prox" if prox is not None else "inner")
    if grid is not None:
        fvals, axes, _ = as_grid_function(f, grid, f_name="f", x_name="grid")
        x = as_float_array(x0, "x0").reshape(-1)
        if x.size != len(axes):
            raise ValueError(f"x0 must have {len(axes)} coordinate(s), got {x.size}")
        index = tuple(int(np.argmin(np.abs(a - c))) for a, c in zip(axes, x))
        x = np.array([a[i] for a, i in zip(axes, index)])

        def value(_):
            return float(fvals[index])

        def step(xk, dt):
            nonlocal index
            u, y = hopf_lax(fvals, grid, dt, backend=backend)
            env = float(u[index])
            index = tuple(int(np.argmin(np.abs(a - c))) for a, c in
                          zip(axes, (y[index],) if len(axes) == 1 else y[(slice(None),) + index]))
            return np.array([a[i] for a, i in zip(axes, index)]), env
    else:
        if not callable(f):
            raise TypeError("f must be callable (or pass grid= for grid samples)")
        x = as_float_array(x0, "x0", dtype=np.float64).reshape(-1).copy()

        def value(z):
            v = float(f(z if z.size > 1 else z[0]))
            if not np.isfinite(v):
                raise ValueError(f"f returned {v} at x={z}")
            return v

        def step(xk, dt):
            if prox is not None:
                y = as_float_array(prox(xk if xk.size > 1 else xk[0], dt), "prox(x, dt)")
                y = y.reshape(-1)
            else:
                def objective(y):
                    return value(y) + np.sum((y - xk) ** 2) / (2 * dt)
                jac = None if grad is None else (
                    lambda y: np.asarray(grad(y if y.size > 1 else y[0]), float).reshape(-1)
                    + (y - xk) / dt)
                y = scipy.optimize.minimize(objective, xk, jac=jac, method="L-BFGS-B").x
            return y, value(y) + float(np.sum((y - xk) ** 2)) / (2 * dt)
    shape = np.shape(x0) if np.ndim(x0) else ()
    converged = False
    path = [x.copy()]
    with rec.running():
        rec.log(f=value(x), step=np.nan, envelope=np.nan, moved=np.nan, grad_norm=np.nan,
                time=0.0)
        total = 0.0
        for dt in steps:
            y, env = step(x, float(dt))
            moved = float(np.linalg.norm(y - x))
            total += dt
            rec.log(f=value(y), step=dt, envelope=env, moved=moved, grad_norm=moved / dt,
                    time=total)
            x = y
            if keep_path:
                path.append(x.copy())
            if moved <= tol:
                converged = True
                break
    final = x.reshape(shape) if shape else float(x[0]) if x.size == 1 else x
    if keep_path:
        rec.info["path"] = np.array(path)
    return rec.result(final,
                      iterations=len(rec) - 1, converged=converged,
                      backend=backend if grid is not None else "python")


def hj_prox(f, x, t, *, delta=0.1, n_samples=1000, rng=None, seed=None):
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
    rng, seed
        ``numpy.random.Generator`` or seed.

    Returns
    -------
    y : ndarray or float
        The estimate, shaped like ``x``.

    References
    ----------
    Osher, Heaton, Wu Fung, "A Hamilton–Jacobi-based proximal operator", PNAS 120 (2023).
    """
    x_arr = as_float_array(x, "x", dtype=np.float64)
    t = check_positive(t, "t")
    delta = check_positive(delta, "delta")
    n_samples = check_integer(n_samples, "n_samples", minimum=1)
    rng = as_rng(rng, seed)
    center = x_arr.reshape(-1)
    y = center + np.sqrt(delta * t) * rng.standard_normal((n_samples, center.size))
    values = np.asarray(f(y), dtype=np.float64).reshape(-1)
    if values.shape != (n_samples,):
        raise ValueError(f"f must return one value per sample, shape ({n_samples},), "
                         f"got {np.shape(values)}")
    if np.any(np.isnan(values)) or np.any(values == -np.inf):
        raise ValueError("f returned NaN or -inf")
    logits = -values / delta
    top = np.max(logits)
    if not np.isfinite(top):
        raise ValueError("f is +inf at every sample: no weight to average")
    weights = np.exp(logits - top)
    estimate = weights @ y / weights.sum()
    return estimate.reshape(x_arr.shape) if x_arr.ndim else float(estimate[0])
