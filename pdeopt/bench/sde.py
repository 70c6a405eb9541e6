"""``pdeopt bench sde``: the many-path Euler–Maruyama kernel, and Entropy-SGD's overhead."""
from __future__ import annotations

import time

import numpy as np

from ._harness import benchmark


def _em_exit(ctx):
    from pdeopt.kernels import available_backends, select
    from pdeopt.sde import double_well

    n_paths = ctx.pick(10_000, 200_000)
    n_steps = ctx.pick(50, 200)
    coeffs = double_well(1.0).grad_coeffs
    x0 = -np.ones(n_paths)
    paths = np.arange(n_paths, dtype=np.int64)
    # threshold far away: every path runs every step (pure stepping throughput)
    args = (paths, coeffs, 0.0025, 1.0, 0, n_steps, 50.0, 12345)
    candidates = {b: (lambda b=b: select("sde.em_exit", b)(x0, *args))
                  for b in available_backends("sde.em_exit")}

    def agree(outputs):
        ref = outputs["numpy"][0]
        return "max |x - numpy| = " + ", ".join(
            f"{k}: {np.max(np.abs(v[0] - ref)):.2e}" for k, v in outputs.items() if k != "numpy")

    row = ctx.compare("em_exit (double well, counter-based noise)", candidates,
                      baseline="numpy", size=f"{n_paths} paths x {n_steps} steps", check=agree)
    work = n_paths * n_steps
    for backend, seconds in row["seconds"].items():
        ctx.metric(f"em_exit {backend}: paths*steps per second", work / seconds, unit="1/s")
    ctx.metric("em_exit numba speed-up over the vectorized NumPy twin",
               row["speedup"].get("numba", float("nan")), unit="x", goal=">= 5x")


def _esgd_overhead(ctx):
    from pdeopt._threads import blas_threads_limit
    from pdeopt.data import load_digits
    from pdeopt.nn import SGD, mnistfc, train
    from pdeopt.optim import EntropySGD

    ds = load_digits()
    data = (ds.x_train, ds.y_train, ds.x_test[:1], ds.y_test[:1])
    batch = 64
    per_epoch = int(np.ceil(ds.x_train.shape[0] / batch))
    evals = ctx.pick(1, 3) * per_epoch * 5  # whole outer steps of L = 5 for ESGD

    makers = {"sgd": lambda: SGD(0.1, momentum=0.9, nesterov=True),
              "esgd": lambda: EntropySGD(1 / 0.03, L=5, seed=0),
              "quiet": lambda: EntropySGD(1 / 0.03, L=5, noise=0.0, seed=0)}
    best = dict.fromkeys(makers, np.inf)
    # one BLAS thread (the library's policy for these small products: BLAS threads
    # waiting for a busy core swamp the comparison), the three runs interleaved and
    # the best of the repeats kept, so that a burst of load hits all three alike
    with blas_threads_limit(1):
        for _ in range(ctx.pick(1, 3)):
            for name, make in makers.items():
                model = mnistfc(hidden=128, input_shape=(8, 8), seed=0)
                t0 = time.perf_counter()
                res = train(model, make(), data, epochs=10 ** 6, batch_size=batch, seed=0,
                            max_evals=evals)
                best[name] = min(best[name], (time.perf_counter() - t0)
                                 / res.history["effective_epochs"][-1])
    sgd, esgd, quiet = best["sgd"], best["esgd"], best["quiet"]
    ctx.note(f"mnistfc(hidden=128) on digits, batch {batch}: SGD {sgd * 1e3:.1f} ms, "
             f"Entropy-SGD (L=5) {esgd * 1e3:.1f} ms, without Langevin noise "
             f"{quiet * 1e3:.1f} ms per effective epoch, one BLAS thread (the difference is drawing "
             f"one normal per weight per inner step, done one outer step ahead in a "
             f"background thread)")
    ctx.metric("Entropy-SGD / SGD time per effective epoch", esgd / sgd, unit="x",
               goal="<= 1.1x")
    ctx.metric("Entropy-SGD without noise / SGD time per effective epoch", quiet / sgd, unit="x",
               goal="<= 1.1x")


@benchmark("sde", description="Euler–Maruyama paths*steps per second (numba vs NumPy twin); "
                              "Entropy-SGD's time per effective epoch vs SGD's")
def bench(ctx):
    _em_exit(ctx)
    _esgd_overhead(ctx)
