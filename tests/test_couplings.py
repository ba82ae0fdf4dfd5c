"""alpha_s: closed/implicit solutions against an ODE solver and the Les Houches values."""

import math

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from theory.qcd.couplings import Coupling, beta0, beta1, evolve_fixed_nf
from theory.qcd.scheme import FlavourScheme


@pytest.mark.parametrize("order", [0, 1])
@pytest.mark.parametrize("nf", [3, 4, 5])
def test_fixed_nf_solution_solves_the_rge(order, nf):
    a0 = 0.35 / (4 * math.pi)

    def rhs(_, a):
        return -beta0(nf) * a**2 - (beta1(nf) * a**3 if order else 0.0)

    for L in (-0.5, 1.0, 8.5):
        ode = solve_ivp(rhs, (0.0, L), [a0], rtol=1e-13, atol=1e-18).y[0, -1]
        assert evolve_fixed_nf(a0, L, nf, order) == pytest.approx(ode, rel=1e-10)


@pytest.mark.parametrize(
    "key,order,scheme",
    [("LO_FFNS", 0, "ffns4"), ("LO_VFNS", 0, "vfns"), ("NLO_FFNS", 1, "ffns4"), ("NLO_VFNS", 1, "vfns")],
)
def test_les_houches_alpha_s(lha_reference, key, order, scheme):
    coupling = Coupling(0.35, 2.0, order, FlavourScheme(scheme))
    ref = lha_reference["results"][key]["alpha_s_mu2_1e4"]
    assert coupling.alpha_s(1e4) == pytest.approx(ref, rel=1e-6)
    assert coupling.alpha_s(1e4) == pytest.approx(lha_reference["meta"]["published_alpha_s_mu2_1e4"][key], abs=6e-7)


def test_vfns_is_continuous_at_thresholds_and_runs_back():
    coupling = Coupling(0.35, 2.0, 1, FlavourScheme("vfns"))
    mb2 = 4.5**2
    assert coupling.a_s(mb2 * (1 - 1e-12)) == pytest.approx(coupling.a_s(mb2 * (1 + 1e-12)), rel=1e-9)
    # running up and back down to Q0 through thresholds returns alpha_s(Q0)
    back = Coupling(coupling.alpha_s(1e4), 1e4, 1, FlavourScheme("vfns"))
    assert back.alpha_s(2.0) == pytest.approx(0.35, rel=1e-12)
    assert np.all(np.diff(coupling.a_s_array(np.geomspace(2, 1e4, 20))) < 0)


def test_bad_scheme_names_the_field():
    with pytest.raises(ValueError, match="scheme"):
        FlavourScheme("ffns9")
