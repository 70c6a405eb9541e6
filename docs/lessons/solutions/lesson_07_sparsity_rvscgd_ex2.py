"""Exercise 2: ISTA decreases F monotonically and obeys its O(1/k) bound; FISTA O(1/k²).

With step 1/L, L = ‖A‖², the quadratic upper bound of the smooth part gives
F(x_{k+1}) ≤ F(x_k) − (L/2)‖x_{k+1} − x_k‖² (sufficient decrease), and telescoping the
three-point inequality gives k (F(x_k) − F*) ≤ L‖x_0 − x*‖²/2 (Beck & Teboulle 2009).
F* from a long FISTA run (its error is far below the gaps tested).
"""
import numpy as np

from pdeopt.prox import fista, ista, lasso_bounds, lasso_objective

rng = np.random.default_rng(1)
worst_increase, worst_ratio = -np.inf, 0.0
for trial in range(3):
    A = rng.normal(size=(30, 80)) / np.sqrt(30)
    y = rng.normal(size=30)
    lam = 0.1
    ref = fista(A, y, lam, max_iter=5000, record=False)
    f_star = lasso_objective(A, y, lam, ref.x)
    k = np.arange(1, 201)
    r_ista = ista(A, y, lam, max_iter=200)
    r_fista = fista(A, y, lam, max_iter=200)
    F = r_ista.history["objective"]                   # F(x_0), ..., F(x_200)
    worst_increase = max(worst_increase, np.max(np.diff(F)))
    b = lasso_bounds(k, lipschitz=r_ista.info["lipschitz"], dist2=ref.x @ ref.x)
    ratio_i = np.max((F[1:] - f_star) / b["ista"])
    ratio_f = np.max((r_fista.history["objective"][1:] - f_star) / b["fista"])
    worst_ratio = max(worst_ratio, ratio_i, ratio_f)
print(f"largest one-step change of F under ISTA: {worst_increase:.1e} (<= 0); "
      f"largest gap / bound: {worst_ratio:.3f} (<= 1)")

assert worst_increase <= 1e-12 and worst_ratio <= 1.0, (worst_increase, worst_ratio)
