"""Optimization algorithms as architectures (Lin 2019; Li, Lin et al. ACML 2018).

By Lemma 4 a layer x ↦ Φ(Wx) is a unit gradient step on a function of z = W^{1/2}x,
so an optimization method written in x is a network. With T_k(x) = Φ(W_k x + b_k)
(the learnable relaxation of Φ(Wx)):

=========  ====================================================  ======================
``gd``     x_{k+1} = T_k(x_k)                                     plain net
``hb``     x_{k+1} = T_k(x_k) + β₁x_k + β₂x_{k−1}                 ResNet-like (β₁=1, β₂=0)
``agd``    x_{k+1} = T_k(Σ_{j≤k} α_{k,j} x_j) + Σ_{j≤k} β_{k,j} x_j  DenseNet-like
``admm``   x'_{k+1} = T_k(x'_k) + Σ_t α_t x'_t + Σ_t β_t x_t,      DMRNet-like (two
           x_{k+1} = T_k(x_k) + Σ_t α'_t x'_t + Σ_t β'_t x_t       streams, shared T_k)
=========  ====================================================  ======================

The coefficients (α, β) are learnable; all kinds have the same W_k, b_k, so nets
of equal depth have equal parameter counts up to these few scalars. With the
coefficients of the algorithm (``algorithm_coefficients``) and W_k = W fixed, the
block computes exactly the iterates of GD, heavy ball and Nesterov mapped back
by Lemma 4 (checked in the tests and in the validation ``inspired-architectures``).

The block is one :class:`~pdeopt.nn.Layer` holding every step, with a hand-written
backward pass through the graph of states.
"""
from __future__ import annotations

import numpy as np

from .._checks import as_float_array, check_integer, check_momentum, check_option
from .activations import get_activation
from .layers import Dense, Flatten, Layer
from .model import Sequential

__all__ = ["OptimizationBlock", "inspired_net", "algorithm_coefficients", "INSPIRED_KINDS"]

INSPIRED_KINDS = ("gd", "hb", "agd", "admm")


def _graph(kind, steps):
    """Nodes (step, input-mixing mask, skip mask) over the states S_0, S_1, ...

    S_0 is the block's input. A node i creates S_{i+1} = T_step(Σ_j A_ij S_j) + Σ_j C_ij S_j;
    the masks say which A_ij, C_ij exist (learnable) — a fixed A_ij = 1 marks a plain input.
    """
    nodes = []
    if kind == "admm":                      # states: x_0, then x'_1, x_1, x'_2, x_2, ...
        prime = {0: 0}
        plain = {0: 0}
        for k in range(steps):
            n_states = 1 + 2 * k
            skip = np.ones(n_states + 1, bool)
            skip[n_states] = False
            nodes.append((k, ("fixed", prime[k]), skip.copy()))          # x'_{k+1}
            prime[k + 1] = n_states
            skip = np.ones(n_states + 2, bool)
            skip[n_states + 1] = False
            nodes.append((k, ("fixed", plain[k]), skip.copy()))          # x_{k+1}
            plain[k + 1] = n_states + 1
        return nodes, plain[steps]
    for k in range(steps):
        n_states = k + 1
        skip = np.zeros(n_states, bool)
        if kind == "hb":
            skip[max(k - 1, 0):k + 1] = True
            mix = ("fixed", k)
        elif kind == "agd":
            skip[:] = True
            mix = ("learn", np.ones(n_states, bool))
        else:
            mix = ("fixed", k)
        nodes.append((k, mix, skip))
    return nodes, steps


class OptimizationBlock(Layer):
    """``steps`` iterations of an optimization method as layers of width d (see module).

    Parameters
    ----------
    kind : {"gd", "hb", "agd", "admm"}
    steps : int
        Number of iterations (the block's depth in T's).
    activation : str
        Φ, any activation of :mod:`pdeopt.nn`.

    Parameters of the layer: ``W`` (steps, d, d), ``b`` (steps, d), and the
    coefficients ``alpha`` (mixing inside T, ``agd``) and ``beta`` (skips), each of
    shape (nodes, states) with the unused entries kept at 0 (their gradient is masked).
    """

    kind = "optblock"

    def __init__(self, kind, steps, *, activation="relu"):
        super().__init__()
        self.method = check_option(kind, "kind", INSPIRED_KINDS)
        self.steps = check_integer(steps, "steps", minimum=1)
        self.act = get_activation(activation)
        self.nodes, self.out_state = _graph(self.method, self.steps)
        n_nodes = len(self.nodes)
        n_states = n_nodes + 1
        self.mix_mask = np.zeros((n_nodes, n_states), bool)
        self.skip_mask = np.zeros((n_nodes, n_states), bool)
        self.mix_fixed = np.zeros((n_nodes, n_states))
        for i, (_, mix, skip) in enumerate(self.nodes):
            if mix[0] == "fixed":
                self.mix_fixed[i, mix[1]] = 1.0
            else:
                self.mix_mask[i, :mix[1].size] = mix[1]
            self.skip_mask[i, :skip.size] = skip

    def _build(self, input_shape):
        shape = input_shape
        if len(shape) != 1:
            raise ValueError(f"OptimizationBlock expects flat inputs, got per-sample shape {shape}")
        d = shape[0]
        n_nodes, n_states = self.skip_mask.shape
        self.input_shape = self.output_shape = shape
        self.param_specs = [("W", (self.steps, d, d)), ("b", (self.steps, d)),
                            ("alpha", (n_nodes, n_states)), ("beta", (n_nodes, n_states))]
        return shape

    def _init_params(self, rng):
        d = self.input_shape[0]
        # He scaling for the plain net; with skips, He/√steps so that the sum of `steps`
        # branches x + T(x) + ... keeps the activations O(1) at any depth (Fixup-like)
        var = 2.0 / d if self.method == "gd" else 2.0 / (d * self.steps)
        self.params["W"][...] = rng.normal(0.0, np.sqrt(var), self.params["W"].shape)
        self.params["b"][...] = 0.0
        self.set_coefficients(*self.default_coefficients())

    def default_coefficients(self):
        """The network relaxations' starting values: ResNet (hb), averages (agd, admm)."""
        alpha = np.zeros(self.skip_mask.shape)
        beta = np.zeros(self.skip_mask.shape)
        for i in range(len(self.nodes)):
            if self.mix_mask[i].any():
                alpha[i, self.mix_mask[i]] = 1.0 / self.mix_mask[i].sum()
            if self.skip_mask[i].any():
                if self.method == "hb":
                    beta[i, i] = 1.0                 # x_{k+1} = T(x_k) + x_k: ResNet
                else:
                    beta[i, self.skip_mask[i]] = 1.0 / self.skip_mask[i].sum()
        return alpha, beta

    #: α, β are stored divided by this scale: a step of size lr on the stored values moves
    #: the coefficients by scale²·lr, so a few scalars that multiply whole layers do not
    #: swing the network when the weights' learning rate is used for them too
    coef_scale = 0.1

    def set_coefficients(self, alpha, beta):
        """Write α and β, each of shape (nodes, states) (only the entries the method has
        are kept)."""
        self._require_params()
        alpha = as_float_array(alpha, "alpha", ndim=2)
        beta = as_float_array(beta, "beta", ndim=2)
        for arr, name in ((alpha, "alpha"), (beta, "beta")):
            if arr.shape != self.skip_mask.shape:
                raise ValueError(f"{name} must have shape {self.skip_mask.shape}, got {arr.shape}")
        self.params["alpha"][...] = np.where(self.mix_mask, alpha, 0.0) / self.coef_scale
        self.params["beta"][...] = np.where(self.skip_mask, beta, 0.0) / self.coef_scale

    def coefficients(self):
        """The current α, β."""
        return (self.coef_scale * self.params["alpha"] * self.mix_mask,
                self.coef_scale * self.params["beta"] * self.skip_mask)

    def _mix(self):
        return self.mix_fixed + self.coefficients()[0]

    def _forward(self, x, train=False):
        mix, skip = self._mix(), self.coefficients()[1]
        w, b = self.params["W"], self.params["b"]
        states, cache = [x], []
        for i, (k, _, _) in enumerate(self.nodes):
            n = len(states)
            u = sum(mix[i, j] * states[j] for j in range(n) if mix[i, j] != 0)
            u = np.zeros_like(x) if isinstance(u, int) else u
            act = self.act if not cache else get_activation(self.act)
            h = act._forward(u @ w[k].T + b[k], train)
            s = h + sum(skip[i, j] * states[j] for j in range(n) if skip[i, j] != 0)
            states.append(s)
            cache.append((u, act))
        self._states, self._cache = states, cache
        return states[self.out_state]

    def _backward(self, dout):
        mix, skip = self._mix(), self.coefficients()[1]
        w = self.params["W"]
        grads = {key: self.grads[key] for key in ("W", "b", "alpha", "beta")}
        for g in grads.values():
            g[...] = 0.0
        d_states = [np.zeros_like(s) for s in self._states]
        d_states[self.out_state] = d_states[self.out_state] + dout
        for i in range(len(self.nodes) - 1, -1, -1):
            k = self.nodes[i][0]
            g = d_states[i + 1]
            u, act = self._cache[i]
            for j in range(i + 1):
                if self.skip_mask[i, j]:
                    grads["beta"][i, j] = self.coef_scale * np.sum(g * self._states[j])
                    d_states[j] += skip[i, j] * g
            dz = act._backward(g)
            grads["W"][k] += dz.T @ u
            grads["b"][k] += dz.sum(axis=0)
            du = dz @ w[k]
            for j in range(i + 1):
                if self.mix_mask[i, j]:
                    grads["alpha"][i, j] = self.coef_scale * np.sum(du * self._states[j])
                if mix[i, j] != 0:
                    d_states[j] += mix[i, j] * du
        return d_states[0]

    def __repr__(self):
        return f"OptimizationBlock({self.method!r}, steps={self.steps})"


def algorithm_coefficients(block, *, momentum=0.5):
    """α, β that make a weight-tied ``block`` (W_k = W, b_k = 0) run the algorithm itself.

    ``gd``: x_{k+1} = Φ(Wx_k). ``hb``: x_{k+1} = Φ(Wx_k) + β(x_k − x_{k−1}) with
    β = ``momentum``. ``agd``: Nesterov in the seed's form, the states being its y_t:
    y_{t+1} = Φ(W((1 − γ_t)y_t + γ_t y_{t−1})), γ_t = (1 − λ_t)/λ_{t+1}, γ_1 = 0.
    By Lemma 4 these are U⁻¹ times the iterates of the method on f with unit step.

    Examples
    --------
    >>> from pdeopt.nn import build_layer
    >>> block = build_layer(OptimizationBlock("hb", 3), (4,), rng=0)
    >>> alpha, beta = algorithm_coefficients(block, momentum=0.5)
    >>> beta[1, :3].tolist()
    [-0.5, 0.5, 0.0]
    """
    if not isinstance(block, OptimizationBlock):
        raise TypeError(f"block must be an OptimizationBlock, got {type(block).__name__}")
    momentum = check_momentum(momentum)
    alpha = np.zeros(block.skip_mask.shape)
    beta = np.zeros(block.skip_mask.shape)
    steps = block.steps
    if block.method == "hb":
        for i in range(steps):
            beta[i, i] += momentum
            beta[i, max(i - 1, 0)] -= momentum
    elif block.method == "agd":
        lam = [0.0]
        for _ in range(steps + 1):
            lam.append((1 + np.sqrt(1 + 4 * lam[-1] ** 2)) / 2)
        alpha[0, 0] = 1.0
        for i in range(1, steps):
            gamma = (1 - lam[i]) / lam[i + 1]
            alpha[i, i], alpha[i, i - 1] = 1 - gamma, gamma
    elif block.method == "admm":
        raise ValueError("algorithm_coefficients covers gd, hb and agd; the ADMM block is "
                         "the relaxed (learnable) form only")
    return alpha, beta


def inspired_net(kind, *, width=32, steps=4, activation="relu", input_shape=(8, 8),
                 n_classes=10, rng=None, dtype=np.float64):
    """Flatten → Dense(width) → Φ → OptimizationBlock(kind, steps) → Dense(n_classes).

    Nets of every ``kind`` with the same ``width`` and ``steps`` have equal depth and
    the same weight matrices; they differ only in how the states are combined.

    Examples
    --------
    >>> nets = {k: inspired_net(k, width=8, steps=2, rng=0) for k in INSPIRED_KINDS}
    >>> len({net.layers[1].params["W"].shape for net in nets.values()})
    1
    """
    width = check_integer(width, "width", minimum=1)
    n_classes = check_integer(n_classes, "n_classes", minimum=1)
    layers = [Flatten(), Dense(width), get_activation(activation),
              OptimizationBlock(kind, steps, activation=activation),
              Dense(n_classes, init="glorot")]
    return Sequential(layers, input_shape=input_shape, rng=rng, dtype=dtype)
