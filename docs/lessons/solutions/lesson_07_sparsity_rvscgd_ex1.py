"""Exercise 1: transformed-ℓ1 thresholding against brute force.

ρ_a(u) = (a+1)|u|/(a+|u|) is concave on each half-line, so the prox objective
λρ_a(u) + ½(u − x)² can have two local minima (0 and a root of a cubic); the closed form
picks the lower one. On a grid of 120001 values of u the brute-force minimiser is within
the grid step of it, except where the two minima tie (at |x| = t, the threshold).
"""
import numpy as np

from pdeopt.prox import tl1_threshold, tl1_threshold_value

u = np.linspace(-6, 6, 120001)
step = u[1] - u[0]
worst, worst_t = 0.0, 0.0
for a in (0.2, 1.0, 5.0):
    for lam in (0.1, 1.0):
        t = tl1_threshold_value(lam, a)
        xs = np.linspace(-5, 5, 81)
        xs = xs[np.abs(np.abs(xs) - t) > 1e-3]         # away from the tie at |x| = t
        rho = (a + 1) * np.abs(u) / (a + np.abs(u))
        brute = np.array([u[np.argmin(lam * rho + 0.5 * (u - xi) ** 2)] for xi in xs])
        worst = max(worst, np.max(np.abs(tl1_threshold(xs, lam, a) - brute)))
        # the zero set ends at t: zero just below, nonzero just above
        below, above = tl1_threshold([t - 1e-6, t + 1e-6], lam, a)
        worst_t = max(worst_t, abs(below), float(above == 0))
print(f"max |closed form - brute force| = {worst:.1e} (grid step {step:.0e}); "
      f"threshold check {worst_t}")

assert worst <= step and worst_t == 0.0, (worst, worst_t)
