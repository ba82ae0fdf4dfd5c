"""Shared fixtures: the Les Houches reference file and standard contours."""

import json
import pathlib

import pytest

REPO = pathlib.Path(__file__).resolve().parents[1]
REFDATA = REPO.parent / "shared" / "refdata"


def refdata_path(name):
    """A file of ../shared/refdata, or the copy in data/refdata when shared/ is not beside the repo."""
    for folder in (REFDATA, REPO / "data" / "refdata"):
        if (folder / name).is_file():
            return folder / name
    pytest.fail(f"reference file {name} not found in ../shared/refdata or data/refdata")


@pytest.fixture(scope="session")
def lha_reference():
    with open(refdata_path("lha_evolution.json")) as handle:
        return json.load(handle)


def pytest_collection_modifyitems(config, items):
    """needs_slurm tests run only where a Slurm controller is up: CI starts one and sets
    THEORY_SLURM=1 (.ci/run); elsewhere they are skipped with that reason."""
    import os

    if os.environ.get("THEORY_SLURM") == "1":
        return
    skip = pytest.mark.skip(reason="needs a running Slurm (CI sets THEORY_SLURM=1 after .ci/slurm-up.sh)")
    for item in items:
        if "needs_slurm" in item.keywords:
            item.add_marker(skip)
