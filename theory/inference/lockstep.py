"""Lockstep fits: every replica of a job advances together, each round one batched product.

Each replica runs its own optimiser (``theory.inference.optimise.optimiser``, a coroutine with
its own state, bounds, line search and convergence); a round collects the requests of all
replicas still running and evaluates them at once on the cached kernel's factors
(``theory.kernels.backends.cached``: rows r = events or grid nodes, Kr_t = A_t W_t):

    forward   D = (Q W_t^T) A_t^T              (Q: one row q = (Im c, Re c) per request)
    loss      sum_r m_r ln D_r  per request     (m: the replica's row weights or data moments)
    gradient  (U A_t) W_t, U = -m / D, contracted with dq/dtheta   (requests with the Jacobian)
    Hessian   sum_h m'_h a_h a_h^T,  a_h = d ln dsigma_h / dtheta on the coarse grid nodes h

The Gauss-Newton matrix uses a coarse grid (``COARSE``: the fine grid's cells with 6 x 4 nodes):
m'_h = sum_i w_i B'_h(x_i, Q^2_i) are the data moments of its basis, and sum_h m'_h a_h a_h^T
interpolates sum_i w_i a_i a_i^T, the per-event Gauss-Newton matrix (its eigenvalues relative to
the exact one's within 0.4-5% at 5,000 + 5,000 events, over four samples; 8 x 6 nodes: ~0.03%, 4 x 3:
~9%, each on one sample): plenty for a
step metric (the line search and the gradient use the exact loss), at a fraction of a Jacobian
pass over every row. The expected counts and their derivatives use the normalisation rows.

Batch invariance. The requests are the rows of every matrix product, in blocks of exactly
``WIDTH`` (the last one padded), each block's products single-threaded, the blocks spread over
the job's threads: OpenBLAS then gives each request the same arithmetic whatever the batch, the
request's position in its block or the thread count (measured on this machine's OpenBLAS: with
varying batch sizes it switches kernels, and with two threads it splits long reductions).
Per-request reductions over rows are separate dot products. A replica's result therefore does
not depend on which replicas share its job (tests/test_lockstep.py).

On a GPU (``fit.backend: cached-cuda``) ``DeviceEngine`` does the same algebra with everything
resident on the device and one product per factor a round (CuPy; numpy under the simulator).
"""

import time

import numpy as np
from numba import njit

from theory.dis.grid import GridSpec
from theory.inference.likelihood import ReplicaLoss
from theory.inference.optimise import failed_lumi, optimiser

COARSE = GridSpec(x_nodes=6, q2_nodes=4)
"""The Gauss-Newton matrix's grid: the fine grid's cells (same defaults otherwise), 6 x 4 nodes each."""
COARSE_TOL = 1e-6
"""Relative truncation of the coarse kernel's factors: a metric needs far less than the loss."""


@njit(cache=True)
def request_vectors(comps, jac, want):
    """q[S, T, M] and dq[S, P, T, M] (zero for requests without ``want``) in the kernels' real
    layout (``theory.kernels.backends.cached.parameter_vectors``: Im then Re, component-major)
    from comps[S, T, n, 3] and jac[S, T, n, 3, P]: one pass, no temporaries."""
    S, T, n, K = comps.shape
    P = jac.shape[4]
    half = K * n
    q = np.empty((S, T, 2 * half))
    dq = np.zeros((S, P, T, 2 * half))
    for s in range(S):
        for t in range(T):
            for k in range(K):
                for j in range(n):
                    c = comps[s, t, j, k]
                    q[s, t, k * n + j] = c.imag
                    q[s, t, half + k * n + j] = c.real
                    if want[s]:
                        for p in range(P):
                            d = jac[s, t, j, k, p]
                            dq[s, p, t, k * n + j] = d.imag
                            dq[s, p, t, half + k * n + j] = d.real
    return q, dq


def blas_controller():
    """One threadpoolctl controller per process (building one scans the loaded libraries)."""
    global _CONTROLLER
    if _CONTROLLER is None:
        from threadpoolctl import ThreadpoolController

        _CONTROLLER = ThreadpoolController()
    return _CONTROLLER


_CONTROLLER = None

WIDTH = 32
"""Requests per block: every matrix product has exactly this many request rows (32 against 16:
2-12% less fit time at Stats-2, side by side, same evaluations; wider blocks waste more in the
rounds where few replicas remain)."""


def _block(Q, n, width=WIDTH):
    """Q[:n] (one request per row) padded to ``width`` rows by repeating its first row."""
    out = np.empty((width,) + Q.shape[1:])
    out[:n] = Q[:n]
    out[n:] = Q[:1]
    return out


class LockstepEngine:
    """Batched loss, gradient and Gauss-Newton matrix of many replicas on cached kernels.

    Requests go in blocks of ``WIDTH``, one block per thread of ``workers``, each block's products
    single-threaded with fixed dimensions: OpenBLAS picks its kernels and its split of the
    reduction by the dimensions and the thread count, so only fixed ones give every request the
    same arithmetic (measured: with varying batch sizes or two threads, results change at 1e-13).

    Parameters
    ----------
    kernel : CachedKernel of the rows (events or grid nodes) with the normalisation nodes
    coarse : CachedKernel of every data set's coarse-grid nodes (no normalisation)
    param : the parametrisation (``components_batch``)
    Ns : complex[n_nodes] the contour
    workers : threads
    """

    def __init__(self, kernel, coarse, param, Ns, workers=1, width=WIDTH):
        self.kernel, self.coarse, self.param, self.Ns = kernel, coarse, param, Ns
        self.width = int(width)
        t = np.ascontiguousarray
        self.factors = [(A, W, t(A.T), t(W.T)) for A, W in kernel.factors()]
        self.coarse_factors = [(t(A.T), t(W.T)) for A, W in coarse.factors()]
        self.workers = max(1, int(workers))
        self.rounds = 0

    def evaluate(self, losses, weights, coarse_weights, thetas, jacobian):
        """Evaluations of requests j (theta[j], jacobian[j]) of replicas with ReplicaLoss
        ``losses[j]``, row weights ``weights[j]`` and coarse moments ``coarse_weights[j]``
        (each per data set, in the kernels' row order)."""
        from concurrent.futures import ThreadPoolExecutor

        thetas = np.asarray(thetas, dtype=float)
        S, P = thetas.shape
        comps, jac = self.param.components_batch(self.Ns, thetas)
        want = np.asarray(jacobian, dtype=np.bool_)
        q, dq = request_vectors(comps, jac, want)
        # requests with the Jacobian first: only one block of the round mixes the two kinds, so
        # the derivative products' padding is at most one block a round (the order of requests
        # in a round changes no request's arithmetic: every block has the same shapes)
        order = np.argsort(~want, kind="stable")
        blocks = [order[a : a + self.width] for a in range(0, S, self.width)]

        def work(idx):
            return self._block(idx, thetas, q, dq, jacobian, losses, weights, coarse_weights)

        with blas_controller().limit(limits=1, user_api="blas"):
            if self.workers == 1 or len(blocks) == 1:
                parts = [work(idx) for idx in blocks]
            else:
                with ThreadPoolExecutor(min(self.workers, len(blocks))) as pool:
                    parts = list(pool.map(work, blocks))
        self.rounds += 1
        out = [None] * S
        for idx, part in zip(blocks, parts, strict=True):
            for j, ev in zip(idx, part, strict=True):
                out[j] = ev
        return out

    def _block(self, idx, thetas, q, dq, jacobian, losses, weights, coarse_weights):
        kern = self.kernel
        n = len(idx)
        event_sum = np.zeros(n)
        physical = np.ones(n, dtype=bool)
        nu = np.empty((n, len(self.factors)))
        rows = []
        for t, (_, _, At, Wt) in enumerate(self.factors):
            Q = q[idx, t]  # [n, M]
            D = (_block(Q, n, self.width) @ Wt) @ At  # [width, rows of t]
            for c in range(n):
                nu[c, t] = np.dot(kern.norm[t], Q[c])
                physical[c] &= D[c].min(initial=np.inf) > 0.0
            rows.append(D)
        for t, D in enumerate(rows):
            for c, j in enumerate(idx):
                if physical[c]:
                    event_sum[c] += np.dot(weights[j][t], np.log(D[c]))
        full = [c for c in range(n) if jacobian[idx[c]] and physical[c]]
        grads, hess, dnus = self._derivatives(idx, full, q, dq, rows, weights, coarse_weights) if full else ({}, {}, {})
        out = []
        for c, j in enumerate(idx):
            loss = losses[j]
            if not physical[c] or (c in full and c not in hess):
                out.append(loss.combine(thetas[j], False, 0.0, nu[c]))
            elif c in grads:
                out.append(loss.combine(thetas[j], True, event_sum[c], nu[c], grads[c], hess[c], dnus[c]))
            else:
                out.append(loss.combine(thetas[j], True, event_sum[c], nu[c]))
        return out

    def _derivatives(self, idx, full, q, dq, rows, weights, coarse_weights):
        kern = self.kernel
        F, P = len(full), dq.shape[1]
        grads = {c: np.zeros(P) for c in full}
        dnus = {c: np.empty((len(self.factors), P)) for c in full}
        for t, (A, W, _, _) in enumerate(self.factors):
            U = np.empty((self.width, A.shape[0]))
            for k in range(self.width):
                c = full[min(k, F - 1)] if k < F else full[0]
                U[k] = -weights[idx[c]][t] / rows[t][c]
            gM = (U @ A) @ W  # [width, M]: sum_r u_r Kr_r per request
            for k, c in enumerate(full):
                grads[c] += dq[idx[c], :, t] @ gM[k]
                dnus[c][t] = dq[idx[c], :, t] @ kern.norm[t]
        # Gauss-Newton matrix on the coarse nodes: for each request its q and dq/dtheta, padded
        hess = {c: np.zeros((P, P)) for c in full}
        for t, (At, Wt) in enumerate(self.coarse_factors):
            cols = np.empty((self.width * (P + 1), Wt.shape[0]))
            for k in range(self.width):
                c = full[k] if k < F else full[0]
                cols[k * (P + 1)] = q[idx[c], t]
                cols[k * (P + 1) + 1 : (k + 1) * (P + 1)] = dq[idx[c], :, t]
            Dc = (cols @ Wt) @ At  # [width (1 + P), coarse rows of t]
            for k, c in enumerate(full):
                if c not in hess:
                    continue
                ds = Dc[k * (P + 1)]
                if ds.min(initial=np.inf) <= 0.0:
                    del hess[c]
                    continue
                a = Dc[k * (P + 1) + 1 : (k + 1) * (P + 1)] / ds
                hess[c] += (a * coarse_weights[idx[c]][t]) @ a.T
        return grads, hess, dnus


def replica_inputs(kernel, coarse, log_lumi, weights, coarse_moments, centres, deltas, priors=None):
    """Per replica j: its ReplicaLoss, its row weights and its coarse moments per data set in the
    kernels' row order, from ``weights[j]`` (on the problem's rows), ``coarse_moments[j]`` (on the
    coarse nodes), the targets' ln L_t (``log_lumi``), the luminosity ``centres[j]``, ``deltas``
    and ``priors``."""
    losses, rows, coarse_rows = [], [], []
    for w, cm, c in zip(weights, coarse_moments, centres, strict=True):
        per_target = [np.ascontiguousarray(w[kernel.order[t]]) for t in range(len(kernel.order))]
        losses.append(ReplicaLoss([r.sum() for r in per_target], log_lumi, c, deltas, priors))
        rows.append(per_target)
        coarse_rows.append([np.ascontiguousarray(cm[coarse.order[t]]) for t in range(len(coarse.order))])
    return losses, rows, coarse_rows


def drive(engine, losses, weights, coarse_weights, starts, bounds, max_iterations, tolerance, log=None):
    """Run one optimiser per replica in lockstep on ``engine``; returns their result dicts in
    order (with ``unphysical`` and each replica's share of the wall and CPU time)."""
    n = len(losses)
    t0, c0 = time.perf_counter(), time.process_time()
    gens = [optimiser(s, bounds, max_iterations, tolerance) for s in starts]
    pending = {j: next(g) for j, g in enumerate(gens)}
    results = [None] * n
    while pending:
        order = sorted(pending)
        thetas = [pending[j][0] for j in order]
        jac = [pending[j][1] for j in order]
        extra = {"replicas": order} if getattr(engine, "resident", False) else {}
        try:
            evals = engine.evaluate([losses[j] for j in order], [weights[j] for j in order],
                                    [coarse_weights[j] for j in order], thetas, jac, **extra)  # fmt: skip
        except Exception as err:  # every replica of the round records the failure
            evals = [err] * len(order)
        for j, ev in zip(order, evals, strict=True):
            try:
                pending[j] = gens[j].throw(ev) if isinstance(ev, Exception) else gens[j].send(ev)
            except StopIteration as stop:
                results[j] = failed_lumi(stop.value, losses[j])
                results[j]["unphysical"] = losses[j].unphysical
                del pending[j]
                if log:
                    log(j, results[j])
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    for r in results:
        r["wall_s"], r["cpu_s"] = wall / n, cpu / n
    return results


def device_array_module():
    """The array module of the GPU lockstep engine: CuPy (cuBLAS) on a real GPU; numpy under
    ``NUMBA_ENABLE_CUDASIM=1``, where the simulator stands in for the device (CI, no GPU)."""
    from numba.cuda import config as cuda_config

    if cuda_config.ENABLE_CUDASIM:
        return np
    try:
        import cupy
    except ImportError:
        raise ValueError("the cached-cuda lockstep fits need CuPy on the GPU node: pip install cupy-cuda12x "
                         "(or run with fit.backend: cached-cpu)") from None  # fmt: skip
    return cupy


def _host(a):
    """A device array on the host (numpy passes through)."""
    return a.get() if hasattr(a, "get") else np.asarray(a)


class DeviceEngine:
    """The lockstep engine on one GPU: every replica's row weights and coarse moments and the
    kernels' factors stay on the device, and each round is one product per factor over all its
    requests (cuBLAS through CuPy: large batched products reach a large share of the FP64 peak,
    which hand-written Numba-CUDA tiles do not; the kernel evaluation itself, per request, is the
    same algebra as ``LockstepEngine``). The moments c(N; theta), the optimisers and
    ``ReplicaLoss.combine`` stay on the host.

    Batch invariance: cuBLAS chooses its kernels (and split reductions) by the shapes, so a
    request's last bits may depend on how many requests share its round; unlike the CPU engine
    this one does not promise bit-identical replicas across chunkings (the spread is at rounding
    level; measure it on the GPU). ``resident``: ``drive`` passes replica indices, not weights.

    Parameters as ``LockstepEngine``, plus ``weights[j]`` and ``coarse_weights[j]`` (per data set,
    in the kernels' row order) of every replica j of the job and ``xp`` (default
    ``device_array_module()``).
    """

    resident = True

    def __init__(self, kernel, coarse, param, Ns, weights, coarse_weights, xp=None):
        self.xp = xp = device_array_module() if xp is None else xp
        self.param, self.Ns = param, Ns
        t = np.ascontiguousarray
        self.factors = [
            (xp.asarray(A), xp.asarray(W), xp.asarray(t(A.T)), xp.asarray(t(W.T))) for A, W in kernel.factors()
        ]
        self.coarse_factors = [(xp.asarray(t(A.T)), xp.asarray(t(W.T))) for A, W in coarse.factors()]
        self.norm = [np.asarray(n) for n in kernel.norm]
        T = len(self.factors)
        self.weights = [xp.asarray(np.stack([w[k] for w in weights])) for k in range(T)]
        self.coarse_weights = [xp.asarray(np.stack([c[k] for c in coarse_weights])) for k in range(T)]
        self.rounds = 0

    def evaluate(self, losses, weights, coarse_weights, thetas, jacobian, replicas):
        """As ``LockstepEngine.evaluate``, the requests' replicas given by their indices ``replicas``."""
        xp = self.xp
        thetas = np.asarray(thetas, dtype=float)
        S, P = thetas.shape
        comps, jac = self.param.components_batch(self.Ns, thetas)
        want = np.asarray(jacobian, dtype=np.bool_)
        q, dq = request_vectors(comps, jac, want)
        rep = xp.asarray(np.asarray(replicas, dtype=np.int64))
        T = len(self.factors)
        nu = np.stack([q[:, k] @ self.norm[k] for k in range(T)], axis=1)  # [S, T]
        event_sum, physical, rows = xp.zeros(S), xp.ones(S, dtype=bool), []
        for k, (_, _, At, Wt) in enumerate(self.factors):
            D = (xp.asarray(q[:, k]) @ Wt) @ At  # [S, rows of k]
            physical &= D.min(axis=1) > 0.0
            event_sum += (self.weights[k][rep] * xp.log(xp.where(D > 0.0, D, 1.0))).sum(axis=1)
            rows.append(D)
        physical, event_sum = _host(physical), _host(event_sum)
        full = np.flatnonzero(want & physical)
        derivs = self._derivatives(full, rep, q, dq, rows) if len(full) else {}
        out = []
        for j in range(S):
            loss = losses[j]
            if not physical[j] or (j in derivs and derivs[j] is None):
                out.append(loss.combine(thetas[j], False, 0.0, nu[j]))
            elif j in derivs:
                g, h, dnu = derivs[j]
                out.append(loss.combine(thetas[j], True, event_sum[j], nu[j], g, h, dnu))
            else:
                out.append(loss.combine(thetas[j], True, event_sum[j], nu[j]))
        self.rounds += 1
        return out

    def _derivatives(self, full, rep, q, dq, rows):
        """{request: (gradient term, Gauss-Newton term, dnu[T, P])} for the requests ``full``
        (None where the coarse grid is unphysical), all of them in one product per factor."""
        xp = self.xp
        F, P = len(full), dq.shape[1]
        fi = xp.asarray(full)
        rf = rep[fi]
        grads, hess, ok = xp.zeros((F, P)), xp.zeros((F, P, P)), xp.ones(F, dtype=bool)
        dnus = np.stack([dq[full, :, k] @ self.norm[k] for k in range(len(self.factors))], axis=1)  # [F, T, P]
        for k, ((A, W, _, _), (Atc, Wtc)) in enumerate(zip(self.factors, self.coarse_factors, strict=True)):
            dqk = xp.asarray(dq[full, :, k])  # [F, P, M]
            gM = ((-self.weights[k][rf] / rows[k][fi]) @ A) @ W  # [F, M]: sum_r u_r Kr_r per request
            grads += xp.matmul(dqk, gM[:, :, None])[:, :, 0]
            cols = xp.concatenate([xp.asarray(q[full, k])[:, None], dqk], axis=1).reshape(F * (P + 1), -1)
            Dc = ((cols @ Wtc) @ Atc).reshape(F, P + 1, -1)  # [F, 1 + P, coarse rows of k]
            ds = Dc[:, 0]
            ok &= ds.min(axis=1) > 0.0
            a = Dc[:, 1:] / xp.where(ds > 0.0, ds, 1.0)[:, None, :]
            hess += xp.matmul(a * self.coarse_weights[k][rf][:, None, :], a.transpose(0, 2, 1))
        grads, hess, ok = _host(grads), _host(hess), _host(ok)
        return {int(j): (grads[c], hess[c], dnus[c]) if ok[c] else None for c, j in enumerate(full)}
