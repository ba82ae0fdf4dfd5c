# Config validation (defaults filled in from the schema), the run's paths and the registries' names.
# Every file name comes from theory.pipeline.paths (one RunPaths object, PATHS) and every
# enumeration from the package's registries: the rules spell no path strings of their own.

import re
from pathlib import Path

from theory.inference.run import RunSettings
from theory.kernels.backends import BACKENDS
from theory.pipeline.config import ConfigError, validate as _validate
from theory.pipeline.paths import (
    COVERAGE_PLOTS,
    DEFAULT_ROOT,
    GANTT_PLOT,
    POSTERIOR_PLOTS,
    SCALING_PLOT,
    RunPaths,
    refdata,
)
from theory.pipeline.plan import CLUSTERS
from theory.pipeline.scaling import sizes_for
from theory.qcd.evolution import ORDERS
from theory.qcd.flavours import TARGETS
from theory.qcd.scheme import SCHEMES

try:
    _validate(config, "config")
except ConfigError as _err:
    raise SystemExit(f"error: {_err}")

RESULTS_ROOT = DEFAULT_ROOT
SETTINGS = RunSettings.from_config(config)
PATHS = RunPaths.of(SETTINGS, RESULTS_ROOT)
BACKEND = BACKENDS[SETTINGS.fit.backend]
# The priority of the jobs the run's end waits for (events -> kernel -> fits): on a few cores the
# scheduler starts them before the Les Houches and structure-function checks.
CRITICAL_PATH = 10


def one_of(names):
    """A wildcard constraint matching exactly the given registry names."""
    return "|".join(map(re.escape, names))


wildcard_constraints:
    order=one_of(ORDERS),
    scheme=one_of(SCHEMES),
    target=one_of(TARGETS),
    dataset=one_of(SETTINGS.names),
    chunk=r"\d+",
    cluster=one_of(CLUSTERS),


def results_root(wildcards, input):
    """The results root of a job, from where its resolved config lies (results/<run>/config.yaml)."""
    return str(Path(input.config).parents[1])


def resolved_config_text(cfg):
    """The validated config (every default filled in) as the YAML text resolve_config writes.
    Built here, at parse time, so that the job is one shell line (a job with a ``run`` block is
    spawned as a second Snakemake process, which parses the whole workflow again, ~3 s).
    """
    import yaml

    return yaml.safe_dump(cfg, sort_keys=False)


def fit_chunks():
    return PATHS.chunks(SETTINGS.fit.n_chunks)


def event_inputs(wildcards):
    """The resolved config, the Numba warm-up and every data set's events (generated unless a file
    is configured)."""
    inputs = {"config": PATHS.config, "warmup": PATHS.warmup}
    for ds in SETTINGS.datasets:
        inputs[f"events_{ds.name}"] = ds.file or PATHS.events(ds.name)
    return inputs


def fit_inputs(wildcards):
    """Events plus, for the cached backends, the shared kernel (built once by build_tables)."""
    inputs = event_inputs(wildcards)
    if BACKEND.cached:
        inputs["kernel"] = PATHS.kernel
    return inputs


def scaling_sizes():
    """Events per target the scaling study measures: the decades below the run's largest data set, and it."""
    return sizes_for(max(ds.expected for ds in SETTINGS.datasets))


def theory_targets():
    """Benchmark comparison and structure-function tables of the theory stage."""
    return [PATHS.lha_check] + [
        PATHS.sf_table(target) for target in config["sf"]["targets"]
    ]


def fit_targets():
    """Posterior, timing and plots of the fit stages."""
    return [PATHS.posterior, PATHS.timing, PATHS.report] + [
        PATHS.plot(name) for name in POSTERIOR_PLOTS
    ]
