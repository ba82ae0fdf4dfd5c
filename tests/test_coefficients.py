"""N-space coefficient functions against numerical Mellin transforms of the x-space results."""

import numpy as np
import pytest
from scipy.integrate import quad

from theory.qcd import coefficients as cf
from theory.qcd.constants import CF, TR, ZETA2
from theory.qcd.harmonics import S1, S2

MOMENTS = [1.0 + 0j, 2.0 + 0j, 3.3 + 0j, 2.5 + 1.5j, 1.9 + 4.0j]


def _mellin(fn, N, subtract=False):
    """int_0^1 (z^(N-1) - [subtract]) fn(z) dz for complex N, by adaptive quadrature."""

    def integrand(z, part):
        value = (z ** (N - 1) - (1.0 if subtract else 0.0)) * fn(z)
        return value.real if part == 0 else value.imag

    kw = dict(limit=400, epsabs=1e-13, epsrel=1e-11)
    return quad(integrand, 0, 1, args=(0,), **kw)[0] + 1j * quad(integrand, 0, 1, args=(1,), **kw)[0]


def _c2q_regular(z):
    return CF * (-2 * (1 + z) * np.log1p(-z) - 2 * (1 + z * z) / (1 - z) * np.log(z) + 6 + 4 * z)


def _c2q_plus(z):
    return CF * (4 * np.log1p(-z) / (1 - z) - 3 / (1 - z))


@pytest.mark.parametrize("N", MOMENTS)
def test_c2q_against_x_space(N):
    x_space = _mellin(_c2q_regular, N) + _mellin(_c2q_plus, N, subtract=True) - CF * (9 + 4 * ZETA2)
    assert cf.c2q_nlo(N, S1(N), S2(N)) == pytest.approx(x_space, rel=1e-8, abs=1e-10)


@pytest.mark.parametrize("N", MOMENTS[1:])
def test_gluon_and_longitudinal_against_x_space(N):
    c2g = lambda z: 4 * TR * ((z * z + (1 - z) ** 2) * np.log((1 - z) / z) - 1 + 8 * z * (1 - z))  # noqa: E731
    assert cf.c2g_nlo(N, S1(N)) == pytest.approx(_mellin(c2g, N), rel=1e-9)
    assert cf.cLq_nlo(N) == pytest.approx(_mellin(lambda z: 4 * CF * z, N), rel=1e-10)
    assert cf.cLg_nlo(N) == pytest.approx(_mellin(lambda z: 16 * TR * z * (1 - z), N), rel=1e-10)


def test_adler_sum_rule():
    # the quark coefficient of F2 has no correction to its N = 1 moment (Adler sum rule)
    N = 1.0 + 0j
    assert abs(cf.c2q_nlo(N, S1(N), S2(N))) < 1e-14


@pytest.mark.parametrize("N", MOMENTS)
def test_c3q_against_x_space(N):
    """xF3's quark coefficient: c_2,q minus 2 C_F (1 + z) in x space (ESW Eq. 4.82, times 2)."""
    regular = lambda z: _c2q_regular(z) - 2 * CF * (1 + z)  # noqa: E731
    x_space = _mellin(regular, N) + _mellin(_c2q_plus, N, subtract=True) - CF * (9 + 4 * ZETA2)
    assert cf.c3q_nlo(N, S1(N), S2(N)) == pytest.approx(x_space, rel=1e-8, abs=1e-10)


def test_gross_llewellyn_smith_sum_rule():
    # int_0^1 F3 dx = 3 (1 - alpha_s / pi): the N = 1 moment of c_3,q is -4 (a_s = alpha_s / (4 pi))
    N = 1.0 + 0j
    assert cf.c3q_nlo(N, S1(N), S2(N)) == pytest.approx(-4.0, abs=1e-13)
