"""Optimizers, schedules and the training loop."""
import numpy as np
import pytest

from pdeopt import DivergenceError
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


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("momentum, nesterov, weight_decay",
                         [(0.0, False, 0.0), (0.0, False, 1e-3), (0.9, False, 0.0),
                          (0.9, True, 1e-3)])
def test_sgd_step_is_its_formula_bit_for_bit(dtype, momentum, nesterov, weight_decay):
    # the step works in buffers kept between steps; its bits are those of the formulas
    # g = ∇f + λx, v ← μv + g, x ← x − η·v (or η·(g + μv), or η·g) in NumPy expressions
    rng = np.random.default_rng(0)
    x = rng.normal(size=1000).astype(dtype)
    want, v = x.copy(), np.zeros_like(x)
    opt = SGD(0.03, momentum=momentum, nesterov=nesterov, weight_decay=weight_decay)
    for _ in range(4):
        grad = rng.normal(size=x.size).astype(dtype)
        opt.step(x, grad)
        g = grad + weight_decay * want if weight_decay else grad
        if momentum == 0:
            want -= 0.03 * g
            continue
        v = momentum * v + g
        want -= 0.03 * (g + momentum * v) if nesterov else 0.03 * v
    assert x.dtype == dtype
    np.testing.assert_array_equal(x, want)


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


def test_sgd_steps_in_the_precision_of_params():
    # a grad of another dtype (float64, integers) is cast to params' first
    rng = np.random.default_rng(1)
    x = rng.normal(size=50).astype(np.float32)
    grad = rng.normal(size=50)
    for g in (grad, np.arange(50)):
        a, b = x.copy(), x.copy()
        SGD(0.1).step(a, g)
        SGD(0.1).step(b, g.astype(np.float32))
        assert a.dtype == np.float32
        np.testing.assert_array_equal(a, b)


def test_sgd_is_given_the_gradient_buffer_itself_and_trains_alike(digits):
    # SGD only borrows grad (borrows_grad): train() passes the model's buffer, not a copy,
    # and the run is the copying one bit for bit
    given = []

    class Watching(SGD):
        def step(self, params, grad, oracle=None):
            given.append(grad is model._grad)
            super().step(params, grad, oracle)

    class Copying(SGD):
        borrows_grad = False

    finals = {}
    for kind in (Watching, Copying):
        model = mlp([32], input_shape=(8, 8), rng=0)
        finals[kind] = train(model, kind(0.1, momentum=0.9, weight_decay=1e-3), digits,
                             epochs=1, batch_size=64).x
    assert given and all(given)
    np.testing.assert_array_equal(finals[Watching], finals[Copying])


def test_train_learns_digits_and_records_history(digits):
    model = mlp([32], input_shape=(8, 8), rng=0)
    lines = []
    res = train(model, SGD(0.1, momentum=0.9), digits, epochs=4, batch_size=64, progress=lines.append)
    h = res.history
    assert len(lines) == 4 and set(h) >= {"loss", "train_error", "val_error", "effective_epochs"}
    np.testing.assert_allclose(h["effective_epochs"], [1, 2, 3, 4])
    assert h["val_error"][-1] < 0.1 and h["loss"][-1] < h["loss"][0]
    assert res.info["evaluations"] == 4 * int(np.ceil(len(digits.y_train) / 64))
    np.testing.assert_array_equal(res.x, model.params)
    # same seed, same run
    again = train(mlp([32], input_shape=(8, 8), rng=0), SGD(0.1, momentum=0.9), digits,
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
    model = mlp([16], input_shape=(8, 8), rng=0)
    x = (digits.x_train[:256], digits.y_train[:256], digits.x_test, digits.y_test)
    res = train(model, InnerLoop(0.05, L=3), x, epochs=2, batch_size=64)
    np.testing.assert_allclose(res.history["effective_epochs"], [4, 8])   # (1 + 3) per step
    res = train(model, SGD(0.05), x, epochs=10, batch_size=64, max_evals=6)
    assert res.info["evaluations"] == 6 and "max_evals" in res.message
    assert res.status == 1 and res.success and not res.converged and res.nit == 2
    np.testing.assert_allclose(res.history["effective_epochs"], [1, 1.5])


def test_nan_loss_stops_with_history(digits):
    model = mlp([16], input_shape=(8, 8), rng=0)

    def blow_up(it):
        it.x.params[...] *= 1e300 if it.nit == 1 else 1   # it.x is the model

    with pytest.raises(DivergenceError, match=r"train diverged .* epoch 2, step 1.*lr=0\.1") \
            as info:
        with np.errstate(all="ignore"):
            train(model, SGD(0.1), digits, epochs=5, batch_size=32, callback=blow_up)
    res = info.value.result
    assert len(res.history["loss"]) == 1 and res.nit == 1 and res.status == 5
    assert not res.success


def test_status_is_honest_a_budget_never_converges(digits):
    data = (digits.x_train[:200], digits.y_train[:200])
    res = train(mlp([8], input_shape=(8, 8), rng=0), SGD(0.1), data, epochs=3, batch_size=50)
    assert (res.status, res.success, res.converged, res.nit) == (1, True, False, 3)
    assert len(res.history["loss"]) == 3 and res.info["iterations"] == 3


def test_callback_receives_an_iterate_and_can_stop(digits):
    data = (digits.x_train[:200], digits.y_train[:200])
    model = mlp([8], input_shape=(8, 8), rng=0)
    seen = []

    def stop_after_two(it):
        seen.append((it.nit, it.x is model, it.values["epoch"]))
        return it.nit == 2

    res = train(model, SGD(0.1), data, epochs=5, batch_size=50, callback=stop_after_two)
    assert seen == [(1, True, 1), (2, True, 2)]
    assert (res.status, res.success, res.converged, res.nit) == (4, True, False, 2)
    assert len(res.history["loss"]) == 2


def test_interrupt_keeps_the_finished_epochs(digits):
    data = (digits.x_train[:200], digits.y_train[:200])

    def interrupt(it):
        if it.nit == 2:
            raise KeyboardInterrupt

    with pytest.warns(RuntimeWarning, match="interrupted after 2"):
        res = train(mlp([8], input_shape=(8, 8), rng=0), SGD(0.1), data, epochs=5,
                    batch_size=50, callback=interrupt)
    assert (res.status, res.success, res.nit) == (3, False, 2)
    assert len(res.history["loss"]) == 2


def test_optimizer_divergence_keeps_history(digits):
    class Diverging(SGD):
        def step(self, params, grad, oracle=None):
            if self.calls == 5:
                raise FloatingPointError("inner loop diverged at step 5")
            self.calls += 1
            super().step(params, grad, oracle)

    opt = Diverging(0.1)
    opt.calls = 0
    model = mlp([8], input_shape=(8, 8), rng=0)
    with pytest.raises(FloatingPointError, match="inner loop diverged") as info:
        train(model, opt, digits, epochs=3, batch_size=len(digits.x_train) // 2 + 1)
    assert len(info.value.result.history["loss"]) == 2  # two whole epochs finished


def test_train_bad_input(digits):
    model = mlp([4], input_shape=(8, 8), rng=0)
    x, y = digits.x_train[:10].copy(), digits.y_train[:10].copy()
    x[0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="x_train contains"):
        train(model, SGD(0.1), (x, y), epochs=1)
    with pytest.raises(ValueError, match="y_train must hold labels < n_classes=10"):
        train(model, SGD(0.1), (digits.x_train[:10], y + 10), epochs=1)
    with pytest.raises(ValueError, match="x_val must have shape"):
        train(model, SGD(0.1), (digits.x_train, digits.y_train, np.zeros((3, 5)), [0, 1, 2]),
              epochs=1)
    with pytest.raises(TypeError, match="data"):
        train(model, SGD(0.1), digits.x_train, epochs=1)
    for bad in (None, "mlp", np.zeros(3)):
        with pytest.raises(TypeError, match="model must be a pdeopt.nn.Sequential"):
            train(bad, SGD(0.1), digits, epochs=1)
        with pytest.raises(TypeError, match="optimizer must be an optimizer"):
            train(model, bad, digits, epochs=1)
    for epochs, err in ((0, ValueError), (-1, ValueError), (2.5, TypeError), (True, TypeError)):
        with pytest.raises(err, match="epochs"):
            train(model, SGD(0.1), digits, epochs=epochs)
    with pytest.raises(TypeError, match="callback must be callable"):
        train(model, SGD(0.1), digits, epochs=1, callback="print")
    with pytest.raises(TypeError, match="rng"):
        train(model, SGD(0.1), digits, epochs=1, rng="zero")
    with pytest.raises(TypeError, match="y_val"):
        train(model, SGD(0.1), (digits.x_train, digits.y_train, digits.x_test, None), epochs=1)


def test_train_squared_loss_regression_on_the_rvscgd_net():
    from pdeopt.nn import nonoverlap_cnn
    rng = np.random.default_rng(0)
    k, d = 4, 6
    teacher = nonoverlap_cnn(k, d, rng=1)
    z = rng.standard_normal((512, k, d))
    t = teacher.forward(z)[:, 0]
    student = nonoverlap_cnn(k, d, rng=2)
    res = train(student, SGD(0.5), (z, t), epochs=15, batch_size=64, loss="squared")
    assert np.isnan(res.history["train_error"]).all() and np.isnan(res.history["val_error"]).all()
    cos = student.params @ teacher.params / np.linalg.norm(student.params)
    assert res.history["loss"][-1] < res.history["loss"][0] and cos > 0.9


def test_optimizers_and_schedules_refuse_bad_arguments():
    for momentum in (1.0, 2.0, -0.5, np.nan):
        with pytest.raises(ValueError, match="momentum"):
            SGD(0.1, momentum=momentum)
    with pytest.raises(TypeError, match="nesterov must be True or False"):
        SGD(0.1, momentum=0.5, nesterov="yes")
    with pytest.raises(TypeError, match="schedule must be callable"):
        SGD(0.1, schedule=0.5)
    opt = SGD(0.1)
    with pytest.raises(TypeError, match="params must be a float numpy array"):
        opt.step([1.0, 2.0], np.ones(2))
    with pytest.raises(ValueError, match="grad must have the shape of params"):
        opt.step(np.ones(2), np.ones(3))
    with pytest.raises(ValueError, match="grad contains 1 NaN"):
        opt.step(np.ones(2), np.array([1.0, np.nan]))
    with pytest.raises(ValueError, match="epoch must be >= 0"):
        opt.on_epoch(-1)
    with pytest.raises(ValueError, match=r"floor must be in \[0, 1\]"):
        cosine_schedule(10, floor=2.0)
    with pytest.raises(ValueError, match="drops"):
        step_schedule({2: -0.1})
