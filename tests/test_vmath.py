"""The vectorisable complex exponential against numpy's (libm's) to 1e-15 relative."""

import math

import numpy as np

from theory.kernels.vmath import cexp, cexp_into


def _points():
    rng = np.random.default_rng(0)
    z = rng.uniform(-700.0, 700.0, 20000) + 1j * rng.uniform(-2000.0, 2000.0, 20000)
    small = rng.uniform(-3.0, 3.0, 5000) + 1j * rng.uniform(-7.0, 7.0, 5000)
    # quadrant edges, zero, exact multiples of pi/2 and the clamp
    special = np.array([0.0, 1e-300, -1e-300j, 1j * math.pi / 2, 1j * math.pi, -1j * math.pi, 1.5j * math.pi,
                        2j * math.pi, 1j * math.pi / 4, -3j * math.pi / 4, 708.0 + 0.5j, -708.0 - 0.5j])  # fmt: skip
    return np.concatenate([z, small, special])


def test_numba_cexp_matches_libm():
    z = _points()
    re, im = np.empty(z.size), np.empty(z.size)
    cexp_into(np.ascontiguousarray(z.real), np.ascontiguousarray(z.imag), re, im)
    ref = np.exp(z)
    assert np.max(np.abs(re + 1j * im - ref) / np.abs(ref)) < 1e-15


def test_numpy_cexp_matches_libm():
    z = _points()
    ref = np.exp(z)
    assert np.max(np.abs(cexp(z) - ref) / np.abs(ref)) < 1e-15
    assert cexp(z.reshape(-1, 2)).shape == (z.size // 2, 2)


def test_clamped_exponent_is_harmless():
    """Beyond |Re z| = 708 the magnitude is clamped (exp(-708) = 3e-308 adds nothing to a sum)."""
    z = np.array([-800.0 + 1.0j, -1e4 + 0.0j])
    re, im = np.empty(2), np.empty(2)
    cexp_into(z.real.copy(), z.imag.copy(), re, im)
    assert np.all(np.abs(re + 1j * im) <= math.exp(-707.0))
    assert np.all(np.abs(cexp(z)) <= math.exp(-707.0))
