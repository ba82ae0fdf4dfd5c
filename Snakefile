# Event-level PDF fits to inclusive DIS on HPC clusters.
#
# config -> events (p, n) -> tables (kernel) -> fit chunks 0..M-1 -> posterior.h5, timing.h5
# -> plots, report
# and, beside it, the theory core checked end to end (Les Houches benchmark, F2/FL tables).

import os

from snakemake.utils import min_version

min_version("9.0")


configfile: os.path.join(workflow.basedir, "config/smoke.yaml")


include: "workflow/rules/common.smk"
include: "workflow/rules/theory.smk"
include: "workflow/rules/events.smk"
include: "workflow/rules/tables.smk"
include: "workflow/rules/fit.smk"
include: "workflow/rules/aggregate.smk"
include: "workflow/rules/bench.smk"


rule all:
    input:
        theory_targets(),
        fit_targets(),


rule planning:
    """On demand: bench on this cluster and project every cluster's hours (snakemake planning)."""
    input:
        [PATHS.plan(cluster) for cluster in CLUSTERS],
    localrule: True
