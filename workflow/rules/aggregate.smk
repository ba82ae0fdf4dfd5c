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


rule export_lhapdf:
    """On demand (snakemake export_lhapdf): the posterior as an LHAPDF6 set, member 0 the mean."""
    input:
        config=f"{RESULTS}/config.yaml",
        posterior=f"{RESULTS}/posterior.h5",
    output:
        folder=directory(f"{RESULTS}/lhapdf"),
    params:
        root=results_root,
    conda:
        "../../envs/theory.yaml"
    log:
        f"{RESULTS}/logs/export_lhapdf.log",
    benchmark:
        f"{RESULTS}/benchmarks/export_lhapdf.tsv"
    threads: 1
    resources:
        mem_mb=4000,  # all replicas' grids of one Q block at once: ~0.3 MB per replica
        runtime=60,
    shell:
        "python -m theory lhapdf --config {input.config} --results {params.root} > {log} 2>&1"


rule report:
    """One self-contained HTML page: bands, closure, parameters, job timing (Gantt), bench and plans."""
    input:
        config=f"{RESULTS}/config.yaml",
        posterior=f"{RESULTS}/posterior.h5",
        timing=f"{RESULTS}/timing.h5",
        plots=[f"{RESULTS}/plots/{name}.png" for name in ("bands", "pulls", "loss")],
    output:
        html=f"{RESULTS}/report.html",
        gantt=f"{RESULTS}/plots/timing.png",
    params:
        root=results_root,
    conda:
        "../../envs/theory.yaml"
    log:
        f"{RESULTS}/logs/report.log",
    benchmark:
        f"{RESULTS}/benchmarks/report.tsv"
    localrule: True
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    shell:
        "python -m theory report --config {input.config} --results {params.root} > {log} 2>&1"
