"""Thresholding: true minimisers (pdeopt.testing.assert_prox_optimal), symmetry, monotonicity,
limits, backends."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pdeopt.testing import assert_prox_optimal
from pdeopt.prox import (hard_threshold, penalty_envelope, penalty, soft_threshold, threshold,
                         tl1_threshold, tl1_threshold_value)

KINDS = ("l1", "l0", "tl1")
xs = st.floats(-20, 20, allow_nan=False)
lams = st.floats(0.0, 5.0)
avals = st.floats(0.05, 20.0)


def _objective(u, x, lam, kind, a):
    return lam * penalty(u, kind, a=a) + 0.5 * (u - x) ** 2


def _dense_min(x, lam, kind, a, n=200_001):
    """min over a fine grid of u (with 0 and x on it) of λP(u) + ½(u − x)²."""
    r = abs(x) + 1.0
    u = np.concatenate([np.linspace(-r, r, n), [0.0, x]])
    f = _objective(u, x, lam, kind, a)
    j = np.argmin(f)
    return f[j], u[j], 2 * r / (n - 1)


@settings(deadline=None)
@given(x=st.lists(xs, min_size=1, max_size=3).map(np.array), lam=st.floats(0.01, 5.0),
       a=avals, kind=st.sampled_from(KINDS))
def test_output_is_the_true_minimiser(x, lam, kind, a):
    # prox_{λP}(x) = argmin_u λP(u) + ½|u − x|², by pdeopt.testing's dense neighbourhood search
    # (firm nonexpansiveness too where P is convex: ℓ1)
    assert_prox_optimal(lambda v, g: threshold(v, g, kind, a=a),
                        lambda u: float(np.sum(penalty(u, kind, a=a))), x, gamma=lam,
                        convex=kind == "l1")


@given(x=st.lists(xs, min_size=1, max_size=30), lam=lams, a=avals,
       kind=st.sampled_from(KINDS))
def test_odd_symmetry_and_monotonicity(x, lam, kind, a):
    x = np.sort(np.array(x))
    p = threshold(x, lam, kind, a=a)
    assert np.array_equal(threshold(-x, lam, kind, a=a), -p)
    assert np.all(np.diff(p) >= -1e-12)
    assert np.all(np.abs(p) <= np.abs(x) + 1e-12)  # every prox of an even penalty shrinks


@given(x=st.lists(xs, min_size=1, max_size=30), lam=st.floats(0.01, 5.0))
def test_tl1_limits_are_l0_and_l1(x, lam):
    x = np.array(x)
    # a → 0: ρ_a → ‖·‖₀; away from the jump at √(2λ) the maps agree to O(a)
    a = 1e-7
    far = np.abs(np.abs(x) - np.sqrt(2 * lam)) > 1e-3
    diff = np.abs(tl1_threshold(x, lam, a) - hard_threshold(x, lam))[far]
    assert np.all(diff <= 1e-4 * (1 + np.abs(x[far])))
    # a → ∞: ρ_a → |·| with error O(|u|/a)
    np.testing.assert_allclose(tl1_threshold(x, lam, 1e8), soft_threshold(x, lam), atol=1e-5)


def test_tl1_threshold_regimes():
    a = 1.0
    lam_small, lam_big = 0.2, 2.0  # a²/(2(a+1)) = 0.25 separates them
    assert tl1_threshold_value(lam_small, a) == pytest.approx(0.4)
    assert tl1_threshold_value(lam_big, a) == pytest.approx(np.sqrt(8) - 0.5)
    # continuous regime: the map leaves 0 continuously at t
    t = tl1_threshold_value(lam_small, a)
    assert abs(tl1_threshold([t + 1e-9], lam_small, a)[0]) < 1e-6
    # jump regime: at t the nonzero root and 0 have equal objective
    t = tl1_threshold_value(lam_big, a)
    g = tl1_threshold([t + 1e-12], lam_big, a)[0]
    assert g > 0.5
    assert _objective(np.array([g]), t, lam_big, "tl1", a)[0] == pytest.approx(
        _objective(np.array([0.0]), t, lam_big, "tl1", a)[0], abs=1e-9)


@given(x=xs, lam=lams, a=avals, kind=st.sampled_from(KINDS))
def test_penalty_envelope_is_the_minimum_value(x, lam, kind, a):
    fmin, _, h = _dense_min(x, lam, kind, a)
    e = penalty_envelope(np.array([x]), lam, kind, a=a)[0]
    # The grid's minimum bounds the true one e from above, and not by much. Let p be the
    # true minimiser of f(u) = λP(u) + ½(u − x)². If p = 0, 0 is on the grid: fmin = e.
    # Else f is smooth on the side of 0 where p lies, with f'(p) = 0 and f'' = 1 + λP'' ≤ 1
    # there (P'' = 0 for l1 and l0, < 0 for Tl1, which is concave on each side). Some grid
    # point u lies within h/2 of p on that side (or is 0, and f(0) is at most f's limit
    # at 0), so fmin ≤ f(u) ≤ e + ½(h/2)² = e + h²/8. Rounding: f is evaluated in
    # float64 at values up to ~(|x| + 1)², to ~1e-15 of that.
    rounding = 1e-14 * (1 + abs(x)) ** 2
    assert fmin - h ** 2 / 8 - rounding <= e <= fmin + rounding


def test_penalty_envelope_closed_forms():
    x = np.linspace(-4, 4, 81)
    lam = 1.3
    huber = np.where(np.abs(x) <= lam, x ** 2 / 2, lam * np.abs(x) - lam ** 2 / 2)
    np.testing.assert_allclose(penalty_envelope(x, lam, "l1"), huber, atol=1e-14)
    np.testing.assert_allclose(penalty_envelope(x, lam, "l0"), np.minimum(x ** 2 / 2, lam),
                               atol=1e-14)


@pytest.mark.parametrize("kind", KINDS)
@given(x=st.lists(xs, min_size=1, max_size=200), lam=lams, a=avals)
def test_numba_equals_numpy_twin(kind, x, lam, a):
    x = np.array(x)
    np.testing.assert_allclose(threshold(x, lam, kind, a=a, backend="numba"),
                               threshold(x, lam, kind, a=a, backend="numpy"),
                               rtol=1e-13, atol=1e-13)


@pytest.mark.cuda
@pytest.mark.parametrize("kind", KINDS)
def test_cuda_equals_numpy_twin(kind):
    x = np.random.default_rng(0).normal(scale=3, size=37)
    np.testing.assert_allclose(threshold(x, 1.1, kind, a=0.7, backend="cuda"),
                               threshold(x, 1.1, kind, a=0.7, backend="numpy"),
                               rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("kind", KINDS)
def test_shapes_dtypes_and_integer_promotion(kind):
    x = np.arange(-6, 6).reshape(3, 4)  # integers: promoted, never truncated
    out = threshold(x, 0.3, kind, a=2.0)
    assert out.shape == (3, 4) and out.dtype == np.float64
    if kind != "l0":  # hard thresholding keeps integers; the others shrink by 0.3
        assert np.any(out != np.round(out))  # non-integer results survive
    x32 = np.linspace(-3, 3, 10, dtype=np.float32)
    assert threshold(x32, 0.5, kind, a=2.0).dtype == np.float32
    assert threshold(x, 0.3, kind, a=2.0) is not x


@pytest.mark.parametrize("fn", [lambda x: soft_threshold(x, -0.1),
                                lambda x: hard_threshold(x, -1),
                                lambda x: tl1_threshold(x, -1, 1.0)])
def test_negative_lambda_is_refused(fn):
    with pytest.raises(ValueError, match="lam must be >= 0"):
        fn(np.ones(3))


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match=r"a must be in \(0, 1e\+08\]"):
        tl1_threshold(np.ones(3), 1.0, 0.0)
    with pytest.raises(ValueError, match="x must not be empty"):
        soft_threshold(np.array([]), 1.0)
    with pytest.raises(ValueError, match="NaN"):
        hard_threshold(np.array([1.0, np.nan]), 1.0)
    with pytest.raises(ValueError, match="kind must be one of"):
        threshold(np.ones(2), 1.0, "l2")


@pytest.mark.parametrize("kind", KINDS)
def test_parallel_numba_path_equals_numpy_twin(kind):
    from pdeopt.kernels.prox import PARALLEL_MIN
    x = np.random.default_rng(5).normal(scale=2, size=PARALLEL_MIN + 7)
    np.testing.assert_allclose(threshold(x, 0.8, kind, a=0.5, backend="numba"),
                               threshold(x, 0.8, kind, a=0.5, backend="numpy"),
                               rtol=1e-13, atol=1e-13)


def test_cos_third_acos_polynomial_is_the_cubic_root_to_1e15():
    # the numba/CUDA kernels replace cos(acos(c)/3) by a polynomial in √((1 + c)/2):
    # within 2e-15 of it on all of [-1, 1], and the root of 4s³ − 3s = c in [1/2, 1]
    from pdeopt.kernels.prox import _cos_third_acos
    c = np.concatenate([np.linspace(-1.0, 1.0, 20001), [-1 + 1e-15, 1 - 1e-15]])
    s = np.array([_cos_third_acos(v) for v in c])
    exact = np.cos(np.arccos(c.astype(np.longdouble)) / 3)
    assert float(np.max(np.abs(s - exact))) < 2e-15
    np.testing.assert_allclose(4 * s ** 3 - 3 * s, c, atol=1e-14)
    assert s.min() >= 0.5 - 1e-15 and s.max() <= 1.0 + 1e-15


def test_tl1_polynomial_tiers_are_two_thirds_cos_third_acos_to_4e16():
    # the compiled Tℓ1 map evaluates ⅔cos(acos(c)/3) by one of four polynomials in
    # t = (2u − 1 − lo)/(1 − lo), u = √((1 + c)/2) ∈ [lo, 1]; the reference is acos/cos in
    # extended precision, u from a grid that includes the ends (the first polynomial is
    # ⅔ of the one tested above to 2e-15)
    from pdeopt.kernels.prox import _TL1_TIERS, _horner4
    for lo, coefficients in _TL1_TIERS:
        u = np.concatenate([np.linspace(lo, 1.0, 4001), [lo + 1e-12, 1.0 - 1e-15]])
        t = (2 * u - 1 - lo) / (1 - lo)
        p = np.array([_horner4(coefficients)(v) for v in t])
        # acos(c) = 2·acos(u) for c = 2u² − 1: no rounding of c near −1, where acos is steep
        exact = 2 * np.cos(2 * np.arccos(u.astype(np.longdouble)) / 3) / 3
        assert float(np.max(np.abs(p - exact))) < (4e-16 if lo > 0 else 2e-15)


@settings(deadline=None, max_examples=200)
@given(lam=st.floats(1e-3, 50.0), a=st.floats(1e-3, 100.0))
def test_tl1_tier_covers_every_entry_above_the_threshold(lam, a):
    # the kernel's polynomial is chosen once per call from u at |x| = t; u grows with |x|, so
    # u (computed as the kernel does, with float64 rounding) of entries just above t and far
    # above it must lie in the chosen polynomial's range [lo, 1]
    from pdeopt.kernels.prox import _TL1_TIERS, _tl1_tier, tl1_kappa
    t = tl1_threshold_value(lam, a)
    kappa = tl1_kappa(lam, a)
    lo = _TL1_TIERS[_tl1_tier(kappa, a, t)][0]
    x = np.nextafter(t, np.inf) * np.array([1.0, 1 + 1e-12, 1.5, 10.0, 1e6])
    w = kappa / (a + x)
    u = np.sqrt(np.maximum(1.0 - w * w * w, 0.0))
    assert np.all(u >= lo - 1e-12)


@pytest.mark.parametrize("lam", [0.05, 0.126, 0.25, 0.8, 2.5, 50.0])
def test_compiled_tl1_agrees_with_the_closed_form_on_every_tier(lam):
    # a = 1: these λ pick polynomials 2, 1, 0 (λ = 1/4: the regime boundary, where u reaches
    # 0), 1, 2 and 3; the NumPy twin reads like Zhang & Xin's formula (arccos, cos)
    from pdeopt.kernels.prox import _tl1_tier, tl1_kappa
    a = 1.0
    t = tl1_threshold_value(lam, a)
    tiers = {_tl1_tier(tl1_kappa(lam, a), a, t)}
    x = np.random.default_rng(3).normal(scale=3 * t + 1, size=4000)
    x = np.concatenate([x, [t, np.nextafter(t, np.inf), -np.nextafter(t, np.inf), 1e8]])
    p, q = (tl1_threshold(x, lam, a, backend=b) for b in ("numba", "numpy"))
    # the continuous regime (λ ≤ a²/(2(a + 1))) is ill-conditioned at its threshold, where
    # the map leaves 0 like a square root: both forms lose digits there alike
    bound = 4e-15 * (np.abs(x) + a) if lam > 0.25 else 1e-9 * (np.abs(x) + a)
    assert np.all(np.abs(p - q) <= bound), tiers


@settings(deadline=None, max_examples=300)
@given(x=st.lists(st.floats(-50, 50, allow_nan=False), min_size=1, max_size=20).map(np.array),
       a=st.floats(0.05, 20.0), over=st.floats(1.2, 1e3))
def test_compiled_tl1_is_the_closed_form_where_it_jumps(x, a, over):
    # λ = over·a²/(2(a + 1)): the jump regime, where the map is well conditioned (at the
    # regime boundary, over → 1, it leaves 0 like a square root); there the compiled map, on
    # whichever polynomial λ and a select, is the NumPy twin's arccos/cos formula to rounding
    lam = over * a * a / (2 * (a + 1))
    p, q = (tl1_threshold(x, lam, a, backend=b) for b in ("numba", "numpy"))
    assert np.all(np.abs(p - q) <= 1e-14 * (np.abs(x) + a))


def test_compiled_tl1_loops_load_from_numba_cache_in_a_new_process(tmp_path):
    # each polynomial's loop is compiled once per machine, not once per process: a loop
    # that closed over its map was keyed by the map's pickled cells, which change from
    # process to process (0.3 s of compiling per first call, and a cache entry each time)
    import os
    import subprocess
    import sys
    code = ("import numpy as np; from pdeopt.prox import tl1_threshold; "
            "tl1_threshold(np.linspace(-5, 5, 101), 0.8, 0.5, backend='numba')")
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path), NUMBA_DEBUG_CACHE="1")
    logs = [subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                           text=True, check=True).stdout for _ in range(2)]
    tl1 = [[line for line in log.splitlines() if "_tl1_loop_tier" in line] for log in logs]
    assert any("data saved" in line for line in tl1[0])
    assert any("data loaded" in line for line in tl1[1])
    assert not any("data saved" in line for line in tl1[1])
