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

    from theory.pdfs.stats2 import _log_shape
    from theory.qcd.special import lgamma_digamma_trigamma_mod

    lg_b, psi_b, tri_b = lgamma_digamma_trigamma_mod(b + 1.0 + 0j)
    for N in (2.0, 3.7):
        exact = quad(lambda x: x ** (N - 1) * x**a * (1 - x) ** b, 0, 1, limit=200)[0]
        assert _log_shape(complex(N), a, b, lg_b, psi_b, tri_b)[0].real == pytest.approx(exact, rel=1e-9)


@pytest.mark.parametrize("a,b", SHAPES)
def test_shape_log_derivatives_against_finite_differences(a, b):
    """ln s's first derivatives against differences of s, its second against differences of them."""
    from theory.pdfs.stats2 import _log_shape
    from theory.qcd.special import lgamma_digamma_trigamma_mod

    def s(a_, b_):
        return _log_shape(2.3 + 1.7j, a_, b_, *lgamma_digamma_trigamma_mod(b_ + 1.0 + 0j))

    v, la, lb, laa, lab, lbb = s(a, b)
    h = 1e-6
    assert v * la == pytest.approx((s(a + h, b)[0] - s(a - h, b)[0]) / (2 * h), rel=1e-7, abs=1e-9)
    assert v * lb == pytest.approx((s(a, b + h)[0] - s(a, b - h)[0]) / (2 * h), rel=1e-7, abs=1e-9)
    h = 1e-5
    assert laa == pytest.approx((s(a + h, b)[1] - s(a - h, b)[1]) / (2 * h), rel=1e-7, abs=1e-9)
    assert lab == pytest.approx((s(a, b + h)[1] - s(a, b - h)[1]) / (2 * h), rel=1e-7, abs=1e-9)
    assert lbb == pytest.approx((s(a, b + h)[2] - s(a, b - h)[2]) / (2 * h), rel=1e-7, abs=1e-9)


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


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_curvature_against_finite_differences_of_the_jacobian(seed):
    """flavour_curvature's sum_j Re(conj(gam) d2f) against central differences of the analytic
    Jacobian, for a random adjoint at random points inside the bounds, all nine parameters."""
    from theory.pdfs.stats2 import BOUNDS, KAPPA, flavour_curvature, flavour_moments

    rng = np.random.default_rng(seed)
    Ns = Contour().N
    lo, hi = np.array(BOUNDS).T
    theta = lo + (hi - lo) * rng.uniform(0.2, 0.8, 9)
    gam = rng.standard_normal((len(Ns), 13)) + 1j * rng.standard_normal((len(Ns), 13))

    def jac(th, shapes=None):
        f, J = np.zeros((len(Ns), 13), complex), np.zeros((len(Ns), 13, 9), complex)  # zeroed by the caller
        flavour_moments(Ns, th, KAPPA, f, J, np.empty((0, 4, 6), complex) if shapes is None else shapes)
        return f, J

    shapes = np.empty((len(Ns), 4, 6), complex)
    f, J = jac(theta, shapes)
    f0, J0 = jac(theta)
    assert np.array_equal(f, f0) and np.array_equal(J, J0)  # keeping the shapes changes nothing
    R = np.empty((9, 9))
    flavour_curvature(shapes, theta, KAPPA, gam, R)
    fd = np.empty((9, 9))
    for q in range(9):
        h = 1e-5 * max(1.0, abs(theta[q]))
        e = np.zeros(9)
        e[q] = h
        fd[:, q] = np.einsum("jf,jfp->p", np.conj(gam), (jac(theta + e)[1] - jac(theta - e)[1]) / (2 * h)).real
    assert np.array_equal(R, R.T)
    assert np.max(np.abs(R - fd)) <= 1e-7 * np.max(np.abs(fd))
    assert np.abs(fd).max(axis=1).min() > 1e-6 * np.abs(fd).max()  # every parameter has curvature to test
    assert fd[4, 4] == 0.0 and R[4, 4] == 0.0  # the sea's normalisation enters linearly


def test_component_curvature_of_the_free_parameters():
    """Stats2.curvature: the components' second derivatives (through the component weights),
    free parameters only, contracted with a component adjoint; against the components' Jacobian."""
    p = Stats2(free=("uv_b", "sea_A", "sea_a", "g_a", "g_b"), fixed={"dv_b": 4.5})
    Ns = Contour().N[::3]
    rng = np.random.default_rng(4)
    thetas = p.truth[None] * (1.0 + 0.03 * rng.standard_normal((2, p.n_params)))
    adj = rng.standard_normal((2, 2, len(Ns), 3)) + 1j * rng.standard_normal((2, 2, len(Ns), 3))
    q, _, shapes = p.vectors(Ns, thetas, np.ones(2, dtype=bool), shapes=True)
    assert np.array_equal(q, p.vectors(Ns, thetas, np.ones(2, dtype=bool))[0])  # keeping them changes nothing
    R = p.curvature(thetas, adj, shapes)
    for b in range(2):
        fd = np.empty((p.n_params, p.n_params))
        for q in range(p.n_params):
            e = np.zeros(p.n_params)
            e[q] = 1e-6
            up, dn = p.components_batch(Ns, thetas[b] + e)[1], p.components_batch(Ns, thetas[b] - e)[1]
            fd[:, q] = np.einsum("tjk,tjkp->p", np.conj(adj[b]), (up[0] - dn[0]) / 2e-6).real
        assert np.max(np.abs(R[b] - fd)) <= 1e-6 * np.max(np.abs(fd))
