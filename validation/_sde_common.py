"""The test problem shared by the stochastic-relaxation validations.

A tilted double well f(y) = ½(y² − 1)² + 0.3y (two minima of unequal depth) and the
reference trajectory those validations compare against: the gradient flow of its
local entropy f_γ, with ∇f_γ from ``pdeopt.hj.local_entropy`` on a fine grid.
"""
import numpy as np

from pdeopt.sde import gradient_flow

from .langevin_local_entropy import exact_local_entropy_gradient

GAMMA = 0.5


def f(y):
    return 0.5 * (y ** 2 - 1.0) ** 2 + 0.3 * y


def grad_f(y):
    return 2.0 * y * (y ** 2 - 1.0) + 0.3


def local_entropy_flow(x0, horizon, gamma=GAMMA):
    """(t, x(t)) of dx/dt = −∇f_γ(x), x(0) = x0: ∇f_γ tabulated on [−3, 3], then RK4."""
    axis = np.linspace(-7.0, 7.0, 4001)
    table_x = np.linspace(-3.0, 3.0, 1201)
    table = exact_local_entropy_gradient(f(axis), [axis], gamma, table_x[:, None])[:, 0]
    res = gradient_flow(lambda x: np.interp(x, table_x, table), [x0], t=horizon, dt=1e-3)
    return res.history["time"], res.history["x"]
