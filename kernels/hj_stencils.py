"""Explicit stencil steps for u_t + ½|∇u|² = (ε/2)Δu on uniform 1-D and 2-D grids.

One forward-Euler step ``u_new = u − dt·Ĥ(u)`` of three schemes (Osher & Sethian
1988; Osher & Shu 1991), for the Hamiltonian H(p) = ½|p|² of the Deep
Relaxation papers:

viscous (central)
    Ĥ = ½((u_{i+1} − u_{i−1})/(2h))² − (ε/2)(u_{i+1} − 2u_i + u_{i−1})/h²
    (second order in space; summed over the axes in 2-D).
Lax–Friedrichs
    Ĥ = ½((p⁻ + p⁺)/2)² − (α/2)(p⁺ − p⁻), p^± the one-sided differences,
    α ≥ max|H'(p)| = max|p| (monotone for α·dt/h ≤ 1).
Godunov
    Ĥ = ½ max(max(p⁻, 0)², min(p⁺, 0)²), the exact Riemann-solver Hamiltonian of
    the convex H; ``order=2`` uses the ENO2 one-sided derivatives
    p^∓ = D^∓u ± (h/2)·m(D²u_{i∓1}, D²u_i), m choosing the smaller in magnitude.

In 2-D, H is separable, so each scheme's numerical Hamiltonian is the sum of the
1-D ones along both axes. Boundary: ghost values by linear extrapolation of the
two nearest nodes (u_{−k} = u_0 − k(u_1 − u_0)), i.e. zero second derivative;
on an outflow boundary this is consistent to first order. In 2-D, Godunov extrapolates
only across outflow boundaries (characteristic speed H'(p) = p pointing out of the grid)
and holds the ghosts at the boundary value across inflow ones (u_{−k} = u_0 −
k·min(u_1 − u_0, 0), u_{n−1+k} = u_{n−1} + k·max(u_{n−1} − u_{n−2}, 0)): nothing enters
from outside (the Hopf–Lax minimum over the grid), and the step is monotone under its CFL
condition. Plain extrapolation there makes a boundary node depend decreasingly on its
downwind neighbour; in 1-D that neighbour falls at least as fast, so the boundary slope
cannot grow (and Burgers' Riemann data keep their constant extension), but in 2-D the
other axis breaks that balance and the slopes at inflow edges and corners grew without
bound at any CFL number (rough 2-D data diverged by t ≈ 0.4 at cfl 0.5 and 0.1 alike).

The 1-D numba kernels are serial (a step is memory traffic; thread start-up
would dominate), the 2-D ones run rows in parallel (serially below
``PARALLEL_MIN_SIZE`` points).
Kernels assume a stable ``dt`` (the public API in :mod:`pdeopt.hj` chooses it).
Every kernel takes an optional ``out=`` array (not aliasing ``u``) and returns the
new values (in ``out`` when given: time stepping reuses two buffers, since a fresh
large array per step costs more in page faults than the step itself). The CUDA
versions take host arrays (one copy in, one out per call) or device arrays (CuPy,
numba, any ``__cuda_array_interface__`` object), which stay on the device: the result is
then ``out`` or a new device array of u's kind. The NumPy twins are written against
u's array namespace, so on a CuPy array they run in CuPy (the fallback of the device
solvers where numba.cuda cannot compile).
"""
from __future__ import annotations

import functools
import math

import numpy as np
from numba import cuda, float64, prange

from pdeopt._xp import is_device_array, namespace

from ._device import as_numba, empty_like_device
from ._registry import njit, pnjit, register

# --------------------------------------------------------------------------- NumPy twins


def _pad(u, width=2, upwind=False):
    """Extend ``u`` by ``width`` ghost values on each side of every axis, linearly (with
    ``upwind``, only across outflow boundaries: Godunov's closure, see the module notes)."""
    xp = namespace(u)  # NumPy, or CuPy for a CuPy u
    for axis in range(u.ndim):
        u = xp.moveaxis(u, axis, 0)
        k = xp.arange(1, width + 1, dtype=u.dtype).reshape((-1,) + (1,) * (u.ndim - 1))
        first, last = u[1] - u[0], u[-1] - u[-2]
        if upwind:
            first, last = xp.minimum(first, 0), xp.maximum(last, 0)
        left = u[0] - k[::-1] * first
        right = u[-1] + k * last
        u = xp.moveaxis(xp.concatenate([left, u, right]), 0, axis)
    return u


def _shift(v, axis, k, width=2):
    """The interior of padded ``v`` shifted by ``k`` along ``axis`` (u_{i+k})."""
    idx = [slice(width, v.shape[a] - width) for a in range(v.ndim)]
    idx[axis] = slice(width + k, v.shape[axis] - width + k)
    return v[tuple(idx)]


def _viscous_rate_numpy(u, spacings, eps):
    v = _pad(u, 1)
    rate = namespace(u).zeros_like(u)
    for axis, h in enumerate(spacings):
        um, up = _shift(v, axis, -1, 1), _shift(v, axis, 1, 1)
        rate += 0.5 * ((up - um) / (2 * h)) ** 2 - 0.5 * eps * (up - 2 * u + um) / h**2
    return rate


def _lax_friedrichs_rate_numpy(u, spacings, alphas):
    v = _pad(u, 1)
    rate = namespace(u).zeros_like(u)
    for axis, (h, alpha) in enumerate(zip(spacings, alphas)):
        p_minus = (u - _shift(v, axis, -1, 1)) / h
        p_plus = (_shift(v, axis, 1, 1) - u) / h
        rate += 0.5 * (0.5 * (p_minus + p_plus)) ** 2 - 0.5 * alpha * (p_plus - p_minus)
    return rate


def _eno_choice(a, b):
    """The second difference of smaller magnitude (ENO's smoothest stencil)."""
    xp = namespace(a)
    return xp.where(xp.abs(a) <= xp.abs(b), a, b)


def _godunov_rate_numpy(u, spacings, order):
    xp = namespace(u)
    v = _pad(u, 2, upwind=u.ndim == 2)
    rate = xp.zeros_like(u)
    for axis, h in enumerate(spacings):
        um2, um1, up1, up2 = (_shift(v, axis, k) for k in (-2, -1, 1, 2))
        p_minus, p_plus = (u - um1) / h, (up1 - u) / h
        if order == 2:
            d2_left, d2_mid, d2_right = ((a - 2 * b + c) / h**2 for a, b, c in
                                         ((um2, um1, u), (um1, u, up1), (u, up1, up2)))
            p_minus = p_minus + 0.5 * h * _eno_choice(d2_left, d2_mid)
            p_plus = p_plus - 0.5 * h * _eno_choice(d2_mid, d2_right)
        rate += 0.5 * xp.maximum(xp.maximum(p_minus, 0) ** 2, xp.minimum(p_plus, 0) ** 2)
    return rate


def _store(result, out):
    if out is None:
        return result
    out[...] = result
    return out


def viscous_step_1d_numpy(u, dx, dt, eps, out=None):
    return _store(u - dt * _viscous_rate_numpy(u, (dx,), eps), out)


def viscous_step_2d_numpy(u, dx0, dx1, dt, eps, out=None):
    return _store(u - dt * _viscous_rate_numpy(u, (dx0, dx1), eps), out)


def lax_friedrichs_step_1d_numpy(u, dx, dt, alpha, out=None):
    return _store(u - dt * _lax_friedrichs_rate_numpy(u, (dx,), (alpha,)), out)


def lax_friedrichs_step_2d_numpy(u, dx0, dx1, dt, alpha0, alpha1, out=None):
    return _store(u - dt * _lax_friedrichs_rate_numpy(u, (dx0, dx1), (alpha0, alpha1)), out)


def godunov_step_1d_numpy(u, dx, dt, order, out=None):
    return _store(u - dt * _godunov_rate_numpy(u, (dx,), order), out)


def godunov_step_2d_numpy(u, dx0, dx1, dt, order, out=None):
    return _store(u - dt * _godunov_rate_numpy(u, (dx0, dx1), order), out)


# ------------------------------------------------ scalar point functions (numba and CUDA)
# Leaf functions (no calls to other Python functions), compiled once for the CPU with
# njit and once as CUDA device functions from the same source. They take 1/h:
# a division per point would cost more than the memory traffic.

def _viscous_point(um1, u0, up1, inv_h, eps):
    p = (up1 - um1) * (0.5 * inv_h)
    return 0.5 * p * p - 0.5 * eps * (up1 - 2.0 * u0 + um1) * (inv_h * inv_h)


def _lax_friedrichs_point(um1, u0, up1, inv_h, alpha):
    p_minus = (u0 - um1) * inv_h
    p_plus = (up1 - u0) * inv_h
    p = 0.5 * (p_minus + p_plus)
    return 0.5 * p * p - 0.5 * alpha * (p_plus - p_minus)


def _godunov_point(um2, um1, u0, up1, up2, inv_h, order):
    p_minus = (u0 - um1) * inv_h
    p_plus = (up1 - u0) * inv_h
    if order == 2:
        # (h/2)·D²u = ½(second difference)/h
        d2_left = um2 - 2.0 * um1 + u0
        d2_mid = um1 - 2.0 * u0 + up1
        d2_right = u0 - 2.0 * up1 + up2
        p_minus += 0.5 * inv_h * (d2_left if abs(d2_left) <= abs(d2_mid) else d2_mid)
        p_plus -= 0.5 * inv_h * (d2_mid if abs(d2_mid) <= abs(d2_right) else d2_right)
    a = max(p_minus, 0.0)
    b = min(p_plus, 0.0)
    return 0.5 * max(a * a, b * b)


def _ghost_1d(u, i, n):
    """u[i] with linear extrapolation for i outside [0, n)."""
    if i < 0:
        return u[0] + i * (u[1] - u[0])
    if i >= n:
        return u[n - 1] + (i - n + 1) * (u[n - 1] - u[n - 2])
    return u[i]


def _ghost_2d(u, i, j, n0, n1):
    """u[i, j] with linear extrapolation along whichever index is outside the grid."""
    if i < 0:
        return u[0, j] + i * (u[1, j] - u[0, j])
    if i >= n0:
        return u[n0 - 1, j] + (i - n0 + 1) * (u[n0 - 1, j] - u[n0 - 2, j])
    if j < 0:
        return u[i, 0] + j * (u[i, 1] - u[i, 0])
    if j >= n1:
        return u[i, n1 - 1] + (j - n1 + 1) * (u[i, n1 - 1] - u[i, n1 - 2])
    return u[i, j]


def _ghost_2d_upwind(u, i, j, n0, n1):
    """u[i, j] for the 2-D Godunov scheme: ``_ghost_2d`` across an outflow boundary, u's
    boundary value across an inflow one (see the module notes)."""
    if i < 0:
        return u[0, j] + i * min(u[1, j] - u[0, j], 0.0)
    if i >= n0:
        return u[n0 - 1, j] + (i - n0 + 1) * max(u[n0 - 1, j] - u[n0 - 2, j], 0.0)
    if j < 0:
        return u[i, 0] + j * min(u[i, 1] - u[i, 0], 0.0)
    if j >= n1:
        return u[i, n1 - 1] + (j - n1 + 1) * max(u[i, n1 - 1] - u[i, n1 - 2], 0.0)
    return u[i, j]


_viscous_nb = njit(_viscous_point)
_lf_nb = njit(_lax_friedrichs_point)
_godunov_nb = njit(_godunov_point)
_g1_nb = njit(_ghost_1d)
_g2_nb = njit(_ghost_2d)
_g2u_nb = njit(_ghost_2d_upwind)

# --------------------------------------------------------------------------- numba CPU
# scheme codes: 0 viscous (param = ε), 1 Lax–Friedrichs (param = α), 2 Godunov (param = order);
# the h, h0, h1 arguments below are reciprocal spacings 1/h.

#: Grids with fewer points run serially: below this, thread start-up costs more than the step.
PARALLEL_MIN_SIZE = 1 << 18


@njit
def _rate_1d(u, i, n, h, param, scheme):
    if scheme == 0:
        return _viscous_nb(_g1_nb(u, i - 1, n), u[i], _g1_nb(u, i + 1, n), h, param)
    if scheme == 1:
        return _lf_nb(_g1_nb(u, i - 1, n), u[i], _g1_nb(u, i + 1, n), h, param)
    return _godunov_nb(_g1_nb(u, i - 2, n), _g1_nb(u, i - 1, n), u[i], _g1_nb(u, i + 1, n),
                       _g1_nb(u, i + 2, n), h, int(param))


@njit
def _interior_1d(u, out, h, dt, param, scheme):
    # Direct indexing, written with a loop counter k ≥ 0 and indices k, k + 1, ...:
    # LLVM then sees that no index is negative, drops numba's wraparound checks and
    # vectorises (a loop starting at 2 with u[i − 2] runs several times slower).
    n = u.size
    if scheme == 0:
        for k in range(n - 2):
            out[k + 1] = u[k + 1] - dt * _viscous_nb(u[k], u[k + 1], u[k + 2], h, param)
    elif scheme == 1:
        for k in range(n - 2):
            out[k + 1] = u[k + 1] - dt * _lf_nb(u[k], u[k + 1], u[k + 2], h, param)
    else:
        order = int(param)
        for k in range(n - 4):
            out[k + 2] = u[k + 2] - dt * _godunov_nb(u[k], u[k + 1], u[k + 2], u[k + 3],
                                                     u[k + 4], h, order)


@njit
def _step_1d(u, out, h, dt, param, scheme):
    n = u.size
    if n > 4:
        _interior_1d(u, out, h, dt, param, scheme)
        edges = (0, 1, n - 2, n - 1)
    else:
        edges = (0, 1, 2, 3)
    for i in edges:
        if i < n:
            out[i] = u[i] - dt * _rate_1d(u, i, n, h, param, scheme)
    return out


@njit
def _ghost_row(u, out, i, j_lo, j_hi, h0, h1, dt, p0, p1, scheme):
    n0, n1 = u.shape
    for j in range(j_lo, j_hi):
        c = u[i, j]
        if scheme == 0:
            r = (_viscous_nb(_g2_nb(u, i - 1, j, n0, n1), c, _g2_nb(u, i + 1, j, n0, n1), h0, p0)
                 + _viscous_nb(_g2_nb(u, i, j - 1, n0, n1), c, _g2_nb(u, i, j + 1, n0, n1), h1, p1))
        elif scheme == 1:
            r = (_lf_nb(_g2_nb(u, i - 1, j, n0, n1), c, _g2_nb(u, i + 1, j, n0, n1), h0, p0)
                 + _lf_nb(_g2_nb(u, i, j - 1, n0, n1), c, _g2_nb(u, i, j + 1, n0, n1), h1, p1))
        else:
            k = int(p0)
            r = (_godunov_nb(_g2u_nb(u, i - 2, j, n0, n1), _g2u_nb(u, i - 1, j, n0, n1), c,
                             _g2u_nb(u, i + 1, j, n0, n1), _g2u_nb(u, i + 2, j, n0, n1), h0, k)
                 + _godunov_nb(_g2u_nb(u, i, j - 2, n0, n1), _g2u_nb(u, i, j - 1, n0, n1), c,
                               _g2u_nb(u, i, j + 1, n0, n1), _g2u_nb(u, i, j + 2, n0, n1),
                               h1, k))
        out[i, j] = c - dt * r


@njit
def _interior_row(u, out, i, h0, h1, dt, p0, p1, scheme):
    # 2 ≤ i < n0 − 2: whole-row views and a counter k ≥ 0 (see _interior_1d)
    n1 = u.shape[1]
    below2, below, row, above, above2, dst = u[i - 2], u[i - 1], u[i], u[i + 1], u[i + 2], out[i]
    if scheme == 0:
        for k in range(n1 - 4):
            c = row[k + 2]
            dst[k + 2] = c - dt * (_viscous_nb(below[k + 2], c, above[k + 2], h0, p0)
                                   + _viscous_nb(row[k + 1], c, row[k + 3], h1, p1))
    elif scheme == 1:
        for k in range(n1 - 4):
            c = row[k + 2]
            dst[k + 2] = c - dt * (_lf_nb(below[k + 2], c, above[k + 2], h0, p0)
                                   + _lf_nb(row[k + 1], c, row[k + 3], h1, p1))
    else:
        order = int(p0)
        for k in range(n1 - 4):
            c = row[k + 2]
            dst[k + 2] = c - dt * (
                _godunov_nb(below2[k + 2], below[k + 2], c, above[k + 2], above2[k + 2], h0, order)
                + _godunov_nb(row[k], row[k + 1], c, row[k + 3], row[k + 4], h1, order))


@njit
def _step_row(u, out, i, h0, h1, dt, p0, p1, scheme):
    n0, n1 = u.shape
    if 2 <= i < n0 - 2 and n1 > 4:
        _ghost_row(u, out, i, 0, 2, h0, h1, dt, p0, p1, scheme)
        _interior_row(u, out, i, h0, h1, dt, p0, p1, scheme)
        _ghost_row(u, out, i, n1 - 2, n1, h0, h1, dt, p0, p1, scheme)
    else:
        _ghost_row(u, out, i, 0, n1, h0, h1, dt, p0, p1, scheme)


@njit
def _step_2d_serial(u, out, h0, h1, dt, p0, p1, scheme):
    for i in range(u.shape[0]):
        _step_row(u, out, i, h0, h1, dt, p0, p1, scheme)
    return out


@pnjit
def _step_2d_parallel(u, out, h0, h1, dt, p0, p1, scheme):
    for i in prange(u.shape[0]):
        _step_row(u, out, i, h0, h1, dt, p0, p1, scheme)
    return out


def _out(u, out):
    return np.empty_like(u) if out is None else out


def _step_2d(u, out, h0, h1, dt, p0, p1, scheme):
    out = _out(u, out)
    run = _step_2d_parallel if u.size >= PARALLEL_MIN_SIZE else _step_2d_serial
    run(u, out, 1.0 / h0, 1.0 / h1, float(dt), float(p0), float(p1), scheme)
    return out


def viscous_step_1d_numba(u, dx, dt, eps, out=None):
    return _step_1d(u, _out(u, out), 1.0 / dx, float(dt), float(eps), 0)


def viscous_step_2d_numba(u, dx0, dx1, dt, eps, out=None):
    return _step_2d(u, out, dx0, dx1, dt, eps, eps, 0)


def lax_friedrichs_step_1d_numba(u, dx, dt, alpha, out=None):
    return _step_1d(u, _out(u, out), 1.0 / dx, float(dt), float(alpha), 1)


def lax_friedrichs_step_2d_numba(u, dx0, dx1, dt, alpha0, alpha1, out=None):
    return _step_2d(u, out, dx0, dx1, dt, alpha0, alpha1, 1)


def godunov_step_1d_numba(u, dx, dt, order, out=None):
    return _step_1d(u, _out(u, out), 1.0 / dx, float(dt), float(order), 2)


def godunov_step_2d_numba(u, dx0, dx1, dt, order, out=None):
    return _step_2d(u, out, dx0, dx1, dt, order, order, 2)


# --------------------------------------------------------------------------- numba.cuda


@functools.lru_cache(maxsize=None)
def _cuda_kernels():
    """Compile (lazily, on first use) the CUDA kernels from the same point functions."""
    dev = cuda.jit(device=True)
    visc, lf, god, g1, g2, g2u = (
        dev(f) for f in (_viscous_point, _lax_friedrichs_point, _godunov_point, _ghost_1d,
                         _ghost_2d, _ghost_2d_upwind))

    # heun = 1: out = ½(u − dt·Ĥ(u) + base), Heun's last stage fused (one pass fewer)
    @cuda.jit
    def step_1d(u, out, base, heun, h, dt, param, scheme):
        i = cuda.grid(1)
        n = u.size
        if i < n:
            if scheme == 0:
                r = visc(g1(u, i - 1, n), u[i], g1(u, i + 1, n), h, param)
            elif scheme == 1:
                r = lf(g1(u, i - 1, n), u[i], g1(u, i + 1, n), h, param)
            else:
                r = god(g1(u, i - 2, n), g1(u, i - 1, n), u[i], g1(u, i + 1, n),
                        g1(u, i + 2, n), h, int(param))
            v = u[i] - dt * r
            out[i] = (v + base[i]) * 0.5 if heun else v

    @cuda.jit
    def step_2d(u, out, base, heun, h0, h1, dt, param0, param1, scheme):
        j, i = cuda.grid(2)  # x, the index within a warp, runs along the contiguous axis
        n0, n1 = u.shape
        if i < n0 and j < n1:
            c = u[i, j]
            if scheme == 0:
                r = (visc(g2(u, i - 1, j, n0, n1), c, g2(u, i + 1, j, n0, n1), h0, param0)
                     + visc(g2(u, i, j - 1, n0, n1), c, g2(u, i, j + 1, n0, n1), h1, param1))
            elif scheme == 1:
                r = (lf(g2(u, i - 1, j, n0, n1), c, g2(u, i + 1, j, n0, n1), h0, param0)
                     + lf(g2(u, i, j - 1, n0, n1), c, g2(u, i, j + 1, n0, n1), h1, param1))
            else:
                k = int(param0)
                r = (god(g2u(u, i - 2, j, n0, n1), g2u(u, i - 1, j, n0, n1), c,
                         g2u(u, i + 1, j, n0, n1), g2u(u, i + 2, j, n0, n1), h0, k)
                     + god(g2u(u, i, j - 2, n0, n1), g2u(u, i, j - 1, n0, n1), c,
                           g2u(u, i, j + 1, n0, n1), g2u(u, i, j + 2, n0, n1), h1, k))
            v = c - dt * r
            out[i, j] = (v + base[i, j]) * 0.5 if heun else v

    return step_1d, step_2d


def _launch(kernel, blocks, threads, u, out, base, *args):
    """Run stencil ``kernel`` on ``u`` (averaged with ``base`` unless it is None): a device
    u (CuPy, numba) is viewed and its result stays on the device (``out``, or a new array
    of u's kind); a host u is copied in and the result copied out (into ``out`` when
    given), once each."""
    heun = base is not None
    if is_device_array(u):
        if out is None:
            out = empty_like_device(u)
        d_u = as_numba(u)
        kernel[blocks, threads](d_u, as_numba(out), as_numba(base) if heun else d_u, heun,
                                *args)
        return out
    d_u = cuda.to_device(np.ascontiguousarray(u))
    d_out = cuda.device_array_like(d_u)
    kernel[blocks, threads](d_u, d_out, cuda.to_device(base) if heun else d_u, heun, *args)
    return _store(d_out.copy_to_host(), out)


def _run_cuda_1d(u, h, dt, param, scheme, out=None, base=None):
    step_1d, _ = _cuda_kernels()
    threads = 128
    return _launch(step_1d, (u.size + threads - 1) // threads, threads, u, out, base,
                   1.0 / h, float(dt), float(param), scheme)


def _run_cuda_2d(u, h0, h1, dt, param0, param1, scheme, out=None, base=None):
    _, step_2d = _cuda_kernels()
    # threads.x along the last (contiguous) axis: a warp reads 32 consecutive doubles
    threads = (32, 8)
    blocks = tuple((s + t - 1) // t for s, t in zip(u.shape[::-1], threads))
    return _launch(step_2d, blocks, threads, u, out, base, 1.0 / h0, 1.0 / h1, float(dt),
                   float(param0), float(param1), scheme)


@functools.lru_cache(maxsize=None)
def _cuda_sweeps():
    """The reductions of the device time loop."""
    @cuda.jit
    def count_nonfinite(u, bad):
        i = cuda.grid(1)
        if i < u.size and not math.isfinite(u[i]):
            cuda.atomic.add(bad, 0, 1)

    @cuda.jit
    def max_abs_diff(u, axis, result):
        # max |u[i+1, j] − u[i, j]| (axis 0) or |u[i, j+1] − u[i, j]| (axis 1): a grid-stride
        # maximum per thread, a tree in shared memory per block, one atomic per block
        block = cuda.shared.array(_REDUCE_THREADS, float64)
        n0, n1 = u.shape
        rows, cols = (n0 - 1, n1) if axis == 0 else (n0, n1 - 1)
        # (comparisons, not the builtin max: u is finite, checked before)
        m = 0.0
        for k in range(cuda.grid(1), rows * cols, cuda.gridsize(1)):
            i, j = k // cols, k % cols
            d = abs(u[i + 1, j] - u[i, j]) if axis == 0 else abs(u[i, j + 1] - u[i, j])
            if d > m:
                m = d
        t = cuda.threadIdx.x
        block[t] = m
        cuda.syncthreads()
        width = _REDUCE_THREADS // 2
        while width > 0:
            if t < width and block[t + width] > block[t]:
                block[t] = block[t + width]
            cuda.syncthreads()
            width //= 2
        if t == 0:
            cuda.atomic.max(result, 0, block[0])

    return count_nonfinite, max_abs_diff


#: Threads per block of the device reductions (a power of two: the tree halves it).
_REDUCE_THREADS = 256


def _flat(a):
    return as_numba(a).reshape(a.size)


def _blocks(n, threads=256):
    return max(1, (n + threads - 1) // threads), threads


def device_all_finite(u) -> bool:
    """Whether every entry of device array ``u`` is finite (one count read back: a sync)."""
    count = _cuda_sweeps()[0]
    bad = cuda.to_device(np.zeros(1, np.int64))
    count[_blocks(u.size)](_flat(u), bad)
    return int(bad.copy_to_host()[0]) == 0


def device_max_abs_diff(u, axis) -> float:
    """max |one-sided difference| of device array ``u`` (1-D, or 2-D along ``axis``), reduced
    on the device (one value read back)."""
    reduce_ = _cuda_sweeps()[1]
    v = as_numba(u)
    if v.ndim == 1:
        v, axis = v.reshape(1, v.size), 1
    result = cuda.to_device(np.zeros(1))
    pairs = (v.shape[0] - (axis == 0)) * (v.shape[1] - (axis == 1))
    blocks = min(1024, max(1, -(-pairs // _REDUCE_THREADS)))
    reduce_[blocks, _REDUCE_THREADS](v, axis, result)
    return float(result.copy_to_host()[0])


def device_copy(u):
    """A new device array of u's kind holding u's values (a device-to-device copy)."""
    new = empty_like_device(u)
    as_numba(new).copy_to_device(as_numba(u))
    return new


def viscous_step_1d_cuda(u, dx, dt, eps, out=None):
    return _run_cuda_1d(u, dx, dt, eps, 0, out)


def viscous_step_2d_cuda(u, dx0, dx1, dt, eps, out=None):
    return _run_cuda_2d(u, dx0, dx1, dt, eps, eps, 0, out)


def lax_friedrichs_step_1d_cuda(u, dx, dt, alpha, out=None):
    return _run_cuda_1d(u, dx, dt, alpha, 1, out)


def lax_friedrichs_step_2d_cuda(u, dx0, dx1, dt, alpha0, alpha1, out=None):
    return _run_cuda_2d(u, dx0, dx1, dt, alpha0, alpha1, 1, out)


def godunov_step_1d_cuda(u, dx, dt, order, out=None, average_with=None):
    """The Godunov step; with ``average_with`` = v it returns ½(step + v), Heun's last
    stage in the same pass (the device HJ loop's ENO2)."""
    return _run_cuda_1d(u, dx, dt, order, 2, out, average_with)


def godunov_step_2d_cuda(u, dx0, dx1, dt, order, out=None, average_with=None):
    """As :func:`godunov_step_1d_cuda`, in 2-D."""
    return _run_cuda_2d(u, dx0, dx1, dt, order, order, 2, out, average_with)


for _name in ("viscous_step_1d", "viscous_step_2d", "lax_friedrichs_step_1d",
              "lax_friedrichs_step_2d", "godunov_step_1d", "godunov_step_2d"):
    register(f"hj.{_name}", numpy=globals()[f"{_name}_numpy"], numba=globals()[f"{_name}_numba"],
             cuda=globals()[f"{_name}_cuda"])
