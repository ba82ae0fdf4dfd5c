"""One self-contained HTML page per run: bands, closure, benchmark and planner tables, job timing.

``results/<run>/report.html`` embeds its PNGs (base64), so it can be mailed or archived alone.
It shows what exists: the bench and plan tables appear once ``snakemake planning`` has run, the
coverage section once the run's coverage study (``snakemake coverage``) has.
"""

import base64
import html
import json
import pathlib
import time

import numpy as np

from theory.qcd.flavours import BAND_LABELS


def gantt(timing_file, out_png):
    """Per-job timeline (one bar per fit job, from start to end) as a PNG."""
    import h5py
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from theory.pipeline.plots import save_figure

    with h5py.File(timing_file, "r") as f:
        jobs = f["jobs"][...]
    start = jobs["start_epoch"] - np.nanmin(jobs["start_epoch"])
    length = jobs["end_epoch"] - jobs["start_epoch"]
    hosts = [h.decode() for h in jobs["host"]]
    fig, ax = plt.subplots(figsize=(8, 0.25 * len(jobs) + 1.5))
    colours = {h: f"C{i}" for i, h in enumerate(sorted(set(hosts)))}
    ax.barh(jobs["chunk"], length, left=start, color=[colours[h] for h in hosts])
    ax.set_xlabel("seconds since the first fit job started")
    ax.set_ylabel("fit chunk")
    ax.set_title(f"{len(jobs)} fit jobs on {len(colours)} host(s)", fontsize=9)
    fig.tight_layout()
    save_figure(fig, out_png)


def _img(path):
    data = base64.b64encode(pathlib.Path(path).read_bytes()).decode()
    return f'<img src="data:image/png;base64,{data}" style="max-width:100%">'


def _table(headers, rows):
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def coverage_section(paths):
    """The coverage study's section: the table with K and standard errors, pulls and plots."""
    import h5py

    from theory.pipeline.paths import COVERAGE_PLOTS

    with h5py.File(paths.coverage, "r") as f:
        K, R = int(f.attrs["experiments"]), int(f.attrs["replicas"])
        rows = []
        for name in f["combinations"]:
            a = f[f"combinations/{name}"].attrs
            c68, c95 = f"{a['cover68']:.3f} +- {a['se68']:.3f}", f"{a['cover95']:.3f} +- {a['se95']:.3f}"
            rows.append((BAND_LABELS[name], c68, c95, f"{a['r_bv']:.2f}", f"{a['xi1sigma']:.2f}"))
        pulls = [(n.decode(), f"{m:+.2f}", f"{w:.2f}") for n, m, w in zip(f["parameters/names"][...],
                 f["parameters/pull_mean"][...], f["parameters/pull_width"][...], strict=True)]  # fmt: skip
    head = (f"<h2>Coverage</h2><p>K = {K} pseudo-experiments x {R} replicas; coverage pooled over x and scales, "
            "binomial standard errors with K</p>")  # fmt: skip
    return (head + _table(["combination", "68% coverage", "95% coverage", "R_bv", "xi_1sigma"], rows)
            + _table(["parameter", "pull mean", "pull width"], pulls)
            + "".join(_img(paths.plot(name)) for name in COVERAGE_PLOTS if paths.plot(name).is_file()))  # fmt: skip


def scales_section(paths):
    """The theory uncertainty a real-data user must see: the central fit's sigma_r under the 7-point
    scale variation beside the statistical band, with the largest relative sizes per Q^2."""
    import h5py
    import numpy as np

    from theory.pipeline.plots import scale_datasets

    rows = []
    with h5py.File(paths.posterior, "r") as f:
        if "scales" not in f:
            return ""
        g = f["scales"]
        for t in scale_datasets(g):
            env, qs = g[f"{t}/sigma_r"][...], g[f"{t}/quantiles"][...]
            for iq, q2 in enumerate(g[f"{t}/q2"][...]):
                ref = env[0, iq]
                scale = np.max(np.abs(env[:, iq] / ref - 1))
                stat = np.nanmax((qs[iq, 3] - qs[iq, 1]) / (2 * ref))
                rows.append((t, f"{q2:g}", f"{100 * scale:.2f}%", f"{100 * stat:.3f}%"))
    note = ("<p>mu_R = xi_R Q, mu_F = xi_F Q, (xi_R, xi_F) in {1/2, 1, 2}^2 without the opposite corners, both "
            "floored at Q0; the central fit's parameters held fixed (not refitted).</p>")  # fmt: skip
    page = ("<h2>Theory uncertainty: scale variation of sigma_r</h2>" + note + _img(paths.plot("scales"))
            + _table(["data set", "Q2 GeV2", "max |scale envelope|", "max stat 68% half-width"], rows))  # fmt: skip
    if paths.scale_refits.is_file():  # on demand: snakemake scale_refits / python -m theory scale-refits
        r = json.loads(paths.scale_refits.read_text())
        shifts = r.get("shift_in_std")
        table = [(f"{xr:g}, {xf:g}", st, *("-" if s is None else f"{s:+.2f}" for s in (shifts[i] if shifts else [])))
                 for i, ((xr, xf), st) in enumerate(zip(r["points"], r["status"], strict=True))]  # fmt: skip
        env = [(t, f"{q2:g}", f"{100 * e:.2f}%") for t, values in r["envelope"].items()
               for q2, e in zip(r["q2"][t], values, strict=True)]  # fmt: skip
        page += ("<h3>The central fit refitted at each scale point</h3><p>parameter shifts in bootstrap standard "
                 "deviations against xi = (1, 1)</p>" + _table(["xi_R, xi_F", "status", *r["names"]], table)
                 + _table(["data set", "Q2 GeV2", "max |refitted envelope|"], env))  # fmt: skip
    return page


def scaling_section(paths):
    """The lockstep engine's cost against the events (``snakemake scaling`` / ``planning``)."""
    from theory.pipeline.paths import SCALING_PLOT
    from theory.pipeline.scaling import table_rows

    r = json.loads(paths.scaling.read_text())
    rows = table_rows(r)
    cells = [[f"{v:.3g}" if isinstance(v, float) else v for v in row.values()] for row in rows]
    ratios = [f"{label}: {r[key]:.2f}" for key, label in (
        ("ratio_largest_to_smallest", "interpolated, largest size over smallest"),
        ("ratio_largest_to_exact_smallest", "interpolated at the largest size over exact at the smallest"))
        if key in r]  # fmt: skip
    plot = paths.plot(SCALING_PLOT)
    return (f"<h2>Scaling with the events ({r['threads']} thread(s), {r['replicas']} requests a round)</h2>"
            f"<p>{html.escape('; '.join(ratios))}</p>" + _table(list(rows[0]) if rows else [], cells)
            + (_img(plot) if plot.is_file() else ""))  # fmt: skip


def build(name, paths):
    """Write the report page of a finished run (``paths``: its ``RunPaths``); returns the page's path."""
    import h5py

    from theory.atomic import atomic_path
    from theory.inference.posterior import closure
    from theory.pipeline.paths import GANTT_PLOT

    gantt(paths.timing, paths.plot(GANTT_PLOT))
    parts = [f"<h1>Run {html.escape(name)}</h1>", f"<p>made {time.strftime('%Y-%m-%d %H:%M:%S')}</p>"]
    with h5py.File(paths.posterior, "r") as f:
        names = json.loads(f.attrs["names"])
        summary = [(n, f"{m:.4f}", f"{s:.4f}") for n, m, s in zip(names, f["summary/mean"][...], f["summary/std"][...],
                                                                   strict=True)]  # fmt: skip
        summary += [(n, f"{m:.4f}", f"{s:.4f}") for n, m, s in zip(json.loads(f.attrs["nuisances"]),
                    f["summary/lumi_mean"][...], f["summary/lumi_std"][...], strict=True)]  # fmt: skip
        priors = json.loads(f.attrs["priors"])
        parts.append(f"<p>{int(f.attrs['n_converged'])} of {int(f.attrs['n_replicas'])} replicas converged; "
                     f"git {html.escape(str(f.attrs['git_commit']))}; seed {int(f.attrs['seed'])}</p>")  # fmt: skip
    parts.append(
        "<h2>Parameters</h2>"
        + _table(["parameter", "mean", "std"], summary)
        + "<p>lumi_t: luminosity nuisances L(true)/L(measured), Gaussian-constrained and profiled.</p>"
    )
    if priors:
        parts.append("<h2>Priors</h2>" + _table(["parameter", "mean", "sigma"], [(k, *v) for k, v in priors.items()]))
    c = closure(paths.posterior)
    if c is not None:  # a fit of event files knows no truth
        parts.append(f"<h2>Closure</h2><p>truth of x(u+ubar), x(d+dbar) inside the 68% band at {c['68']:.0%} and "
                     f"the 95% band at {c['95']:.0%} of {c['points']} points (x in [0.01, 0.7], all scales; one "
                     "pseudo-experiment: the coverage study is the real test)</p>")  # fmt: skip
    parts.append("<h2>PDF bands</h2>" + _img(paths.plot("bands")))
    parts.append("<h2>Pulls and losses</h2>" + _img(paths.plot("pulls")) + _img(paths.plot("loss")))
    parts.append(scales_section(paths))
    parts.append("<h2>Fit jobs</h2>" + _img(paths.plot(GANTT_PLOT)))
    with h5py.File(paths.timing, "r") as f:
        jobs = f["jobs"][...]
    rows = [(int(j["chunk"]), j["host"].decode(), j["backend"].decode(), int(j["replicas"]), int(j["evaluations"]),
             f"{j['wall_s']:.1f}", f"{1e3 * j['s_per_evaluation']:.2f}") for j in jobs]  # fmt: skip
    parts.append(_table(["chunk", "host", "backend", "replicas", "evaluations", "wall s", "ms/evaluation"], rows))
    bench = paths.bench
    if bench.is_file():
        b = json.loads(bench.read_text())
        rows = []
        for k, v in b["time_per_evaluation"].items():
            rows.append((k, f"{v['seconds']:.4g}" if v.get("seconds") else "-",
                         f"{v['speedup']:.1f}x" if v.get("speedup") else "-"))  # fmt: skip
        parts.append(f"<h2>Benchmark ({b['config']['events']} events, {html.escape(b['machine']['cpu'])})</h2>"
                     + _table(["backend", "s per evaluation", "speedup"], rows))  # fmt: skip
    if paths.scaling.is_file():
        parts.append(scaling_section(paths))
    for plan in paths.plans():
        p = json.loads(plan.read_text())
        rows = [(r["backend"], f"{r['seconds_per_evaluation']:.4g}", r["jobs"], f"{r['wall_hours']:.3f}",
                 f"{r['node_hours']:.3f}", f"{r['gpu_hours']:.3f}") for r in p["rows"]]  # fmt: skip
        parts.append(f"<h2>Plan: {html.escape(p['cluster'])}, {p['nodes']} node(s)</h2>"
                     + _table(["backend", "s/eval", "jobs", "wall h", "node-h", "GPU-h"], rows))  # fmt: skip
    if paths.coverage.is_file():
        parts.append(coverage_section(paths))
    style = ("body{font-family:sans-serif;max-width:1100px;margin:auto}table{border-collapse:collapse}"
             "td,th{border:1px solid #ccc;padding:2px 8px}")  # fmt: skip
    head = f"<!doctype html><html><head><meta charset='utf-8'><title>report</title><style>{style}</style></head>"
    page = head + "<body>" + "".join(parts) + "</body></html>"
    with atomic_path(paths.report, ".html") as tmp:
        pathlib.Path(tmp).write_text(page)
    return paths.report
