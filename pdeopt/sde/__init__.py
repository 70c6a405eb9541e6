"""Stochastic relaxation: Langevin estimators, Kramers' formula, homogenization, controlled SGD.

Source: Oberman (2017); Osher (2018), Deep Relaxation part.
"""
from .kramers import PolynomialPotential, double_well, exit_times, kramers_time, mean_exit_time
from .controlled import ControlledSGD, check_density, controlled_sgd, controlled_sgd_paths
from .homogenization import gradient_flow, two_scale_esgd
from .langevin import local_entropy_gradient

__all__ = ["ControlledSGD", "check_density", "controlled_sgd", "controlled_sgd_paths",
           "PolynomialPotential", "double_well", "exit_times", "gradient_flow", "kramers_time",
           "local_entropy_gradient", "mean_exit_time", "two_scale_esgd"]
