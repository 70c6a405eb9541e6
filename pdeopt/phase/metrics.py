"""How good is a reconstruction: R-factor, real-space error modulo the trivial ambiguities, FRC.

The magnitudes |F u| do not change under the trivial ambiguities of phase
retrieval: a translation u(x − a) (cyclic on the grid), the conjugate flip
ū(−x), and a global phase e^{iφ}u. Real-space comparisons therefore first align
the reconstruction to the reference over all three (``align``).
"""
from __future__ import annotations

import numpy as np

from .forward import check_magnitudes
from .fourier import fft2, frequency_radius, ifft2

__all__ = ["r_factor", "align", "real_space_error", "fourier_ring_correlation",
           "frc_resolution"]


def _as_image(a, name):
    a = np.asarray(a)
    if a.ndim != 2 or a.size == 0:
        raise ValueError(f"{name} must be a non-empty 2-D array, got shape {a.shape}")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name} contains NaN or inf")
    return a.astype(np.complex128 if np.iscomplexobj(a) else np.float64)


def r_factor(x, magnitudes, *, missing=None) -> float:
    """R = Σ_k | |F x|(k) − M(k) | / Σ_k M(k), over the measured pixels k.

    The relative error of the Fourier magnitudes (the seed's "ratio factor"; the
    crystallographer's R-factor).
    """
    m = check_magnitudes(magnitudes)
    x = _as_image(x, "x")
    if x.shape != m.shape:
        raise ValueError(f"x must have the shape of magnitudes {m.shape}, got {x.shape}")
    known = np.ones(m.shape, bool) if missing is None else ~np.asarray(missing, bool)
    return float(np.sum(np.abs(np.abs(fft2(x)) - m)[known]) / np.sum(m[known]))


def _flip(x):
    # ū(−x) on the periodic grid: index n ↦ −n mod N
    return np.conj(np.roll(x[::-1, ::-1], 1, axis=(0, 1)))


def align(x, reference):
    """``x`` translated, possibly conjugate-flipped and phase-shifted to best match ``reference``.

    Over integer cyclic shifts a, both orientations and all phases φ, minimises
    ‖e^{iφ}·T_a x − reference‖₂; the cross-correlation (one FFT pair per
    orientation) gives the best shift and phase in closed form. A real ``x``
    stays real up to the sign e^{iφ} = ±1 when both inputs are real.
    """
    x = _as_image(x, "x")
    ref = _as_image(reference, "reference")
    if x.shape != ref.shape:
        raise ValueError(f"x must have the shape of reference {ref.shape}, got {x.shape}")
    best = None
    f_ref = fft2(ref)
    for cand in (x, _flip(x)):
        # c(a) = Σ_n ref(n)·conj(cand(n − a)): its peak is the best shift and its phase φ
        corr = ifft2(f_ref * np.conj(fft2(cand))) * np.sqrt(x.size)
        k = np.unravel_index(np.argmax(np.abs(corr)), corr.shape)
        if best is None or np.abs(corr[k]) > np.abs(best[1][best[2]]):
            best = (cand, corr, k)
    cand, corr, k = best
    phase = corr[k] / np.abs(corr[k]) if np.abs(corr[k]) > 0 else 1.0
    out = np.roll(cand, k, axis=(0, 1)) * phase
    if not np.iscomplexobj(x) and not np.iscomplexobj(ref):
        out = out.real
    return out


def real_space_error(x, reference) -> float:
    """‖align(x, reference) − reference‖₂ / ‖reference‖₂ (see :func:`align`)."""
    ref = _as_image(reference, "reference")
    return float(np.linalg.norm(align(x, ref) - ref) / np.linalg.norm(ref))


def fourier_ring_correlation(x, reference, *, n_rings=None):
    """Fourier ring correlation of ``x`` (aligned to ``reference`` first) and ``reference``.

    FRC(r) = Re Σ_{|k|∈ring r} X(k)·conj(R(k)) / √(Σ|X(k)|² · Σ|R(k)|²), rings of
    unit width in frequency index |k|, from 0 to the Nyquist radius min(N)/2.

    Returns
    -------
    radius : numpy.ndarray
        Ring centres as a fraction of the Nyquist frequency (0 … 1].
    frc : numpy.ndarray
        The correlation per ring, in [−1, 1].
    """
    ref = _as_image(reference, "reference")
    xa = align(x, ref)
    fx, fr = fft2(xa), fft2(ref)
    nyquist = min(ref.shape) // 2
    n_rings = nyquist if n_rings is None else int(n_rings)
    ring = np.floor(frequency_radius(ref.shape) / nyquist * n_rings).astype(int)
    keep = ring < n_rings
    num = np.bincount(ring[keep], (fx * np.conj(fr)).real[keep], minlength=n_rings)
    px = np.bincount(ring[keep], np.abs(fx[keep]) ** 2, minlength=n_rings)
    pr = np.bincount(ring[keep], np.abs(fr[keep]) ** 2, minlength=n_rings)
    frc = num / np.sqrt(np.maximum(px * pr, 1e-300))
    radius = (np.arange(n_rings) + 0.5) / n_rings
    return radius, frc


def frc_resolution(radius, frc, threshold=0.5) -> float:
    """The first radius (fraction of Nyquist) where the FRC falls below ``threshold``.

    Linear interpolation between the last ring above and the first below; 1.0 when
    it never falls below (resolved to the Nyquist frequency).
    """
    radius, frc = np.asarray(radius, float), np.asarray(frc, float)
    below = np.flatnonzero(frc < threshold)
    if below.size == 0:
        return 1.0
    i = below[0]
    if i == 0:
        return float(radius[0])
    r0, r1, f0, f1 = radius[i - 1], radius[i], frc[i - 1], frc[i]
    return float(r0 + (f0 - threshold) * (r1 - r0) / (f0 - f1))
