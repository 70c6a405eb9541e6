"""Plain MLPs as lists of weight matrices, shared by LPOM and ADMM training.

The lifted methods work in the seed's convention: a layer's activations X^i have
one *column* per sample, and W^i maps X^i to the pre-activation of X^{i+1}. With
``bias=True`` the last column of W^i multiplies a row of ones. Inference is the
plain forward pass X^{i+1} = φ(W^i X^i).
"""
from __future__ import annotations

import numpy as np
from scipy.special import log_softmax, softmax

from .._checks import as_float_array, as_rng, check_choice, check_integer
from .activations import get_activation

from .._threads import blas_threads_limit

__all__ = ["init_weights", "mlp_forward", "mlp_predict", "mlp_error", "check_weights",
           "layer_sizes", "blas_threads_limit", "LOSSES"]

LOSSES = ("squared", "cross_entropy")


def layer_sizes(x_dim: int, hidden, n_classes: int) -> list[int]:
    """``[d_1, ..., d_n]``: input width, hidden widths, number of classes."""
    hidden = [hidden] if np.isscalar(hidden) else list(hidden)
    sizes = [x_dim] + [check_integer(h, "hidden width", minimum=1) for h in hidden] + [n_classes]
    return [int(s) for s in sizes]


def init_weights(sizes, *, bias=True, rng=None, seed=None, gain=None, activation="relu"):
    """Random weights for the MLP of widths ``sizes`` (He scaling for ReLU-like φ).

    W^i ~ N(0, gain²/d_i) of shape (d_{i+1}, d_i [+1]); biases start at zero.
    """
    rng = as_rng(rng, seed)
    sizes = [check_integer(s, "layer size", minimum=1) for s in sizes]
    if len(sizes) < 2:
        raise ValueError(f"sizes must list at least an input and an output width, got {sizes}")
    if gain is None:
        gain = np.sqrt(2.0) if get_activation(activation).name in ("relu", "leaky_relu", "elu") else 1.0
    weights = []
    for d_in, d_out in zip(sizes[:-1], sizes[1:]):
        w = rng.standard_normal((d_out, d_in)) * gain / np.sqrt(d_in)
        if bias:
            w = np.hstack([w, np.zeros((d_out, 1))])
        weights.append(w)
    return weights


def check_weights(weights, *, bias=True, x_dim=None) -> list[np.ndarray]:
    """Validate that the weight matrices chain: W^{i+1} takes as many inputs as W^i outputs."""
    if not isinstance(weights, (list, tuple)) or not weights:
        raise TypeError("weights must be a non-empty list of 2-D arrays")
    ws = [as_float_array(w, f"weights[{i}]", ndim=2, dtype=np.float64, copy=True)
          for i, w in enumerate(weights)]
    extra = 1 if bias else 0
    if x_dim is not None and ws[0].shape[1] != x_dim + extra:
        raise ValueError(f"weights[0] must have {x_dim + extra} columns for inputs of "
                         f"width {x_dim}{' plus a bias' if bias else ''}, got {ws[0].shape}")
    for i in range(1, len(ws)):
        if ws[i].shape[1] != ws[i - 1].shape[0] + extra:
            raise ValueError(f"layer sizes do not chain: weights[{i - 1}] has shape "
                             f"{ws[i - 1].shape} (outputs {ws[i - 1].shape[0]}) but "
                             f"weights[{i}] has shape {ws[i].shape}, expected "
                             f"{ws[i - 1].shape[0] + extra} columns")
    return ws


def augment(x, bias: bool):
    """[X; 1ᵀ] when the layer has a bias (the ones row multiplies W's last column)."""
    return np.vstack([x, np.ones((1, x.shape[1]), x.dtype)]) if bias else x


def mlp_forward(weights, x, *, activation="relu", bias=True, alpha=None, all_layers=False,
                linear_output=False):
    """The forward pass X^{i+1} = φ(W^i X^i) on samples ``x`` of shape (m, d) or (m, h, w).

    Returns the outputs φ(W^{n-1} X^{n-1}) with shape (m, d_n) (W^{n-1}X^{n-1} with
    ``linear_output``, as ADMM training has it), or with ``all_layers`` the list
    [X^1, ..., X^n] in column convention (d_i, m).
    """
    act = get_activation(activation, alpha=alpha)
    x = np.asarray(x, dtype=float).reshape(len(x), -1)
    xs = [x.T]
    for i, w in enumerate(weights):
        z = w @ augment(xs[-1], bias)
        xs.append(z if linear_output and i == len(weights) - 1 else act.phi(z))
    return xs if all_layers else xs[-1].T


def mlp_predict(weights, x, **kw):
    """Labels argmax_k φ(W^{n-1} ... )_k by the plain forward pass."""
    return np.argmax(mlp_forward(weights, x, **kw), axis=1)


def mlp_error(weights, x, y, **kw) -> float:
    """Fraction of misclassified samples."""
    return float(np.mean(mlp_predict(weights, x, **kw) != np.asarray(y)))


def one_hot(y, n_classes):
    y = np.asarray(y)
    if y.ndim != 1 or not np.issubdtype(y.dtype, np.integer):
        raise ValueError(f"y must be a 1-D array of integer labels, got shape {y.shape} "
                         f"and dtype {y.dtype}")
    if y.size and (y.min() < 0 or y.max() >= n_classes):
        raise ValueError(f"labels must lie in [0, {n_classes}), got [{y.min()}, {y.max()}]")
    out = np.zeros((n_classes, y.size))
    out[y, np.arange(y.size)] = 1.0
    return out


def loss_value(loss: str, xn, targets) -> float:
    """ℓ(X^n, L) summed over samples: ½‖X^n − L‖² or Σ_j −log softmax(X^n_j)·L_j."""
    if loss == "squared":
        return 0.5 * float(np.sum((xn - targets) ** 2))
    return -float(np.sum(targets * log_softmax(xn, axis=0)))


def loss_grad(loss: str, xn, targets):
    """∂ℓ/∂X^n; it is 1-Lipschitz for both losses (½ for cross-entropy)."""
    if loss == "squared":
        return xn - targets
    return softmax(xn, axis=0) - targets


def check_loss(loss):
    return check_choice(loss, "loss", LOSSES)
