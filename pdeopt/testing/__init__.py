"""Property-test the math identities of your own operators and solvers.

As :mod:`numpy.testing` does for arrays, :mod:`pdeopt.testing` gives the identities of the
field as ``assert_*`` checkers: each raises ``AssertionError`` with a message naming the
identity, the worst point and the gap, takes ``rtol``/``atol`` whose defaults its
docstring justifies, and needs only NumPy and SciPy. :mod:`pdeopt.testing.strategies`
(which needs ``hypothesis``) generates the inputs: grids, grid functions, sparse vectors,
graphs, phase objects, quantization inputs and SDE potentials.

>>> import numpy as np
>>> from pdeopt.prox import soft_threshold
>>> from pdeopt.testing import assert_prox_optimal
>>> assert_prox_optimal(lambda v, g: soft_threshold(v, g), lambda y: np.abs(y).sum(),
...                     np.array([1.5, -0.2, 0.4]))
"""
from ._calculus import assert_gradient, assert_order, observed_order
from ._graph import assert_graph_laplacian, assert_maximum_principle
from ._hj import (assert_cole_hopf, assert_hopf_lax_semigroup, assert_local_entropy_limits,
                  cole_hopf)
from ._phase import assert_phase_invariances, trivial_ambiguities
from ._prox import assert_moreau_decomposition, assert_projection, assert_prox_optimal
from ._sde import assert_density_evolution, assert_local_entropy_gradient, assert_weak_order

__all__ = [
    "assert_moreau_decomposition", "assert_prox_optimal", "assert_projection",
    "assert_order", "assert_gradient", "assert_hopf_lax_semigroup", "assert_cole_hopf",
    "assert_local_entropy_limits", "assert_graph_laplacian", "assert_maximum_principle",
    "assert_phase_invariances", "assert_density_evolution", "assert_weak_order",
    "assert_local_entropy_gradient", "observed_order", "cole_hopf", "trivial_ambiguities",
]
