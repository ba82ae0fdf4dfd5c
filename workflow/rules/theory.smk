# The theory core, end to end: LHA benchmark evolution and DIS structure functions.


rule evolve_lha:
    """Evolve the Les Houches toy input to mu^2 = 1e4 GeV^2 with the benchmark's iterated-exact
    solution. Wildcards: order (lo|nlo), scheme."""
    output:
        table=f"{RESULTS}/theory/lha_{{order}}_{{scheme}}.json",
    params:
        x=" ".join(str(x) for x in config["lha"]["x"]),
    conda:
        "../../envs/theory.yaml"
    log:
        f"{RESULTS}/logs/evolve_lha_{{order}}_{{scheme}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/evolve_lha_{{order}}_{{scheme}}.tsv"
    threads: 1
    resources:
        mem_mb=1000,  # numba JIT + 13x13 operators on ~170 moments: well under 1 GB
        runtime=10,
    shell:
        "python -m theory evolve --pdf lha --order {wildcards.order} --scheme {wildcards.scheme}"
        " --mode iterated-exact --q2 1e4 --x {params.x} --output {output.table} > {log} 2>&1"


rule compare_lha:
    """Compare every evolved LHA table with the reference (data/refdata/lha_evolution.json)."""
    input:
        tables=expand(
            f"{RESULTS}/theory/lha_{{order}}_{{scheme}}.json",
            order=config["lha"]["orders"],
            scheme=config["lha"]["schemes"],
        ),
        reference=os.path.join(workflow.basedir, "data/refdata/lha_evolution.json"),
    output:
        check=f"{RESULTS}/theory/lha_check.json",
    conda:
        "../../envs/theory.yaml"
    log:
        f"{RESULTS}/logs/compare_lha.log",
    benchmark:
        f"{RESULTS}/benchmarks/compare_lha.tsv"
    localrule: True
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    script:
        "../scripts/compare_lha.py"


rule structure_functions:
    """F2 and FL on the config's x grid at one Q^2. Wildcards: target (p|n)."""
    output:
        table=f"{RESULTS}/theory/sf_{{target}}.json",
    params:
        order=config["theory"]["order"],
        scheme=config["theory"]["scheme"],
        mode=config["theory"]["mode"],
        q2=config["sf"]["q2"],
        x=" ".join(str(x) for x in config["sf"]["x"]),
    conda:
        "../../envs/theory.yaml"
    log:
        f"{RESULTS}/logs/structure_functions_{{target}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/structure_functions_{{target}}.tsv"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    shell:
        "python -m theory sf --pdf lha --order {params.order} --scheme {params.scheme} --mode {params.mode}"
        " --target {wildcards.target} --q2 {params.q2} --x {params.x} --output {output.table} > {log} 2>&1"
