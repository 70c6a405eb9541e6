"""The one result type returned by every iterative method of pdeopt, and its recorder.

The fields follow :class:`scipy.optimize.OptimizeResult`: ``success``, ``status``,
``message`` and ``nit`` say how a run ended; ``converged`` is true only when the
method's stated stopping test held (``status == 0``). See ``CONVENTIONS.md``.
"""
from __future__ import annotations

import time
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np

from ._errors import ConvergenceWarning, DivergenceError

__all__ = ["Result", "Recorder", "Iterate", "STATUS"]

#: ``status`` codes of a :class:`Result` and what each means.
STATUS = {
    0: "converged: the stopping test held",
    1: "completed: ran the whole budget (no tolerance was asked for)",
    2: "not converged: the budget ran out before the tolerance was met",
    3: "interrupted: the result holds the iterations finished before the interrupt",
    4: "stopped by the callback",
    5: "diverged: an iterate became NaN or inf",
}
_SUCCESS = {0: True, 1: True, 2: False, 3: False, 4: True, 5: False}


@dataclass
class Result:
    """Outcome of an iterative method (or of a direct solve).

    Attributes
    ----------
    x : array_like
        The final iterate (or the solution, for a direct method).
    history : dict of str to 1-D numpy.ndarray
        One entry per recorded quantity (``loss``, ``r_factor``, ``angle``, ...),
        one value per recorded iteration.
    info : dict
        The method, its parameters, ``time`` (seconds), ``backend`` and what else the
        method reports; ``iterations``, ``converged`` and ``interrupted`` mirror
        ``nit``, ``converged`` and ``status == 3``.
    success : bool
        False when a requested tolerance was missed, the run was interrupted or it
        diverged. Running a whole budget with ``tol=0`` is a success that claims no
        convergence.
    status : int
        One of :data:`STATUS`: 0 converged, 1 completed its budget, 2 tolerance missed,
        3 interrupted, 4 stopped by the callback, 5 diverged.
    message : str
        A sentence saying how the run ended.
    nit : int
        Iterations actually finished (epochs for the training loops, time steps for the
        PDE solvers).
    """

    x: Any
    history: dict = field(default_factory=dict)
    info: dict = field(default_factory=dict)
    success: bool = True
    status: int = 1
    message: str = ""
    nit: int = 0

    @property
    def converged(self) -> bool:
        """True only when the method's stated stopping test held."""
        return self.status == 0

    def __repr__(self) -> str:
        shape = getattr(self.x, "shape", None)
        xs = f"array{shape}" if shape is not None else type(self.x).__name__
        hist = ", ".join(f"{k}[{len(v)}]" for k, v in self.history.items())
        return (f"Result(x={xs}, success={self.success}, status={self.status}, "
                f"nit={self.nit}, history={{{hist}}}, message={self.message!r})")


class Iterate(NamedTuple):
    """What a ``callback`` receives after each iteration (see ``CONVENTIONS.md``).

    ``nit`` iterations are finished, ``x`` is the current iterate and ``values`` the
    quantities recorded in that iteration (empty when none were).
    """

    nit: int
    x: Any
    values: dict


class Recorder:
    """Collects per-iteration values and turns them into an honest :class:`Result`.

    A method creates one with its name, budget, tolerance, callback and parameters,
    calls :meth:`end_iteration` at the end of every finished iteration (it counts
    ``nit``, applies the stopping test ``residual <= tol`` and calls the callback) and
    returns :meth:`result`. A loop run inside :meth:`running` keeps what it finished
    when it is interrupted (``KeyboardInterrupt``).

    Examples
    --------
    >>> rec = Recorder("demo", max_iter=50, tol=1e-3)
    >>> x = 1.0
    >>> with rec.running():
    ...     for k in range(50):
    ...         x_new = 0.5 * x
    ...         rec.log(change=abs(x_new - x))
    ...         x = x_new
    ...         if rec.end_iteration(x, residual=rec.last("change")):
    ...             break
    >>> res = rec.result(x)
    >>> res.converged, res.nit, res.history["change"].shape
    (True, 10, (10,))
    """

    def __init__(self, method: str | None = None, *, max_iter=None, tol=0.0, callback=None,
                 **parameters):
        from ._checks import check_callable, check_integer, check_nonnegative
        if callback is not None:
            check_callable(callback, "callback")
        if max_iter is not None:
            max_iter = check_integer(max_iter, "max_iter", minimum=0)
        tol = 0.0 if tol is None else check_nonnegative(tol, "tol")
        self.method = method or parameters.pop("method", None) or "method"
        self.max_iter = max_iter
        self.tol = tol
        self.callback = callback
        self.nit = 0
        self.converged = False
        self.stopped = False
        self.interrupted = False
        self._values: dict[str, list] = {}
        self._row: dict = {}
        params = dict(parameters)
        if max_iter is not None:
            params.setdefault("max_iter", max_iter)
        params.setdefault("tol", self.tol)
        self.info: dict = {"method": self.method, "parameters": params, "interrupted": False}
        self._t0 = time.perf_counter()

    # --- recording -------------------------------------------------------------------
    def log(self, **values) -> None:
        """Append one value per keyword to the history."""
        for key, value in values.items():
            self._values.setdefault(key, []).append(value)
        self._row.update(values)

    def last(self, key, default=None):
        vals = self._values.get(key)
        return vals[-1] if vals else default

    def __len__(self) -> int:
        return max((len(v) for v in self._values.values()), default=0)

    def history(self) -> dict:
        return {k: np.asarray(v) for k, v in self._values.items()}

    # --- the loop --------------------------------------------------------------------
    def end_iteration(self, x=None, *, residual=None) -> bool:
        """Count one finished iteration; return True when the loop should stop.

        The loop stops when ``residual <= tol`` (with ``tol > 0``: the run converged) or
        when the callback returns True or raises ``StopIteration``.
        """
        self.nit += 1
        row, self._row = self._row, {}
        if residual is not None and self.tol > 0 and residual <= self.tol:
            self.converged = True
            return True
        if self.callback is not None:
            try:
                stop = self.callback(Iterate(self.nit, x, row))
            except StopIteration:
                stop = True
            if stop is True:
                self.stopped = True
                return True
        return False

    def converge(self) -> None:
        """Mark the run converged (a method whose stopping test is not ``residual <= tol``)."""
        self.converged = True

    @contextmanager
    def running(self):
        """Run the loop; a ``KeyboardInterrupt`` ends it with what was finished."""
        try:
            yield self
        except KeyboardInterrupt:
            self.interrupted = True
            self.info["interrupted"] = True
            warnings.warn(f"{self.method} interrupted after {self.nit} finished iteration(s): "
                          "the result holds them", RuntimeWarning, stacklevel=3)

    def diverged(self, step: int, what: str = "the iterate", **parameters) -> DivergenceError:
        """The :class:`DivergenceError` to raise: names the method, step and parameters.

        The history so far is attached as ``error.result``.
        """
        params = dict(self.info["parameters"])
        params.update(parameters)
        listed = ", ".join(f"{k}={v!r}" for k, v in params.items()
                           if np.ndim(v) == 0 and k not in ("tol", "max_iter"))
        msg = (f"{self.method} diverged at iteration {step}: {what} became NaN or inf"
               f" ({listed}); reduce the step size")
        partial = self._build(None, status=5, message=msg, info={"diverged_at": int(step)})
        return DivergenceError(msg, partial)

    def require_finite(self, value, step: int, what: str = "the iterate", **parameters):
        """Raise :meth:`diverged` unless every entry of ``value`` is finite."""
        if not np.all(np.isfinite(value)):
            raise self.diverged(step, what, **parameters)

    # --- the end ---------------------------------------------------------------------
    def status(self) -> int:
        if self.interrupted:
            return 3
        if self.converged:
            return 0
        if self.stopped:
            return 4
        return 2 if self.tol > 0 else 1

    def result(self, x, *, converged: bool | None = None, message: str | None = None,
               warn: bool = True, **info) -> Result:
        """The :class:`Result`; warns :class:`ConvergenceWarning` when ``tol`` was missed.

        ``converged`` lets a method whose stopping test is its own (not ``residual <=
        tol``) state whether it held; by default the state kept by :meth:`end_iteration`
        and :meth:`converge` decides.
        """
        if converged is not None:
            self.converged = bool(converged)
        status = self.status()
        if message is None:
            message = STATUS[status]
            if status == 2:
                message = (f"{self.method} did not meet tol={self.tol:g} within "
                           f"max_iter={self.max_iter} iterations")
        if status == 2 and warn:
            warnings.warn(message, ConvergenceWarning, stacklevel=3)
        return self._build(x, status=status, message=message, info=info)

    def _build(self, x, *, status, message, info) -> Result:
        merged = dict(self.info)
        merged["time"] = time.perf_counter() - self._t0
        merged.update(info)
        merged["iterations"] = self.nit
        merged["converged"] = status == 0
        merged["interrupted"] = status == 3
        merged["status"] = status
        return Result(x=x, history=self.history(), info=merged, success=_SUCCESS[status],
                      status=status, message=message, nit=self.nit)


def direct_result(x, *, method: str, success: bool = True, message: str | None = None,
                  nit: int = 0, history=None, **info) -> Result:
    """A :class:`Result` for a direct (non-iterative) solve: status 0 when it succeeded."""
    status = 0 if success else 2
    merged = {"method": method, "iterations": nit, "converged": success,
              "interrupted": False, "status": status}
    merged.update(info)
    return Result(x=x, history={} if history is None else history, info=merged,
                  success=bool(success), status=status,
                  message=message or ("solved" if success else "not solved"), nit=nit)
