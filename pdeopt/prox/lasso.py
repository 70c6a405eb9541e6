"""ISTA, FISTA and ADMM for ℓ1-regularised least squares (the lasso).

    min_x F(x) = ½‖Ax − y‖² + λ‖x‖₁.

ISTA is the proximal gradient method, x_{k+1} = S_{λ/L}(x_k − Aᵀ(Ax_k − y)/L) with
S the soft-thresholding of :func:`pdeopt.prox.soft_threshold` and L = ‖A‖₂²;
F(x_k) − F* ≤ L‖x_0 − x*‖²/(2k). FISTA adds Nesterov's extrapolation and gets
F(x_k) − F* ≤ 2L‖x_0 − x*‖²/(k + 1)². ADMM splits x = z:
x ← (AᵀA + ρI)⁻¹(Aᵀy + ρ(z − u)), z ← S_{λ/ρ}(x + u), u ← u + x − z.
``y`` may hold several right-hand sides as columns (then x has as many columns).

These iterations unrolled, with learned matrices and thresholds, are ISTA-Net /
LISTA (:func:`pdeopt.lifted.unrolled.lista_train`).

References
----------
A. Beck, M. Teboulle, "A fast iterative shrinkage-thresholding algorithm for linear
inverse problems", SIAM J. Imaging Sci. 2 (2009).
S. Boyd et al., "Distributed optimization and statistical learning via the
alternating direction method of multipliers", 2011, §6.4.
"""
from __future__ import annotations

import numpy as np

from .._checks import as_float_array, check_integer, check_positive, check_nonnegative
from .._result import Recorder
from .thresholding import soft_threshold

__all__ = ["lasso_objective", "ista", "fista", "admm_lasso", "lasso_bounds"]


def _setup(a, y, lam, x0):
    a = as_float_array(a, "A", ndim=2, dtype=np.float64)
    y = as_float_array(y, "y", ndim=(1, 2), dtype=np.float64)
    if y.shape[0] != a.shape[0]:
        raise ValueError(f"y must have {a.shape[0]} rows (A is {a.shape}), got {y.shape}")
    lam = check_nonnegative(lam, "lam")
    shape = (a.shape[1],) + y.shape[1:]
    x0 = np.zeros(shape) if x0 is None else as_float_array(x0, "x0", dtype=np.float64, copy=True)
    if x0.shape != shape:
        raise ValueError(f"x0 must have shape {shape}, got {x0.shape}")
    return a, y, lam, x0


def _step_and_count(a, step, iterations):
    """L = ‖A‖₂², the step η (default 1/L, else checked > 0) and the checked iteration count."""
    big_l = _lipschitz(a)
    eta = 1.0 / big_l if step is None else check_positive(step, "step")
    return big_l, eta, check_integer(iterations, "iterations", minimum=1)


def lasso_objective(a, y, lam, x) -> float:
    """F(x) = ½‖Ax − y‖² + λ‖x‖₁ (summed over columns)."""
    r = a @ x - y
    return 0.5 * float(np.sum(r * r)) + lam * float(np.sum(np.abs(x)))


def _lipschitz(a):
    return float(np.linalg.norm(a, 2) ** 2)


def ista(a, y, lam, *, iterations=100, step=None, x0=None, record=True, backend="auto"):
    """ISTA for the lasso: x_{k+1} = S_{λη}(x_k − ηAᵀ(Ax_k − y)), η = 1/‖A‖₂² by default.

    ``backend`` is passed to :func:`~pdeopt.prox.soft_threshold` (``"numpy"`` is the
    fastest for vectors of a few hundred entries).

    Returns
    -------
    Result
        ``x`` the last iterate; history ``objective`` F(x_k) for k = 0..iterations
        (when ``record``); ``info["lipschitz"]``.

    References
    ----------
    I. Daubechies, M. Defrise, C. De Mol, Commun. Pure Appl. Math. 57 (2004);
    A. Beck, M. Teboulle, SIAM J. Imaging Sci. 2 (2009); Lin 2019 (ISTA-Net).
    """
    a, y, lam, x = _setup(a, y, lam, x0)
    big_l, eta, iterations = _step_and_count(a, step, iterations)
    rec = Recorder(method="ista", lam=lam, step=eta)
    with rec.running():
        if record:
            rec.log(objective=lasso_objective(a, y, lam, x))
        for _ in range(iterations):
            x = soft_threshold(x - eta * (a.T @ (a @ x - y)), lam * eta, backend=backend)
            if record:
                rec.log(objective=lasso_objective(a, y, lam, x))
    return rec.result(x, converged=True, lipschitz=big_l, iterations=iterations)


def fista(a, y, lam, *, iterations=100, step=None, x0=None, record=True, backend="auto"):
    """FISTA (Beck & Teboulle 2009): ISTA's step at the extrapolated point.

    x_k = S_{λη}(v_k − ηAᵀ(Av_k − y)), t_{k+1} = (1 + √(1 + 4t_k²))/2,
    v_{k+1} = x_k + ((t_k − 1)/t_{k+1})(x_k − x_{k−1}), v_1 = x_0, t_1 = 1.

    References
    ----------
    A. Beck, M. Teboulle, SIAM J. Imaging Sci. 2 (2009); Lin 2019 (ISTA-Net).
    """
    a, y, lam, x = _setup(a, y, lam, x0)
    big_l, eta, iterations = _step_and_count(a, step, iterations)
    rec = Recorder(method="fista", lam=lam, step=eta)
    v, t = x.copy(), 1.0
    with rec.running():
        if record:
            rec.log(objective=lasso_objective(a, y, lam, x))
        for _ in range(iterations):
            x_new = soft_threshold(v - eta * (a.T @ (a @ v - y)), lam * eta, backend=backend)
            t_new = 0.5 * (1 + np.sqrt(1 + 4 * t * t))
            v = x_new + ((t - 1) / t_new) * (x_new - x)
            x, t = x_new, t_new
            if record:
                rec.log(objective=lasso_objective(a, y, lam, x))
    return rec.result(x, converged=True, lipschitz=big_l, iterations=iterations)


def admm_lasso(a, y, lam, *, rho=1.0, iterations=100, x0=None, record=True,
               backend="auto"):
    """ADMM for the lasso with the splitting x = z (Boyd et al. 2011, §6.4).

    The x-update solves (AᵀA + ρI)x = Aᵀy + ρ(z − u) with one Cholesky factor
    computed once. History: ``objective`` F(z_k) and ``residual`` ‖x_k − z_k‖.
    """
    a, y, lam, z = _setup(a, y, lam, x0)
    rho = check_positive(rho, "rho")
    iterations = check_integer(iterations, "iterations", minimum=1)
    from scipy.linalg import cho_factor, cho_solve
    factor = cho_factor(a.T @ a + rho * np.eye(a.shape[1]))
    aty = a.T @ y
    u = np.zeros_like(z)
    rec = Recorder(method="admm_lasso", lam=lam, rho=rho)
    with rec.running():
        if record:
            rec.log(objective=lasso_objective(a, y, lam, z), residual=0.0)
        for _ in range(iterations):
            x = cho_solve(factor, aty + rho * (z - u))
            z = soft_threshold(x + u, lam / rho, backend=backend)
            u += x - z
            if record:
                rec.log(objective=lasso_objective(a, y, lam, z),
                        residual=float(np.linalg.norm(x - z)))
    return rec.result(z, converged=True, iterations=iterations)


def lasso_bounds(k, *, lipschitz, dist2):
    """The bounds F(x_k) − F* ≤ L‖x_0 − x*‖²/(2k) (ISTA) and 2L‖x_0 − x*‖²/(k + 1)² (FISTA)."""
    k = np.asarray(k, dtype=float)
    with np.errstate(divide="ignore"):
        return {"ista": lipschitz * dist2 / (2 * k), "fista": 2 * lipschitz * dist2 / (k + 1) ** 2}
