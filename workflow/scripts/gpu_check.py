"""The GPU checks in one short run (README, "The GPU path"), for a lent GPU machine:

    PYTHONPATH=. python3 workflow/scripts/gpu_check.py --out "$OUT"

from the repository's root. It needs numba, numba-cuda, CuPy, h5py, pandas, scipy, matplotlib and
PyYAML, not Snakemake: it runs the workflow's stage commands itself, each timed, with its log under
``--out``:

1. ``tests``: the real-GPU and PTX tests of ``tests/test_backends.py`` on the device;
2. ``generate`` (both targets at once), ``tables``: the preset's events and kernel;
3. ``fit``: all the preset's replicas and the central fit in one job on ``--backend`` (cached-cuda);
4. ``aggregate``: ``posterior.h5``, copied to ``--out`` (compare its replicas with a CPU run's: a
   replica depends on the seed and its index only);
5. ``scaling``: ``bench --scaling --device`` for the preset (``--sizes``), the GPU rows beside the
   CPU rows, with the products' GFLOP/s.

``gpu_check.json`` in ``--out``: per stage its command, seconds and the peak resident memory of
the stage's process, and the scaling table. ``--events`` / ``--replicas`` shrink the preset for
a dry run (under ``NUMBA_ENABLE_CUDASIM=1`` on a machine without a GPU, tests/test_gpu_check.py).
"""

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path


def stage(name, cmd, out, env, timeout):
    """Run one stage; its log to out/<name>.log; {command, seconds, peak_rss_gb, rc}."""
    t0 = time.perf_counter()
    with open(out / f"{name}.log", "w") as log:
        try:
            rc = subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, timeout=timeout).returncode
        except subprocess.TimeoutExpired:
            rc = 124
    seconds = time.perf_counter() - t0
    # the largest child so far: stages run one after another, so a stage's own unless an earlier one was larger
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1e6
    print(f"[gpu_check] {name}: rc {rc}, {seconds:.1f} s, peak RSS so far {peak:.2f} GB", flush=True)
    return {"command": " ".join(map(str, cmd)), "seconds": seconds, "peak_rss_gb": peak, "rc": rc}


def main(argv=None):
    import yaml

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True, help="folder for the logs, gpu_check.json and posterior.h5")
    ap.add_argument("--config", default="config/eic-1e7.yaml", help="the preset (default config/eic-1e7.yaml)")
    ap.add_argument("--work", default="/tmp/gpu_check", help="results root of the run (events, kernel, fits)")
    ap.add_argument("--backend", default="cached-cuda", help="the fit job's backend (default cached-cuda)")
    ap.add_argument("--events", type=int, help="events per target instead of the preset's (dry runs)")
    ap.add_argument("--replicas", type=int, help="replicas instead of the preset's (dry runs)")
    # the CPU rows' data pass at 10^7 would take minutes of the device's time; a request's cost does not grow with N
    ap.add_argument("--sizes", nargs="+", default=["10000", "1000000"], help="bench --scaling sizes (10^4, 10^6)")
    ap.add_argument("--scaling-replicas", default="256", help="requests a round of bench --scaling")
    ap.add_argument("--skip", nargs="*", default=[], choices=["tests", "scaling"], help="stages to leave out")
    ap.add_argument("--timeout", type=float, default=420.0, help="seconds a stage may take (default 420)")
    args = ap.parse_args(argv)

    out, work = Path(args.out), Path(args.work)
    out.mkdir(parents=True, exist_ok=True)
    config = yaml.safe_load(Path(args.config).read_text())
    config["run"] = f"{config.get('run', 'run')}-gpu"
    fit = config.setdefault("fit", {})
    fit["backend"] = args.backend
    if args.replicas:
        fit["replicas"] = args.replicas
    fit["chunk_size"] = int(fit.get("replicas", 8)) + 1  # one job: every replica and the central fit
    if args.events:
        config["events"] = {**config.get("events", {}), **{t: args.events for t in ("p", "n")}}
    work.mkdir(parents=True, exist_ok=True)
    cfg = work / f"{config['run']}.yaml"
    cfg.write_text(yaml.safe_dump(config, sort_keys=False))

    cores = len(os.sched_getaffinity(0))
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONUNBUFFERED": "1",
           "PYTHONPATH": os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")])}  # fmt: skip
    py = [sys.executable, "-m", "theory"]
    common = ["--config", str(cfg), "--results", str(work)]
    report = {"config": config, "cores": cores, "stages": {}}
    try:
        query = ["nvidia-smi", "--query-gpu=name,memory.total,driver_version", "--format=csv,noheader"]
        report["gpu"] = subprocess.run(query, capture_output=True, text=True).stdout.strip()
    except OSError:
        report["gpu"] = None
    stages = report["stages"]

    def run(name, cmd, threads=cores):
        stages[name] = stage(name, cmd, out, {**env, "NUMBA_NUM_THREADS": str(threads)}, args.timeout)
        return stages[name]["rc"] == 0

    if "tests" not in args.skip:
        run("tests", [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_backends.py", "-k",
                      "real_gpu or ptx"])  # fmt: skip
    t0 = time.perf_counter()
    half = max(1, cores // 2)
    logs = {t: open(out / f"generate_{t}.log", "w") for t in ("p", "n")}
    gens = [subprocess.Popen([*py, "generate", *common, "--dataset", t], env={**env, "NUMBA_NUM_THREADS": str(half)},
                             stdout=log, stderr=subprocess.STDOUT)
            for t, log in logs.items()]  # fmt: skip
    rcs = []
    for g in gens:  # both targets at once, half the cores each, bounded as one stage
        try:
            rcs.append(g.wait(timeout=max(1.0, args.timeout - (time.perf_counter() - t0))))
        except subprocess.TimeoutExpired:
            g.kill()
            g.wait()
            rcs.append(124)
    for log in logs.values():
        log.close()
    stages["generate"] = {"seconds": time.perf_counter() - t0, "rc": max(rcs), "threads_each": half,
                          "peak_rss_gb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1e6}  # fmt: skip
    ok = max(rcs) == 0
    ok = ok and run("tables", [*py, "tables", *common])
    ok = ok and run("fit", [*py, "fit", *common, "--chunk", "0"])
    ok = ok and run("aggregate", [*py, "aggregate", *common])
    if ok:
        shutil.copy(work / config["run"] / "posterior.h5", out / "posterior.h5")
    if "scaling" not in args.skip:
        table = out / "scaling.json"
        run("scaling", [*py, "bench", "--scaling", "--device", "--config", str(cfg), "--sizes", *args.sizes,
                        "--replicas", args.scaling_replicas, "--repeats", "3", "--json", str(table)])  # fmt: skip
        if table.exists():
            report["scaling"] = json.loads(table.read_text())
    tmp = out / "gpu_check.json.tmp"
    tmp.write_text(json.dumps(report, indent=1))
    tmp.replace(out / "gpu_check.json")
    failed = [k for k, v in stages.items() if v["rc"] != 0]
    print(f"[gpu_check] done; failed stages: {failed or 'none'}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
