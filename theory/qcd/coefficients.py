"""MSbar DIS coefficient functions in N space for F2, FL and xF3 (massless quarks).

Normalisation, with a_s = alpha_s/(4 pi) and mu_R = mu_F = Q:

    F_a(N) / x-moment = sum_q e_q^2 [ C_a,q(N) (q + qbar)(N) + C_a,g(N) g(N) ],  a = 2, L,
    C_2,q = 1 + a_s c_2,q^(1),   C_2,g = a_s c_2,g^(1),   C_L,i = a_s c_L,i^(1),

where "x-moment" means int_0^1 x^(N-2) F_a(x) dx (the moment of F_a/x) and C_a,g is per quark
flavour (q and qbar together). The NLO terms are the Mellin transforms of the classic x-space
results (Bardeen, Buras, Duke, Muta, PRD 18 (1978) 3998; Altarelli-Martinelli for F_L; the
alpha_s/(2 pi) forms of Ellis-Stirling-Webber Eqs. 4.80, 4.81 times 2):

    c_2,q^(1)(z) = C_F [ 4 (ln(1-z)/(1-z))_+ - 3/(1-z)_+ - 2(1+z) ln(1-z) - 2(1+z^2)/(1-z) ln z
                         + 6 + 4z - (9 + 4 zeta2) delta(1-z) ]
    c_2,g^(1)(z) = 4 T_R [ (z^2 + (1-z)^2) ln((1-z)/z) - 1 + 8 z (1-z) ]
    c_L,q^(1)(z) = 4 C_F z,                c_L,g^(1)(z) = 16 T_R z (1-z),
    c_3,q^(1)(z) = c_2,q^(1)(z) - 2 C_F (1 + z)      (ESW Eq. 4.82 times 2; xF3 has no gluon term).

xF3 is normalised like F2: its moment is that of xF3(x)/x, with q- = q - qbar in place of q+.

tests/test_coefficients.py checks the N-space forms below against direct numerical Mellin
transforms of these x-space expressions (plus-distributions included).
"""

from numba import njit

from theory.qcd.constants import CF, TR


@njit(cache=True)
def c2q_nlo(N, S1, S2):
    """c_2,q^(1)(N) = C_F [2 S1^2 - 2 S2 + 3 S1 - 2 S1/(N(N+1)) + 3/N + 4/(N+1) + 2/N^2 - 9].

    From M[(ln(1-z)/(1-z))_+] = (S1(N-1)^2 + S2(N-1))/2, M[1/(1-z)_+] = -S1(N-1) and
    M[z^k ln z / (1-z)] = -psi'(N+k). Vanishes at N = 1 (Adler sum rule).
    """
    return CF * (
        2.0 * S1 * S1
        - 2.0 * S2
        + 3.0 * S1
        - 2.0 * S1 / (N * (N + 1.0))
        + 3.0 / N
        + 4.0 / (N + 1.0)
        + 2.0 / (N * N)
        - 9.0
    )


@njit(cache=True)
def c2g_nlo(N, S1):
    """c_2,g^(1)(N) per flavour: 4 T_R x the Mellin transform of (1-2z+2z^2) ln((1-z)/z) - 1 + 8z(1-z).

    With M[z^k ln(1-z)](N) = -S1(N+k)/(N+k) and M[z^k ln z](N) = -1/(N+k)^2.
    """
    N1 = N + 1.0
    N2 = N + 2.0
    S1p1 = S1 + 1.0 / N1
    S1p2 = S1p1 + 1.0 / N2
    log_part = -S1 / N + 2.0 * S1p1 / N1 - 2.0 * S1p2 / N2 + 1.0 / (N * N) - 2.0 / (N1 * N1) + 2.0 / (N2 * N2)
    return 4.0 * TR * (log_part - 1.0 / N + 8.0 / N1 - 8.0 / N2)


@njit(cache=True)
def cLq_nlo(N):
    """c_L,q^(1)(N) = 4 C_F / (N + 1)."""
    return 4.0 * CF / (N + 1.0)


@njit(cache=True)
def cLg_nlo(N):
    """c_L,g^(1)(N) per flavour = 16 T_R / ((N + 1) (N + 2))."""
    return 16.0 * TR / ((N + 1.0) * (N + 2.0))


@njit(cache=True)
def c3q_nlo(N, S1, S2):
    """c_3,q^(1)(N) = c_2,q^(1)(N) - 2 C_F (1/N + 1/(N+1)).

    At N = 1 it is -3 C_F = -4: the Gross-Llewellyn Smith sum rule int F3 dx = 3 (1 - alpha_s/pi).
    """
    return c2q_nlo(N, S1, S2) - 2.0 * CF * (1.0 / N + 1.0 / (N + 1.0))
