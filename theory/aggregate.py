"""Merge fit chunks into the posterior: replicas, summary, PDF bands, timing and provenance.

``posterior.h5``:
    /replicas/{index, params [n, P], params_full [n, 9], loss, status, iterations, evaluations,
               message}            bootstrap replicas 1..R in index order
    /central/{params, params_full, loss, status}     replica 0 (unweighted events)
    /summary/{mean [P], covariance [P, P], std [P]}  over converged replicas (status 0)
    /bands/x [n_x], /bands/q2 [n_q2], /bands/levels [5] (0.025, 0.16, 0.5, 0.84, 0.975)
    /bands/<combination>/quantiles [n_q2, 5, n_x]    x times the PDF combination
    /bands/<combination>/central [n_q2, n_x], /bands/<combination>/truth [n_q2, n_x]
    attrs: names (JSON, free parameters), names_full, config (JSON), seed, n_replicas,
           n_converged, versions (JSON), git_commit, created
Combinations: u_v, d_v, sea (= ubar = dbar), g, u_plus = u + ubar, d_plus = d + dbar, and the
photon-weighted sums p_dis = (4 u+ + d+ + s+)/9 and n_dis = (4 d+ + u+ + s+)/9 that F2^p and
F2^n measure at LO.

``timing.h5``: dataset ``jobs`` (compound; ``pandas.DataFrame(h5py.File(f)["jobs"][...])``)
with chunk, host, backend, threads, replicas, evaluations, wall_s, cpu_s, s_per_evaluation,
start_epoch, end_epoch (Unix seconds: a Gantt chart of the jobs).
"""

import json
import os
import subprocess
import time

import numpy as np

from .atomic import atomic_path

COMBINATIONS = ("u_v", "d_v", "sea", "g", "u_plus", "d_plus", "p_dis", "n_dis")
LEVELS = (0.025, 0.16, 0.5, 0.84, 0.975)


def combinations(f):
    """x-independent PDF combinations from flavour vectors f[..., 13] (same leading shape)."""
    dp, up, sp = f[..., 1], f[..., 2], f[..., 3]
    dm, um = f[..., 7], f[..., 8]
    sea = 0.5 * (up - um)
    return {
        "u_v": um,
        "d_v": dm,
        "sea": sea,
        "g": f[..., 0],
        "u_plus": up,
        "d_plus": dp,
        "p_dis": (4.0 * up + dp + sp) / 9.0,
        "n_dis": (4.0 * dp + up + sp) / 9.0,
    }


def band_grid(config):
    b = config["bands"]
    n_log = b["n_x"] // 2
    lo = np.geomspace(b["x_min"], min(0.1, b["x_max"]), n_log, endpoint=False)
    hi = np.linspace(min(0.1, b["x_max"]), b["x_max"], b["n_x"] - n_log)
    x = np.unique(np.concatenate([lo, hi]))
    q2 = np.unique(np.concatenate([[config["theory"]["mu0_2"]], b["q2"]]))
    return x, q2


def pdf_values(theory, thetas_full, x, q2):
    """x f for every combination: {name: [n_sets, n_q2, n_x]} from full parameter sets."""
    contour = theory.contour
    f0, _ = theory.truth_param.moments_batch(contour.N, np.atleast_2d(thetas_full))
    K = contour.kernel(x)  # [n_x, nodes]
    out = {name: np.empty((f0.shape[0], len(q2), len(x))) for name in COMBINATIONS}
    for iq, mu2 in enumerate(q2):
        E = theory.setup.operators(contour.N, mu2)  # [nodes, 13, 13]
        f = np.einsum("jab,sjb->sja", E, f0)  # [sets, nodes, 13]
        fx = np.imag(np.einsum("xj,sja->sxa", K, f))  # [sets, n_x, 13]
        for name, values in combinations(fx).items():
            out[name][:, iq, :] = x * values
    return out


def read_chunks(paths, log=None):
    import h5py

    rows = {k: [] for k in ("replica", "params", "loss", "status", "iterations", "evaluations", "message")}
    jobs = []
    names = None
    for done, path in enumerate(paths, start=1):
        if log and (done % max(1, len(paths) // 10) == 0 or done == len(paths)):
            log(f"aggregate: read {done}/{len(paths)} chunks")
        with h5py.File(path, "r") as f:
            for key in rows:
                data = f[key][...]
                rows[key].append(data.astype(str) if key == "message" else data)
            names = json.loads(f.attrs["names"])
            jobs.append({
                "chunk": int(f.attrs["chunk"]), "host": str(f.attrs["host"]), "backend": str(f.attrs["backend"]),
                "threads": int(f.attrs["threads"]), "replicas": len(f["replica"]),
                "evaluations": int(f["evaluations"][...].sum()), "wall_s": float(f.attrs["wall_s"]),
                "cpu_s": float(f.attrs["cpu_s"]), "start": float(f.attrs.get("started_epoch", np.nan)),
                "end": float(f.attrs.get("finished_epoch", np.nan)),
            })  # fmt: skip
    merged = {k: np.concatenate(v) for k, v in rows.items()}
    order = np.argsort(merged["replica"])
    return {k: v[order] for k, v in merged.items()}, jobs, names


def git_commit():
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10,
                             cwd=os.path.dirname(os.path.abspath(__file__)))  # fmt: skip
        return out.stdout.strip() if out.returncode == 0 else "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def aggregate(config, chunk_files, posterior_file, timing_file, log=print):
    """Merge chunk files into posterior.h5 and timing.h5 (both written atomically)."""

    from .fitting import Theory, n_chunks
    from .kernel_io import versions

    missing = [str(p) for p in chunk_files if not os.path.isfile(p)]
    if missing:
        raise FileNotFoundError(
            f"missing fit chunk {missing[0]} ({len(missing)} of {n_chunks(config)}); rerun the fits"
        )
    t0 = time.perf_counter()
    theory = Theory(config)
    rows, jobs, names = read_chunks(chunk_files, log)
    expected = np.arange(config["fit"]["replicas"] + 1)
    if not np.array_equal(rows["replica"], expected):
        raise ValueError(f"chunks hold replicas {rows['replica'].tolist()[:5]}..., not 0..{expected[-1]}")
    full = theory.param.full(rows["params"])
    central = 0
    boot = np.arange(1, len(expected))
    ok = boot[rows["status"][boot] == 0]
    log(f"aggregate: {len(boot)} replicas, {len(ok)} converged; PDF bands ...")
    x, q2 = band_grid(config)
    values = pdf_values(theory, full, x, q2)
    truth_values = pdf_values(theory, theory.truth[None], x, q2)
    P = rows["params"][ok]
    mean = P.mean(axis=0) if len(ok) else np.full(len(names), np.nan)
    cov = np.cov(P, rowvar=False).reshape(len(names), len(names)) if len(ok) > 1 else np.full((len(names),) * 2, np.nan)
    parts = (rows, full, boot, central, ok, mean, cov, names, theory, x, q2, values, truth_values, config, versions())
    _write_atomic(posterior_file, lambda f: _posterior(f, *parts))
    _write_atomic(timing_file, lambda f: _timing(f, jobs))
    log(f"aggregate: wrote {posterior_file} and {timing_file} in {time.perf_counter() - t0:.1f} s")
    return {"converged": len(ok), "replicas": len(boot)}


def _posterior(f, rows, full, boot, central, ok, mean, cov, names, theory, x, q2, values, truth_values, config, vers):
    import h5py

    g = f.create_group("replicas")
    g["index"] = rows["replica"][boot]
    g["params"] = rows["params"][boot]
    g["params_full"] = full[boot]
    for key in ("loss", "status", "iterations", "evaluations"):
        g[key] = rows[key][boot]
    g.create_dataset("message", data=rows["message"][boot].astype(object), dtype=h5py.string_dtype())
    c = f.create_group("central")
    c["params"] = rows["params"][central]
    c["params_full"] = full[central]
    c["loss"] = rows["loss"][central]
    c["status"] = rows["status"][central]
    s = f.create_group("summary")
    s["mean"] = mean
    s["covariance"] = cov
    s["std"] = np.sqrt(np.diag(cov))
    b = f.create_group("bands")
    b["x"] = x
    b["q2"] = q2
    b["levels"] = np.array(LEVELS)
    for name, v in values.items():
        sub = b.create_group(name)
        sel = v[ok] if len(ok) else np.full((1,) + v.shape[1:], np.nan)
        sub["quantiles"] = np.moveaxis(np.quantile(sel, LEVELS, axis=0), 0, 1)
        sub["central"] = v[central]
        sub["truth"] = truth_values[name][0]
    f.attrs["names"] = json.dumps(list(names))
    f.attrs["names_full"] = json.dumps(list(theory.truth_param.names))
    f.attrs["truth_full"] = theory.truth
    f.attrs["config"] = json.dumps(config)
    f.attrs["seed"] = config["seed"]
    f.attrs["n_replicas"] = len(boot)
    f.attrs["n_converged"] = len(ok)
    f.attrs["versions"] = json.dumps(vers)
    f.attrs["git_commit"] = git_commit()
    f.attrs["created"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")


def _timing(f, jobs):
    fields = [("chunk", "i8"), ("host", "S64"), ("backend", "S32"), ("threads", "i8"), ("replicas", "i8"),
              ("evaluations", "i8"), ("wall_s", "f8"), ("cpu_s", "f8"), ("s_per_evaluation", "f8"),
              ("start_epoch", "f8"), ("end_epoch", "f8")]  # fmt: skip
    dtype = np.dtype(fields)
    table = np.zeros(len(jobs), dtype=dtype)
    for i, j in enumerate(sorted(jobs, key=lambda j: j["chunk"])):
        table[i] = (j["chunk"], j["host"].encode()[:64], j["backend"].encode()[:32], j["threads"], j["replicas"],
                    j["evaluations"], j["wall_s"], j["cpu_s"], j["wall_s"] / max(1, j["evaluations"]), j["start"],
                    j["end"])  # fmt: skip
    f.create_dataset("jobs", data=table)


def _write_atomic(path, writer):
    import h5py

    with atomic_path(path, ".h5") as tmp, h5py.File(tmp, "w") as f:
        writer(f)


def closure(posterior_file, combos=("u_plus", "d_plus"), x_range=(0.01, 0.7)):
    """Fractions of (combination, scale, x) points in x_range where the truth lies inside the
    68% and the 95% bands: {"68": f68, "95": f95, "points": n} (the closure test of issue 5)."""
    import h5py

    with h5py.File(posterior_file, "r") as f:
        x = f["bands/x"][...]
        sel = (x >= x_range[0]) & (x <= x_range[1])
        in68 = in95 = total = 0
        for name in combos:
            q = f[f"bands/{name}/quantiles"][...][:, :, sel]  # [n_q2, 5, n_x]
            t = f[f"bands/{name}/truth"][...][:, sel]
            in68 += int(np.sum((t >= q[:, 1]) & (t <= q[:, 3])))
            in95 += int(np.sum((t >= q[:, 0]) & (t <= q[:, 4])))
            total += t.size
    return {"68": in68 / total, "95": in95 / total, "points": total}
