"""Exercise 2: error reduction never increases the Fourier error ‖|F x_k| − M‖.

Let 𝓜 = {u : |F u| = M}; with F unitary, dist(x, 𝓜) = ‖|F x| − M‖ and P_𝓜 = F⁻¹P_M F.
ER is x_{k+1} = P_X(P_𝓜 x_k) with x_k ∈ X, so
    dist(x_{k+1}, 𝓜) ≤ ‖x_{k+1} − P_𝓜 x_k‖   (P_𝓜 x_k is a point of 𝓜)
                    ≤ ‖x_k − P_𝓜 x_k‖       (x_{k+1} is the point of X nearest P_𝓜 x_k)
                    = dist(x_k, 𝓜).
(The R-factor is an ℓ1 version of the same error and need not be monotone.)
"""
import numpy as np

from pdeopt import phase

truth = phase.vesicle(64)
m = phase.simulate(truth.object, noise="poisson", flux=1e7, rng=0)  # noisy: infeasible
errors = []


def fourier_error(it):
    errors.append(np.linalg.norm(np.abs(np.fft.fft2(it.x, norm="ortho")) - m))


phase.error_reduction(m, truth.support, 200, rng=3, callback=fourier_error)
steps = np.diff(errors)
print(f"Fourier error {errors[0]:.4f} -> {errors[-1]:.4f}; "
      f"largest one-step increase {steps.max():.1e}")

assert np.all(steps <= 1e-12 * errors[0]), steps.max()
