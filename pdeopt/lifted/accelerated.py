"""Gradient descent, heavy ball and Nesterov's method, and their rate bounds (Theorems 1–3).

These are the algorithms whose iterations become network architectures
(:mod:`pdeopt.nn.inspired`); Lemma 4 is the bridge: for W = U² symmetric
positive definite, one layer x ↦ Φ(Wx) is one gradient step with unit step on

    f(z) = ½‖z‖² − Σ_i g̃(U_iᵀz),   g̃(s) = ∫₀ˢ φ,

in the variable z = Ux, because z − ∇f(z) = UΦ(Uz) (:func:`layer_objective`).

References
----------
Z. Lin, "Optimization and deep neural networks", 2019 (Theorems 1–3, Lemma 4).
S. Bubeck, "Convex optimization: algorithms and complexity", 2015 (Theorems 1, 3).
E. Ghadimi, H. R. Feyzmahdavian, M. Johansson, "Global convergence of the
heavy-ball method for convex optimization", ECC 2015 (Theorem 2).
B. T. Polyak, "Some methods of speeding up the convergence of iteration methods", 1964.
"""
from __future__ import annotations

import numpy as np

from .._checks import (as_float_array, check_budget, check_callable, check_momentum,
                       check_nonnegative, check_positive)
from .._result import Recorder
from .activations import get_lifted_activation

__all__ = ["gradient_descent", "heavy_ball", "nesterov", "rate_bounds", "layer_objective",
           "polyak_parameters"]


def _checked_grad(grad, shape):
    """``grad`` wrapped so that a gradient of the wrong shape is refused by name."""
    check_callable(grad, "grad")

    def g(x):
        out = np.asarray(grad(x))
        if not np.issubdtype(out.dtype, np.number) or np.iscomplexobj(out):
            raise TypeError(f"grad must return a real array, got dtype {out.dtype}")
        out = out.astype(np.float64, copy=False)
        if out.shape != shape:
            raise ValueError(f"grad must return an array of the shape of x0 {shape}, "
                             f"got {out.shape}")
        return out
    return g


def _checked_f(f):
    if f is None:
        return None
    check_callable(f, "f")

    def value(x):
        out = np.asarray(f(x))
        if out.size != 1 or not np.issubdtype(out.dtype, np.number) or np.iscomplexobj(out):
            raise TypeError(f"f must return a real number, got {out.dtype} of shape {out.shape}")
        return float(out.reshape(()))
    return value


def _run(name, make, x0, max_iter, tol, f, callback, **params):
    """Run ``advance = make(x0)`` for at most ``max_iter`` iterations.

    ``advance(k)`` returns the k-th iterate and the step parameters it used (named in
    the error should the iterate become NaN or inf). The stopping test is
    ‖x_k − x_{k−1}‖ ≤ ``tol``; the history holds ``change`` per iteration and ``f``
    (when given) per iterate, the starting point first.
    """
    max_iter, tol = check_budget(max_iter, tol)
    f = _checked_f(f)
    rec = Recorder(name, max_iter=max_iter, tol=tol, callback=callback, **params)
    advance = make(x0)
    x = x0
    with rec.running():
        if f is not None:
            f0 = f(x0)
            if not np.isfinite(f0):
                raise ValueError(f"f(x0) must be finite, got {f0}")
            rec.log(f=f0)
        for k in range(1, max_iter + 1):
            x_new, used = advance(k)
            rec.require_finite(x_new, k, **used)
            change = float(np.linalg.norm(x_new - x))
            x = x_new
            if f is not None:
                value = f(x)
                rec.require_finite(value, k, "f at the iterate", **used)
                rec.log(f=value)
            rec.log(change=change)
            if rec.end_iteration(x, residual=change):
                break
    return rec.result(x, backend="numpy")


def _start(x0, grad):
    if np.ndim(x0) != 1:      # as_float_array would promote a scalar to shape (1,)
        raise ValueError(f"x0 must be a 1-D array, got shape {np.shape(x0)}")
    x0 = as_float_array(x0, "x0", ndim=1, dtype=np.float64, copy=True)
    return x0, _checked_grad(grad, x0.shape)


def gradient_descent(grad, x0, *, step, max_iter=100, tol=0.0, f=None, callback=None):
    """Gradient descent, x_{k+1} = x_k − η∇f(x_k).

    With η = 1/β on a convex β-smooth f (Theorem 1), f(x_t) − f* ≤ 2β‖x_1 − x*‖²/(t − 1);
    with η = 2/(L + μ) on a μ-strongly convex L-smooth f, ‖x_k − x*‖ ≤ q^k‖x_0 − x*‖,
    q = (L − μ)/(L + μ).

    Parameters
    ----------
    grad : callable
        x ↦ ∇f(x), an array of the shape of ``x0``; called once per iteration.
    x0 : array (n,)
        The starting point.
    step : float > 0
        η.
    max_iter : int
        The iteration budget.
    tol : float ≥ 0
        Stop when ‖x_{k+1} − x_k‖ ≤ ``tol`` (= η‖∇f(x_k)‖); 0 runs the whole budget.
    f : callable, optional
        The objective, recorded at every iterate (history ``f``, the start included).
    callback : callable, optional
        ``callback(it)`` after each iteration, ``it`` a :class:`pdeopt.Iterate`.

    Returns
    -------
    Result
        ``x`` the last iterate; history ``change`` (‖x_{k+1} − x_k‖) and ``f``.

    Raises
    ------
    pdeopt.DivergenceError
        When an iterate becomes NaN or inf (the step is too large); the message names
        the iteration and the step, ``error.result`` holds the history.

    References
    ----------
    Lin 2019, Theorem 1 (gradient descent as a plain network); Lemma 4.

    Examples
    --------
    >>> res = gradient_descent(lambda x: x - 1.0, np.zeros(2), step=0.5, max_iter=3)
    >>> res.nit, res.x.round(3).tolist()
    (3, [0.875, 0.875])
    """
    x0, g = _start(x0, grad)
    step = check_positive(step, "step")

    def make(x0):
        x = x0

        def advance(k):
            nonlocal x
            x = x - step * g(x)
            return x, {}
        return advance
    return _run("gradient_descent", make, x0, max_iter, tol, f, callback, step=step)


def _schedule(value, name, check):
    """A number or a callable k ↦ value, each value checked (named ``name(k)``)."""
    if callable(value):
        return lambda k: check(value(k), f"{name}({k})")
    value = check(value, name)
    return lambda k: value


def heavy_ball(grad, x0, *, step, momentum, max_iter=100, tol=0.0, f=None, callback=None):
    """Polyak's heavy ball: x_{k+1} = x_k − α_k∇f(x_k) + β_k(x_k − x_{k−1}), x_{−1} = x_0.

    Theorem 2: α_k = α_0/(k + 2), β_k = k/(k + 2), α_0 ≤ 1/L gives
    f(x_t) − f* ≤ ‖x_0 − x*‖²/(2α_0(t + 1)) on a convex L-smooth f. With
    :func:`polyak_parameters` on a μ-strongly convex quadratic the linear rate is
    q = (√L − √μ)/(√L + √μ).

    Parameters
    ----------
    grad, x0, f, callback
        As in :func:`gradient_descent`.
    step : float > 0 or callable
        α_k, or k ↦ α_k (k = 0, 1, ...); every value must be > 0.
    momentum : float in [0, 1) or callable
        β_k, or k ↦ β_k; every value must lie in [0, 1).
    max_iter, tol
        The budget and the test ‖x_{k+1} − x_k‖ ≤ ``tol`` (0: run the whole budget).

    Returns
    -------
    Result
        As :func:`gradient_descent`; a :class:`pdeopt.DivergenceError` names the
        iteration, α_k and β_k when an iterate becomes NaN or inf.

    References
    ----------
    B. T. Polyak, USSR Comput. Math. Math. Phys. 4 (1964); Lin 2019, Theorem 2
    (heavy ball as a ResNet-like network).

    Examples
    --------
    >>> res = heavy_ball(lambda x: x - 1.0, np.zeros(1), step=0.5, momentum=0.2,
    ...                  max_iter=200, tol=1e-10)
    >>> res.converged, round(float(res.x[0]), 6)
    (True, 1.0)
    """
    x0, g = _start(x0, grad)
    alpha = _schedule(step, "step", check_positive)
    beta = _schedule(momentum, "momentum", check_momentum)
    fixed = {k: v for k, v in (("step", step), ("momentum", momentum)) if not callable(v)}

    def make(x0):
        x, x_prev = x0, x0

        def advance(k):
            nonlocal x, x_prev
            a, b = alpha(k - 1), beta(k - 1)
            x, x_prev = x - a * g(x) + b * (x - x_prev), x
            return x, {"step_size": a, "momentum": b}
        return advance
    return _run("heavy_ball", make, x0, max_iter, tol, f, callback,
                **{k: float(v) for k, v in fixed.items()})


def nesterov(grad, x0, *, lipschitz, max_iter=100, tol=0.0, f=None, callback=None):
    """Nesterov's accelerated gradient in the seed's (Bubeck's) form.

    λ_0 = 0, λ_t = (1 + √(1 + 4λ_{t−1}²))/2, γ_t = (1 − λ_t)/λ_{t+1};
    y_{t+1} = x_t − ∇f(x_t)/β,  x_{t+1} = (1 − γ_t)y_{t+1} + γ_t y_t,  x_1 = y_1.
    Theorem 3: f(y_t) − f* ≤ 2β‖x_1 − x*‖²/t². The result's ``x`` and history ``f``
    are those of the y_t (y_1 = x_1 first).

    Parameters
    ----------
    grad, x0, f, callback
        As in :func:`gradient_descent`.
    lipschitz : float > 0
        β, the Lipschitz constant of ∇f (the step is 1/β).
    max_iter, tol
        The budget and the test ‖y_{t+1} − y_t‖ ≤ ``tol`` (0: run the whole budget).

    References
    ----------
    Y. Nesterov, Soviet Math. Dokl. 27 (1983); S. Bubeck, Convex Optimization:
    Algorithms and Complexity (2015); Lin 2019, Theorem 3 (AGD as a DenseNet-like network).

    Examples
    --------
    >>> res = nesterov(lambda x: x - 1.0, np.zeros(1), lipschitz=1.0, max_iter=5)
    >>> res.nit, res.status, round(float(res.x[0]), 6)
    (5, 1, 1.0)
    """
    x0, g = _start(x0, grad)
    beta = check_positive(lipschitz, "lipschitz")

    def make(x0):
        x, y = x0, x0
        lam = 1.0                              # λ_1 = (1 + √(1 + 4λ_0²))/2 with λ_0 = 0

        def advance(k):
            nonlocal x, y, lam
            lam_next = (1 + np.sqrt(1 + 4 * lam * lam)) / 2
            gamma = (1 - lam) / lam_next
            y_next = x - g(x) / beta
            x = (1 - gamma) * y_next + gamma * y
            y, lam = y_next, lam_next
            return y, {}
        return advance
    return _run("nesterov", make, x0, max_iter, tol, f, callback, lipschitz=beta)


def polyak_parameters(mu, lipschitz):
    """Heavy-ball step and momentum for a μ-strongly convex L-smooth quadratic and the rate q.

    α = 4/(√L + √μ)², β = q², q = (√L − √μ)/(√L + √μ) (Polyak 1964).

    Examples
    --------
    >>> alpha, beta, q = polyak_parameters(0.25, 1.0)
    >>> round(alpha, 6), round(beta, 6), round(q, 6)
    (1.777778, 0.111111, 0.333333)
    """
    mu, big_l = check_positive(mu, "mu"), check_positive(lipschitz, "lipschitz")
    if mu > big_l:
        raise ValueError(f"mu must be <= lipschitz, got {mu} > {big_l}")
    q = (np.sqrt(big_l) - np.sqrt(mu)) / (np.sqrt(big_l) + np.sqrt(mu))
    q = float(q)
    return float(4.0 / (np.sqrt(big_l) + np.sqrt(mu)) ** 2), q * q, q


def rate_bounds(t, *, lipschitz, dist2, alpha0=None):
    """The bounds of Theorems 1–3 at iterations ``t`` (arrays of the same shape).

    Returns a dict: ``gd`` = 2β‖x_1 − x*‖²/(t − 1) (t ≥ 2), ``heavy_ball`` =
    ‖x_0 − x*‖²/(2α_0(t + 1)), ``nesterov`` = 2β‖x_1 − x*‖²/t²; ``dist2`` is the
    squared distance of the starting point to the minimiser; ``alpha0`` (default
    1/β) the heavy-ball step of Theorem 2. Where a theorem states no bound (t < 2
    for GD, t < 1 for Nesterov) the entry is inf: no bound.

    Examples
    --------
    >>> b = rate_bounds([1, 3], lipschitz=1.0, dist2=2.0)
    >>> b["gd"].tolist(), b["nesterov"].tolist()
    ([inf, 2.0], [4.0, 0.4444444444444444])
    """
    t = as_float_array(t, "t", dtype=np.float64)
    if np.any(t < 0) or np.any(t != np.round(t)):
        raise ValueError("t must hold iteration counts (integers >= 0)")
    lipschitz = check_positive(lipschitz, "lipschitz")
    dist2 = check_nonnegative(dist2, "dist2")
    alpha0 = 1.0 / lipschitz if alpha0 is None else check_positive(alpha0, "alpha0")
    with np.errstate(divide="ignore"):
        return {"gd": np.where(t >= 2, 2 * lipschitz * dist2 / np.maximum(t - 1, 1e-300), np.inf),
                "heavy_ball": dist2 / (2 * alpha0 * (t + 1)),
                "nesterov": np.where(t >= 1, 2 * lipschitz * dist2 / np.maximum(t, 1e-300) ** 2,
                                     np.inf)}


def layer_objective(u, activation="relu", *, alpha=None):
    """Lemma 4: the objective whose unit-step gradient descent is the layer x ↦ Φ(U²x).

    Parameters
    ----------
    u : array (d, d), symmetric
        U = W^{1/2}.
    activation : str or LiftedActivation
        Any row of the activation table (g̃ = g + ½s² = ∫₀ˢ φ).

    Returns
    -------
    f : callable z ↦ ½‖z‖² − Σ_i g̃(U_iᵀz)
    step : callable z ↦ UΦ(Uz), which Lemma 4 says equals z − ∇f(z)

    References
    ----------
    Lin 2019, Lemma 4.

    Examples
    --------
    >>> f, step = layer_objective(np.eye(2), "relu")
    >>> z = np.array([1.0, -2.0])
    >>> step(z).tolist(), round(f(z), 6)
    ([1.0, 0.0], 2.0)
    """
    act = get_lifted_activation(activation, alpha=alpha)
    u = as_float_array(u, "u", ndim=2)
    if u.shape[0] != u.shape[1] or not np.allclose(u, u.T):
        raise ValueError(f"u must be a symmetric square matrix, got shape {u.shape}")

    def f(z):
        return 0.5 * float(z @ z) - float(np.sum(act.g_tilde(u @ z)))

    def step(z):
        return u @ act.phi(u @ z)
    return f, step
