"""Exercise 1: the binary projection has scale s = mean|y| and signs sign(y).

For a fixed code q ∈ {±1}^n, ‖s q − y‖² = n s² − 2 s ⟨q, y⟩ + ‖y‖² is minimal at
s = ⟨q, y⟩/n, with value ‖y‖² − ⟨q, y⟩²/n. Maximising ⟨q, y⟩ over q gives q = sign(y) and
⟨q, y⟩ = ‖y‖₁, so proj(y) = (‖y‖₁/n) sign(y). Checked against a scan over s and, on short
vectors, against every sign pattern.
"""
import itertools

import numpy as np

from pdeopt.quant import project_binary

rng = np.random.default_rng(0)
scan_gap = 0.0
for _ in range(200):
    y = rng.normal(size=10)
    z = project_binary(y)
    s_grid = np.linspace(0, 3 * np.abs(y).max(), 20001)
    scan = np.min(np.linalg.norm(s_grid[:, None] * np.sign(y) - y, axis=1))
    # the formula can only be better than a grid point, and by little
    scan_gap = max(scan_gap, np.linalg.norm(z - y) - scan)
    assert np.allclose(np.abs(z), np.mean(np.abs(y)))

codes = np.array(list(itertools.product((-1.0, 1.0), repeat=8)))
worst = 0.0
for _ in range(50):
    y = rng.normal(size=8)
    s = np.maximum(codes @ y / 8, 0)[:, None]                # best scale of each code
    brute = np.min(np.linalg.norm(s * codes - y, axis=1))
    worst = max(worst, abs(np.linalg.norm(project_binary(y) - y) - brute))
print(f"formula minus grid scan: {scan_gap:.1e} (<= 0); against all codes: {worst:.1e}")

assert scan_gap <= 1e-12 and worst < 1e-12, (scan_gap, worst)
