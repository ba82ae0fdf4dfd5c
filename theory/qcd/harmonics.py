"""Harmonic sums of complex Mellin moment N, analytically continued from integer N.

Definitions for integer N (Vermaseren, hep-ph/9806280; Bluemlein & Kurth, hep-ph/9810241):

    S_k(N)      = sum_{j=1}^N 1 / j^k
    S_{-k}(N)   = sum_{j=1}^N (-1)^j / j^k
    S_{-2,1}(N) = sum_{j=1}^N (-1)^j / j^2 S_1(j)

The alternating sums are continued separately from even (eta = +1) and odd (eta = -1) N, as
DGLAP needs for the +/- combinations. In Gluck-Reya-Vogt / QCD-Pegasus language the pieces are
S'_k(N/2) = S_k(N/2) (eta = +1) or S_k((N-1)/2) (eta = -1) and S~_{-2,1}.

The one non-polygamma piece is g3(N) = int_0^1 x^(N-1) Li2(x) / (1 + x) dx (Bluemlein's
Mellin transform behind S_{-2,1}). Unlike QCD-Pegasus's 7-term fit we compute it exactly: the
recurrence g3(N) + g3(N+1) = zeta2/N - S1(N)/N^2 moves N to Re N >= 15, where the asymptotic
expansion of the Laplace integral int_0^inf e^(-N t) Li2(e^-t) / (1 + e^-t) dt is summed.
"""

import cmath
import math
from fractions import Fraction

import numpy as np
from numba import njit

from theory.qcd.constants import EULER_GAMMA, LOG2, ZETA2, ZETA3
from theory.qcd.special import polygamma


@njit(cache=True)
def S1(N):
    """S_1(N) = psi(N + 1) + gamma_E."""
    return polygamma(0, N + 1.0) + EULER_GAMMA


@njit(cache=True)
def S2(N):
    """S_2(N) = zeta2 - psi'(N + 1)."""
    return ZETA2 - polygamma(1, N + 1.0)


@njit(cache=True)
def S3(N):
    """S_3(N) = zeta3 + psi''(N + 1) / 2."""
    return ZETA3 + 0.5 * polygamma(2, N + 1.0)


@njit(cache=True)
def half_argument(N, eta):
    """The argument of S'_k: N/2 for eta = +1, (N - 1)/2 for eta = -1."""
    return N / 2.0 if eta > 0 else (N - 1.0) / 2.0


@njit(cache=True)
def Sm1(N, eta):
    """S_{-1}(N) = S_1(N') - S_1(N), N' = N/2 (even N, eta = +1) or (N-1)/2 (odd N, eta = -1)."""
    return S1(half_argument(N, eta)) - S1(N)


@njit(cache=True)
def Sm2(N, eta):
    """S_{-2}(N) = S_2(N')/2 - S_2(N), N' = N/2 or (N-1)/2 by eta."""
    return 0.5 * S2(half_argument(N, eta)) - S2(N)


@njit(cache=True)
def Sm3(N, eta):
    """S_{-3}(N) = S_3(N')/4 - S_3(N), N' = N/2 or (N-1)/2 by eta."""
    return 0.25 * S3(half_argument(N, eta)) - S3(N)


def _g3_asymptotic_coefficients(kmax=30):
    """Coefficients (alpha_k, beta_k) of g3(M) ~ sum_k (alpha_k - beta_k ln M) / M^(k+1).

    With x = e^-t, g3(M) = int_0^inf e^(-M t) h(t) dt and h(t) = sigma(t) [p(t) + t ln t], where
    sigma(t) = 1/(1 + e^-t) = 1/2 + sum_n (2^2n - 1) B_2n t^(2n-1) / (2n)! and
    Li2(e^-t) = zeta2 - t + t ln t + sum_{k>=2} B_{k-1} t^k / ((k-1) k!).  Watson's lemma with
    int e^(-M t) t^k dt = k!/M^(k+1) and int e^(-M t) t^k ln t dt = k! (psi(k+1) - ln M)/M^(k+1).
    """
    # Bernoulli numbers B_0..B_{kmax+1} (B_1 = -1/2) as exact fractions.
    bern = [Fraction(1)]
    for m in range(1, kmax + 2):
        bern.append(-sum(math.comb(m + 1, j) * bern[j] for j in range(m)) / (m + 1))
    sigma = [Fraction(0)] * (kmax + 1)
    sigma[0] = Fraction(1, 2)
    for n in range(1, kmax // 2 + 2):
        if 2 * n - 1 <= kmax:
            sigma[2 * n - 1] = (4**n - 1) * bern[2 * n] / math.factorial(2 * n)
    p = [Fraction(0)] * (kmax + 1)  # p_0 = zeta2 is handled in floats below
    p[1] = Fraction(-1)
    for k in range(2, kmax + 1):
        p[k] = bern[k - 1] / ((k - 1) * math.factorial(k))
    alpha = np.zeros(kmax + 1)
    beta = np.zeros(kmax + 1)
    for k in range(kmax + 1):
        a_k = float(sum(sigma[i] * p[k - i] for i in range(k + 1))) + ZETA2 * float(sigma[k])
        b_k = float(sigma[k - 1]) if k >= 1 else 0.0  # sigma(t) * t
        psi_k1 = -EULER_GAMMA + sum(1.0 / j for j in range(1, k + 1))
        alpha[k] = math.factorial(k) * (a_k + b_k * psi_k1)
        beta[k] = math.factorial(k) * b_k
    return alpha, beta


_G3_ALPHA, _G3_BETA = _g3_asymptotic_coefficients()
_G3_SHIFT_TO = 15.0


@njit(cache=True)
def g3(N):
    """g3(N) = int_0^1 x^(N-1) Li2(x) / (1 + x) dx for complex N (Re N > 0 or continued)."""
    M = complex(N)
    s1 = S1(M)
    acc = 0.0j
    sign = 1.0
    while M.real < _G3_SHIFT_TO:
        acc += sign * (ZETA2 / M - s1 / (M * M))
        sign = -sign
        M += 1.0
        s1 += 1.0 / M
    inv = 1.0 / M
    logm = cmath.log(M)
    series = 0.0j
    power = inv
    for k in range(_G3_ALPHA.shape[0]):
        series += (_G3_ALPHA[k] - _G3_BETA[k] * logm) * power
        power *= inv
    return acc + sign * series


@njit(cache=True)
def Sm21(N, eta):
    """S_{-2,1}(N) = -eta g3(N + 1) + zeta2 S_{-1}(N) - 5/8 zeta3 + zeta2 ln 2.

    Eq. (22) of Bluemlein, hep-ph/0003100 (in the x^(N-1) Mellin convention).
    """
    return -eta * g3(N + 1.0) + ZETA2 * Sm1(N, eta) - 0.625 * ZETA3 + ZETA2 * LOG2
