"""Exercise 3: the population loss θ(w, w*)/(2πk) against Monte Carlo.

h(Z, w) − h(Z, w*) = (1/k) Σ_i d_i with d_i = σ(Z_iᵀw) − σ(Z_iᵀw*) ∈ {−1, 0, 1}. For
Gaussian Z_i the two signs disagree with probability θ/π (the angle between the two
half-spaces), the d_i are independent with mean 0, so E(Σ d_i)² = kθ/π and
f = ½ · kθ/(π k²) = θ/(2πk). The standard error comes from 20 independent batch means.
"""
import numpy as np

from pdeopt.optim import (angle, population_loss, sample_inputs,
                          sample_loss_and_coarse_gradient)

k, d = 5, 8
rng = np.random.default_rng(0)
w_star = rng.normal(size=d)
w_star /= np.linalg.norm(w_star)
worst_z = 0.0
for _ in range(3):
    w = rng.normal(size=d)
    batches = np.array([
        sample_loss_and_coarse_gradient(w, sample_inputs(5000, k, d, rng=rng),
                                        w_star)[0]
        for _ in range(20)])
    mc, se = batches.mean(), batches.std(ddof=1) / np.sqrt(len(batches))
    closed = angle(w, w_star) / (2 * np.pi * k)
    assert abs(closed - population_loss(w, w_star, k)) < 1e-15
    z = abs(mc - closed) / se
    worst_z = max(worst_z, z)
    print(f"theta = {angle(w, w_star):.3f}: Monte Carlo {mc:.5f} ± {se:.5f}, "
          f"closed form {closed:.5f} ({z:.1f} SE)")

assert worst_z < 4, worst_z
