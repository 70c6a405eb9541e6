"""Unitary 2-D FFTs through ``scipy.fft`` (with ``workers``) and the Fourier-space grids.

The DFT is taken with ``norm="ortho"``: F is unitary, so Parseval holds and the
primal–dual iteration's adjoint is the inverse (Fᴴ = F⁻¹). Arrays are in NumPy's
FFT layout: the zero frequency is at index ``(0, 0)`` (``numpy.fft.fftshift``
centres it for display). ``scipy.fft`` keeps its plans (twiddle factors) cached
per shape, so the first transform of a shape plans it once.
"""
from __future__ import annotations

import numpy as np
import scipy.fft as sfft

__all__ = ["fft2", "ifft2", "default_workers", "frequency_radius"]


def default_workers(shape) -> int:
    """Threads per FFT: one below 512² pixels (threading costs more than it saves), else all."""
    return -1 if int(np.prod(shape)) >= 512 * 512 else 1


def fft2(a, workers=1):
    """Unitary forward DFT of a 2-D array (a new complex128 array)."""
    return sfft.fft2(a, norm="ortho", workers=workers)


def ifft2(a, workers=1, overwrite=False):
    """Unitary inverse DFT; ``overwrite=True`` lets SciPy reuse ``a``'s memory."""
    return sfft.ifft2(a, norm="ortho", workers=workers, overwrite_x=overwrite)


def frequency_radius(shape) -> np.ndarray:
    """|k| in frequency-index units (cycles per grid) at every pixel, FFT layout."""
    ky = sfft.fftfreq(shape[0], d=1.0 / shape[0])
    kx = sfft.fftfreq(shape[1], d=1.0 / shape[1])
    return np.hypot(ky[:, None], kx[None, :])
