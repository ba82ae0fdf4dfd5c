"""Bound-constrained Gauss-Newton (Fisher scoring) with a backtracking line search, one replica.

Each iteration (a bound-constrained Newton method with a box-constrained quadratic subproblem,
as in Nocedal & Wright, "Numerical Optimization", 2nd ed., sections 16.7 and 18.5):
1. one forward pass with the Jacobian gives the loss F, its gradient g and the Gauss-Newton
   matrix H (``theory.inference.likelihood``);
2. the step d minimises the quadratic model g.d + d.H.d / 2 inside the box of the bounds
   (``box_step``), with H's eigenvalues floored at ``EIG_FLOOR`` times the largest (a direction
   the data do not determine gets a long but finite step, which the bounds then limit);
3. trial points theta + t d, t = 1, 1/2, 1/4, ..., until the Armijo condition
   F(trial) <= F + ARMIJO g.(trial - theta) holds, each with the Jacobian (the accepted one is
   the next iterate, and nearly every trial point is accepted). A trial point where some
   dsigma <= 0 has F = +inf and is simply a rejected step (counted as ``unphysical``).
Where the evaluation carries the Hessian's second-order term (``Evaluation.curvature``: the
lockstep engine computes it from the moments' second derivatives) and the full Hessian is
positive definite, or positive definite on the parameters the bounds do not hold (a projected
Newton step, ``newton_hessian``), the step is Newton's with it; elsewhere (far from the minimum, where the
loss is not convex, or on backends without it) the Gauss-Newton matrix is completed by NL2SOL's
structured secant update of the terms it leaves out. After a step the line search had to cut,
the next steps are damped (Levenberg-Marquardt, H + mu diag(H)), and after a full step the
damping relaxes.
Convergence: the gain the model predicts for the next step (the Newton decrement g.H^-1.g / 2
where no bound binds; 0.5 is one standard deviation) below ``tolerance``, or below the loss's own
rounding, ``LOSS_EPS`` |loss|, where no line search could confirm a gain (at 10^7 events per
target |loss| ~ 3e8, so gains below ~3e-7, 8e-4 standard deviations away, are beyond float64).

Status: 0 converged, 1 iteration limit, 2 the line search found no decrease or the steps
stalled (against a bound or an unphysical region; ``message`` says which), 3 an error.
"""

import numpy as np
from numba import njit

ARMIJO = 1e-4
EIG_FLOOR = 1e-10
MAX_HALVINGS = 40
STALL = 1e-3
LOSS_EPS = 1e-15
"""Relative rounding of a loss value (float64 sums of many terms, 2.2e-16 each): a decrement
below LOSS_EPS |loss| counts as converged (the line search cannot see such a gain)."""
STALL_ITERATIONS = 8
"""Stop (status 2) after this many steps in a row that each gained less than STALL x tolerance."""


NEWTON_FLOOR = 1e-12
"""The full Hessian is used where its smallest eigenvalue exceeds this times its largest."""


QP_ITERATIONS = 200
"""Active-set changes of ``box_qp`` at most (each adds or drops one bound; a 9-parameter step takes a few)."""


@njit(cache=True)
def box_qp(H, g, lower, upper, x):
    """The minimiser of g.d + d.H.d / 2 over lower <= d <= upper for a symmetric positive-definite
    H, by the primal active-set method (Nocedal & Wright, 2nd ed., algorithm 16.3, with bounds as
    the constraints), from the feasible point x (modified). Returns (d, converged).

    Each iteration minimises the model over the free coordinates with the bound ones held
    (a linear solve with H's free block); a step that leaves the box stops at the first bound,
    which joins the active set; at the subspace minimum a bound whose multiplier has the wrong
    sign (the model decreases into the box) is released, the most negative first."""
    P = g.shape[0]
    state = np.zeros(P, dtype=np.int64)  # -1 at lower, +1 at upper, 0 free
    for i in range(P):
        if x[i] <= lower[i]:
            x[i], state[i] = lower[i], -1
        elif x[i] >= upper[i]:
            x[i], state[i] = upper[i], 1
    for _ in range(QP_ITERATIONS):
        r = g + H @ x
        free = np.flatnonzero(state == 0)
        p = np.zeros(P)
        if free.shape[0] > 0:
            Hf = np.empty((free.shape[0], free.shape[0]))
            rf = np.empty(free.shape[0])
            for a in range(free.shape[0]):
                rf[a] = -r[free[a]]
                for b in range(free.shape[0]):
                    Hf[a, b] = H[free[a], free[b]]
            pf = np.linalg.solve(Hf, rf)
            for a in range(free.shape[0]):
                p[free[a]] = pf[a]
        alpha, block = 1.0, -1
        for i in free:
            if p[i] < 0.0 and x[i] + p[i] < lower[i]:
                t = (lower[i] - x[i]) / p[i]
                if t < alpha:
                    alpha, block = t, i
            elif p[i] > 0.0 and x[i] + p[i] > upper[i]:
                t = (upper[i] - x[i]) / p[i]
                if t < alpha:
                    alpha, block = t, i
        x += alpha * p
        if block >= 0:  # stopped at a bound: it joins the active set
            if p[block] < 0.0:
                x[block], state[block] = lower[block], -1
            else:
                x[block], state[block] = upper[block], 1
            continue
        r = g + H @ x
        worst, release = 1e-13 * (np.abs(g).max() + np.abs(r).max()), -1  # rounding is no multiplier
        for i in range(P):  # multipliers: r_i >= 0 at a lower bound, r_i <= 0 at an upper one
            m = r[i] * state[i]
            if m > worst:
                worst, release = m, i
        if release < 0:
            return x, True
        state[release] = 0
    return x, False


def box_step(H, g, lower, upper):
    """The step d minimising the model g.d + d.H.d / 2 within lower <= d <= upper, and the gain
    it predicts, -(g.d + d.H.d / 2) (the Newton decrement where no bound binds).

    H's eigenvalues are floored at EIG_FLOOR times the largest; the free Newton step is taken when
    it lies in the box, else the box-constrained quadratic is solved exactly (``box_qp``, from the
    free step clipped to the box; should it ever exhaust its iterations, scipy's BVLS, Stark &
    Parker, Comput. Stat. 10 (1995) 129, on the equivalent bounded least-squares problem). The
    bounds thus shape the step itself, instead of cutting a free step afterwards.
    """
    d, gain, ok, vals, vecs = _box_step(H, g, lower, upper)
    if ok:
        return d, gain
    from scipy.optimize import lsq_linear

    root = np.sqrt(vals)
    d = lsq_linear(root[:, None] * vecs.T, -(vecs.T @ g) / root, bounds=(lower, upper), method="bvls",
                   tol=1e-12).x  # fmt: skip
    d = np.clip(d, lower, upper)
    Hd = vecs @ (vals * (vecs.T @ d))
    return d, float(-(g @ d + 0.5 * d @ Hd))


@njit(cache=True)
def _box_step(H, g, lower, upper):
    """``box_step`` in one compiled call: (d, gain, True), or (.., False) with the floored
    eigen-decomposition (vals, vecs) when ``box_qp`` did not finish (the caller's BVLS takes over)."""
    vals, vecs = np.linalg.eigh(H)
    vals = np.maximum(vals, EIG_FLOOR * max(vals.max(), 1e-300))
    free = -(vecs @ ((vecs.T @ g) / vals))
    if np.all((free >= lower) & (free <= upper)):
        d = free
    else:
        Hf = (vecs * vals) @ vecs.T
        d, ok = box_qp(0.5 * (Hf + Hf.T), g, lower, upper, np.minimum(np.maximum(free, lower), upper))
        if not ok:
            return d, np.nan, False, vals, vecs
        d = np.minimum(np.maximum(d, lower), upper)
    Hd = vecs @ (vals * (vecs.T @ d))
    return d, -(g @ d + 0.5 * (d @ Hd)), True, vals, vecs


@njit(cache=True)
def positive_definite(H):
    """True where the symmetric H's eigenvalues all exceed NEWTON_FLOOR times the largest."""
    vals = np.linalg.eigvalsh(H)
    return vals[0] > NEWTON_FLOOR * vals[-1] and vals[-1] > 0.0


def newton_hessian(exact, gn, held):
    """The matrix of a Newton step from the full Hessian ``exact``, or None where it has none:
    ``exact`` where it is positive definite; else, with parameters ``held`` at a bound by the
    gradient (it points out of the box), the projected Newton method's (Bertsekas, SIAM J. Control
    Optim. 20 (1982) 221): ``exact`` on the free parameters where it is positive definite there,
    the held ones decoupled with the Gauss-Newton matrix ``gn``'s diagonal (their step is zero
    either way: the box stops it). The Hessian of a parameter pinned at a bound may be negative
    (measured at Stats-2: g_b at its upper bound of 12, the free block positive definite) and
    does not bear on the step; requiring the whole matrix positive definite there fell back to
    the secant steps, which crawled (one replica 200 iterations, at 4e-7 in loss each, against 7)."""
    if positive_definite(exact):
        return exact
    free = ~held
    if not held.any() or not free.any() or not positive_definite(exact[np.ix_(free, free)]):
        return None
    out = exact.copy()
    out[held, :] = 0.0
    out[:, held] = 0.0
    out[held, held] = np.maximum(np.abs(np.diag(gn)[held]), 1e-300)
    return out


@njit(cache=True)
def secant_update(S, s, y, gn):
    """The structured secant update of the Gauss-Newton residual term S (Dennis, Gay & Welsch,
    ACM TOMS 7 (1981) 348, NL2SOL): after a step s with gradient change y, S + gn satisfies the
    secant condition (S + gn) s = y, with the least change of S in the weighted norm of y."""
    ys = y @ s
    if ys <= 1e-12 * np.sqrt(y @ y) * np.sqrt(s @ s):
        return S
    y_sharp = y - gn @ s
    sSs = s @ (S @ s)
    if sSs != 0.0:  # NL2SOL's sizing: shrink S where it overstates the curvature the step saw
        S = S * min(1.0, abs(s @ y_sharp) / abs(sSs))
    r = y_sharp - S @ s
    return S + (np.outer(r, y) + np.outer(y, r)) / ys - (r @ s) * np.outer(y, y) / ys**2


def minimise(likelihood, start, bounds, max_iterations=100, tolerance=1e-8):
    """Minimise a ``Likelihood`` from ``start`` within ``bounds`` [P, 2]. Returns a dict with
    params, loss, lumi, status, message, iterations, evaluations (forward passes, with or without
    the Jacobian), jacobians, unphysical (rejected trial points), decrement; iterations counts
    the steps taken."""
    steps = optimiser(start, bounds, max_iterations, tolerance)
    request = next(steps)
    while True:
        theta, jacobian = request
        try:
            result = likelihood.full(theta) if jacobian else likelihood.value(theta)
        except Exception as err:  # into the optimiser, which records the replica as failed
            request = _throw(steps, err)
        else:
            request = _send(steps, result)
        if isinstance(request, dict):
            request["unphysical"] = likelihood.unphysical
            return failed_lumi(request, likelihood)


def _send(steps, result):
    try:
        return steps.send(result)
    except StopIteration as stop:
        return stop.value


def _throw(steps, err):
    try:
        return steps.throw(err)
    except StopIteration as stop:
        return stop.value


def failed_lumi(result, loss):
    """A failed replica's nuisances: NaN, one per data set of its loss (a ``ReplicaLoss``: its
    totals W_t; none for a loss without data sets)."""
    if result["lumi"] is None:
        result["lumi"] = np.full(len(getattr(loss, "W", ())), np.nan)
    return result


def optimiser(start, bounds, max_iterations=100, tolerance=1e-8):
    """The optimiser of ``minimise`` as a coroutine: it yields requests (theta, jacobian) and is
    sent back the ``Evaluation`` at theta (``Likelihood.full`` when jacobian, else ``value``);
    it returns the result dict (without ``unphysical``, which the likelihood counts).

    One replica's optimiser never sees another's numbers, so a driver may advance many replicas
    in lockstep and evaluate their requests in one batched product
    (``theory.inference.lockstep``) without changing any replica's path.
    """
    lo, hi = np.asarray(bounds, dtype=float).T
    theta = np.clip(np.asarray(start, dtype=float), lo, hi)
    evaluations = jacobians = 0
    status, message, decrement = 1, "iteration limit reached", np.nan
    steps = 0
    try:
        cur = yield theta, True
        evaluations, jacobians = 1, 1
        if not cur.physical:
            raise ValueError("the start point is unphysical (d2sigma <= 0 at some event or node)")
        S = np.zeros((len(theta), len(theta)))
        damping, stalled = 0.0, 0
        for _ in range(max_iterations):
            g, H = cur.grad, cur.hessian + S
            if cur.curvature is not None:  # Newton's step where the full Hessian is positive definite
                held = ((cur.theta <= lo) & (g > 0.0)) | ((cur.theta >= hi) & (g < 0.0))
                exact = newton_hessian(cur.hessian + cur.curvature, cur.hessian, held)
                if exact is not None:
                    H = exact
            if damping > 0.0:
                H = H + damping * np.diag(np.abs(np.diag(H)))
            d, decrement = box_step(H, g, lo - cur.theta, hi - cur.theta)
            floor = max(tolerance, LOSS_EPS * abs(cur.loss))
            if decrement < floor:
                status, message = 0, f"Newton decrement {decrement:.3g} < {floor:.3g}"
                break
            for k in range(MAX_HALVINGS):
                trial = np.clip(cur.theta + 0.5**k * d, lo, hi)  # feasible already; clip the rounding
                predicted = float(g @ (trial - cur.theta))
                # a trial point is nearly always the next iterate (the full step, else mostly the first
                # halving: measured at Stats-2, 0.75 value-only evaluations a replica, each followed by
                # the Jacobian's at the same point): evaluate it with the Jacobian the next iteration needs
                new = yield trial, True
                evaluations += 1
                jacobians += 1
                if not (new.physical and new.loss <= cur.loss + ARMIJO * predicted):
                    continue
                if new.grad is None:  # an evaluator that answered with the value only
                    new = yield trial, True
                    evaluations += 1
                    jacobians += 1
                    if not new.physical:  # d2sigma ~ 0 at some row: the 1 + P pass rounds it below
                        continue
                break
            else:
                status, message = 2, f"no decrease along the step (decrement {decrement:.3g})"
                break
            # Levenberg-Marquardt: shorten the next steps after a cut one, lengthen after a full one
            damping = damping / 4.0 if k == 0 and damping > 1e-6 else (0.0 if k == 0 else max(4.0 * damping, 1e-3))
            stalled = stalled + 1 if cur.loss - new.loss < STALL * tolerance else 0
            S = secant_update(S, new.theta - cur.theta, new.grad - cur.grad, new.hessian)
            cur = new
            steps += 1
            if stalled >= STALL_ITERATIONS:
                status = 2
                message = f"stalled: {stalled} steps each gained < {STALL * tolerance:.3g} (decrement {decrement:.3g})"
                break
        out = {"params": cur.theta, "loss": cur.loss, "lumi": cur.lumi}
    except Exception as err:  # a failed replica is recorded, the chunk goes on
        status, message = 3, f"{type(err).__name__}: {err}"
        out = {"params": np.full(len(theta), np.nan), "loss": np.nan, "lumi": None}  # the driver knows T
    out.update(status=status, message=message, iterations=steps, evaluations=evaluations, jacobians=jacobians,
               decrement=decrement)  # fmt: skip
    return out
