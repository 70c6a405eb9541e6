"""Exercise 1: the GL and WNLL systems solved by hand, against harmonic_extension.

With U = P∖S the unlabeled points, W_s = W + Wᵀ and μ = |P|/|S| − 1 (WNLL) or 0 (GL), the
equation at x ∈ U is d(x)u(x) − Σ_{y∈U} W_s(x,y)u(y) = Σ_{y∈S} (W_s(x,y) + μ w(y,x)) g(y),
with d(x) = Σ_y W_s(x,y) + μ Σ_{y∈S} w(y,x); w(y,x) is W[y, x] (row y holds w(y, ·)), so the
labeled term uses Wᵀ. A is a weighted Laplacian block: symmetric, diagonally dominant, so
the solution is a weighted average of the labels (maximum principle: scores in [0, 1],
rows summing to 1). Both solves are direct, so they agree to rounding.
"""
import numpy as np

from pdeopt.data import load_digits
from pdeopt.graph import harmonic_extension, knn_graph, weight_matrix

digits = load_digits()
X, y = digits.x_train[:300].reshape(300, -1), digits.y_train[:300]
assert set(y) == set(range(10))
W = weight_matrix(*knn_graph(X, 10, search="exact")).toarray()
Ws = W + W.T
S = np.array([np.flatnonzero(y == c)[0] for c in range(10)])
U = np.setdiff1d(np.arange(300), S)
G = np.eye(10)[y[S]]                                   # one-hot labels, shape (|S|, 10)
worst = 0.0
for method, mu in (("gl", 0.0), ("wnll", 300 / len(S) - 1)):
    d = Ws.sum(axis=1) + mu * W[S].sum(axis=0)         # mu * sum_{y in S} w(y, x)
    A = np.diag(d[U]) - Ws[np.ix_(U, U)]
    B = (Ws[np.ix_(U, S)] + mu * W.T[np.ix_(U, S)]) @ G
    u_mine = np.linalg.solve(A, B)
    u_lib = harmonic_extension(W, S, y[S], method=method, solver="direct").x[U]
    gap = np.abs(u_mine - u_lib).max()
    in_range = u_mine.min() >= -1e-12 and u_mine.max() <= 1 + 1e-12
    print(f"{method}: max |mine - library| = {gap:.1e}; scores in [0, 1]: {in_range}; "
          f"row sums 1 to {np.abs(u_mine.sum(axis=1) - 1).max():.1e}")
    worst = max(worst, gap if in_range else np.inf)

assert worst < 1e-8, worst
