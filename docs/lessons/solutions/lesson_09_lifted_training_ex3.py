"""Exercise 3: an untrained LISTA is ISTA.

ISTA: x_{k+1} = S_{λ/L}(x_k − (1/L)Aᵀ(Ax_k − y)), x_0 = 0. LISTA's layer is
x_{k+1} = S_{θ_k}(x_k + W_kᵀ(y − Ax_k)); with W_k = A/L and θ_k = λ/L the two are the
same map, so K layers are K iterations.
"""
import numpy as np

from pdeopt.lifted import lista_forward, lista_init
from pdeopt.prox import ista

rng = np.random.default_rng(0)
a = rng.normal(size=(15, 30)) / np.sqrt(15)
y = rng.normal(size=15)
lam = 0.1
worst = 0.0
for k in (1, 5, 20):
    net = lista_forward(lista_init(a, lam, k), a, y)
    it = ista(a, y, lam, max_iter=k, backend="numpy").x
    worst = max(worst, np.max(np.abs(net - it)))
    print(f"K = {k:2d}: max |LISTA(init) - ISTA| = {np.max(np.abs(net - it)):.1e}")

assert worst < 1e-12, worst
