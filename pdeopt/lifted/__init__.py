"""Lifted training: LPOM and ADMM; optimization algorithms as architectures.

* :mod:`.activations` — the activation table (φ, φ⁻¹, f, g) of LPOM
  (:func:`get_lifted_activation`; the network layers are :func:`pdeopt.nn.get_activation`);
* :mod:`.lpom` — LPOM training by block coordinate descent (φ only, no backprop);
* :mod:`.admm` — ADMM training (Taylor et al. 2016), the baseline;
* :mod:`.mlp` — MLPs as lists of weight matrices, the plain forward pass;
* :mod:`.accelerated` — GD, heavy ball, Nesterov, Theorems 1–3 bounds, Lemma 4;
* :mod:`.unrolled` — the learned unrolled ISTA (LISTA) network.

The architectures live in :mod:`pdeopt.nn.inspired`, ISTA/FISTA/ADMM for the lasso
in :mod:`pdeopt.prox.lasso`.

Source: Lin (2019).
"""
from .activations import (LIFTED_ACTIVATIONS, LiftedActivation, check_lpom_activation,
                          get_lifted_activation, quadrature_integral)
from .accelerated import (gradient_descent, heavy_ball, layer_objective, nesterov,
                          polyak_parameters, rate_bounds)
from .admm import admm_train
from .lpom import check_mu, lpom_objective, lpom_optimality, lpom_solve, lpom_train
from .mlp import init_weights, mlp_error, mlp_forward, mlp_predict
from .unrolled import lista_forward, lista_init, lista_train, sparse_coding_data

__all__ = ["gradient_descent", "heavy_ball", "nesterov", "polyak_parameters", "rate_bounds",
           "layer_objective", "admm_train",
           "LIFTED_ACTIVATIONS", "LiftedActivation", "check_lpom_activation",
           "get_lifted_activation", "quadrature_integral", "check_mu", "lpom_objective",
           "lpom_optimality", "lpom_solve", "lpom_train", "init_weights", "mlp_error",
           "mlp_forward", "mlp_predict", "lista_forward", "lista_init", "lista_train",
           "sparse_coding_data"]
