"""Validations of pdeopt: one module per paper figure, table or identity.

``pdeopt validate`` runs them; ``pdeopt list`` lists them. See
:mod:`pdeopt.validation._harness` for how to write one.
"""
from ._harness import Context, Skip, registry, run_validations, validation

__all__ = ["Context", "Skip", "registry", "run_validations", "validation"]
