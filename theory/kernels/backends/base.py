"""The one interface every backend offers (chosen by name in ``theory.kernels.backends``)."""

import numpy as np


class Backend:
    """Evaluate d2sigma and the loss with its gradient for one or many parameter sets.

    Subclasses implement ``_evaluate(comps, weights, want_grad) -> (ds[B, n_events], nu[B, 2], G)``
    with nu the expected counts (normalisation nodes) and G[B, T, K, n_nodes] = sum_rows u_row K_row
    (complex) per data set, None unless ``want_grad``. u of an event needs only that event's dsigma,
    so a backend can fuse the forward and the reverse pass.
    """

    name = "base"

    def __init__(self, problem, kernel=None):
        # ``kernel`` is used by the cached backends; the direct ones compute theirs on the fly
        self.problem = problem
        self.evaluations = 0

    def cross_sections(self, thetas):
        """d2sigma/dx dQ2 [nb GeV^-2] at every event: float[B, n_events] (B = 1 for one set)."""
        thetas = np.atleast_2d(np.asarray(thetas, dtype=float))
        pb = self.problem

        def work(idx, parallel):
            comps, _ = pb.components(thetas[idx], with_jacobian=False, parallel=parallel)
            return self._evaluate(comps, None, False)[0]

        ds = np.concatenate(self._map_sets(work, len(thetas)))
        self.evaluations += len(thetas)
        return ds

    def loss_and_grad(self, thetas, weights=None):
        """(L[B], dL/dtheta[B, P]) of the extended unbinned likelihood with bootstrap weights[B, n]."""
        thetas = np.atleast_2d(np.asarray(thetas, dtype=float))
        pb = self.problem
        w = pb.event_weights(weights, len(thetas))

        def work(idx, parallel):
            comps, jac = pb.components(thetas[idx], parallel=parallel)
            ds, nu, G = self._evaluate(comps, w[idx], True)
            return pb.loss(ds, nu, w[idx]), pb.gradient(G, jac)

        parts = self._map_sets(work, len(thetas))
        self.evaluations += len(thetas)
        return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])

    def predictions(self, theta, jacobian=False):
        """Forward pass of one parameter set, on the calling thread: (ds[n_events], nu[2]) and,
        with ``jacobian``, (J[P, n_events], dnu[2, P]) = their derivatives.

        d2sigma and the expected counts are linear in the input components c(N_j), so the
        derivative along theta_p is the same forward pass applied to dc/dtheta_p: one call with
        1 + P component sets (exact, no finite differences, no reverse pass). The sets of one
        replica always go through together, so its arithmetic never depends on other replicas.
        """
        pb = self.problem
        comps, jac = pb.components(np.asarray(theta, dtype=float)[None], with_jacobian=jacobian, parallel=False)
        if jacobian:
            comps = np.concatenate([comps, np.moveaxis(jac[0], -1, 0)])  # [1 + P, T, n_nodes, K]
        ds, nu, _ = self._evaluate(np.ascontiguousarray(comps), None, False)
        self.evaluations += 1
        if not jacobian:
            return ds[0], nu[0]
        return ds[0], nu[0], ds[1:], np.ascontiguousarray(nu[1:].T)

    def _map_sets(self, work, B):
        """[work(idx, parallel)] over groups of the B parameter sets: here one group, the whole
        batch, whose moments may use every thread. A backend may split the batch over threads."""
        return [work(np.arange(B), True)]

    def _evaluate(self, comps, weights, want_grad):
        raise NotImplementedError
