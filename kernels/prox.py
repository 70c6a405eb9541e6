"""Elementwise thresholding and the BinaryRelax combine step (``pdeopt.prox``, ``pdeopt.quant``).

Kernels (all take 1-D contiguous float arrays and return a new array of the same dtype):

``prox.soft``      sign(x)·max(|x| − λ, 0)
``prox.hard``      x·1{|x| > √(2λ)}
``prox.tl1``       the transformed-ℓ1 proximal map (Zhang & Xin 2017), threshold t given
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

import numba
import numpy as np
from numba import cuda  # importing needs no GPU; kernels compile on first use

from ._registry import njit, pnjit, register

# --------------------------------------------------------------------------- scalars


def _soft_scalar(x, lam):
    ax = abs(x) - lam
    if ax <= 0.0:
        return 0.0
    return ax if x > 0 else -ax


def _hard_scalar(x, thresh):
    return x if abs(x) > thresh else 0.0


def _tl1_scalar(x, lam, a, thresh):
    ax = abs(x)
    if ax <= thresh:
        return 0.0
    c = 1.0 - 27.0 * lam * a * (a + 1.0) / (2.0 * (a + ax) ** 3)
    # |x| > t keeps c in [-1, 1] mathematically; rounding can step just outside
    c = min(1.0, max(-1.0, c))
    g = (2.0 / 3.0) * (a + ax) * math.cos(math.acos(c) / 3.0) - 2.0 * a / 3.0 + ax / 3.0
    return g if x > 0 else -g


def _round_half_even(v):
    r = math.floor(v + 0.5)
    if r - v == 0.5 and r % 2.0 != 0.0:  # exactly halfway: round to even like np.rint
        r -= 1.0
    return r


_soft_cpu = njit(_soft_scalar)
_hard_cpu = njit(_hard_scalar)
_tl1_cpu = njit(_tl1_scalar)
_round_half_even_cpu = njit(_round_half_even)


@njit
def _code_cpu(y, scale, threshold, levels):
    if levels == 0:
        return 1.0 if y >= 0 else -1.0
    if levels == 1:
        if abs(y) > threshold:
            return 1.0 if y > 0 else -1.0
        return 0.0
    q = _round_half_even_cpu(y / scale)
    return min(float(levels), max(-float(levels), q))


# --------------------------------------------------------------------------- NumPy twins


def soft_numpy(x, lam):
    return np.sign(x) * np.maximum(np.abs(x) - lam, 0)


def hard_numpy(x, thresh):
    return np.where(np.abs(x) > thresh, x, np.zeros_like(x))


def tl1_numpy(x, lam, a, thresh):
    ax = np.abs(x)
    keep = ax > thresh
    axk = ax[keep].astype(np.float64)
    phi = np.arccos(np.clip(1 - 27 * lam * a * (a + 1) / (2 * (a + axk) ** 3), -1.0, 1.0))
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


def quant_combine_numpy(y, scale, threshold, levels, weight):
    p = scale * quant_codes_numpy(y, scale, threshold, levels)
    return (weight * p + (1 - weight) * y).astype(y.dtype)


# --------------------------------------------------------------------------- numba CPU


@pnjit
def soft_numba(x, lam):
    out = np.empty_like(x)
    for i in numba.prange(x.size):
        out[i] = _soft_cpu(x[i], lam)
    return out


@pnjit
def hard_numba(x, thresh):
    out = np.empty_like(x)
    for i in numba.prange(x.size):
        out[i] = _hard_cpu(x[i], thresh)
    return out


@pnjit
def tl1_numba(x, lam, a, thresh):
    out = np.empty_like(x)
    for i in numba.prange(x.size):
        out[i] = _tl1_cpu(x[i], lam, a, thresh)
    return out


@pnjit
def quant_combine_numba(y, scale, threshold, levels, weight):
    out = np.empty_like(y)
    for i in numba.prange(y.size):
        p = scale * _code_cpu(y[i], scale, threshold, levels)
        out[i] = weight * p + (1.0 - weight) * y[i]
    return out


# --------------------------------------------------------------------------- numba.cuda

_CUDA = {}


def _cuda_kernels():
    """Compile the CUDA kernels on first use (importing this module needs no GPU)."""
    if _CUDA:
        return _CUDA

    soft_d = cuda.jit(device=True)(_soft_scalar)
    hard_d = cuda.jit(device=True)(_hard_scalar)
    tl1_d = cuda.jit(device=True)(_tl1_scalar)
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

    @cuda.jit
    def soft_k(x, lam, out):
        i = cuda.grid(1)
        if i < x.size:
            out[i] = soft_d(x[i], lam)

    @cuda.jit
    def hard_k(x, thresh, out):
        i = cuda.grid(1)
        if i < x.size:
            out[i] = hard_d(x[i], thresh)

    @cuda.jit
    def tl1_k(x, lam, a, thresh, out):
        i = cuda.grid(1)
        if i < x.size:
            out[i] = tl1_d(x[i], lam, a, thresh)

    @cuda.jit
    def combine_k(y, scale, threshold, levels, weight, out):
        i = cuda.grid(1)
        if i < y.size:
            p = scale * code_d(y[i], scale, threshold, levels)
            out[i] = weight * p + (1.0 - weight) * y[i]

    _CUDA.update(soft=soft_k, hard=hard_k, tl1=tl1_k, combine=combine_k)
    return _CUDA


def _launch(name, x, *args):
    k = _cuda_kernels()
    d_x = cuda.to_device(x)
    d_out = cuda.device_array_like(d_x)
    threads = 256
    blocks = max(1, (x.size + threads - 1) // threads)
    k[name][blocks, threads](d_x, *args, d_out)
    return d_out.copy_to_host()


def soft_cuda(x, lam):
    return _launch("soft", x, lam)


def hard_cuda(x, thresh):
    return _launch("hard", x, thresh)


def tl1_cuda(x, lam, a, thresh):
    return _launch("tl1", x, lam, a, thresh)


def quant_combine_cuda(y, scale, threshold, levels, weight):
    return _launch("combine", y, scale, threshold, levels, weight)


register("prox.soft", numpy=soft_numpy, numba=soft_numba, cuda=soft_cuda)
register("prox.hard", numpy=hard_numpy, numba=hard_numba, cuda=hard_cuda)
register("prox.tl1", numpy=tl1_numpy, numba=tl1_numba, cuda=tl1_cuda)
register("prox.quant_combine", numpy=quant_combine_numpy, numba=quant_combine_numba,
         cuda=quant_combine_cuda)
