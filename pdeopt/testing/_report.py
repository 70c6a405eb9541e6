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


def checked(*callables: str, tolerances=("rtol", "atol"), positive=(), counts=(),
            fractions=(), positive_lists=()):
    """Decorator: check a checker's arguments before it runs.

    The named ``callables`` must be callable (``TypeError`` naming them), the
    ``tolerances`` finite and ≥ 0, the ``positive`` ones finite and > 0, the ``counts``
    integers ≥ 1, the ``fractions`` in (0, 1], the ``positive_lists`` non-empty 1-D
    sequences of finite numbers > 0 (``ValueError``/``TypeError`` naming them; ``None``
    passes where it is the default). A checker that silently accepted a tolerance of NaN
    would pass everything.
    """
    import functools
    import inspect

    from .._checks import (as_float_array, check_callable, check_integer, check_nonnegative,
                           check_positive, check_range)

    def positive_list(value, name):
        arr = as_float_array(value, name, ndim=1)
        if np.any(arr <= 0):
            raise ValueError(f"{name} must hold numbers > 0, got {arr}")

    def deco(func):
        sig = inspect.signature(func)

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            bound = sig.bind(*args, **kwargs)
            bound.apply_defaults()
            for name in callables:
                value = bound.arguments.get(name)
                if value is not None or sig.parameters[name].default is inspect.Parameter.empty:
                    check_callable(value, name)
            for name in tolerances:
                if name in bound.arguments:
                    check_nonnegative(bound.arguments[name], name)
            def given(name):
                value = bound.arguments.get(name)
                return not (value is None and sig.parameters[name].default is None)
            for name in positive:
                if given(name):
                    check_positive(bound.arguments[name], name)
            for name in counts:
                if given(name):
                    check_integer(bound.arguments[name], name, minimum=1)
            for name in fractions:
                if given(name):
                    check_range(bound.arguments[name], name, 0.0, 1.0, low_open=True)
            for name in positive_lists:
                if given(name):
                    positive_list(bound.arguments[name], name)
            return func(*args, **kwargs)
        return wrapper
    return deco
