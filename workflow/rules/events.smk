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
    threads: 1
    resources:
        mem_mb=200,
        runtime=2,
    params:
        config=config,
    run:
        write_resolved_config(params.config, output.config)


rule generate_events:
    """Exact sampling of one target's events from the truth. Wildcards: target (TARGETS)."""
    input:
        config=PATHS.config,
        warmup=PATHS.warmup,
    output:
        events=PATHS.events("{target}"),
    log:
        PATHS.log("generate_events_{target}"),
    benchmark:
        PATHS.benchmark("generate_events_{target}")
    conda:
        "../../envs/theory.yaml"
    threads: 1
    resources:
        mem_mb=2000,  # candidates in batches of 4 n; ~1 GB for 10^5 events
        runtime=20,
    params:
        root=results_root,
    shell:
        "python -m theory generate --config {input.config} --target {wildcards.target}"
        " --results {params.root} > {log} 2>&1"
