"""Plots (matplotlib, PNG): a posterior's PDF bands against the truth, pulls, losses; a coverage study."""

import json

import numpy as np

from theory.qcd.flavours import BAND_LABELS


def save_figure(fig, path):
    """Write a figure atomically and close it."""
    import matplotlib.pyplot as plt

    from theory.atomic import atomic_path

    with atomic_path(path, ".png") as tmp:
        fig.savefig(tmp, format="png", dpi=90)
    plt.close(fig)
    return path


def plot_all(posterior_file, out_dir):
    """Write bands.png, pulls.png, loss.png and scales.png into ``out_dir``; returns their paths."""
    import pathlib

    import h5py
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = pathlib.Path(out_dir)
    paths = []
    with h5py.File(posterior_file, "r") as f:
        x = f["bands/x"][...]
        q2 = f["bands/q2"][...]
        names = json.loads(f.attrs["names"])
        fig, axes = plt.subplots(len(q2), 4, figsize=(16, 3.6 * len(q2)), squeeze=False)
        for iq in range(len(q2)):
            for ax, name in zip(axes[iq], ("u_plus", "d_plus", "sea", "g"), strict=True):
                qs = f[f"bands/{name}/quantiles"][iq]
                ax.fill_between(x, qs[0], qs[4], color="C0", alpha=0.25, label="95%")
                ax.fill_between(x, qs[1], qs[3], color="C0", alpha=0.5, label="68%")
                ax.plot(x, qs[2], color="C0", lw=1)
                if f"bands/{name}/truth" in f:  # generated events only
                    ax.plot(x, f[f"bands/{name}/truth"][iq], "k--", lw=1, label="truth")
                ax.set_xscale("log")
                ax.set_title(f"{BAND_LABELS[name]}  Q2 = {q2[iq]:g} GeV2", fontsize=9)
                ax.set_xlabel("x")
        axes[0, 0].legend(fontsize=8)
        fig.tight_layout()
        paths.append(save_figure(fig, out / "bands.png"))

        ok = f["replicas/status"][...] == 0
        params = f["replicas/params"][...][ok]
        full_names = json.loads(f.attrs["names_full"])
        mean, std = f["summary/mean"][...], f["summary/std"][...]
        if "truth_full" in f.attrs:
            ref, label = np.array([f.attrs["truth_full"][full_names.index(n)] for n in names]), "truth"
        else:  # event files: no truth; how far the central fit lies from the replicas' mean
            ref, label = f["central/params"][...], "central fit"
        fig, ax = plt.subplots(figsize=(7, 3.5))
        with np.errstate(divide="ignore", invalid="ignore"):  # a parameter every replica holds at a bound
            pulls = np.where(std > 0, (mean - ref) / np.where(std > 0, std, 1.0), np.nan)
        ax.bar(range(len(names)), pulls)
        ax.axhspan(-1, 1, color="grey", alpha=0.2)
        ax.set_xticks(range(len(names)), names, rotation=30)
        ax.set_ylabel(f"(mean - {label}) / std")
        ax.set_title(f"parameter pulls over {ok.sum()} converged replicas", fontsize=9)
        fig.tight_layout()
        paths.append(save_figure(fig, out / "pulls.png"))

        fig, ax = plt.subplots(figsize=(6, 3.5))
        loss = f["replicas/loss"][...][ok]
        ax.hist(loss - np.median(loss), bins=max(5, int(np.sqrt(len(loss)))))
        ax.set_xlabel("loss - median")
        ax.set_title(f"loss at the minimum, {len(params)} replicas", fontsize=9)
        fig.tight_layout()
        paths.append(save_figure(fig, out / "loss.png"))
        paths.append(_scales_figure(f, plt, out / "scales.png"))
    return paths


def scale_datasets(g):
    """The data sets of posterior.h5's /scales group in the run's order (its ``datasets`` attribute)."""
    import h5py

    if g is None:
        return []
    if "datasets" in g.attrs:
        return json.loads(g.attrs["datasets"])
    return [t for t in g if isinstance(g[t], h5py.Group)]


def _scales_figure(f, plt, path):
    """sigma_r relative to the central fit: the 7-point scale envelope beside the 68% / 95% band."""
    g = f["scales"] if "scales" in f else None
    sets = scale_datasets(g)
    n_q2 = max([len(g[f"{t}/q2"]) for t in sets], default=0)
    fig, axes = plt.subplots(max(1, len(sets)), max(1, n_q2), figsize=(4.5 * max(1, n_q2), 3.2 * max(1, len(sets))),
                             squeeze=False)  # fmt: skip
    if not n_q2:
        axes[0, 0].text(0.5, 0.5, "no band scale inside the cuts", ha="center", transform=axes[0, 0].transAxes)
    for it, t in enumerate(sets):
        d = g[t]
        env, qs, q2 = d["sigma_r"][...], d["quantiles"][...], d["q2"][...]
        label = f"{t} ({d.attrs['target']}, {d.attrs['lepton']} P = {float(d.attrs['polarisation']):g})"
        for iq in range(len(q2)):
            ax, x, ref = axes[it, iq], d["x"][iq], env[0, iq]
            ax.fill_between(x, qs[iq, 0] / ref - 1, qs[iq, 4] / ref - 1, color="C0", alpha=0.2, label="stat 95%")
            ax.fill_between(x, qs[iq, 1] / ref - 1, qs[iq, 3] / ref - 1, color="C0", alpha=0.45, label="stat 68%")
            ax.fill_between(x, env[:, iq].min(axis=0) / ref - 1, env[:, iq].max(axis=0) / ref - 1, facecolor="none",
                            edgecolor="C3", hatch="//", lw=1, label="7-point scales")  # fmt: skip
            ax.axhline(0, color="k", lw=0.5)
            ax.set_xscale("log")
            ax.set_xlabel("x")
            ax.set_title(f"{label}: sigma_r / central - 1, Q2 = {q2[iq]:g} GeV2", fontsize=8)
    axes[0, 0].legend(fontsize=7)
    fig.tight_layout()
    return save_figure(fig, path)


def coverage_plots(coverage_file, out_dir):
    """coverage.png (68% and 95% coverage per combination with binomial errors, and the 68%
    coverage against x) and coverage_pulls.png (parameter pulls: mean and width) of a study."""
    import pathlib

    import h5py
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = pathlib.Path(out_dir)
    with h5py.File(coverage_file, "r") as f:
        K = int(f.attrs["experiments"])
        names = list(f["combinations"])
        x = f["grid/x"][...]
        fig, (ax, bx) = plt.subplots(1, 2, figsize=(13, 4))
        for j, (level, nominal, colour) in enumerate((("68", 0.683, "C0"), ("95", 0.954, "C1"))):
            values = [f[f"combinations/{n}"].attrs[f"cover{level}"] for n in names]
            errors = [f[f"combinations/{n}"].attrs[f"se{level}"] for n in names]
            ax.errorbar(np.arange(len(names)) + 0.15 * (j - 0.5), values, yerr=errors, fmt="o", color=colour,
                        label=f"{level}% band")  # fmt: skip
            ax.axhline(nominal, color=colour, ls="--", lw=1)
        ax.set_xticks(range(len(names)), [BAND_LABELS[n] for n in names], rotation=30, fontsize=8)
        ax.set_ylabel("fraction of experiments covering the truth")
        ax.set_title(f"coverage, K = {K} experiments, pooled over x and scales (s.e. with K)", fontsize=9)
        ax.legend(fontsize=8)
        for n in names:
            inside = f[f"combinations/{n}/inside68"][...]  # [K, n_q2, n_x]
            bx.plot(x, inside.mean(axis=(0, 1)), label=BAND_LABELS[n], lw=1)
        bx.axhline(0.683, color="k", ls="--", lw=1)
        bx.set_xscale("log")
        bx.set_xlabel("x")
        bx.set_ylabel("68% coverage (scales pooled)")
        bx.set_title(f"68% coverage against x, K = {K}", fontsize=9)
        bx.legend(fontsize=6, ncol=2)
        fig.tight_layout()
        paths = [save_figure(fig, out / "coverage.png")]
        pnames = [n.decode() for n in f["parameters/names"][...]]
        mean, width = f["parameters/pull_mean"][...], f["parameters/pull_width"][...]
        fig, ax = plt.subplots(figsize=(8, 3.5))
        ax.errorbar(range(len(pnames)), mean, yerr=width, fmt="o", capsize=3)
        ax.axhspan(-1, 1, color="grey", alpha=0.2)
        ax.axhline(0, color="k", lw=1)
        ax.set_xticks(range(len(pnames)), pnames, rotation=30)
        ax.set_ylabel("(central - truth) / bootstrap std")
        ax.set_title(f"pulls over K = {K} experiments: mean and width (ideal 0 and 1)", fontsize=9)
        fig.tight_layout()
        paths.append(save_figure(fig, out / "coverage_pulls.png"))
    return paths


def scaling_plot(result, out_png):
    """The lockstep engine's cost against the experiment's size, from a ``bench --scaling`` result
    (``theory.pipeline.scaling``): time per request (batched: median with the min-max spread;
    single: one request alone), the data pass per event and replica, and the interpolated
    likelihood's speedup over the exact one (measured where both ran; beyond, the exact one's time
    scaled linearly in N, as the planner does)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
    series = {"exact": ("exact", "cpu"), "interpolated": ("interpolated", "cpu"),
              "interpolated, GPU": ("interpolated", "device")}  # fmt: skip
    by = {label: [r for r in result["rows"] if (r["likelihood"], r.get("engine", "cpu")) == key]
          for label, key in series.items()}  # fmt: skip
    for i, (lik, rows) in enumerate(by.items()):
        if not rows:
            continue
        n = np.array([r["events_per_target"] for r in rows], dtype=float)
        med = np.array([r["full_s_batched"]["median"] for r in rows]) * 1e3
        lo = med - np.array([r["full_s_batched"]["min"] for r in rows]) * 1e3
        hi = np.array([r["full_s_batched"]["max"] for r in rows]) * 1e3 - med
        axes[0].errorbar(n, med, yerr=[lo, hi], marker="o", color=f"C{i}", label=f"{lik}, batched")
        single = np.array([r["full_s_single"]["median"] for r in rows]) * 1e3
        axes[0].plot(n, single, "--", marker="s", color=f"C{i}", label=f"{lik}, single")
        axes[1].plot(n, [r["data_pass_ns_per_event_replica"] for r in rows], marker="o", color=f"C{i}", label=lik)
    if by["exact"] and by["interpolated"]:
        exact = {r["events_per_target"]: r["full_s_batched"]["median"] for r in by["exact"]}
        n_max = max(exact)
        n = np.array([r["events_per_target"] for r in by["interpolated"]], dtype=float)
        t_exact = np.array([exact.get(int(k), exact[n_max] * k / n_max) for k in n])
        speedup = t_exact / np.array([r["full_s_batched"]["median"] for r in by["interpolated"]])
        measured = np.array([int(k) in exact for k in n])
        axes[2].plot(n, speedup, color="C2")
        axes[2].plot(n[measured], speedup[measured], "o", color="C2", label="measured")
        axes[2].plot(n[~measured], speedup[~measured], "o", mfc="none", color="C2",
                     label="exact scaled linearly in N")  # fmt: skip
        axes[2].axhline(1.0, color="k", lw=0.5)
        axes[2].legend(fontsize=8)
    titles = ("time per request (loss, gradient, Gauss-Newton) [ms]", "data pass [ns per event and replica]",
              "speedup of the interpolated likelihood")  # fmt: skip
    for ax, title in zip(axes, titles, strict=True):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("events per target")
        ax.set_title(title, fontsize=9)
    axes[0].legend(fontsize=8)
    axes[1].legend(fontsize=8)
    ratio = result.get("ratio_largest_to_smallest")
    if ratio is not None:
        fig.suptitle(f"{result['threads']} thread(s), {result['replicas']} requests a round; interpolated at the "
                     f"largest size over the smallest: {ratio:.2f}", fontsize=10)  # fmt: skip
    fig.tight_layout()
    return save_figure(fig, out_png)
