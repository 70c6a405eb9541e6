"""Exercise 2: Theorems 1 and 3 on random convex quadratics.

f(x) = ½xᵀHx with H ⪰ 0 (some eigenvalues 0, so f is convex but not strongly convex),
β = λ_max(H) = 1, f* = 0 attained on the null space; x* is the projection of x_1 on the
null space (the nearest minimiser), so ‖x_1 − x*‖ is the norm of x_1's range component.
"""
import numpy as np

from pdeopt.lifted import gradient_descent, nesterov, rate_bounds

rng = np.random.default_rng(0)
worst = 0.0
T = 300
t = np.arange(1, T + 1)
for trial in range(10):
    n = 30
    q, _ = np.linalg.qr(rng.normal(size=(n, n)))
    eig = np.concatenate([rng.uniform(0, 1, n - 6), np.zeros(5), [1.0]])
    H = q @ np.diag(eig) @ q.T
    x0 = rng.normal(size=n)
    x1 = x0 - H @ x0                                  # first step with 1/β = 1
    on_range = q[:, eig > 0]
    dist2 = np.sum((on_range.T @ x1) ** 2)            # ‖x_1 − x*‖²
    b = rate_bounds(t, lipschitz=1.0, dist2=dist2)
    kw = dict(grad=lambda v: H @ v, f=lambda v: 0.5 * v @ H @ v, max_iter=T)
    gd = np.asarray(gradient_descent(x0=x0, step=1.0, **kw).history["f"])[1:]
    agd = np.asarray(nesterov(x0=x0, lipschitz=1.0, **kw).history["f"])[1:]
    # Theorem 1 states no bound at t = 1
    ratio = max(np.max(gd[1:] / b["gd"][1:]), np.max(agd / b["nesterov"]))
    worst = max(worst, ratio)
print(f"largest gap / bound over 10 problems and t <= {T}: {worst:.3f}")

assert worst <= 1.0, worst
