"""The strong coupling a_s = alpha_s / (4 pi) from its renormalisation-group equation.

    d a_s / d ln mu^2 = -beta0 a_s^2 - beta1 a_s^3 (NLO),   beta0 = 11 - 2/3 nf,
    beta1 = 102 - 38/3 nf                                 (e.g. Eq. 2.3 of hep-ph/0408244).

LO is solved in closed form; NLO "exactly": the RGE integrates to the implicit equation

    ln(mu^2/mu0^2) = 1/beta0 [ 1/a - 1/a0 + b1 ln( a (1 + b1 a0) / (a0 (1 + b1 a)) ) ],  b1 = beta1/beta0,

which Newton's method solves to machine precision (what the Les Houches tables and eko's
"exact" couplings use; QCD-Pegasus's IMODEV = 1). Flavour thresholds sit at mu = m_h, where the
MSbar decoupling of a_s is continuous at LO and NLO.
"""

import math

import numpy as np
from numba import njit

from theory.qcd.constants import CA, CF, TR


@njit(cache=True)
def beta0(nf):
    """beta_0 = 11/3 C_A - 4/3 T_R nf."""
    return 11.0 / 3.0 * CA - 4.0 / 3.0 * TR * nf


@njit(cache=True)
def beta1(nf):
    """beta_1 = 34/3 C_A^2 - 4 C_F T_R nf - 20/3 C_A T_R nf."""
    return 34.0 / 3.0 * CA * CA - 4.0 * CF * TR * nf - 20.0 / 3.0 * CA * TR * nf


@njit(cache=True)
def evolve_fixed_nf(a0, log_ratio, nf, order):
    """a_s at ln(mu^2/mu0^2) = log_ratio from a_s(mu0) = a0 with nf flavours; order 0 (LO) or 1 (NLO)."""
    b0 = beta0(nf)
    lo = a0 / (1.0 + b0 * a0 * log_ratio)
    if order == 0:
        return lo
    b1 = beta1(nf) / b0
    a = lo
    for _ in range(100):
        # f(a) = 0 is the implicit solution; f'(a) = -1/(b0 a^2 (1 + b1 a)) ... scaled by b0
        f = 1.0 / a - 1.0 / a0 + b1 * math.log(a * (1.0 + b1 * a0) / (a0 * (1.0 + b1 * a))) - b0 * log_ratio
        df = -1.0 / (a * a * (1.0 + b1 * a))
        step = f / df
        a -= step
        if abs(step) < 1e-16 * a:
            break
    return a


class Coupling:
    """a_s(mu^2) with flavour thresholds.

    Parameters
    ----------
    alpha_s_ref : float
        alpha_s at the reference scale mu_ref^2.
    mu2_ref : float
        Reference scale mu_ref^2 in GeV^2.
    order : int
        0 for LO, 1 for NLO running.
    thresholds : FlavourScheme
        Where nf changes (``theory.qcd.scheme``).
    """

    def __init__(self, alpha_s_ref, mu2_ref, order, scheme):
        if not alpha_s_ref > 0.0 or not mu2_ref > 0.0:
            raise ValueError("alpha_s_ref and mu2_ref must be positive")
        self.a_ref = alpha_s_ref / (4.0 * math.pi)
        self.mu2_ref = float(mu2_ref)
        self.order = int(order)
        self.scheme = scheme

    def a_s(self, mu2):
        """a_s = alpha_s/(4 pi) at mu^2 (GeV^2), through every threshold in between."""
        a = self.a_ref
        for lo, hi, nf in self.scheme.segments(self.mu2_ref, mu2):
            a = evolve_fixed_nf(a, math.log(hi / lo), nf, self.order)
        return a

    def alpha_s(self, mu2):
        """alpha_s at mu^2 (GeV^2)."""
        return 4.0 * math.pi * self.a_s(mu2)

    def a_s_array(self, mu2):
        """a_s at each mu^2 of an array."""
        return np.array([self.a_s(m) for m in np.asarray(mu2, dtype=float).ravel()]).reshape(np.shape(mu2))
