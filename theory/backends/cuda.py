"""``numba-cuda`` and ``cached-cuda``: the same algorithms on one GPU with ``@cuda.jit`` kernels.

- numba-cuda: one thread per (event, contour node) computes K_ij (3 complex numbers, via the
  same ``theory.response.event_response`` as the CPU) and adds Im(K_ij . c_j) into dsigma_i; a
  second launch adds u_i K_ij into G (real and imaginary parts separately: CUDA has no complex
  atomic add).
- cached-cuda: the real-layout kernel (``theory.backends.cached``) lives on the device; forward
  and reverse passes are two tiled shared-memory matrix products (C = A B and C = A^T B).

Kernels use only arithmetic, cmath and float64 atomics, so they run unchanged on a GPU and in
the simulator (NUMBA_ENABLE_CUDASIM=1, how CI tests them); tests/test_cuda.py also compiles every
kernel to PTX for sm_80 without a GPU. Pick the device with CUDA_VISIBLE_DEVICES (one per job).
"""

import cmath
import math

import numpy as np
from numba import config, cuda

from ..response import event_response as _event_response
from .base import Backend
from .cached import CachedKernel, complex_gradient, parameter_vectors
from .problem import event_u

# The simulator runs kernels as Python: it calls the plain function (the CPU-compiled one cannot
# take simulated device arrays). On a GPU the njit function compiles as a device function.
event_response = _event_response.py_func if config.ENABLE_CUDASIM else _event_response


def _entries(i, j, N, w, region, a, lnrho, y, factor, logx, order, mode, a0, nf, e2sum, F, gam, pw, XY, coef):
    """``theory.response.kernel_entries`` for the device. Written out here (not called) because the
    simulator must reach ``event_response``'s plain Python function, which a call through the
    CPU-compiled ``kernel_entries`` would not."""
    R = event_response(j, region[i], a[i], lnrho[i], y[i], order, mode, a0, nf, e2sum, F, gam, pw, XY, coef)
    kf = factor[i] * w[j] * cmath.exp(-N[j] * logx[i])
    return kf * R[0], kf * R[1], kf * R[2]


kernel_entries = _entries if config.ENABLE_CUDASIM else cuda.jit(device=True)(_entries)

THREADS = 128
TILE = 16


@cuda.jit
def direct_ds_kernel(N, w, region, a, lnrho, y, factor, logx, target, order, mode,
                     a0, nf, e2sum, F, gam, pw, XY, coef, comps, ds):  # fmt: skip
    """ds[b, i] += Im sum_k K_ijk c[b, t_i, j, k] for the (event i, node j) of this thread."""
    idx = cuda.grid(1)
    n_nodes = N.shape[0]
    if idx >= region.shape[0] * n_nodes:
        return
    i = idx // n_nodes
    j = idx - i * n_nodes
    K = kernel_entries(i, j, N, w, region, a, lnrho, y, factor, logx, order, mode, a0, nf, e2sum, F, gam, pw, XY, coef)
    t = target[i]
    for b in range(comps.shape[0]):
        val = (K[0] * comps[b, t, j, 0] + K[1] * comps[b, t, j, 1] + K[2] * comps[b, t, j, 2]).imag
        cuda.atomic.add(ds, (b, i), val)


@cuda.jit
def direct_grad_kernel(N, w, region, a, lnrho, y, factor, logx, target, order, mode,
                       a0, nf, e2sum, F, gam, pw, XY, coef, u, G_re, G_im):  # fmt: skip
    """G[b, t_i, k, j] += u[b, i] K_ijk, split into real and imaginary parts."""
    idx = cuda.grid(1)
    n_nodes = N.shape[0]
    if idx >= region.shape[0] * n_nodes:
        return
    i = idx // n_nodes
    j = idx - i * n_nodes
    K = kernel_entries(i, j, N, w, region, a, lnrho, y, factor, logx, order, mode, a0, nf, e2sum, F, gam, pw, XY, coef)
    t = target[i]
    for b in range(u.shape[0]):
        ub = u[b, i]
        if ub != 0.0:
            for k in range(3):
                v = ub * K[k]
                cuda.atomic.add(G_re, (b, t, k, j), v.real)
                cuda.atomic.add(G_im, (b, t, k, j), v.imag)


@cuda.jit
def gemm(A, B, C, transpose_a):
    """C = A @ B (A [m, k]) or, with transpose_a, C = A^T @ B (A [k, m]); B [k, n]. 16 x 16 tiles
    in shared memory."""
    sA = cuda.shared.array((TILE, TILE), dtype=np.float64)
    sB = cuda.shared.array((TILE, TILE), dtype=np.float64)
    tx = cuda.threadIdx.x
    ty = cuda.threadIdx.y
    row = cuda.blockIdx.y * TILE + ty
    col = cuda.blockIdx.x * TILE + tx
    m = A.shape[1] if transpose_a else A.shape[0]
    depth = B.shape[0]
    acc = 0.0
    for t0 in range(0, depth, TILE):
        if row < m and t0 + tx < depth:
            sA[ty, tx] = A[t0 + tx, row] if transpose_a else A[row, t0 + tx]
        else:
            sA[ty, tx] = 0.0
        sB[ty, tx] = B[t0 + ty, col] if t0 + ty < depth and col < B.shape[1] else 0.0
        cuda.syncthreads()
        for kk in range(TILE):
            acc += sA[ty, kk] * sB[kk, tx]
        cuda.syncthreads()
    if row < C.shape[0] and col < C.shape[1]:
        C[row, col] = acc


def _grid2(rows, cols):
    return (math.ceil(cols / TILE), math.ceil(rows / TILE)), (TILE, TILE)


class NumbaCUDA(Backend):
    """Direct evaluation on one GPU."""

    name = "numba-cuda"

    def __init__(self, problem, kernel=None):
        super().__init__(problem)
        tab, ev = problem.tables, problem.ev
        host = (tab.N, tab.w, ev.region, ev.a, ev.lnrho, ev.y, ev.factor, ev.logx, problem.target)
        self._events = tuple(cuda.to_device(np.ascontiguousarray(v)) for v in host)
        self._tables = tuple(cuda.to_device(np.ascontiguousarray(v)) for v in
                             (tab.a0, tab.nf, tab.e2sum, tab.F, tab.gam, tab.pw, tab.XY, tab.coef))  # fmt: skip
        self._modes = (tab.order, tab.mode)

    def _launch(self, kernel, *tail):
        pb = self.problem
        total = pb.n_rows * pb.n_nodes
        blocks = math.ceil(total / THREADS)
        kernel[blocks, THREADS](*self._events, *self._modes, *self._tables, *tail)

    def _evaluate(self, comps, weights, want_grad):
        pb = self.problem
        B = comps.shape[0]
        d_comps = cuda.to_device(np.ascontiguousarray(comps))
        d_ds = cuda.to_device(np.zeros((B, pb.n_rows)))
        self._launch(direct_ds_kernel, d_comps, d_ds)
        ds = d_ds.copy_to_host()
        G = None
        if want_grad:
            u = np.concatenate([np.zeros((B, 0)), pb.u_vectors_block(ds, weights, slice(0, pb.n_rows))], axis=1)
            d_re = cuda.to_device(np.zeros((B, 2, 3, pb.n_nodes)))
            d_im = cuda.to_device(np.zeros((B, 2, 3, pb.n_nodes)))
            self._launch(direct_grad_kernel, cuda.to_device(np.ascontiguousarray(u)), d_re, d_im)
            G = d_re.copy_to_host() + 1j * d_im.copy_to_host()
        return ds[:, : pb.n_events], pb.expected_counts(ds), G


class CachedCUDA(Backend):
    """The cached kernel on one GPU: two matrix products per evaluation."""

    name = "cached-cuda"

    def __init__(self, problem, kernel=None):
        super().__init__(problem)
        self.kernel = kernel if kernel is not None else CachedKernel(problem)
        self._blocks = [cuda.to_device(b) for b in self.kernel.blocks]

    def _evaluate(self, comps, weights, want_grad):
        kern = self.kernel
        q = parameter_vectors(comps)
        B = q.shape[0]
        ds = np.empty((B, kern.n_events))
        nu = np.empty((B, 2))
        G = np.empty((B, 2, 3, kern.n_nodes), dtype=np.complex128) if want_grad else None
        for t in (0, 1):
            n_t = kern.blocks[t].shape[0]
            qt = np.ascontiguousarray(q[:, t].T)
            nu[:, t] = kern.norm[t] @ qt
            if n_t == 0:
                if want_grad:
                    G[:, t] = complex_gradient(np.repeat(kern.norm[t][:, None], B, axis=1), kern.n_nodes)
                continue
            d_q = cuda.to_device(qt)
            d_out = cuda.device_array((n_t, B))
            grid, block = _grid2(n_t, B)
            gemm[grid, block](self._blocks[t], d_q, d_out, False)
            d = d_out.copy_to_host()
            ds[:, kern.order[t]] = d.T
            if want_grad:
                w = weights[:, kern.order[t]].T
                U = np.ascontiguousarray(event_u(d, w))
                d_G = cuda.device_array((kern.M, B))
                grid, block = _grid2(kern.M, B)
                gemm[grid, block](self._blocks[t], cuda.to_device(U), d_G, True)
                G[:, t] = complex_gradient(d_G.copy_to_host() + kern.norm[t][:, None], kern.n_nodes)
        return ds, nu, G


def compile_ptx_all(cc=(8, 0)):
    """Compile every kernel of this module to PTX for compute capability ``cc``, without a GPU.

    A kernel that calls an ``@njit`` helper compiles it as a device function for "the current
    device", which means asking the driver: with no GPU we stand in for that one query with
    ``cc`` (DESIGN.md section 5). Returns {kernel name: PTX text}.
    """
    import types as pytypes

    import numba.cuda.dispatcher as dispatcher
    from numba import types

    c1, f1, i1 = types.complex128[::1], types.float64[::1], types.int64[::1]
    c2 = types.complex128[:, ::1]
    c3 = types.complex128[:, :, ::1]
    c4 = types.complex128[:, :, :, ::1]
    f2 = types.float64[:, ::1]
    f4 = types.float64[:, :, :, ::1]
    head = (c1, c1, i1, f1, f1, f1, f1, f1, i1, types.int64, types.int64, f1, i1, f1, c4, c3, c3, c4, c2)
    signatures = {
        "direct_ds_kernel": (direct_ds_kernel, head + (c4, f2)),
        "direct_grad_kernel": (direct_grad_kernel, head + (f2, f4, f4)),
        "gemm": (gemm, (f2, f2, f2, types.boolean)),
    }
    saved = dispatcher.get_current_device
    dispatcher.get_current_device = lambda: pytypes.SimpleNamespace(compute_capability=cc)
    try:
        return {name: cuda.compile_ptx(k.py_func, sig, cc=cc)[0] for name, (k, sig) in signatures.items()}
    finally:
        dispatcher.get_current_device = saved
