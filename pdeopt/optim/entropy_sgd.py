"""The Entropy-SGD family on the ``pdeopt.nn`` optimizer API: ESGD, HEAT, HJ and H-ESGD.

Each method replaces the gradient of the loss f by the gradient of a relaxed loss,
estimated by an inner loop of L steps that evaluates stochastic gradients through
the ``oracle`` (each call is one gradient evaluation, so ``train`` reports
*effective epochs*), then takes a Nesterov-momentum SGD step with that gradient.

The relaxation strength is the coupling γ of the seed's Algorithm 1, which is the
inverse of the PDE time: the relaxed loss is u(·, t) with t = 1/γ. Scoping grows
the coupling, γ_k = γ₀(1 + γ₁)^k after k outer steps, so the relaxation fades
and the methods end as SGD on f.

==========  ==============================================================  ==============
method      inner loop (y₀ = x, ℓ = 0 … L−1)                                relaxed gradient
==========  ==============================================================  ==============
ESGD        y ← y − η′(∇f(y) + γ(y − x)) + √η′ ε ξ;  μ ← (1−α)μ + αy        γ(x − μ)
HEAT        g ← g + ∇f(x + √τ ξ)/L  (τ the smoothing variance)             g
HJ          y ← y − η′(∇f(y) + γ(y − x))  (no noise: the proximal point)    γ(x − y_L)
H-ESGD      ESGD with ∇f taken at y + √τ ξ (the heat-smoothed loss)          γ(x − μ)
==========  ==============================================================  ==============

ESGD estimates ∇f_{1/γ} of the local entropy (viscous HJ, Lemma 4 of the seed),
HEAT the gradient of G_τ * f (the heat equation), HJ the gradient of the Moreau
envelope (inviscid HJ: ∇u = (x − prox_{f/γ}(x))·γ), H-ESGD the local entropy of
G_τ * f.

On the GPU (the weights a CuPy array, as :func:`pdeopt.nn.train` gives them after
``model.to("cuda")`` or with ``backend="cuda"``) the same loops run on CuPy arrays: the inner
step is the NumPy twin of the fused kernel, as CuPy expressions, and the noise ξ comes from
CuPy's generator, seeded once from ``rng`` (reproducible from the seed, but another stream
than the CPU's) and drawn in the weights' dtype.
"""
from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from .._checks import (as_rng, check_callable, check_choice, check_integer, check_momentum,
                       check_nonnegative, check_positive, check_range)
from .._errors import DivergenceError
from .._xp import namespace
from ..kernels import select
from ..nn._device import generator
from ..nn.optimizers import SGD, Optimizer, check_step_arrays

__all__ = ["EntropySGD", "Heat", "HJ", "HeatEntropySGD", "relaxation_optimizer"]

# One background thread draws Langevin noise ahead while the inner loop evaluates
# gradients (both release the GIL): drawing one normal per weight per inner step
# otherwise costs about half a gradient evaluation on a small net.
_NOISE_DRAWER = None

#: Normals per block the noise is drawn ahead in (at least one inner step's worth). Each
#: hand-off to the drawing thread costs some tens of µs of GIL traffic, so a small net
#: draws several inner steps (at most 64) per hand-off; two blocks of about
#: max(n, NOISE_BLOCK) normals are held.
NOISE_BLOCK = 1 << 20


def _noise_drawer():
    global _NOISE_DRAWER
    if _NOISE_DRAWER is None:
        _NOISE_DRAWER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pdeopt-noise")
    return _NOISE_DRAWER


def _scaled_normals(rng, out, amp):
    """Fill ``out`` with amp·N(0, 1) draws (float32 or float64, as ``out``); returns (out, amp)."""
    rng.standard_normal(dtype=out.dtype, out=out)
    out *= amp
    return out, amp


class _NoiseAhead:
    """amp·ξ for successive inner steps, drawn in blocks of steps one block ahead.

    Row r of a block is the noise of one inner step. The draws are those of
    successive ``rng.standard_normal(n)`` calls, one per step (a (k, n) block is
    filled in C order), so the stream is the one an inline draw gives; only the
    time of drawing changes. A block is refilled in the background once its last
    row has been used, while the other block serves the next steps.
    """

    def __init__(self, rng, like, amp):
        steps = max(1, min(NOISE_BLOCK // max(like.size, 1), 64))
        self.rng = rng
        self.amp = self.amp_next = amp
        self.shape, self.dtype = like.shape, like.dtype
        # the first step's noise is drawn now, and the blocks behind it double up to
        # ``steps`` rows: each is drawn while the one before is used (no wait at start)
        self.steps = steps
        self.blocks = [np.empty((1, like.size), like.dtype),
                       np.empty((min(2, steps), like.size), like.dtype)]
        _scaled_normals(rng, self.blocks[0], amp)
        self.pending = _noise_drawer().submit(_scaled_normals, rng, self.blocks[1], amp)
        self.row = 0

    def fits(self, like):
        return like.shape == self.shape and like.dtype == self.dtype

    def wait(self):
        """Finish the background draw (before pickling: the state is then complete)."""
        if self.pending is not None:
            self.blocks[1], self.amp_next = self.pending.result()
            self.pending = None

    def __getstate__(self):
        self.wait()
        return self.__dict__.copy()

    def next(self, amp, work):
        """amp·ξ for the next inner step: a row of a block, or ``work`` if rescaled."""
        if self.row == self.blocks[0].shape[0]:  # block used up: swap, refill it behind
            self.wait()
            used = self.blocks[0]
            self.blocks[0], self.amp = self.blocks[1], self.amp_next
            rows = min(self.steps, 2 * self.blocks[0].shape[0])
            if used.shape[0] != rows:
                used = np.empty((rows, used.shape[1]), used.dtype)
            self.blocks[1] = used
            self.pending = _noise_drawer().submit(_scaled_normals, self.rng, used, amp)
            self.row = 0
        noise = self.blocks[0][self.row].reshape(self.shape)
        self.row += 1
        if self.amp != amp:  # inner_lr or noise changed since the block was drawn
            return np.multiply(noise, amp / self.amp, out=work)
        return noise


class _Relaxed(Optimizer):
    """Shared part: scoping, the outer Nesterov step, evaluation counting, divergence."""

    method = "relaxed"

    def __init__(self, lr, *, coupling, scoping, L, momentum, nesterov, weight_decay, schedule,
                 rng):
        super().__init__(lr, schedule=schedule)
        self.coupling0 = check_positive(coupling, "coupling")
        self.scoping = check_nonnegative(scoping, "scoping")
        self.L = check_integer(L, "L", minimum=1)
        momentum = check_momentum(momentum)
        # draw ahead only from a Generator made here (from None or a seed): one the
        # caller passed may be shared, and drawing from it in the background would
        # reorder its stream
        self._owns_rng = not isinstance(rng, np.random.Generator)
        self.rng = as_rng(rng)
        self._outer = SGD(lr, momentum=momentum, nesterov=nesterov and momentum > 0,
                          weight_decay=weight_decay)
        self.steps = 0          # outer steps taken
        self.evaluations = 0    # gradient evaluations, the given one included

    @property
    def coupling(self) -> float:
        """The current coupling γ_k = γ₀(1 + γ₁)^k (the inverse of the scope 1/γ_k)."""
        return self.coupling0 * (1.0 + self.scoping) ** self.steps

    def _params(self) -> dict:
        return {"lr": self.lr, "coupling": self.coupling, "L": self.L}

    def __repr__(self):
        return (f"{type(self).__name__}(" + ", ".join(f"{k}={v:g}" if isinstance(v, float)
                                                      else f"{k}={v}"
                                                      for k, v in self._params().items()) + ")")

    def _gradient(self, x, y, oracle, ell, given, check=True):
        """∇f at y: the given gradient when y is x at ℓ = 0, else one oracle call.

        ``check=False`` leaves the finiteness of the gradient (not of the loss) to
        the caller, whose fused step tests it in the same sweep.
        """
        if ell == 0 and given is not None:
            return given
        if oracle is None:
            raise TypeError(f"{type(self).__name__}.step needs the oracle (an inner loop "
                            "evaluates gradients at other points)")
        value, g = oracle(y)
        self.evaluations += 1
        xp = namespace(y)
        if xp is np:
            g = np.asarray(g)
        elif namespace(g) is not xp:  # no hidden copy to the device inside the loop
            raise TypeError(f"oracle must return the gradient as a {xp.__name__} array like "
                            f"the weights, got {type(g).__name__}")
        if g.shape != y.shape:  # the fused kernels index g by y's entries
            raise ValueError(f"oracle must return (loss, gradient) with the gradient of shape "
                             f"{y.shape}, got {g.shape}")
        if not (math.isfinite(value) and (not check or xp.all(xp.isfinite(g)))):
            self._diverged(ell, f"the loss at the inner iterate is {value}")
        return g

    def _set_inner(self, inner_lr, inner_momentum):
        self.inner_lr = check_positive(inner_lr, "inner_lr")
        self.inner_momentum = check_momentum(inner_momentum, "inner_momentum")
        self._inner_velocity = None

    def _buffer(self, name, like):
        """A work array kept between steps: the inner loops allocate no temporaries."""
        buf = self.__dict__.get(name)
        if (buf is None or buf.shape != like.shape or buf.dtype != like.dtype
                or namespace(buf) is not namespace(like)):
            buf = namespace(like).empty_like(like)
            self.__dict__[name] = buf
        return buf

    def _keep_anchor(self, params):
        """A copy of the weights x, kept aside while the inner loop iterates on ``params``.

        In place, the oracle evaluates at the inner iterate without swapping weights in
        and out of the model; the caller puts x back (also when the loop raises).
        """
        anchor = self._buffer("_anchor", params)
        namespace(params).copyto(anchor, params)
        return anchor

    def _normals(self, like):
        """ξ ~ N(0, I) of ``like``'s shape: float64 draws of ``rng`` on the host; on the
        device, draws of a CuPy generator seeded once from ``rng``, in ``like``'s dtype."""
        xp = namespace(like)
        if xp is np:
            return self.rng.standard_normal(like.shape)
        owner, gen = self.__dict__.get("_device_rng", (None, None))
        if owner != xp.__name__:   # the module's name: a module cannot be copied or pickled
            gen = generator(xp, int(self.rng.integers(2 ** 63)))
            self._device_rng = (xp.__name__, gen)
        return gen.standard_normal(like.shape, dtype=like.dtype)

    def _velocity(self, like):
        """The inner loop's momentum buffer (zeros when new), kept across steps."""
        v = self._inner_velocity
        if v is None or v.shape != like.shape or namespace(v) is not namespace(like):
            v = self._inner_velocity = namespace(like).zeros_like(like)
        return v

    def _coupled_direction(self, g, y, x, gamma):
        """d = ∇f(y) + γ(y − x), in a work array."""
        d = namespace(y).subtract(y, x, out=self._buffer("_direction", y))
        d *= gamma
        d += g
        return d

    def _inner_step(self, y, direction):
        """y ← y − η′(d + m′v), v ← m′v + d: the inner loop's Nesterov step (v kept across steps).

        ``direction`` is overwritten.
        """
        m = self.inner_momentum
        if m > 0:
            v = self._velocity(y)
            v *= m
            v += direction
            direction += m * v
        direction *= self.inner_lr
        y -= direction

    def _diverged(self, ell, what):
        raise DivergenceError(f"{self!r} diverged at outer step {self.steps}, inner step "
                              f"{ell}: {what}; reduce lr or the inner step size")

    def relaxed_gradient(self, params, grad, oracle):  # pragma: no cover - interface
        raise NotImplementedError

    def step(self, params, grad, oracle=None):
        """One outer step on the flat weight vector ``params`` (updated in place).

        ``grad`` is ∇f(params); ``oracle(y)`` returns ``(f(y), ∇f(y))`` at the inner
        iterates (each call one gradient evaluation).
        """
        check_step_arrays(params, grad)
        if params.ndim != 1 or not params.flags.c_contiguous:
            raise ValueError(f"params must be a contiguous flat (1-D) weight vector, got "
                             f"shape {params.shape}")
        if oracle is not None:
            check_callable(oracle, "oracle")
        xp = namespace(params)
        grad = xp.asarray(grad, dtype=params.dtype)
        self.evaluations += 1
        g = self.relaxed_gradient(params, grad, oracle)
        if not xp.all(xp.isfinite(g)):   # on the device: one read-back per outer step
            self._diverged(self.L, "the relaxed gradient is not finite")
        self._outer.lr = self.lr
        self._outer.step(params, g)
        self.steps += 1


class EntropySGD(_Relaxed):
    r"""Entropy-SGD, Algorithm 1 of the seed: SGD on the local entropy estimated by SGLD.

    Inner loop (ℓ = 0 … L−1, y₀ = μ₀ = x, the given gradient used at ℓ = 0):

    .. math::

        y &\leftarrow y - \eta'\big(\nabla f(y; \Xi^\ell) - \gamma (x - y)\big)
              + \sqrt{\eta'}\,\varepsilon\, N(0, I), \\
        \mu &\leftarrow (1 - \alpha)\mu + \alpha y,

    then the outer step x ← x − η·(γ(x − μ)) with Nesterov momentum; γ_k = γ₀(1+γ₁)^k.
    γ(x − μ) estimates ∇f_{1/γ}(x) of the local entropy (at temperature ε²/2).

    Parameters
    ----------
    lr : float
        Outer learning rate η > 0.
    coupling : float
        Initial coupling γ₀ > 0, the inverse of the scope: the relaxed loss is the local
        entropy f_{1/γ} (pdeopt's ``gamma`` elsewhere — :func:`pdeopt.hj.local_entropy`,
        :func:`pdeopt.sde.local_entropy_gradient` — is the scope 1/γ).
    scoping : float
        γ₁ ≥ 0.
    L : int
        Langevin steps per outer step (≥ 1); costs L gradient evaluations.
    inner_lr : float
        SGLD step size η′ > 0.
    inner_momentum : float
        Nesterov momentum m′ in [0, 1) of the inner steps (0, the default, is
        Algorithm 1's plain SGLD; the Entropy-SGD code uses 0.9).
    noise : float
        Thermal noise ε ≥ 0.
    alpha : float
        Averaging weight α in (0, 1].
    momentum, nesterov, weight_decay, schedule
        The outer SGD step's (see :class:`pdeopt.nn.SGD`); momentum in [0, 1).
    rng : None, int or numpy.random.Generator
        For the Langevin noise. From None or a seed the optimizer makes its own
        Generator and draws the noise ahead in a background thread; a Generator
        passed in is drawn from in order, as the inner loop needs it.
    backend : {"auto", "numpy", "numba"}
        Of the fused inner step (kernel ``sde.langevin_step``).

    References
    ----------
    Chaudhari et al., "Entropy-SGD: biasing gradient descent into wide valleys",
    ICLR 2017. Oberman, "Deep relaxation: PDEs for optimizing deep neural
    networks", slides, 2017 (Algorithm 1).

    Examples
    --------
    On f(x) = ½|x|², with the oracle returning (f, ∇f), the relaxed gradient γ(x − μ)
    points along x and the step shrinks x:

    >>> import numpy as np
    >>> opt = EntropySGD(0.5, coupling=1.0, L=5, noise=0.0, rng=0)
    >>> x = np.array([1.0, -2.0])
    >>> opt.step(x, x.copy(), lambda y: (0.5 * float(y @ y), y.copy()))
    >>> bool(np.linalg.norm(x) < np.linalg.norm([1.0, -2.0]))
    True
    """

    method = "ESGD"

    def __init__(self, lr, *, coupling=0.03, scoping=1e-3, L=20, inner_lr=0.1, inner_momentum=0.0,
                 noise=1e-4, alpha=0.75, momentum=0.9, nesterov=True, weight_decay=0.0,
                 schedule=None, rng=None, backend="auto"):
        super().__init__(lr, coupling=coupling, scoping=scoping, L=L, momentum=momentum,
                         nesterov=nesterov, weight_decay=weight_decay, schedule=schedule,
                         rng=rng)
        self._set_inner(inner_lr, inner_momentum)
        self.noise = check_nonnegative(noise, "noise")
        self.alpha = check_range(alpha, "alpha", 0.0, 1.0, low_open=True)
        self.backend = backend
        self._langevin_step = select("sde.langevin_step", backend)

    def _params(self):
        return {**super()._params(), "inner_lr": self.inner_lr,
                "inner_momentum": self.inner_momentum, "noise": self.noise,
                "alpha": self.alpha}

    def __getstate__(self):
        ahead = self.__dict__.get("_noise_ahead")
        if ahead is not None:  # first: the background draw advances the Generator's state
            ahead.wait()
        state = self.__dict__.copy()
        state.pop("_langevin_step", None)   # a compiled kernel: selected again on unpickling
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._langevin_step = select("sde.langevin_step", self.backend)

    @property
    def _draws_ahead(self):
        """Whether ξ can be drawn ahead: from a Generator made here (one the caller
        passed may be shared, and drawing ahead would reorder its stream), and not
        when the probes draw from the stream too (H-ESGD)."""
        return self._owns_rng and type(self)._probe is EntropySGD._probe

    def _langevin_noise(self, like, amp, work):
        """amp·ξ for the current inner step, ξ ~ N(0, I) of the shape and dtype of x.

        The draws are those of successive ``standard_normal(n)`` calls, one per inner
        step; with a Generator of its own (``rng`` None or a seed) it draws them ahead
        in a background thread (:class:`_NoiseAhead`).
        """
        if namespace(like) is not np:
            xi = self._normals(like)
            xi *= amp
            return xi
        if not self._draws_ahead:
            return _scaled_normals(self.rng, work, amp)[0]
        ahead = self.__dict__.get("_noise_ahead")
        if ahead is None or not ahead.fits(like):
            ahead = self._noise_ahead = _NoiseAhead(self.rng, like, amp)
        return ahead.next(amp, work)

    def relaxed_gradient(self, params, grad, oracle):
        gamma = self.coupling
        xp = namespace(params)
        x, y = self._keep_anchor(params), params
        mu = x.copy()  # returned, as γ(x − μ): a fresh array
        work = self._buffer("_work", y)
        velocity = self._velocity(y) if self.inner_momentum > 0 else None
        amp = math.sqrt(self.inner_lr) * self.noise
        # numba's kernel on the host; its NumPy twin, as CuPy expressions, on the device
        langevin_step = (self._langevin_step if xp is np
                         else select("sde.langevin_step", "numpy"))
        try:
            for ell in range(self.L):
                g = self._gradient(x, self._probe(y), oracle, ell, self._given(grad),
                                   check=False)
                xi = None if amp == 0 else self._langevin_noise(y, amp, work)
                # the SGLD step and the running average μ, in one sweep (sde.langevin_step)
                if not langevin_step(y, mu, x, g, velocity, xi, gamma, self.inner_lr,
                                     self.inner_momentum, self.alpha):
                    self._diverged(ell, "the gradient at the inner iterate is not finite")
        finally:
            xp.copyto(params, x)  # back to the anchor, also when the inner loop diverged
        xp.subtract(x, mu, out=mu)
        mu *= gamma
        return mu

    def _probe(self, y):
        """Where the inner gradient is taken: at y itself."""
        return y

    def _given(self, grad):
        """The gradient at x that may serve the first inner step."""
        return grad


class HeatEntropySGD(EntropySGD):
    r"""H-ESGD: Entropy-SGD on the heat-smoothed loss G_τ * f.

    The ESGD inner loop with every gradient taken at a Gaussian perturbation of
    the inner iterate, ∇f(y + √τ ξ), ξ ~ N(0, I): an unbiased estimate of
    ∇(G_τ * f)(y). τ is scoped with the coupling, τ_k = τ₀/(1 + γ₁)^k. The seed's
    H-ESGD combines HEAT and ESGD; this is that combination as the composition of
    the two relaxations (viscous HJ on top of the heat equation). Costs L + 1
    evaluations per step (the given gradient, at the unperturbed x, is not used).

    Parameters
    ----------
    heat : float
        τ₀ > 0, the smoothing variance.
    others
        As :class:`EntropySGD`.

    Examples
    --------
    >>> import numpy as np
    >>> opt = HeatEntropySGD(0.5, coupling=1.0, L=5, noise=0.0, rng=0)
    >>> x = np.array([1.0, -2.0])
    >>> opt.step(x, x.copy(), lambda y: (0.5 * float(y @ y), y.copy()))  # f = ½|x|²
    >>> bool(np.linalg.norm(x) < np.linalg.norm([1.0, -2.0])), opt.evaluations
    (True, 6)
    """

    method = "H-ESGD"

    def __init__(self, lr, *, heat=1e-4, **kwargs):
        super().__init__(lr, **kwargs)
        self.heat0 = check_positive(heat, "heat")

    @property
    def heat(self):
        return self.heat0 / (1.0 + self.scoping) ** self.steps

    def _probe(self, y):
        return y + math.sqrt(self.heat) * self._normals(y)

    def _given(self, grad):
        return None

    def _params(self):
        return {**super()._params(), "heat": self.heat}


class Heat(_Relaxed):
    r"""HEAT: SGD on the heat-smoothed loss G_τ * f, its gradient estimated by sampling.

    .. math::

        \nabla (G_\tau * f)(x) = \mathbb{E}_\xi\,\nabla f(x + \sqrt{\tau}\,\xi)
        \approx \frac1L \sum_{\ell=1}^{L} \nabla f(x + \sqrt{\tau}\,\xi_\ell;\ \Xi^\ell),

    u = G_τ * f solving the heat equation u_t = ½Δu up to time τ; scoping
    τ_k = τ₀/(1 + γ₁)^k. Then the outer Nesterov SGD step. L + 1 evaluations per
    step (the given gradient, at the unperturbed x, is not used).

    Parameters
    ----------
    lr : float
    heat : float
        τ₀ > 0, the smoothing variance.
    scoping : float
        γ₁ ≥ 0.
    L : int
        Samples per step.
    momentum, nesterov, weight_decay, schedule
        The outer SGD step's (see :class:`pdeopt.nn.SGD`); momentum in [0, 1).
    rng : None, int or numpy.random.Generator
        For the perturbations ξ.

    Examples
    --------
    On f(x) = ½|x|², G_τ * f = f + const, so the estimate is x up to sampling error:

    >>> import numpy as np
    >>> opt = Heat(1.0, heat=0.01, L=400, rng=0)
    >>> x = np.array([1.0, -2.0])
    >>> g = opt.relaxed_gradient(x, x.copy(), lambda y: (0.5 * float(y @ y), y.copy()))
    >>> bool(np.max(np.abs(g - x)) < 0.05)
    True
    """

    method = "HEAT"

    def __init__(self, lr, *, heat=1e-4, scoping=1e-3, L=5, momentum=0.9, nesterov=True,
                 weight_decay=0.0, schedule=None, rng=None):
        super().__init__(lr, coupling=1.0, scoping=scoping, L=L, momentum=momentum,
                         nesterov=nesterov, weight_decay=weight_decay, schedule=schedule,
                         rng=rng)
        self.heat0 = check_positive(heat, "heat")

    @property
    def heat(self):
        return self.heat0 / (1.0 + self.scoping) ** self.steps

    def _params(self):
        return {"lr": self.lr, "heat": self.heat, "L": self.L}

    def relaxed_gradient(self, params, grad, oracle):
        scale = math.sqrt(self.heat)
        total = namespace(params).zeros_like(params)
        for ell in range(self.L):
            total += self._gradient(params, params + scale * self._normals(params),
                                    oracle, ell, None)
        return total / self.L


class HJ(_Relaxed):
    r"""HJ: SGD on the Moreau envelope (inviscid Hamilton–Jacobi), via an inner proximal loop.

    u(x, t) = min_y f(y) + |x − y|²/(2t) solves u_t + ½|∇u|² = 0 and
    ∇u(x, t) = (x − prox_{tf}(x))/t. With t = 1/γ the proximal point is found by L
    gradient steps (no noise) on f(y) + γ|x − y|²/2:

    .. math::

        y \leftarrow y - \eta'\big(\nabla f(y; \Xi^\ell) + \gamma (y - x)\big),
        \qquad \text{relaxed gradient} = \gamma (x - y_L),

    then the outer Nesterov SGD step; γ_k = γ₀(1+γ₁)^k.

    Parameters
    ----------
    lr : float
        Outer learning rate η > 0.
    coupling : float
        Initial coupling γ₀ > 0 (the inverse of the Moreau envelope's time t = 1/γ).
    scoping : float
        γ₁ ≥ 0.
    L : int
        Inner steps ≥ 1 (L gradient evaluations per step).
    inner_lr : float
        η′ > 0.
    inner_momentum : float
        The inner Nesterov momentum m′ in [0, 1).
    momentum, nesterov, weight_decay, schedule
        The outer SGD step's; momentum in [0, 1).
    rng : None, int or numpy.random.Generator
        Unused by HJ (no noise); accepted so that every relaxation takes it.

    Examples
    --------
    On f(x) = ½|x|² the Moreau envelope with t = 1/γ has ∇u = x/(1 + t), x/2 at γ = 1:

    >>> import numpy as np
    >>> opt = HJ(1.0, coupling=1.0, L=100, inner_lr=0.2, scoping=0.0)
    >>> x = np.array([1.0, -2.0])
    >>> g = opt.relaxed_gradient(x, x.copy(), lambda y: (0.5 * float(y @ y), y.copy()))
    >>> np.round(g, 6).tolist()
    [0.5, -1.0]

    References
    ----------
    Chaudhari, Oberman, Osher, Soatto, Carlier, "Deep relaxation", Res. Math.
    Sci. 2018; Osher, slides 2018 (Hopf–Lax, proximal point).
    """

    method = "HJ"

    def __init__(self, lr, *, coupling=0.03, scoping=1e-3, L=20, inner_lr=0.1, inner_momentum=0.0,
                 momentum=0.9, nesterov=True, weight_decay=0.0, schedule=None, rng=None):
        super().__init__(lr, coupling=coupling, scoping=scoping, L=L, momentum=momentum,
                         nesterov=nesterov, weight_decay=weight_decay, schedule=schedule,
                         rng=rng)
        self._set_inner(inner_lr, inner_momentum)

    def _params(self):
        return {**super()._params(), "inner_lr": self.inner_lr,
                "inner_momentum": self.inner_momentum}

    def relaxed_gradient(self, params, grad, oracle):
        gamma = self.coupling
        x, y = self._keep_anchor(params), params
        try:
            for ell in range(self.L):
                g = self._gradient(x, y, oracle, ell, grad)
                self._inner_step(y, self._coupled_direction(g, y, x, gamma))
            relaxed = x - y
        finally:
            namespace(params).copyto(params, x)
        relaxed *= gamma
        return relaxed


_METHODS = {"esgd": EntropySGD, "heat": Heat, "hj": HJ, "h-esgd": HeatEntropySGD}


def relaxation_optimizer(name, lr, **options):
    """Build an optimizer by name: ``"sgd"`` (Nesterov), ``"esgd"``, ``"heat"``, ``"hj"``,
    ``"h-esgd"`` (case-insensitive); ``options`` go to its constructor.

    Examples
    --------
    >>> relaxation_optimizer("hj", 0.1, coupling=0.5, L=3)
    HJ(lr=0.1, coupling=0.5, L=3, inner_lr=0.1, inner_momentum=0)
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be a string, got {type(name).__name__}")
    key = name.lower()
    if key == "sgd":
        options.setdefault("momentum", 0.9)
        options.setdefault("nesterov", True)
        return SGD(lr, **options)
    check_choice(key, "name", ["sgd", *sorted(_METHODS)])
    return _METHODS[key](lr, **options)
