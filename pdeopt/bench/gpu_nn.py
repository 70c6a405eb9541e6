"""``pdeopt bench gpu-nn``: nn training steps on the GPU against the CPU, and Table 1's time.

On one GPU with CuPy (issue 22), batch 128 of 28×28 inputs:

``step``    one SGD step as :func:`pdeopt.nn.train` takes it (forward, backward, Nesterov
            update) of LeNet (the ``deep-relaxation-table --full`` net, dropout 0.5) and
            mnistfc (784-1024-1024-10, dropout 0.2), float32 and float64: the model moved by
            ``model.to("cuda")``, timed with CUDA events, against the same step on the host
            (numba kernels and BLAS on all CPU cores). Goal: the GPU faster.
``epoch``   one effective epoch (one pass of gradient evaluations over 60 000 synthetic
            MNIST-sized samples) of ``train(..., backend="cuda")`` with SGD and with ESGD
            (L = 5, Table 1's settings), per net, float64 as the validation runs it. From
            these, the time of ``deep-relaxation-table --full`` (3 seeds; mnistfc 100 and LeNet
            60 effective epochs for each of SGD, HEAT, ESGD, HJ, H-ESGD; the four relaxed
            methods costed at ESGD's rate) is extrapolated and printed. Goal: ≤ 12 minutes.

Without a GPU, without CuPy, or under numba's simulator the group records a note and skips.
"""
from __future__ import annotations

import time

import numpy as np

from pdeopt.bench._harness import benchmark
from pdeopt.bench.gpu import _why_not, cupy_or_skip, cupy_time

#: Table 1 at paper scale (validation deep-relaxation-table): seeds, effective epochs per
#: method and SGD's learning rate, per net
TABLE_SEEDS = 3
TABLE_BUDGET = {"mnistfc": 100, "LeNet": 60}
TABLE_SGD_LR = {"mnistfc": 0.1, "LeNet": 0.05}
TABLE_METHODS = 5          # SGD + four relaxed methods (HEAT, ESGD, HJ, H-ESGD)


_event_time = cupy_time    # a module name the tests can replace


def _nets(side):
    from pdeopt.nn import lenet, mnistfc
    shape = (side, side)
    return {"LeNet": lambda dtype: lenet(input_shape=shape, dropout=0.5, dtype=dtype, rng=0),
            "mnistfc": lambda dtype: mnistfc(input_shape=shape, dtype=dtype, rng=0)}


def _sgd_step(model, x, y):
    """One step as train() takes it: loss and gradient on (x, y), Nesterov SGD update."""
    from pdeopt.nn import SGD
    from pdeopt.nn.training import step_gradient
    opt = SGD(0.01, momentum=0.9, nesterov=True)

    def step():
        _, grad, _ = model._loss_and_grad(x, y)
        opt.step(model.params, step_gradient(opt, grad))
    return step


def _effective_epoch(build, method, sgd_lr, x, y, batch_size):
    """Seconds for one effective epoch of ``train(..., backend="cuda")`` with ``method``
    (Table 1's optimizer settings)."""
    from pdeopt.nn import train
    from pdeopt.validation.deep_relaxation_table import make_optimizer
    per_epoch = -(-x.shape[0] // batch_size)
    model = build(np.float64).to("cuda")
    t0 = time.perf_counter()
    res = train(model, make_optimizer(method, sgd_lr, 0), (x, y), epochs=10 ** 6,
                batch_size=batch_size, max_evals=per_epoch, rng=0)
    seconds = time.perf_counter() - t0
    assert np.isfinite(res.history["loss"]).all(), f"{method} diverged"
    return seconds


@benchmark("gpu-nn", description="LeNet/mnistfc SGD steps on the GPU vs all CPU cores, and "
                                 "deep-relaxation-table --full's time extrapolated (skips "
                                 "without a GPU)")
def bench(ctx):
    cp = cupy_or_skip(ctx, _why_not)
    if cp is None:
        return
    side, batch = ctx.pick(12, 28), ctx.pick(16, 128)
    nets = _nets(side)
    reps = ctx.pick(3, 50)
    for net, build in nets.items():
        for dtype in (np.float32, np.float64):
            x = ctx.rng.random((batch, side, side)).astype(dtype)
            y = ctx.rng.integers(0, 10, batch)
            host = build(dtype)
            t_cpu = ctx.time(_sgd_step(host, host.check_inputs(x), host.check_targets(y, batch)),
                             repeat=ctx.pick(2, 3))
            dev = build(dtype).to("cuda")
            t_gpu = _event_time(cp, _sgd_step(dev, dev.check_inputs(x),
                                              dev.check_targets(y, batch)), reps)
            name = f"{net} {np.dtype(dtype).name} SGD step, batch {batch}"
            ctx.rows.append({"group": ctx.name, "kernel": name, "size": f"batch={batch}",
                             "baseline": "CPU (all cores)",
                             "seconds": {"CPU (all cores)": t_cpu, "GPU": t_gpu},
                             "speedup": {"CPU (all cores)": 1.0, "GPU": t_cpu / t_gpu}})
            ctx.metric(f"{name}: GPU ms", t_gpu * 1e3, unit="ms")
            ctx.metric(f"{name}: CPU (all cores) / GPU", t_cpu / t_gpu, unit="×", goal="> 1")

    # one effective epoch per net and method kind, on MNIST-sized synthetic data whose
    # labels a linear map decides (learnable: the relaxed methods' steps stay finite)
    n = ctx.pick(256, 60_000)
    x = ctx.rng.random((n, side, side))
    y = (x.reshape(n, -1) @ ctx.rng.standard_normal((side * side, 10))).argmax(axis=1)
    total = 0.0
    for net, build in nets.items():
        t_sgd = _effective_epoch(build, "SGD", TABLE_SGD_LR[net], x, y, batch)
        t_esgd = _effective_epoch(build, "ESGD", TABLE_SGD_LR[net], x, y, batch)
        ctx.metric(f"{net} float64: one effective epoch, SGD", t_sgd, unit="s")
        ctx.metric(f"{net} float64: one effective epoch, ESGD (L=5)", t_esgd, unit="s")
        total += TABLE_SEEDS * TABLE_BUDGET[net] * (t_sgd + (TABLE_METHODS - 1) * t_esgd)
    scale = 60_000 / n          # quick mode measures a slice of an epoch
    minutes = total * scale / 60
    ctx.metric("deep-relaxation-table --full, extrapolated", minutes, unit="min",
               goal="≤ 12")
    ctx.note(f"deep-relaxation-table --full on this GPU: about {minutes:.1f} min in one "
             f"process ({TABLE_SEEDS} seeds × {TABLE_METHODS} methods; mnistfc "
             f"{TABLE_BUDGET['mnistfc']}, LeNet {TABLE_BUDGET['LeNet']} effective epochs); "
             "several processes share its units (PDEOPT_DEVICE=cuda pdeopt validate "
             "deep-relaxation-table --full in each)")
