"""The neutral-current DIS cross section, no target-mass corrections (H1, JHEP 09 (2012) 061, Eq. 1):

    d^2 sigma / dx dQ^2 = 2 pi alpha^2 Y+ / (x Q^4) sigma_r,
    sigma_r = F2~ - (y^2 / Y+) FL~ -+ (Y- / Y+) xF3~     (upper sign e+, lower e-),
    Y+- = 1 +- (1 - y)^2,  y = Q^2 / (x s),

with the generalised structure functions of ``theory.dis.electroweak``. One-photon exchange has
xF3~ = 0 and gives the Stats-2 form 2 pi alpha^2 / (x Q^4) [Y+ F2 - y^2 FL] (PDG Review "Structure
functions", Eq. 18.18). alpha is alpha(0) unless ``alpha_em="running"`` (``theory.dis.alpha_em``).
"""

import math

import numpy as np

from theory.dis.alpha_em import alpha_em
from theory.qcd.constants import HBARC2_NB


def inelasticity(x, Q2, s):
    """y = Q^2 / (x s)."""
    return np.asarray(Q2) / (np.asarray(x) * s)


def prefactor(x, Q2, alpha="fixed"):
    """2 pi alpha^2 / (x Q^4) in nb / GeV^2 (the response's per-event factor, ``theory.kernels.response``)."""
    return 2.0 * math.pi * alpha_em(Q2, alpha) ** 2 / (x * Q2 * Q2) * HBARC2_NB


def reduced_cross_section(F2, FL, xF3, y, lepton="e-"):
    """sigma_r = F2~ - (y^2/Y+) FL~ -+ (Y-/Y+) xF3~ (upper sign e+)."""
    y = np.asarray(y, dtype=float)
    yplus = 1.0 + (1.0 - y) ** 2
    yminus = 1.0 - (1.0 - y) ** 2
    sign = -1.0 if lepton == "e+" else 1.0
    return F2 - y * y / yplus * FL + sign * yminus / yplus * xF3


def d2sigma_nc(x, Q2, F2, FL, xF3, s, lepton="e-", alpha="fixed"):
    """d^2 sigma / dx dQ^2 in nb / GeV^2 of the generalised structure functions, beam energy squared s."""
    x = np.asarray(x, dtype=float)
    Q2 = np.asarray(Q2, dtype=float)
    y = inelasticity(x, Q2, s)
    return prefactor(x, Q2, alpha) * (1.0 + (1.0 - y) ** 2) * reduced_cross_section(F2, FL, xF3, y, lepton)


def d2sigma_dxdQ2(x, Q2, F2, FL, s):
    """d^2 sigma / dx dQ^2 in nb / GeV^2 from F2 and FL at (x, Q^2) and beam energy squared s (GeV^2)."""
    x = np.asarray(x, dtype=float)
    Q2 = np.asarray(Q2, dtype=float)
    y = inelasticity(x, Q2, s)
    return prefactor(x, Q2) * ((1.0 + (1.0 - y) ** 2) * F2 - y * y * FL)
