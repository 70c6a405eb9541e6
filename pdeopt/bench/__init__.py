"""Benchmarks: performance measured as ratios within one run (``pdeopt bench``).

A benchmark group is a function ``f(ctx)`` in a module of this package,
registered with :func:`benchmark` under an area's name (``hj``, ``prox``, ...).
It times each backend of a kernel, and a peer library when one is installed,
with :meth:`BenchContext.compare`; ratios are always against timings taken in
the same run, never against stored numbers. Speed is never asserted in a test.
"""
from ._harness import BenchContext, benchmark, registry, run_benchmarks, time_call

__all__ = ["BenchContext", "benchmark", "registry", "run_benchmarks", "time_call"]
