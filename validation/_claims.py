"""The claims of the four source papers, one row per checkable claim (the ledger's rows).

Each :class:`Claim` names the paper (the file stem in ``../shared/papers/``), where the claim
is made, the claim in one sentence, the paper's number or statement, and the validation whose
checks test it. A check says which claims it tests with ``ctx.check(..., claim=ID)``; the
verdicts are then computed from the run by :mod:`pdeopt.validation._ledger`, never typed here.
Only a row that cannot run here carries a static ``not_run_reason``.

``data`` is the data set the paper's number comes from: ``None`` when the validation runs the
paper's own setting (a theorem, an identity, the paper's synthetic experiment), so that any
run is at the paper's scale; ``"MNIST"`` when the paper's number is on MNIST (reached by
``--full`` with MNIST); anything else (CIFAR-10, SVHN, ImageNet, the paper's own phantoms)
is out of reach here, so a passing run on the built-in analogue is ``partial`` at best.
"""
from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Claim", "CLAIMS", "CLAIMS_BY_ID", "PAPERS", "check_claim_ids"]

OSHER = "osher-2018-new-techniques-in-optimization"
OBERMAN = "oberman-2017-deep-relaxation-pdes"
LIN = "lin-2019-optimization-and-deep-neural-networks"
DINH = "dinh-xin-2020-relaxed-variable-splitting-cgd"
PAPERS = (OSHER, OBERMAN, LIN, DINH)

# static reasons (only for what cannot run here, or has nothing to run yet)
_NO_DOWNLOAD = "cannot be downloaded here (no network)"
CIFAR10 = f"needs CIFAR-10, which {_NO_DOWNLOAD}"
CIFAR100 = f"needs CIFAR-100, which {_NO_DOWNLOAD}"
SVHN = f"needs SVHN, which {_NO_DOWNLOAD}"
IMAGENET = f"needs ImageNet, which {_NO_DOWNLOAD}"
NO_VALIDATION = "no validation yet (computable here: issue #19, part 3)"
TABLE1_FULL = ("deep-relaxation-table --full (MNIST, paper scale) costs ~28 core-hours in "
               "float64 on one BLAS thread: not run")
RVSCGD_FULL = ("rvscgd-lenet --full (MNIST, 15 epochs, 2 seeds, SGD and RVSCGD) costs about 80 "
               "core-minutes (4 units of ~20 CPU-minutes: a binarized LeNet step at batch 64 "
               "takes ~70 ms on one core)")
PHANTOM = "the paper's own vesicle/nanorice data are not available"
ASKARI = ("the baseline of Askari et al. (2018) is not checked: its formulation is stated in "
          "neither the paper nor the notes (no formula to implement); only LPOM's own MNIST "
          "accuracy is")
LPOM_FULL = ("lpom-mnist --full (LPOM's own MNIST accuracy) costs about 25 core-minutes (LPOM "
             "0.2-0.45 min per MNIST epoch per net on one BLAS thread, 7 nets x 5 epochs, plus "
             "SGD and ADMM)")


@dataclass(frozen=True)
class Claim:
    """One checkable claim of a paper.

    Parameters
    ----------
    id : str
        Stable identifier, ``"<paper tag>/<short name>"``, e.g. ``"lin2019/theorem1-gd"``.
    paper : str
        File stem of the paper in ``../shared/papers/``.
    where : str
        Where the paper makes the claim (``"Table 2, 300"``, ``"Theorem 7"``, ``"Fig. 4"``).
    claim : str
        The claim in one sentence.
    paper_value : str
        The paper's number or statement, short.
    validation : str or None
        The validation (``pdeopt list``) whose checks test the claim; None if none does.
    data : str or None
        The paper's data set; None when the validation runs the paper's own setting.
    analogue : str
        What the validation runs instead of ``data`` on built-in data (for the reason).
    not_run_reason : str or None
        Why the claim (or its paper-scale run) cannot be run here; required when
        ``validation`` is None.
    unchecked : str or None
        A part of the claim that no check covers (e.g. a baseline that cannot be built):
        the row is then ``partial`` at best, with this as the reason.
    """

    id: str
    paper: str
    where: str
    claim: str
    paper_value: str
    validation: str | None = None
    data: str | None = None
    analogue: str = ""
    not_run_reason: str | None = None
    unchecked: str | None = None

    @property
    def required_scale(self) -> str:
        """The run scale at which a passing check reproduces the claim."""
        return "mnist" if self.data == "MNIST" else "paper"


def _c(*args, **kw) -> Claim:
    return Claim(*args, **kw)


_OSHER = [
    # Deep relaxation
    _c("osher2018/local-entropy-viscous-hj", OSHER, "Deep Relaxation, Cole–Hopf",
       "Local entropy f_t = −log(G_t * e^{−f}) solves u_t + ½|∇u|² = ½Δu, u(x,0) = f.",
       "u(x,t) = f_t(x) (Cole–Hopf)", "hj-cole-hopf"),
    _c("osher2018/local-entropy-gradient", OSHER, "Deep Relaxation, gradient formula",
       "−∇f_t(x) = (1/t)∫(x − y)ρ^∞(y; x)dy with ρ^∞ ∝ exp(−f(y) − |x − y|²/(2t)).",
       "exact identity", "langevin-local-entropy"),
    _c("osher2018/lax-oleinik", OSHER, "Deep Relaxation, Lax–Oleinik formula",
       "u(x,t) = min_y f(y) + |x − y|²/(2t) is the viscosity solution of u_t + ½|∇u|² = 0.",
       "exact formula", "hj-hopf-lax"),
    _c("osher2018/moreau-prox", OSHER, "Deep Relaxation, Lax–Oleinik formula",
       "The Lax–Oleinik value is (1/t)·Moreau envelope of tf and its argmin is prox_{tf}(x).",
       "argmin = Proximal_{tf}(x)", "moreau-abs"),
    _c("osher2018/vanishing-viscosity", OSHER, "Deep Relaxation, 'Better procedure'",
       "The viscous HJ solution tends to the inviscid (Hopf–Lax) one as the viscosity → 0.",
       "viscosity solution of the inviscid limit", "hj-cole-hopf"),
    _c("osher2018/prox-energy-inequality", OSHER, "Deep Relaxation, proximal method",
       "The proximal method satisfies f(x_{k+1}) + |x_{k+1} − x_k|²/(2Δt_k) ≤ f(x_k).",
       "f(x_j) decreasing", "prox-point"),
    _c("osher2018/prox-gradient-rate", OSHER, "Deep Relaxation, proximal method",
       "With t(n) = Σ Δt_j, the proximal iterates satisfy ∇f(x_n) = O(t(n)^{−1/2}).",
       "∇f(x_n) = O(t(n)^{−1/2})", "prox-point"),
    _c("osher2018/prox-backward-euler", OSHER, "Deep Relaxation, 'Backward Euler!!'",
       "x_{k+1} = x_k − Δt_k∇f(x_{k+1}) and ∇u(x_k, Δt_k) = −(x_{k+1} − x_k)/Δt_k.",
       "backward Euler identity", "prox-point"),
    _c("osher2018/prox-large-steps", OSHER, "Deep Relaxation, proximal method",
       "The bigger Δt_k the more convex u(x, Δt_k): large proximal steps pass local minima "
       "that gradient descent stops in.", "qualitative", "hj-prox"),
    _c("osher2018/burgers-characteristics", OSHER, "Deep Relaxation, Burgers' equation",
       "w = u_x solves Burgers' equation with w = f′(x − wt) until characteristics cross.",
       "w(x,t) = f′(x − wt)", "burgers-shock"),
    _c("osher2018/burgers-shock-time", OSHER, "Deep Relaxation, Burgers' equation",
       "The classical solution lasts until the first t with 1 + t·f″(x − wt) = 0.",
       "t* = −1/min f″", "burgers-shock"),
    _c("osher2018/convex-region-moves", OSHER, "Deep Relaxation, 'Widens minimal regions'",
       "The convex region of f moves right past x₁ (and left past x₀): u_xx > 0 beyond x₁.",
       "x = x₁ + t·p", "burgers-shock"),
    _c("osher2018/widening-minima", OSHER, "Deep Relaxation, 'Widening minima'",
       "HJ relaxation widens the convex regions around minima.", "qualitative", "hj-widening"),
    _c("osher2018/removing-maxima", OSHER, "Deep Relaxation, 'Removing maxima'",
       "HJ relaxation narrows and lowers maxima (shocks collapse, maxima disappear).",
       "qualitative", "hj-widening"),
    _c("osher2018/entropy-raises-minima", OSHER, "Deep Relaxation, local entropy",
       "Local entropy widens minima but raises them a bit.", "qualitative", "hj-widening"),
    # Implicit activation (WNLL)
    _c("osher2018/resnet-forward-euler", OSHER, "Implicit activation, ResNet and control",
       "A residual block is a forward Euler step of the transport-equation control problem.",
       "x_{l+1} = x_l + Δt·v(x_l)", "resnet-forward-euler"),
    _c("osher2018/wnll-vs-gl", OSHER, "Implicit activation, WNLL",
       "With a tiny labeled set, the weighted nonlocal Laplacian interpolates labels better "
       "than the graph Laplacian.", "qualitative (Shi et al. 2017)", "wnll-low-label"),
    _c("osher2018/n-ln-n-labels", OSHER, "Implicit activation, 'How many instances'",
       "About N ln N labeled instances (N classes) are needed at least.",
       "N(1 + 1/2 + … + 1/N) ≈ N ln N", "wnll-low-label"),
    _c("osher2018/classifiers-mnist-svm", OSHER, "Table 'simple classifiers', MNIST",
       "On MNIST, WNLL is on par with an RBF SVM.", "WNLL 97.74 % vs SVM 97.79 %",
       "simple-classifiers", data="MNIST"),
    _c("osher2018/classifiers-mnist-wnll", OSHER, "Table 'simple classifiers', MNIST",
       "WNLL on raw pixels, all training labels, classifies MNIST at the paper's accuracy.",
       "WNLL 97.74 %", "simple-classifiers", data="MNIST"),
    _c("osher2018/classifiers-mnist-knn-softmax", OSHER,
       "Table 'simple classifiers', MNIST",
       "On MNIST, WNLL beats KNN (k = 1) and softmax regression.",
       "WNLL 97.74 % vs KNN 96.40 %, softmax 92.65 %", "simple-classifiers", data="MNIST"),
    _c("osher2018/classifiers-cifar10", OSHER, "Table 'simple classifiers', Cifar10",
       "On CIFAR-10 WNLL beats KNN and softmax, SVM is best.",
       "KNN 32.77, SVM 57.14, softmax 39.91, WNLL 40.73 %", None, data="CIFAR-10",
       not_run_reason=CIFAR10),
    _c("osher2018/classifiers-svhn", OSHER, "Table 'simple classifiers', SVHN",
       "On SVHN WNLL beats KNN and softmax, SVM is best.",
       "KNN 41.47, SVM 70.45, softmax 24.66, WNLL 56.17 %", None, data="SVHN",
       not_run_reason=SVHN),
    _c("osher2018/wnll-cifar10-whole", OSHER, "Table 'Performance on CIFAR10', whole",
       "WNLL-activated nets have lower test error than vanilla ones on the whole CIFAR-10.",
       "e.g. ResNet20 9.06 → 7.09 %, PreActResNet50 6.05 → 4.27 %", "wnll-activation",
       data="CIFAR-10", analogue="a small conv net on digits", not_run_reason=CIFAR10),
    _c("osher2018/wnll-cifar10-10000", OSHER, "Table 'Performance on CIFAR10', 10000",
       "WNLL lowers the test error with the first 10000 training images.",
       "e.g. ResNet20 12.83 → 9.96 %", None, data="CIFAR-10", not_run_reason=CIFAR10),
    _c("osher2018/wnll-cifar10-5000", OSHER, "Table 'Performance on CIFAR10', 5000",
       "WNLL lowers the test error with the first 5000 training images.",
       "e.g. ResNet20 14.30 → 11.24 %", None, data="CIFAR-10", not_run_reason=CIFAR10),
    _c("osher2018/wnll-cifar10-1000", OSHER, "Table 'Performance on CIFAR10', 1000",
       "WNLL lowers the test error with the first 1000 training images.",
       "e.g. ResNet110 42.94 → 28.29 %", None, data="CIFAR-10", not_run_reason=CIFAR10),
    _c("osher2018/wnll-cifar100", OSHER, "Table 'Performance on CIFAR100'",
       "WNLL lowers the test error of every net on CIFAR-100.",
       "e.g. ResNet20 35.79 → 31.53 %", None, data="CIFAR-100", not_run_reason=CIFAR100),
    _c("osher2018/wnll-relative-improvement", OSHER, "Summary",
       "WNLL gives a relative 20–30 % accuracy improvement on CIFAR-10 and CIFAR-100.",
       "20–30 % relative", "wnll-activation", data="CIFAR-10",
       analogue="a small conv net on digits", not_run_reason=CIFAR10),
    _c("osher2018/wnll-degradation", OSHER, "Fig. 'Degradation of DNN'",
       "Deeper vanilla nets do not lower the error with 1000/10000 training images; WNLL "
       "resolves this degradation.", "PreActResNet18/34/50 on CIFAR-10",
       "wnll-depth", data="CIFAR-10", analogue="MLPs of 1/3/6 hidden layers on 300 digits",
       not_run_reason=CIFAR10),
    _c("osher2018/wnll-accuracy-evolution", OSHER, "Fig. 'Accuracy evolution'",
       "WNLL-activated nets reach higher test accuracy over training than vanilla ones.",
       "ResNet50 / PreActResNet50, CIFAR-10", "wnll-depth",
       data="CIFAR-10", analogue="MLPs of 1/3/6 hidden layers on 300 digits",
       not_run_reason=CIFAR10),
    _c("osher2018/svm-on-dnn-features", OSHER, "Table 'DNN with SVM classifier'",
       "An SVM on deep features does not beat the vanilla DNN's softmax.",
       "e.g. ResNet18 6.16 % vs SVM+DNN 8.99 %", None, data="CIFAR-10",
       not_run_reason=CIFAR10),
    # BinaryRelax
    _c("osher2018/moreau-of-indicator", OSHER, "BinaryRelax, relaxation by Moreau envelope",
       "The Moreau envelope of χ_Q is dist(x, Q)²/(2t), and the relaxed prox is "
       "(λ proj_Q(y) + y)/(λ + 1).", "closed forms", "quantized-prox"),
    _c("osher2018/quantized-projection", OSHER, "BinaryRelax, quantization step",
       "proj_Q has analytic solutions for binarization and ternarization.",
       "closed forms", "quantized-prox"),
    _c("osher2018/binaryrelax-in-q", OSHER, "BinaryRelax, Phase II",
       "Phase II (exact quantization) ends with weights exactly in Q.", "x ∈ Q",
       "binaryrelax"),
    _c("osher2018/binaryrelax-cifar10-binary", OSHER, "Table 1 (CIFAR-10), binary",
       "BinaryRelax with binary weights beats BWN on every net.",
       "e.g. ResNet-20 87.82 vs 87.44 %, VGG-11 89.28 vs 88.70 %", "binaryrelax",
       data="CIFAR-10", analogue="an MLP and a LeNet on digits", not_run_reason=CIFAR10),
    _c("osher2018/binaryrelax-cifar10-ternary", OSHER, "Table 1 (CIFAR-10), ternary",
       "BinaryRelax with ternary weights beats TWN on every net.",
       "e.g. ResNet-20 90.07 vs 88.65 %, VGG-11 91.01 vs 90.48 %", "binaryrelax",
       data="CIFAR-10", analogue="an MLP and a LeNet on digits", not_run_reason=CIFAR10),
    _c("osher2018/binaryrelax-cifar100", OSHER, "Table 2 (CIFAR-100) and Fig. 1",
       "BinaryRelax beats BWN and TWN on CIFAR-100, with higher validation curves.",
       "e.g. ResNet-110 69.85 vs 68.67 %, 72.32 vs 68.95 %", None, data="CIFAR-100",
       not_run_reason=CIFAR100),
    _c("osher2018/binaryrelax-imagenet-4bit", OSHER, "Table 3 (ImageNet)",
       "BinaryRelax with 4-bit weights recovers the 32-bit accuracy.",
       "ResNet-18 top-1 69.7 (4 bit) vs 69.6 (32 bit)", None, data="ImageNet",
       not_run_reason=IMAGENET),
    _c("osher2018/linearized-bregman", OSHER, "BinaryRelax, remarks",
       "Linearized Bregman solves the basis pursuit problem.",
       "Yin, Osher, Goldfarb, Darbon 2010", "linearized-bregman"),
    # Phase retrieval
    _c("osher2018/hio-beats-er", OSHER, "Phase retrieval, G-smoothing",
       "The non-negativity projection (ER) does not work well; HIO (relaxed DR) is better.",
       "qualitative", "phase-noise-free"),
    _c("osher2018/pdhg-is-dr", OSHER, "Phase retrieval, primal-dual algorithm",
       "With s = t = 1 the primal-dual iteration is Douglas–Rachford.", "equivalence",
       "phase-noise-free"),
    _c("osher2018/vesicle-1e7", OSHER, "Table 'flux = 10^7'",
       "At flux 1e7, DR (σ = 0.1) has lower min, mean and max relative error than OSS "
       "and more good minima.", "mean 17.08 vs 17.62 %; < 17.1 %: 71 vs 52 %",
       "phase-statistics", data="its own vesicle model", analogue="pdeopt's vesicle phantom",
       not_run_reason=PHANTOM),
    _c("osher2018/vesicle-1e7-cost-21", OSHER, "Table 'flux = 10^7'",
       "At flux 1e7, 5 DR reconstructions replace 100 OSS ones: cost factor 21.",
       "factor 21", "phase-statistics", data="its own vesicle model",
       analogue="pdeopt's vesicle phantom", not_run_reason=PHANTOM),
    _c("osher2018/vesicle-1e8", OSHER, "Table 'flux = 10^8'",
       "At flux 1e8, DR beats OSS: 70 % of DR runs beat OSS's best, global minimum 29 % "
       "more often.", "mean 4.84 vs 6.08 %; < 5.0 %: 83 vs 54 %",
       "phase-statistics", data="its own vesicle model", analogue="pdeopt's vesicle phantom",
       not_run_reason=PHANTOM),
    _c("osher2018/vesicle-1e8-cost-70", OSHER, "Table 'flux = 10^8'",
       "At flux 1e8, primal-dual saves computational cost by a factor of 70.",
       "factor 70", "phase-statistics", data="its own vesicle model",
       analogue="pdeopt's vesicle phantom", not_run_reason=PHANTOM),
    _c("osher2018/vesicle-mean-std", OSHER, "Table 'Mean and STD', vesicle",
       "DR has lower mean and std of R than OSS at fluxes 1e7, 1e8, 1e9.",
       "1e8: 0.050 ± 0.006 vs 0.061 ± 0.016", "phase-statistics",
       data="its own vesicle model", analogue="pdeopt's vesicle phantom",
       not_run_reason=PHANTOM),
    _c("osher2018/nanorice", OSHER, "Table 'Mean and STD', nanorice1/2",
       "DR reaches lower R than OSS on nanorice1 and nanorice2, with less spread.",
       "0.174 vs 0.180; 0.159 vs 0.165", "phase-statistics", data="its own nanorice data",
       analogue="pdeopt's nanorice phantoms", not_run_reason=PHANTOM),
    _c("osher2018/phase-convergence", OSHER, "Fig. 'Convergence' (vesicle, nanorice)",
       "Primal-dual (DR3) converges faster and to a deeper minimum than OSS.",
       "qualitative", "phase-statistics", data="its own vesicle model",
       analogue="pdeopt's vesicle phantom", not_run_reason=PHANTOM),
]

_OBERMAN = [
    _c("oberman2017/kramers", OBERMAN, "Metastability, Kramers' formula",
       "E_{x1}[τ_{x2}] ∝ |f″(x3)f″(x1)|^{−1/2} exp(β(f(x3) − f(x1))) as β grows.",
       "Kramers' formula", "kramers"),
    _c("oberman2017/metastability", OBERMAN, "Metastability",
       "Convergence to the Gibbs measure can take an exponentially long time in β.",
       "exp(β·barrier)", "kramers"),
    _c("oberman2017/fig2-wide-valleys", OBERMAN, "Fig. 1–2 (Baldassi et al., Chaudhari et al.)",
       "Local entropy concentrates on wide valleys: its minimiser moves to the wide minimum.",
       "qualitative", "hj-widening"),
    _c("oberman2017/lemma2", OBERMAN, "Lemma 2",
       "The local entropy f_γ(x) equals u(x, γ), u solving the viscous HJ equation.",
       "exact identity", "hj-cole-hopf"),
    _c("oberman2017/lemma4", OBERMAN, "Lemma 4",
       "−∇f_t(x) = (1/t)∫(x − y)ρ^∞(y; x)dy.", "exact identity", "langevin-local-entropy"),
    _c("oberman2017/w2-contraction", OBERMAN, "Background, JKO",
       "For ∇²f ≥ λ, d_W2(ρ(t), ρ^∞) ≤ d_W2(ρ(0), ρ^∞)e^{−λt}.", "rate e^{−λt}",
       "w2-contraction"),
    _c("oberman2017/theorem15", OBERMAN, "Theorem 15",
       "As ε → 0 the two-scale ESGD system converges to dx = −∇f_γ(x)ds.",
       "homogenized limit", "homogenization"),
    _c("oberman2017/theorem15-average", OBERMAN, "Theorem 15",
       "∇f_γ(x) = γ^{−1}(x − ⟨y⟩), ⟨y⟩ the average of the fast variable with x fixed.",
       "exact identity", "langevin-local-entropy"),
    _c("oberman2017/algorithm1", OBERMAN, "Algorithm 1 (Entropy-SGD)",
       "The SGLD inner loop of Entropy-SGD estimates the local-entropy gradient.",
       "inner loop = gradient of f_γ", "langevin-local-entropy"),
    _c("oberman2017/theorem7", OBERMAN, "Theorem 7",
       "E V(x_csgd(t)) ≤ E V(x_sgd(t)) − ½E∫|α|² ds.", "inequality", "controlled-sgd"),
    _c("oberman2017/fig1-forward-backward", OBERMAN, "Fig. 1 (forward-backward equations)",
       "The forward-backward HJB / Fokker–Planck solution gives the densities of SGD and "
       "controlled SGD.", "PDE = simulation", "controlled-sgd"),
    _c("oberman2017/distributed", OBERMAN, "Distributed version (elastic averaging)",
       "Elastically coupled replicas compute the gradient of the local entropy.",
       "space-time average = ∇f_γ", "elastic-averaging"),
]
for _net, _vals in (("mnistfc", ("1.08 ± 0.02 @ 120", "1.13 ± 0.02 @ 200",
                                 "1.15 ± 0.03 @ 160", "1.17 ± 0.04 @ 200",
                                 "1.10 ± 0.01 @ 194")),
                    ("LeNet", ("0.5 ± 0.01 @ 80", "0.59 ± 0.02 @ 75", "0.51 ± 0.02 @ 60",
                               "0.5 ± 0.01 @ 70", "0.5 ± 0.02 @ 67"))):
    for _method, _value in zip(("ESGD", "HEAT", "H-ESGD", "HJ", "SGD"), _vals):
        _OBERMAN.append(_c(
            f"oberman2017/table1-{_net.lower()}-{_method.lower()}", OBERMAN,
            f"Table 1, {_net}, {_method}",
            f"{_method} trains {_net} on MNIST to this validation error (%) @ effective "
            f"epochs.", _value, "deep-relaxation-table", data="MNIST",
            analogue=f"a {_net}-shaped net on digits", not_run_reason=TABLE1_FULL))
_OBERMAN.append(_c(
    "oberman2017/table1-allcnn", OBERMAN, "Table 1, All-CNN",
    "H-ESGD, HJ and ESGD match or beat SGD's validation error on All-CNN (CIFAR-10).",
    "7.82 (H-ESGD), 7.89 (HJ), 7.96 (ESGD) vs 7.94 % (SGD)", None, data="CIFAR-10",
    not_run_reason=CIFAR10))

_LIN = [
    _c("lin2019/lpom-activation-table", LIN, "LPOM, Table 1 (f and g)",
       "With f = ∫(φ^{−1} − y), x = φ(y) is the prox of f; Table 1 lists f and g for sigmoid, "
       "tanh, ReLU, leaky ReLU, ELU.", "closed forms", "lpom-mnist"),
    _c("lin2019/theorem4", LIN, "Theorem 4",
       "F(W, X) is block multi-convex when ℓ is convex and φ non-decreasing.",
       "convex in each block", "lpom-mnist"),
    _c("lin2019/bcd-descent", LIN, "Solving LPOM (block coordinate descent)",
       "Block coordinate descent with exact block updates decreases F.", "F non-increasing",
       "lpom-mnist"),
    _c("lin2019/fixed-point", LIN, "Solving LPOM, updating X^i",
       "The X^i update is a fixed-point iteration using φ only.",
       "X^{i,t+1} = φ(W X − (μ_{i+1}/μ_i) Wᵀ(φ(W X^{i,t}) − X^{i+1}))", "lpom-mnist"),
    _c("lin2019/optimality", LIN, "Advantages of LPOM (optimality conditions)",
       "At a solution, (φ(W^iX^i) − X^{i+1})(X^i)ᵀ = 0.", "= 0", "lpom-mnist"),
    _c("lin2019/parallel-lpom", LIN, "Parallelizing LPOM",
       "The X^i can be updated in parallel (asynchronously) with the latest information.",
       "parallel = serial quality", "lpom-mnist"),
    _c("lin2019/lpom-memory", LIN, "Advantages of LPOM (memory)",
       "LPOM needs no multipliers or extra auxiliary variables: its memory cost equals SGD's.",
       "memory(LPOM) = memory(SGD)", "lpom-mnist"),
    _c("lin2019/saturating-activations", LIN, "Advantages of LPOM (activations)",
       "LPOM trains with saturating activations (sigmoid, tanh) without numerical "
       "difficulties.", "qualitative", "lpom-mnist"),
    _c("lin2019/fig1-mnist", LIN, "Fig. 1, MNIST",
       "LPOM's accuracy is comparable to SGD's on MNIST.", "curves", "lpom-mnist",
       data="MNIST", analogue="MLPs on digits"),
    _c("lin2019/fig1-cifar10", LIN, "Fig. 1, CIFAR-10",
       "LPOM's accuracy is comparable to SGD's on CIFAR-10.", "curves", None,
       data="CIFAR-10", not_run_reason=CIFAR10),
]
for _arch, _lpom, _askari in (("300", "97.7", "89.8"), ("300-100", "96.9", "87.5"),
                              ("500-150", "97.1", "86.5"), ("500-200-100", "96.2", "85.3"),
                              ("400-200-100-50", "96.1", "77.0")):
    _LIN.append(_c(
        f"lin2019/table2-{_arch}", LIN, f"Table 2, hidden layers {_arch}",
        f"LPOM trains the {_arch} MLP on MNIST far better than Askari et al. (2018).",
        f"LPOM {_lpom} % vs Askari {_askari} %", "lpom-mnist", data="MNIST",
        analogue="the same MLP on digits", not_run_reason=LPOM_FULL, unchecked=ASKARI))
_LIN += [
    _c("lin2019/table3-svhn", LIN, "Table 3 (SVHN)",
       "LPOM beats SGD and the ADMM of Taylor et al. (2016).",
       "LPOM 98.3 vs ADMM 96.5 vs SGD 95.0 %", "lpom-mnist", data="SVHN",
       analogue="MLPs on digits", not_run_reason=SVHN),
    _c("lin2019/theorem1-gd", LIN, "Theorem 1",
       "GD with η = 1/β on a convex β-smooth f: f(x_t) − f* ≤ 2β|x_1 − x*|²/(t − 1).",
       "O(1/t) bound", "accelerated-rates"),
    _c("lin2019/theorem2-heavy-ball", LIN, "Theorem 2",
       "Heavy ball with α_k = α_0/(k+2), β_k = k/(k+2): f(x_t) − f* ≤ |x_0 − x*|²/(2α_0(t+1)).",
       "O(1/t) bound", "accelerated-rates"),
    _c("lin2019/theorem3-nesterov", LIN, "Theorem 3",
       "Nesterov's method: f(y_t) − f* ≤ 2β|x_1 − x*|²/t².", "O(1/t²) bound",
       "accelerated-rates"),
    _c("lin2019/linear-rates", LIN, "Heavy ball, strongly convex rates",
       "On μ-strongly convex f, GD contracts at (L−μ)/(L+μ), heavy ball at "
       "(√L−√μ)/(√L+√μ): heavy ball is faster.", "q_GD, q_HB", "accelerated-rates"),
    _c("lin2019/lemma4", LIN, "Lemma 4 (key observation)",
       "For W symmetric positive definite, x_{k+1} = Φ(Wx_k) is GD on f(z), z = W^{1/2}x.",
       "exact equivalence", "accelerated-rates"),
    _c("lin2019/objectives-table", LIN, "Table 1 (optimization objectives)",
       "Each activation of Table 1 is the gradient step of the listed objective f.",
       "closed forms", "accelerated-rates"),
    _c("lin2019/algorithms-as-architectures", LIN, "Engineering tricks (table)",
       "HB gives ResNet, AGD gives DenseNet, ADMM gives DMRNet as special cases.",
       "structural identity", "inspired-architectures"),
    _c("lin2019/faster-algorithms-better-nets", LIN, "Hypothesis; CIFAR table",
       "Nets from faster algorithms (HB, AGD) have lower error than the GD net of the same "
       "depth.", "e.g. CIFAR-10 HB-Net 8.66 vs ResNet 9.17 % (n = 18)",
       "inspired-architectures", data="CIFAR-10", analogue="equal-depth nets on digits",
       not_run_reason=CIFAR10),
    _c("lin2019/hbnet-vs-resnet", LIN, "CIFAR table, ResNet vs HB-Net",
       "HB-Net matches or beats ResNet of the same depth on CIFAR-10/100.",
       "n = 18: 8.66 vs 9.17 % (C10), 36.4 vs 38.13 % (C100)", "inspired-architectures",
       data="CIFAR-10", analogue="equal-depth nets on digits", not_run_reason=CIFAR10),
    _c("lin2019/agdnet-vs-densenet", LIN, "CIFAR table, DenseNet vs AGD-Net",
       "AGD-Net beats DenseNet of the same depth on CIFAR-10/100.",
       "L = 52: 5.75 vs 6.05 % (C10), 24.92 vs 26.3 % (C100)", "inspired-architectures",
       data="CIFAR-10", analogue="equal-depth nets on digits", not_run_reason=CIFAR10),
    _c("lin2019/imagenet-hb-agd", LIN, "ImageNet table",
       "HB-Net-34 and AGD-Net-121 beat ResNet-34 and DenseNet-121 on ImageNet.",
       "top-1 26.33 vs 26.73 %, 24.62 vs 25.02 %", None, data="ImageNet",
       not_run_reason=IMAGENET),
    _c("lin2019/unrolled-ista", LIN, "Optimization-inspired DNNs for reconstruction",
       "An unrolled, learned ISTA network (ISTA-Net/LISTA) reconstructs better than the "
       "iteration it unrolls, at equal depth.", "qualitative", "unrolled-ista"),
]

_DINH = [
    _c("dinhxin2020/lemma1", DINH, "Lemma 1",
       "The expected coarse gradient has a positive inner product with the true gradient.",
       "⟨E g, ∇f⟩ > 0 for θ ∈ (0, π)", "rvscgd"),
    _c("dinhxin2020/lemma2", DINH, "Lemma 2",
       "Closed forms of the population loss's gradient and the expected coarse gradient.",
       "f = θ/(2πk); E g = (w/|w| − w*)/(2k√(2π))", "rvscgd"),
    _c("dinhxin2020/lemma4", DINH, "Lemma 4",
       "The expected coarse gradient is Lipschitz on the unit sphere.", "constant K",
       "rvscgd"),
    _c("dinhxin2020/lemma5-angle", DINH, "Lemma 5",
       "The angle θ(w_t, w*) does not increase along RVSCGD.", "θ_{t+1} ≤ θ_t", "rvscgd"),
    _c("dinhxin2020/lemma6-lagrangian", DINH, "Lemma 6",
       "The augmented Lagrangian decreases monotonically along RVSCGD.", "L_{t+1} ≤ L_t",
       "rvscgd"),
    _c("dinhxin2020/theorem1-l1-limit", DINH, "Theorem 1 (ii)",
       "With ℓ1, the limit satisfies ū = S_{λ/β}(w̄): a soft-thresholded teacher.",
       "Eq. (12)", "rvscgd"),
    _c("dinhxin2020/theorem1-error-bound", DINH, "Theorem 1 (iii)",
       "The limit is close to the teacher w*, with an explicit error bound.", "Eq. (13)",
       "rvscgd"),
    _c("dinhxin2020/corollary-l0", DINH, "Corollary 1.1, ℓ0",
       "With ℓ0, RVSCGD converges to a hard-thresholded version of the teacher.",
       "Eq. (12) with hard thresholding", "rvscgd"),
    _c("dinhxin2020/corollary-tl1", DINH, "Corollary 1.1, Tℓ1",
       "With transformed ℓ1, RVSCGD converges to a Tℓ1-thresholded version of the teacher.",
       "Eq. (12) with Tℓ1 thresholding", "rvscgd"),
    _c("dinhxin2020/fig4", DINH, "Fig. 4 (k = 20, d = 50, ℓ0)",
       "RVSCGD converges quickly; the Lagrangian and θ(w_t, w*) decrease monotonically.",
       "β = 4e-3, λ = 1e-4, η = 1e-5", "rvscgd"),
    _c("dinhxin2020/sparser-than-admm", DINH, "Sec. 3.3 (comparison with ADMM)",
       "RVSCGD's u_t is much sparser than ADMM's.", "qualitative", "rvscgd"),
    _c("dinhxin2020/same-loss-as-admm", DINH, "Sec. 3.3 (comparison with ADMM)",
       "RVSCGD keeps the same performance as ADMM while sparser.", "qualitative", "rvscgd"),
    _c("dinhxin2020/table1-base", DINH, "Table 1, base model",
       "The binarized-ReLU LeNet trained by SGD reaches 89.13 % on MNIST.", "89.13 %",
       "rvscgd-lenet", data="MNIST", analogue="a binarized LeNet on digits",
       not_run_reason=RVSCGD_FULL),
    _c("dinhxin2020/table1-sparsity", DINH, "Table 1, RVSCGD",
       "RVSCGD sparsifies the binarized LeNet up to 83.76 % with a 4.39 % loss in accuracy.",
       "sparsity 83.76 %, accuracy −4.39 points", "rvscgd-lenet", data="MNIST",
       analogue="a binarized LeNet on digits", not_run_reason=RVSCGD_FULL),
]

CLAIMS: tuple[Claim, ...] = tuple(_OSHER + _OBERMAN + _LIN + _DINH)
CLAIMS_BY_ID: dict[str, Claim] = {c.id: c for c in CLAIMS}


def check_claim_ids(claim, validation: str) -> tuple[str, ...]:
    """The claim ids of ``claim`` (an id, a list of ids or None), checked.

    Raises ``ValueError`` for an unknown id (a typo fails loudly) or for a claim that the
    declarations assign to another validation; ``TypeError`` for a non-string id.

    Examples
    --------
    >>> check_claim_ids("lin2019/theorem1-gd", "accelerated-rates")
    ('lin2019/theorem1-gd',)
    >>> check_claim_ids("lin2019/theorem1-gdd", "accelerated-rates")
    Traceback (most recent call last):
    ...
    ValueError: claim: unknown claim id 'lin2019/theorem1-gdd' (declared in validation/_claims.py)
    """
    if claim is None:
        return ()
    ids = (claim,) if isinstance(claim, str) else tuple(claim)
    for cid in ids:
        if not isinstance(cid, str):
            raise TypeError(f"claim: expected claim id strings, got {type(cid).__name__}")
        if cid not in CLAIMS_BY_ID:
            raise ValueError(f"claim: unknown claim id {cid!r} (declared in "
                             f"validation/_claims.py)")
        owner = CLAIMS_BY_ID[cid].validation
        if owner != validation:
            raise ValueError(f"claim: {cid!r} is declared for validation {owner!r}, not "
                             f"{validation!r}: change its declaration in _claims.py")
    return ids
