"""Layer-wise quantized sets Q on a flat weight vector: projection, relaxation, distance."""
from __future__ import annotations

import numpy as np

from pdeopt._checks import (as_float_array, check_nonnegative, check_object, check_option,
                            check_slices)

from pdeopt._xp import check_device_array, is_cupy_array, is_device_array, to_namespace
from pdeopt.prox.thresholding import device_kernels

from .project import (LayerCode, apply_code, binary_code, bits_code, check_bits,
                      device_codes_source, ternary_code, twn_code)

__all__ = ["QuantizedSet", "dist", "KINDS"]

#: Quantizers: exact binary (BWN), exact ternary, TWN's heuristic ternary, b-bit Lloyd.
KINDS = ("binary", "ternary", "twn", "bits")


class QuantizedSet:
    r"""The set Q of layer-wise quantized weights in a flat parameter vector.

    .. math:: \mathcal Q = \{x : x_{L} = s_L\,q_L,\ s_L > 0,\ q_L \in C^{|L|}
              \text{ for every layer } L\}

    with C = {±1} (``"binary"``), {0, ±1} (``"ternary"``, exact projection, or
    ``"twn"``, TWN's heuristic), or {0, ±1, …, ±(2^{b−1}−1)} (``"bits"``). Each
    layer has its own scale (layer-wise quantization, as in BinaryRelax's
    experiments); entries in no layer (biases) are left free.

    Parameters
    ----------
    kind : {"binary", "ternary", "twn", "bits"}
    bits : int, optional
        Bit width, required for ``kind="bits"`` (b ≥ 1).
    layers : sequence, optional
        Slices ``slice(start, stop)`` into the flat vector (integers
        0 ≤ start < stop, unit step, no two overlapping), or ``(name, slice)`` pairs
        as given by ``model.param_slices()``. ``None``: the whole vector is one layer.
        A vector shorter than the last ``stop`` is refused when it is projected.
    backend : {"auto", "numpy", "numba", "cuda"}
        Backend of the fused projection/relaxation kernel. With ``"cuda"`` (or
        ``"auto"``, which picks the device for a device vector),
        :meth:`project` and :meth:`relax` also take a device vector (CuPy, numba) and
        return one of its kind: each layer's scale is a reduction on the device (CuPy; a
        numba vector's come from one host copy, b ≥ 3 from a host copy of the layer) and
        the combine step runs on the device into slices of one output.

    Examples
    --------
    >>> Q = QuantizedSet("binary", layers=[slice(0, 2), slice(2, 4)])
    >>> Q.project(np.array([1.0, -3.0, 0.5, 0.5]))
    array([ 2. , -2. ,  0.5,  0.5])
    """

    def __init__(self, kind="binary", *, bits=None, layers=None, backend="auto"):
        self.kind = check_option(kind, "kind", KINDS)
        if kind == "bits":
            if bits is None:
                raise ValueError("bits must be given for kind='bits'")
            self.bits = check_bits(bits)
        else:
            if bits is not None:
                raise ValueError(f"bits is only used with kind='bits', not kind={kind!r}")
            self.bits = None
        self.layers = None if layers is None else check_slices(layers, "layers")
        self.backend = check_option(backend, "backend", ("auto", "numpy", "numba", "cuda"))

    @classmethod
    def for_model(cls, model, kind="binary", *, bits=None, suffixes=(".W",), backend="auto"):
        """Q over the weight tensors of an ``nn`` model (names ending in ``suffixes``).

        Examples
        --------
        >>> from pdeopt.nn import mlp
        >>> Q = QuantizedSet.for_model(mlp([8], input_shape=(4,), rng=0), "ternary")
        >>> Q                                   # the two weight matrices; biases stay free
        QuantizedSet('ternary', 2 layers)
        """
        check_object(model, "model", "param_slices", kind="a pdeopt.nn model")
        if isinstance(suffixes, str):
            suffixes = (suffixes,)
        if not suffixes or not all(isinstance(x, str) for x in suffixes):
            raise TypeError(f"suffixes must be a tuple of strings, got {suffixes!r}")
        layers = [(n, s) for n, s in model.param_slices() if n.endswith(tuple(suffixes))]
        if not layers:
            raise ValueError(f"model has no parameter whose name ends in {suffixes}")
        return cls(kind, bits=bits, layers=layers, backend=backend)

    def __repr__(self):
        b = f", bits={self.bits}" if self.bits else ""
        n = "1 layer" if self.layers is None else f"{len(self.layers)} layers"
        return f"QuantizedSet({self.kind!r}{b}, {n})"

    # -- per-layer codes --------------------------------------------------------
    def code(self, y) -> LayerCode:
        """The scale and rounding rule of the projection of one layer ``y``."""
        y = as_float_array(y, "y")
        return self._code(y)

    def _code(self, y):
        if self.kind == "binary":
            return binary_code(y)
        if self.kind == "ternary":
            return ternary_code(y)
        if self.kind == "twn":
            return twn_code(y)
        return bits_code(y, self.bits)

    def _slices(self, n):
        if self.layers is None:
            return [slice(0, n)]
        return check_slices(self.layers, "layers", size=n)

    def _map(self, y, weight):
        if is_device_array(y):
            return self._map_on_device(y, weight)
        y = as_float_array(y, "y", ndim=1)
        out = y.copy()
        for sl in self._slices(y.size):
            part = y[sl]
            if part.size:
                out[sl] = apply_code(part, self._code(part), weight=weight, backend=self.backend)
        return out

    def _map_on_device(self, y, weight):
        """:meth:`_map` for a device vector: each layer combined on the device into a slice
        of one output of y's kind (entries in no layer copied)."""
        y = check_device_array(y, "y", "cuda" if self.backend == "auto" else self.backend)
        if y.ndim != 1:
            raise ValueError(f"y must be 1-D (a flat weight vector), got {y.ndim}-D")
        source = device_codes_source(y)  # y itself (CuPy) or one host copy (numba)
        if is_cupy_array(y):
            out = y.copy()
        else:
            from pdeopt.kernels._device import as_numba, empty_like_device
            out = empty_like_device(y)
            as_numba(out).copy_to_device(as_numba(y))
        kernels = device_kernels(y)
        for sl in self._slices(y.size):
            part = source[sl]
            if part.size:
                # the b-bit scale sweep runs on the host (NumPy)
                code = self._code(to_namespace(part, np) if self.kind == "bits" else part)
                apply_code(y[sl], code, weight=weight, backend=kernels, out=out[sl])
        return out

    # -- the operations BinaryRelax needs --------------------------------------------
    def project(self, y):
        """proj_Q(y), layer by layer (a new array)."""
        return self._map(y, 1.0)

    def relax(self, y, lam):
        r"""argmin_x ½‖x − y‖² + (λ/2)·dist(x, Q)² = (λ·proj_Q(y) + y)/(λ + 1).

        ``lam = inf`` gives the projection (BinaryConnect's step).
        """
        if not (isinstance(lam, (float, np.floating)) and lam == np.inf):
            lam = check_nonnegative(lam, "lam")
        weight = 1.0 if np.isinf(lam) else lam / (lam + 1.0)
        return self._map(y, weight)

    def dist(self, x) -> float:
        """Euclidean distance from x to Q, ‖x − proj_Q(x)‖ (exact for binary/ternary); a
        device x is read back once (a check, not a step)."""
        x = as_float_array(_on_host(x), "x", ndim=1)
        return float(np.linalg.norm(x - self.project(x)))

    def contains(self, x, *, rtol=1e-9) -> bool:
        """Whether every layer of x is s·q with codes in C (one scale per layer); a device x
        is read back once."""
        x = as_float_array(_on_host(x), "x", ndim=1)
        rtol = check_nonnegative(rtol, "rtol")
        levels = {"binary": 0, "ternary": 1, "twn": 1}.get(self.kind)
        if levels is None:
            levels = 0 if self.bits == 1 else 2 ** (self.bits - 1) - 1
        for sl in self._slices(x.size):
            part = np.abs(x[sl])
            if part.size == 0:
                continue
            s = part.max()
            if s == 0:
                if levels == 0:
                    return False
                continue
            if levels == 0:
                ok = np.all(np.abs(part - s) <= rtol * s)
            else:
                # the largest magnitude is s·j for some code 1 ≤ j ≤ levels; every other
                # magnitude must then be an integer multiple of s
                ok = any(_on_grid(part, s / j, rtol) for j in range(1, levels + 1))
            if not ok:
                return False
        return True


def _on_host(x):
    return to_namespace(x, np) if is_device_array(x) else x


def _on_grid(values, unit, rtol):
    ratio = values / unit
    return bool(np.all(np.abs(ratio - np.rint(ratio)) <= rtol * max(1.0, ratio.max())))


def dist(x, Q):
    """dist(x, Q) = min_{z ∈ Q} ‖x − z‖ for a :class:`QuantizedSet` (or a kind name).

    Examples
    --------
    >>> round(dist([1.0, -3.0], "binary"), 6)     # proj = 2·sign(x)
    1.414214
    """
    if isinstance(Q, str):
        Q = QuantizedSet(check_option(Q, "Q", KINDS))
    if not isinstance(Q, QuantizedSet):
        raise TypeError(f"Q must be a QuantizedSet or one of {KINDS}, got {type(Q).__name__}")
    return Q.dist(x)
