"""One registry per enumeration: the config schema's enums and the workflow's wildcard constraints
are the package's registries (theory.qcd, theory.kernels.backends, theory.pdfs, theory.pipeline.plan)."""

import pathlib
import subprocess
import sys

import pytest
import yaml

from theory.dis.alpha_em import ALPHA_EM_MODES
from theory.dis.electroweak import LEPTONS, PROCESSES
from theory.dis.kinematics import BEAM_SETTINGS
from theory.kernels.backends import BACKENDS
from theory.pdfs.lha import REFERENCE_TABLES
from theory.pdfs.stats2 import NAMES
from theory.pipeline.paths import RunPaths
from theory.pipeline.plan import CLUSTERS
from theory.qcd.evolution import MODES, ORDERS
from theory.qcd.flavours import TARGETS
from theory.qcd.scheme import SCHEMES

REPO = pathlib.Path(__file__).resolve().parents[1]
SCHEMA = REPO / "workflow" / "schemas" / "config.schema.yaml"


@pytest.fixture(scope="module")
def schema():
    with open(SCHEMA) as handle:
        return yaml.safe_load(handle)["properties"]


def _enum(node):
    """The enum of a string property, or of an array property's items."""
    return node["items"]["enum"] if node.get("type") == "array" else node["enum"]


def _unique(values):
    return list(dict.fromkeys(values))


ENUMS = {
    "theory.order": list(ORDERS),
    "theory.scheme": list(SCHEMES),
    "theory.mode": list(MODES),
    "theory.alpha_em": list(ALPHA_EM_MODES),
    "theory.process": list(PROCESSES),
    "beam.lepton": list(LEPTONS),
    "beam.setting": list(BEAM_SETTINGS),
    "fit.backend": list(BACKENDS),
    "parametrisation.free": list(NAMES),
    "sf.targets": list(TARGETS),
    "lha.orders": _unique(order for order, _ in REFERENCE_TABLES),
    "lha.schemes": _unique(scheme for _, scheme in REFERENCE_TABLES),
}


@pytest.mark.parametrize("key", sorted(ENUMS))
def test_schema_enum_is_the_registry(schema, key):
    section, name = key.split(".")
    node = schema[section]["properties"][name]
    assert _enum(node) == ENUMS[key], f"{key}: the schema's enum is not the registry; update {SCHEMA.name}"


@pytest.mark.parametrize("key", sorted(ENUMS))
def test_schema_defaults_are_registry_values(schema, key):
    section, name = key.split(".")
    default = schema[section]["properties"][name]["default"]
    assert set(default if isinstance(default, list) else [default]) <= set(ENUMS[key])


def test_reference_tables_are_the_reference_file(lha_reference):
    assert sorted(REFERENCE_TABLES.values()) == sorted(lha_reference["results"])
    assert all(order in ORDERS and scheme in SCHEMES for order, scheme in REFERENCE_TABLES)


def _dry_run(tmp_path, *targets):
    """snakemake -n for the given files of the smoke run, in a scratch working directory."""
    command = [sys.executable, "-m", "snakemake", "-s", str(REPO / "workflow" / "Snakefile"), "-d", str(tmp_path), "-n"]
    return subprocess.run([*command, *map(str, targets)], cwd=REPO, capture_output=True, text=True, timeout=300)


PATHS = RunPaths("smoke")


def test_wildcard_constraints_accept_every_registry_value(tmp_path):
    targets = [PATHS.lha_table(order, scheme) for order in ORDERS for scheme in SCHEMES]
    targets += [PATHS.sf_table(target) for target in TARGETS] + [PATHS.events(target) for target in TARGETS]
    targets += [PATHS.plan(cluster) for cluster in CLUSTERS] + [PATHS.chunk(0)]
    proc = _dry_run(tmp_path, *targets)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]


@pytest.mark.parametrize(
    "target",
    [
        PATHS.lha_table("nnlo", "vfns"),  # order
        PATHS.lha_table("lo", "ffns7"),  # scheme
        PATHS.sf_table("d"),  # target
        PATHS.plan("nowhere"),  # cluster
    ],
    ids=["order", "scheme", "target", "cluster"],
)
def test_wildcard_constraints_reject_other_values(tmp_path, target):
    proc = _dry_run(tmp_path, target)
    assert proc.returncode != 0 and "MissingRuleException" in proc.stdout + proc.stderr, proc.stderr[-3000:]
