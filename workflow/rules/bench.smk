# On demand (`snakemake bench plan`): measure the backends on this cluster, then project.


rule bench:
    """The benchmark tables at the config's event count, on the node that runs this job."""
    output:
        json=f"{RESULTS}/bench.json",
    params:
        events=config["events"]["p"] + config["events"]["n"],
    conda:
        "../../envs/theory.yaml"
    log:
        f"{RESULTS}/logs/bench.log",
    benchmark:
        f"{RESULTS}/benchmarks/bench.tsv"
    threads: 2  # thread scaling is measured up to this count
    resources:
        mem_mb=4000,  # the numpy-vectorized chunks and a 10K-event kernel
        runtime=30,
    shell:
        "NUMBA_NUM_THREADS={threads} python -m theory bench --events {params.events}"
        " --json {output.json} > /dev/null 2> {log}"


rule plan:
    """Projected hours per cluster and backend from the measured bench and a pilot posterior."""
    input:
        config=f"{RESULTS}/config.yaml",
        bench=f"{RESULTS}/bench.json",
        pilot=f"{RESULTS}/posterior.h5",
    output:
        json=f"{RESULTS}/plan_{{cluster}}.json",
    conda:
        "../../envs/theory.yaml"
    log:
        f"{RESULTS}/logs/plan_{{cluster}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/plan_{{cluster}}.tsv"
    localrule: True
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    shell:
        "python -m theory plan --config {input.config} --cluster {wildcards.cluster} --bench {input.bench}"
        " --pilot {input.pilot} --json {output.json} > {log} 2>&1"
