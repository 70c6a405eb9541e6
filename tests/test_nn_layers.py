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


def test_layers_refuse_bad_input_at_the_boundary():
    dense = build_layer(Dense(3), (4,), rng=0)
    with pytest.raises(ValueError, match="backward needs a forward pass first"):
        dense.backward(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"x must have shape \(n, 4\) for Dense"):
        dense.forward(np.ones((2, 5)))
    with pytest.raises(ValueError, match=r"x must have shape \(n, 4\)"):
        dense.forward(np.ones(4))                   # a single sample is not a batch
    with pytest.raises(ValueError, match="x contains 1 NaN"):
        dense.forward(np.array([[1.0, np.nan, 0, 0]]))
    dense.forward(np.ones((2, 4)))
    with pytest.raises(ValueError, match=r"dout must have shape \(2, 3\)"):
        dense.backward(np.ones((3, 3)))
    with pytest.raises(TypeError, match="train must be True or False"):
        dense.forward(np.ones((2, 4)), train="yes")
    with pytest.raises(ValueError, match="Dense is not built"):
        Dense(3).forward(np.ones((2, 4)))
    with pytest.raises(ValueError, match="Conv2D has no parameter arrays"):
        layer = Conv2D(2, 3)
        layer.build((1, 5, 5))
        layer.forward(np.ones((1, 1, 5, 5)))
    with pytest.raises(TypeError, match="input_shape"):
        Dense(3).build((1.5,))                       # was truncated to (1,)
    with pytest.raises(ValueError, match="input_shape"):
        Dense(3).build(())
    for bad, err in ((0, ValueError), (2.5, TypeError), (None, TypeError), (True, TypeError)):
        with pytest.raises(err, match="units"):
            Dense(bad)
    with pytest.raises(TypeError, match="bias must be True or False"):
        Dense(3, bias="no")
    with pytest.raises(ValueError, match="padding must be one of 'same'"):
        Conv2D(2, 3, padding="valid")
    with pytest.raises(ValueError, match=r"rate must be in \[0, 1\)"):
        Dropout(1.0)
    with pytest.raises(ValueError, match="layers must not hold the same layer object twice"):
        relu = ReLU()
        Residual([Dense(4), relu, Dense(4), relu])
    with pytest.raises(TypeError, match="Activation is the base class"):
        from pdeopt.nn import Activation
        Activation()
    with pytest.raises(ValueError, match="surrogate must be one of"):
        BinaryReLU("sign")


def test_batchnorm_refuses_eps_zero_and_is_finite_on_a_constant_feature():
    # eps = 0 would divide by √σ² = 0 on a constant feature (NaN); eps > 0 keeps it finite
    for eps in (0.0, -1e-5, np.nan):
        with pytest.raises(ValueError, match="eps"):
            BatchNorm(eps=eps)
    with pytest.raises(ValueError, match=r"momentum must be in \[0, 1\]"):
        BatchNorm(momentum=1.5)
    bn = build_layer(BatchNorm(), (2,), rng=0)
    x = np.column_stack([np.full(5, 3.0), np.arange(5.0)])
    out = bn.forward(x, train=True)
    assert np.all(np.isfinite(out)) and np.all(out[:, 0] == 0)     # (x − μ)/√ε with x = μ
    assert np.all(np.isfinite(bn.backward(np.ones_like(out))))


def test_gradient_checks_refuse_bad_arguments():
    layer = build_layer(Dense(2), (3,), rng=0)
    with pytest.raises(ValueError, match="eps must be > 0"):
        layer_gradient_check(layer, np.ones((2, 3)), eps=0.0)
    with pytest.raises(TypeError, match="layer must be a pdeopt.nn Layer"):
        layer_gradient_check("dense", np.ones((2, 3)))
    with pytest.raises(TypeError, match="rng"):
        layer_gradient_check(layer, np.ones((2, 3)), rng="0")
    with pytest.raises(TypeError, match="dtype must be float32 or float64"):
        build_layer(Dense(2), (3,), dtype=None)
