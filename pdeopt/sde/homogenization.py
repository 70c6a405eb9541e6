"""Homogenization: the two-scale Entropy-SGD system and its limit, the gradient flow of f_γ."""
from __future__ import annotations

import math

import numpy as np

from .._checks import as_float_array, as_rng, check_callable, check_integer, check_positive
from .._result import Recorder
from ._common import require_finite
from .langevin import check_gradient_output

__all__ = ["two_scale_esgd", "gradient_flow"]


def two_scale_esgd(grad_f, x0, *, gamma, epsilon, t, dt=None, n_paths=1, record_every=1,
                   rng=None, callback=None):
    r"""Integrate the two-scale (ESGD) system by Euler–Maruyama.

    .. math::

        dx &= -\gamma^{-1}(x - y)\,ds, \\
        dy &= -\frac{1}{\varepsilon}\Big[\nabla f(y) + \frac{1}{\gamma}(y - x)\Big]ds
              + \sqrt{2/\varepsilon}\; dW,

    with y(0) = x(0). For x frozen the fast variable y samples
    ρ^∞(y; x) ∝ exp(−f(y) − |x − y|²/(2γ)), so as ε → 0 the slow variable x follows
    the homogenized dynamics dx̄ = −∇f_γ(x̄) ds (Theorem 15 of the seed), f_γ the
    local entropy. (The seed writes the noise as ε^{−1/2} dW, whose invariant
    density is ∝ e^{−2H}; the factor √2 here makes it e^{−H}, the local entropy's.)

    Parameters
    ----------
    grad_f : callable
        ``grad_f(y)``, y of shape (n_paths, d), returns ∇f row by row.
    x0 : array_like, shape (d,)
    gamma : float
        γ > 0.
    epsilon : float
        Scale separation ε > 0.
    t : float
        Final time s_T > 0.
    dt : float, optional
        Time step (default ε/100: the fast chain sees the step dt/ε,
        and its invariant law is biased by O(dt/ε)).
    n_paths : int
        Independent copies of the system.
    record_every : int
        Record x every this many steps.
    rng : None, int or numpy.random.Generator
        The noise.
    callback : callable, optional
        ``callback(it)`` after each time step (a :class:`pdeopt.Iterate`); True stops.

    Returns
    -------
    Result
        ``x``: final slow variables, shape (n_paths, d); ``history["x"]`` of shape
        (n_records, n_paths, d) and ``history["time"]`` (the first record is s = 0);
        ``nit``: the time steps taken. An integrator has no stopping test: a full run
        has status 1 (completed) and claims no convergence.

    Raises
    ------
    pdeopt.DivergenceError
        The fast variable became NaN or inf (dt too large); names the step, keeps the
        history.

    References
    ----------
    Oberman, "Deep relaxation: PDEs for optimizing deep neural networks", slides,
    2017 (Homogenization of SDEs; Theorem 15). Pavliotis & Stuart, Multiscale
    Methods (2008), Ch. 10, 17.

    Examples
    --------
    >>> res = two_scale_esgd(lambda y: y, [1.0], gamma=1.0, epsilon=0.05, t=0.5, n_paths=20,
    ...                      rng=0)
    >>> res.x.shape, res.nit, res.status
    ((20, 1), 1000, 1)
    """
    check_callable(grad_f, "grad_f")
    x = as_float_array(x0, "x0", ndim=(0, 1)).reshape(-1)
    gamma = check_positive(gamma, "gamma")
    epsilon = check_positive(epsilon, "epsilon")
    t = check_positive(t, "t")
    dt = epsilon / 100.0 if dt is None else check_positive(dt, "dt")
    n_paths = check_integer(n_paths, "n_paths", minimum=1)
    record_every = check_integer(record_every, "record_every", minimum=1)
    gen = as_rng(rng)
    n_steps = int(math.ceil(t / dt))
    params = dict(gamma=gamma, epsilon=epsilon, dt=dt)
    rec = Recorder("two_scale_esgd", max_iter=n_steps, callback=callback, t=t,
                   n_paths=n_paths, **params)
    x = np.tile(x, (n_paths, 1))
    y = x.copy()
    noise = math.sqrt(2.0 * dt / epsilon)
    rec.log(x=x.copy(), time=0.0)
    with rec.running():
        for step in range(n_steps):
            g = check_gradient_output(grad_f(y), y)
            x, y = (x - dt / gamma * (x - y),
                    y - dt / epsilon * (g + (y - x) / gamma) + noise * gen.standard_normal(y.shape))
            require_finite(y, rec, "two_scale_esgd", step, "the fast variable y", **params)
            if (step + 1) % record_every == 0:
                rec.log(x=x.copy(), time=(step + 1) * dt)
            if rec.end_iteration(x):
                break
    return rec.result(x)


def gradient_flow(grad, x0, *, t, dt, callback=None):
    r"""The gradient flow dx̄/ds = −∇F(x̄) by the classical Runge–Kutta method (RK4).

    With n = ⌈t/dt⌉ steps of size h = t/n,

    .. math::

        x_{k+1} = x_k + \tfrac{h}{6}(k_1 + 2k_2 + 2k_3 + k_4),\quad
        k_1 = -\nabla F(x_k),\ k_2 = -\nabla F(x_k + \tfrac{h}{2}k_1),\
        k_3 = -\nabla F(x_k + \tfrac{h}{2}k_2),\ k_4 = -\nabla F(x_k + h k_3).

    It is the homogenized limit of :func:`two_scale_esgd` (F = f_γ, Theorem 15 of
    Oberman 2017).

    Parameters
    ----------
    grad : callable
        ``grad(x)`` for x of shape (d,) returns ∇F(x), shape (d,).
    x0 : array_like, shape (d,)
    t, dt : float
        Final time and step (> 0).
    callback : callable, optional
        ``callback(it)`` after each step (a :class:`pdeopt.Iterate`); True stops.

    Returns
    -------
    Result
        ``x``: x̄(t), shape (d,); ``history["time"]`` (n + 1,) and ``history["x"]``
        (n + 1, d): the path, s = 0 included; ``nit`` = n. No stopping test: status 1.

    Raises
    ------
    pdeopt.DivergenceError
        The path or ∇F became NaN or inf (e.g. ``dt`` beyond RK4's stability limit);
        names the step and ``dt``, keeps the path so far in ``error.result``.

    Examples
    --------
    >>> import numpy as np
    >>> res = gradient_flow(lambda x: x, [1.0], t=1.0, dt=0.1)  # x(t) = e^{-t}
    >>> bool(abs(res.x[0] - np.exp(-1.0)) < 1e-6), res.history["x"].shape
    (True, (11, 1))
    """
    check_callable(grad, "grad")
    x = as_float_array(x0, "x0", ndim=(0, 1)).reshape(-1)
    t = check_positive(t, "t")
    dt = check_positive(dt, "dt")
    n = int(math.ceil(t / dt))
    h = t / n
    times = np.linspace(0.0, t, n + 1)
    rec = Recorder("gradient_flow", max_iter=n, callback=callback, t=t, dt=h)

    def slope(y, step):
        g = np.asarray(grad(y), dtype=float)
        if g.shape != x.shape:
            raise ValueError(f"grad must return an array of shape {x.shape}, got {g.shape}")
        rec.require_finite(g, step, "grad(x)", dt=h)
        return -g

    rec.log(time=0.0, x=x)
    with rec.running():
        for step in range(n):
            k1 = slope(x, step)
            k2 = slope(x + 0.5 * h * k1, step)
            k3 = slope(x + 0.5 * h * k2, step)
            k4 = slope(x + h * k3, step)
            x = x + h / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4)
            rec.require_finite(x, step, "the path", dt=h)
            rec.log(time=times[step + 1], x=x)
            if rec.end_iteration(x):
                break
    return rec.result(x)
