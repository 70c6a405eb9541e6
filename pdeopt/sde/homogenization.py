"""Homogenization: the two-scale Entropy-SGD system and its limit, the gradient flow of f_γ."""
from __future__ import annotations

import math

import numpy as np

from .._checks import as_float_array, as_rng, check_integer, check_positive
from .._result import Recorder
from ._common import require_finite
from .langevin import check_gradient_output

__all__ = ["two_scale_esgd", "gradient_flow"]


def two_scale_esgd(grad_f, x0, *, gamma, epsilon, time, dt=None, n_paths=1, record_every=1,
                   seed=None, rng=None):
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
    time : float
        Final time s_T > 0.
    dt : float, optional
        Time step (default ε/100: the fast chain sees the step dt/ε,
        and its invariant law is biased by O(dt/ε)).
    n_paths : int
        Independent copies of the system.
    record_every : int
        Record x every this many steps.

    Returns
    -------
    Result
        ``x``: final slow variables, shape (n_paths, d); ``history["x"]`` of shape
        (n_records, n_paths, d) and ``history["time"]``.

    References
    ----------
    Oberman, "Deep relaxation: PDEs for optimizing deep neural networks", slides,
    2017 (Homogenization of SDEs; Theorem 15). Pavliotis & Stuart, Multiscale
    Methods (2008), Ch. 10, 17.
    """
    x = as_float_array(x0, "x0", ndim=(0, 1)).reshape(-1)
    gamma = check_positive(gamma, "gamma")
    epsilon = check_positive(epsilon, "epsilon")
    time = check_positive(time, "time")
    dt = epsilon / 100.0 if dt is None else check_positive(dt, "dt")
    n_paths = check_integer(n_paths, "n_paths", minimum=1)
    record_every = check_integer(record_every, "record_every", minimum=1)
    gen = as_rng(rng, seed)
    n_steps = int(math.ceil(time / dt))
    params = dict(gamma=gamma, epsilon=epsilon, dt=dt)
    rec = Recorder(method="two_scale_esgd", time=time, n_paths=n_paths, **params)
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
    return rec.result(x, converged=True)


def gradient_flow(grad, x0, *, time, dt):
    r"""The gradient flow dx̄/ds = −∇F(x̄) by the classical Runge–Kutta method (RK4).

    Parameters
    ----------
    grad : callable
        ``grad(x)`` for x of shape (d,) returns ∇F(x).
    x0 : array_like, shape (d,)
    time, dt : float
        Final time and step (> 0).

    Returns
    -------
    times : ndarray, shape (n + 1,)
    path : ndarray, shape (n + 1, d)
    """
    x = as_float_array(x0, "x0", ndim=(0, 1)).reshape(-1)
    time = check_positive(time, "time")
    dt = check_positive(dt, "dt")
    n = int(math.ceil(time / dt))
    h = time / n
    path = [x]
    for _ in range(n):
        k1 = -np.asarray(grad(x))
        k2 = -np.asarray(grad(x + 0.5 * h * k1))
        k3 = -np.asarray(grad(x + 0.5 * h * k2))
        k4 = -np.asarray(grad(x + h * k3))
        x = x + h / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4)
        path.append(x)
    return np.linspace(0.0, time, n + 1), np.array(path)
