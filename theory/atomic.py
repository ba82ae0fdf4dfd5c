"""Atomic output: write to a temporary file in the target's folder, then rename over it.

A reader (or a restarted workflow) therefore sees either the old file or the complete new one,
never a half-written file, even if the job is killed mid-write.
"""

import contextlib
import json
import os
import tempfile


@contextlib.contextmanager
def atomic_path(path, suffix=""):
    """Yield a temporary path next to ``path``; on success rename it to ``path`` (mode 0644)."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=suffix)
    os.close(fd)
    try:
        yield tmp
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def write_hdf5(path):
    """An h5py File open for writing at a temporary path; renamed to ``path`` once it is closed."""
    import h5py

    with atomic_path(path, ".h5") as tmp:
        with h5py.File(tmp, "w") as f:
            yield f


def write_json(path, obj):
    """Write JSON atomically."""
    with atomic_path(path, ".json") as tmp, open(tmp, "w") as handle:
        json.dump(obj, handle, indent=1)
        handle.write("\n")
