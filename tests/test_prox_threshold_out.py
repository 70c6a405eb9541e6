"""Thresholding into a preallocated ``out``: same bits, in place allowed, bad buffers refused.

Soft and hard thresholding are bitwise equal to their NumPy twins on every backend and path
(serial and parallel numba, with and without ``out``); Tℓ1 stays within the 1e-13 of
``test_prox_threshold.py`` (the compiled map evaluates cos(acos(c)/3) by a polynomial).
"""
import numpy as np
import pytest

from pdeopt.kernels.prox import PARALLEL_MIN
from pdeopt.prox import hard_threshold, soft_threshold, threshold, tl1_threshold

KINDS = ("l1", "l0", "tl1")
LAM, A = 0.8, 0.5


def _same(kind, got, want):
    if kind == "tl1":
        np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-13)
    else:
        np.testing.assert_array_equal(got, want)
        assert np.array_equal(np.signbit(got), np.signbit(want))  # -0.0 stays -0.0


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("backend", ["numpy", "numba"])
@pytest.mark.parametrize("n", [37, PARALLEL_MIN + 7])  # serial and parallel numba loops
def test_out_is_filled_returned_and_equal_to_the_numpy_twin(kind, backend, n):
    x = np.random.default_rng(n).normal(scale=2.0, size=n)
    x[:5] = [0.0, -0.0, LAM, -LAM, np.sqrt(2 * LAM)]  # ties at the thresholds
    want = threshold(x, LAM, kind, a=A, backend="numpy")
    buf = np.full_like(x, np.nan)
    got = threshold(x, LAM, kind, a=A, out=buf, backend=backend)
    assert got is buf
    _same(kind, got, want)
    _same(kind, threshold(x, LAM, kind, a=A, backend=backend), want)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_out_keeps_the_shape_and_the_float32_precision(kind, backend):
    x = np.random.default_rng(1).normal(size=(3, 4, 5)).astype(np.float32)
    buf = np.empty((3, 4, 5), np.float32)
    got = threshold(x, 0.3, kind, a=2.0, out=buf, backend=backend)
    assert got is buf and got.dtype == np.float32
    np.testing.assert_allclose(got, threshold(x, 0.3, kind, a=2.0, backend="numpy"),
                               rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("backend", ["numpy", "numba"])
@pytest.mark.parametrize("n", [37, PARALLEL_MIN + 7])
def test_in_place_with_out_equal_to_x(kind, backend, n):
    x = np.random.default_rng(2).normal(scale=2.0, size=(n,))
    want = threshold(x, LAM, kind, a=A, backend="numpy")
    got = threshold(x, LAM, kind, a=A, out=x, backend=backend)
    assert got is x
    _same(kind, x, want)


def test_a_loop_reusing_its_buffer():
    x = np.random.default_rng(3).normal(size=(8, 9))
    buf = np.empty_like(x)
    for lam in (0.1, 0.5, 2.0):
        assert soft_threshold(x, lam, out=buf) is buf
        np.testing.assert_array_equal(buf, soft_threshold(x, lam))


@pytest.mark.parametrize("fn", [lambda x, **kw: soft_threshold(x, LAM, **kw),
                                lambda x, **kw: hard_threshold(x, LAM, **kw),
                                lambda x, **kw: tl1_threshold(x, LAM, A, **kw)])
def test_bad_out_is_refused_naming_out(fn):
    x = np.linspace(-2, 2, 12).reshape(3, 4)
    with pytest.raises(TypeError, match="out must be a numpy.ndarray"):
        fn(x, out=[0.0] * 12)
    with pytest.raises(TypeError, match="out must have the result's dtype float64"):
        fn(x, out=np.empty((3, 4), np.float32))
    with pytest.raises(TypeError, match="out must have the result's dtype float32"):
        fn(x.astype(np.float32), out=np.empty((3, 4)))
    with pytest.raises(TypeError, match="out must have the result's dtype float64"):
        fn(np.arange(12).reshape(3, 4), out=np.empty((3, 4), np.int64))  # ints promote
    with pytest.raises(ValueError, match=r"out must have the result's shape \(3, 4\)"):
        fn(x, out=np.empty(12))
    with pytest.raises(ValueError, match="out must be C-contiguous"):
        fn(x, out=np.empty((4, 3)).T)
    ro = np.empty((3, 4))
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="out must be writeable"):
        fn(x, out=ro)
    big = np.linspace(-2, 2, 13)
    with pytest.raises(ValueError, match="out overlaps x without being x"):
        fn(big[:12], out=big[1:])


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("backend", ["numpy", "numba"])
@pytest.mark.parametrize("n", [10, PARALLEL_MIN + 7])
def test_nan_or_inf_is_refused_and_x_is_kept_in_place(kind, backend, n):
    x = np.linspace(-3, 3, n)
    x[[1, 7]] = [np.nan, -np.inf]
    with pytest.raises(ValueError, match="x contains 2 NaN or inf value"):
        threshold(x, LAM, kind, a=A, out=np.empty_like(x), backend=backend)
    kept = x.copy()
    with pytest.raises(ValueError, match="x contains 2 NaN or inf value"):
        threshold(x, LAM, kind, a=A, out=x, backend=backend)
    np.testing.assert_array_equal(x, kept)


def test_the_compiled_kernels_take_out_and_never_raise():
    # ISTA-like callers may pass an overflowed iterate to a kernel: no exception there
    from pdeopt.kernels import select
    x = np.array([1.0, np.inf, np.nan, -3.0])
    out = np.empty(4)
    assert select("prox.soft", "numba")(x, 0.5, out=out) is out
    got, bad = select("prox.hard", "numba").counting_nonfinite(x, 1.0)
    assert bad == 2 and got[0] == 0.0 and got[3] == -3.0


@pytest.mark.cuda
@pytest.mark.parametrize("kind", KINDS)
def test_cuda_writes_into_out(kind):
    x = np.random.default_rng(0).normal(scale=3, size=37)
    buf = np.empty_like(x)
    assert threshold(x, 1.1, kind, a=0.7, out=buf, backend="cuda") is buf
    np.testing.assert_allclose(buf, threshold(x, 1.1, kind, a=0.7, backend="numpy"),
                               rtol=1e-12, atol=1e-12)
