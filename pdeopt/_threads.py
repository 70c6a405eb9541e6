"""BLAS thread policy shared by the library and the validation harness."""
from __future__ import annotations

from contextlib import nullcontext

from ._checks import check_integer

__all__ = ["blas_threads_limit"]


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
