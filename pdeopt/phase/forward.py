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

from .._checks import (as_float_array, as_rng, check_choice, check_integer, check_nonnegative,
                       check_positive, check_range)
from .fourier import fft2

__all__ = ["simulate", "central_speckle", "oversampling_ratio",
           "check_magnitudes", "check_support", "check_mask", "as_image", "as_vector",
           "check_shape2d"]

#: The largest expected photon count of one pixel that ``numpy.random.Generator.poisson``
#: draws (it refuses λ above about 9.2e18).
MAX_FLUX = 1e18


def _check_energy(arr, name):
    # Parseval: ‖F u‖² = ‖u‖²; refusing an overflowing energy keeps every FFT finite
    scale = np.float64(np.max(np.abs(arr)))
    with np.errstate(over="ignore"):
        # summed in float64 for float32 input too
        energy = np.sum(np.abs(arr / scale) ** 2, dtype=np.float64) * scale ** 2 \
            if scale > 0 else 0.0
    if not np.isfinite(energy):
        raise ValueError(f"{name} is too large: its energy Σ|{name}|² overflows float64 "
                         f"(largest entry {scale:.3g}); rescale it")


def as_image(value, name, *, shape=None) -> np.ndarray:
    """``value`` as a finite, non-empty 2-D float64 or complex128 array (of ``shape``).

    A non-numeric value (None, a string) is a ``TypeError``; a wrong shape, NaN or inf,
    or an energy Σ|u|² that overflows float64 a ``ValueError`` naming ``name``.
    """
    arr = np.asarray(value)
    if np.iscomplexobj(arr) and arr.dtype != object:
        arr = np.ascontiguousarray(arr, dtype=np.complex128)
        if arr.ndim != 2:
            raise ValueError(f"{name} must have 2 dimension(s), got shape {arr.shape}")
        if arr.size == 0:
            raise ValueError(f"{name} must not be empty")
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{name} contains NaN or inf value(s)")
    else:
        arr = as_float_array(arr, name, ndim=2, dtype=np.float64)
    if shape is not None and arr.shape != tuple(shape):
        raise ValueError(f"{name} must have the shape of magnitudes {tuple(shape)}, "
                         f"got {arr.shape}")
    _check_energy(arr, name)
    return arr


def as_vector(value, name) -> np.ndarray:
    """``value`` as a finite, non-empty 1-D float64 array (a scalar is not one)."""
    if isinstance(value, (str, bytes)) or value is None:
        raise TypeError(f"{name} must be a 1-D array of numbers, got {type(value).__name__}")
    if np.ndim(value) != 1:
        raise ValueError(f"{name} must have 1 dimension(s), got shape {np.shape(value)}")
    return as_float_array(value, name, ndim=1, dtype=np.float64)


def check_magnitudes(magnitudes, name="magnitudes", *, keep_single=False) -> np.ndarray:
    """``magnitudes`` as a 2-D float64 array (float32 kept as float32 with ``keep_single``);
    NaN, inf or negative entries → ``ValueError``."""
    single = keep_single and np.asarray(magnitudes).dtype == np.float32
    m = as_float_array(magnitudes, name, ndim=2, dtype=np.float32 if single else np.float64)
    if np.any(m < 0):
        raise ValueError(f"{name} must be >= 0 (Fourier magnitudes), "
                         f"got {int(np.sum(m < 0))} negative value(s)")
    _check_energy(m, name)
    return m


def check_mask(mask, name, shape=None, *, ndim=2, of="magnitudes") -> np.ndarray:
    """``mask`` as a boolean array (bool or 0/1 values) with ``ndim`` dimensions or ``shape``.

    ``of`` names the argument whose shape ``shape`` is, for the error message.
    """
    s = np.asarray(mask)
    if s.dtype == object or not (s.dtype == bool or np.issubdtype(s.dtype, np.number)):
        raise TypeError(f"{name} must be a boolean mask, got {type(mask).__name__} "
                        f"of dtype {s.dtype}")
    if shape is not None and s.shape != tuple(shape):
        raise ValueError(f"{name} must have the shape of {of} {tuple(shape)} (a mask of the "
                         f"grid), got {s.shape}")
    if shape is None and ndim is not None and s.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimension(s), got shape {s.shape}")
    if s.size == 0:
        raise ValueError(f"{name} must not be empty")
    if s.dtype != bool:
        if np.iscomplexobj(s) or not np.all(np.isin(s, (0, 1))):
            raise ValueError(f"{name} must be a boolean mask (True/False or 0/1 values)")
        s = s.astype(bool)
    return np.ascontiguousarray(s)


def check_support(support, shape, name="support", *, warn=True, of="magnitudes") -> np.ndarray:
    """``support`` as a boolean mask of ``shape``: non-empty, on the grid, oversampled ≥ 2.

    A shape other than the grid's (a support not inside the grid) or an empty
    support raise ``ValueError``; an oversampling ratio below 2 in some dimension
    warns (``UserWarning``): the phase problem is then not uniquely solvable.
    """
    s = check_mask(support, name, shape, of=of)
    if not s.any():
        raise ValueError(f"{name} is empty: no pixel belongs to the support")
    if warn:
        ratio = oversampling_ratio(s)
        if min(ratio) < 2:
            warnings.warn(f"oversampling ratio {tuple(round(r, 2) for r in ratio)} is below 2 "
                          f"in some dimension: the phase is not uniquely determined by the "
                          f"magnitudes", UserWarning, stacklevel=3)
    return s


def check_shape2d(shape, name="shape") -> tuple:
    """A grid shape: a pair of positive integers."""
    if isinstance(shape, (str, bytes)) or not hasattr(shape, "__len__"):
        raise TypeError(f"{name} must be a pair of positive integers, got "
                        f"{type(shape).__name__}")
    if len(shape) != 2:
        raise ValueError(f"{name} must have 2 entries (a 2-D grid), got {len(shape)}")
    return tuple(check_integer(n, name, minimum=1) for n in shape)


def oversampling_ratio(support) -> tuple:
    """Grid size over the extent of the support's bounding box, per dimension.

    Parameters
    ----------
    support : array_like of bool, 2-D
        A non-empty mask (bool or 0/1 values).

    Returns
    -------
    tuple of float
        N_d / extent_d for each dimension d; the phase is unique when both are ≥ 2.

    Examples
    --------
    >>> import numpy as np
    >>> support = np.zeros((32, 32), bool)
    >>> support[10:18, 4:20] = True
    >>> oversampling_ratio(support)
    (4.0, 2.0)
    """
    s = check_mask(support, "support", ndim=2)
    if not s.any():
        raise ValueError("support is empty: no pixel belongs to the support")
    out = []
    for axis in range(s.ndim):
        other = tuple(a for a in range(s.ndim) if a != axis)
        idx = np.flatnonzero(s.any(axis=other))
        out.append(float(s.shape[axis] / (idx[-1] - idx[0] + 1)))
    return tuple(out)


def central_speckle(shape, radius) -> np.ndarray:
    """Mask of the pixels with |k| ≤ ``radius`` (frequency index), FFT layout.

    These are the unmeasured pixels of a detector with a beam stop: pass the mask
    as ``missing=`` to the algorithms, which then leave them free.

    Parameters
    ----------
    shape : pair of int
        The grid.
    radius : float
        ≥ 0, in frequency-index units (0 masks the zero frequency alone).

    Examples
    --------
    >>> mask = central_speckle((16, 16), 1)
    >>> int(mask.sum()), bool(mask[0, 0])       # (0, 0) and its four neighbours
    (5, True)
    """
    from .fourier import frequency_radius
    shape = check_shape2d(shape)
    radius = check_nonnegative(radius, "radius")
    return frequency_radius(shape) <= radius


def simulate(obj, *, noise=None, flux=None, noise_level=None, missing_radius=0.0,
             rng=None) -> np.ndarray:
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
        The object on the full (oversampled) grid, zero outside its support, not
        zero everywhere.
    noise : {None, "gaussian", "poisson"}
    flux : float, optional
        Expected total photons, in (0, 1e18] (``noise="poisson"`` only).
    noise_level : float, optional
        Relative Gaussian noise, ≥ 0 (``noise="gaussian"`` only).
    missing_radius : float
        Radius (frequency index, ≥ 0) of the unmeasured central speckle; its pixels
        are set to 0 here — pass ``missing=central_speckle(shape, missing_radius)``
        to the algorithms so that they leave them free.
    rng : None, int or numpy.random.Generator
        The source of every random draw.

    Returns
    -------
    numpy.ndarray
        Magnitudes, float64, the shape of ``obj``, FFT layout.

    Examples
    --------
    >>> import numpy as np
    >>> obj = np.zeros((16, 16))
    >>> obj[5:9, 6:10] = 1.0
    >>> m = simulate(obj)
    >>> bool(np.isclose(np.sum(m ** 2), np.sum(obj ** 2)))      # Parseval
    True
    >>> noisy = simulate(obj, noise="poisson", flux=1e6, rng=0)
    >>> noisy.shape, bool(np.all(noisy >= 0))
    ((16, 16), True)
    """
    u = as_image(obj, "obj")
    if not np.any(u):
        raise ValueError("obj is zero everywhere: there is nothing to diffract")
    if noise is not None and not isinstance(noise, str):
        raise TypeError(f"noise must be None, 'gaussian' or 'poisson', got "
                        f"{type(noise).__name__}")
    check_choice(noise, "noise", (None, "gaussian", "poisson"))
    if flux is not None and noise != "poisson":
        raise ValueError(f"flux is only used with noise='poisson' (noise={noise!r})")
    if noise_level is not None and noise != "gaussian":
        raise ValueError(f"noise_level is only used with noise='gaussian' (noise={noise!r})")
    missing_radius = check_nonnegative(missing_radius, "missing_radius")
    rng = as_rng(rng)
    ratio = oversampling_ratio(u != 0)
    if min(ratio) < 2:
        warnings.warn(f"obj fills more than half of the grid in some dimension (oversampling "
                      f"{tuple(round(r, 2) for r in ratio)} < 2): pad it with zeros",
                      UserWarning, stacklevel=2)
    exact = np.abs(fft2(u))
    if noise == "poisson":
        if flux is None:
            raise ValueError("flux is required for noise='poisson'")
        flux = check_range(flux, "flux", 0.0, MAX_FLUX, low_open=True)
        intensity = exact ** 2
        if not intensity.sum() > 0:
            raise ValueError("obj is too small: its intensities |F obj|² underflow to zero")
        scale = intensity.sum() / flux
        counts = rng.poisson(intensity / scale)
        magnitudes = np.sqrt(counts * scale)
    elif noise == "gaussian":
        if noise_level is None:
            raise ValueError("noise_level is required for noise='gaussian'")
        noise_level = check_nonnegative(noise_level, "noise_level")
        rms = np.sqrt(np.mean(exact ** 2))
        with np.errstate(over="ignore", invalid="ignore"):
            magnitudes = np.maximum(exact + noise_level * rms
                                    * rng.standard_normal(exact.shape), 0.0)
        try:
            check_magnitudes(magnitudes)
        except ValueError:
            raise ValueError(f"noise_level={noise_level:g} is too large: the noisy "
                             f"magnitudes overflow float64") from None
    else:
        magnitudes = exact
    if missing_radius:
        magnitudes = np.where(central_speckle(u.shape, missing_radius), 0.0, magnitudes)
    return magnitudes
