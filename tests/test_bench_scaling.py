"""`pdeopt bench --scaling`: the exponent fit, and the sweep running on tiny sizes.

Speed is never asserted: the fit is checked on synthetic timings, the sweep only for what
it prints and writes.
"""
import json

import numpy as np
import pytest

from pdeopt.bench.scaling import TOLERANCE, fit_exponent, run_scaling, theory_exponent

SIZES = np.array([1e3, 3e3, 1e4, 3e4, 1e5, 3e5])


@pytest.mark.parametrize("b", [0.5, 1.0, 1.5, 2.0])
def test_fit_recovers_the_exponent_of_a_power_law(b):
    got, se = fit_exponent(SIZES, 3e-9 * SIZES ** b)
    assert got == pytest.approx(b, abs=1e-12)
    assert se < 1e-12


def test_fit_with_noise_is_within_its_standard_error():
    rng = np.random.default_rng(0)
    hits = 0
    for _ in range(200):
        t = 2e-8 * SIZES ** 1.5 * np.exp(0.1 * rng.standard_normal(SIZES.size))
        b, se = fit_exponent(SIZES, t)
        assert 0 < se < 0.1
        hits += abs(b - 1.5) <= 2 * se
    # the least-squares slope's interval: ±2 standard errors covers ~88 % with 4 dof (t law)
    assert 0.8 <= hits / 200 <= 0.97


def test_fit_of_n_log_n_timings_matches_its_theory_exponent():
    t = 1e-9 * SIZES * np.log(SIZES)
    b, _ = fit_exponent(SIZES, t)
    assert b == pytest.approx(theory_exponent("N log N", SIZES), abs=1e-12)
    assert 1.0 < b < 1.2
    assert theory_exponent("N", SIZES) == pytest.approx(1.0)
    assert theory_exponent("n^2", SIZES) == pytest.approx(2.0)


def test_fit_refuses_what_has_no_slope():
    with pytest.raises(ValueError, match="3 or more"):
        fit_exponent([1, 2], [1, 2])
    with pytest.raises(ValueError, match="positive and finite"):
        fit_exponent([1, 2, 3], [1, 0, 3])
    with pytest.raises(ValueError, match="not all be equal"):
        fit_exponent([2, 2, 2], [1, 2, 3])
    with pytest.raises(ValueError, match="theory must be one of"):
        theory_exponent("N^3", SIZES)


TINY = {"hj": [16, 24, 32, 48, 64], "hopf_lax": [100, 200, 400, 800, 1600],
        "hio": [16, 24, 32, 48, 64], "graph": [60, 90, 120, 180, 240], "graph_dim": 4,
        "steps": 1, "repeat": 1, "min_time": 0.0, "slow_repeat": 1, "search": "exact",
        "labels_per_class": 2}


def test_the_sweep_runs_on_tiny_sizes_and_writes_its_figure(tmp_path):
    lines = []
    rows = run_scaling(plan=TINY, out_dir=tmp_path, echo=lines.append)
    names = [r["series"] for r in rows]
    assert names == ["HJ Godunov step, 2-D", "Hopf-Lax envelope, 1-D", "HIO iteration",
                     "kNN build", "SpMM, 10 columns", "WNLL solve",
                     "WNLL solve per CG iteration"]
    text = "\n".join(lines)
    for r in rows:
        assert len(r["sizes"]) == 5 and all(t > 0 for t in r["seconds"])
        assert np.isfinite(r["exponent"]) and r["stderr"] >= 0
        assert r["flagged"] == (r["exponent"] - r["theory_exponent"] > TOLERANCE)
        assert f"theory {r['theory']}" in text
    assert "time/(N log N): exponent" in text          # the HIO's exponent over its theory
    flagged = sum(r["flagged"] for r in rows)
    assert text.count("above theory by") == flagged
    assert all(i >= 1 for i in rows[5]["extra"]["CG iterations"])
    saved = json.loads((tmp_path / "scaling.json").read_text())
    assert [r["series"] for r in saved["rows"]] == names
    assert (tmp_path / "scaling.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    import numba
    assert numba.get_num_threads() == numba.config.NUMBA_NUM_THREADS  # given back


def test_cli_refuses_names_with_scaling(capsys):
    from pdeopt.cli import main
    assert main(["bench", "--scaling", "prox", "--out", "/tmp"]) == 2
    assert "--scaling runs its own sweep" in capsys.readouterr().err
