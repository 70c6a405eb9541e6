"""The data-parallel training step: a float32 convolutional batch split across threads."""
import pickle

import numpy as np
import pytest

from pdeopt.kernels import compiled_threads
from pdeopt.kernels.nn import batch_parts
from pdeopt.nn import SGD, Conv2D, Dense, Dropout, Flatten, MaxPool2D, ReLU, Sequential, train


def _two_threads():
    with compiled_threads(2):
        if batch_parts() < 2:
            pytest.skip("numba's pool has one thread here (NUMBA_NUM_THREADS=1)")


def _net(dtype=np.float32, extra=(), seed=0):
    layers = [Conv2D(4, 3), ReLU(), MaxPool2D(2), *extra, Flatten(), Dense(10)]
    return Sequential(layers, input_shape=(1, 10, 10), dtype=dtype, rng=seed)


def _batch(n=96, seed=1, dtype=np.float32):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, 1, 10, 10)).astype(dtype), rng.integers(0, 10, n)


def _step(model, x, y, threads):
    with compiled_threads(threads):
        value, grad, out = model._loss_and_grad(x, y)
    return value, grad.copy(), out.copy()


@pytest.mark.parametrize("n", [64, 96, 97])
def test_split_step_equals_the_whole_batch_step(n):
    # the parts' shares of the mean loss and of the gradient add up to the whole batch's: a
    # wrong weight (the parts' own means summed) doubles them, far outside float32 rounding
    _two_threads()
    x, y = _batch(n)
    whole, split = _net(), _net()
    v1, g1, o1 = _step(whole, x, y, 1)
    v2, g2, o2 = _step(split, x, y, 2)
    assert split._replicas and not whole._replicas      # the second did split
    assert v2 == pytest.approx(v1, rel=1e-6)
    np.testing.assert_allclose(o2, o1, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(g2, g1, rtol=0, atol=1e-5 * np.abs(g1).max())
    # and against float64's gradient, the reference of both
    ref = _net(np.float64)
    _, g64, _ = _step(ref, x.astype(np.float64), y, 2)
    assert not ref._replicas                             # float64 never splits
    np.testing.assert_allclose(g2, g64, rtol=0, atol=1e-5 * np.abs(g64).max())


def test_split_step_is_reproducible_and_leaves_the_parameters_shared():
    _two_threads()
    x, y = _batch()
    model = _net()
    _, g1, _ = _step(model, x, y, 2)
    _, g2, _ = _step(model, x, y, 2)
    np.testing.assert_array_equal(g1, g2)
    model.params[:] *= 0.5            # the replicas read the same parameter vector
    _, g3, _ = _step(model, x, y, 2)
    fresh = _net()
    fresh.params[:] = model.params
    _, g4, _ = _step(fresh, x, y, 1)
    np.testing.assert_allclose(g3, g4, rtol=0, atol=1e-5 * np.abs(g4).max())


def test_layers_that_are_not_per_sample_or_small_batches_do_not_split():
    _two_threads()
    x, y = _batch(96)
    dropout = _net(extra=[Dropout(0.2)])
    _step(dropout, x, y, 2)
    assert not dropout._replicas                         # a random stream: never split
    small = _net()
    _step(small, x[:40], y[:40], 2)                       # < 32 samples per part
    assert not small._replicas
    off = _net()
    off.batch_split = False
    _step(off, x, y, 2)
    assert not off._replicas


def test_training_with_a_split_batch_learns_and_pickles_without_the_copies():
    _two_threads()
    rng = np.random.default_rng(3)
    # a learnable rule: the class is the brighter quadrant of a noisy image
    y = rng.integers(0, 4, 256)
    x = 0.5 * rng.standard_normal((256, 1, 10, 10)).astype(np.float32)
    for k in range(4):
        x[y == k, 0, 5 * (k // 2):5 * (k // 2) + 5, 5 * (k % 2):5 * (k % 2) + 5] += 1.0
    model = Sequential([Conv2D(4, 3), ReLU(), MaxPool2D(2), Flatten(), Dense(4)],
                       input_shape=(1, 10, 10), dtype=np.float32, rng=0)
    before = model.error(x, y)
    with compiled_threads(2):
        train(model, SGD(0.1, momentum=0.9), (x, y), epochs=15, batch_size=64, rng=0)
    assert model._replicas
    assert model.error(x, y) < before - 0.2
    clone = pickle.loads(pickle.dumps(model))
    assert clone._replicas is None
    np.testing.assert_array_equal(clone.params, model.params)
