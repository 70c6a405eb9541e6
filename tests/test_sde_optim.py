"""pdeopt.optim: the Entropy-SGD family on a NumPy test function and on a net; elastic averaging."""
import os
import subprocess
import sys

import numpy as np
import pytest

from pdeopt.optim import (HJ, EntropySGD, Heat, HeatEntropySGD, demo_problem, elastic_averaging,
                          relaxation_optimizer)
from pdeopt.optim.elastic_mpi import find_mpiexec

A = 2.0  # f(y) = A|y|²/2


def quadratic_oracle(counter=None):
    def oracle(w):
        if counter is not None:
            counter.append(1)
        return 0.5 * A * float(w @ w), A * w
    return oracle


def test_hj_inner_loop_finds_the_moreau_envelope_gradient():
    # prox of f/γ at x: y* = γx/(A + γ); ∇u = γ(x − y*) = Aγx/(A + γ)
    x = np.array([1.0, -2.0])
    opt = HJ(1.0, coupling=0.5, L=200, inner_lr=0.2, inner_momentum=0.0, scoping=0.0)
    g = opt.relaxed_gradient(x, A * x, quadratic_oracle())
    np.testing.assert_allclose(g, A * 0.5 * x / (A + 0.5), rtol=1e-8)


def test_esgd_without_noise_and_averaging_is_hj():
    x = np.array([0.7, 0.1, -1.0])
    common = dict(coupling=0.3, L=7, inner_lr=0.1, inner_momentum=0.5, scoping=0.0)
    e = EntropySGD(1.0, noise=0.0, alpha=1.0, **common).relaxed_gradient(x, A * x,
                                                                          quadratic_oracle())
    h = HJ(1.0, **common).relaxed_gradient(x, A * x, quadratic_oracle())
    np.testing.assert_allclose(e, h)


def test_heat_gradient_of_a_quadratic_is_unbiased():
    x = np.array([1.0, -1.0])
    opt = Heat(1.0, heat=0.1, L=4000, rng=0)
    g = opt.relaxed_gradient(x, None, quadratic_oracle())
    np.testing.assert_allclose(g, A * x, atol=4 * A * np.sqrt(0.1 / 4000))


@pytest.mark.parametrize("cls, kw, evals", [
    (EntropySGD, dict(L=5), 5), (HJ, dict(L=4), 4), (Heat, dict(L=3), 4),
    (HeatEntropySGD, dict(L=5), 6)])
def test_every_gradient_evaluation_is_counted(cls, kw, evals):
    calls = []
    opt = cls(0.1, rng=0, **kw)
    x = np.ones(3)
    opt.step(x, A * x, quadratic_oracle(calls))
    assert opt.evaluations == evals == len(calls) + 1
    assert opt.steps == 1


@pytest.mark.parametrize("name", ["sgd", "esgd", "heat", "hj", "h-esgd"])
def test_each_method_minimizes_a_quadratic(name):
    options = {} if name == "sgd" else dict(rng=0)
    lr = 0.05 if name in ("sgd", "heat") else 5.0
    opt = relaxation_optimizer(name, lr, **options)
    x = np.array([3.0, -2.0])
    oracle = quadratic_oracle()
    for epoch in range(60):
        opt.on_epoch(epoch)
        opt.step(x, A * x, oracle)
    assert np.linalg.norm(x) < 0.05


def test_scoping_grows_the_coupling():
    opt = EntropySGD(1.0, coupling=0.1, scoping=0.5, L=1, rng=0)
    x = np.ones(2)
    for _ in range(3):
        opt.step(x, A * x, quadratic_oracle())
    assert opt.coupling == pytest.approx(0.1 * 1.5 ** 3)


@pytest.mark.parametrize("call, match", [
    (lambda: EntropySGD(1.0, coupling=0.0), "coupling"),
    (lambda: EntropySGD(1.0, coupling=-1), "coupling"),
    (lambda: EntropySGD(1.0, L=0), "L"), (lambda: HJ(1.0, inner_lr=-0.1), "inner_lr"),
    (lambda: EntropySGD(-1.0), "lr"), (lambda: EntropySGD(1.0, alpha=1.5), "alpha"),
    (lambda: Heat(1.0, heat=0.0), "heat"), (lambda: EntropySGD(1.0, noise=-1), "noise"),
    (lambda: relaxation_optimizer("adam", 0.1), "name"),
    (lambda: elastic_averaging(lambda y, r: y, [0.0], replicas=2, gamma=0, lr=0.1, max_iter=3),
     "gamma"),
    (lambda: elastic_averaging(lambda y, r: y, [0.0], replicas=2, gamma=1, lr=0.1, max_iter=-3),
     "max_iter"),
    (lambda: elastic_averaging(lambda y, r: y, [0.0], replicas=0, gamma=1, lr=0.1, max_iter=3),
     "replicas"),
    (lambda: elastic_averaging(lambda y, r: y, [0.0], replicas=2, gamma=1, lr=0.1, max_iter=3,
                               inner="entropy-sgd", L=0), "L"),
])
def test_bad_input_is_refused(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_a_diverging_inner_loop_names_the_steps_and_parameters():
    def bad_oracle(w):
        return float("nan"), w
    opt = EntropySGD(1.0, coupling=0.05, L=3, rng=0)
    from pdeopt import DivergenceError
    with pytest.raises(DivergenceError,
                       match=r"coupling=0.05.*diverged at outer step 0, inner step 1"):
        opt.step(np.ones(2), np.ones(2), bad_oracle)
    with pytest.raises(TypeError, match="needs the oracle"):
        HJ(1.0, L=2).step(np.ones(2), np.ones(2))


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_diverging_elastic_averaging_keeps_history():
    with pytest.raises(FloatingPointError, match="elastic_averaging diverged at iteration") as info:
        elastic_averaging(lambda y, r: y ** 3, [5.0], replicas=2, gamma=1.0, lr=0.5, max_iter=50,
                          objective=lambda x: x[0])
    assert info.value.result.history["spread"].size >= 1


@pytest.mark.parametrize("block", [None, 40, 1])  # 64, 2 and 1 inner steps per block (n = 20)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_entropy_sgd_noise_drawn_ahead_is_the_seeds_stream_of_per_step_draws(dtype, block,
                                                                           monkeypatch):
    import copy

    import pdeopt.optim.entropy_sgd as esgd
    if block is not None:
        monkeypatch.setattr(esgd, "NOISE_BLOCK", block)

    def run(opt, steps=6):
        x = np.linspace(-1, 1, 20).astype(dtype)
        for _ in range(steps):
            opt.step(x, A * x, lambda w: (0.5 * A * float(w @ w), A * w))
        return x

    L, noise, inner_lr = 3, 0.5, 0.1
    ahead = EntropySGD(0.5, L=L, noise=noise, inner_lr=inner_lr, rng=7)  # background draws
    now = EntropySGD(0.5, L=L, noise=noise, inner_lr=inner_lr, rng=np.random.default_rng(7))
    x_ahead, x_now = run(ahead), run(now)
    np.testing.assert_array_equal(x_ahead, x_now)
    # the draws are those of one standard_normal(n) per inner step, in order
    rng = np.random.default_rng(7)
    x = np.linspace(-1, 1, 20).astype(dtype)
    xi = np.empty_like(x)
    amp = np.sqrt(inner_lr) * noise
    plain = EntropySGD(0.5, L=L, noise=0.0, rng=0)
    for _ in range(6):
        y, mu = x.copy(), x.copy()
        for ell in range(L):
            y -= inner_lr * (A * y + plain.coupling * (y - x))
            rng.standard_normal(dtype=dtype, out=xi)
            xi *= amp
            y += xi
            mu += plain.alpha * (y - mu)
        plain._outer.step(x, plain.coupling * (x - mu))
        plain.steps += 1
    np.testing.assert_allclose(x_ahead, x, rtol=1e-5 if dtype == np.float32 else 1e-12)
    twin = copy.deepcopy(ahead)  # waits for the draw in flight
    np.testing.assert_array_equal(run(ahead, 2), run(twin, 2))


def test_entropy_sgd_iterates_on_the_weights_in_place_and_restores_them_on_divergence():
    x = np.linspace(-1, 1, 20)
    seen = []

    def oracle(w):
        seen.append(w)
        if len(seen) == 2:
            return 1.0, np.full_like(w, np.nan)
        return 0.5 * A * float(w @ w), A * w

    opt = EntropySGD(0.5, L=3, rng=0)
    before = x.copy()
    with pytest.raises(FloatingPointError, match="inner step 2"):
        opt.step(x, A * x, oracle)
    assert all(w is x for w in seen)  # the inner iterate lives in the weights themselves
    np.testing.assert_array_equal(x, before)  # ... which are the anchor again after the error


def test_train_oracle_evaluates_in_place_or_swapped_alike():
    from pdeopt.nn import mlp, train
    from pdeopt.nn.optimizers import Optimizer
    rng = np.random.default_rng(1)
    x = rng.normal(size=(32, 5))
    y = (x[:, 0] > 0).astype(np.int64)

    class Probe(Optimizer):
        """Evaluates at the weights in place and at a copy of them, then steps nowhere."""

        def step(self, params, grad, oracle=None):
            before = params.copy()
            (v1, g1), (v2, g2) = oracle(params), oracle(params.copy())
            np.testing.assert_allclose([v1], [v2], rtol=1e-12)
            np.testing.assert_allclose(g1, g2, rtol=1e-10, atol=1e-14)
            assert g1 is not g2
            np.testing.assert_array_equal(params, before)
            self.calls = getattr(self, "calls", 0) + 1

    opt = Probe(1.0)
    train(mlp([4], input_shape=(5,), n_classes=2, rng=0), opt, (x, y, x, y), epochs=2,
          batch_size=32)  # one minibatch, the whole set: both calls see the same points
    assert opt.calls == 2


def test_effective_epochs_of_entropy_sgd_in_train():
    from pdeopt.nn import mlp, train
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 6))
    y = (x[:, 0] > 0).astype(np.int64)
    model = mlp([8], input_shape=(6,), n_classes=2, rng=0)
    res = train(model, EntropySGD(10.0, coupling=0.1, L=3, rng=0), (x, y, x, y), epochs=4,
                batch_size=16)
    np.testing.assert_allclose(res.history["effective_epochs"], 3.0 * np.arange(1, 5))
    assert res.history["loss"][-1] < res.history["loss"][0]


def test_elastic_averaging_is_reproducible_and_descends():
    objective, oracle, x0 = demo_problem(dim=4)
    kw = dict(replicas=3, gamma=1.0, lr=0.05, max_iter=100, objective=objective, rng=5)
    a = elastic_averaging(oracle, x0, **kw)
    b = elastic_averaging(oracle, x0, **kw)
    np.testing.assert_array_equal(a.x, b.x)
    assert a.info["replicas"].shape == (3, 4)
    assert a.history["objective"][-1] < a.history["objective"][0]
    c = elastic_averaging(oracle, x0, inner="entropy-sgd", L=3, inner_lr=0.02, **kw)
    assert c.history["objective"][-1] < c.history["objective"][0]


def test_two_rank_mpi_run_equals_the_in_process_run(tmp_path):
    exe, why = find_mpiexec()
    if exe is None:
        pytest.skip(why)
    out = tmp_path / "mpi.npz"
    for inner in ("sgd", "entropy-sgd"):
        proc = subprocess.run(
            [exe, "-n", "2", sys.executable, "-m", "pdeopt.optim.elastic_mpi", "--max-iter", "40",
             "--seed", "9", "--inner", inner, "--out", str(out)],
            capture_output=True, text=True, timeout=120, env={**os.environ, "OMP_NUM_THREADS": "1"})
        assert proc.returncode == 0, proc.stderr
        mpi = np.load(out)
        objective, oracle, x0 = demo_problem()
        ref = elastic_averaging(oracle, x0, replicas=2, gamma=1.0, lr=0.05, max_iter=40,
                                inner=inner, objective=objective, rng=9)
        np.testing.assert_array_equal(mpi["x"], ref.x)
        np.testing.assert_array_equal(mpi["objective"], ref.history["objective"])


# --- conventions of issue #18: rng only, momentum in [0, 1), honest Result, MPI skip ---------

@pytest.mark.parametrize("make", [
    lambda **kw: EntropySGD(1.0, **kw), lambda **kw: HJ(1.0, **kw),
    lambda **kw: Heat(1.0, **kw), lambda **kw: HeatEntropySGD(1.0, **kw)])
def test_optimizers_refuse_momentum_outside_0_1_and_take_rng_only(make):
    for momentum in (1.0, 1.5, -0.1):
        with pytest.raises(ValueError, match="momentum"):
            make(momentum=momentum)
    with pytest.raises(TypeError):
        make(seed=0)
    with pytest.raises(TypeError, match="rng"):
        make(rng="zero")


def test_relaxation_optimizer_validates_the_name():
    with pytest.raises(TypeError, match="name must be a string"):
        relaxation_optimizer(None, 0.1)
    with pytest.raises(ValueError, match="name must be one of"):
        relaxation_optimizer("adam", 0.1)
    assert isinstance(relaxation_optimizer("ESGD", 0.1, rng=0), EntropySGD)


def test_elastic_averaging_claims_no_convergence_and_counts_its_steps():
    objective, oracle, x0 = demo_problem(dim=3)
    res = elastic_averaging(oracle, x0, replicas=2, gamma=1.0, lr=0.05, max_iter=7, rng=1)
    assert (res.status, res.converged, res.success, res.nit) == (1, False, True, 7)
    assert res.history["spread"].size == 7


def test_an_interrupted_elastic_averaging_counts_finished_steps():
    objective, oracle, x0 = demo_problem(dim=3)

    def stop(it):
        if it.nit == 4:
            raise KeyboardInterrupt
    with pytest.warns(RuntimeWarning, match="interrupted after 4"):
        res = elastic_averaging(oracle, x0, replicas=2, gamma=1.0, lr=0.05, max_iter=50,
                                rng=1, callback=stop)
    assert (res.status, res.nit, res.history["spread"].size) == (3, 4, 4)


def test_elastic_averaging_rng_seed_and_generator():
    objective, oracle, x0 = demo_problem(dim=3)
    kw = dict(replicas=2, gamma=1.0, lr=0.05, max_iter=5)
    a = elastic_averaging(oracle, x0, rng=3, **kw)
    b = elastic_averaging(oracle, x0, rng=3, **kw)
    np.testing.assert_array_equal(a.x, b.x)
    c = elastic_averaging(oracle, x0, rng=np.random.default_rng(3), **kw)
    d = elastic_averaging(oracle, x0, rng=np.random.default_rng(3), **kw)
    np.testing.assert_array_equal(c.x, d.x)
    for bad, error in ((-1, ValueError), ("3", TypeError), (2.5, TypeError)):
        with pytest.raises(error, match="rng"):
            elastic_averaging(oracle, x0, rng=bad, **kw)
    with pytest.raises(TypeError, match="grad_oracle"):
        elastic_averaging(None, x0, rng=3, **kw)
    with pytest.raises(TypeError, match="comm"):
        elastic_averaging(oracle, x0, rng=3, comm="world", max_iter=5, gamma=1.0, lr=0.05)


def _find_mpiexec_with(script, tmp_path, monkeypatch):
    """find_mpiexec() when its only candidate is a shell script ``script``."""
    pytest.importorskip("mpi4py")
    import pdeopt.optim.elastic_mpi as em
    fake = tmp_path / "mpiexec"
    fake.write_text("#!/bin/sh\n" + script)
    fake.chmod(0o755)
    monkeypatch.setattr(em, "_candidates", lambda: [str(fake)])
    em.find_mpiexec.cache_clear()
    try:
        return em.find_mpiexec(), str(fake)
    finally:
        em.find_mpiexec.cache_clear()


def test_find_mpiexec_skips_with_the_reason_when_mpiexec_cannot_run(tmp_path, monkeypatch):
    (exe, why), fake = _find_mpiexec_with(
        "echo 'mpiexec has detected an attempt to run as root' >&2\nexit 1\n", tmp_path,
        monkeypatch)
    assert exe is None and "run as root" in why and fake in why


def test_find_mpiexec_takes_one_2_rank_world(tmp_path, monkeypatch):
    # rank 0 alone reports the world's size (two ranks printing at once could interleave)
    (exe, why), fake = _find_mpiexec_with("echo 2\n", tmp_path, monkeypatch)
    assert exe == fake and why == ""


def test_find_mpiexec_refuses_an_mpiexec_of_another_mpi(tmp_path, monkeypatch):
    # two 1-rank worlds, as the launcher of another MPI starts them
    (exe, why), _ = _find_mpiexec_with("echo 1\necho 1\n", tmp_path, monkeypatch)
    assert exe is None and "sizes" in why
