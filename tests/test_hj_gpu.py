"""HJ and Burgers solvers with backend="cuda": the grid function on the device (issue 22).

Expected values come from the NumPy backend on the host. Three ways in:

- ``fake_cupy`` without the simulator: the device loop in (fake) CuPy with the NumPy twins
  of the stencils written against the array namespace; host↔device moves are counted;
- ``cuda`` (numba's simulator, tiny grids): the numba.cuda stencils on numba device arrays
  (no CuPy here) and on fake-CuPy arrays;
- ``gpu``: CuPy on a real GPU.
"""
import os

import numpy as np
import pytest

from pdeopt import _xp
from pdeopt.hj import solve_burgers, solve_hj, solve_viscous_hj
from pdeopt.kernels import BackendUnavailableError, cuda_available
from pdeopt.testing.fake_cupy import transfers

SCHEMES = ("godunov", "lax-friedrichs", "eno2")
X = np.linspace(-2, 2, 24)
Y = np.linspace(-1, 1, 13)
F1 = np.cos(2 * X) + X**2 / 4
F2 = np.cos(2 * X)[:, None] * np.sin(3 * Y)[None, :] + 0.1 * X[:, None] ** 2
W0 = np.where(X < 0, 1.0, 0.0) + 0.3 * np.sin(X)


def _problems():
    """(name, solver call on f, host f) for every solver, 1-D and 2-D, tiny and short."""
    out = []
    for scheme in SCHEMES:
        out.append((f"hj-{scheme}-1d", lambda f, b, s=scheme: solve_hj(f, X, 0.05, scheme=s,
                                                                       backend=b), F1))
        out.append((f"hj-{scheme}-2d", lambda f, b, s=scheme: solve_hj(f, (X, Y), 0.03,
                                                                       scheme=s, backend=b), F2))
    out.append(("viscous-1d", lambda f, b: solve_viscous_hj(f, X, 0.004, 0.5, backend=b), F1))
    out.append(("viscous-2d", lambda f, b: solve_viscous_hj(f, (X, Y), 0.002, 0.5,
                                                            backend=b), F2))
    out.append(("burgers", lambda f, b: solve_burgers(f, X, 0.1, scheme="eno2", backend=b), W0))
    return out


PROBLEMS = _problems()
IDS = [p[0] for p in PROBLEMS]


def _numpy(solve, f):
    return solve(f, "numpy")


@pytest.fixture
def no_simulator(monkeypatch):
    """numba.cuda reported unavailable: the device loop falls back to the NumPy twins."""
    import pdeopt.kernels as kernels
    monkeypatch.setattr(kernels, "cuda_available", lambda: (False, "no GPU (test)"))
    import pdeopt.kernels._registry as registry
    monkeypatch.setattr(registry, "cuda_available", lambda: (False, "no GPU (test)"))


#: fake CuPy's arrays live in host memory: numba.cuda maps them only in its simulator (on a GPU
#: the gpu-marked CuPy tests cover the same paths)
SIMULATOR_ONLY = pytest.mark.skipif(os.environ.get("NUMBA_ENABLE_CUDASIM") != "1",
                                    reason="fake CuPy arrays need numba's simulator")

@pytest.mark.parametrize("name,solve,f", PROBLEMS, ids=IDS)
def test_fake_cupy_device_loop_equals_numpy(fake_cupy, no_simulator, name, solve, f):
    want = _numpy(solve, f)
    d = fake_cupy.asarray(f)
    before = transfers()
    res = solve(d, "cuda")
    assert isinstance(res.x, fake_cupy.ndarray) and res.x.shape == want.x.shape
    assert transfers() == before, "a CuPy grid function must not leave the device"
    assert res.nit == want.nit
    assert res.info["parameters"]["device"] == "cupy"
    assert res.info["parameters"]["stencils"] == "NumPy twins on CuPy"
    np.testing.assert_allclose(res.x.get(), want.x, rtol=1e-13, atol=1e-13)
    np.testing.assert_array_equal(d.get(), f)        # the input is not changed


@pytest.mark.parametrize("name,solve,f", PROBLEMS[:2] + PROBLEMS[-3:], ids=IDS[:2] + IDS[-3:])
def test_fake_cupy_host_input_moves_once(fake_cupy, no_simulator, name, solve, f):
    want = _numpy(solve, f)
    res = solve(f, "cuda")
    assert isinstance(res.x, np.ndarray)
    assert transfers() == {"to_device": 1, "to_host": 1}
    np.testing.assert_allclose(res.x, want.x, rtol=1e-13, atol=1e-13)


def test_fake_cupy_callback_sees_device_arrays(fake_cupy, no_simulator):
    seen = []
    res = solve_burgers(fake_cupy.asarray(W0), X, 1.0, backend="cuda",
                        callback=lambda it: seen.append(type(it.x)) or it.nit == 3)
    assert res.status == 4 and res.nit == 3
    assert seen == [fake_cupy.ndarray] * 3 and res.x.shape == W0.shape


def test_fake_cupy_float32_and_bad_device_input(fake_cupy, no_simulator):
    want = solve_hj(F1, X, 0.05, backend="numpy").x
    got = solve_hj(fake_cupy.asarray(F1.astype(np.float32)), X, 0.05, backend="cuda").x
    assert got.dtype == np.float64               # the solvers work in float64
    np.testing.assert_allclose(got.get(), want, rtol=1e-6, atol=1e-6)
    bad = F1.copy()
    bad[3] = np.nan
    with pytest.raises(ValueError, match="f contains NaN"):
        solve_hj(fake_cupy.asarray(bad), X, 0.05, backend="cuda")
    with pytest.raises(ValueError, match="shape"):
        solve_hj(fake_cupy.asarray(F1[:-1]), X, 0.05, backend="cuda")
    with pytest.raises(TypeError, match="backend='cuda'"):
        solve_hj(fake_cupy.asarray(F1), X, 0.05, backend="numpy")
    with pytest.raises(TypeError, match="backend='cuda'"):
        solve_burgers(fake_cupy.asarray(W0), X, 0.1, backend="numba")
    auto = solve_hj(fake_cupy.asarray(F1), X, 0.05)      # "auto": the device for device input
    assert isinstance(auto.x, fake_cupy.ndarray)
    np.testing.assert_allclose(auto.x.get(), want, rtol=1e-13, atol=1e-13)
    with pytest.raises(ValueError, match="crank-nicolson"):
        solve_viscous_hj(fake_cupy.asarray(F1), X, 0.1, method="crank-nicolson",
                         backend="cuda")
    with pytest.raises(ValueError, match="crank-nicolson"):
        solve_viscous_hj(F1, X, 0.1, method="crank-nicolson", backend="cuda")


def test_host_input_without_cupy_or_gpu_is_refused(no_simulator):
    import sys
    if "cupy" in sys.modules or _cupy_installed():
        pytest.skip("CuPy is installed here")
    with pytest.raises(BackendUnavailableError, match=r"pdeopt\[gpu\]"):
        solve_hj(F1, X, 0.05, backend="cuda")


def _cupy_installed():
    import importlib.util
    return importlib.util.find_spec("cupy") is not None


# ------------------------------------------------------------------ numba's simulator


@pytest.mark.cuda
@pytest.mark.parametrize("name,solve,f", PROBLEMS, ids=IDS)
def test_numba_device_arrays_equal_numpy(name, solve, f):
    from numba import cuda
    want = _numpy(solve, f)
    d = cuda.to_device(f)
    res = solve(d, "cuda")
    assert _xp.is_numba_device_array(res.x) and res.x.shape == want.x.shape
    np.testing.assert_allclose(res.x.copy_to_host(), want.x, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(d.copy_to_host(), f)
    host = solve(f, "cuda")                          # host in, host out
    assert isinstance(host.x, np.ndarray)
    np.testing.assert_allclose(host.x, want.x, rtol=1e-12, atol=1e-12)


@pytest.mark.cuda
@pytest.mark.parametrize("name,solve,f", [PROBLEMS[4], PROBLEMS[5], PROBLEMS[-1]],
                         ids=[IDS[4], IDS[5], IDS[-1]])
@SIMULATOR_ONLY
def test_simulated_kernels_on_fake_cupy_arrays(fake_cupy, name, solve, f):
    assert cuda_available()[0]
    want = _numpy(solve, f)
    res = solve(fake_cupy.asarray(f), "cuda")
    assert isinstance(res.x, fake_cupy.ndarray)
    assert res.info["parameters"]["stencils"] == "numba.cuda"
    # the asarray above, and cupy.asarray of the loop's numba array at the end: a view on a
    # GPU, a copy in the fake; nothing comes back to the host
    assert transfers() == {"to_device": 2, "to_host": 0}
    np.testing.assert_allclose(res.x.get(), want.x, rtol=1e-12, atol=1e-12)


@pytest.mark.cuda
def test_numba_device_input_checked_on_the_device():
    from numba import cuda
    bad = F1.copy()
    bad[0] = np.inf
    with pytest.raises(ValueError, match="f contains NaN"):
        solve_hj(cuda.to_device(bad), X, 0.05, backend="cuda")
    with pytest.raises(TypeError, match="backend='cuda'"):
        solve_viscous_hj(cuda.to_device(F1), X, 0.05, backend="numba")
    if not _cupy_installed():                        # CuPy would convert it on the device
        with pytest.raises(TypeError, match="float64"):
            solve_hj(cuda.to_device(F1.astype(np.float32)), X, 0.05, backend="cuda")


# ------------------------------------------------------------------ CuPy on a GPU


@pytest.mark.gpu
@pytest.mark.parametrize("name,solve,f", PROBLEMS, ids=IDS)
def test_cupy_equals_numpy(name, solve, f):
    import cupy
    from numba import cuda
    want = _numpy(solve, f)
    res = solve(cupy.asarray(f), "cuda")
    assert isinstance(res.x, cupy.ndarray)
    np.testing.assert_allclose(res.x.get(), want.x, rtol=1e-12, atol=1e-12)
    viewed = solve(cuda.to_device(f.astype(np.float32)), "cuda")   # converted by CuPy
    assert _xp.is_numba_device_array(viewed.x)
    want = _numpy(solve, f.astype(np.float32))
    np.testing.assert_allclose(viewed.x.copy_to_host(), want.x, rtol=1e-12, atol=1e-12)


@pytest.mark.gpu
def test_cupy_large_grid_matches_numba():
    import cupy
    x = np.linspace(-3, 3, 1025)
    f = np.cos(2 * x)[:, None] * np.sin(3 * x)[None, :]
    want = solve_hj(f, (x, x), 0.02, scheme="eno2", backend="numba")
    got = solve_hj(cupy.asarray(f), (x, x), 0.02, scheme="eno2", backend="cuda")
    assert got.nit == want.nit
    np.testing.assert_allclose(got.x.get(), want.x, rtol=1e-11, atol=1e-11)


@pytest.mark.cuda
def test_device_max_slope_reduction_equals_numpy():
    from numba import cuda

    from pdeopt.kernels.hj_stencils import device_max_abs_diff
    rng = np.random.default_rng(4)
    for u in (rng.normal(size=(5, 60)), rng.normal(size=(60, 2)), rng.normal(size=300)):
        d = cuda.to_device(u)
        for axis in range(u.ndim):
            assert device_max_abs_diff(d, axis) == np.max(np.abs(np.diff(u, axis=axis)))


@pytest.mark.cuda
@pytest.mark.parametrize("shape", [(37,), (9, 7)])
def test_godunov_kernel_fuses_heuns_average(shape):
    from numba import cuda

    from pdeopt.kernels import select
    rng = np.random.default_rng(5)
    u, base = rng.normal(size=shape), rng.normal(size=shape)
    spacing = (0.1,) if len(shape) == 1 else (0.1, 0.07)
    name = f"hj.godunov_step_{len(shape)}d"
    want = 0.5 * (select(name, "numpy")(u, *spacing, 1e-3, 2) + base)
    got = select(name, "cuda")(cuda.to_device(u), *spacing, 1e-3, 2,
                               average_with=cuda.to_device(base))
    np.testing.assert_allclose(got.copy_to_host(), want, rtol=1e-13, atol=1e-13)
    host = select(name, "cuda")(u, *spacing, 1e-3, 2, average_with=base)
    np.testing.assert_allclose(host, want, rtol=1e-13, atol=1e-13)


@pytest.mark.cuda
@SIMULATOR_ONLY
def test_callback_sees_the_input_kind(fake_cupy):
    from numba import cuda
    seen = []

    def keep(it):
        seen.append(it.x)
    solve_hj(fake_cupy.asarray(F1), X, 0.02, backend="cuda", callback=keep)
    solve_viscous_hj(fake_cupy.asarray(F1), X, 0.002, 0.5, backend="cuda", callback=keep)
    assert seen and all(isinstance(x, fake_cupy.ndarray) for x in seen)
    seen.clear()
    solve_hj(cuda.to_device(F1), X, 0.02, backend="cuda", callback=keep)
    assert seen and all(_xp.is_numba_device_array(x) for x in seen)


def ptx_compiler(monkeypatch):
    """numba.cuda's PTX compiler for sm_90 (an H100/H200), which needs libnvvm but no GPU;
    None in the simulator, on a GPU (its tests compile the kernels as they run) or without
    libnvvm. The simulator runs kernels as Python and types nothing: compiling them with the
    argument types the device path gives them shows a typing error before the first GPU run."""
    import types

    from pdeopt.kernels import cuda_available
    from pdeopt.kernels._device import simulated
    if simulated() or cuda_available()[0]:
        return None
    from numba import cuda
    try:
        cuda.compile_ptx(lambda a: None, "(float64[:],)", cc=(9, 0))
    except Exception:       # no libnvvm (CUDA toolkit) here
        return None
    import numba.cuda.dispatcher
    # device functions compile for the current device's compute capability: say sm_90
    monkeypatch.setattr(numba.cuda.dispatcher, "get_current_device",
                        lambda: types.SimpleNamespace(compute_capability=(9, 0)))
    return lambda kernel, *sig: cuda.compile_ptx(kernel.py_func, f"({', '.join(sig)},)",
                                                 cc=(9, 0))


def test_hj_cuda_kernels_compile_for_the_gpu(monkeypatch):
    compile_ptx = ptx_compiler(monkeypatch)
    if compile_ptx is None:
        pytest.skip("no PTX compiler here (no libnvvm, the simulator is on, or a GPU is)")
    from pdeopt.kernels import hj_stencils as k
    count, reduce_ = k._cuda_sweeps()
    v, m, f = "float64[::1]", "float64[:, ::1]", "float64"
    compile_ptx(count, v, "int64[::1]")
    compile_ptx(reduce_, m, "int64", v)
    if not builtin_max_compiles():
        pytest.skip("numba's built-in CUDA target here cannot compile the builtin max/min "
                    "(its overload takes *args; numba-cuda, as on a GPU machine, can): "
                    "the stencils (Godunov's max) are left to the GPU run")
    step_1d, step_2d = k._cuda_kernels()
    compile_ptx(step_1d, v, v, v, "boolean", f, f, f, "int64")
    compile_ptx(step_2d, m, m, m, "boolean", f, f, f, f, f, "int64")


def builtin_max_compiles():
    """Whether PTX compiles here for a kernel calling the builtin max (numba 0.68's built-in
    CUDA target cannot: its max overload takes *args; numba-cuda can)."""
    from numba import cuda

    def largest(u, out):
        out[0] = max(u[0], u[1])
    try:
        cuda.compile_ptx(largest, "(float64[::1], float64[::1])", cc=(9, 0))
    except TypeError:
        return False
    return True
