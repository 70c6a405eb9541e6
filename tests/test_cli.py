"""The pdeopt command and the validation harness."""
import json
import math
import os
import subprocess
import sys

import numpy as np
import pytest

from pdeopt.cli import main
from pdeopt.validation import registry
from pdeopt._io import atomic_write
from pdeopt.validation._harness import Context


def test_list_names_every_validation(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    for name in registry():
        assert name in out


def test_validate_writes_report_json_and_figure(tmp_path, capsys):
    assert main(["validate", "moreau-abs", "--quick", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "  PASS  " in out and "  FAIL  " not in out
    assert (tmp_path / "moreau-abs.png").stat().st_size > 10_000
    report = (tmp_path / "REPORT.md").read_text()
    assert "| moreau-abs |" in report and "![moreau-abs](moreau-abs.png)" in report
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["validations"][0]["status"] == "passed"
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".tmp")]


@pytest.mark.parametrize("argv,message", [
    (["validate", "no-such-validation"], "unknown validation 'no-such-validation'"),
    (["validate", "--data", "/nonexistent"], "--data /nonexistent: MNIST not found"),
    (["bench", "--out", "/proc/forbidden"], None),
])
def test_usage_errors_exit_2_with_one_line(argv, message, capsys):
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1
    if message:
        assert message in err


def test_unwritable_out_exits_2(tmp_path, capsys):
    target = tmp_path / "file"
    target.write_text("x")
    assert main(["validate", "moreau-abs", "--quick", "--out", str(target / "sub")]) == 2
    assert "not a writable folder" in capsys.readouterr().err


def test_failed_check_gives_exit_1(tmp_path, monkeypatch, capsys):
    from pdeopt.validation import _harness

    def failing(ctx):
        ctx.check("deliberately wrong", 1.0, 0.0, tol=0.5)
    monkeypatch.setitem(_harness._REGISTRY, "zz-failing",
                        _harness.Validation("zz-failing", failing, "test", "fails"))
    assert main(["validate", "zz-failing", "--out", str(tmp_path)]) == 1
    assert "FAIL" in capsys.readouterr().out


def test_check_comparisons_and_nan(tmp_path):
    ctx = Context("t", mode="quick", seed=0, out_dir=tmp_path, data_dir=None, echo=lambda s: None)
    assert ctx.check("abs", 1.05, 1.0, tol=0.1)
    assert not ctx.check("abs", 1.2, 1.0, tol=0.1)
    assert ctx.check("rel", 105, 100, tol=0.06, comparison="rel")
    assert ctx.check("le", 0.9, 1.0, comparison="le")
    assert not ctx.check("ge", 0.9, 1.0, comparison="ge")
    assert ctx.check("true", True, True, comparison="true")
    assert not ctx.check("nan never passes", math.nan, 0.0, tol=math.inf)
    with pytest.raises(ValueError, match="comparison must be"):
        ctx.check("x", 1, 1, comparison="approx")


def test_context_rng_depends_on_seed_and_name(tmp_path):
    make = lambda name, seed: Context(name, mode="quick", seed=seed, out_dir=tmp_path,
                                      data_dir=None).rng.random()
    assert make("a", 0) == make("a", 0)
    assert make("a", 0) != make("b", 0) and make("a", 0) != make("a", 1)


def test_atomic_write_replaces_whole(tmp_path):
    atomic_write(tmp_path / "f.txt", "one")
    atomic_write(tmp_path / "f.txt", "two")
    assert (tmp_path / "f.txt").read_text() == "two" and os.listdir(tmp_path) == ["f.txt"]


def test_console_script_runs_from_another_directory(tmp_path):
    out = subprocess.run([sys.executable, "-m", "pdeopt", "list"], cwd=tmp_path,
                         capture_output=True, text=True, check=True).stdout
    assert "moreau-abs" in out


def test_bench_quick_runs_every_group_and_writes_json(tmp_path, capsys):
    from pdeopt.bench import registry as bench_registry
    assert main(["bench", "--quick", "--out", str(tmp_path)]) == 0
    rows = json.loads((tmp_path / "bench.json").read_text())["rows"]
    assert {r["group"] for r in rows} == set(bench_registry())
    for row in rows:  # every timed comparison has positive times and its ratios
        if "seconds" in row:
            assert all(t > 0 for t in row["seconds"].values())
            assert row["speedup"][row["baseline"]] == 1.0
    assert main(["bench", "no-such-group"]) == 2
    assert "unknown benchmark 'no-such-group'" in capsys.readouterr().err


def test_full_run_units_are_saved_reused_and_recomputed_when_settings_change(tmp_path):
    calls = []

    def compute(v):
        calls.append(v)
        return {"curve": np.arange(3.0) * v, "best": v}

    def run(v, fresh=False, params=None):
        ctx = Context("demo", mode="full", seed=0, out_dir=tmp_path, data_dir=None,
                      echo=lambda s: None, fresh=fresh)
        specs = [(f"run{k}", (lambda k=k: compute(v + k)), params or {"v": v, "k": k})
                 for k in range(2)]
        return ctx, ctx.units(specs)

    ctx, first = run(1.0)
    assert calls == [1.0, 2.0] and ctx.units_computed == 2
    assert sorted(p.name for p in (tmp_path / "runs" / "demo").iterdir()) == ["run0.npz",
                                                                             "run1.npz"]
    ctx, again = run(1.0)                      # a second sitting: nothing recomputed
    assert calls == [1.0, 2.0] and ctx.units_reused == 2
    np.testing.assert_array_equal(again[1]["curve"], first[1]["curve"])
    assert float(again[1]["best"]) == 2.0
    run(5.0)                                   # other settings: recomputed
    assert calls[2:] == [5.0, 6.0]
    run(5.0, fresh=True)                       # --fresh: recomputed
    assert calls[4:] == [5.0, 6.0]
    # outside --full nothing is saved
    ctx = Context("other", mode="default", seed=0, out_dir=tmp_path, data_dir=None,
                  echo=lambda s: None)
    assert ctx.units([("a", lambda: {"x": 1}, {})]) == [{"x": 1}]
    assert not (tmp_path / "runs" / "other").exists()


def test_a_unit_locked_by_a_live_process_is_left_to_it_and_a_stale_lock_is_taken(tmp_path):
    from pdeopt.validation._harness import _claim
    lock = tmp_path / "u.lock"
    lock.write_text(str(os.getppid()))        # a live process that is not us
    assert not _claim(lock)
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    lock.write_text(done.stdout.strip())       # that process has exited: a stale lock
    assert _claim(lock) and lock.read_text() == str(os.getpid())


def test_simple_classifiers_helpers():
    from pdeopt.validation.simple_classifiers import paired_se, unit_norm
    rng = np.random.default_rng(0)
    images = rng.uniform(0, 1, (5, 4, 4))
    unit = unit_norm(images)
    assert unit.shape == images.shape
    flat, raw = unit.reshape(5, -1), images.reshape(5, -1)
    np.testing.assert_allclose(np.linalg.norm(flat, axis=1), 1.0)
    # Euclidean distance of unit vectors is angular: |x - y|² = 2 - 2 cos θ
    cos = raw[0] @ raw[1] / np.linalg.norm(raw[0]) / np.linalg.norm(raw[1])
    np.testing.assert_allclose(np.sum((flat[0] - flat[1]) ** 2), 2 - 2 * cos)
    # paired SE from the discordant pairs: 4 of 100 differ -> √4 / 100
    a = np.ones(100, bool)
    b = a.copy()
    b[:4] = False
    assert paired_se(a, b) == pytest.approx(0.02)
    # a blank image stays blank, not NaN
    blank = unit_norm(np.zeros((2, 3, 3)))
    assert np.array_equal(blank, np.zeros((2, 3, 3)))


def test_version_is_the_installed_distributions():
    from importlib.metadata import version
    out = subprocess.run([sys.executable, "-m", "pdeopt", "--version"], capture_output=True,
                         text=True, check=True).stdout
    assert out == f"pdeopt {version('pdeopt')}\n"


def test_a_reader_that_goes_away_ends_the_command_quietly():
    # the reader closes the pipe before pdeopt writes: every write fails (EPIPE)
    child = subprocess.Popen([sys.executable, "-m", "pdeopt", "list"], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    child.stdout.close()
    err = child.stderr.read()
    assert child.wait() == 141 and err == ""
    # and as a user meets it
    shell = subprocess.run(["sh", "-c", f"'{sys.executable}' -m pdeopt list | head -1"],
                           capture_output=True, text=True)
    assert shell.stdout.startswith("validations") and "Traceback" not in shell.stderr


def test_list_fits_100_columns(capsys):
    assert main(["list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert max(map(len, lines)) <= 100
    assert len(lines) >= 2 * len(registry())  # wrapped, not cut: source and description


def test_check_lines_and_tables_fit_100_columns(tmp_path):
    lines = []
    ctx = Context("t", mode="quick", seed=0, out_dir=tmp_path, data_dir=None,
                  echo=lambda s: lines.extend(s.splitlines()))
    ctx.check("a check whose name is longer than the column it is given, by far", 1.0, 1.0,
              tol=1e-3, comparison="rel", note="a note that explains the expected value " * 2)
    ctx.table("| " + " | ".join(f"column {i}" for i in range(20)) + " |")
    ctx.progress("x" * 30 + " " + "y" * 90)
    assert max(map(len, lines)) <= 100
    assert any("REPORT.md has the whole table" in line for line in lines)
    assert ctx.tables[0].endswith("column 19 |")  # the report's copy is whole


def _register(monkeypatch, name, func):
    from pdeopt.validation import _harness
    monkeypatch.setitem(_harness._REGISTRY, name, _harness.Validation(name, func, "test", name))


def test_a_silent_validation_shows_it_is_still_running(tmp_path, monkeypatch, capsys):
    import threading
    import time
    from pdeopt import _io

    def sleepy(ctx):
        time.sleep(0.6)
        ctx.check("woke up", True, True, comparison="true")
    _register(monkeypatch, "zz-sleepy", sleepy)
    monkeypatch.setattr(_io, "HEARTBEAT_S", 0.1)
    assert main(["validate", "zz-sleepy", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    beats = [line for line in out.splitlines() if "zz-sleepy still running" in line]
    assert len(beats) >= 2  # 0.6 s of silence: about 5 lines, one every 0.1 s
    assert out.index("still running") < out.index("PASS  woke up")
    # the heartbeat stopped with the run
    assert "pdeopt-heartbeat" not in [t.name for t in threading.enumerate()]


def test_progress_counts_units_and_validations_with_the_time_left(tmp_path, monkeypatch,
                                                                  capsys):
    def three_units(ctx):
        ctx.units([(k, lambda: {"v": 1}, {}) for k in "abc"])
        ctx.check("ran", True, True, comparison="true")
    _register(monkeypatch, "zz-units", three_units)
    _register(monkeypatch, "zz-units-2", three_units)
    assert main(["validate", "zz-units", "zz-units-2", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    for k, done in zip("abc", ("1/3", "2/3", "3/3")):
        assert f"unit {k}: " in out and f"{done} done" in out
    assert "1/2 done" in out and "2/2 done" in out and "left)" in out


def test_importing_the_main_module_runs_nothing(capsys):
    import importlib
    importlib.import_module("pdeopt.__main__")  # a SystemExit here would fail the test
    assert capsys.readouterr().out == ""


def test_a_silent_benchmark_shows_it_is_still_running(tmp_path, monkeypatch):
    import time
    from pdeopt import _io
    from pdeopt.bench import _harness, run_benchmarks

    def sleepy(ctx):
        time.sleep(0.6)
        ctx.metric("slept", 0.6, unit="s")
    monkeypatch.setitem(_harness._REGISTRY, "zz-sleepy", _harness.Benchmark("zz-sleepy", sleepy,
                                                                           "sleeps"))
    monkeypatch.setattr(_io, "HEARTBEAT_S", 0.1)
    lines = []
    run_benchmarks(["zz-sleepy"], quick=True, out_dir=tmp_path, echo=lines.append)
    beats = [line for line in lines if "zz-sleepy still running" in line]
    assert len(beats) >= 2 and lines.index(beats[0]) < lines.index("  slept: 0.6 s")


def test_a_missed_paper_number_is_a_finding_not_a_failure(tmp_path, capsys):
    # a check that compares with a paper's number prints MISS and leaves the exit status 0;
    # a check of the code's own correctness prints FAIL and makes it 1
    from pdeopt.validation._harness import Context, Check
    ctx = Context("moreau-abs", mode="quick", seed=0, out_dir=tmp_path, data_dir=None)
    claim = next(c.id for c in __import__("pdeopt.validation._claims", fromlist=["CLAIMS"])
                 .CLAIMS if c.validation == "moreau-abs")
    assert not ctx.check("paper's number", 1.0, 2.0, tol=0.1, claim=claim, paper=True)
    assert not ctx.check("an identity", 1.0, 2.0, tol=0.1)
    out = capsys.readouterr().out
    assert "  MISS  paper's number" in out and "  FAIL  an identity" in out
    assert [c.status for c in ctx.checks] == ["MISS", "FAIL"]
    with pytest.raises(ValueError, match="paper=True needs the claim"):
        ctx.check("untagged", 1.0, 1.0, paper=True)
    assert isinstance(ctx.checks[0], Check)
