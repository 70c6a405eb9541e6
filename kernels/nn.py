"""Convolution and pooling data movement for ``pdeopt.nn`` (the products stay in BLAS).

Images are ``(n, C, H, W)`` C-contiguous arrays, float32 or float64; every kernel keeps its
input's dtype and writes into ``out`` (allocated by the caller, its contents ignored), which
it returns. Geometry is given as pairs: ``kernel = (kh, kw)``, ``stride = (sh, sw)``,
``padding = (ph, pw)`` (zeros on each side); ``Ho = (H + 2ph − kh)//sh + 1``, likewise ``Wo``.

``nn.im2col``       the window matrix ``cols (n·Ho·Wo, C·kh·kw)``:
                    ``cols[(b, i, j), (c, p, q)] = x_pad[b, c, sh·i + p, sw·j + q]``
                    (columns in the order of a weight ``W (F, C, kh, kw)`` reshaped to
                    ``(F, C·kh·kw)``, so a convolution is the one product ``cols Wᵀ``)
``nn.col2im``       its adjoint, the scatter-add: ``dx[b, c, y, x] = Σ cols[(b, i, j), (c, p, q)]``
                    over the windows with ``sh·i + p − ph = y``, ``sw·j + q − pw = x``
``nn.maxpool_forward``   ``out[b, c, i, j] = max_{p,q} x[b, c, sh·i + p, sw·j + q]`` and the
                    flat index ``y·W + x`` of the (first) maximum in its ``(H, W)`` plane
``nn.maxpool_backward``  ``dx[b, c].flat[argmax[b, c, i, j]] += dout[b, c, i, j]``
``nn.avgpool_forward``   the window means
``nn.avgpool_backward``  ``dx[b, c, sh·i + p, sw·j + q] += dout[b, c, i, j] / (kh·kw)``

The compiled versions run in parallel over the batch (each sample's output is its own, so
no two threads write the same element; ``numba.get_num_threads()`` threads, see
``compiled_threads``), and add in the same order as their NumPy twins, so they agree to the
bit: the gathers are copies; col2im adds each pixel's contributions in the order of the
windows (i, j) that cover it, i.e. over the offsets (p, q) in reverse lexicographic order;
max-pooling's backward in the order of the outputs (as ``numpy.add.at`` does); average
pooling sums each window over (p, q) in lexicographic order before one division, and its
backward adds over (p, q) in lexicographic order.
"""
from __future__ import annotations

import os
import threading

import numba
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ._registry import njit, register

# --------------------------------------------------------------------------- NumPy twins


def _out_size(size, kernel, stride, pad):
    return (size + 2 * pad - kernel) // stride + 1


def _windows(x, kernel, stride, out_hw):
    """The strided ``(n, C, Ho, Wo, kh, kw)`` window view of ``x (n, C, H, W)``."""
    (sh, sw), (ho, wo) = stride, out_hw
    win = sliding_window_view(x, kernel, axis=(2, 3))
    return win[:, :, :(ho - 1) * sh + 1:sh, :(wo - 1) * sw + 1:sw]


def im2col_numpy(x, kernel, stride, padding, out):
    """``cols[(b, i, j), (c, p, q)] = x_pad[b, c, sh·i + p, sw·j + q]``."""
    n, c, h, w = x.shape
    (kh, kw), (ph, pw) = kernel, padding
    ho, wo = _out_size(h, kh, stride[0], ph), _out_size(w, kw, stride[1], pw)
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    win = _windows(xp, kernel, stride, (ho, wo))               # (n, C, Ho, Wo, kh, kw)
    out.reshape(n, ho, wo, c, kh, kw)[...] = win.transpose(0, 2, 3, 1, 4, 5)
    return out


def col2im_numpy(cols, kernel, stride, padding, out):
    """The adjoint of :func:`im2col_numpy`: each window's row added back onto its pixels.

    Window offsets (p, q) are taken in reverse lexicographic order: the order in which the
    compiled loop over the windows (i, j) reaches each pixel."""
    n, c, h, w = out.shape
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    ho, wo = _out_size(h, kh, sh, ph), _out_size(w, kw, sw, pw)
    d = cols.reshape(n, ho, wo, c, kh, kw)
    dx = np.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=cols.dtype)
    for p in reversed(range(kh)):
        for q in reversed(range(kw)):
            dx[:, :, p:p + (ho - 1) * sh + 1:sh, q:q + (wo - 1) * sw + 1:sw] += \
                d[..., p, q].transpose(0, 3, 1, 2)
    out[...] = dx[:, :, ph:ph + h, pw:pw + w]
    return out


def maxpool_forward_numpy(x, kernel, stride, out, argmax):
    """Window maxima, and the flat ``(H, W)``-plane index of each window's first maximum."""
    n, c, h, w = x.shape
    (kh, kw), (sh, sw) = kernel, stride
    ho, wo = out.shape[2:]
    win = _windows(x, kernel, stride, (ho, wo)).reshape(n, c, ho, wo, kh * kw)
    a = win.argmax(axis=-1)
    out[...] = np.take_along_axis(win, a[..., None], axis=-1)[..., 0]
    rows = sh * np.arange(ho)[:, None] + a // kw
    colm = sw * np.arange(wo)[None, :] + a % kw
    argmax[...] = rows * w + colm
    return out


def maxpool_backward_numpy(dout, argmax, out):
    """``dx[b, c].flat[argmax[b, c, i, j]] += dout[b, c, i, j]``, in the order of the outputs."""
    n, c = dout.shape[:2]
    dx = np.zeros((n, c, out.shape[2] * out.shape[3]), dtype=dout.dtype)
    b, ch = np.indices((n, c))
    np.add.at(dx, (b[..., None], ch[..., None], argmax.reshape(n, c, -1)),
              dout.reshape(n, c, -1))
    out[...] = dx.reshape(out.shape)
    return out


def avgpool_forward_numpy(x, kernel, stride, out):
    """``out = (Σ_{p,q} x[.., sh·i + p, sw·j + q]) / (kh·kw)``, summed in (p, q) order."""
    (kh, kw) = kernel
    win = _windows(x, kernel, stride, out.shape[2:])
    total = win[..., 0, 0].copy()
    for p in range(kh):
        for q in range(kw):
            if p or q:
                total += win[..., p, q]
    np.divide(total, x.dtype.type(kh * kw), out=out)
    return out


def avgpool_backward_numpy(dout, kernel, stride, out):
    """``dx[.., sh·i + p, sw·j + q] += dout[.., i, j] / (kh·kw)``, offsets in (p, q) order."""
    (kh, kw), (sh, sw) = kernel, stride
    ho, wo = dout.shape[2:]
    d = dout / dout.dtype.type(kh * kw)
    out[...] = 0
    for p in range(kh):
        for q in range(kw):
            out[:, :, p:p + (ho - 1) * sh + 1:sh, q:q + (wo - 1) * sw + 1:sw] += d
    return out


# --------------------------------------------------------------------------- compiled

# Each compiled loop runs over a range [b0, b1) of the batch; :func:`_over_batch` splits the
# batch among ``numba.get_num_threads()`` threads: the caller's and helpers of a small Python
# pool (the loops release the GIL). Not prange: numba's OpenMP threads keep spinning after
# each loop and take the cores from OpenBLAS's threads in the matrix products that follow;
# measured on 2 shared cores, a float32 LeNet step took 41–62 ms with prange loops against
# 26–37 ms with OpenMP's spinning turned off (GOMP_SPINCOUNT=0), which the sleeping helper
# threads here match without touching the environment.
#
# The loops index with loop counters (i + p, j + q) wherever they can: numba wraps negative
# indices, and LLVM drops that test, and vectorises, only where it can prove an index
# non-negative; a stride read from an argument (sh·i + p) hides that and costs 1.7× here.
# Padding is a zero-padded copy of the input (a small array) rather than tests in the loops,
# and no array views are made inside them.

#: Calls moving fewer elements than this run on one thread (the hand-off costs ~50 µs).
SPLIT_MIN_SIZE = 1 << 16

_POOL: list = []   # [(pid, executor)]


def _pool():
    # a pool made before a fork has no threads in the child: make a new one there
    if not _POOL or _POOL[0][0] != os.getpid():
        from concurrent.futures import ThreadPoolExecutor
        workers = max(1, numba.config.NUMBA_NUM_THREADS - 1)
        _POOL[:] = [(os.getpid(), ThreadPoolExecutor(workers, thread_name_prefix="pdeopt-nn"))]
    return _POOL[0][1]


def _over_batch(core, n, size, *args):
    """``core(*args, b0, b1)`` over ``[0, n)`` in ``numba.get_num_threads()`` parts (one on
    this thread); one part for small work (``size`` elements moved) or off the main thread
    (the pool is entered from one thread at a time)."""
    parts = min(numba.get_num_threads(), n)
    if parts < 2 or size < SPLIT_MIN_SIZE or threading.current_thread() is not \
            threading.main_thread():
        core(*args, 0, n)
        return
    bounds = [n * k // parts for k in range(parts + 1)]
    pool = _pool()
    futures = [pool.submit(core, *args, bounds[k], bounds[k + 1]) for k in range(1, parts)]
    core(*args, bounds[0], bounds[1])
    for future in futures:
        future.result()


def batch_parts() -> int:
    """How many parts a data-parallel training step may split its batch into here: the
    kernels' thread count (``compiled_threads``), or 1 off the main thread (the pool is
    entered from one thread at a time)."""
    if threading.current_thread() is not threading.main_thread():
        return 1
    return numba.get_num_threads()


def run_parts(task, parts):
    """``[task(0), …, task(parts − 1)]``: part 0 on this thread, whose kernels run unsplit
    meanwhile, the others on the pool's threads (each kernel there runs unsplit too)."""
    pool = _pool()
    futures = [pool.submit(task, k) for k in range(1, parts)]
    old = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        first = task(0)
    finally:
        numba.set_num_threads(old)
        rest = [future.result() for future in futures]   # waits for them even on an error
    return [first, *rest]


@njit
def _im2col_core(x, kernel, stride, out, b0, b1):
    n, c, h, w = x.shape
    kh, kw = kernel
    sh, sw = stride
    ho = (h - kh) // sh + 1
    wo = (w - kw) // sw + 1
    unit = sh == 1 and sw == 1
    for b in range(b0, b1):
        for i in range(ho):
            for j in range(wo):
                r = (b * ho + i) * wo + j
                if unit:
                    for ch in range(c):
                        for p in range(kh):
                            k0 = (ch * kh + p) * kw
                            for q in range(kw):
                                out[r, k0 + q] = x[b, ch, i + p, j + q]
                else:
                    for ch in range(c):
                        for p in range(kh):
                            k0 = (ch * kh + p) * kw
                            for q in range(kw):
                                out[r, k0 + q] = x[b, ch, sh * i + p, sw * j + q]


def im2col_numba(x, kernel, stride, padding, out):
    ph, pw = padding
    if ph or pw:
        x = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    _over_batch(_im2col_core, x.shape[0], out.size, x, tuple(kernel), tuple(stride), out)
    return out


@njit
def _col2im_core(cols, kernel, stride, out, b0, b1):
    n, c, h, w = out.shape
    kh, kw = kernel
    sh, sw = stride
    ho = (h - kh) // sh + 1
    wo = (w - kw) // sw + 1
    unit = sh == 1 and sw == 1
    for b in range(b0, b1):
        for ch in range(c):
            for y in range(h):
                for x in range(w):
                    out[b, ch, y, x] = 0
        for i in range(ho):
            for j in range(wo):
                r = (b * ho + i) * wo + j
                if unit:
                    for ch in range(c):
                        for p in range(kh):
                            k0 = (ch * kh + p) * kw
                            for q in range(kw):
                                out[b, ch, i + p, j + q] += cols[r, k0 + q]
                else:
                    for ch in range(c):
                        for p in range(kh):
                            k0 = (ch * kh + p) * kw
                            for q in range(kw):
                                out[b, ch, sh * i + p, sw * j + q] += cols[r, k0 + q]


def col2im_numba(cols, kernel, stride, padding, out):
    n, c, h, w = out.shape
    ph, pw = padding
    target = out if not (ph or pw) else \
        np.empty((n, c, h + 2 * ph, w + 2 * pw), dtype=out.dtype)
    _over_batch(_col2im_core, n, cols.size, cols, tuple(kernel), tuple(stride), target)
    if target is not out:
        out[...] = target[:, :, ph:ph + h, pw:pw + w]
    return out


@njit
def _maxpool_2x2_core(x, out, argmax, b0, b1):
    # the 2×2, stride-2 pooling of LeNet and most CNNs, in the general loop's order of
    # comparisons (the same maxima and first-maximum indices): the offsets i + i, j + j of
    # loop counters are provably non-negative where sh·i + p was not (see above), and the
    # loop runs 4.5× faster (2.4 → 0.5 ms for LeNet's 128×20×24×24 float32 input)
    w = x.shape[3]
    ho, wo = out.shape[2], out.shape[3]
    for b in range(b0, b1):
        for ch in range(x.shape[1]):
            for i in range(ho):
                y = i + i
                for j in range(wo):
                    u = j + j
                    best = x[b, ch, y, u]
                    arg = y * w + u
                    v = x[b, ch, y, u + 1]
                    if v > best:
                        best = v
                        arg = y * w + u + 1
                    v = x[b, ch, y + 1, u]
                    if v > best:
                        best = v
                        arg = (y + 1) * w + u
                    v = x[b, ch, y + 1, u + 1]
                    if v > best:
                        best = v
                        arg = (y + 1) * w + u + 1
                    out[b, ch, i, j] = best
                    argmax[b, ch, i, j] = arg


@njit
def _maxpool_forward_core(x, kernel, stride, out, argmax, b0, b1):
    n, c, h, w = x.shape
    kh, kw = kernel
    sh, sw = stride
    ho, wo = out.shape[2], out.shape[3]
    if kh == 2 and kw == 2 and sh == 2 and sw == 2:
        _maxpool_2x2_core(x, out, argmax, b0, b1)
        return
    for b in range(b0, b1):
        for ch in range(c):
            for i in range(ho):
                for j in range(wo):
                    y0, x0 = sh * i, sw * j
                    best = x[b, ch, y0, x0]
                    arg = y0 * w + x0
                    for p in range(kh):
                        for q in range(kw):
                            v = x[b, ch, y0 + p, x0 + q]
                            if v > best:
                                best = v
                                arg = (y0 + p) * w + x0 + q
                    out[b, ch, i, j] = best
                    argmax[b, ch, i, j] = arg


def maxpool_forward_numba(x, kernel, stride, out, argmax):
    _over_batch(_maxpool_forward_core, x.shape[0], x.size, x, tuple(kernel), tuple(stride),
                out, argmax)
    return out


@njit
def _maxpool_backward_core(dout, argmax, planes, b0, b1):
    # planes: out as (n, C, H·W), indexed by the flat argmax directly (a // w and a % w,
    # two integer divisions per entry, made the loop 3.5× slower)
    n, c, ho, wo = dout.shape
    for b in range(b0, b1):
        for ch in range(c):
            for k in range(planes.shape[2]):
                planes[b, ch, k] = 0
            for i in range(ho):
                for j in range(wo):
                    planes[b, ch, argmax[b, ch, i, j]] += dout[b, ch, i, j]


def maxpool_backward_numba(dout, argmax, out):
    n, c, h, w = out.shape
    planes = np.reshape(out, (n, c, h * w), copy=False)  # a view (raises if out is not one)
    _over_batch(_maxpool_backward_core, n, out.size, dout, argmax, planes)
    return out


@njit
def _avgpool_forward_core(x, kernel, stride, scale, out, b0, b1):
    n, c, h, w = x.shape
    kh, kw = kernel
    sh, sw = stride
    ho, wo = out.shape[2], out.shape[3]
    for b in range(b0, b1):
        for ch in range(c):
            for i in range(ho):
                for j in range(wo):
                    y0, x0 = sh * i, sw * j
                    total = x[b, ch, y0, x0]
                    for p in range(kh):
                        for q in range(kw):
                            if p or q:
                                total += x[b, ch, y0 + p, x0 + q]
                    out[b, ch, i, j] = total / scale


def avgpool_forward_numba(x, kernel, stride, out):
    # the divisor in x's dtype: float32 stays float32
    _over_batch(_avgpool_forward_core, x.shape[0], x.size, x, tuple(kernel), tuple(stride),
                x.dtype.type(kernel[0] * kernel[1]), out)
    return out


@njit
def _avgpool_backward_core(dout, kernel, stride, scale, out, b0, b1):
    n, c, ho, wo = dout.shape
    kh, kw = kernel
    sh, sw = stride
    for b in range(b0, b1):
        for ch in range(c):
            for y in range(out.shape[2]):
                for x in range(out.shape[3]):
                    out[b, ch, y, x] = 0
            for p in range(kh):
                for q in range(kw):
                    for i in range(ho):
                        for j in range(wo):
                            out[b, ch, sh * i + p, sw * j + q] += dout[b, ch, i, j] / scale


def avgpool_backward_numba(dout, kernel, stride, out):
    _over_batch(_avgpool_backward_core, dout.shape[0], out.size, dout, tuple(kernel),
                tuple(stride), dout.dtype.type(kernel[0] * kernel[1]), out)
    return out


register("nn.im2col", numpy=im2col_numpy, numba=im2col_numba)
register("nn.col2im", numpy=col2im_numpy, numba=col2im_numba)
register("nn.maxpool_forward", numpy=maxpool_forward_numpy, numba=maxpool_forward_numba)
register("nn.maxpool_backward", numpy=maxpool_backward_numpy, numba=maxpool_backward_numba)
register("nn.avgpool_forward", numpy=avgpool_forward_numpy, numba=avgpool_forward_numba)
register("nn.avgpool_backward", numpy=avgpool_backward_numpy, numba=avgpool_backward_numba)
