"""The primal–dual hybrid gradient with dual smoothing (GPS) for phase retrieval."""
from __future__ import annotations

import numpy as np

from .._checks import (check_bool, check_choice, check_integer,
                       check_nonnegative, check_positive)
from ._common import batch_size, check_common, initial_fourier, monitor, prepare
from .forward import as_vector, check_shape2d, check_support

__all__ = ["pdhg", "gamma_schedule", "smoothing_filters"]

SMOOTHING = (None, "dr1", "dr2", "dr3")


def check_smoothing(smoothing):
    if smoothing is not None and not isinstance(smoothing, str):
        raise TypeError(f"smoothing must be None, 'dr1', 'dr2' or 'dr3', got "
                        f"{type(smoothing).__name__}")
    return check_choice(smoothing, "smoothing", SMOOTHING)


def gamma_schedule(n_stages=10, *, s=1.0):
    """Increasing smoothing parameters γ_1 < … < γ_n (the seed: "as in OSS, increasing").

    γ_j = 1/(8π²s·a_j²) with a_j from 2 down to 0.2 (linearly): the DR1 filter
    exp(−sγ|ξ|²), ξ = 2πk/N, is then OSS's Gaussian W(k) = exp(−|k|²/(2α²)) of
    width α = a_j·N, so γ rises from 1/(32π²s) ≈ 0.003 to 1/(0.32π²s) ≈ 0.32 and the
    real-space kernel's standard deviation √(2sγ) from 0.08 to 0.8 pixel. Stronger
    schedules (a_j down to 0.1 or 1/N²) did worse on the noisy vesicle with DR3.

    Parameters
    ----------
    n_stages : int
        Number of stages (≥ 1).
    s : float
        The dual step of :func:`pdhg` (> 0).

    Examples
    --------
    >>> g = gamma_schedule(3)
    >>> g.round(4), bool(np.all(np.diff(g) > 0))
    (array([0.0032, 0.0105, 0.3166]), True)
    """
    a = np.linspace(2.0, 0.2, check_integer(n_stages, "n_stages", minimum=1))
    s = check_positive(s, "s")
    with np.errstate(over="ignore"):
        gammas = 1.0 / (8.0 * np.pi ** 2 * s * a ** 2)
    if not np.all(np.isfinite(gammas)):
        raise ValueError(f"s={s:g} is too small: the smoothing parameters overflow")
    return gammas


def smoothing_filters(shape, support, gamma, s, smoothing):
    """The two smoothing factors of the dual step for one γ.

    Returns ``(fourier_filter, real_weight)``: DR1 (GPS-R, G = γDᵀD) multiplies F y
    by the heat kernel exp(−sγ|ξ|²), ξ_j = 2πk_j/N_j — a Gaussian of standard
    deviation √(2sγ) pixels in real space, the usual approximation of
    (I + sγDᵀD)⁻¹; DR2 (GPS-F, G = γ·diag(r²)) multiplies y by 1/(1 + sγ|ρ|²),
    ρ_j = 2π(x_j − c_j)/N_j measured from the support's centroid c — the exact
    proximal map, which smooths F y in Fourier space (‖r·y‖ = ‖D F y‖ by
    Parseval). DR3 applies both. A factor not used is ``None`` / ones.

    Parameters
    ----------
    shape : pair of int
        The grid.
    support : array_like of bool, 2-D
        The support D, of ``shape``, not empty.
    gamma : float
        γ ≥ 0.
    s : float
        The dual step (> 0).
    smoothing : {"dr1", "dr2", "dr3", None}

    Examples
    --------
    >>> import numpy as np
    >>> support = np.zeros((16, 16), bool)
    >>> support[6:10, 5:11] = True
    >>> h, w = smoothing_filters((16, 16), support, 0.5, 1.0, "dr1")
    >>> float(h[0, 0]), bool(h[0, 8] < h[0, 1] < 1), bool(np.all(w == 1))
    (1.0, True, True)
    """
    shape = check_shape2d(shape)
    support = check_support(support, shape, warn=False, of="shape")
    gamma = check_nonnegative(gamma, "gamma")
    s = check_positive(s, "s")
    smoothing = check_smoothing(smoothing)
    if not np.isfinite(s * gamma):
        raise ValueError(f"s·gamma must be finite, got s={s:g}, gamma={gamma:g}")
    return stage_filters(smoothing_grids(shape, support, smoothing), gamma, s)


def smoothing_grids(shape, support, smoothing):
    """What the smoothing factors of every γ are made of: ``(shape, |ξ|², |ρ|²)``, the last
    two host arrays or None where ``smoothing`` does not use them (see
    :func:`smoothing_filters`). ``support`` may be a device array (its centroid is read)."""
    xi2 = rho2 = None
    if smoothing in ("dr1", "dr3"):
        ky = np.fft.fftfreq(shape[0]) * 2 * np.pi
        kx = np.fft.fftfreq(shape[1]) * 2 * np.pi
        xi2 = ky[:, None] ** 2 + kx[None, :] ** 2
    if smoothing in ("dr2", "dr3"):
        yy, xx = support.nonzero()
        cy, cx = float(yy.mean()), float(xx.mean())
        y = 2 * np.pi * (np.arange(shape[0]) - cy) / shape[0]
        x = 2 * np.pi * (np.arange(shape[1]) - cx) / shape[1]
        rho2 = y[:, None] ** 2 + x[None, :] ** 2
    return shape, xi2, rho2


def stage_filters(grids, gamma, s, xp=np):
    """The factors ``(fourier_filter, real_weight)`` of one γ from :func:`smoothing_grids`
    (on the device: ``grids`` moved there, ``xp`` CuPy), as :func:`smoothing_filters`."""
    shape, xi2, rho2 = grids
    fourier_filter = None if xi2 is None else xp.exp(-s * gamma * xi2)
    weight = xp.ones(shape) if rho2 is None else 1.0 / (1.0 + s * gamma * rho2)
    return fourier_filter, xp.ascontiguousarray(weight)


def _state(xp, z, yhat, pending, kept):
    """Copies of (z, F y) into ``kept`` (or new arrays), the DR1 filter still pending
    applied to F y (a restart resumes from the filtered state)."""
    if kept is None:
        kept = (xp.empty_like(z), xp.empty_like(yhat))
    xp.copyto(kept[0], z)
    if pending is not None:
        xp.multiply(yhat, pending, out=kept[1])
    else:
        xp.copyto(kept[1], yhat)
    return kept


def pdhg_step(p, z, yhat, x, weight, s, t, sigma, fourier_filter=None, estimate=True):
    """One PDHG iteration: z updated in place, x ← P_X(d); returns the new F y, unfiltered.

    ``estimate=False``: x is left as it was (the iteration never reads it; on the CPU the
    dual sweep then moves one array less). The device always writes it.

    ``yhat`` is F y before the DR1 filter ``fourier_filter`` (None: already
    filtered). The filter multiplies ŷ inside the next Fourier sweep instead of in
    a sweep of its own, so pass the returned array back with the stage's filter.
    """
    k = p.kernels
    # ŷ ← h·ŷ (DR1: heat kernel on F y); z ← prox_{t g_σ}(z − t ŷ); ŷ ← F d = ŷ + s(2z⁺ − z)
    k["pdhg_fourier"](z, yhat, p.magnitudes, p.known, t, s, sigma, fourier_filter)
    d = p.ifft(yhat, overwrite=True)
    # d ← c²·d (the backend's units); x ← P_X(d) (the estimate); d ← weight·P_X*(d) = y
    # (DR2 damping)
    k["pdhg_dual"](d, p.estimate_into(x, estimate), p.support, weight, p.nonnegative,
                   p.space_scale)
    return p.fft(d, out=d)


def pdhg(magnitudes, support, max_iter, *, x0=None, rng=None, sigma=0.1, s=1.0, t=1.0,
         smoothing="dr3", gammas=None, restart_best=True, missing=None, nonnegative=True,
         monitor_every=1, tol=0.0, callback=None, backend="auto", workers=None, fft="auto"):
    """Primal–dual hybrid gradient with dual smoothing (GPS, the seed's DR1/DR2/DR3).

    Solves the relaxed phase problem

        min_{u,z} f_G(u) + g_σ(z)  s.t.  z = F u,

    f the indicator of the object set X = {u ≥ 0 in D, u = 0 off D}, f_G its
    generalized infimal convolution with ½vᵀG⁻¹v (so f_G* = f* + ½yᵀGy, f* the
    indicator of X* = {Re y ≤ 0 in D}) and g_σ(z) = (1/2σ)‖|z| − M‖² (→ the
    magnitude constraint |z| = M as σ → 0), through its saddle-point form
    min_z max_y g_σ(z) − f_G*(y) + ⟨z, F y⟩ by Chambolle–Pock:

        z^{k+1} = prox_{t g_σ}(z^k − t F y^k)
                = (t·M·e^{i arg w} + σ·w)/(t + σ),   w = z^k − t F y^k,
        d^{k+1} = y^k + s F⁻¹(2z^{k+1} − z^k),
        y^{k+1} = argmin_{y ∈ X*} ½yᵀGy + (1/2s)‖y − d^{k+1}‖²
                ≈ smoothing( P_{X*}(d^{k+1}) ).

    The smoothing (:func:`smoothing_filters`) is DR1 = GPS-R (G = γDᵀD: Gaussian
    smoothing of y in real space), DR2 = GPS-F (G = γ·diag(r²): y/(1 + sγr²),
    smoothing in Fourier space) or DR3 (both); γ increases over stages (``gammas``,
    default :func:`gamma_schedule`), each stage restarting from the (z, y) with the
    lowest R-factor so far, as OSS does. With s = t = 1, σ = 0 and no smoothing the
    iteration is Douglas–Rachford on w = z − F y:
    w ← w + P̂_X(2P_M w − w) − P_M w, with P̂_X = F P_X F⁻¹.

    F y is kept in Fourier space, so an iteration costs two FFTs (plus one for the
    R-factor of the estimate x = P_X(d^{k+1}), whose Moreau complement is
    P_{X*}(d^{k+1})).

    Parameters
    ----------
    magnitudes, support, max_iter, x0, rng, missing, nonnegative, monitor_every, callback,
    backend, workers, fft
        As in :func:`pdeopt.phase.error_reduction` (float32 magnitudes: the whole run in
        single precision; ``fft`` the FFT backend); a start x0 gives z⁰ = F x0,
        else z⁰ = M·e^{iφ} with random phases; y⁰ = 0.
    sigma : float
        σ ≥ 0 of g_σ: 0 is the hard magnitude constraint, larger values trust the
        (noisy) magnitudes less (the seed used 0.1).
    s, t : float
        Dual and primal step sizes, > 0 with s·t ≤ 1 (Chambolle–Pock's step
        condition s·t·‖F‖² ≤ 1, F unitary; the seed's default is s = t = 1).
    smoothing : {"dr1", "dr2", "dr3", None}
        The choice of G (None: G = 0, no smoothing, and ``gammas`` is not used).
    gammas : sequence of float, optional
        γ ≥ 0 per stage (usually increasing; default :func:`gamma_schedule`); the
        iterations are split evenly among them, and stages beyond the budget (more
        stages than ``max_iter``) are not reached.
    restart_best : bool
        Restart each stage from the best (z, y) so far; the result is then the
        best estimate of the run, else the final one.
    tol : float
        Stopping test: converged (``status=0``) when the R-factor of the estimate
        x = P_X(d) is ≤ ``tol`` at a recorded iteration; 0 runs the whole budget.

    Returns
    -------
    pdeopt.Result
        ``x`` the estimate P_X(d) (best or final), ``history["r_factor"]``, ``nit``,
        ``status`` as in :func:`pdeopt.phase.error_reduction`.

    Raises
    ------
    pdeopt.DivergenceError
        If the R-factor becomes NaN or inf; ``err.result`` holds the history so far.

    Examples
    --------
    >>> from pdeopt import phase
    >>> truth = phase.nanorice(32, variant=2)
    >>> data = phase.simulate(truth.object, noise="poisson", flux=1e8, rng=0)
    >>> res = phase.pdhg(data, truth.support, 100, rng=1, sigma=0.1, smoothing="dr3")
    >>> res.nit, res.success, bool(res.info["best_r_factor"] < 0.1)
    (100, True, True)

    References
    ----------
    .. [1] M. Pham, P. Yin, A. Rana, S. Osher, J. Miao, "Generalized proximal
       smoothing (GPS) for phase retrieval", Opt. Express 27, 2792 (2019);
       arXiv:1803.05610.
    .. [2] S. Osher, "New techniques in optimization and their applications to
       deep learning and related inverse problems" (2018), phase retrieval part.
    .. [3] A. Chambolle, T. Pock, "A first-order primal-dual algorithm for convex
       problems with applications to imaging", J. Math. Imaging Vis. 40 (2011).
    """
    sigma = check_nonnegative(sigma, "sigma")
    s, t = check_positive(s, "s"), check_positive(t, "t")
    if s * t > 1.0:
        raise ValueError(f"the steps must satisfy s·t <= 1 (Chambolle–Pock with a unitary F), "
                         f"got s={s:g}, t={t:g}")
    smoothing = check_smoothing(smoothing)
    restart_best = check_bool(restart_best, "restart_best")
    if gammas is not None:
        gammas = as_vector(gammas, "gammas")
        if np.any(gammas < 0):
            raise ValueError(f"gammas must be >= 0, got {gammas.min():g}")
    tol, rng = check_common(monitor_every=monitor_every, tol=tol, rng=rng, callback=callback,
                            x0=x0)
    p = prepare(magnitudes, support, max_iter, missing=missing, nonnegative=nonnegative,
                backend=backend, workers=workers, fft=fft, batch=batch_size(rng))
    if smoothing is None:
        gammas = [0.0]
    elif gammas is None:
        gammas = gamma_schedule(s=s)
    gammas = [float(g) for g in gammas]
    if not all(np.isfinite(s * g) for g in gammas):
        raise ValueError(f"s·gamma must be finite for every stage, got s={s:g}, "
                         f"max gamma={max(gammas):g}")
    xp = p.xp
    z = xp.ascontiguousarray(initial_fourier(p, x0, rng))
    yhat = p.zeros()                             # F y, y⁰ = 0
    x = p.zeros(complex=not p.nonnegative)       # a real object: x real
    stage_length = int(np.ceil(max_iter / len(gammas)))
    runs = monitor(p, monitor_every, "pdhg", keep_best=restart_best, max_iter=max_iter,
                   tol=tol, callback=callback,
                   sigma=sigma, s=s, t=t, smoothing=smoothing, gammas=gammas,
                   nonnegative=p.nonnegative, backend=backend, fft=p.ffts.name,
                   dtype=str(p.dtype))
    # the grids the stages' filters are made of, moved to the device once
    shape, xi2, rho2 = smoothing_grids(p.shape, p.support, smoothing)
    grids = (shape, None if xi2 is None else p.asarray(xi2),
             None if rho2 is None else p.asarray(rho2))
    pending = None                               # the DR1 filter still to apply to yhat
    with runs.running():
        for it in range(max_iter):
            stage, first = divmod(it, stage_length)
            if first == 0:
                fourier_filter, weight = stage_filters(grids, gammas[stage], s, xp)
                weight = weight.astype(p.dtype)
                if fourier_filter is not None:
                    fourier_filter = fourier_filter.astype(p.dtype)
                if restart_best and runs.best_state is not None:
                    z[...], yhat[...] = runs.best_state
                    pending = None              # the saved F y is already filtered
            # x only where it is read: the recorded iterations, the callback's and the last
            estimate = runs.due(it, max_iter)
            yhat = pdhg_step(p, z, yhat, x, weight, s, t, sigma, pending, estimate)
            if estimate:
                runs.estimate_iteration = it
            pending = fourier_filter
            if runs.end(it, x, lambda kept: _state(xp, z, yhat, pending, kept)):
                break
    return runs.finish(x, use_best=restart_best, backend=backend, fft=p.ffts.name)
