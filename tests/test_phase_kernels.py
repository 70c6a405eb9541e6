"""The phase kernels: every backend equals the NumPy twin on random inputs, in float64 and
float32 (complex128 and complex64).

Tolerances: float64 1e-12. float32: the Numba loops compute a pixel in double precision and
round once on the store, the NumPy twins round every operation to float32 (unit roundoff
u = 2⁻²⁴ ≈ 6e-8); a pixel takes ≤ ~10 operations on values ≤ ~10, so the two differ by
≤ ~10·u·10 ≈ 6e-6 absolute: 2e-5 (relative and absolute) is that with a margin of 3.
"""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pdeopt.kernels import select

shapes = st.tuples(st.integers(1, 9), st.integers(1, 9))
seeds = st.integers(0, 2 ** 32 - 1)


def _inputs(shape, seed, single=False):
    rng = np.random.default_rng(seed)
    c = lambda: rng.standard_normal(shape) + 1j * rng.standard_normal(shape)  # noqa: E731
    z = c()
    z.flat[0] = 0.0  # the phase of 0 is a special case
    a = dict(z=z, yhat=c(), u=c(), v=c(), m=rng.uniform(0, 2, shape),
             m2=rng.uniform(0, 2, shape), known2=rng.random(shape) < 0.8,
             known=rng.random(shape) < 0.8, support=rng.random(shape) < 0.5,
             weight=rng.uniform(0.2, 1, shape), h=rng.uniform(0, 1, shape))
    if single:
        a = {k: v.astype(np.complex64 if np.iscomplexobj(v) else np.float32)
             if v.dtype != bool else v for k, v in a.items()}
    return a


def _tolerance(flags):
    return dict(rtol=2e-5, atol=2e-5) if flags.get("single") else dict(rtol=1e-12, atol=1e-12)


def _run(backend, name, a, flags):
    k = select(f"phase.{name}", backend)
    a = {key: v.copy() for key, v in a.items()}
    if name == "magnitude_prox":
        return [k(a["z"], a["m"], a["known"], flags["t"], flags["sigma"])]
    if name == "magnitude_prox_real":
        return [k(a["z"], a["m"], a["m2"], a["known"], a["known2"], flags["t"],
                  flags["sigma"])]
    if name == "pdhg_fourier":
        return list(k(a["z"], a["yhat"], a["m"], a["known"], flags["t"], flags["s"],
                      flags["sigma"], a["h"] if flags["filtered"] else None))
    if name == "pdhg_dual":
        # a real object's estimate is real (float64); a complex one's complex
        real = flags["real"] and flags["nonneg"]
        x = np.empty(a["u"].shape, a["u"].real.dtype) if real else np.empty_like(a["u"])
        return list(k(a["u"], x, a["support"], a["weight"], flags["nonneg"],
                      flags.get("scale", 1.0)))
    if name == "object_step":
        # a real object's iterate: real or complex with zero imaginary part, in the
        # input's precision
        u = (a["u"].real.copy() if flags["real"] else a["u"].real.astype(a["u"].dtype)) \
            if flags["nonneg"] else a["u"]
        x = np.empty_like(u)
        return list(k(u, a["v"], x, a["support"], flags["beta"], flags["nonneg"], flags["er"],
                      flags.get("scale", 1.0)))
    if name == "replace_outside":
        u = a["u"].real.copy() if flags["real"] else a["u"]
        return [k(u, a["v"], a["support"])]
    if name == "multiply":
        return [k(a["z"], a["h"])]
    if name == "r_factor":
        return [np.array(k(a["z"], a["m"], a["known"]))]
    if name == "r_factor_real":
        return [np.array(k(a["z"], a["m"], a["m2"], a["known"], a["known2"]))]
    if name == "hermitian_fill":
        return [k(a["z"])]
    raise AssertionError(name)


NAMES = ["magnitude_prox", "magnitude_prox_real", "pdhg_fourier", "pdhg_dual", "object_step",
         "replace_outside", "multiply", "r_factor", "r_factor_real"]
flags_st = st.fixed_dictionaries({
    "t": st.floats(0.1, 3), "s": st.floats(0.1, 3), "sigma": st.sampled_from([0.0, 0.1, 2.0]),
    "beta": st.floats(0, 1), "nonneg": st.booleans(), "er": st.booleans(),
    "filtered": st.booleans(), "real": st.booleans(),
    "scale": st.sampled_from([1.0, 0.25, 1 / 3]), "single": st.booleans()})


@pytest.mark.parametrize("name", NAMES + ["hermitian_fill"])
@given(shape=shapes, seed=seeds, flags=flags_st)
def test_numba_equals_numpy(name, shape, seed, flags):
    a = _inputs(shape, seed, flags["single"])
    got_all, want_all = _run("numba", name, a, flags), _run("numpy", name, a, flags)
    for got, want in zip(got_all, want_all):
        if not name.startswith("r_factor"):
            # the precision follows the input: complex64/float32 in, complex64/float32 out
            assert got.dtype == want.dtype == (a["u"].dtype if np.iscomplexobj(got)
                                               else a["m"].dtype), (got.dtype, want.dtype)
        np.testing.assert_allclose(got, want, **_tolerance(flags))


@given(shape=shapes, seed=seeds, flags=flags_st)
def test_object_step_without_the_estimate_updates_u_alike(shape, seed, flags):
    # x=None (an iteration that records nothing): the same u as with x, on both backends
    a = _inputs(shape, seed, flags["single"])
    want = _run("numpy", "object_step", a, flags)[0]
    for backend in ("numpy", "numba"):
        k = select("phase.object_step", backend)
        u = (a["u"].real.copy() if flags["real"] else a["u"].real.astype(a["u"].dtype)) \
            if flags["nonneg"] else a["u"].copy()
        got, x = k(u, a["v"].copy(), None, a["support"], flags["beta"], flags["nonneg"],
                   flags["er"], flags["scale"])
        assert x is None
        np.testing.assert_allclose(got, want, **_tolerance(flags))


@given(shape=shapes, seed=seeds, flags=flags_st)
def test_pdhg_dual_without_the_estimate_updates_u_alike(shape, seed, flags):
    # x=None: the same dual variable as with x (real for a real object), on both backends
    a = _inputs(shape, seed, flags["single"])
    flags = dict(flags, real=True)
    want = _run("numpy", "pdhg_dual", a, flags)[0]
    for backend in ("numpy", "numba"):
        got, x = select("phase.pdhg_dual", backend)(a["u"].copy(), None, a["support"],
                                                     a["weight"], flags["nonneg"],
                                                     flags["scale"])
        assert x is None
        np.testing.assert_allclose(got, want, **_tolerance(flags))


@pytest.mark.parametrize("single", [False, True])
@given(shape=shapes, seed=seeds)
def test_hermitian_fill_gives_the_spectrum_of_a_real_array(single, shape, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape).astype(np.float32 if single else np.float64)
    full = np.fft.fft2(x)
    z = np.zeros_like(full)
    z[:, :shape[1] // 2 + 1] = np.fft.rfft2(x)
    for backend in ("numpy", "numba"):
        got = select("phase.hermitian_fill", backend)(z.copy())
        np.testing.assert_allclose(got, full, rtol=1e-5 if single else 1e-12,
                                   atol=(1e-5 if single else 1e-12) * np.abs(full).max())


@pytest.mark.parametrize("single", [False, True])
@given(shape=shapes, runs=st.integers(1, 3), seed=seeds)
def test_polar_is_m_times_the_unit_phase_and_alike_bit_for_bit(single, shape, runs, seed):
    # the random start M·e^{iφ}, a stack of runs sharing M: |z| = M and arg z = φ (to
    # rounding); the Numba loop gives the NumPy twin's bits, zero magnitudes included, so
    # that a seed starts a run alike on either backend
    rng = np.random.default_rng(seed)
    m = rng.uniform(0, 2, shape).astype(np.float32 if single else np.float64)
    m.flat[0] = 0.0
    phases = rng.uniform(0.0, 2.0 * np.pi, (runs,) + shape)
    z = {b: select("phase.polar", b)(np.empty(phases.shape, np.complex64 if single
                                                else np.complex128), m, phases)
         for b in ("numpy", "numba")}
    assert z["numba"].tobytes() == z["numpy"].tobytes()
    tol = 1e-6 if single else 1e-14
    np.testing.assert_allclose(np.abs(z["numba"]), np.broadcast_to(m, phases.shape),
                               atol=tol * 4)
    turn = np.angle(z["numba"] * np.exp(-1j * phases))      # arg z − φ, wrapped to (−π, π]
    np.testing.assert_allclose(np.where(m > 0, turn, 0.0), 0.0, atol=tol * 4)


@given(shape=shapes, seed=seeds, flags=flags_st)
def test_object_step_writes_the_exterior_as_replace_outside_after_it(shape, seed, flags):
    # OSS's fused sweep: the step with exterior= is the step, then replace_outside(exterior,
    # u, support), bit for bit, with and without the estimate x
    a = _inputs(shape, seed, flags["single"])
    u0 = (a["u"].real.copy() if flags["real"] else a["u"].real.astype(a["u"].dtype)) \
        if flags["nonneg"] else a["u"]
    args = (a["support"], flags["beta"], flags["nonneg"], flags["er"], flags["scale"])
    start = (a["yhat"] if np.iscomplexobj(u0) else a["yhat"].real).astype(u0.dtype)
    for backend in ("numpy", "numba"):
        step = select("phase.object_step", backend)
        replace = select("phase.replace_outside", backend)
        for with_x in (True, False):
            x = np.empty_like(u0) if with_x else None
            want_u = step(u0.copy(), a["v"], x, *args)[0]
            want_ext = replace(start.copy(), want_u, a["support"])
            exterior = start.copy()
            got_u = step(u0.copy(), a["v"], x, *args, exterior=exterior)[0]
            assert got_u.tobytes() == want_u.tobytes()
            assert exterior.tobytes() == want_ext.tobytes(), backend


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_object_step_refuses_an_exterior_unlike_u(backend):
    a = _inputs((4, 6), 3)
    step = select("phase.object_step", backend)
    u = a["u"].real.copy()
    for bad in (np.zeros((4, 5)), np.zeros((4, 6), np.float32), np.zeros((6, 4)).T):
        with pytest.raises(ValueError, match="exterior must be a C-contiguous array of u's"):
            step(u, a["v"], None, a["support"], 0.9, True, False, exterior=bad)


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_a_real_iterate_stays_real_and_needs_a_real_object(backend):
    a = _inputs((5, 6), 2)
    u, x = a["u"].real.copy(), np.empty((5, 6))
    step = select("phase.object_step", backend)
    step(u, a["v"], x, a["support"], 0.9, True, False)
    good = a["support"] & (a["v"].real >= 0)
    np.testing.assert_array_equal(x, np.where(good, a["v"].real, 0.0))
    np.testing.assert_array_equal(u, np.where(good, a["v"].real, a["u"].real - 0.9 * a["v"].real))
    with pytest.raises(ValueError, match="u must be complex"):
        step(u, a["v"], x, a["support"], 0.9, False, False)
    with pytest.raises(ValueError, match="x must have the dtype of u"):
        step(u, a["v"], x.astype(complex), a["support"], 0.9, True, False)
    dual = select("phase.pdhg_dual", backend)
    d = a["u"].copy()
    dual(d, x, a["support"], a["weight"], True)
    np.testing.assert_array_equal(x, np.where(a["support"], np.maximum(a["u"].real, 0), 0))
    np.testing.assert_allclose(d, a["weight"] * (a["u"] - x))
    with pytest.raises(ValueError, match="x must be complex"):
        dual(d, x, a["support"], a["weight"], False)


def test_kernels_work_in_place():
    a = _inputs((4, 5), 0)
    z = a["z"].copy()
    out = select("phase.magnitude_prox", "numba")(z, a["m"], np.ones((4, 5), bool), 1.0, 0.0)
    assert out is z
    np.testing.assert_allclose(np.abs(z), a["m"])


def test_magnitude_projection_keeps_phase_and_unknown_pixels():
    a = _inputs((6, 6), 3)
    z = a["z"].copy()
    select("phase.magnitude_prox", "numpy")(z, a["m"], a["known"], 1.0, 0.0)
    k = a["known"] & (np.abs(a["z"]) > 0)
    np.testing.assert_allclose(np.abs(z[k]), a["m"][k])
    np.testing.assert_allclose(np.angle(z[k]), np.angle(a["z"][k]))
    np.testing.assert_array_equal(z[~a["known"]], a["z"][~a["known"]])


def test_pdhg_dual_is_the_moreau_decomposition():
    # u = P_X(u) + P_X*(u) for the cone X = {Re ≥ 0 real in D, 0 off D} and its polar cone
    a = _inputs((7, 5), 1)
    u = a["u"].copy()
    x = np.empty_like(u)
    select("phase.pdhg_dual", "numba")(u, x, a["support"], np.ones((7, 5)), True)
    np.testing.assert_allclose(x + u, a["u"])
    assert np.all(x[~a["support"]] == 0) and np.all(x.imag == 0) and np.all(x.real >= 0)
    assert np.all(u.real[a["support"]] <= 0)                         # y ∈ X*
    assert abs(np.vdot(x, u).real) < 1e-12                           # orthogonal parts


@pytest.mark.cuda
@pytest.mark.parametrize("name", NAMES)
def test_cuda_equals_numpy(name):
    a = _inputs((4, 8), 7)
    for flags in ({"t": 1.0, "s": 1.0, "sigma": 0.0, "beta": 0.9, "nonneg": True, "er": False,
                   "filtered": True, "real": True},
                  {"t": 1.0, "s": 1.0, "sigma": 0.0, "beta": 0.9, "nonneg": True, "er": False,
                   "filtered": True, "real": False},
                  {"t": 0.5, "s": 2.0, "sigma": 0.1, "beta": 0.5, "nonneg": False, "er": True,
                   "filtered": False, "real": False}):
        for got, want in zip(_run("cuda", name, a, flags), _run("numpy", name, a, flags)):
            np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("threshold", ["PARALLEL_MIN_SIZE", "SPLIT_MIN_SIZE"])
@pytest.mark.parametrize("name", NAMES)
@given(shape=shapes, seed=seeds, flags=flags_st)
def test_parallel_numba_equals_numpy(threshold, name, shape, seed, flags):
    # large arrays are swept by the prange loops (PARALLEL_MIN_SIZE) or in two halves by two
    # threads (SPLIT_MIN_SIZE): lower the threshold to reach that path here
    import pdeopt.kernels.phase as kp
    old = getattr(kp, threshold)
    setattr(kp, threshold, 1)
    try:
        a = _inputs(shape, seed, flags["single"])
        for got, want in zip(_run("numba", name, a, flags), _run("numpy", name, a, flags)):
            np.testing.assert_allclose(got, want, **_tolerance(flags))
    finally:
        setattr(kp, threshold, old)


def test_parallel_path_runs_above_the_threshold_and_equals_the_twins():
    import pdeopt.kernels.phase as kp
    old, kp.PARALLEL_MIN_SIZE = kp.PARALLEL_MIN_SIZE, 64 * 64
    try:
        a = _inputs((64, 64), 5)
        assert kp._parallel(a["z"]) and not kp._parallel(a["z"][:63])
        flags = {"t": 1.0, "s": 1.0, "sigma": 0.1, "beta": 0.9, "nonneg": True, "er": False,
                 "filtered": True, "real": True}
        for name in NAMES:
            for got, want in zip(_run("numba", name, a, flags), _run("numpy", name, a, flags)):
                np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
    finally:
        kp.PARALLEL_MIN_SIZE = old


def test_sweeps_keep_the_precision_of_their_arrays():
    # a complex64 sweep computes in float32: the pixel functions take their constants and
    # build their complex results in the arrays' precision (a float64 literal or complex()
    # would widen every operation to float64), and float64 stays float64
    import numba
    from pdeopt.kernels.phase import _complex_like, _real_like

    @numba.njit
    def probe(a):
        return _real_like(0.5, a), _complex_like(a.real[0], 1.0, a)
    for dtype, real, cplx in ((np.complex64, "float32", "complex64"),
                              (np.float32, "float32", "complex64"),
                              (np.complex128, "float64", "complex128")):
        assert probe(np.ones(2, dtype)) == (0.5, 1 + 1j)
        ret = probe.nopython_signatures[-1].return_type
        assert [str(t) for t in ret] == [real, cplx]
