"""The box-constrained quadratic step (theory.inference.optimise.box_qp, box_step) against
scipy's BVLS and the KKT conditions, on random positive-definite models across conditioning."""

import numpy as np
import pytest
from scipy.optimize import lsq_linear

from theory.inference.optimise import box_qp, box_step


def _problem(rng, P, condition):
    Q, _ = np.linalg.qr(rng.standard_normal((P, P)))
    H = (Q * np.logspace(0, np.log10(condition), P)) @ Q.T
    H = 0.5 * (H + H.T)
    g = rng.standard_normal(P) * 10.0
    lower = -rng.uniform(0.01, 2.0, P)
    upper = rng.uniform(0.01, 2.0, P)
    return H, g, lower, upper


def test_box_qp_is_bvls_and_satisfies_kkt():
    rng = np.random.default_rng(4)
    active = 0
    for trial in range(300):
        P = int(rng.integers(1, 10))
        H, g, lo, hi = _problem(rng, P, 10.0 ** rng.uniform(0, 8))
        free = np.linalg.solve(H, -g)
        d, ok = box_qp(H, g, lo, hi, np.clip(free, lo, hi))
        assert ok
        assert np.all(d >= lo) and np.all(d <= hi)
        vals, vecs = np.linalg.eigh(H)
        R = np.sqrt(vals)[:, None] * vecs.T
        ref = lsq_linear(R, -(vecs.T @ g) / np.sqrt(vals), bounds=(lo, hi), method="bvls", tol=1e-14).x
        model = lambda x: g @ x + 0.5 * x @ H @ x  # noqa: E731
        assert model(d) <= model(ref) + 1e-9 * (1 + abs(model(ref))), trial
        r = g + H @ d  # KKT: zero gradient on free coordinates, multipliers of the right sign
        at_lo, at_hi = np.isclose(d, lo, rtol=0, atol=1e-12), np.isclose(d, hi, rtol=0, atol=1e-12)
        scale = np.abs(g).max() + np.abs(H).max() * np.abs(d).max()
        inside = ~(at_lo | at_hi)
        assert np.all(np.abs(r[inside]) <= 1e-8 * scale), trial
        assert np.all(r[at_lo] >= -1e-8 * scale) and np.all(r[at_hi] <= 1e-8 * scale), trial
        active += (at_lo | at_hi).any()
    assert active > 200  # most random problems bind some bound: the active-set path is exercised


def test_box_step_takes_the_free_newton_step_inside_the_box():
    H = np.diag([2.0, 4.0])
    g = np.array([-1.0, 2.0])
    d, gain = box_step(H, g, np.array([-1.0, -1.0]), np.array([1.0, 1.0]))
    np.testing.assert_allclose(d, [0.5, -0.5])
    assert gain == pytest.approx(0.75, rel=1e-15)
    d, gain = box_step(H, g, np.array([-1.0, -0.1]), np.array([0.2, 1.0]))
    np.testing.assert_allclose(d, [0.2, -0.1])  # separable: each coordinate clipped


class _Quartic:
    """F = (t - m).A.(t - m) / 2 + sum (t - m)^4 / 4 with a Gauss-Newton part that is half the Hessian
    and the other half as ``curvature`` (or none): the optimiser's view of a lockstep evaluation."""

    def __init__(self, curvature, indefinite=False):
        rng = np.random.default_rng(3)
        Q, _ = np.linalg.qr(rng.standard_normal((5, 5)))
        self.A = (Q * np.logspace(0, 2, 5)) @ Q.T
        self.m = rng.uniform(-0.5, 0.5, 5)
        self.curvature, self.indefinite = curvature, indefinite
        self.unphysical = 0

    def value(self, theta):
        from theory.inference.likelihood import Evaluation

        d = theta - self.m
        return Evaluation(theta, 0.5 * d @ self.A @ d + 0.25 * np.sum(d**4), np.zeros(0))

    def full(self, theta):
        ev = self.value(theta)
        d = theta - self.m
        H = self.A + np.diag(3.0 * d**2)
        ev.grad, ev.hessian = self.A @ d + d**3, 0.5 * H
        if self.curvature:  # the rest of the Hessian, or a wrong one that makes it indefinite
            ev.curvature = 0.5 * H if not self.indefinite else -0.5 * H - np.eye(5) * 50.0
        return ev


def test_newton_steps_with_the_curvature_and_secant_steps_without():
    """With the second-order term the steps are Newton's (fewer evaluations to the same minimum);
    where it would make the Hessian indefinite, the secant-completed Gauss-Newton matrix is used."""
    from theory.inference.optimise import minimise

    bounds = np.tile([-3.0, 3.0], (5, 1))
    start = np.full(5, 1.5)
    runs = {k: minimise(_Quartic(*k), start, bounds, tolerance=1e-14) for k in [(True,), (False,), (True, True)]}
    for r in runs.values():
        assert r["status"] == 0
        np.testing.assert_allclose(r["params"], _Quartic(False).m, atol=1e-6)
    assert runs[(True,)]["evaluations"] < runs[(False,)]["evaluations"] - 2
    assert runs[(True, True)]["evaluations"] == runs[(False,)]["evaluations"]  # indefinite: ignored


def test_convergence_at_the_rounding_of_a_large_loss():
    """The quartic plus 10^9 (a loss of 10^7 events is ~3e8): gains below ~1e-7 are beyond float64,
    so a tolerance of 1e-14 can never be confirmed; the fit stops converged once the decrement is
    below LOSS_EPS |loss| (1e-6, i.e. 1.4e-3 standard deviations), as many evaluations as the
    quartic alone needs to get there, instead of halving a step the loss cannot resolve."""
    from theory.inference.optimise import LOSS_EPS, minimise

    class Offset(_Quartic):
        def value(self, theta):
            ev = super().value(theta)
            ev.loss += 1e9
            return ev

    bounds = np.tile([-3.0, 3.0], (5, 1))
    start = np.full(5, 1.5)
    big, plain = (
        minimise(Offset(True), start, bounds, tolerance=1e-14),
        minimise(_Quartic(True), start, bounds, tolerance=1e-14),
    )
    assert big["status"] == 0, big["message"]
    assert big["decrement"] < LOSS_EPS * 1e9 and big["evaluations"] <= plain["evaluations"]
    np.testing.assert_allclose(big["params"], plain["params"], atol=2e-3)


class _Pinned:
    """``_Quartic`` in t[:5] plus h(t5) = -2 t5 - t5^2 / 2, which the upper bound holds: the full
    Hessian has the eigenvalue -1 there (its Gauss-Newton part 0.5, the curvature -1.5), while on
    the five free parameters it is positive definite."""

    def __init__(self):
        self.quartic = _Quartic(True)
        self.unphysical = 0

    def value(self, theta):
        ev = self.quartic.value(theta[:5])
        ev.theta, ev.loss = theta, ev.loss - 2.0 * theta[5] - 0.5 * theta[5] ** 2
        return ev

    def full(self, theta):
        ev = self.quartic.full(theta[:5])
        ev.theta, ev.loss = theta, ev.loss - 2.0 * theta[5] - 0.5 * theta[5] ** 2
        ev.grad = np.append(ev.grad, -2.0 - theta[5])
        gn, curv = np.zeros((6, 6)), np.zeros((6, 6))
        gn[:5, :5], gn[5, 5] = ev.hessian, 0.5
        curv[:5, :5], curv[5, 5] = ev.curvature, -1.5
        ev.hessian, ev.curvature = gn, curv
        return ev


def test_projected_newton_steps_where_a_bound_holds_the_negative_curvature():
    """A parameter held at its bound by the gradient, along which the Hessian is negative, does
    not cost the free parameters their Newton steps (``newton_hessian``): the run is as short as
    the quartic's alone and reaches the same minimum; requiring the whole Hessian positive
    definite (the secant steps) takes twice as many evaluations."""
    from theory.inference import optimise
    from theory.inference.optimise import minimise, newton_hessian

    bounds = np.vstack([np.tile([-3.0, 3.0], (5, 1)), [-3.0, 1.0]])
    start = np.append(np.full(5, 1.5), 0.0)
    pinned = minimise(_Pinned(), start, bounds, tolerance=1e-14)
    assert pinned["status"] == 0
    np.testing.assert_allclose(pinned["params"], np.append(_Quartic(False).m, 1.0), atol=1e-6)
    alone = minimise(_Quartic(True), start[:5], bounds[:5], tolerance=1e-14)
    assert pinned["evaluations"] <= alone["evaluations"] + 2  # measured: 7 against 5 (the run to the bound)
    whole = optimise.newton_hessian
    try:  # the full Hessian or nothing: the old rule
        optimise.newton_hessian = lambda exact, gn, held: exact if optimise.positive_definite(exact) else None
        secant = minimise(_Pinned(), start, bounds, tolerance=1e-14)
    finally:
        optimise.newton_hessian = whole
    assert secant["evaluations"] > pinned["evaluations"] + 4  # measured: 14 against 7
    # the matrix itself: the free block exact, the held one decoupled with the Gauss-Newton diagonal
    exact = np.array([[2.0, 0.5, 0.3], [0.5, 1.0, 0.2], [0.3, 0.2, -1.0]])
    held = np.array([False, False, True])
    H = newton_hessian(exact, np.diag([1.0, 1.0, 0.5]), held)
    np.testing.assert_array_equal(H, [[2.0, 0.5, 0.0], [0.5, 1.0, 0.0], [0.0, 0.0, 0.5]])
    assert newton_hessian(exact, np.eye(3), ~held) is None  # the free block is indefinite
    assert newton_hessian(exact, np.eye(3), np.zeros(3, dtype=bool)) is None  # nothing held
