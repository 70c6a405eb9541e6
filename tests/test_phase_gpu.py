"""Phase retrieval on the GPU (issue 22, part 2): the device path without a GPU.

With ``fake_cupy`` (a strict CuPy stand-in) each method runs its device path on "CuPy" arrays:
it must agree with the NumPy path (backend="numpy", fft="numpy": host arrays, the unitary
host FFT) from the same random start, return the input's kind of array, and move data a
number of times that does not grow with ``max_iter``. reconstruct_many's batched stack must
agree run by run with the CPU runs. The numba.cuda kernels are checked against their NumPy
twins in numba's simulator (tests marked ``cuda``, tiny grids); CuPy itself (real cuFFT) only
on a GPU (``gpu``).
"""
import warnings

import numpy as np
import pytest

from pdeopt import BackendUnavailableError, phase
from pdeopt.kernels import select
from pdeopt.testing.fake_cupy import transfers

# The device path transforms with unnormalized FFTs and folds the scale into its sweeps (the
# host one with the unitary FFT): the same iteration rounded differently. Ten iterations of
# these chaotic maps amplify the per-step rounding (measured ≤ 3e-14 relative in float64,
# ≤ 1e-5 in float32); the bounds leave two orders of magnitude above that.
ITERATIONS = 10
BOUND = {np.float64: 1e-11, np.float32: 2e-4}
R_BOUND = {np.float64: 1e-12, np.float32: 5e-5}

METHODS = {
    "error_reduction": (phase.error_reduction, {}),
    "hio": (phase.hio, {}),
    "oss": (phase.oss, {"alphas": [64.0, 32.0, 16.0]}),
    "pdhg": (phase.pdhg, {}),
    "hio-complex": (phase.hio, {"nonnegative": False}),
    "pdhg-complex": (phase.pdhg, {"nonnegative": False, "smoothing": "dr1"}),
}

#: Host arrays a method moves to the device besides the random phases: OSS's |k|, PDHG's
#: smoothing grids (|ξ|² for DR1, |ρ|² for DR2; DR3, the default, both).
GRIDS = {"oss": 1, "pdhg": 2, "pdhg-complex": 1}


@pytest.fixture(scope="module")
def data():
    truth = phase.nanorice(32, variant=2)
    noisy = phase.simulate(truth.object, noise="poisson", flux=1e8, rng=0)
    return noisy, truth.support


def _close(got, want, dtype, bound):
    scale = np.max(np.abs(want))
    assert np.max(np.abs(got - want)) <= bound[dtype] * max(scale, 1.0)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", METHODS)
def test_cupy_input_agrees_with_the_numpy_path(fake_cupy, data, name, dtype):
    f, kw = METHODS[name]
    m, support = data[0].astype(dtype), data[1]
    want = f(m, support, ITERATIONS, rng=3, backend="numpy", fft="numpy", **kw)
    got = f(fake_cupy.asarray(m), fake_cupy.asarray(support), ITERATIONS, rng=3, **kw)
    assert isinstance(got.x, fake_cupy.ndarray)
    assert got.x.dtype == want.x.dtype                     # float32 in → float32/complex64
    assert got.info["fft"] == "cupy" and got.nit == want.nit == ITERATIONS
    _close(got.x.get(), want.x, dtype, BOUND)
    _close(got.history["r_factor"], want.history["r_factor"], dtype, R_BOUND)
    assert isinstance(got.history["r_factor"], np.ndarray)   # history stays on the host
    assert got.info["best_iteration"] == want.info["best_iteration"]


@pytest.mark.parametrize("name", METHODS)
def test_transfers_do_not_grow_with_max_iter(fake_cupy, data, name):
    f, kw = METHODS[name]
    m, support = data
    counts = {}
    for max_iter in (3, 10):
        d_m, d_s = fake_cupy.asarray(m), fake_cupy.asarray(support)
        before = transfers()
        res = f(d_m, d_s, max_iter, rng=1, **kw)
        after = transfers()
        counts[max_iter] = {k: after[k] - before[k] for k in after}
        assert isinstance(res.x, fake_cupy.ndarray) and res.nit == max_iter
    assert counts[3] == counts[10]
    # in: the random phases and the grids; out: nothing
    assert counts[3] == {"to_device": 1 + GRIDS.get(name, 0), "to_host": 0}


def test_host_input_with_backend_cuda_moves_once_and_returns_host(fake_cupy, data):
    m, support = data
    for max_iter in (3, 10):
        before = transfers()
        res = phase.hio(m, support, max_iter, rng=2, backend="cuda")
        after = transfers()
        # magnitudes, support and the phases in; the estimate out
        assert {k: after[k] - before[k] for k in after} == {"to_device": 3, "to_host": 1}
        assert type(res.x) is np.ndarray and res.x.dtype == np.float64
    want = phase.hio(m, support, 10, rng=2, backend="numpy", fft="numpy")
    _close(res.x, want.x, np.float64, BOUND)


def test_monitor_every_and_tol_on_the_device(fake_cupy, data):
    m, support = data
    want = phase.pdhg(m, support, 12, rng=4, monitor_every=4, backend="numpy", fft="numpy")
    got = phase.pdhg(fake_cupy.asarray(m), support, 12, rng=4, monitor_every=4)
    np.testing.assert_array_equal(got.history["iteration"], [0, 4, 8])
    _close(got.history["r_factor"], want.history["r_factor"], np.float64, R_BOUND)
    r1 = float(want.history["r_factor"][1])
    stop = phase.pdhg(fake_cupy.asarray(m), support, 12, rng=4, monitor_every=4,
                      tol=r1 * (1 + 1e-9))
    assert stop.status == 0 and stop.nit == 5


def test_callback_gets_device_copies(fake_cupy, data):
    m, support = data
    seen = []
    res = phase.hio(fake_cupy.asarray(m), support, 4, rng=0,
                    callback=lambda it: seen.append(it.x) or it.nit == 2)
    assert res.status == 4 and res.nit == 2
    assert all(isinstance(x, fake_cupy.ndarray) for x in seen)


@pytest.mark.parametrize("name", ["error_reduction", "hio", "oss", "pdhg", "pdhg-complex"])
def test_reconstruct_many_batched_agrees_with_cpu_runs(fake_cupy, data, name):
    f, kw = METHODS[name]
    m, support = data
    n_runs = 3
    want = phase.reconstruct_many(f, m, support, ITERATIONS, n_runs, rng=7, n_jobs=1,
                                  backend="numpy", fft="numpy", **kw)
    d_m, d_s = fake_cupy.asarray(m), fake_cupy.asarray(support)
    before = transfers()
    got = phase.reconstruct_many(f, d_m, d_s, ITERATIONS, n_runs, rng=7, **kw)
    after = transfers()
    assert len(got) == n_runs
    for g, w in zip(got, want):
        assert isinstance(g.x, fake_cupy.ndarray) and g.x.shape == w.x.shape
        assert g.info["batched"] == n_runs and g.nit == w.nit and g.status == w.status
        _close(g.x.get(), w.x, np.float64, BOUND)
        _close(g.history["r_factor"], w.history["r_factor"], np.float64, R_BOUND)
        assert g.info["best_iteration"] == w.info["best_iteration"]
    # the runs differ from each other (each its own seed)
    assert np.max(np.abs(got[0].x.get() - got[1].x.get())) > 1e-3
    # in: the stack of phases (+ the grids); out: the n R-factors at each recorded iteration
    moved = {k: after[k] - before[k] for k in after}
    assert moved == {"to_device": 1 + GRIDS.get(name, 0), "to_host": ITERATIONS}


def test_reconstruct_many_batched_runs_stop_on_their_own(fake_cupy, data):
    m, support = data
    stopped = []

    def stop_first_run_at_3(it):
        # run 0 is called first in each iteration: the first call with nit 3 is run 0's
        if it.nit == 3 and not stopped:
            stopped.append(True)
            return True
        return False
    got = phase.reconstruct_many(phase.hio, m, support, 6, 2, rng=5, backend="cuda",
                                 callback=stop_first_run_at_3)
    short = phase.reconstruct_many(phase.hio, m, support, 3, 2, rng=5, n_jobs=1,
                                   backend="numpy", fft="numpy")
    full = phase.reconstruct_many(phase.hio, m, support, 6, 2, rng=5, n_jobs=1,
                                  backend="numpy", fft="numpy")
    assert (got[0].status, got[0].nit, got[1].status, got[1].nit) == (4, 3, 1, 6)
    assert type(got[0].x) is np.ndarray                   # host magnitudes: host results
    _close(got[0].x, short[0].x, np.float64, BOUND)
    _close(got[1].x, full[1].x, np.float64, BOUND)
    assert len(got[0].history["r_factor"]) == 3


def test_reconstruct_many_on_the_device_runs_another_algorithm_in_turn(fake_cupy, data):
    m, support = data
    calls = []

    def mine(magnitudes, support, max_iter, *, rng, **params):
        calls.append(params["backend"])
        return phase.hio(magnitudes, support, max_iter, rng=rng, **params)
    got = phase.reconstruct_many(mine, fake_cupy.asarray(m), support, 3, 2, rng=1,
                                 backend="cuda", n_jobs=2)
    assert calls == ["cuda", "cuda"] and all(g.nit == 3 for g in got)


# --- bad input ---------------------------------------------------------------------------

def test_fft_cupy_needs_the_device_path(data):
    m, support = data
    with pytest.raises(ValueError, match="fft='cupy'.*backend='cuda'"):
        phase.hio(m, support, 3, fft="cupy")
    with pytest.raises(ValueError, match="fft"):
        phase.reconstruct_many(phase.hio, m, support, 3, 2, fft="cupy", n_jobs=1)


def test_backend_cuda_without_cupy_says_what_to_install(data, monkeypatch):
    import sys
    monkeypatch.setitem(sys.modules, "cupy", None)        # import cupy → ImportError
    m, support = data
    with pytest.raises(BackendUnavailableError, match=r"pip install pdeopt\[gpu\]"):
        phase.pdhg(m, support, 3, backend="cuda")


def test_backend_cuda_without_a_gpu_says_so(fake_cupy, data, monkeypatch):
    monkeypatch.setattr(fake_cupy.cuda.runtime, "getDeviceCount", lambda: 0)
    m, support = data
    with pytest.raises(BackendUnavailableError, match="no GPU"):
        phase.hio(m, support, 3, backend="cuda")


def test_bad_device_input_is_refused_naming_the_argument(fake_cupy, data):
    m, support = data
    d_m = fake_cupy.asarray(m)
    with pytest.raises(TypeError, match="backend"):
        phase.hio(d_m, support, 3, backend="numba")
    with pytest.raises(ValueError, match="fft"):
        phase.hio(d_m, support, 3, fft="scipy")
    bad = m.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="magnitudes"):
        phase.hio(fake_cupy.asarray(bad), support, 3)
    with pytest.raises(ValueError, match="magnitudes"):
        phase.hio(fake_cupy.asarray(-m), support, 3)
    with pytest.raises(TypeError, match="magnitudes"):
        phase.hio(fake_cupy.asarray(m + 0j), support, 3)
    with pytest.raises(ValueError, match="support"):
        phase.hio(d_m, fake_cupy.asarray(support[:-1]), 3)
    with pytest.raises(ValueError, match="support"):
        phase.hio(d_m, fake_cupy.asarray(np.zeros_like(support)), 3)
    with pytest.raises(ValueError, match="support"):
        phase.hio(d_m, fake_cupy.asarray(support * 2.0), 3)
    with pytest.raises(ValueError, match="missing"):
        phase.hio(d_m, support, 3, missing=fake_cupy.asarray(np.ones_like(support)))
    with pytest.raises(ValueError, match="x0"):
        phase.hio(d_m, support, 3, x0=fake_cupy.asarray(np.ones((4, 4))))
    d_zeros = fake_cupy.asarray(np.zeros_like(m))
    with pytest.raises(TypeError, match="support is a device array"):   # for a host run
        phase.hio(m, d_zeros, 3)
    for name in ("missing", "x0"):
        with pytest.raises(TypeError, match=f"{name} is a device array"):
            phase.hio(m, support, 3, **{name: d_zeros})
    with pytest.warns(UserWarning, match="oversampling"):
        wide = np.ones_like(support)
        phase.error_reduction(d_m, fake_cupy.asarray(wide), 1)


def test_device_start_x0(fake_cupy, data):
    m, support = data
    # random values: a constant on a symmetric support has spectral zeros, whose phase
    # z/|z| is rounding noise
    x0 = np.where(support, np.random.default_rng(0).uniform(0.2, 1.0, support.shape), 0.0)
    want = phase.error_reduction(m, support, 4, x0=x0, backend="numpy", fft="numpy")
    got = phase.error_reduction(fake_cupy.asarray(m), support, 4, x0=fake_cupy.asarray(x0))
    _close(got.x.get(), want.x, np.float64, BOUND)


# --- numba.cuda kernels on device arrays (simulator) -----------------------------------------

@pytest.fixture
def simulator():
    """Skip on a real GPU: the stand-in's "device" arrays are host memory, which only the
    simulator's kernels may touch (on a GPU the ``gpu`` tests run them on CuPy arrays)."""
    from pdeopt.kernels._device import simulated
    if not simulated():
        pytest.skip("the CuPy stand-in's arrays are host memory: kernels run on them only "
                    "in numba's simulator (NUMBA_ENABLE_CUDASIM=1)")


def _arrays(shape, seed, runs=None):
    rng = np.random.default_rng(seed)
    stack = shape if runs is None else (runs,) + shape
    z = rng.normal(size=stack) + 1j * rng.normal(size=stack)
    z.reshape(-1)[::7] = 0                                 # |z| = 0 pixels
    return {"z": z, "y": rng.normal(size=stack) + 1j * rng.normal(size=stack),
            "u": rng.normal(size=stack), "v": rng.normal(size=stack),
            "m": rng.uniform(0, 2, shape), "m2": rng.uniform(0, 2, shape),
            "known": rng.uniform(size=shape) < 0.8, "known2": rng.uniform(size=shape) < 0.7,
            "support": rng.uniform(size=shape) < 0.5, "h": rng.uniform(0.2, 1, shape)}


def _sweeps(a, backend, to):
    """Every sweep of the device path on copies of ``a`` (moved by ``to``); the results."""
    k = {name: select(f"phase.{name}", backend) for name in
         ("magnitude_prox", "magnitude_prox_real", "pdhg_fourier", "pdhg_dual", "object_step",
          "replace_outside", "multiply", "r_factor", "r_factor_real")}
    c = {key: to(v.copy()) for key, v in a.items()}
    out = {}
    z = to(a["z"].copy())
    out["prox"] = k["magnitude_prox"](z, c["m"], c["known"], 0.7, 0.2)
    z = to(a["z"].copy())
    out["prox_real"] = k["magnitude_prox_real"](z, c["m"], c["m2"], c["known"], c["known2"],
                                                1.0, 0.0)
    z, y = to(a["z"].copy()), to(a["y"].copy())
    out["fourier"] = k["pdhg_fourier"](z, y, c["m"], c["known"], 0.5, 2.0, 0.1, c["h"])
    for nonneg, x in ((True, to(np.zeros(a["u"].shape))), (False, to(a["y"] * 0))):
        u = to(a["z"].copy())
        out[f"dual{nonneg}"] = k["pdhg_dual"](u, x, c["support"], c["h"], nonneg, 0.25)
    for er in (True, False):
        u, x = to(a["u"].copy()), to(np.zeros(a["u"].shape))
        out[f"object_real{er}"] = k["object_step"](u, c["v"], x, c["support"], 0.9, True, er,
                                                   0.5)
        u, x = to(a["z"].copy()), to(a["z"] * 0)
        out[f"object{er}"] = k["object_step"](u, c["y"], x, c["support"], 0.9, False, er, 2.0)
    u, x, exterior = to(a["u"].copy()), to(np.zeros(a["u"].shape)), to(a["v"].copy())
    k["object_step"](u, c["v"], x, c["support"], 0.9, True, False, 0.5, exterior=exterior)
    out["object_exterior"] = (u, exterior)
    u = to(a["u"].copy())
    out["replace"] = k["replace_outside"](u, c["v"], c["support"])
    z = to(a["z"].copy())
    out["multiply"] = k["multiply"](z, c["h"])
    out["r"] = k["r_factor"](c["z"], c["m"], c["known"])
    out["r_real"] = k["r_factor_real"](c["z"], c["m"], c["m2"], c["known"], c["known2"])
    return out


def _host(v):
    if isinstance(v, tuple):
        return tuple(_host(w) for w in v)
    return v.get() if hasattr(v, "get") else np.asarray(v)


@pytest.mark.cuda
@pytest.mark.filterwarnings("ignore::numba.core.errors.NumbaPerformanceWarning")
@pytest.mark.parametrize("runs", [None, 2])
def test_cuda_kernels_on_device_arrays_equal_the_twins(fake_cupy, simulator, runs):
    # a stack of runs shares one grid's M, masks and filters (reconstruct_many's batch)
    a = _arrays((4, 6), 11, runs)
    got = _sweeps(a, "cuda", fake_cupy.asarray)
    want = {key: _host(v) for key, v in _sweeps(a, "numpy", fake_cupy.asarray).items()}
    host = _sweeps(a, "numpy", lambda v: v) if runs is None else None
    for key in got:
        g = _host(got[key])
        np.testing.assert_allclose(g, want[key], rtol=1e-12, atol=1e-12, err_msg=key)
        if host is not None:        # one run: the twins on the host agree too
            np.testing.assert_allclose(g, host[key], rtol=1e-12, atol=1e-12, err_msg=key)
    if runs:
        assert got["r"].shape == (runs,)


@pytest.mark.cuda
@pytest.mark.filterwarnings("ignore::numba.core.errors.NumbaPerformanceWarning")
@pytest.mark.parametrize("name", ["hio", "pdhg", "pdhg-complex"])
def test_methods_in_the_simulator_agree_with_the_numpy_path(fake_cupy, simulator, name):
    # 16² and 3 iterations: the simulator runs every CUDA thread in Python
    f, kw = METHODS[name]
    rng = np.random.default_rng(0)
    obj = np.zeros((16, 16))
    obj[5:10, 6:11] = rng.uniform(0.5, 1.0, (5, 5))
    m = phase.simulate(obj)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)       # oversampling below 2
        want = f(m, obj > 0, 3, rng=3, backend="numpy", fft="numpy", **kw)
        got = f(fake_cupy.asarray(m), fake_cupy.asarray(obj > 0), 3, rng=3, **kw)
    assert got.info["backend"] == "auto"
    _close(got.x.get(), want.x, np.float64, BOUND)
    _close(got.history["r_factor"], want.history["r_factor"], np.float64, R_BOUND)


@pytest.mark.cuda
@pytest.mark.filterwarnings("ignore::numba.core.errors.NumbaPerformanceWarning")
def test_batched_reconstruct_many_in_the_simulator(fake_cupy, simulator):
    rng = np.random.default_rng(1)
    obj = np.zeros((16, 16))
    obj[4:9, 5:10] = rng.uniform(0.5, 1.0, (5, 5))
    m = phase.simulate(obj)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        want = phase.reconstruct_many(phase.oss, m, obj > 0, 3, 2, rng=2, n_jobs=1,
                                      backend="numpy", fft="numpy", alphas=[8.0, 4.0])
        got = phase.reconstruct_many(phase.oss, fake_cupy.asarray(m), obj > 0, 3, 2, rng=2,
                                     alphas=[8.0, 4.0])
    for g, w in zip(got, want):
        _close(g.x.get(), w.x, np.float64, BOUND)


# --- CuPy on a GPU ---------------------------------------------------------------------------

@pytest.mark.gpu
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_cupy_on_a_gpu_agrees_with_the_numpy_path(data, dtype):
    import cupy
    m, support = data[0].astype(dtype), data[1]
    for f, kw in METHODS.values():
        want = f(m, support, ITERATIONS, rng=3, backend="numpy", fft="numpy", **kw)
        got = f(cupy.asarray(m), cupy.asarray(support), ITERATIONS, rng=3, **kw)
        assert isinstance(got.x, cupy.ndarray) and got.x.dtype == want.x.dtype
        _close(cupy.asnumpy(got.x), want.x, dtype, BOUND)
    runs = phase.reconstruct_many(phase.pdhg, cupy.asarray(m), support, ITERATIONS, 3, rng=7)
    cpu = phase.reconstruct_many(phase.pdhg, m, support, ITERATIONS, 3, rng=7, n_jobs=1,
                                 backend="numpy", fft="numpy")
    for g, w in zip(runs, cpu):
        _close(cupy.asnumpy(g.x), w.x, dtype, BOUND)


@pytest.mark.gpu
@pytest.mark.parametrize("runs", [None, 2])
def test_cuda_kernels_on_cupy_arrays_equal_the_twins(runs):
    import cupy
    a = _arrays((64, 48), 11, runs)
    got = _sweeps(a, "cuda", cupy.asarray)
    want = _sweeps(a, "numpy", cupy.asarray)
    for key in got:
        np.testing.assert_allclose(_host(got[key]), _host(want[key]), rtol=1e-12, atol=1e-12,
                                   err_msg=key)


# --- the bench group gpu-phase ---------------------------------------------------------------

def test_bench_group_skips_with_the_reason_without_a_gpu(monkeypatch):
    from pdeopt.bench import BenchContext, gpu_phase
    monkeypatch.setattr(gpu_phase, "_why_not", lambda: "no CUDA GPU or driver was found")
    ctx = BenchContext("gpu-phase", quick=True, echo=lambda line: None)
    gpu_phase.bench(ctx)
    assert ctx.rows == [{"group": "gpu-phase",
                         "note": "skipped: no CUDA GPU or driver was found"}]


def test_bench_group_code_path_runs_with_the_stand_in(fake_cupy, monkeypatch):
    # fake_cupy's timings mean nothing: this runs the group's code on a tiny grid
    from pdeopt.bench import BenchContext, gpu_phase
    from pdeopt.kernels import _device

    class Tiny(BenchContext):
        def pick(self, quick, default):
            if isinstance(quick, list):
                return [32]
            return (3, 2) if isinstance(quick, tuple) else 2
    monkeypatch.setattr(gpu_phase, "_why_not", lambda: "")
    monkeypatch.setattr(gpu_phase, "CPU_FFT", "scipy")         # no FFTW planning here
    monkeypatch.setattr(_device, "device_name", lambda: "fake")
    ctx = Tiny("gpu-phase", quick=True, echo=lambda line: None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        gpu_phase.bench(ctx)
    metrics = {r["metric"] for r in ctx.rows if "metric" in r}
    for name in ("HIO", "OSS", "PDHG"):
        assert f"{name} 32² complex64: numba on all CPU cores / GPU" in metrics
    assert "PDHG 64²: GPU batched reconstructions/s" in metrics
    assert any(name.startswith("hio(32² host arrays") for name in metrics)
    assert "HIO 32² complex128: xp fallback / fused numba.cuda sweeps" in metrics
    rows = [r for r in ctx.rows if r.get("kernel") == "phase iteration"]
    assert len(rows) == 2 and all(t > 0 for r in rows for t in r["seconds"].values())


def _ptx_compiler():
    """numba.cuda's PTX compiler (libnvvm), which needs no GPU; None where it is missing."""
    from pdeopt.kernels import cuda_available
    from pdeopt.kernels._device import simulated
    if simulated() or cuda_available()[0]:     # on a GPU the kernels compile as they run
        return None
    from numba import cuda
    try:
        cuda.compile_ptx(lambda a: None, "(float64[:],)", cc=(9, 0))
    except Exception:       # no libnvvm (CUDA toolkit) here
        return None
    return cuda.compile_ptx


@pytest.mark.parametrize("single", [False, True])
def test_cuda_kernels_compile_for_the_gpu(single, monkeypatch):
    # the simulator runs the kernels as Python and types nothing: this compiles each one
    # with the argument types the device path gives it (sm_90, an H100/H200), so a typing
    # error shows here rather than on the first GPU run
    compile_ptx = _ptx_compiler()
    if compile_ptx is None:
        pytest.skip("numba.cuda cannot compile PTX here (no libnvvm, or the simulator is on), "
                    "or a GPU is (its tests compile the kernels)")
    import types

    import numba.cuda.dispatcher
    # the kernels' device functions are compiled for the current device's compute
    # capability: without a GPU, say sm_90
    monkeypatch.setattr(numba.cuda.dispatcher, "get_current_device",
                        lambda: types.SimpleNamespace(compute_capability=(9, 0)))
    from pdeopt.kernels import phase as kp
    c, f = ("complex64", "float32") if single else ("complex128", "float64")
    z, r, b = f"{c}[::1]", f"{f}[::1]", "boolean[::1]"
    signatures = {
        "magnitude_prox": [(z, r, b, "float64", "float64")],
        "magnitude_prox_real": [(z, r, r, b, b, "float64", "float64")],
        "pdhg_fourier": [(z, z, r, b, r, "float64", "float64", "float64", "boolean")],
        "pdhg_dual": [(z, z, b, r, "boolean", "float64")],
        "pdhg_dual_real": [(z, r, b, r, "float64")],
        "object_step": [(z, z, z, b, "float64", "boolean", "boolean", "float64")],
        "object_step_real": [(r, r, r, b, "float64", "boolean", "float64")],
        "replace_outside": [(r, r, b), (z, z, b)],
        "multiply": [(z, r)],
        "r_factor": [(z, r, r, b, b, "float64[::1]", "boolean")],
    }
    kernels = kp._cuda_kernels()
    for name, sigs in signatures.items():
        for sig in sigs:
            compile_ptx(kernels[name].py_func, f"({', '.join(sig)},)", cc=(9, 0))


def test_reconstruct_many_batched_divergence_names_the_run(fake_cupy, data, monkeypatch):
    from pdeopt import DivergenceError
    from pdeopt.phase import _common
    real = _common.Problem.r_factor

    def r_factor(self, x):
        r = real(self, x)
        r[1] = np.nan                       # run 1's estimate blew up
        return r
    monkeypatch.setattr(_common.Problem, "r_factor", r_factor)
    m, support = data
    with pytest.raises(DivergenceError, match="run 1"):
        phase.reconstruct_many(phase.hio, fake_cupy.asarray(m), support, 3, 2, rng=0)


def test_reconstruct_many_batched_interrupt_returns_every_run(fake_cupy, data):
    m, support = data
    stopped = []

    def callback(it):
        if it.nit == 1 and not stopped:     # run 0 stops first, at its first iteration
            stopped.append(True)
            return True
        if it.nit == 3:
            raise KeyboardInterrupt
        return False
    with pytest.warns(RuntimeWarning, match="1 of 2 runs cut short"):
        got = phase.reconstruct_many(phase.hio, fake_cupy.asarray(m), support, 6, 2, rng=0,
                                     callback=callback)
    assert [(r.status, r.nit) for r in got] == [(4, 1), (3, 3)]
    assert isinstance(got[1].x, fake_cupy.ndarray) and len(got[1].history["r_factor"]) == 3
