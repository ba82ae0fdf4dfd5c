"""The electromagnetic coupling of the cross section's prefactor 2 pi alpha^2 / (x Q^4).

``fixed``: alpha(0) = 1/137.036, the convention of Born-level (radiatively corrected) data, the
default. ``running``: alpha(Q^2) = alpha(0) / (1 - Delta_lep(Q^2) - Delta_had(Q^2)) at the space-like
Q^2 of the exchanged photon, with

- the leptons at one loop, exact in the mass (e, mu, tau; beta = sqrt(1 + 4 m^2 / Q^2)):
      Delta_l = alpha(0)/(3 pi) [ -5/3 + 4 m^2/Q^2 + (1 - 2 m^2/Q^2) beta ln((beta + 1)/(beta - 1)) ],
  which tends to alpha(0)/(3 pi) [ln(Q^2/m^2) - 5/3] for Q^2 >> m^2;
- the hadrons by the parametrisation of Burkhardt, Jegerlehner, Penso and Verzegnassi, Z. Phys.
  C 43 (1989) 497 (as in CERN 89-08 vol. 3 and the HERA event generators):
      Delta_had = A + B ln(1 + C Q^2) in four Q^2 ranges (``HADRONIC``), about 2% accurate at
  M_Z (it gives 0.0286 there against today's 0.0277 +- 0.0001): a documented default, not a
  precision determination; replace ``HADRONIC`` for a better one.

At Q^2 = 10 (1000) GeV^2 running alpha is 2.6% (5.1%) above alpha(0): 5.3% (10.5%) in the cross
section, slowly varying over a data set, so it mainly moves the normalisation and the Q^2 slope.
"""

import math

import numpy as np

from theory.qcd.constants import ALPHA_EM

ALPHA_EM_MODES = ("fixed", "running")
"""``theory.alpha_em`` of the config: alpha(0) everywhere, or alpha(Q^2)."""
LEPTON_MASSES = (0.51099895e-3, 0.1056583755, 1.77686)
"""e, mu, tau masses in GeV (PDG 2022)."""
HADRONIC = ((0.09, 0.0, 0.00835, 1.0), (9.0, 0.0, 0.00238, 3.927), (1.0e4, 0.00165, 0.00299, 1.0),
            (math.inf, 0.00221, 0.00293, 1.0))  # fmt: skip
"""(upper Q^2 in GeV^2, A, B, C) of Delta_had = A + B ln(1 + C Q^2), Burkhardt et al. 1989."""


def delta_leptons(Q2):
    """Delta alpha of e, mu, tau at one loop for space-like Q^2 > 0 (exact in the masses)."""
    Q2 = np.asarray(Q2, dtype=float)
    total = np.zeros_like(Q2)
    for m in LEPTON_MASSES:
        r = m * m / Q2
        beta = np.sqrt(1.0 + 4.0 * r)
        total += -5.0 / 3.0 + 4.0 * r + (1.0 - 2.0 * r) * beta * np.log((beta + 1.0) / (beta - 1.0))
    return ALPHA_EM / (3.0 * math.pi) * total


def delta_hadrons(Q2):
    """Delta alpha_had(Q^2) of the Burkhardt et al. parametrisation (``HADRONIC``)."""
    Q2 = np.asarray(Q2, dtype=float)
    out = np.zeros_like(Q2)
    lower = 0.0
    for upper, A, B, C in HADRONIC:
        inside = (Q2 >= lower) & (Q2 < upper)
        out = np.where(inside, A + B * np.log1p(C * Q2), out)
        lower = upper
    return out


def alpha_em(Q2, mode="fixed"):
    """alpha at the space-like Q^2 (GeV^2): alpha(0) (``fixed``) or alpha(Q^2) (``running``)."""
    if mode not in ALPHA_EM_MODES:
        raise ValueError(f"theory.alpha_em {mode!r} is not one of {', '.join(ALPHA_EM_MODES)}")
    Q2 = np.asarray(Q2, dtype=float)
    if mode == "fixed":
        return np.full_like(Q2, ALPHA_EM)
    return ALPHA_EM / (1.0 - delta_leptons(Q2) - delta_hadrons(Q2))
