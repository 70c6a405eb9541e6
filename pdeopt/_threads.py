"""BLAS thread policy shared by the library and the validation harness."""
from __future__ import annotations

from contextlib import nullcontext

from ._checks import check_integer

__all__ = ["blas_threads_limit", "blas_single_thread"]


def blas_threads_limit(threads):
    """A context that caps the BLAS thread pools at ``threads`` (``None``: leave them).

    pdeopt's networks multiply many small matrices (a layer by a minibatch); a
    multi-threaded OpenBLAS gains little there and, on a busy machine, loses 10–30×
    to its threads waiting for cores (measured here: one validation took 489 s
    with two BLAS threads beside another busy process, 20 s with one).
    """
    if threads is None:
        return nullcontext()
    from threadpoolctl import threadpool_limits
    return threadpool_limits(limits=check_integer(threads, "blas_threads", minimum=1),
                             user_api="blas")


_CONTROLLER: list = []


def blas_single_thread():
    """A context with the BLAS pools at one thread, for work that is itself split among
    threads (a batch split across cores): ~10 µs, the controller made once per process."""
    if not _CONTROLLER:
        from threadpoolctl import ThreadpoolController
        _CONTROLLER.append(ThreadpoolController().select(user_api="blas"))
    return _CONTROLLER[0].limit(limits=1)
