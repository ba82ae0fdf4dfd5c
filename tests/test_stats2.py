"""The stats2 parametrisation: sum rules, the analytic Jacobian, free/fixed bookkeeping."""

import numpy as np
import pytest

from theory.pdfs.stats2 import FREE, NAMES, TRUTH, Stats2
from theory.qcd.mellin import Contour


@pytest.mark.parametrize("scale", [1.0, 1.01, 0.97])
def test_sum_rules_hold_for_any_parameters(scale):
    p = Stats2(free=NAMES)
    f, _ = p.moments(np.array([1.0 + 0j, 2.0 + 0j]), p.truth * scale)
    assert f[0, 8] == pytest.approx(2.0, abs=1e-13)  # int u_v
    assert f[0, 7] == pytest.approx(1.0, abs=1e-13)  # int d_v
    assert f[1, 0] + f[1, 1:7].sum() == pytest.approx(1.0, abs=1e-13)  # momentum


@pytest.mark.parametrize("free", [NAMES, FREE, ("g_b", "uv_b")])
def test_jacobian_against_finite_differences(free):
    p = Stats2(free=free)
    Ns = Contour().N[::9]
    theta = p.truth * 1.01
    f, J = p.moments(Ns, theta)
    for k in range(p.n_params):
        h = 1e-6
        up, dn = theta.copy(), theta.copy()
        up[k] += h
        dn[k] -= h
        fd = (p.moments(Ns, up)[0] - p.moments(Ns, dn)[0]) / (2 * h)
        assert np.max(np.abs(fd - J[:, :, k])) <= 1e-6 * np.max(np.abs(J[:, :, k]))
    comps, cj = p.components_batch(Ns, theta[None])
    assert comps.shape == (1, 2, len(Ns), 3) and cj.shape == (1, 2, len(Ns), 3, p.n_params)


def test_free_and_fixed_bookkeeping():
    assert Stats2().names == NAMES  # all nine free by default
    p = Stats2(free=FREE, fixed={"uv_b": 3.5})
    assert p.names == FREE and p.n_params == 5
    full = p.full(p.truth)
    assert full[NAMES.index("uv_b")] == 3.5 and full[NAMES.index("g_a")] == TRUTH[NAMES.index("g_a")]
    with pytest.raises(ValueError, match="sea_a outside"):
        p.check([-0.2, -0.2, 0.2, -3.0, -1.1])
    with pytest.raises(ValueError, match="unknown stats2 parameter 'gluon'"):
        Stats2(free=("gluon",))


# The shape moments (formerly tested through theory.pdfs.shapes, now through the implementation the
# fits use): s(N) = B(N + a, b + 1) = int x^(N-1) x^a (1-x)^b dx and its analytic a, b derivatives.
SHAPES = [(-0.4, 3.2), (-1.15, 6.0), (0.3, 0.8)]


@pytest.mark.parametrize("a,b", SHAPES)
def test_shape_moment_against_quadrature(a, b):
    from scipy.integrate import quad

    from theory.pdfs.stats2 import _shape
    from theory.qcd.special import lgamma_digamma_mod

    lg_b, psi_b = lgamma_digamma_mod(b + 1.0 + 0j)
    for N in (2.0, 3.7):
        exact = quad(lambda x: x ** (N - 1) * x**a * (1 - x) ** b, 0, 1, limit=200)[0]
        assert _shape(complex(N), a, b, lg_b, psi_b)[0].real == pytest.approx(exact, rel=1e-9)


@pytest.mark.parametrize("a,b", SHAPES)
def test_shape_gradients_against_finite_differences(a, b):
    from theory.pdfs.stats2 import _shape
    from theory.qcd.special import lgamma_digamma_mod

    def s(a_, b_):
        lg, psi = lgamma_digamma_mod(b_ + 1.0 + 0j)
        return _shape(2.3 + 1.7j, a_, b_, lg, psi)

    _, ds_da, ds_db = s(a, b)
    h = 1e-6
    assert ds_da == pytest.approx((s(a + h, b)[0] - s(a - h, b)[0]) / (2 * h), rel=1e-7, abs=1e-9)
    assert ds_db == pytest.approx((s(a, b + h)[0] - s(a, b - h)[0]) / (2 * h), rel=1e-7, abs=1e-9)


def test_sum_rules_pin_the_moments_whatever_the_shape():
    """The normalisations fixed by the sum rules: at N = 1 (valence numbers) and N = 2 (momentum)
    the moments do not move with any parameter."""
    p = Stats2(free=NAMES)
    f, J = p.moments(np.array([1.0 + 0j, 2.0 + 0j]), p.truth * 1.02)
    assert np.allclose(J[0, 8], 0.0, atol=1e-13) and np.allclose(J[0, 7], 0.0, atol=1e-13)
    assert np.allclose(J[1, 0] + J[1, 1:7].sum(axis=0), 0.0, atol=1e-13)


def test_moment_values_are_the_batched_moments_without_their_jacobian():
    from theory.pdfs.stats2 import START

    Ns = Contour().N
    thetas = np.array([START, TRUTH] * 70)  # more sets than one scratch batch
    param = Stats2()
    f, _ = param.moments_batch(Ns, thetas)
    assert np.array_equal(param.moment_values(Ns, thetas, batch=64), f)
