"""``pdeopt bench gpu-phase``: phase retrieval iterations on the GPU against their cuFFTs and
against numba on all CPU cores (issue 22, part 2).

On one GPU with CuPy, for N² = 512² and 1024² (512² only with ``--quick``) in complex128 and
complex64, timed with CUDA events (CuPy's) around a loop of iterations on device arrays:

``HIO``, ``OSS``, ``PDHG``   one iteration of the device path (the fused numba.cuda sweeps,
                             cuFFT through CuPy), as ``phase.hio`` etc. run it
``2 FFTs`` / ``4 FFTs``      the iteration's transforms alone (real-input pairs for HIO/OSS,
                             a complex pair for PDHG): goal iteration ≤ 1.3× its FFTs
``HIO (xp fallback)``        the same HIO step with the NumPy twins dispatched to CuPy (what
                             runs where numba.cuda cannot): what the fused sweeps save (512²
                             complex128 only: CuPy compiles each of its kernels on first use)
``numba CPU``                the same iteration on the host (numba sweeps, ``scipy.fft`` on all
                             cores): goal GPU faster end to end (> 1)

Then, per size, a whole ``hio`` call from host arrays with ``backend="cuda"`` against the same
on the CPU (end to end: the moves and the R-factor every 10th iteration included), and
``reconstruct_many`` of 100 runs batched on the GPU (one stack, 64² vesicle, as the phase
statistics experiments) against one run on the CPU: reconstructions per second. Without a GPU,
CuPy, or under numba's simulator the group records a note and skips.
"""
from __future__ import annotations

import time

import numpy as np

from pdeopt.bench._harness import benchmark
from pdeopt.bench.gpu import _wall_time, _why_not, cupy_or_skip, cupy_time

#: The host FFT of the numba CPU comparison: ``scipy.fft`` on all cores. Planned FFTW
#: (``pdeopt bench phase``) is faster on the CPU, but measuring its plans at 1024² on many
#: threads takes longer than this group's 40 s.
CPU_FFT = "scipy"


def _timer(cupy):
    """``seconds(fn, reps)``: CUDA-event time per call (bench.gpu.cupy_time)."""
    return lambda fn, reps: cupy_time(cupy, fn, reps)


def _steps(p, rng_seed=0):
    """One HIO, OSS and PDHG (DR3) iteration on problem ``p`` and their FFT pairs, as
    callables advancing their own state (on the problem's side: host or device)."""
    from pdeopt.phase._common import initial_fourier, initial_object
    from pdeopt.phase.fourier import frequency_radius
    from pdeopt.phase.primal_dual import pdhg_step, smoothing_grids, stage_filters
    from pdeopt.phase.projections import projection_step

    xp, k = p.xp, p.kernels
    u0 = initial_object(p, None, np.random.default_rng(rng_seed))
    z0 = initial_fourier(p, None, np.random.default_rng(rng_seed))
    u, x, uo, xo = u0.copy(), p.empty(complex=False), u0.copy(), p.empty(complex=False)
    ext, outside = p.zeros(complex=False), ~p.support
    half = p.shape[1] // 2 + 1
    filt = xp.ascontiguousarray((xp.exp(-0.5 * (p.asarray(frequency_radius(p.shape))
                                                / p.shape[0]) ** 2)
                                 * p.space_scale).astype(p.dtype)[:, :half])
    shape, xi2, rho2 = smoothing_grids(p.shape, p.support, "dr3")
    h, weight = stage_filters((shape, p.asarray(xi2), p.asarray(rho2)), 0.1, 1.0, xp)
    h, weight = h.astype(p.dtype), weight.astype(p.dtype)
    z, xd = z0.copy(), p.empty(complex=False)
    box = {"yh": p.zeros(), "h": None}
    ur, zc = u0.copy(), z0.copy()

    def hio():
        projection_step(p, u, x, 0.9, False)

    def oss():
        projection_step(p, uo, xo, 0.9, False)
        ext[...] = 0
        xp.copyto(ext, uo, where=outside)
        v = p.rfft(ext)
        k["multiply"](v, filt)
        k["replace_outside"](uo, p.irfft(v, overwrite=True), p.support)

    def pdhg():
        box["yh"] = pdhg_step(p, z, box["yh"], xd, weight, 1.0, 1.0, 0.1, box["h"])
        box["h"] = h

    def real_pair():
        p.irfft(p.rfft(ur), overwrite=True)

    def four():
        real_pair()
        real_pair()

    def complex_pair():
        p.ifft(p.fft(zc, out=zc), overwrite=True)
    return {"HIO": (hio, real_pair, 2), "OSS": (oss, four, 4), "PDHG": (pdhg, complex_pair, 2)}


@benchmark("gpu-phase", description="phase retrieval on the GPU: one HIO, OSS and PDHG "
                                    "iteration vs its cuFFTs and vs numba on all CPU cores "
                                    "(512², 1024²; complex128, complex64); reconstruct_many "
                                    "of 100 runs batched (skips without a GPU and CuPy)")
def bench(ctx):
    cupy = cupy_or_skip(ctx, _why_not)
    if cupy is None:
        return
    from pdeopt.phase import simulate, vesicle
    from pdeopt.phase._common import prepare
    seconds = _timer(cupy)
    reps, cpu_reps = ctx.pick(20, 50), ctx.pick(3, 5)
    sizes = ctx.pick([512], [512, 1024])
    for n in sizes:
        obj = vesicle(n, oversampling=2.0)
        m64 = simulate(obj.object)
        for real in (np.float64, np.float32):
            m = m64.astype(real)
            gpu = prepare(cupy.asarray(m), cupy.asarray(obj.support), 1, fft="auto")
            cpu = prepare(m, obj.support, 1, fft=CPU_FFT, workers=-1)
            cname = np.dtype(gpu.complex_dtype).name
            times = {}
            for (name, (step, ffts, n_ffts)), (_, (cpu_step, _, _)) in zip(
                    _steps(gpu).items(), _steps(cpu).items()):
                t, t_fft = seconds(step, reps), seconds(ffts, reps)
                t_cpu = _wall_time(cpu_step, cpu_reps)
                times.update({name: t, f"{name}: {n_ffts} FFTs": t_fft,
                              f"{name}: numba CPU": t_cpu})
                ctx.metric(f"{name} {n}² {cname}: GPU iteration / its {n_ffts} cuFFTs",
                           t / t_fft, goal="≤ 1.3×")
                ctx.metric(f"{name} {n}² {cname}: numba on all CPU cores / GPU", t_cpu / t,
                           unit="×", goal="> 1")
            if n == sizes[0] and real is np.float64:
                fallback = prepare(cupy.asarray(m), cupy.asarray(obj.support), 1, fft="auto")
                fallback.kernels = _twins(fallback.kernels)
                times["HIO (xp fallback)"] = seconds(_steps(fallback)["HIO"][0], reps)
                ctx.metric(f"HIO {n}² {cname}: xp fallback / fused numba.cuda sweeps",
                           times["HIO (xp fallback)"] / times["HIO"], unit="×")
            ctx.rows.append({"group": ctx.name, "kernel": "phase iteration",
                             "size": f"{n}x{n} {cname}", "seconds": times})
            for name, t in times.items():
                ctx.metric(f"{name} {n}² {cname}, ms", t * 1e3, unit="ms")
            del gpu, cpu
            if hasattr(cupy, "get_default_memory_pool"):    # 1024² stacks are large
                cupy.get_default_memory_pool().free_all_blocks()
        _end_to_end(ctx, cupy, m64, obj.support, n)
    _batched(ctx, cupy)


def _end_to_end(ctx, cupy, m, support, n):
    """A whole ``phase.hio`` call from host arrays: ``backend="cuda"`` (moves, compilation
    done, the R-factor every 10th iteration) against numba on the CPU cores."""
    from pdeopt.phase import hio
    n_iter = ctx.pick(20, 100)
    hio(m, support, 2, rng=0, backend="cuda")                    # plans, kernels
    t0 = time.perf_counter()
    hio(m, support, n_iter, rng=0, backend="cuda", monitor_every=10)
    t_gpu = time.perf_counter() - t0
    t0 = time.perf_counter()
    hio(m, support, n_iter, rng=0, monitor_every=10, workers=-1, fft=CPU_FFT)
    t_cpu = time.perf_counter() - t0
    ctx.metric(f"hio({n}² host arrays, {n_iter} iterations) end to end: numba CPU / "
               f"backend='cuda'", t_cpu / t_gpu, unit="×", goal="> 1")


def _twins(kernels):
    from pdeopt.kernels import select
    return {name: select(f"phase.{name}", "numpy") for name in kernels}


def _batched(ctx, cupy):
    """reconstruct_many of 100 OSS and PDHG runs as one stack, against one CPU run."""
    from pdeopt.phase import oss, pdhg, reconstruct_many, simulate, vesicle
    obj = vesicle(64, oversampling=2.0)
    m = simulate(obj.object, noise="poisson", flux=1e8, rng=0)
    n_iter, n_runs = ctx.pick((200, 100), (1000, 100))
    d_m, d_s = cupy.asarray(m), cupy.asarray(obj.support)
    for name, algorithm in (("OSS", oss), ("PDHG", pdhg)):
        reconstruct_many(algorithm, d_m, d_s, 5, n_runs, rng=0)       # compile, plan
        cupy.cuda.Device().synchronize()
        t0 = time.perf_counter()
        runs = reconstruct_many(algorithm, d_m, d_s, n_iter, n_runs, rng=1,
                                monitor_every=10)
        cupy.cuda.Device().synchronize()
        t_gpu = time.perf_counter() - t0
        t0 = time.perf_counter()
        algorithm(m, obj.support, n_iter, rng=1, monitor_every=10, workers=1, fft=CPU_FFT)
        t_cpu = time.perf_counter() - t0
        best = float(np.median([r.info["best_r_factor"] for r in runs]))
        ctx.metric(f"{name} 64²: {n_runs} runs × {n_iter} iterations batched on the GPU, s",
                   t_gpu, unit="s")
        ctx.metric(f"{name} 64²: GPU batched reconstructions/s", n_runs / t_gpu, unit="1/s")
        ctx.metric(f"{name} 64²: GPU batched / one CPU process, reconstructions/s",
                   (n_runs / t_gpu) * t_cpu, unit="×")
        ctx.metric(f"{name} 64²: median best R-factor of the batch", best)
