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
"""

import os
import platform
import socket
import time
import tracemalloc

import numpy as np

BACKENDS_TIMED = ("numpy-loop", "numpy-vectorized", "numba-cpu", "cached-cpu", "numba-cuda", "cached-cuda")


def sample_events(n, seed=1, sqrt_s=140.0, q2_min=2.0, w2_min=10.0, y_range=(0.01, 0.95), x_max=0.8):
    """n (x, Q2, target) points uniform in (ln x, ln Q^2) inside the default DIS cuts
    (``theory.kinematics.Cuts``: the domain the default contour serves), the benchmark input."""
    rng = np.random.default_rng(seed)
    s = sqrt_s**2
    xs, qs = [], []
    while sum(len(v) for v in xs) < n:
        x = np.exp(rng.uniform(np.log(q2_min / s), 0.0, 4 * n))
        Q2 = np.exp(rng.uniform(np.log(q2_min), np.log(s), 4 * n))
        y = Q2 / (x * s)
        ok = (y >= y_range[0]) & (y <= y_range[1]) & (0.938272**2 + Q2 * (1 - x) / x >= w2_min) & (x <= x_max)
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


def run(n_events=10000, order="nlo", mode="truncated", scheme="vfns", batch=256, repeats=3,
        loop_events=500, memory_events=10000, threads=None, log=print):  # fmt: skip
    """Run every measurement; returns the JSON-able result dict."""
    import numba
    from threadpoolctl import threadpool_info, threadpool_limits

    from .backends import Problem, make_backend
    from .backends.cached import CachedKernel
    from .evolution import EvolutionSetup
    from .mellin import Contour
    from .pdfs.stats2 import Stats2

    cores = threads or numba.config.NUMBA_NUM_THREADS
    setup = EvolutionSetup(order, mode, scheme)
    contour = Contour()
    param = Stats2()
    x, Q2, tg = sample_events(n_events)
    rng = np.random.default_rng(7)
    thetas = param.truth * (1.0 + 0.01 * rng.standard_normal((batch, param.n_params)))
    theta1 = thetas[:1]
    problem = Problem(setup, contour, param, x, Q2, tg)
    loop_n = min(loop_events, n_events)
    small = Problem(setup, contour, param, x[:loop_n], Q2[:loop_n], tg[:loop_n])
    blas = [{k: v for k, v in lib.items() if k in ("internal_api", "version", "num_threads", "architecture")}
            for lib in threadpool_info() if lib.get("user_api") == "blas"]  # fmt: skip
    result = {
        "machine": {
            "host": socket.gethostname(),
            "cpu": _cpu_name(),
            "cores": cores,
            "python": platform.python_version(),
            "numpy": np.__version__,
            "numba": numba.__version__,
            "blas": blas,
        },  # fmt: skip
        "config": {
            "events": n_events,
            "order": order,
            "mode": mode,
            "scheme": scheme,
            "nodes": len(contour),
            "batch": batch,
            "repeats": repeats,
            "loop_events": loop_n,
        },  # fmt: skip
    }
    log(f"bench: {n_events} events, {order} {mode} {scheme}, {len(contour)} nodes, {cores} threads")

    # kernel build (10K distinct Q^2)
    t0 = time.perf_counter()
    kernel = CachedKernel(problem)
    build = time.perf_counter() - t0
    t0 = time.perf_counter()
    kernel = CachedKernel(problem)
    build_warm = time.perf_counter() - t0
    t0 = time.perf_counter()
    ranks = kernel.rank
    factor_secs = time.perf_counter() - t0
    result["kernel"] = {"build_seconds_first": build, "build_seconds": build_warm, "bytes": kernel.nbytes,
                        "reals_per_event": kernel.reals_per_event, "nodes": kernel.n_nodes, "rank": ranks,
                        "factor_seconds": factor_secs}  # fmt: skip
    log(
        f"kernel: {build_warm:.2f} s, {kernel.nbytes / 1e6:.1f} MB, {kernel.reals_per_event} reals/event; "
        f"factors of rank {ranks} in {factor_secs:.2f} s"
    )

    backends = {"numpy-loop": make_backend("numpy-loop", small)}
    backends["numpy-vectorized"] = make_backend("numpy-vectorized", problem)
    backends["numba-cpu"] = make_backend("numba-cpu", problem)
    backends["cached-cpu"] = make_backend("cached-cpu", problem, kernel=kernel)
    gpu = _cuda_available()
    if gpu:
        backends["numba-cuda"] = make_backend("numba-cuda", problem)
        backends["cached-cuda"] = make_backend("cached-cuda", problem, kernel=kernel)

    # (1) one parameter set, cross sections only
    tpe = {}
    numba.set_num_threads(cores)
    for name, be in backends.items():
        secs = _best(lambda be=be: be.cross_sections(theta1), repeats)
        scale = n_events / loop_n if name == "numpy-loop" else 1.0
        tpe[name] = {"seconds": secs * scale, "threads": 1 if name.startswith("numpy") else cores}
        if name == "numpy-loop":
            tpe[name]["scaled_from"] = loop_n
    numba.set_num_threads(1)
    tpe["numba-cpu (1 thread)"] = {"seconds": _best(lambda: backends["numba-cpu"].cross_sections(theta1), repeats),
                                   "threads": 1}  # fmt: skip
    numba.set_num_threads(cores)
    secs = _best(lambda: backends["cached-cpu"].cross_sections(thetas), repeats)
    tpe[f"cached-cpu (batch {batch}, per set)"] = {"seconds": secs / batch, "threads": cores}
    if gpu:
        for name in ("numba-cuda", "cached-cuda"):
            secs = _best(lambda be=backends[name]: be.cross_sections(thetas), repeats)
            tpe[f"{name} (batch {batch}, per set)"] = {"seconds": secs / batch, "threads": cores}
    else:
        tpe["numba-cuda"] = tpe["cached-cuda"] = {"seconds": None, "note": "no GPU on this machine"}
    ref = tpe["numpy-loop"]["seconds"]
    for v in tpe.values():
        v["speedup"] = ref / v["seconds"] if v.get("seconds") else None
    result["time_per_evaluation"] = tpe
    for k, v in tpe.items():
        log(f"  {k:36s} {v['seconds'] or float('nan'):10.4g} s  {v['speedup'] or float('nan'):9.1f}x")

    # (1b) loss + gradient per parameter set
    fg = {}
    fg["numpy-loop"] = {"seconds": _best(lambda: backends["numpy-loop"].loss_and_grad(theta1), repeats)
                        * n_events / loop_n, "scaled_from": loop_n}  # fmt: skip
    numba.set_num_threads(1)
    fg["numba-cpu (1 thread)"] = {"seconds": _best(lambda: backends["numba-cpu"].loss_and_grad(theta1), repeats)}
    numba.set_num_threads(cores)
    fg["numba-cpu"] = {"seconds": _best(lambda: backends["numba-cpu"].loss_and_grad(theta1), repeats)}
    fg["cached-cpu (batch 1)"] = {"seconds": _best(lambda: backends["cached-cpu"].loss_and_grad(theta1), repeats)}
    secs = _best(lambda: backends["cached-cpu"].loss_and_grad(thetas), repeats)
    fg[f"cached-cpu (batch {batch}, per set)"] = {"seconds": secs / batch}
    cached_fg_batch = secs
    if gpu:
        for name in ("numba-cuda", "cached-cuda"):
            fg[f"{name} (batch 1)"] = {"seconds": _best(lambda be=backends[name]: be.loss_and_grad(theta1), repeats)}
            secs = _best(lambda be=backends[name]: be.loss_and_grad(thetas), repeats)
            fg[f"{name} (batch {batch}, per set)"] = {"seconds": secs / batch}
    for v in fg.values():
        v["speedup"] = fg["numpy-loop"]["seconds"] / v["seconds"]
    result["forward_and_gradient"] = fg
    for k, v in fg.items():
        log(f"  loss+grad {k:26s} {v['seconds']:10.4g} s  {v['speedup']:9.1f}x")

    # (2) memory for one evaluation of memory_events events
    mem_n = min(memory_events, n_events)
    mem_problem = problem if mem_n == n_events else Problem(setup, contour, param, x[:mem_n], Q2[:mem_n], tg[:mem_n])
    mem = {}
    for name in ("numpy-loop", "numpy-vectorized", "numba-cpu", "cached-cpu"):
        be = make_backend(name, mem_problem, kernel=kernel) if (name == "cached-cpu" and mem_n == n_events) \
            else make_backend(name, mem_problem)  # fmt: skip
        be.cross_sections(theta1)
        tracemalloc.start()
        out = be.cross_sections(theta1)
        _, peak = tracemalloc.get_traced_memory()
        blocks = len(tracemalloc.take_snapshot().traces)
        tracemalloc.stop()
        del out
        mem[name] = {"peak_bytes": peak, "blocks_alive_after": blocks, "events": mem_n}
        log(f"  memory {name:20s} peak {peak / 1e6:9.3f} MB, {blocks} blocks alive after")
    result["memory"] = mem

    # (3) thread scaling
    scaling = {"numba-cpu": [], "cached-cpu": []}
    for k in range(1, cores + 1):
        numba.set_num_threads(k)
        s1 = _best(lambda: backends["numba-cpu"].cross_sections(theta1), repeats)
        with threadpool_limits(limits=k, user_api="blas"):
            s2 = _best(lambda: backends["cached-cpu"].loss_and_grad(thetas), repeats)
        scaling["numba-cpu"].append({"threads": k, "seconds": s1})
        scaling["cached-cpu"].append({"threads": k, "seconds": s2 / batch})
    numba.set_num_threads(cores)
    for rows in scaling.values():
        for row in rows:
            row["speedup"] = rows[0]["seconds"] / row["seconds"]
    result["thread_scaling"] = scaling

    # (5) the machine's matrix-product ceiling at the kernel's shape
    n_t = max(b.shape[0] for b in kernel.blocks)
    ceiling = {"shape": [n_t, kernel.M, batch]}
    for dt in (np.float64, np.float32):
        A = np.asarray(rng.standard_normal((n_t, kernel.M)), dtype=dt)
        Bm = np.asarray(rng.standard_normal((kernel.M, batch)), dtype=dt)
        secs = _best(lambda A=A, Bm=Bm: A @ Bm, repeats)
        ceiling[f"{np.dtype(dt).name}_gflops"] = 2.0 * n_t * kernel.M * batch / secs / 1e9
    # products actually done: per target forward (q W^T) A^T and reverse (U^T A) W
    ranks = kernel.rank
    sizes = [b.shape[0] for b in kernel.blocks]
    flops = sum(4.0 * batch * r * (n_t + kernel.M) for r, n_t in zip(ranks, sizes, strict=True))
    dense_flops = 4.0 * n_events * kernel.M * batch
    from .backends.cached import parameter_vectors

    qs = parameter_vectors(problem.components(thetas, with_jacobian=False)[0])

    def products():  # the backend's four products per target (reverse with U = d: same shapes)
        for t, (A, W) in enumerate(kernel.factors()):
            d = (np.ascontiguousarray(qs[:, t]) @ W.T) @ A.T
            (d @ A) @ W

    products = _best(products, repeats)
    ceiling["rank"] = ranks
    ceiling["cached_products_gflops"] = flops / products / 1e9
    ceiling["cached_whole_gflops"] = flops / cached_fg_batch / 1e9
    ceiling["dense_equivalent_gflops"] = dense_flops / products / 1e9
    ceiling["fraction_products"] = ceiling["cached_products_gflops"] / ceiling["float64_gflops"]
    ceiling["fraction_whole"] = ceiling["cached_whole_gflops"] / ceiling["float64_gflops"]
    result["ceiling"] = ceiling
    log(
        f"  ceiling float64 {ceiling['float64_gflops']:.1f} GFLOP/s, float32 {ceiling['float32_gflops']:.1f}; "
        f"cached products {ceiling['fraction_products']:.0%}, whole {ceiling['fraction_whole']:.0%} "
        f"(rank {ranks} of {kernel.M}: dense-equivalent {ceiling['dense_equivalent_gflops']:.0f} GFLOP/s)"
    )

    # (6) peer
    result["peer"] = _hoppet(problem, thetas[:4], repeats, log)
    return result


def _hoppet(problem, thetas, repeats, log):
    """HOPPET's time per parameter set to re-evolve and give F2, FL at the same events."""
    try:
        import hoppet  # noqa: F401
    except ImportError:
        return {"hoppet": "not installed (pip install '.[peer]')"}
    from . import peer
    from .config import validate
    from .fitting import Theory

    th = problem.setup
    theory = Theory(validate({"theory": {"order": th.order_name, "mode": th.mode_name, "scheme": th.scheme.name}}))
    full = theory.truth_param.full(theory.param.full(thetas)) if thetas.shape[1] != 9 else thetas
    secs = peer.time_per_set(theory, full[:2], problem.x[: problem.n_events], problem.Q2[: problem.n_events])
    log(f"  peer hoppet: {secs:.4g} s per parameter set (re-evolve + F2, FL at every event)")
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


def write(result, path):
    from .cli import write_json_atomic

    write_json_atomic(path, result)


def environment_threads():
    """Threads of this job: NUMBA_NUM_THREADS, else the cores we may use."""
    env = os.environ.get("NUMBA_NUM_THREADS")
    return int(env) if env else len(os.sched_getaffinity(0))
