"""Gradient checks: backward passes against central finite differences.

A central difference (f(θ + εe) − f(θ − εe))/(2ε) has truncation error
O(ε² f‴) and rounding error O(u |f|/ε) (u the unit round-off); with ε = 1e-6 in
float64 both are ~1e-10 relative, far below the 1e-6 a correct backward pass
must reach.
"""
from __future__ import annotations

import numpy as np

from .._checks import (as_float_array, as_rng, check_bool, check_callable, check_integer,
                       check_positive)
from .layers import Layer, check_sample_shape
from .model import check_dtype, check_model

__all__ = ["relative_error", "build_layer", "layer_gradient_check", "gradient_check",
           "central_difference"]


def relative_error(a, b) -> float:
    """``|a − b| / max(|a|, |b|)`` in the Euclidean norm (0 when both vanish).

    Examples
    --------
    >>> round(relative_error([1.0, 0.0], [1.0, 1e-3]), 6)
    0.001
    """
    a = as_float_array(a, "a", allow_empty=True).ravel()
    b = as_float_array(b, "b", allow_empty=True).ravel()
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same number of entries, got {a.size} and "
                         f"{b.size}")
    scale = max(np.linalg.norm(a), np.linalg.norm(b))
    return 0.0 if scale == 0 else float(np.linalg.norm(a - b) / scale)


def _seed_of(rng) -> int:
    """The integer seed of a check: an int is used as is; a Generator (or None) draws one.

    A check re-creates the same random streams (dropout masks, probe weights) from it
    before every evaluation, so every difference quotient sees the same function.
    """
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
        as_rng(rng)  # refuses a negative seed, naming rng
        return int(rng)
    return int(as_rng(rng).integers(2 ** 31))


def build_layer(layer, input_shape, *, dtype=np.float64, rng=None):
    """Build a stand-alone ``layer`` for per-sample ``input_shape``, with its own
    parameter and gradient arrays, initialised from ``rng``; returns it.

    Examples
    --------
    >>> from pdeopt.nn import Conv2D
    >>> conv = build_layer(Conv2D(4, 3), (1, 8, 8), rng=0)
    >>> conv.output_shape, conv.params["W"].shape
    ((4, 6, 6), (4, 1, 3, 3))
    """
    if not isinstance(layer, Layer):
        raise TypeError(f"layer must be a pdeopt.nn Layer, got {type(layer).__name__}")
    dtype = check_dtype(dtype)
    rng = as_rng(rng)
    layer.build(check_sample_shape(input_shape))
    stack = [layer]
    while stack:
        lay = stack.pop()
        for suffix, shape in lay.param_specs:
            lay.params[suffix] = np.zeros(shape, dtype=dtype)
            lay.grads[suffix] = np.zeros(shape, dtype=dtype)
        stack += lay.children()
    layer.init_params(rng)
    return layer


def central_difference(f, arr, eps=1e-6):
    """Central-difference gradient of the scalar ``f()`` w.r.t. every entry of ``arr``.

    ``arr`` is the float array that ``f`` reads; each entry is moved to ``a ± eps`` in
    place (and restored), and ``(f(a + ε) − f(a − ε))/(2ε)`` is its partial derivative.
    The project's one central-difference routine: :func:`gradient_check`,
    :func:`layer_gradient_check` and ``pdeopt.testing.assert_gradient`` use it.

    Examples
    --------
    >>> import numpy as np
    >>> a = np.array([1.0, 2.0])
    >>> central_difference(lambda: float(np.sum(a ** 2)), a).round(6).tolist()
    [2.0, 4.0]
    """
    check_callable(f, "f")
    if not isinstance(arr, np.ndarray) or not np.issubdtype(arr.dtype, np.floating):
        raise TypeError(f"arr must be a float numpy array (perturbed in place), got "
                        f"{type(arr).__name__}")
    eps = check_positive(eps, "eps")
    grad = np.zeros(arr.shape)
    flat, gflat = arr.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + eps
        fp = f()
        flat[i] = old - eps
        fm = f()
        flat[i] = old
        gflat[i] = (fp - fm) / (2 * eps)
    return grad


def _directional(f, theta, grad, directions, eps):
    """Directional derivatives ``g·v`` vs ``(f(θ + εv) − f(θ − εv))/(2ε)`` along unit v.

    ``theta`` is changed in place during the evaluations and restored at the end.
    """
    base = theta.copy()
    analytic, numeric = [], []
    try:
        for v in directions:
            theta[...] = base + eps * v
            fp = f()
            theta[...] = base - eps * v
            fm = f()
            numeric.append((fp - fm) / (2 * eps))
            analytic.append(grad @ v)
    finally:
        theta[...] = base
    return relative_error(np.array(analytic), np.array(numeric))


def _all_params(layer, prefix=""):
    out = [(prefix + s, layer.params[s], layer.grads[s]) for s, _ in layer.param_specs]
    for i, child in enumerate(layer.children()):
        out += _all_params(child, f"{prefix}{i}.")
    return out


def _reseed(layer, seed):
    if hasattr(layer, "rng"):
        layer.rng = np.random.default_rng(seed)
    for child in layer.children():
        _reseed(child, seed)


def layer_gradient_check(layer, x, *, train=True, eps=1e-6, rng=0) -> dict:
    """Relative errors of a built layer's backward pass vs central differences.

    The scalar checked is ``L = Σ forward(x) ⊙ R`` for a fixed random R, so
    ``backward(R)`` must return ∂L/∂x and store ∂L/∂θ; each entry is compared with
    ``(L(θ + εe) − L(θ − εe))/(2ε)``. Random layers (dropout) are reseeded from
    ``rng`` before every evaluation, so they see the same mask.

    Returns
    -------
    dict
        ``{"x": err, "<param>": err, ...}``.

    Examples
    --------
    >>> import numpy as np
    >>> from pdeopt.nn import Dense, build_layer
    >>> layer = build_layer(Dense(3), (4,), rng=0)
    >>> errors = layer_gradient_check(layer, np.ones((2, 4)))
    >>> sorted(errors), max(errors.values()) < 1e-8
    (['W', 'b', 'x'], True)
    """
    if not isinstance(layer, Layer):
        raise TypeError(f"layer must be a pdeopt.nn Layer, got {type(layer).__name__}")
    train = check_bool(train, "train")
    eps = check_positive(eps, "eps")
    seed = _seed_of(rng)
    layer._require_params()
    x = np.array(layer._check_batch(x, "x", layer.input_shape), dtype=np.float64)
    _reseed(layer, seed)
    out = layer.forward(x, train)
    weights = np.random.default_rng(seed + 1).standard_normal(out.shape)

    def loss():
        _reseed(layer, seed)
        return float(np.sum(layer._forward(x, train) * weights))

    loss()
    layer.need_input_grad = True
    dx = layer._backward(weights.copy())
    errors = {"x": relative_error(dx, central_difference(loss, x, eps))}
    analytic = {name: g.copy() for name, _, g in _all_params(layer)}
    for name, p, _ in _all_params(layer):
        errors[name] = relative_error(analytic[name], central_difference(loss, p, eps))
    return errors


def gradient_check(model, x, y, *, loss="cross_entropy", n_directions=None, eps=1e-6,
                   rng=0) -> float:
    """Relative error of ``model.loss_and_grad`` vs central finite differences.

    With ``n_directions=None`` every coordinate of the flat parameter vector is
    perturbed (small models); otherwise the directional derivatives ``g·v`` along
    ``n_directions`` random unit directions v (drawn from ``rng``) are compared with
    ``(L(θ + εv) − L(θ − εv))/(2ε)``. Dropout masks are the same in every evaluation.
    The central difference has truncation error O(ε²) and rounding error O(u/ε); with
    ε = 1e-6 in float64 both are ~1e-10 relative, so a correct backward pass gives
    far below 1e-6 and a wrong one O(1).

    Examples
    --------
    >>> import numpy as np
    >>> from pdeopt.nn import mlp
    >>> model = mlp([5], activation="tanh", input_shape=(3,), n_classes=2, rng=0)
    >>> x, y = np.random.default_rng(1).random((4, 3)), np.array([0, 1, 1, 0])
    >>> gradient_check(model, x, y) < 1e-8
    True
    """
    model = check_model(model)
    eps = check_positive(eps, "eps")
    if n_directions is not None:
        n_directions = check_integer(n_directions, "n_directions", minimum=1)
    seed = _seed_of(rng)
    x = model.check_inputs(x)
    y = model.check_targets(y, x.shape[0], loss)

    def value():
        model.reseed(seed)
        return model._loss_and_grad(x, y, loss)[0]

    model.reseed(seed)
    _, grad, _ = model._loss_and_grad(x, y, loss)
    grad = grad.copy()
    if n_directions is None:
        theta = model.get_params()
        try:
            return relative_error(grad, central_difference(value, model.params, eps))
        finally:
            model.params[...] = theta
    rng = np.random.default_rng(seed)
    directions = []
    for _ in range(n_directions):
        v = rng.standard_normal(model.n_params)
        directions.append(v / np.linalg.norm(v))
    return _directional(value, model.params, grad, directions, eps)
