"""The seed's "Accuracy of some simple classifiers" table: KNN, SVM, softmax, WNLL on raw pixels.

Osher 2018 (implicit activation) lists, on MNIST: KNN 96.40 % (k = 1), SVM with
an RBF kernel 97.79 %, softmax regression 92.65 %, WNLL 97.74 %. The slides do
not say how many points were labeled. Measured here on MNIST (raw pixels in
[0, 1]): 1-NN reaches 96.91 % with all 60 000 training labels, 96.66 % with
50 000, 96.53 % with 40 000, 96.18 % with 30 000, 95.57 % with 20 000, 94.63 %
with 10 000; scikit-learn's SVC(rbf) 95.94 % with 10 000 and 96.95 % with
20 000; softmax regression
(``pdeopt.nn``, 10 epochs) 91.8 % with 60 000 and 90.5 % with 10 000. SVM
97.79 % and softmax 92.65 % are reachable only with (nearly) all training
labels, so the numbers imply the supervised protocol: every training point
labeled, the test set the unlabeled part (WNLL interpolating over the graph of
train + test, i.e. transductively). The 1-NN entry is the odd one: 96.40 % is
what 30 000–40 000 training points give (or a different distance).

Default mode runs that protocol on scikit-learn's digits (1350 labeled, 447
test), and the same with only 10 labels per class, where a graph method should
matter most; ``--full`` adds the MNIST row (slow: SVC on 60 000 points).

Checks (paired on the same test points, so the standard error of a difference
of accuracies is √(n₀₁ + n₁₀)/n from the discordant pairs), on digits and, in
``--full``, on the MNIST row as well:
* WNLL ≥ KNN − 2 SE with all labels (the seed: WNLL above KNN on every data set);
* |WNLL − SVM| ≤ 2 SE with all labels (the seed: 97.74 vs 97.79 on MNIST);
* WNLL > softmax + 2 SE with all labels;
* WNLL > KNN + 2 SE with 10 labels per class (interpolation over the unlabeled
  points is what WNLL adds);
* MNIST only: WNLL within 2 binomial SE (0.3 points) of the seed's 97.74 %.
Measured on MNIST (``--full``, 368 s): KNN 96.91 %, SVM 97.92 %, softmax 91.49 %,
WNLL 97.41 %: WNLL is half a point below SVM (the seed: 0.05 below) and 0.33 below
the seed's WNLL, so those two checks fail there; the other MNIST checks pass.
Neither the approximate graph nor k explains the gap: exact kNN gives 97.50 %, and
k = 10 / 15 / 30 with pynndescent 97.36 / 97.41 / 97.22 %.
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
                       input_shape=x_train.shape[1:], seed=seed)
    train(model, SGD(0.1, momentum=0.9), (x_train, y_train), epochs=epochs, batch_size=64,
          seed=seed)
    return model.predict(x_test)


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
    out["WNLL"] = WNLLClassifier(n_neighbors=15, knn=knn, seed=seed).fit(X, y).transduction_[
        len(x_train):]
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
        ctx.progress("MNIST, all 60 000 training labels (SVC takes a while)")
        pred = run_protocol(mnist.x_train, mnist.y_train, mnist.x_test, ctx.seed,
                            knn="nndescent")
        results["MNIST, all 60 000 training labels"] = {k: (v == mnist.y_test)
                                                      for k, v in pred.items()}

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

    # Checks: the seed's ordering, with paired standard errors, on every all-labels row
    # (digits; MNIST too in --full, where WNLL is also held to the seed's number).
    for name, res in results.items():
        if "all" not in name:
            continue
        tag = "MNIST" if name.startswith("MNIST") else "all labels"
        se = paired_se(res["WNLL"], res["KNN"])
        ctx.check(f"{tag}: WNLL - KNN accuracy", res["WNLL"].mean() - res["KNN"].mean(), 0.0,
                  tol=2 * se, comparison="ge", note="seed: WNLL above KNN")
        se = paired_se(res["WNLL"], res["SVM"])
        ctx.check(f"{tag}: WNLL - SVM accuracy", res["WNLL"].mean() - res["SVM"].mean(), 0.0,
                  tol=2 * se, note="seed: 97.74 vs 97.79")
        se = paired_se(res["WNLL"], res["softmax"])
        ctx.check(f"{tag}: WNLL - softmax accuracy",
                  res["WNLL"].mean() - res["softmax"].mean(), 2 * se, comparison="ge",
                  note="seed: 97.74 vs 92.65")
        if tag == "MNIST":  # against the seed's number, within 2 binomial SE of the test set
            acc = res["WNLL"].mean()
            se = np.sqrt(acc * (1 - acc) / res["WNLL"].size)
            ctx.check("MNIST: WNLL accuracy (%)", 100 * acc, SEED_MNIST["WNLL"],
                      tol=200 * se, note="the seed's 97.74 %, within 2 SE")
    if len(settings) > 1:
        few = results[settings[1][0]]
        se = paired_se(few["WNLL"], few["KNN"])
        ctx.check("10 labels/class: WNLL - KNN accuracy",
                  few["WNLL"].mean() - few["KNN"].mean(), 2 * se, comparison="ge")
