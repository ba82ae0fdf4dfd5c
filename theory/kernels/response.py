"""The DIS response: d2sigma of one event as a linear form in the input-scale moments.

For photon exchange only three input combinations matter (at any Q^2, thresholds included):

    c = (A_t, Sigma, g),   A_t = sum_q e_q^2 q+ (target t: p, or n = p with u <-> d),

because in a segment with nf flavours (E+ the non-singlet-plus factor, S the singlet matrix,
ebar = <e^2>_nf) the map (A, Sigma, g) -> (A', Sigma', g') is closed:

    A' = E+ A + ebar (S_qq - E+) Sigma + ebar S_qg g,   (Sigma', g') = S (Sigma, g),

and a new heavy flavour starts at zero. Then, with Y+ = 1 + (1-y)^2 and a = a_s(Q^2),

    d2sigma_i = pref_i x_i Im sum_j w_j x_i^(-N_j) sum_k R_ik(N_j) c_k(N_j; theta),
    R_i = h_i . M_last(N, a_i) . F_region(N),
    h_i = ( Y+ (1 + a c2q) - y^2 a cLq, 0, a sum_nf e^2 (Y+ c2g - y^2 cLg) ),

with F_region the fixed product of the segments an event of that region fully traverses and
M_last its last segment. Everything but (a_i, x_i, y_i) is tabulated per contour node once
(``ResponseTables``); K_ikj = pref_i x_i w_j x_i^(-N_j) R_ik(N_j) is the cached kernel.
Truncated NLO and LO last segments are sums of powers: S = sum_+- (a/a0)^r+- (X+- + a Y+-),
X = e - a0 e U1, Y = U1 e (see ``theory.qcd.evolution.solutions``); iterated-exact ones call the
Magnus solver per event.
"""

import cmath
from typing import NamedTuple

import numpy as np
from numba import njit, prange

from theory.dis.cross_section import inelasticity, prefactor
from theory.qcd.anomalous_dimensions import gammas, harmonic_sums
from theory.qcd.coefficients import c2g_nlo, c2q_nlo, cLg_nlo, cLq_nlo
from theory.qcd.constants import CHARGES2
from theory.qcd.couplings import beta0, beta1
from theory.qcd.evolution import solutions as sol
from theory.qcd.harmonics import S1, S2


@njit(cache=True)
def reduced_segment(N, hs, a1, a0, nf, order, mode, out):
    """The 3x3 map of (A, Sigma, g) over one fixed-nf segment a0 -> a1, written into ``out``."""
    g0, g1, g1p, _ = gammas(N, hs, nf, order)
    S = sol.singlet(g0, g1, a1, a0, nf, order, mode)
    ep = sol.non_singlet(g0[0], g1p, a1, a0, nf, order, mode)
    ebar = 0.0
    for i in range(nf):
        ebar += CHARGES2[i]
    ebar /= nf
    out[0, 0] = ep
    out[0, 1] = ebar * (S[0] - ep)
    out[0, 2] = ebar * S[1]
    out[1, 0] = 0.0
    out[1, 1] = S[0]
    out[1, 2] = S[1]
    out[2, 0] = 0.0
    out[2, 1] = S[2]
    out[2, 2] = S[3]


@njit(cache=True)
def _region_tables(Ns, order, mode, fixed_a0, fixed_a1, fixed_nf, last_a0, last_nf, F, gam, pw, XY):
    """Fill one region's tables for every node: F (fixed segments), gam (anomalous dimensions of
    the last segment), pw (r+, r-, r_ns, R1_ns) and XY (X+, Y+, X-, Y-) of the truncated/LO form."""
    M = np.empty((3, 3), dtype=np.complex128)
    b0 = beta0(last_nf)
    b1 = beta1(last_nf) / b0
    for j in range(Ns.shape[0]):
        N = Ns[j]
        hs = harmonic_sums(N)
        total = np.eye(3, dtype=np.complex128)
        for s in range(fixed_nf.shape[0]):
            reduced_segment(N, hs, fixed_a1[s], fixed_a0[s], fixed_nf[s], order, mode, M)
            total = M @ total
        F[j] = total
        g0, g1, g1p, _ = gammas(N, hs, last_nf, order)
        for k in range(4):
            gam[j, k] = g0[k]
            gam[j, 4 + k] = g1[k]
        gam[j, 8] = g0[0]
        gam[j, 9] = g1p
        # truncated / LO: the eigen-decomposition of R0 = g0 / beta0 and U1
        _, rp, rm, ep, em, U1 = sol.truncated_factors(g0, g1, last_nf, order)
        pw[j, 0] = rp
        pw[j, 1] = rm
        pw[j, 2] = g0[0] / b0
        pw[j, 3] = (g1p - b1 * g0[0]) / b0 if order >= 1 else 0.0
        eU_p = sol.mat_mul(ep, U1)
        eU_m = sol.mat_mul(em, U1)
        Ue_p = sol.mat_mul(U1, ep)
        Ue_m = sol.mat_mul(U1, em)
        for k in range(4):
            XY[j, 0, k] = ep[k] - last_a0 * eU_p[k]
            XY[j, 1, k] = Ue_p[k]
            XY[j, 2, k] = em[k] - last_a0 * eU_m[k]
            XY[j, 3, k] = Ue_m[k]


@njit(cache=True)
def _coefficients(Ns, out):
    for j in range(Ns.shape[0]):
        N = Ns[j]
        s1 = S1(N)
        out[j, 0] = c2q_nlo(N, s1, S2(N))
        out[j, 1] = c2g_nlo(N, s1)
        out[j, 2] = cLq_nlo(N)
        out[j, 3] = cLg_nlo(N)


class TableArrays(NamedTuple):
    """The per-node response tables as one argument of the CPU kernels (``ResponseTables.arrays``)."""

    N: np.ndarray
    w: np.ndarray
    order: int
    mode: int
    a0: np.ndarray
    nf: np.ndarray
    e2sum: np.ndarray
    F: np.ndarray
    gam: np.ndarray
    pw: np.ndarray
    XY: np.ndarray
    coef: np.ndarray


class EventArrays(NamedTuple):
    """Per-event constants as one argument of the CPU kernels (``EventConstants.arrays``)."""

    region: np.ndarray
    a: np.ndarray
    lnrho: np.ndarray
    y: np.ndarray
    factor: np.ndarray
    logx: np.ndarray


class ResponseTables:
    """Per-node tables of the DIS response for one theory setting and contour.

    Parameters
    ----------
    setup : theory.qcd.evolution.EvolutionSetup
    contour : theory.qcd.mellin.Contour
    q2_max : float
        Largest Q^2 the tables must serve (GeV^2); sets the regions (one per nf reached).
    """

    def __init__(self, setup, contour, q2_max=1e6):
        self.setup, self.contour = setup, contour
        self.q2_max = float(q2_max)
        self.order, self.mode = setup.order, setup.mode
        self.N = np.ascontiguousarray(contour.N)
        self.w = np.ascontiguousarray(contour.weights)
        n = self.N.shape[0]
        scheme, mu0 = setup.scheme, setup.mu0_2
        # regions: the nf of the last segment of paths from Q0 to any Q^2 in [Q0^2, q2_max]
        bounds = [mu0] + [t for t in scheme.thresholds2 if mu0 < t < q2_max] if scheme.fixed_nf is None else [mu0]
        self.region_start = np.array(bounds)
        regions = len(bounds)
        self.F = np.empty((regions, n, 3, 3), dtype=np.complex128)
        self.gam = np.empty((regions, n, 10), dtype=np.complex128)
        self.pw = np.empty((regions, n, 4), dtype=np.complex128)
        self.XY = np.empty((regions, n, 4, 4), dtype=np.complex128)
        self.a0 = np.empty(regions)
        self.nf = np.empty(regions, dtype=np.int64)
        self.e2sum = np.empty(regions)
        self.fixed_segments = []
        """Per region (a_s at the starts, a_s at the ends, nf) of the segments an event of that region
        fully traverses (the photon and the gamma/Z responses' F tables)."""
        a = setup.coupling.a_s
        for r, start in enumerate(bounds):
            probe = start * (1.0 + 1e-9) if r > 0 else start
            fixed = [(lo_, hi, nf) for lo_, hi, nf in scheme.segments(mu0, probe)[:-1] if lo_ != hi]
            fa0 = np.array([a(s[0]) for s in fixed])
            fa1 = np.array([a(s[1]) for s in fixed])
            fnf = np.array([s[2] for s in fixed], dtype=np.int64)
            self.fixed_segments.append((fa0, fa1, fnf))
            last_nf = scheme.nf(probe)
            self.a0[r] = a(start)
            self.nf[r] = last_nf
            self.e2sum[r] = sum(CHARGES2[:last_nf])
            _region_tables(
                self.N, self.order, self.mode, fa0, fa1, fnf, self.a0[r], last_nf,
                self.F[r], self.gam[r], self.pw[r], self.XY[r],
            )  # fmt: skip
        self.coef = np.zeros((n, 4), dtype=np.complex128)
        if self.order >= 1:
            _coefficients(self.N, self.coef)

    def arrays(self):
        """The tables as one kernel argument (``TableArrays``)."""
        return TableArrays(self.N, self.w, self.order, self.mode, self.a0, self.nf, self.e2sum, self.F, self.gam,
                           self.pw, self.XY, self.coef)  # fmt: skip

    def region(self, Q2):
        """Region index of each Q^2 (the number of thresholds passed above Q0)."""
        return np.searchsorted(self.region_start, np.asarray(Q2, dtype=float), side="right") - 1


class EventConstants:
    """What the response needs of each event: region, a_s(Q^2), y and the prefactor.

    ``factor`` = 2 pi alpha^2 / (x Q^4) (hbar c)^2 [nb GeV^-2] times x (F2 = x * inverse Mellin),
    ``theory.dis.cross_section``'s prefactor and inelasticity; alpha is alpha(0) or, with
    ``alpha_em="running"``, alpha(Q^2) (``theory.dis.alpha_em``).
    """

    def __init__(self, tables, x, Q2, sqrt_s, alpha_em="fixed"):
        x = np.asarray(x, dtype=float)
        Q2 = np.asarray(Q2, dtype=float)
        s = sqrt_s**2
        self.region = tables.region(Q2).astype(np.int64)
        self.a = tables.setup.coupling.a_s_array(Q2)
        self.lnrho = np.log(self.a / tables.a0[self.region])
        self.y = inelasticity(x, Q2, s)
        self.factor = prefactor(x, Q2, alpha_em) * x
        self.logx = np.log(x)

    def arrays(self, rows=None):
        """The constants of all events (or of ``rows``) as one kernel argument (``EventArrays``)."""
        sel = slice(None) if rows is None else rows
        return EventArrays(*(np.ascontiguousarray(getattr(self, name)[sel]) for name in EventArrays._fields))


@njit(cache=True)
def last_segment(j, r, a, lnrho, order, mode, a0, nf, gam, pw, XY):
    """The last segment's singlet matrix (S_qq, S_qg, S_gq, S_gg) and E+ at node j for an event of
    region r at a = a_s(Q^2) (lnrho = ln(a / a0_r)): sums of powers for truncated NLO and LO, the
    Magnus solver otherwise; shared by the photon and the gamma/Z responses (the CUDA simulator
    runs the plain Python functions of both, ``theory.kernels.backends.cuda.simulated``)."""
    if mode == sol.MODE_TRUNCATED or order == 0:
        Pp = cmath.exp(pw[r, j, 0] * lnrho)
        Pm = cmath.exp(pw[r, j, 1] * lnrho)
        S0 = Pp * (XY[r, j, 0, 0] + a * XY[r, j, 1, 0]) + Pm * (XY[r, j, 2, 0] + a * XY[r, j, 3, 0])
        S1_ = Pp * (XY[r, j, 0, 1] + a * XY[r, j, 1, 1]) + Pm * (XY[r, j, 2, 1] + a * XY[r, j, 3, 1])
        S2_ = Pp * (XY[r, j, 0, 2] + a * XY[r, j, 1, 2]) + Pm * (XY[r, j, 2, 2] + a * XY[r, j, 3, 2])
        S3 = Pp * (XY[r, j, 0, 3] + a * XY[r, j, 1, 3]) + Pm * (XY[r, j, 2, 3] + a * XY[r, j, 3, 3])
        Ep = cmath.exp(pw[r, j, 2] * lnrho) * (1.0 + (a - a0[r]) * pw[r, j, 3])
    else:
        g = gam[r, j]
        S = sol.singlet((g[0], g[1], g[2], g[3]), (g[4], g[5], g[6], g[7]), a, a0[r], nf[r], order, mode)
        S0, S1_, S2_, S3 = S[0], S[1], S[2], S[3]
        Ep = sol.non_singlet(g[8], g[9], a, a0[r], nf[r], order, mode)
    return S0, S1_, S2_, S3, Ep


@njit(cache=True)
def event_response(j, r, a, lnrho, y, order, mode, a0, nf, e2sum, F, gam, pw, XY, coef):
    """R_k(N_j) of one event (region r, a = a_s(Q^2), y): the row (h . M_last . F) as 3 complex."""
    S0, S1_, S2_, S3, Ep = last_segment(j, r, a, lnrho, order, mode, a0, nf, gam, pw, XY)
    yplus = 1.0 + (1.0 - y) ** 2
    h0 = yplus * (1.0 + a * coef[j, 0]) - y * y * a * coef[j, 2]
    h2 = a * e2sum[r] * (yplus * coef[j, 1] - y * y * coef[j, 3])
    ebar = e2sum[r] / nf[r]
    m0 = h0 * Ep
    m1 = h0 * ebar * (S0 - Ep) + h2 * S2_
    m2 = h0 * ebar * S1_ + h2 * S3
    Fr = F[r, j]
    return (
        m0 * Fr[0, 0] + m1 * Fr[1, 0] + m2 * Fr[2, 0],
        m0 * Fr[0, 1] + m1 * Fr[1, 1] + m2 * Fr[2, 1],
        m0 * Fr[0, 2] + m1 * Fr[1, 2] + m2 * Fr[2, 2],
    )


@njit(cache=True)
def kernel_entries(i, j, tab, ev):
    """K[i, :, j] = factor_i w_j x_i^(-N_j) R_i(N_j): event i's three kernel entries at node j
    (``tab``: TableArrays, ``ev``: EventArrays)."""
    R = event_response(j, ev.region[i], ev.a[i], ev.lnrho[i], ev.y[i], tab.order, tab.mode, tab.a0, tab.nf,
                       tab.e2sum, tab.F, tab.gam, tab.pw, tab.XY, tab.coef)  # fmt: skip
    kf = ev.factor[i] * tab.w[j] * cmath.exp(-tab.N[j] * ev.logx[i])
    return kf * R[0], kf * R[1], kf * R[2]


@njit(cache=True, parallel=True)
def build_kernel(tab, ev):
    """The cached kernel K[i, k, j] = factor_i w_j x_i^(-N_j) R_ik(N_j), complex[n_events, 3, n_nodes]."""
    n_ev = ev.region.shape[0]
    n_nodes = tab.N.shape[0]
    K = np.empty((n_ev, 3, n_nodes), dtype=np.complex128)
    for i in prange(n_ev):
        for j in range(n_nodes):
            K[i, 0, j], K[i, 1, j], K[i, 2, j] = kernel_entries(i, j, tab, ev)
    return K
