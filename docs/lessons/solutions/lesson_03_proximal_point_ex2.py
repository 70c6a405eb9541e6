"""Exercise 2: HJ-prox on a quadratic has no bias; its error falls like n^(−1/2).

For f(y) = y²/2, φ(y) = y²/2 + (x − y)²/(2t) is quadratic, so ρ_δ ∝ e^{−φ/δ} is a Gaussian
with mean exactly x/(1 + t) = prox_{tf}(x) for every δ. The estimate is a self-normalised
importance-sampling mean, whose error is O(n^{−1/2}) with a δ-dependent constant: the slope
of log RMS error against log n must be −1/2 (±0.15 for 40 seeds and three decades).
"""
import numpy as np

from pdeopt.hj import hj_prox

x, t, delta = 1.5, 0.5, 0.5
exact = x / (1 + t)
ns = np.array([100, 300, 1000, 3000, 10000])
rms = []
for n in ns:
    est = [hj_prox(lambda Y: 0.5 * np.sum(Y**2, axis=1), x, t, delta=delta,
                   n_samples=int(n), rng=seed) for seed in range(40)]
    rms.append(np.sqrt(np.mean((np.array(est) - exact) ** 2)))
slope = np.polyfit(np.log(ns), np.log(rms), 1)[0]
print("RMS errors:", np.array2string(np.array(rms), precision=2), f"slope {slope:.3f}")

assert abs(slope + 0.5) < 0.15, slope
