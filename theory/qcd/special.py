"""Complex special functions for Numba kernels: log-gamma, polygammas, Euler Beta.

Numba has no complex log-gamma or polygamma on either target (CPU or CUDA), so we write our
own: the recurrence z -> z + 1 moves the argument to Re z >= 10 (or |z| >= 20 away from the
negative real axis, as on the Mellin contour's far end), where the asymptotic
(Stirling / Bernoulli) series is summed to ten terms. The functions are accurate to ~1e-14
(tested against mpmath on a grid of the Mellin contour in ``tests/test_special.py``).

Every function is a scalar ``@njit`` kernel on complex128 using only ``cmath`` and arithmetic,
so the same bodies also compile as CUDA device functions.

References: Abramowitz & Stegun 6.1.40 (log-gamma), 6.3.18 (digamma), 6.4.11 (polygamma).
"""

import cmath
import math

from numba import njit

SHIFT_TO = 10.0
"""Re z at which the asymptotic series takes over from the recurrence."""
ASYMPTOTIC_RADIUS = 20.0
"""|z| beyond which the series is used directly when arg z stays 37 degrees off the negative axis."""


@njit(cache=True)
def _needs_shift(z):
    """True while z is too close to the origin or the negative real axis for the series."""
    if z.real >= SHIFT_TO:
        return False
    return abs(z) < ASYMPTOTIC_RADIUS or abs(z.imag) < -0.75 * z.real


# Bernoulli numbers B_2, B_4, ..., B_20 (A&S Table 23.2).
# fmt: off
_B2N = (1.0 / 6.0, -1.0 / 30.0, 1.0 / 42.0, -1.0 / 30.0, 5.0 / 66.0, -691.0 / 2730.0,
        7.0 / 6.0, -3617.0 / 510.0, 43867.0 / 798.0, -174611.0 / 330.0)
# fmt: on
_LN_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)
_LG_COEF = tuple(b / (2.0 * n * (2.0 * n - 1.0)) for n, b in enumerate(_B2N, start=1))
"""B_2n / (2n (2n - 1)): ln Gamma's Stirling series (A&S 6.1.40)."""
_PSI_COEF = tuple(b / (2.0 * n) for n, b in enumerate(_B2N, start=1))
"""B_2n / (2n): the digamma's series (A&S 6.3.18)."""


@njit(cache=True)
def _n_terms(z):
    """Terms of the Bernoulli series for 1e-16 accuracy: fewer far from the origin."""
    r = abs(z)
    if r >= 40.0:
        return 4
    if r >= 20.0:
        return 6
    return 10


@njit(cache=True)
def _stirling(z):
    """Asymptotic series at large |z|: (ln Gamma(z), psi(z)), A&S Eqs. 6.1.40 and 6.3.18."""
    inv = 1.0 / z
    inv2 = inv * inv
    log_z = cmath.log(z)
    lg = 0.0j
    psi = log_z - 0.5 * inv
    odd = inv
    for n in range(1, _n_terms(z) + 1):
        b2n = _B2N[n - 1]
        lg += b2n / (2.0 * n * (2.0 * n - 1.0)) * odd
        odd *= inv2
        psi -= b2n / (2.0 * n) * odd * z
    return (z - 0.5) * log_z - z + _LN_SQRT_2PI + lg, psi


@njit(cache=True)
def lgamma(z):
    """Principal branch of ln Gamma(z) for complex z off the non-positive real axis.

    Implements the recurrence ln Gamma(z) = ln Gamma(z + K) - sum_{k<K} ln(z + k) with principal
    logarithms (valid off the negative real axis) and Stirling's series, A&S Eq. 6.1.40.
    """
    z = complex(z)
    acc = 0.0j
    while _needs_shift(z):
        acc += cmath.log(z)
        z += 1.0
    return _stirling(z)[0] - acc


@njit(cache=True)
def polygamma(k, z):
    """Polygamma psi^(k)(z) = d^(k+1) ln Gamma(z) / dz^(k+1) for k = 0..4, complex z.

    Recurrence psi^(k)(z) = psi^(k)(z + 1) - (-1)^k k! / z^(k+1) and the asymptotic series
    A&S Eqs. 6.3.18 (k = 0) and 6.4.11 (k >= 1).
    """
    z = complex(z)
    kfact = 1.0
    for i in range(2, k + 1):
        kfact *= i
    sign = 1.0 if k % 2 == 0 else -1.0
    acc = 0.0j
    while _needs_shift(z):
        acc += sign * kfact / z ** (k + 1)
        z += 1.0
    inv = 1.0 / z
    inv2 = inv * inv
    if k == 0:
        series = cmath.log(z) - 0.5 * inv
        power = inv2
        for n in range(1, _n_terms(z) + 1):
            series -= _B2N[n - 1] / (2.0 * n) * power
            power *= inv2
        return series - acc
    # (k-1)!/z^k + k!/(2 z^(k+1)) + sum_n B_2n (2n+k-1)!/(2n)! / z^(2n+k)
    km1fact = kfact / k
    series = km1fact * inv**k + 0.5 * kfact * inv ** (k + 1)
    power = inv ** (k + 2)
    for n in range(1, _n_terms(z) + 1):
        ratio = 1.0  # (2n+k-1)! / (2n)!
        for m in range(2 * n + 1, 2 * n + k):
            ratio *= m
        series += _B2N[n - 1] * ratio * power
        power *= inv2
    return -sign * series - acc


BETA_RADIUS = 8.0
"""|z| from which ``lgamma_digamma_trigamma_mod`` uses the series directly: its 10 Bernoulli terms leave
B_20 / (380 |z|^19) < 1e-17 there, and each recurrence step saved is a complex product."""


@njit(cache=True)
def _needs_shift_10_terms(z):
    if z.real >= SHIFT_TO:
        return False
    return abs(z) < BETA_RADIUS or abs(z.imag) < -0.75 * z.real


@njit(cache=True)
def lgamma_digamma_trigamma_mod(z):
    """(ln Gamma(z) + 2 pi i k, psi(z), psi'(z)) sharing one recurrence, as Beta-function moments
    and their first and second parameter derivatives need them together
    (``theory.pdfs.stats2``). The recurrence multiplies the shifts into P = prod_k (z + k) and
    takes one log, so ln Gamma is right up to a multiple of 2 pi i: enough wherever only
    exp(ln Gamma) matters (Beta functions), and several times cheaper near the origin than
    ``lgamma``; with P' and P'' carried along, the digamma's shifts sum_k 1 / (z + k) = P'/P and
    the trigamma's sum_k 1 / (z + k)^2 = (P'/P)^2 - P''/P (A&S 6.3.6, 6.4.6) take no division a
    step. Series: A&S 6.1.40, 6.3.18 and psi'(z) ~ 1/z + 1/(2 z^2) + sum_n B_2n / z^(2n+1) (6.4.12),
    each a polynomial in 1/z^2 summed by Horner's rule from tabulated coefficients."""
    z = complex(z)
    prod = 1.0 + 0.0j
    dprod = 0.0j
    ddprod = 0.0j
    while _needs_shift_10_terms(z):
        ddprod = ddprod * z + 2.0 * dprod
        dprod = dprod * z + prod
        prod *= z
        z += 1.0
    # the three series in w = 1/z^2 by Horner's rule, with their coefficients tabulated (no division
    # a term): sum_n c_n z^(1-2n), sum_n B_2n / (2n) z^(-2n), sum_n B_2n z^(-1-2n)
    inv = 1.0 / z
    w = inv * inv
    lg_s = 0.0j
    psi_s = 0.0j
    tri_s = 0.0j
    for n in range(_n_terms(z) - 1, -1, -1):
        lg_s = lg_s * w + _LG_COEF[n]
        psi_s = psi_s * w + _PSI_COEF[n]
        tri_s = tri_s * w + _B2N[n]
    log_z = cmath.log(z)
    lg = (z - 0.5) * log_z - z + _LN_SQRT_2PI + inv * lg_s
    psi = log_z - 0.5 * inv - w * psi_s
    tri = inv + 0.5 * w + inv * w * tri_s
    inv_prod = 1.0 / prod
    shift = dprod * inv_prod
    return lg - cmath.log(prod), psi - shift, tri + (shift * shift - ddprod * inv_prod)


@njit(cache=True)
def digamma(z):
    """Digamma psi(z) = psi^(0)(z)."""
    return polygamma(0, z)


@njit(cache=True)
def beta(a, b):
    """Euler Beta function B(a, b) = Gamma(a) Gamma(b) / Gamma(a + b) for complex arguments."""
    return cmath.exp(lgamma(a) + lgamma(b) - lgamma(a + b))
