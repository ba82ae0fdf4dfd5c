"""Neutral-current DIS with gamma, gamma-Z and Z exchange: couplings, beams and the generalised
structure functions' flavour weights (HERA conventions: H1, JHEP 09 (2012) 061, Eqs. 2-5).

With kappa = Q^2 / (Q^2 + M_Z^2) / (4 s_W^2 c_W^2), the electron's couplings v_e = -1/2 + 2 s_W^2,
a_e = -1/2, the quarks' v_q = T3_q - 2 e_q s_W^2, a_q = T3_q, and P the lepton's physical
longitudinal polarisation, an e- beam sees (for e+ change the sign of every P)

    F2~  = F2 - (v_e - P a_e) kappa F2^gZ + (v_e^2 + a_e^2 - 2 P v_e a_e) kappa^2 F2^Z      (Eq. 3)
    xF3~ = -(a_e - P v_e) kappa xF3^gZ + (2 v_e a_e - P (v_e^2 + a_e^2)) kappa^2 xF3^Z      (Eq. 4)

and FL~ like F2~. At LO the pieces are sums over quarks (q+ = q + qbar, q- = q - qbar),

    F2^gZ = x sum 2 e_q v_q q+,   F2^Z = x sum (v_q^2 + a_q^2) q+,
    xF3^gZ = x sum 2 e_q a_q q-,  xF3^Z = x sum 2 v_q a_q q-,

so each generalised structure function is a weighted quark sum whose weights (``NCWeights``) carry
the couplings; QCD corrections act on each quark alike (``theory.dis.structure_functions``).
Photon exchange (``process: em``) is the kappa -> 0 limit: weights e_q^2 on q+ and none on q-.
One s_W^2 is used in the couplings and in kappa; no propagator (running-width) correction.
"""

from dataclasses import asdict, dataclass
from typing import NamedTuple

import numpy as np

from theory.qcd.constants import CHARGES, CHARGES2

PROCESSES = ("em", "nc")
"""``em``: one-photon exchange (Stats-2); ``nc``: gamma + gamma-Z + Z exchange (the EIC case)."""
LEPTONS = ("e-", "e+")
"""Lepton beams; their charge sets the sign of P in the lepton factors and of xF3 in sigma_r."""
PIECES = ("gamma", "gZ", "Z")
"""The exchange pieces of F2, FL and xF3 (photon, interference, Z)."""

T3 = (-0.5, 0.5, -0.5, 0.5, -0.5, 0.5)
"""Weak isospin T3 of the quarks d, u, s, c, b, t (PDG order, like ``CHARGES``)."""
T3_ELECTRON = -0.5


@dataclass(frozen=True)
class Electroweak:
    """M_Z (GeV) and sin^2 theta_W: the two numbers of the neutral current (``electroweak:``)."""

    m_z: float = 91.1876
    sin2_w: float = 0.23126

    def __post_init__(self):
        if not self.m_z > 0:
            raise ValueError("electroweak.m_z must be positive (GeV)")
        if not 0.0 < self.sin2_w < 1.0:
            raise ValueError("electroweak.sin2_w must lie in (0, 1)")

    def as_dict(self):
        return asdict(self)

    @property
    def m_w(self):
        """M_W = M_Z sqrt(1 - s_W^2): the on-shell W mass these couplings imply (HOPPET's input)."""
        return self.m_z * np.sqrt(1.0 - self.sin2_w)

    def kappa(self, Q2):
        """kappa = Q^2 / (Q^2 + M_Z^2) / (4 s_W^2 c_W^2)."""
        Q2 = np.asarray(Q2, dtype=float)
        return Q2 / (Q2 + self.m_z**2) / (4.0 * self.sin2_w * (1.0 - self.sin2_w))

    def electron(self):
        """(v_e, a_e) = (-1/2 + 2 s_W^2, -1/2)."""
        return T3_ELECTRON - 2.0 * (-1.0) * self.sin2_w, T3_ELECTRON

    def quarks(self):
        """(v_q, a_q) as float64[6] each, PDG order: v_q = T3_q - 2 e_q s_W^2, a_q = T3_q."""
        t3 = np.array(T3)
        return t3 - 2.0 * np.array(CHARGES) * self.sin2_w, t3

    def piece_weights(self):
        """{piece: (plus[6], minus[6])}: the quark weights of F2^piece / x on q+ and of
        xF3^piece / x on q- at LO (the brackets of the module docstring)."""
        v, a = self.quarks()
        e = np.array(CHARGES)
        return {
            "gamma": (np.array(CHARGES2), np.zeros(6)),
            "gZ": (2.0 * e * v, 2.0 * e * a),
            "Z": (v * v + a * a, 2.0 * v * a),
        }


@dataclass(frozen=True)
class Beam:
    """The lepton beam: ``lepton`` e- or e+ and its longitudinal polarisation P in [-1, 1]."""

    lepton: str = "e-"
    polarisation: float = 0.0

    def __post_init__(self):
        if self.lepton not in LEPTONS:
            raise ValueError(f"beam.lepton {self.lepton!r} is not one of {', '.join(LEPTONS)}")
        if not -1.0 <= self.polarisation <= 1.0:
            raise ValueError("beam.polarisation must lie in [-1, 1]")

    @property
    def charge(self):
        """-1 for e-, +1 for e+."""
        return -1.0 if self.lepton == "e-" else 1.0

    @property
    def effective_polarisation(self):
        """The P of the e- formulas: P for e-, -P for e+ (Eqs. 3-4 with every P's sign changed)."""
        return self.polarisation if self.lepton == "e-" else -self.polarisation


class NCWeights(NamedTuple):
    """Per-quark weights of one process, beam and Q^2: F2~/x = sum plus_q (C2 q+ ...) and
    xF3~/x = sum minus_q (C3 q- ...) at LO; FL~ has F2~'s weights."""

    plus: np.ndarray
    minus: np.ndarray


def lepton_factors(process, beam, ew, Q2):
    """{piece: (f2, f3)}: the lepton-side factors of Eqs. 3-4 at Q^2, a number or an array of them
    (f3 of the photon is 0)."""
    if process not in PROCESSES:
        raise ValueError(f"process {process!r} is not one of {', '.join(PROCESSES)}")
    if process == "em":
        return {"gamma": (1.0, 0.0)}
    k = ew.kappa(Q2)
    ve, ae = ew.electron()
    P = beam.effective_polarisation
    return {
        "gamma": (1.0, 0.0),
        "gZ": (-(ve - P * ae) * k, -(ae - P * ve) * k),
        "Z": ((ve * ve + ae * ae - 2.0 * P * ve * ae) * k * k, (2.0 * ve * ae - P * (ve * ve + ae * ae)) * k * k),
    }


def nc_weights(process, beam, ew, Q2):
    """The ``NCWeights`` of the generalised F2~, FL~ (plus) and xF3~ (minus) at one Q^2, or with
    an array of n Q^2 the weights of each: plus[n, 6], minus[n, 6]."""
    pieces = ew.piece_weights()
    Q2 = np.asarray(Q2, dtype=float)
    plus = np.zeros(Q2.shape + (6,))
    minus = np.zeros(Q2.shape + (6,))
    for name, (f2, f3) in lepton_factors(process, beam, ew, Q2).items():
        wp, wm = pieces[name]
        plus += np.multiply.outer(f2, wp)
        minus += np.multiply.outer(f3, wm)
    return NCWeights(plus, minus)


def piece_nc_weights(piece, ew):
    """The ``NCWeights`` of one exchange piece alone (F2^gZ, xF3^Z, ...), no lepton factor."""
    if piece not in PIECES:
        raise ValueError(f"piece {piece!r} is not one of {', '.join(PIECES)}")
    return NCWeights(*ew.piece_weights()[piece])
