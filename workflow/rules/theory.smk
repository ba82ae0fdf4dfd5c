# The theory core, end to end: LHA benchmark evolution and DIS structure functions.


rule evolve_lha:
    """Evolve the Les Houches toy input to mu^2 = 1e4 GeV^2 with the benchmark's iterated-exact
    solution. Wildcards: order (ORDERS), scheme (SCHEMES)."""
    input:
        warmup=PATHS.warmup,
    output:
        table=PATHS.lha_table("{order}", "{scheme}"),
    log:
        PATHS.log("evolve_lha_{order}_{scheme}"),
    benchmark:
        PATHS.benchmark("evolve_lha_{order}_{scheme}")
    conda:
        "../../envs/theory.yaml"
    threads: 1
    resources:
        mem_mb=1000,  # numba JIT + 13x13 operators on ~170 moments: well under 1 GB
        runtime=10,
    params:
        x=" ".join(str(x) for x in config["lha"]["x"]),
    shell:
        "python -m theory evolve --pdf lha --order {wildcards.order} --scheme {wildcards.scheme}"
        " --mode iterated-exact --q2 1e4 --x {params.x} --output {output.table} > {log} 2>&1"


rule compare_lha:
    """Compare every evolved LHA table with the reference (data/refdata/lha_evolution.json)."""
    input:
        tables=expand(
            PATHS.lha_table("{order}", "{scheme}"),
            order=config["lha"]["orders"],
            scheme=config["lha"]["schemes"],
        ),
        reference=refdata("lha_evolution.json"),
    output:
        check=PATHS.lha_check,
    log:
        PATHS.log("compare_lha"),
    benchmark:
        PATHS.benchmark("compare_lha")
    localrule: True
    conda:
        "../../envs/theory.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    script:
        "../scripts/compare_lha.py"


rule structure_functions:
    """F2 and FL on the config's x grid at one Q^2. Wildcards: target (TARGETS)."""
    input:
        warmup=PATHS.warmup,
    output:
        table=PATHS.sf_table("{target}"),
    log:
        PATHS.log("structure_functions_{target}"),
    benchmark:
        PATHS.benchmark("structure_functions_{target}")
    conda:
        "../../envs/theory.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        order=SETTINGS.theory.order,
        scheme=SETTINGS.theory.scheme,
        mode=SETTINGS.theory.mode,
        q2=config["sf"]["q2"],
        x=" ".join(str(x) for x in config["sf"]["x"]),
    shell:
        "python -m theory sf --pdf lha --order {params.order} --scheme {params.scheme} --mode {params.mode}"
        " --target {wildcards.target} --q2 {params.q2} --x {params.x} --output {output.table} > {log} 2>&1"
