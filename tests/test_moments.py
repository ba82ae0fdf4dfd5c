"""Data moments of the interpolated likelihood (theory.inference.moments): the sums they stand
for, bit-identical for any chunking, replica batch or thread count, and fits that agree with
the exact per-event likelihood."""

import copy

import numpy as np
import pytest

from theory.inference.events import generate
from theory.inference.fits import fit_replicas
from theory.inference.moments import BLOCK, MomentPass, dataset_moments, replica_moments
from theory.inference.replicas import poisson_weights
from theory.inference.run import Run
from theory.kernels.backends import make_backend
from theory.pipeline.config import validate


@pytest.fixture(scope="module")
def setting():
    run = Run.from_config(validate({"events": {"p": 2000, "n": 2000}}))
    samples = {t: generate(run, 2000, t, run.truth, 11, 0.02) for t in ("p", "n")}
    return run, samples


def test_moments_are_the_weighted_sums_of_the_basis(setting):
    run, samples = setting
    grid = run.sets[0].grid
    ev = samples["p"]
    x, q = ev.x[:700], ev.Q2[:700]
    m = dataset_moments(grid, x, q, 5, "p", [0, 3, 8])
    cell, Bx, Bv = grid.basis(x, q)
    dense = np.zeros((len(x), grid.n_nodes))
    per = grid.per_cell
    for i in range(len(x)):
        dense[i, cell[i] * per : (cell[i] + 1) * per] = np.outer(Bx[i], Bv[i]).ravel()
    for j, b in enumerate([0, 3, 8]):
        w = poisson_weights(5, "p", b, 0, len(x))
        np.testing.assert_allclose(m[j], w @ dense, rtol=1e-12, atol=1e-12)
        assert abs(m[j].sum() - w.sum()) < 1e-9 * w.sum()  # the basis is a partition of unity


def test_moments_do_not_depend_on_batches_or_threads(setting):
    """Bit-identical whatever replicas share the job (alone, in one padded block, over two
    blocks), on one thread or two; another event chunking changes them at rounding level only."""
    run, samples = setting
    grid = run.sets[0].grid
    ev = samples["n"]
    ref = dataset_moments(grid, ev.x, ev.Q2, 7, "n", [1, 2, 3, 4, 5])
    alone = dataset_moments(grid, ev.x, ev.Q2, 7, "n", [3], workers=1)
    assert np.array_equal(alone[0], ref[2])
    many = list(range(60, 60 + BLOCK + 7)) + [5, 1]  # the two replicas in a second block
    serial = dataset_moments(grid, ev.x, ev.Q2, 7, "n", many, workers=1)
    assert np.array_equal(serial[-2], ref[4]) and np.array_equal(serial[-1], ref[0])
    both = replica_moments(grid, samples, 7, [2], ("p", "n"), workers=2)
    assert both.shape == (1, 2 * grid.n_nodes)
    assert np.array_equal(both[0, grid.n_nodes :], ref[1])
    rechunked = MomentPass({"g": grid}, {"n": ev}, 7, [1, 2, 3, 4, 5], ("n",), chunk=300).run().moments("g")
    np.testing.assert_allclose(rechunked, ref, rtol=0, atol=1e-13 * np.abs(ref).max())
    shared = MomentPass({"g": grid}, {"n": ev}, 7, [3], ("n",), central=True).run()
    assert np.array_equal(shared.moments("g")[0], ref[2])  # the central's sums change nothing else
    alone = MomentPass({"g": grid}, {"n": ev}, 7, [], ("n",), central=True).run().moments("g", central=True)
    assert np.array_equal(shared.moments("g", central=True), alone)  # the same in every job
    unit = dataset_moments(grid, ev.x, ev.Q2, 7, "n", [0])[0]
    np.testing.assert_allclose(alone[0], unit, rtol=0, atol=1e-13 * np.abs(unit).max())


def test_interpolated_fits_agree_with_the_exact_likelihood(setting):
    """Same replicas through both likelihoods: every parameter within 0.02 bootstrap standard
    deviations (measured: ~1e-7), the same convergence."""
    run, samples = setting
    results = {}
    for name in ("exact", "interpolated"):
        config = copy.deepcopy(run.config)
        config["fit"]["likelihood"] = name
        r = Run.from_config(config)
        backend = make_backend("cached-cpu", r.likelihood_problem(samples))
        rows = list(fit_replicas(r, backend, samples, range(9), 2))
        assert all(row["status"] == 0 for row in rows), [row["message"] for row in rows]
        results[name] = np.array([row["params"] for row in rows]), np.array([row["lumi"] for row in rows])
    (pe, le), (pi, li) = results["exact"], results["interpolated"]
    std = pe[1:].std(axis=0, ddof=1)
    assert np.all(np.abs(pi - pe) <= 0.02 * std), np.abs(pi - pe) / std
    np.testing.assert_allclose(li, le, rtol=1e-6)
