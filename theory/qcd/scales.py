"""Renormalisation and factorisation scales of the structure functions: mu_R = xi_R Q, mu_F = xi_F Q.

NLO-consistent scale dependence (a = a_s(mu_R), L_F = ln(mu_F^2 / Q^2), gamma = -P the anomalous
dimensions of ``theory.qcd.anomalous_dimensions``, df/d ln mu^2 = -a gamma f):

    F(N, Q^2) = C^(0) f(N, mu_F^2) + a [ C^(1)(N) + L_F C^(0) gamma^(0)(N) ] f(N, mu_F^2),

because f(Q^2) = (1 + a L_F gamma^(0)) f(mu_F^2) + O(a^2). mu_R enters only through a: at NLO
the first logarithm of mu_R (beta0 ln(mu_R^2/Q^2) C^(1)) is of order a^2, beyond NLO. Both scales
are floored at Q0^2 (the PDFs start there and a_s is not used below it): mu^2 = max(xi^2 Q^2, Q0^2),
and the logarithm uses the floored mu_F, so the floor is a different, still NLO-consistent, scale
choice there, not an error. The evolution itself runs with its renormalisation scale equal to mu_F
(as HOPPET's PreEvolve with xmuR = 1). The number of active flavours of the coefficient functions
is that of Q^2 (HOPPET's use_vfns does the same).

``SEVEN_POINT`` is the usual envelope: (xi_R, xi_F) in {1/2, 1, 2}^2 without the two opposite corners.
"""

import math
from dataclasses import asdict, dataclass

import numpy as np

SEVEN_POINT = ((1.0, 1.0), (0.5, 0.5), (2.0, 2.0), (0.5, 1.0), (1.0, 0.5), (2.0, 1.0), (1.0, 2.0))
"""(xi_R, xi_F) of the 7-point scale variation, the central point first."""


@dataclass(frozen=True)
class Scales:
    """xi_R and xi_F (``theory.scales`` in the config, ``--xi-r/--xi-f`` on the CLI)."""

    xi_r: float = 1.0
    xi_f: float = 1.0

    def __post_init__(self):
        for name in ("xi_r", "xi_f"):
            value = getattr(self, name)
            if not (math.isfinite(value) and 0.0 < value <= 10.0):
                raise ValueError(f"theory.scales.{name} must lie in (0, 10], got {value!r}")

    def as_dict(self):
        return asdict(self)

    @property
    def central(self):
        return self.xi_r == 1.0 and self.xi_f == 1.0

    def mu2(self, Q2, mu0_2):
        """(mu_R^2, mu_F^2) at Q^2 (a number or an array), each floored at Q0^2."""
        return np.maximum(self.xi_r**2 * Q2, mu0_2), np.maximum(self.xi_f**2 * Q2, mu0_2)
