"""Invariances of phase retrieval: the trivial ambiguities of Fourier magnitudes."""
from __future__ import annotations

import numpy as np

from .._checks import as_rng
from ._report import checked, fail_if

__all__ = ["assert_phase_invariances", "trivial_ambiguities"]


def _image(x):
    arr = np.asarray(x)
    if arr.dtype == object or not np.issubdtype(arr.dtype, np.number):
        raise TypeError(f"x must be a numeric 2-D image, got dtype {arr.dtype}")
    if arr.ndim != 2 or min(arr.shape) < 2:
        raise ValueError(f"x must be a 2-D image of at least 2 x 2, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError("x contains NaN or inf values")
    return arr


def trivial_ambiguities(x, rng=0):
    """x under a global phase, a cyclic translation and the conjugate inversion.

    Returns a dict ``name -> transformed x``; all have the Fourier magnitudes of x. For
    a real x the global phase is the sign −1, which keeps it real.
    """
    x = _image(x)
    gen = as_rng(rng)
    phase = -1.0 if not np.iscomplexobj(x) else np.exp(1j * gen.uniform(0.3, 2 * np.pi - 0.3))
    shift = tuple(int(s) for s in gen.integers(1, np.maximum(np.array(x.shape) - 1, 2)))
    # x̄(−n) on the periodic grid: index n ↦ −n mod N
    inverted = np.conj(np.roll(x[::-1, ::-1], 1, axis=(0, 1)))
    return {"global phase": phase * x, f"translation by {shift}": np.roll(x, shift, axis=(0, 1)),
            "conjugate inversion": inverted}


@checked("r_factor", "align")
def assert_phase_invariances(r_factor, x, magnitudes=None, *, align=None, rtol=1e-10,
                             atol=1e-12, rng=0):
    r"""Assert that an R-factor ignores the trivial ambiguities and an alignment undoes them.

    .. math::

        R(e^{i\varphi}x) = R(T_a x) = R(\bar x(-\cdot)) = R(x), \qquad
        R(x) = \frac{\sum_k \big||\mathcal F x|(k) - M(k)\big|}{\sum_k M(k)}

    since the Fourier magnitudes are unchanged by a global phase, a cyclic translation
    and the conjugate inversion (Osher 2018, phase retrieval; Pham et al. 2019). Both
    sides are FFTs of the same numbers, equal to rounding: ``rtol=1e-10``. With
    ``align`` (``align(y, reference)``), each transformed x aligned to x must return x
    within ``1e-8·‖x‖``.

    Parameters
    ----------
    r_factor : callable
        ``r_factor(x, magnitudes)`` returning a float.
    x : array_like, shape (n0, n1)
        An object.
    magnitudes : array_like, optional
        Defaults to |F x| computed with ``numpy.fft.fft2`` (orthonormal scaling), so
        R(x) = 0 there; pass noisy magnitudes to test away from zero.

    Examples
    --------
    >>> import numpy as np
    >>> from pdeopt.phase import r_factor, align
    >>> from pdeopt.testing import assert_phase_invariances
    >>> x = np.zeros((16, 16)); x[4:9, 5:8] = np.arange(15.0).reshape(5, 3)
    >>> noisy = np.abs(np.fft.fft2(x, norm="ortho")) + 0.1
    >>> assert_phase_invariances(r_factor, x, noisy, align=align)
    """
    x = _image(x)
    if magnitudes is None:
        magnitudes = np.abs(np.fft.fft2(x, norm="ortho"))
    base = float(r_factor(x.copy(), magnitudes))
    for name, y in trivial_ambiguities(x, rng).items():
        value = float(r_factor(y, magnitudes))
        fail_if(f"R-factor invariance under {name}", np.array(abs(value - base)),
                atol + rtol * max(abs(base), 1.0), where=f"R(x) = {base:.12g}, R(Tx) = "
                f"{value:.12g}")
        if align is not None:
            back = np.asarray(align(y, x.copy()))
            err = float(np.linalg.norm(back - x))
            fail_if(f"alignment undoes the {name}", np.array(err),
                    1e-8 * float(np.linalg.norm(x)) + atol)
