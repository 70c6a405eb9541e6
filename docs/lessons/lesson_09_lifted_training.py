r"""
Lesson 9. Lifted training and optimization-inspired networks
============================================================

Two bridges between optimization and deep networks, from Zhouchen Lin's lectures. *Lifted*
training treats the activations of every layer as variables, so that a network is trained
by block coordinate descent without backpropagation (LPOM, ADMM). Conversely, an
optimization algorithm unrolled for a few iterations *is* a network: gradient descent a
plain net, heavy ball a ResNet, Nesterov a DenseNet, ADMM a DMRNet, ISTA a LISTA. This
lesson trains both kinds on the digits and checks the convergence rates behind them.
"""

# %%
# What you will learn
# -------------------
#
# * LPOM's lifted objective: with :math:`f = \int_0(\varphi^{-1} - \mathrm{id})` and
#   :math:`g = \int_0(\varphi - \mathrm{id})` from the activation table, minimising over a
#   layer's output gives back the forward pass :math:`X = \varphi(WX_{\text{prev}})`;
# * LPOM and ADMM against SGD on a small MLP;
# * the :math:`O(1/t)` and :math:`O(1/t^2)` rates of gradient descent, heavy ball and
#   Nesterov (Theorems 1–3) and the networks they inspire; a learned unrolled ISTA.
#
# The mathematics in brief
# ------------------------
#
# Lin (2019), *Optimization and deep neural networks*
# (``shared/papers/lin-2019-optimization-and-deep-neural-networks.md``). LPOM (Li, Fang,
# Lin, AAAI 2019) trains :math:`X^{i} = \varphi(W^{i-1}X^{i-1})` by minimising over the
# weights *and* the activations
#
# .. math::
#
#    \min_{W, X}\ \ell(X^n, L) + \sum_{i=2}^{n} \mu_i \Bigl(
#    \mathbf 1^\top f(X^i)\mathbf 1 + \mathbf 1^\top g(W^{i-1}X^{i-1})\mathbf 1
#    + \tfrac12\|X^i - W^{i-1}X^{i-1}\|_F^2 \Bigr),
#
# with :math:`f(x) = \int_0^x (\varphi^{-1}(t) - t)\,dt` and
# :math:`g(x) = \int_0^x(\varphi(t) - t)\,dt` (the activation table). Each term is
# minimised in :math:`X^i` at :math:`X^i = \varphi(W^{i-1}X^{i-1})`; the blocks are convex
# and updated by fixed-point iterations that use :math:`\varphi` only.
#
# Gradient descent with step :math:`1/\beta`, heavy ball with
# :math:`\alpha_k = \alpha_0/(k+2)`, :math:`\beta_k = k/(k+2)`, and Nesterov obey, on a
# convex :math:`\beta`-smooth :math:`f` (Theorems 1–3),
#
# .. math::
#
#    f(x_t) - f^* \le \frac{2\beta\|x_1 - x^*\|^2}{t-1},\qquad
#    f(x_t) - f^* \le \frac{\|x_0 - x^*\|^2}{2\alpha_0(t+1)},\qquad
#    f(y_t) - f^* \le \frac{2\beta\|x_1 - x^*\|^2}{t^2} .
#
# A layer :math:`x \mapsto \Phi(Wx)` is a gradient step on an objective built from
# :math:`\Phi` (Lemma 4), so :math:`T` layers with the skips of an algorithm form an
# *optimization-inspired* net.
#
# The functions: :func:`pdeopt.lifted.get_lifted_activation` (the table
# :data:`pdeopt.lifted.LIFTED_ACTIVATIONS`), :func:`pdeopt.lifted.lpom_train`,
# :func:`pdeopt.lifted.admm_train`, :func:`pdeopt.lifted.gradient_descent`,
# :func:`pdeopt.lifted.heavy_ball`, :func:`pdeopt.lifted.nesterov`,
# :func:`pdeopt.lifted.rate_bounds`, :func:`pdeopt.lifted.lista_train`,
# :func:`pdeopt.nn.inspired_net` and :class:`pdeopt.nn.OptimizationBlock`.
#
# The activation table
# --------------------

import matplotlib.pyplot as plt
import numpy as np

from pdeopt.data import load_digits
from pdeopt.lifted import (LIFTED_ACTIVATIONS, admm_train, get_lifted_activation,
                           gradient_descent, heavy_ball, lista_forward, lista_init,
                           lista_train, lpom_train, nesterov, rate_bounds,
                           sparse_coding_data)
from pdeopt.nn import INSPIRED_KINDS, SGD, inspired_net, mlp, train

print("activations of the table:", ", ".join(LIFTED_ACTIVATIONS))
for name in ("relu", "sigmoid", "tanh"):
    act = get_lifted_activation(name)
    a = np.array([-1.5, 0.3, 2.0])
    x = act.phi(a)
    print(f"{name:8s}: phi(a) = {np.round(x, 3)}, phi_inv(phi(a)) = "
          f"{np.round(act.phi_inv(x), 3)}, Lipschitz {act.lipschitz}, "
          f"f, g in closed form: {act.closed_form}")

# %%
# (For ReLU, :math:`\varphi^{-1}` returns the least preimage, 0, where
# :math:`\varphi` is flat.)
#
# LPOM and ADMM against SGD on the digits
# ---------------------------------------
#
# An MLP 64-100-10 with ReLU: LPOM (no backpropagation, minibatches of 50, 5 epochs),
# ADMM on the whole training set (20 iterations), and SGD with momentum (5 epochs).

digits = load_digits()
xtr, ytr, xte, yte = digits.x_train, digits.y_train, digits.x_test, digits.y_test
lpom = lpom_train(xtr, ytr, [100], epochs=5, rng=0, x_val=xte, y_val=yte)
admm = admm_train(xtr, ytr, [100], max_iter=20, rng=0, x_val=xte, y_val=yte)
sgd = train(mlp([100], input_shape=(8, 8), rng=0), SGD(0.05, momentum=0.9), digits,
            epochs=5, batch_size=50)
TRAINERS = {"LPOM": "tab:green", "ADMM": "tab:purple", "SGD": "tab:blue"}
val_error = {"LPOM": lpom.history["val_error"], "ADMM": admm.history["val_error"],
             "SGD": sgd.history["val_error"]}
for name, err in val_error.items():
    print(f"{name:4s}: final test error {100 * err[-1]:.1f}%")

# %%
# Theorems 1–3 on a convex quadratic
# ----------------------------------
#
# :math:`f(x) = \tfrac12 x^\top H x` with eigenvalues from :math:`10^{-4}` to 1 (nearly
# singular: the convex, not strongly convex, regime), :math:`\beta = 1`,
# :math:`x^* = 0`.

rng = np.random.default_rng(0)
dim = 50
q, _ = np.linalg.qr(rng.normal(size=(dim, dim)))
H = q @ np.diag(np.logspace(-4, 0, dim)) @ q.T
x0 = rng.normal(size=dim)
quad = dict(grad=lambda v: H @ v, f=lambda v: 0.5 * v @ H @ v)
T = 400
rates = {"GD": gradient_descent(x0=x0, step=1.0, max_iter=T, **quad),
         "heavy ball": heavy_ball(x0=x0, step=lambda k: 1.0 / (k + 2),
                                  momentum=lambda k: k / (k + 2), max_iter=T, **quad),
         "Nesterov": nesterov(x0=x0, lipschitz=1.0, max_iter=T, **quad)}
RATE_COLORS = {"GD": "tab:blue", "heavy ball": "tab:orange", "Nesterov": "tab:red"}
t = np.arange(1, T + 1)
x1 = x0 - H @ x0            # GD's and Nesterov's first iterate x_1
bounds = rate_bounds(t, lipschitz=1.0, dist2=x1 @ x1)
bounds["heavy_ball"] = rate_bounds(t, lipschitz=1.0, dist2=x0 @ x0)["heavy_ball"]
KEYS = {"GD": "gd", "heavy ball": "heavy_ball", "Nesterov": "nesterov"}
for name, r in rates.items():
    # history["f"][0] is f(x_0), then one value per iteration
    print(f"{name:10s}: f after {T} iterations {r.history['f'][-1]:.2e}, "
          f"bound {bounds[KEYS[name]][-1]:.2e}")

# %%
# Optimization-inspired networks and a learned ISTA
# -------------------------------------------------
#
# Four nets of equal depth and weights (a dense layer, then 4 steps of the algorithm's
# block of width 32), trained 10 epochs by SGD, three seeds each. Then LISTA: 8 unrolled
# ISTA layers whose matrices and thresholds are learned, against 8 iterations of ISTA.

inspired = {kind: [] for kind in INSPIRED_KINDS}
for kind in INSPIRED_KINDS:
    for seed in range(3):
        net = inspired_net(kind, width=32, steps=4, rng=seed)
        res = train(net, SGD(0.02, momentum=0.9), digits, epochs=10, batch_size=50,
                    rng=seed)
        inspired[kind].append(100 * res.history["val_error"][-1])
    print(f"{kind:4s}-inspired net: test error {np.mean(inspired[kind]):.1f} "
          f"± {np.std(inspired[kind]):.1f}%")

A = rng.normal(size=(20, 40)) / np.sqrt(20)
lam_l = 0.05
lista = lista_train(A, lam_l, layers=8, max_iter=1500, lr=0.003, rng=0)
y_test, x_test = sparse_coding_data(A, 500, rng=1)


def nmse_db(xs):
    return [10 * np.log10(np.sum((xk - x_test) ** 2) / np.sum(x_test**2)) for xk in xs]


layers_learned = nmse_db(lista_forward(lista.x, A, y_test, all_layers=True))
ista_net = lista_init(A, lam_l, 8)    # untrained: exactly 8 ISTA iterations
layers_ista = nmse_db(lista_forward(ista_net, A, y_test, all_layers=True))
print(f"NMSE after 8 layers: LISTA {layers_learned[-1]:.1f} dB, "
      f"ISTA {layers_ista[-1]:.1f} dB")

fig, axes = plt.subplots(1, 4, figsize=(18, 4.2), constrained_layout=True)
ax = axes[0]
for name, err in val_error.items():
    xs = np.arange(1, len(err) + 1)
    unit = "ADMM iteration" if name == "ADMM" else "epoch"
    ax.plot(xs, 100 * np.asarray(err), "o-", color=TRAINERS[name],
            label=f"{name} (x axis: {unit})")
ax.set(xlabel="epoch (ADMM: iteration)", ylabel="test error (%)", yscale="log",
       title="LPOM (no backprop) matches SGD; ADMM lags")
ax.legend(fontsize=8)

ax = axes[1]
for name, r in rates.items():
    f_hist = np.asarray(r.history["f"])[1:T + 1]
    ax.loglog(np.arange(1, len(f_hist) + 1), f_hist, color=RATE_COLORS[name],
              label=f"{name}: f − f*")
    ax.loglog(t, bounds[KEYS[name]], color=RATE_COLORS[name], ls="--",
              label=f"{name}: bound of its theorem")
ax.set(xlabel="iteration t", ylabel=r"$f(x_t) - f^*$", ylim=(1e-6, 1e3),
       title="All three stay under their bounds")
ax.legend(fontsize=7)

ax = axes[2]
names = {"gd": "plain (GD)", "hb": "ResNet-like (HB)", "agd": "DenseNet-like (AGD)",
         "admm": "DMRNet-like (ADMM)"}
for i, kind in enumerate(INSPIRED_KINDS):
    ax.bar(i, np.mean(inspired[kind]), yerr=np.std(inspired[kind]), color=f"C{i}",
           label=names.get(kind, kind))
ax.set(xticks=range(len(INSPIRED_KINDS)), xticklabels=list(INSPIRED_KINDS),
       ylabel="test error (%), mean ± std of 3 seeds",
       title="Inspired skips beat the plain net")
ax.legend(fontsize=8)

ax = axes[3]
ax.plot(range(9), layers_ista, "o-", color="tab:blue", label="ISTA (8 iterations)")
ax.plot(range(9), layers_learned, "s-", color="tab:red", label="LISTA (learned)")
ax.set(xlabel="layer / iteration k", ylabel="NMSE (dB)",
       title="A learned ISTA beats ISTA at equal depth")
ax.legend(fontsize=8)
plt.show()

# %%
# Exercises
# ---------
#
# **Exercise 1.** Show that :math:`h(x, a) = f(x) + g(a) + \tfrac12(x - a)^2` is minimised
# in :math:`x` at :math:`x = \varphi(a)` (differentiate; use that :math:`\varphi^{-1}` is
# non-decreasing), and that the minimum value does not depend on :math:`a` (Young's
# equality; it is 0 when :math:`\varphi(0) = 0`). Check both on a grid with the :math:`f`,
# :math:`g` and :math:`\varphi` of :func:`pdeopt.lifted.get_lifted_activation` for ReLU,
# sigmoid and tanh.
#
# .. dropdown:: Solution to exercise 1
#
#    .. literalinclude:: /lessons/solutions/lesson_09_lifted_training_ex1.py
#       :language: python
#
# **Exercise 2.** Check Theorem 3 on ten random convex quadratics (some eigenvalues 0):
# Nesterov's :math:`f(y_t) - f^*` stays below :math:`2\beta\|x_1 - x^*\|^2/t^2` for every
# :math:`t \le 300`, and so does gradient descent's gap below its Theorem 1 bound.
#
# .. dropdown:: Solution to exercise 2
#
#    .. literalinclude:: /lessons/solutions/lesson_09_lifted_training_ex2.py
#       :language: python
#
# **Exercise 3.** An untrained LISTA is ISTA: with :func:`pdeopt.lifted.lista_init`
# (:math:`W_k = A/L`, :math:`\theta_k = \lambda/L`), :math:`K` layers of
# :func:`pdeopt.lifted.lista_forward` equal :math:`K` iterations of
# :func:`pdeopt.prox.ista`. Verify it for :math:`K = 1, 5, 20`.
#
# .. dropdown:: Solution to exercise 3
#
#    .. literalinclude:: /lessons/solutions/lesson_09_lifted_training_ex3.py
#       :language: python
#
# See also
# --------
#
# * :ref:`validation-lpom-mnist`: LPOM against SGD and ADMM on the MLPs of LPOM's Table 2,
#   and on saturating sigmoid and tanh nets;
# * :ref:`validation-accelerated-rates`: GD, heavy ball and Nesterov against the bounds of
#   Theorems 1–3, and Lemma 4;
# * :ref:`validation-inspired-architectures`: the four inspired nets over more seeds;
# * :ref:`validation-unrolled-ista`: the learned unrolled ISTA against ISTA and FISTA.
