"""Exercise 1: Kramers' formula is the large-β limit of the exact mean first-passage time.

The exact mean time T(x₀) = β∫_{x₀}^{b} e^{βf(y)} ∫_{−∞}^{y} e^{−βf(z)} dz dy is evaluated by
Laplace's method: the outer integral concentrates at the saddle, the inner at the minimum,
giving Kramers' 2π/√(f''(x₁)|f''(x₃)|)·e^{βΔf}. The next term of both Laplace expansions is
a relative O(1/β), so ratio − 1 ≈ c/β: (ratio − 1)·β should settle to a constant.
"""
import numpy as np

from pdeopt.sde import double_well, kramers_time, mean_exit_time

well = double_well(1.0)
betas = np.array([4.0, 8.0, 16.0, 32.0])
ratio = np.array([mean_exit_time(well, -1.0, 1.0, b) / kramers_time(well, -1.0, 0.0, b)
                  for b in betas])
for b, r in zip(betas, ratio):
    print(f"beta = {b:4.0f}: exact / Kramers = {r:.4f}, "
          f"(ratio - 1) * beta = {(r - 1) * b:.3f}")
scaled = (ratio - 1) * betas

assert abs(ratio[-1] - 1) < 0.02 and abs(scaled[-1] / scaled[-2] - 1) < 0.1, scaled
