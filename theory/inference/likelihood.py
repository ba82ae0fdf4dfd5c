"""The loss of one bootstrap replica: extended unbinned likelihood, luminosity nuisances, priors.

For data sets t (targets) with measured luminosities L_t, relative uncertainties delta_t,
event weights w_i (``theory.inference.replicas``) and constraint centres c_t, the loss is

    F(theta, lambda) = sum_t [ lambda_t nu_t(theta) - W_t ln lambda_t + (lambda_t - c_t)^2 / (2 delta_t^2) ]
                       - sum_i w_i ln( L_t(i) dsigma_i(theta) ) + sum_p (theta_p - m_p)^2 / (2 s_p^2),

with nu_t = L_t int_cuts dsigma the expected count at the measured luminosity, W_t = sum_{i in t}
w_i, lambda_t = L_t(true) / L_t the luminosity nuisance and the last sum the optional Gaussian
priors. F is minimised over lambda in closed form: dF/dlambda_t = 0 is the quadratic

    lambda^2 + lambda (nu_t delta_t^2 - c_t) - W_t delta_t^2 = 0,

whose positive root is lambda_t(theta); the loss is the profile F(theta, lambda(theta)), whose
minimum over theta is the joint minimum over (theta, lambda) (the nuisance is fitted, exactly,
and reported with the parameters). delta_t = 0 holds lambda_t = c_t.

Derivatives (envelope theorem for the gradient, implicit differentiation of the root for the
Hessian):

    dF/dtheta = sum_t lambda_t dnu_t - sum_i w_i J_i / dsigma_i + (theta - m) / s^2,
    H ~ sum_i w_i J_i J_i^T / dsigma_i^2 - sum_t kappa_t dnu_t dnu_t^T + diag(1 / s^2),
    kappa_t = lambda_t delta_t^2 / (2 lambda_t + nu_t delta_t^2 - c_t),

with J_i = d dsigma_i / dtheta. H is the Gauss-Newton (Fisher-scoring) matrix: the omitted
sum_t lambda_t d2nu_t - sum_i w_i d2dsigma_i / dsigma_i has expectation zero at the truth and is
small wherever the model describes the data, but not at a replica's minimum along the weakly
determined directions; the lockstep engine computes it too (``Evaluation.curvature``). The
optimiser (``theory.inference.optimise``) uses H (and the term) only for its step, the line
search uses F itself. The -kappa term is the normalisation
information a free luminosity takes away.

Unphysical points: where dsigma <= 0 at any event or any normalisation node, F is +inf (the
optimiser steps back); never a constant with a zero gradient.
"""

from dataclasses import dataclass

import numpy as np
from numba import njit


@dataclass(frozen=True)
class Priors:
    """Gaussian priors of the free parameters: mean m_p and 1 / s_p^2 (0 where there is none)."""

    mean: np.ndarray
    precision: np.ndarray

    @classmethod
    def of(cls, names, priors):
        """From {name: (mean, sigma)} over the free ``names``."""
        mean, prec = np.zeros(len(names)), np.zeros(len(names))
        for name, (m, s) in priors.items():
            p = names.index(name)
            mean[p], prec[p] = float(m), 1.0 / float(s) ** 2
        return cls(mean, prec)

    def value(self, theta):
        return 0.5 * float(np.sum(self.precision * (theta - self.mean) ** 2))


@dataclass
class Evaluation:
    """The loss at one parameter set; ``grad`` and ``hessian`` only from ``Likelihood.full``."""

    theta: np.ndarray
    loss: float
    lumi: np.ndarray
    """The profiled nuisances lambda_t (data-set order)."""
    grad: np.ndarray | None = None
    hessian: np.ndarray | None = None
    """The Gauss-Newton matrix (with the luminosity profile's term and the priors)."""
    curvature: np.ndarray | None = None
    """The rest of the Hessian, sum_t lambda_t d2nu_t - sum_i w_i d2dsigma_i / dsigma_i, where the
    engine computes it (``theory.inference.lockstep``): hessian + curvature is the exact Hessian
    of the profiled loss (up to the Gauss-Newton matrix's own approximation). None elsewhere."""

    @property
    def physical(self):
        return np.isfinite(self.loss)


class ReplicaLoss:
    """One replica's loss assembled from its event term (see the module docstring): the data
    set totals W_t, luminosity centres and uncertainties, priors, and the count of unphysical
    trial points. ``combine`` turns an event term, expected counts and their derivatives into an
    ``Evaluation``; ``Likelihood`` (one replica on a backend) and the lockstep engine
    (``theory.inference.lockstep``, many replicas in one batched product) both use it.

    Parameters
    ----------
    totals : float[T] W_t = sum of the replica's weights per data set (data-set order)
    log_lumi : float[T] ln L_t: the term sum_i w_i ln L_t(i) is sum_t W_t ln L_t (a T-term sum,
        the same whatever BLAS's thread count, unlike a dot product over the rows)
    centres, deltas : float[T]
    priors : Priors or None
    """

    def __init__(self, totals, log_lumi, centres, deltas, priors=None):
        self.W = np.asarray(totals, dtype=float)
        self.log_lumi_term = float(np.sum(self.W * np.asarray(log_lumi, dtype=float)))
        self.c = np.asarray(centres, dtype=float)
        self.delta2 = np.asarray(deltas, dtype=float) ** 2
        self.priors = priors
        self.unphysical = 0
        """Trial points with dsigma <= 0 somewhere (each one made the optimiser step back)."""

    def lumi(self, nu):
        """The profiled nuisances lambda_t(theta) at expected counts nu[T] (all positive)."""
        return _profile(self.W, self.c, self.delta2, np.asarray(nu, dtype=float))[0]

    def combine(self, theta, physical, event_sum, nu, event_grad=None, event_hessian=None, dnu=None, curvature=None):
        """The Evaluation from the event term sum_i w_i ln dsigma_i (``event_sum``), the expected
        counts nu[2] and, for the gradient and Gauss-Newton matrix, -sum_i w_i J_i / dsigma_i
        (``event_grad``), sum_i w_i J_i J_i^T / dsigma_i^2 (``event_hessian``) and dnu[2, P];
        ``curvature``: the Hessian's second-order term, passed through (``Evaluation.curvature``).
        ``physical`` False (some dsigma <= 0): loss +inf."""
        nu = np.asarray(nu, dtype=float)
        if not physical or nu.min() <= 0.0:
            self.unphysical += 1
            return Evaluation(theta, np.inf, np.full(len(nu), np.nan))
        lam, kappa, count_terms = _profile(self.W, self.c, self.delta2, nu)
        loss = count_terms - (float(event_sum) + self.log_lumi_term)
        if self.priors is not None:
            loss += self.priors.value(theta)
        if event_grad is None:
            return Evaluation(theta, loss, lam)
        grad, H = _assemble(lam, kappa, np.asarray(dnu, dtype=float), np.asarray(event_grad, dtype=float),
                            np.asarray(event_hessian, dtype=float))  # fmt: skip
        if self.priors is not None:
            grad += self.priors.precision * (theta - self.priors.mean)
            H[np.diag_indices_from(H)] += self.priors.precision
        return Evaluation(theta, loss, lam, grad, H, curvature)


@njit(cache=True)
def _profile(W, c, d2, nu):
    """(lambda_t, kappa_t, the loss's count terms) per data set t: the positive root of the profile
    equation lambda^2 + lambda (nu d2 - c) - W d2 = 0 (in the form without cancellation for each
    sign of nu d2 - c; lambda = c where d2 = 0), kappa = lambda d2 / disc, and
    sum_t [lambda nu - W ln lambda + (lambda - c)^2 / (2 d2)] (module docstring)."""
    T = nu.shape[0]
    lam, kappa = np.empty(T), np.empty(T)
    terms = 0.0
    for t in range(T):
        if d2[t] == 0.0:
            lam[t], kappa[t] = c[t], 0.0
        else:
            b = nu[t] * d2[t] - c[t]
            disc = np.sqrt(b * b + 4.0 * W[t] * d2[t])
            lam[t] = (-b + disc) / 2.0 if b < 0.0 else 2.0 * W[t] * d2[t] / (b + disc)
            kappa[t] = lam[t] * d2[t] / disc
        terms += lam[t] * nu[t] - (W[t] * np.log(max(lam[t], 1e-300)) if W[t] > 0.0 else 0.0)
        if d2[t] > 0.0:
            terms += (lam[t] - c[t]) ** 2 / (2.0 * d2[t])
    return lam, kappa, terms


@njit(cache=True)
def _assemble(lam, kappa, dnu, event_grad, event_hessian):
    """The profile's gradient sum_t lambda_t dnu_t + event_grad and its Gauss-Newton matrix
    event_hessian - sum_t kappa_t dnu_t dnu_t^T, symmetrised (module docstring)."""
    T, P = dnu.shape
    grad = event_grad.copy()
    H = np.empty((P, P))
    for t in range(T):
        for p in range(P):
            grad[p] += lam[t] * dnu[t, p]
    for p in range(P):
        for r in range(P):
            h = 0.5 * (event_hessian[p, r] + event_hessian[r, p])
            for t in range(T):
                h -= kappa[t] * dnu[t, p] * dnu[t, r]
            H[p, r] = h
    return grad, H


class Likelihood(ReplicaLoss):
    """The profiled loss of one replica (see the module docstring) on a backend's forward pass.

    Parameters
    ----------
    backend : a ``theory.kernels.backends`` backend (its problem holds the rows and nodes)
    weights : float[n_rows] the replica's row weights (event weights, or data moments)
    centres : float[T] luminosity-constraint centres c_t
    deltas : float[T] relative luminosity uncertainties delta_t
    priors : Priors or None
    """

    def __init__(self, backend, weights, centres, deltas, priors=None):
        pb = backend.problem
        self.backend = backend
        self.w = np.asarray(weights, dtype=float)
        target = pb.target[: pb.n_events]
        totals = [self.w[target == t].sum() for t in range(pb.n_sets)]
        super().__init__(totals, pb.set_log_lumi, centres, deltas, priors)

    def value(self, theta):
        """The loss at theta (one forward pass; +inf where unphysical)."""
        theta = np.asarray(theta, dtype=float)
        ds, nu = self.backend.predictions(theta)
        physical = ds.min(initial=np.inf) > 0.0
        return self.combine(theta, physical, self.w @ np.log(ds) if physical else 0.0, nu)

    def full(self, theta):
        """Loss, gradient and Gauss-Newton matrix at theta (one forward pass with the Jacobian)."""
        theta = np.asarray(theta, dtype=float)
        ds, nu, J, dnu = self.backend.predictions(theta, jacobian=True)
        if not ds.min(initial=np.inf) > 0.0:
            return self.combine(theta, False, 0.0, nu)
        r = self.w / ds
        return self.combine(theta, True, self.w @ np.log(ds), nu, -(J @ r), (J * (r / ds)) @ J.T, dnu)
