"""File names of a run: the package owns them, the workflow asks (legend-simflow style).

results/<run>/events/{p,n}.h5       generated or copied events
results/<run>/tables/kernel.h5      the cached kernel (workflow stage 2)
results/<run>/fits/chunk_<k>.h5     one file per fit job
results/<run>/posterior.h5          merged replicas, summary, PDF bands, provenance
results/<run>/timing.h5             one row per fit job
results/<run>/plots/*.png           bands, pulls, loss distribution
"""

import pathlib


def run_dir(config, root="results"):
    return pathlib.Path(root) / config["run"]


def events_path(config, target, root="results"):
    return run_dir(config, root) / "events" / f"{target}.h5"


def kernel_path(config, root="results"):
    return run_dir(config, root) / "tables" / "kernel.h5"


def chunk_path(config, chunk, root="results"):
    return run_dir(config, root) / "fits" / f"chunk_{chunk}.h5"


def posterior_path(config, root="results"):
    return run_dir(config, root) / "posterior.h5"


def timing_path(config, root="results"):
    return run_dir(config, root) / "timing.h5"


def plots_dir(config, root="results"):
    return run_dir(config, root) / "plots"
