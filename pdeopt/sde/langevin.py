"""Langevin (SGLD) estimator of the local-entropy gradient: the inner loop of Entropy-SGD."""
from __future__ import annotations

import math

import numpy as np

from .._checks import (as_float_array, as_rng, check_callable, check_integer, check_positive,
                       check_range)
from .._result import Recorder
from ._common import require_finite

__all__ = ["local_entropy_gradient", "check_gradient_output"]


def check_gradient_output(g, y, name="grad_f"):
    """Raise ``ValueError`` unless ``grad_f`` returned an array of ``y``'s shape."""
    g = np.asarray(g, dtype=float)
    if g.shape != y.shape:
        raise ValueError(f"{name} must return an array of shape {y.shape} (one gradient per "
                         f"row), got {g.shape}")
    return g


def local_entropy_gradient(grad_f, x, gamma, *, max_iter, step_size, n_chains=64, burn_in=None,
                           alpha=None, temperature=1.0, rng=None, callback=None):
    r"""Estimate ∇f_γ(x) by Langevin dynamics on H(x, y) = f(y) + |x − y|²/(2γ).

    The local entropy f_γ = −log(G_γ * e^{−f}) has the gradient (Lemma 4 of the
    seed)

    .. math::

        \nabla f_\gamma(x) = \frac{x - \langle y \rangle}{\gamma}, \qquad
        \rho^\infty(y; x) \propto \exp\!\big(-f(y) - |x - y|^2/(2\gamma)\big),

    and ⟨y⟩ is estimated by the unadjusted Langevin (SGLD) chain, the inner loop of
    Entropy-SGD,

    .. math::

        y_{\ell+1} = y_\ell - \eta' \big(\nabla f(y_\ell) + (y_\ell - x)/\gamma\big)
                     + \sqrt{2\eta' T}\,\xi_\ell, \qquad y_0 = x,

    whose invariant density is ∝ e^{−H/T} (T = ``temperature``; T = 1 is the local
    entropy itself). ⟨y⟩ is the time average of y after ``burn_in`` steps, or,
    with ``alpha``, the seed's exponential average μ ← (1 − α)μ + α y (μ₀ = x).
    ``n_chains`` independent chains run at once; their spread gives the Monte Carlo
    standard error of the estimate. The bias of the discretization is O(η′).

    Parameters
    ----------
    grad_f : callable
        ``grad_f(y)`` for ``y`` of shape (n_chains, d) returns ∇f row by row.
    x : array_like, shape (d,) or scalar
        Where the gradient is wanted.
    gamma : float
        Scope γ > 0 (the variance of the Gaussian in f_γ).
    max_iter : int
        Langevin steps L ≥ 1 (all are run: a sampler has no stopping test, so a full
        run has status 1, completed, and claims no convergence).
    step_size : float
        η′ > 0.
    n_chains : int
        Independent chains, ≥ 2 (their spread is the standard error).
    burn_in : int, optional
        Steps discarded before the uniform time average (default L // 4, < L).
    alpha : float in (0, 1], optional
        Use the exponential average of Algorithm 1 instead of the uniform one.
    temperature : float
        T > 0.
    rng : None, int or numpy.random.Generator
        The Langevin noise.
    callback : callable, optional
        ``callback(it)`` after each step (a :class:`pdeopt.Iterate`); True stops early
        (the average then uses the steps run).

    Returns
    -------
    Result
        ``x``: the estimate of ∇f_γ(x), shape (d,) (scalar input: shape (1,));
        ``info["standard_error"]`` (per coordinate), ``info["mean_y"]``;
        ``history["spread"]``: the mean over chains of |y − x| per step; ``nit``: the
        steps run.

    Raises
    ------
    ValueError
        γ ≤ 0, max_iter < 1, η′ ≤ 0, T ≤ 0, α outside (0, 1], n_chains < 2, wrong shapes.
    pdeopt.DivergenceError
        The chain diverged (η′ too large); names the step, carries ``.result``.

    References
    ----------
    Oberman, "Deep relaxation: PDEs for optimizing deep neural networks", slides,
    2017 (Lemma 4, Algorithm 1). Chaudhari et al., "Entropy-SGD", ICLR 2017.

    Examples
    --------
    >>> import numpy as np
    >>> res = local_entropy_gradient(lambda y: y, np.array([1.0]), 1.0, max_iter=400,
    ...                              step_size=0.05, n_chains=200, rng=0)
    >>> bool(abs(res.x[0] - 0.5) < 5 * res.info["standard_error"][0] + 0.02)  # f = y²/2
    True
    """
    check_callable(grad_f, "grad_f")
    x = as_float_array(x, "x", ndim=(0, 1)).reshape(-1)
    gamma = check_positive(gamma, "gamma")
    steps = check_integer(max_iter, "max_iter", minimum=1)
    step_size = check_positive(step_size, "step_size")
    temperature = check_positive(temperature, "temperature")
    n_chains = check_integer(n_chains, "n_chains", minimum=2)
    burn_in = steps // 4 if burn_in is None else check_integer(burn_in, "burn_in", minimum=0)
    if burn_in >= steps:
        raise ValueError(f"burn_in must be < max_iter, got burn_in={burn_in}, "
                         f"max_iter={steps}")
    if alpha is not None:
        alpha = check_range(alpha, "alpha", 0.0, 1.0, low_open=True)
    gen = as_rng(rng)
    params = dict(gamma=gamma, step_size=step_size, temperature=temperature, alpha=alpha)
    rec = Recorder("langevin_local_entropy", max_iter=steps, callback=callback,
                   n_chains=n_chains, burn_in=burn_in, **params)
    noise = math.sqrt(2.0 * step_size * temperature)
    y = np.tile(x, (n_chains, 1))
    mean = np.zeros_like(y) if alpha is None else y.copy()
    with rec.running():
        for step in range(steps):
            g = check_gradient_output(grad_f(y), y)
            y = y - step_size * (g + (y - x) / gamma) + noise * gen.standard_normal(y.shape)
            require_finite(y, rec, "langevin_local_entropy", step, "the Langevin chain",
                           **params)
            if alpha is not None:
                mean += alpha * (y - mean)
            elif step >= burn_in:
                mean += y
            rec.log(spread=float(np.mean(np.linalg.norm(y - x, axis=1))))
            if rec.end_iteration(y):
                break
    if rec.nit == 0:  # interrupted or stopped before the first step ended
        raise ValueError("local_entropy_gradient finished no Langevin step: no estimate")
    if alpha is None:  # the uniform average over the steps run after the burn-in
        if rec.nit <= burn_in:
            raise ValueError(f"local_entropy_gradient stopped after {rec.nit} step(s), "
                             f"inside the burn-in ({burn_in}): no average")
        mean /= rec.nit - burn_in
    per_chain = (x - mean) / gamma
    estimate = per_chain.mean(axis=0)
    se = per_chain.std(axis=0, ddof=1) / math.sqrt(n_chains)
    return rec.result(estimate, standard_error=se, mean_y=mean.mean(axis=0))
