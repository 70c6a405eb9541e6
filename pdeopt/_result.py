"""The one result type returned by every iterative method of pdeopt."""
from __future__ import annotations

import time
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["Result", "Recorder"]


@dataclass
class Result:
    """Outcome of an iterative method.

    Attributes
    ----------
    x : array_like
        The final iterate (or the solution, for a direct method).
    history : dict of str to 1-D numpy.ndarray
        One entry per recorded quantity (``loss``, ``r_factor``, ``angle``, ...),
        one value per recorded iteration.
    info : dict
        What happened: ``iterations``, ``time`` (seconds), ``backend``,
        ``converged``, ``message``, ``interrupted``, and the method's parameters.
    """

    x: Any
    history: dict = field(default_factory=dict)
    info: dict = field(default_factory=dict)

    @property
    def converged(self) -> bool:
        return bool(self.info.get("converged", False))

    def __repr__(self) -> str:
        shape = getattr(self.x, "shape", None)
        xs = f"array{shape}" if shape is not None else repr(self.x)
        hist = ", ".join(f"{k}[{len(v)}]" for k, v in self.history.items())
        keys = ("iterations", "converged", "backend", "time")
        inf = ", ".join(f"{k}={self.info[k]!r}" for k in keys if k in self.info)
        return f"Result(x={xs}, history={{{hist}}}, info={{{inf}}})"


class Recorder:
    """Collects per-iteration values and turns them into a :class:`Result`.

    A loop run inside :meth:`running` keeps everything it finished when it is
    interrupted (``KeyboardInterrupt``): the result carries ``info["interrupted"]``.

    Examples
    --------
    >>> rec = Recorder(method="demo", step=0.1)
    >>> with rec.running():
    ...     for k in range(3):
    ...         rec.log(loss=1.0 / (k + 1))
    >>> res = rec.result(x=0.0, converged=True)
    >>> res.history["loss"].shape
    (3,)
    """

    def __init__(self, **parameters):
        self._values: dict[str, list] = {}
        self.info: dict = {"parameters": parameters, "interrupted": False}
        self._t0 = time.perf_counter()

    def log(self, **values) -> None:
        for key, value in values.items():
            self._values.setdefault(key, []).append(value)

    def last(self, key, default=None):
        vals = self._values.get(key)
        return vals[-1] if vals else default

    def __len__(self) -> int:
        return max((len(v) for v in self._values.values()), default=0)

    @contextmanager
    def running(self):
        try:
            yield self
        except KeyboardInterrupt:
            self.info["interrupted"] = True
            warnings.warn("interrupted: the result holds the iterations finished so far",
                          RuntimeWarning, stacklevel=3)

    def history(self) -> dict:
        return {k: np.asarray(v) for k, v in self._values.items()}

    def result(self, x, **info) -> Result:
        merged = dict(self.info)
        merged.setdefault("iterations", len(self))
        merged["time"] = time.perf_counter() - self._t0
        merged.update(info)
        return Result(x=x, history=self.history(), info=merged)
