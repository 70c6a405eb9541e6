"""The WNLL output layer (pdeopt.nn.wnll_layer): layout, frozen parts, three-step training."""
import numpy as np
import pytest

from pdeopt.data import load_digits
from pdeopt.nn import Dense, Flatten, ReLU, Sequential
from pdeopt.nn.wnll_layer import (buffer_start, features, finetune_buffer, train_wnll,
                                  wnll_error, wnll_predict, wnll_scores)


@pytest.fixture(scope="module")
def digits():
    d = load_digits()
    return d.x_train[:400], d.y_train[:400], d.x_test[:150], d.y_test[:150]


def small_net(seed=0):
    return Sequential([Flatten(), Dense(24), ReLU(), Dense(16), ReLU(), Dense(10)],
                      input_shape=(8, 8), rng=seed)


def test_buffer_block_is_found_and_required():
    assert buffer_start(small_net()) == 3
    with pytest.raises(ValueError, match="buffer Dense before a final Dense"):
        buffer_start(Sequential([Flatten(), Dense(10)], input_shape=(8, 8), rng=0))


def test_features_are_the_output_layers_inputs(digits):
    x, *_ = digits
    model = small_net()
    f = features(model, x[:7])
    assert f.shape == (7, 16) and np.all(f >= 0)  # after the buffer's ReLU
    logits = f @ model.layers[-1].params["W"].T + model.layers[-1].params["b"]
    np.testing.assert_allclose(logits, model.forward(x[:7]), atol=1e-10)


def test_finetune_changes_only_the_buffer_block(digits):
    x, y, *_ = digits
    model = small_net()
    before = model.get_params()
    res = finetune_buffer(model, x, y, epochs=1, lr=0.05, template_per_class=5,
                          rng=np.random.default_rng(0))
    after = model.get_params()
    changed = before != after
    buffer = np.zeros_like(changed)
    for layer in model.layers[3:5]:  # Dense(16), ReLU
        for view in layer.params.values():
            offset = (view.__array_interface__["data"][0]
                      - model.params.__array_interface__["data"][0]) // view.itemsize
            buffer[offset:offset + view.size] = True
    assert changed.any() and not changed[~buffer].any()
    np.testing.assert_array_equal(res.x, after)
    assert (res.status, res.nit, res.converged) == (1, 1, False)
    assert len(res.history["loss"]) == 1 and np.isfinite(res.history["loss"][0])


def test_three_step_training_records_each_phase_and_learns(digits):
    model = small_net(1)
    res = train_wnll(model, digits, epochs_linear=4, epochs_buffer=1, epochs_retrain=2,
                     rounds=1, rng=0)
    np.testing.assert_array_equal(res.history["phase"], [1, 2, 3])
    assert (res.status, res.success, res.converged, res.nit) == (1, True, False, 3)
    assert np.all(res.history["val_error_wnll"] < 0.3)
    x, y, xt, yt = digits
    assert wnll_error(model, x, y, xt, yt) == pytest.approx(res.history["val_error_wnll"][-1])
    assert wnll_predict(model, x, y, xt).shape == (150,)


def test_train_wnll_rejects_bad_input(digits):
    x, y, xt, yt = digits
    with pytest.raises(ValueError, match="y_train must cover all 10 classes"):
        train_wnll(small_net(), (x[y < 5], y[y < 5], xt, yt), epochs_linear=1)
    with pytest.raises(ValueError, match="epochs_buffer must be >= 0"):
        train_wnll(small_net(), digits, epochs_buffer=-1)
    with pytest.raises(ValueError, match="lr must be > 0"):
        train_wnll(small_net(), digits, lr=0.0)
    with pytest.raises(ValueError, match="momentum must be in"):
        train_wnll(small_net(), digits, momentum=1.0)
    with pytest.raises(TypeError, match="model must be a pdeopt.nn.Sequential"):
        train_wnll(None, digits)
    with pytest.raises(ValueError, match="y must hold labels >= 0"):
        finetune_buffer(small_net(), x, np.where(y == 3, -1, y), epochs=1, lr=0.1)
    with pytest.raises(ValueError, match="template_labels must hold labels < n_classes=10"):
        wnll_scores(np.ones((3, 2)), [0, 1, 10], np.ones((2, 2)), n_classes=10)


def test_train_wnll_callback_stops_after_a_phase(digits):
    res = train_wnll(small_net(1), digits, epochs_linear=1, epochs_buffer=1, epochs_retrain=1,
                     rounds=2, callback=lambda it: it.values["phase"] == 2)
    np.testing.assert_array_equal(res.history["phase"], [1, 2])
    assert (res.status, res.nit) == (4, 2)


def test_ctrl_c_inside_a_phase_stops_the_whole_alternation(digits, monkeypatch):
    # the inner nn.train keeps its finished epochs (status 3); train_wnll must not go on
    # with the next phase as if the cut-short one had finished
    import pdeopt.nn.wnll_layer as wl

    class Interrupting(wl.SGD):
        calls = 0

        def step(self, params, grad, oracle=None):
            Interrupting.calls += 1
            if Interrupting.calls == 20:
                raise KeyboardInterrupt
            super().step(params, grad, oracle)

    monkeypatch.setattr(wl, "SGD", Interrupting)
    with pytest.warns(RuntimeWarning, match="interrupted"):
        res = train_wnll(small_net(1), digits, epochs_linear=3, epochs_buffer=1,
                         epochs_retrain=1, batch_size=64)
    assert (res.status, res.success, res.nit) == (3, False, 0)
    assert res.history == {}            # step 1 never finished: no phase was recorded
