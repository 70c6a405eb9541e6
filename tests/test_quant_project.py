"""Quantized projections: brute force on small n, exact vs TWN, Lloyd b-bit, layer-wise sets."""
import itertools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pdeopt.kernels import select
from pdeopt.quant import QuantizedSet, dist, project_binary, project_bits, project_ternary
from pdeopt.quant.project import bits_code
from pdeopt.testing import assert_projection

vec = st.lists(st.floats(-10, 10, allow_nan=False), min_size=1, max_size=7).map(np.array)


def _brute(y, codes):
    """min over q ∈ codesⁿ and s ≥ 0 of ‖s·q − y‖² (best s = ⟨q,y⟩⁺/⟨q,q⟩)."""
    q = np.array(list(itertools.product(codes, repeat=y.size)), dtype=float)
    qq = np.einsum("ij,ij->i", q, q)
    s = np.where(qq > 0, np.maximum(q @ y, 0) / np.where(qq > 0, qq, 1), 0)
    d = np.sum((s[:, None] * q - y) ** 2, axis=1)
    return d.min()


def _d2(x, y):
    return float(np.sum((x - y) ** 2))


@given(y=vec)
def test_binary_and_exact_ternary_equal_brute_force(y):
    tol = 1e-9 * (1 + _d2(y, 0))
    assert abs(_d2(project_binary(y), y) - _brute(y, (-1, 1))) <= tol
    assert abs(_d2(project_ternary(y), y) - _brute(y, (-1, 0, 1))) <= tol


@given(y=st.lists(st.floats(-10, 10, allow_nan=False), min_size=1, max_size=300).map(np.array))
def test_exact_ternary_beats_or_equals_twn(y):
    assert _d2(project_ternary(y), y) <= _d2(project_ternary(y, "twn"), y) + 1e-9 * (1 + _d2(y, 0))


@given(y=st.lists(st.floats(-10, 10, allow_nan=False), min_size=1, max_size=5).map(np.array))
def test_exact_bits_equal_brute_force_and_lloyd_is_between(y):
    tol = 1e-9 * (1 + _d2(y, 0))
    best = _brute(y, range(-3, 4))
    assert abs(_d2(project_bits(y, 3), y) - best) <= tol
    d_lloyd = _d2(project_bits(y, 3, method="lloyd"), y)
    assert best - tol <= d_lloyd <= _d2(project_ternary(y), y) + tol


def test_lloyd_ends_on_a_fixed_point_of_its_alternation_and_is_a_local_method():
    # Lloyd alternates q ← clip(rint(y/s), ±M), s ← ⟨q, y⟩/⟨q, q⟩: where it stops, both
    # updates must leave (s, q) unchanged, and the projection must be s·q. Being a
    # local method, it misses the brute-force optimum on some vectors, never beats it,
    # and never does worse than the exact ternary projection it starts from.
    rng = np.random.default_rng(1)
    ys = rng.normal(size=(200, 5))
    missed = 0
    for y in ys:
        s = bits_code(y, 3, method="lloyd").scale
        q = np.sign(y) * np.minimum(np.rint(np.abs(y) / s), 3)
        assert s == pytest.approx(float(q @ y) / float(q @ q), rel=1e-12)
        x = project_bits(y, 3, method="lloyd")
        np.testing.assert_allclose(x, s * q, rtol=1e-12, atol=1e-15)
        best, tol = _brute(y, range(-3, 4)), 1e-9 * (1 + _d2(y, 0))
        assert best - tol <= _d2(x, y) <= _d2(project_ternary(y), y) + tol
        missed += _d2(x, y) > best + tol
    assert missed > 0


def test_bits_1_and_2_are_binary_and_ternary():
    y = np.random.default_rng(2).normal(size=50)
    np.testing.assert_array_equal(project_bits(y, 1), project_binary(y))
    np.testing.assert_array_equal(project_bits(y, 2), project_ternary(y))
    for b in (3, 4, 6):  # more bits, never farther
        assert _d2(project_bits(y, b), y) <= _d2(project_bits(y, b - 1), y) + 1e-12
        assert _d2(project_bits(y, b), y) <= _d2(project_bits(y, b, method="lloyd"), y) + 1e-12


@pytest.mark.parametrize("kind,bits", [("binary", None), ("ternary", None), ("twn", None),
                                       ("bits", 3), ("bits", 4)])
def test_layerwise_projection_is_in_Q_and_idempotent(kind, bits):
    rng = np.random.default_rng(3)
    y = rng.normal(size=40) * np.repeat([1.0, 10.0, 0.1, 1.0], 10)
    layers = [("a.W", slice(0, 10)), ("b.W", slice(10, 20)), ("c.W", slice(20, 30))]
    Q = QuantizedSet(kind, bits=bits, layers=layers)
    x = Q.project(y)
    assert Q.contains(x)
    assert not Q.contains(y)
    if kind != "twn":      # TWN is a heuristic threshold, not the nearest point
        assert_projection(Q.project, y, Q.contains)
    np.testing.assert_array_equal(x[30:], y[30:])  # the free block (biases) is untouched
    for _, sl in layers:  # each layer has its own scale: as if projected alone
        np.testing.assert_allclose(x[sl], QuantizedSet(kind, bits=bits).project(y[sl]))
    np.testing.assert_allclose(Q.project(x), x, rtol=1e-12)
    assert dist(x, Q) <= 1e-12 and dist(y, Q) == pytest.approx(np.linalg.norm(x - y))


@given(y=st.lists(st.floats(-5, 5, allow_nan=False), min_size=2, max_size=50).map(np.array),
       lam=st.floats(0, 1e3))
def test_relax_is_the_prox_of_half_squared_distance(y, lam):
    Q = QuantizedSet("ternary")
    x = Q.relax(y, lam)
    np.testing.assert_allclose(x, (lam * Q.project(y) + y) / (lam + 1), rtol=1e-12, atol=1e-12)
    # its objective ½‖x−y‖² + (λ/2)dist(x,Q)² is no worse than at y or at proj(y)
    def obj(z):
        return 0.5 * _d2(z, y) + 0.5 * lam * Q.dist(z) ** 2
    assert obj(x) <= min(obj(y), obj(Q.project(y))) + 1e-9 * (1 + obj(y))
    np.testing.assert_array_equal(Q.relax(y, np.inf), Q.project(y))


@pytest.mark.parametrize("levels,threshold", [(0, -1.0), (1, 0.4), (3, 0.0)])
@given(y=st.lists(st.floats(-5, 5, allow_nan=False), min_size=1, max_size=100).map(np.array),
       w=st.floats(0, 1))
def test_combine_kernel_numba_equals_numpy(levels, threshold, y, w):
    args = (y, 0.7, threshold, levels, w)
    np.testing.assert_allclose(select("prox.quant_combine", "numba")(*args),
                               select("prox.quant_combine", "numpy")(*args), rtol=1e-14, atol=1e-14)


@pytest.mark.cuda
@pytest.mark.parametrize("levels,threshold", [(0, -1.0), (1, 0.4), (3, 0.0)])
def test_combine_kernel_cuda_equals_numpy(levels, threshold):
    y = np.random.default_rng(4).normal(size=33)
    args = (y, 0.7, threshold, levels, 0.3)
    np.testing.assert_allclose(select("prox.quant_combine", "cuda")(*args),
                               select("prox.quant_combine", "numpy")(*args), rtol=1e-12)


def test_integer_input_is_promoted_and_zero_layers_are_handled():
    y = np.array([3, -1, 0, 2])
    x = project_ternary(y)
    assert x.dtype == np.float64
    np.testing.assert_allclose(x, [2.5, 0, 0, 2.5])
    np.testing.assert_array_equal(project_bits(np.zeros(4), 4), np.zeros(4))
    np.testing.assert_array_equal(project_ternary(np.zeros(3)), np.zeros(3))


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="bits must be >= 1"):
        project_bits(np.ones(3), 0)
    with pytest.raises(ValueError, match="y must not be empty"):
        project_binary(np.array([]))
    with pytest.raises(ValueError, match="NaN"):
        project_ternary(np.array([1.0, np.nan]))
    with pytest.raises(ValueError, match="method must be one of"):
        project_ternary(np.ones(3), "greedy")
    with pytest.raises(ValueError, match="bits must be given"):
        QuantizedSet("bits")
    with pytest.raises(ValueError, match="lam must be >= 0"):
        QuantizedSet("binary").relax(np.ones(3), -1.0)
    with pytest.raises(ValueError, match="bits must be <= 16"):
        project_bits(np.ones(3), 64)
    with pytest.raises(TypeError, match="method must be a string"):
        project_ternary(np.ones(3), np.array(["exact"]))


@pytest.mark.parametrize("layers,match", [
    ([slice(0, 4), slice(2, 6)], "not overlap"),            # would be projected twice
    ([("a.W", slice(3, 6)), ("b.W", slice(0, 4))], "not overlap"),
    ([slice(0, 0)], "0 <= start < stop"),                         # empty: silently skipped
    ([slice(4, 2)], "0 <= start < stop"),
    ([slice(-3, None)], "0 <= start < stop"),
    ([slice(0, 6, 2)], "unit step"),
    ([slice(0, 2.5)], "integers"),
    ([], "at least one slice"),
])
def test_quantized_set_refuses_overlapping_empty_or_odd_layers(layers, match):
    with pytest.raises(ValueError, match=f"^layers .*{match}"):
        QuantizedSet("binary", layers=layers)


def test_quantized_set_refuses_layers_beyond_the_vector():
    Q = QuantizedSet("ternary", layers=[slice(0, 3), slice(3, 8)])
    with pytest.raises(ValueError, match="layers reach index 8, beyond the 6 entries"):
        Q.project(np.ones(6))
    with pytest.raises(ValueError, match="layers reach index 8"):
        Q.dist(np.ones(6))
    with pytest.raises(TypeError, match="layers must be a sequence"):
        QuantizedSet("binary", layers=slice(0, 3))
    with pytest.raises(TypeError, match="kind must be a string"):
        QuantizedSet(None)
    with pytest.raises(TypeError, match="model must be a pdeopt.nn model"):
        QuantizedSet.for_model("mlp")
