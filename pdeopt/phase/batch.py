"""Many independent reconstructions at once, on all cores (threads: the FFTs and kernels
release the GIL)."""
from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from .._checks import check_integer
from ..kernels import kernel_names

__all__ = ["reconstruct_many"]


def reconstruct_many(algorithm, magnitudes, support, n_iter, n_runs, *, seed=0, threads=None,
                     **params):
    """Run ``algorithm`` ``n_runs`` times from independent random starts.

    Run i draws its start from ``numpy.random.default_rng(SeedSequence(seed).spawn(n)[i])``
    so the results do not depend on ``threads``. Each run uses one FFT thread; the
    runs are spread over ``threads`` threads (default: all cores).

    Returns
    -------
    list of pdeopt.Result
        In run order.
    """
    n_runs = check_integer(n_runs, "n_runs", minimum=1)
    if threads is None:
        threads = os.cpu_count() or 1
    threads = check_integer(threads, "threads", minimum=1)
    seeds = np.random.SeedSequence(seed).spawn(n_runs)
    params.setdefault("workers", 1)
    # the kernel registry loads lazily and not thread-safely: load it before the threads start
    kernel_names()

    def one(i):
        return algorithm(magnitudes, support, n_iter, rng=np.random.default_rng(seeds[i]),
                         **params)

    if threads == 1 or n_runs == 1:
        return [one(i) for i in range(n_runs)]
    with ThreadPoolExecutor(max_workers=threads) as pool:
        return list(pool.map(one, range(n_runs)))
