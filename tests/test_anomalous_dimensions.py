"""Anomalous dimensions: conservation laws, known values and the large-N cusp limit."""

import math

import pytest

from theory.qcd.anomalous_dimensions import harmonic_sums, lo, nlo
from theory.qcd.constants import CA, CF, ZETA2


@pytest.mark.parametrize("nf", [3, 4, 5, 6])
def test_momentum_conservation(nf):
    N = 2.0 + 0j
    hs = harmonic_sums(N)
    qq, qg, gq, gg = lo.gamma_singlet(N, hs[0], nf)
    assert abs(qq + gq) < 1e-14 and abs(qg + gg) < 1e-14
    qq, qg, gq, gg = nlo.gamma_singlet(N, nf, hs)
    assert abs(qq + gq) < 1e-12 and abs(qg + gg) < 1e-12


@pytest.mark.parametrize("nf", [3, 4, 5])
def test_quark_number_conservation(nf):
    N = 1.0 + 0j
    hs = harmonic_sums(N)
    assert abs(lo.gamma_ns(N, hs[0])) < 1e-14
    assert abs(nlo.gamma_nsm(N, nf, hs)) < 1e-12


def test_known_lo_values():
    # gamma_qq^(0)(2) = C_F (4 * 3/2 - 3 - 1/3) = 32/9, gamma_gg^(0)(2) = 2 nf / 3 for T_R = 1/2
    N = 2.0 + 0j
    assert lo.gamma_ns(N, harmonic_sums(N)[0]) == pytest.approx(32.0 / 9.0, rel=1e-14)
    assert lo.gamma_gg(N, harmonic_sums(N)[0], 4) == pytest.approx(8.0 / 3.0, rel=1e-14)


def test_nlo_nonsinglet_nf_part_from_x_space():
    """The nf part of gamma_ns^(1) at N = 2 is -(64/27) C_F nf.

    Independent number: the x-space two-loop term C_F T_R nf [-(2/3)(1+x^2)/(1-x) ln x - (10/9) p_qq(x)
    - (4/3)(1-x) - (1/6 + 4/3 zeta2) delta(1-x)] (alpha_s/2pi, Ellis-Stirling-Webber Eq. 4.108) has
    second moment 32/27 C_F T_R nf; times 4 for a_s = alpha_s/(4 pi) and -1 for gamma = -P.
    """
    N = 2.0 + 0j
    hs = harmonic_sums(N)
    for fn in (nlo.gamma_nsp, nlo.gamma_nsm):
        assert fn(N, 5, hs) - fn(N, 4, hs) == pytest.approx(CF * (-64.0 / 27.0), rel=1e-12)


def test_large_n_cusp_limit():
    # gamma_ns^(1)(N) -> A2 ln N + const, A2 = 8 C_F [(67/18 - zeta2) C_A - 5/9 nf] (Korchemsky);
    # gamma_gg^(1) -> (C_A / C_F) A2 ln N; the +/- difference vanishes.
    nf = 4
    A2 = 8.0 * CF * ((67.0 / 18.0 - ZETA2) * CA - 5.0 / 9.0 * nf)
    N1, N2 = 2.0e4 + 0j, 4.0e4 + 0j
    h1, h2 = harmonic_sums(N1), harmonic_sums(N2)
    slope_p = (nlo.gamma_nsp(N2, nf, h2) - nlo.gamma_nsp(N1, nf, h1)) / math.log(2.0)
    slope_gg = (nlo.gamma_gg(N2, nf, h2) - nlo.gamma_gg(N1, nf, h1)) / math.log(2.0)
    assert slope_p.real == pytest.approx(A2, rel=1e-3)
    assert slope_gg.real == pytest.approx(CA / CF * A2, rel=1e-3)
    assert abs(nlo.gamma_nsp(N1, nf, h1) - nlo.gamma_nsm(N1, nf, h1)) < 1e-3
