"""Elementwise proximal maps of the ℓ1, ℓ0 and transformed-ℓ1 penalties, and their Moreau envelopes.

Each thresholding function solves, for every entry x of its input,

    prox_{λP}(x) = argmin_u  λ·P(u) + ½(u − x)²,

and returns a new array of x's shape (integer input is promoted to float64,
float32 stays float32), or writes into ``out``: a preallocated C-contiguous array of the
result's shape and dtype, so that a loop reuses one buffer instead of faulting in the pages
of a new output each time (for 10⁷ doubles that is a third of the time). ``out`` may be x
itself (in place: each entry is read before it is written) but no other view overlapping x.
The compiled backend checks x for NaN and inf in the same pass as the map; on such input
the functions raise ``ValueError`` and ``out`` may have been written (x itself, when
``out`` is x, is checked first and left as it was).

With ``backend="cuda"`` (or ``"auto"``, which picks the device for it) x may also be a device
array (a CuPy array, a numba device array: float32 or float64, C-contiguous): it is mapped on
the device, ``out`` (if given) is a device array too, and the result is a device array of x's
kind; only the count of NaN/inf entries comes back to the host. A host x with
``backend="cuda"`` is copied to the device once and the result back once.
"""
from __future__ import annotations

import numpy as np

from pdeopt._checks import (as_float_array, check_finite, check_nonnegative, check_option,
                            check_range)
from pdeopt._xp import (check_device_array, check_device_out, is_cupy_array, is_device_array,
                        namespace)

#: Largest shape parameter ``a`` of transformed ℓ1: the closed-form prox subtracts
#: terms of size a (cancellation error ~ eps·a), so beyond this it is no more accurate
#: than soft thresholding, which it equals within |x|/a.
TL1_MAX_A = 1e8

__all__ = ["soft_threshold", "hard_threshold", "tl1_threshold", "tl1_threshold_value",
           "l1_penalty", "l0_penalty", "tl1_penalty", "threshold", "penalty",
           "penalty_envelope", "PENALTIES"]

#: Names accepted by :func:`threshold`, :func:`penalty` and :func:`penalty_envelope`.
PENALTIES = ("l1", "l0", "tl1")


def _check_out(out, arr):
    """``out`` as a flat view, once it is an array the result can be written into."""
    if not isinstance(out, np.ndarray):
        raise TypeError(f"out must be a numpy.ndarray or None, got {type(out).__name__}")
    if out.dtype != arr.dtype:
        raise TypeError(f"out must have the result's dtype {arr.dtype}, got {out.dtype}")
    if out.shape != arr.shape:
        raise ValueError(f"out must have the result's shape {arr.shape} (x's), "
                         f"got {out.shape}")
    if not out.flags.c_contiguous:
        raise ValueError("out must be C-contiguous")
    if not out.flags.writeable:
        raise ValueError("out must be writeable, got a read-only array")
    if np.may_share_memory(out, arr) and out.ctypes.data != arr.ctypes.data:
        raise ValueError("out overlaps x without being x: pass x itself (in place) or a "
                         "separate array")
    return out.reshape(-1)


def _apply(kernel, x, backend, *args, out=None):
    from pdeopt.kernels import select
    if is_device_array(x) or is_device_array(out):
        # "auto" keeps the CPU for host arrays and maps device arrays where they are
        return _apply_on_device(kernel, x, "cuda" if backend == "auto" else backend, *args,
                                out=out)
    fn = select(kernel, backend)
    # the compiled kernels count NaN/inf while they map: no separate pass over x
    counting = getattr(fn, "counting_nonfinite", None)
    arr = as_float_array(x, "x", ndim=None, finite=counting is None)
    flat = arr.reshape(-1)
    flat_out = None if out is None else _check_out(out, arr)
    if counting is None:
        result = fn(flat, *args, out=flat_out)
    else:
        if flat_out is not None and np.may_share_memory(flat_out, flat):
            check_finite(arr, "x")  # in place: x must not change before it is refused
        result, bad = counting(flat, *args, out=flat_out)
        if bad:
            raise ValueError(f"x contains {bad} NaN or inf value(s)")
    return out if out is not None else result.reshape(arr.shape)


def device_kernels(x) -> str:
    """The kernels' backend for device array ``x``: ``"cuda"`` (numba.cuda), or where
    numba.cuda cannot run (no driver it can use, a broken numba-cuda) ``"numpy"`` for a CuPy
    x: the NumPy twins, which then run in CuPy."""
    from pdeopt.kernels import cuda_available
    return "numpy" if is_cupy_array(x) and not cuda_available()[0] else "cuda"


def _apply_on_device(kernel, x, backend, *args, out=None):
    """``_apply`` for a device array x (CuPy, numba): checked and mapped on the device, the
    result a device array of x's kind (or ``out``). Only the NaN/inf count comes back."""
    from pdeopt.kernels import select
    x = check_device_array(x, "x", backend)
    if out is not None:
        out = check_device_out(out, x)
    flat = x.reshape(x.size)
    flat_out = None if out is None else out.reshape(out.size)
    if device_kernels(x) == "numpy":  # the twin in CuPy; the count is a CuPy reduction
        xp = namespace(x)
        bad = int(flat.size - int(xp.count_nonzero(xp.isfinite(flat))))
        if bad:
            raise ValueError(f"x contains {bad} NaN or inf value(s)")
        result = select(kernel, "numpy")(flat, *args, out=flat_out)
        return out if out is not None else result.reshape(x.shape)
    fn = select(kernel, "cuda")
    if out is x:  # in place: x must not change before it is refused
        from pdeopt.kernels.prox import count_nonfinite_cuda
        bad = count_nonfinite_cuda(flat)
        if bad:
            raise ValueError(f"x contains {bad} NaN or inf value(s)")
    result, bad = fn.counting_nonfinite(flat, *args, out=flat_out)
    if bad:
        raise ValueError(f"x contains {bad} NaN or inf value(s)")
    return out if out is not None else result.reshape(x.shape)


def soft_threshold(x, lam, *, out=None, backend="auto"):
    r"""Soft thresholding, the proximal map of λ|·|.

    .. math:: \operatorname{argmin}_u\ \lambda|u| + \tfrac12 (u-x)^2
              = \operatorname{sign}(x)\max(|x|-\lambda, 0).

    Parameters
    ----------
    x : array_like
        Input, any shape; integers are promoted to float64.
    lam : float
        λ ≥ 0.
    out : numpy.ndarray, optional
        Where to write the result: C-contiguous, the result's shape and dtype (float64, or
        float32 for float32 x); may be x itself. Returned.
    backend : {"auto", "numpy", "numba", "cuda"}

    Returns
    -------
    numpy.ndarray
        A new array of x's shape, or ``out``.

    Raises
    ------
    ValueError
        λ < 0, empty x, NaN or inf in x; ``out`` of another shape, not contiguous,
        read-only, or overlapping x without being x.
    TypeError
        ``out`` not an array, or of another dtype.

    References
    ----------
    .. [1] D. L. Donoho, "De-noising by soft-thresholding", IEEE Trans. Inf. Theory 41 (1995).

    Examples
    --------
    >>> soft_threshold([-3.0, 0.5, 2.0], 1.0)
    array([-2.,  0.,  1.])
    >>> buf = np.empty(3)                      # reused across the iterations of a loop
    >>> soft_threshold([-3.0, 0.5, 2.0], 1.0, out=buf) is buf
    True
    """
    lam = check_nonnegative(lam, "lam")
    return _apply("prox.soft", x, backend, lam, out=out)


def hard_threshold(x, lam, *, out=None, backend="auto"):
    r"""Hard thresholding, the proximal map of λ‖·‖₀.

    .. math:: \operatorname{argmin}_u\ \lambda\,1\{u\neq0\} + \tfrac12 (u-x)^2
              = x\,1\{|x| > \sqrt{2\lambda}\}.

    At |x| = √(2λ) both 0 and x minimise; 0 is returned.

    Parameters
    ----------
    x : array_like
    lam : float
        λ ≥ 0.
    out : numpy.ndarray, optional
        Where to write the result: C-contiguous, the result's shape and dtype (float64, or
        float32 for float32 x); may be x itself. Returned.
    backend : {"auto", "numpy", "numba", "cuda"}

    Returns
    -------
    numpy.ndarray
        A new array of x's shape, or ``out``.

    References
    ----------
    .. [1] T. Blumensath, M. E. Davies, "Iterative thresholding for sparse approximations",
       J. Fourier Anal. Appl. 14 (2008).

    Examples
    --------
    >>> hard_threshold([-3.0, 1.0, 2.0], 1.0)
    array([-3.,  0.,  2.])
    >>> x = np.array([-3.0, 1.0, 2.0])
    >>> _ = hard_threshold(x, 1.0, out=x)      # in place
    >>> x
    array([-3.,  0.,  2.])
    """
    lam = check_nonnegative(lam, "lam")
    return _apply("prox.hard", x, backend, float(np.sqrt(2.0 * lam)), out=out)


def tl1_threshold_value(lam, a):
    r"""The threshold t below which the transformed-ℓ1 proximal map is zero.

    .. math:: t = \lambda\frac{a+1}{a} \text{ if } \lambda \le \frac{a^2}{2(a+1)},
              \qquad t = \sqrt{2\lambda(a+1)} - \frac a2 \text{ otherwise}.

    The first regime is the one where the map is continuous (t is where the
    cubic's root leaves 0); in the second the map jumps at t, where 0 and the
    nonzero root have equal objective.

    Parameters
    ----------
    lam : float
        λ ≥ 0.
    a : float
        The shape parameter, 0 < a ≤ 1e8 (beyond, the closed form of
        :func:`tl1_threshold` loses accuracy: use :func:`soft_threshold`, which it
        then equals within |x|/a).

    Returns
    -------
    float

    Examples
    --------
    >>> tl1_threshold_value(0.2, 1.0), round(tl1_threshold_value(2.0, 1.0), 4)
    (0.4, 2.3284)
    """
    lam = check_nonnegative(lam, "lam")
    a = _shape(a)
    if lam <= a * a / (2.0 * (a + 1.0)):
        return lam * (a + 1.0) / a
    return float(np.sqrt(2.0 * lam * (a + 1.0)) - a / 2.0)


def _shape(a):
    return check_range(a, "a", 0.0, TL1_MAX_A, low_open=True)


def tl1_threshold(x, lam, a, *, out=None, backend="auto"):
    r"""Transformed-ℓ1 thresholding, the proximal map of λρ_a.

    .. math::
        \rho_a(u) = \frac{(a+1)|u|}{a+|u|},\qquad
        \operatorname{argmin}_u\ \lambda\rho_a(u) + \tfrac12(u-x)^2 =
        \begin{cases} g_\lambda(x) & |x| > t\\ 0 & |x|\le t\end{cases}

    with g_λ(x) = sign(x)[(2/3)(a+|x|)cos(φ(x)/3) − 2a/3 + |x|/3],
    φ(x) = arccos(1 − 27λa(a+1)/(2(a+|x|)³)) and the threshold t of
    :func:`tl1_threshold_value`. ρ_a tends to ‖·‖₀ as a → 0 and to |·| as a → ∞,
    and so does the map (to hard and to soft thresholding). The compiled backends
    evaluate cos(φ/3) without trigonometry, by a polynomial in √((1 + cos φ)/2)
    (within 2·10⁻¹⁵ of it; the NumPy backend uses arccos and cos); on the CPU, a shorter
    one where the threshold keeps √((1 + cos φ)/2) of every entry above ¼, ½ or ⅞.

    Parameters
    ----------
    x : array_like
    lam : float
        λ ≥ 0.
    a : float
        The shape parameter, 0 < a ≤ 1e8 (see :func:`tl1_threshold_value`).
    out : numpy.ndarray, optional
        Where to write the result: C-contiguous, the result's shape and dtype (float64, or
        float32 for float32 x); may be x itself. Returned.
    backend : {"auto", "numpy", "numba", "cuda"}

    Returns
    -------
    numpy.ndarray
        A new array of x's shape, or ``out``.

    References
    ----------
    .. [1] S. Zhang, J. Xin, "Minimization of transformed L1 penalty: closed form
       representation and iterative thresholding algorithms", Commun. Math. Sci. 15 (2017).

    Examples
    --------
    >>> tl1_threshold([0.5, 3.0], 1.0, 1.0).round(4)
    array([0.    , 2.8662])
    """
    t = tl1_threshold_value(lam, a)
    return _apply("prox.tl1", x, backend, float(lam), float(a), t, out=out)


def l1_penalty(u):
    """Elementwise |u|.

    Examples
    --------
    >>> l1_penalty([-2.0, 0.0, 3.0])
    array([2., 0., 3.])
    """
    return np.abs(as_float_array(u, "u"))


def l0_penalty(u):
    """Elementwise 1{u ≠ 0} (as floats).

    Examples
    --------
    >>> l0_penalty([-2.0, 0.0, 3.0])
    array([1., 0., 1.])
    """
    return (as_float_array(u, "u") != 0).astype(float)


def tl1_penalty(u, a):
    r"""Elementwise transformed ℓ1, :math:`\rho_a(u) = (a+1)|u|/(a+|u|)`, a > 0.

    Computed as |u|·((a + 1)/(a + |u|)), which does not overflow for large a or u.
    ρ_a tends to 1{u ≠ 0} as a → 0 and to |u| as a → ∞ (Zhang & Xin 2017).

    Examples
    --------
    >>> tl1_penalty([-1.0, 0.0, 3.0], 1.0)
    array([1. , 0. , 1.5])
    """
    a = check_range(a, "a", 0.0, None, low_open=True)
    au = np.abs(as_float_array(u, "u"))
    return au * ((a + 1.0) / (a + au))


def _kind(kind):
    return check_option(kind, "kind", PENALTIES)


def penalty(u, kind, *, a=1.0):
    """Elementwise penalty P(u) of ``kind`` in ``("l1", "l0", "tl1")`` (``a`` for tl1).

    Examples
    --------
    >>> penalty([-1.0, 0.0, 3.0], "l0")
    array([1., 0., 1.])
    """
    _kind(kind)
    a = check_range(a, "a", 0.0, None, low_open=True)  # checked whatever the kind
    if kind == "l1":
        return l1_penalty(u)
    if kind == "l0":
        return l0_penalty(u)
    return tl1_penalty(u, a)


def threshold(x, lam, kind, *, a=1.0, out=None, backend="auto"):
    """The proximal map of λP for the penalty ``kind`` (``"l1"``, ``"l0"`` or ``"tl1"``).

    :func:`soft_threshold`, :func:`hard_threshold` or :func:`tl1_threshold`, with the
    same ``out`` and ``backend``.

    Examples
    --------
    >>> threshold([-3.0, 0.5, 2.0], 1.0, "l1")
    array([-2.,  0.,  1.])
    """
    _kind(kind)
    a = _shape(a)  # checked whatever the kind
    if kind == "l1":
        return soft_threshold(x, lam, out=out, backend=backend)
    if kind == "l0":
        return hard_threshold(x, lam, out=out, backend=backend)
    return tl1_threshold(x, lam, a, out=out, backend=backend)


def penalty_envelope(x, lam, kind="l1", *, a=1.0, backend="auto"):
    r"""Moreau envelope of λP, elementwise: the minimum value of the prox problem.

    (:func:`pdeopt.hj.moreau_envelope` is the envelope of a function sampled on a
    grid; this one is the closed form for the penalties of :data:`PENALTIES`.)

    .. math:: e_{\lambda P}(x) = \min_u\ \lambda P(u) + \tfrac12(u-x)^2
              = \lambda P(p) + \tfrac12 (p-x)^2,\quad p = \operatorname{prox}_{\lambda P}(x).

    For ``"l1"`` this is the Huber function (x²/2 for |x| ≤ λ, λ|x| − λ²/2
    otherwise); for ``"l0"`` it is min(x²/2, λ). By the Hopf–Lax formula it is
    u(x, 1) for u_t + ½|u_x|² = 0, u(·, 0) = λP.

    Parameters
    ----------
    x : array_like
    lam : float
        λ ≥ 0.
    kind : {"l1", "l0", "tl1"}
    a : float
        Shape parameter of transformed ℓ1 (0 < a ≤ 1e8).
    backend : {"auto", "numpy", "numba", "cuda"}
        Backend of the thresholding step.

    Returns
    -------
    numpy.ndarray
        Envelope values, x's shape.

    References
    ----------
    .. [1] J.-J. Moreau, "Proximité et dualité dans un espace hilbertien",
       Bull. Soc. Math. France 93 (1965).

    Examples
    --------
    >>> penalty_envelope([0.5, 3.0], 1.0, "l1")  # Huber: x²/2, then |x| − 1/2
    array([0.125, 2.5  ])
    """
    arr = as_float_array(x, "x")
    p = threshold(arr, lam, kind, a=a, backend=backend)
    return lam * penalty(p, kind, a=a) + 0.5 * (p - arr) ** 2
