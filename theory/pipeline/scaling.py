"""``bench --scaling``: the cost of one loss evaluation against the experiment's size.

For each size N (events per target, points uniform in (ln x, ln Q^2) inside the default cuts:
timing does not depend on where the events lie), on the lockstep engine
(``theory.inference.lockstep``) with the default theory (NLO, truncated, VFNS) and nine free
parameters:

- time per request (one replica's loss; with the gradient and Gauss-Newton matrix, or without),
  batched (``replicas`` requests in one round) and single (one request alone), min / median /
  max of ``repeats`` rounds, for the exact likelihood (up to ``EXACT_MAX`` events per target:
  its kernel is 4.8 kB per event) and the interpolated one;
- one-off costs: the points, the kernel build (the grid's once, whatever N), and the data pass
  per replica in ns per event and replica;
- the kernel's stored rank (``rank``, 1e-13) and the rank the fits use (``fit_rank``,
  ``lockstep.FIT_TOL``), which sets the products' cost;
- the process's peak resident memory after each size.

With ``device`` (``bench --scaling --device``: a GPU, or ``NUMBA_ENABLE_CUDASIM=1`` for the
simulator) each interpolated size also gets a row of the GPU engine (``engine: "device"``;
``lockstep.DeviceEngine``, the data pass ``moments.DeviceMomentPass``), with the products'
floating-point operations per round (``flop_full_batched``, counted from the factors' shapes) and
their rate (``gflops_full_batched``, at the median time); CPU rows carry ``engine: "cpu"`` (older
tables, none: CPU).

Two ratios (of the CPU rows): ``ratio_largest_to_smallest``, the interpolated likelihood's time per request at the
largest size over its time at the smallest (the engine's growth with N), and
``ratio_largest_to_exact_smallest``, the same over the exact likelihood's at the smallest size
(what a run of that size would use instead).

Every figure is measured in one run, side by side, so ratios between sizes and likelihoods are
meaningful on a noisy machine; absolute times are this machine's.
"""

import resource
import time

import numpy as np

SIZES = (10_000, 100_000, 1_000_000, 10_000_000)
EXACT_MAX = 100_000
"""Largest size with an exact-likelihood row (its kernel: 200,000 events take 3.2 GB to build)."""


def sizes_for(events_per_target):
    """The sizes a run of ``events_per_target`` is planned from: the decades of ``SIZES`` below it
    and the run's own size."""
    n = int(events_per_target)
    return tuple(sorted({s for s in SIZES if s < n} | {n}))


def _spread(times):
    return {"min": float(np.min(times)), "median": float(np.median(times)), "max": float(np.max(times))}


def _samples(run, n, seed):
    from theory.inference.events import EventSample
    from theory.pipeline.bench import sample_events

    out = {}
    for i, st in enumerate(run.sets):
        x, q2, _ = sample_events(n, seed=seed + i, cuts=st.cuts, sqrt_s=st.sqrt_s)
        out[st.name] = EventSample(st.target, x, q2, lumi_nb=n / 300.0)
    return out


def _engine(run, backend, samples, replicas, seed=1, device=False):
    """(engine, losses, row weights, coarse moments, data-pass seconds) for ``replicas``; with
    ``device``, on the GPU: the data pass there (``DeviceMomentPass``), the engine resident."""
    import numba

    from theory.inference.fits import lockstep_moments, row_weights
    from theory.inference.lockstep import DeviceEngine, LockstepEngine, replica_inputs

    t0 = time.perf_counter()
    moments = lockstep_moments(run, samples, seed, replicas, device=device).run()
    if device:
        moments.moments("fine")  # the sums on the host: the device's queue has finished
    seconds = time.perf_counter() - t0
    weights = row_weights(run, samples, replicas, seed, moments)
    cm = moments.moments("coarse")
    centres = [[1.0] * len(run.sets)] * len(replicas)
    losses, rows, cw = replica_inputs(backend.kernel, run.coarse_kernel, backend.problem.set_log_lumi,
                                      [weights[b] for b in replicas], list(cm), centres, run.lumi_deltas())  # fmt: skip
    if device:
        engine = DeviceEngine(backend.kernel, run.coarse_kernel, run.param, run.contour.N, rows, cw)
    else:
        engine = LockstepEngine(backend.kernel, run.coarse_kernel, run.param, run.contour.N, numba.get_num_threads())
    return engine, losses, rows, cw, seconds


def round_flops(kernel, coarse, requests, n_params):
    """Floating-point operations of one round's products (``DeviceEngine.evaluate`` with every
    request's Jacobian): per data set, the forward rows (q W^T) A^T, the gradient's (u A) W, and the
    coarse grid's rows of value and P derivatives with their Gauss-Newton sums."""
    from theory.inference.lockstep import FIT_TOL

    S, P = requests, n_params
    flop = 0.0
    for (A, W), (Ac, _) in zip(kernel.factors(FIT_TOL), coarse.factors(), strict=True):
        rows, r = A.shape
        M = W.shape[1]
        crows, rc = Ac.shape
        flop += 2.0 * S * (M * r + r * rows)  # the rows of every request
        flop += 2.0 * S * (rows * r + r * M + P * M)  # the gradient's moments and its P components
        flop += 2.0 * S * (P + 1) * (M * rc + rc * crows) + 2.0 * S * P * P * crows  # coarse rows, Gauss-Newton
    return flop


def _time(engine, losses, rows, cw, thetas, jacobian, repeats):
    R = len(losses)
    extra = {"replicas": list(range(R))} if getattr(engine, "resident", False) else {}
    engine.evaluate(losses, rows, cw, thetas, [jacobian] * R, **extra)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        engine.evaluate(losses, rows, cw, thetas, [jacobian] * R, **extra)
        times.append((time.perf_counter() - t0) / R)
    return _spread(times)


def run(sizes=SIZES, replicas=32, repeats=5, log=print, config=None, device=False):
    """The scaling table as a dict (``rows``: one per size, likelihood and engine), for the theory,
    data sets and cuts of ``config`` (a validated run config; default: the defaults); ``device``:
    the GPU engine's rows too (module docstring)."""
    from theory.inference.lockstep import FIT_TOL
    from theory.inference.run import Run
    from theory.kernels.backends import make_backend
    from theory.kernels.backends.cached import CachedKernel
    from theory.pipeline.config import validate

    config = config or {}
    runs = {lik: Run.from_config(validate({**config, "fit": {**config.get("fit", {}), "likelihood": lik}}))
            for lik in ("exact", "interpolated")}  # fmt: skip
    run_ = runs["interpolated"]
    rng = np.random.default_rng(0)
    thetas = [run_.start() + 0.01 * rng.standard_normal(run_.param.n_params) for _ in range(replicas)]
    grid_kernel, grid_build = None, None
    import numba

    out = {"sizes": list(sizes), "replicas": replicas, "repeats": repeats, "threads": numba.get_num_threads(),
           "rows": []}  # fmt: skip
    for n in sizes:
        t0 = time.perf_counter()
        samples = _samples(run_, n, seed=int(n) % 1000 + 1)
        points_s = time.perf_counter() - t0
        for likelihood in ("exact", "interpolated"):
            if likelihood == "exact" and n > EXACT_MAX:
                continue
            interpolated = likelihood == "interpolated"
            t0 = time.perf_counter()
            problem = runs[likelihood].likelihood_problem(samples)
            if interpolated and grid_kernel is not None:
                kernel = grid_kernel
            else:
                kernel = CachedKernel(problem)
                kernel.factors()
                if interpolated:
                    grid_kernel, grid_build = kernel, time.perf_counter() - t0
            build = grid_build if interpolated else time.perf_counter() - t0
            backend = make_backend("cached-cpu", problem, kernel=kernel)
            engine, losses, rows, cw, pass_s = _engine(runs[likelihood], backend, samples, list(range(1, replicas + 1)))
            row = {"events_per_target": n, "likelihood": likelihood, "engine": "cpu", "rows": problem.n_events,
                   "rank": kernel.rank,
                   "fit_rank": [A.shape[1] for A, _ in kernel.factors(FIT_TOL)],
                   "points_s": points_s, "kernel_build_s": build,
                   "data_pass_ns_per_event_replica": 1e9 * pass_s / (len(run_.sets) * n * replicas),
                   "full_s_batched": _time(engine, losses, rows, cw, thetas, True, repeats),
                   "value_s_batched": _time(engine, losses, rows, cw, thetas, False, repeats),
                   "full_s_single": _time(engine, losses[:1], rows[:1], cw[:1], thetas[:1], True, repeats)}  # fmt: skip
            row["peak_rss_gb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6
            out["rows"].append(row)
            log(f"scaling: {n} events per target, {likelihood}: full {1e3 * row['full_s_batched']['median']:.2f} ms "
                f"batched, {1e3 * row['full_s_single']['median']:.2f} ms single, data pass "
                f"{row['data_pass_ns_per_event_replica']:.0f} ns per event and replica")  # fmt: skip
            if interpolated and device:
                del engine
                out["rows"].append(_device_row(run_, backend, samples, n, replicas, thetas, repeats, row, log))
        del samples

    out.update(ratios(out["rows"]))
    return out


def _device_row(run, backend, samples, n, replicas, thetas, repeats, cpu_row, log):
    """The GPU engine's row at ``n`` events per target (the same kernel and requests as ``cpu_row``)."""
    engine, losses, rows, cw, pass_s = _engine(run, backend, samples, list(range(1, replicas + 1)), device=True)
    row = {**cpu_row, "engine": "device",
           "data_pass_ns_per_event_replica": 1e9 * pass_s / (len(run.sets) * n * replicas),
           "full_s_batched": _time(engine, losses, rows, cw, thetas, True, repeats),
           "value_s_batched": _time(engine, losses, rows, cw, thetas, False, repeats),
           "full_s_single": _time(engine, losses[:1], rows[:1], cw[:1], thetas[:1], True, repeats),
           "flop_full_batched": round_flops(backend.kernel, run.coarse_kernel, replicas, run.param.n_params),
           }  # fmt: skip
    row["gflops_full_batched"] = 1e-9 * row["flop_full_batched"] / (replicas * row["full_s_batched"]["median"])
    row["peak_rss_gb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6
    log(f"scaling: {n} events per target, interpolated on the GPU: full {1e3 * row['full_s_batched']['median']:.3f} "
        f"ms batched ({row['gflops_full_batched']:.1f} GFLOP/s), data pass "
        f"{row['data_pass_ns_per_event_replica']:.1f} ns per event and replica")  # fmt: skip
    return row


def ratios(rows):
    """The two ratios of the module docstring from the (CPU) rows, whatever order the sizes ran in."""

    def by_size(likelihood):
        return sorted((r for r in rows if r["likelihood"] == likelihood and r.get("engine", "cpu") == "cpu"),
                      key=lambda r: r["events_per_target"])  # fmt: skip

    out = {}
    inter, exact = by_size("interpolated"), by_size("exact")
    if len(inter) >= 2:
        out["ratio_largest_to_smallest"] = inter[-1]["full_s_batched"]["median"] / inter[0]["full_s_batched"]["median"]
    if inter and exact and inter[-1]["events_per_target"] > exact[0]["events_per_target"]:
        out["ratio_largest_to_exact_smallest"] = (inter[-1]["full_s_batched"]["median"]
                                                  / exact[0]["full_s_batched"]["median"])  # fmt: skip
    return out


def table_rows(result):
    """The scaling rows as the table's columns ({header: value}, one dict a row): the one layout of
    the text table (``format_table``) and the report's section (``theory.pipeline.report``)."""
    return [{"events/target": r["events_per_target"], "likelihood": r["likelihood"],
             "engine": r.get("engine", "cpu"), "rows": r["rows"],
             "fit rank": "/".join(map(str, r["fit_rank"])) if "fit_rank" in r else "-",
             "full ms (batched, median)": 1e3 * r["full_s_batched"]["median"],
             "full ms (single)": 1e3 * r["full_s_single"]["median"],
             "value ms (batched)": 1e3 * r["value_s_batched"]["median"],
             "data pass ns/event/replica": r["data_pass_ns_per_event_replica"],
             "kernel build s": r["kernel_build_s"], "peak RSS GB": r["peak_rss_gb"]}
            for r in result["rows"]]  # fmt: skip


def format_table(result):
    """The scaling rows as a text table (pandas)."""
    import pandas as pd

    return pd.DataFrame(table_rows(result)).to_string(index=False, float_format=lambda v: f"{v:.3g}")
