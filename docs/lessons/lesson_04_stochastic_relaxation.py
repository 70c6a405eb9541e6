r"""
Lesson 4. Stochastic relaxation: Langevin, Entropy-SGD, Kramers, homogenization
================================================================================

Local entropy has a gradient that is an average over a Gibbs measure, and Langevin dynamics
samples it: that is Entropy-SGD. This lesson estimates that gradient, runs Entropy-SGD,
measures how long noisy gradient descent stays in a well (Kramers' formula), and checks the
three continuous-time pictures of the method: the two-scale system and its homogenized limit,
controlled SGD, and elastically coupled replicas.
"""

# %%
# What you will learn
# -------------------
#
# * :math:`\nabla f_\gamma(x) = (x - \langle y \rangle)/\gamma` and a Langevin chain
#   estimates :math:`\langle y\rangle` with a standard error (and an :math:`O(\eta')`
#   step bias); Entropy-SGD is SGD on that estimate;
# * the mean time to escape a well grows like :math:`e^{\beta\,\Delta f}` (Kramers): noise
#   alone is an exponentially slow way out of a bad minimum;
# * three limits of the same idea: the two-scale Entropy-SGD system tends to the gradient
#   flow of :math:`f_\gamma` as :math:`\varepsilon \to 0` (homogenization), :math:`p`
#   replicas coupled elastically reach it by averaging in space, and an optimal control
#   added to SGD lowers the expected loss by at least its own cost.
#
# The mathematics in brief
# ------------------------
#
# Oberman (2017), *Deep relaxation: PDEs for optimizing deep neural networks*
# (``shared/papers/oberman-2017-deep-relaxation-pdes.md``): Lemma 4, Algorithm 1,
# "Metastability", Theorem 15 (homogenization), Theorem 7 (controlled SGD), "Distributed
# version". The local-entropy gradient and its Langevin estimate:
#
# .. math::
#
#    \nabla f_\gamma(x) = \frac{x - \langle y\rangle}{\gamma}, \quad
#    \rho^\infty(y; x) \propto e^{-f(y) - |x-y|^2/(2\gamma)}, \qquad
#    y_{\ell+1} = y_\ell - \eta'\Bigl(\nabla f(y_\ell) + \frac{y_\ell - x}{\gamma}\Bigr)
#    + \sqrt{2\eta'}\,\xi_\ell .
#
# Kramers' formula for :math:`dx = -f'(x)\,dt + \sqrt{2/\beta}\,dW`, from a minimum
# :math:`x_1` over the saddle :math:`x_3`:
#
# .. math::
#
#    \mathbb E_{x_1}[\tau] \approx \frac{2\pi}{\sqrt{f''(x_1)\,|f''(x_3)|}}\,
#    e^{\beta (f(x_3) - f(x_1))} .
#
# The two-scale system and its homogenized limit (Theorem 15):
#
# .. math::
#
#    dx = -\tfrac{1}{\gamma}(x - y)\,ds, \quad
#    dy = -\tfrac{1}{\varepsilon}\Bigl[\nabla f(y) + \tfrac{1}{\gamma}(y - x)\Bigr]ds
#    + \sqrt{2/\varepsilon}\,dW
#    \;\xrightarrow{\;\varepsilon \to 0\;}\; d\bar x = -\nabla f_\gamma(\bar x)\,ds .
#
# Controlled SGD adds a drift :math:`-\alpha\,dt` minimising
# :math:`\mathbb E[V(x(T)) + \tfrac12\int|\alpha|^2]`; the HJB value :math:`u` gives
# :math:`\alpha = u_x` and (Theorem 7)
# :math:`\mathbb E V(x_{\rm csgd}(T)) + \tfrac12\mathbb E\!\int|\alpha|^2 \le
# \mathbb E V(x_{\rm sgd}(T))`.
#
# The functions: :func:`pdeopt.sde.local_entropy_gradient`,
# :class:`pdeopt.optim.EntropySGD`, :func:`pdeopt.sde.exit_times`,
# :func:`pdeopt.sde.mean_exit_time`, :func:`pdeopt.sde.kramers_time`,
# :func:`pdeopt.sde.two_scale_esgd`, :func:`pdeopt.sde.gradient_flow`,
# :func:`pdeopt.sde.controlled_sgd` and :func:`pdeopt.optim.elastic_averaging`.
#
# The Langevin estimate of the local-entropy gradient
# ---------------------------------------------------
#
# The tilted double well :math:`f(y) = \tfrac12(y^2-1)^2 + 0.3y` (deep well at
# :math:`y \approx -1.1`, shallow one at :math:`y \approx 0.9`), scope :math:`\gamma = 0.5`
# (the problem of the validations :ref:`validation-langevin-local-entropy` and
# :ref:`validation-homogenization`). The exact :math:`\nabla f_\gamma` comes from
# :func:`pdeopt.hj.local_entropy` on a fine grid.

import matplotlib.pyplot as plt
import numpy as np

from pdeopt.hj import local_entropy
from pdeopt.optim import EntropySGD, elastic_averaging
from pdeopt.sde import (controlled_sgd, double_well, exit_times, gradient_flow,
                        kramers_time, local_entropy_gradient, mean_exit_time,
                        two_scale_esgd)


def f(y):
    return 0.5 * (y**2 - 1) ** 2 + 0.3 * y


def grad_f(y):
    return 2 * y * (y**2 - 1) + 0.3


GAMMA = 0.5
axis = np.linspace(-7, 7, 4001)
points = np.linspace(-1.8, 1.8, 13)
_, exact = local_entropy(f(axis), axis, GAMMA, grad=True, points=points)
langevin, stderr = [], []
for p in points:
    res = local_entropy_gradient(grad_f, np.array([p]), GAMMA, max_iter=400,
                                 step_size=0.01, n_chains=64, rng=0)
    langevin.append(res.x[0])
    stderr.append(res.info["standard_error"][0])
langevin, stderr = np.array(langevin), np.array(stderr)
print("z-scores (estimate - exact) / standard error:",
      np.round((langevin - exact) / stderr, 1))

# %%
# The estimates sit 0.6 to 1.5 standard errors low at every point: a systematic shift, the
# :math:`O(\eta')` bias of the unadjusted Langevin step, not sampling noise (exercise 3).
#
# Entropy-SGD on the same loss
# ----------------------------
#
# :class:`pdeopt.optim.EntropySGD` takes its step on a flat parameter vector in place, with
# an oracle returning :math:`(f, \nabla f)` for the inner Langevin loop. Its ``coupling`` is
# :math:`1/\gamma`, the inverse of the scope (here 2, scope 0.5), grown by ``scoping`` each step;
# ``noise`` :math:`\varepsilon = 1` means temperature :math:`\varepsilon^2/2 = 1/2`. We
# start 20 runs in the shallow well, and gradient descent beside them.


def oracle(y):
    return float(f(y[0])), grad_f(y)


esgd_paths = []
for seed in range(20):
    opt = EntropySGD(0.1, coupling=2.0, scoping=0.05, L=50, inner_lr=0.01, noise=1.0,
                     alpha=0.05, momentum=0.5, rng=seed)
    xk, path = np.array([1.0]), [1.0]
    for _ in range(60):
        opt.step(xk, grad_f(xk), oracle)
        path.append(xk[0])
    esgd_paths.append(path)
esgd_paths = np.array(esgd_paths)
gd = [1.0]
for _ in range(60):
    gd.append(gd[-1] - 0.1 * grad_f(gd[-1]))
print(f"Entropy-SGD ends in the deep well (x < 0) in "
      f"{np.sum(esgd_paths[:, -1] < 0)} of 20 runs; "
      f"gradient descent ends at {gd[-1]:.3f}")

# %%
# Kramers: escape times grow like :math:`e^{\beta\Delta f}`
# ---------------------------------------------------------
#
# On the symmetric double well :math:`f = (x^2-1)^2` (barrier 1), 1000 Euler–Maruyama paths
# from :math:`x = -1` until they reach :math:`x = 1`, against the exact mean first-passage
# time (a double integral) and Kramers' asymptotic formula.

well = double_well(1.0)
betas = np.array([2.0, 3.0, 4.0, 5.0])
mc_mean, mc_se, exact_T = [], [], []
for beta in betas:
    tau = exit_times(well, -1.0, 1.0, beta=beta, dt=0.01, n_paths=1000, max_time=1e5,
                     rng=0).x
    mc_mean.append(tau.mean())
    mc_se.append(tau.std(ddof=1) / np.sqrt(tau.size))
    exact_T.append(mean_exit_time(well, -1.0, 1.0, beta))
kramers = kramers_time(well, -1.0, 0.0, betas)
for b, m, s, e, k in zip(betas, mc_mean, mc_se, exact_T, kramers):
    print(f"beta = {b}: Monte Carlo {m:6.1f} ± {s:4.1f}, exact {e:6.1f}, "
          f"Kramers {k:6.1f}")

# %%
# Homogenization and elastic averaging
# ------------------------------------
#
# The reference is the gradient flow of :math:`f_\gamma` (RK4 on a tabulated exact
# gradient). The two-scale system is integrated for three scale separations
# :math:`\varepsilon`, 60 paths each; elastic averaging couples :math:`p` Langevin replicas
# at temperature 1 to a reference :math:`x` whose time is :math:`s = k\,\eta_x`.

table_x = np.linspace(-3, 3, 1201)
_, table = local_entropy(f(axis), axis, GAMMA, grad=True, points=table_x)
x0, horizon = 2.0, 1.5
flow = gradient_flow(lambda z: np.interp(z, table_x, table), [x0], t=horizon, dt=1e-3)
s_ref, x_ref = flow.history["time"], flow.history["x"][:, 0]

two_scale = {}
for eps in (0.1, 0.03, 0.01):
    res = two_scale_esgd(grad_f, [x0], gamma=GAMMA, epsilon=eps, t=horizon, n_paths=60,
                         record_every=10, rng=0)
    s, xs = res.history["time"], res.history["x"][:, :, 0]
    reference = np.interp(s, s_ref, x_ref)[:, None]
    gap = np.max(np.sqrt(np.mean((xs - reference) ** 2, axis=1)))
    two_scale[eps] = (s, xs.mean(axis=1), gap)
    print(f"two-scale, epsilon = {eps:4.2f}: max_s RMS |x - x_bar| = {gap:.3f}")

elastic = {}
lr, coupling_lr = 0.01, 0.001
for p in (2, 8, 32):
    res = elastic_averaging(lambda y, rng: grad_f(y), [x0], replicas=p, gamma=GAMMA,
                            lr=lr, coupling_lr=coupling_lr, temperature=1.0,
                            max_iter=int(horizon / coupling_lr),
                            objective=lambda z: z[0], rng=1)
    s = np.arange(1, res.nit + 1) * coupling_lr
    xs = res.history["objective"]
    elastic[p] = (s, xs, np.max(np.abs(xs - np.interp(s, s_ref, x_ref))))
    print(f"elastic averaging, p = {p:2d} replicas: "
          f"max_s |x - x_bar| = {elastic[p][2]:.3f}")

# %%
# Controlled SGD
# --------------
#
# :func:`pdeopt.sde.controlled_sgd` solves the HJB equation backward and both Fokker–Planck
# equations forward on a grid (:math:`\beta = 2`, :math:`V = f`, start near the shallow
# well).

xg = np.linspace(-3, 3, 241)
sol = controlled_sgd(grad_f, f, xg, np.exp(-(xg - 1) ** 2 / 0.18), t=1.0, n_steps=50)
info = sol.info
print(f"E V(sgd) = {info['expected_V_sgd']:.4f} >= E V(csgd) + control cost = "
      f"{info['expected_V_csgd']:.4f} + {info['control_cost']:.4f}; "
      f"improvement {info['improvement']:.4f}")

C = {"exact": "k", "langevin": "tab:blue", "esgd": "tab:orange", "gd": "tab:red",
     "mc": "tab:blue", "kramers": "tab:green"}
SHADES = ["tab:cyan", "tab:purple", "tab:olive"]
fig, axes = plt.subplots(2, 3, figsize=(15, 8.5), constrained_layout=True)
ax = axes[0, 0]
ax.plot(points, exact, "-", color=C["exact"], label=r"exact $\nabla f_\gamma$ (grid)")
ax.errorbar(points, langevin, yerr=2 * stderr, fmt="o", ms=4, color=C["langevin"],
            label="Langevin estimate ± 2 s.e. (64 chains)")
ax.plot(points, grad_f(points), ":", color="0.5", label=r"$f'$ (unrelaxed)")
ax.set(xlabel="x (dimensionless)", ylabel="gradient",
       title=r"Langevin estimates $\nabla f_\gamma$ (Lemma 4)")
ax.legend(fontsize=8)

ax = axes[0, 1]
for k, path in enumerate(esgd_paths):
    ax.plot(path, color=C["esgd"], lw=0.6, alpha=0.6,
            label="Entropy-SGD, 20 seeds" if k == 0 else None)
ax.plot(gd, color=C["gd"], lw=2, label="gradient descent")
ax.axhline(-1.13, color="0.4", ls="--", label="deep minimum of f")
ax.axhline(0.94, color="0.4", ls=":", label="shallow minimum of f")
n_deep = int(np.sum(esgd_paths[:, -1] < 0))
ax.set(xlabel="outer iteration", ylabel="x",
       title=f"Entropy-SGD: {n_deep} of 20 runs reach the deep well; GD stays")
ax.legend(fontsize=8)

ax = axes[0, 2]
ax.errorbar(betas, mc_mean, yerr=2 * np.array(mc_se), fmt="o", color=C["mc"],
            label="Euler–Maruyama mean ± 2 s.e. (1000 paths)")
ax.semilogy(betas, exact_T, "-", color=C["exact"],
            label="exact mean first-passage time")
ax.semilogy(betas, kramers, "--", color=C["kramers"], label="Kramers' formula")
ax.set(xlabel=r"inverse temperature $\beta$", ylabel="mean escape time (time units)",
       title=r"Escape time grows like $e^{\beta \Delta f}$")
ax.legend(fontsize=8)

ax = axes[1, 0]
eps = np.array(list(two_scale))
gaps = np.array([g for _, _, g in two_scale.values()])
ax.loglog(eps, gaps, "o-", color="tab:purple",
          label=r"two-scale system: max$_s$ RMS $|x - \bar x|$ (60 paths)")
ax.loglog(eps, gaps[0] * np.sqrt(eps / eps[0]), "k--", lw=1,
          label=r"$\propto \varepsilon^{1/2}$ (theory, guide)")
ax.set(xlabel=r"scale separation $\varepsilon$", ylabel="gap to the $f_\\gamma$ flow",
       title=r"Homogenization: the gap shrinks as $\varepsilon \to 0$")
ax.legend(fontsize=8)

ax = axes[1, 1]
ax.plot(s_ref, x_ref, color=C["exact"], lw=2, label=r"gradient flow of $f_\gamma$")
for (p, (s, xs, gap)), c in zip(elastic.items(), SHADES):
    ax.plot(s, xs, color=c, lw=1,
            label=f"elastic averaging, p = {p} replicas (max gap {gap:.3f})")
ax.set(xlabel="time s = k η_x", ylabel="reference x(s)",
       title="More replicas: closer to the $f_\\gamma$ flow")
ax.legend(fontsize=8)

ax = axes[1, 2]
ax.plot(xg, sol.history["rho_sgd"][0], color="0.6", label="initial density ρ₀")
ax.plot(xg, sol.history["rho_sgd"][-1], color=C["gd"], label="SGD density at T = 1")
ax.plot(xg, sol.history["rho_csgd"][-1], color=C["esgd"],
        label="controlled SGD density at T = 1")
ax.plot(xg, f(xg), "k:", label="loss V = f")
ax.set(xlim=(-2.5, 2.5), ylim=(-0.5, 2.5), xlabel="x (dimensionless)",
       ylabel="density (1/unit x) and loss",
       title="Controlled SGD shifts mass towards the deep well")
ax.legend(fontsize=8)
plt.show()

# %%
# Exercises
# ---------
#
# **Exercise 1.** Kramers' formula is asymptotic: compute the ratio of the exact mean
# first-passage time (:func:`pdeopt.sde.mean_exit_time`) to
# :func:`pdeopt.sde.kramers_time` on the double well for :math:`\beta = 4, 8, 16, 32` and
# show that it tends to 1, the gap shrinking like :math:`1/\beta`.
#
# .. dropdown:: Solution to exercise 1
#
#    .. literalinclude:: /lessons/solutions/lesson_04_stochastic_relaxation_ex1.py
#       :language: python
#
# **Exercise 2.** Check Theorem 7's identity and inequality from both sides: the optimal
# cost :math:`\int u(\cdot, 0)\rho_0` equals :math:`\mathbb E V(x_{\rm csgd}(T)) +
# \tfrac12\mathbb E\int|\alpha|^2` on the grid, is below :math:`\mathbb E V(x_{\rm
# sgd}(T))`, and Monte Carlo paths (:func:`pdeopt.sde.controlled_sgd_paths`) agree with the
# grid's expectations within their standard errors, for starts at :math:`x = 1` and
# :math:`x = 0.5`.
#
# .. dropdown:: Solution to exercise 2
#
#    .. literalinclude:: /lessons/solutions/lesson_04_stochastic_relaxation_ex2.py
#       :language: python
#
# **Exercise 3.** The Langevin estimate's bias is :math:`O(\eta')`. Use many chains so that
# the standard error is small, and show that halving the step size :math:`\eta'` roughly
# halves the error of :func:`pdeopt.sde.local_entropy_gradient` at :math:`x = -1.5`.
#
# .. dropdown:: Solution to exercise 3
#
#    .. literalinclude:: /lessons/solutions/lesson_04_stochastic_relaxation_ex3.py
#       :language: python
#
# See also
# --------
#
# * :ref:`validation-langevin-local-entropy`: the Langevin estimate within its standard
#   error, and Algorithm 1's inner loop;
# * :ref:`validation-kramers`: Monte Carlo exit times against the exact time and Kramers'
#   formula;
# * :ref:`validation-homogenization`: the two-scale gap shrinking like
#   :math:`\varepsilon^{1/2}`;
# * :ref:`validation-controlled-sgd`: Theorem 7 by HJB/Fokker–Planck and by Monte Carlo;
# * :ref:`validation-elastic-averaging`: the gap shrinking with the number of replicas.
