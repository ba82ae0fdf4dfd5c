"""Bootstrap replicas of an extended likelihood: Poisson event weights and luminosity centres.

Why Poisson. The fits maximise the extended unbinned likelihood, in which the number of events
N of a data set is itself a Poisson variable of mean L sigma(theta). Resampling N events with
replacement (the multinomial bootstrap) keeps every replica's count at the observed N, so the
replicas carry no fluctuation of the normalisation and the bands are too narrow. The bootstrap
of a Poisson process is the Poisson bootstrap: every observed event enters replica b with an
independent count w_bi ~ Poisson(1), so the replica's count sum_i w_bi is Poisson(N) and, for
any region, the weighted count fluctuates as the data would (Hanley & MacGibbon, Comput. Methods
Programs Biomed. 83 (2006) 57; the "Poisson bootstrap" of Chamandy et al., Google 2012).

Counter-based. The count of event i of data set d in replica b is one uniform number from the
Philox4x64 counter-based generator (numpy's ``Philox``) keyed by (run seed, data set, replica)
at counter position i, inverted through the Poisson(1) distribution function. Any range of
events can therefore be regenerated on its own, in any order and from any chunk of a file,
without an events x replicas array; a replica depends on the run seed, its index and the data
set's name only. Replica 0 is the central fit: every weight 1, luminosity centre 1.

Luminosity. Each data set's luminosity L_meas is an auxiliary measurement with relative
uncertainty delta; the fit carries a nuisance lambda = L / L_meas with the constraint
(lambda - c)^2 / (2 delta^2). Replica b >= 1 draws its centre c_b = 1 + delta z_b, z_b ~ N(0, 1)
from the same generator (a separate stream): the parametric bootstrap of that measurement.
"""

import zlib

import numpy as np
from numba import njit
from scipy.special import gammaincc, ndtri

from theory.kernels.philox import UNIT_53, poisson_count

WEIGHT_STREAM = 2000
"""SeedSequence words of the Poisson counts; events use 1000 + target (``theory.inference.events``)."""
LUMI_STREAM = 3000
"""SeedSequence words of the replicas' luminosity centres."""
POISSON_MAX = 24
"""Counts are capped here: P(Poisson(1) > 24) < 1e-25, never reached by a 53-bit uniform."""
POISSON1_CDF = gammaincc(np.arange(1, POISSON_MAX + 1), 1.0)
"""P(K <= k) for k = 0 .. POISSON_MAX - 1 of K ~ Poisson(1) (regularised upper incomplete gamma)."""


def dataset_word(name):
    """A data set's name as one 32-bit word of the generator's key (CRC-32 of its UTF-8 bytes)."""
    return zlib.crc32(str(name).encode("utf-8"))


def _philox_key(seed, stream, dataset, replica):
    return np.random.SeedSequence([int(seed), stream, dataset_word(dataset), int(replica)]).generate_state(2, np.uint64)


def uniforms(seed, stream, dataset, replica, start, stop):
    """Counter-based uniforms in [0, 1) for positions start .. stop-1 of one (data set, replica)."""
    if not 0 <= start <= stop:
        raise ValueError(f"event range [{start}, {stop}) must be non-negative and increasing")
    block, skip = divmod(start, 4)  # Philox4x64: four 64-bit outputs per counter value
    gen = np.random.Philox(key=_philox_key(seed, stream, dataset, replica), counter=[block, 0, 0, 0])
    raw = gen.random_raw(skip + stop - start)[skip:]
    return (raw >> np.uint64(11)).astype(np.float64) * UNIT_53


@njit(cache=True, nogil=True)
def _invert(raw, cdf, out):
    """out[i] = the Poisson(1) count of raw output i (``theory.kernels.philox.poisson_count``)."""
    for i in range(raw.shape[0]):
        out[i] = poisson_count(raw[i], cdf)


@njit(cache=True, nogil=True)
def _invert_in_order(raw, cdf, order, out):
    """out[k] = the count of raw output order[k]."""
    for k in range(order.shape[0]):
        out[k] = poisson_count(raw[order[k]], cdf)


def poisson_weights(seed, dataset, replica, start, stop, out=None, order=None):
    """Poisson(1) counts (float) of events start .. stop-1 of a data set in bootstrap replica b
    (into ``out`` when given; with ``order``, a permutation of 0 .. stop-start-1, out[k] is the
    count of event start + order[k]). Replica 0 (the central fit) has every weight 1.
    """
    if not 0 <= start <= stop:
        raise ValueError(f"event range [{start}, {stop}) must be non-negative and increasing")
    if out is None:
        out = np.empty(stop - start)
    if order is not None and len(order) != stop - start:
        raise ValueError(f"order has {len(order)} entries for the {stop - start} events [{start}, {stop})")
    if replica == 0:
        out[:] = 1.0
        return out
    block, skip = divmod(start, 4)  # Philox4x64: four 64-bit outputs per counter value
    gen = np.random.Philox(key=_philox_key(seed, WEIGHT_STREAM, dataset, replica), counter=[block, 0, 0, 0])
    raw = gen.random_raw(skip + stop - start)[skip:]
    if order is None:
        _invert(raw, POISSON1_CDF, out)
    else:
        _invert_in_order(raw, POISSON1_CDF, np.asarray(order, dtype=np.int64), out)
    return out


def lumi_centre(seed, dataset, replica, delta):
    """Centre c_b of the luminosity constraint of a data set in replica b: 1 for the central fit,
    1 + delta z_b (z_b standard normal) for b >= 1."""
    if replica == 0 or delta == 0.0:
        return 1.0
    u = uniforms(seed, LUMI_STREAM, dataset, replica, 0, 1)[0]
    return 1.0 + delta * float(ndtri(max(u, 2.0**-53)))


def replica_weights(seed, replica, sizes):
    """Poisson bootstrap weights of one replica for data sets {name: n_events}, concatenated in
    the mapping's order (e.g. {"p": 5000, "n": 5000})."""
    return np.concatenate([poisson_weights(seed, name, replica, 0, n) for name, n in sizes.items()])
