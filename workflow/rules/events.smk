# Stage 1: the resolved config and the event samples.


rule resolve_config:
    """The validated config with every default filled in: what all later jobs read."""
    output:
        config=f"{RESULTS}/config.yaml",
    params:
        config=config,
    log:
        f"{RESULTS}/logs/resolve_config.log",
    benchmark:
        f"{RESULTS}/benchmarks/resolve_config.tsv"
    localrule: True
    threads: 1
    resources:
        mem_mb=200,
        runtime=2,
    run:
        write_resolved_config(params.config, output.config)


rule generate_events:
    """Exact sampling of one target's events from the truth. Wildcards: target (p|n)."""
    input:
        config=f"{RESULTS}/config.yaml",
    output:
        events=f"{RESULTS}/events/{{target}}.h5",
    params:
        root=results_root,
    conda:
        "../../envs/theory.yaml"
    log:
        f"{RESULTS}/logs/generate_events_{{target}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/generate_events_{{target}}.tsv"
    threads: 1
    resources:
        mem_mb=2000,  # candidates in batches of 4 n; ~1 GB for 10^5 events
        runtime=20,
    shell:
        "python -m theory generate --config {input.config} --target {wildcards.target}"
        " --results {params.root} > {log} 2>&1"
