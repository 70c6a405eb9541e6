"""Validation of grid functions shared by the public functions of :mod:`pdeopt.hj`.

A grid function is ``f`` sampled on a uniform 1-D grid ``x`` (``f.shape == x.shape``)
or on a 2-D tensor grid given as a tuple of two axes ``(x0, x1)`` with
``f.shape == (len(x0), len(x1))`` (``indexing="ij"``).
"""
from __future__ import annotations

import numpy as np

from .._checks import as_float_array, check_positive, check_uniform_grid


def as_grid_function(f, x, *, f_name="f", x_name="x"):
    """Return ``(f, axes, spacings)`` as float64 arrays, raising ``ValueError`` on bad input.

    ``axes`` is a tuple of 1-D arrays (one per dimension), ``spacings`` the tuple of
    their uniform spacings.
    """
    if isinstance(x, (tuple, list)) and len(x) > 0 and np.ndim(x[0]) == 1:
        if len(x) != 2:
            raise ValueError(f"{x_name} must be one axis (1-D) or a tuple of two axes (2-D), "
                             f"got {len(x)} axes")
        axes = tuple(as_float_array(a, f"{x_name}[{i}]", ndim=1, dtype=np.float64)
                     for i, a in enumerate(x))
        spacings = tuple(check_uniform_grid(a, f"{x_name}[{i}]") for i, a in enumerate(axes))
    else:
        axes = (as_float_array(x, x_name, ndim=1, dtype=np.float64),)
        spacings = (check_uniform_grid(axes[0], x_name),)
    f = as_float_array(f, f_name, ndim=len(axes), dtype=np.float64)
    shape = tuple(a.size for a in axes)
    if f.shape != shape:
        raise ValueError(f"{f_name} must have shape {shape} to match the grid {x_name}, "
                         f"got {f.shape}")
    return f, axes, spacings


def check_cfl(cfl) -> float:
    """The CFL number of an explicit scheme: a float in (0, 1]."""
    cfl = check_positive(cfl, "cfl")
    if cfl > 1:
        raise ValueError(f"cfl must be in (0, 1], got {cfl}")
    return cfl
