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
    from pdeopt.nn import Conv2D, lenet, mnistfc

    batch = ctx.pick(16, 128)
    try:  # small products are sensitive to BLAS threading on a busy machine: say what ran
        from threadpoolctl import threadpool_info
        blas = [f"{i['internal_api']} {i['num_threads']} thread(s)" for i in threadpool_info()
                if i.get("user_api") == "blas"]
        ctx.note("BLAS: " + (", ".join(blas) or "unknown"))
    except ImportError:
        pass
    for dtype in (np.float64, np.float32):
        x = ctx.rng.random((batch, 1, 28, 28)).astype(dtype)
        y = ctx.rng.integers(0, 10, batch)
        dt = np.dtype(dtype).name
        for name, model in (("lenet", lenet(rng=0, dtype=dtype)),
                            ("mnistfc", mnistfc(rng=0, dtype=dtype))):
            ctx.compare(f"{name} forward+backward", {"numpy": _fwd_bwd(model, x, y)},
                        size=f"batch {batch}, {dt}, {model.n_params} params")

    # Each LeNet convolution alone, as the net runs it (the first one needs no ∂L/∂x),
    # vs the matrix products it performs on the same operands.
    model = lenet(rng=0)
    inp = ctx.rng.random((batch, 1, 28, 28))
    for layer in model.layers:
        if isinstance(layer, Conv2D):
            c, hw = layer.input_shape[:2]
            label = f"lenet conv {c}->{layer.filters} {hw}x{hw}"
            out = layer._forward(inp, True)  # unchecked passes, as the model runs them
            dout = ctx.rng.random(out.shape)
            n = inp.shape[0]
            cols = layer.im2col(inp).reshape(n, -1, layer.kernel_matrix().shape[1])
            wmat, d3 = layer.kernel_matrix(), dout.reshape(n, layer.filters, -1)

            def layer_pass(layer=layer, inp=inp, dout=dout):
                layer._forward(inp, True)
                return layer._backward(dout)

            def products(cols=cols, wmat=wmat, d3=d3, dx=layer.need_input_grad):
                np.matmul(wmat, cols.transpose(0, 2, 1))                  # forward
                np.matmul(d3, cols)                                       # ∂L/∂W (per sample)
                return np.matmul(d3.transpose(0, 2, 1), wmat) if dx else None  # ∂L/∂windows

            n_products = 3 if layer.need_input_grad else 2
            row = ctx.compare(f"{label} forward+backward ({n_products} products)",
                              {"layer": layer_pass, "matmuls": products}, baseline="matmuls",
                              size=f"batch {batch}, float64")
            flops = n_products * 2 * cols.size * layer.filters
            ctx.metric(f"{label}: layer time / matmul time",
                       row["seconds"]["layer"] / row["seconds"]["matmuls"], goal="≤ 2×")
            ctx.metric(f"{label}: matmul rate", flops / row["seconds"]["matmuls"] / 1e9,
                       unit="GFLOP/s")
        inp = layer._forward(inp, True)
