# Stage 3: bootstrap fit jobs, one per chunk of replicas (never group: jobs).


rule fit_chunk:
    """Fit one chunk of bootstrap replicas. Wildcards: chunk (index)."""
    input:
        unpack(fit_inputs),
    output:
        chunk=PATHS.chunk("{chunk}"),
    log:
        PATHS.log("fit_chunk_{chunk}"),
    benchmark:
        PATHS.benchmark("fit_chunk_{chunk}")
    priority: CRITICAL_PATH  # before the theory checks, which nothing waits for
    conda:
        "../../envs/theory.yaml"
    threads: SETTINGS.fit.threads
    resources:
        mem_mb=2000,  # the cached kernel: 600 reals/event, 4.8 kB per event -> 48 MB per 10K events
        runtime=60,
        gpu=1 if BACKEND.gpu else 0,  # one GPU per job for the GPU backends
    params:
        root=results_root,
    shell:
        "NUMBA_NUM_THREADS={threads} OPENBLAS_NUM_THREADS={threads} python -m theory fit --config {input.config}"
        " --chunk {wildcards.chunk} --results {params.root} > {log} 2>&1"
