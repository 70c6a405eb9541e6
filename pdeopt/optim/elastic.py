"""Elastic averaging: p replicas coupled to a reference, in one process or one MPI rank each.

The seed's distributed version of Entropy-SGD (EASGD / Parle):

    dx   = (1/(pγ)) Σᵢ (yᵢ − x) ds
    dyᵢ  = −ε⁻¹[∇f(yᵢ) + (yᵢ − x)/γ] ds + ε^{−1/2} dWᵢ,   i = 1 … p.

Running on several machines
---------------------------
Install the ``mpi`` extra (``pip install mpi4py mpich``) on every machine, then
start one rank per replica with ``mpiexec``; each rank integrates its replica and
the coupling is one ``Allreduce`` per step::

    mpiexec -n 8 -hosts node1,node2 python -m pdeopt.optim.elastic_mpi --max-iter 500 --out run.npz

(the module's command line runs the built-in test problem); for your own problem
call ``elastic_averaging(grad, x0, ..., comm=MPI.COMM_WORLD)`` in the script that
``mpiexec`` starts. Replica i draws its noise from the i-th child of
``SeedSequence(rng)`` (an integer ``rng``), whichever process runs it, so the MPI run
and the in-process run (``comm=None``) follow the same trajectory.
"""
from __future__ import annotations

import math
import numbers

import numpy as np

from .._checks import (as_float_array, as_rng, check_callable, check_choice, check_integer,
                       check_nonnegative, check_object, check_positive)
from .._result import Recorder
from ..sde._common import require_finite

__all__ = ["elastic_averaging", "demo_problem"]


class _InProcess:
    """The ``comm`` of the in-process run: all replicas here, sums taken in replica order."""

    size = 1
    rank = 0

    def allreduce(self, value):
        return value


def _replica_gradient(grad_oracle, y, rng, inner, L, inner_lr, inner_gamma, temperature):
    """SGD: one stochastic gradient. Entropy-SGD: (y − ⟨z⟩)/γ′ from L Langevin steps from y."""
    if inner == "sgd":
        return np.asarray(grad_oracle(y, rng), dtype=float)
    z, mean = y.copy(), np.zeros_like(y)
    noise = math.sqrt(2.0 * inner_lr * temperature)
    for _ in range(L):
        z = z - inner_lr * (np.asarray(grad_oracle(z, rng), dtype=float) + (z - y) / inner_gamma)
        if noise:
            z += noise * rng.standard_normal(z.shape)
        mean += z
    return (y - mean / L) / inner_gamma


def _replica_generators(rng, p):
    """One Generator per replica: the children of ``SeedSequence(rng)`` for a seed (the same
    on every MPI rank), of the Generator's own seed sequence for a Generator."""
    if rng is None or isinstance(rng, (numbers.Integral, np.integer)):
        as_rng(rng)  # the seed's checks (a negative or boolean seed is refused)
        return [np.random.default_rng(c) for c in np.random.SeedSequence(rng).spawn(p)]
    return as_rng(rng).spawn(p)


def elastic_averaging(grad_oracle, x0, *, replicas=None, gamma, lr, max_iter,
                      coupling_lr=None, temperature=0.0, inner="sgd", L=5, inner_lr=None,
                      inner_gamma=1.0, objective=None, rng=0, comm=None, callback=None):
    r"""Elastic-averaging SGD or Entropy-SGD: p replicas yᵢ coupled to a reference x.

    One step (k = 0, 1, …), Euler–Maruyama for the seed's distributed system:

    .. math::

        y_i &\leftarrow y_i - \eta\big(G_i(y_i) + (y_i - x)/\gamma\big)
               + \sqrt{2\eta T}\,\xi_i, \\
        x &\leftarrow x + \frac{\eta_x}{p\gamma} \sum_{i=1}^{p} (y_i - x),

    where Gᵢ is a stochastic gradient of f (``inner="sgd"``, EASGD) or Entropy-SGD's
    local-entropy gradient (y − ⟨z⟩)/γ′ from L Langevin steps started at yᵢ
    (``inner="entropy-sgd"``, Parle). The sum is an ``Allreduce`` when each MPI
    rank holds one replica (``comm``), a loop in replica order otherwise. For two
    replicas the two are bitwise equal; for more, the MPI reduction may add in
    another order (rounding differences only).

    Parameters
    ----------
    grad_oracle : callable
        ``grad_oracle(y, rng)`` returns a stochastic gradient at y, drawing its
        noise (minibatch) from the replica's Generator ``rng``.
    x0 : array_like, shape (d,)
        Start of x and of every replica.
    replicas : int
        p ≥ 1 (in-process). With ``comm``, p is the number of ranks (``replicas``
        may be omitted or must equal it).
    gamma : float
        Elastic coupling γ > 0.
    lr : float
        Replica step η > 0.
    max_iter : int
        Steps ≥ 1, all run (no stopping test: a full run has status 1, completed).
    coupling_lr : float, optional
        η_x > 0 (default η).
    temperature : float
        T ≥ 0 of the replicas' Langevin noise.
    inner : {"sgd", "entropy-sgd"}
    L, inner_lr, inner_gamma : int, float, float
        Entropy-SGD's inner loop (L ≥ 1 steps of size η′ > 0, default η; coupling
        γ′ > 0).
    objective : callable, optional
        f(x), recorded in the history each step.
    rng : int, None or numpy.random.Generator
        The replicas' noise: replica i uses the i-th child of ``SeedSequence(rng)``.
        Under MPI every rank must pass the same integer (the default 0 is one).
    comm : mpi4py communicator, optional
        Run one replica per rank.
    callback : callable, optional
        ``callback(it)`` after each step (a :class:`pdeopt.Iterate`); True stops.

    Returns
    -------
    Result
        ``x``: the reference; ``history``: ``objective`` (if given) and ``spread``
        (mean over replicas of |yᵢ − x|) per step; ``info["replicas"]``: the final
        replicas held by this process, shape (local p, d).

    Raises
    ------
    pdeopt.DivergenceError
        x became NaN or inf; names the step and parameters, carries ``.result``.

    References
    ----------
    Oberman, "Deep relaxation: PDEs for optimizing deep neural networks", slides,
    2017 (Distributed version). Zhang, Choromanska, LeCun, "Deep learning with
    elastic averaging SGD", NIPS 2015. Chaudhari et al., "Parle", 2017.

    Examples
    --------
    >>> objective, oracle, x0 = demo_problem(dim=4)
    >>> res = elastic_averaging(oracle, x0, replicas=3, gamma=1.0, lr=0.05, max_iter=100,
    ...                         objective=objective, rng=5)
    >>> res.nit, res.status, bool(res.history["objective"][-1] < objective(x0))
    (100, 1, True)
    """
    check_callable(grad_oracle, "grad_oracle")
    if objective is not None:
        check_callable(objective, "objective")
    x = as_float_array(x0, "x0", ndim=1, copy=True)
    gamma = check_positive(gamma, "gamma")
    lr = check_positive(lr, "lr")
    steps = check_integer(max_iter, "max_iter", minimum=1)
    coupling_lr = lr if coupling_lr is None else check_positive(coupling_lr, "coupling_lr")
    temperature = check_nonnegative(temperature, "temperature")
    check_choice(inner, "inner", {"sgd", "entropy-sgd"})
    L = check_integer(L, "L", minimum=1)
    inner_lr = lr if inner_lr is None else check_positive(inner_lr, "inner_lr")
    inner_gamma = check_positive(inner_gamma, "inner_gamma")
    distributed = comm is not None
    if not distributed:
        if replicas is None:
            raise ValueError("replicas must be given for the in-process run")
        p = check_integer(replicas, "replicas", minimum=1)
        comm, local = _InProcess(), list(range(p))
    else:
        if not isinstance(comm, _MPIComm):
            comm = _MPIComm(check_object(comm, "comm", "Get_size", "Get_rank", "Allreduce",
                                         kind="an mpi4py communicator"))
        p = comm.Get_size()
        if replicas is not None and check_integer(replicas, "replicas", minimum=1) != p:
            raise ValueError(f"replicas={replicas} but the communicator has {p} ranks: "
                             "each rank is one replica")
        local = [comm.Get_rank()]
    generators = _replica_generators(rng, p)
    rngs = {i: generators[i] for i in local}
    ys = {i: x.copy() for i in local}
    params = dict(gamma=gamma, lr=lr, coupling_lr=coupling_lr, temperature=temperature,
                  replicas=p, inner=inner)
    rec = Recorder("elastic_averaging", max_iter=steps, callback=callback,
                   rng=rng if isinstance(rng, (numbers.Integral, np.integer)) else None,
                   **params)
    noise = math.sqrt(2.0 * lr * temperature)
    with rec.running():
        for step in range(steps):
            pull = np.zeros_like(x)
            spread = 0.0
            for i in local:
                y, rng = ys[i], rngs[i]
                g = _replica_gradient(grad_oracle, y, rng, inner, L, inner_lr, inner_gamma,
                                      temperature)
                y = y - lr * (g + (y - x) / gamma)
                if noise:
                    y += noise * rng.standard_normal(y.shape)
                ys[i] = y
                pull += y - x
                spread += float(np.linalg.norm(y - x))
            both = comm.allreduce(np.concatenate([pull, [spread]]))
            x = x + coupling_lr / (p * gamma) * both[:-1]
            require_finite(x, rec, "elastic_averaging", step, "the reference x", **params)
            row = {"spread": both[-1] / p}
            if objective is not None:
                row["objective"] = float(objective(x))
            rec.log(**row)
            if rec.end_iteration(x):
                break
    return rec.result(x, replicas=np.array([ys[i] for i in local]),
                      processes=p if distributed else 1)


class _MPIComm:
    """mpi4py communicator adapter: ``allreduce`` of a float vector by ``Allreduce``."""

    def __init__(self, comm):
        self._comm = comm

    def Get_size(self):
        return self._comm.Get_size()

    def Get_rank(self):
        return self._comm.Get_rank()

    def allreduce(self, value):
        from mpi4py import MPI
        out = np.empty_like(value)
        self._comm.Allreduce(np.ascontiguousarray(value), out, op=MPI.SUM)
        return out


def demo_problem(dim=10, *, noise=0.5):
    """A rugged test function and its stochastic gradient oracle.

    f(x) = Σⱼ [(xⱼ² − 1)²/4 + 0.1 cos(8xⱼ)]; the oracle adds N(0, noise²) to ∇f.
    Returns ``(objective, grad_oracle, x0)``, x0 evenly spaced in [−2, 2].

    Examples
    --------
    >>> objective, oracle, x0 = demo_problem(dim=3, noise=0.0)
    >>> x0.tolist(), round(objective(x0), 4)  # 2(9/4 + 0.1 cos 16) + 1/4 + 0.1
    ([-2.0, 0.0, 2.0], 4.6585)
    """
    dim = check_integer(dim, "dim", minimum=1)
    noise = check_nonnegative(noise, "noise")
    def objective(x):
        return float(np.sum((x ** 2 - 1.0) ** 2 / 4 + 0.1 * np.cos(8 * x)))

    def grad_oracle(y, rng):
        return y * (y ** 2 - 1.0) - 0.8 * np.sin(8 * y) + noise * rng.standard_normal(y.shape)

    x0 = np.linspace(-2.0, 2.0, dim)
    return objective, grad_oracle, x0
