# Stage 4: posterior, timing and plots.


rule aggregate:
    """Merge every fit chunk into posterior.h5 (replicas, summary, PDF bands) and timing.h5."""
    input:
        config=f"{RESULTS}/config.yaml",
        chunks=fit_chunks(),
    output:
        posterior=f"{RESULTS}/posterior.h5",
        timing=f"{RESULTS}/timing.h5",
    params:
        root=results_root,
    conda:
        "../../envs/theory.yaml"
    log:
        f"{RESULTS}/logs/aggregate.log",
    benchmark:
        f"{RESULTS}/benchmarks/aggregate.tsv"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=20,
    shell:
        "python -m theory aggregate --config {input.config} --results {params.root} > {log} 2>&1"


rule plot_posterior:
    """PDF bands against the truth, parameter pulls and the loss distribution."""
    input:
        config=f"{RESULTS}/config.yaml",
        posterior=f"{RESULTS}/posterior.h5",
    output:
        bands=f"{RESULTS}/plots/bands.png",
        pulls=f"{RESULTS}/plots/pulls.png",
        loss=f"{RESULTS}/plots/loss.png",
    params:
        root=results_root,
    conda:
        "../../envs/theory.yaml"
    log:
        f"{RESULTS}/logs/plot_posterior.log",
    benchmark:
        f"{RESULTS}/benchmarks/plot_posterior.tsv"
    localrule: True
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    shell:
        "python -m theory plot --config {input.config} --results {params.root} > {log} 2>&1"
