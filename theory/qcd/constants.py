"""Physical and group-theory constants, each explained once.

QCD colour factors are those of SU(3): C_A = N_c, C_F = (N_c^2 - 1) / (2 N_c), T_R = 1/2.
The strong coupling is always used as a_s = alpha_s / (4 pi).
"""

import math

NC = 3
"""Number of colours."""
CA = float(NC)
"""Adjoint Casimir C_A = N_c."""
CF = (NC * NC - 1.0) / (2.0 * NC)
"""Fundamental Casimir C_F = (N_c^2 - 1) / (2 N_c) = 4/3."""
TR = 0.5
"""Normalisation of the fundamental generators, Tr(t^a t^b) = T_R delta^ab."""

EULER_GAMMA = 0.57721566490153286061
"""Euler-Mascheroni constant gamma_E = -psi(1)."""
ZETA2 = math.pi**2 / 6.0
"""Riemann zeta(2) = pi^2 / 6."""
ZETA3 = 1.2020569031595942854
"""Riemann zeta(3) (Apery's constant)."""
LOG2 = math.log(2.0)
"""ln 2, from the analytic continuation of alternating harmonic sums."""

ALPHA_EM = 1.0 / 137.036
"""Fine-structure constant at zero momentum transfer (Thomson limit)."""
HBARC2_MB = 0.3893793721
"""(hbar c)^2 in GeV^2 mb: converts GeV^-2 to millibarn."""
HBARC2_NB = HBARC2_MB * 1.0e6
"""(hbar c)^2 in GeV^2 nb."""
M_PROTON = 0.9382720813
"""Proton mass in GeV (used in the W^2 cut)."""

# Quark electric charges in units of e, PDG flavour order d, u, s, c, b, t.
CHARGES = (-1.0 / 3.0, 2.0 / 3.0, -1.0 / 3.0, 2.0 / 3.0, -1.0 / 3.0, 2.0 / 3.0)
CHARGES2 = tuple(e * e for e in CHARGES)
"""Squared quark charges e_q^2, PDG order d, u, s, c, b, t."""
