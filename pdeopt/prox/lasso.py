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

from .._checks import (as_float_array, check_bool, check_budget, check_nonnegative,
                       check_positive)
from .._result import Recorder
from .thresholding import soft_threshold

__all__ = ["lasso_objective", "ista", "fista", "admm_lasso", "lasso_bounds"]


def _setup(a, y, lam, x0, x_name="x0"):
    """Checked float64 copies; refuses data whose objective F(x0) overflows float64."""
    a = as_float_array(a, "a", ndim=2, dtype=np.float64)
    y = as_float_array(y, "y", ndim=(1, 2), dtype=np.float64)
    if y.shape[0] != a.shape[0]:
        raise ValueError(f"y must have a.shape[0] = {a.shape[0]} rows, got shape {y.shape}")
    lam = check_nonnegative(lam, "lam")
    shape = (a.shape[1],) + y.shape[1:]
    x0 = (np.zeros(shape) if x0 is None
          else as_float_array(x0, x_name, dtype=np.float64, copy=True))
    if x0.shape != shape:
        raise ValueError(f"{x_name} must have shape {shape}, got {x0.shape}")
    with np.errstate(over="ignore", invalid="ignore"):
        f0 = _objective(a, y, lam, x0)
    if not np.isfinite(f0):
        raise ValueError(f"the objective at {x_name} overflows float64: a, y, lam or {x_name} "
                         "is too large (rescale the problem)")
    return a, y, lam, x0


def _options(a, step, max_iter, tol, record):
    """L = ‖A‖₂², the step η (default 1/L, else checked > 0), the budget and ``record``."""
    max_iter, tol = check_budget(max_iter, tol)
    record = check_bool(record, "record")
    big_l = _lipschitz(a)
    if step is None and big_l == 0:
        raise ValueError("a is zero: the default step 1/‖a‖² is undefined (give step)")
    eta = 1.0 / big_l if step is None else check_positive(step, "step")
    return big_l, eta, max_iter, tol, record


def _relative(change: float, size: float) -> float:
    """change / size, the stopping test's residual (0 when both are 0, inf for x/0)."""
    return change / size if size > 0 else (0.0 if change == 0 else np.inf)


def _relative_change(new, old) -> float:
    """‖x_new − x_old‖ / ‖x_new‖."""
    return _relative(float(np.linalg.norm(new - old)), float(np.linalg.norm(new)))


def lasso_objective(a, y, lam, x) -> float:
    """F(x) = ½‖Ax − y‖² + λ‖x‖₁ (summed over columns).

    Examples
    --------
    >>> lasso_objective(np.eye(2), [1.0, 0.0], 0.5, [1.0, 0.0])
    0.5
    """
    a, y, lam, x = _setup(a, y, lam, x, "x")
    return _objective(a, y, lam, x)


def _objective(a, y, lam, x) -> float:
    r = a @ x - y
    return 0.5 * float(np.sum(r * r)) + lam * float(np.sum(np.abs(x)))


def _lipschitz(a):
    with np.errstate(over="ignore"):
        big_l = float(np.float64(np.linalg.norm(a, 2)) ** 2)  # inf, not OverflowError
    if not np.isfinite(big_l):
        raise ValueError("a is too large: ‖a‖₂² overflows float64 (rescale the problem)")
    return big_l


_RUN_DOC = """
    Parameters
    ----------
    a : array_like, shape (m, n)
        The matrix A.
    y : array_like, shape (m,) or (m, T)
        Data; T right-hand sides are solved together.
    lam : float
        λ ≥ 0.
    max_iter : int
        Iteration budget (≥ 1).
    tol : float
        Stopping test: ‖x_{k+1} − x_k‖ ≤ tol·‖x_{k+1}‖ (relative change of the
        iterate<EXTRA>). ``tol=0`` (default) runs the whole budget and claims no
        convergence; a tolerance not met within the budget gives ``success=False``
        and a :class:`pdeopt.ConvergenceWarning`.
    <STEP>x0 : array_like, optional
        Start (default 0), the shape of x.
    record : bool
        Record the objective F(x_k) of every iterate (one product with A each).
    callback : callable, optional
        ``callback(it)`` after each iteration, ``it`` a :class:`pdeopt.Iterate`;
        returning True stops the run.
    backend : {"auto", "numpy", "numba", "cuda"}
        Backend of :func:`~pdeopt.prox.soft_threshold` (``"numpy"`` is the fastest
        for vectors of a few hundred entries).

    Returns
    -------
    Result
        ``x`` the last iterate; ``nit`` the iterations run; history<HISTORY>.

    Raises
    ------
    pdeopt.DivergenceError
        An iterate became NaN or inf (a step above 2/‖A‖² makes the iteration
        diverge); the message names the iteration, λ and the step, and
        ``error.result`` holds the history so far.
"""
_STEP = """step : float, optional
        η > 0; default 1/‖A‖₂². The iteration converges for η < 2/‖A‖₂².
    """


def _prox_gradient(name, a, y, lam, x, *, step, max_iter, tol, record, callback, backend,
                   accelerated):
    """ISTA (``accelerated=False``) or FISTA: the shared loop."""
    big_l, eta, max_iter, tol, record = _options(a, step, max_iter, tol, record)
    rec = Recorder(name, max_iter=max_iter, tol=tol, callback=callback, lam=lam, step=eta)
    v, t = x, 1.0
    with rec.running(), np.errstate(over="ignore", invalid="ignore"):
        if record:
            rec.log(objective=_objective(a, y, lam, x))
        for k in range(max_iter):
            z = v - eta * (a.T @ (a @ v - y))
            # a diverging step overflows here, before the thresholding sees it
            rec.require_finite(z, k + 1, "the gradient step")
            x_new = soft_threshold(z, lam * eta, backend=backend)
            if accelerated:
                t_new = 0.5 * (1 + np.sqrt(1 + 4 * t * t))
                v = x_new + ((t - 1) / t_new) * (x_new - x)
                t = t_new
            else:
                v = x_new
            residual = _relative_change(x_new, x)
            x = x_new
            if record:
                f = _objective(a, y, lam, x)
                rec.require_finite(f, k + 1, "the objective")
                rec.log(objective=f)
            if rec.end_iteration(x, residual=residual):
                break
    return rec.result(x, lipschitz=big_l, backend=backend)


def ista(a, y, lam, *, max_iter=100, tol=0.0, step=None, x0=None, record=True, callback=None,
         backend="auto"):
    """ISTA for the lasso: x_{k+1} = S_{λη}(x_k − ηAᵀ(Ax_k − y)), η = 1/‖A‖₂² by default.

    S is soft thresholding; F(x_k) − F* ≤ L‖x_0 − x*‖²/(2k) for η = 1/L
    (:func:`lasso_bounds`).
    {doc}
    References
    ----------
    I. Daubechies, M. Defrise, C. De Mol, Commun. Pure Appl. Math. 57 (2004);
    A. Beck, M. Teboulle, SIAM J. Imaging Sci. 2 (2009); Lin 2019 (ISTA-Net).

    Examples
    --------
    >>> res = ista(np.eye(3), [3.0, 0.5, -2.0], 1.0, max_iter=50, tol=1e-12)
    >>> res.x, res.converged, res.nit
    (array([ 2.,  0., -1.]), True, 2)
    """
    a, y, lam, x = _setup(a, y, lam, x0)
    return _prox_gradient("ista", a, y, lam, x, step=step, max_iter=max_iter, tol=tol,
                          record=record, callback=callback, backend=backend, accelerated=False)


def fista(a, y, lam, *, max_iter=100, tol=0.0, step=None, x0=None, record=True, callback=None,
          backend="auto"):
    """FISTA (Beck & Teboulle 2009): ISTA's step at the extrapolated point.

    x_k = S_{λη}(v_k − ηAᵀ(Av_k − y)), t_{k+1} = (1 + √(1 + 4t_k²))/2,
    v_{k+1} = x_k + ((t_k − 1)/t_{k+1})(x_k − x_{k−1}), v_1 = x_0, t_1 = 1;
    F(x_k) − F* ≤ 2L‖x_0 − x*‖²/(k + 1)² for η = 1/L (:func:`lasso_bounds`).
    {doc}
    References
    ----------
    A. Beck, M. Teboulle, SIAM J. Imaging Sci. 2 (2009); Lin 2019 (ISTA-Net).

    Examples
    --------
    >>> a = np.array([[1.0, 0.5], [0.0, 1.0]])
    >>> res = fista(a, [2.0, 1.0], 0.1, max_iter=500, tol=1e-10)
    >>> res.x.round(4), res.converged  # KKT: x = (AᵀA)⁻¹(Aᵀy − λ·1) where x > 0
    (array([1.425, 0.95 ]), True)
    """
    a, y, lam, x = _setup(a, y, lam, x0)
    return _prox_gradient("fista", a, y, lam, x, step=step, max_iter=max_iter, tol=tol,
                          record=record, callback=callback, backend=backend, accelerated=True)


def _document(fn, extra=""):
    history = (" ``objective`` F(x_k)\n        for k = 0..nit (when ``record``); "
               "``info[\"lipschitz\"]`` = ‖A‖₂²")
    doc = _RUN_DOC.replace("<EXTRA>", extra).replace("<STEP>", _STEP)
    fn.__doc__ = fn.__doc__.replace("{doc}", doc.replace("<HISTORY>", history))


_document(ista)
_document(fista, ", not of the extrapolated point")


def admm_lasso(a, y, lam, *, rho=1.0, max_iter=100, tol=0.0, x0=None, record=True,
               callback=None, backend="auto"):
    """ADMM for the lasso with the splitting x = z (Boyd et al. 2011, §6.4).

    x ← (AᵀA + ρI)⁻¹(Aᵀy + ρ(z − u)), z ← S_{λ/ρ}(x + u), u ← u + x − z; the
    x-update uses one Cholesky factor computed once. ``rho`` > 0 is the penalty
    parameter ρ; the other arguments are those of :func:`ista`, except the stopping
    test: max(‖x_k − z_k‖, ‖z_k − z_{k−1}‖) ≤ tol·‖z_k‖ (Boyd et al.'s primal and
    dual residuals, relative). ``x`` of the result is z (sparse); history
    ``objective`` F(z_k) for k = 0..nit and ``residual`` ‖x_k − z_k‖ (when ``record``).

    Examples
    --------
    >>> res = admm_lasso(np.eye(3), [3.0, 0.5, -2.0], 1.0, max_iter=200, tol=1e-10)
    >>> res.x.round(6), res.converged
    (array([ 2.,  0., -1.]), True)
    """
    a, y, lam, z = _setup(a, y, lam, x0)
    rho = check_positive(rho, "rho")
    max_iter, tol = check_budget(max_iter, tol)
    record = check_bool(record, "record")
    from scipy.linalg import cho_factor, cho_solve
    _lipschitz(a)  # refuses an a whose AᵀA overflows
    factor = cho_factor(a.T @ a + rho * np.eye(a.shape[1]))
    aty = a.T @ y
    u = np.zeros_like(z)
    rec = Recorder("admm_lasso", max_iter=max_iter, tol=tol, callback=callback, lam=lam,
                   rho=rho)
    with rec.running(), np.errstate(over="ignore", invalid="ignore"):
        if record:
            rec.log(objective=_objective(a, y, lam, z), residual=0.0)
        for k in range(max_iter):
            x = cho_solve(factor, aty + rho * (z - u))
            rec.require_finite(x, k + 1, "the x-update")
            z_new = soft_threshold(x + u, lam / rho, backend=backend)
            u += x - z_new
            primal = float(np.linalg.norm(x - z_new))
            residual = _relative(max(primal, float(np.linalg.norm(z_new - z))),
                                 float(np.linalg.norm(z_new)))
            z = z_new
            if record:
                rec.log(objective=_objective(a, y, lam, z), residual=primal)
            if rec.end_iteration(z, residual=residual):
                break
    return rec.result(z, backend=backend)


def lasso_bounds(k, *, lipschitz, dist2):
    """The bounds F(x_k) − F* ≤ L‖x_0 − x*‖²/(2k) (ISTA) and 2L‖x_0 − x*‖²/(k + 1)² (FISTA).

    Parameters
    ----------
    k : int or array_like of int
        Iteration counts, k ≥ 1 (at k = 0 the ISTA bound is vacuous).
    lipschitz : float
        L = ‖A‖₂² > 0 (``info["lipschitz"]`` of :func:`ista`).
    dist2 : float
        ‖x_0 − x*‖² ≥ 0.

    Returns
    -------
    dict
        ``"ista"`` and ``"fista"``: the bounds, k's shape.

    Examples
    --------
    >>> b = lasso_bounds([1, 4], lipschitz=2.0, dist2=1.0)
    >>> b["ista"], b["fista"]
    (array([1.  , 0.25]), array([1.  , 0.16]))
    """
    if np.asarray(k).dtype == bool:
        raise TypeError("k must be an integer or an array of integers, got bool")
    k = as_float_array(k, "k")
    if k.ndim > 1 or np.any(k < 1) or np.any(k != np.round(k)):
        raise ValueError("k must be an integer or a 1-D array of integers >= 1")
    lipschitz = check_positive(lipschitz, "lipschitz")
    dist2 = check_nonnegative(dist2, "dist2")
    return {"ista": lipschitz * dist2 / (2 * k), "fista": 2 * lipschitz * dist2 / (k + 1) ** 2}
