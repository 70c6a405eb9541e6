"""Exercise 2: the scope γ_c at which the wide well becomes the global minimiser of f_γ.

Track the two local minima of f_γ (one in each basin, x < 0 and x > 0) and bisect on the sign
of their difference d(γ) = min_{x<0} f_γ − min_{x>0} f_γ: d < 0 while the narrow well wins.
"""
import numpy as np

from pdeopt.hj import local_entropy


def two_wells(x):
    return (0.02 * x**2 - 2.0 * np.exp(-(x + 2) ** 2 / (2 * 0.2**2))
            - 1.0 * np.exp(-(x - 2) ** 2 / (2 * 1.0**2)))


x = np.linspace(-8, 8, 1601)
f = two_wells(x)


def gap(gamma):
    fg = local_entropy(f, x, gamma)
    return fg[x < 0].min() - fg[x > 0].min()


lo, hi = 0.1, 2.0
assert gap(lo) < 0 < gap(hi)
while hi - lo > 1e-4:
    mid = 0.5 * (lo + hi)
    lo, hi = (mid, hi) if gap(mid) < 0 else (lo, mid)
gamma_c = 0.5 * (lo + hi)
print(f"gamma_c = {gamma_c:.4f}")

below, above = local_entropy(f, x, gamma_c - 1e-3), local_entropy(f, x, gamma_c + 1e-3)
assert x[np.argmin(below)] < 0 < x[np.argmin(above)] and 0.4 < gamma_c < 0.6, gamma_c
