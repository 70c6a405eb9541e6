"""Optimizers acting in place on a flat parameter vector, and learning-rate schedules.

An optimizer is a small object with ``step(params, grad, oracle=None)`` that
updates ``params`` in place, a current learning rate ``.lr``, and
``on_epoch(epoch)`` (called by :func:`~pdeopt.nn.train` at the start of each
epoch, numbered from 0) which applies its schedule. ``oracle(w) -> (loss, grad)``
evaluates the loss and gradient at any point on the next minibatch; plain
first-order methods ignore it, inner-loop methods (Entropy-SGD, HEAT, HJ) call it.
"""
from __future__ import annotations

import math

import numpy as np

from .._checks import (check_bool, check_callable, check_finite, check_integer, check_momentum,
                       check_nonnegative, check_positive, check_range)
from .._xp import namespace

__all__ = ["Optimizer", "SGD", "step_schedule", "exponential_schedule", "cosine_schedule"]


def check_step_arrays(params, grad):
    """``params`` a finite float ndarray (updated in place), ``grad`` a finite real array of
    its shape and of the same array module (both NumPy, or both CuPy on the GPU). This runs
    at every step, so the finiteness test is one dot product (on the GPU, one read-back).
    """
    xp = namespace(params)
    kind = "numpy" if xp is np else xp.__name__
    if not isinstance(params, xp.ndarray) or not np.issubdtype(params.dtype, np.floating):
        raise TypeError(f"params must be a float numpy array (updated in place), got "
                        f"{type(params).__name__}")
    if not isinstance(grad, xp.ndarray) or not (np.issubdtype(grad.dtype, np.floating)
                                                or np.issubdtype(grad.dtype, np.integer)):
        raise TypeError(f"grad must be a real {kind} array like params, got "
                        f"{getattr(grad, 'dtype', type(grad).__name__)}")
    if grad.shape != params.shape:
        raise ValueError(f"grad must have the shape of params {params.shape}, got {grad.shape}")
    # one pass: a NaN or inf entry in either array makes ⟨params, grad⟩ non-finite (inf·0
    # is NaN); the exact test only runs then (or when the sum overflowed)
    with np.errstate(all="ignore"):
        probe = xp.dot(params.reshape(-1), grad.reshape(-1))
    if not xp.isfinite(probe):
        for arr, name in ((params, "params"), (grad, "grad")):
            if xp is np:
                check_finite(arr, name)
            elif not xp.all(xp.isfinite(arr)):
                raise ValueError(f"{name} contains NaN or inf value(s)")


class Optimizer:
    """Base class: keeps the base learning rate, the schedule and the current ``lr``."""

    #: True for an optimizer whose ``step`` reads ``grad`` during the call only (keeps no
    #: reference to it) and never calls the oracle: :func:`~pdeopt.nn.train` then passes
    #: the model's gradient buffer itself instead of a copy.
    borrows_grad = False

    def __init__(self, lr, *, schedule=None):
        self.base_lr = check_positive(lr, "lr")
        self.lr = self.base_lr
        if schedule is not None:
            check_callable(schedule, "schedule")
        self.schedule = schedule
        self.epoch = 0

    def on_epoch(self, epoch: int) -> None:
        """Set ``lr = base_lr · schedule(epoch)`` at the start of ``epoch``."""
        epoch = check_integer(epoch, "epoch", minimum=0)
        self.epoch = epoch
        if self.schedule is not None:
            factor = float(self.schedule(epoch))
            if not (factor > 0 and math.isfinite(factor)):
                raise ValueError(f"schedule({epoch}) must be a positive finite factor, "
                                 f"got {factor}")
            self.lr = self.base_lr * factor

    def step(self, params, grad, oracle=None) -> None:  # pragma: no cover - interface
        raise NotImplementedError


class SGD(Optimizer):
    """Stochastic gradient descent with optional heavy-ball or Nesterov momentum.

    With g = ∇f(x) + λx (λ the weight decay) and momentum μ:

    - plain (μ = 0): ``x ← x − η g``;
    - heavy ball: ``v ← μ v + g``, ``x ← x − η v`` (Polyak);
    - Nesterov: ``v ← μ v + g``, ``x ← x − η (g + μ v)`` (Sutskever et al. 2013's
      reformulation, as in the Entropy-SGD code).

    Parameters
    ----------
    lr : float
        Learning rate η (> 0).
    momentum : float
        μ in [0, 1).
    nesterov : bool
    weight_decay : float
        λ ≥ 0 (an ℓ2 penalty λ|x|²/2 added to the loss).
    schedule : callable, optional
        epoch → factor multiplying ``lr`` (see :func:`step_schedule`).

    References
    ----------
    .. [1] B. T. Polyak, "Some methods of speeding up the convergence of iteration
       methods", USSR Comput. Math. Math. Phys. 4 (1964).
    .. [2] I. Sutskever, J. Martens, G. Dahl, G. Hinton, "On the importance of
       initialization and momentum in deep learning", ICML 2013.
    """

    borrows_grad = True     # grad is read within the step; the oracle is never called

    def __init__(self, lr, *, momentum=0.0, nesterov=False, weight_decay=0.0, schedule=None):
        super().__init__(lr, schedule=schedule)
        self.momentum = check_momentum(momentum)
        self.nesterov = check_bool(nesterov, "nesterov")
        if self.nesterov and self.momentum == 0:
            raise ValueError("nesterov=True needs momentum > 0")
        self.weight_decay = check_nonnegative(weight_decay, "weight_decay")
        self.velocity = None
        self._buffers = {}

    def step(self, params, grad, oracle=None):
        """One step on ``params`` (a float array, updated in place) along ``grad``.

        Examples
        --------
        >>> import numpy as np
        >>> x = np.array([1.0, 2.0])
        >>> SGD(0.1).step(x, np.array([1.0, -1.0]))
        >>> x
        array([0.9, 2.1])
        """
        check_step_arrays(params, grad)
        xp = namespace(params)
        # The step is computed in the precision of params (a grad of another dtype is cast
        # first), its products in buffers kept from step to step: a temporary per product
        # would fault in fresh pages each step (mnistfc float64: 15 MB each). The same
        # operations in the same order as the formulas above, hence the same bits.
        g = grad = grad.astype(params.dtype, copy=False)
        if self.weight_decay:
            g = self._buffer("decayed", params)
            xp.multiply(params, self.weight_decay, out=g)
            g += grad                                   # g = ∇f + λx
        update = self._buffer("update", params)
        if self.momentum == 0:
            xp.multiply(g, self.lr, out=update)         # η g
        else:
            v = self._velocity_like(params)
            v *= self.momentum
            v += g                                      # v = μ v + g
            if self.nesterov:
                xp.multiply(v, self.momentum, out=update)
                update += g
                update *= self.lr                       # η (g + μ v)
            else:
                xp.multiply(v, self.lr, out=update)     # η v
        params -= update

    def _velocity_like(self, params):
        if (self.velocity is None or self.velocity.shape != params.shape
                or namespace(self.velocity) is not namespace(params)):
            self.velocity = namespace(params).zeros_like(params)
        return self.velocity

    def _buffer(self, name, params):
        """A work array shaped and typed like ``params``, kept between steps."""
        buf = self._buffers.get(name)
        if (buf is None or buf.shape != params.shape or buf.dtype != params.dtype
                or namespace(buf) is not namespace(params)):
            buf = self._buffers[name] = namespace(params).empty_like(params)
        return buf

    def __repr__(self):
        return (f"SGD(lr={self.lr:g}, momentum={self.momentum:g}, nesterov={self.nesterov}, "
                f"weight_decay={self.weight_decay:g})")


def step_schedule(drops):
    """Piecewise-constant schedule: ``factor(epoch) = Π_{e ≤ epoch} drops[e]``.

    ``step_schedule({10: 0.1, 20: 0.1})`` divides the rate by 10 at epochs 10 and 20.

    Examples
    --------
    >>> s = step_schedule({10: 0.1, 20: 0.1})
    >>> [round(s(e), 4) for e in (0, 10, 25)]
    [1.0, 0.1, 0.01]
    """
    try:
        items = sorted((check_integer(e, "drops epoch", minimum=0),
                        check_positive(f, "drops factor")) for e, f in dict(drops).items())
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"drops must map epochs to positive factors: {exc}") from None

    def schedule(epoch):
        return float(np.prod([f for e, f in items if e <= epoch]))
    return schedule


def exponential_schedule(gamma):
    """``factor(epoch) = γ^epoch`` (γ > 0).

    Examples
    --------
    >>> exponential_schedule(0.5)(3)
    0.125
    """
    gamma = check_positive(gamma, "gamma")
    return lambda epoch: gamma ** epoch


def cosine_schedule(epochs, *, floor=0.0):
    """Cosine annealing over ``epochs``: ``factor = floor + (1 − floor)(1 + cos(π e/epochs))/2``.

    Examples
    --------
    >>> c = cosine_schedule(10)
    >>> c(0), round(c(5), 3)
    (1.0, 0.5)
    """
    epochs = check_integer(epochs, "epochs", minimum=1)
    floor = check_range(floor, "floor", 0.0, 1.0)
    return lambda epoch: floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * min(epoch, epochs - 1)
                                                                  / epochs))
