"""The one interface every backend offers (chosen by name in ``theory.backends``)."""


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
        comps, _ = self.problem.components(thetas, with_jacobian=False)
        ds, _, _ = self._evaluate(comps, None, False)
        self.evaluations += comps.shape[0]
        return ds

    def loss_and_grad(self, thetas, weights=None):
        """(L[B], dL/dtheta[B, P]) of the extended unbinned likelihood with bootstrap weights[B, n]."""
        pb = self.problem
        comps, jac = pb.components(thetas)
        B = comps.shape[0]
        w = pb.event_weights(weights, B)
        ds, nu, G = self._evaluate(comps, w, True)
        self.evaluations += B
        return pb.loss(ds, nu, w), pb.gradient(G, jac)

    def _evaluate(self, comps, weights, want_grad):
        raise NotImplementedError
