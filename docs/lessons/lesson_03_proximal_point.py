r"""
Lesson 3. Proximal point and HJ-prox
====================================

The proximal point method is backward Euler on the gradient flow: each step solves a small
Hamilton–Jacobi problem, so the loss decreases by at least the squared step and the
gradient falls like :math:`t^{-1/2}`. When the proximal step has no closed form, HJ-prox
estimates it by Monte Carlo from samples of :math:`f` alone, trading a Laplace bias
:math:`O(\delta)` against a sampling error :math:`O(n^{-1/2})`.
"""

# %%
# What you will learn
# -------------------
#
# * the proximal step :math:`x_{k+1} = \operatorname{prox}_{\Delta t_k f}(x_k)` is the
#   Hopf–Lax minimiser, it obeys the energy inequality, and with steps growing ("small early,
#   large later") it can jump over local minima that trap small steps;
# * the gradient bound :math:`\min_{j \le n} |\nabla f(x_j)| \le \sqrt{2(f(x_0) - \min
#   f)/t(n)}` that follows from the energy inequality;
# * HJ-prox: a weighted mean of Gaussian samples estimates the proximal point; its error is
#   a Laplace bias of order :math:`\delta` plus a Monte Carlo error of order
#   :math:`n^{-1/2}`, so for a given budget :math:`n` there is a best :math:`\delta`.
#
# The mathematics in brief
# ------------------------
#
# Osher (2018), *New techniques in optimization*, part 1 "Deep Relaxation", slide "Proximal
# Method" (``shared/papers/osher-2018-new-techniques-in-optimization.md``):
#
# .. math::
#
#    x_{k+1} = \operatorname{argmin}_y \Bigl\{ f(y) + \frac{|y - x_k|^2}{2\Delta t_k}
#    \Bigr\}, \qquad x_{k+1} = x_k - \Delta t_k \nabla f(x_{k+1}) \;\text{(backward Euler)},
#
# .. math::
#
#    f(x_{k+1}) + \frac{|x_{k+1} - x_k|^2}{2\Delta t_k} = u(x_k, \Delta t_k) \le f(x_k)
#    \;\Longrightarrow\;
#    \sum_{j=1}^n \frac{\Delta t_j}{2} |\nabla f(x_j)|^2 \le f(x_0) - f(x_n),
#
# so with :math:`t(n) = \sum_{j \le n} \Delta t_j`, :math:`\min_{j\le n}|\nabla f(x_j)|
# \le \sqrt{2(f(x_0) - \min f)/t(n)}`. HJ-prox (Osher, Heaton, Wu Fung, *PNAS* 2023) is
# the viscous version: the proximal point is the limit :math:`\delta \to 0` of the mean of
# :math:`\rho_\delta(y) \propto e^{-(f(y) + |x-y|^2/(2t))/\delta}`, estimated with samples
# :math:`y_i \sim N(x, \delta t I)`:
#
# .. math::
#
#    \operatorname{prox}_{tf}(x) \approx
#    \frac{\sum_i y_i\, e^{-f(y_i)/\delta}}{\sum_i e^{-f(y_i)/\delta}}, \qquad
#    \mathbb E\,\text{bias} = -\delta\, \frac{\varphi'''}{2\varphi''^2} + O(\delta^2)
#    \;\text{in 1-D}, \quad \varphi(y) = f(y) + \frac{(x-y)^2}{2t}.
#
# The functions: :func:`pdeopt.hj.proximal_point` (grid mode, a ``prox=`` callable, or an
# inner L-BFGS solve), :func:`pdeopt.hj.proximal_step_sizes` and
# :func:`pdeopt.hj.hj_prox`.
#
# Proximal point on a nonconvex loss
# ----------------------------------
#
# The multiwell :math:`f(x) = x^2/4 + 1.5\cos 2x` (the validation
# :ref:`validation-prox-point`'s loss) has local minima near :math:`\pm 4.3` and global
# minima near :math:`\pm 1.45`. In grid mode each step is the exact grid minimum from
# :func:`pdeopt.hj.hopf_lax`.

import matplotlib.pyplot as plt
import numpy as np

from pdeopt.hj import hj_prox, hopf_lax, proximal_point, proximal_step_sizes


def f(x):
    return x**2 / 4 + 1.5 * np.cos(2 * x)


def fprime(x):
    return x / 2 - 3 * np.sin(2 * x)


x = np.linspace(-7, 7, 2801)
x0 = 5.0
schedules = {"constant Δt = 0.1": np.full(40, 0.1),
             "growing Δt = 0.1·1.2^k": proximal_step_sizes(40, 0.1, 1.2)}
COLORS = {"constant Δt = 0.1": "tab:blue", "growing Δt = 0.1·1.2^k": "tab:orange"}
runs = {name: proximal_point(f(x), x0, steps, grid=x, keep_path=True)
        for name, steps in schedules.items()}
for name, res in runs.items():
    h = res.history
    slack = h["f"][:-1] - h["envelope"][1:]          # f(x_k) - u(x_k, dt_k) >= 0
    print(f"{name:24s}: x_final = {float(res.x):+.3f}, f = {h['f'][-1]:+.3f}, "
          f"min of f(x_k) - u(x_k, dt_k) = {slack.min():.1e} (>= 0); {res.message}")

# %%
# The gradient bound
# ------------------
#
# With the true derivative at the iterates (not the step's :math:`|\Delta x|/\Delta t`):

C = np.sqrt(2 * (f(x0) - f(x).min()))
for name, res in runs.items():
    path = res.info["path"].ravel()
    t_n = res.history["time"][1:]
    best = np.minimum.accumulate(np.abs(fprime(path[1:])))
    print(f"{name:24s}: max of min|f'| / (C t(n)^-1/2) = "
          f"{np.max(best * np.sqrt(t_n) / C):.2f} (must be <= 1)")

# %%
# HJ-prox: bias against sampling error
# ------------------------------------
#
# At :math:`x = 2.5`, :math:`t = 0.25`, the exact proximal point is the global minimiser of
# :math:`\varphi`: the grid minimum from ``hopf_lax`` polished by Newton's method on
# :math:`y + t f'(y) = x`. For each :math:`\delta` and sample size :math:`n` we average the
# error of ``hj_prox`` over 20 seeds.

t, xq = 0.25, 2.5
_, y_grid = hopf_lax(f(x), x, t)
y_star = np.interp(xq, x, y_grid)
for _ in range(30):
    fsecond = 0.5 - 6 * np.cos(2 * y_star)
    y_star -= (y_star + t * fprime(y_star) - xq) / (1 + t * fsecond)
print(f"exact prox_tf({xq}) = {y_star:.10f}")


def f_batch(Y):
    return f(Y[:, 0])


deltas = np.geomspace(0.003, 3.0, 10)
budgets = [100, 1000, 10000]
rms = {n: [] for n in budgets}
for n in budgets:
    for d in deltas:
        est = [hj_prox(f_batch, xq, t, delta=d, n_samples=n, rng=s) for s in range(20)]
        rms[n].append(np.sqrt(np.mean((np.array(est) - y_star) ** 2)))
for n in budgets:
    k = int(np.argmin(rms[n]))
    print(f"n = {n:5d}: best delta = {deltas[k]:.3f}, RMS error {rms[n][k]:.1e}")

# The bias alone: the exact mean m_delta of rho_delta, by quadrature (no sampling).
nodes = np.linspace(-7, 7, 40001)
phi = f(nodes) + (nodes - xq) ** 2 / (2 * t)
bias = []
for d in deltas:
    w = np.exp(-(phi - phi.min()) / d)
    bias.append(abs(np.sum(w * nodes) / np.sum(w) - y_star))
print("Laplace bias |m_delta - prox| / delta:", np.round(np.array(bias) / deltas, 3))

fig, axes = plt.subplots(1, 3, figsize=(15, 4.2), constrained_layout=True)
ax = axes[0]
ax.plot(x, f(x), "k", lw=1.5, label="f(x) = x²/4 + 1.5 cos 2x")
for name, res in runs.items():
    path = res.info["path"].ravel()
    ax.plot(path, f(path), "o-", ms=3, lw=0.8, color=COLORS[name],
            label=f"iterates, {name}")
ax.set(xlim=(-1, 6), xlabel="x (dimensionless)", ylabel="f(x)",
       title="Growing proximal steps jump to the global well")
ax.legend(fontsize=8)

ax = axes[1]
for name, res in runs.items():
    path = res.info["path"].ravel()
    t_n = res.history["time"][1:]
    ax.loglog(t_n, np.minimum.accumulate(np.abs(fprime(path[1:]))), color=COLORS[name],
              label=f"min over j ≤ n of |f'(x_j)|, {name}")
ax.loglog(t_n, C / np.sqrt(t_n), "k--", label="bound √(2(f(x₀) − min f) / t(n))")
ax.set(xlabel="t(n) = Σ Δt_j", ylabel="|f'| at the iterates (dimensionless)",
       title=r"Energy inequality $\Rightarrow$ $|\nabla f| = O(t(n)^{-1/2})$")
ax.legend(fontsize=7)

ax = axes[2]
for n, c in zip(budgets, ["tab:green", "tab:red", "tab:purple"]):
    ax.loglog(deltas, rms[n], "o-", color=c, label=f"HJ-prox RMS error, n = {n}")
ax.loglog(deltas, bias, "k--", lw=1.5, label="Laplace bias |m_δ − prox| (quadrature)")
ax.set(xlabel="δ (smoothing)", ylabel="RMS |y − prox_tf(x)| over 20 seeds",
       title="HJ-prox: bias O(δ) vs Monte Carlo error")
ax.legend(fontsize=8)
plt.show()

# %%
# The plateaus of the middle panel are the grid: the iterates are grid nodes, where
# :math:`|f'|` is about :math:`h|f''|/2`. In the right panel, at large :math:`\delta` all
# budgets share the bias line. As :math:`\delta` shrinks, the
# samples :math:`N(x, \delta t)` stop reaching the proximal point
# (:math:`|x - y^*| = t|f'(y^*)| \gg \sqrt{\delta t}`) and the error rises again; a larger
# :math:`n` moves the best :math:`\delta` down and lowers the best error.
#
# Exercises
# ---------
#
# **Exercise 1.** Check the energy inequality in its summed form,
# :math:`\sum_j \frac{|x_j - x_{j-1}|^2}{2\Delta t_j} \le f(x_0) - f(x_n)`, for the
# multiwell from ten starts in :math:`[-6, 6]` with the growing schedule, using only
# ``res.history`` (``moved``, ``step``, ``f``).
#
# .. dropdown:: Solution to exercise 1
#
#    .. literalinclude:: /lessons/solutions/lesson_03_proximal_point_ex1.py
#       :language: python
#
# **Exercise 2.** For a quadratic :math:`f(y) = y^2/2` the density :math:`\rho_\delta` is a
# Gaussian whose mean is exactly :math:`x/(1+t)`: HJ-prox has no Laplace bias, only the
# Monte Carlo error. Fit the slope of the RMS error (over 40 seeds) against
# :math:`n = 10^2 \dots 10^4` at :math:`\delta = 0.5` and check it is :math:`-1/2`.
#
# .. dropdown:: Solution to exercise 2
#
#    .. literalinclude:: /lessons/solutions/lesson_03_proximal_point_ex2.py
#       :language: python
#
# **Exercise 3.** Check the Laplace bias formula: compute the exact mean
# :math:`m_\delta` of :math:`\rho_\delta` for the multiwell at :math:`x = 2.5`,
# :math:`t = 0.25` by quadrature (no sampling) and show that
# :math:`(m_\delta - y^*)/\delta \to -\varphi'''/(2\varphi''^2)` as :math:`\delta \to 0`.
#
# .. dropdown:: Solution to exercise 3
#
#    .. literalinclude:: /lessons/solutions/lesson_03_proximal_point_ex3.py
#       :language: python
#
# See also
# --------
#
# * :ref:`validation-prox-point`: the energy inequality, the gradient bound with its
#   constant, and backward Euler's first order against the exact gradient flow;
# * :ref:`validation-hj-prox`: the Laplace bias and the :math:`n^{-1/2}` Monte Carlo error
#   in 1-D and 2-D, and proximal point with HJ-prox on 10-D Rastrigin.
