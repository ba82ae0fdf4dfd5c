"""Allocation planner: projected wall hours, node-hours and GPU-hours per cluster and backend.

    fits        = replicas + 1 (the central fit)
    jobs        = ceil(fits / chunk_size)            (one Slurm job per chunk)
    t_replica   = evaluations_per_replica x t_evaluation(backend, events)
    t_job       = chunk_size x t_replica + overhead   (replicas of a chunk run one after another;
                                                   overhead: start-up, Numba cache, kernel build)
    slots       = nodes x (cores_per_node / threads_per_job)   CPU backends
                = nodes x gpus_per_node x jobs_per_gpu         GPU backends
    wall        = ceil(jobs / slots) x t_job / efficiency
    node-hours  = nodes x wall;   GPU-hours = nodes x gpus_per_node x wall

t_evaluation is the loss + gradient time of one parameter set, measured by ``theory bench``
(``forward_and_gradient``; scaled linearly from the benchmark's event count to the config's) or
given per backend; evaluations per replica come from a pilot run (the mean over a
``posterior.h5``) or are given. Every input and assumption is printed beside the table.
"""

import json
import math

CLUSTERS = {
    "tinkercliffs": {"cores_per_node": 128, "gpus_per_node": 0, "default_nodes": 2,
                     "description": "2 x AMD EPYC 7702, 128 cores a node, normal_q"},
    "summit-style": {"cores_per_node": 42, "gpus_per_node": 6, "default_nodes": 1,
                     "description": "6 GPUs and 42 cores a node (7 cores a GPU)"},
    "local": {"cores_per_node": None, "gpus_per_node": 0, "default_nodes": 1,
              "description": "this machine"},
}  # fmt: skip


def bench_times(bench, n_events):
    """{backend: seconds per loss+gradient evaluation at n_events} from a bench result."""
    from theory.kernels.backends import BACKENDS

    scale = n_events / bench["config"]["events"]
    out = {}
    for name, row in bench["forward_and_gradient"].items():
        if row.get("seconds"):
            key = name.split(" (")[0]
            threaded = key in BACKENDS and BACKENDS[key].threaded
            threads = 1 if "1 thread" in name or not threaded else bench["machine"]["cores"]
            if key == "cached-cpu":
                threads = 1
            label = f"{key} ({threads} thr)" if key == "numba-cpu" else name.replace(", per set", "")
            out[label] = {"seconds": row["seconds"] * scale, "threads": threads}
    return out


def plan(fit, cluster, times, evaluations, nodes=None, efficiency=0.9, jobs_per_gpu=1, local_cores=None,
         overhead=10.0):  # fmt: skip
    """Projected table rows for every backend of ``times`` ({backend: {seconds, threads}}) and a run's
    fit settings (``theory.inference.run.FitSettings``: replicas, chunk_size)."""
    from theory.kernels.backends import BACKENDS

    spec = CLUSTERS[cluster]
    nodes = nodes or spec["default_nodes"]
    cores = spec["cores_per_node"] or local_cores or 1
    fits = fit.replicas + 1
    chunk = fit.chunk_size
    jobs = math.ceil(fits / chunk)
    rows = []
    for backend, t in times.items():
        name = backend.split(" ")[0]
        gpu = name in BACKENDS and BACKENDS[name].gpu
        if gpu and not spec["gpus_per_node"]:
            continue
        threads = t.get("threads", 1)
        slots = nodes * spec["gpus_per_node"] * jobs_per_gpu if gpu else nodes * max(1, cores // threads)
        t_job = min(chunk, fits) * evaluations * t["seconds"] + overhead
        waves = math.ceil(jobs / slots)
        wall_h = waves * t_job / efficiency / 3600.0
        best_chunk = math.ceil(fits / slots)  # one wave that fills every slot
        best_wall_h = (best_chunk * evaluations * t["seconds"] + overhead) / efficiency / 3600.0
        rows.append({
            "backend": backend, "seconds_per_evaluation": t["seconds"], "evaluations_per_replica": evaluations,
            "threads_per_job": threads, "jobs": jobs, "slots": slots, "waves": waves, "wall_hours": wall_h,
            "node_hours": wall_h * nodes, "gpu_hours": wall_h * nodes * spec["gpus_per_node"] if gpu else 0.0,
            "efficiency": efficiency, "overhead_s": overhead, "suggested_chunk_size": best_chunk,
            "wall_hours_at_suggested": best_wall_h,
        })  # fmt: skip
    return {"cluster": cluster, "description": spec["description"], "nodes": nodes, "fits": fits,
            "chunk_size": chunk, "rows": rows}  # fmt: skip


def format_table(result):
    lines = [f"# {result['cluster']} ({result['description']}), {result['nodes']} node(s), {result['fits']} fits "
             f"in chunks of {result['chunk_size']}",  # fmt: skip
             f"{'backend':28s} {'s/eval':>10s} {'eval/rep':>8s} {'jobs':>5s} {'slots':>6s} {'wall h':>9s} "
             f"{'node-h':>9s} {'GPU-h':>8s} {'best chunk':>10s} {'wall h there':>12s}"]  # fmt: skip
    for r in result["rows"]:
        head = f"{r['backend']:28s} {r['seconds_per_evaluation']:10.4g} {r['evaluations_per_replica']:8.1f} "
        mid = f"{r['jobs']:5d} {r['slots']:6d} {r['wall_hours']:9.3f} {r['node_hours']:9.3f} {r['gpu_hours']:8.3f} "
        tail = f"{r['suggested_chunk_size']:10d} {r['wall_hours_at_suggested']:12.4f}"
        lines.append(head + mid + tail)
    return "\n".join(lines)


def pilot_evaluations(posterior_file):
    """Mean loss evaluations per converged replica of a (pilot) posterior."""
    import h5py

    with h5py.File(posterior_file, "r") as f:
        ok = f["replicas/status"][...] == 0
        return float(f["replicas/evaluations"][...][ok].mean())


def load_bench(path):
    with open(path) as handle:
        return json.load(handle)
