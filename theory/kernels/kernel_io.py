"""The cached kernel on disk: HDF5 with its provenance, written atomically.

Layout of a kernel file (all datasets float64 unless noted):

    /blocks/<t>            [n_t, M]  real-layout kernel rows of data set t's events (t = 0, 1, ...: the
                                     problem's data-set codes, the run's data-set order)
    /order/<t>             int64[n_t] their positions in the event set
    /norm                  [T, M]    normalisation rows (quadrature nodes summed), one per data set
    /factors/<t>/A         [n_t, r]  low-rank factors the products use (``CachedKernel.factors``),
    /factors/<t>/W         [r, M]    computed once here so every fit job uses the very same ones
    /contour/N, /contour/w complex128[n_nodes]
    attrs: M, n_nodes, n_events, events_sha256, theory (JSON), build_seconds and the provenance
           stamp (versions, created, git_commit; ``theory.provenance``)

``load_kernel`` refuses a file whose events or theory differ from the problem's, with one line
naming what differs.
"""

import hashlib
import json

import numpy as np

from theory.atomic import write_hdf5
from theory.kernels.backends.cached import CachedKernel
from theory.provenance import stamp


def events_digest(problem):
    """sha256 of the problem's rows (x, Q2, target, node weights): identifies an event set."""
    h = hashlib.sha256()
    for arr in (problem.x, problem.Q2, problem.target, problem.node_weight):
        h.update(np.ascontiguousarray(arr).tobytes())
    return h.hexdigest()


RECORD_DEFAULTS = {"alpha_em": "fixed", "process": "em"}
"""What a kernel file written before a record key existed was built with."""


def theory_record(problem):
    """The theory settings a kernel depends on, as a JSON-able dict."""
    s = problem.setup
    return {
        "order": s.order_name,
        "mode": s.mode_name,
        "scheme": s.scheme.name,
        "mu0_2": s.mu0_2,
        "alpha_s0": s.coupling.alpha_s(s.mu0_2),
        "masses": list(s.scheme.masses),
        "sets": [
            [st.sqrt_s, st.beam.lepton, st.beam.polarisation, getattr(st.correction, "source", "none")]
            for st in problem.sets
        ],
        "alpha_em": problem.alpha_em,
        "process": problem.process,
        **({"electroweak": problem.ew.as_dict()} if problem.process == "nc" else {}),
        **({"scales": [problem.scales.xi_r, problem.scales.xi_f]} if not problem.scales.central else {}),
        "contour": {"c": problem.contour.c, "phi": problem.contour.phi, "n_nodes": len(problem.contour)},
    }


def save_kernel(path, kernel, problem, build_seconds=None):
    """Write ``kernel`` (a CachedKernel of ``problem``) to ``path`` atomically."""
    with write_hdf5(path) as f:
        for t in range(len(kernel.blocks)):
            name = str(t)
            f.create_dataset(f"blocks/{name}", data=kernel.blocks[t])
            f.create_dataset(f"order/{name}", data=kernel.order[t])
            A, W = kernel.factors()[t]
            f.create_dataset(f"factors/{name}/A", data=A)
            f.create_dataset(f"factors/{name}/W", data=W)
        f.create_dataset("norm", data=np.stack(kernel.norm))
        f.create_dataset("contour/N", data=problem.contour.N)
        f.create_dataset("contour/w", data=problem.contour.weights)
        f.attrs["M"] = kernel.M
        f.attrs["n_nodes"] = kernel.n_nodes
        f.attrs["n_events"] = kernel.n_events
        f.attrs["events_sha256"] = events_digest(problem)
        f.attrs["theory"] = json.dumps(theory_record(problem))
        stamp(f.attrs)
        f.attrs["build_seconds"] = float(build_seconds) if build_seconds is not None else -1.0


def load_kernel(path, problem):
    """Read a kernel file for ``problem``; ValueError (one line) if it was built for another."""
    import h5py

    with h5py.File(path, "r") as f:
        if f.attrs["events_sha256"] != events_digest(problem):
            raise ValueError(f"{path}: kernel was built for another event set; rebuild it (delete the file)")
        stored = json.loads(f.attrs["theory"])
        wanted = theory_record(problem)
        for key in wanted:
            if stored.get(key, RECORD_DEFAULTS.get(key)) != wanted[key]:
                raise ValueError(
                    f"{path}: kernel theory '{key}' is {stored.get(key)!r}, not {wanted[key]!r}; rebuild it"
                )
        kernel = CachedKernel.__new__(CachedKernel)
        names = [str(t) for t in range(problem.n_sets)]
        kernel.blocks = [np.ascontiguousarray(f[f"blocks/{n}"][...]) for n in names]
        kernel.order = [f[f"order/{n}"][...] for n in names]
        kernel.norm = list(f["norm"][...])
        kernel.M = int(f.attrs["M"])
        kernel.n_nodes = int(f.attrs["n_nodes"])
        kernel.n_events = int(f.attrs["n_events"])
        if "factors" in f:  # files written before the factors existed compute them on first use
            kernel._factors = [
                (np.ascontiguousarray(f[f"factors/{n}/A"][...]), np.ascontiguousarray(f[f"factors/{n}/W"][...]))
                for n in names
            ]
    return kernel
