"""Every layer's backward pass against central finite differences (float64, rel. err < 1e-6)."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from pdeopt.nn import (ELU, AvgPool2D, BatchNorm, BinaryReLU, Conv2D, Dense, Dropout, Flatten,
                       GlobalAvgPool2D, LeakyReLU, MaxPool2D, ReLU, Residual, Sigmoid, Softplus,
                       Tanh, build_layer, layer_gradient_check)

TOL = 1e-6
seeds = st.integers(0, 2 ** 31)


def check(layer, shape, seed, n=3, train=True):
    rng = np.random.default_rng(seed)
    build_layer(layer, shape, rng=rng)
    x = rng.standard_normal((n, *shape))
    errors = layer_gradient_check(layer, x, train=train, rng=seed % 1000)
    assert max(errors.values()) < TOL, errors


@given(seed=seeds, d=st.integers(1, 6), units=st.integers(1, 5), bias=st.booleans())
def test_dense(seed, d, units, bias):
    check(Dense(units, bias=bias), (d,), seed)


@given(seed=seeds, c=st.integers(1, 3), h=st.integers(3, 7), w=st.integers(3, 7),
       f=st.integers(1, 3), kh=st.integers(1, 3), kw=st.integers(1, 3), sh=st.integers(1, 2),
       sw=st.integers(1, 2), ph=st.integers(0, 1), pw=st.integers(0, 1), bias=st.booleans())
def test_conv2d(seed, c, h, w, f, kh, kw, sh, sw, ph, pw, bias):
    check(Conv2D(f, (kh, kw), stride=(sh, sw), padding=(ph, pw), bias=bias), (c, h, w), seed, n=2)


@given(seed=seeds, c=st.integers(1, 2), h=st.integers(2, 7), w=st.integers(2, 7),
       k=st.integers(1, 3), stride=st.sampled_from([None, 1, 2]), kind=st.sampled_from(["max", "avg"]))
def test_pooling(seed, c, h, w, k, stride, kind):
    k = min(k, h, w)
    layer = (MaxPool2D if kind == "max" else AvgPool2D)(k, stride=stride)
    check(layer, (c, h, w), seed)


@given(seed=seeds, shape=st.sampled_from([(4,), (2, 3, 3)]))
def test_batchnorm_train_and_eval(seed, shape):
    check(BatchNorm(), shape, seed, n=4, train=True)
    layer = BatchNorm()
    check(layer, shape, seed, n=4, train=False)


@given(seed=seeds, rate=st.floats(0.0, 0.9))
def test_dropout(seed, rate):
    check(Dropout(rate), (6,), seed)


@given(seed=seeds, act=st.sampled_from([ReLU, LeakyReLU, ELU, Sigmoid, Tanh, Softplus]))
def test_activations(seed, act):
    check(act(), (7,), seed)


@settings(max_examples=10)
@given(seed=seeds)
def test_misc_layers(seed):
    check(Flatten(), (2, 3, 2), seed)
    check(GlobalAvgPool2D(), (2, 3, 4), seed)
    check(Residual([Dense(4), Tanh(), Dense(4)]), (4,), seed)
    check(Residual([Conv2D(2, 3, padding=1), ReLU(), BatchNorm()]), (2, 4, 4), seed)


def test_maxpool_routes_to_the_maximum():
    layer = build_layer(MaxPool2D(2), (1, 2, 2))
    x = np.array([[[[1.0, 5.0], [3.0, 2.0]]]])
    assert layer.forward(x).item() == 5.0
    np.testing.assert_array_equal(layer.backward(np.ones((1, 1, 1, 1))), [[[[0, 1], [0, 0]]]])


def test_conv_matches_direct_sum():
    rng = np.random.default_rng(0)
    layer = build_layer(Conv2D(2, 3, stride=2, padding=1), (3, 5, 6), rng=rng)
    x = rng.standard_normal((2, 3, 5, 6))
    out = layer.forward(x)
    W, b = layer.params["W"], layer.params["b"]
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    ref = np.zeros_like(out)
    for i in range(out.shape[2]):
        for j in range(out.shape[3]):
            patch = xp[:, :, 2 * i:2 * i + 3, 2 * j:2 * j + 3]
            ref[:, :, i, j] = np.einsum("ncpq,fcpq->nf", patch, W) + b
    np.testing.assert_allclose(out, ref, rtol=1e-12, atol=1e-12)


def test_batchnorm_normalizes_and_tracks_running_statistics():
    rng = np.random.default_rng(1)
    layer = build_layer(BatchNorm(momentum=1.0), (3,))
    x = rng.normal(5.0, 2.0, (500, 3))
    y = layer.forward(x, train=True)
    np.testing.assert_allclose(y.mean(0), 0, atol=1e-12)
    np.testing.assert_allclose(y.std(0), 1, atol=1e-5)
    np.testing.assert_allclose(layer.running_mean, x.mean(0))
    np.testing.assert_allclose(layer.forward(x, train=False), y * np.sqrt(499 / 500) + 0,
                               atol=1e-3)


def test_dropout_is_identity_in_eval_and_unbiased_in_train():
    layer = build_layer(Dropout(0.5), (1000,))
    x = np.ones((20, 1000))
    np.testing.assert_array_equal(layer.forward(x, train=False), x)
    out = layer.forward(x, train=True)
    assert set(np.unique(out)) <= {0.0, 2.0}
    assert abs(out.mean() - 1) < 0.02


@pytest.mark.parametrize("surrogate, expected", [
    ("relu", [0, 0, 1, 1]), ("clipped_relu", [0, 0, 1, 0]), ("identity", [1, 1, 1, 1])])
def test_binary_relu_forward_and_surrogates(surrogate, expected):
    layer = build_layer(BinaryReLU(surrogate), (4,))
    z = np.array([[-1.0, 0.0, 0.5, 2.0]])
    np.testing.assert_array_equal(layer.forward(z, train=True), [[0, 0, 1, 1]])
    np.testing.assert_array_equal(layer.backward(np.ones_like(z)), [expected])


def test_layer_argument_errors():
    with pytest.raises(ValueError, match="units"):
        Dense(0)
    with pytest.raises(ValueError, match="rate"):
        Dropout(1.0)
    with pytest.raises(ValueError, match="surrogate"):
        BinaryReLU("sign")
    with pytest.raises(ValueError, match="does not fit"):
        build_layer(Conv2D(1, 5), (1, 3, 3))
    with pytest.raises(ValueError, match="Flatten"):
        build_layer(Dense(3), (2, 2))
    with pytest.raises(ValueError, match="residual"):
        build_layer(Residual([Dense(3)]), (4,))
