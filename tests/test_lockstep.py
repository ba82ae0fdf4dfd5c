"""Lockstep fits (theory.inference.lockstep): batch invariance, the coarse Gauss-Newton matrix
against the per-event one, and agreement with the one-replica-at-a-time optimiser."""

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from theory.inference.events import generate
from theory.inference.fits import fit_replicas, row_weights
from theory.inference.likelihood import Likelihood
from theory.inference.run import Run
from theory.kernels.backends import make_backend
from theory.pipeline.config import validate


@pytest.fixture(scope="module")
def setting():
    run = Run.from_config(validate({"events": {"p": 5000, "n": 5000}, "fit": {"tolerance": 1e-10}}))
    samples = {t: generate(run, 5000, t, run.truth, 23, 0.02) for t in ("p", "n")}
    backend = make_backend("cached-cpu", run.problem(samples))
    return run, samples, backend


def _params(run, backend, samples, replicas):
    return {row["replica"]: row for row in fit_replicas(run, backend, samples, replicas, 2)}


@pytest.mark.parametrize("slow_after", [None, 3])
def test_a_replica_is_the_same_alone_in_any_batch_and_thread_count(setting, slow_after, monkeypatch):
    """Also with the slow lane from a replica's fourth request on (its narrow blocks then carry
    most requests): a request's lane is its replica's own, so the lane keeps it batch-invariant."""
    import theory.inference.lockstep as lockstep

    if slow_after is not None:
        monkeypatch.setattr(lockstep, "SLOW_AFTER", slow_after)
    run, samples, backend = setting
    batch = _params(run, backend, samples, range(7))
    alone = _params(run, backend, samples, [4])
    with threadpool_limits(limits=1, user_api="blas"):
        pair = _params(run, backend, samples, [6, 2])
    for b, row in [(4, alone[4]), (6, pair[6]), (2, pair[2])]:
        assert np.array_equal(row["params"], batch[b]["params"])
        assert row["iterations"] == batch[b]["iterations"] and row["loss"] == batch[b]["loss"]
    assert all(row["status"] == 0 for row in batch.values())
    if slow_after is not None:  # the narrow blocks reach the wide ones' minima
        monkeypatch.setattr(lockstep, "SLOW_AFTER", 10**9)
        wide = _params(run, backend, samples, range(7))
        std = np.array([wide[b]["params"] for b in range(1, 7)]).std(axis=0, ddof=1)
        for b in range(7):
            assert np.all(np.abs(batch[b]["params"] - wide[b]["params"]) <= 1e-3 * std)


def test_lockstep_minimum_is_the_one_replica_optimisers(setting):
    """Same losses, different step metrics (coarse-grid vs per-event Gauss-Newton): the minima
    agree to the convergence tolerance (at 5,000 + 5,000 events; with fewer, nine free parameters
    have several local minima, and two paths may end in different ones)."""
    run, samples, backend = setting
    lock = _params(run, backend, samples, range(9))
    backend.lockstep = False
    try:
        single = _params(run, backend, samples, range(9))
    finally:
        del backend.lockstep
    pl = np.array([lock[b]["params"] for b in range(9)])
    ps = np.array([single[b]["params"] for b in range(9)])
    std = ps[1:].std(axis=0, ddof=1)
    assert np.all(np.abs(pl - ps) <= 1e-3 * std), (np.abs(pl - ps) / std).max(axis=0)
    np.testing.assert_allclose([lock[b]["loss"] for b in range(9)], [single[b]["loss"] for b in range(9)], rtol=1e-12)


def test_coarse_gauss_newton_matrix_matches_the_per_event_one(setting):
    from theory.inference.likelihood import ReplicaLoss
    from theory.inference.lockstep import LockstepEngine
    from theory.inference.moments import replica_moments

    run, samples, backend = setting
    w = row_weights(run, samples, [5])[5]
    exact = Likelihood(backend, w, [1.01, 0.99], [0.02, 0.02]).full(run.start())
    coarse = run.coarse_kernel
    cm = replica_moments(run.sets[0].coarse_grid, samples, run.seed, [5], ("p", "n"))[0]
    kern = backend.kernel
    loss = ReplicaLoss([w[kern.order[t]].sum() for t in range(2)], backend.problem.set_log_lumi, [1.01, 0.99],
                       [0.02, 0.02])  # fmt: skip
    engine = LockstepEngine(kern, coarse, run.param, run.contour.N)
    ev = engine.evaluate([loss], [[w[kern.order[t]] for t in range(2)]], [[cm[coarse.order[t]] for t in range(2)]],
                         [run.start()], [True])[0]  # fmt: skip
    assert ev.loss == pytest.approx(exact.loss, rel=1e-13)
    np.testing.assert_allclose(ev.grad, exact.grad, rtol=1e-9, atol=1e-9 * np.abs(exact.grad).max())
    L = np.linalg.inv(np.linalg.cholesky(exact.hessian))
    eig = np.linalg.eigvalsh(L @ ev.hessian @ L.T)
    assert np.all(np.abs(eig - 1) < 0.06), eig  # measured at most 4.0-5.0% over seeds 23-26 (replicas 5 and 11)


def test_curvature_completes_the_per_event_hessian(setting):
    """The engine's second-order term plus the per-event Gauss-Newton matrix is the profiled loss's
    exact Hessian: against central differences of the per-event gradient, away from the minimum
    (where the term is not small), with the luminosity nuisances free."""
    from theory.inference.likelihood import ReplicaLoss
    from theory.inference.lockstep import LockstepEngine
    from theory.inference.moments import replica_moments

    run, samples, backend = setting
    w = row_weights(run, samples, [3])[3]
    lk = Likelihood(backend, w, [1.01, 0.99], [0.02, 0.02])
    theta = run.truth_free() * (1.0 + 0.05 * np.random.default_rng(2).standard_normal(run.param.n_params))
    exact = lk.full(theta)
    coarse, kern = run.coarse_kernel, backend.kernel
    cm = replica_moments(run.sets[0].coarse_grid, samples, run.seed, [3], ("p", "n"))[0]
    loss = ReplicaLoss([w[kern.order[t]].sum() for t in range(2)], backend.problem.set_log_lumi, [1.01, 0.99],
                       [0.02, 0.02])  # fmt: skip
    engine = LockstepEngine(kern, coarse, run.param, run.contour.N)
    ev = engine.evaluate([loss], [[w[kern.order[t]] for t in range(2)]], [[cm[coarse.order[t]] for t in range(2)]],
                         [theta], [True])[0]  # fmt: skip
    P = len(theta)
    fd = np.empty((P, P))
    for q in range(P):
        h = 1e-6 * max(1.0, abs(theta[q]))
        e = np.zeros(P)
        e[q] = h
        fd[:, q] = (lk.full(theta + e).grad - lk.full(theta - e).grad) / (2 * h)
    scale = np.abs(fd).max()
    assert np.array_equal(ev.curvature, ev.curvature.T)
    assert np.abs(exact.hessian + ev.curvature - fd).max() <= 1e-7 * scale  # measured 2.6e-10
    assert np.abs(exact.hessian - fd).max() > 1e-2 * scale  # the Gauss-Newton matrix alone is not it


@pytest.mark.parametrize("parallel", [False, True])
def test_vectors_are_the_kernels_real_layout(parallel):
    """Stats2.vectors (the lockstep engines' input, straight from the flavour moments) equals the
    kernels' real layout of components_batch's components and Jacobians (``parameter_vectors``),
    bit for bit: zero derivatives where the Jacobian is not wanted, padding rows copies of the
    first, the log-shapes those flavour_moments keeps."""
    from theory.kernels.backends.cached import parameter_vectors
    from theory.pdfs.stats2 import BOUNDS, NAMES, Stats2, flavour_moments
    from theory.qcd.flavours import REDUCED_NC_WEIGHTS
    from theory.qcd.mellin import Contour

    free = NAMES[:3] + NAMES[4:]  # a held parameter: the columns follow the free ones
    p = Stats2(free=free, components=REDUCED_NC_WEIGHTS[[0, 1]])
    rng = np.random.default_rng(8)
    lo, hi = np.array(BOUNDS)[p.index].T
    thetas = lo + (hi - lo) * rng.uniform(0.2, 0.8, (20, p.n_params))
    want = rng.uniform(size=20) < 0.7
    Ns = Contour().N
    q, dq, shapes = p.vectors(Ns, thetas, want, rows=23, shapes=True, parallel=parallel)
    comps, jac = p.components_batch(Ns, thetas)
    rows = np.r_[np.arange(20), 0, 0, 0]
    for b, theta in enumerate(p.full(thetas)):  # the log-shapes flavour_moments keeps
        f, J = np.zeros((len(Ns), 13), complex), np.zeros((len(Ns), 13, 9), complex)
        kept = np.empty((len(Ns), 4, 6), complex)
        flavour_moments(Ns, theta, p.kappa, f, J, kept)
        assert np.array_equal(shapes[b], kept)
    assert np.array_equal(q, parameter_vectors(comps)[rows].transpose(1, 0, 2))
    for r, s in enumerate(rows):
        for k in range(p.n_params):
            expect = parameter_vectors(jac[s : s + 1, ..., k])[0] if want[s] else 0.0
            assert np.array_equal(dq[:, r, k], np.broadcast_to(expect, dq[:, r, k].shape))


def test_device_engine_equals_the_cpu_engine(setting, monkeypatch):
    """The GPU lockstep engine (whole rounds as single products; numpy standing in for CuPy, the
    same code path) gives every request the CPU engine's loss, gradient and Gauss-Newton matrix,
    and second-order term, also for line-search requests without the Jacobian and across several
    rounds of a fit."""
    from theory.inference import lockstep, moments
    from theory.inference.fits import replica_centres
    from theory.inference.lockstep import DeviceEngine, LockstepEngine, replica_inputs
    from theory.inference.moments import DeviceMomentPass, chunk_weights, replica_moments

    run, samples, backend = setting
    kern, coarse = backend.kernel, run.coarse_kernel
    monkeypatch.setattr(moments, "PRODUCTS", np.float64)  # the device pass's precision, on both sides
    reps = [1, 2, 3, 5, 8]
    w = row_weights(run, samples, reps, run.seed)
    cm = replica_moments(run.sets[0].coarse_grid, samples, run.seed, reps, ("p", "n"))
    centres = [replica_centres(run, run.seed, b) for b in reps]
    losses, rows, cw = replica_inputs(kern, coarse, backend.problem.set_log_lumi, [w[b] for b in reps],
                                      [cm[j] for j in range(len(reps))], centres, run.lumi_deltas())  # fmt: skip
    cpu = LockstepEngine(kern, coarse, run.param, run.contour.N)
    dev = DeviceEngine(kern, coarse, run.param, run.contour.N, rows, cw, xp=np)
    rng = np.random.default_rng(5)
    thetas = run.truth_free() + 0.02 * rng.standard_normal((5, run.param.n_params))
    jac = [True, False, True, True, False]
    order = [3, 0, 4, 1, 2]  # requests of a round need not follow the replicas' order
    a = cpu.evaluate([losses[j] for j in order], [rows[j] for j in order], [cw[j] for j in order], thetas, jac)
    b = dev.evaluate([losses[j] for j in order], None, None, thetas, jac, replicas=order)
    for ea, eb, want in zip(a, b, jac, strict=True):
        assert np.isfinite(ea.loss) and abs(eb.loss - ea.loss) <= 1e-12 * abs(ea.loss)
        if want:
            np.testing.assert_allclose(eb.grad, ea.grad, rtol=1e-9, atol=1e-9 * np.abs(ea.grad).max())
            np.testing.assert_allclose(eb.hessian, ea.hessian, rtol=1e-9, atol=1e-9 * np.abs(ea.hessian).max())
            np.testing.assert_allclose(eb.curvature, ea.curvature, rtol=1e-9, atol=1e-9 * np.abs(ea.curvature).max())
        else:
            assert ea.grad is None and eb.grad is None
    # whole fits: the job's replicas through the device engine end where the CPU engine's do
    cpu_fit = _params(run, backend, samples, range(5))
    monkeypatch.setattr(lockstep, "device_array_module", lambda: np)
    monkeypatch.setattr(backend, "device_lockstep", True, raising=False)
    # the device data pass with the host's counts (its CUDA kernel: tests/test_moments.py, simulator)
    monkeypatch.setattr(DeviceMomentPass, "_weights", lambda self, t, start, stop, order: chunk_weights(
        self.seed, t, self.replicas, start, stop, order))  # fmt: skip
    dev_fit = _params(run, backend, samples, range(5))
    for b in range(5):
        assert dev_fit[b]["status"] == 0
        np.testing.assert_allclose(dev_fit[b]["params"], cpu_fit[b]["params"], rtol=0, atol=1e-7)
