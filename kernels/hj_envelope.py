"""Lower envelope of parabolas: the exact Hopf–Lax / Moreau transform on a uniform 1-D grid.

For each row f of ``F`` (shape (m, N)) and nodes x_0 < … < x_{N−1},

    u_i = min_j f_j + (x_i − x_j)²/(2t),    arg_i = the minimising j,

the Hopf–Lax solution of u_t + ½u_x² = 0 at time t restricted to grid points.
The numba kernel is the O(N) algorithm of Felzenszwalb & Huttenlocher
("Distance transforms of sampled functions", Theory of Computing 8, 2012), in x
units: it keeps the parabolas of the lower envelope and the abscissae where they
cross, then sweeps the x_i; rows run in parallel. The NumPy twin is the O(N²)
brute force. Both evaluate the winning parabola with the same expression, so
where the minimiser is unique they return the same index and bit-identical
values; on an exact tie the indices may differ (the values then agree to rounding).
"""
from __future__ import annotations

import numpy as np
from numba import prange

from ._registry import njit, pnjit, register

_CHUNK_ELEMENTS = 1 << 22


def lower_envelope_numpy(F, x, t):
    m, n = F.shape
    u = np.empty_like(F)
    arg = np.empty((m, n), dtype=np.int64)
    step = max(1, _CHUNK_ELEMENTS // n)
    for r in range(m):
        for lo in range(0, n, step):
            xi = x[lo:lo + step, None]
            objective = F[r][None, :] + (xi - x[None, :]) ** 2 / (2 * t)
            j = np.argmin(objective, axis=1)
            arg[r, lo:lo + step] = j
            u[r, lo:lo + step] = objective[np.arange(j.size), j]
    return u, arg


@njit
def _envelope_row(f, x, t, u, arg):
    n = f.size
    v = np.empty(n, dtype=np.int64)      # parabolas of the envelope, left to right
    z = np.empty(n + 1)                  # parabola v[k] is lowest on [z[k], z[k+1]]
    k = 0
    v[0] = 0
    z[0] = -np.inf
    z[1] = np.inf
    for q in range(1, n):
        # pop the parabolas that q's parabola hides (z[0] = −inf stops the loop)
        p = v[k]
        s = t * (f[q] - f[p]) / (x[q] - x[p]) + 0.5 * (x[q] + x[p])
        while s <= z[k] and k > 0:
            k -= 1
            p = v[k]
            s = t * (f[q] - f[p]) / (x[q] - x[p]) + 0.5 * (x[q] + x[p])
        if s == -np.inf:
            # t·Δf/Δx overflowed: q's parabola lies below every kept one everywhere
            v[0] = q
            z[1] = np.inf
            continue
        k += 1
        v[k] = q
        z[k] = s
        z[k + 1] = np.inf
    k = 0
    two_t = 2.0 * t
    for i in range(n):
        while z[k + 1] < x[i]:
            k += 1
        j = v[k]
        d = x[i] - x[j]
        u[i] = f[j] + d * d / two_t
        arg[i] = j


@njit
def _envelope_serial(F, x, t, u, arg):
    for r in range(F.shape[0]):
        _envelope_row(F[r], x, t, u[r], arg[r])


@pnjit
def _envelope_parallel(F, x, t, u, arg):
    for r in prange(F.shape[0]):
        _envelope_row(F[r], x, t, u[r], arg[r])


def lower_envelope_numba(F, x, t):
    u = np.empty_like(F)
    arg = np.empty(F.shape, dtype=np.int64)
    # rows in parallel only when there are enough of them to pay for the threads
    run = _envelope_parallel if F.shape[0] >= 8 else _envelope_serial
    run(F, x, float(t), u, arg)
    return u, arg


register("hj.lower_envelope", numpy=lower_envelope_numpy, numba=lower_envelope_numba)
