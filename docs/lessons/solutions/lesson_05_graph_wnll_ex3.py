"""Exercise 3: the weight of the labeled term, from GL (μ = 0) to WNLL (μ = |P|/|S| − 1).

The system of exercise 1 with a free μ ≥ 0 in front of the labeled term. With one label per
class |S| = 10 and |P| = 1797, so WNLL's μ is 178.7. Large μ pulls every point next to a
label towards that label's class, which is what keeps the harmonic function from flattening
to a constant with spikes. Over 6 paired draws WNLL's μ must beat GL's μ = 0 on average.
"""
import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import splu

from pdeopt.data import load_digits
from pdeopt.graph import knn_graph, weight_matrix

digits = load_digits()
X = np.concatenate([digits.x_train, digits.x_test]).reshape(-1, 64)
y = np.concatenate([digits.y_train, digits.y_test])
n = len(y)
W = weight_matrix(*knn_graph(X, 15, search="exact"))
Ws = (W + W.T).tocsr()
WT = W.T.tocsr()
deg = np.asarray(Ws.sum(axis=1)).ravel()

mu_wnll = n / 10 - 1
mus = [0.0, 1.0, mu_wnll]
rng = np.random.default_rng(1)
acc = np.zeros((len(mus), 6))
for draw in range(6):
    S = np.array([rng.choice(np.flatnonzero(y == c)) for c in range(10)])
    U = np.setdiff1d(np.arange(n), S)
    G = np.eye(10)[y[S]]
    Ws_UU, Ws_US, WT_US = Ws[U][:, U], Ws[U][:, S], WT[U][:, S]
    to_labels = np.asarray(W[S].sum(axis=0)).ravel()    # sum over y in S of w(y, x)
    for i, mu in enumerate(mus):
        A = sp.diags(deg[U] + mu * to_labels[U]) - Ws_UU
        u = splu(A.tocsc()).solve((Ws_US + mu * WT_US) @ G)
        acc[i, draw] = np.mean(np.argmax(u, axis=1) == y[U])
for mu, a in zip(mus, acc):
    print(f"mu = {mu:7.1f}: accuracy {100 * a.mean():.1f}% ± {100 * a.std():.1f}")
gain = acc[2] - acc[0]
print(f"WNLL - GL, paired over 6 draws: {100 * gain.mean():.1f} ± "
      f"{100 * gain.std(ddof=1) / np.sqrt(6):.1f} points")

assert gain.mean() > 0, gain
