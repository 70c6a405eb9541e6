"""Graph interpolation: kNN graphs, GL and WNLL harmonic extension, a semi-supervised classifier.

Source: Osher (2018), "Deep learning with data dependent implicit activation functions"
(Wang, Luo, Li, Zhu, Shi, Osher, arXiv 1802.00168), and Shi, Osher, Zhu, "Weighted
nonlocal Laplacian on interpolation from sparse data", J. Sci. Comput. 2017.

- :func:`knn_graph` — k nearest neighbours (exact brute force or pynndescent).
- :func:`weight_matrix` — self-tuning Gaussian weights, sparse CSR.
- :func:`harmonic_extension` — GL / WNLL label extension, all classes at once (PCG or LU).
- :class:`WNLLClassifier` — the same as a scikit-learn style estimator (``y = -1`` unlabeled).
"""
from .classifier import WNLLClassifier, interpolate
from .harmonic import harmonic_extension
from .knn import knn_graph, weight_matrix

__all__ = ["knn_graph", "weight_matrix", "harmonic_extension", "WNLLClassifier", "interpolate"]
