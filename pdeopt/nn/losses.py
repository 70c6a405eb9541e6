"""Losses: each returns the minibatch mean loss and its gradient w.r.t. the network output.

The public functions check their arguments; a :class:`~pdeopt.nn.Sequential` calls the
unchecked kernels (``_KERNELS``) on the batches it has already checked.
"""
from __future__ import annotations

import numpy as np

from .._checks import as_float_array, check_labels
from .._xp import namespace

__all__ = ["softmax_cross_entropy", "squared_error", "log_softmax", "LOSSES"]


def _log_softmax(logits):
    xp = namespace(logits)
    shifted = logits - logits.max(axis=-1, keepdims=True)
    e = xp.exp(shifted)
    rows = e.reshape(-1, e.shape[-1])          # a view: e is a fresh contiguous array
    rows[xp.arange(rows.shape[0]), shifted.argmax(axis=-1).reshape(-1)] = 0
    return shifted - xp.log1p(e.sum(axis=-1, keepdims=True))


def log_softmax(logits):
    """log softmax along the last axis: ``z − max z − log1p(Σ_{j ≠ argmax} e^{z_j − max z})``.

    Shifting by the row maximum prevents overflow; ``log1p`` of the sum without the
    maximum's term keeps full relative precision for confident predictions, where
    the loss is tiny (``log(1 + s)`` would round s below ~1e-16 away).

    Examples
    --------
    >>> import numpy as np
    >>> np.exp(log_softmax(np.array([[0.0, np.log(3.0)]]))).round(3)
    array([[0.25, 0.75]])
    >>> float(log_softmax(np.array([1000.0, 0.0]))[1])
    -1000.0
    """
    logits = as_float_array(logits, "logits", ndim=(1, 2))
    return _log_softmax(logits)


def _loss_value(mean):
    """A float on the host; on the device the 0-d array, read back only when wanted."""
    return float(mean) if isinstance(mean, np.generic) else mean


def _cross_entropy(logits, y):
    xp = namespace(logits)
    n = logits.shape[0]
    logp = _log_softmax(logits)
    rows = xp.arange(n)
    loss = _loss_value(-logp[rows, y].mean())
    grad = xp.exp(logp)
    grad[rows, y] -= 1
    grad /= n
    return loss, grad


def softmax_cross_entropy(logits, y):
    """Mean softmax cross-entropy ``L = −(1/n) Σᵢ log softmax(zᵢ)_{yᵢ}`` and ∂L/∂z.

    Parameters
    ----------
    logits : ndarray (n, k)
        Finite network outputs.
    y : int ndarray (n,)
        Class labels in ``[0, k)`` (a label −1 or k is refused, never wrapped).

    Returns
    -------
    loss : float
    dlogits : ndarray (n, k)
        ``(softmax(z) − onehot(y))/n``.

    Examples
    --------
    >>> import numpy as np
    >>> loss, grad = softmax_cross_entropy(np.zeros((2, 4)), np.array([0, 3]))
    >>> round(loss, 6) == round(float(np.log(4)), 6), grad[0].tolist()
    (True, [-0.375, 0.125, 0.125, 0.125])
    """
    logits = as_float_array(logits, "logits", ndim=2)
    y = check_labels(y, "y", n_classes=logits.shape[1])
    if y.size != logits.shape[0]:
        raise ValueError(f"logits and y must have the same number of samples, got "
                         f"{logits.shape[0]} and {y.size}")
    return _cross_entropy(logits, y)


def _squared(outputs, targets):
    xp = namespace(outputs)
    n = outputs.shape[0]
    if np.issubdtype(targets.dtype, np.integer) and targets.ndim == 1 and outputs.shape[1] > 1:
        onehot = xp.zeros_like(outputs)
        onehot[xp.arange(n), targets] = 1
        targets = onehot
    targets = targets.reshape(outputs.shape).astype(outputs.dtype, copy=False)
    diff = outputs - targets
    total = xp.sum(diff * diff)
    return (0.5 * float(total) / n if xp is np else 0.5 * total / n), diff / n


def squared_error(outputs, targets):
    """Mean squared error ``L = (1/(2n)) Σᵢ |oᵢ − tᵢ|²`` and ∂L/∂o = (o − t)/n.

    ``outputs`` is ``(n, k)``; ``targets`` has ``n·k`` entries, or is 1-D integer class
    labels in ``[0, k)`` (k > 1), turned into one-hot targets.

    Examples
    --------
    >>> import numpy as np
    >>> loss, grad = squared_error(np.array([[1.0, 0.0]]), np.array([1]))
    >>> loss, grad.tolist()
    (1.0, [[1.0, -1.0]])
    """
    outputs = as_float_array(outputs, "outputs", ndim=2)
    n, k = outputs.shape
    arr = np.asarray(targets)
    if np.issubdtype(arr.dtype, np.integer) and arr.ndim == 1 and k > 1:
        return _squared(outputs, check_labels(arr, "targets", n_classes=k, size=n))
    arr = as_float_array(targets, "targets")
    if arr.size != n * k or arr.shape[:1] != (n,):
        raise ValueError(f"targets must have shape ({n}, {k}) like outputs, got {arr.shape}")
    return _squared(outputs, arr)


LOSSES = {"cross_entropy": softmax_cross_entropy, "squared": squared_error}
#: the unchecked kernels the models call on batches they have already checked
_KERNELS = {"cross_entropy": _cross_entropy, "squared": _squared}
