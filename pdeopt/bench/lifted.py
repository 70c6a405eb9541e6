"""``pdeopt bench lifted``: an LPOM epoch against an SGD epoch on the same MLP and data.

Three numbers: the time of one LPOM epoch (minibatch block coordinate descent)
over one SGD epoch (forward + backward + momentum step per minibatch) of the
same MLP on the same digits; the share of the LPOM epoch spent in matrix products
(its limit: everything else is elementwise φ and bookkeeping); and the speed-up of
the parallel (Jacobi) order on 2 threads over 1 thread, with BLAS held to one
thread so that the threads are the only parallelism.
"""
from __future__ import annotations

import time

import numpy as np

from ._harness import benchmark


def _sgd_epoch(model, opt, x, y, batch_size, seed):
    from pdeopt.data import minibatches
    for xb, yb in minibatches(x, y, batch_size, rng=seed):
        _, grad = model.loss_and_grad(xb, yb)
        opt.step(model.params, grad)


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

    def timed(a, b):
        t0 = time.perf_counter()
        out = np.matmul(a, b)
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
               goal="close to 1: the epoch is BLAS-bound")

    with threadpool_limits(limits=1, user_api="blas"):
        row = ctx.compare("LPOM epoch, parallel (Jacobi) order, BLAS on 1 thread per job",
                          {"1 thread": lambda: lpom_epoch(order="parallel", n_jobs=1),
                           "2 threads": lambda: lpom_epoch(order="parallel", n_jobs=2)},
                          baseline="1 thread")
    ctx.metric("parallel order speed-up on 2 threads", row["speedup"]["2 threads"],
               unit="x", goal="≤ 2 on 2 cores; layers of unequal cost limit it")
    ctx.note("the parallel order updates every X^i from one snapshot and every W^i at once; "
             "its per-layer jobs run in threads (NumPy releases the GIL in BLAS)")
