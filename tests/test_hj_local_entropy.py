import numpy as np
import pytest
from hypothesis import given, strategies as st

from pdeopt.hj import local_entropy

X = np.linspace(-6.0, 6.0, 481)


def test_quadratic_closed_form_1d():
    # G_γ * e^{-a x²/2} ∝ e^{-a x²/(2(1+aγ))}: f_γ = a x²/(2(1+aγ)) + ½ log(1+aγ)
    a, gamma = 2.0, 0.7
    fg, g = local_entropy(0.5 * a * X**2, X, gamma, grad=True)
    inner = np.abs(X) < 3
    exact = a * X**2 / (2 * (1 + a * gamma)) + 0.5 * np.log(1 + a * gamma)
    np.testing.assert_allclose(fg[inner], exact[inner], atol=1e-10)
    np.testing.assert_allclose(g[inner], a * X[inner] / (1 + a * gamma), atol=1e-9)


def test_quadratic_closed_form_2d_and_points():
    x0, x1 = np.linspace(-5, 5, 121), np.linspace(-4, 4, 97)
    f = 0.5 * x0[:, None] ** 2 + x1[None, :] ** 2
    gamma = 0.5
    fg, g = local_entropy(f, (x0, x1), gamma, grad=True)
    assert fg.shape == f.shape and g.shape == (2,) + f.shape
    exact = x0[:, None] ** 2 / 3 + x1[None, :] ** 2 / 2 + 0.5 * np.log(1.5 * 2)
    core = (slice(36, 85), slice(30, 67))
    np.testing.assert_allclose(fg[core], exact[core], atol=1e-9)
    np.testing.assert_allclose(g[0][core], (x0[:, None] / 1.5 + 0 * x1)[core], atol=1e-8)
    np.testing.assert_allclose(g[1][core], (0 * x0[:, None] + x1)[core], atol=1e-8)
    pts = np.array([[0.1, 0.2], [1.0, -0.5], [x0[40], x1[50]]])
    v, gp = local_entropy(f, (x0, x1), gamma, grad=True, points=pts)
    assert v.shape == (3,) and gp.shape == (3, 2)
    np.testing.assert_allclose(v[2], fg[40, 50], atol=1e-12)
    np.testing.assert_allclose(gp[2], g[:, 40, 50], atol=1e-12)


@given(seed=st.integers(0, 2**32 - 1), gamma=st.floats(0.01, 3.0))
def test_separable_2d_equals_brute_force(seed, gamma):
    rng = np.random.default_rng(seed)
    x0, x1 = np.linspace(-1, 1, 9), np.linspace(0, 2, 7)
    f = rng.normal(scale=3, size=(9, 7))
    fg, g = local_entropy(f, (x0, x1), gamma, grad=True)
    pts = np.stack(np.meshgrid(x0, x1, indexing="ij"), -1).reshape(-1, 2)
    v, gp = local_entropy(f, (x0, x1), gamma, grad=True, points=pts)
    np.testing.assert_allclose(fg.ravel(), v, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(g.reshape(2, -1).T, gp, rtol=1e-10, atol=1e-10)


@given(seed=st.integers(0, 2**32 - 1), gamma=st.floats(0.05, 2.0))
def test_gradient_is_derivative_of_value(seed, gamma):
    # The quadrature is exact-to-rounding for the discrete f_γ(p) as a function of p.
    rng = np.random.default_rng(seed)
    x = np.linspace(-2, 2, 41)
    f = rng.uniform(-5, 5, size=x.size)
    p = rng.uniform(-1.5, 1.5, size=5)
    h = 1e-5
    _, g = local_entropy(f, x, gamma, grad=True, points=p)
    fd = (local_entropy(f, x, gamma, points=p + h)
          - local_entropy(f, x, gamma, points=p - h)) / (2 * h)
    np.testing.assert_allclose(g, fd, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("scale", [1.0, 1e2, 1e4])
def test_stable_for_large_f(scale):
    f = scale * (np.cos(3 * X) + X**2 / 36)
    fg, g = local_entropy(f, X, 0.05, grad=True)
    assert np.all(np.isfinite(fg)) and np.all(np.isfinite(g))
    # adding a constant shifts f_γ by exactly that constant
    np.testing.assert_allclose(local_entropy(f + 1e4, X, 0.05) - fg, 1e4, rtol=0, atol=1e-9)
    # Bounds from the definition f_γ(x_i) = −log(h Σ_j G_γ(x_i − y_j) e^{−f_j}):
    # above, keep only the term j = i: f_γ(x_i) ≤ f_i − log(h G_γ(0)) = f_i + ½log(2πγ) − log h;
    # below, e^{−f_j} ≤ e^{−min f} and, by Poisson summation, h Σ_j G_γ(x − y_j) ≤
    # θ = Σ_{m∈Z} exp(−2π²γ m²/h²), so f_γ ≥ min f − log θ. Slack: rounding of |f|.
    gamma, h = 0.05, X[1] - X[0]
    theta = np.sum(np.exp(-2 * np.pi**2 * gamma * np.arange(-3, 4) ** 2 / h**2))
    slack = 64 * np.finfo(float).eps * np.max(np.abs(f))
    assert np.all(fg <= f + 0.5 * np.log(2 * np.pi * gamma) - np.log(h) + slack)
    assert np.all(fg >= f.min() - np.log(theta) - slack)


def test_tends_to_f_for_resolved_small_gamma():
    f = np.sin(X)
    h = X[1] - X[0]
    fg = local_entropy(f, X, 4 * h**2)
    # u_t = ½u_xx − ½u_x²: f_γ = f + γ/2 (f'' − f'²) + O(γ²) for smooth f
    corr = -2 * h**2 * (np.cos(X) ** 2 + np.sin(X))
    np.testing.assert_allclose(fg[40:-40], (f + corr)[40:-40], atol=5 * (4 * h**2) ** 2 + 1e-9)


def test_bad_input():
    with pytest.raises(ValueError, match="gamma"):
        local_entropy(X**2, X, 0.0)
    with pytest.raises(ValueError, match="gamma"):
        local_entropy(X**2, X, -1.0)
    with pytest.raises(ValueError, match="f contains"):
        local_entropy(np.where(X > 0, np.nan, X), X, 1.0)
    with pytest.raises(ValueError, match="f must have shape"):
        local_entropy(X[:-1], X, 1.0)
    with pytest.raises(ValueError, match="x must be uniformly"):
        local_entropy(X, X**3, 1.0)
    with pytest.raises(ValueError, match="x must be strictly increasing"):
        local_entropy(X, X[::-1], 1.0)
    with pytest.raises(ValueError, match="points"):
        local_entropy(X, X, 1.0, points=[np.inf])
    with pytest.raises(ValueError, match=r"x\[1\]"):
        local_entropy(np.zeros((3, 3)), (np.arange(3.0), np.array([0, 1, 3.0])), 1.0)
