"""Export a posterior as an LHAPDF6 set ("lhagrid1"), so any HEP tool can read our result.

    <dir>/<name>/<name>.info             YAML: SetDesc, Format, NumMembers, Flavors, X/Q ranges,
                                         OrderQCD, alpha_s on the Q knots (AlphaS_Type: ipol)...
    <dir>/<name>/<name>_0000.dat         member 0: the mean of the replicas' x f(x, Q)
    <dir>/<name>/<name>_<k>.dat          member k: bootstrap replica k (converged ones, in order)

A member file holds one block per flavour-number region of Q (split at the thresholds m_b,
m_t): a line of x knots, a line of Q knots (GeV), a line of PDG ids (-6..6 and 21), then x f at
every (x, Q) with x outer and Q inner, one line per point.
Values are computed on the knots from each replica's parameters (no interpolation on our side).
"""

import json
import math

import numpy as np

from theory.provenance import git_commit
from theory.qcd.flavours import PDG, PIDS, evaluate


def knots(q_min, q_max, thresholds, n_x=60, n_q_per_decade=8):
    """x knots (log below 0.1, linear above, ending at 1) and Q knots per threshold region."""
    x = np.unique(np.concatenate([np.geomspace(1e-5, 0.1, n_x // 2, endpoint=False), np.linspace(0.1, 1.0, n_x // 2)]))
    edges = [q_min, *[t for t in thresholds if q_min < t < q_max], q_max]
    blocks = []
    for a, b in zip(edges[:-1], edges[1:], strict=True):
        n = max(2, int(math.ceil(math.log10(b / a) * n_q_per_decade)) + 1)
        blocks.append(np.geomspace(a, b, n))
    return x, blocks


def member_values(run, thetas_full, x, q_blocks, log=None):
    """x f at the knots for every parameter set: list over blocks of [sets, n_x, n_q, len(PIDS)]."""
    inner = x[x < 1.0]
    f0, _ = run.truth_param.moments_batch(run.contour.N, np.atleast_2d(thetas_full))  # [S, nodes, 13]
    blocks = []
    for ib, qs in enumerate(q_blocks):
        vals = np.zeros((f0.shape[0], len(x), len(qs), len(PIDS)))
        for iq, q in enumerate(qs):
            # inside a block use the block's own nf at its ends (the threshold belongs to the upper block)
            mu2 = q * q * (1.0 + 1e-12 if iq == 0 and ib > 0 else 1.0) * (1.0 - 1e-12 if iq == len(qs) - 1 else 1.0)
            fx = run.setup.pdfs_at(run.contour, f0, inner, mu2) * inner[None, :, None]
            for k, value in enumerate(evaluate(PDG, fx).values()):
                vals[:, : len(inner), iq, k] = value
        blocks.append(vals)
        if log:
            log(f"lhapdf: Q block {ib + 1}/{len(q_blocks)} done")
    return blocks


def write_member(path, x, q_blocks, values_blocks, kind):
    lines = [f"PdfType: {kind}", "Format: lhagrid1", "---"]
    for qs, vals in zip(q_blocks, values_blocks, strict=True):
        lines.append(" ".join(f"{v:.8e}" for v in x))
        lines.append(" ".join(f"{v:.8e}" for v in qs))
        lines.append(" ".join(str(p) for p in PIDS))
        for ix in range(len(x)):
            for iq in range(len(qs)):
                lines.append(" ".join(f"{v: .8e}" for v in vals[ix, iq]))
        lines.append("---")
    with open(path, "w") as handle:
        handle.write("\n".join(lines) + "\n")


def export(run, posterior_file, out_dir, name=None, log=print):
    """Write the LHAPDF6 set of a run's posterior into out_dir/name; returns the set folder."""
    import pathlib

    import h5py

    setup = run.setup
    name = name or f"theory_{run.settings.name}"
    with h5py.File(posterior_file, "r") as f:
        ok = f["replicas/status"][...] == 0
        params = f["replicas/params_full"][...][ok]
        index = f["replicas/index"][...][ok]
    q_min = math.sqrt(setup.mu0_2)
    q_max = 1.0e3
    thresholds = [m for m in setup.scheme.masses if m > q_min * (1 + 1e-9)]
    x, q_blocks = knots(q_min, q_max, thresholds)
    log(f"lhapdf: {len(params)} replicas on {len(x)} x and {sum(len(b) for b in q_blocks)} Q knots")
    values = member_values(run, params, x, q_blocks, log=log)
    folder = pathlib.Path(out_dir) / name
    folder.mkdir(parents=True, exist_ok=True)
    write_member(folder / f"{name}_0000.dat", x, q_blocks, [v.mean(axis=0) for v in values], "central")
    for k in range(len(params)):
        write_member(folder / f"{name}_{k + 1:04d}.dat", x, q_blocks, [v[k] for v in values], "replica")
    qs = np.concatenate(q_blocks)
    alphas = [setup.coupling.alpha_s(q * q) for q in qs]
    info = {
        "SetDesc": f"Event-level bootstrap fit '{run.settings.name}' (stats2 parametrisation); member 0 is the "
        f"mean of {len(params)} replicas; git {git_commit()}",
        "Authors": "theory workflow",
        "Format": "lhagrid1",
        "DataVersion": 1,
        "NumMembers": len(params) + 1,
        "Particle": 2212,
        "Flavors": list(PIDS),
        "OrderQCD": setup.order,
        "FlavorScheme": "variable" if setup.scheme.fixed_nf is None else "fixed",
        "NumFlavors": 6 if setup.scheme.fixed_nf is None else setup.scheme.fixed_nf,
        "ErrorType": "replicas",
        "XMin": float(x[0]), "XMax": 1.0, "QMin": float(q_min), "QMax": float(q_max),
        "MZ": 91.1876, "MUp": 0.0, "MDown": 0.0, "MStrange": 0.0,
        "MCharm": setup.scheme.masses[0], "MBottom": setup.scheme.masses[1],
        "MTop": setup.scheme.masses[2],
        "AlphaS_MZ": setup.coupling.alpha_s(91.1876**2), "AlphaS_OrderQCD": setup.order,
        "AlphaS_Type": "ipol", "AlphaS_Qs": [float(q) for q in qs], "AlphaS_Vals": [float(a) for a in alphas],
        "ReplicaIndices": [int(i) for i in index],
    }  # fmt: skip
    with open(folder / f"{name}.info", "w") as handle:
        for key, value in info.items():
            handle.write(f"{key}: {json.dumps(value)}\n")
    log(f"lhapdf: wrote {folder} ({len(params) + 1} members)")
    return folder


def read_member(path):
    """Parse an lhagrid1 member file: list of (x, Q, pids, values [n_x, n_q, n_pids]) blocks."""
    with open(path) as handle:
        parts = handle.read().split("---")
    blocks = []
    for part in parts[1:]:
        lines = [ln for ln in part.strip().splitlines() if ln.strip()]
        if len(lines) < 3:
            continue
        x = np.array(lines[0].split(), dtype=float)
        q = np.array(lines[1].split(), dtype=float)
        pids = [int(p) for p in lines[2].split()]
        vals = np.array([ln.split() for ln in lines[3:]], dtype=float).reshape(len(x), len(q), len(pids))
        blocks.append((x, q, pids, vals))
    return blocks
