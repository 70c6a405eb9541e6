"""ADMM training of an MLP without gradients (Taylor et al. 2016), the baseline of LPOM.

The network is split at every layer into weights W_l, pre-activations z_l and
activations a_l, with a Lagrange multiplier λ on the output layer only:

    min ℓ(z_L, y) + ⟨z_L, λ⟩ + β‖z_L − W_L a_{L−1}‖²
        + Σ_{l<L} γ‖a_l − h(z_l)‖² + β‖z_l − W_l a_{l−1}‖²,

and every block has a closed-form (or elementwise) minimiser:
W_l ← z_l a_{l−1}^† (least squares); a_l ← (βW_{l+1}ᵀW_{l+1} + γI)⁻¹(βW_{l+1}ᵀz_{l+1} + γh(z_l));
z_l ← argmin_z γ(a_l − h(z))² + β(z − W_l a_{l−1})² elementwise (two convex pieces
for the (leaky) ReLU); z_L ← the output's proximal step; λ ← λ + β(z_L − W_L a_{L−1}).
The output layer is linear; prediction is the plain forward pass. Full batch.

References
----------
G. Taylor, R. Burmeister, Z. Xu, B. Singh, A. Patel, T. Goldstein, "Training neural
networks without gradients: a scalable ADMM approach", ICML 2016.
"""
from __future__ import annotations

import time

import numpy as np
from scipy.special import softmax

from .._checks import (as_rng, check_bool, check_budget, check_callable, check_integer,
                       check_labels, check_nonnegative, check_positive)
from .._result import Recorder
from .activations import get_lifted_activation
from .mlp import (as_samples, augment, blas_threads_limit, check_loss, check_samples,
                  check_validation_set, check_weights, init_weights, layer_sizes, mlp_error,
                  one_hot)

__all__ = ["admm_train"]


def _lstsq_right(z, a, ridge):
    """argmin_W ‖z − W a‖² + ridge‖W‖²: W = z aᵀ (a aᵀ + ridge I)⁻¹."""
    gram = a @ a.T
    gram[np.diag_indices_from(gram)] += ridge * np.trace(gram) / gram.shape[0] + 1e-12
    return np.linalg.solve(gram, a @ z.T).T


def _z_hidden(a, m, gamma, beta, slope):
    """Elementwise argmin_z γ(a − h(z))² + β(z − m)², h(z) = max(z, slope·z), 0 ≤ slope < 1."""
    zp = np.maximum((gamma * a + beta * m) / (gamma + beta), 0.0)       # piece z ≥ 0
    zn = np.minimum((gamma * slope * a + beta * m) / (gamma * slope ** 2 + beta), 0.0)  # z ≤ 0
    def cost(z):
        return gamma * (a - np.where(z >= 0, z, slope * z)) ** 2 + beta * (z - m) ** 2
    return np.where(cost(zp) <= cost(zn), zp, zn)


def _z_output(loss, targets, lam, m, beta, iters=30):
    """argmin_z ℓ(z) + ⟨z, λ⟩ + β‖z − m‖²."""
    if loss == "squared":       # ½‖z − Y‖²: closed form
        return (targets - lam + 2 * beta * m) / (1 + 2 * beta)
    z = m.copy()                # cross-entropy: gradient descent on a (2β)-strongly convex,
    step = 1.0 / (0.5 + 2 * beta)   # (½ + 2β)-smooth function: contraction (1 − 2β·step)
    for _ in range(iters):
        z -= step * (softmax(z, axis=0) - targets + lam + 2 * beta * (z - m))
    return z


def admm_train(x, y, hidden, *, activation="relu", alpha=None, beta=1.0, gamma=100.0,
               loss="squared", max_iter=30, tol=0.0, warm_start=5, ridge=1e-6, bias=True,
               weights=None, n_classes=None, x_val=None, y_val=None, rng=None, progress=None,
               callback=None, blas_threads=1):
    """Train an MLP by ADMM with closed-form block updates (Taylor et al. 2016).

    Parameters
    ----------
    x, y : arrays (m, d) or (m, h, w), and (m,) integer labels
    hidden : int or sequence of int
    activation : {"relu", "leaky_relu"}
        The z-update is solved exactly for these piecewise-linear activations.
    beta, gamma : float > 0
        Penalties on z_l = W_l a_{l−1} and on a_l = h(z_l).
    max_iter : int
        The most ADMM iterations over the full batch (one "epoch" each).
    tol : float ≥ 0
        Stop when the relative constraint violation ‖z_L − W_L a_{L−1}‖/‖z_L‖ is at
        most ``tol``; 0 runs the whole budget.
    warm_start : int
        Initial iterations without the multiplier update, as in the paper.
    ridge : float ≥ 0
        Relative ridge in the least-squares weight update.
    bias : bool
        Whether every layer has a bias (the last column of its weights).
    weights : list of arrays, optional
        Starting weights (copied); default :func:`init_weights` drawn from ``rng``.
    n_classes : int, optional
        Output width; default the largest label + 1 (or the width of ``weights``).
    x_val, y_val : arrays, optional
        A validation set (given together), evaluated after each iteration.
    rng : None, int or numpy.random.Generator
        Draws the initial weights.
    progress : callable, optional
        Receives one line of text per iteration.
    callback : callable, optional
        ``callback(it)`` after each iteration, ``it`` a :class:`pdeopt.Iterate`
        (``it.x`` the weights); returning True stops the run.
    blas_threads : int or None
        BLAS threads while training (default 1; ``None`` leaves BLAS as it is).

    Returns
    -------
    Result
        ``x`` = weights (the output layer linear); history per iteration:
        ``train_error``, ``val_error``, ``constraint`` (‖z_L − W_L a_{L−1}‖/‖z_L‖),
        ``iteration_time``.

    Raises
    ------
    pdeopt.DivergenceError
        When the weights become NaN or inf; names the iteration, β and γ, and keeps
        the history in ``error.result``.

    Examples
    --------
    >>> from pdeopt.data import load_digits
    >>> d = load_digits()
    >>> res = admm_train(d.x_train, d.y_train, [32], max_iter=4, rng=0)
    >>> res.nit, mlp_error(res.x, d.x_test, d.y_test, linear_output=True) < 0.5
    (4, True)
    """
    act = get_lifted_activation(activation, alpha=alpha)
    if act.name not in ("relu", "leaky_relu"):
        raise ValueError(f"ADMM training solves the z-update in closed form for relu and "
                         f"leaky_relu only, got {act.name!r}")
    slope = act.params.get("alpha", 0.0)
    beta, gamma = check_positive(beta, "beta"), check_positive(gamma, "gamma")
    ridge = check_nonnegative(ridge, "ridge")
    max_iter, tol = check_budget(max_iter, tol)
    warm_start = check_integer(warm_start, "warm_start", minimum=0)
    loss = check_loss(loss)
    bias = check_bool(bias, "bias")
    rng = as_rng(rng)
    x = as_samples(x)
    check_samples(x, y)
    y = check_labels(y, "y", size=x.shape[0])
    x_val, y_val = check_validation_set(x_val, y_val, x.shape[1])
    if progress is not None:
        check_callable(progress, "progress")
    if weights is not None:
        ws = check_weights(weights, bias=bias, x_dim=x.shape[1])
        n_out = ws[-1].shape[0]
        if n_classes is not None and check_integer(n_classes, "n_classes") != n_out:
            raise ValueError(f"n_classes={n_classes} differs from the output width of the "
                             f"weights, {n_out}")
        n_classes = n_out
    elif n_classes is None:
        n_classes = int(y.max()) + 1
    sizes = layer_sizes(x.shape[1], hidden, n_classes)
    if weights is None:
        ws = init_weights(sizes, bias=bias, rng=rng, activation=act)
    targets = one_hot(y, n_classes)
    n_w = len(ws)
    # initial state: the forward pass
    a = [x.T]
    z = []
    for k, w in enumerate(ws):
        z.append(w @ augment(a[-1], bias))
        if k < n_w - 1:
            a.append(act.phi(z[-1]))
    lam = np.zeros_like(z[-1])
    kw = dict(activation=act, bias=bias, linear_output=True)
    rec = Recorder("admm_train", max_iter=max_iter, tol=tol, callback=callback, beta=beta,
                   gamma=gamma, activation=act.name, loss=loss)
    finished = list(ws)
    with rec.running(), blas_threads_limit(blas_threads):
        for it in range(max_iter):
            t0 = time.perf_counter()
            for k in range(n_w - 1):
                ws[k] = _lstsq_right(z[k], augment(a[k], bias), ridge)
                nxt = ws[k + 1]
                lin = nxt[:, :-1] if bias else nxt
                rhs = beta * lin.T @ (z[k + 1] - (nxt[:, -1:] if bias else 0.0)) \
                    + gamma * act.phi(z[k])
                a[k + 1] = np.linalg.solve(beta * lin.T @ lin + gamma * np.eye(lin.shape[1]), rhs)
                z[k] = _z_hidden(a[k + 1], ws[k] @ augment(a[k], bias), gamma, beta, slope)
            ws[-1] = _lstsq_right(z[-1], augment(a[-1], bias), ridge)
            m_out = ws[-1] @ augment(a[-1], bias)
            z[-1] = _z_output(loss, targets, lam, m_out, beta)
            if it >= warm_start:
                lam += beta * (z[-1] - m_out)
            for w in ws:
                rec.require_finite(w, it + 1, "the weights")
            row = dict(iteration_time=time.perf_counter() - t0,
                       constraint=float(np.linalg.norm(z[-1] - m_out) /
                                        max(np.linalg.norm(z[-1]), 1e-300)),
                       train_error=mlp_error(ws, x, y, **kw))
            if x_val is not None:
                row["val_error"] = mlp_error(ws, x_val, y_val, **kw)
            rec.log(**row)
            if progress is not None:
                progress(f"ADMM iteration {it + 1}/{max_iter}: train error "
                         f"{row['train_error']:.4f}")
            finished = list(ws)
            if rec.end_iteration(finished, residual=row["constraint"]):
                break
    # an interrupt inside an iteration leaves ws half updated: return the last finished
    return rec.result(finished, backend="numpy", activation=act.name, bias=bias, linear_output=True)
