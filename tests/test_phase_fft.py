"""FFT backends of phase retrieval (scipy.fft, numpy.fft, FFTW) and single precision.

Every backend runs the same iteration, so the R-factor histories agree to rounding. A
float32 run (float32 magnitudes: float32/complex64 iterates, kernels and FFTs) agrees with
the float64 run to the tolerances derived in ``test_single_precision_follows_the_input``.
"""
import sys

import numpy as np
import pytest

from pdeopt import phase as ph
from pdeopt.phase import fft_backends as fb

ALGORITHMS = [ph.error_reduction, ph.hio, ph.oss, ph.pdhg]
BACKENDS = ["scipy", "numpy"] + (["pyfftw"] if fb.pyfftw_available() else [])
needs_pyfftw = pytest.mark.skipif(not fb.pyfftw_available(), reason="pyfftw not installed")


@pytest.fixture(scope="module")
def problem():
    p = ph.nanorice(32, variant=2, oversampling=2.5)
    return p, ph.simulate(p.object)


@pytest.mark.parametrize("options", [{}, {"nonnegative": False, "missing": "centre"}])
@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_every_backend_gives_the_same_history(problem, algorithm, options):
    p, m = problem
    options = dict(options)
    if options.get("missing") == "centre":
        options["missing"] = ph.central_speckle(m.shape, 2)
    runs = {fft: algorithm(m, p.support, 30, rng=3, fft=fft, **options) for fft in BACKENDS}
    want = runs["scipy"].history["r_factor"]
    for fft, res in runs.items():
        assert res.info["fft"] == fft and res.x.dtype == runs["scipy"].x.dtype
        # 30 iterations amplify the rounding differences of the FFTs (≈1e-16) by at most
        # ~1e4 here (the measured worst is 8e-12)
        np.testing.assert_allclose(res.history["r_factor"], want, rtol=1e-10, atol=0)
        np.testing.assert_allclose(res.x, runs["scipy"].x, rtol=0,
                                   atol=1e-9 * np.abs(runs["scipy"].x).max())


def test_auto_picks_pyfftw_when_installed(problem):
    p, m = problem
    res = ph.hio(m, p.support, 2, rng=0)
    assert res.info["fft"] == ("pyfftw" if fb.pyfftw_available() else "scipy")


def test_pyfftw_missing_is_a_clear_error_and_auto_falls_back(problem, monkeypatch):
    p, m = problem
    monkeypatch.setitem(sys.modules, "pyfftw", None)        # import pyfftw → ImportError
    assert not fb.pyfftw_available()
    for algorithm in ALGORITHMS:
        with pytest.raises(ImportError, match="fft='pyfftw'.*pip install pyfftw"):
            algorithm(m, p.support, 2, fft="pyfftw")
    with pytest.raises(ImportError, match="fft='pyfftw'"):
        ph.reconstruct_many(ph.hio, m, p.support, 2, 2, n_jobs=1, fft="pyfftw")
    assert ph.hio(m, p.support, 2, rng=0, fft="auto").info["fft"] == "scipy"


@pytest.mark.parametrize("bad,error", [("fftw", ValueError), ("SciPy", ValueError),
                                       (None, TypeError), (1, TypeError)])
def test_bad_fft_is_refused_naming_it(problem, bad, error):
    p, m = problem
    for algorithm in ALGORITHMS:
        with pytest.raises(error, match="fft"):
            algorithm(m, p.support, 2, fft=bad)
    with pytest.raises(error, match="fft"):
        ph.reconstruct_many(ph.hio, m, p.support, 2, 2, n_jobs=1, fft=bad)


@pytest.mark.parametrize("executor,n_jobs", [("process", 1), ("thread", 2)])
def test_reconstruct_many_passes_fft_to_the_runs(problem, executor, n_jobs):
    p, m = problem
    runs = {fft: ph.reconstruct_many(ph.hio, m, p.support, 10, 2, rng=5, n_jobs=n_jobs,
                                     executor=executor, fft=fft) for fft in BACKENDS}
    for fft, results in runs.items():
        for res, ref in zip(results, runs["scipy"]):
            assert res.info["fft"] == fft
            np.testing.assert_allclose(res.history["r_factor"], ref.history["r_factor"],
                                       rtol=1e-10)


@pytest.mark.parametrize("shape", [(8, 8), (7, 10), (9, 5), (1, 6)])
@pytest.mark.parametrize("single", [False, True])
@pytest.mark.parametrize("fft", BACKENDS)
def test_backend_transforms_are_the_unitary_dft_over_c(fft, single, shape):
    rng = np.random.default_rng(0)
    real = rng.standard_normal(shape).astype(np.float32 if single else np.float64)
    cplx = (real + 1j * rng.standard_normal(shape)).astype(np.complex64 if single
                                                           else np.complex128)
    b = fb.fft_backend(fft, shape, real.dtype)
    tol = dict(rtol=1e-5, atol=1e-5) if single else dict(rtol=1e-12, atol=1e-12)
    for a in (real, cplx):
        keep = a.copy()
        z = b.forward(a, out=b.empty())
        assert z.dtype == (np.complex64 if single else np.complex128)
        np.testing.assert_array_equal(a, keep)                      # the input is kept
        np.testing.assert_allclose(z * b.scale, np.fft.fft2(a, norm="ortho"), **tol)
        back = b.inverse(z.copy(), overwrite=True)
        np.testing.assert_allclose(back * b.scale ** 2, a, **tol)
        zc = z.copy()
        b.inverse(zc, overwrite=False)
        np.testing.assert_array_equal(zc, z)                        # no overwrite: kept


@pytest.mark.parametrize("shape", [(16, 16), (15, 12), (12, 15), (9, 7), (6, 1), (1, 6)])
@pytest.mark.parametrize("fft", BACKENDS)
def test_a_real_iterate_steps_through_the_half_spectrum_exactly(fft, shape):
    # Re F⁻¹ P_M F u, with magnitudes and a measured mask that are not symmetric (noise,
    # a detector gap), odd and even sizes: the half-spectrum step gives the same u′
    import warnings
    from pdeopt.phase._common import prepare
    from pdeopt.phase.projections import projection_step
    rng = np.random.default_rng(sum(shape))
    m = rng.uniform(0.5, 2, shape)
    missing = rng.random(shape) < 0.2
    support = rng.random(shape) < 0.5
    support.flat[0] = True
    u = rng.standard_normal(shape)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")            # oversampling < 2 on random supports
        p = prepare(m, support, 1, missing=missing, fft=fft)
    z = np.fft.fft2(u, norm="ortho")
    z = np.where(missing, z, m * np.exp(1j * np.angle(z)))
    up = np.fft.ifft2(z, norm="ortho").real
    good = support & (up >= 0)
    got_u, got_x = u.copy(), np.empty(shape)
    projection_step(p, got_u, got_x, 0.9, False)
    np.testing.assert_allclose(got_x, np.where(good, up, 0), rtol=0, atol=1e-12)
    np.testing.assert_allclose(got_u, np.where(good, up, u - 0.9 * up), rtol=0, atol=1e-12)
    # and the R-factor of a real estimate, summed over the half spectrum and the mirrors
    assert p.r_factor(u) == pytest.approx(ph.r_factor(u, m, missing=missing), rel=1e-12)


@needs_pyfftw
def test_pyfftw_plans_once_per_shape_dtype_and_threads(problem):
    p, m = problem
    ph.hio(m, p.support, 3, rng=0, fft="pyfftw")
    ph.pdhg(m, p.support, 3, rng=0, fft="pyfftw")
    before = set(fb._PLANS)
    ph.hio(m, p.support, 3, rng=1, fft="pyfftw")
    ph.pdhg(m, p.support, 3, rng=1, fft="pyfftw")
    assert set(fb._PLANS) == before                         # planned once, then reused
    ph.hio(m.astype(np.float32), p.support, 3, rng=2, fft="pyfftw")
    new = set(fb._PLANS) - before
    assert new and all(key[2] == np.dtype(np.complex64).str for key in new)


@needs_pyfftw
def test_fft_wisdom_round_trip(tmp_path):
    path = tmp_path / "wisdom.pkl"
    fb.fft_backend("pyfftw", (12, 12)).forward(np.ones((12, 12)))
    ph.save_fft_wisdom(path)
    assert 0 < path.stat().st_size < 1_000_000
    assert ph.load_fft_wisdom(path)
    bad = tmp_path / "bad.pkl"
    bad.write_bytes(b"not wisdom")
    with pytest.raises(ValueError, match="path"):
        ph.load_fft_wisdom(bad)


# --- single precision ------------------------------------------------------------------------

@pytest.mark.parametrize("fft", BACKENDS)
@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_single_precision_follows_the_input(problem, algorithm, fft):
    """float32 magnitudes: float32 result; the R-factor history agrees with float64's.

    Tolerance: float32's unit roundoff is u = 2⁻²⁴ ≈ 6e-8, and an FFT of N pixels errs by
    ≈ u·log₂N relative; the first recorded R-factor (one iteration: three FFTs) agreed to
    ≤ 1.8e-7 ≈ 3u over 10 seeds × 4 algorithms, so 2e-6 (30u) is a pure rounding check.
    The iterations then amplify the difference, roughly ×2 per iteration for HIO/OSS
    (β = 0.9 feedback: the dynamics are chaotic, and after 20 iterations float32 and
    float64 runs of HIO differed by up to 36 %). Over the first 5 iterations the worst
    relative difference measured was 6.4e-6 (≈ 3u·2⁵); 1e-4 leaves a margin of 15, and a
    single-precision bug (a wrong scale, a float64 path cast halfway) is far above it.
    """
    p, m = problem
    m32 = m.astype(np.float32)
    for seed in (0, 1):
        r64 = algorithm(m, p.support, 5, rng=seed, fft=fft)
        r32 = algorithm(m32, p.support, 5, rng=seed, fft=fft)
        assert r64.x.dtype == np.float64 and r32.x.dtype == np.float32
        assert r32.info["parameters"]["dtype"] == "float32"
        h64, h32 = r64.history["r_factor"], r32.history["r_factor"]
        assert abs(h32[0] / h64[0] - 1) <= 2e-6
        np.testing.assert_allclose(h32, h64, rtol=1e-4)
    cplx = algorithm(m32, p.support, 3, rng=0, fft=fft, nonnegative=False)
    assert cplx.x.dtype == np.complex64


@pytest.mark.parametrize("algorithm,params", [(ph.hio, {}), (ph.pdhg, {"sigma": 0.0})])
def test_single_precision_reconstructs_as_well(problem, algorithm, params):
    # the noise-free test of test_phase_algorithms in float32: the R-factor still reaches
    # 1e-4 (float32's own floor is ~1e-7) and the object is found to 1e-2
    p, m = problem
    res = algorithm(m.astype(np.float32), p.support, 400, rng=1, tol=1e-4, **params)
    assert res.converged and res.x.dtype == np.float32
    assert ph.real_space_error(res.x, p.object) < 1e-2


def test_float64_stays_the_default(problem):
    p, m = problem
    for magnitudes in (m, m.astype(np.float16), (m * 1000).astype(np.int64)):
        res = ph.hio(magnitudes, p.support, 2, rng=0)
        assert res.x.dtype == np.float64
