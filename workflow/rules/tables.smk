# Stage 2: the theory tables the fits need, built once per event set and shared by every job.


rule build_tables:
    """The cached Mellin kernel of the run's events and normalisation nodes (tables/kernel.h5)."""
    input:
        unpack(event_inputs),
    output:
        kernel=PATHS.kernel,
    log:
        PATHS.log("build_tables"),
    benchmark:
        PATHS.benchmark("build_tables")
    priority: CRITICAL_PATH  # before the theory checks, which nothing waits for
    conda:
        "../../envs/theory.yaml"
    threads: 2  # Numba prange over events
    resources:
        mem_mb=3000,  # 4.8 kB per event (600 reals) plus the build's temporaries
        runtime=20,
    params:
        root=results_root,
    shell:
        "NUMBA_NUM_THREADS={threads} python -m theory tables --config {input.config} --results {params.root}"
        " > {log} 2>&1"
