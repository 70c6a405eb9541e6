"""nn on the GPU (issue 22): models, optimizers and ``train`` on CuPy arrays.

The device code paths run here on ``fake_cupy`` (a strict CuPy stand-in: implicit host
conversion and host/device mixing raise, transfers are counted) and are compared with the
host path, which is the reference: same weights, same batches, results within rounding.
Tests marked ``gpu`` need a real GPU with CuPy and skip without one.
"""
import sys

import numpy as np
import pytest

from pdeopt import BackendUnavailableError, DivergenceError
from pdeopt.kernels import nn as host_kernels
from pdeopt.nn import SGD, lenet, mlp, mnistfc, train
from pdeopt.nn import _device
from pdeopt.optim import HJ, EntropySGD, Heat
from pdeopt.testing.fake_cupy import transfers

RTOL = {np.float64: 1e-12, np.float32: 2e-5}


@pytest.fixture
def cp(fake_cupy):
    return fake_cupy


# --------------------------------------------------------------------------- gathers

GEOMETRIES = [  # (C, H, W, kernel, stride, padding)
    (3, 9, 8, (3, 3), (1, 1), (1, 1)),
    (2, 10, 11, (5, 5), (2, 3), (2, 0)),
    (1, 12, 12, (5, 5), (1, 1), (0, 0)),
    (2, 7, 7, (2, 2), (2, 2), (0, 0)),
    (2, 8, 9, (3, 2), (1, 2), (0, 0)),
]


def _out(h, w, k, s, p):
    return (h + 2 * p[0] - k[0]) // s[0] + 1, (w + 2 * p[1] - k[1]) // s[1] + 1


@pytest.mark.parametrize("c, h, w, k, s, p", GEOMETRIES)
def test_the_device_gathers_equal_the_host_kernels_twins(c, h, w, k, s, p):
    """im2col/col2im and pooling as index gathers (the device's code, run by NumPy here)
    against pdeopt.kernels.nn's NumPy twins: gathers exactly, sums within rounding."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, c, h, w))
    ho, wo = _out(h, w, k, s, p)
    cols = host_kernels.im2col_numpy(x, k, s, p, np.empty((3 * ho * wo, c * k[0] * k[1])))
    assert np.array_equal(_device.im2col(x, k, s, p), cols)
    dcols = rng.standard_normal(cols.shape)
    want = host_kernels.col2im_numpy(dcols, k, s, p, np.empty_like(x))
    np.testing.assert_allclose(_device.col2im(dcols, k, s, p, x.shape), want, rtol=1e-13,
                               atol=1e-13)
    if p != (0, 0):
        return
    out, arg = np.empty((3, c, ho, wo)), np.empty((3, c, ho, wo), np.int32)
    host_kernels.maxpool_forward_numpy(x, k, s, out, arg)
    got, offset = _device.maxpool_forward(x, k, s)
    assert np.array_equal(got, out)
    dout = rng.standard_normal(out.shape)
    want = host_kernels.maxpool_backward_numpy(dout, arg, np.empty_like(x))
    np.testing.assert_allclose(_device.maxpool_backward(dout, offset, k, s, x.shape), want,
                               rtol=1e-13, atol=1e-13)
    want = host_kernels.avgpool_forward_numpy(x, k, s, np.empty_like(out))
    np.testing.assert_allclose(_device.avgpool_forward(x, k, s), want, rtol=1e-13)
    want = host_kernels.avgpool_backward_numpy(dout, k, s, np.empty_like(x))
    np.testing.assert_allclose(_device.avgpool_backward(dout, k, s, x.shape), want,
                               rtol=1e-13, atol=1e-13)


# --------------------------------------------------------------------------- models

def _lenet(dtype):
    return lenet(channels=(4, 6), hidden=16, kernel_size=3, input_shape=(10, 10), dtype=dtype,
                 rng=1)


def _mlp(dtype):
    return mlp([24, 16], input_shape=(8, 8), batch_norm=True, dtype=dtype, rng=1)


@pytest.mark.parametrize("build, shape", [(_lenet, (10, 10)), (_mlp, (8, 8))],
                         ids=["lenet", "mlp-batchnorm"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_forward_and_backward_on_the_device_equal_the_host(cp, build, shape, dtype):
    rng = np.random.default_rng(2)
    x, y = rng.random((7, *shape)), rng.integers(0, 10, 7)
    host = build(dtype)
    loss, grad = host.loss_and_grad(x, y)
    logits = host.forward(x)
    dev = build(dtype).to("cuda")
    assert dev.device == "cuda" and isinstance(dev.params, cp.ndarray)
    d_x = cp.asarray(x)
    d_loss, d_grad = dev.loss_and_grad(d_x, cp.asarray(y))
    d_logits = dev.forward(d_x)
    assert isinstance(d_grad, cp.ndarray) and isinstance(d_logits, cp.ndarray)
    assert d_grad.dtype == dtype and d_logits.dtype == dtype     # float32 stays float32
    assert isinstance(d_loss, float)
    rtol = RTOL[dtype]
    assert d_loss == pytest.approx(loss, rel=rtol)
    scale = np.abs(grad).max()
    np.testing.assert_allclose(d_grad.get(), grad, rtol=rtol, atol=rtol * scale)
    np.testing.assert_allclose(d_logits.get(), logits, rtol=rtol, atol=rtol)
    # host input to a device model: per-sample results come back to the host
    assert isinstance(dev.predict(x), np.ndarray)
    assert np.array_equal(dev.predict(x), host.predict(x))
    assert dev.error(x, y) == host.error(x, y)


def test_to_moves_the_parameters_there_and_back(cp):
    host = _mlp(np.float64)
    dev = _mlp(np.float64).to("cuda")
    n_bn = sum(type(layer).__name__ == "BatchNorm" for layer in dev.layers)
    # the flat vector once, and each batch norm's two running statistics
    assert n_bn == 2 and transfers()["to_device"] == 1 + 2 * n_bn
    assert np.array_equal(dev.get_params().get(), host.params)
    dev.set_params(cp.asarray(2 * host.params))
    back = dev.to("cpu")
    assert back is dev and dev.device == "cpu" and isinstance(dev.params, np.ndarray)
    np.testing.assert_array_equal(dev.params, 2 * host.params)
    bn = next(layer for layer in dev.layers if type(layer).__name__ == "BatchNorm")
    assert isinstance(bn.running_mean, np.ndarray)               # the statistics came back
    assert dict(dev.param_views())["dense0.W"].base is not None  # views re-pointed


def _steps(model, optimizer, batches):
    """Optimizer steps as train() takes them, on fixed batches (inner loops included)."""
    xp_batches = iter(batches[1:])

    def oracle(w):
        xb, yb = next(xp_batches)
        saved = model.params.copy()
        model.params[...] = w                    # HEAT evaluates at other points
        value, grad, _ = model._loss_and_grad(xb, yb)
        model.params[...] = saved
        return value, grad.copy()

    for xb, yb in batches[:1]:
        _, grad, _ = model._loss_and_grad(xb, yb)
        optimizer.step(model.params, grad.copy(), oracle)


def _batches(model, count, n=8, seed=3):
    rng = np.random.default_rng(seed)
    return [(model.check_inputs(rng.random((n, 10, 10))),
             model.check_targets(rng.integers(0, 10, n), n)) for _ in range(count)]


def _run_steps(make_optimizer, steps, evals, cp=None, dtype=np.float64):
    model = _lenet(dtype)
    if cp is not None:
        model.to("cuda")
    opt = make_optimizer()
    batches = _batches(model, steps * evals)
    for k in range(steps):
        _steps(model, opt, batches[k * evals:(k + 1) * evals])
    return model.params if cp is None else model.params.get()


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sgd_steps_on_the_device_equal_the_host(cp, dtype):
    def make():
        return SGD(0.05, momentum=0.9, nesterov=True, weight_decay=1e-3)
    want = _run_steps(make, 4, 1, dtype=dtype)
    got = _run_steps(make, 4, 1, cp, dtype=dtype)
    assert got.dtype == dtype
    np.testing.assert_allclose(got, want, rtol=10 * RTOL[dtype], atol=10 * RTOL[dtype])


def test_hj_steps_on_the_device_equal_the_host(cp):
    """HJ's inner loop has no noise: the same steps, the same weights."""
    def make():
        return HJ(5.0, coupling=0.2, L=3, inner_lr=0.05, inner_momentum=0.5, rng=0)
    np.testing.assert_allclose(_run_steps(make, 3, 3, cp), _run_steps(make, 3, 3),
                               rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("method", [EntropySGD, Heat])
def test_noisy_steps_equal_the_host_with_the_same_noise(cp, monkeypatch, method):
    """Entropy-SGD and HEAT with identical noise injected on both sides: the host draws from
    the Generator passed in (in order), the device draws the same normals (monkeypatched)."""
    options = (dict(coupling=0.2, L=3, inner_lr=0.05, noise=0.3, inner_momentum=0.5)
               if method is EntropySGD else dict(heat=0.01, L=3))

    def make():
        return method(5.0 if method is EntropySGD else 0.05,
                      rng=np.random.default_rng(7), **options)
    want = _run_steps(make, 3, options["L"] + 1)

    from pdeopt.optim import entropy_sgd
    stream = np.random.default_rng(7)

    def same_normals(self, like):
        return cp.ndarray(stream.standard_normal(like.shape))   # drawn as the host does
    monkeypatch.setattr(entropy_sgd._Relaxed, "_normals", same_normals)
    got = _run_steps(make, 3, options["L"] + 1, cp)
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


def test_device_noise_is_seeded_from_rng_in_the_weights_dtype(cp):
    a, b = EntropySGD(1.0, rng=5), EntropySGD(1.0, rng=5)
    like = cp.zeros(1000, dtype=np.float32)
    xi = a._normals(like)
    assert isinstance(xi, cp.ndarray) and xi.dtype == np.float32
    assert np.array_equal(xi.get(), b._normals(like).get())          # reproducible
    assert not np.array_equal(xi.get(), a._normals(like).get())      # a stream, not a repeat
    assert abs(float(xi.std()) - 1) < 0.1


def test_the_oracle_must_answer_on_the_device(cp):
    opt = HJ(1.0, coupling=1.0, L=2, rng=0)
    x = cp.asarray(np.array([1.0, -2.0]))
    with pytest.raises(TypeError, match="oracle must return the gradient as a cupy array"):
        opt.step(x, x.copy(), lambda y: (0.5, np.ones(2)))


# --------------------------------------------------------------------------- train

def _digits(n=256):
    from pdeopt.data import load_digits
    d = load_digits()
    return d.x_train[:n], d.y_train[:n], d.x_test[:96], d.y_test[:96]


@pytest.mark.parametrize("make", [lambda: SGD(0.1, momentum=0.9),
                                  lambda: EntropySGD(10.0, coupling=0.1, L=2, inner_lr=0.1,
                                                     rng=0)],
                         ids=["SGD", "ESGD"])
def test_train_on_the_device_moves_the_data_once(cp, make):
    """Transfers do not grow with epochs or batches; history as the CPU's (floats)."""
    data = _digits()
    counts, results = [], []
    for epochs in (1, 3):
        before = transfers()
        model = mnistfc(hidden=32, dropout=0.2, input_shape=(8, 8), dtype=np.float32, rng=1)
        res = train(model, make(), data, epochs=epochs, batch_size=32, backend="cuda")
        after = transfers()
        counts.append({k: after[k] - before[k] for k in after})
        results.append(res)
    assert counts[0] == counts[1]
    # the model (1), x_train, y_train, x_val, y_val (4) in; the final parameters out
    assert counts[0] == {"to_device": 5, "to_host": 1}
    res = results[1]
    assert res.nit == 3 and res.info["parameters"]["device"] == "cuda"
    assert isinstance(res.x, np.ndarray) and res.x.dtype == np.float32
    for key in ("loss", "train_error", "val_error", "effective_epochs"):
        assert res.history[key].dtype == np.float64 and np.isfinite(res.history[key]).all()
    assert res.history["loss"][-1] < res.history["loss"][0]
    assert res.history["val_error"][-1] < 0.7      # it learns (chance: 0.9), in 24 steps


def test_train_on_the_device_learns_like_the_host(cp):
    """Other batches (CuPy's generator), same method: the host's curve within noise."""
    data = _digits(512)

    def run(backend):
        model = mnistfc(hidden=32, dropout=0.0, input_shape=(8, 8), rng=1)
        return train(model, SGD(0.1, momentum=0.9), data, epochs=4, batch_size=32,
                     backend=backend).history
    host, dev = run("auto"), run("cuda")
    np.testing.assert_allclose(dev["loss"], host["loss"], rtol=0.25)
    assert abs(dev["val_error"][-1] - host["val_error"][-1]) < 0.1


def test_train_with_device_data_returns_device_weights(cp):
    x, y, xv, yv = _digits()
    model = mnistfc(hidden=16, dropout=0.0, input_shape=(8, 8), rng=1).to("cuda")
    res = train(model, SGD(0.1), (cp.asarray(x), cp.asarray(y)), epochs=1, batch_size=64)
    assert isinstance(res.x, cp.ndarray) and np.isnan(res.history["val_error"][0])


@pytest.mark.parametrize("backend", ["auto", "cuda"], ids=["host", "device"])  # not a "cuda" test
def test_a_diverging_run_names_its_step_on_both(cp, backend):
    """Inputs so large that the logits overflow within a few steps: the host stops there,
    the device at the epoch's end, both naming the step, with the history so far (none)."""
    x, y, _, _ = _digits()
    model = mnistfc(hidden=16, dropout=0.0, input_shape=(8, 8), rng=1)
    with pytest.raises(DivergenceError, match=r"minibatch loss at epoch 1, step \d+ ") as info:
        with np.errstate(all="ignore"):
            train(model, SGD(0.1), (1e300 * x.astype(np.float64), y), epochs=2,
                  batch_size=64, backend=backend)
    assert info.value.result.nit == 0


def test_cuda_without_cupy_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "cupy", None)          # import cupy raises ImportError
    model = mlp([8], input_shape=(4,), rng=0)
    with pytest.raises(BackendUnavailableError, match=r"pip install pdeopt\[gpu\]"):
        model.to("cuda")
    with pytest.raises(BackendUnavailableError, match=r"pip install pdeopt\[gpu\]"):
        train(model, SGD(0.1), (np.ones((4, 4)), np.zeros(4, int)), epochs=1, backend="cuda")
    assert model.device == "cpu"
    with pytest.raises(ValueError, match="device must be one of"):
        model.to("gpu")


# --------------------------------------------------------------------------- validation, bench

def test_the_validation_reads_its_device(monkeypatch):
    from pdeopt.validation import deep_relaxation_table as table
    monkeypatch.delenv("PDEOPT_DEVICE", raising=False)
    assert table.device() == "cpu"
    monkeypatch.setenv("PDEOPT_DEVICE", "CUDA")
    assert table.device() == "cuda"
    monkeypatch.setenv("PDEOPT_DEVICE", "tpu")
    with pytest.raises(ValueError, match="PDEOPT_DEVICE"):
        table.device()


class _Units:
    """A validation context that records the units' specs and computes the first one."""

    def units(self, specs):
        self.specs = list(specs)
        return [self.specs[0][1]()] + [None] * (len(self.specs) - 1)


@pytest.mark.parametrize("on", ["cpu", "cuda"], ids=["host", "device"])
def test_the_validation_trains_its_units_where_asked(cp, monkeypatch, on):
    """PDEOPT_DEVICE=cuda: the units train on the device and are saved under their own
    keys and settings; the CPU's keys and settings are those of before."""
    from pdeopt.validation import deep_relaxation_table as table
    monkeypatch.setenv("PDEOPT_DEVICE", on)
    x, y, xv, yv = _digits(128)
    nets = {"mnistfc": (lambda s: mnistfc(hidden=16, input_shape=(8, 8), rng=s), 0.1, 1)}
    ctx = _Units()
    before = transfers()["to_device"]
    runs = table.run_all(ctx, (x, y, xv, yv), nets, [0], 32)
    key, _, params = ctx.specs[0]
    assert key == "mnistfc-ESGD-seed0" + ("-cuda" if on == "cuda" else "")
    assert params.get("device") == (None if on == "cpu" else "cuda")
    assert (transfers()["to_device"] > before) == (on == "cuda")
    curve = runs[("mnistfc", "ESGD", 0)]["val_error"]
    assert curve.size >= 1 and np.isfinite(curve).all()


def test_the_bench_group_skips_with_the_reason(monkeypatch):
    from pdeopt.bench import BenchContext
    from pdeopt.bench import gpu_nn
    monkeypatch.setattr(gpu_nn, "_why_not", lambda: "no CUDA GPU or driver was found")
    ctx = BenchContext("gpu-nn", quick=True, echo=lambda line: None)
    gpu_nn.bench(ctx)
    assert ctx.rows == [{"group": "gpu-nn", "note": "skipped: no CUDA GPU or driver was found"}]


def test_the_bench_group_runs_on_the_fake(cp, monkeypatch):
    """Its code path on fake_cupy at toy sizes (wall time for the CUDA events)."""
    import time
    from pdeopt.bench import BenchContext
    from pdeopt.bench import gpu_nn
    from pdeopt.kernels import _device as kdev

    def wall(cp_, fn, reps):
        fn()
        t0 = time.perf_counter()
        for _ in range(reps):
            fn()
        return (time.perf_counter() - t0) / reps
    monkeypatch.setattr(gpu_nn, "_why_not", lambda: "")
    monkeypatch.setattr(gpu_nn, "_event_time", wall)
    monkeypatch.setattr(kdev, "device_name", lambda: "fake")
    ctx = BenchContext("gpu-nn", quick=True, echo=lambda line: None)
    gpu_nn.bench(ctx)
    metrics = {r["metric"]: r["value"] for r in ctx.rows if "metric" in r}
    assert "deep-relaxation-table --full, extrapolated" in metrics
    assert sum("CPU (all cores) / GPU" in m for m in metrics) == 4
    assert all(v > 0 for v in metrics.values())


# --------------------------------------------------------------------------- real GPU

@pytest.mark.gpu
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_lenet_step_on_cupy_equals_the_host(dtype):
    import cupy
    rng = np.random.default_rng(0)
    x, y = rng.random((128, 28, 28)), rng.integers(0, 10, 128)
    host = lenet(input_shape=(28, 28), dtype=dtype, rng=0)
    dev = lenet(input_shape=(28, 28), dtype=dtype, rng=0).to("cuda")
    loss, grad = host.loss_and_grad(x, y)
    d_loss, d_grad = dev.loss_and_grad(cupy.asarray(x), cupy.asarray(y))
    rtol = {np.float64: 1e-10, np.float32: 1e-3}[dtype]
    assert d_loss == pytest.approx(loss, rel=rtol)
    np.testing.assert_allclose(cupy.asnumpy(d_grad), grad, rtol=rtol,
                               atol=rtol * np.abs(grad).max())


@pytest.mark.gpu
def test_train_on_cupy_runs_an_epoch_of_esgd():
    x = np.random.default_rng(0).random((1024, 28, 28))
    y = np.random.default_rng(1).integers(0, 10, 1024)
    res = train(mnistfc(input_shape=(28, 28), rng=0),
                EntropySGD(10.0, coupling=0.03, L=5, inner_lr=0.1, rng=0), (x, y),
                epochs=1, batch_size=128, backend="cuda")
    assert np.isfinite(res.history["loss"]).all() and isinstance(res.x, np.ndarray)
