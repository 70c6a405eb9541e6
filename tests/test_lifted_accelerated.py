"""GD, heavy ball, Nesterov vs Theorems 1–3; Lemma 4; ADMM training baseline."""
import numpy as np
import pytest

from pdeopt.data import load_digits
from pdeopt.lifted import get_activation, mlp_error
from pdeopt.lifted.accelerated import (gradient_descent, heavy_ball, layer_objective, nesterov,
                                       polyak_parameters, rate_bounds)
from pdeopt.lifted.admm import admm_train


def _problem(seed, n=40):
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.normal(size=(n, n)))
    a = (q * np.linspace(0, 1, n) ** 2) @ q.T
    xs = rng.normal(size=n)
    return (lambda x: 0.5 * (x - xs) @ a @ (x - xs)), (lambda x: a @ (x - xs)), xs


@pytest.mark.parametrize("seed", range(3))
def test_theorems_1_to_3_bounds_hold(seed):
    f, grad, xs = _problem(seed)
    x0, d2, it = np.zeros_like(xs), float(xs @ xs), 200
    t = np.arange(it + 1)
    gd = gradient_descent(grad, x0, step=1.0, iterations=it, f=f).history["f"]
    hb = heavy_ball(grad, x0, step=lambda k: 1 / (k + 2), momentum=lambda k: k / (k + 2),
                    iterations=it, f=f).history["f"]
    ag = nesterov(grad, x0, lipschitz=1.0, iterations=it, f=f).history["f"]
    assert np.all(gd[1:] <= rate_bounds(t + 1, lipschitz=1, dist2=d2)["gd"][1:])
    assert np.all(hb <= rate_bounds(t, lipschitz=1, dist2=d2)["heavy_ball"])
    assert np.all(ag <= rate_bounds(t + 1, lipschitz=1, dist2=d2)["nesterov"])
    assert ag[-1] < gd[-1]


def test_polyak_heavy_ball_is_faster_than_gd_on_strongly_convex_quadratic():
    rng = np.random.default_rng(0)
    a = np.diag(np.linspace(0.01, 1, 30))
    xs = rng.normal(size=30)
    grad = lambda x: a @ (x - xs)  # noqa: E731
    alpha, beta, q = polyak_parameters(0.01, 1.0)
    hb = heavy_ball(grad, np.zeros(30), step=alpha, momentum=beta, iterations=150).x
    gd = gradient_descent(grad, np.zeros(30), step=2 / 1.01, iterations=150).x
    assert np.linalg.norm(hb - xs) < 150 * q ** 150 * np.linalg.norm(xs)
    assert np.linalg.norm(hb - xs) < 1e-3 * np.linalg.norm(gd - xs)
    with pytest.raises(ValueError, match="mu must be <="):
        polyak_parameters(2.0, 1.0)


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "relu", "elu", "softplus"])
def test_lemma4_layer_is_a_gradient_step(name):
    rng = np.random.default_rng(1)
    b = rng.normal(size=(6, 6))
    lam, vec = np.linalg.eigh(b @ b.T / 6 + 0.1 * np.eye(6))
    u = (vec * np.sqrt(lam)) @ vec.T
    f, step = layer_objective(u, name)
    z, h = rng.normal(size=6), 1e-5
    grad = np.array([(f(z + h * e) - f(z - h * e)) / (2 * h) for e in np.eye(6)])
    np.testing.assert_allclose(z - grad, step(z), atol=1e-7)
    x = np.linalg.solve(u, z)
    np.testing.assert_allclose(np.linalg.solve(u, step(z)),
                               get_activation(name).phi(u @ u @ x), atol=1e-12)
    with pytest.raises(ValueError, match="symmetric"):
        layer_objective(b, name)


def test_admm_training_learns_digits():
    d = load_digits()
    res = admm_train(d.x_train, d.y_train, [64], iterations=8, seed=0)
    err = mlp_error(res.x, d.x_test, d.y_test, linear_output=True)
    assert err < 0.35 and res.history["train_error"][-1] < res.history["train_error"][0]
    with pytest.raises(ValueError, match="relu and leaky_relu only"):
        admm_train(d.x_train, d.y_train, [8], activation="sigmoid")
    with pytest.raises(ValueError, match="beta must be > 0"):
        admm_train(d.x_train, d.y_train, [8], beta=0.0)
