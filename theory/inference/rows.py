"""The rows of fitted replicas as HDF5 datasets: the layout chunk files and checkpoints share.

Datasets ``replica`` (int64), ``params`` [n, P], ``lumi`` [n, 2], ``FLOAT_KEYS`` (float64),
``INT_KEYS`` (int64) and ``message`` (str); see ``theory.inference.fits`` for their meaning.
"""

import numpy as np

INT_KEYS = ("status", "iterations", "evaluations", "jacobians", "unphysical")
FLOAT_KEYS = ("loss", "decrement", "wall_s", "cpu_s")


def write_rows(group, rows):
    """Replica rows as datasets of an HDF5 group (the chunk file layout, module docstring)."""
    import h5py

    group.create_dataset("replica", data=np.array([r["replica"] for r in rows], dtype=np.int64))
    group.create_dataset("params", data=np.array([r["params"] for r in rows], dtype=float).reshape(len(rows), -1))
    group.create_dataset("lumi", data=np.array([r["lumi"] for r in rows], dtype=float).reshape(len(rows), -1))
    for key in FLOAT_KEYS:
        group.create_dataset(key, data=np.array([r[key] for r in rows], dtype=float))
    for key in INT_KEYS:
        group.create_dataset(key, data=np.array([r[key] for r in rows], dtype=np.int64))
    group.create_dataset("message", data=np.array([r["message"] for r in rows], dtype=object),
                         dtype=h5py.string_dtype())  # fmt: skip


def read_rows(group):
    """The rows ``write_rows`` wrote."""
    n = len(group["replica"])
    out = []
    for i in range(n):
        message = group["message"][i]
        message = message.decode() if isinstance(message, bytes) else str(message)
        row = {"replica": int(group["replica"][i]), "params": group["params"][i], "lumi": group["lumi"][i],
               "message": message}  # fmt: skip
        row.update({k: float(group[k][i]) for k in FLOAT_KEYS})
        row.update({k: int(group[k][i]) for k in INT_KEYS})
        out.append(row)
    return out
