"""Per-pixel steps of phase retrieval (ER, HIO, OSS, PDHG), fused and in place.

Every iteration of a phase retrieval method is two FFTs and a few passes over the
pixels; these kernels make each pass a single sweep that updates its arrays in
place. Arrays are C-contiguous; Fourier arrays are complex in NumPy's FFT
layout (zero frequency at index 0); ``known`` marks the measured magnitudes.

``phase.magnitude_prox``     z ← (t·M·z/|z| + σ·z)/(t + σ) where known (σ = 0: projection)
``phase.magnitude_prox_real`` z ← ½(P_M(z) + P_M′(z)) on the half spectrum of a real iterate:
                             M′, known′ the mirror pixel's (−k), so that the inverse real
                             FFT gives Re F⁻¹ P_M F u (see below)
``phase.pdhg_fourier``       ŷ ← h·ŷ; w = z − t·ŷ; z⁺ = prox_{t g_σ}(w); ŷ ← ŷ + s(2z⁺ − z); z ← z⁺
                             (h: the DR1 filter of the previous step, fused here; None: 1)
``phase.pdhg_dual``          u ← c·u; x ← P_X(u); u ← weight·(u − P_X(u))   (projection onto
                             X*, DR2 damping; x real for a real object, else complex; x None:
                             not written)
``phase.object_step``        the ER / HIO real-space rule on u′ ← c·u′, and x ← P_X(u′) (u and
                             x real for a real object, else complex; x None: not written);
                             ``exterior`` given: also exterior ← u outside the support
                             (OSS's replace_outside(exterior, u, support), fused)
``phase.replace_outside``    u ← v outside the support (OSS's smoothed exterior; Re v for a
                             real u)
``phase.multiply``           a ← a·h (a Fourier filter)
``phase.r_factor``           Σ_known | |X| − M |  (numerator of the R-factor)
``phase.r_factor_real``      the same from a real x's half spectrum: Σ_known | |X| − M | +
                             Σ_counted | |X| − M′ | (M′ at the mirror pixel −k, counted where
                             that pixel is not in the half)
``phase.hermitian_fill``     z[k] ← conj z[−k] in the columns right of N₁//2 (the spectrum of a
                             real array from its real-input FFT's left half)
``phase.polar``              z ← M·e^{iφ} (a random start; a stack of φ shares one M)

c (``scale``, default 1) is the FFT backend's normalization (:mod:`pdeopt.phase.fft_backends`):
1 for unitary FFTs, N for FFTW's unnormalized pair. Every kernel takes float64/complex128
or float32/complex64 arrays (one precision per call) and writes in the arrays' precision.
The NumPy twins compute in the arrays' precision, and so do the Numba loops (a float32 sweep
in float32 arithmetic, for speed: see ``_real_like``), except where a complex object's
real-space step widens to double and rounds once on the store; the R-factor sums accumulate
in float64.

On the GPU (the device path of :mod:`pdeopt.phase`: CuPy arrays) the ``cuda`` versions run
on the device arrays in place, and a stack of runs (shape (n, N₀, N₁), reconstruct_many)
shares one grid's M, masks and filters; the NumPy twins run there too (their expressions
dispatch to CuPy), as the fallback where numba.cuda cannot. The R-factor sums are then
device arrays, one per run, left unsynchronized.

P_X is the projection onto the object set X = {u = 0 off D} and, when
``nonnegative``, {u real, u ≥ 0 in D} (Osher 2018; Pham et al., Opt. Express 2019).
"""
from __future__ import annotations

import math
import threading

import numba
import numpy as np
from numba import prange
from numba.extending import overload

from pdeopt._xp import is_device_array, namespace

from ._registry import compiled, njit, pnjit, register

__all__ = ["PARALLEL_MIN_SIZE"]


# --- NumPy twins: read like the math -------------------------------------------------------

def _unit_phase(z):
    mod = np.abs(z)
    return np.where(mod > 0, z / np.where(mod > 0, mod, 1.0), 1.0)


def _magnitude_prox_numpy(z, magnitudes, known, t, sigma):
    target = (t * magnitudes * _unit_phase(z) + sigma * z) / (t + sigma)
    z[...] = np.where(known, target, z)
    return z


def _magnitude_prox_real_numpy(z, magnitudes, mirror, known, known_mirror, t, sigma):
    a = _magnitude_prox_numpy(z.copy(), magnitudes, known, t, sigma)
    b = _magnitude_prox_numpy(z.copy(), mirror, known_mirror, t, sigma)
    z[...] = 0.5 * (a + b)
    return z


def _pdhg_fourier_numpy(z, yhat, magnitudes, known, t, s, sigma, fourier_filter=None):
    if fourier_filter is not None:
        yhat *= fourier_filter
    w = z - t * yhat
    z_new = _magnitude_prox_numpy(w, magnitudes, known, t, sigma)
    yhat += s * (2.0 * z_new - z)
    z[...] = z_new
    return z, yhat


def _project_object(u, support, nonnegative):
    if nonnegative:
        return np.where(support, np.maximum(u.real, 0.0), 0.0).astype(u.dtype)
    return np.where(support, u, 0.0)


def _check_real_iterate(a, nonnegative, name="u", x=None):
    if not nonnegative and not np.iscomplexobj(a):
        raise ValueError(f"{name} must be complex for a complex object (nonnegative=False); "
                         f"got {a.dtype}")
    if x is not None and x.dtype != a.dtype:
        raise ValueError(f"x must have the dtype of {name} ({a.dtype}), got {x.dtype}")


def _check_exterior(exterior, u):
    # written in place through a flattened view: another shape or dtype would be written
    # out of bounds (numba) or into a copy
    if exterior is not None and (exterior.shape != u.shape or exterior.dtype != u.dtype
                                 or not exterior.flags.c_contiguous):
        layout = "C-contiguous" if exterior.flags.c_contiguous else "not C-contiguous"
        raise ValueError(f"exterior must be a C-contiguous array of u's shape {u.shape} and "
                         f"dtype {u.dtype}, got {exterior.shape} {exterior.dtype}, {layout}")


def _dual_estimate_is_real(x, nonnegative):
    """Whether the dual step's estimate x is real: a real object's (x None: not written)."""
    if x is None:
        return bool(nonnegative)
    _check_real_iterate(x, nonnegative, "x")
    return not np.iscomplexobj(x)


def _pdhg_dual_numpy(u, x, support, weight, nonnegative, scale=1.0):
    real = _dual_estimate_is_real(x, nonnegative)
    if scale != 1.0:
        u *= scale
    projected = _project_object(u, support, nonnegative)
    estimate = projected.real if real else projected   # a real object: x real
    if x is not None:
        x[...] = estimate
        estimate = x
    u[...] = weight * (u - estimate)
    return u, x


def _object_step_numpy(u, u_prime, x, support, beta, nonnegative, error_reduction,
                       scale=1.0, exterior=None):
    _check_real_iterate(u, nonnegative, x=x)
    _check_exterior(exterior, u)
    v = u_prime.real if nonnegative else u_prime   # a real object keeps Re u′
    if scale != 1.0:
        v = v * scale
    good = support & (v >= 0.0) if nonnegative else support
    estimate = np.where(good, v, 0.0)
    if x is not None:
        x[...] = estimate
    u[...] = estimate if error_reduction else np.where(good, v, u - beta * v)
    if exterior is not None:
        _replace_outside_numpy(exterior, u, support)
    return u, x


def _replace_outside_numpy(u, v, support):
    u[...] = np.where(support, u, v if np.iscomplexobj(u) else v.real)
    return u


def _multiply_numpy(a, h):
    a *= h
    return a


def _r_factor_numpy(xhat, magnitudes, known):
    if is_device_array(xhat):
        # on the device: the sum per run (one for each grid of a stack), not synchronized
        xp = namespace(xhat)
        return xp.where(known, xp.abs(xp.abs(xhat) - magnitudes), 0.0).sum(
            axis=(-2, -1), dtype=np.float64)
    return float(np.sum(np.abs(np.abs(xhat) - magnitudes)[known]))


def _r_factor_real_numpy(xhat, magnitudes, mirror, known, counted_mirror):
    return _r_factor_numpy(xhat, magnitudes, known) + _r_factor_numpy(xhat, mirror,
                                                                     counted_mirror)


def _hermitian_fill_numpy(z):
    n0, n1 = z.shape
    right = np.arange(n1 // 2 + 1, n1)
    z[:, right] = np.conj(z[(-np.arange(n0)) % n0][:, n1 - right])
    return z


def _polar_numpy(z, magnitudes, phases):
    z[...] = magnitudes * np.exp(1j * phases)
    return z


# --- Numba: one sweep per step, over the flattened arrays -----------------------------------
# Each step is a per-pixel function (inlined by numba) and two loops over it: a serial one
# and a parallel one (prange) for arrays of at least PARALLEL_MIN_SIZE pixels. The loops are
# separate functions: njit and pnjit must not wrap one Python function (cache=True).

#: Arrays with at least this many pixels use the parallel (prange) sweeps; None: never.
#: Off by default: measured on 2 shared cores, one HIO/PDHG iteration at 512²–1024² cost
#: 1.0–1.15× its two FFTs with the serial sweeps but 1.7–4× with the prange ones, whose
#: OpenMP threads keep spinning after each sweep and slow down scipy.fft's own threads
#: (with OMP_WAIT_POLICY=PASSIVE or the workqueue layer: no better than serial). With
#: FFTW on one thread (the default) they speed an idle machine's HIO/OSS iteration at
#: 512²–1024² by 3–15 % (from 128k pixels; PDHG: −9 to +10 %), but under load they wait on
#: the busy core: with three busy processes on the 2 cores, a 512² HIO iteration took
#: 8–16 ms with them against 1.5 ms without (the split below: no such loss).
PARALLEL_MIN_SIZE = None


def _parallel(a) -> bool:
    # numba's OpenMP/workqueue pools must be entered from one thread at a time: threads of
    # reconstruct_many (or any other thread) keep to the serial sweeps
    return (PARALLEL_MIN_SIZE is not None and a.size >= PARALLEL_MIN_SIZE
            and threading.current_thread() is threading.main_thread())


# Precision follows the arrays: _sweep passes the scalars in the arrays' real type, and the
# pixel functions write their constants and complex results through _real_like and
# _complex_like, so that a complex64 sweep computes in float32 (a float64 literal or
# complex() would widen every operation to float64: 2.5× slower at 512² complex64). For
# float64 arrays both are the identity: the same operations, the same bits.
def _real_like(value, x):
    """``value`` in the real type of ``x`` (a scalar or array, real or complex)."""
    return value


def _complex_like(re, im, x):
    """``complex(re, im)`` in the complex type of ``x``'s precision."""
    return complex(re, im)


def _precision(x):
    ty = getattr(x, "dtype", x)
    return getattr(ty, "underlying_float", ty)


@overload(_real_like)
def _real_like_typed(value, x):
    real = _precision(x)
    return lambda value, x: real(value)


@overload(_complex_like)
def _complex_like_typed(re, im, x):
    single = _precision(x) == numba.types.float32
    kind = numba.types.complex64 if single else numba.types.complex128
    return lambda re, im, x: kind(complex(re, im))


@njit
def _prox_pixel(re, im, m, t, sigma, inv):
    # real arithmetic: z·(t·m/|z| + σ)/(t + σ) avoids complex division and hypot
    mod = np.sqrt(re * re + im * im)
    if mod > 0.0:
        c = (t * m / mod + sigma) * inv
        return _complex_like(re * c, im * c, re)
    return _complex_like(t * m * inv, _real_like(0.0, re), re)


@njit
def _magnitude_prox_core(z, m, known, t, sigma):
    inv = _real_like(1.0, z) / (t + sigma)
    for i in range(z.size):
        zi = z[i]
        # an unconditional store lets LLVM vectorize the loop
        z[i] = _prox_pixel(zi.real, zi.imag, m[i], t, sigma, inv) if known[i] else zi


@pnjit
def _magnitude_prox_par(z, m, known, t, sigma):
    inv = _real_like(1.0, z) / (t + sigma)
    for i in prange(z.size):
        zi = z[i]
        # an unconditional store lets LLVM vectorize the loop
        z[i] = _prox_pixel(zi.real, zi.imag, m[i], t, sigma, inv) if known[i] else zi


# The half spectrum of a real u: z(k) for k₁ ≤ N₁/2, with z(−k) = conj z(k). Re F⁻¹ w is the
# inverse real FFT of w's Hermitian part ½(w(k) + conj w(−k)); for w = P_M z that is
# ½(P_M(k)(z) + P_M(−k)(z)) (the magnitude projection commutes with conjugation), one common
# factor on z. In the columns that are their own mirror (k₁ = 0, N₁/2) M′ = M is passed and
# the inverse real FFT takes the Hermitian part itself.
@njit
def _prox_real_pixel(re, im, ma, mb, ka, kb, t, sigma, inv):
    one, half, zero = _real_like(1.0, re), _real_like(0.5, re), _real_like(0.0, re)
    mod2 = re * re + im * im
    if mod2 > 0.0:
        # one reciprocal for both factors: the sweep is bound by its divisions (measured at
        # 512² float64: 0.56 ms with two divisions, 0.40 ms with one)
        r = one / np.sqrt(mod2)
        ca = (t * ma * r + sigma) * inv if ka else one
        cb = (t * mb * r + sigma) * inv if kb else one
        c = half * (ca + cb)
        return _complex_like(re * c, im * c, re)
    a = t * ma * inv if ka else zero
    b = t * mb * inv if kb else zero
    return _complex_like(half * (a + b), zero, re)


@njit
def _magnitude_prox_real_core(z, ma, mb, ka, kb, t, sigma):
    inv = _real_like(1.0, z) / (t + sigma)
    for i in range(z.size):
        zi = z[i]
        z[i] = _prox_real_pixel(zi.real, zi.imag, ma[i], mb[i], ka[i], kb[i], t, sigma, inv)


@pnjit
def _magnitude_prox_real_par(z, ma, mb, ka, kb, t, sigma):
    inv = _real_like(1.0, z) / (t + sigma)
    for i in prange(z.size):
        zi = z[i]
        z[i] = _prox_real_pixel(zi.real, zi.imag, ma[i], mb[i], ka[i], kb[i], t, sigma, inv)


@njit
def _pdhg_fourier_pixel(zi, yi, m, known, t, s, sigma, inv):
    # (pixel helpers take and return scalars: array arguments would cost a reference
    # count per call)
    w = _complex_like(zi.real - t * yi.real, zi.imag - t * yi.imag, m)
    if known:
        w = _prox_pixel(w.real, w.imag, m, t, sigma, inv)
    two = _real_like(2.0, m)
    return w, _complex_like(yi.real + s * (two * w.real - zi.real),
                            yi.imag + s * (two * w.imag - zi.imag), m)


# h is an array or None; numba compiles one version for each and drops the dead branch
@njit
def _pdhg_fourier_core(z, yhat, m, known, t, s, sigma, h):
    inv = _real_like(1.0, m) / (t + sigma)
    for i in range(z.size):
        yi = yhat[i] if h is None else yhat[i] * h[i]
        z[i], yhat[i] = _pdhg_fourier_pixel(z[i], yi, m[i], known[i], t, s, sigma, inv)


@pnjit
def _pdhg_fourier_par(z, yhat, m, known, t, s, sigma, h):
    inv = _real_like(1.0, m) / (t + sigma)
    for i in prange(z.size):
        yi = yhat[i] if h is None else yhat[i] * h[i]
        z[i], yhat[i] = _pdhg_fourier_pixel(z[i], yi, m[i], known[i], t, s, sigma, inv)


@njit
def _pdhg_dual_pixel(ui, support, weight, nonnegative):
    if not support:
        xi = 0.0 + 0.0j
    elif nonnegative:
        xi = max(ui.real, 0.0) + 0.0j
    else:
        xi = ui
    return xi, weight * (ui - xi)


@njit
def _pdhg_dual_core(u, x, support, weight, nonnegative, c):
    for i in range(u.size):
        x[i], u[i] = _pdhg_dual_pixel(u[i] * c, support[i], weight[i], nonnegative)


@pnjit
def _pdhg_dual_par(u, x, support, weight, nonnegative, c):
    for i in prange(u.size):
        x[i], u[i] = _pdhg_dual_pixel(u[i] * c, support[i], weight[i], nonnegative)


# the same steps without writing the estimate x (an iteration that records nothing)
@njit
def _pdhg_dual_core_no_x(u, support, weight, nonnegative, c):
    for i in range(u.size):
        u[i] = _pdhg_dual_pixel(u[i] * c, support[i], weight[i], nonnegative)[1]


@pnjit
def _pdhg_dual_par_no_x(u, support, weight, nonnegative, c):
    for i in prange(u.size):
        u[i] = _pdhg_dual_pixel(u[i] * c, support[i], weight[i], nonnegative)[1]


# a real object's estimate x = P_X(d) is real: written as float64, half the bytes
@njit
def _pdhg_dual_real_pixel(ui, support, weight):
    zero = _real_like(0.0, ui)
    xi = max(ui.real, zero) if support else zero
    return xi, weight * (ui - xi)


@njit
def _pdhg_dual_real_core(u, x, support, weight, c):
    for i in range(u.size):
        x[i], u[i] = _pdhg_dual_real_pixel(u[i] * c, support[i], weight[i])


@pnjit
def _pdhg_dual_real_par(u, x, support, weight, c):
    for i in prange(u.size):
        x[i], u[i] = _pdhg_dual_real_pixel(u[i] * c, support[i], weight[i])


@njit
def _pdhg_dual_real_core_no_x(u, support, weight, c):
    for i in range(u.size):
        u[i] = _pdhg_dual_real_pixel(u[i] * c, support[i], weight[i])[1]


@pnjit
def _pdhg_dual_real_par_no_x(u, support, weight, c):
    for i in prange(u.size):
        u[i] = _pdhg_dual_real_pixel(u[i] * c, support[i], weight[i])[1]


@njit
def _object_pixel(ui, v, support, beta, nonnegative, error_reduction):
    if nonnegative:
        v = v.real + 0.0j
    if support and (v.real >= 0.0 or not nonnegative):
        return v, v
    return 0.0 + 0.0j, 0.0 + 0.0j if error_reduction else ui - beta * v


# exterior (None, or an array: OSS's exterior ← u outside the support, fused into the step
# to spare that sweep); numba compiles a loop for each and drops the dead branch
@njit
def _object_step_core(u, u_prime, x, support, beta, nonnegative, error_reduction, c, exterior):
    for i in range(u.size):
        x[i], u[i] = _object_pixel(u[i], u_prime[i] * c, support[i], beta, nonnegative,
                                   error_reduction)
        if exterior is not None:
            if not support[i]:
                exterior[i] = u[i]


@pnjit
def _object_step_par(u, u_prime, x, support, beta, nonnegative, error_reduction, c, exterior):
    for i in prange(u.size):
        x[i], u[i] = _object_pixel(u[i], u_prime[i] * c, support[i], beta, nonnegative,
                                   error_reduction)
        if exterior is not None:
            if not support[i]:
                exterior[i] = u[i]


# the same steps without writing the estimate x (an iteration that records nothing)
@njit
def _object_step_core_no_x(u, u_prime, support, beta, nonnegative, error_reduction, c,
                           exterior):
    for i in range(u.size):
        u[i] = _object_pixel(u[i], u_prime[i] * c, support[i], beta, nonnegative,
                             error_reduction)[1]
        if exterior is not None:
            if not support[i]:
                exterior[i] = u[i]


@pnjit
def _object_step_par_no_x(u, u_prime, support, beta, nonnegative, error_reduction, c,
                          exterior):
    for i in prange(u.size):
        u[i] = _object_pixel(u[i], u_prime[i] * c, support[i], beta, nonnegative,
                             error_reduction)[1]
        if exterior is not None:
            if not support[i]:
                exterior[i] = u[i]


# A real object (nonnegative, the default) keeps a real iterate u and estimate x: its
# forward FFT is a real-input one (about 20 % faster at 512²–1024²) and the sweep moves
# half the bytes of u and x.
@njit
def _object_pixel_real(ui, v, support, beta, error_reduction):
    if support and v >= 0.0:
        return v, v
    zero = _real_like(0.0, ui)
    return zero, zero if error_reduction else ui - beta * v


@njit
def _object_step_real_core(u, u_prime, x, support, beta, error_reduction, c, exterior):
    for i in range(u.size):
        x[i], u[i] = _object_pixel_real(u[i], u_prime[i].real * c, support[i], beta,
                                        error_reduction)
        if exterior is not None:
            if not support[i]:
                exterior[i] = u[i]


@pnjit
def _object_step_real_par(u, u_prime, x, support, beta, error_reduction, c, exterior):
    for i in prange(u.size):
        x[i], u[i] = _object_pixel_real(u[i], u_prime[i].real * c, support[i], beta,
                                        error_reduction)
        if exterior is not None:
            if not support[i]:
                exterior[i] = u[i]


@njit
def _object_step_real_core_no_x(u, u_prime, support, beta, error_reduction, c, exterior):
    for i in range(u.size):
        u[i] = _object_pixel_real(u[i], u_prime[i].real * c, support[i], beta,
                                  error_reduction)[1]
        if exterior is not None:
            if not support[i]:
                exterior[i] = u[i]


@pnjit
def _object_step_real_par_no_x(u, u_prime, support, beta, error_reduction, c, exterior):
    for i in prange(u.size):
        u[i] = _object_pixel_real(u[i], u_prime[i].real * c, support[i], beta,
                                  error_reduction)[1]
        if exterior is not None:
            if not support[i]:
                exterior[i] = u[i]


@njit
def _replace_outside_core(u, v, support):
    for i in range(u.size):
        if not support[i]:
            u[i] = v[i]


@pnjit
def _replace_outside_par(u, v, support):
    for i in prange(u.size):
        if not support[i]:
            u[i] = v[i]


@njit
def _multiply_core(a, h):
    for i in range(a.size):
        a[i] *= h[i]


@pnjit
def _multiply_par(a, h):
    for i in prange(a.size):
        a[i] *= h[i]


@njit
def _r_factor_pixel(xi, m):
    return abs(np.sqrt(xi.real * xi.real + xi.imag * xi.imag) - m)


# The R-factor sums may reassociate their additions (fastmath "reassoc", nothing else): LLVM
# then keeps partial sums in SIMD lanes and vectorizes the square roots, which one running
# total kept scalar (measured at 512², half spectrum, complex128: 323 → 74 µs a sum). Every
# term is computed as before; only the order of the additions changes (partial sums, nearer
# NumPy's pairwise sum than one running total).
_summed = compiled(fastmath={"reassoc"})
_summed_parallel = compiled(fastmath={"reassoc"}, parallel=True)


@_summed
def _r_factor_core(xhat, m, known):
    total = 0.0
    for i in range(xhat.size):
        total += _r_factor_pixel(xhat[i], m[i]) if known[i] else 0.0
    return total


@_summed_parallel
def _r_factor_par(xhat, m, known):
    total = 0.0
    for i in prange(xhat.size):
        total += _r_factor_pixel(xhat[i], m[i]) if known[i] else 0.0
    return total


@_summed
def _r_factor_real_core(xhat, ma, mb, ka, kb):
    total = 0.0
    for i in range(xhat.size):
        xi = xhat[i]
        mod = np.sqrt(xi.real * xi.real + xi.imag * xi.imag)    # one modulus for both terms
        total += (abs(mod - ma[i]) if ka[i] else 0.0) + (abs(mod - mb[i]) if kb[i] else 0.0)
    return total


@_summed_parallel
def _r_factor_real_par(xhat, ma, mb, ka, kb):
    total = 0.0
    for i in prange(xhat.size):
        xi = xhat[i]
        mod = np.sqrt(xi.real * xi.real + xi.imag * xi.imag)
        total += (abs(mod - ma[i]) if ka[i] else 0.0) + (abs(mod - mb[i]) if kb[i] else 0.0)
    return total


@njit
def _hermitian_fill_core(z):
    n0, n1 = z.shape
    for k0 in range(n0):
        m0 = (n0 - k0) % n0
        for k1 in range(n1 // 2 + 1, n1):
            z[k0, k1] = z[m0, n1 - k1].conjugate()


@njit
def _polar_core(z, m, phases):
    # NumPy's complex product (m + 0i)(cos φ + i sin φ), term by term, so that the start is
    # the NumPy twin's bit for bit (signed zeros too); cos and sin are the C library's in
    # both (numpy's complex exp calls them), at twice the speed of np.exp(1j·φ)
    zero = 0.0
    n = m.size
    for run in range(z.size // n):
        for j in range(n):
            i = run * n + j
            mj, c, s = np.float64(m[j]), math.cos(phases[i]), math.sin(phases[i])
            z[i] = complex(mj * c - zero * s, mj * s + zero * c)


def _flat(*arrays):
    return [a.reshape(-1) for a in arrays]


#: Arrays with at least this many pixels are swept by two threads, each running the serial
#: loop on one half of the flattened arrays (numba releases the GIL). At 1024² the sweeps
#: stream 50–80 MB each, more than one core's share of the memory bandwidth moves in the
#: time of the FFTs: measured on 2 shared cores, the magnitude sweep 1.04 → 0.67 ms and the
#: HIO object sweep 4.1 → 2.8 ms. Below that the arrays sit in cache, where the hand-off
#: costs as much as it saves. Unlike the prange loops, the second thread sleeps in between
#: (no OpenMP spinning against scipy.fft's threads). None: never.
SPLIT_MIN_SIZE = 1024 * 1024

_SPLITTER = []


def _splitter():
    if not _SPLITTER:
        from concurrent.futures import ThreadPoolExecutor
        _SPLITTER.append(ThreadPoolExecutor(1, thread_name_prefix="pdeopt-phase-sweep"))
    return _SPLITTER[0]


def _sweep(serial, parallel, arrays, scalars=(), tail=()):
    """Run a per-pixel loop over the flattened ``arrays``, then ``scalars``, then ``tail``
    (arrays, flattened too, or None): prange, two threads on halves, or one, by size.

    Returns the loop's return values, one per part.
    """
    flat = _flat(*arrays)
    tail = [None if a is None else a.reshape(-1) for a in tail]
    n = flat[0].size
    # the float scalars in the first array's precision: a float32 sweep stays in float32
    real = _REAL_TYPE.get(flat[0].dtype.char) or np.finfo(flat[0].dtype).dtype.type
    scalars = [real(v) if isinstance(v, float) else v for v in scalars]
    # the common case first, without slicing: a small sweep costs its call (~1 µs)
    shared = [s for s in (PARALLEL_MIN_SIZE, SPLIT_MIN_SIZE) if s is not None]
    if (not shared or n < min(shared)
            or threading.current_thread() is not threading.main_thread()):
        return [serial(*flat, *scalars, *tail)]

    def run(core, lo, hi):
        return core(*[a[lo:hi] for a in flat], *scalars,
                    *[None if a is None else a[lo:hi] for a in tail])
    if _parallel(flat[0]):
        return [run(parallel, 0, n)]
    if SPLIT_MIN_SIZE is not None and n >= SPLIT_MIN_SIZE:   # (in the main thread)
        other = _splitter().submit(run, serial, n // 2, n)
        return [run(serial, 0, n // 2), other.result()]
    return [run(serial, 0, n)]


# the real type of each complex or real dtype (np.finfo per call costs ~0.3 µs)
_REAL_TYPE = {"f": np.float32, "d": np.float64, "F": np.float32, "D": np.float64}


def _magnitude_prox_numba(z, magnitudes, known, t, sigma):
    _sweep(_magnitude_prox_core, _magnitude_prox_par, (z, magnitudes, known),
           (float(t), float(sigma)))
    return z


def _magnitude_prox_real_numba(z, magnitudes, mirror, known, known_mirror, t, sigma):
    _sweep(_magnitude_prox_real_core, _magnitude_prox_real_par,
           (z, magnitudes, mirror, known, known_mirror), (float(t), float(sigma)))
    return z


def _pdhg_fourier_numba(z, yhat, magnitudes, known, t, s, sigma, fourier_filter=None):
    _sweep(_pdhg_fourier_core, _pdhg_fourier_par, (z, yhat, magnitudes, known),
           (float(t), float(s), float(sigma)), (fourier_filter,))
    return z, yhat


def _pdhg_dual_numba(u, x, support, weight, nonnegative, scale=1.0):
    arrays = (u, support, weight) if x is None else (u, x, support, weight)
    if not _dual_estimate_is_real(x, nonnegative):
        loops = ((_pdhg_dual_core, _pdhg_dual_par) if x is not None else
                 (_pdhg_dual_core_no_x, _pdhg_dual_par_no_x))
        _sweep(*loops, arrays, (bool(nonnegative), float(scale)))
    else:
        loops = ((_pdhg_dual_real_core, _pdhg_dual_real_par) if x is not None else
                 (_pdhg_dual_real_core_no_x, _pdhg_dual_real_par_no_x))
        _sweep(*loops, arrays, (float(scale),))
    return u, x


def _object_step_numba(u, u_prime, x, support, beta, nonnegative, error_reduction,
                       scale=1.0, exterior=None):
    _check_real_iterate(u, nonnegative, x=x)
    if np.iscomplexobj(u):      # (a real u is a nonnegative object's: no flag)
        flag = (bool(nonnegative),)
        loops = ((_object_step_core, _object_step_par) if x is not None else
                 (_object_step_core_no_x, _object_step_par_no_x))
    else:
        flag = ()
        loops = ((_object_step_real_core, _object_step_real_par) if x is not None else
                 (_object_step_real_core_no_x, _object_step_real_par_no_x))
    arrays = (u, u_prime, support) if x is None else (u, u_prime, x, support)
    _check_exterior(exterior, u)
    _sweep(*loops, arrays, (float(beta), *flag, bool(error_reduction), float(scale)),
           (exterior,))
    return u, x


def _replace_outside_numba(u, v, support):
    _sweep(_replace_outside_core, _replace_outside_par,
           (u, v if np.iscomplexobj(u) else v.real, support))
    return u


def _multiply_numba(a, h):
    _sweep(_multiply_core, _multiply_par, (a, h))
    return a


def _r_factor_numba(xhat, magnitudes, known):
    return float(sum(_sweep(_r_factor_core, _r_factor_par, (xhat, magnitudes, known))))


def _r_factor_real_numba(xhat, magnitudes, mirror, known, counted_mirror):
    return float(sum(_sweep(_r_factor_real_core, _r_factor_real_par,
                            (xhat, magnitudes, mirror, known, counted_mirror))))


def _hermitian_fill_numba(z):
    _hermitian_fill_core(z)
    return z


def _polar_numba(z, magnitudes, phases):
    _polar_core(z.reshape(-1), magnitudes.reshape(-1), phases.reshape(-1))
    return z


# --- numba.cuda: the same sweeps, one thread per pixel --------------------------------------
# The kernels sweep flattened arrays. A stack of runs (reconstruct_many on the GPU: arrays of
# shape (n_runs, N₀, N₁)) shares the grid arrays of one run (M, known, support, filters): pixel
# i of the stack reads them at i mod (their size). Device arrays (CuPy, numba) are viewed in
# place; host arrays make a round trip (copied in, the updated ones copied back) per call.

_CUDA = {}
cuda = None  # numba.cuda, imported on first use (a module global: the simulator patches it)

#: Threads per block of the sweeps and of the R-factor's block reduction.
THREADS = 256
#: The most blocks per run of the R-factor reduction (each thread then sums several pixels).
REDUCE_BLOCKS = 1024


def _cuda_kernels():
    """Compile the CUDA kernels on first use (importing numba.cuda is slow)."""
    global cuda
    if _CUDA:
        return _CUDA
    from numba import cuda, float64

    @cuda.jit(device=True)
    def prox(zi, m, t, sigma):
        # prox_{t g_σ}: (t·M·z/|z| + σ·z)/(t + σ), the projection z ↦ M·z/|z| for σ = 0
        mod = abs(zi)
        ph = zi / mod if mod > 0.0 else 1.0 + 0.0j
        return (t * m * ph + sigma * zi) / (t + sigma)

    @cuda.jit
    def magnitude_prox(z, m, known, t, sigma):
        i = cuda.grid(1)
        if i < z.size:
            j = i % m.size
            if known[j]:
                z[i] = prox(z[i], m[j], t, sigma)

    @cuda.jit
    def magnitude_prox_real(z, ma, mb, ka, kb, t, sigma):
        i = cuda.grid(1)
        if i < z.size:
            j = i % ma.size
            zi = z[i]
            mod = abs(zi)
            inv = 1.0 / (t + sigma)
            if mod > 0.0:
                ca = (t * ma[j] / mod + sigma) * inv if ka[j] else 1.0
                cb = (t * mb[j] / mod + sigma) * inv if kb[j] else 1.0
                z[i] = zi * (0.5 * (ca + cb))
            else:
                a = t * ma[j] * inv if ka[j] else 0.0
                b = t * mb[j] * inv if kb[j] else 0.0
                z[i] = 0.5 * (a + b)

    @cuda.jit
    def pdhg_fourier(z, yhat, m, known, h, t, s, sigma, filtered):
        i = cuda.grid(1)
        if i < z.size:
            j = i % m.size
            zi = z[i]
            yi = yhat[i] * h[j] if filtered else yhat[i]
            w = zi - t * yi
            if known[j]:
                w = prox(w, m[j], t, sigma)
            yhat[i] = yi + s * (2.0 * w - zi)
            z[i] = w

    @cuda.jit
    def pdhg_dual(u, x, support, weight, nonnegative, c):
        i = cuda.grid(1)
        if i < u.size:
            j = i % support.size
            ui = u[i] * c
            if not support[j]:
                xi = 0.0 + 0.0j
            elif nonnegative:       # max(Re u, 0), written out: compiles without a GPU
                xi = (0.0 if ui.real < 0.0 else ui.real) + 0.0j
            else:
                xi = ui
            x[i] = xi
            u[i] = weight[j] * (ui - xi)

    @cuda.jit
    def pdhg_dual_real(u, x, support, weight, c):
        # a real object: x = P_X(d) real (half the bytes of a complex one)
        i = cuda.grid(1)
        if i < u.size:
            j = i % support.size
            ui = u[i] * c
            xi = (0.0 if ui.real < 0.0 else ui.real) if support[j] else 0.0
            x[i] = xi
            u[i] = weight[j] * (ui - xi)

    @cuda.jit(device=True)
    def object_rule(ui, v, good, beta, error_reduction):
        # ER / HIO: (x, u) ← (u′, u′) where u′ meets the object constraint, else
        # (0, 0) for ER and (0, u − β·u′) for HIO
        if good:
            return v, v
        return 0.0 * v, 0.0 * v if error_reduction else ui - beta * v

    @cuda.jit
    def object_step(u, u_prime, x, support, beta, nonnegative, error_reduction, c):
        i = cuda.grid(1)
        if i < u.size:
            v = u_prime[i] * c
            if nonnegative:
                v = v.real + 0.0j
            good = support[i % support.size] and (v.real >= 0.0 or not nonnegative)
            x[i], u[i] = object_rule(u[i], v, good, beta, error_reduction)

    @cuda.jit
    def object_step_real(u, u_prime, x, support, beta, error_reduction, c):
        # a real object: u, u′ (the inverse real FFT) and x real
        i = cuda.grid(1)
        if i < u.size:
            v = u_prime[i] * c
            x[i], u[i] = object_rule(u[i], v, support[i % support.size] and v >= 0.0, beta,
                                     error_reduction)

    @cuda.jit
    def replace_outside(u, v, support):
        i = cuda.grid(1)
        if i < u.size and not support[i % support.size]:
            u[i] = v[i]

    @cuda.jit
    def multiply(a, h):
        i = cuda.grid(1)
        if i < a.size:
            a[i] *= h[i % h.size]

    @cuda.jit(device=True)
    def block_sum(acc, out, run):
        # tree reduction of the block's partial sums in shared memory, one atomic per block
        partial = cuda.shared.array(THREADS, float64)
        tid = cuda.threadIdx.x
        partial[tid] = acc
        cuda.syncthreads()
        step = THREADS // 2
        while step > 0:
            if tid < step:
                partial[tid] += partial[tid + step]
            cuda.syncthreads()
            step //= 2
        if tid == 0:
            cuda.atomic.add(out, run, partial[0])

    # R-factor numerators, summed in float64 per run: grid (blocks, runs), grid-stride loop;
    # Σ_ka | |X| − M_a | (+ Σ_kb | |X| − M_b | when ``mirrored``: a real x's half spectrum)
    @cuda.jit
    def r_factor(xhat, ma, mb, ka, kb, out, mirrored):
        run, n = cuda.blockIdx.y, ma.size
        acc = 0.0
        for i in range(cuda.grid(1), n, cuda.gridDim.x * cuda.blockDim.x):
            mod = abs(xhat[run * n + i])            # one modulus for both terms
            if ka[i]:
                acc += abs(mod - ma[i])
            if mirrored and kb[i]:
                acc += abs(mod - mb[i])
        block_sum(acc, out, run)

    _CUDA.update(cuda=cuda, magnitude_prox=magnitude_prox,
                 magnitude_prox_real=magnitude_prox_real, pdhg_fourier=pdhg_fourier,
                 pdhg_dual=pdhg_dual, pdhg_dual_real=pdhg_dual_real, object_step=object_step,
                 object_step_real=object_step_real, replace_outside=replace_outside,
                 multiply=multiply, r_factor=r_factor)
    return _CUDA


#: Flat numba views of device memory, by (pointer, size, type): an iteration sweeps the same
#: arrays again and again, and making a view costs more than a small sweep on the GPU.
_VIEWS: dict = {}


def _device_view(a):
    """A flat numba view of the C-contiguous device array ``a``, without synchronizing.

    The view holds no reference to ``a`` (it is looked up by ``a``'s pointer, which a later
    array at the same address and of the same size and type may share: the view is then
    right for it too). numba's kernels and CuPy's both run on the legacy default stream, so
    no synchronization is needed (``as_cuda_array`` would synchronize per view).
    """
    cai = a.__cuda_array_interface__
    key = (cai["data"][0], a.size, cai["typestr"])
    view = _VIEWS.get(key)
    if view is None:
        if len(_VIEWS) >= 256:
            _VIEWS.clear()
        view = cuda.from_cuda_array_interface(
            {"shape": (a.size,), "typestr": cai["typestr"], "data": (cai["data"][0], False),
             "strides": None, "version": 2}, owner=None, sync=False)
        _VIEWS[key] = view
    return view


def _views(arrays):
    """Flat numba views of device ``arrays`` (no copy), or device copies of host ones."""
    from ._device import as_numba, simulated
    if not is_device_array(arrays[0]):
        return [cuda.to_device(np.ascontiguousarray(a).reshape(-1)) for a in arrays]
    if simulated():
        return [as_numba(a.reshape(-1)) for a in arrays]
    from pdeopt._xp import _c_contiguous
    return [_device_view(a) if _c_contiguous(a) else as_numba(a.reshape(-1)) for a in arrays]


def _launch(name, arrays, outputs, *scalars, grid=None):
    """Run kernel ``name`` with one thread per pixel of ``arrays[0]`` (or on ``grid``).

    ``arrays`` are in the kernel's argument order. On device arrays the kernel updates them
    in place; host arrays are copied to the device and ``outputs`` (the indices of those
    updated) copied back into them.
    """
    k = _cuda_kernels()
    dev = _views(arrays)
    grid = math.ceil(arrays[0].size / THREADS) if grid is None else grid
    k[name][grid, THREADS](*dev, *scalars)
    if not is_device_array(arrays[0]):
        for i in outputs:
            arrays[i].reshape(-1)[...] = dev[i].copy_to_host()


def _magnitude_prox_cuda(z, magnitudes, known, t, sigma):
    _launch("magnitude_prox", [z, magnitudes, known], [0], float(t), float(sigma))
    return z


def _magnitude_prox_real_cuda(z, magnitudes, mirror, known, known_mirror, t, sigma):
    _launch("magnitude_prox_real", [z, magnitudes, mirror, known, known_mirror], [0], float(t),
            float(sigma))
    return z


def _pdhg_fourier_cuda(z, yhat, magnitudes, known, t, s, sigma, fourier_filter=None):
    # no filter: any real array stands in for h (not read)
    h = magnitudes if fourier_filter is None else fourier_filter
    _launch("pdhg_fourier", [z, yhat, magnitudes, known, h], [0, 1], float(t), float(s),
            float(sigma), fourier_filter is not None)
    return z, yhat


def _pdhg_dual_cuda(u, x, support, weight, nonnegative, scale=1.0):
    if x is None:       # (the device loops always pass x; a caller of the kernel may not)
        x = namespace(u).empty(u.shape, u.real.dtype if nonnegative else u.dtype)
    _check_real_iterate(x, nonnegative, "x")
    if np.iscomplexobj(x):
        _launch("pdhg_dual", [u, x, support, weight], [0, 1], bool(nonnegative), float(scale))
    else:
        _launch("pdhg_dual_real", [u, x, support, weight], [0, 1], float(scale))
    return u, x


def _object_step_cuda(u, u_prime, x, support, beta, nonnegative, error_reduction,
                      scale=1.0, exterior=None):
    _check_real_iterate(u, nonnegative, x=x)
    _check_exterior(exterior, u)
    if x is None:       # (the device loops always pass x; a caller of the kernel may not)
        x = namespace(u).empty_like(u)
    if np.iscomplexobj(u):
        _launch("object_step", [u, u_prime, x, support], [0, 2], float(beta),
                bool(nonnegative), bool(error_reduction), float(scale))
    else:
        _launch("object_step_real", [u, u_prime.real, x, support], [0, 2], float(beta),
                bool(error_reduction), float(scale))
    if exterior is not None:    # a launch of its own, as before the CPU loops fused it
        _replace_outside_cuda(exterior, u, support)
    return u, x


def _replace_outside_cuda(u, v, support):
    _launch("replace_outside", [u, v if np.iscomplexobj(u) else v.real, support], [0])
    return u


def _multiply_cuda(a, h):
    _launch("multiply", [a, h], [0])
    return a


def _r_factor_sums(xhat, ma, mb, ka, kb, mirrored):
    """The R-factor kernel's per-run sums: a 0-d device array for one run, one per run for
    a stack, a float for host arrays. No synchronization on the device."""
    runs = xhat.size // ma.size
    device = is_device_array(xhat)
    out = namespace(xhat).zeros(runs, np.float64) if device else np.zeros(1)
    _launch("r_factor", [xhat, ma, mb, ka, kb, out], [5], bool(mirrored),
            grid=(min(math.ceil(ma.size / THREADS), REDUCE_BLOCKS), runs))
    return out.reshape(xhat.shape[:-2]) if device else float(out[0])


def _r_factor_cuda(xhat, magnitudes, known):
    return _r_factor_sums(xhat, magnitudes, magnitudes, known, known, False)


def _r_factor_real_cuda(xhat, magnitudes, mirror, known, counted_mirror):
    return _r_factor_sums(xhat, magnitudes, mirror, known, counted_mirror, True)


register("phase.magnitude_prox", numpy=_magnitude_prox_numpy, numba=_magnitude_prox_numba,
         cuda=_magnitude_prox_cuda)
register("phase.magnitude_prox_real", numpy=_magnitude_prox_real_numpy,
         numba=_magnitude_prox_real_numba, cuda=_magnitude_prox_real_cuda)
register("phase.pdhg_fourier", numpy=_pdhg_fourier_numpy, numba=_pdhg_fourier_numba,
         cuda=_pdhg_fourier_cuda)
register("phase.pdhg_dual", numpy=_pdhg_dual_numpy, numba=_pdhg_dual_numba,
         cuda=_pdhg_dual_cuda)
register("phase.object_step", numpy=_object_step_numpy, numba=_object_step_numba,
         cuda=_object_step_cuda)
register("phase.replace_outside", numpy=_replace_outside_numpy, numba=_replace_outside_numba,
         cuda=_replace_outside_cuda)
register("phase.multiply", numpy=_multiply_numpy, numba=_multiply_numba, cuda=_multiply_cuda)
register("phase.r_factor", numpy=_r_factor_numpy, numba=_r_factor_numba, cuda=_r_factor_cuda)
register("phase.r_factor_real", numpy=_r_factor_real_numpy, numba=_r_factor_real_numba,
         cuda=_r_factor_real_cuda)
register("phase.hermitian_fill", numpy=_hermitian_fill_numpy, numba=_hermitian_fill_numba)
register("phase.polar", numpy=_polar_numpy, numba=_polar_numba)
