"""Lifted training: LPOM and ADMM; optimization algorithms as architectures.

Source: Lin (2019).
"""
from .activations import (ACTIVATIONS, Activation, check_lpom_activation, get_activation,
                          quadrature_integral)
from .lpom import check_mu, lpom_objective, lpom_optimality, lpom_solve, lpom_train
from .mlp import init_weights, mlp_error, mlp_forward, mlp_predict

__all__ = ["ACTIVATIONS", "Activation", "check_lpom_activation", "get_activation",
           "quadrature_integral", "check_mu", "lpom_objective", "lpom_optimality", "lpom_solve",
           "lpom_train", "init_weights", "mlp_error", "mlp_forward", "mlp_predict"]
