"""Plain MLPs as lists of weight matrices, shared by LPOM and ADMM training.

The lifted methods work in the seed's convention: a layer's activations X^i have
one *column* per sample, and W^i maps X^i to the pre-activation of X^{i+1}. With
``bias=True`` the last column of W^i multiplies a row of ones. Inference is the
plain forward pass X^{i+1} = φ(W^i X^i).
"""
from __future__ import annotations

import numpy as np
from scipy.special import log_softmax, softmax

from .._checks import (as_float_array, as_rng, check_bool, check_choice, check_integer,
                       check_labels, check_positive)
from .._threads import blas_threads_limit
from .activations import get_lifted_activation

__all__ = ["init_weights", "mlp_forward", "mlp_predict", "mlp_error", "check_weights",
           "layer_sizes", "blas_threads_limit", "LOSSES"]

LOSSES = ("squared", "cross_entropy")


def layer_sizes(x_dim: int, hidden, n_classes: int) -> list[int]:
    """``[d_1, ..., d_n]``: input width, hidden widths, number of classes.

    Examples
    --------
    >>> layer_sizes(64, [32, 16], 10)
    [64, 32, 16, 10]
    """
    if isinstance(hidden, (str, bytes)) or hidden is None:
        raise TypeError(f"hidden must be a width or a sequence of widths, got "
                        f"{type(hidden).__name__}")
    hidden = [hidden] if np.ndim(hidden) == 0 else list(np.asarray(hidden, dtype=object).ravel())
    return [check_integer(x_dim, "x_dim", minimum=1),
            *[check_integer(h, "hidden width", minimum=1) for h in hidden],
            check_integer(n_classes, "n_classes", minimum=1)]


def init_weights(sizes, *, bias=True, rng=None, gain=None, activation="relu"):
    """Random weights for the MLP of widths ``sizes`` (He scaling for ReLU-like φ).

    W^i ~ N(0, gain²/d_i) of shape (d_{i+1}, d_i [+1]); biases start at zero.

    Examples
    --------
    >>> [w.shape for w in init_weights([5, 4, 3], rng=0)]
    [(4, 6), (3, 5)]
    """
    rng = as_rng(rng)
    bias = check_bool(bias, "bias")
    if isinstance(sizes, (str, bytes)) or np.ndim(sizes) != 1:
        raise TypeError(f"sizes must be a sequence of layer widths, got {type(sizes).__name__}")
    sizes = [check_integer(s, f"sizes[{i}]", minimum=1) for i, s in enumerate(sizes)]
    if len(sizes) < 2:
        raise ValueError(f"sizes must list at least an input and an output width, got {sizes}")
    relu_like = get_lifted_activation(activation).name in ("relu", "leaky_relu", "elu")
    if gain is None:
        gain = np.sqrt(2.0) if relu_like else 1.0
    gain = check_positive(gain, "gain")
    weights = []
    for d_in, d_out in zip(sizes[:-1], sizes[1:]):
        w = rng.standard_normal((d_out, d_in)) * gain / np.sqrt(d_in)
        if bias:
            w = np.hstack([w, np.zeros((d_out, 1))])
        weights.append(w)
    return weights


def check_weights(weights, *, bias=True, x_dim=None, copy=True) -> list[np.ndarray]:
    """Validate that the weight matrices chain: W^{i+1} takes as many inputs as W^i outputs."""
    if not isinstance(weights, (list, tuple)) or not weights:
        raise TypeError("weights must be a non-empty list of 2-D arrays")
    ws = [as_float_array(w, f"weights[{i}]", ndim=2, dtype=np.float64, copy=copy)
          for i, w in enumerate(weights)]
    extra = 1 if check_bool(bias, "bias") else 0
    if x_dim is not None and ws[0].shape[1] != x_dim + extra:
        raise ValueError(f"weights[0] must have {x_dim + extra} columns for x of "
                         f"width {x_dim}{' plus a bias' if bias else ''}, got {ws[0].shape}")
    for i in range(1, len(ws)):
        if ws[i].shape[1] != ws[i - 1].shape[0] + extra:
            raise ValueError(f"layer sizes do not chain: weights[{i - 1}] has shape "
                             f"{ws[i - 1].shape} (outputs {ws[i - 1].shape[0]}) but "
                             f"weights[{i}] has shape {ws[i].shape}, expected "
                             f"{ws[i - 1].shape[0] + extra} columns")
    return ws


def as_samples(x, name="x"):
    """Samples (m, d) or images (m, h, w) as a float64 matrix with one row per sample."""
    x = as_float_array(x, name, ndim=(2, 3), dtype=np.float64)
    return x.reshape(len(x), -1)


def check_samples(x, y, *, name="x"):
    """Refuse labels/targets ``y`` whose number of samples differs from that of ``x``."""
    if np.ndim(y) >= 1 and len(y) != len(x):
        raise ValueError(f"{name} and y{name[1:]} must have the same number of samples, got "
                         f"{len(x)} and {len(y)}")


def check_validation_set(x_val, y_val, x_dim):
    """``x_val``/``y_val`` given together, with ``x_dim`` features and one label per row."""
    if (x_val is None) != (y_val is None):
        raise ValueError("x_val and y_val must be given together")
    if x_val is None:
        return None, None
    x_val = as_samples(x_val, "x_val")
    check_samples(x_val, y_val, name="x_val")
    if x_val.shape[1] != x_dim:
        raise ValueError(f"x_val must have {x_dim} features per sample (as x), "
                         f"got {x_val.shape[1]}")
    return x_val, check_labels(y_val, "y_val", size=len(x_val))


def augment(x, bias: bool):
    """[X; 1ᵀ] when the layer has a bias (the ones row multiplies W's last column)."""
    return np.vstack([x, np.ones((1, x.shape[1]), x.dtype)]) if bias else x


def mlp_forward(weights, x, *, activation="relu", bias=True, alpha=None, all_layers=False,
                linear_output=False):
    """The forward pass X^{i+1} = φ(W^i X^i) on samples ``x`` of shape (m, d) or (m, h, w).

    Returns the outputs φ(W^{n-1} X^{n-1}) with shape (m, d_n) (W^{n-1}X^{n-1} with
    ``linear_output``, as ADMM training has it), or with ``all_layers`` the list
    [X^1, ..., X^n] in column convention (d_i, m).

    Examples
    --------
    >>> w = [np.array([[1.0, -1.0, 0.0]]), np.array([[2.0, 1.0]])]
    >>> mlp_forward(w, [[3.0, 1.0], [1.0, 3.0]]).tolist()
    [[5.0], [1.0]]
    """
    act = get_lifted_activation(activation, alpha=alpha)
    x = as_samples(x)
    weights = check_weights(weights, bias=bias, x_dim=x.shape[1], copy=False)
    all_layers = check_bool(all_layers, "all_layers")
    linear_output = check_bool(linear_output, "linear_output")
    xs = [x.T]
    for i, w in enumerate(weights):
        z = w @ augment(xs[-1], bias)
        xs.append(z if linear_output and i == len(weights) - 1 else act.phi(z))
    if not np.all(np.isfinite(xs[-1])):
        raise ValueError("the forward pass overflowed (NaN/inf outputs): the weights are "
                         "too large for these inputs")
    return xs if all_layers else xs[-1].T


def mlp_predict(weights, x, **kw):
    """Labels argmax_k φ(W^{n-1} ... )_k by the plain forward pass.

    Examples
    --------
    >>> w = [np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])]
    >>> mlp_predict(w, [[2.0, 1.0], [0.0, 3.0]]).tolist()
    [0, 1]
    """
    return np.argmax(mlp_forward(weights, x, **kw), axis=1)


def mlp_error(weights, x, y, **kw) -> float:
    """Fraction of samples whose predicted label (:func:`mlp_predict`) differs from ``y``.

    Examples
    --------
    >>> w = [np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])]
    >>> mlp_error(w, [[2.0, 1.0], [0.0, 3.0]], [0, 0])
    0.5
    """
    pred = mlp_predict(weights, x, **kw)
    check_samples(pred, y)
    return float(np.mean(pred != check_labels(y, "y", size=len(pred))))


def one_hot(y, n_classes, name="y"):
    """Targets (n_classes, m) from labels in [0, n_classes)."""
    y = check_labels(y, name, n_classes=n_classes)
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
