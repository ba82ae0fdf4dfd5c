"""DIS kinematics and the cut region.

    y = Q^2 / (x s),   W^2 = M^2 + Q^2 (1 - x) / x.

Default cuts: Q^2 >= Q0^2, W^2 >= 10 GeV^2, 0.01 <= y <= 0.95, and x <= 0.8 (our addition: the
default Mellin contour guarantees 1e-6 accuracy up to x = 0.8; less than 1e-4 of the cross
section lies above it at sqrt(s) = 140 GeV). For fixed x the allowed Q^2 form one interval,

    max(Q2_min, y_min x s, (W2_min - M^2) x / (1 - x)) <= Q^2 <= y_max x s,

which ``Cuts.q2_interval`` gives and the quadrature and the sampler use.

Target-mass corrections grow with x^2 M^2 / Q^2. Inside the cuts x <= Q^2 / (Q^2 + W2_min - M^2),
so x^2 M^2 / Q^2 <= Q^2 M^2 / (Q^2 + W2_min - M^2)^2 <= M^2 / (4 (W2_min - M^2)) whatever the beam
energy (``Cuts.tmc_measure_max``): 2.4% for the default W2_min = 10 GeV^2, 1% for W2_min = 23 GeV^2.
At the low ePIC energies (``EPIC_BEAMS``) the W^2 cut removes a larger share of the phase space
but bounds the target-mass effects the same way.
"""

import math
from dataclasses import asdict, dataclass

import numpy as np

from theory.qcd.constants import M_PROTON

EPIC_BEAMS = {"18x275": (18.0, 275.0), "10x275": (10.0, 275.0), "10x100": (10.0, 100.0), "5x100": (5.0, 100.0),
              "5x41": (5.0, 41.0)}  # fmt: skip
"""ePIC beam settings E_e x E_p in GeV (electron x proton per nucleon), ``beam.setting`` in the config."""
BEAM_SETTINGS = ("custom",) + tuple(EPIC_BEAMS)
"""``beam.setting``: custom (``beam.sqrt_s`` as given) or an ePIC setting (sqrt(s) from its energies)."""


def sqrt_s_of(e_lepton, e_proton):
    """sqrt(s) of head-on beams, massless lepton: s = M^2 + 2 E_e (E_p + |p_p|)."""
    p = math.sqrt(e_proton**2 - M_PROTON**2)
    return math.sqrt(M_PROTON**2 + 2.0 * e_lepton * (e_proton + p))


@dataclass(frozen=True)
class Cuts:
    """The event selection; every field configurable (``cuts:`` in the config)."""

    q2_min: float = 2.0
    w2_min: float = 10.0
    y_min: float = 0.01
    y_max: float = 0.95
    x_max: float = 0.8

    def __post_init__(self):
        if not self.q2_min > 0:
            raise ValueError("cuts.q2_min must be positive")
        if not 0.0 < self.y_min < self.y_max <= 1.0:
            raise ValueError("cuts.y_min and cuts.y_max must satisfy 0 < y_min < y_max <= 1")
        if not 0.0 < self.x_max < 1.0:
            raise ValueError("cuts.x_max must lie in (0, 1)")
        if not self.w2_min >= M_PROTON**2:
            raise ValueError(f"cuts.w2_min must be at least M^2 = {M_PROTON**2:.4f} GeV^2")

    def as_dict(self):
        return asdict(self)

    def q2_interval(self, x, s):
        """(lower, upper) Q^2 allowed at each x (empty where lower > upper)."""
        x = np.asarray(x, dtype=float)
        lower = np.maximum.reduce(
            [np.full_like(x, self.q2_min), self.y_min * x * s, (self.w2_min - M_PROTON**2) * x / (1.0 - x)]
        )
        return lower, self.y_max * x * s

    def x_range(self, s):
        """(x_lo, x_hi) where the Q^2 interval is non-empty."""
        x_lo = self.q2_min / (self.y_max * s)
        x_hi = min(self.x_max, 1.0 - (self.w2_min - M_PROTON**2) / (self.y_max * s))
        if not x_lo < x_hi:
            raise ValueError("the cuts leave no phase space at this beam energy")
        return x_lo, x_hi

    def kinks(self, s):
        """x where the active lower Q^2 bound switches (quadrature panel edges)."""
        m = self.w2_min - M_PROTON**2
        candidates = [
            self.q2_min / (self.y_min * s),
            self.q2_min / (self.q2_min + m),
            1.0 - m / (self.y_min * s),
        ]
        lo, hi = self.x_range(s)
        return sorted(c for c in candidates if lo < c < hi)

    def tmc_measure_max(self, s, n=4000):
        """The largest x^2 M^2 / Q^2 inside the cuts at beam energy squared s (on the lower Q^2
        edge, where it peaks for each x): the size of target-mass corrections the cuts admit."""
        lo, hi = self.x_range(s)
        x = np.geomspace(lo, hi, n)
        q2_lo, q2_hi = self.q2_interval(x, s)
        ok = q2_lo <= q2_hi
        return float(np.max(x[ok] ** 2 * M_PROTON**2 / q2_lo[ok]))

    def inside(self, x, Q2, s):
        """Boolean mask of points inside the cuts."""
        x = np.asarray(x, dtype=float)
        Q2 = np.asarray(Q2, dtype=float)
        with np.errstate(invalid="ignore", divide="ignore"):
            lower, upper = self.q2_interval(x, s)
            return (x > 0) & (x <= self.x_max) & (Q2 >= lower) & (Q2 <= upper)
