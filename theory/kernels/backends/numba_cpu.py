"""``numba-cpu``: direct evaluation, ``@njit(parallel=True)``, prange over chunks of events.

Truncated NLO and LO (the fits' theory) use the channel form of the response
(``theory.kernels.channels``): per event and node three complex exponentials, computed by the SIMD
polynomials of ``theory.kernels.vmath`` over all nodes at once, then for every parameter set five
multiply-adds per channel against the set's contracted coefficients Cs = C . c(theta)
(computed once per call). Forward and reverse pass share the sweep: with u_i = -w_i/dsigma_i
the chunk accumulates H_cm(N_j) = sum_i u_i factor_i s_m(i) exp(z_c,ij), and
G_k = sum_cm H_cm C_cmk at the end. Iterated-exact NLO computes each event's kernel row
(``theory.kernels.response.kernel_entries``) instead, and gamma/Z (``theory.process: nc``) its
five-component row (``theory.kernels.nc_response.nc_kernel_entries``) in any mode. No allocation
inside the event loop; threads come from NUMBA_NUM_THREADS (or ``numba.set_num_threads``), i.e.
from the job's allocation.
"""

from typing import NamedTuple

import numba
import numpy as np
from numba import njit, prange

from theory.kernels.backends.base import Backend
from theory.kernels.backends.problem import event_u_scalar
from theory.kernels.channels import N_CHANNELS, N_MONOMIALS, channel_tables, event_monomials, has_channel_form
from theory.kernels.nc_response import N_NC, nc_kernel_entries
from theory.kernels.response import kernel_entries
from theory.kernels.vmath import cexp_parts


class ChannelArrays(NamedTuple):
    """The channel exponents p[R, 3, nodes] and the nodes N, split into real and imaginary parts."""

    p_re: np.ndarray
    p_im: np.ndarray
    N_re: np.ndarray
    N_im: np.ndarray


GRAD_SETS_PER_PASS = 32
"""Parameter sets per sweep when gradients are wanted (bounds the per-chunk accumulators)."""


@njit(cache=True, fastmath=True)
def _sum(v):
    """Sum of a float vector (reassociated, i.e. vectorised)."""
    acc = 0.0
    for j in range(v.shape[0]):
        acc += v[j]
    return acc


_monomials = njit(inline="always")(event_monomials)
_event_u = njit(inline="always")(event_u_scalar)


@njit(inline="always")
def _chunk_bounds(c, n, n_chunks):
    """Rows [start, stop) of chunk c when n rows are cut into n_chunks nearly equal chunks."""
    return c * n // n_chunks, (c + 1) * n // n_chunks


@njit(inline="always")
def _row_u(d, w, i, n_events, node_weight):
    """u of row i: -w/dsigma for an event (0 where dsigma <= 0), W for a normalisation node."""
    if i < n_events:
        return _event_u(d, w)
    return node_weight[i]


@njit(cache=True)
def contract_channels(C, comps, out_re, out_im):
    """Cs[b, t, r, c, m, j] = sum_k C[r, c, m, k, j] comps[b, t, j, k], split into real/imaginary."""
    for b in range(comps.shape[0]):
        for t in range(comps.shape[1]):
            for r in range(C.shape[0]):
                for c in range(C.shape[1]):
                    for m in range(C.shape[2]):
                        for j in range(C.shape[4]):
                            v = C[r, c, m, 0, j] * comps[b, t, j, 0]
                            v += C[r, c, m, 1, j] * comps[b, t, j, 1]
                            v += C[r, c, m, 2, j] * comps[b, t, j, 2]
                            out_re[b, t, r, c, m, j] = v.real
                            out_im[b, t, r, c, m, j] = v.imag


@njit(cache=True, parallel=True)
def channel_kernel(ch_tab, Cs_re, Cs_im, ev, rows, weights, want_grad, n_chunks, ds, H_re, H_im):
    """ds[B, rows]; if want_grad, H[n_chunks, B, 2, R, 3, 5, nodes] (summed by the caller).
    ``ch_tab``: ChannelArrays, ``ev``: EventArrays, ``rows``: RowArrays."""
    p_re, p_im, N_re, N_im = ch_tab
    region, a, lnrho, y, factor, logx = ev
    target, node_weight, n_events = rows
    n_rows = region.shape[0]
    n = N_re.shape[0]
    B = Cs_re.shape[0]
    for ch in prange(n_chunks):
        start, stop = _chunk_bounds(ch, n_rows, n_chunks)
        E_re = np.empty((N_CHANNELS, n))
        E_im = np.empty((N_CHANNELS, n))
        T = np.empty(n)
        s = np.empty(N_MONOMIALS)
        for i in range(start, stop):
            r = region[i]
            t = target[i]
            L = lnrho[i]
            lx = logx[i]
            s[0], s[1], s[2], s[3], s[4] = _monomials(a[i], y[i])
            for c in range(N_CHANNELS):
                for j in range(n):
                    E_re[c, j], E_im[c, j] = cexp_parts(p_re[r, c, j] * L - N_re[j] * lx,
                                                        p_im[r, c, j] * L - N_im[j] * lx)  # fmt: skip
            for b in range(B):
                for j in range(n):
                    T[j] = 0.0
                for c in range(N_CHANNELS):
                    for j in range(n):
                        br = s[0] * Cs_re[b, t, r, c, 0, j] + s[1] * Cs_re[b, t, r, c, 1, j] + \
                            s[2] * Cs_re[b, t, r, c, 2, j] + s[3] * Cs_re[b, t, r, c, 3, j] + \
                            s[4] * Cs_re[b, t, r, c, 4, j]  # fmt: skip
                        bi = s[0] * Cs_im[b, t, r, c, 0, j] + s[1] * Cs_im[b, t, r, c, 1, j] + \
                            s[2] * Cs_im[b, t, r, c, 2, j] + s[3] * Cs_im[b, t, r, c, 3, j] + \
                            s[4] * Cs_im[b, t, r, c, 4, j]  # fmt: skip
                        T[j] += E_re[c, j] * bi + E_im[c, j] * br
                d = factor[i] * _sum(T)
                ds[b, i] = d
                if want_grad:
                    u = _row_u(d, weights[b, i], i, n_events, node_weight)
                    if u != 0.0:
                        uf = u * factor[i]
                        for c in range(N_CHANNELS):
                            for m in range(N_MONOMIALS):
                                sm = uf * s[m]
                                for j in range(n):
                                    H_re[ch, b, t, r, c, m, j] += sm * E_re[c, j]
                                    H_im[ch, b, t, r, c, m, j] += sm * E_im[c, j]


@njit(inline="always")
def _row_forward_reverse(K, i, t, c, comps, weights, want_grad, n_events, node_weight, ds, G):
    """One row's d2sigma for every set from its kernel row K[nodes, K] and, with want_grad, its
    u-weighted row added to the chunk's G[c] (the general paths' shared inner loop)."""
    for b in range(comps.shape[0]):
        acc = 0.0
        for j in range(K.shape[0]):
            for k in range(K.shape[1]):
                acc += (K[j, k] * comps[b, t, j, k]).imag
        ds[b, i] = acc
        if want_grad:
            u = _row_u(acc, weights[b, i], i, n_events, node_weight)
            if u != 0.0:
                for k in range(K.shape[1]):
                    for j in range(K.shape[0]):
                        G[c, b, t, k, j] += u * K[j, k]


@njit(cache=True, parallel=True)
def direct_kernel(tab, ev, rows, comps, weights, want_grad, n_chunks, ds, G):
    """General path (any solution): ds[B, rows] and, if want_grad, G[n_chunks, B, 2, 3, nodes].
    ``tab``: TableArrays, ``ev``: EventArrays, ``rows``: RowArrays."""
    target, node_weight, n_events = rows
    n_rows = ev.region.shape[0]
    n_nodes = tab.N.shape[0]
    for c in prange(n_chunks):
        start, stop = _chunk_bounds(c, n_rows, n_chunks)
        K = np.empty((n_nodes, 3), dtype=np.complex128)
        for i in range(start, stop):
            for j in range(n_nodes):
                K[j, 0], K[j, 1], K[j, 2] = kernel_entries(i, j, tab, ev)
            _row_forward_reverse(K, i, target[i], c, comps, weights, want_grad, n_events, node_weight, ds, G)


@njit(cache=True, parallel=True)
def nc_direct_kernel(tab, F5, gm, c3, ev, rows, comps, weights, want_grad, n_chunks, ds, G):
    """gamma/Z (``theory.kernels.nc_response``, any solution): ds[B, rows] and, if want_grad,
    G[n_chunks, B, 2, 5, nodes]; ``ev``: NCEventArrays."""
    target, node_weight, n_events = rows
    n_rows = ev.region.shape[0]
    n_nodes = tab.N.shape[0]
    for c in prange(n_chunks):
        start, stop = _chunk_bounds(c, n_rows, n_chunks)
        K = np.empty((n_nodes, N_NC), dtype=np.complex128)
        for i in range(start, stop):
            for j in range(n_nodes):
                K[j, :] = nc_kernel_entries(i, j, tab, F5, gm, c3, ev)
            _row_forward_reverse(K, i, target[i], c, comps, weights, want_grad, n_events, node_weight, ds, G)


class NumbaCPU(Backend):
    """Direct evaluation on CPU threads."""

    name = "numba-cpu"

    def __init__(self, problem, kernel=None):
        super().__init__(problem)
        tab = problem.tables
        self.channels = has_channel_form(tab) and not problem.five_component
        if self.channels:
            p, self.C = channel_tables(tab)
            self.ch_tab = ChannelArrays(np.ascontiguousarray(p.real), np.ascontiguousarray(p.imag),
                                        np.ascontiguousarray(tab.N.real), np.ascontiguousarray(tab.N.imag))  # fmt: skip
        self.ev = problem.ev.arrays()
        self.rows = problem.row_arrays()

    def _evaluate(self, comps, weights, want_grad):
        if not self.channels:
            return self._evaluate_general(comps, weights, want_grad)
        pb = self.problem
        B = comps.shape[0]
        ds = np.empty((B, pb.n_rows))
        G = np.empty((B, pb.n_sets, 3, pb.n_nodes), dtype=np.complex128) if want_grad else None
        w = weights if weights is not None else np.zeros((B, pb.n_events))
        step = GRAD_SETS_PER_PASS if want_grad else B
        for lo in range(0, B, step):
            hi = min(lo + step, B)
            ds[lo:hi], g = self._sweep(np.ascontiguousarray(comps[lo:hi]), np.ascontiguousarray(w[lo:hi]), want_grad)
            if want_grad:
                G[lo:hi] = g
        return ds[:, : pb.n_events], pb.expected_counts(ds), G

    def _sweep(self, comps, w, want_grad):
        pb = self.problem
        B = comps.shape[0]
        R, n = self.C.shape[0], pb.n_nodes
        Cs_re = np.empty((B, pb.n_sets, R, N_CHANNELS, N_MONOMIALS, n))
        Cs_im = np.empty_like(Cs_re)
        contract_channels(self.C, comps, Cs_re, Cs_im)
        n_chunks = min(pb.n_rows, 4 * numba.get_num_threads())
        ds = np.empty((B, pb.n_rows))
        shape = (n_chunks,) + Cs_re.shape if want_grad else (1, 1, 1, 1, 1, 1, 1)
        H_re, H_im = np.zeros(shape), np.zeros(shape)
        channel_kernel(self.ch_tab, Cs_re, Cs_im, self.ev, self.rows, w, want_grad, n_chunks, ds, H_re, H_im)
        if not want_grad:
            return ds, None
        H = H_re.sum(axis=0) + 1j * H_im.sum(axis=0)  # [B, 2, R, c, m, j]
        return ds, np.einsum("btrcmj,rcmkj->btkj", H, self.C)

    def _evaluate_general(self, comps, weights, want_grad):
        pb, tab = self.problem, self.problem.tables
        B = comps.shape[0]
        n_chunks = min(pb.n_rows, 4 * numba.get_num_threads())
        ds = np.empty((B, pb.n_rows))
        G = np.zeros((n_chunks if want_grad else 1, B, pb.n_sets, pb.n_components, pb.n_nodes), dtype=np.complex128)
        w = weights if weights is not None else np.zeros((B, pb.n_events))
        comps, w = np.ascontiguousarray(comps), np.ascontiguousarray(w)
        if pb.five_component:
            nct = pb.nc_tables
            nc_direct_kernel(tab.arrays(), nct.F5, nct.gm, nct.c3, self.ev, self.rows, comps, w, want_grad, n_chunks,
                             ds, G)  # fmt: skip
        else:
            direct_kernel(tab.arrays(), self.ev, self.rows, comps, w, want_grad, n_chunks, ds, G)
        return ds[:, : pb.n_events], pb.expected_counts(ds), (G.sum(axis=0) if want_grad else None)
