"""Timing harness for ``pdeopt bench``."""
from __future__ import annotations

import importlib
import json
import os
import pkgutil
import time
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from .._io import Heartbeat, atomic_write, fit

__all__ = ["benchmark", "registry", "BenchContext", "time_call", "time_calls",
           "run_benchmarks"]


#: The label of the reference NumPy copy among the timed calls of ``compare``.
_COPY = "(numpy copy)"


@dataclass(frozen=True)
class Benchmark:
    name: str
    func: Callable
    description: str


_REGISTRY: dict[str, Benchmark] = {}


def benchmark(name: str, *, description: str):
    """Register ``func(ctx)`` as the benchmark group ``name`` (an area: ``hj``, ``prox``...)."""
    def deco(func):
        _REGISTRY[name] = Benchmark(name, func, description)
        return func
    return deco


def registry() -> dict[str, Benchmark]:
    pkg = importlib.import_module(__package__)
    for mod in pkgutil.iter_modules(pkg.__path__):
        if not mod.name.startswith("_"):
            importlib.import_module(f"{__package__}.{mod.name}")
    return dict(sorted(_REGISTRY.items()))


def _per_call(fn: Callable, min_time: float) -> float:
    """Mean wall time of ``fn()`` over a loop of at least ``min_time`` seconds."""
    n, t0 = 0, time.perf_counter()
    while True:
        fn()
        n += 1
        dt = time.perf_counter() - t0
        if dt >= min_time:
            return dt / n


def time_call(fn: Callable, *, repeat: int = 5, min_time: float = 0.05) -> float:
    """Median wall time of ``fn()`` in seconds over ``repeat`` rounds, after a warm-up call.

    Each round loops ``fn`` until ``min_time`` has passed, so short calls are
    timed accurately.
    """
    return time_calls({"fn": fn}, repeat=repeat, min_time=min_time)["fn"]


def time_calls(fns: dict[str, Callable], *, repeat: int = 5,
               min_time: float = 0.05, settle: float = 0.0) -> dict[str, float]:
    """Median wall time of each ``fn()`` over ``repeat`` interleaved rounds.

    Round r times every candidate once, in turn, so a slow spell of the machine
    (another process, a frequency change) hits all candidates alike and their
    ratios stay fair; timing one candidate after the other let such drift decide
    ratios near 1. The order rotates from round to round, so that every candidate
    follows every other equally often: one that leaves the caches, the TLB or the
    allocator's free lists in a poor state (a NumPy transcription's large
    temporaries) would otherwise always slow the same neighbour. The median (as
    asv reports) rather than the minimum: on a shared
    machine the minimum favours whichever candidate varies most (a multi-threaded
    FFT has rare lucky rounds), the median is the typical cost.

    ``settle`` seconds of sleep before each timed loop let the thread pools of the
    candidate timed before go idle: OpenBLAS's threads spin ~0.1 s after a call
    (2²⁸ cycles) and OpenMP's a while too, taking a core from the next candidate's own
    threads (PyTorch's two-thread LeNet step timed 44 ms right after pdeopt's, 23 ms
    alone).
    """
    for fn in fns.values():
        fn()  # warm-up: JIT compilation, caches, first-touch allocation
    rounds = {label: [] for label in fns}
    labels = list(fns)
    for r in range(repeat):
        for label in labels[r % len(labels):] + labels[:r % len(labels)]:
            if settle:
                time.sleep(settle)
            rounds[label].append(_per_call(fns[label], min_time))
    return {label: float(np.median(t)) for label, t in rounds.items()}


class BenchContext:
    """What a benchmark group receives: sizes by mode, a seeded rng, and timers."""

    def __init__(self, name: str, *, quick: bool, seed: int = 0, echo=print):
        self.name = name
        self.quick = quick
        self.rng = np.random.default_rng([seed, zlib.crc32(name.encode())])
        self.rows: list[dict] = []
        self._echo = echo

    def pick(self, quick, default):
        return quick if self.quick else default

    def time(self, fn: Callable, **kw) -> float:
        repeat = kw.pop("repeat", 5)
        return time_call(fn, repeat=2 if self.quick else repeat, **kw)

    def time_many(self, fns: dict[str, Callable], **kw) -> dict[str, float]:
        """:func:`time_calls` with this context's number of rounds (2 in quick mode)."""
        repeat = kw.pop("repeat", 7)
        return time_calls(fns, repeat=2 if self.quick else repeat, **kw)

    def compare(self, kernel: str, candidates: dict[str, Callable], *, baseline: str = "numpy",
                bytes_moved: int | None = None, size: str = "", check=None,
                repeat: int | None = None, settle: float = 0.0) -> dict:
        """Time the candidates in interleaved rounds and print their times and ratios.

        Parameters
        ----------
        kernel : str
            What is measured (``"soft_threshold 1e7"``).
        candidates : dict of label to zero-argument callable
            Backends (``numpy``, ``numba``, ``cuda``) and peers (``pyproximal``).
        baseline : str
            The label every ratio is taken against: speed-up = t_baseline / t.
        bytes_moved : int, optional
            Bytes one call must read and write; then each candidate's effective
            throughput is reported as a fraction of a NumPy copy of as many bytes.
        check : callable, optional
            ``check(outputs)`` given ``{label: output}``; its return value (e.g. the
            max difference to the baseline) is printed and stored.
        repeat : int, optional
            Rounds (default 7): more for ratios near a goal on a noisy machine.
        settle : float
            Seconds of idle before each timed loop (see :func:`time_calls`): for
            candidates with thread pools of their own, such as PyTorch beside pdeopt.
        """
        outputs = {label: fn() for label, fn in candidates.items()}
        timed = dict(candidates)
        if bytes_moved:
            # the reference copy runs in the same interleaved rounds as the candidates, so a
            # burst of load on this shared machine hits both alike
            source = np.ones(max(bytes_moved // 8, 1))
            target = np.empty_like(source)
            timed[_COPY] = lambda: np.copyto(target, source)
        times = self.time_many(timed, settle=settle,
                               **({} if repeat is None else {"repeat": repeat}))
        copy_bw = 2 * source.nbytes / times.pop(_COPY) if bytes_moved else None
        row = {"group": self.name, "kernel": kernel, "size": size, "baseline": baseline,
               "seconds": times,
               "speedup": {k: times[baseline] / t for k, t in times.items()}}
        if copy_bw:
            row["fraction_of_copy"] = {k: bytes_moved / t / copy_bw for k, t in times.items()}
        if check is not None:
            row["check"] = check(outputs)
        self.rows.append(row)
        self._echo(fit(f"  {kernel} {size}".rstrip()))
        for k, t in times.items():
            extra = f"  {row['fraction_of_copy'][k]:.2f} of copy" if copy_bw else ""
            self._echo(fit(f"    {k:<14s} {t * 1e3:10.3f} ms   x{row['speedup'][k]:7.2f} "
                           f"vs {baseline}{extra}"))
        if check is not None:
            self._echo(fit(f"    check: {row['check']}"))
        return row

    def metric(self, name: str, value: float, *, unit: str = "", goal: str = "") -> None:
        """Record a single derived number (a ratio, a rate) with its goal, if any."""
        self.rows.append({"group": self.name, "metric": name, "value": float(value),
                          "unit": unit, "goal": goal})
        self._echo(fit(f"  {name}: {value:.4g} {unit}" + (f"   (goal {goal})" if goal else "")))

    def note(self, text: str) -> None:
        self.rows.append({"group": self.name, "note": text})
        self._echo(fit(f"  note: {text}"))


def _load(when):
    """The machine's load averages, to read the timings by (a busy machine bends ratios)."""
    try:
        loads = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    except (AttributeError, OSError):  # not on every platform
        return f"load average {when}: not available"
    return f"load average {when} (1, 5, 15 min): {loads} on {os.cpu_count()} CPUs"


def run_benchmarks(names, *, quick=False, seed=0, out_dir="figures", echo=print,
                   isolate=None) -> list[dict]:
    """Run the named groups, print their rows and write ``bench.json``.

    With several groups, each runs in a fresh interpreter (``isolate``, default:
    when there is more than one), as asv does: a group leaves thread pools,
    allocator state and a fragmented heap behind it, and the next group's
    same-run ratios paid for them (after ``graph``, a 512² PDHG iteration came out
    1.35–1.47× its two FFTs against 1.08–1.26 alone).
    """
    reg = registry()
    isolate = len(names) > 1 if isolate is None else isolate
    rows = []
    for name in names:
        if isolate:  # the child has its own heartbeat
            rows += _run_isolated(name, quick=quick, seed=seed, echo=echo)
            continue
        b = reg[name]
        echo(fit(f"[{name}] {b.description}"))
        with Heartbeat(echo) as beat:
            beat.watch(name)
            ctx = BenchContext(name, quick=quick, seed=seed, echo=beat.echo)
            ctx.note(_load("before"))  # other processes bend every ratio: say how busy
            t0 = time.perf_counter()
            b.func(ctx)
            ctx.note(_load("after"))
        echo(f"[{name}] done in {time.perf_counter() - t0:.1f} s")
        rows += ctx.rows
    payload = {"quick": quick, "numpy": np.__version__, "rows": rows}
    atomic_write(Path(out_dir) / "bench.json", json.dumps(payload, indent=1, default=float))
    return rows


def _run_isolated(name, *, quick, seed, echo) -> list[dict]:
    """One group in a child ``python -m pdeopt bench NAME``; its lines echoed, its rows read."""
    import subprocess
    import sys
    import tempfile
    with tempfile.TemporaryDirectory(prefix="pdeopt-bench-") as tmp:
        cmd = [sys.executable, "-m", "pdeopt", "bench", name, "--out", tmp, "--seed", str(seed)]
        with subprocess.Popen(cmd + (["--quick"] if quick else []), stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, bufsize=1) as child:
            blank = False
            for line in child.stdout:
                line = line.rstrip("\n")
                if not line:              # held back: the child's last line is "\nwrote ..."
                    blank = True
                    continue
                if not line.startswith("wrote "):
                    if blank:
                        echo("")
                    echo(line)
                blank = False
        if child.returncode != 0:
            raise RuntimeError(f"benchmark group {name!r} failed (exit {child.returncode}); "
                               f"its output is above")
        return json.loads((Path(tmp) / "bench.json").read_text())["rows"]
