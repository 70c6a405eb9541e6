"""A residual block is a forward Euler step: n blocks converge to the ODE at first order.

Osher (2018, "Implicit activation", ResNet and control) reads a residual block
x_{l+1} = x_l + Δt·v(x_l) as one forward Euler step of the transport/control ODE
dx/dt = v(x). Here v(x) = tanh(Wx + b) with fixed random W, b in R^4, and the block
is built from ``pdeopt.nn`` layers: ``Residual([Dense, Tanh, Dense(h·I, no bias)])``,
i.e. x + h·tanh(Wx + b). A stack of n blocks with h = T/n, applied to a batch of
inputs, is compared with the ODE's solution at T (``solve_ivp``, rtol 1e-12).

Checks: forward Euler's global error is e(h) = h·E(T) + O(h²), E solving the
variational equation E′ = J(x(t))E − ½x″(t), E(0) = 0 (J = ∂v/∂x, x″ = J v), solved
independently to 1e-12; at h = T/256 the measured error / (h·E(T)) must be 1 within
5 % (the O(h) remainder), and the observed order between the two finest steps must
be 1 within 0.1 (the remainder shifts it by O(h)).
"""
import numpy as np
import scipy.integrate

from ._harness import validation


def _ode(w, b):
    """v(x) = tanh(Wx + b), its Jacobian, and the ODE's right-hand side for solve_ivp."""
    def v(x):
        return np.tanh(w @ x + b)

    def jac(x):
        return (1 - np.tanh(w @ x + b) ** 2)[:, None] * w
    return v, jac


def euler_constant(v, jac, x0, t_end):
    """E(T) of forward Euler: E′ = J E − ½ J v along the exact solution, E(0) = 0."""
    d = x0.size

    def rhs(t, z):
        x, e = z[:d], z[d:]
        j = jac(x)
        return np.concatenate([v(x), j @ e - 0.5 * j @ v(x)])
    sol = scipy.integrate.solve_ivp(rhs, (0, t_end), np.concatenate([x0, np.zeros(d)]),
                                    rtol=1e-12, atol=1e-14, method="DOP853")
    return sol.y[:d, -1], sol.y[d:, -1]


@validation("resnet-forward-euler",
            source="Osher 2018, Implicit activation: ResNet as the forward Euler discretisation "
                   "of a transport/control ODE",
            description="n residual blocks x + h tanh(Wx + b) (pdeopt.nn.Residual), h = T/n, "
                        "converge to the ODE dx/dt = tanh(Wx + b) at first order, with forward "
                        "Euler's error constant.")
def resnet_forward_euler(ctx):
    import matplotlib.pyplot as plt

    from pdeopt.nn import build_layer
    from pdeopt.nn.activations import Tanh
    from pdeopt.nn.layers import Dense, Residual

    d, t_end = 4, 2.0
    w = ctx.rng.normal(size=(d, d)) / np.sqrt(d) * 1.5
    b = ctx.rng.normal(size=d) * 0.5
    v, jac = _ode(w, b)
    x0 = ctx.rng.normal(size=(3, d))                       # a batch of three inputs
    exact, consts = zip(*(euler_constant(v, jac, x, t_end) for x in x0))
    exact, consts = np.array(exact), np.array(consts)

    ns = np.array(ctx.pick(quick=[16, 32, 64, 128, 256], default=[8, 16, 32, 64, 128, 256]))
    errors = []
    for n in ns:
        h = t_end / n
        block = build_layer(Residual([Dense(d), Tanh(), Dense(d, bias=False)]), (d,), rng=0)
        first, _, last = block.layers
        first.params["W"][...] = w
        first.params["b"][...] = b
        last.params["W"][...] = h * np.eye(d)
        x = x0.copy()
        for _ in range(n):                                  # n blocks, shared weights
            x = block.forward(x)
        errors.append(x - exact)
    errors = np.array(errors)                               # [n, batch, d]
    hs = t_end / ns
    norms = np.linalg.norm(errors, axis=(1, 2))
    ratio = np.sum(errors[-1] * consts) / (hs[-1] * np.sum(consts * consts))
    ctx.check("error / (h E(T)) at h = T/256 (projection on E)", ratio, 1.0, tol=0.05,
              claim="osher2018/resnet-forward-euler", headline=True,
              note="E(T) from the variational equation; tol: the O(h) remainder")
    resid = np.linalg.norm(errors[-1] - hs[-1] * consts) / np.linalg.norm(hs[-1] * consts)
    ctx.check("|error - h E(T)| / |h E(T)| at h = T/256", resid, 0.0, tol=0.05,
              comparison="le", claim="osher2018/resnet-forward-euler")
    order = np.log(norms[-2] / norms[-1]) / np.log(2.0)
    ctx.check("observed order (two finest h)", order, 1.0, tol=0.1,
              claim="osher2018/resnet-forward-euler")
    ctx.table("| blocks n | h | max error | error / (h·|E(T)|) |\n|---|---|---|---|\n"
              + "\n".join(f"| {n} | {h:.4g} | {np.abs(e).max():.3e} | "
                          f"{np.linalg.norm(e) / (h * np.linalg.norm(consts)):.4f} |"
                          for n, h, e in zip(ns, hs, errors)))

    fig, (ax_t, ax_e) = plt.subplots(1, 2, figsize=(11, 4.2))
    sol = scipy.integrate.solve_ivp(lambda t, z: v(z), (0, t_end), x0[0], rtol=1e-10,
                                    dense_output=True)
    tt = np.linspace(0, t_end, 200)
    for i in range(d):
        ax_t.plot(tt, sol.sol(tt)[i], color=f"C{i}", lw=1.2,
                  label=f"ODE x_{i + 1}(t)" if i == 0 else None)
        x = x0[0].copy()
        path = [x]
        h = t_end / 8
        for _ in range(8):
            x = x + h * v(x)
            path.append(x)
        ax_t.plot(np.linspace(0, t_end, 9), np.array(path)[:, i], "o--", color=f"C{i}",
                  ms=4, lw=0.8, label="8 residual blocks (layers)" if i == 0 else None)
    ax_t.set(xlabel="t (depth × h)", ylabel="state x_i", title="a ResNet is forward Euler "
             "of dx/dt = tanh(Wx + b)")
    ax_t.legend(fontsize=8)
    ax_e.loglog(hs, norms, "o-", color="C0", label="|ResNet(x0) − x(T)| (batch of 3)")
    ax_e.loglog(hs, hs * np.linalg.norm(consts), "k:", label="h·|E(T)| (variational equation)")
    ax_e.set(xlabel="step h = T/n", ylabel="error at T = 2", title="first-order convergence")
    ax_e.legend(fontsize=8)
    ctx.save_figure(fig)
