"""Bootstrap fits: L-BFGS-B per replica, chunk files, the shared kernel file.

Replica weights come from ``theory.inference.replicas`` (a replica depends on the run seed and its
index only, never on chunking, backend or scheduling; replica 0 is the central fit). Each
replica is fitted by L-BFGS-B with the analytic gradient within the parametrisation's bounds,
from the config's start; a replica that does not converge is recorded with its status and
message, never raised.

Chunk file ``fits/chunk_<k>.h5`` (written atomically): datasets ``replica`` (int64),
``params`` [n, P], ``loss``, ``status`` (0 converged, 1 iteration limit, 2 abnormal, 3 error),
``message`` (str), ``iterations``, ``evaluations``, ``wall_s``, ``cpu_s``; attributes
``chunk``, ``chunk_size``, ``seed``, ``backend``, ``host``, ``threads``, ``names`` (JSON),
``config`` (JSON), ``versions`` (JSON), ``created``, ``git_commit``, ``wall_s``, ``cpu_s``,
``started_epoch``, ``finished_epoch`` (Unix seconds).
"""

import json
import socket
import time

import numpy as np

from theory.atomic import write_hdf5
from theory.inference.replicas import replica_weights
from theory.inference.run import ConfigError
from theory.provenance import stamp
from theory.qcd.flavours import TARGETS


def fit_replica(backend, weights, start, bounds, max_iterations, tolerance):
    """L-BFGS-B on one replica; returns a dict of the outcome (never raises on non-convergence)."""
    from scipy.optimize import minimize

    calls = [0]

    def fun(theta):
        calls[0] += 1
        L, g = backend.loss_and_grad(theta[None], weights[None])
        if not np.isfinite(L[0]):
            return 1e300, np.zeros_like(theta)
        return float(L[0]), g[0]

    t0, c0 = time.perf_counter(), time.process_time()
    try:
        res = minimize(fun, start, jac=True, method="L-BFGS-B", bounds=bounds,
                       options={"maxiter": max_iterations, "gtol": tolerance, "ftol": 1e-13})  # fmt: skip
        status = 0 if res.success else (1 if res.status == 1 else 2)
        out = {"params": res.x, "loss": float(res.fun), "status": status, "message": str(res.message),
               "iterations": int(res.nit)}  # fmt: skip
    except Exception as err:  # a failed replica is recorded, the chunk goes on
        out = {"params": np.full(len(start), np.nan), "loss": np.nan, "status": 3,
               "message": f"{type(err).__name__}: {err}", "iterations": 0}  # fmt: skip
    out["evaluations"] = calls[0]
    out["wall_s"] = time.perf_counter() - t0
    out["cpu_s"] = time.process_time() - c0
    return out


def write_chunk(path, rows, attrs):
    """Write a chunk file atomically (see the module docstring for the layout)."""
    import h5py

    with write_hdf5(path) as f:
        f.create_dataset("replica", data=np.array([r["replica"] for r in rows], dtype=np.int64))
        f.create_dataset("params", data=np.array([r["params"] for r in rows], dtype=float).reshape(len(rows), -1))
        for key in ("loss", "wall_s", "cpu_s"):
            f.create_dataset(key, data=np.array([r[key] for r in rows], dtype=float))
        for key in ("status", "iterations", "evaluations"):
            f.create_dataset(key, data=np.array([r[key] for r in rows], dtype=np.int64))
        f.create_dataset("message", data=np.array([r["message"] for r in rows], dtype=object),
                         dtype=h5py.string_dtype())  # fmt: skip
        for key, value in attrs.items():
            f.attrs[key] = value
        stamp(f.attrs)


def build_tables(run, samples, out_path, log=print):
    """Build the cached kernel of a run's events once (tables/kernel.h5), for every fit job."""
    from theory.kernels.backends.cached import CachedKernel
    from theory.kernels.kernel_io import save_kernel

    problem = run.problem(samples)
    t0 = time.perf_counter()
    kernel = CachedKernel(problem)
    seconds = time.perf_counter() - t0
    save_kernel(out_path, kernel, problem, build_seconds=seconds)
    log(f"tables: kernel of {problem.n_events} events x {kernel.M} reals built in {seconds:.2f} s, "
        f"{kernel.nbytes / 1e6:.1f} MB -> {out_path}")  # fmt: skip


def run_chunk(run, chunk, samples, out_path, log=print, tables=None):
    """Fit one chunk of replicas of a ``theory.inference.run.Run`` and write its file. Returns the rows.

    ``tables``: a kernel file from ``build_tables`` for the cached backends (else built here).
    """
    import numba

    from theory.kernels.backends import BACKENDS, make_backend

    fit = run.fit
    total = fit.n_chunks
    if not 0 <= chunk < total:
        raise ConfigError(f"--chunk {chunk} is out of range: this config has chunks 0..{total - 1}")
    problem = run.problem(samples)
    t0, c0, started = time.perf_counter(), time.process_time(), time.time()
    options = {}
    if tables is not None and BACKENDS[fit.backend].cached:
        from theory.kernels.kernel_io import load_kernel

        options["kernel"] = load_kernel(tables, problem)
    backend = make_backend(fit.backend, problem, **options)
    source = f"kernel from {tables}" if options else "built here"
    log(f"chunk {chunk}: backend {fit.backend} ready in {time.perf_counter() - t0:.2f} s ({source})")
    start = run.start()
    bounds = [tuple(b) for b in run.param.bounds]
    sizes = tuple(len(samples[t]) for t in TARGETS)
    rows = []
    replicas = fit.chunk_replicas(chunk)
    for done, b in enumerate(replicas, start=1):
        w = replica_weights(run.seed, b, sizes)
        row = fit_replica(backend, w, start, bounds, fit.max_iterations, fit.tolerance)
        row["replica"] = b
        rows.append(row)
        elapsed = time.perf_counter() - t0
        left = elapsed / done * (len(replicas) - done)
        log(f"chunk {chunk}: replica {b} status {row['status']} loss {row['loss']:.6f} "
            f"({row['iterations']} it, {row['evaluations']} ev, {row['wall_s']:.2f} s); "
            f"{done}/{len(replicas)} done, ~{left:.0f} s left")  # fmt: skip
    attrs = {
        "chunk": chunk,
        "chunk_size": fit.chunk_size,
        "seed": run.seed,
        "backend": fit.backend,
        "host": socket.gethostname(),
        "threads": numba.get_num_threads(),
        "names": json.dumps(list(run.param.names)),
        "config": json.dumps(run.config),
        "wall_s": time.perf_counter() - t0,
        "cpu_s": time.process_time() - c0,
        "started_epoch": started,
        "finished_epoch": time.time(),
    }
    write_chunk(out_path, rows, attrs)
    return rows
