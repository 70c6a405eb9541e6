"""The training loop, with "effective epochs" accounting for methods with inner loops."""
from __future__ import annotations

import math
import time

import numpy as np

from .._checks import as_rng, check_integer
from .._result import Recorder
from ..data import minibatches

__all__ = ["train", "batch_stream"]


def batch_stream(x, y, batch_size, rng):
    """Endless minibatches: successive passes over ``(x, y)``, each in a fresh random order."""
    while True:
        yield from minibatches(x, y, batch_size, rng=rng)


def _unpack(data):
    if hasattr(data, "x_train") and hasattr(data, "x_test"):
        return data.x_train, data.y_train, data.x_test, data.y_test
    if isinstance(data, (tuple, list)) and len(data) in (2, 4):
        return tuple(data) + (None, None) if len(data) == 2 else tuple(data)
    raise TypeError("data must be a pdeopt.data.Dataset or a tuple (x_train, y_train[, x_val, "
                    "y_val])")


def _diverged(exc, rec, model, evals):
    """Attach the history so far to ``exc`` as ``.result`` (unless it carries one)."""
    if getattr(exc, "result", None) is None:
        exc.result = rec.result(model.get_params(), converged=False, evaluations=evals,
                                message=str(exc))
    return exc


def train(model, optimizer, data, *, epochs, batch_size=128, seed=0, max_evals=None,
          callback=None, progress=None, loss="cross_entropy"):
    """Train ``model`` by ``optimizer`` on minibatches; record per-epoch history.

    Each step draws the next minibatch (xᵦ, yᵦ), evaluates the minibatch loss and
    its gradient g = ∇f_β(x) (one gradient evaluation) and calls
    ``optimizer.step(model.params, g, oracle)``. ``oracle(w)`` returns the loss and
    gradient at ``w`` on the following minibatch and counts one evaluation, so an
    optimizer with an inner loop of L steps costs L + 1 evaluations per step. An
    epoch is ``ceil(n_train / batch_size)`` optimizer steps, and

        effective epochs = gradient evaluations / batches per epoch,

    the measure in which methods with and without inner loops are compared fairly
    (Chaudhari et al. 2017, Entropy-SGD; Chaudhari, Oberman et al. 2018, Deep
    Relaxation).

    Parameters
    ----------
    model : Sequential
    optimizer : Optimizer
        Anything with ``step(params, grad, oracle=None)`` and ``on_epoch(epoch)``.
    data : Dataset or tuple
        ``pdeopt.data.Dataset`` (its test part is the validation set) or
        ``(x_train, y_train, x_val, y_val)`` or ``(x_train, y_train)``.
    epochs : int
        Number of epochs (of optimizer steps).
    batch_size : int
    seed : int
        Seeds the minibatch order and the dropout masks.
    max_evals : int, optional
        Stop once this many gradient evaluations have been made.
    callback : callable, optional
        ``callback(epoch, model, row)`` after each epoch (``row`` the dict just
        recorded); returning ``True`` stops training.
    progress : callable, optional
        Receives one line of text per epoch.
    loss : {"cross_entropy", "squared"}

    Returns
    -------
    Result
        ``x``: the final flat parameters; ``history``: per epoch ``epoch``, ``loss``
        (mean minibatch loss), ``train_error`` (fraction of the epoch's minibatch
        samples misclassified, measured in training mode as they were seen),
        ``val_error`` (evaluation mode; NaN without a validation set),
        ``effective_epochs``, ``lr``, ``time``; ``info["evaluations"]``.

    Raises
    ------
    FloatingPointError
        When the loss becomes NaN or inf; the message names the epoch and step, and
        the exception's ``.result`` holds the history up to the previous epoch.

    References
    ----------
    .. [1] P. Chaudhari, A. Choromanska, S. Soatto, Y. LeCun, C. Baldassi, C. Borgs,
       J. Chayes, L. Sagun, R. Zecchina, "Entropy-SGD: biasing gradient descent into
       wide valleys", ICLR 2017 (effective epochs).
    .. [2] P. Chaudhari, A. Oberman, S. Osher, S. Soatto, G. Carlier, "Deep relaxation:
       partial differential equations for optimizing deep neural networks", 2018.
    """
    x_tr, y_tr, x_val, y_val = _unpack(data)
    epochs = check_integer(epochs, "epochs", minimum=0)
    batch_size = check_integer(batch_size, "batch_size", minimum=1)
    if max_evals is not None:
        max_evals = check_integer(max_evals, "max_evals", minimum=1)
    x_tr = model.check_inputs(x_tr, "x_train")
    y_tr = model.check_targets(y_tr, x_tr.shape[0], loss, "y_train")
    has_val = x_val is not None
    if has_val:
        x_val = model.check_inputs(x_val, "x_val")
        y_val = model.check_targets(y_val, x_val.shape[0], "cross_entropy", "y_val")
    labels = y_tr.ndim == 1

    rng = as_rng(seed=seed)
    model.reseed(rng)
    stream = batch_stream(x_tr, y_tr, batch_size, rng)
    per_epoch = math.ceil(x_tr.shape[0] / batch_size)
    evals = 0

    saved = None  # the weights an evaluation at other weights swaps out, kept between calls

    def oracle(w):
        """Loss and gradient at w on the next minibatch (one gradient evaluation)."""
        nonlocal evals, saved
        xb, yb = next(stream)
        if w is model.params:  # an optimizer iterating in place: nothing to swap
            value, grad, _ = model._loss_and_grad(xb, yb, loss)
        else:
            if saved is None:
                saved = np.empty_like(model.params)
            np.copyto(saved, model.params)
            model.params[...] = w
            try:
                value, grad, _ = model._loss_and_grad(xb, yb, loss)
            finally:
                model.params[...] = saved
        evals += 1
        return value, grad.copy()

    rec = Recorder(optimizer=repr(optimizer), epochs=epochs, batch_size=batch_size, seed=seed,
                   max_evals=max_evals, loss=loss)
    t0 = time.perf_counter()
    message = "finished"
    with rec.running():
        for epoch in range(epochs):
            optimizer.on_epoch(epoch)
            losses, wrong, seen = [], 0, 0
            for step in range(per_epoch):
                if max_evals is not None and evals >= max_evals:
                    break
                xb, yb = next(stream)
                value, grad, out = model._loss_and_grad(xb, yb, loss)
                evals += 1
                if not math.isfinite(value):
                    raise _diverged(FloatingPointError(
                        f"train: the loss is {value} at epoch {epoch}, step {step} "
                        f"(optimizer {optimizer!r}); the result so far is in .result"),
                        rec, model, evals)
                try:
                    optimizer.step(model.params, grad.copy(), oracle)
                except (FloatingPointError, ValueError) as exc:
                    # an inner loop (Entropy-SGD, HJ...) diverged: keep the history too
                    raise _diverged(exc, rec, model, evals) from None
                losses.append(value)
                if labels:
                    wrong += int(np.count_nonzero(out.argmax(axis=1) != yb))
                    seen += yb.shape[0]
            if not losses:
                message = f"stopped: max_evals={max_evals} reached"
                break
            row = {"epoch": epoch + 1, "loss": float(np.mean(losses)),
                   "train_error": wrong / seen if seen else float("nan"),
                   "val_error": model.error(x_val, y_val) if has_val else float("nan"),
                   "effective_epochs": evals / per_epoch, "lr": optimizer.lr,
                   "time": time.perf_counter() - t0}
            rec.log(**row)
            if progress is not None:
                progress(f"epoch {epoch + 1:3d}/{epochs}  loss {row['loss']:.4f}  "
                         f"train err {row['train_error']:.4f}  val err {row['val_error']:.4f}  "
                         f"eff. epochs {row['effective_epochs']:.2f}  {row['time']:.1f}s")
            if callback is not None and callback(epoch, model, row) is True:
                message = f"stopped by callback after epoch {epoch + 1}"
                break
            if max_evals is not None and evals >= max_evals:
                message = f"stopped: max_evals={max_evals} reached"
                break
    return rec.result(model.get_params(), converged=not rec.info["interrupted"], evaluations=evals,
                      batches_per_epoch=per_epoch, message=message)
