"""The numpy reference backends.

``numpy-loop`` is the honest reference the speedups are quoted against: written the way a
physicist writes numpy, arrays over contour nodes and a Python loop over events, with the
Q^2-independent pieces (anomalous dimensions, eigen-decompositions, coefficient functions,
PDF moments) computed once per call and a_s(Q^2) once per event set. ``numpy-vectorized`` works
on blocks of events x nodes, in chunks so its memory stays bounded: the channel form of the
response for truncated NLO and LO, the same ``response`` as numpy-loop for iterated-exact NLO,
and for the five-component response (gamma/Z, other scales) ``nc_response``, the gamma/Z row
written in numpy on blocks (an implementation independent of the Numba one numpy-loop calls).
"""

import numpy as np

from theory.kernels.backends.base import Backend
from theory.kernels.channels import channel_tables, has_channel_form, monomials, rows_by_target_region
from theory.kernels.nc_response import nc_kernel_row
from theory.kernels.vmath import cexp
from theory.qcd.evolution import solutions as sol


def _mat_exp(M):
    """exp of 2x2 matrices stored as M[..., 4] (11, 12, 21, 22)."""
    s = 0.5 * (M[..., 0] + M[..., 3])
    k11 = 0.5 * (M[..., 0] - M[..., 3])
    d2 = k11 * k11 + M[..., 1] * M[..., 2]
    d = np.sqrt(d2)
    small = np.abs(d) < 1e-6
    dsafe = np.where(small, 1.0, d)
    ch = np.where(small, 1.0 + d2 / 2.0 + d2 * d2 / 24.0, np.cosh(d))
    sh = np.where(small, 1.0 + d2 / 6.0 + d2 * d2 / 120.0, np.sinh(dsafe) / dsafe)
    es = np.exp(s)
    return np.stack([es * (ch + sh * k11), es * sh * M[..., 1], es * sh * M[..., 2], es * (ch - sh * k11)], axis=-1)


def _mat_mul(A, B):
    return np.stack(
        [
            A[..., 0] * B[..., 0] + A[..., 1] * B[..., 2],
            A[..., 0] * B[..., 1] + A[..., 1] * B[..., 3],
            A[..., 2] * B[..., 0] + A[..., 3] * B[..., 2],
            A[..., 2] * B[..., 1] + A[..., 3] * B[..., 3],
        ],
        axis=-1,
    )


def _singlet_exact(g0, g1, a1, a0, b0, bb1):
    """Iterated-exact NLO singlet (4th-order Magnus in ln a) exactly as ``solutions.singlet``:
    the same step count per event, so rows with different counts are solved group by group.
    Shapes: g0, g1 [..., nodes, 4]; a1, a0, b0, bb1 broadcastable to [..., 1]."""
    a1, a0, b0, bb1 = np.broadcast_arrays(a1, a0, b0, bb1)
    log_ratio = np.log(a1 / a0)
    nsteps = np.maximum(4, np.ceil(np.abs(log_ratio) * sol.MAGNUS_STEPS_PER_UNIT)).astype(int)
    out = np.empty(np.broadcast_shapes(g0.shape, log_ratio.shape + (1,)), dtype=np.complex128)
    for n in np.unique(nsteps):
        sel = (nsteps == n)[..., 0] if nsteps.ndim > 1 else Ellipsis
        h = (log_ratio[sel] / n)[..., None]
        u0 = np.log(a0[sel])[..., None]
        B0 = b0[sel][..., None]
        BB1 = bb1[sel][..., None]
        G0 = g0[sel] if g0.ndim == out.ndim else g0
        G1_ = g1[sel] if g1.ndim == out.ndim else g1
        c = np.sqrt(3.0) / 6.0
        E = np.zeros(np.broadcast_shapes(G0.shape, h.shape), dtype=np.complex128)
        E[..., 0] = 1.0
        E[..., 3] = 1.0
        for i in range(n):
            a_1 = np.exp(u0 + (i + 0.5 - c) * h)
            a_2 = np.exp(u0 + (i + 0.5 + c) * h)
            A1 = (G0 + G1_ * a_1) / (B0 + BB1 * a_1)
            A2 = (G0 + G1_ * a_2) / (B0 + BB1 * a_2)
            omega = 0.5 * h * (A1 + A2) + np.sqrt(3.0) / 12.0 * h * h * (_mat_mul(A2, A1) - _mat_mul(A1, A2))
            E = _mat_mul(_mat_exp(omega), E)
        out[sel] = E
    return out


def _last_segment(tab, r, a, lnrho):
    """The last segment's singlet matrix S[..., nodes, 4] and E+[..., nodes] of events of regions r
    at a = a_s (arrays [..., 1]): ``theory.kernels.response.last_segment`` on blocks."""
    a0 = tab.a0[r][..., None]
    if tab.mode == sol.MODE_TRUNCATED or tab.order == 0:
        pw = tab.pw[r]
        XY = tab.XY[r]
        Pp = np.exp(pw[..., 0] * lnrho)[..., None]
        Pm = np.exp(pw[..., 1] * lnrho)[..., None]
        S = Pp * (XY[..., 0, :] + a[..., None] * XY[..., 1, :]) + Pm * (XY[..., 2, :] + a[..., None] * XY[..., 3, :])
        Ep = np.exp(pw[..., 2] * lnrho) * (1.0 + (a - a0) * pw[..., 3])
    else:
        from theory.qcd.couplings import beta0, beta1

        g = tab.gam[r]
        nf = tab.nf[r]
        b0 = np.vectorize(beta0)(nf)[..., None]
        bb1 = np.vectorize(beta1)(nf)[..., None]
        S = _singlet_exact(g[..., 0:4], g[..., 4:8], a, a0, b0, bb1)
        Ep = _non_singlet(g[..., 8], g[..., 9], a, a0, nf[..., None], tab.order, tab.mode)
    return S, Ep


def _non_singlet(g0, g1, a, a0, nf, order, mode):
    """``theory.qcd.evolution.solutions.non_singlet`` on arrays (a, a0, nf broadcast against g0, g1)."""
    from theory.qcd.couplings import beta0, beta1

    b0 = np.vectorize(beta0)(nf)
    lo = g0 / b0 * np.log(a / a0)
    if order == 0:
        return np.exp(lo)
    bb1 = np.vectorize(beta1)(nf)
    b1 = bb1 / b0
    if mode == sol.MODE_TRUNCATED:
        return np.exp(lo) * (1.0 + (a - a0) * (g1 / b0 - b1 * g0 / b0))
    return np.exp(lo + (g1 / bb1 - g0 / b0) * np.log((1.0 + b1 * a) / (1.0 + b1 * a0)))


def response(tab, r, a, lnrho, y):
    """R_k(N_j) for one event (scalars) or a block of events (arrays [n]): complex[(n,) nodes, 3]."""
    a = np.asarray(a, dtype=float)[..., None]
    lnrho = np.asarray(lnrho, dtype=float)[..., None]
    y = np.asarray(y, dtype=float)[..., None]
    S, Ep = _last_segment(tab, r, a, lnrho)
    coef = tab.coef
    e2sum = tab.e2sum[r][..., None]
    ebar = e2sum / tab.nf[r][..., None]
    yplus = 1.0 + (1.0 - y) ** 2
    h0 = yplus * (1.0 + a * coef[:, 0]) - y * y * a * coef[:, 2]
    h2 = a * e2sum * (yplus * coef[:, 1] - y * y * coef[:, 3])
    m0 = h0 * Ep
    m1 = h0 * ebar * (S[..., 0] - Ep) + h2 * S[..., 2]
    m2 = h0 * ebar * S[..., 1] + h2 * S[..., 3]
    F = tab.F[r]
    return m0[..., None] * F[..., 0, :] + m1[..., None] * F[..., 1, :] + m2[..., None] * F[..., 2, :]


def nc_response(tab, nct, ev, rows):
    """R_k(N_j), k = U+, D+, g, U-, D-, of a block of events (``theory.kernels.nc_response``'s
    ``nc_event_response`` on arrays): complex[n, nodes, 5]; ``ev`` the NCEventConstants, ``rows``
    a slice or index array, ``nct`` the NCTables."""
    r = ev.region[rows]
    a, lnrho, y = (np.asarray(v[rows], dtype=float)[:, None] for v in (ev.a, ev.lnrho, ev.y))
    a_r, log_f = ev.a_r[rows][:, None], ev.log_f[rows][:, None]
    bu, bd, du, dd = (v[rows][:, None] for v in (ev.bu, ev.bd, ev.du, ev.dd))
    S, Ep = _last_segment(tab, r, a, lnrho)
    nf = tab.nf[r][:, None]
    gam = tab.gam[r]  # [n, nodes, 10]
    Em = _non_singlet(gam[..., 8], nct.gm[r], a, tab.a0[r][:, None], nf, tab.order, tab.mode)
    nq = ev.nq[rows][:, None]
    n_u, n_d = nq // 2, nq - nq // 2  # up-type among d, u, s, c, b, t: every second
    active = np.minimum(nq, nf)
    fu, fd = (active // 2) / nf, (active - active // 2) / nf
    coef = tab.coef
    yplus, yminus = 1.0 + (1.0 - y) ** 2, 1.0 - (1.0 - y) ** 2
    log_ns = log_f * gam[..., 8]
    h0 = yplus * (1.0 + a_r * (coef[:, 0] + log_ns)) - y * y * a_r * coef[:, 2]
    c2g = coef[:, 1] + log_f * gam[..., 1] / nf
    hg = a_r * (n_u * bu + n_d * bd) * (yplus * c2g - y * y * coef[:, 3])
    c3j = 1.0 + a_r * (nct.c3 + log_ns)
    sq = S[..., 0] - Ep
    m = np.stack([bu * h0 * (Ep + fu * sq) + bd * h0 * fd * sq + hg * S[..., 2],
                  bu * h0 * fu * sq + bd * h0 * (Ep + fd * sq) + hg * S[..., 2],
                  (bu * h0 * fu + bd * h0 * fd) * S[..., 1] + hg * S[..., 3],
                  yminus * du * c3j * Em, yminus * dd * c3j * Em], axis=-1)  # fmt: skip
    return np.einsum("ijl,ijlk->ijk", m, nct.F5[r])


class NumpyLoop(Backend):
    """Python loop over rows, numpy arrays over contour nodes."""

    name = "numpy-loop"

    def _evaluate(self, comps, weights, want_grad):
        pb, tab, ev = self.problem, self.problem.tables, self.problem.ev
        B = comps.shape[0]
        ds = np.empty((B, pb.n_rows))
        G = np.zeros((B, pb.n_sets, pb.n_components, pb.n_nodes), dtype=np.complex128) if want_grad else None
        if pb.five_component:
            nct, tab_arrays, ev_arrays = pb.nc_tables, tab.arrays(), ev.arrays()
        for i in range(pb.n_rows):
            if pb.five_component:  # the gamma/Z row from its response (theory.kernels.nc_response)
                K = nc_kernel_row(i, tab_arrays, nct.F5, nct.gm, nct.c3, ev_arrays).T  # [nodes, 5]
            else:
                R = response(tab, ev.region[i], ev.a[i], ev.lnrho[i], ev.y[i])
                K = (ev.factor[i] * tab.w * np.exp(-tab.N * ev.logx[i]))[:, None] * R  # [nodes, 3]
            t = pb.target[i]
            ds[:, i] = np.imag(np.einsum("jk,bjk->b", K, comps[:, t]))
            if want_grad:
                u = pb.u_vectors_block(ds[:, i : i + 1], weights, slice(i, i + 1))[:, 0]
                G[:, t] += u[:, None, None] * K.T[None]
        return ds[:, : pb.n_events], pb.expected_counts(ds), G


class NumpyVectorized(Backend):
    """Blocks of events x nodes, ``chunk`` rows at a time (bounded memory).

    Truncated NLO and LO use the channel form (``theory.kernels.channels``): rows are sorted once by
    (target, region) so that every block shares its coefficients; per block three complex
    exponentials per (event, node) (``theory.kernels.vmath.cexp``), the five monomials as one matrix
    product per channel and set, and for the gradient H_cm = (u factor s_m)^T E_c, also matrix
    products. Iterated-exact NLO evaluates ``response`` on blocks.
    """

    name = "numpy-vectorized"

    def __init__(self, problem, chunk=80, kernel=None):
        super().__init__(problem)
        self.chunk = int(chunk)
        tab, ev = problem.tables, problem.ev
        self.channels = has_channel_form(tab) and not problem.five_component
        if self.channels:
            self.p, self.C = channel_tables(tab)
            R = self.C.shape[0]
            perm, sorted_key = rows_by_target_region(problem.target, ev.region, R)
            self.blocks = []  # (target, region, rows)
            for k in np.unique(sorted_key):
                lo, hi = np.searchsorted(sorted_key, [k, k + 1])
                for start in range(lo, hi, self.chunk):
                    self.blocks.append((k // R, k % R, perm[start : min(start + self.chunk, hi)]))
            self.s = monomials(ev.a, ev.y)

    def _evaluate(self, comps, weights, want_grad):
        if not self.channels:
            return self._evaluate_response(comps, weights, want_grad)
        pb, tab, ev = self.problem, self.problem.tables, self.problem.ev
        B = comps.shape[0]
        ds = np.empty((B, pb.n_rows))
        Cs = np.einsum("rcmkj,btjk->btrcmj", self.C, comps)  # the sets' coefficients, once per call
        H = np.zeros((B,) + Cs.shape[1:], dtype=np.complex128) if want_grad else None
        N = tab.N
        for t, r, rows in self.blocks:
            L = ev.lnrho[rows, None]
            lx = ev.logx[rows, None]
            E = cexp(self.p[r][:, None, :] * L - N * lx)  # [c, n, j]
            s = self.s[rows]  # [n, m]
            for b in range(B):
                Bv = s @ Cs[b, t, r]  # [c, n, j] (one product per channel, broadcast over c)
                ds[b, rows] = ev.factor[rows] * (np.einsum("cij,cij->i", E.real, Bv.imag) +
                                                 np.einsum("cij,cij->i", E.imag, Bv.real))  # fmt: skip
            if want_grad:
                u = pb.u_vectors_block(ds[:, rows], weights, rows) * ev.factor[rows]  # [B, n]
                us = u[:, :, None] * s[None]  # [B, n, m]
                H[:, t, r] += np.einsum("bim,cij->bcmj", us, E)
        G = np.einsum("btrcmj,rcmkj->btkj", H, self.C) if want_grad else None
        return ds[:, : pb.n_events], pb.expected_counts(ds), G

    def _evaluate_response(self, comps, weights, want_grad):
        pb, tab, ev = self.problem, self.problem.tables, self.problem.ev
        B = comps.shape[0]
        ds = np.empty((B, pb.n_rows))
        G = np.zeros((B, pb.n_sets, pb.n_components, pb.n_nodes), dtype=np.complex128) if want_grad else None
        for start in range(0, pb.n_rows, self.chunk):
            sl = slice(start, min(start + self.chunk, pb.n_rows))
            if pb.five_component:
                R = nc_response(tab, pb.nc_tables, ev, sl)  # [n, nodes, 5]
            else:
                R = response(tab, ev.region[sl], ev.a[sl], ev.lnrho[sl], ev.y[sl])  # [n, nodes, 3]
            K = (ev.factor[sl, None] * tab.w[None] * np.exp(-tab.N[None] * ev.logx[sl, None]))[..., None] * R
            t = pb.target[sl]
            ds[:, sl] = np.imag(np.einsum("ijk,bijk->bi", K, comps[:, t]))
            if want_grad:
                u = pb.u_vectors_block(ds[:, sl], weights, sl)
                for code in range(pb.n_sets):
                    mask = t == code
                    if mask.any():
                        G[:, code] += np.einsum("bi,ijk->bkj", u[:, mask], K[mask])
        return ds[:, : pb.n_events], pb.expected_counts(ds), G
