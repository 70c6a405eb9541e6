"""Input checks of the phase methods' device path, run on the device (no copy to the host).

They make the checks of :mod:`pdeopt.phase.forward` on CuPy arrays: the same errors, naming the
argument; each reads back a few scalars (a synchronization), once per call. A host mask given
with device magnitudes is checked on the host and moved to the device once.
"""
from __future__ import annotations

import warnings

import numpy as np

from .._xp import is_device_array, to_namespace
from .forward import check_mask

__all__ = ["check_device_magnitudes", "check_device_mask", "check_device_image"]


def _numeric(a, name, *, complex_ok):
    dtype = np.dtype(a.dtype)
    if dtype.kind not in ("b", "i", "u", "f", "c") or (dtype.kind == "c" and not complex_ok):
        what = "real" if dtype.kind == "c" else "numeric"
        raise TypeError(f"{name} must be a {what} array, got dtype {dtype}")
    return dtype


def _grid(a, name, shape=None):
    if a.ndim != 2:
        raise ValueError(f"{name} must have 2 dimension(s), got shape {tuple(a.shape)}")
    if a.size == 0:
        raise ValueError(f"{name} must not be empty")
    if shape is not None and tuple(a.shape) != tuple(shape):
        raise ValueError(f"{name} must have the shape of magnitudes {tuple(shape)}, "
                         f"got {tuple(a.shape)}")


def _finite(a, name, xp):
    if not bool(xp.isfinite(a).all()):
        raise ValueError(f"{name} contains NaN or inf value(s)")


def check_device_magnitudes(magnitudes, xp, name="magnitudes"):
    """``magnitudes`` on the device as a C-contiguous float32 (kept) or float64 2-D array:
    finite, ≥ 0, with an energy Σ M² that float64 holds (as
    :func:`pdeopt.phase.forward.check_magnitudes`)."""
    if not is_device_array(magnitudes):      # backend="cuda" with host magnitudes
        from .forward import check_magnitudes
        return to_namespace(check_magnitudes(magnitudes, name, keep_single=True), xp)
    dtype = _numeric(magnitudes, name, complex_ok=False)
    m = xp.ascontiguousarray(magnitudes, dtype=np.float32 if dtype == np.float32
                             else np.float64)
    _grid(m, name)
    _finite(m, name, xp)
    if bool((m < 0).any()):
        raise ValueError(f"{name} must be >= 0 (Fourier magnitudes), got "
                         f"{int((m < 0).sum())} negative value(s)")
    top = float(m.max())
    # Parseval: ‖F u‖² = ‖u‖²; summed in float64 over the scaled entries, as on the host
    energy = float(((m / top).astype(np.float64) ** 2).sum()) * (top * top) if top > 0 else 0.0
    if not np.isfinite(energy):
        raise ValueError(f"{name} is too large: its energy Σ|{name}|² overflows float64 "
                         f"(largest entry {top:.3g}); rescale it")
    return m


def check_device_mask(mask, name, shape, xp, *, support=False):
    """``mask`` as a C-contiguous boolean device array of ``shape`` (bool or 0/1 values); a
    ``support`` must not be empty, and warns below an oversampling ratio of 2."""
    if not is_device_array(mask):
        if support:
            from .forward import check_support
            return to_namespace(check_support(mask, shape, name, warn=True), xp)
        return to_namespace(check_mask(mask, name, shape), xp)
    dtype = _numeric(mask, name, complex_ok=True)
    mask = xp.asarray(mask)                 # another device array (numba's): viewed by CuPy
    if tuple(mask.shape) != tuple(shape):
        raise ValueError(f"{name} must have the shape of magnitudes {tuple(shape)} (a mask of "
                         f"the grid), got {tuple(mask.shape)}")
    if dtype != np.bool_:
        if dtype.kind == "c" or not bool(((mask == 0) | (mask == 1)).all()):
            raise ValueError(f"{name} must be a boolean mask (True/False or 0/1 values)")
        mask = mask != 0
    mask = xp.ascontiguousarray(mask)
    if support:
        if not bool(mask.any()):
            raise ValueError(f"{name} is empty: no pixel belongs to the support")
        ratio = tuple(n / _extent(mask.any(axis=1 - axis), xp) for axis, n in enumerate(shape))
        if min(ratio) < 2:
            warnings.warn(f"oversampling ratio {tuple(round(r, 2) for r in ratio)} is below 2 "
                          f"in some dimension: the phase is not uniquely determined by the "
                          f"magnitudes", UserWarning, stacklevel=4)
    return mask


def _extent(occupied, xp):
    """The length from the first to the last True entry of a device vector."""
    index = xp.flatnonzero(occupied)
    return int(index[-1]) - int(index[0]) + 1


def check_device_image(x0, name, shape, xp):
    """A start ``x0`` on the device: a finite real or complex 2-D array of ``shape``."""
    if xp is np:
        raise TypeError(f"{name} is a device array, but magnitudes is on the host: pass "
                        f"backend='cuda' (or device magnitudes) to run on the GPU")
    _numeric(x0, name, complex_ok=True)
    x0 = xp.asarray(x0)
    _grid(x0, name, shape)
    _finite(x0, name, xp)
    return x0
