r"""
Lesson 2. Hopf–Lax, Burgers and the widening of minima
=======================================================

Without viscosity, the Hamilton–Jacobi relaxation of a loss :math:`f` is the Hopf–Lax
formula, an exact minimisation that pdeopt evaluates on a grid in :math:`O(N)`. This lesson
compares it with three finite-difference schemes, then differentiates it: :math:`w = u_x`
solves Burgers' equation, whose rarefaction waves widen the minima of :math:`f` and whose
shocks remove its maxima.
"""

# %%
# What you will learn
# -------------------
#
# * the viscosity solution of :math:`u_t + \tfrac12|\nabla u|^2 = 0` is the Hopf–Lax formula
#   (the Moreau envelope), and its minimiser is the proximal point;
# * monotone schemes (Lax–Friedrichs, Godunov) converge to it at first order, ENO2 at second
#   order where :math:`u` is smooth;
# * :math:`w = u_x` solves Burgers' equation: before the shock time
#   :math:`t^* = -1/\min f''` it is given by characteristics, after it a shock travels at the
#   Rankine–Hugoniot speed, and the convex region of :math:`u` (the well) widens as
#   :math:`x_1 + t f'(x_1)`.
#
# The mathematics in brief
# ------------------------
#
# Osher (2018), *New techniques in optimization*, part 1 "Deep Relaxation"
# (``shared/papers/osher-2018-new-techniques-in-optimization.md``), slides "Viscosity solution
# to inviscid H-J PDE", "Lax–Oleinik formula" and "Widening minima, removing maxima":
#
# .. math::
#
#    u_t + \tfrac12 |\nabla u|^2 = 0,\quad u(\cdot, 0) = f, \qquad
#    u(x, t) = \min_y \Bigl\{ f(y) + \frac{|x-y|^2}{2t} \Bigr\}, \qquad
#    y(x, t) = \operatorname{prox}_{tf}(x).
#
# In one dimension :math:`w = u_x` solves the conservation law (Burgers' equation)
#
# .. math::
#
#    w_t + \bigl(\tfrac12 w^2\bigr)_x = 0, \qquad w(x, t) = f'(x - t\,w(x,t))
#    \quad (t < t^* = -1/\min f''),
#
# and differentiating the characteristic relation gives
# :math:`w_x = f''/(1 + t f'')`: :math:`u` is convex (:math:`w_x > 0`) exactly where the
# foot :math:`x - tw` of the characteristic lies in a convex region :math:`[x_0, x_1]` of
# :math:`f`, so the right end of the well moves to :math:`x_1 + t f'(x_1) > x_1`. After the
# characteristics cross, :math:`w = (x - y(x,t))/t` from Hopf–Lax is the entropy solution,
# with shocks moving at the speed :math:`(w_L + w_R)/2`.
#
# The functions: :func:`pdeopt.hj.hopf_lax` (exact on the grid, lower envelope of
# parabolas), :func:`pdeopt.hj.moreau_envelope` (the same with :math:`t = \lambda`),
# :func:`pdeopt.hj.solve_hj` (schemes ``"lax-friedrichs"``, ``"godunov"``, ``"eno2"``),
# :func:`pdeopt.hj.solve_burgers` (conservative finite volumes) and
# :func:`pdeopt.hj.burgers_characteristics` (Newton on :math:`x = \xi + t f'(\xi)`).
#
# Hopf–Lax is the Moreau envelope
# -------------------------------
#
# The single well :math:`f(x) = -e^{-x^2/2}` (the loss of the validation
# :ref:`validation-burgers-shock`): convex on :math:`[-1, 1]`, concave outside, with
# :math:`\min f'' = -2e^{-3/2}` at :math:`\pm\sqrt3`, so :math:`t^* = e^{3/2}/2 \approx 2.24`.

import matplotlib.pyplot as plt
import numpy as np

from pdeopt.hj import (SCHEMES, burgers_characteristics, hopf_lax, moreau_envelope,
                       solve_burgers, solve_hj)


def f(x):
    return -np.exp(-x**2 / 2)


def fprime(x):
    return x * np.exp(-x**2 / 2)


def fsecond(x):
    return (1 - x**2) * np.exp(-x**2 / 2)


T_STAR = np.exp(1.5) / 2
x = np.linspace(-6, 6, 1201)
u1, y1 = hopf_lax(f(x), x, 1.0)
env, prox = moreau_envelope(f(x), x, 1.0, return_prox=True)
print("hopf_lax(t=1) == moreau_envelope(lam=1):", np.array_equal(u1, env),
      np.array_equal(y1, prox))
brute = np.min(f(x)[None, :] + (x[:, None] - x[None, :]) ** 2 / 2, axis=1)
print(f"max |hopf_lax - brute-force grid minimum| = {np.max(np.abs(u1 - brute)):.1e}")
print(f"u(x, t) <= f(x) everywhere: {bool(np.all(u1 <= f(x) + 1e-15))}; "
      f"min u = {u1.min():.6f} = min f = {f(x).min():.6f}")

# %%
# Three schemes against the exact solution
# ----------------------------------------
#
# :func:`pdeopt.hj.solve_hj` takes explicit steps under the CFL condition (sub-stepped
# automatically) and returns a :class:`pdeopt.Result`. The reference is ``hopf_lax`` on a
# grid 8 times finer that contains the coarse nodes. At :math:`t = 1 < t^*` the solution is
# smooth, so ENO2 should show its second order.

t = 1.0
COLORS = {"lax-friedrichs": "tab:blue", "godunov": "tab:orange", "eno2": "tab:green"}
sizes = [121, 241, 481]
spacings, errors = [], {s: [] for s in SCHEMES}
for n in sizes:
    xs = np.linspace(-6, 6, n)
    fine = np.linspace(-6, 6, 8 * (n - 1) + 1)
    reference = hopf_lax(f(fine), fine, t)[0][::8]
    spacings.append(xs[1] - xs[0])
    for scheme in SCHEMES:
        res = solve_hj(f(xs), xs, t, scheme=scheme)
        errors[scheme].append(np.max(np.abs(res.x - reference)))
for scheme in SCHEMES:
    e = np.array(errors[scheme])
    orders = np.log(e[:-1] / e[1:]) / np.log(2)
    print(f"{scheme:15s} max errors {np.array2string(e, precision=2)}, "
          f"observed orders {np.round(orders, 2)}")

# %%
# Burgers: characteristics, then a shock
# --------------------------------------
#
# :func:`pdeopt.hj.solve_burgers` evolves :math:`w = u_x` from :math:`w_0 = f'` with
# Godunov's flux. Before :math:`t^*` we compare it with
# :func:`pdeopt.hj.burgers_characteristics`; after :math:`t^*` with :math:`(x - y)/t` from
# Hopf–Lax, the exact entropy solution.

xc = np.linspace(-8, 8, 1601)
times = [0.5 * T_STAR, 2 * T_STAR]
w_fv = {tt: solve_burgers(fprime(xc), xc, tt).x for tt in times}
w_char = burgers_characteristics(fprime, fsecond, xc, times[0])
x_fine = np.linspace(-8, 8, 16001)
_, y_late = hopf_lax(f(x_fine), x_fine, times[1])
w_hl = (x_fine - y_late) / times[1]
print(f"t = {times[0]:.2f} < t*: max |Godunov - characteristics| = "
      f"{np.max(np.abs(w_fv[times[0]] - w_char)):.1e}")
gap = np.abs(w_fv[times[1]] - np.interp(xc, x_fine, w_hl))
print(f"t = {times[1]:.2f} > t*: |Godunov - Hopf-Lax|: median {np.median(gap):.1e}, "
      f"max {gap.max():.2f} (in the cells of the two shocks)")
try:
    burgers_characteristics(fprime, fsecond, xc, times[1])
except ValueError as err:
    print("after t*, characteristics refuse:", str(err).split(":")[0])

# %%
# The well widens
# ---------------
#
# The convex region of :math:`u(\cdot, t)` is where :math:`w` increases: from the minimum of
# :math:`w` to its maximum. Its right end should follow :math:`1 + t f'(1)`.

end_times = np.array([0.25, 0.5, 1.0, 1.5, 2.0])
right_end = []
for tt in end_times:
    w = solve_burgers(fprime(xc), xc, tt).x
    right_end.append(xc[np.argmax(w)])
right_end = np.array(right_end)
predicted = 1 + end_times * fprime(1.0)
for tt, m, p in zip(end_times, right_end, predicted):
    print(f"t = {tt:4.2f}: right end of the convex region {m:.3f}, "
          f"1 + t f'(1) = {p:.3f}")

fig, axes = plt.subplots(1, 3, figsize=(15, 4.2), constrained_layout=True)
ax = axes[0]
ax.plot(x, f(x), "k", lw=2, label="f = u(·, 0)")
HL_COLORS = ["tab:purple", "tab:red", "tab:brown", "tab:gray"]
for tt, c in zip([0.5, 1.0, 2.0, 4.0], HL_COLORS):
    ax.plot(x, hopf_lax(f(x), x, tt)[0], color=c, label=f"Hopf–Lax u(·, t), t = {tt}")
ax.axvspan(-1, 1, color="0.9", label="convex region of f")
ax.set(xlim=(-5, 5), xlabel="x (dimensionless)", ylabel="u(x, t)",
       title="Hopf–Lax widens the well, keeps its minimum")
ax.legend(fontsize=8)

ax = axes[1]
for scheme in SCHEMES:
    ax.loglog(spacings, errors[scheme], "o-", color=COLORS[scheme],
              label=f"{scheme} (max error)")
h = np.array(spacings)
ax.loglog(h, errors["godunov"][0] * h / h[0], ":", color="0.4", label="slope 1 (guide)")
ax.loglog(h, errors["eno2"][0] * (h / h[0]) ** 2, "--", color="0.4",
          label="slope 2 (guide)")
ax.set(xlabel="grid spacing h", ylabel="max |u_h − u_HopfLax| at t = 1",
       title="Monotone schemes: order 1; ENO2: order 2")
ax.legend(fontsize=8)

ax = axes[2]
ax.plot(xc, w_fv[times[0]], color=COLORS["godunov"],
        label=f"Godunov, t = {times[0]:.2f} < t*")
ax.plot(xc[::80], w_char[::80], "ko", ms=3,
        label="characteristics w = f'(x − tw)")
ax.plot(xc, w_fv[times[1]], color=COLORS["godunov"], ls="--",
        label=f"Godunov, t = {times[1]:.2f} > t*")
ax.plot(x_fine, w_hl, "k:", lw=1, label="(x − y)/t from Hopf–Lax")
ax.set(xlim=(-7, 7), xlabel="x (dimensionless)", ylabel="w = u_x",
       title="Burgers: rarefaction in the well, shocks outside")
ax.legend(fontsize=8)
plt.show()

# %%
# Exercises
# ---------
#
# **Exercise 1.** For :math:`f(x) = |x|` the Hopf–Lax solution is the Huber function
# :math:`u = x^2/(2t)` for :math:`|x| \le t`, :math:`|x| - t/2` otherwise, and the
# proximal point is soft-thresholding :math:`y = \operatorname{sign}(x)\max(|x| - t, 0)`.
# Derive both, and check them with :func:`pdeopt.hj.hopf_lax` on a grid containing the
# kink, for :math:`t = 0.3, 1, 2`.
#
# .. dropdown:: Solution to exercise 1
#
#    .. literalinclude:: /lessons/solutions/lesson_02_hopf_lax_burgers_ex1.py
#       :language: python
#
# **Exercise 2.** Measure the shock formation time :math:`t^*` from the Godunov solutions:
# along the steepest characteristic :math:`1/\max(-w_x) = -1/\min f'' - t` is linear in
# :math:`t`; fit the line at :math:`t \in [0.25, 0.75]\,t^*` and take its root. Compare with
# :math:`e^{3/2}/2`.
#
# .. dropdown:: Solution to exercise 2
#
#    .. literalinclude:: /lessons/solutions/lesson_02_hopf_lax_burgers_ex2.py
#       :language: python
#
# **Exercise 3.** The widening does not need a finite-difference scheme: compute
# :math:`w = u_x` from the exact Hopf–Lax solution (a central difference of :math:`u`, or
# :math:`(x - y)/t`), locate the right end of the convex region of :math:`u(\cdot, t)` (the
# maximum of :math:`w` on :math:`x > 0`) and check that it is :math:`1 + t f'(1)` to
# within two grid cells, for :math:`t = 0.5, 1, 2`.
#
# .. dropdown:: Solution to exercise 3
#
#    .. literalinclude:: /lessons/solutions/lesson_02_hopf_lax_burgers_ex3.py
#       :language: python
#
# See also
# --------
#
# * :ref:`validation-hj-hopf-lax`: ``hopf_lax`` against the brute force to :math:`10^{-12}`
#   and the orders of the three schemes in 1-D and 2-D;
# * :ref:`validation-burgers-shock`: characteristics, the extrapolated shock time, the
#   Rankine–Hugoniot speed and the moving end of the convex region;
# * :ref:`validation-hj-widening`: widening of minima and removal of maxima on two wells,
#   inviscid and viscous.
