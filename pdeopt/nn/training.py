"""The training loop, with "effective epochs" accounting for methods with inner loops."""
from __future__ import annotations

import math
import time

import numpy as np

from .._checks import as_rng, check_callable, check_integer, check_object, check_option
from .._result import Recorder
from .._xp import like, namespace
from ..data import minibatches
from ..data.batches import _check_xy
from . import _device
from .losses import LOSSES
from .model import check_model

__all__ = ["train", "batch_stream"]


def batch_stream(x, y, batch_size, rng=None):
    """Endless minibatches: successive passes over ``(x, y)``, each in a fresh random order.

    Examples
    --------
    >>> import numpy as np
    >>> stream = batch_stream(np.arange(5), np.arange(5), 2, rng=0)
    >>> [len(next(stream)[0]) for _ in range(4)]
    [2, 2, 1, 2]
    """
    x, y = _check_xy(x, y)
    batch_size = check_integer(batch_size, "batch_size", minimum=1)
    return _stream(x, y, batch_size, as_rng(rng))


def _stream(x, y, batch_size, rng):
    while True:
        yield from minibatches(x, y, batch_size, rng=rng)


def _device_stream(x, y, batch_size, generator):
    """``_stream`` for device arrays: each pass's order is the argsort of uniform draws of
    the device's ``generator``, and a batch is an index slice of it, all on the device."""
    xp = namespace(x)
    n = x.shape[0]
    while True:
        order = xp.argsort(generator.random(n))
        for start in range(0, n, batch_size):
            idx = order[start:start + batch_size]
            yield x[idx], y[idx]


def _unpack(data):
    if hasattr(data, "x_train") and hasattr(data, "x_test"):
        return data.x_train, data.y_train, data.x_test, data.y_test
    if isinstance(data, (tuple, list)) and len(data) in (2, 4):
        return tuple(data) + (None, None) if len(data) == 2 else tuple(data)
    raise TypeError("data must be a pdeopt.data.Dataset or a tuple (x_train, y_train[, x_val, "
                    f"y_val]), got {type(data).__name__}")


def check_optimizer(optimizer, name="optimizer"):
    """An object with ``step(params, grad, oracle=None)`` and ``on_epoch(epoch)``."""
    check_object(optimizer, name, "step", "on_epoch",
                 kind="an optimizer with step(params, grad, oracle) and on_epoch(epoch) "
                      "(e.g. pdeopt.nn.SGD)")
    if not callable(optimizer.step) or not callable(optimizer.on_epoch):
        raise TypeError(f"{name}.step and {name}.on_epoch must be callable")
    return optimizer


def _val_error(model, x_val, y_val, rec, epoch):
    """Validation error (evaluation mode); outputs that overflowed are a divergence."""
    out = model._predict_outputs(x_val)
    xp = namespace(out)
    if not xp.all(xp.isfinite(out)):
        raise rec.diverged(epoch + 1, "the validation outputs")
    return float(xp.mean(out.argmax(axis=1) != y_val))


def _epoch_losses(losses, rec, epoch, optimizer, evals):
    """The mean of an epoch's minibatch losses; on the device they are read back here, once
    per epoch, and a non-finite one is reported with its step."""
    xp = namespace(*losses)
    if xp is np:
        return float(np.mean(losses))
    values = xp.stack(losses)
    bad = ~xp.isfinite(values)
    if bad.any():
        step = int(bad.argmax())
        raise rec.diverged(epoch + 1, f"the minibatch loss at epoch {epoch + 1}, step "
                           f"{step + 1}", lr=getattr(optimizer, "lr", None), evaluations=evals)
    return float(values.astype(xp.float64).mean())


def _keep_history(exc, rec, epoch, evals):
    """Attach the history so far to ``exc`` as ``.result`` (unless it carries one)."""
    if getattr(exc, "result", None) is None:
        exc.result = rec.diverged(epoch, "the optimizer step", evaluations=evals).result
    return exc


def step_gradient(optimizer, grad):
    """The gradient ``optimizer.step`` is given: the model's buffer ``grad`` itself when the
    optimizer only borrows it (``borrows_grad``), else a copy (an oracle call overwrites the
    buffer; an optimizer may keep what it was given)."""
    return grad if getattr(optimizer, "borrows_grad", False) else grad.copy()


def train(model, optimizer, data, *, epochs, batch_size=128, rng=0, max_evals=None,
          callback=None, progress=None, loss="cross_entropy", backend="auto"):
    """Train ``model`` by ``optimizer`` on minibatches; record per-epoch history.

    Each step draws the next minibatch (xᵦ, yᵦ), evaluates the minibatch loss and
    its gradient g = ∇f_β(x) (one gradient evaluation) and calls
    ``optimizer.step(model.params, g, oracle)``. ``oracle(w)`` returns the loss and
    gradient at ``w`` on the following minibatch and counts one evaluation, so an
    optimizer with an inner loop of L steps costs L + 1 evaluations per step. g is a
    copy of the model's gradient buffer, or the buffer itself for an optimizer whose
    ``borrows_grad`` is true (it reads g during the step only and never calls the oracle,
    which overwrites that buffer: :class:`SGD`). An
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
        Number of epochs (of optimizer steps), ≥ 1: the budget.
    batch_size : int
    rng : None, int or numpy.random.Generator
        Draws the minibatch order and seeds the dropout masks (default: seed 0, so a
        run is reproducible).
    max_evals : int, optional
        Stop once this many gradient evaluations have been made (a budget too).
    callback : callable, optional
        ``callback(it)`` after each epoch, with ``it`` a :class:`pdeopt.Iterate`:
        ``it.nit`` the epochs finished, ``it.x`` the model, ``it.values`` the row just
        recorded; returning ``True`` (or raising ``StopIteration``) stops training.
    progress : callable, optional
        Receives one line of text per epoch.
    loss : {"cross_entropy", "squared"}
    backend : {"auto", "numpy", "numba", "cuda"}
        Where to train. ``"auto"``: where the model is (see :meth:`Sequential.to`);
        ``"cuda"``: on the GPU, the model moved there (it stays there); ``"numpy"`` or
        ``"numba"``: on the host (the layers' own ``backend`` picks their kernels). On the
        GPU the data set is moved to the device once per call, each pass's order is drawn
        by CuPy's generator (seeded from ``rng``: reproducible, but not the CPU's batches),
        batches are index slices on the device, and the losses are read back once per
        epoch (a non-finite one then raises, naming its step). Needs CuPy
        (:class:`pdeopt.BackendUnavailableError` otherwise).

    Returns
    -------
    Result
        ``x``: the final flat parameters (a device array when the training data was one);
        ``nit``: the epochs finished; ``history``:
        per epoch ``epoch``, ``loss`` (mean minibatch loss), ``train_error``
        (fraction of the epoch's minibatch samples misclassified, measured in training
        mode as they were seen), ``val_error`` (evaluation mode; NaN without a
        validation set), ``effective_epochs``, ``lr``, ``time``;
        ``info["evaluations"]``. A training loop has no stopping test, so it never
        claims convergence: ``status`` is 1 when the budget (``epochs`` or
        ``max_evals``) ran out, 4 when the callback stopped it, 3 when interrupted.

    Raises
    ------
    pdeopt.DivergenceError
        When the loss becomes NaN or inf; the message names the epoch, the step and
        the optimizer, and the exception's ``.result`` holds the history of the
        finished epochs. An exception raised by the optimizer's step (an inner loop
        that diverged) gets the same ``.result`` unless it carries its own.

    References
    ----------
    .. [1] P. Chaudhari, A. Choromanska, S. Soatto, Y. LeCun, C. Baldassi, C. Borgs,
       J. Chayes, L. Sagun, R. Zecchina, "Entropy-SGD: biasing gradient descent into
       wide valleys", ICLR 2017 (effective epochs).
    .. [2] P. Chaudhari, A. Oberman, S. Osher, S. Soatto, G. Carlier, "Deep relaxation:
       partial differential equations for optimizing deep neural networks", 2018.

    Examples
    --------
    >>> from pdeopt.data import load_digits
    >>> from pdeopt.nn import SGD, mlp
    >>> d = load_digits()
    >>> res = train(mlp([16], input_shape=(8, 8), rng=0), SGD(0.1, momentum=0.9), d,
    ...             epochs=2, batch_size=64)
    >>> res.status, res.nit, bool(res.history["val_error"][-1] < 0.3)
    (1, 2, True)
    """
    model = check_model(model)
    optimizer = check_optimizer(optimizer)
    x_tr, y_tr, x_val, y_val = _unpack(data)
    epochs = check_integer(epochs, "epochs", minimum=1)
    batch_size = check_integer(batch_size, "batch_size", minimum=1)
    if max_evals is not None:
        max_evals = check_integer(max_evals, "max_evals", minimum=1)
    for name, fn in (("callback", callback), ("progress", progress)):
        if fn is not None:
            check_callable(fn, name)
    check_option(loss, "loss", LOSSES)
    from pdeopt.kernels import BACKENDS
    backend = check_option(backend, "backend", BACKENDS)
    if backend != "auto":
        model.to("cuda" if backend == "cuda" else "cpu")
    given = x_tr                     # x is returned as this kind of array
    xp = model._xp
    x_tr = model.check_inputs(x_tr, "x_train")
    y_tr = model.check_targets(y_tr, x_tr.shape[0], loss, "y_train", "x_train")
    has_val = x_val is not None or y_val is not None
    if has_val:
        x_val = model.check_inputs(x_val, "x_val")
        y_val = model.check_targets(y_val, x_val.shape[0], "cross_entropy", "y_val", "x_val")
    labels = y_tr.ndim == 1
    seed = rng if isinstance(rng, (int, np.integer)) else None  # recorded when it is a seed
    rng = as_rng(rng)

    model.reseed(rng)
    if xp is np:
        stream = _stream(x_tr, y_tr, batch_size, rng)
    else:
        stream = _device_stream(x_tr, y_tr, batch_size,
                                _device.generator(xp, int(rng.integers(2 ** 63))))
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
                saved = xp.empty_like(model.params)
            xp.copyto(saved, model.params)
            model.params[...] = w
            try:
                value, grad, _ = model._loss_and_grad(xb, yb, loss)
            finally:
                model.params[...] = saved
        evals += 1
        return value, grad.copy()

    rec = Recorder("train", max_iter=epochs, callback=callback, optimizer=repr(optimizer),
                   epochs=epochs, batch_size=batch_size, rng=seed, max_evals=max_evals,
                   loss=loss, device=model.device)
    t0 = time.perf_counter()
    message = None
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
                if xp is np and not math.isfinite(value):   # the device's: once per epoch
                    raise rec.diverged(epoch + 1, f"the minibatch loss at epoch {epoch + 1}, "
                                       f"step {step + 1}", lr=getattr(optimizer, "lr", None),
                                       evaluations=evals)
                try:
                    optimizer.step(model.params, step_gradient(optimizer, grad), oracle)
                except (FloatingPointError, ValueError) as exc:
                    # an inner loop (Entropy-SGD, HJ...) diverged: keep the history too
                    if xp is not np:  # a loss not read back yet may be why: name its step
                        _epoch_losses(losses + [value], rec, epoch, optimizer, evals)
                    raise _keep_history(exc, rec, epoch + 1, evals) from None
                losses.append(value)
                if labels:
                    wrong = wrong + xp.count_nonzero(out.argmax(axis=1) != yb)
                    seen += yb.shape[0]
            if not losses:
                message = f"completed its budget: max_evals={max_evals} evaluations reached"
                break
            row = {"epoch": epoch + 1,
                   "loss": _epoch_losses(losses, rec, epoch, optimizer, evals),
                   "train_error": int(wrong) / seen if seen else float("nan"),
                   "val_error": _val_error(model, x_val, y_val, rec, epoch) if has_val
                   else float("nan"),
                   "effective_epochs": evals / per_epoch,
                   "lr": getattr(optimizer, "lr", float("nan")),
                   "time": time.perf_counter() - t0}
            rec.log(**row)
            if progress is not None:
                progress(f"epoch {epoch + 1:3d}/{epochs}  loss {row['loss']:.4f}  "
                         f"train err {row['train_error']:.4f}  val err {row['val_error']:.4f}  "
                         f"eff. epochs {row['effective_epochs']:.2f}  {row['time']:.1f}s")
            if rec.end_iteration(model):
                break
            if max_evals is not None and evals >= max_evals:
                message = f"completed its budget: max_evals={max_evals} evaluations reached"
                break
    return rec.result(like(model.get_params(), given), message=message, evaluations=evals,
                      batches_per_epoch=per_epoch)
