"""``numba-cuda`` and ``cached-cuda``: the same algorithms on one GPU with ``@cuda.jit`` kernels.

- numba-cuda, truncated NLO and LO (the channel form, ``theory.kernels.channels``): one block per event,
  one thread per contour node (block size the next power of two); each thread takes its three
  complex exponentials once, adds Im(E . Cs_b) for every set b, and a shared-memory tree sum
  gives dsigma_i with no atomics. The reverse pass gives each block ``GRAD_ROWS`` rows, sorted
  by (target, region) on the host, and each node-thread sums u_i factor_i s_m(i) E_c(i, j) in
  registers, with one atomic add per (block, accumulator) into H; G = sum_cm H_cm C_cm on the
  host.
- numba-cuda, iterated-exact NLO: one thread per (event, contour node) computes K_ij (3 complex
  numbers, via the same ``theory.kernels.response.event_response`` as the CPU) and adds Im(K_ij . c_j)
  into dsigma_i; a second launch adds u_i K_ij into G (real and imaginary parts separately:
  CUDA has no complex atomic add).
- cached-cuda: the real-layout kernel (``theory.kernels.backends.cached``) lives on the device; forward
  and reverse passes are two tiled shared-memory matrix products (C = A B and C = A^T B).

Kernels use only arithmetic, cmath and float64 atomics, so they run unchanged on a GPU and in
the simulator (NUMBA_ENABLE_CUDASIM=1, how CI tests them); tests/test_backends.py also compiles every
kernel to PTX for sm_80 without a GPU. Pick the device with CUDA_VISIBLE_DEVICES (one per job).
"""

import cmath
import math

import numpy as np
from numba import config, cuda

from theory.kernels.backends.base import Backend
from theory.kernels.backends.cached import CachedKernel, complex_gradient, parameter_vectors
from theory.kernels.backends.numba_cpu import contract_channels
from theory.kernels.backends.problem import event_u
from theory.kernels.channels import channel_tables, event_monomials, has_channel_form, rows_by_target_region
from theory.kernels.nc_response import nc_event_response
from theory.kernels.philox import poisson_count as _poisson_count
from theory.kernels.philox import raw_output
from theory.kernels.response import event_response as _event_response
from theory.kernels.response import last_segment


def simulated(fn, *helpers):
    """The plain Python function of the njit ``fn`` whose calls to the njit ``helpers`` also go to
    their Python functions: the simulator runs kernels as Python, and a CPU-compiled function
    cannot take simulated device arrays. On a GPU the njit functions compile as device functions."""
    import types

    scope = {**fn.py_func.__globals__, **{h.py_func.__name__: h.py_func for h in helpers}}
    return types.FunctionType(fn.py_func.__code__, scope, fn.py_func.__name__)


event_response = simulated(_event_response, last_segment) if config.ENABLE_CUDASIM else _event_response


def _entries(i, j, N, w, region, a, lnrho, y, factor, logx, order, mode, a0, nf, e2sum, F, gam, pw, XY, coef):
    """``theory.kernels.response.kernel_entries`` for the device. Written out here (not called) because the
    simulator must reach ``event_response``'s plain Python function, which a call through the
    CPU-compiled ``kernel_entries`` would not."""
    R = event_response(j, region[i], a[i], lnrho[i], y[i], order, mode, a0, nf, e2sum, F, gam, pw, XY, coef)
    kf = factor[i] * w[j] * cmath.exp(-N[j] * logx[i])
    return kf * R[0], kf * R[1], kf * R[2]


kernel_entries = _entries if config.ENABLE_CUDASIM else cuda.jit(device=True)(_entries)

nc_response = simulated(nc_event_response, last_segment) if config.ENABLE_CUDASIM else nc_event_response
poisson_count = simulated(_poisson_count) if config.ENABLE_CUDASIM else _poisson_count


def _nc_entries(i, j, N, w, region, a, lnrho, y, factor, logx, bu, bd, du, dd, a_r, log_f, nq, order, mode, a0, nf,
                gam, pw, XY, coef, F5, gm, c3):  # fmt: skip
    """``theory.kernels.nc_response.nc_kernel_entries`` for the device: the five gamma/Z kernel
    entries K[i, :, j] of event i at node j as a tuple (written out for the simulator, as ``_entries``)."""
    R = nc_response(j, region[i], a[i], lnrho[i], y[i], bu[i], bd[i], du[i], dd[i], a_r[i], log_f[i], nq[i], order,
                    mode, a0, nf, gam, pw, XY, coef, F5, gm, c3)  # fmt: skip
    kf = factor[i] * w[j] * cmath.exp(-N[j] * logx[i])
    return kf * R[0], kf * R[1], kf * R[2], kf * R[3], kf * R[4]


nc_kernel_entries = _nc_entries if config.ENABLE_CUDASIM else cuda.jit(device=True)(_nc_entries)

THREADS = 128
TILE = 16
MAX_NODES = 1024
"""Contour nodes a channel-form block serves (one thread each)."""
GRAD_ROWS = 64
"""Rows per block in the channel-form reverse pass."""
N_ACC = 2 * 3 * 5
"""Per node-thread accumulators of the reverse pass: (re, im) x 3 channels x 5 monomials."""


def _cexp_py(re, im):
    """(Re, Im) of exp(re + i im) (the GPU's own exp, sin and cos)."""
    e = math.exp(re)
    return e * math.cos(im), e * math.sin(im)


_cexp = _cexp_py if config.ENABLE_CUDASIM else cuda.jit(device=True)(_cexp_py)
_monomials = event_monomials if config.ENABLE_CUDASIM else cuda.jit(device=True)(event_monomials)


@cuda.jit
def channel_ds_kernel(p, Nn, Cs, codes, rowf, ds):
    """ds[b, i] = factor_i Im sum_j sum_c E_c(i, j) sum_m s_m(i) Cs[b, t_i, r_i, c, m, j]; block i.
    Packed (few arguments: launches cost per argument): p[re/im, R, 3, n], Nn[re/im, n],
    Cs[re/im, B, 2, R, 3, 5, n], codes[region/target, rows], rowf[lnrho/logx/a/y/factor, rows]."""
    sh = cuda.shared.array(MAX_NODES, dtype=np.float64)
    i = cuda.blockIdx.x
    j = cuda.threadIdx.x
    n = Nn.shape[1]
    r = codes[0, i]
    t = codes[1, i]
    L = rowf[0, i]
    lx = rowf[1, i]
    s0, s1, s2, s3, s4 = _monomials(rowf[2, i], rowf[3, i])
    E = cuda.local.array(6, dtype=np.float64)  # (re, im) of the three channels' exponentials
    if j < n:
        for c in range(3):
            E[2 * c], E[2 * c + 1] = _cexp(p[0, r, c, j] * L - Nn[0, j] * lx, p[1, r, c, j] * L - Nn[1, j] * lx)
    for b in range(Cs.shape[1]):
        v = 0.0
        if j < n:
            for c in range(3):
                br = s0 * Cs[0, b, t, r, c, 0, j] + s1 * Cs[0, b, t, r, c, 1, j] + s2 * Cs[0, b, t, r, c, 2, j] \
                    + s3 * Cs[0, b, t, r, c, 3, j] + s4 * Cs[0, b, t, r, c, 4, j]  # fmt: skip
                bi = s0 * Cs[1, b, t, r, c, 0, j] + s1 * Cs[1, b, t, r, c, 1, j] + s2 * Cs[1, b, t, r, c, 2, j] \
                    + s3 * Cs[1, b, t, r, c, 3, j] + s4 * Cs[1, b, t, r, c, 4, j]  # fmt: skip
                v += E[2 * c] * bi + E[2 * c + 1] * br
        sh[j] = v
        cuda.syncthreads()
        stride = cuda.blockDim.x // 2
        while stride > 0:
            if j < stride:
                sh[j] += sh[j + stride]
            cuda.syncthreads()
            stride //= 2
        if j == 0:
            ds[b, i] = rowf[4, i] * sh[0]
        cuda.syncthreads()


@cuda.jit
def channel_grad_kernel(p, Nn, codes, rowf, rows, uf, H):
    """H[re/im, b, t, r, c, m, j] += sum_i uf[b, i] s_m(i) E_c(i, j) over this block's rows
    (sorted by (target, region)); uf = u * factor; other arguments as ``channel_ds_kernel``'s."""
    j = cuda.threadIdx.x
    n = Nn.shape[1]
    if j >= n:
        return
    start = cuda.blockIdx.x * GRAD_ROWS
    stop = min(start + GRAD_ROWS, rows.shape[0])
    acc = cuda.local.array(N_ACC, dtype=np.float64)
    s = cuda.local.array(5, dtype=np.float64)
    for b in range(uf.shape[0]):
        cur_t = -1
        cur_r = -1
        for q in range(N_ACC):
            acc[q] = 0.0
        for k in range(start, stop + 1):
            i = rows[k] if k < stop else 0
            t = codes[1, i] if k < stop else -1
            r = codes[0, i] if k < stop else -1
            if t != cur_t or r != cur_r:
                if cur_t >= 0:
                    for c in range(3):
                        for m in range(5):
                            cuda.atomic.add(H, (0, b, cur_t, cur_r, c, m, j), acc[2 * (5 * c + m)])
                            cuda.atomic.add(H, (1, b, cur_t, cur_r, c, m, j), acc[2 * (5 * c + m) + 1])
                for q in range(N_ACC):
                    acc[q] = 0.0
                cur_t = t
                cur_r = r
            if k == stop:
                break
            w = uf[b, i]
            if w == 0.0:
                continue
            L = rowf[0, i]
            lx = rowf[1, i]
            s[0], s[1], s[2], s[3], s[4] = _monomials(rowf[2, i], rowf[3, i])
            for c in range(3):
                er, ei = _cexp(p[0, r, c, j] * L - Nn[0, j] * lx, p[1, r, c, j] * L - Nn[1, j] * lx)
                for m in range(5):
                    ws = w * s[m]
                    acc[2 * (5 * c + m)] += ws * er
                    acc[2 * (5 * c + m) + 1] += ws * ei


def _block_size(n_nodes):
    """The power of two >= n_nodes (and >= 32) that a channel-form block uses."""
    if n_nodes > MAX_NODES:
        raise ValueError(f"numba-cuda serves at most {MAX_NODES} contour nodes, not {n_nodes}")
    size = 32
    while size < n_nodes:
        size *= 2
    return size


def _thread_entries_py(N, w, region, a, lnrho, y, factor, logx, order, mode, a0, nf, e2sum, F, gam, pw, XY, coef):
    """(i, j, K_ij) of this thread's (event i, node j), one thread per pair; i = -1 past the end."""
    idx = cuda.grid(1)
    n_nodes = N.shape[0]
    if idx >= region.shape[0] * n_nodes:
        return -1, 0, (0j, 0j, 0j)
    i = idx // n_nodes
    j = idx - i * n_nodes
    return i, j, kernel_entries(i, j, N, w, region, a, lnrho, y, factor, logx, order, mode, a0, nf, e2sum, F, gam, pw,
                                XY, coef)  # fmt: skip


_thread_entries = _thread_entries_py if config.ENABLE_CUDASIM else cuda.jit(device=True)(_thread_entries_py)


@cuda.jit
def direct_ds_kernel(N, w, region, a, lnrho, y, factor, logx, target, order, mode,
                     a0, nf, e2sum, F, gam, pw, XY, coef, comps, ds):  # fmt: skip
    """ds[b, i] += Im sum_k K_ijk c[b, t_i, j, k] for the (event i, node j) of this thread."""
    i, j, K = _thread_entries(N, w, region, a, lnrho, y, factor, logx, order, mode, a0, nf, e2sum, F, gam, pw, XY, coef)
    if i < 0:
        return
    t = target[i]
    for b in range(comps.shape[0]):
        val = (K[0] * comps[b, t, j, 0] + K[1] * comps[b, t, j, 1] + K[2] * comps[b, t, j, 2]).imag
        cuda.atomic.add(ds, (b, i), val)


@cuda.jit
def direct_grad_kernel(N, w, region, a, lnrho, y, factor, logx, target, order, mode,
                       a0, nf, e2sum, F, gam, pw, XY, coef, u, G_re, G_im):  # fmt: skip
    """G[b, t_i, k, j] += u[b, i] K_ijk, split into real and imaginary parts."""
    i, j, K = _thread_entries(N, w, region, a, lnrho, y, factor, logx, order, mode, a0, nf, e2sum, F, gam, pw, XY, coef)
    if i < 0:
        return
    _scatter_gradient(u, i, j, target[i], K, G_re, G_im)


def _scatter_gradient_py(u, i, j, t, K, G_re, G_im):
    """G[b, t, k, j] += u[b, i] K[k] for every parameter set b, real and imaginary parts: the
    reverse pass of one (event i, node j), any number of components."""
    for b in range(u.shape[0]):
        ub = u[b, i]
        if ub != 0.0:
            for k in range(len(K)):
                v = ub * K[k]
                cuda.atomic.add(G_re, (b, t, k, j), v.real)
                cuda.atomic.add(G_im, (b, t, k, j), v.imag)


_scatter_gradient = _scatter_gradient_py if config.ENABLE_CUDASIM else cuda.jit(device=True)(_scatter_gradient_py)


def _nc_thread_entries_py(N, w, region, a, lnrho, y, factor, logx, bu, bd, du, dd, a_r, log_f, nq, order, mode, a0, nf,
                          gam, pw, XY, coef, F5, gm, c3):  # fmt: skip
    """(i, j, K_ij) of this thread's (event i, node j) with the five gamma/Z entries; i = -1 past the end."""
    idx = cuda.grid(1)
    n_nodes = N.shape[0]
    if idx >= region.shape[0] * n_nodes:
        return -1, 0, (0j, 0j, 0j, 0j, 0j)
    i = idx // n_nodes
    j = idx - i * n_nodes
    return i, j, nc_kernel_entries(i, j, N, w, region, a, lnrho, y, factor, logx, bu, bd, du, dd, a_r, log_f, nq, order,
                                   mode, a0, nf, gam, pw, XY, coef, F5, gm, c3)  # fmt: skip


_nc_thread_entries = _nc_thread_entries_py if config.ENABLE_CUDASIM else cuda.jit(device=True)(_nc_thread_entries_py)


@cuda.jit
def nc_ds_kernel(N, w, region, a, lnrho, y, factor, logx, bu, bd, du, dd, a_r, log_f, nq, target, order, mode, a0, nf,
                 gam, pw, XY, coef, F5, gm, c3, comps, ds):  # fmt: skip
    """gamma/Z (any solution): ds[b, i] += Im sum_k K_ijk c[b, t_i, j, k], k over the five
    components (``theory.kernels.nc_response``), for the (event i, node j) of this thread."""
    i, j, K = _nc_thread_entries(N, w, region, a, lnrho, y, factor, logx, bu, bd, du, dd, a_r, log_f, nq, order, mode,
                                 a0, nf, gam, pw, XY, coef, F5, gm, c3)  # fmt: skip
    if i < 0:
        return
    t = target[i]
    for b in range(comps.shape[0]):
        val = (K[0] * comps[b, t, j, 0] + K[1] * comps[b, t, j, 1] + K[2] * comps[b, t, j, 2]
               + K[3] * comps[b, t, j, 3] + K[4] * comps[b, t, j, 4]).imag  # fmt: skip
        cuda.atomic.add(ds, (b, i), val)


@cuda.jit
def nc_grad_kernel(N, w, region, a, lnrho, y, factor, logx, bu, bd, du, dd, a_r, log_f, nq, target, order, mode, a0,
                   nf, gam, pw, XY, coef, F5, gm, c3, u, G_re, G_im):  # fmt: skip
    """gamma/Z: G[b, t_i, k, j] += u[b, i] K_ijk over the five components, real and imaginary parts."""
    i, j, K = _nc_thread_entries(N, w, region, a, lnrho, y, factor, logx, bu, bd, du, dd, a_r, log_f, nq, order, mode,
                                 a0, nf, gam, pw, XY, coef, F5, gm, c3)  # fmt: skip
    if i < 0:
        return
    _scatter_gradient(u, i, j, target[i], K, G_re, G_im)


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


@cuda.jit
def poisson_counts_kernel(keys, start, order, cdf, out):
    """out[j, k] = the Poisson(1) count of event start + order[k] in the replica whose Philox key
    is keys[j]: output start + order[k] of numpy's ``Philox(key=keys[j])`` (``theory.kernels.philox``),
    counted by ``philox.poisson_count`` (the CPU's inversion), the same numbers as
    ``theory.inference.replicas.poisson_weights``. One thread per (replica, event): launch
    blocks (ceil(n / THREADS), replicas) of THREADS threads (``launch_poisson_counts``)."""
    k = cuda.blockIdx.x * cuda.blockDim.x + cuda.threadIdx.x
    j = cuda.blockIdx.y
    if k < order.shape[0] and j < keys.shape[0]:
        out[j, k] = poisson_count(raw_output(start + order[k], keys[j, 0], keys[j, 1]), cdf)


def launch_poisson_counts(keys, start, order, cdf, out):
    """``poisson_counts_kernel`` over out [len(keys), len(order)] (device or, in the simulator,
    host arrays)."""
    if out.shape[0] and out.shape[1]:
        poisson_counts_kernel[(math.ceil(out.shape[1] / THREADS), out.shape[0]), THREADS](keys, start, order, cdf, out)


def _grid2(rows, cols):
    return (math.ceil(cols / TILE), math.ceil(rows / TILE)), (TILE, TILE)


class NumbaCUDA(Backend):
    """Direct evaluation on one GPU."""

    name = "numba-cuda"

    def __init__(self, problem, kernel=None):
        super().__init__(problem)
        tab, ev = problem.tables, problem.ev
        self.five = problem.five_component
        self.channels = has_channel_form(tab) and not self.five
        self._modes = (tab.order, tab.mode)
        if self.five:  # gamma/Z or other scales: the per-(event, node) five-component kernels
            nct = problem.nc_tables
            host = (tab.N, tab.w, ev.region, ev.a, ev.lnrho, ev.y, ev.factor, ev.logx, ev.bu, ev.bd, ev.du, ev.dd,
                    ev.a_r, ev.log_f, ev.nq, problem.target)  # fmt: skip
            self._events = tuple(cuda.to_device(np.ascontiguousarray(v)) for v in host)
            tables = (tab.a0, tab.nf, tab.gam, tab.pw, tab.XY, tab.coef, nct.F5, nct.gm, nct.c3)
            self._tables = tuple(cuda.to_device(np.ascontiguousarray(v)) for v in tables)
            return
        if self.channels:
            p, self.C = channel_tables(tab)
            self._block = _block_size(problem.n_nodes)
            perm, _ = rows_by_target_region(problem.target, ev.region, self.C.shape[0])
            self._rows = cuda.to_device(perm.astype(np.int64))
            self._p = cuda.to_device(np.ascontiguousarray(np.stack([p.real, p.imag])))
            self._Nn = cuda.to_device(np.ascontiguousarray(np.stack([tab.N.real, tab.N.imag])))
            self._codes = cuda.to_device(np.ascontiguousarray(np.stack([ev.region, problem.target])))
            self._rowf = cuda.to_device(np.ascontiguousarray(np.stack([ev.lnrho, ev.logx, ev.a, ev.y, ev.factor])))
            return
        host = (tab.N, tab.w, ev.region, ev.a, ev.lnrho, ev.y, ev.factor, ev.logx, problem.target)
        self._events = tuple(cuda.to_device(np.ascontiguousarray(v)) for v in host)
        self._tables = tuple(cuda.to_device(np.ascontiguousarray(v)) for v in
                             (tab.a0, tab.nf, tab.e2sum, tab.F, tab.gam, tab.pw, tab.XY, tab.coef))  # fmt: skip

    def _launch(self, kernel, *tail):
        pb = self.problem
        total = pb.n_rows * pb.n_nodes
        blocks = math.ceil(total / THREADS)
        kernel[blocks, THREADS](*self._events, *self._modes, *self._tables, *tail)

    def _evaluate(self, comps, weights, want_grad):
        if self.channels:
            return self._evaluate_channels(comps, weights, want_grad)
        pb = self.problem
        B = comps.shape[0]
        d_comps = cuda.to_device(np.ascontiguousarray(comps))
        d_ds = cuda.to_device(np.zeros((B, pb.n_rows)))
        self._launch(nc_ds_kernel if self.five else direct_ds_kernel, d_comps, d_ds)
        ds = d_ds.copy_to_host()
        G = None
        if want_grad:
            u = pb.u_vectors_block(ds, weights, slice(0, pb.n_rows))
            d_re = cuda.to_device(np.zeros((B, pb.n_sets, pb.n_components, pb.n_nodes)))
            d_im = cuda.to_device(np.zeros((B, pb.n_sets, pb.n_components, pb.n_nodes)))
            self._launch(nc_grad_kernel if self.five else direct_grad_kernel, cuda.to_device(np.ascontiguousarray(u)),
                         d_re, d_im)  # fmt: skip
            G = d_re.copy_to_host() + 1j * d_im.copy_to_host()
        return ds[:, : pb.n_events], pb.expected_counts(ds), G

    def _evaluate_channels(self, comps, weights, want_grad):
        pb = self.problem
        B = comps.shape[0]
        Cs = np.empty((2, B, pb.n_sets) + self.C.shape[:3] + (pb.n_nodes,))
        contract_channels(self.C, np.ascontiguousarray(comps), Cs[0], Cs[1])
        d_ds = cuda.device_array((B, pb.n_rows))
        channel_ds_kernel[pb.n_rows, self._block](self._p, self._Nn, cuda.to_device(Cs), self._codes, self._rowf, d_ds)
        ds = d_ds.copy_to_host()
        G = None
        if want_grad:
            uf = pb.u_vectors_block(ds, weights, slice(0, pb.n_rows)) * pb.ev.factor
            d_H = cuda.to_device(np.zeros(Cs.shape))
            blocks = math.ceil(pb.n_rows / GRAD_ROWS)
            channel_grad_kernel[blocks, self._block](self._p, self._Nn, self._codes, self._rowf, self._rows,
                                                     cuda.to_device(np.ascontiguousarray(uf)), d_H)  # fmt: skip
            H = d_H.copy_to_host()
            G = np.einsum("btrcmj,rcmkj->btkj", H[0] + 1j * H[1], self.C)
        return ds[:, : pb.n_events], pb.expected_counts(ds), G


class CachedCUDA(Backend):
    """The cached kernel on one GPU: two matrix products per evaluation."""

    name = "cached-cuda"
    lockstep = True
    """The fits advance all replicas of a job together (``theory.inference.lockstep``)."""
    device_lockstep = True
    """... on the GPU (``DeviceEngine``: CuPy's cuBLAS; numpy under the simulator); the data pass
    and the central fit stay on the host's threads."""

    def __init__(self, problem, kernel=None):
        super().__init__(problem)
        self.kernel = kernel if kernel is not None else CachedKernel(problem)
        self._blocks = [cuda.to_device(b) for b in self.kernel.blocks]

    def _evaluate(self, comps, weights, want_grad):
        kern = self.kernel
        q = parameter_vectors(comps)
        B = q.shape[0]
        ds = np.empty((B, kern.n_events))
        T = len(kern.blocks)
        nu = np.empty((B, T))
        G = np.empty((B, T, kern.n_components, kern.n_nodes), dtype=np.complex128) if want_grad else None
        for t in range(T):
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
    ``cc`` (the PTX target). Returns {kernel name: PTX text}.
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
    nc_head = (c1, c1, i1, f1, f1, f1, f1, f1, f1, f1, f1, f1, f1, f1, i1, i1, types.int64, types.int64, f1, i1, c3, c3,
               c4, c2, c4, c2, c1)  # fmt: skip
    i2 = types.int64[:, ::1]
    f7 = types.float64[:, :, :, :, :, :, ::1]
    packed = (f4, f2, i2, f2)  # p, Nn, codes, rowf
    signatures = {
        "channel_ds_kernel": (channel_ds_kernel, (f4, f2, f7, i2, f2, f2)),
        "channel_grad_kernel": (channel_grad_kernel, packed + (i1, f2, f7)),
        "direct_ds_kernel": (direct_ds_kernel, head + (c4, f2)),
        "direct_grad_kernel": (direct_grad_kernel, head + (f2, f4, f4)),
        "nc_ds_kernel": (nc_ds_kernel, nc_head + (c4, f2)),
        "nc_grad_kernel": (nc_grad_kernel, nc_head + (f2, f4, f4)),
        "gemm": (gemm, (f2, f2, f2, types.boolean)),
        "poisson_counts_kernel": (poisson_counts_kernel, (types.uint64[:, ::1], types.int64, i1, f1, f2)),
    }
    saved = dispatcher.get_current_device
    dispatcher.get_current_device = lambda: pytypes.SimpleNamespace(compute_capability=cc)
    try:
        return {name: cuda.compile_ptx(k.py_func, sig, cc=cc)[0] for name, (k, sig) in signatures.items()}
    finally:
        dispatcher.get_current_device = saved
