"""The DIS response with gamma/Z exchange: d2sigma of one event as a linear form in five input
combinations (the photon-only response, ``theory.kernels.response``, needs three).

Photon exchange couples every quark through e_q^2, so A_t = sum e_q^2 q+ closes under evolution
with Sigma and g. gamma/Z weights depend on Q^2 and the beam (``theory.dis.electroweak``), but only
through the quark's type: up (u, c, t) or down (d, s, b). So the components

    c = (U+, D+, g, U-, D-),   U+- = sum_{up} q+-,   D+- = sum_{down} q+-,

carry any coupling: with per-event weights b_u, b_d (F2~, FL~ on q+) and d_u, d_d (xF3~ on q-),

    F2~/x = b_u C_q U+ + b_d C_q D+ + (n_u b_u + n_d b_d) C_g g,     xF3~/x = C_3 (d_u U- + d_d D-),

n_u, n_d the active up- and down-type flavours at Q^2 (massless quarks; inactive ones are zero).
In a segment with nf flavours (n_u + n_d = nf, f_u = n_u / nf, f_d = n_d / nf, E+ and E- the
non-singlet factors, S the singlet matrix; Sigma = U+ + D+) the map is closed:

    U+' = E+ U+ + f_u [(S_qq - E+) Sigma + S_qg g],   D+' = E+ D+ + f_d [(S_qq - E+) Sigma + S_qg g],
    g'  = S_gq Sigma + S_gg g,                         U-' = E- U-,   D-' = E- D-

(q-_i -> E- q-_i since E_V = E- up to NLO, ``theory.qcd.evolution.operator``). Then

    d2sigma_i = pref_i x_i Im sum_j w_j x_i^(-N_j) sum_k R_ik(N_j) c_k(N_j; theta),
    R_i = h_i . M_last(N, a_i) . F_region(N),
    h_i = ( b_u h0, b_d h0, a (n_u b_u + n_d b_d)(Y+ c2g - y^2 cLg), s Y- d_u C3, s Y- d_d C3 ),
    h0 = Y+ (1 + a c2q) - y^2 a cLq,   C3 = 1 + a c3q,   s = +1 for e-, -1 for e+,

the 5 x 5 analogue of the photon response (F_region: the fixed segments an event of that region
traverses). ``REDUCED_NC`` in ``theory.qcd.flavours`` gives the components of p, n and d.
"""

from typing import NamedTuple

import numpy as np
from numba import njit, prange

from theory.dis import electroweak as ew_
from theory.kernels.response import EventArrays, EventConstants, ResponseTables, last_segment
from theory.qcd.anomalous_dimensions import gammas, harmonic_sums
from theory.qcd.coefficients import c3q_nlo
from theory.qcd.evolution import solutions as sol
from theory.qcd.harmonics import S1, S2

N_NC = 5
"""Components of the gamma/Z response: U+, D+, g, U-, D-."""


@njit(cache=True)
def _counts(nf):
    """(n_u, n_d): active up- and down-type quarks among the first nf of d, u, s, c, b, t."""
    n_u = 0
    for i in range(nf):
        if i % 2 == 1:
            n_u += 1
    return n_u, nf - n_u


@njit(cache=True)
def nc_segment(N, hs, a1, a0, nf, order, mode, out):
    """The 5 x 5 map of (U+, D+, g, U-, D-) over one fixed-nf segment a0 -> a1, into ``out``."""
    g0, g1, g1p, g1m = gammas(N, hs, nf, order)
    S = sol.singlet(g0, g1, a1, a0, nf, order, mode)
    ep = sol.non_singlet(g0[0], g1p, a1, a0, nf, order, mode)
    em = sol.non_singlet(g0[0], g1m, a1, a0, nf, order, mode)
    n_u, n_d = _counts(nf)
    fu = n_u / nf
    fd = n_d / nf
    out[:, :] = 0.0
    sq = S[0] - ep
    out[0, 0] = ep + fu * sq
    out[0, 1] = fu * sq
    out[0, 2] = fu * S[1]
    out[1, 0] = fd * sq
    out[1, 1] = ep + fd * sq
    out[1, 2] = fd * S[1]
    out[2, 0] = S[2]
    out[2, 1] = S[2]
    out[2, 2] = S[3]
    out[3, 3] = em
    out[4, 4] = em


@njit(cache=True)
def _nc_region_tables(Ns, order, mode, fixed_a0, fixed_a1, fixed_nf, last_nf, F, gm):
    """One region's fixed-segment product F[n, 5, 5] and the last segment's gamma^(1)_ns- (gm[n])."""
    M = np.empty((N_NC, N_NC), dtype=np.complex128)
    for j in range(Ns.shape[0]):
        N = Ns[j]
        hs = harmonic_sums(N)
        total = np.eye(N_NC, dtype=np.complex128)
        for s in range(fixed_nf.shape[0]):
            nc_segment(N, hs, fixed_a1[s], fixed_a0[s], fixed_nf[s], order, mode, M)
            total = M @ total
        F[j] = total
        gm[j] = gammas(N, hs, last_nf, order)[3]


class NCTables(NamedTuple):
    """The photon tables (``ResponseTables``: regions, a0, nf, gam, pw, XY, coef) plus what gamma/Z
    adds: F5[R, n, 5, 5] (fixed segments), gm[R, n] (gamma^(1)_ns- of the last segment), c3[n]."""

    base: object
    F5: np.ndarray
    gm: np.ndarray
    c3: np.ndarray


def nc_tables(tables):
    """``NCTables`` for the regions and nodes of a ``ResponseTables``: built once per tables object
    (every Problem that shares the tables, e.g. the generator's candidate batches, shares them)."""
    cached = getattr(tables, "_nc_tables", None)
    if cached is not None:
        return cached
    N = tables.N
    R, n = tables.F.shape[0], N.shape[0]
    F5 = np.empty((R, n, N_NC, N_NC), dtype=np.complex128)
    gm = np.empty((R, n), dtype=np.complex128)
    for r, (fa0, fa1, fnf) in enumerate(tables.fixed_segments):
        _nc_region_tables(N, tables.order, tables.mode, fa0, fa1, fnf, int(tables.nf[r]), F5[r], gm[r])
    c3 = np.array([c3q_nlo(Nj, S1(Nj), S2(Nj)) for Nj in N]) if tables.order >= 1 else np.zeros(n, complex)
    tables._nc_tables = NCTables(tables, F5, gm, c3)
    return tables._nc_tables


class NCEventConstants(EventConstants):
    """Per-event constants of the gamma/Z response: those of the photon one (region, a, lnrho, y,
    factor, logx) and the coupling weights b_u, b_d (F2~, FL~) and d_u, d_d (xF3~, times the lepton
    sign s) at each event's Q^2 for one beam (``theory.dis.electroweak``); a data set's
    multiplicative correction (the deuteron's R(x)) is folded into ``factor`` by the Problem, as for
    photon exchange (``theory.kernels.backends.problem.DataSetTheory``)."""

    def __init__(self, tables, x, Q2, sqrt_s, process="nc", beam=None, ew=None, alpha_em="fixed", scales=None):
        super().__init__(tables, x, Q2, sqrt_s, alpha_em)
        beam = ew_.Beam() if beam is None else beam
        ew = ew_.Electroweak() if ew is None else ew
        Q2 = np.asarray(Q2, dtype=float)
        setup = tables.setup
        self.nq = np.array([setup.scheme.nf(q2) for q2 in Q2], dtype=np.int64)
        self.a_r, self.log_f = self.a.copy(), np.zeros_like(self.a)
        if scales is not None and not scales.central:  # evolve to mu_F, a_s at mu_R (theory.qcd.scales)
            mu_r2, mu_f2 = scales.mu2(Q2, setup.mu0_2)
            self.region = tables.region(mu_f2).astype(np.int64)
            self.a = setup.coupling.a_s_array(mu_f2)
            self.lnrho = np.log(self.a / tables.a0[self.region])
            self.a_r = setup.coupling.a_s_array(mu_r2)
            self.log_f = np.log(mu_f2 / Q2) if setup.order >= 1 else np.zeros(len(Q2))  # no logs at LO
        self.bu, self.bd, self.du, self.dd = (np.empty(len(Q2)) for _ in range(4))
        self.set_beam(slice(None), Q2, process, beam, ew)

    def set_beam(self, rows, Q2, process, beam, ew):
        """The coupling weights of ``rows`` (a mask or slice of the events at ``Q2``) for ``beam``:
        a Problem of several data sets gives each set's events its own lepton and polarisation."""
        sign = 1.0 if beam.lepton == "e-" else -1.0
        w = ew_.nc_weights(process, beam, ew, np.asarray(Q2, dtype=float)[rows])  # [n, 6]: quark type only
        self.bu[rows], self.bd[rows] = w.plus[:, 1], w.plus[:, 0]
        self.du[rows], self.dd[rows] = sign * w.minus[:, 1], sign * w.minus[:, 0]

    def arrays(self, rows=None):
        """The constants of all events (or of ``rows``) as one kernel argument (``NCEventArrays``)."""
        sel = slice(None) if rows is None else rows
        return NCEventArrays(*(np.ascontiguousarray(getattr(self, name)[sel]) for name in NCEventArrays._fields))


NCEventArrays = NamedTuple(
    "NCEventArrays", [(f, np.ndarray) for f in EventArrays._fields + ("bu", "bd", "du", "dd", "a_r", "log_f", "nq")]
)
"""``NCEventConstants`` as one argument of the Numba kernels: ``EventArrays`` and the four weights."""


@njit(cache=True)
def nc_event_response(j, r, a, lnrho, y, bu, bd, du, dd, a_r, log_f, nq, order, mode, a0, nf, gam, pw, XY, coef, F5,
                      gm, c3):  # fmt: skip
    """R_k(N_j), k = U+, D+, g, U-, D-, of one event: a tuple of 5 complex (no allocation: the CUDA
    kernels call it as a device function, ``theory.kernels.backends.cuda``). Region r and a = a_s of the
    evolution's end (mu_F^2), y, the coupling weights, a_r = a_s(mu_R^2), log_f = ln(mu_F^2/Q^2) and
    nq = nf(Q^2) (the coefficient functions' flavours, ``theory.qcd.scales``): a heavy quark active
    at mu_F but not at Q starts at the last segment's threshold, so leaving it out of the sums is
    counting nq's quarks in that segment's share f_u, f_d; one active at Q but not at mu_F is zero."""
    S0, S1_, S2_, S3, Ep = last_segment(j, r, a, lnrho, order, mode, a0, nf, gam, pw, XY)
    Em = sol.non_singlet(gam[r, j, 8], gm[r, j], a, a0[r], nf[r], order, mode)
    n_u, n_d = _counts(nq)
    s_u, s_d = _counts(min(nq, nf[r]))
    fu = s_u / nf[r]
    fd = s_d / nf[r]
    yplus = 1.0 + (1.0 - y) ** 2
    yminus = 1.0 - (1.0 - y) ** 2
    log_ns = log_f * gam[r, j, 8]  # L_F gamma_ns^(0) (= gamma_qq^(0))
    h0 = yplus * (1.0 + a_r * (coef[j, 0] + log_ns)) - y * y * a_r * coef[j, 2]
    hU = bu * h0
    hD = bd * h0
    c2g = coef[j, 1] + log_f * gam[r, j, 1] / nf[r]  # L_F gamma_qg^(0) / nf, per flavour
    hg = a_r * (n_u * bu + n_d * bd) * (yplus * c2g - y * y * coef[j, 3])
    c3j = 1.0 + a_r * (c3[j] + log_ns)
    hUm = yminus * du * c3j
    hDm = yminus * dd * c3j
    # m = h . M_last, M_last the nc_segment of (a0 -> a) written out
    sq = S0 - Ep
    m0 = hU * (Ep + fu * sq) + hD * fd * sq + hg * S2_
    m1 = hU * fu * sq + hD * (Ep + fd * sq) + hg * S2_
    m2 = (hU * fu + hD * fd) * S1_ + hg * S3
    m3 = hUm * Em
    m4 = hDm * Em
    Fr = F5[r, j]
    return (
        m0 * Fr[0, 0] + m1 * Fr[1, 0] + m2 * Fr[2, 0] + m3 * Fr[3, 0] + m4 * Fr[4, 0],
        m0 * Fr[0, 1] + m1 * Fr[1, 1] + m2 * Fr[2, 1] + m3 * Fr[3, 1] + m4 * Fr[4, 1],
        m0 * Fr[0, 2] + m1 * Fr[1, 2] + m2 * Fr[2, 2] + m3 * Fr[3, 2] + m4 * Fr[4, 2],
        m0 * Fr[0, 3] + m1 * Fr[1, 3] + m2 * Fr[2, 3] + m3 * Fr[3, 3] + m4 * Fr[4, 3],
        m0 * Fr[0, 4] + m1 * Fr[1, 4] + m2 * Fr[2, 4] + m3 * Fr[3, 4] + m4 * Fr[4, 4],
    )


@njit(cache=True)
def nc_kernel_entries(i, j, tab, F5, gm, c3, ev):
    """K[i, :, j] = factor_i w_j x_i^(-N_j) R_i(N_j): event i's five kernel entries at node j
    (``tab``: TableArrays, ``ev``: NCEventArrays)."""
    R = nc_event_response(j, ev.region[i], ev.a[i], ev.lnrho[i], ev.y[i], ev.bu[i], ev.bd[i], ev.du[i],
                          ev.dd[i], ev.a_r[i], ev.log_f[i], ev.nq[i], tab.order, tab.mode, tab.a0, tab.nf, tab.gam,
                          tab.pw, tab.XY, tab.coef, F5, gm, c3)  # fmt: skip
    kf = ev.factor[i] * tab.w[j] * np.exp(-tab.N[j] * ev.logx[i])
    out = np.empty(N_NC, dtype=np.complex128)
    for k in range(N_NC):
        out[k] = R[k] * kf
    return out


@njit(cache=True)
def nc_kernel_row(i, tab, F5, gm, c3, ev):
    """Row i of the gamma/Z kernel, complex[5, n_nodes], on the calling thread (the numpy reference's)."""
    n_nodes = tab.N.shape[0]
    K = np.empty((N_NC, n_nodes), dtype=np.complex128)
    for j in range(n_nodes):
        K[:, j] = nc_kernel_entries(i, j, tab, F5, gm, c3, ev)
    return K


@njit(cache=True, parallel=True)
def _build_nc_kernel(tab, F5, gm, c3, ev):
    K = np.empty((ev.region.shape[0], N_NC, tab.N.shape[0]), dtype=np.complex128)
    for i in prange(ev.region.shape[0]):
        K[i] = nc_kernel_row(i, tab, F5, gm, c3, ev)
    return K


def build_nc_kernel(nct, ev):
    """The cached gamma/Z kernel K[i, k, j] = factor_i w_j x_i^(-N_j) R_ik(N_j), complex[n_events, 5,
    n_nodes], for ``NCTables`` and ``NCEventConstants`` (or their ``NCEventArrays``)."""
    arrays = ev.arrays() if isinstance(ev, NCEventConstants) else ev
    return _build_nc_kernel(nct.base.arrays(), nct.F5, nct.gm, nct.c3, arrays)


def nc_tables_for(setup, contour, q2_max):
    """``NCTables`` built from scratch (a ``ResponseTables`` and the gamma/Z additions)."""
    return nc_tables(ResponseTables(setup, contour, q2_max=q2_max))
