"""The neutral-current DIS cross section in one-photon exchange, no target-mass corrections.

d^2 sigma / dx dQ^2 = 2 pi alpha^2 / (x Q^4) [ (1 + (1-y)^2) F2(x, Q^2) - y^2 FL(x, Q^2) ],
y = Q^2 / (x s)            (e.g. PDG Review "Structure functions", Eq. 18.18 with F3 = 0).
"""

import math

import numpy as np

from theory.qcd.constants import ALPHA_EM, HBARC2_NB


def inelasticity(x, Q2, s):
    """y = Q^2 / (x s)."""
    return np.asarray(Q2) / (np.asarray(x) * s)


def prefactor(x, Q2):
    """2 pi alpha^2 / (x Q^4) in nb / GeV^2 (the response's per-event factor, ``theory.kernels.response``)."""
    return 2.0 * math.pi * ALPHA_EM**2 / (x * Q2 * Q2) * HBARC2_NB


def d2sigma_dxdQ2(x, Q2, F2, FL, s):
    """d^2 sigma / dx dQ^2 in nb / GeV^2 from F2 and FL at (x, Q^2) and beam energy squared s (GeV^2)."""
    x = np.asarray(x, dtype=float)
    Q2 = np.asarray(Q2, dtype=float)
    y = inelasticity(x, Q2, s)
    return prefactor(x, Q2) * ((1.0 + (1.0 - y) ** 2) * F2 - y * y * FL)
