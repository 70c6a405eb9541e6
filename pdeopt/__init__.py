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
"""
from ._result import Recorder, Result

__version__ = "0.1.0"
__all__ = ["Result", "Recorder", "__version__"]
