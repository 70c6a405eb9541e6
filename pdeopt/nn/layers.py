"""Layers with explicit forward and backward passes.

Every layer works on a minibatch: ``forward(x, train)`` maps an array of shape
``(n, *in_shape)`` to ``(n, *out_shape)`` and keeps what its backward pass needs;
``backward(dout)`` receives ∂L/∂out, writes ∂L/∂θ into the layer's gradient views
(``self.grads``) and returns ∂L/∂x. Parameters are not owned by the layer: a
:class:`~pdeopt.nn.model.Sequential` allocates one flat vector and hands each
layer views into it (``self.params``), so the whole weight vector is one array.

Images are ``(n, C, H, W)`` (channels first). Convolution is im2col: the input
windows of the whole batch are gathered into one ``(n·Ho·Wo, C·kh·kw)`` matrix, and the
layer is one BLAS matrix product forward and two backward. The gathering, its adjoint
(the scatter-add col2im) and the pooling passes are kernels of ``pdeopt.kernels`` (``nn.*``),
chosen by the layers' ``backend``: ``"auto"`` (Numba, parallel over the batch), ``"numba"``
or ``"numpy"`` (the NumPy twins, which read like the math). Every pass keeps the dtype of its
input: a float32 model computes in float32 throughout.
"""
from __future__ import annotations

import numpy as np

from .._checks import (as_float_array, as_rng, check_bool, check_integer, check_option,
                       check_positive, check_range)
from .._xp import namespace, to_namespace
from . import _device

__all__ = ["Layer", "Dense", "Conv2D", "MaxPool2D", "AvgPool2D", "GlobalAvgPool2D",
           "Flatten", "Dropout", "BatchNorm", "Residual"]


def _pair(value, name, *, minimum):
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"{name} must be an int or a pair, got {value!r}")
        return tuple(check_integer(v, name, minimum=minimum) for v in value)
    v = check_integer(value, name, minimum=minimum)
    return (v, v)


def check_sample_shape(value, name: str = "input_shape") -> tuple:
    """A per-sample shape: a non-empty tuple of positive integers (1.5 is refused)."""
    if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
        raise TypeError(f"{name} must be a tuple of positive ints, got {type(value).__name__}")
    shape = tuple(check_integer(s, name, minimum=1) for s in value)
    if not shape:
        raise ValueError(f"{name} must be a non-empty tuple of positive ints, got {value!r}")
    return shape


def check_output(out, what: str = "x"):
    """Raise ``ValueError`` when a pass overflowed: no silent NaN/inf leaves a public call."""
    xp = namespace(out)
    if not xp.all(xp.isfinite(out)):    # on the device: one read-back
        raise ValueError(f"the outputs overflowed to NaN or inf for this {what} (values too "
                         "large for the weights): scale the input down")
    return out


def check_layers(layers, name: str = "layers") -> list:
    """A non-empty list of :class:`Layer` objects, each used once."""
    if layers is None or isinstance(layers, (str, bytes)) or not hasattr(layers, "__iter__"):
        raise TypeError(f"{name} must be a non-empty list of Layer objects, got "
                        f"{type(layers).__name__}")
    layers = list(layers)
    if not layers or not all(isinstance(layer, Layer) for layer in layers):
        raise TypeError(f"{name} must be a non-empty list of Layer objects")
    if len({id(layer) for layer in layers}) != len(layers):
        raise ValueError(f"{name} must not hold the same layer object twice (a layer keeps "
                         "per-call state and its own parameters)")
    return layers


class Layer:
    """Base class: a layer without parameters that passes ``x`` through.

    Subclasses implement ``_build`` (fix the shapes, set ``param_specs``, a list of
    ``(suffix, shape)``), ``_init_params`` (fill ``self.params[suffix]``) and the
    unchecked passes ``_forward``/``_backward`` that a :class:`Sequential` runs; the
    public :meth:`build`, :meth:`init_params`, :meth:`forward` and :meth:`backward`
    check their arguments first.

    Examples
    --------
    >>> import numpy as np
    >>> from pdeopt.nn import Dense, build_layer
    >>> layer = build_layer(Dense(3), (4,), rng=0)
    >>> out = layer.forward(np.ones((2, 4)), train=True)
    >>> out.shape, layer.backward(np.ones((2, 3))).shape
    ((2, 3), (2, 4))
    """

    #: prefix of the layer's parameter names (``dense0.W``)
    kind = "layer"
    #: whether backward must return ∂L/∂x (the first layer of a model skips it)
    need_input_grad = True
    #: whether the layer works on any shape without being built (elementwise layers)
    elementwise = False

    def __init__(self):
        self.param_specs: list[tuple[str, tuple]] = []
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self.input_shape = None
        self.output_shape = None

    def build(self, input_shape) -> tuple:
        """Fix the per-sample input shape; return the per-sample output shape."""
        return self._build(check_sample_shape(input_shape))

    def _build(self, input_shape):
        self.input_shape = self.output_shape = input_shape
        return self.output_shape

    def init_params(self, rng=None) -> None:
        """Fill the parameter views with their initial values drawn from ``rng``."""
        self._require_params()
        self._init_params(as_rng(rng))

    def _init_params(self, rng):
        pass

    def _require_params(self):
        name = type(self).__name__
        if self.input_shape is None and not self.elementwise:
            raise ValueError(f"{name} is not built: call build(input_shape), "
                             "pdeopt.nn.build_layer or put it in a Sequential")
        for layer in [self, *self.children()]:
            if any(s not in layer.params for s, _ in layer.param_specs):
                raise ValueError(f"{name} has no parameter arrays: build it with "
                                 "pdeopt.nn.build_layer or put it in a Sequential")
            if layer is not self:
                layer._require_params()

    def _check_batch(self, value, name, shape, n=None):
        arr = as_float_array(value, name)
        if shape is None:  # an unbuilt elementwise layer takes any batch
            want_ok = arr.ndim >= 1
        else:
            want_ok = arr.ndim == 1 + len(shape) and arr.shape[1:] == tuple(shape)
        if not want_ok or (n is not None and arr.shape[0] != n):
            want = "(n, ...)" if shape is None else "(n, " + ", ".join(map(str, shape)) + ")"
            if n is not None:
                want = want.replace("(n", f"({n}", 1)
            raise ValueError(f"{name} must have shape {want} for {type(self).__name__}, "
                             f"got {arr.shape}")
        return arr

    def forward(self, x, train=False) -> np.ndarray:
        """The layer's output for a batch ``x`` of shape ``(n, *input_shape)``.

        ``train`` selects training mode (dropout on, batch statistics). The
        intermediate values that :meth:`backward` needs are kept.
        """
        self._require_params()
        train = check_bool(train, "train")
        x = self._check_batch(x, "x", self.input_shape)
        out = check_output(self._forward(x, train))
        self._n, self._out_shape = x.shape[0], out.shape
        return out

    def backward(self, dout) -> np.ndarray:
        """∂L/∂x for ``dout`` = ∂L/∂out of the last :meth:`forward`; stores ∂L/∂θ in ``grads``."""
        if getattr(self, "_n", None) is None:
            raise ValueError(f"{type(self).__name__}.backward needs a forward pass first")
        dout = self._check_batch(dout, "dout", self._out_shape[1:], n=self._n)
        dx = self._backward(dout)
        return dx if dx is None else check_output(dx, "dout")

    def _forward(self, x, train=False):
        return x

    def _backward(self, dout):
        return dout

    def _backward_owned(self, dout):
        """``_backward`` for a ``dout`` that is the model's own temporary (Sequential's
        backward pass: each layer's result, or the loss's), which a layer may overwrite."""
        return self._backward(dout)

    def _to(self, xp):
        """Move the layer's own state (not its parameter views) to namespace ``xp``."""

    def children(self) -> list:
        """Sub-layers whose parameters this layer holds (containers only)."""
        return []

    def __repr__(self):
        return f"{type(self).__name__}({self.input_shape} -> {self.output_shape})"


class Dense(Layer):
    """Affine layer ``y = x Wᵀ + b`` with ``W`` of shape ``(units, n_in)``.

    Parameters
    ----------
    units : int
        Output width.
    bias : bool
        Whether to add ``b``.
    init : {"he", "glorot"}
        Initial weights ~ N(0, 2/n_in) (He, for ReLU nets) or N(0, 2/(n_in+units)).

    Examples
    --------
    >>> import numpy as np
    >>> from pdeopt.nn import build_layer
    >>> layer = build_layer(Dense(2), (3,), rng=0)
    >>> x = np.ones((4, 3))
    >>> np.allclose(layer.forward(x), x @ layer.params["W"].T + layer.params["b"])
    True
    """

    kind = "dense"

    def __init__(self, units, *, bias=True, init="he"):
        super().__init__()
        self.units = check_integer(units, "units", minimum=1)
        self.bias = check_bool(bias, "bias")
        self.init = check_option(init, "init", ("he", "glorot"))

    def _build(self, input_shape):
        if len(input_shape) != 1:
            raise ValueError(f"Dense expects flat inputs (n, d); got per-sample shape "
                             f"{input_shape} (put a Flatten layer before it)")
        self.input_shape = input_shape
        self.output_shape = (self.units,)
        self.param_specs = [("W", (self.units, input_shape[0]))]
        if self.bias:
            self.param_specs.append(("b", (self.units,)))
        return self.output_shape

    def _init_params(self, rng):
        n_in = self.input_shape[0]
        var = 2.0 / n_in if self.init == "he" else 2.0 / (n_in + self.units)
        self.params["W"][...] = rng.normal(0.0, np.sqrt(var), self.params["W"].shape)
        if self.bias:
            self.params["b"][...] = 0.0

    def _forward(self, x, train=False):
        self._x = x
        out = x @ self.params["W"].T
        if self.bias:
            out += self.params["b"]
        return out

    def _backward(self, dout):
        xp = namespace(dout)
        xp.matmul(dout.T, self._x, out=self.grads["W"])
        if self.bias:
            xp.sum(dout, axis=0, out=self.grads["b"])
        return dout @ self.params["W"] if self.need_input_grad else None


def check_backend(backend, name: str = "backend") -> str:
    """One of ``pdeopt.kernels.BACKENDS``; the layers' kernels have no CUDA version, so
    ``"cuda"`` raises :class:`pdeopt.BackendUnavailableError`."""
    from pdeopt.kernels import BACKENDS, select
    backend = check_option(backend, name, BACKENDS)
    select("nn.im2col", backend)  # raises BackendUnavailableError for "cuda"
    return backend


def _kernel(name, backend):
    from pdeopt.kernels import select
    return select(name, backend)


def _conv_out(size, kernel, stride, pad, name):
    out = (size + 2 * pad - kernel) // stride + 1
    if out < 1:
        raise ValueError(f"input_shape too small for {name}: a {kernel}-wide window does not "
                         f"fit an input of size {size} with padding {pad}")
    return out


class Conv2D(Layer):
    """2-D convolution (cross-correlation) with stride and zero padding, via im2col.

    ``y[n, f, i, j] = b[f] + Σ_{c,p,q} W[f, c, p, q] · x_pad[n, c, s_h i + p, s_w j + q]``.
    The windows of the whole batch are gathered into one matrix ``cols (n·Ho·Wo, K)``
    (K = C·kh·kw, columns in W's own order, so ``W`` reshaped to ``(F, K)`` is the kernel
    matrix with no copy); forward is the one product ``Y = cols Wᵀ (n·Ho·Wo, F)``, moved to
    (n, F, Ho, Wo) while the bias is added; backward is ``dW = dYᵀ cols`` and
    ``dcols = dY W``, scattered back onto the input (col2im). Large products keep BLAS's
    threads busy, where one small product per sample did not.

    Parameters
    ----------
    filters : int
        Number of output channels F.
    kernel_size : int or (int, int)
    stride : int or (int, int)
    padding : int or (int, int) or "same"
        Zeros added on each side ("same" keeps H, W at stride 1 for odd kernels).
    bias : bool
    backend : {"auto", "numpy", "numba", "cuda"}
        The host's im2col/col2im kernels: ``"auto"`` is Numba (parallel over the batch);
        there is no CUDA kernel (``"cuda"`` raises ``BackendUnavailableError``). On the GPU
        (a model moved by ``Sequential.to("cuda")``) the gathers are CuPy code and the
        products cuBLAS, whatever this says.

    Examples
    --------
    >>> import numpy as np
    >>> from pdeopt.nn import build_layer
    >>> conv = build_layer(Conv2D(1, 3, padding="same", bias=False), (1, 5, 5), rng=0)
    >>> conv.params["W"][...] = 0.0
    >>> conv.params["W"][0, 0, 1, 1] = 1.0          # the identity kernel
    >>> x = np.random.default_rng(0).random((2, 1, 5, 5))
    >>> np.allclose(conv.forward(x), x)
    True
    """

    kind = "conv"

    def __init__(self, filters, kernel_size, *, stride=1, padding=0, bias=True, backend="auto"):
        super().__init__()
        self.backend = check_backend(backend)
        self.filters = check_integer(filters, "filters", minimum=1)
        self.kernel_size = _pair(kernel_size, "kernel_size", minimum=1)
        self.stride = _pair(stride, "stride", minimum=1)
        if isinstance(padding, str):
            check_option(padding, "padding", ("same",))
            self.padding = tuple(k // 2 for k in self.kernel_size)
        else:
            self.padding = _pair(padding, "padding", minimum=0)
        self.bias = check_bool(bias, "bias")

    def _build(self, input_shape):
        if len(input_shape) != 3:
            raise ValueError(f"Conv2D expects images (n, C, H, W); got per-sample shape "
                             f"{input_shape}")
        c, h, w = input_shape
        (kh, kw), (sh, sw), (ph, pw) = self.kernel_size, self.stride, self.padding
        self.out_hw = (_conv_out(h, kh, sh, ph, "Conv2D"), _conv_out(w, kw, sw, pw, "Conv2D"))
        self.input_shape = input_shape
        self.output_shape = (self.filters, *self.out_hw)
        self.param_specs = [("W", (self.filters, c, kh, kw))]
        self._k = c * kh * kw
        if self.bias:
            self.param_specs.append(("b", (self.filters,)))
        return self.output_shape

    def _init_params(self, rng):
        fan_in = int(np.prod(self.params["W"].shape[1:]))
        self.params["W"][...] = rng.normal(0.0, np.sqrt(2.0 / fan_in), self.params["W"].shape)
        if self.bias:
            self.params["b"][...] = 0.0

    def im2col(self, x):
        """The window matrix ``(n·Ho·Wo, C·kh·kw)`` of a batch x ``(n, C, H, W)``.

        Row ``(b, i, j)`` holds the window of output pixel (i, j) of sample b, its columns
        ordered (C, kh, kw) like :meth:`kernel_matrix`."""
        if namespace(x) is not np:
            return _device.im2col(x, self.kernel_size, self.stride, self.padding)
        x = np.ascontiguousarray(x)
        cols = np.empty((x.shape[0] * self.out_hw[0] * self.out_hw[1], self._k), x.dtype)
        return _kernel("nn.im2col", self.backend)(x, self.kernel_size, self.stride,
                                                   self.padding, cols)

    def kernel_matrix(self):
        """W as an ``(F, C·kh·kw)`` matrix (a view) with the column order of :meth:`im2col`."""
        return self.params["W"].reshape(self.filters, self._k)

    def _scratch(self, name, shape, dtype, xp=np):
        """A work array of namespace ``xp`` kept between calls (its first ``prod(shape)``
        entries): a fresh buffer of this size per call would be mapped and zero-filled by the
        OS each time (float64 windows of LeNet's second layer at batch 128 exceed glibc's
        32 MiB mmap threshold)."""
        size = int(np.prod(shape))
        buf = self.__dict__.get(name)
        if (buf is None or buf.dtype != dtype or buf.size < size
                or namespace(buf) is not xp):
            buf = xp.empty(size, dtype=dtype)
            setattr(self, name, buf)
        return buf[:size].reshape(shape)

    def _forward(self, x, train=False):
        xp = namespace(x)
        n, f = x.shape[0], self.filters
        p = self.out_hw[0] * self.out_hw[1]
        if xp is np:
            cols = self._scratch("_cols_buf", (n * p, self._k), x.dtype)
            self._cols = _kernel("nn.im2col", self.backend)(
                np.ascontiguousarray(x), self.kernel_size, self.stride, self.padding, cols)
        else:  # one gather on the device
            self._cols = _device.im2col(x, self.kernel_size, self.stride, self.padding)
        out = xp.empty((n, f, p), dtype=x.dtype)
        # Y = cols Wᵀ (n·P, F), then (n, F, P) with the bias added in the same pass
        y = xp.matmul(self._cols, self.kernel_matrix().T,
                      out=self._scratch("_y_buf", (n * p, f), x.dtype, xp))
        y = y.reshape(n, p, f).transpose(0, 2, 1)
        if self.bias:
            xp.add(y, self.params["b"][:, None], out=out)
        else:
            out[...] = y
        return out.reshape(n, f, *self.out_hw)

    def _backward(self, dout):
        xp = namespace(dout)
        f, n = self.filters, dout.shape[0]
        # dY (F, n·P): the batch's output gradients side by side, as the products want them
        dy = self._scratch("_dy_buf", (f, n, dout[0, 0].size), dout.dtype, xp)
        dy[...] = dout.reshape(n, f, -1).transpose(1, 0, 2)
        dy = dy.reshape(f, -1)
        xp.matmul(dy, self._cols, out=self.grads["W"].reshape(f, self._k))   # dW = dY cols
        if self.bias:
            xp.sum(dy, axis=1, out=self.grads["b"])
        if not self.need_input_grad:
            return None
        dcols = xp.matmul(dy.T, self.kernel_matrix(),                       # dY^T W
                          out=self._scratch("_dcols_buf", self._cols.shape, dout.dtype, xp))
        if xp is not np:
            return _device.col2im(dcols, self.kernel_size, self.stride, self.padding,
                                  (n, *self.input_shape))
        dx = np.empty((n, *self.input_shape), dtype=dout.dtype)
        return _kernel("nn.col2im", self.backend)(dcols, self.kernel_size, self.stride,
                                                  self.padding, dx)


class _Pool2D(Layer):
    def __init__(self, pool_size=2, *, stride=None, backend="auto"):
        super().__init__()
        self.backend = check_backend(backend)
        self.pool_size = _pair(pool_size, "pool_size", minimum=1)
        self.stride = self.pool_size if stride is None else _pair(stride, "stride", minimum=1)

    def _build(self, input_shape):
        if len(input_shape) != 3:
            raise ValueError(f"{type(self).__name__} expects images (n, C, H, W); got "
                             f"per-sample shape {input_shape}")
        c, h, w = input_shape
        (kh, kw), (sh, sw) = self.pool_size, self.stride
        self.out_hw = (_conv_out(h, kh, sh, 0, type(self).__name__),
                       _conv_out(w, kw, sw, 0, type(self).__name__))
        self.input_shape, self.output_shape = input_shape, (c, *self.out_hw)
        return self.output_shape


class MaxPool2D(_Pool2D):
    """Max pooling over ``pool_size`` windows (stride defaults to the window: no overlap).

    ``y[n, c, i, j] = max_{p,q} x[n, c, s_h i + p, s_w j + q]``; backward routes each
    output's gradient to the position of its window's (first) maximum, kept from forward.

    Parameters
    ----------
    pool_size : int or (int, int)
    stride : int or (int, int), optional
    backend : {"auto", "numpy", "numba", "cuda"}
        The pooling kernels (``"auto"``: Numba, parallel over the batch; no CUDA version).

    Examples
    --------
    >>> import numpy as np
    >>> from pdeopt.nn import build_layer
    >>> pool = build_layer(MaxPool2D(2), (1, 2, 4))
    >>> pool.forward(np.array([[[[1.0, 5.0, 0.0, 2.0], [3.0, 2.0, 7.0, 1.0]]]])).tolist()
    [[[[5.0, 7.0]]]]
    """

    kind = "maxpool"

    def _forward(self, x, train=False):
        if namespace(x) is not np:  # the device's gathers keep each window's argmax offset
            out, self._arg = _device.maxpool_forward(x, self.pool_size, self.stride)
            return out
        n, c = x.shape[:2]
        out = np.empty((n, c, *self.out_hw), dtype=x.dtype)
        self._arg = np.empty((n, c, *self.out_hw), dtype=np.int32)   # flat index in (H, W)
        return _kernel("nn.maxpool_forward", self.backend)(
            np.ascontiguousarray(x), self.pool_size, self.stride, out, self._arg)

    def _backward(self, dout):
        shape = (dout.shape[0], *self.input_shape)
        if namespace(dout) is not np:
            return _device.maxpool_backward(dout, self._arg, self.pool_size, self.stride, shape)
        dx = np.empty(shape, dtype=dout.dtype)
        return _kernel("nn.maxpool_backward", self.backend)(np.ascontiguousarray(dout),
                                                            self._arg, dx)


class AvgPool2D(_Pool2D):
    """Average pooling over ``pool_size`` windows (stride defaults to the window).

    ``y[n, c, i, j] = (1/(k_h k_w)) Σ_{p,q} x[n, c, s_h i + p, s_w j + q]``.

    Parameters
    ----------
    pool_size : int or (int, int)
    stride : int or (int, int), optional
    backend : {"auto", "numpy", "numba", "cuda"}
        The pooling kernels (``"auto"``: Numba, parallel over the batch; no CUDA version).

    Examples
    --------
    >>> import numpy as np
    >>> from pdeopt.nn import build_layer
    >>> pool = build_layer(AvgPool2D(2), (1, 2, 2))
    >>> pool.forward(np.array([[[[1.0, 5.0], [3.0, 3.0]]]])).tolist()
    [[[[3.0]]]]
    """

    kind = "avgpool"

    def _forward(self, x, train=False):
        if namespace(x) is not np:
            return _device.avgpool_forward(x, self.pool_size, self.stride)
        out = np.empty((x.shape[0], x.shape[1], *self.out_hw), dtype=x.dtype)
        return _kernel("nn.avgpool_forward", self.backend)(np.ascontiguousarray(x),
                                                           self.pool_size, self.stride, out)

    def _backward(self, dout):
        shape = (dout.shape[0], *self.input_shape)
        if namespace(dout) is not np:
            return _device.avgpool_backward(dout, self.pool_size, self.stride, shape)
        dx = np.empty(shape, dtype=dout.dtype)
        return _kernel("nn.avgpool_backward", self.backend)(np.ascontiguousarray(dout),
                                                            self.pool_size, self.stride, dx)


class GlobalAvgPool2D(Layer):
    """Mean over the spatial axes: (n, C, H, W) → (n, C)."""

    kind = "gap"

    def _build(self, input_shape):
        if len(input_shape) != 3:
            raise ValueError(f"GlobalAvgPool2D expects images; got per-sample shape {input_shape}")
        self.input_shape, self.output_shape = input_shape, (input_shape[0],)
        return self.output_shape

    def _forward(self, x, train=False):
        return x.mean(axis=(2, 3))

    def _backward(self, dout):
        c, h, w = self.input_shape
        return namespace(dout).broadcast_to((dout / (h * w))[:, :, None, None],
                                            (dout.shape[0], c, h, w))


class Flatten(Layer):
    """(n, *shape) → (n, prod(shape))."""

    kind = "flatten"

    def _build(self, input_shape):
        self.input_shape = tuple(input_shape)
        self.output_shape = (int(np.prod(input_shape)),)
        return self.output_shape

    def _forward(self, x, train=False):
        return x.reshape(x.shape[0], -1)

    def _backward(self, dout):
        return dout.reshape(dout.shape[0], *self.input_shape)


class Dropout(Layer):
    """Inverted dropout: in training, zero each unit with probability ``rate`` and scale
    the others by 1/(1 − rate); the identity in evaluation mode.

    The mask is drawn from ``self.rng`` (set by the model from its seed).
    """

    kind = "dropout"
    elementwise = True

    def __init__(self, rate=0.5):
        super().__init__()
        self.rate = check_range(rate, "rate", 0.0, 1.0, high_open=True)
        self.rng = np.random.default_rng(0)

    def _forward(self, x, train=False):
        if not train or self.rate == 0:
            self._mask = None
            return x
        keep = 1.0 - self.rate
        self._mask = (self.rng.random(x.shape) < keep).astype(x.dtype) / x.dtype.type(keep)
        return x * self._mask

    def _backward(self, dout):
        return dout if self._mask is None else dout * self._mask


class BatchNorm(Layer):
    """Batch normalization: ``y = γ (x − μ)/√(σ² + ε) + β`` per feature (dense) or per
    channel (images).

    In training, μ and σ² are the minibatch's (biased) mean and variance, and the
    running estimates are updated as ``r ← (1 − momentum) r + momentum · batch``; in
    evaluation mode the running estimates are used (Ioffe & Szegedy 2015). ``eps`` > 0
    keeps a constant feature (σ² = 0) finite.

    Examples
    --------
    >>> import numpy as np
    >>> from pdeopt.nn import build_layer
    >>> bn = build_layer(BatchNorm(), (2,), rng=0)
    >>> out = bn.forward(np.array([[1.0, 5.0], [3.0, 5.0]]), train=True)
    >>> out.round(3).tolist()                       # the constant column maps to 0
    [[-1.0, 0.0], [1.0, 0.0]]
    """

    kind = "bn"

    def __init__(self, *, momentum=0.1, eps=1e-5):
        super().__init__()
        # the running-average weight: 1 keeps only the last batch, 0 freezes the estimates
        self.momentum = check_range(momentum, "momentum", 0.0, 1.0)
        # eps > 0 keeps 1/√(σ² + ε) finite on a constant feature (σ² = 0)
        self.eps = check_positive(eps, "eps")

    def _build(self, input_shape):
        if len(input_shape) not in (1, 3):
            raise ValueError(f"BatchNorm expects (n, d) or (n, C, H, W); got per-sample shape "
                             f"{input_shape}")
        self.input_shape = self.output_shape = input_shape
        c = input_shape[0]
        self.axes = (0,) if len(input_shape) == 1 else (0, 2, 3)
        self.bshape = (1, c) if len(input_shape) == 1 else (1, c, 1, 1)
        self.param_specs = [("gamma", (c,)), ("beta", (c,))]
        self.running_mean = np.zeros(c)
        self.running_var = np.ones(c)
        return self.output_shape

    def _init_params(self, rng):
        self.params["gamma"][...] = 1.0
        self.params["beta"][...] = 0.0

    def _forward(self, x, train=False):
        gamma = self.params["gamma"].reshape(self.bshape)
        beta = self.params["beta"].reshape(self.bshape)
        if train:
            mean = x.mean(axis=self.axes, keepdims=True)
            var = x.var(axis=self.axes, keepdims=True)
            m = x.size // x.shape[1]
            mom = self.momentum
            self.running_mean = (1 - mom) * self.running_mean + mom * mean.ravel()
            # the running variance is the unbiased estimate, as in the usual implementations
            self.running_var = (1 - mom) * self.running_var + mom * var.ravel() * m / max(m - 1, 1)
        else:
            mean = self.running_mean.reshape(self.bshape).astype(x.dtype)
            var = self.running_var.reshape(self.bshape).astype(x.dtype)
        self._inv_std = 1.0 / namespace(x).sqrt(var + self.eps)
        self._xhat = (x - mean) * self._inv_std
        self._train = train
        return gamma * self._xhat + beta

    def _to(self, xp):
        self.running_mean = to_namespace(self.running_mean, xp)
        self.running_var = to_namespace(self.running_var, xp)

    def _backward(self, dout):
        xp = namespace(dout)
        xhat, ax = self._xhat, self.axes
        self.grads["gamma"][...] = xp.sum(dout * xhat, axis=ax)
        self.grads["beta"][...] = xp.sum(dout, axis=ax)
        dxhat = dout * self.params["gamma"].reshape(self.bshape)
        if not self._train:  # fixed statistics: an affine map
            return dxhat * self._inv_std
        m = dout.size // dout.shape[1]
        return (self._inv_std / m) * (m * dxhat - dxhat.sum(axis=ax, keepdims=True)
                                      - xhat * xp.sum(dxhat * xhat, axis=ax, keepdims=True))


class Residual(Layer):
    """Residual block ``y = x + F(x)`` where F is a list of layers that keeps the shape.

    Its sub-layers' parameters are named ``residual0.conv0.W`` etc.
    """

    kind = "residual"

    def __init__(self, layers):
        super().__init__()
        self.layers = check_layers(layers)

    def children(self):
        return self.layers

    def _build(self, input_shape):
        shape = input_shape
        for layer in self.layers:
            shape = layer.build(shape)
        if shape != tuple(input_shape):
            raise ValueError(f"Residual: the branch maps shape {tuple(input_shape)} to {shape}; "
                             "a residual add needs them equal")
        self.input_shape = self.output_shape = shape
        return shape

    def _init_params(self, rng):
        for layer in self.layers:
            layer.init_params(rng)

    def _forward(self, x, train=False):
        out = x
        for layer in self.layers:
            out = layer._forward(out, train)
        return x + out

    def _backward(self, dout):
        d = dout
        for layer in reversed(self.layers):
            d = layer._backward(d)
        return dout + d
