"""The forward model of coherent diffraction imaging, and the checks of its inputs.

An object u on an oversampled grid Ω (N₀ × N₁ pixels) is zero outside its support
D ⊂ Ω; the detector measures the Fourier magnitudes M = |F u| (F the unitary DFT,
:mod:`pdeopt.phase.fourier`). Phase retrieval recovers u from M and D; it is
uniquely solvable (up to translation, conjugate flip and a global phase) when
the grid oversamples the support at least twice per dimension (Miao et al. 1998).
"""
from __future__ import annotations

import warnings

import numpy as np

from .._checks import as_float_array, as_rng, check_nonnegative, check_positive
from .fourier import fft2

__all__ = ["simulate", "central_speckle", "oversampling_ratio",
           "check_magnitudes", "check_support"]


def check_magnitudes(magnitudes, name="magnitudes") -> np.ndarray:
    """``magnitudes`` as a 2-D float64 array; NaN, inf or negative entries → ``ValueError``."""
    m = as_float_array(magnitudes, name, ndim=2, dtype=np.float64)
    if np.any(m < 0):
        raise ValueError(f"{name} must be >= 0 (Fourier magnitudes), "
                         f"got {int(np.sum(m < 0))} negative value(s)")
    return m


def check_support(support, shape, name="support", *, warn=True) -> np.ndarray:
    """``support`` as a boolean mask of ``shape``: non-empty, on the grid, oversampled ≥ 2.

    A shape other than the grid's (a support not inside the grid) or an empty
    support raise ``ValueError``; an oversampling ratio below 2 in some dimension
    warns (``UserWarning``): the phase problem is then not uniquely solvable.
    """
    s = np.asarray(support)
    if s.dtype == object or not (s.dtype == bool or np.issubdtype(s.dtype, np.number)):
        raise TypeError(f"{name} must be a boolean mask, got dtype {s.dtype}")
    if s.shape != tuple(shape):
        raise ValueError(f"{name} must have the grid's shape {tuple(shape)} (a mask inside "
                         f"the grid), got {s.shape}")
    if s.dtype != bool:
        if not np.all(np.isin(s, (0, 1))):
            raise ValueError(f"{name} must be a boolean mask (0/1 values)")
        s = s.astype(bool)
    if not s.any():
        raise ValueError(f"{name} is empty: no pixel belongs to the support")
    if warn:
        ratio = oversampling_ratio(s)
        if min(ratio) < 2:
            warnings.warn(f"oversampling ratio {tuple(round(r, 2) for r in ratio)} is below 2 "
                          f"in some dimension: the phase is not uniquely determined by the "
                          f"magnitudes", UserWarning, stacklevel=3)
    return np.ascontiguousarray(s)


def oversampling_ratio(support) -> tuple:
    """Grid size over the extent of the support's bounding box, per dimension."""
    s = np.asarray(support, dtype=bool)
    out = []
    for axis in range(s.ndim):
        other = tuple(a for a in range(s.ndim) if a != axis)
        idx = np.flatnonzero(s.any(axis=other))
        extent = idx[-1] - idx[0] + 1 if idx.size else 0
        out.append(float(s.shape[axis] / extent) if extent else np.inf)
    return tuple(out)


def central_speckle(shape, radius) -> np.ndarray:
    """Mask of the pixels with |k| ≤ ``radius`` (frequency index), FFT layout.

    These are the unmeasured pixels of a detector with a beam stop: pass the mask
    as ``missing=`` to the algorithms, which then leave them free.
    """
    from .fourier import frequency_radius
    radius = check_nonnegative(radius, "radius")
    return frequency_radius(shape) <= radius


def simulate(obj, *, noise=None, flux=None, noise_level=None, missing_radius=0.0,
             rng=None, seed=None) -> np.ndarray:
    """Simulated diffraction magnitudes M of an object on an oversampled grid.

    Noise-free: M = |F u| with F the unitary 2-D DFT (FFT layout, zero frequency at
    index (0, 0)). With noise:

    ``noise="poisson"``: ``flux`` is the expected total photon count of the whole
    pattern. The expected counts are λ = flux·|F u|²/Σ|F u|²; counts n ~ Poisson(λ)
    are drawn and scaled back to magnitudes, M = √(n·Σ|F u|²/flux), so that
    E[M²] = |F u|². The relative noise of a pixel is 1/√λ: flux 1e9 is nearly clean,
    1e7 noisy at high frequency (the seed's range is 1e5…1e9).

    ``noise="gaussian"``: M = max(|F u| + ε, 0) with ε ~ N(0, (noise_level·rms(|F u|))²)
    independently per pixel (``noise_level`` relative to the RMS magnitude).

    Parameters
    ----------
    obj : array_like, 2-D, real or complex
        The object on the full (oversampled) grid, zero outside its support.
    noise : {None, "gaussian", "poisson"}
    flux : float, optional
        Expected total photons (``noise="poisson"``).
    noise_level : float, optional
        Relative Gaussian noise (``noise="gaussian"``).
    missing_radius : float
        Radius (frequency index) of the unmeasured central speckle; its pixels are
        set to 0 here — pass ``missing=central_speckle(shape, missing_radius)``
        to the algorithms so that they leave them free.
    rng, seed : numpy.random.Generator or int, optional
        The source of every random draw.

    Returns
    -------
    numpy.ndarray
        Magnitudes, float64, the shape of ``obj``, FFT layout.
    """
    u = np.asarray(obj)
    if np.iscomplexobj(u):
        if u.ndim != 2 or u.size == 0 or not np.all(np.isfinite(u)):
            raise ValueError(f"obj must be a finite, non-empty 2-D array, got shape {u.shape}")
    else:
        u = as_float_array(u, "obj", ndim=2)
    if not np.any(u):
        raise ValueError("obj is zero everywhere: there is nothing to diffract")
    ratio = oversampling_ratio(u != 0)
    if min(ratio) < 2:
        warnings.warn(f"obj fills more than half of the grid in some dimension (oversampling "
                      f"{tuple(round(r, 2) for r in ratio)} < 2): pad it with zeros",
                      UserWarning, stacklevel=2)
    if noise not in (None, "gaussian", "poisson"):
        raise ValueError(f"noise must be one of None, 'gaussian', 'poisson', got {noise!r}")
    rng = as_rng(rng, seed)
    exact = np.abs(fft2(u))
    if noise == "poisson":
        if flux is None:
            raise ValueError("flux is required for noise='poisson'")
        flux = check_positive(flux, "flux")
        intensity = exact ** 2
        scale = intensity.sum() / flux
        counts = rng.poisson(intensity / scale)
        magnitudes = np.sqrt(counts * scale)
    elif noise == "gaussian":
        if noise_level is None:
            raise ValueError("noise_level is required for noise='gaussian'")
        noise_level = check_nonnegative(noise_level, "noise_level")
        rms = np.sqrt(np.mean(exact ** 2))
        magnitudes = np.maximum(exact + noise_level * rms * rng.standard_normal(exact.shape), 0.0)
    else:
        magnitudes = exact
    if missing_radius:
        magnitudes = np.where(central_speckle(u.shape, missing_radius), 0.0, magnitudes)
    return magnitudes
