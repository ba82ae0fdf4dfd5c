# Event-level PDF fits to inclusive DIS on HPC clusters.
#
# Stage 1 (this file today): the theory core, checked end to end. The Les Houches benchmark
# is evolved for every order and flavour scheme of the config and compared with the reference
# tables; F2 and FL are tabulated for p and n. Later stages (events, kernel tables, fit chunks,
# aggregation, report; see ../shared/DESIGN.md section 3) add their rule files here.

from snakemake.utils import min_version

min_version("9.0")


configfile: "config/smoke.yaml"


include: "workflow/rules/common.smk"
include: "workflow/rules/theory.smk"


rule all:
    input:
        theory_targets(),
