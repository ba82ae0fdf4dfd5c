"""Allocation planner: projected wall hours, node-hours and GPU-hours per cluster and backend.

    fits        = replicas + 1 (the central fit)
    jobs        = ceil(fits / chunk_size)            (one Slurm job per chunk)
    t_replica   = evaluations_per_replica x t_evaluation(backend, events) + t_pass(events)
    t_job       = chunk_size x t_replica + overhead   (overhead: start-up, Numba cache, kernel load)
    slots       = nodes x (cores_per_node / threads_per_job)   CPU backends
                = nodes x gpus_per_node x jobs_per_gpu         GPU backends
    wall        = ceil(jobs / slots) x t_job / efficiency
    node-hours  = nodes x wall;   GPU-hours = nodes x gpus_per_node x wall

t_evaluation is the loss + gradient time of one parameter set, measured by ``theory bench``
(``forward_and_gradient``; scaled linearly from the benchmark's event count to the config's) or
given per backend; evaluations per replica are given, or come from a pilot run (the means over a
``posterior.h5`` of its forward passes and of those with the Jacobian, ``Pilot``), weighted by
each backend's own costs (``Pilot.evaluations``). Every input and assumption is printed beside
the table.

With the lockstep engine's scaling table (``theory bench --scaling --json FILE``, ``--scaling``)
the costs are those of ``theory.pipeline.scaling``: t_evaluation per request of a batched round
(the interpolated likelihood's does not depend on the events; the exact one's is scaled
linearly from the nearest measured size; that request is a pass with the Jacobian, and a pilot's
value-only passes cost the table's value-only request) and t_pass = the data pass per replica, ns per event
and replica x events (the one-off cost that grows with N).

``seed_table`` reproduces the seed talk's projected table from its statements and two of its rows
(``python -m theory plan --seed-table``): T = (U_cpu / U) (a + b / s), see its docstring.
"""

import json
import math
import re
from dataclasses import dataclass

CLUSTERS = {
    "tinkercliffs": {"cores_per_node": 128, "gpus_per_node": 0, "default_nodes": 2,
                     "description": "2 x AMD EPYC 7702, 128 cores a node, normal_q"},
    "summit-style": {"cores_per_node": 42, "gpus_per_node": 6, "default_nodes": 1,
                     "description": "6 GPUs and 42 cores a node (7 cores a GPU)"},
    "tinkercliffs-h200": {"cores_per_node": 64, "gpus_per_node": 8, "default_nodes": 1,
                          "description": "8 x NVIDIA H200 and 64 cores a node (8 cores a GPU)"},
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


def scaling_times(scaling, n_events):
    """{backend: {seconds, threads, pass_seconds}} at n_events (both targets) from a bench --scaling result."""
    out = {}
    threads = int(scaling.get("threads", 1))
    per_target = n_events / 2.0
    for engine, likelihood in (("cpu", "exact"), ("cpu", "interpolated"), ("device", "interpolated")):
        rows = [r for r in scaling["rows"] if r["likelihood"] == likelihood and r.get("engine", "cpu") == engine]
        if not rows:
            continue
        near = min(rows, key=lambda r: abs(math.log(r["events_per_target"] / max(per_target, 1.0))))
        seconds = near["full_s_batched"]["median"]
        value = near.get("value_s_batched", {}).get("median", seconds)
        scale = per_target / near["events_per_target"] if likelihood == "exact" else 1.0
        backend = "cached-cuda" if engine == "device" else "cached-cpu"
        out[f"{backend} ({likelihood}, lockstep)"] = {
            "seconds": seconds * scale, "threads": 1 if engine == "device" else threads,
            "pass_seconds": 1e-9 * near["data_pass_ns_per_event_replica"] * n_events,
            # the timed request is a pass with the Jacobian; a value-only pass costs its own request
            "pass_cost": {"jacobian": 1.0, "value": value / seconds},
        }  # fmt: skip
    return out


def plan(fit, cluster, times, evaluations, nodes=None, efficiency=0.9, jobs_per_gpu=1, local_cores=None,
         overhead=10.0):  # fmt: skip
    """Projected table rows for every backend of ``times`` ({backend: {seconds, threads}}) and a run's
    fit settings (``theory.inference.run.FitSettings``: replicas, chunk_size). ``evaluations``: loss +
    gradient evaluations per replica (a number, the same for every backend), or a ``Pilot``."""
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
        per_replica = evaluations.evaluations(t) if isinstance(evaluations, Pilot) else float(evaluations)
        t_replica = per_replica * t["seconds"] + t.get("pass_seconds", 0.0)
        t_job = min(chunk, fits) * t_replica + overhead
        waves = math.ceil(jobs / slots)
        wall_h = waves * t_job / efficiency / 3600.0
        best_chunk = math.ceil(fits / slots)  # one wave that fills every slot
        best_wall_h = (best_chunk * t_replica + overhead) / efficiency / 3600.0
        rows.append({
            "backend": backend, "seconds_per_evaluation": t["seconds"], "evaluations_per_replica": per_replica,
            "pass_seconds_per_replica": t.get("pass_seconds", 0.0),
            "threads_per_job": threads, "jobs": jobs, "slots": slots, "waves": waves, "wall_hours": wall_h,
            "node_hours": wall_h * nodes, "gpu_hours": wall_h * nodes * spec["gpus_per_node"] if gpu else 0.0,
            "efficiency": efficiency, "overhead_s": overhead, "suggested_chunk_size": best_chunk,
            "wall_hours_at_suggested": best_wall_h,
        })  # fmt: skip
    source = ({"pilot_passes": evaluations.passes, "pilot_jacobians": evaluations.jacobians}
              if isinstance(evaluations, Pilot) else {"evaluations": float(evaluations)})  # fmt: skip
    return {"cluster": cluster, "description": spec["description"], "nodes": nodes, "fits": fits,
            "chunk_size": chunk, "evaluations_from": source, "rows": rows}  # fmt: skip


TABLE_COLUMNS = {
    "backend": "backend", "seconds_per_evaluation": "s/eval", "evaluations_per_replica": "eval/rep",
    "pass_seconds_per_replica": "pass s/rep", "jobs": "jobs",
    "slots": "slots", "wall_hours": "wall h", "node_hours": "node-h", "gpu_hours": "GPU-h",
    "suggested_chunk_size": "best chunk", "wall_hours_at_suggested": "wall h there",
}  # fmt: skip


def table(result):
    """The projection's rows as a pandas DataFrame (the columns of ``TABLE_COLUMNS``)."""
    import pandas as pd

    return pd.DataFrame(result["rows"], columns=list(TABLE_COLUMNS)).rename(columns=TABLE_COLUMNS)


def format_table(result):
    head = (f"# {result['cluster']} ({result['description']}), {result['nodes']} node(s), {result['fits']} fits "
            f"in chunks of {result['chunk_size']}")  # fmt: skip
    source = result.get("evaluations_from", {})
    if "pilot_passes" in source:
        head += (f"\n# evaluations a replica: a pilot's {source['pilot_passes']:.2f} forward passes "
                 f"({source['pilot_jacobians']:.2f} with the Jacobian), in each backend's own costs")  # fmt: skip
    elif "evaluations" in source:
        head += f"\n# evaluations a replica: {source['evaluations']:.2f} as given"
    if not result["rows"]:
        return head + "\n(no backend of these times runs on this cluster)"
    formats = {"s/eval": "{:.4g}".format, "eval/rep": "{:.1f}".format, "pass s/rep": "{:.3g}".format,
               "wall h": "{:.3f}".format, "node-h": "{:.3f}".format, "GPU-h": "{:.3f}".format,
               "wall h there": "{:.4f}".format}  # fmt: skip
    return head + "\n" + table(result).to_string(index=False, formatters=formats)


def achieved(timing_file, slots, min_job_seconds=600.0):
    """What a run achieved, from its timing.h5: the fit jobs' busy slot-seconds over slots x wall
    (the parallel efficiency of all workers together, the seed's "Parallel Efficiency" figure),
    and the chunk size that makes every job last at least ``min_job_seconds`` (scheduler
    overhead stays small), from the measured seconds per replica.

    Returns {jobs, replicas, slots, span_s, busy_s, efficiency, seconds_per_replica,
    seconds_per_evaluation, suggested_chunk_size, min_job_seconds, queue_wait}.
    """
    from theory.inference.posterior import timing_frame

    jobs = timing_frame(timing_file)
    span = float(jobs["end_epoch"].max() - jobs["start_epoch"].min())
    busy = float(jobs["wall_s"].sum())
    per_replica = busy / float(jobs["replicas"].sum())
    return {
        "jobs": len(jobs), "replicas": int(jobs["replicas"].sum()), "slots": int(slots), "span_s": span,
        "busy_s": busy, "efficiency": busy / (slots * span) if span > 0 else float("nan"),
        "seconds_per_replica": per_replica,
        "seconds_per_evaluation": busy / float(jobs["evaluations"].sum()),
        "suggested_chunk_size": max(1, math.ceil(min_job_seconds / per_replica)), "min_job_seconds": min_job_seconds,
        "queue_wait": "not recorded (timing.h5 has the jobs' start and end, not their submission)",
    }  # fmt: skip


def format_achieved(result):
    return "\n".join([
        f"# achieved: {result['jobs']} fit jobs, {result['replicas']} fits on {result['slots']} slot(s)",
        f"span {result['span_s']:.1f} s, busy {result['busy_s']:.1f} slot-s: parallel efficiency "
        f"{result['efficiency']:.1%}",
        f"{result['seconds_per_replica']:.3f} s per fit, {1e3 * result['seconds_per_evaluation']:.3f} ms per "
        f"evaluation (end to end, optimiser included)",
        f"chunks of >= {result['suggested_chunk_size']} replicas keep every job >= {result['min_job_seconds']:.0f} s",
        f"queue wait: {result['queue_wait']}",
    ])  # fmt: skip


PASS_COST = {"jacobian": 2.0, "value": 0.75}
"""A fit's forward passes in loss + gradient evaluations (what ``theory bench`` times): a pass with
the Jacobian (1 + P component sets) cost 1.3-2.2 of them, a value-only pass 0.4-1.0 (cached-cpu
and numba-cpu, 10,000 events, one thread, 2026-12-02); the upper ends, so projections err long.
A backend whose times carry their own ``pass_cost`` (the lockstep engine's) uses that instead."""


@dataclass(frozen=True)
class Pilot:
    """Mean forward passes per converged replica of a pilot posterior, and of them with the Jacobian."""

    passes: float
    jacobians: float

    @classmethod
    def read(cls, posterior_file):
        import h5py

        with h5py.File(posterior_file, "r") as f:
            ok = f["replicas/status"][...] == 0
            if not ok.any():
                raise ValueError("no converged replica")
            passes = f["replicas/evaluations"][...][ok].astype(float)
            jac = f["replicas/jacobians"][...][ok].astype(float) if "replicas/jacobians" in f else passes
        return cls(float(passes.mean()), float(jac.mean()))

    def evaluations(self, times):
        """Per replica, in units of the backend's timed evaluation (``times["seconds"]``)."""
        cost = times.get("pass_cost", PASS_COST)
        return cost["jacobian"] * self.jacobians + cost["value"] * (self.passes - self.jacobians)


def load_bench(path):
    with open(path) as handle:
        return json.load(handle)


# --- the seed's projected table, reproduced --------------------------------------------------------

SEED_FILE = "seed_projection.json"
"""The seed talk's projected table and statements (``data/refdata``, or ``../shared/refdata``)."""

SEED_STATEMENTS = {
    "effective_cpu_units": r"effectively perform (\d+) units of work on CPUs",
    "gpus_per_node": r"(\d+) GPUs per node",
    "ranks_per_gpu": r"perform (\d+) units of work per GPU",
    "gpu_sharing_speedup": r"per GPU, but ([\d.]+)X faster",
    "ensembles_per_node": r"execute (\d+) different ensembles per node",
}
"""What each model parameter is read from, in the seed's statements (``resources.statements``)."""


def _statement_numbers(statements):
    """({parameter: number}, {parameter: the statement it was read from}) of ``SEED_STATEMENTS``."""
    found, texts = {}, {}
    for key, pattern in SEED_STATEMENTS.items():
        hits = [(m, s) for m, s in ((re.search(pattern, s), s) for s in statements) if m]
        if len(hits) != 1:
            raise ValueError(f"seed statements: expected one statement matching {pattern!r}, found {len(hits)}")
        found[key], texts[key] = float(hits[0][0].group(1)), hits[0][1]
    return found, texts


def seed_table(projection, fit_row="C++ CPU (fitpack_cpp)", gpu_rows=("CUDA",)):
    """The seed's projected execution times, reproduced by a two-part time and a node layout.

    Model (an Amdahl split of one fit, times the ranks a node runs at once)::

        T_i = (U_cpu / U_i) * (a + b / s_i)

        s_i    the row's listed cross-section speedup over numpy
        a      hours that do not speed up with the cross-section kernel (optimizer, Python,
               the serial part), b the hours that do; both on the CPU-node layout
        U_cpu  ranks a CPU node runs effectively: 100, "we still effectively perform 100 units
               of work on CPUs" (the C++ thread scaling, 99.84 at 128 threads, agrees)
        U_i    U_cpu for rows on CPU nodes; for rows on GPU nodes (``gpu_rows``: version names
               containing one of them, the CUDA row) U_gpu = 6 GPUs per node ("6 GPUs per node
               like ... Summit") x 6 ranks per GPU ("perform 6 units of work per GPU") = 36, each
               rank at single-rank speed (a single rank uses the GPU 50X below its capacity, and
               7 cores per GPU leave a core per rank). The node count (2) is the same on both
               layouts and cancels.

    a and b are the only parameters the statements do not give; two rows fix them:

        a + b           = T_numpy                         (numpy row, s = 1)
        a + b / s_fit   = T_fit                           (``fit_row``, the C++ CPU row)
        b = (T_numpy - T_fit) / (1 - 1 / s_fit),   a = T_numpy - b

    Every other row (numpy vectorized, PyTorch GPU, CUDA) is a prediction: the first two within
    0.02%, the CUDA row 2.5% low (5.12 h against 5.25 h). Which rows sit on GPU nodes is a
    structural choice read off the table, not a statement: the PyTorch-GPU row follows the
    CPU-node formula (its listed speedup already counts as a CPU-node-equivalent one), the CUDA
    row misses it by 65% and is the one the seed remarks on. The 4.16X of "6 units of work per
    GPU, but 4.16X faster" does not enter; read as 6 ranks sharing a GPU for 4.16X one rank's
    throughput it gives +4.1% (charged to the kernel part) or +41% (to the whole fit), both in
    ``alternatives``, so the seed's CUDA row charges little or no GPU sharing.

    ``projection``: the parsed ``seed_projection.json``. Returns {rows: [{version, speedup,
    seed_hours, model_hours, relative_difference, layout, role}], parameters, fixed_by,
    alternatives (CUDA-row hours under other readings), model, statement}.
    """
    table = projection["projected_table"]
    numbers, texts = _statement_numbers(projection["resources"]["statements"])
    by_version = {r["version"]: r for r in table}
    base = [r for r in table if r["speedup_cross_section"] == 1.0]
    if len(base) != 1 or fit_row not in by_version:
        raise ValueError(f"seed table: need exactly one row of speedup 1 and the row {fit_row!r}")
    base, fitted = base[0], by_version[fit_row]
    t0, t1, s1 = base["hours"], fitted["hours"], fitted["speedup_cross_section"]
    b = (t0 - t1) / (1.0 - 1.0 / s1)
    a = t0 - b
    u_cpu = numbers["effective_cpu_units"]
    u_gpu = numbers["gpus_per_node"] * numbers["ranks_per_gpu"]

    def on_gpu(version):
        return any(g in version for g in gpu_rows)

    rows = []
    for r in table:
        s, gpu = r["speedup_cross_section"], on_gpu(r["version"])
        hours = (u_cpu / (u_gpu if gpu else u_cpu)) * (a + b / s)
        role = "fixes a + b" if r is base else "fixes a / b" if r is fitted else "prediction"
        rows.append({"version": r["version"], "speedup": s, "seed_hours": r["hours"], "model_hours": hours,
                     "relative_difference": hours / r["hours"] - 1.0, "layout": "gpu" if gpu else "cpu",
                     "role": role})  # fmt: skip

    cuda = [r for r in table if on_gpu(r["version"])]
    if len(cuda) != 1:
        raise ValueError(f"seed table: expected one row on GPU nodes ({', '.join(gpu_rows)}), found {len(cuda)}")
    cuda = cuda[0]
    s, seed = cuda["speedup_cross_section"], cuda["hours"]
    share = numbers["ranks_per_gpu"] / numbers["gpu_sharing_speedup"]
    scaling = {row["threads"]: row["speedup"] for row in projection.get("thread_scaling_cpp", [])}
    u_measured = scaling.get(numbers["ensembles_per_node"], u_cpu)
    readings = {
        "CPU-node layout (T = a + b/s)": a + b / s,
        f"U_cpu = {u_measured:g} (C++ thread scaling at {numbers['ensembles_per_node']:g} threads)":
            (u_measured / u_gpu) * (a + b / s),
        f"GPU sharing charged to the kernel part (x {numbers['ranks_per_gpu']:g}/{numbers['gpu_sharing_speedup']:g})":
            (u_cpu / u_gpu) * (a + share * b / s),
        f"GPU sharing charged to the whole fit ({numbers['gpu_sharing_speedup']:g} effective ranks a GPU)":
            (u_cpu / (numbers["gpus_per_node"] * numbers["gpu_sharing_speedup"])) * (a + b / s),
    }  # fmt: skip
    alternatives = {k: {"hours": v, "relative_difference": v / seed - 1.0} for k, v in readings.items()}

    fraction = a / (a + b)
    layout = u_cpu / u_gpu
    gpu_non_kernel = a / (a + b / s)
    model_ratio = t1 / ((u_cpu / u_gpu) * (a + b / s))
    statement = (
        f"The seed's rows follow T = (U_cpu/U) (a + b/s), an Amdahl split of one fit times the ranks a node runs: "
        f"a = {a:.2f} h does not speed up with the cross-section kernel ({100 * fraction:.2f}% of the numpy "
        f"run's {t0:.2f} h: optimizer, Python, serial work; fixed, with b = {b:.2f} h that does, by the numpy and "
        f"{fit_row} rows), b is divided by the listed speedup s, and a row on GPU nodes runs U_gpu = {u_gpu:g} "
        f"ranks a node ({numbers['gpus_per_node']:g} GPUs x {numbers['ranks_per_gpu']:g} a GPU) instead of the "
        f"CPU node's {u_cpu:g} effective ones, so it takes {layout:.2f}x as long. The non-kernel part caps what "
        f"any kernel can buy at 1/{fraction:.4f} = {1 / fraction:.0f}x on CPU nodes; with the {s:g}x CUDA kernel "
        f"{100 * gpu_non_kernel:.0f}% of a fit is non-kernel work, spread over {layout:.2f}x fewer ranks, so CUDA "
        f"ends {model_ratio:.1f}x faster than C++ CPU (the seed: {t1 / seed:.1f}x, '~3.3x', 'not as high as "
        f"expected'). For our planner: time an evaluation end to end, optimizer included (a pilot's timing.h5 "
        f"s_per_evaluation), not the kernel alone, and count a GPU node's slots as GPUs x ranks per GPU."
    )
    return {
        "source": projection.get("meta", {}).get("source", ""),
        "model": "T_i = (U_cpu / U_i) * (a + b / s_i)",
        "parameters": {
            "a_hours": a,
            "b_hours": b,
            "non_kernel_fraction": fraction,
            "U_cpu": u_cpu,
            "U_gpu": u_gpu,
            **numbers,
        },  # fmt: skip
        "fixed_by": {
            "a_hours, b_hours": f"rows {base['version']!r} (a + b) and {fit_row!r} (a + b/s)",
            "U_cpu": f"statement {texts['effective_cpu_units']!r}",
            "U_gpu": f"statements {texts['gpus_per_node']!r} x {texts['ranks_per_gpu']!r}",
        },
        "rows": rows,
        "alternatives": alternatives,
        "statement": statement,
    }


def format_seed_table(result):
    """The seed table beside the model's, then parameters, other readings and the statement."""
    p = result["parameters"]
    lines = [
        f"# seed's projected table: {result['model']}",
        f"# a = {p['a_hours']:.4f} h, b = {p['b_hours']:.4f} h (non-kernel fraction {p['non_kernel_fraction']:.5f}), "
        f"U_cpu = {p['U_cpu']:g}, U_gpu = {p['U_gpu']:g}",  # fmt: skip
        f"{'version':34s} {'speedup':>8s} {'layout':>6s} {'seed h':>8s} {'model h':>8s} {'diff':>7s}  role",
    ]
    for r in result["rows"]:
        lines.append(f"{r['version']:34s} {r['speedup']:8.2f} {r['layout']:>6s} {r['seed_hours']:8.2f} "
                     f"{r['model_hours']:8.2f} {100 * r['relative_difference']:+6.2f}%  {r['role']}")  # fmt: skip
    for what, source in result["fixed_by"].items():
        lines.append(f"# {what}: {source}")
    if result["alternatives"]:
        lines.append("# CUDA row under other readings:")
        for name, alt in result["alternatives"].items():
            lines.append(f"#   {name}: {alt['hours']:.2f} h ({100 * alt['relative_difference']:+.1f}%)")
    lines += ["", result["statement"]]
    return "\n".join(lines)
