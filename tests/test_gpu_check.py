"""The GPU check script (workflow/scripts/gpu_check.py) dry-run in the simulator: every stage runs,
its report is complete, and the GPU path's replicas equal the CPU path's (same seed, same indices)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]


def _dry_run(tmp_path, backend):
    out, work = tmp_path / f"out-{backend}", tmp_path / f"work-{backend}"
    env = {**os.environ, "NUMBA_ENABLE_CUDASIM": "1"}
    cmd = [sys.executable, str(ROOT / "workflow/scripts/gpu_check.py"), "--out", str(out), "--work", str(work),
           "--backend", backend, "--events", "2000", "--replicas", "6", "--sizes", "2000", "--scaling-replicas", "3",
           "--skip", "tests"]  # fmt: skip
    if backend != "cached-cuda":
        cmd += ["scaling"]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT, timeout=900)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    return out


@pytest.mark.slow
def test_gpu_check_dry_run_in_the_simulator(tmp_path):
    gpu, cpu = _dry_run(tmp_path, "cached-cuda"), _dry_run(tmp_path, "cached-cpu")
    report = json.loads((gpu / "gpu_check.json").read_text())
    assert set(report["stages"]) == {"generate", "tables", "fit", "aggregate", "scaling"}
    assert all(s["rc"] == 0 and s["seconds"] > 0 for s in report["stages"].values())
    assert report["config"]["fit"]["chunk_size"] == 7  # one job: every replica and the central fit
    engines = [r["engine"] for r in report["scaling"]["rows"]]
    assert engines.count("device") == 1 and "gflops_full_batched" in report["scaling"]["rows"][engines.index("device")]
    with h5py.File(gpu / "posterior.h5") as g, h5py.File(cpu / "posterior.h5") as c:
        assert np.all(g["replicas/status"][...] == 0) and np.all(c["replicas/status"][...] == 0)
        assert np.array_equal(g["replicas/index"][...], c["replicas/index"][...])
        std = c["summary/std"][...]
        # the device pass sums in float64, the CPU's replica products in float32 (README): rounding apart
        assert np.max(np.abs(g["replicas/params"][...] - c["replicas/params"][...]) / std) < 1e-3
        assert np.max(np.abs(g["central/params"][...] - c["central/params"][...]) / std) < 1e-3
