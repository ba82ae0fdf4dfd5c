# Stage 0: compile the Numba kernels once, serially, before any fan-out (theory.pipeline.warmup).


rule warmup_numba:
    """Compile every CPU kernel the run's jobs use into Numba's cache (NUMBA_CACHE_DIR, set by the
    profile), so parallel jobs load it instead of racing to write it."""
    input:
        config=PATHS.config,
    output:
        stamp=PATHS.warmup,
    log:
        PATHS.log("warmup_numba"),
    benchmark:
        PATHS.benchmark("warmup_numba")
    conda:
        "../../envs/theory.yaml"
    threads: 1
    resources:
        mem_mb=2000,  # a few points of every kernel; the compiler dominates
        runtime=20,  # about a minute from a cold cache on 2 cores
    params:
        root=results_root,
    shell:
        "python -m theory warmup --config {input.config} --results {params.root} > {log} 2>&1"
