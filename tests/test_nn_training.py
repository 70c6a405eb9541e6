"""Optimizers, schedules and the training loop."""
import numpy as np
import pytest

from pdeopt.data import load_digits
from pdeopt.nn import SGD, cosine_schedule, exponential_schedule, mlp, step_schedule, train


def test_sgd_updates_in_place():
    x, g = np.array([1.0, 2.0]), np.array([0.5, -1.0])
    SGD(0.1).step(x, g)
    np.testing.assert_allclose(x, [0.95, 2.1])
    # heavy ball: v = μv + g; x -= ηv.  Nesterov: x -= η(g + μv).
    hb, nag = SGD(0.1, momentum=0.5), SGD(0.1, momentum=0.5, nesterov=True)
    a, b = np.zeros(1), np.zeros(1)
    for _ in range(2):
        hb.step(a, np.ones(1))
        nag.step(b, np.ones(1))
    np.testing.assert_allclose(a, [-(0.1 * 1 + 0.1 * 1.5)])
    np.testing.assert_allclose(b, [-(0.1 * 1.5 + 0.1 * (1 + 0.5 * 1.5))])
    wd = np.array([2.0])
    SGD(0.1, weight_decay=0.5).step(wd, np.zeros(1))
    np.testing.assert_allclose(wd, [1.9])


def test_momentum_methods_on_a_quadratic():
    # f = ½ xᵀ A x; all three converge, momentum faster than plain GD on an ill-conditioned A
    A = np.diag([1.0, 100.0])
    finals = {}
    for name, opt in {"gd": SGD(0.01), "hb": SGD(0.01, momentum=0.8),
                      "nag": SGD(0.01, momentum=0.8, nesterov=True)}.items():
        x = np.array([1.0, 1.0])
        for _ in range(200):
            opt.step(x, A @ x)
        finals[name] = np.linalg.norm(x)
    assert finals["hb"] < finals["gd"] and finals["nag"] < finals["gd"] and finals["gd"] < 0.2


def test_schedules():
    s = step_schedule({2: 0.1, 4: 0.5})
    assert [s(e) for e in range(6)] == pytest.approx([1, 1, 0.1, 0.1, 0.05, 0.05])
    assert exponential_schedule(0.5)(3) == 0.125
    c = cosine_schedule(10)
    assert c(0) == 1 and 0 < c(9) < 0.05 and c(20) == c(9)
    opt = SGD(0.2, schedule=s)
    opt.on_epoch(3)
    assert opt.lr == pytest.approx(0.02)
    with pytest.raises(ValueError, match="lr"):
        SGD(-1)
    with pytest.raises(ValueError, match="momentum"):
        SGD(0.1, momentum=1.0)
    with pytest.raises(ValueError, match="nesterov"):
        SGD(0.1, nesterov=True)


@pytest.fixture(scope="module")
def digits():
    return load_digits()


def test_train_learns_digits_and_records_history(digits):
    model = mlp([32], input_shape=(8, 8), seed=0)
    lines = []
    res = train(model, SGD(0.1, momentum=0.9), digits, epochs=4, batch_size=64, progress=lines.append)
    h = res.history
    assert len(lines) == 4 and set(h) >= {"loss", "train_error", "val_error", "effective_epochs"}
    np.testing.assert_allclose(h["effective_epochs"], [1, 2, 3, 4])
    assert h["val_error"][-1] < 0.1 and h["loss"][-1] < h["loss"][0]
    assert res.info["evaluations"] == 4 * int(np.ceil(len(digits.y_train) / 64))
    np.testing.assert_array_equal(res.x, model.params)
    # same seed, same run
    again = train(mlp([32], input_shape=(8, 8), seed=0), SGD(0.1, momentum=0.9), digits,
                  epochs=4, batch_size=64)
    np.testing.assert_array_equal(again.x, res.x)


class InnerLoop(SGD):
    """A toy inner-loop method: L oracle calls per step (like Entropy-SGD's Langevin loop)."""

    def __init__(self, lr, L):
        super().__init__(lr)
        self.L = L

    def step(self, params, grad, oracle=None):
        y = params.copy()
        for _ in range(self.L):
            _, g = oracle(y)
            y -= self.lr * g
        params[...] = y


def test_effective_epochs_count_oracle_calls_and_max_evals(digits):
    model = mlp([16], input_shape=(8, 8), seed=0)
    x = (digits.x_train[:256], digits.y_train[:256], digits.x_test, digits.y_test)
    res = train(model, InnerLoop(0.05, L=3), x, epochs=2, batch_size=64)
    np.testing.assert_allclose(res.history["effective_epochs"], [4, 8])   # (1 + 3) per step
    res = train(model, SGD(0.05), x, epochs=10, batch_size=64, max_evals=6)
    assert res.info["evaluations"] == 6 and "max_evals" in res.info["message"]
    np.testing.assert_allclose(res.history["effective_epochs"], [1, 1.5])


def test_nan_loss_stops_with_history(digits):
    model = mlp([16], input_shape=(8, 8), seed=0)

    def blow_up(epoch, model, row):
        model.params[...] *= 1e300 if epoch == 0 else 1

    with pytest.raises(FloatingPointError, match="epoch 1, step 0") as info:
        with np.errstate(all="ignore"):
            train(model, SGD(0.1), digits, epochs=5, batch_size=32, callback=blow_up)
    assert len(info.value.result.history["loss"]) == 1


def test_train_bad_input(digits):
    model = mlp([4], input_shape=(8, 8), seed=0)
    x, y = digits.x_train[:10].copy(), digits.y_train[:10].copy()
    x[0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="x_train contains"):
        train(model, SGD(0.1), (x, y), epochs=1)
    with pytest.raises(ValueError, match="y_train must be labels"):
        train(model, SGD(0.1), (digits.x_train[:10], y + 10), epochs=1)
    with pytest.raises(ValueError, match="x_val must have shape"):
        train(model, SGD(0.1), (digits.x_train, digits.y_train, np.zeros((3, 5)), [0, 1, 2]),
              epochs=1)
    with pytest.raises(TypeError, match="data"):
        train(model, SGD(0.1), digits.x_train, epochs=1)
