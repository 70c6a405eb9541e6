"""Exercise 3: the right end of the well of u(·, t) from the exact Hopf–Lax solution.

u is convex where w = u_x increases; for the single well f = −exp(−x²/2), w rises from its
minimum on x < 0 to its maximum on x > 0, so the right end of the convex region is
argmax_{x>0} w. Osher's derivation (p_x = 0 where x − t p = x₁, with x₁ = 1 the end of f's
convex region) predicts x₁ + t f'(x₁) = 1 + t e^{−1/2}: the well widens.
We take w from a central difference of the Hopf–Lax solution (exact on the grid up to
O(h²) in u, so O(h) in w) and locate the maximum to a grid cell.
"""
import numpy as np

from pdeopt.hj import hopf_lax

x = np.linspace(-6, 6, 6001)
h = x[1] - x[0]
f = -np.exp(-x**2 / 2)
worst = 0.0
for t in (0.5, 1.0, 2.0):
    u, _ = hopf_lax(f, x, t)
    w = np.gradient(u, h)
    end = x[x > 0][np.argmax(w[x > 0])]
    predicted = 1 + t * np.exp(-0.5)
    print(f"t = {t}: measured right end {end:.4f}, 1 + t f'(1) = {predicted:.4f}")
    worst = max(worst, abs(end - predicted))

assert worst <= 2 * h, (worst, h)
