"""pdeopt: PDE-based and proximal optimization methods for deep learning.

A NumPy/SciPy reference implementation, with Numba CPU and ``numba.cuda``
kernels (in :mod:`pdeopt.kernels`), of the methods collected in the papers of
Osher (2018), Oberman (2017), Lin (2019) and Dinh & Xin (2020).

Areas (one subpackage each): :mod:`pdeopt.hj` (Hamilton–Jacobi relaxation),
:mod:`pdeopt.sde` and :mod:`pdeopt.optim` (stochastic relaxation),
:mod:`pdeopt.graph` (graph interpolation), :mod:`pdeopt.prox` and
:mod:`pdeopt.quant` (thresholding, quantization), :mod:`pdeopt.phase` (phase
retrieval), :mod:`pdeopt.lifted` (lifted training), :mod:`pdeopt.nn` (small
NumPy networks) and :mod:`pdeopt.data` (built-in data and MNIST).

The conventions every public function follows (argument names, ``Result``, errors)
are written down in ``CONVENTIONS.md``.
"""
from ._errors import (BackendUnavailableError, ConvergenceWarning, DivergenceError,
                      NotFittedError)
from ._result import STATUS, Iterate, Recorder, Result

__version__ = "0.1.0"
__all__ = ["Result", "Recorder", "Iterate", "STATUS", "ConvergenceWarning",
           "DivergenceError", "BackendUnavailableError", "NotFittedError", "__version__"]
