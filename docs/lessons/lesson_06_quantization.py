r"""
Lesson 6. Quantization and BinaryRelax
======================================

A network with 1-bit weights needs 32 times less memory and replaces multiplications by
sign flips, but training over a discrete set :math:`\mathcal Q` is combinatorial.
BinaryRelax replaces the indicator of :math:`\mathcal Q` by its Moreau envelope, half the
squared distance to :math:`\mathcal Q`, and lets the weight :math:`\lambda` of that term
grow until the weights are exactly quantized. This lesson computes the projections onto
binary, ternary and :math:`b`-bit sets and runs BinaryRelax and BinaryConnect on a small
least-squares problem whose quantized optimum is known by brute force.
"""

# %%
# What you will learn
# -------------------
#
# * the projection onto the layer-wise quantized sets
#   :math:`\{s\,q : s>0,\ q\in C^n\}` in closed form (binary: :math:`s = \mathrm{mean}|y|`,
#   :math:`q = \mathrm{sign}\,y`; ternary: keep the :math:`j^*` largest entries);
# * the Moreau envelope of the indicator :math:`\chi_{\mathcal Q}` is
#   :math:`\tfrac{\lambda}{2}\mathrm{dist}(x,\mathcal Q)^2`, and the prox of that envelope
#   is a convex combination of :math:`y` and :math:`\mathrm{proj}_{\mathcal Q}(y)`;
# * BinaryRelax (relaxed Phase I, then BinaryConnect in Phase II) against BinaryConnect
#   alone: both are heuristics for a combinatorial problem, and the relaxation lands on
#   lower losses more often.
#
# The mathematics in brief
# ------------------------
#
# Osher (2018), *New techniques in optimization*, part 3 "BinaryRelax"
# (``shared/papers/osher-2018-new-techniques-in-optimization.md``; Yin, Zhang, Lyu, Osher,
# Qi, Xin, *SIAM J. Imaging Sci.* 11, 2018). The quantized set of one layer, with
# :math:`C = \{\pm1\}` (binary), :math:`\{0,\pm1\}` (ternary) or
# :math:`\{0,\pm1,\dots,\pm(2^{b-1}-1)\}` (:math:`b` bits), is
#
# .. math::
#
#    \mathcal Q = \{ s\,q : s > 0,\ q \in C^n \}, \qquad
#    \mathrm{proj}_{\mathcal Q}(y) = \operatorname*{arg\,min}_{z \in \mathcal Q} \|z-y\| .
#
# For binary weights :math:`\mathrm{proj}_{\mathcal Q}(y) = \frac{\|y\|_1}{n}\,
# \mathrm{sign}(y)`. The Moreau envelope of :math:`\chi_{\mathcal Q}` with parameter
# :math:`t = 1/\lambda` is a smooth penalty,
#
# .. math::
#
#    \inf_z\ \chi_{\mathcal Q}(z) + \frac{\lambda}{2}\|z - x\|^2
#    = \frac{\lambda}{2}\,\mathrm{dist}(x, \mathcal Q)^2 ,
#
# and BinaryRelax minimises :math:`f(x) + \frac{\lambda}{2}\mathrm{dist}(x,\mathcal Q)^2`
# with growing :math:`\lambda` by a gradient step on float weights :math:`y` and a prox step:
#
# .. math::
#
#    y^{k+1} = y^k - \gamma \nabla f(x^k), \qquad
#    x^{k+1} = \operatorname*{arg\,min}_x \tfrac12\|x - y^{k+1}\|^2
#              + \tfrac{\lambda}{2}\mathrm{dist}(x,\mathcal Q)^2
#            = \frac{\lambda\,\mathrm{proj}_{\mathcal Q}(y^{k+1}) + y^{k+1}}{\lambda + 1},
#
# with :math:`\lambda \leftarrow \rho\lambda`. Phase II sets
# :math:`x^{k+1} = \mathrm{proj}_{\mathcal Q}(y^{k+1})`: BinaryConnect (Courbariaux et al.
# 2015), which the baselines BWN and TWN use from the first step.
#
# The functions: :func:`pdeopt.quant.project_binary`, :func:`pdeopt.quant.project_ternary`,
# :func:`pdeopt.quant.project_bits`, :class:`pdeopt.quant.QuantizedSet` (layer-wise sets in
# a flat parameter vector), :func:`pdeopt.quant.dist`, and the solvers
# :func:`pdeopt.quant.minimize_quantized` (full gradients) and the training optimizers
# :class:`pdeopt.quant.BinaryRelax`, :class:`pdeopt.quant.BinaryConnect`,
# :func:`pdeopt.quant.bwn`, :func:`pdeopt.quant.twn` (for :func:`pdeopt.nn.train`).
#
# Projections
# -----------

import itertools

import matplotlib.pyplot as plt
import numpy as np

from pdeopt.quant import (QuantizedSet, dist, minimize_quantized, project_binary,
                          project_bits, project_ternary)

rng = np.random.default_rng(0)
w = np.sort(rng.normal(size=40))                  # float weights of one "layer"
projections = {"binary (1 bit)": project_binary(w),
               "ternary (exact)": project_ternary(w),
               "ternary (TWN heuristic)": project_ternary(w, method="twn"),
               "3 bits": project_bits(w, 3)}
for name, z in projections.items():
    print(f"{name:24s} levels {np.unique(np.round(z, 3))}, "
          f"distance {np.linalg.norm(z - w):.3f}")
print(f"binary scale = mean|w|: {abs(project_binary(w)).max():.4f} = "
      f"{np.mean(np.abs(w)):.4f}")

# %%
# More levels, smaller distance; TWN's threshold rule is never closer than the exact
# ternary projection.
#
# The relaxed step is a prox
# --------------------------
#
# With :math:`x = (\lambda P(y) + y)/(\lambda+1)` the projection does not move
# (:math:`P(x) = P(y)` for the binary set), so the distance shrinks by exactly
# :math:`1/(1+\lambda)`: as :math:`\lambda` grows, :math:`x` slides onto
# :math:`\mathcal Q`.

Q = QuantizedSet("binary")
for lam in (0.1, 1.0, 10.0):
    x = (lam * Q.project(w) + w) / (lam + 1)
    print(f"lambda = {lam:5.1f}: dist(x, Q) = {dist(x, Q):.4f}, "
          f"dist(y, Q)/(1 + lambda) = {dist(w, Q) / (1 + lam):.4f}")

# %%
# Training with quantized weights: a least-squares problem
# ---------------------------------------------------------
#
# Fit :math:`Ax \approx b` with :math:`x \in \mathcal Q` binary, :math:`n = 12` unknowns:
# small enough to find the quantized optimum by brute force over the :math:`2^{12}` sign
# patterns (for each, the best scale is a 1-D least-squares fit). Twenty random starts,
# 400 full-gradient steps each; BinaryRelax with :math:`\lambda_0 = 0.01`,
# :math:`\rho = 1.02`, Phase II from step 200.

n, m = 12, 24
rng = np.random.default_rng(1)
A = rng.normal(size=(m, n)) / np.sqrt(m)
b = A @ np.sign(rng.normal(size=n)) + 0.5 * rng.normal(size=m)


def loss_and_grad(x):
    r = A @ x - b
    return 0.5 * r @ r, A.T @ r


best = np.inf
for q in itertools.product((-1.0, 1.0), repeat=n):
    aq = A @ np.array(q)
    s = max(aq @ b / (aq @ aq), 0.0)
    best = min(best, 0.5 * np.sum((s * aq - b) ** 2))
print(f"global minimum over Q (brute force): {best:.4f}")

METHODS = {"binaryrelax": "BinaryRelax", "binaryconnect": "BinaryConnect"}
COLORS = {"binaryrelax": "tab:orange", "binaryconnect": "tab:blue"}
final = {k: [] for k in METHODS}
curves = {}
for seed in range(20):
    x0 = np.random.default_rng(seed).normal(size=n)
    for method in METHODS:
        res = minimize_quantized(loss_and_grad, x0, Q, 400, lr=0.05, method=method,
                                 lam=0.01, rho=1.02)
        final[method].append(res.info["final_loss"])
        if seed == 1:
            curves[method] = res.history
final = {k: np.array(v) for k, v in final.items()}
for k, v in final.items():
    print(f"{METHODS[k]:13s}: median final loss {np.median(v):.3f}, "
          f"best {v.min():.3f}, "
          f"within 5% of the optimum in {np.mean(v < 1.05 * best):.0%}")
print(f"BinaryRelax lower than BinaryConnect from the same start: "
      f"{np.mean(final['binaryrelax'] < final['binaryconnect']):.0%} of starts")

fig, axes = plt.subplots(1, 3, figsize=(15, 4.2), constrained_layout=True)
ax = axes[0]
ax.plot(w, "k.", label="float weights y")
for (name, z), c in zip(projections.items(), ["tab:blue", "tab:green", "tab:olive",
                                               "tab:purple"]):
    ax.step(np.arange(len(w)), z, where="mid", color=c, label=name)
ax.set(xlabel="weight index (sorted)", ylabel="weight value",
       title="Projections fit one scale per layer")
ax.legend(fontsize=8)

ax = axes[1]
for k, h in curves.items():
    ax.plot(h["loss"], color=COLORS[k], label=f"{METHODS[k]}: f at the iterate x")
ax.axhline(best, color="k", ls="--", label="global minimum over Q")
ax.axvline(200, color="grey", lw=0.8, label="BinaryRelax: Phase II starts")
ax.set(xlabel="iteration", ylabel="loss ½‖Ax − b‖²", ylim=(0, 8),
       title="Phase I relaxes (below Q's optimum), Phase II quantizes")
twin = ax.twinx()
phase1 = curves["binaryrelax"]["dist"][:200]
twin.semilogy(phase1, color=COLORS["binaryrelax"], ls=":",
              label="BinaryRelax: dist(x, Q) (right axis)")
twin.set_ylabel("dist(x, Q)")
lines = ax.get_legend_handles_labels()
more = twin.get_legend_handles_labels()
ax.legend(lines[0] + more[0], lines[1] + more[1], fontsize=8)

ax = axes[2]
for i, k in enumerate(METHODS):
    jitter = np.random.default_rng(i).uniform(-0.1, 0.1, len(final[k]))
    ax.plot(i + jitter, final[k], "o", color=COLORS[k], alpha=0.7,
            label=f"{METHODS[k]}, one point per start")
    ax.hlines(np.median(final[k]), i - 0.25, i + 0.25, color=COLORS[k], lw=3)
ax.axhline(best, color="k", ls="--", label="global minimum over Q")
ax.set(xticks=[0, 1], xticklabels=list(METHODS.values()), ylabel="final loss (x in Q)",
       title="BinaryRelax ends lower more often (bars: medians)")
ax.legend(fontsize=8)
plt.show()

# %%
# In Phase I the relaxed iterate is not yet in :math:`\mathcal Q` (here :math:`\lambda`
# only grows from 0.01 to 0.5), so its loss can sit below the quantized optimum; Phase II
# projects and pays for it. Neither method reaches the brute-force optimum from most
# starts: the problem is combinatorial, and the binary scale :math:`\mathrm{mean}|y|` is
# tied to the float weights rather than fitted to the loss. At network scale the
# validation below trains nets on the digits with :class:`pdeopt.quant.BinaryRelax` inside
# :func:`pdeopt.nn.train`: there BinaryRelax is not worse than BWN and TWN beyond the spread
# over seeds, and its 4-bit nets come close to full precision (the paper's claim on CIFAR).
#
# Exercises
# ---------
#
# **Exercise 1.** Prove that the binary projection has scale :math:`s = \|y\|_1/n` and
# check it: for 200 random vectors, compare :func:`pdeopt.quant.project_binary` with a
# scan of :math:`\|s\,\mathrm{sign}(y) - y\|` over 20001 values of :math:`s`, and with
# every other sign pattern on vectors of length 8.
#
# .. dropdown:: Solution to exercise 1
#
#    .. literalinclude:: /lessons/solutions/lesson_06_quantization_ex1.py
#       :language: python
#
# **Exercise 2.** Show that :math:`x^* = (\lambda P(y) + y)/(\lambda+1)` minimises
# :math:`\phi(x) = \tfrac12\|x-y\|^2 + \tfrac{\lambda}{2}\mathrm{dist}(x,\mathcal Q)^2`
# (hint: :math:`\mathrm{dist}(x,\mathcal Q)^2 \le \|x - P(y)\|^2`, with equality at
# :math:`x^*`), and check numerically that no random perturbation of :math:`x^*` does better.
#
# .. dropdown:: Solution to exercise 2
#
#    .. literalinclude:: /lessons/solutions/lesson_06_quantization_ex2.py
#       :language: python
#
# **Exercise 3.** The exact ternary projection sorts :math:`|y|` and keeps the :math:`j^*`
# largest entries, :math:`j^* = \arg\max_j c_j^2/j` with :math:`c_j` the sum of the
# :math:`j` largest. Check :func:`pdeopt.quant.project_ternary` against brute force over
# all :math:`3^7` codes :math:`q` (each with its best scale :math:`\langle q,y\rangle/
# \langle q,q\rangle`) on random vectors of length 7, and measure how often TWN's
# heuristic is strictly farther from :math:`y`.
#
# .. dropdown:: Solution to exercise 3
#
#    .. literalinclude:: /lessons/solutions/lesson_06_quantization_ex3.py
#       :language: python
#
# See also
# --------
#
# * :ref:`validation-binaryrelax`: BinaryRelax, BinaryConnect, BWN and TWN train nets on
#   the digits with exactly binary, ternary and 4-bit layer-wise weights, paired over
#   seeds (the paper's Tables 1–2 at digits scale);
# * :ref:`validation-linearized-bregman`: the linearized Bregman iteration that BinaryRelax
#   resembles (lesson 7).
