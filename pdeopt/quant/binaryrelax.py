"""BinaryRelax and BinaryConnect as optimizers on a flat weight vector (``nn``'s optimizer API)."""
from __future__ import annotations

import numpy as np

from pdeopt._checks import (as_float_array, check_budget, check_callable, check_integer,
                            check_momentum, check_nonnegative, check_option, check_positive,
                            check_range)
from pdeopt._result import Recorder
from pdeopt._xp import namespace
from pdeopt.nn.optimizers import check_step_arrays

from .qset import QuantizedSet

__all__ = ["BinaryRelax", "BinaryConnect", "bwn", "twn", "minimize_quantized"]


class BinaryRelax:
    r"""BinaryRelax: relaxed quantization by the Moreau envelope of χ_Q, then BinaryConnect.

    Minimises f(x) + (λ/2)·dist(x, Q)² with growing λ (Phase I), then f over Q
    (Phase II). The optimizer keeps the float weights y; the model's parameters
    (``params``) are the nearly quantized weights x at which gradients are taken:

    Phase I (``epoch < phase2_epoch``)::

        y ← y − γ ∇f(x)
        x = (λ·proj_Q(y) + y)/(λ + 1)
        λ ← ρλ

    Phase II (``epoch ≥ phase2_epoch``; BinaryConnect)::

        y ← y − γ ∇f(x)
        x = proj_Q(y)

    With ``momentum`` > 0 the y-step is heavy-ball SGD on y. ``weight_decay``
    adds μ·y to the gradient. For a model on the GPU (CuPy ``params``) y stays on the
    device and Q's projections run there (its ``backend`` "auto" or "cuda").

    Parameters
    ----------
    lr : float
        Step size γ > 0.
    Q : QuantizedSet
        The (layer-wise) quantized set.
    lam : float
        Initial relaxation weight λ₀ > 0.
    rho : float
        Growth factor ρ ≥ 1 of λ per step.
    phase2_epoch : int or None
        Epoch at which Phase II (exact projection) starts; ``None`` never (then
        call :meth:`finalize` to quantize). 0 is BinaryConnect from the start.
    momentum, weight_decay : float
    schedule : callable, optional
        epoch → factor of ``lr`` (as in ``pdeopt.nn.SGD``).

    Notes
    -----
    The optimizer follows ``pdeopt.nn``'s API: ``step(params, grad, oracle=None)``
    updates ``params`` in place; ``on_epoch(epoch)`` is called at each epoch start.

    References
    ----------
    .. [1] P. Yin, S. Zhang, J. Lyu, S. Osher, Y. Qi, J. Xin, "BinaryRelax: a relaxation
       approach for training deep neural networks with quantized weights", SIAM J.
       Imaging Sci. 11 (2018) 2205–2223.
    .. [2] M. Courbariaux, Y. Bengio, J.-P. David, "BinaryConnect", NIPS 2015.

    Examples
    --------
    >>> import numpy as np
    >>> from pdeopt.quant import QuantizedSet
    >>> opt = BinaryRelax(0.1, QuantizedSet("binary"), lam=1.0, phase2_epoch=1)
    >>> w = np.array([0.3, -0.1])
    >>> opt.on_epoch(0); opt.step(w, np.zeros(2)); w      # (λ·proj(y) + y)/(λ + 1)
    array([ 0.25, -0.15])
    >>> opt.on_epoch(1); opt.step(w, np.zeros(2)); w      # Phase II: proj_Q(y)
    array([ 0.2, -0.2])
    """

    def __init__(self, lr, Q, *, lam=1.0, rho=1.0, phase2_epoch=None, momentum=0.0,
                 weight_decay=0.0, schedule=None):
        if not isinstance(Q, QuantizedSet):
            raise TypeError(f"Q must be a QuantizedSet, got {type(Q).__name__}")
        self.base_lr = self.lr = check_positive(lr, "lr")
        self.Q = Q
        self.lam = check_positive(lam, "lam")
        self.rho = check_range(rho, "rho", 1.0)
        self.phase2_epoch = None if phase2_epoch is None else check_integer(
            phase2_epoch, "phase2_epoch", minimum=0)
        self.momentum = check_momentum(momentum)
        self.weight_decay = check_nonnegative(weight_decay, "weight_decay")
        self.schedule = None if schedule is None else check_callable(schedule, "schedule")
        self.epoch = 0
        self.y = None
        self._velocity = None

    def __repr__(self):
        name = type(self).__name__
        relax = "" if self.phase2_epoch == 0 else (f", lam={self.lam:.3g}, rho={self.rho}, "
                                                   f"phase2_epoch={self.phase2_epoch}")
        return f"{name}(lr={self.base_lr}, Q={self.Q!r}{relax}, momentum={self.momentum})"

    @property
    def phase(self) -> int:
        """1 while relaxing, 2 once the exact projection is used."""
        if self.phase2_epoch is not None and self.epoch >= self.phase2_epoch:
            return 2
        return 1

    def on_epoch(self, epoch):
        """Start ``epoch`` (numbered from 0): the phase and the scheduled ``lr``."""
        self.epoch = check_integer(epoch, "epoch", minimum=0)
        if self.schedule is not None:
            factor = float(self.schedule(epoch))
            if not (factor > 0 and np.isfinite(factor)):
                raise ValueError(f"schedule({epoch}) must be a positive finite factor, "
                                 f"got {factor}")
            self.lr = self.base_lr * factor

    def step(self, params, grad, oracle=None):
        """One step: float weights y move along −∇f(x); x = params is recomputed from y."""
        check_step_arrays(params, grad)
        if self.y is not None and self.y.shape != params.shape:
            raise ValueError(f"params must have the shape {self.y.shape} of the weights this "
                             f"optimizer has been training, got {params.shape}")
        if self.y is None:  # the float weights start at the model's initial weights
            xp = namespace(params)  # NumPy, or CuPy for a model on the GPU
            self.y = xp.array(params, dtype=float)
            self._velocity = xp.zeros_like(self.y)
        g = grad + self.weight_decay * self.y if self.weight_decay else grad
        if self.momentum:
            self._velocity *= self.momentum
            self._velocity += g
            g = self._velocity
        self.y -= self.lr * g
        if self.phase == 1:
            params[...] = self.Q.relax(self.y, self.lam)
            self.lam *= self.rho
        else:
            params[...] = self.Q.project(self.y)

    def finalize(self, params):
        """Write proj_Q(y) into ``params`` (the quantized model after training)."""
        check_step_arrays(params, params)
        if self.y is not None:
            params[...] = self.Q.project(self.y)
        else:
            params[...] = self.Q.project(namespace(params).asarray(params, dtype=float))


class BinaryConnect(BinaryRelax):
    """BinaryConnect: y ← y − γ∇f(x), x = proj_Q(y) from the first step (BinaryRelax's
    Phase II).

    Examples
    --------
    >>> import numpy as np
    >>> from pdeopt.quant import QuantizedSet
    >>> w = np.array([0.3, -0.1])
    >>> BinaryConnect(0.1, QuantizedSet("binary")).step(w, np.array([1.0, 0.0])); w
    array([ 0.15, -0.15])
    """

    def __init__(self, lr, Q, *, momentum=0.0, weight_decay=0.0, schedule=None):
        super().__init__(lr, Q, phase2_epoch=0, momentum=momentum, weight_decay=weight_decay,
                         schedule=schedule)


def bwn(lr, layers=None, **kw):
    """BWN baseline: BinaryConnect with the exact binary projection, s = mean|y| (XNOR-Net).

    References
    ----------
    M. Courbariaux, Y. Bengio, J.-P. David, BinaryConnect, NeurIPS 2015;
    M. Rastegari et al., XNOR-Net, ECCV 2016; Osher 2018 (BinaryRelax part).

    Examples
    --------
    >>> opt = bwn(0.1, [slice(0, 4)], momentum=0.9)
    >>> opt.Q, opt.phase
    (QuantizedSet('binary', 1 layers), 2)
    """
    return BinaryConnect(lr, QuantizedSet("binary", layers=layers), **kw)


def twn(lr, layers=None, **kw):
    """TWN baseline: BinaryConnect with TWN's ternary heuristic δ = 0.7·mean|y| (Li et al.).

    References
    ----------
    F. Li, B. Zhang, B. Liu, Ternary Weight Networks, arXiv 1605.04711 (2016);
    Osher 2018 (BinaryRelax part).

    Examples
    --------
    >>> twn(0.1).Q.kind
    'twn'
    """
    return BinaryConnect(lr, QuantizedSet("twn", layers=layers), **kw)


def minimize_quantized(loss_and_grad, x0, Q, max_iter, *, lr, method="binaryrelax", lam=1.0,
                       rho=1.0, phase2_iter=None, momentum=0.0, tol=0.0, callback=None):
    r"""Minimise f over the quantized set Q with BinaryRelax or BinaryConnect (full gradients).

    The iterations of :class:`BinaryRelax` with one step per "epoch", so
    ``phase2_iter`` is the iteration at which Phase II starts.

    Parameters
    ----------
    loss_and_grad : callable
        x ↦ (f(x), ∇f(x)).
    x0 : array_like
        Initial float weights (1-D).
    Q : QuantizedSet
    max_iter : int
        The budget of gradient steps.
    lr : float
    method : {"binaryrelax", "binaryconnect"}
    lam, rho, phase2_iter, momentum
        As in :class:`BinaryRelax` (momentum in [0, 1)); ``phase2_iter=None`` means
        max_iter // 2.
    tol : float
        Stopping test, applied in Phase II (where x lies in Q): the run stops,
        converged, at the first step that moves the quantized weights by
        ‖x_{k+1} − x_k‖ ≤ tol. ``tol=0`` runs the whole budget.
    callback : callable, optional
        ``callback(it)`` after each step (``it.x`` the iterate x, ``it.values`` its
        row); returning True stops.

    Returns
    -------
    Result
        ``x`` = proj_Q(y) at the end (in Q); history ``loss`` (f at the iterate x
        used for the gradient), ``dist`` (dist(x, Q)), ``lam``, ``change``
        (‖x_{k+1} − x_k‖); ``info["y"]`` the float weights, ``info["final_loss"]``.

    Raises
    ------
    pdeopt.DivergenceError
        When the loss, the gradient or the iterate becomes NaN or inf; the message
        names the iteration, lr and the parameters, ``.result`` keeps the history.

    Examples
    --------
    >>> import numpy as np
    >>> from pdeopt.quant import QuantizedSet
    >>> target = np.array([0.5, -0.5, 0.5])
    >>> f = lambda x: (0.5 * np.sum((x - target) ** 2), x - target)
    >>> res = minimize_quantized(f, np.zeros(3), QuantizedSet("binary"), 50, lr=0.5,
    ...                          tol=1e-12)
    >>> res.x, res.converged
    (array([ 0.5, -0.5,  0.5]), True)
    """
    check_callable(loss_and_grad, "loss_and_grad")
    x = as_float_array(x0, "x0", ndim=1, copy=True)
    if not isinstance(Q, QuantizedSet):
        raise TypeError(f"Q must be a QuantizedSet, got {type(Q).__name__}")
    max_iter, tol = check_budget(max_iter, tol)
    method = check_option(method, "method", ("binaryrelax", "binaryconnect"))
    if method == "binaryconnect":
        opt = BinaryConnect(lr, Q, momentum=momentum)
    else:
        phase2 = max_iter // 2 if phase2_iter is None else check_integer(
            phase2_iter, "phase2_iter", minimum=0)
        opt = BinaryRelax(lr, Q, lam=lam, rho=rho, momentum=momentum, phase2_epoch=phase2)
    rec = Recorder(method, max_iter=max_iter, tol=tol, callback=callback, lr=opt.lr,
                   lam=opt.lam, rho=opt.rho, phase2_iter=opt.phase2_epoch,
                   momentum=opt.momentum)

    def evaluate(z, k):
        out = loss_and_grad(z)
        if not (isinstance(out, tuple) and len(out) == 2):
            raise TypeError("loss_and_grad must return a pair (f(x), grad f(x)), got "
                            f"{type(out).__name__}")
        loss, grad = out
        rec.require_finite(loss, k, "the loss")
        grad = np.asarray(grad, dtype=float)
        if grad.shape != z.shape:
            raise ValueError(f"loss_and_grad must return a gradient of shape {z.shape}, "
                             f"got {grad.shape}")
        rec.require_finite(grad, k, "the gradient")
        return float(loss), grad

    with rec.running():
        for k in range(max_iter):
            opt.on_epoch(k)
            loss, grad = evaluate(x, k)
            row = dict(loss=loss, dist=Q.dist(x), lam=opt.lam if opt.phase == 1 else np.inf)
            x_old = x.copy()
            opt.step(x, grad)
            rec.require_finite(x, k)
            change = float(np.linalg.norm(x - x_old))
            rec.log(**row, change=change)  # one whole row per finished iteration
            if rec.end_iteration(x, residual=change if opt.phase == 2 else None):
                break
    opt.finalize(x)
    final_loss, _ = evaluate(x, rec.nit)
    return rec.result(x, y=opt.y, final_loss=final_loss)
