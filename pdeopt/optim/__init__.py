"""Optimizers acting on a flat weight vector: the Entropy-SGD family, elastic averaging, RVSCGD.

Sources: Oberman (2017); Dinh & Xin (2020).
"""
from .rvscgd import (RVSCGD, admm_sparse, angle, expected_coarse_gradient, population_loss,
                     rvscgd, sample_inputs, sample_loss_and_coarse_gradient)

__all__ = ["RVSCGD", "admm_sparse", "angle", "expected_coarse_gradient", "population_loss",
           "rvscgd", "sample_inputs", "sample_loss_and_coarse_gradient"]
