"""Local entropy f_γ = −log(G_γ * e^{−f}) by a log-sum-exp Gaussian convolution."""
from __future__ import annotations

import numpy as np

from .._checks import as_float_array, check_bool, check_positive
from ._grid import as_grid_function

__all__ = ["local_entropy"]

#: Largest temporary (in elements) a log-sum-exp pass builds at once.
_CHUNK_ELEMENTS = 1 << 22


def local_entropy(f, x, gamma, *, grad=False, points=None):
    r"""Local entropy of a grid function: the Gaussian-smoothed (viscous HJ) relaxation of f.

    .. math::

        f_\gamma(x) = -\log\,(G_\gamma * e^{-f})(x), \qquad
        G_\gamma(x) = (2\pi\gamma)^{-n/2} e^{-|x|^2/(2\gamma)},

    which is the Cole–Hopf solution u(x, γ) of u_t + ½|∇u|² = ½Δu, u(·, 0) = f
    (Osher 2018, Deep Relaxation). Its gradient is

    .. math::

        \nabla f_\gamma(x) = \frac{x - \langle y \rangle}{\gamma}, \qquad
        \rho^\infty(y; x) \propto e^{-f(y) - |x - y|^2/(2\gamma)},

    with ⟨y⟩ the mean of ρ^∞(·; x), exactly as Entropy-SGD estimates it by Langevin
    dynamics.

    The integral is the rectangle rule on the grid nodes (e^{−f} = 0 outside the
    grid), which is spectrally accurate when ρ^∞ is resolved (√γ a few grid
    spacings or more) and negligible at the boundary. Every sum is a log-sum-exp
    shifted by its maximum, so nothing overflows or underflows for any finite f
    (tested for f up to 1e4 and γ down to a fraction of the spacing). In 2-D the
    Gaussian is separable and the convolution is done one axis at a time.

    Parameters
    ----------
    f : array_like, shape (N,) or (N0, N1)
        Samples of f on the grid; finite.
    x : array_like, shape (N,), or tuple (x0, x1) of 1-D arrays
        Uniform, strictly increasing grid axes (2-D: ``indexing="ij"``).
    gamma : float
        Scope (time) γ > 0.
    grad : bool, optional
        Also return the gradient ∇f_γ = (x − ⟨y⟩)/γ.
    points : array_like, shape (m,) in 1-D or (m, 2) in 2-D, optional
        Evaluate f_γ (and its gradient) at these points instead of at the grid
        nodes; f's samples remain the quadrature nodes.

    Returns
    -------
    f_gamma : ndarray
        float64, shape ``f.shape`` (or ``(m,)`` with ``points``).
    grad : ndarray
        Only when ``grad=True``, returned as the tuple ``(f_gamma, grad)``.
        1-D: shape ``(N,)`` (or ``(m,)``). 2-D: shape ``(2, N0, N1)``, the
        components along ``x0`` and ``x1`` (or ``(m, 2)`` with ``points``).

    Raises
    ------
    ValueError
        gamma ≤ 0, a non-uniform or non-increasing grid, NaN/inf in f or points,
        mismatched shapes, a result that overflows float64 (extreme f, γ or points).

    References
    ----------
    Osher, "New techniques in optimization and their applications to deep
    learning", 2018 (Deep Relaxation). Chaudhari, Oberman, Osher, Soatto,
    Carlier, "Deep relaxation: partial differential equations for optimizing deep
    neural networks", Res. Math. Sci. 2018.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.linspace(-6, 6, 601)
    >>> fg, g = local_entropy(0.5 * x**2, x, 1.0, grad=True)  # f_γ = x²/(2(1+γ)) + const
    >>> bool(np.allclose(g[200:400], x[200:400] / 2))
    True
    """
    f, axes, spacings = as_grid_function(f, x)
    gamma = check_positive(gamma, "gamma")
    grad = check_bool(grad, "grad")
    dim = len(axes)
    p = None
    if points is not None:
        p = as_float_array(points, "points", ndim=1 if dim == 1 else 2, dtype=np.float64)
        if dim == 2 and p.shape[1] != 2:
            raise ValueError(f"points must have shape (m, 2) for a 2-D grid, got {p.shape}")
        p = p.reshape(-1, dim)
    # extreme f, γ or grid overflow to ±inf here, caught by the check below
    with np.errstate(all="ignore"):
        result = _evaluate(f, axes, spacings, gamma, grad, p)
    if not all(np.all(np.isfinite(r)) for r in (result if grad else (result,))):
        raise ValueError(f"f_γ or its gradient overflows float64 for gamma={gamma:g} on this "
                         "grid: f or |x − y|²/(2γ) is too large (e^(−f − |x − y|²/(2γ)) "
                         "underflows at every node)")
    return result


def _evaluate(f, axes, spacings, gamma, grad, p):
    """f_γ (and its gradient) on the grid, or at the points ``p`` (shape (m, dim))."""
    dim = len(axes)
    # −log of the quadrature weight times the Gaussian's normalisation.
    log_norm = np.log(2 * np.pi * gamma)
    if not np.isfinite(log_norm):       # 2πγ overflows
        log_norm = np.log(2 * np.pi) + np.log(gamma)
    offset = 0.5 * dim * log_norm - float(np.sum(np.log(spacings)))
    if p is not None:
        log_z, mean = _lse_at_points(-f, axes, p, gamma)
        value = offset - log_z
        if not grad:
            return value
        g = (p - mean) / gamma
        return value, (g[:, 0] if dim == 1 else g)
    if dim == 1:
        log_z, mean_y, _ = _lse_axis0(-f, axes[0], axes[0], gamma)
        value = offset - log_z
        return (value, (axes[0] - mean_y) / gamma) if grad else value
    # 2-D: reduce axis 1 (carrying the mean of x1), then axis 0.
    b, mean_x1, _ = _lse_axis0((-f).T, axes[1], axes[1], gamma)       # (N1', N0)
    log_z, mean_x0, (mean_x1,) = _lse_axis0(b.T, axes[0], axes[0], gamma, carry=(mean_x1.T,))
    value = offset - log_z
    if not grad:
        return value
    g = np.stack([(axes[0][:, None] - mean_x0) / gamma, (axes[1][None, :] - mean_x1) / gamma])
    return value, g


def _lse_axis0(a, nodes, targets, gamma, carry=()):
    """log Σ_j exp(a_j − (t_i − y_j)²/(2γ)) along axis 0 of ``a``, for every target t_i.

    Returns the log-sums (shape ``(len(targets),) + a.shape[1:]``), the mean of the
    nodes y_j under those weights, and the weighted means of each ``carry`` array
    (each shaped like ``a``).
    """
    batch = a.shape[1:]
    a2 = a.reshape(a.shape[0], -1)
    carry2 = [c.reshape(a2.shape) for c in carry]
    n, b = a2.shape
    out = np.empty((targets.size, b))
    mean = np.empty((targets.size, b))
    carried = [np.empty((targets.size, b)) for _ in carry]
    step = max(1, _CHUNK_ELEMENTS // max(1, n * b))
    for lo in range(0, targets.size, step):
        hi = min(lo + step, targets.size)
        dist = (targets[lo:hi, None] - nodes[None, :]) ** 2 / (2 * gamma)   # (c, n)
        expo = a2[None, :, :] - dist[:, :, None]                            # (c, n, b)
        top = expo.max(axis=1)
        w = np.exp(expo - top[:, None, :])
        s = w.sum(axis=1)
        out[lo:hi] = top + np.log(s)
        mean[lo:hi] = np.einsum("cnb,n->cb", w, nodes) / s
        for dst, c in zip(carried, carry2):
            dst[lo:hi] = np.einsum("cnb,nb->cb", w, c) / s
    shape = (targets.size,) + batch
    return out.reshape(shape), mean.reshape(shape), tuple(c.reshape(shape) for c in carried)


def _lse_at_points(a, axes, points, gamma):
    """log Σ_nodes exp(a − |p − y|²/(2γ)) and the weighted mean of y, for each point p."""
    nodes = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, len(axes))
    a = a.ravel()
    log_z = np.empty(points.shape[0])
    mean = np.empty(points.shape)
    step = max(1, _CHUNK_ELEMENTS // a.size)
    for lo in range(0, points.shape[0], step):
        p = points[lo:lo + step]
        expo = a[None, :] - ((p[:, None, :] - nodes[None, :, :]) ** 2).sum(-1) / (2 * gamma)
        top = expo.max(axis=1, keepdims=True)
        w = np.exp(expo - top)
        s = w.sum(axis=1)
        log_z[lo:lo + step] = top[:, 0] + np.log(s)
        mean[lo:lo + step] = (w @ nodes) / s[:, None]
    return log_z, mean
