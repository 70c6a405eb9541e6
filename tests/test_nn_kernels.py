"""The convolution and pooling kernels (``nn.*``): the Numba versions equal their NumPy twins
to the bit, in float32 and float64, whatever the split of the batch among threads.

Bitwise, not within a tolerance: the gathers (im2col, max-pool forward) are copies, and
every sum (col2im, the pooling backward passes, the window means) adds the same terms in the
same order in both versions (the order is part of each kernel's definition; see
``pdeopt.kernels.nn``), so no rounding differs.
"""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pdeopt.kernels import compiled_threads, select
from pdeopt.kernels import nn as knn

DTYPES = st.sampled_from([np.float32, np.float64])


@st.composite
def conv_geometry(draw):
    n, c = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    h, w = draw(st.integers(1, 8)), draw(st.integers(1, 8))
    ph, pw = draw(st.integers(0, 2)), draw(st.integers(0, 2))
    kh, kw = draw(st.integers(1, h + 2 * ph)), draw(st.integers(1, w + 2 * pw))
    sh, sw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    return (n, c, h, w), (kh, kw), (sh, sw), (ph, pw)


@st.composite
def pool_geometry(draw):
    n, c = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    h, w = draw(st.integers(1, 9)), draw(st.integers(1, 9))
    kh, kw = draw(st.integers(1, h)), draw(st.integers(1, w))
    sh, sw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    return (n, c, h, w), (kh, kw), (sh, sw)


def _out(size, k, s, p=0):
    return (size + 2 * p - k) // s + 1


def _both(name, make_args):
    """Run kernel ``name`` with each backend on fresh (NaN-filled) outputs; return both."""
    return {backend: select(f"nn.{name}", backend)(*make_args()) for backend in ("numpy", "numba")}


@given(geom=conv_geometry(), dtype=DTYPES, seed=st.integers(0, 2 ** 31))
def test_im2col_and_col2im_numba_equal_the_twins(geom, dtype, seed):
    (n, c, h, w), k, s, p = geom
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, c, h, w)).astype(dtype)
    rows, cols = n * _out(h, k[0], s[0], p[0]) * _out(w, k[1], s[1], p[1]), c * k[0] * k[1]
    got = _both("im2col", lambda: (x, k, s, p, np.full((rows, cols), np.nan, dtype)))
    np.testing.assert_array_equal(got["numba"], got["numpy"])
    assert got["numba"].dtype == dtype
    d = rng.standard_normal((rows, cols)).astype(dtype)
    back = _both("col2im", lambda: (d, k, s, p, np.full((n, c, h, w), np.nan, dtype)))
    np.testing.assert_array_equal(back["numba"], back["numpy"])
    assert back["numba"].dtype == dtype
    # col2im is the adjoint of im2col: <im2col(x), d> = <x, col2im(d)>
    lhs = np.vdot(got["numpy"].astype(np.float64), d)
    rhs = np.vdot(x.astype(np.float64), back["numpy"])
    assert abs(lhs - rhs) <= (1e-4 if dtype == np.float32 else 1e-10) * (1 + abs(lhs))


@given(geom=pool_geometry(), dtype=DTYPES, seed=st.integers(0, 2 ** 31), ties=st.booleans())
def test_pooling_numba_equals_the_twins(geom, dtype, seed, ties):
    (n, c, h, w), k, s = geom
    rng = np.random.default_rng(seed)
    # small integers make ties: both versions pick the first maximum of a window
    x = (rng.integers(-2, 3, (n, c, h, w)) if ties else rng.standard_normal((n, c, h, w)))
    x = x.astype(dtype)
    oshape = (n, c, _out(h, k[0], s[0]), _out(w, k[1], s[1]))
    fwd = _both("maxpool_forward", lambda: (x, k, s, np.full(oshape, np.nan, dtype),
                                            np.full(oshape, -1, np.int32)))
    np.testing.assert_array_equal(fwd["numba"], fwd["numpy"])
    arg = np.empty(oshape, np.int32)
    select("nn.maxpool_forward", "numpy")(x, k, s, np.empty(oshape, dtype), arg)
    arg_numba = np.empty(oshape, np.int32)
    select("nn.maxpool_forward", "numba")(x, k, s, np.empty(oshape, dtype), arg_numba)
    np.testing.assert_array_equal(arg_numba, arg)
    np.testing.assert_array_equal(x.reshape(n, c, -1)[np.arange(n)[:, None, None, None],
                                                      np.arange(c)[None, :, None, None], arg],
                                  fwd["numpy"])
    dout = rng.standard_normal(oshape).astype(dtype)
    bwd = _both("maxpool_backward", lambda: (dout, arg, np.full((n, c, h, w), np.nan, dtype)))
    np.testing.assert_array_equal(bwd["numba"], bwd["numpy"])
    avg = _both("avgpool_forward", lambda: (x, k, s, np.full(oshape, np.nan, dtype)))
    np.testing.assert_array_equal(avg["numba"], avg["numpy"])
    davg = _both("avgpool_backward", lambda: (dout, k, s, np.full((n, c, h, w), np.nan, dtype)))
    np.testing.assert_array_equal(davg["numba"], davg["numpy"])
    for out in (*fwd.values(), *bwd.values(), *avg.values(), *davg.values()):
        assert out.dtype == dtype


@settings(max_examples=10)
@given(threads=st.integers(2, 4), n=st.integers(2, 7), dtype=DTYPES, seed=st.integers(0, 99))
def test_batch_split_among_threads_changes_nothing(threads, n, dtype, seed):
    # each sample's output is written by one thread: the split cannot change a bit
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 2, 9, 7)).astype(dtype)
    k, s, p = (3, 2), (2, 1), (1, 0)
    rows = n * _out(9, 3, 2, 1) * _out(7, 2, 1, 0)
    d = rng.standard_normal((rows, 12)).astype(dtype)
    runs = []
    saved, knn.SPLIT_MIN_SIZE = knn.SPLIT_MIN_SIZE, 0       # split even these small calls
    try:
        for t in (1, threads):
            with compiled_threads(t):
                cols = select("nn.im2col", "numba")(x, k, s, p, np.empty((rows, 12), dtype))
                dx = select("nn.col2im", "numba")(d, k, s, p, np.empty_like(x))
                arg = np.empty((n, 2, 4, 3), np.int32)
                pooled = select("nn.maxpool_forward", "numba")(
                    x, (2, 2), (2, 2), np.empty((n, 2, 4, 3), dtype), arg)
                dpool = select("nn.maxpool_backward", "numba")(np.ones_like(pooled), arg,
                                                               np.empty_like(x))
                runs.append((cols, dx, pooled, dpool))
    finally:
        knn.SPLIT_MIN_SIZE = saved
    for a, b in zip(*runs):
        np.testing.assert_array_equal(a, b)


def test_compiled_threads_sets_and_restores_the_count():
    import numba
    before = numba.get_num_threads()
    with compiled_threads(1):
        assert numba.get_num_threads() == 1
    with compiled_threads(10 ** 6):                  # capped at numba's pool size
        assert numba.get_num_threads() == numba.config.NUMBA_NUM_THREADS
    assert numba.get_num_threads() == before


def test_layers_pick_the_backend_and_refuse_cuda():
    from pdeopt import BackendUnavailableError
    from pdeopt.nn import Conv2D, MaxPool2D, lenet
    with pytest.raises(BackendUnavailableError, match="no CUDA version"):
        Conv2D(2, 3, backend="cuda")
    with pytest.raises(ValueError, match="backend must be one of"):
        MaxPool2D(2, backend="gpu")
    with pytest.raises(TypeError, match="backend"):
        MaxPool2D(2, backend=None)
    # the whole LeNet pass is the same to the bit with either backend (same products, kernels
    # equal to the bit), with and without padding
    rng = np.random.default_rng(0)
    for shape in ((8, 8), (28, 28)):
        x, y = rng.random((5, *shape)), rng.integers(0, 10, 5)
        grads = [lenet(channels=(3, 4), hidden=8, input_shape=shape, rng=1,
                       backend=b).loss_and_grad(x, y) for b in ("numpy", "numba")]
        assert grads[0][0] == grads[1][0]
        np.testing.assert_array_equal(grads[0][1], grads[1][1])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("hw", [(8, 8), (9, 7)])
def test_maxpool_2x2_fast_path_equals_the_twin(dtype, hw):
    # the 2×2, stride-2 windows take a loop of their own: the same maxima and first-maximum
    # indices as the NumPy twin, ties (small integers) and odd sizes (a last row/column
    # left out) included
    x = np.random.default_rng(7).integers(-2, 3, (3, 4) + hw).astype(dtype)
    oshape = (3, 4, hw[0] // 2, hw[1] // 2)
    got = {}
    for backend in ("numpy", "numba"):
        out, arg = np.full(oshape, np.nan, dtype), np.full(oshape, -1, np.int64)
        select("nn.maxpool_forward", backend)(x, (2, 2), (2, 2), out, arg)
        got[backend] = (out, arg)
    np.testing.assert_array_equal(got["numba"][0], got["numpy"][0])
    np.testing.assert_array_equal(got["numba"][1], got["numpy"][1])
