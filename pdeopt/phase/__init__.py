"""Phase retrieval: ER, HIO, OSS and the primal–dual hybrid gradient with dual smoothing.

Source: Osher (2018), phase retrieval part; the method is Generalized Proximal
Smoothing (GPS: Pham, Yin, Rana, Osher, Miao, Opt. Express 2019).

Every algorithm has the signature ``name(magnitudes, support, max_iter, *, x0=None,
rng=None, tol=0.0, callback=None, **params)`` and returns a :class:`pdeopt.Result`
whose ``x`` is the estimate projected onto the object constraints and
``history["r_factor"]`` its R-factor per iteration; it converges (``status=0``)
when that R-factor is ≤ ``tol``. Fourier arrays use NumPy's FFT layout (zero frequency at
index (0, 0)) and the unitary DFT.

Every algorithm takes ``fft="auto" | "scipy" | "pyfftw" | "numpy" | "cupy"``, the FFT backend
(:mod:`pdeopt.phase.fft_backends`; ``"auto"``: planned FFTW transforms when pyFFTW is
installed, else ``scipy.fft``), and keeps the precision of its input: float32 magnitudes
give float32/complex64 iterates, kernels and FFTs; anything else runs in float64.

On the GPU (issue 22): CuPy magnitudes, or ``backend="cuda"``, run the same iterations on
the device (cuFFT, numba.cuda sweeps; the data moved there once per call) and return ``x``
as the kind of array given; :func:`reconstruct_many` with them iterates all its runs as one
stack, one batched FFT per step.
"""
from .batch import reconstruct_many
from .fft_backends import load_fft_wisdom, save_fft_wisdom
from .forward import central_speckle, oversampling_ratio, simulate
from .metrics import align, fourier_ring_correlation, frc_resolution, r_factor, real_space_error
from .primal_dual import gamma_schedule, pdhg, smoothing_filters
from .phantoms import Phantom, nanorice, vesicle
from .projections import error_reduction, hio, oss, oss_widths

__all__ = [
    "simulate", "central_speckle", "oversampling_ratio",
    "Phantom", "vesicle", "nanorice",
    "error_reduction", "hio", "oss", "oss_widths", "pdhg", "gamma_schedule",
    "smoothing_filters", "reconstruct_many", "save_fft_wisdom", "load_fft_wisdom",
    "r_factor", "align", "real_space_error", "fourier_ring_correlation", "frc_resolution",
]
