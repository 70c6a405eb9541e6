"""The networks of the papers, scaled to run on a CPU."""
from __future__ import annotations

import numpy as np

from .._checks import check_integer, check_nonnegative
from .activations import BinaryReLU, get_activation
from .layers import (AvgPool2D, BatchNorm, Conv2D, Dense, Dropout, Flatten, GlobalAvgPool2D,
                     MaxPool2D)
from .model import Sequential

__all__ = ["mlp", "mnistfc", "lenet", "allcnn", "nonoverlap_cnn", "LPOM_WIDTHS"]

#: The MLP hidden widths of LPOM's Table 2 (Li, Fang, Lin, AAAI 2019).
LPOM_WIDTHS = ((300,), (300, 100), (500, 150), (500, 200, 100), (400, 200, 100, 50))


def _image_shape(input_shape):
    shape = tuple(int(s) for s in input_shape)
    if len(shape) == 2:
        return (1, *shape)
    if len(shape) != 3:
        raise ValueError(f"input_shape must be (H, W) or (C, H, W) for a conv net, got {input_shape}")
    return shape


def _dropout(rate):
    rate = check_nonnegative(rate, "dropout")
    return [Dropout(rate)] if rate > 0 else []


def mlp(sizes, *, activation="relu", input_shape=(28, 28), n_classes=10, dropout=0.0,
        batch_norm=False, input_dropout=0.0, dtype=np.float64, rng=None, seed=None):
    """Multilayer perceptron ``d → sizes[0] → … → sizes[-1] → n_classes``.

    Each hidden layer is Dense → [BatchNorm] → activation → [Dropout]; the output
    layer is Dense (logits). ``mlp(LPOM_WIDTHS[1])`` is LPOM's 300-100 net.

    Parameters
    ----------
    sizes : sequence of int
        Hidden widths (may be empty: softmax regression).
    activation : str or Activation
        ``relu``, ``leaky_relu``, ``elu``, ``sigmoid``, ``tanh``, ``softplus``, ...
    input_shape : tuple
        Per-sample input shape; inputs are flattened.
    dropout, input_dropout : float
        Dropout rate after each hidden layer / on the inputs.
    batch_norm : bool
    """
    try:
        sizes = [check_integer(s, "sizes", minimum=1) for s in sizes]
    except TypeError:
        raise TypeError(f"sizes must be a sequence of positive ints, got {sizes!r}") from None
    n_classes = check_integer(n_classes, "n_classes", minimum=1)
    layers = [Flatten(), *_dropout(input_dropout)]
    for width in sizes:
        layers.append(Dense(width))
        if batch_norm:
            layers.append(BatchNorm())
        layers += [get_activation(activation), *_dropout(dropout)]
    layers.append(Dense(n_classes, init="glorot"))
    return Sequential(layers, input_shape=input_shape, dtype=dtype, rng=rng, seed=seed)


def mnistfc(*, hidden=1024, dropout=0.2, batch_norm=False, input_shape=(28, 28), n_classes=10,
            dtype=np.float64, rng=None, seed=None):
    """The ``mnistfc`` net of Entropy-SGD: 784-1024-1024-10, ReLU, dropout 0.2.

    Chaudhari et al. (2017) apply dropout to the input and after each hidden
    layer (and batch normalization, here ``batch_norm=True``); ``hidden`` scales
    the two hidden widths down for CPU runs.
    """
    hidden = check_integer(hidden, "hidden", minimum=1)
    return mlp([hidden, hidden], activation="relu", input_shape=input_shape,
               n_classes=n_classes, dropout=dropout, input_dropout=dropout,
               batch_norm=batch_norm, dtype=dtype, rng=rng, seed=seed)


def lenet(*, channels=(20, 50), hidden=500, kernel_size=5, padding="auto", dropout=0.0,
          batch_norm=False, activation="relu", input_shape=(28, 28), n_classes=10,
          dtype=np.float64, rng=None, seed=None):
    """LeNet (Caffe's variant, as in Entropy-SGD): conv 5×5 → max-pool 2 → conv 5×5 →
    max-pool 2 → dense ``hidden`` → dense ``n_classes``.

    ``padding="auto"`` uses no padding when the valid convolutions fit (28×28:
    28→24→12→8→4) and "same" padding on small images (8×8 digits: 8→8→4→4→2).
    """
    c, h, w = _image_shape(input_shape)
    k = check_integer(kernel_size, "kernel_size", minimum=1)
    if padding == "auto":
        padding = 0 if min(h, w) >= 4 * k else "same"
    act = lambda: get_activation(activation)  # noqa: E731
    bn = lambda: [BatchNorm()] if batch_norm else []  # noqa: E731
    layers = [Conv2D(channels[0], k, padding=padding), *bn(), act(), MaxPool2D(2),
              Conv2D(channels[1], k, padding=padding), *bn(), act(), MaxPool2D(2),
              Flatten(), *_dropout(dropout), Dense(hidden), *bn(), act(), *_dropout(dropout),
              Dense(n_classes, init="glorot")]
    return Sequential(layers, input_shape=(c, h, w), dtype=dtype, rng=rng, seed=seed)


def allcnn(*, channels=(32, 64), dropout=0.0, batch_norm=True, activation="relu",
           input_shape=(28, 28), n_classes=10, dtype=np.float64, rng=None, seed=None):
    """A small All-CNN-C (Springenberg et al. 2015): only 3×3 convolutions, strided
    convolutions instead of pooling, a 1×1 classifier and global average pooling.

    conv c1 ×2 → conv c1 stride 2 → conv c2 ×2 → conv c2 stride 2 → conv c2 3×3 →
    conv c2 1×1 → conv n_classes 1×1 → global average. The original uses
    c = (96, 192) on CIFAR-10; the defaults here are scaled for CPU runs.
    """
    c, h, w = _image_shape(input_shape)
    c1, c2 = (check_integer(v, "channels", minimum=1) for v in channels)

    def block(filters, k=3, stride=1, padding=1):
        return [Conv2D(filters, k, stride=stride, padding=padding),
                *([BatchNorm()] if batch_norm else []), get_activation(activation)]

    layers = [*block(c1), *block(c1), *block(c1, stride=2), *_dropout(dropout),
              *block(c2), *block(c2), *block(c2, stride=2), *_dropout(dropout),
              *block(c2), *block(c2, k=1, padding=0),
              Conv2D(n_classes, 1), GlobalAvgPool2D()]
    return Sequential(layers, input_shape=(c, h, w), dtype=dtype, rng=rng, seed=seed)


def nonoverlap_cnn(k, d, *, surrogate="relu", dtype=np.float64, rng=None, seed=None):
    """The one-hidden-layer non-overlapping conv net of RVSCGD (Dinh & Xin 2020).

    ``h(Z, w) = (1/k) Σᵢ σ(Zᵢᵀ w)`` for an input Z ∈ R^{k×d} (k non-overlapping
    patches Zᵢ ∈ R^d), a shared filter w ∈ R^d and the binarized ReLU
    σ(z) = 1{z > 0}, whose backward pass uses the ``surrogate`` derivative. Built as
    Conv2D(1 filter, 1×d, stride d, no bias) → BinaryReLU → AvgPool over the k
    patches → Flatten; ``model.params`` is w (initialised with |w| = 1). Train it
    with ``loss="squared"`` against teacher outputs h(Z, w*); the output has shape
    (n, 1).
    """
    k = check_integer(k, "k", minimum=1)
    d = check_integer(d, "d", minimum=1)
    layers = [Conv2D(1, (1, d), stride=(1, d), bias=False), BinaryReLU(surrogate),
              AvgPool2D((k, 1)), Flatten()]
    model = Sequential(layers, input_shape=(1, k, d), dtype=dtype, rng=rng, seed=seed)
    model.params /= np.linalg.norm(model.params)
    return model
