"""The CuPy stand-in is as strict as CuPy where the device paths could go wrong."""
import numpy as np
import pytest

from pdeopt._xp import is_cupy_array, like, namespace, to_namespace


def test_implicit_conversion_and_host_mixing_fail(fake_cupy):
    d = fake_cupy.asarray(np.arange(4.0))
    with pytest.raises(TypeError, match="Implicit conversion"):
        np.asarray(d)
    with pytest.raises(TypeError, match="host numpy.ndarray"):
        d + np.ones(4)
    with pytest.raises(TypeError, match="host numpy.ndarray"):
        fake_cupy.maximum(d, np.ones(4))
    with pytest.raises(TypeError, match="host numpy.ndarray"):
        d[...] = np.ones(4)
    d[...] = 1.0                      # scalars are fine
    assert float(d.sum()) == 4.0


def test_namespace_and_counted_moves(fake_cupy):
    from pdeopt.testing.fake_cupy import transfers
    d = fake_cupy.asarray(np.arange(3.0))
    assert is_cupy_array(d) and namespace(d) is fake_cupy
    assert is_cupy_array(like(np.ones(2), d))
    h = to_namespace(d, np)
    assert isinstance(h, np.ndarray) and h.tolist() == [0.0, 1.0, 2.0]
    assert transfers() == {"to_device": 2, "to_host": 1}


def test_ufuncs_reductions_and_inplace_stay_on_the_device(fake_cupy):
    d = fake_cupy.asarray(np.array([-1.0, 2.0]))
    assert is_cupy_array(np.abs(d)) and is_cupy_array(d.max()) and is_cupy_array(np.sum(d))
    view = d.real
    view *= 2
    assert d.get().tolist() == [-2.0, 4.0]
    np.copyto(d, fake_cupy.zeros(2), where=d > 0)
    assert d.get().tolist() == [-2.0, 0.0]


def test_sparse_product(fake_cupy):
    import scipy.sparse as sp
    import cupyx.scipy.sparse as csp
    a = sp.random(5, 5, density=0.5, format="csr", random_state=0)
    x = np.arange(10.0).reshape(5, 2)
    m = csp.csr_matrix((fake_cupy.asarray(a.data), fake_cupy.asarray(a.indices),
                        fake_cupy.asarray(a.indptr)), shape=a.shape)
    assert np.allclose((m @ fake_cupy.asarray(x)).get(), a @ x)


@pytest.mark.cuda
def test_numba_cuda_kernels_map_fake_cupy_arrays_in_place(fake_cupy):
    # under the simulator a fake CuPy array is viewed (not copied) by the numba.cuda kernels
    import pdeopt.prox as px
    from pdeopt.testing.fake_cupy import transfers
    d = fake_cupy.asarray(np.linspace(-2.0, 2.0, 9))
    out = px.soft_threshold(d, 0.5, backend="cuda", out=d)
    assert out is d and is_cupy_array(out)
    assert np.allclose(d.get(), px.soft_threshold(np.linspace(-2.0, 2.0, 9), 0.5))
    assert transfers()["to_device"] == 1


def test_generator_draws_are_device_arrays(fake_cupy):
    g = fake_cupy.random.default_rng(3)
    draw = g.standard_normal((2, 2), dtype=np.float32)
    assert is_cupy_array(draw) and draw.dtype == np.float32
    assert is_cupy_array(g.integers(5))
