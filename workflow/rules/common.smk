# Config validation (defaults filled in from the schema) and the target lists. File names come
# from the theory package (theory.paths), so the rules hold few path strings of their own.

from pathlib import Path

from theory import paths as _paths
from theory.config import ConfigError, validate as _validate
from theory.fitting import n_chunks as _n_chunks

try:
    _validate(config, "config")
except ConfigError as _err:
    raise SystemExit(f"error: {_err}")

RESULTS_ROOT = "results"
RUN = config["run"]
RESULTS = str(_paths.run_dir(config, RESULTS_ROOT))


wildcard_constraints:
    order="lo|nlo",
    scheme="ffns[3-6]|vfns",
    target="p|n",
    chunk=r"\d+",
    cluster="tinkercliffs|summit-style|local",


def results_root(wildcards, input):
    """The results root of a job, from where its resolved config lies (results/<run>/config.yaml)."""
    return str(Path(input.config).parents[1])


def write_resolved_config(cfg, path):
    import yaml
    from theory.atomic import atomic_path

    with atomic_path(path, ".yaml") as tmp, open(tmp, "w") as handle:
        yaml.safe_dump(cfg, handle, sort_keys=False)


def fit_chunks():
    return [str(_paths.chunk_path(config, k, RESULTS_ROOT)) for k in range(_n_chunks(config))]


def event_inputs(wildcards):
    """The resolved config and the two event samples (generated unless files are configured)."""
    files = config["events"].get("files", {})
    inputs = {"config": f"{RESULTS}/config.yaml"}
    for t in ("p", "n"):
        inputs[t] = files.get(t) or f"{RESULTS}/events/{t}.h5"
    return inputs


def fit_inputs(wildcards):
    """Events plus, for the cached backends, the shared kernel (built once by build_tables)."""
    inputs = event_inputs(wildcards)
    if config["fit"]["backend"].startswith("cached"):
        inputs["kernel"] = f"{RESULTS}/tables/kernel.h5"
    return inputs


def theory_targets():
    """Benchmark comparison and structure-function tables of the theory stage."""
    return [f"{RESULTS}/theory/lha_check.json"] + [
        f"{RESULTS}/theory/sf_{target}.json" for target in config["sf"]["targets"]
    ]


def fit_targets():
    """Posterior, timing and plots of the fit stages."""
    return [f"{RESULTS}/posterior.h5", f"{RESULTS}/timing.h5", f"{RESULTS}/report.html"] + [
        f"{RESULTS}/plots/{name}.png" for name in ("bands", "pulls", "loss")
    ]
