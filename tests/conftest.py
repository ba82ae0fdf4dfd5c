"""Shared fixtures: the Les Houches reference file and standard contours."""

import json
import pathlib

import numpy as np
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


def contour_grid():
    """Complex N on the default Mellin contour and shifted copies, as the kernels meet them."""
    z = np.linspace(0.0, 300.0, 121)
    N = 1.9 + z * np.exp(0.75j * np.pi)
    return np.concatenate([N, N - 1.1, N + 0.5, N / 2.0, (N - 1.0) / 2.0 + 1.0])
