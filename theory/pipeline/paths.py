"""Every file name of a run: the package owns them, the rules and the commands ask (legend-simflow style).

    <root>/<run>/config.yaml                   the validated config every job reads
    <root>/<run>/warmup.json                   Numba kernels compiled once (cache folder, seconds)
    <root>/<run>/events/{p,n}.h5               generated (or copied) events
    <root>/<run>/tables/kernel.h5              the cached kernel (workflow stage 2)
    <root>/<run>/fits/chunk_<k>.h5             one file per fit job (chunk_<k>.h5.ckpt while it runs)
    <root>/<run>/posterior.h5                  merged replicas, summary, PDF bands, provenance
    <root>/<run>/timing.h5                     one row per fit job
    <root>/<run>/plots/{bands,pulls,loss,scales,timing}.png
    <root>/<run>/report.html                   the run's page
    <root>/<run>/lhapdf/                       the LHAPDF6 export (on demand)
    <root>/<run>/bench.json, plan_<cluster>.json   benchmark and planner tables (on demand)
    <root>/<run>/scaling.json, plots/scaling.png    the lockstep engine's cost against N (on demand)
    <root>/<run>/theory/lha_<order>_<scheme>.json, lha_check.json, sf_<target>.json
    <root>/<run>/logs/<job>.log, benchmarks/<job>.tsv

Arguments may be Snakemake wildcards ("{target}", "{chunk}"): the methods then give the rules'
patterns.
"""

import pathlib

REPOSITORY = pathlib.Path(__file__).resolve().parents[2]
"""The checkout the package runs from (its data/, config/ and profiles/ sit beside theory/)."""
REFDATA_DIRS = (REPOSITORY.parent / "shared" / "refdata", REPOSITORY / "data" / "refdata")
"""Where published reference tables are looked up: ../shared/refdata first, then the copy in data/refdata."""

PROFILES = REPOSITORY / "profiles"
"""The shipped Snakemake profiles, one folder each (``python -m theory profiles install``)."""

DEFAULT_ROOT = "results"
POSTERIOR_PLOTS = ("bands", "pulls", "loss", "scales")
"""Plots of ``theory plot`` (``theory.pipeline.plots``)."""
GANTT_PLOT = "timing"
"""The fit jobs' Gantt chart (``theory.pipeline.report``)."""
COVERAGE_PLOTS = ("coverage", "coverage_pulls")
"""Plots of a coverage study (``theory.pipeline.plots.coverage_plots``)."""
SCALING_PLOT = "scaling"
"""Time per evaluation and data pass against the events (``theory.pipeline.plots.scaling_plot``)."""


def refdata(name):
    """A reference file (``data/refdata/<name>``, or ../shared/refdata's); FileNotFoundError names both."""
    for folder in REFDATA_DIRS:
        if (folder / name).is_file():
            return folder / name
    raise FileNotFoundError(f"reference file {name} is in neither {' nor '.join(map(str, REFDATA_DIRS))}")


class RunPaths:
    """The files of one run under ``<root>/<run>/``."""

    def __init__(self, run, root=DEFAULT_ROOT):
        self.run = str(run)
        self.root = pathlib.Path(root)
        self.dir = self.root / self.run

    @classmethod
    def of(cls, settings, root=DEFAULT_ROOT):
        """The paths of a run's settings (``theory.inference.run.RunSettings``)."""
        return cls(settings.name, root)

    @property
    def config(self):
        return self.dir / "config.yaml"

    def events(self, dataset):
        """A data set's generated events (``theory.inference.events``)."""
        return self.dir / "events" / f"{dataset}.h5"

    @property
    def warmup(self):
        return self.dir / "warmup.json"

    @property
    def kernel(self):
        return self.dir / "tables" / "kernel.h5"

    def chunk(self, chunk):
        return self.dir / "fits" / f"chunk_{chunk}.h5"

    def checkpoint(self, chunk):
        """A fit job's checkpoint (``theory.inference.checkpoint``), removed once its chunk is written."""
        return self.dir / "fits" / f"chunk_{chunk}.h5.ckpt"

    def chunks(self, n_chunks):
        return [self.chunk(k) for k in range(n_chunks)]

    @property
    def posterior(self):
        return self.dir / "posterior.h5"

    @property
    def timing(self):
        return self.dir / "timing.h5"

    @property
    def plots_dir(self):
        return self.dir / "plots"

    def plot(self, name):
        return self.plots_dir / f"{name}.png"

    @property
    def report(self):
        return self.dir / "report.html"

    @property
    def lhapdf(self):
        return self.dir / "lhapdf"

    @property
    def scale_refits(self):
        """The central fit at the 7 scale points (``theory.inference.scale_refits``)."""
        return self.dir / "scales" / "refits.json"

    @property
    def bench(self):
        return self.dir / "bench.json"

    @property
    def scaling(self):
        return self.dir / "scaling.json"

    def plan(self, cluster):
        return self.dir / f"plan_{cluster}.json"

    def plans(self):
        """The planner tables that exist, sorted."""
        return sorted(self.dir.glob("plan_*.json"))

    def lha_table(self, order, scheme):
        return self.dir / "theory" / f"lha_{order}_{scheme}.json"

    @property
    def lha_check(self):
        return self.dir / "theory" / "lha_check.json"

    def sf_table(self, target):
        return self.dir / "theory" / f"sf_{target}.json"

    def coverage_chunk(self, chunk):
        return self.dir / "coverage" / f"chunk_{chunk}.h5"

    def coverage_chunks(self, n_chunks):
        return [self.coverage_chunk(k) for k in range(n_chunks)]

    @property
    def coverage(self):
        return self.dir / "coverage.h5"

    def log(self, job):
        return self.dir / "logs" / f"{job}.log"

    def benchmark(self, job):
        return self.dir / "benchmarks" / f"{job}.tsv"
