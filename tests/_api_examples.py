"""Valid baseline arguments for every public callable, for ``test_api_bad_input.py``.

A callable's baseline call is built parameter by parameter from three name-keyed tables,
most specific first: ``OVERRIDES["pdeopt.sub.name"]``, ``SUBPACKAGE["pdeopt.sub"]`` and
``GLOBAL``. Each entry is a factory (called afresh for every call, since methods may
mutate arrays or models). A required parameter with no entry fails the test ("add an
example"), so a new public function is covered without being listed here as long as its
parameter names are in the tables. An optional parameter takes the table's value only when
it is of the same kind as its default (so ``a`` the prox matrix does not replace the TL1
parameter ``a=1.0``) or when an override names it; otherwise its default is kept, and it is
fuzzed all the same.

Everything is tiny (grids of 17 points, 8x8 images, 16x16 phase objects, 2-3 iterations)
and baselines use ``backend="numpy"`` so no Numba compilation happens.
"""
from __future__ import annotations

import inspect

import numpy as np

# --- shared tiny data ----------------------------------------------------------------------
GRID = np.linspace(-2.0, 2.0, 17)
RNG = np.random.default_rng(1234)
MAT = RNG.standard_normal((6, 8)) / np.sqrt(6)               # prox design matrix
XSPARSE = np.array([0, 1.0, 0, 0, -0.5, 0, 0, 0])
VEC = RNG.standard_normal(8)
IMG = RNG.random((6, 8, 8))                                   # nn / data images
LAB = np.array([0, 1, 2, 0, 1, 2])
PTS = RNG.standard_normal((12, 2)) + np.repeat([[0, 0], [4, 4]], 6, axis=0)   # graph points
PTS_Y = np.repeat([0, 1], 6)


def _phase_object():
    obj = np.zeros((16, 16))
    obj[5:11, 5:11] = RNG.random((6, 6)) + 0.5
    support = np.zeros((16, 16), bool)
    support[4:12, 4:12] = True
    return obj, support


PHASE_OBJ, PHASE_SUPPORT = _phase_object()
PHASE_MAG = np.abs(np.fft.fft2(PHASE_OBJ))


def _nn_model():
    from pdeopt import nn
    return nn.mlp((4,), input_shape=(8, 8), n_classes=3, rng=0)


def _knn():
    from pdeopt import graph
    return graph.knn_graph(PTS, 3, search="exact", rng=0)


def _weights():
    from pdeopt import graph
    nb, d = _knn()
    return graph.weight_matrix(nb, d, backend="numpy")


def _fake_mnist():
    """A folder with four tiny IDX files in the MNIST layout (load_mnist(verify=False))."""
    import tempfile
    from pathlib import Path
    folder = Path(tempfile.mkdtemp(prefix="pdeopt-fake-mnist-"))
    for split, n in (("train", 4), ("t10k", 3)):
        for kind, magic, shape in (("images", 2051, (n, 28, 28)), ("labels", 2049, (n,))):
            head = magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in shape)
            body = (np.arange(int(np.prod(shape))) % 10).astype(np.uint8).tobytes()
            (folder / f"{split}-{kind}-idx{len(shape)}-ubyte").write_bytes(head + body)
    return str(folder)


def _quantized_set():
    from pdeopt import quant
    return quant.QuantizedSet("binary", backend="numpy")


def _lifted_weights():
    from pdeopt import lifted
    return lifted.init_weights([4, 3, 2], rng=0)


def _controlled_solution():
    from pdeopt import sde
    x = np.linspace(-2, 2, 33)
    params = inspect.signature(sde.controlled_sgd).parameters
    horizon = {"T": 0.2} if "T" in params else {"t": 0.2}    # the name is being settled
    return sde.controlled_sgd(lambda z: z, lambda z: 0.5 * z ** 2, x, _density(x), n_steps=3,
                              **horizon)


def _density(x):
    rho = np.exp(-x ** 2)
    return rho / np.trapezoid(rho, x)


def _fitted_wnll():
    from pdeopt import graph
    return graph.WNLLClassifier(3, backend="numpy").fit(PTS, _partial_labels())


def _partial_labels():
    y = PTS_Y.copy()
    y[[1, 2, 3, 7, 8, 9]] = -1
    return y


def _built(layer, shape=(8, 8)):
    from pdeopt import nn
    nn.build_layer(layer, shape, rng=0)
    return layer


# --- the tables ----------------------------------------------------------------------------
GLOBAL = {
    "backend": lambda: "numpy",
    "rng": lambda: 0,
    "random_state": lambda: 0,
    "max_iter": lambda: 3,
    "n_iter": lambda: 3,
    "iterations": lambda: 3,
    "maxiter": lambda: 3,
    "sweeps": lambda: 2,
    "epochs": lambda: 1,
    "tol": lambda: 0.0,
    "callback": lambda: (lambda it: None),
    "progress": lambda: (lambda line: None),
    "workers": lambda: 1,
    "n_jobs": lambda: 1,
    "blas_threads": lambda: 1,
    "dtype": lambda: np.float64,
    "lr": lambda: 0.1,
}

SUBPACKAGE = {
    "pdeopt": {
        "method": lambda: "demo",
    },
    "pdeopt.hj": {
        "max_iter": lambda: 200,           # time steps of the PDE solvers (t=0.5: ~20)
        "f": lambda: 0.5 * GRID ** 2,
        "x": lambda: GRID.copy(),
        "t": lambda: 0.5,
        "gamma": lambda: 0.5,
        "lam": lambda: 0.5,
        "w0": lambda: 0.5 * np.exp(-GRID ** 2),
        "fprime": lambda: (lambda y: -y * np.exp(-y ** 2)),
        "fsecond": lambda: (lambda y: (2 * y ** 2 - 1) * np.exp(-y ** 2)),
        "x0": lambda: 1.5,
        "step_sizes": lambda: np.array([0.5, 0.5, 0.5]),
        "n_steps": lambda: 3,
        "step_size": lambda: 0.5,
        "n_samples": lambda: 50,
    },
    "pdeopt.sde": {
        "potential": lambda: __import__("pdeopt.sde").sde.double_well(1.0),
        "grad_f": lambda: (lambda z: z),
        "grad": lambda: (lambda z: z),
        "V": lambda: (lambda z: 0.5 * z ** 2),
        "x": lambda: np.array([1.0, -0.5]),
        "x0": lambda: -1.0,
        "target": lambda: 0.0,
        "beta": lambda: 2.0,
        "dt": lambda: 0.01,
        "n_paths": lambda: 4,
        "max_time": lambda: 1.0,
        "x_min": lambda: -1.0,
        "x_saddle": lambda: 0.0,
        "gamma": lambda: 0.5,
        "step_sizes": lambda: np.array([0.5, 0.5, 0.5]),
        "max_iter": lambda: 3,
        "step_size": lambda: 0.01,
        "n_chains": lambda: 4,
        "epsilon": lambda: 0.1,
        "time": lambda: 0.05,
        "t": lambda: 0.05,
        "T": lambda: 0.2,
        "n_steps": lambda: 3,
        "coeffs": lambda: np.array([0.0, 0.0, 1.0]),
        "barrier": lambda: 1.0,
        "solution": _controlled_solution,
        "n": lambda: 201,
    },
    "pdeopt.optim": {
        "w0": lambda: np.array([1.0, 0.5, -0.3, 0.2]),
        "w_star": lambda: np.array([0.5, 1.0, 0.2, -0.1]) / np.linalg.norm([0.5, 1.0, 0.2, -0.1]),
        "w": lambda: np.array([1.0, 0.5, -0.3, 0.2]),
        "v": lambda: np.array([0.5, 1.0, 0.2, -0.1]),
        "k": lambda: 2,
        "d": lambda: 4,
        "m": lambda: 8,
        "lam": lambda: 0.01,
        "beta": lambda: 1.0,
        "Z": lambda: np.random.default_rng(0).standard_normal((8, 2, 4)),
        "L": lambda: 3,
        "grad_oracle": lambda: (lambda y, rng: y),
        "x0": lambda: np.array([1.0, -1.0]),
        "gamma": lambda: 0.5,
        "step_sizes": lambda: np.array([0.5, 0.5, 0.5]),
        "name": lambda: "esgd",
        "dim": lambda: 4,
        "replicas": lambda: 2,
    },
    "pdeopt.nn": {
        "layers": lambda: [__import__("pdeopt.nn").nn.Flatten(),
                           __import__("pdeopt.nn").nn.Dense(3)],
        "input_shape": lambda: (8, 8),
        "sizes": lambda: (4,),
        "n_classes": lambda: 3,
        "hidden": lambda: 4,
        "channels": lambda: (2, 3),
        "kernel_size": lambda: 3,
        "k": lambda: 2,
        "d": lambda: 4,
        "units": lambda: 3,
        "filters": lambda: 2,
        "activation": lambda: "relu",
        "logits": lambda: RNG.standard_normal((6, 3)),
        "y": lambda: LAB.copy(),
        "outputs": lambda: RNG.standard_normal((6, 3)),
        "targets": lambda: RNG.standard_normal((6, 3)),
        "drops": lambda: {2: 0.1},
        "gamma": lambda: 0.9,
        "epochs": lambda: 1,
        "model": _nn_model,
        "optimizer": lambda: __import__("pdeopt.nn").nn.SGD(0.1),
        "data": lambda: (IMG.copy(), LAB.copy()),
        "x": lambda: IMG.copy(),
        "batch_size": lambda: 3,
        "epochs_linear": lambda: 1,
        "epochs_buffer": lambda: 1,
        "epochs_retrain": lambda: 1,
        "template_per_class": lambda: 1,
        "n_neighbors": lambda: 2,
        "x_template": lambda: IMG[:3].copy(),
        "y_template": lambda: LAB[:3].copy(),
        "kind": lambda: "hb",
        "steps": lambda: 2,
        "width": lambda: 4,
        "block": lambda: _built(__import__("pdeopt.nn").nn.OptimizationBlock("hb", 2),
                                (4,)),
        "layer": lambda: __import__("pdeopt.nn").nn.Dense(3),
        "a": lambda: RNG.standard_normal(5),
        "b": lambda: RNG.standard_normal(5),
        "n_directions": lambda: 2,
    },
    "pdeopt.graph": {
        "X": lambda: PTS.copy(),
        "k": lambda: 3,
        "search": lambda: "exact",
        "method": lambda: "wnll",
        "neighbors": lambda: _knn()[0],
        "distances": lambda: _knn()[1],
        "W": _weights,
        "labeled_idx": lambda: np.array([0, 6]),
        "labels": lambda: np.array([0, 1]),
        "n_classes": lambda: 2,
        "n_neighbors": lambda: 3,
        "knn": lambda: "exact",
        "X_fit": lambda: PTS.copy(),
        "scores": lambda: np.eye(2)[PTS_Y],
        "X_new": lambda: PTS[:3] + 0.1,
    },
    "pdeopt.prox": {
        "a": lambda: MAT.copy(),
        "A": lambda: MAT[:4].copy(),
        "y": lambda: MAT @ XSPARSE,
        "b": lambda: MAT[:4] @ XSPARSE,
        "lam": lambda: 0.1,
        "x": lambda: VEC.copy(),
        "u": lambda: VEC.copy(),
        "kind": lambda: "l1",
        "mu": lambda: 5.0,
        "k": lambda: 3,
        "lipschitz": lambda: 1.0,
        "dist2": lambda: 1.0,
        "rho": lambda: 1.0,
    },
    "pdeopt.quant": {
        "Q": _quantized_set,
        "x0": lambda: VEC.copy(),
        "x": lambda: VEC.copy(),
        "y": lambda: VEC.copy(),
        "loss_and_grad": lambda: (lambda z: (0.5 * float(z @ z), z.copy())),
        "bits": lambda: 2,
        "lam": lambda: 1.0,
        "kind": lambda: "binary",
    },
    "pdeopt.phase": {
        "magnitudes": lambda: PHASE_MAG.copy(),
        "support": lambda: PHASE_SUPPORT.copy(),
        "obj": lambda: PHASE_OBJ.copy(),
        "x": lambda: PHASE_OBJ.copy(),
        "reference": lambda: np.roll(PHASE_OBJ, 1, axis=0),
        "shape": lambda: (16, 16),
        "radius": lambda: 2.0,
        "n": lambda: 32,
        "n_stages": lambda: 3,
        "gamma": lambda: 1.0,
        "s": lambda: 1.0,
        "smoothing": lambda: "dr3",
        "algorithm": lambda: __import__("pdeopt.phase").phase.hio,
        "n_runs": lambda: 2,
        "executor": lambda: "thread",
        "missing": lambda: np.zeros((16, 16), bool),
    },
    "pdeopt.lifted": {
        "grad": lambda: (lambda z: z),
        "x0": lambda: np.array([1.0, -1.0]),
        "step": lambda: 0.5,
        "momentum": lambda: 0.5,
        "lipschitz": lambda: 1.0,
        "mu": lambda: 0.5,
        "t": lambda: 3,
        "dist2": lambda: 1.0,
        "u": lambda: np.linspace(-1, 1, 5),
        "x": lambda: RNG.standard_normal((6, 4)),
        "y": lambda: np.array([0, 1, 0, 1, 0, 1]),
        "hidden": lambda: (3,),
        "warm_start": lambda: 1,
        "activation": lambda: "relu",
        "integrand": lambda: (lambda z: z),
        "n_layers": lambda: 2,
        "weights": _lifted_weights,
        "sizes": lambda: [4, 3, 2],
        "x_iters": lambda: 3,
        "w_iters": lambda: 3,
        "batch_size": lambda: 3,
        "a": lambda: MAT.copy(),
        "lam": lambda: 0.1,
        "layers": lambda: 2,
        "steps": lambda: 2,
        "n_samples": lambda: 4,
    },
    "pdeopt.data": {
        "x": lambda: IMG.copy(),
        "y": lambda: LAB.copy(),
        "val_fraction": lambda: 0.5,
        "batch_size": lambda: 2,
    },
}

def _soft(v, g):
    return np.sign(v) * np.maximum(np.abs(v) - g, 0.0)


def _gl_extend(w, idx, g):
    """Graph-Laplacian extension on a dense graph (the example of assert_maximum_principle)."""
    lap = np.diag(w.sum(1)) - w
    free = np.setdiff1d(np.arange(len(w)), idx)
    u = np.zeros(len(w))
    u[idx] = g
    u[free] = np.linalg.solve(lap[np.ix_(free, free)], -lap[np.ix_(free, idx)] @ g)
    return u


def _entropy_estimate(x, gamma=0.5, n=2000):
    """Exact Gibbs samples of the quadratic's local entropy (assert_local_entropy_gradient)."""
    y = x / (1 + gamma) + np.random.default_rng(0).normal(size=(n, x.size)) * np.sqrt(
        gamma / (1 + gamma))
    g = (x - y) / gamma
    return g.mean(0), g.std(0) / np.sqrt(n)


_HS = [0.1, 0.05, 0.025, 0.0125]
_T = "pdeopt.testing."
TESTING = {
    _T + "assert_moreau_decomposition": {
        "prox_f": lambda: _soft, "prox_fconj": lambda: (lambda v, g: np.clip(v, -1.0, 1.0)),
        "x": lambda: np.array([2.0, -0.3, 0.7])},
    _T + "assert_prox_optimal": {
        "prox": lambda: _soft, "f": lambda: (lambda y: np.abs(y).sum()),
        "x": lambda: np.array([2.0, -0.3, 0.7]), "n_directions": lambda: 4},
    _T + "assert_projection": {
        "project": lambda: (lambda v: np.clip(v, -1, 1)),
        "member": lambda: (lambda v: bool(np.all(np.abs(v) <= 1))),
        "x": lambda: np.array([2.0, -0.3, 0.7]), "n_candidates": lambda: 4},
    _T + "assert_order": {"errors": lambda: [3 * h ** 2 + h ** 3 for h in _HS],
                          "hs": lambda: list(_HS), "order": lambda: 2},
    _T + "observed_order": {"errors": lambda: [3 * h ** 2 + h ** 3 for h in _HS],
                            "hs": lambda: list(_HS)},
    _T + "assert_gradient": {"f": lambda: (lambda v: np.sum(np.sin(v))), "grad": lambda: np.cos,
                             "x": lambda: np.array([0.1, 1.0, -2.0])},
    _T + "assert_hopf_lax_semigroup": {
        "hopf_lax": lambda: (lambda f, x, t: __import__("pdeopt.hj").hj.hopf_lax(
            f, x, t, backend="numpy")),
        "f": lambda: (np.linspace(-2, 2, 41) ** 2 - 1) ** 2, "x": lambda: np.linspace(-2, 2, 41),
        "t": lambda: 0.2, "s": lambda: 0.3},
    _T + "assert_cole_hopf": {
        "solve": lambda: (lambda fx, x, t, eps: __import__("pdeopt.hj").hj.solve_viscous_hj(
            fx, x, t, eps, backend="numpy", max_iter=100000).x),
        "f": lambda: (lambda x: 0.5 * x ** 2 + np.cos(2 * x)), "domain": lambda: (-4, 4),
        "t": lambda: 0.2, "sizes": lambda: (41, 81, 161)},
    _T + "cole_hopf": {"f": lambda: (lambda x: 0.5 * x ** 2), "x": lambda: GRID.copy(),
                       "t": lambda: 0.2},
    _T + "assert_local_entropy_limits": {
        "local_entropy": lambda: __import__("pdeopt.hj").hj.local_entropy,
        "f": lambda: 0.5 * np.linspace(-5, 5, 401) ** 2 + np.sin(2 * np.linspace(-5, 5, 401)),
        "x": lambda: np.linspace(-5, 5, 401), "gammas": lambda: (0.2, 0.1, 0.05, 0.025)},
    _T + "assert_graph_laplacian": {
        "laplacian": lambda: np.diag([3, 1.5, 2.5]) - np.array([[0, 1, 2], [1, 0, 0.5],
                                                                 [2, 0.5, 0]])},
    _T + "assert_maximum_principle": {
        "extend": lambda: _gl_extend,
        "weights": lambda: np.exp(-np.subtract.outer(np.arange(6.0), np.arange(6.0)) ** 2),
        "labeled_idx": lambda: np.array([0, 5]), "values": lambda: np.array([0.0, 1.0])},
    _T + "assert_phase_invariances": {
        "r_factor": lambda: __import__("pdeopt.phase").phase.r_factor,
        "x": lambda: PHASE_OBJ.copy(),
        "magnitudes": lambda: np.abs(np.fft.fft2(PHASE_OBJ, norm="ortho")) + 0.1},
    _T + "assert_density_evolution": {
        "densities": lambda: np.array([[0, 1, 2, 1, 0], [0.5, 1, 1, 1, 0.5]]),
        "x": lambda: np.linspace(-1, 1, 5)},
    _T + "assert_weak_order": {"step": lambda: (lambda x, dt, dw: x - 1.0 * x * dt + 0.5 * dw),
                               "n_paths": lambda: 50_000, "dts": lambda: (0.2, 0.1)},
    _T + "assert_local_entropy_gradient": {
        "estimate": lambda: _entropy_estimate,
        "f": lambda: (lambda p: 0.5 * np.sum(p ** 2, axis=1)),
        "x": lambda: np.array([1.0, -2.0]), "gamma": lambda: 0.5},
    _T + "trivial_ambiguities": {"x": lambda: PHASE_OBJ.copy()},
}

def _wisdom_file():
    from pdeopt import phase
    phase.save_fft_wisdom("wisdom.bin")     # the test runs each callable in a temporary cwd
    return "wisdom.bin"


#: Per-callable entries where a name means something else than in its subpackage.
OVERRIDES = {
    **TESTING,
    "pdeopt.phase.save_fft_wisdom": {"path": lambda: "w.bin"},
    "pdeopt.phase.load_fft_wisdom": {"path": _wisdom_file},
    "pdeopt.Recorder": {"method": lambda: "demo", "max_iter": lambda: 3},
    "pdeopt.hj.hj_prox": {"f": lambda: (lambda z: 0.5 * np.sum(z ** 2, axis=1)),
                          "x": lambda: np.array([1.0, -0.5])},
    "pdeopt.hj.proximal_point": {"f": lambda: (lambda z: 0.5 * float(np.sum(z ** 2)))},
    "pdeopt.sde.check_density": {"rho": lambda: _density(np.linspace(-2, 2, 33)),
                                 "x": lambda: np.linspace(-2, 2, 33)},
    "pdeopt.sde.controlled_sgd": {"x": lambda: np.linspace(-2, 2, 33),
                                  "rho0": lambda: _density(np.linspace(-2, 2, 33))},
    "pdeopt.sde.gradient_flow": {"x0": lambda: np.array([1.0, -1.0])},
    "pdeopt.sde.two_scale_esgd": {"x0": lambda: np.array([1.0, -1.0])},
    "pdeopt.sde.kramers_time": {"x_min": lambda: -1.0},
    "pdeopt.optim.elastic_averaging": {"lr": lambda: 0.1},
    "pdeopt.nn.Residual": {"layers": lambda: [__import__("pdeopt.nn").nn.Dense(3)]},
    "pdeopt.nn.Sequential": {"layers": lambda: [__import__("pdeopt.nn").nn.Flatten(),
                                                __import__("pdeopt.nn").nn.Dense(3)]},
    "pdeopt.nn.nonoverlap_cnn": {"input_shape": lambda: None, "n_classes": lambda: 1},
    "pdeopt.nn.layer_gradient_check": {"x": lambda: RNG.standard_normal((2, 4)),
                                       "layer": lambda: _built(
                                           __import__("pdeopt.nn").nn.Dense(3), (4,))},
    "pdeopt.nn.build_layer": {"input_shape": lambda: (4,)},
    "pdeopt.nn.algorithm_coefficients": {"momentum": lambda: 0.5},
    "pdeopt.nn.batch_stream": {"rng": lambda: np.random.default_rng(0)},
    "pdeopt.nn.cosine_schedule": {"epochs": lambda: 3},
    "pdeopt.prox.tl1_threshold": {"a": lambda: 1.0},
    "pdeopt.prox.tl1_penalty": {"a": lambda: 1.0},
    "pdeopt.prox.tl1_threshold_value": {"a": lambda: 1.0},
    "pdeopt.prox.lasso_objective": {"x": lambda: XSPARSE.copy()},
    "pdeopt.phase.frc_resolution": {"radius": lambda: np.linspace(0.125, 1.0, 8),
                                    "frc": lambda: np.linspace(1.0, 0.0, 8)},
    "pdeopt.phase.oversampling_ratio": {},
    "pdeopt.phase.central_speckle": {"radius": lambda: 2.0},
    "pdeopt.lifted.rate_bounds": {"t": lambda: np.arange(1, 4)},
    "pdeopt.lifted.layer_objective": {"u": lambda: np.diag([1.0, 0.5, 2.0])},
    "pdeopt.lifted.quadrature_integral": {"x": lambda: np.linspace(0.1, 1.0, 4)},
    "pdeopt.lifted.lista_forward": {
        "params": lambda: __import__("pdeopt.lifted").lifted.lista_init(MAT, 0.1, 2),
        "y": lambda: np.stack([MAT @ XSPARSE, MAT @ VEC], axis=1)},
    "pdeopt.lifted.lpom_objective": {
        "xs": lambda: __import__("pdeopt.lifted").lifted.mlp_forward(
            _lifted_weights(), RNG.standard_normal((6, 4)), all_layers=True),
        "y": lambda: np.eye(2)[[0, 1, 0, 1, 0, 1]]},
    "pdeopt.lifted.lpom_solve": {"y": lambda: np.eye(2)[[0, 1, 0, 1, 0, 1]]},
    "pdeopt.lifted.admm_train": {"n_classes": lambda: 2},
    "pdeopt.lifted.LiftedActivation": {
        "name": lambda: "tanh", "phi": lambda: np.tanh,
        "derivative": lambda: (lambda z: 1 - np.tanh(z) ** 2), "lipschitz": lambda: 1.0},
    "pdeopt.data.load_digits": {"test_fraction": lambda: 0.25},
    "pdeopt.data.minibatches": {"x": lambda: IMG.copy(), "rng": lambda: 0},
    "pdeopt.quant.QuantizedSet": {"bits": lambda: None},   # bits goes with kind="bits" only
    "pdeopt.data.load_mnist": {"path": _fake_mnist, "verify": lambda: False},
    "pdeopt.data.find_mnist": {"path": _fake_mnist},
}

#: Public names that are records, not entry points: what they hold was checked by whoever
#: built them (or they hold anything, as a Result does). Each entry says why.
EXEMPT = {
    "pdeopt.Result": "a record returned by methods; it holds whatever the method returns",
    "pdeopt.Iterate": "a record passed to callbacks",
    "pdeopt.quant.LayerCode": "a record returned by QuantizedSet.code",
    "pdeopt.phase.Phantom": "a record returned by vesicle/nanorice",
    "pdeopt.data.Dataset": "a record returned by the loaders",
    "pdeopt.lifted.LiftedActivation": "a record of callables returned by "
                                      "lifted.get_lifted_activation",
    "pdeopt.nn.Layer": "the abstract base of the layers (each concrete layer is fuzzed)",
    "pdeopt.nn.Activation": "the abstract base of the activations",
    "pdeopt.nn.Optimizer": "the abstract base of the optimizers (SGD etc. are fuzzed)",
}


def _layers():
    from pdeopt import nn
    return {"Dense": lambda: nn.Dense(3), "Conv2D": lambda: nn.Conv2D(2, 3),
            "MaxPool2D": lambda: nn.MaxPool2D(2), "AvgPool2D": lambda: nn.AvgPool2D(2),
            "GlobalAvgPool2D": nn.GlobalAvgPool2D, "Flatten": nn.Flatten,
            "Dropout": lambda: nn.Dropout(0.5), "BatchNorm": nn.BatchNorm,
            "ReLU": nn.ReLU, "LeakyReLU": nn.LeakyReLU, "ELU": nn.ELU,
            "Sigmoid": nn.Sigmoid, "Tanh": nn.Tanh, "Softplus": nn.Softplus,
            "BinaryReLU": nn.BinaryReLU, "Identity": nn.Identity}


def _layer_method(name):
    shape = (1, 8, 8) if name in ("Conv2D", "MaxPool2D", "AvgPool2D", "GlobalAvgPool2D") \
        else (4,)
    x = RNG.standard_normal((2,) + shape)
    return {"owner": f"pdeopt.nn.{name}", "method": "forward",
            "instance": lambda: _built(_layers()[name](), shape),
            "args": {"x": lambda: x.copy(), "train": lambda: True}}


def _flat_params():
    return _nn_model().get_params()


def methods():
    """The main public methods fuzzed on a valid instance: list of dicts with ``owner``
    (the class's public name), ``method``, ``instance`` (factory) and ``args`` (overrides
    of the tables for the method's parameters)."""
    from pdeopt import nn, optim, quant, sde
    out = [_layer_method(name) for name in _layers()]
    x_img, y_img = IMG.copy(), LAB.copy()
    seq = "pdeopt.nn.Sequential"
    out += [
        {"owner": seq, "method": "forward", "instance": _nn_model,
         "args": {"x": lambda: x_img.copy()}},
        {"owner": seq, "method": "predict", "instance": _nn_model,
         "args": {"x": lambda: x_img.copy()}},
        {"owner": seq, "method": "loss_and_grad", "instance": _nn_model,
         "args": {"x": lambda: x_img.copy(), "y": lambda: y_img.copy()}},
        {"owner": seq, "method": "error", "instance": _nn_model,
         "args": {"x": lambda: x_img.copy(), "y": lambda: y_img.copy()}},
        {"owner": seq, "method": "set_params", "instance": _nn_model,
         "args": {"params": _flat_params}},
        {"owner": "pdeopt.graph.WNLLClassifier", "method": "fit",
         "instance": lambda: __import__("pdeopt.graph").graph.WNLLClassifier(
             3, backend="numpy"),
         "args": {"X": lambda: PTS.copy(), "y": _partial_labels}},
        {"owner": "pdeopt.graph.WNLLClassifier", "method": "predict",
         "instance": _fitted_wnll, "args": {"X": lambda: PTS[:4] + 0.1}},
        {"owner": "pdeopt.graph.WNLLClassifier", "method": "predict_proba",
         "instance": _fitted_wnll, "args": {"X": lambda: PTS[:4] + 0.1}},
        {"owner": "pdeopt.sde.PolynomialPotential", "method": "grad",
         "instance": lambda: sde.double_well(1.0), "args": {"x": lambda: np.linspace(-1, 1, 5)}},
        {"owner": "pdeopt.sde.PolynomialPotential", "method": "hess",
         "instance": lambda: sde.double_well(1.0), "args": {"x": lambda: np.linspace(-1, 1, 5)}},
        {"owner": "pdeopt.sde.PolynomialPotential", "method": "check_confining",
         "instance": lambda: sde.double_well(1.0), "args": {"beta": lambda: 2.0}},
    ]
    for cls in ("project", "relax", "dist", "contains", "code"):
        out.append({"owner": "pdeopt.quant.QuantizedSet", "method": cls,
                    "instance": _quantized_set,
                    "args": {"y": lambda: VEC.copy(), "x": lambda: np.sign(VEC) * 0.7,
                             "lam": lambda: 1.0}})
    params = lambda: VEC.copy()  # noqa: E731
    grad = lambda: 0.1 * VEC  # noqa: E731
    oracle = lambda: (lambda w: (0.5 * float(w @ w), w.copy()))  # noqa: E731
    for owner, make in [
            ("pdeopt.nn.SGD", lambda: nn.SGD(0.1, momentum=0.5)),
            ("pdeopt.optim.EntropySGD", lambda: optim.EntropySGD(0.1, L=2, rng=0)),
            ("pdeopt.optim.HJ", lambda: optim.HJ(0.1, L=2, rng=0)),
            ("pdeopt.optim.Heat", lambda: optim.Heat(0.1, L=2, rng=0)),
            ("pdeopt.optim.RVSCGD", lambda: optim.RVSCGD(0.1, lam=0.01, beta=1.0)),
            ("pdeopt.quant.BinaryRelax", lambda: quant.BinaryRelax(0.1, _quantized_set())),
            ("pdeopt.quant.BinaryConnect", lambda: quant.BinaryConnect(0.1,
                                                                       _quantized_set()))]:
        out.append({"owner": owner, "method": "step", "instance": make,
                    "args": {"params": params, "grad": grad, "oracle": oracle}})
    return out


#: Public callables that need an optional dependency (skipped, with the reason, without it).
NEEDS = {"pdeopt.phase.save_fft_wisdom": "pyfftw", "pdeopt.phase.load_fft_wisdom": "pyfftw"}
