"""The networks of the papers, scaled to run on a CPU."""
from __future__ import annotations

import numpy as np

from .._checks import check_bool, check_integer, check_option, check_range
from .activations import BinaryReLU, get_activation
from .layers import (AvgPool2D, BatchNorm, Conv2D, Dense, Dropout, Flatten, GlobalAvgPool2D,
                     MaxPool2D, check_sample_shape)
from .model import Sequential

__all__ = ["mlp", "mnistfc", "lenet", "allcnn", "nonoverlap_cnn", "LPOM_WIDTHS"]

#: The MLP hidden widths of LPOM's Table 2 (Li, Fang, Lin, AAAI 2019).
LPOM_WIDTHS = ((300,), (300, 100), (500, 150), (500, 200, 100), (400, 200, 100, 50))


def _image_shape(input_shape):
    shape = check_sample_shape(input_shape)
    if len(shape) == 2:
        return (1, *shape)
    if len(shape) != 3:
        raise ValueError(f"input_shape must be (H, W) or (C, H, W) for a conv net, "
                         f"got {input_shape}")
    return shape


def _dropout(rate, name="dropout"):
    rate = check_range(rate, name, 0.0, 1.0, high_open=True)
    return [Dropout(rate)] if rate > 0 else []


def _channels(channels, count):
    """``count`` positive channel numbers (a tuple such as ``(20, 50)``)."""
    if isinstance(channels, (str, bytes)) or not hasattr(channels, "__len__"):
        raise TypeError(f"channels must be a tuple of {count} positive ints, got "
                        f"{type(channels).__name__}")
    if len(channels) != count:
        raise ValueError(f"channels must hold {count} numbers, got {channels!r}")
    return [check_integer(c, "channels", minimum=1) for c in channels]


def mlp(sizes, *, activation="relu", input_shape=(28, 28), n_classes=10, dropout=0.0,
        batch_norm=False, input_dropout=0.0, dtype=np.float64, rng=None):
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

    References
    ----------
    .. [1] J. Li, C. Fang, Z. Lin, "Lifted proximal operator machines", AAAI 2019
       (the widths of :data:`LPOM_WIDTHS`).

    Examples
    --------
    >>> net = mlp([16, 8], input_shape=(8, 8), rng=0)
    >>> [name for name, _ in net.param_views()][:2], net.n_params
    (['dense0.W', 'dense0.b'], 1266)
    """
    try:
        sizes = [check_integer(s, "sizes", minimum=1) for s in sizes]
    except TypeError:
        raise TypeError(f"sizes must be a sequence of positive ints, got {sizes!r}") from None
    n_classes = check_integer(n_classes, "n_classes", minimum=1)
    batch_norm = check_bool(batch_norm, "batch_norm")
    layers = [Flatten(), *_dropout(input_dropout, "input_dropout")]
    for width in sizes:
        layers.append(Dense(width))
        if batch_norm:
            layers.append(BatchNorm())
        layers += [get_activation(activation), *_dropout(dropout)]
    layers.append(Dense(n_classes, init="glorot"))
    return Sequential(layers, input_shape=input_shape, dtype=dtype, rng=rng)


def mnistfc(*, hidden=1024, dropout=0.2, batch_norm=False, input_shape=(28, 28), n_classes=10,
            dtype=np.float64, rng=None):
    """The ``mnistfc`` net of Entropy-SGD: 784-1024-1024-10, ReLU, dropout 0.2.

    Chaudhari et al. (2017) apply dropout to the input and after each hidden
    layer (and batch normalization, here ``batch_norm=True``); ``hidden`` scales
    the two hidden widths down for CPU runs.

    References
    ----------
    .. [1] P. Chaudhari et al., "Entropy-SGD: biasing gradient descent into wide
       valleys", ICLR 2017.

    Examples
    --------
    >>> mnistfc(hidden=32, input_shape=(8, 8), rng=0).output_shape
    (10,)
    """
    hidden = check_integer(hidden, "hidden", minimum=1)
    dropout = check_range(dropout, "dropout", 0.0, 1.0, high_open=True)
    return mlp([hidden, hidden], activation="relu", input_shape=input_shape,
               n_classes=n_classes, dropout=dropout, input_dropout=dropout,
               batch_norm=batch_norm, dtype=dtype, rng=rng)


def lenet(*, channels=(20, 50), hidden=500, kernel_size=5, padding="auto", dropout=0.0,
          batch_norm=False, activation="relu", input_shape=(28, 28), n_classes=10,
          dtype=np.float64, rng=None, backend="auto"):
    """LeNet (Caffe's variant, as in Entropy-SGD): conv 5×5 → max-pool 2 → conv 5×5 →
    max-pool 2 → dense ``hidden`` → dense ``n_classes``.

    ``padding="auto"`` uses no padding when the valid convolutions fit (28×28:
    28→24→12→8→4) and "same" padding on small images (8×8 digits: 8→8→4→4→2).
    ``backend`` selects the convolution and pooling kernels (see :class:`Conv2D`); a
    ``dtype=np.float32`` net computes in float32 throughout.

    References
    ----------
    .. [1] Y. LeCun, L. Bottou, Y. Bengio, P. Haffner, "Gradient-based learning applied
       to document recognition", Proc. IEEE 86 (1998).

    Examples
    --------
    >>> import numpy as np
    >>> net = lenet(channels=(4, 8), hidden=16, input_shape=(8, 8), rng=0)
    >>> net.forward(np.zeros((3, 8, 8))).shape
    (3, 10)
    """
    c, h, w = _image_shape(input_shape)
    c1, c2 = _channels(channels, 2)
    hidden = check_integer(hidden, "hidden", minimum=1)
    k = check_integer(kernel_size, "kernel_size", minimum=1)
    batch_norm = check_bool(batch_norm, "batch_norm")
    n_classes = check_integer(n_classes, "n_classes", minimum=1)
    if isinstance(padding, str):
        check_option(padding, "padding", ("auto", "same"))
    if padding == "auto":
        padding = 0 if min(h, w) >= 4 * k else "same"
    act = lambda: get_activation(activation)  # noqa: E731
    bn = lambda: [BatchNorm()] if batch_norm else []  # noqa: E731
    layers = [Conv2D(c1, k, padding=padding, backend=backend), *bn(), act(),
              MaxPool2D(2, backend=backend),
              Conv2D(c2, k, padding=padding, backend=backend), *bn(), act(),
              MaxPool2D(2, backend=backend),
              Flatten(), *_dropout(dropout), Dense(hidden), *bn(), act(), *_dropout(dropout),
              Dense(n_classes, init="glorot")]
    return Sequential(layers, input_shape=(c, h, w), dtype=dtype, rng=rng)


def allcnn(*, channels=(32, 64), dropout=0.0, batch_norm=True, activation="relu",
           input_shape=(28, 28), n_classes=10, dtype=np.float64, rng=None, backend="auto"):
    """A small All-CNN-C (Springenberg et al. 2015): only 3×3 convolutions, strided
    convolutions instead of pooling, a 1×1 classifier and global average pooling.

    conv c1 ×2 → conv c1 stride 2 → conv c2 ×2 → conv c2 stride 2 → conv c2 3×3 →
    conv c2 1×1 → conv n_classes 1×1 → global average. The original uses
    c = (96, 192) on CIFAR-10; the defaults here are scaled for CPU runs. ``backend``
    selects the convolution kernels (see :class:`Conv2D`).

    References
    ----------
    .. [1] J. T. Springenberg, A. Dosovitskiy, T. Brox, M. Riedmiller, "Striving for
       simplicity: the all convolutional net", ICLR workshop 2015.

    Examples
    --------
    >>> import numpy as np
    >>> net = allcnn(channels=(4, 8), input_shape=(8, 8), rng=0)
    >>> net.predict(np.zeros((2, 8, 8))).shape
    (2,)
    """
    c, h, w = _image_shape(input_shape)
    c1, c2 = _channels(channels, 2)
    batch_norm = check_bool(batch_norm, "batch_norm")
    n_classes = check_integer(n_classes, "n_classes", minimum=1)

    def block(filters, k=3, stride=1, padding=1):
        return [Conv2D(filters, k, stride=stride, padding=padding, backend=backend),
                *([BatchNorm()] if batch_norm else []), get_activation(activation)]

    layers = [*block(c1), *block(c1), *block(c1, stride=2), *_dropout(dropout),
              *block(c2), *block(c2), *block(c2, stride=2), *_dropout(dropout),
              *block(c2), *block(c2, k=1, padding=0),
              Conv2D(n_classes, 1, backend=backend), GlobalAvgPool2D()]
    return Sequential(layers, input_shape=(c, h, w), dtype=dtype, rng=rng)


def nonoverlap_cnn(k, d, *, surrogate="relu", input_shape=None, n_classes=1, dtype=np.float64,
                   rng=None):
    """The one-hidden-layer non-overlapping conv net of RVSCGD (Dinh & Xin 2020).

    ``h(Z, w) = (1/k) Σᵢ σ(Zᵢᵀ w)`` for an input Z ∈ R^{k×d} (k non-overlapping
    patches Zᵢ ∈ R^d), a shared filter w ∈ R^d and the binarized ReLU
    σ(z) = 1{z > 0}, whose backward pass uses the ``surrogate`` derivative. Built as
    Conv2D(1 filter, 1×d, stride d, no bias) → BinaryReLU → AvgPool over the k
    patches → Flatten; ``model.params`` is w (initialised with |w| = 1). Train it
    with ``loss="squared"`` against teacher outputs h(Z, w*); the output has shape
    (n, 1). ``input_shape`` (if given) must be ``(k, d)`` and ``n_classes`` 1: they
    are accepted for the factories' common signature.

    References
    ----------
    .. [1] T. Dinh, J. Xin, "Convergence of a relaxed variable splitting coarse gradient
       descent method for learning sparse weight binarized activation neural network",
       Front. Appl. Math. Stat. (2020).

    Examples
    --------
    >>> import numpy as np
    >>> net = nonoverlap_cnn(4, 3, rng=0)
    >>> z = np.ones((1, 4, 3))
    >>> float(net.forward(z)[0, 0]) == float(np.mean(z[0] @ net.params > 0))
    True
    """
    k = check_integer(k, "k", minimum=1)
    d = check_integer(d, "d", minimum=1)
    if input_shape is not None and check_sample_shape(input_shape) not in ((k, d), (1, k, d)):
        raise ValueError(f"input_shape must be (k, d) = ({k}, {d}), got {input_shape!r}")
    if check_integer(n_classes, "n_classes") != 1:
        raise ValueError(f"n_classes must be 1 (one real output h(Z, w)), got {n_classes!r}")
    layers = [Conv2D(1, (1, d), stride=(1, d), bias=False), BinaryReLU(surrogate),
              AvgPool2D((k, 1)), Flatten()]
    model = Sequential(layers, input_shape=(1, k, d), dtype=dtype, rng=rng)
    model.params /= np.linalg.norm(model.params)
    return model
