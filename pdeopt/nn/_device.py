"""The device side of ``pdeopt.nn``: where a model lives, and its passes as array-namespace code.

A model moved to the GPU (``model.to("cuda")``) holds CuPy arrays; every layer then runs the
same code on them through ``xp = namespace(x)`` (the matrix products are cuBLAS calls). The
window gathers of convolution and pooling, which run as numba kernels on the host
(``pdeopt.kernels.nn``), are written here as index gathers that CuPy runs as single kernels:

- im2col: ``cols[b, (i, j), (c, p, q)] = x_pad[b].flat[idx[(i, j), (c, p, q)]]`` with
  ``idx = (c·H_p + s_h i + p)·W_p + s_w j + q``, one fancy-indexing gather;
- its adjoint col2im as a gather too (no atomics, so the sums are deterministic): pixel
  (c, y, x) adds ``dcols[b].flat[((i·W_o + j)·K + (c·k_h + p)·k_w + q)]`` over the offsets
  (p, q) whose window ``i = (y + p_h − p)/s_h``, ``j = (x + p_w − q)/s_w`` exists;
- pooling as the same gathers over each channel plane.

On the host these functions give the NumPy twins' results (tests compare them), but the
layers keep the numba kernels there.
"""
from __future__ import annotations

import functools

import numpy as np

from .._xp import namespace

__all__ = ["array_module", "device_of", "all_finite", "im2col", "col2im", "maxpool_forward",
           "maxpool_backward", "avgpool_forward", "avgpool_backward"]

DEVICES = ("cpu", "cuda")


def array_module(device):
    """The array namespace of ``device``: ``numpy`` for ``"cpu"``, ``cupy`` for ``"cuda"``.

    Raises ``ValueError`` for another name and :class:`pdeopt.BackendUnavailableError` when
    ``"cuda"`` is asked for and CuPy cannot be imported.
    """
    from .._checks import check_option
    from .._errors import BackendUnavailableError
    device = check_option(device, "device", DEVICES)
    if device == "cpu":
        return np
    try:
        import cupy
    except ImportError as exc:
        raise BackendUnavailableError(
            f"the GPU needs CuPy, which cannot be imported ({exc}): pip install pdeopt[gpu] "
            "on a machine with an NVIDIA GPU") from None
    return cupy


def device_of(xp) -> str:
    """``"cpu"`` for NumPy, ``"cuda"`` for CuPy."""
    return "cpu" if xp is np else "cuda"


def all_finite(*arrays) -> bool:
    """Whether every entry of every array is finite: on the device one reduction and one
    read-back (a sync), so call it at monitoring points only."""
    xp = namespace(*arrays)
    ok = xp.all(xp.stack([xp.all(xp.isfinite(a)) for a in arrays]))
    return bool(ok)


def generator(xp, seed):
    """A random generator of namespace ``xp`` seeded with the integer ``seed``: NumPy's
    ``default_rng`` on the host, CuPy's (its own bit generator: another stream) on the
    device."""
    return xp.random.default_rng(seed)


# --------------------------------------------------------------------------- gather indices

@functools.lru_cache(maxsize=64)
def _window_index(xp, shape, kernel, stride, out_hw):
    """``idx (Ho·Wo, C·kh·kw)``: flat positions in one padded sample ``(C, Hp, Wp)`` of the
    window entries, rows (i, j), columns (c, p, q)."""
    (c, hp, wp), (kh, kw), (sh, sw), (ho, wo) = shape, kernel, stride, out_hw
    a = xp.arange
    i = a(ho).reshape(ho, 1, 1, 1, 1)
    j = a(wo).reshape(1, wo, 1, 1, 1)
    ch = a(c).reshape(1, 1, c, 1, 1)
    p = a(kh).reshape(1, 1, 1, kh, 1)
    q = a(kw).reshape(1, 1, 1, 1, kw)
    idx = (ch * hp + sh * i + p) * wp + sw * j + q
    return idx.reshape(ho * wo, c * kh * kw)


def _covering(xp, size, pad, kernel, stride, out):
    """For pixel y and offset p: the window i = (y + pad − p)/stride covering it, and whether
    it exists (divisible, 0 ≤ i < out); arrays (size, kernel)."""
    t = xp.arange(size).reshape(size, 1) + pad - xp.arange(kernel).reshape(1, kernel)
    valid = (t >= 0) & (t % stride == 0) & (t // stride < out)
    return xp.where(valid, t // stride, 0), valid


@functools.lru_cache(maxsize=64)
def _scatter_index(xp, shape, kernel, stride, padding, out_hw, dtype):
    """The gather form of col2im for one sample of shape (C, H, W): ``idx (C·H·W, kh·kw)``,
    flat positions in the sample's ``(Ho·Wo)·K`` window entries, and ``mask`` (1 where the
    window exists, else 0, in ``dtype``)."""
    (c, h, w), (kh, kw), (sh, sw), (ph, pw), (ho, wo) = shape, kernel, stride, padding, out_hw
    k = c * kh * kw
    i, vi = _covering(xp, h, ph, kh, sh, ho)           # (H, kh)
    j, vj = _covering(xp, w, pw, kw, sw, wo)           # (W, kw)
    i, vi = i.reshape(1, h, 1, kh, 1), vi.reshape(1, h, 1, kh, 1)
    j, vj = j.reshape(1, 1, w, 1, kw), vj.reshape(1, 1, w, 1, kw)
    ch = xp.arange(c).reshape(c, 1, 1, 1, 1)
    p = xp.arange(kh).reshape(1, 1, 1, kh, 1)
    q = xp.arange(kw).reshape(1, 1, 1, 1, kw)
    idx = (i * wo + j) * k + (ch * kh + p) * kw + q   # (C, H, W, kh, kw)
    mask = xp.broadcast_to(vi & vj, idx.shape).astype(dtype)
    return idx.reshape(c * h * w, kh * kw), mask.reshape(c * h * w, kh * kw)


def _out_hw(h, w, kernel, stride, padding):
    return ((h + 2 * padding[0] - kernel[0]) // stride[0] + 1,
            (w + 2 * padding[1] - kernel[1]) // stride[1] + 1)


def _gather_sum(xp, rows, shape, kernel, stride, padding, out_hw):
    """col2im as a gather: ``rows (m, Ho·Wo·K)`` → ``(m, C·H·W)``."""
    idx, mask = _scatter_index(xp, shape, kernel, stride, padding, out_hw,
                               np.dtype(rows.dtype).str)
    g = rows[:, idx]
    g *= mask
    return g.sum(axis=2)


# --------------------------------------------------------------------------- the passes

def im2col(x, kernel, stride, padding):
    """The window matrix ``cols (n·Ho·Wo, C·kh·kw)`` of ``x (n, C, H, W)`` (as
    ``pdeopt.kernels.nn``'s ``nn.im2col``), by one gather."""
    xp = namespace(x)
    n, c, h, w = x.shape
    (ph, pw) = padding
    out_hw = _out_hw(h, w, kernel, stride, padding)
    if ph or pw:
        x = xp.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    idx = _window_index(xp, (c, h + 2 * ph, w + 2 * pw), tuple(kernel), tuple(stride), out_hw)
    return x.reshape(n, -1)[:, idx].reshape(n * out_hw[0] * out_hw[1], -1)


def col2im(cols, kernel, stride, padding, shape):
    """The adjoint of :func:`im2col`: ``dx (n, C, H, W)`` with ``shape = (n, C, H, W)``, each
    pixel the sum of the window entries that read it."""
    xp = namespace(cols)
    n, c, h, w = shape
    out_hw = _out_hw(h, w, kernel, stride, padding)
    dx = _gather_sum(xp, cols.reshape(n, -1), (c, h, w), tuple(kernel), tuple(stride),
                     tuple(padding), out_hw)
    return dx.reshape(shape)


def _planes(x, kernel, stride):
    """The pooling windows of ``x (n, C, H, W)``: ``(n·C, Ho·Wo, kh·kw)`` and ``(Ho, Wo)``."""
    xp = namespace(x)
    n, c, h, w = x.shape
    out_hw = _out_hw(h, w, kernel, stride, (0, 0))
    idx = _window_index(xp, (1, h, w), tuple(kernel), tuple(stride), out_hw)
    return x.reshape(n * c, h * w)[:, idx], out_hw


def maxpool_forward(x, kernel, stride):
    """Window maxima ``(n, C, Ho, Wo)`` and each window's offset of its first maximum."""
    win, (ho, wo) = _planes(x, kernel, stride)
    offset = win.argmax(axis=2)
    n, c = x.shape[:2]
    return win.max(axis=2).reshape(n, c, ho, wo), offset


def _pool_backward(xp, rows, shape, kernel, stride):
    n, c, h, w = shape
    out_hw = _out_hw(h, w, kernel, stride, (0, 0))
    dx = _gather_sum(xp, rows.reshape(n * c, -1), (1, h, w), tuple(kernel), tuple(stride),
                     (0, 0), out_hw)
    return dx.reshape(shape)


def maxpool_backward(dout, offset, kernel, stride, shape):
    """``dx (shape)``: each output's gradient routed to its window's maximum (``offset``)."""
    xp = namespace(dout)
    m = kernel[0] * kernel[1]
    n, c = dout.shape[:2]
    hit = offset[..., None] == xp.arange(m)                       # (n·C, P, kh·kw)
    rows = hit * dout.reshape(n * c, -1, 1)
    return _pool_backward(xp, rows.astype(dout.dtype, copy=False), shape, kernel, stride)


def avgpool_forward(x, kernel, stride):
    """Window means ``(n, C, Ho, Wo)``."""
    win, (ho, wo) = _planes(x, kernel, stride)
    n, c = x.shape[:2]
    return (win.sum(axis=2) / x.dtype.type(kernel[0] * kernel[1])).reshape(n, c, ho, wo)


def avgpool_backward(dout, kernel, stride, shape):
    """``dx (shape)``: each output's gradient spread evenly over its window."""
    xp = namespace(dout)
    n, c = dout.shape[:2]
    m = kernel[0] * kernel[1]
    d = dout.reshape(n * c, -1, 1) / dout.dtype.type(m)
    rows = xp.broadcast_to(d, (n * c, d.shape[1], m))
    return _pool_backward(xp, rows, shape, kernel, stride)
