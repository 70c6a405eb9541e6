"""BinaryRelax / BinaryConnect as optimizers, on a least-squares problem with planted binary weights."""
import numpy as np
import pytest

from pdeopt import ConvergenceWarning, DivergenceError
from pdeopt.quant import BinaryConnect, BinaryRelax, QuantizedSet, bwn, minimize_quantized, twn


def _planted(m=200, n=50, seed=0):
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(m, n))
    q = rng.choice([-1.0, 1.0], n)
    b = A @ (0.5 * q) + 0.1 * rng.normal(size=m)

    def f(x):
        r = A @ x - b
        return 0.5 * r @ r / m, A.T @ r / m
    return f, q, np.linalg.norm(A, 2) ** 2 / m, rng.normal(size=n) * 0.1


def test_binaryrelax_recovers_planted_binary_weights():
    f, q, L, x0 = _planted()
    Q = QuantizedSet("binary")
    res = minimize_quantized(f, x0, Q, 2000, lr=0.5 / L, lam=0.1, rho=1.01, phase2_iter=1000)
    assert Q.contains(res.x)
    np.testing.assert_array_equal(np.sign(res.x), q)
    # the loss at the recovered point is the noise level: ½·0.1² = 0.005 up to sampling
    assert res.info["final_loss"] < 0.0075
    d = res.history["dist"]
    assert d[1000] < 0.01 * d[0] and np.all(d[1001:] <= 1e-12)  # λ → ∞ pulls x onto Q; then in Q
    assert np.all(np.isinf(res.history["lam"][1000:]))
    # no tolerance was asked for: the whole budget ran, and no convergence is claimed
    assert (res.status, res.success, res.converged, res.nit) == (1, True, False, 2000)


def test_phase1_step_is_the_relaxed_combine_and_phase2_the_projection():
    Q = QuantizedSet("ternary", layers=[slice(0, 3), slice(3, 6)])
    opt = BinaryRelax(0.1, Q, lam=2.0, rho=1.5, phase2_epoch=1)
    params = np.array([0.3, -1.0, 0.05, 2.0, -0.2, 0.9, 7.0])
    grad = np.linspace(-1, 1, 7)
    y = params - 0.1 * grad
    opt.on_epoch(0)
    opt.step(params, grad)
    np.testing.assert_allclose(params, (2.0 * Q.project(y) + y) / 3.0)
    assert opt.lam == 3.0 and opt.phase == 1
    opt.on_epoch(1)
    opt.step(params, grad)  # the gradient is applied to y, not to x
    np.testing.assert_allclose(params, Q.project(y - 0.1 * grad))
    assert Q.contains(params) and params[6] == pytest.approx(7.0 - 0.2)


def test_baselines_are_binaryconnect_with_their_projections():
    layers = [slice(0, 4)]
    assert bwn(0.1, layers).Q.kind == "binary" and bwn(0.1, layers).phase == 2
    assert twn(0.1, layers).Q.kind == "twn"
    f, q, L, x0 = _planted(seed=1)
    res = minimize_quantized(f, x0, QuantizedSet("binary"), 300, lr=0.5 / L,
                             method="binaryconnect")
    assert QuantizedSet("binary").contains(res.x)
    assert np.all(np.isinf(res.history["lam"]))


def test_momentum_weight_decay_schedule_and_finalize():
    Q = QuantizedSet("binary")
    opt = BinaryRelax(1.0, Q, momentum=0.5, weight_decay=0.1, schedule=lambda e: 0.5 ** e)
    opt.on_epoch(1)
    assert opt.lr == 0.5
    p = np.array([1.0, -2.0])
    opt.step(p, np.array([1.0, 1.0]))
    opt.step(p, np.array([1.0, 1.0]))
    # y₁ = y₀ − ½(g + 0.1y₀); v₂ = ½v₁ + g + 0.1y₁; y₂ = y₁ − ½v₂
    y0 = np.array([1.0, -2.0])
    v1 = 1 + 0.1 * y0
    y1 = y0 - 0.5 * v1
    y2 = y1 - 0.5 * (0.5 * v1 + 1 + 0.1 * y1)
    np.testing.assert_allclose(opt.y, y2)
    opt.finalize(p)
    np.testing.assert_allclose(p, Q.project(y2))


def test_bad_arguments():
    Q = QuantizedSet("binary")
    with pytest.raises(ValueError, match="lr must be > 0"):
        BinaryRelax(0.0, Q)
    with pytest.raises(ValueError, match=r"rho must be in \[1, inf\)"):
        BinaryRelax(0.1, Q, rho=0.5)
    for momentum in (1.0, 1.5, -0.1):
        with pytest.raises(ValueError, match=r"momentum must be in \[0, 1\)"):
            BinaryRelax(0.1, Q, momentum=momentum)
        with pytest.raises(ValueError, match=r"momentum must be in \[0, 1\)"):
            BinaryConnect(0.1, Q, momentum=momentum)
        with pytest.raises(ValueError, match=r"momentum must be in \[0, 1\)"):
            minimize_quantized(lambda x: (0.0, x), np.ones(2), Q, 3, lr=0.1, momentum=momentum)
    with pytest.raises(TypeError, match="loss_and_grad must be callable"):
        minimize_quantized(None, np.ones(2), Q, 3, lr=0.1)
    with pytest.raises(TypeError, match="max_iter"):
        minimize_quantized(lambda x: (0.0, x), np.ones(2), Q, 2.5, lr=0.1)
    with pytest.raises(ValueError, match="max_iter must be >= 1"):
        minimize_quantized(lambda x: (0.0, x), np.ones(2), Q, 0, lr=0.1)
    with pytest.raises(ValueError, match="x0 must have 1 dimension"):
        minimize_quantized(lambda x: (0.0, x), 1.0, Q, 3, lr=0.1)
    with pytest.raises(ValueError, match="gradient of shape"):
        minimize_quantized(lambda x: (0.0, x[:1]), np.ones(2), Q, 3, lr=0.1)
    with pytest.raises(TypeError, match="schedule must be callable"):
        BinaryRelax(0.1, Q, schedule="cosine")
    with pytest.raises(TypeError, match="Q must be a QuantizedSet"):
        BinaryConnect(0.1, "binary")
    with pytest.raises(ValueError, match="method must be"):
        minimize_quantized(lambda x: (0.0, x), np.ones(2), Q, 3, lr=0.1, method="adam")
    with pytest.raises(FloatingPointError, match="iteration 0"):
        minimize_quantized(lambda x: (np.nan, x), np.ones(2), Q, 3, lr=0.1)


def test_divergence_names_the_step_and_keeps_the_history():
    calls = []

    def f(x):  # finite for three evaluations, then the loss overflows
        calls.append(1)
        return (0.5 * x @ x if len(calls) <= 3 else np.inf), x

    with pytest.raises(DivergenceError, match=r"binaryrelax diverged at iteration 3: the loss"
                                              r".*lr=0\.1") as info:
        minimize_quantized(f, np.ones(4), QuantizedSet("binary"), 10, lr=0.1)
    res = info.value.result
    assert res.status == 5 and not res.success and res.nit == 3
    assert len(res.history["loss"]) == 3


def test_tolerance_is_a_stated_test_and_a_missed_one_warns():
    # f = ½‖x − t‖² with t ∈ Q: BinaryConnect lands on t and stops moving, so the Phase II
    # test ‖x_{k+1} − x_k‖ ≤ tol holds after a few steps.
    t = np.array([0.5, -0.5, 0.5, 0.5])
    f = lambda x: (0.5 * np.sum((x - t) ** 2), x - t)  # noqa: E731
    Q = QuantizedSet("binary")
    res = minimize_quantized(f, np.zeros(4), Q, 100, lr=0.5, method="binaryconnect",
                             tol=1e-12)
    assert res.converged and res.status == 0 and res.nit < 100
    assert res.history["change"][-1] <= 1e-12 and len(res.history["loss"]) == res.nit
    np.testing.assert_allclose(res.x, t)
    # Phase I never tests: with Phase II after the budget, tol is missed and said so
    with pytest.warns(ConvergenceWarning, match="did not meet tol"):
        res = minimize_quantized(f, np.zeros(4), Q, 5, lr=0.5, phase2_iter=10, tol=1e-12)
    assert (res.status, res.success, res.converged, res.nit) == (2, False, False, 5)


def test_interrupt_and_callback_stop_count_finished_iterations():
    f, *_ = _planted()
    x0 = np.zeros(50)

    def interrupt(it):
        if it.nit == 4:
            raise KeyboardInterrupt

    with pytest.warns(RuntimeWarning, match="interrupted after 4"):
        res = minimize_quantized(f, x0, QuantizedSet("binary"), 20, lr=0.1, callback=interrupt)
    assert (res.status, res.success, res.nit, len(res.history["loss"])) == (3, False, 4, 4)
    res = minimize_quantized(f, x0, QuantizedSet("binary"), 20, lr=0.1,
                             callback=lambda it: it.nit == 6)
    assert (res.status, res.nit, len(res.history["loss"])) == (4, 6, 6)
    assert QuantizedSet("binary").contains(res.x)  # finalize projects onto Q whatever ended it
    calls = []

    def interrupted_f(x):  # Ctrl-C inside the 5th evaluation: 4 iterations finished
        calls.append(1)
        if len(calls) == 5:
            raise KeyboardInterrupt
        return f(x)

    with pytest.warns(RuntimeWarning, match="interrupted after 4"):
        res = minimize_quantized(interrupted_f, x0, QuantizedSet("binary"), 20, lr=0.1)
    assert (res.status, res.nit) == (3, 4)
    assert {k: len(v) for k, v in res.history.items()} == dict.fromkeys(
        ("loss", "dist", "lam", "change"), 4)
