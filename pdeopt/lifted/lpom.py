"""Lifted proximal operator machines (LPOM): training an MLP without backpropagation.

The LPOM objective (Lin 2019; Li, Fang & Lin 2019) lifts the layer outputs X^i
to variables and penalises each layer by the proximal form of its activation:

    F(W, X) = ℓ(X^n, L) + Σ_{i=2}^{n} μ_i ( 1ᵀf(X^i)1 + 1ᵀg(W^{i-1}X^{i-1})1
                                           + ½‖X^i − W^{i-1}X^{i-1}‖²_F ),

with f, g from :mod:`pdeopt.lifted.activations`. It is convex in each block
(Theorem 4) and every block update uses φ only:

* hidden X^i (i = 2..n−1), the fixed-point iteration
  X^i ← φ(W^{i-1}X^{i-1} − (μ_{i+1}/μ_i)(W^i)ᵀ(φ(W^iX^i) − X^{i+1})),
  a contraction when (μ_{i+1}/μ_i)·β²‖W^i‖₂² < 1;
* the output X^n ← φ(W^{n-1}X^{n-1} − (1/μ_n) ∂ℓ/∂X^n), a contraction when β/μ_n < 1;
* the weights, min_W 1ᵀg̃(WX^i)1 − ⟨X^{i+1}, WX^i⟩ by accelerated proximal
  gradient with extrapolation: W ← Y − (φ(YX^i) − X^{i+1})·P, where P is
  (X^i)ᵀ/(β‖X^i‖₂²) (``w_metric="lipschitz"``, the linearisation of g̃) or the
  seed's (X^i)^†/β (``w_metric="pinv"``, exact majorisation in the metric
  X^i(X^i)ᵀ, ridge-regularised). Both P lie in the span of (X^i)ᵀ, so when a batch
  has fewer samples m than inputs d the steps run on W = W_0 + E(X^i)ᵀ with E of
  shape (d_{i+1}, m): the same iterates (to rounding) at m/(2d) of the cost per step.

Inference is the plain forward pass. Column convention: X^i has shape (d_i, m).
"""
from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext

import numpy as np

from .._checks import (as_float_array, as_rng, check_bool, check_budget, check_choice,
                       check_callable, check_integer, check_labels, check_positive,
                       check_range)
from .._result import Recorder
from .activations import check_lpom_activation
from .mlp import (as_samples, augment, blas_threads_limit, check_loss, check_samples,
                  check_validation_set, check_weights, init_weights, layer_sizes, loss_grad,
                  loss_value, mlp_error, mlp_forward, one_hot)

__all__ = ["lpom_train", "lpom_solve", "lpom_objective", "lpom_optimality", "check_mu"]

#: the matrix product of the inner loops (a name the benchmark can time through)
_mm = np.matmul


def _spectral_norm2(mat) -> float:
    """‖M‖₂², the largest eigenvalue of the smaller Gram matrix (MMᵀ or MᵀM)."""
    gram = mat @ mat.T if mat.shape[0] <= mat.shape[1] else mat.T @ mat
    return float(np.linalg.eigvalsh(gram)[-1])


class _BlockDiverged(FloatingPointError):
    """A block update of :class:`_Lifted` produced NaN/inf; ``block`` says which and why."""

    def __init__(self, block):
        super().__init__(block)
        self.block = block


def check_mu(mu, n_layers: int) -> np.ndarray:
    """μ_2..μ_n as an array of length ``n_layers``; each must be > 0.

    Examples
    --------
    >>> check_mu(2.0, 3).tolist()
    [2.0, 2.0, 2.0]
    """
    n_layers = check_integer(n_layers, "n_layers", minimum=1)
    arr = np.atleast_1d(as_float_array(mu, "mu", ndim=(0, 1), dtype=np.float64))
    if arr.size == 1:
        arr = np.full(n_layers, float(arr[0]))
    if arr.ndim != 1 or arr.size != n_layers:
        raise ValueError(f"mu must be a scalar or have one entry per weight layer "
                         f"({n_layers}), got shape {np.shape(mu)}")
    for i, m in enumerate(arr):
        if not np.isfinite(m) or m <= 0:
            raise ValueError(f"mu must be > 0 for every layer, got mu[{i}] = {m}")
    return arr


class _Lifted:
    """The state of one LPOM problem: weights, lifted activations, targets."""

    def __init__(self, weights, x0, targets, *, act, mu, loss, bias):
        self.w, self.act, self.mu, self.loss, self.bias = weights, act, mu, loss, bias
        self.t = targets
        self.xs = [x0]
        for w in weights:                       # start from the forward pass
            self.xs.append(act.phi(w @ augment(self.xs[-1], bias)))

    @property
    def n_w(self):
        return len(self.w)

    def pre(self, k):
        """W^k X̃^k (pre-activation of layer k+1)."""
        return self.affine(k, self.xs[k])

    def affine(self, k, x):
        """W^k [x; 1] without forming the augmented copy of x."""
        if self.bias:
            return _mm(self.w[k][:, :-1], x) + self.w[k][:, -1:]
        return _mm(self.w[k], x)

    def linear_part(self, k):
        """W^k without its bias column, the part that multiplies X^k."""
        return self.w[k][:, :-1] if self.bias else self.w[k]

    # -- the X-updates: fixed-point iterations that use φ only ------------------------------
    def x_map(self, k, xk, xs, base):
        """One fixed-point step for X^k given the others ``xs`` and base = W^{k−1}X̃^{k−1}."""
        if k == self.n_w:
            return self.act.phi(base - loss_grad(self.loss, xk, self.t) / self.mu[k - 1])
        back = _mm(self.linear_part(k).T, self.act.phi(self.affine(k, xk)) - xs[k + 1])
        return self.act.phi(base - (self.mu[k] / self.mu[k - 1]) * back)

    def solve_x(self, k, xs, iters, tol):
        """Iterate the map to relative change ``tol``; return X^k and the contraction factor.

        The factor is the largest ratio ‖X_{t+1} − X_t‖ / ‖X_t − X_{t−1}‖ seen.
        """
        x = xs[k]
        base = self.affine(k - 1, xs[k - 1])        # fixed during the iteration
        prev_step, factor = None, 0.0
        for _ in range(iters):
            x_new = self.x_map(k, x, xs, base)
            step = float(np.linalg.norm(x_new - x))
            if not np.isfinite(step):
                raise _BlockDiverged(f"the fixed-point iteration for X^{k + 1} (it contracts "
                                     f"only if mu_{k + 2}/mu_{k + 1}·β²‖W^{k + 1}‖² < 1: "
                                     f"increase mu for the lower layers)")
            if prev_step is not None and prev_step > 0:
                factor = max(factor, step / prev_step)
            x, prev_step = x_new, step
            if step <= tol * max(float(np.linalg.norm(x)), 1e-12):
                break
        return x, factor

    # -- the W-updates: APG with extrapolation and gradient restart --------------------------
    def solve_w(self, k, iters, metric):
        """``iters`` APG steps on W^k from the current W^k (see the module docstring).

        With fewer samples than inputs (m < d, every minibatch of MNIST) the same steps run
        in the sample space (:meth:`_solve_w_samples`), m²/(2dm) of the cost per step.
        """
        xa = augment(self.xs[k], self.bias)
        if xa.shape[1] < xa.shape[0]:
            return self._solve_w_samples(k, xa, iters, metric)
        return self._solve_w_weights(k, xa, iters, metric)

    def _solve_w_weights(self, k, xa, iters, metric):
        """The APG steps on the (d_{k+1}, d) matrix W itself: two d_{k+1}·d·m products a step."""
        target = self.xs[k + 1]
        beta = self.act.lipschitz
        m, d = xa.shape[1], xa.shape[0]
        if metric == "pinv":
            gram = _mm(xa, xa.T) if d <= m else _mm(xa.T, xa)
            ridge = 1e-6 * np.trace(gram) / gram.shape[0] + 1e-12
            if d <= m:    # X^† = Xᵀ(XXᵀ)^{-1}
                precond = np.linalg.solve(xa @ xa.T + ridge * np.eye(d), xa).T / beta
            else:         # X^† = (XᵀX)^{-1}Xᵀ
                precond = np.linalg.solve(xa.T @ xa + ridge * np.eye(m), xa.T) / beta
        else:
            lam = _spectral_norm2(xa)
            precond = xa.T / (beta * max(lam, 1e-12))
        w_prev = w = self.w[k]
        t = 1.0
        for _ in range(iters):
            t_next = 0.5 * (1 + np.sqrt(1 + 4 * t * t))
            y = w + ((t - 1) / t_next) * (w - w_prev)
            w_new = y - _mm(self.act.phi(_mm(y, xa)) - target, precond)
            # restart the momentum when the step points uphill (O'Donoghue & Candès 2015)
            if np.sum((y - w_new) * (w_new - w)) > 0:
                t_next = 1.0
            w_prev, w, t = w, w_new, t_next
        return self._checked_w(k, w)

    def _solve_w_samples(self, k, xa, iters, metric):
        """The same APG steps as :meth:`_solve_w_weights`, carried in the sample space.

        Every step moves W by a multiple of the preconditioner P = K X̃ᵀ (K = I/(β‖X̃‖₂²)
        for ``"lipschitz"``, (X̃ᵀX̃ + rI)⁻¹/β for ``"pinv"``), so W_t = W_0 + E_t X̃ᵀ with
        E_t of shape (d_{k+1}, m), and the products the steps need are Z_t = W_tX̃ =
        W_0X̃ + E_t G, G = X̃ᵀX̃. With Y = W + γ(W − W_prev) mapped to E_y, Z_y, a step
        S = (φ(Z_y) − X^{k+1})K, E ← E_y − S, Z ← Z_y − SG costs one d_{k+1}·m² product
        instead of two d_{k+1}·d·m ones, and the restart test ⟨Y − W_new, W_new − W⟩ is
        ⟨Z_y − Z_new, E_new − E⟩ exactly. W = W_0 + E X̃ᵀ is formed once at the end.
        The iterates are those of the weight-space steps up to rounding.
        """
        target = self.xs[k + 1]
        beta = self.act.lipschitz
        m = xa.shape[1]
        gram = _mm(xa.T, xa)               # G, also the Gram matrix of ‖X̃‖₂² (m < d)
        if metric == "pinv":
            ridge = 1e-6 * np.trace(gram) / m + 1e-12
            coef = np.linalg.solve(gram + ridge * np.eye(m), np.eye(m)) / beta
        else:
            scale = beta * max(float(np.linalg.eigvalsh(gram)[-1]), 1e-12)
        w0 = self.w[k]
        # (d_{k+1}, m) buffers reused every step: arrays over 128 kB come fresh from the system
        # each time they are allocated (page faults); measured 8 % of this loop at d_{k+1} = 500
        z = _mm(w0, xa)
        z_prev = z.copy()
        e, e_prev, e_y, z_y, residual, product = (np.zeros_like(z) for _ in range(6))
        t = 1.0
        for _ in range(iters):
            t_next = 0.5 * (1 + np.sqrt(1 + 4 * t * t))
            gamma = (t - 1) / t_next
            for y_, now, before in ((e_y, e, e_prev), (z_y, z, z_prev)):  # now + γ(now − before)
                np.subtract(now, before, out=y_)
                np.multiply(y_, gamma, out=y_)
                np.add(now, y_, out=y_)
            np.subtract(self.act.phi(z_y), target, out=residual)  # φ may return its input
            step = (_mm(residual, coef) if metric == "pinv"
                    else np.divide(residual, scale, out=residual))
            e_new = np.subtract(e_y, step, out=e_prev)       # E_prev is not needed any more
            _mm(step, gram, out=product)
            z_new = np.subtract(z_y, product, out=z_prev)
            # restart the momentum when the step points uphill (O'Donoghue & Candès 2015)
            np.subtract(z_y, z_new, out=product)
            if np.sum(np.multiply(product, np.subtract(e_new, e, out=e_y), out=product)) > 0:
                t_next = 1.0
            e_prev, e, z_prev, z, t = e, e_new, z, z_new, t_next
        return self._checked_w(k, w0 + _mm(e, xa.T))

    @staticmethod
    def _checked_w(k, w):
        if not np.all(np.isfinite(w)):
            raise _BlockDiverged(f"the update of W^{k + 1}")
        return w

    def sweep(self, *, order, x_iters, x_tol, w_iters, w_metric, pool=None):
        """One block-coordinate pass: every X^i (serial or parallel order), then every W^i."""
        ks = list(range(self.n_w, 0, -1))      # output first: the labels flow down in one pass
        factors = []
        if order == "serial":
            for k in ks:
                self.xs[k], fac = self.solve_x(k, self.xs, x_iters, x_tol)
                factors.append(fac)
        else:                                   # Jacobi: all from the same snapshot
            snap = list(self.xs)
            job = lambda k: self.solve_x(k, snap, x_iters, x_tol)  # noqa: E731
            out = list(pool.map(job, ks)) if pool else [job(k) for k in ks]
            for k, (xk, fac) in zip(ks, out):
                self.xs[k] = xk
                factors.append(fac)
        job_w = lambda k: self.solve_w(k, w_iters, w_metric)  # noqa: E731
        idx = range(self.n_w)
        new_w = list(pool.map(job_w, idx)) if pool else [job_w(k) for k in idx]
        self.w[:] = new_w
        return max(factors)

    def contraction_bound(self):
        """The Lipschitz constants of the fixed-point maps, largest over the blocks:
        β·L_ℓ/μ_n for X^n (L_ℓ = 1 bounds both losses' gradient) and
        (μ_{i+1}/μ_i)·β²‖W^i‖₂² for a hidden X^i. Below 1, every iteration contracts."""
        beta = self.act.lipschitz
        bounds = [beta / self.mu[-1]]
        for k in range(1, self.n_w):
            bounds.append(self.mu[k] / self.mu[k - 1] * beta ** 2
                          * _spectral_norm2(self.linear_part(k)))
        return float(max(bounds))

    def objective(self):
        f, g = self.act.f, self.act.g
        total = loss_value(self.loss, self.xs[-1], self.t)
        for k in range(self.n_w):
            z = self.pre(k)
            x1 = self.xs[k + 1]
            total += self.mu[k] * (np.sum(f(x1)) + np.sum(g(z)) + 0.5 * np.sum((x1 - z) ** 2))
        return float(total)

    def optimality(self):
        """‖(φ(W^iX^i) − X^{i+1})(X^i)ᵀ‖_F / (‖X^{i+1}‖_F ‖X^i‖_F) per layer (0 at a W-optimum)."""
        res = []
        for k in range(self.n_w):
            xa = augment(self.xs[k], self.bias)
            r = (self.act.phi(self.pre(k)) - self.xs[k + 1]) @ xa.T
            res.append(float(np.linalg.norm(r) / max(np.linalg.norm(self.xs[k + 1]) *
                                                     np.linalg.norm(xa), 1e-300)))
        return np.array(res)


def _prepare(x, y, weights, *, activation, alpha, mu, loss, bias):
    """Check the arguments shared by the LPOM functions; targets in columns (d_n, m)."""
    act = check_lpom_activation(activation, alpha=alpha)
    loss = check_loss(loss)
    x = as_samples(x)
    check_samples(x, y)
    ws = check_weights(weights, bias=bias, x_dim=x.shape[1])
    n_out = ws[-1].shape[0]
    if np.ndim(y) == 2:
        targets = as_float_array(y, "y", ndim=2, dtype=np.float64).T
        if targets.shape != (n_out, x.shape[0]):
            raise ValueError(f"y must have shape {(x.shape[0], n_out)}, got {np.shape(y)}")
    else:
        targets = one_hot(check_labels(y, "y", n_classes=n_out, size=x.shape[0]), n_out)
    return act, loss, x, ws, targets, check_mu(mu, len(ws))


def _check_xs(xs, ws, m, act, bias):
    """The lifted X^1..X^n: (d_i, m) arrays matching the weights, X^2.. in the domain of f."""
    if not isinstance(xs, (list, tuple)):
        raise TypeError(f"xs must be a list of 2-D arrays, got {type(xs).__name__}")
    if len(xs) != len(ws) + 1:
        raise ValueError(f"xs must hold {len(ws) + 1} layers, got {len(xs)}")
    widths = [ws[0].shape[1] - (1 if bias else 0)] + [w.shape[0] for w in ws]
    lo, hi = act.f_domain
    out = []
    for i, (xi, width) in enumerate(zip(xs, widths)):
        xi = as_float_array(xi, f"xs[{i}]", ndim=2, dtype=np.float64)
        if xi.shape != (width, m):
            raise ValueError(f"xs[{i}] must have shape {(width, m)}, got {xi.shape}")
        if i > 0 and (np.any(xi < lo) or np.any(xi > hi)):
            raise ValueError(f"xs[{i}] must lie in the domain [{lo}, {hi}] of f (the range "
                             f"of {act.name}), where the objective is finite")
        out.append(xi)
    return out


def lpom_objective(weights, xs, y, *, mu, activation="relu", alpha=None, loss="squared",
                   bias=True) -> float:
    """The LPOM objective F(W, X) at weights ``W^1..W^{n-1}`` and lifted ``X^1..X^n``.

    F(W, X) = ℓ(X^n, L) + Σ_i μ_i (1ᵀf(X^i)1 + 1ᵀg(W^{i−1}X^{i−1})1
    + ½‖X^i − W^{i−1}X^{i−1}‖²) (Lin 2019; Li, Fang & Lin 2019).

    Parameters
    ----------
    weights : list of arrays (d_{i+1}, d_i [+1])
    xs : list of arrays (d_i, m)
        X^1 (the inputs, one column per sample) to X^n; X^2..X^n must lie in the
        domain of f (the closure of φ's range), where F is finite.
    y : array (m,) of labels or (m, d_n) of targets
    mu : float or sequence of n−1 floats, each > 0

    Examples
    --------
    >>> w = [np.array([[1.0, 0.0]])]
    >>> xs = [np.array([[1.0, -1.0]]), np.array([[1.0, 0.0]])]
    >>> lpom_objective(w, xs, np.array([[1.0], [0.0]]), mu=1.0)
    0.0
    """
    if not isinstance(xs, (list, tuple)) or not xs:
        raise TypeError(f"xs must be a non-empty list of 2-D arrays, got {type(xs).__name__}")
    x0 = as_float_array(xs[0], "xs[0]", ndim=2, dtype=np.float64)
    act, loss, _, ws, targets, mu = _prepare(x0.T, y, weights, activation=activation,
                                             alpha=alpha, mu=mu, loss=loss, bias=bias)
    state = _Lifted(ws, x0, targets, act=act, mu=mu, loss=loss, bias=bias)
    state.xs = _check_xs(xs, ws, x0.shape[1], act, bias)
    return state.objective()


def lpom_optimality(weights, x, *, activation="relu", alpha=None, bias=True, xs=None):
    """The seed's W-optimality residuals ‖(φ(W^iX^i) − X^{i+1})(X^i)ᵀ‖ (relative), per layer.

    The residual of layer i is ‖(φ(W^iX̃^i) − X^{i+1})(X̃^i)ᵀ‖_F / (‖X^{i+1}‖_F‖X̃^i‖_F),
    the gradient of the W-block of the LPOM objective (Lin 2019). With ``xs`` None the
    X^i are the forward pass of ``x``, where the residuals are 0 exactly.

    Examples
    --------
    >>> w = [np.array([[1.0, 0.5, 0.0]])]
    >>> lpom_optimality(w, np.array([[1.0, 2.0], [3.0, 1.0]])).tolist()
    [0.0]
    """
    act = check_lpom_activation(activation, alpha=alpha)
    x = as_samples(x)
    ws = check_weights(weights, bias=bias, x_dim=x.shape[1])
    if xs is None:
        xs = mlp_forward(ws, x, activation=act, bias=bias, all_layers=True)
    else:
        xs = _check_xs(xs, ws, x.shape[0], act, bias)
    state = _Lifted.__new__(_Lifted)
    state.w, state.act, state.bias, state.xs = ws, act, bias, xs
    return state.optimality()


def _contracting_mu(weights, act, mu_out, rho, bias):
    """μ with μ_n = ``mu_out`` and μ_i = μ_{i+1}·β²‖W^i‖₂²/ρ below it.

    Then every fixed-point map is a contraction with factor ≤ ρ (hidden) and
    β/μ_n (output): the seed's condition, enforced at the current weights.
    """
    mu = np.empty(len(weights))
    mu[-1] = mu_out
    for k in range(len(weights) - 1, 0, -1):
        lin = weights[k][:, :-1] if bias else weights[k]
        norm2 = _spectral_norm2(lin)
        mu[k - 1] = mu[k] * max(act.lipschitz ** 2 * norm2 / rho, 1.0)
    return mu


def _checked_options(order, x_iters, x_tol, w_iters, w_metric, n_jobs):
    check_choice(order, "order", ("serial", "parallel"))
    check_choice(w_metric, "w_metric", ("lipschitz", "pinv"))
    return dict(order=order, x_iters=check_integer(x_iters, "x_iters", minimum=1),
                x_tol=check_positive(x_tol, "x_tol"),
                w_iters=check_integer(w_iters, "w_iters", minimum=1), w_metric=w_metric), \
        check_integer(n_jobs, "n_jobs", minimum=1)


def lpom_solve(x, y, weights, *, mu=1.0, activation="relu", alpha=None, loss="squared",
               bias=True, max_iter=50, tol=0.0, order="serial", x_iters=100, x_tol=1e-6,
               w_iters=50, w_metric="lipschitz", n_jobs=1, blas_threads=1, callback=None):
    """Block coordinate descent on the LPOM objective of one fixed batch.

    Each sweep updates X^n, ..., X^2 by their fixed-point iterations (φ only) and then
    every W^i by APG (see the module docstring; Lin 2019, Li, Fang & Lin 2019). The
    X^i start at the forward pass and persist across sweeps, so each sweep minimises
    F(W, X) further in every block; in the serial order (and with the inner solvers
    run to convergence) F decreases monotonically.

    Parameters
    ----------
    x, y, weights
        Samples (m, d) or (m, h, w), labels (m,) or targets (m, d_n), and the list
        of weights (d_{i+1}, d_i [+1]) (not modified).
    mu : float or sequence of floats > 0
        μ_2..μ_n.
    max_iter : int
        The most sweeps.
    tol : float ≥ 0
        Stop when a sweep changes F by at most ``tol`` relative to |F|:
        |F_{k−1} − F_k| ≤ tol·|F_{k−1}|; 0 runs the whole budget.
    order, x_iters, x_tol, w_iters, w_metric, n_jobs, blas_threads
        As in :func:`lpom_train`.
    callback : callable, optional
        ``callback(it)`` after each sweep (``it.x`` the weights).

    Returns
    -------
    Result
        ``x`` = the weights; history per sweep (the start first): ``objective``,
        ``contraction`` (the largest measured ratio of successive fixed-point steps),
        ``contraction_bound`` (the Lipschitz constant of the fixed-point maps at the
        sweep's weights: the measured factor cannot exceed it), ``optimality``
        (the largest relative residual ‖(φ(W^iX^i) − X^{i+1})(X^i)ᵀ‖); ``info["xs"]``
        holds the final lifted activations.

    Raises
    ------
    pdeopt.DivergenceError
        When a block update becomes NaN or inf (a fixed-point map that does not
        contract: increase μ for the lower layers); the history is in ``error.result``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x, y = rng.normal(size=(20, 4)), np.arange(20) % 2
    >>> res = lpom_solve(x, y, init_weights([4, 6, 2], rng=0), mu=[10.0, 2.0], max_iter=5)
    >>> res.nit, bool(res.history["objective"][-1] < res.history["objective"][0])
    (5, True)
    """
    act, loss, x, ws, targets, mu = _prepare(x, y, weights, activation=activation, alpha=alpha,
                                             mu=mu, loss=loss, bias=bias)
    opts, n_jobs = _checked_options(order, x_iters, x_tol, w_iters, w_metric, n_jobs)
    max_iter, tol = check_budget(max_iter, tol)
    state = _Lifted(ws, x.T, targets, act=act, mu=mu, loss=loss, bias=bias)
    rec = Recorder("lpom_solve", max_iter=max_iter, tol=tol, callback=callback,
                   mu=mu.tolist(), activation=act.name, **opts)
    with _pool(n_jobs) as pool, rec.running(), blas_threads_limit(blas_threads):
        obj = state.objective()
        rec.log(objective=obj, contraction=np.nan,
                contraction_bound=state.contraction_bound(),
                optimality=float(state.optimality().max()))
        for k in range(1, max_iter + 1):
            bound = state.contraction_bound()   # at the weights the X-updates will use
            try:
                fac = state.sweep(pool=pool, **opts)
            except _BlockDiverged as exc:
                raise rec.diverged(k, exc.block) from None
            new = state.objective()
            rec.log(objective=new, contraction=fac, contraction_bound=bound,
                    optimality=float(state.optimality().max()))
            change, obj = abs(obj - new) / max(abs(obj), 1e-300), new
            if rec.end_iteration(list(state.w), residual=change):
                break
    return rec.result(state.w, xs=state.xs, backend="numpy")


def _pool(n_jobs):
    """Threads for the parallel order; none (``None``) for one job."""
    return ThreadPoolExecutor(n_jobs) if n_jobs > 1 else nullcontext()


def lpom_train(x, y, hidden, *, activation="relu", alpha=None, mu="auto", loss="squared",
               epochs=10, batch_size=50, sweeps=1, order="serial", x_iters=40, x_tol=1e-3,
               w_iters=20, w_metric="lipschitz", n_jobs=1, bias=True, weights=None,
               n_classes=None, x_val=None, y_val=None, rng=None, progress=None,
               callback=None, record_objective=True, auto_contraction=0.9, blas_threads=1):
    """Train an MLP with LPOM: minibatch block coordinate descent, no backpropagation.

    For each minibatch the lifted X^i start at the forward pass, ``sweeps`` block
    coordinate passes update X^n, ..., X^2 (fixed-point iterations, φ only) and then
    every W^i (``w_iters`` APG steps with extrapolation); the X^i are then dropped,
    so the memory is that of SGD. Prediction is the plain forward pass.

    Parameters
    ----------
    x : array (m, d) or (m, h, w)
    y : array (m,) of integer labels
    hidden : int or sequence of int
        Hidden widths (the seed's Table 2: ``[300]``, ``[300, 100]``, ...).
    activation : str or LiftedActivation
        Any non-decreasing Lipschitz φ; others are refused with the reason.
    mu : float, sequence or "auto"
        The penalties μ_2..μ_n (> 0), fixed. Default ``"auto"``: before each batch,
        μ_n = β/ρ and μ_i = μ_{i+1}·max(β²‖W^i‖₂²/ρ, 1) with ρ = ``auto_contraction``
        (default 0.9), so that every fixed-point iteration contracts with factor ≤ ρ at
        the current weights; the μ used last are in ``info["mu"]``.
    loss : {"squared", "cross_entropy"}
        ℓ(X^n, L) on one-hot targets, summed over the batch.
    order : {"serial", "parallel"}
        Gauss–Seidel (X^n, then X^{n−1}, ... each using the newest others) or Jacobi
        (all X^i from the same snapshot, computed by ``n_jobs`` threads).
    x_iters, x_tol : int, float
        Fixed-point iterations per block and the relative change that stops them.
    w_iters : int
        APG iterations per weight block; ``w_metric`` as in the module docstring.
    blas_threads : int or None
        BLAS threads while training (default 1: the products are small; parallelism
        comes from ``n_jobs`` in the parallel order). ``None`` leaves BLAS as it is.
    epochs, batch_size, sweeps : int
        Passes over the data, samples per minibatch, block coordinate sweeps per batch.
    weights : list of arrays, optional
        Starting weights (d_{i+1}, d_i [+1]) (copied); default :func:`init_weights`.
    n_classes : int, optional
        Output width; default the largest label + 1 (or the width of ``weights``).
    x_val, y_val : arrays, optional
        A validation set (given together), evaluated after each epoch.
    rng : None, int or numpy.random.Generator
        Draws the initial weights and the order of the samples.
    progress : callable, optional
        Receives one line of text per epoch.
    callback : callable, optional
        ``callback(it)`` after each epoch, ``it`` a :class:`pdeopt.Iterate` (``it.nit``
        epochs finished, ``it.x`` the weights, ``it.values`` the epoch's history row);
        returning True stops training.
    record_objective : bool
        Record the LPOM objective per epoch (costs one evaluation per batch).

    There is no stopping test: the run trains for ``epochs`` (``nit`` counts them,
    ``status`` 1) unless the callback stops it.

    Returns
    -------
    Result
        ``x`` = list of weights; history per epoch: ``objective`` (mean over batches
        per sample, after the update), ``contraction`` (largest measured factor),
        ``train_error``, ``val_error`` (if ``x_val`` given), ``epoch_time``.

    References
    ----------
    J. Li, C. Fang, Z. Lin, "Lifted proximal operator machines", AAAI 2019.
    Z. Lin, "Optimization and deep neural networks", 2019.

    Examples
    --------
    >>> from pdeopt.data import load_digits
    >>> d = load_digits()
    >>> res = lpom_train(d.x_train, d.y_train, [64], epochs=2, rng=0)
    >>> res.nit, mlp_error(res.x, d.x_test, d.y_test) < 0.3
    (2, True)
    """
    rng = as_rng(rng)
    x = as_samples(x)
    check_samples(x, y)
    y = check_labels(y, "y", size=x.shape[0])
    if n_classes is None:
        n_classes = int(y.max()) + 1 if weights is None else None
    else:
        n_classes = check_integer(n_classes, "n_classes", minimum=1)
        check_labels(y, "y", n_classes=n_classes)
    sizes = layer_sizes(x.shape[1], hidden, n_classes or 1)
    bias = check_bool(bias, "bias")
    act = check_lpom_activation(activation, alpha=alpha)
    x_val, y_val = check_validation_set(x_val, y_val, x.shape[1])
    record_objective = check_bool(record_objective, "record_objective")
    if progress is not None:
        check_callable(progress, "progress")
    if weights is None:
        weights = init_weights(sizes, bias=bias, rng=rng, activation=act)
    elif n_classes is not None and check_weights(weights, bias=bias)[-1].shape[0] != n_classes:
        raise ValueError(f"n_classes={n_classes} differs from the output width of the "
                         f"weights, {np.shape(weights[-1])[0]}")
    auto_mu = mu is None or isinstance(mu, str)
    if auto_mu:
        if mu not in (None, "auto"):
            raise ValueError(f"mu must be > 0 numbers or 'auto', got {mu!r}")
        rho = check_range(auto_contraction, "auto_contraction", 0.0, 1.0, low_open=True,
                          high_open=True)
        mu_out = act.lipschitz / rho
        mu = _contracting_mu(check_weights(weights, bias=bias), act, mu_out, rho, bias)
    act, loss, x, ws, targets, mu = _prepare(x, y, weights, activation=act, alpha=alpha, mu=mu,
                                             loss=loss, bias=bias)
    opts, n_jobs = _checked_options(order, x_iters, x_tol, w_iters, w_metric, n_jobs)
    epochs = check_integer(epochs, "epochs", minimum=1)
    batch_size = check_integer(batch_size, "batch_size", minimum=1)
    sweeps = check_integer(sweeps, "sweeps", minimum=1)
    rec = Recorder("lpom_train", callback=callback, hidden=sizes[1:-1], mu=mu.tolist(),
                   activation=act.name, loss=loss, epochs=epochs, batch_size=batch_size,
                   sweeps=sweeps, **opts)
    m, finished = x.shape[0], list(ws)
    with _pool(n_jobs) as pool, rec.running(), blas_threads_limit(blas_threads):
        for epoch in range(1, epochs + 1):
            t0 = time.perf_counter()
            order_idx = rng.permutation(m)
            obj, fac = 0.0, 0.0
            for start in range(0, m, batch_size):
                idx = order_idx[start:start + batch_size]
                if auto_mu:
                    mu = _contracting_mu(ws, act, mu_out, rho, bias)
                state = _Lifted(ws, x[idx].T, targets[:, idx], act=act, mu=mu, loss=loss,
                                bias=bias)
                try:
                    for _ in range(sweeps):
                        fac = max(fac, state.sweep(pool=pool, **opts))
                except _BlockDiverged as exc:
                    where = f"{exc.block} in epoch {epoch}, batch {start // batch_size + 1}"
                    raise rec.diverged(epoch, where) from None
                if record_objective:
                    obj += state.objective()
            row = dict(epoch_time=time.perf_counter() - t0, contraction=fac,
                       train_error=mlp_error(ws, x, y, activation=act, bias=bias))
            if record_objective:
                row["objective"] = obj / m
            if x_val is not None:
                row["val_error"] = mlp_error(ws, x_val, y_val, activation=act, bias=bias)
            rec.log(**row)
            if progress is not None:
                progress(f"LPOM epoch {epoch}/{epochs}: train error "
                         f"{row['train_error']:.4f}" + (f", val error {row['val_error']:.4f}"
                                                        if "val_error" in row else ""))
            finished = list(ws)
            if rec.end_iteration(finished):
                break
    # an interrupt inside an epoch leaves ws half trained: return the last finished epoch
    return rec.result(finished, backend="numpy", activation=act.name, bias=bias,
                      mu=np.asarray(mu).tolist())
