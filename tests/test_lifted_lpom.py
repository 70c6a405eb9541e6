"""LPOM: monotone block coordinate descent, contraction, optimality, training, bad input."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

from pdeopt import ConvergenceWarning, DivergenceError
from pdeopt.data import load_digits
from pdeopt.lifted import (init_weights, lpom_objective, lpom_optimality, lpom_solve,
                           lpom_train, mlp_error, mlp_forward)


@pytest.fixture(scope="module")
def digits():
    return load_digits()


@pytest.fixture(scope="module")
def solved(digits):
    w = init_weights([64, 24, 16, 10], rng=1)
    return lpom_solve(digits.x_train[:150], digits.y_train[:150], w, mu=[1e6, 1e3, 2.0],
                      max_iter=8, w_iters=600)


def test_serial_bcd_decreases_the_objective_monotonically(solved):
    h = solved.history
    # the fixed-point maps are contractions throughout, so each block is minimised
    assert h["contraction_bound"].max() < 1
    assert np.all(np.diff(h["objective"]) <= 1e-9 * np.abs(h["objective"][:-1]))
    assert h["objective"][-1] < 0.5 * h["objective"][0]


def test_measured_contraction_is_below_the_lipschitz_bound(solved):
    h = solved.history
    assert np.all(h["contraction"][1:] <= h["contraction_bound"][1:] * (1 + 1e-9))
    # the output block contracts with factor exactly β/μ_n on the linear (active) part
    assert np.nanmax(h["contraction"]) >= 0.5 - 1e-6


def test_optimality_condition_at_convergence(solved):
    # (φ(W^iX^i) − X^{i+1})(X^i)ᵀ = 0: W is minimised last in a sweep, to APG accuracy
    assert solved.history["optimality"][-1] < 1e-4
    # the forward pass itself meets it exactly
    x = np.random.default_rng(0).random((20, 64))
    assert np.max(lpom_optimality(solved.x, x)) < 1e-12


def test_lpom_trains_digits_without_backprop(digits):
    res = lpom_train(digits.x_train, digits.y_train, [64], epochs=3, rng=0,
                     x_val=digits.x_test, y_val=digits.y_test)
    assert res.history["val_error"][-1] < 0.12
    assert np.all(res.history["contraction"] <= 0.9 + 1e-9)   # auto μ keeps every map ≤ 0.9
    assert mlp_error(res.x, digits.x_test, digits.y_test) == res.history["val_error"][-1]
    # saturating activations train too (no derivative is used)
    res = lpom_train(digits.x_train, digits.y_train, [32], activation="sigmoid", epochs=2,
                     rng=0, record_objective=False)
    assert res.history["train_error"][-1] < 0.2


def test_parallel_order_is_deterministic_across_threads(digits):
    kw = dict(epochs=1, rng=3, order="parallel", record_objective=False)
    r1 = lpom_train(digits.x_train[:300], digits.y_train[:300], [32, 16], n_jobs=1, **kw)
    r2 = lpom_train(digits.x_train[:300], digits.y_train[:300], [32, 16], n_jobs=2, **kw)
    for a, b in zip(r1.x, r2.x):
        np.testing.assert_array_equal(a, b)


def test_forward_pass_shapes():
    w = init_weights([5, 4, 3], rng=0)
    xs = mlp_forward(w, np.ones((7, 5)), all_layers=True)
    assert [a.shape for a in xs] == [(5, 7), (4, 7), (3, 7)]
    assert mlp_forward(w, np.ones((7, 5))).shape == (7, 3)


def test_bad_input_is_refused(digits):
    x, y = digits.x_train[:50], digits.y_train[:50]
    w = init_weights([64, 8, 10], rng=0)
    with pytest.raises(ValueError, match=r"mu must be > 0.*mu\[1\] = 0"):
        lpom_solve(x, y, w, mu=[1.0, 0.0])
    with pytest.raises(ValueError, match="mu must be > 0"):
        lpom_train(x, y, [8], mu=-1.0)
    with pytest.raises(ValueError, match="one entry per weight layer"):
        lpom_solve(x, y, w, mu=[1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="non-decreasing"):
        lpom_train(x, y, [8], activation="swish")
    bad = [np.zeros((8, 65)), np.zeros((10, 7))]
    with pytest.raises(ValueError, match="do not chain"):
        lpom_solve(x, y, bad)
    with pytest.raises(ValueError, match="columns for x of width 64"):
        lpom_solve(x, y, [np.zeros((8, 30)), np.zeros((10, 9))])
    with pytest.raises(ValueError, match="order"):
        lpom_train(x, y, [8], order="random")
    with pytest.raises(ValueError, match="y must hold labels < n_classes=10"):
        lpom_solve(x, y + 20, w)


@pytest.mark.filterwarnings("ignore:overflow encountered")
def test_divergence_names_the_step(digits):
    # μ_3/μ_2·β²‖W²‖² ≫ 1: the fixed point for X^2 blows up; the error says where and why
    w = init_weights([64, 32, 10], rng=0)
    w[1] *= 30
    with pytest.raises(DivergenceError, match=r"lpom_train diverged at iteration 1: the "
                       r"fixed-point iteration for X\^2.*in epoch 1, batch 1") as err:
        lpom_train(digits.x_train, digits.y_train, [32], weights=w, mu=[1e-3, 2.0],
                   x_iters=400, epochs=1)
    res = err.value.result
    assert res.status == 5 and res.nit == 0 and res.info["diverged_at"] == 1


def test_lpom_solve_status_tol_and_callback(digits):
    x, y = digits.x_train[:60], digits.y_train[:60]
    w = init_weights([64, 12, 10], rng=2)
    res = lpom_solve(x, y, w, mu=[10.0, 2.0], max_iter=4)
    assert res.nit == 4 and res.status == 1 and not res.converged
    assert res.history["objective"].size == 5          # the start, then one per sweep
    # a relative change of F of at most 0.5 per sweep is met at once; 1e-300 never
    res = lpom_solve(x, y, w, mu=[10.0, 2.0], max_iter=30, tol=0.5)
    h = res.history["objective"]
    assert res.converged and res.nit < 30
    assert abs(h[-2] - h[-1]) <= 0.5 * abs(h[-2])
    with pytest.warns(ConvergenceWarning):
        res = lpom_solve(x, y, w, mu=[10.0, 2.0], max_iter=2, tol=1e-300)
    assert res.status == 2 and not res.success
    res = lpom_solve(x, y, w, mu=[10.0, 2.0], max_iter=9, callback=lambda it: it.nit == 2)
    assert res.status == 4 and res.nit == 2


def test_lpom_train_callback_gets_an_iterate_and_interrupt_keeps_epochs(digits):
    x, y = digits.x_train[:200], digits.y_train[:200]
    seen = []
    res = lpom_train(x, y, [16], epochs=3, rng=0, record_objective=False,
                     callback=lambda it: seen.append((it.nit, len(it.x),
                                                      it.values["train_error"])))
    assert [s[0] for s in seen] == [1, 2, 3] and res.nit == 3 and res.status == 1
    assert [s[2] for s in seen] == res.history["train_error"].tolist()

    def interrupt(it):
        if it.nit == 2:
            raise KeyboardInterrupt
    with pytest.warns(RuntimeWarning, match="interrupted"):
        res = lpom_train(x, y, [16], epochs=5, rng=0, callback=interrupt)
    assert res.status == 3 and res.nit == 2 and res.history["train_error"].size == 2
    two = lpom_train(x, y, [16], epochs=2, rng=0)
    for a, b in zip(res.x, two.x):
        np.testing.assert_array_equal(a, b)


def test_forward_pass_and_objective_bad_input(digits):
    w = init_weights([5, 4, 3], rng=0)
    with pytest.raises(ValueError, match=r"weights\[0\] must have 5 columns for x of width 4"):
        mlp_forward(w, np.ones((7, 4)))
    with pytest.raises(TypeError, match="x must be a numeric array"):
        mlp_forward(w, "x")
    with pytest.raises(ValueError, match="x must have 2 or 3"):
        mlp_forward(w, np.ones(5))
    with pytest.raises(ValueError, match="NaN"):
        mlp_forward(w, np.full((2, 5), np.nan))
    with pytest.raises(TypeError, match="weights"):
        mlp_forward(None, np.ones((2, 5)))
    with pytest.raises(TypeError, match="all_layers"):
        mlp_forward(w, np.ones((2, 5)), all_layers="yes")
    with pytest.raises(ValueError, match="x and y must have the same number of samples"):
        mlp_error(w, np.ones((7, 5)), [0, 1])
    with pytest.raises(ValueError, match="y must hold labels >= 0"):
        mlp_error(w, np.ones((2, 5)), [0, -1])
    xs = mlp_forward(w, np.ones((2, 5)), all_layers=True)
    xs[1] = xs[1] - 1.0                                 # leaves the domain of f for ReLU
    with pytest.raises(ValueError, match=r"xs\[1\] must lie in the domain"):
        lpom_objective(w, xs, [0, 1], mu=1.0)
    with pytest.raises(TypeError, match="sizes"):
        init_weights(5)
    with pytest.raises(TypeError, match="rng"):
        init_weights([5, 3], rng="0")


def test_lpom_train_checks_validation_set_and_classes(digits):
    x, y = digits.x_train[:50], digits.y_train[:50]
    with pytest.raises(ValueError, match="x_val and y_val"):
        lpom_train(x, y, [8], y_val=y)
    with pytest.raises(ValueError, match="y_val must hold labels >= 0"):
        lpom_train(x, y, [8], x_val=x, y_val=y - 1)
    with pytest.raises(ValueError, match="x_val must have 64 features"):
        lpom_train(x, y, [8], x_val=np.ones((3, 10)), y_val=[0, 1, 2])
    with pytest.raises(TypeError, match="n_classes"):
        lpom_train(x, y, [8], n_classes=np.inf)
    with pytest.raises(ValueError, match="y must hold labels < n_classes=5"):
        lpom_train(x, y, [8], n_classes=5)
    with pytest.raises(ValueError, match="x and y must have the same number of samples"):
        lpom_train(x, y[:10], [8])
    with pytest.raises(TypeError, match="hidden"):
        lpom_train(x, y, "300")
    with pytest.raises(TypeError, match="callback"):
        lpom_train(x, y, [8], callback="print")


@given(m=st.integers(2, 12), extra=st.integers(1, 30), d_out=st.integers(1, 12),
       activation=st.sampled_from(["relu", "sigmoid", "tanh", "leaky_relu", "softplus",
                                   "identity"]),
       metric=st.sampled_from(["lipschitz", "pinv"]), bias=st.booleans(),
       seed=st.integers(0, 2 ** 16))
def test_sample_space_w_update_equals_the_weight_space_steps(m, extra, d_out, activation,
                                                             metric, bias, seed):
    # with m < d the APG steps on W run as W_0 + E X̃ᵀ (d_out × m); the reference is the
    # plain weight-space iteration, W ← Y − (φ(YX̃) − X^{k+1})P, on the same problem.
    # m ≥ 2: with one sample the first step solves the block exactly, and the restart test
    # then weighs two zeros, so rounding alone picks the branch (seen: m=1, relu)
    from pdeopt.lifted.activations import LiftedActivation, check_lpom_activation
    from pdeopt.lifted.lpom import _Lifted
    if activation == "identity":      # a φ that returns its input: no buffer may alias it
        activation = LiftedActivation("identity", lambda x: x, np.ones_like, 1.0)
    rng = np.random.default_rng(seed)
    d_in = m + extra - (1 if bias else 0)        # X̃ has d = m + extra > m rows
    act = check_lpom_activation(activation)
    w = init_weights([d_in, d_out], bias=bias, rng=rng, activation=act)
    w[0] += 0.1 * rng.standard_normal(w[0].shape)   # a non-zero bias column too
    state = _Lifted.__new__(_Lifted)
    state.w, state.act, state.bias = w, act, bias
    state.xs = [rng.standard_normal((d_in, m)), act.phi(rng.standard_normal((d_out, m)))]
    xa = np.vstack([state.xs[0], np.ones((1, m))]) if bias else state.xs[0]
    assert xa.shape[1] < xa.shape[0]
    fast = state._solve_w_samples(0, xa, 25, metric)
    plain = state._solve_w_weights(0, xa, 25, metric)
    assert fast.shape == plain.shape == w[0].shape
    scale = max(np.abs(plain).max(), np.abs(w[0]).max())
    np.testing.assert_allclose(fast, plain, rtol=1e-9, atol=1e-10 * scale)
    np.testing.assert_array_equal(state.solve_w(0, 25, metric), fast)   # solve_w picks it


def test_lpom_train_with_weight_space_steps_agrees_up_to_rounding(digits):
    # the bench's reference (every W-step on the weight matrix) against the default, whose
    # W-steps run in the sample space (a batch of 50 < 65 and 81 inputs): one epoch, 4 batches
    from pdeopt.bench.lifted import _weight_space_steps
    from pdeopt.lifted.lpom import _Lifted
    kw = dict(epochs=1, rng=0, record_objective=False)
    x, y = digits.x_train[:200], digits.y_train[:200]
    fast = lpom_train(x, y, [80], **kw).x
    solve_w = _Lifted.solve_w
    with _weight_space_steps():
        plain = lpom_train(x, y, [80], **kw).x
    assert _Lifted.solve_w is solve_w
    for a, b in zip(fast, plain):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12 * np.abs(b).max())
