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
    "check_range", "check_momentum", "check_bool", "check_callable", "check_object",
    "check_labels", "check_budget", "check_option", "check_indices", "check_slices",
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
    given_shape = arr.shape  # ascontiguousarray turns a scalar into shape (1,)
    arr = np.ascontiguousarray(arr, dtype=dtype)
    if copy and np.shares_memory(arr, np.asarray(value)):
        arr = arr.copy()
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if len(given_shape) not in allowed:  # a scalar is not a 1-D array
            raise ValueError(f"{name} must have {' or '.join(map(str, allowed))} "
                             f"dimension(s), got shape {given_shape}")
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


def as_rng(rng=None, seed=None, *, name=None) -> np.random.Generator:
    """Return a ``numpy.random.Generator`` from a Generator, a seed, or ``None``.

    All randomness in pdeopt goes through a Generator so that every run is
    reproducible from its seed. ``name`` is the argument's name in error messages
    (e.g. ``"random_state"``; default ``"rng"`` or ``"seed"``).
    """
    if rng is not None and seed is not None:
        raise ValueError("give rng or seed, not both")
    src = rng if rng is not None else seed
    if isinstance(src, np.random.Generator):
        return src
    if isinstance(src, np.random.RandomState):
        raise TypeError("rng must be a numpy.random.Generator (np.random.default_rng), "
                        "not the legacy RandomState")
    name = name or ("rng" if rng is not None else "seed")
    if src is not None and not isinstance(src, (np.random.SeedSequence,
                                                np.random.BitGenerator)):
        if isinstance(src, bool) or not isinstance(src, (numbers.Integral, np.integer)):
            raise TypeError(f"{name} must be None, a non-negative integer seed or a "
                            f"numpy.random.Generator, got {type(src).__name__}")
        if src < 0:
            raise ValueError(f"{name} must be a non-negative integer seed, got {src}")
    return np.random.default_rng(src)


def check_range(value, name: str, low=None, high=None, *, low_open=False,
                high_open=False) -> float:
    """Return ``value`` as a float, raising ``ValueError`` unless it lies in the interval.

    ``low``/``high`` are the bounds (``None``: unbounded); ``*_open`` excludes them.
    """
    value = _scalar(value, name)
    bad_low = low is not None and (value <= low if low_open else value < low)
    bad_high = high is not None and (value >= high if high_open else value > high)
    if bad_low or bad_high:
        left = "(" if low_open or low is None else "["
        right = ")" if high_open or high is None else "]"
        lo = "-inf" if low is None else f"{low:g}"
        hi = "inf" if high is None else f"{high:g}"
        raise ValueError(f"{name} must be in {left}{lo}, {hi}{right}, got {value:g}")
    return value


def check_momentum(value, name: str = "momentum") -> float:
    """A momentum (heavy-ball) coefficient: in [0, 1), where the iteration is stable."""
    return check_range(value, name, 0.0, 1.0, high_open=True)


def check_bool(value, name: str) -> bool:
    """Raise ``TypeError`` unless ``value`` is a bool (``numpy.bool_`` included)."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {type(value).__name__}")
    return bool(value)


def check_callable(value, name: str):
    """Raise ``TypeError`` unless ``value`` is callable (None and strings are not)."""
    if not callable(value):
        raise TypeError(f"{name} must be callable, got {type(value).__name__}")
    return value


def check_object(value, name: str, *attributes: str, kind: str | None = None):
    """Raise ``TypeError`` unless ``value`` has every attribute in ``attributes``.

    For object arguments (a potential, a model, an optimizer): None or a string gets
    an error naming the argument and what was expected instead of an ``AttributeError``
    deep inside the method.
    """
    missing = [a for a in attributes if not hasattr(value, a)]
    if value is None or isinstance(value, (str, bytes)) or missing:
        want = kind or ("an object with " + ", ".join(f"'{a}'" for a in attributes))
        raise TypeError(f"{name} must be {want}, got {type(value).__name__}")
    return value


def _numeric_vector(value, name: str, holds: str, what: str) -> np.ndarray:
    """``value`` as a non-empty numeric 1-D array (the shared start of the label and index
    checks): ``TypeError`` for a non-numeric dtype, ``ValueError`` for a shape or emptiness."""
    arr = np.asarray(value)
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise TypeError(f"{name} must be an array of {holds}, got dtype {arr.dtype}")
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a 1-D{what}, got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} must not be empty")
    return arr


def check_labels(y, name: str, *, n_classes=None, size=None, allow_unlabeled=False):
    """Return integer class labels as a 1-D int64 array, checked.

    Labels must be integers (integral floats are accepted) in ``[0, n_classes)``;
    with ``allow_unlabeled`` the value -1 marks an unlabeled point. ``size`` is the
    number of labels expected (the number of samples).
    """
    arr = _numeric_vector(y, name, "integer labels", "")
    if not np.issubdtype(arr.dtype, np.integer):
        if not np.all(np.isfinite(arr)) or np.any(arr != np.round(arr)):
            raise ValueError(f"{name} must hold integer labels")
    labels = arr.astype(np.int64)
    if size is not None and labels.size != size:
        raise ValueError(f"{name} must have {size} entries (one per sample), got {labels.size}")
    low = -1 if allow_unlabeled else 0
    if np.any(labels < low) or (allow_unlabeled and np.any((labels < 0) & (labels != -1))):
        what = "-1 (unlabeled) or >= 0" if allow_unlabeled else ">= 0"
        raise ValueError(f"{name} must hold labels {what}, got {labels.min()}")
    if n_classes is not None and np.any(labels >= n_classes):
        raise ValueError(f"{name} must hold labels < n_classes={n_classes}, "
                         f"got {labels.max()}")
    return labels


def check_budget(max_iter, tol=0.0, *, name: str = "max_iter") -> tuple[int, float]:
    """Check an iteration budget (a positive integer) and a tolerance (>= 0)."""
    return check_integer(max_iter, name, minimum=1), check_nonnegative(tol, "tol")


def check_option(value, name: str, choices) -> str:
    """A string naming one of ``choices``: ``TypeError`` for a non-string, else
    :func:`check_choice` (an array or None never reaches an ambiguous comparison)."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, one of "
                        f"{', '.join(repr(c) for c in choices)}; got {type(value).__name__}")
    return check_choice(value, name, choices)


def check_indices(value, name: str, n: int, *, unique=False) -> np.ndarray:
    """Return ``value`` as a non-empty 1-D int64 array of indices in ``[0, n)``.

    Raises ``TypeError`` for non-integer entries (a float is not an index; -1 never
    wraps) and ``ValueError`` for a wrong shape, an empty array, indices out of range
    or, with ``unique``, repeated indices.
    """
    arr = _numeric_vector(value, name, "integer indices", " array of indices")
    if not np.issubdtype(arr.dtype, np.integer):
        raise TypeError(f"{name} must hold integer indices, got dtype {arr.dtype}")
    if arr.min() < 0 or arr.max() >= n:
        raise ValueError(f"{name} must lie in [0, {n}), got values in "
                         f"[{arr.min()}, {arr.max()}]")
    if unique and np.unique(arr).size != arr.size:
        raise ValueError(f"{name} contains repeated indices")
    return arr.astype(np.int64)


def check_slices(value, name: str, *, size=None) -> list:
    """Disjoint blocks of a flat vector: slices (or ``(name, slice)`` pairs), sorted.

    Each must be ``slice(start, stop)`` with integers ``0 <= start < stop`` and unit
    step; two that overlap, an empty one, or (with ``size``) one reaching past
    ``size`` entries raise ``ValueError``, so no entry is skipped or treated twice.
    """
    if isinstance(value, (str, bytes, slice)) or not hasattr(value, "__iter__"):
        raise TypeError(f"{name} must be a sequence of slices or (name, slice) pairs, got "
                        f"{type(value).__name__}")
    out = []
    for item in value:
        if isinstance(item, tuple) and len(item) == 2:
            item = item[1]
        if not isinstance(item, slice):
            raise TypeError(f"{name} must hold slices or (name, slice) pairs, got {item!r}")
        start = 0 if item.start is None else item.start
        ints = all(isinstance(v, (numbers.Integral, np.integer)) and not isinstance(v, bool)
                   for v in (start, item.stop))
        if not ints or item.step not in (None, 1) or not 0 <= start < item.stop:
            raise ValueError(f"{name} must hold slices slice(start, stop) with integers "
                             f"0 <= start < stop and unit step, got {item!r}")
        out.append(slice(int(start), int(item.stop)))
    if not out:
        raise ValueError(f"{name} must hold at least one slice")
    out.sort(key=lambda sl: sl.start)
    for a, b in zip(out, out[1:]):
        if b.start < a.stop:
            raise ValueError(f"{name} must not overlap: {a} and {b} share entries")
    if size is not None and out[-1].stop > size:
        raise ValueError(f"{name} reach index {out[-1].stop}, beyond the {size} entries of "
                         "the vector")
    return out
