"""Argument checks shared by every public function.

Validate once at the public boundary, with errors that name the argument and say
what was expected; kernels then receive clean, contiguous float arrays.
"""
from __future__ import annotations

import numbers

import numpy as np

__all__ = [
    "as_float_array", "check_finite", "check_positive", "check_nonnegative",
    "check_integer", "check_shape", "check_uniform_grid", "check_choice", "as_rng",
]


def as_float_array(value, name: str, *, ndim=None, dtype=None, allow_empty=False,
                   finite=True, copy=False) -> np.ndarray:
    """Return ``value`` as a C-contiguous floating array; integers are promoted.

    Raises ``TypeError`` for non-numeric input and ``ValueError`` for a wrong
    number of dimensions, an empty array, or NaN/inf entries (when ``finite``).
    """
    arr = np.asarray(value)
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise TypeError(f"{name} must be a numeric array, got dtype {arr.dtype}")
    if np.iscomplexobj(arr):
        raise TypeError(f"{name} must be real, got complex dtype {arr.dtype}")
    if dtype is None:
        dtype = arr.dtype if np.issubdtype(arr.dtype, np.floating) else np.float64
    arr = np.ascontiguousarray(arr, dtype=dtype)
    if copy and np.shares_memory(arr, np.asarray(value)):
        arr = arr.copy()
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if arr.ndim not in allowed:
            raise ValueError(f"{name} must have {' or '.join(map(str, allowed))} "
                             f"dimension(s), got shape {arr.shape}")
    if not allow_empty and arr.size == 0:
        raise ValueError(f"{name} must not be empty")
    if finite:
        check_finite(arr, name)
    return arr


def check_finite(arr, name: str) -> None:
    """Raise ``ValueError`` if ``arr`` holds NaN or inf."""
    arr = np.asarray(arr)
    if np.issubdtype(arr.dtype, np.inexact) and not np.all(np.isfinite(arr)):
        bad = int(np.size(arr) - np.count_nonzero(np.isfinite(arr)))
        raise ValueError(f"{name} contains {bad} NaN or inf value(s)")


def _scalar(value, name):
    if isinstance(value, bool) or not isinstance(value, (numbers.Real, np.number)):
        arr = np.asarray(value)
        if arr.ndim == 0 and np.issubdtype(arr.dtype, np.number) and not np.iscomplexobj(arr):
            value = arr.item()
        else:
            raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    return value


def check_positive(value, name: str) -> float:
    """Return ``value`` as a float, raising ``ValueError`` unless it is > 0."""
    value = _scalar(value, name)
    if value <= 0:
        raise ValueError(f"{name} must be > 0, got {value}")
    return value


def check_nonnegative(value, name: str) -> float:
    """Return ``value`` as a float, raising ``ValueError`` unless it is >= 0."""
    value = _scalar(value, name)
    if value < 0:
        raise ValueError(f"{name} must be >= 0, got {value}")
    return value


def check_integer(value, name: str, *, minimum=None) -> int:
    """Return ``value`` as an int, raising unless it is an integer >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, (numbers.Integral, np.integer)):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return value


def check_shape(arr, shape, name: str) -> None:
    """Raise ``ValueError`` unless ``arr.shape == shape`` (``None`` entries match anything)."""
    got = np.shape(arr)
    if len(got) != len(shape) or any(s is not None and s != g for s, g in zip(shape, got)):
        want = "(" + ", ".join("*" if s is None else str(s) for s in shape) + ")"
        raise ValueError(f"{name} must have shape {want}, got {got}")


def check_uniform_grid(x, name: str = "x", *, rtol=1e-6) -> float:
    """Check that ``x`` is a 1-D, increasing, uniformly spaced grid; return its spacing."""
    x = as_float_array(x, name, ndim=1)
    if x.size < 3:
        raise ValueError(f"{name} must have at least 3 points, got {x.size}")
    dx = np.diff(x)
    if np.any(dx <= 0):
        raise ValueError(f"{name} must be strictly increasing")
    h = (x[-1] - x[0]) / (x.size - 1)
    # rounding of linspace-like grids is ~eps*|x|; anything beyond is a real non-uniformity
    slack = rtol * h + 64 * np.finfo(float).eps * np.max(np.abs(x))
    if np.max(np.abs(dx - h)) > slack:
        raise ValueError(f"{name} must be uniformly spaced (spacing varies by "
                         f"{np.max(np.abs(dx - h)):.3g})")
    return float(h)


def check_choice(value, name: str, choices) -> str:
    """Raise ``ValueError`` unless ``value`` is one of ``choices``."""
    if value not in choices:
        listed = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{name} must be one of {listed}; got {value!r}")
    return value


def as_rng(rng=None, seed=None) -> np.random.Generator:
    """Return a ``numpy.random.Generator`` from a Generator, a seed, or ``None``.

    All randomness in pdeopt goes through a Generator so that every run is
    reproducible from its seed.
    """
    if rng is not None and seed is not None:
        raise ValueError("give rng or seed, not both")
    src = rng if rng is not None else seed
    if isinstance(src, np.random.Generator):
        return src
    if isinstance(src, np.random.RandomState):
        raise TypeError("rng must be a numpy.random.Generator (np.random.default_rng), "
                        "not the legacy RandomState")
    return np.random.default_rng(src)
