"""pdeopt.graph: kNN graphs, weights, GL/WNLL harmonic extension, WNLLClassifier, bad input."""
import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import make_moons
from sklearn.neighbors import NearestNeighbors

from pdeopt import ConvergenceWarning, NotFittedError
from pdeopt.graph import WNLLClassifier, harmonic_extension, knn_graph, weight_matrix


@pytest.fixture(scope="module")
def blobs():
    rng = np.random.default_rng(0)
    centers = np.array([[0.0, 0.0], [6.0, 0.0], [0.0, 6.0]])
    y = np.repeat(np.arange(3), 60)
    X = centers[y] + rng.standard_normal((180, 2))
    return X, y


def equation_residual(W, idx, labels, u, method):
    """The seed's GL / WNLL equations written literally, point by point, on P∖S."""
    W = np.asarray(W.todense()) if hasattr(W, "todense") else np.asarray(W)
    np.fill_diagonal(W, 0.0)
    n = W.shape[0]
    S = set(idx.tolist())
    mu = n / len(S) - 1 if method == "wnll" else 0.0
    worst = 0.0
    for x in range(n):
        if x in S:
            continue
        total = sum((W[x, y] + W[y, x]) * (u[x] - u[y]) for y in range(n))
        total = total + mu * sum(W[y, x] * (u[x] - u[y]) for y in S)
        worst = max(worst, np.abs(total).max())
    return worst


# -- knn_graph ---------------------------------------------------------------------------------

def test_exact_knn_matches_scikit_learn(blobs):
    X, _ = blobs
    nb, d = knn_graph(X, 7, search="exact")
    d_ref, nb_ref = NearestNeighbors(n_neighbors=8).fit(X).kneighbors(X)
    np.testing.assert_allclose(d, d_ref[:, 1:], atol=1e-12)
    assert np.all(np.diff(d, axis=1) >= 0) and not np.any(nb == np.arange(len(X))[:, None])


@pytest.mark.slow  # pynndescent JIT-compiles its search (uncached) on first use: ~20 s
def test_nndescent_recall_and_determinism():
    X = np.random.default_rng(1).standard_normal((600, 8))
    nb, d = knn_graph(X, 10, search="nndescent", rng=3)
    nb2, _ = knn_graph(X, 10, search="nndescent", rng=3)
    exact, _ = knn_graph(X, 10, search="exact")
    recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(nb, exact)])
    assert recall >= 0.95
    np.testing.assert_array_equal(nb, nb2)
    assert not np.any(nb == np.arange(600)[:, None])


@pytest.mark.parametrize("k, match", [(5, "k must be < the number of points in X, 5"),
                                      (0, "k must be >= 1")])
def test_knn_rejects_bad_k(k, match):
    with pytest.raises(ValueError, match=match):
        knn_graph(np.zeros((5, 2)) + np.arange(5)[:, None], k)


def test_knn_rejects_nan_and_bad_method():
    with pytest.raises(ValueError, match="X contains"):
        knn_graph(np.array([[0.0], [np.nan], [1.0]]), 1)
    with pytest.raises(ValueError, match="search must be one of"):
        knn_graph(np.eye(4), 1, search="kdtree")


# -- weight_matrix -----------------------------------------------------------------------------

def test_weights_are_self_tuning_gaussians(blobs):
    X, _ = blobs
    nb, d = knn_graph(X, 6, search="exact")
    W = weight_matrix(nb, d, k_sigma=3)
    sigma = d[:, 2]
    i, j = 17, nb[17, 4]
    assert W[i, j] == pytest.approx(np.exp(-np.sum((X[i] - X[j]) ** 2) / sigma[i] ** 2))
    assert W.nnz == 6 * len(X)
    Ws = weight_matrix(nb, d, k_sigma=3, symmetric=True)
    assert abs(Ws - Ws.T).max() == 0 and abs(Ws - (W + W.T)).max() == 0
    for backend in ("numpy", "numba"):
        assert abs(weight_matrix(nb, d, k_sigma=3, backend=backend) - W).max() < 1e-15


def test_duplicate_points_give_finite_weights_and_a_warning():
    X = np.repeat(np.arange(5.0)[:, None], 4, axis=0)  # every point four times
    nb, d = knn_graph(X, 4, search="exact")
    with pytest.warns(RuntimeWarning, match="sigma = 0"):
        W = weight_matrix(nb, d, k_sigma=2)
    assert np.all(np.isfinite(W.data)) and W.data.max() == 1.0 and W.data.min() > 0
    y = np.full(len(X), -1)
    y[[0, 19]] = [0, 1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        clf = WNLLClassifier(n_neighbors=4).fit(X, y)
    assert np.all(np.isfinite(clf.label_distributions_))


def test_weight_matrix_rejects_bad_input():
    nb = np.array([[1], [0]])
    with pytest.raises(ValueError, match="k_sigma must be <="):
        weight_matrix(nb, np.ones((2, 1)), k_sigma=2)
    with pytest.raises(ValueError, match="distances must have the shape"):
        weight_matrix(nb, np.ones((2, 2)))
    with pytest.raises(ValueError, match=r"neighbors must be indices in \[0, 2\)"):
        weight_matrix(np.array([[1], [5]]), np.ones((2, 1)))
    with pytest.raises(ValueError, match="distances must be >= 0"):
        weight_matrix(nb, -np.ones((2, 1)))


# -- harmonic_extension ------------------------------------------------------------------------

def test_gl_on_a_path_is_linear_interpolation():
    n = 11
    W = np.diag(np.ones(n - 1), 1) + np.diag(np.ones(n - 1), -1)
    res = harmonic_extension(W, [0, n - 1], [0, 1], method="gl", tol=1e-12)
    np.testing.assert_allclose(res.x[:, 1], np.linspace(0, 1, n), atol=1e-10)
    assert res.converged and res.info["labels"][0] == 0 and res.info["labels"][-1] == 1


@pytest.mark.parametrize("method", ["gl", "wnll"])
@pytest.mark.parametrize("solver", ["cg", "direct"])
def test_scores_satisfy_the_seed_equations(method, solver):
    rng = np.random.default_rng(5)
    X = rng.standard_normal((40, 3))
    nb, d = knn_graph(X, 5, search="exact")
    W = weight_matrix(nb, d)
    idx = np.array([0, 7, 13, 21, 30])
    labels = np.array([0, 1, 2, 0, 1])
    res = harmonic_extension(W, idx, labels, method=method, solver=solver, tol=1e-12)
    assert equation_residual(W, idx, labels, res.x, method) < 1e-9
    np.testing.assert_allclose(res.x.sum(axis=1), 1.0, atol=1e-9)
    np.testing.assert_array_equal(res.info["labels"][idx], labels)
    np.testing.assert_array_equal(res.x[idx], np.eye(3)[labels])


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_cg_equals_direct(blobs, backend):
    X, y = blobs
    W = weight_matrix(*knn_graph(X, 8, search="exact"))
    idx = np.array([0, 60, 120, 5])
    cg = harmonic_extension(W, idx, y[idx], tol=1e-12, backend=backend)
    lu = harmonic_extension(W, idx, y[idx], solver="direct")
    np.testing.assert_allclose(cg.x, lu.x, atol=1e-9)
    assert np.mean(cg.info["labels"] == y) > 0.95
    assert cg.history["residual"][-1] <= 1e-12 and cg.info["iterations"] > 0


def test_wnll_differs_from_gl_and_all_labeled_needs_no_solve():
    W = np.random.default_rng(2).uniform(0, 1, (8, 8))
    gl = harmonic_extension(W, [0, 1], [0, 1], method="gl")
    wnll = harmonic_extension(W, [0, 1], [0, 1], method="wnll")
    assert np.abs(gl.x - wnll.x).max() > 1e-3
    full = harmonic_extension(W, np.arange(8), np.arange(8) % 2)
    np.testing.assert_array_equal(full.info["labels"], np.arange(8) % 2)


def test_disconnected_component_gets_class_frequencies_and_a_warning():
    # points 0-2 form a labeled path, points 3-4 a separate unlabeled edge
    W = np.zeros((5, 5))
    W[0, 1] = W[1, 2] = W[3, 4] = 1.0
    with pytest.warns(RuntimeWarning, match="2 point"):
        res = harmonic_extension(W, [0, 1, 2], [0, 0, 1])
    np.testing.assert_allclose(res.x[3:], [[2 / 3, 1 / 3]] * 2)
    assert np.all(np.isfinite(res.x)) and res.info["unreached"] == 2
    assert res.info["labels"][3] == 0


def test_max_iter_reached_warns_and_says_not_converged(blobs):
    X, y = blobs
    W = weight_matrix(*knn_graph(X, 8, search="exact"))
    with pytest.warns(ConvergenceWarning, match="max_iter=2"):
        res = harmonic_extension(W, [0, 60, 120], [0, 1, 2], max_iter=2, tol=1e-14)
    assert not res.converged and np.all(np.isfinite(res.x))
    assert (res.status, res.success, res.nit) == (2, False, 2)
    assert res.history["residual"].shape == (3,) and res.history["residual"][-1] > 1e-14


@pytest.mark.parametrize("kwargs, match", [
    (dict(labeled_idx=[], labels=[]), "labeled_idx is empty"),
    (dict(labeled_idx=[0, 1], labels=[0, 2]), r"class\(es\) \[1\] have no labeled point"),
    (dict(labeled_idx=[0, 1], labels=[0, 3], n_classes=3), "labels must be < n_classes = 3"),
    (dict(labeled_idx=[0, 1], labels=[0, -1]), "labels must hold labels >= 0"),
    (dict(labeled_idx=[0, 9], labels=[0, 1]), r"labeled_idx must lie in \[0, 4\)"),
    (dict(labeled_idx=[1, 1], labels=[0, 1]), "repeated"),
    (dict(labeled_idx=[0, 1], labels=[0]), "one entry per labeled index"),
    (dict(labeled_idx=[-1, 1], labels=[0, 1]), r"labeled_idx must lie in \[0, 4\)"),
    (dict(labeled_idx=[0, 1], labels=[0, 1], method="lap"), "method must be one of"),
    (dict(labeled_idx=[0, 1], labels=[0, 1], n_classes=10**9), r"\[2, 3, .*, 11\], \.\.\."),
    (dict(labeled_idx=[0, 1], labels=[0, 1], max_iter=0), "max_iter must be >= 1"),
    (dict(labeled_idx=[0, 1], labels=[0, 1], tol=-1.0), "tol must be >= 0"),
    (dict(labeled_idx=[[0, 1]], labels=[0, 1]), "labeled_idx must be a 1-D array"),
])
def test_harmonic_extension_rejects_bad_labels(kwargs, match):
    W = np.ones((4, 4))
    with pytest.raises(ValueError, match=match):
        harmonic_extension(W, **kwargs)


@pytest.mark.parametrize("kwargs, match", [
    (dict(labeled_idx=[0.5, 1], labels=[0, 1]), "labeled_idx must hold integer indices"),
    (dict(labeled_idx=None, labels=[0, 1]), "labeled_idx must be an array of integer"),
    (dict(labeled_idx=[0, 1], labels=["a", "b"]), "labels must be an array of integer"),
    (dict(labeled_idx=[0, 1], labels=[0, 1], n_classes=2.0), "n_classes must be an integer"),
    (dict(labeled_idx=[0, 1], labels=[0, 1], method=None), "method must be a string"),
    (dict(labeled_idx=[0, 1], labels=[0, 1], max_iter=2.5), "max_iter must be an integer"),
])
def test_harmonic_extension_rejects_wrong_types(kwargs, match):
    with pytest.raises(TypeError, match=match):
        harmonic_extension(np.ones((4, 4)), **kwargs)


def test_harmonic_extension_rejects_bad_weights():
    with pytest.raises(ValueError, match="W must be square"):
        harmonic_extension(np.ones((3, 4)), [0], [0])
    with pytest.raises(ValueError, match="nonnegative"):
        harmonic_extension(-np.ones((3, 3)), [0], [0])
    with pytest.raises(ValueError, match="NaN or inf"):
        harmonic_extension(np.full((3, 3), np.nan), [0], [0])
    with pytest.raises(ValueError, match="W must not be empty"):
        harmonic_extension(np.ones((0, 0)), [0], [0])
    with pytest.raises(TypeError, match="W must be a numeric array"):
        harmonic_extension("W", [0], [0])
    with pytest.raises(ValueError, match="overflow"):
        harmonic_extension(np.full((3, 3), 1e308), [0, 1], [0, 1])


# -- WNLLClassifier ----------------------------------------------------------------------------

def two_moons(n_labeled_per_class=2):
    X, y = make_moons(300, noise=0.06, random_state=0)
    y_partial = np.full_like(y, -1)
    for c in (0, 1):
        y_partial[np.flatnonzero(y == c)[:n_labeled_per_class]] = c
    return X, y, y_partial


@pytest.mark.parametrize("method", ["wnll", "gl"])
def test_classifier_labels_two_moons(method):
    X, y, y_partial = two_moons()
    clf = WNLLClassifier(n_neighbors=10, method=method).fit(X, y_partial)
    assert np.mean(clf.transduction_ == y) > 0.95
    X_new, y_new = make_moons(100, noise=0.06, random_state=1)
    assert clf.score(X_new, y_new) > 0.95
    np.testing.assert_allclose(clf.predict_proba(X_new).sum(axis=1), 1.0, rtol=1e-12)
    np.testing.assert_array_equal(clf.classes_, [0, 1])


def test_classifier_keeps_arbitrary_label_values_and_clones():
    X, y, y_partial = two_moons()
    y_named = np.where(y_partial >= 0, y_partial * 5 + 3, -1)  # classes 3 and 8
    clf = WNLLClassifier(n_neighbors=10).fit(X, y_named)
    assert set(np.unique(clf.transduction_)) == {3, 8}
    assert clone(clf).get_params()["n_neighbors"] == 10


def test_classifier_rejects_bad_input():
    X, _, y_partial = two_moons()
    with pytest.raises(ValueError, match="no labeled point"):
        WNLLClassifier().fit(X, np.full(len(X), -1))
    with pytest.raises(ValueError, match=r"y must hold labels -1 \(unlabeled\) or >= 0"):
        WNLLClassifier().fit(X, np.full(len(X), -2))
    with pytest.raises(ValueError, match="X has 300 rows, y has 10 labels"):
        WNLLClassifier().fit(X, y_partial[:10])
    with pytest.raises(ValueError, match="y must hold integer labels"):
        WNLLClassifier().fit(X, y_partial + 0.5)
    with pytest.raises(ValueError, match="knn must be one of"):
        WNLLClassifier(knn="kdtree").fit(X, y_partial)
    with pytest.raises(TypeError, match="random_state must be None"):
        WNLLClassifier(random_state="x").fit(X, y_partial)
    with pytest.raises(TypeError, match="n_neighbors must be an integer"):
        WNLLClassifier(n_neighbors=2.5).fit(X, y_partial)
    with pytest.raises(ValueError, match="k must be < the number of points"):
        WNLLClassifier(n_neighbors=3).fit(X[:3], [0, 1, -1])
    for method in ("predict", "predict_proba"):  # scikit-learn's error, caught as its types
        with pytest.raises(NotFittedError, match="not fitted"):
            getattr(WNLLClassifier(), method)(X)
    assert issubclass(NotFittedError, ValueError) and issubclass(NotFittedError, AttributeError)
    clf = WNLLClassifier(n_neighbors=10).fit(X, y_partial)
    with pytest.raises(ValueError, match="X must have 2 features"):
        clf.predict(np.ones((3, 5)))


# -- honest status and bad input (issue #18) ---------------------------------------------------

def test_weight_matrix_refuses_unsorted_distance_rows():
    # σ(x) is read off the k_sigma-th entry of a sorted row: an unsorted row would
    # silently give another scale, so it is refused (the docstring requires sorted rows)
    nb = np.array([[1, 2], [0, 2], [0, 1]])
    d = np.array([[1.0, 2.0], [3.0, 1.0], [2.0, 3.0]])
    with pytest.raises(ValueError, match="distances must be non-decreasing.*row 1"):
        weight_matrix(nb, d)
    weight_matrix(nb, np.sort(d, axis=1))  # the same rows sorted are accepted


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(neighbors=np.ones((2, 1)), distances=np.ones((2, 1))), TypeError,
     "neighbors must hold integer indices"),
    (dict(neighbors=np.array([1, 0]), distances=np.ones(2)), ValueError,
     "neighbors must be a 2-D array"),
    (dict(neighbors=np.array([[1], [0]]), distances=np.ones((2, 1)), symmetric="yes"),
     TypeError, "symmetric must be True or False"),
    (dict(neighbors=np.array([[1], [0]]), distances=np.ones((2, 1)), k_sigma=1.0), TypeError,
     "k_sigma must be an integer"),
    (dict(neighbors=np.array([[1], [0]]), distances=[[np.nan], [1.0]]), ValueError,
     "distances contains"),
])
def test_weight_matrix_rejects_wrong_types_and_values(kwargs, error, match):
    with pytest.raises(error, match=match):
        weight_matrix(**kwargs)


def test_knn_graph_takes_rng_only_and_refuses_bad_input():
    X = np.arange(10.0)[:, None]
    with pytest.raises(TypeError, match="seed"):
        knn_graph(X, 2, seed=0)  # the one randomness keyword is rng
    with pytest.raises(TypeError, match="rng must be None"):
        knn_graph(X, 2, rng="0")
    with pytest.raises(TypeError, match="k must be an integer"):
        knn_graph(X, 2.0)
    with pytest.raises(ValueError, match="X must have shape"):
        knn_graph(np.arange(10.0), 2)  # a 1-D array is not a set of points
    with pytest.raises(ValueError, match="X is too large"):
        knn_graph(np.array([[1e200], [0.0], [1.0]]), 1)  # squared distances overflow
    with pytest.raises(TypeError, match="search must be a string"):
        knn_graph(X, 2, search=None)


def test_tol_zero_runs_the_budget_without_claiming_convergence(blobs):
    X, _ = blobs
    W = weight_matrix(*knn_graph(X, 8, search="exact"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # tol=0 is not a failure: no warning
        res = harmonic_extension(W, [0, 60, 120], [0, 1, 2], tol=0.0, max_iter=7)
    assert (res.status, res.success, res.converged, res.nit) == (1, True, False, 7)
    assert res.history["residual"].shape == (8,)  # the start and 7 iterations
    ok = harmonic_extension(W, [0, 60, 120], [0, 1, 2], tol=1e-8)
    assert (ok.status, ok.success, ok.converged) == (0, True, True)
    assert ok.nit == ok.history["residual"].size - 1 and ok.history["residual"][-1] <= 1e-8
    direct = harmonic_extension(W, [0, 60, 120], [0, 1, 2], solver="direct", tol=1e-8)
    assert direct.converged and direct.nit == 0


def test_interrupted_solve_says_so_and_keeps_finite_scores(monkeypatch):
    import pdeopt.kernels

    def interrupted(*args):
        raise KeyboardInterrupt

    real = pdeopt.kernels.select
    monkeypatch.setattr(pdeopt.kernels, "select",
                        lambda name, backend="auto": interrupted if name == "graph.pcg"
                        else real(name, backend))
    W = np.diag(np.ones(5), 1) + np.diag(np.ones(5), -1)
    with pytest.warns(RuntimeWarning, match="interrupted after 0"):
        res = harmonic_extension(W, [0, 5], [0, 1])
    assert (res.status, res.success, res.nit) == (3, False, 0)
    # the unsolved points keep the documented fallback: the labeled class frequencies
    np.testing.assert_allclose(res.x[1:5], 0.5)


def test_classifier_random_state_is_the_nndescent_seed_and_clones():
    X, _, y_partial = two_moons()
    clf = WNLLClassifier(n_neighbors=10, random_state=4)
    assert clone(clf).get_params()["random_state"] == 4
    assert "seed" not in clf.get_params()


def test_direct_solve_that_misses_tol_says_so():
    # LU's relative residual is ~1e-16, never 0: tol = 1e-300 cannot be met
    W = np.diag(np.ones(5), 1) + np.diag(np.ones(5), -1)
    with pytest.warns(ConvergenceWarning, match="direct solve ended with relative residual"):
        res = harmonic_extension(W, [0, 5], [0, 1], method="gl", solver="direct", tol=1e-300)
    assert (res.status, res.success, res.nit) == (2, False, 0)
    np.testing.assert_allclose(res.x[:, 1], np.linspace(0, 1, 6), atol=1e-14)  # still solved
