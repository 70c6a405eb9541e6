"""Exercise 3: the step-size bias of the Langevin estimate of ∇f_γ is O(η′).

The unadjusted Langevin chain samples, instead of ρ^∞ ∝ e^{−H}, a density that differs from
it by O(η′) (Talay–Tubaro), so the mean ⟨y⟩, and the estimate (x − ⟨y⟩)/γ, are off by
c·η′ + O(η′²). Run each chain for the same time (100 units, so the standard error, ~2e-3,
does not change with η′ and stays well below the bias) at x = −1.5, where the drift is
steep and the bias large, and fit the slope of log |error| against log η′: it should be 1.
"""
import numpy as np

from pdeopt.hj import local_entropy
from pdeopt.sde import local_entropy_gradient


def f(y):
    return 0.5 * (y**2 - 1) ** 2 + 0.3 * y


def grad_f(y):
    return 2 * y * (y**2 - 1) + 0.3


gamma, x0 = 0.5, -1.5
axis = np.linspace(-7, 7, 8001)
exact = local_entropy(f(axis), axis, gamma, grad=True, points=[x0])[1][0]
etas = np.array([0.04, 0.02, 0.01])
errors = []
for eta in etas:
    res = local_entropy_gradient(grad_f, np.array([x0]), gamma, max_iter=int(100 / eta),
                                 step_size=eta, n_chains=1000, rng=1)
    errors.append(abs(res.x[0] - exact))
    print(f"eta' = {eta}: estimate {res.x[0]:.4f}, exact {exact:.4f}, "
          f"|error| {errors[-1]:.4f} (s.e. {res.info['standard_error'][0]:.4f})")
slope = np.polyfit(np.log(etas), np.log(errors), 1)[0]
print(f"slope of log|error| vs log eta' = {slope:.2f} (first order: 1)")

assert abs(slope - 1) < 0.2, slope
