"""Exercise 3: the exact ternary projection against brute force, and TWN's heuristic.

For a code q ∈ {0, ±1}^n with j nonzeros the best scale is ⟨q, y⟩/j and the squared
distance ‖y‖² − ⟨q, y⟩²/j; for given j, ⟨q, y⟩ is largest with the j largest |y_i| and their
signs (c_j), so the optimum maximises c_j²/j. Brute force over all 3^7 codes confirms it.
"""
import itertools

import numpy as np

from pdeopt.quant import project_ternary

codes = np.array(list(itertools.product((-1.0, 0.0, 1.0), repeat=7)))
codes = codes[np.any(codes != 0, axis=1)]  # q = 0 has no scale
rng = np.random.default_rng(0)
worst, twn_farther, trials = 0.0, 0, 200
for _ in range(trials):
    y = rng.normal(size=7)
    nnz = np.sum(codes != 0, axis=1)
    s = np.maximum(codes @ y / nnz, 0)[:, None]
    brute = np.min(np.linalg.norm(s * codes - y, axis=1))
    exact = np.linalg.norm(project_ternary(y) - y)
    twn = np.linalg.norm(project_ternary(y, method="twn") - y)
    worst = max(worst, abs(exact - brute))
    twn_farther += twn > exact + 1e-12
    assert twn >= exact - 1e-12
print(f"max |exact - brute force| = {worst:.1e}; TWN strictly farther in "
      f"{twn_farther} of {trials} vectors")

assert worst < 1e-12, worst
