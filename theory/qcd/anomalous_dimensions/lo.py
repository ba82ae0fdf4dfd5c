"""Leading-order anomalous dimensions gamma^(0)(N).

Implements Eqs. (3.4) of Moch, Vermaseren, Vogt, hep-ph/0403192 (non-singlet) and (3.5) of
Vogt, Moch, Vermaseren, hep-ph/0404111 (singlet), with a_s = alpha_s/(4 pi).
"""

from numba import njit

from theory.qcd.constants import CA, CF, TR


@njit(cache=True)
def gamma_ns(N, S1):
    """gamma_ns^(0) = C_F (4 S_1 - 3 - 2 / (N (N + 1))); also gamma_qq^(0)."""
    return CF * (4.0 * S1 - 3.0 - 2.0 / (N * (N + 1.0)))


@njit(cache=True)
def gamma_qg(N, nf):
    """gamma_qg^(0) = -4 T_R nf (N^2 + N + 2) / (N (N + 1) (N + 2)), Sigma <- g."""
    return -4.0 * TR * nf * (N * N + N + 2.0) / (N * (N + 1.0) * (N + 2.0))


@njit(cache=True)
def gamma_gq(N):
    """gamma_gq^(0) = -2 C_F (N^2 + N + 2) / ((N - 1) N (N + 1)), g <- Sigma."""
    return -2.0 * CF * (N * N + N + 2.0) / ((N - 1.0) * N * (N + 1.0))


@njit(cache=True)
def gamma_gg(N, S1, nf):
    """gamma_gg^(0) = C_A (4 S_1 - 4/(N(N-1)) - 4/((N+1)(N+2)) - 11/3) + 4/3 T_R nf."""
    return CA * (4.0 * S1 - 4.0 / (N * (N - 1.0)) - 4.0 / ((N + 1.0) * (N + 2.0)) - 11.0 / 3.0) + 4.0 / 3.0 * TR * nf


@njit(cache=True)
def gamma_singlet(N, S1, nf):
    """The 2x2 singlet matrix ((qq, qg), (gq, gg)) as four complex numbers."""
    return gamma_ns(N, S1), gamma_qg(N, nf), gamma_gq(N), gamma_gg(N, S1, nf)
