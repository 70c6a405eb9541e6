"""``pdeopt bench phase``: one HIO, OSS and PDHG iteration against its FFTs and NumPy.

The iterations are timed as the solvers run them between recorded iterations (no estimate
x = P_X(u′), no R-factor: ``monitor_every`` > 1), each beside a lower bound (its FFTs with
the least bytes the iteration moves between them, no other arithmetic); a whole call of
``phase.hio`` is timed too at 512², per iteration, with the R-factor recorded every
iteration (the default ``monitor_every=1``: the estimate and one more FFT each) and every
tenth.

The FFTs are those of the backend in use (``fft="auto"``: planned FFTW when pyFFTW is
installed, else ``scipy.fft``), in complex128 and complex64 (float32 magnitudes); the
peer is a tight NumPy HIO (``scipy.fft`` and in-place array operations) in the same
precision.
"""
from __future__ import annotations

import time

import numpy as np

from ._harness import benchmark

#: Timing rounds per candidate: FFT times on a shared 2-core machine vary ±30 % between
#: rounds, and the iteration / two-FFT ratios sit near their goal.
ROUNDS = 21


def _tight_numpy_hio(m, support, beta, workers):
    """A tight NumPy HIO iteration (real object, non-negative in D): ``scipy.fft`` with the
    same threads, in-place array operations, in the precision of ``m``; what a user would
    write with care. Returns ``step()``, which advances its own iterate."""
    import scipy.fft as sfft
    tiny = np.finfo(m.dtype).tiny
    state = {"u": np.zeros(m.shape, m.dtype), "tmp": np.empty(m.shape, m.dtype),
             "good": np.empty(m.shape, bool)}

    def step():
        u, tmp, good = state["u"], state["tmp"], state["good"]
        z = sfft.fft2(u, norm="ortho", workers=workers)
        a = np.abs(z)
        np.maximum(a, tiny, out=a)
        np.divide(m, a, out=a)
        z *= a                                            # z ← M·z/|z|
        up = sfft.ifft2(z, norm="ortho", overwrite_x=True, workers=workers).real
        np.greater_equal(up, 0, out=good)
        good &= support
        np.multiply(up, -beta, out=tmp)
        tmp += u                                          # u − β·u′
        np.copyto(tmp, up, where=good)                    # u′ on the good pixels
        state["u"], state["tmp"] = tmp, u
        return tmp
    return state, step


def _ratio(ctx, title, n, size, candidates, floor, n_ffts):
    """Time an iteration against its FFTs (the two alone in their interleaved rounds)."""
    row = ctx.compare(title, candidates, baseline=floor, size=size, repeat=ROUNDS)
    label = next(k for k in candidates if k != floor)
    t = row["seconds"]
    ctx.metric(f"{label} {n}² {size.split()[1]}: iteration / its {n_ffts} FFTs",
               t[label] / t[floor], goal="≤ 1.15×")
    if "lower bound" in t:
        ctx.metric(f"{label} {n}² {size.split()[1]}: lower bound / its {n_ffts} FFTs",
                   t["lower bound"] / t[floor])
    return t[label]


@benchmark("phase", description="phase retrieval: one HIO, OSS and PDHG (DR3) iteration vs "
                                "its FFTs with the backend in use (complex128 and complex64), "
                                "vs a tight NumPy HIO; reconstructions/s")
def bench(ctx):
    from pdeopt.phase import hio, oss, pdhg, reconstruct_many, simulate, vesicle
    from pdeopt.phase._common import initial_fourier, initial_object, prepare
    from pdeopt.phase.fft_backends import check_fft
    from pdeopt.phase.fourier import frequency_radius
    from pdeopt.phase.primal_dual import pdhg_step, smoothing_filters
    from pdeopt.phase.projections import projection_step

    fft = check_fft("auto")
    ctx.note(f"FFT backend in use: {fft}" + ("" if fft == "pyfftw" else
                                            " (pip install pyfftw for planned FFTW)"))
    for n in ctx.pick([64, 128], [256, 512, 1024]):
        obj = vesicle(n, oversampling=2.0)
        m64 = simulate(obj.object)
        for real in (np.float64, np.float32):
            m = m64.astype(real)
            p = prepare(m, obj.support, 1, fft=fft)        # numba kernels
            cname = np.dtype(p.complex_dtype).name
            size = f"{n}x{n} {cname} (fft={p.ffts.name}, workers={p.workers})"
            u0 = initial_object(p, None, np.random.default_rng(0))
            z0 = initial_fourier(p, None, np.random.default_rng(0))
            # the FFT calls exactly as the iterations make them: HIO/OSS take a real
            # iterate to its half spectrum and back (real-input FFTs); PDHG's are complex,
            # in place
            ur, zc = u0.copy(), p.empty()
            zc[...] = z0

            def real_pair():
                p.irfft(p.rfft(ur), overwrite=True)

            def complex_pair():
                p.ifft(p.fft(zc, out=zc), overwrite=True)

            u, x = u0.copy(), p.empty(complex=False)

            def hio_step():     # an iteration between recorded ones: no estimate x
                projection_step(p, u, x, 0.9, False, estimate=False)

            # what no implementation of the sweeps goes below on this machine: the two FFTs
            # with the least bytes an iteration moves between them (z ← z·w, u ← u′), no
            # other arithmetic; its ratio is the part of the 1.15× that the FFTs' cache
            # misses and these bytes take
            ub = u0.copy()
            # a weight that undoes the FFT pair's gain, so that the iterate stays put
            gain = float(np.sum(p.irfft(p.rfft(u0.copy()), overwrite=True) * u0)
                         / np.sum(u0 * u0))
            weight = np.full(p.half.magnitudes.shape, 1.0 / gain, p.dtype)

            def bound_step():
                zb = p.rfft(ub)
                p.kernels["multiply"](zb, weight)
                np.copyto(ub, p.irfft(zb, overwrite=True))
            t_hio = _ratio(ctx, "HIO iteration vs its two FFTs", n, size,
                           {"HIO": hio_step, "2 FFTs": real_pair, "lower bound": bound_step},
                           "2 FFTs", 2)

            # OSS: an HIO step, then the exterior's Gaussian smoothing (two more FFTs)
            filt = np.ascontiguousarray((np.exp(-0.5 * (frequency_radius(p.shape) / n) ** 2)
                                         * p.space_scale).astype(p.dtype)[:, :n // 2 + 1])
            uo, xo, ext = u0.copy(), p.empty(complex=False), p.zeros(complex=False)

            def oss_step():     # as phase.oss iterates between recorded iterations
                projection_step(p, uo, xo, 0.9, False, estimate=False, exterior=ext)
                v = p.rfft(ext)
                p.kernels["multiply"](v, filt)
                p.kernels["replace_outside"](uo, p.irfft(v, overwrite=True), p.support)

            def four_ffts():
                real_pair()
                real_pair()

            # OSS's least bytes: the HIO bound's with ext ← u′ for u ← u′, then the
            # smoothing's two FFTs with v ← v·w between them, and u ← the smoothed exterior
            ext_b = u0.copy()

            def oss_bound_step():
                zb = p.rfft(ub)
                p.kernels["multiply"](zb, weight)
                np.copyto(ext_b, p.irfft(zb, overwrite=True))
                vb = p.rfft(ext_b)
                p.kernels["multiply"](vb, weight)
                np.copyto(ub, p.irfft(vb, overwrite=True))
            _ratio(ctx, "OSS iteration vs its four FFTs", n, size,
                   {"OSS": oss_step, "4 FFTs": four_ffts, "lower bound": oss_bound_step},
                   "4 FFTs", 4)

            # PDHG (DR3): F y kept in Fourier space, two complex FFTs
            h, weight = smoothing_filters(p.shape, p.support, 0.1, 1.0, "dr3")
            h, weight = h.astype(p.dtype), weight.astype(p.dtype)
            z, yh, xp = z0.copy(), p.zeros(), p.empty(complex=False)
            box = {"yh": yh, "h": None}

            def pdhg_iteration():   # between recorded iterations: no estimate x
                box["yh"] = pdhg_step(p, z, box["yh"], xp, weight, 1.0, 1.0, 0.1, box["h"],
                                      estimate=False)
                box["h"] = h

            # PDHG's least bytes: z and F y read and written and one real array read (z ← z·1
            # for M; ŷ ← c²·ŷ, which undoes the FFT pair's gain) before the inverse FFT, d
            # read and written (d ← d·1) after it; not the DR1 filter and DR2 weight that
            # DR3 reads too
            zb, bound_box = z0.copy(), {"yh": p.empty()}
            bound_box["yh"][...] = z0
            unit = np.ones(p.shape, p.dtype)
            undo = p.dtype.type(p.space_scale)     # c²: 1/N for FFTW, 1 for a unitary FFT

            def pdhg_bound_step():
                p.kernels["multiply"](zb, unit)
                yb = bound_box["yh"]
                np.multiply(yb, undo, out=yb)
                d = p.ifft(yb, overwrite=True)
                np.multiply(d, p.dtype.type(1.0), out=d)
                bound_box["yh"] = p.fft(d, out=d)
            _ratio(ctx, "PDHG iteration (DR3) vs its two FFTs", n, size,
                   {"PDHG": pdhg_iteration, "2 FFTs": complex_pair,
                    "lower bound": pdhg_bound_step}, "2 FFTs", 2)

            # the tight NumPy HIO in the same precision; pdeopt's speed-up over it
            state, numpy_step = _tight_numpy_hio(p.magnitudes * real(p.ffts.scale),
                                                 p.support, 0.9, p.workers)
            state["u"][...] = u0
            row = ctx.compare("HIO iteration vs a tight NumPy HIO",
                              {"numpy (tight)": numpy_step, "pdeopt": hio_step},
                              baseline="numpy (tight)", size=size, repeat=ROUNDS)
            goal = "≥ 1.6× (with pyFFTW)" if fft == "pyfftw" and n >= 512 else ""
            ctx.metric(f"HIO {n}² {cname}: speed-up over a tight NumPy HIO",
                       row["speedup"]["pdeopt"], goal=goal)
            # a whole call of phase.hio, per iteration: beside the iteration above, the
            # R-factor of the estimate at each recorded iteration (monitor_every) is one more
            # FFT and a sweep; the Result's history has a row per recorded iteration
            if n == ctx.pick(64, 512):
                k = ctx.pick(5, 40)
                for every in (1, 10):
                    row = ctx.compare(
                        f"phase.hio per iteration, monitor_every={every}",
                        {"hio()": lambda every=every: hio(m, obj.support, k, rng=0, fft=fft,
                                                          monitor_every=every),
                         f"{k}x2 FFTs": lambda: [real_pair() for _ in range(k)]},
                        baseline=f"{k}x2 FFTs", size=size, repeat=ctx.pick(2, 7))
                    sec = row["seconds"]
                    ctx.metric(f"phase.hio {n}² {cname}, monitor_every={every}: per iteration"
                               f" / 2 FFTs", sec["hio()"] / sec[f"{k}x2 FFTs"])
            del t_hio

    # The statistics experiment's throughput: 64² vesicle reconstructions, in this process
    # and in two worker processes (reconstruct_many's default on two cores).
    obj = vesicle(64, oversampling=2.0)
    m = simulate(obj.object, noise="poisson", flux=1e8, rng=0)
    n_iter, n_runs = ctx.pick((100, 2), (1000, 8))
    for name, algorithm in (("PDHG", pdhg), ("OSS", oss)):
        rate = {}
        for n_jobs in (1, 2):
            reconstruct_many(algorithm, m, obj.support, 5, 2, n_jobs=n_jobs)   # start, warm up
            t0 = time.perf_counter()
            reconstruct_many(algorithm, m, obj.support, n_iter, n_runs, n_jobs=n_jobs)
            rate[n_jobs] = n_runs / (time.perf_counter() - t0)
        ctx.metric(f"{name} 64² reconstructions/s ({n_iter} iterations, 2 processes)",
                   rate[2], unit="1/s")
        ctx.metric(f"{name}: 2 processes / 1", rate[2] / rate[1], goal="≈ 2× on 2 cores")
