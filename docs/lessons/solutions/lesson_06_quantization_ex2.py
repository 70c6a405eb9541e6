"""Exercise 2: the prox of (λ/2) dist(·, Q)² is x* = (λ P(y) + y)/(λ + 1).

For any x, dist(x, Q)² ≤ ‖x − P(y)‖², so φ(x) ≤ ψ(x) = ½‖x − y‖² + (λ/2)‖x − P(y)‖²,
a strictly convex quadratic minimised at x*. Conversely, φ(x) = min_z ½‖x−y‖² + (λ/2)‖x−z‖²
over z ∈ Q, and for each z the x-minimum is (y + λz)/(1+λ) with value
λ/(2(1+λ)) ‖y − z‖², smallest for z = P(y). So min φ = ψ(x*) = φ(x*). Checked with
random perturbations of x* (none may do better) for binary and ternary sets.
"""
import numpy as np

from pdeopt.quant import QuantizedSet, dist

rng = np.random.default_rng(0)
violations = 0
for kind in ("binary", "ternary"):
    Q = QuantizedSet(kind)
    for lam in (0.3, 1.0, 5.0):
        y = rng.normal(size=6)
        x_star = (lam * Q.project(y) + y) / (lam + 1)

        def phi(x):
            return 0.5 * np.sum((x - y) ** 2) + 0.5 * lam * dist(x, Q) ** 2

        best = phi(x_star)
        for scale in (1e-3, 1e-2, 1e-1, 1.0):
            for _ in range(300):
                violations += phi(x_star + scale * rng.normal(size=6)) < best - 1e-12
        # the closed-form minimum value λ/(2(1+λ)) dist(y, Q)²
        assert abs(best - lam / (2 * (1 + lam)) * dist(y, Q) ** 2) < 1e-12
print(f"perturbations that beat x*: {violations} of {2 * 3 * 4 * 300}")

assert violations == 0, violations
