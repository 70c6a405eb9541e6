"""``Sequential``: a stack of layers whose parameters live in one flat vector."""
from __future__ import annotations

import functools

import numpy as np

from .._checks import (as_float_array, as_rng, check_bool, check_finite, check_integer,
                       check_labels, check_option)
from .._xp import is_device_array, like, namespace, to_namespace
from . import _device
from .activations import Activation
from .layers import (AvgPool2D, Conv2D, Dense, Flatten, GlobalAvgPool2D, Layer, MaxPool2D,
                     check_layers, check_output, check_sample_shape)
from .losses import _KERNELS, LOSSES

__all__ = ["Sequential"]

# layers whose output and gradients for a sample depend on that sample alone, with no random
# stream (not Dropout) nor batch statistics (not BatchNorm): a batch may be split among them
_PER_SAMPLE = (Activation, AvgPool2D, Conv2D, Dense, Flatten, GlobalAvgPool2D, MaxPool2D)


def _walk(layers, prefix=""):
    """(name, layer) for every layer, containers first, named by kind and index."""
    counts: dict[str, int] = {}
    out = []
    for layer in layers:
        k = counts.get(layer.kind, 0)
        counts[layer.kind] = k + 1
        name = f"{prefix}{layer.kind}{k}"
        out.append((name, layer))
        out += _walk(layer.children(), prefix=name + ".")
    return out


def check_dtype(dtype, name: str = "dtype") -> np.dtype:
    """float32 or float64 (``None`` and other types are refused, not defaulted)."""
    try:
        dt = None if dtype is None else np.dtype(dtype)
    except TypeError:
        dt = None
    if dt is None or dt not in (np.float32, np.float64):
        raise TypeError(f"{name} must be float32 or float64, got {dtype!r}")
    return dt


def check_model(model, name: str = "model"):
    """A :class:`Sequential` (None, a string or another object is a ``TypeError``)."""
    if not isinstance(model, Sequential):
        raise TypeError(f"{name} must be a pdeopt.nn.Sequential, got {type(model).__name__}")
    return model


class Sequential:
    """A feed-forward network: layers applied in order, parameters in one flat vector.

    ``model.params`` is a 1-D array holding every weight of every layer; each
    layer's ``params[...]`` are views into it, so ``model.params -= lr * grad``
    (or any proximal step, projection or noise on the whole vector) changes the
    network in one line.

    Parameters
    ----------
    layers : list of Layer
    input_shape : tuple of int
        Per-sample input shape: ``(d,)``, ``(H, W)`` or ``(C, H, W)``.
    dtype : numpy float dtype
        ``float64`` (default) or ``float32``; inputs are cast to it.
    rng : None, int or numpy.random.Generator
        Initial weights (and the dropout masks' streams) are drawn from it.

    Notes
    -----
    A model is built on the host; ``model.to("cuda")`` moves its parameters (and batch-norm
    statistics) to the GPU as CuPy arrays, where every pass then runs: products on cuBLAS,
    convolution and pooling windows as CuPy gathers (:mod:`pdeopt.nn._device`). Inputs may
    be host or device arrays wherever the model is; per-sample results (``forward``,
    ``features``, ``predict``) come back as the kind of array given, while ``params`` and
    gradients are arrays of the model's device. Dropout masks on the GPU come from CuPy's
    generator, seeded from the model's host stream: a GPU run is reproducible from its seed,
    but its masks are not the CPU's.


    Inputs: a batch ``x`` of shape ``(n, *input_shape)``. Images ``(n, H, W)`` are
    accepted where ``input_shape = (1, H, W)``, and a model that begins by
    flattening (``Flatten`` or ``Dense`` first) accepts ``(n, d)`` or ``(n, H, W)``
    with the same number of entries per sample.

    Examples
    --------
    >>> import numpy as np
    >>> from pdeopt.nn import Sequential, Dense, ReLU, Flatten
    >>> net = Sequential([Flatten(), Dense(16), ReLU(), Dense(10)], input_shape=(8, 8), rng=0)
    >>> x, y = np.random.default_rng(0).random((4, 8, 8)), np.array([0, 1, 2, 3])
    >>> loss, grad = net.loss_and_grad(x, y)
    >>> net.params -= 0.1 * grad                   # one SGD step on every layer at once
    >>> [name for name, _ in net.param_views()]
    ['dense0.W', 'dense0.b', 'dense1.W', 'dense1.b']
    """

    def __init__(self, layers, *, input_shape, dtype=np.float64, rng=None):
        self.layers = check_layers(layers)
        self.dtype = check_dtype(dtype)
        self.input_shape = check_sample_shape(input_shape)
        rng = as_rng(rng)
        shape = self.input_shape
        for layer in self.layers:
            shape = layer.build(shape)
        self.output_shape = shape
        # backward stops at the first layer with parameters: nothing below needs ∂L/∂x
        has_params = [any(l.param_specs for _, l in _walk([layer])) for layer in self.layers]
        self._first = has_params.index(True) if any(has_params) else len(self.layers)
        if self._first < len(self.layers):
            self.layers[self._first].need_input_grad = False

        # one flat vector; every layer gets views into it (and into the gradient buffer)
        self._named = _walk(self.layers)
        self._slices: list[tuple[str, slice, tuple, Layer, str]] = []
        offset = 0
        for name, layer in self._named:
            for suffix, pshape in layer.param_specs:
                size = int(np.prod(pshape))
                self._slices.append((f"{name}.{suffix}", slice(offset, offset + size), pshape,
                                     layer, suffix))
                offset += size
        self._params = np.zeros(offset, dtype=self.dtype)
        self._grad = np.zeros(offset, dtype=self.dtype)
        self._bind()
        for _, layer in self._named:
            layer.init_params(rng)
        self.reseed(rng)

    # ---- where the parameters live ----------------------------------------------
    @property
    def _xp(self):
        return namespace(self._params)

    @property
    def device(self) -> str:
        """``"cpu"`` or ``"cuda"``: where the parameters live (see :meth:`to`)."""
        return _device.device_of(self._xp)

    def to(self, device) -> "Sequential":
        """Move the model to ``device`` (``"cpu"`` or ``"cuda"``) and return it.

        The flat parameter vector is copied once (the layers' views are re-pointed), with
        the batch-norm running statistics; the dropout layers get a generator of the new
        device, seeded from their current stream. ``"cuda"`` needs CuPy
        (:class:`pdeopt.BackendUnavailableError` otherwise: ``pip install pdeopt[gpu]``).

        Examples
        --------
        >>> from pdeopt.nn import mlp
        >>> mlp([8], input_shape=(4,), rng=0).to("cpu").device
        'cpu'
        """
        xp = _device.array_module(device)
        if xp is self._xp:
            return self
        self._params = to_namespace(self._params, xp)
        self._grad = xp.zeros_like(self._params)
        self._bind()
        for _, layer in self._named:
            layer._to(xp)
            if hasattr(layer, "rng"):
                # 2⁶² keeps the bound inside int64 for CuPy's generator too (moving back)
                layer.rng = _device.generator(xp, int(layer.rng.integers(2 ** 62)))
        return self

    def _bind(self):
        """Point every layer's parameter and gradient dicts at slices of the flat vectors."""
        for _, sl, pshape, layer, suffix in self._slices:
            layer.params[suffix] = self._params[sl].reshape(pshape)
            layer.grads[suffix] = self._grad[sl].reshape(pshape)
        self._replicas = None   # the batch split's copies of the layers: made again

    def __getstate__(self):
        # the batch split's layer copies are scratch, made again when needed
        return {k: v for k, v in self.__dict__.items() if k not in ("_replicas", "_splittable")}

    def __setstate__(self, state):
        # copying or unpickling turns the views into separate arrays: re-point them
        self.__dict__.update(state)
        self._bind()

    def copy(self) -> "Sequential":
        """An independent deep copy (its own flat vector, layers and random streams)."""
        import copy
        return copy.deepcopy(self)

    # ---- the flat parameter vector ------------------------------------------------
    @property
    def params(self) -> np.ndarray:
        """The flat parameter vector (a live array: writing into it changes the model)."""
        return self._params

    @params.setter
    def params(self, value):
        if value is not self._params:  # ``model.params -= g`` reassigns the same array
            self.set_params(value)

    @property
    def n_params(self) -> int:
        return self._params.size

    def get_params(self) -> np.ndarray:
        """A copy of the flat parameter vector."""
        return self._params.copy()

    def set_params(self, params) -> None:
        """Copy ``params`` (1-D, ``n_params`` long, finite; host or device) into the
        parameter vector."""
        if is_device_array(params):
            params = to_namespace(params, self._xp)
            if not _device.all_finite(params):
                raise ValueError("params contains NaN or inf value(s)")
        else:
            params = to_namespace(as_float_array(params, "params", ndim=1), self._xp)
        if params.shape != self._params.shape:
            raise ValueError(f"params must have shape {self._params.shape}, got {params.shape}")
        self._params[...] = params

    def param_views(self) -> list:
        """``[(name, view)]`` per weight tensor, e.g. ``("dense0.W", W)``; views write through."""
        return [(name, layer.params[suffix]) for name, _, _, layer, suffix in self._slices]

    def param_slices(self) -> list:
        """``[(name, slice)]``: where each weight tensor sits in the flat vector."""
        return [(name, sl) for name, sl, *_ in self._slices]

    def reseed(self, rng=None) -> None:
        """Reset the random streams of stochastic layers (dropout) from ``rng``."""
        rng = as_rng(rng)
        for _, layer in self._named:
            if hasattr(layer, "rng"):
                layer.rng = _device.generator(self._xp, int(rng.integers(2 ** 63)))

    # ---- checked inputs ----------------------------------------------------------
    @property
    def flattens(self) -> bool:
        return isinstance(self.layers[0], (Flatten, Dense))

    def check_inputs(self, x, name="x") -> np.ndarray:
        """``x`` as a ``(n, *input_shape)`` array of the model's dtype on the model's device
        (moved there once if it is not), or ``ValueError``."""
        if is_device_array(x):
            return self._check_device_inputs(x, name)
        arr = np.asarray(x)
        if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
            raise TypeError(f"{name} must be a numeric array, got dtype {arr.dtype}")
        shape = arr.shape[1:]
        ok = arr.ndim >= 2 and arr.shape[0] > 0 and (
            shape == self.input_shape
            or (len(self.input_shape) == 3 and self.input_shape[0] == 1
                and shape == self.input_shape[1:])
            or (self.flattens and int(np.prod(shape)) == int(np.prod(self.input_shape))))
        if not ok:
            raise ValueError(f"{name} must have shape (n, {', '.join(map(str, self.input_shape))})"
                             f" for this model, got {arr.shape}")
        arr = np.ascontiguousarray(arr, dtype=self.dtype).reshape(arr.shape[0], *self.input_shape)
        check_finite(arr, name)
        return to_namespace(arr, self._xp)

    def _check_device_inputs(self, x, name):
        """check_inputs for a device array: the same tests, run where it lives."""
        dtype = np.dtype(x.dtype)
        if not (np.issubdtype(dtype, np.number) or dtype == bool):
            raise TypeError(f"{name} must be a numeric array, got dtype {dtype}")
        shape = tuple(x.shape)
        ok = len(shape) >= 2 and shape[0] > 0 and (
            shape[1:] == self.input_shape
            or (len(self.input_shape) == 3 and self.input_shape[0] == 1
                and shape[1:] == self.input_shape[1:])
            or (self.flattens and int(np.prod(shape[1:])) == int(np.prod(self.input_shape))))
        if not ok:
            raise ValueError(f"{name} must have shape (n, {', '.join(map(str, self.input_shape))})"
                             f" for this model, got {shape}")
        xp = self._xp
        arr = xp.ascontiguousarray(to_namespace(x, xp), dtype=self.dtype)
        arr = arr.reshape(shape[0], *self.input_shape)
        if not _device.all_finite(arr):
            raise ValueError(f"{name} contains NaN or inf value(s)")
        return arr

    def check_targets(self, y, n, loss="cross_entropy", name="y", x_name="x") -> np.ndarray:
        """Labels (``cross_entropy``) or targets (``squared``) for the ``n`` samples of
        ``x_name``, or ``ValueError``/``TypeError``."""
        check_option(loss, "loss", LOSSES)
        # labels are checked on the host (device labels come over once) and live with the model
        return to_namespace(self._check_host_targets(to_namespace(y, np), n, loss, name, x_name),
                            self._xp)

    def _check_host_targets(self, y, n, loss, name, x_name):
        arr = np.asarray(y)
        if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
            raise TypeError(f"{name} must be numeric labels or targets, got dtype {arr.dtype}")
        if arr.shape[:1] != (n,):
            raise ValueError(f"{x_name} and {name} must have the same number of samples: "
                             f"{name} must have {n} entries, got shape {arr.shape}")
        k = self.output_shape[0]
        # squared loss: integer labels mean one-hot targets, except for a single output
        if loss == "cross_entropy" or (np.issubdtype(arr.dtype, np.integer) and k > 1):
            return check_labels(arr, name, n_classes=k, size=n)
        arr = as_float_array(arr, name, dtype=self.dtype)
        if arr.size != n * k:
            raise ValueError(f"{name} must have shape ({n}, {k}), got {arr.shape}")
        return arr.reshape(n, k)

    # ---- passes ------------------------------------------------------------------
    def _forward(self, x, train):
        for layer in self.layers:
            x = layer._forward(x, train)
        return x

    def _backward(self, dout):
        for layer in reversed(self.layers[self._first:]):
            dout = layer._backward_owned(dout)   # each dout is a temporary of this pass

    def forward(self, x, *, train=False) -> np.ndarray:
        """The network's outputs (logits) ``(n, n_outputs)`` for a batch ``x``."""
        out = check_output(self._forward(self.check_inputs(x), check_bool(train, "train")))
        return like(out, x)

    def features(self, x, *, upto=-1, train=False) -> np.ndarray:
        """The activations entering layer ``upto`` (default: the last layer's input,
        i.e. the penultimate features that a replacement output layer would see)."""
        upto = check_integer(upto, "upto")
        if not -len(self.layers) <= upto <= len(self.layers):
            raise ValueError(f"upto must be a layer index in [-{len(self.layers)}, "
                             f"{len(self.layers)}], got {upto}")
        train = check_bool(train, "train")
        out = self.check_inputs(x)
        for layer in self.layers[:upto]:
            out = layer._forward(out, train)
        return like(out, x)

    def _loss_and_grad(self, x, y, loss="cross_entropy"):
        """Unchecked: (loss, grad buffer (not a copy), outputs)."""
        parts = self._batch_parts(x)
        if parts > 1:
            return self._split_loss_and_grad(x, y, loss, parts)
        out = self._forward(x, True)
        value, dout = _KERNELS[loss](out, y)
        self._backward(dout)
        return value, self._grad, out

    # ---- a batch split across cores ------------------------------------------------
    #: ``"auto"``: a float32 convolutional network on the host whose layers all treat
    #: samples independently splits a batch of ≥ 32 samples per part across the kernels'
    #: threads (``compiled_threads``), each part through its own copy of the layers with
    #: BLAS on one thread; ``False``: never. In float64 the split was slower (LeNet, batch
    #: 128, 2 cores: 63 ms against 50 ms unsplit; float32: 21 ms against 31 ms): side by
    #: side the parts' convolutions ran ~1.45× slower than alone in both precisions, which
    #: float32's savings outweigh and float64's do not. The parts' gradients add
    #: in another order than one product's, so a step differs from the unsplit one by
    #: rounding (float32: ~1e-7 relative), for a given number of threads always alike.
    batch_split = "auto"

    def _batch_parts(self, x):
        if (self.batch_split is False or self._xp is not np or self.dtype != np.float32
                or not self._splittable):
            return 1
        from pdeopt.kernels.nn import batch_parts
        return max(1, min(batch_parts(), x.shape[0] // 32))

    @functools.cached_property
    def _splittable(self) -> bool:
        """Every layer per-sample, and a convolution among them (where the split pays)."""
        return (all(isinstance(layer, _PER_SAMPLE) for layer in self.layers)
                and any(isinstance(layer, Conv2D) for layer in self.layers))

    def _split_loss_and_grad(self, x, y, loss, parts):
        import copy

        from pdeopt._threads import blas_single_thread
        from pdeopt.kernels.nn import run_parts
        replicas = self.__dict__.get("_replicas") or []
        while len(replicas) < parts - 1:   # the layers again, sharing the parameters
            grad = np.zeros_like(self._grad)
            layers = []
            for layer in self.layers:
                twin = copy.copy(layer)
                for name in [a for a in vars(twin) if a.endswith("_buf")]:
                    delattr(twin, name)                    # scratch of its own
                twin.grads = {}
                layers.append(twin)
            index = {id(layer): k for k, layer in enumerate(self.layers)}
            for _, sl, pshape, layer, suffix in self._slices:
                layers[index[id(layer)]].grads[suffix] = grad[sl].reshape(pshape)
            replicas.append((layers, grad))
        self._replicas = replicas
        n = x.shape[0]
        bounds = [n * k // parts for k in range(parts + 1)]
        stacks = [self.layers] + [layers for layers, _ in replicas[:parts - 1]]

        def part(k):
            lo, hi = bounds[k], bounds[k + 1]
            out = x[lo:hi]
            for layer in stacks[k]:
                out = layer._forward(out, True)
            value, dout = _KERNELS[loss](out, y[lo:hi])
            dout *= dout.dtype.type((hi - lo) / n)      # the part's share of the mean
            for layer in reversed(stacks[k][self._first:]):
                dout = layer._backward_owned(dout)
            return value * (hi - lo) / n, out

        with blas_single_thread():
            results = run_parts(part, parts)
        for _, grad in replicas[:parts - 1]:
            self._grad += grad
        value = sum(v for v, _ in results)
        return value, self._grad, np.concatenate([o for _, o in results])

    def loss_and_grad(self, x, y, *, loss="cross_entropy"):
        """Minibatch mean loss and its gradient w.r.t. the flat parameter vector.

        The forward pass runs in training mode (dropout on, batch statistics).

        Returns
        -------
        loss : float
        grad : 1-D ndarray, like ``params`` (a fresh array, on the model's device).
        """
        x = self.check_inputs(x)
        y = self.check_targets(y, x.shape[0], loss)
        value, grad, _ = self._loss_and_grad(x, y, loss)
        check_output(self._xp.append(grad, value))
        return float(value), grad.copy()

    def _predict_outputs(self, x, batch_size=1024):
        return namespace(x).concatenate([self._forward(x[i:i + batch_size], False)
                                         for i in range(0, x.shape[0], batch_size)])

    def predict(self, x) -> np.ndarray:
        """Predicted class labels (argmax of the outputs, evaluation mode), as the kind of
        array ``x`` is."""
        out = check_output(self._predict_outputs(self.check_inputs(x))).argmax(axis=1)
        return like(out, x)

    def error(self, x, y) -> float:
        """Fraction of ``x`` misclassified (evaluation mode)."""
        x = self.check_inputs(x)
        y = self.check_targets(y, x.shape[0])
        return float((check_output(self._predict_outputs(x)).argmax(axis=1) != y).mean())

    def __repr__(self):
        on = "" if self._xp is np else f", device={self.device!r}"
        lines = [f"Sequential(input_shape={self.input_shape}, n_params={self.n_params}, "
                 f"dtype={self.dtype.name}{on})"]
        lines += [f"  {name}: {layer!r}" for name, layer in self._named]
        return "\n".join(lines)
