"""The claims ledger: declarations, verdicts from synthetic runs, the claim= tag, the CLI."""
import json

import pytest

from pdeopt.cli import main
from pdeopt.validation import registry
from pdeopt.validation._claims import CLAIMS, CLAIMS_BY_ID, PAPERS, Claim
from pdeopt.validation._harness import Context
from pdeopt.validation._ledger import FIELDS, VERDICTS, build_ledger, select

PAPERS_DIR_STEMS = {"osher-2018-new-techniques-in-optimization",
                    "oberman-2017-deep-relaxation-pdes",
                    "lin-2019-optimization-and-deep-neural-networks",
                    "dinh-xin-2020-relaxed-variable-splitting-cgd"}


def test_declarations_are_complete_and_unique():
    assert len(CLAIMS) >= 70
    assert set(PAPERS) == PAPERS_DIR_STEMS == {c.paper for c in CLAIMS}
    ids = [c.id for c in CLAIMS]
    assert len(ids) == len(set(ids))
    names = set(registry())
    for c in CLAIMS:
        assert c.id.count("/") == 1 and c.id == c.id.strip().lower(), c.id
        assert c.where and c.claim and c.paper_value, c.id
        assert c.validation is None or c.validation in names, (c.id, c.validation)
        if c.validation is None:
            assert c.not_run_reason, f"{c.id}: a row with no validation needs its reason"
        if c.data not in (None, "MNIST"):
            assert c.not_run_reason, f"{c.id}: {c.data} is out of reach: say why"
    for paper in PAPERS:
        assert sum(c.paper == paper for c in CLAIMS) >= 10, paper


def _run(mode, *checks, name="accelerated-rates", status="passed"):
    return {"mode": mode, "validations": [{"name": name, "status": status, "message": "",
                                           "checks": list(checks)}]}


def _check(claims, passed=True, measured=0.5, expected=1.0, name="c", scale="built-in",
           headline=False):
    return {"name": name, "measured": measured, "expected": expected, "passed": passed,
            "claims": list(claims), "scale": scale, "headline": headline}


THEORY = Claim("t/theory", PAPERS[0], "Theorem 1", "a theorem", "bound", "accelerated-rates")
MNIST = Claim("t/mnist", PAPERS[0], "Table 2", "an MNIST number", "97.7 %", "accelerated-rates",
              data="MNIST", analogue="an MLP on digits")
CIFAR = Claim("t/cifar", PAPERS[0], "Table 3", "a CIFAR number", "90 %", "accelerated-rates",
              data="CIFAR-10", not_run_reason="needs CIFAR-10")
NONE = Claim("t/none", PAPERS[0], "Fig. 1", "a figure", "curves", None,
             not_run_reason="needs ImageNet")


def _row(runs, claim, **kw):
    return build_ledger(runs, claims=[claim], **kw)[0]


def test_verdicts_from_synthetic_runs():
    ok = _run("default", _check(["t/theory"]), _check(["t/theory"], name="d"))
    row = _row([ok], THEORY)
    assert (row["verdict"], row["scale"], row["reason"]) == ("reproduced", "paper", None)
    assert row["measured"] == "0.5 vs 1 (c); 0.5 vs 1 (d)"
    mixed = _run("default", _check(["t/theory"]), _check(["t/theory"], False, name="d"))
    row = _row([mixed], THEORY)
    assert row["verdict"] == "partial" and row["reason"].startswith("1 of 2 checks pass")
    assert "failed: d (0.5 vs 1)" in row["reason"]
    headline = _run("default", _check(["t/theory"]),
                    _check(["t/theory"], False, name="d", headline=True))
    assert _row([headline], THEORY)["verdict"] == "not reproduced"
    failed = _run("default", _check(["t/theory"], False, measured=0.018, expected=0.01796))
    row = _row([failed], THEORY)
    assert row["verdict"] == "not reproduced" and "0.018 vs 0.01796" in row["measured"]


def test_scale_decides_between_reproduced_and_partial():
    digits = _run("default", _check(["t/mnist"]))
    row = _row([digits], MNIST)
    assert (row["verdict"], row["scale"]) == ("partial", "built-in")
    assert row["reason"] == "built-in: an MLP on digits, the paper used MNIST"
    full = _run("full", _check(["t/mnist"], scale="mnist"))
    row = _row([digits, full], MNIST)       # runs merge, the largest scale winning
    assert (row["verdict"], row["scale"], row["reason"]) == ("reproduced", "mnist", None)
    failing_digits = _run("default", _check(["t/mnist"], False))
    assert _row([failing_digits, full], MNIST)["verdict"] == "reproduced"
    row = _row([_run("full", _check(["t/cifar"], scale="mnist"))], CIFAR)  # paper: CIFAR-10
    assert row["verdict"] == "partial" and row["reason"].startswith("MNIST, the paper used CIFAR")
    assert row["reason"].endswith("; needs CIFAR-10")


def test_an_unchecked_part_keeps_a_passing_row_partial():
    halves = Claim("t/halves", PAPERS[0], "Table 2", "ours beats a baseline", "97 vs 89 %",
                   "accelerated-rates", data="MNIST", unchecked="the baseline is not built")
    full = _run("full", _check(["t/halves"], scale="mnist"))
    row = _row([full], halves)
    assert (row["verdict"], row["reason"]) == ("partial", "the baseline is not built")
    failing = _run("full", _check(["t/halves"], False, scale="mnist"))
    assert _row([failing], halves)["verdict"] == "not reproduced"


def test_not_run_reasons():
    assert _row([], NONE)["reason"] == "needs ImageNet"
    assert _row([], THEORY, no_results="no results")["reason"] == "no results"
    untagged = _run("default", _check([]))
    assert _row([untagged], THEORY)["reason"] == "no check of this claim yet"
    skipped = {"mode": "default", "validations": [{"name": "accelerated-rates",
               "status": "skipped", "message": "needs MNIST", "checks": []}]}
    assert _row([skipped], THEORY)["reason"] == "accelerated-rates skipped: needs MNIST"
    other = _run("default", _check([]), name="kramers")
    assert _row([other], THEORY)["reason"] == "accelerated-rates is not in the results"
    for row in build_ledger([]):
        assert row["verdict"] == "not run" and row["reason"]


def test_claim_tag_is_recorded_and_a_typo_raises(tmp_path):
    ctx = Context("accelerated-rates", mode="quick", seed=0, out_dir=tmp_path, data_dir=None,
                  echo=lambda line: None)
    ctx.check("bound", 0.1, 1.0, comparison="le", claim="lin2019/theorem1-gd")
    ctx.check("both", 0.1, 1.0, comparison="le",
              claim=["lin2019/theorem2-heavy-ball", "lin2019/theorem3-nesterov"], headline=True)
    assert ctx.checks[0].claims == ["lin2019/theorem1-gd"]
    assert ctx.checks[1].claims == ["lin2019/theorem2-heavy-ball", "lin2019/theorem3-nesterov"]
    assert ctx.checks[1].headline and ctx.checks[0].scale == "built-in"
    with pytest.raises(ValueError, match="unknown claim id 'lin2019/theorem1-gdd'"):
        ctx.check("typo", 0.1, 1.0, claim="lin2019/theorem1-gdd")
    with pytest.raises(ValueError, match="declared for validation 'kramers'"):
        ctx.check("wrong validation", 0.1, 1.0, claim="oberman2017/kramers")
    with pytest.raises(TypeError):
        ctx.check("not a string", 0.1, 1.0, claim=[1])
    assert len(ctx.checks) == 2


def test_validate_writes_the_ledger(tmp_path, capsys):
    assert main(["validate", "accelerated-rates", "--quick", "--out", str(tmp_path)]) == 0
    results = json.loads((tmp_path / "results.json").read_text())
    rows = {r["id"]: r for r in results["claims"]}
    assert len(rows) == len(CLAIMS)
    assert rows["lin2019/theorem1-gd"]["verdict"] == "reproduced"
    # Table 1 as printed: two of its eight rows miss (softsign, leaky ReLU): partial
    assert rows["lin2019/objectives-table"]["verdict"] == "partial"
    assert "6 of 8 checks pass" in rows["lin2019/objectives-table"]["reason"]
    report = (tmp_path / "REPORT.md").read_text()
    assert "## Claims ledger" in report
    assert all(f"### {paper}" in report for paper in PAPERS)
    capsys.readouterr()
    assert main(["claims", "--results", str(tmp_path), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == len(CLAIMS)
    assert all(set(r) == set(FIELDS) for r in rows)
    assert {r["verdict"] for r in rows} <= set(VERDICTS)
    for r in rows:
        if r["verdict"] != "not run":
            assert r["validation"] in registry() and r["measured"] and r["paper_value"]
        if r["verdict"] != "reproduced":
            assert r["reason"], r["id"]


def test_claims_table_filters_and_summary(tmp_path, capsys):
    assert main(["claims", "--results", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("no results in") and "not run" in out
    assert max(map(len, out.splitlines())) <= 100
    assert main(["claims", "--results", str(tmp_path), "--paper", "lin", "--verdict",
                 "not run"]) == 0
    out = capsys.readouterr().out
    assert "lin2019/theorem1-gd" in out and "osher2018/" not in out
    assert max(map(len, out.splitlines())) <= 100
    assert main(["claims", "--results", str(tmp_path), "--summary"]) == 0
    out = capsys.readouterr().out
    assert max(map(len, out.splitlines())) <= 100
    assert f"{len(CLAIMS)}" in out.splitlines()[-1]
    assert main(["claims", "--paper", "nobody"]) == 2
    assert "unknown" in capsys.readouterr().err
    with pytest.raises(ValueError, match="ambiguous"):
        select(build_ledger([]), paper="o")
    assert {r["paper"] for r in select(build_ledger([]), paper="ob")} == {PAPERS[1]}
    assert CLAIMS_BY_ID["lin2019/theorem1-gd"].validation == "accelerated-rates"
