"""Orders of convergence and gradients."""
from __future__ import annotations

import numpy as np

from .._checks import as_float_array, check_positive
from ._report import checked, fail_if

__all__ = ["observed_order", "assert_order", "assert_gradient"]


def observed_order(errors, hs) -> float:
    """Least-squares slope of log(error) against log(h)."""
    errors = as_float_array(errors, "errors", ndim=1)
    hs = as_float_array(hs, "hs", ndim=1)
    if errors.size != hs.size or errors.size < 2:
        raise ValueError(f"errors and hs must be 1-D of the same length >= 2, got "
                         f"{errors.size} and {hs.size}")
    if np.any(errors <= 0) or np.any(hs <= 0):
        raise ValueError("errors and hs must be > 0 (the order is a slope in log-log)")
    slope, _ = np.polyfit(np.log(hs), np.log(errors), 1)
    return float(slope)


@checked()
def assert_order(errors, hs, order, *, rtol=0.05, atol=0.1, at_least=False):
    r"""Assert that ``errors`` decay like :math:`h^{p}` with p = ``order``.

    The observed order is the least-squares slope of log(error) against log(h):

    .. math::

        \hat p = \arg\min_{p, c} \sum_k \big(\log e_k - c - p \log h_k\big)^2,
        \qquad |\hat p - p| \le \texttt{atol} + \texttt{rtol}\cdot p .

    The default tolerance (0.15 at p = 1, 0.2 at p = 2) admits the pre-asymptotic terms
    of a sweep over a factor ≥ 4 in h, whose relative size O(h) bends the slope by about
    a tenth, and rejects the next integer order. With ``at_least=True`` only
    :math:`\hat p \ge p - \text{tol}` is asserted (for schemes that may superconverge).

    Examples
    --------
    >>> from pdeopt.testing import assert_order
    >>> hs = [0.1, 0.05, 0.025, 0.0125]
    >>> assert_order([3 * h ** 2 + h ** 3 for h in hs], hs, 2)
    """
    p_hat = observed_order(errors, hs)
    order = check_positive(order, "order")
    tol = atol + rtol * order
    gap = order - p_hat if at_least else abs(p_hat - order)
    fail_if(f"order of convergence h^{order:g}", np.array(gap), tol,
            where=f"observed order {p_hat:.3f}",
            detail=f"errors {np.array2string(np.asarray(errors, float), precision=3)}")


@checked("f", "grad", positive=("eps",))
def assert_gradient(f, grad, x, *, eps=1e-6, rtol=1e-6, atol=1e-9):
    r"""Assert that ``grad(x)`` is the gradient of the scalar ``f`` at x.

    Compared entrywise with central differences

    .. math::

        \partial_i f(x) \approx
        \frac{f(x + \varepsilon e_i) - f(x - \varepsilon e_i)}{2\varepsilon},

    computed by the same routine :func:`pdeopt.nn.gradient_check` uses. Their truncation
    error O(ε² f‴) and rounding error O(u|f|/ε) are ~1e-10 relative at ε = 1e-6 in
    float64, so ``rtol=1e-6`` passes every correct gradient and fails a factor or a
    sign error by orders of magnitude.

    Examples
    --------
    >>> import numpy as np
    >>> from pdeopt.testing import assert_gradient
    >>> assert_gradient(lambda v: np.sum(np.sin(v)), np.cos, np.array([0.1, 1.0, -2.0]))
    """
    from ..nn.gradcheck import central_difference

    x = as_float_array(x, "x", copy=True)
    g = np.asarray(grad(x.copy()), dtype=float).reshape(x.shape)
    work = x.copy()
    numeric = central_difference(lambda: float(f(work)), work, eps)
    scale = np.maximum(np.abs(g), np.abs(numeric))
    fail_if("gradient = central differences of f", np.abs(g - numeric), atol + rtol * scale,
            where=lambda k: f"x[{np.unravel_index(k, x.shape)}] = {x.ravel()[k]:.6g}",
            detail=f"grad {g.ravel()[np.argmax(np.abs(g - numeric))]:.8g} vs differences "
                   f"{numeric.ravel()[np.argmax(np.abs(g - numeric))]:.8g}")
