"""Checkpoints inside a fit job (theory.inference.checkpoint): a job killed (SIGKILL) at a random
moment after its first checkpoint and rerun writes the chunk an uninterrupted job writes."""

import os
import random
import signal
import subprocess
import sys
import time

import h5py
import numpy as np
import pytest
import yaml

from theory.inference.events import generate, save_events
from theory.inference.fits import build_tables
from theory.inference.run import Run
from theory.pipeline.config import validate
from theory.pipeline.paths import RunPaths

CONFIG = {"run": "ckpt", "events": {"p": 60000, "n": 60000},
          "fit": {"replicas": 23, "chunk_size": 24, "likelihood": "interpolated", "checkpoint_s": 0}}  # fmt: skip


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    root = tmp_path_factory.mktemp("ckpt")
    cfg = validate(CONFIG)
    run = Run.from_config(cfg)
    paths = RunPaths.of(run.settings, root / "results")
    for t in ("p", "n"):
        save_events(paths.events(t), generate(run, 60000, t, run.truth, cfg["seed"], 0.02), run, run.truth, t)
    from theory.inference.events import run_samples

    samples = run_samples(run, {t: paths.events(t) for t in ("p", "n")})
    build_tables(run, samples, paths.kernel, log=lambda m: None)
    config = root / "config.yaml"
    config.write_text(yaml.safe_dump(CONFIG))
    return root, config, paths


def _fit(config, root, env=None):
    cmd = [sys.executable, "-m", "theory", "fit", "--config", str(config), "--results", str(root / "results"),
           "--chunk", "0"]  # fmt: skip
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)


def _params(path):
    with h5py.File(path) as f:
        return f["replica"][...], f["params"][...], f["loss"][...], f["status"][...]


def test_killed_job_resumes_from_its_checkpoint_and_writes_the_same_chunk(prepared, tmp_path):
    root, config, paths = prepared
    chunk, ckpt = paths.chunk(0), paths.checkpoint(0)
    # the uninterrupted job
    out = _fit(config, root).communicate(timeout=600)[0]
    reference = _params(chunk)
    assert not ckpt.exists(), "the checkpoint must go once the chunk is written"
    os.rename(chunk, tmp_path / "reference.h5")
    # killed at a random moment once it has saved, then rerun
    rng = random.Random(20261202)
    job = _fit(config, root)
    t0 = time.monotonic()
    while not ckpt.exists() and job.poll() is None and time.monotonic() - t0 < 300:
        time.sleep(0.02)
    time.sleep(rng.uniform(0.0, 0.5))
    assert job.poll() is None, "the job ended before it could be killed: give it more work"
    job.send_signal(signal.SIGKILL)
    job.communicate()
    assert not chunk.exists()
    assert ckpt.exists()
    out = _fit(config, root).communicate(timeout=600)[0]
    assert "resuming" in out, out
    print(out)
    got = _params(chunk)
    for a, b in zip(got, reference, strict=True):
        assert np.array_equal(a, b)
    assert not ckpt.exists()


def test_a_checkpoint_of_other_settings_is_ignored(prepared):
    from theory.inference.checkpoint import Checkpoint

    _, _, paths = prepared
    path = paths.dir / "stray.ckpt"
    Checkpoint(path, "one", 0).save({"x": np.zeros(2)}, {})
    lines = []
    assert Checkpoint(path, "other", 0, log=lines.append).load() is None
    assert "ignored" in lines[0]
    state, rows = Checkpoint(path, "one", 0, log=lines.append).load()
    assert np.array_equal(state["x"], np.zeros(2)) and rows == {}
