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

from .._checks import as_rng, check_integer, check_positive
from .._result import Recorder
from .layers import Dense
from .optimizers import SGD
from .training import train

__all__ = ["features", "wnll_scores", "wnll_predict", "wnll_error", "buffer_start",
           "train_wnll"]


def buffer_start(model) -> int:
    """Index of the first layer of the buffer block: the second-to-last ``Dense``."""
    dense = [i for i, layer in enumerate(model.layers) if isinstance(layer, Dense)]
    if len(dense) < 2 or dense[-1] != len(model.layers) - 1:
        raise ValueError("a WNLL-activated model needs Sequential([..., Dense(h), ..., "
                         "Dense(n_classes)]): a buffer Dense before a final Dense output layer")
    return dense[-2]


def features(model, x, *, batch_size=1024) -> np.ndarray:
    """Inputs of the output layer (the features WNLL interpolates over), evaluation mode."""
    x = model.check_inputs(x)
    out = []
    for start in range(0, x.shape[0], batch_size):
        h = x[start:start + batch_size]
        for layer in model.layers[:-1]:
            h = layer.forward(h, False)
        out.append(h.reshape(h.shape[0], -1))
    return np.concatenate(out).astype(np.float64)


def wnll_scores(template_features, template_labels, query_features, *, n_classes,
                n_neighbors=15):
    """WNLL scores (n_query, n_classes) of query points, labels known on the template.

    One kNN graph with self-tuning weights over template ∪ query; the WNLL
    harmonic extension with the template as the labeled set S.
    """
    from pdeopt.graph import harmonic_extension, knn_graph, weight_matrix

    X = np.concatenate([template_features, query_features])
    k = min(n_neighbors, X.shape[0] - 1)
    with np.errstate(all="ignore"):
        W = weight_matrix(*knn_graph(X, k, method="auto", seed=0))
    m = template_features.shape[0]
    res = harmonic_extension(W, np.arange(m), template_labels, method="wnll",
                             n_classes=n_classes)
    return res.x[m:]


def wnll_predict(model, x_template, y_template, x, *, n_neighbors=15) -> np.ndarray:
    """Labels of ``x`` by WNLL interpolation of the template's labels over the model's features."""
    n_classes = model.output_shape[0]
    return np.argmax(wnll_scores(features(model, x_template), np.asarray(y_template),
                                 features(model, x), n_classes=n_classes,
                                 n_neighbors=n_neighbors), axis=1)


def wnll_error(model, x_template, y_template, x, y, *, n_neighbors=15) -> float:
    """Fraction of ``x`` misclassified by the WNLL-activated model."""
    return float(np.mean(wnll_predict(model, x_template, y_template, x,
                                      n_neighbors=n_neighbors) != np.asarray(y)))


def _buffer_views(model, start):
    # (param view, grad view) pairs of the buffer block's layers (views into the flat vectors)
    return [(layer.params[s], layer.grads[s]) for layer in model.layers[start:-1]
            for s in layer.params]


def _template(rng, y, per_class, exclude=None):
    idx = []
    for c in np.unique(y):
        pool = np.flatnonzero(y == c)
        if exclude is not None:
            pool = np.setdiff1d(pool, exclude)
        idx.append(rng.choice(pool, min(per_class, pool.size), replace=False))
    return np.concatenate(idx)


def finetune_buffer(model, x, y, *, epochs, lr, batch_size=64, template_per_class=20,
                    n_neighbors=15, rng=None, progress=None):
    """Step 2: fine-tune the buffer block by the WNLL error back-propagated as the linear one's.

    For every minibatch (x_B, y_B): features of a random labeled template (not in
    the batch) and of the batch, WNLL scores u of the batch from the template,
    then the error (u − onehot(y_B))/|B| is passed backward through the output
    Dense layer and the buffer block, and only the buffer's weights take the
    step ``w ← w − lr·g``. Returns the mean squared WNLL error per epoch.
    """
    rng = as_rng(rng)
    start = buffer_start(model)
    views = _buffer_views(model, start)
    n_classes = model.output_shape[0]
    x = model.check_inputs(x)
    y = np.asarray(y)
    losses = []
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
                h = layer.forward(h, False)
            for layer in model.layers[start:-1]:  # buffer block, caches kept for backward
                h = layer.forward(h, True)
            feats = h.reshape(len(yb), -1).astype(np.float64)
            model.layers[-1].forward(h, True)  # the linear activation's graph
            u = wnll_scores(template, y[t_idx], feats, n_classes=n_classes,
                            n_neighbors=n_neighbors)
            err = u - np.eye(n_classes)[yb]
            total += float(np.sum(err ** 2))
            count += len(yb)
            dout = (err / len(yb)).astype(model.dtype)
            for layer in reversed(model.layers[start:]):
                dout = layer.backward(dout)
            for p, g in views:
                p -= lr * g
        losses.append(total / count)
        if progress is not None:
            progress(f"buffer fine-tune epoch {epoch + 1}: WNLL squared error {losses[-1]:.4f}")
    return losses


def train_wnll(model, data, *, lr=0.05, momentum=0.9, epochs_linear=20, epochs_buffer=3,
               epochs_retrain=10, rounds=1, batch_size=64, template_per_class=20,
               n_neighbors=15, seed=0, progress=None):
    """Train a WNLL-activated network by the seed's three-step alternation.

    Step 1: ``epochs_linear`` epochs with the linear activation (softmax
    cross-entropy, SGD with momentum); then ``rounds`` times: step 2,
    ``epochs_buffer`` epochs of buffer fine-tuning through the WNLL error
    (:func:`finetune_buffer`), and step 3, ``epochs_retrain`` epochs of the whole
    network with the linear activation.

    Parameters
    ----------
    model : pdeopt.nn.Sequential
        ``[..., buffer block, Dense(n_classes)]`` (see :func:`buffer_start`).
    data : Dataset or tuple (x_train, y_train, x_val, y_val)
    lr, momentum : float
        SGD for steps 1 and 3; step 2 uses plain gradient steps of size ``lr``.
    template_per_class : int
        Labeled training points per class in each minibatch's WNLL template.
    seed : int

    Returns
    -------
    pdeopt.Result
        ``x``: final parameters; history per phase end: ``val_error_linear``
        (softmax head) and ``val_error_wnll`` (WNLL head, template = all
        training points), ``phase`` (1, 2, 3, 2, 3, ...).

    References
    ----------
    B. Wang, X. Luo, Z. Li, W. Zhu, Z. Shi, S. Osher, "Deep neural nets with
    interpolating function as output activation", NeurIPS 2018 (arXiv 1802.00168).
    """
    for name, v in (("epochs_linear", epochs_linear), ("epochs_buffer", epochs_buffer),
                    ("epochs_retrain", epochs_retrain), ("rounds", rounds)):
        check_integer(v, name, minimum=0)
    lr = check_positive(lr, "lr")
    buffer_start(model)  # the layout check, before any training
    if hasattr(data, "x_train"):
        x_tr, y_tr, x_val, y_val = data.x_train, data.y_train, data.x_test, data.y_test
    else:
        x_tr, y_tr, x_val, y_val = data
    y_tr = np.asarray(y_tr)
    if np.unique(y_tr).size != model.output_shape[0]:
        raise ValueError(f"the training labels must cover all {model.output_shape[0]} classes "
                         "(the WNLL template needs a labeled point of each)")
    rng = as_rng(seed=seed)
    rec = Recorder(lr=lr, momentum=momentum, epochs_linear=epochs_linear,
                   epochs_buffer=epochs_buffer, epochs_retrain=epochs_retrain, rounds=rounds,
                   template_per_class=template_per_class, seed=seed)

    def log(phase):
        rec.log(phase=phase, val_error_linear=model.error(x_val, y_val),
                val_error_wnll=wnll_error(model, x_tr, y_tr, x_val, y_val,
                                          n_neighbors=n_neighbors))
        if progress is not None:
            progress(f"after step {phase}: linear {rec.last('val_error_linear'):.4f}, "
                     f"WNLL {rec.last('val_error_wnll'):.4f}")

    with rec.running():
        train(model, SGD(lr, momentum=momentum), (x_tr, y_tr), epochs=epochs_linear,
              batch_size=batch_size, seed=int(rng.integers(2 ** 31)))
        log(1)
        for _ in range(rounds):
            finetune_buffer(model, x_tr, y_tr, epochs=epochs_buffer, lr=lr,
                            batch_size=batch_size, template_per_class=template_per_class,
                            n_neighbors=n_neighbors, rng=rng)
            log(2)
            if epochs_retrain:
                train(model, SGD(lr, momentum=momentum), (x_tr, y_tr), epochs=epochs_retrain,
                      batch_size=batch_size, seed=int(rng.integers(2 ** 31)))
                log(3)
    return rec.result(model.get_params(), converged=True)
