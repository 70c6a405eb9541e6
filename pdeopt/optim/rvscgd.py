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

from pdeopt._checks import (as_float_array, as_rng, check_choice, check_integer,
                            check_nonnegative, check_positive)
from pdeopt._result import Recorder
from pdeopt.prox.thresholding import PENALTIES, penalty, threshold

__all__ = ["angle", "population_loss", "expected_coarse_gradient", "sample_inputs",
           "sample_loss_and_coarse_gradient", "rvscgd", "admm_sparse", "RVSCGD"]


def angle(w, v):
    """θ(w, v) in [0, π], as 2·atan2(‖ŵ − v̂‖, ‖ŵ + v̂‖): accurate also near 0 and π."""
    wh = np.asarray(w, dtype=float) / np.linalg.norm(w)
    vh = np.asarray(v, dtype=float) / np.linalg.norm(v)
    return float(2.0 * np.arctan2(np.linalg.norm(wh - vh), np.linalg.norm(wh + vh)))


def _check_model(w, w_star, k):
    w = as_float_array(w, "w", ndim=1)
    w_star = as_float_array(w_star, "w_star", ndim=1)
    if w.size != w_star.size:
        raise ValueError(f"w and w_star must have the same length, got {w.size} and {w_star.size}")
    if not np.isclose(np.linalg.norm(w_star), 1.0, rtol=1e-10):
        raise ValueError(f"w_star must have unit norm, got {np.linalg.norm(w_star)}")
    if np.linalg.norm(w) == 0:
        raise ValueError("w must be nonzero")
    return w, w_star, check_integer(k, "k", minimum=1)


def population_loss(w, w_star, k):
    r"""f(w) = E_Z ½(h(Z, w) − h(Z, w*))² = θ(w, w*)/(2πk) for Gaussian Z.

    Each patch contributes independently: σ(Z_iᵀw) and σ(Z_iᵀw*) disagree with
    probability θ/π, so E(Σ_i d_i)² = kθ/π and f = kθ/(2πk²).
    """
    w, w_star, k = _check_model(w, w_star, k)
    return angle(w, w_star) / (2 * np.pi * k)


def expected_coarse_gradient(w, w_star, k):
    r"""E_Z g(w; Z) = (w/‖w‖ − w*)/(2k√(2π)) (Yin et al. 2019, Lemma 2 of Dinh & Xin 2020).

    From E[σ(Zᵀw)Z] = ŵ/√(2π) and E[σ(Zᵀw)σ(Zᵀw*)Z] = (ŵ + w*)/(2√(2π)), ŵ = w/‖w‖.
    """
    w, w_star, k = _check_model(w, w_star, k)
    return (w / np.linalg.norm(w) - w_star) / (2 * k * np.sqrt(2 * np.pi))


def sample_inputs(m, k, d, *, rng=None, seed=None):
    """m i.i.d. inputs Z ∈ R^{k×d} with N(0, 1) entries, shape (m, k, d)."""
    m = check_integer(m, "m", minimum=1)
    k = check_integer(k, "k", minimum=1)
    d = check_integer(d, "d", minimum=1)
    return as_rng(rng, seed).standard_normal((m, k, d))


def sample_loss_and_coarse_gradient(w, Z, w_star):
    r"""Mean sample loss and mean coarse gradient over the inputs Z (shape (m, k, d)).

    .. math:: \ell = \tfrac12 (h(Z,w) - h(Z,w^*))^2,\quad
              g = (h(Z,w) - h(Z,w^*))\,\tfrac1k \textstyle\sum_i \sigma(Z_i^\top w) Z_i
    """
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
    Z = as_float_array(Z, "Z", ndim=3)
    if Z.shape[1] != k or Z.shape[2] != w_star.size:
        raise ValueError(f"Z must have shape (m, {k}, {w_star.size}), got {Z.shape}")
    cache = {}

    def evaluate(w):  # loss and gradient come from one pass; keep the last one
        key = w.tobytes()
        if key not in cache:
            cache.clear()
            cache[key] = sample_loss_and_coarse_gradient(w, Z, w_star)
        return cache[key]
    return (lambda w: evaluate(w)[0], lambda w: evaluate(w)[1])


def _setup(w0, w_star, k, lam, beta, lr, kind, n_iter):
    w, w_star, k = _check_model(w0, w_star, k)
    check_nonnegative(lam, "lam")
    check_positive(beta, "beta")
    check_positive(lr, "lr")
    check_choice(kind, "penalty", PENALTIES)
    check_integer(n_iter, "n_iter", minimum=1)
    return w / np.linalg.norm(w), w_star, k


def rvscgd(w0, w_star, k, *, lam, beta, lr, n_iter, penalty_kind="l0", a=1.0, Z=None,
           tol=0.0):
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
    lam, beta, lr : float
        λ ≥ 0, β > 0, η > 0.
    n_iter : int
    penalty_kind : {"l0", "l1", "tl1"}
    a : float
        Transformed-ℓ1 parameter.
    Z : array_like, shape (m, k, d), optional
        Training inputs (sample version); ``None``: the population version.
    tol : float
        Stop when ‖w^{t+1} − w^t‖ ≤ tol.

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
    """
    w, w_star, k = _setup(w0, w_star, k, lam, beta, lr, penalty_kind, n_iter)
    loss_fn, grad_fn = _gradient_oracle(w_star, k, Z)
    rec = Recorder(method="rvscgd", lam=lam, beta=beta, lr=lr, penalty=penalty_kind, a=a,
                   sample=Z is not None)
    u = threshold(w, lam / beta, penalty_kind, a=a)
    converged = False
    with rec.running():
        for t in range(n_iter):
            u = threshold(w, lam / beta, penalty_kind, a=a)
            _log(rec, w, u, w_star, k, lam, beta, penalty_kind, a, loss_fn)
            step = w - lr * (grad_fn(w) + beta * (w - u))
            w_new = step / np.linalg.norm(step)
            moved = float(np.linalg.norm(w_new - w))
            w = w_new
            if moved <= tol:
                converged = True
                break
    u = threshold(w, lam / beta, penalty_kind, a=a)
    return rec.result(w, converged=converged, u=u)


def _log(rec, w, u, w_star, k, lam, beta, kind, a, loss_fn):
    f_pop = angle(w, w_star) / (2 * np.pi * k)
    lagr = (f_pop + lam * float(np.sum(penalty(u, kind, a=a)))
            + 0.5 * beta * float(np.sum((w - u) ** 2)))
    rec.log(lagrangian=lagr, loss=loss_fn(w), angle=angle(w, w_star),
            angle_u=angle(u, w_star) if np.any(u) else np.pi / 2, nnz=int(np.count_nonzero(u)))


def admm_sparse(w0, w_star, k, *, lam, beta, lr, n_iter, penalty_kind="l0", a=1.0, Z=None,
                tol=0.0):
    r"""ADMM for min f(w) + λP(u) s.t. w = u on the same model, for comparison with RVSCGD.

    Augmented Lagrangian f(w) + λP(u) + ⟨z, w − u⟩ + (β/2)‖w − u‖², with the
    w-minimisation replaced by one normalised coarse-gradient step, as in practice
    (Dinh & Xin 2020, Section 3.3)::

        u ← prox_{(λ/β)P}(w + z/β)
        w ← normalize(w − η(g(w) + z + β(w − u)))
        z ← z + β(w − u)

    Parameters and return value as :func:`rvscgd`; ``info["z"]`` is the multiplier.
    """
    w, w_star, k = _setup(w0, w_star, k, lam, beta, lr, penalty_kind, n_iter)
    loss_fn, grad_fn = _gradient_oracle(w_star, k, Z)
    rec = Recorder(method="admm", lam=lam, beta=beta, lr=lr, penalty=penalty_kind, a=a,
                   sample=Z is not None)
    z = np.zeros_like(w)
    u = threshold(w, lam / beta, penalty_kind, a=a)
    converged = False
    with rec.running():
        for t in range(n_iter):
            u = threshold(w + z / beta, lam / beta, penalty_kind, a=a)
            _log(rec, w, u, w_star, k, lam, beta, penalty_kind, a, loss_fn)
            step = w - lr * (grad_fn(w) + z + beta * (w - u))
            w_new = step / np.linalg.norm(step)
            z = z + beta * (w_new - u)
            moved = float(np.linalg.norm(w_new - w))
            w = w_new
            if moved <= tol:
                converged = True
                break
    return rec.result(w, converged=converged, u=u, z=z)


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
    lam, beta : float
        λ ≥ 0, β > 0; the threshold parameter is λ/β.
    penalty_kind : {"l0", "l1", "tl1"}
    a : float
    layers : sequence of slices or (name, slice) pairs, optional
    momentum, weight_decay : float
    schedule : callable, optional
        epoch → factor of ``lr``.
    """

    def __init__(self, lr, *, lam, beta, penalty_kind="l0", a=1.0, layers=None, momentum=0.0,
                 weight_decay=0.0, schedule=None):
        self.base_lr = self.lr = check_positive(lr, "lr")
        self.lam = check_nonnegative(lam, "lam")
        self.beta = check_positive(beta, "beta")
        self.penalty_kind = check_choice(penalty_kind, "penalty", PENALTIES)
        self.a = check_positive(a, "a")
        self.layers = None if layers is None else [s[1] if isinstance(s, tuple) else s
                                                    for s in layers]
        self.momentum = check_nonnegative(momentum, "momentum")
        self.weight_decay = check_nonnegative(weight_decay, "weight_decay")
        self.schedule = schedule
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
