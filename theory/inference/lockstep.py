"""Lockstep fits: every replica of a job advances together, each round one batched product.

Each replica runs its own optimiser (``theory.inference.optimise.optimiser``, a coroutine with
its own state, bounds, line search and convergence); a round collects the requests of all
replicas still running and evaluates them at once on the cached kernel's factors
(``theory.kernels.backends.cached``: rows r = events or grid nodes, Kr_t = A_t W_t):

    forward   D = (Q W_t^T) A_t^T              (Q: one row q = (Im c, Re c) per request)
    loss      sum_r m_r ln D_r  per request     (m: the replica's row weights or data moments)
    gradient  (U A_t) W_t, U = -m / D, contracted with dq/dtheta   (requests with the Jacobian)
    Hessian   sum_h m'_h a_h a_h^T,  a_h = d ln dsigma_h / dtheta on the coarse grid nodes h
    curvature V_t . d2q,  V_t = lambda_t norm_t - sum_r (m_r / D_r) Kr_r  (the gradient's own adjoint)

The Gauss-Newton matrix uses a coarse grid (``COARSE``: the fine grid's cells with 8 x 4 nodes):
m'_h = sum_i w_i B'_h(x_i, Q^2_i) are the data moments of its basis, and sum_h m'_h a_h a_h^T
interpolates sum_i w_i a_i a_i^T, the per-event Gauss-Newton matrix (its eigenvalues relative to
the exact one's within 5% at 5,000 + 5,000 events: worst direction 4.0-5.0% over four samples, two
replicas each; 6 x 4 nodes on these cells: 7%, 8 x 6 passes too; on the finer cells before the
fourteenth session 6 x 4 gave 0.4-4.8%): plenty for a
step metric (the line search and the gradient use the exact loss), at a fraction of a Jacobian
pass over every row. The expected counts and their derivatives use the normalisation rows.

The curvature is the rest of the profiled loss's Hessian, sum_t lambda_t d2nu_t -
sum_r m_r d2D_r / D_r: the loss is linear in the moments, so it is the gradient's adjoint V_t
contracted with the moments' second derivatives (the parametrisation's ``curvature``, analytic,
never stored), with no product over the rows. The optimiser takes Newton's step with the
Gauss-Newton matrix plus it wherever that is positive definite, on the parameters the bounds
do not hold (``theory.inference.optimise.newton_hessian``; ``Evaluation.curvature``).

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

COARSE = GridSpec(x_nodes=8, q2_nodes=4)
"""The Gauss-Newton matrix's grid: the fine grid's cells (same defaults otherwise), 8 x 4 nodes
each (6 x 4 misses the per-event matrix by 7% in one direction on these cells)."""
COARSE_TOL = 1e-6
"""Relative truncation of the coarse kernel's factors: a metric needs far less than the loss."""
FIT_TOL = 1e-10
"""Relative truncation of the kernel's factors in lockstep fits (``CachedKernel.factors``; the
kernel file keeps them at machine precision, 1e-13). Rank 142 -> 106 at Stats-2 (5,000 events a
target), 27% less fit time; the replicas move by a median 1e-10 and at most 2e-3 of a bootstrap
standard deviation (the largest along a flat direction of one replica), measured over 320
replicas; the loss changes by ~N x 1e-10 relative, far below the 0.5 of one standard deviation."""


@njit(cache=True)
def component_adjoints(V, n, K):
    """adjoint[R, T, n, K] (complex, the components' layout) of real-layout vectors V[T, R, M]:
    sum_m V[t, r, m] x[m] = Re sum conj(adjoint[r, t]) c for the real layout x of components c
    (``theory.pdfs.stats2.Stats2.vectors``: Im then Re), so adjoint = V[Re half] + i V[Im half]."""
    T, R = V.shape[0], V.shape[1]
    half = K * n
    out = np.empty((R, T, n, K), dtype=np.complex128)
    for r in range(R):
        for t in range(T):
            for k in range(K):
                for j in range(n):
                    out[r, t, j, k] = complex(V[t, r, half + k * n + j], V[t, r, k * n + j])
    return out


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
SLOW_AFTER = 20
"""A replica's requests after its first SLOW_AFTER go in blocks of SLOW_WIDTH: the lane is a
function of the replica's own count, so its arithmetic still does not depend on its batch."""
SLOW_WIDTH = 4
"""Requests per block of the slow lane. The last rounds hold a few slow replicas (at Stats-2, 90%
of replicas take <= 19 evaluations, one in a thousand ~200): a block of 4 costs 6 ms against 28 ms
for 32 (this VM, one thread), so the tail's padding no longer costs full blocks."""


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
    param : the parametrisation (``vectors`` and ``curvature``: ``theory.pdfs.stats2.Stats2``)
    Ns : complex[n_nodes] the contour
    workers : threads
    """

    def __init__(self, kernel, coarse, param, Ns, workers=1, width=WIDTH):
        self.kernel, self.coarse, self.param, self.Ns = kernel, coarse, param, Ns
        self.width = int(width)
        t = np.ascontiguousarray
        self.factors = [(A, W, t(A.T), t(W.T)) for A, W in kernel.factors(FIT_TOL)]
        self.coarse_factors = [(t(A.T), t(W.T)) for A, W in coarse.factors()]
        self.workers = max(1, int(workers))
        self.rounds = 0
        self.curvature = hasattr(param, "curvature")
        """The parametrisation gives the second derivatives of its moments: every evaluation with
        the Jacobian carries the Hessian's second-order term (``Evaluation.curvature``)."""

    lanes = True
    """``drive`` passes each request's count (its replica's evaluations so far)."""

    def evaluate(self, losses, weights, coarse_weights, thetas, jacobian, counts=None):
        """Evaluations of requests j (theta[j], jacobian[j]) of replicas with ReplicaLoss
        ``losses[j]``, row weights ``weights[j]`` and coarse moments ``coarse_weights[j]``
        (each per data set, in the kernels' row order); ``counts[j]``: the evaluations its
        replica has had (from SLOW_AFTER on, its requests go in the slow lane's narrow blocks)."""
        from concurrent.futures import ThreadPoolExecutor

        thetas = np.asarray(thetas, dtype=float)
        S = thetas.shape[0]
        want = np.asarray(jacobian, dtype=np.bool_)
        slow = np.zeros(S, dtype=np.bool_) if counts is None else np.asarray(counts) >= SLOW_AFTER
        # requests with the Jacobian first: only one block of a lane mixes the two kinds, so the
        # derivative products' padding is at most one block a lane and round (the order of
        # requests in a round changes no request's arithmetic: every block of a lane has the
        # same shapes)
        blocks = []
        for lane, width in ((~slow, self.width), (slow, min(SLOW_WIDTH, self.width))):
            idx = np.flatnonzero(lane)
            order = idx[np.argsort(~want[idx], kind="stable")]
            blocks += [(order[a : a + width], width) for a in range(0, len(order), width)]

        def work(block):
            idx, width = block
            return self._block(idx, thetas, want, losses, weights, coarse_weights, width)

        with blas_controller().limit(limits=1, user_api="blas"):
            if self.workers == 1 or len(blocks) == 1:
                parts = [work(idx) for idx in blocks]
            else:
                with ThreadPoolExecutor(min(self.workers, len(blocks))) as pool:
                    parts = list(pool.map(work, blocks))
        self.rounds += 1
        out = [None] * S
        for (idx, _), part in zip(blocks, parts, strict=True):
            for j, ev in zip(idx, part, strict=True):
                out[j] = ev
        return out

    def _block(self, idx, thetas, want, losses, weights, coarse_weights, width):
        """The requests ``idx`` (at most ``width``) as one block: every array below has exactly
        ``width`` rows (the first request repeats as padding), so each product, elementwise
        operation and per-row reduction runs with the same shapes whatever the block holds."""
        n = len(idx)
        sel = np.concatenate([idx, np.repeat(idx[:1], width - n)])
        # the block's own requests' vectors (scratch the size of a block, not of a round), padded
        # with the first; with the log-shapes the curvature needs (one digamma/trigamma pass for both)
        Q, dq, *shapes = self.param.vectors(self.Ns, thetas[idx], want[idx], width, shapes=self.curvature)
        shapes = shapes[0] if shapes else None  # [T, width, M], [T, width, P, M]
        want = want[sel]
        T = len(self.factors)
        Wr = [np.stack([weights[j][t] for j in sel]) for t in range(T)]  # row weights [width, rows]
        nu = np.stack([row_dots(Q[t], self.kernel.norm[t]) for t in range(T)], axis=1)  # [width, T]
        physical = np.ones(width, dtype=np.bool_)
        event_sum = np.zeros(width)
        rows = []
        for t, (_, _, At, Wt) in enumerate(self.factors):
            D = (Q[t] @ Wt) @ At  # [width, rows of t]
            physical &= D.min(axis=1) > 0.0
            D = np.where(D > 0.0, D, 1.0)  # an unphysical request's rows: finite, its result unused
            event_sum += row_pair_dots(Wr[t], np.log(D))
            rows.append(D)
        full = want & physical & (nu.min(axis=1) > 0.0)
        if full[:n].any():
            # the profiled nuisances weight the normalisation's curvature (the padding copies its first)
            lam = np.stack([losses[j].lumi(nu[c]) if full[c] else np.ones(T) for c, j in enumerate(sel)])
            grads, hess, ok, dnus, V = self._derivatives(sel, Q, dq, rows, Wr, coarse_weights, lam)
            full &= ok
            curv = np.zeros((width, dq.shape[2], dq.shape[2]))
            mine = np.flatnonzero(full[:n])
            if self.curvature and len(mine):
                K = self.param.component_weights.shape[1]
                adj = component_adjoints(np.ascontiguousarray(V[:, mine]), len(self.Ns), K)
                curv[mine] = self.param.curvature(thetas[idx[mine]], adj, shapes[mine])
        out = []
        for c, j in enumerate(idx):
            loss = losses[j]
            if not physical[c] or (want[c] and not full[c]):
                out.append(loss.combine(thetas[j], False, 0.0, nu[c]))
            elif full[c]:
                out.append(loss.combine(thetas[j], True, event_sum[c], nu[c], grads[c], hess[c], dnus[c],
                                        curv[c] if self.curvature else None))  # fmt: skip
            else:
                out.append(loss.combine(thetas[j], True, event_sum[c], nu[c]))
        return out

    def _derivatives(self, sel, Q, dq, rows, Wr, coarse_weights, lam):
        """Gradient terms grads[width, P], Gauss-Newton terms hess[width, P, P], ok[width] (the
        coarse grid physical), dnu[width, T, P] and the adjoints V[T, width, M] of the block
        ``sel`` (padded; a request without the Jacobian has dq = 0 and its terms are unused):
        V_t = lambda_t norm_t - sum_r (m_r / D_r) Kr_r, whose contraction with dq is the profiled
        loss's gradient and with d2q its curvature (``curvature``)."""
        width, P, T = len(sel), dq.shape[2], len(self.factors)
        grads, hess = np.zeros((width, P)), np.zeros((width, P, P))
        ok = np.ones(width, dtype=np.bool_)
        dnus = np.empty((width, T, P))
        V = np.empty((T, width, dq.shape[3]))
        for t, ((A, W, _, _), (Atc, Wtc)) in enumerate(zip(self.factors, self.coarse_factors, strict=True)):
            dQ = dq[t]  # [width, P, M]
            dnus[:, t] = row_dots(dQ.reshape(width * P, -1), self.kernel.norm[t]).reshape(width, P)
            gM = ((-Wr[t] / rows[t]) @ A) @ W  # [width, M]: sum_r u_r Kr_r per request
            grads += batch_mat_vec(dQ, gM)
            V[t] = gM + lam[:, t, None] * self.kernel.norm[t]
            # Gauss-Newton matrix on the coarse nodes: each request's q and dq/dtheta as 1 + P rows
            cols = np.concatenate([Q[t][:, None, :], dQ], axis=1).reshape(width * (P + 1), -1)
            Dc = ((cols @ Wtc) @ Atc).reshape(width, P + 1, -1)  # [width, 1 + P, coarse rows of t]
            ds = Dc[:, 0]
            ok &= ds.min(axis=1) > 0.0
            a = Dc[:, 1:] / np.where(ds > 0.0, ds, 1.0)[:, None, :]
            cw = np.stack([coarse_weights[j][t] for j in sel])
            hess += np.matmul(a * cw[:, None, :], a.transpose(0, 2, 1))
        return grads, hess, ok, dnus, V


@njit(cache=True)
def _dot4(x, y):
    """sum_m x[m] y[m] in a fixed order (four interleaved partial sums, then their sum)."""
    n = x.shape[0]
    s0 = s1 = s2 = s3 = 0.0
    m = 0
    while m + 4 <= n:
        s0 += x[m] * y[m]
        s1 += x[m + 1] * y[m + 1]
        s2 += x[m + 2] * y[m + 2]
        s3 += x[m + 3] * y[m + 3]
        m += 4
    while m < n:
        s0 += x[m] * y[m]
        m += 1
    return (s0 + s1) + (s2 + s3)


@njit(cache=True)
def row_dots(X, v):
    """X[i] . v for every row i, each in the same fixed order (BLAS's matrix-vector product is
    not: its result for a row depends on the row's position and the number of rows)."""
    out = np.empty(X.shape[0])
    for i in range(X.shape[0]):
        out[i] = _dot4(X[i], v)
    return out


@njit(cache=True)
def row_pair_dots(X, Y):
    """X[i] . Y[i] for every row i, in the fixed order of ``row_dots``."""
    out = np.empty(X.shape[0])
    for i in range(X.shape[0]):
        out[i] = _dot4(X[i], Y[i])
    return out


@njit(cache=True)
def batch_mat_vec(X, Y):
    """out[i, p] = X[i, p] . Y[i] for X[n, P, M] and Y[n, M], in the fixed order of ``row_dots``."""
    out = np.empty((X.shape[0], X.shape[1]))
    for i in range(X.shape[0]):
        for p in range(X.shape[1]):
            out[i, p] = _dot4(X[i, p], Y[i])
    return out


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
    counts = [0] * n  # evaluations of each replica so far (the engine's lane of its next request)
    while pending:
        order = sorted(pending)
        thetas = [pending[j][0] for j in order]
        jac = [pending[j][1] for j in order]
        extra = {"replicas": order} if getattr(engine, "resident", False) else {}
        if getattr(engine, "lanes", False):
            extra["counts"] = [counts[j] for j in order]
            for j in order:
                counts[j] += 1
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
            (xp.asarray(A), xp.asarray(W), xp.asarray(t(A.T)), xp.asarray(t(W.T))) for A, W in kernel.factors(FIT_TOL)
        ]
        self.coarse_factors = [(xp.asarray(t(A.T)), xp.asarray(t(W.T))) for A, W in coarse.factors()]
        self.norm = [np.asarray(n) for n in kernel.norm]
        T = len(self.factors)
        self.weights = [xp.asarray(np.stack([w[k] for w in weights])) for k in range(T)]
        self.coarse_weights = [xp.asarray(np.stack([c[k] for c in coarse_weights])) for k in range(T)]
        self.rounds = 0
        self.curvature = hasattr(param, "curvature")

    def evaluate(self, losses, weights, coarse_weights, thetas, jacobian, replicas):
        """As ``LockstepEngine.evaluate``, the requests' replicas given by their indices ``replicas``."""
        xp = self.xp
        thetas = np.asarray(thetas, dtype=float)
        S, P = thetas.shape
        want = np.asarray(jacobian, dtype=np.bool_)
        q, dq, *shapes = self.param.vectors(self.Ns, thetas, want, shapes=self.curvature, parallel=True)
        shapes = shapes[0] if shapes else None  # [T, S, M], [T, S, P, M]
        rep = xp.asarray(np.asarray(replicas, dtype=np.int64))
        T = len(self.factors)
        nu = np.stack([q[k] @ self.norm[k] for k in range(T)], axis=1)  # [S, T]
        event_sum, physical, rows = xp.zeros(S), xp.ones(S, dtype=bool), []
        for k, (_, _, At, Wt) in enumerate(self.factors):
            D = (xp.asarray(q[k]) @ Wt) @ At  # [S, rows of k]
            physical &= D.min(axis=1) > 0.0
            event_sum += (self.weights[k][rep] * xp.log(xp.where(D > 0.0, D, 1.0))).sum(axis=1)
            rows.append(D)
        physical, event_sum = _host(physical), _host(event_sum)
        full = np.flatnonzero(want & physical & (nu.min(axis=1) > 0.0))
        lam = np.stack([losses[j].lumi(nu[j]) for j in full]) if len(full) else np.zeros((0, T))
        derivs = self._derivatives(full, rep, thetas, q, dq, rows, lam, shapes) if len(full) else {}
        out = []
        for j in range(S):
            loss = losses[j]
            if not physical[j] or (want[j] and j not in derivs) or (j in derivs and derivs[j] is None):
                out.append(loss.combine(thetas[j], False, 0.0, nu[j]))
            elif j in derivs:
                g, h, dnu, curv = derivs[j]
                out.append(loss.combine(thetas[j], True, event_sum[j], nu[j], g, h, dnu, curv))
            else:
                out.append(loss.combine(thetas[j], True, event_sum[j], nu[j]))
        self.rounds += 1
        return out

    def _derivatives(self, full, rep, thetas, q, dq, rows, lam, shapes):
        """{request: (gradient term, Gauss-Newton term, dnu[T, P], curvature or None)} for the
        requests ``full`` (None where the coarse grid is unphysical), all of them in one product
        per factor; lam[F, T]: their profiled nuisances (``LockstepEngine._derivatives``); shapes:
        the round's log-shapes (``vectors(..., shapes=True)``) or None."""
        xp = self.xp
        F, P = len(full), dq.shape[2]
        T = len(self.factors)
        fi = xp.asarray(full)
        rf = rep[fi]
        grads, hess, ok = xp.zeros((F, P)), xp.zeros((F, P, P)), xp.ones(F, dtype=bool)
        dnus = np.stack([dq[k][full] @ self.norm[k] for k in range(T)], axis=1)  # [F, T, P]
        V = np.empty((T, F, dq.shape[3]))
        for k, ((A, W, _, _), (Atc, Wtc)) in enumerate(zip(self.factors, self.coarse_factors, strict=True)):
            dqk = xp.asarray(dq[k][full])  # [F, P, M]
            gM = ((-self.weights[k][rf] / rows[k][fi]) @ A) @ W  # [F, M]: sum_r u_r Kr_r per request
            grads += xp.matmul(dqk, gM[:, :, None])[:, :, 0]
            V[k] = _host(gM) + lam[:, k, None] * self.norm[k]
            cols = xp.concatenate([xp.asarray(q[k][full])[:, None], dqk], axis=1).reshape(F * (P + 1), -1)
            Dc = ((cols @ Wtc) @ Atc).reshape(F, P + 1, -1)  # [F, 1 + P, coarse rows of k]
            ds = Dc[:, 0]
            ok &= ds.min(axis=1) > 0.0
            a = Dc[:, 1:] / xp.where(ds > 0.0, ds, 1.0)[:, None, :]
            hess += xp.matmul(a * self.coarse_weights[k][rf][:, None, :], a.transpose(0, 2, 1))
        grads, hess, ok = _host(grads), _host(hess), _host(ok)
        curv = [None] * F
        if shapes is not None:  # the moments' second derivatives: on the host, as c(N; theta)
            K = self.param.component_weights.shape[1]
            curv = self.param.curvature(thetas[full], component_adjoints(V, len(self.Ns), K), shapes[full])
        return {int(j): (grads[c], hess[c], dnus[c], curv[c]) if ok[c] else None for c, j in enumerate(full)}
