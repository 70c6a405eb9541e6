"""Shared helpers of the stochastic-relaxation code: divergence errors that keep history."""
from __future__ import annotations

import numpy as np

__all__ = ["diverged", "require_finite"]


def diverged(rec, method: str, step: int, what: str = "the iterate", **parameters):
    """A ``FloatingPointError`` naming the step and parameters, carrying the history.

    The partial :class:`pdeopt.Result` (``converged=False``) is attached as
    ``error.result`` so that a diverging run loses nothing it recorded.
    """
    params = ", ".join(f"{k}={v!r}" for k, v in parameters.items())
    msg = (f"{method} diverged at step {step}: {what} became NaN or inf ({params}); "
           f"reduce the step size")
    err = FloatingPointError(msg)
    err.result = rec.result(None, converged=False, message=msg, diverged_at=step)
    return err


def require_finite(value, rec, method: str, step: int, what: str = "the iterate", **parameters):
    """Raise :func:`diverged` unless every entry of ``value`` is finite."""
    if not np.all(np.isfinite(value)):
        raise diverged(rec, method, step, what, **parameters)
