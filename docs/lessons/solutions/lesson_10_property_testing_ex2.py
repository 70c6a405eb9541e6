"""Exercise 2: find the bug in a prox of the elastic net f(y) = λ|y|₁ + (μ/2)|y|².

The prox minimises λ|y| + (μ/2)y² + (y − x)²/(2γ) coordinatewise. Multiply by γ and collect
the quadratic: (1 + γμ)/2 · y² − xy + γλ|y| = (1 + γμ)·[ (y − x/(1 + γμ))²/2 +
γλ/(1 + γμ)·|y| ] + const, so prox(x) = soft(x/(1 + γμ), γλ/(1 + γμ)) =
soft(x, γλ)/(1 + γμ). The colleague's soft(x/(1 + γμ), γλ) thresholds at the wrong level
(γλ instead of γλ/(1 + γμ)): it zeroes too much. assert_prox_optimal finds a point of its
neighbourhood doing better; the fixed operator passes at every γ.
"""
import numpy as np

from pdeopt.prox import soft_threshold
from pdeopt.testing import assert_prox_optimal

lam, mu = 0.8, 2.0


def f(y):
    return lam * float(np.sum(np.abs(y))) + 0.5 * mu * float(np.sum(y**2))


def colleague(v, gamma):
    return soft_threshold(v / (1 + gamma * mu), gamma * lam)


def fixed(v, gamma):
    return soft_threshold(v, gamma * lam) / (1 + gamma * mu)


x = np.array([2.0, -0.7, 0.3, 1.1, -3.0])
try:
    assert_prox_optimal(colleague, f, x, gamma=0.5)
    bug_caught = False
except AssertionError as err:
    print("colleague's prox:", err)
    bug_caught = True
for gamma in (0.1, 0.5, 2.0):
    assert_prox_optimal(fixed, f, x, gamma=gamma)
print("the fixed prox passes at gamma = 0.1, 0.5, 2")

assert bug_caught
