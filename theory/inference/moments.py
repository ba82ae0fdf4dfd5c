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
    """out[r, cell, a, b] += w[r, i] Bx[i, a] Bv[i, b] for every event i, in order, per replica r."""
    nx, nv = Bx.shape[1], Bv.shape[1]
    for r in prange(w.shape[0]):
        for i in range(cell.shape[0]):
            wi = w[r, i]
            if wi == 0.0:
                continue
            c = cell[i]
            for a in range(nx):
                f = wi * Bx[i, a]
                for b in range(nv):
                    out[r, c, a, b] += f * Bv[i, b]


def chunk_weights(seed, dataset, replicas, start, stop):
    """The replicas' Poisson weights of events start .. stop-1: float[len(replicas), stop - start]."""
    w = np.empty((len(replicas), stop - start))
    for j, b in enumerate(replicas):
        poisson_weights(seed, dataset, b, start, stop, out=w[j])
    return w


def dataset_moments(grid, x, Q2, seed, dataset, replicas, chunk=CHUNK_EVENTS, out=None, start=0):
    """Moments m[len(replicas), grid.n_nodes] of one data set's events (x, Q2) for the replicas
    (``out``/``start``: partial sums of events 0 .. start-1 to continue from)."""
    n = len(x)
    spec = grid.spec
    if out is None:
        out = np.zeros((len(replicas), grid.n_cells, spec.x_nodes, spec.q2_nodes))
    for lo in range(start, n, chunk):
        stop = min(n, lo + chunk)
        cell, Bx, Bv = grid.basis(x[lo:stop], Q2[lo:stop])
        accumulate(cell.astype(np.int64), Bx, Bv, chunk_weights(seed, dataset, replicas, lo, stop), out)
    return out.reshape(len(replicas), grid.n_nodes)


def replica_moments(grid, samples, seed, replicas, targets, chunk=CHUNK_EVENTS):
    """Moments of every data set, concatenated in ``targets`` order: float[len(replicas), T * n_nodes]
    (the row order of ``theory.inference.run.Run.grid_problem``)."""
    return np.concatenate(
        [dataset_moments(grid, samples[t].x, samples[t].Q2, seed, t, list(replicas), chunk) for t in targets], axis=1
    )


class MomentPass:
    """The data moments of a job's replicas on several grids, over every data set: a restartable
    pass. ``stages``: {name: grid}; each chunk's weights serve every grid. ``state()`` /
    ``restore()`` give and take the partial sums and each data set's event position, so a killed
    job resumes where its last checkpoint left off and ends with the very same sums
    (accumulation is in file order)."""

    def __init__(self, stages, samples, seed, replicas, targets, chunk=CHUNK_EVENTS):
        self.stages, self.samples, self.seed = stages, samples, seed
        self.replicas, self.targets, self.chunk = list(replicas), tuple(targets), chunk
        self.sums = {
            f"{name}/{t}": np.zeros((len(self.replicas), g.n_cells, g.spec.x_nodes, g.spec.q2_nodes))
            for name, g in stages.items()
            for t in self.targets
        }
        self.position = {t: 0 for t in self.targets}

    def state(self):
        """Arrays of the pass so far: the partial sums and positions."""
        out = {f"sums/{k}": v for k, v in self.sums.items()}
        out.update({f"position/{t}": np.int64(v) for t, v in self.position.items()})
        return out

    def restore(self, state):
        for k in self.sums:
            self.sums[k][...] = state[f"sums/{k}"]
        for t in self.targets:
            self.position[t] = int(state[f"position/{t}"])

    @property
    def done(self):
        return all(self.position[t] >= len(self.samples[t].x) for t in self.targets)

    @property
    def fraction(self):
        """Share of the events passed."""
        return sum(self.position.values()) / max(sum(len(self.samples[t].x) for t in self.targets), 1)

    def run(self, after=None):
        """Finish the pass; ``after()`` is called after every chunk of events."""
        for t in self.targets:
            ev = self.samples[t]
            n = len(ev.x)
            for lo in range(self.position[t], n, self.chunk):
                stop = min(n, lo + self.chunk)
                w = chunk_weights(self.seed, t, self.replicas, lo, stop)
                for name, grid in self.stages.items():
                    cell, Bx, Bv = grid.basis(ev.x[lo:stop], ev.Q2[lo:stop])
                    accumulate(cell.astype(np.int64), Bx, Bv, w, self.sums[f"{name}/{t}"])
                self.position[t] = stop
                if after is not None:
                    after()
        return self

    def moments(self, name):
        """[len(replicas), T * n_nodes] of one grid, data sets in ``targets`` order."""
        return np.concatenate([self.sums[f"{name}/{t}"].reshape(len(self.replicas), -1) for t in self.targets], axis=1)
