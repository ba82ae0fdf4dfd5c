# Stage 1: the resolved config and the event samples.


rule resolve_config:
    """The validated config with every default filled in: what all later jobs read."""
    output:
        config=PATHS.config,
    log:
        PATHS.log("resolve_config"),
    benchmark:
        PATHS.benchmark("resolve_config")
    localrule: True
    conda:
        "../../envs/theory.yaml"
    threads: 1
    resources:
        mem_mb=200,
        runtime=2,
    params:
        text=resolved_config_text(config),
    shell:
        "(printf '%s' {params.text:q} > {output.config}.tmp && mv {output.config}.tmp {output.config}) > {log} 2>&1"


rule generate_events:
    """Exact sampling of one data set's events from the truth. Wildcards: dataset (the run's names)."""
    input:
        config=PATHS.config,
        warmup=PATHS.warmup,
    output:
        events=PATHS.events("{dataset}"),
    log:
        PATHS.log("generate_events_{dataset}"),
    benchmark:
        PATHS.benchmark("generate_events_{dataset}")
    priority: CRITICAL_PATH  # before the theory checks, which nothing waits for
    conda:
        "../../envs/theory.yaml"
    threads: 2  # Numba threads over each batch's candidates; on 2 cores the samples then come one after the
    # other and end with both cores free for the kernel build (two 1-thread jobs ending apart let a
    # theory check take the first freed core, and the 2-thread build waited ~3 s for both)
    resources:
        mem_mb=2000,  # candidates in batches of 4 n; ~1 GB for 10^5 events
        runtime=20,
    params:
        root=results_root,
    shell:
        "NUMBA_NUM_THREADS={threads} python -m theory generate --config {input.config} --dataset {wildcards.dataset}"
        " --results {params.root} > {log} 2>&1"
