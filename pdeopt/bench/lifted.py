"""``pdeopt bench lifted``: an LPOM epoch against an SGD epoch on the same MLP and data.

Four numbers: the time of one LPOM epoch (minibatch block coordinate descent)
over one SGD epoch (forward + backward + momentum step per minibatch) of the
same MLP on the same digits; the share of the LPOM epoch spent in matrix products
(its limit: everything else is elementwise φ and bookkeeping); the speed-up of the
sample-space W-steps over the same APG steps on the weight matrices, on an
MNIST-shaped net (784 inputs, batch 50: the shape of ``lpom-mnist --full``); and the
speed-up of the parallel (Jacobi) order on 2 threads over 1 thread, with BLAS held to
one thread so that the threads are the only parallelism.
"""
from __future__ import annotations

import time
from contextlib import contextmanager

import numpy as np

from .._threads import blas_threads_limit
from ._harness import benchmark


def _sgd_epoch(model, opt, x, y, batch_size, seed):
    from pdeopt.data import minibatches
    for xb, yb in minibatches(x, y, batch_size, rng=seed):
        _, grad = model.loss_and_grad(xb, yb)
        opt.step(model.params, grad)


@contextmanager
def _weight_space_steps():
    """Every W-block APG on the (d_out, d) weight matrix, as LPOM ran before the
    sample-space steps (the reference of the speed-up)."""
    from pdeopt.lifted.lpom import _Lifted
    from pdeopt.lifted.mlp import augment
    saved = _Lifted.solve_w
    _Lifted.solve_w = lambda self, k, iters, metric: self._solve_w_weights(
        k, augment(self.xs[k], self.bias), iters, metric)
    try:
        yield
    finally:
        _Lifted.solve_w = saved


def _mnist_shaped_epoch(ctx, lpom_train):
    """One LPOM epoch of 784-500-200-100-10 (a Table 2 net) on MNIST-shaped data: pixels
    in [0, 1], labels of a random linear teacher; W-steps in weight vs sample space."""
    rng = np.random.default_rng(0)
    n = ctx.pick(300, 3000)
    x = rng.random((n, 784))
    y = np.argmax(x @ rng.standard_normal((784, 10)), axis=1)
    kw = dict(epochs=1, batch_size=50, rng=0, record_objective=False)

    def weight_space():
        with _weight_space_steps():
            lpom_train(x, y, [500, 200, 100], **kw)

    with blas_threads_limit(1):
        row = ctx.compare(f"one LPOM epoch, MLP 784-500-200-100-10, {n} MNIST-shaped samples, "
                          "batch 50, BLAS on 1 thread",
                          {"W-steps in weight space": weight_space,
                           "W-steps in sample space": lambda: lpom_train(
                               x, y, [500, 200, 100], **kw)},
                          baseline="W-steps in weight space", repeat=3)
    ctx.metric("sample-space W-steps: speed-up of an MNIST-shaped LPOM epoch",
               row["speedup"]["W-steps in sample space"], unit="x",
               goal="≥ 3 (lpom-mnist --full: 7 nets × 5 epochs in well under an hour)")


@benchmark("lifted", description="LPOM epoch vs SGD epoch (same MLP, digits); matrix-product "
                                 "share; parallel-order speed-up on 2 threads")
def bench(ctx):
    from threadpoolctl import threadpool_limits

    from pdeopt.data import load_digits
    from pdeopt.lifted import init_weights, lpom_train
    from pdeopt.lifted import lpom as lpom_module
    from pdeopt.nn import SGD, mlp

    data = load_digits()
    n = ctx.pick(300, len(data.x_train))
    x, y = data.x_train[:n], data.y_train[:n]
    hidden = ctx.pick([64, 32], [300, 100])
    batch = 50
    sizes = [64, *hidden, 10]
    w0 = init_weights(sizes, rng=0)
    lpom_kw = dict(epochs=1, batch_size=batch, rng=0, record_objective=False)

    def lpom_epoch(**kw):
        return lpom_train(x, y, hidden, weights=[w.copy() for w in w0], **lpom_kw, **kw)

    model = mlp(hidden, input_shape=(8, 8), rng=0)
    opt = SGD(0.05, momentum=0.9)
    with threadpool_limits(limits=1, user_api="blas"):   # both on one BLAS thread
        row = ctx.compare(f"one epoch, MLP 64-{'-'.join(map(str, hidden))}-10, {n} digits, "
                          "BLAS on 1 thread",
                          {"SGD (nn)": lambda: _sgd_epoch(model, opt, x, y, batch, 0),
                           "LPOM serial": lpom_epoch},
                          baseline="SGD (nn)")
    ctx.metric("LPOM epoch / SGD epoch", 1 / row["speedup"]["LPOM serial"], unit="x",
               goal="the price of no backprop (w_iters=20, x_iters≤40 per batch)")

    # share of the LPOM epoch in matrix products: time every product of the inner loops
    spent = [0.0]

    def timed(a, b, **out):
        t0 = time.perf_counter()
        out = np.matmul(a, b, **out)
        spent[0] += time.perf_counter() - t0
        return out

    lpom_module._mm = timed
    try:
        t0 = time.perf_counter()
        lpom_epoch()
        total = time.perf_counter() - t0
    finally:
        lpom_module._mm = np.matmul
    ctx.metric("share of the LPOM epoch in matrix products", spent[0] / total,
               goal="a profile: the sample-space W-steps left small (·, m)×(m, m) products, so "
                    "elementwise φ and bookkeeping hold the rest")

    _mnist_shaped_epoch(ctx, lpom_train)

    with threadpool_limits(limits=1, user_api="blas"):
        row = ctx.compare("LPOM epoch, parallel (Jacobi) order, BLAS on 1 thread per job",
                          {"1 thread": lambda: lpom_epoch(order="parallel", n_jobs=1),
                           "2 threads": lambda: lpom_epoch(order="parallel", n_jobs=2)},
                          baseline="1 thread")
    ctx.metric("parallel order speed-up on 2 threads", row["speedup"]["2 threads"],
               unit="x", goal="≤ 2 on 2 cores; layers of unequal cost limit it")
    ctx.note("the parallel order updates every X^i from one snapshot and every W^i at once; "
             "its per-layer jobs run in threads (NumPy releases the GIL in BLAS)")
