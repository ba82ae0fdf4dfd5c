# Config validation (defaults filled in from the schema) and the target lists.

from snakemake.utils import validate


validate(config, schema="../schemas/config.schema.yaml")

RUN = config["run"]
RESULTS = f"results/{RUN}"


wildcard_constraints:
    order="lo|nlo",
    scheme="ffns[3-6]|vfns",
    target="p|n",


def theory_targets():
    """Benchmark comparison and structure-function tables of the theory stage."""
    return [f"{RESULTS}/theory/lha_check.json"] + [
        f"{RESULTS}/theory/sf_{target}.json" for target in config["sf"]["targets"]
    ]
