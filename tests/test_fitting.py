"""Bootstrap fits: replica weights, chunk invariance, refit from the truth, and the closure test."""

import h5py
import numpy as np
import pytest

from theory.inference.events import generate
from theory.inference.fits import fit_replica, run_chunk
from theory.inference.posterior import aggregate, closure
from theory.inference.replicas import replica_weights
from theory.inference.run import Run, RunSettings
from theory.pipeline.config import validate


def test_replica_weights_depend_on_seed_and_index_only():
    w = replica_weights(5, 3, (10, 7))
    assert np.array_equal(w, replica_weights(5, 3, (10, 7)))
    assert w[:10].sum() == 10 and w[10:].sum() == 7
    assert not np.array_equal(w, replica_weights(5, 4, (10, 7)))
    assert np.array_equal(replica_weights(5, 0, (3, 2)), np.ones(5))


def test_chunks_cover_every_replica_once():
    cfg = validate({"fit": {"replicas": 10, "chunk_size": 4}})
    fit = RunSettings.from_config(cfg).fit
    covered = [r for k in range(fit.n_chunks) for r in fit.chunk_replicas(k)]
    assert covered == list(range(11))


@pytest.fixture(scope="module")
def closure_run(tmp_path_factory):
    """2,000 events per target, 32 bootstrap replicas (+ the central fit), NLO: the closure test."""
    root = tmp_path_factory.mktemp("closure")
    cfg = validate({"run": "closure", "events": {"p": 2000, "n": 2000}, "fit": {"replicas": 32, "chunk_size": 17}})
    theory = Run.from_config(cfg)
    samples = {t: generate(theory, 2000, t, theory.truth, cfg["seed"]) for t in ("p", "n")}
    chunks = [root / f"chunk_{k}.h5" for k in range(theory.fit.n_chunks)]
    for k, path in enumerate(chunks):
        run_chunk(theory, k, samples, path, log=lambda m: None)
    aggregate(theory, chunks, root / "posterior.h5", root / "timing.h5", log=lambda m: None)
    return cfg, theory, samples, root


def test_closure(closure_run):
    _, _, _, root = closure_run
    result = closure(root / "posterior.h5")
    assert result["68"] >= 0.5 and result["95"] >= 0.9, result
    with h5py.File(root / "posterior.h5") as f:
        assert f.attrs["n_converged"] >= 30
        assert f["bands/u_plus/quantiles"].shape[1] == 5


def test_replica_independent_of_chunking(closure_run, tmp_path):
    cfg, _, samples, root = closure_run
    small = validate({**{k: v for k, v in cfg.items() if k != "fit"}, "fit": {**cfg["fit"], "chunk_size": 3}})
    run_chunk(Run.from_config(small), 1, samples, tmp_path / "c.h5", log=lambda m: None)  # replicas 3, 4, 5 alone
    with h5py.File(tmp_path / "c.h5") as f, h5py.File(root / "posterior.h5") as post:
        assert list(f["replica"][...]) == [3, 4, 5]
        index = list(post["replicas/index"][...])
        for i, r in enumerate(f["replica"][...]):
            assert np.array_equal(f["params"][i], post["replicas/params"][index.index(r)])


def test_central_refit_from_truth_returns_truth_within_uncertainty(closure_run):
    cfg, theory, samples, root = closure_run
    from theory.kernels.backends import make_backend

    backend = make_backend("cached-cpu", theory.problem(samples))
    w = replica_weights(cfg["seed"], 0, (2000, 2000))
    row = fit_replica(backend, w, theory.truth_free(), [tuple(b) for b in theory.param.bounds], 500, 1e-6)
    with h5py.File(root / "posterior.h5") as f:
        std = f["summary/std"][...]
    assert row["status"] == 0
    assert np.all(np.abs(row["params"] - theory.truth_free()) < 3.0 * std), (row["params"], std)
