"""The dataset container and scikit-learn's bundled 8×8 digits."""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .._checks import check_range

__all__ = ["Dataset", "load_digits"]


class Dataset(NamedTuple):
    """Images as float32 in [0, 1] with shape ``(n, height, width)``, labels as int64."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray

    @property
    def n_classes(self) -> int:
        return int(max(self.y_train.max(), self.y_test.max())) + 1


def load_digits(*, test_fraction: float = 0.25, rng=0) -> Dataset:
    """scikit-learn's bundled 1797 handwritten digits (8×8), scaled to [0, 1].

    The train/test split is stratified and drawn from ``rng``; the default seed 0
    gives the project's fixed split (same seed, same split).

    Parameters
    ----------
    test_fraction : float
        Share of each class held out as the test set, in (0, 1).
    rng : int, numpy.random.Generator or None
        Seed (or Generator) of the split.

    Examples
    --------
    >>> d = load_digits()
    >>> d.x_train.shape, d.x_test.shape, d.n_classes
    ((1350, 8, 8), (447, 8, 8), 10)
    """
    from sklearn.datasets import load_digits as _sk_load_digits

    from .batches import train_val_split

    test_fraction = check_range(test_fraction, "test_fraction", 0, 1, low_open=True,
                                high_open=True)
    bunch = _sk_load_digits()
    x = (bunch.images / 16.0).astype(np.float32)  # pixel values are 0..16
    y = bunch.target.astype(np.int64)
    x_tr, y_tr, x_te, y_te = train_val_split(x, y, val_fraction=test_fraction, rng=rng,
                                             stratify=True)
    return Dataset(x_tr, y_tr, x_te, y_te)
