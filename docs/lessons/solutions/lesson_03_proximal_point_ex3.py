"""Exercise 3: the Laplace bias of HJ-prox, (m_δ − y*)/δ → −φ'''/(2φ''²).

Expand φ around its minimiser y*: φ = φ* + φ''s²/2 + φ'''s³/6 + ... with s = y − y*.
Under e^{−φ/δ} ≈ e^{−φ''s²/(2δ)}(1 − φ'''s³/(6δ)), with E₀ the Gaussian of variance δ/φ'':
E[s] ≈ −(φ'''/(6δ))·E₀[s⁴] = −(φ'''/(6δ))·3(δ/φ'')² = −δφ'''/(2φ''²).
Here φ'' = f'' + 1/t and φ''' = f'''. We compute m_δ by quadrature on a fine grid (the
Gibbs density is resolved down to δ = 10⁻³) and y* by Newton's method, and check that the
ratio approaches the prediction linearly in δ (a relative error O(δ)).
"""
import numpy as np


def f(y):
    return y**2 / 4 + 1.5 * np.cos(2 * y)


def derivatives(y):   # f', f'', f'''
    return y / 2 - 3 * np.sin(2 * y), 0.5 - 6 * np.cos(2 * y), 12 * np.sin(2 * y)


x, t = 2.5, 0.25
nodes = np.linspace(-2, 6, 400001)
phi = f(nodes) + (nodes - x) ** 2 / (2 * t)
y = nodes[np.argmin(phi)]
for _ in range(30):
    d1, d2, _ = derivatives(y)
    y -= (d1 + (y - x) / t) / (d2 + 1 / t)
_, d2, d3 = derivatives(y)
predicted = -d3 / (2 * (d2 + 1 / t) ** 2)

rel = []
for delta in (0.1, 0.01, 0.001):
    w = np.exp(-(phi - phi.min()) / delta)
    m = np.sum(w * nodes) / np.sum(w)
    ratio = (m - y) / delta
    rel.append(abs(ratio / predicted - 1))
    print(f"delta = {delta}: (m - y*)/delta = {ratio:+.5f}, predicted {predicted:+.5f}")

assert rel[-1] < 0.01 and rel[0] > rel[1] > rel[2], rel
