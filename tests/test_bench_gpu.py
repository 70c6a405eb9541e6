"""``pdeopt bench gpu`` skips cleanly without a GPU, and its code runs in numba's simulator."""
import pytest

from pdeopt.bench import BenchContext
from pdeopt.bench import gpu


def test_skips_with_the_reason_without_a_gpu(monkeypatch):
    monkeypatch.setattr(gpu, "_why_not", lambda: "no CUDA GPU or driver was found")
    ctx = BenchContext("gpu", quick=True, echo=lambda line: None)
    gpu.bench(ctx)
    assert ctx.rows == [{"group": "gpu", "note": "skipped: no CUDA GPU or driver was found"}]


class _Tiny(BenchContext):
    def pick(self, quick, default):
        # the simulator runs every thread in Python: 100 entries (a 10² grid), 1 repetition
        return min(quick, 100) if quick >= 1000 else 1


@pytest.mark.cuda
@pytest.mark.filterwarnings("ignore:Simulator timings are bogus")
def test_runs_in_the_simulator(monkeypatch):
    monkeypatch.setattr(gpu, "_why_not", lambda: "")
    ctx = _Tiny("gpu", quick=True, echo=lambda line: None)
    gpu.bench(ctx)
    rows = {r["kernel"]: r for r in ctx.rows if "kernel" in r}
    assert set(rows) == {"soft threshold", "hard threshold", "Tl1 threshold",
                         "ternary projection", "HJ godunov step", "HJ eno2 step",
                         "HJ viscous step"}
    assert {"device copy", "soft kernel", "soft_threshold device", "soft_threshold host",
            "numba CPU out="} <= set(rows["soft threshold"]["seconds"])
    assert {"device copy", "tl1 kernel", "tl1_threshold device",
            "numba CPU out="} <= set(rows["Tl1 threshold"]["seconds"])
    assert {"device copy", "ternary combine kernel",
            "numba CPU combine out="} <= set(rows["ternary projection"]["seconds"])
    assert {"device copy", "eno2 stencil kernel", "numba CPU stencil out=",
            "solve cuda, per step", "solve numba, per step"} <= set(rows["HJ eno2 step"]["seconds"])
    assert all(t > 0 for r in rows.values() for t in r["seconds"].values())
    metrics = {r["metric"] for r in ctx.rows if "metric" in r}
    assert {"host round trip / device-resident", "hard kernel, fraction of a device copy",
            "ternary combine kernel, fraction of a device copy",
            "HJ viscous: numba CPU / device, whole solve per step"} <= metrics


def test_gpu_check_dry_run_writes_a_no_gpu_json(tmp_path):
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    from pdeopt.kernels import cuda_available
    if os.environ.get("NUMBA_ENABLE_CUDASIM") != "1" and cuda_available()[0]:
        pytest.skip("a real GPU is here: tools/gpu-check would run the whole check")
    root = Path(__file__).resolve().parents[1]
    out = tmp_path / "bench-gpu.json"
    env = dict(os.environ, GPU_CHECK_NO_INSTALL="1", GPU_CHECK_OUT=str(out),
               PYTHON=sys.executable)
    done = subprocess.run(["bash", str(root / "tools" / "gpu-check")], env=env, cwd=root,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    payload = json.loads(out.read_text())
    assert payload["gpu"] is False and payload["machine"].startswith("no GPU")
    assert payload["bench"] == {} and payload["versions"]["numpy"]


def test_gpu_check_runs_its_steps_in_the_simulator(tmp_path):
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path
    root = Path(__file__).resolve().parents[1]
    out = tmp_path / "bench-gpu.json"
    env = dict(os.environ, GPU_CHECK_NO_INSTALL="1", GPU_CHECK_OUT=str(out),
               PYTHON=sys.executable, GPU_CHECK_SIMULATOR="1", GPU_CHECK_GROUPS="gpu nonesuch",
               GPU_CHECK_PYTEST_ARGS="tests/test_hj_gpu.py -k max_slope")
    done = subprocess.run(["bash", str(root / "tools" / "gpu-check")], env=env, cwd=root,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    payload = json.loads(out.read_text())
    assert payload["gpu"] is False                   # the simulator is no GPU
    assert payload["pytest"]["exit"] == 0 and "1 passed" in payload["pytest"]["summary"]
    assert payload["groups_left_out"] == ["nonesuch"]
    notes = [row["note"] for row in payload["bench"]["gpu"]["rows"]]
    assert payload["bench"]["gpu"]["exit"] == 0
    assert any(note.startswith("skipped: numba's CUDA simulator") for note in notes)
