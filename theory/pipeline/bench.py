"""``python -m theory bench``: the seed's benchmark tables for our backends, measured side by side.

All numbers come from one run on one machine (these machines are noisy: only ratios measured
together mean something). Events are drawn uniformly in (ln x, ln Q^2) inside the default cuts
with a fixed seed; the theory is the config's (default NLO, truncated, VFNS) on the default
100-node contour; parameter sets scatter 1% around the stats2 truth. JSON keys (stable):

- ``machine``: host, cpu, cores, versions.     ``config``: events, order, mode, scheme, nodes...
- ``time_per_evaluation``: per backend, seconds for d2sigma at every event for one parameter
  set (best of ``repeats``), ``speedup`` over numpy-loop; numpy-loop is timed on
  ``loop_events`` events and scaled (``scaled_from`` says so). cached-cpu also per set in a batch.
- ``forward_and_gradient``: the same for loss + gradient, per parameter set (cached: batch).
- ``memory``: tracemalloc peak bytes and blocks still allocated after the call, for one
  evaluation of ``memory_events`` events.
- ``thread_scaling``: numba-cpu and cached-cpu for 1..cores threads (seconds, speedup).
- ``kernel``: build seconds, bytes, reals per event (stored), rank of the factors products use.
- ``ceiling``: numpy matrix-product GFLOP/s (float64, float32) at the kernel's shape, and the
  fraction of the float64 figure that cached-cpu's products (the low-rank factors' flops) and
  whole evaluation reach; ``dense_equivalent_gflops`` counts the dense kernel's flops instead.
- ``peer``: HOPPET timings when the ``peer`` extra is installed, else why not.

``run`` measures each key in its own function (``_machine``, ``_config``, ``_kernel``, ...), in the
result's order: machine, config, kernel, time_per_evaluation, forward_and_gradient, memory,
thread_scaling, ceiling, peer.
"""

import platform
import socket
import time
import tracemalloc
from dataclasses import dataclass, field

import numpy as np

from theory.dis.kinematics import Cuts
from theory.kernels.backends import BACKENDS

_CUTS = Cuts()


def sample_events(n, seed=1, sqrt_s=140.0, cuts=_CUTS):
    """n (x, Q2, target) points uniform in (ln x, ln Q^2) inside the DIS cuts (default: the default
    ``theory.dis.kinematics.Cuts``, the domain the default contour serves), the benchmark input."""
    rng = np.random.default_rng(seed)
    s = sqrt_s**2
    xs, qs = [], []
    while sum(len(v) for v in xs) < n:
        x = np.exp(rng.uniform(np.log(cuts.q2_min / s), 0.0, 4 * n))
        Q2 = np.exp(rng.uniform(np.log(cuts.q2_min), np.log(s), 4 * n))
        ok = cuts.inside(x, Q2, s)
        xs.append(x[ok])
        qs.append(Q2[ok])
    x = np.concatenate(xs)[:n]
    Q2 = np.concatenate(qs)[:n]
    return x, Q2, rng.integers(0, 2, n)


def _best(fn, repeats):
    fn()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def _cuda_available():
    try:
        import numba
        from numba import cuda

        return bool(cuda.is_available()) and not numba.config.ENABLE_CUDASIM
    except Exception:  # pragma: no cover - no driver at all
        return False


@dataclass
class Bench:
    """What the measurements share. ``run`` builds it (``Bench.build``); ``_kernel`` fills in ``kernel``,
    ``run`` then ``backends`` and ``gpu``, and ``_forward_and_gradient`` the cached-cpu batch time that
    ``_ceiling`` divides by."""

    n_events: int
    order: str
    mode: str
    scheme: str
    batch: int
    repeats: int
    loop_n: int
    """numpy-loop's events (``loop_events``, at most ``n_events``); its times are scaled up from these."""
    memory_events: int
    cores: int
    log: object
    setup: object
    contour: object
    param: object
    x: np.ndarray
    Q2: np.ndarray
    tg: np.ndarray
    rng: np.random.Generator
    """Drew ``thetas``; the ceiling's random matrices continue its stream."""
    thetas: np.ndarray
    """float[batch, n_params], 1% around the stats2 truth."""
    theta1: np.ndarray
    problem: object
    small: object
    """The Problem of the first ``loop_n`` events, for numpy-loop."""
    kernel: object = None
    backends: dict = field(default_factory=dict)
    gpu: bool = False
    cached_batch_loss_grad_seconds: float | None = None

    @classmethod
    def build(cls, n_events, order, mode, scheme, batch, repeats, loop_events, memory_events, cores, log):
        from theory.kernels.backends import Problem
        from theory.pdfs.stats2 import Stats2
        from theory.qcd.evolution import EvolutionSetup
        from theory.qcd.mellin import Contour

        setup = EvolutionSetup(order, mode, scheme)
        contour = Contour()
        param = Stats2()
        x, Q2, tg = sample_events(n_events)
        rng = np.random.default_rng(7)
        thetas = param.truth * (1.0 + 0.01 * rng.standard_normal((batch, param.n_params)))
        problem = Problem(setup, contour, param, x, Q2, tg)
        loop_n = min(loop_events, n_events)
        small = Problem(setup, contour, param, x[:loop_n], Q2[:loop_n], tg[:loop_n])
        return cls(n_events=n_events, order=order, mode=mode, scheme=scheme, batch=batch, repeats=repeats,
                   loop_n=loop_n, memory_events=memory_events, cores=cores, log=log, setup=setup, contour=contour,
                   param=param, x=x, Q2=Q2, tg=tg, rng=rng, thetas=thetas, theta1=thetas[:1], problem=problem,
                   small=small)  # fmt: skip


def run(n_events=10000, order="nlo", mode="truncated", scheme="vfns", batch=256, repeats=3,
        loop_events=500, memory_events=10000, threads=None, log=print):  # fmt: skip
    """Run every measurement; returns the JSON-able result dict (keys in the module docstring)."""
    import numba

    cores = threads or numba.config.NUMBA_NUM_THREADS
    b = Bench.build(n_events, order, mode, scheme, batch, repeats, loop_events, memory_events, cores, log)
    result = {"machine": _machine(b), "config": _config(b)}
    log(f"bench: {n_events} events, {order} {mode} {scheme}, {len(b.contour)} nodes, {cores} threads")
    result["kernel"] = _kernel(b)
    b.backends, b.gpu = _backends(b)
    result["time_per_evaluation"] = _time_per_evaluation(b)
    result["forward_and_gradient"] = _forward_and_gradient(b)
    result["memory"] = _memory(b)
    result["thread_scaling"] = _thread_scaling(b)
    result["ceiling"] = _ceiling(b)
    result["peer"] = _peer(b)
    return result


def _machine(b):
    """``machine``: host, cpu, cores, versions, the BLAS libraries loaded."""
    import numba
    from threadpoolctl import threadpool_info

    blas = [{k: v for k, v in lib.items() if k in ("internal_api", "version", "num_threads", "architecture")}
            for lib in threadpool_info() if lib.get("user_api") == "blas"]  # fmt: skip
    return {
        "host": socket.gethostname(),
        "cpu": _cpu_name(),
        "cores": b.cores,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "numba": numba.__version__,
        "blas": blas,
    }  # fmt: skip


def _config(b):
    """``config``: the problem and the benchmark's settings."""
    return {
        "events": b.n_events,
        "order": b.order,
        "mode": b.mode,
        "scheme": b.scheme,
        "nodes": len(b.contour),
        "batch": b.batch,
        "repeats": b.repeats,
        "loop_events": b.loop_n,
    }  # fmt: skip


def _kernel(b):
    """``kernel``: build seconds (first and again), bytes, reals per event, nodes, the factors' rank and
    the seconds to factor; sets ``b.kernel`` (the second build)."""
    from theory.kernels.backends.cached import CachedKernel

    t0 = time.perf_counter()
    kernel = CachedKernel(b.problem)
    build = time.perf_counter() - t0
    t0 = time.perf_counter()
    kernel = CachedKernel(b.problem)
    build_warm = time.perf_counter() - t0
    t0 = time.perf_counter()
    ranks = kernel.rank
    factor_secs = time.perf_counter() - t0
    b.kernel = kernel
    b.log(
        f"kernel: {build_warm:.2f} s, {kernel.nbytes / 1e6:.1f} MB, {kernel.reals_per_event} reals/event; "
        f"factors of rank {ranks} in {factor_secs:.2f} s"
    )
    return {"build_seconds_first": build, "build_seconds": build_warm, "bytes": kernel.nbytes,
            "reals_per_event": kernel.reals_per_event, "nodes": kernel.n_nodes, "rank": ranks,
            "factor_seconds": factor_secs}  # fmt: skip


def _backends(b):
    """({name: backend} in timing order, whether the CUDA ones are there); numpy-loop on ``b.small``."""
    from theory.kernels.backends import make_backend

    backends = {"numpy-loop": make_backend("numpy-loop", b.small)}
    backends["numpy-vectorized"] = make_backend("numpy-vectorized", b.problem)
    backends["numba-cpu"] = make_backend("numba-cpu", b.problem)
    backends["cached-cpu"] = make_backend("cached-cpu", b.problem, kernel=b.kernel)
    gpu = _cuda_available()
    if gpu:
        backends["numba-cuda"] = make_backend("numba-cuda", b.problem)
        backends["cached-cuda"] = make_backend("cached-cuda", b.problem, kernel=b.kernel)
    return backends, gpu


def _time_per_evaluation(b):
    """``time_per_evaluation``: cross sections for one parameter set per backend (numpy-loop scaled from
    ``loop_n`` events), numba-cpu on 1 thread, batched per set; ``speedup`` over numpy-loop."""
    import numba

    backends, theta1, thetas, repeats, cores, batch = b.backends, b.theta1, b.thetas, b.repeats, b.cores, b.batch
    tpe = {}
    numba.set_num_threads(cores)
    for name, be in backends.items():
        secs = _best(lambda be=be: be.cross_sections(theta1), repeats)
        scale = b.n_events / b.loop_n if name == "numpy-loop" else 1.0
        tpe[name] = {"seconds": secs * scale, "threads": cores if BACKENDS[name].threaded else 1}
        if name == "numpy-loop":
            tpe[name]["scaled_from"] = b.loop_n
    numba.set_num_threads(1)
    tpe["numba-cpu (1 thread)"] = {"seconds": _best(lambda: backends["numba-cpu"].cross_sections(theta1), repeats),
                                   "threads": 1}  # fmt: skip
    numba.set_num_threads(cores)
    secs = _best(lambda: backends["cached-cpu"].cross_sections(thetas), repeats)
    tpe[f"cached-cpu (batch {batch}, per set)"] = {"seconds": secs / batch, "threads": cores}
    if b.gpu:
        for name in ("numba-cuda", "cached-cuda"):
            secs = _best(lambda be=backends[name]: be.cross_sections(thetas), repeats)
            tpe[f"{name} (batch {batch}, per set)"] = {"seconds": secs / batch, "threads": cores}
    else:
        tpe["numba-cuda"] = tpe["cached-cuda"] = {"seconds": None, "note": "no GPU on this machine"}
    ref = tpe["numpy-loop"]["seconds"]
    for v in tpe.values():
        v["speedup"] = ref / v["seconds"] if v.get("seconds") else None
    for k, v in tpe.items():
        b.log(f"  {k:36s} {v['seconds'] or float('nan'):10.4g} s  {v['speedup'] or float('nan'):9.1f}x")
    return tpe


def _forward_and_gradient(b):
    """``forward_and_gradient``: loss + gradient per parameter set (numpy-loop scaled, numba-cpu on 1 and
    all threads, cached batch 1 and per set in a batch); sets ``b.cached_batch_loss_grad_seconds``."""
    import numba

    backends, theta1, thetas, repeats, batch = b.backends, b.theta1, b.thetas, b.repeats, b.batch
    fg = {}
    fg["numpy-loop"] = {"seconds": _best(lambda: backends["numpy-loop"].loss_and_grad(theta1), repeats)
                        * b.n_events / b.loop_n, "scaled_from": b.loop_n}  # fmt: skip
    numba.set_num_threads(1)
    fg["numba-cpu (1 thread)"] = {"seconds": _best(lambda: backends["numba-cpu"].loss_and_grad(theta1), repeats)}
    numba.set_num_threads(b.cores)
    fg["numba-cpu"] = {"seconds": _best(lambda: backends["numba-cpu"].loss_and_grad(theta1), repeats)}
    fg["cached-cpu (batch 1)"] = {"seconds": _best(lambda: backends["cached-cpu"].loss_and_grad(theta1), repeats)}
    secs = _best(lambda: backends["cached-cpu"].loss_and_grad(thetas), repeats)
    fg[f"cached-cpu (batch {batch}, per set)"] = {"seconds": secs / batch}
    b.cached_batch_loss_grad_seconds = secs
    if b.gpu:
        for name in ("numba-cuda", "cached-cuda"):
            fg[f"{name} (batch 1)"] = {"seconds": _best(lambda be=backends[name]: be.loss_and_grad(theta1), repeats)}
            secs = _best(lambda be=backends[name]: be.loss_and_grad(thetas), repeats)
            fg[f"{name} (batch {batch}, per set)"] = {"seconds": secs / batch}
    for v in fg.values():
        v["speedup"] = fg["numpy-loop"]["seconds"] / v["seconds"]
    for k, v in fg.items():
        b.log(f"  loss+grad {k:26s} {v['seconds']:10.4g} s  {v['speedup']:9.1f}x")
    return fg


def _memory(b):
    """``memory``: tracemalloc peak and blocks alive after one evaluation of ``memory_events`` events."""
    from theory.kernels.backends import Problem, make_backend

    mem_n = min(b.memory_events, b.n_events)
    mem_problem = b.problem if mem_n == b.n_events \
        else Problem(b.setup, b.contour, b.param, b.x[:mem_n], b.Q2[:mem_n], b.tg[:mem_n])  # fmt: skip
    mem = {}
    for name in ("numpy-loop", "numpy-vectorized", "numba-cpu", "cached-cpu"):
        be = make_backend(name, mem_problem, kernel=b.kernel) if (name == "cached-cpu" and mem_n == b.n_events) \
            else make_backend(name, mem_problem)  # fmt: skip
        be.cross_sections(b.theta1)
        tracemalloc.start()
        out = be.cross_sections(b.theta1)
        _, peak = tracemalloc.get_traced_memory()
        blocks = len(tracemalloc.take_snapshot().traces)
        tracemalloc.stop()
        del out
        mem[name] = {"peak_bytes": peak, "blocks_alive_after": blocks, "events": mem_n}
        b.log(f"  memory {name:20s} peak {peak / 1e6:9.3f} MB, {blocks} blocks alive after")
    return mem


def _thread_scaling(b):
    """``thread_scaling``: numba-cpu cross sections (one set) and cached-cpu loss + gradient (per set in a
    batch, BLAS limited alike) on 1..cores threads, with speedup over 1 thread."""
    import numba
    from threadpoolctl import threadpool_limits

    backends, theta1, thetas, repeats = b.backends, b.theta1, b.thetas, b.repeats
    scaling = {"numba-cpu": [], "cached-cpu": []}
    for k in range(1, b.cores + 1):
        numba.set_num_threads(k)
        s1 = _best(lambda: backends["numba-cpu"].cross_sections(theta1), repeats)
        with threadpool_limits(limits=k, user_api="blas"):
            s2 = _best(lambda: backends["cached-cpu"].loss_and_grad(thetas), repeats)
        scaling["numba-cpu"].append({"threads": k, "seconds": s1})
        scaling["cached-cpu"].append({"threads": k, "seconds": s2 / b.batch})
    numba.set_num_threads(b.cores)
    for rows in scaling.values():
        for row in rows:
            row["speedup"] = rows[0]["seconds"] / row["seconds"]
    return scaling


def _ceiling(b):
    """``ceiling``: numpy's matrix-product GFLOP/s at the kernel's shape against cached-cpu's products
    and whole loss + gradient (``b.cached_batch_loss_grad_seconds``)."""
    from theory.kernels.backends.cached import parameter_vectors

    kernel, batch, repeats, rng = b.kernel, b.batch, b.repeats, b.rng
    n_t = max(block.shape[0] for block in kernel.blocks)
    ceiling = {"shape": [n_t, kernel.M, batch]}
    for dt in (np.float64, np.float32):
        A = np.asarray(rng.standard_normal((n_t, kernel.M)), dtype=dt)
        Bm = np.asarray(rng.standard_normal((kernel.M, batch)), dtype=dt)
        secs = _best(lambda A=A, Bm=Bm: A @ Bm, repeats)
        ceiling[f"{np.dtype(dt).name}_gflops"] = 2.0 * n_t * kernel.M * batch / secs / 1e9
    # products actually done: per target forward (q W^T) A^T and reverse (U^T A) W
    ranks = kernel.rank
    sizes = [block.shape[0] for block in kernel.blocks]
    flops = sum(4.0 * batch * r * (rows + kernel.M) for r, rows in zip(ranks, sizes, strict=True))
    dense_flops = 4.0 * b.n_events * kernel.M * batch
    qs = parameter_vectors(b.problem.components(b.thetas, with_jacobian=False)[0])

    def products():  # the backend's four products per target (reverse with U = d: same shapes)
        for t, (A, W) in enumerate(kernel.factors()):
            d = (np.ascontiguousarray(qs[:, t]) @ W.T) @ A.T
            (d @ A) @ W

    products_secs = _best(products, repeats)
    ceiling["rank"] = ranks
    ceiling["cached_products_gflops"] = flops / products_secs / 1e9
    ceiling["cached_whole_gflops"] = flops / b.cached_batch_loss_grad_seconds / 1e9
    ceiling["dense_equivalent_gflops"] = dense_flops / products_secs / 1e9
    ceiling["fraction_products"] = ceiling["cached_products_gflops"] / ceiling["float64_gflops"]
    ceiling["fraction_whole"] = ceiling["cached_whole_gflops"] / ceiling["float64_gflops"]
    b.log(
        f"  ceiling float64 {ceiling['float64_gflops']:.1f} GFLOP/s, float32 {ceiling['float32_gflops']:.1f}; "
        f"cached products {ceiling['fraction_products']:.0%}, whole {ceiling['fraction_whole']:.0%} "
        f"(rank {ranks} of {kernel.M}: dense-equivalent {ceiling['dense_equivalent_gflops']:.0f} GFLOP/s)"
    )
    return ceiling


def _peer(b):
    """``peer``: HOPPET's time per parameter set to re-evolve and give F2, FL at the same events (the
    first two of ``thetas``), or why not."""
    try:
        import hoppet  # noqa: F401
    except ImportError:
        return {"hoppet": "not installed (pip install '.[peer]')"}
    from theory.inference.run import Run
    from theory.pipeline import peer
    from theory.pipeline.config import validate

    problem, thetas = b.problem, b.thetas[:4]
    th = problem.setup
    theory = Run.from_config(validate({"theory": {"order": th.order_name, "mode": th.mode_name,
                                                  "scheme": th.scheme.name}}))  # fmt: skip
    full = theory.truth_param.full(theory.param.full(thetas)) if thetas.shape[1] != 9 else thetas
    secs = peer.time_per_set(theory, full[:2], problem.x[: problem.n_events], problem.Q2[: problem.n_events])
    b.log(f"  peer hoppet: {secs:.4g} s per parameter set (re-evolve + F2, FL at every event)")
    return {"hoppet": {"seconds_per_set": secs, "events": problem.n_events}}


def _cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"
