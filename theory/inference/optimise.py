"""Bound-constrained Gauss-Newton (Fisher scoring) with a backtracking line search, one replica.

Each iteration (a bound-constrained Newton method with a box-constrained quadratic subproblem,
as in Nocedal & Wright, "Numerical Optimization", 2nd ed., sections 16.7 and 18.5):
1. one forward pass with the Jacobian gives the loss F, its gradient g and the Gauss-Newton
   matrix H (``theory.inference.likelihood``);
2. the step d minimises the quadratic model g.d + d.H.d / 2 inside the box of the bounds
   (``box_step``), with H's eigenvalues floored at ``EIG_FLOOR`` times the largest (a direction
   the data do not determine gets a long but finite step, which the bounds then limit);
3. trial points theta + t d, t = 1, 1/2, 1/4, ..., until the Armijo condition
   F(trial) <= F + ARMIJO g.(trial - theta) holds. A trial point where some dsigma <= 0 has
   F = +inf and is simply a rejected step (counted as ``unphysical``).
The Gauss-Newton matrix is completed by NL2SOL's structured secant update of the terms it leaves
out; after a step the line search had to cut, the next steps are damped (Levenberg-Marquardt,
H + mu diag(H)), and after a full step the damping relaxes.
Convergence: the gain the model predicts for the next step (the Newton decrement g.H^-1.g / 2
where no bound binds; 0.5 is one standard deviation) below ``tolerance``.

Status: 0 converged, 1 iteration limit, 2 the line search found no decrease or the steps
stalled (against a bound or an unphysical region; ``message`` says which), 3 an error.
"""

import numpy as np

ARMIJO = 1e-4
EIG_FLOOR = 1e-10
MAX_HALVINGS = 40
STALL = 1e-3
STALL_ITERATIONS = 8
"""Stop (status 2) after this many steps in a row that each gained less than STALL x tolerance."""


def box_step(H, g, lower, upper):
    """The step d minimising the model g.d + d.H.d / 2 within lower <= d <= upper, and the gain
    it predicts, -(g.d + d.H.d / 2) (the Newton decrement where no bound binds).

    H's eigenvalues are floored at EIG_FLOOR times the largest, H = R^T R with R = diag(sqrt
    lambda) V^T, and the model is ||R d + R^-T g||^2 / 2 up to a constant: a bounded linear
    least-squares problem, solved exactly by scipy's BVLS (Stark & Parker, Comput. Stat. 10 (1995)
    129). The bounds thus shape the step itself, instead of cutting a free step afterwards.
    """
    from scipy.optimize import lsq_linear

    vals, vecs = np.linalg.eigh(H)
    vals = np.maximum(vals, EIG_FLOOR * max(vals.max(), 1e-300))
    root = np.sqrt(vals)
    R = root[:, None] * vecs.T
    rhs = -(vecs.T @ g) / root
    free = -(vecs @ ((vecs.T @ g) / vals))
    if np.all((free >= lower) & (free <= upper)):
        d = free
    else:
        d = lsq_linear(R, rhs, bounds=(lower, upper), method="bvls", tol=1e-12).x
        d = np.clip(d, lower, upper)
    Hd = vecs @ (vals * (vecs.T @ d))
    return d, float(-(g @ d + 0.5 * d @ Hd))


def secant_update(S, s, y, gn):
    """The structured secant update of the Gauss-Newton residual term S (Dennis, Gay & Welsch,
    ACM TOMS 7 (1981) 348, NL2SOL): after a step s with gradient change y, S + gn satisfies the
    secant condition (S + gn) s = y, with the least change of S in the weighted norm of y."""
    ys = float(y @ s)
    if ys <= 1e-12 * np.linalg.norm(y) * np.linalg.norm(s):
        return S
    y_sharp = y - gn @ s
    sSs = float(s @ S @ s)
    if sSs != 0.0:  # NL2SOL's sizing: shrink S where it overstates the curvature the step saw
        S = S * min(1.0, abs(float(s @ y_sharp)) / abs(sSs))
    r = y_sharp - S @ s
    return S + (np.outer(r, y) + np.outer(y, r)) / ys - float(r @ s) * np.outer(y, y) / ys**2


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
            return request


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
            if damping > 0.0:
                H = H + damping * np.diag(np.abs(np.diag(H)))
            d, decrement = box_step(H, g, lo - cur.theta, hi - cur.theta)
            if decrement < tolerance:
                status, message = 0, f"Newton decrement {decrement:.3g} < {tolerance:.3g}"
                break
            for k in range(MAX_HALVINGS):
                trial = np.clip(cur.theta + 0.5**k * d, lo, hi)  # feasible already; clip the rounding
                predicted = float(g @ (trial - cur.theta))
                # the full step usually succeeds: evaluate it with the Jacobian the next iteration needs
                new = yield trial, k == 0
                evaluations += 1
                jacobians += k == 0
                if not (new.physical and new.loss <= cur.loss + ARMIJO * predicted):
                    continue
                if new.grad is None:
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
        out = {"params": np.full(len(theta), np.nan), "loss": np.nan, "lumi": np.full(2, np.nan)}
    out.update(status=status, message=message, iterations=steps, evaluations=evaluations, jacobians=jacobians,
               decrement=decrement)  # fmt: skip
    return out
