"""Models: flat parameters, gradient checks of every factory, inputs and bad input."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

from pdeopt.nn import (LPOM_WIDTHS, Dense, Flatten, ReLU, Sequential, allcnn, gradient_check,
                       lenet, mlp, mnistfc, nonoverlap_cnn)

TOL = 1e-6


def _data(model, n, seed, n_classes=10):
    rng = np.random.default_rng(seed)
    # zero biases put dead ReLU units exactly at the kink (pre-activation = bias = 0):
    # move to a random point where the loss is differentiable
    model.params += 0.05 * rng.standard_normal(model.n_params)
    return rng.random((n, *model.input_shape)), rng.integers(0, n_classes, n)


FACTORIES = {
    "mlp_tanh": lambda s: mlp([6, 5], activation="tanh", input_shape=(3, 3), rng=s),
    "mlp_relu_bn": lambda s: mlp([6], batch_norm=True, dropout=0.3, input_shape=(4,), rng=s),
    "mnistfc": lambda s: mnistfc(hidden=8, input_shape=(4, 4), rng=s),
    "mnistfc_bn": lambda s: mnistfc(hidden=6, batch_norm=True, input_shape=(3, 3), rng=s),
    "lenet_same": lambda s: lenet(channels=(2, 3), hidden=5, input_shape=(8, 8), rng=s),
    "lenet_valid": lambda s: lenet(channels=(2, 2), hidden=4, kernel_size=3, input_shape=(12, 12),
                                   rng=s),
    "allcnn": lambda s: allcnn(channels=(2, 3), dropout=0.2, input_shape=(6, 6), rng=s),
}


@pytest.mark.parametrize("name", sorted(FACTORIES))
@given(seed=st.integers(0, 2 ** 31))
def test_model_gradients_cross_entropy(name, seed):
    model = FACTORIES[name](seed)
    x, y = _data(model, 4, seed)
    assert gradient_check(model, x, y, n_directions=6, rng=seed % 1000) < TOL


@pytest.mark.parametrize("name", ["mlp_tanh", "lenet_same"])
def test_model_gradients_every_coordinate(name):
    model = FACTORIES[name](0)
    x, y = _data(model, 3, 1)
    assert gradient_check(model, x, y) < TOL
    t = np.random.default_rng(2).standard_normal((3, 10))
    assert gradient_check(model, x, t, loss="squared", n_directions=6) < TOL


def test_nonoverlap_cnn_is_the_rvscgd_net():
    k, d = 5, 4
    model = nonoverlap_cnn(k, d, rng=0)
    w = model.params
    assert w.shape == (d,) and np.isclose(np.linalg.norm(w), 1)
    z = np.random.default_rng(0).standard_normal((7, k, d))
    expected = np.mean(z @ w > 0, axis=1)
    np.testing.assert_allclose(model.forward(z)[:, 0], expected)
    # coarse gradient with the ReLU surrogate: (1/n) Σ (h − t)(1/k) Σ_i 1{Z_iᵀw > 0} Z_i
    t = np.zeros(7)
    _, g = model.loss_and_grad(z, t, loss="squared")
    mask = (z @ w > 0)
    ref = np.einsum("n,nk,nkd->d", expected - t, mask, z) / k / 7
    np.testing.assert_allclose(g, ref, atol=1e-14)


def test_flat_parameter_vector_is_shared_by_the_layers():
    model = mlp([5], input_shape=(3,), rng=0)
    names = [n for n, _ in model.param_views()]
    assert names == ["dense0.W", "dense0.b", "dense1.W", "dense1.b"]
    assert sum(v.size for _, v in model.param_views()) == model.params.size
    for (name, view), (_, sl) in zip(model.param_views(), model.param_slices()):
        assert np.shares_memory(view, model.params)
        np.testing.assert_array_equal(view.ravel(), model.params[sl])
    x = np.ones((2, 3))
    before = model.forward(x)
    model.params *= 0                 # one line acts on every layer
    assert np.all(model.forward(x) == 0)
    model.params = np.ones(model.n_params)   # assignment copies into the live vector
    assert np.all(model.param_views()[0][1] == 1)
    saved = model.get_params()
    saved[:] = 3
    assert model.params[0] == 1
    model.set_params(saved)
    assert model.params[0] == 3 and not np.allclose(before, model.forward(x))


def test_copy_and_pickle_keep_one_flat_vector():
    import pickle
    model = lenet(channels=(2, 3), hidden=4, input_shape=(8, 8), batch_norm=True, rng=0)
    x = np.random.default_rng(0).random((2, 8, 8))
    for clone in (model.copy(), pickle.loads(pickle.dumps(model))):
        assert not np.shares_memory(clone.params, model.params)
        np.testing.assert_array_equal(clone.forward(x), model.forward(x))
        clone.params[...] = 0
        assert all(np.shares_memory(v, clone.params) for _, v in clone.param_views())
        assert np.all(clone.forward(x) == 0) and np.any(model.forward(x) != 0)


def test_seed_reproducible_and_float32():
    a, b = lenet(input_shape=(8, 8), rng=3), lenet(input_shape=(8, 8), rng=3)
    np.testing.assert_array_equal(a.params, b.params)
    m32 = mnistfc(hidden=16, input_shape=(8, 8), rng=0, dtype=np.float32)
    x, y = _data(m32, 5, 0)
    loss, g = m32.loss_and_grad(x, y)
    assert m32.params.dtype == np.float32 and g.dtype == np.float32
    assert m32.forward(x).dtype == np.float32 and np.isfinite(loss)


def test_lpom_widths_and_input_shapes():
    for widths in LPOM_WIDTHS:
        model = mlp(widths, input_shape=(8, 8), rng=0)
        assert [l.units for l in model.layers if isinstance(l, Dense)] == [*widths, 10]
    model = mlp([4], input_shape=(8, 8), rng=0)
    x = np.random.default_rng(0).random((3, 8, 8))
    np.testing.assert_array_equal(model.forward(x), model.forward(x.reshape(3, 64)))
    net = lenet(input_shape=(8, 8), rng=0)
    np.testing.assert_array_equal(net.forward(x), net.forward(x[:, None]))
    assert net.predict(x).shape == (3,) and 0 <= net.error(x, [0, 1, 2]) <= 1


def test_bad_input():
    model = lenet(input_shape=(8, 8), rng=0)
    x = np.zeros((2, 8, 8))
    with pytest.raises(ValueError, match=r"x must have shape \(n, 1, 8, 8\)"):
        model.forward(np.zeros((2, 7, 8)))
    with pytest.raises(ValueError, match="x must have shape"):
        model.forward(np.zeros((2, 64)))      # a conv net does not guess the image shape
    with pytest.raises(ValueError, match="NaN"):
        model.forward(np.full((2, 8, 8), np.nan))
    with pytest.raises(ValueError, match=r"y must hold labels < n_classes=10"):
        model.loss_and_grad(x, [0, 10])
    with pytest.raises(ValueError, match=r"y must hold labels >= 0"):
        model.error(x, [-1, 0])
    with pytest.raises(ValueError, match="2 entries"):
        model.loss_and_grad(x, [0, 1, 2])
    with pytest.raises(ValueError, match="y must hold integer labels"):
        model.loss_and_grad(x, [0.5, 1])
    with pytest.raises(ValueError, match="loss must be"):
        model.loss_and_grad(x, [0, 1], loss="hinge")
    with pytest.raises(ValueError, match="params must have shape"):
        model.set_params(np.zeros(3))
    with pytest.raises(ValueError, match="params contains"):
        model.set_params(np.full(model.n_params, np.nan))
    with pytest.raises(TypeError, match="numeric"):
        model.forward(np.array([["a"] * 64] * 2))
    with pytest.raises(ValueError, match="activation must be"):
        mlp([3], activation="swish")
    with pytest.raises(ValueError, match="input_shape"):
        Sequential([Flatten(), Dense(2)], input_shape=(0, 3))
    with pytest.raises(TypeError, match="layers"):
        Sequential([ReLU, Dense(2)], input_shape=(3,))


def test_nested_parameter_names_and_batchnorm_names():
    from pdeopt.nn import BatchNorm, Residual, Tanh
    model = Sequential([Dense(4), Residual([Dense(4), Tanh(), BatchNorm()]), Dense(2)],
                       input_shape=(3,), rng=0)
    assert [n for n, _ in model.param_views()] == [
        "dense0.W", "dense0.b", "residual0.dense0.W", "residual0.dense0.b",
        "residual0.bn0.gamma", "residual0.bn0.beta", "dense1.W", "dense1.b"]


def test_squared_loss_targets():
    model = mlp([3], input_shape=(2,), n_classes=3, rng=0)
    x = np.ones((2, 2))
    out = model.forward(x)
    loss, _ = model.loss_and_grad(x, [0, 2], loss="squared")       # labels -> one-hot
    onehot = np.array([[1, 0, 0], [0, 0, 1]])
    assert loss == pytest.approx(0.5 * np.sum((out - onehot) ** 2) / 2)
    single = nonoverlap_cnn(2, 3, rng=0)
    z = np.ones((2, 2, 3))
    loss, _ = single.loss_and_grad(z, np.array([1, 0]), loss="squared")  # one output: values
    assert loss == pytest.approx(0.5 * np.sum((single.forward(z)[:, 0] - [1, 0]) ** 2) / 2)


def test_features_are_the_last_layers_input():
    model = mlp([5], input_shape=(3,), rng=0)
    x = np.random.default_rng(0).random((4, 3))
    f = model.features(x)
    assert f.shape == (4, 5)
    np.testing.assert_allclose(model.layers[-1].forward(f), model.forward(x))


def test_softmax_cross_entropy_is_stable_and_precise():
    from pdeopt.nn import softmax_cross_entropy
    z = np.array([[1000.0, 0.0, -1000.0], [0.0, 40.0, 0.0]])
    loss, grad = softmax_cross_entropy(z, np.array([0, 1]))
    # exact: row 1 loses log(1 + e^-1000 + e^-2000) ≈ 0, row 2 loses log1p(2e^-40) ≈ 2e^-40
    assert loss == pytest.approx(np.exp(-40.0), rel=1e-12)
    assert np.all(np.isfinite(grad)) and np.allclose(grad.sum(axis=1), 0)


def test_losses_check_their_input_and_never_wrap_a_label():
    from pdeopt.nn import log_softmax, softmax_cross_entropy, squared_error
    z = np.zeros((2, 3))
    for y in ([0, -1], [0, 3]):                # -1 would silently pick the last class
        with pytest.raises(ValueError, match="y must hold labels"):
            softmax_cross_entropy(z, np.array(y))
    with pytest.raises(ValueError, match="y must hold integer labels"):
        softmax_cross_entropy(z, np.array([0.5, 1.0]))
    with pytest.raises(ValueError, match="logits and y must have the same number of samples"):
        softmax_cross_entropy(z, np.array([0, 1, 2]))
    with pytest.raises(ValueError, match="logits contains"):
        softmax_cross_entropy(np.array([[0.0, np.inf]]), np.array([0]))
    with pytest.raises(ValueError, match="logits must have 2 dimension"):
        softmax_cross_entropy(np.zeros(3), np.array([0]))
    with pytest.raises(TypeError, match="y must be an array of integer labels"):
        softmax_cross_entropy(z, None)
    with pytest.raises(ValueError, match="targets must have shape"):
        squared_error(z, np.zeros((2, 2)))
    with pytest.raises(ValueError, match="targets must hold labels < n_classes=3"):
        squared_error(z, np.array([0, 3]))
    with pytest.raises(ValueError, match="logits contains"):
        log_softmax(np.array([np.nan, 0.0]))


def test_builders_refuse_bad_arguments():
    with pytest.raises(TypeError, match="input_shape"):
        Sequential([Flatten(), Dense(2)], input_shape=(1.5, 8, 8))   # was truncated to 1
    with pytest.raises(TypeError, match="input_shape"):
        Sequential([Flatten(), Dense(2)], input_shape="8x8")
    with pytest.raises(TypeError, match="dtype must be float32 or float64"):
        Sequential([Flatten(), Dense(2)], input_shape=(3,), dtype=None)
    with pytest.raises(TypeError, match="layers must be a non-empty list"):
        Sequential(None, input_shape=(3,))
    with pytest.raises(TypeError, match="rng"):
        mlp([3], input_shape=(3,), rng="seed")
    with pytest.raises(ValueError, match=r"dropout must be in \[0, 1\)"):
        mnistfc(dropout=1.0)
    with pytest.raises(ValueError, match="channels must hold 2 numbers"):
        lenet(channels=(2, 3, 4), input_shape=(8, 8))
    with pytest.raises(TypeError, match="activation must be a name"):
        mlp([3], activation=None)
    with pytest.raises(TypeError, match="batch_norm must be True or False"):
        allcnn(batch_norm="yes", input_shape=(6, 6))
    with pytest.raises(ValueError, match="n_classes must be 1"):
        nonoverlap_cnn(2, 3, n_classes=2)
    model = mlp([3], input_shape=(3,), rng=0)
    with pytest.raises(ValueError, match="upto must be a layer index"):
        model.features(np.ones((2, 3)), upto=9)
    with pytest.raises(ValueError, match="x and y must have the same number of samples"):
        model.error(np.ones((2, 3)), [0, 1, 1])
