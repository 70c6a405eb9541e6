"""ISTA, FISTA, ADMM for the lasso; the unrolled learned ISTA network."""
import numpy as np
import pytest

from pdeopt import ConvergenceWarning, DivergenceError
from pdeopt.lifted.unrolled import (_loss_and_grad, lista_forward, lista_init, lista_train,
                                    sparse_coding_data)
from pdeopt.prox.lasso import admm_lasso, fista, ista, lasso_bounds, lasso_objective


@pytest.fixture(scope="module")
def problem():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(30, 60)) / np.sqrt(30)
    y, _ = sparse_coding_data(a, 1, rng=rng)
    return a, y[:, 0], 0.05


def _kkt(a, y, lam, x):
    """Lasso optimality: |Aᵀ(Ax − y)| ≤ λ, with equality −λ·sign(x) on the support."""
    g = a.T @ (a @ x - y)
    on = x != 0
    return max(np.max(np.abs(g[on] + lam * np.sign(x[on])), initial=0.0),
               np.max(np.abs(g[~on]), initial=0.0) - lam)


def test_solvers_agree_and_meet_kkt(problem):
    a, y, lam = problem
    xf = fista(a, y, lam, max_iter=5000, record=False, backend="numpy").x
    xa = admm_lasso(a, y, lam, rho=1.0, max_iter=3000, record=False, backend="numpy").x
    xi = ista(a, y, lam, max_iter=20000, record=False, backend="numpy").x
    assert _kkt(a, y, lam, xf) < 1e-8
    np.testing.assert_allclose(xa, xf, atol=1e-7)
    np.testing.assert_allclose(xi, xf, atol=1e-6)


def test_rates_against_bounds(problem):
    a, y, lam = problem
    ref = fista(a, y, lam, max_iter=10000, record=False, backend="numpy")
    f_star = lasso_objective(a, y, lam, ref.x)
    k = np.arange(1, 301)  # the bounds hold from k = 1
    b = lasso_bounds(k, lipschitz=ref.info["lipschitz"], dist2=float(ref.x @ ref.x))
    gi = ista(a, y, lam, max_iter=300, backend="numpy").history["objective"] - f_star
    gf = fista(a, y, lam, max_iter=300, backend="numpy").history["objective"] - f_star
    assert np.all(gi[1:] <= b["ista"]) and np.all(gf[1:] <= b["fista"])
    assert np.all(np.diff(gi) <= 1e-12)          # ISTA is a descent method


def test_multiple_right_hand_sides_and_backends(problem):
    a, _, lam = problem
    y, _ = sparse_coding_data(a, 5, rng=1)
    xs = fista(a, y, lam, max_iter=50, record=False, backend="numpy").x
    assert xs.shape == (60, 5)
    for j in range(5):
        np.testing.assert_allclose(
            xs[:, j], fista(a, y[:, j], lam, max_iter=50, record=False, backend="numpy").x,
            atol=1e-12)
    np.testing.assert_allclose(ista(a, y, lam, max_iter=20, record=False, backend="numba").x,
                               ista(a, y, lam, max_iter=20, record=False, backend="numpy").x,
                               atol=1e-12)


def test_bad_input(problem):
    a, y, lam = problem
    with pytest.raises(ValueError, match="lam must be >= 0"):
        ista(a, y, -1.0)
    with pytest.raises(ValueError, match=r"y must have a.shape\[0\] = 30 rows"):
        fista(a, y[:10], lam)
    with pytest.raises(ValueError, match="rho must be > 0"):
        admm_lasso(a, y, lam, rho=0.0)


def test_lista_starts_as_ista_and_its_gradient_is_exact(problem):
    a, y, lam = problem
    params = lista_init(a, lam, 5)
    np.testing.assert_allclose(lista_forward(params, a, y),
                               ista(a, y, lam, max_iter=5, record=False, backend="numpy").x,
                               atol=1e-13)
    rng = np.random.default_rng(2)
    params["W"] += 0.01 * rng.normal(size=params["W"].shape)
    yb, xb = sparse_coding_data(a, 6, rng=rng)
    _, grads = _loss_and_grad(params, a, yb, xb)
    for key in ("W", "theta"):
        e = rng.normal(size=params[key].shape)
        h = 1e-6
        plus = {**params, key: params[key] + h * e}
        minus = {**params, key: params[key] - h * e}
        fd = (_loss_and_grad(plus, a, yb, xb)[0] - _loss_and_grad(minus, a, yb, xb)[0]) / (2 * h)
        assert abs(fd - np.sum(grads[key] * e)) < 1e-6 * (1 + abs(fd))


def test_lista_training_beats_fista_at_equal_depth(problem):
    a, _, lam = problem
    res = lista_train(a, lam, layers=6, max_iter=300, lr=2e-3, rng=0)
    y, x = sparse_coding_data(a, 300, rng=5)
    err = lambda xh: np.sum((xh - x) ** 2) / np.sum(x ** 2)  # noqa: E731
    assert err(lista_forward(res.x, a, y)) < err(
        fista(a, y, lam, max_iter=6, record=False, backend="numpy").x)


def test_lista_status_interrupt_and_bad_input(problem):
    a, _, lam = problem
    res = lista_train(a, lam, layers=3, max_iter=5, rng=0)
    assert res.nit == 5 and res.status == 1 and res.history["loss"].size == 5
    res = lista_train(a, lam, layers=3, max_iter=50, tol=1e9, rng=0)    # any loss is ≤ 1e9
    assert res.converged and res.nit == 1
    with pytest.warns(ConvergenceWarning):
        res = lista_train(a, lam, layers=3, max_iter=3, tol=1e-300, rng=0)
    assert res.status == 2 and not res.success

    def interrupt(it):
        if it.nit == 4:
            raise KeyboardInterrupt
    with pytest.warns(RuntimeWarning, match="interrupted"):
        res = lista_train(a, lam, layers=3, max_iter=10, rng=0, callback=interrupt)
    four = lista_train(a, lam, layers=3, max_iter=4, rng=0)
    assert res.status == 3 and res.nit == 4
    np.testing.assert_array_equal(res.x["W"], four.x["W"])
    with np.errstate(over="ignore", invalid="ignore"):
        with pytest.raises(DivergenceError, match=r"lista_train diverged at iteration 2: "
                                                  r"the loss.*lr=1e\+300") as err:
            lista_train(a, lam, layers=3, max_iter=3, lr=1e300, rng=0)
    assert err.value.result.history["loss"].size == 1
    with pytest.raises(ValueError, match="spectral norm"):
        lista_init(a * 1e200, lam, 2)
    with pytest.raises(TypeError, match="max_iter"):
        lista_train(a, lam, max_iter=2.5)
    with pytest.raises(ValueError, match="sparsity"):
        sparse_coding_data(a, 3, sparsity=0.0)
    with pytest.raises(TypeError, match="rng"):
        sparse_coding_data(a, 3, rng="0")
    with pytest.raises(ValueError, match="y must have 30 rows"):
        lista_forward(lista_init(a, lam, 2), a, np.ones(5))
    with pytest.raises(ValueError, match="params must hold W"):
        lista_forward(lista_init(a, lam, 2), a.T, np.ones(60))
    with pytest.raises(TypeError, match="params"):
        lista_forward(None, a, np.ones(30))
