"""Inverse Mellin transform: analytic inverses and the cross-section accuracy goal."""

import numpy as np
import pytest
from scipy.special import beta as real_beta

from theory.dis.cross_section import d2sigma_dxdQ2
from theory.dis.structure_functions import structure_functions
from theory.pdfs import lha
from theory.qcd.evolution import EvolutionSetup
from theory.qcd.mellin import Contour
from theory.qcd.special import beta


@pytest.mark.parametrize("a,b,x_min,rtol", [(-0.2, 3.0, 1e-5, 1e-7), (-1.1, 5.0, 1e-5, 1e-7), (0.5, 0.5, 1e-2, 1e-6)])
def test_inverts_beta_moments_to_the_shape(a, b, x_min, rtol):
    """x^a (1-x)^b from B(N + a, b + 1). The further the pole N = -a lies left of c, the more the
    integral cancels at small x (like x^-(c+a)): the x^0.5 shape is checked from x = 1e-2."""
    contour = Contour()
    x = np.geomspace(x_min, 0.8, 40)
    moments = np.array([beta(N + a, b + 1.0) for N in contour.N])
    exact = x**a * (1 - x) ** b
    assert np.allclose(contour.invert(x, moments), exact, rtol=rtol, atol=0)
    # and the real-axis moments agree with scipy's Beta
    assert beta(2.0 + a, b + 1.0).real == pytest.approx(real_beta(2.0 + a, b + 1.0), rel=1e-13)


@pytest.mark.parametrize("mu2", [2.0, 10.0, 1e3, 1e4])
def test_cross_section_relative_error_below_1e6(mu2):
    setup = EvolutionSetup("nlo", "truncated", "vfns", lha.MU0_2, lha.ALPHA_S0, lha.MASSES)
    x = np.array([1e-5, 1e-4, 1e-3, 1e-2, 0.1, 0.3, 0.5, 0.7, 0.8])
    sigmas = []
    for contour in (Contour(), Contour.converged()):
        F2, FL = structure_functions(setup, contour, lha.moments(contour.N), x, mu2)
        sigmas.append(d2sigma_dxdQ2(x, mu2, F2, FL, 140.0**2))
    assert np.all(np.abs(sigmas[0] / sigmas[1] - 1.0) < 1e-6)


def test_rejects_x_outside_unit_interval():
    with pytest.raises(ValueError, match="x must lie"):
        Contour().kernel([0.5, 1.0])
