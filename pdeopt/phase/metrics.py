"""How good is a reconstruction: R-factor, real-space error modulo the trivial ambiguities, FRC.

The magnitudes |F u| do not change under the trivial ambiguities of phase
retrieval: a translation u(x − a) (cyclic on the grid), the conjugate flip
ū(−x), and a global phase e^{iφ}u. Real-space comparisons therefore first align
the reconstruction to the reference over all three (``align``).
"""
from __future__ import annotations

import numpy as np

from .._checks import check_integer, check_range
from .forward import as_image, as_vector, check_magnitudes, check_mask
from .fourier import fft2, frequency_radius, ifft2

__all__ = ["r_factor", "align", "real_space_error", "fourier_ring_correlation",
           "frc_resolution"]


def _unit_scale(*arrays):
    """The power of two that brings the largest entry of ``arrays`` to [0.5, 1) (or 1).

    Multiplying by a power of two is exact, so the metrics below, invariant under a
    common positive scale, give the same numbers while no product or sum overflows.
    """
    big = max(float(np.max(np.abs(a))) for a in arrays)
    return np.ldexp(1.0, -np.frexp(big)[1]) if big > 0 else 1.0


def r_factor(x, magnitudes, *, missing=None) -> float:
    """R = Σ_k | |F x|(k) − M(k) | / Σ_k M(k), over the measured pixels k.

    The relative error of the Fourier magnitudes (the seed's "ratio factor"; the
    crystallographer's R-factor): 0 for an exact fit, 1 for x = 0.

    Parameters
    ----------
    x : array_like, 2-D, real or complex
        The estimate, the shape of ``magnitudes``.
    magnitudes : array_like, 2-D
        Measured magnitudes M ≥ 0, FFT layout, not all zero where measured.
    missing : array_like of bool, optional
        Unmeasured pixels (left out of both sums), the shape of ``magnitudes``.

    Examples
    --------
    >>> import numpy as np
    >>> from pdeopt import phase
    >>> rice = phase.nanorice(32, variant=2)
    >>> m = phase.simulate(rice.object)
    >>> round(r_factor(rice.object, m), 12), round(r_factor(np.zeros((32, 32)), m), 12)
    (0.0, 1.0)
    """
    m = check_magnitudes(magnitudes)
    x = as_image(x, "x", shape=m.shape)
    known = np.ones(m.shape, bool) if missing is None else ~check_mask(missing, "missing",
                                                                       m.shape)
    if not np.any(m[known] > 0):
        raise ValueError("magnitudes are zero at every measured pixel: the R-factor "
                         "(divided by their sum) is undefined")
    c = _unit_scale(x, m)
    return float(np.sum(np.abs(np.abs(fft2(x * c)) - m * c)[known]) / np.sum(m[known] * c))


def _flip(x):
    # ū(−x) on the periodic grid: index n ↦ −n mod N
    return np.conj(np.roll(x[::-1, ::-1], 1, axis=(0, 1)))


def _align(x, ref):
    """:func:`align` of checked arrays of one shape."""
    best = None
    # the best shift and phase do not change under positive scales of x and ref
    f_ref = fft2(ref * _unit_scale(ref))
    cx = _unit_scale(x)
    for cand in (x, _flip(x)):
        # c(a) = Σ_n ref(n)·conj(cand(n − a)): its peak is the best shift and its phase φ
        corr = ifft2(f_ref * np.conj(fft2(cand * cx))) * np.sqrt(x.size)
        k = np.unravel_index(np.argmax(np.abs(corr)), corr.shape)
        if best is None or np.abs(corr[k]) > np.abs(best[1][best[2]]):
            best = (cand, corr, k)
    cand, corr, k = best
    phase = corr[k] / np.abs(corr[k]) if np.abs(corr[k]) > 0 else 1.0
    out = np.roll(cand, k, axis=(0, 1)) * phase
    if not np.iscomplexobj(x) and not np.iscomplexobj(ref):
        out = out.real
    return out


def _pair(x, reference):
    ref = as_image(reference, "reference")
    x = as_image(x, "x")
    if x.shape != ref.shape:
        raise ValueError(f"x must have the shape of reference {ref.shape}, got {x.shape}")
    return x, ref


def align(x, reference):
    """``x`` translated, possibly conjugate-flipped and phase-shifted to best match ``reference``.

    Over integer cyclic shifts a, both orientations and all phases φ, minimises
    ‖e^{iφ}·T_a x − reference‖₂; the cross-correlation (one FFT pair per
    orientation) gives the best shift and phase in closed form. A real ``x``
    stays real up to the sign e^{iφ} = ±1 when both inputs are real.

    Examples
    --------
    >>> import numpy as np
    >>> ref = np.zeros((16, 16))
    >>> ref[4:8, 5:7] = [[1, 2], [3, 4], [5, 6], [7, 8]]
    >>> moved = -np.roll(ref, (3, -2), axis=(0, 1))        # shifted, global phase π
    >>> bool(np.allclose(align(moved, ref), ref))
    True
    """
    return _align(*_pair(x, reference))


def real_space_error(x, reference) -> float:
    """‖align(x, reference) − reference‖₂ / ‖reference‖₂ (see :func:`align`).

    ``reference`` must not be zero everywhere.

    Examples
    --------
    >>> import numpy as np
    >>> ref = np.zeros((16, 16))
    >>> ref[4:8, 5:7] = 1.0
    >>> round(real_space_error(np.roll(ref, 5, axis=1), ref), 12)
    0.0
    >>> round(real_space_error(np.zeros((16, 16)), ref), 12)
    1.0
    """
    x, ref = _pair(x, reference)
    if not np.any(ref):
        raise ValueError("reference is zero everywhere: the relative error is undefined")
    c = _unit_scale(x, ref)
    x, ref = x * c, ref * c
    return float(np.linalg.norm(_align(x, ref) - ref) / np.linalg.norm(ref))


def fourier_ring_correlation(x, reference, *, n_rings=None):
    """Fourier ring correlation of ``x`` (aligned to ``reference`` first) and ``reference``.

    FRC(r) = Re Σ_{|k|∈ring r} X(k)·conj(R(k)) / √(Σ|X(k)|² · Σ|R(k)|²), rings of
    equal width in frequency index |k|, from 0 to the Nyquist radius min(N)/2; a
    ring where either image has no energy gets 0.

    Parameters
    ----------
    x, reference : array_like, 2-D, real or complex
        Same shape, at least 2 × 2.
    n_rings : int, optional
        Number of rings, 1 to min(N)/2 (the default: rings one frequency index wide;
        more would leave rings without a lattice point).

    Returns
    -------
    radius : numpy.ndarray
        Ring centres as a fraction of the Nyquist frequency (0 … 1].
    frc : numpy.ndarray
        The correlation per ring, in [−1, 1].

    Examples
    --------
    >>> import numpy as np
    >>> from pdeopt import phase
    >>> rice = phase.nanorice(32, variant=2)
    >>> radius, frc = fourier_ring_correlation(np.roll(rice.object, 3, 0), rice.object)
    >>> radius.shape, bool(np.allclose(frc, 1.0))
    ((16,), True)
    """
    x, ref = _pair(x, reference)
    nyquist = min(ref.shape) // 2
    if nyquist < 1:
        raise ValueError(f"reference must be at least 2 × 2 for rings up to Nyquist, "
                         f"got shape {ref.shape}")
    if n_rings is None:
        n_rings = nyquist
    n_rings = check_integer(n_rings, "n_rings", minimum=1)
    if n_rings > nyquist:
        raise ValueError(f"n_rings must be <= min(shape) // 2 = {nyquist} (narrower rings "
                         f"hold no lattice point), got {n_rings}")
    # the FRC is invariant under positive scales of either image
    xa = _align(x, ref)
    fx, fr = fft2(xa * _unit_scale(xa)), fft2(ref * _unit_scale(ref))
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

    Parameters
    ----------
    radius : array_like, 1-D
        Increasing ring radii in (0, 1] (as :func:`fourier_ring_correlation` returns).
    frc : array_like, 1-D
        The FRC per ring, in [−1, 1], as long as ``radius``.
    threshold : float
        In [−1, 1]; 0.5 (the default) and 0.143 are the usual criteria.

    Examples
    --------
    >>> frc_resolution([0.1, 0.2, 0.3], [1.0, 0.6, 0.4])
    0.25
    """
    radius, frc = as_vector(radius, "radius"), as_vector(frc, "frc")
    if frc.shape != radius.shape:
        raise ValueError(f"frc must have one value per entry of radius ({radius.size}), "
                         f"got {frc.size}")
    if np.any(radius <= 0) or np.any(radius > 1) or np.any(np.diff(radius) <= 0):
        raise ValueError("radius must increase within (0, 1] (fractions of Nyquist)")
    if np.any(np.abs(frc) > 1 + 1e-9):
        raise ValueError("frc must lie in [-1, 1] (a correlation)")
    threshold = check_range(threshold, "threshold", -1.0, 1.0)
    below = np.flatnonzero(frc < threshold)
    if below.size == 0:
        return 1.0
    i = below[0]
    if i == 0:
        return float(radius[0])
    r0, r1, f0, f1 = radius[i - 1], radius[i], frc[i - 1], frc[i]
    return float(r0 + (f0 - threshold) * (r1 - r0) / (f0 - f1))
