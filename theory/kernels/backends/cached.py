"""``cached-cpu``: the cached Mellin kernel K and BLAS matrix products.

K[i, k, j] = factor_i w_j x_i^(-N_j) R_ik(N_j) is built once per event set and theory setting
(``theory.kernels.response.build_kernel``), stored as a real matrix with the real and imaginary parts
side by side, Kr[i] = (Re K[i, :, :], Im K[i, :, :]) flattened, so that with the parameter
vector q = (Im c, Re c):

    dsigma_i = Im sum_kj K_ikj c_kj = Kr[i] . q,                       (one GEMM for B sets)
    G_t      = sum_i u_i K_i         = Kr_t^T U_t  (real then imaginary half),   (one GEMM)

per data set t (events are grouped by data set at build time). The normalisation nodes are summed
into one kernel row per data set once (nu_t = k_t . q), so they cost nothing per evaluation.
Threads are BLAS's (threadpoolctl limits them to the job's allocation).

The products use the kernel's factors at machine precision: with D the row norms,
D^-1 Kr_t = U S V^T (SVD) and every singular value below ``COMPRESSION_TOL`` dropped, so
Kr_t = A_t W_t with A_t = D U_r S_r [n_t, r], W_t = V_r^T [r, M] and each row reproduced to
COMPRESSION_TOL of its norm (cross sections then agree with the dense product to ~1e-12; the
rows themselves carry ~6e-15, the flat tail of the spectrum). Smooth in (x, Q^2), the 600-real
rows span only r ~ 210 dimensions (10K events, 100 nodes), so forward d = (q W^T) A^T and
reverse U^T Kr = (U^T A) W cost r/M of the dense GEMMs (sets on the rows: contiguous scatter).
"""

from concurrent.futures import ThreadPoolExecutor

import numba
import numpy as np
from numba import njit
from threadpoolctl import threadpool_limits

from theory.kernels.backends.base import Backend
from theory.kernels.backends.problem import event_u_scalar
from theory.kernels.nc_response import build_nc_kernel
from theory.kernels.response import build_kernel


def kernel_for(problem, rows=None):
    """Complex K[rows, K, nodes] of a problem's rows (all rows by default): K = 3 for photon
    exchange, 5 for gamma/Z (``theory.kernels.nc_response``)."""
    if problem.five_component:
        return build_nc_kernel(problem.nc_tables, problem.ev.arrays(rows))
    return build_kernel(problem.tables.arrays(), problem.ev.arrays(rows))


def real_layout(K):
    """Kr[i] = (Re K[i].ravel(), Im K[i].ravel()): float64[n, 2 * K * nodes] (C order)."""
    n = K.shape[0]
    out = np.empty((n, 2 * K.shape[1] * K.shape[2]))
    half = out.shape[1] // 2
    out[:, :half] = K.real.reshape(n, -1)
    out[:, half:] = K.imag.reshape(n, -1)
    return out


class CachedKernel:
    """The kernel of a problem: per-target event blocks and normalisation rows, real layout.

    Attributes: ``blocks[t]`` float64[n_t, M] (events of target t, in ``order[t]`` of the
    problem's event index), ``norm[t]`` float64[M], M = 2 * K * nodes (K = 3 photon, 5 gamma/Z).
    """

    def __init__(self, problem, dtype=np.float64, tol=None):
        self.tol = COMPRESSION_TOL if tol is None else tol
        """Relative truncation of the factors (``low_rank``)."""
        n_ev = problem.n_events
        K = kernel_for(problem)
        Kr = real_layout(K)
        self.M = Kr.shape[1]
        self.n_nodes = K.shape[2]
        tg = problem.target
        self.order = [np.flatnonzero(tg[:n_ev] == t) for t in range(problem.n_sets)]
        self.blocks = [np.ascontiguousarray(Kr[idx], dtype=dtype) for idx in self.order]
        nodes = np.arange(n_ev, problem.n_rows)
        self.norm = [
            (problem.node_weight[nodes] * (tg[nodes] == t)) @ Kr[n_ev:] if len(nodes) else np.zeros(self.M)
            for t in range(problem.n_sets)
        ]
        self.n_events = n_ev

    def factors(self, tol=None):
        """[(A_t, W_t) for each data set t]: the machine-precision low-rank factors (computed once);
        with ``tol`` above the kernel's own, those factors truncated to ``tol`` (``truncate``)."""
        if getattr(self, "_factors", None) is None:
            self._factors = [low_rank(b, self.tol) for b in self.blocks]
        if tol is None or tol <= getattr(self, "tol", COMPRESSION_TOL):
            return self._factors
        cache = self.__dict__.setdefault("_truncated", {})
        if tol not in cache:
            cache[tol] = [truncate(A, W, b, tol) for (A, W), b in zip(self._factors, self.blocks, strict=True)]
        return cache[tol]

    @property
    def n_components(self):
        """Input components K of the rows (M = 2 K nodes): 3 photon at mu = Q, 5 the five-component response."""
        return self.M // (2 * self.n_nodes)

    @property
    def rank(self):
        return [A.shape[1] for A, _ in self.factors()]

    @property
    def reals_per_event(self):
        return self.M

    @property
    def nbytes(self):
        return sum(b.nbytes for b in self.blocks)


COMPRESSION_TOL = 1e-13
"""Singular values of the row-normalised kernel below this are dropped (relative to row norms).
The kernel rows themselves are only accurate to ~6e-15 (the flat tail of the spectrum)."""


def low_rank(Kr, tol=COMPRESSION_TOL):
    """(A, W) with Kr = A @ W to ``tol`` of every row's norm (SVD of the row-normalised matrix)."""
    if Kr.shape[0] == 0:
        return np.zeros((0, 1)), np.zeros((1, Kr.shape[1]))
    norms = np.linalg.norm(Kr, axis=1)
    norms[norms == 0.0] = 1.0
    with threadpool_limits(limits=1, user_api="blas"):  # the same factors whatever the job's threads
        U, S, Vt = np.linalg.svd(Kr / norms[:, None], full_matrices=False)
    r = max(1, int(np.count_nonzero(S > tol)))
    return np.ascontiguousarray(U[:, :r] * (S[:r] * norms[:, None])), np.ascontiguousarray(Vt[:r])


def truncate(A, W, Kr, tol):
    """``low_rank``'s factors (A, W) of Kr truncated to the looser ``tol``, without a second SVD:
    A = U diag(S) diag(row norms), so the singular values of the row-normalised kernel are the
    column norms of A / row norms, in decreasing order."""
    norms = np.linalg.norm(Kr, axis=1)
    norms[norms == 0.0] = 1.0
    S = np.linalg.norm(A / norms[:, None], axis=0)
    r = max(1, int(np.count_nonzero(S > tol)))
    return np.ascontiguousarray(A[:, :r]), np.ascontiguousarray(W[:r])


_event_u = njit(inline="always")(event_u_scalar)


@njit(cache=True, nogil=True)
def event_u_gather(d, weights, order, U):
    """U[b, i] = -w[b, order[i]] / d[b, i] (0 where d <= 0). Serial on purpose: between BLAS
    calls a parallel region waits for cores still held by BLAS's spinning threads."""
    for b in range(d.shape[0]):
        for i in range(d.shape[1]):
            U[b, i] = _event_u(d[b, i], weights[b, order[i]])


def parameter_vectors(comps):
    """q[B, T, M] = (Im c, Re c) for every data set from comps[B, T, nodes, K] (k-major like K)."""
    c = np.moveaxis(comps, 3, 2)  # [B, T, K, nodes]
    B, T = c.shape[:2]
    return np.concatenate([c.imag.reshape(B, T, -1), c.real.reshape(B, T, -1)], axis=2)


def complex_gradient(Gr, n_nodes):
    """G[B, K, nodes] (complex) from the real-layout reverse product Gr[M, B] = Kr^T U."""
    half = Gr.shape[0] // 2
    return (Gr[:half] + 1j * Gr[half:]).T.reshape(Gr.shape[1], half // n_nodes, n_nodes)


SETS_PER_WORKER_MIN = 8
"""Batches of at least this many sets per thread are split over threads (see ``CachedCPU``)."""


class CachedCPU(Backend):
    """Matrix products against the cached kernel.

    A batch of many parameter sets is split into one group per thread (``numba.get_num_threads()``,
    i.e. the job's allocation); each thread computes its sets' moments, products (single-threaded
    BLAS) and loss without the GIL. On two cores this beats threading each step: BLAS's and
    Numba's thread pools otherwise take turns on the same cores. A set's numbers do not depend
    on the split. Small batches (and the fits' single sets) run on the calling thread.
    """

    name = "cached-cpu"
    lockstep = True
    """The fits advance all replicas of a job together on this backend (``theory.inference.lockstep``)."""

    def __init__(self, problem, kernel=None):
        super().__init__(problem)
        self.kernel = kernel if kernel is not None else CachedKernel(problem)

    def _map_sets(self, work, B):
        workers = max(1, min(numba.get_num_threads(), B // SETS_PER_WORKER_MIN))
        if workers == 1:
            return super()._map_sets(work, B)
        self.kernel.factors()  # once, before the threads share it
        groups = np.array_split(np.arange(B), workers)
        with threadpool_limits(limits=1, user_api="blas"), ThreadPoolExecutor(workers) as pool:
            return list(pool.map(lambda idx: work(idx, False), groups))

    def _evaluate(self, comps, weights, want_grad):
        kern = self.kernel
        q = parameter_vectors(comps)  # [B, T, M]
        B, T = q.shape[:2]
        ds = np.empty((B, kern.n_events))
        nu = np.empty((B, T))
        G = np.empty((B, T, kern.n_components, kern.n_nodes), dtype=np.complex128) if want_grad else None
        for t, (A, W) in enumerate(kern.factors()):
            qt = np.ascontiguousarray(q[:, t])  # [B, M]
            d = (qt @ W.T) @ A.T  # [B, n_t]
            ds[:, kern.order[t]] = d
            nu[:, t] = qt @ kern.norm[t]
            if want_grad:
                U = np.empty_like(d)
                event_u_gather(d, weights, kern.order[t], U)
                G[:, t] = complex_gradient(((U @ A) @ W + kern.norm[t]).T, kern.n_nodes)
        return ds, nu, G
