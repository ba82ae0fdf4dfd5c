# On demand (`snakemake planning`): measure the backends and the lockstep engine's scaling on this
# cluster, then project.


rule bench:
    """The benchmark tables at the config's event count, on the node that runs this job."""
    output:
        json=PATHS.bench,
    log:
        PATHS.log("bench"),
    benchmark:
        PATHS.benchmark("bench")
    conda:
        "../../envs/theory.yaml"
    threads: 2  # thread scaling is measured up to this count
    resources:
        mem_mb=4000,  # the numpy-vectorized chunks and a 10K-event kernel
        runtime=30,
    params:
        events=SETTINGS.expected_events,
    shell:
        "NUMBA_NUM_THREADS={threads} python -m theory bench --events {params.events}"
        " --json {output.json} > /dev/null 2> {log}"


rule scaling:
    """The lockstep engine's time per evaluation and data pass against the events per target, from
    10^4 up to the run's size, for the run's theory and cuts at the fit jobs' threads
    (theory.pipeline.scaling), with its figure.
    """
    input:
        config=PATHS.config,
    output:
        json=PATHS.scaling,
        plot=PATHS.plot(SCALING_PLOT),
    log:
        PATHS.log("scaling"),
    benchmark:
        PATHS.benchmark("scaling")
    conda:
        "../../envs/theory.yaml"
    threads: SETTINGS.fit.threads  # the planner's cost per job is measured at a fit job's threads
    resources:
        mem_mb=6000,  # 4.2 GB measured over 10^4-10^7 (the 10^5 exact kernel is the largest part)
        runtime=30,
    params:
        sizes=" ".join(map(str, scaling_sizes())),
    shell:
        "NUMBA_NUM_THREADS={threads} OPENBLAS_NUM_THREADS={threads} python -m theory bench --scaling"
        " --config {input.config} --sizes {params.sizes} --replicas 64 --json {output.json} --plot {output.plot} > {log} 2>&1"


rule plan:
    """Projected hours per cluster and backend from the measured bench, the lockstep scaling and a
    pilot posterior."""
    input:
        config=PATHS.config,
        bench=PATHS.bench,
        scaling=PATHS.scaling,
        pilot=PATHS.posterior,
    output:
        json=PATHS.plan("{cluster}"),
    log:
        PATHS.log("plan_{cluster}"),
    benchmark:
        PATHS.benchmark("plan_{cluster}")
    localrule: True
    conda:
        "../../envs/theory.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    shell:
        "python -m theory plan --config {input.config} --cluster {wildcards.cluster} --bench {input.bench}"
        " --scaling {input.scaling} --pilot {input.pilot} --json {output.json} > {log} 2>&1"
