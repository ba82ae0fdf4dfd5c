"""``cached-cpu``: the cached Mellin kernel K and BLAS matrix products (DESIGN.md section 2).

K[i, k, j] = factor_i w_j x_i^(-N_j) R_ik(N_j) is built once per event set and theory setting
(``theory.response.build_kernel``), stored as a real matrix with the real and imaginary parts
side by side, Kr[i] = (Re K[i, :, :], Im K[i, :, :]) flattened, so that with the parameter
vector q = (Im c, Re c):

    dsigma_i = Im sum_kj K_ikj c_kj = Kr[i] . q,                       (one GEMM for B sets)
    G_t      = sum_i u_i K_i         = Kr_t^T U_t  (real then imaginary half),   (one GEMM)

per target t (events are grouped by target at build time). The normalisation nodes are summed
into one kernel row per target once (nu_t = k_t . q), so they cost nothing per evaluation.
Threads are BLAS's (threadpoolctl limits them to the job's allocation).
"""

import numpy as np

from ..response import build_kernel
from .base import Backend
from .problem import event_u


def kernel_for(problem, rows=None):
    """Complex K[rows, 3, nodes] of a problem's rows (all rows by default)."""
    tab, ev = problem.tables, problem.ev
    sel = slice(None) if rows is None else rows
    return build_kernel(tab.N, tab.w, ev.region[sel], ev.a[sel], ev.lnrho[sel], ev.y[sel], ev.factor[sel],
                        ev.logx[sel], tab.order, tab.mode, tab.a0, tab.nf, tab.e2sum, tab.F, tab.gam, tab.pw,
                        tab.XY, tab.coef)  # fmt: skip


def real_layout(K):
    """Kr[i] = (Re K[i].ravel(), Im K[i].ravel()): float64[n, 2 * 3 * nodes] (C order)."""
    n = K.shape[0]
    out = np.empty((n, 2 * K.shape[1] * K.shape[2]))
    half = out.shape[1] // 2
    out[:, :half] = K.real.reshape(n, -1)
    out[:, half:] = K.imag.reshape(n, -1)
    return out


class CachedKernel:
    """The kernel of a problem: per-target event blocks and normalisation rows, real layout.

    Attributes: ``blocks[t]`` float64[n_t, M] (events of target t, in ``order[t]`` of the
    problem's event index), ``norm[t]`` float64[M], M = 6 * nodes.
    """

    def __init__(self, problem, dtype=np.float64):
        n_ev = problem.n_events
        K = kernel_for(problem)
        Kr = real_layout(K)
        self.M = Kr.shape[1]
        self.n_nodes = K.shape[2]
        tg = problem.target
        self.order = [np.flatnonzero(tg[:n_ev] == t) for t in (0, 1)]
        self.blocks = [np.ascontiguousarray(Kr[idx], dtype=dtype) for idx in self.order]
        nodes = np.arange(n_ev, problem.n_rows)
        self.norm = [
            (problem.node_weight[nodes] * (tg[nodes] == t)) @ Kr[n_ev:] if len(nodes) else np.zeros(self.M)
            for t in (0, 1)
        ]
        self.n_events = n_ev

    @property
    def reals_per_event(self):
        return self.M

    @property
    def nbytes(self):
        return sum(b.nbytes for b in self.blocks)


def parameter_vectors(comps):
    """q[B, 2, M] = (Im c, Re c) for both targets from comps[B, 2, nodes, 3] (k-major like K)."""
    c = np.moveaxis(comps, 3, 2)  # [B, 2, 3, nodes]
    B = c.shape[0]
    return np.concatenate([c.imag.reshape(B, 2, -1), c.real.reshape(B, 2, -1)], axis=2)


def complex_gradient(Gr, n_nodes):
    """G[B, 3, nodes] (complex) from the real-layout reverse product Gr[M, B] = Kr^T U."""
    half = Gr.shape[0] // 2
    return (Gr[:half] + 1j * Gr[half:]).T.reshape(Gr.shape[1], 3, n_nodes)


class CachedCPU(Backend):
    """Matrix products against the cached kernel."""

    name = "cached-cpu"

    def __init__(self, problem, kernel=None):
        super().__init__(problem)
        self.kernel = kernel if kernel is not None else CachedKernel(problem)

    def _evaluate(self, comps, weights, want_grad):
        kern = self.kernel
        q = parameter_vectors(comps)  # [B, 2, M]
        B = q.shape[0]
        ds = np.empty((B, kern.n_events))
        nu = np.empty((B, 2))
        G = np.empty((B, 2, 3, kern.n_nodes), dtype=np.complex128) if want_grad else None
        for t in (0, 1):
            qt = np.ascontiguousarray(q[:, t].T)  # [M, B]
            d = kern.blocks[t] @ qt  # [n_t, B]
            ds[:, kern.order[t]] = d.T
            nu[:, t] = kern.norm[t] @ qt
            if want_grad:
                w = weights[:, kern.order[t]].T
                U = event_u(d, w)  # [n_t, B]
                G[:, t] = complex_gradient(kern.blocks[t].T @ U + kern.norm[t][:, None], kern.n_nodes)
        return ds, nu, G
