"""Many independent reconstructions at once, one per core, or all together on one GPU.

On the CPU the runs go to worker processes, not threads: about half of a small (64²)
iteration is Python and ``scipy.fft`` dispatch that holds the GIL, so threads
gave no speed-up on two cores, while processes share nothing and scale. On the GPU
(``backend="cuda"`` or CuPy magnitudes) the runs of pdeopt's own algorithms are one stack
(n_runs, N₀, N₁) iterated in lockstep: one batched 2-D FFT and one sweep per step for all
of them.
"""
from __future__ import annotations

import atexit
import multiprocessing
import os
import warnings
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool

import numpy as np

from .._checks import as_rng, check_callable, check_choice, check_integer
from .._errors import DivergenceError
from .._xp import namespace
from ._common import RunBatch, run_namespace
from .fft_backends import check_fft
from .forward import check_magnitudes, check_support

__all__ = ["reconstruct_many"]


def _one_run(algorithm, magnitudes, support, max_iter, seed, params):
    res = algorithm(magnitudes, support, max_iter, rng=np.random.default_rng(seed), **params)
    x = getattr(res, "x", res)
    xp = namespace(x)
    if x is not None and not bool(xp.all(xp.isfinite(xp.asarray(x)))):
        # pdeopt's algorithms raise DivergenceError themselves; a user's may not
        raise DivergenceError(f"reconstruct_many: algorithm {getattr(algorithm, '__name__', '')!r}"
                              f" returned NaN or inf for the run seeded {seed}",
                              res if hasattr(res, "history") else None)
    return res


def _seed_sequence(rng):
    """The runs' root SeedSequence: from an integer seed, None (fresh entropy) or a Generator."""
    if rng is None or isinstance(rng, (np.random.Generator, np.random.BitGenerator)):
        # a Generator gives its own draws, so two calls with one Generator differ
        return np.random.SeedSequence(as_rng(rng).integers(0, 2 ** 63, size=4).tolist())
    as_rng(rng)                 # a TypeError / ValueError naming rng for a bad seed
    if isinstance(rng, np.random.SeedSequence):
        return rng
    return np.random.SeedSequence(int(rng))


_POOLS = {}


def _executor(kind, n_jobs):
    """A pool of ``n_jobs`` workers, kept for later calls (starting processes takes seconds)."""
    key = (kind, n_jobs)
    if key not in _POOLS:
        if kind == "thread":
            from ..kernels import kernel_names
            kernel_names()      # load the kernel registry before the threads start
            _POOLS[key] = ThreadPoolExecutor(max_workers=n_jobs)
        else:
            # "spawn": a fresh interpreter per worker (forking a process that holds numba's
            # and the FFT's thread pools can deadlock); numba's disk cache keeps it short
            _POOLS[key] = ProcessPoolExecutor(max_workers=n_jobs,
                                              mp_context=multiprocessing.get_context("spawn"))
    return _POOLS[key]


def _shutdown_pools():
    for pool in _POOLS.values():
        pool.shutdown(wait=False, cancel_futures=True)
    _POOLS.clear()


atexit.register(_shutdown_pools)


def reconstruct_many(algorithm, magnitudes, support, max_iter, n_runs, *, rng=None,
                     n_jobs=None, executor="process", **params):
    """Run ``algorithm`` ``n_runs`` times from independent random starts.

    Run i draws its start from ``numpy.random.default_rng(SeedSequence(rng).spawn(n)[i])``,
    so the results do not depend on ``n_jobs`` or ``executor``. Each run uses one FFT
    thread (``workers=1`` unless given).

    On the GPU (``backend="cuda"`` in ``params``, or CuPy magnitudes) the runs of
    :func:`error_reduction`, :func:`hio`, :func:`oss` and :func:`pdhg` are batched: one
    stack of shape (n_runs, N₀, N₁) iterated in lockstep, one batched 2-D cuFFT per
    transform, from the same random starts as on the CPU (so run i agrees with the CPU's run
    i to rounding). Each run keeps its own R-factors, best state, stopping test and callback
    (``it.x`` its own estimate); one that stops early keeps what it had then. ``n_jobs`` and
    ``executor`` are not used there; another ``algorithm`` runs its runs one after the other.

    Parameters
    ----------
    algorithm : callable
        A module-level reconstruction function (:func:`hio`, :func:`oss`,
        :func:`pdhg`, ...): worker processes receive it by reference. Worker
        processes import the calling script, so a script must keep its work under
        ``if __name__ == "__main__":`` (else a RuntimeError says so).
    magnitudes, support, max_iter
        As for ``algorithm``.
    n_runs : int
        Number of independent runs (≥ 1).
    rng : None, int or numpy.random.Generator
        The root of the runs' seed sequence: an integer seed reproduces the runs,
        a Generator gives draws of its own, None fresh entropy.
    n_jobs : int, optional
        Runs at a time (default: the number of cores); 1 runs them here, in order.
    executor : {"process", "thread"}
        Worker processes (default: they scale with the cores) or threads.
    **params
        Passed to ``algorithm`` (``tol``, ``callback``, ``fft``, ``backend``, ...; a callback
        must be picklable for worker processes). ``fft`` (the FFT backend: ``"auto"``,
        ``"scipy"``, ``"pyfftw"``, ``"numpy"``, or ``"cupy"`` on the GPU) is checked here,
        before any run starts; each worker process plans its own FFTW transforms (or loads
        the wisdom file named by ``PDEOPT_FFTW_WISDOM``).

    Returns
    -------
    list of pdeopt.Result
        In run order (``x`` of the magnitudes' kind: CuPy for CuPy). If interrupted
        (Ctrl-C), the runs that had returned, in run order, with a warning naming how many:
        the finished ones, and those cut short, marked ``status=3`` (``nit`` counts their
        finished iterations); the runs not started are left out (on the GPU every run is
        returned: those still going marked ``status=3``).

    Examples
    --------
    >>> from pdeopt import phase
    >>> truth = phase.nanorice(32, variant=2)
    >>> data = phase.simulate(truth.object)
    >>> runs = phase.reconstruct_many(phase.hio, data, truth.support, 20, 3, rng=7, n_jobs=1)
    >>> [run.nit for run in runs], all(run.success for run in runs)
    ([20, 20, 20], True)
    """
    check_callable(algorithm, "algorithm")
    device = run_namespace(magnitudes, params.get("backend", "auto")) is not np
    if not device:
        m = check_magnitudes(magnitudes)
        check_support(support, m.shape, warn=False)
    max_iter = check_integer(max_iter, "max_iter", minimum=1)
    n_runs = check_integer(n_runs, "n_runs", minimum=1)
    if n_jobs is None:
        n_jobs = os.cpu_count() or 1
    n_jobs = min(check_integer(n_jobs, "n_jobs", minimum=1), n_runs)
    if not isinstance(executor, str):
        raise TypeError(f"executor must be 'process' or 'thread', got {type(executor).__name__}")
    executor = check_choice(executor, "executor", ("process", "thread"))
    seeds = _seed_sequence(rng).spawn(n_runs)
    params.setdefault("workers", 1)
    if "fft" in params:
        check_fft(params["fft"], device)   # a bad value or a missing pyFFTW: refused once, here
    if device and _batched(algorithm):
        return algorithm(magnitudes, support, max_iter,
                         rng=RunBatch(np.random.default_rng(s) for s in seeds), **params)
    args = (algorithm, magnitudes, support, max_iter)
    if n_jobs == 1 or device:           # one GPU: the runs one after the other
        done = {}
        try:
            for i in range(n_runs):
                done[i] = _one_run(*args, seeds[i], params)
                if done[i].status == 3:     # the run caught the interrupt: stop here
                    return _partial(done, n_runs)
        except KeyboardInterrupt:
            return _partial(done, n_runs)
        return [done[i] for i in range(n_runs)]
    pool = _executor(executor, n_jobs)
    futures = [pool.submit(_one_run, *args, seeds[i], params) for i in range(n_runs)]
    try:
        return [f.result() for f in futures]
    except BrokenProcessPool as err:
        _shutdown_pools()
        raise RuntimeError(
            "reconstruct_many: the worker processes could not start. A script that calls it "
            "at top level must guard its body with `if __name__ == '__main__':` (worker "
            "processes import the main module), or pass executor='thread'") from err
    except KeyboardInterrupt:
        for f in futures:
            f.cancel()
        done = {i: f.result() for i, f in enumerate(futures)
                if f.done() and not f.cancelled() and f.exception() is None}
        _shutdown_pools()       # its workers got the interrupt too
        return _partial(done, n_runs)


def _batched(algorithm) -> bool:
    """Whether ``algorithm`` is one of pdeopt's, which iterate a stack of runs on the GPU."""
    from .primal_dual import pdhg
    from .projections import error_reduction, hio, oss
    return algorithm in (error_reduction, hio, oss, pdhg)


def _partial(done, n_runs):
    cut = [i for i in done if done[i].status == 3]
    warnings.warn(f"reconstruct_many interrupted: returning the {len(done) - len(cut)} of "
                  f"{n_runs} runs that finished and {len(cut)} cut short (status 3)",
                  RuntimeWarning, stacklevel=3)
    return [done[i] for i in sorted(done)]
