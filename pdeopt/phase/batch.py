"""Many independent reconstructions at once, one per core.

The runs go to worker processes, not threads: about half of a small (64²)
iteration is Python and ``scipy.fft`` dispatch that holds the GIL, so threads
gave no speed-up on two cores, while processes share nothing and scale.
"""
from __future__ import annotations

import atexit
import multiprocessing
import os
import warnings
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool

import numpy as np

from .._checks import check_choice, check_integer

__all__ = ["reconstruct_many"]


def _one_run(algorithm, magnitudes, support, n_iter, seed, params):
    return algorithm(magnitudes, support, n_iter, rng=np.random.default_rng(seed), **params)


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


def reconstruct_many(algorithm, magnitudes, support, n_iter, n_runs, *, seed=0, n_jobs=None,
                     executor="process", **params):
    """Run ``algorithm`` ``n_runs`` times from independent random starts.

    Run i draws its start from ``numpy.random.default_rng(SeedSequence(seed).spawn(n)[i])``,
    so the results do not depend on ``n_jobs`` or ``executor``. Each run uses one FFT
    thread (``workers=1`` unless given).

    Parameters
    ----------
    algorithm : callable
        A module-level reconstruction function (:func:`hio`, :func:`oss`,
        :func:`pdhg`, ...): worker processes receive it by reference. Worker
        processes import the calling script, so a script must keep its work under
        ``if __name__ == "__main__":`` (else a RuntimeError says so).
    magnitudes, support, n_iter
        As for ``algorithm``.
    n_runs : int
        Number of independent runs.
    seed : int
        Seed of the runs' seed sequence.
    n_jobs : int, optional
        Runs at a time (default: the number of cores); 1 runs them here, in order.
    executor : {"process", "thread"}
        Worker processes (default: they scale with the cores) or threads.
    **params
        Passed to ``algorithm``.

    Returns
    -------
    list of pdeopt.Result
        In run order. If interrupted (Ctrl-C), the runs that had finished, in run
        order, with a warning naming how many.
    """
    n_runs = check_integer(n_runs, "n_runs", minimum=1)
    if n_jobs is None:
        n_jobs = os.cpu_count() or 1
    n_jobs = min(check_integer(n_jobs, "n_jobs", minimum=1), n_runs)
    executor = check_choice(executor, "executor", ("process", "thread"))
    seeds = np.random.SeedSequence(seed).spawn(n_runs)
    params.setdefault("workers", 1)
    args = (algorithm, magnitudes, support, n_iter)
    if n_jobs == 1:
        done = {}
        try:
            for i in range(n_runs):
                done[i] = _one_run(*args, seeds[i], params)
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


def _partial(done, n_runs):
    warnings.warn(f"reconstruct_many interrupted: returning the {len(done)} of {n_runs} runs "
                  f"that finished", RuntimeWarning, stacklevel=3)
    return [done[i] for i in sorted(done)]
