"""inspired-architectures: the --full (MNIST) code path at a tiny size, and its paper checks."""
import json

import numpy as np
import pytest

from pdeopt.validation import inspired_architectures as ia
from pdeopt.validation import run_validations
from pdeopt.validation._harness import Context

NAME = "inspired-architectures"


def _run(tmp_path, data_dir, lines):
    return run_validations([NAME], mode="full", out_dir=tmp_path, data_dir=data_dir,
                           echo=lines.append)[0]


def test_full_mode_trains_units_on_mnist_and_resumes(tmp_path, mnist_dir, monkeypatch):
    tiny = dict(width=8, depths=(2, 3), seeds=2, epochs=2, n_val=200, n_train=300)
    for key, value in tiny.items():
        monkeypatch.setitem(ia.FULL, key, value)
    lines = []
    outcome = _run(tmp_path, mnist_dir, lines)
    assert outcome.status in ("passed", "failed"), outcome.message   # tiny nets may miss 10 %
    saved = sorted((tmp_path / "runs" / NAME).glob("*.npz"))
    assert len(saved) == len(ia.NETS) * 2 * 2                         # nets × depths × seeds
    checks = {c["name"]: c for c in outcome.checks}
    relative = [c for n, c in checks.items() if "relative gain" in n]
    assert len(relative) == 4 and all(c["scale"] == "mnist" and c["paper"] for c in relative)
    # the expected values are the paper's CIFAR-10 numbers, not ours
    assert checks["2 steps: hb vs resnet, relative gain"]["expected"] == pytest.approx(
        (10.05 - 10.17) / 10.05)
    assert checks["3 steps: agd vs densenet, relative gain"]["expected"] == pytest.approx(
        (6.05 - 5.75) / 6.05)
    report = (tmp_path / "REPORT.md").read_text()
    assert "test error" in report and "MNIST" in report
    ledger = {r["id"]: r for r in json.loads((tmp_path / "results.json").read_text())["claims"]}
    assert ledger["lin2019/hbnet-vs-resnet"]["scale"] == "mnist"
    assert "CIFAR-10" in ledger["lin2019/hbnet-vs-resnet"]["reason"]

    # started again, it loads every unit and measures the same
    lines.clear()
    again = _run(tmp_path, mnist_dir, lines)
    assert any(f"0 unit(s) computed in this run, {len(saved)} loaded" in s for s in lines)
    assert [c["measured"] for c in again.checks] == [c["measured"] for c in outcome.checks]


def test_full_mode_skips_without_mnist(tmp_path, monkeypatch):
    monkeypatch.delenv("PDEOPT_DATA", raising=False)
    (tmp_path / "empty").mkdir()
    outcome = _run(tmp_path, tmp_path / "empty", [])
    assert outcome.status == "skipped" and "MNIST not found" in outcome.message


@pytest.mark.parametrize("shift, passes", [(0.0, True), (0.5, False)])
def test_relative_gain_check_compares_with_the_paper(tmp_path, shift, passes):
    """Errors built so that the paired relative gain is the paper's (+ shift points): the
    check passes on the paper's value and misses when the gain is off by 0.5 points."""
    ctx = Context(NAME, mode="full", seed=0, out_dir=tmp_path, data_dir=None,
                  echo=lambda s: None)
    noise = np.array([0.0, 0.02, -0.02, 0.01])     # paired spread: SE ≈ 0.01 points
    errors = {}
    for (base, net), rows in ia.PAPER.items():
        for steps, (_, e_base, e_net) in zip((4, 10), rows):
            errors[base, steps] = np.full(4, e_base)
            errors[net, steps] = e_net - shift + noise
    ia._check_relative_gains(ctx, errors, (4, 10))
    assert len(ctx.checks) == 4
    assert all(c.passed is passes and c.paper for c in ctx.checks)
