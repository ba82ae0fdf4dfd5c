"""Space-like unpolarised anomalous dimensions gamma(N) = -int_0^1 x^(N-1) P(x) dx.

Convention (Moch, Vermaseren, Vogt): d f(N, mu^2) / d ln mu^2 = -gamma(N, a_s) f(N, mu^2),
gamma = a_s gamma^(0) + a_s^2 gamma^(1) + ..., a_s = alpha_s / (4 pi). Singlet matrices act on
(Sigma, g) with Sigma = sum_q (q + qbar) over the nf active flavours.

One file per order: ``lo`` (gamma^(0)) and ``nlo`` (gamma^(1)). ``harmonic_sums`` computes
once per N every sum the two orders need.
"""

from numba import njit

from theory.qcd import harmonics as h
from theory.qcd.anomalous_dimensions import lo, nlo


@njit(cache=True)
def harmonic_sums(N):
    """The harmonic sums of the LO and NLO anomalous dimensions at complex N.

    Returns (S1, S2, S1e, S2e, S3e, S1o, S2o, S3o, g3) with S_k e = S_k(N/2) (eta = +1 pieces)
    and S_k o = S_k((N-1)/2) (eta = -1 pieces), i.e. QCD-Pegasus's S'_k, and g3 = g3(N).
    """
    return (
        h.S1(N),
        h.S2(N),
        h.S1(N / 2.0),
        h.S2(N / 2.0),
        h.S3(N / 2.0),
        h.S1((N - 1.0) / 2.0),
        h.S2((N - 1.0) / 2.0),
        h.S3((N - 1.0) / 2.0),
        h.g3(N),
    )


@njit(cache=True)
def gammas(N, hs, nf, order):
    """Everything a segment needs at moment N: (gamma^(0) singlet, gamma^(1) singlet, gamma^(1)+ ns,
    gamma^(1)- ns); the NLO pieces are zero at LO (order 0). gamma^(0)_ns is gamma^(0)_qq."""
    g0 = lo.gamma_singlet(N, hs[0], nf)
    if order >= 1:
        return g0, nlo.gamma_singlet(N, nf, hs), nlo.gamma_nsp(N, nf, hs), nlo.gamma_nsm(N, nf, hs)
    return g0, (0.0j, 0.0j, 0.0j, 0.0j), 0.0j, 0.0j
