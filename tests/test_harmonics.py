"""Harmonic sums: against mpmath (polygamma form), finite sums at integer N, and g3's integral."""

from fractions import Fraction

import mpmath
import numpy as np
import pytest

from tests.helpers import contour_grid
from theory.qcd import harmonics as h


def _finite(n, term):
    return float(sum(term(Fraction(j)) for j in range(1, n + 1)))


@pytest.mark.parametrize("fn,k", [(h.S1, 1), (h.S2, 2), (h.S3, 3)])
def test_Sk_matches_mpmath_harmonic_definition(fn, k):
    # S_k(N) = zeta(k) - zeta(k, N + 1) (Hurwitz), S_1(N) = psi(N + 1) + gamma_E
    for N in contour_grid()[::7]:
        ref = mpmath.harmonic(N) if k == 1 else mpmath.zeta(k) - mpmath.zeta(k, N + 1)
        assert abs(fn(N) - complex(ref)) <= 1e-12 * max(1.0, abs(complex(ref)))


@pytest.mark.parametrize("n", range(1, 11))
def test_alternating_sums_at_integers(n):
    eta = 1 if n % 2 == 0 else -1
    N = complex(n)
    S1 = lambda j: sum(Fraction(1) / i for i in range(1, int(j) + 1))  # noqa: E731
    assert h.Sm1(N, eta) == pytest.approx(_finite(n, lambda j: (-1) ** int(j) / j), abs=1e-14)
    assert h.Sm2(N, eta) == pytest.approx(_finite(n, lambda j: (-1) ** int(j) / j**2), abs=1e-14)
    assert h.Sm3(N, eta) == pytest.approx(_finite(n, lambda j: (-1) ** int(j) / j**3), abs=1e-14)
    assert h.Sm21(N, eta) == pytest.approx(_finite(n, lambda j: (-1) ** int(j) / j**2 * S1(j)), abs=1e-14)


@pytest.mark.parametrize("N", [1.0, 2.0, 3.5, 1.9 + 3j, 0.4 + 0.1j, 10 + 20j, 60 + 1j, 1.9 + 40j])
def test_g3_matches_its_integral(N):
    with mpmath.workdps(30):
        nodes = [0, *np.linspace(0.05, 0.95, 19).tolist(), 0.99, 1]
        ref = complex(mpmath.quad(lambda x: x ** (N - 1) * mpmath.polylog(2, x) / (1 + x), nodes))
    assert abs(h.g3(N) - ref) <= 1e-13 * abs(ref)


def test_g3_continuation_obeys_recurrence_left_of_the_axis():
    # g3(N) + g3(N+1) = zeta2/N - S1(N)/N^2 holds for the continuation everywhere
    for N in contour_grid()[::5]:
        lhs = h.g3(N) + h.g3(N + 1.0)
        rhs = np.pi**2 / 6 / N - h.S1(N) / N**2
        assert abs(lhs - rhs) <= 1e-12 * max(1.0, abs(rhs))
