r"""
Lesson 10. Property-test your own operator
==========================================

You wrote a new proximal operator. Is it right? Not "does it run", but: does it minimise
what it claims to, is it the nearest point of its set, does it obey Moreau's identity?
:mod:`pdeopt.testing` turns those identities into ``assert_*`` checkers, and
``pdeopt.testing.strategies`` with the hypothesis library searches
for inputs that break them and shrinks a failure to a small counterexample. This lesson
writes two operators, the :math:`\ell_{1/2}` half-thresholding operator and the projection
onto the :math:`\ell_\infty` ball, tests them, and watches a planted bug get caught.
"""

# %%
# What you will learn
# -------------------
#
# * to state an operator's correctness as identities (optimality, projection, Moreau
#   decomposition, gradient, order of convergence) and check each with
#   :func:`pdeopt.testing.assert_prox_optimal`,
#   :func:`pdeopt.testing.assert_projection`,
#   :func:`pdeopt.testing.assert_moreau_decomposition`,
#   :func:`pdeopt.testing.assert_gradient` and :func:`pdeopt.testing.assert_order`;
# * to let hypothesis pick the inputs (``@given`` with ``pdeopt.testing.strategies``) and
#   read the shrunk counterexample of a failure;
# * that a test which cannot fail proves nothing: plant a bug and watch the checker catch it.
#
# The mathematics in brief
# ------------------------
#
# The proximal map of :math:`\gamma f` and the identities a correct one obeys (Moreau 1965;
# Parikh & Boyd, *Proximal Algorithms*, 2014; the thresholding operators of sparse learning,
# Dinh & Xin 2020, ``shared/papers/dinh-xin-2020-relaxed-variable-splitting-cgd.md``, and
# the Moreau envelopes of Osher 2018,
# ``shared/papers/osher-2018-new-techniques-in-optimization.md``):
#
# .. math::
#
#    \operatorname{prox}_{\gamma f}(x) = \arg\min_y\; f(y) + \frac{|x-y|^2}{2\gamma},
#    \qquad
#    \operatorname{prox}_{\gamma f}(x) + \gamma\operatorname{prox}_{f^*/\gamma}(x/\gamma) = x,
#
# the second (Moreau's decomposition) for convex :math:`f`, with :math:`f^*` its convex
# conjugate. For the indicator of the ball :math:`B_\infty(r) = \{|y|_\infty \le r\}` the
# prox is the projection (clipping) and :math:`f^* = r|\cdot|_1`, whose prox is
# soft-thresholding at :math:`\gamma r`. For :math:`f(y) = \sum_i |y_i|^{1/2}`, nonconvex,
# Xu, Chang, Xu and Zhang (*IEEE TNNLS* 23, 2012) found the global minimiser in closed form:
# with :math:`\lambda = 2\gamma`,
#
# .. math::
#
#    \operatorname{prox}_{\gamma f}(x) =
#    \begin{cases}
#      \tfrac23\, x\,\bigl(1 + \cos(\tfrac{2\pi}{3} - \tfrac23\varphi_\lambda(x))\bigr),
#        & |x| > \tfrac{\sqrt[3]{54}}{4}\lambda^{2/3},\\
#      0, & \text{otherwise},
#    \end{cases}
#    \qquad
#    \varphi_\lambda(x) = \arccos\Bigl(\frac{\lambda}{8}\Bigl(\frac{|x|}{3}\Bigr)^{-3/2}\Bigr).
#
# The threshold :math:`\tfrac{\sqrt[3]{54}}{4}\lambda^{2/3} \approx 0.945\,\lambda^{2/3}` is
# where the nonzero local minimum becomes the *global* one; the local minimum itself
# appears earlier, at :math:`\tfrac34\lambda^{2/3}`. Confusing the two is the bug we plant.
# The Moreau envelope :math:`e_\gamma f = f(p) + |x - p|^2/(2\gamma)` tends to :math:`f` at
# first order where :math:`f` is smooth: :math:`e_\gamma f(x) = f(x) -
# \tfrac{\gamma}{2}|\nabla f(x)|^2 + O(\gamma^2)`, and its gradient is :math:`(x - p)/\gamma`.
#
# Two operators
# -------------

import matplotlib.pyplot as plt
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from pdeopt.prox import hard_threshold, soft_threshold
from pdeopt.testing import (assert_gradient, assert_moreau_decomposition, assert_order,
                            assert_projection, assert_prox_optimal)
from pdeopt.testing.strategies import sparse_vectors


def half_threshold(x, gamma, *, threshold=54 ** (1 / 3) / 4):
    """prox of gamma * sum_i |y_i|^(1/2) (Xu et al. 2012); ``threshold`` in units of
    lambda^(2/3), lambda = 2 gamma (the keyword exists only to plant a bug below)."""
    x = np.asarray(x, dtype=float)
    lam = 2.0 * gamma
    keep = np.abs(x) > threshold * lam ** (2 / 3)
    ax = np.where(keep, np.abs(x), 1.0)                # placeholder where x is dropped
    phi = np.arccos(np.minimum(lam / 8 * (ax / 3) ** -1.5, 1.0))
    return np.where(keep, 2 / 3 * x * (1 + np.cos(2 * np.pi / 3 - 2 / 3 * phi)), 0.0)


def half_penalty(y):
    return float(np.sum(np.sqrt(np.abs(y))))


def project_linf(v, radius=1.0):
    """Euclidean projection onto the l-infinity ball of the given radius."""
    return np.clip(v, -radius, radius)


def in_linf(v, radius=1.0):
    return bool(np.all(np.abs(v) <= radius * (1 + 1e-12)))


# %%
# Test them on fixed points
# -------------------------
#
# Each checker returns ``None`` when the identity holds and raises ``AssertionError``
# otherwise. The ℓ1/2 penalty is not convex, so its prox is a global minimiser but not
# firmly nonexpansive: ``convex=False``.

x = np.array([2.0, -0.3, 0.9, -4.0, 1.2])
for gamma in (0.25, 1.0, 2.0):
    assert_prox_optimal(half_threshold, half_penalty, x, gamma=gamma, convex=False)
assert_projection(project_linf, 3 * x, in_linf)
assert_moreau_decomposition(lambda v, g: project_linf(v),       # prox of the indicator
                            lambda v, g: soft_threshold(v, g),  # prox of g * |.|_1
                            x, gamma=0.7)
print("half-thresholding is the prox; clipping is the projection and obeys "
      "Moreau's decomposition with soft-thresholding")

# %%
# The envelope's gradient and its order
# -------------------------------------
#
# The Moreau envelope built from our prox must have the gradient :math:`(x - p)/\gamma`
# (checked against central differences where the prox is smooth in :math:`x`), and tend to
# :math:`f` at first order in :math:`\gamma`.


def envelope(v, gamma):
    p = half_threshold(v, gamma)
    return half_penalty(p) + float(np.sum((v - p) ** 2)) / (2 * gamma)


xs = np.array([2.0, -1.5, 3.0])
assert_gradient(lambda v: envelope(v, 0.3),
                lambda v: (v - half_threshold(v, 0.3)) / 0.3, xs)
gammas = np.array([0.04, 0.02, 0.01, 0.005])
gaps = np.array([abs(envelope(xs, g) - half_penalty(xs)) for g in gammas])
assert_order(gaps, gammas, 1)
print("envelope gaps", np.array2string(gaps, precision=4), "-> first order in gamma")

# %%
# Let hypothesis choose the inputs
# --------------------------------
#
# ``@given`` draws sparse vectors and step sizes; calling the decorated function runs the
# search (``derandomize=True`` makes it reproducible, as a lesson must be).

checked = settings(max_examples=100, derandomize=True, deadline=None, database=None)


@checked
@given(sparse_vectors(max_size=8), st.floats(0.05, 5.0))
def test_half_threshold(v, gamma):
    assert_prox_optimal(half_threshold, half_penalty, v, gamma=gamma, convex=False)


@checked
@given(sparse_vectors(max_size=8, scale=5.0), st.floats(0.1, 3.0))
def test_linf_moreau(v, radius):
    project = lambda u: project_linf(u, radius)               # noqa: E731
    assert_projection(project, v, lambda u: in_linf(u, radius))
    assert_moreau_decomposition(lambda u, g: project(u),
                                lambda u, g: soft_threshold(u, g * radius), v,
                                gamma=1.3)


test_half_threshold()
test_linf_moreau()
print("100 + 100 hypothesis examples passed")

# %%
# Plant a bug and watch it caught
# -------------------------------
#
# Use the threshold where the nonzero local minimum *appears*, :math:`\tfrac34
# \lambda^{2/3}`, instead of where it becomes global. The operator still looks right on
# most inputs; hypothesis finds one where it is not and shrinks it.


def buggy_half(v, gamma):
    return half_threshold(v, gamma, threshold=0.75)


@checked
@given(sparse_vectors(max_size=8), st.floats(0.05, 5.0))
def test_buggy_half(v, gamma):
    assert_prox_optimal(buggy_half, half_penalty, v, gamma=gamma, convex=False)


try:
    test_buggy_half()
except AssertionError as err:
    print("AssertionError:", err)
    for note in getattr(err, "__notes__", []):          # hypothesis adds the example
        if note.startswith(("Falsifying example", "Failing test case")):
            print(note)
else:
    raise RuntimeError("the planted bug was not caught")

# %%
# A second planted bug: "projecting" onto the ℓ∞ ball by rescaling,
# :math:`v \cdot r/|v|_\infty`, lands in the ball and is idempotent, but is not the nearest
# point.

try:
    assert_projection(lambda v: v / max(1.0, np.abs(v).max()), np.array([3.0, 0.5]),
                      in_linf)
except AssertionError as err:
    print("AssertionError:", err)

# %%
# The picture of the first bug: at a counterexample like the one hypothesis shrank to
# (:math:`x = 1.75`, :math:`\gamma = 1.5`, inside the window
# :math:`(0.75, 0.945)\,\lambda^{2/3}`) the objective
# :math:`\sqrt{|y|} + (x - y)^2/(2\gamma)` has two minima, and the buggy operator returns
# the local one.

x_bad, g_bad = 1.75, 1.5
lam = 2 * g_bad
grid = np.linspace(-3, 3, 1201)
ys = np.linspace(-0.5, 3.0, 701)
objective = np.sqrt(np.abs(ys)) + (x_bad - ys) ** 2 / (2 * g_bad)
p_good = float(half_threshold(x_bad, g_bad))
p_bug = float(buggy_half(x_bad, g_bad))

C = {"half": "tab:blue", "bug": "tab:red", "soft": "tab:green", "hard": "tab:purple"}
fig, axes = plt.subplots(1, 3, figsize=(15, 4.3), constrained_layout=True)
ax = axes[0]
ax.plot(grid, half_threshold(grid, g_bad), color=C["half"], lw=2,
        label="half-thresholding, prox of γ|y|^½")
ax.plot(grid, buggy_half(grid, g_bad), color=C["bug"], ls="--",
        label="planted bug: threshold ¾λ^⅔")
ax.plot(grid, soft_threshold(grid, g_bad), color=C["soft"], lw=1,
        label="soft-thresholding, prox of γ|y| (ℓ1)")
ax.plot(grid, hard_threshold(grid, g_bad), color=C["hard"], lw=1,
        label="hard-thresholding, prox of γ·1{y ≠ 0} (ℓ0)")
ax.plot(grid, grid, ":", color="0.6", label="identity")
ax.axvspan(0.75 * lam ** (2 / 3), 54 ** (1 / 3) / 4 * lam ** (2 / 3), color=C["bug"],
           alpha=0.15, label="where the bug returns a non-global minimum")
ax.set(xlabel="input x (dimensionless)", ylabel="output prox(x)",
       title=f"Thresholding operators at γ = {g_bad}")
ax.legend(fontsize=7)

ax = axes[1]
ax.plot(ys, objective, "k", label=f"objective √|y| + (x − y)²/(2γ), x = {x_bad}, "
        f"γ = {g_bad}")
ax.plot(p_good, np.sqrt(abs(p_good)) + (x_bad - p_good) ** 2 / (2 * g_bad), "o",
        color=C["half"], ms=9, label=f"half-thresholding: y = {p_good:.2f} (global)")
ax.plot(p_bug, np.sqrt(abs(p_bug)) + (x_bad - p_bug) ** 2 / (2 * g_bad), "s",
        color=C["bug"], ms=7, label=f"planted bug: y = {p_bug:.2f} (local)")
ax.set(xlabel="y (dimensionless)", ylabel="objective value",
       title="Hypothesis' counterexample: the bug keeps a local minimum")
ax.legend(fontsize=8)

ax = axes[2]
ax.loglog(gammas, gaps, "o-", color=C["half"],
          label="|e_γ f − f| at x = (2, −1.5, 3), envelope from half-thresholding")
ax.loglog(gammas, gaps[0] * gammas / gammas[0], "k--", lw=1,
          label="slope 1 (what assert_order checks)")
ax.set_xticks(gammas, [f"{g:g}" for g in gammas], minor=False)
ax.set_xticks([], minor=True)
ax.set(xlabel="γ", ylabel="|e_γ f(x) − f(x)|",
       title="Moreau envelope → f at first order")
ax.legend(fontsize=8)
plt.show()

# %%
# Exercises
# ---------
#
# **Exercise 1.** Write the projection onto the Euclidean ball of radius :math:`r`,
# :math:`P(v) = v\min(1, r/|v|)`, and test it with
# :func:`pdeopt.testing.assert_projection` under hypothesis; then check Moreau's
# decomposition against the prox of :math:`\gamma r|\cdot|_2` (block soft-thresholding,
# :math:`v\max(0, 1 - \gamma r/|v|)`).
#
# .. dropdown:: Solution to exercise 1
#
#    .. literalinclude:: /lessons/solutions/lesson_10_property_testing_ex1.py
#       :language: python
#
# **Exercise 2.** Find the bug. A colleague's prox of the elastic net
# :math:`f(y) = \lambda|y|_1 + \tfrac{\mu}{2}|y|^2` is
# ``soft_threshold(v / (1 + gamma * mu), gamma * lam)``. Show with
# :func:`pdeopt.testing.assert_prox_optimal` that it is wrong, derive the right one, and
# show that it passes.
#
# .. dropdown:: Solution to exercise 2
#
#    .. literalinclude:: /lessons/solutions/lesson_10_property_testing_ex2.py
#       :language: python
#
# **Exercise 3.** Write a brute-force Hopf–Lax solver (the minimum over all grid nodes,
# with NumPy broadcasting) and test it with
# :func:`pdeopt.testing.assert_hopf_lax_semigroup` on double wells drawn by
# ``pdeopt.testing.strategies.grid_functions``; then plant a bug (:math:`|x-y|^2/t` for
# :math:`|x-y|^2/(2t)`) and show the checker catches it.
#
# .. dropdown:: Solution to exercise 3
#
#    .. literalinclude:: /lessons/solutions/lesson_10_property_testing_ex3.py
#       :language: python
#
# See also
# --------
#
# * :ref:`validation-moreau-abs`: pdeopt's Hopf–Lax, Moreau envelope and soft-thresholding
#   on :math:`|x|` against the Huber function, the identities these checkers generalise;
# * :ref:`validation-hj-hopf-lax`: ``hopf_lax`` against the brute force of exercise 3;
# * the API of every checker: :mod:`pdeopt.testing`
#   (:func:`pdeopt.testing.assert_hopf_lax_semigroup`,
#   :func:`pdeopt.testing.assert_graph_laplacian`, ...).
