# Stage 4: posterior, timing and plots.


rule aggregate:
    """Merge every fit chunk into posterior.h5 (replicas, summary, PDF bands) and timing.h5."""
    input:
        config=PATHS.config,
        chunks=fit_chunks(),
    output:
        posterior=PATHS.posterior,
        timing=PATHS.timing,
    log:
        PATHS.log("aggregate"),
    benchmark:
        PATHS.benchmark("aggregate")
    conda:
        "../../envs/theory.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=20,
    params:
        root=results_root,
    shell:
        "python -m theory aggregate --config {input.config} --results {params.root} > {log} 2>&1"


rule plot_posterior:
    """PDF bands against the truth, parameter pulls and the loss distribution."""
    input:
        config=PATHS.config,
        posterior=PATHS.posterior,
    output:
        **{
            name: report(
                PATHS.plot(name),
                caption=f"../report/{name}.rst",
                category="Posterior",
                labels={"figure": name},
            )
            for name in POSTERIOR_PLOTS
        },
    log:
        PATHS.log("plot_posterior"),
    benchmark:
        PATHS.benchmark("plot_posterior")
    localrule: True
    conda:
        "../../envs/theory.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        root=results_root,
    shell:
        "python -m theory plot --config {input.config} --results {params.root} > {log} 2>&1"


rule export_lhapdf:
    """On demand (snakemake export_lhapdf): the posterior as an LHAPDF6 set, member 0 the mean."""
    input:
        config=PATHS.config,
        posterior=PATHS.posterior,
    output:
        folder=directory(PATHS.lhapdf),
    log:
        PATHS.log("export_lhapdf"),
    benchmark:
        PATHS.benchmark("export_lhapdf")
    conda:
        "../../envs/theory.yaml"
    threads: 1
    resources:
        mem_mb=4000,  # all replicas' grids of one Q block at once: ~0.3 MB per replica
        runtime=60,
    params:
        root=results_root,
    shell:
        "python -m theory lhapdf --config {input.config} --results {params.root} > {log} 2>&1"


rule report:
    """One self-contained HTML page: bands, closure, parameters, job timing (Gantt), bench and plans."""
    input:
        config=PATHS.config,
        posterior=PATHS.posterior,
        timing=PATHS.timing,
        plots=[PATHS.plot(name) for name in POSTERIOR_PLOTS],
    output:
        html=report(
            PATHS.report,
            caption="../report/summary.rst",
            category="Summary",
            labels={"page": "run"},
        ),
        gantt=report(
            PATHS.plot(GANTT_PLOT),
            caption="../report/timing.rst",
            category="Timing",
            labels={"figure": "fit jobs"},
        ),
    log:
        PATHS.log("report"),
    benchmark:
        PATHS.benchmark("report")
    localrule: True
    conda:
        "../../envs/theory.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        root=results_root,
    shell:
        "python -m theory report --config {input.config} --results {params.root} > {log} 2>&1"


rule scale_refits:
    """On demand (snakemake scale_refits): the central fit refitted at the 7 scale points."""
    input:
        unpack(event_inputs),
        posterior=PATHS.posterior,
    output:
        refits=PATHS.scale_refits,
    log:
        PATHS.log("scale_refits"),
    benchmark:
        PATHS.benchmark("scale_refits")
    conda:
        "../../envs/theory.yaml"
    threads: 2
    resources:
        mem_mb=4000,
        runtime=60,
    params:
        root=results_root,
    shell:
        "python -m theory scale-refits --config {input.config} --results {params.root} > {log} 2>&1"
