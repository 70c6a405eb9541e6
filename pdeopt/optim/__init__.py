"""Optimizers acting on a flat weight vector: the Entropy-SGD family, elastic averaging, RVSCGD.

``entropy_sgd``  Entropy-SGD (Algorithm 1), HEAT, HJ, H-ESGD on the ``pdeopt.nn`` optimizer API
``elastic``      elastic averaging of p replicas, in-process or one MPI rank per replica
``elastic_mpi``  its command line: ``mpiexec -n 4 python -m pdeopt.optim.elastic_mpi``
``coarse_gradient``  relaxed variable-splitting coarse gradient descent (``rvscgd``, Dinh & Xin
                     2020) and ADMM

Sources: Oberman (2017); Dinh & Xin (2020).
"""
from .elastic import demo_problem, elastic_averaging
from .entropy_sgd import HJ, EntropySGD, Heat, HeatEntropySGD, relaxation_optimizer
from .coarse_gradient import (RVSCGD, admm_sparse, angle, expected_coarse_gradient, population_loss,
                     rvscgd, sample_inputs, sample_loss_and_coarse_gradient)

__all__ = ["EntropySGD", "HJ", "Heat", "HeatEntropySGD", "demo_problem", "elastic_averaging",
           "relaxation_optimizer",
           "RVSCGD", "admm_sparse", "angle", "expected_coarse_gradient", "population_loss",
           "rvscgd", "sample_inputs", "sample_loss_and_coarse_gradient"]
