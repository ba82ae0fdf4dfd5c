"""The five-component gamma/Z response against the direct N-space structure functions: the same
d2sigma by two routes (the 13 x 13 flavour evolution to each event's Q^2 and the coefficient
functions, against the reduced 5 x 5 response and its cached kernel), in every region of the VFNS,
for p, n and d, e- and e+ at several polarisations, LO, NLO truncated and NLO iterated-exact."""

import numpy as np
import pytest

from theory.dis import electroweak as ew_
from theory.dis.cross_section import d2sigma_nc
from theory.dis.structure_functions import nc_structure_functions
from theory.kernels.nc_response import NCEventConstants, build_nc_kernel, nc_tables_for
from theory.kernels.response import EventConstants, ResponseTables, build_kernel
from theory.pdfs import lha
from theory.qcd.evolution import EvolutionSetup
from theory.qcd.flavours import ALL_TARGETS, REDUCED_NC_WEIGHTS, REDUCED_WEIGHTS, TARGET_CODES
from theory.qcd.mellin import Contour

SQRT_S = 140.0
# (x, Q^2) in every region of the VFNS (Q0^2 = m_c^2 = 2, m_b^2 = 20.25), up to high Q^2 and x
X = np.array([2e-3, 0.05, 0.01, 0.3, 0.1, 0.6, 0.5, 0.8])
Q2 = np.array([3.0, 15.0, 20.0, 40.0, 300.0, 2000.0, 8000.0, 15000.0])


def _components(weights, f0):
    """c[k, j] of one target from the proton's input moments f0[j, 13]."""
    return np.einsum("ks,js->kj", weights, f0)


@pytest.mark.parametrize("order,mode", [("lo", "truncated"), ("nlo", "truncated"), ("nlo", "iterated-exact")])
def test_nc_kernel_equals_the_direct_structure_functions(order, mode):
    setup = EvolutionSetup(order, mode, "vfns", lha.MU0_2, lha.ALPHA_S0, lha.MASSES)
    contour = Contour()
    f0 = lha.moments(contour.N)
    nct = nc_tables_for(setup, contour, SQRT_S**2)
    ew = ew_.Electroweak()
    for beam in (ew_.Beam("e-", -0.7), ew_.Beam("e+", 0.3)):
        ev = NCEventConstants(nct.base, X, Q2, SQRT_S, "nc", beam, ew)
        K = build_nc_kernel(nct, ev)
        for t, target in enumerate(ALL_TARGETS):
            c = _components(REDUCED_NC_WEIGHTS[t], f0)
            kernel = np.imag(np.einsum("ikj,kj->i", K, c))
            direct = np.empty(len(X))
            for i, (x, q2) in enumerate(zip(X, Q2, strict=True)):
                w = ew_.nc_weights("nc", beam, ew, q2)
                F2, FL, xF3 = nc_structure_functions(setup, contour, f0, [x], q2, target, w)
                direct[i] = d2sigma_nc(x, q2, F2[0], FL[0], xF3[0], SQRT_S**2, beam.lepton)
            assert np.allclose(kernel, direct, rtol=1e-10, atol=0), (beam, target, kernel / direct - 1)


def test_photon_exchange_through_the_nc_response_is_the_photon_kernel():
    """process em: the five-component response with b_q = e_q^2 and no xF3 equals the three-component
    photon response (A, Sigma, g) event by event."""
    setup = EvolutionSetup("nlo", "truncated", "vfns", lha.MU0_2, lha.ALPHA_S0, lha.MASSES)
    contour = Contour()
    f0 = lha.moments(contour.N)
    tables = ResponseTables(setup, contour, q2_max=SQRT_S**2)
    nct = nc_tables_for(setup, contour, SQRT_S**2)
    K5 = build_nc_kernel(nct, NCEventConstants(nct.base, X, Q2, SQRT_S, "em", ew_.Beam("e+", 0.5)))
    K3 = build_kernel(tables.arrays(), EventConstants(tables, X, Q2, SQRT_S).arrays())
    for target in ("p", "n"):
        t = TARGET_CODES[target]
        five = np.imag(np.einsum("ikj,kj->i", K5, _components(REDUCED_NC_WEIGHTS[t], f0)))
        three = np.imag(np.einsum("ikj,kj->i", K3, _components(REDUCED_WEIGHTS[t], f0)))
        assert np.allclose(five, three, rtol=1e-12, atol=0), five / three - 1


def test_coupling_weights_depend_on_the_quark_type_only():
    """What makes five components enough: every up-type (down-type) quark has the same gamma/Z
    weights, for any beam, process and Q^2."""
    ew = ew_.Electroweak()
    for q2 in (5.0, 800.0, 3e4):
        for beam in (ew_.Beam("e-", -0.8), ew_.Beam("e+", 0.6)):
            w = ew_.nc_weights("nc", beam, ew, q2)
            for values in (w.plus, w.minus):
                assert np.all(values[1::2] == values[1]) and np.all(values[0::2] == values[0])


def test_deuteron_correction_rides_on_the_event_factor():
    setup = EvolutionSetup("nlo", "truncated", "vfns", lha.MU0_2, lha.ALPHA_S0, lha.MASSES)
    contour = Contour()
    nct = nc_tables_for(setup, contour, SQRT_S**2)
    R = np.linspace(0.97, 1.03, len(X))
    plain = NCEventConstants(nct.base, X, Q2, SQRT_S)
    corrected = NCEventConstants(nct.base, X, Q2, SQRT_S, correction=R)
    assert np.allclose(corrected.factor, plain.factor * R, rtol=1e-15)
