"""Predictions at given kinematics from input moments: the reduced cross section of a data set.

The direct N-space route (``theory.dis.structure_functions``), for one Q^2 and many x and any
number of parameter sets at once: what the report's scale envelope and statistical bands use.
"""

import numpy as np

from theory.dis import electroweak as ew_
from theory.dis.cross_section import inelasticity, reduced_cross_section
from theory.dis.structure_functions import generalised_structure_functions


def sigma_r(setup, contour, input_moments, x, Q2, sqrt_s, target="p", process="em", beam=None, ew=None, scales=None,
            nuclear=None):  # fmt: skip
    """sigma_r = F2~ - (y^2/Y+) FL~ -+ (Y-/Y+) xF3~ at each x for one Q^2, y = Q^2 / (x s):
    [..., n_x] for input moments [..., n_N, 13]."""
    beam = ew_.Beam() if beam is None else beam
    x = np.atleast_1d(np.asarray(x, dtype=float))
    sf = generalised_structure_functions(setup, contour, input_moments, x, Q2, target, process, beam, ew, scales,
                                         nuclear)  # fmt: skip
    return reduced_cross_section(sf["F2"], sf["FL"], sf["xF3"], inelasticity(x, Q2, sqrt_s**2), beam.lepton)
