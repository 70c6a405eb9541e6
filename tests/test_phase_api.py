"""Phase retrieval's public API: honest status, callback, Ctrl-C, divergence, bad input."""
import warnings

import numpy as np
import pytest

from pdeopt import ConvergenceWarning, DivergenceError
from pdeopt import phase as ph
from pdeopt.phase import _common

ALGORITHMS = [ph.error_reduction, ph.hio, ph.oss, ph.pdhg]


@pytest.fixture(scope="module")
def problem():
    p = ph.nanorice(32, variant=2, oversampling=2.5)
    return p, ph.simulate(p.object)


@pytest.fixture(scope="module")
def noisy(problem):
    p, _ = problem
    return p, ph.simulate(p.object, noise="poisson", flux=1e5, rng=0)


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_missed_tolerance_warns_and_is_not_a_success(noisy, algorithm):
    p, m = noisy
    # the R-factor of noisy data cannot reach 1e-9: the floor is R(truth) > 0
    assert ph.r_factor(p.object, m) > 1e-3
    with pytest.warns(ConvergenceWarning, match="tol=1e-09"):
        res = algorithm(m, p.support, 7, rng=0, tol=1e-9)
    assert res.status == 2 and not res.success and not res.converged
    assert res.nit == 7 and res.history["r_factor"].shape == (7,)


@pytest.mark.parametrize("algorithm", [ph.hio, ph.pdhg])
def test_converged_means_the_r_factor_test_held_first_there(problem, algorithm):
    p, m = problem
    params = {"sigma": 0.0} if algorithm is ph.pdhg else {}
    res = algorithm(m, p.support, 600, rng=1, tol=1e-3, **params)
    r = res.history["r_factor"]
    assert res.status == 0 and res.converged and res.success
    assert r[-1] <= 1e-3 and np.all(r[:-1] > 1e-3)       # stopped at the first R <= tol
    assert res.nit == r.size < 600


def test_monitor_every_records_every_kth_iteration(problem):
    p, m = problem
    res = ph.hio(m, p.support, 10, rng=0, monitor_every=3)
    assert res.nit == 10
    np.testing.assert_array_equal(res.history["iteration"], [0, 3, 6, 9])


@pytest.mark.parametrize("algorithm", ALGORITHMS)
@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_iterations_that_record_nothing_skip_the_estimate_and_change_nothing(
        problem, algorithm, backend, monkeypatch):
    # between recorded iterations the estimate x is not written (the iteration never reads
    # it): the run is the one that writes it every time, bit for bit
    p, m = problem
    res = algorithm(m, p.support, 23, rng=4, monitor_every=5, backend=backend, fft="scipy")
    monkeypatch.setattr(_common.Monitor, "due", lambda self, k, max_iter: True)
    every = algorithm(m, p.support, 23, rng=4, monitor_every=5, backend=backend, fft="scipy")
    assert res.x.tobytes() == every.x.tobytes()
    np.testing.assert_array_equal(res.history["r_factor"], every.history["r_factor"])
    np.testing.assert_array_equal(res.history["iteration"], [0, 5, 10, 15, 20])
    assert "estimate_iteration" not in res.info


def test_ctrl_c_between_recorded_iterations_says_which_estimate_it_returns(problem,
                                                                           monkeypatch):
    # interrupted after iteration 6 with monitor_every=5: x is the estimate of iteration 5,
    # the last one made, and the Result says so
    p, m = problem
    end = _common.Monitor.end

    def interrupting(self, k, x, state):
        if k == 7:
            raise KeyboardInterrupt
        return end(self, k, x, state)
    monkeypatch.setattr(_common.Monitor, "end", interrupting)
    with pytest.warns(RuntimeWarning, match="interrupted"):
        res = ph.hio(m, p.support, 50, rng=0, monitor_every=5, fft="scipy")
    assert res.nit == 7 and res.info["estimate_iteration"] == 5
    monkeypatch.setattr(_common.Monitor, "end", end)
    six = ph.hio(m, p.support, 6, rng=0, monitor_every=5, fft="scipy")
    assert res.x.tobytes() == six.x.tobytes()


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_callback_sees_copies_and_stops_the_run(problem, algorithm):
    p, m = problem
    seen = []

    def callback(it):
        # the R-factor it reports is that of the estimate it gets (checked by the metric)
        seen.append((it.nit, ph.r_factor(it.x, m), it.values["r_factor"]))
        it.x[...] = -1.0                                  # a copy: the run must not see it
        return it.nit == 4

    res = algorithm(m, p.support, 20, rng=0, callback=callback)
    assert res.status == 4 and res.success and not res.converged
    assert res.nit == 4 and res.history["r_factor"].shape == (4,)
    assert [s[0] for s in seen] == [1, 2, 3, 4]
    for _, recomputed, reported in seen:
        assert recomputed == pytest.approx(reported, rel=1e-9)
    assert res.x.min() >= 0


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_ctrl_c_keeps_the_finished_iterations(problem, algorithm):
    p, m = problem

    def callback(it):
        if it.nit == 3:
            raise KeyboardInterrupt

    with pytest.warns(RuntimeWarning, match="interrupted after 3"):
        res = algorithm(m, p.support, 50, rng=0, callback=callback)
    assert res.status == 3 and not res.success and res.info["interrupted"]
    assert res.nit == 3 and res.history["r_factor"].shape == (3,)


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_divergence_names_the_step_and_keeps_the_history(problem, algorithm, monkeypatch):
    p, m = problem
    real = _common.Problem.r_factor
    calls = []

    def r_factor(self, x):           # the 4th R-factor (iteration 3) becomes NaN
        calls.append(1)
        return np.nan if len(calls) == 4 else real(self, x)

    monkeypatch.setattr(_common.Problem, "r_factor", r_factor)
    with pytest.raises(DivergenceError, match=rf"{algorithm.__name__} diverged at iteration 3"
                                              rf".*R-factor.*backend='auto'") as err:
        algorithm(m, p.support, 20, rng=0)
    assert err.value.result.status == 5 and not err.value.result.success
    assert err.value.result.history["r_factor"].shape == (3,)
    assert np.all(np.isfinite(err.value.result.history["r_factor"]))


def test_reconstruct_many_stops_on_ctrl_c_and_marks_the_cut_short_run(problem):
    p, m = problem
    calls = []

    def callback(it):                # 5 iterations per run: the 8th call is run 2's 3rd
        calls.append(it.nit)
        if len(calls) == 8:
            raise KeyboardInterrupt

    with pytest.warns(RuntimeWarning) as caught:
        runs = ph.reconstruct_many(ph.hio, m, p.support, 5, 4, rng=3, n_jobs=1,
                                   callback=callback)
    assert len(calls) == 8                               # runs 3 and 4 never started
    assert [r.status for r in runs] == [1, 3] and [r.nit for r in runs] == [5, 3]
    assert any("1 of 4 runs that finished and 1 cut short" in str(w.message) for w in caught)
    # the finished run is the one an uninterrupted call returns first
    whole = ph.reconstruct_many(ph.hio, m, p.support, 5, 4, rng=3, n_jobs=1)
    np.testing.assert_array_equal(runs[0].x, whole[0].x)


def test_reconstruct_many_interrupted_between_runs(problem):
    p, m = problem
    started = []

    def algorithm(*args, **kwargs):
        started.append(1)
        if len(started) == 3:
            raise KeyboardInterrupt
        return ph.hio(*args, **kwargs)

    with pytest.warns(RuntimeWarning, match="the 2 of 5 runs that finished and 0 cut short"):
        runs = ph.reconstruct_many(algorithm, m, p.support, 4, 5, rng=0, n_jobs=1)
    assert len(started) == 3 and [r.status for r in runs] == [1, 1]


def test_reconstruct_many_rng(problem):
    p, m = problem
    # the documented contract: run i starts from default_rng(SeedSequence(rng).spawn(n)[i])
    runs = ph.reconstruct_many(ph.hio, m, p.support, 6, 3, rng=11, n_jobs=1)
    for run, child in zip(runs, np.random.SeedSequence(11).spawn(3)):
        alone = ph.hio(m, p.support, 6, rng=np.random.default_rng(child), workers=1)
        np.testing.assert_array_equal(run.x, alone.x)
    # a Generator: the same state gives the same runs for any n_jobs, a later state others
    a = ph.reconstruct_many(ph.hio, m, p.support, 6, 3, rng=np.random.default_rng(2), n_jobs=1)
    g = np.random.default_rng(2)
    b = ph.reconstruct_many(ph.hio, m, p.support, 6, 3, rng=g, n_jobs=2, executor="thread")
    c = ph.reconstruct_many(ph.hio, m, p.support, 6, 3, rng=g, n_jobs=1)
    for x, y, z in zip(a, b, c):
        np.testing.assert_array_equal(x.x, y.x)
        assert not np.array_equal(x.x, z.x)


def test_phantoms_take_rng(problem):
    a, b = ph.vesicle(32, rng=1), ph.vesicle(32, rng=np.random.default_rng(1))
    np.testing.assert_array_equal(a.object, b.object)
    assert not np.array_equal(a.object, ph.vesicle(32, rng=2).object)
    np.testing.assert_array_equal(ph.nanorice(32).object, ph.nanorice(32, rng=0).object)


# --- bad input: each refused with the argument named ------------------------------------
def _bad_cases():
    rice = ph.nanorice(32, variant=2)
    m = ph.simulate(rice.object)
    s = rice.support
    img = rice.object
    cases = {
        # the issue's cases
        "pdhg gammas=[]": (ph.pdhg, (m, s, 5), {"gammas": []}, ValueError, "gammas"),
        "oss alphas=[]": (ph.oss, (m, s, 5), {"alphas": []}, ValueError, "alphas"),
        "r_factor missing shape": (ph.r_factor, (img, m), {"missing": np.zeros(3, bool)},
                                   ValueError, "missing"),
        "r_factor missing 2": (ph.r_factor, (img, m), {"missing": np.full(m.shape, 2)},
                               ValueError, "missing"),
        "r_factor missing all": (ph.r_factor, (img, m), {"missing": np.ones(m.shape, bool)},
                                 ValueError, "magnitudes are zero"),
        "r_factor zero magnitudes": (ph.r_factor, (img, np.zeros_like(m)), {}, ValueError,
                                     "magnitudes are zero"),
        "real_space_error reference=0": (ph.real_space_error, (img, 0), {}, ValueError,
                                         "reference"),
        "real_space_error zero reference": (ph.real_space_error, (img, np.zeros_like(img)),
                                            {}, ValueError, "reference is zero"),
        "frc n_rings=inf": (ph.fourier_ring_correlation, (img, img), {"n_rings": np.inf},
                            TypeError, "n_rings"),
        "frc n_rings=0": (ph.fourier_ring_correlation, (img, img), {"n_rings": 0}, ValueError,
                          "n_rings"),
        "frc n_rings=2.5": (ph.fourier_ring_correlation, (img, img), {"n_rings": 2.5},
                            TypeError, "n_rings"),
        "frc n_rings>nyquist": (ph.fourier_ring_correlation, (img, img), {"n_rings": 17},
                                ValueError, "n_rings"),
        "frc_resolution lengths": (ph.frc_resolution, ([0.5, 1.0], [1.0]), {}, ValueError,
                                   "frc"),
        "frc_resolution nan": (ph.frc_resolution, ([0.5, 1.0], [1.0, np.nan]), {},
                               ValueError, "frc"),
        "frc_resolution radius order": (ph.frc_resolution, ([1.0, 0.5], [1.0, 0.2]), {},
                                        ValueError, "radius"),
        "frc_resolution threshold": (ph.frc_resolution, ([0.5, 1.0], [1.0, 0.2]),
                                     {"threshold": 2.0}, ValueError, "threshold"),
        "frc_resolution None": (ph.frc_resolution, (None, [1.0]), {}, TypeError, "radius"),
        # the algorithms' shared arguments
        "magnitudes None": (ph.hio, (None, s, 5), {}, TypeError, "magnitudes"),
        "magnitudes scalar": (ph.hio, (1.0, s, 5), {}, ValueError, "magnitudes"),
        "magnitudes overflow": (ph.hio, (m * 1e300, s, 5), {}, ValueError, "magnitudes"),
        "support fractional": (ph.hio, (m, s * 0.5, 5), {}, ValueError, "support"),
        "support str": (ph.hio, (m, "all", 5), {}, TypeError, "support"),
        "x0 str": (ph.hio, (m, s, 5), {"x0": "zeros"}, TypeError, "x0"),
        "x0 nan": (ph.pdhg, (m, s, 5), {"x0": np.full(m.shape, np.nan)}, ValueError, "x0"),
        "max_iter 2.5": (ph.hio, (m, s, 2.5), {}, TypeError, "max_iter"),
        "max_iter True": (ph.oss, (m, s, True), {}, TypeError, "max_iter"),
        "tol nan": (ph.hio, (m, s, 5), {"tol": np.nan}, ValueError, "tol"),
        "tol -1": (ph.pdhg, (m, s, 5), {"tol": -1.0}, ValueError, "tol"),
        "monitor_every 0": (ph.hio, (m, s, 5), {"monitor_every": 0}, ValueError,
                            "monitor_every"),
        "callback str": (ph.hio, (m, s, 5), {"callback": "print"}, TypeError, "callback"),
        "rng -1": (ph.hio, (m, s, 5), {"rng": -1}, ValueError, "rng"),
        "rng str with x0": (ph.hio, (m, s, 5), {"rng": "a", "x0": img}, TypeError, "rng"),
        "nonnegative str": (ph.hio, (m, s, 5), {"nonnegative": "yes"}, TypeError,
                            "nonnegative"),
        "workers 0": (ph.hio, (m, s, 5), {"workers": 0}, ValueError, "workers"),
        "backend": (ph.hio, (m, s, 5), {"backend": "gpu"}, ValueError, "backend"),
        "beta 0": (ph.hio, (m, s, 5), {"beta": 0.0}, ValueError, "beta"),
        "beta 1.5": (ph.oss, (m, s, 5), {"beta": 1.5}, ValueError, "beta"),
        "alphas 0": (ph.oss, (m, s, 5), {"alphas": [4.0, 0.0]}, ValueError, "alphas"),
        "alphas scalar": (ph.oss, (m, s, 5), {"alphas": 4.0}, ValueError, "alphas"),
        "s·t > 1": (ph.pdhg, (m, s, 5), {"s": 2.0, "t": 1.0}, ValueError, "s·t"),
        "s 0": (ph.pdhg, (m, s, 5), {"s": 0.0}, ValueError, "s must"),
        "smoothing 3": (ph.pdhg, (m, s, 5), {"smoothing": 3}, TypeError, "smoothing"),
        "gammas -1": (ph.pdhg, (m, s, 5), {"gammas": [0.1, -1.0]}, ValueError, "gammas"),
        "restart_best 1": (ph.pdhg, (m, s, 5), {"restart_best": 1}, TypeError,
                           "restart_best"),
        # forward model and phantoms
        "simulate flux 0": (ph.simulate, (img,), {"noise": "poisson", "flux": 0.0},
                            ValueError, "flux"),
        "simulate flux inf": (ph.simulate, (img,), {"noise": "poisson", "flux": np.inf},
                              ValueError, "flux"),
        "simulate flux 1e30": (ph.simulate, (img,), {"noise": "poisson", "flux": 1e30},
                               ValueError, "flux"),
        "simulate flux without poisson": (ph.simulate, (img,), {"flux": 1e6}, ValueError,
                                          "flux"),
        "simulate noise": (ph.simulate, (img,), {"noise": "speckle"}, ValueError, "noise"),
        "simulate noise 3": (ph.simulate, (img,), {"noise": 3}, TypeError, "noise"),
        "simulate noise_level -1": (ph.simulate, (img,),
                                    {"noise": "gaussian", "noise_level": -1.0}, ValueError,
                                    "noise_level"),
        "simulate noise_level huge": (ph.simulate, (img,),
                                      {"noise": "gaussian", "noise_level": 1e308},
                                      ValueError, "noise_level"),
        "simulate missing_radius": (ph.simulate, (img,), {"missing_radius": -1.0},
                                    ValueError, "missing_radius"),
        "simulate obj None": (ph.simulate, (None,), {}, TypeError, "obj"),
        "vesicle oversampling 1.5": (ph.vesicle, (64,), {"oversampling": 1.5}, ValueError,
                                     "oversampling"),
        "vesicle oversampling inf": (ph.vesicle, (64,), {"oversampling": np.inf}, ValueError,
                                     "oversampling"),
        "vesicle too small": (ph.vesicle, (16,), {"oversampling": 3.0}, ValueError,
                              "n / oversampling"),
        "vesicle n 2.5": (ph.vesicle, (2.5,), {}, TypeError, "n must"),
        "nanorice variant 3": (ph.nanorice, (32,), {"variant": 3}, ValueError, "variant"),
        "nanorice variant True": (ph.nanorice, (32,), {"variant": True}, TypeError,
                                  "variant"),
        "nanorice rng": (ph.nanorice, (32,), {"rng": "seed"}, TypeError, "rng"),
        "central_speckle shape": (ph.central_speckle, ((16,), 1.0), {}, ValueError, "shape"),
        "central_speckle radius": (ph.central_speckle, ((16, 16), -1.0), {}, ValueError,
                                   "radius"),
        "oversampling_ratio empty": (ph.oversampling_ratio, (np.zeros((8, 8), bool),), {},
                                     ValueError, "support"),
        "oss_widths n_stages": (ph.oss_widths, ((16, 16), 0), {}, ValueError, "n_stages"),
        "oss_widths last": (ph.oss_widths, ((16, 16),), {"last": -1.0}, ValueError, "last"),
        "gamma_schedule s": (ph.gamma_schedule, (3,), {"s": 0.0}, ValueError, "s must"),
        "smoothing_filters gamma": (ph.smoothing_filters, ((32, 32), s, np.nan, 1.0, "dr1"),
                                    {}, ValueError, "gamma"),
        "smoothing_filters support": (ph.smoothing_filters, ((16, 16), s, 0.1, 1.0, "dr1"),
                                      {}, ValueError, "support"),
        # reconstruct_many
        "many algorithm None": (ph.reconstruct_many, (None, m, s, 5, 2), {}, TypeError,
                                "algorithm"),
        "many n_runs 0": (ph.reconstruct_many, (ph.hio, m, s, 5, 0), {}, ValueError,
                          "n_runs"),
        "many max_iter 0": (ph.reconstruct_many, (ph.hio, m, s, 0, 2), {}, ValueError,
                            "max_iter"),
        "many rng -1": (ph.reconstruct_many, (ph.hio, m, s, 5, 2), {"rng": -1}, ValueError,
                        "rng"),
        "many rng 1.5": (ph.reconstruct_many, (ph.hio, m, s, 5, 2), {"rng": 1.5}, TypeError,
                         "rng"),
        "many executor": (ph.reconstruct_many, (ph.hio, m, s, 5, 2), {"executor": "gpu"},
                          ValueError, "executor"),
        "many n_jobs 0": (ph.reconstruct_many, (ph.hio, m, s, 5, 2), {"n_jobs": 0},
                          ValueError, "n_jobs"),
    }
    return cases


BAD = _bad_cases()


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_is_refused_naming_the_argument(case):
    fn, args, kwargs, exc, match = BAD[case]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)      # oversampling warnings
        with pytest.raises(exc, match=match):
            fn(*args, **kwargs)


def test_huge_but_finite_inputs_give_finite_metrics(problem):
    p, m = problem
    # the metrics are scale-invariant: scaled by powers of two they give the same numbers
    x = np.roll(p.object, 3, axis=1) + 0.01
    big = 2.0 ** 500
    assert ph.r_factor(x * big, m * big) == ph.r_factor(x, m)
    assert ph.real_space_error(x * big, p.object * big) == ph.real_space_error(x, p.object)
    radius, frc = ph.fourier_ring_correlation(x * big, p.object)
    np.testing.assert_array_equal(frc, ph.fourier_ring_correlation(x, p.object)[1])
