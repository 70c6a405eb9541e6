"""Elementwise activations σ with their derivatives, as layers.

Each activation has ``value(z)`` (σ) and ``derivative(z)`` (σ′, or the chosen
surrogate for the binarized ReLU); as a layer, ``forward`` is σ(z) and
``backward`` multiplies the incoming gradient by ``derivative(z)``.
"""
from __future__ import annotations

import copy

import numpy as np

from .._checks import as_float_array, check_option, check_positive
from .._xp import namespace
from .layers import Layer

__all__ = ["Activation", "ReLU", "LeakyReLU", "ELU", "Sigmoid", "Tanh", "Softplus",
           "BinaryReLU", "Identity", "ACTIVATIONS", "get_activation"]


class Activation(Layer):
    """Base of the elementwise activations."""

    kind = "act"
    elementwise = True

    def __init__(self):
        if type(self) is Activation:
            raise TypeError("Activation is the base class: use one of ACTIVATIONS "
                            "(ReLU(), Tanh(), ...) or get_activation(name)")
        super().__init__()

    def value(self, z):
        """σ(z), elementwise.

        Examples
        --------
        >>> Softplus().value([0.0, 1000.0]).round(4).tolist()    # log(1 + e^z), no overflow
        [0.6931, 1000.0]
        """
        return self._value(as_float_array(z, "z", allow_empty=True))

    def derivative(self, z):
        """σ′(z) (or the surrogate derivative), elementwise."""
        return self._derivative(as_float_array(z, "z", allow_empty=True))

    def _value(self, z):
        raise NotImplementedError

    def _derivative(self, z):
        raise NotImplementedError

    def _forward(self, x, train=False):
        self._z = x
        return self._value(x)

    def _backward(self, dout):
        return dout * self._derivative(self._z)

    def __repr__(self):
        return f"{type(self).__name__}()"


class Identity(Activation):
    """σ(z) = z."""

    def _value(self, z):
        return z

    def _derivative(self, z):
        return namespace(z).ones_like(z)


class ReLU(Activation):
    """σ(z) = max(z, 0); σ′(z) = 1{z > 0}."""

    def _value(self, z):
        return namespace(z).maximum(z, 0)

    def _derivative(self, z):
        return (z > 0).astype(z.dtype)

    def _backward(self, dout):
        # dout·1{z > 0}: a product with the boolean mask streams (10× faster here than
        # np.where, whose branch on a random mask mispredicts); it keeps dout's dtype
        return namespace(dout).multiply(dout, self._z > 0)

    def _backward_owned(self, dout):
        # in the model's own temporary: no fresh output array, whose first touch cost more
        # than the product (LeNet's first ReLU in a float64 step: 4.7 ms, in place 1.5 ms)
        return namespace(dout).multiply(dout, self._z > 0, out=dout)


class LeakyReLU(Activation):
    """σ(z) = z for z > 0, αz otherwise."""

    def __init__(self, alpha=0.01):
        super().__init__()
        self.alpha = check_positive(alpha, "alpha")

    def _value(self, z):
        return namespace(z).where(z > 0, z, self.alpha * z)

    def _derivative(self, z):
        return namespace(z).where(z > 0, 1.0, self.alpha).astype(z.dtype)


class ELU(Activation):
    """σ(z) = z for z > 0, α(eᶻ − 1) otherwise."""

    def __init__(self, alpha=1.0):
        super().__init__()
        self.alpha = check_positive(alpha, "alpha")

    def _value(self, z):
        xp = namespace(z)
        return xp.where(z > 0, z, self.alpha * xp.expm1(xp.minimum(z, 0)))

    def _derivative(self, z):
        xp = namespace(z)
        return xp.where(z > 0, 1.0, self.alpha * xp.exp(xp.minimum(z, 0))).astype(z.dtype)


class Sigmoid(Activation):
    """σ(z) = 1/(1 + e⁻ᶻ) (evaluated without overflow); σ′ = σ(1 − σ)."""

    def _value(self, z):
        xp = namespace(z)
        e = xp.exp(-xp.abs(z))
        return xp.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(z.dtype, copy=False)

    def _derivative(self, z):
        s = self._value(z)
        return s * (1 - s)


class Tanh(Activation):
    """σ(z) = tanh z; σ′ = 1 − tanh² z."""

    def _value(self, z):
        return namespace(z).tanh(z)

    def _derivative(self, z):
        return 1 - namespace(z).tanh(z) ** 2


class Softplus(Activation):
    """σ(z) = log(1 + eᶻ) (as ``logaddexp(0, z)``); σ′ = sigmoid(z)."""

    def _value(self, z):
        return namespace(z).logaddexp(0, z).astype(z.dtype, copy=False)

    def _derivative(self, z):
        return Sigmoid()._value(z)


class BinaryReLU(Activation):
    """Binarized ReLU σ(z) = 1{z > 0} with a straight-through (coarse) derivative.

    The true derivative is zero almost everywhere; backward uses instead the
    derivative of a proxy function (Yin et al. 2019, "Understanding straight-through
    estimator in training activation quantized neural nets"):

    - ``"relu"``: μ′(z) = 1{z > 0} (ReLU's derivative),
    - ``"clipped_relu"``: μ′(z) = 1{0 < z < 1} (derivative of min(max(z, 0), 1)),
    - ``"identity"``: μ′(z) = 1 (the classical straight-through estimator).
    """

    SURROGATES = ("relu", "clipped_relu", "identity")

    def __init__(self, surrogate="relu"):
        super().__init__()
        self.surrogate = check_option(surrogate, "surrogate", self.SURROGATES)

    def _value(self, z):
        return (z > 0).astype(z.dtype)

    def _derivative(self, z):
        if self.surrogate == "relu":
            return (z > 0).astype(z.dtype)
        if self.surrogate == "clipped_relu":
            return ((z > 0) & (z < 1)).astype(z.dtype)
        return namespace(z).ones_like(z)

    def __repr__(self):
        return f"BinaryReLU(surrogate={self.surrogate!r})"


ACTIVATIONS = {"relu": ReLU, "leaky_relu": LeakyReLU, "elu": ELU, "sigmoid": Sigmoid,
               "tanh": Tanh, "softplus": Softplus, "binary_relu": BinaryReLU,
               "identity": Identity}


def get_activation(activation) -> Activation:
    """A fresh activation layer from a name in :data:`ACTIVATIONS`, a class, or an instance.

    Examples
    --------
    >>> get_activation("tanh"), get_activation(ReLU)
    (Tanh(), ReLU())
    """
    if isinstance(activation, Activation):
        return copy.copy(activation)  # a layer keeps per-call state: never share one
    if isinstance(activation, type) and issubclass(activation, Activation):
        return activation()
    if not isinstance(activation, str):
        raise TypeError(f"activation must be a name in ACTIVATIONS, an Activation class or an "
                        f"instance, got {type(activation).__name__}")
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
    return ACTIVATIONS[activation]()
