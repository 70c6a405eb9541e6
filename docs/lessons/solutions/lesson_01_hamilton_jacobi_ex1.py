"""Exercise 1: local entropy of f(x) = x²/2 in closed form.

G_γ * e^{-x²/2} is a Gaussian integral: completing the square in y,
    (x − y)²/(2γ) + y²/2 = (1+γ)/(2γ) (y − x/(1+γ))² + x²/(2(1+γ)),
so (G_γ * e^{-f})(x) = (1+γ)^{-1/2} e^{-x²/(2(1+γ))} and
    f_γ(x) = x²/(2(1+γ)) + ½ log(1+γ),   ∇f_γ(x) = x/(1+γ).
"""
import numpy as np

from pdeopt.hj import local_entropy

x = np.linspace(-8, 8, 1601)
inner = np.abs(x) <= 4
worst = 0.0
for gamma in (0.25, 1.0, 2.0):
    fg, g = local_entropy(0.5 * x**2, x, gamma, grad=True)
    exact = x**2 / (2 * (1 + gamma)) + 0.5 * np.log(1 + gamma)
    err = max(np.max(np.abs(fg - exact)[inner]), np.max(np.abs(g - x / (1 + gamma))[inner]))
    print(f"gamma = {gamma}: max error of f_gamma and its gradient = {err:.1e}")
    worst = max(worst, err)

assert worst < 1e-8, worst
