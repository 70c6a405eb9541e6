"""R-factor, alignment modulo the trivial ambiguities, and the Fourier ring correlation."""
import numpy as np
import pytest

from pdeopt import phase as ph
from pdeopt.testing import assert_phase_invariances, trivial_ambiguities


@pytest.fixture(scope="module")
def rice():
    return ph.nanorice(32, variant=2)


def test_r_factor_of_the_truth_is_zero_and_of_zero_is_one(rice):
    m = ph.simulate(rice.object)
    assert ph.r_factor(rice.object, m) < 1e-14
    assert ph.r_factor(np.zeros_like(rice.object), m) == pytest.approx(1.0)
    miss = ph.central_speckle(m.shape, 1)
    assert ph.r_factor(rice.object, m, missing=miss) < 1e-14


@pytest.mark.parametrize("rng", [0, 1, 2])
def test_trivial_ambiguities_have_zero_error(rice, rng):
    # the R-factor ignores a global phase, a translation and the conjugate inversion, and
    # align undoes them (pdeopt.testing's checker, real and complex objects)
    m = ph.simulate(rice.object)
    assert_phase_invariances(ph.r_factor, rice.object, m, align=ph.align, rng=rng)
    z = rice.object * np.exp(0.7j)
    assert_phase_invariances(ph.r_factor, z, m, align=ph.align, rng=rng)
    for y in list(trivial_ambiguities(rice.object, rng).values()) + [-rice.object]:
        assert ph.real_space_error(y, rice.object) < 1e-12


def test_real_space_error_sees_a_real_difference(rice):
    noisy = rice.object + 0.1 * np.random.default_rng(0).standard_normal(rice.object.shape)
    err = ph.real_space_error(noisy, rice.object)
    expected = np.linalg.norm(noisy - rice.object) / np.linalg.norm(rice.object)
    assert err == pytest.approx(expected, rel=1e-9)   # the identity alignment is the best


def test_frc_is_one_for_identical_images_and_resolution_interpolates(rice):
    radius, frc = ph.fourier_ring_correlation(np.roll(rice.object, 4, 0), rice.object)
    assert radius.shape == frc.shape == (16,)
    np.testing.assert_allclose(frc[np.isfinite(frc)], 1.0, atol=1e-12)
    assert ph.frc_resolution(radius, frc) == 1.0
    assert ph.frc_resolution([0.1, 0.2, 0.3], [1.0, 0.6, 0.4]) == pytest.approx(0.25)
    # a low-pass copy loses the high rings
    f = np.fft.fft2(rice.object)
    k = np.hypot(*np.meshgrid(np.fft.fftfreq(32) * 32, np.fft.fftfreq(32) * 32, indexing="ij"))
    blurred = np.fft.ifft2(f * (k < 6) + 0.3 * (k >= 6) * f * np.exp(3j * k)).real
    radius, frc = ph.fourier_ring_correlation(blurred, rice.object)
    assert 0.2 < ph.frc_resolution(radius, frc) < 0.6
