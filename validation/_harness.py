"""The validation harness: registry, run context, checks, and the written report.

A validation is a function ``f(ctx)`` in a module of this package, registered
with :func:`validation`. It reads like a lesson: set up, compute, check against
an analytic or published number with ``ctx.check``, draw with ``ctx.save_figure``.
Adding a validation is adding one module; nothing else needs editing.
"""
from __future__ import annotations

import importlib
import json
import math
import os
import pkgutil
import sys
import tempfile
import time
import traceback
import zlib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from pdeopt._io import Heartbeat, atomic_write, clip, clock, fit

from ._claims import check_claim_ids

__all__ = ["validation", "registry", "Context", "Check", "Skip", "MODES",
           "run_validations"]

MODES = ("quick", "default", "full")
COMPARISONS = ("abs", "rel", "le", "ge", "true")


@dataclass(frozen=True)
class Validation:
    name: str
    func: Callable
    source: str
    description: str
    needs_mnist: bool = False


_REGISTRY: dict[str, Validation] = {}


def validation(name: str, *, source: str, description: str, needs_mnist: bool = False):
    """Register ``func(ctx)`` as the validation ``name``.

    Parameters
    ----------
    name : str
        Short, lowercase, hyphenated (``hj-cole-hopf``); also the figure's file name.
    source : str
        Paper and figure/table it reproduces or the identity it checks.
    description : str
        One sentence: what it checks.
    needs_mnist : bool
        It runs only in ``--full`` mode and skips when MNIST is absent.
    """
    def deco(func):
        if name in _REGISTRY and _REGISTRY[name].func is not func:
            raise ValueError(f"validation {name!r} is registered twice")
        _REGISTRY[name] = Validation(name, func, source, description, needs_mnist)
        return func
    return deco


def registry() -> dict[str, Validation]:
    """All validations, importing every module of this package once.

    Examples
    --------
    >>> from pdeopt.validation import registry
    >>> v = registry()["moreau-abs"]
    >>> v.name, v.needs_mnist
    ('moreau-abs', False)
    """
    pkg = importlib.import_module(__package__)
    for mod in pkgutil.iter_modules(pkg.__path__):
        if not mod.name.startswith("_"):
            importlib.import_module(f"{__package__}.{mod.name}")
    return dict(sorted(_REGISTRY.items()))


class Skip(Exception):
    """Raised by ``ctx.skip``: the validation cannot run here (the reason says why)."""


@dataclass
class Check:
    validation: str
    name: str
    measured: float
    expected: float
    tolerance: float
    comparison: str
    passed: bool
    note: str = ""
    claims: list = field(default_factory=list)   # ids of the claims it tests (_claims.py)
    headline: bool = False                        # its failure alone: "not reproduced"
    scale: str = "built-in"                       # "mnist" once ctx.mnist() loaded MNIST
    paper: bool = False                           # compares with a paper's number: a miss is
    #                                               a finding (claim not reproduced), not a bug

    @property
    def status(self) -> str:
        """PASS; FAIL (the code is wrong); MISS (a paper's number not reproduced here)."""
        return "PASS" if self.passed else ("MISS" if self.paper else "FAIL")

    def line(self) -> str:
        status = self.status
        rel = {"abs": "|m-e| <=", "rel": "|m-e|/|e| <=", "le": "m <= e +",
               "ge": "m >= e -", "true": "holds"}[self.comparison]
        tol = "" if self.comparison == "true" else f" {_fmt(self.tolerance)}"
        # fits 100 columns for names up to 40 characters (the legend names the columns)
        return fit(f"  {status}  {self.name:<40s} {_fmt(self.measured):>10s} vs "
                   f"{_fmt(self.expected):>10s}  ({rel}{tol})"
                   + (f"  {self.note}" if self.note else ""))


def _fmt(v) -> str:
    if isinstance(v, (bool, np.bool_)):
        return "true" if v else "false"
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "nan"
    v = float(v)
    if v == 0:
        return "0"
    if 1e-3 <= abs(v) < 1e5:
        return f"{v:.4g}"
    return f"{v:.3e}"


def _claim(lock: Path) -> bool:
    """Create ``lock`` holding this process's id; False if a live process holds it."""
    try:
        fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        try:
            holder = int(lock.read_text() or 0)
            os.kill(holder, 0)       # raises if no such process: a stale lock
            return holder == os.getpid()
        except (ValueError, ProcessLookupError, FileNotFoundError):
            lock.unlink(missing_ok=True)
            return _claim(lock)
        except PermissionError:      # alive, another user's
            return False
    with os.fdopen(fd, "w") as fh:
        fh.write(str(os.getpid()))
    return True


def _load_unit(path: Path, stamp: str):
    """A saved unit's arrays if ``path`` exists with the settings ``stamp``, else None."""
    if not path.exists():
        return None
    with np.load(path, allow_pickle=False) as saved:
        if str(saved["_params"]) != stamp:
            return None
        return {k: saved[k] for k in saved.files if k != "_params"}


def _npz_bytes(arrays: dict) -> bytes:
    import io
    buffer = io.BytesIO()
    np.savez(buffer, **{k: np.asarray(v) for k, v in arrays.items()})
    return buffer.getvalue()


class _Eta:
    """Progress through ``total`` steps: how many are done and an estimate of the time left."""

    def __init__(self, total: int):
        self.total, self.done, self.timed, self.spent = total, 0, 0, 0.0
        self._t0 = time.perf_counter()

    @property
    def elapsed(self) -> str:
        return f"{clock(time.perf_counter() - self._t0)} elapsed"

    def step(self, seconds: float | None = None, left: float | None = None) -> str:
        """Count a step that took ``seconds`` (None: loaded, not computed): ``3/5 done, ~4 s
        left``. ``left`` is the caller's estimate of the time left; by default, the mean time
        of the computed steps times the steps left.
        """
        self.done += 1
        if seconds is not None:
            self.timed, self.spent = self.timed + 1, self.spent + seconds
        text = f"{self.done}/{self.total} done"
        if left is None and self.timed:
            left = self.spent / self.timed * (self.total - self.done)
        if left is not None and self.done < self.total:
            text += f", ~{clock(left)} left"
        return text


def _previous_seconds(out_dir: Path, mode: str) -> dict[str, float]:
    """Each validation's time in the last run of ``mode`` into ``out_dir``, to estimate ETAs."""
    try:
        saved = json.loads((out_dir / "results.json").read_text())
        if saved.get("mode") != mode:
            return {}
        return {v["name"]: float(v["seconds"]) for v in saved["validations"]}
    except (OSError, ValueError, KeyError, TypeError):
        return {}


class Context:
    """What a validation receives.

    Attributes
    ----------
    name, mode : str
        The validation's name and the run mode (``quick``, ``default`` or ``full``).
    rng : numpy.random.Generator
        Seeded from the run's seed and the validation's name: each validation is
        reproducible on its own, whatever else runs.
    seed : int
        The run's seed (for methods that take several independent seeds).
    data_dir : pathlib.Path or None
        Where the MNIST IDX files are (``--data`` or ``$PDEOPT_DATA``), if given.
    fresh : bool
        Recompute the units of a ``--full`` run even where ``<out>/runs/`` has them
        (see :meth:`units`).
    """

    def __init__(self, name: str, *, mode: str, seed: int, out_dir: Path,
                 data_dir: Path | None, echo: Callable[[str], None] = print,
                 fresh: bool = False):
        self.name = name
        self.mode = mode
        self.seed = seed
        self.rng = np.random.default_rng([seed, zlib.crc32(name.encode())])
        self.out_dir = Path(out_dir)
        self.data_dir = data_dir
        self.checks: list[Check] = []
        self.figures: list[str] = []
        self.tables: list[str] = []
        self._echo = echo
        self._t0 = time.perf_counter()
        self.fresh = fresh
        self.units_reused = 0
        self.units_computed = 0
        self.scale = "built-in"   # the data of the checks that follow ("mnist": see mnist())

    # -- sizes by mode ---------------------------------------------------------
    @property
    def quick(self) -> bool:
        return self.mode == "quick"

    @property
    def full(self) -> bool:
        return self.mode == "full"

    def pick(self, quick, default, full=None):
        """The value for this run's mode (``full`` falls back to ``default``)."""
        if self.mode == "quick":
            return quick
        if self.mode == "full" and full is not None:
            return full
        return default

    # -- recording -------------------------------------------------------------
    def check(self, name: str, measured, expected, *, tol: float = 0.0,
              comparison: str = "abs", note: str = "", claim=None,
              headline: bool = False, paper: bool = False) -> bool:
        """Record and print one check; return whether it passed.

        ``comparison``: ``abs`` |m − e| ≤ tol; ``rel`` |m − e| ≤ tol·|e|;
        ``le`` m ≤ e + tol; ``ge`` m ≥ e − tol; ``true`` bool(measured) is true
        (``expected`` is then ``True``). A NaN measurement always fails.

        ``claim``: the id (or a list of ids) of the paper claims this check tests, as
        declared in ``validation/_claims.py`` for this validation; an unknown id raises
        ``ValueError``. The claims ledger (``pdeopt claims``) derives each claim's verdict
        from the checks tagged with it. ``headline=True``: this check is the claim's
        headline number, so that its failure alone makes the claim ``not reproduced``
        (otherwise a mix of passing and failing checks is ``partial``).

        ``paper=True``: the check compares a measurement with a number or ordering a paper
        published (a table row, a headline effect), not a property the code must have. Its
        failure prints ``MISS``: the claim is *not reproduced* here, which the ledger
        reports with both numbers; it does not make ``pdeopt validate`` fail, since the code
        is not wrong for it. Identities, analytic solutions and bounds stay ``paper=False``:
        their failure is a ``FAIL`` and the exit status is 1.

        Examples
        --------
        >>> import tempfile
        >>> ctx = Context("demo", mode="quick", seed=0, out_dir=tempfile.gettempdir(),
        ...               data_dir=None)
        >>> ctx.check("sum of 1/2^k, k < 20", sum(0.5 ** k for k in range(20)), 2.0, tol=1e-3)
          PASS  sum of 1/2^k, k < 20   2 vs   2  (|m-e| <= 0.001)
        True
        >>> ctx.check("nan is never close", float("nan"), 0.0, tol=float("inf"))
          FAIL  nan is never close   nan vs   0  (|m-e| <= inf)
        False
        """
        if comparison not in COMPARISONS:
            raise ValueError(f"comparison must be one of {COMPARISONS}, got {comparison!r}")
        claims = list(check_claim_ids(claim, self.name))
        if comparison == "true":
            passed = bool(measured)
            m, e = bool(measured), True
        else:
            m, e = float(measured), float(expected)
            if math.isnan(m) or math.isnan(e):
                passed = False
            elif comparison == "abs":
                passed = abs(m - e) <= tol
            elif comparison == "rel":
                passed = abs(m - e) <= tol * abs(e)
            elif comparison == "le":
                passed = m <= e + tol
            else:
                passed = m >= e - tol
        if paper and not claims:
            raise ValueError(f"check {name!r}: paper=True needs the claim= it compares with")
        c = Check(self.name, name, m, e, float(tol), comparison, bool(passed), note, claims,
                  bool(headline), self.scale, bool(paper))
        self.checks.append(c)
        self._echo(c.line())
        return c.passed

    def progress(self, message: str) -> None:
        """A progress line for long runs."""
        self._echo(fit(f"  ...   {message}  [{time.perf_counter() - self._t0:.0f} s]"))

    def table(self, markdown: str) -> None:
        """A table (Markdown) for the report and the terminal, e.g. beside a paper's numbers.

        On the terminal, rows wider than 100 columns are cut (``…``); the report has them whole.
        """
        self.tables.append(markdown)
        rows = ["        " + line for line in markdown.strip().splitlines()]
        if any(clip(row) != row for row in rows):
            rows.append("        (rows cut at 100 columns: REPORT.md has the whole table)")
        self._echo("\n".join(map(clip, rows)))

    def skip(self, reason: str):
        raise Skip(reason)

    def units(self, specs) -> list[dict]:
        """The units of a long run (training runs, label draws), computed or loaded.

        ``specs`` is a sequence of ``(key, compute, params)``: ``compute()`` returns
        a dict of arrays (or numbers), ``params`` (a dict) the unit's settings.
        Returns the results in order.

        In ``--full`` mode each finished unit is saved as
        ``<out>/runs/<validation>/<key>.npz`` with its ``params`` (a file whose
        settings differ is recomputed). A paper-scale run that is interrupted, or
        that outlasts one sitting, goes on from the units it finished when started
        again; ``--fresh`` recomputes them all. Several processes running the same
        validation share the units: each claims the one it computes with a lock
        file and skips those claimed by another live process, then waits for them.
        Other modes just compute. In every mode, each finished unit prints a progress
        line: units done, time elapsed and an estimate of the time left.
        """
        specs = list(specs)
        eta = _Eta(len(specs))
        if not self.full:
            results = []
            for key, compute, _ in specs:
                t0 = time.perf_counter()
                results.append(compute())
                seconds = time.perf_counter() - t0
                self.progress(f"unit {key}: {clock(seconds)} ({eta.step(seconds)})")
            return results
        folder = self.out_dir / "runs" / self.name
        folder.mkdir(parents=True, exist_ok=True)
        results: list = [None] * len(specs)
        pending = list(range(len(specs)))
        while pending:
            claimed_elsewhere = []
            for i in pending:
                computed, t0 = self.units_computed, time.perf_counter()
                results[i] = self._unit(folder, *specs[i])
                if results[i] is None:
                    claimed_elsewhere.append(i)
                elif self.units_computed > computed:
                    seconds = time.perf_counter() - t0
                    self.progress(f"unit {specs[i][0]}: {clock(seconds)}, saved "
                                  f"({eta.step(seconds)})")
                else:
                    eta.step()
            if claimed_elsewhere:
                self.progress(f"{len(claimed_elsewhere)} unit(s) being computed by another "
                              f"process: waiting")
                time.sleep(30)
            pending = claimed_elsewhere
        return results

    def _unit(self, folder: Path, key: str, compute, params: dict):
        """Load or compute one unit; None when another live process holds its lock."""
        path, lock = folder / f"{key}.npz", folder / f"{key}.lock"
        stamp = json.dumps(params, sort_keys=True, default=str)
        if not self.fresh:
            saved = _load_unit(path, stamp)
            if saved is not None:
                self.units_reused += 1
                return saved
        if not _claim(lock):
            return None
        try:
            saved = None if self.fresh else _load_unit(path, stamp)  # finished meanwhile?
            if saved is not None:
                self.units_reused += 1
                return saved
            result = {k: np.asarray(v) for k, v in compute().items()}
            atomic_write(path, _npz_bytes({**result, "_params": np.array(stamp)}))
            self.units_computed += 1
            return result
        finally:
            lock.unlink(missing_ok=True)

    def units_note(self) -> str:
        """How many units this run loaded from ``<out>/runs/`` and how many it computed."""
        return (f"{self.units_computed} unit(s) computed in this run, {self.units_reused} "
                f"loaded from {self.out_dir / 'runs' / self.name}")

    def mnist(self):
        """Load MNIST from ``data_dir``, or skip this validation with the reason."""
        from pdeopt.data import load_mnist
        try:
            data = load_mnist(self.data_dir)
        except FileNotFoundError as exc:
            raise Skip(str(exc).splitlines()[0]) from None
        self.scale = "mnist"
        return data

    def save_figure(self, fig, suffix: str = "") -> Path:
        """Save a matplotlib figure as ``<out>/<name><suffix>.png`` atomically and close it."""
        import matplotlib.pyplot as plt
        path = self.out_dir / f"{self.name}{suffix}.png"
        fd, tmp = tempfile.mkstemp(dir=self.out_dir, prefix=f".{path.name}.", suffix=".png")
        os.close(fd)
        try:
            fig.savefig(tmp, dpi=110, bbox_inches="tight")
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
            plt.close(fig)
        self.figures.append(path.name)
        return path


@dataclass
class Outcome:
    name: str
    source: str
    description: str
    status: str  # passed, failed, skipped, error
    seconds: float
    checks: list = field(default_factory=list)
    figures: list = field(default_factory=list)
    tables: list = field(default_factory=list)
    message: str = ""


def run_validations(names, *, mode="default", seed=0, out_dir="figures", data_dir=None,
                    echo=print, blas_threads=1, fresh=False) -> list[Outcome]:
    """Run the named validations, print their checks, write the figures and the report.

    BLAS runs on ``blas_threads`` threads (``None``: as configured): validations
    multiply small matrices, where extra BLAS threads only wait for cores.
    """
    import matplotlib
    matplotlib.use("Agg")
    from pdeopt._threads import blas_threads_limit
    with blas_threads_limit(blas_threads):
        return _run(names, mode=mode, seed=seed, out_dir=out_dir, data_dir=data_dir, echo=echo,
                    fresh=fresh)


def _run(names, *, mode, seed, out_dir, data_dir, echo, fresh=False) -> list[Outcome]:
    with Heartbeat(echo) as beat:
        return _run_each(names, mode=mode, seed=seed, out_dir=out_dir, data_dir=data_dir,
                         fresh=fresh, beat=beat)


def _run_each(names, *, mode, seed, out_dir, data_dir, fresh, beat) -> list[Outcome]:
    reg = registry()
    out_dir = Path(out_dir)
    names = list(names)
    previous = _previous_seconds(out_dir, mode)
    eta = _Eta(len(names))
    echo = beat.echo
    echo("Each check: PASS, FAIL (the code is wrong) or MISS (a paper's number not reproduced:"
         " a finding, not a failure), its name, measured vs expected (comparison, tolerance).")
    outcomes = []
    for i, name in enumerate(names):
        v = reg[name]
        echo(fit(f"[{name}] {v.description}  ({v.source})"))
        beat.watch(name)
        ctx = Context(name, mode=mode, seed=seed, out_dir=out_dir, data_dir=data_dir, echo=echo,
                      fresh=fresh)
        t0 = time.perf_counter()
        try:
            if v.needs_mnist and mode != "full":
                raise Skip("needs MNIST: runs in --full mode")
            v.func(ctx)
            # a missed paper number is a finding, not a failure (Check.paper)
            status = "passed" if all(c.passed or c.paper for c in ctx.checks) else "failed"
            msg = "" if ctx.checks else "recorded no check"
            if not ctx.checks:
                status = "failed"
        except Skip as exc:
            status, msg = "skipped", str(exc)
        except KeyboardInterrupt:
            echo(f"  interrupted during {name}; finished figures are kept")
            raise
        except Exception as exc:  # a crashing validation is a failed validation
            status, msg = "error", f"{type(exc).__name__}: {exc}"
            echo(traceback.format_exc())
        finally:
            beat.watch(None)
        dt = time.perf_counter() - t0
        summary = {"passed": "ok", "failed": "FAILED", "skipped": "skipped",
                   "error": "ERROR"}[status]
        # the time left: each remaining validation's time in the last run of this mode, when
        # out_dir has one (they range from under a second to minutes), else the mean pace
        left = None
        if previous and all(n in previous for n in names[i + 1:]):
            left = sum(previous[n] for n in names[i + 1:])
        echo(fit(f"[{name}] {summary} in {dt:.1f} s" + (f": {msg}" if msg else "")
                 + f"  ({eta.step(dt, left)}, {eta.elapsed})"))
        outcomes.append(Outcome(name, v.source, v.description, status, dt,
                                [asdict(c) for c in ctx.checks], ctx.figures, ctx.tables, msg))
        write_report(outcomes, out_dir, mode=mode, seed=seed)
    return outcomes


def _result_word(c: dict) -> str:
    if c["passed"]:
        return "pass"
    return "**miss** (paper)" if c.get("paper") else "**FAIL**"


def write_report(outcomes, out_dir: Path, *, mode: str, seed: int) -> None:
    """``REPORT.md`` and ``results.json``: every check, the figures, and the claims ledger.

    The ledger joins this run with the runs under ``<out_dir>/full/*/`` (paper-scale runs
    kept beside the default one), the largest scale winning for each claim.
    """
    from ._ledger import ledger_from_outcomes, load_runs, markdown_lines
    out_dir = Path(out_dir)
    n_checks = sum(len(o.checks) for o in outcomes)
    n_fail = sum(not c["passed"] and not c.get("paper") for o in outcomes for c in o.checks)
    n_miss = sum(not c["passed"] and bool(c.get("paper")) for o in outcomes for c in o.checks)
    lines = [
        "# pdeopt validation report", "",
        f"Mode `{mode}`, seed {seed}, Python {sys.version.split()[0]}, numpy {np.__version__}. "
        f"{len(outcomes)} validation(s), {n_checks} check(s), {n_fail} failed, {n_miss} "
        "paper number(s) not reproduced (**miss**: a finding, reported in the claims ledger "
        "below with both numbers; it does not fail the run).", "",
        "| validation | check | measured | expected | comparison | tolerance | result |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for o in outcomes:
        if not o.checks:
            lines.append(f"| {o.name} | — | | | | | {o.status}: {o.message} |")
        for c in o.checks:
            lines.append(f"| {o.name} | {c['name']} | {_fmt(c['measured'])} | "
                         f"{_fmt(c['expected'])} | {c['comparison']} | "
                         f"{'' if c['comparison'] == 'true' else _fmt(c['tolerance'])} | "
                         f"{_result_word(c)} |")
    for o in outcomes:
        message = f": {o.message}" if o.message else ""
        lines += ["", f"## {o.name}", "", f"{o.description} Source: {o.source}. "
                  f"Status: {o.status} ({o.seconds:.1f} s){message}.", ""]
        for t in o.tables:
            lines += [t.strip(), ""]
        for fig in o.figures:
            lines += [f"![{o.name}]({fig})", ""]
    claims = ledger_from_outcomes(outcomes, mode=mode, extra_runs=load_runs(out_dir, main=False))
    lines += [""] + markdown_lines(claims)
    atomic_write(out_dir / "REPORT.md", "\n".join(lines) + "\n")
    payload = {"mode": mode, "seed": seed, "validations": [asdict(o) for o in outcomes],
               "claims": claims}
    atomic_write(out_dir / "results.json", json.dumps(payload, indent=1, default=_json_default))


def _json_default(obj):
    if isinstance(obj, (np.floating, np.integer, np.bool_)):
        return obj.item()
    return str(obj)
