"""Small framework-free networks in NumPy: layers, models, losses, optimizers, training loop.

Every model keeps all its parameters in one flat vector ``model.params`` (layers
hold views into it), so optimizers that act on the whole weight vector — proximal
steps, projections, Langevin noise, elastic coupling — are one line.

On a GPU, ``model.to("cuda")`` (or ``train(..., backend="cuda")``) keeps that vector as a
CuPy array and runs the same layers, optimizers and training loop there (needs CuPy:
``pip install pdeopt[gpu]``).
"""
from .activations import (ACTIVATIONS, ELU, Activation, BinaryReLU, Identity, LeakyReLU, ReLU,
                          Sigmoid, Softplus, Tanh, get_activation)
from .inspired import INSPIRED_KINDS, OptimizationBlock, algorithm_coefficients, inspired_net
from .gradcheck import build_layer, gradient_check, layer_gradient_check, relative_error
from .layers import (AvgPool2D, BatchNorm, Conv2D, Dense, Dropout, Flatten, GlobalAvgPool2D,
                     Layer, MaxPool2D, Residual)
from .losses import LOSSES, log_softmax, softmax_cross_entropy, squared_error
from .model import Sequential
from .models import LPOM_WIDTHS, allcnn, lenet, mlp, mnistfc, nonoverlap_cnn
from .optimizers import SGD, Optimizer, cosine_schedule, exponential_schedule, step_schedule
from .training import batch_stream, train
from .wnll_layer import train_wnll, wnll_error, wnll_predict

__all__ = [
    "Sequential", "mlp", "mnistfc", "lenet", "allcnn", "nonoverlap_cnn", "LPOM_WIDTHS",
    "Layer", "Dense", "Conv2D", "MaxPool2D", "AvgPool2D", "GlobalAvgPool2D", "Flatten",
    "Dropout", "BatchNorm", "Residual",
    "Activation", "ReLU", "LeakyReLU", "ELU", "Sigmoid", "Tanh", "Softplus", "BinaryReLU",
    "Identity", "ACTIVATIONS", "get_activation",
    "softmax_cross_entropy", "squared_error", "log_softmax", "LOSSES",
    "Optimizer", "SGD", "step_schedule", "exponential_schedule", "cosine_schedule",
    "train", "batch_stream",
    "train_wnll", "wnll_predict", "wnll_error",
    "OptimizationBlock", "inspired_net", "algorithm_coefficients", "INSPIRED_KINDS",
    "gradient_check", "layer_gradient_check", "build_layer", "relative_error",
]
