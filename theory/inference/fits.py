"""Bootstrap fits: one projected Gauss-Newton fit per replica, chunk files, the shared kernel file.

Replica weights and luminosity centres come from ``theory.inference.replicas`` (a replica depends
on the run seed, its index and the data sets' names only, never on chunking, backend or
scheduling; replica 0 is the central fit). Each replica minimises its profiled loss
(``theory.inference.likelihood``: extended likelihood, luminosity nuisances, priors) with
``theory.inference.optimise.minimise`` within the parametrisation's bounds; a replica that does
not converge is recorded with its status and message, never raised.

Starts. The central fit (every weight 1) starts from the config's start; the bootstrap replicas
start from the central fit's parameters (``warm_start``). Every job fits the central replica
itself, the same way (alone, in its own fixed-shape products), so the warm start is the same
number in every job and a replica still depends on the run seed and its index only. Measured at
Stats-2 (5,000 + 5,000 events, nine free): from the config's start 19.5 evaluations a replica
and a few replicas end in local minima up to 0.6 in loss above the warm start's; from the central
fit 17.0 and never a higher minimum (128 replicas).
The replicas of a job run on the job's threads, one replica per thread with single-threaded
BLAS: a replica's arithmetic is the same whatever else runs beside it.

Chunk file ``fits/chunk_<k>.h5`` (written atomically): datasets ``replica`` (int64),
``params`` [n, P], ``lumi`` [n, T] (the luminosity nuisances, data-set order), ``loss``,
``status`` (0 converged, 1 iteration limit, 2 line search failed, 3 error), ``message`` (str),
``iterations``, ``evaluations`` (forward passes), ``jacobians`` (of them with the Jacobian),
``unphysical`` (rejected trial points where some d2sigma <= 0), ``decrement`` (final Newton
decrement), ``wall_s``, ``cpu_s``; attributes ``chunk``, ``chunk_size``, ``seed``, ``backend``,
``host``, ``threads``, ``names`` (JSON), ``nuisances`` (JSON), ``config`` (JSON), ``versions``
(JSON), ``created``, ``git_commit``, ``wall_s``, ``cpu_s``, ``started_epoch``,
``finished_epoch`` (Unix seconds).
"""

import json
import socket
import time

import numpy as np

from theory.atomic import write_hdf5
from theory.inference.likelihood import Likelihood
from theory.inference.optimise import minimise
from theory.inference.replicas import lumi_centre, replica_weights
from theory.inference.rows import write_rows
from theory.inference.run import ConfigError
from theory.provenance import stamp

PROGRESS_S = 30.0
"""Seconds between progress lines of a job's data pass."""


def nuisances(run):
    """Names of the luminosity nuisances lambda_t = L_t(true) / L_t(measured): lumi_<data set>."""
    return tuple(f"lumi_{name}" for name in run.names)


def replica_likelihood(run, backend, weights, replica, seed=None):
    """The Likelihood of one replica: its row weights (Poisson event weights, or the data moments
    of the interpolated likelihood), luminosity centres and the run's priors. ``seed``: the
    streams' run seed (default ``run.seed``; a coverage experiment passes its own)."""
    seed = run.seed if seed is None else seed
    return Likelihood(backend, weights, replica_centres(run, seed, replica), run.lumi_deltas(), run.priors)


def replica_centres(run, seed, replica):
    """The luminosity-constraint centres c_t of one replica (data-set order)."""
    return [lumi_centre(seed, t, replica, d) for t, d in zip(run.names, run.lumi_deltas(), strict=True)]


def row_weights(run, samples, replicas, seed=None, moments=None):
    """{replica: weights of the backend's rows}: each replica's Poisson event weights (``exact``)
    or its data moments on the grid nodes (``interpolated``: one pass over the events, or the
    "fine" grid of a finished ``theory.inference.moments.MomentPass`` given as ``moments``)."""
    seed = run.seed if seed is None else seed
    replicas = list(replicas)
    if run.fit.likelihood == "interpolated":
        from theory.inference.moments import replica_moments

        if moments is not None:
            m = moments.moments("fine")
        else:
            m = replica_moments({st.name: st.grid for st in run.sets}, samples, seed, replicas, run.names)
        return {b: m[j] for j, b in enumerate(replicas)}
    sizes = {t: len(samples[t].x) for t in run.names}
    return {b: replica_weights(seed, b, sizes) for b in replicas}


def fit_replica(likelihood, start, bounds, max_iterations, tolerance):
    """Fit one replica; returns the optimiser's dict plus wall and CPU seconds (never raises)."""
    t0, c0 = time.perf_counter(), time.thread_time()
    out = minimise(likelihood, start, bounds, max_iterations, tolerance)
    out["wall_s"] = time.perf_counter() - t0
    out["cpu_s"] = time.thread_time() - c0
    return out


def fit_replicas(run, backend, samples, replicas, workers, seed=None, checkpoint=None):
    """Fit replicas of a run's event ``samples`` on ``backend`` (of ``run.likelihood_problem``);
    yields their rows (with ``replica``) in order.

    With a ``concurrent`` backend the replicas run one per thread on up to ``workers`` threads,
    BLAS single-threaded, so each replica's arithmetic is the same whatever shares its job.
    """
    from concurrent.futures import ThreadPoolExecutor

    from threadpoolctl import threadpool_limits

    from theory.kernels.backends import BACKENDS

    fit = run.fit
    start, bounds = run.start(), np.array(run.param.bounds)
    replicas = list(replicas)
    if getattr(backend, "lockstep", False):
        yield from _fit_lockstep(run, backend, samples, replicas, seed, workers, checkpoint, start, bounds)
        return
    weights = row_weights(run, samples, [0] + [b for b in replicas if b != 0], seed)
    workers = max(1, min(workers, len(replicas))) if BACKENDS[fit.backend].concurrent else 1
    backend.predictions(start)  # lazy set-up (factors, device arrays) once, before any threads

    def one(b, theta0):
        lk = replica_likelihood(run, backend, weights[b], b, seed)
        return {**fit_replica(lk, theta0, bounds, fit.max_iterations, fit.tolerance), "replica": b}

    with threadpool_limits(limits=1, user_api="blas"), ThreadPoolExecutor(workers) as pool:
        central = one(0, start)
        warm = warm_start(central, start)
        yield from pool.map(lambda b: central if b == 0 else one(b, warm), replicas)


def warm_start(central, start):
    """The bootstrap replicas' start: the central fit's parameters where it found finite ones,
    else the config's start."""
    params = np.asarray(central["params"], dtype=float)
    return params.copy() if np.all(np.isfinite(params)) else np.asarray(start, dtype=float)


CENTRAL_WIDTH = 2
"""Requests per product of the central fit's lockstep engine (it runs alone: one request and a
copy, a matrix product rather than a matrix-vector one, the same shapes in every job)."""


def _central_lockstep(run, kern, coarse, log_lumi, samples, seed, start, bounds, moments):
    """The central fit (replica 0) on the lockstep engine, alone: its moments from the job's pass
    (``MomentPass(central=True)``: its own one-row sums), products ``CENTRAL_WIDTH`` requests wide."""
    from theory.inference.lockstep import LockstepEngine, drive, replica_inputs

    if run.fit.likelihood == "interpolated":
        weights = moments.moments("fine", central=True)[0]
    else:
        weights = row_weights(run, samples, [0], seed)[0]
    coarse_moments = moments.moments("coarse", central=True)[0]
    losses, rows_w, coarse_w = replica_inputs(
        kern, coarse, log_lumi, [weights], [coarse_moments], [replica_centres(run, seed, 0)], run.lumi_deltas(),
        run.priors,
    )  # fmt: skip
    engine = LockstepEngine(kern, coarse, run.param, run.contour.N, 1, width=CENTRAL_WIDTH)
    [row] = drive(engine, losses, rows_w, coarse_w, [start], bounds, run.fit.max_iterations, run.fit.tolerance)
    return {**row, "replica": 0}


def lockstep_moments(run, samples, seed, replicas, device=False, **options):
    """The ``MomentPass`` of a lockstep job: the coarse grid's moments, and the fine grid's for
    the interpolated likelihood (one weights draw per chunk serves both); with ``device``, the
    pass on the GPU (``DeviceMomentPass``)."""
    from theory.inference.moments import DeviceMomentPass, MomentPass

    stages = {"coarse": {st.name: st.coarse_grid for st in run.sets}}
    if run.fit.likelihood == "interpolated":
        stages["fine"] = {st.name: st.grid for st in run.sets}
    return (DeviceMomentPass if device else MomentPass)(stages, samples, seed, replicas, run.names, **options)


def _fit_lockstep(run, backend, samples, replicas, seed, workers, checkpoint, start, bounds):
    """All replicas together on the cached CPU kernel (``theory.inference.lockstep``); with a
    ``theory.inference.checkpoint.Checkpoint``, restartable."""
    from theory.inference.lockstep import LockstepEngine, drive, replica_inputs

    seed = run.seed if seed is None else seed
    kern, coarse = backend.kernel, run.coarse_kernel
    log_lumi = backend.problem.set_log_lumi
    rest = [b for b in replicas if b != 0]
    device = getattr(backend, "device_lockstep", False)  # the GPU: the data pass there too
    moments = lockstep_moments(run, samples, seed, rest, device=device, central=True)
    finished = {}
    if checkpoint is not None:
        saved = checkpoint.load()
        if saved is not None:
            moments.restore(saved[0])
            finished = saved[1]
    if not moments.done:
        t_pass, shown = time.perf_counter(), [time.perf_counter()]

        def after():
            if checkpoint is None:
                return
            checkpoint.save_if_due(moments.state, finished)
            now = time.perf_counter()
            if now - shown[0] >= PROGRESS_S:
                shown[0] = now
                f = moments.fraction
                checkpoint.log(f"data pass: {100 * f:.0f}% of {len(replicas)} replicas' moments, "
                               f"~{(now - t_pass) * (1 - f) / max(f, 1e-9):.0f} s left")  # fmt: skip

        moments.run(after=after)
        if checkpoint is not None:
            checkpoint.save(moments.state(), finished)  # the data pass, the long part, is kept
    central = _central_lockstep(run, kern, coarse, log_lumi, samples, seed, start, bounds, moments)
    if not rest:  # the central fit alone (e.g. theory.inference.scale_refits)
        yield from (central for _ in replicas)
        return
    warm = warm_start(central, start)
    weights = row_weights(run, samples, rest, seed, moments)
    cm = moments.moments("coarse")
    todo = [b for b in rest if b not in finished]
    position = {b: j for j, b in enumerate(rest)}
    losses, rows_w, coarse_w = replica_inputs(
        kern, coarse, log_lumi, [weights[b] for b in todo], [cm[position[b]] for b in todo],
        [replica_centres(run, seed, b) for b in todo], run.lumi_deltas(), run.priors,
    )  # fmt: skip

    t_fit = time.perf_counter()

    def done(j, result):
        share = (time.perf_counter() - t_fit) / len(todo)  # the replica's share so far
        finished[todo[j]] = {**result, "replica": todo[j], "wall_s": share, "cpu_s": share}
        if checkpoint is not None:
            checkpoint.save_if_due(moments.state, finished)

    if todo:
        if device:  # the GPU: everything resident, a round one product
            from theory.inference.lockstep import DeviceEngine

            engine = DeviceEngine(kern, coarse, run.param, run.contour.N, rows_w, coarse_w)
        else:
            engine = LockstepEngine(kern, coarse, run.param, run.contour.N, workers)
        results = drive(engine, losses, rows_w, coarse_w, [warm] * len(todo), bounds, run.fit.max_iterations,
                        run.fit.tolerance, log=done)  # fmt: skip
        for b, r in zip(todo, results, strict=True):
            finished[b] = {**r, "replica": b}
    for b in replicas:
        yield central if b == 0 else finished[b]


def write_chunk(path, rows, attrs):
    """Write a chunk file atomically (see the module docstring for the layout)."""
    with write_hdf5(path) as f:
        write_rows(f, rows)
        for key, value in attrs.items():
            f.attrs[key] = value
        stamp(f.attrs)


def build_tables(run, samples, out_path, log=print):
    """Build the cached kernel of a run's events once (tables/kernel.h5), for every fit job."""
    from theory.kernels.backends.cached import CachedKernel
    from theory.kernels.kernel_io import save_kernel

    problem = run.likelihood_problem(samples)
    t0 = time.perf_counter()
    kernel = CachedKernel(problem)
    seconds = time.perf_counter() - t0
    save_kernel(out_path, kernel, problem, build_seconds=seconds)
    rows = "grid nodes" if run.fit.likelihood == "interpolated" else "events"
    log(f"tables: kernel of {problem.n_events} {rows} x {kernel.M} reals built in {seconds:.2f} s, "
        f"{kernel.nbytes / 1e6:.1f} MB -> {out_path}")  # fmt: skip


def run_chunk(run, chunk, samples, out_path, log=print, tables=None, checkpoint=None):
    """Fit one chunk of replicas of a ``theory.inference.run.Run`` and write its file. Returns the rows.

    ``tables``: a kernel file from ``build_tables`` for the cached backends (else built here).
    ``checkpoint``: the job's checkpoint file (lockstep backends; default ``<out_path>.ckpt``).
    """
    import numba

    from theory.kernels.backends import BACKENDS, make_backend

    fit = run.fit
    total = fit.n_chunks
    if not 0 <= chunk < total:
        raise ConfigError(f"--chunk {chunk} is out of range: this config has chunks 0..{total - 1}")
    problem = run.likelihood_problem(samples)
    t0, c0, started = time.perf_counter(), time.process_time(), time.time()
    options = {}
    if tables is not None and BACKENDS[fit.backend].cached:
        from theory.kernels.kernel_io import load_kernel

        options["kernel"] = load_kernel(tables, problem)
    backend = make_backend(fit.backend, problem, **options)
    source = f"kernel from {tables}" if options else "built here"
    log(f"chunk {chunk}: backend {fit.backend} ready in {time.perf_counter() - t0:.2f} s ({source})")
    replicas = fit.chunk_replicas(chunk)
    rows = []
    if not getattr(backend, "lockstep", False):
        checkpoint = None
    else:
        from theory.inference.checkpoint import Checkpoint, checkpoint_key

        key = checkpoint_key(run.config, replicas, samples, run.names)
        where = checkpoint if checkpoint is not None else f"{out_path}.ckpt"
        checkpoint = Checkpoint(where, key, fit.checkpoint_s, log=lambda m: log(f"chunk {chunk}: {m}"))
    fitted = fit_replicas(run, backend, samples, replicas, numba.get_num_threads(), checkpoint=checkpoint)
    lockstep = getattr(backend, "lockstep", False)  # its rows come together at the end: no estimate
    for done, row in enumerate(fitted, start=1):
        rows.append(row)
        elapsed = time.perf_counter() - t0
        left = "" if lockstep else f", ~{elapsed / done * (len(replicas) - done):.0f} s left"
        log(f"chunk {chunk}: replica {row['replica']} status {row['status']} loss {row['loss']:.6f} "
            f"({row['iterations']} it, {row['evaluations']} ev, {row['unphysical']} unphysical, "
            f"{row['wall_s']:.2f} s); {done}/{len(replicas)} done{left}")  # fmt: skip
    attrs = {
        "chunk": chunk,
        "chunk_size": fit.chunk_size,
        "seed": run.seed,
        "backend": fit.backend,
        "host": socket.gethostname(),
        "threads": numba.get_num_threads(),
        "names": json.dumps(list(run.param.names)),
        "nuisances": json.dumps(list(nuisances(run))),
        "config": json.dumps(run.config),
        "wall_s": time.perf_counter() - t0,
        "cpu_s": time.process_time() - c0,
        "started_epoch": started,
        "finished_epoch": time.time(),
    }
    write_chunk(out_path, rows, attrs)
    if checkpoint is not None:
        checkpoint.clear()
    return rows
