"""Forward model, phantoms and the checks of bad input."""
import warnings

import numpy as np
import pytest

from pdeopt import phase as ph


@pytest.fixture(scope="module")
def vesicle():
    return ph.vesicle(32, oversampling=2.5)


def test_noise_free_magnitudes_are_the_unitary_fft(vesicle):
    m = ph.simulate(vesicle.object)
    np.testing.assert_allclose(m, np.abs(np.fft.fft2(vesicle.object, norm="ortho")))
    # Parseval: the unitary DFT keeps the energy
    assert np.isclose(np.sum(m ** 2), np.sum(vesicle.object ** 2))


def test_poisson_flux_is_the_expected_total_photon_count(vesicle):
    exact = ph.simulate(vesicle.object)
    flux = 1e6
    scale = np.sum(exact ** 2) / flux
    totals = [np.sum(ph.simulate(vesicle.object, noise="poisson", flux=flux, rng=i) ** 2) / scale
              for i in range(20)]
    # total counts ~ Poisson(flux): mean flux, standard deviation √flux
    assert abs(np.mean(totals) - flux) < 4 * np.sqrt(flux / 20)
    m = ph.simulate(vesicle.object, noise="poisson", flux=flux, rng=0)
    counts = m ** 2 / scale
    np.testing.assert_allclose(counts, np.round(counts), atol=1e-6)   # whole photons


def test_noise_is_reproducible_and_shrinks_with_flux(vesicle):
    a = ph.simulate(vesicle.object, noise="poisson", flux=1e7, rng=3)
    b = ph.simulate(vesicle.object, noise="poisson", flux=1e7, rng=3)
    np.testing.assert_array_equal(a, b)
    r = [ph.r_factor(vesicle.object, ph.simulate(vesicle.object, noise="poisson", flux=f, rng=1))
         for f in (1e5, 1e7, 1e9)]
    assert r[0] > r[1] > r[2]
    g = ph.simulate(vesicle.object, noise="gaussian", noise_level=0.05, rng=1)
    assert np.all(g >= 0) and 0 < ph.r_factor(vesicle.object, g) < 0.2


def test_missing_central_speckle(vesicle):
    m = ph.simulate(vesicle.object, missing_radius=2)
    mask = ph.central_speckle(m.shape, 2)
    assert mask[0, 0] and mask.sum() == 13          # |k| ≤ 2: 13 lattice points
    assert np.all(m[mask] == 0) and np.all(m[~mask] > 0)


@pytest.mark.parametrize("make", [lambda: ph.vesicle(64), lambda: ph.nanorice(64),
                                  lambda: ph.nanorice(64, variant=2), lambda: ph.vesicle(128)])
def test_phantoms_are_nonnegative_supported_and_oversampled(make):
    p = make()
    assert p.object.min() >= 0 and p.object.max() > 0
    assert np.all(p.object[~p.support] == 0)
    assert min(ph.oversampling_ratio(p.support)) >= 2


def test_bad_input(vesicle):
    m = ph.simulate(vesicle.object)
    s = vesicle.support
    bad = m.copy()
    bad[1, 1] = -1.0
    with pytest.raises(ValueError, match="magnitudes must be >= 0"):
        ph.hio(bad, s, 5)
    bad[1, 1] = np.nan
    with pytest.raises(ValueError, match="magnitudes contains 1 NaN"):
        ph.pdhg(bad, s, 5)
    with pytest.raises(ValueError, match="support is empty"):
        ph.oss(m, np.zeros_like(s), 5)
    with pytest.raises(ValueError, match="support must have the shape of magnitudes"):
        ph.error_reduction(m, np.ones((40, 40), bool), 5)
    with pytest.raises(ValueError, match="x0 must have the shape"):
        ph.hio(m, s, 5, x0=np.zeros((4, 4)))
    with pytest.raises(ValueError, match="missing must have the shape of magnitudes"):
        ph.hio(m, s, 5, missing=np.zeros((3, 3), bool))
    with pytest.raises(ValueError, match="max_iter must be >= 1"):
        ph.hio(m, s, 0)
    with pytest.raises(ValueError, match="smoothing must be one of"):
        ph.pdhg(m, s, 5, smoothing="dr4")
    with pytest.raises(ValueError, match="sigma must be >= 0"):
        ph.pdhg(m, s, 5, sigma=-1)
    with pytest.raises(ValueError, match="flux is required"):
        ph.simulate(vesicle.object, noise="poisson")
    with pytest.raises(ValueError, match="noise must be one of"):
        ph.simulate(vesicle.object, noise="speckle")
    with pytest.raises(ValueError, match="obj must have 2"):
        ph.simulate(np.ones(5))
    with pytest.raises(ValueError, match=r"oversampling must be in \[2, inf\)"):
        ph.vesicle(64, oversampling=1.5)


def test_oversampling_below_two_warns():
    obj = np.zeros((16, 16))
    obj[2:14, 4:8] = 1.0                              # 12 of 16 rows: ratio 1.33
    with pytest.warns(UserWarning, match="pad it with zeros"):
        m = ph.simulate(obj)
    with pytest.warns(UserWarning, match="not uniquely determined"):
        ph.hio(m, obj > 0, 2)
    small = np.pad(np.ones((8, 8)), 4)                # ratio exactly 2: no warning
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ph.hio(ph.simulate(small), small > 0, 1)
