"""``numba-cpu``: direct evaluation, ``@njit(parallel=True)``, prange over chunks of events.

Each event's kernel row K_i (3 x n_nodes) is computed on the fly into a per-chunk scratch
buffer (no allocation in the hot loop), contracted with every parameter set's input moments,
and, for the gradient, folded straight into the chunk's G accumulator with u_i = -w_i/dsigma_i:
forward and reverse pass in one sweep. Threads come from NUMBA_NUM_THREADS (or
``numba.set_num_threads``), i.e. from the job's allocation.
"""

import numba
import numpy as np
from numba import njit, prange

from ..response import kernel_entries
from .base import Backend


@njit(cache=True, parallel=True)
def direct_kernel(N, w, region, a, lnrho, y, factor, logx, target, node_weight, n_events, order, mode,
                  a0, nf, e2sum, F, gam, pw, XY, coef, comps, weights, want_grad, n_chunks, ds, G):  # fmt: skip
    """ds[B, rows] and, if want_grad, G[n_chunks, B, 2, 3, nodes] (summed by the caller)."""
    n_rows = region.shape[0]
    n_nodes = N.shape[0]
    B = comps.shape[0]
    for c in prange(n_chunks):
        start = c * n_rows // n_chunks
        stop = (c + 1) * n_rows // n_chunks
        K = np.empty((n_nodes, 3), dtype=np.complex128)
        for i in range(start, stop):
            for j in range(n_nodes):
                K[j, 0], K[j, 1], K[j, 2] = kernel_entries(
                    i, j, N, w, region, a, lnrho, y, factor, logx, order, mode, a0, nf, e2sum, F, gam, pw, XY, coef
                )
            t = target[i]
            for b in range(B):
                acc = 0.0
                for j in range(n_nodes):
                    for k in range(3):
                        acc += (K[j, k] * comps[b, t, j, k]).imag
                ds[b, i] = acc
                if want_grad:
                    if i < n_events:
                        u = -weights[b, i] / acc if acc > 0.0 else 0.0
                    else:
                        u = node_weight[i]
                    if u != 0.0:
                        for k in range(3):
                            for j in range(n_nodes):
                                G[c, b, t, k, j] += u * K[j, k]


class NumbaCPU(Backend):
    """Direct evaluation on CPU threads."""

    name = "numba-cpu"

    def _evaluate(self, comps, weights, want_grad):
        pb, tab, ev = self.problem, self.problem.tables, self.problem.ev
        B = comps.shape[0]
        n_chunks = min(pb.n_rows, 4 * numba.get_num_threads())
        ds = np.empty((B, pb.n_rows))
        G = np.zeros((n_chunks if want_grad else 1, B, 2, 3, pb.n_nodes), dtype=np.complex128)
        w = weights if weights is not None else np.zeros((B, pb.n_events))
        direct_kernel(tab.N, tab.w, ev.region, ev.a, ev.lnrho, ev.y, ev.factor, ev.logx, pb.target,
                      pb.node_weight, pb.n_events, tab.order, tab.mode, tab.a0, tab.nf, tab.e2sum, tab.F,
                      tab.gam, tab.pw, tab.XY, tab.coef, np.ascontiguousarray(comps), np.ascontiguousarray(w),
                      want_grad, n_chunks, ds, G)  # fmt: skip
        return ds[:, : pb.n_events], pb.expected_counts(ds), (G.sum(axis=0) if want_grad else None)
