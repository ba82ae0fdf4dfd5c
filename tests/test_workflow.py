"""The Snakemake workflow tested like code: DAGs per config switch, lint, retries, restarts, Slurm."""

import os
import re
import signal
import subprocess
import sys
import time

import h5py
import numpy as np
import pytest
import yaml

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SNAKEMAKE = [sys.executable, "-m", "snakemake", "-s", os.path.join(REPO, "workflow", "Snakefile")]
TINY = {"run": "tiny", "events": {"p": 300, "n": 300}, "fit": {"replicas": 4, "chunk_size": 2}}


def _snakemake(*args, cwd=REPO, env=None, timeout=900, check=True):
    proc = subprocess.run([*SNAKEMAKE, *args], cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})})  # fmt: skip
    if check:
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc


def _stats2_chunks():
    """Fit jobs of config/stats2.yaml (2,561 fits in its chunks), from the config's one owner."""
    from theory.inference.run import RunSettings
    from theory.pipeline.config import validate

    with open(os.path.join(REPO, "config/stats2.yaml")) as handle:
        return RunSettings.from_config(validate(yaml.safe_load(handle))).fit.n_chunks


def _job_counts(output):
    table = output[output.index("Job stats:") :]
    return {m.group(1): int(m.group(2)) for m in re.finditer(r"^(\w+)\s+(\d+)$", table, re.M)}


def _tiny_config(tmp_path, **extra):
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump({**TINY, **extra}))
    return str(path)


def test_workflow_runs_from_the_root_with_a_profile(tmp_path):
    """`snakemake --profile profiles/local` from the repository root finds workflow/Snakefile and its
    default target (a Snakefile that only includes another loses the target under a profile)."""
    proc = subprocess.run([sys.executable, "-m", "snakemake", "-n", "--profile", "profiles/local", "-d", str(tmp_path)],
                          cwd=REPO, capture_output=True, text=True, timeout=600)  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    counts = _job_counts(proc.stdout)
    assert counts["all"] == 1 and counts["fit_chunk"] == 3, proc.stdout[-2000:]


def test_smoke_dag(tmp_path):
    out = _snakemake("-n", "--profile", os.path.join(REPO, "profiles/local"), "--directory", str(tmp_path)).stdout
    counts = _job_counts(out)
    assert counts["fit_chunk"] == 3 and counts["generate_events"] == 2 and counts["aggregate"] == 1
    assert counts["warmup_numba"] == 1  # once, before the fan-out
    assert counts["evolve_lha"] == 4


def test_stats2_dag_on_tinkercliffs_without_a_cluster(tmp_path):
    profile = os.path.join(REPO, "profiles/tinkercliffs")
    stats2 = os.path.join(REPO, "config/stats2.yaml")
    out = _snakemake(
        "-n", "--profile", profile, "--configfile", stats2, env={"SNAKEMAKE_SLURM_ACCOUNT": "test-alloc"}
    ).stdout
    counts = _job_counts(out)
    assert counts["fit_chunk"] == _stats2_chunks() >= 2
    assert "slurm_partition=normal_q" in out and "slurm_account=test-alloc" in out


def test_planning_measures_the_scaling_up_to_the_run_and_plans_from_it(tmp_path):
    eic = os.path.join(REPO, "config/eic-1e6.yaml")
    out = _snakemake("-n", "-p", "planning", "--configfile", eic, "--directory", str(tmp_path)).stdout
    counts = _job_counts(out)
    assert counts["scaling"] == 1 and counts["bench"] == 1 and counts["plan"] >= 1
    assert "--sizes 10000 100000 1000000 --replicas" in out
    assert "--scaling results/eic-1e6/scaling.json" in out  # every plan uses the lockstep cost model


@pytest.mark.parametrize("profile, cpus", [("summit-style", 7), ("tinkercliffs-h200", 8)])
def test_gpu_jobs_ask_through_the_plugins_gpu_resource(tmp_path, profile, cpus):
    """On the GPU profiles a CUDA backend's fit jobs ask for gpu=1 (the plugin's --gpus) and
    cpus_per_gpu, never a raw gres as well (the plugin refuses both); the warm-up and CPU jobs ask
    for no GPU."""
    gpu = tmp_path / "gpu.yaml"
    gpu.write_text(yaml.safe_dump({"fit": {"backend": "cached-cuda", "threads": cpus}}))
    out = _snakemake("-n", "--profile", os.path.join(REPO, f"profiles/{profile}"), "--configfile",
                     os.path.join(REPO, "config/stats2.yaml"), str(gpu), "-d", str(tmp_path),
                     env={"SNAKEMAKE_SLURM_ACCOUNT": "test-alloc"}).stdout  # fmt: skip
    jobs = [block for block in out.split("\n\n") if "rule fit_chunk" in block]
    assert len(jobs) == _stats2_chunks()
    assert all("gpu=1" in j and f"cpus_per_gpu={cpus}" in j and "gres" not in j for j in jobs)
    others = [block for block in out.split("\n\n") if "rule warmup_numba" in block or "rule build_tables" in block]
    assert others and all("gpu=1" not in j for j in others)


def test_event_files_skip_generation(tmp_path):
    for t in ("p", "n"):
        (tmp_path / f"{t}.csv").write_text("x,Q2\n0.01,10\n0.02,20\n")
    cfg = _tiny_config(tmp_path, events={"files": {"p": str(tmp_path / "p.csv"), "n": str(tmp_path / "n.csv")},
                                         "lumi": {"p": 1.0, "n": 1.0}})  # fmt: skip
    out = _snakemake("-n", "--configfile", cfg, "--directory", str(tmp_path), "--cores", "1").stdout
    counts = _job_counts(out)
    assert "generate_events" not in counts and counts["fit_chunk"] == 3


def test_coverage_target_runs_the_study_as_jobs(tmp_path):
    """snakemake coverage: one job per chunk of experiments, then the merge with its plots."""
    cfg = _tiny_config(tmp_path, coverage={"experiments": 3, "replicas": 4, "chunk_size": 2, "n_x": 4})
    proc = _snakemake("coverage", "--configfile", cfg, "--directory", str(tmp_path), "--cores", "2")
    log = proc.stdout + proc.stderr
    assert "rule coverage_chunk" in log and "rule fit_chunk" not in log
    with h5py.File(tmp_path / "results" / "tiny" / "coverage.h5") as f:
        assert f.attrs["experiments"] == 3 and f["combinations/u_plus/inside95"].shape == (3, 3, 4)
    assert (tmp_path / "results" / "tiny" / "plots" / "coverage_pulls.png").is_file()
    assert len(list((tmp_path / "results" / "tiny" / "coverage").glob("chunk_*.h5"))) == 2


def test_bad_config_stops_before_any_job(tmp_path):
    cfg = tmp_path / "bad.yaml"
    cfg.write_text(yaml.safe_dump({"fit": {"replicas": -3}}))
    proc = _snakemake("-n", "--configfile", str(cfg), "--directory", str(tmp_path), "--cores", "1", check=False)
    assert proc.returncode != 0
    assert "error: config: key 'fit.replicas'" in proc.stdout + proc.stderr


def test_lint_clean():
    proc = _snakemake("--lint", check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]


@pytest.mark.slow
def test_failed_chunk_is_retried(tmp_path):
    marker = tmp_path / "failed-once"
    cfg = _tiny_config(tmp_path)
    _snakemake("--profile", os.path.join(REPO, "profiles/local"), "--configfile", cfg, "--directory", str(tmp_path),
               "--retries", "1", env={"THEORY_FAIL_ONCE": str(marker)})  # fmt: skip
    assert marker.exists()
    with h5py.File(tmp_path / "results/tiny/posterior.h5") as f:
        assert list(f["replicas/index"][...]) == [1, 2, 3, 4]


def _datasets(path):
    out = {}
    with h5py.File(path) as f:
        f.visititems(lambda name, obj: out.__setitem__(name, obj[...]) if isinstance(obj, h5py.Dataset) else None)
    return out


@pytest.mark.slow
def test_killed_run_resumes_without_redoing_chunks(tmp_path):
    """SIGKILL a fit job, then Snakemake; the rerun keeps finished chunks and gives the same posterior."""
    killed, clean = tmp_path / "killed", tmp_path / "clean"
    for d in (killed, clean):
        d.mkdir()
    cfg = _tiny_config(tmp_path)
    args = ["--profile", os.path.join(REPO, "profiles/local"), "--configfile", cfg, "--cores", "1"]
    proc = subprocess.Popen([*SNAKEMAKE, *args, "--directory", str(killed)], cwd=REPO, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    chunks = [killed / f"results/tiny/fits/chunk_{k}.h5" for k in range(3)]
    deadline = time.time() + 600
    victim = first = None
    while time.time() < deadline and victim is None:
        done = [c for c in chunks if c.exists()]
        if done:  # Snakemake picks the order of the chunks: kill one that runs after the first has finished
            first = done[0]
            running = "".join(str(k) for k, c in enumerate(chunks) if not c.exists())
            out = subprocess.run(["pgrep", "-f", f"theory fit .*--chunk [{running}]"], capture_output=True,
                                 text=True).stdout  # fmt: skip
            for pid in map(int, out.split()):
                try:  # only this run's jobs: their working directory is ours
                    if os.readlink(f"/proc/{pid}/cwd") == str(killed):
                        victim = pid
                        break
                except OSError:
                    continue
        time.sleep(0.2)
    assert victim is not None, "no second fit job seen"
    os.kill(victim, signal.SIGKILL)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    stamp = first.stat().st_mtime_ns
    _snakemake("--unlock", *args, "--directory", str(killed))
    _snakemake(*args, "--directory", str(killed))
    assert first.stat().st_mtime_ns == stamp  # the finished chunk was not redone
    _snakemake(*args, "--directory", str(clean))
    a, b = _datasets(killed / "results/tiny/posterior.h5"), _datasets(clean / "results/tiny/posterior.h5")
    assert a.keys() == b.keys()
    for key in a:
        if a[key].dtype.kind in "fi":
            assert np.array_equal(a[key], b[key], equal_nan=True), key


@pytest.mark.needs_slurm
def test_smoke_workflow_through_slurm(tmp_path):
    """The README's smoke workflow, every non-local job submitted to the CI's Slurm."""
    proc = _snakemake("--profile", os.path.join(REPO, "profiles/ci-slurm"), "--directory", str(tmp_path), timeout=1200)
    with h5py.File(tmp_path / "results/smoke/posterior.h5") as f:
        assert f.attrs["n_replicas"] == 8 and f.attrs["n_converged"] >= 6
    with h5py.File(tmp_path / "results/smoke/timing.h5") as f:
        assert len(f["jobs"]) == 3
    assert (tmp_path / "results/smoke/report.html").is_file()
    submitted = re.findall(r"SLURM jobid (\d+)", proc.stdout + proc.stderr)
    assert len(submitted) >= 13, "the jobs did not go through Slurm"  # warm-up 1, theory 6, events 2, tables 1, fits 3


def test_profile_by_name_after_install(tmp_path):
    """`python -m theory profiles install` puts the profiles where Snakemake looks, so
    `snakemake -n --profile slurm --configfile config/stats2.yaml` works as the README writes it."""
    env = {**os.environ, "HOME": str(tmp_path), "XDG_CONFIG_HOME": "", "SNAKEMAKE_SLURM_ACCOUNT": "test-alloc",
           "SNAKEMAKE_SLURM_PARTITION": "test-part"}  # fmt: skip
    run = subprocess.run([sys.executable, "-m", "theory", "profiles", "install"], cwd=REPO, env=env,
                         capture_output=True, text=True, timeout=120)  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert (tmp_path / ".config/snakemake/slurm/config.yaml").is_file()
    again = subprocess.run([sys.executable, "-m", "theory", "profiles", "install"], cwd=REPO, env=env,
                           capture_output=True, text=True, timeout=120)  # fmt: skip
    assert again.returncode == 0 and "unchanged" in again.stdout
    (tmp_path / ".config/snakemake/slurm/config.yaml").write_text("jobs: 1\n")
    clash = subprocess.run([sys.executable, "-m", "theory", "profiles", "install", "slurm"], cwd=REPO, env=env,
                           capture_output=True, text=True, timeout=120)  # fmt: skip
    assert clash.returncode == 2 and clash.stderr.count("\n") == 1 and "--force" in clash.stderr
    assert subprocess.run([sys.executable, "-m", "theory", "profiles", "install", "slurm", "--force"], cwd=REPO,
                          env=env, capture_output=True, text=True, timeout=120).returncode == 0  # fmt: skip
    work = tmp_path / "work"
    work.mkdir()
    stats2 = os.path.join(REPO, "config/stats2.yaml")
    dry = subprocess.run([*SNAKEMAKE, "-n", "--profile", "slurm", "--configfile", stats2, "-d", str(work)], cwd=work,
                         env=env, capture_output=True, text=True, timeout=600)  # fmt: skip
    assert dry.returncode == 0, dry.stdout[-2000:] + dry.stderr[-2000:]
    assert _job_counts(dry.stdout)["fit_chunk"] == _stats2_chunks()
