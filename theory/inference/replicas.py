"""Bootstrap replicas: the event weights of replica b of a run.

Replica b >= 1 resamples each target's events with replacement: multinomial counts drawn from
``np.random.default_rng(SeedSequence([seed, b]))`` (p then n), so a replica depends on the run
seed and its index only, never on chunking, backend or scheduling. Replica 0 is the central fit
(all weights 1).
"""

import numpy as np


def replica_weights(seed, replica, sizes):
    """Bootstrap weights of one replica for targets of the given sizes (p, n), concatenated."""
    if replica == 0:
        return np.ones(sum(sizes))
    rng = np.random.default_rng(np.random.SeedSequence([seed, replica]))
    return np.concatenate([rng.multinomial(n, np.full(n, 1.0 / n)).astype(float) for n in sizes])
