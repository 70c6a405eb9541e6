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

from .._checks import as_float_array, as_rng, check_integer, check_nonnegative, check_positive
from .._result import Recorder
from ..prox import soft_threshold

__all__ = ["sparse_coding_data", "lista_init", "lista_forward", "lista_train"]


def sparse_coding_data(a, n_samples, *, sparsity=0.1, noise=0.0, rng=None, seed=None):
    """Pairs (y, x) with x Bernoulli(sparsity)·N(0, 1) and y = Ax + noise·N(0, 1).

    Returns ``y`` of shape (m, n_samples) and ``x`` of shape (n, n_samples) (columns).
    """
    rng = as_rng(rng, seed)
    a = as_float_array(a, "A", ndim=2)
    n_samples = check_integer(n_samples, "n_samples", minimum=1)
    if not 0 < sparsity <= 1:
        raise ValueError(f"sparsity must be in (0, 1], got {sparsity}")
    x = rng.standard_normal((a.shape[1], n_samples)) * (rng.random((a.shape[1], n_samples))
                                                         < sparsity)
    y = a @ x + check_nonnegative(noise, "noise") * rng.standard_normal((a.shape[0], n_samples))
    return y, x


def lista_init(a, lam, layers):
    """Parameters that make the network exactly ``layers`` ISTA iterations: W_k = A/L, θ_k = λ/L."""
    a = as_float_array(a, "A", ndim=2, dtype=np.float64)
    big_l = float(np.linalg.norm(a, 2) ** 2)
    layers = check_integer(layers, "layers", minimum=1)
    return {"W": np.repeat((a / big_l)[None], layers, axis=0),
            "theta": np.full(layers, check_nonnegative(lam, "lam") / big_l)}


def lista_forward(params, a, y, *, all_layers=False):
    """x_K for right-hand sides ``y`` (m,) or (m, batch); or the list x_0..x_K."""
    x = np.zeros((a.shape[1],) + y.shape[1:])
    xs = [x]
    for w, theta in zip(params["W"], params["theta"]):
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


def lista_train(a, lam, *, layers=16, steps=2000, batch_size=64, lr=1e-3, sparsity=0.1,
                noise=0.0, rng=None, seed=None, progress=None):
    """Train the unrolled ISTA network on synthetic sparse-coding pairs.

    Parameters
    ----------
    a : array (m, n)
        The dictionary (sensing matrix).
    lam : float
        The λ of the ISTA the network starts from (θ_k = λ/L).
    layers : int
        K, the number of unrolled iterations.
    steps, batch_size, lr : int, int, float
        Adam steps on fresh minibatches drawn by :func:`sparse_coding_data`.

    Returns
    -------
    Result
        ``x`` the parameters {"W": (K, m, n), "theta": (K,)}; history ``loss`` per step.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> a = rng.normal(size=(20, 40)) / np.sqrt(20)
    >>> res = lista_train(a, 0.05, layers=4, steps=50, seed=0)
    >>> bool(res.history["loss"][-1] < res.history["loss"][0])
    True
    """
    rng = as_rng(rng, seed)
    params = lista_init(a, lam, layers)
    a = as_float_array(a, "A", ndim=2, dtype=np.float64)
    steps = check_integer(steps, "steps", minimum=1)
    batch_size = check_integer(batch_size, "batch_size", minimum=1)
    lr = check_positive(lr, "lr")
    moments = {k: (np.zeros_like(v), np.zeros_like(v)) for k, v in params.items()}
    b1, b2, eps = 0.9, 0.999, 1e-8
    rec = Recorder(method="lista", lam=lam, layers=layers, lr=lr, batch_size=batch_size)
    with rec.running():
        for t in range(1, steps + 1):
            y, x_true = sparse_coding_data(a, batch_size, sparsity=sparsity, noise=noise, rng=rng)
            loss, grads = _loss_and_grad(params, a, y, x_true)
            if not np.isfinite(loss):
                raise FloatingPointError(f"LISTA training diverged at step {t} (lower lr)")
            for key, g in grads.items():
                m, v = moments[key]
                m *= b1
                m += (1 - b1) * g
                v *= b2
                v += (1 - b2) * g * g
                params[key] -= lr * (m / (1 - b1 ** t)) / (np.sqrt(v / (1 - b2 ** t)) + eps)
            rec.log(loss=loss)
            if progress is not None and t % max(steps // 5, 1) == 0:
                progress(f"LISTA step {t}/{steps}: loss {loss:.4g}")
    return rec.result(params, converged=True, backend="numpy")
