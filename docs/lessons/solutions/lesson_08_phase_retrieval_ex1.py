"""Exercise 1: the trivial ambiguities of phase retrieval.

With F the DFT, a cyclic shift by a multiplies F u by e^{-2πi⟨k,a⟩/N}, a global phase
multiplies it by e^{iφ}, and the flip u(−r)* turns F u(k) into (F u(k))*: all of unit
modulus, so |F u| is unchanged and no algorithm can tell these objects apart.
pdeopt.phase.align undoes each before a comparison.
"""
import numpy as np

from pdeopt import phase

truth = phase.nanorice(64, variant=1)
u = truth.object
m = phase.simulate(u)
variants = {
    "shift": np.roll(u, (7, -11), axis=(0, 1)),
    "global phase": np.exp(0.7j) * u,
    "flip": np.conj(np.roll(u[::-1, ::-1], 1, axis=(0, 1))),  # u(-r)* on the grid
}
worst_m, worst_align = 0.0, 0.0
for name, v in variants.items():
    dm = np.max(np.abs(phase.simulate(v) - m))
    err = phase.real_space_error(v, u)
    print(f"{name:12s}: max |M' - M| = {dm:.1e}, after align {err:.1e}")
    worst_m, worst_align = max(worst_m, dm), max(worst_align, err)

assert worst_m < 1e-12 and worst_align < 1e-12, (worst_m, worst_align)
