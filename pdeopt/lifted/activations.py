"""The activation table of LPOM: φ, φ⁻¹, f and g for the usual activations.

For a non-decreasing activation φ the seed (Lin 2019, Table 1) writes the layer
map as a proximal operator,

    x = φ(y)  ⇔  x = argmin_x f(x) + ½(x − y)²,   f(x) = ∫₀ˣ (φ⁻¹(u) − u) du,

and adds, for the optimality conditions of the lifted problem to be met by the
forward pass, g(x) = ∫₀ˣ (φ(u) − u) du. Then f′ = φ⁻¹ − id and g′ = φ − id,
f̃ = f + ½x² = ∫₀ˣ φ⁻¹ and g̃ = g + ½x² = ∫₀ˣ φ are convex, which is why the
LPOM objective is block multi-convex (Theorem 4).

LPOM itself uses only φ; f and g are here to state, test and monitor the
objective. Closed forms are used where the seed gives one; softplus has none,
so its f and g are computed by Gauss–Legendre quadrature (with the logarithmic
singularity of φ⁻¹ at 0 subtracted analytically). The constants follow the
integral definition, f(0) = g(0) = 0; the seed's table differs from it by an
additive constant for sigmoid (g: −log 2) and ELU (f: −α, g: +α), which does
not change any argmin or derivative.

References
----------
Z. Lin, "Optimization and deep neural networks", slides, 2019 (Table 1).
J. Li, C. Fang, Z. Lin, "Lifted proximal operator machines", AAAI 2019.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Optional

import numpy as np
from scipy.special import expit, xlogy

from .._checks import check_positive

__all__ = ["Activation", "ACTIVATIONS", "get_activation", "check_lpom_activation",
           "quadrature_integral"]

_GL_NODES, _GL_WEIGHTS = np.polynomial.legendre.leggauss(64)


def quadrature_integral(integrand: Callable, x) -> np.ndarray:
    """∫₀ˣ integrand(u) du for every entry of ``x`` by 64-point Gauss–Legendre.

    Exact to rounding for integrands that are smooth on [0, x] (a polynomial of
    degree ≤ 127 is integrated exactly; analytic integrands converge geometrically).
    """
    x = np.asarray(x, dtype=float)
    u = 0.5 * x[..., None] * (_GL_NODES + 1.0)          # nodes mapped to [0, x]
    return 0.5 * x * np.sum(_GL_WEIGHTS * integrand(u), axis=-1)


def _outside(x, lo, hi):
    """Entries outside the closed domain [lo, hi] of f (where f = +inf)."""
    return (x < lo) | (x > hi)


@dataclass(frozen=True)
class Activation:
    """One row of the activation table.

    Attributes
    ----------
    name : str
    phi : callable
        The activation φ (elementwise).
    derivative : callable
        φ′ (a subgradient where φ has a kink); used by SGD, ADMM and the tests.
    lipschitz : float
        β such that |φ(x) − φ(y)| ≤ β|x − y| (``inf`` if there is none).
    nondecreasing : bool
        Whether φ is non-decreasing (LPOM needs it).
    phi_inv : callable or None
        φ⁻¹ on the range of φ (the least element where φ is flat, e.g. ReLU at 0).
    f_domain : (float, float)
        The closed interval outside which f = +inf (the closure of φ's range).
    f, g : callable or None
        f(x) = ∫₀ˣ(φ⁻¹ − id), g(x) = ∫₀ˣ(φ − id).
    closed_form : bool
        False where f and g come from quadrature.
    """

    name: str
    phi: Callable
    derivative: Callable
    lipschitz: float
    nondecreasing: bool = True
    phi_inv: Optional[Callable] = None
    f_domain: tuple = (-np.inf, np.inf)
    f: Optional[Callable] = None
    g: Optional[Callable] = None
    closed_form: bool = True
    params: dict = field(default_factory=dict)

    def __call__(self, x):
        return self.phi(x)

    def f_tilde(self, x):
        """f̃(x) = f(x) + x²/2 = ∫₀ˣ φ⁻¹ (convex)."""
        x = np.asarray(x, dtype=float)
        return self.f(x) + 0.5 * x ** 2

    def g_tilde(self, x):
        """g̃(x) = g(x) + x²/2 = ∫₀ˣ φ (convex, β-smooth)."""
        x = np.asarray(x, dtype=float)
        return self.g(x) + 0.5 * x ** 2


# ---- the rows ---------------------------------------------------------------------------

def _sigmoid():
    def f(x):
        x = np.asarray(x, float)
        xc = np.clip(x, 0.0, 1.0)
        val = xlogy(xc, xc) + xlogy(1 - xc, 1 - xc) - 0.5 * xc ** 2
        return np.where(_outside(x, 0.0, 1.0), np.inf, val)

    def g(x):
        x = np.asarray(x, float)
        return np.logaddexp(0.0, x) - np.log(2.0) - 0.5 * x ** 2

    def dphi(x):
        s = expit(x)
        return s * (1 - s)

    def inv(y):
        y = np.asarray(y, float)
        return np.log(y) - np.log1p(-y)

    return Activation("sigmoid", expit, dphi, 0.25, True, inv, (0.0, 1.0), f, g)


def _tanh():
    def f(x):
        x = np.asarray(x, float)
        xc = np.clip(x, -1.0, 1.0)
        val = 0.5 * (xlogy(1 - xc, 1 - xc) + xlogy(1 + xc, 1 + xc)) - 0.5 * xc ** 2
        return np.where(_outside(x, -1.0, 1.0), np.inf, val)

    def g(x):
        x = np.asarray(x, float)
        a = np.abs(x)
        logcosh = a + np.log1p(np.exp(-2 * a)) - np.log(2.0)
        return logcosh - 0.5 * x ** 2

    return Activation("tanh", np.tanh, lambda x: 1 - np.tanh(x) ** 2, 1.0, True,
                      np.arctanh, (-1.0, 1.0), f, g)


def _relu():
    def f(x):
        x = np.asarray(x, float)
        return np.where(x < 0, np.inf, 0.0)

    def g(x):
        x = np.asarray(x, float)
        return np.where(x < 0, -0.5 * x ** 2, 0.0)

    return Activation("relu", lambda x: np.maximum(x, 0.0),
                      lambda x: (np.asarray(x) > 0).astype(float), 1.0, True,
                      lambda y: np.asarray(y, float), (0.0, np.inf), f, g)


def _leaky_relu(alpha):
    if not 0 < alpha < 1:
        raise ValueError(f"alpha of the leaky ReLU must be in (0, 1), got {alpha}")

    def f(x):
        x = np.asarray(x, float)
        return np.where(x < 0, (1 - alpha) / (2 * alpha) * x ** 2, 0.0)

    def g(x):
        x = np.asarray(x, float)
        return np.where(x < 0, (alpha - 1) / 2 * x ** 2, 0.0)

    return Activation("leaky_relu", lambda x: np.where(np.asarray(x) >= 0, x, alpha * np.asarray(x)),
                      lambda x: np.where(np.asarray(x) >= 0, 1.0, alpha), 1.0, True,
                      lambda y: np.where(np.asarray(y) >= 0, y, np.asarray(y) / alpha),
                      (-np.inf, np.inf), f, g, params={"alpha": alpha})


def _elu(alpha):
    alpha = check_positive(alpha, "alpha")

    def phi(x):
        x = np.asarray(x, float)
        return np.where(x >= 0, x, alpha * np.expm1(np.minimum(x, 0.0)))

    def inv(y):
        y = np.asarray(y, float)
        return np.where(y >= 0, y, np.log1p(np.maximum(y, -alpha) / alpha))

    def f(x):
        x = np.asarray(x, float)
        xn = np.clip(x, -alpha, 0.0)
        val = xlogy(alpha + xn, 1 + xn / alpha) - xn - 0.5 * xn ** 2
        return np.where(x < -alpha, np.inf, np.where(x >= 0, 0.0, val))

    def g(x):
        x = np.asarray(x, float)
        xn = np.minimum(x, 0.0)
        return np.where(x >= 0, 0.0, alpha * np.expm1(xn) - alpha * xn - 0.5 * xn ** 2)

    return Activation("elu", phi, lambda x: np.where(np.asarray(x) >= 0, 1.0,
                                                      alpha * np.exp(np.minimum(x, 0.0))),
                      max(1.0, alpha), True, inv, (-alpha, np.inf), f, g,
                      params={"alpha": alpha})


def _log_expm1_ratio(u):
    """log((1 − e^{−u})/u), → 0 as u → 0 (u = 0 appears only when x = 0)."""
    u = np.maximum(u, 1e-300)
    return np.where(u < 1e-8, -0.5 * u, np.log(-np.expm1(-u) / u))


def _softplus():
    def phi(x):
        return np.logaddexp(0.0, x)

    def inv(y):
        y = np.asarray(y, float)
        return y + np.log(-np.expm1(-y))                # log(e^y − 1), stable for large y

    def f(x):
        # φ⁻¹(u) − u = log(1 − e^{−u}) = log u + log((1 − e^{−u})/u): the first part is
        # integrated exactly (x log x − x), the smooth remainder by quadrature.
        x = np.asarray(x, float)
        xp = np.maximum(x, 0.0)
        smooth = quadrature_integral(_log_expm1_ratio, xp)
        val = xlogy(xp, xp) - xp + smooth
        return np.where(x < 0, np.inf, val)

    def g(x):
        # φ(u) − u = log(1 + e^{−u}) for every u, written stably on both signs
        return quadrature_integral(lambda u: np.logaddexp(0.0, u) - u, x)

    return Activation("softplus", phi, expit, 1.0, True, inv, (0.0, np.inf), f, g,
                      closed_form=False)


def _swish():
    # Not monotone (φ′ < 0 for x < −1.28): listed so that LPOM can refuse it with the reason.
    def dphi(x):
        s = expit(x)
        return s + x * s * (1 - s)

    return Activation("swish", lambda x: x * expit(x), dphi, 1.1, False)


#: name → constructor taking the shape parameter ``alpha`` (ignored where there is none)
ACTIVATIONS = {
    "sigmoid": lambda alpha: _sigmoid(),
    "tanh": lambda alpha: _tanh(),
    "relu": lambda alpha: _relu(),
    "leaky_relu": lambda alpha: _leaky_relu(0.1 if alpha is None else alpha),
    "elu": lambda alpha: _elu(1.0 if alpha is None else alpha),
    "softplus": lambda alpha: _softplus(),
    "swish": lambda alpha: _swish(),
}


def get_activation(activation, *, alpha=None) -> Activation:
    """Return the table row for ``activation`` (a name or an :class:`Activation`).

    Parameters
    ----------
    activation : str or Activation
        One of ``sigmoid, tanh, relu, leaky_relu, elu, softplus, swish``.
    alpha : float, optional
        The slope of the leaky ReLU (in (0, 1), default 0.1) or the scale of the ELU
        (> 0, default 1).

    Examples
    --------
    >>> act = get_activation("relu")
    >>> float(act.phi(-2.0)), float(act.g(-2.0))
    (0.0, -2.0)
    """
    if isinstance(activation, Activation):
        return activation
    if not isinstance(activation, str):
        raise TypeError(f"activation must be a name or an Activation, got "
                        f"{type(activation).__name__}")
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
    return ACTIVATIONS[activation](alpha)


def check_lpom_activation(activation, *, alpha=None, span=8.0, n=4001) -> Activation:
    """Return the activation if LPOM can use it, else raise ``ValueError`` with the reason.

    LPOM needs φ non-decreasing (so that f exists and the objective is block
    multi-convex, Theorem 4) and β-Lipschitz (so that g̃ is β-smooth and the
    weight update by APG has step 1/β). The declared properties are checked and
    then verified on a grid of ``n`` points in [−span, span].
    """
    act = get_activation(activation, alpha=alpha)
    x = np.linspace(-span, span, n)
    y = np.asarray(act.phi(x), float)
    slope = np.diff(y) / np.diff(x)
    if not act.nondecreasing or np.any(slope < -1e-12):
        xm = x[np.argmin(slope)]
        raise ValueError(f"activation {act.name!r} cannot be used by LPOM: φ must be "
                         f"non-decreasing, but it decreases near x = {xm:.3g}")
    if not np.isfinite(act.lipschitz) or np.max(slope) > act.lipschitz * (1 + 1e-6):
        raise ValueError(f"activation {act.name!r} cannot be used by LPOM: φ must be "
                         f"Lipschitz with a finite declared constant (declared "
                         f"{act.lipschitz}, measured slope up to {np.max(slope):.3g})")
    return act
