"""Linearized Bregman iteration for basis pursuit, and the LP reference solution."""
from __future__ import annotations

import numpy as np

from pdeopt._checks import as_float_array, check_integer, check_positive
from pdeopt._result import Recorder

from .thresholding import soft_threshold

__all__ = ["linearized_bregman", "basis_pursuit_lp"]


def linearized_bregman(A, b, *, mu, delta=None, n_iter=5000, tol=1e-8, accelerated=False,
                       backend="auto"):
    r"""Linearized Bregman iteration for basis pursuit min ‖u‖₁ subject to Au = b.

    .. math::
        v^{k+1} = v^k - A^\top(Au^k - b),\qquad u^{k+1} = \delta\cdot\operatorname{shrink}(v^{k+1}, \mu)

    It converges to the solution of min μ‖u‖₁ + ‖u‖²/(2δ) subject to Au = b
    for 0 < δ < 2/‖A‖², which is the basis-pursuit solution once μδ is large
    enough (exact regularization). The iteration is gradient ascent, with unit
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
    n_iter : int
        Maximum iterations.
    tol : float
        Stop when ‖Au − b‖ ≤ tol·‖b‖.
    accelerated : bool
    backend : {"auto", "numpy", "numba", "cuda"}
        Backend of the shrinkage.

    Returns
    -------
    Result
        ``x`` = u (shape (n,) or (n, T)); history ``residual`` (‖Au − b‖/‖b‖, the
        largest over columns) and ``l1`` (‖u‖₁, summed over columns) per
        iteration; ``info["converged"]`` when every column met the tolerance.

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
    >>> rng = np.random.default_rng(0)
    >>> A = rng.normal(size=(40, 100)); u0 = np.zeros(100); u0[[3, 50, 90]] = [1, -2, 1.5]
    >>> res = linearized_bregman(A, A @ u0, mu=50.0, accelerated=True)
    >>> bool(np.allclose(res.x, u0, atol=1e-5))
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
    n_iter = check_integer(n_iter, "n_iter", minimum=1)
    tol = check_positive(tol, "tol")
    nb = np.linalg.norm(b, axis=0)
    nb = np.where(nb > 0, nb, 1.0)

    rec = Recorder(method="linearized_bregman", mu=mu, delta=delta, accelerated=accelerated)
    # iterate on the dual variable w (v = Aᵀw): w ← z + (b − A u(z)), u(z) = δ·shrink(Aᵀz, μ)
    w = np.zeros(b.shape)
    z = w.copy()  # the point the gradient is taken at (= w without acceleration)
    u = np.zeros((A.shape[1],) + b.shape[1:])
    momentum_age = np.zeros(b.shape[1:])
    converged = False
    with rec.running():
        for k in range(n_iter):
            u = delta * soft_threshold(A.T @ z, mu, backend=backend)
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
            if res <= tol:
                converged = True
                break
    return rec.result(u, converged=converged, backend=backend)


def basis_pursuit_lp(A, b):
    r"""Basis pursuit min ‖u‖₁ s.t. Au = b as a linear program (``scipy.optimize.linprog``, HiGHS).

    With u = u⁺ − u⁻, u± ≥ 0: min 1ᵀ(u⁺ + u⁻) subject to A(u⁺ − u⁻) = b.

    Returns
    -------
    numpy.ndarray
        The solution u.

    Raises
    ------
    RuntimeError
        When the LP solver reports failure (e.g. Au = b infeasible).
    """
    from scipy.optimize import linprog
    A = as_float_array(A, "A", ndim=2)
    b = as_float_array(b, "b", ndim=1)
    n = A.shape[1]
    sol = linprog(np.ones(2 * n), A_eq=np.hstack([A, -A]), b_eq=b, bounds=(0, None),
                  method="highs")
    if sol.status != 0:
        raise RuntimeError(f"linprog failed: {sol.message}")
    return sol.x[:n] - sol.x[n:]
