"""How a checker of :mod:`pdeopt.testing` fails: one message naming the identity, the
worst point and the gap against the tolerance."""
from __future__ import annotations

import numpy as np

__all__ = ["fail_if", "tolerance"]


def tolerance(reference, rtol, atol):
    """Elementwise ``atol + rtol·|reference|`` (as in :func:`numpy.isclose`)."""
    return atol + rtol * np.abs(reference)


def fail_if(identity: str, gap, tol, *, where=None, detail: str = "") -> None:
    """Raise ``AssertionError`` where ``gap > tol``, naming the worst point.

    ``gap`` and ``tol`` broadcast together; the worst point is where ``gap − tol`` is
    largest. ``where`` (same shape as ``gap``, or a callable of the flat index) says
    what that point is, e.g. the grid coordinate.
    """
    gap = np.asarray(gap, dtype=float)
    tol = np.broadcast_to(np.asarray(tol, dtype=float), gap.shape)
    bad = ~(gap <= tol)           # NaN gaps fail too
    if not np.any(bad):
        return
    excess = np.where(np.isnan(gap), np.inf, gap - tol)
    k = int(np.argmax(excess))
    idx = np.unravel_index(k, gap.shape) if gap.ndim else ()
    if callable(where):
        point = where(k)
    elif where is not None:
        point = np.asarray(where)[idx] if np.ndim(where) else where
    else:
        point = f"index {tuple(int(i) for i in idx)}" if gap.ndim else "the value"
    msg = (f"{identity} fails at {point}: gap {gap[idx]:.6g} > tolerance {tol[idx]:.3g}"
           f" ({int(np.count_nonzero(bad))} of {gap.size} point(s) fail)")
    if detail:
        msg += f"; {detail}"
    raise AssertionError(msg)


def as_values(out):
    """The array a user's operator returned: the first item of a tuple, ``.x`` of a
    :class:`pdeopt.Result`, or the array itself."""
    if isinstance(out, tuple):
        out = out[0]
    if hasattr(out, "x") and hasattr(out, "history"):
        out = out.x
    return np.asarray(out)
