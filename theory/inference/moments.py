"""Data moments of the interpolated likelihood: one streaming pass over the events per job.

With the grid of ``theory.dis.grid`` (nodes g, basis B_g), the event term of replica b is

    sum_i w_bi ln d2sigma(x_i, Q^2_i; theta) ~ sum_g m_bg ln d2sigma(x_g, Q^2_g; theta),
    m_bg = sum_i w_bi B_g(x_i, Q^2_i),

so the likelihood (``theory.inference.likelihood.Likelihood``, with the grid nodes as its rows
and m_b as their weights) costs the same for 10^4 events as for 10^8. Its gradient is
sum_g m_bg J_g / d2sigma_g and its Gauss-Newton matrix sum_g m_bg J_g J_g^T / d2sigma_g^2: the
interpolant of the per-event outer products, as accurate as the interpolant itself. B_g is
exact for each event (no binning); sum_g m_bg = sum_i w_bi (the basis is a partition of unity).

The pass reads each data set in fixed chunks of ``CHUNK_EVENTS`` events and regenerates the
replicas' Poisson weights of each chunk from their counters (``theory.inference.replicas``, never
stored). Within a chunk the events are grouped by cell (a stable sort: file order inside a cell)
into pieces of at most ``PIECE`` events; each piece is one matrix product

    M[b, (a, c)] = sum_{i in piece} w_bi Bx_ia Bv_ic       (replicas b x events i x 768 basis values)

in blocks of exactly ``BLOCK`` replica rows, each product single-threaded with dimensions fixed
by the data alone, the pieces spread over the job's threads and added in order. A replica's
moments are therefore the same numbers whatever replicas share its job, its row in the block or
the thread count (bit-identical; tested); the chunk and piece sizes are constants of the pass
(another chunking changes the sums at rounding level only). The dense product is faster than a
loop that skips the 37% zero weights, and it runs in single precision (``PRODUCTS``: SGEMM at
~42 GFMA/s a core of this VM against DGEMM's ~22), each piece's sums then added in float64.
"""

from types import SimpleNamespace

import numpy as np
from numba import njit

from theory.inference.replicas import POISSON1_CDF, poisson_weights

CHUNK_EVENTS = 32768
"""Events per chunk of the pass (weights of a chunk: CHUNK_EVENTS x replicas doubles)."""
PIECE = 4096
"""Events per matrix product at most (a piece's basis products: PIECE x 768 doubles, 25 MB)."""
BLOCK = 64
"""Replica rows of every product (the last block padded with zero weights)."""
PRODUCTS = np.float32
"""Precision of the replicas' products (weights, tensor basis, a piece's sums; the sums over
pieces are float64). Single precision runs the products twice as fast (measured on this VM:
85 against 43 GFLOP/s a core) and costs nothing the fits can see: the counts are exact, the
basis values are rounded at 6e-8 (the interpolant itself is good to 1e-6) and a piece's sum of
at most PIECE terms at ~1e-7 of its terms' size, which moves a replica by at most ~1e-7 sqrt(N)
standard deviations (5e-4 at 2 x 10^7 events; in practice far less, the roundings being random).
The central fit's one-row sums are float64."""


@njit(cache=True, nogil=True)
def _outer(Bx, Bv, events, K):
    """K[j, a * nv + c] = Bx[e, a] Bv[e, c], e = events[j]: the tensor basis of each event."""
    nx, nv = Bx.shape[1], Bv.shape[1]
    for j in range(events.shape[0]):
        e = events[j]
        for a in range(nx):
            f = Bx[e, a]
            for c in range(nv):
                K[j, a * nv + c] = f * Bv[e, c]


def chunk_weights(seed, dataset, replicas, start, stop, order=None, rows=None, pool=None, dtype=np.float64):
    """The replicas' Poisson weights of events start .. stop-1: dtype[rows, stop - start] (rows
    defaults to len(replicas); rows beyond are zero); with ``order``, column k is event start + order[k]."""
    rows = len(replicas) if rows is None else rows
    w = np.zeros((rows, stop - start), dtype=dtype)

    def one(j):
        poisson_weights(seed, dataset, replicas[j], start, stop, out=w[j], order=order)

    (pool.map if pool is not None else lambda f, items: [f(i) for i in items])(one, range(len(replicas)))
    return w


def _pieces(cell, n_cells, piece=PIECE):
    """Events of a chunk grouped by cell (stable: file order within a cell): (order, [(cell, lo, hi)])
    with pieces of at most ``piece`` events of one cell, order[lo:hi] the piece's events."""
    order = np.argsort(cell, kind="stable")
    bounds = np.searchsorted(cell[order], np.arange(n_cells + 1))
    pieces = [
        (c, lo, min(lo + piece, bounds[c + 1])) for c in range(n_cells) for lo in range(bounds[c], bounds[c + 1], piece)
    ]
    return order, pieces


def _products(w, Bx, Bv, order, pieces, pool, block=BLOCK):
    """[(cell, M)] per piece, M[rows of w, 768] = w[:, lo:hi] (K of the piece), in fixed-shape blocks of rows."""
    nodes = Bx.shape[1] * Bv.shape[1]

    def one(piece):
        c, lo, hi = piece
        M = np.empty((w.shape[0], nodes), dtype=w.dtype)
        if block == 1:  # one row at a time (the central fit's sums): (w Bx)^T Bv, no 768-wide basis
            ev = order[lo:hi]
            bx, bv = Bx[ev], Bv[ev]
            for r in range(w.shape[0]):
                M[r] = ((bx * w[r, lo:hi, None]).T @ bv).ravel()
            return c, M
        K = np.empty((hi - lo, nodes), dtype=w.dtype)
        _outer(Bx, Bv, order[lo:hi], K)
        for r in range(0, w.shape[0], block):
            np.matmul(w[r : r + block, lo:hi], K, out=M[r : r + block])
        return c, M

    return pool.map(one, pieces)


class _Pool:
    """The pass's threads, BLAS single-threaded inside them (fixed arithmetic per product)."""

    def __init__(self, workers):
        self.workers = max(1, int(workers))

    def __enter__(self):
        from concurrent.futures import ThreadPoolExecutor

        from theory.inference.lockstep import blas_controller

        self._limit = blas_controller().limit(limits=1, user_api="blas")
        self._limit.__enter__()
        self._exec = ThreadPoolExecutor(self.workers)
        return self

    def map(self, f, items):
        return list(self._exec.map(f, items)) if self.workers > 1 else [f(i) for i in items]

    def __exit__(self, *exc):
        self._exec.shutdown()
        self._limit.__exit__(*exc)


def dataset_moments(grid, x, Q2, seed, dataset, replicas, workers=None):
    """Moments m[len(replicas), grid.n_nodes] of one data set's events (x, Q2) for the replicas."""
    ev = {dataset: SimpleNamespace(x=x, Q2=Q2)}
    return MomentPass({"g": grid}, ev, seed, replicas, (dataset,), workers=workers).run().moments("g")


def replica_moments(grid, samples, seed, replicas, targets, workers=None):
    """Moments of every data set, concatenated in ``targets`` order: float[len(replicas), sum of the
    grids' n_nodes] (the row order of ``theory.inference.run.Run.grid_problem``); ``grid`` one grid
    for every data set or {data set: grid}."""
    return MomentPass({"g": grid}, samples, seed, replicas, targets, workers=workers).run().moments("g")


def stage_grid(stage, dataset):
    """A stage's grid for one data set: the stage is one grid for all, or {data set: grid}."""
    return stage[dataset] if isinstance(stage, dict) else stage


class MomentPass:
    """The data moments of a job's replicas on several grids, over every data set: a restartable
    pass. ``stages``: {name: grid or {data set: grid}} (data sets with other cuts or beams have
    other grids); each chunk's basis and weights serve every grid and replica.
    With ``central``, the pass also sums the central fit's moments (every weight 1, replica 0) by
    its own one-row products ((Bx)^T Bv per piece): the same numbers in every job, whichever
    replicas share the pass (``moments(name, central=True)``). ``state()`` / ``restore()`` give
    and take the partial sums and each data set's event position, so a killed job resumes where
    its last checkpoint left off and ends with the very same sums (accumulation is in file order)."""

    def __init__(self, stages, samples, seed, replicas, targets, chunk=CHUNK_EVENTS, workers=None, central=False):
        import numba

        self.stages, self.samples, self.seed = stages, samples, seed
        self.replicas, self.targets, self.chunk = list(replicas), tuple(targets), int(chunk)
        self.workers = numba.get_num_threads() if workers is None else int(workers)
        self.central = bool(central)
        self.sums = {}
        for name, stage in stages.items():
            for t in self.targets:
                g = stage_grid(stage, t)
                shape = (g.n_cells, g.spec.x_nodes, g.spec.q2_nodes)
                self.sums[f"{name}/{t}"] = np.zeros((len(self.replicas),) + shape)
                if self.central:
                    self.sums[f"{name}/central/{t}"] = np.zeros((1,) + shape)
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

    def _pass(self, weights, after, piece=PIECE):
        """The chunks left, grid by grid: yields (name, t, grid, Bx, Bv, order, pieces, w), with
        the pieces of at most ``piece`` events and w = weights(t, lo, stop, order) drawn once for
        the grids that share their cells; after each chunk the position moves on, then ``after()``."""
        for t in self.targets:
            ev = self.samples[t]
            n = len(ev.x)
            for lo in range(self.position[t], n, self.chunk):
                stop = min(n, lo + self.chunk)
                w, w_order = None, None
                for name, stage in self.stages.items():
                    grid = stage_grid(stage, t)
                    cell, Bx, Bv = grid.basis(ev.x[lo:stop], ev.Q2[lo:stop])
                    order, pieces = _pieces(cell, grid.n_cells, piece)
                    if self.replicas and (w is None or not np.array_equal(order, w_order)):  # stages share cells
                        w, w_order = weights(t, lo, stop, order), order
                    yield name, t, grid, Bx, Bv, order, pieces, w
                self.position[t] = stop
                if after is not None:
                    after()

    def run(self, after=None):
        """Finish the pass; ``after()`` is called after every chunk of events."""
        R = len(self.replicas)
        rows = -(-R // BLOCK) * BLOCK
        with _Pool(self.workers) as pool:

            def weights(t, lo, stop, order):
                return chunk_weights(self.seed, t, self.replicas, lo, stop, order, rows, pool, PRODUCTS)

            for name, t, grid, Bx, Bv, order, pieces, w in self._pass(weights, after):
                if R:
                    sums = self.sums[f"{name}/{t}"].reshape(R, grid.n_cells, -1)
                    for c, M in _products(w, Bx, Bv, order, pieces, pool):
                        sums[:, c] += M[:R]
                if self.central:
                    sums = self.sums[f"{name}/central/{t}"].reshape(1, grid.n_cells, -1)
                    for c, M in _products(np.ones((1, len(order))), Bx, Bv, order, pieces, pool, block=1):
                        sums[:, c] += M
        return self

    def moments(self, name, central=False):
        """[len(replicas), T * n_nodes] of one grid, data sets in ``targets`` order (with ``central``:
        the central fit's, [1, T * n_nodes])."""
        key, rows = (f"{name}/central", 1) if central else (name, len(self.replicas))
        return np.concatenate([self.sums[f"{key}/{t}"].reshape(rows, -1) for t in self.targets], axis=1)


DEVICE_CHUNK = 65536
"""Events per chunk of the device pass (its weights: DEVICE_CHUNK x replicas doubles on the GPU,
1.3 GB for 2,560 replicas; the chunk's tensor basis 0.4 GB)."""


class DeviceMomentPass(MomentPass):
    """``MomentPass`` on one GPU: the partial sums stay on the device, each chunk's Poisson counts
    are drawn there (``theory.kernels.backends.cuda.poisson_counts_kernel``: the same counter-based
    numbers as ``poisson_weights``, one thread per replica and event), the chunk's tensor basis
    K[i, (a, c)] = Bx_ia Bv_ic is formed there, and every cell of the chunk is one product
    sums[:, cell] += w[:, cell's events] @ K[cell's events] over all the job's replicas (cuBLAS
    through CuPy; ``xp``: ``theory.inference.lockstep.device_array_module()``, numpy under
    ``NUMBA_ENABLE_CUDASIM=1``). The grid basis (cell search, Lagrange weights) and the events stay
    on the host. ``state()``, ``moments()`` copy the sums to the host. The sums equal the CPU pass's
    to rounding (another order of the additions), and the library's products may depend on the
    number of replicas at that level (as ``DeviceEngine``)."""

    def __init__(self, stages, samples, seed, replicas, targets, chunk=DEVICE_CHUNK, central=False, xp=None):
        from theory.inference.lockstep import device_array_module

        super().__init__(stages, samples, seed, replicas, targets, chunk=chunk, workers=1, central=central)
        self.xp = xp = device_array_module() if xp is None else xp
        self.device = {k: xp.asarray(v) for k, v in self.sums.items()}
        self._keys, self._cdf = {}, xp.asarray(POISSON1_CDF)
        self._central_rows = xp.asarray(np.flatnonzero(np.asarray(self.replicas, dtype=np.int64) == 0))

    def _to_host(self):
        for k, v in self.device.items():
            self.sums[k][...] = v.get() if hasattr(v, "get") else v

    def state(self):
        self._to_host()
        return super().state()

    def restore(self, state):
        super().restore(state)
        self.device = {k: self.xp.asarray(v) for k, v in self.sums.items()}

    def moments(self, name, central=False):
        self._to_host()
        return super().moments(name, central)

    def _weights(self, t, start, stop, order):
        """The replicas' counts of events start + order[k] of data set t: [replicas, len(order)] on the device."""
        from theory.inference.replicas import WEIGHT_STREAM, _philox_key
        from theory.kernels.backends.cuda import launch_poisson_counts

        xp = self.xp
        if t not in self._keys:
            keys = np.array([_philox_key(self.seed, WEIGHT_STREAM, t, b) for b in self.replicas], dtype=np.uint64)
            self._keys[t] = xp.asarray(keys.reshape(len(self.replicas), 2))
        w = xp.empty((len(self.replicas), len(order)))
        launch_poisson_counts(self._keys[t], np.int64(start), xp.asarray(order.astype(np.int64)), self._cdf, w)
        if self._central_rows.size:
            w[self._central_rows] = 1.0  # replica 0: every weight 1
        return w

    def run(self, after=None):
        """Finish the pass on the device; ``after()`` is called after every chunk of events."""
        xp = self.xp
        R = len(self.replicas)
        chunks = self._pass(self._weights, after, piece=self.chunk)  # a piece a cell
        for name, t, grid, Bx, Bv, order, pieces, w in chunks:
            bx, bv = xp.asarray(Bx[order]), xp.asarray(Bv[order])
            K = (bx[:, :, None] * bv[:, None, :]).reshape(len(order), -1)
            if R:
                sums = self.device[f"{name}/{t}"].reshape(R, grid.n_cells, -1)
                for c, a, b in pieces:
                    sums[:, c] += w[:, a:b] @ K[a:b]
            if self.central:
                sums = self.device[f"{name}/central/{t}"].reshape(1, grid.n_cells, -1)
                for c, a, b in pieces:
                    sums[0, c] += K[a:b].sum(axis=0)
        return self
