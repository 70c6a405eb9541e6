"""Exercise 1: the LPOM term h(x, a) = f(x) + g(a) + ½(x − a)² is minimised at x = φ(a).

∂h/∂x = (φ⁻¹(x) − x) + (x − a) = φ⁻¹(x) − a, non-decreasing in x (φ⁻¹ is), so h is
convex in x and its minimum is where φ⁻¹(x) = a, i.e. x = φ(a). The minimum value, with
f(0) = g(0) = 0 (the table's constants) and c = φ⁻¹(0):
    h(φ(a), a) = ∫₀^{φ(a)} φ⁻¹ + ∫₀^a φ − aφ(a) = −∫_c^0 φ
by Young's equality ∫_{φ(c)}^{φ(a)} φ⁻¹ + ∫_c^a φ = aφ(a) − cφ(c) (cφ(c) = 0 here). It does
not depend on a: 0 for ReLU and tanh (φ(0) = 0), −∫_{−∞}^0 sigmoid = −log 2 for sigmoid.
"""
import numpy as np

from pdeopt.lifted import get_lifted_activation

expected_min = {"relu": 0.0, "sigmoid": -np.log(2.0), "tanh": 0.0}
worst_arg, worst_val = 0.0, 0.0
for name, h_min in expected_min.items():
    act = get_lifted_activation(name)
    lo, hi = act.f_domain
    grid = np.linspace(max(lo, -3.0), min(hi, 3.0), 60001)
    if np.isfinite(lo) and lo != 0:
        grid = grid[1:-1]          # f is infinite at the ends of (0, 1) and (-1, 1)
    step = grid[1] - grid[0]
    for a in (-1.2, -0.1, 0.4, 1.5):
        # ReLU with a < 0: the minimiser is 0, the end of f's domain [0, inf)
        h = act.f(grid) + act.g(a) + 0.5 * (grid - a) ** 2
        worst_arg = max(worst_arg, abs(grid[np.argmin(h)] - act.phi(a)) - step)
        worst_val = max(worst_val, abs(h.min() - h_min))
    print(f"{name:8s}: argmin within a grid step of phi(a); min h = {h.min():+.6f} "
          f"(expected {h_min:+.6f})")

assert worst_arg <= 1e-9 and worst_val < 1e-6, (worst_arg, worst_val)
