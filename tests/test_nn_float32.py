"""float32 training end to end: a float32 net keeps float32 in every layer, kernel, loss and
optimizer step, and follows the float64 run from the same initial weights."""
import numpy as np
import pytest

from pdeopt.data import load_digits
from pdeopt.nn import SGD, lenet, train


def _images(n, seed=0):
    """n digits scaled up to LeNet's 28×28 (each pixel a 3×3 block, 2 pixels of border)."""
    d = load_digits()
    idx = np.random.default_rng(seed).permutation(d.x_train.shape[0])[:n]
    x = np.kron(d.x_train[idx], np.ones((3, 3)))
    return np.pad(x, ((0, 0), (2, 2), (2, 2))), d.y_train[idx]


def _watch_dtypes(model, seen):
    """Record the dtype of every layer's output, input gradient and parameter gradients."""
    for layer in model.layers:
        fwd, bwd = layer._forward, layer._backward

        def forward(x, train=False, layer=layer, fwd=fwd):
            out = fwd(x, train)
            seen.append((f"{layer!r} forward", out.dtype))
            return out

        def backward(dout, layer=layer, bwd=bwd):
            dx = bwd(dout)
            if dx is not None:
                seen.append((f"{layer!r} backward", dx.dtype))
            seen.extend((f"{layer!r} grad {k}", g.dtype) for k, g in layer.grads.items())
            return dx

        layer._forward, layer._backward = forward, backward


@pytest.mark.parametrize("backend", ["numba", "numpy"])
def test_lenet_trains_in_float32_like_float64(backend):
    x, y = _images(96)
    m64 = lenet(rng=0, backend=backend)
    m32 = lenet(rng=0, backend=backend, dtype=np.float32)
    m32.params[...] = m64.params             # the same start: float64 weights rounded once
    seen = []
    _watch_dtypes(m32, seen)
    o64, o32 = SGD(0.05, momentum=0.9), SGD(0.05, momentum=0.9)
    losses = []
    for step in range(6):
        xb, yb = x[16 * step:16 * step + 16], y[16 * step:16 * step + 16]
        l64, g64 = m64.loss_and_grad(xb, yb)
        l32, g32 = m32.loss_and_grad(xb, yb)
        assert g32.dtype == np.float32 and m32.forward(xb).dtype == np.float32
        # float32 rounds each product and sum to u = 2⁻²⁴ ≈ 6e-8 relative; a dot product of
        # K terms is then within K·u of the exact one (K ≤ 800 here: 5e-5) and the typical
        # error is √K·u (2e-6). Measured: the losses within 1.5e-7, the gradients within
        # 5e-7 of the largest entry, over the six steps: the bounds leave margins of 40–70×.
        assert abs(l32 - l64) <= 1e-5 * abs(l64)
        assert np.max(np.abs(g32 - g64)) <= 2e-5 * np.max(np.abs(g64))
        o64.step(m64.params, g64)
        o32.step(m32.params, g32)
        losses.append(l64)
        assert m32.params.dtype == np.float32 and o32.velocity.dtype == np.float32
    assert losses[-1] < losses[0]                  # it trains
    np.testing.assert_allclose(m32.params, m64.params, rtol=0, atol=1e-5)
    assert seen and all(dt == np.float32 for _, dt in seen), \
        [what for what, dt in seen if dt != np.float32]


def test_train_keeps_a_float32_model_in_float32():
    x, y = _images(64, seed=1)
    model = lenet(channels=(4, 8), hidden=16, rng=0, dtype=np.float32)
    seen = []
    _watch_dtypes(model, seen)
    res = train(model, SGD(0.05, momentum=0.9, weight_decay=1e-4), (x, y, x[:16], y[:16]),
                epochs=2, batch_size=16)
    assert res.x.dtype == np.float32 and model.params.dtype == np.float32
    assert np.isfinite(res.history["loss"]).all()
    assert seen and all(dt == np.float32 for _, dt in seen)
