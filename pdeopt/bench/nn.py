"""``pdeopt bench nn``: one SGD step of LeNet and of mnistfc beside PyTorch on the CPU.

A step is what :func:`pdeopt.nn.train` does per minibatch: forward, softmax cross-entropy,
backward and a plain SGD update of the flat parameter vector, at batch 128. It is timed in
float32 and float64, with 1 and 2 threads (BLAS's, the kernels' (``compiled_threads``) and
PyTorch's alike), beside PyTorch 2.13 (``torch==2.13.0``, the CPU build; skipped when it is
not installed) running the same layers in the same dtype: LeNet conv 5×5-20, ReLU, max-pool
2, conv 5×5-50, ReLU, max-pool 2, dense 500, ReLU, dense 10 (as ``pdeopt.nn.lenet`` builds
it for 28×28 images) and mnistfc 784-1024-1024-10 with ReLU and dropout 0.2 on the input and
after each hidden layer. The ratio printed is pdeopt's time over PyTorch's (medians of
interleaved rounds, each after 0.3 s of idle so that neither library's spinning threads
take a core from the other's); the goal is ≤ 1.2 for LeNet and ≤ 1.0 for mnistfc.
"""
from __future__ import annotations

import numpy as np

from ._harness import benchmark


def _pdeopt_step(model, x, y, optimizer):
    from pdeopt.nn.training import step_gradient

    def step():
        value, grad, _ = model._loss_and_grad(x, y)   # as train() does it, minibatch checked
        optimizer.step(model.params, step_gradient(optimizer, grad))
        return value
    return step


def _torch_net(name, dtype):
    import torch
    from torch import nn
    if name == "lenet":
        layers = [nn.Conv2d(1, 20, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(20, 50, 5),
                  nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(800, 500), nn.ReLU(),
                  nn.Linear(500, 10)]
    else:
        layers = [nn.Flatten(), nn.Dropout(0.2), nn.Linear(784, 1024), nn.ReLU(),
                  nn.Dropout(0.2), nn.Linear(1024, 1024), nn.ReLU(), nn.Dropout(0.2),
                  nn.Linear(1024, 10)]
    net = nn.Sequential(*layers).to({np.float32: torch.float32,
                                     np.float64: torch.float64}[np.dtype(dtype).type])
    return net.train()


def _torch_step(net, x, y, lr):
    import torch
    optimizer = torch.optim.SGD(net.parameters(), lr=lr)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)

    def step():
        optimizer.zero_grad(set_to_none=False)
        loss = torch.nn.functional.cross_entropy(net(xt), yt)
        loss.backward()
        optimizer.step()
        return float(loss.detach())
    return step


@benchmark("nn", description="one SGD step (batch 128) of LeNet and mnistfc, float32/float64, "
                             "1 and 2 threads, beside PyTorch on the CPU")
def bench(ctx):
    from threadpoolctl import threadpool_limits

    from pdeopt.kernels import compiled_threads
    from pdeopt.nn import SGD, lenet, mnistfc
    try:
        import torch
    except ImportError:
        torch = None
        ctx.note("PyTorch is not installed (pip install torch==2.13.0, the CPU build): "
                 "pdeopt's steps are timed alone")
    else:
        ctx.note(f"PyTorch {torch.__version__}")
        saved_threads = torch.get_num_threads()
    batch, lr = ctx.pick(16, 128), 0.01
    builders = {"lenet": lambda dt: lenet(rng=0, dtype=dt),
                "mnistfc": lambda dt: mnistfc(rng=0, dtype=dt)}
    goals = {"lenet": "≤ 1.2", "mnistfc": "≤ 1.0"}
    try:
        for threads in (1, 2):
            with threadpool_limits(threads, user_api="blas"), compiled_threads(threads):
                if torch is not None:
                    # after compiled_threads: numba's and PyTorch's OpenMP runtime can be one
                    # library (libgomp), where numba.set_num_threads resets PyTorch's count
                    torch.set_num_threads(threads)
                    if torch.get_num_threads() != threads:
                        ctx.note(f"PyTorch runs {torch.get_num_threads()} threads, not "
                                 f"{threads}")
                for dtype in (np.float32, np.float64):
                    x = ctx.rng.random((batch, 1, 28, 28)).astype(dtype)
                    y = ctx.rng.integers(0, 10, batch)
                    for name, build in builders.items():
                        model = build(dtype)
                        steps = {"pdeopt": _pdeopt_step(model, x, y, SGD(lr))}
                        if torch is not None:
                            steps["torch"] = _torch_step(_torch_net(name, dtype), x, y, lr)
                        label = f"{name} SGD step, {np.dtype(dtype).name}, {threads} thread(s)"
                        row = ctx.compare(label, steps,
                                          baseline="torch" if torch is not None else "pdeopt",
                                          size=f"batch {batch}, {model.n_params} params",
                                          repeat=ctx.pick(2, 9), settle=ctx.pick(0.0, 0.3))
                        if torch is not None:
                            sec = row["seconds"]
                            ctx.metric(f"{label}: pdeopt / PyTorch", sec["pdeopt"] / sec["torch"],
                                       goal=goals[name])
    finally:
        if torch is not None:
            torch.set_num_threads(saved_threads)
