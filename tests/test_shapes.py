"""JAM-style shapes: moments against quadrature, gradients against finite differences."""

import numpy as np
import pytest
from scipy.integrate import quad

from theory.pdfs.shapes import normalised_moment, shape_moment

PARAMS = [(-0.4, 3.2, 1.5, -0.7), (-1.15, 6.0, 0.0, 2.0), (0.3, 0.8, -0.5, 0.4)]


@pytest.mark.parametrize("a,b,c,d", PARAMS)
def test_moment_against_quadrature(a, b, c, d):
    grad = np.zeros(4, dtype=np.complex128)
    for N in (2.0, 3.7):
        f = lambda x: x ** (N - 1) * x**a * (1 - x) ** b * (1 + c * np.sqrt(x) + d * x)  # noqa: E731
        assert shape_moment(complex(N), a, b, c, d, grad).real == pytest.approx(quad(f, 0, 1, limit=200)[0], rel=1e-9)


@pytest.mark.parametrize("a,b,c,d", PARAMS)
def test_gradients_against_finite_differences(a, b, c, d):
    N = 2.3 + 1.7j
    grad = np.zeros(4, dtype=np.complex128)
    work = np.zeros(4, dtype=np.complex128)
    scratch = np.zeros(4, dtype=np.complex128)
    for fn, args in ((shape_moment, ()), (normalised_moment, (1.0, 2.0))):
        if args:
            fn(N, a, b, c, d, *args, grad, work)
        else:
            fn(N, a, b, c, d, grad)
        for i in range(4):
            h = 1e-6
            up = [a, b, c, d]
            dn = [a, b, c, d]
            up[i] += h
            dn[i] -= h
            if args:
                numeric = (fn(N, *up, *args, scratch, work) - fn(N, *dn, *args, scratch, work)) / (2 * h)
            else:
                numeric = (fn(N, *up, scratch) - fn(N, *dn, scratch)) / (2 * h)
            assert grad[i] == pytest.approx(numeric, rel=1e-7, abs=1e-9)


def test_normalised_moment_obeys_its_sum_rule():
    grad = np.zeros(4, dtype=np.complex128)
    work = np.zeros(4, dtype=np.complex128)
    assert normalised_moment(1.0 + 0j, -0.5, 3.0, 0.2, 1.0, 1.0, 2.0, grad, work) == pytest.approx(2.0, rel=1e-14)
    assert np.allclose(grad, 0.0, atol=1e-13)  # the sum rule pins f(N_sr) whatever the shape
