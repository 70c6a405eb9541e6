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

import numbers
from dataclasses import dataclass, field
from typing import Callable, Optional

import numpy as np
from scipy.special import expit, xlogy

from .._checks import (as_float_array, check_bool, check_callable, check_integer,
                       check_positive, check_range)

__all__ = ["LiftedActivation", "LIFTED_ACTIVATIONS", "get_lifted_activation",
           "check_lpom_activation", "quadrature_integral"]

_GL_NODES, _GL_WEIGHTS = np.polynomial.legendre.leggauss(64)


def quadrature_integral(integrand: Callable, x) -> np.ndarray:
    """∫₀ˣ integrand(u) du for every entry of ``x`` by 64-point Gauss–Legendre.

    Exact to rounding for integrands that are smooth on [0, x] (a polynomial of
    degree ≤ 127 is integrated exactly; analytic integrands converge geometrically).

    Examples
    --------
    >>> quadrature_integral(lambda u: 3 * u ** 2, [1.0, 2.0]).round(12).tolist()
    [1.0, 8.0]
    """
    check_callable(integrand, "integrand")
    x = as_float_array(x, "x", dtype=np.float64, allow_empty=True)
    u = 0.5 * x[..., None] * (_GL_NODES + 1.0)          # nodes mapped to [0, x]
    out = 0.5 * x * np.sum(_GL_WEIGHTS * np.asarray(integrand(u), dtype=float), axis=-1)
    if not np.all(np.isfinite(out)):
        raise ValueError("integrand returned NaN or inf on [0, x]: the integral is not finite")
    return out


def _outside(x, lo, hi):
    """Entries outside the closed domain [lo, hi] of f (where f = +inf)."""
    return (x < lo) | (x > hi)


@dataclass(frozen=True)
class LiftedActivation:
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

    def __post_init__(self):
        if not isinstance(self.name, str):
            raise TypeError(f"name must be a string, got {type(self.name).__name__}")
        check_callable(self.phi, "phi")
        check_callable(self.derivative, "derivative")
        lip = self.lipschitz
        if isinstance(lip, bool) or not isinstance(lip, (numbers.Real, np.floating)):
            raise TypeError(f"lipschitz must be a number, got {type(lip).__name__}")
        if not lip > 0:
            raise ValueError(f"lipschitz must be > 0 (inf when φ has no constant), got {lip}")
        check_bool(self.nondecreasing, "nondecreasing")
        for name in ("phi_inv", "f", "g"):
            if getattr(self, name) is not None:
                check_callable(getattr(self, name), name)
        dom = np.asarray(self.f_domain)
        if not np.issubdtype(dom.dtype, np.number):
            raise TypeError(f"f_domain must be two numbers (lo, hi), got {self.f_domain!r}")
        if dom.shape != (2,) or np.isnan(dom).any() or not dom[0] < dom[1]:
            raise ValueError(f"f_domain must be an interval (lo, hi) with lo < hi, "
                             f"got {self.f_domain!r}")
        check_bool(self.closed_form, "closed_form")
        if not isinstance(self.params, dict):
            raise TypeError(f"params must be a dict, got {type(self.params).__name__}")

    def __call__(self, x):
        return self.phi(x)

    def _table_entry(self, name, x):
        if getattr(self, name) is None:
            raise ValueError(f"activation {self.name!r} has no {name} in the table "
                             "(φ is not non-decreasing)")
        return as_float_array(x, "x", dtype=np.float64, allow_empty=True)

    def f_tilde(self, x):
        """f̃(x) = f(x) + x²/2 = ∫₀ˣ φ⁻¹ (convex)."""
        x = self._table_entry("f", x)
        return self.f(x) + 0.5 * x ** 2

    def g_tilde(self, x):
        """g̃(x) = g(x) + x²/2 = ∫₀ˣ φ (convex, β-smooth)."""
        x = self._table_entry("g", x)
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

    return LiftedActivation("sigmoid", expit, dphi, 0.25, True, inv, (0.0, 1.0), f, g)


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

    return LiftedActivation("tanh", np.tanh, lambda x: 1 - np.tanh(x) ** 2, 1.0, True,
                            np.arctanh, (-1.0, 1.0), f, g)


def _relu():
    def f(x):
        x = np.asarray(x, float)
        return np.where(x < 0, np.inf, 0.0)

    def g(x):
        x = np.asarray(x, float)
        return np.where(x < 0, -0.5 * x ** 2, 0.0)

    return LiftedActivation("relu", lambda x: np.maximum(x, 0.0),
                            lambda x: (np.asarray(x) > 0).astype(float), 1.0, True,
                            lambda y: np.asarray(y, float), (0.0, np.inf), f, g)


def _leaky_relu(alpha):
    alpha = check_range(alpha, "alpha", 0.0, 1.0, low_open=True, high_open=True)

    def f(x):
        x = np.asarray(x, float)
        return np.where(x < 0, (1 - alpha) / (2 * alpha) * x ** 2, 0.0)

    def g(x):
        x = np.asarray(x, float)
        return np.where(x < 0, (alpha - 1) / 2 * x ** 2, 0.0)

    def phi(x):
        x = np.asarray(x, float)
        return np.where(x >= 0, x, alpha * x)

    return LiftedActivation("leaky_relu", phi,
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

    return LiftedActivation("elu", phi, lambda x: np.where(np.asarray(x) >= 0, 1.0,
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

    return LiftedActivation("softplus", phi, expit, 1.0, True, inv, (0.0, np.inf), f, g,
                            closed_form=False)


def _swish():
    # Not monotone (φ′ < 0 for x < −1.28): listed so that LPOM can refuse it with the reason.
    def dphi(x):
        s = expit(x)
        return s + x * s * (1 - s)

    return LiftedActivation("swish", lambda x: x * expit(x), dphi, 1.1, False)


#: name → constructor taking the shape parameter ``alpha`` (None where there is none)
LIFTED_ACTIVATIONS = {
    "sigmoid": lambda alpha: _sigmoid(),
    "tanh": lambda alpha: _tanh(),
    "relu": lambda alpha: _relu(),
    "leaky_relu": lambda alpha: _leaky_relu(0.1 if alpha is None else alpha),
    "elu": lambda alpha: _elu(1.0 if alpha is None else alpha),
    "softplus": lambda alpha: _softplus(),
    "swish": lambda alpha: _swish(),
}


def get_lifted_activation(activation, *, alpha=None) -> LiftedActivation:
    """Return the table row for ``activation`` (a name or a :class:`LiftedActivation`).

    These are the rows of LPOM's table (φ, φ⁻¹, f, g; Lin 2019, Table 1), not the
    layers of :func:`pdeopt.nn.get_activation`.

    Parameters
    ----------
    activation : str or LiftedActivation
        One of ``sigmoid, tanh, relu, leaky_relu, elu, softplus, swish``.
    alpha : float, optional
        The slope of the leaky ReLU (in (0, 1), default 0.1) or the scale of the ELU
        (> 0, default 1); only these two take it.

    Examples
    --------
    >>> act = get_lifted_activation("relu")
    >>> float(act.phi(-2.0)), float(act.g(-2.0))
    (0.0, -2.0)
    """
    if isinstance(activation, LiftedActivation):
        return activation
    if not isinstance(activation, str):
        raise TypeError(f"activation must be a name or a LiftedActivation, got "
                        f"{type(activation).__name__}")
    if activation not in LIFTED_ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(LIFTED_ACTIVATIONS)}, "
                         f"got {activation!r}")
    if alpha is not None and activation not in ("leaky_relu", "elu"):
        raise ValueError(f"alpha is the shape parameter of leaky_relu and elu only, "
                         f"got alpha={alpha!r} for {activation!r}")
    return LIFTED_ACTIVATIONS[activation](alpha)


def check_lpom_activation(activation, *, alpha=None, span=8.0, n=4001) -> LiftedActivation:
    """Return the activation if LPOM can use it, else raise ``ValueError`` with the reason.

    LPOM needs φ non-decreasing (so that f exists and the objective is block
    multi-convex, Theorem 4) and β-Lipschitz (so that g̃ is β-smooth and the
    weight update by APG has step 1/β). The declared properties are checked and
    then verified on a grid of ``n`` points in [−span, span].

    Examples
    --------
    >>> check_lpom_activation("tanh").name
    'tanh'
    >>> check_lpom_activation("swish")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: activation 'swish' cannot be used by LPOM: φ must be non-decreasing, ...
    """
    act = get_lifted_activation(activation, alpha=alpha)
    span = check_positive(span, "span")
    n = check_integer(n, "n", minimum=3)
    x = np.linspace(-span, span, n)
    y = np.asarray(act.phi(x), float)
    if y.shape != x.shape or not np.all(np.isfinite(y)):
        raise ValueError(f"activation {act.name!r}: φ must map a grid on [-span, span] to "
                         "finite values of the same shape")
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
