"""Exercise 3: the rate at which the viscous solution tends to Hopf–Lax.

u^ε(·, t) = ε (f/ε)_{εt} (local entropy of f/ε at scope εt); u^0 = hopf_lax(f, x, t).
Laplace's method: where the minimiser y*(x) is unique and non-degenerate,
u^ε = u^0 + (ε/2) log(1 + t f''(y*)) + o(ε), so the error is O(ε): slope 1.
"""
import numpy as np

from pdeopt.hj import hopf_lax, local_entropy


def two_wells(x):
    return (0.02 * x**2 - 2.0 * np.exp(-(x + 2) ** 2 / (2 * 0.2**2))
            - 1.0 * np.exp(-(x - 2) ** 2 / (2 * 1.0**2)))


x = np.linspace(-8, 8, 3201)
f, t = two_wells(x), 1.0
u0, _ = hopf_lax(f, x, t)
inner = np.abs(x) <= 4
epsilons = np.array([0.4, 0.2, 0.1, 0.05])
errors = np.array([np.max(np.abs(e * local_entropy(f / e, x, e * t) - u0)[inner])
                   for e in epsilons])
slope = np.polyfit(np.log(epsilons), np.log(errors), 1)[0]
print("errors:", np.round(errors, 4), f"fitted slope: {slope:.2f}")

assert np.all(np.diff(errors) < 0) and abs(slope - 1) < 0.15, (errors, slope)
