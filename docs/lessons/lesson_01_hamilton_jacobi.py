r"""
Lesson 1. Hamilton–Jacobi relaxation and local entropy
=======================================================

Replace a non-convex loss :math:`f` by its *local entropy* :math:`f_\gamma`: a smoothed
version whose minima are the wide valleys of :math:`f`. Local entropy is the solution of a
viscous Hamilton–Jacobi equation, and without viscosity it becomes the Hopf–Lax formula (the
Moreau envelope). This lesson computes all three on a grid and checks that they agree.
"""

# %%
# What you will learn
# -------------------
#
# * local entropy :math:`f_\gamma = -\log(G_\gamma * e^{-f})` is the solution at time
#   :math:`\gamma` of the viscous HJ equation :math:`u_t + \tfrac12|\nabla u|^2 =
#   \tfrac12\Delta u` (the Cole–Hopf transformation), and a finite-difference solver agrees
#   with it;
# * as the viscosity goes to zero the solution tends to the Hopf–Lax formula, the Moreau
#   envelope of :math:`f`;
# * the relaxation favours mass over depth: for a large enough scope :math:`\gamma` the wide
#   shallow well of :math:`f` becomes the global minimiser of :math:`f_\gamma`, and gradient
#   descent on :math:`f_\gamma` leaves the narrow well that traps gradient descent on
#   :math:`f`.
#
# The mathematics in brief
# ------------------------
#
# Osher (2018), *New techniques in optimization*, part 1 "Deep Relaxation"
# (``shared/papers/osher-2018-new-techniques-in-optimization.md``; Chaudhari, Oberman,
# Osher, Soatto, Carlier, *Res. Math. Sci.* 2018) replaces :math:`f` by
#
# .. math::
#
#    f_\gamma(x) = -\log\,(G_\gamma * e^{-f})(x), \qquad
#    G_\gamma(x) = (2\pi\gamma)^{-n/2}\, e^{-|x|^2/(2\gamma)} .
#
# With :math:`u = -\varepsilon\log v`, the heat equation :math:`v_t = \tfrac{\varepsilon}{2}
# \Delta v` becomes the viscous Hamilton–Jacobi equation (Cole–Hopf)
#
# .. math::
#
#    u_t + \tfrac12 |\nabla u|^2 = \tfrac{\varepsilon}{2}\Delta u, \quad u(\cdot,0) = f,
#    \qquad u(x,t) = -\varepsilon \log\bigl(G_{\varepsilon t} * e^{-f/\varepsilon}\bigr)(x),
#
# so :math:`f_\gamma = u(\cdot,\gamma)` for :math:`\varepsilon = 1`. As
# :math:`\varepsilon \to 0`, Laplace's method turns the log of the convolution into a
# minimum, the Hopf–Lax formula:
#
# .. math::
#
#    u(x,t) = \min_y \Bigl\{ f(y) + \frac{|x-y|^2}{2t} \Bigr\}.
#
# The gradient of local entropy is an average over a Gibbs measure, which is what
# Entropy-SGD estimates with Langevin dynamics:
#
# .. math::
#
#    \nabla f_\gamma(x) = \frac{x - \langle y \rangle}{\gamma}, \qquad
#    \rho(y; x) \propto e^{-f(y) - |x-y|^2/(2\gamma)} .
#
# The functions are :func:`pdeopt.hj.local_entropy` (the log-sum-exp convolution, with
# its gradient), :func:`pdeopt.hj.solve_viscous_hj` (finite differences) and
# :func:`pdeopt.hj.hopf_lax` (exact on the grid).
#
# A loss with two wells
# ---------------------
#
# A narrow deep well at :math:`x = -2` and a wide shallow one at :math:`x = 2`, on a
# gentle confinement (the loss of the validation :ref:`validation-hj-widening`).

import matplotlib.pyplot as plt
import numpy as np

from pdeopt.hj import hopf_lax, local_entropy, solve_viscous_hj


def two_wells(x):
    return (0.02 * x**2 - 2.0 * np.exp(-(x + 2) ** 2 / (2 * 0.2**2))
            - 1.0 * np.exp(-(x - 2) ** 2 / (2 * 1.0**2)))


x = np.linspace(-8, 8, 1601)
f = two_wells(x)
gammas = [0.1, 0.3, 1.0, 2.0]
relaxed = {g: local_entropy(f, x, g) for g in gammas}
for g, fg in relaxed.items():
    print(f"gamma = {g:3.1f}: argmin f_gamma = {x[np.argmin(fg)]:+.2f}")

# %%
# For small :math:`\gamma` the narrow well still wins; by :math:`\gamma = 1` the wide one
# is the global minimiser, and the maximum between them has fallen.
#
# Cole–Hopf: finite differences against the closed form
# ------------------------------------------------------
#
# :func:`pdeopt.hj.solve_viscous_hj` solves the PDE by explicit finite differences and
# returns a :class:`pdeopt.Result` whose ``x`` is :math:`u(\cdot, t)`. Halving the grid
# spacing should divide its distance to local entropy by 4: second order. (Both see a
# truncated line: local entropy sums over the grid only, the solver extrapolates at the
# edges; compare them away from the edges, on a domain much wider than
# :math:`\sqrt{\gamma}`.)

errors = []
for n in (161, 321, 641):
    xs = np.linspace(-8, 8, n)
    res = solve_viscous_hj(two_wells(xs), xs, 1.0, 1.0)
    inner = np.abs(xs) <= 4  # away from the edges
    err = np.max(np.abs(res.x - local_entropy(two_wells(xs), xs, 1.0))[inner])
    errors.append(err)
    print(f"N = {n:3d}: {res.nit:3d} steps, max |u_FD - f_gamma| = {err:.2e}")
print("observed orders:", np.round(np.log2(np.array(errors[:-1]) / errors[1:]), 2))

# %%
# Vanishing viscosity: towards Hopf–Lax
# -------------------------------------
#
# With viscosity :math:`\varepsilon` the Cole–Hopf solution is
# :math:`u^\varepsilon(\cdot, t) = \varepsilon\,(f/\varepsilon)_{\varepsilon t}`: local
# entropy of :math:`f/\varepsilon` at scope :math:`\varepsilon t`, scaled back.
# :func:`pdeopt.hj.hopf_lax` gives the limit exactly (and its minimiser, the proximal point).

t = 1.0
u_hl, prox = hopf_lax(f, x, t)
epsilons = [1.0, 0.3, 0.1, 0.03]
viscous = {e: e * local_entropy(f / e, x, e * t) for e in epsilons}
for e, u in viscous.items():
    print(f"epsilon = {e:4.2f}: max |u_eps - u_HopfLax| = {np.max(np.abs(u - u_hl)):.3f}")

# %%
# Gradient descent on :math:`f` and on :math:`f_\gamma`
# ------------------------------------------------------
#
# Started in the narrow well's basin, gradient descent on :math:`f` stays there. On
# :math:`f_\gamma` (gradient from ``local_entropy(..., grad=True, points=...)``) with step
# :math:`\eta = \gamma`, the update is :math:`x \leftarrow \langle y \rangle`, the mean of
# the Gibbs measure. At :math:`\gamma = 3`, :math:`f_\gamma` has a single minimum, in the
# wide basin; then *scoping* (Entropy-SGD's schedule) lowers :math:`\gamma` so that
# :math:`f_\gamma \to f` and the iterate settles in the wide well of :math:`f` itself.

k = np.arange(60)
scope = np.where(k < 30, 3.0, 3.0 * (0.05 / 3.0) ** ((k - 30) / 29))  # gamma_k
grad_f = np.gradient(f, x)
paths = {"f": [-1.7], "f_gamma": [-1.7]}
for gamma in scope:
    xk = paths["f"][-1]
    paths["f"].append(xk - 0.01 * np.interp(xk, x, grad_f))  # 0.01 < 2 / max f''
    xk = paths["f_gamma"][-1]
    _, g = local_entropy(f, x, gamma, grad=True, points=[xk])
    paths["f_gamma"].append(xk - gamma * g[0])
print(f"GD on f ends at {paths['f'][-1]:+.3f}, "
      f"GD on f_gamma ends at {paths['f_gamma'][-1]:+.3f}")

fig, axes = plt.subplots(1, 3, figsize=(14, 4), constrained_layout=True)
ax = axes[0]
ax.plot(x, f, "k", lw=2, label="f")
for g, fg in relaxed.items():
    ax.plot(x, fg, label=fr"$f_\gamma$, $\gamma$ = {g}")
ax.set(xlim=(-5, 5), xlabel="x", ylabel="value",
       title="Local entropy widens minima, removes maxima")
ax.legend(fontsize=8)

ax = axes[1]
ax.plot(x, f, "k", lw=2, label="f = u(·, 0)")
for e, u in viscous.items():
    ax.plot(x, u, label=fr"viscous, $\varepsilon$ = {e}")
ax.plot(x, u_hl, "k--", label="Hopf–Lax (ε = 0)")
ax.set(xlim=(-5, 5), xlabel="x", ylabel="u(x, t = 1)",
       title="Vanishing viscosity tends to Hopf–Lax")
ax.legend(fontsize=8)

ax = axes[2]
ax.plot(paths["f"], label="GD on f")
ax.plot(paths["f_gamma"], label=r"GD on $f_\gamma$, $\gamma$: 3 then scoped to 0.05")
ax.axhline(-2, color="grey", ls=":", label="narrow well")
ax.axhline(2, color="grey", ls="--", label="wide well")
ax.set(xlabel="iteration", ylabel="x", title="Relaxation escapes the narrow well")
ax.legend(fontsize=8)
plt.show()

# %%
# Exercises
# ---------
#
# **Exercise 1.** For :math:`f(x) = x^2/2` the local entropy is known in closed form:
# :math:`f_\gamma(x) = \frac{x^2}{2(1+\gamma)} + \frac12\log(1+\gamma)`. Derive it (the
# convolution of two Gaussians is a Gaussian), then check it with
# :func:`pdeopt.hj.local_entropy` on :math:`[-8, 8]` to within :math:`10^{-8}` for
# :math:`|x| \le 4`, and check the gradient :math:`x/(1+\gamma)`.
#
# .. dropdown:: Solution to exercise 1
#
#    .. literalinclude:: /lessons/solutions/lesson_01_hamilton_jacobi_ex1.py
#       :language: python
#
# **Exercise 2.** For the two-well loss above, find (to :math:`10^{-3}`) the critical scope
# :math:`\gamma_c` at which the global minimiser of :math:`f_\gamma` jumps from the narrow
# well to the wide one. Hint: the two local minima of :math:`f_\gamma` are continuous in
# :math:`\gamma`; bisect on the sign of their difference.
#
# .. dropdown:: Solution to exercise 2
#
#    .. literalinclude:: /lessons/solutions/lesson_01_hamilton_jacobi_ex2.py
#       :language: python
#
# **Exercise 3.** Measure how fast the viscous solution tends to Hopf–Lax: compute
# :math:`e(\varepsilon) = \max_x |u^\varepsilon - u^0|` at :math:`t = 1` for
# :math:`\varepsilon = 0.4, 0.2, 0.1, 0.05` and fit the slope of :math:`\log e` against
# :math:`\log \varepsilon`. Is it 1 (the Laplace-method bias is :math:`O(\varepsilon)` where
# the minimiser is unique)?
#
# .. dropdown:: Solution to exercise 3
#
#    .. literalinclude:: /lessons/solutions/lesson_01_hamilton_jacobi_ex3.py
#       :language: python
#
# See also
# --------
#
# * :ref:`validation-hj-cole-hopf`: the same agreement at second order in 1-D and 2-D, and
#   the limit :math:`\varepsilon \to 0`;
# * :ref:`validation-hj-widening`: the widening of minima and the crossover of the two
#   wells, checked as inequalities;
# * :ref:`validation-langevin-local-entropy`: the Langevin estimate of
#   :math:`\nabla f_\gamma` that Entropy-SGD uses.
