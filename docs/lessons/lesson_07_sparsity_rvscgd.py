r"""
Lesson 7. Sparsity, thresholding and RVSCGD
===========================================

Sparse weights and sparse signals come from penalties whose proximal maps are
*thresholdings*: soft (:math:`\ell_1`), hard (:math:`\ell_0`) and transformed-:math:`\ell_1`
in between. This lesson draws the three maps and their Moreau envelopes, runs ISTA and
FISTA against their convergence bounds, recovers sparse signals by linearized Bregman and
by linear programming up to the :math:`\ell_1` phase transition, and trains the sparse
binarized-activation network of Dinh & Xin with the relaxed variable splitting coarse
gradient descent (RVSCGD) and with ADMM.
"""

# %%
# What you will learn
# -------------------
#
# * the proximal maps of :math:`\lambda|u|`, :math:`\lambda\|u\|_0` and
#   :math:`\lambda\rho_a(u)` (soft, hard and transformed-:math:`\ell_1` thresholding) and
#   their Moreau envelopes (Huber, truncated quadratic);
# * ISTA and FISTA for the LASSO, and their :math:`O(1/k)` and :math:`O(1/k^2)` bounds;
# * basis pursuit by linearized Bregman (the iteration BinaryRelax resembles) and by LP,
#   and where exact recovery stops;
# * RVSCGD: splitting the weights :math:`w` of a binarized-activation net from a sparse copy
#   :math:`u`, a thresholding step on :math:`u` and a normalised coarse-gradient step on
#   :math:`w`, which recovers a sparse teacher.
#
# The mathematics in brief
# ------------------------
#
# The thresholdings are proximal maps,
# :math:`\operatorname{prox}_{\lambda P}(x) = \arg\min_u \lambda P(u) + \tfrac12(u-x)^2`:
#
# .. math::
#
#    \operatorname{prox}_{\lambda|\cdot|}(x) = \operatorname{sign}(x)\max(|x|-\lambda, 0),
#    \qquad
#    \operatorname{prox}_{\lambda\|\cdot\|_0}(x) = x\,\mathbf 1_{|x| > \sqrt{2\lambda}},
#    \qquad
#    \rho_a(u) = \frac{(a+1)|u|}{a+|u|},
#
# the last one in closed form (a root of a cubic) from Zhang & Xin, "Minimization of
# transformed :math:`L_1` penalty", *Commun. Math. Sci.* 15 (2017). ISTA takes a gradient
# step on :math:`\tfrac12\|Ax-y\|^2` and soft-thresholds; FISTA adds Nesterov momentum
# (Beck & Teboulle 2009), with :math:`L = \|A\|_2^2`:
#
# .. math::
#
#    F(x_k) - F^* \le \frac{L\|x_0 - x^*\|^2}{2k}\ \text{(ISTA)}, \qquad
#    F(x_k) - F^* \le \frac{2L\|x_0 - x^*\|^2}{(k+1)^2}\ \text{(FISTA)} .
#
# Linearized Bregman (Osher 2018, part 3, the remark on BinaryRelax) solves basis pursuit
# :math:`\min\|u\|_1` s.t. :math:`Au = b`:
# :math:`v^{k+1} = v^k - A^\top(Au^k - b)`, :math:`u^{k+1} = \delta\,
# \operatorname{shrink}(v^{k+1}, \mu)`.
#
# Dinh & Xin (2020) (``shared/papers/dinh-xin-2020-relaxed-variable-splitting-cgd.md``)
# train the non-overlap net :math:`h(Z, w) = \frac1k\sum_{i=1}^k \sigma(Z_i^\top w)` with
# binary activation :math:`\sigma = \mathbf 1_{>0}` on Gaussian inputs to match a teacher
# :math:`w^*`. The population loss is :math:`f(w) = \theta(w, w^*)/(2\pi k)`; its true
# gradient is zero almost everywhere, so the *coarse gradient* :math:`g` replaces
# :math:`\sigma'` by the ReLU's. RVSCGD minimises the relaxed Lagrangian
#
# .. math::
#
#    \mathcal L_\beta(u, w) = f(w) + \lambda P(u) + \frac{\beta}{2}\|w - u\|^2,
#    \qquad
#    u^{t+1} = \operatorname{prox}_{(\lambda/\beta)P}(w^t),\quad
#    w^{t+1} = \frac{w^t - \eta(g(w^t) + \beta(w^t - u^{t+1}))}
#                   {\|w^t - \eta(g(w^t) + \beta(w^t - u^{t+1}))\|}.
#
# The functions: :func:`pdeopt.prox.soft_threshold`, :func:`pdeopt.prox.hard_threshold`,
# :func:`pdeopt.prox.tl1_threshold`, :func:`pdeopt.prox.penalty_envelope`,
# :func:`pdeopt.prox.ista`, :func:`pdeopt.prox.fista`, :func:`pdeopt.prox.lasso_bounds`,
# :func:`pdeopt.prox.linearized_bregman`, :func:`pdeopt.prox.basis_pursuit_lp`,
# :func:`pdeopt.optim.rvscgd` and :func:`pdeopt.optim.admm_sparse`.
#
# Three thresholdings
# -------------------

import warnings

import matplotlib.pyplot as plt
import numpy as np

from pdeopt import ConvergenceWarning
from pdeopt.optim import admm_sparse, population_loss, rvscgd
from pdeopt.prox import (basis_pursuit_lp, fista, hard_threshold, ista, lasso_bounds,
                         lasso_objective, linearized_bregman, penalty_envelope,
                         soft_threshold, tl1_threshold)

lam = 1.0
x = np.linspace(-4, 4, 801)
maps = {"soft (ℓ1)": soft_threshold(x, lam), "hard (ℓ0)": hard_threshold(x, lam),
        "TL1, a = 1": tl1_threshold(x, lam, 1.0),
        "TL1, a = 10": tl1_threshold(x, lam, 10.0)}
COLORS = {"soft (ℓ1)": "tab:blue", "hard (ℓ0)": "tab:red", "TL1, a = 1": "tab:green",
          "TL1, a = 10": "tab:olive"}
envelopes = {"soft (ℓ1)": penalty_envelope(x, lam, "l1"),
             "hard (ℓ0)": penalty_envelope(x, lam, "l0"),
             "TL1, a = 1": penalty_envelope(x, lam, "tl1", a=1.0),
             "TL1, a = 10": penalty_envelope(x, lam, "tl1", a=10.0)}
for name, z in maps.items():
    print(f"{name:12s}: first nonzero at |x| = {np.abs(x[z != 0]).min():.2f}; "
          f"prox(3) = {z[np.argmin(np.abs(x - 3))]:.3f}")
huber = np.where(np.abs(x) <= lam, x**2 / 2, lam * np.abs(x) - lam**2 / 2)
huber_err = np.max(np.abs(envelopes["soft (ℓ1)"] - huber))
print(f"l1 envelope = Huber: max difference {huber_err:.1e}")

# %%
# The hard threshold of :math:`\lambda\|\cdot\|_0` is :math:`\sqrt{2\lambda} \approx 1.41`
# and keeps large entries unbiased; soft thresholding shrinks every survivor by
# :math:`\lambda`; TL1 interpolates (it tends to hard as :math:`a \to 0`, soft as
# :math:`a \to \infty`).
#
# ISTA and FISTA against their bounds
# -----------------------------------

rng = np.random.default_rng(0)
m, n = 40, 100
A = rng.normal(size=(m, n)) / np.sqrt(m)
u0 = np.zeros(n)
u0[rng.choice(n, 5, replace=False)] = rng.normal(size=5)
y = A @ u0 + 0.01 * rng.normal(size=m)
lam_lasso = 0.05
ref = fista(A, y, lam_lasso, max_iter=5000, record=False)
f_star = lasso_objective(A, y, lam_lasso, ref.x)
iters = 300
runs = {"ISTA": ista(A, y, lam_lasso, max_iter=iters),
        "FISTA": fista(A, y, lam_lasso, max_iter=iters)}
k = np.arange(1, iters + 1)
bounds = lasso_bounds(k, lipschitz=runs["ISTA"].info["lipschitz"], dist2=ref.x @ ref.x)
for name, r in runs.items():
    gap = r.history["objective"][1:] - f_star      # entry 0 is F(x_0)
    print(f"{name}: F(x_300) - F* = {gap[-1]:.2e}, bound "
          f"{bounds[name.lower()][-1]:.2e}, under the bound at every k: "
          f"{bool(np.all(gap <= bounds[name.lower()] + 1e-12))}")

# %%
# Basis pursuit: linearized Bregman and LP
# ----------------------------------------
#
# Exact measurements :math:`b = Au_0` of an :math:`s`-sparse :math:`u_0`, :math:`m = 40`,
# :math:`n = 100`, ten signals per sparsity. Both recover every :math:`u_0` (relative error
# below :math:`10^{-4}`) up to :math:`s = 8`; towards the Donoho–Tanner transition
# (:math:`s/m \approx 0.3` at :math:`m/n = 0.4`) recovery becomes a matter of chance, and
# linearized Bregman, stopped at 3000 iterations, gives up a little before the LP.

sparsities = np.arange(2, 25, 2)
recovered = {"linearized Bregman": [], "LP (HiGHS)": []}
for s in sparsities:
    U0 = np.zeros((n, 10))
    for t in range(10):
        U0[rng.choice(n, s, replace=False), t] = rng.normal(size=s)
    B = A @ U0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # beyond the transition
        lb = linearized_bregman(A, B, mu=100.0, accelerated=True, max_iter=3000,
                                tol=1e-10)
    lp = np.stack([basis_pursuit_lp(A, B[:, t]).x for t in range(10)], axis=1)
    norms = np.linalg.norm(U0, axis=0)
    for name, U in (("linearized Bregman", lb.x), ("LP (HiGHS)", lp)):
        recovered[name].append(np.mean(np.linalg.norm(U - U0, axis=0) / norms < 1e-4))
print("s:          ", sparsities)
for name, r in recovered.items():
    print(f"{name:18s}", np.round(r, 1))

# %%
# RVSCGD and ADMM on the non-overlap net
# --------------------------------------
#
# :math:`k = 20` patches of dimension :math:`d = 50`, a teacher with 6 nonzeros, the
# population coarse gradient (in closed form), :math:`\lambda = 10^{-4}`,
# :math:`\beta = 4\cdot10^{-3}`, :math:`\eta = 5`, :math:`\ell_0` penalty.

k_patch, d = 20, 50
w_star = np.zeros(d)
support = rng.choice(d, 6, replace=False)
w_star[support] = rng.uniform(0.9, 1.1, 6) * rng.choice([-1, 1], 6)
w_star /= np.linalg.norm(w_star)
w0 = rng.normal(size=d)
trained = {name: fn(w0, w_star, k_patch, lam=1e-4, beta=4e-3, lr=5.0, max_iter=2000,
                    penalty_kind="l0")
           for name, fn in (("RVSCGD", rvscgd), ("ADMM", admm_sparse))}
SPLIT_COLORS = {"RVSCGD": "tab:orange", "ADMM": "tab:purple"}
for name, r in trained.items():
    u = r.info["u"]
    found = np.array_equal(u != 0, w_star != 0)
    print(f"{name}: angle(w, w*) = {r.history['angle'][-1]:.1e}, "
          f"nnz(u) = {np.count_nonzero(u)}, support of w* found: {found}, "
          f"f(u) = {population_loss(u, w_star, k_patch):.1e}")
lag = trained["RVSCGD"].history["lagrangian"]
monotone = bool(np.all(np.diff(lag) <= 1e-14 * lag[0]))  # up to rounding
print(f"RVSCGD Lagrangian never increases: {monotone}")

fig, axes = plt.subplots(1, 4, figsize=(18, 4.2), constrained_layout=True)
ax = axes[0]
for name, z in maps.items():
    ax.plot(x, z, color=COLORS[name], label=name)
    ax.plot(x, envelopes[name], color=COLORS[name], ls=":")
ax.plot([], [], "k:", label="Moreau envelope (dotted)")
ax.set(xlabel="x", ylabel="prox(x) / envelope value", ylim=(-4, 4),
       title="Thresholds: prox of λP, λ = 1")
ax.legend(fontsize=8)

ax = axes[1]
for name, c in (("ISTA", "tab:blue"), ("FISTA", "tab:red")):
    ax.loglog(k, runs[name].history["objective"][1:] - f_star, color=c,
              label=f"{name}: F − F*")
    ax.loglog(k, bounds[name.lower()], color=c, ls="--", label=f"{name} bound")
ax.set(xlabel="iteration k", ylabel=r"objective gap $F(x_k) - F^*$",
       title="ISTA O(1/k), FISTA O(1/k²): under their bounds")
ax.legend(fontsize=8)

ax = axes[2]
for (name, r), c, mk in zip(recovered.items(), ("tab:green", "k"), ("o", "x")):
    ax.plot(sparsities / m, r, color=c, marker=mk, label=name)
ax.set(xlabel="sparsity s / m (m = 40, n = 100)", ylabel="fraction recovered (of 10)",
       title="ℓ1 recovers sparse signals up to a transition")
ax.legend(fontsize=8)

ax = axes[3]
for name, r in trained.items():
    ax.semilogy(r.history["angle"], color=SPLIT_COLORS[name], label=f"{name}: θ(w, w*)")
    ax.semilogy(r.history["nnz"] / d, color=SPLIT_COLORS[name], ls=":",
                label=f"{name}: nnz(u)/d")
ax.set(xlabel="iteration", ylabel="angle (rad) / fraction of nonzeros",
       title="RVSCGD finds the sparse teacher")
ax.legend(fontsize=8)
plt.show()

# %%
# Exercises
# ---------
#
# **Exercise 1.** Check :func:`pdeopt.prox.tl1_threshold` against a brute-force minimisation
# of :math:`\lambda\rho_a(u) + \tfrac12(u-x)^2` over a fine grid of :math:`u`, for
# :math:`a \in \{0.2, 1, 5\}` and :math:`\lambda \in \{0.1, 1\}`, and check that its zero
# set ends at :func:`pdeopt.prox.tl1_threshold_value`.
#
# .. dropdown:: Solution to exercise 1
#
#    .. literalinclude:: /lessons/solutions/lesson_07_sparsity_rvscgd_ex1.py
#       :language: python
#
# **Exercise 2.** For the LASSO, every prox-gradient step with step :math:`1/L` decreases
# :math:`F`, and :math:`F(x_k) - F^*` obeys the ISTA bound. Show the monotone decrease on
# the problem above and that the bound holds for three random problems; then check that
# FISTA, which is not monotone, still obeys its bound.
#
# .. dropdown:: Solution to exercise 2
#
#    .. literalinclude:: /lessons/solutions/lesson_07_sparsity_rvscgd_ex2.py
#       :language: python
#
# **Exercise 3.** The population loss of the non-overlap net is
# :math:`f(w) = \theta(w,w^*)/(2\pi k)`: each patch's two signs disagree with probability
# :math:`\theta/\pi`. Estimate :math:`f` by Monte Carlo with
# :func:`pdeopt.optim.sample_inputs` and :func:`pdeopt.optim.sample_loss_and_coarse_gradient`
# and check :func:`pdeopt.optim.population_loss` within 4 standard errors.
#
# .. dropdown:: Solution to exercise 3
#
#    .. literalinclude:: /lessons/solutions/lesson_07_sparsity_rvscgd_ex3.py
#       :language: python
#
# See also
# --------
#
# * :ref:`validation-linearized-bregman`: exact recovery below the phase transition,
#   linearized Bregman against the LP solver;
# * :ref:`validation-rvscgd`: the closed forms against Monte Carlo, the monotone Lagrangian,
#   the teacher's support, RVSCGD against ADMM (Dinh & Xin's Figure 4);
# * :ref:`validation-unrolled-ista`: ISTA and FISTA against their bounds, and a learned
#   unrolled ISTA (lesson 9);
# * :ref:`validation-moreau-abs`: the :math:`\ell_1` envelope is the Huber function.
