"""Projection algorithms: error reduction, hybrid input–output, oversampling smoothness.

Notation: M the measured magnitudes, D the support, F the unitary DFT, P_M the
magnitude projection z ↦ M·z/|z| (applied where M is measured; unmeasured pixels
stay free), X the object set (zero off D; by default real and ≥ 0 in D) and P_X
its projection. One iteration computes u′ = Re F⁻¹ P_M F u (the real part for a
real object) and then a real-space rule; the estimate whose R-factor is recorded
is x = P_X(u′).

A real object keeps a real iterate u, and its FFTs are real ones on the half spectrum
(k₁ ≤ N₁/2): Re F⁻¹ P_M F u is the inverse real FFT of the Hermitian part of P_M F u,
½(P_M(k) + P_M(−k)) applied to the half spectrum (kernel ``phase.magnitude_prox_real``),
which halves both FFTs and the Fourier-space sweep.
"""
from __future__ import annotations

import numpy as np

from .._checks import check_integer, check_positive, check_range
from ._common import batch_size, check_common, initial_object, monitor, prepare
from .forward import as_vector, check_shape2d
from .fourier import frequency_radius

__all__ = ["error_reduction", "hio", "oss", "oss_widths"]


def projection_step(p, u, x, beta, error_reduction, estimate=True, exterior=None):
    """One ER/HIO iteration in place: two FFTs and two fused sweeps; x ← P_X(u′).

    ``estimate=False``: x is left as it was (the iteration itself never reads it; on the
    CPU the sweep then moves one array less). The device always writes it.
    ``exterior`` (OSS): also exterior ← u outside the support (on the CPU in the object
    step's own sweep).
    """
    k = p.kernels
    x = p.estimate_into(x, estimate)
    if np.iscomplexobj(u):
        z = p.fft(u, out=p.work)
        k["magnitude_prox"](z, p.magnitudes, p.known, 1.0, 0.0)
        u_prime = p.ifft(z, overwrite=True)
    else:   # a real object: u′ = Re F⁻¹ P_M F u through the half spectrum
        h = p.half
        z = p.rfft(u)
        k["magnitude_prox_real"](z, h.magnitudes, h.mirror, h.known, h.known_mirror, 1.0, 0.0)
        u_prime = p.irfft(z, overwrite=True)
    k["object_step"](u, u_prime, x, p.support, beta, p.nonnegative, error_reduction,
                     p.space_scale, exterior=exterior)


def check_beta(beta):
    """HIO's feedback β in (0, 1] (Fienup's range; β = 1 is Douglas–Rachford)."""
    return check_range(beta, "beta", 0.0, 1.0, low_open=True)


def check_stages(values, name):
    """A non-empty 1-D sequence of positive, finite per-stage parameters."""
    values = as_vector(values, name)
    if np.any(values <= 0):
        raise ValueError(f"{name} must be > 0, got {values.min():g}")
    return [float(v) for v in values]


def _run(name, magnitudes, support, max_iter, *, x0, rng, beta, error_reduction, oss, alphas,
         missing, nonnegative, monitor_every, tol, callback, backend, workers, fft):
    tol, rng = check_common(monitor_every=monitor_every, tol=tol, rng=rng, callback=callback,
                            x0=x0)
    if alphas is not None:
        alphas = check_stages(alphas, "alphas")
    p = prepare(magnitudes, support, max_iter, missing=missing, nonnegative=nonnegative,
                backend=backend, workers=workers, fft=fft, batch=batch_size(rng))
    if oss and alphas is None:
        alphas = list(oss_widths(p.shape))
    k, xp = p.kernels, p.xp
    u = initial_object(p, x0, rng)
    x = p.zeros(complex=np.iscomplexobj(u))
    n_stages = 1 if alphas is None else len(alphas)
    stage_length = int(np.ceil(max_iter / n_stages))
    runs = monitor(p, monitor_every, name, keep_best=alphas is not None, max_iter=max_iter,
                   tol=tol, callback=callback,
                   beta=beta, alphas=alphas, nonnegative=p.nonnegative, backend=backend,
                   fft=p.ffts.name, dtype=str(p.dtype))
    # |k| moved to the device once; each stage's filter is made there
    radius = p.asarray(frequency_radius(p.shape)) if alphas is not None else None
    complex_u = np.iscomplexobj(u)
    exterior = p.zeros(complex=complex_u) if alphas is not None else None
    with runs.running():
        for it in range(max_iter):
            stage, first = divmod(it, stage_length)
            if alphas is not None and first == 0:
                # OSS: a new filter width; restart from the best iterate so far
                # the filter carries the FFT backend's c² (see Problem); a real iterate's
                # on the half spectrum (W is even: W(−k) = W(k))
                filt = (xp.exp(-0.5 * (radius / alphas[stage]) ** 2)
                        * p.space_scale).astype(p.dtype)
                if not complex_u:
                    filt = xp.ascontiguousarray(filt[:, :p.shape[1] // 2 + 1])
                if runs.best_state is not None:
                    u[...] = runs.best_state[0]
            # x, the estimate P_X(u′), only where it is read: the recorded iterations (R(x),
            # the stopping test, OSS's best), the callback's and the last
            estimate = runs.due(it, max_iter)
            # OSS: the step also writes exterior ← u off D (0 on D: zero there from the
            # start, as only its outside is ever written and the forward FFTs keep their
            # input)
            projection_step(p, u, x, beta, error_reduction, estimate, exterior=exterior)
            if estimate:
                runs.estimate_iteration = it
            if alphas is not None:
                # smooth the exterior of the support with a Gaussian filter in Fourier space
                if complex_u:
                    v = p.fft(exterior, out=p.work)
                    k["multiply"](v, filt)
                    smoothed = p.ifft(v, overwrite=True)
                else:
                    v = p.rfft(exterior)
                    k["multiply"](v, filt)
                    smoothed = p.irfft(v, overwrite=True)
                k["replace_outside"](u, smoothed, p.support)
            if runs.end(it, x, (u,)):
                break
    return runs.finish(x, use_best=alphas is not None, backend=backend, fft=p.ffts.name)


def error_reduction(magnitudes, support, max_iter, *, x0=None, rng=None, missing=None,
                    nonnegative=True, monitor_every=1, tol=0.0, callback=None, backend="auto",
                    workers=None, fft="auto"):
    """Error reduction (alternating projections, Gerchberg–Saxton–Fienup).

    Iterates u ← P_X(F⁻¹ P_M F u), i.e. u′ = F⁻¹ P_M F u and then u = u′ on the
    pixels that satisfy the object constraint (in D and, for a non-negative object,
    Re u′ ≥ 0), 0 elsewhere. It never increases the squared Fourier-magnitude
    error Σ(|F u| − M)² and stagnates in a local minimum (Fienup 1982).

    Parameters
    ----------
    magnitudes : array_like, 2-D
        Measured Fourier magnitudes M ≥ 0, finite, FFT layout (see
        :func:`pdeopt.phase.simulate`); not all zero where measured. float32 magnitudes
        run in single precision (float32/complex64 iterates, kernels and FFTs; ``x``
        float32, complex64 for a complex object); any other dtype in float64.
    support : array_like of bool, 2-D
        The support D (bool or 0/1 values), same shape, not empty. An oversampling
        ratio below 2 warns: the phase is then not unique.
    max_iter : int
        The iteration budget (≥ 1).
    x0 : array_like, 2-D, optional
        Starting object, the shape of ``magnitudes``; by default F⁻¹(M·e^{iφ}) with
        uniformly random phases φ.
    rng : None, int or numpy.random.Generator
        The source of the random phases.
    missing : array_like of bool, optional
        Unmeasured pixels (e.g. :func:`pdeopt.phase.central_speckle`): left free.
    nonnegative : bool
        Object constraint: real and ≥ 0 in D (default), or only zero off D.
    monitor_every : int
        Record the R-factor every this many iterations (each costs the estimate x and one
        FFT), from the first; the iterations in between skip the estimate.
    tol : float
        Stopping test: the run converges (``status=0``) when the R-factor
        Σ| |F x| − M | / ΣM of the estimate is ≤ ``tol`` at a recorded iteration.
        0 (the default) runs the whole budget (``status=1``); a nonzero ``tol``
        not met within ``max_iter`` gives ``status=2`` and a ``ConvergenceWarning``.
    callback : callable, optional
        ``callback(it)`` after each iteration with a :class:`pdeopt.Iterate` (``it.x`` a
        copy of the estimate, ``it.values`` the R-factor when recorded); returning
        True stops the run (``status=4``).
    backend : {"auto", "numpy", "numba", "cuda"}
        Kernels of the per-pixel steps (:mod:`pdeopt.kernels.phase`). ``"cuda"``, or CuPy
        magnitudes with ``"auto"``, runs the whole iteration on the GPU with CuPy: the data
        moved there once per call, cuFFT, the numba.cuda sweeps on the device arrays (the
        NumPy twins through CuPy where numba.cuda cannot run), the R-factor read back only
        at the recorded iterations; ``BackendUnavailableError`` without CuPy
        (``pip install pdeopt[gpu]``).
    workers : int, optional
        Threads per FFT (≥ 1 or −1 for all); by default one with FFTW (its threads
        slow down badly on shared cores) and with SciPy 1 below 512² pixels, else all.
    fft : {"auto", "scipy", "pyfftw", "numpy", "cupy"}
        The FFT backend (:mod:`pdeopt.phase.fft_backends`): ``"scipy"`` is
        ``scipy.fft``; ``"numpy"`` is ``numpy.fft`` (one thread); ``"pyfftw"`` runs FFTW
        plans measured once per process (``FFTW_MEASURE``; an ``ImportError`` where
        pyFFTW is not installed); ``"cupy"`` is cuFFT, for the GPU run only (a
        ``ValueError`` otherwise, as a host FFT is on the GPU); ``"auto"`` (default) is
        cuFFT on the GPU, else pyFFTW when installed, else SciPy. The results agree to
        rounding; ``info["fft"]`` names the one used.

    Returns
    -------
    pdeopt.Result
        ``x`` the final estimate P_X(u′), the kind of array the magnitudes were (CuPy for
        CuPy; host arrays with ``backend="cuda"`` give a host ``x``); ``history["r_factor"]``
        the R-factor of the estimate at each recorded iteration (``history["iteration"]``
        its index); ``nit`` the iterations run; ``info["best_r_factor"]``. Ctrl-C returns
        what was finished (``status=3``), with the estimate of the last recorded iteration
        when it came between two (``info["estimate_iteration"]``).

    Raises
    ------
    pdeopt.DivergenceError
        If the R-factor becomes NaN or inf; ``err.result`` holds the history.

    Examples
    --------
    >>> from pdeopt import phase
    >>> truth = phase.vesicle(32, oversampling=3)
    >>> data = phase.simulate(truth.object)
    >>> er = phase.error_reduction(data, truth.support, 50, rng=0)
    >>> er.nit, er.status, er.history["r_factor"].shape
    (50, 1, (50,))
    >>> hio = phase.hio(data, truth.support, 50, rng=0)
    >>> bool(hio.history["r_factor"][-1] < er.history["r_factor"][-1])
    True

    References
    ----------
    .. [1] J. R. Fienup, "Phase retrieval algorithms: a comparison", Appl. Opt. 21,
       2758 (1982).
    """
    return _run("error_reduction", magnitudes, support, max_iter, x0=x0, rng=rng, beta=0.0,
                error_reduction=True, oss=False, alphas=None, missing=missing,
                nonnegative=nonnegative, monitor_every=monitor_every, tol=tol,
                callback=callback, backend=backend, workers=workers, fft=fft)


def hio(magnitudes, support, max_iter, *, x0=None, rng=None, beta=0.9, missing=None,
        nonnegative=True, monitor_every=1, tol=0.0, callback=None, backend="auto",
        workers=None, fft="auto"):
    """Hybrid input–output (Fienup 1982).

    With u′ = F⁻¹ P_M F u (its real part for a real object) and γ the pixels where
    u′ satisfies the object constraint (in D and Re u′ ≥ 0):

        u ← u′            on γ,
        u ← u − β·u′      elsewhere (negative feedback pushes violations to zero).

    For the support constraint alone this is Douglas–Rachford relaxed by β
    (Bauschke, Combettes, Luke 2002). Parameters, stopping test (R-factor ≤ ``tol``)
    and result as in :func:`error_reduction`; ``beta`` in (0, 1] (default 0.9) is
    the feedback.

    Examples
    --------
    >>> from pdeopt import phase
    >>> truth = phase.nanorice(32, variant=2)
    >>> data = phase.simulate(truth.object)
    >>> res = phase.hio(data, truth.support, 400, rng=1, tol=1e-3)
    >>> res.status, res.converged, bool(res.history["r_factor"][-1] <= 1e-3)
    (0, True, True)

    References
    ----------
    .. [1] J. R. Fienup, "Phase retrieval algorithms: a comparison", Appl. Opt. 21,
       2758 (1982).
    .. [2] H. H. Bauschke, P. L. Combettes, D. R. Luke, "Phase retrieval, error
       reduction algorithm, and Fienup variants", J. Opt. Soc. Am. A 19, 1334 (2002).
    """
    beta = check_beta(beta)
    return _run("hio", magnitudes, support, max_iter, x0=x0, rng=rng, beta=beta,
                error_reduction=False, oss=False, alphas=None, missing=missing,
                nonnegative=nonnegative, monitor_every=monitor_every, tol=tol,
                callback=callback, backend=backend, workers=workers, fft=fft)


def oss_widths(shape, n_stages=10, *, first=2.0, last=0.2):
    """OSS's filter widths α (frequency index), linear from ``first``·N down to ``last``·N.

    N = max(shape). The default, 2N down to 0.2N over 10 stages, is the schedule
    of the OSS authors' reference code (Rodriguez et al. 2013; the Miao group's
    ``OSS_samplecode``: α = (11 − s)·0.2N at stage s): W_α ≈ 1 on the whole grid at
    first (almost no smoothing), W_α(N/2) = e^{−3.1} at the end. ``last = 1/N²``
    gives the stronger schedule N → 1/N that a reading of the paper's text suggests
    (W ≈ δ at the end: the exterior replaced by its mean).

    Parameters
    ----------
    shape : pair of int
        The grid.
    n_stages : int
        Number of stages (≥ 1).
    first, last : float
        Widths of the first and last stage over N (> 0).

    Examples
    --------
    >>> oss_widths((32, 32), 4, first=2.0, last=0.5)
    array([64., 48., 32., 16.])
    """
    n = max(check_shape2d(shape))
    first, last = check_positive(first, "first"), check_positive(last, "last")
    widths = np.linspace(first * n, last * n, check_integer(n_stages, "n_stages", minimum=1))
    if not np.all(np.isfinite(widths)):
        raise ValueError(f"first and last must keep first·N, last·N finite (N={n})")
    return widths


def oss(magnitudes, support, max_iter, *, x0=None, rng=None, beta=0.9, alphas=None,
        missing=None, nonnegative=True, monitor_every=1, tol=0.0, callback=None,
        backend="auto", workers=None, fft="auto"):
    """Oversampling smoothness: HIO plus Gaussian smoothing of the exterior of the support.

    Each iteration is an HIO step (:func:`hio`) followed by

        u ← u·1_D + F⁻¹[ W_α · F(u·1_{Ω∖D}) ]·1_{Ω∖D},   W_α(k) = exp(−|k|²/(2α²)),

    a low-pass filter of the values outside the support (|k| in frequency index).
    The iterations are split evenly into stages, one per width α (default:
    :func:`oss_widths`, 10 stages from 2N down to 0.2N, i.e. ever stronger
    smoothing); each stage restarts from the iterate with the lowest R-factor so
    far, and the result is the best estimate of the run (OSS's rule).

    Parameters
    ----------
    alphas : sequence of float, optional
        The filter width of each stage (> 0, frequency-index units; usually
        decreasing). Stages beyond the budget (more stages than ``max_iter``) are
        not reached.
    Others as in :func:`hio` (``tol``: stop when the R-factor ≤ tol).

    Returns
    -------
    pdeopt.Result
        As for :func:`error_reduction`, with ``x`` the best estimate of the run.

    Examples
    --------
    >>> from pdeopt import phase
    >>> truth = phase.nanorice(32, variant=2)
    >>> data = phase.simulate(truth.object, noise="poisson", flux=1e8, rng=0)
    >>> res = phase.oss(data, truth.support, 100, rng=1, alphas=[64.0, 32.0, 16.0])
    >>> res.nit, res.info["returned"], bool(res.info["best_r_factor"] < 0.1)
    (100, 'best', True)

    References
    ----------
    .. [1] J. A. Rodriguez, R. Xu, C.-C. Chen, Y. Zou, J. Miao, "Oversampling
       smoothness: an effective algorithm for phase retrieval of noisy diffraction
       intensities", J. Appl. Cryst. 46, 312 (2013).
    """
    beta = check_beta(beta)
    return _run("oss", magnitudes, support, max_iter, x0=x0, rng=rng, beta=beta,
                error_reduction=False, oss=True, alphas=alphas, missing=missing,
                nonnegative=nonnegative, monitor_every=monitor_every, tol=tol,
                callback=callback, backend=backend, workers=workers, fft=fft)
