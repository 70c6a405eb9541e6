"""Unrolled, learned ISTA (LISTA / ISTA-Net style) for sparse coding.

K iterations of ISTA for min ½‖Ax − y‖² + λ‖x‖₁ are a K-layer network with
soft-thresholding as its activation:

    x_0 = 0,   x_{k+1} = S_{θ_k}(x_k + W_kᵀ(y − Ax_k)),   k = 0..K−1,

with W_k = A/L and θ_k = λ/L giving ISTA exactly (the coupled LISTA-CP form of
Chen et al. 2018). Learning W_k and θ_k by minimising the mean ‖x_K − x_true‖² over
training pairs (y = Ax_true + noise) gives a network that reaches at K layers an
error ISTA and FISTA need many more iterations for. The gradient is backpropagated
by hand through the K layers; the optimiser is Adam.

References
----------
K. Gregor, Y. LeCun, "Learning fast approximations of sparse coding", ICML 2010.
X. Chen, J. Liu, Z. Wang, W. Yin, "Theoretical linear convergence of unfolded ISTA
and its practical weights and thresholds", NeurIPS 2018.
J. Zhang, B. Ghanem, "ISTA-Net", CVPR 2018 (cited in Lin 2019).
"""
from __future__ import annotations

import numpy as np

from .._checks import (as_float_array, as_rng, check_bool, check_budget, check_callable,
                       check_integer, check_nonnegative, check_positive, check_range)
from .._result import Recorder
from ..prox import soft_threshold

__all__ = ["sparse_coding_data", "lista_init", "lista_forward", "lista_train"]


def sparse_coding_data(a, n_samples, *, sparsity=0.1, noise=0.0, rng=None):
    """Pairs (y, x) with x Bernoulli(sparsity)·N(0, 1) and y = Ax + noise·N(0, 1).

    Returns ``y`` of shape (m, n_samples) and ``x`` of shape (n, n_samples) (columns).

    Examples
    --------
    >>> y, x = sparse_coding_data(np.eye(3), 4, sparsity=0.5, rng=0)
    >>> y.shape, x.shape, bool(np.allclose(y, x))
    ((3, 4), (3, 4), True)
    """
    rng = as_rng(rng)
    a = as_float_array(a, "a", ndim=2)
    n_samples = check_integer(n_samples, "n_samples", minimum=1)
    sparsity = check_range(sparsity, "sparsity", 0.0, 1.0, low_open=True)
    noise = check_nonnegative(noise, "noise")
    x = rng.standard_normal((a.shape[1], n_samples)) * (rng.random((a.shape[1], n_samples))
                                                         < sparsity)
    y = a @ x + noise * rng.standard_normal((a.shape[0], n_samples))
    return y, x


def lista_init(a, lam, layers):
    """Parameters that make the network exactly ``layers`` ISTA iterations: W_k = A/L, θ_k = λ/L.

    L = ‖A‖₂², the Lipschitz constant of ∇½‖Ax − y‖² (Gregor & LeCun 2010).

    Examples
    --------
    >>> p = lista_init(2 * np.eye(2), 0.4, 3)
    >>> p["W"].shape, p["theta"].tolist()
    ((3, 2, 2), [0.1, 0.1, 0.1])
    """
    a = as_float_array(a, "a", ndim=2, dtype=np.float64)
    norm = float(np.linalg.norm(a, 2))
    if norm == 0 or norm > 1e150:             # L = ‖a‖₂² must be a positive float
        raise ValueError(f"a must have a spectral norm in (0, 1e150] (L = ‖a‖₂²), got {norm:g}")
    big_l = norm ** 2
    layers = check_integer(layers, "layers", minimum=1)
    return {"W": np.repeat((a / big_l)[None], layers, axis=0),
            "theta": np.full(layers, check_nonnegative(lam, "lam") / big_l)}


def _check_params(params, a):
    """The LISTA parameters {"W": (K, m, n), "theta": (K,)} for the dictionary ``a``."""
    if not isinstance(params, dict) or not {"W", "theta"} <= set(params):
        raise TypeError(f"params must be a dict with 'W' and 'theta' (see lista_init), "
                        f"got {type(params).__name__}")
    w = as_float_array(params["W"], "params['W']", ndim=3, dtype=np.float64)
    theta = as_float_array(params["theta"], "params['theta']", ndim=1, dtype=np.float64)
    if w.shape[1:] != a.shape or theta.shape != w.shape[:1]:
        raise ValueError(f"params must hold W of shape (K, {a.shape[0]}, {a.shape[1]}) (K "
                         f"copies of the shape of a) and theta of shape (K,), got {w.shape} "
                         f"and {theta.shape}")
    return w, theta


def lista_forward(params, a, y, *, all_layers=False):
    """x_K for right-hand sides ``y`` (m,) or (m, batch); or the list x_0..x_K.

    x_{k+1} = S_{θ_k}(x_k + W_kᵀ(y − Ax_k)), x_0 = 0 (negative θ_k act as 0).

    Examples
    --------
    >>> a = np.eye(2)
    >>> lista_forward(lista_init(a, 0.5, 1), a, np.array([2.0, 0.25])).tolist()
    [1.5, 0.0]
    """
    a = as_float_array(a, "a", ndim=2, dtype=np.float64)
    ws, thetas = _check_params(params, a)
    y = as_float_array(y, "y", ndim=(1, 2), dtype=np.float64)
    if np.ndim(y) == 0 or y.shape[0] != a.shape[0]:
        raise ValueError(f"y must have {a.shape[0]} rows (as a), got shape {y.shape}")
    all_layers = check_bool(all_layers, "all_layers")
    x = np.zeros((a.shape[1],) + y.shape[1:])
    xs = [x]
    for w, theta in zip(ws, thetas):
        x = soft_threshold(x + w.T @ (y - a @ x), max(float(theta), 0.0), backend="numpy")
        xs.append(x)
    return xs if all_layers else x


def _loss_and_grad(params, a, y, x_true):
    """Mean over columns of ‖x_K − x_true‖², and its gradient by backpropagation."""
    batch = y.shape[1]
    xs, vs, rs = [np.zeros((a.shape[1], batch))], [], []
    for w, theta in zip(params["W"], params["theta"]):
        r = y - a @ xs[-1]
        v = xs[-1] + w.T @ r
        xs.append(np.sign(v) * np.maximum(np.abs(v) - max(float(theta), 0.0), 0.0))
        vs.append(v)
        rs.append(r)
    diff = xs[-1] - x_true
    loss = float(np.sum(diff * diff)) / batch
    g = 2 * diff / batch
    grad_w = np.empty_like(params["W"])
    grad_theta = np.empty_like(params["theta"])
    for k in range(len(vs) - 1, -1, -1):
        active = np.abs(vs[k]) > params["theta"][k]
        gv = g * active                                   # through S_θ: slope 1 where active
        grad_theta[k] = -np.sum(gv * np.sign(vs[k]))
        grad_w[k] = rs[k] @ gv.T                          # v = x + Wᵀr  ⇒  ∂/∂W = r gvᵀ
        g = gv - a.T @ (params["W"][k] @ gv)              # ∂v/∂x = I − WᵀA
    return loss, {"W": grad_w, "theta": grad_theta}


def lista_train(a, lam, *, layers=16, max_iter=2000, tol=0.0, batch_size=64, lr=1e-3,
                sparsity=0.1, noise=0.0, rng=None, progress=None, callback=None):
    """Train the unrolled ISTA network on synthetic sparse-coding pairs.

    Minimises the mean ‖x_K − x_true‖² over pairs y = Ax_true + noise by Adam, with
    the gradient backpropagated by hand through the K layers (Gregor & LeCun 2010;
    Chen et al. 2018).

    Parameters
    ----------
    a : array (m, n)
        The dictionary (sensing matrix).
    lam : float ≥ 0
        The λ of the ISTA the network starts from (θ_k = λ/L).
    layers : int
        K, the number of unrolled iterations.
    max_iter : int
        Adam steps, each on a fresh minibatch drawn by :func:`sparse_coding_data`.
    tol : float ≥ 0
        Stop when a step's minibatch loss is at most ``tol``; 0 runs the whole budget.
    batch_size, lr : int, float > 0
        Pairs per step and Adam's learning rate.
    sparsity, noise
        As in :func:`sparse_coding_data`.
    rng : None, int or numpy.random.Generator
        Draws the training pairs.
    progress : callable, optional
        Receives a line of text five times during the run.
    callback : callable, optional
        ``callback(it)`` after each step, ``it`` a :class:`pdeopt.Iterate`.

    Returns
    -------
    Result
        ``x`` the parameters {"W": (K, m, n), "theta": (K,)}; history ``loss`` per step.

    Raises
    ------
    pdeopt.DivergenceError
        When the loss becomes NaN or inf (lower ``lr``); the history is kept.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> a = rng.normal(size=(20, 40)) / np.sqrt(20)
    >>> res = lista_train(a, 0.05, layers=4, max_iter=50, rng=0)
    >>> res.nit, bool(res.history["loss"][-1] < res.history["loss"][0])
    (50, True)
    """
    rng = as_rng(rng)
    params = lista_init(a, lam, layers)
    a = as_float_array(a, "a", ndim=2, dtype=np.float64)
    max_iter, tol = check_budget(max_iter, tol)
    batch_size = check_integer(batch_size, "batch_size", minimum=1)
    lr = check_positive(lr, "lr")
    sparsity = check_range(sparsity, "sparsity", 0.0, 1.0, low_open=True)
    noise = check_nonnegative(noise, "noise")
    if progress is not None:
        check_callable(progress, "progress")
    moments = {k: (np.zeros_like(v), np.zeros_like(v)) for k, v in params.items()}
    b1, b2, eps = 0.9, 0.999, 1e-8
    rec = Recorder("lista_train", max_iter=max_iter, tol=tol, callback=callback, lam=lam,
                   layers=layers, lr=lr, batch_size=batch_size)
    finished = {k: v.copy() for k, v in params.items()}
    with rec.running():
        for t in range(1, max_iter + 1):
            y, x_true = sparse_coding_data(a, batch_size, sparsity=sparsity, noise=noise, rng=rng)
            loss, grads = _loss_and_grad(params, a, y, x_true)
            rec.require_finite(loss, t, "the loss", lr=lr)
            for key, g in grads.items():
                m, v = moments[key]
                m *= b1
                m += (1 - b1) * g
                v *= b2
                v += (1 - b2) * g * g
                params[key] -= lr * (m / (1 - b1 ** t)) / (np.sqrt(v / (1 - b2 ** t)) + eps)
            rec.log(loss=loss)
            if progress is not None and t % max(max_iter // 5, 1) == 0:
                progress(f"LISTA step {t}/{max_iter}: loss {loss:.4g}")
            # the update is in place: keep a copy of the parameters of the finished steps
            finished = {k: v.copy() for k, v in params.items()}
            if rec.end_iteration(finished, residual=loss):
                break
    return rec.result(finished, backend="numpy")
