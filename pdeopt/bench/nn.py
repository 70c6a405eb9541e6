"""``pdeopt bench nn``: one forward+backward pass of LeNet and mnistfc, and the cost of
each convolution layer relative to the matrix products it performs.

A convolution done by im2col costs three matrix products (forward ``cols Wᵀ``,
backward ``doutᵀ cols`` and ``dout W``) plus the data movement of gathering the
windows and scattering their gradients back. The products are the achievable
limit; the ratio layer time / product time, measured in the same run on the same
shapes, says how much the gathering costs on top.
"""
from __future__ import annotations

import numpy as np

from ._harness import benchmark


def _fwd_bwd(model, x, y):
    return lambda: model._loss_and_grad(x, y)[0]


@benchmark("nn", description="forward+backward of LeNet and mnistfc at batch 128; conv layer "
                             "time vs the time of its matrix products")
def bench(ctx):
    from pdeopt.nn import Conv2D, build_layer, lenet, mnistfc

    batch = ctx.pick(16, 128)
    for dtype in (np.float64, np.float32):
        x = ctx.rng.random((batch, 1, 28, 28)).astype(dtype)
        y = ctx.rng.integers(0, 10, batch)
        dt = np.dtype(dtype).name
        for name, model in (("lenet", lenet(seed=0, dtype=dtype)),
                            ("mnistfc", mnistfc(seed=0, dtype=dtype))):
            ctx.compare(f"{name} forward+backward", {"numpy": _fwd_bwd(model, x, y)},
                        size=f"batch {batch}, {dt}, {model.n_params} params")

    # Each LeNet convolution alone (forward + backward with ∂L/∂x) vs its three products.
    x = ctx.rng.random((batch, 1, 28, 28))
    for label, (c, hw, filters) in {"conv0 1->20 28x28": (1, 28, 20),
                                    "conv1 20->50 12x12": (20, 12, 50)}.items():
        layer = build_layer(Conv2D(filters, 5), (c, hw, hw), seed=0)
        inp = ctx.rng.random((batch, c, hw, hw))
        out = layer.forward(inp, True)
        dout = ctx.rng.random(out.shape)

        def layer_pass():
            layer.forward(inp, True)
            return layer.backward(dout)

        cols = layer.im2col(inp)
        wmat = layer.params["W"].reshape(filters, -1)
        d2 = np.ascontiguousarray(dout.transpose(0, 2, 3, 1).reshape(-1, filters))

        def products():
            cols @ wmat.T
            d2.T @ cols
            return d2 @ wmat

        row = ctx.compare(f"{label} forward+backward", {"layer": layer_pass, "matmuls": products},
                          baseline="matmuls", size=f"batch {batch}, float64")
        flops = 3 * 2 * cols.shape[0] * cols.shape[1] * filters
        ctx.metric(f"{label}: layer time / matmul time",
                   row["seconds"]["layer"] / row["seconds"]["matmuls"], goal="≤ 2×")
        ctx.metric(f"{label}: matmul GFLOP/s", flops / row["seconds"]["matmuls"] / 1e9,
                   unit="GFLOP/s")
