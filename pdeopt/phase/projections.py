"""Projection algorithms: error reduction, hybrid input–output, oversampling smoothness.

Notation: M the measured magnitudes, D the support, F the unitary DFT, P_M the
magnitude projection z ↦ M·z/|z| (applied where M is measured; unmeasured pixels
stay free), X the object set (zero off D; by default real and ≥ 0 in D) and P_X
its projection. One iteration computes u′ = Re F⁻¹ P_M F u (the real part for a
real object) and then a real-space rule; the estimate whose R-factor is recorded
is x = P_X(u′).
"""
from __future__ import annotations

import numpy as np

from .._checks import check_integer, check_nonnegative, check_positive
from .._result import Recorder
from ._common import Monitor, check_common, finish, initial_object, prepare
from .fourier import frequency_radius

__all__ = ["error_reduction", "hio", "oss"]


def projection_step(p, u, x, beta, error_reduction):
    """One ER/HIO iteration in place: two FFTs and two fused sweeps; x ← P_X(u′)."""
    k = p.kernels
    z = p.fft(u)
    k["magnitude_prox"](z, p.magnitudes, p.known, 1.0, 0.0)
    u_prime = p.ifft(z, overwrite=True)
    k["object_step"](u, u_prime, x, p.support, beta, p.nonnegative, error_reduction)


def _run(name, magnitudes, support, n_iter, *, x0, rng, beta, error_reduction, alphas,
         missing, nonnegative, monitor_every, tol, backend, workers):
    tol = check_common(monitor_every, tol)
    p = prepare(magnitudes, support, n_iter, missing=missing, nonnegative=nonnegative,
                backend=backend, workers=workers)
    k = p.kernels
    u = initial_object(p, x0, rng)
    x = np.empty_like(u)
    n_stages = 1 if alphas is None else len(alphas)
    stage_length = int(np.ceil(n_iter / n_stages))
    rec = Recorder(method=name, beta=beta, alphas=None if alphas is None else list(alphas),
                   n_iter=n_iter, nonnegative=nonnegative, backend=backend)
    monitor = Monitor(p, rec, monitor_every, tol, name)
    radius = frequency_radius(p.shape) if alphas is not None else None
    outside = ~p.support
    converged = False
    with rec.running():
        for it in range(n_iter):
            stage, first = divmod(it, stage_length)
            if alphas is not None and first == 0:
                # OSS: a new filter width; restart from the best iterate so far
                filt = np.exp(-0.5 * (radius / alphas[stage]) ** 2)
                if monitor.best_state is not None:
                    u[...] = monitor.best_state[0]
            projection_step(p, u, x, beta, error_reduction)
            if alphas is not None:
                # smooth the exterior of the support with a Gaussian filter in Fourier space
                v = p.fft(np.where(outside, u, 0.0))
                k["multiply"](v, filt)
                k["replace_outside"](u, p.ifft(v, overwrite=True), p.support)
            if monitor.due(it) and monitor.update(it, x, (u,)):
                converged = True
                break
    return finish(p, rec, monitor, x, use_best=alphas is not None, converged=converged,
                  backend=backend)


def error_reduction(magnitudes, support, n_iter, *, x0=None, rng=None, missing=None,
                    nonnegative=True, monitor_every=1, tol=0.0, backend="auto", workers=None):
    """Error reduction (alternating projections, Gerchberg–Saxton–Fienup).

    Iterates u ← P_X(F⁻¹ P_M F u), i.e. u′ = F⁻¹ P_M F u and then u = u′ on the
    pixels that satisfy the object constraint (in D and, for a non-negative object,
    Re u′ ≥ 0), 0 elsewhere. It never increases the squared Fourier-magnitude
    error Σ(|F u| − M)² and stagnates in a local minimum (Fienup 1982).

    Parameters
    ----------
    magnitudes : array_like, 2-D
        Measured Fourier magnitudes M ≥ 0, FFT layout (see :func:`pdeopt.phase.simulate`).
    support : array_like of bool, 2-D
        The support D, same shape.
    n_iter : int
        Number of iterations.
    x0 : array_like, optional
        Starting object; by default F⁻¹(M·e^{iφ}) with uniformly random phases φ.
    rng : numpy.random.Generator or int, optional
        The source of the random phases.
    missing : array_like of bool, optional
        Unmeasured pixels (e.g. :func:`pdeopt.phase.central_speckle`): left free.
    nonnegative : bool
        Object constraint: real and ≥ 0 in D (default), or only zero off D.
    monitor_every : int
        Record the R-factor every this many iterations (each costs one FFT).
    tol : float
        Stop when the R-factor is ≤ tol.
    backend : {"auto", "numpy", "numba", "cuda"}
        Kernels of the per-pixel steps (:mod:`pdeopt.kernels.phase`).
    workers : int, optional
        Threads per FFT (``scipy.fft``); by default 1 below 512² pixels, else all.

    Returns
    -------
    pdeopt.Result
        ``x`` the final estimate P_X(u′); ``history["r_factor"]`` the R-factor
        Σ| |F x| − M | / ΣM of the estimate at each recorded iteration.

    Examples
    --------
    >>> from pdeopt import phase
    >>> truth = phase.vesicle(64, oversampling=3)
    >>> data = phase.simulate(truth.object)
    >>> er = phase.error_reduction(data, truth.support, 200, rng=0)
    >>> hio = phase.hio(data, truth.support, 200, rng=0)
    >>> bool(hio.history["r_factor"][-1] < er.history["r_factor"][-1])
    True

    References
    ----------
    .. [1] J. R. Fienup, "Phase retrieval algorithms: a comparison", Appl. Opt. 21,
       2758 (1982).
    """
    return _run("error_reduction", magnitudes, support, n_iter, x0=x0, rng=rng, beta=0.0,
                error_reduction=True, alphas=None, missing=missing, nonnegative=nonnegative,
                monitor_every=monitor_every, tol=tol, backend=backend, workers=workers)


def hio(magnitudes, support, n_iter, *, x0=None, rng=None, beta=0.9, missing=None,
        nonnegative=True, monitor_every=1, tol=0.0, backend="auto", workers=None):
    """Hybrid input–output (Fienup 1982).

    With u′ = F⁻¹ P_M F u (its real part for a real object) and γ the pixels where
    u′ satisfies the object constraint (in D and Re u′ ≥ 0):

        u ← u′            on γ,
        u ← u − β·u′      elsewhere (negative feedback pushes violations to zero).

    For the support constraint alone this is Douglas–Rachford relaxed by β
    (Bauschke, Combettes, Luke 2002). Parameters and result as in
    :func:`error_reduction`; ``beta`` (default 0.9) is the feedback.

    References
    ----------
    .. [1] J. R. Fienup, "Phase retrieval algorithms: a comparison", Appl. Opt. 21,
       2758 (1982).
    """
    beta = check_nonnegative(beta, "beta")
    return _run("hio", magnitudes, support, n_iter, x0=x0, rng=rng, beta=beta,
                error_reduction=False, alphas=None, missing=missing, nonnegative=nonnegative,
                monitor_every=monitor_every, tol=tol, backend=backend, workers=workers)


def oss_widths(shape, n_stages=10, *, first=2.0, last=0.2):
    """OSS's filter widths α (frequency index), linear from ``first``·N down to ``last``·N.

    N = max(shape). The default, 2N down to 0.2N over 10 stages, is the schedule
    of the OSS authors' reference code (Rodriguez et al. 2013; the Miao group's
    ``OSS_samplecode``: α = (11 − s)·0.2N at stage s): W_α ≈ 1 on the whole grid at
    first (almost no smoothing), W_α(N/2) = e^{−3.1} at the end. ``last = 1/N²``
    gives the stronger schedule N → 1/N that a reading of the paper's text suggests
    (W ≈ δ at the end: the exterior replaced by its mean).
    """
    n = max(shape)
    first, last = check_positive(first, "first"), check_positive(last, "last")
    return np.linspace(first * n, last * n, check_integer(n_stages, "n_stages", minimum=1))


def oss(magnitudes, support, n_iter, *, x0=None, rng=None, beta=0.9, alphas=None,
        missing=None, nonnegative=True, monitor_every=1, tol=0.0, backend="auto", workers=None):
    """Oversampling smoothness: HIO plus Gaussian smoothing of the exterior of the support.

    Each iteration is an HIO step (:func:`hio`) followed by

        u ← u·1_D + F⁻¹[ W_α · F(u·1_{Ω∖D}) ]·1_{Ω∖D},   W_α(k) = exp(−|k|²/(2α²)),

    a low-pass filter of the values outside the support (|k| in frequency index).
    The iterations are split into stages with decreasing widths α (default:
    ``oss_widths``, 10 stages from 2N to 0.2N, i.e. ever stronger smoothing); each
    stage restarts from the iterate with the lowest R-factor so far, and the
    result is the best estimate of the run (OSS's rule).

    Parameters
    ----------
    alphas : sequence of float, optional
        The filter width of each stage (frequency-index units).
    Others as in :func:`hio`.

    References
    ----------
    .. [1] J. A. Rodriguez, R. Xu, C.-C. Chen, Y. Zou, J. Miao, "Oversampling
       smoothness: an effective algorithm for phase retrieval of noisy diffraction
       intensities", J. Appl. Cryst. 46, 312 (2013).
    """
    beta = check_nonnegative(beta, "beta")
    shape = np.shape(magnitudes)
    if alphas is None:
        alphas = oss_widths(shape if len(shape) == 2 else (1, 1))
    alphas = [check_nonnegative(a, "alphas") for a in np.atleast_1d(alphas)]
    if any(a == 0 for a in alphas):
        raise ValueError("alphas must be > 0 (filter widths)")
    return _run("oss", magnitudes, support, n_iter, x0=x0, rng=rng, beta=beta,
                error_reduction=False, alphas=alphas, missing=missing, nonnegative=nonnegative,
                monitor_every=monitor_every, tol=tol, backend=backend, workers=workers)
