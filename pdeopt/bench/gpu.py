"""``pdeopt bench gpu``: device-resident thresholding against a device copy, and the host
round trip (issue 22).

On one GPU, for n float64 (10⁸; 10⁶ with ``--quick``), timed with CUDA events around a loop
of calls (each call of the public function ends by reading back its NaN/inf count, so it
is synchronous):

``device copy``           a device-to-device copy of n doubles (the yardstick: reads n, writes n)
``soft kernel``           the numba.cuda soft-threshold kernel on device arrays, into a buffer
``soft_threshold device`` ``prox.soft_threshold(d_x, λ, out=d_out, backend="cuda")``: the public
                          function's checks, the kernel and its NaN/inf count
``soft_threshold host``   the same on host arrays: one copy in, one copy out per call
``numba CPU out=``        ``backend="numba"`` into a host buffer (all CPU cores)

and, when CuPy is installed, the public function on CuPy arrays beside CuPy's own copy.
Goal: device-resident thresholding ≥ 0.8 of a device copy's throughput. Without a GPU (or
under numba's simulator, whose timings mean nothing) the group records a note and skips.
"""
from __future__ import annotations

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


def _why_not():
    """The reason this group cannot time a GPU here, or ``""``."""
    from pdeopt.kernels import cuda_available
    ok, why = cuda_available()
    if not ok:
        return why
    if _device().simulated():
        return "numba's CUDA simulator is on (NUMBA_ENABLE_CUDASIM=1): its timings mean nothing"
    return ""


@benchmark("gpu", description="device-resident soft threshold vs a device-to-device copy, "
                              "and the host round trip (skips without a GPU)")
def bench(ctx):
    why = _why_not()
    if why:
        ctx.note(f"skipped: {why}")
        return
    from pdeopt.kernels.prox import _on_device
    dev = _device()
    event_time, device_name = dev.event_time, dev.device_name
    to_device, device_array_like = dev.to_device, dev.device_array_like
    from pdeopt.prox import soft_threshold

    ctx.note(f"device: {device_name()}")
    n = ctx.pick(1_000_000, 100_000_000)
    lam = 1.0
    x = ctx.rng.normal(scale=2.0, size=n)
    d_x = to_device(x)
    d_out = device_array_like(d_x)
    bad = to_device(np.zeros(1, np.int64))  # the kernel's NaN/inf counter, not read
    reps = ctx.pick(20, 50)
    times = {
        "device copy": event_time(lambda: d_out.copy_to_device(d_x), reps),
        "soft kernel": event_time(lambda: _on_device("soft", d_x, lam, out=d_out, bad=bad),
                                   reps),
        "soft_threshold device": event_time(
            lambda: soft_threshold(d_x, lam, out=d_out, backend="cuda"), reps),
    }
    want = soft_threshold(x[:1000], lam, backend="numpy")
    assert np.array_equal(d_out[:1000].copy_to_host(), want), "device result differs"
    few = ctx.pick(3, 3)
    times["soft_threshold host"] = _wall_time(
        lambda: soft_threshold(x, lam, backend="cuda"), few)
    buf = np.empty_like(x)
    times["numba CPU out="] = _wall_time(
        lambda: soft_threshold(x, lam, out=buf, backend="numba"), ctx.pick(5, 10))
    try:
        import cupy
    except ImportError:
        ctx.note("CuPy is not installed: the CuPy rows are left out")
    else:
        c_x = cupy.asarray(x)
        c_out = cupy.empty_like(c_x)
        times["cupy copy"] = event_time(lambda: c_out.__setitem__(Ellipsis, c_x), reps)
        times["soft_threshold cupy"] = event_time(
            lambda: soft_threshold(c_x, lam, out=c_out, backend="cuda"), reps)
    row = {"group": ctx.name, "kernel": "soft threshold", "size": f"n={n:.0e}",
           "baseline": "device copy", "seconds": times,
           "speedup": {k: times["device copy"] / t for k, t in times.items()}}
    # every candidate reads n doubles and writes n, as the copy does
    row["fraction_of_copy"] = dict(row["speedup"])
    ctx.rows.append(row)
    for k, t in times.items():
        ctx.metric(f"{k}, ms per call", t * 1e3, unit="ms")
    frac = row["fraction_of_copy"]
    ctx.metric("soft kernel, fraction of a device copy", frac["soft kernel"], goal="≥ 0.8")
    ctx.metric("soft_threshold device, fraction of a device copy",
               frac["soft_threshold device"], goal="≥ 0.8")
    if "soft_threshold cupy" in times:
        ctx.metric("soft_threshold cupy, fraction of a CuPy copy",
                   times["cupy copy"] / times["soft_threshold cupy"], goal="≥ 0.8")
    ctx.metric("host round trip / device-resident", times["soft_threshold host"]
               / times["soft_threshold device"], unit="×")
    ctx.metric("numba CPU / device-resident", times["numba CPU out="]
               / times["soft_threshold device"], unit="×", goal="> 1")
