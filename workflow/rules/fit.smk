# Stage 3: bootstrap fit jobs, one per chunk of replicas (never group: jobs).


rule fit_chunk:
    """Fit one chunk of bootstrap replicas. Wildcards: chunk (index)."""
    input:
        unpack(fit_inputs),
    output:
        chunk=f"{RESULTS}/fits/chunk_{{chunk}}.h5",
    params:
        root=results_root,
    conda:
        "../../envs/theory.yaml"
    log:
        f"{RESULTS}/logs/fit_chunk_{{chunk}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/fit_chunk_{{chunk}}.tsv"
    threads: config["fit"]["threads"]
    resources:
        mem_mb=2000,  # the cached kernel: 600 reals/event, 4.8 kB per event -> 48 MB per 10K events
        runtime=60,
        gpu=1 if "cuda" in config["fit"]["backend"] else 0,  # one GPU per job for the CUDA backends
    shell:
        "NUMBA_NUM_THREADS={threads} OPENBLAS_NUM_THREADS={threads} python -m theory fit --config {input.config}"
        " --chunk {wildcards.chunk} --results {params.root} > {log} 2>&1"
