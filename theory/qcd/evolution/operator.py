"""The evolution operator in the flavour basis, composed across flavour thresholds.

Flavour basis (``theory.qcd.flavours``, 13 slots): 0 = g, 1..6 = q+ = q + qbar and 7..12 = q- = q - qbar for
d, u, s, c, b, t (PDG order). In a segment with nf active flavours (Sigma = sum of active q+):

    q+_i -> E+ (q+_i - Sigma/nf) + (E_qq Sigma + E_qg g) / nf      (q+_i - Sigma/nf is a T_k mix)
    g    -> E_gq Sigma + E_gg g
    q-_i -> E- (q-_i - V/nf) + E_V V / nf,  with E_V = E- up to NLO (gamma_V = gamma_ns- + O(a^3))

and inactive flavours stay as they are (zero below their threshold). Matching at mu = m_h is
the identity (see ``theory.qcd.scheme``), so the full operator is the product of the segments'.
"""

import numpy as np
from numba import njit, prange

from theory.qcd.anomalous_dimensions import gammas, harmonic_sums
from theory.qcd.couplings import Coupling
from theory.qcd.evolution import solutions
from theory.qcd.flavours import N_QUARKS, N_SLOTS
from theory.qcd.scheme import DEFAULT_MASSES, FlavourScheme

ORDERS = {"lo": 0, "nlo": 1}


@njit(cache=True)
def segment_operator(N, hs, a1, a0, nf, order, mode, out):
    """Write the flavour-basis operator of one fixed-nf segment a0 -> a1 at moment N into ``out``."""
    g0, g1, g1p, g1m = gammas(N, hs, nf, order)
    g0ns = g0[0]
    S = solutions.singlet(g0, g1, a1, a0, nf, order, mode)
    ep = solutions.non_singlet(g0ns, g1p, a1, a0, nf, order, mode)
    em = solutions.non_singlet(g0ns, g1m, a1, a0, nf, order, mode)
    out[:, :] = 0.0
    for i in range(N_SLOTS):
        out[i, i] = 1.0
    out[0, 0] = S[3]
    for i in range(1, nf + 1):
        out[0, i] = S[2]
        out[i, 0] = S[1] / nf
        for j in range(1, nf + 1):
            out[i, j] = (S[0] - ep) / nf
        out[i, i] += ep
        out[N_QUARKS + i, N_QUARKS + i] = em


@njit(cache=True, parallel=True)
def flavour_operators(Ns, a_starts, a_ends, nfs, order, mode):
    """Evolution operators E(N_j) for every moment of ``Ns`` along a path of fixed-nf segments.

    Parameters
    ----------
    Ns : complex128[n]
        Mellin moments.
    a_starts, a_ends : float64[m]
        a_s at the start and end of each segment, in the order travelled.
    nfs : int64[m]
        Active flavours in each segment.
    order : int
        0 = LO, 1 = NLO.
    mode : int
        ``solutions.MODE_ITERATED_EXACT`` or ``solutions.MODE_TRUNCATED``.

    Returns
    -------
    complex128[n, 13, 13]
    """
    n = Ns.shape[0]
    result = np.empty((n, N_SLOTS, N_SLOTS), dtype=np.complex128)
    for j in prange(n):
        N = Ns[j]
        hs = harmonic_sums(N)
        total = np.eye(N_SLOTS, dtype=np.complex128)
        seg = np.empty((N_SLOTS, N_SLOTS), dtype=np.complex128)
        for k in range(a_starts.shape[0]):
            if a_starts[k] == a_ends[k]:
                continue
            segment_operator(N, hs, a_ends[k], a_starts[k], nfs[k], order, mode, seg)
            total = seg @ total
        result[j] = total
    return result


class EvolutionSetup:
    """Everything that fixes the evolution: order, solution, scheme, a_s and the input scale.

    Parameters
    ----------
    order : str
        ``"lo"`` or ``"nlo"``.
    mode : str
        ``"iterated-exact"`` or ``"truncated"`` (the same at LO).
    scheme : str
        ``"ffns3"`` ... ``"ffns6"`` or ``"vfns"``.
    mu0_2 : float
        Input scale Q0^2 in GeV^2 (also the reference scale of alpha_s).
    alpha_s0 : float
        alpha_s(Q0^2).
    masses : tuple of float
        (m_c, m_b, m_t) in GeV.
    """

    def __init__(
        self, order="nlo", mode="iterated-exact", scheme="vfns", mu0_2=2.0, alpha_s0=0.35, masses=DEFAULT_MASSES
    ):
        if order not in ORDERS:
            raise ValueError(f"order {order!r} is not one of {', '.join(ORDERS)}")
        if mode not in solutions.MODES:
            raise ValueError(f"mode {mode!r} is not one of {', '.join(solutions.MODES)}")
        self.order_name, self.mode_name = order, mode
        self.order = ORDERS[order]
        self.mode = solutions.MODES[mode]
        self.scheme = FlavourScheme(scheme, masses)
        self.mu0_2 = float(mu0_2)
        self.coupling = Coupling(alpha_s0, mu0_2, self.order, self.scheme)

    def path(self, mu2):
        """(a_starts, a_ends, nfs) of the evolution path Q0^2 -> mu^2."""
        segs = self.scheme.segments(self.mu0_2, mu2)
        a_starts = np.array([self.coupling.a_s(lo_) for lo_, _, _ in segs])
        a_ends = np.array([self.coupling.a_s(hi) for _, hi, _ in segs])
        nfs = np.array([nf for _, _, nf in segs], dtype=np.int64)
        return a_starts, a_ends, nfs

    def operators(self, Ns, mu2):
        """Flavour-basis operators E(N_j; Q0^2 -> mu^2), complex128[n, 13, 13]."""
        a_starts, a_ends, nfs = self.path(mu2)
        Ns = np.asarray(Ns, dtype=np.complex128)
        return flavour_operators(Ns, a_starts, a_ends, nfs, self.order, self.mode)

    def evolve(self, Ns, f0, mu2):
        """Flavour vectors at mu^2 from those at Q0^2: f0[..., n, 13] (sets may lead) -> same shape."""
        f0 = np.asarray(f0)
        sets = f0.reshape((-1,) + f0.shape[-2:])
        E = self.operators(Ns, mu2)  # f(s, j) = E(j) f0(s, j): one batched product per node j
        return np.matmul(sets.transpose(1, 0, 2), E.transpose(0, 2, 1)).transpose(1, 0, 2).reshape(f0.shape)

    def pdfs_at(self, contour, f0, x, mu2):
        """f(x, mu^2) of input moments f0[..., nodes, 13] on ``contour``: [..., n_x, 13] (evolve, then
        invert; the one route from input moments to PDFs in x space)."""
        return contour.invert(x, self.evolve(contour.N, f0, mu2))
