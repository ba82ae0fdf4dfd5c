"""Plots of a posterior (matplotlib, PNG): PDF bands against the truth, pulls, losses."""

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
    """Write bands.png, pulls.png and loss.png into ``out_dir``; returns their paths."""
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
        truth = np.array([f.attrs["truth_full"][full_names.index(n)] for n in names])
        mean, std = f["summary/mean"][...], f["summary/std"][...]
        fig, ax = plt.subplots(figsize=(7, 3.5))
        pulls = (mean - truth) / std
        ax.bar(range(len(names)), pulls)
        ax.axhspan(-1, 1, color="grey", alpha=0.2)
        ax.set_xticks(range(len(names)), names, rotation=30)
        ax.set_ylabel("(mean - truth) / std")
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
    return paths
