# On demand (`snakemake bench plan`): measure the backends on this cluster, then project.


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


rule plan:
    """Projected hours per cluster and backend from the measured bench and a pilot posterior."""
    input:
        config=PATHS.config,
        bench=PATHS.bench,
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
        " --pilot {input.pilot} --json {output.json} > {log} 2>&1"
