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

from .._checks import as_float_array, check_integer, check_positive
from .._result import Recorder
from .activations import get_activation

__all__ = ["gradient_descent", "heavy_ball", "nesterov", "rate_bounds", "layer_objective",
           "polyak_parameters"]


def _run(name, step_fn, x0, iterations, f, **params):
    x0 = as_float_array(x0, "x0", dtype=np.float64, copy=True)
    iterations = check_integer(iterations, "iterations", minimum=1)
    rec = Recorder(method=name, **params)
    state = step_fn(x0)
    with rec.running():
        rec.log(**({"f": float(f(x0))} if f else {}), step=0)
        x = x0
        for k in range(1, iterations + 1):
            x = state(k)
            if not np.all(np.isfinite(x)):
                raise FloatingPointError(f"{name} diverged at iteration {k}")
            rec.log(**({"f": float(f(x))} if f else {}), step=k)
    return rec.result(x, converged=True, backend="numpy")


def gradient_descent(grad, x0, *, step, iterations, f=None):
    """x_{k+1} = x_k − η∇f(x_k).

    With η = 1/β on a convex β-smooth f (Theorem 1), f(x_t) − f* ≤ 2β‖x_1 − x*‖²/(t − 1);
    with η = 2/(L + μ) on a μ-strongly convex L-smooth f, ‖x_k − x*‖ ≤ q^k‖x_0 − x*‖,
    q = (L − μ)/(L + μ).

    Returns a :class:`~pdeopt.Result` whose history holds ``f`` (when given) per iterate,
    the initial point included.

    References
    ----------
    Lin 2019, Theorem 1 (gradient descent as a plain network); Lemma 4.
    """
    step = check_positive(step, "step")

    def make(x0):
        x = x0.copy()

        def advance(k):
            nonlocal x
            x = x - step * grad(x)
            return x
        return advance
    return _run("gradient_descent", make, x0, iterations, f, step=step)


def heavy_ball(grad, x0, *, step, momentum, iterations, f=None):
    """Polyak's heavy ball: x_{k+1} = x_k − α_k∇f(x_k) + β_k(x_k − x_{k−1}), x_{−1} = x_0.

    ``step`` and ``momentum`` are numbers or callables k ↦ α_k, β_k (k = 0, 1, ...).
    Theorem 2: α_k = α_0/(k + 2), β_k = k/(k + 2), α_0 ≤ 1/L gives
    f(x_t) − f* ≤ ‖x_0 − x*‖²/(2α_0(t + 1)) on a convex L-smooth f. With
    :func:`polyak_parameters` on a μ-strongly convex quadratic the linear rate is
    q = (√L − √μ)/(√L + √μ).

    References
    ----------
    B. T. Polyak, USSR Comput. Math. Math. Phys. 4 (1964); Lin 2019, Theorem 2
    (heavy ball as a ResNet-like network).
    """
    alpha = step if callable(step) else (lambda k, a=check_positive(step, "step"): a)
    beta = momentum if callable(momentum) else (lambda k, b=float(momentum): b)

    def make(x0):
        x, x_prev = x0.copy(), x0.copy()

        def advance(k):
            nonlocal x, x_prev
            x, x_prev = x - alpha(k - 1) * grad(x) + beta(k - 1) * (x - x_prev), x
            return x
        return advance
    return _run("heavy_ball", make, x0, iterations, f)


def nesterov(grad, x0, *, lipschitz, iterations, f=None):
    """Nesterov's accelerated gradient in the seed's (Bubeck's) form.

    λ_0 = 0, λ_t = (1 + √(1 + 4λ_{t−1}²))/2, γ_t = (1 − λ_t)/λ_{t+1};
    y_{t+1} = x_t − ∇f(x_t)/β,  x_{t+1} = (1 − γ_t)y_{t+1} + γ_t y_t,  x_1 = y_1.
    Theorem 3: f(y_t) − f* ≤ 2β‖x_1 − x*‖²/t². The result's ``x`` and history ``f``
    are those of the y_t (y_1 = x_1 first).

    References
    ----------
    Y. Nesterov, Soviet Math. Dokl. 27 (1983); S. Bubeck, Convex Optimization:
    Algorithms and Complexity (2015); Lin 2019, Theorem 3 (AGD as a DenseNet-like network).
    """
    beta = check_positive(lipschitz, "lipschitz")

    def make(x0):
        x, y = x0.copy(), x0.copy()
        lam = 1.0                              # λ_1 = (1 + √(1 + 4λ_0²))/2 with λ_0 = 0

        def advance(k):
            nonlocal x, y, lam
            lam_next = (1 + np.sqrt(1 + 4 * lam * lam)) / 2
            gamma = (1 - lam) / lam_next
            y_next = x - grad(x) / beta
            x = (1 - gamma) * y_next + gamma * y
            y, lam = y_next, lam_next
            return y
        return advance
    return _run("nesterov", make, x0, iterations, f, lipschitz=beta)


def polyak_parameters(mu, lipschitz):
    """Heavy-ball step and momentum for a μ-strongly convex L-smooth quadratic and the rate q.

    α = 4/(√L + √μ)², β = q², q = (√L − √μ)/(√L + √μ).
    """
    mu, big_l = check_positive(mu, "mu"), check_positive(lipschitz, "lipschitz")
    if mu > big_l:
        raise ValueError(f"mu must be <= lipschitz, got {mu} > {big_l}")
    q = (np.sqrt(big_l) - np.sqrt(mu)) / (np.sqrt(big_l) + np.sqrt(mu))
    return 4.0 / (np.sqrt(big_l) + np.sqrt(mu)) ** 2, q * q, q


def rate_bounds(t, *, lipschitz, dist2, alpha0=None):
    """The bounds of Theorems 1–3 at iterations ``t`` (arrays of the same shape).

    Returns a dict: ``gd`` = 2β‖x_1 − x*‖²/(t − 1) (t ≥ 2), ``heavy_ball`` =
    ‖x_0 − x*‖²/(2α_0(t + 1)), ``nesterov`` = 2β‖x_1 − x*‖²/t²; ``dist2`` is the
    squared distance of the starting point to the minimiser.
    """
    t = np.asarray(t, dtype=float)
    alpha0 = 1.0 / lipschitz if alpha0 is None else alpha0
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
    activation : str or Activation
        Any row of the activation table (g̃ = g + ½s² = ∫₀ˢ φ).

    Returns
    -------
    f : callable z ↦ ½‖z‖² − Σ_i g̃(U_iᵀz)
    step : callable z ↦ UΦ(Uz), which Lemma 4 says equals z − ∇f(z)
    """
    act = get_activation(activation, alpha=alpha)
    u = as_float_array(u, "u", ndim=2)
    if u.shape[0] != u.shape[1] or not np.allclose(u, u.T):
        raise ValueError(f"u must be a symmetric square matrix, got shape {u.shape}")

    def f(z):
        return 0.5 * float(z @ z) - float(np.sum(act.g_tilde(u @ z)))

    def step(z):
        return u @ act.phi(u @ z)
    return f, step
