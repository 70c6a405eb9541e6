"""Test objects for coherent diffraction imaging: a vesicle and nanorice grains.

Both are real, non-negative 2-D densities centred on an ``n × n`` grid whose
support spans at most ``n / oversampling`` pixels per dimension, returned with
their support as a :class:`Phantom`.

How they are built
------------------
``vesicle``: an ellipse (height h = n/oversampling − 2, width 0.6·h) seen in
projection: a thin shell — the membrane, a Gaussian ridge of width 0.06 in the
normalised elliptic radius ρ = √((y/a)² + (x/b)²), centred at ρ = 0.88 — on a
smooth interior density 0.35 modulated by ±15 % of low-pass filtered noise
(Gaussian filter of width h/8). The support D is the rectangle around it, as in
the seed's figure ("the rectangle around the vesicle").

``nanorice``: elongated ellipsoids of aspect ratio 5 (the seed's 250 × 50 nm
grains), each seen as its projected thickness √(1 − (x′/a)² − (y′/b)²) in axes
rotated by its angle, times a texture 1 ± 10 % of low-pass filtered noise
(width 1.5 pixels). ``variant=1`` is one grain at 30°; ``variant=2`` two grains,
at −20° and 70°, side by side. The support is the object dilated by 2 pixels (a
tight support, as one gets from a shrink-wrapped reconstruction).
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy import ndimage

from .._checks import as_rng, check_integer, check_range
from .forward import as_image, check_support

__all__ = ["Phantom", "vesicle", "nanorice"]


class _Pair(NamedTuple):
    object: np.ndarray
    support: np.ndarray


class Phantom(_Pair):
    """An object on its oversampled grid and its support (boolean mask, same shape).

    ``object`` is a finite 2-D array (real or complex), zero outside ``support``, a
    non-empty mask of its shape; both are checked.

    Examples
    --------
    >>> import numpy as np
    >>> obj = np.zeros((16, 16))
    >>> obj[4:8, 4:8] = 1.0
    >>> p = Phantom(obj, obj > 0)
    >>> p.support.dtype, int(p.support.sum())
    (dtype('bool'), 16)
    """

    __slots__ = ()

    def __new__(cls, object, support):      # noqa: A002 (the field's name)
        obj = as_image(object, "object")
        s = check_support(support, obj.shape, warn=False, of="object")
        if np.any(obj[~s]):
            raise ValueError("object must be zero outside support")
        return super().__new__(cls, obj, s)


def _grid(n):
    c = (n - 1) / 2.0
    y, x = np.mgrid[0:n, 0:n].astype(float)
    return y - c, x - c


def _smooth_noise(shape, width, rng):
    noise = ndimage.gaussian_filter(rng.standard_normal(shape), width, mode="wrap")
    return noise / (np.abs(noise).max() + 1e-300)


def _check_size(n, oversampling, minimum):
    n = check_integer(n, "n", minimum=16)
    oversampling = check_range(oversampling, "oversampling", 2.0, None)
    if n / oversampling < minimum:
        raise ValueError(f"n / oversampling must be >= {minimum} (the object's extent in "
                         f"pixels), got n={n}, oversampling={oversampling:g}")
    return n, oversampling


def vesicle(n=128, *, oversampling=2.0, rng=0) -> Phantom:
    """A vesicle-like object: a thin elliptical shell with a smooth interior (see module doc).

    Parameters
    ----------
    n : int
        Grid size (n × n), ≥ 16; 64 to 512 in the validations.
    oversampling : float
        Grid size over the support's height (≥ 2, and n / oversampling ≥ 8 pixels).
    rng : None, int or numpy.random.Generator
        Source of the interior texture (the default, seed 0, gives the same vesicle
        every time).

    Examples
    --------
    >>> v = vesicle(32, oversampling=2.0)
    >>> v.object.shape, bool(v.object.min() >= 0), bool(v.object[~v.support].max() == 0)
    ((32, 32), True, True)
    """
    n, oversampling = _check_size(n, oversampling, 8)
    rng = as_rng(rng)
    h = int(n // oversampling)
    w = int(round(0.6 * h))
    a, b = h / 2.0 - 1.0, w / 2.0 - 1.0
    y, x = _grid(n)
    rho = np.sqrt((y / a) ** 2 + (x / b) ** 2)
    texture = 1.0 + 0.15 * _smooth_noise((n, n), max(h / 8.0, 1.0), rng)
    interior = 0.35 * texture * np.clip((0.9 - rho) / 0.1, 0.0, 1.0)
    shell = np.exp(-(((rho - 0.88) / 0.06) ** 2))
    obj = np.where(rho <= 1.0, interior + shell, 0.0)
    support = (np.abs(y) <= h / 2.0) & (np.abs(x) <= w / 2.0)
    return Phantom(obj, support)


def nanorice(n=128, *, variant=1, oversampling=2.0, rng=0) -> Phantom:
    """Nanorice-like objects: textured ellipsoids of aspect ratio 5 (see module doc).

    Parameters
    ----------
    n : int
        Grid size (n × n), ≥ 16.
    variant : {1, 2}
        One grain (1) or two grains (2): the seed's "nanorice1" and "nanorice2".
    oversampling : float
        Grid size over the object's extent (≥ 2, and n / oversampling ≥ 12 pixels).
    rng : None, int or numpy.random.Generator
        Source of the texture (the default, seed 0, gives the same grains every time).

    Examples
    --------
    >>> rice = nanorice(32, variant=2)
    >>> rice.object.shape, bool(rice.object.max() > 0), bool(rice.support.sum() < 32 * 32 / 4)
    ((32, 32), True, True)
    """
    n, oversampling = _check_size(n, oversampling, 12)
    if check_integer(variant, "variant") not in (1, 2):
        raise ValueError(f"variant must be 1 or 2, got {variant!r}")
    rng = as_rng(rng)
    extent = n / oversampling - 6.0  # room for the 2-pixel dilation of the support
    y, x = _grid(n)
    if variant == 1:
        grains = [(0.0, 0.0, np.deg2rad(30.0), extent / 2.0)]
    else:
        grains = [(-0.12 * extent, -0.1 * extent, np.deg2rad(-20.0), 0.36 * extent),
                  (0.12 * extent, 0.16 * extent, np.deg2rad(70.0), 0.36 * extent)]
    obj = np.zeros((n, n))
    for cy, cx, angle, a in grains:
        b = a / 5.0
        along = (x - cx) * np.cos(angle) + (y - cy) * np.sin(angle)
        across = -(x - cx) * np.sin(angle) + (y - cy) * np.cos(angle)
        obj = np.maximum(obj, np.sqrt(np.clip(1.0 - (along / a) ** 2 - (across / b) ** 2, 0, 1)))
    obj *= 1.0 + 0.1 * _smooth_noise((n, n), 1.5, rng)
    obj = np.where(obj > 0, obj, 0.0)
    support = ndimage.binary_dilation(obj > 0, iterations=2)
    return Phantom(obj, support)
