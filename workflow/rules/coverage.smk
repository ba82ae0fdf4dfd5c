# On demand (snakemake coverage): the coverage study of the config's `coverage` section.


rule coverage_chunk:
    """Generate, fit and summarise one chunk of pseudo-experiments. Wildcards: chunk (index)."""
    input:
        config=PATHS.config,
        warmup=PATHS.warmup,
    output:
        chunk=PATHS.coverage_chunk("{chunk}"),
    log:
        PATHS.log("coverage_chunk_{chunk}"),
    benchmark:
        PATHS.benchmark("coverage_chunk_{chunk}")
    conda:
        "../../envs/theory.yaml"
    threads: SETTINGS.fit.threads
    resources:
        mem_mb=2000,  # one experiment's kernel and replicas at a time
        runtime=120,
    params:
        root=results_root,
    shell:
        "NUMBA_NUM_THREADS={threads} python -m theory coverage --config {input.config} --chunk {wildcards.chunk}"
        " --workers {threads} --results {params.root} > {log} 2>&1"


rule coverage_merge:
    """Merge the chunks into coverage.h5: coverage, R_bv, xi_1sigma per combination, pulls; plots."""
    input:
        config=PATHS.config,
        chunks=PATHS.coverage_chunks(SETTINGS.coverage.n_chunks),
    output:
        **{
            name: report(
                PATHS.plot(name),
                caption=f"../report/{name}.rst",
                category="Coverage",
                labels={"figure": name},
            )
            for name in COVERAGE_PLOTS
        },
        study=PATHS.coverage,
    log:
        PATHS.log("coverage_merge"),
    benchmark:
        PATHS.benchmark("coverage_merge")
    localrule: True
    conda:
        "../../envs/theory.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        root=results_root,
    shell:
        "python -m theory coverage --merge --config {input.config} --results {params.root} > {log} 2>&1"
