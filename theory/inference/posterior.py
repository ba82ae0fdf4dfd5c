"""Merge fit chunks into the posterior: replicas, summary, PDF bands, timing and provenance.

``posterior.h5``:
    /replicas/{index, params [n, P], params_full [n, 9], lumi [n, T], loss, status, iterations,
               evaluations, jacobians, unphysical, message}   bootstrap replicas 1..R in index order
    /central/{params, params_full, lumi, loss, status}     replica 0 (unweighted events)
    /summary/{mean [P], covariance [P, P], std [P]}  over converged replicas (status 0)
    /summary/{lumi_mean [T], lumi_std [T]}           the luminosity nuisances likewise (T data sets)
    /bands/x [n_x], /bands/q2 [n_q2], /bands/levels [5] (0.025, 0.16, 0.5, 0.84, 0.975)
    /bands/<combination>/quantiles [n_q2, 5, n_x]    x times the PDF combination
    /bands/<combination>/central [n_q2, n_x], /bands/<combination>/truth [n_q2, n_x] (only for
                                     generated events: a fit of event files knows no truth)
    /scales/points [7, 2] (xi_R, xi_F; row 0 = 1, 1), /scales/levels [5]  (attrs: process, datasets
                                     (JSON: the data sets' names in the run's order))
    /scales/<data set>/q2 [k], /scales/<data set>/x [k, n_x]  the band scales inside the data set's
                                     cuts, x log-spaced across its x range there
    /scales/<data set>/sigma_r [7, k, n_x]  the central fit's sigma_r of the data set (its target
                                     and beam) at each scale point (mu_R = xi_R Q, mu_F = xi_F Q, both
                                     floored at Q0; theory.qcd.scales.SEVEN_POINT); attrs target,
                                     lepton, polarisation, sqrt_s
    /scales/<data set>/quantiles [k, 5, n_x]  the converged replicas' sigma_r at xi = 1: the
                                     statistical band beside the scale envelope
    attrs: names (JSON, free parameters), names_full, nuisances (JSON), priors (JSON {name:
           [mean, sigma]}), truth_full (generated events only), config (JSON), seed, n_replicas,
           n_converged, versions (JSON), git_commit, created
Combinations (``theory.qcd.flavours.BANDS``): u_v, d_v, sea (= ubar = dbar), g, u_plus = u + ubar,
d_plus = d + dbar, and the photon-weighted sums p_dis = (4 u+ + d+ + s+)/9 and
n_dis = (4 d+ + u+ + s+)/9 that F2^p and F2^n measure at LO.

``timing.h5``: dataset ``jobs`` (compound; ``pandas.DataFrame(h5py.File(f)["jobs"][...])``)
with chunk, host, backend, threads, replicas, evaluations, wall_s, cpu_s, s_per_evaluation,
start_epoch, end_epoch (Unix seconds: a Gantt chart of the jobs).
"""

import json
import os
import time

import numpy as np

from theory.atomic import write_hdf5
from theory.inference.fits import nuisances
from theory.provenance import stamp
from theory.qcd.flavours import BANDS, evaluate

COMBINATIONS = tuple(BANDS)
LEVELS = (0.025, 0.16, 0.5, 0.84, 0.975)
SCALE_X_POINTS = 10
"""x points per Q^2 of the scale envelope, log-spaced across the cut region at that Q^2."""


def pdf_values(run, thetas_full, x, q2):
    """x f for every band combination: {name: [n_sets, n_q2, n_x]} from full parameter sets."""
    f0 = run.truth_param.moment_values(run.contour.N, np.atleast_2d(thetas_full))
    out = {name: np.empty((f0.shape[0], len(q2), len(x))) for name in COMBINATIONS}
    for iq, mu2 in enumerate(q2):
        fx = run.setup.pdfs_at(run.contour, f0, x, mu2)  # [sets, n_x, 13]
        for name, values in evaluate(BANDS, fx).items():
            out[name][:, iq, :] = x * values
    return out


def scale_points(run, dataset, n_x=SCALE_X_POINTS):
    """(q2 [k], x [k, n_x]): the band scales inside a data set's cut region, each with x log-spaced
    across the x range its cuts allow there
    (x in [Q^2/(y_max s), min(x_max, Q^2/(y_min s), Q^2/(Q^2 + W2_min - M^2))])."""
    from theory.qcd.constants import M_PROTON

    st = run.set(dataset)
    c, s = st.cuts, st.s
    q2s, xs = [], []
    for q2 in run.settings.bands.q2:
        lo = q2 / (c.y_max * s)
        hi = min(c.x_max, q2 / (c.y_min * s), q2 / (q2 + c.w2_min - M_PROTON**2))
        if q2 >= c.q2_min and lo < hi:
            q2s.append(float(q2))
            xs.append(np.geomspace(lo * (1 + 1e-9), hi * (1 - 1e-9), n_x))
    return np.array(q2s), np.array(xs).reshape(len(q2s), n_x)


def sigma_r_at_points(run, f0, q2, x, dataset, scales=None):
    """sigma_r of input moments f0[..., n_N, 13] at ``scale_points`` (q2 [k], x [k, n_x]) for a data
    set (its target, beam and sqrt(s); the run's process), at ``scales`` (default xi = 1): [..., k, n_x]."""
    from theory.dis.predictions import sigma_r

    st = run.set(dataset)
    return np.stack([sigma_r(run.setup, run.contour, f0, x[iq], mu2, st.sqrt_s, st.target, run.process, st.beam,
                             run.ew, scales, st.correction) for iq, mu2 in enumerate(q2)], axis=-2)  # fmt: skip


def scale_envelope(run, central_full, replicas_full):
    """{data set: (q2 [k], x [k, n_x], sigma_r [7, k, n_x] of the central fit at the 7 scale points,
    quantiles [k, 5, n_x] of the replicas at xi = 1)} at each data set's ``scale_points``."""
    from theory.qcd.scales import SEVEN_POINT, Scales

    f0c = run.truth_param.moment_values(run.contour.N, np.atleast_2d(central_full))[0]
    f0 = run.truth_param.moment_values(run.contour.N, np.atleast_2d(replicas_full)) if len(replicas_full) else None
    out = {}
    for t in run.names:
        q2, x = scale_points(run, t)
        env = np.stack([sigma_r_at_points(run, f0c, q2, x, t, Scales(*xi)) for xi in SEVEN_POINT])
        qs = np.full((len(q2), len(LEVELS), x.shape[1]), np.nan)
        if f0 is not None:
            qs = np.moveaxis(np.quantile(sigma_r_at_points(run, f0, q2, x, t), LEVELS, axis=0), 0, 1)
        out[t] = (q2, x, env, qs)
    return out


def read_chunks(paths, log=None):
    import h5py

    rows = {k: [] for k in ("replica", "params", "lumi", "loss", "status", "iterations", "evaluations", "jacobians",
                            "unphysical", "message")}  # fmt: skip
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


def aggregate(run, chunk_files, posterior_file, timing_file, log=print):
    """Merge a run's chunk files into posterior.h5 and timing.h5 (both written atomically)."""
    missing = [str(p) for p in chunk_files if not os.path.isfile(p)]
    if missing:
        raise FileNotFoundError(
            f"missing fit chunk {missing[0]} ({len(missing)} of {run.fit.n_chunks}); rerun the fits"
        )
    t0 = time.perf_counter()
    rows, jobs, names = read_chunks(chunk_files, log)
    expected = np.arange(run.fit.replicas + 1)
    if not np.array_equal(rows["replica"], expected):
        raise ValueError(f"chunks hold replicas {rows['replica'].tolist()[:5]}..., not 0..{expected[-1]}")
    full = run.param.full(rows["params"])
    central = 0
    boot = np.arange(1, len(expected))
    ok = boot[rows["status"][boot] == 0]
    log(f"aggregate: {len(boot)} replicas, {len(ok)} converged; PDF bands ...")
    x, q2 = run.band_grid()
    values = pdf_values(run, full, x, q2)
    truth_values = pdf_values(run, run.truth[None], x, q2) if run.settings.generated else None
    P = rows["params"][ok]
    mean = P.mean(axis=0) if len(ok) else np.full(len(names), np.nan)
    cov = np.cov(P, rowvar=False).reshape(len(names), len(names)) if len(ok) > 1 else np.full((len(names),) * 2, np.nan)
    log("aggregate: 7-point scale envelope of sigma_r ...")
    scales = (run, scale_envelope(run, full[central], full[ok]))
    parts = (rows, full, boot, central, ok, mean, cov, names, run, x, q2, values, truth_values, run.config)
    with write_hdf5(posterior_file) as f:
        _posterior(f, *parts)
        _scales(f, *scales)
    with write_hdf5(timing_file) as f:
        _timing(f, jobs)
    log(f"aggregate: wrote {posterior_file} and {timing_file} in {time.perf_counter() - t0:.1f} s")
    return {"converged": len(ok), "replicas": len(boot)}


def _posterior(f, rows, full, boot, central, ok, mean, cov, names, run, x, q2, values, truth_values, config):
    import h5py

    g = f.create_group("replicas")
    g["index"] = rows["replica"][boot]
    g["params"] = rows["params"][boot]
    g["params_full"] = full[boot]
    for key in ("lumi", "loss", "status", "iterations", "evaluations", "jacobians", "unphysical"):
        g[key] = rows[key][boot]
    g.create_dataset("message", data=rows["message"][boot].astype(object), dtype=h5py.string_dtype())
    c = f.create_group("central")
    c["params"] = rows["params"][central]
    c["params_full"] = full[central]
    c["lumi"] = rows["lumi"][central]
    c["loss"] = rows["loss"][central]
    c["status"] = rows["status"][central]
    s = f.create_group("summary")
    s["mean"] = mean
    s["covariance"] = cov
    s["std"] = np.sqrt(np.diag(cov))
    lumi = rows["lumi"][ok] if len(ok) else np.full((1, rows["lumi"].shape[1]), np.nan)
    s["lumi_mean"] = lumi.mean(axis=0)
    s["lumi_std"] = lumi.std(axis=0, ddof=1) if len(lumi) > 1 else np.full(lumi.shape[1], np.nan)
    b = f.create_group("bands")
    b["x"] = x
    b["q2"] = q2
    b["levels"] = np.array(LEVELS)
    for name, v in values.items():
        sub = b.create_group(name)
        sel = v[ok] if len(ok) else np.full((1,) + v.shape[1:], np.nan)
        sub["quantiles"] = np.moveaxis(np.quantile(sel, LEVELS, axis=0), 0, 1)
        sub["central"] = v[central]
        if truth_values is not None:
            sub["truth"] = truth_values[name][0]
    f.attrs["names"] = json.dumps(list(names))
    f.attrs["names_full"] = json.dumps(list(run.truth_param.names))
    f.attrs["nuisances"] = json.dumps(list(nuisances(run)))
    f.attrs["priors"] = json.dumps({k: list(v) for k, v in run.settings.parametrisation.priors.items()})
    if truth_values is not None:
        f.attrs["truth_full"] = run.truth
    f.attrs["config"] = json.dumps(config)
    f.attrs["seed"] = run.seed
    f.attrs["n_replicas"] = len(boot)
    f.attrs["n_converged"] = len(ok)
    stamp(f.attrs)


def _scales(f, run, envelope):
    from theory.qcd.scales import SEVEN_POINT

    g = f.create_group("scales")
    g["points"] = np.array(SEVEN_POINT)
    g["levels"] = np.array(LEVELS)
    g.attrs["process"] = run.process
    g.attrs["datasets"] = json.dumps(list(envelope))  # the run's order (HDF5 lists groups by name)
    for name, (q2, x, env, qs) in envelope.items():
        st = run.set(name)
        d = g.create_group(name)
        d["q2"], d["x"], d["sigma_r"], d["quantiles"] = q2, x, env, qs
        d.attrs.update({"target": st.target, "lepton": st.beam.lepton, "polarisation": st.beam.polarisation,
                        "sqrt_s": st.sqrt_s})  # fmt: skip


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


def timing_frame(timing_file):
    """timing.h5's ``jobs`` as one pandas DataFrame (strings decoded), one row per fit job."""
    import h5py
    import pandas as pd

    with h5py.File(timing_file, "r") as f:
        frame = pd.DataFrame(f["jobs"][...])
    for name in ("host", "backend"):
        frame[name] = frame[name].str.decode("utf-8")
    return frame


def closure(posterior_file, combos=("u_plus", "d_plus"), x_range=(0.01, 0.7)):
    """Fractions of (combination, scale, x) points in x_range where the truth lies inside the
    68% and the 95% bands: {"68": f68, "95": f95, "points": n}; None for a fit of event files
    (no truth). One pseudo-experiment says little: ``theory.inference.coverage`` is the test."""
    import h5py

    with h5py.File(posterior_file, "r") as f:
        if "truth_full" not in f.attrs:
            return None
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
