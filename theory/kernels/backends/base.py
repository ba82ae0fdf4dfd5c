"""The one interface every backend offers (chosen by name in ``theory.kernels.backends``)."""

import numpy as np


class Backend:
    """Evaluate d2sigma and the loss with its gradient for one or many parameter sets.

    Subclasses implement ``_evaluate(comps, weights, want_grad) -> (ds[B, n_events], nu[B, 2], G)``
    with nu the expected counts (normalisation nodes) and G[B, 2, 3, n_nodes] = sum_rows u_row K_row
    (complex) per target, None unless ``want_grad``. u of an event needs only that event's dsigma,
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

    def _map_sets(self, work, B):
        """[work(idx, parallel)] over groups of the B parameter sets: here one group, the whole
        batch, whose moments may use every thread. A backend may split the batch over threads."""
        return [work(np.arange(B), True)]

    def _evaluate(self, comps, weights, want_grad):
        raise NotImplementedError
