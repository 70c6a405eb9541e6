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
        return min(quick, 300)  # the simulator runs every thread in Python


@pytest.mark.cuda
@pytest.mark.filterwarnings("ignore:Simulator timings are bogus")
def test_runs_in_the_simulator(monkeypatch):
    monkeypatch.setattr(gpu, "_why_not", lambda: "")
    ctx = _Tiny("gpu", quick=True, echo=lambda line: None)
    gpu.bench(ctx)
    (row,) = [r for r in ctx.rows if r.get("kernel") == "soft threshold"]
    assert {"device copy", "soft kernel", "soft_threshold device", "soft_threshold host",
            "numba CPU out="} <= set(row["seconds"])
    assert all(t > 0 for t in row["seconds"].values())
    assert any(r.get("metric") == "host round trip / device-resident" for r in ctx.rows)
