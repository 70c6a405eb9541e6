"""The ``pdeopt`` command: ``list``, ``validate``, ``claims`` and ``bench``."""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import textwrap
from pathlib import Path

from pdeopt import __version__
from pdeopt._io import WIDTH, fit

__all__ = ["main"]


class UsageError(Exception):
    """A bad argument: one line on stderr, exit status 2."""


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="pdeopt", description=(
        "PDE-based and proximal optimization methods for deep learning: "
        "validations against the papers and benchmarks."))
    p.add_argument("--version", action="version", version=f"pdeopt {__version__}")
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="list every validation and benchmark with its source")

    v = sub.add_parser("validate", help="run validations, print checks, write figures and a report")
    v.add_argument("names", nargs="*", metavar="NAME", help="validations to run (default: all)")
    mode = v.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_const", dest="mode", const="quick",
                      help="small sizes, a few minutes in all (CI)")
    mode.add_argument("--full", action="store_const", dest="mode", const="full",
                      help="paper scale; uses MNIST")
    v.set_defaults(mode="default")
    v.add_argument("--out", default="figures", help="folder for PNGs, REPORT.md, results.json "
                   "(default: figures)")
    v.add_argument("--data", default=None, help="folder with the MNIST IDX files "
                   "(default: $PDEOPT_DATA)")
    v.add_argument("--seed", type=int, default=0, help="seed of every random draw (default 0)")
    v.add_argument("--fresh", action="store_true", help="--full: recompute the finished units "
                   "(training runs, label draws) saved under OUT/runs/ instead of going on "
                   "from them")

    c = sub.add_parser("claims", help="the claims ledger: each paper claim, its verdict from "
                       "the committed results")
    c.add_argument("--paper", default=None, help="only this paper (file stem or a unique prefix)")
    c.add_argument("--verdict", default=None, choices=("reproduced", "partial", "not reproduced",
                                                       "not run"), help="only this verdict")
    c.add_argument("--results", default=None, metavar="DIR", help="folder with results.json "
                   "and full/*/results.json (default: the repository's figures/ next to the "
                   "package, else ./figures)")
    out = c.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="a JSON list of the rows")
    out.add_argument("--summary", action="store_true", help="a count per verdict, in all and "
                     "per paper")

    b = sub.add_parser("bench", help="time kernels against their NumPy twins and peers")
    b.add_argument("names", nargs="*", metavar="NAME", help="benchmark groups (default: all)")
    b.add_argument("--quick", action="store_true", help="small sizes (a smoke test)")
    b.add_argument("--scaling", action="store_true", help="instead of the groups: time each "
                   "main kernel and solver over a size sweep, fit the exponent of time against "
                   "size beside the theory's, write scaling.png and scaling.json")
    b.add_argument("--out", default="figures", help="folder for bench.json, scaling.png "
                   "(default: figures)")
    b.add_argument("--seed", type=int, default=0)
    return p


def _writable_dir(path: str) -> Path:
    out = Path(path)
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out):
            pass
    except OSError as exc:
        raise UsageError(f"--out {path}: not a writable folder ({exc.strerror or exc})") from None
    return out


def _select(names, known: dict, what: str) -> list[str]:
    unknown = [n for n in names if n not in known]
    if unknown:
        raise UsageError(f"unknown {what} {', '.join(map(repr, unknown))}; "
                         f"known: {', '.join(known)}")
    return list(names) or list(known)


def _entry(name: str, *texts: str) -> str:
    """``name`` in a column of 24, then each text wrapped in the rest of the line."""
    first, rest = f"  {name:<24s} ", " " * 27
    lines = []
    for text in texts:
        lines += textwrap.wrap(text, WIDTH, initial_indent=rest if lines else first,
                               subsequent_indent=rest, break_on_hyphens=False)
    return "\n".join(lines)


def _cmd_list() -> int:
    from pdeopt.bench import registry as bench_registry
    from pdeopt.validation import registry
    print("validations (pdeopt validate NAME):")
    for name, v in registry().items():
        flag = "  [--full, MNIST]" if v.needs_mnist else ""
        print(_entry(name, v.source + flag, v.description))
    benches = bench_registry()
    print("\nbenchmarks (pdeopt bench NAME):")
    for name, b in benches.items():
        print(_entry(name, b.description))
    if not benches:
        print("  (none yet)")
    return 0


def _cmd_validate(args) -> int:
    from pdeopt.data import find_mnist
    from pdeopt.validation import registry, run_validations
    names = _select(args.names, registry(), "validation")
    data_dir = args.data if args.data is not None else os.environ.get("PDEOPT_DATA") or None
    if args.data is not None:
        try:
            find_mnist(args.data)
        except FileNotFoundError as exc:
            raise UsageError(f"--data {args.data}: {str(exc).splitlines()[0]}") from None
    out = _writable_dir(args.out)
    print(fit(f"pdeopt validate: {len(names)} validation(s), mode {args.mode}, "
              f"seed {args.seed}, output {out}/"))
    outcomes = run_validations(names, mode=args.mode, seed=args.seed, out_dir=out,
                               data_dir=data_dir, fresh=args.fresh)
    counts = {s: sum(o.status == s for o in outcomes)
              for s in ("passed", "failed", "error", "skipped")}
    n_checks = sum(len(o.checks) for o in outcomes)
    n_failed = sum(not c["passed"] and not c.get("paper") for o in outcomes for c in o.checks)
    n_missed = sum(not c["passed"] and bool(c.get("paper")) for o in outcomes for c in o.checks)
    print("\n" + fit(f"{n_checks - n_failed - n_missed} checks passed, {n_failed} failed, "
                     f"{n_missed} paper numbers not reproduced (pdeopt claims); validations: "
                     + ", ".join(f"{v} {k}" for k, v in counts.items())
                     + f". Report: {out / 'REPORT.md'}", indent=0))
    return 1 if counts["failed"] or counts["error"] else 0


def _results_dir(path) -> Path:
    if path is not None:
        if not Path(path).is_dir():
            raise UsageError(f"--results {path}: not a folder")
        return Path(path)
    repo = Path(__file__).resolve().parent.parent / "figures"
    return repo if repo.is_dir() else Path.cwd() / "figures"


def _cmd_claims(args) -> int:
    import json
    from pdeopt.validation._ledger import (build_ledger, load_runs, select, summary_lines,
                                           table_lines)
    folder = _results_dir(args.results)
    runs = load_runs(folder)
    note = None
    if not runs:
        note = (f"no results in {folder}/ (results.json, full/*/results.json): run "
                f"`pdeopt validate` first; every row is `not run`")
    try:
        rows = select(build_ledger(runs, no_results=note), paper=args.paper,
                      verdict=args.verdict)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if args.json:
        if note:
            print(f"pdeopt: {note}", file=sys.stderr)
        print(json.dumps(rows, indent=1, ensure_ascii=False))
        return 0
    if note:
        print(fit(note, indent=0))
    else:
        print(fit(f"claims ledger from {len(runs)} run(s) in {folder}/", indent=0))
    print("\n".join(summary_lines(rows) if args.summary else table_lines(rows)))
    return 0


def _cmd_bench(args) -> int:
    from pdeopt.bench import registry, run_benchmarks
    if args.scaling:
        if args.names:
            raise UsageError("--scaling runs its own sweep: give no benchmark names with it")
        from pdeopt.bench.scaling import run_scaling
        out = _writable_dir(args.out)
        run_scaling(quick=args.quick, out_dir=out, seed=args.seed)
        print(f"\nwrote {out / 'scaling.png'} and {out / 'scaling.json'}")
        return 0
    known = registry()
    names = _select(args.names, known, "benchmark")
    out = _writable_dir(args.out)
    if not names:
        print("no benchmarks are registered yet")
        return 0
    run_benchmarks(names, quick=args.quick, seed=args.seed, out_dir=out)
    print(f"\nwrote {out / 'bench.json'}")
    return 0


def main(argv=None) -> int:
    """Run the ``pdeopt`` command with ``argv`` (default: ``sys.argv[1:]``); its exit status.

    0: done; 1: a check failed; 2: a usage error; 130: interrupted; 141: the reader of
    the output went away (``pdeopt list | head``).

    Examples
    --------
    >>> try:
    ...     main(["--version"])           # argparse prints the version and exits
    ... except SystemExit as stop:
    ...     print("exit status", stop.code)
    pdeopt 0...
    exit status 0
    >>> main(["validate", "no-such-validation"])
    2
    """
    args = _parser().parse_args(argv)
    commands = {"list": _cmd_list, "validate": lambda: _cmd_validate(args),
                "claims": lambda: _cmd_claims(args), "bench": lambda: _cmd_bench(args)}
    try:
        code = commands[args.command]()
        sys.stdout.flush()  # a closed pipe shows here, where it is handled, not at exit
        return code
    except UsageError as exc:
        print(f"pdeopt: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("pdeopt: interrupted; finished figures and the report so far are kept",
              file=sys.stderr)
        return 130
    except BrokenPipeError:
        return _reader_gone()


def _reader_gone() -> int:
    """The reader of stdout closed it (``pdeopt list | head``): stop quietly.

    Python flushes stdout once more at exit and would print a second BrokenPipeError, so
    stdout is pointed at the null device first (the recipe of Python's ``signal`` docs).
    141 = 128 + SIGPIPE, the status a shell reports for a writer a closed pipe stopped.
    """
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # stdout is not a file (captured)
        pass
    return 141


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
