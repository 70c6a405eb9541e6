"""A scikit-learn style semi-supervised classifier by GL / WNLL harmonic extension."""
from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin

from .._checks import (as_float_array, as_rng, check_budget, check_integer, check_labels,
                       check_option)
from .._errors import NotFittedError
from .harmonic import harmonic_extension
from .knn import (as_points, brute_force_neighbors, knn_graph, pair_distances,
                  self_tuning_sigma, weight_matrix)

__all__ = ["WNLLClassifier", "interpolate"]


def interpolate(X_fit, scores, X_new, *, n_neighbors=15, k_sigma=None):
    r"""Scores at new points from the scores of a fitted graph.

    A new point x, joined to the fitted points by its k nearest neighbours
    with the same self-tuning weights, satisfies the harmonic condition
    Σ_y w(x,y)(u(x) − u(y)) = 0 with the fitted scores held fixed, i.e.

    .. math::  u(x) = \frac{\sum_{y} w(x,y)\,u(y)}{\sum_y w(x,y)}.

    Parameters
    ----------
    X_fit : ndarray, shape (n, d)
        The fitted points.
    scores : ndarray, shape (n, C)
        Their scores (from :func:`harmonic_extension`).
    X_new : array_like, shape (n_new, d) or (n_new, ...)
        Points to score.
    n_neighbors, k_sigma : int
        As in :func:`weight_matrix` (capped at the number of fitted points).

    Returns
    -------
    ndarray, shape (n_new, C)
        The interpolated scores (convex combinations of rows of ``scores``).

    Examples
    --------
    >>> X_fit = np.array([[0.0], [1.0], [2.0]])
    >>> scores = np.array([[1.0, 0.0], [0.5, 0.5], [0.0, 1.0]])
    >>> # 0.5 is as far from 0 as from 1: equal weights, the mean of their scores
    >>> interpolate(X_fit, scores, [[0.5], [1.5]], n_neighbors=2)
    array([[0.75, 0.25],
           [0.25, 0.75]])
    """
    return _interpolate(X_fit, scores, X_new, n_neighbors, k_sigma, "X_new")


def _interpolate(X_fit, scores, X_new, n_neighbors, k_sigma, new_name):
    X_fit = as_points(X_fit, "X_fit")
    scores = as_float_array(scores, "scores", ndim=2, dtype=np.float64)
    if scores.shape[0] != X_fit.shape[0]:
        raise ValueError(f"scores must have one row per point of X_fit ({X_fit.shape[0]}), "
                         f"got shape {scores.shape}")
    X_new = as_points(X_new, new_name)
    if X_new.shape[1] != X_fit.shape[1]:
        raise ValueError(f"{new_name} must have {X_fit.shape[1]} features (as the fitted "
                         f"points), got {X_new.shape[1]}")
    k = min(check_integer(n_neighbors, "n_neighbors", minimum=1), X_fit.shape[0])
    if k_sigma is not None:
        k_sigma = check_integer(k_sigma, "k_sigma", minimum=1)
    k_sigma = (k + 1) // 2 if k_sigma is None else min(k_sigma, k)
    neighbors = brute_force_neighbors(X_new, X_fit, k)
    distances = pair_distances(X_new, X_fit, neighbors)
    sigma, _ = self_tuning_sigma(np.sort(distances, axis=1), k_sigma)
    w = np.exp(-(distances / sigma[:, None]) ** 2)
    return np.einsum("ij,ijc->ic", w, scores[neighbors]) / w.sum(axis=1, keepdims=True)


class WNLLClassifier(ClassifierMixin, BaseEstimator):
    """Semi-supervised classification by WNLL (or GL) harmonic extension on a kNN graph.

    ``fit(X, y)`` takes every point, labeled or not (``y = -1`` marks the
    unlabeled ones, scikit-learn's semi-supervised convention), builds the
    k-nearest-neighbour graph with self-tuning Gaussian weights
    (:func:`knn_graph`, :func:`weight_matrix`) and solves the WNLL or GL
    equations for all classes (:func:`harmonic_extension`). With
    ``backend="cuda"`` that solve runs on the GPU (CuPy); the kNN graph is still
    built on the CPU (as is ``predict``'s interpolation, a kNN search of the new
    points), and every attribute and prediction is a NumPy array.

    Parameters
    ----------
    n_neighbors : int
        k of the kNN graph (15 in Wang et al. 2018).
    method : {"wnll", "gl"}
    k_sigma : int, optional
        Neighbour that sets the scale σ(x); default ``(n_neighbors + 1) // 2``.
    knn : {"auto", "exact", "nndescent"}
        Neighbour search of :func:`knn_graph`.
    solver : {"cg", "direct"}
    tol : float
        Relative residual at which CG stops (:func:`harmonic_extension`).
    max_iter : int
        CG iteration budget.
    backend : {"auto", "numpy", "numba", "cuda"}
        Where the harmonic extension's CG runs (:func:`harmonic_extension`); the
        weights are computed on the CPU (``"auto"`` for ``"cuda"``).
    random_state : None, int or numpy.random.Generator
        Randomness of the approximate neighbour search (scikit-learn's name).

    Attributes
    ----------
    classes_ : ndarray
        The distinct labels of the labeled points (sorted).
    transduction_ : ndarray, shape (n,)
        The label of every fitted point (the given one where labeled).
    label_distributions_ : ndarray, shape (n, n_classes)
        The harmonic scores (rows sum to 1 up to the CG tolerance).
    result_ : pdeopt.Result
        What :func:`harmonic_extension` returned (residual history, iterations).

    Examples
    --------
    >>> from sklearn.datasets import make_moons
    >>> X, y = make_moons(200, noise=0.05, random_state=0)
    >>> y_partial = np.full_like(y, -1)
    >>> y_partial[[np.flatnonzero(y == 0)[0], np.flatnonzero(y == 1)[0]]] = [0, 1]
    >>> clf = WNLLClassifier(n_neighbors=10).fit(X, y_partial)
    >>> bool((clf.transduction_ == y).mean() > 0.9)
    True

    References
    ----------
    Z. Shi, S. Osher, W. Zhu, J. Sci. Comput. 73 (2017); B. Wang, X. Luo, Z. Li,
    W. Zhu, Z. Shi, S. Osher, "Deep neural nets with interpolating function as
    output activation", NeurIPS 2018 (arXiv 1802.00168).
    """

    def __init__(self, n_neighbors=15, *, method="wnll", k_sigma=None, knn="auto", solver="cg",
                 tol=1e-6, max_iter=2000, backend="auto", random_state=0):
        self.n_neighbors = n_neighbors
        self.method = method
        self.k_sigma = k_sigma
        self.knn = knn
        self.solver = solver
        self.tol = tol
        self.max_iter = max_iter
        self.backend = backend
        self.random_state = random_state
        self._check_params()  # stored as given (scikit-learn's clone), refused when bad

    def _check_params(self):
        """Check the parameters (at construction, and again in fit after set_params)."""
        check_option(self.method, "method", ("wnll", "gl"))
        check_option(self.solver, "solver", ("cg", "direct"))
        check_option(self.knn, "knn", ("auto", "exact", "nndescent"))
        check_option(self.backend, "backend", ("auto", "numpy", "numba", "cuda"))
        check_integer(self.n_neighbors, "n_neighbors", minimum=1)
        if self.k_sigma is not None:
            check_integer(self.k_sigma, "k_sigma", minimum=1)
        check_budget(self.max_iter, self.tol)
        as_rng(self.random_state, name="random_state")

    def fit(self, X, y):
        """Label every point of ``X`` from those with ``y >= 0``; returns ``self``.

        ``y`` holds one integer label per row of ``X``: ``-1`` for unlabeled points,
        and at least one label.
        """
        self._check_params()
        X = as_points(X)
        n_labels = np.shape(y)[0] if np.ndim(y) == 1 else None
        if n_labels is not None and n_labels != X.shape[0]:
            raise ValueError(f"X and y must have as many samples: X has {X.shape[0]} rows, "
                             f"y has {n_labels} labels")
        y = check_labels(y, "y", size=X.shape[0], allow_unlabeled=True)
        k = self.n_neighbors
        rng = as_rng(self.random_state, name="random_state")
        labeled = np.flatnonzero(y >= 0)
        if labeled.size == 0:
            raise ValueError("y has no labeled point (all are -1)")
        self.classes_, codes = np.unique(y[labeled], return_inverse=True)
        neighbors, distances = knn_graph(X, k, search=self.knn, rng=rng)
        W = weight_matrix(neighbors, distances, k_sigma=self.k_sigma,
                          backend="auto" if self.backend == "cuda" else self.backend)
        self.result_ = harmonic_extension(W, labeled, codes, method=self.method,
                                          n_classes=self.classes_.size, solver=self.solver,
                                          tol=self.tol, max_iter=self.max_iter,
                                          backend=self.backend)
        self.X_fit_ = X
        self.label_distributions_ = self.result_.x
        self.transduction_ = self.classes_[self.result_.info["labels"]]
        return self

    def _check_fitted(self):
        if not hasattr(self, "X_fit_"):
            raise NotFittedError("this WNLLClassifier is not fitted yet: call fit(X, y) first")

    def predict_proba(self, X):
        """Scores of new points by :func:`interpolate`, normalised to sum to 1 per row.

        (The harmonic scores sum to 1 exactly only up to the CG tolerance.)
        """
        self._check_fitted()
        u = _interpolate(self.X_fit_, self.label_distributions_, X, self.n_neighbors,
                         self.k_sigma, "X")
        u = np.clip(u, 0.0, None)
        total = u.sum(axis=1, keepdims=True)
        # scores sum to 1 up to the CG tolerance, so a zero row is only a failed solve's
        return np.divide(u, total, out=np.full_like(u, 1.0 / u.shape[1]), where=total > 0)

    def predict(self, X):
        """Labels of new points: the class of largest interpolated score."""
        self._check_fitted()
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]
