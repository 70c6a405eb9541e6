"""The seed's "Accuracy of some simple classifiers" table: KNN, SVM, softmax, WNLL on pixels.

Osher 2018 (implicit activation) lists, on MNIST: KNN 96.40 % (k = 1), SVM with
an RBF kernel 97.79 %, softmax regression 92.65 %, WNLL 97.74 %. The slides do
not say how many points were labeled, nor which distance. Measured here on
MNIST (raw pixels in [0, 1]): 1-NN reaches 96.91 % with all 60 000 training
labels, 96.66 % with 50 000, 96.53 % with 40 000, 96.18 % with 30 000, 95.57 %
with 20 000, 94.63 % with 10 000; scikit-learn's SVC(rbf) 95.94 % with 10 000
and 96.95 % with 20 000; softmax regression (``pdeopt.nn``, 10 epochs) 91.8 %
with 60 000 and 90.5 % with 10 000. SVM 97.79 % and softmax 92.65 % are
reachable only with (nearly) all training labels, so the numbers imply the
supervised protocol: every training point labeled, the test set the unlabeled
part (WNLL interpolating over the graph of train + test, i.e. transductively).

Which distance: with Euclidean distance on raw pixels WNLL gives 97.41 %
(exact kNN 97.50 %; k = 10 / 15 / 20 and σ from the 4th to the 10th neighbour,
with the authors' code's exp(−|x−y|⁴/σ⁴) as well: 97.29–97.52 %), 0.33 below
the seed. With angular distance (each image scaled to unit norm, so
|x−y|² = 2 − 2 cos θ) WNLL gives 97.78 %: the seed's number. No protocol
reproduces the whole row: 1-NN is 96.91 % (raw) and 97.23 % (unit norm), both
above the seed's 96.40 % (what 30 000–40 000 raw training points give), and
scikit-learn's default SVC is 97.92 % / 98.11 %, above the seed's 97.79 %, so
the seed's WNLL ≈ SVM (0.05 apart) is not seen: SVC is 0.3–0.5 points above
WNLL on either. That gap is reported beside the seed's, not checked.

Default mode runs the supervised protocol on scikit-learn's digits (1350
labeled, 447 test), and the same with only 10 labels per class, where a graph
method should matter most; ``--full`` adds the two MNIST rows (slow: SVC on
60 000 points, about 6 min each).

Checks (paired on the same test points, so the standard error of a difference
of accuracies is √(n₀₁ + n₁₀)/n from the discordant pairs):
* every all-labels row: WNLL ≥ KNN − 2 SE (the seed: WNLL above KNN on every
  data set) and WNLL > softmax + 2 SE;
* digits: |WNLL − SVM| ≤ 2 SE with all labels (the seed: 97.74 vs 97.79 on MNIST);
* digits: WNLL > KNN + 2 SE with 10 labels per class (interpolation over the
  unlabeled points is what WNLL adds);
* MNIST, angular distance: WNLL within 2 binomial SE (0.3 points) of the seed's
  97.74 %.
Measured (``--full``, 781 s): raw pixels KNN 96.91 %, SVM 97.92 %, softmax 91.49 %,
WNLL 97.41 %; unit norm KNN 97.23 %, SVM 98.11 %, softmax 92.27 %, WNLL 97.78 %.
"""
import numpy as np

from pdeopt.graph import WNLLClassifier

from ._harness import validation

SEED_MNIST = {"KNN": 96.40, "SVM": 97.79, "softmax": 92.65, "WNLL": 97.74}


def paired_se(correct_a, correct_b):
    """Standard error of mean(correct_a) − mean(correct_b) on the same test points."""
    discordant = np.sum(correct_a != correct_b)
    return np.sqrt(max(discordant, 1)) / correct_a.size


def softmax_regression(x_train, y_train, x_test, n_classes, seed, epochs=40):
    """Softmax regression from pdeopt.nn: one dense layer, cross-entropy, SGD with momentum."""
    from pdeopt.nn import SGD, Dense, Flatten, Sequential, train

    model = Sequential([Flatten(), Dense(n_classes, init="glorot")],
                       input_shape=x_train.shape[1:], rng=seed)
    train(model, SGD(0.1, momentum=0.9), (x_train, y_train), epochs=epochs, batch_size=64,
          rng=seed)
    return model.predict(x_test)


def unit_norm(images):
    """Each image scaled to unit Euclidean norm: Euclidean distance becomes angular distance.

    A blank image has no direction and stays zero (never NaN).
    """
    flat = images.reshape(len(images), -1)
    norm = np.linalg.norm(flat, axis=1, keepdims=True)
    return (flat / np.maximum(norm, np.finfo(np.float64).tiny)).reshape(images.shape)


def run_protocol(x_train, y_train, x_test, seed, n_labeled=None, rng=None, knn="auto"):
    """Predictions of KNN (k = 1), SVM (RBF), softmax and WNLL on the test points."""
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.svm import SVC

    labeled = np.arange(len(y_train))
    if n_labeled is not None:  # n_labeled per class, drawn at random
        labeled = np.concatenate([rng.choice(np.flatnonzero(y_train == c), n_labeled,
                                             replace=False) for c in np.unique(y_train)])
    xl, yl = x_train[labeled].reshape(labeled.size, -1), y_train[labeled]
    xt = x_test.reshape(len(x_test), -1)
    out = {"KNN": KNeighborsClassifier(n_neighbors=1).fit(xl, yl).predict(xt),
           "SVM": SVC(kernel="rbf").fit(xl, yl).predict(xt)}
    out["softmax"] = softmax_regression(x_train[labeled], yl, x_test, int(y_train.max()) + 1,
                                        seed)
    # WNLL: graph over all training and test points, labels only on the labeled ones
    X = np.concatenate([x_train.reshape(len(x_train), -1), xt])
    y = np.full(len(X), -1)
    y[labeled] = yl
    clf = WNLLClassifier(n_neighbors=15, knn=knn, random_state=seed).fit(X, y)
    out["WNLL"] = clf.transduction_[len(x_train):]
    return out


@validation("simple-classifiers",
            source="Osher 2018, implicit activation: 'Accuracy of some simple classifiers' table",
            description="KNN (k=1), SVM (RBF), softmax regression and WNLL on raw digits pixels "
                        "(MNIST in --full), beside the seed's MNIST row.")
def simple_classifiers(ctx):
    from pdeopt.data import load_digits

    # Set up: the seed's protocol on digits, all training labels, then 10 per class.
    data = load_digits()
    settings = [(f"digits, all {len(data.y_train)} training labels", None)]
    if not ctx.quick:
        settings.append(("digits, 10 labels per class", 10))
    results = {}
    for name, n_labeled in settings:
        ctx.progress(name)
        pred = run_protocol(data.x_train, data.y_train, data.x_test, ctx.seed, n_labeled, ctx.rng)
        results[name] = {k: (v == data.y_test) for k, v in pred.items()}
    if ctx.full:
        mnist = ctx.mnist()
        for name, prepare in (("MNIST raw pixels, all 60 000 training labels", np.asarray),
                              ("MNIST unit-norm pixels, all 60 000 training labels",
                               unit_norm)):
            ctx.progress(f"{name} (SVC takes a while)")
            pred = run_protocol(prepare(mnist.x_train), mnist.y_train, prepare(mnist.x_test),
                                ctx.seed, knn="nndescent")
            results[name] = {k: (v == mnist.y_test) for k, v in pred.items()}

    # Table beside the seed's row.
    cols = ["KNN", "SVM", "softmax", "WNLL"]
    rows = ["| data (protocol) | KNN (k=1) | SVM (RBF) | softmax | WNLL |",
            "| --- | --- | --- | --- | --- |",
            "| MNIST, seed (Osher 2018) | " + " | ".join(f"{SEED_MNIST[c]:.2f} %" for c in cols)
            + " |"]
    for name, res in results.items():
        rows.append(f"| {name} | " + " | ".join(
            f"{100 * res[c].mean():.2f} %" for c in cols)
            + " |")
    ctx.table("\n".join(rows))

    # Checks: the seed's ordering, with paired standard errors, on every all-labels row;
    # WNLL ≈ SVM on digits only (on MNIST it is reported: no protocol gives the seed's
    # SVM), and the seed's WNLL number under angular distance, the protocol that gives it.
    gaps = ["| data (protocol) | WNLL − SVM (points) | paired 2 SE |", "| --- | --- | --- |",
            f"| MNIST, seed (Osher 2018) | {SEED_MNIST['WNLL'] - SEED_MNIST['SVM']:+.2f} | |"]
    for name, res in results.items():
        if "all" not in name:
            continue
        tag = name.split(",")[0] if name.startswith("MNIST") else "all labels"
        se = paired_se(res["WNLL"], res["KNN"])
        ctx.check(f"{tag}: WNLL - KNN accuracy", res["WNLL"].mean() - res["KNN"].mean(), 0.0,
                  tol=2 * se, comparison="ge", note="seed: WNLL above KNN",
                  claim="osher2018/classifiers-mnist-knn-softmax")
        se = paired_se(res["WNLL"], res["SVM"])
        gap = res["WNLL"].mean() - res["SVM"].mean()
        gaps.append(f"| {name} | {100 * gap:+.2f} | {200 * se:.2f} |")
        if tag == "all labels" or "unit-norm" in name:
            # on par: the gap within 2 paired SE of 0 (seed: −0.05 points); on MNIST, the
            # protocol that gives the seed's WNLL number (unit-norm pixels)
            ctx.check(f"{tag}: WNLL - SVM accuracy", gap, 0.0, tol=2 * se,
                      note="seed: 97.74 vs 97.79",
                      claim="osher2018/classifiers-mnist-svm", paper=True,
                      headline=name.startswith("MNIST"))
        se = paired_se(res["WNLL"], res["softmax"])
        ctx.check(f"{tag}: WNLL - softmax accuracy",
                  res["WNLL"].mean() - res["softmax"].mean(), 2 * se, comparison="ge",
                  note="seed: 97.74 vs 92.65",
                  claim="osher2018/classifiers-mnist-knn-softmax")
        if "unit-norm" in name:  # the seed's number, within 2 binomial SE of the test set
            acc = res["WNLL"].mean()
            se = np.sqrt(acc * (1 - acc) / res["WNLL"].size)
            ctx.check("MNIST unit-norm pixels: WNLL accuracy (%)", 100 * acc,
                      SEED_MNIST["WNLL"], tol=200 * se, note="the seed's 97.74 %, within 2 SE",
                      claim="osher2018/classifiers-mnist-wnll")
    ctx.table("\n".join(gaps))
    if len(settings) > 1:
        few = results[settings[1][0]]
        se = paired_se(few["WNLL"], few["KNN"])
        ctx.check("10 labels/class: WNLL - KNN accuracy",
                  few["WNLL"].mean() - few["KNN"].mean(), 2 * se, comparison="ge")
