"""Exercise 3: a brute-force Hopf–Lax solver, property-tested, and a planted bug.

u(x, t) = min_y f(y) + |x − y|²/(2t) over the grid nodes y: one (N, N) array and a min. The
semigroup property HL_{t+s} = HL_s ∘ HL_t holds exactly for the continuous formula
(min_z |x − z|²/(2s) + |z − y|²/(2t) = |x − y|²/(2(t + s))); on the grid the intermediate
point z is a node, which costs at most (1/t + 1/s)h²/8: the checker's bound.

The planted bug, |x − y|²/t for |x − y|²/(2t), is the Hopf–Lax formula at time t/2. That is
a semigroup too, and it keeps u ≤ f and min u = min f, so the only thing that can give it
away is the size of its grid error: (2/t + 2/s)h²/8, twice the bound of an operator on the
right time scale. Hypothesis finds a grid function where it goes over (a 9-node double
well) and shrinks to it. An independent reference catches it outright: for f = |x| the
exact solution is the Huber function.
"""
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from pdeopt.hj import hopf_lax
from pdeopt.testing import assert_hopf_lax_semigroup
from pdeopt.testing.strategies import grid_functions


def brute_hopf_lax(f, x, t):
    f, x = np.asarray(f, float), np.asarray(x, float)
    cost = f[None, :] + (x[:, None] - x[None, :]) ** 2 / (2 * t)
    return cost.min(axis=1)


def buggy_hopf_lax(f, x, t):
    f, x = np.asarray(f, float), np.asarray(x, float)
    return (f[None, :] + (x[:, None] - x[None, :]) ** 2 / t).min(axis=1)


def semigroup_test(operator):
    @settings(max_examples=100, derandomize=True, deadline=None, database=None)
    @given(grid_functions("double_well"), st.floats(0.05, 1.0), st.floats(0.05, 1.0))
    def test(xf, t, s):
        x, f = xf
        assert_hopf_lax_semigroup(operator, f, x, t, s)
        if operator is brute_hopf_lax:
            np.testing.assert_allclose(operator(f, x, t), hopf_lax(f, x, t)[0],
                                       atol=1e-12)
    return test


semigroup_test(brute_hopf_lax)()
print("brute force: semigroup, envelope and agreement with pdeopt.hj.hopf_lax hold")
try:
    semigroup_test(buggy_hopf_lax)()
    bug_caught = False
except AssertionError as err:
    print("planted bug caught:", err)
    bug_caught = True

x = np.linspace(-3, 3, 121)
t = 1.0
huber = np.where(np.abs(x) <= t, x**2 / (2 * t), np.abs(x) - t / 2)
gap_brute = np.abs(brute_hopf_lax(np.abs(x), x, t) - huber).max()
gap_bug = np.abs(buggy_hopf_lax(np.abs(x), x, t) - huber).max()
print(f"max |u - Huber| for f = |x|: brute force {gap_brute:.1e}, "
      f"planted bug {gap_bug:.2f}")

assert bug_caught and gap_brute < 1e-12 and gap_bug > 0.1, (gap_brute, gap_bug)
