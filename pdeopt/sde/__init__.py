"""Stochastic relaxation: Langevin estimators, Kramers' formula, homogenization, controlled SGD.

Modules
-------
``langevin``        the Langevin (SGLD) estimate of the local-entropy gradient (Entropy-SGD's
                    inner loop)
``kramers``         first-passage times of many Euler–Maruyama paths, exact 1-D mean exit times,
                    Kramers' formula
``homogenization``  the two-scale Entropy-SGD system and the gradient flow it homogenizes to
``controlled``      controlled SGD in 1-D: forward–backward HJB / Fokker–Planck, Monte Carlo paths

The many-path integrators are the kernels ``sde.*`` of :mod:`pdeopt.kernels` (NumPy,
parallel numba, numba.cuda), driven by counter-based noise so that every backend draws
the same numbers.

Source: Oberman (2017); Osher (2018), Deep Relaxation part.
"""
from .controlled import check_density, controlled_sgd, controlled_sgd_paths
from .homogenization import gradient_flow, two_scale_esgd
from .kramers import PolynomialPotential, double_well, exit_times, kramers_time, mean_exit_time
from .langevin import local_entropy_gradient

__all__ = ["PolynomialPotential", "check_density", "controlled_sgd",
           "controlled_sgd_paths", "double_well", "exit_times", "gradient_flow", "kramers_time",
           "local_entropy_gradient", "mean_exit_time", "two_scale_esgd"]
