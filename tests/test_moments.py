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
    for j, b in enumerate([0, 3, 8]):  # single-precision products (moments.PRODUCTS): to ~1e-7
        w = poisson_weights(5, "p", b, 0, len(x))
        want = w @ dense
        np.testing.assert_allclose(m[j], want, rtol=0, atol=1e-6 * np.abs(want).max())
        assert abs(m[j].sum() - w.sum()) < 1e-6 * w.sum()  # the basis is a partition of unity


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
    np.testing.assert_allclose(rechunked, ref, rtol=0, atol=1e-6 * np.abs(ref).max())  # float32 pieces
    shared = MomentPass({"g": grid}, {"n": ev}, 7, [3], ("n",), central=True).run()
    assert np.array_equal(shared.moments("g")[0], ref[2])  # the central's sums change nothing else
    alone = MomentPass({"g": grid}, {"n": ev}, 7, [], ("n",), central=True).run().moments("g", central=True)
    assert np.array_equal(shared.moments("g", central=True), alone)  # the same in every job
    unit = dataset_moments(grid, ev.x, ev.Q2, 7, "n", [0])[0]
    np.testing.assert_allclose(alone[0], unit, rtol=0, atol=1e-6 * np.abs(unit).max())  # float64 against 32


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


def test_philox_is_numpys_bit_for_bit():
    """theory.kernels.philox (the generator the device draws the counts with) against numpy's
    Philox: every lane of blocks near 0, 2^20 and 2^40 + 3, keys of several runs, data sets and
    replicas, including keys whose Weyl bumps wrap."""
    from theory.inference.replicas import WEIGHT_STREAM, _philox_key
    from theory.kernels.philox import raw_output

    keys = [_philox_key(s, WEIGHT_STREAM, d, b) for s, d, b in ((1, "p", 1), (20261202, "n", 2560), (7, "d", 99))]
    keys.append(np.array([2**64 - 1, 2**64 - 2], dtype=np.uint64))  # both words wrap on the first bump
    for key in keys:
        for start in (0, 2**20 + 1, 2**40 + 3):
            block, skip = divmod(start, 4)
            want = np.random.Philox(key=key, counter=[block, 0, 0, 0]).random_raw(skip + 37)[skip:]
            got = np.array([raw_output(start + i, key[0], key[1]) for i in range(37)], dtype=np.uint64)
            assert np.array_equal(got, want), (key, start)


@pytest.mark.slow
def test_device_pass_in_the_simulator():
    """Under NUMBA_ENABLE_CUDASIM=1 (numpy standing in for CuPy): the device's Poisson counts are
    ``poisson_weights``' bit for bit (chunks that start inside a Philox block, events in cell
    order, replica 0 among them); its moments equal the CPU pass's to rounding on both grids, the
    central fit's included; a pass stopped after a chunk and restored from its state ends with the
    very same sums."""
    import os
    import subprocess
    import sys
    import textwrap

    code = """
        import numpy as np
        from theory.inference.events import generate
        from theory.inference.moments import DeviceMomentPass, MomentPass, _pieces
        from theory.inference.replicas import poisson_weights
        from theory.inference.run import Run
        from theory.pipeline.config import validate

        run = Run.from_config(validate({"events": {"p": 2000, "n": 2000}}))
        samples = {t: generate(run, 600, t, run.truth, 11, 0.02) for t in ("p", "n")}
        stages = {"coarse": {s.name: s.coarse_grid for s in run.sets}, "fine": {s.name: s.grid for s in run.sets}}
        reps = [3, 0, 8]
        dev = DeviceMomentPass(stages, samples, 7, reps, ("p", "n"), chunk=250, central=True, xp=np)
        dev.run(after=lambda: None)
        ev = samples["n"]
        order, _ = _pieces(run.sets[1].grid.basis(ev.x[250:500], ev.Q2[250:500])[0], run.sets[1].grid.n_cells)
        w = dev._weights("n", 250, 500, order)
        for j, b in enumerate(reps):
            assert np.array_equal(w[j], poisson_weights(7, "n", b, 250, 500, order=order)), b
        from theory.inference import moments
        moments.PRODUCTS = np.float64  # the device's precision: the CPU pass to rounding
        cpu = MomentPass(stages, samples, 7, reps, ("p", "n"), central=True).run()
        for name in ("coarse", "fine"):
            for central in (False, True):
                a, d = cpu.moments(name, central), dev.moments(name, central)
                assert a.shape == d.shape and np.abs(a).max() > 0
                err = np.abs(a - d).max() / np.abs(a).max()
                assert err < 1e-13, (name, central, err)
                print("moments", name, central, err)

        class Killed(Exception):
            pass

        def kill():
            raise Killed

        first = DeviceMomentPass(stages, samples, 7, reps, ("p", "n"), chunk=250, central=True, xp=np)
        try:
            first.run(after=kill)
        except Killed:
            pass
        state = first.state()
        assert int(state["position/p"]) == 250
        again = DeviceMomentPass(stages, samples, 7, reps, ("p", "n"), chunk=250, central=True, xp=np)
        again.restore(state)
        again.run()
        for name in ("coarse", "fine"):
            assert np.array_equal(again.moments(name), dev.moments(name))
            assert np.array_equal(again.moments(name, True), dev.moments(name, True))
        print("restored")
    """
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    path = os.pathsep.join([root, os.environ.get("PYTHONPATH", "")])
    env = {**os.environ, "NUMBA_ENABLE_CUDASIM": "1", "PYTHONPATH": path}
    proc = subprocess.run([sys.executable, "-W", "error", "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          env=env, timeout=600)  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.count("moments") == 4 and "restored" in proc.stdout
