"""The activation table: prox identity, derivatives of f and g, Theorem 4's block convexity."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pdeopt.lifted import check_lpom_activation, get_lifted_activation, lpom_objective
from pdeopt.lifted.activations import quadrature_integral

MONOTONE = ["sigmoid", "tanh", "relu", "leaky_relu", "elu", "softplus"]
ys = st.floats(-4.0, 4.0, allow_nan=False)


def _dense_argmin(fun, lo, hi, n=2001, levels=2):
    """argmin of a convex ``fun`` on [lo, hi] by nested dense grids; error ≤ one fine cell."""
    for _ in range(levels):
        x = np.linspace(lo, hi, n)
        with np.errstate(invalid="ignore"):
            j = int(np.nanargmin(fun(x)))
        h = x[1] - x[0]
        lo, hi = max(x[0], x[j] - 2 * h), min(x[-1], x[j] + 2 * h)
    return x[j], h


@pytest.mark.parametrize("name", MONOTONE)
@given(y=ys)
def test_phi_is_the_prox_of_f(name, y):
    # φ(y) = argmin_x f(x) + ½(x − y)², found by a dense search over f's domain
    act = get_lifted_activation(name)
    lo, hi = act.f_domain
    xmin, h = _dense_argmin(lambda x: act.f(x) + 0.5 * (x - y) ** 2, max(lo, -6.0), min(hi, 6.0))
    assert abs(xmin - float(act.phi(y))) <= h + 1e-7  # + rounding: sqrt(eps·|objective|)


@pytest.mark.parametrize("name", MONOTONE)
@given(x=ys)
def test_g_prime_is_phi_minus_identity(name, x):
    act = get_lifted_activation(name)
    h = 1e-5
    fd = (act.g(x + h) - act.g(x - h)) / (2 * h)
    # the FD error is O(h²) where g is smooth and ≤ h·max|g″|/2 = h/2 across a kink
    assert abs(fd - (act.phi(x) - x)) < 1e-6 * (1 + abs(x)) + h / 2


@pytest.mark.parametrize("name", MONOTONE)
@given(u=st.floats(0.02, 0.98))
def test_f_prime_is_phi_inverse_minus_identity(name, u):
    act = get_lifted_activation(name)
    lo, hi = act.f_domain
    lo, hi = max(lo, -3.0), min(hi, 3.0)
    x = lo + u * (hi - lo)              # interior point of f's domain
    h = 1e-6 * (hi - lo)
    fd = (act.f(x + h) - act.f(x - h)) / (2 * h)
    if name == "relu":
        assert fd == 0.0                 # φ⁻¹(x) = x on x > 0
    else:
        kink = h / act.params.get("alpha", 1.0)   # leaky ReLU: f″ jumps by 1/α − 1 at 0
        assert abs(fd - (act.phi_inv(x) - x)) < 1e-5 * (1 + abs(act.phi_inv(x))) + kink


@pytest.mark.parametrize("name", MONOTONE)
def test_f_and_g_vanish_at_zero_and_f_is_infinite_outside_its_domain(name):
    act = get_lifted_activation(name)
    assert act.f(0.0) == 0.0 and act.g(0.0) == 0.0
    lo, _ = act.f_domain
    if np.isfinite(lo):
        assert act.f(lo - 0.1) == np.inf


def test_quadrature_matches_closed_form():
    x = np.linspace(-3, 3, 13)
    np.testing.assert_allclose(quadrature_integral(np.tanh, x), np.log(np.cosh(x)), atol=1e-14)
    sp = get_lifted_activation("softplus")
    # softplus: g(x) = −Li₂(−eˣ) − π²/12 − x²/2, f(1) from a scipy.integrate.quad reference
    from scipy.special import spence
    np.testing.assert_allclose(sp.g(x), -spence(1 + np.exp(x)) - np.pi ** 2 / 12 - x ** 2 / 2,
                               atol=1e-12)


def _block_hessian(grad, x0, h=1e-5):
    n = x0.size
    hess = np.empty((n, n))
    for j in range(n):
        e = np.zeros(n)
        e[j] = h
        hess[:, j] = (grad(x0 + e) - grad(x0 - e)) / (2 * h)
    return 0.5 * (hess + hess.T)


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "leaky_relu", "elu", "softplus"])
@given(seed=st.integers(0, 2 ** 31 - 1))
def test_theorem4_block_multiconvexity(name, seed):
    # F restricted to one hidden block X^2 and to one weight block W^2 has a PSD Hessian.
    # The gradients use f' = φ⁻¹ − id and g' = φ − id; they are checked against the
    # objective value F (which uses the table's f and g) first.
    act = get_lifted_activation(name)
    rng = np.random.default_rng(seed)
    d, m = [3, 4, 2], 3
    w1 = rng.normal(size=(d[1], d[0]))
    w2 = rng.normal(size=(d[2], d[1]))
    x1 = rng.normal(size=(d[0], m))
    x2 = act.phi(np.clip(w1 @ x1 + 0.3 * rng.normal(size=(d[1], m)), -3, 3))  # interior of dom f
    x3 = act.phi(w2 @ x2 + 0.3 * rng.normal(size=(d[2], m)))
    targets = rng.normal(size=(m, d[2]))
    mu = rng.uniform(0.5, 2.0, size=2)
    kw = dict(mu=mu, activation=act, loss="squared", bias=False)

    def f_x2(v):
        return lpom_objective([w1, w2], [x1, v.reshape(x2.shape), x3], targets, **kw)

    def grad_x2(v):
        v = v.reshape(x2.shape)
        return (mu[0] * (act.phi_inv(v) - w1 @ x1)
                + mu[1] * w2.T @ (act.phi(w2 @ v) - x3)).ravel()

    def grad_w2(v):
        v = v.reshape(w2.shape)
        return (mu[1] * (act.phi(v @ x2) - x3) @ x2.T).ravel()

    v0 = x2.ravel()
    e = rng.normal(size=v0.size)
    h = 1e-6
    fd = (f_x2(v0 + h * e) - f_x2(v0 - h * e)) / (2 * h)
    assert abs(fd - grad_x2(v0) @ e) <= 1e-5 * (1 + abs(fd))
    for grad, v in ((grad_x2, v0), (grad_w2, w2.ravel())):
        hess = _block_hessian(grad, v)
        scale = max(1.0, np.abs(hess).max())
        assert np.linalg.eigvalsh(hess)[0] >= -1e-6 * scale


def test_relu_weight_block_is_convex_along_lines():
    # ReLU's f is an indicator (no Hessian): check midpoint convexity of F in W^1 instead
    act = get_lifted_activation("relu")
    rng = np.random.default_rng(3)
    w1, x1 = rng.normal(size=(4, 3)), rng.normal(size=(3, 5))
    x2 = np.maximum(rng.normal(size=(4, 5)), 0)
    t = rng.normal(size=(5, 4))
    for _ in range(50):
        a, b = rng.normal(size=w1.shape) * 2, rng.normal(size=w1.shape) * 2
        vals = [lpom_objective([w], [x1, x2], t, mu=1.0, activation=act, bias=False)
                for w in (a, b, (a + b) / 2)]
        assert vals[2] <= 0.5 * (vals[0] + vals[1]) + 1e-9 * abs(max(vals))


def test_lpom_refuses_non_monotone_or_non_lipschitz_activation():
    with pytest.raises(ValueError, match="non-decreasing"):
        check_lpom_activation("swish")
    from dataclasses import replace
    step = replace(get_lifted_activation("relu"), name="hard_step",
                   phi=lambda x: (np.asarray(x) > 0).astype(float), lipschitz=np.inf)
    with pytest.raises(ValueError, match="Lipschitz"):
        check_lpom_activation(step)
    with pytest.raises(ValueError, match="activation must be one of"):
        get_lifted_activation("gelu")
    with pytest.raises(ValueError, match="alpha"):
        get_lifted_activation("leaky_relu", alpha=1.5)
    with pytest.raises(ValueError, match="alpha is the shape parameter"):
        get_lifted_activation("relu", alpha=0.5)
    with pytest.raises(TypeError, match="alpha"):
        get_lifted_activation("elu", alpha="1")
    with pytest.raises(TypeError, match="activation must be a name"):
        get_lifted_activation(None)


def test_table_rows_are_checked_and_the_names_do_not_collide():
    import pdeopt.nn
    from pdeopt.lifted import LIFTED_ACTIVATIONS, LiftedActivation
    relu = get_lifted_activation("relu")
    with pytest.raises(TypeError, match="phi must be callable"):
        LiftedActivation("x", None, relu.derivative, 1.0)
    with pytest.raises(ValueError, match="lipschitz must be > 0"):
        LiftedActivation("x", relu.phi, relu.derivative, -1.0)
    with pytest.raises(ValueError, match="f_domain"):
        LiftedActivation("x", relu.phi, relu.derivative, 1.0, f_domain=(1.0, 0.0))
    with pytest.raises(ValueError, match="has no f"):
        get_lifted_activation("swish").f_tilde(1.0)
    with pytest.raises(ValueError, match="x contains"):
        quadrature_integral(np.sin, [np.nan])
    assert set(LIFTED_ACTIVATIONS) >= {"relu", "sigmoid", "softplus"}
    # the network layers' table is another thing with another name
    assert not hasattr(pdeopt.lifted, "get_activation")
    assert not hasattr(pdeopt.lifted, "Activation") and not hasattr(pdeopt.lifted, "ACTIVATIONS")
    assert pdeopt.nn.get_activation is not get_lifted_activation
