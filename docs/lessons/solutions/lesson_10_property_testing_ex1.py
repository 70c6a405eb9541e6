"""Exercise 1: the projection onto the Euclidean ball, property-tested.

P(v) = v·min(1, r/|v|) is the nearest point of B₂(r): inside, v itself; outside, the point
of the sphere on the ray through v. It is the prox of the indicator ι_{B₂(r)}, whose
conjugate is r|·|₂, and the prox of γr|·|₂ is block soft-thresholding v·max(0, 1 − γr/|v|).
Moreau: P(x) + γ·prox_{(r|·|₂)/γ}(x/γ) = P(x) + x·max(0, 1 − r/|x|) = x. Hypothesis draws
the vectors (sparse ones, so the zero vector's neighbourhood and single spikes appear) and
the radius; every example must pass both checkers.
"""
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from pdeopt.testing import assert_moreau_decomposition, assert_projection
from pdeopt.testing.strategies import sparse_vectors


def project_l2(v, radius):
    norm = np.linalg.norm(v)
    return v if norm <= radius else v * (radius / norm)


def block_soft(v, lam):
    norm = np.linalg.norm(v)
    return np.zeros_like(v) if norm <= lam else v * (1 - lam / norm)


examples = []


@settings(max_examples=150, derandomize=True, deadline=None, database=None)
@given(sparse_vectors(max_size=6, scale=5.0), st.floats(0.1, 4.0), st.floats(0.2, 3.0))
def test_l2_ball(v, radius, gamma):
    v = np.asarray(v, dtype=float)
    assert_projection(lambda u: project_l2(u, radius), v,
                      lambda u: bool(np.linalg.norm(u) <= radius * (1 + 1e-12)))
    assert_moreau_decomposition(lambda u, g: project_l2(u, radius),
                                lambda u, g: block_soft(u, g * radius), v, gamma=gamma)
    examples.append(v)


test_l2_ball()
print(f"{len(examples)} hypothesis examples passed")

assert len(examples) >= 100, len(examples)
