"""Metastability: first-passage times of overdamped Langevin dynamics and Kramers' formula."""
from __future__ import annotations

import math

import numpy as np
from scipy import integrate

from .._checks import as_float_array, as_rng, check_integer, check_positive
from .._result import Recorder
from ..kernels import select

__all__ = ["PolynomialPotential", "double_well", "kramers_time", "mean_exit_time",
           "exit_times"]


class PolynomialPotential:
    """A 1-D potential f(x) = Σ_k a_k x^k with its derivatives.

    Parameters
    ----------
    coeffs : array_like
        a_0, a_1, ..., a_n in increasing powers.
    """

    def __init__(self, coeffs):
        self.coeffs = as_float_array(coeffs, "coeffs", ndim=1)
        self._poly = np.polynomial.Polynomial(self.coeffs)
        self._d1 = self._poly.deriv(1)
        self._d2 = self._poly.deriv(2)

    def __call__(self, x):
        return self._poly(np.asarray(x, dtype=float))

    def grad(self, x):
        return self._d1(np.asarray(x, dtype=float))

    def hess(self, x):
        return self._d2(np.asarray(x, dtype=float))

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
    """
    barrier = check_positive(barrier, "barrier")
    return PolynomialPotential([barrier, 0.0, -2.0 * barrier, 0.0, barrier])


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
        Inverse temperature β > 0.

    References
    ----------
    Oberman, "Deep relaxation: PDEs for optimizing deep neural networks", slides, 2017
    (Metastability). Kramers, Physica 7 (1940).
    """
    beta = np.asarray(beta, dtype=float)
    if not np.all(np.isfinite(beta)) or np.any(beta <= 0):
        raise ValueError(f"beta must be > 0, got {beta.min()}")
    c1, c3 = float(potential.hess(x_min)), float(potential.hess(x_saddle))
    if c1 <= 0 or c3 >= 0:
        raise ValueError(f"x_min must be a minimum (f''={c1:.3g}) and x_saddle a maximum "
                         f"(f''={c3:.3g}) of the potential")
    barrier = float(potential(x_saddle) - potential(x_min))
    out = 2.0 * math.pi / math.sqrt(c1 * abs(c3)) * np.exp(beta * barrier)
    return out if out.ndim else float(out)


def mean_exit_time(potential, x0, target, beta, *, lower=None, n=4001):
    r"""Exact mean first-passage time from ``x0`` up to ``target`` (1-D, by quadrature).

    .. math::

        T(x_0) = \beta \int_{x_0}^{b} e^{\beta f(y)} \int_{-\infty}^{y} e^{-\beta f(z)}\,dz\,dy

    is the solution of the backward equation β⁻¹T″ − f′T′ = −1 with T(b) = 0 and a
    reflecting (natural) left boundary; it is the reference that Kramers' formula
    approximates.

    Parameters
    ----------
    potential : PolynomialPotential
        Must be confining (e^{−βf} normalizable) or ``ValueError`` is raised.
    x0, target : float
        Start and absorbing level, x0 < target.
    beta : float
    lower : float, optional
        Where the inner integral starts (default: where β(f − min f) exceeds 60).
    n : int
        Quadrature nodes per integral (composite Simpson).
    """
    beta = check_positive(beta, "beta")
    potential.check_confining(beta)
    if not x0 < target:
        raise ValueError(f"x0 must be < target, got x0={x0}, target={target}")
    if lower is None:
        lower = float(x0) - 1.0
        while beta * (potential(lower) - potential(x0)) < 60.0:
            lower = x0 - 2.0 * (x0 - lower)
    shift = float(max(potential(x0), potential(target)))
    y = np.linspace(lower, target, n)
    inner = integrate.cumulative_simpson(np.exp(-beta * (potential(y) - shift)), x=y, initial=0.0)
    outer = beta * np.exp(beta * (potential(y) - shift)) * inner
    keep = y >= x0
    ys = np.concatenate([[x0], y[keep]])
    vals = np.concatenate([[np.interp(x0, y, outer)], outer[keep]])
    return float(integrate.simpson(vals, x=ys))


def exit_times(potential, x0, target, *, beta, dt, n_paths, max_time, seed=None, rng=None,
               chunk_steps=4096, backend="auto"):
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
    x0, target : float
    beta : float
        Inverse temperature, > 0.
    dt : float
        Time step, > 0.
    n_paths : int
    max_time : float
        Paths still running at this time are censored (their time is ``nan``).
    seed, rng : optional
        Reproducibility; the noise key is drawn from the Generator.
    backend : {"auto", "numpy", "numba", "cuda"}

    Returns
    -------
    Result
        ``x``: the exit times (``nan`` for censored paths); ``history["exited"]``:
        the number of finished paths after each chunk; ``info["censored"]``.

    References
    ----------
    Oberman, "Deep relaxation: PDEs for optimizing deep neural networks", slides,
    2017 (Metastability, Kramers' formula).
    """
    beta = check_positive(beta, "beta")
    dt = check_positive(dt, "dt")
    max_time = check_positive(max_time, "max_time")
    n_paths = check_integer(n_paths, "n_paths", minimum=1)
    chunk_steps = check_integer(chunk_steps, "chunk_steps", minimum=1)
    key = int(as_rng(rng, seed).integers(0, 2 ** 63))
    kernel = select("sde.em_exit", backend)
    sigma = math.sqrt(2.0 / beta)
    max_steps = int(math.ceil(max_time / dt))
    x = np.full(n_paths, float(x0))
    steps = np.full(n_paths, -1, dtype=np.int64)
    alive = np.arange(n_paths, dtype=np.int64)
    rec = Recorder(method="exit_times", beta=beta, dt=dt, n_paths=n_paths, x0=x0,
                   target=target, max_time=max_time)
    with rec.running():
        step = 0
        while alive.size and step < max_steps:
            n = min(chunk_steps, max_steps - step)
            xa, sa = kernel(x[alive], alive, potential.grad_coeffs, dt, sigma, step, n,
                            float(target), key)
            if not np.all(np.isfinite(xa)):
                raise FloatingPointError(f"exit_times diverged in the chunk starting at step "
                                         f"{step} (beta={beta}, dt={dt}): reduce dt")
            x[alive] = xa
            steps[alive] = sa
            alive = alive[sa < 0]
            step += n
            rec.log(exited=n_paths - alive.size)
    times = np.where(steps >= 0, steps * dt, np.nan)
    return rec.result(times, converged=alive.size == 0, censored=int(alive.size),
                      backend=backend)
