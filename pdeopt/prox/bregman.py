"""Linearized Bregman iteration for basis pursuit, and the LP reference solution."""
from __future__ import annotations

import numpy as np

from pdeopt._checks import as_float_array, check_bool, check_budget, check_positive
from pdeopt._result import Recorder, direct_result

from .thresholding import soft_threshold

__all__ = ["linearized_bregman", "basis_pursuit_lp"]


def linearized_bregman(A, b, *, mu, delta=None, max_iter=5000, tol=1e-8, accelerated=False,
                       callback=None, backend="auto"):
    r"""Linearized Bregman iteration for basis pursuit min ‖u‖₁ subject to Au = b.

    .. math::
        v^{k+1} = v^k - A^\top(Au^k - b),\qquad
        u^{k+1} = \delta\cdot\operatorname{shrink}(v^{k+1}, \mu)

    It converges to the solution of min μ‖u‖₁ + ‖u‖²/(2δ) subject to Au = b
    for 0 < δ < 2/‖A‖², which is the basis-pursuit solution once μδ is large
    enough (exact regularization; with μδ too small the iteration converges, but
    to that other problem's solution: see the example). The iteration is gradient ascent, with unit
    step, on the dual D(w) = bᵀw − (δ/2)‖shrink(Aᵀw, μ)‖² with v = Aᵀw;
    ``accelerated=True`` adds Nesterov's extrapolation to it (Huang, Ma, Goldfarb),
    restarted whenever a step opposes the momentum (O'Donoghue & Candès), which
    needs δ ≤ 1/‖A‖².

    Parameters
    ----------
    A : array_like, shape (m, n)
    b : array_like, shape (m,) or (m, T)
        One right-hand side, or T of them solved together (same A).
    mu : float
        Shrinkage threshold μ > 0.
    delta : float, optional
        Step δ; default 1/‖A‖₂² (safe for both variants).
    max_iter : int
        Iteration budget.
    tol : float
        Stopping test: ‖Au − b‖ ≤ tol·‖b‖ for every column (the constraint holds).
        ``tol=0`` runs the whole budget; a tolerance missed within it gives
        ``success=False`` and a :class:`pdeopt.ConvergenceWarning`.
    accelerated : bool
    callback : callable, optional
        ``callback(it)`` after each iteration (a :class:`pdeopt.Iterate`); True stops.
    backend : {"auto", "numpy", "numba", "cuda"}
        Backend of the shrinkage.

    Returns
    -------
    Result
        ``x`` = u (shape (n,) or (n, T)); history ``residual`` (‖Au − b‖/‖b‖, the
        largest over columns) and ``l1`` (‖u‖₁, summed over columns) per
        iteration; ``converged`` when every column met the tolerance.

    References
    ----------
    .. [1] W. Yin, S. Osher, D. Goldfarb, J. Darbon, "Bregman iterative algorithms for
       ℓ1-minimization with applications to compressed sensing", SIAM J. Imaging Sci. 1 (2008).
    .. [2] J.-F. Cai, S. Osher, Z. Shen, "Linearized Bregman iterations for compressed
       sensing", Math. Comp. 78 (2009).
    .. [3] B. Huang, S. Ma, D. Goldfarb, "Accelerated linearized Bregman method",
       J. Sci. Comput. 54 (2013).
    .. [4] B. O'Donoghue, E. Candès, "Adaptive restart for accelerated gradient schemes",
       Found. Comput. Math. 15 (2015).

    Examples
    --------
    Three spikes from 40 random measurements in R^100: far below the ℓ1 phase
    transition, so basis pursuit recovers u0, and so does linearized Bregman with
    μ = 1000 (μδ ≈ 4 with the default δ = 1/‖A‖² ≈ 1/260). With μ = 50 (μδ ≈ 0.2)
    the iteration also converges (Au = b), to the regularized problem's solution,
    0.79 away from u0 in the max norm: μδ is too small for exact regularization.

    >>> rng = np.random.default_rng(0)
    >>> A = rng.normal(size=(40, 100)); u0 = np.zeros(100); u0[[3, 50, 90]] = [1, -2, 1.5]
    >>> res = linearized_bregman(A, A @ u0, mu=1000.0, accelerated=True)
    >>> res.converged, bool(np.abs(res.x - u0).max() < 1e-6)
    (True, True)
    >>> float(np.linalg.norm(A @ res.x - A @ u0) / np.linalg.norm(A @ u0)) <= 1e-8
    True
    """
    A = as_float_array(A, "A", ndim=2)
    b = as_float_array(b, "b", ndim=(1, 2))
    if b.shape[0] != A.shape[0]:
        raise ValueError(f"b must have A.shape[0] = {A.shape[0]} rows, got shape {b.shape}")
    mu = check_positive(mu, "mu")
    norm2 = np.linalg.norm(A, 2) ** 2
    delta = 1.0 / norm2 if delta is None else check_positive(delta, "delta")
    limit = (1.0 if accelerated else 2.0) / norm2
    if delta > limit or (delta == limit and not accelerated):
        raise ValueError(f"delta must be {'<=' if accelerated else '<'} {limit:.4g} "
                         f"(= {'1' if accelerated else '2'}/‖A‖²) "
                         f"for convergence, got {delta}")
    max_iter, tol = check_budget(max_iter, tol)
    accelerated = check_bool(accelerated, "accelerated")
    nb = np.linalg.norm(b, axis=0)
    nb = np.where(nb > 0, nb, 1.0)

    rec = Recorder("linearized_bregman", max_iter=max_iter, tol=tol, callback=callback, mu=mu,
                   delta=delta, accelerated=accelerated)
    # iterate on the dual variable w (v = Aᵀw): w ← z + (b − A u(z)), u(z) = δ·shrink(Aᵀz, μ)
    w = np.zeros(b.shape)
    z = w.copy()  # the point the gradient is taken at (= w without acceleration)
    u = np.zeros((A.shape[1],) + b.shape[1:])
    momentum_age = np.zeros(b.shape[1:])
    with rec.running(), np.errstate(over="ignore", invalid="ignore"):
        for k in range(max_iter):
            v = A.T @ z
            rec.require_finite(v, k + 1, "v = Aᵀw")
            u = delta * soft_threshold(v, mu, backend=backend)
            grad = b - A @ u  # ∇D(z)
            w_new = z + grad
            if accelerated:
                # Nesterov's extrapolation with O'Donoghue–Candès gradient restart: when the
                # step goes against the momentum the momentum is dropped (per column)
                restart = np.sum(grad * (w_new - w), axis=0) < 0
                momentum_age = np.where(restart, 0, momentum_age + 1)
                beta = (momentum_age - 1) / (momentum_age + 2)
                z = w_new + np.maximum(beta, 0) * (w_new - w)
            else:
                z = w_new
            w = w_new
            res = float(np.max(np.linalg.norm(grad, axis=0) / nb))
            rec.log(residual=res, l1=float(np.abs(u).sum()))
            if rec.end_iteration(u, residual=res):
                break
    return rec.result(u, backend=backend)


def basis_pursuit_lp(A, b):
    r"""Basis pursuit min ‖u‖₁ s.t. Au = b as a linear program (``scipy.optimize.linprog``, HiGHS).

    With u = u⁺ − u⁻, u± ≥ 0: min 1ᵀ(u⁺ + u⁻) subject to A(u⁺ − u⁻) = b.

    Parameters
    ----------
    A : array_like, shape (m, n)
    b : array_like, shape (m,)

    Returns
    -------
    Result
        A direct solve: ``x`` the solution u (None when the LP solver found none);
        ``success``, ``message`` and ``info["linprog_status"]`` are linprog's
        (``status`` 0 when solved, 2 when not, e.g. Au = b infeasible); ``nit`` its
        iterations. Failure is reported, not raised.

    References
    ----------
    S. S. Chen, D. L. Donoho, M. A. Saunders, "Atomic decomposition by basis
    pursuit", SIAM J. Sci. Comput. 20 (1998).

    Examples
    --------
    >>> A = np.array([[1.0, 1.0, 0.0], [0.0, 1.0, 1.0]])
    >>> res = basis_pursuit_lp(A, [1.0, 1.0])
    >>> res.success, (res.x.round(6) + 0.0).tolist()  # u = e₂, the sparsest: ‖u‖₁ = 1
    (True, [0.0, 1.0, 0.0])
    >>> basis_pursuit_lp(np.array([[1.0], [1.0]]), [1.0, 2.0]).success  # infeasible
    False
    """
    from scipy.optimize import linprog
    A = as_float_array(A, "A", ndim=2)
    b = as_float_array(b, "b", ndim=1)
    if b.shape[0] != A.shape[0]:
        raise ValueError(f"b must have A.shape[0] = {A.shape[0]} entries, got {b.shape[0]}")
    n = A.shape[1]
    sol = linprog(np.ones(2 * n), A_eq=np.hstack([A, -A]), b_eq=b, bounds=(0, None),
                  method="highs")
    ok = sol.status == 0 and sol.x is not None
    return direct_result(sol.x[:n] - sol.x[n:] if ok else None, method="basis_pursuit_lp",
                         success=ok, message=f"linprog: {sol.message}", nit=int(sol.nit or 0),
                         linprog_status=int(sol.status))
