"""A strict stand-in for CuPy on the CPU: the device code paths, tested without a GPU.

:func:`installed` puts a module named ``cupy`` (with ``cupy.fft``, ``cupy.linalg``,
``cupy.random``, ``cupy.cuda`` and ``cupyx.scipy.sparse``) into ``sys.modules`` for the
duration of a ``with`` block. Its arrays hold NumPy arrays in host memory but behave like
CuPy's where CuPy is strict, so a solver that passes with them has no hidden host round
trip of the kinds that fail on a GPU:

- ``numpy.asarray`` (and anything that calls it: SciPy, numba's ``@njit`` kernels) refuses
  a device array, as CuPy does ("Implicit conversion to a NumPy array is not allowed");
- mixing a device array with a host ``numpy.ndarray`` in an operator, a ``cupy`` function
  or an assignment raises ``TypeError``; Python and NumPy scalars are fine;
- ``.get()``, ``cupy.asnumpy`` and ``cupy.asarray`` are the explicit moves, and each one
  is counted (``transfers()``), so a test can assert that a solver moves its input once;
- reductions return 0-d device arrays, not scalars (``float()`` of one is a sync, allowed).

Under numba's CUDA simulator (``NUMBA_ENABLE_CUDASIM=1``) the arrays expose
``__cuda_array_interface__`` over their host memory, so the project's numba.cuda kernels run
on them in place (:func:`pdeopt.kernels._device.as_numba` views such memory in the simulator).

Examples
--------
>>> import numpy as np
>>> from pdeopt.testing.fake_cupy import installed
>>> with installed() as cp:
...     a = cp.asarray(np.arange(3.0))
...     b = float((2 * a).sum())
>>> b
6.0
"""
from __future__ import annotations

import contextlib
import operator
import sys
import types

import numpy as np

__all__ = ["installed", "ndarray", "transfers"]

_moves = {"to_device": 0, "to_host": 0}


def transfers() -> dict:
    """How many host→device (``to_device``) and device→host (``to_host``) copies ran since
    the last :func:`installed` began."""
    return dict(_moves)


def _strict(x, where):
    """The NumPy array behind a device argument; host arrays are refused, as CuPy does."""
    if isinstance(x, ndarray):
        return x._a
    if isinstance(x, np.ndarray):
        raise TypeError(f"fake cupy: {where} got a host numpy.ndarray where a device array "
                        f"is expected (CuPy: 'Unsupported type <class 'numpy.ndarray'>')")
    if isinstance(x, (list, tuple)):
        return type(x)(_strict(v, where) for v in x)
    return x


def _wrap(r):
    if isinstance(r, np.ndarray):
        return ndarray(r)
    if isinstance(r, np.generic) and not isinstance(r, (np.str_, np.bytes_)):
        return ndarray(np.asarray(r))          # CuPy's reductions give 0-d device arrays
    if isinstance(r, tuple):
        return tuple(_wrap(v) for v in r)
    return r


class ndarray:
    """A device array of the fake CuPy: a NumPy array that refuses implicit conversion."""

    __array_priority__ = 100

    def __init__(self, a):
        self._a = a

    # the explicit move back, counted
    def get(self, stream=None, out=None):
        _moves["to_host"] += 1
        return self._a.copy()

    def __array__(self, *args, **kwargs):
        raise TypeError("fake cupy: Implicit conversion to a NumPy array is not allowed. "
                        "Please use `.get()` to construct a NumPy array explicitly.")

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        where = f"numpy.{ufunc.__name__}"
        inputs = _strict(inputs, where)
        if "out" in kwargs:
            kwargs["out"] = _strict(kwargs["out"], where)
        return _wrap(getattr(ufunc, method)(*inputs, **kwargs))

    def __array_function__(self, func, types_, args, kwargs):
        # CuPy implements most of NumPy's functions for its arrays (np.sum(d) is a device
        # sum); host arrays among the arguments are refused as in any cupy function
        where = f"numpy.{func.__name__}"
        return _wrap(func(*_strict(args, where), **{k: _strict(v, where)
                                                     for k, v in kwargs.items()}))

    @property
    def __cuda_array_interface__(self):
        a = self._a
        return {"shape": a.shape, "typestr": a.dtype.str, "version": 3,
                "data": (a.__array_interface__["data"][0], False),
                "strides": None if a.flags.c_contiguous else a.strides}

    def __getattr__(self, name):
        if name.startswith("__"):   # no __array_interface__/__array_struct__: NumPy can't view it
            raise AttributeError(name)
        attr = getattr(self._a, name)
        if callable(attr):
            def method(*args, **kwargs):
                where = f"ndarray.{name}"
                return _wrap(attr(*_strict(args, where),
                                  **{k: _strict(v, where) for k, v in kwargs.items()}))
            return method
        return _wrap(attr)

    @property
    def real(self):
        return ndarray(self._a.real)

    @property
    def imag(self):
        return ndarray(self._a.imag)

    @property
    def T(self):
        return ndarray(self._a.T)

    @property
    def shape(self):
        return self._a.shape

    @property
    def dtype(self):
        return self._a.dtype

    @property
    def size(self):
        return self._a.size

    @property
    def ndim(self):
        return self._a.ndim

    @property
    def flags(self):
        return self._a.flags

    @property
    def nbytes(self):
        return self._a.nbytes

    def __getitem__(self, key):
        return _wrap(self._a[_strict(key, "indexing")])

    def __setitem__(self, key, value):
        self._a[_strict(key, "indexing")] = _strict(value, "assignment")

    def __len__(self):
        return len(self._a)

    def __iter__(self):
        return (ndarray(np.asarray(v)) for v in self._a)

    def __float__(self):
        return float(self._a)

    def __int__(self):
        return int(self._a)

    def __complex__(self):
        return complex(self._a)

    def __bool__(self):
        return bool(self._a)

    def __index__(self):
        return operator.index(self._a)

    def __repr__(self):
        return f"fake_cupy.array({self._a!r})"

    def __neg__(self):
        return ndarray(-self._a)

    def __pos__(self):
        return ndarray(+self._a)

    def __abs__(self):
        return ndarray(abs(self._a))

    def __invert__(self):
        return ndarray(~self._a)


def _binary(op):
    def forward(self, other):
        return _wrap(op(self._a, _strict(other, f"operator {op.__name__}")))

    def reflected(self, other):
        return _wrap(op(_strict(other, f"operator {op.__name__}"), self._a))

    def inplace(self, other):
        other = _strict(other, f"operator {op.__name__}")
        getattr(self._a, f"__i{op.__name__.strip('_')}__")(other)
        return self
    return forward, reflected, inplace


for _name in ("add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "matmul", "and_",
              "or_", "xor", "lshift", "rshift"):
    _dunder = _name.rstrip("_")
    _f, _r, _i = _binary(getattr(operator, _name))
    setattr(ndarray, f"__{_dunder}__", _f)
    setattr(ndarray, f"__r{_dunder}__", _r)
    setattr(ndarray, f"__i{_dunder}__", _i)
for _name in ("lt", "le", "gt", "ge", "eq", "ne"):
    setattr(ndarray, f"__{_name}__", _binary(getattr(operator, _name))[0])
ndarray.__hash__ = None
ndarray.__module__ = "cupy._core.core"    # what pdeopt._xp.is_cupy_array looks for


def _asarray(a, dtype=None, order=None, **kwargs):
    if isinstance(a, ndarray):
        return ndarray(a._a if dtype is None else a._a.astype(dtype, copy=False))
    _moves["to_device"] += 1
    return ndarray(np.array(a, dtype=dtype, order=order or "K", copy=True))


def _array(a, dtype=None, copy=True, order="K", **kwargs):
    if isinstance(a, ndarray):
        return ndarray(np.array(a._a, dtype=dtype, copy=copy, order=order))
    return _asarray(a, dtype=dtype, order=order)


def _asnumpy(a, stream=None, out=None):
    return a.get() if isinstance(a, ndarray) else np.asarray(a)


def _namespace(name, source, extra=None):
    """A module whose functions are ``source``'s, taking and returning device arrays."""
    module = types.ModuleType(name)

    def __getattr__(attr):
        value = getattr(source, attr)
        if isinstance(value, types.ModuleType) or not callable(value) or isinstance(value, type):
            return value

        def function(*args, **kwargs):
            where = f"{name}.{attr}"
            return _wrap(value(*_strict(args, where),
                               **{k: _strict(v, where) for k, v in kwargs.items()}))
        function.__name__ = attr
        return function
    module.__getattr__ = __getattr__
    for key, value in (extra or {}).items():
        setattr(module, key, value)
    return module


class _Generator:
    """``cupy.random.default_rng(seed)``: NumPy's generator whose draws are device arrays
    (made on the device by CuPy, so not counted as transfers; CuPy's stream differs)."""

    def __init__(self, seed=None):
        self._g = np.random.default_rng(seed)

    def __getattr__(self, name):
        method = getattr(self._g, name)

        def draw(*args, **kwargs):
            return _wrap(np.asarray(method(*_strict(args, f"Generator.{name}"), **kwargs)))
        return draw


class _PlanCache:
    """``cupy.fft.config.get_plan_cache()``: sizes only (the fake has no plans)."""

    def __init__(self):
        self.size = 16

    def set_size(self, n):
        self.size = int(n)

    def get_size(self):
        return self.size

    def clear(self):
        pass


class _Device:
    def __init__(self, device=0):
        self.id = device

    def synchronize(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


class _csr_matrix:
    """``cupyx.scipy.sparse.csr_matrix`` over device arrays (data, indices, indptr)."""

    def __init__(self, arg, shape=None, dtype=None):
        import scipy.sparse as sp
        if isinstance(arg, tuple):
            data, indices, indptr = (_strict(v, "csr_matrix") for v in arg)
            self._m = sp.csr_matrix((data, indices, indptr), shape=shape, dtype=dtype)
        elif sp.issparse(arg):              # from a host SciPy matrix: one copy in
            _moves["to_device"] += 1
            self._m = sp.csr_matrix(arg, dtype=dtype, copy=True)
        else:
            raise TypeError(f"fake cupyx csr_matrix: unsupported {type(arg).__name__}")

    shape = property(lambda self: self._m.shape)
    dtype = property(lambda self: self._m.dtype)
    nnz = property(lambda self: self._m.nnz)
    data = property(lambda self: ndarray(self._m.data))
    indices = property(lambda self: ndarray(self._m.indices))
    indptr = property(lambda self: ndarray(self._m.indptr))

    def __matmul__(self, other):
        return _wrap(self._m @ _strict(other, "csr_matrix @"))

    dot = __matmul__

    def diagonal(self):
        return ndarray(self._m.diagonal())

    def get(self):
        _moves["to_host"] += 1
        return self._m.copy()


def _modules():
    fft = _namespace("cupy.fft", np.fft)
    fft.config = types.SimpleNamespace(get_plan_cache=_PlanCache, show_plan_cache_info=print)
    cuda = types.SimpleNamespace(
        Device=_Device,
        runtime=types.SimpleNamespace(getDeviceCount=lambda: 1),
        get_current_stream=lambda: types.SimpleNamespace(synchronize=lambda: None),
        Stream=types.SimpleNamespace(null=types.SimpleNamespace(synchronize=lambda: None)))
    cupy = _namespace("cupy", np, {
        "ndarray": ndarray, "asarray": _asarray, "array": _array, "asnumpy": _asnumpy,
        "fft": fft, "linalg": _namespace("cupy.linalg", np.linalg),
        "random": _namespace("cupy.random", np.random, {"default_rng": _Generator}),
        "cuda": cuda,
        "get_array_module": lambda *arrays: sys.modules["cupy"],
        "__version__": "fake", "__fake__": True})
    sparse = types.ModuleType("cupyx.scipy.sparse")
    sparse.csr_matrix = _csr_matrix
    sparse.issparse = lambda m: isinstance(m, _csr_matrix)
    scipy_ = types.ModuleType("cupyx.scipy")
    scipy_.sparse = sparse
    cupyx = types.ModuleType("cupyx")
    cupyx.scipy = scipy_
    return {"cupy": cupy, "cupy.fft": fft, "cupy.linalg": cupy.linalg,
            "cupy.random": cupy.random, "cupyx": cupyx, "cupyx.scipy": scipy_,
            "cupyx.scipy.sparse": sparse}


@contextlib.contextmanager
def installed():
    """Install the fake ``cupy`` (and ``cupyx.scipy.sparse``) in ``sys.modules`` for a
    ``with`` block, restoring whatever was there; yields the ``cupy`` module. The transfer
    counts start at zero."""
    modules = _modules()
    saved = {name: sys.modules.get(name) for name in modules}
    _moves.update(to_device=0, to_host=0)
    sys.modules.update(modules)
    try:
        yield modules["cupy"]
    finally:
        for name, old in saved.items():
            if old is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = old
