"""Provenance of every output file: package versions, creation time and the git commit.

Every HDF5 file the workflow writes (events, kernel, fit chunks, posterior) carries the same
stamp (``stamp``): attributes ``versions`` (JSON: theory, numpy, numba, python), ``created``
(local time, ISO 8601) and ``git_commit`` of the package's checkout ("unknown" outside one).
"""

import functools
import json
import os
import platform
import subprocess
import time

from theory import __version__


def versions():
    """{theory, numpy, numba, python}: the versions a result was computed with."""
    import numba
    import numpy as np

    return {"theory": __version__, "numpy": np.__version__, "numba": numba.__version__,
            "python": platform.python_version()}  # fmt: skip


@functools.cache
def git_commit():
    """The commit of the package's git checkout, or "unknown"."""
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10,
                             cwd=os.path.dirname(os.path.abspath(__file__)))  # fmt: skip
        return out.stdout.strip() if out.returncode == 0 else "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def created():
    """Now, as the ``created`` attribute spells it."""
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")


def stamp(attrs):
    """Write versions, created and git_commit into an attribute mapping (an h5py ``attrs``)."""
    attrs["versions"] = json.dumps(versions())
    attrs["created"] = created()
    attrs["git_commit"] = git_commit()
    return attrs
