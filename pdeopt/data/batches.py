"""Deterministic splits and minibatch iterators."""
from __future__ import annotations

import numpy as np

from .._checks import as_rng, check_integer

__all__ = ["train_val_split", "minibatches"]


def _check_xy(x, y):
    x, y = np.asarray(x), np.asarray(y)
    if x.shape[0] != y.shape[0]:
        raise ValueError(f"x and y must have the same number of samples, got "
                         f"{x.shape[0]} and {y.shape[0]}")
    return x, y


def train_val_split(x, y, *, val_fraction=None, n_val=None, seed=0, stratify=False):
    """Split ``(x, y)`` into training and validation parts, reproducibly.

    Give either ``val_fraction`` (in (0, 1)) or ``n_val``. With ``stratify`` each
    class keeps its share. Returns ``x_train, y_train, x_val, y_val``.
    """
    x, y = _check_xy(x, y)
    n = x.shape[0]
    if (val_fraction is None) == (n_val is None):
        raise ValueError("give exactly one of val_fraction and n_val")
    if val_fraction is not None:
        if not 0 < val_fraction < 1:
            raise ValueError(f"val_fraction must be in (0, 1), got {val_fraction}")
        n_val = int(round(val_fraction * n))
    n_val = check_integer(n_val, "n_val", minimum=1)
    if n_val >= n:
        raise ValueError(f"n_val must be < the number of samples {n}, got {n_val}")
    rng = as_rng(seed=seed)
    if stratify:
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


def minibatches(x, y, batch_size, *, rng=None, seed=None, shuffle=True, drop_last=False):
    """Yield ``(x_batch, y_batch)`` over one epoch.

    The order is a permutation drawn from ``rng`` (a Generator) or ``seed``, so a
    seeded run visits the same batches. The last, smaller batch is kept unless
    ``drop_last``.
    """
    x, y = _check_xy(x, y)
    batch_size = check_integer(batch_size, "batch_size", minimum=1)
    n = x.shape[0]
    order = as_rng(rng, seed).permutation(n) if shuffle else np.arange(n)
    stop = n - n % batch_size if drop_last else n
    for start in range(0, stop, batch_size):
        idx = order[start:start + batch_size]
        yield x[idx], y[idx]
