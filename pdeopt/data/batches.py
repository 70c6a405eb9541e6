"""Deterministic splits and minibatch iterators."""
from __future__ import annotations

import numpy as np

from .._checks import as_rng, check_bool, check_finite, check_integer, check_range

__all__ = ["train_val_split", "minibatches"]


def _as_samples(value, name):
    """An array of samples along axis 0 (numbers or labels), refusing None and strings."""
    if value is None or isinstance(value, (str, bytes)):
        raise TypeError(f"{name} must be an array of samples, got {type(value).__name__}")
    arr = np.asarray(value)
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise TypeError(f"{name} must be a numeric array, got dtype {arr.dtype}")
    if arr.ndim == 0:
        raise ValueError(f"{name} must have a sample axis (at least 1-D), got a scalar")
    if arr.shape[0] == 0:
        raise ValueError(f"{name} must not be empty")
    check_finite(arr, name)
    return arr


def _check_xy(x, y):
    x, y = _as_samples(x, "x"), _as_samples(y, "y")
    if x.shape[0] != y.shape[0]:
        raise ValueError(f"x and y must have the same number of samples, got "
                         f"{x.shape[0]} and {y.shape[0]}")
    return x, y


def train_val_split(x, y, *, val_fraction=None, n_val=None, rng=0, stratify=False):
    """Split ``(x, y)`` into training and validation parts, reproducibly.

    Give either ``val_fraction`` (in (0, 1)) or ``n_val`` (1 ≤ n_val < n). The
    validation indices are a random subset drawn from ``rng`` (a seed or a Generator;
    the default seed 0 gives the same split every time). With ``stratify`` each class
    of ``y`` keeps its share. Returns ``x_train, y_train, x_val, y_val``.

    Examples
    --------
    >>> import numpy as np
    >>> x, y = np.arange(20).reshape(10, 2), np.arange(10) % 2
    >>> x_tr, y_tr, x_va, y_va = train_val_split(x, y, n_val=4, stratify=True)
    >>> x_tr.shape, np.bincount(y_va).tolist()
    ((6, 2), [2, 2])
    """
    x, y = _check_xy(x, y)
    n = x.shape[0]
    stratify = check_bool(stratify, "stratify")
    if (val_fraction is None) == (n_val is None):
        raise ValueError("give exactly one of val_fraction and n_val")
    if val_fraction is not None:
        val_fraction = check_range(val_fraction, "val_fraction", 0, 1, low_open=True,
                                   high_open=True)
        n_val = max(int(round(val_fraction * n)), 1)
    n_val = check_integer(n_val, "n_val", minimum=1)
    if n_val >= n:
        raise ValueError(f"n_val must be < the number of samples {n}, got {n_val}")
    rng = as_rng(rng)
    if stratify:
        if y.ndim != 1:
            raise ValueError(f"y must be 1-D class labels to stratify, got shape {y.shape}")
        val = []
        for c in np.unique(y):
            idx = rng.permutation(np.flatnonzero(y == c))
            val.append(idx[: int(round(len(idx) * n_val / n))])
        val = np.sort(np.concatenate(val))
    else:
        val = np.sort(rng.permutation(n)[:n_val])
    mask = np.zeros(n, bool)
    mask[val] = True
    return x[~mask], y[~mask], x[mask], y[mask]


def minibatches(x, y, batch_size, *, rng=None, shuffle=True, drop_last=False):
    """Yield ``(x_batch, y_batch)`` over one epoch.

    The order is a permutation drawn from ``rng`` (``None``, a seed or a Generator),
    so a seeded run visits the same batches. The last, smaller batch is kept unless
    ``drop_last``. The arguments are checked when the function is called, before the
    first batch is asked for.

    Examples
    --------
    >>> import numpy as np
    >>> x = y = np.arange(7)
    >>> [len(xb) for xb, _ in minibatches(x, y, 3, rng=0)]
    [3, 3, 1]
    >>> sorted(np.concatenate([xb for xb, _ in minibatches(x, y, 3, rng=0)]).tolist())
    [0, 1, 2, 3, 4, 5, 6]
    """
    x, y = _check_xy(x, y)
    batch_size = check_integer(batch_size, "batch_size", minimum=1)
    shuffle = check_bool(shuffle, "shuffle")
    drop_last = check_bool(drop_last, "drop_last")
    n = x.shape[0]
    order = as_rng(rng).permutation(n) if shuffle else np.arange(n)
    stop = n - n % batch_size if drop_last else n
    return _batches(x, y, order, batch_size, stop)


def _batches(x, y, order, batch_size, stop):
    for start in range(0, stop, batch_size):
        idx = order[start:start + batch_size]
        yield x[idx], y[idx]
