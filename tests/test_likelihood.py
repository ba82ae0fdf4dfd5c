"""The replica loss: exact Jacobians of the forward pass, the profiled luminosity nuisance,
priors, and the bound-constrained Gauss-Newton optimiser (against scipy's L-BFGS-B)."""

import numpy as np
import pytest
from scipy.optimize import minimize, minimize_scalar

from theory.inference.events import generate
from theory.inference.likelihood import Likelihood, Priors
from theory.inference.optimise import minimise
from theory.inference.replicas import replica_weights
from theory.inference.run import Run
from theory.kernels.backends import make_backend
from theory.pipeline.config import validate


@pytest.fixture(scope="module")
def small():
    run = Run.from_config(validate({"events": {"p": 1000, "n": 1000}}))
    samples = {t: generate(run, 1000, t, run.truth, 5) for t in ("p", "n")}
    return run, samples, run.problem(samples)


@pytest.mark.parametrize("name", ["numpy-vectorized", "numba-cpu", "cached-cpu"])
def test_jacobian_is_the_derivative_of_the_forward_pass(small, name):
    run, _, problem = small
    backend = make_backend(name, problem)
    theta = run.start()
    ds, nu, J, dnu = backend.predictions(theta, jacobian=True)
    ds0, nu0 = backend.predictions(theta)
    np.testing.assert_allclose(ds, ds0, rtol=1e-12)  # one set or 1 + P: other BLAS kernels (2e-13 seen)
    np.testing.assert_allclose(nu, nu0, rtol=1e-12)
    for p in range(len(theta)):
        h = 1e-4 * max(1.0, abs(theta[p]))  # central differences: O(h^2) ~ 1e-8, rounding / h below 1e-9
        up, down = theta.copy(), theta.copy()
        up[p] += h
        down[p] -= h
        (dsu, nuu), (dsd, nud) = backend.predictions(up), backend.predictions(down)
        np.testing.assert_allclose(J[p], (dsu - dsd) / (2 * h), rtol=1e-5, atol=1e-9 * np.abs(ds).max())
        np.testing.assert_allclose(dnu[:, p], (nuu - nud) / (2 * h), rtol=1e-5)


def _unprofiled(lk, theta, lam):
    """F(theta, lambda) of the module docstring, written out directly."""
    ds, nu = lk.backend.predictions(theta)
    pb = lk.backend.problem
    F = np.sum(lam * nu - lk.W * np.log(lam) + (lam - lk.c) ** 2 / (2 * lk.delta2))
    F -= np.sum(lk.w * (np.log(ds) + pb.log_lumi))
    return F


def test_profiled_luminosity_is_the_joint_minimum(small):
    run, samples, problem = small
    backend = make_backend("cached-cpu", problem)
    w = replica_weights(3, 2, {t: len(samples[t]) for t in ("p", "n")})
    lk = Likelihood(backend, w, [1.03, 0.98], [0.02, 0.05])
    theta = run.start()
    ev = lk.value(theta)
    # minimise F over each lambda_t separately (F is a sum over data sets)
    lam = np.empty(2)
    for t in range(2):

        def f(x, t=t):
            other = ev.lumi.copy()
            other[t] = x
            return _unprofiled(lk, theta, other)

        lam[t] = minimize_scalar(f, bounds=(0.5, 1.5), method="bounded", options={"xatol": 1e-12}).x
    np.testing.assert_allclose(ev.lumi, lam, atol=1e-7)
    assert ev.loss == pytest.approx(_unprofiled(lk, theta, ev.lumi), rel=1e-13)
    # the luminosity constraint pulls lambda towards the centre: tighter delta, closer to c
    tight = Likelihood(backend, w, [1.03, 0.98], [1e-4, 1e-4]).value(theta)
    assert np.all(np.abs(tight.lumi - [1.03, 0.98]) < np.abs(ev.lumi - [1.03, 0.98]))
    fixed = Likelihood(backend, w, [1.03, 0.98], [0.0, 0.0]).value(theta)
    np.testing.assert_array_equal(fixed.lumi, [1.03, 0.98])


def test_gradient_of_the_profiled_loss(small):
    run, samples, problem = small
    backend = make_backend("cached-cpu", problem)
    w = replica_weights(3, 4, {t: len(samples[t]) for t in ("p", "n")})
    priors = Priors.of(run.param.names, {"g_a": (-1.0, 0.3)})
    lk = Likelihood(backend, w, [0.99, 1.01], [0.02, 0.02], priors)
    theta = run.start()
    full = lk.full(theta)
    for p in range(len(theta)):
        h = 1e-6
        up, down = theta.copy(), theta.copy()
        up[p] += h
        down[p] -= h
        fd = (lk.value(up).loss - lk.value(down).loss) / (2 * h)
        assert full.grad[p] == pytest.approx(fd, rel=1e-5, abs=1e-5), p
    assert np.all(np.linalg.eigvalsh(full.hessian) > -1e-8 * np.abs(full.hessian).max())


def test_gauss_newton_matches_lbfgsb(small):
    """Three replicas: the optimiser's minimum is L-BFGS-B's (or lower)."""
    run, samples, problem = small
    backend = make_backend("cached-cpu", problem)
    bounds = np.array(run.param.bounds)
    for b in (0, 1, 2):
        w = replica_weights(8, b, {t: len(samples[t]) for t in ("p", "n")})
        lk = Likelihood(backend, w, [1.0, 1.0], [0.02, 0.02])
        ours = minimise(lk, run.start(), bounds, 200, 1e-9)

        def fg(theta, lk=lk):
            e = lk.full(theta)
            return e.loss, e.grad

        ref = minimize(fg, run.start(), jac=True, method="L-BFGS-B", bounds=bounds,
                       options={"maxiter": 5000, "gtol": 1e-8, "ftol": 1e-15})  # fmt: skip
        assert ours["status"] == 0, ours["message"]
        assert ours["loss"] <= ref.fun + 1e-4, (b, ours["loss"], ref.fun)


class Toy:
    """A Likelihood stand-in: F = |theta - m|^2 / 2, +inf for theta_0 > 4 (an unphysical region),
    and a curvature understated fourfold, so that the first full step lands in the region."""

    def __init__(self, m):
        self.m = np.asarray(m, dtype=float)
        self.unphysical = 0

    def _ev(self, theta, full):
        from theory.inference.likelihood import Evaluation

        if theta[0] > 4.0:
            self.unphysical += 1
            return Evaluation(theta, np.inf, np.ones(2))
        loss = 0.5 * float(np.sum((theta - self.m) ** 2))
        if not full:
            return Evaluation(theta, loss, np.ones(2))
        return Evaluation(theta, loss, np.ones(2), theta - self.m, 0.25 * np.eye(len(theta)))

    def value(self, theta):
        return self._ev(np.asarray(theta, dtype=float), False)

    def full(self, theta):
        return self._ev(np.asarray(theta, dtype=float), True)


def test_unphysical_trial_points_make_the_optimiser_step_back():
    toy = Toy([3.0, -1.0])
    out = minimise(toy, [0.0, 0.0], [[-10, 10], [-10, 10]], 100, 1e-12)
    assert out["status"] == 0 and out["unphysical"] >= 1
    np.testing.assert_allclose(out["params"], [3.0, -1.0], atol=1e-5)


def test_bounds_hold_and_an_unphysical_start_is_an_error():
    toy = Toy([3.0, -1.0])
    out = minimise(toy, [0.0, 0.0], [[-10, 2.0], [-0.5, 10]], 100, 1e-12)
    assert out["status"] == 0
    np.testing.assert_allclose(out["params"], [2.0, -0.5])
    bad = minimise(Toy([3.0, 0.0]), [5.0, 0.0], [[-10, 10], [-10, 10]], 10, 1e-9)
    assert bad["status"] == 3 and "unphysical" in bad["message"]


def test_a_narrow_prior_holds_its_parameter(small):
    run, samples, problem = small
    backend = make_backend("cached-cpu", problem)
    w = np.ones(problem.n_events)
    priors = Priors.of(run.param.names, {"sea_a": (-1.3, 1e-4)})
    out = minimise(Likelihood(backend, w, [1, 1], [0.02, 0.02], priors), run.start(), np.array(run.param.bounds))
    assert out["params"][run.param.names.index("sea_a")] == pytest.approx(-1.3, abs=1e-3)
