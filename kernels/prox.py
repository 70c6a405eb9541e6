"""Elementwise thresholding and the BinaryRelax combine step (``pdeopt.prox``, ``pdeopt.quant``).

Kernels (all take 1-D contiguous float arrays and return an array of the same dtype: a new
one, or ``out`` when given, a contiguous array of x's size and dtype, which may be x itself):

``prox.soft``      sign(x)·max(|x| − λ, 0)
``prox.hard``      x·1{|x| > √(2λ)}
``prox.tl1``       the transformed-ℓ1 proximal map (Zhang & Xin 2017), threshold t given;
                   compiled, cos(arccos(c)/3) is a polynomial (``_COS_THIRD_ACOS``); on the
                   CPU the shortest of four (``_TL1_TIERS``) that covers the entries above
                   t, in a rearranged form (``_tl1_cpu_with``; κ from ``tl1_kappa``)
``prox.quant_combine``
    x = w·s·q(y) + (1 − w)·y with q the quantization codes of y for scale s:
    ``levels == 0`` binary q = ±1 (q = +1 at y = 0), ``levels == 1`` ternary
    q = sign(y)·1{|y| > threshold}, ``levels ≥ 2`` q = clip(rint(y/s), −levels, levels).
    w = λ/(λ + 1) is BinaryRelax's Phase I relaxed step, w = 1 the exact projection.

The scalar maps are written once in plain ``math`` and compiled twice: by ``njit``
for the CPU loops and by ``numba.cuda.jit(device=True)`` for the GPU kernels.
"""
from __future__ import annotations

import math
import types

import numba
import numpy as np
from numba import cuda  # importing needs no GPU; kernels compile on first use

from pdeopt._xp import is_device_array

from ._device import as_numba, empty_like_device
from ._registry import compiled, njit, register

# --------------------------------------------------------------------------- scalars


def _soft_scalar(x, lam):
    # the NumPy twin's sign(x)·max(|x| − λ, 0) to the bit, zeros included (−0.0 for x < 0,
    # +0.0 for x = ±0); NaN propagates
    ax = abs(x) - lam
    m = 0.0 if ax <= 0.0 else ax
    return -m if x < 0 else m


def _hard_scalar(x, thresh):
    return x if abs(x) > thresh else 0.0


# cos(acos(c)/3) on c ∈ [−1, 1], the root the Tℓ1 prox needs, without trigonometry: with
# u = √((1 + c)/2) it is cos(2·acos(u)/3), analytic on u ∈ [0, 1] (acos's branch point at
# u = 1 cancels inside the even cosine; the one at u = −1 lies far off), so its degree-18
# Chebyshev interpolant in t = 2u − 1 is within 2e-15 of it. Below, its monomial
# coefficients in t (their absolute sum is 1.03: no cancellation), padded to 20 and summed
# as four Horner chains in t⁴: independent multiply-adds that vectorise, where libm's acos
# and cos do not (8× faster in `pdeopt bench prox`; the NumPy twin keeps acos/cos).
_COS_THIRD_ACOS = np.array([
    0.7660444431189781, 0.24740906632285395, -0.015509188436491362, 0.002466352815037934,
    -0.0005041246909800756, 0.00011642545374189197, -2.891993806559385e-05,
    7.541072675696582e-06, -2.0358599100566414e-06, 5.641747018977321e-07,
    -1.595735594361807e-07, 4.5805323176252944e-08, -1.3293983059118505e-08,
    4.0061347397319105e-09, -1.2419798961201646e-09, 2.9475089036168356e-10,
    -6.074897310339254e-11, 5.478022713807724e-11, -2.3260037171200422e-11, 0.0])


def _cos_third_acos(c):
    t = 2.0 * math.sqrt(0.5 * (1.0 + c)) - 1.0
    t2 = t * t
    t4 = t2 * t2
    k = _COS_THIRD_ACOS.size - 4
    p0, p1 = _COS_THIRD_ACOS[k], _COS_THIRD_ACOS[k + 1]
    p2, p3 = _COS_THIRD_ACOS[k + 2], _COS_THIRD_ACOS[k + 3]
    for k in range(_COS_THIRD_ACOS.size - 8, -1, -4):
        p0 = p0 * t4 + _COS_THIRD_ACOS[k]
        p1 = p1 * t4 + _COS_THIRD_ACOS[k + 1]
        p2 = p2 * t4 + _COS_THIRD_ACOS[k + 2]
        p3 = p3 * t4 + _COS_THIRD_ACOS[k + 3]
    return (p0 + t * p1) + t2 * (p2 + t * p3)


def _tl1_with(cos_third_acos):
    """The Tℓ1 scalar map, given cos(acos(c)/3) compiled for the same target (the GPU's;
    the CPU loops use the rearranged ``_tl1_cpu_with``)."""
    def tl1(x, lam, a, thresh):
        # Zhang & Xin's closed form: g = ⅔(a + |x|)·cos(φ/3) − ⅔a + ⅓|x| with cos φ = c
        ax = abs(x)
        # 1 − 27λa(a+1)/(2(a+|x|)³), by factors that stay finite where |x| > t (the
        # cubed denominator and λa(a+1) overflow separately for |x| or λ past ~1e102)
        inv = 1.0 / (a + ax)
        c = 1.0 - 13.5 * lam * inv * (a * inv) * ((a + 1.0) * inv)
        # |x| > t keeps c in [-1, 1] mathematically; rounding can step just outside
        c = min(1.0, max(-1.0, c))
        # ax·(1/3), not ax/3: a division per entry would load the divider that 1/(a + |x|)
        # and the square root already share (7 % of the compiled loop; within 1 ulp)
        g = (2.0 / 3.0) * (a + ax) * cos_third_acos(c) - 2.0 * a / 3.0 + ax * (1.0 / 3.0)
        g = g if x > 0 else -g
        return g if ax > thresh else 0.0  # a select, not a branch: the loop vectorises
    return tl1


def _round_half_even(v):
    r = math.floor(v + 0.5)
    if r - v == 0.5 and r % 2.0 != 0.0:  # exactly halfway: round to even like np.rint
        r -= 1.0
    return r


_soft_cpu = njit(_soft_scalar)
_hard_cpu = njit(_hard_scalar)
# inlined into the loop in numba's IR, so that LLVM vectorises the loop (FMAs: see _by_size)
_inline = compiled(inline="always")


def _horner4(coefficients):
    """t ↦ Σ_k coefficients[k]·t^k (a multiple of 4 of them, a constant array) as four
    Horner chains in t⁴, as in ``_cos_third_acos`` (which keeps its own loop: the CUDA
    kernels compile it as one device function, with no Python closure to call)."""
    def poly(t):
        t2 = t * t
        t4 = t2 * t2
        k = coefficients.size - 4
        p0, p1 = coefficients[k], coefficients[k + 1]
        p2, p3 = coefficients[k + 2], coefficients[k + 3]
        for k in range(coefficients.size - 8, -1, -4):
            p0 = p0 * t4 + coefficients[k]
            p1 = p1 * t4 + coefficients[k + 1]
            p2 = p2 * t4 + coefficients[k + 2]
            p3 = p3 * t4 + coefficients[k + 3]
        return (p0 + t * p1) + t2 * (p2 + t * p3)
    return poly


# ⅔·cos(acos(c)/3), Zhang & Xin's factor ⅔ folded in, on u = √((1 + c)/2) ∈ [lo, 1], as a
# polynomial in t = (2u − 1 − lo)/(1 − lo) ∈ [−1, 1]: for lo = 0, ⅔·_COS_THIRD_ACOS (each
# coefficient within an ulp of ⅔ times its own); for the shorter ranges, Chebyshev
# interpolants (monomial coefficients from 50-digit arithmetic; within 3.4e-16 of the
# function, the rounding of the evaluation included). u grows with |x|, so a call whose
# threshold puts u above lo for every kept entry evaluates the shorter polynomial: 16, 12 or 8
# multiply-adds instead of 20, the bulk of the map's work (see _tl1_tier).
_TL1_TIERS = (
    (0.0, _COS_THIRD_ACOS * (2.0 / 3.0)),
    (0.25, np.array([
        0.5513093733436587, 0.1200437609557306, -0.005186936910753212, 0.0005700618923546901,
        -8.05941353737387e-05, 1.2878498516135722e-05, -2.213839864350704e-06,
        3.995402448925204e-07, -7.465886023084916e-08, 1.4320380226963635e-08,
        -2.8046413392836985e-09, 5.580665856539212e-10, -1.109418875052046e-10,
        2.261202685191223e-11, -5.634453314762923e-12, 1.1719984832261995e-12])),
    (0.5, np.array([
        0.5907678025526918, 0.07784308510807744, -0.0020738723197967907,
        0.00014086801517505657, -1.2317947047041706e-05, 1.217832583458306e-06,
        -1.2954882309043197e-07, 1.4469552524624e-08, -1.672148240370673e-09,
        1.9850946556841103e-10, -2.521711547639353e-11, 3.1093562894422494e-12])),
    (0.875, np.array([
        0.6480393621404718, 0.018737740866348065, -0.0001121190530583577,
        1.7158132359757544e-06, -3.383746866792519e-08, 7.548259738594463e-10,
        -1.814544212786291e-11, 4.575015406002432e-13])),
)


def _tl1_cpu_with(lo, coefficients):
    """The CPU Tℓ1 map for entries whose u lies in [lo, 1] (see _TL1_TIERS)."""
    two_thirds_cos_third_acos = _inline(_horner4(coefficients))
    scale, shift = 2.0 / (1.0 - lo), -(1.0 + lo) / (1.0 - lo)

    def tl1(x, kappa, a, thresh):
        # _tl1_with's map, rearranged for the CPU's vector units (within a few ulp of it):
        # (1 + cos φ)/2 = u² = 1 − (κ/(a + |x|))³ with κ = ∛(6.75λa(a + 1)) from tl1_kappa
        # (one division, three multiply-adds where c and its clamps took nine operations),
        # g = (a + |x|)·⅔cos(φ/3) + (|x|/3 − 2a/3) (two multiply-adds, not four operations);
        # where |x| > t, κ/(a + |x|) ≤ 1 and the cube cannot overflow
        ax = abs(x)
        y = a + ax
        w = kappa / y
        v = max(1.0 - w * w * w, 0.0)  # ≥ 0 mathematically; rounding can step just below
        g = (y * two_thirds_cos_third_acos(scale * math.sqrt(v) + shift)
             + (ax * (1.0 / 3.0) - (2.0 / 3.0) * a))
        return math.copysign(g, x) if ax > thresh else 0.0  # selects: the loop vectorises
    return _inline(tl1)


def _tl1_tier(kappa, a, thresh):
    """The index in _TL1_TIERS of the shortest polynomial whose range holds u of every entry
    above the threshold t: u grows with |x|, so its value at |x| = t (less a margin for
    the kernel's rounding) bounds them all."""
    w = kappa / (a + thresh)
    u = math.sqrt(max(1.0 - w * w * w, 0.0)) - 1e-9
    return max(k for k, (lo, _) in enumerate(_TL1_TIERS) if k == 0 or lo <= u)


def tl1_kappa(lam, a):
    """κ = ∛(6.75λa(a + 1)) of the compiled Tℓ1 map: by its factors where the product
    leaves the normal range (λ up to 1.8e308, a from 5e-324 to 1e8)."""
    k = 6.75 * lam * a * (a + 1.0)
    if k == 0.0 and lam == 0.0 or np.finfo(np.float64).tiny <= k < np.inf:
        return float(np.cbrt(k))
    return float(np.cbrt(6.75 * lam) * np.cbrt(a) * np.cbrt(a + 1.0))


# --------------------------------------------------------------------------- NumPy twins


def _into(result, out):
    """``result``, or ``out`` holding it (the twins compute first, so out may be x)."""
    if out is None:
        return result
    out[...] = result
    return out


def soft_numpy(x, lam, out=None):
    return _into(np.sign(x) * np.maximum(np.abs(x) - lam, 0), out)


def hard_numpy(x, thresh, out=None):
    return _into(np.where(np.abs(x) > thresh, x, np.zeros_like(x)), out)


def tl1_numpy(x, lam, a, thresh, out=None):
    return _into(_tl1_numpy(x, lam, a, thresh), out)


def _tl1_numpy(x, lam, a, thresh):
    ax = np.abs(x)
    keep = ax > thresh
    axk = ax[keep].astype(np.float64)
    inv = 1.0 / (a + axk)  # the factors of _tl1_with's c, which do not overflow
    phi = np.arccos(np.clip(1 - 13.5 * lam * inv * (a * inv) * ((a + 1) * inv), -1.0, 1.0))
    g = (2 / 3) * (a + axk) * np.cos(phi / 3) - 2 * a / 3 + axk / 3
    out = np.zeros_like(x)
    out[keep] = np.sign(x[keep]) * g
    return out


def quant_codes_numpy(y, scale, threshold, levels):
    """The integer codes q(y) of ``prox.quant_combine`` (as floats)."""
    if levels == 0:
        return np.where(y >= 0, 1.0, -1.0).astype(y.dtype)
    if levels == 1:
        return (np.sign(y) * (np.abs(y) > threshold)).astype(y.dtype)
    return np.clip(np.rint(y / scale), -levels, levels).astype(y.dtype)


def quant_combine_numpy(y, scale, threshold, levels, weight, out=None):
    p = scale * quant_codes_numpy(y, scale, threshold, levels)
    return _into((weight * p + (1 - weight) * y).astype(y.dtype), out)


# --------------------------------------------------------------------------- numba CPU
# One loop body, compiled serial and parallel: below PARALLEL_MIN elements the
# thread start-up costs more than the loop (a 50-weight layer took 1 ms in parallel).

PARALLEL_MIN = 1 << 16


# The thresholding loops also count the NaN and inf entries of x (x − x ≠ 0 exactly for
# those), an integer sum that vectorises with the map: the public functions refuse such input
# without a second pass over x (np.isfinite over 10⁷ doubles cost half a copy).


def _soft_loop(x, lam, out):
    bad = 0
    for i in numba.prange(x.size):
        xi = x[i]
        bad += (xi - xi) != 0.0
        out[i] = _soft_cpu(xi, lam)
    return bad


def _hard_loop(x, thresh, out):
    bad = 0
    for i in numba.prange(x.size):
        xi = x[i]
        bad += (xi - xi) != 0.0
        out[i] = _hard_cpu(xi, thresh)
    return bad


def _tl1_loop(x, kappa, a, thresh, out):
    bad = 0
    for i in numba.prange(x.size):
        xi = x[i]
        bad += (xi - xi) != 0.0
        out[i] = _tl1_map(xi, kappa, a, thresh)  # noqa: F821 (a global of each copy)
    return bad


def _with_map(loop, tl1, k):
    """A copy of ``loop``, named for polynomial ``k``, whose global ``_tl1_map`` is ``tl1``.

    A global, not a closure: numba's cache keys a closure by its pickled cells, which differ
    from process to process, so every process compiled the loops anew (and added a cache
    entry)."""
    scope = dict(loop.__globals__, _tl1_map=tl1)
    copy = types.FunctionType(loop.__code__, scope, f"{loop.__name__}_tier{k}",
                              loop.__defaults__, loop.__closure__)
    copy.__qualname__ = f"{loop.__qualname__}_tier{k}"
    return copy


def _combine_loop(y, scale, threshold, levels, weight, out):
    # one branch-free loop per code rule, so each vectorizes
    w1 = 1.0 - weight
    ws = weight * scale
    if levels == 0:
        for i in numba.prange(y.size):
            out[i] = (ws if y[i] >= 0 else -ws) + w1 * y[i]
    elif levels == 1:
        for i in numba.prange(y.size):
            q = (1.0 if y[i] > 0 else -1.0) if abs(y[i]) > threshold else 0.0
            out[i] = ws * q + w1 * y[i]
    else:
        top = float(levels)
        for i in numba.prange(y.size):
            q = min(top, max(-top, np.rint(y[i] / scale)))
            out[i] = ws * q + w1 * y[i]


def _renamed(func, suffix):
    """A copy of ``func`` under another qualified name.

    numba's on-disk cache is indexed by qualified name and line, not by the
    ``parallel`` flag: compiling one function both ways would make the serial
    dispatcher load the parallel machine code (16 ms per call on 600 elements).
    """
    copy = types.FunctionType(func.__code__, func.__globals__, func.__name__ + suffix,
                              func.__defaults__, func.__closure__)
    copy.__qualname__ = func.__qualname__ + suffix
    return copy


def _by_size(loop, *, counts=False, **options):
    """The registered ``f(x, *args, out=None)`` running ``loop`` serial or parallel by size.

    With ``counts`` (the loop returns the number of NaN/inf entries of x), ``f`` also has
    ``f.counting_nonfinite(x, *args, out=None) -> (out, count)`` for the public boundary.
    """
    serial = compiled(**options)(_renamed(loop, "_serial"))
    parallel = compiled(parallel=True, **options)(_renamed(loop, "_parallel"))

    def counting(x, *args, out=None):
        if out is None:
            # NumPy allocates the output: its large allocations use huge pages, while an
            # allocation inside numba faults in 4 KiB pages (80 ms vs 12 ms for 10⁷ doubles)
            out = np.empty_like(x)
        bad = (parallel if x.size >= PARALLEL_MIN else serial)(x, *args, out)
        return out, bad

    def run(x, *args, out=None):
        return counting(x, *args, out=out)[0]
    run.__name__ = loop.__name__.replace("_loop", "_numba")
    run.__doc__ = f"numba CPU version of {loop.__name__} (parallel above {PARALLEL_MIN} elements)"
    if counts:
        run.counting_nonfinite = counting
    return run


soft_numba = _by_size(_soft_loop, counts=True)
hard_numba = _by_size(_hard_loop, counts=True)
# multiply-adds contract to FMAs in the Tℓ1 polynomial (faster, and no less accurate); the
# NumPy error model drops numba's check for a zero divisor (a + |x| > 0 here), a branch that
# kept the loop scalar: vectorised, the loop is 5× faster, with the same bits
# one loop per polynomial of _TL1_TIERS, each under its own name (numba's cache is by name)
_TL1_NUMBA = [_by_size(_with_map(_tl1_loop, _tl1_cpu_with(lo, c), k), counts=True,
                       fastmath={"contract"}, error_model="numpy")
              for k, (lo, c) in enumerate(_TL1_TIERS)]


def _tl1_numba_counting(x, lam, a, thresh, out=None):
    kappa = tl1_kappa(lam, a)
    loop = _TL1_NUMBA[_tl1_tier(kappa, a, thresh)]
    return loop.counting_nonfinite(x, kappa, a, thresh, out=out)


def tl1_numba(x, lam, a, thresh, out=None):
    """numba CPU version of the Tℓ1 map (parallel above PARALLEL_MIN elements)."""
    return _tl1_numba_counting(x, lam, a, thresh, out=out)[0]


tl1_numba.counting_nonfinite = _tl1_numba_counting
quant_combine_numba = _by_size(_combine_loop)


# --------------------------------------------------------------------------- numba.cuda

_CUDA = {}


def _cuda_kernels():
    """Compile the CUDA kernels on first use (importing this module needs no GPU)."""
    if _CUDA:
        return _CUDA

    soft_d = cuda.jit(device=True)(_soft_scalar)
    hard_d = cuda.jit(device=True)(_hard_scalar)
    tl1_d = cuda.jit(device=True)(_tl1_with(cuda.jit(device=True)(_cos_third_acos)))
    rhe_d = cuda.jit(device=True)(_round_half_even)

    @cuda.jit(device=True)
    def code_d(y, scale, threshold, levels):
        if levels == 0:
            return 1.0 if y >= 0 else -1.0
        if levels == 1:
            if abs(y) > threshold:
                return 1.0 if y > 0 else -1.0
            return 0.0
        q = rhe_d(y / scale)
        return min(float(levels), max(-float(levels), q))

    # the thresholds count NaN/inf entries of x in the same pass, as the CPU
    # loops do: one atomic per bad entry, none on clean input
    @cuda.jit
    def soft_k(x, lam, out, bad):
        i = cuda.grid(1)
        if i < x.size:
            xi = x[i]
            if not math.isfinite(xi):
                cuda.atomic.add(bad, 0, 1)
            out[i] = soft_d(xi, lam)

    @cuda.jit
    def hard_k(x, thresh, out, bad):
        i = cuda.grid(1)
        if i < x.size:
            xi = x[i]
            if not math.isfinite(xi):
                cuda.atomic.add(bad, 0, 1)
            out[i] = hard_d(xi, thresh)

    @cuda.jit
    def tl1_k(x, lam, a, thresh, out, bad):
        i = cuda.grid(1)
        if i < x.size:
            xi = x[i]
            if not math.isfinite(xi):
                cuda.atomic.add(bad, 0, 1)
            out[i] = tl1_d(xi, lam, a, thresh)

    @cuda.jit
    def count_k(x, bad):
        i = cuda.grid(1)
        if i < x.size:
            xi = x[i]
            if not math.isfinite(xi):
                cuda.atomic.add(bad, 0, 1)

    @cuda.jit
    def combine_k(y, scale, threshold, levels, weight, out):
        i = cuda.grid(1)
        if i < y.size:
            p = scale * code_d(y[i], scale, threshold, levels)
            out[i] = weight * p + (1.0 - weight) * y[i]

    _CUDA.update(soft=soft_k, hard=hard_k, tl1=tl1_k, count=count_k, combine=combine_k)
    return _CUDA


_THREADS = 256


def _grid(n):
    return max(1, (n + _THREADS - 1) // _THREADS), _THREADS


def _on_device(name, x, *args, out=None, bad=None):
    """Launch kernel ``name`` on device array ``x`` (1-D, contiguous: numba, CuPy or any
    ``__cuda_array_interface__`` object) into ``out`` (a device array, or None: a new one of
    x's kind), and return ``out``. The thresholds also take ``bad``, a 1-element int64
    device array to which they add the number of NaN/inf entries of x. Asynchronous."""
    k = _cuda_kernels()
    if out is None:
        out = empty_like_device(x)
    blocks, threads = _grid(x.size)
    extra = () if bad is None else (bad,)
    k[name][blocks, threads](as_numba(x), *args, as_numba(out), *extra)
    return out


def _zero_count():
    return cuda.to_device(np.zeros(1, np.int64))


def count_nonfinite_cuda(x):
    """The number of NaN/inf entries of device array ``x`` (1-D), counted on the device."""
    bad = _zero_count()
    blocks, threads = _grid(x.size)
    _cuda_kernels()["count"][blocks, threads](as_numba(x), bad)
    return int(bad.copy_to_host()[0])


def _launch(name, x, *args, out=None, count=False):
    """``_on_device`` for host or device ``x``, returning ``(out, count)``: host input is
    copied in once and the result copied out once (into ``out`` when given); device input
    stays on the device, and only the NaN/inf count (with ``count``) comes back."""
    bad = _zero_count() if count else None
    if is_device_array(x):
        out = _on_device(name, x, *args, out=out, bad=bad)
    else:
        d_out = _on_device(name, cuda.to_device(x), *args, bad=bad)
        if out is None:
            out = d_out.copy_to_host()
        else:
            d_out.copy_to_host(out)
    return out, (int(bad.copy_to_host()[0]) if count else 0)


def _counting(name):
    """The registered ``f(x, *args, out=None)`` for host or device x (returns x's kind), with
    ``f.counting_nonfinite`` returning ``(out, count)`` as the numba CPU versions do."""
    def counting(x, *args, out=None):
        return _launch(name, x, *args, out=out, count=True)

    def run(x, *args, out=None):
        return counting(x, *args, out=out)[0]
    run.__name__ = f"{name}_cuda"
    run.__doc__ = (f"numba.cuda version of the {name} map: host arrays in and out (one copy "
                   f"each way), or device arrays (numba, CuPy) that stay on the device")
    run.counting_nonfinite = counting
    return run


soft_cuda = _counting("soft")
hard_cuda = _counting("hard")
tl1_cuda = _counting("tl1")


def quant_combine_cuda(y, scale, threshold, levels, weight, out=None):
    """numba.cuda combine step: host y in and out, or a device y whose result stays there
    (in ``out`` when given: a device array for a device y, which may be y itself)."""
    return _launch("combine", y, scale, threshold, levels, weight, out=out)[0]


register("prox.soft", numpy=soft_numpy, numba=soft_numba, cuda=soft_cuda)
register("prox.hard", numpy=hard_numpy, numba=hard_numba, cuda=hard_cuda)
register("prox.tl1", numpy=tl1_numpy, numba=tl1_numba, cuda=tl1_cuda)
register("prox.quant_combine", numpy=quant_combine_numpy, numba=quant_combine_numba,
         cuda=quant_combine_cuda)
