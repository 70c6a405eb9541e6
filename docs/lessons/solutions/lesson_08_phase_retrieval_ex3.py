"""Exercise 3: the primal step of PDHG, prox of t·g_σ with g_σ(z) = (1/2σ)(|z| − M)².

Per pixel, minimise (t/2σ)(|z| − M)² + ½|z − w|². For a given modulus ρ = |z| the second
term is smallest with z on the ray of w, so z = ρ e^{i arg w} and
    (t/2σ)(ρ − M)² + ½(ρ − |w|)²  is minimal at  ρ = (tM + σ|w|)/(t + σ),
i.e. z = (t M e^{i arg w} + σ w)/(t + σ). As σ → 0 it is P_M(w) = M e^{i arg w}.
Checked against a brute-force grid over the complex plane.
"""
import numpy as np

re, im = np.meshgrid(np.linspace(-3, 3, 1201), np.linspace(-3, 3, 1201))
z = re + 1j * im
step = 6 / 1200
rng = np.random.default_rng(0)
worst = 0.0
for _ in range(10):
    w = complex(*rng.uniform(-2, 2, 2))
    M, t, sigma = rng.uniform(0.2, 2), rng.uniform(0.5, 2), rng.uniform(0.05, 1)
    obj = t / (2 * sigma) * (np.abs(z) - M) ** 2 + 0.5 * np.abs(z - w) ** 2
    brute = z.ravel()[np.argmin(obj)]
    closed = (t * M * np.exp(1j * np.angle(w)) + sigma * w) / (t + sigma)
    worst = max(worst, abs(brute - closed))
w, M = 1.0 - 2.0j, 1.5
limit = abs((M * np.exp(1j * np.angle(w)) + 1e-9 * w) / (1 + 1e-9) - M * w / abs(w))
print(f"max |closed form - grid minimiser| = {worst:.1e} (grid step {step:.0e}); "
      f"distance to P_M at sigma = 1e-9: {limit:.1e}")

assert worst <= 2 * step and limit < 1e-8, (worst, limit)
