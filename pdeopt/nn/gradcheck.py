"""Gradient checks: backward passes against central finite differences.

A central difference (f(θ + εe) − f(θ − εe))/(2ε) has truncation error
O(ε² f‴) and rounding error O(u |f|/ε) (u the unit round-off); with ε = 1e-6 in
float64 both are ~1e-10 relative, far below the 1e-6 a correct backward pass
must reach.
"""
from __future__ import annotations

import numpy as np

from .._checks import as_rng

__all__ = ["relative_error", "build_layer", "layer_gradient_check", "gradient_check"]


def relative_error(a, b) -> float:
    """``|a − b| / max(|a|, |b|)`` in the Euclidean norm (0 when both vanish)."""
    a, b = np.ravel(a), np.ravel(b)
    scale = max(np.linalg.norm(a), np.linalg.norm(b))
    return 0.0 if scale == 0 else float(np.linalg.norm(a - b) / scale)


def build_layer(layer, input_shape, *, dtype=np.float64, rng=None, seed=None):
    """Build a stand-alone ``layer`` for per-sample ``input_shape``, with its own
    parameter and gradient arrays, initialised from ``rng``/``seed``; returns it."""
    layer.build(tuple(input_shape))
    stack = [layer]
    while stack:
        lay = stack.pop()
        for suffix, shape in lay.param_specs:
            lay.params[suffix] = np.zeros(shape, dtype=dtype)
            lay.grads[suffix] = np.zeros(shape, dtype=dtype)
        stack += lay.children()
    layer.init_params(as_rng(rng, seed))
    return layer


def _central(f, arr, eps):
    """Central-difference gradient of the scalar f() w.r.t. every entry of arr (in place)."""
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


def layer_gradient_check(layer, x, *, train=True, eps=1e-6, seed=0) -> dict:
    """Relative errors of a built layer's backward pass vs central differences.

    The scalar checked is ``L = Σ forward(x) ⊙ R`` for a fixed random R, so
    ``backward(R)`` must return ∂L/∂x and store ∂L/∂θ. Random layers (dropout) are
    reseeded before every evaluation, so they see the same mask.

    Returns
    -------
    dict
        ``{"x": err, "<param>": err, ...}``.
    """
    x = np.array(x, dtype=np.float64)
    _reseed(layer, seed)
    out = layer.forward(x, train)
    weights = np.random.default_rng(seed + 1).standard_normal(out.shape)

    def loss():
        _reseed(layer, seed)
        return float(np.sum(layer.forward(x, train) * weights))

    loss()
    layer.need_input_grad = True
    dx = layer.backward(weights.copy())
    errors = {"x": relative_error(dx, _central(loss, x, eps))}
    analytic = {name: g.copy() for name, _, g in _all_params(layer)}
    for name, p, _ in _all_params(layer):
        errors[name] = relative_error(analytic[name], _central(loss, p, eps))
    return errors


def gradient_check(model, x, y, *, loss="cross_entropy", n_directions=None, eps=1e-6,
                   seed=0) -> float:
    """Relative error of ``model.loss_and_grad`` vs central finite differences.

    With ``n_directions=None`` every coordinate of the flat parameter vector is
    perturbed (small models); otherwise the directional derivatives ``g·v`` along
    ``n_directions`` random unit directions v are compared with
    ``(L(θ + εv) − L(θ − εv))/(2ε)``. Dropout masks are the same in every evaluation.
    """
    theta = model.get_params()

    def value():
        model.reseed(seed=seed)
        return model.loss_and_grad(x, y, loss=loss)[0]

    model.reseed(seed=seed)
    _, grad = model.loss_and_grad(x, y, loss=loss)
    try:
        if n_directions is None:
            return relative_error(grad, _central(value, model.params, eps))
        rng = np.random.default_rng(seed)
        analytic, numeric = [], []
        for _ in range(n_directions):
            v = rng.standard_normal(theta.size)
            v /= np.linalg.norm(v)
            model.params[...] = theta + eps * v
            fp = value()
            model.params[...] = theta - eps * v
            fm = value()
            numeric.append((fp - fm) / (2 * eps))
            analytic.append(grad @ v)
        return relative_error(np.array(analytic), np.array(numeric))
    finally:
        model.params[...] = theta
