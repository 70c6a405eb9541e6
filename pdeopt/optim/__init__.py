"""Optimizers acting on a flat weight vector: the Entropy-SGD family, elastic averaging, RVSCGD.

Sources: Oberman (2017); Dinh & Xin (2020).
"""
from .elastic import demo_problem, elastic_averaging
from .entropy_sgd import HJ, EntropySGD, Heat, HeatEntropySGD, relaxation_optimizer

__all__ = ["EntropySGD", "HJ", "Heat", "HeatEntropySGD", "demo_problem", "elastic_averaging",
           "relaxation_optimizer"]
