"""Coverage: do the bootstrap bands contain the truth as often as they claim? The real closure test.

A study runs K independent pseudo-experiments from one truth (config ``coverage``). Experiment k
has its own run seed s_k (from the study's seed and k), so its own Poisson event counts, events,
measured luminosities, bootstrap weights and luminosity centres, exactly as a run of that seed
would (``theory.inference.events``, ``theory.inference.replicas``); it is fitted like any run:
the central fit and R bootstrap replicas, all nine parameters free unless configured, the truth
never handed to a fit. Then, for every band combination (``theory.qcd.flavours.BANDS``: x u_v,
x d_v, x sea, x g, x(u+ubar), x(d+dbar) and the two DIS combinations) on the study's grid (x
log-spaced in [x_min, x_max], Q^2 = Q0^2 and the configured scales):

- coverage: the fraction of experiments whose 68% (16-84% quantiles of the replicas) and 95%
  (2.5-97.5%) bands contain the truth, pooled over the x points and scales. Points of one
  experiment are correlated, so the binomial standard error is quoted with K, the conservative
  end: sqrt(p (1 - p) / K);
- the bias-variance ratio of NNPDF's closure tests (NNPDF4.0, Eur. Phys. J. C 82 (2022) 428,
  section 6; Del Debbio et al., Eur. Phys. J. C 82 (2022) 330):
  R_bv = sqrt( sum (replica mean - truth)^2 / sum replica variance ), sums over experiments, x
  and scales (1 for a faithful uncertainty), and xi_1sigma, the fraction of points whose truth
  lies within one replica standard deviation of the replica mean (0.68 for Gaussian bands);
- pulls of every parameter and luminosity nuisance: (central fit - truth) / bootstrap std, their
  mean (0 unbiased) and width (1 faithful), over the experiments whose central fit converged; a
  pull is NaN (left out) where all of an experiment's replicas sit on one bound. The nuisance's
  truth is L(true) / L(measured) of the experiment's event samples.

Chunk files ``coverage/chunk_<c>.h5`` (one per job of ``chunk_size`` experiments, written
atomically, so a study restarts where it stopped): datasets with a leading experiment axis:
``experiment``, ``seed``, ``n_events`` [k, T], ``central`` [k, P], ``params`` [k, R, P],
``status`` [k, R + 1], ``lumi`` [k, R + 1, T], ``lumi_truth`` [k, T] (T data sets), ``wall_s`` [k] and per
combination ``bands/<name>/{quantiles [k, 5, n_q2, n_x], mean, var, central [k, n_q2, n_x]}``.

``coverage.h5`` (the study): ``/grid/{x, q2}``, ``/truth/<name>`` [n_q2, n_x],
``/combinations/<name>/{cover68, cover95, r_bv, xi1sigma}`` (attributes, and ``inside68``,
``inside95`` [K, n_q2, n_x] boolean datasets), ``/parameters/{names, truth, pulls [K, P + 2]}``
with ``pull_mean``, ``pull_width``, ``/experiments/{seed, n_events, converged, wall_s}``;
attributes ``experiments``, ``replicas``, ``seed``, ``truth`` (JSON), ``config`` (JSON) and the
provenance stamp.
"""

import json
import time

import numpy as np

from theory.atomic import write_hdf5
from theory.inference.events import generate
from theory.inference.fits import fit_replicas, nuisances
from theory.inference.posterior import COMBINATIONS, LEVELS, pdf_values
from theory.provenance import stamp

EXPERIMENT_KEYS = ("experiment", "seed", "n_events", "central", "params", "status", "lumi", "lumi_truth", "wall_s")
BAND_KEYS = ("quantiles", "mean", "var", "central")
"""The datasets of a chunk file: per experiment, and per combination under ``bands/<name>/``."""
SEED_STREAM = 4000
"""Experiment k's run seed: SeedSequence([study seed, SEED_STREAM, k]), one 32-bit word."""


def experiment_seed(seed, k):
    """The run seed of pseudo-experiment k of a study."""
    return int(np.random.SeedSequence([int(seed), SEED_STREAM, int(k)]).generate_state(1)[0])


def study_run(config):
    """The Run of a study: the config with its truth replaced by ``coverage.truth`` where given."""
    from theory.inference.run import Run

    cov = config["coverage"]
    return Run.from_config({**config, "truth": {**config["truth"], **cov["truth"]}})


def grid(run):
    """(x, Q^2) of the study's coverage grid."""
    c = run.settings.coverage
    x = np.geomspace(c.x_min, c.x_max, c.n_x)
    q2 = np.unique(np.concatenate([[run.settings.theory.mu0_2], c.q2]))
    return x, q2


def run_experiment(run, k, workers=1, log=None):
    """Generate, fit and summarise pseudo-experiment k of a study run. Returns a dict of arrays."""
    from theory.kernels.backends import make_backend

    t0 = time.perf_counter()
    cov = run.settings.coverage
    seed = experiment_seed(cov.seed, k)
    samples = {st.name: generate(run, st.settings.expected, st.name, run.truth, seed, st.settings.lumi_uncertainty)
               for st in run.sets}  # fmt: skip
    backend = make_backend(run.fit.backend, run.likelihood_problem(samples))
    sizes = {t: len(samples[t]) for t in run.names}
    rows = list(fit_replicas(run, backend, samples, range(cov.replicas + 1), workers, seed))
    params = np.array([r["params"] for r in rows])
    status = np.array([r["status"] for r in rows])
    lumi = np.array([r["lumi"] for r in rows])
    ok = np.flatnonzero(status[1:] == 0) + 1
    x, q2 = grid(run)
    values = pdf_values(run, run.param.full(params[np.concatenate([[0], ok])]), x, q2)
    bands = {}
    for name, v in values.items():
        reps = v[1:]
        bands[name] = {
            "quantiles": np.quantile(reps, LEVELS, axis=0),
            "mean": reps.mean(axis=0),
            "var": reps.var(axis=0, ddof=1),
            "central": v[0],
        }
    lumi_truth = np.array([samples[t].meta["lumi_true_nb"] / samples[t].lumi_nb for t in run.names])
    out = {"experiment": k, "seed": seed, "n_events": [sizes[t] for t in run.names], "central": params[0],
           "params": params[1:], "status": status, "lumi": lumi, "lumi_truth": lumi_truth,
           "wall_s": time.perf_counter() - t0, "bands": bands}  # fmt: skip
    if log:
        log(f"coverage: experiment {k} (seed {seed}): {sum(sizes.values())} events, {len(ok)}/{cov.replicas} "
            f"replicas converged, central status {status[0]}, {out['wall_s']:.1f} s")  # fmt: skip
    return out


def run_chunk(run, chunk, out_path, workers=1, log=print):
    """Run one chunk of a study's experiments and write its file atomically."""
    cov = run.settings.coverage
    if not 0 <= chunk < cov.n_chunks:
        raise ValueError(f"coverage chunk {chunk} is out of range: this study has chunks 0..{cov.n_chunks - 1}")
    results = [run_experiment(run, k, workers, log) for k in cov.chunk_experiments(chunk)]
    with write_hdf5(out_path) as f:
        for key in EXPERIMENT_KEYS:
            f[key] = np.array([r[key] for r in results])
        for name in COMBINATIONS:
            for key in BAND_KEYS:
                f[f"bands/{name}/{key}"] = np.array([r["bands"][name][key] for r in results])
        f.attrs["chunk"] = chunk
        f.attrs["names"] = json.dumps(list(run.param.names))
        f.attrs["config"] = json.dumps(run.config)
        stamp(f.attrs)
    return results


def _read(paths):
    import h5py

    parts = []
    for path in paths:
        with h5py.File(path, "r") as f:
            parts.append(
                {k: f[k][...] for k in EXPERIMENT_KEYS}
                | {f"bands/{n}/{k}": f[f"bands/{n}/{k}"][...] for n in COMBINATIONS for k in BAND_KEYS}
            )
    merged = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    order = np.argsort(merged["experiment"])
    return {k: v[order] for k, v in merged.items()}


def summarise(run, data):
    """Coverage, R_bv, xi_1sigma per combination and the parameter pulls from merged chunk data."""
    x, q2 = grid(run)
    truth = {n: v[0] for n, v in pdf_values(run, run.truth[None], x, q2).items()}
    K = len(data["experiment"])
    combos = {}
    for name in COMBINATIONS:
        q = data[f"bands/{name}/quantiles"]  # [K, 5, n_q2, n_x]
        t = truth[name][None]
        inside68 = (t >= q[:, 1]) & (t <= q[:, 3])
        inside95 = (t >= q[:, 0]) & (t <= q[:, 4])
        mean, var = data[f"bands/{name}/mean"], data[f"bands/{name}/var"]
        c68, c95 = float(inside68.mean()), float(inside95.mean())
        combos[name] = {
            "cover68": c68,
            "cover95": c95,
            "se68": float(np.sqrt(c68 * (1 - c68) / K)),
            "se95": float(np.sqrt(c95 * (1 - c95) / K)),
            "r_bv": float(np.sqrt(np.sum((mean - t) ** 2) / np.sum(var))),
            "xi1sigma": float(np.mean(np.abs(mean - t) <= np.sqrt(var))),
            "inside68": inside68,
            "inside95": inside95,
        }
    names = list(run.param.names) + list(nuisances(run))
    ptruth = np.concatenate([np.broadcast_to(run.truth_free(), (K, run.param.n_params)), data["lumi_truth"]], axis=1)
    central = np.concatenate([data["central"], data["lumi"][:, 0]], axis=1)
    reps = np.concatenate([data["params"], data["lumi"][:, 1:]], axis=2)  # [K, R, P + T]
    ok = data["status"][:, 1:] == 0
    std = np.array([[np.std(reps[k][ok[k], p], ddof=1) for p in range(reps.shape[2])] for k in range(K)])
    with np.errstate(divide="ignore", invalid="ignore"):  # a parameter whose replicas all sit on a bound
        pulls = np.where(std > 0, (central - ptruth) / np.where(std > 0, std, 1.0), np.nan)
    good = data["status"][:, 0] == 0
    pull_mean, pull_width = np.full(len(names), np.nan), np.full(len(names), np.nan)
    for p in range(len(names)):
        v = pulls[good, p][np.isfinite(pulls[good, p])]
        if len(v) > 1:
            pull_mean[p], pull_width[p] = v.mean(), v.std(ddof=1)
    return {
        "grid": (x, q2),
        "truth": truth,
        "combinations": combos,
        "names": names,
        "parameter_truth": ptruth,
        "pulls": pulls,
        "pull_mean": pull_mean,
        "pull_width": pull_width,
        "experiments": K,
        "converged": ok.sum(axis=1),
    }


def aggregate(run, chunk_files, out_path, log=print):
    """Merge a study's chunk files into coverage.h5 (atomically); returns the summary."""
    import os

    missing = [str(p) for p in chunk_files if not os.path.isfile(p)]
    if missing:
        raise FileNotFoundError(f"missing coverage chunk {missing[0]} ({len(missing)} of {len(chunk_files)}); rerun it")
    data = _read(chunk_files)
    res = summarise(run, data)
    cov = run.settings.coverage
    with write_hdf5(out_path) as f:
        f["grid/x"], f["grid/q2"] = res["grid"]
        for name, values in res["truth"].items():
            f[f"truth/{name}"] = values
        for name, c in res["combinations"].items():
            g = f.create_group(f"combinations/{name}")
            for key in ("cover68", "cover95", "se68", "se95", "r_bv", "xi1sigma"):
                g.attrs[key] = c[key]
            g["inside68"], g["inside95"] = c["inside68"], c["inside95"]
        p = f.create_group("parameters")
        p["names"] = np.array(res["names"], dtype=object).astype("S")
        p["truth"], p["pulls"] = res["parameter_truth"], res["pulls"]
        p["pull_mean"], p["pull_width"] = res["pull_mean"], res["pull_width"]
        e = f.create_group("experiments")
        e["seed"], e["n_events"], e["converged"], e["wall_s"] = (data["seed"], data["n_events"], res["converged"],
                                                                  data["wall_s"])  # fmt: skip
        e["central_status"] = data["status"][:, 0]
        f.attrs["experiments"] = res["experiments"]
        f.attrs["replicas"] = cov.replicas
        f.attrs["seed"] = cov.seed
        f.attrs["truth"] = json.dumps(dict(zip(run.truth_param.names, map(float, run.truth), strict=True)))
        f.attrs["config"] = json.dumps(run.config)
        stamp(f.attrs)
    log(format_summary(res))
    return res


def format_summary(res):
    """The study as a text table: coverage with standard errors, R_bv and xi_1sigma, then pulls."""
    K = res["experiments"]
    lines = [f"coverage over K = {K} experiments (binomial s.e. with K), pooled over x and scales:",
             f"{'combination':<12} {'68%':>13} {'95%':>13} {'R_bv':>6} {'xi_1s':>6}"]  # fmt: skip
    for name, c in res["combinations"].items():
        lines.append(f"{name:<12} {c['cover68']:6.3f}+-{c['se68']:.3f} {c['cover95']:6.3f}+-{c['se95']:.3f} "
                     f"{c['r_bv']:6.2f} {c['xi1sigma']:6.2f}")  # fmt: skip
    lines.append("pulls (central - truth) / bootstrap std: mean, width")
    for n, m, w in zip(res["names"], res["pull_mean"], res["pull_width"], strict=True):
        lines.append(f"  {n:<8} {m:+6.2f} {w:5.2f}")
    return "\n".join(lines)
