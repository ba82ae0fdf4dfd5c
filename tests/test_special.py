"""Complex log-gamma, polygammas and Beta against mpmath on the Mellin contour."""

import mpmath
import numpy as np
import pytest

from tests.helpers import contour_grid
from theory.qcd.special import beta, digamma, lgamma, polygamma


def test_lgamma_matches_mpmath_principal_branch():
    worst = max(abs(lgamma(z) - complex(mpmath.loggamma(z))) / max(1.0, abs(z)) for z in contour_grid())
    assert worst < 1e-13


@pytest.mark.parametrize("k", [0, 1, 2, 3])
def test_polygamma_matches_mpmath(k):
    worst = max(abs(polygamma(k, z) / complex(mpmath.polygamma(k, z)) - 1.0) for z in contour_grid())
    assert worst < 1e-12


def test_digamma_is_polygamma_zero_and_real_values():
    assert digamma(1.0 + 0j) == pytest.approx(-0.5772156649015329, abs=1e-15)
    assert polygamma(1, 1.0 + 0j) == pytest.approx(np.pi**2 / 6, rel=1e-15)


def test_beta_matches_mpmath():
    worst = max(abs(beta(z, 4.5) / complex(mpmath.beta(z, 4.5)) - 1.0) for z in contour_grid())
    assert worst < 1e-10
    assert beta(2.0 + 0j, 3.0 + 0j) == pytest.approx(1.0 / 12.0, rel=1e-14)
