"""Kernels of ``pdeopt.graph``: Gaussian weight assembly, CSR × block products, block PCG.

``graph.weights``
    Self-tuning Gaussian weights of a k-nearest-neighbour graph as a CSR triple:
    row i holds w(x_i, x_j) = exp(−|x_i − x_j|²/σ_i²) for its k neighbours j.
``graph.spmm``
    Y = A X for a CSR matrix A (``indptr, indices, data``) and a dense block
    X of shape (n_cols, m); rows are independent (parallel over rows). ``out=``
    takes the array Y is written into.
``graph.pcg``
    Jacobi-preconditioned conjugate gradients, one independent CG per column of
    B, for the Laplacian-type SPD system (diag(d) − W) X = B where W is a CSR
    matrix with zero diagonal (the reduced GL/WNLL system). The NumPy twin is
    ``pcg_block``, the loop written once against the array namespace, which
    ``pcg_device`` runs on CuPy arrays with a device product
    (``laplacian_operator``: the numba.cuda sweep ``csr_rows_cuda``, a warp per
    row, or cuSPARSE).

Precision follows the input: ``graph.weights`` returns weights in the distances' dtype
(float32 or float64), ``graph.spmm`` a product in the common dtype of A's data and X
(float32 when both are; the vector row sum is float64 IR, so float32 blocks take the plain
row loops). ``graph.pcg`` and the CUDA product compute in float64.

Every kernel assumes clean input (checked by the public API): float32/float64 arrays,
int32 or int64 CSR index arrays (numba compiles one version
for each), C-contiguous blocks, σ_i > 0, d_i > 0.
"""
import math

import numpy as np
from llvmlite import ir
from numba import cuda, prange
from numba.core import cgutils, types
from numba.core.extending import intrinsic

from ._registry import compiled, njit, pnjit, register

__all__ = []

#: Below this much work (multiply-adds per product, weights per graph) the kernels
#: run on one thread.
PARALLEL_MIN_WORK = 1_000_000

#: For the per-row bodies shared by a parallel and a serial loop: inlined in numba's IR,
#: since an ordinary call is not inlined by LLVM here and costs ~25 % in ``graph.spmm``.
_row_body = compiled(inline="always")


# -- weight assembly ---------------------------------------------------------------------------

def _weights_numpy(neighbors, distances, sigma):
    n, k = neighbors.shape
    data = np.exp(-(distances / sigma[:, None]) ** 2).ravel()
    indptr = np.arange(0, n * k + 1, k, dtype=np.int64)
    return indptr, neighbors.astype(np.int64).ravel(), data


def _weights_numba(neighbors, distances, sigma):
    # NumPy allocates and takes the exponential (its SIMD exp is several times faster
    # than numba's scalar libm call, and the result is then bit-identical to the twin);
    # one pass writes the indices and the exponents −(d/σ)², on all cores when large.
    n, k = neighbors.shape
    indices = np.empty(n * k, np.int64)
    data = np.empty(n * k, distances.dtype)  # float32 distances: float32 weights
    exponents = _weights_exponents if n * k >= PARALLEL_MIN_WORK else _weights_exponents_serial
    exponents(neighbors, distances, sigma, indices, data)
    np.exp(data, out=data)
    return np.arange(0, n * k + 1, k, dtype=np.int64), indices, data


@_row_body
def _weights_row(neighbors, distances, sigma, indices, data, i):
    k = neighbors.shape[1]
    s = sigma[i]
    for j in range(k):
        r = distances[i, j] / s
        indices[i * k + j] = neighbors[i, j]
        data[i * k + j] = -(r * r)


@pnjit
def _weights_exponents(neighbors, distances, sigma, indices, data):
    for i in prange(neighbors.shape[0]):
        _weights_row(neighbors, distances, sigma, indices, data, i)


@njit
def _weights_exponents_serial(neighbors, distances, sigma, indices, data):
    # small inputs: waking the thread pool costs more than it saves (and up to a
    # scheduler tick when the other cores are busy)
    for i in range(neighbors.shape[0]):
        _weights_row(neighbors, distances, sigma, indices, data, i)


# -- CSR × dense block ---------------------------------------------------------------------------

def _spmm_dtype(data, x):
    """The product's dtype: float32 when A's data and X both are, else float64."""
    return np.float32 if data.dtype == np.float32 and x.dtype == np.float32 else np.float64


def _spmm_out(indptr, x, out, dtype=np.float64):
    """``out`` (a C-contiguous array of the product's shape and ``dtype``), or a new one."""
    shape = (indptr.size - 1, x.shape[1])
    if out is None:
        return np.empty(shape, dtype)
    if out.shape != shape or out.dtype != dtype or not out.flags.c_contiguous:
        raise ValueError(f"out must be a C-contiguous {np.dtype(dtype)} array of shape "
                         f"{shape}, got {out.dtype} {out.shape}")
    return out


def _spmm_numpy(indptr, indices, data, x, out=None):
    import scipy.sparse as sp
    dtype = _spmm_dtype(data, x)
    a = sp.csr_matrix((data.astype(dtype, copy=False), indices, indptr),
                      shape=(indptr.size - 1, x.shape[0]))
    x = x.astype(dtype, copy=False)
    y = _spmm_out(indptr, x, out, dtype)
    y[...] = a @ x
    return y


def _spmm_numba(indptr, indices, data, x, out=None):
    # ``out``: a loop of products (a CG) reuses one array; a fresh 5.6 MB result costs
    # its page faults, about a quarter of the product at MNIST size
    dtype = _spmm_dtype(data, x)
    x = np.ascontiguousarray(x, dtype=dtype)  # the vector row sum reads whole rows
    y = _spmm_out(indptr, x, out, dtype)
    if dtype == np.float32:  # the vector row sum is float64 IR: the plain row loops
        big = indices.size * x.shape[1] >= PARALLEL_MIN_WORK
        (_spmm_rows_plain if big else _spmm_rows_plain_serial)(indptr, indices, data, x, y)
        return y
    data = data.astype(np.float64, copy=False)
    rows = _spmm_rows if indices.size * x.shape[1] >= PARALLEL_MIN_WORK else _spmm_rows_serial
    rows(indptr, indices, data, x, y)
    return y


#: How many nonzeros ahead ``graph.spmm`` prefetches the rows of X it will gather.
PREFETCH_DISTANCE = 16


def _emit_prefetch(builder, ptr):
    """IR: ask the CPU to load ptr's cache line (read, high temporal locality, data cache)."""
    i8p, i32 = ir.IntType(8).as_pointer(), ir.IntType(32)
    fn = cgutils.get_or_insert_function(
        builder.module, ir.FunctionType(ir.VoidType(), [i8p, i32, i32, i32]),
        "llvm.prefetch.p0i8")
    builder.call(fn, [builder.bitcast(ptr, i8p), ir.Constant(i32, 0), ir.Constant(i32, 3),
                      ir.Constant(i32, 1)])


@intrinsic
def _prefetch(typingctx, array, row, col):
    """Hint the CPU to load the cache line of the 2-D ``array[row, col]`` (llvm.prefetch)."""
    def codegen(context, builder, signature, args):
        array_type = signature.args[0]
        arr = context.make_array(array_type)(context, builder, args[0])
        index = [context.cast(builder, v, t, types.intp)
                 for v, t in zip(args[1:], signature.args[1:])]
        _emit_prefetch(builder, cgutils.get_item_pointer(context, builder, array_type, arr,
                                                         index, wraparound=False))
        return context.get_dummy_value()
    return types.void(array, row, col), codegen


@_row_body
def _prefetch_ahead(x, indices, q):
    # request the row of x that nonzero q + PREFETCH_DISTANCE will gather (first and
    # last element: a row may straddle two cache lines); does not change any result
    r = q + PREFETCH_DISTANCE
    if r < indices.size:
        _prefetch(x, indices[r], 0)
        _prefetch(x, indices[r], x.shape[1] - 1)


# -- the row sum in vector registers (blocks of at most SIMD_MAX_COLUMNS columns) ------------------
#
# LLVM vectorises the runtime-length column loops below 16 at a time, so a block of
# 10 class columns ran their scalar remainder, with y[i] read and written through
# memory for every nonzero; and numba leaves the SLP vectoriser off (miscompilations),
# so a compile-time column count does not help either. These intrinsics emit the IR
# directly: the row's sum lives in two 8-lane registers, the columns past m are masked
# out of the loads and stores (never read), and the nonzeros are added in their order
# (y[i] is then bitwise SciPy's). Where the CPU has no masked loads LLVM splits them
# into guarded scalar loads: slower, equally exact.

#: Widest column block the vector row sum takes; wider blocks use the plain loops.
SIMD_MAX_COLUMNS = 16
#: Nonzeros ahead whose rows of X the vector row sum prefetches.
SIMD_PREFETCH_DISTANCE = 32
_LANES = SIMD_MAX_COLUMNS // 2
_F64 = ir.DoubleType()
_VEC = ir.VectorType(_F64, _LANES)
_MASK = ir.VectorType(ir.IntType(1), _LANES)
_I32 = ir.IntType(32)
_I64 = ir.IntType(64)


def _splat(builder, value, vector=_VEC):
    """IR: ``value`` in every lane of a vector of type ``vector``."""
    v = builder.insert_element(ir.Constant(vector, ir.Undefined), value, ir.Constant(_I32, 0))
    return builder.shuffle_vector(v, ir.Constant(vector, ir.Undefined),
                                  ir.Constant(ir.VectorType(_I32, vector.count), [0] * vector.count))


def _masked(builder, name, fn_type, args):
    return builder.call(cgutils.get_or_insert_function(builder.module, fn_type, name), args)


def _load_lanes(builder, ptr, mask):
    """The 8 doubles at ptr where mask is set (0 elsewhere; masked lanes are not read)."""
    return _masked(builder, "llvm.masked.load.v8f64.p0v8f64",
                   ir.FunctionType(_VEC, [_VEC.as_pointer(), _I32, _MASK, _VEC]),
                   [builder.bitcast(ptr, _VEC.as_pointer()), ir.Constant(_I32, 8), mask,
                    ir.Constant(_VEC, [0.0] * _LANES)])


def _store_lanes(builder, value, ptr, mask):
    _masked(builder, "llvm.masked.store.v8f64.p0v8f64",
            ir.FunctionType(ir.VoidType(), [_VEC, _VEC.as_pointer(), _I32, _MASK]),
            [value, builder.bitcast(ptr, _VEC.as_pointer()), ir.Constant(_I32, 8), mask])


class _Rows:
    """IR helpers over a row-major float64 block (the array struct of a 2-D C array)."""

    def __init__(self, context, builder, array_type, value):
        self.context, self.builder, self.type = context, builder, array_type
        self.array = context.make_array(array_type)(context, builder, value)
        self.columns = builder.extract_value(self.array.shape, 1)

    def pointer(self, row, col):
        return cgutils.get_item_pointer(self.context, self.builder, self.type, self.array,
                                        [row, col], wraparound=False)

    def halves(self, row):
        """Pointers to the two 8-column halves of the row."""
        first = self.pointer(row, ir.Constant(_I64, 0))
        return first, self.builder.gep(first, [ir.Constant(_I64, _LANES)])


def _element(context, builder, array_type, value, k):
    """array[k] of a 1-D array, as intp (integers) or double."""
    arr = context.make_array(array_type)(context, builder, value)
    ptr = cgutils.get_item_pointer(context, builder, array_type, arr, [k], wraparound=False)
    to = types.intp if isinstance(array_type.dtype, types.Integer) else types.float64
    return context.cast(builder, builder.load(ptr), array_type.dtype, to)


def _emit_row_sum(context, builder, csr_types, csr_values, x, i, masks):
    """IR of (lo, hi) = Σ_q data[q]·x[indices[q], 0:16] over row i, q in order."""
    indptr_t, indices_t, data_t = csr_types
    indptr, indices, data = csr_values
    start = _element(context, builder, indptr_t, indptr, i)
    end = _element(context, builder, indptr_t, indptr, builder.add(i, ir.Constant(_I64, 1)))
    nnz = builder.extract_value(context.make_array(indices_t)(context, builder, indices).shape, 0)
    zero = ir.Constant(_VEC, [0.0] * _LANES)
    entry = builder.block
    head = builder.append_basic_block("rowsum.head")
    body = builder.append_basic_block("rowsum.body")
    done = builder.append_basic_block("rowsum.done")
    builder.branch(head)
    builder.position_at_end(head)
    q, lo, hi = builder.phi(_I64), builder.phi(_VEC), builder.phi(_VEC)
    for phi, init in ((q, start), (lo, zero), (hi, zero)):
        phi.add_incoming(init, entry)
    builder.cbranch(builder.icmp_signed("<", q, end), body, done)

    builder.position_at_end(body)
    # request the row SIMD_PREFETCH_DISTANCE nonzeros ahead (its first and last column)
    ahead = builder.add(q, ir.Constant(_I64, SIMD_PREFETCH_DISTANCE))
    ahead = builder.select(builder.icmp_signed("<", ahead, nnz), ahead,
                           builder.sub(nnz, ir.Constant(_I64, 1)))
    j_ahead = _element(context, builder, indices_t, indices, ahead)
    for col in (ir.Constant(_I64, 0), builder.sub(x.columns, ir.Constant(_I64, 1))):
        _emit_prefetch(builder, x.pointer(j_ahead, col))
    j = _element(context, builder, indices_t, indices, q)
    w = _splat(builder, _element(context, builder, data_t, data, q))
    first, second = x.halves(j)
    lo_next = builder.fadd(lo, builder.fmul(w, _load_lanes(builder, first, masks[0])))
    hi_next = builder.fadd(hi, builder.fmul(w, _load_lanes(builder, second, masks[1])))
    q_next = builder.add(q, ir.Constant(_I64, 1))
    for phi, value in ((q, q_next), (lo, lo_next), (hi, hi_next)):
        phi.add_incoming(value, builder.block)
    builder.branch(head)
    builder.position_at_end(done)
    return lo, hi


def _column_masks(builder, columns):
    """IR: the lanes of the two 8-column halves that lie below ``columns``."""
    lanes = ir.VectorType(_I64, _LANES)
    limit = _splat(builder, columns, lanes)
    return [builder.icmp_unsigned("<", ir.Constant(lanes, list(range(h * _LANES,
                                                                      (h + 1) * _LANES))),
                                  limit) for h in range(2)]


def _is_block(t):
    return isinstance(t, types.Array) and t.ndim == 2 and t.layout == "C" and t.dtype == types.float64


def _is_csr(indptr, indices, data):
    return (all(isinstance(t, types.Array) and t.ndim == 1 and isinstance(t.dtype, types.Integer)
                for t in (indptr, indices))
            and isinstance(data, types.Array) and data.ndim == 1 and data.dtype == types.float64)


def _row_sum_codegen(context, builder, signature, args, block):
    """Shared IR of the row intrinsics, whose arguments are (indptr, indices, data, …,
    x, out, i) with x at position ``block``: (x, out, i, masks, (lo, hi) row sum)."""
    x = _Rows(context, builder, signature.args[block], args[block])
    out = _Rows(context, builder, signature.args[block + 1], args[block + 1])
    row = context.cast(builder, args[block + 2], signature.args[block + 2], types.intp)
    masks = _column_masks(builder, x.columns)
    sums = _emit_row_sum(context, builder, signature.args[:3], args[:3], x, row, masks)
    return x, out, row, masks, sums


@intrinsic
def _spmm_row_simd(typingctx, indptr, indices, data, x, y, i):
    """y[i, :m] = Σ_q data[q]·x[indices[q], :m] over row i (m = x.shape[1] ≤ 16)."""
    if not (_is_csr(indptr, indices, data) and _is_block(x) and _is_block(y)):
        return None

    def codegen(context, builder, signature, args):
        _, vy, row, masks, sums = _row_sum_codegen(context, builder, signature, args, 3)
        for value, ptr, mask in zip(sums, vy.halves(row), masks):
            _store_lanes(builder, value, ptr, mask)
        return context.get_dummy_value()
    return types.void(indptr, indices, data, x, y, i), codegen


@intrinsic
def _laplacian_row_simd(typingctx, indptr, indices, data, diag, p, out, i):
    """out[i, :m] = diag[i]·p[i, :m] − Σ_q data[q]·p[indices[q], :m] (m ≤ 16)."""
    if not (_is_csr(indptr, indices, data) and _is_block(p) and _is_block(out)
            and isinstance(diag, types.Array) and diag.dtype == types.float64):
        return None

    def codegen(context, builder, signature, args):
        vp, vout, row, masks, sums = _row_sum_codegen(context, builder, signature, args, 4)
        d = _splat(builder, _element(context, builder, signature.args[3], args[3], row))
        for total, own, ptr, mask in zip(sums, vp.halves(row), vout.halves(row), masks):
            value = builder.fsub(builder.fmul(d, _load_lanes(builder, own, mask)), total)
            _store_lanes(builder, value, ptr, mask)
        return context.get_dummy_value()
    return types.void(indptr, indices, data, diag, p, out, i), codegen


@_row_body
def _spmm_row(indptr, indices, data, x, y, i, prefetch):
    # Two nonzeros per step: two independent row gathers in flight and half the
    # read-modify-writes of y[i] (sums a·x_j + b·x_l first: equal to the twin to
    # a few ulps, not bitwise). The row of y stays in L1 while it is summed. The
    # gathers are random reads from L2/L3 and bound the time: the rows wanted
    # PREFETCH_DISTANCE nonzeros ahead are requested early (~15 % faster).
    m = x.shape[1]
    for c in range(m):
        y[i, c] = 0.0
    p, end = indptr[i], indptr[i + 1]
    while p + 2 <= end:
        if prefetch:
            _prefetch_ahead(x, indices, p)
            _prefetch_ahead(x, indices, p + 1)
        a, j = data[p], indices[p]
        b, l = data[p + 1], indices[p + 1]
        for c in range(m):
            y[i, c] += a * x[j, c] + b * x[l, c]
        p += 2
    if p < end:
        a, j = data[p], indices[p]
        for c in range(m):
            y[i, c] += a * x[j, c]


@pnjit
def _spmm_rows_simd(indptr, indices, data, x, y):
    for i in prange(indptr.size - 1):
        _spmm_row_simd(indptr, indices, data, x, y, i)


@njit
def _spmm_rows_simd_serial(indptr, indices, data, x, y):
    for i in range(indptr.size - 1):
        _spmm_row_simd(indptr, indices, data, x, y, i)


@pnjit
def _spmm_rows_plain(indptr, indices, data, x, y):
    for i in prange(indptr.size - 1):
        _spmm_row(indptr, indices, data, x, y, i, True)


@njit
def _spmm_rows_plain_serial(indptr, indices, data, x, y):
    for i in range(indptr.size - 1):
        _spmm_row(indptr, indices, data, x, y, i, False)


# The column test sits outside the row loops: inside, it costs 15-25 % of the product.
@pnjit
def _spmm_rows(indptr, indices, data, x, y):
    if x.shape[1] <= SIMD_MAX_COLUMNS:
        _spmm_rows_simd(indptr, indices, data, x, y)
        return
    for i in prange(indptr.size - 1):
        _spmm_row(indptr, indices, data, x, y, i, True)


@njit
def _spmm_rows_serial(indptr, indices, data, x, y):
    if x.shape[1] <= SIMD_MAX_COLUMNS:
        _spmm_rows_simd_serial(indptr, indices, data, x, y)
        return
    for i in range(indptr.size - 1):
        # small inputs sit in cache: no prefetching (it makes numba's serial loop slow)
        _spmm_row(indptr, indices, data, x, y, i, False)


def _spmm_cuda(indptr, indices, data, x, out=None):
    # host arrays in, host float64 product out (the CSR and X copied in per call); the
    # solvers keep their arrays on the device and call ``csr_rows_cuda`` instead
    y = _spmm_out(indptr, x, out)
    d_y = cuda.device_array(y.shape, np.float64)
    d_data = cuda.to_device(np.ascontiguousarray(data, dtype=np.float64))
    csr_rows_cuda(cuda.to_device(np.ascontiguousarray(indptr)),
                  cuda.to_device(np.ascontiguousarray(indices)), d_data, None,
                  cuda.to_device(np.ascontiguousarray(x, dtype=np.float64)), d_y)
    d_y.copy_to_host(y)
    return y


#: Threads of a warp: one warp reads one CSR row.
WARP = 32
#: Rows (warps) per thread block of the CUDA row products.
ROWS_PER_BLOCK = 4


def _csr_rows_warp_body(indptr, indices, data, diag, x, y, laplacian):
    # One warp per row i: lane l takes column c = c0 + l % w of a chunk of w ≤ 32 columns
    # and every s-th nonzero from l // w on (s = 32 // w slots), so the row's indices and
    # weights are read once and each gathered row of x is read by adjacent lanes
    # (coalesced). The slots' partial sums meet in shared memory. y = A x, or with
    # ``laplacian`` y = diag ∘ x − A x (the CG's product, one sweep).
    # ``cuda`` is the module global, which the simulator (NUMBA_ENABLE_CUDASIM=1) swaps.
    partial = cuda.shared.array((ROWS_PER_BLOCK, WARP), np.float64)
    lane = cuda.threadIdx.x % WARP
    warp = cuda.threadIdx.x // WARP
    i = cuda.blockIdx.x * ROWS_PER_BLOCK + warp
    n, m = y.shape
    for c0 in range(0, m, WARP):  # every thread runs every chunk: syncthreads is safe
        width = min(WARP, m - c0)
        slots = WARP // width
        slot = lane // width
        c = c0 + lane % width
        acc = 0.0
        if i < n and slot < slots:
            for q in range(indptr[i] + slot, indptr[i + 1], slots):
                acc += data[q] * x[indices[q], c]
        partial[warp, lane] = acc
        cuda.syncthreads()
        if i < n and lane < width:
            total = 0.0
            for s in range(slots):
                total += partial[warp, s * width + lane]
            if laplacian:
                y[i, c] = diag[i] * x[i, c] - total
            else:
                y[i, c] = total
        cuda.syncthreads()


_CUDA_CACHE = {}


def _cuda_rows_kernel():
    # compiled on first use: importing this module must not need a GPU
    if "rows" not in _CUDA_CACHE:
        _CUDA_CACHE["rows"] = cuda.jit(_csr_rows_warp_body)
    return _CUDA_CACHE["rows"]


def csr_rows_cuda(indptr, indices, data, diag, x, y):
    """On the device: y = A x, or y = diag ∘ x − A x when ``diag`` is given (one sweep).

    A is the CSR triple; all arrays are device arrays (numba's, CuPy's or any
    ``__cuda_array_interface__`` object, viewed without a copy), x and y C-contiguous
    float64 of shapes (n_cols, m) and (n_rows, m). One warp reads each row once.
    """
    from ._device import as_numba
    args = [as_numba(a) for a in (indptr, indices, data, x, y)]
    laplacian = diag is not None
    d = as_numba(diag) if laplacian else args[2]  # not read without a diagonal
    n = y.shape[0]
    blocks = max(1, (n + ROWS_PER_BLOCK - 1) // ROWS_PER_BLOCK)
    _cuda_rows_kernel()[blocks, ROWS_PER_BLOCK * WARP](*args[:3], d, args[3], args[4],
                                                       laplacian)
    return y


# -- block Jacobi-preconditioned CG ---------------------------------------------------------------

def _pcg_numpy(indptr, indices, data, diag, b, x0, tol, maxiter):
    """One CG per column of ``b`` on (diag(d) − W) x = b, preconditioner diag(d)⁻¹.

    Returns ``x, iterations, residual`` with ``residual[k]`` the largest
    relative residual |b − A x|/|b| over the columns after iteration k (entry
    0: the start). A column stops updating once its residual is ≤ ``tol``.
    """
    def apply(p, out):
        out[...] = diag[:, None] * p - _spmm_numpy(indptr, indices, data, p)
        return out

    return pcg_block(apply, diag, b, x0, tol, maxiter)


def pcg_block(apply, diag, b, x0, tol, maxiter):
    """Block Jacobi-PCG, written once for NumPy and CuPy arrays (``xp = namespace(b)``).

    One CG per column of ``b`` for A x = b with A = diag(d) − W SPD, preconditioner
    diag(d)⁻¹: α = (r·z)/(p·Ap), x ← x + αp, r ← r − αAp, z = r/d, β = (r·z)_new/(r·z),
    p ← z + βp (Hestenes–Stiefel 1952; Saad, *Iterative Methods*, alg. 9.1). A column
    stops (α = β = 0) once |r|/|b| ≤ ``tol``. ``apply(p, out)`` writes A p into ``out``.

    On the device every array stays there: the iterates are updated in place (the
    buffers keep their addresses), the residual history is kept on the device, and the
    one sync per iteration is the stopping test. Returns ``x, iterations, residual``
    (``residual`` of b's namespace, ``iterations + 1`` entries).
    """
    from pdeopt._xp import namespace
    xp = namespace(b)
    d = diag[:, None]
    x = x0.copy()
    q = xp.empty_like(b)
    r = b - apply(x, q)
    bnorm = xp.sqrt(xp.sum(b * b, axis=0))
    bnorm[bnorm == 0] = 1.0
    z = r / d
    p = z.copy()
    rz = xp.sum(r * z, axis=0)
    rel = xp.sqrt(xp.sum(r * r, axis=0)) / bnorm
    history = [xp.max(rel)]
    active = rel > tol
    it = 0
    while it < maxiter and bool(active.any()):  # the iteration's one device→host sync
        it += 1
        apply(p, q)
        pq = xp.sum(p * q, axis=0)
        alpha = xp.where(active, rz / xp.where(pq > 0, pq, 1.0), 0.0)
        x += alpha * p
        r -= alpha * q
        rel = xp.sqrt(xp.sum(r * r, axis=0)) / bnorm
        history.append(xp.max(rel))
        active &= rel > tol
        xp.divide(r, d, out=z)
        rz_new = xp.sum(r * z, axis=0)
        beta = xp.where(active, rz_new / xp.where(rz > 0, rz, 1.0), 0.0)
        p *= beta
        p += z  # p = z + βp, in place
        rz = rz_new
    return x, it, xp.stack(history)


#: The product A p = diag ∘ p − W p of the device CG: ``"kernel"`` (the numba.cuda sweep
#: of ``csr_rows_cuda``, a warp per row, diagonal fused), ``"cusparse"`` (CuPy's
#: ``csr_matrix @ p``, then the diagonal term), or ``"auto"``: the kernel where numba.cuda
#: can map the arrays, else cuSPARSE. ``pdeopt bench gpu-graph`` times both.
DEVICE_PRODUCT = "auto"


def _kernel_can_map(xp) -> bool:
    """Whether the numba.cuda kernels can run on arrays of namespace ``xp``: a GPU with
    real CuPy, or the simulator with pdeopt's fake CuPy (host memory on both sides)."""
    from ._device import simulated
    from ._registry import cuda_available
    return cuda_available()[0] and simulated() == bool(getattr(xp, "__fake__", False))


def laplacian_operator(indptr, indices, data, diag, product=None):
    """``apply(p, out)``: out = diag ∘ p − W p for device arrays (CuPy), W the CSR triple.

    ``product`` is one of ``"auto"``, ``"kernel"``, ``"cusparse"`` (default
    ``DEVICE_PRODUCT``). The CSR is viewed (kernel) or wrapped (cuSPARSE) once here,
    not per product.
    """
    from pdeopt._xp import namespace
    xp = namespace(data)
    product = DEVICE_PRODUCT if product is None else product
    if product == "auto":
        product = "kernel" if _kernel_can_map(xp) else "cusparse"
    if product == "cusparse":
        from cupyx.scipy.sparse import csr_matrix
        W = csr_matrix((data, indices, indptr), shape=(diag.size, diag.size))
        d = diag[:, None]

        def apply(p, out):
            xp.multiply(d, p, out=out)
            out -= W @ p
            return out
        return apply
    if product != "kernel":
        raise ValueError(f"product must be 'auto', 'kernel' or 'cusparse', got {product!r}")
    from ._device import as_numba
    views = {}  # id → (array, numba view); the array kept alive: the view may not own it

    def view(a):
        if id(a) not in views:
            views[id(a)] = (a, as_numba(a))
        return views[id(a)][1]

    csr = [view(a) for a in (indptr, indices, data, diag)]  # viewed once, not per product

    def apply(p, out):
        csr_rows_cuda(*csr, view(p), view(out))
        return out
    return apply


def pcg_device(indptr, indices, data, diag, b, x0, tol, maxiter, product=None):
    """``graph.pcg`` on device arrays (CuPy): ``pcg_block`` with the device product of
    ``laplacian_operator``; everything stays on the device."""
    apply = laplacian_operator(indptr, indices, data, diag, product)
    return pcg_block(apply, diag, b, x0, tol, maxiter)


@pnjit
def _laplacian_apply(indptr, indices, data, diag, p, out):
    # out = diag(d) p − W p, parallel over rows; prefetching the gathered rows of p
    # makes it 20-35 % faster at 70 000 rows and leaves every bit of out unchanged
    n, m = p.shape
    if m <= SIMD_MAX_COLUMNS:
        for i in prange(n):
            _laplacian_row_simd(indptr, indices, data, diag, p, out, i)
        return
    for i in prange(n):
        for c in range(m):
            out[i, c] = diag[i] * p[i, c]
        for q in range(indptr[i], indptr[i + 1]):
            _prefetch_ahead(p, indices, q)
            a = data[q]
            j = indices[q]
            for c in range(m):
                out[i, c] -= a * p[j, c]


@njit
def _laplacian_apply_serial(indptr, indices, data, diag, p, out):
    # the same, serial: small systems, where threads cost more than they save
    n, m = p.shape
    if m <= SIMD_MAX_COLUMNS:
        for i in range(n):
            _laplacian_row_simd(indptr, indices, data, diag, p, out, i)
        return
    for i in range(n):
        for c in range(m):
            out[i, c] = diag[i] * p[i, c]
        for q in range(indptr[i], indptr[i + 1]):
            a = data[q]
            j = indices[q]
            for c in range(m):
                out[i, c] -= a * p[j, c]


@njit
def _apply(indptr, indices, data, diag, p, out, parallel):
    if parallel:
        _laplacian_apply(indptr, indices, data, diag, p, out)
    else:
        _laplacian_apply_serial(indptr, indices, data, diag, p, out)


@njit
def _column_dots(a, b, out):
    n, m = a.shape
    for c in range(m):
        out[c] = 0.0
    for i in range(n):
        for c in range(m):
            out[c] += a[i, c] * b[i, c]


@njit
def _pcg_numba(indptr, indices, data, diag, b, x0, tol, maxiter):
    n, m = b.shape
    parallel = indices.size * m >= PARALLEL_MIN_WORK
    x = x0.copy()
    r = np.empty((n, m))
    _apply(indptr, indices, data, diag, x, r, parallel)
    for i in range(n):
        for c in range(m):
            r[i, c] = b[i, c] - r[i, c]
    bnorm = np.empty(m)
    _column_dots(b, b, bnorm)
    for c in range(m):
        bnorm[c] = math.sqrt(bnorm[c]) if bnorm[c] > 0 else 1.0
    z = np.empty((n, m))
    for i in range(n):
        for c in range(m):
            z[i, c] = r[i, c] / diag[i]
    p = z.copy()
    q = np.empty((n, m))
    rz = np.empty(m)
    _column_dots(r, z, rz)
    rr = np.empty(m)
    _column_dots(r, r, rr)
    history = np.empty(maxiter + 1)
    active = np.empty(m, np.bool_)
    worst = 0.0
    for c in range(m):
        rel = math.sqrt(rr[c]) / bnorm[c]
        active[c] = rel > tol
        worst = max(worst, rel)
    history[0] = worst
    pq = np.empty(m)
    alpha = np.empty(m)
    beta = np.empty(m)
    rz_new = np.empty(m)
    it = 0
    while it < maxiter and active.any():
        it += 1
        _apply(indptr, indices, data, diag, p, q, parallel)
        _column_dots(p, q, pq)
        for c in range(m):
            alpha[c] = rz[c] / pq[c] if (active[c] and pq[c] > 0) else 0.0
        for i in range(n):
            for c in range(m):
                x[i, c] += alpha[c] * p[i, c]
                r[i, c] -= alpha[c] * q[i, c]
                z[i, c] = r[i, c] / diag[i]
        _column_dots(r, r, rr)
        _column_dots(r, z, rz_new)
        worst = 0.0
        for c in range(m):
            rel = math.sqrt(rr[c]) / bnorm[c]
            worst = max(worst, rel)
            active[c] = active[c] and rel > tol
            beta[c] = rz_new[c] / rz[c] if (active[c] and rz[c] > 0) else 0.0
            rz[c] = rz_new[c]
        history[it] = worst
        for i in range(n):
            for c in range(m):
                p[i, c] = z[i, c] + beta[c] * p[i, c]
    return x, it, history[:it + 1].copy()


register("graph.weights", numpy=_weights_numpy, numba=_weights_numba)
register("graph.spmm", numpy=_spmm_numpy, numba=_spmm_numba, cuda=_spmm_cuda)
register("graph.pcg", numpy=_pcg_numpy, numba=_pcg_numba)
