r"""Relaxed variable splitting coarse gradient descent (RVSCGD) and its ADMM comparison.

The model (Dinh & Xin 2020; Yin et al. 2019): a one-hidden-layer non-overlap
convolutional net with binarized ReLU σ(z) = 1{z > 0},

    h(Z, w) = (1/k)·Σ_{i=1..k} σ(Z_iᵀw),   Z ∈ R^{k×d} with i.i.d. N(0, 1) entries,

a teacher w* with ‖w*‖ = 1 and the sample loss ℓ(w; Z) = ½(h(Z, w) − h(Z, w*))².
Its gradient is zero almost everywhere; the *coarse* gradient replaces σ′ by the
ReLU derivative σ:

    g(w; Z) = (h(Z, w) − h(Z, w*))·(1/k)·Σ_i σ(Z_iᵀw) Z_i,

and in expectation (θ = ∠(w, w*))

    f(w) = E ℓ = θ/(2πk),          E g = (w/‖w‖ − w*)/(2k√(2π)).
"""
from __future__ import annotations

import numpy as np

from .._checks import (as_float_array, as_rng, check_budget, check_callable, check_choice,
                       check_integer, check_momentum, check_nonnegative, check_positive)
from .._result import Recorder
from ..nn.optimizers import check_step_arrays
from ..prox.thresholding import PENALTIES, penalty, threshold

__all__ = ["angle", "population_loss", "expected_coarse_gradient", "sample_inputs",
           "sample_loss_and_coarse_gradient", "rvscgd", "admm_sparse", "RVSCGD"]


def _nonzero_vector(value, name):
    value = as_float_array(value, name, ndim=1)
    if not np.any(value):
        raise ValueError(f"{name} must be nonzero (its direction is used)")
    return value


def angle(w, v):
    """θ(w, v) in [0, π], as 2·atan2(‖ŵ − v̂‖, ‖ŵ + v̂‖): accurate also near 0 and π.

    Examples
    --------
    >>> round(angle([1.0, 0.0], [1.0, 1.0]), 6)  # π/4
    0.785398
    """
    w, v = _nonzero_vector(w, "w"), _nonzero_vector(v, "v")
    if w.shape != v.shape:
        raise ValueError(f"w and v must have the same length, got {w.size} and {v.size}")
    wh = w / np.linalg.norm(w)
    vh = v / np.linalg.norm(v)
    return float(2.0 * np.arctan2(np.linalg.norm(wh - vh), np.linalg.norm(wh + vh)))


def _check_model(w, w_star, k, name="w"):
    w = _nonzero_vector(w, name)
    w_star = as_float_array(w_star, "w_star", ndim=1)
    if w.size != w_star.size:
        raise ValueError(f"{name} and w_star must have the same length, got {w.size} and "
                         f"{w_star.size}")
    if not np.isclose(np.linalg.norm(w_star), 1.0, rtol=1e-10):
        raise ValueError(f"w_star must have unit norm, got {np.linalg.norm(w_star)}")
    return w, w_star, check_integer(k, "k", minimum=1)


def population_loss(w, w_star, k):
    r"""f(w) = E_Z ½(h(Z, w) − h(Z, w*))² = θ(w, w*)/(2πk) for Gaussian Z.

    Each patch contributes independently: σ(Z_iᵀw) and σ(Z_iᵀw*) disagree with
    probability θ/π, so E(Σ_i d_i)² = kθ/π and f = kθ/(2πk²).

    Examples
    --------
    >>> round(population_loss([0.0, 1.0], [1.0, 0.0], 2), 6)  # θ = π/2: 1/(4k)
    0.125
    """
    w, w_star, k = _check_model(w, w_star, k)
    return angle(w, w_star) / (2 * np.pi * k)


def expected_coarse_gradient(w, w_star, k):
    r"""E_Z g(w; Z) = (w/‖w‖ − w*)/(2k√(2π)) (Yin et al. 2019, Lemma 2 of Dinh & Xin 2020).

    From E[σ(Zᵀw)Z] = ŵ/√(2π) and E[σ(Zᵀw)σ(Zᵀw*)Z] = (ŵ + w*)/(2√(2π)), ŵ = w/‖w‖.

    Examples
    --------
    >>> expected_coarse_gradient([2.0, 0.0], [1.0, 0.0], 3).tolist()  # ŵ = w*: zero
    [0.0, 0.0]
    """
    w, w_star, k = _check_model(w, w_star, k)
    return (w / np.linalg.norm(w) - w_star) / (2 * k * np.sqrt(2 * np.pi))


def sample_inputs(m, k, d, *, rng=None):
    """m i.i.d. inputs Z ∈ R^{k×d} with N(0, 1) entries, shape (m, k, d).

    Examples
    --------
    >>> sample_inputs(5, 3, 4, rng=0).shape
    (5, 3, 4)
    """
    m = check_integer(m, "m", minimum=1)
    k = check_integer(k, "k", minimum=1)
    d = check_integer(d, "d", minimum=1)
    return as_rng(rng).standard_normal((m, k, d))


def sample_loss_and_coarse_gradient(w, Z, w_star):
    r"""Mean sample loss and mean coarse gradient over the inputs Z (shape (m, k, d)).

    .. math:: \ell = \tfrac12 (h(Z,w) - h(Z,w^*))^2,\quad
              g = (h(Z,w) - h(Z,w^*))\,\tfrac1k \textstyle\sum_i \sigma(Z_i^\top w) Z_i

    Examples
    --------
    >>> import numpy as np
    >>> Z = sample_inputs(100, 2, 3, rng=0)
    >>> loss, grad = sample_loss_and_coarse_gradient(np.array([1.0, 0, 0]), Z, [1.0, 0, 0])
    >>> loss, grad.tolist()  # the teacher itself: no loss, no gradient
    (0.0, [0.0, 0.0, 0.0])
    """
    w_star = as_float_array(w_star, "w_star", ndim=1)
    Z = _check_inputs(Z, w_star.size)
    w, w_star, _ = _check_model(w, w_star, Z.shape[1])
    return _loss_and_coarse_gradient(w, Z, w_star)


def _check_inputs(Z, d):
    Z = as_float_array(Z, "Z", ndim=3)
    if Z.shape[2] != d:
        raise ValueError(f"Z must have shape (m, k, {d}), d the length of w_star, got "
                         f"{Z.shape}")
    return Z


def _loss_and_coarse_gradient(w, Z, w_star):
    m, k, d = Z.shape
    Z2 = Z.reshape(m * k, d)              # one BLAS product per pass instead of an einsum
    act = (Z2 @ w > 0).reshape(m, k)      # σ(Z_iᵀw)
    diff = act.mean(axis=1) - (Z2 @ w_star > 0).reshape(m, k).mean(axis=1)
    loss = 0.5 * float(np.mean(diff ** 2))
    grad = Z2.T @ (diff[:, None] * act).ravel() / (m * k)
    return loss, grad


def _gradient_oracle(w_star, k, Z):
    if Z is None:
        return (lambda w: population_loss(w, w_star, k),
                lambda w: expected_coarse_gradient(w, w_star, k))
    Z = _check_inputs(Z, w_star.size)
    if Z.shape[1] != k:
        raise ValueError(f"Z must have shape (m, {k}, {w_star.size}), got {Z.shape}")
    cache = {}

    def evaluate(w):  # loss and gradient come from one pass; keep the last one
        key = w.tobytes()
        if key not in cache:
            cache.clear()
            cache[key] = _loss_and_coarse_gradient(w, Z, w_star)
        return cache[key]
    return (lambda w: evaluate(w)[0], lambda w: evaluate(w)[1])


def _setup(w0, w_star, k, lam, beta, lr, kind, a, max_iter, tol):
    w, w_star, k = _check_model(w0, w_star, k, "w0")
    check_nonnegative(lam, "lam")
    check_positive(beta, "beta")
    check_positive(lr, "lr")
    check_choice(kind, "penalty_kind", PENALTIES)
    check_positive(a, "a")
    max_iter, tol = check_budget(max_iter, tol)
    return w / np.linalg.norm(w), w_star, k, max_iter, tol


def rvscgd(w0, w_star, k, *, lam, beta, lr, max_iter, penalty_kind="l0", a=1.0, Z=None,
           tol=0.0, callback=None):
    r"""RVSCGD on the non-overlap binarized-ReLU model (Dinh & Xin 2020, Algorithm 1).

    Minimises the relaxed Lagrangian
    L_β(u, w) = f(w) + λP(u) + (β/2)‖w − u‖² by alternating

    .. math::
        u^{t+1} = \operatorname{prox}_{(\lambda/\beta) P}(w^t),\qquad
        w^{t+1} = \frac{w^t - \eta\,(g(w^t) + \beta(w^t - u^{t+1}))}
                       {\|w^t - \eta\,(g(w^t) + \beta(w^t - u^{t+1}))\|}

    with P = ℓ0, ℓ1 or transformed ℓ1 and g the coarse gradient: the expected one
    in closed form (population, ``Z=None``) or the mean over the sample ``Z``.

    Parameters
    ----------
    w0 : array_like, shape (d,)
        Start (normalised first).
    w_star : array_like, shape (d,)
        Teacher weights, ‖w*‖ = 1.
    k : int
        Number of patches.
    lam : float
        λ ≥ 0.
    beta : float
        β > 0.
    lr : float
        η > 0.
    max_iter : int
        Iteration budget ≥ 1.
    penalty_kind : {"l0", "l1", "tl1"}
    a : float
        Transformed-ℓ1 parameter, > 0.
    Z : array_like, shape (m, k, d), optional
        Training inputs (sample version); ``None``: the population version.
    tol : float
        Stopping test ‖w^{t+1} − w^t‖ ≤ tol (converged); 0 runs the whole budget.
    callback : callable, optional
        ``callback(it)`` after each iteration (a :class:`pdeopt.Iterate`); True stops.

    Returns
    -------
    Result
        ``x`` = w (unit norm); ``info["u"]`` the sparse variable ū;
        history ``lagrangian`` (with the population f), ``loss`` (f(w), population;
        or the sample loss when Z is given), ``angle`` θ(w, w*), ``angle_u`` θ(u, w*),
        ``nnz`` (nonzeros of u).

    References
    ----------
    .. [1] T. Dinh, J. Xin, "Convergence of a relaxed variable splitting coarse gradient
       descent method for learning sparse weight binarized activation neural network",
       Front. Appl. Math. Stat. 6:13 (2020).
    .. [2] P. Yin, S. Zhang, J. Lyu, S. Osher, Y. Qi, J. Xin, "Blended coarse gradient descent
       for full quantization of deep neural networks", Res. Math. Sci. 6:14 (2019).

    Examples
    --------
    >>> import numpy as np
    >>> w_star = np.array([0.6, 0.8, 0.0, 0.0])
    >>> res = rvscgd([1.0, 1.0, 1.0, 1.0], w_star, 4, lam=1e-3, beta=0.1, lr=5.0,
    ...              max_iter=200)
    >>> res.status, bool(res.history["angle"][-1] < 0.1 * res.history["angle"][0])
    (1, True)
    """
    rec, w, u, _ = _splitting("rvscgd", w0, w_star, k, lam, beta, lr, penalty_kind, a, Z,
                              max_iter, tol, callback, admm=False)
    u = threshold(w, lam / beta, penalty_kind, a=a)
    return rec.result(w, u=u)


def _splitting(method, w0, w_star, k, lam, beta, lr, kind, a, Z, max_iter, tol, callback, *,
               admm):
    """The loop of :func:`rvscgd` (``admm=False``) and :func:`admm_sparse`: (rec, w, u, z)."""
    w, w_star, k, max_iter, tol = _setup(w0, w_star, k, lam, beta, lr, kind, a, max_iter, tol)
    loss_fn, grad_fn = _gradient_oracle(w_star, k, Z)
    rec = Recorder(method, max_iter=max_iter, tol=tol, callback=callback, lam=lam, beta=beta,
                   lr=lr, penalty=kind, a=a, sample=Z is not None)
    z = np.zeros_like(w) if admm else None
    u = threshold(w, lam / beta, kind, a=a)
    with rec.running():
        for t in range(max_iter):
            u = threshold(w if z is None else w + z / beta, lam / beta, kind, a=a)
            _log(rec, w, u, w_star, k, lam, beta, kind, a, loss_fn)
            g = grad_fn(w) if z is None else grad_fn(w) + z
            w_new = _normalized_step(rec, t, w, lr * (g + beta * (w - u)))
            if z is not None:
                z = z + beta * (w_new - u)
            moved = float(np.linalg.norm(w_new - w))
            w = w_new
            if rec.end_iteration(w, residual=moved):
                break
    return rec, w, u, z


def _normalized_step(rec, t, w, descent):
    """w − descent, normalized; a NaN or a zero step is the divergence of iteration t."""
    step = w - descent
    norm = float(np.linalg.norm(step))
    if not (np.isfinite(norm) and norm > 0):
        raise rec.diverged(t, "the normalized weights")
    return step / norm


def _log(rec, w, u, w_star, k, lam, beta, kind, a, loss_fn):
    f_pop = angle(w, w_star) / (2 * np.pi * k)
    lagr = (f_pop + lam * float(np.sum(penalty(u, kind, a=a)))
            + 0.5 * beta * float(np.sum((w - u) ** 2)))
    rec.log(lagrangian=lagr, loss=loss_fn(w), angle=angle(w, w_star),
            angle_u=angle(u, w_star) if np.any(u) else np.pi / 2, nnz=int(np.count_nonzero(u)))


def admm_sparse(w0, w_star, k, *, lam, beta, lr, max_iter, penalty_kind="l0", a=1.0, Z=None,
                tol=0.0, callback=None):
    r"""ADMM for min f(w) + λP(u) s.t. w = u on the same model, for comparison with RVSCGD.

    Augmented Lagrangian f(w) + λP(u) + ⟨z, w − u⟩ + (β/2)‖w − u‖², with the
    w-minimisation replaced by one normalised coarse-gradient step, as in practice
    (Dinh & Xin 2020, Section 3.3)::

        u ← prox_{(λ/β)P}(w + z/β)
        w ← normalize(w − η(g(w) + z + β(w − u)))
        z ← z + β(w − u)

    Parameters and return value as :func:`rvscgd` (the same stopping test
    ‖w^{t+1} − w^t‖ ≤ tol); ``info["z"]`` is the multiplier.

    Examples
    --------
    >>> import numpy as np
    >>> w_star = np.array([0.6, 0.8, 0.0, 0.0])
    >>> res = admm_sparse([1.0, 1.0, 1.0, 1.0], w_star, 4, lam=1e-3, beta=0.1, lr=5.0,
    ...                   max_iter=200)
    >>> res.nit, bool(res.history["angle"][-1] < 0.1 * res.history["angle"][0])
    (200, True)
    """
    rec, w, u, z = _splitting("admm", w0, w_star, k, lam, beta, lr, penalty_kind, a, Z,
                              max_iter, tol, callback, admm=True)
    return rec.result(w, u=u, z=z)


def _check_layers(layers):
    """The slices of ``layers`` (slices or (name, slice) pairs), checked."""
    if isinstance(layers, (str, bytes, slice)) or not hasattr(layers, "__iter__"):
        raise TypeError(f"layers must be a sequence of slices or (name, slice) pairs, got "
                        f"{type(layers).__name__}")
    out = [s[1] if isinstance(s, tuple) and len(s) == 2 else s for s in layers]
    for s in out:
        if not isinstance(s, slice):
            raise TypeError(f"layers must hold slices or (name, slice) pairs, got "
                            f"{type(s).__name__}")
    return out


class RVSCGD:
    r"""RVSCGD as an optimizer on a flat weight vector (the ``nn`` optimizer API).

    For the weight entries in ``layers`` (all entries when ``None``)::

        u = prox_{(λ/β)P}(w)
        w ← w − γ (∇f(w) + β(w − u))        (heavy-ball momentum optional)

    Entries outside the layers (biases) take plain SGD steps. ``grad`` is whatever
    gradient the model provides — with binarized activations, the coarse
    gradient of its surrogate. After training, :meth:`sparse` gives the
    thresholded weights u (biases from w): the sparse network.

    Parameters
    ----------
    lr : float
        γ > 0.
    lam : float
        λ ≥ 0 (the threshold parameter is λ/β).
    beta : float
        β > 0.
    penalty_kind : {"l0", "l1", "tl1"}
    a : float
        Transformed-ℓ1 parameter, > 0.
    layers : sequence of slices or (name, slice) pairs, optional
    momentum : float
        Heavy-ball momentum in [0, 1).
    weight_decay : float
    schedule : callable, optional
        epoch → factor of ``lr``.

    Examples
    --------
    >>> import numpy as np
    >>> opt = RVSCGD(0.1, lam=0.02, beta=1.0, penalty_kind="l1", layers=[slice(0, 2)])
    >>> w = np.array([0.5, 0.01, 0.3])
    >>> opt.sparse(w).tolist()  # soft threshold λ/β = 0.02 on the layer, the bias kept
    [0.48, 0.0, 0.3]
    """

    def __init__(self, lr, *, lam, beta, penalty_kind="l0", a=1.0, layers=None, momentum=0.0,
                 weight_decay=0.0, schedule=None):
        self.base_lr = self.lr = check_positive(lr, "lr")
        self.lam = check_nonnegative(lam, "lam")
        self.beta = check_positive(beta, "beta")
        self.penalty_kind = check_choice(penalty_kind, "penalty_kind", PENALTIES)
        self.a = check_positive(a, "a")
        self.layers = None if layers is None else _check_layers(layers)
        self.momentum = check_momentum(momentum)
        self.weight_decay = check_nonnegative(weight_decay, "weight_decay")
        self.schedule = None if schedule is None else check_callable(schedule, "schedule")
        self._velocity = None

    def __repr__(self):
        return (f"RVSCGD(lr={self.base_lr}, lam={self.lam}, beta={self.beta}, "
                f"penalty_kind={self.penalty_kind!r}, momentum={self.momentum})")

    def on_epoch(self, epoch):
        if self.schedule is not None:
            self.lr = self.base_lr * float(self.schedule(epoch))

    def _mask(self, n):
        if self.layers is None:
            return slice(None)
        mask = np.zeros(n, dtype=bool)
        for sl in self.layers:
            mask[sl] = True
        return mask

    def sparse(self, params):
        """u: the layers' weights thresholded, other entries copied (a new vector)."""
        out = np.array(params, dtype=float)
        m = self._mask(out.size)
        out[m] = threshold(out[m], self.lam / self.beta, self.penalty_kind, a=self.a)
        return out

    def step(self, params, grad, oracle=None):
        """One step on ``params`` (a float array, updated in place) along ``grad``."""
        check_step_arrays(params, grad)
        u = self.sparse(params)
        g = grad + self.beta * (params - u)  # zero outside the layers, where u = w
        if self.weight_decay:
            g = g + self.weight_decay * params
        if self.momentum:
            if self._velocity is None:
                self._velocity = np.zeros_like(params)
            self._velocity *= self.momentum
            self._velocity += g
            g = self._velocity
        params -= self.lr * g
