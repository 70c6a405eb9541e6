"""The SDE kernels: every backend equals the NumPy twin (counter-based noise makes it exact)."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pdeopt.kernels import available_backends, select

DOUBLE_WELL_GRAD = np.array([0.0, -4.0, 0.0, 4.0])  # f = (x² − 1)², f' = 4x³ − 4x


def test_counter_based_normals_are_standard_and_backend_independent():
    paths = np.arange(20000) % 200
    steps = np.arange(20000) // 200
    z = select("sde.normal", "numpy")(11, paths, steps)
    assert abs(z.mean()) < 4 / np.sqrt(z.size)
    assert abs(z.var() - 1) < 4 * np.sqrt(2 / z.size)
    assert abs(np.mean(z ** 4) - 3) < 0.15
    np.testing.assert_allclose(select("sde.normal", "numba")(11, paths, steps), z, atol=1e-12)
    # a different seed, path or step gives unrelated numbers
    assert abs(np.corrcoef(z, select("sde.normal", "numpy")(12, paths, steps))[0, 1]) < 0.05


@settings(deadline=None, max_examples=15)
@given(seed=st.integers(0, 2 ** 40), n=st.integers(1, 40), beta=st.floats(0.5, 4.0),
       step0=st.integers(0, 1000))
def test_em_exit_numba_equals_numpy(seed, n, beta, step0):
    x = np.linspace(-1.5, 0.5, n)
    paths = np.arange(n, dtype=np.int64) * 3
    args = (paths, DOUBLE_WELL_GRAD, 0.01, np.sqrt(2 / beta), step0, 300, 1.0, seed)
    x0, s0 = select("sde.em_exit", "numpy")(x, *args)
    x1, s1 = select("sde.em_exit", "numba")(x, *args)
    np.testing.assert_allclose(x1, x0, rtol=1e-10, atol=1e-10)
    np.testing.assert_array_equal(s1, s0)


def test_em_exit_chunks_compose_and_stop_at_the_threshold():
    x = -np.ones(64)
    paths = np.arange(64)
    run = select("sde.em_exit", "numba")
    xa, sa = run(x, paths, DOUBLE_WELL_GRAD, 0.01, 1.0, 0, 2000, 1.0, 5)
    xb, sb = run(x, paths, DOUBLE_WELL_GRAD, 0.01, 1.0, 0, 1000, 1.0, 5)
    xc, sc = run(xb, paths, DOUBLE_WELL_GRAD, 0.01, 1.0, 1000, 1000, 1.0, 5)
    np.testing.assert_array_equal(np.where(sb >= 0, sb, sc), sa)
    assert np.all(xa[sa >= 0] >= 1.0)
    # a path starting beyond the threshold exits at once
    _, s = run(np.array([2.0]), np.array([0]), DOUBLE_WELL_GRAD, 0.01, 1.0, 7, 10, 1.0, 5)
    assert s[0] == 7


@settings(deadline=None, max_examples=15)
@given(seed=st.integers(0, 2 ** 40), n=st.integers(1, 30), n_steps=st.integers(1, 40))
def test_em_tabulated_numba_equals_numpy(seed, n, n_steps):
    rng = np.random.default_rng(seed)
    grid = np.linspace(-2, 2, 17)
    drift = rng.normal(size=(n_steps, grid.size))
    cost = rng.uniform(size=(n_steps, grid.size))
    x = rng.uniform(-2.5, 2.5, size=n)
    args = (np.arange(n), drift, cost, grid[0], grid[1] - grid[0], 0.01, 0.7, 3, seed)
    x0, c0 = select("sde.em_tabulated", "numpy")(x, *args)
    x1, c1 = select("sde.em_tabulated", "numba")(x, *args)
    np.testing.assert_allclose(x1, x0, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(c1, c0, rtol=1e-10, atol=1e-12)


def test_em_tabulated_integrates_a_constant_drift_and_cost():
    grid = np.linspace(-5, 5, 11)
    n_steps = 50
    drift = np.full((n_steps, grid.size), 0.5)
    cost = np.full((n_steps, grid.size), 2.0)
    x, c = select("sde.em_tabulated", "numpy")(np.zeros(3), np.arange(3), drift, cost, -5.0,
                                               1.0, 0.02, 0.0, 0, 1)
    np.testing.assert_allclose(x, 0.5 * 0.02 * n_steps)
    np.testing.assert_allclose(c, 2.0 * 0.02 * n_steps)


@pytest.mark.cuda
def test_em_exit_cuda_equals_numpy():
    assert "cuda" in available_backends("sde.em_exit")
    x = np.linspace(-1.2, 0.8, 32)
    args = (np.arange(32), DOUBLE_WELL_GRAD, 0.02, 1.0, 4, 40, 1.0, 99)
    x0, s0 = select("sde.em_exit", "numpy")(x, *args)
    x1, s1 = select("sde.em_exit", "cuda")(x, *args)
    np.testing.assert_allclose(x1, x0, rtol=1e-9, atol=1e-9)
    np.testing.assert_array_equal(s1, s0)


@settings(deadline=None, max_examples=40)
@given(seed=st.integers(0, 2 ** 32 - 1), n=st.integers(1, 50), momentum=st.sampled_from([0.0, 0.9]),
       noisy=st.booleans(), gamma=st.floats(0.0, 10.0), inner_lr=st.floats(1e-3, 1.0),
       alpha=st.floats(0.01, 1.0))
def test_langevin_step_numba_equals_numpy(seed, n, momentum, noisy, gamma, inner_lr, alpha):
    rng = np.random.default_rng(seed)
    y, mu, x, g, v, xi = (rng.standard_normal(n) for _ in range(6))
    outs = {}
    for backend in ("numpy", "numba"):
        state = [a.copy() for a in (y, mu, v)]
        finite = select("sde.langevin_step", backend)(
            state[0], state[1], x, g, state[2] if momentum else None, xi if noisy else None,
            gamma, inner_lr, momentum, alpha)
        outs[backend] = (finite, state)
    assert outs["numpy"][0] is True and outs["numba"][0] is True
    for a, b in zip(outs["numpy"][1], outs["numba"][1]):
        np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-13)
    # the step is the SGLD update written out: y⁺ = y − η′(g + γ(y − x)) + ξ, μ⁺ = μ + α(y⁺ − μ)
    if not momentum:
        y_new = y - inner_lr * (g + gamma * (y - x)) + (xi if noisy else 0.0)
        np.testing.assert_allclose(outs["numba"][1][0], y_new, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(outs["numba"][1][1], mu + alpha * (y_new - mu), rtol=1e-12,
                                   atol=1e-12)


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_langevin_step_reports_a_non_finite_gradient(backend):
    g = np.array([0.0, np.nan, 1.0])
    y, mu, x = np.zeros(3), np.zeros(3), np.zeros(3)
    assert select("sde.langevin_step", backend)(y, mu, x, g, None, None, 1.0, 0.1, 0.0,
                                                 0.5) is False
