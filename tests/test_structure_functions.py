"""Structure functions: the LO parton model, isospin, and NLO against an x-space convolution."""

import numpy as np
import pytest
from scipy.integrate import quad

from theory.dis.structure_functions import structure_functions
from theory.pdfs import lha
from theory.qcd.constants import CF, CHARGES2, TR, ZETA2
from theory.qcd.evolution import EvolutionSetup
from theory.qcd.flavours import isospin_swap
from theory.qcd.mellin import Contour

X = np.array([1e-4, 1e-3, 0.01, 0.1, 0.3, 0.5, 0.7])


def _setup(order, scheme="vfns", mode="iterated-exact"):
    return EvolutionSetup(order, mode, scheme, lha.MU0_2, lha.ALPHA_S0, lha.MASSES)


@pytest.mark.parametrize("mu2", [2.0, 50.0, 1e4])
@pytest.mark.parametrize("target", ["p", "n"])
def test_lo_f2_is_the_parton_model(mu2, target):
    setup, contour = _setup("lo"), Contour()
    f0 = lha.moments(contour.N)
    F2, FL = structure_functions(setup, contour, f0, X, mu2, target)
    f0 = f0 if target == "p" else isospin_swap(f0)
    f = np.imag(contour.kernel(X) @ np.einsum("jab,jb->ja", setup.operators(contour.N, mu2), f0))
    nf = setup.scheme.nf(mu2)
    parton = X * sum(CHARGES2[i] * f[:, 1 + i] for i in range(nf))
    assert np.allclose(F2, parton, rtol=1e-10, atol=0)
    assert np.all(FL == 0.0)


def test_neutron_is_proton_with_u_and_d_exchanged():
    setup, contour = _setup("nlo"), Contour()
    f0 = lha.moments(contour.N)
    swapped = isospin_swap(f0)
    assert np.array_equal(isospin_swap(swapped), f0)
    p = structure_functions(setup, contour, swapped, X, 30.0, "p")
    n = structure_functions(setup, contour, f0, X, 30.0, "n")
    assert np.allclose(p, n, rtol=1e-14, atol=0)
    # the isoscalar combination is target-independent only in the sum p + n; p - n probes u_v - d_v
    assert not np.allclose(structure_functions(setup, contour, f0, X, 30.0, "p")[0], n[0])


def _x_space_lha(x):
    """The LHA toy input in x space: (sum e^2 q+ for nf = 4, g)."""
    uv = 5.1072 * x**-0.2 * (1 - x) ** 3
    dv = 3.06432 * x**-0.2 * (1 - x) ** 4
    dbar = 0.1939875 * x**-1.1 * (1 - x) ** 6
    ubar = (1 - x) * dbar
    s = 0.2 * (ubar + dbar)
    up, dp, sp = uv + 2 * ubar, dv + 2 * dbar, 2 * s
    return (4 * up + dp + sp) / 9.0, 1.7 * x**-1.1 * (1 - x) ** 5


@pytest.mark.parametrize("x", [1e-3, 0.01, 0.1, 0.4, 0.7])
def test_nlo_f2_fl_against_x_space_convolution(x):
    """At Q^2 = Q0^2 the PDFs are known in x, so F2 and FL follow from the x-space coefficient
    functions (plus-distributions by subtraction) with no N space at all: an independent number."""
    a_s = lha.ALPHA_S0 / (4 * np.pi)
    q = lambda y: _x_space_lha(y)[0]  # noqa: E731
    g = lambda y: _x_space_lha(y)[1]  # noqa: E731
    sum_e2 = sum(CHARGES2[:4])
    kw = dict(limit=400, epsabs=0, epsrel=1e-11)

    def c2q_regular(z):
        return CF * (-2 * (1 + z) * np.log1p(-z) - 2 * (1 + z * z) / (1 - z) * np.log(z) + 6 + 4 * z)

    def c2q_plus(z):
        return CF * (4 * np.log1p(-z) / (1 - z) - 3 / (1 - z))

    # (C (x) q)(x) = int_x^1 dz/z C(z) q(x/z); [h]_+ part: int_x^1 dz h(z) (q(x/z)/z - q(x)) + q(x) int_0^x h
    conv_q = quad(lambda z: c2q_regular(z) * q(x / z) / z, x, 1, **kw)[0]
    conv_q += quad(lambda z: c2q_plus(z) * (q(x / z) / z - q(x)), x, 1, **kw)[0]
    conv_q += q(x) * CF * (2 * np.log1p(-x) ** 2 - 3 * np.log1p(-x)) - CF * (9 + 4 * ZETA2) * q(x)
    c2g = lambda z: 4 * TR * ((z * z + (1 - z) ** 2) * np.log((1 - z) / z) - 1 + 8 * z * (1 - z))  # noqa: E731
    conv_g = quad(lambda z: c2g(z) * g(x / z) / z, x, 1, **kw)[0]
    F2_x = x * (q(x) + a_s * conv_q + a_s * sum_e2 * conv_g)
    FL_x = (
        x
        * a_s
        * (
            quad(lambda z: 4 * CF * z * q(x / z) / z, x, 1, **kw)[0]
            + sum_e2 * quad(lambda z: 16 * TR * z * (1 - z) * g(x / z) / z, x, 1, **kw)[0]
        )
    )
    F2, FL = structure_functions(_setup("nlo", "ffns4"), Contour(), lha.moments(Contour().N), [x], lha.MU0_2)
    assert F2[0] == pytest.approx(F2_x, rel=1e-7)
    assert FL[0] == pytest.approx(FL_x, rel=1e-7)


def test_bad_target_is_rejected():
    contour = Contour()
    with pytest.raises(ValueError, match="target"):
        structure_functions(_setup("lo"), contour, lha.moments(contour.N), X, 10.0, "he3")
