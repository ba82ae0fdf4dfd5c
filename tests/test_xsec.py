"""The NC DIS cross section formula: units and limits."""

import math

import pytest

from theory.dis.cross_section import d2sigma_dxdQ2, inelasticity
from theory.qcd.constants import ALPHA_EM, HBARC2_NB


def test_value_by_hand():
    x, Q2, s = 0.1, 100.0, 140.0**2
    y = Q2 / (x * s)
    expected = 2 * math.pi * ALPHA_EM**2 / (x * Q2**2) * ((1 + (1 - y) ** 2) * 0.4 - y * y * 0.05) * HBARC2_NB
    assert d2sigma_dxdQ2(x, Q2, 0.4, 0.05, s) == pytest.approx(expected, rel=1e-15)
    assert inelasticity(x, Q2, s) == pytest.approx(y)


def test_fl_drops_out_at_small_y():
    # y -> 0: sigma -> 4 pi alpha^2 F2 / (x Q^4), independent of FL
    x, Q2, s = 0.5, 10.0, 1e12
    base = 4 * math.pi * ALPHA_EM**2 / (x * Q2**2) * 0.3 * HBARC2_NB
    assert d2sigma_dxdQ2(x, Q2, 0.3, 1.0, s) == pytest.approx(base, rel=1e-9)
