"""Hopf–Lax formula and Moreau envelope on a grid, exactly, by the lower envelope of parabolas."""
from __future__ import annotations

import numpy as np

from .._checks import check_bool, check_nonnegative, check_option, check_positive
from ..kernels import BACKENDS, select
from ._grid import as_grid_function

__all__ = ["hopf_lax", "moreau_envelope"]


def hopf_lax(f, x, t, *, backend="auto"):
    r"""Exact viscosity solution of u_t + ½|∇u|² = 0 on a grid, and its minimiser.

    .. math::

        u(x, t) = \min_y \; f(y) + \frac{|x - y|^2}{2t}, \qquad
        y(x, t) = \operatorname{argmin}_y (\cdot) = \operatorname{prox}_{tf}(x),

    the Hopf–Lax (Lax–Oleinik) formula: the Moreau envelope of f with parameter t,
    i.e. 1/t times the Moreau envelope of tf as the seed writes it. The minimum is
    over the grid nodes y and evaluated at the grid nodes x, so the result is
    exact for the grid function f (no discretisation in t). It is computed by the
    O(N) lower-envelope-of-parabolas transform (Felzenszwalb–Huttenlocher),
    separably in 2-D (min over y₁, then over y₀); ``backend="numpy"`` is the
    O(N²) brute force, kept as the reference.

    Parameters
    ----------
    f : array_like, shape (N,) or (N0, N1)
        Grid samples of f; finite.
    x : array_like, shape (N,), or tuple (x0, x1)
        Uniform increasing grid axes.
    t : float
        Time t ≥ 0 (t = 0 returns f and the identity map).
    backend : {"auto", "numpy", "numba"}
        ``numba`` (the default through ``auto``) is the O(N) transform,
        ``numpy`` the brute force.

    Returns
    -------
    u : ndarray
        u(·, t), shape ``f.shape``.
    y : ndarray
        The minimisers: shape (N,) in 1-D; (2, N0, N1) in 2-D (both coordinates).

    Raises
    ------
    ValueError
        t < 0, a bad grid, NaN/inf in f, mismatched shapes.

    References
    ----------
    Osher 2018 (Deep Relaxation: Lax–Oleinik formula, proximal method);
    Felzenszwalb & Huttenlocher, Theory of Computing 8 (2012).

    Examples
    --------
    >>> import numpy as np
    >>> x = np.linspace(-3, 3, 601)
    >>> u, y = hopf_lax(np.abs(x), x, 0.5)          # Huber and soft-thresholding
    >>> float(u[600]), float(y[600])
    (2.75, 2.5)
    """
    f, axes, _ = as_grid_function(f, x)
    t = check_nonnegative(t, "t")
    check_option(backend, "backend", BACKENDS)
    if t == 0:
        y = axes[0].copy() if len(axes) == 1 else np.stack(np.meshgrid(*axes, indexing="ij"))
        return f.copy(), y
    envelope = select("hj.lower_envelope", backend)
    if len(axes) == 1:
        u, j = envelope(f[None, :], axes[0], t)
        return u[0], axes[0][j[0]]
    x0, x1 = axes
    u1, j1 = envelope(f, x1, t)                           # min over y1, row by row
    u, j0 = envelope(np.ascontiguousarray(u1.T), x0, t)   # then over y0 (rows = x1 index)
    j0 = j0.T                                             # j0[i0, i1]
    cols = np.broadcast_to(np.arange(x1.size), j0.shape)
    y = np.stack([x0[j0], x1[j1[j0, cols]]])
    return np.ascontiguousarray(u.T), y


def moreau_envelope(f, x, lam, *, return_prox=False, backend="auto"):
    r"""Moreau envelope e_λf(x) = min_y f(y) + |x − y|²/(2λ) of a grid function.

    Equal to the Hopf–Lax solution u(x, λ) (see :func:`hopf_lax`, which does the
    work); with ``return_prox=True`` also returns prox_{λf}(x).

    Parameters
    ----------
    f, x : array_like
        Grid function as in :func:`hopf_lax`.
    lam : float
        λ > 0.
    return_prox : bool
        Also return the proximal points.
    backend : {"auto", "numpy", "numba"}

    Returns
    -------
    envelope : ndarray
        Shape ``f.shape``.
    prox : ndarray
        Only with ``return_prox=True``: shape as ``y`` of :func:`hopf_lax`.

    Raises
    ------
    ValueError
        λ ≤ 0, and what :func:`hopf_lax` refuses.

    References
    ----------
    Moreau, "Proximité et dualité dans un espace hilbertien", 1965; Osher 2018.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.linspace(-3, 3, 601)
    >>> env, prox = moreau_envelope(np.abs(x), x, 1.0, return_prox=True)   # Huber
    >>> float(env[500]), float(prox[500])                                 # at x = 2
    (1.5, 1.0)
    """
    lam = check_positive(lam, "lam")
    return_prox = check_bool(return_prox, "return_prox")
    u, y = hopf_lax(f, x, lam, backend=backend)
    return (u, y) if return_prox else u
