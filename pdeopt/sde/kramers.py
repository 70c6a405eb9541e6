"""Metastability: first-passage times of overdamped Langevin dynamics and Kramers' formula."""
from __future__ import annotations

import math

import numpy as np
from scipy import integrate

from .._checks import (as_float_array, as_rng, check_integer, check_object, check_positive,
                       check_range)
from .._result import Recorder
from ..kernels import select

__all__ = ["PolynomialPotential", "double_well", "kramers_time", "mean_exit_time",
           "exit_times"]


def _points(x):
    """``x`` as a finite float array of its own shape (a scalar stays 0-d)."""
    return as_float_array(x, "x").reshape(np.shape(x))


class PolynomialPotential:
    """A 1-D potential f(x) = Σ_k a_k x^k with its derivatives.

    Parameters
    ----------
    coeffs : array_like
        a_0, a_1, ..., a_n in increasing powers (finite, at least one).

    Examples
    --------
    >>> f = PolynomialPotential([0.0, 0.0, 1.0])  # f = x²
    >>> float(f(2.0)), float(f.grad(2.0)), float(f.hess(2.0))
    (4.0, 4.0, 2.0)
    """

    def __init__(self, coeffs):
        self.coeffs = as_float_array(coeffs, "coeffs", ndim=1)
        self._poly = np.polynomial.Polynomial(self.coeffs)
        self._d1 = self._poly.deriv(1)
        self._d2 = self._poly.deriv(2)

    def __call__(self, x):
        return self._poly(_points(x))

    def grad(self, x):
        """f′(x), of the shape of ``x``."""
        return self._d1(_points(x))

    def hess(self, x):
        """f″(x), of the shape of ``x``."""
        return self._d2(_points(x))

    @property
    def grad_coeffs(self) -> np.ndarray:
        """Coefficients of f′ in increasing powers (what the kernels evaluate)."""
        c = self._d1.coef
        return np.ascontiguousarray(c if c.size else np.zeros(1), dtype=np.float64)

    def check_confining(self, beta: float) -> None:
        """Raise ``ValueError`` unless e^{−βf} is integrable on ℝ (f → +∞ at both ends)."""
        trimmed = np.trim_zeros(self.coeffs, "b")
        degree = trimmed.size - 1
        if degree < 2 or degree % 2 or trimmed[-1] <= 0:
            raise ValueError(
                f"the density exp(-beta f) with beta={beta} is not normalizable: f must grow "
                f"to +inf at both ends (even degree >= 2, positive leading coefficient), got "
                f"coefficients {self.coeffs.tolist()}")

    def __repr__(self) -> str:
        return f"PolynomialPotential({self.coeffs.tolist()})"


def double_well(barrier: float = 1.0) -> PolynomialPotential:
    """The symmetric double well f(x) = Δ(x² − 1)²: minima ±1, saddle 0, barrier Δ.

    f″(±1) = 8Δ and f″(0) = −4Δ.

    Examples
    --------
    >>> f = double_well(2.0)
    >>> float(f(0.0) - f(1.0)), float(f.hess(1.0)), float(f.hess(0.0))
    (2.0, 16.0, -8.0)
    """
    barrier = check_positive(barrier, "barrier")
    return PolynomialPotential([barrier, 0.0, -2.0 * barrier, 0.0, barrier])


def _check_potential(potential, *attributes):
    return check_object(potential, "potential", *attributes,
                        kind="a potential such as PolynomialPotential (with "
                             + ", ".join(attributes) + ")")


def _check_point(value, name):
    return check_range(value, name)  # a finite real number


def kramers_time(potential, x_min, x_saddle, beta):
    r"""Kramers' mean transition time out of the well at ``x_min`` over the saddle ``x_saddle``.

    .. math::

        \mathbb{E}_{x_1}[\tau_{x_2}] \approx
        \frac{2\pi}{\sqrt{f''(x_1)\,|f''(x_3)|}}\; e^{\beta (f(x_3) - f(x_1))}

    for dx = −f′(x) dt + √(2/β) dW, asymptotically as β → ∞ (Kramers 1940; the
    proportionality stated by Oberman 2017 with the Eyring–Kramers constant 2π).

    Parameters
    ----------
    potential : PolynomialPotential
    x_min, x_saddle : float
        The local minimum x₁ the paths start from and the saddle x₃ they cross.
    beta : float or array_like
        Inverse temperature β > 0. A time beyond the float range (β·barrier > 700) is
        refused rather than returned as inf.

    References
    ----------
    Oberman, "Deep relaxation: PDEs for optimizing deep neural networks", slides, 2017
    (Metastability). Kramers, Physica 7 (1940).

    Examples
    --------
    >>> import math
    >>> t = kramers_time(double_well(1.0), -1.0, 0.0, 5.0)  # 2π/√(8·4)·e⁵
    >>> bool(abs(t - 2 * math.pi / math.sqrt(32.0) * math.exp(5.0)) < 1e-9)
    True
    """
    _check_potential(potential, "__call__", "hess")
    x_min, x_saddle = _check_point(x_min, "x_min"), _check_point(x_saddle, "x_saddle")
    scalar = np.ndim(beta) == 0
    beta = as_float_array(beta, "beta", ndim=(0, 1))
    if np.any(beta <= 0):
        raise ValueError(f"beta must be > 0, got {beta.min()}")
    c1, c3 = float(potential.hess(x_min)), float(potential.hess(x_saddle))
    if not (c1 > 0 and c3 < 0):
        raise ValueError(f"x_min must be a minimum (f''={c1:.3g}) and x_saddle a maximum "
                         f"(f''={c3:.3g}) of the potential")
    barrier = float(potential(x_saddle) - potential(x_min))
    exponent = beta * barrier
    if np.max(exponent) > 700.0:
        raise ValueError(f"beta={beta.max():g}: the Kramers time e^(beta*barrier) with "
                         f"barrier {barrier:.4g} exceeds the float range")
    out = 2.0 * math.pi / math.sqrt(c1 * abs(c3)) * np.exp(exponent)
    return float(out[0]) if scalar else out


def mean_exit_time(potential, x0, target, beta, *, lower=None, n=4001):
    r"""Exact mean first-passage time from ``x0`` up to ``target`` (1-D, by quadrature).

    .. math::

        T(x_0) = \beta \int_{x_0}^{b} e^{\beta f(y)} \int_{-\infty}^{y} e^{-\beta f(z)}\,dz\,dy

    is the solution of the backward equation β⁻¹T″ − f′T′ = −1 with T(b) = 0 and a
    reflecting (natural) left boundary; it is the reference that Kramers' formula
    approximates. The integrand is formed in the log domain, so nothing overflows at
    large β; a time beyond the float range is refused.

    Parameters
    ----------
    potential : PolynomialPotential
        Must be confining (e^{−βf} normalizable) or ``ValueError`` is raised.
    x0, target : float
        Start and absorbing level, x0 < target.
    beta : float
    lower : float, optional
        Where the inner integral starts, < x0 (default: where β(f − f(x0)) exceeds 60).
    n : int
        Quadrature nodes per integral (composite Simpson), ≥ 3.

    Examples
    --------
    For f = x²/2 and β = 1, T(0 → 1) = ∫₀¹ e^{y²/2} √(2π) Φ(y) dy = 2.0934066 (by
    ``scipy.integrate.quad``):

    >>> f = PolynomialPotential([0.0, 0.0, 0.5])
    >>> round(mean_exit_time(f, 0.0, 1.0, 1.0), 6)
    2.093407
    """
    _check_potential(potential, "__call__", "check_confining")
    beta = check_positive(beta, "beta")
    x0, target = _check_point(x0, "x0"), _check_point(target, "target")
    n = check_integer(n, "n", minimum=3)
    potential.check_confining(beta)
    if not x0 < target:
        raise ValueError(f"x0 must be < target, got x0={x0}, target={target}")
    if lower is None:
        width = max(1.0, 1e-6 * abs(x0))  # a step that moves x0 at any magnitude
        for _ in range(200):  # a confining f rises by β(f − f(x0)) > 60 well before
            lower = x0 - width
            if beta * (potential(lower) - potential(x0)) >= 60.0:
                break
            width *= 2.0
    elif not _check_point(lower, "lower") < x0:
        raise ValueError(f"lower must be < x0, got lower={lower}, x0={x0}")
    y = np.linspace(lower, target, n)
    with np.errstate(over="ignore"):
        fy = np.asarray(potential(y), dtype=float)
    if not np.all(np.isfinite(fy)):
        raise ValueError(f"the potential overflows on [{lower:.4g}, {target:.4g}]: x0 and "
                         "target must lie where f is finite")
    low = float(fy.min())
    # T = β ∫ e^{βf(y)} I(y) dy with I(y) = ∫^y e^{−βf}: the integrand is formed as
    # e^{L − max L}, L = β(f − min f) + log(e^{β min f} I), so nothing overflows
    inner = integrate.cumulative_simpson(np.exp(-beta * (fy - low)), x=y, initial=0.0)
    # Simpson's 3-point interval weights (5, 8, −1)/12 can leave a negligible negative
    # where the integrand is still ~0 and steep: I ≥ 0 exactly
    inner = np.maximum(inner, 0.0)
    with np.errstate(divide="ignore"):  # I = 0 at the left end: L = −inf, e^L = 0
        log_outer = math.log(beta) + beta * (fy - low) + np.log(inner)
    keep = y >= x0
    top = float(log_outer[keep].max())
    outer = np.exp(log_outer - top)
    ys = np.concatenate([[x0], y[keep]])
    vals = np.concatenate([[np.interp(x0, y, outer)], outer[keep]])
    log_time = top + math.log(float(integrate.simpson(vals, x=ys)))
    if log_time > 700.0:
        raise ValueError(f"beta={beta:g}: the mean exit time exceeds the float range "
                         f"(log T = {log_time:.4g})")
    return math.exp(log_time)


def exit_times(potential, x0, target, *, beta, dt, n_paths, max_time, rng=None,
               chunk_steps=4096, backend="auto", callback=None):
    r"""First-passage times of many Euler–Maruyama paths of dx = −f′(x) dt + √(2/β) dW.

    Each path starts at ``x0`` and stops at the first step with x ≥ ``target``:

    .. math::

        x_{k+1} = x_k - f'(x_k)\,\Delta t + \sqrt{2\Delta t/\beta}\; z_k,
        \qquad \tau = \Delta t \cdot \min\{k : x_k \ge b\}.

    Paths are integrated in chunks of ``chunk_steps`` steps by the kernel
    ``sde.em_exit`` (counter-based noise, so every backend returns the same times);
    only unfinished paths enter the next chunk.

    Parameters
    ----------
    potential : PolynomialPotential
        Its ``grad_coeffs`` (f′ in increasing powers) are what the kernels evaluate.
    x0, target : float
        Start and absorbing level (finite; a path starting at or above ``target``
        exits at time 0).
    beta : float
        Inverse temperature, > 0.
    dt : float
        Time step, > 0.
    n_paths : int
    max_time : float
        Paths still running at this time are censored (their time is ``nan``).
    rng : None, int or numpy.random.Generator
        Reproducibility; the noise key is drawn from the Generator.
    chunk_steps : int
        Steps per kernel call (≥ 1); one chunk is one iteration (``nit``).
    backend : {"auto", "numpy", "numba", "cuda"}
    callback : callable, optional
        ``callback(it)`` after each chunk (a :class:`pdeopt.Iterate` whose ``x`` holds
        the exit times so far); True stops.

    Returns
    -------
    Result
        ``x``: the exit times (``nan`` for censored paths, and only for them);
        ``history["exited"]``: the number of finished paths after each chunk;
        ``info["censored"]``. Status 0 (converged) when every path exited, 1 when some
        were censored at ``max_time``.

    Raises
    ------
    pdeopt.DivergenceError
        A path became NaN or inf (dt too large for the drift); names the chunk's first
        step and keeps the history of the chunks before.

    References
    ----------
    Oberman, "Deep relaxation: PDEs for optimizing deep neural networks", slides,
    2017 (Metastability, Kramers' formula).

    Examples
    --------
    >>> res = exit_times(double_well(1.0), -1.0, 1.0, beta=2.0, dt=0.01, n_paths=200,
    ...                  max_time=1e4, rng=0, backend="numpy")
    >>> res.converged, res.info["censored"], bool(res.x.min() > 0)
    (True, 0, True)
    """
    _check_potential(potential, "grad_coeffs")
    x0, target = _check_point(x0, "x0"), _check_point(target, "target")
    beta = check_positive(beta, "beta")
    dt = check_positive(dt, "dt")
    max_time = check_positive(max_time, "max_time")
    n_paths = check_integer(n_paths, "n_paths", minimum=1)
    chunk_steps = check_integer(chunk_steps, "chunk_steps", minimum=1)
    key = int(as_rng(rng).integers(0, 2 ** 63))
    coeffs = as_float_array(potential.grad_coeffs, "potential.grad_coeffs", ndim=1)
    kernel = select("sde.em_exit", backend)
    sigma = math.sqrt(2.0 / beta)
    max_steps = int(math.ceil(max_time / dt))
    x = np.full(n_paths, float(x0))
    steps = np.full(n_paths, -1, dtype=np.int64)
    alive = np.arange(n_paths, dtype=np.int64)
    rec = Recorder("exit_times", callback=callback, beta=beta, dt=dt, n_paths=n_paths,
                   x0=x0, target=target, max_time=max_time)
    with rec.running():
        step = 0
        while alive.size and step < max_steps:
            n = min(chunk_steps, max_steps - step)
            xa, sa = kernel(x[alive], alive, coeffs, dt, sigma, step, n, target, key)
            rec.require_finite(xa, rec.nit, f"a path (chunk from step {step})")
            x[alive] = xa
            steps[alive] = sa
            alive = alive[sa < 0]
            step += n
            rec.log(exited=n_paths - alive.size)
            if rec.end_iteration(np.where(steps >= 0, steps * dt, np.nan)):
                break
    times = np.where(steps >= 0, steps * dt, np.nan)
    return rec.result(times, converged=alive.size == 0, censored=int(alive.size),
                      backend=backend)
