"""Many-path Euler–Maruyama kernels for the stochastic relaxation area (``pdeopt.sde``).

Every path integrates the Itô SDE

    dx = b(x, t) dt + σ dW

by Euler–Maruyama, x_{k+1} = x_k + b(x_k, t_k) Δt + σ √Δt z_{k, p}, where the
standard normal z_{k, p} of path ``p`` at step ``k`` is a *counter-based* random
number: a SplitMix64 hash of (seed, p, ⌊k/2⌋) turned into a Gaussian pair by
Box–Muller (r cos θ for even k, r sin θ for odd k).
It depends on nothing but its counters, so the NumPy twin, the parallel CPU loop
and the CUDA threads draw identical noise in any order, any chunking of the
steps, and any split of the paths (which is what makes the backends comparable
and a long run resumable chunk by chunk).

Kernels
-------
``sde.normal``
    The counter-based standard normals z(seed, path, step) themselves.
``sde.em_exit``
    Polynomial drift b(x) = −f′(x) = −Σ_k c_k x^k; each path stops the first time
    x ≥ threshold and reports that step (first-passage times, Kramers).
``sde.em_tabulated``
    Drift tabulated on a uniform grid per time step (linear interpolation in x),
    plus the running integral of a tabulated cost (controlled SGD).
``sde.langevin_step``
    One inner step of Entropy-SGD on the flat weight vector, fused into one sweep:
    d = ∇f(y) + γ(y − x) (with Nesterov momentum m′: v ← m′v + d, d ← d + m′v),
    y ← y − η′d + ξ, μ ← μ + α(y − μ); reports whether ∇f(y) was finite.
"""
from __future__ import annotations

import math

import numba
import numpy as np
from numba import cuda  # importing needs no GPU; the simulator swaps this global

from ._registry import njit, pnjit, register

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_PATH = np.uint64(0xD1B54A32D192ED03)
_S30, _S27, _S31, _S11 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(11)
_TWO53 = 1.0 / 9007199254740992.0  # 2**-53
_TWO_PI = 2.0 * math.pi


# --------------------------------------------------------------------------- NumPy twins

def _splitmix_numpy(z):
    z = z + _GOLDEN
    z = (z ^ (z >> _S30)) * _MIX1
    z = (z ^ (z >> _S27)) * _MIX2
    return z ^ (z >> _S31)


def _normal_numpy(seed, path, step):
    """z(seed, path, step) for integer arrays ``path``, ``step`` (broadcast).

    Steps 2j and 2j+1 share one Box–Muller pair: r cos θ and r sin θ.
    """
    step = np.asarray(step).astype(np.uint64)
    with np.errstate(over="ignore"):
        key = (np.uint64(seed) ^ (np.asarray(path).astype(np.uint64) * _PATH))
        h1 = _splitmix_numpy(_splitmix_numpy(key) + (step >> np.uint64(1)))
        h2 = _splitmix_numpy(h1)
    u1 = ((h1 >> _S11).astype(np.float64) + 0.5) * _TWO53
    u2 = ((h2 >> _S11).astype(np.float64) + 0.5) * _TWO53
    radius, angle = np.sqrt(-2.0 * np.log(u1)), _TWO_PI * u2
    return radius * np.where(step & np.uint64(1), np.sin(angle), np.cos(angle))


def _horner_numpy(coeffs, x):
    out = np.full_like(x, coeffs[-1])
    for c in coeffs[-2::-1]:
        out = out * x + c
    return out


def _em_exit_numpy(x, paths, coeffs, dt, sigma, step0, n_steps, threshold, seed):
    """Euler–Maruyama for dx = −p(x) dt + σ dW, p(x) = Σ c_k x^k, stopped at x ≥ threshold."""
    x = np.array(x, dtype=np.float64)
    exit_step = np.full(x.shape, -1, dtype=np.int64)
    alive = np.flatnonzero(x < threshold)
    exit_step[x >= threshold] = step0
    scale = sigma * math.sqrt(dt)
    for k in range(step0, step0 + n_steps):
        if alive.size == 0:
            break
        xa = x[alive]
        xa = xa - _horner_numpy(coeffs, xa) * dt + scale * _normal_numpy(seed, paths[alive], k)
        x[alive] = xa
        done = xa >= threshold
        exit_step[alive[done]] = k + 1
        alive = alive[~done]
    return x, exit_step


def _em_tabulated_numpy(x, paths, drift, cost, x_first, dx, dt, sigma, step0, seed):
    """Euler–Maruyama with the drift of step k interpolated from row k of ``drift``.

    Returns the final positions and ∫ cost dt along each path (left-point rule).
    """
    x = np.array(x, dtype=np.float64)
    total = np.zeros_like(x)
    n_grid = drift.shape[1]
    scale = sigma * math.sqrt(dt)
    for k in range(drift.shape[0]):
        s = np.clip((x - x_first) / dx, 0.0, n_grid - 1.000000001)
        j = s.astype(np.int64)
        w = s - j
        b = (1.0 - w) * drift[k, j] + w * drift[k, j + 1]
        total += dt * ((1.0 - w) * cost[k, j] + w * cost[k, j + 1])
        x = x + b * dt + scale * _normal_numpy(seed, paths, step0 + k)
    return x, total


# --------------------------------------------------------------------------- scalar code
# Plain-Python scalars compiled twice: by njit for the CPU and by cuda.jit(device=True).

def _splitmix_scalar(z):
    z = z + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def _make_pair_scalar(splitmix):
    def keyed_pair(key, step):
        """Box–Muller (r, θ) shared by steps 2j and 2j+1 (j = step // 2), key = the path's hash."""
        h1 = splitmix(key + (np.uint64(step) >> np.uint64(1)))
        h2 = splitmix(h1)
        u1 = (np.float64(h1 >> np.uint64(11)) + 0.5) * 1.1102230246251565e-16
        u2 = (np.float64(h2 >> np.uint64(11)) + 0.5) * 1.1102230246251565e-16
        return math.sqrt(-2.0 * math.log(u1)), 6.283185307179586 * u2
    return keyed_pair


def _horner_scalar(coeffs, x):
    m = coeffs.shape[0]
    p = coeffs[m - 1]
    for i in range(m - 2, -1, -1):
        p = p * x + coeffs[i]
    return p


def _make_em_exit_path(splitmix, keyed_pair, horner):
    def em_exit_path(x, path, coeffs, dt, scale, step0, n_steps, threshold, seed):
        """One path: returns (x, step of first x ≥ threshold or −1).

        The path's key is hashed once, and each Box–Muller pair once per two steps
        (r cos θ on the even step, r sin θ on the odd one, both from one tan(θ/2);
        they match the twin's cos and sin within 2.3e-16, checked over 10⁷ random θ
        and the neighbourhoods of 0, π/2, π, 3π/2 and 2π): the saving over the
        step-by-step NumPy twin, which cannot share them.
        """
        if x >= threshold:
            return x, step0
        # the path's key, hashed once and shared by all its pairs
        key = splitmix(np.uint64(seed) ^ (np.uint64(path) * np.uint64(0xD1B54A32D192ED03)))
        k = step0
        end = step0 + n_steps
        if k % 2 == 1 and k < end:  # a chunk starting on the odd half of a pair
            radius, angle = keyed_pair(key, k)
            x = x - horner(coeffs, x) * dt + scale * (radius * math.sin(angle))
            k += 1
            if x >= threshold:
                return x, k
        while k < end:
            radius, angle = keyed_pair(key, k)
            # cos θ and sin θ from one tan(θ/2) (t = tan(θ/2): cos θ = (1 − t²)/(1 + t²),
            # sin θ = 2t/(1 + t²)): one transcendental instead of two, equal to the
            # twin's cos and sin to a few ulp (θ/2 ∈ (0, π), never the pole exactly)
            t = math.tan(0.5 * angle)
            t2 = t * t
            r_over = radius / (1.0 + t2)
            z_even = r_over * (1.0 - t2)
            z_odd = r_over * (2.0 * t)
            x = x - horner(coeffs, x) * dt + scale * z_even
            if x >= threshold:
                return x, k + 1
            if k + 1 < end:
                x = x - horner(coeffs, x) * dt + scale * z_odd
                if x >= threshold:
                    return x, k + 2
            k += 2
        return x, -1
    return em_exit_path


_splitmix_jit = njit(_splitmix_scalar)
_keyed_pair_jit = njit(_make_pair_scalar(_splitmix_jit))
_horner_jit = njit(_horner_scalar)
_em_exit_path_jit = njit(_make_em_exit_path(_splitmix_jit, _keyed_pair_jit, _horner_jit))


@njit
def _pair_jit(seed, path, step):
    key = np.uint64(seed) ^ (np.uint64(path) * np.uint64(0xD1B54A32D192ED03))
    return _keyed_pair_jit(_splitmix_jit(key), step)


# --------------------------------------------------------------------------- numba CPU

@pnjit
def _normal_numba_loop(seed, paths, steps, out):
    for i in numba.prange(paths.size):
        radius, angle = _pair_jit(seed, paths[i], steps[i])
        out[i] = radius * (math.cos(angle) if steps[i] % 2 == 0 else math.sin(angle))


def _normal_numba(seed, path, step):
    path, step = np.broadcast_arrays(np.asarray(path, np.int64), np.asarray(step, np.int64))
    out = np.empty(path.shape)
    _normal_numba_loop(np.uint64(seed), np.ascontiguousarray(path).ravel(),
                       np.ascontiguousarray(step).ravel(), out.reshape(-1))
    return out


@pnjit
def _em_exit_numba_loop(x, paths, coeffs, dt, scale, step0, n_steps, threshold, seed,
                        x_out, exit_out):
    for i in numba.prange(x.size):
        x_out[i], exit_out[i] = _em_exit_path_jit(x[i], paths[i], coeffs, dt, scale, step0,
                                                  n_steps, threshold, seed)


def _em_exit_numba(x, paths, coeffs, dt, sigma, step0, n_steps, threshold, seed):
    x_out = np.empty(x.shape)
    exit_out = np.empty(x.shape, dtype=np.int64)
    _em_exit_numba_loop(np.asarray(x, np.float64), np.asarray(paths, np.int64),
                        np.asarray(coeffs, np.float64), float(dt), sigma * math.sqrt(dt),
                        int(step0), int(n_steps), float(threshold), np.uint64(seed),
                        x_out, exit_out)
    return x_out, exit_out


@pnjit
def _em_tabulated_numba_loop(x, paths, drift, cost, x_first, dx, dt, scale, step0, seed,
                             x_out, total_out):
    n_steps, n_grid = drift.shape
    for i in numba.prange(x.size):
        xi = x[i]
        acc = 0.0
        radius, angle = 0.0, 0.0
        for k in range(n_steps):
            step = step0 + k
            if step % 2 == 0 or k == 0:
                radius, angle = _pair_jit(seed, paths[i], step)
            z = radius * math.cos(angle) if step % 2 == 0 else radius * math.sin(angle)
            s = min(max((xi - x_first) / dx, 0.0), n_grid - 1.000000001)
            j = int(s)
            w = s - j
            b = (1.0 - w) * drift[k, j] + w * drift[k, j + 1]
            acc += dt * ((1.0 - w) * cost[k, j] + w * cost[k, j + 1])
            xi = xi + b * dt + scale * z
        x_out[i] = xi
        total_out[i] = acc


def _em_tabulated_numba(x, paths, drift, cost, x_first, dx, dt, sigma, step0, seed):
    x_out = np.empty(x.shape)
    total = np.empty(x.shape)
    _em_tabulated_numba_loop(np.asarray(x, np.float64), np.asarray(paths, np.int64),
                             np.ascontiguousarray(drift, np.float64),
                             np.ascontiguousarray(cost, np.float64), float(x_first), float(dx),
                             float(dt), sigma * math.sqrt(dt), int(step0), np.uint64(seed),
                             x_out, total)
    return x_out, total


# --------------------------------------------------------------------------- numba.cuda

_CUDA = {}


def _wrapping_uint64(fn):
    """``fn`` run with NumPy's uint64 overflow warning off: for the CUDA simulator only.

    The simulator runs device code as Python on NumPy scalars, and SplitMix64's uint64
    products and sums wrap modulo 2⁶⁴ *by design* (as they do on the GPU and in the njit
    code), which NumPy reports as an overflow. Each simulated thread is a Python thread
    and NumPy's error state is per thread, so it is set here, inside every call; the
    arithmetic, hence every bit of the result, is unchanged.
    """
    def wrapped(*args):
        with np.errstate(over="ignore"):
            return fn(*args)
    return wrapped


def _cuda_kernels():
    """Compile the CUDA kernels on first use (importing this module needs no GPU)."""
    if _CUDA:
        return _CUDA
    splitmix_d = cuda.jit(device=True)(_splitmix_scalar)
    pair_d = cuda.jit(device=True)(_make_pair_scalar(splitmix_d))
    horner_d = cuda.jit(device=True)(_horner_scalar)
    path = _make_em_exit_path(splitmix_d, pair_d, horner_d)
    if numba.config.ENABLE_CUDASIM:
        path = _wrapping_uint64(path)
    path_d = cuda.jit(device=True)(path)

    @cuda.jit
    def em_exit_k(x, paths, coeffs, dt, scale, step0, n_steps, threshold, seed, x_out, exit_out):
        i = cuda.grid(1)
        if i < x.size:
            x_out[i], exit_out[i] = path_d(x[i], paths[i], coeffs, dt, scale, step0, n_steps,
                                           threshold, seed)

    _CUDA["em_exit"] = em_exit_k
    return _CUDA


def _em_exit_cuda(x, paths, coeffs, dt, sigma, step0, n_steps, threshold, seed):
    kernel = _cuda_kernels()["em_exit"]
    x = np.ascontiguousarray(x, np.float64)
    x_out = cuda.device_array(x.shape, np.float64)
    exit_out = cuda.device_array(x.shape, np.int64)
    threads = 128
    blocks = max(1, (x.size + threads - 1) // threads)
    kernel[blocks, threads](cuda.to_device(x), cuda.to_device(np.asarray(paths, np.int64)),
                            cuda.to_device(np.asarray(coeffs, np.float64)), float(dt),
                            sigma * math.sqrt(dt), int(step0), int(n_steps),
                            float(threshold), np.uint64(seed), x_out, exit_out)
    return x_out.copy_to_host(), exit_out.copy_to_host()


# --- Entropy-SGD's inner (SGLD) step ---------------------------------------------------------

def _langevin_step_numpy(y, mu, x, g, velocity, noise, gamma, inner_lr, momentum, alpha):
    finite = bool(np.all(np.isfinite(g)))
    d = g + gamma * (y - x)
    if velocity is not None:
        velocity *= momentum
        velocity += d
        d = d + momentum * velocity
    y -= inner_lr * d
    if noise is not None:
        y += noise
    mu += alpha * (y - mu)
    return finite


# velocity and noise are arrays or None: numba compiles a version for each and drops the
# dead branches. One sweep instead of nine NumPy passes: on a 26 000-weight net those cost
# about an eighth of a gradient evaluation.
@njit
def _langevin_step_numba(y, mu, x, g, velocity, noise, gamma, inner_lr, momentum, alpha):
    finite = True
    for i in range(y.size):
        gi = g[i]
        if not math.isfinite(gi):
            finite = False
        d = (y[i] - x[i]) * gamma + gi
        if velocity is not None:
            v = velocity[i] * momentum + d
            velocity[i] = v
            d = d + momentum * v
        yi = y[i] - d * inner_lr
        if noise is not None:
            yi = yi + noise[i]
        y[i] = yi
        mu[i] = mu[i] + (yi - mu[i]) * alpha
    return finite


register("sde.normal", numpy=_normal_numpy, numba=_normal_numba)
register("sde.langevin_step", numpy=_langevin_step_numpy, numba=_langevin_step_numba)
register("sde.em_exit", numpy=_em_exit_numpy, numba=_em_exit_numba, cuda=_em_exit_cuda)
register("sde.em_tabulated", numpy=_em_tabulated_numpy, numba=_em_tabulated_numba)
