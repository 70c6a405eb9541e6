"""`pdeopt bench prox --quick` runs and its backends agree (timings are never asserted)."""
import json


def test_prox_bench_quick_runs(tmp_path):
    from pdeopt.bench._harness import run_benchmarks
    rows = run_benchmarks(["prox"], quick=True, out_dir=tmp_path, echo=lambda *_: None)
    kernels = {r["kernel"]: r for r in rows if "kernel" in r}
    assert {"soft threshold", "hard threshold", "transformed-l1 threshold",
            "BinaryRelax combine (4-bit)"} <= set(kernels)
    for row in kernels.values():
        assert row["check"] == "max |out - numpy| = 0.00e+00" or float(
            row["check"].split("=")[1]) < 1e-12, row
        assert row["fraction_of_copy"]["numba"] > 0
    # the thresholds at 1 and at 2 numba threads, and the load average said before and after
    sizes = {r["size"] for r in rows if r.get("kernel") == "transformed-l1 threshold"}
    assert {s.split(", ")[1] for s in sizes} == {"numba on 1 thread(s)", "numba on 2 thread(s)"}
    assert sum("load average" in r.get("note", "") for r in rows) == 2
    assert json.loads((tmp_path / "bench.json").read_text())["quick"] is True
