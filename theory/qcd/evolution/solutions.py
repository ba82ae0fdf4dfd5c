"""Solutions of the Mellin-space DGLAP equations in one fixed-nf segment a0 -> a1.

With a_s as evolution variable (d a/d ln mu^2 = -beta0 a^2 - beta1 a^3) the equations read

    dE/da = (gamma0 + a gamma1) / (a (beta0 + beta1 a)) E  =  (R0 / a + R1 + O(a)) E,
    R0 = gamma0 / beta0,   R1 = gamma1 / beta0 - b1 gamma0 / beta0,   b1 = beta1 / beta0.

Solutions (QCD-Pegasus, hep-ph/0408244, Sect. 2-3; eko's naming in brackets):
- LO: E = (a1/a0)^R0, exact.
- NLO "iterated-exact" [EXA]: non-singlet in closed form (Eq. 2.9 of hep-ph/0408244),
  E = exp{ R0 ln(a1/a0) + (gamma1/beta1 - gamma0/beta0) ln[(1 + b1 a1)/(1 + b1 a0)] };
  singlet path-ordered, here by the fourth-order Magnus integrator in u = ln a_s (two Gauss
  points a step), converged to ~1e-10 with the default steps (tests/test_evolution.py).
- NLO "truncated" [TRN, JAM's default]: the U-matrix expansion to first order,
  E = L + a1 U1 L - a0 L U1, L = (a1/a0)^R0, with U1 + [U1, R0] = R1, i.e.
  U1 = sum_ij e_i R1 e_j / (1 + r_j - r_i) over the eigenprojectors e_i (eigenvalues r_i) of R0.

Singlet 2x2 matrices are tuples (qq, qg, gq, gg) acting on (Sigma, g); all kernels are scalar.
"""

import cmath
import math

from numba import njit

from theory.qcd.couplings import beta0, beta1

MODE_ITERATED_EXACT = 0
MODE_TRUNCATED = 1
MODES = {"iterated-exact": MODE_ITERATED_EXACT, "truncated": MODE_TRUNCATED}

MAGNUS_STEPS_PER_UNIT = 24
"""Magnus steps per unit of |ln(a1/a0)| in the singlet iterated-exact solution (at least 4)."""


@njit(cache=True)
def mat_mul(A, B):
    """Product of two 2x2 matrices given as (11, 12, 21, 22) tuples."""
    return (
        A[0] * B[0] + A[1] * B[2],
        A[0] * B[1] + A[1] * B[3],
        A[2] * B[0] + A[3] * B[2],
        A[2] * B[1] + A[3] * B[3],
    )


@njit(cache=True)
def mat_exp(M):
    """exp(M) of a 2x2 matrix: M = s 1 + K (K traceless, K^2 = d^2 1), exp = e^s (cosh d + sinh d / d K)."""
    s = 0.5 * (M[0] + M[3])
    k11 = 0.5 * (M[0] - M[3])
    d2 = k11 * k11 + M[1] * M[2]
    d = cmath.sqrt(d2)
    if abs(d) < 1e-6:
        ch = 1.0 + d2 / 2.0 + d2 * d2 / 24.0
        sh = 1.0 + d2 / 6.0 + d2 * d2 / 120.0
    else:
        ch = cmath.cosh(d)
        sh = cmath.sinh(d) / d
    es = cmath.exp(s)
    return (es * (ch + sh * k11), es * sh * M[1], es * sh * M[2], es * (ch - sh * k11))


@njit(cache=True)
def non_singlet(g0, g1, a1, a0, nf, order, mode):
    """Non-singlet evolution factor E(a1 <- a0) for anomalous dimensions g0 (LO) and g1 (NLO)."""
    b0 = beta0(nf)
    lo_exponent = g0 / b0 * math.log(a1 / a0)
    if order == 0:
        return cmath.exp(lo_exponent)
    b1 = beta1(nf) / b0
    if mode == MODE_TRUNCATED:
        r1 = g1 / b0 - b1 * g0 / b0
        return cmath.exp(lo_exponent) * (1.0 + (a1 - a0) * r1)
    nlo_exponent = (g1 / beta1(nf) - g0 / b0) * math.log((1.0 + b1 * a1) / (1.0 + b1 * a0))
    return cmath.exp(lo_exponent + nlo_exponent)


@njit(cache=True)
def _scale(M, c):
    return (M[0] * c, M[1] * c, M[2] * c, M[3] * c)


@njit(cache=True)
def _add(A, B):
    return (A[0] + B[0], A[1] + B[1], A[2] + B[2], A[3] + B[3])


@njit(cache=True)
def truncated_factors(g0, g1, nf, order):
    """The pieces of the truncated (and LO) singlet solution in a segment with nf flavours:
    (R0, r+, r-, e+, e-, U1) with R0 = gamma0/beta0 = r+ e+ + r- e- (eigenvalues r+- = s +- d,
    eigenprojectors e+ = (R0 - r-)/(2d), e- = 1 - e+) and, at NLO,
    U1 = e+ R1 e+ + e- R1 e- + e+ R1 e- / (1 + r- - r+) + e- R1 e+ / (1 + r+ - r-),
    R1 = (gamma1 - b1 gamma0)/beta0 (zero at LO). The one factorisation both ``singlet`` and the
    kernel's tables (``theory.kernels.response``) use."""
    b0 = beta0(nf)
    R0 = (g0[0] / b0, g0[1] / b0, g0[2] / b0, g0[3] / b0)
    s = 0.5 * (R0[0] + R0[3])
    k11 = 0.5 * (R0[0] - R0[3])
    d = cmath.sqrt(k11 * k11 + R0[1] * R0[2])
    ep = ((k11 + d) / (2.0 * d), R0[1] / (2.0 * d), R0[2] / (2.0 * d), (d - k11) / (2.0 * d))
    em = (1.0 - ep[0], -ep[1], -ep[2], 1.0 - ep[3])
    rp, rm = s + d, s - d
    if order >= 1:
        b1 = beta1(nf) / b0
        R1 = ((g1[0] - b1 * g0[0]) / b0, (g1[1] - b1 * g0[1]) / b0, (g1[2] - b1 * g0[2]) / b0,
              (g1[3] - b1 * g0[3]) / b0)  # fmt: skip
        pp = mat_mul(ep, mat_mul(R1, ep))
        mm = mat_mul(em, mat_mul(R1, em))
        pm = mat_mul(ep, mat_mul(R1, em))
        mp = mat_mul(em, mat_mul(R1, ep))
        U1 = (
            pp[0] + mm[0] + pm[0] / (1.0 + rm - rp) + mp[0] / (1.0 + rp - rm),
            pp[1] + mm[1] + pm[1] / (1.0 + rm - rp) + mp[1] / (1.0 + rp - rm),
            pp[2] + mm[2] + pm[2] / (1.0 + rm - rp) + mp[2] / (1.0 + rp - rm),
            pp[3] + mm[3] + pm[3] / (1.0 + rm - rp) + mp[3] / (1.0 + rp - rm),
        )
    else:
        U1 = (0.0j, 0.0j, 0.0j, 0.0j)
    return R0, rp, rm, ep, em, U1


@njit(cache=True)
def singlet(g0, g1, a1, a0, nf, order, mode):
    """Singlet evolution matrix E(a1 <- a0) on (Sigma, g) for 2x2 anomalous dimensions g0, g1."""
    b0 = beta0(nf)
    log_ratio = math.log(a1 / a0)
    if order == 0:
        return mat_exp(_scale(g0, log_ratio / b0))
    bb1 = beta1(nf)
    if mode == MODE_TRUNCATED:
        R0, _, _, _, _, U1 = truncated_factors(g0, g1, nf, order)
        L = mat_exp(_scale(R0, log_ratio))
        return _add(L, _add(_scale(mat_mul(U1, L), a1), _scale(mat_mul(L, U1), -a0)))
    # iterated-exact: dE/du = G(a) E, u = ln a, G(a) = (g0 + a g1) / (beta0 + beta1 a)
    nsteps = max(4, int(math.ceil(abs(log_ratio) * MAGNUS_STEPS_PER_UNIT)))
    h = log_ratio / nsteps
    u0 = math.log(a0)
    c = math.sqrt(3.0) / 6.0
    E = (1.0 + 0.0j, 0.0j, 0.0j, 1.0 + 0.0j)
    for i in range(nsteps):
        a_1 = math.exp(u0 + (i + 0.5 - c) * h)
        a_2 = math.exp(u0 + (i + 0.5 + c) * h)
        G1 = _scale(_add(g0, _scale(g1, a_1)), 1.0 / (b0 + bb1 * a_1))
        G2 = _scale(_add(g0, _scale(g1, a_2)), 1.0 / (b0 + bb1 * a_2))
        comm = _add(mat_mul(G2, G1), _scale(mat_mul(G1, G2), -1.0))
        omega = _add(_scale(_add(G1, G2), 0.5 * h), _scale(comm, math.sqrt(3.0) / 12.0 * h * h))
        E = mat_mul(mat_exp(omega), E)
    return E
