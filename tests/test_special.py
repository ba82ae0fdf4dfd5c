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


def test_lgamma_digamma_trigamma_shares_the_beta_recurrence():
    """The one-recurrence triple against mpmath on the contour grid and near the origin (where the
    recurrence runs longest): ln Gamma up to a multiple of 2 pi i, psi and psi'."""
    from theory.qcd.special import lgamma_digamma_trigamma_mod

    points = list(contour_grid()) + [0.05 + 0j, 0.4 - 0.3j, 1.0 + 0j, 2.5 + 0.5j, 7.9 + 0.1j]
    for z in points:
        lg, psi, tri = lgamma_digamma_trigamma_mod(z)
        turns = (lg - complex(mpmath.loggamma(z))) / (2j * np.pi)
        assert abs(turns - round(turns.real)) <= 1e-13 * max(1.0, abs(lg))
        assert abs(psi - complex(mpmath.digamma(z))) <= 1e-13 * max(1.0, abs(psi))
        assert abs(tri / complex(mpmath.polygamma(1, z)) - 1.0) <= 1e-13
    assert lgamma_digamma_trigamma_mod(1.0 + 0j)[2] == pytest.approx(np.pi**2 / 6, rel=1e-15)
