"""Identities of proximal operators and projections."""
from __future__ import annotations

import numpy as np

from .._checks import as_float_array, as_rng, check_positive
from ._report import checked, fail_if, tolerance

__all__ = ["assert_moreau_decomposition", "assert_prox_optimal", "assert_projection"]


def _vector(x, name="x"):
    return as_float_array(x, name, ndim=(1, 2))


@checked("prox_f", "prox_fconj")
def assert_moreau_decomposition(prox_f, prox_fconj, x, *, gamma=1.0, rtol=1e-9, atol=1e-12):
    r"""Assert Moreau's decomposition of a proximal operator and its conjugate's.

    .. math::

        \operatorname{prox}_{\gamma f}(x)
        + \gamma\,\operatorname{prox}_{f^*/\gamma}(x/\gamma) = x,

    with ``prox(v, gamma)`` returning :math:`\operatorname{prox}_{\gamma f}(v)`, so that the
    second term is ``gamma * prox_fconj(x / gamma, 1 / gamma)`` (Moreau 1965; Parikh &
    Boyd, *Proximal Algorithms*, §2.5).

    Parameters
    ----------
    prox_f, prox_fconj : callable
        ``prox(v, gamma)`` for f and for its convex conjugate f*.
    x : array_like
        Points (1-D or 2-D, applied elementwise or row-wise as the operators do).
    gamma : float
        γ > 0.
    rtol, atol : float
        The identity is exact; closed-form proxes meet it to a few ulps of |x|, and
        ``rtol=1e-9`` leaves room for proxes computed by an inner solver to ~1e-10.

    Examples
    --------
    >>> import numpy as np
    >>> from pdeopt.testing import assert_moreau_decomposition
    >>> soft = lambda v, g: np.sign(v) * np.maximum(np.abs(v) - g, 0.0)   # prox of g|.|
    >>> clip = lambda v, g: np.clip(v, -1.0, 1.0)     # prox of the indicator of [-1, 1]
    >>> assert_moreau_decomposition(soft, clip, np.linspace(-3, 3, 13), gamma=0.5)
    """
    x = _vector(x)
    gamma = check_positive(gamma, "gamma")
    p = np.asarray(prox_f(x.copy(), gamma), dtype=float)
    q = gamma * np.asarray(prox_fconj(x.copy() / gamma, 1.0 / gamma), dtype=float)
    fail_if("Moreau decomposition prox_γf(x) + γ prox_(f*/γ)(x/γ) = x",
            np.abs(p + q - x), tolerance(x, rtol, atol) + atol,
            where=lambda k: f"x = {x.ravel()[k]:.6g}")


def _neighbourhood(p, rng, n_directions, radii):
    """Points p + r·d for random unit directions d (and ± coordinate axes) and radii r."""
    dim = p.size
    dirs = rng.normal(size=(n_directions, dim))
    dirs /= np.linalg.norm(dirs, axis=1, keepdims=True)
    axes = np.vstack([np.eye(dim), -np.eye(dim)]) if dim <= 64 else np.empty((0, dim))
    dirs = np.vstack([dirs, axes])
    near = (p.ravel()[None, None, :] + radii[:, None, None] * dirs[None]).reshape(-1, dim)
    if dim > 4:
        return near
    # few coordinates: also a uniform line search along each axis over ± the largest radius,
    # so a misplaced threshold of a 1-D prox cannot hide between the geometric radii
    steps = np.linspace(-radii.max(), radii.max(), 401)
    lines = p.ravel()[None, None, :] + steps[:, None, None] * np.eye(dim)[None]
    return np.vstack([near, lines.reshape(-1, dim)])


@checked("prox", "f", counts=("n_directions",), positive_lists=("radii",))
def assert_prox_optimal(prox, f, x, *, gamma=1.0, convex=True, n_directions=64, radii=None,
                        rtol=1e-10, atol=1e-12, rng=0):
    r"""Assert that ``prox`` minimises :math:`f(y) + |x - y|^2/(2\gamma)` and, for a convex f,
    is firmly nonexpansive.

    .. math::

        p = \operatorname{prox}_{\gamma f}(x) = \arg\min_y\; f(y) + \tfrac{1}{2\gamma}|x-y|^2,
        \qquad
        |p - p'|^2 \le \langle p - p',\, x - x' \rangle .

    Optimality is tested on a dense neighbourhood of p: random unit directions and the
    ± coordinate axes at radii from the scale of x down to 1e-6 of it, and p with one
    coordinate moved to 0 or to x's (where ℓ1 and ℓ0 jump); no point may do
    better than p by more than ``atol + rtol·|objective(p)|`` (rounding of the objective).
    Firm nonexpansiveness (Bauschke & Combettes, Prop. 12.28) is tested on pairs of
    perturbed points; set ``convex=False`` for nonconvex f (hard thresholding, ℓ0), whose
    prox is a global minimiser but not firmly nonexpansive.

    Parameters
    ----------
    prox : callable
        ``prox(v, gamma)`` returning prox_{γf}(v) for a vector v.
    f : callable
        ``f(y)``: the scalar value of f at a vector y.
    x : array_like, shape (n,)
        The point.
    gamma : float
        γ > 0.
    rng : int or numpy.random.Generator
        Seed of the random directions and pairs.

    Examples
    --------
    >>> import numpy as np
    >>> from pdeopt.testing import assert_prox_optimal
    >>> soft = lambda v, g: np.sign(v) * np.maximum(np.abs(v) - g, 0.0)
    >>> assert_prox_optimal(soft, lambda y: np.abs(y).sum(), np.array([2.0, -0.3, 0.7]))
    """
    x = as_float_array(x, "x", ndim=1)
    gamma = check_positive(gamma, "gamma")
    gen = as_rng(rng)
    scale = 1.0 + float(np.max(np.abs(x)))
    if radii is None:
        radii = scale * np.logspace(0, -6, 13)
    radii = np.asarray(radii, dtype=float)

    def objective(y):
        return float(f(y)) + float(np.sum((x - y) ** 2)) / (2 * gamma)

    p = np.asarray(prox(x.copy(), gamma), dtype=float).reshape(x.shape)
    best = objective(p)
    trial = _neighbourhood(p, gen, n_directions, radii)
    # nonsmooth and nonconvex penalties (ℓ1, ℓ0) jump at 0 and at x: also try moving each
    # coordinate of p exactly there, which a random neighbourhood would never hit
    if x.size <= 256:
        for target in (np.zeros_like(x), x):
            moved = np.repeat(p[None, :], x.size, axis=0)
            moved[np.arange(x.size), np.arange(x.size)] = target
            trial = np.vstack([trial, moved])
    values = np.array([objective(y) for y in trial])
    k = int(np.argmin(values))
    fail_if(f"prox optimality: objective(prox) ≤ objective(y) near prox (γ = {gamma:g})",
            np.array(best - values[k]), atol + rtol * abs(best),
            where=f"y = prox + {np.array2string(trial[k] - p, precision=3)}",
            detail=f"objective(prox) = {best:.10g}, objective(y) = {values[k]:.10g}")
    if not convex:
        return
    offsets = gen.normal(size=(n_directions, x.size)) * scale * np.logspace(0, -3, n_directions)[:,
                                                                                          None]
    gaps = []
    for d in offsets:
        q = np.asarray(prox(x + d, gamma), dtype=float).reshape(x.shape)
        gaps.append(np.sum((p - q) ** 2) - np.dot(p - q, -d))
    gaps = np.array(gaps)
    fail_if("firm nonexpansiveness |p − p'|² ≤ ⟨p − p', x − x'⟩", gaps,
            atol + rtol * scale ** 2 + 1e-12 * np.sum(offsets ** 2, axis=1),
            where=lambda j: f"x' = x + {np.array2string(offsets[j], precision=3)}")


@checked("project", "member", counts=("n_candidates",))
def assert_projection(project, x, member, *, candidates=None, cone=False, n_candidates=32,
                      rtol=1e-10, atol=1e-12, rng=0):
    r"""Assert that ``project`` is the Euclidean projection onto the set ``member`` tests.

    .. math::

        P(x) \in Q, \qquad P(P(x)) = P(x), \qquad
        |x - P(x)| \le |x - c| \quad \forall c \in Q .

    Nearest is tested against ``candidates`` (rows, points of the set), and against
    projections of perturbations of x, which lie in the set; with ``cone=True`` (Q closed
    under positive scaling, as the scaled binary and ternary sets are) their rescalings
    too. A wrong scale or a wrong threshold then shows up as a candidate nearer than P(x).

    Parameters
    ----------
    project : callable
        ``project(v)`` returning the projection of v.
    x : array_like, shape (n,)
        The point.
    member : callable
        ``member(v)`` returning True when v is in the set (to its own tolerance).
    candidates : array_like, shape (m, n), optional
        Points of the set to compare with.

    Examples
    --------
    >>> import numpy as np
    >>> from pdeopt.testing import assert_projection
    >>> box = lambda v: np.clip(v, -1, 1)
    >>> inside = lambda v: bool(np.all(np.abs(v) <= 1))
    >>> assert_projection(box, np.array([2.0, 0.5, -3.0]), inside)
    """
    x = as_float_array(x, "x", ndim=1)
    gen = as_rng(rng)
    p = np.asarray(project(x.copy()), dtype=float).reshape(x.shape)
    if not member(p):
        raise AssertionError(f"projection lands outside the set: member(P(x)) is False "
                             f"for P(x) = {np.array2string(p, precision=4)}")
    pp = np.asarray(project(p.copy()), dtype=float).reshape(x.shape)
    fail_if("idempotence P(P(x)) = P(x)", np.abs(pp - p), tolerance(p, rtol, atol) + atol)
    scale = 1.0 + float(np.max(np.abs(x)))
    cands = [np.asarray(project(x + scale * s * gen.normal(size=x.size)), float)
             for s in np.logspace(0, -4, n_candidates)]
    if candidates is not None:
        extra = as_float_array(candidates, "candidates", ndim=(1, 2))
        extra = np.atleast_2d(extra)
        if extra.shape[1] != x.size:
            raise ValueError(f"candidates must be points of x's length {x.size} (rows), got "
                             f"shape {extra.shape}")
        cands += list(extra)
    cands = np.array([c for c in cands if member(c)])
    if cone and cands.size:
        cands = (cands[:, None, :] * np.linspace(0.5, 1.5, 21)[None, :, None]).reshape(
            -1, x.size)
        cands = np.array([c for c in cands if member(c)])
    if cands.size == 0:
        return
    d_p = np.linalg.norm(x - p)
    d_c = np.linalg.norm(x - cands, axis=1)
    fail_if("nearest point |x − P(x)| ≤ |x − c| for c in the set", d_p - d_c,
            atol + rtol * scale,
            where=lambda j: f"candidate c = {np.array2string(cands[j], precision=4)}",
            detail=f"|x − P(x)| = {d_p:.10g}")
