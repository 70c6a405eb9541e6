"""The WNLL output layer: a network whose softmax is replaced by WNLL interpolation.

Wang, Luo, Li, Zhu, Shi & Osher (arXiv 1802.00168; Osher 2018, "Deep learning
with data dependent implicit activation functions"): the network's last hidden
features are labeled by harmonic extension (WNLL, :func:`pdeopt.graph.harmonic_extension`)
from a *template* of labeled training features instead of by softmax. The
interpolation is implicit (a linear solve over the graph of the features), so its
gradient is not available; training alternates three steps:

1. train the whole network with the *linear activation* (a dense layer + softmax
   cross-entropy) to steady state; the WNLL layer is not used;
2. freeze the body and the linear layer, and fine-tune the *buffer block* (the
   layers just before the linear layer) for a few epochs: the error u − y between
   the WNLL-interpolated scores u of a minibatch and its one-hot labels y is
   back-propagated through the linear layer's computational graph, as if u were
   its softmax output (for softmax cross-entropy that error is the gradient
   w.r.t. the logits);
3. unfreeze and train with the linear activation to steady state again.

At test time the test features are labeled by WNLL from the template.

Layout assumed: ``Sequential([... body ..., *buffer block*, Dense(n_classes)])``;
the buffer block is ``model.layers[buffer_start:-1]`` (default: from the
second-to-last ``Dense`` on, e.g. ``Dense(32), ReLU()``).
"""
from __future__ import annotations

import numpy as np

from .._checks import (as_float_array, as_rng, check_callable, check_integer, check_labels,
                       check_momentum, check_positive)
from .._result import Recorder
from .layers import Dense
from .model import check_model
from .optimizers import SGD
from .training import _unpack, train

__all__ = ["features", "wnll_scores", "wnll_predict", "wnll_error", "buffer_start",
           "finetune_buffer", "train_wnll"]


def buffer_start(model) -> int:
    """Index of the first layer of the buffer block: the second-to-last ``Dense``.

    Examples
    --------
    >>> from pdeopt.nn import Dense, Flatten, ReLU, Sequential
    >>> net = Sequential([Flatten(), Dense(8), ReLU(), Dense(10)], input_shape=(8, 8))
    >>> buffer_start(net)
    1
    """
    model = check_model(model)
    dense = [i for i, layer in enumerate(model.layers) if isinstance(layer, Dense)]
    if len(dense) < 2 or dense[-1] != len(model.layers) - 1:
        raise ValueError("a WNLL-activated model needs Sequential([..., Dense(h), ..., "
                         "Dense(n_classes)]): a buffer Dense before a final Dense output layer")
    return dense[-2]


def features(model, x, *, batch_size=1024) -> np.ndarray:
    """Inputs of the output layer (the features WNLL interpolates over), evaluation mode."""
    model = check_model(model)
    batch_size = check_integer(batch_size, "batch_size", minimum=1)
    x = model.check_inputs(x)
    out = []
    for start in range(0, x.shape[0], batch_size):
        h = x[start:start + batch_size]
        for layer in model.layers[:-1]:
            h = layer._forward(h, False)
        out.append(h.reshape(h.shape[0], -1))
    return np.concatenate(out).astype(np.float64)


def wnll_scores(template_features, template_labels, query_features, *, n_classes,
                n_neighbors=15):
    """WNLL scores (n_query, n_classes) of query points, labels known on the template.

    One kNN graph with self-tuning weights over template ∪ query; the WNLL
    harmonic extension with the template as the labeled set S.
    """
    from pdeopt.graph import harmonic_extension, knn_graph, weight_matrix

    template = as_float_array(template_features, "template_features", ndim=2)
    query = as_float_array(query_features, "query_features", ndim=2)
    if query.shape[1] != template.shape[1]:
        raise ValueError(f"query_features must have {template.shape[1]} columns like "
                         f"template_features, got {query.shape[1]}")
    n_classes = check_integer(n_classes, "n_classes", minimum=1)
    labels = check_labels(template_labels, "template_labels", n_classes=n_classes)
    if labels.size != template.shape[0]:
        raise ValueError(f"template_features and template_labels must have the same number "
                         f"of points, got {template.shape[0]} and {labels.size}")
    n_neighbors = check_integer(n_neighbors, "n_neighbors", minimum=1)
    X = np.concatenate([template, query])
    if X.shape[0] < 2:
        raise ValueError("template_features and query_features must hold 2 points or more")
    k = min(n_neighbors, X.shape[0] - 1)
    with np.errstate(all="ignore"):
        W = weight_matrix(*knn_graph(X, k, search="auto", rng=0))
    m = template.shape[0]
    res = harmonic_extension(W, np.arange(m), labels, method="wnll", n_classes=n_classes)
    return res.x[m:]


def _template_xy(model, x_template, y_template):
    x_template = model.check_inputs(x_template, "x_template")
    y_template = model.check_targets(y_template, x_template.shape[0], "cross_entropy",
                                     "y_template", "x_template")
    return x_template, y_template


def wnll_predict(model, x_template, y_template, x, *, n_neighbors=15) -> np.ndarray:
    """Labels of ``x`` by WNLL interpolation of the template's labels over the model's features.

    Examples
    --------
    >>> import numpy as np
    >>> from pdeopt.data import load_digits
    >>> from pdeopt.nn import Dense, Flatten, ReLU, Sequential
    >>> d = load_digits()
    >>> net = Sequential([Flatten(), Dense(16), ReLU(), Dense(10)], input_shape=(8, 8), rng=0)
    >>> pred = wnll_predict(net, d.x_train[:300], d.y_train[:300], d.x_test[:100])
    >>> pred.shape, bool(np.mean(pred == d.y_test[:100]) > 0.5)
    ((100,), True)
    """
    model = check_model(model)
    x_template, y_template = _template_xy(model, x_template, y_template)
    return np.argmax(wnll_scores(features(model, x_template), y_template,
                                 features(model, x), n_classes=model.output_shape[0],
                                 n_neighbors=n_neighbors), axis=1)


def wnll_error(model, x_template, y_template, x, y, *, n_neighbors=15) -> float:
    """Fraction of ``x`` misclassified by the WNLL-activated model."""
    model = check_model(model)
    x = model.check_inputs(x)
    y = model.check_targets(y, x.shape[0], "cross_entropy", "y", "x")
    return float(np.mean(wnll_predict(model, x_template, y_template, x,
                                      n_neighbors=n_neighbors) != y))
def _buffer_views(model, start):
    # (param view, grad view) pairs of the buffer block's layers (views into the flat vectors)
    return [(layer.params[s], layer.grads[s]) for layer in model.layers[start:-1]
            for s in layer.params]


def _template(rng, y, per_class, exclude=None):
    idx = []
    for c in np.unique(y):
        pool = np.flatnonzero(y == c)
        if exclude is not None:
            kept = np.setdiff1d(pool, exclude)
            # a class whose every point is in the batch keeps them: WNLL needs a labeled
            # point of each class (only tiny data sets get here)
            pool = kept if kept.size else pool
        idx.append(rng.choice(pool, min(per_class, pool.size), replace=False))
    return np.concatenate(idx)


def _check_counts(batch_size, template_per_class, n_neighbors, progress):
    """The options shared by the fine-tuning and the alternation (and their progress)."""
    if progress is not None:
        check_callable(progress, "progress")
    return (check_integer(batch_size, "batch_size", minimum=1),
            check_integer(template_per_class, "template_per_class", minimum=1),
            check_integer(n_neighbors, "n_neighbors", minimum=1))


def _check_labeled(model, x, y, name_x="x", name_y="y"):
    x = model.check_inputs(x, name_x)
    y = model.check_targets(y, x.shape[0], "cross_entropy", name_y, name_x)
    if np.unique(y).size != model.output_shape[0]:
        raise ValueError(f"{name_y} must cover all {model.output_shape[0]} classes (the WNLL "
                         "template needs a labeled point of each)")
    return x, y


def finetune_buffer(model, x, y, *, epochs, lr, batch_size=64, template_per_class=20,
                    n_neighbors=15, rng=None, callback=None, progress=None):
    """Step 2: fine-tune the buffer block by the WNLL error back-propagated as the linear one's.

    For every minibatch (x_B, y_B): features of a random labeled template (not in
    the batch) and of the batch, WNLL scores u of the batch from the template,
    then the error (u − onehot(y_B))/|B| is passed backward through the output
    Dense layer and the buffer block, and only the buffer's weights take the
    step ``w ← w − lr·g``.

    Returns
    -------
    pdeopt.Result
        ``x``: the final flat parameters; ``history["loss"]``: the mean squared WNLL
        error per epoch; ``nit``: the epochs finished. There is no stopping test:
        ``status`` is 1 after ``epochs`` epochs, 4 when ``callback(it)`` (``it.x`` the
        model) returned True, 3 when interrupted.

    Raises
    ------
    pdeopt.DivergenceError
        When the WNLL error becomes NaN or inf (the history is in ``.result``).
    """
    model = check_model(model)
    start = buffer_start(model)
    epochs = check_integer(epochs, "epochs", minimum=1)
    lr = check_positive(lr, "lr")
    batch_size, template_per_class, n_neighbors = _check_counts(
        batch_size, template_per_class, n_neighbors, progress)
    x, y = _check_labeled(model, x, y)
    rng = as_rng(rng)
    views = _buffer_views(model, start)
    n_classes = model.output_shape[0]
    rec = Recorder("finetune_buffer", max_iter=epochs, callback=callback, lr=lr,
                   batch_size=batch_size, template_per_class=template_per_class)
    with rec.running():
        for epoch in range(epochs):
            total, count = 0.0, 0
            order = rng.permutation(len(y))
            for b in range(0, len(y), batch_size):
                ib = order[b:b + batch_size]
                xb, yb = x[ib], y[ib]
                t_idx = _template(rng, y, template_per_class, exclude=ib)
                template = features(model, x[t_idx])
                h = xb
                for layer in model.layers[:start]:  # frozen body: no gradient needed
                    h = layer._forward(h, False)
                for layer in model.layers[start:-1]:  # buffer block, caches kept for backward
                    h = layer._forward(h, True)
                feats = h.reshape(len(yb), -1).astype(np.float64)
                rec.require_finite(feats, epoch, "the buffer block's features", lr=lr)
                model.layers[-1]._forward(h, True)  # the linear activation's graph
                u = wnll_scores(template, y[t_idx], feats, n_classes=n_classes,
                                n_neighbors=n_neighbors)
                err = u - np.eye(n_classes)[yb]
                total += float(np.sum(err ** 2))
                count += len(yb)
                dout = (err / len(yb)).astype(model.dtype)
                for layer in reversed(model.layers[start:]):
                    dout = layer._backward(dout)
                for p, g in views:
                    p -= lr * g
            rec.require_finite(total, epoch, "the WNLL squared error", lr=lr)
            rec.log(loss=total / count)
            if progress is not None:
                progress(f"buffer fine-tune epoch {epoch + 1}: WNLL squared error "
                         f"{rec.last('loss'):.4f}")
            if rec.end_iteration(model):
                break
    return rec.result(model.get_params())


def train_wnll(model, data, *, lr=0.05, momentum=0.9, epochs_linear=20, epochs_buffer=3,
               epochs_retrain=10, rounds=1, batch_size=64, template_per_class=20,
               n_neighbors=15, rng=0, callback=None, progress=None):
    """Train a WNLL-activated network by the seed's three-step alternation.

    Step 1: ``epochs_linear`` epochs with the linear activation (softmax
    cross-entropy, SGD with momentum); then ``rounds`` times: step 2,
    ``epochs_buffer`` epochs of buffer fine-tuning through the WNLL error
    (:func:`finetune_buffer`), and step 3, ``epochs_retrain`` epochs of the whole
    network with the linear activation. A phase given 0 epochs is skipped (but
    still recorded).

    Parameters
    ----------
    model : pdeopt.nn.Sequential
        ``[..., buffer block, Dense(n_classes)]`` (see :func:`buffer_start`).
    data : Dataset or tuple (x_train, y_train[, x_val, y_val])
        Each phase records its errors on the validation part (NaN without one).
    lr : float
        Step size (> 0) of SGD in steps 1 and 3 and of the plain gradient steps of step 2.
    momentum : float
        Heavy-ball momentum of SGD in steps 1 and 3, in [0, 1).
    epochs_linear, epochs_buffer, epochs_retrain, rounds : int
        ≥ 0.
    template_per_class : int
        Labeled training points per class in each minibatch's WNLL template.
    rng : None, int or numpy.random.Generator
        The minibatch orders, templates and dropout masks (default: seed 0).
    callback : callable, optional
        ``callback(it)`` after each phase (``it.x`` the model, ``it.values`` the
        phase's row); returning True stops.

    Returns
    -------
    pdeopt.Result
        ``x``: final parameters; history per phase end: ``val_error_linear``
        (softmax head) and ``val_error_wnll`` (WNLL head, template = all
        training points), ``phase`` (1, 2, 3, 2, 3, ...); ``nit``: the phases
        finished. There is no stopping test: ``status`` is 1 when every phase ran,
        4 when the callback stopped it, 3 when interrupted.

    References
    ----------
    B. Wang, X. Luo, Z. Li, W. Zhu, Z. Shi, S. Osher, "Deep neural nets with
    interpolating function as output activation", NeurIPS 2018 (arXiv 1802.00168).

    Examples
    --------
    >>> from pdeopt.data import load_digits
    >>> from pdeopt.nn import Dense, Flatten, ReLU, Sequential
    >>> d = load_digits()
    >>> net = Sequential([Flatten(), Dense(16), ReLU(), Dense(10)], input_shape=(8, 8), rng=0)
    >>> data = (d.x_train[:300], d.y_train[:300], d.x_test[:100], d.y_test[:100])
    >>> res = train_wnll(net, data, epochs_linear=2, epochs_buffer=1, epochs_retrain=1)
    >>> res.history["phase"].tolist(), res.status, res.nit
    ([1, 2, 3], 1, 3)
    """
    model = check_model(model)
    for name, v in (("epochs_linear", epochs_linear), ("epochs_buffer", epochs_buffer),
                    ("epochs_retrain", epochs_retrain), ("rounds", rounds)):
        check_integer(v, name, minimum=0)
    lr = check_positive(lr, "lr")
    momentum = check_momentum(momentum)
    batch_size, template_per_class, n_neighbors = _check_counts(
        batch_size, template_per_class, n_neighbors, progress)
    buffer_start(model)  # the layout check, before any training
    x_tr, y_tr, x_val, y_val = _unpack(data)
    x_tr, y_tr = _check_labeled(model, x_tr, y_tr, "x_train", "y_train")
    has_val = x_val is not None or y_val is not None
    if has_val:
        x_val = model.check_inputs(x_val, "x_val")
        y_val = model.check_targets(y_val, x_val.shape[0], "cross_entropy", "y_val", "x_val")
    seed = rng if isinstance(rng, (int, np.integer)) else None
    rng = as_rng(rng)
    rec = Recorder("train_wnll", max_iter=1 + 2 * rounds, callback=callback, lr=lr,
                   momentum=momentum, epochs_linear=epochs_linear, epochs_buffer=epochs_buffer,
                   epochs_retrain=epochs_retrain, rounds=rounds,
                   template_per_class=template_per_class, rng=seed)

    def log(phase):
        if has_val:
            rec.log(phase=phase, val_error_linear=model.error(x_val, y_val),
                    val_error_wnll=wnll_error(model, x_tr, y_tr, x_val, y_val,
                                              n_neighbors=n_neighbors))
        else:
            rec.log(phase=phase, val_error_linear=np.nan, val_error_wnll=np.nan)
        if progress is not None:
            progress(f"after step {phase}: linear {rec.last('val_error_linear'):.4f}, "
                     f"WNLL {rec.last('val_error_wnll'):.4f}")
        return rec.end_iteration(model)

    def linear(epochs):
        run_rng = int(rng.integers(2 ** 31))
        if epochs and train(model, SGD(lr, momentum=momentum), (x_tr, y_tr), epochs=epochs,
                            batch_size=batch_size, rng=run_rng).status == 3:
            raise KeyboardInterrupt  # the inner run kept its part; the outer one stops too

    with rec.running():
        linear(epochs_linear)
        stop = log(1)
        for _ in range(rounds):
            if stop:
                break
            if epochs_buffer and finetune_buffer(
                    model, x_tr, y_tr, epochs=epochs_buffer, lr=lr, batch_size=batch_size,
                    template_per_class=template_per_class, n_neighbors=n_neighbors,
                    rng=rng).status == 3:
                raise KeyboardInterrupt
            if log(2):
                break
            if epochs_retrain:
                linear(epochs_retrain)
                stop = log(3)
    return rec.result(model.get_params())
