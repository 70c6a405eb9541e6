"""``pdeopt bench gpu``: device-resident thresholding, quantization and HJ steps against a
device copy, the host round trip and numba on all CPU cores (issue 22).

On one GPU, timed with CUDA events around a loop of calls (each call of a public threshold
ends by reading back its NaN/inf count, so it is synchronous):

thresholds (n float64: 10⁸, 10⁶ with ``--quick``), one row per map (soft, hard, Tℓ1):

``device copy``           a device-to-device copy of n doubles (the yardstick: reads n, writes n)
``<map> kernel``          the numba.cuda kernel on device arrays, into a buffer
``<function> device``     e.g. ``prox.soft_threshold(d_x, λ, out=d_out, backend="cuda")``: the
                          public function's checks, the kernel and its NaN/inf count
``soft_threshold host``   soft only, on host arrays: one copy in, one copy out per call
``numba CPU out=``        ``backend="numba"`` into a host buffer (all CPU cores)

ternary projection (same n): the combine kernel ``prox.quant_combine`` (q = sign(y)·1{|y| >
s/2}, x = s·q) on device arrays vs the copy and vs numba's on the CPU cores; with CuPy also
the whole ``quant.project_ternary`` on a CuPy array (its scale needs a sort of |y|);

HJ (a 4096² float64 grid, 512² with ``--quick``): one explicit step of each scheme (Godunov,
ENO2 stage, viscous) by the numba.cuda stencil on device arrays vs the copy, and a whole
``solve_hj``/``solve_viscous_hj`` run with ``backend="cuda"`` on a device grid function (time
per step, checks and sync included) vs the same run with ``backend="numba"`` on all cores.

When CuPy is installed the thresholds also run on CuPy arrays beside CuPy's own copy.
Goals: device-resident maps ≥ 0.8 of a device copy's throughput; the device faster than
numba on all cores. Without a GPU (or under numba's simulator, whose timings mean nothing)
the group records a note and skips.
"""
from __future__ import annotations

import math
import os
import time

import numpy as np

from pdeopt.bench._harness import benchmark


def _device():
    # numba is imported only under pdeopt.kernels (and only when this group runs)
    from pdeopt.kernels import _device as dev
    return dev


def _wall_time(fn, reps):
    fn()
    t0 = time.perf_counter()
    for _ in range(reps):
        fn()
    return (time.perf_counter() - t0) / reps


def _best(fn, reps):
    """``fn()``'s result and its shortest wall time over ``reps`` calls (it synchronises)."""
    best = math.inf
    for _ in range(max(1, reps)):
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return result, best


def _why_not():
    """The reason this group cannot time a GPU here, or ``""``."""
    from pdeopt.kernels import cuda_available
    ok, why = cuda_available()
    if not ok:
        return why
    if _device().simulated():
        return "numba's CUDA simulator is on (NUMBA_ENABLE_CUDASIM=1): its timings mean nothing"
    return ""


def _cupy():
    try:
        import cupy
    except ImportError:
        return None
    return cupy


def cupy_time(cupy, fn, reps):
    """Mean seconds per call of ``fn`` between two CuPy CUDA events on the null stream, after
    a warm-up call (kernel compilation, FFT plans); wall time with the test suite's CuPy
    stand-in (``__fake__``), whose timings mean nothing."""
    if getattr(cupy, "__fake__", False):
        return _wall_time(fn, reps)
    fn()
    cupy.cuda.Device().synchronize()
    start, end = cupy.cuda.Event(), cupy.cuda.Event()
    start.record()
    for _ in range(reps):
        fn()
    end.record()
    end.synchronize()
    return cupy.cuda.get_elapsed_time(start, end) / 1e3 / reps


def cupy_or_skip(ctx, why_not=_why_not):
    """CuPy, for a group that times it on a GPU; ``None`` after noting why it cannot.

    ``why_not`` is the group's own reason finder (tests replace it). The device's name is
    noted when the group goes on."""
    why = why_not()
    if why:
        ctx.note(f"skipped: {why}")
        return None
    try:
        import cupy
    except ImportError as exc:
        ctx.note(f"skipped: CuPy is not installed ({exc}): pip install pdeopt[gpu]")
        return None
    ctx.note(f"device: {_device().device_name()}")
    return cupy


def _row(ctx, kernel, size, times):
    """A row of times against the device copy; every candidate reads and writes what the
    copy does (n doubles each way), so t_copy / t is its fraction of the copy's throughput."""
    row = {"group": ctx.name, "kernel": kernel, "size": size, "baseline": "device copy",
           "seconds": times,
           "speedup": {k: times["device copy"] / t for k, t in times.items()}}
    row["fraction_of_copy"] = dict(row["speedup"])
    ctx.rows.append(row)
    ctx._echo(f"  {kernel} ({size})")
    for k, t in times.items():
        ctx.metric(f"{kernel}: {k}, ms per call", t * 1e3, unit="ms")
    return row


@benchmark("gpu", description="device-resident thresholds, ternary projection and HJ steps vs a "
                              "device copy, the host round trip and numba on all CPU cores "
                              "(skips without a GPU)")
def bench(ctx):
    why = _why_not()
    if why:
        ctx.note(f"skipped: {why}")
        return
    dev = _device()
    ctx.note(f"device: {dev.device_name()}; numba CPU rows on {os.cpu_count()} cores")
    n = ctx.pick(1_000_000, 100_000_000)
    x = ctx.rng.normal(scale=2.0, size=n)
    d_x = dev.to_device(x)
    d_out = dev.device_array_like(d_x)
    reps = ctx.pick(20, 50)
    copy = dev.event_time(lambda: d_out.copy_to_device(d_x), reps)
    _thresholds(ctx, dev, x, d_x, d_out, copy, reps)
    _ternary(ctx, dev, x, d_x, d_out, copy, reps)
    del d_x, d_out
    _hj(ctx, dev)


def _thresholds(ctx, dev, x, d_x, d_out, copy, reps):
    from pdeopt.kernels.prox import _on_device
    from pdeopt.prox import hard_threshold, soft_threshold, tl1_threshold, tl1_threshold_value
    lam, a = 1.0, 0.7
    bad = dev.to_device(np.zeros(1, np.int64))  # the kernels' NaN/inf counter, not read
    maps = {  # name: (public function of x, kernel name, kernel arguments)
        "soft": (lambda v, **kw: soft_threshold(v, lam, **kw), "soft", (lam,)),
        "hard": (lambda v, **kw: hard_threshold(v, lam, **kw), "hard", (math.sqrt(2 * lam),)),
        "tl1": (lambda v, **kw: tl1_threshold(v, lam, a, **kw), "tl1",
                (lam, a, tl1_threshold_value(lam, a))),
    }
    names = {"soft": "soft_threshold", "hard": "hard_threshold", "tl1": "tl1_threshold"}
    cupy = _cupy()
    if cupy is None:
        ctx.note("CuPy is not installed: the CuPy rows are left out")
    else:
        c_x = cupy.asarray(x)
        c_out = cupy.empty_like(c_x)
        cupy_copy = dev.event_time(lambda: c_out.__setitem__(Ellipsis, c_x), reps)
    buf = np.empty_like(x)
    for key, (public, kernel, args) in maps.items():
        fn = names[key]
        times = {"device copy": copy,
                 f"{key} kernel": dev.event_time(
                     lambda: _on_device(kernel, d_x, *args, out=d_out, bad=bad), reps),
                 f"{fn} device": dev.event_time(
                     lambda: public(d_x, out=d_out, backend="cuda"), reps)}
        want = public(x[:1000], backend="numpy")
        assert np.allclose(d_out[:1000].copy_to_host(), want, rtol=1e-12, atol=1e-12), \
            f"device {fn} differs from the NumPy twin"
        if key == "soft":
            times[f"{fn} host"] = _wall_time(lambda: public(x, backend="cuda"), 3)
        times["numba CPU out="] = _wall_time(lambda: public(x, out=buf, backend="numba"),
                                             ctx.pick(5, 10))
        if cupy is not None:
            times["cupy copy"] = cupy_copy
            times[f"{fn} cupy"] = dev.event_time(
                lambda: public(c_x, out=c_out, backend="cuda"), reps)
        label = {"soft": "soft threshold", "hard": "hard threshold", "tl1": "Tl1 threshold"}
        _row(ctx, label[key], f"n={x.size:.0e}", times)
        ctx.metric(f"{key} kernel, fraction of a device copy", copy / times[f"{key} kernel"],
                   goal="≥ 0.8")
        ctx.metric(f"{fn} device, fraction of a device copy", copy / times[f"{fn} device"],
                   goal="≥ 0.8")
        if cupy is not None:
            ctx.metric(f"{fn} cupy, fraction of a CuPy copy",
                       cupy_copy / times[f"{fn} cupy"], goal="≥ 0.8")
        if key == "soft":
            ctx.metric("host round trip / device-resident",
                       times[f"{fn} host"] / times[f"{fn} device"], unit="×")
        ctx.metric(f"{key}: numba CPU / device-resident",
                   times["numba CPU out="] / times[f"{fn} device"], unit="×", goal="> 1")


def _ternary(ctx, dev, x, d_x, d_out, copy, reps):
    from pdeopt.kernels import select
    from pdeopt.kernels.prox import _on_device
    from pdeopt.quant import project_ternary
    from pdeopt.quant.project import ternary_code
    code = ternary_code(x[:100_000])  # any scale: the kernel's work does not depend on it
    args = (code.scale, code.threshold, code.levels, 1.0)
    times = {"device copy": copy,
             "ternary combine kernel": dev.event_time(
                 lambda: _on_device("combine", d_x, *args, out=d_out), reps)}
    buf = np.empty_like(x)
    combine_cpu = select("prox.quant_combine", "numba")
    times["numba CPU combine out="] = _wall_time(lambda: combine_cpu(x, *args, out=buf),
                                                 ctx.pick(5, 10))
    assert np.allclose(d_out[:1000].copy_to_host(), buf[:1000], rtol=1e-12), \
        "device ternary combine differs from numba's"
    cupy = _cupy()
    if cupy is not None:
        c_x = cupy.asarray(x)
        c_out = cupy.empty_like(c_x)
        times["project_ternary cupy (sort for the scale)"] = dev.event_time(
            lambda: project_ternary(c_x, out=c_out, backend="cuda"), ctx.pick(3, 5))
    _row(ctx, "ternary projection", f"n={x.size:.0e}", times)
    ctx.metric("ternary combine kernel, fraction of a device copy",
               copy / times["ternary combine kernel"], goal="≥ 0.8")
    ctx.metric("ternary combine: numba CPU / device", times["numba CPU combine out="]
               / times["ternary combine kernel"], unit="×", goal="> 1")


def _hj(ctx, dev):
    """One explicit HJ step by each stencil, and whole solves per step, device vs CPU."""
    from pdeopt.hj import solve_hj, solve_viscous_hj
    from pdeopt.kernels import compiled_threads, select
    # 4096² (128 MiB): a step's kernel then takes longer than its launch from Python
    side = math.isqrt(ctx.pick(1 << 18, 1 << 24))   # 512², 4096²
    grid = np.linspace(-3.0, 3.0, side)
    h = float(grid[1] - grid[0])
    f = np.cos(2 * grid)[:, None] * np.sin(3 * grid)[None, :]
    d_f = dev.to_device(f)
    d_out = dev.device_array_like(d_f)
    d_copy = dev.event_time(lambda: d_out.copy_to_device(d_f), ctx.pick(20, 50))
    slopes = [np.max(np.abs(np.diff(f, axis=a))) / h for a in (0, 1)]
    dt = 0.5 / sum(slopes)
    eps = 0.05
    steps = ctx.pick(20, 30)  # the CPU's solves dominate the group's time (≤ 40 s in all)
    buf = np.empty_like(f)
    schemes = {  # name: (kernel, its arguments after the spacings and dt; a whole solve)
        "godunov": ("hj.godunov_step_2d", (1,),
                    lambda v, b: solve_hj(v, (grid, grid), steps * dt, backend=b)),
        "eno2": ("hj.godunov_step_2d", (2,),
                 lambda v, b: solve_hj(v, (grid, grid), steps * dt, scheme="eno2", backend=b)),
        "viscous": ("hj.viscous_step_2d", (eps,),
                    lambda v, b: solve_viscous_hj(v, (grid, grid), steps * _viscous_dt(
                        slopes, h, eps), eps, backend=b)),
    }
    with compiled_threads(os.cpu_count() or 1):
        for name, (kernel, args, solve) in schemes.items():
            gpu_step, cpu_step = select(kernel, "cuda"), select(kernel, "numba")
            times = {"device copy": d_copy,
                     f"{name} stencil kernel": dev.event_time(
                         lambda: gpu_step(d_f, h, h, dt, *args, out=d_out), ctx.pick(20, 50)),
                     "numba CPU stencil out=": _wall_time(
                         lambda: cpu_step(f, h, h, dt, *args, out=buf), ctx.pick(5, 10))}
            assert np.allclose(d_out.copy_to_host(), buf, rtol=1e-12, atol=1e-12), \
                f"device {name} step differs from numba's"
            solve(d_f, "cuda")                      # compiles, warms up
            res_gpu, t_gpu = _best(lambda: solve(d_f, "cuda"), ctx.pick(2, 3))
            res_cpu, t_cpu = _best(lambda: solve(f, "numba"), 1)
            t_gpu, t_cpu = t_gpu / res_gpu.nit, t_cpu / res_cpu.nit
            assert res_gpu.nit == res_cpu.nit
            assert np.allclose(res_gpu.x.copy_to_host() if hasattr(res_gpu.x, "copy_to_host")
                               else dev.copy_to_host(res_gpu.x), res_cpu.x,
                               rtol=1e-10, atol=1e-10), f"device {name} solve differs"
            times["solve cuda, per step"] = t_gpu
            times["solve numba, per step"] = t_cpu
            _row(ctx, f"HJ {name} step", f"{side}x{side}, {res_gpu.nit} steps", times)
            ctx.metric(f"HJ {name} stencil kernel, fraction of a device copy",
                       d_copy / times[f"{name} stencil kernel"], goal="≥ 0.8")
            ctx.metric(f"HJ {name}: numba CPU / device, stencil",
                       times["numba CPU stencil out="] / times[f"{name} stencil kernel"],
                       unit="×", goal="> 1")
            ctx.metric(f"HJ {name}: numba CPU / device, whole solve per step",
                       t_cpu / t_gpu, unit="×", goal="> 1")


def _viscous_dt(slopes, h, eps):
    """The explicit viscous step's stable dt at cfl 0.5 (as solve_viscous_hj chooses it)."""
    return 0.5 * min(1.0 / (2 * eps / h**2), eps / sum(p * p for p in slopes))
