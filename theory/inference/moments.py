"""Data moments of the interpolated likelihood: one streaming pass over the events per job.

With the grid of ``theory.dis.grid`` (nodes g, basis B_g), the event term of replica b is

    sum_i w_bi ln d2sigma(x_i, Q^2_i; theta) ~ sum_g m_bg ln d2sigma(x_g, Q^2_g; theta),
    m_bg = sum_i w_bi B_g(x_i, Q^2_i),

so the likelihood (``theory.inference.likelihood.Likelihood``, with the grid nodes as its rows
and m_b as their weights) costs the same for 10^4 events as for 10^8. Its gradient is
sum_g m_bg J_g / d2sigma_g and its Gauss-Newton matrix sum_g m_bg J_g J_g^T / d2sigma_g^2: the
interpolant of the per-event outer products, as accurate as the interpolant itself. B_g is
exact for each event (no binning); sum_g m_bg = sum_i w_bi (the basis is a partition of unity).

The pass reads each data set in fixed chunks of events, regenerates the replicas' Poisson
weights of each chunk from their counters (``theory.inference.replicas``, never stored) and adds
every event into each replica's moments in file order: a replica's moments are the same sums in
the same order whatever the chunk size, the thread count or the replicas sharing its job
(bit-identical; tested).
"""

import numpy as np
from numba import njit, prange

from theory.inference.replicas import poisson_weights

CHUNK_EVENTS = 32768
"""Events per chunk of the pass (weights of a chunk: CHUNK_EVENTS x replicas doubles)."""


@njit(parallel=True, cache=True, nogil=True)
def accumulate(cell, Bx, Bv, w, out):
    """out[r, cell, a, b] += w[i, r] Bx[i, a] Bv[i, b] for every event i, in order, per replica r."""
    nx, nv = Bx.shape[1], Bv.shape[1]
    for r in prange(w.shape[1]):
        for i in range(cell.shape[0]):
            wi = w[i, r]
            if wi == 0.0:
                continue
            c = cell[i]
            for a in range(nx):
                f = wi * Bx[i, a]
                for b in range(nv):
                    out[r, c, a, b] += f * Bv[i, b]


def dataset_moments(grid, x, Q2, seed, dataset, replicas, chunk=CHUNK_EVENTS, out=None):
    """Moments m[len(replicas), grid.n_nodes] of one data set's events (x, Q2) for the replicas."""
    n = len(x)
    spec = grid.spec
    if out is None:
        out = np.zeros((len(replicas), grid.n_cells, spec.x_nodes, spec.q2_nodes))
    for start in range(0, n, chunk):
        stop = min(n, start + chunk)
        cell, Bx, Bv = grid.basis(x[start:stop], Q2[start:stop])
        w = np.empty((stop - start, len(replicas)))
        for j, b in enumerate(replicas):
            w[:, j] = poisson_weights(seed, dataset, b, start, stop)
        accumulate(cell.astype(np.int64), Bx, Bv, w, out)
    return out.reshape(len(replicas), grid.n_nodes)


def replica_moments(grid, samples, seed, replicas, targets, chunk=CHUNK_EVENTS):
    """Moments of every data set, concatenated in ``targets`` order: float[len(replicas), T * n_nodes]
    (the row order of ``theory.inference.run.Run.grid_problem``)."""
    return np.concatenate(
        [dataset_moments(grid, samples[t].x, samples[t].Q2, seed, t, list(replicas), chunk) for t in targets], axis=1
    )
