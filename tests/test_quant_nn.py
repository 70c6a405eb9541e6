"""BinaryRelax and RVSCGD driving pdeopt.nn models through nn.train; the coarse gradient vs nn's."""
import numpy as np

from pdeopt.data import load_digits
from pdeopt.nn import mlp, nonoverlap_cnn, train
from pdeopt.optim import RVSCGD, sample_inputs, sample_loss_and_coarse_gradient
from pdeopt.quant import BinaryRelax, QuantizedSet, bwn


def _small_digits():
    ds = load_digits()
    return ds.x_train[:400], ds.y_train[:400], ds.x_test[:200], ds.y_test[:200]


def test_binaryrelax_trains_an_mlp_into_Q():
    data = _small_digits()
    model = mlp([32], input_shape=(8, 8), rng=0)
    Q = QuantizedSet.for_model(model, "ternary")
    assert len(Q.layers) == 2  # the two Dense weight matrices; biases stay free
    opt = BinaryRelax(0.05, Q, lam=1.0, rho=1.05, phase2_epoch=4, momentum=0.9)
    res = train(model, opt, data, epochs=6, batch_size=50, rng=0)
    assert Q.contains(model.params)  # Phase II ends every step on proj_Q(y)
    assert res.history["val_error"][-1] < 0.5  # trains: chance is 0.9
    opt.finalize(model.params)
    assert Q.contains(model.params)


def test_bwn_baseline_trains_an_mlp():
    data = _small_digits()
    model = mlp([32], input_shape=(8, 8), rng=1)
    opt = bwn(0.05, [(n, s) for n, s in model.param_slices() if n.endswith(".W")], momentum=0.9)
    res = train(model, opt, data, epochs=10, batch_size=50, rng=0)
    assert opt.Q.contains(model.params)  # every step ends on proj_Q(y): binary weight layers
    # It learns: a net that learned nothing stays near chance (error 0.9 on 10 balanced
    # classes) and near the loss of a uniform guess, log 10 ≈ 2.30 (where the first epoch
    # starts). Asking for half of each leaves a wide margin to the ~0.15-0.25 error and
    # ~0.5 loss of working runs (seeds 0-3), yet fails if y never moves.
    assert res.history["val_error"][-1] < 0.45
    assert res.history["loss"][-1] < 0.5 * np.log(10) < res.history["loss"][0]
    assert model.error(data[2], data[3]) == res.history["val_error"][-1]  # the binary net's


def test_rvscgd_optimizer_sparsifies_an_mlp():
    data = _small_digits()
    model = mlp([32], input_shape=(8, 8), rng=2)
    layers = [(n, s) for n, s in model.param_slices() if n.endswith(".W")]
    opt = RVSCGD(0.05, lam=2e-3, beta=1.0, layers=layers, momentum=0.9)
    train(model, opt, data, epochs=3, batch_size=50, rng=0)
    u = opt.sparse(model.params)
    w = np.concatenate([u[s] for _, s in layers])
    assert 0.2 < np.mean(w == 0) < 1.0
    np.testing.assert_array_equal(u[layers[0][1].stop:layers[1][1].start],
                                  model.params[layers[0][1].stop:layers[1][1].start])  # bias


def test_closed_form_model_matches_nn_nonoverlap_cnn():
    # nn's non-overlap net with BinaryReLU("relu") on the squared loss is the same model:
    # its output is h(Z, w) and its backward pass is the coarse gradient.
    k, d = 4, 6
    rng = np.random.default_rng(3)
    w_star = rng.normal(size=d)
    w_star /= np.linalg.norm(w_star)
    Z = sample_inputs(64, k, d, rng=rng)
    model = nonoverlap_cnn(k, d, surrogate="relu", rng=0)
    w = model.params.copy()
    targets = (Z @ w_star > 0).mean(axis=1)[:, None]
    loss_nn, grad_nn = model.loss_and_grad(Z[:, None], targets, loss="squared")
    loss, grad = sample_loss_and_coarse_gradient(w, Z, w_star)
    np.testing.assert_allclose(loss_nn, loss, rtol=1e-12)
    np.testing.assert_allclose(grad_nn, grad, rtol=1e-10, atol=1e-14)
