"""Checkpoints inside a fit job: the data pass's partial sums and the replicas already fitted.

A fit job (``theory.inference.fits.run_chunk``) on the lockstep path saves, atomically, at most
every ``fit.checkpoint_s`` seconds and once when its data pass is complete: the partial data
moments with the event position of each (grid, data set) (``theory.inference.moments.MomentPass``)
and the rows of the replicas that have converged. Killed and resubmitted (Slurm requeue, a rerun),
the job continues from there and writes the very chunk file an uninterrupted job writes: the sums
continue in file order, and a replica's fit does not depend on which replicas share its batch
(``theory.inference.lockstep``). It loses at most one interval of work.

File ``fits/chunk_<k>.h5.ckpt`` (HDF5): ``state/...`` (the pass), ``rows/...`` (as in a chunk
file), attribute ``key`` (a digest of the config, the chunk's replicas and the events: a
checkpoint of anything else is ignored, with a line in the log). Removed once the chunk is written.
"""

import hashlib
import json
import os
import time

import numpy as np

from theory.atomic import write_hdf5
from theory.inference.lockstep import WIDTH
from theory.inference.moments import BLOCK, CHUNK_EVENTS, DEVICE_CHUNK, PIECE
from theory.inference.rows import read_rows, write_rows


def checkpoint_key(config, replicas, samples, targets):
    """A digest of what a checkpoint's numbers depend on."""
    what = {"config": config, "replicas": list(map(int, replicas)), "pass": [CHUNK_EVENTS, PIECE, BLOCK, DEVICE_CHUNK],
            "width": WIDTH, "format": 4}  # fmt: skip
    h = hashlib.sha256(json.dumps(what, sort_keys=True).encode())
    for t in targets:
        h.update(np.ascontiguousarray(samples[t].x).tobytes())
        h.update(np.ascontiguousarray(samples[t].Q2).tobytes())
        h.update(repr(samples[t].lumi_nb).encode())
    return h.hexdigest()


class Checkpoint:
    """Save and load one job's checkpoint file (see the module docstring)."""

    def __init__(self, path, key, interval_s, log=print):
        self.path, self.key, self.interval = str(path), key, float(interval_s)
        self.log = log
        self.last = time.monotonic()
        self.saves = 0

    def load(self):
        """(state arrays, {replica: row}) or None when there is no usable checkpoint."""
        import h5py

        if not os.path.exists(self.path):
            return None
        try:
            with h5py.File(self.path, "r") as f:
                if f.attrs.get("key") != self.key:
                    self.log(f"checkpoint {self.path} belongs to other settings or events: ignored")
                    return None
                state = {}
                f["state"].visititems(
                    lambda name, obj: state.__setitem__(name, obj[()]) if hasattr(obj, "shape") else None
                )
                rows = {}
                if "rows" in f:
                    rows = {r["replica"]: r for r in read_rows(f["rows"])}
        except (OSError, KeyError) as err:
            self.log(f"checkpoint {self.path} unreadable ({err}): ignored")
            return None
        self.log(f"checkpoint {self.path}: resuming ({len(rows)} replicas already fitted)")
        return state, rows

    def due(self):
        return time.monotonic() - self.last >= self.interval

    def save(self, state, rows):
        with write_hdf5(self.path) as f:
            f.attrs["key"] = self.key
            g = f.create_group("state")
            for name, value in state.items():
                g.create_dataset(name, data=value)
            if rows:
                write_rows(f.create_group("rows"), [rows[b] for b in sorted(rows)])
        self.last = time.monotonic()
        self.saves += 1

    def save_if_due(self, state, rows):
        """``save(state(), rows)`` when the interval has passed; ``state`` a callable (a device
        pass's state is a copy to the host: made only for a save)."""
        if self.due():
            self.save(state(), rows)

    def clear(self):
        if os.path.exists(self.path):
            os.unlink(self.path)
