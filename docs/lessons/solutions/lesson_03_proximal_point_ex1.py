"""Exercise 1: the summed energy inequality of the proximal point method.

Each step minimises f(y) + |y − x_k|²/(2Δt_k), and y = x_k is a candidate, so
f(x_{k+1}) + |x_{k+1} − x_k|²/(2Δt_k) ≤ f(x_k). Summing over k telescopes:
Σ_j |x_j − x_{j−1}|²/(2Δt_j) ≤ f(x_0) − f(x_n). In grid mode x_0 is snapped to a grid node
and every step is an exact grid minimum, so the inequality holds to rounding.
``history["f"][0]`` is f at the (snapped) start; per-step entries start at index 1.
"""
import numpy as np

from pdeopt.hj import proximal_point, proximal_step_sizes


def f(x):
    return x**2 / 4 + 1.5 * np.cos(2 * x)


x = np.linspace(-7, 7, 2801)
steps = proximal_step_sizes(40, 0.1, 1.2)
worst = np.inf
for x0 in np.linspace(-6, 6, 10):
    h = proximal_point(f(x), x0, steps, grid=x).history
    dissipated = np.sum(h["moved"][1:] ** 2 / (2 * h["step"][1:]))
    decrease = h["f"][0] - h["f"][-1]
    print(f"x0 = {x0:+.2f}: sum |dx|^2/(2 dt) = {dissipated:.4f} <= "
          f"f(x0) - f(xn) = {decrease:.4f}")
    worst = min(worst, decrease - dissipated)

assert worst >= -1e-12, worst
