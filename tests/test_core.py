"""Result, Recorder and the shared argument checks."""
import warnings

import numpy as np
import pytest

from pdeopt import ConvergenceWarning, DivergenceError, Recorder, Result
from pdeopt._checks import (as_float_array, as_rng, check_integer, check_nonnegative,
                            check_positive, check_shape, check_uniform_grid)


def _halving(rec, n, stop_at=None):
    """x ← x/2 for n iterations, residual |Δx|; KeyboardInterrupt at iteration stop_at."""
    x = 1.0
    with rec.running():
        for k in range(n):
            if k == stop_at:
                raise KeyboardInterrupt
            rec.log(change=x / 2)
            x /= 2
            if rec.end_iteration(x, residual=rec.last("change")):
                break
    return rec.result(x)


def test_recorder_builds_result_with_arrays():
    rec = Recorder(step=0.1)
    with rec.running():
        for k in range(4):
            rec.log(loss=float(k), angle=2.0 * k)
            rec.end_iteration()
    res = rec.result(x=np.zeros(3))
    assert isinstance(res, Result)
    np.testing.assert_array_equal(res.history["loss"], [0, 1, 2, 3])
    assert res.nit == res.info["iterations"] == 4
    # no tolerance was asked for: the whole budget ran, success, no convergence claimed
    assert res.status == 1 and res.success and not res.converged
    assert res.info["parameters"] == {"step": 0.1, "tol": 0.0}
    assert "loss[4]" in repr(res)


def test_converged_only_when_the_stopping_test_held():
    # |Δx| = 2^-(k+1) ≤ 1e-3 first at k = 9: the 10th iteration
    res = _halving(Recorder("halving", max_iter=50, tol=1e-3), 50)
    assert res.converged and res.status == 0 and res.success and res.nit == 10


def test_budget_stopped_run_warns_and_is_not_a_success():
    with pytest.warns(ConvergenceWarning, match="tol=1e-06 within max_iter=3"):
        res = _halving(Recorder("halving", max_iter=3, tol=1e-6), 3)
    assert res.status == 2 and not res.success and not res.converged and res.nit == 3


def test_recorder_keeps_history_when_interrupted():
    rec = Recorder("halving", max_iter=10, tol=1e-9)
    with pytest.warns(RuntimeWarning, match="interrupted after 3"):
        res = _halving(rec, 10, stop_at=3)
    assert res.info["interrupted"] and res.status == 3 and not res.success
    assert res.nit == 3 and len(res.history["change"]) == 3 and not res.converged


def test_callback_stops_the_run():
    seen = []

    def callback(it):
        seen.append((it.nit, it.values["change"]))
        return it.nit == 2
    res = _halving(Recorder("halving", max_iter=10, callback=callback), 10)
    assert res.status == 4 and res.nit == 2 and seen == [(1, 0.5), (2, 0.25)]


def test_divergence_names_the_step_and_keeps_the_history():
    rec = Recorder("demo", max_iter=5, lr=0.5)
    rec.log(loss=1.0)
    rec.end_iteration()
    with pytest.raises(DivergenceError, match=r"demo diverged at iteration 1.*lr=0.5") as err:
        rec.require_finite(np.array([np.nan]), 1)
    assert err.value.result.status == 5 and len(err.value.result.history["loss"]) == 1


@pytest.mark.parametrize("kwargs,error,match", [
    ({"tol": -1.0}, ValueError, "tol"), ({"tol": float("nan")}, ValueError, "tol"),
    ({"max_iter": 2.5}, TypeError, "max_iter"), ({"callback": 3}, TypeError, "callback"),
])
def test_recorder_refuses_bad_settings(kwargs, error, match):
    with pytest.raises(error, match=match):
        Recorder("demo", **kwargs)


def test_as_float_array_promotes_integers_and_rejects_nan():
    a = as_float_array([1, 2, 3], "x")
    assert a.dtype == np.float64 and a.flags.c_contiguous
    assert as_float_array(np.ones(2, np.float32), "x").dtype == np.float32
    with pytest.raises(ValueError, match="x contains 1 NaN"):
        as_float_array([1.0, np.nan], "x")
    with pytest.raises(ValueError, match="y must have 2 dimension"):
        as_float_array(np.ones(3), "y", ndim=2)
    with pytest.raises(ValueError, match="z must not be empty"):
        as_float_array([], "z")
    with pytest.raises(TypeError, match="w must be a numeric array"):
        as_float_array(["a"], "w")


@pytest.mark.parametrize("func,bad,match", [
    (check_positive, 0.0, "gamma must be > 0"),
    (check_positive, -1, "gamma must be > 0"),
    (check_nonnegative, -1e-9, "gamma must be >= 0"),
    (check_positive, float("nan"), "gamma must be finite"),
])
def test_scalar_checks_name_the_argument(func, bad, match):
    with pytest.raises(ValueError, match=match):
        func(bad, "gamma")


def test_scalar_and_integer_checks():
    assert check_positive(np.float32(2), "t") == 2.0
    with pytest.raises(TypeError, match="t must be a real number"):
        check_positive("1", "t")
    assert check_integer(np.int64(3), "n", minimum=1) == 3
    with pytest.raises(TypeError, match="n must be an integer"):
        check_integer(1.5, "n")
    with pytest.raises(ValueError, match="n must be >= 1"):
        check_integer(0, "n", minimum=1)
    with pytest.raises(ValueError, match=r"a must have shape \(3, \*\)"):
        check_shape(np.ones((2, 2)), (3, None), "a")


def test_uniform_grid():
    assert check_uniform_grid(np.linspace(-1e3, 1e3, 100001)) == pytest.approx(0.02)
    with pytest.raises(ValueError, match="x must be strictly increasing"):
        check_uniform_grid(np.linspace(1, 0, 10))
    with pytest.raises(ValueError, match="uniformly spaced"):
        check_uniform_grid(np.array([0.0, 1.0, 2.5, 3.0]))


def test_rng_is_a_generator_and_reproducible():
    assert as_rng(seed=1).normal() == as_rng(seed=1).normal()
    g = np.random.default_rng(0)
    assert as_rng(g) is g
    with pytest.raises(TypeError, match="Generator"):
        as_rng(np.random.RandomState(0))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        as_rng(None)


def test_check_choice_lists_choices_including_none():
    from pdeopt._checks import check_choice
    assert check_choice(None, "smoothing", ("dr1", None)) is None
    with pytest.raises(ValueError, match="smoothing must be one of 'dr1', None; got 'x'"):
        check_choice("x", "smoothing", ("dr1", None))
