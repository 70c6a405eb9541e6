"""Projections onto quantized sets Q = {s·q : s > 0, q ∈ {codes}ⁿ}, one scale per layer.

proj_Q(y) = argmin_{x ∈ Q} ‖x − y‖² is the constrained k-means problem
(s*, q*) = argmin_{s>0, q} ‖s·q − y‖² (Yin et al. 2018). For fixed s the best
codes round y/s to the nearest level; for fixed q the best scale is ⟨q, y⟩/⟨q, q⟩.
Every projection here is therefore stored as (scale s, rule for q) and applied by
the one fused kernel ``prox.quant_combine``, which BinaryRelax's relaxed step
shares.

Precision follows y: float32 y gives a float32 projection (the combine kernel runs on
float32). The scale, a reduction over all of y, is accumulated in float64 either way (a
float32 running sum over n entries drifts by ~n·6e-8 and would move the argmax of the
ternary and b-bit sweeps); it is a Python float, so float64 results are unchanged.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pdeopt._checks import as_float_array, check_integer, check_option
from pdeopt._xp import check_device_array, check_device_out, is_cupy_array, is_device_array, \
    namespace, to_namespace
from pdeopt.prox.thresholding import _check_out, device_kernels

__all__ = ["project_binary", "project_ternary", "project_bits", "LayerCode",
           "binary_code", "ternary_code", "twn_code", "bits_code", "apply_code", "MAX_BITS"]

#: The widest code accepted: the exact sweep costs O(n·M log nM) with M = 2^(b−1) − 1.
MAX_BITS = 16


def check_bits(bits) -> int:
    """A bit width 1 ≤ b ≤ :data:`MAX_BITS`."""
    bits = check_integer(bits, "bits", minimum=1)
    if bits > MAX_BITS:
        raise ValueError(f"bits must be <= {MAX_BITS} (the projection's cost grows like "
                         f"2^(bits-1) per entry), got {bits}")
    return bits


@dataclass(frozen=True)
class LayerCode:
    """How one layer is quantized: x = scale·q(y) with the rule of ``prox.quant_combine``.

    ``levels == 0``: q = ±1 (binary); ``levels == 1``: q = sign(y)·1{|y| > threshold}
    (ternary); ``levels ≥ 2``: q = clip(rint(y/scale), −levels, levels).
    """

    scale: float
    threshold: float
    levels: int


def binary_code(y) -> LayerCode:
    """Exact binary projection: q = sign(y), s = mean|y| (Rastegari et al. 2016, BWN)."""
    xp = namespace(y)  # NumPy, or CuPy for a CuPy y (the reduction stays on the device)
    return LayerCode(float(xp.mean(xp.abs(y), dtype=xp.float64)), -1.0, 0)


def ternary_code(y) -> LayerCode:
    """Exact ternary projection onto s·{0, ±1}ⁿ in O(n log n).

    For j kept entries the best scale is c_j/j with c_j the sum of the j largest
    |y_i|, and the distance is ‖y‖² − c_j²/j; take j* = argmax c_j²/j. At the optimum
    the kept entries are exactly those with |y_i| > s/2 (rounding y/s), which is
    the rule stored.
    """
    xp = namespace(y)
    a = xp.sort(xp.abs(y).ravel())[::-1]
    c = xp.cumsum(a, dtype=xp.float64)  # float64 running sum for float32 y too
    j = int(xp.argmax(c * c / xp.arange(1, a.size + 1)))
    scale = float(c[j] / (j + 1))
    return LayerCode(scale, scale / 2.0, 1)


def twn_code(y) -> LayerCode:
    """Ternary weight networks' heuristic (Li et al. 2016): δ = 0.7·mean|y|, s = mean of |y| > δ."""
    xp = namespace(y)
    ay = xp.abs(y)
    delta = 0.7 * float(xp.mean(ay, dtype=xp.float64))
    kept = ay > delta
    scale = float(xp.mean(ay[kept], dtype=xp.float64)) if bool(xp.any(kept)) else 0.0
    return LayerCode(scale, delta, 1)


def bits_code(y, bits, *, method="exact", max_iter=100) -> LayerCode:
    """b-bit projection onto s·{0, ±1, …, ±(2^{b−1} − 1)}ⁿ.

    b = 1 is the binary set {±1} and b = 2 the exact ternary projection. For b ≥ 3,
    ``method="lloyd"`` alternates q ← clip(rint(y/s), ±M), s ← ⟨q, y⟩/⟨q, q⟩ (which
    never increases ‖s·q − y‖²) from two starts — the exact ternary scale (so the
    result is never worse than ternary) and max|y|/M (the grid spans y) — and keeps
    the better; ``method="exact"`` sweeps s over the breakpoints of the rounding.
    """
    if bits == 1:
        return binary_code(y)
    if bits == 2:
        return ternary_code(y)
    levels = 2 ** (bits - 1) - 1
    yf = np.abs(y.ravel()).astype(np.float64, copy=False)  # the scale sweep in float64
    amax = float(np.max(yf))
    if amax == 0.0:
        return LayerCode(0.0, np.inf, 1)
    if method == "exact":
        return LayerCode(_bits_scale_exact(yf, levels), 0.0, levels)
    best, best_d = None, np.inf
    for s in (ternary_code(yf).scale, amax / levels):
        for _ in range(max_iter):
            q = np.minimum(np.rint(yf / s), levels)
            s_new = float(q @ yf) / float(q @ q)
            if abs(s_new - s) <= 1e-14 * s:
                s = s_new
                break
            s = s_new
        d = float(np.sum((s * np.minimum(np.rint(yf / s), levels) - yf) ** 2))
        if d < best_d:
            best, best_d = s, d
    return LayerCode(best, 0.0, levels)


def _bits_scale_exact(a, levels):
    """Globally optimal scale for |y| = a ≥ 0 and codes 0..M, by a sweep over s.

    As s decreases, the code of entry i steps from k to k + 1 at s = a_i/(k + ½);
    between consecutive breakpoints the codes are fixed, A = Σ q_i a_i, B = Σ q_i²,
    and the best s there is A/B clipped to the interval, with objective
    −2sA + s²B (+‖a‖²). O(nM log nM).
    """
    a = np.sort(a[a > 0])[::-1]
    k = np.arange(levels)
    # row k holds a/(k + ½), each row decreasing: a stable sort merges M sorted runs
    bp = (a[None, :] / (k[:, None] + 0.5)).ravel()
    dA = np.tile(a, levels)
    dB = np.repeat(2.0 * k + 1, a.size)
    order = np.argsort(-bp, kind="stable")
    bp, A, B = bp[order], np.cumsum(dA[order]), np.cumsum(dB[order])
    lower = np.append(bp[1:], 0.0)
    s = np.clip(A / B, lower, bp)
    f = -2 * s * A + s * s * B
    return float(s[np.argmin(f)])


def apply_code(y, code: LayerCode, *, weight=1.0, backend="auto", out=None):
    """x = weight·s·q(y) + (1 − weight)·y for one layer (weight 1: the projection), into
    ``out`` when given (an array of y's shape and dtype, on y's side; may be y itself)."""
    from pdeopt.kernels import select
    if code.scale == 0.0:  # y = 0 (or nothing kept): Q's closest point is 0
        code = LayerCode(1.0, np.inf, 1)
    flat = y.reshape(y.size)  # a device y (CuPy, numba) stays there with backend="cuda"
    flat_out = None if out is None else out.reshape(out.size)
    result = select("prox.quant_combine", backend)(flat, code.scale, code.threshold,
                                                   code.levels, float(weight), out=flat_out)
    return out if out is not None else result.reshape(y.shape)


def _project(y, code_fn, backend, out=None):
    check_option(backend, "backend", ("auto", "numpy", "numba", "cuda"))
    if is_device_array(y) or is_device_array(out):
        # "auto" keeps the CPU for host arrays and projects device arrays where they are
        return _project_on_device(y, code_fn, "cuda" if backend == "auto" else backend, out)
    arr = as_float_array(y, "y")
    if out is not None:
        _check_out(out, arr)
    return apply_code(arr, code_fn(arr), backend=backend, out=out)


def device_codes_source(y, name="y"):
    """What the codes of device array ``y`` are computed from, once ``y`` is finite: ``y``
    itself for CuPy (reductions on the device), else one host copy (a numba device array
    has no array operations; the projection itself still runs on the device)."""
    data = y if is_cupy_array(y) else to_namespace(y, np)
    xp = namespace(data)
    if not bool(xp.all(xp.isfinite(data))):
        bad = int(data.size - int(xp.count_nonzero(xp.isfinite(data))))
        raise ValueError(f"{name} contains {bad} NaN or inf value(s)")
    return data


def _project_on_device(y, code_fn, backend, out=None):
    """``_project`` for a device y: the result is a device array of y's kind (or ``out``).

    The scale is a reduction over y: on a CuPy y it runs in CuPy on the device; a numba
    device array has no array operations, so its scale is computed from one host copy of y
    (the projection itself still runs on the device and nothing else comes back).
    """
    y = check_device_array(y, "y", backend)
    if out is not None:
        out = check_device_out(out, y)
    return apply_code(y, code_fn(device_codes_source(y)), backend=device_kernels(y), out=out)


def project_binary(y, *, out=None, backend="auto"):
    r"""Project onto the binary set :math:`\{s\cdot q: s>0,\ q\in\{\pm1\}^n\}`.

    .. math:: \operatorname{proj}(y) = \bar s\,\operatorname{sign}(y),\quad \bar s = \operatorname{mean}|y|

    (sign(0) taken as +1). The whole array is one layer; see
    :class:`pdeopt.quant.QuantizedSet` for layer-wise projections.

    Parameters
    ----------
    y : array_like or device array
        The weights; float32 stays float32. With ``backend="cuda"`` (or ``"auto"``) a
        device array (CuPy, numba: float32 or float64, C-contiguous) is projected on the
        device and the result is a device array of its kind; a host y with
        ``backend="cuda"`` is copied there and back once.
    out : array, optional
        Where to write the projection: C-contiguous, y's shape and the result's dtype, on
        y's side (host or device); may be y itself. Returned.
    backend : {"auto", "numpy", "numba", "cuda"}

    References
    ----------
    .. [1] M. Rastegari et al., "XNOR-Net", ECCV 2016.
    .. [2] P. Yin et al., "BinaryRelax", SIAM J. Imaging Sci. 11 (2018).

    Examples
    --------
    >>> project_binary([0.5, -1.5, 1.0])
    array([ 1., -1.,  1.])
    """
    return _project(y, binary_code, backend, out)


def project_ternary(y, method="exact", *, out=None, backend="auto"):
    r"""Project onto the ternary set :math:`\{s\cdot q: s>0,\ q\in\{0,\pm1\}^n\}`.

    ``method="exact"`` solves argmin ‖s·q − y‖² exactly: sort |y| decreasingly,
    c_j = sum of the j largest, j* = argmax_j c_j²/j, keep the j* largest with their
    signs at scale c_{j*}/j* (O(n log n)). ``method="twn"`` is the TWN heuristic:
    threshold δ = 0.7·mean|y|, scale = mean of the |y_i| > δ (not a projection in
    general; never closer to y than the exact one). ``y``, ``out`` and ``backend`` as in
    :func:`project_binary`.

    References
    ----------
    .. [1] P. Yin et al., "BinaryRelax", SIAM J. Imaging Sci. 11 (2018).
    .. [2] F. Li, B. Zhang, B. Liu, "Ternary weight networks", arXiv 1605.04711 (2016).

    Examples
    --------
    >>> project_ternary([0.1, -2.0, 1.8, 0.3])
    array([ 0. , -1.9,  1.9,  0. ])
    """
    check_option(method, "method", ("exact", "twn"))
    return _project(y, ternary_code if method == "exact" else twn_code, backend, out)


def project_bits(y, bits, *, method="exact", max_iter=100, out=None, backend="auto"):
    r"""Project onto the b-bit set :math:`\{s\cdot q: s>0,\ q\in\{0,\pm1,\dots,\pm(2^{b-1}-1)\}^n\}`.

    b = 1 gives the binary set, b = 2 the exact ternary projection. For b ≥ 3,
    ``method="lloyd"`` runs the Lloyd-type alternation q ← clip(rint(y/s)),
    s ← ⟨q, y⟩/⟨q, q⟩ from two starts (exact ternary scale, max|y|/M); it finds a
    local minimum of the non-convex problem, never farther from y than the ternary
    projection. ``method="exact"`` finds the global minimum by sweeping s over the
    O(nM) breakpoints s = |y_i|/(k + ½) where a code changes, with running sums of
    ⟨q, |y|⟩ and ⟨q, q⟩ (O(nM log nM), M = 2^{b−1} − 1).

    Parameters
    ----------
    y : array_like
    bits : int
        b ≥ 1.
    method : {"exact", "lloyd"}
        The exact sweep is the default: on 200 random Gaussian 5-vectors (b = 3) Lloyd
        reached the global optimum 165 times, the sweep 200 times (brute force).
    max_iter : int
        Alternations per start (Lloyd).
    out, backend
        As in :func:`project_binary` (the scale sweep of b ≥ 3 runs on the host: a device
        y's scale comes from one host copy of it, the projection runs on the device).

    Examples
    --------
    >>> project_bits([0.1, 1.0, 2.1, -2.9], 3).round(4)
    array([ 0.    ,  0.9929,  1.9857, -2.9786])
    """
    bits = check_bits(bits)
    check_option(method, "method", ("lloyd", "exact"))
    max_iter = check_integer(max_iter, "max_iter", minimum=1)
    # b ≥ 3 sweeps on the host (NumPy): a device y's scale comes from one host copy
    return _project(y, lambda a: bits_code(to_namespace(a, np), bits, method=method,
                                           max_iter=max_iter), backend, out)
