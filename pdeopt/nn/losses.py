"""Losses: each returns the minibatch mean loss and its gradient w.r.t. the network output."""
from __future__ import annotations

import numpy as np

__all__ = ["softmax_cross_entropy", "squared_error", "log_softmax", "LOSSES"]


def log_softmax(logits):
    """log softmax along the last axis, shifted by the row maximum (no overflow)."""
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def softmax_cross_entropy(logits, y):
    """Mean softmax cross-entropy ``L = −(1/n) Σᵢ log softmax(zᵢ)_{yᵢ}`` and ∂L/∂z.

    Parameters
    ----------
    logits : ndarray (n, k)
    y : int ndarray (n,)
        Class labels in ``[0, k)``.

    Returns
    -------
    loss : float
    dlogits : ndarray (n, k)
        ``(softmax(z) − onehot(y))/n``.
    """
    n = logits.shape[0]
    logp = log_softmax(logits)
    rows = np.arange(n)
    loss = -float(logp[rows, y].mean())
    grad = np.exp(logp)
    grad[rows, y] -= 1
    grad /= n
    return loss, grad


def squared_error(outputs, targets):
    """Mean squared error ``L = (1/(2n)) Σᵢ |oᵢ − tᵢ|²`` and ∂L/∂o = (o − t)/n.

    Integer labels (1-D, int dtype) are turned into one-hot targets of width k.
    """
    n = outputs.shape[0]
    targets = np.asarray(targets)
    if np.issubdtype(targets.dtype, np.integer) and targets.ndim == 1 and outputs.shape[1] > 1:
        onehot = np.zeros_like(outputs)
        onehot[np.arange(n), targets] = 1
        targets = onehot
    targets = targets.reshape(outputs.shape).astype(outputs.dtype, copy=False)
    diff = outputs - targets
    return 0.5 * float(np.sum(diff * diff)) / n, diff / n


LOSSES = {"cross_entropy": softmax_cross_entropy, "squared": squared_error}
