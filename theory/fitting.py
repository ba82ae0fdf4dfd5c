"""Bootstrap fits: the theory of a run, replica weights, L-BFGS-B per replica, chunk files.

Replica b >= 1 resamples each target's events with replacement: multinomial counts drawn from
``np.random.default_rng(SeedSequence([seed, b]))`` (p then n), so a replica depends on the run
seed and its index only, never on chunking, backend or scheduling. Replica 0 is the central fit
(all weights 1). Each replica is fitted by L-BFGS-B with the analytic gradient within the
parametrisation's bounds, from the config's start; a replica that does not converge is recorded
with its status and message, never raised.

Chunk file ``fits/chunk_<k>.h5`` (written atomically): datasets ``replica`` (int64),
``params`` [n, P], ``loss``, ``status`` (0 converged, 1 iteration limit, 2 abnormal, 3 error),
``message`` (str), ``iterations``, ``evaluations``, ``wall_s``, ``cpu_s``; attributes
``chunk``, ``chunk_size``, ``seed``, ``backend``, ``host``, ``threads``, ``names`` (JSON),
``config`` (JSON), ``versions`` (JSON), ``created``, ``wall_s``, ``cpu_s``, ``started_epoch``,
``finished_epoch`` (Unix seconds).
"""

import json
import socket
import time

import numpy as np

from .atomic import atomic_path
from .config import ConfigError


class Theory:
    """Everything a run's predictions need, built once from the config."""

    def __init__(self, config):
        from .evolution import EvolutionSetup
        from .kinematics import Cuts
        from .mellin import Contour
        from .pdfs.stats2 import NAMES, Stats2
        from .quadrature import cut_region_nodes
        from .response import ResponseTables

        th = config["theory"]
        self.config = config
        self.setup = EvolutionSetup(th["order"], th["mode"], th["scheme"], th["mu0_2"], th["alpha_s0"],
                                    tuple(th["masses"]))  # fmt: skip
        self.contour = Contour()
        par = config["parametrisation"]
        try:
            self.truth_param = Stats2(kappa=par["kappa"], free=NAMES)
            truth = dict(zip(NAMES, self.truth_param.truth, strict=True))
            for name, value in config["truth"].items():
                if name not in truth:
                    raise ValueError(f"unknown stats2 parameter {name!r} in truth; use one of {', '.join(NAMES)}")
                truth[name] = float(value)
            self.truth = np.array([truth[n] for n in NAMES])
            self.truth_param.check(self.truth)
            self.param = Stats2(kappa=par["kappa"], free=par["free"], fixed={**truth, **par["fixed"]},
                                bounds=par["bounds"])  # fmt: skip
        except ValueError as err:
            raise ConfigError(f"config: {err}") from None
        try:
            self.cuts = Cuts(**config["cuts"])
        except ValueError as err:
            raise ConfigError(f"config: {err}") from None
        self.sqrt_s = float(config["beam"]["sqrt_s"])
        s = self.sqrt_s**2
        self.tables = ResponseTables(self.setup, self.contour, q2_max=s)
        breaks = [t for t in self.setup.scheme.thresholds2 if t > self.cuts.q2_min * (1 + 1e-12)]
        q = config["quadrature"]
        self.quadrature = cut_region_nodes(self.cuts, s, q["n_x"], q["n_q2"], q2_breaks=breaks)
        self.start()  # a bad fit.start stops every command, not only the fits

    def record(self):
        th = self.config["theory"]
        return {**th, "sqrt_s": self.sqrt_s, "contour_nodes": len(self.contour)}

    def start(self):
        """Start values of the free parameters: the parametrisation's defaults and ``fit.start``."""
        values = dict(zip(self.param.names, self.param.start, strict=True))
        for name, value in self.config["fit"]["start"].items():
            if name not in values:
                raise ConfigError(f"config: key 'fit.start.{name}': not a free parameter ({', '.join(values)})")
            values[name] = float(value)
        theta = np.array([values[n] for n in self.param.names])
        try:
            self.param.check(theta)
        except ValueError as err:
            raise ConfigError(f"config: key 'fit.start': {err}") from None
        return theta

    def truth_free(self):
        """The truth of the free parameters (closure tests)."""
        return self.truth[self.param.index]

    def problem(self, samples):
        """The fit Problem of event samples {"p": EventSample, "n": EventSample}."""
        from .backends import Problem

        x = np.concatenate([samples[t].x for t in ("p", "n")])
        Q2 = np.concatenate([samples[t].Q2 for t in ("p", "n")])
        target = np.concatenate([np.full(len(samples[t]), i) for i, t in enumerate(("p", "n"))])
        xq, qq, wq = self.quadrature
        norm = {
            "x": np.concatenate([xq, xq]),
            "Q2": np.concatenate([qq, qq]),
            "target": np.concatenate([np.zeros(len(xq), int), np.ones(len(xq), int)]),
            "weight": np.concatenate([wq * samples["p"].lumi_nb, wq * samples["n"].lumi_nb]),
        }
        lumi = {t: samples[t].lumi_nb for t in ("p", "n")}
        return Problem(self.setup, self.contour, self.param, x, Q2, target, sqrt_s=self.sqrt_s, lumi=lumi,
                       norm=norm, tables=self.tables)  # fmt: skip


def replica_weights(seed, replica, sizes):
    """Bootstrap weights of one replica for targets of the given sizes (p, n), concatenated."""
    if replica == 0:
        return np.ones(sum(sizes))
    rng = np.random.default_rng(np.random.SeedSequence([seed, replica]))
    return np.concatenate([rng.multinomial(n, np.full(n, 1.0 / n)).astype(float) for n in sizes])


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


def chunk_replicas(chunk, chunk_size, replicas):
    """Replica indices of a chunk: 0 (central) .. replicas, chunk_size at a time."""
    first = chunk * chunk_size
    return list(range(first, min(first + chunk_size, replicas + 1)))


def n_chunks(config):
    fit = config["fit"]
    return -(-(fit["replicas"] + 1) // fit["chunk_size"])


def write_chunk(path, rows, attrs):
    """Write a chunk file atomically (see the module docstring for the layout)."""
    import h5py

    with atomic_path(path, ".h5") as tmp, h5py.File(tmp, "w") as f:
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


def build_tables(config, samples, out_path, log=print):
    """Build the cached kernel of a run's events once (tables/kernel.h5), for every fit job."""
    from .backends.cached import CachedKernel
    from .kernel_io import save_kernel

    theory = Theory(config)
    problem = theory.problem(samples)
    t0 = time.perf_counter()
    kernel = CachedKernel(problem)
    seconds = time.perf_counter() - t0
    save_kernel(out_path, kernel, problem, build_seconds=seconds)
    log(f"tables: kernel of {problem.n_events} events x {kernel.M} reals built in {seconds:.2f} s, "
        f"{kernel.nbytes / 1e6:.1f} MB -> {out_path}")  # fmt: skip


def run_chunk(config, chunk, samples, out_path, log=print, tables=None):
    """Fit one chunk of replicas and write its file. Returns the rows.

    ``tables``: a kernel file from ``build_tables`` for the cached backends (else built here).
    """
    import numba

    from .backends import make_backend
    from .kernel_io import versions

    theory = Theory(config)
    fit = config["fit"]
    total = n_chunks(config)
    if not 0 <= chunk < total:
        raise ConfigError(f"--chunk {chunk} is out of range: this config has chunks 0..{total - 1}")
    problem = theory.problem(samples)
    t0, c0, started = time.perf_counter(), time.process_time(), time.time()
    options = {}
    if tables is not None and fit["backend"].startswith("cached"):
        from .kernel_io import load_kernel

        options["kernel"] = load_kernel(tables, problem)
    backend = make_backend(fit["backend"], problem, **options)
    source = f"kernel from {tables}" if options else "built here"
    log(f"chunk {chunk}: backend {fit['backend']} ready in {time.perf_counter() - t0:.2f} s ({source})")
    start = theory.start()
    bounds = [tuple(b) for b in theory.param.bounds]
    sizes = (len(samples["p"]), len(samples["n"]))
    rows = []
    replicas = chunk_replicas(chunk, fit["chunk_size"], fit["replicas"])
    for done, b in enumerate(replicas, start=1):
        w = replica_weights(config["seed"], b, sizes)
        row = fit_replica(backend, w, start, bounds, fit["max_iterations"], fit["tolerance"])
        row["replica"] = b
        rows.append(row)
        elapsed = time.perf_counter() - t0
        left = elapsed / done * (len(replicas) - done)
        log(f"chunk {chunk}: replica {b} status {row['status']} loss {row['loss']:.6f} "
            f"({row['iterations']} it, {row['evaluations']} ev, {row['wall_s']:.2f} s); "
            f"{done}/{len(replicas)} done, ~{left:.0f} s left")  # fmt: skip
    attrs = {
        "chunk": chunk,
        "chunk_size": fit["chunk_size"],
        "seed": config["seed"],
        "backend": fit["backend"],
        "host": socket.gethostname(),
        "threads": numba.get_num_threads(),
        "names": json.dumps(list(theory.param.names)),
        "config": json.dumps(config),
        "versions": json.dumps(versions()),
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "wall_s": time.perf_counter() - t0,
        "cpu_s": time.process_time() - c0,
        "started_epoch": started,
        "finished_epoch": time.time(),
    }
    write_chunk(out_path, rows, attrs)
    return rows
