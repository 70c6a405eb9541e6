"""Stochastic relaxation: Langevin estimators, Kramers' formula, homogenization, controlled SGD.

Source: Oberman (2017); Osher (2018), Deep Relaxation part.
"""
from .kramers import PolynomialPotential, double_well, exit_times, kramers_time, mean_exit_time
from .langevin import local_entropy_gradient

__all__ = ["PolynomialPotential", "double_well", "exit_times", "kramers_time",
           "local_entropy_gradient", "mean_exit_time"]
