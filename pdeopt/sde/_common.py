"""Shared helpers of the stochastic-relaxation code: divergence errors that keep history."""
from __future__ import annotations

__all__ = ["diverged", "require_finite"]


def diverged(rec, method: str, step: int, what: str = "the iterate", **parameters):
    """The :class:`pdeopt.DivergenceError` of ``rec`` (see :meth:`pdeopt.Recorder.diverged`)."""
    rec.method = method
    return rec.diverged(step, what, **parameters)


def require_finite(value, rec, method: str, step: int, what: str = "the iterate", **parameters):
    """Raise :func:`diverged` unless every entry of ``value`` is finite."""
    rec.method = method
    rec.require_finite(value, step, what, **parameters)
