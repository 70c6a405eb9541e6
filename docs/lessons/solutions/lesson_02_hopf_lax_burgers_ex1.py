"""Exercise 1: Hopf–Lax of |x| is the Huber function, its minimiser soft-thresholding.

For f(y) = |y| the objective |y| + (x − y)²/(2t) is convex; its optimality condition
0 ∈ sign(y) + (y − x)/t gives y = x − t·sign(x) when |x| > t and y = 0 when |x| ≤ t
(soft-thresholding). Substituting: u = |x| − t/2 for |x| > t, and u = x²/(2t) for |x| ≤ t
(the Huber function). On a grid that contains 0 and the points x ± t (spacing dividing t)
the grid minimum is exact, so the agreement is to rounding.
"""
import numpy as np

from pdeopt.hj import hopf_lax

x = np.linspace(-4, 4, 801)            # h = 0.01 divides every t below
worst = 0.0
for t in (0.3, 1.0, 2.0):
    u, y = hopf_lax(np.abs(x), x, t)
    huber = np.where(np.abs(x) <= t, x**2 / (2 * t), np.abs(x) - t / 2)
    soft = np.sign(x) * np.maximum(np.abs(x) - t, 0.0)
    gap = max(np.max(np.abs(u - huber)), np.max(np.abs(y - soft)))
    print(f"t = {t}: max gap to Huber / soft-thresholding = {gap:.1e}")
    worst = max(worst, gap)

assert worst < 1e-12, worst
