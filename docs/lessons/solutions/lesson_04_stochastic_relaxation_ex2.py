"""Exercise 2: Theorem 7 (controlled SGD) on the grid and by Monte Carlo.

The value function u of the HJB equation gives the optimal cost ∫u(·, 0)ρ₀ = E V(x_csgd(T)) +
½E∫|α|² (the verification theorem), and α = 0 is one admissible control, so this cost is at
most E V(x_sgd(T)): the improvement E V(sgd) − E V(csgd) − ½E∫|α|² is ≥ 0. On the grid the
identity holds to the discretization's error; the paths (same noise for SGD and controlled
SGD) must agree with the grid's expectations within 4 standard errors plus that error.
"""
import numpy as np

from pdeopt.sde import controlled_sgd, controlled_sgd_paths


def f(y):
    return 0.5 * (y**2 - 1) ** 2 + 0.3 * y


def grad_f(y):
    return 2 * y * (y**2 - 1) + 0.3


x = np.linspace(-3, 3, 241)
ok = []
for start in (1.0, 0.5):
    rho0 = np.exp(-(x - start) ** 2 / 0.18)
    sol = controlled_sgd(grad_f, f, x, rho0, t=1.0, n_steps=50)
    i = sol.info
    identity_gap = abs(i["value"] - (i["expected_V_csgd"] + i["control_cost"]))
    mc = controlled_sgd_paths(sol, f, n_paths=4000, rng=0).info
    print(f"start {start}: value {i['value']:.4f}, E V(csgd) + cost "
          f"{i['expected_V_csgd'] + i['control_cost']:.4f}, "
          f"E V(sgd) {i['expected_V_sgd']:.4f}; "
          f"improvement grid {i['improvement']:.4f}, paths {mc['improvement'][0]:.4f} "
          f"± {mc['improvement'][1]:.4f}")
    agree = [abs(mc[a][0] - i[b]) < 4 * mc[a][1] + 0.01
             for a, b in (("improvement", "improvement"), ("V_sgd", "expected_V_sgd"),
                          ("V_csgd", "expected_V_csgd"))]
    ok.append(identity_gap < 0.01 and i["improvement"] > 0 and all(agree))

assert all(ok), ok
