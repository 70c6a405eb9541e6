"""``Sequential``: a stack of layers whose parameters live in one flat vector."""
from __future__ import annotations

import numpy as np

from .._checks import as_rng, check_choice, check_finite
from .layers import Dense, Flatten, Layer
from .losses import LOSSES

__all__ = ["Sequential"]


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
    rng, seed :
        Initial weights (and dropout masks) are drawn from this Generator/seed.

    Notes
    -----
    Inputs: a batch ``x`` of shape ``(n, *input_shape)``. Images ``(n, H, W)`` are
    accepted where ``input_shape = (1, H, W)``, and a model that begins by
    flattening (``Flatten`` or ``Dense`` first) accepts ``(n, d)`` or ``(n, H, W)``
    with the same number of entries per sample.
    """

    def __init__(self, layers, *, input_shape, dtype=np.float64, rng=None, seed=None):
        self.layers = list(layers)
        if not self.layers or not all(isinstance(l, Layer) for l in self.layers):
            raise TypeError("layers must be a non-empty list of Layer objects")
        self.dtype = np.dtype(dtype)
        if self.dtype not in (np.float32, np.float64):
            raise TypeError(f"dtype must be float32 or float64, got {self.dtype}")
        try:
            self.input_shape = tuple(int(s) for s in input_shape)
        except TypeError:
            raise TypeError(f"input_shape must be a tuple of ints, got {input_shape!r}") from None
        if not self.input_shape or min(self.input_shape) < 1:
            raise ValueError(f"input_shape must be a non-empty tuple of positive ints, got "
                             f"{input_shape!r}")
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
        for _, sl, pshape, layer, suffix in self._slices:
            layer.params[suffix] = self._params[sl].reshape(pshape)
            layer.grads[suffix] = self._grad[sl].reshape(pshape)
        rng = as_rng(rng, seed)
        for _, layer in self._named:
            layer.init_params(rng)
        self.reseed(rng)

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

    def set_params(self, flat) -> None:
        """Copy ``flat`` (1-D, ``n_params`` long, finite) into the parameter vector."""
        flat = np.asarray(flat)
        if flat.shape != self._params.shape:
            raise ValueError(f"params must have shape {self._params.shape}, got {flat.shape}")
        check_finite(flat, "params")
        self._params[...] = flat

    def param_views(self) -> list:
        """``[(name, view)]`` per weight tensor, e.g. ``("dense0.W", W)``; views write through."""
        return [(name, layer.params[suffix]) for name, _, _, layer, suffix in self._slices]

    def param_slices(self) -> list:
        """``[(name, slice)]``: where each weight tensor sits in the flat vector."""
        return [(name, sl) for name, sl, *_ in self._slices]

    def reseed(self, rng=None, *, seed=None) -> None:
        """Reset the random streams of stochastic layers (dropout) from ``rng``/``seed``."""
        rng = as_rng(rng, seed)
        for _, layer in self._named:
            if hasattr(layer, "rng"):
                layer.rng = np.random.default_rng(rng.integers(2 ** 63))

    # ---- checked inputs ----------------------------------------------------------
    @property
    def flattens(self) -> bool:
        return isinstance(self.layers[0], (Flatten, Dense))

    def check_inputs(self, x, name="x") -> np.ndarray:
        """``x`` as a ``(n, *input_shape)`` array of the model's dtype, or ``ValueError``."""
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
        return arr

    def check_targets(self, y, n, loss="cross_entropy", name="y") -> np.ndarray:
        """Labels (``cross_entropy``) or targets (``squared``) for ``n`` samples, or ``ValueError``."""
        check_choice(loss, "loss", LOSSES)
        arr = np.asarray(y)
        if arr.shape[:1] != (n,):
            raise ValueError(f"{name} must have {n} entries (one per sample), got shape {arr.shape}")
        k = self.output_shape[0]
        if loss == "cross_entropy" or np.issubdtype(arr.dtype, np.integer):
            if arr.ndim != 1 or not (np.issubdtype(arr.dtype, np.integer)
                                     or (np.issubdtype(arr.dtype, np.floating)
                                         and np.all(np.isfinite(arr)) and np.all(arr == np.round(arr)))):
                raise ValueError(f"{name} must be integer class labels of shape (n,), got dtype "
                                 f"{arr.dtype} and shape {arr.shape}")
            arr = arr.astype(np.int64)
            if arr.min() < 0 or arr.max() >= k:
                raise ValueError(f"{name} must be labels in [0, {k}), got values in "
                                 f"[{arr.min()}, {arr.max()}]")
            return arr
        arr = np.asarray(arr, dtype=self.dtype)
        if arr.size != n * k:
            raise ValueError(f"{name} must have shape ({n}, {k}), got {arr.shape}")
        check_finite(arr, name)
        return arr.reshape(n, k)

    # ---- passes ------------------------------------------------------------------
    def _forward(self, x, train):
        for layer in self.layers:
            x = layer.forward(x, train)
        return x

    def _backward(self, dout):
        for layer in reversed(self.layers[self._first:]):
            dout = layer.backward(dout)

    def forward(self, x, *, train=False) -> np.ndarray:
        """The network's outputs (logits) ``(n, n_outputs)`` for a batch ``x``."""
        return self._forward(self.check_inputs(x), train)

    def _loss_and_grad(self, x, y, loss="cross_entropy"):
        """Unchecked: (loss, grad buffer (not a copy), outputs)."""
        out = self._forward(x, True)
        value, dout = LOSSES[loss](out, y)
        self._backward(dout)
        return value, self._grad, out

    def loss_and_grad(self, x, y, *, loss="cross_entropy"):
        """Minibatch mean loss and its gradient w.r.t. the flat parameter vector.

        The forward pass runs in training mode (dropout on, batch statistics).

        Returns
        -------
        loss : float
        grad : 1-D ndarray, like ``params`` (a fresh array).
        """
        x = self.check_inputs(x)
        y = self.check_targets(y, x.shape[0], loss)
        value, grad, _ = self._loss_and_grad(x, y, loss)
        return value, grad.copy()

    def _predict_outputs(self, x, batch_size=1024):
        return np.concatenate([self._forward(x[i:i + batch_size], False)
                               for i in range(0, x.shape[0], batch_size)])

    def predict(self, x) -> np.ndarray:
        """Predicted class labels (argmax of the outputs, evaluation mode)."""
        return self._predict_outputs(self.check_inputs(x)).argmax(axis=1)

    def error(self, x, y) -> float:
        """Fraction of ``x`` misclassified (evaluation mode)."""
        x = self.check_inputs(x)
        y = self.check_targets(y, x.shape[0])
        return float(np.mean(self._predict_outputs(x).argmax(axis=1) != y))

    def __repr__(self):
        lines = [f"Sequential(input_shape={self.input_shape}, n_params={self.n_params}, "
                 f"dtype={self.dtype.name})"]
        lines += [f"  {name}: {layer!r}" for name, layer in self._named]
        return "\n".join(lines)
