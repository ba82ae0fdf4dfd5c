"""Flavour-number schemes: where the number of active flavours nf changes with the scale.

FFNS: nf fixed at every scale. VFNS: nf = 3 below m_c, and one more flavour at each heavy-quark
threshold mu^2 = m_h^2 (at the threshold itself the heavier nf applies). Heavy quarks start at
zero at their threshold (no intrinsic charm); with thresholds at mu = m_h the NLO matching of
both a_s and the PDFs is the identity (the O(a_s) pole-mass OMEs are proportional to
ln(mu^2/m_h^2)), so evolution is continuous across thresholds.
"""

import math
import re
from itertools import pairwise

LIGHT_FLAVOURS = 3
SCHEMES = ("ffns3", "ffns4", "ffns5", "ffns6", "vfns")
"""Every scheme name ``FlavourScheme`` accepts (the registry the CLI, schema and rules use)."""
DEFAULT_MASSES = (math.sqrt(2.0), 4.5, 175.0)
"""(m_c, m_b, m_t) in GeV: the Les Houches benchmark values."""


class FlavourScheme:
    """A flavour-number scheme.

    Parameters
    ----------
    name : str
        ``"ffns3"``, ``"ffns4"``, ``"ffns5"`` (fixed nf) or ``"vfns"``.
    masses : tuple of float
        Heavy-quark masses (m_c, m_b, m_t) in GeV, the VFNS thresholds.
    """

    def __init__(self, name, masses=DEFAULT_MASSES):
        if name not in SCHEMES:
            raise ValueError(f"scheme {name!r} is not one of {', '.join(SCHEMES)}")
        match = re.fullmatch(r"ffns([3-6])|vfns", name)
        if len(masses) != 3 or not 0.0 < masses[0] < masses[1] < masses[2]:
            raise ValueError("masses must be three increasing positive numbers (m_c, m_b, m_t)")
        self.name = name
        self.fixed_nf = int(match.group(1)) if match.group(1) else None
        self.masses = tuple(float(m) for m in masses)
        self.thresholds2 = tuple(m * m for m in self.masses)

    def nf(self, mu2):
        """Active flavours at mu^2 (GeV^2)."""
        if self.fixed_nf is not None:
            return self.fixed_nf
        return LIGHT_FLAVOURS + sum(1 for t in self.thresholds2 if t <= mu2)

    def segments(self, mu2_from, mu2_to):
        """Pieces (start, end, nf) of the path mu2_from -> mu2_to, split at thresholds, in order."""
        if self.fixed_nf is not None:
            inner = []
        else:
            lo, hi = min(mu2_from, mu2_to), max(mu2_from, mu2_to)
            inner = sorted(t for t in self.thresholds2 if lo < t < hi)
            if mu2_to < mu2_from:
                inner.reverse()
        points = [mu2_from, *inner, mu2_to]
        out = []
        for a, b in pairwise(points):
            out.append((a, b, self.nf(math.sqrt(a * b)) if a != b else self.nf(a)))
        return out
