"""The claims ledger: the declared claims joined with the checks of one or several runs.

A check tagged ``ctx.check(..., claim=ID)`` is evidence for that claim. The verdict of a row
comes from the tagged checks of the run at the largest scale that has any:

- ``reproduced``: every tagged check passed, at the scale of the paper's claim;
- ``not reproduced``: a headline check failed, or every tagged check failed;
- ``partial``: some tagged checks pass and some fail, or all pass at a smaller scale than
  the paper's (built-in digits instead of MNIST, MNIST instead of CIFAR-10, ...), or all
  pass but a declared part of the claim (``Claim.unchecked``) has no check;
- ``not run``: no tagged check ran (the reason says why).

A run's scale is ``paper`` for a claim whose validation runs the paper's own setting
(``Claim.data`` is None), else ``mnist`` for a check made after ``ctx.mnist()`` loaded MNIST,
else ``built-in``.
"""
from __future__ import annotations

import json
import textwrap
from pathlib import Path

from ._claims import CLAIMS, PAPERS, Claim

__all__ = ["VERDICTS", "SCALES", "FIELDS", "load_runs", "build_ledger", "ledger_from_outcomes",
           "summary_lines", "table_lines", "markdown_lines", "select"]

VERDICTS = ("reproduced", "partial", "not reproduced", "not run")
SCALES = ("built-in", "mnist", "paper")
FIELDS = ("id", "paper", "where", "claim", "paper_value", "measured", "scale", "verdict",
          "validation", "reason")
_MODE_RANK = {"quick": 0, "default": 1, "full": 2}
WIDTH = 100


def load_runs(folder, *, main: bool = True) -> list[dict]:
    """The run payloads in ``folder``: ``results.json`` and ``full/*/results.json``.

    Each payload is the dict that ``pdeopt validate`` wrote, with ``"path"`` added.
    Unreadable files are skipped. ``main=False``: only the runs under ``full/``.
    """
    folder = Path(folder)
    paths = [folder / "results.json"] if main else []
    paths += sorted(folder.glob("full/*/results.json"))
    runs = []
    for path in paths:
        try:
            payload = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if isinstance(payload, dict) and isinstance(payload.get("validations"), list):
            runs.append({**payload, "path": str(path)})
    return runs


def ledger_from_outcomes(outcomes, *, mode: str, extra_runs=()) -> list[dict]:
    """The ledger of a run in progress (``Outcome`` objects or dicts) plus ``extra_runs``."""
    from dataclasses import asdict, is_dataclass
    validations = [asdict(o) if is_dataclass(o) else dict(o) for o in outcomes]
    return build_ledger([{"mode": mode, "validations": validations}, *extra_runs])


def build_ledger(runs, *, claims=CLAIMS, no_results: str | None = None) -> list[dict]:
    """One row (dict with :data:`FIELDS`) per claim, from the checks of ``runs``.

    Parameters
    ----------
    runs : list of dict
        Run payloads (``{"mode": ..., "validations": [...]}``), as in ``results.json``.
    claims : sequence of Claim
        The declarations (default: all).
    no_results : str or None
        The reason to give every row when ``runs`` is empty.

    Examples
    --------
    >>> run = {"mode": "default", "validations": [{"name": "accelerated-rates",
    ...        "status": "passed", "checks": [{"name": "Theorem 1", "measured": 0.02,
    ...        "expected": 1.0, "passed": True, "claims": ["lin2019/theorem1-gd"]}]}]}
    >>> row = next(r for r in build_ledger([run]) if r["id"] == "lin2019/theorem1-gd")
    >>> row["verdict"], row["scale"], row["measured"]
    ('reproduced', 'paper', '0.02 vs 1 (Theorem 1)')
    """
    evidence: dict[str, list] = {}    # claim id -> [(rank, checks)]
    statuses: dict[str, list] = {}    # validation -> [(status, message)]
    for run in runs:
        mode = run.get("mode", "default")
        for outcome in run.get("validations", []):
            statuses.setdefault(outcome.get("name"), []).append(
                (outcome.get("status", ""), outcome.get("message", "")))
            by_claim: dict[str, list] = {}
            for check in outcome.get("checks", []):
                for cid in check.get("claims") or ():
                    by_claim.setdefault(cid, []).append(check)
            for cid, checks in by_claim.items():
                evidence.setdefault(cid, []).append((mode, checks))
    rows = []
    for claim in claims:
        rows.append(_row(claim, evidence.get(claim.id, []), statuses.get(claim.validation),
                         no_results if not runs else None))
    return rows


def _check_scale(claim: Claim, check: dict, mode: str) -> str:
    if claim.data is None:
        return "paper"
    scale = check.get("scale")
    if scale in SCALES:
        return scale
    return "mnist" if mode == "full" else "built-in"   # results written before scales


def _best(claim: Claim, evidence) -> tuple[str, list]:
    """The scale and checks of the run at the largest scale (then the largest mode)."""
    best = None
    for mode, checks in evidence:
        scales = [_check_scale(claim, c, mode) for c in checks]
        top = max(scales, key=SCALES.index)
        kept = [c for c, s in zip(checks, scales) if s == top]
        key = (SCALES.index(top), _MODE_RANK.get(mode, 1))
        if best is None or key > best[0]:
            best = (key, top, kept)
    return best[1], best[2]


def _fmt(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    try:
        v = float(v)
    except (TypeError, ValueError):
        return str(v)
    if v != v:
        return "nan"
    return f"{v:.4g}"


def _scale_reason(claim: Claim, scale: str) -> str:
    ours = "MNIST" if scale == "mnist" else f"built-in: {claim.analogue or 'digits'}"
    return f"{ours}, the paper used {claim.data}"


def _row(claim: Claim, evidence, statuses, no_results) -> dict:
    row = {"id": claim.id, "paper": claim.paper, "where": claim.where, "claim": claim.claim,
           "paper_value": claim.paper_value, "measured": None, "scale": None,
           "verdict": "not run", "validation": claim.validation, "reason": None}
    static = claim.not_run_reason
    if not evidence:
        if claim.validation is None:
            reason = static
        elif no_results:
            reason = no_results
        elif not statuses:
            reason = f"{claim.validation} is not in the results"
        elif any(s in ("passed", "failed") for s, _ in statuses):
            reason = "no check of this claim yet"
        else:
            status, message = statuses[-1]
            reason = f"{claim.validation} {status}" + (f": {message}" if message else "")
        if static and claim.validation is not None and reason != static:
            reason = f"{reason}; {static}"
        row["reason"] = reason
        return row
    scale, checks = _best(claim, evidence)
    row["scale"] = scale
    row["measured"] = "; ".join(f"{_fmt(c.get('measured'))} vs {_fmt(c.get('expected'))} "
                                f"({c.get('name')})" for c in checks)
    failed = [c for c in checks if not c.get("passed")]
    n, n_pass = len(checks), len(checks) - len(failed)
    short = SCALES.index(scale) < SCALES.index(claim.required_scale)
    scale_note = _scale_reason(claim, scale) if short else ""
    if short and static:
        scale_note += f"; {static}"
    fail_note = "; ".join(f"failed: {c.get('name')} ({_fmt(c.get('measured'))} vs "
                          f"{_fmt(c.get('expected'))})" for c in failed)
    if failed and (n_pass == 0 or any(c.get("headline") for c in failed)):
        verdict = "not reproduced"
        reason = f"{len(failed)} of {n} check(s) fail: {fail_note}"
    elif failed:
        verdict = "partial"
        reason = f"{n_pass} of {n} checks pass: {fail_note}"
    elif short:
        verdict, reason = "partial", scale_note
        scale_note = ""
    elif claim.unchecked:   # every check passed, but they cover only part of the claim
        verdict, reason = "partial", claim.unchecked
    else:
        verdict, reason = "reproduced", None
    if scale_note:
        reason = f"{reason}; {scale_note}"
    row.update(verdict=verdict, reason=reason)
    return row


def select(rows, *, paper: str | None = None, verdict: str | None = None) -> list[dict]:
    """Rows of one paper (its stem or a unique prefix) and/or one verdict.

    Raises ``ValueError`` naming the choices for an unknown or ambiguous paper or verdict.
    """
    if paper is not None:
        matches = [p for p in PAPERS if p == paper] or [p for p in PAPERS
                                                        if p.startswith(paper)]
        if len(matches) != 1:
            what = "ambiguous" if matches else "unknown"
            raise ValueError(f"--paper {paper!r}: {what}; papers: {', '.join(PAPERS)}")
        rows = [r for r in rows if r["paper"] == matches[0]]
    if verdict is not None:
        if verdict not in VERDICTS:
            raise ValueError(f"--verdict {verdict!r}: expected one of {', '.join(VERDICTS)}")
        rows = [r for r in rows if r["verdict"] == verdict]
    return rows


def _counts(rows) -> str:
    return ", ".join(f"{sum(r['verdict'] == v for r in rows)} {v}" for v in VERDICTS)


def summary_lines(rows) -> list[str]:
    """A count per verdict, per paper and in all (a table within 100 columns)."""
    labels = ("reproduced", "partial", "not repr.", "not run")
    lines = [f"{'paper':<47s}" + "".join(f"{v:>11s}" for v in labels) + f"{'total':>7s}"]
    for paper in [*PAPERS, None]:
        mine = [r for r in rows if paper is None or r["paper"] == paper]
        if not mine and paper is not None:
            continue
        lines.append(f"{paper or 'all':<47s}"
                     + "".join(f"{sum(r['verdict'] == v for r in mine):>11d}" for v in VERDICTS)
                     + f"{len(mine):>7d}")
    return lines


def _clip(text: str, width: int = WIDTH) -> str:
    return text if len(text) <= width else text[:width - 1] + "…"


def table_lines(rows) -> list[str]:
    """The ledger as text within 100 columns: per paper, one block per claim."""
    lines = []
    for paper in PAPERS:
        mine = [r for r in rows if r["paper"] == paper]
        if not mine:
            continue
        lines += ["", paper, f"  {'claim id':<40s} {'verdict':<15s} {'scale':<9s} validation"]
        for r in mine:
            lines.append(_clip(f"  {r['id']:<40s} {r['verdict']:<15s} {r['scale'] or '—':<9s} "
                               f"{r['validation'] or '—'}"))
            lines.append(_clip(f"      {r['where']}. Paper: {r['paper_value']}"))
            if r["measured"]:
                lines.append(_clip(f"      measured {r['measured']}"))
            if r["reason"]:
                lines += textwrap.wrap(f"reason: {r['reason']}", WIDTH, initial_indent=" " * 6,
                                       subsequent_indent=" " * 8, break_on_hyphens=False)
    return lines[1:]


def _cell(text) -> str:
    return "" if text is None else str(text).replace("|", "\\|").replace("\n", " ")


def markdown_lines(rows) -> list[str]:
    """The ledger for ``REPORT.md``: a count per verdict, then a table per paper."""
    lines = ["## Claims ledger", "",
             "Every checkable claim of the four papers, with the verdict of the checks tagged "
             "with it (`pdeopt claims` prints the same).", ""]
    lines += ["| paper | " + " | ".join(VERDICTS) + " | total |",
              "| --- |" + " --- |" * (len(VERDICTS) + 1)]
    for paper in [*PAPERS, None]:
        mine = [r for r in rows if paper is None or r["paper"] == paper]
        lines.append(f"| {paper or 'all'} | "
                     + " | ".join(str(sum(r["verdict"] == v for r in mine)) for v in VERDICTS)
                     + f" | {len(mine)} |")
    for paper in PAPERS:
        mine = [r for r in rows if r["paper"] == paper]
        lines += ["", f"### {paper}", "",
                  "| claim | where | claim | paper | measured | scale | verdict | validation "
                  "| reason |", "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
        for r in mine:
            lines.append("| " + " | ".join(_cell(r[k]) for k in (
                "id", "where", "claim", "paper_value", "measured", "scale", "verdict",
                "validation", "reason")) + " |")
    return lines
