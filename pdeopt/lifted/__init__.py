"""Lifted training: LPOM and ADMM; optimization algorithms as architectures.

Source: Lin (2019).
"""
from .activations import (ACTIVATIONS, Activation, check_lpom_activation, get_activation,
                          quadrature_integral)
from .accelerated import (gradient_descent, heavy_ball, layer_objective, nesterov,
                          polyak_parameters, rate_bounds)
from .admm import admm_train
from .lpom import check_mu, lpom_objective, lpom_optimality, lpom_solve, lpom_train
from .mlp import init_weights, mlp_error, mlp_forward, mlp_predict

__all__ = ["gradient_descent", "heavy_ball", "nesterov", "polyak_parameters", "rate_bounds",
           "layer_objective", "admm_train",
           "ACTIVATIONS", "Activation", "check_lpom_activation", "get_activation",
           "quadrature_integral", "check_mu", "lpom_objective", "lpom_optimality", "lpom_solve",
           "lpom_train", "init_weights", "mlp_error", "mlp_forward", "mlp_predict"]
